'use strict';
const test = require('ava');
const path = require('path');
const { spawnSync } = require('child_process');
const { root } = require('../../helpers/env');

const bin = path.join(root, 'bin', 'hakit.js');
const hakit = (...args) => spawnSync(process.execPath, [bin, 'gluster', ...args], { encoding: 'utf8' });
const fixtureXattrs = [
  'v0-client-0=0x0000000100000000000000003ffffffe',
  'v0-client-1=0x00000001000000003fffffff7ffffffd',
  'v0-client-2=0x00000001000000007ffffffebffffffc',
  'v0-client-3=0x0000000100000000bffffffdffffffff',
].flatMap((x) => ['--xattr', x]);

test('hakit gluster hash prints libglusterfs values and munges rsync names', (t) => {
  const r = hakit('hash', 'file1', 'a', '.hello.txt.AbC123');
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'a787fa82  file1\n3a17e4e6  a\ne68d61cc  .hello.txt.AbC123\n');
  t.regex(hakit('hash', '--raw', '.hello.txt.AbC123').stdout, /^(?!e68d61cc)[0-9a-f]{8} {2}/);
});

test('hakit gluster layout reproduces the fixture volume root', (t) => {
  const r = hakit('layout', '--volume', 'v0', '--count', '4');
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n').map((l) => l.split('\t')[2]), fixtureXattrs.filter((_, i) => i % 2).map((x) => x.split('=')[1]));
});

test('hakit gluster locate and plan', (t) => {
  const r = hakit('locate', ...fixtureXattrs, 'file1', 'report3');
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'v0-client-2\tfile1\nv0-client-0\treport3\n');
  const plan = hakit('plan', ...fixtureXattrs, '--add', 'v0-client-4', '--json', 'file1', 'report3', 'file4');
  t.is(plan.status, 0, plan.stderr);
  const parsed = JSON.parse(plan.stdout);
  t.is(parsed.totalFiles, 3);
  t.is(parsed.layout.entries.length, 5);
});

test('usage errors exit 2, bad input exits 1', (t) => {
  t.is(hakit().status, 2);
  t.is(hakit('hash').status, 2);
  t.is(hakit('locate', 'x').status, 2);
  t.is(hakit('layout').status, 2);
  const bad = hakit('locate', '--xattr', 'v0-client-0=0x1234', 'x');
  t.is(bad.status, 1);
  t.regex(bad.stderr, /GLUSTER_BAD_LAYOUT/);
  t.is(hakit('hash', '--extra-regex', '(', 'x').status, 1);
});
