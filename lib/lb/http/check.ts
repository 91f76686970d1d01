/**
 * Active health checks for HTTP backends: a TCP connect, or `option httpchk METHOD /path` with
 * `http-check expect status N[-M]`, every `inter`, with HAProxy's rise/fall counting. Results go
 * to the core Pool (pool.setHealth), which moves traffic. Lives here until the core's checker
 * lands; it only uses the Pool's public API so it can move to lib/lb as is.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Pool } from '../pool';
import type { Server } from '../server';
import type { HealthCheckConfig } from '../config/types';

export interface CheckStatus {
  /** HAProxy-style short status: L4OK, L4CON, L4TOUT, L7OK, L7STS, L7TOUT, L7RSP, INI. */
  code: string;
  detail: string;
  durationMs: number;
  at: number;
}

export interface CheckTls {
  verify: boolean;
  ca?: string | Buffer;
  sni?: string;
}

export class HealthChecker {
  readonly status = new Map<Server, CheckStatus>();
  private readonly timers = new Map<Server, NodeJS.Timeout>();
  private readonly counts = new Map<Server, { ok: number; bad: number }>();
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly config: HealthCheckConfig,
    private readonly timeoutMs: number,
    private readonly tlsOf: (server: Server) => CheckTls | undefined,
    private readonly onChange: (server: Server, status: CheckStatus) => void = () => {},
  ) {}

  /** Starts checking `server` (first check soon, with jitter so servers are not checked in lockstep). */
  watch(server: Server): void {
    if (this.timers.has(server) || this.closed) return;
    this.status.set(server, { code: 'INI', detail: 'initializing', durationMs: 0, at: Date.now() });
    this.counts.set(server, { ok: 0, bad: 0 });
    const schedule = (delay: number) => {
      const timer = setTimeout(async () => {
        if (this.closed || !this.timers.has(server)) return;
        await this.runOnce(server);
        if (!this.closed && this.timers.has(server)) schedule(this.config.interval);
      }, delay);
      timer.unref();
      this.timers.set(server, timer);
    };
    schedule(Math.floor(Math.random() * Math.min(200, this.config.interval)));
  }

  unwatch(server: Server): void {
    clearTimeout(this.timers.get(server));
    this.timers.delete(server);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** One check; updates rise/fall counters and the pool. Exposed for tests. */
  async runOnce(server: Server): Promise<CheckStatus> {
    const started = performance.now();
    const result = await (this.config.httpchk ? this.httpCheck(server) : this.tcpCheck(server));
    const status: CheckStatus = { ...result, durationMs: Math.round(performance.now() - started), at: Date.now() };
    this.status.set(server, status);
    const ok = status.code === 'L4OK' || status.code === 'L7OK';
    const count = this.counts.get(server) ?? { ok: 0, bad: 0 };
    if (ok) {
      count.ok++;
      count.bad = 0;
    } else {
      count.bad++;
      count.ok = 0;
    }
    this.counts.set(server, count);
    if (this.pool.get(server.id) === server) {
      // A server is taken out after `fall` failures in a row and back after `rise` successes.
      if (!ok && server.health === 'up' && count.bad >= this.config.fall) this.pool.setHealth(server.id, 'down', `check: ${status.code} ${status.detail}`);
      else if (ok && server.health === 'down' && count.ok >= this.config.rise) this.pool.setHealth(server.id, 'up', `check: ${status.code}`);
    }
    this.onChange(server, status);
    return status;
  }

  private tcpCheck(server: Server): Promise<Omit<CheckStatus, 'durationMs' | 'at'>> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: server.host, port: server.port });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ code: 'L4TOUT', detail: 'connect timeout' });
      }, this.timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ code: 'L4OK', detail: 'connected' });
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve({ code: 'L4CON', detail: error.code ?? error.message });
      });
    });
  }

  private httpCheck(server: Server): Promise<Omit<CheckStatus, 'durationMs' | 'at'>> {
    const { method, path } = this.config.httpchk!;
    const [low, high] = parseExpect(this.config.expectStatus);
    const tls = this.tlsOf(server);
    return new Promise((resolve) => {
      let done = false;
      const finish = (value: Omit<CheckStatus, 'durationMs' | 'at'>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        req.destroy();
        resolve(value);
      };
      const options = { host: server.host, port: server.port, method, path, agent: false as const, headers: { 'user-agent': 'hakit-check', connection: 'close' } };
      const req = tls
        ? https.request({ ...options, ca: tls.ca, rejectUnauthorized: tls.verify, servername: tls.sni ?? (net.isIP(server.host) ? undefined : server.host) })
        : http.request(options);
      const timer = setTimeout(() => finish({ code: 'L7TOUT', detail: 'response timeout' }), this.timeoutMs);
      req.once('response', (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        finish(code >= low && code <= high ? { code: 'L7OK', detail: String(code) } : { code: 'L7STS', detail: String(code) });
      });
      req.once('error', (error: NodeJS.ErrnoException) => {
        const refused = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'].includes(error.code ?? '');
        finish({ code: refused ? 'L4CON' : 'L7RSP', detail: error.code ?? error.message });
      });
      req.end();
    });
  }
}

function parseExpect(expect: string | undefined): [number, number] {
  if (!expect) return [200, 399];
  const [a, b] = expect.split('-').map(Number);
  return [a!, b ?? a!];
}
