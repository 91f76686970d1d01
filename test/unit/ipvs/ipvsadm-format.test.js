'use strict';
// ipvsadm's listings, byte for byte: the table ipvsadm 1.31 saved (-S -n) on a real kernel is
// parsed by hakit's ipvsadm parser, rebuilt, and printed with each listing option; the result
// must equal what ipvsadm itself printed for that table (test/fixtures/ipvs/probe, captured
// in the IPVS guest by test/labs/ipvs-guest).
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { parseCommand, splitLine } = require('../../../dist/ipvs/ipvsadm/parse');
const format = require('../../../dist/ipvs/ipvsadm/format');
const { systemNames } = require('../../../dist/ipvs/ipvsadm/names');
const { needs, requires } = require('../../helpers/env');

const dir = path.join(__dirname, '..', '..', 'fixtures', 'ipvs', 'probe');
const fixture = (name) => fs.readFileSync(path.join(dir, name), 'utf8').replace(/rc=\d+\n$/, '');
const zero = { conns: 0n, inpkts: 0n, outpkts: 0n, inbytes: 0n, outbytes: 0n, cps: 0n, inpps: 0n, outpps: 0n, inbps: 0n, outbps: 0n };

// What the kernel would report back for the save file's commands.
async function tableFromSave(text) {
  const services = [];
  for (const line of text.split('\n')) {
    const argv = splitLine(line);
    if (!argv.length) continue;
    const e = await parseCommand(argv);
    const s = e.svc;
    const key = (x) => (x.fwmark ? `f${x.fwmark}|${x.family}` : `${x.protocol}|${x.address}|${x.port}`);
    const svc = {
      family: s.af,
      protocolNumber: { tcp: 6, udp: 17, sctp: 132 }[s.protocol],
      ...(s.fwmark ? { fwmark: s.fwmark } : { protocol: s.protocol, address: s.address, port: s.port }),
      scheduler: s.scheduler,
      flags: (s.persistent ? 1 : 0) | (s.onePacket ? 4 : 0) | s.schedFlags | 2,
      netmask: s.netmask,
      onePacket: s.onePacket,
      ...(s.persistent ? { persistent: s.timeout } : {}),
      stats: zero,
      destinations: [],
    };
    if (e.cmd === 'add') services.push(svc);
    else {
      const parent = services.find((x) => key(x) === key(svc));
      const d = e.dest;
      parent.destinations.push({
        family: d.af, address: d.address, port: d.port, forward: d.forward, forwardFlags: 0, weight: d.weight,
        upperThreshold: d.upper, lowerThreshold: d.lower, activeConns: 0, inactConns: 0, persistConns: 0,
        tunnel: { type: d.tunType, port: d.tunPort, checksum: d.tunFlags }, stats: zero,
      });
    }
  }
  return services;
}

const info = { version: '1.2.1', versionCode: 0x010201, connTableSize: 4096 };
const cases = [
  ['Ln.txt', format.FMT.NUMERIC],
  ['Lnstats.txt', format.FMT.NUMERIC | format.FMT.STATS],
  ['Lnrate.txt', format.FMT.NUMERIC | format.FMT.RATE],
  ['Lnexact.txt', format.FMT.NUMERIC | format.FMT.EXACT],
  ['Lnstatsexact.txt', format.FMT.NUMERIC | format.FMT.STATS | format.FMT.EXACT],
  ['Lnpersistentconn.txt', format.FMT.NUMERIC | format.FMT.PERSISTENTCONN],
  ['Lntuninfo.txt', format.FMT.NUMERIC | format.FMT.TUN_INFO],
  ['Lnsort.txt', format.FMT.NUMERIC],
  ['Sn.txt', format.FMT.NUMERIC | format.FMT.RULE],
];

for (const [name, fmt] of cases) {
  test(`${name} is reproduced byte for byte`, async (t) => {
    const table = await tableFromSave(fixture('Sn.txt'));
    // the fixture's table had thresholds on one destination; -S does not save them
    table.find((s) => s.port === 80 && s.address === '10.1.2.3').destinations.find((d) => d.port === 8080 && d.address === '10.0.0.6').upperThreshold = 100;
    table.find((s) => s.port === 80 && s.address === '10.1.2.3').destinations.find((d) => d.port === 8080 && d.address === '10.0.0.6').lowerThreshold = 10;
    t.is(format.listAll(info, table, fmt), fixture(name));
  });
}

test('thresholds listing matches', async (t) => {
  const table = await tableFromSave(fixture('Sn.txt'));
  const svc = table.find((s) => s.port === 80 && s.address === '10.1.2.3');
  Object.assign(svc.destinations.find((d) => d.address === '10.0.0.6'), { upperThreshold: 100, lowerThreshold: 10 });
  t.is(format.listAll(info, table, format.FMT.NUMERIC | format.FMT.THRESHOLDS), fixture('Lnthresholds.txt'));
});

needs(test, [requires.file('/etc/services', 'netbase')])('names: -L and -S with /etc/services port names', async (t) => {
  const table = await tableFromSave(fixture('Sn.txt'));
  const addresses = table.flatMap((s) => [s.address, ...s.destinations.map((d) => d.address)]).filter(Boolean);
  const numericHosts = await systemNames([]); // services only; hosts of the fixture have no names
  t.is(format.listAll(info, table, format.FMT.RULE, numericHosts), fixture('S.txt'));
  t.is(format.listAll(info, table, 0, numericHosts), fixture('L.txt'));
  t.true(addresses.length > 10);
});

test('single-service listing has the title but no version line', async (t) => {
  const table = await tableFromSave(fixture('Sn.txt'));
  const svc = table.find((s) => s.port === 80 && s.address === '10.1.2.3');
  t.is(format.listService(svc, format.FMT.NUMERIC), fixture('Ln-t.txt'));
  t.is(format.listService(table.find((s) => s.fwmark === 7), format.FMT.NUMERIC), fixture('Ln-f.txt'));
});

test('print_largenum scaling and --exact widths', (t) => {
  const f = format.largenum;
  t.is(f(99999999n, 0), ' 99999999');
  t.is(f(100000000n, 0), '  100000K');
  t.is(f(1234567890n, 0), '    1234M');
  t.is(f(123456789012n, 0), '     123G');
  t.is(f(123456789012345n, 0), '     123T');
  t.is(f(123456789012n, format.FMT.EXACT), ' 123456789012');
  t.is(f(5n, format.FMT.EXACT), '        5');
});

test('timeouts and daemons lines', (t) => {
  t.is(format.listTimeouts({ tcp: 900, tcpFin: 120, udp: 300 }), fixture('timeout.txt').split('\n')[0] + '\n');
  t.is(format.listDaemons([{ state: 'backup', interface: 'lo', syncId: 0 }, { state: 'master', interface: 'eth1', syncId: 5, maxLength: 1400, group: '224.0.0.81', port: 8849, ttl: 2 }]),
    'master sync daemon (mcast=eth1, syncid=5, maxlen=1400, group=224.0.0.81, port=8849, ttl=2)\nbackup sync daemon (mcast=lo, syncid=0)\n');
});
