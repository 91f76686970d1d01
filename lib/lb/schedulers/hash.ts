import { gcd, hash32, type HashKey } from '../hash';
import type { Server } from '../server';
import { BaseScheduler, MemberArray } from './types';

/** Hash schedulers without a key (a caller that has none) fall back to spreading by a counter. */
let anonymous = 0;
export function keyOrCounter(key: HashKey | undefined): HashKey {
  return key === undefined ? anonymous++ : key;
}

/**
 * Source/IP hash, map-based like HAProxy's `balance source`: a table where each member appears
 * weight/gcd times, indexed by hash(key) mod length. O(1) pick; any membership change remaps
 * keys (use maglev or consistent-hash when that matters). Members are ordered by id so the map
 * does not depend on the order changes arrived in.
 */
export class SourceHash extends BaseScheduler {
  readonly name: string = 'source-hash';
  override readonly affinity = true;
  override readonly dynamicWeights = false;
  private readonly members = new MemberArray();
  private table: Server[] = [];
  private dirty = true;

  get size(): number {
    return this.members.length;
  }
  add(server: Server): void {
    if (this.members.add(server)) this.dirty = true;
  }
  remove(server: Server): void {
    if (this.members.remove(server)) this.dirty = true;
  }
  override update(): void {
    this.dirty = true;
  }
  pick(key?: HashKey): Server | undefined {
    if (this.dirty) this.rebuild();
    const n = this.table.length;
    if (n === 0) return undefined;
    return this.table[hash32(keyOrCounter(key)) % n];
  }
  private rebuild(): void {
    const sorted = [...this.members.items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let g = 0;
    for (const s of sorted) g = gcd(s.weight, g);
    const table: Server[] = [];
    for (const s of sorted) for (let i = 0; i < s.weight / (g || 1); i++) table.push(s);
    this.table = table;
    this.dirty = false;
  }
}
