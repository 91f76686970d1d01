'use strict';
const test = require('ava');
const { gluster } = require('../../..');

// Reference values measured with Debian's libglusterfs.so.0 gf_dm_hashfn (see docs/gluster.md).
const vectors = [
  ['file1', 0xa787fa82],
  ['a', 0x3a17e4e6],
  ['hello.txt', 0xe68d61cc],
];

test('dmHash matches libglusterfs reference values', (t) => {
  for (const [name, hash] of vectors) t.is(gluster.dmHash(name), hash, name);
});

test('bytes and UTF-8 strings hash the same bytes', (t) => {
  const name = 'Ünïcödé-611097.txt';
  t.is(gluster.dmHash(Buffer.from(name, 'utf8')), gluster.dmHash(name));
  t.not(gluster.dmHash(Buffer.from(name, 'latin1')), gluster.dmHash(name));
});

test('hashNames batch equals one-at-a-time hashing, across block sizes', (t) => {
  const names = [];
  for (let n = 1; n <= 70; n++) names.push('x'.repeat(n), Buffer.alloc(n, 0xe9));
  const batch = gluster.hashNames(names, { raw: true });
  t.is(batch.length, names.length);
  names.forEach((name, i) => t.is(batch[i], gluster.dmHash(name)));
  // ASCII names of distinct lengths hash apart (the length pad)...
  const ascii = names.filter((n) => typeof n === 'string').map((n) => gluster.dmHash(n));
  t.is(new Set(ascii).size, ascii.length);
  // ...but libglusterfs mixes trailing bytes as signed chars, so a trailing byte >= 0x80 wipes the
  // pad: 13, 14 and 15 bytes of 0xe9 collide there (measured: all 95a9f6fd), and must here too.
  t.is(gluster.dmHash(Buffer.alloc(13, 0xe9)), 0x95a9f6fd);
  t.is(gluster.dmHash(Buffer.alloc(15, 0xe9)), 0x95a9f6fd);
  t.is(gluster.dmHash(Buffer.alloc(16, 0xe9)), 0x2aa6a7a4);
});

test('rsync temporary names are munged before hashing', (t) => {
  t.is(gluster.mungeName('.data6.txt.6dB886'), 'data6.txt');
  t.is(gluster.mungeName('.数据14.txt.951E26'), '数据14.txt');
  t.is(gluster.mungeName('plain.txt'), 'plain.txt');
  t.is(gluster.mungeName('.hidden'), '.hidden');
  t.is(gluster.dhtHash('.report.txt.Fd5c6b'), gluster.dmHash('report.txt'));
  t.is(gluster.dhtHash('.report.txt.Fd5c6b', { raw: true }), gluster.dmHash('.report.txt.Fd5c6b'));
  t.is(gluster.dhtHash('.report.txt.Fd5c6b', { rsyncHashRegex: 'none' }), gluster.dmHash('.report.txt.Fd5c6b'));
});

test('the extra regex is tried first; a match without a group falls through', (t) => {
  const options = { extraHashRegex: '^(.+)\\.tmp$' };
  t.is(gluster.mungeName('report.txt.tmp', options), 'report.txt');
  t.is(gluster.mungeName('.a.b.tmp', options), '.a.b');
  t.is(gluster.mungeName('.a.b.c', options), 'a.b');
  t.is(gluster.mungeName('.a.b.c', { extraHashRegex: '^\\.a' }), 'a.b');
  t.is(gluster.dhtHash('x.tmp', options), gluster.dmHash('x'));
});

test('POSIX ERE semantics (leftmost-longest), not JavaScript regex', (t) => {
  // JS /(a|ab)(c|bcd)/ picks "a"; POSIX picks the longest overall match, "ab"+"cd" or "a"+"bcd".
  t.is(gluster.mungeName('abcd', { extraHashRegex: '^(a|ab)(c|bcd)$', rsyncHashRegex: 'none' }), 'a');
  t.is(gluster.mungeName('xyyy', { extraHashRegex: '^x(y*)' }), 'yyy');
});

test('bad arguments and regexes are typed errors', (t) => {
  t.is(t.throws(() => gluster.hashNames(['a', 5])).code, 'ERR_INVALID_ARG');
  t.is(t.throws(() => gluster.hashNames([''])).code, 'ERR_INVALID_ARG');
  t.is(t.throws(() => gluster.hashNames(['a\0b'])).code, 'ERR_INVALID_ARG');
  const error = t.throws(() => gluster.hashNames(['a'], { extraHashRegex: '(' }));
  t.is(error.code, 'ERR_INVALID_ARG');
  t.regex(error.message, /invalid hash regex/);
  // Patterns whose compiled form would explode in glibc's regcomp are refused, not run.
  for (const bomb of ['^(.*++)$', '((a{60}){60}){8}', '(((a+)+)+)+'.repeat(4), 'a'.repeat(300)]) {
    t.is(t.throws(() => gluster.hashNames(['a'], { extraHashRegex: bomb })).code, 'ERR_INVALID_ARG', bomb);
  }
  t.is(gluster.mungeName('x.tmp', { extraHashRegex: '^([a-z]{1,8})\\.tmp$' }), 'x');
});

test('the native binding rejects malformed offsets without crashing', (t) => {
  const native = require('../../../dist/native').nativeModule('gluster');
  const bytes = Buffer.from('abc');
  t.is(t.throws(() => native.hashBatch(bytes, new Uint32Array([0, 9]), new Uint32Array(1))).code, 'ERR_NATIVE_ARGS');
  t.is(t.throws(() => native.hashBatch(bytes, new Uint32Array([2, 1]), new Uint32Array(1))).code, 'ERR_NATIVE_ARGS');
  t.is(t.throws(() => native.hashBatch(bytes, new Uint32Array([0, 1]), new Uint32Array(2))).code, 'ERR_NATIVE_ARGS');
  t.is(t.throws(() => native.hashBatch(bytes, [0, 1], new Uint32Array(1))).code, 'ERR_NATIVE_ARGS');
});
