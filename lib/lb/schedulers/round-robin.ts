import type { Server } from '../server';
import { ServerHeap } from './heap';
import { BaseScheduler, MemberArray } from './types';

/** Plain round-robin, weights ignored: O(1). */
export class RoundRobin extends BaseScheduler {
  readonly name = 'round-robin';
  private readonly members = new MemberArray();
  private cursor = 0;

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
    const n = this.members.length;
    if (n === 0) return undefined;
    if (this.cursor >= n) this.cursor = 0;
    return this.members.items[this.cursor++];
  }
}

/**
 * nginx's smooth weighted round-robin (ngx_http_upstream_get_peer): every pick adds each
 * member's weight to its current weight, takes the largest, and subtracts the total from it.
 * {a:5, b:1, c:1} gives a a b a c a a. O(n) per pick, as in nginx: use it for pools of up to a
 * few hundred servers; `weighted-round-robin` is the O(log n) equivalent for large pools.
 */
export class SmoothWeightedRoundRobin extends BaseScheduler {
  readonly name = 'smooth-weighted-round-robin';
  private readonly members: Server[] = [];
  private current: number[] = [];

  get size(): number {
    return this.members.length;
  }
  add(server: Server): void {
    if (this.members.includes(server)) return;
    this.members.push(server);
    this.current.push(0);
  }
  remove(server: Server): void {
    const at = this.members.indexOf(server);
    if (at < 0) return;
    this.members.splice(at, 1);
    this.current.splice(at, 1);
  }
  pick(): Server | undefined {
    const members = this.members;
    const current = this.current;
    let best = -1;
    let total = 0;
    for (let i = 0; i < members.length; i++) {
      const w = members[i]!.effectiveWeight;
      current[i]! += w;
      total += w;
      if (best < 0 || current[i]! > current[best]!) best = i;
    }
    if (best < 0) return undefined;
    current[best]! -= total;
    return members[best];
  }
}

/**
 * Weighted round-robin by earliest virtual deadline (the scheme of HAProxy's fwrr and Envoy's
 * EDF scheduler): each server is due every 1/weight; the earliest due goes next. Smooth
 * interleaving, exact long-run shares, O(log n) per pick.
 */
export class WeightedRoundRobin extends BaseScheduler {
  readonly name = 'weighted-round-robin';
  // Due time = start + (picks + 0.5) / weight, computed fresh each time so no error accumulates
  // and servers of different weights tie exactly where they should.
  private readonly slot = new Map<Server, { start: number; picks: number; weight: number }>();
  private readonly heap = new ServerHeap((s) => {
    const e = this.slot.get(s)!;
    return e.start + (e.picks + 0.5) / e.weight;
  });
  private now = 0;

  get size(): number {
    return this.heap.size;
  }
  add(server: Server): void {
    if (this.heap.has(server)) return;
    this.slot.set(server, { start: this.now, picks: 0, weight: Math.max(server.effectiveWeight, 1e-9) });
    this.heap.insert(server);
  }
  remove(server: Server): void {
    this.heap.delete(server);
    this.slot.delete(server);
  }
  override update(server: Server): void {
    const e = this.slot.get(server);
    if (e === undefined) return;
    const weight = Math.max(server.effectiveWeight, 1e-9);
    if (weight === e.weight) return;
    e.start = this.now;
    e.picks = 0;
    e.weight = weight;
    this.heap.rekey(server);
  }
  pick(): Server | undefined {
    const server = this.heap.min();
    if (server === undefined) return undefined;
    const e = this.slot.get(server)!;
    this.now = e.start + (e.picks + 0.5) / e.weight;
    e.picks++;
    this.heap.rekey(server, true);
    return server;
  }
}
