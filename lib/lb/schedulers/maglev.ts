import { gcd, hash32, isPrime, nextPrime, type HashKey } from '../hash';
import type { Server } from '../server';
import { keyOrCounter } from './hash';
import { BaseScheduler, MemberArray } from './types';

const SEED_OFFSET = 0x4d41474c; // "MAGL"
const SEED_SKIP = 0x45563031;

/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016, §3.4): each server walks its own
 * permutation of a prime-sized table (offset, skip from two hashes of its id) and servers take
 * turns claiming their next free slot; weights give a server weight/gcd turns per round (as
 * Linux IPVS's mh scheduler does). Removing one of N servers moves about 1/N of the keys.
 * The table size is a prime above 100 × members and only ever grows (a changing size would
 * remap everything). Lookup O(1); rebuild O(M log M), lazily on the next pick after a change.
 */
export class Maglev extends BaseScheduler {
  readonly name = 'maglev';
  override readonly affinity = true;
  override readonly dynamicWeights = false;
  private readonly members = new MemberArray();
  private table = new Int32Array(0);
  private tableServers: Server[] = [];
  private dirty = true;
  private tableSize: number;

  constructor(options: { tableSize?: number } = {}) {
    super();
    this.tableSize = options.tableSize ?? 65537;
    if (!isPrime(this.tableSize)) this.tableSize = nextPrime(this.tableSize);
  }
  get size(): number {
    return this.members.length;
  }
  get M(): number {
    return this.tableSize;
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
    if (this.tableServers.length === 0) return undefined;
    return this.tableServers[this.table[hash32(keyOrCounter(key)) % this.tableSize]!];
  }

  /** Table slots owned by each member (their share of the key space). */
  shares(): Map<Server, number> {
    if (this.dirty) this.rebuild();
    const out = new Map<Server, number>();
    for (const s of this.tableServers) out.set(s, 0);
    for (let i = 0; i < this.table.length; i++) {
      const s = this.tableServers[this.table[i]!]!;
      out.set(s, out.get(s)! + 1);
    }
    return out;
  }

  private rebuild(): void {
    const servers = [...this.members.items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const n = servers.length;
    if (this.tableSize <= 100 * n) this.tableSize = nextPrime(200 * n);
    const M = this.tableSize;
    const table = new Int32Array(M).fill(-1);
    this.tableServers = servers;
    this.dirty = false;
    if (n === 0) {
      this.table = table;
      return;
    }
    let g = 0;
    for (const s of servers) g = gcd(s.weight, g);
    const turns = servers.map((s) => Math.max(1, Math.round(s.weight / (g || 1))));
    const offset = new Float64Array(n);
    const skip = new Float64Array(n);
    const next = new Float64Array(n); // position in each server's permutation
    for (let i = 0; i < n; i++) {
      offset[i] = hash32(servers[i]!.id, SEED_OFFSET) % M;
      skip[i] = (hash32(servers[i]!.id, SEED_SKIP) % (M - 1)) + 1;
    }
    let filled = 0;
    for (;;) {
      for (let i = 0; i < n; i++) {
        for (let t = 0; t < turns[i]!; t++) {
          // Next unclaimed slot of server i's permutation: (offset + j·skip) mod M.
          let slot = (offset[i]! + next[i]! * skip[i]!) % M;
          while (table[slot]! >= 0) {
            next[i]!++;
            slot = (offset[i]! + next[i]! * skip[i]!) % M;
          }
          table[slot] = i;
          next[i]!++;
          if (++filled === M) {
            this.table = table;
            return;
          }
        }
      }
    }
  }
}
