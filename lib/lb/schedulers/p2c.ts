import { xorshift32 } from '../hash';
import type { Server } from '../server';
import { BaseScheduler, MemberArray } from './types';

/**
 * Power of two choices (Mitzenmacher): two distinct random members, keep the one with the lower
 * (inFlight + 1) / weight. O(1), nearly as good as least-connections without global state.
 */
export class PowerOfTwoChoices extends BaseScheduler {
  readonly name = 'power-of-two-choices';
  private readonly members = new MemberArray();
  constructor(private readonly random: () => number = xorshift32((Date.now() ^ process.pid) >>> 0)) {
    super();
  }
  get size(): number {
    return this.members.length;
  }
  add(server: Server): void {
    this.members.add(server);
  }
  remove(server: Server): void {
    this.members.remove(server);
  }
  pick(): Server | undefined {
    const items = this.members.items;
    const n = items.length;
    if (n <= 1) return items[0];
    const i = Math.floor(this.random() * n);
    let j = Math.floor(this.random() * (n - 1));
    if (j >= i) j++;
    const a = items[i]!;
    const b = items[j]!;
    const la = (a.inFlight + 1) / Math.max(a.effectiveWeight, 1e-9);
    const lb = (b.inFlight + 1) / Math.max(b.effectiveWeight, 1e-9);
    return lb < la ? b : a;
  }
}
