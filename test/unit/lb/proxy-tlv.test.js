'use strict';
// PROXY v2 TLVs (proxy-protocol.txt 2.2): encoded, parsed by the native (fuzzed) decoder, checked.
const test = require('ava');
const { lb } = require('../../..');

const addresses = { source: '192.0.2.9', sourcePort: 1000, destination: '192.0.2.1', destinationPort: 80 };
const tlv = (type, value) => ({ type, value: Buffer.isBuffer(value) ? value : Buffer.from(value) });
const sub = (type, text) => Buffer.concat([Buffer.from([type, 0, text.length]), Buffer.from(text)]);

test('crc32c matches the Castagnoli check value', (t) => {
  t.is(lb.crc32c(Buffer.from('123456789')), 0xe3069283);
  t.is(lb.crc32c(Buffer.alloc(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
});

test('well-known TLVs decode: ALPN, authority, unique id, netns, SSL with sub-TLVs, CRC32C verified', (t) => {
  const ssl = Buffer.concat([Buffer.from([0x05, 0, 0, 0, 0]), sub(0x21, 'TLSv1.3'), sub(0x22, 'client.example'), sub(0x23, 'TLS_AES_128_GCM_SHA256'), sub(0x24, 'SHA256'), sub(0x25, 'RSA2048')]);
  const header = lb.encodeProxyV2(addresses, [
    tlv(lb.PP2_TYPE.ALPN, 'h2'), tlv(lb.PP2_TYPE.AUTHORITY, 'svc.example'), tlv(lb.PP2_TYPE.UNIQUE_ID, 'id-1'),
    tlv(lb.PP2_TYPE.NETNS, 'blue'), tlv(lb.PP2_TYPE.SSL, ssl), tlv(0xe1, 'custom'),
  ], { crc32c: true });
  const r = lb.parseProxyHeader(header);
  t.is(r.status, 'complete');
  const { info, tlvs } = r.header;
  t.is(info.alpn, 'h2');
  t.is(info.authority, 'svc.example');
  t.is(info.uniqueId.toString(), 'id-1');
  t.is(info.netns, 'blue');
  t.true(info.crc32c);
  t.deepEqual(info.ssl, { client: 5, verify: 0, version: 'TLSv1.3', cn: 'client.example', cipher: 'TLS_AES_128_GCM_SHA256', sigAlg: 'SHA256', keyAlg: 'RSA2048' });
  t.deepEqual(tlvs.map((x) => x.type), [1, 2, 5, 0x30, 0x20, 0xe1, 3]);
  t.is(tlvs[5].value.toString(), 'custom');
  // The same TLV area, bare (as the relay hands it over), decodes the same.
  const bare = header.subarray(16 + 12);
  t.like(lb.decodeProxyTlvs(bare).info, { alpn: 'h2', authority: 'svc.example', netns: 'blue' });
});

test('malformed known TLVs and a wrong CRC32C make the header invalid', (t) => {
  const good = lb.encodeProxyV2(addresses, [tlv(2, 'a.example')], { crc32c: true });
  const flipped = Buffer.from(good);
  flipped[16 + 12 + 3] ^= 1; // one byte of the authority: the checksum no longer matches
  t.deepEqual(lb.parseProxyHeader(flipped), { status: 'invalid', error: 'v2: CRC32C mismatch' });
  t.deepEqual(lb.parseProxyHeader(lb.encodeProxyV2(addresses, [tlv(3, 'abc')])), { status: 'invalid', error: 'v2: CRC32C TLV must be 4 bytes' });
  t.deepEqual(lb.parseProxyHeader(lb.encodeProxyV2(addresses, [tlv(5, Buffer.alloc(129))])), { status: 'invalid', error: 'v2: UNIQUE_ID longer than 128 bytes' });
  t.is(lb.parseProxyHeader(lb.encodeProxyV2(addresses, [tlv(5, Buffer.alloc(128))])).status, 'complete');
  t.deepEqual(lb.parseProxyHeader(lb.encodeProxyV2(addresses, [tlv(0x20, Buffer.from([1, 0, 0]))])), { status: 'invalid', error: 'v2: SSL TLV shorter than 5 bytes' });
  const overflowing = Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), Buffer.from([0x21, 0, 9, 0x41])]);
  t.deepEqual(lb.parseProxyHeader(lb.encodeProxyV2(addresses, [tlv(0x20, overflowing)])), { status: 'invalid', error: 'v2: TLV longer than the header' });
  t.throws(() => lb.decodeProxyTlvs(Buffer.from([2, 0, 5, 0x61])), { code: 'LB_PROXY_TLV' });
});

test('encodeProxyV2 with crc32c replaces a CRC32C TLV given by the caller', (t) => {
  const h = lb.encodeProxyV2(undefined, [tlv(3, Buffer.from([1, 2, 3, 4]))], { crc32c: true });
  const r = lb.parseProxyHeader(h);
  t.is(r.status, 'complete');
  t.true(r.header.local);
  t.is(r.header.tlvs.filter((x) => x.type === 3).length, 1);
});

test('listener proxyV2 options are validated', (t) => {
  const pool = new lb.Pool();
  t.throws(() => new lb.TcpProxy({ listeners: [{ port: 0, pool, sendProxy: 'v2', proxyV2: { forwardTlvs: 'some' } }] }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => new lb.TcpProxy({ listeners: [{ port: 0, pool, sendProxy: 'v2', proxyV2: { forwardTlvs: [300] } }] }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => new lb.TcpProxy({ listeners: [{ port: 0, pool, sendProxy: 'v2', proxyV2: { tlvs: [{ type: 1, value: 'x' }] } }] }), { code: 'ERR_INVALID_ARG' });
  t.notThrows(() => new lb.TcpProxy({ listeners: [{ port: 0, pool, sendProxy: 'v2', proxyV2: { forwardTlvs: [1, 2], uniqueId: true, crc32c: true } }] }));
});
