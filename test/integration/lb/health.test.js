'use strict';
// Health checks against real backends: a killed backend is marked down within fall × interval
// and gets no new connections through the L4 proxy.
const test = require('ava');
const net = require('net');
const { spawnSync } = require('child_process');
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

needs(test.serial, [requires.root])('icmpv6 check: ::1 answers echo requests through the same Pinger and checker', async (t) => {
  t.timeout(60000);
  const pinger = new lb.Pinger();
  t.teardown(() => pinger.close());
  t.like(await pinger.ping('::1', 1000), { ok: true, detail: 'echo reply' });
  t.like(await pinger.ping('0:0:0:0:0:0:0:1', 1000), { ok: true, detail: 'echo reply' }); // same address, other spelling
  const pool = new lb.Pool({ servers: [{ id: 'lo6', host: '::1', port: 1 }, { id: 'lo4', host: '127.0.0.1', port: 1 }] });
  const checker = new lb.HealthChecker(pool, { type: 'icmp', intervalMs: 100, jitter: 0 }).start();
  t.teardown(() => checker.stop());
  for (let i = 0; i < 50 && !(checker.status('lo6').last && checker.status('lo4').last); i++) await sleep(50);
  t.like(checker.status('lo6').last, { ok: true, detail: 'echo reply' });
  t.like(checker.status('lo4').last, { ok: true, detail: 'echo reply' });
});

needs(test.serial, [requires.root, requires.command('ip', 'iproute2')])('icmpv6 check across a veth pair between two namespaces (neighbour discovery, a silent address times out)', async (t) => {
  t.timeout(60000);
  const { run } = require('../../helpers/env');
  const a = `lbh6a-${process.pid}`;
  const b = `lbh6b-${process.pid}`;
  t.teardown(() => {
    for (const ns of [a, b]) spawnSync('ip', ['netns', 'del', ns]);
  });
  run('ip', ['netns', 'add', a]);
  run('ip', ['netns', 'add', b]);
  run('ip', ['-n', a, 'link', 'add', 'v6a', 'type', 'veth', 'peer', 'name', 'v6b', 'netns', b]);
  run('ip', ['-n', a, 'addr', 'add', 'fd5e:1b::1/64', 'dev', 'v6a', 'nodad']);
  run('ip', ['-n', b, 'addr', 'add', 'fd5e:1b::2/64', 'dev', 'v6b', 'nodad']);
  run('ip', ['-n', a, 'link', 'set', 'v6a', 'up']);
  run('ip', ['-n', b, 'link', 'set', 'v6b', 'up']);
  const script = `const {lb}=require(${JSON.stringify(require.resolve('../../..'))});const p=new lb.Pinger();
Promise.all([p.ping('fd5e:1b::2',2000),p.ping('fd5e:1b::3',500)]).then((r)=>{console.log(JSON.stringify(r));p.close();});`;
  const r = spawnSync('ip', ['netns', 'exec', a, process.execPath, '-e', script], { encoding: 'utf8', timeout: 20000 });
  t.is(r.status, 0, r.stderr);
  const [reached, silent] = JSON.parse(r.stdout);
  t.like(reached, { ok: true, detail: 'echo reply' });
  t.like(silent, { ok: false, detail: 'timeout' });
});
