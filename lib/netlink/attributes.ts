/**
 * Declarative netlink attribute schemas (struct nlattr TLVs, linux/netlink.h), in the manner of
 * node_netlink: a family describes its attributes once and gets an encoder and a decoder.
 *
 *   const service = defineSchema({ af: { type: 1, kind: 'u16' }, name: { type: 6, kind: 'string' } });
 *   encodeAttributes(service, { af: 2, name: 'rr' })   // -> bytes
 *   decodeAttributes(service, bytes)                   // -> { af: 2, name: 'rr' }
 *
 * Kinds: u8 u16 u32 s32 u64 (host byte order), be16 be32 (network order), string (NUL
 * terminated), binary (optionally of a fixed or maximum length), flag (present or not), nested
 * (a sub-schema), struct (fixed packed fields). Unknown attributes are skipped on decode (newer
 * kernels add some); malformed input throws HakitError NETLINK_MALFORMED naming the offset and
 * the attribute path.
 */
import { ArgumentError, HakitError } from '../errors';
import { NLA_F_NESTED, NLA_TYPE_MASK } from './constants';

export type ScalarKind = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 'be16' | 'be32';
export type StructFields = Readonly<Record<string, ScalarKind>>;

export type AttributeSpec =
  | { readonly type: number; readonly kind: Exclude<ScalarKind, 'u64'> }
  | { readonly type: number; readonly kind: 'u64' }
  | { readonly type: number; readonly kind: 'string'; readonly maxLength?: number }
  | { readonly type: number; readonly kind: 'binary'; readonly length?: number; readonly maxLength?: number }
  | { readonly type: number; readonly kind: 'flag' }
  | { readonly type: number; readonly kind: 'nested'; readonly schema: Schema }
  | { readonly type: number; readonly kind: 'struct'; readonly fields: StructFields };

export type Schema = Readonly<Record<string, AttributeSpec>>;

type ScalarValue<K> = K extends 'u64' ? bigint : number;
type ValueOf<A> = A extends { kind: 'u64' }
  ? bigint
  : A extends { kind: 'string' }
    ? string
    : A extends { kind: 'binary' }
      ? Buffer
      : A extends { kind: 'flag' }
        ? boolean
        : A extends { kind: 'nested'; schema: infer S }
          ? Attributes<S>
          : A extends { kind: 'struct'; fields: infer F }
            ? { [K in keyof F]: ScalarValue<F[K]> }
            : number;

/** The decoded (or to-be-encoded) form of a schema: every attribute optional. */
export type Attributes<S> = { -readonly [K in keyof S]?: ValueOf<S[K]> };

const scalarSize: Record<ScalarKind, number> = { u8: 1, u16: 2, u32: 4, s32: 4, u64: 8, be16: 2, be32: 4 };
const scalarRange: Record<Exclude<ScalarKind, 'u64'>, [number, number]> = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
  s32: [-0x80000000, 0x7fffffff],
  be16: [0, 0xffff],
  be32: [0, 0xffffffff],
};

/** Identity with type checking: keeps the literal types that drive `Attributes<S>`. */
export function defineSchema<S extends Schema>(schema: S): S {
  const seen = new Set<number>();
  for (const [name, spec] of Object.entries(schema)) {
    if (!Number.isInteger(spec.type) || spec.type < 1 || spec.type > NLA_TYPE_MASK) throw new ArgumentError(`attribute ${name}: bad type number ${spec.type}`);
    if (seen.has(spec.type)) throw new ArgumentError(`attribute ${name}: type ${spec.type} used twice`);
    seen.add(spec.type);
  }
  return schema;
}

/** A growable byte buffer; encoding a large batch appends into one allocation. */
export class Writer {
  buffer: Buffer;
  length = 0;
  constructor(initial = 4096) {
    this.buffer = Buffer.allocUnsafe(initial);
  }
  reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
  /** Zero bytes up to the next multiple of 4. */
  align(): void {
    const pad = (4 - (this.length & 3)) & 3;
    this.reserve(pad);
    this.buffer.fill(0, this.length, this.length + pad);
    this.length += pad;
  }
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

function encodeError(path: string, message: string): ArgumentError {
  return new ArgumentError(`${path}: ${message}`, { attribute: path });
}

function writeScalar(w: Writer, kind: ScalarKind, value: unknown, path: string | (() => string)): void {
  const b = w.buffer;
  const at = w.length;
  if (kind === 'u64') {
    if (typeof value !== 'bigint' && !(typeof value === 'number' && Number.isSafeInteger(value))) throw encodeError(pathOf(path), 'must be a bigint or a safe integer');
    const big = BigInt(value as bigint | number);
    if (big < 0n || big > 0xffffffffffffffffn) throw encodeError(pathOf(path), 'out of range for u64');
    b.writeBigUInt64LE(big, at);
  } else {
    const range = scalarRange[kind];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1]) throw encodeError(pathOf(path), `must be an integer in [${range[0]}, ${range[1]}]`);
    // plain byte stores: Buffer.write*() checks bounds again on every call (hot on big batches)
    switch (kind) {
      case 'u8':
        b[at] = value;
        break;
      case 'u16':
        b[at] = value & 0xff;
        b[at + 1] = value >>> 8;
        break;
      case 'u32':
      case 's32':
        b[at] = value & 0xff;
        b[at + 1] = (value >>> 8) & 0xff;
        b[at + 2] = (value >>> 16) & 0xff;
        b[at + 3] = (value >>> 24) & 0xff;
        break;
      case 'be16':
        b[at] = value >>> 8;
        b[at + 1] = value & 0xff;
        break;
      case 'be32':
        b[at] = (value >>> 24) & 0xff;
        b[at + 1] = (value >>> 16) & 0xff;
        b[at + 2] = (value >>> 8) & 0xff;
        b[at + 3] = value & 0xff;
        break;
    }
  }
  w.length += scalarSize[kind];
}

function pathOf(path: string | (() => string)): string {
  return typeof path === 'string' ? path : path();
}

const compiled = new WeakMap<Schema, Array<[string, AttributeSpec]>>();
function entries(schema: Schema): Array<[string, AttributeSpec]> {
  let list = compiled.get(schema);
  if (!list) {
    list = Object.entries(schema);
    compiled.set(schema, list);
  }
  return list;
}

function alignWriter(w: Writer): void {
  const b = w.buffer;
  while (w.length & 3) {
    if (w.length >= b.length) {
      w.reserve(4);
      return alignWriter(w);
    }
    b[w.length++] = 0;
  }
}

/** Appends the attributes of `value` described by `schema` (in schema order) to `w`. */
export function writeAttributes<S extends Schema>(w: Writer, schema: S, value: Attributes<S>, path = ''): void {
  const list = entries(schema);
  for (let i = 0; i < list.length; i++) {
    const entry = list[i]!;
    const name = entry[0];
    const spec = entry[1];
    const v = (value as Record<string, unknown>)[name];
    if (v === undefined) continue;
    // the attribute's path is only built for an error message
    const where = (): string => (path ? `${path}.${name}` : name);
    alignWriter(w);
    w.reserve(12);
    const start = w.length;
    w.length += 4;
    let type = spec.type;
    switch (spec.kind) {
      case 'string': {
        if (typeof v !== 'string') throw encodeError(where(), 'must be a string');
        const size = Buffer.byteLength(v);
        if (v.includes('\0')) throw encodeError(where(), 'must not contain NUL');
        if (spec.maxLength !== undefined && size + 1 > spec.maxLength) throw encodeError(where(), `longer than ${spec.maxLength - 1} bytes`);
        w.reserve(size + 1);
        w.buffer.write(v, w.length);
        w.buffer[w.length + size] = 0;
        w.length += size + 1;
        break;
      }
      case 'binary': {
        if (!(v instanceof Uint8Array)) throw encodeError(where(), 'must be a Buffer or Uint8Array');
        if (spec.length !== undefined && v.length !== spec.length) throw encodeError(where(), `must be ${spec.length} bytes`);
        if (spec.maxLength !== undefined && v.length > spec.maxLength) throw encodeError(where(), `longer than ${spec.maxLength} bytes`);
        w.reserve(v.length);
        const b = w.buffer;
        if (v.length <= 16) for (let k = 0; k < v.length; k++) b[w.length + k] = v[k]!;
        else b.set(v, w.length);
        w.length += v.length;
        break;
      }
      case 'flag':
        if (v !== true) {
          if (v === false) {
            w.length = start;
            continue;
          }
          throw encodeError(where(), 'must be a boolean');
        }
        break;
      case 'nested':
        if (typeof v !== 'object' || v === null) throw encodeError(where(), 'must be an object');
        type |= NLA_F_NESTED;
        writeAttributes(w, spec.schema, v as Attributes<Schema>, where());
        break;
      case 'struct': {
        if (typeof v !== 'object' || v === null) throw encodeError(where(), 'must be an object');
        for (const field in spec.fields) {
          const kind = spec.fields[field]!;
          w.reserve(8);
          writeScalar(w, kind, (v as Record<string, unknown>)[field], () => `${where()}.${field}`);
        }
        break;
      }
      default:
        writeScalar(w, spec.kind, v, where);
    }
    const length = w.length - start;
    if (length > 0xffff) throw encodeError(where(), 'attribute longer than 65535 bytes');
    const b = w.buffer;
    b[start] = length & 0xff;
    b[start + 1] = length >>> 8;
    b[start + 2] = type & 0xff;
    b[start + 3] = type >>> 8;
  }
  alignWriter(w);
}

const scratch = new Writer(64 * 1024);

/**
 * Encodes into a fresh Buffer, after `prefix` bytes (e.g. the 4-byte genlmsghdr) that the
 * caller fills. One allocation per message, from Node's pool for small ones.
 */
export function encodeAttributes<S extends Schema>(schema: S, value: Attributes<S>, prefix = 0): Buffer {
  scratch.length = 0;
  scratch.reserve(prefix);
  scratch.buffer.fill(0, 0, prefix);
  scratch.length = prefix;
  try {
    writeAttributes(scratch, schema, value);
  } catch (error) {
    scratch.length = 0;
    throw error;
  }
  return Buffer.from(scratch.bytes());
}

export class MalformedError extends HakitError {
  constructor(message: string, details: { offset: number; attribute?: string }) {
    super('NETLINK_MALFORMED', message, details);
    this.name = 'MalformedError';
  }
}

const byType = new WeakMap<Schema, Map<number, [string, AttributeSpec]>>();
function index(schema: Schema): Map<number, [string, AttributeSpec]> {
  let map = byType.get(schema);
  if (!map) {
    map = new Map(Object.entries(schema).map(([name, spec]) => [spec.type, [name, spec]]));
    byType.set(schema, map);
  }
  return map;
}

function readScalar(b: Buffer, at: number, kind: ScalarKind): number | bigint {
  switch (kind) {
    case 'u8':
      return b.readUInt8(at);
    case 'u16':
      return b.readUInt16LE(at);
    case 'u32':
      return b.readUInt32LE(at);
    case 's32':
      return b.readInt32LE(at);
    case 'u64':
      return b.readBigUInt64LE(at);
    case 'be16':
      return b.readUInt16BE(at);
    case 'be32':
      return b.readUInt32BE(at);
  }
}

/**
 * Decodes the attributes in `bytes[start, end)`. `base` is the offset of `bytes` in the whole
 * message, for error reports. Nesting deeper than 32 levels is refused.
 */
export function decodeAttributes<S extends Schema>(schema: S, bytes: Buffer, start = 0, end = bytes.length, path = '', base = 0, depth = 0): Attributes<S> {
  if (depth > 32) throw new MalformedError(`${path || 'attributes'}: nested too deep`, { offset: base + start, attribute: path });
  const out: Record<string, unknown> = {};
  const specs = index(schema);
  let at = start;
  while (at + 4 <= end) {
    const length = bytes.readUInt16LE(at);
    const type = bytes.readUInt16LE(at + 2) & NLA_TYPE_MASK;
    if (length < 4 || length > end - at) {
      throw new MalformedError(`attribute at byte ${base + at}${path ? ` in ${path}` : ''}: length ${length} ${length < 4 ? 'below the 4-byte header' : `runs past the end (${end - at} bytes left)`}`, { offset: base + at, attribute: path });
    }
    const entry = specs.get(type);
    if (entry) {
      const [name, spec] = entry;
      const where = path ? `${path}.${name}` : name;
      const p = at + 4;
      const size = length - 4;
      const bad = (why: string): never => {
        throw new MalformedError(`attribute ${where} at byte ${base + at}: ${why}`, { offset: base + at, attribute: where });
      };
      switch (spec.kind) {
        case 'string': {
          const nul = bytes.indexOf(0, p);
          const stop = nul >= 0 && nul < p + size ? nul : p + size;
          if (spec.maxLength !== undefined && stop - p >= spec.maxLength) bad(`string longer than ${spec.maxLength - 1} bytes`);
          out[name] = bytes.toString('utf8', p, stop);
          break;
        }
        case 'binary':
          if (spec.length !== undefined && size !== spec.length) bad(`${size} bytes, expected ${spec.length}`);
          if (spec.maxLength !== undefined && size > spec.maxLength) bad(`${size} bytes, at most ${spec.maxLength} allowed`);
          out[name] = Buffer.from(bytes.subarray(p, p + size));
          break;
        case 'flag':
          out[name] = true;
          break;
        case 'nested':
          out[name] = decodeAttributes(spec.schema, bytes, p, p + size, where, base, depth + 1);
          break;
        case 'struct': {
          const fields: Record<string, number | bigint> = {};
          let need = 0;
          for (const kind of Object.values(spec.fields)) need += scalarSize[kind];
          if (size < need) bad(`${size} bytes, the struct needs ${need}`);
          let q = p;
          for (const [field, kind] of Object.entries(spec.fields)) {
            fields[field] = readScalar(bytes, q, kind);
            q += scalarSize[kind];
          }
          out[name] = fields;
          break;
        }
        default:
          if (size !== scalarSize[spec.kind]) bad(`${size} bytes, a ${spec.kind} has ${scalarSize[spec.kind]}`);
          out[name] = readScalar(bytes, p, spec.kind);
      }
    }
    at += (length + 3) & ~3;
  }
  if (at < end && at + 4 > end) {
    for (let i = at; i < end; i++) {
      if (bytes[i] !== 0) throw new MalformedError(`${end - at} stray bytes at byte ${base + at}${path ? ` in ${path}` : ''}`, { offset: base + at, attribute: path });
    }
  }
  return out as Attributes<S>;
}
