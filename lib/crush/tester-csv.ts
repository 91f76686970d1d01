/**
 * crushtool --test --output-csv: the data files CrushTester writes per rule (Ceph 16's
 * CrushTester.h write_data_set_to_csv), including its quirks, so scripts written against
 * crushtool's files read ours: the files are rewritten for every num_rep (the last one stays),
 * the placement header has one OSD column per --num-rep (none without it), the batch headers
 * have one column per row of device_utilization, and the "expected" batch file holds the
 * stored counts, as crushtool writes them.
 */
import { cG } from './format';

export interface CsvOutput {
  /** Prefix of every file name (crushtool --output-name NAME gives "NAME-"). */
  prefix: string;
  /** Receives each file: name relative to the working directory, and its text. */
  write: (file: string, text: string) => void;
}

/** The x ranges of CrushTester's batches: equal parts, the last one up to maxX. */
export function batchRanges(minX: number, maxX: number, batches: number): Array<[number, number]> {
  const perBatch = Math.trunc((maxX - minX + 1) / batches);
  const ranges: Array<[number, number]> = [];
  for (let b = 0; b < batches; b++) {
    const start = minX + b * perBatch;
    ranges.push([start, b === batches - 1 ? maxX : start + perBatch - 1]);
  }
  return ranges;
}

/** One rule and num_rep's worth of data, filled while mapping. */
export class CsvDataSet {
  private readonly placement: string[] = [];
  private readonly batchCounts: Array<Int32Array | undefined>;

  constructor(
    private readonly devices: number,
    private readonly ranges: Array<[number, number]>,
  ) {
    this.batchCounts = ranges.map(() => undefined);
  }

  /** Records one mapping; x is the test input, not the pool-hashed value. */
  add(x: number, items: ArrayLike<number>): void {
    this.placement.push(items.length ? `${x},${Array.prototype.join.call(items, ',')}\n` : `${x}\n`);
    const batch = this.ranges.findIndex(([lo, hi]) => x >= lo && x <= hi);
    if (batch < 0) return;
    const counts = (this.batchCounts[batch] ??= new Int32Array(this.devices));
    for (let k = 0; k < items.length; k++) {
      const item = items[k]!;
      if (item >= 0 && item < this.devices) counts[item]!++;
    }
  }

  /** Writes the files of one rule; weights are 16.16, proportional and expected are floats. */
  write(out: CsvOutput, ruleName: string, numRepOption: number | undefined, weight: Uint32Array, proportional: Float32Array, per: Int32Array, expected: Float32Array): void {
    const tag = `${out.prefix}${ruleName}`;
    const utilization: string[] = [];
    const utilizationAll: string[] = [];
    for (let i = 0; i < this.devices; i++) {
      const row = `${i},${cG(Math.fround(per[i]!))},${cG(expected[i]!)}\n`;
      utilizationAll.push(row);
      if (expected[i]! > 0 && per[i]! > 0) utilization.push(row);
    }
    const weights = (keep: (i: number) => boolean, value: (i: number) => number): string => {
      let text = '';
      for (let i = 0; i < this.devices; i++) if (keep(i)) text += `${i},${cG(value(i))}\n`;
      return text;
    };
    let placementHeader = 'Input';
    for (let i = 0; i < (numRepOption ?? -1); i++) placementHeader += `, OSD${i}`;
    out.write(`${tag}-device_utilization.csv`, 'Device ID, Number of Objects Stored, Number of Objects Expected\n' + utilization.join(''));
    out.write(`${tag}-device_utilization_all.csv`, 'Device ID, Number of Objects Stored, Number of Objects Expected\n' + utilizationAll.join(''));
    out.write(`${tag}-placement_information.csv`, placementHeader + '\n' + this.placement.join(''));
    out.write(`${tag}-proportional_weights.csv`, 'Device ID, Proportional Weight\n' + weights((i) => proportional[i]! > 0, (i) => proportional[i]!));
    out.write(`${tag}-proportional_weights_all.csv`, 'Device ID, Proportional Weight\n' + weights(() => true, (i) => proportional[i]!));
    out.write(`${tag}-absolute_weights.csv`, 'Device ID, Absolute Weight\n' + weights(() => true, (i) => Math.fround(weight[i]!) / 0x10000));
    if (this.ranges.length > 1) {
      const columns = (label: string): string => 'Batch Round' + utilization.map((_, i) => `, Objects ${label} on OSD${i}`).join('') + '\n';
      const rows = this.batchCounts.map((counts, b) => (counts ? `${b},${counts.join(',')}\n` : `${b}\n`)).join('');
      out.write(`${tag}-batch_device_utilization_all.csv`, columns('Stored') + rows);
      out.write(`${tag}-batch_device_expected_utilization_all.csv`, columns('Expected') + rows);
    }
  }
}
