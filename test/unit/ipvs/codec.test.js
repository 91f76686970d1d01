'use strict';
// Byte-level IPVS encoding (no kernel): hakit's requests against the bytes ipvsadm 1.31 sent
// for the same commands (strace in the IPVS guest, test/fixtures/ipvs/probe/strace-add.txt).
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { ipvs, netlink } = require('../../..');

const { commandSchema, serviceSchema, destSchema, commands } = ipvs.schema;
const strace = fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'ipvs', 'probe', 'strace-add.txt'), 'utf8');

// The generic netlink payloads ipvsadm sent to the IPVS family (type 0x20 on that boot).
function ipvsadmPayloads() {
  const out = [];
  const re = /nlmsg_type=0x20[^}]*}, "((?:\\x[0-9a-f]{2})*)"/g;
  for (const m of strace.matchAll(re)) out.push(Buffer.from(m[1].replace(/\\x/g, ''), 'hex'));
  return out;
}

function hakitPayload(command, attrs) {
  const genl = Object.create(netlink.GenericNetlink.prototype);
  genl.family = { id: 0x20, version: 1 };
  return Buffer.from(genl.requestWith(command, commandSchema, attrs).payload);
}

test('NEW_SERVICE for -A -t 10.7.7.7:80 -s rr is byte-identical to ipvsadm', (t) => {
  const sent = ipvsadmPayloads().find((p) => p[0] === commands.NEW_SERVICE);
  t.truthy(sent, 'the fixture has the NEW_SERVICE message');
  const mine = hakitPayload(commands.NEW_SERVICE, { service: ipvs.serviceAttrs({ protocol: 'tcp', address: '10.7.7.7', port: 80, scheduler: 'rr' }) });
  t.is(mine.toString('hex'), sent.toString('hex'));
});

test('NEW_DEST for -a -r 10.8.8.8:81 -m -w 2 carries the same destination attributes', (t) => {
  const sent = ipvsadmPayloads().find((p) => p[0] === commands.NEW_DEST);
  t.truthy(sent);
  const theirs = netlink.decodeAttributes(commandSchema, sent, 4);
  const mine = netlink.decodeAttributes(commandSchema, hakitPayload(commands.NEW_DEST, { service: ipvs.serviceKeyAttrs({ protocol: 'tcp', address: '10.7.7.7', port: 80 }), dest: ipvs.destAttrs({ address: '10.8.8.8', port: 81, forward: 'masq', weight: 2 }) }), 4);
  for (const key of Object.keys(theirs.dest)) t.deepEqual(mine.dest[key], theirs.dest[key], `dest.${key}`);
  for (const key of ['af', 'protocol', 'addr', 'port']) t.deepEqual(mine.service[key], theirs.service[key], `service.${key}`);
});

test('service attributes: fwmark, IPv6 prefix, persistence, flags, pe', (t) => {
  const fw = ipvs.serviceAttrs({ fwmark: 7, family: 6, scheduler: 'sh', persistent: 600, netmask: 64, schedFlags: ['flag-1', 'flag-2'], onePacket: true, pe: 'sip' });
  t.deepEqual({ af: fw.af, fwmark: fw.fwmark, netmask: fw.netmask, timeout: fw.timeout, flags: fw.flags, peName: fw.peName }, { af: 10, fwmark: 7, netmask: 64, timeout: 600, flags: { flags: 0x1 | 0x4 | 0x8 | 0x10, mask: 0xffffffff }, peName: 'sip' });
  t.is(fw.addr, undefined);
  const v4 = ipvs.serviceAttrs({ protocol: 'udp', address: '10.0.0.1', port: 53, persistent: 60, netmask: '255.255.255.0' });
  t.is(v4.netmask, 0x00ffffff, 'the __be32 mask read as little-endian u32');
  t.is(v4.schedName, 'wlc', "ipvsadm's default scheduler");
  const v6 = ipvs.serviceAttrs({ protocol: 'tcp', address: '2001:db8::1', port: 80 });
  t.is(v6.af, 10);
  t.is(v6.addr.toString('hex'), '20010db8000000000000000000000001');
  t.throws(() => ipvs.serviceAttrs({ protocol: 'tcp', address: 'nope', port: 80 }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => ipvs.serviceAttrs({ protocol: 'icmp', address: '10.0.0.1', port: 80 }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => ipvs.serviceAttrs({ protocol: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'x'.repeat(16) }), { code: 'ERR_INVALID_ARG' });
});

test('destination attributes: tunnel type, port (big-endian) and checksum flags', (t) => {
  const d = ipvs.destAttrs({ address: '10.9.9.9', port: 443, forward: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } });
  t.deepEqual({ fwd: d.fwdMethod, type: d.tunType, port: d.tunPort, flags: d.tunFlags, weight: d.weight }, { fwd: 2, type: 1, port: 6080, flags: 2, weight: 1 });
  const bytes = netlink.encodeAttributes(destSchema, d);
  t.true(bytes.includes(Buffer.from('06000e0017c00000', 'hex')), 'tun port 6080 = 0x17c0 in network order');
  t.is(ipvs.destAttrs({ address: '10.0.0.1', port: 1 }).fwdMethod, 3, 'direct routing by default, as ipvsadm');
});

test('decoding the kernel form: service with stats64 and flags', (t) => {
  const attrs = { af: 2, protocol: 6, addr: Buffer.from('0a0102030000000000000000000000000', 'hex').subarray(0, 16), port: 80, schedName: 'sh', flags: { flags: 0x1 | 0x2 | 0x8, mask: 0xffffffff }, timeout: 300, netmask: 0x00ffffff, stats64: { conns: 2n ** 40n, inbytes: 5n } };
  const decoded = ipvs.decodeService(netlink.decodeAttributes(serviceSchema, netlink.encodeAttributes(serviceSchema, attrs)));
  t.is(decoded.address, '10.1.2.3');
  t.is(decoded.persistent, 300);
  t.is(decoded.netmask, '255.255.255.0');
  t.deepEqual(decoded.schedFlags, ['flag-1']);
  t.is(decoded.stats.conns, 2n ** 40n);
});

test('addresses print like glibc inet_ntop', (t) => {
  const f = (a) => ipvs.formatAddress(6, ipvs.addressBytes(a));
  t.is(f('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  t.is(f('::1'), '::1');
  t.is(f('::'), '::');
  t.is(f('::ffff:10.1.2.3'), '::ffff:10.1.2.3');
  t.is(f('::10.1.2.3'), '::10.1.2.3');
  t.is(f('1:0:0:1:0:0:0:1'), '1:0:0:1::1');
  t.is(f('1:0:1:0:1:0:1:0'), '1:0:1:0:1:0:1:0');
  t.is(ipvs.canonicalAddress('2001:DB8:0::1'), '2001:db8::1');
});
