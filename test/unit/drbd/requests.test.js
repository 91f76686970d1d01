'use strict';
// The request table between Volume and the native engine: one promise per request, settled by
// the engine's completions, with a cap on bytes in flight. A fake engine records submissions.
const test = require('ava');
const { Requests, OP_WRITE, OP_READ, OP_FLUSH } = require('../../../dist/drbd/requests');

function fakeEngine() {
  const submitted = [];
  return {
    submitted,
    failNext: null,
    submit(op, id, offset, length) {
      if (this.failNext) { const e = this.failNext; this.failNext = null; throw e; }
      submitted.push({ op, id, offset, length });
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('writes settle with undefined, reads with their data, failures with DRBD_IO', async (t) => {
  const engine = fakeEngine();
  const requests = new Requests(engine, 1 << 20, () => {});
  const write = requests.run(OP_WRITE, 0, 4096, Buffer.alloc(4096));
  const read = requests.read(4096, 512);
  const flush = requests.run(OP_FLUSH, 0, 0);
  t.is(requests.size, 3);
  const [w, r, f] = engine.submitted;
  requests.done(w.id);
  requests.complete({ kind: 'complete', id: r.id, status: 0, a: 0, b: 0, data: Buffer.from('abc') });
  requests.complete({ kind: 'complete', id: f.id, status: -5, a: 0, b: 0 });
  t.is(await write, undefined);
  t.deepEqual(await read, Buffer.from('abc'));
  const error = await t.throwsAsync(flush);
  t.is(error.code, 'DRBD_IO');
  t.regex(error.message, /flush failed \(errno 5\)/);
  t.is(requests.size, 0);
});

test('requests past the in-flight cap wait, then start in order as earlier ones complete', async (t) => {
  const engine = fakeEngine();
  const requests = new Requests(engine, 8192, () => {});
  const first = requests.run(OP_WRITE, 0, 8192);
  const second = requests.run(OP_WRITE, 8192, 4096);
  const third = requests.run(OP_WRITE, 12288, 4096);
  await tick();
  t.deepEqual(engine.submitted.map((s) => s.offset), [0], 'only the first fits');
  requests.done(engine.submitted[0].id);
  await first;
  await tick();
  t.deepEqual(engine.submitted.map((s) => s.offset), [0, 8192, 12288], 'both fit once the first is done');
  requests.done(engine.submitted[1].id);
  requests.done(engine.submitted[2].id);
  await Promise.all([second, third]);
});

test('a request the engine refuses gives its bytes back and rejects instead of throwing', async (t) => {
  const engine = fakeEngine();
  const requests = new Requests(engine, 8192, () => {});
  engine.failNext = Object.assign(new Error('bad'), { code: 'ERR_NATIVE_ARGS' });
  const refused = requests.run(OP_WRITE, 0, 8192);
  t.true(refused instanceof Promise);
  t.is((await t.throwsAsync(refused)).code, 'ERR_NATIVE_ARGS');
  // Had the 8 KiB stayed counted, this one would wait forever.
  const next = requests.run(OP_WRITE, 0, 8192);
  await tick();
  t.is(engine.submitted.length, 1);
  requests.done(engine.submitted[0].id);
  await next;
  t.is(requests.size, 0);
});

test('a closed volume rejects new requests and rejectAll frees the waiters', async (t) => {
  const engine = fakeEngine();
  let open = true;
  const requests = new Requests(engine, 4096, () => { if (!open) throw Object.assign(new Error('closed'), { code: 'DRBD_CLOSED' }); });
  const inFlight = requests.run(OP_WRITE, 0, 4096);
  const waiting = requests.run(OP_WRITE, 4096, 4096);
  open = false;
  requests.rejectAll(Object.assign(new Error('closed'), { code: 'DRBD_CLOSED' }));
  t.is((await t.throwsAsync(inFlight)).code, 'DRBD_CLOSED');
  t.is((await t.throwsAsync(waiting)).code, 'DRBD_CLOSED', 'the waiter woke and found the volume closed');
  t.is(engine.submitted.length, 1);
  t.is((await t.throwsAsync(requests.run(OP_READ, 0, 512))).code, 'DRBD_CLOSED');
});
