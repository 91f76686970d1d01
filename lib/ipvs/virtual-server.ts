/**
 * A health-checked virtual server in the manner of keepalived's `virtual_server`: real servers
 * are checked (TCP connect, HTTP/HTTPS status and optional body digest, or a custom function)
 * and the IPVS service is made to match — failed servers removed, or kept at weight 0 with
 * inhibitOnFailure; below the quorum (sum of the live servers' weights) the sorry server takes
 * the traffic. Every round goes through Ipvs.apply(), so only changes reach the kernel.
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { ArgumentError, check } from '../errors';
import { silentLogger, type Logger } from '../log';
import type { ApplyOptions, ApplyResult } from './apply';
import type { DesiredService, DestinationSpec, ServiceSpec } from './types';

export type HealthCheck =
  /** Never checked, always up (a keepalived real_server without a checker). */
  | { type: 'none' }
  | { type: 'tcp'; port?: number; timeoutMs?: number }
  | { type: 'http' | 'https'; port?: number; path?: string; host?: string; expectStatus?: number[]; digest?: string; timeoutMs?: number }
  | { type: 'custom'; run: (server: RealServer) => Promise<boolean> };

export interface RealServer extends DestinationSpec {
  check?: HealthCheck;
}

export interface VirtualServerOptions {
  service: ServiceSpec;
  realServers: RealServer[];
  /** Between check rounds (default 5000 ms). */
  intervalMs?: number;
  /** Consecutive failures before a server is down (default 1). */
  retries?: number;
  /** Keep failed servers at weight 0 instead of removing them. */
  inhibitOnFailure?: boolean;
  /** Minimum sum of weights of live servers (default 1). */
  quorum?: number;
  /** Gets the traffic while the quorum is lost. */
  sorryServer?: DestinationSpec;
  /** Anything with Ipvs.apply()'s shape (an Ipvs client). */
  ipvs: { apply(desired: readonly DesiredService[], options?: ApplyOptions): Promise<ApplyResult> };
  logger?: Logger;
}

interface State {
  up: boolean;
  failures: number;
}

export class VirtualServer extends EventEmitter {
  private readonly states = new Map<RealServer, State>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private quorumUp = true;
  private readonly logger: Logger;

  constructor(private readonly options: VirtualServerOptions) {
    super();
    if (!Array.isArray(options.realServers)) throw new ArgumentError('realServers must be an array');
    check.integer('intervalMs', options.intervalMs ?? 5000, 10, 86_400_000);
    check.integer('retries', options.retries ?? 1, 1, 1000);
    check.integer('quorum', options.quorum ?? 1, 0, Number.MAX_SAFE_INTEGER);
    // every server starts up, as keepalived does (alpha mode off)
    for (const server of options.realServers) this.states.set(server, { up: true, failures: 0 });
    this.logger = options.logger ?? silentLogger;
  }

  /** Runs a round now and then every intervalMs until stop(). */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      const running = this.round().then(
        () => undefined,
        (error: unknown) => {
          this.logger.error('virtual server round failed', { error });
          this.emit('error', error);
        },
      );
      this.running = running;
      void running.finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.options.intervalMs ?? 5000);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Which servers are up. */
  status(): Array<{ address: string; port: number; up: boolean }> {
    return this.options.realServers.map((s) => ({ address: s.address, port: s.port, up: this.states.get(s)!.up }));
  }

  /** One round: check every server, then apply the resulting service. */
  async round(): Promise<ApplyResult> {
    const { realServers } = this.options;
    const results = await Promise.all(realServers.map((s) => runCheck(s).catch(() => false)));
    realServers.forEach((server, i) => {
      const state = this.states.get(server)!;
      if (results[i]) {
        state.failures = 0;
        if (!state.up) {
          state.up = true;
          this.logger.info('real server up', { address: server.address, port: server.port });
          this.emit('up', server);
        }
      } else if (++state.failures >= (this.options.retries ?? 1) && state.up) {
        state.up = false;
        this.logger.warn('real server down', { address: server.address, port: server.port });
        this.emit('down', server);
      }
    });
    return this.options.ipvs.apply([this.desired()], { prune: false });
  }

  /** The service as it should be now. */
  desired(): DesiredService {
    const { realServers, inhibitOnFailure, sorryServer, service } = this.options;
    const alive = realServers.filter((s) => this.states.get(s)!.up);
    const weight = alive.reduce((sum, s) => sum + (s.weight ?? 1), 0);
    const quorumUp = weight >= (this.options.quorum ?? 1);
    if (quorumUp !== this.quorumUp) {
      this.quorumUp = quorumUp;
      this.emit(quorumUp ? 'quorum-gained' : 'quorum-lost', weight);
    }
    const destinations: DestinationSpec[] = [];
    for (const server of realServers) {
      const { check: _check, ...dest } = server;
      if (this.states.get(server)!.up) destinations.push(dest);
      else if (inhibitOnFailure) destinations.push({ ...dest, weight: 0 });
    }
    if (!quorumUp && sorryServer) destinations.push(sorryServer);
    return { ...service, destinations } as DesiredService;
  }
}

export function runCheck(server: RealServer): Promise<boolean> {
  const c = server.check ?? { type: 'tcp' as const };
  if (c.type === 'custom') return c.run(server);
  if (c.type === 'none') return Promise.resolve(true);
  const timeout = c.timeoutMs ?? 3000;
  const port = c.port ?? server.port;
  if (c.type === 'tcp') {
    return new Promise((resolve) => {
      const socket = net.connect({ host: server.address, port, timeout });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('connect', () => done(true));
      socket.once('timeout', () => done(false));
      socket.once('error', () => done(false));
    });
  }
  const client = c.type === 'https' ? https : http;
  return new Promise((resolve) => {
    const request = client.get({ host: server.address, port, path: c.path ?? '/', timeout, headers: c.host ? { host: c.host } : {}, rejectUnauthorized: false, agent: false }, (response) => {
      const hash = crypto.createHash('md5');
      response.on('data', (chunk: Buffer) => hash.update(chunk));
      response.on('end', () => {
        const statusOk = (c.expectStatus ?? [200]).includes(response.statusCode ?? 0);
        resolve(statusOk && (c.digest === undefined || hash.digest('hex') === c.digest.toLowerCase()));
      });
      response.on('error', () => resolve(false));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}
