'use strict';
// The OCF runner on the real agents the packages install: ocf:pacemaker:Dummy and
// ocf:pacemaker:Stateful (lifecycle, exit codes, meta-data) and fence_dummy (stdin protocol).
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { needs, requires } = require('../../helpers/env');
const { pacemaker: P } = require('../../..');

const needOcf = needs(test, [{ what: 'ocf:pacemaker:Dummy (apt-get install pacemaker)', ok: () => fs.existsSync('/usr/lib/ocf/resource.d/pacemaker/Dummy') }]);
const needFence = needs(test, [requires.command('fence_dummy', 'fence-agents')]);

needOcf('Dummy: monitor 7, start 0, monitor 0, stop 0, monitor 7; state file in OCF_RESKEY_state', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-dummy-'));
  const state = path.join(dir, 'dummy.state');
  const run = (action) => P.runOcfAction({ provider: 'pacemaker', agent: 'Dummy' }, action, { instance: 'd1', params: { state }, timeoutMs: 20000 });
  try {
    t.like(await run('monitor'), { exitCode: 7, status: 'OCF_NOT_RUNNING' });
    t.like(await run('start'), { exitCode: 0, ok: true });
    t.true(fs.existsSync(state));
    t.like(await run('monitor'), { exitCode: 0 });
    t.like(await run('validate-all'), { exitCode: 0 });
    t.like(await run('stop'), { exitCode: 0 });
    t.like(await run('monitor'), { exitCode: 7 });
    const md = await P.agentMetadata({ provider: 'pacemaker', agent: 'Dummy' });
    t.true(md.parameters.some((p) => p.name === 'state'));
    t.deepEqual(md.actions.find((a) => a.name === 'monitor'), { name: 'monitor', timeout: '20s', interval: '10s', role: undefined, depth: '0', startDelay: undefined });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

needOcf('Stateful: promote gives OCF_RUNNING_PROMOTED (8) on monitor', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-stateful-'));
  const run = (action) => P.runOcfAction({ provider: 'pacemaker', agent: 'Stateful' }, action, { instance: 's1', params: { state: path.join(dir, 's.state') }, env: { HA_RSCTMP: dir }, timeoutMs: 20000 });
  try {
    t.is((await run('start')).exitCode, 0);
    t.is((await run('monitor')).exitCode, 0);
    t.is((await run('promote')).exitCode, 0);
    t.like(await run('monitor'), { exitCode: 8, status: 'OCF_RUNNING_PROMOTED' });
    t.is((await run('demote')).exitCode, 0);
    t.is((await run('stop')).exitCode, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

needFence('fence_dummy through the stdin key=value protocol: on, status on, reboot, off, status off', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-fence-'));
  const args = { status_file: path.join(dir, 'power') };
  try {
    t.true((await P.runFenceAgent('fence_dummy', 'on', { args })).ok);
    t.like(await P.runFenceAgent('fence_dummy', 'status', { args }), { powerState: 'on', exitCode: 0 });
    t.true((await P.runFenceAgent('fence_dummy', 'reboot', { args })).ok);
    t.true((await P.runFenceAgent('fence_dummy', 'off', { args })).ok);
    t.like(await P.runFenceAgent('fence_dummy', 'status', { args }), { powerState: 'off', exitCode: 2, ok: true });
    const md = await P.localMetadata({ standard: 'stonith', agent: 'fence_dummy' });
    t.true(md.parameters.some((p) => p.name === 'status_file'));
    t.false((await P.runFenceAgent('fence_dummy', 'list', { args })).ok, 'fence_dummy has no list action');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
