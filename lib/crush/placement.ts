/**
 * Object -> PG -> OSDs as Ceph's OSDMap does it for a pool without pg_temp, upmap or primary
 * affinity (Ceph 16 OSDMap::object_locator_to_pg, pg_pool_t::raw_pg_to_pps,
 * OSDMap::_pg_to_raw_osds, _remove_nonexistent_osds, _raw_to_up_osds). The pieces are exported
 * one by one so that live-cluster placement (upmap, primary affinity, pg_temp) can be layered
 * on top: raw CRUSH result -> up -> acting.
 */
import { ArgumentError, check } from '../errors';
import { crushNative } from './addon';
import type { BatchResult, CompiledCrushMap } from './compiled';
import { ITEM_NONE, RULE_TYPE } from './types';

export interface Pool {
  id: number;
  type?: 'replicated' | 'erasure';
  size: number;
  crushRule: number;
  pgNum: number;
  /** Default: pgNum. */
  pgpNum?: number;
  /** FLAG_HASHPSPOOL (default true, as every pool since Luminous). */
  hashpspool?: boolean;
}

export interface OsdState {
  /** Number of OSD ids (default: the crush map's max_devices). */
  maxOsd?: number;
  /** OSDs marked out (reweight 0). */
  out?: Iterable<number>;
  /** Explicit 16.16 reweights per OSD id (overrides `out`). */
  weights?: Uint32Array;
}

/** ceph_str_hash_rjenkins of the bytes. */
export function strHash(name: string | Uint8Array): number {
  return crushNative().strHash(typeof name === 'string' ? Buffer.from(name, 'utf8') : name);
}

/** pg_pool_t::calc_pg_masks: 2^cbits(num-1) - 1. */
export function pgMask(num: number): number {
  if (num <= 1) return 0;
  return (2 ** (32 - Math.clz32(num - 1)) - 1) >>> 0;
}

/** ceph_stable_mod. */
export function stableMod(x: number, b: number, bmask: number): number {
  return ((x & bmask) >>> 0) < b ? (x & bmask) >>> 0 : (x & (bmask >>> 1)) >>> 0;
}

/** pg_pool_t::hash_key: the object's hash, with its namespace joined by \x1f. */
export function objectHash(name: string, namespace = ''): number {
  return strHash(namespace ? `${namespace}\x1f${name}` : name);
}

export function formatPgid(pool: number, ps: number): string {
  return `${pool}.${ps.toString(16)}`;
}

function pgpNum(pool: Pool): number {
  return pool.pgpNum ?? pool.pgNum;
}

/** The PG (placement seed index) of an object in a pool. */
export function objectToPg(pool: Pool, name: string, namespace = ''): { pool: number; ps: number } {
  return { pool: pool.id, ps: stableMod(objectHash(name, namespace), pool.pgNum, pgMask(pool.pgNum)) };
}

/** pg_pool_t::raw_pg_to_pps: the CRUSH input of a PG. */
export function pgToPps(pool: Pool, ps: number): number {
  const m = stableMod(ps, pgpNum(pool), pgMask(pgpNum(pool)));
  if (pool.hashpspool === false) return (m + pool.id) >>> 0;
  return crushNative().hash2(m, pool.id >>> 0);
}

export interface PgMapping {
  pgid: string;
  ps: number;
  /** The CRUSH result after non-existent OSDs are removed. */
  raw: number[];
  up: number[];
  upPrimary: number;
  acting: number[];
  actingPrimary: number;
}

/** A pool placed with a compiled crush map and OSD states. */
export class PoolPlacement {
  readonly weights: Uint32Array;
  readonly maxOsd: number;
  readonly ruleno: number;

  constructor(
    readonly compiled: CompiledCrushMap,
    readonly pool: Pool,
    osds: OsdState = {},
  ) {
    check.integer('pool.id', pool.id, 0, 0x7fffffff);
    check.integer('pool.size', pool.size, 1, 1024);
    check.integer('pool.pgNum', pool.pgNum, 1, 0xffffffff);
    check.integer('pool.pgpNum', pgpNum(pool), 1, 0xffffffff);
    if (pgpNum(pool) > pool.pgNum) throw new ArgumentError('pool.pgpNum must not exceed pool.pgNum', { argument: 'pool.pgpNum' });
    this.maxOsd = check.integer('maxOsd', osds.maxOsd ?? compiled.map.maxDevices, 0, 1 << 24);
    if (osds.weights) {
      this.weights = Uint32Array.from({ length: this.maxOsd }, (_, i) => osds.weights![i] ?? 0);
    } else {
      this.weights = new Uint32Array(this.maxOsd).fill(0x10000);
      for (const o of osds.out ?? []) if (o >= 0 && o < this.maxOsd) this.weights[o] = 0;
    }
    this.ruleno = findRule(compiled, pool);
  }

  /** Whether an OSD is in (non-zero reweight). */
  isIn(osd: number): boolean {
    return osd >= 0 && osd < this.maxOsd && this.weights[osd]! > 0;
  }

  private fromRaw(ps: number, crush: number[]): PgMapping {
    const erasure = this.pool.type === 'erasure';
    // _remove_nonexistent_osds: replicated pools drop them, erasure pools keep the slot.
    const raw = erasure ? crush.map((o) => (o !== ITEM_NONE && (o < 0 || o >= this.maxOsd) ? ITEM_NONE : o)) : crush.filter((o) => o >= 0 && o < this.maxOsd);
    const up = raw; // every OSD is up here
    const primary = up.find((o) => o !== ITEM_NONE) ?? -1;
    return { pgid: formatPgid(this.pool.id, ps), ps, raw, up, upPrimary: primary, acting: up, actingPrimary: primary };
  }

  /** One PG. */
  pgToOsds(ps: number): PgMapping {
    check.integer('ps', ps, 0, 0xffffffff);
    if (this.ruleno < 0) return this.fromRaw(ps, []);
    const res = this.compiled.mapBatch({ rule: this.ruleno, numrep: this.pool.size, xs: [pgToPps(this.pool, ps) | 0], weights: this.weights, chooseArgs: this.pool.id });
    return this.fromRaw(ps, res.get(0));
  }

  /** Every PG 0..pg_num-1 in one native call. */
  allPgs(options: { threads?: number } = {}): PgMapping[] {
    const n = this.pool.pgNum;
    if (this.ruleno < 0) return Array.from({ length: n }, (_, ps) => this.fromRaw(ps, []));
    const res: BatchResult = this.compiled.mapPgSeeds({
      rule: this.ruleno,
      numrep: this.pool.size,
      poolId: this.pool.id,
      pgpNum: pgpNum(this.pool),
      count: n,
      hashpspool: this.pool.hashpspool !== false,
      weights: this.weights,
      chooseArgs: this.pool.id,
      threads: options.threads,
    });
    return Array.from({ length: n }, (_, ps) => this.fromRaw(ps, res.get(ps)));
  }

  /** Object name -> PG -> OSDs. */
  objectToOsds(name: string, namespace = ''): PgMapping {
    return this.pgToOsds(objectToPg(this.pool, name, namespace).ps);
  }
}

/** CrushWrapper::find_rule with uniform rule ids: the rule if its type matches the pool's. */
export function findRule(compiled: CompiledCrushMap, pool: Pool): number {
  const rule = compiled.map.rules[pool.crushRule];
  const type = pool.type === 'erasure' ? RULE_TYPE.erasure : RULE_TYPE.replicated;
  return rule && rule.type === type ? pool.crushRule : -1;
}

export function formatOsdList(osds: number[]): string {
  return `[${osds.join(',')}]`;
}
