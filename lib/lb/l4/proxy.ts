/**
 * The L4 TCP proxy: listeners accept in native code, TypeScript picks a server from the pool
 * (with retries and redispatch), and the native engine connects and relays bytes with splice(2)
 * on its own threads. Per-listener and per-server counters; connection limits per listener
 * (native: the kernel queue holds the excess) and per server (Pool maxConnections: excess
 * connections wait in a queue with a timeout); PROXY protocol v1/v2 to servers and from
 * trusted clients; graceful drain; reload without touching established connections.
 */
import dns from 'node:dns';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import { ArgumentError, HakitError, check } from '../../errors';
import { silentLogger, type Logger } from '../../log';
import { nativeModule } from '../../native';
import type { Pool } from '../pool';
import { AddressSet, decodeProxyTlvs, encodeProxyV1, encodeProxyV2, type ProxyTlv, type ProxyTlvInfo } from '../proxy-protocol';
import { checkProxyV2Options, serverTlvs, type ProxyV2Options } from './proxy-tlvs';
import type { Server } from '../server';

export interface L4ListenerOptions {
  /** Stable name (reload matches listeners by it); default "host:port". */
  name?: string;
  /** Numeric address to bind (default 127.0.0.1). */
  host?: string;
  /** 0 = any free port (see listener.port after start). */
  port: number;
  backlog?: number;
  /** Most concurrent connections on this listener; 0 = unlimited. */
  maxConnections?: number;
  pool: Pool;
  /** Send a PROXY header to servers. */
  sendProxy?: 'v1' | 'v2';
  /** With sendProxy 'v2': TLVs to forward, add, a unique id, a CRC32C (see proxy-tlvs.ts). */
  proxyV2?: ProxyV2Options;
  /** Expect a PROXY header from clients in these trusted sources (addresses/CIDRs). */
  acceptProxy?: { trusted: string[]; timeoutMs?: number };
  connectTimeoutMs?: number;
  /** Connection attempts after the first failed one (default 3). */
  retries?: number;
  /** Retry on another server rather than the same one (default true). */
  redispatch?: boolean;
  /** Inactivity limits on each side (0 = none). */
  clientTimeoutMs?: number;
  serverTimeoutMs?: number;
  /** How long a connection may wait for a server slot (default 5000). */
  queueTimeoutMs?: number;
  /** What hash schedulers hash: the client address (default) or nothing. */
  hashKey?: 'source' | 'none';
}

export interface ListenerStats {
  name: string;
  host: string;
  port: number;
  connectionsCurrent: number;
  connectionsTotal: number;
  bytesIn: number;
  bytesOut: number;
  errors: number;
  connectErrors: number;
  retries: number;
  redispatches: number;
  queued: number;
  queueTimeouts: number;
  noServer: number;
  proxyErrors: number;
}

export interface ConnectionInfo {
  id: number;
  listener: string;
  client: { address: string; port: number };
  server?: string;
  /** From a trusted client's PROXY v2 header: its TLVs, raw and decoded. */
  proxy?: { tlvs: ProxyTlv[]; info: ProxyTlvInfo };
  /** The PP2 unique id sent to the server (received or generated), when one is sent. */
  uniqueId?: Buffer;
}

export interface TcpProxyEvents {
  connection: [ConnectionInfo];
  close: [ConnectionInfo & { bytesIn: number; bytesOut: number; reason: CloseReason }];
  error: [HakitError];
}

export const closeReasons = ['done', 'client-reset', 'server-reset', 'client-timeout', 'server-timeout', 'aborted', 'error'] as const;
export type CloseReason = (typeof closeReasons)[number];

interface NativeEngine {
  listen(host: string, port: number, backlog: number, maxConnections: number): [number, number];
  pauseListener(id: number, paused: boolean): void;
  closeListener(id: number): void;
  connect(conn: number, host: string, port: number, connectTimeoutMs: number, clientTimeoutMs: number, serverTimeoutMs: number, preamble?: Uint8Array): void;
  readProxyHeader(conn: number, timeoutMs: number): void;
  close(conn: number): void;
  openConnections(): number;
  ref(): void;
  unref(): void;
  shutdown(): void;
}
type RawEvent = [number, number, number, number, number, number, string, string, Buffer?];
interface NativeLb {
  RelayEngine: new (threads: number, onEvents: (batch: RawEvent[]) => void) => NativeEngine;
}

const EV_ACCEPTED = 1;
const EV_CONNECTED = 2;
const EV_CONNECT_FAILED = 3;
const EV_CLOSED = 4;
const EV_PROXY_HEADER = 5;
const EV_PROXY_FAILED = 6;

const errnoNames = new Map<number, string>(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));

interface ListenerState {
  id: number;
  options: Required<Omit<L4ListenerOptions, 'sendProxy' | 'acceptProxy' | 'name' | 'proxyV2'>> & Pick<L4ListenerOptions, 'sendProxy' | 'acceptProxy' | 'proxyV2'> & { name: string };
  trusted: AddressSet | undefined;
  stats: ListenerStats;
  queue: Conn[];
  closed: boolean;
}

interface Conn {
  id: number;
  listener: ListenerState;
  clientAddress: string;
  clientPort: number;
  localAddress: string;
  localPort: number;
  server?: Server;
  tried: Server[];
  attempts: number;
  queuedAt?: number;
  established: boolean;
  proxy?: { tlvs: ProxyTlv[]; info: ProxyTlvInfo };
  uniqueId?: Buffer;
}

function normalize(o: L4ListenerOptions): ListenerState['options'] {
  if (o === null || typeof o !== 'object') throw new ArgumentError('listener options must be an object');
  const host = o.host ?? '127.0.0.1';
  if (net.isIP(check.string('host', host)) === 0) throw new ArgumentError('listener host must be a numeric IP address', { argument: 'host' });
  const port = check.integer('port', o.port, 0, 65535);
  if (o.pool === undefined || typeof o.pool.pick !== 'function') throw new ArgumentError('listener needs a pool', { argument: 'pool' });
  if (o.sendProxy !== undefined) check.oneOf('sendProxy', o.sendProxy, ['v1', 'v2'] as const);
  if (o.acceptProxy !== undefined && !Array.isArray(o.acceptProxy.trusted)) throw new ArgumentError('acceptProxy.trusted must be a list of addresses/CIDRs', { argument: 'acceptProxy' });
  return {
    name: o.name ?? `${host}:${port}`,
    host,
    port,
    backlog: check.integer('backlog', o.backlog ?? 1024, 1, 1 << 20),
    maxConnections: check.integer('maxConnections', o.maxConnections ?? 0, 0, 1 << 30),
    pool: o.pool,
    sendProxy: o.sendProxy,
    acceptProxy: o.acceptProxy,
    proxyV2: checkProxyV2Options(o.proxyV2),
    connectTimeoutMs: check.integer('connectTimeoutMs', o.connectTimeoutMs ?? 5000, 1, 1 << 30),
    retries: check.integer('retries', o.retries ?? 3, 0, 100),
    redispatch: o.redispatch ?? true,
    clientTimeoutMs: check.integer('clientTimeoutMs', o.clientTimeoutMs ?? 0, 0, 1 << 30),
    serverTimeoutMs: check.integer('serverTimeoutMs', o.serverTimeoutMs ?? 0, 0, 1 << 30),
    queueTimeoutMs: check.integer('queueTimeoutMs', o.queueTimeoutMs ?? 5000, 0, 1 << 30),
    hashKey: o.hashKey ?? 'source',
  };
}

function emptyStats(o: ListenerState['options']): ListenerStats {
  return {
    name: o.name, host: o.host, port: o.port, connectionsCurrent: 0, connectionsTotal: 0, bytesIn: 0, bytesOut: 0, errors: 0,
    connectErrors: 0, retries: 0, redispatches: 0, queued: 0, queueTimeouts: 0, noServer: 0, proxyErrors: 0,
  };
}

export interface TcpProxyOptions {
  listeners: L4ListenerOptions[];
  /** Relay worker threads (default 1). */
  threads?: number;
  logger?: Logger;
}

export class TcpProxy extends EventEmitter<TcpProxyEvents> {
  private engine: NativeEngine | undefined;
  private readonly threads: number;
  private readonly log: Logger;
  private readonly listenerStates = new Map<string, ListenerState>();
  private readonly byId = new Map<number, ListenerState>();
  private readonly conns = new Map<number, Conn>();
  private readonly watchedPools = new Map<Pool, () => void>();
  private queueTimer: NodeJS.Timeout | undefined;
  private pending: L4ListenerOptions[];
  private drained: (() => void)[] = [];

  constructor(options: TcpProxyOptions) {
    super();
    if (!options || !Array.isArray(options.listeners)) throw new ArgumentError('options.listeners must be an array');
    this.threads = check.integer('threads', options.threads ?? 1, 1, 64);
    this.log = options.logger ?? silentLogger;
    this.pending = options.listeners;
    for (const l of options.listeners) normalize(l); // validate now
  }

  /** Binds every listener; resolves when they accept. */
  async start(): Promise<this> {
    if (this.engine) return this;
    const lb = nativeModule<NativeLb>('lb');
    this.engine = new lb.RelayEngine(this.threads, (batch) => this.onEvents(batch));
    try {
      for (const l of this.pending) this.openListener(normalize(l));
    } catch (e) {
      this.close();
      throw e;
    }
    return this;
  }

  /** Listener names with their bound ports. */
  get ports(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, l] of this.listenerStates) out[name] = l.stats.port;
    return out;
  }

  stats(): { listeners: ListenerStats[]; connections: number } {
    return { listeners: [...this.listenerStates.values()].map((l) => ({ ...l.stats, queued: l.queue.length })), connections: this.conns.size };
  }

  connections(): ConnectionInfo[] {
    return [...this.conns.values()].map((c) => this.info(c));
  }

  /**
   * Applies a new listener set: listeners with the same name and address keep their socket
   * (new options apply to new connections), new ones open, missing ones stop accepting.
   * Established connections are never touched.
   */
  reload(listeners: L4ListenerOptions[]): void {
    const engine = this.requireEngine();
    const next = listeners.map(normalize);
    const names = new Set(next.map((o) => o.name));
    for (const [name, state] of this.listenerStates) {
      const replacement = next.find((o) => o.name === name);
      if (!names.has(name) || (replacement && (replacement.host !== state.options.host || (replacement.port !== 0 && replacement.port !== state.stats.port)))) {
        engine.closeListener(state.id);
        state.closed = true;
        this.listenerStates.delete(name);
      }
    }
    for (const o of next) {
      const existing = this.listenerStates.get(o.name);
      if (existing) {
        existing.options = { ...o, port: existing.stats.port };
        existing.trusted = o.acceptProxy ? new AddressSet(o.acceptProxy.trusted) : undefined;
        this.watchPool(o.pool);
      } else this.openListener(o);
    }
    this.log.info('l4 reload', { listeners: [...this.listenerStates.keys()] });
  }

  /**
   * Graceful drain: stop accepting, let established connections finish, and abort the ones
   * still open at the deadline. Resolves with how many had to be aborted.
   */
  async drain(deadlineMs = 30000): Promise<{ aborted: number }> {
    const engine = this.requireEngine();
    for (const l of this.listenerStates.values()) {
      engine.closeListener(l.id);
      l.closed = true;
    }
    this.listenerStates.clear();
    if (this.conns.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadlineMs);
        this.drained.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const aborted = this.conns.size;
    for (const c of this.conns.values()) engine.close(c.id);
    if (aborted > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    return { aborted };
  }

  /** Stops everything at once (connections are reset). */
  close(): void {
    if (this.queueTimer) clearInterval(this.queueTimer);
    this.queueTimer = undefined;
    for (const [pool, fn] of this.watchedPools) pool.off('state', fn);
    this.watchedPools.clear();
    for (const c of this.conns.values()) if (c.server) c.listener.options.pool.release(c.server, { ok: false, error: 'aborted' });
    this.conns.clear();
    this.engine?.shutdown();
    this.engine = undefined;
    this.listenerStates.clear();
  }

  // ---- internals ----------------------------------------------------------------------------

  private requireEngine(): NativeEngine {
    if (!this.engine) throw new HakitError('LB_NOT_STARTED', 'the TCP proxy is not started');
    return this.engine;
  }

  private openListener(o: ListenerState['options']): void {
    if (this.listenerStates.has(o.name)) throw new ArgumentError(`two listeners named ${o.name}`, { argument: 'name' });
    const [id, port] = this.requireEngine().listen(o.host, o.port, o.backlog, o.maxConnections);
    const state: ListenerState = {
      id, options: { ...o, port }, trusted: o.acceptProxy ? new AddressSet(o.acceptProxy.trusted) : undefined,
      stats: { ...emptyStats(o), port }, queue: [], closed: false,
    };
    this.listenerStates.set(o.name, state);
    this.byId.set(id, state);
    this.watchPool(o.pool);
    this.log.info('l4 listening', { listener: o.name, host: o.host, port });
  }

  private watchPool(pool: Pool): void {
    if (this.watchedPools.has(pool)) return;
    const fn = () => this.serveQueues(pool);
    pool.on('state', fn);
    this.watchedPools.set(pool, fn);
  }

  private info(c: Conn): ConnectionInfo {
    const info: ConnectionInfo = { id: c.id, listener: c.listener.options.name, client: { address: c.clientAddress, port: c.clientPort }, server: c.server?.id };
    if (c.proxy) info.proxy = c.proxy;
    if (c.uniqueId) info.uniqueId = c.uniqueId;
    return info;
  }

  private onEvents(batch: RawEvent[]): void {
    for (const e of batch) {
      try {
        this.onEvent(e);
      } catch (error) {
        this.log.error('l4 event handling failed', { error });
      }
    }
  }

  private onEvent([type, connId, listenerId, a, b, code, text, text2, data]: RawEvent): void {
    const engine = this.engine;
    if (!engine) return;
    if (type === EV_ACCEPTED) {
      const listener = this.byId.get(listenerId);
      if (!listener) return engine.close(connId);
      const c: Conn = { id: connId, listener, clientAddress: text, clientPort: a, localAddress: text2, localPort: b, tried: [], attempts: 0, established: false };
      this.conns.set(connId, c);
      listener.stats.connectionsCurrent++;
      listener.stats.connectionsTotal++;
      if (listener.trusted?.has(c.clientAddress)) engine.readProxyHeader(connId, listener.options.acceptProxy?.timeoutMs ?? 3000);
      else this.dispatch(c);
      return;
    }
    const c = this.conns.get(connId);
    if (!c) return;
    switch (type) {
      case EV_PROXY_HEADER:
        if (text !== '') {
          c.clientAddress = text;
          c.clientPort = a;
          c.localAddress = text2;
          c.localPort = b;
        }
        if (data && data.length > 0) c.proxy = decodeProxyTlvs(data); // checked by the native parser already
        return this.dispatch(c);
      case EV_PROXY_FAILED:
        c.listener.stats.proxyErrors++;
        c.listener.stats.errors++;
        this.log.warn('l4 bad PROXY header', { listener: c.listener.options.name, client: c.clientAddress, error: text });
        return; // the engine closes it (EV_CLOSED follows)
      case EV_CONNECTED:
        c.established = true;
        if (c.server) c.server.counters.connectionsTotal++;
        this.emit('connection', this.info(c));
        return;
      case EV_CONNECT_FAILED:
        return this.connectFailed(c, errnoNames.get(a) ?? `errno ${a}`);
      case EV_CLOSED:
        return this.closed(c, a, b, closeReasons[code] ?? 'error');
    }
  }

  private key(c: Conn): string | undefined {
    return c.listener.options.hashKey === 'source' ? c.clientAddress : undefined;
  }

  private dispatch(c: Conn): void {
    const pool = c.listener.options.pool;
    const server = pool.pick(this.key(c));
    if (server) return this.connect(c, server);
    if (pool.activeServers.length > 0 && c.listener.options.queueTimeoutMs > 0) {
      // Usable servers exist but are all at maxConnections: wait for a slot.
      c.queuedAt = performance.now();
      c.listener.queue.push(c);
      c.listener.stats.queued = c.listener.queue.length;
      this.armQueueTimer();
      return;
    }
    c.listener.stats.noServer++;
    c.listener.stats.errors++;
    this.requireEngine().close(c.id);
  }

  private connect(c: Conn, server: Server): void {
    c.server = server;
    c.attempts++;
    c.tried.push(server);
    const o = c.listener.options;
    let preamble: Buffer | undefined;
    if (o.sendProxy) {
      const both = net.isIP(c.clientAddress) && net.isIP(c.localAddress);
      const addresses = both ? { source: c.clientAddress, sourcePort: c.clientPort, destination: c.localAddress, destinationPort: c.localPort } : undefined;
      if (o.sendProxy === 'v1') preamble = encodeProxyV1(addresses);
      else {
        const { tlvs, uniqueId } = serverTlvs(o.proxyV2, c.proxy?.tlvs, c.uniqueId);
        if (uniqueId) c.uniqueId = uniqueId;
        preamble = encodeProxyV2(addresses, tlvs, { crc32c: o.proxyV2?.crc32c });
      }
    }
    const go = (host: string) => {
      if (!this.engine || !this.conns.has(c.id)) return;
      this.engine.connect(c.id, host, server.port, o.connectTimeoutMs, o.clientTimeoutMs, o.serverTimeoutMs, preamble);
    };
    if (net.isIP(server.host)) go(server.host);
    else {
      dns.lookup(server.host, (error, address) => {
        if (error) return this.connectFailed(c, error.code ?? 'ENOTFOUND');
        go(address);
      });
    }
  }

  private connectFailed(c: Conn, error: string): void {
    const o = c.listener.options;
    const server = c.server;
    c.server = undefined;
    if (server) {
      server.counters.connectErrors++;
      o.pool.release(server, { ok: false, error: `connect: ${error}` });
    }
    c.listener.stats.connectErrors++;
    this.log.debug('l4 connect failed', { server: server?.id, error, attempt: c.attempts });
    if (c.attempts > o.retries) {
      c.listener.stats.errors++;
      return this.requireEngine().close(c.id);
    }
    c.listener.stats.retries++;
    let next: Server | undefined;
    if (o.redispatch) {
      // Prefer a server not tried yet; hash schedulers may keep returning the same one.
      for (let i = 0; i < 4; i++) {
        const candidate = o.pool.pick(this.key(c) === undefined ? undefined : `${this.key(c)}#${c.attempts}#${i}`);
        if (!candidate) break;
        if (!c.tried.includes(candidate) || i === 3) {
          next = candidate;
          break;
        }
        o.pool.cancel(candidate);
      }
      if (next && next !== server) c.listener.stats.redispatches++;
    } else if (server && server.usable && !server.full) {
      o.pool.acquire(server);
      next = server;
    }
    if (!next) {
      c.listener.stats.noServer++;
      c.listener.stats.errors++;
      return this.requireEngine().close(c.id);
    }
    this.connect(c, next);
  }

  private closed(c: Conn, bytesIn: number, bytesOut: number, reason: CloseReason): void {
    this.conns.delete(c.id);
    const l = c.listener;
    l.stats.connectionsCurrent--;
    l.stats.bytesIn += bytesIn;
    l.stats.bytesOut += bytesOut;
    const queued = l.queue.indexOf(c);
    if (queued >= 0) l.queue.splice(queued, 1);
    if (c.server) {
      const ok = reason === 'done' || reason === 'client-reset' || reason === 'client-timeout' || reason === 'aborted';
      l.options.pool.release(c.server, { ok, bytesIn, bytesOut, ...(ok ? {} : { error: reason }) });
      this.serveQueues(l.options.pool);
    }
    this.emit('close', { ...this.info(c), bytesIn, bytesOut, reason });
    if (this.conns.size === 0 && this.drained.length > 0) {
      const waiters = this.drained;
      this.drained = [];
      for (const w of waiters) w();
    }
  }

  /** Gives freed server slots to connections waiting in listener queues of this pool. */
  private serveQueues(pool: Pool): void {
    for (const l of this.byId.values()) {
      if (l.options.pool !== pool) continue;
      while (l.queue.length > 0) {
        const c = l.queue[0]!;
        const server = pool.pick(this.key(c));
        if (!server) break;
        l.queue.shift();
        c.queuedAt = undefined;
        this.connect(c, server);
      }
      l.stats.queued = l.queue.length;
    }
  }

  private armQueueTimer(): void {
    if (this.queueTimer) return;
    this.queueTimer = setInterval(() => {
      const now = performance.now();
      let waiting = 0;
      for (const l of this.byId.values()) {
        while (l.queue.length > 0 && now - l.queue[0]!.queuedAt! >= l.options.queueTimeoutMs) {
          const c = l.queue.shift()!;
          l.stats.queueTimeouts++;
          l.stats.errors++;
          this.engine?.close(c.id);
        }
        l.stats.queued = l.queue.length;
        waiting += l.queue.length;
      }
      if (waiting === 0 && this.queueTimer) {
        clearInterval(this.queueTimer);
        this.queueTimer = undefined;
      }
    }, 100);
    this.queueTimer.unref();
  }
}
