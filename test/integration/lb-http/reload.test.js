'use strict';
// `hakit lb -f FILE` reloads on SIGHUP under load: zero failed requests, established client
// connections stay open, the new configuration applies, and a broken file keeps the old one.
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { root } = require('../../helpers/env');
const { backend, loadLoops, sleep, waitFor } = require('../../labs/lb-http/lab');

function yaml(version, servers) {
  return `frontend:
  web:
    bind: 127.0.0.1:0
    http-request:
      - set-header X-Config-Version "${version}"
    default_backend: app
backend:
  app:
    balance: roundrobin
    server:
${Object.entries(servers).map(([n, p]) => `      ${n}: "127.0.0.1:${p}"`).join('\n')}
`;
}

test('SIGHUP reload under load: no failed request, no dropped connection', async (t) => {
  const a = await backend('a');
  const b = await backend('b');
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-http-reload-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'lb.yaml');
  fs.writeFileSync(file, yaml(1, { a: a.port }));
  const proc = spawn(process.execPath, [path.join(root, 'bin/hakit.js'), 'lb', '-f', file, '-q'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => proc.kill('SIGKILL'));
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  t.true(await waitFor(() => /ready/.test(out), 10000), `started: ${out} ${err}`);
  const port = Number(/frontend web http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)[1]);

  const load = loadLoops(port, { concurrency: 8 });
  await sleep(600);
  fs.writeFileSync(file, yaml(2, { a: a.port, b: b.port }));
  const reloadAt = Date.now();
  proc.kill('SIGHUP');
  t.true(await waitFor(() => /reloaded/.test(out), 5000), 'reload reported');
  await sleep(600);
  fs.writeFileSync(file, 'frontend: [this is: not valid');
  proc.kill('SIGHUP');
  t.true(await waitFor(() => /reload failed, keeping the running configuration/.test(err), 5000), err);
  await sleep(400);
  await load.stop();

  const failures = load.results.filter((r) => r.status !== 200);
  t.log(`${load.results.length} requests during two reloads, ${failures.length} failed`);
  t.is(failures.length, 0);
  t.true(load.results.length > 50);
  t.deepEqual(load.agents.map((agent) => agent.created), new Array(8).fill(1), 'every client kept its one connection');
  const after = b.seen.filter((s) => s.headers['x-config-version'] === '2');
  t.true(after.length > 0, 'the server added by the reload takes traffic');
  t.true(a.seen.some((s) => s.headers['x-config-version'] === '1'));
  t.false(b.seen.some((s) => s.headers['x-config-version'] === '1'));
  t.true(load.results.filter((r) => r.at > reloadAt + 1000).length > 0, 'still serving after the failed reload');
  proc.kill('SIGTERM');
  await new Promise((resolve) => proc.once('exit', resolve));
});
