'use strict';
// GlusterFS for real: a private glusterd, bricks in temp dirs, a FUSE mount. Every file written
// through the mount must sit on the brick hakit predicts, the directories' layouts must be the
// ones hakit computes, and add-brick + rebalance must move exactly the names hakit planned.
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { needs, requires } = require('../../helpers/env');
const lab = require('../../labs/gluster/glusterd');
const { gluster } = require('../../..');

const reqs = [
  requires.root,
  { what: 'glusterd, gluster, mount.glusterfs and /dev/fuse (apt-get install glusterfs-server glusterfs-client)', ok: lab.available },
  { what: 'no other glusterd running on this host', ok: () => !lab.glusterdRunning() },
];

// Names of every kind DHT treats differently: plain, UTF-8, spaces, dots, rsync temp names.
function fileNames(count) {
  const names = [];
  for (let i = 0; i < count; i++) {
    switch (i % 6) {
      case 0: names.push(`file${i}`); break;
      case 1: names.push(`.report${i}.txt.${(i * 7919).toString(36).slice(-6).padStart(6, 'x')}`); break;
      case 2: names.push(`Ünïcödé ${i}.bin`); break;
      case 3: names.push(`.数据${i}.tar.gz`); break;
      case 4: names.push(`x.${i}.tar.gz`); break;
      default: names.push(`n-${i}-${'z'.repeat(i % 40)}`);
    }
  }
  return names;
}

function whereIs(bricksBySubvolume, dir, name) {
  return Object.entries(bricksBySubvolume)
    .filter(([, brick]) => fs.existsSync(path.join(brick, dir, name)))
    .map(([subvolume]) => subvolume);
}

function ranges(layout) {
  return layout.entries
    .map((e) => `${e.subvolume}:${e.start.toString(16)}-${e.stop.toString(16)}`)
    .sort()
    .join(' ');
}

needs(test, reqs)('files land on the predicted bricks; add-brick + rebalance moves exactly the planned names', async (t) => {
  const glusterd = await lab.startGlusterd();
  t.teardown(() => lab.stopGlusterd(glusterd));
  const cli = new gluster.Gluster({ timeoutMs: 60000 });
  const host = glusterd.hostname;
  const dirs = ['b0', 'b1', 'b2', 'b3'].map((b) => lab.brickDir(glusterd, b));
  const volume = 'hakitdht';

  await cli.volumeCreate(volume, { bricks: dirs.slice(0, 3).map((d) => `${host}:${d}`), force: true });
  await cli.volumeStart(volume);
  let [info] = await cli.volumeInfo(volume);
  t.is(info.type, 'Distribute');
  t.is(info.status, 'Started');
  const [status] = await cli.volumeStatus(volume);
  t.true(status.bricks.every((b) => b.online && b.pid > 0), JSON.stringify(status));
  const mount = lab.mountVolume(glusterd, volume);

  const names = fileNames(240);
  const sizes = new Map(names.map((n, i) => [n, 100 + i]));
  fs.mkdirSync(path.join(mount, 'sub'));
  for (const dir of ['', 'sub']) for (const name of names) fs.writeFileSync(path.join(mount, dir, name), Buffer.alloc(sizes.get(name), 7));

  const bricksOf = (vol) => Object.fromEntries(vol.subvolumes.map((s) => [s.name, s.bricks[0].path]));
  let bricks = bricksOf(info);
  const subvolumes = info.subvolumes.map((s) => s.name);
  t.deepEqual(subvolumes, ['hakitdht-client-0', 'hakitdht-client-1', 'hakitdht-client-2']);

  const before = {};
  for (const dir of ['/', '/sub']) {
    // The layout on the bricks is the one hakit computes for a new directory.
    const onDisk = gluster.readLayoutFromBricks(bricks, dir);
    const predicted = gluster.newDirectoryLayout(dir, subvolumes);
    t.is(ranges(onDisk), ranges(predicted), `layout of ${dir}`);
    t.deepEqual(onDisk.entries.map((e) => e.commitHash), predicted.entries.map((e) => e.commitHash).slice(0, onDisk.entries.length).map(() => (dir === '/' ? 1 : 0)));
    // Every file is on exactly the brick hakit predicts.
    const predictedPlaces = gluster.locateMany(predicted, names);
    const wrong = names.filter((name, i) => {
      const found = whereIs(bricks, dir, name);
      return found.length !== 1 || found[0] !== predictedPlaces[i];
    });
    t.deepEqual(wrong, [], `misplaced in ${dir}`);
    before[dir] = onDisk;
  }

  // Add a brick and plan the rebalance.
  await cli.addBrick(volume, [`${host}:${dirs[3]}`], { force: true });
  [info] = await cli.volumeInfo(volume);
  bricks = bricksOf(info);
  const grown = info.subvolumes.map((s) => s.name);
  t.is(grown.length, 4);
  const plans = {};
  for (const dir of ['/', '/sub']) {
    const after = gluster.fixLayout(dir, before[dir], grown);
    plans[dir] = { after, plan: gluster.planRebalance(names.map((name) => ({ name, size: sizes.get(name) })), before[dir], after) };
  }
  await cli.rebalanceStart(volume);
  const done = await cli.waitForMigration(volume, { timeoutMs: 90000 });
  t.true(done.completed);

  let plannedFiles = 0;
  let plannedBytes = 0;
  for (const dir of ['/', '/sub']) {
    const { after, plan } = plans[dir];
    t.is(ranges(gluster.readLayoutFromBricks(bricks, dir)), ranges(after), `fixed layout of ${dir}`);
    const moved = plan.moves.map((m) => m.name).sort();
    const now = gluster.locateMany(after, names);
    const actuallyMoved = [];
    const wrong = [];
    names.forEach((name, i) => {
      const found = whereIs(bricks, dir, name);
      if (found.length !== 1 || found[0] !== now[i]) wrong.push(name);
      if (found[0] !== gluster.locate(before[dir], name)) actuallyMoved.push(name);
    });
    t.deepEqual(wrong, [], `after rebalance, misplaced in ${dir}`);
    t.deepEqual(actuallyMoved.sort(), moved, `moved names in ${dir}`);
    t.true(moved.length > 0);
    plannedFiles += plan.movedFiles;
    plannedBytes += plan.movedBytes;
  }
  // gluster's own counters agree with the plan's totals.
  t.is(done.aggregate.files, plannedFiles);
  t.is(done.aggregate.size, plannedBytes);

  // Files still read back intact through the mount.
  for (const name of names.slice(0, 30)) t.is(fs.statSync(path.join(mount, 'sub', name)).size, sizes.get(name));
});
