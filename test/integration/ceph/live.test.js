'use strict';
// Ceph for real: one monitor + three memstore OSDs started by hand, cephx on with keyrings made
// by hakit. Pools are created through hakit, and hakit's local placement must equal what the
// cluster says (`ceph osd map` per object, osdmaptool's dump of every PG of the same osdmap
// epoch) before and after an upmap item and a primary affinity are set, an OSD is marked out,
// and an OSD dies and is marked down.
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { needs, requires } = require('../../helpers/env');
const lab = require('../../labs/ceph/cluster');
const { ceph, crush } = require('../../..');

const reqs = [
  requires.root,
  { what: 'ceph-mon, ceph-osd, ceph, monmaptool, osdmaptool (apt-get install ceph-mon ceph-osd ceph-common)', ok: lab.available },
  { what: 'python3-rados (apt-get install python3-rados)', ok: lab.radosAvailable },
];
const NONE = 2147483647;

// osdmaptool --test-map-pgs-dump: "1.1f\t[0,2]\t0" per PG (acting set and acting primary).
function osdmaptoolDump(osdmap, poolId) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-osdmaptool-'));
  try {
    fs.writeFileSync(path.join(dir, 'map'), osdmap);
    const out = execFileSync('osdmaptool', [path.join(dir, 'map'), '--test-map-pgs-dump', '--pool', String(poolId)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const rows = new Map();
    for (const line of out.split('\n')) {
      const m = /^(\d+\.[0-9a-f]+)\t\[([^\]]*)\]\t(-?\d+)$/.exec(line.trim());
      if (m) rows.set(m[1], { acting: m[2] === '' ? [] : m[2].split(',').map(Number), primary: Number(m[3]) });
    }
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

needs(test, reqs)('pools through hakit; local placement equals ceph osd map and osdmaptool through out, upmap, affinity and down', async (t) => {
  const cluster = await lab.startCluster({ osds: 3 });
  t.teardown(() => lab.stopCluster(cluster));
  const c = cluster.client;

  // cephx accepted hakit's keys: the admin key is the one hakit wrote.
  const admin = await c.authGet('client.admin');
  t.is(admin.key, ceph.parseKeyring(fs.readFileSync(path.join(cluster.dir, 'client.admin.keyring'), 'utf8'))[0].key);
  const app = await c.authGetOrCreate('client.app', { mon: 'allow r', osd: 'allow rw pool=rep' });
  t.notThrows(() => ceph.parseKey(app.key));
  t.deepEqual(app.caps, { mon: 'allow r', osd: 'allow rw pool=rep' });

  await c.setRequireMinCompatClient('luminous');
  await c.poolCreate('rep', { pgNum: 32, pgpNum: 32, size: 2, application: 'rados' });
  await c.ecProfileSet('k2m1', { k: 2, m: 1, plugin: 'jerasure', technique: 'reed_sol_van', failureDomain: 'osd' });
  t.like(await c.ecProfileGet('k2m1'), { k: '2', m: '1', plugin: 'jerasure', technique: 'reed_sol_van', 'crush-failure-domain': 'osd' });
  await c.poolCreate('ecp', { type: 'erasure', erasureProfile: 'k2m1', pgNum: 16, pgpNum: 16 });
  const ecp = await c.poolGet('ecp');
  t.is(ecp.erasure_code_profile, 'k2m1');
  t.is(ecp.size, 3);
  t.is((await c.poolGet('rep')).size, 2);
  const error = await t.throwsAsync(c.poolCreate('bad', { type: 'erasure', erasureProfile: 'nosuchprofile', pgNum: 8 }));
  t.true(error.code.startsWith('CEPH_E'), error.code);

  const objects = Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? `rbd_data.${(i * 7919).toString(16)}` : i % 3 === 1 ? `ünï-${i}` : `obj-${i}-${'x'.repeat(i % 40)}`));
  let checkedObjects = 0;
  let checkedPgs = 0;
  let sawPgTemp = false;
  // The OSDs change the map on their own (pg_temp while peering): compare one epoch at a time,
  // again if ceph answered from a newer one.
  async function compare(label) {
    for (let attempt = 1; ; attempt++) {
      await settle();
      const result = await compareOnce(label);
      if (result) return result;
      if (attempt === 6) throw new Error(`${label}: the osdmap kept changing`);
    }
  }
  async function settle() {
    let last = -1;
    let stable = 0;
    while (stable < 2) {
      const { epoch } = await c.osdDump();
      stable = epoch === last ? stable + 1 : 0;
      last = epoch;
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }
  async function compareOnce(label) {
    const dump = await c.osdDump();
    const placement = new ceph.ClusterPlacement(dump, await c.getCrushMap());
    const osdmap = await c.getOsdMap(dump.epoch);
    try {
      for (const pool of [...placement.pools.values()].map((p) => p.name)) {
        const view = placement.pool(pool);
        const expected = osdmaptoolDump(osdmap, view.id);
        if (dump.pg_temp && dump.pg_temp.length) sawPgTemp = true;
        t.is(expected.size, view.pgNum, `${label}: osdmaptool listed every PG of ${pool}`);
        for (const pg of placement.pgs(pool)) {
          t.deepEqual([pg.acting, pg.actingPrimary], [expected.get(pg.pgid).acting, expected.get(pg.pgid).primary], `${label}: ${pg.pgid}`);
          checkedPgs++;
        }
        const batch = placement.objects(pool, objects);
        // One object through hakit's own `ceph osd map` wrapper, the rest over one librados session.
        const real = await c.osdMap(pool, objects[0]);
        if (real.epoch !== dump.epoch) return undefined;
        const answers = lab.monCommands(cluster, objects.map((object) => ({ prefix: 'osd map', pool, object, format: 'json' })));
        for (const [i, name] of objects.entries()) {
          const answer = answers[i];
          t.is(answer.ret, 0, answer.err);
          const r = answer.out;
          if (r.epoch !== dump.epoch) return undefined;
          const mine = placement.object(pool, name);
          t.deepEqual(
            [mine.rawPgid, mine.pgid, mine.up, mine.upPrimary, mine.acting, mine.actingPrimary],
            [r.raw_pgid, r.pgid, r.up, r.up_primary, r.acting, r.acting_primary],
            `${label}: ${pool}/${name} (epoch ${dump.epoch})`,
          );
          t.deepEqual(batch.get(i), placement.pg(mine.pgid));
          checkedObjects++;
        }
        t.deepEqual([real.pgid, real.up, real.acting], [placement.object(pool, objects[0]).pgid, batch.get(0).up, batch.get(0).acting]);
      }
      return placement;
    } finally {
      placement.close();
    }
  }

  await compare('initial');

  // CRUSH management through hakit: a new host bucket, an OSD moved under it and reweighted, a
  // device class, replicated and EC rules; the map the cluster ends with must decode with
  // hakit's crush codec and placement on the new rules must still equal the cluster's.
  await c.crushAddBucket('h2', 'host');
  await c.crushMove('h2', { root: 'default' });
  await c.crushSetOsd(2, 0.0004, { host: 'h2', root: 'default' });
  await c.crushReweight('osd.1', 0.0003);
  await c.removeDeviceClass([2]);
  await c.setDeviceClass('ssd', [2]);
  await c.ruleCreateReplicated('hddonly', 'default', 'osd', 'hdd');
  await c.ecProfileSet('k2m1ssd', { k: 2, m: 1, failureDomain: 'osd', deviceClass: 'hdd' });
  await c.ruleCreateErasure('ecrule', 'k2m1ssd');
  await c.crushAddBucket('empty', 'host');
  await c.crushRemove('empty');
  await c.poolCreate('hddpool', { pgNum: 16, pgpNum: 16, rule: 'hddonly', size: 2 });
  t.true((await c.ruleList()).includes('ecrule'));
  const map = crush.parseMap(await c.getCrushMap());
  const idOf = (name) => [...map.names].find(([, n]) => n === name)?.[0];
  const h2 = map.buckets[-1 - idOf('h2')];
  t.deepEqual(h2.items, [2]);
  t.is(idOf('empty'), undefined);
  t.true([...map.classNames.values()].includes('ssd'));
  t.truthy(idOf('default~hdd'), 'the hdd shadow tree exists');
  t.truthy([...map.ruleNames.values()].includes('hddonly'));
  const initial = await compare('crush edited');
  t.false(initial.pgs('hddpool').some((p) => p.up.includes(2)), 'the hdd rule never picks the ssd OSD');
  // An upmap item moving one copy of a PG to the OSD CRUSH did not pick, and a primary affinity.
  const pg = initial.pgs('rep').find((p) => p.up.length === 2);
  const spare = cluster.osdIds.find((o) => !pg.up.includes(o));
  await c.pgUpmapItems(pg.pgid, [[pg.up[1], spare]]);
  await c.osdPrimaryAffinity(0, 0.25);
  const moved = await compare('upmap + affinity');
  t.true(moved.pg(pg.pgid).up.includes(spare), 'the upmap took effect');
  t.true(moved.pgs('rep').some((p) => p.up.includes(0) && p.upPrimary !== 0), 'affinity moved some primaries off osd.0');

  await c.osdOut(1);
  const out = await compare('osd.1 out');
  t.false(out.pgs('rep').some((p) => p.up.includes(1)));

  lab.killDaemon(cluster, 'osd.2');
  await c.osdDown(2);
  const down = await compare('osd.2 down');
  t.true(down.pgs('ecp').some((p) => p.up.includes(NONE)));
  // The `hakit ceph map` command answers like `ceph osd map` (JSON lines), from the same cluster.
  await settle();
  const cli = execFileSync(process.execPath, [path.join(__dirname, '..', '..', '..', 'bin', 'hakit.js'), 'ceph', 'map', '-c', cluster.conf, '-k', path.join(cluster.dir, 'client.admin.keyring'), '--json', 'ecp', ...objects.slice(0, 20)], { encoding: 'utf8' });
  const lines = cli.trim().split('\n').map((l) => JSON.parse(l));
  t.is(lines.length, 20);
  const answers = lab.monCommands(cluster, objects.slice(0, 20).map((object) => ({ prefix: 'osd map', pool: 'ecp', object, format: 'json' })));
  if (answers.every((a) => a.out.epoch === lines[0].epoch)) t.deepEqual(lines, answers.map((a) => a.out));
  t.true(checkedObjects >= 1500 && checkedPgs >= 240);
  t.log(`checked ${checkedObjects} objects and ${checkedPgs} PGs; pg_temp seen: ${sawPgTemp}`);
});
