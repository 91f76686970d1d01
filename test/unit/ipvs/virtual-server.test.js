'use strict';
// The health-checked virtual server against real TCP and HTTP servers on loopback, with a
// recording stand-in for the kernel (the guest covers Ipvs.apply() itself).
const test = require('ava');
const http = require('http');
const net = require('net');
const crypto = require('crypto');
const { ipvs } = require('../../..');

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}
const recorder = () => {
  const applied = [];
  return { applied, apply: async (desired, options) => (applied.push({ desired, options }), { operations: [], requests: 0, counts: {}, timings: {} }) };
};
const service = { protocol: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'rr' };

test('tcp and http checks: a failing server is removed, then added back', async (t) => {
  let status = 200;
  const web = http.createServer((q, r) => r.writeHead(status).end('hello'));
  const tcp = net.createServer((c) => c.end());
  const [webPort, tcpPort] = [await listen(web), await listen(tcp)];
  const rec = recorder();
  const vs = new ipvs.VirtualServer({
    service,
    ipvs: rec,
    realServers: [
      { address: '127.0.0.1', port: webPort, forward: 'masq', weight: 2, check: { type: 'http', path: '/', digest: crypto.createHash('md5').update('hello').digest('hex') } },
      { address: '127.0.0.1', port: tcpPort, forward: 'masq', check: { type: 'tcp' } },
    ],
  });
  const downs = [];
  vs.on('down', (s) => downs.push(s.port));
  try {
    await vs.round();
    t.deepEqual(rec.applied[0].desired[0].destinations.map((d) => d.port), [webPort, tcpPort]);
    t.deepEqual(rec.applied[0].options, { prune: false });
    t.is(rec.applied[0].desired[0].destinations[0].check, undefined, 'checks do not reach IPVS');
    status = 500;
    await vs.round();
    t.deepEqual(rec.applied[1].desired[0].destinations.map((d) => d.port), [tcpPort]);
    t.deepEqual(downs, [webPort]);
    status = 200;
    await vs.round();
    t.deepEqual(rec.applied[2].desired[0].destinations.map((d) => d.port), [webPort, tcpPort]);
    tcp.close();
    await new Promise((r) => setTimeout(r, 50));
    await vs.round();
    t.deepEqual(vs.status().map((s) => s.up), [true, false]);
  } finally {
    web.close();
    tcp.close();
  }
});

test('inhibitOnFailure keeps a failed server at weight 0; retries delay the verdict', async (t) => {
  let healthy = true;
  const rec = recorder();
  const vs = new ipvs.VirtualServer({ service, ipvs: rec, inhibitOnFailure: true, retries: 2, realServers: [{ address: '10.1.0.1', port: 80, weight: 5, check: { type: 'custom', run: async () => healthy } }] });
  healthy = false;
  await vs.round();
  t.is(rec.applied[0].desired[0].destinations[0].weight, 5, 'one failure of two allowed');
  await vs.round();
  t.is(rec.applied[1].desired[0].destinations[0].weight, 0);
  healthy = true;
  await vs.round();
  t.is(rec.applied[2].desired[0].destinations[0].weight, 5);
});

test('below the quorum the sorry server takes over, and leaves when it is back', async (t) => {
  const up = { a: true, b: true };
  const rec = recorder();
  const events = [];
  const vs = new ipvs.VirtualServer({
    service, ipvs: rec, quorum: 2, sorryServer: { address: '10.9.9.9', port: 80, forward: 'masq' },
    realServers: ['a', 'b'].map((k, i) => ({ address: `10.1.0.${i + 1}`, port: 80, check: { type: 'custom', run: async () => up[k] } })),
  });
  vs.on('quorum-lost', () => events.push('lost'));
  vs.on('quorum-gained', () => events.push('gained'));
  await vs.round();
  t.deepEqual(rec.applied[0].desired[0].destinations.map((d) => d.address), ['10.1.0.1', '10.1.0.2']);
  up.b = false;
  await vs.round();
  t.deepEqual(rec.applied[1].desired[0].destinations.map((d) => d.address), ['10.1.0.1', '10.9.9.9']);
  up.b = true;
  await vs.round();
  t.deepEqual(rec.applied[2].desired[0].destinations.map((d) => d.address), ['10.1.0.1', '10.1.0.2']);
  t.deepEqual(events, ['lost', 'gained']);
});

test('start/stop runs rounds on a timer; bad options are refused', async (t) => {
  const rec = recorder();
  const vs = new ipvs.VirtualServer({ service, ipvs: rec, intervalMs: 20, realServers: [{ address: '10.1.0.1', port: 80, check: { type: 'custom', run: async () => true } }] });
  vs.start();
  // timing-insensitive: wait (up to 10 s on a loaded machine) for two rounds
  for (let i = 0; i < 500 && rec.applied.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  await vs.stop();
  const n = rec.applied.length;
  t.true(n >= 2, `rounds: ${n}`);
  await new Promise((r) => setTimeout(r, 100));
  t.is(rec.applied.length, n, 'no round after stop');
  t.throws(() => new ipvs.VirtualServer({ service, ipvs: rec, realServers: [], retries: 0 }), { code: 'ERR_INVALID_ARG' });
});
