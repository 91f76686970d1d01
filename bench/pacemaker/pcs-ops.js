'use strict';
// hakit vs the real pcs 0.11 on the same offline CIB operation sequence (the seed example),
// one operation per command as an operator or a config tool runs them: `pcs -f FILE ...` vs
// `hakit pcs -f FILE ...` (both a process per operation), plus hakit in-process (one parse,
// N operations, one write). Prints per-operation times and the ratios to pcs (the anchor).
// Usage: node bench/pacemaker/pcs-ops.js [rounds]
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { pacemaker: P } = require('../..');

const rounds = Number(process.argv[2] || 3);
const hakitBin = path.join(__dirname, '..', '..', 'bin', 'hakit.js');
const sequence = [
  ['property', 'set', 'stonith-enabled=false'],
  ['resource', 'create', 'vip', 'ocf:heartbeat:IPaddr2', 'ip=192.0.2.10', 'cidr_netmask=24', 'op', 'monitor', 'interval=10s'],
  ['resource', 'create', 'web', 'ocf:pacemaker:Dummy'],
  ['constraint', 'colocation', 'add', 'web', 'with', 'vip', 'INFINITY'],
  ['constraint', 'order', 'vip', 'then', 'web'],
  ['constraint', 'location', 'vip', 'prefers', 'n2=50'],
  ['resource', 'defaults', 'update', 'resource-stickiness=100'],
];

function freshCib(dir) {
  const file = path.join(dir, `cib-${Math.random().toString(36).slice(2)}.xml`);
  fs.writeFileSync(file, execFileSync('cibadmin', ['--empty'], { encoding: 'utf8' }));
  for (const [i, n] of ['n1', 'n2', 'n3'].entries()) execFileSync('cibadmin', ['--create', '-o', 'nodes', '--xml-text', `<node id="${i + 1}" uname="${n}"/>`], { env: { ...process.env, CIB_file: file } });
  return file;
}

function timeProcesses(dir, cmd, prefix) {
  const file = freshCib(dir);
  const start = process.hrtime.bigint();
  for (const argv of sequence) execFileSync(cmd, [...prefix, '-f', file, ...argv], { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - start) / 1e6 / sequence.length;
}

async function timeInProcess(dir) {
  const file = freshCib(dir);
  const start = process.hrtime.bigint();
  const cib = P.Cib.parse(fs.readFileSync(file, 'utf8'));
  const metadata = P.metadataResolver();
  for (const argv of sequence) await P.runPcs(cib, argv, { metadata });
  fs.writeFileSync(file, cib.toXml());
  return Number(process.hrtime.bigint() - start) / 1e6 / sequence.length;
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-bench-pcmk-'));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const pcs = [];
  const cli = [];
  const lib = [];
  try {
    for (let r = 0; r < rounds; r++) {
      pcs.push(timeProcesses(dir, 'pcs', []));
      cli.push(timeProcesses(dir, process.execPath, [hakitBin, 'pcs']));
      lib.push(await timeInProcess(dir));
      process.stderr.write(`round ${r + 1}/${rounds}\n`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const [a, b, c] = [median(pcs), median(cli), median(lib)];
  console.log(`load average: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; ${sequence.length} operations, median of ${rounds} rounds`);
  console.log(`pcs -f (anchor)           ${a.toFixed(1)} ms/op`);
  console.log(`hakit pcs -f (CLI)        ${b.toFixed(1)} ms/op   ratio to pcs ${(a / b).toFixed(2)}x faster`);
  console.log(`hakit runPcs (in process) ${c.toFixed(2)} ms/op   ratio to pcs ${(a / c).toFixed(0)}x faster`);
})();
