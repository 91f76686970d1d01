'use strict';
const test = require('ava');
const { lb } = require('../../..');

// A clock whose timers run only when the test advances it.
function fakeClock() {
  let now = 0;
  let timers = [];
  let nextId = 1;
  return {
    now: () => now,
    setTimeout(fn, ms) { const id = nextId++; timers.push({ id, at: now + ms, fn }); return id; },
    clearTimeout(id) { timers = timers.filter((t) => t.id !== id); },
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const t = timers[0];
        if (!t || t.at > end) break;
        timers.shift();
        now = t.at;
        t.fn();
        await new Promise(setImmediate); // let probe promises settle
      }
      now = end;
    },
    pending: () => timers.length,
  };
}

function setup(options = {}) {
  const clock = fakeClock();
  const pool = new lb.Pool({ scheduler: 'rr', servers: [{ id: 'a', host: '127.0.0.1', port: 1 }, { id: 'b', host: '127.0.0.1', port: 2 }], now: clock.now });
  const healthy = { a: true, b: true };
  const times = { a: [], b: [] };
  const checker = new lb.HealthChecker(pool, {
    type: 'custom', intervalMs: 2000, fastIntervalMs: 500, downIntervalMs: 5000, rise: 2, fall: 3, jitter: 0,
    clock, random: () => 0, custom: async (server) => { times[server.id].push(clock.now()); return healthy[server.id]; },
    ...options,
  });
  return { clock, pool, healthy, times, checker };
}

test('fall consecutive failures mark a server down, rise successes bring it back; intervals follow state', async (t) => {
  const { clock, pool, healthy, times, checker } = setup();
  const changes = [];
  checker.on('change', (c) => changes.push(`${clock.now()}:${c.server.id}:${c.health}`));
  checker.start();
  await clock.advance(4000); // random() = 0: first checks at 0, then every 2000
  t.deepEqual(times.a, [0, 2000, 4000]);
  healthy.a = false;
  await clock.advance(6000);
  // fail at 6000 (1/3), then fastinter: 6500 (2/3), 7000 (3/3 -> down), then downinter 5000: 12000
  t.deepEqual(times.a.slice(3), [6000, 6500, 7000]);
  t.deepEqual(changes, ['7000:a:down']);
  t.is(pool.get('a').state, 'down');
  t.is(pool.pick().id, 'b');
  await clock.advance(5000);
  t.deepEqual(times.a.slice(6), [12000]);
  healthy.a = true;
  await clock.advance(2500);
  // success at 17000 (1/2), fastinter 17500 (2/2 -> up), then inter 2000
  t.deepEqual(times.a.slice(7), [17000, 17500]);
  t.deepEqual(changes, ['7000:a:down', '17500:a:up']);
  t.is(pool.get('a').state, 'up');
  // A single failure does not take it down; a success resets the count.
  healthy.a = false;
  await clock.advance(2000);
  healthy.a = true;
  await clock.advance(3000);
  t.is(pool.get('a').health, 'up');
  t.is(checker.status('a').failures, 0);
  // b never changed.
  t.is(pool.get('b').health, 'up');
  checker.stop();
  t.is(clock.pending(), 0);
});

test('disable stops checks; enable resumes; removed servers are forgotten', async (t) => {
  const { clock, pool, times, checker } = setup();
  checker.start();
  await clock.advance(1);
  checker.disable('a');
  await clock.advance(10000);
  t.is(times.a.length, 1);
  checker.enable('a');
  await clock.advance(2500);
  t.is(times.a.length, 2);
  pool.remove('b');
  const before = times.b.length;
  await clock.advance(10000);
  t.is(times.b.length, before);
  pool.add({ id: 'c', host: '127.0.0.1', port: 3 });
  t.notThrows(() => checker.status('c'));
  checker.stop();
});

test('jitter spreads checks within ±jitter of the interval', async (t) => {
  let r = 0;
  const { clock, times, checker } = setup({ jitter: 0.2, random: () => { r = (r + 0.37) % 1; return r; } });
  checker.start();
  await clock.advance(40000);
  const gaps = times.a.slice(1).map((x, i) => x - times.a[i]);
  t.true(gaps.length > 10);
  for (const g of gaps) t.true(g >= 1600 && g <= 2400, String(g));
  t.true(new Set(gaps).size > 3);
  checker.stop();
});

test('passive checks: consecutive failed outcomes mark down, active checks bring it back', async (t) => {
  const { clock, pool, checker } = setup({ passive: { fall: 3 } });
  checker.start();
  const a = pool.get('a');
  for (let i = 0; i < 2; i++) { pool.acquire(a); pool.release(a, { ok: false, error: 'connect-refused' }); }
  pool.acquire(a); pool.release(a, { ok: true });
  for (let i = 0; i < 2; i++) { pool.acquire(a); pool.release(a, { ok: false, error: 'reset' }); }
  t.is(a.health, 'up');
  pool.acquire(a); pool.release(a, { ok: false, error: 'reset' });
  t.is(a.health, 'down');
  t.regex(a.lastReason, /passive: 3 consecutive errors \(reset\)/);
  await clock.advance(2000);
  t.is(a.health, 'up');
  checker.stop();
});

test('a timed-out custom check counts as a failure', async (t) => {
  const clock = fakeClock();
  const pool = new lb.Pool({ servers: [{ id: 'a', host: '127.0.0.1', port: 1 }], now: clock.now });
  const checker = new lb.HealthChecker(pool, { type: 'custom', fall: 1, intervalMs: 100000, timeoutMs: 20, jitter: 0, random: () => 0, clock, custom: () => new Promise(() => {}) });
  checker.start();
  await clock.advance(1);
  await new Promise((r) => setTimeout(r, 60)); // the probe timeout uses the real clock
  t.is(pool.get('a').health, 'down');
  t.is(checker.status('a').last.detail, 'timeout');
  checker.stop();
});

test('bad options are typed errors', (t) => {
  const pool = new lb.Pool();
  t.throws(() => new lb.HealthChecker(pool, { type: 'smoke' }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => new lb.HealthChecker(pool, { type: 'custom' }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => new lb.HealthChecker(pool, { type: 'agent' }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => new lb.HealthChecker(pool, { type: 'http', http: { expectStatus: ['abc'] } }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => new lb.HealthChecker(pool, { type: 'tcp', rise: 0 }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => new lb.HealthChecker(pool, { type: 'tcp', jitter: 2 }), { code: 'ERR_INVALID_ARG' });
});
