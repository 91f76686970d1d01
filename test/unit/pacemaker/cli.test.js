'use strict';
// `hakit pcs -f` and `hakit ocf run` as processes (no cluster, no pcs needed: agents that need
// no meta-data, and a fixture OCF agent).
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { root } = require('../../helpers/env');
const { pacemaker: P } = require('../../..');

const hakit = (...args) => spawnSync(process.execPath, [path.join(root, 'bin', 'hakit.js'), ...args], { encoding: 'utf8' });

test('hakit pcs -f edits a CIB file, bumps its epoch, and reports typed errors with exit 1', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-cli-pcs-'));
  const file = path.join(dir, 'cib.xml');
  try {
    const cib = P.Cib.empty();
    P.nodeAdd(cib, '1', 'n1');
    fs.writeFileSync(file, cib.toXml());
    let r = hakit('pcs', '-f', file, 'resource', 'create', 'www', 'systemd:nginx', 'meta', 'resource-stickiness=10');
    t.is(r.status, 0, r.stderr);
    t.regex(r.stderr, /created www/);
    r = hakit('pcs', '-f', file, 'constraint', 'location', 'www', 'prefers', 'n1=20');
    t.is(r.status, 0, r.stderr);
    const m = P.Cib.parse(fs.readFileSync(file, 'utf8')).model();
    t.is(m.version.epoch, 3);
    t.like(m.resources[0], { id: 'www', agentName: 'systemd:nginx', meta: { 'resource-stickiness': '10' } });
    t.is(m.constraints[0].id, 'location-www-n1-20');
    r = hakit('pcs', '-f', file, 'constraint', 'order', 'www', 'then', 'www');
    t.is(r.status, 1);
    t.regex(r.stderr, /\[PCMK_CONSTRAINT_CYCLE\]/);
    t.is(hakit('pcs', '-f', path.join(dir, 'missing.xml'), 'property', 'set', 'stonith-enabled=false').status, 1);
    fs.writeFileSync(path.join(dir, 'bad.xml'), '<cib><configuration></cib>');
    r = hakit('pcs', '-f', path.join(dir, 'bad.xml'), 'property', 'set', 'stonith-enabled=false');
    t.is(r.status, 1);
    t.regex(r.stderr, /does not match <configuration>.*\[PCMK_XML_PARSE\]/);
    t.is(hakit('pcs', '-f').status, 2);
    t.is(hakit('pcs').status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('hakit ocf run exits with the agent code and names its meaning', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-cli-ocf-'));
  try {
    fs.mkdirSync(path.join(dir, 'resource.d', 'test'), { recursive: true });
    fs.copyFileSync(path.join(root, 'test/fixtures/pacemaker/agent-fixture.sh'), path.join(dir, 'resource.d', 'test', 'fixture'));
    fs.chmodSync(path.join(dir, 'resource.d', 'test', 'fixture'), 0o755);
    const state = `state=${path.join(dir, 'st')}`;
    let r = hakit('ocf', 'run', 'ocf:test:fixture', 'monitor', state, '--ocf-root', dir);
    t.is(r.status, 7);
    t.regex(r.stderr, /OCF_NOT_RUNNING/);
    t.is(hakit('ocf', 'run', 'ocf:test:fixture', 'start', state, '--ocf-root', dir).status, 0);
    t.is(hakit('ocf', 'run', 'ocf:test:fixture', 'monitor', state, '--ocf-root', dir).status, 0);
    r = hakit('ocf', 'run', 'ocf:test:fixture', 'promote', '--ocf-root', dir);
    t.is(r.status, 9);
    t.regex(r.stderr, /OCF_FAILED_PROMOTED.*cannot promote here/);
    r = hakit('ocf', 'meta-data', 'ocf:test:fixture', '--ocf-root', dir);
    t.is(JSON.parse(r.stdout).name, 'fixture');
    t.is(hakit('ocf', 'run', 'ocf:test:nope', 'start', '--ocf-root', dir).status, 1);
    t.is(hakit('ocf', 'frob').status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
