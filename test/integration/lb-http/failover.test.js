'use strict';
// A backend killed (SIGKILL) under load: only requests in flight on it may fail, the health
// check marks it DOWN, and traffic carries on on the others with no further failures.
const test = require('ava');
const { balancer, backendProcess, loadLoops, sleep, waitFor } = require('../../labs/lb-http/lab');

test('backend killed under load: only in-flight requests fail, the check removes it', async (t) => {
  const procs = await Promise.all(['k1', 'k2', 'k3'].map((name) => backendProcess(name, 50)));
  t.teardown(() => procs.forEach((p) => p.kill()));
  const server = {};
  procs.forEach((p) => (server[p.name] = `127.0.0.1:${p.port} check`));
  const lb = await balancer({
    defaults: { retries: 2, option: ['redispatch'], timeout: { connect: '500ms', check: '300ms' } },
    frontend: { web: { bind: '127.0.0.1:0', default_backend: 'app' } },
    backend: { app: { balance: 'roundrobin', option: { httpchk: 'GET /health' }, 'http-check': { inter: '200ms', rise: 2, fall: 2 }, server } },
  });
  t.teardown(() => lb.close());
  const pool = lb.lb.runtime().backends.get('app').pool;
  const load = loadLoops(lb.port, { concurrency: 8 });
  await sleep(800);
  const inFlightOnVictim = pool.get('k2').inFlight;
  const killedAt = Date.now();
  procs[1].kill('SIGKILL');
  const removed = await waitFor(() => pool.get('k2').state === 'down', 3000, 10);
  const removedAfter = Date.now() - killedAt;
  await sleep(800);
  await load.stop();
  t.true(removed, 'the health check marked the killed server down');
  t.true(removedAfter < 4000, `removed in ${removedAfter} ms (inter 200ms, fall 2)`);
  const failures = load.results.filter((r) => r.status !== 200);
  const ok = load.results.filter((r) => r.status === 200);
  t.log(`${load.results.length} requests, ${failures.length} failed, ${inFlightOnVictim} in flight on k2 at the kill, removed after ${removedAfter} ms`);
  t.true(failures.length <= 8, 'at most one request per client loop (those in flight) failed');
  for (const f of failures) t.true(f.at <= killedAt + 50, 'a failed request had started before the kill');
  const afterRemoval = ok.filter((r) => r.at > killedAt + removedAfter);
  t.true(afterRemoval.length > 20);
  t.false(afterRemoval.some((r) => r.body.startsWith('k2')), 'no traffic to the dead server after removal');
  t.true(afterRemoval.some((r) => r.body.startsWith('k1')) && afterRemoval.some((r) => r.body.startsWith('k3')));
});
