'use strict';
// IPVS against a real kernel: boots the project's IPVS guest (test/labs/ipvs-guest/run) ONCE
// and runs guest-checks.js in it, which compares hakit with ipvsadm 1.31 option by option and
// drives traffic through a NAT service. Each group of checks is one test here.
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { needs, onlyWhere, requires, root } = require('../../helpers/env');

const lab = path.join(root, 'test', 'labs', 'ipvs-guest', 'run');
const prerequisites = [requires.root, requires.command('apt-get'), { what: 'a built dist/ (npx tsc -p .)', ok: () => fs.existsSync(path.join(root, 'dist', 'index.js')) }];
const groups = ['client', 'hakit-writes', 'ipvsadm-writes', 'save-restore', 'errors', 'config', 'daemon', 'apply', 'traffic', 'virtual-server', 'keepalived'];

let results;
function runGuest() {
  if (results) return results;
  const dir = (fs.mkdirSync(path.join(root, 'tmp'), { recursive: true }), fs.mkdtempSync(path.join(root, 'tmp', 'ipvs-guest-')));
  const report = path.join(dir, 'report.json');
  try {
    const r = spawnSync(lab, ['--timeout', '420', '--', 'node', path.join(__dirname, 'guest-checks.js'), report], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    results = fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, 'utf8')) : [{ group: 'fatal', name: 'guest', ok: false, detail: `status ${r.status}\n${r.stdout}\n${r.stderr}` }];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

const check = needs(test.serial, prerequisites);
check('the guest ran the checks', (t) => {
  const fatal = runGuest().filter((r) => r.group === 'fatal');
  t.deepEqual(fatal, []);
});
for (const group of groups) {
  check(`guest: ${group}`, (t) => {
    const mine = runGuest().filter((r) => r.group === group);
    t.true(mine.length > 0, `no ${group} checks ran`);
    const failed = mine.filter((r) => !r.ok);
    t.deepEqual(failed, [], `${failed.length} of ${mine.length} failed`);
  });
}

// On a host kernel with IPVS the guest covers the client; this checks the error path instead.
const hostWithoutIpvs = { what: 'the host kernel has no IPVS (/proc/net/ip_vs absent)', ok: () => !fs.existsSync('/proc/net/ip_vs') };
onlyWhere(test, hostWithoutIpvs)('without IPVS in the kernel, the client says IPVS_NOT_LOADED', async (t) => {
  const { ipvs } = require('../../..');
  await t.throwsAsync(ipvs.Ipvs.open(), { code: 'IPVS_NOT_LOADED', message: /IPVS is not available/ });
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'hakit.js'), 'ipvsadm', '-Ln'], { encoding: 'utf8' });
  t.is(r.status, 2);
  t.regex(r.stderr, /Can't initialize ipvs/);
});
