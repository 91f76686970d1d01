'use strict';
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { root } = require('../../helpers/env');
const { ceph } = require('../../..');

const bin = path.join(root, 'bin', 'hakit.js');
const hakit = (...args) => spawnSync(process.execPath, [bin, 'ceph', ...args], { encoding: 'utf8' });

test('hakit ceph keyring writes a keyring hakit (and ceph-authtool) can read', (t) => {
  const r = hakit('keyring', '--gen-key', '-n', 'client.app', '--cap', 'osd', 'allow rw pool=data', '--cap', 'mon', 'allow r');
  t.is(r.status, 0, r.stderr);
  const [entry] = ceph.parseKeyring(r.stdout);
  t.is(entry.entity, 'client.app');
  t.deepEqual(entry.caps, { mon: 'allow r', osd: 'allow rw pool=data' });
  t.is(hakit('keyring', '-n', 'client.app').status, 2);
});

test('hakit ceph pgcalc prints the autoscaler plan', (t) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-pgcalc-')), 'in.json');
  fs.writeFileSync(file, JSON.stringify({
    pools: [{ id: 1, name: 'rbd', size: 3, rawUsedRate: 3, root: -1, pgNumTarget: 32, targetSizeRatio: 1 }],
    rootOsds: { '-1': [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
    osdCapacityBytes: Object.fromEntries([...Array(10).keys()].map((o) => [o, 2 ** 40])),
  }));
  const r = hakit('pgcalc', file);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^rbd\t32\t256\t/m);
  fs.rmSync(path.dirname(file), { recursive: true });
  t.is(hakit('pgcalc', '/nonexistent.json').status, 2);
});

test('hakit ceph map without a reachable cluster fails with a typed error', (t) => {
  const r = hakit('map', '-c', '/nonexistent/ceph.conf', 'p', 'obj');
  t.is(r.status, 1);
  t.regex(r.stderr, /CEPH_/);
  t.is(hakit('map').status, 2);
});
