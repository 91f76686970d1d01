'use strict';
// Property test of the TS decoders: truncated, corrupted and randomly nested inputs either
// decode or throw NETLINK_MALFORMED; nothing else escapes and nothing hangs. Seeded, so a
// failure names the case that reproduces it.
const test = require('ava');
const { netlink, HakitError } = require('../../..');

function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 0x100000000);
}
const leaf = netlink.defineSchema({ a: { type: 1, kind: 'u32' }, b: { type: 2, kind: 'string' }, c: { type: 3, kind: 'u64' } });
const mid = netlink.defineSchema({ leaf: { type: 1, kind: 'nested', schema: leaf }, f: { type: 2, kind: 'struct', fields: { x: 'u32', y: 'be16' } } });
const top = netlink.defineSchema({ mid: { type: 1, kind: 'nested', schema: mid }, bin: { type: 2, kind: 'binary' }, port: { type: 3, kind: 'be16' } });
// A schema that nests itself: bogus deep nesting must stop at the depth limit.
const loop = { self: { type: 1, kind: 'nested', schema: null } };
loop.self.schema = loop;

const sample = netlink.encodeAttributes(top, {
  mid: { leaf: { a: 1, b: 'hello', c: 5n }, f: { x: 9, y: 80 } },
  bin: Buffer.from('abcdef'),
  port: 443,
});

function mutate(random, bytes) {
  const out = Buffer.from(bytes);
  const n = 1 + Math.floor(random() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(random() * out.length);
    const choice = random();
    if (choice < 0.5) out[at] = Math.floor(random() * 256);
    else if (choice < 0.8) out.writeUInt16LE(Math.floor(random() * 80), at & ~1 & 0xfffe > out.length - 2 ? 0 : at & ~1);
    else return out.subarray(0, at); // truncation
  }
  return out;
}

function expectCleanOutcome(t, fn, label) {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof HakitError) || error.code !== 'NETLINK_MALFORMED') t.fail(`${label}: unexpected ${error && error.stack}`);
  }
}

test('mutated attribute streams decode or fail with NETLINK_MALFORMED', (t) => {
  const random = rng(0x5eed);
  for (let i = 0; i < 20000; i++) {
    const input = mutate(random, sample);
    expectCleanOutcome(t, () => netlink.decodeAttributes(top, input), `case ${i} ${input.toString('hex')}`);
  }
  t.pass();
});

test('random bytes as messages and as errors fail cleanly', (t) => {
  const random = rng(42);
  for (let i = 0; i < 5000; i++) {
    const input = Buffer.alloc(Math.floor(random() * 64));
    for (let j = 0; j < input.length; j++) input[j] = Math.floor(random() * 256);
    if (input.length >= 4 && random() < 0.5) input.writeUInt32LE(Math.floor(random() * (input.length + 8)), 0);
    expectCleanOutcome(t, () => {
      for (const message of netlink.splitMessages(input)) {
        netlink.decodeAttributes(top, message.payload);
        if (message.payload.length >= 4) netlink.readErrorPayload({ ...message, flags: message.flags | netlink.NLM_F_ACK_TLVS });
      }
    }, `case ${i} ${input.toString('hex')}`);
  }
  t.pass();
});

test('bogus self-nesting stops at the depth limit', (t) => {
  // 40 levels of a nested attribute wrapping the next.
  let bytes = Buffer.alloc(0);
  for (let i = 0; i < 40; i++) {
    const header = Buffer.alloc(4);
    header.writeUInt16LE(4 + bytes.length, 0);
    header.writeUInt16LE(1 | 0x8000, 2);
    bytes = Buffer.concat([header, bytes]);
  }
  t.throws(() => netlink.decodeAttributes(loop, bytes), { code: 'NETLINK_MALFORMED', message: /nested too deep/ });
});
