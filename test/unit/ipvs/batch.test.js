'use strict';
// The batch encoder used by execute()/apply() writes the same bytes as the schema encoder
// (Ipvs.operationRequest, itself checked against ipvsadm's bytes in codec.test.js).
const test = require('ava');
const { ipvs, netlink } = require('../../..');
const { encodeOperations } = require('../../../dist/ipvs/batch');

function client() {
  const c = Object.create(ipvs.Ipvs.prototype);
  const genl = Object.create(netlink.GenericNetlink.prototype);
  genl.family = { id: 0x20, version: 1 };
  c.genl = genl;
  return c;
}

const services = [
  { protocol: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'rr' },
  { protocol: 'udp', address: '2001:db8::5', port: 53, scheduler: 'sh', schedFlags: ['flag-1'], persistent: 300, netmask: 64 },
  { fwmark: 42, scheduler: 'wlc' },
  { fwmark: 7, family: 6, scheduler: 'mh', onePacket: true, pe: 'sip', persistent: 60 },
  { protocol: 'sctp', address: '192.168.10.20', port: 0, persistent: 10, netmask: '255.255.255.0' },
];
const dests = [
  { address: '10.1.0.1', port: 8080, forward: 'masq', weight: 3 },
  { address: '10.1.0.2', port: 0 },
  { address: '2001:db8::9', port: 443, forward: 'tunnel', weight: 0, upperThreshold: 100, lowerThreshold: 7, tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } },
  { address: '10.1.0.3', port: 65535, forward: 'local', tunnel: { type: 'gre', checksum: 'csum' } },
  { address: '::ffff:10.1.0.4', port: 1, forward: 'bypass', weight: 0x7fffffff },
];

test('every kind of operation encodes byte for byte as operationRequest() does', (t) => {
  const ops = [];
  for (const service of services) {
    ops.push({ op: 'add-service', service }, { op: 'edit-service', service }, { op: 'delete-service', service });
    for (const destination of dests) {
      ops.push({ op: 'add-destination', service, destination }, { op: 'edit-destination', service, destination }, { op: 'delete-destination', service, destination: { address: destination.address, port: destination.port } });
    }
  }
  const c = client();
  const fast = encodeOperations(ops, 0x20, 1);
  t.is(fast.length, ops.length);
  ops.forEach((op, i) => {
    const slow = c.operationRequest(op);
    t.is(Buffer.from(fast[i].payload).toString('hex'), Buffer.from(slow.payload).toString('hex'), `${op.op} #${i}`);
    t.is(fast[i].type, slow.type);
    t.is(fast[i].describe(), slow.describe());
  });
});

test('bad operations fail with the same typed errors', (t) => {
  const bad = [
    { op: 'add-destination', service: services[0], destination: { address: 'nope', port: 1 } },
    { op: 'add-destination', service: services[0], destination: { address: '10.0.0.1', port: 70000 } },
    { op: 'edit-destination', service: services[0], destination: { address: '10.0.0.1', port: 1, forward: 'teleport' } },
    { op: 'delete-destination', service: services[0], destination: { address: '10.0.0.1', port: -1 } },
    { op: 'add-service', service: { protocol: 'icmp', address: '10.0.0.1', port: 1 } },
    { op: 'delete-service', service: { protocol: 'tcp', address: '10.0.0.300', port: 1 } },
  ];
  for (const op of bad) {
    t.throws(() => encodeOperations([op], 0x20, 1), { code: 'ERR_INVALID_ARG' }, op.op);
    t.throws(() => client().operationRequest(op), { code: 'ERR_INVALID_ARG' }, op.op);
  }
});
