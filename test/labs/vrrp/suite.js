'use strict';
// What every VRRP integration file sets up: the requirement-gated serial `it`, one lab per file
// (namespaces `<tag>-br`, `<tag>-h1..`), reset after each test and removed after the file; and
// the scenario several files share: hakit preempting a keepalived master, captured on the bridge.
const { needs, missing } = require('../../helpers/env');
const { Lab, sleep } = require('./lab');
const requirements = require('./requirements');

/** labSuite(test, 'hkv4', 3) → { it, lab() }: lab() is the file's Lab once test.before ran. */
function labSuite(test, tag, hosts = 3) {
  if (!tag.startsWith('hkv')) throw new Error(`VRRP lab namespaces keep the hkv prefix (got ${tag})`);
  let lab;
  test.before(() => { if (!missing(requirements)) lab = new Lab(hosts, tag).up(); });
  test.after.always(() => lab?.down());
  test.afterEach.always(async () => lab && (await lab.reset()));
  return { it: needs(test.serial, requirements), lab: () => lab };
}

/**
 * keepalived (priority 100) becomes MASTER on h1, then hakit (priority 150) on h2 preempts it.
 * confFor(prio) gives the keepalived.conf text; returns both processes and the decoded capture.
 */
async function hakitPreempts(lab, confFor) {
  const ka = await lab.keepalived(1, confFor(100));
  await lab.waitState(ka, 'MASTER', 5000);
  const cap = await lab.capture('br');
  const hk = await lab.hakit(2, confFor(150));
  await lab.waitState(hk, 'MASTER', 5000);
  await lab.waitState(ka, 'BACKUP', 3000);
  await sleep(300);
  return { ka, hk, packets: lab.decode(await cap.stop()) };
}

/**
 * The keepalived master `ka` is SIGKILLed while hakit `hk` is its backup, captured on the bridge:
 * returns the decoded packets, keepalived's last advert (from `kaAddr`) and hakit's first one
 * (from `hkAddr`) after it.
 */
async function masterKilledCaptured(lab, ka, hk, kaAddr, hkAddr) {
  const cap = await lab.capture('br', 'ip proto 112 or arp');
  await sleep(1300); // at least one advert of the master in the capture
  await lab.crash(ka);
  await lab.waitState(hk, 'MASTER', 6000);
  await sleep(200);
  const packets = lab.decode(await cap.stop());
  const last = packets.filter((p) => p.vrrp && p.src === kaAddr).pop();
  const first = packets.find((p) => p.vrrp && p.src === hkAddr && p.time > last.time);
  return { packets, last, first };
}

module.exports = { labSuite, hakitPreempts, masterKilledCaptured, sleep };
