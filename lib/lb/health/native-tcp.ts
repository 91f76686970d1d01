/**
 * TCP connect checks in native code (native/lb/prober.cc): probes are packed into one buffer and
 * handed to the probe thread with one call per batch; the thread connects, resets the socket
 * (no TIME_WAIT), enforces the timeout, and writes every finished probe of a batch into one
 * Int32Array reused for the process's life, announced by one callback. JavaScript keeps no
 * timer, promise, closure or result object per check on this path.
 */
import net from 'node:net';
import os from 'node:os';
import { nativeModule } from '../../native';
import { ipBytes } from '../proxy-protocol';
import type { ProbeResult } from './probes';

interface NativeTcpProber {
  submit(records: Uint8Array, count: number): void;
  inFlight(): number;
  ref(): void;
  unref(): void;
  close(): void;
}
interface NativeLbProber {
  TcpProber: new (onOutcomes: (count: number) => void, output: Int32Array) => NativeTcpProber;
}

/** Receives finished probes; `token` is what was passed to `add`. */
export interface TcpProbeSink {
  onTcpProbe(token: unknown, errno: number, micros: number): void;
}

/** A numeric address ready for the prober: family and 16 address bytes (IPv4 in the first 4). */
export interface ProbeAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

/** Undefined for names and scoped IPv6 addresses (fe80::1%eth0): those go through Node's sockets. */
export function probeAddress(host: string): ProbeAddress | undefined {
  const family = net.isIP(host);
  if (family === 0 || host.includes('%')) return undefined;
  const bytes = new Uint8Array(16);
  bytes.set(ipBytes(host, family as 4 | 6));
  return { family: family as 4 | 6, bytes };
}

const errnoNames = new Map<number, string>(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));
const ETIMEDOUT = os.constants.errno.ETIMEDOUT;
const EINVAL = os.constants.errno.EINVAL;

/** "connected", "timeout" or the errno's name: constant strings, nothing allocated per check. */
export function probeDetail(errno: number): string {
  if (errno === 0) return 'connected';
  if (errno === ETIMEDOUT) return 'timeout';
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

const RECORD = 28; // kProbeRecordSize in native/lb/prober.h

export class TcpProbeBatcher {
  private records = Buffer.alloc(RECORD * 256);
  private count = 0;
  private flushQueued = false;
  // Probe id -> (sink, token); ids are reused through a free list.
  private readonly sinks: (TcpProbeSink | undefined)[] = [];
  private readonly tokens: unknown[] = [];
  private readonly freeIds: number[] = [];
  private readonly flushBound = () => this.flush();
  private refs = 0;

  constructor(private readonly native: NativeTcpProber) {}

  /** Queues a probe; the batch goes to the native thread at the end of the current tick. */
  add(sink: TcpProbeSink, token: unknown, address: ProbeAddress, port: number, timeoutMs: number): void {
    const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.sinks.length;
    this.sinks[id] = sink;
    this.tokens[id] = token;
    if ((this.count + 1) * RECORD > this.records.length) {
      const bigger = Buffer.alloc(this.records.length * 2);
      this.records.copy(bigger);
      this.records = bigger;
    }
    const b = this.records;
    const at = this.count * RECORD;
    b.writeUInt32LE(id, at);
    b.writeUInt32LE(Math.min(Math.max(1, Math.ceil(timeoutMs)), 2 ** 30), at + 4);
    b.writeUInt16LE(port, at + 8);
    b[at + 10] = address.family;
    b[at + 11] = 0;
    b.set(address.bytes, at + 12);
    this.count++;
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushBound);
    }
  }

  flush(): void {
    this.flushQueued = false;
    if (this.count === 0) return;
    const n = this.count;
    this.count = 0;
    try {
      this.native.submit(this.records, n);
    } catch {
      // Refused (closed prober, bad record): every probe of the batch fails rather than hangs.
      const outcomes = new Int32Array(n * 3);
      for (let i = 0; i < n; i++) {
        outcomes[i * 3] = this.records.readUInt32LE(i * RECORD);
        outcomes[i * 3 + 1] = EINVAL;
      }
      this.deliver(outcomes, n);
    }
  }

  /** Keeps the process alive while a caller awaits a probe (checks alone do not). */
  ref(): void {
    if (this.refs++ === 0) this.native.ref();
  }

  unref(): void {
    if (--this.refs === 0) this.native.unref();
  }

  /** `count` outcomes sit in `outcomes` as [id, errno, micros] triples (a buffer reused by native code). */
  deliver(outcomes: Int32Array, count: number): void {
    for (let i = 0; i < count * 3; i += 3) {
      const id = outcomes[i]!;
      const sink = this.sinks[id];
      if (sink === undefined) continue;
      const token = this.tokens[id];
      this.sinks[id] = undefined;
      this.tokens[id] = undefined;
      this.freeIds.push(id);
      try {
        sink.onTcpProbe(token, outcomes[i + 1]!, outcomes[i + 2]!);
      } catch (error) {
        // A throwing event listener must not lose the rest of the batch: rethrow it afterwards.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

let shared: TcpProbeBatcher | undefined;
let unavailable = false;

/** The process-wide batcher (one probe thread), or undefined when the addon is unavailable. */
export function tcpProbeBatcher(): TcpProbeBatcher | undefined {
  if (shared || unavailable) return shared;
  try {
    const { TcpProber } = nativeModule<NativeLbProber>('lbProber');
    let batcher: TcpProbeBatcher | undefined;
    const output = new Int32Array(3 * 1024);
    const prober = new TcpProber((count) => batcher?.deliver(output, count), output);
    prober.unref();
    shared = batcher = new TcpProbeBatcher(prober);
  } catch {
    unavailable = true;
  }
  return shared;
}

/** Resolves promise-style probes (tcpProbe()); the checker uses the batcher directly. */
const promiseSink: TcpProbeSink = {
  onTcpProbe(token, errno, micros) {
    shared?.unref();
    (token as (r: ProbeResult) => void)({ ok: errno === 0, detail: probeDetail(errno), durationMs: micros / 1000 });
  },
};

/** A native TCP connect probe, or undefined when the addon (or a numeric host) is not available. */
export function nativeTcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> | undefined {
  const batcher = tcpProbeBatcher();
  const address = probeAddress(host);
  if (!batcher || !address || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return new Promise((resolve) => {
    batcher.ref();
    batcher.add(promiseSink, resolve, address, port, timeoutMs);
  });
}
