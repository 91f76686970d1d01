'use strict';
// The OCF runner against a fixture agent (no root): environment, exit codes and their meaning,
// timeouts, meta-data parsing. Real agents (Dummy, fence_dummy) are run in the integration tests.
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pacemaker: P } = require('../../..');

function ocfRoot() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-ocf-'));
  fs.mkdirSync(path.join(root, 'resource.d', 'test'), { recursive: true });
  fs.copyFileSync(path.join(__dirname, '../../fixtures/pacemaker/agent-fixture.sh'), path.join(root, 'resource.d', 'test', 'fixture'));
  fs.chmodSync(path.join(root, 'resource.d', 'test', 'fixture'), 0o755);
  return root;
}
const ref = { provider: 'test', agent: 'fixture' };

test('start passes OCF_ROOT, OCF_RESOURCE_INSTANCE, OCF_RESKEY_* and CRM_meta_*; monitor then stop', async (t) => {
  const root = ocfRoot();
  const state = path.join(root, 'state');
  try {
    const opts = { ocfRoot: root, instance: 'web', params: { state, color: 'blue' }, meta: { 'clone-max': '2' } };
    t.like(await P.runOcfAction(ref, 'monitor', opts), { exitCode: 7, status: 'OCF_NOT_RUNNING', ok: true });
    const started = await P.runOcfAction(ref, 'start', opts);
    t.like(started, { exitCode: 0, status: 'OCF_SUCCESS', ok: true, timedOut: false });
    const env = fs.readFileSync(state, 'utf8');
    for (const line of [`OCF_ROOT=${root}`, 'OCF_RESOURCE_INSTANCE=web', 'OCF_RESKEY_color=blue', `OCF_RESKEY_state=${state}`, 'OCF_RESKEY_CRM_meta_clone_max=2', 'OCF_RA_VERSION_MAJOR=1', 'OCF_RESOURCE_PROVIDER=test', 'OCF_RESOURCE_TYPE=fixture']) t.true(env.includes(line + '\n'), line);
    t.like(await P.runOcfAction(ref, 'monitor', opts), { exitCode: 0, ok: true });
    t.like(await P.runOcfAction(ref, 'stop', opts), { exitCode: 0, ok: true });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('exit codes carry their OCF names and meanings, with the exit reason', async (t) => {
  const root = ocfRoot();
  try {
    const promote = await P.runOcfAction(ref, 'promote', { ocfRoot: root });
    t.like(promote, { exitCode: 9, status: 'OCF_FAILED_PROMOTED', ok: false });
    t.is(P.exitReason(promote), 'cannot promote here');
    t.like(await P.runOcfAction(ref, 'demote', { ocfRoot: root }), { exitCode: 190, status: 'OCF_DEGRADED' });
    t.like(await P.runOcfAction(ref, 'validate-all', { ocfRoot: root }), { exitCode: 6, status: 'OCF_ERR_CONFIGURED' });
    t.like(await P.runOcfAction(ref, 'notify', { ocfRoot: root }), { exitCode: 3, status: 'OCF_ERR_UNIMPLEMENTED' });
    t.is(P.describeExit(191).status, 'OCF_DEGRADED_PROMOTED');
    t.is(P.describeExit(8).status, 'OCF_RUNNING_PROMOTED');
    t.is(P.describeExit(42).status, 'UNKNOWN');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('an action past its timeout is killed (whole process group) and reported as TIMEOUT', async (t) => {
  const root = ocfRoot();
  try {
    const started = Date.now();
    const r = await P.runOcfAction(ref, 'reload', { ocfRoot: root, params: { sleep: '30' }, timeoutMs: 300 });
    t.like(r, { timedOut: true, status: 'TIMEOUT', ok: false, exitCode: null });
    t.true(Date.now() - started < 10000);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('meta-data parses into parameters and actions; missing agents are PCMK_UNKNOWN_AGENT', async (t) => {
  const root = ocfRoot();
  try {
    const md = await P.agentMetadata(ref, { ocfRoot: root });
    t.is(md.name, 'fixture');
    t.like(md.parameters[0], { name: 'state', required: true, unique: true, type: 'string', default: '/tmp/x', shortdesc: 'state file' });
    t.like(md.parameters[1], { name: 'sleep', required: false, type: 'integer' });
    t.deepEqual(md.actions.map((a) => [a.name, a.interval, a.timeout]), [['start', undefined, '20s'], ['monitor', '5s', '10s'], ['promote', undefined, '15s'], ['meta-data', undefined, '5s']]);
    const e = await t.throwsAsync(P.runOcfAction({ provider: 'test', agent: 'nope' }, 'start', { ocfRoot: root }));
    t.is(e.code, 'PCMK_UNKNOWN_AGENT');
    t.is(await P.localMetadata({ standard: 'ocf', provider: 'test', agent: 'nope' }, { ocfRoot: root }), undefined);
    t.is(t.throws(() => P.parseMetadata('<not-agent/>')).code, 'PCMK_BAD_METADATA');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('intervals parse as Pacemaker does', (t) => {
  t.is(P.parseInterval('20s'), 20000);
  t.is(P.parseInterval('2min'), 120000);
  t.is(P.parseInterval('1h'), 3600000);
  t.is(P.parseInterval('500ms'), 500);
  t.is(P.parseInterval('15'), 15000);
  t.is(t.throws(() => P.parseInterval('soon')).code, 'PCMK_BAD_INTERVAL');
});

test('fence agent names are checked before anything runs', async (t) => {
  t.is((await t.throwsAsync(P.runFenceAgent('rm -rf', 'status'))).code, 'PCMK_BAD_AGENT');
  t.is((await t.throwsAsync(P.runFenceAgent('fence_nonexistent_xyz', 'status', { sbinDir: os.tmpdir() }))).code, 'PCMK_UNKNOWN_AGENT');
});
