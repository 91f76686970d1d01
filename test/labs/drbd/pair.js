'use strict';
// Lab helpers for DRBD-style volumes: backing files with fresh meta-data, and two Volumes in
// this process connected over loopback (the dialing node gets the listener's real port).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { drbd } = require('../../..');

function tempDir(prefix = 'hakit-drbd-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A fresh directory under the first of `candidates` where 512-byte O_DIRECT writes work (dd
 * aligns its buffer), or undefined. tmpfs before Linux 6.6 and some overlay file systems refuse
 * O_DIRECT with EINVAL; /var/tmp and the checkout are usually on a disk file system.
 */
function directDir(candidates = [os.tmpdir(), '/var/tmp', path.join(__dirname, '..', '..', '..')]) {
  for (const base of candidates) {
    let dir;
    try {
      dir = fs.mkdtempSync(path.join(base, '.hakit-drbd-direct-'));
      // Without the sanitizer run's LD_PRELOAD: ASan aborts dd on its aligned_alloc(4096, 512).
      const env = { ...process.env };
      delete env.LD_PRELOAD;
      const probe = spawnSync('dd', ['if=/dev/zero', `of=${path.join(dir, 'probe')}`, 'bs=512', 'count=1', 'seek=1', 'oflag=direct', 'conv=notrunc'], { stdio: 'ignore', env });
      fs.rmSync(path.join(dir, 'probe'), { force: true });
      if (probe.status === 0) return dir;
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return undefined;
}

async function makeDisk(file, size) {
  fs.writeFileSync(file, '');
  fs.truncateSync(file, size);
  await drbd.createMetadata(file);
  return file;
}

const fastNet = { connectInt: 1, pingInt: 1, pingTimeout: 50, timeout: 50 };

/**
 * Opens nodes 'alpha' (dials) and 'bravo' (listens). `alphaOptions`/`bravoOptions` override
 * per node (e.g. disk: null for diskless, a different net). Returns { a, b, dir, close }.
 */
async function openPair({ size = 8 << 20, net = {}, alphaOptions = {}, bravoOptions = {}, dir = tempDir(), create = true } = {}) {
  const diskA = path.join(dir, 'alpha.img');
  const diskB = path.join(dir, 'bravo.img');
  if (create) {
    await makeDisk(diskA, size);
    await makeDisk(diskB, size);
  }
  const common = { resource: 'r0', net: { protocol: 'C', ...fastNet, ...net } };
  const b = await drbd.Volume.open({ ...common, node: 'bravo', peer: 'alpha', disk: diskB, address: { host: '127.0.0.1', port: 0 }, peerAddress: { host: '127.0.0.1', port: 9 }, ...bravoOptions, net: { ...common.net, ...(bravoOptions.net || {}) } });
  const a = await drbd.Volume.open({ ...common, node: 'alpha', peer: 'bravo', disk: diskA, address: { host: '127.0.0.1', port: 0 }, peerAddress: { host: '127.0.0.1', port: b.listenPort }, ...alphaOptions, net: { ...common.net, ...(alphaOptions.net || {}) } });
  const close = async () => {
    await a.close().catch(() => {});
    await b.close().catch(() => {});
  };
  return { a, b, dir, diskA, diskB, close };
}

/** Connects both, makes `a` Primary with --force, waits for the initial full sync. */
async function syncedPair(options = {}) {
  const pair = await openPair(options);
  pair.b.connect();
  pair.a.connect();
  await pair.a.waitFor((s) => s.replication === 'Established', 15000, 'first connection');
  await pair.a.primary({ force: true });
  await pair.b.waitFor((s) => s.disk === 'UpToDate' && s.replication === 'Established', 30000, 'initial sync');
  await pair.a.waitFor((s) => s.peer.disk === 'UpToDate' && s.replication === 'Established', 30000, 'initial sync (source)');
  return pair;
}

/** The data area of a backing file (internal meta-data excluded). */
function dataOf(file, size) {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size);
    fs.readSync(fd, buf, 0, size, 0);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

function pattern(seed, length) {
  const buf = Buffer.alloc(length + 4);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    buf.writeUInt32LE(x, i);
  }
  return buf.subarray(0, length);
}

/** Resolves with the first `event` from `emitter`, or rejects after `ms` (tests never hang). */
function once(emitter, event, ms = 20000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { emitter.off(event, on); reject(new Error(`timed out waiting for '${event}'`)); }, ms);
    const on = (value) => { clearTimeout(timer); resolve(value); };
    emitter.once(event, on);
  });
}

module.exports = { once, tempDir, directDir, makeDisk, openPair, syncedPair, dataOf, pattern, fastNet };
