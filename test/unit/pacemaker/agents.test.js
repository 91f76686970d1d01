'use strict';
// hakit's own OCF agents, installed by `hakit ocf install` into a private OCF root and driven by
// the OCF runner. The daemon they run is a real hakit subcommand (`hakit pcs exporter`), the
// promote/demote one-shots `hakit version`; a command that exits at once makes start fail.
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { root } = require('../../helpers/env');
const { pacemaker: P } = require('../../..');

const hakit = `${process.execPath} ${path.join(root, 'bin', 'hakit.js')}`;

function install() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-agents-'));
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'hakit.js'), 'ocf', 'install', '--ocf-root', dir, '--hakit', hakit], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return { dir, files: r.stdout.trim().split('\n') };
}

test('install writes four executable agents whose meta-data parses', async (t) => {
  const { dir, files } = install();
  try {
    t.deepEqual(files.map((f) => path.basename(f)), ['service', 'lb', 'vrrp', 'volume']);
    for (const f of files) t.truthy(fs.statSync(f).mode & 0o100);
    const lb = await P.agentMetadata({ provider: 'hakit', agent: 'lb' }, { ocfRoot: dir });
    t.is(lb.parameters.find((p) => p.name === 'command').default, 'lb');
    t.is(lb.parameters.find((p) => p.name === 'hakit').default, hakit);
    const volume = await P.agentMetadata({ provider: 'hakit', agent: 'volume' }, { ocfRoot: dir });
    t.deepEqual(volume.actions.filter((a) => a.name === 'monitor').map((a) => a.role), ['Promoted', 'Unpromoted']);
    // pcs-style creation from that meta-data gives a promotable-ready primitive.
    const cib = P.Cib.empty();
    P.resourceCreate(cib, 'vol', 'ocf:hakit:volume', { metadata: volume, noDefaultOps: true, instance: { promote_args: 'primary r0' } });
    t.deepEqual(cib.model().resources[0].operations.map((o) => o.id), ['vol-monitor-interval-10s', 'vol-monitor-interval-11s']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('service agent: start runs the hakit daemon, monitor tracks it, stop ends it; an exiting command fails start', async (t) => {
  const { dir } = install();
  const pidfile = path.join(dir, 'svc.pid');
  const params = { command: 'pcs', args: 'exporter --port 0', pidfile };
  const run = (action, p = params) => P.runOcfAction({ provider: 'hakit', agent: 'service' }, action, { ocfRoot: dir, instance: 'svc', params: p, timeoutMs: 20000 });
  try {
    t.is((await run('monitor')).exitCode, 7);
    t.is((await run('start')).exitCode, 0);
    const pid = Number(fs.readFileSync(pidfile, 'utf8'));
    t.true(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('exporter'));
    t.is((await run('monitor')).exitCode, 0);
    t.is((await run('start')).exitCode, 0, 'start is idempotent');
    t.is((await run('stop')).exitCode, 0);
    t.false(fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'));
    t.is((await run('monitor')).exitCode, 7);
    t.is((await run('stop')).exitCode, 0, 'stop of a stopped resource succeeds');
    const quick = await run('start', { command: 'version', pidfile });
    t.is(quick.exitCode, 1);
    t.regex(P.exitReason(quick), /hakit version exited during start/);
    t.is((await run('validate-all', { command: 'bad cmd;', pidfile })).exitCode, 6);
    t.is((await run('validate-all', { command: 'lb', hakit: '/nonexistent/hakit', pidfile })).exitCode, 5);
  } finally {
    await run('stop');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('volume agent is promotable: promote runs the one-shot and monitor answers 8; demote returns to 0', async (t) => {
  const { dir } = install();
  const pidfile = path.join(dir, 'vol.pid');
  const params = { command: 'pcs', args: 'exporter --port 0', pidfile, promote_args: '--help', demote_args: '--help' };
  const run = (action, p = params) => P.runOcfAction({ provider: 'hakit', agent: 'volume' }, action, { ocfRoot: dir, instance: 'vol', params: p, timeoutMs: 20000 });
  try {
    t.is((await run('promote')).exitCode, 7, 'cannot promote what is not running');
    t.is((await run('start')).exitCode, 0);
    t.is((await run('monitor')).exitCode, 0);
    t.is((await run('promote')).exitCode, 0);
    t.like(await run('monitor'), { exitCode: 8, status: 'OCF_RUNNING_PROMOTED' });
    t.is((await run('demote')).exitCode, 0);
    t.is((await run('monitor')).exitCode, 0);
    t.is((await run('promote', { ...params, promote_args: '-f /nonexistent/cib.xml property set x=1' })).exitCode, 1, 'a failing one-shot fails promote');
  } finally {
    await run('stop');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
