'use strict';
// Split brain: both nodes write while disconnected; on reconnect the after-sb-* policy decides.
const test = require('ava');
const { syncedPair, dataOf, pattern } = require('../../labs/drbd/pair');
const { once } = require('../../labs/drbd/pair');

async function splitBrain(net, { writesA = 1, writesB = 3, demote = true } = {}) {
  const pair = await syncedPair({ net });
  pair.b.disconnect();
  await pair.a.waitFor((s) => s.replication === 'Off', 5000);
  await pair.b.waitFor((s) => s.peer.role === 'Unknown', 5000);
  await pair.b.primary();
  for (let i = 0; i < writesA; i++) await pair.a.write(i * 4096, pattern(100 + i, 4096));
  for (let i = 0; i < writesB; i++) await pair.b.write((50 + i) * 4096, pattern(200 + i, 4096));
  if (demote) {
    await pair.a.secondary();
    await pair.b.secondary();
  }
  return pair;
}

async function outcome(pair) {
  const handshake = once(pair.a, 'handshake');
  const split = once(pair.a, 'split-brain');
  pair.b.connect();
  return { decision: await handshake, split: await split };
}

test('after-sb-0pri discard-least-changes: the node with fewer changes is overwritten', async (t) => {
  const pair = await splitBrain({ afterSb0pri: 'discard-least-changes' });
  try {
    const done = once(pair.a, 'resync-done');
    const { decision } = await outcome(pair);
    t.is(decision.action, 'target');
    t.true((await done).asTarget);
    const size = pair.a.sizeBytes;
    await pair.close();
    const a = dataOf(pair.diskA, size);
    t.true(a.equals(dataOf(pair.diskB, size)));
    t.true(a.subarray(50 * 4096, 51 * 4096).equals(pattern(200, 4096)), "bravo's changes won");
    t.false(a.subarray(0, 4096).equals(pattern(100, 4096)), "alpha's change was discarded");
  } finally {
    await pair.close();
  }
});

test('after-sb-0pri discard-zero-changes with changes on both sides: disconnect, then --discard-my-data resolves', async (t) => {
  const pair = await splitBrain({ afterSb0pri: 'discard-zero-changes' });
  try {
    const { decision, split } = await outcome(pair);
    t.is(decision.action, 'disconnect');
    t.is(split.action, 'disconnect');
    await pair.a.waitFor((s) => s.connection === 'StandAlone', 5000);
    await pair.b.waitFor((s) => s.connection === 'StandAlone', 5000);
    const done = once(pair.b, 'resync-done');
    pair.a.connect();
    pair.b.connect({ discardMyData: true });
    t.true((await done).asTarget);
    const size = pair.a.sizeBytes;
    await pair.close();
    const b = dataOf(pair.diskB, size);
    t.true(b.equals(dataOf(pair.diskA, size)));
    t.true(b.subarray(0, 4096).equals(pattern(100, 4096)), "alpha's data won");
  } finally {
    await pair.close();
  }
});

test('after-sb-1pri discard-secondary: the Secondary is overwritten by the Primary', async (t) => {
  const pair = await splitBrain({ afterSb1pri: 'discard-secondary' }, { writesA: 4, writesB: 1 });
  try {
    await pair.a.primary();
    const done = once(pair.b, 'resync-done');
    const { decision } = await outcome(pair);
    t.is(decision.action, 'source');
    await done;
    await pair.a.write(4096 * 300, pattern(9, 4096));
    await pair.a.flush();
    const size = pair.a.sizeBytes;
    await pair.close();
    t.true(dataOf(pair.diskA, size).equals(dataOf(pair.diskB, size)));
  } finally {
    await pair.close();
  }
});

test('after-sb-2pri disconnect: two Primaries never resync', async (t) => {
  const pair = await splitBrain({ afterSb2pri: 'disconnect' }, { demote: false });
  try {
    const handshake = once(pair.a, 'handshake');
    pair.b.connect();
    t.is((await handshake).action, 'disconnect');
    await pair.a.waitFor((s) => s.connection === 'StandAlone', 5000);
    t.is(pair.a.role, 'Primary');
    t.is(pair.b.role, 'Primary');
  } finally {
    await pair.close();
  }
});
