/**
 * GlusterFS DHT name hashing: the Davies–Meyer hash of libglusterfs (`gf_dm_hashfn`) after the
 * name munging DHT applies (cluster.extra-hash-regex, then cluster.rsync-hash-regex). Names are
 * hashed in one native call per batch.
 */
import { ArgumentError, check } from '../errors';
import { nativeModule } from '../native';

interface GlusterNative {
  hashBatch(bytes: Uint8Array, offsets: Uint32Array, out: Uint32Array, rsync?: string | null, extra?: string | null): void;
  placeBatch(
    bytes: Uint8Array,
    offsets: Uint32Array,
    starts: Uint32Array,
    stops: Uint32Array,
    index: Int32Array,
    out: Uint32Array,
    rsync?: string | null,
    extra?: string | null,
  ): void;
  munge(bytes: Uint8Array, rsync?: string | null, extra?: string | null): [number, number];
}

/** DHT's default cluster.rsync-hash-regex. */
export const RSYNC_HASH_REGEX = '^\\.(.+)\\.[^.]+$';

export interface HashOptions {
  /** cluster.rsync-hash-regex (POSIX ERE); default {@link RSYNC_HASH_REGEX}; 'none' disables. */
  rsyncHashRegex?: string;
  /** cluster.extra-hash-regex (POSIX ERE), tried before the rsync regex; unset/'none' = off. */
  extraHashRegex?: string;
  /** Hash the name exactly as given (no munging). */
  raw?: boolean;
}

/** A file name as a string (hashed as UTF-8) or raw bytes. */
export type FileName = string | Uint8Array;

export function gluster(): GlusterNative {
  return nativeModule<GlusterNative>('gluster');
}

function regexArgs(options: HashOptions | undefined): [string | null, string | null] {
  if (options === undefined) return [null, null];
  if (typeof options !== 'object' || options === null) throw new ArgumentError('options must be an object', { argument: 'options' });
  if (options.raw) return ['none', 'none'];
  const rsync = options.rsyncHashRegex === undefined ? null : check.string('rsyncHashRegex', options.rsyncHashRegex);
  const extra = options.extraHashRegex === undefined ? null : check.string('extraHashRegex', options.extraHashRegex);
  return [rsync, extra];
}

export interface PackedNames {
  bytes: Uint8Array;
  offsets: Uint32Array;
  count: number;
}

/** Packs names into one buffer + offsets; rejects empty names and NUL bytes. */
export function packNames(names: readonly FileName[] | Iterable<FileName>): PackedNames {
  const list = Array.isArray(names) ? (names as FileName[]) : Array.from(names);
  const offsets = new Uint32Array(list.length + 1);
  let total = 0;
  for (let i = 0; i < list.length; i++) {
    const name = list[i];
    let length: number;
    if (typeof name === 'string') {
      if (name.includes('\0')) throw new ArgumentError(`names[${i}] contains a NUL byte`, { argument: 'names', index: i });
      length = Buffer.byteLength(name, 'utf8');
    } else if (name instanceof Uint8Array) {
      if (name.includes(0)) throw new ArgumentError(`names[${i}] contains a NUL byte`, { argument: 'names', index: i });
      length = name.length;
    } else throw new ArgumentError(`names[${i}] must be a string or Uint8Array`, { argument: 'names', index: i });
    if (length === 0) throw new ArgumentError(`names[${i}] is empty`, { argument: 'names', index: i });
    total += length;
    if (total > 0xffffffff) throw new ArgumentError('names exceed 4 GiB in total', { argument: 'names' });
    offsets[i + 1] = total;
  }
  // One buffer for the whole batch: no per-name allocation.
  const bytes = Buffer.allocUnsafe(total);
  for (let i = 0; i < list.length; i++) {
    const name = list[i]!;
    if (typeof name === 'string') bytes.write(name, offsets[i]!, 'utf8');
    else bytes.set(name, offsets[i]!);
  }
  return { bytes, offsets, count: list.length };
}

/** The DHT hashes of many names, one native call. */
export function hashNames(names: readonly FileName[] | Iterable<FileName>, options?: HashOptions): Uint32Array {
  const [rsync, extra] = regexArgs(options);
  const packed = packNames(names);
  const out = new Uint32Array(packed.count);
  callNative(() => gluster().hashBatch(packed.bytes, packed.offsets, out, rsync, extra));
  return out;
}

/** The DHT hash of one name (after munging unless options.raw). */
export function dhtHash(name: FileName, options?: HashOptions): number {
  return hashNames([name], options)[0]!;
}

/** gf_dm_hashfn over exactly these bytes (no munging): what libglusterfs computes. */
export function dmHash(bytes: FileName): number {
  return dhtHash(bytes, { raw: true });
}

/** The part of the name DHT hashes: `.report.txt.Fd5c6b` → `report.txt` (bytes in, bytes out). */
export function mungeName(name: string, options?: HashOptions): string;
export function mungeName(name: Uint8Array, options?: HashOptions): Buffer;
export function mungeName(name: FileName, options?: HashOptions): string | Buffer {
  const [rsync, extra] = regexArgs(options);
  const bytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : Buffer.from(check.bytes('name', name));
  if (bytes.length === 0 || bytes.includes(0)) throw new ArgumentError('name must be non-empty without NUL bytes', { argument: 'name' });
  const [begin, end] = callNative(() => gluster().munge(bytes, rsync, extra));
  const kept = bytes.subarray(begin, end);
  return typeof name === 'string' ? kept.toString('utf8') : kept;
}

/** Hashes and places names on layout ranges (dht_layout_search: first range in order). */
export function placeNames(
  names: readonly FileName[] | Iterable<FileName>,
  starts: Uint32Array,
  stops: Uint32Array,
  options?: HashOptions,
): { index: Int32Array; hashes: Uint32Array } {
  const [rsync, extra] = regexArgs(options);
  const packed = packNames(names);
  const index = new Int32Array(packed.count);
  const hashes = new Uint32Array(packed.count);
  callNative(() => gluster().placeBatch(packed.bytes, packed.offsets, starts, stops, index, hashes, rsync, extra));
  return { index, hashes };
}

function callNative<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'GLUSTER_BAD_REGEX') throw new ArgumentError((error as Error).message, { argument: 'hash regex' });
    throw error;
  }
}
