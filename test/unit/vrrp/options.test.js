'use strict';
// keepalived options beyond the basics: track_file, unicast_ttl, check_unicast_src, accept mode,
// and the event-driven interface tracker (fed synthetic rtnetlink link events).
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { vrrp } = require('../../..');
const { Wire } = require('./wire');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const until = async (fn, ms = 3000) => {
  const t0 = Date.now();
  while (!fn()) {
    if (Date.now() - t0 > ms) return false;
    await sleep(5);
  }
  return true;
};

const instance = (body) => `
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.100
    }
${body}
}
`;

test('track_file: blocks, references with weight/reverse, init_file; unknown names are errors', (t) => {
  const c = vrrp.parseConfig(`
track_file tf1 {
    file /run/hkv/a
    weight -5 reverse
    init_file 3 overwrite
}
vrrp_track_file tf2 {
    file "/run/hkv/b"
}
${instance('    track_file {\n        tf1\n        tf2 weight 10 noreverse\n    }')}`);
  t.deepEqual(c.files, [
    { name: 'tf1', file: '/run/hkv/a', weight: -5, reverse: true, init: { value: 3, overwrite: true } },
    { name: 'tf2', file: '/run/hkv/b', weight: 1, reverse: false },
  ]);
  t.deepEqual(c.instances[0].trackFiles, [{ name: 'tf1' }, { name: 'tf2', weight: 10, reverse: false }]);
  const e = t.throws(() => vrrp.parseConfig(instance('    track_file {\n        nope\n    }')));
  t.is(e.code, 'VRRP_BAD_CONFIG');
  t.regex(e.message, /keepalived.conf:2: .*tracks file 'nope'/);
  t.throws(() => vrrp.parseConfig('track_file x {\n    weight 300\n}\n'), { message: /weight: expected an integer in -254-254[\s\S]*no file/ });
});

test('track_file effect follows keepalived.conf(5): weight 0 faults on non-zero, else value x weight, fault below -253', (t) => {
  t.deepEqual(vrrp.fileEffect(0, 0, false), { fault: false, delta: 0 });
  t.deepEqual(vrrp.fileEffect(7, 0, false), { fault: true, delta: 0 });
  t.deepEqual(vrrp.fileEffect(-1, 0, false), { fault: true, delta: 0 });
  t.deepEqual(vrrp.fileEffect(3, 10, false), { fault: false, delta: 30 });
  t.deepEqual(vrrp.fileEffect(3, 10, true), { fault: false, delta: -30 });
  t.deepEqual(vrrp.fileEffect(-30, 10, false), { fault: true, delta: 0 });
  t.deepEqual(vrrp.fileEffect(100, 10, false), { fault: false, delta: 253 });
  t.is(vrrp.parseTrackValue(' 42\n'), 42);
  t.is(vrrp.parseTrackValue('-7 trailing'), -7);
  t.is(vrrp.parseTrackValue('abc'), 0);
  t.is(vrrp.parseTrackValue(''), 0);
});

test('track_file in a router: priority follows the file on inotify, a fault value puts the instance in FAULT', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hkv-tf-'));
  const file = path.join(dir, 'state');
  const clock = new vrrp.FakeClock();
  const wire = new Wire(clock);
  const text = `
track_file weighted {
    file ${file}
    weight 10
    init_file 2
}
track_file gate {
    file ${file}.gate
    init_file
}
${instance('    track_file {\n        weighted\n        gate weight 0\n    }')}`;
  const router = new vrrp.VrrpRouter(vrrp.parseConfig(text), { clock, linkFactory: () => wire.link('192.0.2.11') });
  await router.start();
  const vi = router.instance('VI_1');
  t.is(fs.readFileSync(file, 'utf8').trim(), '2', 'init_file wrote the initial value');
  t.is(vi.effectivePriority, 120);
  fs.writeFileSync(file, '-3\n');
  t.true(await until(() => vi.effectivePriority === 70), `priority ${vi.effectivePriority}`);
  fs.writeFileSync(`${file}.tmp`, '5');
  fs.renameSync(`${file}.tmp`, file);  // replaced by rename, as tools that write atomically do
  t.true(await until(() => vi.effectivePriority === 150), `priority ${vi.effectivePriority}`);
  clock.advance(4000);
  t.is(vi.state, 'MASTER');
  fs.writeFileSync(`${file}.gate`, '1');
  t.true(await until(() => vi.state === 'FAULT'));
  fs.writeFileSync(`${file}.gate`, '0');
  t.true(await until(() => vi.state === 'BACKUP'));
  await router.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('unicast_ttl, check_unicast_src (instance and global), min_ttl / max_ttl per peer, accept / no_accept / vrrp_strict', (t) => {
  const peers = '    unicast_src_ip 192.0.2.11\n    unicast_peer {\n        192.0.2.12\n    }\n';
  let c = vrrp.parseConfig(instance(`${peers}    unicast_ttl 64\n    check_unicast_src\n    accept`));
  t.is(c.instances[0].unicastTtl, 64);
  t.true(c.instances[0].checkUnicastSrc);
  t.deepEqual(c.warnings, []);
  c = vrrp.parseConfig(`global_defs {\n    vrrp_check_unicast_src\n}\n${instance(peers)}`);
  t.true(c.instances[0].checkUnicastSrc);
  t.is(c.instances[0].unicastTtl, undefined);
  c = vrrp.parseConfig(instance(peers.replace('192.0.2.12', '192.0.2.12 min_ttl 250')));
  t.true(c.instances[0].checkUnicastSrc, 'min_ttl turns check_unicast_src on (keepalived)');
  t.deepEqual(c.instances[0].unicastPeerTtl, { '192.0.2.12': { min: 250, max: 255 } });
  t.deepEqual(c.warnings, []);
  c = vrrp.parseConfig(instance(peers.replace('192.0.2.12', '192.0.2.12 max_ttl 64 min_ttl 60')));
  t.deepEqual(c.instances[0].unicastPeerTtl, { '192.0.2.12': { min: 60, max: 64 } });
  t.throws(() => vrrp.parseConfig(instance(peers.replace('192.0.2.12', '192.0.2.12 min_ttl 70 max_ttl 60'))), { message: /min_ttl 70 is above max_ttl 60/ });
  t.throws(() => vrrp.parseConfig(instance(peers.replace('192.0.2.12', '192.0.2.12 min_ttl 256'))), { message: /min_ttl: expected an integer in 0-255/ });
  t.throws(() => vrrp.parseConfig(instance(peers.replace('192.0.2.12', '192.0.2.12 ttl 3'))), { message: /unknown option 'ttl'/ });
  t.true(vrrp.parseConfig(instance('    no_accept')).instances[0].noAccept);
  t.is(vrrp.parseConfig(instance('    accept')).instances[0].noAccept, undefined);
  t.is(vrrp.parseConfig(instance('')).instances[0].noAccept, undefined, 'accept mode by default, as keepalived without vrrp_strict');
  const strict = (body, prio = 100) => vrrp.parseConfig(`global_defs {
    vrrp_strict
    vrrp_version 3
}
${instance(body).replace('priority 100', `priority ${prio}`)}`).instances[0];
  t.true(strict('').noAccept, 'vrrp_strict implies no_accept');
  t.is(strict('    accept').noAccept, undefined, 'unless accept is set');
  t.is(strict('', 255).noAccept, undefined, 'or the instance is the address owner');
  t.is(vrrp.parseConfig(`global_defs {
    nftables vrrp_fw
}
${instance('    no_accept')}`).nftTable, 'vrrp_fw');
  t.throws(() => vrrp.parseConfig(`global_defs {
    nftables 1bad
}
${instance('')}`), { message: /not a valid table name/ });
  t.throws(() => vrrp.parseConfig(instance('    unicast_ttl 256')), { code: 'VRRP_BAD_CONFIG', message: /keepalived.conf:\d+: unicast_ttl: expected an integer in 1-255/ });
  t.throws(() => new vrrp.VrrpInstance({ name: 'x', interface: 'eth0', vrid: 1, priority: 100, advertInt: 1000, vips: [{ address: '192.0.2.1', prefix: 32 }], unicastTtl: 0 }, {}), { code: 'ERR_INVALID_ARG' });
});

test('check_unicast_src drops adverts from a non-peer (counted); without it they are accepted as keepalived does', (t) => {
  for (const checkUnicastSrc of [true, false]) {
    const clock = new vrrp.FakeClock();
    const wire = new Wire(clock);
    const m = wire.instance('192.0.2.11', { priority: 150, unicastPeers: ['192.0.2.12'], checkUnicastSrc });
    m.start();
    clock.advance(4000);
    t.is(m.state, 'MASTER');
    const advert = (src) => vrrp.encodeAdvert({ version: 3, vrid: 51, priority: 200, interval: 100, addresses: ['192.0.2.100'], src, dst: '192.0.2.11' });
    m.receive({ payload: advert('192.0.2.13'), src: '192.0.2.13', dst: '192.0.2.11', ttl: 64 });
    t.is(m.counters.unicast_src_err, checkUnicastSrc ? 1 : 0);
    t.is(m.state, checkUnicastSrc ? 'MASTER' : 'BACKUP');
    m.receive({ payload: advert('192.0.2.12'), src: '192.0.2.12', dst: '192.0.2.11', ttl: 64 });
    t.is(m.state, 'BACKUP', 'a configured peer is accepted, with any TTL in unicast mode');
  }
});

test('unicast_peer min_ttl / max_ttl: adverts outside the peer\'s range are dropped as ip_ttl_err', (t) => {
  const clock = new vrrp.FakeClock();
  const wire = new Wire(clock);
  const m = wire.instance('192.0.2.11', { priority: 150, unicastPeers: ['192.0.2.12'], unicastPeerTtl: { '192.0.2.12': { min: 60, max: 64 } }, checkUnicastSrc: true });
  m.start();
  clock.advance(4000);
  const advert = vrrp.encodeAdvert({ version: 3, vrid: 51, priority: 200, interval: 100, addresses: ['192.0.2.100'], src: '192.0.2.12', dst: '192.0.2.11' });
  for (const ttl of [255, 59, 65]) m.receive({ payload: advert, src: '192.0.2.12', dst: '192.0.2.11', ttl });
  t.is(m.counters.ip_ttl_err, 3);
  t.is(m.state, 'MASTER');
  m.receive({ payload: advert, src: '192.0.2.12', dst: '192.0.2.11', ttl: 64 });
  t.is(m.state, 'BACKUP');
  t.throws(() => wire.instance('192.0.2.13', { unicastPeers: ['192.0.2.12'], unicastPeerTtl: { '192.0.2.12': { min: 70, max: 60 } } }), { code: 'ERR_INVALID_ARG' });
});

test('interface tracker follows link events: down, up, rename away, removal, lost events reread /sys', (t) => {
  t.true(vrrp.linkUp(0x1 | 0x40));
  t.false(vrrp.linkUp(0x1));
  t.false(vrrp.linkUp(0x40));
  const tr = new vrrp.InterfaceTracker('lo');
  const seen = [];
  tr.on('change', (up) => seen.push(up));
  tr.start();  // subscribes to RTNLGRP_LINK (no privilege needed) and reads /sys/class/net/lo
  t.teardown(() => tr.stop());
  t.true(tr.up, 'lo is up');
  const lo = Number(fs.readFileSync('/sys/class/net/lo/ifindex', 'utf8'));
  tr.onEvents([{ ifindex: 99, name: 'other', flags: 0, removed: false }], false);
  t.deepEqual(seen, [], 'another interface');
  tr.onEvents([{ ifindex: lo, name: 'lo', flags: 0x1, removed: false }], false);
  t.deepEqual(seen, [false], 'no IFF_RUNNING');
  tr.onEvents([{ ifindex: lo, name: 'lo', flags: 0x41, removed: false }], false);
  t.deepEqual(seen, [false, true]);
  tr.onEvents([{ ifindex: lo, name: 'renamed', flags: 0x41, removed: false }], false);
  t.deepEqual(seen, [false, true, false], 'renamed away');
  tr.onEvents([], true);
  t.deepEqual(seen, [false, true, false, true], 'overflow: reread from /sys');
  tr.onEvents([{ ifindex: lo, name: 'lo', flags: 0x41, removed: true }], false);
  t.deepEqual(seen, [false, true, false, true, false], 'removed');
  tr.stop();
  tr.onEvents([{ ifindex: lo, name: 'lo', flags: 0x41, removed: false }], false);
  t.is(seen.length, 5, 'stopped trackers ignore events');
  const missing = new vrrp.InterfaceTracker('hkv-no-such-if');
  missing.start();
  t.false(missing.up, 'an interface that does not exist is down');
  missing.stop();
});
