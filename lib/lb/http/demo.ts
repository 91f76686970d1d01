/**
 * Demo backends for the embedded default: small HTTP servers in child processes, so a user can
 * stop one with `kill PID` (or `kill -STOP PID`) and watch the health check move traffic.
 * Each answers every path with its name and serves GET /health.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';

export interface DemoBackend {
  name: string;
  port: number;
  pid: number;
  child: ChildProcess;
}

/** Body of a demo backend process (run by `node demo.js --serve NAME`). */
export function serveDemo(name: string): void {
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-demo-backend': name });
      res.end(`hello from ${name} (pid ${process.pid}) ${req.method} ${req.url} via ${req.headers['x-forwarded-for'] ?? '-'}\n`);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as { port: number }).port });
  });
  // The balancer going away takes the demo with it.
  process.on('disconnect', () => process.exit(0));
}

export async function startDemoBackends(names: string[]): Promise<DemoBackend[]> {
  return Promise.all(
    names.map(
      (name) =>
        new Promise<DemoBackend>((resolve, reject) => {
          const child = fork(__filename, ['--serve', name], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
          child.once('error', reject);
          child.once('exit', (code) => reject(new Error(`demo backend ${name} exited with ${code}`)));
          child.once('message', (message: { port: number }) => resolve({ name, port: message.port, pid: child.pid!, child }));
        }),
    ),
  );
}

export function stopDemoBackends(backends: DemoBackend[]): void {
  for (const b of backends) if (b.child.exitCode === null) b.child.kill();
}

if (require.main === module && process.argv[2] === '--serve') serveDemo(process.argv[3] ?? 'demo');
