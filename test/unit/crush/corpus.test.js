'use strict';
// The oracle corpus (Ceph 16.2.15 crushtool/osdmaptool outputs, copied into
// test/fixtures/crush/corpus): every case compiled, decompiled and mapped by hakit and compared
// line by line, keyed by x / object / pgid so one wrong line is reported as itself.
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { crush } = require('../../..');

const corpus = path.join(__dirname, '..', '..', 'fixtures', 'crush', 'corpus');
const cases = fs.readdirSync(corpus).filter((n) => fs.statSync(path.join(corpus, n)).isDirectory()).sort();

const lines = (text) => text.split('\n').map((l) => l.replace(/\s+$/, '')).filter((l) => l !== '');

function keyOf(kind, line) {
  let m;
  if (kind === 'mappings' && (m = /^CRUSH rule \S+ x (\S+) /.exec(line))) return `x ${m[1]}`;
  if (kind === 'objects' && (m = /^ object '(.*)' -> /.exec(line))) return `object '${m[1]}'`;
  if (kind === 'pgs' && (m = /^(\S+)\t/.exec(line))) return `pg ${m[1]}`;
  return null;
}

function compare(t, kind, label, expected, got) {
  const byKey = new Map();
  const extra = [];
  for (const l of got) {
    const k = keyOf(kind, l);
    if (k === null || byKey.has(k)) extra.push(l);
    else byKey.set(k, l);
  }
  const problems = [];
  for (const e of expected) {
    const k = keyOf(kind, e);
    const g = byKey.get(k);
    if (g === undefined) problems.push(`missing ${e}`);
    else if (g !== e) problems.push(`expected ${e} got ${g}`);
    byKey.delete(k);
  }
  for (const l of [...byKey.values(), ...extra]) problems.push(`unexpected ${l}`);
  t.deepEqual(problems.slice(0, 5), [], `${label}: ${problems.length} of ${expected.length} lines differ`);
  t.true(expected.length > 0, `${label}: the expected output is not empty`);
}

function readPool(file) {
  const pool = { id: 1, type: 'replicated', crushRule: 0, size: 3, pgNum: 0, pgpNum: 0, hashpspool: true };
  let out = [];
  for (const raw of lines(fs.readFileSync(file, 'utf8'))) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'pool') pool.id = Number(rest[0]);
    else if (key === 'type') pool.type = rest[0];
    else if (key === 'crush_rule') pool.crushRule = Number(rest[0]);
    else if (key === 'size') pool.size = Number(rest[0]);
    else if (key === 'pg_num') pool.pgNum = Number(rest[0]);
    else if (key === 'pgp_num') pool.pgpNum = Number(rest[0]);
    else if (key === 'flags') pool.hashpspool = rest.includes('hashpspool');
    else if (key === 'out') out = rest.map(Number);
  }
  return { pool, out };
}

for (const name of cases) {
  const dir = path.join(corpus, name);
  const text = fs.readFileSync(path.join(dir, 'map.txt'), 'utf8');
  const bin = fs.readFileSync(path.join(dir, 'map.bin'));

  test(`${name}: text compiles to crushtool's bytes and the binary decompiles to crushtool's text`, (t) => {
    t.true(crush.compile(text).equals(bin), 'crush.compile(map.txt) equals map.bin');
    t.is(crush.decompile(bin), text);
    t.true(crush.encodeMap(crush.decodeMap(bin)).equals(bin), 'binary round trip');
  });

  if (fs.existsSync(path.join(dir, 'cases.txt'))) {
    test(`${name}: mappings equal crushtool --test --show-mappings`, (t) => {
      const blocks = new Map();
      let cur = null;
      for (const l of lines(fs.readFileSync(path.join(dir, 'expected.txt'), 'utf8'))) {
        if (l.startsWith('## ')) blocks.set(l.slice(3).trim().split(/\s+/).join(' '), (cur = []));
        else if (cur) cur.push(l);
      }
      // Both inputs must agree: the text map (compiled by hakit) and crushtool's binary.
      const fromText = new crush.CompiledCrushMap(text);
      const fromBin = new crush.CompiledCrushMap(bin);
      let n = 0;
      for (let raw of lines(fs.readFileSync(path.join(dir, 'cases.txt'), 'utf8'))) {
        raw = raw.replace(/#.*/, '').trim();
        if (!raw) continue;
        const words = raw.split(/\s+/);
        const [rule, numRep, minX, maxX] = words.slice(0, 4).map(Number);
        const weights = [];
        let poolId;
        for (let i = 4; i < words.length; i++) {
          if (words[i] === '--weight') weights.push([Number(words[++i]), Number(words[++i])]);
          else if (words[i] === '--pool-id') poolId = Number(words[++i]);
        }
        for (const [label, compiled] of [['txt', fromText], ['bin', fromBin]]) {
          let out = '';
          crush.runTest(compiled, { rule, numRep, minX, maxX, weights, poolId, showMappings: true }, (s) => (out += s));
          compare(t, 'mappings', `${label} ${raw}`, blocks.get(words.join(' ')), lines(out));
        }
        n++;
      }
      t.true(n > 0);
      fromText.close();
      fromBin.close();
    });
  }

  if (fs.existsSync(path.join(dir, 'pool.txt'))) {
    const { pool, out } = readPool(path.join(dir, 'pool.txt'));
    test(`${name}: PGs equal osdmaptool --test-map-pgs-dump`, (t) => {
      const placement = new crush.PoolPlacement(new crush.CompiledCrushMap(bin), pool, { out });
      const dump = crush.testMapPgs(placement, { dump: true });
      const got = lines(dump).filter((l) => /^\d+\.[0-9a-f]+\t/.test(l));
      compare(t, 'pgs', 'pgs', lines(fs.readFileSync(path.join(dir, 'expected-pgs.txt'), 'utf8')), got);
    });
    if (fs.existsSync(path.join(dir, 'objects.txt'))) {
      test(`${name}: objects equal osdmaptool --test-map-object`, (t) => {
        const placement = new crush.PoolPlacement(new crush.CompiledCrushMap(text), pool, { out });
        const names = fs.readFileSync(path.join(dir, 'objects.txt'), 'utf8').split('\n').filter((l) => l !== '');
        const got = names.map((o) => crush.testMapObject(placement, o).replace(/\n$/, ''));
        compare(t, 'objects', 'objects', lines(fs.readFileSync(path.join(dir, 'expected-objects.txt'), 'utf8')), got);
      });
    }
  }
}
