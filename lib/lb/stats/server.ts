/**
 * The stats listener (HAProxy's `stats uri` on its own bind): GET / the page, GET /stats.json
 * the snapshot, GET /metrics Prometheus text, POST /admin {backend, server, action} with
 * basic auth to set a server ready / drain / maint (HAProxy's stats admin).
 */
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { HakitError } from '../../errors';
import type { HttpBalancer } from '../http/balancer';
import { createMetrics } from './metrics';
import { statsPage } from './page';
import { snapshot } from './snapshot';

export interface StatsServerOptions {
  address: string;
  port: number;
  refreshSecs: number;
  admin?: { user: string; password: string };
}

export class StatsServer {
  private readonly server: http.Server;
  private readonly registry;

  constructor(
    private readonly balancer: HttpBalancer,
    private readonly options: StatsServerOptions,
  ) {
    this.registry = createMetrics(balancer);
    this.server = http.createServer((req, res) => void this.serve(req, res));
  }

  listen(): Promise<{ address: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new HakitError('LB_LISTEN', `stats: cannot listen on ${this.options.address}:${this.options.port}: ${error.code ?? error.message}`)),
      );
      this.server.listen(this.options.port, this.options.address, () => {
        const a = this.server.address() as { address: string; port: number };
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private authorized(req: http.IncomingMessage): boolean {
    const admin = this.options.admin;
    if (!admin) return false;
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) return false;
    const given = Buffer.from(header.slice(6), 'base64');
    const wanted = Buffer.from(`${admin.user}:${admin.password}`);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache', ...extra });
      res.end(body);
    };
    try {
      if (req.method === 'GET' && (path === '/' || path === '/stats')) return send(200, 'text/html; charset=utf-8', statsPage({ refreshSecs: this.options.refreshSecs, admin: !!this.options.admin }));
      if (req.method === 'GET' && (path === '/stats.json' || path === '/;json')) return send(200, 'application/json', JSON.stringify(snapshot(this.balancer)));
      if (req.method === 'GET' && path === '/metrics') return send(200, this.registry.contentType, await this.registry.metrics());
      if (path === '/admin') {
        if (req.method !== 'POST') return send(405, 'text/plain', 'POST only\n');
        if (!this.options.admin) return send(403, 'text/plain', 'no admin user is configured (global.stats.admin)\n');
        if (!this.authorized(req)) return send(401, 'text/plain', 'authentication required\n', { 'www-authenticate': 'Basic realm="hakit stats admin"' });
        const body = await readBody(req, 4096);
        let command: { backend?: unknown; server?: unknown; action?: unknown };
        try {
          command = JSON.parse(body) as typeof command;
        } catch {
          return send(400, 'text/plain', 'body must be JSON {backend, server, action}\n');
        }
        const backend = this.balancer.runtime().backends.get(String(command.backend));
        if (!backend) return send(404, 'text/plain', `no backend ${JSON.stringify(command.backend)}\n`);
        const server = backend.pool.get(String(command.server));
        if (!server) return send(404, 'text/plain', `no server ${JSON.stringify(command.server)}\n`);
        const action = String(command.action);
        if (action !== 'ready' && action !== 'drain' && action !== 'maint') return send(400, 'text/plain', 'action must be ready, drain or maint\n');
        backend.pool.setAdmin(server.id, action, 'stats admin');
        return send(200, 'application/json', JSON.stringify({ backend: backend.config.name, server: server.id, state: server.state }));
      }
      send(404, 'text/plain', 'not found\n');
    } catch (error) {
      send(500, 'text/plain', `${(error as Error).message}\n`);
    }
  }
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > limit) {
        reject(new Error('body too large'));
        req.destroy();
      }
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
