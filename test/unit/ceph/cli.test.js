'use strict';
const test = require('ava');
const { ceph } = require('../../..');

function fake(outputs) {
  const calls = [];
  const runner = async (file, args) => {
    calls.push(args);
    const next = outputs.shift();
    if (next instanceof Error) throw next;
    return typeof next === 'string' ? { stdout: next, stderr: '', code: 0 } : next;
  };
  return { cli: new ceph.Ceph({ conf: '/etc/x/ceph.conf', keyring: '/k', runner }), calls };
}

test('osd map JSON becomes a typed mapping; the command line is complete', async (t) => {
  const { cli, calls } = fake(['{"epoch":16,"pool":"p","pool_id":1,"objname":"obj1","raw_pgid":"1.6cf8deff","pgid":"1.1f","up":[0,2],"up_primary":0,"acting":[0,2],"acting_primary":0}\n']);
  const m = await cli.osdMap('p', 'obj1');
  t.deepEqual(m, { epoch: 16, pool: 'p', poolId: 1, object: 'obj1', namespace: undefined, rawPgid: '1.6cf8deff', pgid: '1.1f', up: [0, 2], upPrimary: 0, acting: [0, 2], actingPrimary: 0 });
  t.deepEqual(calls[0], ['--conf', '/etc/x/ceph.conf', '--keyring', '/k', '--connect-timeout', '30', 'osd', 'map', 'p', 'obj1', '--format', 'json']);
});

// stderr and exit statuses recorded from ceph 16.2.15.
const failures = [
  [{ stdout: '', stderr: 'Error ENOENT: pool nosuchpool does not exist\n', code: 2 }, 'CEPH_ENOENT', /pool nosuchpool does not exist/],
  [{ stdout: '', stderr: "Error EINVAL: error parsing integer value 'notanumber': Expected option value to be integer, got 'notanumber'\n", code: 22 }, 'CEPH_EINVAL', /notanumber/],
  [{ stdout: '', stderr: 'Error EPERM: WARNING: this will *PERMANENTLY DESTROY* all data\n', code: 1 }, 'CEPH_EPERM', /PERMANENTLY/],
  [{ stdout: '', stderr: "Error initializing cluster client: ObjectNotFound('RADOS object not found (error calling conf_read_file)')\n", code: 1 }, 'CEPH_CLIENT_INIT', /conf_read_file/],
  [{ stdout: '', stderr: '[errno 110] RADOS timed out (error connecting to the cluster)\n', code: 1 }, 'CEPH_UNREACHABLE', /cannot reach the monitors/],
  [{ stdout: '', stderr: '', code: 17 }, 'CEPH_EEXIST', /exited with status 17/],
  [{ stdout: '{"epoch": 3, "pool"', stderr: '', code: 0 }, 'CEPH_BAD_JSON', /invalid JSON/],
  [Object.assign(new Error('t'), { code: 'ETIMEDOUT' }), 'CEPH_TIMEOUT', /did not finish/],
];

test('failures become typed errors', async (t) => {
  for (const [output, code, message] of failures) {
    const { cli } = fake([output]);
    const error = await t.throwsAsync(cli.osdMap('p', 'x'));
    t.is(error.code, code);
    t.regex(error.message, message);
  }
  const missing = new ceph.Ceph({ binary: '/nonexistent/ceph' });
  t.is((await t.throwsAsync(missing.status())).code, 'CEPH_NOT_FOUND');
});

test('pools and erasure-code profiles: commands as ceph expects them', async (t) => {
  const { cli, calls } = fake(['', '', '', '', '', '', '']);
  await cli.ecProfileSet('k4m2', { k: 4, m: 2, plugin: 'jerasure', technique: 'reed_sol_van', failureDomain: 'host', deviceClass: 'ssd' });
  t.deepEqual(calls[0].slice(6), ['osd', 'erasure-code-profile', 'set', 'k4m2', 'k=4', 'm=2', 'plugin=jerasure', 'technique=reed_sol_van', 'crush-failure-domain=host', 'crush-device-class=ssd']);
  await cli.poolCreate('ecpool', { type: 'erasure', erasureProfile: 'k4m2', pgNum: 32, bulk: true });
  t.deepEqual(calls[1].slice(6), ['osd', 'pool', 'create', 'ecpool', '32', 'erasure', 'k4m2', '--bulk']);
  await cli.poolCreate('rbd', { pgNum: 64, pgpNum: 64, rule: 'fast', size: 3, minSize: 2, targetSizeRatio: 0.2 });
  t.deepEqual(calls[2].slice(6), ['osd', 'pool', 'create', 'rbd', '64', '64', 'replicated', 'fast', '--target-size-ratio', '0.2']);
  t.deepEqual(calls[3].slice(6), ['osd', 'pool', 'set', 'rbd', 'size', '3']);
  t.deepEqual(calls[4].slice(6), ['osd', 'pool', 'set', 'rbd', 'min_size', '2']);
  await cli.pgUpmapItems('1.3', [[2, 0]]);
  t.deepEqual(calls[5].slice(6), ['osd', 'pg-upmap-items', '1.3', '2', '0']);
  await cli.ruleCreateReplicated('fast', 'default', 'host', 'ssd');
  t.deepEqual(calls[6].slice(6), ['osd', 'crush', 'rule', 'create-replicated', 'fast', 'default', 'host', 'ssd']);
});

test('bad arguments never reach ceph', async (t) => {
  const { cli, calls } = fake([]);
  for (const bad of [
    () => cli.poolCreate('-x'),
    () => cli.poolCreate('p', { type: 'raid' }),
    () => cli.poolCreate('p', { pgpNum: 4 }),
    () => cli.pgUpmapItems('bogus', [[1, 2]]),
    () => cli.pgUpmapItems('1.3', []),
    () => cli.osdPrimaryAffinity(0, 1.5),
    () => cli.ecProfileSet('e', { k: 0, m: 1 }),
    () => cli.osdMap('p p', 'x'),
  ]) {
    t.is((await t.throwsAsync(bad)).code, 'ERR_INVALID_ARG');
  }
  t.is(calls.length, 0);
});
