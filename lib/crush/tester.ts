/**
 * crushtool --test, output for output: Ceph 16's CrushTester::test (weights from
 * check_item_present and --weight, per-rule statistics, utilization with float expected
 * counts, bad mappings), computed with the native batch mapper.
 */
import type { CompiledCrushMap } from './compiled';
import { cG } from './format';
import { type CsvOutput, CsvDataSet, batchRanges } from './tester-csv';
import { ITEM_NONE } from './types';

export interface TestOptions {
  /** Rule id; default: every rule 0..max_rules-1. */
  rule?: number;
  /** Fixed result size; default: each size from the rule's min_size to max_size. */
  numRep?: number;
  minX?: number;
  maxX?: number;
  /** crushtool --weight OSD W (float reweights, clamped to [0, 1]). */
  weights?: Array<[number, number]>;
  poolId?: number;
  showMappings?: boolean;
  showStatistics?: boolean;
  showUtilization?: boolean;
  showUtilizationAll?: boolean;
  showBadMappings?: boolean;
  /** Print the histogram of retries per choice (choose_total_tries rows), after every rule. */
  showChooseTries?: boolean;
  /** crushtool --output-csv: CrushTester's data files, per rule. */
  csv?: CsvOutput;
  /** crushtool --batches: split x into this many rounds for the batch CSV files (default 1). */
  batches?: number;
  threads?: number;
}

/** CrushTester::set_device_weight: (int)(f * 0x10000) in float, clamped to 0..0x10000. */
export function reweightFixed(f: number): number {
  const w = Math.trunc(Math.fround(Math.fround(f) * 65536));
  return Math.min(0x10000, Math.max(0, w | 0));
}

/** CrushTester::get_maximum_affected_by_rule. */
export function maximumAffectedByRule(compiled: CompiledCrushMap, ruleno: number): number {
  const map = compiled.map;
  const rule = map.rules[ruleno]!;
  const affected: number[] = [];
  const replications = new Map<number, number>();
  for (const s of rule.steps) {
    if (s.op >= 2 && s.op !== 4) {
      affected.push(s.arg2);
      replications.set(s.arg2, s.arg1);
    }
  }
  const ofType = new Map<number, number>();
  for (const t of affected) {
    for (const id of map.names.keys()) {
      const b = id < 0 ? map.buckets[-1 - id] : null;
      const type = b ? b.type : -2; // get_bucket_type of a non-bucket is an error code
      if (type === t) ofType.set(t, (ofType.get(t) ?? 0) + 1);
    }
  }
  for (const t of affected) {
    const r = replications.get(t) ?? 0;
    if (r > 0 && r < (ofType.get(t) ?? 0)) ofType.set(t, r);
  }
  let maxAffected = Math.max(map.buckets.length, map.maxDevices);
  for (const t of affected) {
    const n = ofType.get(t) ?? 0;
    if (n > 0 && n < maxAffected) maxAffected = n;
  }
  return maxAffected;
}

/** Runs the test and returns what crushtool prints on stdout. */
export function runTest(compiled: CompiledCrushMap, options: TestOptions, write: (text: string) => void, writeErr: (text: string) => void = () => {}): void {
  const map = compiled.map;
  // CrushTester: unless both ends are given (and not negative), x runs over 0..1023
  const ranged = options.minX !== undefined && options.maxX !== undefined && options.minX >= 0 && options.maxX >= 0;
  const minX = ranged ? options.minX! : 0;
  const maxX = ranged ? options.maxX! : 1023;
  const weight = Uint32Array.from(compiled.defaultWeights());
  for (const [osd, w] of options.weights ?? []) if (osd >= 0 && osd < weight.length) weight[osd] = reweightFixed(w);
  if (options.showUtilizationAll) writeErr(`devices weights (hex): [${Array.from(weight, (w) => w.toString(16)).join(',')}]\n`);
  const statistics = options.showStatistics || options.showUtilization || options.showUtilizationAll;
  const rules = options.rule === undefined ? map.rules.map((_, i) => i) : [options.rule];
  const count = Math.max(0, maxX - minX + 1);
  const profile = options.showChooseTries ? compiled.chooseProfile() : undefined;
  for (const r of rules) {
    if (r >= map.rules.length) continue;
    const rule = map.rules[r];
    if (!rule) {
      if (statistics) write(`rule ${r} dne\n`);
      continue;
    }
    const minr = options.numRep ?? rule.minSize;
    const maxr = options.numRep ?? rule.maxSize;
    const name = map.ruleNames.get(r) ?? '';
    if (statistics) write(`rule ${r} (${name}), x = ${minX}..${maxX}, numrep = ${minr}..${maxr}\n`);
    for (let nr = minr; nr <= maxr; nr++) {
      let totalWeight = 0;
      for (const w of weight) totalWeight = (totalWeight + w) | 0;
      if (totalWeight === 0) continue;
      const per = new Int32Array(map.maxDevices);
      const sizes = new Map<number, number>();
      const csv = options.csv ? new CsvDataSet(map.maxDevices, batchRanges(minX, maxX, options.batches ?? 1)) : undefined;
      if (nr > 0) {
        const chunk = 1 << 20;
        for (let start = 0; start < count; start += chunk) {
          const n = Math.min(chunk, count - start);
          const res = compiled.mapBatch({ rule: r, numrep: nr, minX: minX + start, count: n, poolId: options.poolId, weights: weight, threads: options.threads, chooseProfile: profile });
          const lines: string[] = [];
          for (let i = 0; i < n; i++) {
            const len = res.lengths[i]!;
            const base = i * nr;
            let hasNone = false;
            for (let k = 0; k < len; k++) {
              const item = res.items[base + k]!;
              if (item === ITEM_NONE) hasNone = true;
              else if (item >= 0 && item < per.length) per[item]!++;
            }
            sizes.set(len, (sizes.get(len) ?? 0) + 1);
            csv?.add(minX + start + i, res.items.subarray(base, base + len));
            if (options.showMappings || (options.showBadMappings && (len !== nr || hasNone))) {
              const list = `[${Array.from(res.items.subarray(base, base + len)).join(',')}]`;
              const x = minX + start + i;
              if (options.showMappings) lines.push(`CRUSH rule ${r} x ${x} ${list}\n`);
              if (options.showBadMappings && (len !== nr || hasNone)) lines.push(`bad mapping rule ${r} x ${x} num_rep ${nr} result ${list}\n`);
            }
          }
          if (lines.length) write(lines.join(''));
        }
      } else {
        // crush_do_rule returns nothing for numrep <= 0
        sizes.set(0, count);
        if (csv) for (let i = 0; i < count; i++) csv.add(minX + i, []);
        if (options.showMappings || options.showBadMappings) {
          const lines: string[] = [];
          for (let i = 0; i < count; i++) {
            if (options.showMappings) lines.push(`CRUSH rule ${r} x ${minX + i} []\n`);
            if (options.showBadMappings && nr !== 0) lines.push(`bad mapping rule ${r} x ${minX + i} num_rep ${nr} result []\n`);
          }
          write(lines.join(''));
        }
      }
      const expectedObjects = Math.fround(Math.min(nr, maximumAffectedByRule(compiled, r)) * count);
      const proportional = new Float32Array(per.length);
      const expected = new Float32Array(per.length);
      for (let i = 0; i < per.length; i++) {
        proportional[i] = Math.fround(weight[i]!) / Math.fround(totalWeight);
        expected[i] = proportional[i]! * expectedObjects;
      }
      if (csv) csv.write(options.csv!, name, options.numRep, weight, proportional, per, expected);
      if (statistics) {
        for (const size of [...sizes.keys()].sort((a, b) => a - b)) write(`rule ${r} (${name}) num_rep ${nr} result size == ${size}:\t${sizes.get(size)}/${count}\n`);
        const lines: string[] = [];
        for (let i = 0; i < per.length; i++) {
          if (options.showUtilization) {
            if (expected[i]! > 0 && per[i]! > 0) lines.push(`  device ${i}:\t\t stored : ${per[i]}\t expected : ${cG(expected[i]!)}\n`);
          } else if (options.showUtilizationAll) {
            lines.push(`  device ${i}:\t\t stored : ${per[i]}\t expected : ${cG(expected[i]!)}\n`);
          }
        }
        if (lines.length) write(lines.join(''));
      }
    }
  }
  if (profile) {
    // CrushTester prints choose_total_tries rows: setw(2) index, setw(9) count.
    const rows: string[] = [];
    for (let i = 0; i < map.tunables.chooseTotalTries; i++) rows.push(`${String(i).padStart(2)}: ${String(profile[i]).padStart(9)}\n`);
    write(rows.join(''));
  }
}
