'use strict';
const test = require('ava');
const path = require('path');
const { ceph } = require('../../..');

// A live cluster's `ceph osd dump -f json` (trimmed), its crush map, and what `ceph osd map` /
// `ceph pg map` answered (ceph 16.2.15; osd.1 out, osd.0 primary affinity 0.3, an upmap item,
// two erasure-coded pools). See docs/ceph.md.
const fixture = require(path.join(__dirname, '..', '..', 'fixtures', 'ceph', 'cluster-a.json'));
const crush = Buffer.from(fixture.crush, 'base64');
const NONE = 2147483647;

function placement(edit) {
  const dump = JSON.parse(JSON.stringify(fixture.dump));
  if (edit) edit(dump);
  return new ceph.ClusterPlacement(dump, crush);
}

test('every object equals `ceph osd map` (replicated and EC pools, namespace, affinity, out OSD)', (t) => {
  const p = placement();
  t.is(fixture.objects.length, 61);
  for (const [pool, name, rawPgid, pgid, up, upPrimary, acting, actingPrimary, ns] of fixture.objects) {
    const m = p.object(pool, name, ns);
    t.deepEqual([m.rawPgid, m.pgid, m.up, m.upPrimary, m.acting, m.actingPrimary], [rawPgid, pgid, up, upPrimary, acting, actingPrimary], `${pool}/${name}`);
  }
  t.true(fixture.objects.some((o) => o[4].includes(NONE)), 'an EC mapping with a hole is covered');
  p.close();
});

test('every PG equals `ceph pg map`, including the upmapped one', (t) => {
  const p = placement();
  for (const [pgid, up, acting] of fixture.pgs) {
    const m = p.pg(pgid);
    t.deepEqual([m.up, m.acting], [up, acting], pgid);
  }
  t.deepEqual(p.pg('1.3').up, [2, 0]);
});

test('pg_upmap_items replace the named OSD in place when the target is in and not already used', (t) => {
  // osd.1 back in and no primary affinity, so up is the upmapped CRUSH result itself.
  const withIn = (d) => {
    d.osds.find((o) => o.osd === 1).weight = 1;
    d.osds.find((o) => o.osd === 0).primary_affinity = 1;
  };
  const base = placement(withIn);
  const changed = [];
  const p = placement((d) => {
    withIn(d);
    d.pg_upmap_items = [];
    for (const m of base.pgs('p')) {
      if (!m.up.includes(1)) {
        d.pg_upmap_items.push({ pgid: m.pgid, mappings: [{ from: m.up[1], to: 1 }] });
        changed.push(m);
      }
    }
  });
  t.true(changed.length > 0);
  for (const m of changed) t.deepEqual(p.pg(m.pgid).up, [m.up[0], 1]);
  // Bidirectional swaps are not supported by Ceph either: [[a,b],[b,a]] keeps b where a was.
  const swap = placement((d) => {
    withIn(d);
    const m = changed[0];
    d.pg_upmap_items = [{ pgid: m.pgid, mappings: [{ from: m.up[0], to: m.up[1] }, { from: m.up[1], to: m.up[0] }] }];
  });
  t.deepEqual(swap.pg(changed[0].pgid).up, changed[0].up);
});

test('a batch of 100,000 objects matches one-by-one placement', (t) => {
  const p = placement();
  const names = Array.from({ length: 100000 }, (_, i) => `rbd_data.${i.toString(16)}`);
  const batch = p.objects('p', names);
  t.is(batch.length, names.length);
  for (let i = 0; i < names.length; i += 997) t.deepEqual(batch.get(i), p.pg(p.object('p', names[i]).pgid));
  const counts = batch.primaryCounts();
  t.is([...counts.values()].reduce((a, b) => a + b, 0), names.length);
  t.false(counts.has(1), 'osd.1 is out: it is no primary');
});

test('pg_temp and primary_temp override acting, not up', (t) => {
  const base = placement();
  const p = placement((d) => {
    d.pg_temp = [{ pgid: '1.5', osds: [2, 1] }];
    d.primary_temp = [{ pgid: '1.6', osd: 2 }];
  });
  t.deepEqual(p.pg('1.5').up, base.pg('1.5').up);
  t.deepEqual(p.pg('1.5').acting, [2, 1]);
  t.is(p.pg('1.5').actingPrimary, 2);
  t.deepEqual(p.pg('1.6').acting, base.pg('1.6').acting);
  t.is(p.pg('1.6').actingPrimary, 2);
});

test('down OSDs leave up sets (replicated: shifted out; EC: a hole) and pg_temp', (t) => {
  const p = placement((d) => {
    d.osds.find((o) => o.osd === 2).up = 0;
    d.osds.find((o) => o.osd === 2).state = ['exists'];
    d.pg_temp = [{ pgid: '1.5', osds: [2, 0] }];
  });
  for (const m of p.pgs('p')) {
    t.false(m.up.includes(2));
    t.true(m.raw.includes(2) || m.up.length === m.raw.length);
  }
  t.deepEqual(p.pg('1.5').acting, [0]);
  const ec = p.pgs('ec2');
  t.true(ec.some((m) => m.raw.includes(2) && m.up.includes(NONE) && m.up.length === m.raw.length));
});

test('pg_upmap is ignored when it names an out OSD; upmap items never target out OSDs', (t) => {
  const base = placement();
  const target = base.pg('1.8');
  const p = placement((d) => {
    d.pg_upmap = [{ pgid: '1.8', osds: [2, 0] }, { pgid: '1.9', osds: [1, 0] }];
    d.pg_upmap_items = [{ pgid: '1.a', mappings: [{ from: base.pg('1.a').up[0], to: 1 }] }];
  });
  t.deepEqual(p.pg('1.8').up.slice().sort(), [0, 2]);
  t.deepEqual(p.pg('1.9').up, base.pg('1.9').up);
  t.deepEqual(p.pg('1.a').up, base.pg('1.a').up);
  t.truthy(target);
});

test('primary affinity 0 never leads; affinity moves the primary to the front', (t) => {
  const p = placement((d) => {
    d.osds.find((o) => o.osd === 0).primary_affinity = 0;
  });
  for (const m of p.pgs('p')) {
    if (m.up.length > 1) t.not(m.upPrimary, 0);
    t.is(m.up[0], m.upPrimary);
  }
});

test('malformed osd dumps and unknown pools are typed errors', (t) => {
  t.is(t.throws(() => new ceph.ClusterPlacement({}, crush)).code, 'CEPH_BAD_OSDMAP');
  t.is(t.throws(() => placement((d) => (d.osds[0].osd = 99))).code, 'CEPH_BAD_OSDMAP');
  t.is(t.throws(() => placement((d) => (d.pg_temp = [{ pgid: 'x', osds: [] }]))).code, 'CEPH_BAD_OSDMAP');
  t.is(t.throws(() => placement((d) => (d.osds[0].weight = 'heavy'))).code, 'CEPH_BAD_OSDMAP');
  t.is(t.throws(() => placement().object('nosuch', 'x')).code, 'CEPH_ENOENT');
  t.is(t.throws(() => placement().pg('1')).code, 'ERR_INVALID_ARG');
  t.throws(() => new ceph.ClusterPlacement(fixture.dump, Buffer.from('garbage')));
});
