'use strict';
// `hakit drbd` end to end: two `up` processes (alpha, bravo) from one drbd.conf on loopback,
// then drbdadm's verbs against them: create-md, primary --force, status, verify,
// invalidate-remote, disconnect/connect, secondary, down, and an offline resize.
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFile } = require('child_process');
const { root } = require('../../helpers/env');
const { freePort } = require('../../labs/drbd/cluster');

const hakit = path.join(root, 'bin', 'hakit.js');

function run(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [hakit, 'drbd', ...args], { encoding: 'utf8' }, (error, stdout, stderr) => resolve({ status: error ? error.code : 0, stdout, stderr }));
  });
}

async function until(fn, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('drbdadm verbs against two running nodes', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-drbd-cli-'));
  const [pa, pb] = [await freePort(), await freePort()];
  const conf = path.join(dir, 'drbd.conf');
  fs.writeFileSync(conf, `resource r0 {
  net { protocol C; cram-hmac-alg sha256; shared-secret "cli-test"; verify-alg crc32c; connect-int 1; ping-int 1; ping-timeout 20; }
  disk { resync-rate 100M; }
  on alpha { disk ${dir}/alpha.img; meta-disk ${dir}/alpha.meta; address 127.0.0.1:${pa}; }
  on bravo { disk ${dir}/bravo.img; meta-disk ${dir}/bravo.meta; address 127.0.0.1:${pb}; }
}
`);
  const children = [];
  const common = ['-c', conf, '--state-dir', path.join(dir, 'run')];
  const as = (node) => [...common, '--node', node];
  try {
    for (const node of ['alpha', 'bravo']) {
      fs.writeFileSync(path.join(dir, `${node}.img`), '');
      fs.truncateSync(path.join(dir, `${node}.img`), 8 << 20);
      const made = await run([...as(node), 'create-md', 'r0']);
      t.is(made.status, 0, made.stderr);
    }
    t.is((await run([...as('alpha'), 'create-md', 'r0'])).status, 1, 'create-md refuses to overwrite');
    t.is((await run([...as('alpha'), 'status', 'r0'])).status, 1, 'status of a resource that is not up');
    for (const node of ['alpha', 'bravo']) {
      const child = spawn(process.execPath, [hakit, 'drbd', ...as(node), 'up', 'r0'], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.resume();
      children.push(child);
    }
    await until(async () => /peer-disk:Inconsistent/.test((await run([...as('alpha'), 'status', 'r0'])).stdout));
    const promoted = await run([...as('alpha'), 'primary', '--force', 'r0']);
    t.is(promoted.status, 0, promoted.stderr);
    const status = await until(async () => {
      const s = await run([...as('alpha'), 'status', 'r0']);
      return /peer-disk:UpToDate/.test(s.stdout) && s.stdout;
    });
    t.is(status, 'r0 role:Primary\n  disk:UpToDate\n  bravo role:Secondary\n    peer-disk:UpToDate\n');
    const json = JSON.parse((await run([...as('bravo'), 'status', 'r0', '--json'])).stdout);
    t.is(json.role, 'Secondary');
    t.is(json.disk, 'UpToDate');
    t.regex((await run([...as('alpha'), 'verify', 'r0'])).stdout, /0 bytes out of sync/);
    const refused = await run([...as('bravo'), 'primary', 'r0']);
    t.is(refused.status, 1);
    t.regex(refused.stderr, /DRBD_PEER_PRIMARY/);
    t.is((await run([...as('alpha'), 'invalidate-remote', 'r0'])).status, 0);
    await until(async () => /peer-disk:UpToDate/.test((await run([...as('alpha'), 'status', 'r0'])).stdout));
    t.is((await run([...as('bravo'), 'disconnect', 'r0'])).status, 0);
    t.regex((await run([...as('bravo'), 'status', 'r0'])).stdout, /connection:StandAlone/);
    t.is((await run([...as('bravo'), 'connect', 'r0'])).status, 0);
    await until(async () => /peer-disk:UpToDate/.test((await run([...as('alpha'), 'status', 'r0'])).stdout));
    t.is((await run([...as('alpha'), 'secondary', 'r0'])).status, 0);
    t.is((await run([...as('alpha'), 'resize', 'r0'])).status, 1, 'resize refuses while up');
    for (const node of ['alpha', 'bravo']) t.is((await run([...as(node), 'down', 'r0'])).status, 0);
    await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve() : c.once('exit', resolve)))));
    t.deepEqual(children.map((c) => c.exitCode), [0, 0]);
    // Offline resize: grow both backing files; the new area is marked to sync.
    for (const node of ['alpha', 'bravo']) {
      fs.truncateSync(path.join(dir, `${node}.img`), 12 << 20);
      const resized = await run([...as(node), 'resize', 'r0']);
      t.is(resized.status, 0, resized.stderr);
      t.regex(resized.stdout, /-> \d+ bytes/);
    }
    const { drbd } = require('../../..');
    const layout = await drbd.layoutFor(path.join(dir, 'alpha.img'), path.join(dir, 'alpha.meta'));
    t.is((await drbd.readSuperblock(layout)).dataSize, layout.dataSize);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
