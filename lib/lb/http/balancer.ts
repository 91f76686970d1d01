/**
 * HttpBalancer: the L7 load balancer as an object. It listens on every frontend bind, routes
 * through the runtime built from an LbConfig, and `reload(config)` swaps that runtime without
 * closing established connections: listeners whose address stays are kept (no refused
 * connections), new ones open, removed ones stop accepting and let their connections finish;
 * servers keep their keep-alive connection pools when their address is unchanged.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { HakitError } from '../../errors';
import { type Logger, silentLogger } from '../../log';
import type { BindConfig, FrontendConfig, LbConfig } from '../config/types';
import { type AgentCache, HttpBackend } from './backend';
import { ErrorPages } from './errors';
import { FrontendRuntime } from './frontend';
import { type AccessLogEntry, type Runtime, handle, idleSince, rejectRaw } from './proxy';
import { NativeHttpPath, nativeHttpMode } from './native';
import { tlsSetup } from './tls';

export interface HttpBalancerOptions {
  logger?: Logger;
  /** Called with every access-log entry (the CLI prints them as JSON lines). */
  accessLog?: (entry: AccessLogEntry) => void;
}

interface Listener {
  key: string;
  frontend: string;
  bind: BindConfig;
  server: http.Server;
  sockets: Set<Socket>;
  /** Current SNI chooser (replaced on reload). */
  sni?: ReturnType<typeof tlsSetup>['SNICallback'];
  /** Set when the native path accepts on this bind (`server` then only takes hand-overs). */
  nativeId?: number;
  nativePort?: number;
}

export interface HttpBalancerEvents {
  reload: [LbConfig];
  log: [AccessLogEntry];
}

// Port 0 means "any free port": every such bind is its own listener, kept by frontend and position.
const bindKey = (bind: BindConfig, frontend: string, index: number) =>
  `${bind.address}:${bind.port}:${bind.ssl ? 'ssl' : 'plain'}${bind.port === 0 ? `:${frontend}:${index}` : ''}`;

export class HttpBalancer extends EventEmitter<HttpBalancerEvents> {
  private current!: Runtime;
  private config!: LbConfig;
  private readonly binds = new Map<string, Listener>();
  private readonly agents: AgentCache = new Map();
  private readonly logger: Logger;
  private readonly accessLog?: (entry: AccessLogEntry) => void;
  private closed = false;
  /** The native request path, created with the first plain-HTTP bind it serves; null = not available. */
  private nativePath: NativeHttpPath | null | undefined;
  readonly startedAt = Date.now();

  constructor(config: LbConfig, options: HttpBalancerOptions = {}) {
    super();
    this.logger = options.logger ?? silentLogger;
    this.accessLog = options.accessLog;
    this.apply(config, undefined);
  }

  /** The runtime requests use now (frontends, backends, error pages). */
  runtime(): Runtime {
    return this.current;
  }

  get configuration(): LbConfig {
    return this.config;
  }

  /** Opens every bind; resolves once all listen. Ports 0 get real ports (see addresses()). */
  async start(): Promise<void> {
    await this.syncListeners();
  }

  /** Address each frontend bind listens on, after start(). */
  addresses(): Array<{ frontend: string; address: string; port: number; ssl: boolean }> {
    return [...this.binds.values()].map((l) => {
      if (l.nativePort !== undefined) return { frontend: l.frontend, address: l.bind.address, port: l.nativePort, ssl: false };
      const a = l.server.address();
      return { frontend: l.frontend, address: l.bind.address, port: typeof a === 'object' && a ? a.port : l.bind.port, ssl: !!l.bind.ssl };
    });
  }

  /** Swaps in a new configuration; established connections carry on. */
  async reload(config: LbConfig): Promise<void> {
    if (this.closed) throw new HakitError('LB_CLOSED', 'the balancer is closed');
    const old = this.current;
    this.apply(config, old);
    await this.syncListeners();
    // Old backends stop their checks; their in-flight requests finish on the objects they hold.
    for (const backend of old.backends.values()) backend.close();
    this.pruneAgents();
    this.logger.info('reloaded', { frontends: config.frontends.length, backends: config.backends.length });
    this.emit('reload', config);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const backend of this.current.backends.values()) backend.close();
    await Promise.all([...this.binds.values()].map((l) => this.closeListener(l, 0)));
    this.binds.clear();
    this.nativePath?.close();
    for (const agent of this.agents.values()) agent.destroy();
  }

  private apply(config: LbConfig, old: Runtime | undefined): void {
    const backends = new Map<string, HttpBackend>();
    for (const bc of config.backends) {
      const backend = new HttpBackend(bc, this.agents);
      const previous = old?.backends.get(bc.name);
      if (previous) carryOver(previous, backend);
      backends.set(bc.name, backend);
    }
    const frontends = new Map<string, FrontendRuntime>();
    for (const fc of config.frontends) frontends.set(fc.name, new FrontendRuntime(fc, old?.frontends.get(fc.name)?.counters));
    this.current = { frontends, backends, errors: new ErrorPages(config.defaults.errorfiles), global: config.global };
    this.config = config;
    for (const backend of backends.values()) backend.startChecks();
  }

  private pruneAgents(): void {
    const used = new Set<http.Agent>();
    for (const backend of this.current.backends.values()) for (const rt of backend.runtime.values()) used.add(rt.agent);
    for (const [key, agent] of this.agents) {
      if (!used.has(agent)) {
        // Idle pooled connections go now; busy ones close when their response ends.
        agent.destroy();
        this.agents.delete(key);
      }
    }
  }

  private async syncListeners(): Promise<void> {
    const wanted = new Map<string, { frontend: FrontendConfig; bind: BindConfig }>();
    for (const fc of this.config.frontends) fc.binds.forEach((bind, i) => wanted.set(bindKey(bind, fc.name, i), { frontend: fc, bind }));
    for (const [key, listener] of this.binds) {
      if (!wanted.has(key)) {
        this.binds.delete(key);
        void this.closeListener(listener, this.config.defaults.timeouts.client);
      }
    }
    const opening: Promise<void>[] = [];
    for (const [key, { frontend, bind }] of wanted) {
      const existing = this.binds.get(key);
      if (existing) {
        existing.frontend = frontend.name;
        existing.bind = bind;
        configureServer(existing.server, frontend, this.config);
        if (existing.nativeId !== undefined) this.nativePath?.configure(existing.nativeId, frontend);
        if (bind.ssl) {
          const setup = tlsSetup(bind.ssl);
          (existing.server as https.Server).setSecureContext(setup.options);
          existing.sni = setup.SNICallback;
        }
        continue;
      }
      opening.push(this.listen(key, frontend, bind));
    }
    await Promise.all(opening);
  }

  private listen(key: string, frontend: FrontendConfig, bind: BindConfig): Promise<void> {
    const common: http.ServerOptions = {
      maxHeaderSize: this.config.global.maxHeaderSize,
      requireHostHeader: false,
      // Node's parser must stay strict: its leniency flags would let smuggling vectors through.
      insecureHTTPParser: false,
      joinDuplicateHeaders: false,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, frontend.timeouts.httpRequest / 4)),
    };
    const setup = bind.ssl ? tlsSetup(bind.ssl) : undefined;
    let listener: Listener | undefined;
    const server: http.Server = setup
      ? https.createServer({ ...common, ...setup.options, SNICallback: (name, cb) => listener!.sni!(name, cb) })
      : http.createServer(common);
    listener = { key, frontend: frontend.name, bind, server, sockets: new Set(), sni: setup?.SNICallback };
    configureServer(server, frontend, this.config);
    const ssl = !!bind.ssl;
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => handle(this, listener.frontend, ssl, req, res);
    server.on('request', onRequest);
    server.on('checkContinue', onRequest);
    server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => handle(this, listener.frontend, ssl, req, undefined, head));
    server.on(bind.ssl ? 'secureConnection' : 'connection', (socket: Socket) => {
      (socket as Socket & { [idleSince]?: number })[idleSince] = performance.now();
      listener.sockets.add(socket);
      socket.once('close', () => listener.sockets.delete(socket));
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => this.clientError(listener, error, socket));
    if (bind.ssl) server.on('tlsClientError', () => {});
    const native = bind.ssl ? undefined : this.native();
    if (native) {
      const { id, port } = native.listen(frontend, bind, server, this.config.global.reusePort);
      listener.nativeId = id;
      listener.nativePort = port;
      this.binds.set(key, listener);
      // The JS server never listens; 'listening' starts its timers (headers timeout → 408).
      server.emit('listening');
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new HakitError('LB_LISTEN', `frontend ${frontend.name}: cannot listen on ${bind.address}:${bind.port}: ${error.code ?? error.message}`, { frontend: frontend.name, code: error.code })),
      );
      server.listen({ host: bind.address, port: bind.port, backlog: 1024 }, () => {
        this.binds.set(key, listener);
        server.on('error', (error) => this.logger.error('listener error', { frontend: frontend.name, error }));
        resolve();
      });
    });
  }

  /** Errors Node's parser found: HAProxy's 400, or 408 when the request head came too slowly. */
  private clientError(listener: Listener, error: NodeJS.ErrnoException, socket: Socket): void {
    const fe = this.current.frontends.get(listener.frontend);
    const code = error.code ?? '';
    if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (fe) {
      fe.counters.ereq++;
      fe.counters.status(status);
    }
    this.log({
      time: new Date().toISOString(), client: socket.remoteAddress ?? '', frontend: listener.frontend, backend: '<NOSRV>', server: '<NOSRV>',
      method: '', uri: '', status, bytes_read: 0, Tq: -1, Tw: -1, Tc: -1, Tr: -1, Tt: -1, retries: 0,
      termination_state: status === 408 ? 'cR' : 'PR', parse_error: code,
    } as AccessLogEntry);
    rejectRaw(socket, this.current.errors.raw(status));
  }

  wantsLog(): boolean {
    return this.accessLog !== undefined || this.listenerCount('log') > 0;
  }

  logError(error: unknown): void {
    this.logger.error('request handling failed', { error });
  }

  log(entry: AccessLogEntry): void {
    this.accessLog?.(entry);
    if (this.listenerCount('log')) this.emit('log', entry);
  }

  /** Whether the native request path serves plain-HTTP binds, and what it did so far. */
  nativeHttp(): { enabled: boolean; requests: number; handoffs: number } {
    const n = this.nativePath;
    return { enabled: !!n, requests: n?.stats.requests ?? 0, handoffs: n?.stats.handoffs ?? 0 };
  }

  /** The native path if the configuration (or HAKIT_NATIVE_HTTP) wants it and the addon has it. */
  private native(): NativeHttpPath | undefined {
    const mode = nativeHttpMode(this.config.global.nativeHttp);
    if (mode === 'off') return undefined;
    if (this.nativePath === undefined) {
      try {
        this.nativePath = new NativeHttpPath(this);
      } catch (error) {
        if (mode === 'on') throw new HakitError('LB_NATIVE_HTTP', `global.native-http is on but the native path is unavailable: ${(error as Error).message}`);
        this.logger.warn('native HTTP path unavailable, using the JS path', { error });
        this.nativePath = null;
      }
    }
    return this.nativePath ?? undefined;
  }

  private closeListener(listener: Listener, graceMs: number): Promise<void> {
    if (listener.nativeId !== undefined) this.nativePath?.closeListener(listener.nativeId);
    return new Promise((resolve) => {
      listener.server.close(() => resolve());
      listener.server.closeIdleConnections();
      const timer = setTimeout(() => {
        for (const socket of listener.sockets) socket.destroy();
      }, graceMs);
      timer.unref();
      if (graceMs === 0) for (const socket of listener.sockets) socket.destroy();
    });
  }
}

function configureServer(server: http.Server, frontend: FrontendConfig, config: LbConfig): void {
  const t = frontend.timeouts;
  server.headersTimeout = t.httpRequest;
  // HAProxy's timeout http-request covers the head; the body is bounded by timeout client.
  server.requestTimeout = 0;
  server.keepAliveTimeout = t.httpKeepAlive;
  server.timeout = t.client;
  server.maxHeadersCount = 0;
  server.maxConnections = frontend.maxconn;
  void config;
}

/** Keeps counters, admin state (drain/maint set at run time) and health across a reload. */
function carryOver(previous: HttpBackend, next: HttpBackend): void {
  for (const [server, rt] of next.runtime) {
    const old = previous.pool.get(server.id);
    if (!old) continue;
    const oldRt = previous.runtime.get(old)!;
    if (oldRt.config.host !== rt.config.host || oldRt.config.port !== rt.config.port) continue;
    rt.counters = oldRt.counters;
    if (old.admin !== 'ready' && !rt.config.disabled) next.pool.setAdmin(server.id, old.admin, 'reload');
    if (old.health === 'down') next.pool.setHealth(server.id, 'down', 'reload');
  }
  // Totals carry over; current sessions stay with the objects their requests hold.
  const from = previous.counters;
  const to = next.counters;
  for (const key of ['stot', 'smax', 'bytesIn', 'bytesOut', 'dreq', 'ereq', 'econ', 'eresp', 'wretr', 'wredis'] as const) to[key] = from[key];
  from.hrsp.forEach((v, i) => (to.hrsp[i] = v));
}
