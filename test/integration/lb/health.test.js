'use strict';
// Health checks against real backends: a killed backend is marked down within fall × interval
// and gets no new connections through the L4 proxy.
const test = require('ava');
const net = require('net');
const http = require('http');
const { lb } = require('../../..');
const { backend, exchange } = require('../../labs/lb/peers');
const { needs, requires } = require('../../helpers/env');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (const type of ['tcp', 'http']) {
  test.serial(`${type} check: a killed backend is down within fall × interval and gets no new connections`, async (t) => {
  t.timeout(60000);
    const serve = type === 'http'
      ? (s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'))
      : (s) => s.end('hello');
    const a = await backend(serve);
    const b = await backend(serve);
    const pool = new lb.Pool({ scheduler: 'rr', servers: [{ id: 'a', host: '127.0.0.1', port: a.port }, { id: 'b', host: '127.0.0.1', port: b.port }] });
    const interval = 200;
    const fall = 3;
    const checker = new lb.HealthChecker(pool, { type, intervalMs: interval, fastIntervalMs: interval, fall, rise: 2, timeoutMs: 150, jitter: 0.1, http: { path: '/health' } });
    checker.start();
    t.teardown(() => checker.stop());
    const proxy = await new lb.TcpProxy({ listeners: [{ name: 'f', port: 0, pool, retries: 0 }] }).start();
    t.teardown(() => proxy.close());
    await sleep(3 * interval);
    t.is(pool.get('a').state, 'up');

    const killedAt = Date.now();
    a.kill();
    const down = await new Promise((resolve) => pool.on('state', (c) => c.server.id === 'a' && c.to === 'down' && resolve(Date.now())));
    const took = down - killedAt;
    // At most fall checks after the kill, each ≤ interval (+10 % jitter) apart, plus the one in progress.
    t.true(took <= (fall + 1) * interval * 1.1 + 250, `down after ${took} ms`); // + margin for a loaded CI machine
    t.regex(pool.get('a').lastReason, /check failed 3 times/);

    const picksBefore = pool.get('a').counters.picks;
    const acceptedBefore = b.accepted;
    for (let i = 0; i < 10; i++) await exchange(proxy.ports.f, type === 'http' ? Buffer.from('GET / HTTP/1.0\r\n\r\n') : null);
    t.is(pool.get('a').counters.picks, picksBefore);
    t.is(b.accepted - acceptedBefore >= 10, true);
    t.is(proxy.stats().listeners[0].errors, 0);
    await b.close();
  });
}

test.serial('a recovered backend comes back after rise checks', async (t) => {
  t.timeout(60000);
  const a = await backend((s) => s.end());
  const port = a.port;
  const pool = new lb.Pool({ servers: [{ id: 'a', host: '127.0.0.1', port }] });
  const checker = new lb.HealthChecker(pool, { type: 'tcp', intervalMs: 100, downIntervalMs: 100, fall: 1, rise: 2, jitter: 0 }).start();
  const keepAlive = setInterval(() => {}, 1000); // the checker's timers do not hold the process open
  t.teardown(() => { checker.stop(); clearInterval(keepAlive); });
  const down = new Promise((resolve) => pool.on('state', (c) => c.to === 'down' && resolve()));
  const up = new Promise((resolve) => pool.on('state', (c) => c.to === 'up' && resolve(c)));
  a.kill();
  await down;
  const again = await backend((s) => s.end(), port);
  t.teardown(() => again.close());
  await up;
  t.regex((await up).reason, /check passed 2 times/);
});

needs(test.serial, [requires.root])('icmp check: loopback answers echo requests', async (t) => {
  t.timeout(60000);
  const pinger = new lb.Pinger();
  t.teardown(() => pinger.close());
  const r = await pinger.ping('127.0.0.1', 1000);
  t.true(r.ok, r.detail);
  t.is(r.detail, 'echo reply');
  const pool = new lb.Pool({ servers: [{ id: 'lo', host: '127.0.0.1', port: 1 }] });
  const checker = new lb.HealthChecker(pool, { type: 'icmp', intervalMs: 100, jitter: 0 }).start();
  t.teardown(() => checker.stop());
  await new Promise((resolve) => checker.on('check', resolve));
  t.true(checker.status('lo').last.ok);
});
