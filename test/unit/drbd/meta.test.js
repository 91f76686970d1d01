'use strict';
const test = require('ava');
const fs = require('fs');
const { spawnSync } = require('child_process');
const path = require('path');
const { drbd } = require('../../..');
const { tempDir, makeDisk, dataOf } = require('../../labs/drbd/pair');
const meta = require('../../../dist/drbd/meta');

test('internal layout leaves room for bitmap, activity log and superblock', (t) => {
  for (const size of [64 << 10, 1 << 20, (8 << 20) + 12345, 1 << 30, 3 * 2 ** 40]) {
    const l = meta.internalLayout('x', size);
    t.is(l.dataSize % 4096, 0);
    t.true(l.bitmapBytes * 8 * 4096 >= l.dataSize);
    t.true(l.dataSize <= l.bitmapOffset);
    t.is(l.bitmapOffset + l.bitmapBytes, l.alOffset);
    t.is(l.superblockOffset + 4096, size);
  }
  t.throws(() => meta.internalLayout('x', 8192), { code: 'DRBD_TOO_SMALL' });
});

test('superblock round trip; corruption is detected', (t) => {
  const sb = { dataSize: 1 << 20, current: 0x1234n, bitmap: 0x5678n, history: [1n, 2n], flags: 5, alExtents: 61, primarySince: 1700000000000 };
  const buf = meta.encodeSuperblock(sb);
  t.deepEqual(meta.decodeSuperblock(buf), sb);
  buf[20] ^= 1;
  t.is(meta.decodeSuperblock(buf), undefined);
});

test('create-md refuses to overwrite; open without meta-data is a typed error', async (t) => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'd.img');
    await makeDisk(file, 1 << 20);
    await t.throwsAsync(drbd.createMetadata(file), { code: 'DRBD_MD_EXISTS' });
    const bare = path.join(dir, 'bare.img');
    fs.writeFileSync(bare, Buffer.alloc(1 << 20));
    await t.throwsAsync(drbd.Volume.open({ resource: 'r', node: 'a', peer: 'b', disk: bare, address: { host: '127.0.0.1', port: 0 }, peerAddress: { host: '127.0.0.1', port: 1 } }), { code: 'DRBD_NO_METADATA' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a crashed Primary replays its activity log; offline resize keeps data and marks the new area', async (t) => {
  const dir = tempDir();
  try {
    const disk = path.join(dir, 'a.img');
    await makeDisk(disk, 12 << 20);
    const options = { resource: 'r', node: 'a', peer: 'b', disk, address: { host: '127.0.0.1', port: 0 }, peerAddress: { host: '127.0.0.1', port: 1 } };
    // A Primary process that dies (SIGKILL) right after writing into two 4 MiB extents.
    const script = `const { drbd } = require(${JSON.stringify(path.join(__dirname, '../../..'))});
      (async () => { const v = await drbd.Volume.open(${JSON.stringify(options)}); await v.primary({ force: true });
      await v.write(0, Buffer.alloc(8192, 1)); await v.write(5 << 20, Buffer.alloc(4096, 2)); process.kill(process.pid, 'SIGKILL'); })();`;
    spawnSync(process.execPath, ['-e', script], { stdio: 'ignore' });
    const again = await drbd.Volume.open(options);
    t.is(again.status().outOfSyncBytes, 2 * 4 * 1048576, 'both active extents were replayed into the bitmap');
    t.is(again.status().disk, 'UpToDate');
    await again.close();
    const before = dataOf(disk, again.sizeBytes);
    fs.truncateSync(disk, 16 << 20);
    const { before: oldSize, after } = await meta.resizeMetadata(disk);
    t.is(oldSize, again.sizeBytes);
    t.true(after.dataSize > oldSize);
    const grown = await drbd.Volume.open(options);
    t.is(grown.sizeBytes, after.dataSize);
    const newBlocks = Math.ceil(after.dataSize / 4096) - Math.ceil(oldSize / 4096);
    t.is(grown.status().outOfSyncBytes, 2 * 4 * 1048576 + newBlocks * 4096, 'old dirty extents plus the new area');
    t.true(dataOf(disk, oldSize).equals(before), 'data kept');
    await grown.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
