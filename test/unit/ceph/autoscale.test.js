'use strict';
const test = require('ava');
const { ceph } = require('../../..');

test('nearestPowerOfTwo follows module.py (ties round up)', (t) => {
  t.deepEqual([0.4, 1, 3, 5, 6, 12, 24, 100, 192, 1000].map(ceph.nearestPowerOfTwo), [0, 1, 4, 4, 8, 16, 32, 128, 256, 1024]);
});

const osds = (n, bytes) => Object.fromEntries(Array.from({ length: n }, (_, i) => [i, bytes]));

test('one pool with a target ratio of 1 gets the whole PG budget of its root', (t) => {
  // 10 OSDs * 100 PGs = 1000 raw PGs; size 3 -> 333 -> 256.
  const [row] = ceph.planPgCounts({
    pools: [{ id: 1, name: 'rbd', size: 3, rawUsedRate: 3, root: -1, pgNumTarget: 32, targetSizeRatio: 1 }],
    rootOsds: { '-1': [...Array(10).keys()] },
    osdCapacityBytes: osds(10, 1 << 30),
  });
  t.is(row.pgNumFinal, 256);
  t.is(row.pgNumIdeal, 333);
  t.true(row.wouldAdjust);
});

test('target ratios are normalised across a root; empty pools keep the minimum; bulk pools share the rest', (t) => {
  const rows = ceph.planPgCounts({
    pools: [
      { id: 1, name: 'a', size: 3, rawUsedRate: 3, root: -1, pgNumTarget: 32, targetSizeRatio: 3 },
      { id: 2, name: 'b', size: 3, rawUsedRate: 3, root: -1, pgNumTarget: 32, targetSizeRatio: 1 },
      { id: 3, name: 'idle', size: 2, rawUsedRate: 2, root: -1, pgNumTarget: 32 },
      { id: 4, name: 'big', size: 6, rawUsedRate: 1.5, root: -1, pgNumTarget: 32, bulk: true },
    ],
    rootOsds: { '-1': [...Array(30).keys()] },
    osdCapacityBytes: osds(30, 4 * 2 ** 30),
  });
  const by = Object.fromEntries(rows.map((r) => [r.poolName, r]));
  t.is(by.a.effectiveTargetRatio, 0.75);
  t.is(by.b.effectiveTargetRatio, 0.25);
  t.is(by.idle.pgNumFinal, ceph.PG_NUM_MIN);
  t.false(by.idle.wouldAdjust);
  // a: 0.75 * 3000 / 3 = 750 -> 512; b: 0.25 * 750 left / 3 = 62.5 -> 64; big: the rest / 6.
  t.is(by.a.pgNumFinal, 512);
  t.is(by.b.pgNumFinal, 64);
  t.is(rows[rows.length - 1].poolName, 'big');
  t.true(by.big.bulk);
});

test('pools on overlapping roots are left alone, as the autoscaler does', (t) => {
  const rows = ceph.planPgCounts({
    pools: [
      { id: 1, name: 'x', size: 3, rawUsedRate: 3, root: -1, pgNumTarget: 32, targetSizeRatio: 0.5 },
      { id: 2, name: 'y', size: 3, rawUsedRate: 3, root: -2, pgNumTarget: 32, targetSizeRatio: 0.5 },
    ],
    rootOsds: { '-1': [0, 1, 2], '-2': [2, 3, 4] },
    osdCapacityBytes: osds(5, 1 << 30),
  });
  t.deepEqual(rows, []);
});

test('EC raw-used rate and pg_num_max; bad input is an ArgumentError', (t) => {
  const pools = ceph.autoscalePoolsFromDump(
    {
      pools: [{ pool: 5, pool_name: 'ec', type: 3, size: 6, crush_rule: 1, pg_num: 8, pg_num_target: 8, erasure_code_profile: 'k4m2', flags_names: 'hashpspool,bulk', pg_autoscale_mode: 'on', options: { pg_num_max: 128 } }],
      erasure_code_profiles: { k4m2: { k: '4', m: '2' } },
    },
    () => -1,
  );
  t.is(pools[0].rawUsedRate, 1.5);
  t.true(pools[0].bulk);
  const [row] = ceph.planPgCounts({ pools, rootOsds: { '-1': [...Array(20).keys()] }, osdCapacityBytes: osds(20, 1 << 30) });
  t.is(row.pgNumFinal, 128);
  t.is(t.throws(() => ceph.planPgCounts({ pools: [{ ...pools[0], root: 7 }], rootOsds: {}, osdCapacityBytes: {} })).code, 'ERR_INVALID_ARG');
  t.is(t.throws(() => ceph.planPgCounts({ pools, rootOsds: { '-1': [] }, osdCapacityBytes: {}, threshold: 1 })).code, 'ERR_INVALID_ARG');
});
