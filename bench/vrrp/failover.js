'use strict';
// Failover time, hakit vs keepalived 2.2.7, same netns lab and advert_int: keepalived (priority
// 150) is master on h1, the contender (priority 100) is backup on h2; the master is SIGKILLed and
// the bridge capture (kernel timestamps) gives the time from the master's last advert to the
// contender's first advert and first gratuitous ARP (sent once the VIP is up).
// Usage (root): node bench/vrrp/failover.js [RUNS=20] [INTERVALS=1,0.01]
const { Lab, sleep } = require('../../test/labs/vrrp/lab');
const { conf } = require('../../test/labs/vrrp/conf');

const runs = Number(process.argv[2] || 20);
const intervals = (process.argv[3] || '1,0.01').split(',').map(Number);
const VIP = '192.0.2.100';

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { n: s.length, median, max: s[s.length - 1], min: s[0] };
}

async function measure(lab, kind, adv) {
  const contender = kind === 'hakit' ? await lab.hakit(2, conf({ prio: 100, adv })) : await lab.keepalived(2, conf({ prio: 100, adv }));
  const results = [];
  for (let r = 0; r < runs; r++) {
    const master = await lab.keepalived(1, conf({ prio: 150, adv }));
    await lab.waitState(master, 'MASTER', 20000);
    await lab.waitState(contender, 'BACKUP', 5000);
    await sleep(adv * 1000 + 200);
    const cap = await lab.capture('br', 'ip proto 112 or arp');
    await sleep(adv * 1000 + 300);
    await lab.crash(master);
    await lab.waitState(contender, 'MASTER', 20000);
    await sleep(100);
    const packets = lab.decode(await cap.stop());
    const last = packets.filter((p) => p.vrrp && p.src === '192.0.2.11' && p.prio > 0).pop();
    const first = packets.find((p) => p.vrrp && p.src === '192.0.2.12' && p.time > last.time);
    const garp = packets.find((p) => p.garp && p.arpIp === VIP && p.ethSrc === '02:00:00:00:00:02' && p.time > last.time);
    if (!last || !first || !garp) throw new Error(`run ${r}: incomplete capture`);
    results.push({ advert: first.time - last.time, garp: garp.time - last.time });
    process.stderr.write(`  ${kind} adv ${adv}: run ${r + 1}/${runs}: advert ${(first.time - last.time).toFixed(4)} s, GARP ${(garp.time - last.time).toFixed(4)} s\n`);
    // the killed master left its VIP: remove it as `lab stop` would
    for (const a of lab.addresses(1)) if (a.address === VIP) require('child_process').spawnSync('ip', ['-n', lab.ns(1), 'addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
  }
  await lab.reset();
  return results;
}

(async () => {
  const lab = new Lab(2, 'hkvb').up();
  const rows = [];
  try {
    for (const adv of intervals) {
      const masterDown = 3 * adv + ((256 - 100) / 256) * adv;
      for (const kind of ['keepalived', 'hakit']) {
        const res = await measure(lab, kind, adv);
        const a = stats(res.map((x) => x.advert));
        const g = stats(res.map((x) => x.garp));
        rows.push({ adv, kind, masterDown, a, g });
      }
    }
  } finally {
    lab.down();
  }
  console.log(`runs per cell: ${runs}; times from the killed master's last advert (kernel timestamps)`);
  console.log('advert_int | contender  | RFC master-down | first advert median / max | first GARP median / max');
  for (const r of rows) {
    console.log(`${String(r.adv).padEnd(10)} | ${r.kind.padEnd(10)} | ${(r.masterDown * 1000).toFixed(1).padStart(9)} ms    | ${(r.a.median * 1000).toFixed(1)} / ${(r.a.max * 1000).toFixed(1)} ms | ${(r.g.median * 1000).toFixed(1)} / ${(r.g.max * 1000).toFixed(1)} ms`);
  }
  for (const adv of intervals) {
    const ka = rows.find((r) => r.adv === adv && r.kind === 'keepalived');
    const hk = rows.find((r) => r.adv === adv && r.kind === 'hakit');
    console.log(`advert_int ${adv}: hakit/keepalived GARP median ratio ${(hk.g.median / ka.g.median).toFixed(3)}, max ratio ${(hk.g.max / ka.g.max).toFixed(3)}; advert median ratio ${(hk.a.median / ka.a.median).toFixed(3)}`);
  }
})().catch((e) => { console.error(e); process.exit(1); });
