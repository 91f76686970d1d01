'use strict';
// Mappings per second of hakit's batch API against Ceph's crushtool on the same maps in the
// same run (method of the oracle README): hyperfine -N --runs R --warmup 1, median, of
// `crushtool -i MAP --test --rule R --num-rep N --min-x 0 --max-x X` (compute only) and of
// `node bench/crush/map-batch.js MAP R N X+1 THREADS`, for X+1 = 100,000 and 1,000,000;
// rate = 900,000 / (t(1M) - t(100k)), which removes process start and map loading.
// Usage: node bench/crush/bench.js [--runs N] [--warmup N] [--only TEXT] [--quick]   (needs crushtool and hyperfine)
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const args = process.argv.slice(2);
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 5;
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const warmup = args.includes('--warmup') ? Number(args[args.indexOf('--warmup') + 1]) : 1;
const small = quick ? 10000 : 100000;
const large = quick ? 100000 : 1000000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-crush-bench-'));
const runner = path.join(__dirname, 'map-batch.js');

function buildMap(name, buildArgs) {
  const bin = path.join(dir, `${name}.bin`);
  execFileSync('crushtool', ['--build', ...buildArgs, '-o', bin], { stdio: 'ignore' });
  // add the EC 4+2 rule the anchor uses: set_chooseleaf_tries 5, set_choose_tries 100,
  // take the root, chooseleaf indep 0 type host, emit
  const text = execFileSync('crushtool', ['-d', bin], { encoding: 'utf8' });
  const root = /step take (\S+)/.exec(text)[1];
  const ec = `rule ec42 {\n\tid 1\n\ttype erasure\n\tmin_size 3\n\tmax_size 6\n\tstep set_chooseleaf_tries 5\n\tstep set_choose_tries 100\n\tstep take ${root}\n\tstep chooseleaf indep 0 type host\n\tstep emit\n}\n`;
  fs.writeFileSync(path.join(dir, `${name}.txt`), text.replace('\n# end crush map', `${ec}\n# end crush map`));
  execFileSync('crushtool', ['-c', path.join(dir, `${name}.txt`), '-o', bin]);
  return bin;
}

function hyperfine(commands) {
  const json = path.join(dir, 'hf.json');
  execFileSync('hyperfine', ['-N', '--runs', String(runs), '--warmup', String(warmup), '--export-json', json, ...commands], { stdio: ['ignore', 'ignore', 'inherit'] });
  return JSON.parse(fs.readFileSync(json, 'utf8')).results.map((r) => r.median);
}

const maps = [
  { name: '10 hosts x 4 OSDs', file: buildMap('h10x4', ['--num_osds', '40', 'host', 'straw2', '4', 'root', 'straw2', '0']) },
  { name: '50 hosts x 20 OSDs (1,000 OSDs)', file: buildMap('h50x20', ['--num_osds', '1000', 'host', 'straw2', '20', 'root', 'straw2', '0']) },
  { name: '50 racks x 10 hosts x 20 OSDs (10,000 OSDs)', file: buildMap('r50h10x20', ['--num_osds', '10000', 'host', 'straw2', '20', 'rack', 'straw2', '10', 'root', 'straw2', '0']) },
];
const cases = [];
for (const m of maps) {
  cases.push({ map: m, rule: 0, numrep: 3, label: 'chooseleaf firstn host, 3' });
  if (!m.name.includes('10,000')) cases.push({ map: m, rule: 1, numrep: 6, label: 'EC 4+2 chooseleaf indep host, 6' });
}

function cephVersion() {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'ceph-base'], { encoding: 'utf8' });
  } catch {
    return '(version unknown)';
  }
}

const rate = (tSmall, tLarge) => (large - small) / (tLarge - tSmall);
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const rows = [];
for (const c of cases.filter((k) => !only || `${k.map.name}, ${k.label}`.includes(only))) {
  const ct = (n) => `crushtool -i ${c.map.file} --test --rule ${c.rule} --num-rep ${c.numrep} --min-x 0 --max-x ${n - 1}`;
  const hk = (n, threads) => `${process.execPath} ${runner} ${c.map.file} ${c.rule} ${c.numrep} ${n} ${threads}`;
  process.stderr.write(`bench: ${c.map.name}, ${c.label}\n`);
  const [c1, c2, h1, h2, p1, p2] = hyperfine([ct(small), ct(large), hk(small, 1), hk(large, 1), hk(small, 2), hk(large, 2)]);
  const crushtool = rate(c1, c2);
  const one = rate(h1, h2);
  const two = rate(p1, p2);
  rows.push(`| ${c.map.name} | ${c.label} | ${fmt(crushtool)}/s | ${fmt(one)}/s | ${(one / crushtool).toFixed(2)}x | ${fmt(two)}/s | ${(two / crushtool).toFixed(2)}x |`);
  process.stderr.write(`${rows[rows.length - 1]}\n`);
}
const cpu = (os.cpus()[0] || {}).model || 'unknown CPU';
process.stdout.write(
  [
    `Machine: ${os.cpus().length} cores, ${cpu}; crushtool from ceph-base ${cephVersion()}; node ${process.version}`,
    `Method: hyperfine -N --runs ${runs} --warmup ${warmup}, medians; rate = ${fmt(large - small)} / (t(${fmt(large)}) - t(${fmt(small)}))`,
    '',
    '| map | rule, NUMREP | crushtool | hakit batch, 1 thread | ratio | hakit batch, 2 threads | ratio |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n'),
);
fs.rmSync(dir, { recursive: true, force: true });
