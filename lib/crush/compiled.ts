/**
 * A map compiled into a native handle: decoded once in C++, mapped many times. Batch calls map
 * a range or an array of inputs (or every PG of a pool) in one crossing into typed arrays, and
 * can split the work over threads. Handles are freed by close(), by the garbage collector and
 * at environment teardown.
 */
import { ArgumentError, check } from '../errors';
import { crushNative, type NativeHandle } from './addon';
import { encodeMap } from './binary';
import { parseMap } from './io';
import { type CrushMap, ITEM_NONE } from './types';

/** Choose-args selection: an index (pool id; falls back to the compat set -1) or none. */
export type ChooseArgsSelection = number | 'none';
const NO_CHOOSE_ARGS = Number.MIN_SAFE_INTEGER;

export interface BatchOptions {
  rule: number;
  /** Result size asked of the rule (crushtool --num-rep). */
  numrep: number;
  /** First x of a range (default 0). */
  minX?: number;
  /** Number of x in the range (default 1); ignored when xs is given. */
  count?: number;
  /** Explicit inputs instead of a range. */
  xs?: Int32Array | number[];
  /** Hash each x with the pool id first, as crushtool --pool-id does. */
  poolId?: number;
  /** Device reweights, 16.16 (default: crushtool's, 0x10000 for every device in a bucket). */
  weights?: Uint32Array;
  /** Which choose_args to use (default 0, falling back to the compat set, like crushtool). */
  chooseArgs?: ChooseArgsSelection;
  /** Threads to split the batch over (default 1). */
  threads?: number;
  /** crushtool --show-choose-tries: the histogram of retries is added into this array. */
  chooseProfile?: Uint32Array;
}

/** Results of a batch: numrep slots per input; a firstn result may be shorter (see lengths). */
export class BatchResult {
  constructor(
    readonly numrep: number,
    readonly count: number,
    /** count * numrep items; unused slots hold ITEM_NONE. */
    readonly items: Int32Array,
    /** Result length per input. */
    readonly lengths: Int32Array,
  ) {}
  /** The raw result for input i, as crush_do_rule returned it. */
  get(i: number): number[] {
    const start = i * this.numrep;
    return Array.from(this.items.subarray(start, start + this.lengths[i]!));
  }
}

export class CompiledCrushMap {
  readonly map: CrushMap;
  private handle: NativeHandle | undefined;
  private presentWeights: Uint32Array | undefined;

  constructor(input: CrushMap | Uint8Array | string) {
    this.map = typeof input === 'string' || input instanceof Uint8Array ? parseMap(input) : input;
    this.handle = new (crushNative().CrushMapHandle)(encodeMap(this.map));
  }

  private live(): NativeHandle {
    if (!this.handle) throw new ArgumentError('the compiled crush map is closed');
    return this.handle;
  }

  /** Frees the native map now (it is also freed when this object is collected). */
  close(): void {
    this.handle?.close();
    this.handle = undefined;
  }

  /** A zeroed histogram for BatchOptions.chooseProfile: index = retries, one slot per choose_total_tries. */
  chooseProfile(): Uint32Array {
    return new Uint32Array(this.map.tunables.chooseTotalTries + 1);
  }

  /** crushtool's weight vector: 0x10000 for devices in some bucket, 0 for the others. */
  defaultWeights(): Uint32Array {
    if (!this.presentWeights) {
      const w = new Uint32Array(this.map.maxDevices);
      for (const b of this.map.buckets) if (b) for (const item of b.items) if (item >= 0 && item < w.length) w[item] = 0x10000;
      this.presentWeights = w;
    }
    return this.presentWeights;
  }

  ruleExists(rule: number): boolean {
    return Number.isInteger(rule) && rule >= 0 && !!this.map.rules[rule];
  }

  /** One mapping (crush_do_rule). */
  mapX(rule: number, x: number, numrep: number, options: Omit<BatchOptions, 'rule' | 'numrep' | 'minX' | 'count' | 'xs'> = {}): number[] {
    return this.mapBatch({ ...options, rule, numrep, xs: [x] }).get(0);
  }

  mapBatch(options: BatchOptions): BatchResult {
    const rule = check.integer('rule', options.rule, 0, 0x7fffffff);
    const numrep = check.integer('numrep', options.numrep, 1, 1024);
    const threads = check.integer('threads', options.threads ?? 1, 1, 64);
    let xs: Int32Array | null = null;
    let count: number;
    if (options.xs !== undefined) {
      xs = options.xs instanceof Int32Array ? options.xs : Int32Array.from(options.xs.map((x, i) => check.integer(`xs[${i}]`, x, -0x80000000, 0xffffffff) | 0));
      count = xs.length;
    } else {
      count = check.integer('count', options.count ?? 1, 0, 2 ** 31);
    }
    const minX = check.integer('minX', options.minX ?? 0, -0x80000000, 0xffffffff);
    const pool = options.poolId === undefined ? 0 : check.integer('poolId', options.poolId, -0x80000000, 0xffffffff) | 0;
    const weights = options.weights ?? this.defaultWeights();
    if (!(weights instanceof Uint32Array)) throw new ArgumentError('weights must be a Uint32Array of 16.16 reweights', { argument: 'weights' });
    const chooseArgs = chooseArgsIndex(options.chooseArgs);
    const items = new Int32Array(count * numrep);
    const lengths = new Int32Array(count);
    const profile = options.chooseProfile ?? null;
    if (profile !== null && !(profile instanceof Uint32Array)) throw new ArgumentError('chooseProfile must be a Uint32Array', { argument: 'chooseProfile' });
    this.live().map(rule, numrep, options.poolId === undefined ? 0 : 1, pool, minX, xs, count, 0, weights, chooseArgs, items, lengths, threads, profile);
    return new BatchResult(numrep, count, items, lengths);
  }

  /**
   * Maps PG seeds 0..count-1 of a pool: x = ps, the CRUSH input is the pool's placement seed
   * (hashpspool: crush_hash32_2(stable_mod(ps, pgp_num), pool); legacy: stable_mod + pool).
   */
  mapPgSeeds(options: { rule: number; numrep: number; poolId: number; pgpNum: number; count: number; hashpspool?: boolean; weights?: Uint32Array; chooseArgs?: ChooseArgsSelection; threads?: number }): BatchResult {
    const rule = check.integer('rule', options.rule, 0, 0x7fffffff);
    const numrep = check.integer('numrep', options.numrep, 1, 1024);
    const pool = check.integer('poolId', options.poolId, -0x80000000, 0x7fffffff);
    const pgpNum = check.integer('pgpNum', options.pgpNum, 1, 0xffffffff);
    const count = check.integer('count', options.count, 0, 2 ** 31);
    const threads = check.integer('threads', options.threads ?? 1, 1, 64);
    const weights = options.weights ?? this.defaultWeights();
    const items = new Int32Array(count * numrep);
    const lengths = new Int32Array(count);
    this.live().map(rule, numrep, options.hashpspool === false ? 3 : 2, pool, 0, null, count, pgpNum, weights, chooseArgsIndex(options.chooseArgs ?? pool), items, lengths, threads);
    return new BatchResult(numrep, count, items, lengths);
  }
}

function chooseArgsIndex(selection: ChooseArgsSelection | undefined): number {
  if (selection === 'none') return NO_CHOOSE_ARGS;
  return check.integer('chooseArgs', selection ?? 0, Number.MIN_SAFE_INTEGER + 1, Number.MAX_SAFE_INTEGER);
}

export { ITEM_NONE };
