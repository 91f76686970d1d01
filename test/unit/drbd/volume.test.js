'use strict';
// Two volumes in this process over loopback: replication per protocol, resync of dirty blocks
// only, checksum-based resync, online verify, fencing, diskless primary, argument errors.
const test = require('ava');
const fs = require('fs');
const { syncedPair, openPair, dataOf, pattern, directDir } = require('../../labs/drbd/pair');
const { needs } = require('../../helpers/env');
const { once } = require('../../labs/drbd/pair');

async function identical(t, pair) {
  const size = pair.a.sizeBytes;
  await pair.close();
  t.true(dataOf(pair.diskA, size).equals(dataOf(pair.diskB, size)), 'replicas are byte-identical');
}

for (const protocol of ['A', 'B', 'C']) {
  test(`protocol ${protocol}: writes, trims and reads replicate; replicas identical`, async (t) => {
    const pair = await syncedPair({ net: { protocol } });
    try {
      const writes = [];
      for (let i = 0; i < 64; i++) writes.push(pair.a.write(((i * 37) % 1500) * 4096 + 512 * (i % 8), pattern(i, 512 * (1 + (i % 16)))));
      await Promise.all(writes);
      await pair.a.trim(1 << 20, 64 * 1024);
      t.true((await pair.a.read(1 << 20, 65536)).equals(Buffer.alloc(65536)));
      await pair.a.write(2 << 20, pattern(99, 3 << 20)); // split into 1 MiB requests
      t.true((await pair.a.read(2 << 20, 3 << 20)).equals(pattern(99, 3 << 20)));
      await pair.a.flush();
    } finally {
      await identical(t, pair);
    }
  });
}

// Writes of 64 KiB and more are replicated from the caller's memory (pinned, not copied): views
// at odd offsets into larger buffers must land exactly, and buffers the caller drops at once
// must stay alive until their writes complete, garbage collection or not.
test('large writes from the caller memory: odd views, dropped buffers, replicas identical', async (t) => {
  const pair = await syncedPair({ size: 16 << 20 });
  try {
    const big = pattern(5, (4 << 20) + 3 * 512);
    const view = new Uint8Array(big.buffer, big.byteOffset + 3 * 512 + 1, 1 << 20).subarray(7, 7 + (512 << 10));
    const writes = [pair.a.write(8 << 20, view)];
    for (let i = 0; i < 24; i++) writes.push(pair.a.write(i * (256 << 10), pattern(100 + i, 256 << 10)));
    let junk = [];
    for (let i = 0; i < 2000; i++) junk.push(Buffer.alloc(16 << 10, i)); // pressure the GC meanwhile
    junk = null;
    await Promise.all(writes);
    t.true((await pair.a.read(8 << 20, 512 << 10)).equals(Buffer.from(view)));
    for (let i = 0; i < 24; i++) t.true((await pair.a.read(i * (256 << 10), 256 << 10)).equals(pattern(100 + i, 256 << 10)), `write ${i}`);
    await pair.a.flush();
  } finally {
    await identical(t, pair);
  }
});

test('I/O is refused on a Secondary and outside the volume', async (t) => {
  const pair = await syncedPair();
  try {
    await t.throwsAsync(pair.b.write(0, Buffer.alloc(512)), { code: 'DRBD_NOT_PRIMARY' });
    await t.throwsAsync(pair.a.write(pair.a.sizeBytes, Buffer.alloc(512)), { code: 'ERR_INVALID_ARG' });
    await t.throwsAsync(pair.a.write(100, Buffer.alloc(512)), { code: 'ERR_INVALID_ARG' });
    await t.throwsAsync(pair.a.write(0, 'text'), { code: 'ERR_INVALID_ARG' });
    await t.throwsAsync(pair.b.primary(), { code: 'DRBD_PEER_PRIMARY' });
  } finally {
    await pair.close();
  }
});

test('after a disconnect only the dirty blocks are resynced, and the peer catches up', async (t) => {
  const pair = await syncedPair();
  try {
    pair.b.disconnect();
    await pair.a.waitFor((s) => s.replication === 'Off', 5000);
    const blocks = [3, 4, 5, 100, 1000, 1001];
    for (const block of blocks) await pair.a.write(block * 4096, pattern(block, 4096));
    t.is(pair.a.status().outOfSyncBytes, blocks.length * 4096);
    const done = once(pair.b, 'resync-done');
    pair.b.connect();
    const result = await done;
    t.true(result.asTarget);
    t.is(result.bytes, blocks.length * 4096, 'resynced exactly the dirty blocks');
    await pair.a.waitFor((s) => s.replication === 'Established' && s.outOfSyncBytes === 0, 5000);
    t.is(pair.b.diskState, 'UpToDate');
  } finally {
    await identical(t, pair);
  }
});

test('csums-alg: blocks whose checksums match are not transferred', async (t) => {
  const pair = await syncedPair({ net: { csumsAlg: 'sha256' } });
  try {
    await pair.a.write(0, pattern(7, 64 * 1024));
    await pair.a.flush();
    pair.b.disconnect();
    await pair.a.waitFor((s) => s.replication === 'Off', 5000);
    await pair.a.write(0, pattern(7, 32 * 1024)); // same content: dirty but equal
    await pair.a.write(32 * 1024, pattern(8, 32 * 1024)); // different content
    const done = once(pair.b, 'resync-done');
    pair.b.connect();
    const result = await done;
    t.is(result.bytes, 64 * 1024);
    t.is(result.equalBytes, 32 * 1024, 'half the range was found equal by checksum');
  } finally {
    await identical(t, pair);
  }
});

test('online verify finds blocks changed behind the replication and the next resync repairs them', async (t) => {
  const pair = await syncedPair({ net: { verifyAlg: 'crc32c' } });
  try {
    await pair.a.write(0, pattern(1, 1 << 20));
    await pair.a.flush();
    t.is(await pair.a.verify(), 0);
    const fd = fs.openSync(pair.diskB, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096, 0xee), 0, 4096, 8192);
    fs.writeSync(fd, Buffer.alloc(100, 0xee), 0, 100, 500000);
    fs.closeSync(fd);
    t.is(await pair.a.verify(), 2 * 4096);
    t.is(pair.a.status().outOfSyncBytes, 2 * 4096);
    pair.b.disconnect();
    await pair.a.waitFor((s) => s.replication === 'Off', 5000);
    const done = once(pair.b, 'resync-done');
    pair.b.connect();
    await done;
    await pair.a.waitFor((s) => s.replication === 'Established', 5000);
    t.is(await pair.a.verify(), 0);
  } finally {
    await identical(t, pair);
  }
});

test('fencing resource-and-stonith: a Primary that loses its peer freezes writes until resume-io', async (t) => {
  const pair = await syncedPair({ net: { fencing: 'resource-and-stonith' } });
  try {
    await pair.a.write(0, pattern(1, 4096));
    const suspended = once(pair.a, 'suspended');
    pair.b.disconnect();
    await suspended;
    let settled = false;
    const write = pair.a.write(4096, pattern(2, 4096)).then(() => { settled = true; });
    await new Promise((resolve) => setTimeout(resolve, 400));
    t.false(settled, 'no write completes while I/O is frozen');
    t.true(pair.a.status().suspended);
    const before = pair.a.status().uuids.current;
    await pair.a.resumeIo();
    await write;
    t.not(pair.a.status().uuids.current, before, 'resuming alone starts a new data generation');
    const done = once(pair.b, 'resync-done');
    pair.b.connect();
    await done;
  } finally {
    await identical(t, pair);
  }
});

test('a diskless Primary reads and writes through its peer', async (t) => {
  const pair = await openPair({ alphaOptions: { disk: null } });
  try {
    pair.a.connect();
    pair.b.connect();
    await pair.b.waitFor((s) => s.replication === 'Established', 10000);
    await pair.b.primary({ force: true });
    await pair.b.secondary();
    await pair.a.waitFor((s) => s.peer.disk === 'UpToDate' && s.peer.role === 'Secondary', 5000);
    t.is(pair.a.diskState, 'Diskless');
    await pair.a.primary();
    await pair.a.write(40960, pattern(5, 8192));
    t.true((await pair.a.read(40960, 8192)).equals(pattern(5, 8192)));
    await pair.a.flush();
    const size = pair.a.sizeBytes;
    await pair.close();
    t.true(dataOf(pair.diskB, size).subarray(40960, 49152).equals(pattern(5, 8192)));
  } finally {
    await pair.close();
  }
});

// Outside CI a file system without O_DIRECT is a named skip; in CI it is a failure.
const direct = directDir();
needs(test, [{ what: 'a directory where O_DIRECT works (tried the temp dir, /var/tmp and the checkout)', ok: () => direct !== undefined }])('O_DIRECT and O_DSYNC backing I/O (disk options direct, dsync)', async (t) => {
  const diskOptions = { direct: true, dsync: true };
  const pair = await syncedPair({ dir: direct, alphaOptions: { diskOptions }, bravoOptions: { diskOptions } });
  try {
    await pair.a.write(12288, pattern(8, 3 * 512)); // sector-sized, not page-sized: bounce buffer
    t.true((await pair.a.read(12288, 1536)).equals(pattern(8, 1536)));
    await pair.a.write(1 << 20, pattern(9, 1 << 20));
    t.true((await pair.a.read(1 << 20, 1 << 20)).equals(pattern(9, 1 << 20)));
    await pair.a.flush();
  } finally {
    await identical(t, pair);
    fs.rmSync(direct, { recursive: true, force: true });
  }
});

test('fencing: writes frozen when the volume goes down fail; they are never acknowledged', async (t) => {
  const pair = await syncedPair({ net: { fencing: 'resource-and-stonith' } });
  try {
    const suspended = once(pair.a, 'suspended');
    pair.b.disconnect();
    await suspended;
    const write = pair.a.write(8192, pattern(3, 4096));
    await t.throwsAsync(pair.a.secondary(), { code: 'DRBD_SUSPENDED' });
    await pair.a.close();
    const error = await t.throwsAsync(write);
    t.true(['DRBD_IO', 'DRBD_CLOSED'].includes(error.code), error.code);
  } finally {
    await pair.close();
  }
});
