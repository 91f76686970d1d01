'use strict';
// The public crush API beyond the corpus: batch mapping (threads, PG seeds), handle lifetime,
// errors that name where the problem is, analysis, number formatting, and the CLI contract.
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { crush, HakitError, ArgumentError } = require('../../..');
const { root } = require('../../helpers/env');

const corpus = path.join(root, 'test', 'fixtures', 'crush', 'corpus');
const bin = (name) => fs.readFileSync(path.join(corpus, name, 'map.bin'));
const txt = (name) => fs.readFileSync(path.join(corpus, name, 'map.txt'), 'utf8');
const hakit = (...args) => spawnSync(process.execPath, [path.join(root, 'bin', 'hakit.js'), ...args], { encoding: 'utf8', cwd: root });

test('a batch split over threads equals the single-threaded batch and single mappings', (t) => {
  const m = new crush.CompiledCrushMap(bin('06-ec-chooseleaf-indep'));
  const one = m.mapBatch({ rule: 1, numrep: 6, minX: 0, count: 20000 });
  const four = m.mapBatch({ rule: 1, numrep: 6, minX: 0, count: 20000, threads: 4 });
  t.deepEqual(Buffer.from(four.items.buffer), Buffer.from(one.items.buffer));
  t.deepEqual(Array.from(four.lengths), Array.from(one.lengths));
  t.deepEqual(m.mapX(1, 12345, 6), one.get(12345));
  const xs = m.mapBatch({ rule: 1, numrep: 6, xs: [5, 17, 19999] });
  t.deepEqual([xs.get(0), xs.get(1), xs.get(2)], [one.get(5), one.get(17), one.get(19999)]);
  m.close();
});

test('PG seeds mapped in one call equal PG-by-PG placement, and objects land on their PG', (t) => {
  const m = new crush.CompiledCrushMap(bin('25-objects-pg100-out'));
  const pool = { id: 1, size: 3, crushRule: 0, pgNum: 100, pgpNum: 100 };
  const placement = new crush.PoolPlacement(m, pool, { out: [7] });
  const all = placement.allPgs({ threads: 2 });
  t.is(all.length, 100);
  for (const ps of [0, 1, 63, 99]) t.deepEqual(placement.pgToOsds(ps), all[ps]);
  t.false(all.some((pg) => pg.acting.includes(7)), 'an out OSD gets nothing');
  // values printed by osdmaptool for this pool
  t.is(crush.formatPgid(1, crush.objectToPg(pool, 'foo').ps), '1.6');
  t.is(crush.stableMod(0x1234, 100, crush.pgMask(100)), 0x34);
  t.is(crush.pgMask(64), 63);
  t.is(crush.pgMask(1), 0);
  const ns = crush.objectToPg(pool, 'foo', 'tenant');
  t.is(ns.ps, crush.stableMod(crush.strHash('tenant\x1ffoo'), 100, 127));
  m.close();
});

test('a closed handle refuses work with an ArgumentError; close twice is fine', (t) => {
  const m = new crush.CompiledCrushMap(txt('01-straw2-flat'));
  m.close();
  m.close();
  t.throws(() => m.mapX(0, 1, 3), { instanceOf: ArgumentError });
});

test('bad arguments are rejected before the native call', (t) => {
  const m = new crush.CompiledCrushMap(bin('01-straw2-flat'));
  t.throws(() => m.mapBatch({ rule: -1, numrep: 3 }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => m.mapBatch({ rule: 0, numrep: 0 }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => m.mapBatch({ rule: 0, numrep: 3, threads: 0 }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => m.mapBatch({ rule: 0, numrep: 3, weights: [1, 2] }), { code: 'ERR_INVALID_ARG' });
  t.deepEqual(m.mapX(9, 1, 3), [], 'a rule that does not exist maps to nothing, as crush_do_rule');
  m.close();
});

test('text errors name line and column', (t) => {
  const cases = [
    ['device 0 osd.0\ntype 0 osd\ntype 1 host\nhost h {\n\talg straw9\n\titem osd.0\n}\n', /^<input>:5:6: unknown bucket alg 'straw9'/],
    ['type 0 osd\ntype 1 host\nhost h {\n\talg straw2\n\titem osd.3 weight 1\n}\n', /^<input>:5:7: item 'osd.3' in bucket 'h' is not defined/],
    ['type 0 osd\nrack r {\n}\n', /^<input>:2:1: bucket type 'rack' is not defined/],
    ['device 0 osd.0\ndevice 1 osd.0\n', /^<input>:2:10: item osd.0 defined twice/],
    ['tunable choose_total_tries\n', /^<input>:1:27: unexpected end of map, expected a tunable value/],
    ['device 0 osd.0\ntype 0 osd\ntype 1 host\nhost h {\n\talg straw2\n\titem osd.0 weight abc\n}\n', /^<input>:6:20: expected an item weight \(a number\), got 'abc'/],
    ['tunable bogus 1\n', /^<input>:1:9: tunable bogus not recognized/],
  ];
  for (const [text, re] of cases) {
    const error = t.throws(() => crush.compileText(text), { instanceOf: crush.CrushParseError });
    t.regex(error.message, re);
    t.is(error.code, 'CRUSH_PARSE');
    t.true(error instanceof HakitError);
  }
  const named = t.throws(() => crush.compileText('rule {\n', { file: 'my.txt' }));
  t.regex(named.message, /^my\.txt:1:7: unexpected end of map, expected 'id'/);
  t.is(named.details.file, 'my.txt');
});

test('binary errors name the byte offset, in TypeScript and in the native decoder', (t) => {
  const good = bin('08-device-classes');
  const truncated = good.subarray(0, 200);
  const ts = t.throws(() => crush.decodeMap(truncated), { instanceOf: crush.CrushDecodeError });
  t.true(ts.details.offset <= 200);
  t.regex(ts.message, /^bad binary crush map at byte \d+: truncated/);
  const nat = t.throws(() => new crush.CompiledCrushMap(crush.decodeMap(good)) && new (require('../../../dist/crush/addon').crushNative().CrushMapHandle)(truncated));
  t.is(nat.code, 'CRUSH_DECODE');
  t.regex(nat.message, /at byte \d+/);
  const badAlg = Buffer.from(good);
  badAlg.writeUInt32LE(9, 16); // the first bucket's alg tag
  t.regex(t.throws(() => crush.decodeMap(badAlg)).message, /at byte 16: unsupported bucket algorithm 9/);
});

test('utilization and data movement', (t) => {
  const a = new crush.CompiledCrushMap(bin('02-straw2-host-root-build'));
  const u = crush.utilization(a, { rule: 0, numrep: 3, minX: 0, maxX: 9999 });
  t.is(u.devices.reduce((s, d) => s + d.stored, 0), 30000);
  t.true(u.maxRelativeDeviation > 0 && u.maxRelativeDeviation < 0.5);
  const same = crush.compareMaps(a, a, { rule: 0, numrep: 3, maxX: 999 });
  t.is(same.changed, 0);
  t.is(same.movedReplicas, 0);
  // take one host's weight down by half: only data touching it should move
  const map = crush.decodeMap(bin('02-straw2-host-root-build'));
  const rootBucket = map.buckets.find((b) => b && map.names.get(b.id) === 'root');
  rootBucket.itemWeights[0] = Math.floor(rootBucket.itemWeights[0] / 2);
  const b = new crush.CompiledCrushMap(map);
  const moved = crush.compareMaps(a, b, { rule: 0, numrep: 3, maxX: 9999 });
  t.true(moved.movedFraction > 0.005 && moved.movedFraction < 0.15, `moved ${moved.movedFraction}`);
  t.is(moved.changedInputs.length, moved.changed);
  const pool = { id: 3, size: 3, crushRule: 0, pgNum: 256 };
  const pm = crush.comparePools(new crush.PoolPlacement(a, pool), new crush.PoolPlacement(b, pool));
  t.true(pm.changed > 0 && pm.changed < 256);
  a.close();
  b.close();
});

test('printf-exact number formatting', (t) => {
  t.is(crush.formatFixed(0.0625, 3), '0.062'); // a tie rounds to even, as glibc
  t.is(crush.formatFixed(0.1875, 3), '0.188');
  t.is(crush.fixedPoint(0x10000), '1.000');
  t.is(crush.fixedPoint(59637), '0.910');
  t.is(crush.formatG(1234565), '1.23456e+06');
  t.is(crush.formatG(0.909988), '0.909988');
  t.is(crush.formatG(1e-5), '1e-05');
  t.is(crush.formatG(100), '100');
  t.is(crush.formatG(NaN), '-nan');
});

test('CLI: crush test runs on the bundled map without -i, usage errors exit 2, bad maps exit 1', (t) => {
  const r = hakit('crush', 'test');
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /no -i given; using the bundled example map/);
  t.regex(r.stdout, /^rule 0 \(replicated_rule\), x = 0\.\.1023, numrep = 1\.\.10\n/);
  t.regex(r.stdout, /rule 1 \(ec42\) num_rep 6 result size == 6:\t1024\/1024/);
  const m = hakit('crush', 'test', '--rule', '0', '--num-rep', '3', '--x', '7', '--show-mappings');
  t.regex(m.stdout, /^CRUSH rule 0 x 7 \[\d+,\d+,\d+\]\n$/);
  t.is(hakit('crush').status, 2);
  t.is(hakit('crush', 'bogus').status, 2);
  t.is(hakit('crush', 'test', '--show-nothing').status, 2);
  t.is(hakit('crush', 'test', '--num-rep', 'x').status, 2);
  const missing = hakit('crush', 'test', '-i', 'no/such/map');
  t.is(missing.status, 1);
  t.regex(missing.stderr, /error reading 'no\/such\/map'/);
  const bad = hakit('crush', 'decompile', '-i', path.join(corpus, '01-straw2-flat', 'cases.txt'));
  t.is(bad.status, 1);
  t.regex(bad.stderr, /cases\.txt:\d+:\d+: expected/);
  t.is(hakit('osdmap', '--crush', path.join(corpus, '01-straw2-flat', 'map.bin'), '--test-map-pgs').status, 2);
  const om = hakit('osdmap', '--crush', path.join(corpus, '24-objects-pg64', 'map.bin'), '--pg-num', '64', '--test-map-object', 'foo');
  t.is(om.status, 0, om.stderr);
  t.regex(om.stdout, /^ object 'foo' -> 1\.[0-9a-f]+ -> \[\d+,\d+,\d+\]\n$/);
});

test('overrideTunables: negative means unchanged, out-of-range is a typed error, values land in the encoded map', (t) => {
  const map = crush.parseMap(crush.exampleMapText);
  const before = { ...map.tunables };
  t.false(crush.overrideTunables(map, { chooseTotalTries: -1 }));
  t.deepEqual(map.tunables, before);
  t.true(crush.overrideTunables(map, { chooseTotalTries: 3, chooseleafVaryR: 0 }));
  const again = crush.decodeMap(crush.encodeMap(map));
  t.is(again.tunables.chooseTotalTries, 3);
  t.is(again.tunables.chooseleafVaryR, 0);
  t.is(t.throws(() => crush.overrideTunables(map, { chooseleafStable: 256 })).code, 'CRUSH_BAD_TUNABLE');
  t.is(t.throws(() => crush.overrideTunables(map, { chooseLocalTries: 1.5 })).code, 'CRUSH_BAD_TUNABLE');
});

test('chooseProfile: one count per item chosen by a firstn rule, summed over threads, rejected when not a Uint32Array', (t) => {
  const compiled = new crush.CompiledCrushMap(bin('01-straw2-flat'));
  try {
    const one = compiled.chooseProfile();
    t.is(one.length, compiled.map.tunables.chooseTotalTries + 1);
    const res = compiled.mapBatch({ rule: 0, numrep: 3, count: 4096, chooseProfile: one });
    const chosen = res.lengths.reduce((a, b) => a + b, 0);
    t.is(one.reduce((a, b) => a + b, 0), chosen);
    t.true(one[1] > 0, 'some choices needed a retry');
    const two = compiled.chooseProfile();
    compiled.mapBatch({ rule: 0, numrep: 3, count: 4096, chooseProfile: two, threads: 2 });
    t.deepEqual(two, one);
    t.is(t.throws(() => compiled.mapBatch({ rule: 0, numrep: 3, count: 1, chooseProfile: [0, 0] })).code, 'ERR_INVALID_ARG');
  } finally {
    compiled.close();
  }
});

test('test --output-csv: the data files of each rule, batch split as CrushTester does it', (t) => {
  const compiled = new crush.CompiledCrushMap(bin('01-straw2-flat'));
  const files = new Map();
  try {
    crush.runTest(compiled, { rule: 0, numRep: 2, minX: 0, maxX: 9, batches: 3, csv: { prefix: 'p-', write: (f, text) => files.set(f, text) } }, () => {});
  } finally {
    compiled.close();
  }
  const name = compiled.map.ruleNames.get(0);
  const placement = files.get(`p-${name}-placement_information.csv`).split('\n');
  t.is(placement[0], 'Input, OSD0, OSD1');
  t.is(placement.length, 12); // header, x = 0..9, final newline
  t.regex(placement[1], /^0,\d+,\d+$/);
  const batch = files.get(`p-${name}-batch_device_utilization_all.csv`).trim().split('\n');
  t.is(batch.length, 4); // header + 3 rounds: 3, 3 and the last 4 inputs
  const stored = batch.slice(1).map((row) => row.split(',').slice(1).reduce((a, b) => a + Number(b), 0));
  t.deepEqual(stored, [6, 6, 8]);
  t.is(files.size, 8);
});
