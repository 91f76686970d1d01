'use strict';
// The DHT hash against the real thing: gf_dm_hashfn exported by Debian's libglusterfs.so.0.
const test = require('ava');
const crypto = require('crypto');
const { needs, requires } = require('../../helpers/env');
const lab = require('../../labs/gluster/libglusterfs');
const { gluster } = require('../../..');

const reqs = [requires.command('gcc', 'gcc'), { what: `${lab.LIBRARY} (apt-get install libglusterfs0)`, ok: lab.available }];

// Names of every shape: ASCII, UTF-8, random bytes >= 0x80 (signed-char tails), all lengths
// 1..300 around the 4- and 16-byte block edges, rsync temporary names.
function names(count) {
  let seed = 0;
  const bytes = (n) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i += 32) {
      const block = crypto.createHash('sha256').update(`hakit-${seed++}`).digest();
      block.copy(out, i, 0, Math.min(32, n - i));
    }
    return out;
  };
  const list = [];
  for (let i = 0; list.length < count; i++) {
    const length = 1 + (i % 300);
    switch (i % 5) {
      case 0: list.push(Buffer.from(`file-${i}`)); break;
      case 1: list.push(Buffer.from(`.data${i}.txt.${bytes(3).toString('hex')}`)); break;
      case 2: list.push(Buffer.from(`Ünïcödé-数据-${i}.bin`)); break;
      default: {
        const b = bytes(length);
        for (let k = 0; k < b.length; k++) if (b[k] === 0) b[k] = 1;
        list.push(b);
      }
    }
  }
  return list;
}

needs(test, reqs)('gf_dm_hashfn: 12,000 names hash exactly as libglusterfs does', (t) => {
  const reference = lab.buildReference();
  try {
    const list = names(12000);
    const expected = reference.hash(list);
    const got = gluster.hashNames(list, { raw: true });
    const wrong = [];
    list.forEach((name, i) => {
      if (got[i] !== expected[i]) wrong.push(name.toString('hex'));
    });
    t.deepEqual(wrong.slice(0, 5), []);
    t.is(wrong.length, 0);
    // Known values from the oracle, through the real library too.
    t.deepEqual(reference.hash([Buffer.from('file1'), Buffer.from('a')]), [0xa787fa82, 0x3a17e4e6]);
  } finally {
    reference.cleanup();
  }
});

needs(test, reqs)('DHT hashing of rsync temporary names = libglusterfs hash of the munged name', (t) => {
  const reference = lab.buildReference();
  try {
    const list = names(3000).filter((n) => n.toString('latin1').startsWith('.data'));
    t.true(list.length > 500);
    const munged = list.map((n) => gluster.mungeName(n));
    t.true(munged.every((m, i) => m.length < list[i].length));
    t.deepEqual(Array.from(gluster.hashNames(list)), reference.hash(munged));
  } finally {
    reference.cleanup();
  }
});
