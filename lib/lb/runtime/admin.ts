/**
 * The HTTP admin endpoint over a Runtime: JSON in and out, bearer-token authentication, bound
 * to loopback unless told otherwise.
 *
 *   GET    /pools                               list pools and servers
 *   GET    /pools/:pool                         one pool
 *   POST   /pools/:pool/servers                 add a server   {id?, host, port, weight?, backup?, ...}
 *   DELETE /pools/:pool/servers/:id             remove it
 *   POST   /pools/:pool/servers/:id/drain|ready|maint
 *   PUT    /pools/:pool/servers/:id/weight      {weight}
 *   PUT    /pools/:pool/servers/:id/address     {host, port?}
 *   POST   /pools/:pool/checks/enable|disable   {server?}
 */
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { ArgumentError, HakitError, check } from '../../errors';
import { silentLogger, type Logger } from '../../log';
import type { Runtime } from './runtime';

export interface AdminServerOptions {
  runtime: Runtime;
  /** Bearer token clients must send; at least 16 characters. */
  token: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port; see server.port). */
  port?: number;
  logger?: Logger;
}

export interface AdminServer {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

function statusOf(error: unknown): number {
  if (!(error instanceof HakitError)) return 500;
  if (error.code === 'ERR_INVALID_ARG' || error.code === 'LB_BAD_REQUEST') return 400;
  if (error.code === 'LB_NO_SUCH_POOL' || error.code === 'LB_NO_SUCH_SERVER' || error.code === 'LB_NOT_FOUND') return 404;
  if (error.code === 'LB_DUPLICATE_SERVER' || error.code === 'LB_NO_CHECKS') return 409;
  return 500;
}

function readJson(request: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HakitError('LB_BAD_REQUEST', 'request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (size === 0) return resolve({});
      try {
        const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
        if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
        resolve(value as Record<string, unknown>);
      } catch (e) {
        reject(new HakitError('LB_BAD_REQUEST', `body must be a JSON object: ${(e as Error).message}`));
      }
    });
    request.on('error', reject);
  });
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const token = check.string('token', options.token);
  if (token.length < 16) throw new ArgumentError('the admin token must be at least 16 characters', { argument: 'token' });
  const host = options.host ?? '127.0.0.1';
  if (net.isIP(host) === 0) throw new ArgumentError('admin host must be a numeric address', { argument: 'host' });
  const port = check.integer('port', options.port ?? 0, 0, 65535);
  const runtime = options.runtime;
  const log = options.logger ?? silentLogger;
  const expected = crypto.createHash('sha256').update(token).digest();

  const authorized = (request: http.IncomingMessage): boolean => {
    const header = request.headers.authorization ?? '';
    const m = /^Bearer (.+)$/.exec(header);
    if (!m) return false;
    const given = crypto.createHash('sha256').update(m[1]!).digest();
    return crypto.timingSafeEqual(given, expected);
  };

  const route = async (method: string, parts: string[], request: http.IncomingMessage): Promise<[number, unknown]> => {
    const [root, pool, sub, id, action] = parts;
    if (root !== 'pools') throw new HakitError('LB_NOT_FOUND', 'unknown path');
    if (pool === undefined) {
      if (method === 'GET') return [200, runtime.list()];
    } else if (sub === undefined) {
      if (method === 'GET') return [200, runtime.describe(pool)];
    } else if (sub === 'servers' && id === undefined) {
      if (method === 'POST') {
        const body = await readJson(request);
        return [201, runtime.addServer(pool, body as never)];
      }
    } else if (sub === 'servers' && action === undefined) {
      if (method === 'DELETE') {
        runtime.removeServer(pool, id!);
        return [200, { removed: id }];
      }
      if (method === 'GET') {
        const found = runtime.describe(pool).servers.find((s) => s.id === id);
        if (!found) throw new HakitError('LB_NO_SUCH_SERVER', `no server ${JSON.stringify(id)} in pool ${pool}`);
        return [200, found];
      }
    } else if (sub === 'servers') {
      if (method === 'POST' && (action === 'drain' || action === 'ready' || action === 'maint')) return [200, runtime.setAdmin(pool, id!, action)];
      if (method === 'PUT' && action === 'weight') {
        const body = await readJson(request);
        return [200, runtime.setWeight(pool, id!, body.weight as number)];
      }
      if (method === 'PUT' && action === 'address') {
        const body = await readJson(request);
        return [200, runtime.setAddress(pool, id!, body.host as string, body.port as number | undefined)];
      }
    } else if (sub === 'checks' && (id === 'enable' || id === 'disable') && method === 'POST') {
      const body = await readJson(request);
      if (body.server !== undefined) check.string('server', body.server);
      runtime.setChecks(pool, id === 'enable', body.server as string | undefined);
      return [200, { checks: id === 'enable' ? 'enabled' : 'disabled', server: body.server ?? null }];
    }
    throw new HakitError('LB_NOT_FOUND', `no route ${method} /${parts.join('/')}`);
  };

  const server = http.createServer((request, response) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body) + '\n';
      response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
      response.end(text);
    };
    if (!authorized(request)) {
      response.setHeader('www-authenticate', 'Bearer');
      return send(401, { error: { code: 'LB_UNAUTHORIZED', message: 'missing or wrong bearer token' } });
    }
    const url = new URL(request.url ?? '/', 'http://admin');
    const parts = url.pathname.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
    route(request.method ?? 'GET', parts, request).then(
      ([status, body]) => {
        log.info('lb admin', { method: request.method, path: url.pathname, status });
        send(status, body);
      },
      (error: unknown) => {
        const status = statusOf(error);
        const e = error as HakitError;
        log.warn('lb admin error', { method: request.method, path: url.pathname, status, error });
        send(status, { error: { code: e.code ?? 'LB_INTERNAL', message: status === 500 ? 'internal error' : e.message } });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new HakitError('LB_LISTEN', `admin endpoint cannot listen on ${host}:${port}: ${e.message}`, { host, port }, { cause: e })));
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    host,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
