/**
 * Requests in flight to the native engine: their ids and promises, and a cap on the bytes in
 * flight so that writers wait here (in order) before the engine's own queue grows.
 */
import { HakitError } from '../errors';
import type { NativeEngine, NativeEvent } from './types';

export const OP_WRITE = 1, OP_READ = 2, OP_FLUSH = 3, OP_TRIM = 4;
/** Largest single request the engine takes (DRBD's max bio size); larger I/O is split. */
export const MAX_IO = 1 << 20;
/** What writes and flushes resolve to inside (never handed to users, never written to). */
const EMPTY = Buffer.alloc(0);

interface Pending {
  resolve: (value: Buffer) => void;
  reject: (error: Error) => void;
  op: number;
  offset: number;
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
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w();
  }

  async request(op: number, offset: number, length: number, data?: Uint8Array): Promise<Buffer> {
    const cost = op === OP_WRITE || op === OP_READ ? length : 0;
    if (this.full(cost)) await this.slot(cost);
    else this.inFlightBytes += cost; // room: no await, no extra turn of the microtask queue
    try {
      this.ensureOpen();
      const id = this.nextId++;
      const promise = new Promise<Buffer>((resolve, reject) => this.pending.set(id, { resolve, reject, op, offset }));
      this.engine.submit(op, id, offset, length, data);
      return await promise;
    } finally {
      this.release(cost);
    }
  }

  /** A request that completed without error or data. */
  done(id: number): void {
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    request.resolve(EMPTY);
  }

  /** The engine's 'complete' event for a request. */
  complete(e: NativeEvent): void {
    const request = this.pending.get(e.id);
    if (!request) return;
    this.pending.delete(e.id);
    if (e.status === 0) request.resolve(e.data ?? EMPTY);
    else request.reject(new HakitError('DRBD_IO', `${describe(request)} failed (errno ${-e.status})`, { errno: -e.status }));
  }

  rejectAll(error: Error): void {
    for (const [, request] of this.pending) request.reject(error);
    this.pending.clear();
  }
}
