'use strict';
// bench/drbd: two nodes on this machine over loopback. For protocols A, B and C: sequential
// 1 MiB writes (MB/s, 8 in flight) and 4 KiB writes at queue depth 1 (p50/p99 latency, IOPS);
// in the same run the limits, measured in C (bench/drbd/anchor.c) and with iperf3: the disk
// with the sync behaviour protocol C needs (1 MiB pwrite+fdatasync; 4 KiB buffered pwrite for
// the Primary's local write; the faster of pwrite+fdatasync and RWF_DSYNC for the peer's
// stable write), raw TCP throughput and RTT, and the resync rate against its configured limit.
// Backing files hold data before the run, as block devices do. Prints the goal ratios.
// --link RATE (root): the whole run, anchors included, in a fresh network namespace whose
// loopback is shaped to RATE by tc's token bucket ("5gbit"), i.e. a replication link slower
// than this VM's memory copies, as between two machines; without it, the host's loopback.
// Usage: node bench/drbd/bench.js [--mib 256] [--ops 2000] [--link 5gbit]
const fs = require('fs');
const { execFileSync, spawn, spawnSync } = require('child_process');
const path = require('path');
const { drbd } = require('../..');
const { syncedPair, tempDir } = require('../../test/labs/drbd/pair');

const arg = (name, fallback) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : fallback; };
const LINK = process.argv.includes('--link') ? process.argv[process.argv.indexOf('--link') + 1] : '';
if (LINK && !/^\d+(\.\d+)?[kmg]?bit$/.test(LINK)) throw new Error(`--link wants a tc rate such as 5gbit, got '${LINK}'`);
if (LINK && !process.env.HAKIT_BENCH_LINK) {
  // Again, inside a new network namespace (its own loopback, which tc may shape).
  const run = spawnSync('unshare', ['-n', process.execPath, __filename, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, HAKIT_BENCH_LINK: LINK } });
  if (run.error || run.status !== 0) console.error(run.error ? `unshare: ${run.error.message}` : '--link needs root (unshare -n, tc)');
  process.exit(run.status ?? 1);
}
if (LINK) {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  // burst: a few 64 KiB loopback segments; latency bounds the queue.
  execFileSync('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', LINK, 'burst', '256kb', 'latency', '5ms']);
  console.log(`link: own network namespace, loopback shaped by tc tbf to ${LINK}`);
}
const MIB = arg('mib', 256);
const OPS = arg('ops', 2000);
const VOLUME = (MIB + 64) << 20;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const block = Buffer.alloc(1 << 20, 0x5a);
const small = Buffer.alloc(4096, 0xa5);

async function seq(volume) {
  const t0 = now();
  let next = 0;
  const total = MIB;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < total) { const i = next++; await volume.write(i << 20, block); }
  }));
  await volume.flush();
  return (MIB * 1.048576) / ((now() - t0) / 1000);
}

const summary = (times) => {
  times.sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  return { p50: pct(times, 50), p99: pct(times, 99), iops: times.length / (total / 1000) };
};

/**
 * 4 KiB writes at queue depth 1. With `budget` (protocol C), blocks of BLOCK writes alternate
 * with blocks of the C budget loop on the same offsets, so that both see the same drift of this
 * shared VM's disk flush latency (it moves by 2x within minutes).
 */
const BLOCK = 250;
async function lat(volume, budget) {
  const times = [], budgetTimes = [];
  const blocks = (MIB << 20) / 4096;
  for (let first = 0; first < OPS; first += BLOCK) {
    const n = Math.min(BLOCK, OPS - first);
    for (let i = first; i < first + n; i++) {
      const offset = ((i * 7919) % blocks) * 4096;
      const t0 = now();
      await volume.write(offset, small);
      times.push(now() - t0);
    }
    if (budget) budgetTimes.push(...budget(first, n).map((us) => us / 1000));
  }
  return { ...summary(times), budget: budget ? summary(budgetTimes) : undefined };
}

// The anchors run as a C program (bench/drbd/anchor.c, built here with the system compiler):
// measured through Node they include event-loop and binding overhead, which understates the
// network (Node sockets gave ~790 MB/s where C gives ~2 GB/s) and so would flatter us.
function buildAnchor(dir) {
  const binary = path.join(dir, 'anchor');
  execFileSync('cc', ['-O2', '-pthread', '-o', binary, path.join(__dirname, 'anchor.c')]);
  return (...args) => JSON.parse(execFileSync(binary, args.map(String), { encoding: 'utf8' }));
}

/** A backing file that holds written data, as a block device does (no allocation on write). */
function filledFile(file, bytes) {
  const fd = fs.openSync(file, 'w');
  try {
    for (let at = 0; at < bytes; at += block.length) fs.writeSync(fd, block, 0, Math.min(block.length, bytes - at), at);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function localDisk(anchor, dir) {
  const file = path.join(dir, 'local.img');
  filledFile(file, MIB << 20);
  try {
    return anchor('disk', file, MIB, OPS);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Protocol C's work in plain C on this machine (both nodes' copies on the same cores and disk). */
function pipeline(anchor, dir) {
  const a = path.join(dir, 'pipe-a.img'), b = path.join(dir, 'pipe-b.img');
  filledFile(a, MIB << 20);
  filledFile(b, MIB << 20);
  try {
    return anchor('pipeline', a, b, MIB).mbps;
  } finally {
    fs.rmSync(a, { force: true });
    fs.rmSync(b, { force: true });
  }
}

/** iperf3 (when installed) and the C stream; the larger is the network's limit. */
function tcpThroughput(anchor) {
  const c = anchor('stream', Math.max(MIB, 512)).mbps;
  let iperf = 0;
  const port = 20000 + Math.floor(Math.random() * 30000);
  const server = spawn('iperf3', ['-s', '-1', '-p', String(port), '-B', '127.0.0.1'], { stdio: 'ignore' });
  server.on('error', () => {});
  try {
    execFileSync('sleep', ['0.3']);
    const out = JSON.parse(execFileSync('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-n', `${Math.max(MIB, 512)}M`, '-l', '1M', '-J'], { encoding: 'utf8' }));
    iperf = out.end.sum_received.bits_per_second / 8e6;
  } catch {
    // iperf3 missing: the C stream alone is the anchor.
  } finally {
    server.kill();
  }
  return { c, iperf, mbps: Math.max(c, iperf) };
}

/** The C loop of "local write + RTT + remote write" (anchor serial) on its own two files. */
function budgetLoop(anchor, dir) {
  const a = path.join(dir, 'budget-a.img'), b = path.join(dir, 'budget-b.img');
  filledFile(a, MIB << 20);
  filledFile(b, MIB << 20);
  return (first, n) => anchor('serial', a, b, MIB, n, first).times;
}

/** Two nodes whose backing files hold data (no allocation on first write, as on block devices). */
async function benchPair(dir, net) {
  for (const name of ['alpha.img', 'bravo.img']) {
    filledFile(path.join(dir, name), VOLUME + (1 << 20));
    await drbd.createMetadata(path.join(dir, name));
  }
  return syncedPair({ dir, create: false, net });
}

/** Resync of MIB MiB dirty blocks (at most 128): timed from SyncTarget to resync-done. */
async function resyncRate(dir, limit) {
  const pair = await benchPair(dir, {});
  try {
    pair.b.disconnect();
    await pair.a.waitFor((s) => s.replication === 'Off', 5000);
    const mib = Math.min(MIB, 128);
    for (let i = 0; i < mib; i++) await pair.a.write(i << 20, block);
    pair.a.setResyncRate(limit);
    pair.b.setResyncRate(limit);
    // The handshake (the dialing node redials every connect-int) is not part of the resync.
    let t0 = 0;
    pair.b.on('replication', (to) => { if (to === 'SyncTarget') t0 = now(); });
    const done = new Promise((r) => pair.b.once('resync-done', r));
    pair.b.connect();
    const result = await done;
    return { mbps: (result.bytes / 1e6) / ((now() - t0) / 1000), bytes: result.bytes };
  } finally {
    await pair.close();
  }
}

const us = (ms) => `${(ms * 1000).toFixed(0)} us`;

(async () => {
  const dir = tempDir('hakit-drbd-bench-');
  const anchor = buildAnchor(dir);
  const rows = {};
  // The disk's flush latency drifts: measure the disk right before each protocol, and use the
  // figures taken before protocol C for C's goals.
  const adjacent = {};
  const budget = budgetLoop(anchor, dir);
  let cBudget;
  for (const protocol of ['A', 'B', 'C']) {
    adjacent[protocol] = localDisk(anchor, dir);
    const pair = await benchPair(fs.mkdtempSync(path.join(dir, protocol)), { protocol, maxBuffers: 16 << 20 });
    try {
      const mbps = await seq(pair.a);
      const l = await lat(pair.a, protocol === 'C' ? budget : undefined);
      rows[protocol] = { mbps, ...l };
      console.log(`protocol ${protocol}: seq 1 MiB ${mbps.toFixed(1)} MB/s; 4 KiB QD1 p50 ${us(l.p50)} p99 ${us(l.p99)}, ${l.iops.toFixed(0)} IOPS`);
      if (l.budget) {
        cBudget = l.budget;
        console.log(`  interleaved with it, the C loop "local write + RTT + remote write" (anchor serial): p50 ${us(cBudget.p50)} p99 ${us(cBudget.p99)}`);
      }
    } finally {
      await pair.close();
    }
  }
  for (const p of ['A', 'B', 'C']) {
    const d = adjacent[p];
    console.log(`local disk before protocol ${p}: 1 MiB pwrite+fdatasync ${d.synced.toFixed(1)} MB/s; 4 KiB pwrite ${d.write4k.toFixed(0)} us, pwrite+fdatasync p50 ${d.sync4k.toFixed(0)} us p99 ${d.sync4kP99.toFixed(0)} us, pwritev2(RWF_DSYNC) p50 ${d.dsync4k.toFixed(0)} us p99 ${d.dsync4kP99.toFixed(0)} us`);
  }
  const disk = adjacent.C;
  const t = tcpThroughput(anchor);
  const rtt1 = anchor('rtt', 5000, 1);
  const rtt4k = anchor('rtt', 5000, 4096 + 40); // a 4 KiB Data packet out, an ack back
  console.log(`raw TCP loopback (C): ${t.c.toFixed(1)} MB/s, iperf3 ${t.iperf ? t.iperf.toFixed(1) + ' MB/s' : 'not installed'}; RTT 1 byte p50 ${rtt1.p50.toFixed(0)} us p99 ${rtt1.p99.toFixed(0)} us, 4 KiB out/8 bytes back p50 ${rtt4k.p50.toFixed(0)} us p99 ${rtt4k.p99.toFixed(0)} us`);
  const pipe = pipeline(anchor, dir);
  console.log(`same-machine pipeline (protocol C's copies and syncs in plain C, not a goal): ${pipe.toFixed(1)} MB/s`);
  const limit = 40 << 20;
  const resync = await resyncRate(fs.mkdtempSync(path.join(dir, 'resync')), limit);
  console.log(`resync: ${resync.mbps.toFixed(1)} MB/s (${(resync.bytes / 1048576).toFixed(0)} MiB) with resync-rate ${(limit / 1048576).toFixed(0)} MiB/s = ${(limit / 1e6).toFixed(1)} MB/s`);
  // Goals (issue 7).
  const cLimit = Math.min(disk.synced, t.mbps);
  // The sum of the parts' medians, each measured on its own (the first version of this goal's
  // anchor; remote write = the faster way this disk makes a 4 KiB write stable).
  const partsBudget = (disk.write4k + rtt4k.p50 + Math.min(disk.sync4k, disk.dsync4k)) / 1000;
  console.log('\ngoals:');
  console.log(`  protocol C throughput / min(disk, network) = ${rows.C.mbps.toFixed(1)} / ${cLimit.toFixed(1)} = ${(rows.C.mbps / cLimit).toFixed(2)} (goal >= 0.90)`);
  console.log(`  (for reference) protocol C throughput / same-machine C pipeline = ${rows.C.mbps.toFixed(1)} / ${pipe.toFixed(1)} = ${(rows.C.mbps / pipe).toFixed(2)}`);
  console.log(`  protocol C 4 KiB p50 / C loop of local write + RTT + remote write, interleaved = ${us(rows.C.p50)} / ${us(cBudget.p50)} = ${(rows.C.p50 / cBudget.p50).toFixed(2)} (goal <= 1.10)`);
  console.log(`  (for reference) protocol C 4 KiB p50 / sum of the parts' medians measured apart = ${us(rows.C.p50)} / ${us(partsBudget)} = ${(rows.C.p50 / partsBudget).toFixed(2)}`);
  console.log(`  resync rate / configured limit = ${resync.mbps.toFixed(1)} / ${(limit / 1e6).toFixed(1)} = ${(resync.mbps / (limit / 1e6)).toFixed(2)} (goal >= 0.90)`);
  fs.rmSync(dir, { recursive: true, force: true });
})().catch((error) => { console.error(error); process.exit(1); });
