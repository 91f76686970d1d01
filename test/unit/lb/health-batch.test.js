'use strict';
// The batched native TCP prober and the checker paths that avoid per-check allocation.
const test = require('ava');
const net = require('net');
const { lb } = require('../../..');
const { nativeModule } = require('../../../dist/native');

const listen = (server, backlog) => new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog }, () => resolve(server.address().port)));
// Port 1 (tcpmux): nobody listens there and the kernel never hands it out as an ephemeral port,
// so unlike a just-closed port it cannot be taken by a concurrent test's listen(0).
async function closedPort() {
  return 1;
}
const waitFor = async (cond, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

test('checker over the batched prober: 300 servers, open and closed ports, rise/fall applied', async (t) => {
  const open = net.createServer((c) => c.destroy());
  const openPort = await listen(open);
  const closed = await closedPort();
  t.teardown(() => open.close());
  const servers = Array.from({ length: 300 }, (_, i) => ({ id: `s${i}`, host: i % 2 ? '127.0.0.1' : '::1', port: i % 3 === 0 ? closed : openPort }));
  const pool = new lb.Pool({ servers });
  const checker = new lb.HealthChecker(pool, { type: 'tcp', intervalMs: 40, fall: 2, rise: 1, timeoutMs: 1000, jitter: 0.2 });
  const changes = [];
  checker.on('change', (c) => changes.push(c));
  checker.start();
  t.teardown(() => checker.stop());
  // ::1 on the open port: the Node server listens on 127.0.0.1 only, so those are refused too.
  const expectDown = (s) => s.port === closed || s.host === '::1';
  t.true(await waitFor(() => pool.servers.every((s) => s.health === (expectDown(pool.get(s.id)) ? 'down' : 'up'))));
  t.is(changes.length, servers.filter(expectDown).length);
  t.true(changes.every((c) => c.health === 'down'));
  const st = checker.status('s0');
  t.like(st.last, { ok: false, detail: 'ECONNREFUSED' });
  t.like(checker.status('s1').last, { ok: true, detail: 'connected' });
  const stats = checker.stats();
  t.true(stats.checks >= 600, String(stats.checks));
  t.true(stats.failed >= servers.filter(expectDown).length * 2);
});

test('native prober enforces the timeout itself (a listener whose accept queue is full)', async (t) => {
  // A relay-engine listener paused: nothing accepts, the 1-deep queue fills, further SYNs are dropped.
  const { RelayEngine } = nativeModule('lb');
  const engine = new RelayEngine(1, () => {});
  t.teardown(() => engine.shutdown());
  const [id, port] = engine.listen('127.0.0.1', 0, 1, 0);
  engine.pauseListener(id, true);
  const fillers = [];
  for (let i = 0; i < 4; i++) fillers.push(net.connect(port, '127.0.0.1').on('error', () => {}));
  t.teardown(() => fillers.forEach((s) => s.destroy()));
  await new Promise((r) => setTimeout(r, 200));
  const start = Date.now();
  const r = await lb.tcpProbe({ server: new lb.Server({ host: '127.0.0.1', port }), port, timeoutMs: 300 });
  t.like(r, { ok: false, detail: 'timeout' });
  t.true(Date.now() - start >= 250 && Date.now() - start < 3000, String(Date.now() - start));
});

test('one submit call, 50 probes: every id comes back, in few callbacks', async (t) => {
  const { TcpProber } = nativeModule('lbProber');
  const batches = [];
  const output = new Int32Array(3 * 16); // smaller than the batch: delivered in chunks
  const prober = new TcpProber((count) => batches.push(Array.from(output.subarray(0, count * 3))), output);
  t.teardown(() => prober.close());
  const port = await closedPort();
  const records = Buffer.alloc(28 * 50);
  for (let i = 0; i < 50; i++) {
    records.writeUInt32LE(1000 + i, i * 28);
    records.writeUInt32LE(1000, i * 28 + 4);
    records.writeUInt16LE(port, i * 28 + 8);
    records[i * 28 + 10] = 4;
    records.set([127, 0, 0, 1], i * 28 + 12);
  }
  prober.submit(records, 50);
  t.true(await waitFor(() => batches.flat().length === 150));
  const flat = batches.flat();
  const ids = [];
  for (let i = 0; i < flat.length; i += 3) {
    ids.push(flat[i]);
    t.is(flat[i + 1], require('os').constants.errno.ECONNREFUSED);
  }
  t.deepEqual(ids.sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => 1000 + i));
  t.true(batches.length < 50, `${batches.length} callbacks for 50 probes`);
  t.true(batches.every((b) => b.length <= 48));
  t.is(prober.inFlight(), 0);
});

test('prober refuses malformed batches with a typed error', (t) => {
  const { TcpProber } = nativeModule('lbProber');
  t.throws(() => new TcpProber(() => {}), { code: 'ERR_NATIVE_ARGS' });
  t.throws(() => new TcpProber(() => {}, new Float64Array(6)), { code: 'ERR_NATIVE_ARGS' });
  t.throws(() => new TcpProber(() => {}, new Int32Array(2)), { code: 'ERR_NATIVE_ARGS' });
  const prober = new TcpProber(() => {}, new Int32Array(3));
  t.teardown(() => prober.close());
  const record = Buffer.alloc(28);
  record.writeUInt32LE(1000, 4);
  record.writeUInt16LE(80, 8);
  record[10] = 5; // no such family
  t.throws(() => prober.submit(record, 1), { code: 'ERR_NATIVE_ARGS' });
  record[10] = 4;
  t.throws(() => prober.submit(record, 2), { code: 'ERR_NATIVE_ARGS' }); // count beyond the buffer
  record.writeUInt16LE(0, 8);
  t.throws(() => prober.submit(record, 1), { code: 'ERR_NATIVE_ARGS' }); // port 0
  t.throws(() => prober.submit('nope', 1), { code: 'ERR_NATIVE_ARGS' });
  t.throws(() => new TcpProber(5, new Int32Array(3)), { code: 'ERR_NATIVE_ARGS' });
  prober.close();
  t.throws(() => prober.submit(Buffer.alloc(28), 0), { code: 'LB_PROBER_CLOSED' });
});

test('custom checks: the signal aborts on timeout; a late result of a timed-out run is ignored', async (t) => {
  const pool = new lb.Pool({ servers: [{ id: 'a', host: '127.0.0.1', port: 1 }] });
  let aborted = 0;
  let calls = 0;
  const checker = new lb.HealthChecker(pool, {
    type: 'custom', intervalMs: 100, timeoutMs: 30, fall: 1, rise: 1, jitter: 0,
    custom: (server, { signal }) => {
      calls++;
      signal.addEventListener('abort', () => aborted++);
      return new Promise((resolve) => setTimeout(() => resolve(true), 80)); // always too late
    },
  });
  checker.start();
  t.teardown(() => checker.stop());
  t.true(await waitFor(() => calls >= 3));
  t.is(pool.get('a').health, 'down'); // the late `true` results never brought it back
  t.is(checker.status('a').last.detail, 'timeout');
  t.true(aborted >= 2);
});

test('coalesceMs is validated', (t) => {
  t.throws(() => new lb.HealthChecker(new lb.Pool(), { type: 'tcp', coalesceMs: -1 }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => new lb.HealthChecker(new lb.Pool(), { type: 'tcp', coalesceMs: 5000 }), { code: 'ERR_INVALID_ARG' });
});

test('tcp checks of port 0 or a closed prober fail as checks, never throw or hang', async (t) => {
  const pool = new lb.Pool({ servers: [{ id: 'zero', host: '127.0.0.1', port: 0 }] });
  const checker = new lb.HealthChecker(pool, { type: 'tcp', intervalMs: 30, fall: 1, jitter: 0, timeoutMs: 500 });
  checker.start();
  t.teardown(() => checker.stop());
  t.true(await waitFor(() => pool.get('zero').health === 'down'));
  t.false(checker.status('zero').last.ok);
  // A batcher whose native side refuses the batch reports every probe as failed.
  const { TcpProbeBatcher } = require('../../../dist/lb/health/native-tcp');
  const seen = [];
  const batcher = new TcpProbeBatcher({ submit() { throw new Error('closed'); }, inFlight: () => 0, ref() {}, unref() {}, close() {} });
  const sink = { onTcpProbe: (token, errno) => seen.push([token, errno]) };
  const address = { family: 4, bytes: new Uint8Array(16) };
  batcher.add(sink, 'a', address, 80, 100);
  batcher.add(sink, 'b', address, 80, 100);
  batcher.flush();
  t.deepEqual(seen, [['a', require('os').constants.errno.EINVAL], ['b', require('os').constants.errno.EINVAL]]);
});
