'use strict';
// IPVS load benchmark, run INSIDE the IPVS guest (bench/ipvs/run boots it): 10,000 services x
// 4 destinations loaded by `ipvsadm -R` and by hakit (the `hakit ipvsadm -R` command and the
// Ipvs.apply() API), then a 1 % change applied by hakit, counting its netlink requests.
// Each contender is a whole child process timed from spawn to exit, in the same guest boot,
// each in a fresh network namespace (see session()).
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
// Each contender runs in a fresh network namespace (IPVS state is per namespace): a flushed
// table leaves its destinations in the kernel's dest_trash for about two minutes, and every
// NEW_DEST scans that list (ip_vs_trash_get_dest), so whoever loads right after a flush of
// 40,000 destinations pays a quadratic penalty the other did not. The steps of one namespace
// run in one shell; each step is timed around the command alone (date +%s%N).
function session(label, steps) {
  const files = steps.map((_, i) => ({ time: path.join(dir, `${label}-${i}.ns`), out: path.join(dir, `${label}-${i}.out`) }));
  const save = path.join(dir, `${label}.save`);
  // a route, so that IPVS takes the destinations for unicast addresses (inet_addr_type)
  const script = ['ip link set lo up && ip route add default dev lo || exit 1']
    .concat(steps.map((step, i) => `t0=$(date +%s%N); ${step.cmd} ${step.input ? `< ${step.input}` : ''} > ${files[i].out} || exit 1; t1=$(date +%s%N); echo $((t1 - t0)) > ${files[i].time}`))
    .concat(`ipvsadm -Sn > ${save}`)
    .join('\n');
  const r = spawnSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr.slice(0, 800)}`);
  const out = steps.map((step, i) => {
    const ms = Number(fs.readFileSync(files[i].time, 'utf8')) / 1e6;
    process.stderr.write(`bench: ${step.label} ${ms.toFixed(0)} ms\n`);
    return { ms, stdout: fs.readFileSync(files[i].out, 'utf8') };
  });
  return { steps: out, save: fs.readFileSync(save, 'utf8') };
}
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

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
  const desired = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
  const client = await ipvs.Ipvs.open();
  const before = client.stats;
  const t1 = process.hrtime.bigint();
  const result = await client.apply(desired);
  const t2 = process.hrtime.bigint();
  const after = client.stats;
  client.close();
  console.log(JSON.stringify({ requests: result.requests, counts: result.counts, timings: result.timings, netlinkRequests: after.requests - before.requests, sends: after.sends - before.sends, applyMs: Number(t2 - t1) / 1e6, totalInProcessMs: Number(t2 - t0) / 1e6 }));
})().catch((e) => { console.error(e); process.exit(1); });`;

// 1 % change on the loaded table: 100 services touched (weights, a removed and an added
// destination, a scheduler change).
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
fs.writeFileSync(path.join(dir, 'apply.js'), applyScript);
const node = q(process.execPath);
const applyCmd = (file) => `${node} ${q(path.join(dir, 'apply.js'))} ${q(path.join(dir, file))}`;

for (let round = 0; round < Number(process.env.IPVS_BENCH_ROUNDS || 2); round++) {
  const a = session(`ipvsadm-${round}`, [{ label: 'ipvsadm -R', cmd: 'ipvsadm -R', input: q(path.join(dir, 'rules')) }]);
  // IPVS_BENCH_SKIP_CLI=1 leaves out `hakit ipvsadm -R` (the slowest contender) for short runs
  const b = process.env.IPVS_BENCH_SKIP_CLI ? undefined : session(`cli-${round}`, [{ label: 'hakit ipvsadm -R', cmd: `${node} ${q(path.join(root, 'bin', 'hakit.js'))} ipvsadm -R`, input: q(path.join(dir, 'rules')) }]);
  const c = session(`apply-${round}`, [
    { label: 'hakit apply()', cmd: applyCmd('desired.json') },
    { label: 'ipvsadm -Sn (compare)', cmd: 'ipvsadm -Sn' },
    ...(round === 0 ? [{ label: 'hakit apply() 1% change', cmd: applyCmd('changed.json') }, { label: 'hakit apply() no change', cmd: applyCmd('changed.json') }] : []),
  ]);
  const applied = JSON.parse(c.steps[0].stdout);
  results.runs[round] = { ipvsadmR: a.steps[0].ms, hakitR: b ? b.steps[0].ms : null, hakitApply: c.steps[0].ms, ratioApply: a.steps[0].ms / c.steps[0].ms, ratioR: b ? a.steps[0].ms / b.steps[0].ms : null, hakitApplyInProcess: applied.applyMs, applyTimings: applied.timings, applyRequests: applied.netlinkRequests, applySends: applied.sends, sameTableR: b ? b.save === a.save : undefined, sameTableApply: c.steps[1].stdout === a.save };
  if (round === 0) {
    results.change = { ...JSON.parse(c.steps[2].stdout), wallMs: c.steps[2].ms, changedServices: touched };
    results.noChange = { ...JSON.parse(c.steps[3].stdout), wallMs: c.steps[3].ms };
  }
}
console.log(JSON.stringify(results, null, 1));
if (process.argv[2]) fs.writeFileSync(process.argv[2], JSON.stringify(results, null, 1));
