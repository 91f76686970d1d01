'use strict';
// The link refuses what it must: a peer with the wrong shared secret, a peer without
// authentication, a different protocol, and malformed bytes. Nothing is written in any case.
const test = require('ava');
const net = require('net');
const { openPair, syncedPair, dataOf, pattern } = require('../../labs/drbd/pair');
const { once } = require('../../labs/drbd/pair');

async function refused(t, alphaNet, bravoNet, event) {
  const pair = await openPair({ alphaOptions: { net: alphaNet }, bravoOptions: { net: bravoNet } });
  try {
    const before = dataOf(pair.diskB, pair.b.sizeBytes);
    // Both sides verify the other at once; whichever finds the mismatch first drops the link,
    // and the other may then see only the drop. Either side naming it is the refusal.
    const seen = Promise.any([once(pair.a, event), once(pair.b, event)]);
    pair.b.connect();
    pair.a.connect();
    t.truthy(await seen);
    await new Promise((resolve) => setTimeout(resolve, 300));
    t.not(pair.a.connectionState, 'Connected');
    t.is(pair.a.replicationState, 'Off');
    t.is(pair.b.replicationState, 'Off');
    // Alpha may be Primary and write; none of it reaches bravo.
    await pair.a.primary({ force: true });
    await pair.a.write(0, pattern(1, 65536));
    await pair.a.flush();
    await new Promise((resolve) => setTimeout(resolve, 200));
    t.true(dataOf(pair.diskB, pair.b.sizeBytes).equals(before), 'nothing was written on bravo');
  } finally {
    await pair.close();
  }
}

test('a peer with the wrong shared-secret is refused', (t) =>
  refused(t, { cramHmacAlg: 'sha256', sharedSecret: 'wrong' }, { cramHmacAlg: 'sha256', sharedSecret: 'right' }, 'auth-failed'));

test('a peer that does not authenticate is refused', (t) =>
  refused(t, {}, { cramHmacAlg: 'sha256', sharedSecret: 'right' }, 'auth-failed'));

test('a peer with another replication protocol is refused', (t) =>
  refused(t, { protocol: 'A' }, { protocol: 'C' }, 'config-mismatch'));

function rawSend(port, bytes) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.resume();
  });
}

function frame(type, payload) {
  const header = Buffer.alloc(12);
  header.writeUInt32BE(0x484b4431, 0);
  header.writeUInt16BE(type, 4);
  header.writeUInt32BE(payload.length, 8);
  return Buffer.concat([header, payload]);
}

test('malformed and unauthenticated packets on the listener write nothing, and the link still works', async (t) => {
  const pair = await syncedPair({ net: { cramHmacAlg: 'sha256', sharedSecret: 'k' } });
  try {
    await pair.a.write(0, pattern(3, 8192));
    await pair.a.flush();
    pair.a.disconnect();
    await pair.b.waitFor((s) => s.replication === 'Off', 5000);
    const before = dataOf(pair.diskB, pair.b.sizeBytes);
    // A Data packet (type 5) straight away, garbage, a huge length, a bad magic.
    const data = Buffer.alloc(28 + 4096);
    data.writeBigUInt64BE(1n, 0); data.writeUInt32BE(1, 8); data.writeBigUInt64BE(0n, 12); data.writeUInt32BE(4096, 20); data.writeUInt32BE(4, 24);
    data.fill(0xaa, 28);
    const port = pair.b.listenPort;
    await rawSend(port, frame(5, data));
    await rawSend(port, Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    await rawSend(port, frame(4, Buffer.from('{"name":"alpha"}')));
    const huge = frame(5, Buffer.alloc(0)); huge.writeUInt32BE(0x7fffffff, 8);
    await rawSend(port, huge);
    for (let i = 0; i < 50; i++) await rawSend(port, Buffer.concat([frame(1 + (i % 24), pattern(i, (i * 7) % 60)), pattern(i + 1, i)]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    t.true(dataOf(pair.diskB, pair.b.sizeBytes).equals(before), 'nothing was written');
    const done = pair.b.waitFor((s) => s.replication === 'Established', 10000);
    pair.a.connect();
    await done;
    await pair.a.write(8192, pattern(4, 4096));
    await pair.a.flush();
    t.true(dataOf(pair.diskB, 16384).subarray(8192, 12288).equals(pattern(4, 4096)));
  } finally {
    await pair.close();
  }
});

test('data-integrity-alg crc32c: writes carry a digest the secondary checks', async (t) => {
  const pair = await syncedPair({ net: { dataIntegrityAlg: 'crc32c' } });
  try {
    for (let i = 0; i < 20; i++) await pair.a.write(i * 4096, pattern(i, 4096));
    await pair.a.flush();
    t.is(pair.a.replicationState, 'Established');
    const size = pair.a.sizeBytes;
    await pair.close();
    t.true(dataOf(pair.diskA, size).equals(dataOf(pair.diskB, size)));
  } finally {
    await pair.close();
  }
});

test('data-integrity-alg: a write corrupted on the wire is refused, never written, then resynced', async (t) => {
  const { Proxy } = require('../../labs/drbd/cluster');
  const { makeDisk, tempDir } = require('../../labs/drbd/pair');
  const { drbd } = require('../../..');
  const path = require('path');
  const dir = tempDir();
  const net = { protocol: 'C', dataIntegrityAlg: 'crc32c', connectInt: 1, pingInt: 1, pingTimeout: 50, timeout: 50 };
  const disks = { alpha: path.join(dir, 'a.img'), bravo: path.join(dir, 'b.img') };
  await makeDisk(disks.alpha, 8 << 20);
  await makeDisk(disks.bravo, 8 << 20);
  const b = await drbd.Volume.open({ resource: 'r0', node: 'bravo', peer: 'alpha', disk: disks.bravo, address: { host: '127.0.0.1', port: 0 }, peerAddress: { host: '127.0.0.1', port: 9 }, net });
  const proxy = new Proxy({ host: '127.0.0.1', port: b.listenPort });
  const port = await proxy.listen();
  const a = await drbd.Volume.open({ resource: 'r0', node: 'alpha', peer: 'bravo', disk: disks.alpha, address: { host: '127.0.0.1', port: 0 }, peerAddress: { host: '127.0.0.1', port }, net });
  try {
    b.connect();
    a.connect();
    await a.waitFor((s) => s.replication === 'Established', 15000);
    await a.primary({ force: true });
    await b.waitFor((s) => s.disk === 'UpToDate' && s.replication === 'Established', 30000);
    const data = pattern(77, 1 << 20);
    const refused = once(b, 'integrity-error');
    proxy.corrupt();
    await a.write(2 << 20, data);
    t.truthy(await refused);
    const region = dataOf(disks.bravo, 3 << 20).subarray(2 << 20);
    t.true(region.equals(Buffer.alloc(1 << 20)) || region.equals(data), 'the corrupted write never reached the disk');
    await b.waitFor((s) => s.replication === 'Established' && s.disk === 'UpToDate', 30000);
    await a.waitFor((s) => s.outOfSyncBytes === 0 && s.replication === 'Established', 30000);
    const size = a.sizeBytes;
    await a.close();
    await b.close();
    t.true(dataOf(disks.bravo, size).equals(dataOf(disks.alpha, size)));
    t.true(dataOf(disks.bravo, 3 << 20).subarray(2 << 20).equals(data));
  } finally {
    await a.close();
    await b.close();
    await proxy.close();
  }
});
