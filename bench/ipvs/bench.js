'use strict';
// IPVS load benchmark, run INSIDE the IPVS guest (bench/ipvs/run boots it): 10,000 services x
// 4 destinations loaded by `ipvsadm -R` and by hakit (the `hakit ipvsadm -R` command and the
// Ipvs.apply() API), then a 1 % change applied by hakit, counting its netlink requests.
// Each contender is a whole child process timed from spawn to exit, in the same guest boot.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..', '..');
const SERVICES = Number(process.env.IPVS_BENCH_SERVICES || 10000);
const DESTS = 4;
const dir = fs.mkdtempSync('/tmp/ipvs-bench-');

function ip(n) {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
function desired() {
  const out = [];
  for (let i = 0; i < SERVICES; i++) {
    out.push({ protocol: 'tcp', address: ip(0x0a000000 + i + 1), port: 80, scheduler: 'rr', destinations: Array.from({ length: DESTS }, (_, j) => ({ address: ip(0x0b000000 + i * DESTS + j + 1), port: 8080, forward: 'masq', weight: 1 })) });
  }
  return out;
}
function rules(table) {
  const lines = [];
  for (const s of table) {
    lines.push(`-A -t ${s.address}:${s.port} -s ${s.scheduler}`);
    for (const d of s.destinations) lines.push(`-a -t ${s.address}:${s.port} -r ${d.address}:${d.port} -m -w ${d.weight}`);
  }
  return lines.join('\n') + '\n';
}
function timed(label, cmd, args, input) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr.slice(0, 500)}`);
  process.stderr.write(`bench: ${label} ${ms.toFixed(0)} ms\n`);
  return { ms, stdout: r.stdout };
}
const save = () => spawnSync('ipvsadm', ['-Sn'], { encoding: 'utf8', maxBuffer: 1 << 30 }).stdout;
const flush = () => spawnSync('ipvsadm', ['-C']);

const table = desired();
const text = rules(table);
fs.writeFileSync(path.join(dir, 'rules'), text);
fs.writeFileSync(path.join(dir, 'desired.json'), JSON.stringify(table));
const results = { services: SERVICES, destinations: SERVICES * DESTS, runs: {} };

// An apply() child: loads desired.json, applies, prints its timings and request counts.
const applyScript = `
const { ipvs } = require(${JSON.stringify(root)});
(async () => {
  const t0 = process.hrtime.bigint();
  const desired = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
  const client = await ipvs.Ipvs.open();
  const before = client.stats;
  const t1 = process.hrtime.bigint();
  const result = await client.apply(desired);
  const t2 = process.hrtime.bigint();
  const after = client.stats;
  client.close();
  console.log(JSON.stringify({ requests: result.requests, counts: result.counts, timings: result.timings, netlinkRequests: after.requests - before.requests, sends: after.sends - before.sends, applyMs: Number(t2 - t1) / 1e6, totalInProcessMs: Number(t2 - t0) / 1e6 }));
})().catch((e) => { console.error(e); process.exit(1); });`;

for (let round = 0; round < Number(process.env.IPVS_BENCH_ROUNDS || 2); round++) {
  flush();
  const a = timed('ipvsadm -R', 'ipvsadm', ['-R'], text);
  const reference = save();
  flush();
  // IPVS_BENCH_SKIP_CLI=1 leaves out `hakit ipvsadm -R` (the slowest contender) for short runs
  const b = process.env.IPVS_BENCH_SKIP_CLI ? { ms: NaN } : timed('hakit ipvsadm -R', process.execPath, [path.join(root, 'bin', 'hakit.js'), 'ipvsadm', '-R'], text);
  const sameR = process.env.IPVS_BENCH_SKIP_CLI ? undefined : save() === reference;
  flush();
  const c = timed('hakit apply()', process.execPath, ['-e', applyScript, path.join(dir, 'desired.json')]);
  const sameApply = save() === reference;
  const applied = JSON.parse(c.stdout);
  results.runs[round] = { ipvsadmR: a.ms, hakitR: b.ms, hakitApply: c.ms, hakitApplyInProcess: applied.applyMs, applyTimings: applied.timings, applyRequests: applied.netlinkRequests, applySends: applied.sends, sameTableR: sameR, sameTableApply: sameApply };
}

// 1 % change on the loaded table: 100 services touched (weights, a removed and an added
// destination, a scheduler change), 25 services removed and 25 added.
const changed = JSON.parse(JSON.stringify(table));
const step = Math.max(1, Math.floor(SERVICES / 100));
let touched = 0;
for (let i = 0; i < SERVICES && touched < SERVICES / 100; i += step, touched++) {
  const s = changed[i];
  if (touched % 4 === 0) s.destinations[0].weight = 5;
  else if (touched % 4 === 1) s.destinations.pop();
  else if (touched % 4 === 2) s.destinations.push({ address: ip(0x0c000000 + i + 1), port: 8080, forward: 'masq', weight: 2 });
  else s.scheduler = 'wrr';
}
fs.writeFileSync(path.join(dir, 'changed.json'), JSON.stringify(changed));
const d = timed('hakit apply() 1% change', process.execPath, ['-e', applyScript, path.join(dir, 'changed.json')]);
results.change = { ...JSON.parse(d.stdout), wallMs: d.ms, changedServices: touched };
const e = timed('hakit apply() no change', process.execPath, ['-e', applyScript, path.join(dir, 'changed.json')]);
results.noChange = { ...JSON.parse(e.stdout), wallMs: e.ms };
flush();
console.log(JSON.stringify(results, null, 1));
if (process.argv[2]) fs.writeFileSync(process.argv[2], JSON.stringify(results, null, 1));
