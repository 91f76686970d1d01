import { hash32, type HashKey } from '../hash';
import type { Server } from '../server';
import { keyOrCounter } from './hash';
import { BaseScheduler, MemberArray } from './types';

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam 2018; HAProxy's
 * `hash-balance-factor`): a ring of virtual nodes (vnodes × weight per server); a key goes to
 * the first server clockwise whose in-flight load stays within
 *   cap = ceil(balanceFactor × (totalInFlight + 1) × weight / totalWeight).
 * No server ever exceeds its cap; keys stay put while their server is under it. Lookup is a
 * binary search (O(log n)) plus a short walk.
 */
export class ConsistentHashBounded extends BaseScheduler {
  readonly name = 'consistent-hash';
  override readonly affinity = true;
  override readonly dynamicWeights = false;
  readonly balanceFactor: number;
  private readonly vnodes: number;
  private readonly members = new MemberArray();
  private points = new Uint32Array(0);
  private owners: Server[] = [];
  private dirty = true;
  private totalInFlight = 0;
  private totalWeight = 0;

  /** balanceFactor ≥ 1 (1.25 = a server takes at most 125 % of the average); 0 disables the bound. */
  constructor(options: { balanceFactor?: number; vnodes?: number } = {}) {
    super();
    this.balanceFactor = options.balanceFactor ?? 1.25;
    this.vnodes = options.vnodes ?? 100;
  }
  get size(): number {
    return this.members.length;
  }
  add(server: Server): void {
    if (this.members.add(server)) {
      this.totalInFlight += server.inFlight;
      this.dirty = true;
    }
  }
  remove(server: Server): void {
    if (this.members.remove(server)) {
      this.totalInFlight -= server.inFlight;
      this.dirty = true;
    }
  }
  override update(): void {
    this.dirty = true;
  }
  override acquired(server: Server): void {
    if (this.members.has(server)) this.totalInFlight++;
  }
  override released(server: Server): void {
    if (this.members.has(server)) this.totalInFlight--;
  }

  /** The cap for a server given the current total load (the load bound of the paper). */
  capacity(server: Server): number {
    return Math.ceil((this.balanceFactor * (this.totalInFlight + 1) * server.weight) / this.totalWeight);
  }

  pick(key?: HashKey): Server | undefined {
    if (this.dirty) this.rebuild();
    const points = this.points;
    const n = points.length;
    if (n === 0) return undefined;
    const h = hash32(keyOrCounter(key));
    // First point >= h (wrapping).
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    if (this.balanceFactor <= 0) return this.owners[lo % n];
    for (let step = 0; step < n; step++) {
      const server = this.owners[(lo + step) % n]!;
      if (server.inFlight + 1 <= this.capacity(server)) return server;
    }
    return undefined;
  }

  private rebuild(): void {
    const entries: { point: number; server: Server }[] = [];
    let totalWeight = 0;
    for (const s of this.members.items) {
      totalWeight += s.weight;
      const count = this.vnodes * Math.max(1, s.weight);
      for (let v = 0; v < count; v++) entries.push({ point: hash32(`${s.id}#${v}`), server: s });
    }
    entries.sort((a, b) => a.point - b.point || (a.server.id < b.server.id ? -1 : 1));
    this.points = Uint32Array.from(entries, (e) => e.point);
    this.owners = entries.map((e) => e.server);
    this.totalWeight = totalWeight;
    this.dirty = false;
  }
}
