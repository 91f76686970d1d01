/**
 * PG count planning exactly as Ceph 16.2's pg_autoscaler mgr module computes it
 * (src/pybind/mgr/pg_autoscaler/module.py: subtrees by CRUSH root, target ratios normalised
 * per root, three passes: non-bulk pools by usage, bulk pools above the even share, the rest
 * evenly; quantised to the nearest power of two; adjusted when off by more than the threshold).
 */
import { ArgumentError, check } from '../errors';

/** The module's PG_NUM_MIN in 16.2 (per-pool pg_num_min overrides it). */
export const PG_NUM_MIN = 32;

export interface AutoscalePool {
  id: number;
  name: string;
  /** The pool's size (replicas, or k+m). */
  size: number;
  /** Raw bytes per stored byte: size for replicated pools, (k+m)/k for erasure-coded ones. */
  rawUsedRate: number;
  /** The CRUSH root the pool's rule takes first. */
  root: number;
  /** pg_num_target today. */
  pgNumTarget: number;
  /** Bytes stored (ceph df's `stored`). */
  storedBytes?: number;
  targetSizeRatio?: number;
  targetSizeBytes?: number;
  bias?: number;
  pgNumMin?: number;
  pgNumMax?: number;
  bulk?: boolean;
  autoscaleMode?: 'on' | 'off' | 'warn';
}

export interface AutoscaleInput {
  pools: AutoscalePool[];
  /** OSD ids under each CRUSH root that a pool uses. */
  rootOsds: Record<number, number[]>;
  /** Each OSD's raw capacity in bytes (osd_stats kb * 1024). */
  osdCapacityBytes: Record<number, number>;
  /** mon_target_pg_per_osd (default 100). */
  targetPgPerOsd?: number;
  /** How far off pg_num may be before it is changed (default 3.0, at least 2). */
  threshold?: number;
}

export interface AutoscaleResult {
  poolId: number;
  poolName: string;
  crushRootId: number;
  pgAutoscaleMode: string;
  pgNumTarget: number;
  logicalUsed: number;
  targetBytes: number;
  rawUsedRate: number;
  subtreeCapacity: number;
  actualRawUsed: number;
  rawUsed: number;
  actualCapacityRatio: number;
  capacityRatio: number;
  targetRatio: number;
  effectiveTargetRatio: number;
  pgNumIdeal: number;
  pgNumFinal: number;
  wouldAdjust: boolean;
  bias: number;
  bulk: boolean;
}

/** module.py nearest_power_of_two (ties go up). */
export function nearestPowerOfTwo(n: number): number {
  let v = Math.trunc(n);
  v -= 1;
  // Python ints: shifting a negative number keeps its sign; so does >> in JS for 32-bit values.
  v |= v >> 1;
  v |= v >> 2;
  v |= v >> 4;
  v |= v >> 8;
  v |= v >> 16;
  v += 1;
  const x = v >> 1;
  return v - n > n - x ? x : v;
}

interface Subtree {
  rootIds: number[];
  osds: Set<number>;
  poolIds: number[];
  pgTarget: number;
  pgLeft: number;
  capacity: number;
  poolCount: number;
  poolUsed: number;
  totalTargetRatio: number;
  totalTargetBytes: number;
}

function effectiveTargetRatio(targetRatio: number, totalTargetRatio: number, totalTargetBytes: number, capacity: number): number {
  let ratio = targetRatio;
  if (totalTargetRatio) ratio = ratio / totalTargetRatio;
  if (totalTargetBytes && capacity) ratio *= 1.0 - Math.min(1.0, totalTargetBytes / capacity);
  return ratio;
}

/** What the autoscaler would set each pool's pg_num to, with its intermediate figures. */
export function planPgCounts(input: AutoscaleInput): AutoscaleResult[] {
  if (typeof input !== 'object' || input === null || !Array.isArray(input.pools)) throw new ArgumentError('input.pools must be an array', { argument: 'input' });
  const perOsd = check.integer('targetPgPerOsd', input.targetPgPerOsd ?? 100, 1, 100000);
  const threshold = check.number('threshold', input.threshold ?? 3.0);
  if (threshold < 2) throw new ArgumentError('threshold must be at least 2', { argument: 'threshold' });
  const pools = [...input.pools].sort((a, b) => a.id - b.id);
  for (const [i, p] of pools.entries()) {
    check.integer(`pools[${i}].id`, p.id, 0);
    check.string(`pools[${i}].name`, p.name);
    check.integer(`pools[${i}].size`, p.size, 1, 1024);
    check.number(`pools[${i}].rawUsedRate`, p.rawUsedRate);
    check.integer(`pools[${i}].pgNumTarget`, p.pgNumTarget, 1);
    if (!Array.isArray(input.rootOsds[p.root])) throw new ArgumentError(`rootOsds has no entry for root ${p.root} of pool ${p.name}`, { argument: 'rootOsds' });
  }

  // identify_subtrees_and_overlaps: pools whose roots share OSDs share a subtree.
  const byRoot = new Map<number, Subtree>();
  const subtrees: Subtree[] = [];
  const overlapped = new Set<number>();
  for (const p of pools) {
    const osds = new Set(input.rootOsds[p.root]!);
    let s: Subtree | undefined;
    for (const [prevRoot, prev] of byRoot) {
      if ([...osds].some((o) => prev.osds.has(o))) {
        s = prev;
        if (prevRoot !== p.root) {
          overlapped.add(prevRoot);
          overlapped.add(p.root);
        }
        break;
      }
    }
    if (!s) {
      s = { rootIds: [], osds: new Set(), poolIds: [], pgTarget: 0, pgLeft: 0, capacity: 0, poolCount: 0, poolUsed: 0, totalTargetRatio: 0, totalTargetBytes: 0 };
      subtrees.push(s);
    }
    byRoot.set(p.root, s);
    s.rootIds.push(p.root);
    for (const o of osds) s.osds.add(o);
    s.poolIds.push(p.id);
    const ratio = p.targetSizeRatio ?? 0;
    if (ratio) s.totalTargetRatio += ratio;
    else if (p.targetSizeBytes) s.totalTargetBytes += p.targetSizeBytes * p.rawUsedRate;
  }
  for (const s of subtrees) {
    s.pgTarget = s.osds.size * perOsd;
    s.pgLeft = s.pgTarget;
    s.poolCount = s.poolIds.length;
    let capacity = 0;
    for (const o of s.osds) capacity += input.osdCapacityBytes[o] ?? 0;
    s.capacity = capacity;
  }

  const results: AutoscaleResult[] = [];
  type Pass = 'first' | 'second' | 'third';
  const run = (list: AutoscalePool[], pass: Pass): { bulk: AutoscalePool[]; even: AutoscalePool[] } => {
    const bulkPools: AutoscalePool[] = [];
    const evenPools: AutoscalePool[] = [];
    for (const p of list) {
      if (overlapped.has(p.root)) continue;
      const s = byRoot.get(p.root)!;
      const capacity = s.capacity;
      if (capacity === 0) continue;
      const used = p.storedBytes ?? 0;
      const bias = p.bias ?? 1.0;
      const ratioSetting = p.targetSizeRatio ?? 0;
      const targetBytes = ratioSetting === 0 ? (p.targetSizeBytes ?? 0) : 0;
      const actualRawUsed = used * p.rawUsedRate;
      const actualCapacityRatio = actualRawUsed / capacity;
      const rawUsed = Math.max(used, targetBytes) * p.rawUsedRate;
      let capacityRatio = rawUsed / capacity;
      const targetRatio = effectiveTargetRatio(ratioSetting, s.totalTargetRatio, s.totalTargetBytes, capacity);
      const bulk = p.bulk ?? false;
      capacityRatio = Math.max(capacityRatio, targetRatio);

      // _calc_final_pg_target
      let finalRatio: number;
      let poolPgTarget: number;
      if (pass === 'first') {
        if (bulk) {
          bulkPools.push(p);
          continue;
        }
        finalRatio = capacityRatio;
        const usedPg = finalRatio * s.pgLeft;
        s.pgLeft -= Math.trunc(usedPg);
        s.poolUsed += 1;
        poolPgTarget = (usedPg / p.size) * bias;
      } else if (pass === 'second') {
        const evenRatio = 1 / (s.poolCount - s.poolUsed);
        if (capacityRatio > evenRatio) s.poolUsed += 1;
        else {
          evenPools.push(p);
          continue;
        }
        finalRatio = Math.max(capacityRatio, evenRatio);
        const usedPg = finalRatio * s.pgLeft;
        s.pgLeft -= Math.trunc(usedPg);
        poolPgTarget = (usedPg / p.size) * bias;
      } else {
        finalRatio = 1 / (s.poolCount - s.poolUsed);
        poolPgTarget = ((finalRatio * s.pgLeft) / p.size) * bias;
      }
      let finalPgTarget = Math.max(p.pgNumMin ?? PG_NUM_MIN, nearestPowerOfTwo(poolPgTarget));
      if (p.pgNumMax && p.pgNumMax < finalPgTarget) finalPgTarget = p.pgNumMax;

      const mode = p.autoscaleMode ?? 'on';
      const wouldAdjust =
        (finalPgTarget > p.pgNumTarget * threshold || finalPgTarget < p.pgNumTarget / threshold) && finalRatio >= 0.0 && finalRatio <= 1.0 && mode === 'on';
      results.push({
        poolId: p.id,
        poolName: p.name,
        crushRootId: p.root,
        pgAutoscaleMode: mode,
        pgNumTarget: p.pgNumTarget,
        logicalUsed: used,
        targetBytes,
        rawUsedRate: p.rawUsedRate,
        subtreeCapacity: capacity,
        actualRawUsed,
        rawUsed,
        actualCapacityRatio,
        capacityRatio,
        targetRatio: ratioSetting,
        effectiveTargetRatio: targetRatio,
        pgNumIdeal: Math.trunc(poolPgTarget) + 0, // + 0: Python has no negative zero
        pgNumFinal: finalPgTarget,
        wouldAdjust,
        bias,
        bulk,
      });
    }
    return { bulk: bulkPools, even: evenPools };
  };
  const { bulk } = run(pools, 'first');
  const { even } = run(bulk, 'second');
  run(even, 'third');
  return results;
}

/** AutoscalePool entries from `ceph osd dump -f json` pools plus the erasure-code profiles. */
export function autoscalePoolsFromDump(
  dump: { pools: Array<Record<string, unknown>>; erasure_code_profiles?: Record<string, Record<string, string>> },
  rootOfRule: (ruleId: number) => number,
  storedBytes: Record<number, number> = {},
): AutoscalePool[] {
  return dump.pools.map((p) => {
    const options = (p.options ?? {}) as Record<string, number>;
    const size = p.size as number;
    let rawUsedRate = size;
    if (p.type === 3) {
      const profile = dump.erasure_code_profiles?.[p.erasure_code_profile as string] ?? {};
      const k = Number(profile.k);
      const m = Number(profile.m);
      if (k > 0 && m >= 0) rawUsedRate = (k + m) / k;
    }
    return {
      id: p.pool as number,
      name: p.pool_name as string,
      size,
      rawUsedRate,
      root: rootOfRule(p.crush_rule as number),
      pgNumTarget: (p.pg_num_target ?? p.pg_num) as number,
      storedBytes: storedBytes[p.pool as number] ?? 0,
      targetSizeRatio: options.target_size_ratio,
      targetSizeBytes: options.target_size_bytes,
      bias: options.pg_autoscale_bias,
      pgNumMin: options.pg_num_min,
      pgNumMax: options.pg_num_max,
      bulk: String(p.flags_names ?? '').split(',').includes('bulk'),
      autoscaleMode: (p.pg_autoscale_mode as 'on' | 'off' | 'warn') ?? 'on',
    };
  });
}
