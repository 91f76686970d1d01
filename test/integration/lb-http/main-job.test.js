'use strict';
// The main job: `hakit lb` with no configuration (what `npm start` runs) starts three demo
// backends, health checks and the stats page on loopback and prints the URLs; killing a demo
// backend moves the traffic to the others, as docs/lb-http.md tells users to try.
const test = require('ava');
const path = require('path');
const { spawn } = require('child_process');
const { root } = require('../../helpers/env');
const { request, waitFor } = require('../../labs/lb-http/lab');

test('hakit lb with no config: demo backends, URLs printed, killing one moves traffic', async (t) => {
  const proc = spawn(process.execPath, [path.join(root, 'bin/hakit.js'), 'lb', '--port', '0', '--stats-port', '0', '-q'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const pids = () => [...out.matchAll(/demo backend (demo\d) 127\.0\.0\.1:\d+ pid (\d+)/g)].map((m) => ({ name: m[1], pid: Number(m[2]) }));
  t.teardown(() => {
    proc.kill('SIGKILL');
    for (const { pid } of pids()) try { process.kill(pid, 'SIGKILL'); } catch {}
  });
  t.true(await waitFor(() => /ready/.test(out), 15000), out);
  const port = Number(/frontend web http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)[1]);
  const statsPort = Number(/stats page {3}http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)[1]);
  t.is(pids().length, 3);
  t.regex(out, /stats admin  user admin, password [0-9a-f]{12}/);

  const who = async () => /hello from (demo\d)/.exec((await request(port, { path: '/' })).body)?.[1];
  const first = new Set();
  for (let i = 0; i < 6; i++) first.add(await who());
  t.deepEqual([...first].sort(), ['demo1', 'demo2', 'demo3'], 'round robin over the three demos');
  t.is((await request(port, { path: '/health' })).body, 'hakit ok\n', 'answered by an http-request return rule');
  t.is((await request(port, { path: '/.git/config' })).status, 404);

  const victim = pids()[1];
  process.kill(victim.pid, 'SIGKILL');
  const stats = async () => JSON.parse((await request(statsPort, { path: '/stats.json' })).body);
  t.true(await waitFor(async () => (await stats()).backends[0].servers.find((s) => s.name === victim.name).status === 'DOWN', 6000), 'the check saw it die');
  const after = [];
  for (let i = 0; i < 6; i++) after.push(await who());
  t.false(after.includes(victim.name));
  t.deepEqual([...new Set(after)].sort(), ['demo1', 'demo2', 'demo3'].filter((n) => n !== victim.name));
  proc.kill('SIGTERM');
  const code = await new Promise((resolve) => proc.once('exit', resolve));
  t.is(code, 0);
  t.regex(out, /hakit lb: stopping/);
});
