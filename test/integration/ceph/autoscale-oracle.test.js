'use strict';
// hakit's PG count planning against Ceph's own pg_autoscaler code (module.py from
// ceph-mgr-modules-core, run outside ceph-mgr with its inputs fed from the same scenario).
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { needs } = require('../../helpers/env');
const { ceph } = require('../../..');

const MODULE = '/usr/share/ceph/mgr/pg_autoscaler/module.py';
const reqs = [{ what: `${MODULE} (apt-get install ceph-mgr-modules-core)`, ok: () => fs.existsSync(MODULE) }];

// A deterministic PRNG so failures reproduce.
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function scenario(seed) {
  const r = rng(seed);
  const pick = (list) => list[Math.floor(r() * list.length)];
  const osdCount = 3 + Math.floor(r() * 60);
  const osdCapacityBytes = {};
  for (let o = 0; o < osdCount; o++) osdCapacityBytes[o] = 1024 * Math.floor((1 + r() * 16) * 2 ** 30 / 1024) * pick([1, 1, 4, 16]);
  // Two roots, sometimes overlapping (then their pools are skipped by both).
  const split = Math.floor(osdCount / 2);
  const all = Object.keys(osdCapacityBytes).map(Number);
  const rootOsds = { 1: all.slice(0, split + (r() < 0.15 ? 2 : 0)), 2: all.slice(split), 3: all };
  const roots = r() < 0.7 ? [3] : [1, 2];
  const pools = [];
  const count = 1 + Math.floor(r() * 9);
  for (let i = 0; i < count; i++) {
    const erasure = r() < 0.3;
    const k = 2 + Math.floor(r() * 6);
    const m = 1 + Math.floor(r() * 3);
    const size = erasure ? k + m : pick([2, 3, 3, 4]);
    const capacity = Object.values(osdCapacityBytes).reduce((a, b) => a + b, 0);
    const pool = {
      id: i + 1,
      name: `pool-${i}`,
      size,
      rawUsedRate: erasure ? (k + m) / k : size,
      root: pick(roots),
      pgNumTarget: pick([1, 8, 32, 64, 128, 256, 1024]),
      storedBytes: r() < 0.3 ? 0 : Math.floor((r() * capacity) / (size * count)),
    };
    if (r() < 0.4) pool.targetSizeRatio = pick([0.05, 0.1, 0.2, 0.5, 1, 3]);
    if (r() < 0.25) pool.targetSizeBytes = Math.floor(r() * capacity * 0.3);
    if (r() < 0.2) pool.bias = pick([1, 2, 4]);
    if (r() < 0.2) pool.pgNumMin = pick([1, 8, 16, 64]);
    if (r() < 0.15) pool.pgNumMax = pick([16, 64, 512]);
    if (r() < 0.35) pool.bulk = true;
    if (r() < 0.15) pool.autoscaleMode = pick(['off', 'warn']);
    pools.push(pool);
  }
  return { pools, rootOsds, osdCapacityBytes, targetPgPerOsd: pick([100, 100, 200, 50]), threshold: pick([3.0, 3.0, 2.0]) };
}

const FIELDS = {
  poolId: 'pool_id', poolName: 'pool_name', crushRootId: 'crush_root_id', pgAutoscaleMode: 'pg_autoscale_mode', pgNumTarget: 'pg_num_target',
  logicalUsed: 'logical_used', targetBytes: 'target_bytes', rawUsedRate: 'raw_used_rate', subtreeCapacity: 'subtree_capacity',
  actualRawUsed: 'actual_raw_used', rawUsed: 'raw_used', actualCapacityRatio: 'actual_capacity_ratio', capacityRatio: 'capacity_ratio',
  targetRatio: 'target_ratio', effectiveTargetRatio: 'effective_target_ratio', pgNumIdeal: 'pg_num_ideal', pgNumFinal: 'pg_num_final',
  wouldAdjust: 'would_adjust', bias: 'bias', bulk: 'bulk',
};

needs(test, reqs)('planPgCounts equals Ceph 16.2 pg_autoscaler on 400 random clusters', (t) => {
  const scenarios = Array.from({ length: 400 }, (_, i) => scenario(i + 1));
  const oracle = JSON.parse(
    execFileSync('/usr/bin/python3', [path.join(__dirname, '..', '..', 'labs', 'ceph', 'autoscaler_oracle.py')], { input: JSON.stringify(scenarios), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }),
  );
  let pools = 0;
  let adjusted = 0;
  scenarios.forEach((s, i) => {
    const mine = ceph.planPgCounts(s).map((row) => Object.fromEntries(Object.entries(FIELDS).map(([camel, snake]) => [snake, row[camel]])));
    t.deepEqual(mine, oracle[i], `scenario ${i + 1}`);
    pools += mine.length;
    adjusted += mine.filter((row) => row.would_adjust).length;
  });
  t.true(pools > 1000 && adjusted > 100, `${pools} pools, ${adjusted} adjusted`);
});
