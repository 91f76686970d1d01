'use strict';
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { gluster } = require('../../..');

const fixtures = path.join(__dirname, '..', '..', 'fixtures', 'gluster');
// layout.txt / placement.tsv: a real 4-brick distribute volume (glusterfs 10.3), see docs/gluster.md.
const xattrs = fs.readFileSync(path.join(fixtures, 'layout.txt'), 'utf8').trim().split('\n').map((l) => l.split(/\s+/));
const placement = fs.readFileSync(path.join(fixtures, 'placement.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
const subvolumes = gluster.subvolumeNames('v0', 'distribute', 4);
const brickOf = (subvolume) => 'b' + (Number(subvolume.split('-').pop()) + 1);

function fixtureLayout() {
  return { entries: xattrs.map(([brick, hex], i) => ({ subvolume: subvolumes[i], ...gluster.decodeLayoutXattr(hex) })) };
}

test('decodes and re-encodes the bricks\' trusted.glusterfs.dht values', (t) => {
  const first = gluster.decodeLayoutXattr(xattrs[0][1]);
  t.deepEqual(first, { commitHash: 1, type: 0, start: 0, stop: 0x3ffffffe });
  for (const [, hex] of xattrs) t.is('0x' + gluster.encodeLayoutXattr(gluster.decodeLayoutXattr(hex)).toString('hex'), hex);
  t.deepEqual(gluster.decodeLayoutXattr(Buffer.from(xattrs[3][1].slice(2), 'hex')).stop, 0xffffffff);
});

test('malformed xattrs are typed errors', (t) => {
  for (const bad of ['0x1234', 'zz', '0x' + '00'.repeat(17), Buffer.alloc(3), '0x0000000100000007000000003ffffffe']) {
    t.is(t.throws(() => gluster.decodeLayoutXattr(bad)).code, 'GLUSTER_BAD_LAYOUT');
  }
  t.is(t.throws(() => gluster.encodeLayoutXattr({ commitHash: 1, type: 0, start: -1, stop: 3 })).code, 'ERR_INVALID_ARG');
});

test('the layout DHT gives the root of a 4-brick volume equals the bricks\' xattrs', (t) => {
  const computed = gluster.newDirectoryLayout('/', subvolumes);
  t.deepEqual(
    computed.entries.map((e) => encodeHex(e)),
    xattrs.map(([, hex]) => hex),
  );
  t.deepEqual(gluster.layoutAnomalies(computed), { holes: 0, overlaps: 0, gaps: [] });
});

function encodeHex(entry) {
  return '0x' + gluster.encodeLayoutXattr(entry).toString('hex');
}

test('every one of the 200 names of the fixture lands on the brick hakit predicts', (t) => {
  const layout = fixtureLayout();
  const got = gluster.locateMany(layout, placement.map(([name]) => name));
  const wrong = placement.filter(([name, brick], i) => brickOf(got[i]) !== brick).map(([name]) => name);
  t.deepEqual(wrong, []);
  t.is(placement.length, 200);
  // rsync-style names are among them, and they land by their munged name.
  const temp = placement.filter(([name]) => /^\..+\.[^.]+$/.test(name));
  t.true(temp.length >= 10);
  for (const [name] of temp) t.is(gluster.locate(layout, name), gluster.locate(layout, gluster.mungeName(name)));
});

test('a hole in the layout leaves names unplaced and is reported', (t) => {
  const layout = fixtureLayout();
  layout.entries = layout.entries.slice(1);
  const anomalies = gluster.layoutAnomalies(layout);
  t.deepEqual(anomalies.gaps, [[0, 0x3ffffffe]]);
  const names = placement.map(([name]) => name);
  const got = gluster.locateMany(layout, names);
  placement.forEach(([, brick], i) => t.is(got[i] === undefined, brick === 'b1'));
});

test('weighted layouts follow brick sizes; spread limits the bricks used', (t) => {
  const weighted = gluster.newDirectoryLayout('/d', [
    { name: 'v-client-0', chunks: 100 },
    { name: 'v-client-1', chunks: 300 },
  ]);
  const size = (e) => e.stop - e.start + 1;
  const [a, b] = weighted.entries;
  t.true(Math.abs(size(b) / size(a) - 3) < 1e-6);
  t.deepEqual(gluster.layoutAnomalies(weighted).holes, 0);
  const spread = gluster.newDirectoryLayout('/d', gluster.subvolumeNames('v', 'distribute', 6), { spreadCount: 2 });
  t.is(spread.entries.filter((e) => e.start !== e.stop).length, 2);
  t.is(gluster.layoutAnomalies(spread).holes, 0);
});

test('subvolumes sort by name as strcmp does (client-10 before client-2)', (t) => {
  const names = gluster.subvolumeNames('v', 'distribute', 12);
  const layout = gluster.newDirectoryLayout('/', names);
  t.deepEqual(layout.entries.map((e) => e.subvolume).slice(0, 4), ['v-client-0', 'v-client-1', 'v-client-10', 'v-client-11']);
  // The root's first range goes to the entry at hash("/") % 12 in that order.
  const first = layout.entries.find((e) => e.start === 0);
  t.is(layout.entries.indexOf(first), gluster.dhtHash('/') % 12);
});

test('fix-layout after add-brick keeps most ranges in place and has no holes', (t) => {
  const old = fixtureLayout();
  const after = gluster.fixLayout('/', old, gluster.subvolumeNames('v0', 'distribute', 5));
  t.deepEqual(gluster.layoutAnomalies(after), { holes: 0, overlaps: 0, gaps: [] });
  const names = Array.from({ length: 5000 }, (_, i) => `f${i}`);
  const plan = gluster.planRebalance(names.map((name) => ({ name, size: 10 })), old, after);
  // A fresh layout without overlap maximization would move far more.
  const naive = gluster.planRebalance(names, old, gluster.newDirectoryLayout('/', gluster.subvolumeNames('v0', 'distribute', 5)));
  t.true(plan.movedFiles <= naive.movedFiles);
  t.true(plan.movedFiles > 0.15 * names.length && plan.movedFiles < 0.6 * names.length, String(plan.movedFiles));
  t.is(plan.movedBytes, plan.movedFiles * 10);
  t.is(plan.perSubvolume['v0-client-4'].filesBefore, 0);
  t.true(plan.moves.every((m) => m.from !== m.to));
});

test('remove-brick: the decommissioned subvolume gets no range', (t) => {
  const old = fixtureLayout();
  const specs = subvolumes.map((name) => ({ name, decommissioned: name === 'v0-client-3' }));
  const after = gluster.fixLayout('/', old, specs);
  const gone = after.entries.find((e) => e.subvolume === 'v0-client-3');
  t.is(gone.start, 0);
  t.is(gone.stop, 0);
  t.true(gone.decommissioned);
  t.is(gluster.layoutAnomalies(after).holes, 0);
  const plan = gluster.planRebalance(placement.map(([n]) => n), old, after);
  t.true(plan.moves.filter((m) => m.from === 'v0-client-3').length === placement.filter(([, b]) => b === 'b4').length);
  t.true(plan.moves.every((m) => m.to !== 'v0-client-3'));
});

test('layout arguments are checked', (t) => {
  t.is(t.throws(() => gluster.locate({ entries: [] }, 'a')).code, 'ERR_INVALID_ARG');
  t.is(t.throws(() => gluster.newDirectoryLayout('/', ['a', 'a'])).code, 'ERR_INVALID_ARG');
  t.is(t.throws(() => gluster.fixLayout('/', fixtureLayout(), ['v0-client-0'])).code, 'ERR_INVALID_ARG');
});
