'use strict';
// keepalived options on the real network: unicast_ttl and check_unicast_src against keepalived
// 2.2.7, track_interface driven by rtnetlink link events, and track_file.
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { conf } = require('../../labs/vrrp/conf');
const { labSuite, sleep } = require('../../labs/vrrp/suite');
const { vrrp } = require('../../..');

const { it, lab: theLab } = labSuite(test, 'hkvo');
let lab;

test.beforeEach(() => { lab = theLab(); });

/** Time of the first JSON log line of `child` whose msg matches `re`, in ms since the epoch. */
function logTime(child, re) {
  const line = lab.kaLog(child).split('\n').find((l) => { try { return re.test(JSON.parse(l).msg); } catch { return false; } });
  return line ? Date.parse(JSON.parse(line).time) : undefined;
}

it('unicast_ttl 64: hakit\'s unicast adverts carry TTL 64 and keepalived accepts them; check_unicast_src drops a non-peer', async (t) => {
  const extra = '    unicast_ttl 64\n    check_unicast_src';
  const hk = await lab.hakit(1, conf({ vrid: 53, prio: 150, adv: 0.1, unicastSrc: '192.0.2.11', peers: ['192.0.2.12'], extra }));
  await lab.waitState(hk, 'MASTER', 5000);
  const cap = await lab.capture(2);  // unicast is not flooded: capture at the peer
  const ka = await lab.keepalived(2, conf({ vrid: 53, prio: 100, adv: 0.1, unicastSrc: '192.0.2.12', peers: ['192.0.2.11'] }));
  await sleep(1500);
  const mine = lab.decode(await cap.stop()).filter((p) => p.vrrp && p.src === '192.0.2.11');
  t.true(mine.length >= 5);
  t.true(mine.every((p) => p.ttl === 64 && p.dst === '192.0.2.12' && p.checksum === '1'), JSON.stringify(mine[0]));
  t.is(lab.kaState(ka), 'BACKUP', 'keepalived accepts unicast adverts with TTL 64');
  // a higher-priority unicast advert from h3, which is not a peer: dropped and counted
  const hex = vrrp.encodeAdvert({ version: 3, vrid: 53, priority: 200, interval: 10, addresses: ['192.0.2.100'], src: '192.0.2.13', dst: '192.0.2.11' }).toString('hex');
  lab.inject(3, hex, { dst: '192.0.2.11', count: 3 });
  await sleep(300);
  const s = await lab.instanceStatus(hk);
  t.is(s.state, 'MASTER');
  t.is(s.counters.unicast_src_err, 3);
});

it('track_interface follows link events at once (no poll); track_file faults and recovers on inotify', async (t) => {
  lab.exec(1, 'ip', ['link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1']);
  lab.exec(1, 'ip', ['link', 'set', 'trk1', 'up']);
  lab.exec(1, 'ip', ['link', 'set', 'trk0', 'up']);
  const file = path.join(lab.dir, 'gate');
  const extra = `    track_interface {\n        trk0\n    }\n    track_file {\n        gate weight 0\n    }`;
  const text = conf({ prio: 150, adv: 0.1, extra }) + `track_file gate {\n    file ${file}\n    init_file 0 overwrite\n}\n`;
  const hk = await lab.hakit(1, text);
  await lab.waitState(hk, 'MASTER', 5000);
  const downs = [];
  for (let round = 0; round < 3; round++) {
    lab.exec(1, 'ip', ['link', 'set', 'trk0', 'down']);
    const after = Date.now();  // the link is down once `ip` has returned
    await lab.waitState(hk, 'FAULT', 3000);
    t.false(lab.hasAddress(1, '192.0.2.100'));
    const logged = lab.kaLog(hk).split('\n').filter((l) => /tracked if:trk0 is down/.test(l)).pop();
    downs.push(Date.parse(JSON.parse(logged).time) - after);
    lab.exec(1, 'ip', ['link', 'set', 'trk0', 'up']);
    await lab.waitState(hk, 'MASTER', 3000);
  }
  // Events arrive before `ip` has even exited (<= 0 ms); a 500 ms poll would average 250 ms.
  downs.sort((a, b) => a - b);
  t.true(downs[1] < 100, `link down noticed after ${downs.join(', ')} ms`);
  t.log(`link down -> tracker: ${downs.join(', ')} ms`);
  fs.writeFileSync(file, '1\n');
  await lab.waitState(hk, 'FAULT', 3000);
  fs.writeFileSync(file, '0\n');
  await lab.waitState(hk, 'MASTER', 3000);
  t.true(lab.hasAddress(1, '192.0.2.100'));
  t.truthy(logTime(hk, /tracked file gate .* reads 1/));
});

it('no_accept (vrrp_strict): like keepalived, a master drops packets to its VIPs with nftables, only while master; accept lets them in', async (t) => {
  const VIP = '192.0.2.100';
  const strict = (prio, extra = '') => conf({ prio, adv: 0.1, globals: '    vrrp_strict', extra });
  // keepalived's behaviour, the reference: a SYN to the VIP gets no answer while it is master
  const ka = await lab.keepalived(1, strict(150));
  await lab.waitState(ka, 'MASTER', 5000);
  t.is(lab.probeTcp(3, VIP), 'timeout', 'keepalived (vrrp_strict) drops packets to its VIP');
  t.is(lab.probeTcp(3, '192.0.2.11'), 'refused', 'its own address still answers');
  await lab.reset();
  // hakit, same configuration, against keepalived as the backup
  const kb = await lab.keepalived(1, strict(100));
  const hk = await lab.hakit(2, strict(150));
  await lab.waitState(hk, 'MASTER', 5000);
  await sleep(200);
  t.true(lab.hasAddress(2, VIP));
  t.is(lab.probeTcp(3, VIP), 'timeout', 'hakit (vrrp_strict) drops packets to its VIP');
  t.is(lab.probeTcp(3, '192.0.2.12'), 'refused');
  t.regex(lab.nftRuleset(2), /table ip hakit \{[\s\S]*elements = \{ 192\.0\.2\.100 \}[\s\S]*ip daddr @vips drop/);
  // a higher-priority keepalived takes over: hakit's drop rule goes with the state
  await lab.reset();
  const hk2 = await lab.hakit(2, strict(100));
  await lab.waitState(hk2, 'MASTER', 5000);
  t.regex(lab.nftRuleset(2), /elements = \{ 192\.0\.2\.100 \}/);
  const ka2 = await lab.keepalived(1, strict(150));
  await lab.waitState(hk2, 'BACKUP', 5000);
  await sleep(200);
  t.notRegex(lab.nftRuleset(2), /elements/, 'no element while BACKUP');
  await lab.stop(hk2);
  t.notRegex(lab.nftRuleset(2), /table ip hakit/, 'table removed on stop');
  void kb; void ka2;
  await lab.reset();
  // accept under vrrp_strict: the VIP answers
  const hk3 = await lab.hakit(2, strict(150, '    accept'));
  await lab.waitState(hk3, 'MASTER', 5000);
  await sleep(200);
  t.is(lab.probeTcp(3, VIP), 'refused', 'accept mode: the VIP answers');
});

it('unicast_peer min_ttl / max_ttl: keepalived and hakit drop a peer\'s adverts outside the range and obey one inside', async (t) => {
  const c = conf({ vrid: 53, prio: 150, adv: 0.1, unicastSrc: '192.0.2.11', peers: ['192.0.2.13 min_ttl 60 max_ttl 64'] });
  const hex = vrrp.encodeAdvert({ version: 3, vrid: 53, priority: 200, interval: 10, addresses: ['192.0.2.100'], src: '192.0.2.13', dst: '192.0.2.11' }).toString('hex');
  for (const kind of ['keepalived', 'hakit']) {
    const node = await lab[kind](1, c);
    await lab.waitState(node, 'MASTER', 5000);
    lab.inject(3, hex, { dst: '192.0.2.11', ttl: 255, count: 2 });
    lab.inject(3, hex, { dst: '192.0.2.11', ttl: 59 });
    await sleep(300);
    t.is(await lab.state(node), 'MASTER', `${kind}: TTL 255 and 59 are outside 60-64`);
    t.is((lab.kaLog(node).match(/TTL\/HL (255|59) not in range 60 - 64/g) ?? []).length, 3, `${kind} logs each drop`);
    if (kind === 'hakit') t.is((await lab.instanceStatus(node)).counters.ip_ttl_err, 3);
    lab.inject(3, hex, { dst: '192.0.2.11', ttl: 64 });
    await lab.waitState(node, 'BACKUP', 2000);
    await lab.reset();
  }
});
