'use strict';
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { ceph } = require('../../..');

// Written by ceph-authtool 16.2.15 (mon. with client.admin imported), see docs/ceph.md.
const authtool = fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'ceph', 'authtool-mon.keyring'), 'utf8');

test('parses a keyring written by ceph-authtool and formats it back byte for byte', (t) => {
  const entries = ceph.parseKeyring(authtool);
  t.deepEqual(entries.map((e) => e.entity), ['mon.', 'client.admin']);
  t.deepEqual(entries[1].caps, { mds: 'allow *', mgr: 'allow *', mon: 'allow *', osd: 'allow *' });
  t.is(ceph.formatKeyring(entries), authtool);
  const key = ceph.parseKey(entries[0].key);
  t.is(key.type, 1);
  t.is(key.secret.length, 16);
  t.true(key.created.getUTCFullYear() >= 2020);
});

test('generated keys have the CryptoKey layout ceph expects', (t) => {
  const created = new Date(Date.UTC(2026, 10, 27, 9, 48, 11, 250));
  const secret = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const key = ceph.generateKey({ created, secret });
  t.is(key.length, 40);
  t.true(key.startsWith('AQ'));
  const raw = Buffer.from(key, 'base64');
  t.is(raw.readUInt16LE(0), 1);
  t.is(raw.readUInt32LE(2), Math.floor(created.getTime() / 1000));
  t.is(raw.readUInt32LE(6), 250_000_000);
  t.is(raw.readUInt16LE(10), 16);
  t.deepEqual(ceph.parseKey(key), { type: 1, created, secret });
  t.not(ceph.generateKey(), ceph.generateKey());
});

test('round trip of new entries with caps, in ceph-authtool layout', (t) => {
  const entry = ceph.newEntry('client.app', { osd: 'allow rw pool=data', mon: 'allow r' });
  const text = ceph.formatKeyring([entry]);
  t.regex(text, /^\[client\.app\]\n\tkey = AQ[A-Za-z0-9+/]{36}==\n\tcaps mon = "allow r"\n\tcaps osd = "allow rw pool=data"\n$/);
  t.deepEqual(ceph.parseKeyring(text), [entry]);
  t.deepEqual(ceph.capsArgs(entry.caps), ['mon', 'allow r', 'osd', 'allow rw pool=data']);
});

test('bad keys and keyrings are typed errors naming the line', (t) => {
  for (const bad of ['', 'not base64!', 'AQ==', Buffer.alloc(28).toString('base64'), (() => {
    const raw = Buffer.from(ceph.generateKey(), 'base64');
    raw.writeUInt16LE(8, 10);
    return raw.toString('base64');
  })()]) {
    t.is(t.throws(() => ceph.parseKey(bad)).code, 'CEPH_BAD_KEY', bad);
  }
  const cases = [
    ['key = AQ==\n', /line 1: setting outside/],
    ['[client.a]\n\tkey = nope\n', /line 2/],
    ['[client.a]\n\tjunk\n', /line 2: expected NAME = VALUE/],
    ['[client.a]\n\tcaps mon = "allow r\n', /line 2: unterminated/],
    ['[client.a]\n', /has no key/],
    ['[nodot]\n', /line 1: bad entity/],
  ];
  for (const [text, message] of cases) {
    const error = t.throws(() => ceph.parseKeyring(text));
    t.is(error.code, 'CEPH_BAD_KEYRING');
    t.regex(error.message, message);
  }
  t.is(t.throws(() => ceph.generateKey({ secret: Buffer.alloc(3) })).code, 'ERR_INVALID_ARG');
});
