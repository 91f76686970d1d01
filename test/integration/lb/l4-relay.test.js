'use strict';
// The native L4 relay against real TCP peers on loopback.
const test = require('ava');
const crypto = require('crypto');
const net = require('net');
const { lb } = require('../../..');
const { backend, exchange } = require('../../labs/lb/peers');

const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(cond, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

async function start(pool, listener = {}, options = {}) {
  return new lb.TcpProxy({ listeners: [{ name: 'front', port: 0, pool, ...listener }], ...options }).start();
}

test.serial('bulk transfer is byte-identical both ways, with half-close honoured', async (t) => {
  t.timeout(60000);
  const upload = crypto.randomBytes(24 * 1024 * 1024 + 17);
  const download = crypto.randomBytes(16 * 1024 * 1024 + 5);
  let serverSaw;
  // The backend reads until the client's FIN (passed on by the relay), then answers: a relay
  // without half-close would either never pass the FIN or cut the answer.
  const b = await backend((s) => {
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => { serverSaw = Buffer.concat(chunks); s.end(download); });
  });
  const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port: b.port }] });
  const proxy = await start(pool, {}, { threads: 2 });
  t.teardown(() => proxy.close());
  const closed = new Promise((resolve) => proxy.once('close', resolve));
  const { data } = await exchange(proxy.ports.front, upload);
  t.is(sha(serverSaw), sha(upload));
  t.is(sha(data), sha(download));
  const info = await closed;
  t.is(info.reason, 'done');
  t.is(info.bytesIn, upload.length);
  t.is(info.bytesOut, download.length);
  const s = proxy.stats().listeners[0];
  t.like(s, { connectionsTotal: 1, connectionsCurrent: 0, bytesIn: upload.length, bytesOut: download.length, errors: 0 });
  t.like(pool.servers[0].counters, { connectionsTotal: 1, bytesIn: upload.length, bytesOut: download.length });
  proxy.close();
  await b.close();
});

test.serial('many concurrent connections through two threads each get their own bytes back', async (t) => {
  t.timeout(60000);
  const b = await backend((s) => s.pipe(s));
  const pool = new lb.Pool({ scheduler: 'leastconn', servers: [{ host: '127.0.0.1', port: b.port }] });
  const proxy = await start(pool, {}, { threads: 2 });
  t.teardown(() => proxy.close());
  const payloads = Array.from({ length: 64 }, (_, i) => crypto.randomBytes(1000 + i * 997));
  const results = await Promise.all(payloads.map((p) => exchange(proxy.ports.front, p)));
  results.forEach((r, i) => t.is(sha(r.data), sha(payloads[i])));
  await until(() => proxy.stats().listeners[0].connectionsCurrent === 0);
  t.is(pool.servers[0].inFlight, 0);
  proxy.close();
  await b.close();
});

test.serial('connect failures are retried and redispatched to a live server', async (t) => {
  t.timeout(60000);
  // Port 1: refused, and never the port listen(0) hands the backend below (a just-freed port can be).
  const dead = 1;
  const b = await backend((s) => s.end('live'));
  t.teardown(() => b.close());
  const pool = new lb.Pool({ scheduler: 'rr', servers: [{ id: 'dead', host: '127.0.0.1', port: dead }, { id: 'live', host: '127.0.0.1', port: b.port }] });
  const proxy = await start(pool, { retries: 2, redispatch: true, connectTimeoutMs: 1000 });
  t.teardown(() => proxy.close());
  for (let i = 0; i < 6; i++) t.is((await exchange(proxy.ports.front, null)).data.toString(), 'live');
  const s = proxy.stats().listeners[0];
  t.true(s.connectErrors >= 2);
  t.true(s.redispatches >= 2);
  t.is(s.errors, 0);
  t.true(pool.get('dead').counters.connectErrors >= 2);
  // Without any live server the client is closed after the retries.
  const pool2 = new lb.Pool({ servers: [{ host: '127.0.0.1', port: dead }] });
  proxy.reload([{ name: 'front', port: 0, pool: pool2, retries: 1, redispatch: false }]);
  // The proxy closes a client whose bytes it never read: the kernel may turn that into a reset.
  const r = await exchange(proxy.ports.front, Buffer.from('x')).catch((error) => {
    if (error.code !== 'ECONNRESET') throw error;
    return { data: Buffer.alloc(0) };
  });
  t.is(r.data.length, 0);
  await until(() => proxy.stats().listeners[0].errors === 1);
  t.is(pool2.servers[0].counters.connectErrors, 2);
  proxy.close();
  await b.close();
});

test.serial('connect timeout: a server whose accept queue is full fails within the timeout', async (t) => {
  t.timeout(60000);
  // A listener that never accepts, with its (tiny) accept queue filled: further SYNs are dropped.
  const { spawn } = require('child_process');
  const py = spawn('python3', ['-c', 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => py.kill('SIGKILL'));
  const port = Number(await new Promise((r) => py.stdout.once('data', (d) => r(d.toString().trim()))));
  const fillers = [];
  for (let i = 0; i < 3; i++) { const f = net.connect(port, '127.0.0.1'); f.on('error', () => {}); fillers.push(f); }
  t.teardown(() => fillers.forEach((f) => f.destroy()));
  await sleep(200);
  const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port }] });
  const proxy = await start(pool, { retries: 1, redispatch: false, connectTimeoutMs: 300 });
  t.teardown(() => proxy.close());
  const t0 = Date.now();
  const c = net.connect(proxy.ports.front, '127.0.0.1');
  c.on('error', () => {});
  await until(() => proxy.stats().listeners[0].errors === 1, 5000);
  const elapsed = Date.now() - t0;
  // Two attempts of 300 ms each (the engine checks deadlines every 100 ms).
  t.true(elapsed >= 550 && elapsed < 1500, `${elapsed} ms`);
  t.is(proxy.stats().listeners[0].connectErrors, 2);
  c.destroy();
});

test.serial('per-listener connection limit holds extra clients in the kernel queue', async (t) => {
  t.timeout(60000);
  const b = await backend(() => {});
  const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port: b.port }] });
  const proxy = await start(pool, { maxConnections: 2 });
  t.teardown(() => proxy.close());
  const open = [];
  for (let i = 0; i < 3; i++) open.push(net.connect(proxy.ports.front, '127.0.0.1'));
  await until(() => b.accepted === 2);
  await sleep(300);
  t.is(b.accepted, 2);
  t.is(proxy.stats().listeners[0].connectionsCurrent, 2);
  open[0].destroy();
  await until(() => b.accepted === 3);
  open.forEach((s) => s.destroy());
  proxy.close();
  await b.close();
});

test.serial('per-server limit queues connections until a slot frees, or times them out', async (t) => {
  t.timeout(60000);
  const b = await backend(() => {});
  const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port: b.port, maxConnections: 1 }] });
  const proxy = await start(pool, { queueTimeoutMs: 400 });
  t.teardown(() => proxy.close());
  const first = net.connect(proxy.ports.front, '127.0.0.1');
  await until(() => b.accepted === 1);
  const second = net.connect(proxy.ports.front, '127.0.0.1');
  await until(() => proxy.stats().listeners[0].queued === 1);
  first.destroy();
  await until(() => b.accepted === 2);
  const third = net.connect(proxy.ports.front, '127.0.0.1');
  third.on('error', () => {});
  await until(() => proxy.stats().listeners[0].queueTimeouts === 1, 3000);
  t.is(b.accepted, 2);
  second.destroy();
  third.destroy();
  proxy.close();
  await b.close();
});

test.serial('client inactivity timeout closes idle connections', async (t) => {
  t.timeout(60000);
  const b = await backend(() => {});
  const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port: b.port }] });
  const proxy = await start(pool, { clientTimeoutMs: 300 });
  t.teardown(() => proxy.close());
  const closed = new Promise((resolve) => proxy.once('close', resolve));
  const c = net.connect(proxy.ports.front, '127.0.0.1');
  c.on('error', () => {});
  const info = await closed;
  t.is(info.reason, 'client-timeout');
  c.destroy();
  proxy.close();
  await b.close();
});

test.serial('graceful drain stops accepting and lets established connections finish; reload keeps them', async (t) => {
  t.timeout(60000);
  const b = await backend((s) => s.pipe(s));
  const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port: b.port }] });
  const proxy = await start(pool);
  t.teardown(() => proxy.close());
  const port = proxy.ports.front;
  const c = net.connect(port, '127.0.0.1');
  const echoed = [];
  c.on('data', (d) => echoed.push(d.toString()));
  await new Promise((r) => c.once('connect', r));
  c.write('before ');
  await until(() => echoed.join('') === 'before ');
  // Reload with a new pool object: the established connection is untouched.
  const pool2 = new lb.Pool({ servers: [{ host: '127.0.0.1', port: b.port }] });
  proxy.reload([{ name: 'front', port, pool: pool2 }]);
  c.write('reload ');
  await until(() => echoed.join('') === 'before reload ');
  const draining = proxy.drain(5000);
  await sleep(100);
  await t.throwsAsync(exchange(port, Buffer.from('x')), { code: 'ECONNREFUSED' });
  c.write('during drain');
  await until(() => echoed.join('') === 'before reload during drain');
  c.end();
  const result = await draining;
  t.deepEqual(result, { aborted: 0 });
  proxy.close();
  await b.close();
});

test.serial('drain aborts what is left at the deadline', async (t) => {
  t.timeout(60000);
  const b = await backend(() => {});
  const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port: b.port }] });
  const proxy = await start(pool);
  t.teardown(() => proxy.close());
  const c = net.connect(proxy.ports.front, '127.0.0.1');
  c.on('error', () => {});
  await until(() => b.accepted === 1);
  t.deepEqual(await proxy.drain(200), { aborted: 1 });
  t.is(pool.servers[0].inFlight, 0);
  proxy.close();
  await b.close();
});
