/**
 * One HTTP backend at run time: the core Pool (scheduler, states) plus what HTTP needs on top:
 * a keep-alive connection pool (Agent) per server, TLS to servers, cookie persistence, the
 * maxconn queue with `timeout queue`, health checks and counters.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Pool } from '../pool';
import type { Server } from '../server';
import { resolveSchedulerName } from '../schedulers';
import type { BackendConfig, ServerConfig } from '../config/types';
import { HealthChecker, type CheckType } from '../health';
import { TrafficCounters } from './counters';

/** HAProxy balance names mapped onto the core's schedulers, with what a hash algorithm hashes. */
export function schedulerFor(balance: string): { scheduler: string; key: 'none' | 'src' | 'uri' | 'hdr' | 'url_param' } {
  switch (balance) {
    case 'roundrobin':
      return { scheduler: 'smooth-weighted-round-robin', key: 'none' };
    case 'static-rr':
      return { scheduler: 'weighted-round-robin', key: 'none' };
    case 'leastconn':
      return { scheduler: 'weighted-least-connections', key: 'none' };
    case 'random':
      return { scheduler: 'power-of-two-choices', key: 'none' };
    case 'source':
      return { scheduler: 'source-hash', key: 'src' };
    case 'uri':
      return { scheduler: 'consistent-hash', key: 'uri' };
    case 'url_param':
      return { scheduler: 'consistent-hash', key: 'url_param' };
    case 'hdr':
      return { scheduler: 'consistent-hash', key: 'hdr' };
    default: {
      const scheduler = resolveSchedulerName(balance);
      const hashed = scheduler === 'source-hash' || scheduler === 'maglev' || scheduler === 'consistent-hash';
      return { scheduler, key: hashed ? 'src' : 'none' };
    }
  }
}

export interface ServerRuntime {
  server: Server;
  config: ServerConfig;
  agent: http.Agent;
  tls?: https.RequestOptions;
  counters: TrafficCounters;
  /** Cookie value that pins a client to this server. */
  cookie: string;
}

interface Waiter {
  resolve: (server: Server | undefined) => void;
  timer: NodeJS.Timeout;
  key: string | undefined;
}

/** Agents survive reloads when the server's address and TLS settings are unchanged. */
export type AgentCache = Map<string, http.Agent>;

export class HttpBackend {
  readonly pool: Pool;
  readonly runtime = new Map<Server, ServerRuntime>();
  readonly byCookie = new Map<string, Server>();
  readonly counters = new TrafficCounters();
  readonly checker: HealthChecker;
  readonly keyKind: 'none' | 'src' | 'uri' | 'hdr' | 'url_param';
  private readonly queue: Waiter[] = [];
  /** Time of the last state change of the backend as a whole (any server). */
  lastChange = Date.now();

  constructor(
    readonly config: BackendConfig,
    agents: AgentCache,
  ) {
    const { scheduler, key } = schedulerFor(config.balance);
    this.keyKind = key;
    this.pool = new Pool({ name: config.name, scheduler });
    for (const sc of config.servers) {
      const server = this.pool.add({
        id: sc.name,
        host: sc.host,
        port: sc.port,
        weight: sc.weight,
        backup: sc.backup,
        maxConnections: sc.maxconn,
        admin: sc.disabled ? 'maint' : 'ready',
      });
      const tls = sc.ssl
        ? {
            ca: sc.ssl.ca ? readFileSync(sc.ssl.ca) : undefined,
            rejectUnauthorized: sc.ssl.verify,
            servername: sc.ssl.sni ?? (net.isIP(sc.host) ? undefined : sc.host),
          }
        : undefined;
      // `timeout server` lives on the agent: its sockets keep it, so no request re-arms a timer.
      const agentKey = JSON.stringify([sc.host, sc.port, sc.ssl ?? null, config.timeouts.server]);
      let agent = agents.get(agentKey);
      if (!agent) {
        const options = { keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, scheduling: 'lifo' as const, timeout: config.timeouts.server };
        agent = tls ? new https.Agent({ ...options, ...tls }) : new http.Agent(options);
        agents.set(agentKey, agent);
      }
      const cookie = sc.cookie ?? sc.name;
      this.runtime.set(server, { server, config: sc, agent, tls, counters: new TrafficCounters(), cookie });
      this.byCookie.set(cookie, server);
    }
    this.pool.on('state', () => {
      this.lastChange = Date.now();
      this.drainQueue();
    });
    // The core checker runs one check type per pool: TLS if the servers speak TLS.
    const tlsServer = config.servers.find((sc) => sc.ssl);
    const httpchk = config.check.httpchk;
    const type: CheckType = httpchk ? (tlsServer ? 'https' : 'http') : tlsServer ? 'tls' : 'tcp';
    this.checkType = type;
    this.checker = new HealthChecker(this.pool, {
      type,
      intervalMs: Math.max(1, Math.round(config.check.interval)),
      timeoutMs: Math.max(1, Math.round(config.timeouts.check)),
      rise: config.check.rise,
      fall: config.check.fall,
      http: httpchk ? { method: httpchk.method, path: httpchk.path, expectStatus: [config.check.expectStatus ?? '200-399'], servername: tlsServer?.ssl?.sni } : undefined,
      tls: tlsServer ? { servername: tlsServer.ssl?.sni, rejectUnauthorized: false } : undefined,
    });
  }

  readonly checkType: CheckType;

  /** Checks run on servers with `check`; the others are trusted up (HAProxy). */
  startChecks(): void {
    if (![...this.runtime.values()].some((rt) => rt.config.check)) return;
    this.checker.start();
    for (const rt of this.runtime.values()) if (!rt.config.check) this.checker.disable(rt.server.id);
  }

  /** HAProxy's check status words for the stats page: L4OK, L4CON, L4TOUT, L6OK, L7OK, L7STS, L7TOUT, INI. */
  checkStatus(server: Server): { code: string; detail: string; durationMs: number } | undefined {
    if (!this.runtime.get(server)?.config.check) return undefined;
    let last;
    try {
      last = this.checker.status(server.id).last;
    } catch {
      return undefined;
    }
    if (!last) return { code: 'INI', detail: 'initializing', durationMs: 0 };
    const layer = this.checkType === 'http' || this.checkType === 'https' ? 'L7' : this.checkType === 'tls' ? 'L6' : 'L4';
    const timeout = /timeout/i.test(last.detail);
    let code: string;
    if (last.ok) code = `${layer}OK`;
    else if (timeout) code = `${layer}TOUT`;
    else if (/^status /.test(last.detail)) code = 'L7STS';
    else if (/^E[A-Z]+/.test(last.detail)) code = 'L4CON';
    else code = `${layer}RSP`;
    return { code, detail: last.detail, durationMs: Math.round(last.durationMs) };
  }

  /** Any server that could take traffic now or after the queue (used, draining or full)? */
  get hasUsable(): boolean {
    return this.pool.activeServers.length > 0;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** The server a persistence cookie names, if it may still take this client (up or draining). */
  stickyServer(cookieValue: string | undefined): Server | undefined {
    if (cookieValue === undefined) return undefined;
    const server = this.byCookie.get(cookieValue);
    if (!server || (server.state !== 'up' && server.state !== 'drain') || server.full) return undefined;
    this.pool.acquire(server);
    return server;
  }

  /**
   * A server for a request: immediately when one has room, else after waiting in the queue up
   * to `timeout queue` (undefined = 503). `exclude` skips a server that just failed (redispatch).
   */
  acquire(key: string | undefined, exclude?: Server): Promise<Server | undefined> | Server | undefined {
    let server = this.pool.pick(key);
    if (server && server === exclude && this.pool.activeServers.length > 1) {
      const other = this.pool.pick(key);
      this.pool.release(server, { ok: true });
      server = other;
    }
    if (server) return server;
    if (!this.hasUsable) return undefined;
    return new Promise((resolve) => {
      const waiter: Waiter = {
        key,
        resolve,
        timer: setTimeout(() => {
          const at = this.queue.indexOf(waiter);
          if (at >= 0) this.queue.splice(at, 1);
          resolve(undefined);
        }, this.config.timeouts.queue),
      };
      this.queue.push(waiter);
    });
  }

  release(server: Server, ok: boolean, responseTimeMs?: number): void {
    this.pool.release(server, { ok, responseTimeMs });
    this.drainQueue();
  }

  private drainQueue(): void {
    while (this.queue.length) {
      const waiter = this.queue[0]!;
      if (!this.hasUsable) {
        // Nothing left to wait for: answer 503 now rather than at the queue timeout.
        this.queue.shift();
        clearTimeout(waiter.timer);
        waiter.resolve(undefined);
        continue;
      }
      const server = this.pool.pick(waiter.key);
      if (!server) return;
      this.queue.shift();
      clearTimeout(waiter.timer);
      waiter.resolve(server);
    }
  }

  close(): void {
    this.checker.stop();
    this.pool.close();
    for (const waiter of this.queue.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(undefined);
    }
  }
}
