'use strict';
const test = require('ava');
const path = require('path');
const { vrrp } = require('../../..');
const { readPcap, layers } = require('./pcap');

const fixtures = path.join(__dirname, '..', '..', 'fixtures', 'vrrp');
const hex = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function vrrpFrames(name) {
  return readPcap(path.join(fixtures, name)).map((frame) => ({ frame, ...layers(frame) })).filter((f) => f.proto === 112);
}

test('v3 IPv4 advert from keepalived: fields, pseudo-header checksum 0x0568, plain sum 0xa802', (t) => {
  const bytes = hex('31 33 64 01 00 64 05 68 c0 00 02 64');
  const a = vrrp.decodeAdvert(bytes, 4, '192.0.2.11', '224.0.0.18');
  t.like(a, { version: 3, type: 1, vrid: 51, priority: 100, count: 1, interval: 100, checksum: 0x0568, checksumPseudoOk: true, checksumPlainOk: false });
  t.deepEqual(a.addresses, ['192.0.2.100']);
  // the same advert without the pseudo-header carries a802 (keepalived rejects it; v3_checksum_as_v2 accepts it)
  const plain = vrrp.encodeAdvert({ version: 3, vrid: 51, priority: 100, interval: 100, addresses: ['192.0.2.100'], checksum: 'plain' });
  t.is(plain.readUInt16BE(6), 0xa802);
  t.true(vrrp.decodeAdvert(plain, 4, '192.0.2.11', '224.0.0.18').checksumPlainOk);
  // the source is in the sum: h2's advert at 150 differs from h1's by one
  const from = (src) => vrrp.encodeAdvert({ version: 3, vrid: 51, priority: 150, interval: 100, addresses: ['192.0.2.100'], src, dst: '224.0.0.18' }).readUInt16BE(6);
  t.is(from('192.0.2.12'), 0xd366);
  t.is(from('192.0.2.11'), 0xd367);
});

test('unicast v3 advert h2 -> h1 matches keepalived (pseudo-header holds the peer)', (t) => {
  const built = vrrp.encodeAdvert({ version: 3, vrid: 53, priority: 150, interval: 100, addresses: ['192.0.2.100'], src: '192.0.2.12', dst: '192.0.2.11' });
  t.deepEqual(built, hex('31 35 96 01 00 64 f1 6b c0 00 02 64'));
});

test('v2 advert with PASS secret12: checksum over the message only (0x49e4)', (t) => {
  const bytes = hex('21 36 64 01 01 01 49 e4 c0 00 02 64 73 65 63 72 65 74 31 32');
  const a = vrrp.decodeAdvert(bytes, 4, '192.0.2.11', '224.0.0.18');
  t.like(a, { version: 2, vrid: 54, priority: 100, authType: 1, interval: 1, checksumPlainOk: true, checksumPseudoOk: false });
  t.is(a.auth.toString(), 'secret12');
  const built = vrrp.encodeAdvert({ version: 2, vrid: 54, priority: 100, interval: 1, addresses: ['192.0.2.100'], password: 'secret12' });
  t.deepEqual(built, bytes);
  // v2 never uses the pseudo-header, whatever is asked
  t.deepEqual(vrrp.encodeAdvert({ version: 2, vrid: 54, priority: 100, interval: 1, addresses: ['192.0.2.100'], password: 'secret12', src: '192.0.2.11', dst: '224.0.0.18', checksum: 'pseudo' }), bytes);
});

test('v3 IPv6 advert: IPv6 pseudo-header checksum 0x3fa4 (0x3cd3 over the message alone)', (t) => {
  const bytes = hex('31 37 64 02 00 64 3f a4 fe800000000000000000000000000055 20010db8000000000000000000000100');
  const a = vrrp.decodeAdvert(bytes, 6, 'fe80::ff:fe00:1', 'ff02::12');
  t.true(a.checksumPseudoOk);
  t.deepEqual(a.addresses, ['fe80::55', '2001:db8::100']);
  const plain = vrrp.encodeAdvert({ version: 3, vrid: 55, priority: 100, interval: 100, addresses: ['fe80::55', '2001:db8::100'], checksum: 'plain' });
  t.is(plain.readUInt16BE(6), 0x3cd3);
  t.deepEqual(vrrp.encodeAdvert({ version: 3, vrid: 55, priority: 100, interval: 100, addresses: ['fe80::55', '2001:db8::100'], src: 'fe80::ff:fe00:1', dst: 'ff02::12' }), bytes);
});

for (const [file, family] of [['v3-ipv4-vrid51.pcap', 4], ['v2-auth-vrid54.pcap', 4], ['v3-ipv6-vrid55.pcap', 6]]) {
  test(`every advert in ${file} decodes, verifies and re-encodes byte for byte`, (t) => {
    const frames = vrrpFrames(file);
    t.true(frames.length >= 10);
    for (const f of frames) {
      if (family === 4) {
        const ip = vrrp.decodeIpv4Header(f.ip);
        t.is(ip.ttl, 255);
        t.deepEqual(ip.payload, f.payload);
      }
      const a = vrrp.decodeAdvert(f.payload, family, f.src, f.dst);
      t.true(a.version === 2 ? a.checksumPlainOk : a.checksumPseudoOk, `${file}: checksum`);
      const again = vrrp.encodeAdvert({
        version: a.version, vrid: a.vrid, priority: a.priority, interval: a.interval, addresses: a.addresses,
        ...(a.version === 2 ? { authType: a.authType, password: a.auth.toString().replace(/\0+$/, '') } : {}),
        src: vrrp.formatAddress(f.src), dst: vrrp.formatAddress(f.dst),
      });
      t.deepEqual(again, f.payload);
    }
    // the priority-0 advert of the graceful stop is there
    t.true(frames.some((f) => f.payload[2] === 0));
  });
}

test('gratuitous ARP and unsolicited NA frames equal keepalived\'s', (t) => {
  const arp = readPcap(path.join(fixtures, 'v3-ipv4-vrid51.pcap')).find((f) => f.readUInt16BE(12) === 0x0806);
  t.deepEqual(vrrp.announceFrame(arp.subarray(6, 12), '192.0.2.100'), arp.subarray(0, 42));
  t.deepEqual(vrrp.announceFrame('02:00:00:00:00:02', '192.0.2.100'),
    hex('ff ff ff ff ff ff 02 00 00 00 00 02 08 06 00 01 08 00 06 04 00 01 02 00 00 00 00 02 c0 00 02 64 ff ff ff ff ff ff c0 00 02 64'));
  const nas = readPcap(path.join(fixtures, 'v3-ipv6-vrid55.pcap')).filter((f) => f.readUInt16BE(12) === 0x86dd && f[20] === 58);
  t.true(nas.length >= 10);
  for (const na of nas) {
    const target = vrrp.formatAddress(na.subarray(62, 78));
    t.deepEqual(vrrp.announceFrame(na.subarray(6, 12), target), na);
  }
});

test('malformed adverts are rejected with the error the receive path counts', (t) => {
  const ok = hex('31 33 c8 01 00 64 00 00 c0 00 02 64');
  const code = (b, fam = 4) => { try { vrrp.decodeAdvert(b, fam); return 'OK'; } catch (e) { return e.code; } };
  t.is(code(ok), 'OK');
  t.is(code(ok.subarray(0, 7)), 'VRRP_TOO_SHORT');
  t.is(code(hex('31 33 c8 02 00 64 00 00 c0 00 02 64')), 'VRRP_TOO_SHORT');     // count 2, one address
  t.is(code(Buffer.concat([ok, hex('00000000')])), 'VRRP_TOO_LONG');           // 4 extra bytes
  t.is(code(hex('11 33 c8 01 00 64 00 00 c0 00 02 64')), 'VRRP_BAD_VERSION');
  t.is(code(hex('41 33 c8 01 00 64 00 00 c0 00 02 64')), 'VRRP_BAD_VERSION');
  t.is(code(hex('32 33 c8 01 00 64 00 00 c0 00 02 64')), 'VRRP_BAD_TYPE');
  t.is(code(ok, 6), 'VRRP_TOO_SHORT');                                          // one IPv6 address needs 16 bytes
  t.is(code(hex('21 36 64 01 01 01 49 e4 c0 00 02 64')), 'VRRP_TOO_SHORT');    // v2 without its 8 auth bytes
  t.throws(() => vrrp.decodeIpv4Header(hex('45 c0 00 40 00 01 00 00 ff 70 00 00 c0 00 02 0b e0 00 00 12')), { code: 'VRRP_BAD_IP_HEADER' }); // total length past the end
  t.throws(() => vrrp.decodeIpv4Header(hex('45 c0 00 14 00 01 00 00 ff 06 00 00 c0 00 02 0b e0 00 00 12')), { code: 'VRRP_BAD_PROTOCOL' });
  // padding after the IP total length (real Ethernet pads to 60 bytes) is not part of the advert
  const f = vrrpFrames('v3-ipv4-vrid51.pcap')[0];
  const padded = Buffer.concat([f.ip, Buffer.alloc(14)]);
  t.deepEqual(vrrp.decodeIpv4Header(padded).payload, f.payload);
});

test('encode checks its arguments before native code', (t) => {
  const base = { version: 3, vrid: 51, priority: 100, interval: 100, addresses: ['192.0.2.100'], src: '192.0.2.11', dst: '224.0.0.18' };
  t.throws(() => vrrp.encodeAdvert({ ...base, vrid: 0 }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => vrrp.encodeAdvert({ ...base, priority: 256 }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => vrrp.encodeAdvert({ ...base, interval: 4096 }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => vrrp.encodeAdvert({ ...base, addresses: [] }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => vrrp.encodeAdvert({ ...base, addresses: ['192.0.2.100', '2001:db8::1'] }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => vrrp.encodeAdvert({ ...base, src: undefined }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => vrrp.encodeAdvert({ ...base, version: 2, interval: 1, password: '123456789' }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => vrrp.encodeAdvert({ ...base, addresses: ['not-an-ip'] }), { code: 'ERR_INVALID_ARG' });
  // native re-checks a caller that bypasses lib/
  const native = require('../../../dist/vrrp/codec').nativeVrrp();
  t.throws(() => native.encode({ version: 9 }), { code: 'ERR_NATIVE_ARGS' });
  t.throws(() => native.decode('x', 4), { code: 'ERR_NATIVE_ARGS' });
});

test('address helpers: RFC 5952 text, virtual MACs', (t) => {
  t.is(vrrp.canonical('2001:DB8:0:0::100'), '2001:db8::100');
  t.is(vrrp.canonical('fe80::ff:fe00:1'), 'fe80::ff:fe00:1');
  t.is(vrrp.canonical('::ffff:192.0.2.1'), '::ffff:c000:201');
  t.is(vrrp.formatAddress(Buffer.alloc(16)), '::');
  t.is(vrrp.virtualMac(56, 4), '00:00:5e:00:01:38');
  t.is(vrrp.virtualMac(1, 6), '00:00:5e:00:02:01');
});

test('random bytes never crash the parser and round-trip when they parse', (t) => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  let parsed = 0;
  for (let i = 0; i < 20000; i++) {
    const len = rand() % 48;
    const b = Buffer.from(Array.from({ length: len }, rand));
    if (len > 0) b[0] = (rand() & 1 ? 0x31 : 0x21);
    if (len > 3) b[3] = rand() % 3;
    const r = require('../../../dist/vrrp/codec').decodeRaw(b, 4, '192.0.2.1', '224.0.0.18');
    if ('error' in r) { t.regex(r.error, /^VRRP_/); continue; }
    parsed++;
  }
  t.true(parsed > 10);
});
