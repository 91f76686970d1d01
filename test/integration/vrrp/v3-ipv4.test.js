'use strict';
// hakit vs keepalived 2.2.7, VRRPv3 over IPv4 on a netns segment. Logic tests use advert_int
// 0.1 s (master-down 0.36 s) to stay fast; timing is in failover.test.js.
const test = require('ava');
const { conf } = require('../../labs/vrrp/conf');
const { labSuite, hakitPreempts, sleep } = require('../../labs/vrrp/suite');
const { vrrp } = require('../../..');

const { it, lab: theLab } = labSuite(test, 'hkv4');
const VIP = '192.0.2.100';
let lab;
test.beforeEach(() => { lab = theLab(); });

/** Every VRRP packet hakit sent (by source) decodes cleanly in tshark with a good checksum. */
function assertClean(t, packets, src) {
  const mine = packets.filter((p) => p.vrrp && p.src === src);
  t.true(mine.length > 0, `hakit (${src}) sent adverts`);
  for (const p of mine) {
    t.is(p.checksum, '1', `tshark: checksum good (${JSON.stringify(p)})`);
    t.false(p.malformed);
    t.is(p.ttl, 255);
  }
  return mine;
}

it('the higher priority wins whichever side it is on', async (t) => {
  // keepalived MASTER first, hakit with the higher priority preempts it
  const { hk, packets } = await hakitPreempts(lab, (prio) => conf({ prio, adv: 0.1 }));
  t.true(lab.hasAddress(2, VIP));
  t.false(lab.hasAddress(1, VIP));
  assertClean(t, packets, '192.0.2.12');
  t.true(packets.some((p) => p.garp && p.arpIp === VIP && p.ethSrc === '02:00:00:00:00:02'));
  t.is((await lab.instanceStatus(hk)).counters.become_master, 1);
  await lab.reset();

  // hakit MASTER first, keepalived with the higher priority preempts it
  const hk2 = await lab.hakit(1, conf({ prio: 100, adv: 0.1 }));
  await lab.waitState(hk2, 'MASTER', 5000);
  const ka2 = await lab.keepalived(2, conf({ prio: 150, adv: 0.1 }));
  await lab.waitState(ka2, 'MASTER', 5000);
  await lab.waitState(hk2, 'BACKUP', 2000);
  await sleep(200);
  t.true(lab.hasAddress(2, VIP));
  t.false(lab.hasAddress(1, VIP));
  const s = await lab.instanceStatus(hk2);
  t.is(s.master, '192.0.2.12');
  t.is(s.counters.release_master, 1);
  t.true(s.counters.advert_rcvd > 0);
});

it('equal priority: when two masters meet (split brain heals), the higher primary address wins', async (t) => {
  // A backup accepts an equal-priority master (RFC 5798 6.4.2), so the tie-break happens between masters.
  for (const hakitHost of [2, 1]) {
    const kaHost = 3 - hakitHost;
    lab.partition(kaHost, true);
    const hk = await lab.hakit(hakitHost, conf({ prio: 120, adv: 0.1 }));
    const ka = await lab.keepalived(kaHost, conf({ prio: 120, adv: 0.1 }));
    await lab.waitState(hk, 'MASTER', 5000);
    await lab.waitState(ka, 'MASTER', 5000);
    lab.partition(kaHost, false);
    const winner = hakitHost === 2 ? hk : ka;
    const loser = hakitHost === 2 ? ka : hk;
    await lab.waitState(loser, 'BACKUP', 3000);
    await sleep(500);
    t.is(await lab.state(winner), 'MASTER');
    t.is(await lab.state(loser), 'BACKUP');
    t.true(lab.hasAddress(2, VIP));
    t.false(lab.hasAddress(1, VIP));
    await lab.reset();
  }
});

it('nopreempt holds on both sides; the backup takes over on a graceful stop', async (t) => {
  const ka = await lab.keepalived(1, conf({ prio: 100, adv: 0.1, nopreempt: true }));
  await lab.waitState(ka, 'MASTER', 5000);
  const hk = await lab.hakit(2, conf({ prio: 150, adv: 0.1, nopreempt: true }));
  await sleep(2000);  // 20 adverts
  t.is(await lab.state(hk), 'BACKUP');
  t.is(lab.kaState(ka), 'MASTER');
  await lab.stop(ka);
  await lab.waitState(hk, 'MASTER', 2000);
  await lab.reset();
  const hk2 = await lab.hakit(1, conf({ prio: 100, adv: 0.1, nopreempt: true }));
  await lab.waitState(hk2, 'MASTER', 5000);
  const ka2 = await lab.keepalived(2, conf({ prio: 150, adv: 0.1, nopreempt: true }));
  await sleep(2000);
  t.is(lab.kaState(ka2), 'BACKUP');
  t.is(await lab.state(hk2), 'MASTER');
});

it('preempt_delay: hakit waits before taking over from a lower-priority keepalived', async (t) => {
  const ka = await lab.keepalived(1, conf({ prio: 100, adv: 0.1 }));
  await lab.waitState(ka, 'MASTER', 5000);
  const hk = await lab.hakit(2, conf({ prio: 150, adv: 0.1, preemptDelay: 2 }));
  const t0 = Date.now();
  await sleep(1200);
  t.is(await lab.state(hk), 'BACKUP');
  t.is(lab.kaState(ka), 'MASTER');
  await lab.waitState(hk, 'MASTER', 5000);
  t.true(Date.now() - t0 >= 2000, `took over after ${Date.now() - t0} ms`);
  await lab.waitState(ka, 'BACKUP', 2000);
});

it('graceful stop: hakit sends priority 0 and keepalived takes over after its skew time; and the reverse', async (t) => {
  const ka = await lab.keepalived(1, conf({ prio: 100, adv: 0.1 }));
  const hk = await lab.hakit(2, conf({ prio: 150, adv: 0.1 }));
  await lab.waitState(hk, 'MASTER', 5000);
  await lab.waitState(ka, 'BACKUP', 3000);
  const cap = await lab.capture('br');
  await lab.stop(hk);
  await lab.waitState(ka, 'MASTER', 3000);
  await sleep(200);
  const packets = lab.decode(await cap.stop());
  const zero = packets.find((p) => p.vrrp && p.src === '192.0.2.12' && p.prio === 0);
  t.truthy(zero, 'hakit sent a priority-0 advert');
  const next = packets.find((p) => p.vrrp && p.src === '192.0.2.11' && p.time > zero.time);
  const gap = next.time - zero.time;
  // skew of priority 100 at 0.1 s: 0.061 s
  t.true(gap >= 0.055 && gap < 0.3, `keepalived took over ${gap.toFixed(4)} s after the priority-0 advert`);
  t.false(lab.hasAddress(2, VIP), 'hakit removed its VIP');
  t.true(lab.hasAddress(1, VIP));
  await lab.reset();

  const hk2 = await lab.hakit(1, conf({ prio: 100, adv: 0.1 }));
  const ka2 = await lab.keepalived(2, conf({ prio: 150, adv: 0.1 }));
  await lab.waitState(ka2, 'MASTER', 5000);
  await lab.waitState(hk2, 'BACKUP', 3000);
  const cap2 = await lab.capture('br');
  await lab.stop(ka2);
  await lab.waitState(hk2, 'MASTER', 3000);
  await sleep(200);
  const p2 = lab.decode(await cap2.stop());
  const zero2 = p2.find((p) => p.vrrp && p.src === '192.0.2.12' && p.prio === 0);
  const first = p2.find((p) => p.vrrp && p.src === '192.0.2.11' && p.time > zero2.time);
  const gap2 = first.time - zero2.time;
  t.true(gap2 >= 0.055 && gap2 < 0.3, `hakit took over ${gap2.toFixed(4)} s after the priority-0 advert`);
  t.is((await lab.instanceStatus(hk2)).counters.pri_zero_rcvd, 1);
  t.true(p2.some((p) => p.garp && p.ethSrc === '02:00:00:00:00:01' && p.time >= first.time));
});

it('wrong checksum, TTL, version and VIP list are dropped and counted; a valid higher advert is obeyed', async (t) => {
  const hk = await lab.hakit(2, conf({ prio: 150, adv: 0.1 }));
  await lab.waitState(hk, 'MASTER', 5000);
  const spec = { version: 3, vrid: 51, priority: 200, interval: 10, addresses: [VIP], src: '192.0.2.13', dst: '224.0.0.18' };
  const good = vrrp.encodeAdvert(spec);
  const badSum = Buffer.from(good); badSum.writeUInt16BE(0x1234, 6);
  lab.inject(3, badSum.toString('hex'));
  lab.inject(3, vrrp.encodeAdvert({ ...spec, checksum: 'plain' }).toString('hex'));
  lab.inject(3, good.toString('hex'), { ttl: 64 });
  lab.inject(3, vrrp.encodeAdvert({ ...spec, version: 2, interval: 1 }).toString('hex'));
  lab.inject(3, vrrp.encodeAdvert({ ...spec, addresses: ['192.0.2.101'] }).toString('hex'));
  await sleep(300);
  const s = await lab.instanceStatus(hk);
  t.is(s.state, 'MASTER');
  t.is(s.counters.checksum_err, 2);
  t.is(s.counters.ip_ttl_err, 1);
  t.is(s.counters.version_err, 1);
  t.is(s.counters.addr_list_err, 1);
  lab.inject(3, good.toString('hex'));
  await lab.waitState(hk, 'BACKUP', 1000);
  t.is((await lab.instanceStatus(hk)).master, '192.0.2.13');
});

it('unicast peers with a source address, both ways', async (t) => {
  const u = (prio, src, peer) => conf({ vrid: 53, prio, adv: 0.1, unicastSrc: src, peers: [peer] });
  const hk = await lab.hakit(1, u(100, '192.0.2.11', '192.0.2.12'));
  const ka = await lab.keepalived(2, u(150, '192.0.2.12', '192.0.2.11'));
  await lab.waitState(ka, 'MASTER', 5000);
  await lab.waitState(hk, 'BACKUP', 3000);
  const cap = await lab.capture(2);  // unicast is not flooded to the bridge: capture at the peer
  await lab.crash(ka);
  await lab.waitState(hk, 'MASTER', 3000);
  await sleep(300);
  const packets = lab.decode(await cap.stop());
  const mine = assertClean(t, packets, '192.0.2.11');
  t.true(mine.every((p) => p.dst === '192.0.2.12'));
  // keepalived accepts hakit's unicast adverts: restarted at a lower priority it stays BACKUP
  await lab.reset();
  const hk2 = await lab.hakit(1, u(150, '192.0.2.11', '192.0.2.12'));
  await lab.waitState(hk2, 'MASTER', 5000);
  const ka2 = await lab.keepalived(2, u(100, '192.0.2.12', '192.0.2.11'));
  await sleep(1500);
  t.is(lab.kaState(ka2), 'BACKUP');
  t.is(await lab.state(hk2), 'MASTER');
});

it('three nodes elect one master, then the next after a crash', async (t) => {
  const ka1 = await lab.keepalived(1, conf({ prio: 100, adv: 0.1 }));
  const hk = await lab.hakit(2, conf({ prio: 150, adv: 0.1 }));
  const ka3 = await lab.keepalived(3, conf({ prio: 120, adv: 0.1 }));
  await lab.waitState(hk, 'MASTER', 5000);
  await sleep(1000);
  t.is(lab.kaState(ka1), 'BACKUP');
  t.is(lab.kaState(ka3), 'BACKUP');
  t.deepEqual([1, 2, 3].map((i) => lab.hasAddress(i, VIP)), [false, true, false]);
  await lab.crash(hk);
  await lab.waitState(ka3, 'MASTER', 3000);
  await sleep(500);
  t.is(lab.kaState(ka1), 'BACKUP');
});

it('SIGHUP reload changes the priority without a failover', async (t) => {
  const ka = await lab.keepalived(1, conf({ prio: 100, adv: 0.1 }));
  const hk = await lab.hakit(2, conf({ prio: 150, adv: 0.1 }));
  await lab.waitState(hk, 'MASTER', 5000);
  require('fs').writeFileSync(hk.configFile, conf({ prio: 140, adv: 0.1 }));
  process.kill(hk.pid, 'SIGHUP');
  await sleep(800);
  const s = await lab.instanceStatus(hk);
  t.is(s.state, 'MASTER');
  t.is(s.priority, 140);
  t.is(s.counters.become_master, 1);
  t.is(s.counters.release_master, 0);
  t.is(lab.kaState(ka), 'BACKUP');
  t.true(lab.hasAddress(2, VIP));
});

it('use_vmac: adverts and GARPs from 00:00:5e:00:01:VRID, VIP on the macvlan, keepalived (use_vmac) agrees', async (t) => {
  const { ka, hk, packets } = await hakitPreempts(lab, (prio) => conf({ vrid: 56, prio, adv: 0.1, extra: '    use_vmac' }));
  const mine = assertClean(t, packets, '192.0.2.12');
  t.true(mine.every((p) => p.ethSrc === '00:00:5e:00:01:38'));
  t.true(packets.some((p) => p.garp && p.arpIp === VIP && p.ethSrc === '00:00:5e:00:01:38'));
  t.deepEqual(lab.addresses(2).filter((a) => a.address === VIP).map((a) => a.dev), ['vrrp.56']);
  await lab.stop(hk);
  await lab.waitState(ka, 'MASTER', 3000);
  t.false(lab.addresses(2).some((a) => a.dev === 'vrrp.56'), 'macvlan removed on stop');
});

it('vmac_xmit_base: adverts from eth0\'s MAC, VIP and GARPs on the VMAC, keepalived (same options) agrees', async (t) => {
  const { ka, hk, packets } = await hakitPreempts(lab, (prio) => conf({ vrid: 58, prio, adv: 0.1, extra: '    use_vmac\n    vmac_xmit_base' }));
  const mine = assertClean(t, packets, '192.0.2.12');
  t.true(mine.every((p) => p.ethSrc === '02:00:00:00:00:02'), 'adverts leave from the base interface');
  t.true(packets.some((p) => p.garp && p.arpIp === VIP && p.ethSrc === '00:00:5e:00:01:3a'));
  t.deepEqual(lab.addresses(2).filter((a) => a.address === VIP).map((a) => a.dev), ['vrrp.58']);
  await lab.stop(hk);
  await lab.waitState(ka, 'MASTER', 3000);
});
