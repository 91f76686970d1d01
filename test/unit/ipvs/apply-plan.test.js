'use strict';
// apply()'s planner: only the difference between the table and the desired state.
const test = require('ava');
const { ipvs } = require('../../..');

const zero = { conns: 0n, inpkts: 0n, outpkts: 0n, inbytes: 0n, outbytes: 0n, cps: 0n, inpps: 0n, outpps: 0n, inbps: 0n, outbps: 0n };
const current = (services) =>
  services.map((s) => ({
    family: 4, protocolNumber: 6, protocol: 'tcp', address: s.address, port: 80, scheduler: s.scheduler ?? 'wlc', flags: 2, netmask: '255.255.255.255', onePacket: false, schedFlags: [], stats: zero,
    destinations: (s.destinations ?? []).map((d) => ({ family: 4, address: d.address, port: 8080, forward: 'masq', forwardFlags: 0, weight: d.weight ?? 1, upperThreshold: 0, lowerThreshold: 0, activeConns: 0, inactConns: 0, persistConns: 0, tunnel: { type: 'ipip', port: 0, checksum: 'nocsum' }, stats: zero })),
  }));
const want = (address, dests, extra = {}) => ({ protocol: 'tcp', address, port: 80, ...extra, destinations: dests.map(([a, w]) => ({ address: a, port: 8080, forward: 'masq', weight: w })) });

test('equal tables need nothing', (t) => {
  const have = current([{ address: '10.0.0.1', destinations: [{ address: '10.1.0.1' }] }]);
  t.deepEqual(ipvs.plan(have, [want('10.0.0.1', [['10.1.0.1', 1]])]), []);
});

test('each kind of change becomes exactly one operation, removals first', (t) => {
  const have = current([
    { address: '10.0.0.1', destinations: [{ address: '10.1.0.1' }, { address: '10.1.0.2' }] },
    { address: '10.0.0.2', destinations: [] },
    { address: '10.0.0.3' },
  ]);
  const ops = ipvs.plan(have, [want('10.0.0.1', [['10.1.0.1', 5], ['10.1.0.3', 1]]), want('10.0.0.2', [], { scheduler: 'rr' }), want('10.0.0.4', [['10.1.0.9', 1]])]);
  t.deepEqual(ops.map((o) => `${o.op} ${o.service.address}${o.destination ? ' ' + o.destination.address : ''}`), [
    'delete-service 10.0.0.3',
    'delete-destination 10.0.0.1 10.1.0.2',
    'edit-destination 10.0.0.1 10.1.0.1',
    'edit-service 10.0.0.2',
    'add-destination 10.0.0.1 10.1.0.3',
    'add-service 10.0.0.4',
    'add-destination 10.0.0.4 10.1.0.9',
  ]);
});

test('prune: false keeps services it was not told about; duplicates are refused', (t) => {
  const have = current([{ address: '10.0.0.3' }]);
  t.deepEqual(ipvs.plan(have, [], false), []);
  t.throws(() => ipvs.plan([], [want('10.0.0.1', []), want('10.0.0.1', [])]), { code: 'IPVS_DUPLICATE' });
  t.throws(() => ipvs.plan([], [want('10.0.0.1', [['10.1.0.1', 1], ['10.1.0.1', 2]])]), { code: 'IPVS_DUPLICATE' });
  t.throws(() => ipvs.plan([], [want('10.0.0.1', [['10.1.0.1', -1]])]), { code: 'ERR_INVALID_ARG' });
});

test('IPv6 addresses compare in canonical form', (t) => {
  const have = [{ ...current([{ address: '10.0.0.1' }])[0], family: 6, address: '2001:db8::1' }];
  t.deepEqual(ipvs.plan(have, [{ protocol: 'tcp', address: '2001:0DB8:0:0::1', port: 80, destinations: [] }]), []);
});
