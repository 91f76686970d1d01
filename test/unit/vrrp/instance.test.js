'use strict';
const test = require('ava');
const { vrrp } = require('../../..');
const { Wire } = require('./wire');

const setup = () => {
  const clock = new vrrp.FakeClock();
  return { clock, wire: new Wire(clock) };
};
const flush = () => new Promise((r) => setImmediate(r));

test('alone: BACKUP, then MASTER after 3 x advert_int + skew (3609.375 ms at priority 100)', async (t) => {
  const { clock, wire } = setup();
  const a = wire.instance('192.0.2.11', { priority: 100 });
  a.start();
  t.is(a.state, 'BACKUP');
  t.is(a.masterDownInterval(), 3000 + (156 * 1000) / 256);
  clock.advance(3609);
  t.is(a.state, 'BACKUP');
  clock.advance(1);
  t.is(a.state, 'MASTER');
  await flush();
  t.true(a.link.vips.has('192.0.2.100'));
  // first advert at once, 5 announcements now and 5 more after garp_master_delay (5 s)
  t.is(a.link.sent.length, 1);
  t.deepEqual(a.link.announced.map((x) => x.repeat), [5]);
  clock.advance(5000);
  t.is(a.link.announced.length, 2);
  t.is(a.link.sent.length, 6);  // one advert per second
  t.is(a.counters.become_master, 1);
});

test('higher priority wins whichever starts first; the loser releases its addresses', async (t) => {
  for (const order of [[100, 150], [150, 100]]) {
    const { clock, wire } = setup();
    const first = wire.instance('192.0.2.11', { priority: order[0] });
    first.start();
    clock.advance(4000);
    t.is(first.state, 'MASTER');
    const second = wire.instance('192.0.2.12', { priority: order[1] });
    second.start();
    clock.advance(5000);
    const [hi, lo] = order[0] > order[1] ? [first, second] : [second, first];
    t.is(hi.state, 'MASTER');
    t.is(lo.state, 'BACKUP');
    await flush();
    t.true(hi.link.vips.has('192.0.2.100'));
    t.false(lo.link.vips.has('192.0.2.100'));
    // the higher one preempts at 3 x advert_int + its skew after it started (3.41 s at 150)
    if (order[0] < order[1]) {
      t.is(lo.counters.release_master, 1);
      t.is(lo.counters.pri_zero_sent, 0);  // a preempted master just stops
    }
  }
});

test('equal priority: the higher primary address wins', (t) => {
  const { clock, wire } = setup();
  const hi = wire.instance('192.0.2.12', { priority: 150 });
  hi.start();
  clock.advance(4000);
  const lo = wire.instance('192.0.2.11', { priority: 150 });
  lo.start();
  clock.advance(10000);
  t.is(hi.state, 'MASTER');
  t.is(lo.state, 'BACKUP');
  // two masters (a healed split brain): the one with the lower address steps down
  const { clock: c2, wire: w2 } = setup();
  const m = w2.instance('192.0.2.11', { priority: 150 });
  const h = w2.instance('192.0.2.12', { priority: 150 });
  m.link.down = true;
  m.start();
  h.start();
  c2.advance(4000);
  t.deepEqual([m.state, h.state], ['MASTER', 'MASTER']);
  m.link.down = false;
  c2.advance(1100);
  t.is(m.state, 'BACKUP');
  t.is(h.state, 'MASTER');
});

test('nopreempt: a higher-priority backup leaves the master alone, and takes over after its skew when it stops', async (t) => {
  const { clock, wire } = setup();
  const low = wire.instance('192.0.2.11', { priority: 100, preempt: false });
  low.start();
  clock.advance(4000);
  const high = wire.instance('192.0.2.12', { priority: 150, preempt: false });
  high.start();
  clock.advance(8000);
  t.is(low.state, 'MASTER');
  t.is(high.state, 'BACKUP');
  const stopped = low.stop();
  clock.advance(1);  // delivery of the priority 0 advert
  t.is(high.state, 'BACKUP');
  clock.advance(Math.ceil(high.skewTime()));  // (256-150)/256 s = 414 ms
  t.is(high.state, 'MASTER');
  await stopped;
  t.is(low.counters.pri_zero_sent, 1);
  t.is(high.counters.pri_zero_rcvd, 1);
});

test('preempt_delay: the higher-priority backup waits before preempting', (t) => {
  const { clock, wire } = setup();
  const low = wire.instance('192.0.2.11', { priority: 100 });
  low.start();
  clock.advance(4000);
  const high = wire.instance('192.0.2.12', { priority: 150, preemptDelay: 10000 });
  high.start();
  clock.advance(9000);
  t.is(high.state, 'BACKUP');
  t.is(low.state, 'MASTER');
  clock.advance(5000);  // 10 s after the first lower advert, plus the master-down interval
  t.is(high.state, 'MASTER');
  t.is(low.state, 'BACKUP');
});

test('graceful stop: priority 0 makes the backup take over after its skew time, not the master-down interval', (t) => {
  const { clock, wire } = setup();
  const m = wire.instance('192.0.2.12', { priority: 150 });
  const b = wire.instance('192.0.2.11', { priority: 100 });
  m.start();
  b.start();
  clock.advance(5000);
  t.is(m.state, 'MASTER');
  void m.stop();
  const t0 = clock.now();
  let at;
  b.on('state', (c) => { if (c.to === 'MASTER') at = clock.now(); });
  clock.advance(2000);
  t.is(b.state, 'MASTER');
  t.is(at - t0, 1 + (156 * 1000) / 256);  // latency + skew 609.375 ms
});

test('v3: a backup adopts the master\'s interval; v2: a different interval is dropped and counted', (t) => {
  const { clock, wire } = setup();
  const m = wire.instance('192.0.2.12', { priority: 150, advertInt: 2000 });
  const b = wire.instance('192.0.2.11', { priority: 100, advertInt: 1000 });
  m.start();
  clock.advance(7000);
  b.start();
  clock.advance(3000);
  t.is(b.status().masterAdvertInt, 2000);
  t.is(b.masterDownInterval(), 6000 + (156 * 2000) / 256);
  t.is(b.state, 'BACKUP');

  const s2 = setup();
  const m2 = s2.wire.instance('192.0.2.12', { priority: 150, advertInt: 2000, version: 2 });
  const b2 = s2.wire.instance('192.0.2.11', { priority: 100, advertInt: 1000, version: 2 });
  m2.start();
  s2.clock.advance(7000);
  b2.start();
  s2.clock.advance(6000);
  t.true(b2.counters.advert_interval_err > 0);
  t.is(b2.state, 'MASTER');  // it never accepted the master: both are MASTER, as keepalived
});

test('a master answers priority 0 at once and forces a new election on a lower advert', (t) => {
  const { clock, wire } = setup();
  const m = wire.instance('192.0.2.12', { priority: 150 });
  m.start();
  clock.advance(4000);
  const sent = m.link.sent.length;
  const inject = (priority, src = '192.0.2.13') => m.receive({
    payload: vrrp.encodeAdvert({ version: 3, vrid: 51, priority, interval: 100, addresses: ['192.0.2.100'], src, dst: '224.0.0.18' }),
    src, dst: '224.0.0.18', ttl: 255,
  });
  inject(0);
  t.is(m.link.sent.length, sent + 1);
  t.is(m.counters.pri_zero_rcvd, 1);
  inject(50);
  t.is(m.link.sent.length, sent + 2);
  t.is(m.link.announced[m.link.announced.length - 1].repeat, 5);
  t.is(m.state, 'MASTER');
  inject(200);
  t.is(m.state, 'BACKUP');
  t.is(m.status().master, '192.0.2.13');
});

test('bad adverts are dropped and counted like keepalived', (t) => {
  const { clock, wire } = setup();
  const m = wire.instance('192.0.2.12', { priority: 150 });
  m.start();
  clock.advance(4000);
  const base = { version: 3, vrid: 51, priority: 200, interval: 100, addresses: ['192.0.2.100'], src: '192.0.2.13', dst: '224.0.0.18' };
  const send = (payload, extra = {}) => m.receive({ payload, src: '192.0.2.13', dst: '224.0.0.18', ttl: 255, ...extra });
  const good = vrrp.encodeAdvert(base);
  const cases = [
    ['checksum_err', () => { const b = Buffer.from(good); b.writeUInt16BE(0x1234, 6); send(b); }],
    ['checksum_err', () => send(vrrp.encodeAdvert({ ...base, checksum: 'plain' }))],
    ['ip_ttl_err', () => send(good, { ttl: 64 })],
    ['ip_ttl_err', () => send(good, { ttl: 254 })],
    ['version_err', () => send(vrrp.encodeAdvert({ ...base, version: 2, interval: 1 }))],
    ['version_err', () => { const b = Buffer.from(good); b[0] = 0x11; send(b); }],
    ['invalid_type_rcvd', () => { const b = Buffer.from(good); b[0] = 0x32; send(b); }],
    ['addr_list_err', () => send(vrrp.encodeAdvert({ ...base, addresses: ['192.0.2.101'] }))],
    ['addr_list_err', () => send(vrrp.encodeAdvert({ ...base, addresses: ['192.0.2.100', '192.0.2.101'] }))],
    ['packet_len_err', () => { const b = Buffer.from(good); b[3] = 2; send(b); }],
    ['packet_len_err', () => send(Buffer.concat([good, Buffer.alloc(4)]))],
  ];
  for (const [counter, run] of cases) {
    const before = m.counters[counter];
    run();
    t.is(m.counters[counter], before + 1, counter);
    t.is(m.state, 'MASTER', counter);
  }
  // another VRID, and a unicast advert to a multicast instance: ignored silently
  const total = () => Object.values(m.counters).reduce((a, b) => a + b, 0);
  const before = total();
  send(vrrp.encodeAdvert({ ...base, vrid: 99 }));
  send(vrrp.encodeAdvert({ ...base, dst: '192.0.2.12' }), { dst: '192.0.2.12' });
  t.is(total(), before);
  t.is(m.state, 'MASTER');
  send(good);
  t.is(m.state, 'BACKUP');
});

test('VRRPv2 authentication: wrong password and auth type are dropped', (t) => {
  const { clock, wire } = setup();
  const m = wire.instance('192.0.2.12', { priority: 150, version: 2, authPass: 'secret12' });
  m.start();
  clock.advance(4000);
  const base = { version: 2, vrid: 51, priority: 200, interval: 1, addresses: ['192.0.2.100'] };
  const send = (spec) => m.receive({ payload: vrrp.encodeAdvert({ ...base, ...spec }), src: '192.0.2.13', dst: '224.0.0.18', ttl: 255 });
  send({ password: 'wrong' });
  t.is(m.counters.auth_failure, 1);
  send({});
  t.is(m.counters.invalid_authtype, 1);
  send({ password: 'secret12', interval: 2 });
  t.is(m.counters.advert_interval_err, 1);
  t.is(m.state, 'MASTER');
  send({ password: 'secret12' });
  t.is(m.state, 'BACKUP');
});

test('fault: a master sends priority 0 and drops its addresses; recovery returns to BACKUP', async (t) => {
  const { clock, wire } = setup();
  const m = wire.instance('192.0.2.12', { priority: 150 });
  const b = wire.instance('192.0.2.11', { priority: 100 });
  m.start();
  b.start();
  clock.advance(5000);
  await flush();
  t.true(m.link.vips.has('192.0.2.100'));
  m.setFault('if:eth1', true);
  t.is(m.state, 'FAULT');
  t.is(m.counters.pri_zero_sent, 1);
  await flush();
  t.false(m.link.vips.has('192.0.2.100'));
  clock.advance(700);
  t.is(b.state, 'MASTER');
  m.setFault('if:eth1', false);
  t.is(m.state, 'BACKUP');
  clock.advance(4000);
  t.is(m.state, 'MASTER');  // preempts back: higher priority
});

test('tracking weights change the advertised priority (kept in 1..254)', (t) => {
  const { clock, wire } = setup();
  const m = wire.instance('192.0.2.12', { priority: 150 });
  m.start();
  clock.advance(4000);
  m.setPriorityDelta(-60);
  clock.advance(1000);
  t.is(m.link.sent[m.link.sent.length - 1].payload[2], 90);
  m.setPriorityDelta(+200);
  t.is(m.effectivePriority, 254);
  m.setPriorityDelta(-500);
  t.is(m.effectivePriority, 1);
});

test('priority 255 (address owner) is MASTER at once; unicast adverts go to each peer', (t) => {
  const { clock, wire } = setup();
  const o = wire.instance('192.0.2.12', { priority: 255, unicastPeers: ['192.0.2.11', '192.0.2.13'] });
  o.start();
  t.is(o.state, 'MASTER');
  t.deepEqual(o.link.sent.map((s) => s.dst), ['192.0.2.11', '192.0.2.13']);
  clock.advance(1000);
  t.is(o.link.sent.length, 4);
});

test('three nodes elect one master, and the next one after a crash', (t) => {
  const { clock, wire } = setup();
  const nodes = [100, 150, 120].map((p, i) => wire.instance(`192.0.2.1${i + 1}`, { priority: p, advertInt: 100 }));
  for (const n of nodes) n.start();
  clock.advance(2000);
  t.deepEqual(nodes.map((n) => n.state), ['BACKUP', 'MASTER', 'BACKUP']);
  nodes[1].link.down = true;  // crash: silence
  clock.advance(400);
  t.deepEqual(nodes.map((n) => n.state).filter((s) => s === 'MASTER').length, 2);  // the crashed one still thinks so
  t.is(nodes[2].state, 'MASTER');
  t.is(nodes[0].state, 'BACKUP');
});

test('FakeClock runs due timers in order', (t) => {
  const c = new vrrp.FakeClock();
  const seen = [];
  c.setTimer(() => seen.push('b'), 20);
  const h = c.setTimer(() => seen.push('x'), 10);
  c.setTimer(() => { seen.push('a'); c.setTimer(() => seen.push('c'), 15); }, 10);
  c.clearTimer(h);
  c.advance(30);
  t.deepEqual(seen, ['a', 'b', 'c']);
  t.is(c.now(), 30);
});

test('the master-down timer runs from the kernel receive time (ageMs), not from when JS saw the advert', (t) => {
  const { clock, wire } = setup();
  const b = wire.instance('192.0.2.11', { priority: 100, advertInt: 100 });
  b.start();
  const advert = vrrp.encodeAdvert({ version: 3, vrid: 51, priority: 150, interval: 10, addresses: ['192.0.2.100'], src: '192.0.2.12', dst: '224.0.0.18' });
  b.receive({ payload: advert, src: '192.0.2.12', dst: '224.0.0.18', ttl: 255, ageMs: 20 });
  clock.advance(360.9375 - 20 - 0.5);
  t.is(b.state, 'BACKUP');
  clock.advance(1);
  t.is(b.state, 'MASTER');
});
