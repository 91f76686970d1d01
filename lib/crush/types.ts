/**
 * The CRUSH map model: what Ceph's CrushWrapper holds (crush.h structures plus the name,
 * class and choose_args maps), so that it converts to and from crushtool's binary and text
 * forms without loss. Weights are 16.16 fixed point integers, as in the binary map.
 */
export const BUCKET_ALGS = ['uniform', 'list', 'tree', 'straw', 'straw2'] as const;
export type BucketAlgName = (typeof BUCKET_ALGS)[number];
/** crush.h CRUSH_BUCKET_*: uniform 1, list 2, tree 3, straw 4, straw2 5. */
export const ALG = { uniform: 1, list: 2, tree: 3, straw: 4, straw2: 5 } as const;
export function algName(alg: number): string {
  return BUCKET_ALGS[alg - 1] ?? 'unknown';
}

/** crush.h CRUSH_RULE_* step opcodes. */
export const OP = {
  noop: 0,
  take: 1,
  chooseFirstn: 2,
  chooseIndep: 3,
  emit: 4,
  chooseleafFirstn: 6,
  chooseleafIndep: 7,
  setChooseTries: 8,
  setChooseleafTries: 9,
  setChooseLocalTries: 10,
  setChooseLocalFallbackTries: 11,
  setChooseleafVaryR: 12,
  setChooseleafStable: 13,
} as const;

/** CRUSH_ITEM_NONE: an indep slot that could not be filled. */
export const ITEM_NONE = 0x7fffffff;
/** CEPH_PG_TYPE_REPLICATED / _ERASURE as rule types. */
export const RULE_TYPE = { replicated: 1, erasure: 3 } as const;

export interface Bucket {
  id: number;
  type: number;
  alg: number;
  hash: number;
  /** The bucket's own weight (sum of its items' weights when built). */
  weight: number;
  items: number[];
  /** Per item weight as crush_get_bucket_item_weight reports it. */
  itemWeights: number[];
  /** uniform: the single item weight. */
  uniformWeight?: number;
  /** list: running sums. */
  sumWeights?: number[];
  /** tree: node weights (num_nodes of them). */
  nodeWeights?: number[];
  /** straw (v1): straw lengths. */
  straws?: number[];
}

export interface Step {
  op: number;
  arg1: number;
  arg2: number;
}

export interface Rule {
  /** Rule id (= ruleset in Ceph 16). */
  id: number;
  type: number;
  minSize: number;
  maxSize: number;
  steps: Step[];
}

export interface Tunables {
  chooseLocalTries: number;
  chooseLocalFallbackTries: number;
  chooseTotalTries: number;
  chooseleafDescendOnce: number;
  chooseleafVaryR: number;
  strawCalcVersion: number;
  allowedBucketAlgs: number;
  chooseleafStable: number;
}

/** The legacy (argonaut) values: what a map without tunable lines has. */
export function legacyTunables(): Tunables {
  return {
    chooseLocalTries: 2,
    chooseLocalFallbackTries: 5,
    chooseTotalTries: 19,
    chooseleafDescendOnce: 0,
    chooseleafVaryR: 0,
    strawCalcVersion: 0,
    allowedBucketAlgs: 22,
    chooseleafStable: 0,
  };
}

export interface ChooseArg {
  /** Index into the bucket array (-1-id). */
  bucketIndex: number;
  /** weight_set positions, each one weight per bucket item. */
  weightSet: number[][];
  ids: number[];
}

export interface ChooseArgMap {
  /** Key as a signed 64-bit value (-1 is the compat set, printed 18446744073709551615). */
  index: bigint;
  args: ChooseArg[];
}

export interface CrushMap {
  maxDevices: number;
  /** Bucket array indexed by -1-id; null for holes. Its length is max_buckets. */
  buckets: Array<Bucket | null>;
  /** Rule array indexed by id; its length is max_rules. */
  rules: Array<Rule | null>;
  typeNames: Map<number, string>;
  /** Item names: devices (>= 0) and buckets (< 0, shadow buckets as name~class). */
  names: Map<number, string>;
  ruleNames: Map<number, string>;
  tunables: Tunables;
  /** Device (and shadow bucket) id -> class id. */
  classMap: Map<number, number>;
  classNames: Map<number, string>;
  /** Bucket id -> class id -> shadow bucket id. */
  classBuckets: Map<number, Map<number, number>>;
  chooseArgs: ChooseArgMap[];
}

export function emptyMap(): CrushMap {
  return {
    maxDevices: 0,
    buckets: [],
    rules: [],
    typeNames: new Map(),
    names: new Map(),
    ruleNames: new Map(),
    tunables: legacyTunables(),
    classMap: new Map(),
    classNames: new Map(),
    classBuckets: new Map(),
    chooseArgs: [],
  };
}

export function getBucket(map: CrushMap, id: number): Bucket | null {
  if (id >= 0) return null;
  return map.buckets[-1 - id] ?? null;
}

/** Sorted copy of a map's keys (std::map iteration order). */
export function sortedKeys<K extends number | bigint>(m: Map<K, unknown>): K[] {
  return [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
