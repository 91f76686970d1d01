/**
 * DHT directory layouts: the `trusted.glusterfs.dht` xattr each brick keeps on a directory, the
 * lookup of a name's brick, the layout glusterd/DHT gives a new directory, the layout a rebalance
 * (fix-layout) gives it, and the names a rebalance moves.
 *
 * The algorithms follow glusterfs xlators/cluster/dht/src/dht-selfheal.c
 * (dht_selfheal_layout_new_directory, dht_fix_layout_of_directory,
 * dht_selfheal_layout_maximize_overlap) and dht-layout.c, re-written here.
 */
import { ArgumentError, HakitError, check } from '../errors';
import { type FileName, type HashOptions, dhtHash, placeNames } from './hash';
import { nativeModule } from '../native';

export const DHT_XATTR = 'trusted.glusterfs.dht';
/** Layout types stored in the xattr's second word. */
export const LAYOUT_TYPE_NORMAL = 0;
export const LAYOUT_TYPE_USER = 1;

/** One brick's (subvolume's) piece of a directory layout, as stored in its xattr. */
export interface DiskLayout {
  commitHash: number;
  type: number;
  start: number;
  stop: number;
}

export interface LayoutEntry extends DiskLayout {
  /** The DHT subvolume: `VOL-client-N` (distribute), `VOL-replicate-N`, `VOL-disperse-N`. */
  subvolume: string;
  /** Decommissioned (remove-brick in progress): gets no range in a new layout. */
  decommissioned?: boolean;
}

export interface Layout {
  entries: LayoutEntry[];
}

/** Decodes the 16-byte xattr (raw bytes, or getfattr's `0x...` hex). */
export function decodeLayoutXattr(value: Uint8Array | string): DiskLayout {
  let bytes: Uint8Array;
  if (typeof value === 'string') {
    const hex = value.trim().replace(/^0x/i, '');
    if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) {
      throw new HakitError('GLUSTER_BAD_LAYOUT', `layout xattr is not hex: ${JSON.stringify(value.slice(0, 40))}`, { value });
    }
    bytes = Buffer.from(hex, 'hex');
  } else {
    bytes = check.bytes('value', value);
  }
  if (bytes.length !== 16) {
    throw new HakitError('GLUSTER_BAD_LAYOUT', `layout xattr must be 16 bytes, got ${bytes.length}`, { length: bytes.length });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const layout = { commitHash: view.getUint32(0), type: view.getUint32(4), start: view.getUint32(8), stop: view.getUint32(12) };
  if (layout.type !== LAYOUT_TYPE_NORMAL && layout.type !== LAYOUT_TYPE_USER) {
    throw new HakitError('GLUSTER_BAD_LAYOUT', `unknown layout type ${layout.type}`, { type: layout.type });
  }
  return layout;
}

/** The 16-byte xattr value DHT would store for this piece. */
export function encodeLayoutXattr(layout: DiskLayout): Buffer {
  const out = Buffer.alloc(16);
  out.writeUInt32BE(check.integer('commitHash', layout.commitHash, 0, 0xffffffff), 0);
  out.writeUInt32BE(check.integer('type', layout.type, 0, 1), 4);
  out.writeUInt32BE(check.integer('start', layout.start, 0, 0xffffffff), 8);
  out.writeUInt32BE(check.integer('stop', layout.stop, 0, 0xffffffff), 12);
  return out;
}

export interface LayoutAnomalies {
  holes: number;
  overlaps: number;
  /** Hash values no entry covers, as [start, stop] pairs. */
  gaps: Array<[number, number]>;
}

/** Holes and overlaps of a layout (dht_layout_anomalies over ranges sorted by start). */
export function layoutAnomalies(layout: Layout): LayoutAnomalies {
  const ranges = layout.entries.filter((e) => e.start !== e.stop || e.start !== 0).sort((a, b) => a.start - b.start);
  const gaps: Array<[number, number]> = [];
  let overlaps = 0;
  let next = 0;
  for (const range of ranges) {
    if (range.start > next) gaps.push([next, range.start - 1]);
    else if (range.start < next) overlaps++;
    next = Math.max(next, range.stop + 1);
  }
  if (next <= 0xffffffff) gaps.push([next, 0xffffffff]);
  return { holes: gaps.length, overlaps, gaps };
}

function checkLayout(layout: Layout): LayoutEntry[] {
  if (typeof layout !== 'object' || layout === null || !Array.isArray(layout.entries) || layout.entries.length === 0) {
    throw new ArgumentError('layout must have a non-empty entries array', { argument: 'layout' });
  }
  const seen = new Set<string>();
  for (const [i, entry] of layout.entries.entries()) {
    check.string(`layout.entries[${i}].subvolume`, entry.subvolume);
    check.integer(`layout.entries[${i}].start`, entry.start, 0, 0xffffffff);
    check.integer(`layout.entries[${i}].stop`, entry.stop, 0, 0xffffffff);
    if (seen.has(entry.subvolume)) throw new ArgumentError(`subvolume ${entry.subvolume} appears twice in the layout`, { argument: 'layout' });
    seen.add(entry.subvolume);
  }
  return layout.entries;
}

/** The subvolume whose range holds NAME's hash, or undefined if the layout has a hole there. */
export function locate(layout: Layout, name: FileName, options?: HashOptions): string | undefined {
  return locateMany(layout, [name], options)[0];
}

/** locate() for many names in one native call. */
export function locateMany(layout: Layout, names: readonly FileName[], options?: HashOptions): Array<string | undefined> {
  const entries = checkLayout(layout);
  // DHT keeps layouts sorted by start (dht_layout_sort); a 0-0 piece holds nothing.
  const live = entries.filter((e) => !(e.start === 0 && e.stop === 0)).sort((a, b) => a.start - b.start);
  const starts = Uint32Array.from(live, (e) => e.start);
  const stops = Uint32Array.from(live, (e) => e.stop);
  const { index } = placeNames(names, starts, stops, options);
  return Array.from(index, (i) => (i < 0 ? undefined : live[i]!.subvolume));
}

/** DHT subvolume names of a volume: `VOL-client-N`, `VOL-replicate-N` or `VOL-disperse-N`. */
export function subvolumeNames(volume: string, kind: 'distribute' | 'replicate' | 'disperse', count: number): string[] {
  check.string('volume', volume);
  check.integer('count', count, 1, 100000);
  const infix = kind === 'distribute' ? 'client' : check.oneOf('kind', kind, ['replicate', 'disperse'] as const);
  return Array.from({ length: count }, (_, i) => `${volume}-${infix}-${i}`);
}

export interface SubvolumeSpec {
  name: string;
  /** Size in 1 MiB chunks as DHT measures it (ceil(f_blocks * f_bsize / 1 MiB)); 0/absent = unweighted. */
  chunks?: number;
  decommissioned?: boolean;
}

export interface NewLayoutOptions {
  /** cluster.weighted-rebalance (default on): ranges proportional to chunks when all are known. */
  weighted?: boolean;
  /** cluster.subvols-per-directory: spread the directory over at most this many subvolumes. */
  spreadCount?: number;
  /** Commit hash to stamp (default: 1 for "/", 0 below it, as a fresh volume has). */
  commitHash?: number;
  /** cluster.randomize-hash-range-by-gfid: the first range goes by the gfid, not the path. */
  gfid?: string;
  hash?: HashOptions;
}

// One working entry, mirroring the fields DHT's selfheal uses (err: -1 = to be given a range).
interface Work {
  subvolume: string;
  chunks: number;
  err: number;
  start: number;
  stop: number;
}

const EINVAL = 22;

function byName(a: { subvolume: string }, b: { subvolume: string }): number {
  return Buffer.compare(Buffer.from(a.subvolume), Buffer.from(b.subvolume));
}

function normalizeSubvolumes(subvolumes: ReadonlyArray<string | SubvolumeSpec>): Work[] {
  if (!Array.isArray(subvolumes) || subvolumes.length === 0) throw new ArgumentError('subvolumes must be a non-empty array', { argument: 'subvolumes' });
  const seen = new Set<string>();
  return subvolumes.map((spec, i) => {
    const s: SubvolumeSpec = typeof spec === 'string' ? { name: spec } : spec;
    check.string(`subvolumes[${i}].name`, s.name);
    if (seen.has(s.name)) throw new ArgumentError(`subvolume ${s.name} listed twice`, { argument: 'subvolumes' });
    seen.add(s.name);
    const chunks = s.chunks === undefined ? 0 : check.integer(`subvolumes[${i}].chunks`, s.chunks, 0, 0xffffffff);
    return { subvolume: s.name, chunks, err: s.decommissioned ? EINVAL : -1, start: 0, stop: 0 };
  });
}

// dht_selfheal_layout_new_directory on entries already in DHT's (volname-sorted) order.
function assignRanges(path: string, list: Work[], options: NewLayoutOptions): void {
  const eligible = list.filter((e) => e.err === -1).length;
  const spread = options.spreadCount === undefined ? 0 : check.integer('spreadCount', options.spreadCount, 0, 100000);
  const bricksToUse = spread && spread <= eligible ? spread : eligible || 1;

  let weighted = options.weighted ?? true;
  let total = 0;
  let used = 0;
  for (const entry of list) {
    if (entry.err !== -1) continue;
    if (!entry.chunks) {
      weighted = false;
      break;
    }
    total += entry.chunks;
    if (++used >= bricksToUse) break;
  }
  let chunk: number;
  if (weighted && total) chunk = 0xffffffff / total;
  else {
    weighted = false;
    chunk = Math.floor(0xffffffff / bricksToUse);
  }

  const key = options.gfid !== undefined ? check.string('gfid', options.gfid).toLowerCase() : path;
  const startIndex = dhtHash(key, options.hash) % list.length;
  for (const entry of list) entry.start = entry.stop = 0;
  let start = 0;
  used = 0;
  for (let real = 0; real < list.length; real++) {
    const entry = list[(real + startIndex) % list.length]!;
    if (entry.err !== -1) continue;
    const size = weighted ? entry.chunks : 1;
    if (!size) continue;
    // C: uint32_t range_size = chunk * curr_size (double truncated to 32 bits).
    const rangeSize = Math.trunc(chunk * size) >>> 0;
    entry.start = start;
    entry.stop = (start + rangeSize - 1) >>> 0;
    if (++used >= bricksToUse) {
      entry.stop = 0xffffffff;
      return;
    }
    start = (start + rangeSize) >>> 0;
  }
}

function toLayout(list: Work[], commitHash: number): Layout {
  return {
    entries: list.map((e) => ({
      subvolume: e.subvolume,
      start: e.start,
      stop: e.stop,
      commitHash,
      type: LAYOUT_TYPE_NORMAL,
      ...(e.err === EINVAL ? { decommissioned: true } : {}),
    })),
  };
}

/**
 * The layout DHT gives a new directory (mkdir, or a directory healed from scratch). `path` is
 * the directory's path inside the volume ("/" for the root, "/a/b" below it).
 */
export function newDirectoryLayout(path: string, subvolumes: ReadonlyArray<string | SubvolumeSpec>, options: NewLayoutOptions = {}): Layout {
  check.string('path', path);
  const list = normalizeSubvolumes(subvolumes).sort(byName);
  assignRanges(path, list, options);
  // Measured on glusterfs 10.3: a new volume's root gets commit hash 1, a mkdir'ed directory 0.
  const commitHash = options.commitHash === undefined ? (path === '/' ? 1 : 0) : check.integer('commitHash', options.commitHash, 0, 0xffffffff);
  return toLayout(list, commitHash);
}

/** Overlap of two ranges as DHT's dht_overlap_calc computes it (32-bit arithmetic). */
function overlap(old: Work, fresh: Work): number {
  if (old.err > 0 || fresh.err > 0) return 0;
  if (old.start === old.stop || fresh.start === fresh.stop) return 0;
  if (old.start > fresh.stop || old.stop < fresh.start) return 0;
  return (Math.min(old.stop, fresh.stop) - Math.max(old.start, fresh.start) + 1) >>> 0;
}

// dht_selfheal_layout_maximize_overlap: swap new ranges between subvolumes when that keeps more
// of the old ranges in place.
function maximizeOverlap(fresh: Work[], old: Work[]): void {
  const n = fresh.length;
  const table: number[][] = fresh.map((f) => old.map((o) => overlap(o, f)));
  for (let i = 0; i < n; i++) {
    if (fresh[i]!.err > 0) continue;
    let best = 0;
    let bestIndex = i;
    for (let j = i + 1; j < n; j++) {
      if (fresh[j]!.err > 0) continue;
      const current = ((table[i]![i] ?? 0) + (table[j]![j] ?? 0)) >>> 0;
      let swapped = ((table[i]![j] ?? 0) + (table[j]![i] ?? 0)) >>> 0;
      if (swapped > current) {
        swapped = (swapped - current) >>> 0;
        if (swapped > best) {
          best = swapped;
          bestIndex = j;
        }
      }
    }
    if (bestIndex !== i) {
      const a = fresh[i]!;
      const b = fresh[bestIndex]!;
      [a.start, b.start] = [b.start, a.start];
      [a.stop, b.stop] = [b.stop, a.stop];
      [table[i], table[bestIndex]] = [table[bestIndex]!, table[i]!];
    }
  }
}

/**
 * The layout a rebalance / fix-layout gives an existing directory (dht_fix_layout_of_directory):
 * a fresh layout over `subvolumes` (including added bricks; removed ones marked decommissioned),
 * then ranges swapped to keep as much of `old` in place as possible when all bricks weigh the
 * same (or weighting is off).
 */
export function fixLayout(path: string, old: Layout, subvolumes: ReadonlyArray<string | SubvolumeSpec>, options: NewLayoutOptions = {}): Layout {
  check.string('path', path);
  const oldEntries = checkLayout(old);
  const list = normalizeSubvolumes(subvolumes).sort(byName);
  const oldByName = new Map(oldEntries.map((e) => [e.subvolume, e]));
  // Subvolumes not in the old layout (just added) hold a 0-0 range there.
  const oldList: Work[] = list.map((w) => {
    const e = oldByName.get(w.subvolume);
    return { subvolume: w.subvolume, chunks: w.chunks, err: w.err === EINVAL ? EINVAL : 0, start: e?.start ?? 0, stop: e?.stop ?? 0 };
  });
  for (const e of oldEntries) {
    if (!list.some((w) => w.subvolume === e.subvolume)) {
      throw new ArgumentError(`old layout names subvolume ${e.subvolume}, which is not in subvolumes (mark removed ones decommissioned)`, {
        argument: 'subvolumes',
      });
    }
  }
  assignRanges(path, list, options);
  const chunks = list.map((w) => w.chunks);
  const sameSize = chunks.every((c) => c === chunks[0]);
  if (sameSize || options.weighted === false) maximizeOverlap(list, oldList);
  const commitHash = options.commitHash ?? oldEntries.find((e) => e.start !== e.stop)?.commitHash ?? 1;
  return toLayout(list, check.integer('commitHash', commitHash, 0, 0xffffffff));
}

export interface FileEntry {
  name: FileName;
  /** Bytes; counted in the plan's totals. */
  size?: number;
}

export interface RebalanceMove {
  name: string;
  from: string | undefined;
  to: string | undefined;
  size: number;
}

export interface RebalancePlan {
  moves: RebalanceMove[];
  movedFiles: number;
  movedBytes: number;
  totalFiles: number;
  totalBytes: number;
  /** Per subvolume: files and bytes before and after. */
  perSubvolume: Record<string, { filesBefore: number; filesAfter: number; bytesBefore: number; bytesAfter: number }>;
}

/** Which of a directory's files change hashed subvolume between two layouts, and how much data. */
export function planRebalance(files: ReadonlyArray<FileName | FileEntry>, before: Layout, after: Layout, options?: HashOptions): RebalancePlan {
  const entries: FileEntry[] = files.map((f) => (typeof f === 'string' || f instanceof Uint8Array ? { name: f } : f));
  const names = entries.map((e) => e.name);
  const was = locateMany(before, names, options);
  const now = locateMany(after, names, options);
  const perSubvolume: RebalancePlan['perSubvolume'] = {};
  const slot = (s: string | undefined) => (perSubvolume[s ?? '(hole)'] ??= { filesBefore: 0, filesAfter: 0, bytesBefore: 0, bytesAfter: 0 });
  for (const e of [...before.entries, ...after.entries]) slot(e.subvolume);
  const moves: RebalanceMove[] = [];
  let movedBytes = 0;
  let totalBytes = 0;
  entries.forEach((entry, i) => {
    const size = entry.size === undefined ? 0 : check.integer(`files[${i}].size`, entry.size, 0);
    totalBytes += size;
    const from = was[i];
    const to = now[i];
    slot(from).filesBefore++;
    slot(from).bytesBefore += size;
    slot(to).filesAfter++;
    slot(to).bytesAfter += size;
    if (from !== to) {
      const name = typeof entry.name === 'string' ? entry.name : Buffer.from(entry.name).toString('utf8');
      moves.push({ name, from, to, size });
      movedBytes += size;
    }
  });
  return { moves, movedFiles: moves.length, movedBytes, totalFiles: entries.length, totalBytes, perSubvolume };
}

/**
 * Reads a directory's layout from the bricks themselves (run on the brick host, as root:
 * trusted.* xattrs need CAP_SYS_ADMIN). `bricks` maps each subvolume to one of its brick
 * directories; `dir` is the path inside the volume.
 */
export function readLayoutFromBricks(bricks: Record<string, string>, dir = '/'): Layout {
  const getXattr = nativeModule<{ getXattr(path: string, name: string): Buffer | null }>('glusterXattr').getXattr;
  const entries: LayoutEntry[] = [];
  for (const [subvolume, brick] of Object.entries(bricks)) {
    const target = `${brick.replace(/\/+$/, '')}/${dir.replace(/^\/+/, '')}`;
    let value: Buffer | null;
    try {
      value = getXattr(target, DHT_XATTR);
    } catch (error) {
      throw new HakitError('GLUSTER_XATTR', (error as Error).message, { path: target, errno: (error as { errno?: number }).errno });
    }
    // No xattr: the directory exists there without a range (e.g. a brick just added).
    entries.push({ subvolume, ...(value ? decodeLayoutXattr(value) : { commitHash: 0, type: 0, start: 0, stop: 0 }) });
  }
  return { entries };
}
