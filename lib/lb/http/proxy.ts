/**
 * The request path: smuggling checks Node's parser leaves to us, http-request rules, backend
 * choice, server choice (cookie persistence, scheduler, maxconn queue), forwarding with pooled
 * keep-alive connections, retries on connection failure, and HAProxy's error statuses:
 * 400 bad request, 403 denied, 503 no server / queue timeout / connect failure, 502 bad or reset
 * response, 504 server timeout. WebSocket upgrades take the same path (see upgrade.ts).
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { GlobalConfig } from '../config/types';
import type { Server } from '../server';
import type { HttpBackend, ServerRuntime } from './backend';
import type { ErrorPages } from './errors';
import { type FrontendRuntime, RequestView } from './frontend';
import { addForwarded, clientAddress, cookieValue, endToEnd, headerValues, stripCookie } from './headers';
import { type HttpRequestRule, applies, compileHttpRequestRule, editHeaders } from './rules';

export interface Runtime {
  frontends: Map<string, FrontendRuntime>;
  backends: Map<string, HttpBackend>;
  errors: ErrorPages;
  global: GlobalConfig;
}

/** One access-log line: HAProxy's fields and timers (ms; -1 = that phase did not happen). */
export interface AccessLogEntry {
  time: string;
  client: string;
  frontend: string;
  backend: string;
  server: string;
  method: string;
  uri: string;
  status: number;
  bytes_read: number;
  Tq: number;
  Tw: number;
  Tc: number;
  Tr: number;
  Tt: number;
  retries: number;
  termination_state: string;
}

export interface ProxyHost {
  runtime(): Runtime;
  log(entry: AccessLogEntry): void;
  /** False when nobody reads access-log entries: they are then not built at all. */
  wantsLog(): boolean;
  logError?(error: unknown): void;
}

const idempotent = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const connectErrors = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'LB_CONNECT_TIMEOUT', 'ECONNRESET_BEFORE_CONNECT']);
/** When the socket's current request started (connection accept or end of previous response). */
export const idleSince = Symbol('hakit.idleSince');
/** socket.bytesRead when the previous request on the connection ended. */
export const bytesMark = Symbol('hakit.bytesMark');
type TimedSocket = Socket & { [idleSince]?: number; [bytesMark]?: number };

/** Writes HAProxy's raw parse-error response and closes: nothing else may follow on this connection. */
export function rejectRaw(socket: Socket, bytes: Buffer): void {
  if (socket.writable) socket.end(bytes);
  else socket.destroy();
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** What the proxy needs from a request head, found in one pass over rawHeaders (req.headers is never built). */
export interface HeadFacts {
  /** Smuggling or policy reason to answer 400, or undefined. */
  bad: string | undefined;
  /** A body follows: Transfer-Encoding, or a Content-Length other than 0. */
  hasBody: boolean;
  /** Expect: 100-continue. */
  expectContinue: boolean;
}

/** Checks Node's parser leaves to us (RFC 9112 §3.2, §6.1); returns a reason or undefined. */
export function smugglingCheck(req: http.IncomingMessage, maxUri: number): string | undefined {
  return headFacts(req, maxUri).bad;
}

export function headFacts(req: http.IncomingMessage, maxUri: number): HeadFacts {
  const raw = req.rawHeaders;
  let hosts = 0;
  let te = false;
  let hasBody = false;
  let expectContinue = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Length first: most headers are none of these and are never lowercased.
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') hosts++;
        break;
      case 6:
        if (name.toLowerCase() === 'expect' && raw[i + 1]!.toLowerCase() === '100-continue') expectContinue = true;
        break;
      case 14:
        if (name.toLowerCase() === 'content-length' && raw[i + 1] !== '0') hasBody = true;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') te = hasBody = true;
        break;
    }
  }
  let bad: string | undefined;
  const version = req.httpVersion;
  if (hosts > 1) bad = 'several Host headers';
  else if (hosts === 0 && version === '1.1') bad = 'HTTP/1.1 request without Host';
  else if (te && version === '1.0') bad = 'Transfer-Encoding in an HTTP/1.0 request';
  else if ((req.url ?? '').length > maxUri) bad = 'URI too long';
  else if (req.method === 'CONNECT') bad = 'CONNECT is not proxied';
  return { bad, hasBody, expectContinue };
}

interface Exchange {
  req: http.IncomingMessage;
  /** Normal requests answer through res; upgrades write to the raw socket. */
  res?: http.ServerResponse;
  socket: Socket;
  head?: Buffer;
  fe: FrontendRuntime;
  rt: Runtime;
  host: ProxyHost;
  ssl: boolean;
  client: string;
  start: number;
  tq: number;
  tw: number;
  tc: number;
  tr: number;
  backend?: HttpBackend;
  server?: Server;
  retries: number;
  status: number;
  bytesOut: number;
  bytesReadAtStart: number;
  term: string;
  logged: boolean;
  /** Body / Expect facts of the request head (set before any answer). */
  hasBody: boolean;
  expectContinue: boolean;
  /** The chosen server's runtime (counters), once forwarding started. */
  srt?: ServerRuntime;
  /** Set while a server exchange runs: what to do if the client goes away first. */
  onClientClose?: () => void;
}

function now(): number {
  return performance.now();
}

/** Entry point for 'request', 'checkContinue' and (with res undefined) 'upgrade'. */
export function handle(host: ProxyHost, feName: string, ssl: boolean, req: http.IncomingMessage, res: http.ServerResponse | undefined, head?: Buffer): void {
  try {
    handleRequest(host, feName, ssl, req, res, head);
  } catch (error) {
    // A bug of ours must cost one request a 500, never the process.
    host.logError?.(error);
    if (res && !res.headersSent) {
      const page = host.runtime().errors.get(500);
      res.writeHead(500, page.reason, page.headers.flat());
      res.end(page.body);
    } else (res ?? req.socket).destroy();
  }
}

function handleRequest(host: ProxyHost, feName: string, ssl: boolean, req: http.IncomingMessage, res: http.ServerResponse | undefined, head?: Buffer): void {
  const rt = host.runtime();
  const socket = req.socket as TimedSocket;
  const start = now();
  const fe = rt.frontends.get(feName);
  const ex: Exchange = {
    req, res, socket, head, fe: fe!, rt, host, ssl,
    client: clientAddress(socket.remoteAddress),
    start, tq: Math.round(start - (socket[idleSince] ?? start)), tw: -1, tc: -1, tr: -1,
    retries: 0, status: 0, bytesOut: 0, bytesReadAtStart: socket[bytesMark] ?? 0, term: '--', logged: false,
    hasBody: false, expectContinue: false,
  };
  const facts = headFacts(req, rt.global.maxUriLength);
  ex.hasBody = facts.hasBody;
  ex.expectContinue = facts.expectContinue;
  if (!fe) return fail(ex, 503, 'PR');
  const wall = Date.now();
  fe.counters.begin(wall);
  if (res) {
    res.sendDate = false;
    res.once('close', () => {
      if (!res.writableFinished) ex.onClientClose?.();
      finish(ex);
    });
  } else socket.once('close', () => finish(ex));

  if (facts.bad) {
    fe.counters.ereq++;
    ex.status = 400;
    ex.term = 'PR';
    rejectRaw(socket, rt.errors.raw(400));
    if (!res) finish(ex);
    return;
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const view = new RequestView(req.method ?? 'GET', q < 0 ? url : url.slice(0, q), req.rawHeaders, ex.client, ssl);
  if (!runRules(ex, view, fe.rules)) return;
  // HAProxy answers 500 when header rewrites do not fit its buffer; same limit here.
  if (fe.rules.length && headSize(view.raw, url) > rt.global.maxHeaderSize) return fail(ex, 500, 'PR');
  const beName = fe.backendFor(view);
  const backend = beName === undefined ? undefined : rt.backends.get(beName);
  if (!backend) return fail(ex, 503, 'SC');
  ex.backend = backend;
  backend.counters.begin(wall);
  if (backend.config.httpRequest.length && !runRules(ex, view, compiledBackendRules(backend))) return;
  chooseAndForward(ex, view, undefined);
}

const backendRuleCache = new WeakMap<HttpBackend, HttpRequestRule[]>();
/** Backend rules see only anonymous ACLs ({ ... }); compiled once per backend object. */
export function compiledBackendRules(backend: HttpBackend): HttpRequestRule[] {
  let rules = backendRuleCache.get(backend);
  if (!rules) backendRuleCache.set(backend, (rules = backend.config.httpRequest.map((line) => compileHttpRequestRule(line, new Map()))));
  return rules;
}

/** Runs http-request rules; false when a rule answered the request itself. */
function runRules(ex: Exchange, view: RequestView, rules: FrontendRuntime['rules']): boolean {
  for (const rule of rules) {
    if (!applies(rule, view)) continue;
    const action = rule.action;
    switch (action.kind) {
      case 'allow':
        return true;
      case 'deny':
        ex.fe.counters.dreq++;
        if (ex.backend) ex.backend.counters.dreq++;
        fail(ex, action.status, 'PR');
        return false;
      case 'redirect': {
        let location = action.target;
        if (action.type === 'prefix') location = action.target.replace(/\/$/, '') + (ex.req.url ?? '/');
        else if (action.type === 'scheme') {
          const hostHeader = view.headers.get('host')?.[0] ?? '';
          location = `${action.target}://${hostHeader}${ex.req.url ?? '/'}`;
        }
        respond(ex, action.code, redirectReason[action.code] ?? 'Found', ['content-length', '0', 'location', location], Buffer.alloc(0), 'PR');
        return false;
      }
      case 'return': {
        const headers: string[] = ['content-length', String(action.body?.length ?? 0)];
        if (action.contentType) headers.push('content-type', action.contentType);
        for (const [name, value] of action.headers) headers.push(name, value);
        respond(ex, action.status, http.STATUS_CODES[action.status] ?? 'OK', headers, action.body ?? Buffer.alloc(0), 'PR');
        return false;
      }
      default:
        editHeaders(view, action);
    }
  }
  return true;
}

export function headSize(raw: string[], url: string): number {
  let size = url.length + 16;
  for (let i = 0; i < raw.length; i++) size += raw[i]!.length + 2;
  return size;
}

const redirectReason: Record<number, string> = { 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect', 308: 'Permanent Redirect' };

function hashKey(ex: Exchange, view: RequestView, backend: HttpBackend): string | undefined {
  switch (backend.keyKind) {
    case 'src':
      return ex.client;
    case 'uri':
      return view.path;
    case 'hdr':
      return view.headers.get(backend.config.hashKey!.toLowerCase())?.[0];
    case 'url_param': {
      const url = ex.req.url ?? '';
      const q = url.indexOf('?');
      return q < 0 ? undefined : (new URLSearchParams(url.slice(q + 1)).get(backend.config.hashKey!) ?? undefined);
    }
    default:
      return undefined;
  }
}

function chooseAndForward(ex: Exchange, view: RequestView, exclude: Server | undefined): void {
  const backend = ex.backend!;
  const cookieName = backend.config.cookie?.name;
  if (cookieName && exclude === undefined) {
    const server = backend.stickyServer(cookieValue(view.raw, cookieName));
    if (server) {
      ex.tw = 0;
      return forward(ex, view, server, true);
    }
  }
  const waitStart = now();
  const picked = backend.acquire(hashKey(ex, view, backend), exclude);
  // The common case (a server has room) stays synchronous: no promise, no extra tick.
  if (!(picked instanceof Promise)) return forwardPicked(ex, view, picked, waitStart, 'SC');
  picked.then((server) => forwardPicked(ex, view, server, waitStart, 'sQ')).catch((error: unknown) => {
    ex.host.logError?.(error);
    fail(ex, 500, 'PR');
  });
}

function forwardPicked(ex: Exchange, view: RequestView, server: Server | undefined, waitStart: number, noServerTerm: string): void {
  ex.tw = Math.round(now() - waitStart);
  if (!server) return fail(ex, 503, noServerTerm);
  if (ex.res?.destroyed || ex.socket.destroyed) {
    ex.backend!.release(server, true);
    return;
  }
  forward(ex, view, server, false);
}

function forward(ex: Exchange, view: RequestView, server: Server, sticky: boolean): void {
  const backend = ex.backend!;
  const srt = backend.runtime.get(server)!;
  ex.server = server;
  ex.srt = srt;
  srt.counters.begin();
  const req = ex.req;
  const upgrade = ex.res === undefined;
  const headers = endToEnd(view.raw, upgrade);
  const cookie = backend.config.cookie;
  if (cookie?.indirect) stripCookie(headers, cookie.name);
  if (ex.fe.config.forwardFor) addForwarded(headers, ex.client, ex.ssl ? 'https' : 'http', view.headers.get('host')?.[0]);
  const hasBody = ex.hasBody;
  const timeouts = backend.config.timeouts;
  const attemptStart = now();
  const options: https.RequestOptions = {
    host: server.host,
    port: server.port,
    method: req.method,
    path: req.url,
    headers: headers as unknown as http.OutgoingHttpHeaders,
    setHost: false,
    agent: upgrade ? false : srt.agent,
  };
  if (upgrade && srt.tls) Object.assign(options, srt.tls);
  const preq = (srt.tls ? https : http).request(options);
  let connected = false;
  let responded = false;
  let bodyStarted = false;
  let connectTimer: NodeJS.Timeout | undefined;
  let released = false;
  const release = (ok: boolean) => {
    if (released) return;
    released = true;
    srt.counters.end();
    backend.release(server, ok, ex.tr >= 0 ? ex.tr : undefined);
  };

  const onConnected = () => {
    if (connected) return;
    connected = true;
    clearTimeout(connectTimer);
    ex.tc = Math.round(now() - attemptStart);
    if (hasBody && !upgrade) {
      bodyStarted = true;
      preq.flushHeaders();
      req.pipe(preq);
    }
  };
  preq.on('socket', (socket: Socket) => {
    if (socket.connecting) {
      connectTimer = setTimeout(() => preq.destroy(Object.assign(new Error('connect timeout'), { code: 'LB_CONNECT_TIMEOUT' })), timeouts.connect);
      socket.once(srt.tls ? 'secureConnect' : 'connect', onConnected);
    } else onConnected();
  });
  const onServerTimeout = () => {
    if (!responded || !upgrade) preq.destroy(Object.assign(new Error('server timeout'), { code: 'LB_SERVER_TIMEOUT' }));
  };
  // Pooled requests get 'timeout' from the agent's socket timeout (backend.ts); upgrades own theirs.
  if (upgrade) preq.setTimeout(timeouts.server, onServerTimeout);
  else preq.once('timeout', onServerTimeout);
  if (!hasBody || upgrade) preq.end();
  ex.onClientClose = () => {
    ex.term = responded ? 'CD' : 'CR';
    preq.destroy();
    release(true);
  };
  if (ex.expectContinue && ex.res) preq.on('continue', () => ex.res!.writeContinue());

  preq.on('response', (pres) => {
    responded = true;
    ex.tr = Math.round(now() - attemptStart) - Math.max(ex.tc, 0);
    if (!ex.res) return relayUpgradeRefusal(ex, pres, release);
    const res = ex.res;
    const out = endToEnd(pres.rawHeaders);
    if (cookie && !sticky && cookie.mode === 'insert') {
      out.push('Set-Cookie', `${cookie.name}=${srt.cookie}; path=/`);
      if (cookie.nocache && headerValues(out, 'cache-control').length === 0) out.push('Cache-Control', 'private');
    }
    const status = pres.statusCode ?? 502;
    ex.status = status;
    try {
      res.writeHead(status, pres.statusMessage, out);
    } catch {
      // The server sent a header Node will not re-emit (bad characters): an invalid response.
      ex.status = 0;
      pres.destroy();
      srt.counters.eresp++;
      backend.counters.eresp++;
      release(false);
      return fail(ex, 502, 'SH');
    }
    pres.on('data', (chunk: Buffer) => {
      ex.bytesOut += chunk.length;
    });
    pres.pipe(res);
    pres.once('end', () => release(status < 500));
    pres.once('error', () => {
      ex.term = 'SD';
      release(false);
      res.destroy();
    });
  });

  preq.on('upgrade', (pres, psocket, phead) => {
    responded = true;
    ex.tr = Math.round(now() - attemptStart) - Math.max(ex.tc, 0);
    ex.status = pres.statusCode ?? 101;
    relayUpgrade(ex, pres, psocket, phead, release);
  });

  preq.on('error', (error: NodeJS.ErrnoException) => {
    clearTimeout(connectTimer);
    if (responded) {
      ex.term = 'SD';
      release(false);
      ex.res?.destroy();
      if (!ex.res) ex.socket.destroy();
      return;
    }
    if (ex.res?.destroyed || (!ex.res && ex.socket.destroyed)) return release(true);
    const code = error.code ?? '';
    const connectFailure = !connected && (connectErrors.has(code) || code === 'ECONNRESET' || code.startsWith('ERR_TLS') || code === 'EPROTO' || /certificate|self.signed|verify/i.test(error.message));
    const staleReuse = connected && preq.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE');
    const timeout = code === 'LB_SERVER_TIMEOUT';
    if (connectFailure) {
      srt.counters.econ++;
      backend.counters.econ++;
    } else if (!timeout) {
      srt.counters.eresp++;
      backend.counters.eresp++;
    }
    release(false);
    const replayable = !bodyStarted || !hasBody;
    const method = req.method ?? 'GET';
    // Nothing reached the server on a connect failure: any method may be retried (HAProxy).
    // A kept-alive connection the server closed meanwhile: only idempotent requests.
    if (replayable && ex.retries < backend.config.retries && (connectFailure || (staleReuse && idempotent.has(method)))) {
      ex.retries++;
      srt.counters.wretr++;
      backend.counters.wretr++;
      // `option redispatch`: the retry may go to another server; else the same one again.
      if (backend.config.redispatch && backend.pool.activeServers.length > 1) {
        backend.counters.wredis++;
        void chooseAndForward(ex, view, server);
      } else {
        backend.pool.acquire(server);
        forward(ex, view, server, sticky);
      }
      return;
    }
    if (timeout) return fail(ex, 504, 'sH');
    if (connectFailure) return fail(ex, 503, 'SC');
    return fail(ex, 502, 'SH');
  });
}

function relayUpgrade(ex: Exchange, pres: http.IncomingMessage, psocket: Socket, phead: Buffer, release: (ok: boolean) => void): void {
  const socket = ex.socket;
  let head = `HTTP/1.1 ${pres.statusCode} ${pres.statusMessage}\r\n`;
  const raw = pres.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  socket.write(head + '\r\n');
  if (phead.length) socket.write(phead);
  if (ex.head?.length) psocket.write(ex.head);
  socket.setTimeout(0);
  psocket.setTimeout(0);
  const close = () => {
    socket.destroy();
    psocket.destroy();
    release(true);
  };
  psocket.on('error', close).on('close', close);
  socket.on('error', close).on('close', close);
  psocket.on('data', (chunk: Buffer) => (ex.bytesOut += chunk.length));
  psocket.pipe(socket);
  socket.pipe(psocket);
}

function relayUpgradeRefusal(ex: Exchange, pres: http.IncomingMessage, release: (ok: boolean) => void): void {
  // The server answered the upgrade with a normal response: pass it on and close.
  ex.status = pres.statusCode ?? 502;
  let head = `HTTP/1.1 ${pres.statusCode} ${pres.statusMessage}\r\n`;
  const raw = endToEnd(pres.rawHeaders);
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  ex.socket.write(head + 'connection: close\r\n\r\n');
  pres.pipe(ex.socket);
  pres.once('end', () => {
    release(true);
    ex.socket.end();
  });
}

/** Sends one of HAProxy's error pages (or the configured errorfile). */
function fail(ex: Exchange, status: number, term: string): void {
  const page = ex.rt.errors.get(status);
  respond(ex, page.status, page.reason, page.headers.flat(), page.body, term);
}

function respond(ex: Exchange, status: number, reason: string, headers: string[], body: Buffer, term: string): void {
  ex.status = status;
  ex.term = term;
  const res = ex.res;
  if (!res) {
    let head = `HTTP/1.1 ${status} ${reason}\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    if (ex.socket.writable) ex.socket.end(Buffer.concat([Buffer.from(head + '\r\n'), body]));
    ex.bytesOut += body.length;
    finish(ex);
    return;
  }
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  ex.bytesOut += body.length;
  res.writeHead(status, reason, headers);
  // A request body we never read would be taken as the next request: close after answering.
  if (!ex.req.complete && ex.hasBody) res.shouldKeepAlive = false;
  res.end(body);
}

function finish(ex: Exchange): void {
  if (ex.logged) return;
  ex.logged = true;
  const end = now();
  (ex.socket as TimedSocket)[idleSince] = end;
  (ex.socket as TimedSocket)[bytesMark] = ex.socket.bytesRead;
  const bytesIn = ex.socket.bytesRead - ex.bytesReadAtStart;
  // No frontend: its bind outlived it across a reload; the request got a 503 and no counters.
  const fc = ex.fe?.counters;
  if (fc) {
    fc.end();
    fc.status(ex.status);
    fc.bytesOut += ex.bytesOut;
    fc.bytesIn += bytesIn;
  }
  const backend = ex.backend;
  if (backend) {
    backend.counters.end();
    backend.counters.status(ex.status);
    backend.counters.bytesOut += ex.bytesOut;
    backend.counters.bytesIn += bytesIn;
    if (ex.server) {
      const sc = ex.srt?.counters;
      if (sc) {
        sc.status(ex.status);
        sc.bytesOut += ex.bytesOut;
        sc.bytesIn += bytesIn;
      }
    }
  }
  if (!ex.host.wantsLog()) return;
  ex.host.log({
    time: new Date().toISOString(),
    client: ex.client,
    frontend: ex.fe?.config.name ?? '',
    backend: backend?.config.name ?? '<NOSRV>',
    server: ex.server?.id ?? '<NOSRV>',
    method: ex.req.method ?? '',
    uri: ex.req.url ?? '',
    status: ex.status,
    bytes_read: ex.bytesOut,
    Tq: ex.tq,
    Tw: ex.tw,
    Tc: ex.tc,
    Tr: ex.tr,
    Tt: Math.round(end - ex.start) + ex.tq,
    retries: ex.retries,
    termination_state: ex.term,
  });
}
