/**
 * What operators ask before changing a map: how evenly a rule spreads data (utilization and
 * deviation per device) and how much data moves between two maps (which inputs/PGs change
 * their mapping and what fraction of the replicas lands on a different device). Both run on
 * the native batch mapper.
 */
import { CompiledCrushMap } from './compiled';
import { maximumAffectedByRule } from './tester';
import { ITEM_NONE } from './types';
import type { PoolPlacement } from './placement';

export interface UtilizationReport {
  rule: number;
  numrep: number;
  inputs: number;
  devices: Array<{ id: number; stored: number; expected: number; deviation: number }>;
  /** Standard deviation of stored - expected over devices with weight. */
  stddev: number;
  /** Largest |stored/expected - 1| over devices with weight. */
  maxRelativeDeviation: number;
}

/** Per-device placement counts for x in [minX, maxX] against crushtool's expectation. */
export function utilization(
  compiled: CompiledCrushMap,
  options: { rule: number; numrep: number; minX?: number; maxX?: number; weights?: Uint32Array; poolId?: number; threads?: number },
): UtilizationReport {
  const minX = options.minX ?? 0;
  const maxX = options.maxX ?? 1023;
  const count = maxX - minX + 1;
  const weights = options.weights ?? compiled.defaultWeights();
  const res = compiled.mapBatch({ rule: options.rule, numrep: options.numrep, minX, count, weights, poolId: options.poolId, threads: options.threads });
  const per = new Float64Array(compiled.map.maxDevices);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < res.lengths[i]!; k++) {
      const o = res.items[i * options.numrep + k]!;
      if (o !== ITEM_NONE && o >= 0 && o < per.length) per[o]!++;
    }
  }
  let total = 0;
  for (const w of weights) total += w;
  const expectedAll = Math.min(options.numrep, maximumAffectedByRule(compiled, options.rule)) * count;
  const devices: UtilizationReport['devices'] = [];
  let sq = 0;
  let maxRel = 0;
  for (let i = 0; i < per.length; i++) {
    const expected = total ? (weights[i] ?? 0) / total * expectedAll : 0;
    if (expected <= 0 && per[i] === 0) continue;
    const deviation = per[i]! - expected;
    devices.push({ id: i, stored: per[i]!, expected, deviation });
    sq += deviation * deviation;
    if (expected > 0) maxRel = Math.max(maxRel, Math.abs(per[i]! / expected - 1));
  }
  return { rule: options.rule, numrep: options.numrep, inputs: count, devices, stddev: devices.length ? Math.sqrt(sq / devices.length) : 0, maxRelativeDeviation: maxRel };
}

export interface MovementReport {
  inputs: number;
  /** Inputs (x or PG) whose result differs at all. */
  changed: number;
  changedFraction: number;
  /** Replica slots in the new results whose device was not in the old result. */
  movedReplicas: number;
  replicas: number;
  /** movedReplicas / replicas: the share of the data that has to move. */
  movedFraction: number;
  /** Per device: replicas arriving and leaving. */
  perDevice: Map<number, { in: number; out: number }>;
  /** Which inputs changed (x values, or PG seeds for pools). */
  changedInputs: number[];
}

function movement(a: (i: number) => number[], b: (i: number) => number[], n: number, inputOf: (i: number) => number): MovementReport {
  const perDevice = new Map<number, { in: number; out: number }>();
  const bump = (id: number, key: 'in' | 'out') => {
    const e = perDevice.get(id) ?? { in: 0, out: 0 };
    e[key]++;
    perDevice.set(id, e);
  };
  let changed = 0;
  let moved = 0;
  let replicas = 0;
  const changedInputs: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = a(i);
    const after = b(i);
    const valid = after.filter((o) => o !== ITEM_NONE);
    replicas += valid.length;
    if (before.length !== after.length || before.some((o, k) => o !== after[k])) {
      changed++;
      changedInputs.push(inputOf(i));
    }
    const old = new Set(before);
    const now = new Set(after);
    for (const o of valid) {
      if (!old.has(o)) {
        moved++;
        bump(o, 'in');
      }
    }
    for (const o of before) if (o !== ITEM_NONE && !now.has(o)) bump(o, 'out');
  }
  return { inputs: n, changed, changedFraction: n ? changed / n : 0, movedReplicas: moved, replicas, movedFraction: replicas ? moved / replicas : 0, perDevice, changedInputs };
}

/** Data movement between two maps for one rule over x in [minX, maxX]. */
export function compareMaps(
  a: CompiledCrushMap,
  b: CompiledCrushMap,
  options: { rule: number; numrep: number; minX?: number; maxX?: number; weights?: Uint32Array; poolId?: number; threads?: number },
): MovementReport {
  const minX = options.minX ?? 0;
  const count = (options.maxX ?? 1023) - minX + 1;
  const common = { rule: options.rule, numrep: options.numrep, minX, count, poolId: options.poolId, threads: options.threads };
  const ra = a.ruleExists(options.rule) ? a.mapBatch({ ...common, weights: options.weights ?? a.defaultWeights() }) : undefined;
  const rb = b.ruleExists(options.rule) ? b.mapBatch({ ...common, weights: options.weights ?? b.defaultWeights() }) : undefined;
  return movement((i) => ra?.get(i) ?? [], (i) => rb?.get(i) ?? [], count, (i) => minX + i);
}

/** Data movement of every PG of a pool between two placements (e.g. before/after a change). */
export function comparePools(before: PoolPlacement, after: PoolPlacement, options: { threads?: number } = {}): MovementReport {
  const a = before.allPgs(options);
  const b = after.allPgs(options);
  return movement((i) => a[i]?.acting ?? [], (i) => b[i]?.acting ?? [], Math.max(a.length, b.length), (i) => i);
}
