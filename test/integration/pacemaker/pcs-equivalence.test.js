'use strict';
// hakit's CIB operations against the real pcs 0.11 on the same sequence, offline (`pcs -f`):
// the two CIBs must be equal after canonical ordering (ids included), and crm_verify must
// accept both.
const test = require('ava');
const fs = require('fs');
const { needs, requires } = require('../../helpers/env');
const { pacemaker: P } = require('../../..');
const { tempDir, emptyCibFile, pcs, canonicalConfiguration } = require('../../labs/pacemaker/offline');

const need = needs(test.serial, [requires.command('pcs', 'pcs'), requires.command('cibadmin', 'pacemaker-cli-utils'), requires.command('crm_verify', 'pacemaker-cli-utils')]);

const sequences = {
  'seed example: vip then web, colocated INFINITY, stickiness': [
    ['property', 'set', 'stonith-enabled=false'],
    ['resource', 'create', 'vip', 'ocf:heartbeat:IPaddr2', 'ip=192.168.1.10', 'cidr_netmask=24', 'op', 'monitor', 'interval=10s'],
    ['resource', 'create', 'web', 'ocf:pacemaker:Dummy'],
    ['constraint', 'colocation', 'add', 'web', 'with', 'vip', 'INFINITY'],
    ['constraint', 'order', 'vip', 'then', 'web'],
    ['constraint', 'location', 'vip', 'prefers', 'n2=50'],
    ['resource', 'defaults', 'update', 'resource-stickiness=100'],
  ],
  'groups, clones, promotable, meta, update, enable/disable, stonith, fencing level, alerts, op defaults, node attributes': [
    ['property', 'set', 'stonith-enabled=true', 'no-quorum-policy=stop'],
    ['resource', 'create', 'a', 'ocf:pacemaker:Dummy', '--no-default-ops'],
    ['resource', 'create', 'b', 'ocf:pacemaker:Dummy', '--no-default-ops', 'meta', 'target-role=Stopped', 'migration-threshold=3'],
    ['resource', 'group', 'add', 'g', 'a', 'b'],
    ['resource', 'create', 'c', 'ocf:pacemaker:Stateful', '--no-default-ops'],
    ['resource', 'promotable', 'c'],
    ['resource', 'create', 'd', 'ocf:pacemaker:Dummy', 'fake=x', 'op', 'monitor', 'interval=20s', 'timeout=40s', 'on-fail=restart'],
    ['resource', 'clone', 'd'],
    ['resource', 'update', 'a', 'fake=1'],
    ['resource', 'meta', 'd', 'resource-stickiness=50'],
    ['resource', 'disable', 'b'],
    ['resource', 'enable', 'b'],
    ['resource', 'disable', 'a'],
    ['stonith', 'create', 'f1', 'fence_dummy', 'pcmk_host_list=n1 n2'],
    ['stonith', 'level', 'add', '1', 'n1', 'f1'],
    ['alert', 'create', 'path=/usr/share/pacemaker/alerts/alert_file.sh.sample', 'id=a1', 'options', 'timeout=10s', 'meta', 'timestamp-format=%H'],
    ['alert', 'recipient', 'add', 'a1', 'value=/var/log/pcmk-alerts.log'],
    ['resource', 'op', 'defaults', 'update', 'timeout=30s'],
    ['node', 'standby', 'n1'],
    ['node', 'maintenance', 'n2'],
    ['node', 'unstandby', 'n1'],
    ['property', 'set', 'no-quorum-policy='],
  ],
  'constraints: avoids, rules, -INFINITY, order kinds, sets, delete, clone retargeting': [
    ['resource', 'create', 'a', 'ocf:pacemaker:Dummy', '--no-default-ops'],
    ['resource', 'create', 'b', 'ocf:pacemaker:Dummy', '--no-default-ops'],
    ['resource', 'create', 'c', 'ocf:pacemaker:Dummy', '--no-default-ops'],
    ['constraint', 'location', 'a', 'avoids', 'n1'],
    ['constraint', 'location', 'a', 'prefers', 'n2=20', 'n3'],
    ['constraint', 'location', 'c', 'rule', 'score=100', '#uname', 'eq', 'n1', 'and', 'date', 'lt', '2030-01-01'],
    ['constraint', 'location', 'b', 'rule', 'score-attribute=pingd', 'defined', 'pingd'],
    ['constraint', 'colocation', 'add', 'a', 'with', 'b', '--', '-INFINITY'],
    ['constraint', 'colocation', 'add', 'b', 'with', 'c'],
    ['constraint', 'order', 'start', 'a', 'then', 'stop', 'b', 'kind=Optional', 'symmetrical=false'],
    ['constraint', 'order', 'c', 'then', 'a'],
    ['constraint', 'colocation', 'set', 'a', 'b', 'sequential=false', 'setoptions', 'score=100'],
    ['constraint', 'order', 'set', 'a', 'b', 'c', 'require-all=false', 'setoptions', 'kind=Optional'],
    ['resource', 'clone', 'c'],
    ['constraint', 'delete', 'location-a-n1--INFINITY'],
    ['resource', 'delete', 'b'],
  ],
  'move-with-constraint and ban, then clear removes exactly those': [
    ['resource', 'create', 'a', 'ocf:pacemaker:Dummy', '--no-default-ops'],
    ['resource', 'create', 'b', 'ocf:pacemaker:Dummy', '--no-default-ops'],
    ['constraint', 'location', 'a', 'prefers', 'n1=10'],
    ['resource', 'move-with-constraint', 'a', 'n2'],
    ['resource', 'ban', 'a', 'n3'],
    ['resource', 'ban', 'b', 'n1'],
    ['resource', 'move-with-constraint', 'b', 'n3'],
    ['resource', 'clear', 'a'],
  ],
  'fencing levels (node, %node, regexp%, attrib% targets; delete, clear) and alert update/remove': [
    ['stonith', 'create', 'f1', 'fence_dummy', 'pcmk_host_list=n1 n2'],
    ['stonith', 'create', 'f2', 'fence_dummy'],
    ['stonith', 'level', 'add', '1', 'n1', 'f1'],
    ['stonith', 'level', 'add', '1', 'n1', 'f2'],
    ['stonith', 'level', 'add', '2', 'n1', 'f2'],
    ['stonith', 'level', 'add', '1', 'n2', 'f1', 'f2'],
    ['stonith', 'level', 'add', '3', 'regexp%n.*', 'f2'],
    ['stonith', 'level', 'add', '4', 'attrib%rack=1', 'f1'],
    ['stonith', 'level', 'add', '5', '%n3', 'f1'],
    ['stonith', 'level', 'add', '6', 'node%n2', 'f2'],
    ['stonith', 'level', 'delete', '1', 'target', 'n1', 'stonith', 'f2'],
    ['stonith', 'level', 'remove', '3', 'stonith', 'f2'],
    ['stonith', 'level', 'clear', 'stonith', 'f1'],
    ['stonith', 'level', 'delete', '6'],
    ['stonith', 'level', 'clear', 'target', 'n1'],
    ['alert', 'create', 'path=/bin/true', 'id=a1', 'description=d1', 'options', 'timeout=5', 'meta', 'x=1'],
    ['alert', 'recipient', 'add', 'a1', 'value=r1', 'id=rc1', 'options', 'o=1'],
    ['alert', 'recipient', 'add', 'a1', 'value=r2'],
    ['alert', 'update', 'a1', 'path=/bin/false', 'description=', 'options', 'timeout=6', 'y=2', 'meta', 'x='],
    ['alert', 'recipient', 'update', 'rc1', 'value=r9', 'description=hello', 'options', 'o='],
    ['alert', 'recipient', 'remove', 'a1-recipient'],
    ['alert', 'create', 'path=/bin/echo', 'id=a2'],
    ['alert', 'remove', 'a2'],
  ],
};

// One resolver for the file: each agent's meta-data is read once.
const metadata = P.metadataResolver();

for (const [title, sequence] of Object.entries(sequences)) {
  need(`pcs -f equivalence: ${title}`, async (t) => {
    const dir = tempDir();
    try {
      const file = emptyCibFile(dir, ['n1', 'n2', 'n3']);
      const start = fs.readFileSync(file, 'utf8');
      for (const argv of sequence) pcs(file, argv);
      const theirs = fs.readFileSync(file, 'utf8');

      const cib = P.Cib.parse(start);
      for (const argv of sequence) await P.runPcs(cib, argv, { metadata });
      const ours = cib.toXml();

      t.is(canonicalConfiguration(ours), canonicalConfiguration(theirs));
      const [vOurs, vTheirs] = [await P.verify(ours), await P.verify(theirs)];
      const stonith = sequence.some((s) => s[0] === 'stonith') || !sequence.some((s) => s.join(' ').includes('stonith-enabled=false'));
      // Without stonith resources crm_verify only complains about STONITH; both must say the same.
      t.deepEqual(vOurs.diagnostics.map((d) => d.message), vTheirs.diagnostics.map((d) => d.message));
      if (!stonith) t.true(vOurs.valid, JSON.stringify(vOurs.diagnostics));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

need('fencing-level and alert removals refuse what pcs refuses, with the same reason', async (t) => {
  const dir = tempDir();
  try {
    const file = emptyCibFile(dir, ['n1', 'n2']);
    const setup = [
      ['stonith', 'create', 'f1', 'fence_dummy'],
      ['stonith', 'level', 'add', '1', 'n1', 'f1'],
      ['alert', 'create', 'path=/bin/true', 'id=a1'],
    ];
    for (const argv of setup) pcs(file, argv);
    const cib = P.Cib.parse(fs.readFileSync(file, 'utf8'));
    const refusals = [
      [['stonith', 'level', 'add', '1', 'n1', 'f1'], 'PCMK_ID_EXISTS', /already exists/],
      [['stonith', 'level', 'add', '2', 'attrib%norack', 'f1'], 'PCMK_BAD_LEVEL', /missing value of 'norack'/],
      [['stonith', 'level', 'delete', '2'], 'PCMK_NOT_FOUND', /at level '2' does not exist/],
      [['stonith', 'level', 'delete', '1', 'stonith', 'f1,f2'], 'PCMK_BAD_LEVEL', /',' is not a valid character/],
      [['stonith', 'level', 'clear', 'target', 'nobody'], 'PCMK_NOT_FOUND', /for 'nobody' does not exist/],
      [['alert', 'remove', 'nope'], 'PCMK_NOT_FOUND', /alert 'nope' does not exist/],
      [['alert', 'recipient', 'remove', 'nope'], 'PCMK_NOT_FOUND', /recipient 'nope' does not exist/],
    ];
    for (const [argv, code, reason] of refusals) {
      const theirs = require('child_process').spawnSync('pcs', ['-f', file, ...argv], { encoding: 'utf8' });
      t.not(theirs.status, 0, argv.join(' '));
      t.regex(theirs.stderr, new RegExp(reason.source, 'i'), argv.join(' '));
      const error = await t.throwsAsync(async () => P.runPcs(cib, argv, { metadata }), undefined, argv.join(' '));
      t.is(error.code, code, argv.join(' '));
      t.regex(error.message, new RegExp(reason.source, 'i'), argv.join(' '));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

need('a CIB whose crm_feature_set is newer than the tools: pcs -f fails "Protocol not supported", hakit refuses with PCMK_FEATURE_SET', async (t) => {
  const { spawnSync } = require('child_process');
  const path = require('path');
  const dir = tempDir();
  try {
    const file = emptyCibFile(dir, ['n1']);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/crm_feature_set="[^"]+"/, 'crm_feature_set="3.99.0"'));
    const theirs = spawnSync('pcs', ['-f', file, 'resource', 'create', 'a', 'ocf:pacemaker:Dummy'], { encoding: 'utf8' });
    t.not(theirs.status, 0);
    t.regex(theirs.stderr + theirs.stdout, /Protocol not supported/);
    const installed = await P.installedFeatureSet();
    t.regex(installed, /^3\.\d+\.\d+$/);
    const error = t.throws(() => P.Cib.parse(fs.readFileSync(file, 'utf8')).checkFeatureSet(installed));
    t.is(error.code, 'PCMK_FEATURE_SET');
    const before = fs.readFileSync(file, 'utf8');
    const ours = spawnSync(process.execPath, [path.join(__dirname, '../../../bin/hakit.js'), 'pcs', '-f', file, 'resource', 'create', 'a', 'ocf:pacemaker:Dummy'], { encoding: 'utf8' });
    t.is(ours.status, 1);
    t.regex(ours.stderr, /newer than the installed Pacemaker supports.*\[PCMK_FEATURE_SET\]/);
    t.is(fs.readFileSync(file, 'utf8'), before, 'the file is left untouched');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

need('hakit pcs -f on a file, then crm_verify through hakit pcs verify; an unknown agent is refused by name', async (t) => {
  const { spawnSync } = require('child_process');
  const path = require('path');
  const hakit = (...args) => spawnSync(process.execPath, [path.join(__dirname, '../../../bin/hakit.js'), 'pcs', ...args], { encoding: 'utf8' });
  const dir = tempDir();
  try {
    const file = emptyCibFile(dir, ['n1', 'n2']);
    t.is(hakit('-f', file, 'property', 'set', 'stonith-enabled=false').status, 0);
    t.is(hakit('-f', file, 'resource', 'create', 'web', 'ocf:pacemaker:Dummy', '--no-default-ops').status, 0);
    const unknown = hakit('-f', file, 'resource', 'create', 'x', 'ocf:heartbeat:NoSuchAgent');
    t.is(unknown.status, 1);
    t.regex(unknown.stderr, /NoSuchAgent.*\[PCMK_UNKNOWN_AGENT\]/);
    const badScore = hakit('-f', file, 'constraint', 'location', 'web', 'prefers', 'n1=lots');
    t.is(badScore.status, 1);
    t.regex(badScore.stderr, /invalid score 'lots'.*\[PCMK_BAD_SCORE\]/);
    const verify = hakit('-f', file, 'verify');
    t.is(verify.status, 0, verify.stdout);
    t.regex(verify.stdout, /^valid$/m);
    // The file hakit wrote is one the real tools accept and read back the same.
    t.is(spawnSync('crm_verify', ['-x', file]).status, 0);
    const sim = JSON.parse(hakit('-f', file, 'simulate', '--node-up', 'n1', '--node-up', 'n2', '--json').stdout);
    t.is(sim.placement.web.length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
