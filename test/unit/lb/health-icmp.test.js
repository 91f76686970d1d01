'use strict';
// ICMP echo packets, byte by byte (no raw socket needed): IPv4 (RFC 792) and ICMPv6 (RFC 4443).
const test = require('ava');
const { lb } = require('../../..');

test('IPv4 echo request: type 8, identifier, sequence, payload, a checksum that verifies to 0', (t) => {
  const p = lb.echoRequest(0x1234, 7, Buffer.from('hi'));
  t.deepEqual([...p.subarray(0, 1)], [8]);
  t.is(p.readUInt16BE(4), 0x1234);
  t.is(p.readUInt16BE(6), 7);
  t.is(p.subarray(8).toString(), 'hi');
  t.is(lb.internetChecksum(p), 0);
});

test('ICMPv6 echo request: type 128, checksum left to the kernel (RFC 3542)', (t) => {
  const p = lb.echoRequest(0xbeef, 65535, Buffer.from('x'), 6);
  t.is(p[0], 128);
  t.is(p[1], 0);
  t.is(p.readUInt16BE(2), 0);
  t.is(p.readUInt16BE(4), 0xbeef);
  t.is(p.readUInt16BE(6), 65535);
});

test('echo replies are found after the IPv4 header, at 0 for IPv6; anything else is refused', (t) => {
  const reply4 = Buffer.alloc(32);
  reply4[0] = 0x46; // IHL 6: a 24-byte header with options
  reply4[24] = 0; // echo reply
  t.is(lb.echoReplyOffset(reply4, 4), 24);
  reply4[24] = 8; // our own request, seen on loopback
  t.is(lb.echoReplyOffset(reply4, 4), -1);
  t.is(lb.echoReplyOffset(Buffer.alloc(10), 4), -1);
  const bad = Buffer.alloc(28);
  bad[0] = 0x42; // IHL 2: impossible
  t.is(lb.echoReplyOffset(bad, 4), -1);
  const reply6 = Buffer.alloc(8);
  reply6[0] = 129;
  t.is(lb.echoReplyOffset(reply6, 6), 0);
  reply6[0] = 135; // neighbour solicitation
  t.is(lb.echoReplyOffset(reply6, 6), -1);
  t.is(lb.echoReplyOffset(Buffer.from([129, 0, 0]), 6), -1);
});

test('a name is refused without touching a socket', async (t) => {
  const p = new lb.Pinger();
  t.like(await p.ping('localhost', 100), { ok: false, detail: 'ICMP checks need a numeric IPv4 or IPv6 address' });
  p.close();
});
