'use strict';
// hakit vs keepalived 2.2.7, VRRPv3 over IPv6 (link-local first VIP, as RFC 5798 asks).
const test = require('ava');
const { conf } = require('../../labs/vrrp/conf');
const { labSuite, hakitPreempts, sleep } = require('../../labs/vrrp/suite');
const { vrrp } = require('../../..');

const { it, lab: theLab } = labSuite(test, 'hkv6');
const VIPS = ['fe80::55', '2001:db8::100'];
const v6 = (prio, extra = {}) => conf({ vrid: 55, prio, adv: 0.1, vips: ['fe80::55/64', '2001:db8::100/64'], ...extra });
let lab;
test.beforeEach(() => { lab = theLab(); });

it('IPv6: hakit preempts keepalived, adds both VIPs and sends unsolicited NAs; keepalived accepts its adverts', async (t) => {
  const { packets } = await hakitPreempts(lab, v6);
  const mine = packets.filter((p) => p.vrrp && p.src === 'fe80::ff:fe00:2');
  t.true(mine.length > 0);
  for (const p of mine) {
    t.like(p, { version: 3, vrid: 55, prio: 150, checksum: '1', ttl: 255, dst: 'ff02::12', malformed: false });
    t.deepEqual(p.addrs, VIPS);
  }
  const nas = packets.filter((p) => p.na && p.ethSrc === '02:00:00:00:00:02');
  t.deepEqual([...new Set(nas.map((p) => p.naTarget))].sort(), [...VIPS].sort());
  t.true(nas.every((p) => p.ttl === 255 && p.dst === 'ff02::1'));
  for (const v of VIPS) t.true(lab.hasAddress(2, v), v);
  for (const v of VIPS) t.false(lab.hasAddress(1, v), v);
});

it('IPv6: hop limit 64 is dropped and counted (IPV6_RECVHOPLIMIT); graceful stop hands over to keepalived', async (t) => {
  const ka = await lab.keepalived(1, v6(100));
  const hk = await lab.hakit(2, v6(150));
  await lab.waitState(hk, 'MASTER', 5000);
  const good = vrrp.encodeAdvert({ version: 3, vrid: 55, priority: 200, interval: 10, addresses: VIPS, src: 'fe80::ff:fe00:3', dst: 'ff02::12' });
  lab.inject(3, good.toString('hex'), { ttl: 64, dst: 'ff02::12' });
  const bad = Buffer.from(good); bad.writeUInt16BE(0x1234, 6);
  lab.inject(3, bad.toString('hex'), { dst: 'ff02::12' });
  await sleep(300);
  const s = await lab.instanceStatus(hk);
  t.is(s.state, 'MASTER');
  t.is(s.counters.ip_ttl_err, 1);
  t.is(s.counters.checksum_err, 1);
  await lab.stop(hk);
  await lab.waitState(ka, 'MASTER', 2000);
  for (const v of VIPS) t.false(lab.hasAddress(2, v), v);
  await sleep(200);
  for (const v of VIPS) t.true(lab.hasAddress(1, v), v);
});

it('IPv6: SIGKILL of the keepalived master: hakit takes the VIPs', async (t) => {
  const ka = await lab.keepalived(1, v6(150));
  await lab.waitState(ka, 'MASTER', 5000);
  const hk = await lab.hakit(2, v6(100));
  await sleep(600);
  t.is(await lab.state(hk), 'BACKUP');
  t.is((await lab.instanceStatus(hk)).master, 'fe80::ff:fe00:1');
  const t0 = Date.now();
  await lab.crash(ka);
  await lab.waitState(hk, 'MASTER', 3000);
  t.true(Date.now() - t0 < 1500);
  await sleep(200);
  for (const v of VIPS) t.true(lab.hasAddress(2, v), v);
});

it('IPv6 use_vmac: adverts and NAs from 00:00:5e:00:02:VRID with the parent\'s link-local source, as keepalived; it accepts them', async (t) => {
  const vm = (prio) => conf({ vrid: 57, prio, adv: 0.1, vips: ['fe80::57/64', '2001:db8::157/64'], extra: '    use_vmac' });
  const { ka, hk, packets } = await hakitPreempts(lab, vm);
  const mine = packets.filter((p) => p.vrrp && p.ethSrc === '00:00:5e:00:02:39' && p.prio === 150);
  t.true(mine.length > 0);
  for (const p of mine) t.like(p, { src: 'fe80::ff:fe00:2', dst: 'ff02::12', checksum: '1', ttl: 255, malformed: false });
  const nas = packets.filter((p) => p.na && p.ethSrc === '00:00:5e:00:02:39' && p.time > mine[0].time);
  t.deepEqual([...new Set(nas.map((p) => p.naTarget))].sort(), ['2001:db8::157', 'fe80::57']);
  const onVmac = lab.addresses(2).filter((a) => a.dev === 'vrrp.57').map((a) => a.address).sort();
  t.deepEqual(onVmac, ['2001:db8::157', 'fe80::57', 'fe80::ff:fe00:2'], 'VIPs and the parent\'s link-local, no EUI-64 address');
  await lab.stop(hk);
  await lab.waitState(ka, 'MASTER', 3000);
});

it('IPv6 vmac_xmit_base: adverts from eth0 (MAC and link-local), VIPs and NAs on the VMAC, no link-local copied to it, as keepalived', async (t) => {
  const vm = (prio) => conf({ vrid: 59, prio, adv: 0.1, vips: ['fe80::59/64', '2001:db8::159/64'], extra: '    use_vmac\n    vmac_xmit_base' });
  const { ka, hk, packets } = await hakitPreempts(lab, vm);
  const mine = packets.filter((p) => p.vrrp && p.prio === 150);
  t.true(mine.length > 0);
  for (const p of mine) t.like(p, { ethSrc: '02:00:00:00:00:02', src: 'fe80::ff:fe00:2', dst: 'ff02::12', checksum: '1', ttl: 255, malformed: false });
  const nas = packets.filter((p) => p.na && p.ethSrc === '00:00:5e:00:02:3b');
  t.deepEqual([...new Set(nas.map((p) => p.naTarget))].sort(), ['2001:db8::159', 'fe80::59']);
  const onVmac = lab.addresses(2).filter((a) => a.dev === 'vrrp.59').map((a) => a.address).sort();
  t.deepEqual(onVmac, ['2001:db8::159', 'fe80::59'], 'keepalived leaves the parent\'s link-local off the VMAC with vmac_xmit_base');
  await lab.stop(hk);
  await lab.waitState(ka, 'MASTER', 3000);
});
