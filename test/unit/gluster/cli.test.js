'use strict';
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { gluster } = require('../../..');

// Outputs recorded from glusterfs 10.3 (Debian 12) on this machine; see docs/gluster.md.
const dir = path.join(__dirname, '..', '..', 'fixtures', 'gluster');
const fixture = (name) => fs.readFileSync(path.join(dir, name), 'utf8');

function fake(outputs) {
  const calls = [];
  const runner = async (file, args) => {
    calls.push([file, ...args]);
    const next = outputs.shift();
    if (next instanceof Error) throw next;
    return typeof next === 'string' ? { stdout: next, stderr: '', code: 0 } : next;
  };
  return { cli: new gluster.Gluster({ runner }), calls };
}

test('volume info: distribute volume from the oracle fixture', async (t) => {
  const { cli, calls } = fake([fixture('volume-info.xml')]);
  const [info] = await cli.volumeInfo('v0');
  t.deepEqual(calls[0], ['gluster', '--mode=script', 'volume', 'info', 'v0', '--xml']);
  t.is(info.name, 'v0');
  t.is(info.status, 'Started');
  t.is(info.type, 'Distribute');
  t.is(info.bricks.length, 4);
  t.deepEqual(info.bricks[0], { name: 'vm:/srv/gluster/bricks/b1', host: 'vm', path: '/srv/gluster/bricks/b1', hostUuid: 'f3e54f8a-5c26-4910-a729-a87667df06a6', isArbiter: false });
  t.is(info.options['nfs.disable'], 'on');
  t.deepEqual(info.subvolumes.map((s) => s.name), ['v0-client-0', 'v0-client-1', 'v0-client-2', 'v0-client-3']);
});

test('volume info: replicate, arbiter and disperse subvolumes', async (t) => {
  const { cli } = fake([fixture('cli/info-rep.xml'), fixture('cli/info-arb.xml'), fixture('cli/info-ec.xml')]);
  const [rep] = await cli.volumeInfo('hkr');
  t.deepEqual(rep.subvolumes.map((s) => [s.name, s.bricks.length]), [['hkr-replicate-0', 2]]);
  const [arb] = await cli.volumeInfo('hka');
  t.is(arb.arbiterCount, 1);
  t.deepEqual(arb.bricks.map((b) => b.isArbiter), [false, false, true]);
  t.is(arb.subvolumes[0].bricks.length, 3);
  const [ec] = await cli.volumeInfo('hkd');
  t.is(ec.disperseCount, 3);
  t.is(ec.redundancyCount, 1);
  t.deepEqual(ec.subvolumes.map((s) => s.name), ['hkd-disperse-0']);
});

test('volume status: bricks, ports, pids and daemons apart', async (t) => {
  const { cli } = fake([fixture('volume-status.xml'), fixture('cli/status-rep-down.xml')]);
  const [status] = await cli.volumeStatus('v0');
  t.is(status.bricks.length, 4);
  t.deepEqual(status.bricks[0], { host: 'vm', path: '/srv/gluster/bricks/b1', peerId: 'f3e54f8a-5c26-4910-a729-a87667df06a6', online: true, port: 51885, pid: 16005 });
  const [down] = await cli.volumeStatus('hkr');
  t.deepEqual(down.bricks.map((b) => [b.online, b.port, b.pid]), [[true, 61297, 25048], [false, undefined, undefined]]);
  t.is(down.services[0].host, 'Self-heal Daemon');
});

test('volume create builds the command for each volume type', async (t) => {
  const { cli, calls } = fake([fixture('cli/create-rep.xml'), fixture('cli/create-arb.xml'), fixture('cli/create-ec.xml')]);
  const created = await cli.volumeCreate('hkr', { bricks: ['vm:/b/1', 'vm:/b/2'], replica: 2, force: true });
  t.is(created.name, 'hkr');
  t.regex(created.id, /^[0-9a-f-]{36}$/);
  t.deepEqual(calls[0].slice(2), ['volume', 'create', 'hkr', 'replica', '2', 'vm:/b/1', 'vm:/b/2', 'force', '--xml']);
  await cli.volumeCreate('hka', { bricks: ['vm:/b/3', 'vm:/b/4', 'vm:/b/5'], replica: 3, arbiter: 1 });
  t.deepEqual(calls[1].slice(4, 9), ['hka', 'replica', '3', 'arbiter', '1']);
  await cli.volumeCreate('hkd', { bricks: ['vm:/d/1', 'vm:/d/2', 'vm:/d/3'], disperse: 3, redundancy: 1 });
  t.deepEqual(calls[2].slice(4, 9), ['hkd', 'disperse', '3', 'redundancy', '1']);
});

test('bad arguments never reach gluster', async (t) => {
  const { cli, calls } = fake([]);
  for (const bad of [
    () => cli.volumeCreate('v', { bricks: [] }),
    () => cli.volumeCreate('v', { bricks: ['relative/path'] }),
    () => cli.volumeCreate('v', { bricks: ['h:/a', 'h:/b', 'h:/c'], replica: 2 }),
    () => cli.volumeCreate('v', { bricks: ['h:/a'], arbiter: 1 }),
    () => cli.volumeCreate('v', { bricks: ['h:/a', 'h:/b', 'h:/c'], disperse: 3, redundancy: 2 }),
    () => cli.volumeCreate('--help', { bricks: ['h:/a'] }),
    () => cli.volumeStart('a b'),
  ]) {
    const error = await t.throwsAsync(bad);
    t.is(error.code, 'ERR_INVALID_ARG');
  }
  t.is(calls.length, 0);
});

test('op errors become typed errors with glusterd\'s errno', async (t) => {
  const { cli } = fake([fixture('cli/info-bad.xml'), fixture('cli/set-bad.xml'), fixture('cli/stop-notstarted.xml'), fixture('cli/rb-commit.xml')]);
  let error = await t.throwsAsync(cli.volumeInfo('nosuchvol'));
  t.is(error.code, 'GLUSTER_NO_VOLUME');
  t.is(error.opErrno, 30806);
  t.is(error.message, 'Volume does not exist');
  error = await t.throwsAsync(cli.volumeSet('hk0', 'nosuch.opt', 'on'));
  t.is(error.code, 'GLUSTER_INTERNAL');
  t.regex(error.message, /nosuch.opt does not exist/);
  error = await t.throwsAsync(cli.volumeStop('hkd'));
  t.regex(error.message, /not in the started state/);
  error = await t.throwsAsync(cli.removeBrickCommit('hk0', ['vm:/b4']));
  t.regex(error.message, /migration is in progress/);
  t.true(error instanceof gluster.GlusterCommandError);
});

test('rebalance and remove-brick status', async (t) => {
  const { cli } = fake([fixture('cli/rebal.xml'), fixture('cli/rb-status.xml'), fixture('cli/rb-start.xml')]);
  const done = await cli.rebalanceStatus('hk0');
  t.true(done.completed);
  t.is(done.aggregate.files, 95);
  t.is(done.nodes[0].node, 'localhost');
  const running = await cli.removeBrickStatus('hk0', ['vm:/b4']);
  t.false(running.completed);
  t.is(running.nodes[0].status, 'in progress');
  t.is(await cli.removeBrickStart('hk0', ['vm:/b4']), 'cf3dd8aa-3a2c-48c5-875b-ce97f576697a');
});

test('heal info and split-brain listing', async (t) => {
  const { cli, calls } = fake([fixture('cli/heal-info-entries.xml'), fixture('cli/heal-sb.xml')]);
  const heal = await cli.healInfo('hkr');
  t.is(heal.length, 2);
  t.is(heal[0].entries, 4);
  t.deepEqual(heal[0].files[1], { path: '/x1', gfid: '70c94b91-6bf0-484b-b648-6193e8d23fd3' });
  t.false(heal[1].connected);
  t.is(heal[1].entries, undefined);
  const split = await cli.healSplitBrain('hkr');
  t.true(split.every((b) => b.entries === 0));
  t.deepEqual(calls[1].slice(2, 7), ['volume', 'heal', 'hkr', 'info', 'split-brain']);
});

test('volume get strips the DEFAULT marker; peer probe of self', async (t) => {
  const { cli } = fake([fixture('cli/get.xml'), fixture('cli/probe-self.xml')]);
  const { values, defaults } = await cli.volumeGet('hk0', 'cluster.weighted-rebalance');
  t.deepEqual(values, { 'cluster.weighted-rebalance': 'on' });
  t.true(defaults.has('cluster.weighted-rebalance'));
  t.is(await cli.peerProbe('vm'), 'Probe on localhost not needed');
});

test('missing binary, unreachable glusterd, timeouts and garbage are typed errors', async (t) => {
  const missing = new gluster.Gluster({ binary: '/nonexistent/gluster' });
  t.is((await t.throwsAsync(missing.peerStatus())).code, 'GLUSTER_NOT_FOUND');
  const cases = [
    [{ stdout: 'Connection failed. Please check if gluster daemon is operational.\n', stderr: '', code: 1 }, 'GLUSTER_UNREACHABLE'],
    [{ stdout: '', stderr: 'something broke', code: 1 }, 'GLUSTER_COMMAND_FAILED'],
    [{ stdout: 'hello', stderr: '', code: 0 }, 'GLUSTER_BAD_XML'],
    ['<cliOutput><opRet>0</opRet>', 'GLUSTER_BAD_XML'],
    ['<cliOutput><opErrno>0</opErrno></cliOutput>', 'GLUSTER_BAD_XML'],
    ['<cliOutput><opRet>0</opRet></cliOutputX>', 'GLUSTER_BAD_XML'],
    ['<cliOutput a=1><opRet>0</opRet></cliOutput>', 'GLUSTER_BAD_XML'],
    ['<cliOutput><opRet>&bogus;</opRet></cliOutput>', 'GLUSTER_BAD_XML'],
    [Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }), 'GLUSTER_TIMEOUT'],
  ];
  for (const [output, code] of cases) {
    const { cli } = fake([output]);
    const error = await t.throwsAsync(cli.peerStatus());
    t.is(error.code, code, JSON.stringify(output));
  }
});

test('XML reader: entities, CDATA, comments, mixed text', (t) => {
  const root = gluster.parseXml('<?xml version="1.0"?><!-- c --><a x="1 &amp; 2">t&lt;1&#x41;<b/><![CDATA[<raw>]]></a>');
  t.is(root.attributes.x, '1 & 2');
  t.is(root.text, 't<1A<raw>');
  t.is(root.children[0].name, 'b');
});

test('XML reader survives every truncation of a real document with a typed error', (t) => {
  const xml = fixture('cli/heal-info-entries.xml');
  for (let cut = 0; cut < xml.length - 12; cut += 7) {
    try {
      gluster.parseXml(xml.slice(0, cut));
    } catch (error) {
      t.is(error.code, 'GLUSTER_BAD_XML');
      continue;
    }
    t.fail(`truncated at ${cut} parsed`);
  }
});

test('"another transaction is in progress" is retried, then reported as GLUSTER_BUSY', async (t) => {
  const busy = '<cliOutput><opRet>-1</opRet><opErrno>30802</opErrno><opErrstr>Another transaction is in progress for v0. Please try again after some time.</opErrstr></cliOutput>';
  const { cli, calls } = fake([busy, busy, fixture('cli/rebal.xml')]);
  t.true((await cli.rebalanceStatus('hk0')).completed);
  t.is(calls.length, 3);
  const stubborn = new gluster.Gluster({ busyRetries: 2, runner: async () => ({ stdout: busy, stderr: '', code: 0 }) });
  t.is((await t.throwsAsync(stubborn.rebalanceStatus('v0'))).code, 'GLUSTER_BUSY');
});
