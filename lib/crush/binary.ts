/**
 * Ceph's binary crush map (what `crushtool -c` writes and `ceph osd getcrushmap` returns).
 * Layout from Ceph 16's CrushWrapper::encode/decode and decode_crush_bucket: magic
 * 0x00010000, max_buckets/max_rules/max_devices, buckets (alg 0 = hole), rules, the type /
 * item / rule name maps, tunables, device classes and choose_args; all little-endian.
 * Decode errors name the byte offset.
 */
import { HakitError } from '../errors';
import { ALG, type Bucket, type ChooseArg, type CrushMap, emptyMap, type Rule, sortedKeys } from './types';

const MAGIC = 0x00010000;

export class CrushDecodeError extends HakitError {
  constructor(message: string, offset: number) {
    super('CRUSH_DECODE', `bad binary crush map at byte ${offset}: ${message}`, { offset });
    this.name = 'CrushDecodeError';
  }
}

class Reader {
  pos = 0;
  private view: DataView;
  constructor(private bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get done(): boolean {
    return this.pos >= this.bytes.length;
  }
  fail(message: string, at = this.pos): never {
    throw new CrushDecodeError(message, at);
  }
  need(n: number, what: string): void {
    if (this.bytes.length - this.pos < n) this.fail(`truncated: need ${n} bytes for ${what}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  s32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  s64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** An element count, bounded by the bytes left (each element takes at least `each`). */
  count(what: string, each: number): number {
    const at = this.pos;
    const n = this.u32(what);
    if (n * each > this.bytes.length - this.pos) this.fail(`${what} count ${n} exceeds the data left`, at);
    return n;
  }
  string(what: string, len: number): string {
    this.need(len, what);
    const s = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, len).toString('utf8');
    this.pos += len;
    return s;
  }
}

function readStringMap(r: Reader, what: string): Map<number, string> {
  const m = new Map<number, string>();
  const n = r.count(what, 8);
  for (let i = 0; i < n; i++) {
    const key = r.s32(what);
    let len = r.u32(what);
    if (len === 0) len = r.u32(what); // an old encoding wrote 64-bit keys
    m.set(key, r.string(what, len));
  }
  return m;
}

/** crush_calc_tree_node: leaf i sits at node 2i+1. */
export function treeNode(i: number): number {
  return ((i + 1) << 1) - 1;
}

function readBucket(r: Reader, tag: number): Bucket {
  const id = r.s32('bucket id');
  const type = r.u16('bucket type');
  const algAt = r.pos;
  const alg = r.u8('bucket alg');
  if (alg !== tag) r.fail(`bucket alg ${alg} does not match its tag ${tag}`, algAt);
  const hash = r.u8('bucket hash');
  const weight = r.u32('bucket weight');
  const size = r.count('bucket items', 4);
  const items: number[] = [];
  for (let i = 0; i < size; i++) items.push(r.s32('bucket item'));
  const b: Bucket = { id, type, alg, hash, weight, items, itemWeights: [] };
  switch (alg) {
    case ALG.uniform:
      b.uniformWeight = r.u32('uniform item weight');
      b.itemWeights = items.map(() => b.uniformWeight!);
      break;
    case ALG.list:
      b.sumWeights = [];
      for (let i = 0; i < size; i++) {
        b.itemWeights.push(r.u32('list item weight'));
        b.sumWeights.push(r.u32('list sum weight'));
      }
      break;
    case ALG.tree: {
      const at = r.pos;
      const nodes = r.u8('tree node count');
      b.nodeWeights = [];
      for (let i = 0; i < nodes; i++) b.nodeWeights.push(r.u32('tree node weight'));
      for (let i = 0; i < size; i++) {
        const node = treeNode(i);
        if (node >= nodes) r.fail(`tree bucket ${id} has ${nodes} nodes for ${size} items`, at);
        b.itemWeights.push(b.nodeWeights[node]!);
      }
      break;
    }
    case ALG.straw:
      b.straws = [];
      for (let i = 0; i < size; i++) {
        b.itemWeights.push(r.u32('straw item weight'));
        b.straws.push(r.u32('straw length'));
      }
      break;
    case ALG.straw2:
      for (let i = 0; i < size; i++) b.itemWeights.push(r.u32('straw2 item weight'));
      break;
  }
  return b;
}

export function decodeMap(bytes: Uint8Array): CrushMap {
  const r = new Reader(bytes);
  const map = emptyMap();
  if (r.u32('magic') !== MAGIC) r.fail('bad magic number (not a binary crush map)', 0);
  let at = r.pos;
  const maxBuckets = r.s32('max_buckets');
  if (maxBuckets < 0 || maxBuckets * 4 > bytes.length) r.fail(`bad max_buckets ${maxBuckets}`, at);
  at = r.pos;
  const maxRules = r.u32('max_rules');
  if (maxRules * 4 > bytes.length) r.fail(`bad max_rules ${maxRules}`, at);
  at = r.pos;
  map.maxDevices = r.s32('max_devices');
  if (map.maxDevices < 0) r.fail(`bad max_devices ${map.maxDevices}`, at);
  for (let i = 0; i < maxBuckets; i++) {
    at = r.pos;
    const alg = r.u32('bucket alg');
    if (alg === 0) {
      map.buckets.push(null);
      continue;
    }
    if (alg > ALG.straw2) r.fail(`unsupported bucket algorithm ${alg}`, at);
    const b = readBucket(r, alg);
    if (b.id !== -1 - i) r.fail(`bucket at index ${i} has id ${b.id}`, at + 4);
    map.buckets.push(b);
  }
  for (let i = 0; i < maxRules; i++) {
    if (!r.u32('rule presence')) {
      map.rules.push(null);
      continue;
    }
    const len = r.count('rule steps', 12);
    at = r.pos;
    const ruleset = r.u8('ruleset');
    if (ruleset !== (i & 0xff)) r.fail(`rule ${i} has ruleset ${ruleset}`, at);
    const rule: Rule = { id: i, type: r.u8('rule type'), minSize: r.u8('rule min_size'), maxSize: r.u8('rule max_size'), steps: [] };
    for (let j = 0; j < len; j++) rule.steps.push({ op: r.u32('step op'), arg1: r.s32('step arg1'), arg2: r.s32('step arg2') });
    map.rules.push(rule);
  }
  map.typeNames = readStringMap(r, 'type names');
  map.names = readStringMap(r, 'item names');
  map.ruleNames = readStringMap(r, 'rule names');
  const t = map.tunables;
  if (!r.done) {
    t.chooseLocalTries = r.u32('choose_local_tries');
    t.chooseLocalFallbackTries = r.u32('choose_local_fallback_tries');
    t.chooseTotalTries = r.u32('choose_total_tries');
  }
  if (!r.done) t.chooseleafDescendOnce = r.u32('chooseleaf_descend_once');
  if (!r.done) t.chooseleafVaryR = r.u8('chooseleaf_vary_r');
  if (!r.done) t.strawCalcVersion = r.u8('straw_calc_version');
  if (!r.done) t.allowedBucketAlgs = r.u32('allowed_bucket_algs');
  if (!r.done) t.chooseleafStable = r.u8('chooseleaf_stable');
  if (!r.done) {
    const n = r.count('class map', 8);
    for (let i = 0; i < n; i++) map.classMap.set(r.s32('class map key'), r.s32('class map value'));
    map.classNames = readStringMap(r, 'class names');
    const m = r.count('class buckets', 8);
    for (let i = 0; i < m; i++) {
      const id = r.s32('class bucket id');
      const inner = new Map<number, number>();
      const k = r.count('class bucket map', 8);
      for (let j = 0; j < k; j++) inner.set(r.s32('class id'), r.s32('shadow bucket id'));
      map.classBuckets.set(id, inner);
    }
  }
  if (!r.done) {
    const n = r.count('choose_args', 12);
    for (let i = 0; i < n; i++) {
      const index = r.s64('choose_args index');
      const count = r.count('choose_args buckets', 12);
      const args: ChooseArg[] = [];
      for (let j = 0; j < count; j++) {
        at = r.pos;
        const bucketIndex = r.u32('choose_arg bucket index');
        const bucket = map.buckets[bucketIndex] ?? r.fail(`choose_arg for missing bucket index ${bucketIndex}`, at);
        const positions = r.count('weight_set positions', 4);
        const weightSet: number[][] = [];
        for (let p = 0; p < positions; p++) {
          at = r.pos;
          const size = r.count('weight_set size', 4);
          if (size !== bucket.items.length) r.fail(`weight_set of bucket ${bucket.id} has ${size} weights for ${bucket.items.length} items`, at);
          const ws: number[] = [];
          for (let k = 0; k < size; k++) ws.push(r.u32('weight_set weight'));
          weightSet.push(ws);
        }
        at = r.pos;
        const idsSize = r.count('choose_arg ids', 4);
        if (idsSize && idsSize !== bucket.items.length) r.fail(`choose_arg ids of bucket ${bucket.id} has ${idsSize} ids for ${bucket.items.length} items`, at);
        const ids: number[] = [];
        for (let k = 0; k < idsSize; k++) ids.push(r.s32('choose_arg id'));
        args.push({ bucketIndex, weightSet, ids });
      }
      args.sort((a, b) => a.bucketIndex - b.bucketIndex);
      map.chooseArgs = map.chooseArgs.filter((c) => c.index !== index);
      map.chooseArgs.push({ index, args });
    }
    map.chooseArgs.sort((a, b) => (a.index < b.index ? -1 : a.index > b.index ? 1 : 0));
  }
  map.rules.length = maxRules;
  validateReferences(map, r);
  stripChooseArgs(map);
  return map;
}

/**
 * CrushWrapper::update_choose_args, run by every decode: choose_args of buckets that are not
 * straw2 (or no longer exist) are dropped; they never affect placement.
 */
function stripChooseArgs(map: CrushMap): void {
  for (const ca of map.chooseArgs) {
    ca.args = ca.args.filter((a) => {
      const b = map.buckets[a.bucketIndex];
      return !!b && b.alg === ALG.straw2 && (a.weightSet.length > 0 || a.ids.length > 0);
    });
  }
}

function validateReferences(map: CrushMap, r: Reader): void {
  for (const b of map.buckets) {
    if (!b) continue;
    for (const item of b.items) {
      if (item < 0 && !map.buckets[-1 - item]) r.fail(`bucket ${b.id} contains missing bucket ${item}`, 0);
    }
  }
}

class Writer {
  private chunks: Buffer[] = [];
  private buf = Buffer.alloc(1 << 16);
  private pos = 0;
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.alloc(Math.max(1 << 16, n));
    this.pos = 0;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v & 0xff, this.pos);
    this.pos += 1;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16LE(v & 0xffff, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }
  s32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v | 0, this.pos);
    this.pos += 4;
  }
  s64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64LE(v, this.pos);
    this.pos += 8;
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u32(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  finish(): Buffer {
    this.chunks.push(this.buf.subarray(0, this.pos));
    return Buffer.concat(this.chunks);
  }
}

function writeStringMap(w: Writer, m: Map<number, string>): void {
  w.u32(m.size);
  for (const k of sortedKeys(m)) {
    w.s32(k);
    w.str(m.get(k)!);
  }
}

/** Encodes a map exactly as Ceph 16's CrushWrapper::encode does with all features. */
export function encodeMap(map: CrushMap): Buffer {
  const w = new Writer();
  w.u32(MAGIC);
  w.s32(map.buckets.length);
  w.u32(map.rules.length);
  w.s32(map.maxDevices);
  for (const b of map.buckets) {
    if (!b) {
      w.u32(0);
      continue;
    }
    w.u32(b.alg);
    w.s32(b.id);
    w.u16(b.type);
    w.u8(b.alg);
    w.u8(b.hash);
    w.u32(b.weight);
    w.u32(b.items.length);
    for (const item of b.items) w.s32(item);
    switch (b.alg) {
      case ALG.uniform:
        w.u32(b.uniformWeight ?? 0);
        break;
      case ALG.list:
        b.items.forEach((_, i) => {
          w.u32(b.itemWeights[i]!);
          w.u32(b.sumWeights![i]!);
        });
        break;
      case ALG.tree:
        w.u8(b.nodeWeights!.length);
        for (const nw of b.nodeWeights!) w.u32(nw);
        break;
      case ALG.straw:
        b.items.forEach((_, i) => {
          w.u32(b.itemWeights[i]!);
          w.u32(b.straws![i]!);
        });
        break;
      case ALG.straw2:
        for (const iw of b.itemWeights) w.u32(iw);
        break;
    }
  }
  for (const rule of map.rules) {
    if (!rule) {
      w.u32(0);
      continue;
    }
    w.u32(1);
    w.u32(rule.steps.length);
    w.u8(rule.id);
    w.u8(rule.type);
    w.u8(rule.minSize);
    w.u8(rule.maxSize);
    for (const s of rule.steps) {
      w.u32(s.op);
      w.s32(s.arg1);
      w.s32(s.arg2);
    }
  }
  writeStringMap(w, map.typeNames);
  writeStringMap(w, map.names);
  writeStringMap(w, map.ruleNames);
  const t = map.tunables;
  w.u32(t.chooseLocalTries);
  w.u32(t.chooseLocalFallbackTries);
  w.u32(t.chooseTotalTries);
  w.u32(t.chooseleafDescendOnce);
  w.u8(t.chooseleafVaryR);
  w.u8(t.strawCalcVersion);
  w.u32(t.allowedBucketAlgs);
  w.u8(t.chooseleafStable);
  w.u32(map.classMap.size);
  for (const k of sortedKeys(map.classMap)) {
    w.s32(k);
    w.s32(map.classMap.get(k)!);
  }
  writeStringMap(w, map.classNames);
  w.u32(map.classBuckets.size);
  for (const k of sortedKeys(map.classBuckets)) {
    w.s32(k);
    const inner = map.classBuckets.get(k)!;
    w.u32(inner.size);
    for (const c of sortedKeys(inner)) {
      w.s32(c);
      w.s32(inner.get(c)!);
    }
  }
  const cas = [...map.chooseArgs].sort((a, b) => (a.index < b.index ? -1 : a.index > b.index ? 1 : 0));
  w.u32(cas.length);
  for (const ca of cas) {
    w.s64(ca.index);
    const args = ca.args.filter((a) => a.weightSet.length > 0 || a.ids.length > 0).sort((a, b) => a.bucketIndex - b.bucketIndex);
    w.u32(args.length);
    for (const a of args) {
      w.u32(a.bucketIndex);
      w.u32(a.weightSet.length);
      for (const ws of a.weightSet) {
        w.u32(ws.length);
        for (const x of ws) w.u32(x);
      }
      w.u32(a.ids.length);
      for (const id of a.ids) w.s32(id);
    }
  }
  return w.finish();
}
