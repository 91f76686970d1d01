'use strict';
const test = require('ava');
const { lb } = require('../../..');

const srv = (id, extra = {}) => ({ id, host: '127.0.0.1', port: 1, ...extra });

test('backup servers take traffic only while no primary is usable', (t) => {
  const p = new lb.Pool({ scheduler: 'rr', servers: [srv('p1'), srv('p2'), srv('b1', { backup: true })] });
  const tiers = [];
  p.on('tier', (tier) => tiers.push(tier));
  for (let i = 0; i < 10; i++) t.not(p.pick().id, 'b1');
  p.setHealth('p1', 'down');
  t.is(p.pick().id, 'p2');
  p.setAdmin('p2', 'maint');
  t.is(p.pick().id, 'b1');
  t.is(p.tier, 'backup');
  p.setHealth('p1', 'up');
  for (let i = 0; i < 5; i++) t.is(p.pick().id, 'p1');
  t.deepEqual(tiers, ['backup', 'primary']);
});

test('drain and maint stop new traffic; states combine as HAProxy does', (t) => {
  const p = new lb.Pool({ scheduler: 'leastconn', servers: [srv('a'), srv('b')] });
  const changes = [];
  p.on('state', (c) => changes.push(`${c.server.id}:${c.from}->${c.to}:${c.reason}`));
  p.setAdmin('a', 'drain', 'operator');
  for (let i = 0; i < 5; i++) t.is(p.pick().id, 'b');
  p.setHealth('a', 'down');
  t.is(p.get('a').state, 'down');
  p.setAdmin('a', 'maint');
  t.is(p.get('a').state, 'maint');
  p.setAdmin('a', 'ready');
  t.is(p.get('a').state, 'down');
  p.setHealth('a', 'up');
  t.deepEqual(changes, ['a:up->drain:operator', 'a:drain->down:check', 'a:down->maint:admin', 'a:maint->down:admin', 'a:down->up:check']);
  t.is(p.pick().id, 'a');
});

test('no usable server -> undefined; maxConnections caps a server', (t) => {
  const p = new lb.Pool({ scheduler: 'rr', servers: [srv('a', { maxConnections: 2 })] });
  const a1 = p.pick();
  const a2 = p.pick();
  t.is(a1, a2);
  t.is(p.pick(), undefined);
  p.release(a1);
  t.is(p.pick().id, 'a');
  p.setHealth('a', 'down');
  t.is(p.pick(), undefined);
  t.throws(() => p.setHealth('zz', 'down'), { code: 'LB_NO_SUCH_SERVER' });
  t.throws(() => p.add(srv('a')), { code: 'LB_DUPLICATE_SERVER' });
  t.throws(() => p.add({ host: '', port: 1 }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => p.add({ host: 'h', port: 70000 }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => p.setWeight('a', 300), { code: 'ERR_INVALID_ARG' });
});

test('slow start ramps a recovered server from 5 % to full weight on the pool clock', (t) => {
  let now = 0;
  const p = new lb.Pool({ scheduler: 'wrr', now: () => now, servers: [srv('a', { weight: 10 }), srv('b', { weight: 10, slowStartMs: 10000 })] });
  p.setHealth('b', 'down');
  now = 1000;
  p.setHealth('b', 'up');
  const b = p.get('b');
  t.is(b.effectiveWeight, 0.5);
  now = 6000;
  p.advanceSlowStart();
  t.is(b.effectiveWeight, 5);
  const c = { a: 0, b: 0 };
  for (let i = 0; i < 1500; i++) c[p.pick().id]++;
  t.true(Math.abs(c.b / c.a - 0.5) < 0.02, JSON.stringify(c));
  now = 11000;
  p.advanceSlowStart();
  t.is(b.effectiveWeight, 10);
  p.close();
});

test('adding and removing servers keeps the others\' state (smooth WRR current weights, in-flight)', (t) => {
  const p = new lb.Pool({ scheduler: 'swrr', servers: [srv('a', { weight: 5 }), srv('b'), srv('c')] });
  const seq = [];
  for (let i = 0; i < 3; i++) seq.push(p.pick().id);
  p.add(srv('d', { weight: 0 })); // weight 0: present but takes nothing
  p.remove('zz');
  for (let i = 0; i < 4; i++) seq.push(p.pick().id);
  t.is(seq.join(''), 'aabacaa');
  t.is(p.get('a').inFlight, 5);
  p.setWeight('d', 2);
  t.true(p.activeServers.includes(p.get('d')));
});

test('release records outcomes and response time average; events for passive checks', (t) => {
  const p = new lb.Pool({ servers: [srv('a')], ewmaAlpha: 0.5 });
  const seen = [];
  p.on('outcome', (s, o) => seen.push([s.id, o.ok, o.error]));
  const a = p.pick();
  p.release(a, { ok: true, responseTimeMs: 10, bytesIn: 5, bytesOut: 7 });
  p.acquire(a);
  p.release(a, { ok: false, responseTimeMs: 20, error: 'http-503' });
  t.is(a.responseTimeEwmaMs, 15);
  t.is(a.counters.successes, 1);
  t.is(a.counters.failures, 1);
  t.is(a.counters.bytesIn, 5);
  t.is(a.inFlight, 0);
  t.deepEqual(seen, [['a', true, undefined], ['a', false, 'http-503']]);
  t.is(p.snapshot().servers[0].state, 'up');
});
