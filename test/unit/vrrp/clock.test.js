'use strict';
// The real clock (native timerfd on CLOCK_MONOTONIC) and the order of a takeover's work.
const test = require('ava');
const { vrrp } = require('../../..');

test('MonotonicClock: timers fire in deadline order, never early, and cleared ones never', async (t) => {
  const clock = new vrrp.MonotonicClock();
  const fired = [];
  // Deadlines are taken at each setTimer call (the machine may stall between calls).
  const set = (name, ms) => {
    const due = clock.now() + ms;
    return clock.setTimer(() => fired.push({ name, due, at: clock.now() }), ms);
  };
  await new Promise((resolve) => {
    set('c', 30);
    set('a', 3.5);
    const dropped = set('x', 15);
    set('b', 20);
    clock.clearTimer(dropped);
    clock.setTimer(resolve, 45);
  });
  t.deepEqual(fired.map((f) => f.name).sort(), ['a', 'b', 'c']);
  const byDue = [...fired].sort((x, y) => x.due - y.due).map((f) => f.name);
  t.deepEqual(fired.map((f) => f.name), byDue);
  for (const f of fired) t.true(f.at >= f.due, `${f.name} fired ${(f.due - f.at).toFixed(3)} ms early`);
});

test('MonotonicClock: a timer set from a callback and a zero delay both run', async (t) => {
  const clock = new vrrp.MonotonicClock();
  const order = [];
  await new Promise((resolve) => {
    clock.setTimer(() => {
      order.push(1);
      clock.setTimer(() => { order.push(3); resolve(); }, 2);
      clock.setTimer(() => order.push(2), 0);
    }, 1);
  });
  t.deepEqual(order, [1, 2, 3]);
});

test('MonotonicClock: now() is monotonic milliseconds with sub-millisecond resolution', (t) => {
  const clock = new vrrp.MonotonicClock();
  const samples = Array.from({ length: 1000 }, () => clock.now());
  for (let i = 1; i < samples.length; i++) t.true(samples[i] >= samples[i - 1]);
  t.true(samples.some((x) => x !== Math.round(x)));
});

test('takeover: advert, addresses and announcements go out before the state event when the link adds synchronously', (t) => {
  const clock = new vrrp.FakeClock();
  const events = [];
  const link = {
    family: 4, primary: '192.0.2.12',
    send: (dst, payload) => events.push(`advert prio ${payload[2]}`),
    announce: (addresses) => events.push(`announce ${addresses.join(',')}`),
    addVips: (vips) => { events.push(`add ${vips.map((v) => v.address).join(',')}`); },
    delVips: async () => {},
    close() {},
  };
  const inst = new vrrp.VrrpInstance({ name: 'VI_1', interface: 'eth0', vrid: 51, priority: 100, advertInt: 1000, version: 3, vips: [{ address: '192.0.2.100', prefix: 32 }] }, link, clock);
  inst.on('state', (c) => events.push(`state ${c.to}`));
  inst.start();
  events.length = 0;
  clock.advance(3610);
  t.deepEqual(events, ['advert prio 100', 'add 192.0.2.100', 'announce 192.0.2.100', 'state MASTER']);
  t.true(inst.addressesUp);
});

test('takeover: a failing synchronous add is reported, and the state machine still becomes master', (t) => {
  const clock = new vrrp.FakeClock();
  const errors = [];
  const link = {
    family: 4, primary: '192.0.2.12', send() {}, announce() { errors.push('announced'); },
    addVips() { throw Object.assign(new Error('EPERM'), { code: 'VRRP_ADDRESS' }); },
    delVips: async () => {}, close() {},
  };
  const inst = new vrrp.VrrpInstance({ name: 'VI_1', interface: 'eth0', vrid: 51, priority: 100, advertInt: 1000, version: 3, vips: [{ address: '192.0.2.100', prefix: 32 }] }, link, clock);
  inst.on('error', (e) => errors.push(e.code));
  inst.start();
  clock.advance(3610);
  t.is(inst.state, 'MASTER');
  t.false(inst.addressesUp);
  t.deepEqual(errors, ['VRRP_ADDRESS']);
});
