'use strict';
const test = require('ava');
const { drbd } = require('../../..');

const { decide, compareUuids, UUID_JUST_CREATED } = drbd;
const policies = { after0pri: 'disconnect', after1pri: 'disconnect', after2pri: 'disconnect' };
const node = (name, over = {}) => ({
  name, role: 'Secondary', disk: 'UpToDate', current: 0x1000n, bitmap: 0n, history: [0n, 0n], dirty: 0,
  crashedPrimary: false, discardMyData: false, primarySince: 0, size: 1 << 20, policies, ...over,
});

test('UUID rules: equal, just created, bitmap UUID, history, split brain, unrelated', (t) => {
  t.is(compareUuids(node('a'), node('b')).result, 0);
  t.is(compareUuids(node('a', { current: UUID_JUST_CREATED }), node('b')).result, -2);
  t.is(compareUuids(node('a'), node('b', { current: UUID_JUST_CREATED })).result, 2);
  // Peer went on alone: its bitmap UUID is our current.
  t.is(compareUuids(node('a'), node('b', { current: 0x2000n, bitmap: 0x1000n })).result, -1);
  t.is(compareUuids(node('a', { current: 0x2000n, bitmap: 0x1000n }), node('b')).result, 1);
  t.is(compareUuids(node('a'), node('b', { current: 0x3000n, history: [0x1000n, 0n] })).result, -2);
  t.is(compareUuids(node('a', { current: 0x2000n, bitmap: 0x1000n }), node('b', { current: 0x3000n, bitmap: 0x1000n })).result, 100);
  t.is(compareUuids(node('a', { current: 0x2000n }), node('b', { current: 0x3000n })).result, -1000);
});

test('same generation with out-of-sync blocks: the (crashed) primary is the source', (t) => {
  t.is(decide(node('a', { dirty: 5, role: 'Primary' }), node('b')).action, 'source');
  t.is(decide(node('a'), node('b', { dirty: 3, crashedPrimary: true })).action, 'target');
  t.is(decide(node('a', { disk: 'Inconsistent', dirty: 2 }), node('b')).action, 'target');
});

test('a Primary never becomes SyncTarget', (t) => {
  const d = decide(node('a', { role: 'Primary' }), node('b', { current: 0x2000n, bitmap: 0x1000n }));
  t.is(d.action, 'disconnect');
  t.regex(d.reason, /SyncTarget, but I am Primary/);
});

const split = (over0 = {}, over1 = {}, p = policies) => [
  node('a', { current: 0x2000n, bitmap: 0x1000n, policies: p, ...over0 }),
  node('b', { current: 0x3000n, bitmap: 0x1000n, policies: p, ...over1 }),
];

test('after-sb-0pri policies', (t) => {
  const p = (after0pri) => ({ ...policies, after0pri });
  let [a, b] = split({ dirty: 0 }, { dirty: 7 }, p('discard-zero-changes'));
  t.is(decide(a, b).action, 'target');
  t.is(decide(b, a).action, 'source');
  [a, b] = split({ dirty: 3 }, { dirty: 7 }, p('discard-zero-changes'));
  t.is(decide(a, b).action, 'disconnect');
  [a, b] = split({ dirty: 3 }, { dirty: 7 }, p('discard-least-changes'));
  t.is(decide(a, b).action, 'target');
  [a, b] = split({ primarySince: 100 }, { primarySince: 200 }, p('discard-younger-primary'));
  t.is(decide(a, b).action, 'source');
  t.is(decide(b, a).action, 'target');
  [a, b] = split({ primarySince: 100 }, { primarySince: 200 }, p('discard-older-primary'));
  t.is(decide(a, b).action, 'target');
  [a, b] = split({}, {}, p('discard-node-b'));
  t.is(decide(a, b).action, 'source');
  [a, b] = split({}, {}, p('disconnect'));
  t.is(decide(a, b).action, 'disconnect');
  t.true(decide(a, b).splitBrain);
  // discard-local on one node and discard-remote on the other agree; the same on both does not.
  [a, b] = split({ policies: p('discard-local') }, { policies: p('discard-remote') });
  t.is(decide(a, b).action, 'target');
  t.is(decide(b, a).action, 'source');
  [a, b] = split({}, {}, p('discard-local'));
  t.is(decide(a, b).action, 'disconnect');
});

test('after-sb-1pri and 2pri policies, and --discard-my-data', (t) => {
  const p = (after1pri, after0pri = 'discard-zero-changes') => ({ ...policies, after0pri, after1pri });
  let [a, b] = split({ role: 'Primary', dirty: 4 }, { dirty: 2 }, p('discard-secondary'));
  t.is(decide(a, b).action, 'source');
  t.is(decide(b, a).action, 'target');
  [a, b] = split({ role: 'Primary', dirty: 4 }, { dirty: 0 }, p('consensus'));
  t.is(decide(a, b).action, 'source');
  [a, b] = split({ role: 'Primary', dirty: 0 }, { dirty: 3 }, p('consensus'));
  t.is(decide(a, b).action, 'disconnect');
  [a, b] = split({ role: 'Primary', dirty: 0 }, { dirty: 3 }, p('call-pri-lost-after-sb'));
  t.true(decide(a, b).priLost);
  [a, b] = split({ role: 'Primary' }, { role: 'Primary' }, { ...policies, after2pri: 'disconnect' });
  t.is(decide(a, b).action, 'disconnect');
  [a, b] = split({ discardMyData: true }, {});
  t.is(decide(a, b).action, 'target');
  t.is(decide(b, a).action, 'source');
  [a, b] = split({ discardMyData: true }, { discardMyData: true });
  t.is(decide(a, b).action, 'disconnect');
});

test('property: both nodes always reach mirrored decisions', (t) => {
  const uuids = [UUID_JUST_CREATED, 0x10n, 0x20n, 0x30n, 0n];
  const pick = (list, r) => list[Math.floor(r() * list.length)];
  let seed = 42;
  const r = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const p0 = ['disconnect', 'discard-younger-primary', 'discard-older-primary', 'discard-zero-changes', 'discard-least-changes', 'discard-node-a'];
  const p1 = ['disconnect', 'consensus', 'discard-secondary', 'violently-as0p', 'call-pri-lost-after-sb'];
  const mirror = { none: 'none', source: 'target', target: 'source', disconnect: 'disconnect' };
  for (let i = 0; i < 5000; i++) {
    const pol = { after0pri: pick(p0, r), after1pri: pick(p1, r), after2pri: 'disconnect' };
    const mk = (name) => node(name, {
      role: pick(['Primary', 'Secondary'], r), disk: pick(['UpToDate', 'Inconsistent', 'Outdated'], r),
      current: pick(uuids.slice(0, 4), r), bitmap: pick(uuids.slice(1), r), history: [pick(uuids.slice(1), r), 0n],
      dirty: Math.floor(r() * 3), crashedPrimary: r() < 0.2, primarySince: Math.floor(r() * 3), policies: pol,
    });
    const a = mk('a'), b = mk('b');
    const da = decide(a, b), db = decide(b, a);
    t.is(mirror[da.action], db.action, JSON.stringify({ a, b, da, db }, (k, v) => (typeof v === 'bigint' ? v.toString(16) : v)));
    if (da.action === 'target') t.not(a.role, 'Primary');
  }
});
