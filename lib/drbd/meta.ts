/**
 * On-disk metadata: where it lives (internal at the end of the backing file, or an external
 * meta-disk) and the superblock (generation identifiers, flags). The dirty bitmap (one bit per
 * 4 KiB, little-endian 64-bit words) and the two activity-log slots are written by the native
 * data path; this module only places them.
 *
 * Internal layout, from the end of the backing file: superblock (4 KiB), activity log
 * (2 x 4 KiB), bitmap (rounded up to 4 KiB), and the data area before all of that — the same
 * order DRBD uses for internal meta-data.
 */
import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { HakitError } from '../errors';

export const BLOCK = 4096;
export const SUPERBLOCK_SIZE = 4096;
export const AL_SIZE = 2 * 4096;
const MAGIC = 0x484b4d44; // "HKMD"
const VERSION = 1;

/** UUID_JUST_CREATED: the current UUID of metadata nobody has made authoritative yet. */
export const UUID_JUST_CREATED = 4n;

export const FLAG_CONSISTENT = 1;
export const FLAG_WAS_UP_TO_DATE = 2;
/** Set while Primary: found set at attach, the node crashed as Primary. */
export const FLAG_PRIMARY_IND = 4;
export const FLAG_OUTDATED = 8;

export interface Layout {
  metaPath: string;
  dataSize: number;
  bitmapOffset: number;
  bitmapBytes: number;
  alOffset: number;
  superblockOffset: number;
  internal: boolean;
}

export interface Superblock {
  dataSize: number;
  current: bigint;
  bitmap: bigint;
  history: [bigint, bigint];
  flags: number;
  alExtents: number;
  /** ms since the epoch when this node last became Primary (discard-younger/older-primary). */
  primarySince: number;
}

export function bitmapBytesFor(dataSize: number): number {
  const words = Math.ceil(Math.ceil(dataSize / BLOCK) / 64);
  return Math.ceil((words * 8) / BLOCK) * BLOCK || BLOCK;
}

/** Internal meta-data: the largest 4 KiB-aligned data area that leaves room for the metadata. */
export function internalLayout(path: string, fileSize: number): Layout {
  const fixed = SUPERBLOCK_SIZE + AL_SIZE;
  let dataSize = Math.floor((fileSize - fixed) / BLOCK) * BLOCK;
  while (dataSize > 0 && dataSize + bitmapBytesFor(dataSize) + fixed > fileSize) dataSize -= BLOCK;
  if (dataSize <= 0) throw new HakitError('DRBD_TOO_SMALL', `backing file ${path} (${fileSize} bytes) is too small for internal meta-data`, { path, fileSize });
  const superblockOffset = fileSize - SUPERBLOCK_SIZE;
  const alOffset = superblockOffset - AL_SIZE;
  const bitmapBytes = bitmapBytesFor(dataSize);
  return { metaPath: path, dataSize, bitmapBytes, bitmapOffset: alOffset - bitmapBytes, alOffset, superblockOffset, internal: true };
}

/** External meta-data: superblock, activity log, then bitmap, from the start of the meta file. */
export function externalLayout(metaPath: string, dataFileSize: number): Layout {
  const dataSize = Math.floor(dataFileSize / BLOCK) * BLOCK;
  if (dataSize <= 0) throw new HakitError('DRBD_TOO_SMALL', `backing file is too small (${dataFileSize} bytes)`, { dataFileSize });
  return { metaPath, dataSize, bitmapBytes: bitmapBytesFor(dataSize), superblockOffset: 0, alOffset: SUPERBLOCK_SIZE, bitmapOffset: SUPERBLOCK_SIZE + AL_SIZE, internal: false };
}

export async function layoutFor(disk: string, metaDisk: string): Promise<Layout> {
  const size = await fileSize(disk);
  return metaDisk === 'internal' ? internalLayout(disk, size) : externalLayout(metaDisk, size);
}

async function fileSize(path: string): Promise<number> {
  try {
    const handle = await fsp.open(path, 'r');
    try {
      return (await handle.stat()).size;
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw new HakitError('DRBD_NO_DISK', `cannot open backing disk ${path}: ${(cause as Error).message}`, { path }, { cause });
  }
}

export function newUuid(): bigint {
  // Low bit clear (DRBD keeps it for flags); never one of the special small values.
  let value = randomBytes(8).readBigUInt64BE(0) & ~1n;
  if (value < 16n) value += 16n;
  return value;
}

export function encodeSuperblock(sb: Superblock): Buffer {
  const buf = Buffer.alloc(SUPERBLOCK_SIZE);
  buf.writeUInt32BE(MAGIC, 0);
  buf.writeUInt32BE(VERSION, 4);
  buf.writeBigUInt64BE(BigInt(sb.dataSize), 8);
  buf.writeBigUInt64BE(sb.current, 16);
  buf.writeBigUInt64BE(sb.bitmap, 24);
  buf.writeBigUInt64BE(sb.history[0], 32);
  buf.writeBigUInt64BE(sb.history[1], 40);
  buf.writeUInt32BE(sb.flags >>> 0, 48);
  buf.writeUInt32BE(sb.alExtents, 52);
  buf.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(sb.primarySince))), 56);
  buf.writeUInt32BE(crc32(buf.subarray(0, SUPERBLOCK_SIZE - 4)), SUPERBLOCK_SIZE - 4);
  return buf;
}

export function decodeSuperblock(buf: Buffer): Superblock | undefined {
  if (buf.length < SUPERBLOCK_SIZE || buf.readUInt32BE(0) !== MAGIC || buf.readUInt32BE(4) !== VERSION) return undefined;
  if (buf.readUInt32BE(SUPERBLOCK_SIZE - 4) !== crc32(buf.subarray(0, SUPERBLOCK_SIZE - 4))) return undefined;
  return {
    dataSize: Number(buf.readBigUInt64BE(8)),
    current: buf.readBigUInt64BE(16),
    bitmap: buf.readBigUInt64BE(24),
    history: [buf.readBigUInt64BE(32), buf.readBigUInt64BE(40)],
    flags: buf.readUInt32BE(48),
    alExtents: buf.readUInt32BE(52),
    primarySince: Number(buf.readBigUInt64BE(56)),
  };
}

export async function readSuperblock(layout: Layout): Promise<Superblock | undefined> {
  const handle = await fsp.open(layout.metaPath, 'r');
  try {
    const buf = Buffer.alloc(SUPERBLOCK_SIZE);
    const { bytesRead } = await handle.read(buf, 0, SUPERBLOCK_SIZE, layout.superblockOffset);
    return bytesRead === SUPERBLOCK_SIZE ? decodeSuperblock(buf) : undefined;
  } finally {
    await handle.close();
  }
}

export async function writeSuperblock(layout: Layout, sb: Superblock): Promise<void> {
  const handle = await fsp.open(layout.metaPath, 'r+');
  try {
    await handle.write(encodeSuperblock(sb), 0, SUPERBLOCK_SIZE, layout.superblockOffset);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * drbdadm create-md: a fresh superblock (current UUID "just created", inconsistent), an empty
 * bitmap and activity log. Refuses to overwrite valid metadata unless `force`.
 */
export async function createMetadata(disk: string, metaDisk = 'internal', options: { force?: boolean; alExtents?: number } = {}): Promise<Layout> {
  if (metaDisk !== 'internal') {
    const handle = await fsp.open(metaDisk, 'a');
    await handle.close();
    const layout = externalLayout(metaDisk, await fileSize(disk));
    const need = layout.bitmapOffset + layout.bitmapBytes;
    const current = await fileSize(metaDisk);
    if (current < need) await fsp.truncate(metaDisk, need);
  }
  const layout = await layoutFor(disk, metaDisk);
  if (!options.force && (await readSuperblock(layout))) {
    throw new HakitError('DRBD_MD_EXISTS', `valid meta-data already exists on ${layout.metaPath}`, { path: layout.metaPath });
  }
  const handle = await fsp.open(layout.metaPath, 'r+');
  try {
    await handle.write(Buffer.alloc(layout.bitmapBytes), 0, layout.bitmapBytes, layout.bitmapOffset);
    await handle.write(Buffer.alloc(AL_SIZE), 0, AL_SIZE, layout.alOffset);
    const sb: Superblock = { dataSize: layout.dataSize, current: UUID_JUST_CREATED, bitmap: 0n, history: [0n, 0n], flags: 0, alExtents: options.alExtents ?? 257, primarySince: 0 };
    await handle.write(encodeSuperblock(sb), 0, SUPERBLOCK_SIZE, layout.superblockOffset);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return layout;
}

let table: Uint32Array | undefined;
/** CRC-32 (IEEE) for the superblock checksum. */
export function crc32(buf: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[i] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < buf.length; i++) crc = table[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * drbdadm resize, offline: the backing file has grown (or shrunk to no less than the data in
 * use is the caller's promise); moves internal meta-data to the new end, keeps the bitmap and
 * marks the new area out of sync so the next connection syncs it. Returns the new layout.
 */
export async function resizeMetadata(disk: string, metaDisk = 'internal'): Promise<{ before: number; after: Layout }> {
  const layout = await layoutFor(disk, metaDisk);
  let oldLayout: Layout | undefined;
  let sb: Superblock | undefined;
  if (metaDisk === 'internal') {
    const handle = await fsp.open(disk, 'r');
    try {
      const size = (await handle.stat()).size;
      const buf = Buffer.alloc(SUPERBLOCK_SIZE);
      // The old superblock is the last 4 KiB of the old file size: search backwards for it.
      for (let at = size - SUPERBLOCK_SIZE; at >= 0; at -= BLOCK) {
        await handle.read(buf, 0, SUPERBLOCK_SIZE, at);
        const candidate = decodeSuperblock(buf);
        if (candidate) {
          const guess = internalLayout(disk, at + SUPERBLOCK_SIZE);
          if (guess.dataSize === candidate.dataSize) { oldLayout = guess; sb = candidate; break; }
        }
      }
    } finally {
      await handle.close();
    }
  } else {
    sb = await readSuperblock(layout);
    if (sb) oldLayout = externalLayout(metaDisk, sb.dataSize);
    const need = layout.bitmapOffset + layout.bitmapBytes;
    if ((await fileSize(metaDisk)) < need) await fsp.truncate(metaDisk, need);
  }
  if (!sb || !oldLayout) throw new HakitError('DRBD_NO_METADATA', `no meta-data found on ${layout.metaPath}`);
  if (sb.dataSize === layout.dataSize) return { before: sb.dataSize, after: layout };
  if (layout.dataSize < sb.dataSize && metaDisk === 'internal') {
    // Shrinking would overwrite data with meta-data or drop blocks: refuse (DRBD needs --size).
    throw new HakitError('DRBD_SHRINK', `the backing file is smaller than the volume (${layout.dataSize} < ${sb.dataSize})`);
  }
  const handle = await fsp.open(layout.metaPath, 'r+');
  try {
    const oldBitmap = Buffer.alloc(oldLayout.bitmapBytes);
    await handle.read(oldBitmap, 0, oldBitmap.length, oldLayout.bitmapOffset);
    const al = Buffer.alloc(AL_SIZE);
    await handle.read(al, 0, AL_SIZE, oldLayout.alOffset);
    const bitmap = Buffer.alloc(layout.bitmapBytes);
    oldBitmap.copy(bitmap, 0, 0, Math.min(oldBitmap.length, Math.ceil(Math.ceil(sb.dataSize / BLOCK) / 8)));
    const oldBlocks = Math.ceil(sb.dataSize / BLOCK), newBlocks = Math.ceil(layout.dataSize / BLOCK);
    for (let b = oldBlocks; b < newBlocks; b++) bitmap[b >> 3]! |= 1 << (b & 7);
    if (metaDisk === 'internal') await handle.write(Buffer.alloc(SUPERBLOCK_SIZE), 0, SUPERBLOCK_SIZE, oldLayout.superblockOffset);
    await handle.write(bitmap, 0, bitmap.length, layout.bitmapOffset);
    await handle.write(al, 0, AL_SIZE, layout.alOffset);
    await handle.write(encodeSuperblock({ ...sb, dataSize: layout.dataSize }), 0, SUPERBLOCK_SIZE, layout.superblockOffset);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return { before: sb.dataSize, after: layout };
}
