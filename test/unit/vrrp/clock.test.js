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

const options = (extra) => ({ name: 'VI_1', interface: 'eth0', vrid: 51, priority: 100, advertInt: 1000, version: 3, vips: [{ address: '192.0.2.100', prefix: 32 }], ...extra });

/** Runs `inst` to its takeover; the address failed: MASTER, addresses not up, one VRRP_ADDRESS error. */
function expectFailedTakeover(t, inst, clock) {
  const errors = [];
  inst.on('error', (e) => errors.push(e.code));
  inst.start();
  clock.advance(3610);
  t.is(inst.state, 'MASTER');
  t.false(inst.addressesUp);
  t.deepEqual(errors, ['VRRP_ADDRESS']);
}

test('takeover: a failing synchronous add is reported, and the state machine still becomes master', (t) => {
  const clock = new vrrp.FakeClock();
  let announced = false;
  const link = {
    family: 4, primary: '192.0.2.12', send() {}, announce() { announced = true; },
    addVips() { throw Object.assign(new Error('EPERM'), { code: 'VRRP_ADDRESS' }); },
    delVips: async () => {}, close() {},
  };
  expectFailedTakeover(t, new vrrp.VrrpInstance(options(), link, clock), clock);
  t.false(announced);
});

/** A fake clock that, like MonotonicClock, runs a timer's prelude at the deadline before its callback. */
class PreludeClock extends vrrp.FakeClock {
  setTimer(fn, ms, prelude) {
    return super.setTimer(() => { if (prelude) prelude.run(); fn(Boolean(prelude)); }, ms);
  }
}

function takeoverLink(events, { addressRc = 0 } = {}) {
  const link = {
    family: 4, primary: '192.0.2.12', plans: 0,
    send: (dst, payload) => events.push(`js advert prio ${payload[2]}`),
    announce: (addresses, repeat, interval, delayFirst) => events.push(`js announce ${repeat}${delayFirst ? ' later' : ''}`),
    addVips: () => { events.push('js add'); },
    delVips: async () => {},
    close() {},
    prepareTakeover(spec) {
      link.plans++;
      let result = null;
      const native = {
        run() {
          for (const [, payload] of spec.adverts) events.push(`native advert prio ${payload[2]}`);
          events.push(`native add ${spec.vips.map((v) => v.address)}`);
          if (addressRc === 0) events.push(`native announce ${spec.rounds}`);
          result = { adverts: spec.adverts.map(() => 0), addresses: spec.vips.map(() => addressRc), frames: 0 };
        },
      };
      return { native, result: () => { const r = result; result = null; return r; } };
    },
  };
  return link;
}

test('prepared takeover: the prelude sends advert, address and announcements; JS only books them', (t) => {
  const clock = new PreludeClock();
  const events = [];
  const inst = new vrrp.VrrpInstance(options(), takeoverLink(events), clock);
  inst.start();
  inst.on('state', (c) => events.push(`state ${c.to}`));
  clock.advance(3610);
  t.deepEqual(events, ['native advert prio 100', 'native add 192.0.2.100', 'native announce 5', 'state MASTER']);
  t.is(inst.counters.advert_sent, 1);
  t.true(inst.addressesUp);
  clock.advance(1000);
  t.is(events.at(-1), 'js advert prio 100');  // the advert timer runs on
});

test('prepared takeover with vrrp_garp_interval: one round natively, the rest from JS after the gap', (t) => {
  const clock = new PreludeClock();
  const events = [];
  const inst = new vrrp.VrrpInstance(options({ garp: { interval: 10 } }), takeoverLink(events), clock);
  inst.start();
  clock.advance(3610);
  t.deepEqual(events.slice(0, 4), ['native advert prio 100', 'native add 192.0.2.100', 'native announce 1', 'js announce 4 later']);
});

test('prepared takeover: a failed address is an error, no announcement, and addresses are not up', (t) => {
  const clock = new PreludeClock();
  const events = [];
  expectFailedTakeover(t, new vrrp.VrrpInstance(options(), takeoverLink(events, { addressRc: -1 }), clock), clock);
  t.false(events.some((e) => e.includes('announce')));
});

test('prepared takeover: a priority changed by tracking after the plan is corrected by a JS advert at once', (t) => {
  const clock = new PreludeClock();
  const events = [];
  const inst = new vrrp.VrrpInstance(options(), takeoverLink(events), clock);
  inst.start();
  inst.setPriorityDelta(20);
  clock.advance(3610);
  t.deepEqual(events.slice(0, 4), ['native advert prio 100', 'native add 192.0.2.100', 'native announce 5', 'js advert prio 120']);
});

test('MonotonicClock: a prelude that is not a native Takeover is refused', (t) => {
  const clock = new vrrp.MonotonicClock();
  const error = t.throws(() => clock.setTimer(() => {}, 1, { run() {} }));
  t.is(error.code, 'ERR_NATIVE_ARGS');
});
