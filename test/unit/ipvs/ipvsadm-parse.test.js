'use strict';
// hakit ipvsadm's command line: popt-style clusters, optional -p argument, ipvsadm's checks.
const test = require('ava');
const { parseCommand, IpvsadmExit } = require('../../../dist/ipvs/ipvsadm/parse');

const fails = async (t, argv, message, status = 2) => {
  const error = await t.throwsAsync(parseCommand(argv), { instanceOf: IpvsadmExit });
  t.is(error.message, message);
  t.is(error.status, status);
};

test('clustered short options and -p with and without a value', async (t) => {
  const e = await parseCommand(['-At', '10.0.0.1:80', '-s', 'sh', '-p', '-M', '255.255.0.0', '-b', 'sh-port']);
  t.is(e.cmd, 'add');
  t.is(e.svc.timeout, 360);
  t.is(e.svc.netmask, '255.255.0.0');
  t.is(e.svc.schedFlags, 0x10);
  const f = await parseCommand(['-A', '-u', '[2001:db8::1]:53', '-p', '20', '-o']);
  t.is(f.svc.af, 6);
  t.is(f.svc.timeout, 20);
  t.is(f.svc.netmask, 128);
  const l = await parseCommand(['-Ln', '--stats', '--exact']);
  t.is(l.cmd, 'list');
  t.is(l.format, 0x1 | 0x4 | 0x80);
});

test('real server defaults: direct routing takes the service port', async (t) => {
  const e = await parseCommand(['-a', '-t', '10.0.0.1:80', '-r', '10.0.0.2:8080']);
  t.is(e.dest.port, 80);
  t.is(e.dest.forward, 'route');
  t.is(e.dest.weight, 1);
  const m = await parseCommand(['-a', '-t', '10.0.0.1:80', '-r', '10.0.0.2:8080', '-m', '-x', '5']);
  t.is(m.dest.port, 8080);
  t.is(m.dest.upper, 5);
});

test("ipvsadm's messages for bad command lines", async (t) => {
  await fails(t, ['-A', '-t', '1.1.1.1'], 'Zero port specified for non-persistent service\n');
  await fails(t, ['-A'], "You need to supply the 'service-address' option for the 'add-service' command\n");
  await fails(t, ['-A', '-t', '1.1.1.1:1', '-x', '5'], "Illegal 'u-threshold' option with the 'add-service' command\n");
  await fails(t, ['-A', '-t', '1.1.1.1:1', '-s', 'rr', '-s', 'rr'], "multiple 'scheduler' options specified\n");
  await fails(t, ['-A', '-t', '1.1.1.1:1', '-p', '0'], "invalid timeout value `0' specified\n");
  await fails(t, ['-A', '-t', '1.1.1.1:1', '-b', 'sh-port'], "incompatible scheduler flag `sh-port'\n");
  await fails(t, ['-a', '-t', '1.1.1.1:1', '-r', '2.2.2.2', '-i', '--tun-type', 'gue'], "You need to supply the 'tun-port' option for the 'gue' tunnel type\n");
  await fails(t, ['-a', '-t', '1.1.1.1:1', '-r', '2.2.2.2', '-i', '--tun-type', 'gre', '--tun-remcsum'], "Illegal 'tun-remcsum' option with the 'gre' tunnel type\n");
  await fails(t, ['-L', '-c', '--timeout'], "The option 'timeout' conflicts with the 'connection' option in the 'list' command\n");
  await fails(t, ['-X'], "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n", 255);
  await fails(t, ['--set', '1', '2'], '--set option requires 3 timeout values\n');
});
