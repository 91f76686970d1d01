'use strict';
const test = require('ava');
const { lb } = require('../../..');

const addrs = { source: '192.168.0.1', sourcePort: 56324, destination: '10.0.0.2', destinationPort: 443 };

test('v1 encodes as the spec example and parses back', (t) => {
  const h = lb.encodeProxyV1(addrs);
  t.is(h.toString(), 'PROXY TCP4 192.168.0.1 10.0.0.2 56324 443\r\n');
  const r = lb.parseProxyHeader(Buffer.concat([h, Buffer.from('GET / HTTP/1.1\r\n')]));
  t.is(r.status, 'complete');
  t.like(r.header, { version: 1, length: h.length, local: false, family: 'ipv4', ...addrs });
  t.is(lb.encodeProxyV1().toString(), 'PROXY UNKNOWN\r\n');
  t.like(lb.parseProxyHeader(lb.encodeProxyV1()).header, { local: true, version: 1 });
  t.is(lb.encodeProxyV1({ ...addrs, source: '::1' }).toString(), 'PROXY TCP6 ::1 ::ffff:10.0.0.2 56324 443\r\n');
});

test('v2 encodes the documented layout (IPv4, IPv6, LOCAL, TLVs) and parses back', (t) => {
  const h = lb.encodeProxyV2(addrs, [{ type: lb.PP2_TYPE.AUTHORITY, value: Buffer.from('example.com') }]);
  t.deepEqual([...h.subarray(0, 16)], [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 12 + 3 + 11]);
  t.deepEqual([...h.subarray(16, 28)], [192, 168, 0, 1, 10, 0, 0, 2, 0xdc, 0x04, 0x01, 0xbb]);
  const r = lb.parseProxyHeader(h);
  t.like(r.header, { version: 2, family: 'ipv4', local: false, ...addrs, length: h.length });
  t.is(r.header.tlvs[0].type, 2);
  t.is(Buffer.from(r.header.tlvs[0].value).toString(), 'example.com');
  const v6 = lb.parseProxyHeader(lb.encodeProxyV2({ source: '2001:db8::1', sourcePort: 1, destination: 'fe80::1:2', destinationPort: 2 }));
  t.like(v6.header, { family: 'ipv6', source: '2001:db8::1', destination: 'fe80::1:2' });
  const local = lb.parseProxyHeader(lb.encodeProxyV2());
  t.like(local.header, { local: true, version: 2, length: 16 });
});

test('incomplete and invalid headers are told apart', (t) => {
  const h = lb.encodeProxyV2(addrs);
  for (let n = 0; n < h.length; n++) t.is(lb.parseProxyHeader(h.subarray(0, n)).status, 'incomplete', `prefix ${n}`);
  const v1 = lb.encodeProxyV1(addrs);
  for (let n = 0; n < v1.length; n++) t.is(lb.parseProxyHeader(v1.subarray(0, n)).status, 'incomplete');
  for (const bad of ['GET / HTTP/1.1\r\n', 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', 'PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n', 'PROXY UDP4 a b 1 2\r\n', 'PROXY ' + 'x'.repeat(120)]) {
    const r = lb.parseProxyHeader(Buffer.from(bad));
    t.is(r.status, 'invalid', bad);
    t.is(typeof r.error, 'string');
  }
  const wrongVersion = Buffer.from(h); wrongVersion[12] = 0x31;
  t.is(lb.parseProxyHeader(wrongVersion).status, 'invalid');
  const shortAddr = Buffer.from(h.subarray(0, 16 + 8)); shortAddr.writeUInt16BE(8, 14);
  t.is(lb.parseProxyHeader(shortAddr).status, 'invalid');
  const badTlv = Buffer.concat([h, Buffer.from([1, 0, 9, 1])]); badTlv.writeUInt16BE(12 + 4, 14);
  t.is(lb.parseProxyHeader(badTlv).status, 'invalid');
});

test('property: v2 round trip for random addresses and TLVs; mutations never crash', (t) => {
  const rand = lb.xorshift32(99);
  const byte = () => Math.floor(rand() * 256);
  for (let i = 0; i < 3000; i++) {
    const v6 = rand() < 0.5;
    const ip = () => v6 ? Array.from({ length: 8 }, () => Math.floor(rand() * 65536).toString(16)).join(':') : Array.from({ length: 4 }, byte).join('.');
    const a = { source: ip(), sourcePort: Math.floor(rand() * 65536), destination: ip(), destinationPort: Math.floor(rand() * 65536) };
    // Any type but CRC32C and SSL, whose values are checked (proxy-tlv.test.js covers them).
    const type = () => { const b = byte(); return b === 0x03 || b === 0x20 ? 0xe0 : b; };
    const tlvs = Array.from({ length: Math.floor(rand() * 3) }, () => ({ type: type(), value: Buffer.from(Array.from({ length: Math.floor(rand() * 20) }, byte)) }));
    const h = lb.encodeProxyV2(a, tlvs);
    const r = lb.parseProxyHeader(h);
    t.is(r.status, 'complete');
    t.is(r.header.sourcePort, a.sourcePort);
    t.is(r.header.destinationPort, a.destinationPort);
    t.is(r.header.tlvs.length, tlvs.length);
    // Mutate a few bytes: the parser answers, never crashes, and never claims bytes it was not given.
    const m = Buffer.from(h);
    for (let k = 0; k < 3; k++) m[Math.floor(rand() * m.length)] = byte();
    const cut = m.subarray(0, Math.floor(rand() * (m.length + 1)));
    const r2 = lb.parseProxyHeader(cut);
    t.true(['complete', 'incomplete', 'invalid'].includes(r2.status));
    if (r2.status === 'complete') t.true(r2.header.length <= cut.length);
  }
});

test('trusted source lists match addresses and CIDRs (IPv4, IPv6, mapped)', (t) => {
  const set = new lb.AddressSet(['127.0.0.1', '10.0.0.0/8', '192.168.1.128/25', 'fd00::/8']);
  t.true(set.has('127.0.0.1'));
  t.false(set.has('127.0.0.2'));
  t.true(set.has('10.200.3.4'));
  t.true(set.has('::ffff:10.1.1.1'));
  t.true(set.has('192.168.1.200'));
  t.false(set.has('192.168.1.100'));
  t.true(set.has('fd12::1'));
  t.false(set.has('fe80::1'));
  t.false(set.has('not an ip'));
  t.throws(() => new lb.AddressSet(['10.0.0.0/33']), { code: 'LB_BAD_CIDR' });
  t.throws(() => new lb.AddressSet(['host']), { code: 'LB_BAD_CIDR' });
  t.throws(() => lb.encodeProxyV1({ ...addrs, source: 'x' }), { code: 'ERR_INVALID_ARG' });
});
