'use strict';
// The native relay on loopback (kept small so the sanitizer run covers the C++ relay too).
const test = require('ava');
const crypto = require('crypto');
const net = require('net');
const { lb } = require('../../..');

function echoServer() {
  return new Promise((resolve) => {
    const s = net.createServer((c) => { c.on('error', () => {}); c.pipe(c); });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}
function roundTrip(port, payload) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const c = net.connect(port, '127.0.0.1', () => c.end(payload));
    c.on('data', (d) => chunks.push(d));
    c.on('end', () => resolve(Buffer.concat(chunks)));
    c.on('error', reject);
  });
}

test('relay echoes through splice with half-close, on two threads, and counts bytes', async (t) => {
  const echo = await echoServer();
  const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port: echo.address().port }] });
  const proxy = await new lb.TcpProxy({ threads: 2, listeners: [{ name: 'f', port: 0, pool, sendProxy: undefined }] }).start();
  t.teardown(() => { proxy.close(); echo.close(); });
  const payloads = Array.from({ length: 8 }, (_, i) => crypto.randomBytes(1 + i * 40000));
  const back = await Promise.all(payloads.map((p) => roundTrip(proxy.ports.f, p)));
  back.forEach((b, i) => t.true(b.equals(payloads[i])));
  const total = payloads.reduce((n, p) => n + p.length, 0);
  for (let i = 0; i < 100 && proxy.stats().listeners[0].connectionsCurrent > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.like(proxy.stats().listeners[0], { connectionsTotal: 8, connectionsCurrent: 0, bytesIn: total, bytesOut: total });
});

test('accept-proxy: a trusted client header is consumed and its bytes after it are relayed', async (t) => {
  const echo = await echoServer();
  const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port: echo.address().port }] });
  const proxy = await new lb.TcpProxy({ listeners: [{ name: 'f', port: 0, pool, acceptProxy: { trusted: ['127.0.0.1'] } }] }).start();
  t.teardown(() => { proxy.close(); echo.close(); });
  const seen = new Promise((resolve) => proxy.once('connection', resolve));
  const header = lb.encodeProxyV2({ source: '198.51.100.9', sourcePort: 1234, destination: '192.0.2.1', destinationPort: 80 });
  const back = await roundTrip(proxy.ports.f, Buffer.concat([header, Buffer.from('payload')]));
  t.is(back.toString(), 'payload');
  t.deepEqual((await seen).client, { address: '198.51.100.9', port: 1234 });
});

test('native TCP probe: connected, refused', async (t) => {
  const echo = await echoServer();
  t.teardown(() => echo.close());
  const port = echo.address().port;
  t.like(await lb.tcpProbe({ server: new lb.Server({ host: '127.0.0.1', port }), port, timeoutMs: 1000 }), { ok: true, detail: 'connected' });
  const closed = 1; // nobody listens on port 1, and it is never an ephemeral port a concurrent test could get
  t.like(await lb.tcpProbe({ server: new lb.Server({ host: '127.0.0.1', port: closed }), port: closed, timeoutMs: 1000 }), { ok: false, detail: 'ECONNREFUSED' });
});

test('bad proxy options and native arguments are typed errors, never crashes', async (t) => {
  t.throws(() => new lb.TcpProxy({ listeners: [{ port: 0 }] }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => new lb.TcpProxy({ listeners: [{ port: 0, host: 'localhost', pool: new lb.Pool() }] }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => new lb.TcpProxy({ listeners: [{ port: 70000, pool: new lb.Pool() }] }), { code: 'ERR_INVALID_ARG' });
  const busy = await echoServer();
  t.teardown(() => busy.close());
  await t.throwsAsync(new lb.TcpProxy({ listeners: [{ port: busy.address().port, pool: new lb.Pool() }] }).start(), { code: 'LB_LISTEN' });
  const { RelayEngine } = require('../../../dist/native').nativeModule('lb');
  const engine = new RelayEngine(1, () => {});
  t.throws(() => engine.connect(-1, '127.0.0.1', 1, 1, 0, 0), { code: 'ERR_NATIVE_ARGS' });
  t.throws(() => engine.connect(1, 5, 1, 1, 0, 0), { code: 'ERR_NATIVE_ARGS' });
  t.throws(() => engine.listen('not-an-ip', 0, 10, 0), { code: 'LB_LISTEN' });
  t.throws(() => new RelayEngine(0, () => {}), { code: 'ERR_NATIVE_ARGS' });
  engine.shutdown();
  t.throws(() => engine.listen('127.0.0.1', 0, 10, 0), { code: 'LB_ENGINE_CLOSED' });
});
