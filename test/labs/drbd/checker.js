'use strict';
// A Jepsen-spirit checker for the replicated volume. Writers issue random writes of random
// sizes to the Primary node process and record which were acknowledged; every 512-byte sector
// written carries (write id, sector index, deterministic filler), so a read-back identifies
// exactly which write's data a sector holds and catches torn or misplaced data.
const SECTOR = 512;

function sectorContent(writeId, sector) {
  const buf = Buffer.alloc(SECTOR);
  buf.writeUInt32LE(writeId, 0);
  buf.writeUInt32LE(sector, 4);
  buf.writeUInt32LE(0x5ec7da7a, 8);
  let x = (writeId * 2654435761 + sector * 40503 + 1) >>> 0 || 1;
  for (let i = 12; i < SECTOR; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    buf.writeUInt32LE(x, i);
  }
  return buf;
}

/** The write id a sector holds (0: never written), or throws if the content is not a write's. */
function identify(image, sector) {
  const at = sector * SECTOR;
  const slice = image.subarray(at, at + SECTOR);
  const writeId = slice.readUInt32LE(0);
  if (writeId === 0 && slice.every((b) => b === 0)) return 0;
  if (slice.readUInt32LE(4) !== sector || !slice.equals(sectorContent(writeId, sector))) {
    throw new Error(`sector ${sector} holds data that no write put there (claims write ${writeId}, sector ${slice.readUInt32LE(4)})`);
  }
  return writeId;
}

class Model {
  constructor(sectors) {
    this.sectors = sectors;
    this.acked = new Uint32Array(sectors); // last acknowledged (or verified) write per sector
    this.unknown = new Map(); // sector -> write id in flight when the primary died
    this.locked = new Uint8Array(sectors);
    this.nextId = 1;
    this.ackedWrites = 0;
    this.history = []; // sequential runs: [{ id, first, count, acked }]
  }
  /** Every sector must hold its last acknowledged write or the write in flight on it. */
  check(image) {
    const problems = [];
    for (let s = 0; s < this.sectors; s++) {
      const got = identify(image, s);
      const allowed = [this.acked[s]];
      if (this.unknown.has(s)) allowed.push(this.unknown.get(s));
      if (!allowed.includes(got)) {
        problems.push(`sector ${s}: holds write ${got}, acknowledged write ${this.acked[s]}${this.unknown.has(s) ? ` (or in-flight ${this.unknown.get(s)})` : ''}`);
        if (problems.length > 10) break;
      }
    }
    if (problems.length) throw new Error(`acknowledged data lost:\n${problems.join('\n')}`);
  }
  /** After a verified read-back, the observed state is the new baseline. */
  settle(image) {
    for (let s = 0; s < this.sectors; s++) this.acked[s] = identify(image, s);
    this.unknown.clear();
    this.locked.fill(0);
    this.history = [];
  }
  /**
   * Write-order fidelity for sequential writes (protocol A's promise on the peer): the image
   * equals the state after some prefix of the writes. Returns the admissible prefix range.
   */
  prefixRange(image, baseline) {
    let low = 0, high = this.history.length;
    for (let s = 0; s < this.sectors; s++) {
      const got = identify(image, s);
      const covering = [];
      this.history.forEach((w, index) => { if (s >= w.first && s < w.first + w.count) covering.push(index); });
      if (covering.length === 0) { if (got !== baseline[s]) throw new Error(`sector ${s} changed without a write`); continue; }
      let lo, hi;
      if (got === baseline[s]) { lo = 0; hi = covering[0]; }
      else {
        const k = covering.findIndex((index) => this.history[index].id === got);
        if (k < 0) throw new Error(`sector ${s} holds write ${got} that never covered it`);
        lo = covering[k] + 1;
        hi = k + 1 < covering.length ? covering[k + 1] : this.history.length;
      }
      low = Math.max(low, lo);
      high = Math.min(high, hi);
      if (low > high) throw new Error(`write order violated at sector ${s}: no prefix of the writes explains the image`);
    }
    return { low, high };
  }
}

/**
 * Runs `writers` concurrent writers against `node` until `stop()` resolves; every write is a
 * random sector range (1..maxSectors) that overlaps no other write in flight.
 */
function runWriters(node, model, { writers = 4, maxSectors = 128, random = Math.random, sequential = false } = {}) {
  let stopped = false;
  const loops = [];
  for (let w = 0; w < (sequential ? 1 : writers); w++) {
    loops.push((async () => {
      while (!stopped) {
        let first, count;
        for (let attempt = 0; ; attempt++) {
          count = 1 + Math.floor(random() * maxSectors);
          first = Math.floor(random() * (model.sectors - count));
          let free = true;
          for (let s = first; s < first + count && free; s++) free = !model.locked[s];
          if (free) break;
          if (attempt > 50) { await new Promise((r) => setTimeout(r, 1)); attempt = 0; }
        }
        const id = model.nextId++;
        const data = Buffer.alloc(count * SECTOR);
        for (let s = 0; s < count; s++) {
          sectorContent(id, first + s).copy(data, s * SECTOR);
          model.locked[first + s] = 1;
          model.unknown.set(first + s, id);
        }
        const entry = { id, first, count, acked: false };
        model.history.push(entry);
        try {
          await node.call('write', { offset: first * SECTOR, data });
        } catch (error) {
          if (error.code === 'EXITED') return; // the node died: this write's fate is unknown
          throw error;
        }
        entry.acked = true;
        model.ackedWrites++;
        for (let s = first; s < first + count; s++) {
          model.acked[s] = id;
          model.unknown.delete(s);
          model.locked[s] = 0;
        }
      }
    })());
  }
  return { stop: () => { stopped = true; }, done: Promise.all(loops) };
}

async function readAll(node, size) {
  const parts = [];
  for (let at = 0; at < size; at += 1 << 20) parts.push(await node.call('read', { offset: at, length: Math.min(1 << 20, size - at) }));
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

/** A small seeded PRNG so a failing run can be replayed (the seed is in the failure message). */
function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}

module.exports = { Model, runWriters, readAll, sectorContent, identify, prng, SECTOR };
