'use strict';
// Local placement for a whole cluster against the real tools, offline: a 64-OSD osdmap made by
// osdmaptool (--createsimple, all OSDs up and in), then
//   * every PG of the pool: hakit ClusterPlacement.pgs() vs `osdmaptool --test-map-pgs-dump`
//     (the same answers are checked, then the time of each is compared);
//   * objects: hakit objects() for a million names in one call vs `osdmaptool --test-map-object`
//     (one process per object, as `ceph osd map` is one command per object).
// Usage: node bench/ceph/placement.js [OBJECTS]   (needs osdmaptool from ceph-base)
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { ceph } = require('../..');

const objectCount = Number(process.argv[2] || 1000000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-bench-ceph-'));
const map = path.join(dir, 'osdmap');
const tool = (...args) => execFileSync('osdmaptool', [map, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024 });
execFileSync('osdmaptool', ['--createsimple', '64', '--with-default-pool', '--pg-bits', '6', '--pgp-bits', '6', map], { stdio: 'ignore' });
tool('--export-crush', path.join(dir, 'crush'));
const dump = JSON.parse(tool('--dump', 'json'));
// --createsimple leaves the OSDs non-existent; osdmaptool's --mark-up-in (used below) makes them
// exist, up and in, so the dump is given the same state.
dump.osds = Array.from({ length: dump.max_osd }, (_, osd) => ({ osd, up: 1, in: 1, weight: 1, primary_affinity: 1, state: ['exists', 'up'] }));
const crushMap = fs.readFileSync(path.join(dir, 'crush'));
const pool = dump.pools[0];

const seconds = (fn) => {
  const t = process.hrtime.bigint();
  const value = fn();
  return [Number(process.hrtime.bigint() - t) / 1e9, value];
};

// Every PG.
const [toolPgs, text] = seconds(() => tool('--mark-up-in', '--test-map-pgs-dump', '--pool', String(pool.pool)));
const expected = new Map();
for (const line of text.split('\n')) {
  const m = /^(\d+\.[0-9a-f]+)\t\[([^\]]*)\]\t(-?\d+)$/.exec(line.trim());
  if (m) expected.set(m[1], m[2]);
}
const [hakitPgs, pgs] = seconds(() => new ceph.ClusterPlacement(dump, crushMap).pgs(pool.pool));
let mismatches = 0;
for (const pg of pgs) if (expected.get(pg.pgid) !== pg.acting.join(',')) mismatches++;

// Objects.
const names = Array.from({ length: objectCount }, (_, i) => `rbd_data.${(i * 2654435761 >>> 0).toString(16)}.${i.toString(16).padStart(16, '0')}`);
const placement = new ceph.ClusterPlacement(dump, crushMap);
placement.pgs(pool.pool);
const [hakitObjects] = seconds(() => placement.objects(pool.pool, names));
const sample = 10;
const [toolObjects] = seconds(() => {
  for (let i = 0; i < sample; i++) tool('--mark-up-in', '--test-map-object', names[i], '--pool', String(pool.pool));
});
fs.rmSync(dir, { recursive: true, force: true });

const perToolObject = toolObjects / sample;
console.log(`osdmap: 64 OSDs, pool ${pool.pool_name} with ${pool.pg_num} PGs; PG answers differing from osdmaptool: ${mismatches}`);
console.log(`every PG   osdmaptool --test-map-pgs-dump: ${toolPgs.toFixed(3)} s   hakit pgs(): ${hakitPgs.toFixed(3)} s   ratio ${(toolPgs / hakitPgs).toFixed(1)}x`);
console.log(`objects    osdmaptool --test-map-object: ${(perToolObject * 1e3).toFixed(1)} ms/object (${sample} runs)`);
console.log(`           hakit objects(): ${objectCount} in ${hakitObjects.toFixed(3)} s = ${((hakitObjects / objectCount) * 1e6).toFixed(2)} us/object   ratio ${(perToolObject / (hakitObjects / objectCount)).toFixed(0)}x`);
if (mismatches) process.exitCode = 1;
