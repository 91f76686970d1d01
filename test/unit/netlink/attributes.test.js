'use strict';
// Byte-level tests of the declarative attribute codec (no kernel needed).
const test = require('ava');
const { netlink } = require('../../..');

const inner = netlink.defineSchema({
  conns: { type: 1, kind: 'u32' },
  bytes: { type: 4, kind: 'u64' },
});
const schema = netlink.defineSchema({
  af: { type: 1, kind: 'u16' },
  proto: { type: 2, kind: 'u8' },
  port: { type: 4, kind: 'be16' },
  mark: { type: 5, kind: 'be32' },
  name: { type: 6, kind: 'string', maxLength: 16 },
  flags: { type: 7, kind: 'struct', fields: { flags: 'u32', mask: 'u32' } },
  weight: { type: 8, kind: 's32' },
  addr: { type: 3, kind: 'binary', length: 16 },
  stats: { type: 10, kind: 'nested', schema: inner },
  on: { type: 11, kind: 'flag' },
  raw: { type: 12, kind: 'binary', maxLength: 8 },
});

test('encodes each kind with its exact bytes, in schema order, 4-byte aligned', (t) => {
  const bytes = netlink.encodeAttributes(schema, { af: 2, port: 80, name: 'rr', flags: { flags: 1, mask: 0xffffffff } });
  t.is(
    bytes.toString('hex'),
    [
      '0600' + '0100' + '0200' + '0000', // af u16 + 2 bytes padding
      '0600' + '0400' + '0050' + '0000', // port be16
      '0700' + '0600' + '727200' + '00', // "rr\0" + pad
      '0c00' + '0700' + '01000000' + 'ffffffff', // struct ip_vs_flags
    ].join(''),
  );
});

test('nested attributes carry NLA_F_NESTED and round-trip, u64 as bigint', (t) => {
  const value = { stats: { conns: 7, bytes: 0x1_0000_0001n }, weight: -1, mark: 0x01020304, on: true, proto: 6 };
  const bytes = netlink.encodeAttributes(schema, value);
  const stats = bytes.indexOf(Buffer.from([0x0a, 0x80]));
  t.true(stats > 0, 'nested type has the 0x8000 bit');
  t.deepEqual(netlink.decodeAttributes(schema, bytes), value);
  t.true(bytes.includes(Buffer.from('01020304', 'hex')), 'be32 in network order');
});

test('decode skips unknown attributes and strips the NUL of strings', (t) => {
  const unknown = Buffer.from('0800' + '6300' + 'deadbeef', 'hex');
  const known = netlink.encodeAttributes(schema, { name: 'wlc' });
  t.deepEqual(netlink.decodeAttributes(schema, Buffer.concat([unknown, known])), { name: 'wlc' });
});

test('encode rejects out-of-range and wrong-typed values naming the attribute', (t) => {
  t.throws(() => netlink.encodeAttributes(schema, { af: 70000 }), { code: 'ERR_INVALID_ARG', message: /af/ });
  t.throws(() => netlink.encodeAttributes(schema, { name: 'a'.repeat(16) }), { message: /name: longer than 15/ });
  t.throws(() => netlink.encodeAttributes(schema, { addr: Buffer.alloc(4) }), { message: /addr: must be 16 bytes/ });
  t.throws(() => netlink.encodeAttributes(schema, { stats: { bytes: -1n } }), { message: /stats\.bytes/ });
  t.throws(() => netlink.encodeAttributes(schema, { flags: { flags: 1 } }), { message: /flags\.mask/ });
});

test('decode reports malformed lengths with offset and path', (t) => {
  const good = netlink.encodeAttributes(schema, { af: 2, stats: { conns: 1 } });
  const long = Buffer.from(good);
  long.writeUInt16LE(200, 0);
  t.throws(() => netlink.decodeAttributes(schema, long), { code: 'NETLINK_MALFORMED', message: /past the end/ });
  const short = Buffer.from('0200' + '0100', 'hex');
  t.throws(() => netlink.decodeAttributes(schema, short), { code: 'NETLINK_MALFORMED', message: /below the 4-byte header/ });
  const wrongSize = Buffer.from('0700' + '0100' + '010203' + '00', 'hex');
  const error = t.throws(() => netlink.decodeAttributes(schema, wrongSize), { code: 'NETLINK_MALFORMED' });
  t.is(error.details.attribute, 'af');
  const badNested = Buffer.from(good);
  const at = good.indexOf(Buffer.from([0x0a, 0x80])) - 2;
  badNested.writeUInt16LE(3, at + 4); // inner attribute length 3
  t.throws(() => netlink.decodeAttributes(schema, badNested), { code: 'NETLINK_MALFORMED', message: /in stats/ });
  t.throws(() => netlink.decodeAttributes(schema, Buffer.from('0000ff', 'hex')), { code: 'NETLINK_MALFORMED', message: /stray/ });
});

test('defineSchema refuses duplicate and out-of-range type numbers', (t) => {
  t.throws(() => netlink.defineSchema({ a: { type: 1, kind: 'u8' }, b: { type: 1, kind: 'u8' } }), { message: /used twice/ });
  t.throws(() => netlink.defineSchema({ a: { type: 0, kind: 'u8' } }), { message: /bad type/ });
});
