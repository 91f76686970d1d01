/**
 * The native request path (native/lb/http): C++ accepts, parses and forwards plain-HTTP
 * requests over pooled keep-alive connections; this file is the policy it asks, once per request,
 * synchronously: frontend rules, backend choice, cookie persistence and server choice run here
 * exactly as on the JS path (proxy.ts). Whatever the policy would answer itself (deny, redirect,
 * return, 503, the maxconn queue) or the engine does not support (TLS servers, names instead of
 * addresses) is handed back to the JS path with the bytes already read, on the same connection.
 * Completed requests come back in batches (one call per loop iteration) for counters and logs.
 */
import { closeSync } from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import { HakitError } from '../../errors';
import { nativeModule } from '../../native';
import type { BindConfig, FrontendConfig } from '../config/types';
import type { Server } from '../server';
import type { HttpBackend, ServerRuntime } from './backend';
import type { FrontendRuntime } from './frontend';
import { RequestView } from './frontend';
import { addForwarded, cookieValue, endToEnd, stripCookie } from './headers';
import { type AccessLogEntry, type ProxyHost, compiledBackendRules, headSize, idleSince } from './proxy';
import { type HttpRequestRule, applies, editHeaders } from './rules';

/** `global.native-http`: auto = native where it applies and the addon loads; on = required; off = JS only. */
export type NativeHttpMode = 'auto' | 'on' | 'off';

interface EngineParams {
  httpRequest: number;
  keepAlive: number;
  client: number;
  maxHead: number;
  maxUri: number;
  maxconn: number;
  err400: Buffer;
  err408: Buffer;
  err502: Buffer;
  err503: Buffer;
  err504: Buffer;
}

interface EngineHandle {
  listen(id: number, host: string, port: number, backlog: number, reusePort: boolean, params: EngineParams): number;
  configure(id: number, params: EngineParams): void;
  closeListener(id: number): void;
  addServer(host: string, port: number, connectMs: number, serverMs: number): number;
  headers(): string[];
  connections(): number;
  shutdown(): void;
}

interface LbHttpNative {
  NativeHttpEngine: new (
    decide: (reqId: number, listener: number, method: string, target: string, host: string, client: string) => number | unknown[],
    handoff: (fd: number, bytes: Buffer, listener: number) => void,
    done: (records: Float64Array) => void,
  ) => EngineHandle;
}

/** The mode in force: HAKIT_NATIVE_HTTP (on|off|auto) overrides the configuration (tests, benchmarks). */
export function nativeHttpMode(configured: NativeHttpMode): NativeHttpMode {
  const env = process.env.HAKIT_NATIVE_HTTP;
  if (env === 'on' || env === 'off' || env === 'auto') return env;
  return configured;
}

interface NativeListener {
  frontend: string;
  /** The JS path for this bind: a non-listening http.Server that takes handed-over connections. */
  server: http.Server;
}

interface Pending {
  fe: FrontendRuntime;
  backend: HttpBackend;
  server: Server;
  srt: ServerRuntime;
  method: string;
  uri: string;
  client: string;
}

const RECORD = 10;
const terms = ['--', 'SH', 'sH', 'SD', 'sD', 'CD', 'CR', 'cR', 'SC', 'cD', 'SC', 'PR'];
const TERM_PR = 11;
const TERM_CONNECT_FAILED = 8;
const FALLBACK = -1;

export class NativeHttpPath {
  private readonly engine: EngineHandle;
  private readonly listeners = new Map<number, NativeListener>();
  private readonly pending = new Map<number, Pending>();
  private readonly slotCache = new WeakMap<ServerRuntime, number>();
  private nextId = 0;
  /** Requests forwarded natively; connections handed to the JS path. */
  readonly stats = { requests: 0, handoffs: 0 };

  constructor(private readonly host: ProxyHost) {
    const { NativeHttpEngine } = nativeModule<LbHttpNative>('lbHttp');
    this.engine = new NativeHttpEngine(
      (reqId, listener, method, target, hostHeader, client) => this.decide(reqId, listener, method, target, hostHeader, client),
      (fd, bytes, listener) => this.handoff(fd, bytes, listener),
      (records) => this.done(records),
    );
  }

  /** Starts accepting on a plain-HTTP bind; returns the listener id and the bound port. */
  listen(frontend: FrontendConfig, bind: BindConfig, server: http.Server, reusePort: boolean): { id: number; port: number } {
    const id = this.nextId++;
    let port: number;
    try {
      port = this.engine.listen(id, bind.address, bind.port, 1024, reusePort, this.params(frontend));
    } catch (error) {
      throw new HakitError('LB_LISTEN', `frontend ${frontend.name}: cannot listen on ${bind.address}:${bind.port}: ${(error as Error).message}`, { frontend: frontend.name });
    }
    this.listeners.set(id, { frontend: frontend.name, server });
    return { id, port };
  }

  /** After a reload: the frontend's timeouts, limits and error pages may have changed. */
  configure(id: number, frontend: FrontendConfig): void {
    const l = this.listeners.get(id);
    if (!l) return;
    l.frontend = frontend.name;
    this.engine.configure(id, this.params(frontend));
  }

  closeListener(id: number): void {
    this.engine.closeListener(id);
  }

  connections(): number {
    return this.engine.connections();
  }

  close(): void {
    this.engine.shutdown();
    // Requests cut by the shutdown release their servers.
    for (const p of this.pending.values()) {
      p.srt.counters.end();
      p.backend.release(p.server, true);
    }
    this.pending.clear();
  }

  private params(frontend: FrontendConfig): EngineParams {
    const rt = this.host.runtime();
    const t = frontend.timeouts;
    return {
      httpRequest: t.httpRequest,
      keepAlive: t.httpKeepAlive,
      client: t.client,
      maxHead: rt.global.maxHeaderSize,
      maxUri: rt.global.maxUriLength,
      maxconn: frontend.maxconn,
      err400: rt.errors.raw(400),
      err408: rt.errors.raw(408),
      err502: rt.errors.get(502).raw,
      err503: rt.errors.get(503).raw,
      err504: rt.errors.get(504).raw,
    };
  }

  private slot(srt: ServerRuntime, backend: HttpBackend): number {
    let slot = this.slotCache.get(srt);
    if (slot === undefined) {
      // TLS to the server and host names stay on the JS path.
      const t = backend.config.timeouts;
      slot = srt.tls || net.isIP(srt.config.host) === 0 ? FALLBACK : this.engine.addServer(srt.config.host, srt.config.port, Math.max(1, t.connect), Math.max(1, t.server));
      this.slotCache.set(srt, slot);
    }
    return slot;
  }

  private decide(reqId: number, listenerId: number, method: string, target: string, hostHeader: string, client: string): number | unknown[] {
    try {
      return this.policy(reqId, listenerId, method, target, hostHeader, client);
    } catch (error) {
      // The JS path re-runs the request and answers it (a 500 if the bug is in the policy).
      this.host.logError?.(error);
      return FALLBACK;
    }
  }

  private policy(reqId: number, listenerId: number, method: string, target: string, hostHeader: string, client: string): number | unknown[] {
    const listener = this.listeners.get(listenerId);
    const rt = this.host.runtime();
    const fe = listener && rt.frontends.get(listener.frontend);
    if (!fe) return FALLBACK;
    const q = target.indexOf('?');
    const view = new RequestView(method, q < 0 ? target : target.slice(0, q), () => this.engine.headers(), client, false);
    if (fe.rules.length) {
      if (!headerRules(view, fe.rules)) return FALLBACK;
      if (headSize(view.raw, target) > rt.global.maxHeaderSize) return FALLBACK;
    }
    const beName = fe.backendFor(view);
    const backend = beName === undefined ? undefined : rt.backends.get(beName);
    if (!backend) return FALLBACK;
    if (backend.config.httpRequest.length && !headerRules(view, compiledBackendRules(backend))) return FALLBACK;
    const cookie = backend.config.cookie;
    let server = cookie ? backend.stickyServer(cookieValue(view.raw, cookie.name)) : undefined;
    const sticky = server !== undefined;
    // No room: the JS path queues the request (timeout queue) or answers 503.
    server ??= backend.pool.pick(hashKey(backend, view, client, target));
    if (!server) return FALLBACK;
    const srt = backend.runtime.get(server)!;
    const slot = this.slot(srt, backend);
    if (slot < 0) {
      backend.pool.release(server, { ok: true });
      return FALLBACK;
    }
    const wall = Date.now();
    fe.counters.begin(wall);
    backend.counters.begin(wall);
    srt.counters.begin();
    this.pending.set(reqId, { fe, backend, server, srt, method, uri: target, client });
    this.stats.requests++;
    let headers: string | null = null;
    if (view.modified || cookie?.indirect || fe.config.forwardFor) {
      const out = endToEnd(view.raw);
      if (cookie?.indirect) stripCookie(out, cookie.name);
      if (fe.config.forwardFor) addForwarded(out, client, 'http', hostHeader);
      headers = '';
      for (let i = 0; i < out.length; i += 2) headers += `${out[i]}: ${out[i + 1]}\r\n`;
    }
    const setCookie = cookie && !sticky && cookie.mode === 'insert' ? `Set-Cookie: ${cookie.name}=${srt.cookie}; path=/\r\n` : null;
    if (headers === null && setCookie === null) return slot;
    return [slot, headers, setCookie, !!cookie?.nocache];
  }

  /** A connection for the JS path: Node's http server parses it from the bytes already read. */
  private handoff(fd: number, bytes: Buffer, listenerId: number): void {
    const listener = this.listeners.get(listenerId);
    if (!listener) {
      closeSync(fd);
      return;
    }
    this.stats.handoffs++;
    let socket: net.Socket;
    try {
      socket = new net.Socket({ fd, readable: true, writable: true });
    } catch (error) {
      this.host.logError?.(error);
      closeSync(fd);
      return;
    }
    (socket as net.Socket & { [idleSince]?: number })[idleSince] = performance.now();
    // Node's http server takes it as a new connection; the bytes already read come first.
    listener.server.emit('connection', socket);
    if (bytes.length) socket.unshift(bytes);
  }

  private done(records: Float64Array): void {
    const rt = this.host.runtime();
    const wantsLog = this.host.wantsLog();
    for (let i = 0; i + RECORD <= records.length; i += RECORD) {
      const reqId = records[i]!;
      const status = records[i + 2]!;
      const term = records[i + 9]!;
      const p = this.pending.get(reqId);
      if (!p) {
        // A 408 before any decision: counted on the frontend like the JS path's clientError.
        const listener = this.listeners.get(records[i + 1]!);
        const fe = listener && rt.frontends.get(listener.frontend);
        if (reqId !== 0 || status !== 408) continue;
        if (fe) {
          fe.counters.ereq++;
          fe.counters.status(408);
        }
        if (wantsLog && listener)
          this.host.log({ time: new Date().toISOString(), client: '', frontend: listener.frontend, backend: '<NOSRV>', server: '<NOSRV>', method: '', uri: '', status: 408,
            bytes_read: 0, Tq: -1, Tw: -1, Tc: -1, Tr: -1, Tt: -1, retries: 0, termination_state: 'cR' });
        continue;
      }
      this.pending.delete(reqId);
      const { fe, backend, server, srt } = p;
      srt.counters.end();
      if (term === TERM_CONNECT_FAILED) {
        // The JS path took the request over and counts it (its attempts, retries, econ, 503)
        // as if it had come to it first: this attempt leaves no count behind.
        backend.release(server, false);
        for (const c of [fe.counters, backend.counters, srt.counters]) c.stot--;
        fe.counters.end();
        backend.counters.end();
        continue;
      }
      const tr = records[i + 7]!;
      if (term === TERM_PR) fe.counters.ereq++;
      if (term === 1 && status === 502) {
        srt.counters.eresp++;
        backend.counters.eresp++;
      }
      backend.release(server, term === 0 && status < 500, tr >= 0 ? tr : undefined);
      const bytesIn = records[i + 3]!;
      const bytesOut = records[i + 4]!;
      for (const c of [fe.counters, backend.counters]) {
        c.end();
        c.status(status);
        c.bytesOut += bytesOut;
        c.bytesIn += bytesIn;
      }
      srt.counters.status(status);
      srt.counters.bytesOut += bytesOut;
      srt.counters.bytesIn += bytesIn;
      if (!wantsLog) continue;
      const entry: AccessLogEntry = {
        time: new Date().toISOString(), client: p.client, frontend: fe.config.name, backend: backend.config.name, server: server.id,
        method: p.method, uri: p.uri, status, bytes_read: bytesOut, Tq: records[i + 5]!, Tw: 0, Tc: records[i + 6]!, Tr: tr, Tt: records[i + 8]!,
        retries: 0, termination_state: terms[term] ?? '--',
      };
      this.host.log(entry);
    }
  }
}

/** http-request rules without their answers: false when a rule would answer (the JS path does that). */
function headerRules(view: RequestView, rules: readonly HttpRequestRule[]): boolean {
  for (const rule of rules) {
    if (!applies(rule, view)) continue;
    const action = rule.action;
    switch (action.kind) {
      case 'allow':
        return true;
      case 'deny':
      case 'redirect':
      case 'return':
        return false;
      default:
        editHeaders(view, action);
    }
  }
  return true;
}

function hashKey(backend: HttpBackend, view: RequestView, client: string, target: string): string | undefined {
  switch (backend.keyKind) {
    case 'src':
      return client;
    case 'uri':
      return view.path;
    case 'hdr':
      return view.headers.get(backend.config.hashKey!.toLowerCase())?.[0];
    case 'url_param': {
      const q = target.indexOf('?');
      return q < 0 ? undefined : (new URLSearchParams(target.slice(q + 1)).get(backend.config.hashKey!) ?? undefined);
    }
    default:
      return undefined;
  }
}
