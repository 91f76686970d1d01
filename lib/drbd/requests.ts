/**
 * Requests in flight to the native engine: their ids and promises, and a cap on the bytes in
 * flight so that writers wait here (in order) before the engine's own queue grows.
 */
import { HakitError } from '../errors';
import type { NativeEngine, NativeEvent } from './types';

export const OP_WRITE = 1, OP_READ = 2, OP_FLUSH = 3, OP_TRIM = 4;
/** Largest single request the engine takes (DRBD's max bio size); larger I/O is split. */
export const MAX_IO = 1 << 20;
/** An empty read's data (never written to). */
const EMPTY = Buffer.alloc(0);

interface Pending {
  /** Reads settle with their data, everything else with undefined. */
  resolve: (value?: Buffer) => void;
  reject: (error: Error) => void;
  op: number;
  offset: number;
  /** Bytes it holds of the in-flight budget, given back when it settles. */
  cost: number;
}

const NAMES = ['', 'write', 'read', 'flush', 'trim'];
/** How a failed request is named in its error ("write at 4096", "flush"). */
const describe = (p: Pending) => (p.op === OP_FLUSH ? 'flush' : `${NAMES[p.op]} at ${p.offset}`);

export class Requests {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private waiters: Array<() => void> = [];
  private inFlightBytes = 0;

  /** `ensureOpen` throws once the volume is closed (checked again after waiting for room). */
  constructor(private readonly engine: NativeEngine, private readonly limit: number, private readonly ensureOpen: () => void) {}

  get size(): number {
    return this.pending.size;
  }

  private full(bytes: number): boolean {
    return this.inFlightBytes > 0 && this.inFlightBytes + bytes > this.limit;
  }

  private async slot(bytes: number): Promise<void> {
    while (this.full(bytes)) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.inFlightBytes += bytes;
  }

  private release(bytes: number): void {
    this.inFlightBytes -= bytes;
    if (this.waiters.length === 0) return;
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w();
  }

  /**
   * One promise per request, settled straight from the engine's completion: no async wrapper,
   * so a 4 KiB write costs no extra turns of the microtask queue between completion and caller.
   */
  request(op: number, offset: number, length: number, data?: Uint8Array): Promise<Buffer | undefined> {
    const cost = op === OP_WRITE || op === OP_READ ? length : 0;
    if (this.full(cost)) return this.slot(cost).then(() => this.start(op, offset, length, data, cost));
    this.inFlightBytes += cost;
    return this.start(op, offset, length, data, cost);
  }

  /** A read: settles with the data. */
  read(offset: number, length: number): Promise<Buffer> {
    return this.request(OP_READ, offset, length) as Promise<Buffer>;
  }

  /** A write, trim or flush: settles with undefined. */
  run(op: number, offset: number, length: number, data?: Uint8Array): Promise<void> {
    return this.request(op, offset, length, data) as Promise<unknown> as Promise<void>;
  }

  /** Submits with `cost` bytes already counted in flight (given back if it cannot start). */
  private start(op: number, offset: number, length: number, data: Uint8Array | undefined, cost: number): Promise<Buffer | undefined> {
    const id = this.nextId++;
    let request!: Pending;
    const promise = new Promise<Buffer | undefined>((resolve, reject) => { request = { resolve, reject, op, offset, cost }; });
    try {
      this.ensureOpen();
      this.engine.submit(op, id, offset, length, data);
    } catch (error) {
      this.release(cost);
      return Promise.reject(error);
    }
    this.pending.set(id, request);
    return promise;
  }

  /** A request that completed without error or data. */
  done(id: number): void {
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    this.release(request.cost);
    request.resolve(request.op === OP_READ ? EMPTY : undefined);
  }

  /** The engine's 'complete' event for a request. */
  complete(e: NativeEvent): void {
    const request = this.pending.get(e.id);
    if (!request) return;
    this.pending.delete(e.id);
    this.release(request.cost);
    if (e.status === 0) request.resolve(request.op === OP_READ ? (e.data ?? EMPTY) : undefined);
    else request.reject(new HakitError('DRBD_IO', `${describe(request)} failed (errno ${-e.status})`, { errno: -e.status }));
  }

  rejectAll(error: Error): void {
    for (const [, request] of this.pending) {
      this.release(request.cost);
      request.reject(error);
    }
    this.pending.clear();
  }
}
