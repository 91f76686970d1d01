'use strict';
// bench/drbd: two nodes on this machine over loopback. For protocols A, B and C: sequential
// 1 MiB writes (MB/s) and 4 KiB writes at queue depth 1 (p50/p99 latency, IOPS); in the same
// run the limits: local disk writes with the same sync behaviour, raw TCP throughput and RTT,
// and the resync rate against its configured limit. Prints a table and the goal ratios.
// Usage: node bench/drbd/bench.js [--mib 256] [--ops 2000]
const fs = require('fs');
const net = require('net');
const path = require('path');
const { syncedPair, tempDir } = require('../../test/labs/drbd/pair');

const arg = (name, fallback) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : fallback; };
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

async function lat(volume) {
  const times = [];
  const blocks = (MIB << 20) / 4096;
  for (let i = 0; i < OPS; i++) {
    const offset = ((i * 7919) % blocks) * 4096;
    const t0 = now();
    await volume.write(offset, small);
    times.push(now() - t0);
  }
  times.sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  return { p50: pct(times, 50), p99: pct(times, 99), iops: OPS / (total / 1000) };
}

function localDisk(dir) {
  const file = path.join(dir, 'local.img');
  const fd = fs.openSync(file, 'w+');
  try {
    let t0 = now();
    for (let i = 0; i < MIB; i++) fs.writeSync(fd, block, 0, block.length, i << 20);
    fs.fdatasyncSync(fd);
    const buffered = (MIB * 1.048576) / ((now() - t0) / 1000);
    t0 = now();
    for (let i = 0; i < MIB; i++) { fs.writeSync(fd, block, 0, block.length, i << 20); fs.fdatasyncSync(fd); }
    const synced = (MIB * 1.048576) / ((now() - t0) / 1000);
    const w = [], s = [];
    const blocks = (MIB << 20) / 4096;
    for (let i = 0; i < OPS; i++) {
      const offset = ((i * 7919) % blocks) * 4096;
      const a = now();
      fs.writeSync(fd, small, 0, 4096, offset);
      const b = now();
      fs.fdatasyncSync(fd);
      w.push(b - a);
      s.push(now() - a);
    }
    w.sort((x, y) => x - y); s.sort((x, y) => x - y);
    return { buffered, synced, write4k: pct(w, 50), syncWrite4k: pct(s, 50), syncWrite4kP99: pct(s, 99) };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

function tcp() {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      let mode;
      socket.on('data', (chunk) => {
        if (mode === undefined) mode = chunk[0];
        if (mode === 1) socket.write(chunk); // echo for RTT
      });
    });
    server.listen(0, '127.0.0.1', async () => {
      const port = server.address().port;
      // Throughput: stream MIB MiB.
      const bulk = net.connect(port, '127.0.0.1');
      await new Promise((r) => bulk.once('connect', r));
      const t0 = now();
      bulk.write(Buffer.from([0]));
      for (let i = 0; i < MIB; i++) if (!bulk.write(block)) await new Promise((r) => bulk.once('drain', r));
      await new Promise((r) => bulk.end(r));
      const mbps = (MIB * 1.048576) / ((now() - t0) / 1000);
      // RTT: 1-byte ping-pong.
      const ping = net.connect(port, '127.0.0.1');
      ping.setNoDelay(true);
      await new Promise((r) => ping.once('connect', r));
      const rtts = [];
      ping.write(Buffer.from([1]));
      await new Promise((r) => ping.once('data', r));
      for (let i = 0; i < 2000; i++) {
        const a = now();
        ping.write(Buffer.from([1]));
        await new Promise((r) => ping.once('data', r));
        rtts.push(now() - a);
      }
      rtts.sort((x, y) => x - y);
      ping.destroy();
      server.close();
      resolve({ mbps, rtt: pct(rtts, 50), rttP99: pct(rtts, 99) });
    });
  });
}

async function resyncRate(limit) {
  const pair = await syncedPair({ size: VOLUME + (1 << 20) });
  try {
    pair.b.disconnect();
    await pair.a.waitFor((s) => s.replication === 'Off', 5000);
    const mib = Math.min(MIB, 128);
    for (let i = 0; i < mib; i++) await pair.a.write(i << 20, block);
    pair.a.setResyncRate(limit);
    pair.b.setResyncRate(limit);
    const t0 = now();
    const done = new Promise((r) => pair.b.once('resync-done', r));
    pair.b.connect();
    const result = await done;
    return (result.bytes / 1048576 * 1.048576) / ((now() - t0) / 1000);
  } finally {
    await pair.close();
  }
}

(async () => {
  const dir = tempDir('hakit-drbd-bench-');
  const rows = {};
  // The disk's flush latency drifts on a shared machine: measure it right before each protocol.
  const adjacent = {};
  for (const protocol of ['A', 'B', 'C']) {
    adjacent[protocol] = localDisk(dir);
    const pair = await syncedPair({ size: VOLUME + (1 << 20), dir: fs.mkdtempSync(path.join(dir, protocol)), net: { protocol, maxBuffers: 16 << 20 } });
    try {
      const mbps = await seq(pair.a);
      const l = await lat(pair.a);
      rows[protocol] = { mbps, ...l };
      console.log(`protocol ${protocol}: seq 1 MiB ${mbps.toFixed(1)} MB/s; 4 KiB QD1 p50 ${(l.p50 * 1000).toFixed(0)} us p99 ${(l.p99 * 1000).toFixed(0)} us, ${l.iops.toFixed(0)} IOPS`);
    } finally {
      await pair.close();
    }
  }
  const disk = adjacent.C;
  for (const p of ['A', 'B', 'C']) console.log(`local disk measured before protocol ${p}: 4 KiB pwrite+fdatasync p50 ${(adjacent[p].syncWrite4k * 1000).toFixed(0)} us, 1 MiB fdatasync'd ${adjacent[p].synced.toFixed(1)} MB/s`);
  console.log(`local disk: 1 MiB buffered+final fdatasync ${disk.buffered.toFixed(1)} MB/s, 1 MiB each fdatasync'd ${disk.synced.toFixed(1)} MB/s; 4 KiB pwrite ${(disk.write4k * 1000).toFixed(0)} us, pwrite+fdatasync p50 ${(disk.syncWrite4k * 1000).toFixed(0)} us p99 ${(disk.syncWrite4kP99 * 1000).toFixed(0)} us`);
  const t = await tcp();
  console.log(`raw TCP loopback: ${t.mbps.toFixed(1)} MB/s, RTT p50 ${(t.rtt * 1000).toFixed(0)} us p99 ${(t.rttP99 * 1000).toFixed(0)} us`);
  const limit = 40 << 20;
  const rate = await resyncRate(limit);
  console.log(`resync: ${rate.toFixed(1)} MB/s with resync-rate ${(limit / 1048576).toFixed(0)} MiB/s`);
  // Goals (issue 7).
  const cLimit = Math.min(disk.synced, t.mbps);
  const latBudget = disk.write4k + t.rtt + disk.syncWrite4k;
  console.log('\ngoals:');
  console.log(`  protocol C throughput / min(disk fdatasync'd, network) = ${rows.C.mbps.toFixed(1)} / ${cLimit.toFixed(1)} = ${(rows.C.mbps / cLimit).toFixed(2)} (goal >= 0.90)`);
  console.log(`  protocol C 4 KiB p50 / (local write + RTT + remote write) = ${(rows.C.p50 * 1000).toFixed(0)} / ${(latBudget * 1000).toFixed(0)} us = ${(rows.C.p50 / latBudget).toFixed(2)} (goal <= 1.10)`);
  console.log(`  resync rate / configured limit = ${(rate / (limit / 1e6)).toFixed(2)} (goal >= 0.90)`);
  fs.rmSync(dir, { recursive: true, force: true });
})().catch((error) => { console.error(error); process.exit(1); });
