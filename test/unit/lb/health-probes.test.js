'use strict';
const test = require('ava');
const fs = require('fs');
const path = require('path');
const net = require('net');
const http = require('http');
const tls = require('tls');
const { lb } = require('../../..');

const fixtures = path.join(__dirname, '..', '..', 'fixtures', 'lb');
const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
const ctx = (port, timeoutMs = 2000) => ({ server: new lb.Server({ host: '127.0.0.1', port }), port, timeoutMs });
// Port 1 (tcpmux): nobody listens there and the kernel never hands it out as an ephemeral port,
// so unlike a just-closed port it cannot be taken by a concurrent test's listen(0).
async function closedPort() {
  return 1;
}

test('tcp probe: open port ok, closed port ECONNREFUSED', async (t) => {
  const server = net.createServer((c) => c.destroy());
  const port = await listen(server);
  t.like(await lb.tcpProbe(ctx(port)), { ok: true, detail: 'connected' });
  t.like(await lb.tcpProbe(ctx(await closedPort())), { ok: false, detail: 'ECONNREFUSED' });
  server.close();
});

test('http probe: method, path, host header, status set, body substring and regex', async (t) => {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.host}`);
    if (req.url === '/health') return res.end('status: all good');
    res.statusCode = 503;
    res.end('overloaded');
  });
  const port = await listen(server);
  const c = ctx(port);
  t.like(await lb.httpProbe(c, { path: '/health', host: 'svc.example', method: 'HEAD' }, false), { ok: true });
  t.like(await lb.httpProbe(c, { path: '/health', expectBody: 'all good' }, false), { ok: true });
  t.like(await lb.httpProbe(c, { path: '/health', expectBody: /all\s+bad/ }, false), { ok: false, detail: 'body mismatch' });
  t.like(await lb.httpProbe(c, { path: '/x' }, false), { ok: false, detail: 'status 503' });
  t.like(await lb.httpProbe(c, { path: '/x', expectStatus: ['5xx'] }, false), { ok: true });
  t.like(await lb.httpProbe(c, { path: '/x', expectStatus: [200, '300-399'] }, false), { ok: false });
  t.deepEqual(seen[0], 'HEAD /health svc.example');
  t.deepEqual(seen[1], `GET /health 127.0.0.1:${port}`);
  server.close();
});

test('http probe times out on a server that never answers', async (t) => {
  const sockets = [];
  const server = net.createServer((s) => sockets.push(s));
  const port = await listen(server);
  t.like(await lb.httpProbe(ctx(port, 100), {}, false), { ok: false, detail: 'timeout' });
  sockets.forEach((s) => s.destroy());
  server.close();
});

test('tls and https probes complete a real handshake', async (t) => {
  const options = { key: fs.readFileSync(path.join(fixtures, 'key.pem')), cert: fs.readFileSync(path.join(fixtures, 'cert.pem')) };
  const server = tls.createServer(options, (s) => { s.on('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok')); s.on('error', () => {}); });
  const port = await listen(server);
  t.like(await lb.tlsProbe(ctx(port)), { ok: true });
  const verified = await lb.tlsProbe(ctx(port), { rejectUnauthorized: true });
  t.false(verified.ok); // self-signed
  t.like(await lb.httpProbe(ctx(port), { expectBody: 'ok' }, true), { ok: true });
  const plain = net.createServer((s) => s.end('not tls'));
  const plainPort = await listen(plain);
  t.like(await lb.tlsProbe(ctx(plainPort)), { ok: false });
  server.close();
  plain.close();
});

test('agent probe reads one line and parses it; the checker applies it to the pool', async (t) => {
  let reply = 'up 50% drain\n';
  const received = [];
  const agent = net.createServer((s) => { s.on('data', (d) => received.push(d.toString())); s.end(reply); });
  const agentPort = await listen(agent);
  const r = await lb.agentProbe(ctx(1), { port: agentPort, host: '127.0.0.1' });
  t.true(r.ok);
  t.deepEqual(r.agent, { health: 'up', admin: 'drain', weightPercent: 50, unknown: [] });

  const pool = new lb.Pool({ scheduler: 'resource', servers: [{ id: 'a', host: '127.0.0.1', port: 1, weight: 10 }, { id: 'b', host: '127.0.0.1', port: 2, weight: 10 }] });
  const checker = new lb.HealthChecker(pool, { type: 'none', intervalMs: 50, jitter: 0, agent: { port: agentPort, send: 'hello\n' } });
  checker.start();
  const waitFor = async (cond) => { for (let i = 0; i < 100 && !cond(); i++) await new Promise((r2) => setTimeout(r2, 20)); };
  await waitFor(() => pool.get('a').admin === 'drain' && pool.get('b').admin === 'drain');
  t.is(pool.get('a').state, 'drain');
  t.is(pool.get('a').agentWeightPercent, 50);
  t.is(pool.pick(), undefined);
  reply = 'ready 25% maxconn:7\n';
  await waitFor(() => pool.get('a').admin === 'ready' && pool.get('a').maxConnections === 7);
  t.is(pool.get('a').effectiveWeight, 2.5);
  reply = 'down #disk full\n';
  await waitFor(() => pool.get('a').health === 'down');
  t.regex(pool.get('a').lastReason, /disk full/);
  checker.stop();
  agent.close();
  t.true(received.includes('hello\n'));
});
