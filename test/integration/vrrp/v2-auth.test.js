'use strict';
// hakit vs keepalived 2.2.7, VRRPv2 with simple password authentication (advert_int 1 s, the
// smallest v2 allows).
const test = require('ava');
const { conf } = require('../../labs/vrrp/conf');
const { labSuite, masterKilledCaptured, sleep } = require('../../labs/vrrp/suite');
const { vrrp } = require('../../..');

const { it, lab: theLab } = labSuite(test, 'hkv2');
const VIP = '192.0.2.100';
const v2 = (prio) => conf({ version: 2, vrid: 54, prio, adv: 1, auth: 'secret12' });
const SLACK = 0.05;  // the bound: master-down + 50 ms, for the advert and the GARP
let lab;

test.beforeEach(() => { lab = theLab(); });

it('v2 PASS: keepalived accepts hakit as master; tshark decodes the adverts; bad password, auth type and interval are counted', async (t) => {
  const ka = await lab.keepalived(1, v2(100));
  const hk = await lab.hakit(2, v2(150));
  const cap = await lab.capture('br');
  await lab.waitState(hk, 'MASTER', 6000);
  await lab.waitState(ka, 'BACKUP', 3000);
  await sleep(1200);
  const packets = lab.decode(await cap.stop());
  const mine = packets.filter((p) => p.vrrp && p.src === '192.0.2.12');
  t.true(mine.length >= 1);
  for (const p of mine) {
    t.like(p, { version: 2, vrid: 54, prio: 150, checksum: '1', auth: 'secret12', ttl: 255, malformed: false });
    t.deepEqual(p.addrs, [VIP]);
  }
  t.true(lab.hasAddress(2, VIP));
  t.false(lab.hasAddress(1, VIP));

  const base = { version: 2, vrid: 54, priority: 200, interval: 1, addresses: [VIP] };
  lab.inject(3, vrrp.encodeAdvert({ ...base, password: 'wrongpw' }).toString('hex'));
  lab.inject(3, vrrp.encodeAdvert(base).toString('hex'));
  lab.inject(3, vrrp.encodeAdvert({ ...base, password: 'secret12', interval: 2 }).toString('hex'));
  lab.inject(3, vrrp.encodeAdvert({ ...base, password: 'secret12' }).toString('hex'), { ttl: 1 });
  await sleep(300);
  const s = await lab.instanceStatus(hk);
  t.is(s.state, 'MASTER');
  t.like(s.counters, { auth_failure: 1, invalid_authtype: 1, advert_interval_err: 1, ip_ttl_err: 1 });
});

it('v2: SIGKILL of the keepalived master moves the VIP to hakit within the master-down interval + 50 ms, GARP too', async (t) => {
  const ka = await lab.keepalived(1, v2(150));
  await lab.waitState(ka, 'MASTER', 6000);
  const hk = await lab.hakit(2, v2(100));
  await sleep(1500);
  t.is(await lab.state(hk), 'BACKUP');
  const { packets, last, first } = await masterKilledCaptured(lab, ka, hk, '192.0.2.11', '192.0.2.12');
  const garp = packets.find((p) => p.garp && p.arpIp === VIP && p.ethSrc === '02:00:00:00:00:02' && p.time > last.time);
  const gap = first.time - last.time;
  const masterDown = 3 + (256 - 100) / 256;  // 3.609 s
  t.true(gap >= masterDown - 0.01 && gap <= masterDown + SLACK, `gap ${gap.toFixed(4)} s (master-down ${masterDown.toFixed(3)} s)`);
  t.truthy(garp);
  t.true(garp.time - last.time <= masterDown + SLACK, `GARP ${(garp.time - last.time).toFixed(4)} s after the last advert`);
  t.true(lab.hasAddress(2, VIP));
  t.log(`v2 failover: first advert ${gap.toFixed(4)} s, GARP ${(garp.time - last.time).toFixed(4)} s after keepalived's last advert`);
});
