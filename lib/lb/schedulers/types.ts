import type { HashKey } from '../hash';
import type { Server } from '../server';

/**
 * A scheduler chooses among the pool's current members: the usable servers of the active tier
 * (primaries, or backups while no primary is up). The pool tells it about every change
 * incrementally, so one server's change never resets the others' state (counters, smooth
 * weights, hash positions).
 */
export interface Scheduler {
  readonly name: string;
  /** Hash schedulers keep affinity: the pool does not retry another server when the chosen one is full. */
  readonly affinity: boolean;
  /** Effective-weight changes (slow start, agent %) are applied; static hash schedulers ignore them. */
  readonly dynamicWeights: boolean;
  add(server: Server): void;
  remove(server: Server): void;
  /** The server's effective weight changed. */
  update(server: Server): void;
  /** Called after the pool incremented server.inFlight / before it decrements. */
  acquired(server: Server): void;
  released(server: Server): void;
  /** Called after a response-time sample updated server.responseTimeEwmaMs. */
  observed(server: Server): void;
  pick(key?: HashKey): Server | undefined;
  readonly size: number;
}

/** Base for schedulers that do not care about some notifications. */
export abstract class BaseScheduler implements Scheduler {
  abstract readonly name: string;
  readonly affinity: boolean = false;
  readonly dynamicWeights: boolean = true;
  abstract add(server: Server): void;
  abstract remove(server: Server): void;
  abstract pick(key?: HashKey): Server | undefined;
  abstract readonly size: number;
  update(_server: Server): void {}
  acquired(_server: Server): void {}
  released(_server: Server): void {}
  observed(_server: Server): void {}
}

/** Members in an array with O(1) add/remove (swap with last) and O(1) index lookup. */
export class MemberArray {
  readonly items: Server[] = [];
  private readonly index = new Map<Server, number>();

  has(server: Server): boolean {
    return this.index.has(server);
  }
  add(server: Server): boolean {
    if (this.index.has(server)) return false;
    this.index.set(server, this.items.length);
    this.items.push(server);
    return true;
  }
  remove(server: Server): boolean {
    const at = this.index.get(server);
    if (at === undefined) return false;
    const last = this.items.pop()!;
    if (last !== server) {
      this.items[at] = last;
      this.index.set(last, at);
    }
    this.index.delete(server);
    return true;
  }
  get length(): number {
    return this.items.length;
  }
}
