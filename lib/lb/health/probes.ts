/**
 * One health probe per kind. Each resolves (never rejects) to a ProbeResult within its timeout,
 * so the checker's state machine sees every outcome as data.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { ArgumentError } from '../../errors';
import type { Server } from '../server';
import { AGENT_MAX_REPLY, parseAgentReply, type AgentReply } from './agent';
import { nativeTcpProbe } from './native-tcp';

export interface ProbeResult {
  ok: boolean;
  /** Short reason: "connected", "ECONNREFUSED", "timeout", "status 503", "body mismatch"... */
  detail: string;
  durationMs: number;
  /** Agent checks: what the agent said. */
  agent?: AgentReply;
}

export interface HttpCheckOptions {
  method?: string;
  path?: string;
  /** Host header (default: the server's host). */
  host?: string;
  headers?: Record<string, string>;
  /** Accepted statuses: numbers, "2xx", "200-399" (default 200-399, as HAProxy's httpchk). */
  expectStatus?: (number | string)[];
  /** Substring or regex the body must contain/match (first 64 KiB). */
  expectBody?: string | RegExp;
  /** https: verify the certificate (default false: a health check asks "is it alive"). */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface AgentCheckOptions {
  /** Agent port (HAProxy agent-port); the host is the server's unless agentHost is set. */
  port: number;
  host?: string;
  /** String sent on connect (HAProxy agent-send). */
  send?: string;
}

export type CustomCheck = (server: Server, context: { signal: AbortSignal }) => Promise<boolean | void>;

export interface ProbeContext {
  server: Server;
  /** Port to check (defaults to the server's). */
  port: number;
  timeoutMs: number;
}

function elapsed(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}

export function errorDetail(error: unknown): string {
  const code = (error as { code?: string }).code;
  return code ?? (error as Error).message ?? String(error);
}

/**
 * TCP connect; the socket is closed as soon as the handshake completes. Numeric addresses go
 * through the native prober (off the event loop); names through Node's resolver and socket.
 */
export function tcpProbe(ctx: ProbeContext): Promise<ProbeResult> {
  if (net.isIP(ctx.server.host)) {
    const native = nativeTcpProbe(ctx.server.host, ctx.port, ctx.timeoutMs);
    if (native) return native;
  }
  const start = performance.now();
  const socket = net.connect({ host: ctx.server.host, port: ctx.port });
  return settleSocket(socket, 'connect', () => 'connected', ctx.timeoutMs, start);
}

/** Resolves once: up on `event`, down on error or timeout; the socket is always destroyed. */
function settleSocket<S extends net.Socket>(socket: S, event: string, detail: (socket: S) => string, timeoutMs: number, start: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false, 'timeout'), timeoutMs);
    let finished = false;
    function done(ok: boolean, text: string) {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok, detail: text, durationMs: elapsed(start) });
    }
    socket.once(event, () => done(true, detail(socket)));
    socket.once('error', (e: unknown) => done(false, errorDetail(e)));
  });
}

/** TLS handshake completes (certificate verified only when asked). */
export function tlsProbe(ctx: ProbeContext, options: { servername?: string; rejectUnauthorized?: boolean } = {}): Promise<ProbeResult> {
  const start = performance.now();
  const socket = tls.connect({
    host: ctx.server.host, port: ctx.port, servername: options.servername ?? (net.isIP(ctx.server.host) ? undefined : ctx.server.host),
    rejectUnauthorized: options.rejectUnauthorized ?? false,
  });
  return settleSocket(socket, 'secureConnect', (s) => `tls ${s.getProtocol() ?? ''}`.trim(), ctx.timeoutMs, start);
}

/** Compiles an expected-status list into a predicate. */
export function statusMatcher(expect: (number | string)[] | undefined): (status: number) => boolean {
  if (expect === undefined || expect.length === 0) return (s) => s >= 200 && s < 400;
  const tests: ((s: number) => boolean)[] = expect.map((e) => {
    if (typeof e === 'number' && Number.isInteger(e)) return (s) => s === e;
    const text = String(e).trim().toLowerCase();
    let m: RegExpMatchArray | null;
    if ((m = /^([1-5])xx$/.exec(text))) {
      const base = Number(m[1]) * 100;
      return (s) => s >= base && s < base + 100;
    }
    if ((m = /^(\d{3})-(\d{3})$/.exec(text))) {
      const lo = Number(m[1]);
      const hi = Number(m[2]);
      return (s) => s >= lo && s <= hi;
    }
    if (/^\d{3}$/.test(text)) return (s) => s === Number(text);
    throw new ArgumentError(`expectStatus entry ${JSON.stringify(e)} is not a status, "2xx" or "200-399"`, { argument: 'expectStatus' });
  });
  return (s) => tests.some((t) => t(s));
}

const MAX_BODY = 64 * 1024;

export function httpProbe(ctx: ProbeContext, options: HttpCheckOptions, secure: boolean): Promise<ProbeResult> {
  const start = performance.now();
  const statusOk = statusMatcher(options.expectStatus);
  const body = options.expectBody;
  return new Promise((resolve) => {
    let finished = false;
    const headers: Record<string, string> = { 'user-agent': 'hakit-health-check', ...options.headers };
    headers.host = options.host ?? (ctx.port === (secure ? 443 : 80) ? ctx.server.host : `${ctx.server.host}:${ctx.port}`);
    headers.connection = 'close';
    const module = secure ? https : http;
    const request = module.request({
      host: ctx.server.host, port: ctx.port, method: options.method ?? 'GET', path: options.path ?? '/', headers, agent: false,
      ...(secure ? { rejectUnauthorized: options.rejectUnauthorized ?? false, servername: options.servername } : {}),
    });
    const timer = setTimeout(() => done(false, 'timeout'), ctx.timeoutMs);
    function done(ok: boolean, detail: string) {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      request.destroy();
      resolve({ ok, detail, durationMs: elapsed(start) });
    }
    request.once('error', (e) => done(false, errorDetail(e)));
    request.once('response', (response) => {
      const status = response.statusCode ?? 0;
      if (!statusOk(status)) {
        response.resume();
        return done(false, `status ${status}`);
      }
      if (body === undefined) {
        response.resume();
        return done(true, `status ${status}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const matched = typeof body === 'string' ? text.includes(body) : body.test(text);
        done(matched, matched ? `status ${status}` : 'body mismatch');
      };
      response.on('data', (chunk: Buffer) => {
        if (size >= MAX_BODY) return;
        chunks.push(chunk.subarray(0, MAX_BODY - size));
        size += chunk.length;
        if (size >= MAX_BODY) finish();
      });
      response.once('end', finish);
      response.once('error', (e) => done(false, errorDetail(e)));
    });
    request.end();
  });
}

/** Connects to the agent, sends `send` if any, reads one line (or until close) and parses it. */
export function agentProbe(ctx: ProbeContext, options: AgentCheckOptions): Promise<ProbeResult> {
  const start = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: options.host ?? ctx.server.host, port: options.port });
    const timer = setTimeout(() => done(false, 'timeout'), ctx.timeoutMs);
    let finished = false;
    let data = '';
    function done(ok: boolean, detail: string, agent?: AgentReply) {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok, detail, durationMs: elapsed(start), ...(agent ? { agent } : {}) });
    }
    function parse() {
      try {
        const agent = parseAgentReply(data);
        done(true, `agent: ${data.trim().slice(0, 80)}`, agent);
      } catch (e) {
        done(false, (e as Error).message);
      }
    }
    socket.setEncoding('latin1');
    socket.once('connect', () => {
      if (options.send) socket.write(options.send);
    });
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (/[\r\n]/.test(data) || data.length > AGENT_MAX_REPLY) parse();
    });
    socket.once('end', () => (data.length > 0 ? parse() : done(false, 'agent closed without a reply')));
    socket.once('error', (e) => done(false, errorDetail(e)));
  });
}

export async function customProbe(ctx: ProbeContext, fn: CustomCheck): Promise<ProbeResult> {
  const start = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ ok: false, detail: 'timeout', durationMs: elapsed(start) });
    }, ctx.timeoutMs);
  });
  const run = (async (): Promise<ProbeResult> => {
    try {
      const result = await fn(ctx.server, { signal: controller.signal });
      return { ok: result !== false, detail: result === false ? 'custom check failed' : 'ok', durationMs: elapsed(start) };
    } catch (e) {
      return { ok: false, detail: errorDetail(e), durationMs: elapsed(start) };
    }
  })();
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
