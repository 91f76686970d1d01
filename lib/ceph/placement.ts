/**
 * Placement for a live cluster computed locally: from `ceph osd dump -f json` and the cluster's
 * binary crush map, the up and acting sets of any PG or object, as OSDMap::_pg_to_up_acting_osds
 * computes them in Ceph 16 (src/osd/OSDMap.cc): CRUSH (hakit's crush module) -> remove
 * non-existent OSDs -> pg_upmap / pg_upmap_items -> drop down OSDs -> primary affinity ->
 * pg_temp / primary_temp. A pool's PGs are mapped once; objects then cost one hash each, in one
 * native call per batch.
 */
import { ArgumentError, HakitError, check } from '../errors';
import { nativeModule } from '../native';
import { CompiledCrushMap, findRule, formatPgid, pgMask, pgToPps } from '../crush';
import type { OsdDumpJson } from './cli';

const ITEM_NONE = 0x7fffffff;
const MAX_PRIMARY_AFFINITY = 0x10000;
const POOL_TYPE_REPLICATED = 1;
const POOL_TYPE_ERASURE = 3;

interface CephNative {
  objectsToPgs(bytes: Uint8Array, offsets: Uint32Array, namespace: Uint8Array, pgNum: number, pgMask: number, outHash: Uint32Array, outPs: Uint32Array): void;
}

export interface PoolView {
  id: number;
  name: string;
  type: 'replicated' | 'erasure';
  size: number;
  crushRule: number;
  pgNum: number;
  pgpNum: number;
  hashpspool: boolean;
}

export interface PgPlacement {
  pgid: string;
  /** CRUSH's answer after non-existent OSDs are removed, before upmaps. */
  raw: number[];
  up: number[];
  upPrimary: number;
  acting: number[];
  actingPrimary: number;
}

export interface ObjectPlacement extends PgPlacement {
  pool: string;
  poolId: number;
  object: string;
  /** pool.fullhash, as `ceph osd map` prints it (raw_pgid). */
  rawPgid: string;
}

/** A batch of objects placed: per object, the PG index; per PG, its placement. */
export class ObjectBatch {
  constructor(
    readonly pool: PoolView,
    /** Placement seed (ps) of each object. */
    readonly ps: Uint32Array,
    /** Full object hash of each object. */
    readonly hashes: Uint32Array,
    private readonly pgs: PgPlacement[],
  ) {}
  get length(): number {
    return this.ps.length;
  }
  /** The placement of object i. */
  get(i: number): PgPlacement {
    const ps = this.ps[check.integer('i', i, 0, this.ps.length - 1)]!;
    return this.pgs[ps]!;
  }
  /** Objects per acting primary OSD. */
  primaryCounts(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const ps of this.ps) {
      const primary = this.pgs[ps]!.actingPrimary;
      counts.set(primary, (counts.get(primary) ?? 0) + 1);
    }
    return counts;
  }
}

function parsePgid(text: string): { pool: number; ps: number } {
  const match = /^(\d+)\.([0-9a-f]+)$/.exec(text);
  if (!match) throw new HakitError('CEPH_BAD_OSDMAP', `bad pgid ${JSON.stringify(text)} in the osd dump`, { pgid: text });
  return { pool: Number(match[1]), ps: parseInt(match[2]!, 16) };
}

const toFixed16 = (value: unknown, what: string): number => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new HakitError('CEPH_BAD_OSDMAP', `bad ${what} ${String(value)} in the osd dump`, {});
  return Math.round(value * 0x10000);
};

export class ClusterPlacement {
  readonly epoch: number;
  readonly maxOsd: number;
  readonly pools: Map<number, PoolView> = new Map();
  private readonly exists: Uint8Array;
  private readonly up: Uint8Array;
  /** 16.16 reweights (0 = out), the CRUSH weight vector. */
  readonly weights: Uint32Array;
  private readonly affinity: Uint32Array | undefined;
  private readonly upmap = new Map<string, number[]>();
  private readonly upmapItems = new Map<string, Array<[number, number]>>();
  private readonly pgTemp = new Map<string, number[]>();
  private readonly primaryTemp = new Map<string, number>();
  private readonly cache = new Map<number, PgPlacement[]>();
  private readonly compiled: CompiledCrushMap;
  private readonly ownsMap: boolean;

  /** `dump`: `ceph osd dump -f json` (parsed); `crushMap`: `ceph osd getcrushmap` bytes or a compiled map. */
  constructor(dump: OsdDumpJson, crushMap: Uint8Array | CompiledCrushMap) {
    if (typeof dump !== 'object' || dump === null || !Array.isArray(dump.pools) || !Array.isArray(dump.osds)) {
      throw new HakitError('CEPH_BAD_OSDMAP', 'not an osd dump: pools and osds arrays are missing', {});
    }
    this.epoch = typeof dump.epoch === 'number' ? dump.epoch : 0;
    if (!Number.isInteger(dump.max_osd) || dump.max_osd < 0 || dump.max_osd > 1 << 24) throw new HakitError('CEPH_BAD_OSDMAP', 'bad max_osd', {});
    this.maxOsd = dump.max_osd;
    this.exists = new Uint8Array(this.maxOsd);
    this.up = new Uint8Array(this.maxOsd);
    this.weights = new Uint32Array(this.maxOsd);
    const affinity = new Uint32Array(this.maxOsd).fill(MAX_PRIMARY_AFFINITY);
    let anyAffinity = false;
    for (const osd of dump.osds) {
      const id = osd.osd;
      if (!Number.isInteger(id) || id < 0 || id >= this.maxOsd) throw new HakitError('CEPH_BAD_OSDMAP', `osd id ${String(id)} outside max_osd ${this.maxOsd}`, {});
      const state = Array.isArray(osd.state) ? osd.state : ['exists', ...(osd.up ? ['up'] : [])];
      this.exists[id] = state.includes('exists') ? 1 : 0;
      this.up[id] = osd.up ? 1 : 0;
      this.weights[id] = toFixed16(osd.weight, 'weight');
      if (osd.primary_affinity !== undefined) {
        affinity[id] = toFixed16(osd.primary_affinity, 'primary_affinity');
        if (affinity[id] !== MAX_PRIMARY_AFFINITY) anyAffinity = true;
      }
    }
    this.affinity = anyAffinity ? affinity : undefined;
    for (const p of dump.pools) {
      const type = p.type === POOL_TYPE_ERASURE ? 'erasure' : p.type === POOL_TYPE_REPLICATED ? 'replicated' : undefined;
      if (!type) throw new HakitError('CEPH_BAD_OSDMAP', `pool ${p.pool_name} has unknown type ${p.type}`, {});
      this.pools.set(p.pool, {
        id: p.pool,
        name: p.pool_name,
        type,
        size: p.size,
        crushRule: p.crush_rule,
        pgNum: p.pg_num,
        pgpNum: p.pg_placement_num ?? p.pg_num,
        hashpspool: (p.flags_names ?? '').split(',').includes('hashpspool'),
      });
    }
    for (const e of dump.pg_upmap ?? []) this.upmap.set(e.pgid, e.osds);
    for (const e of dump.pg_upmap_items ?? []) this.upmapItems.set(e.pgid, e.mappings.map((m) => [m.from, m.to]));
    for (const e of dump.pg_temp ?? []) this.pgTemp.set(e.pgid, e.osds);
    for (const e of dump.primary_temp ?? []) this.primaryTemp.set(e.pgid, e.osd);
    for (const key of [...this.upmap.keys(), ...this.upmapItems.keys(), ...this.pgTemp.keys(), ...this.primaryTemp.keys()]) parsePgid(key);
    this.ownsMap = !(crushMap instanceof CompiledCrushMap);
    this.compiled = crushMap instanceof CompiledCrushMap ? crushMap : new CompiledCrushMap(check.bytes('crushMap', crushMap));
  }

  close(): void {
    if (this.ownsMap) this.compiled.close();
  }

  /** A pool by name or id. */
  pool(pool: string | number): PoolView {
    if (typeof pool === 'number') {
      const found = this.pools.get(pool);
      if (found) return found;
    } else {
      for (const p of this.pools.values()) if (p.name === pool) return p;
    }
    throw new HakitError('CEPH_ENOENT', `pool ${String(pool)} does not exist`, { pool });
  }

  private isUp(osd: number): boolean {
    return osd >= 0 && osd < this.maxOsd && this.exists[osd] === 1 && this.up[osd] === 1;
  }
  private doesExist(osd: number): boolean {
    return osd >= 0 && osd < this.maxOsd && this.exists[osd] === 1;
  }
  private isOutTarget(osd: number): boolean {
    return osd !== ITEM_NONE && osd >= 0 && osd < this.maxOsd && this.weights[osd] === 0;
  }

  /** Every PG of the pool, computed once (one native CRUSH call) and cached. */
  pgs(pool: string | number): PgPlacement[] {
    const view = this.pool(pool);
    const cached = this.cache.get(view.id);
    if (cached) return cached;
    const shift = view.type === 'replicated';
    const crushPool = { id: view.id, type: view.type, size: view.size, crushRule: view.crushRule, pgNum: view.pgNum, pgpNum: view.pgpNum, hashpspool: view.hashpspool };
    const ruleno = findRule(this.compiled, crushPool);
    const batch =
      ruleno >= 0
        ? this.compiled.mapPgSeeds({ rule: ruleno, numrep: view.size, poolId: view.id, pgpNum: view.pgpNum, count: view.pgNum, hashpspool: view.hashpspool, weights: this.weights, chooseArgs: view.id })
        : undefined;
    const out: PgPlacement[] = new Array(view.pgNum);
    for (let ps = 0; ps < view.pgNum; ps++) {
      const pgid = formatPgid(view.id, ps);
      // _pg_to_raw_osds + _remove_nonexistent_osds
      let raw = batch ? batch.get(ps) : [];
      raw = shift ? raw.filter((o) => this.doesExist(o)) : raw.map((o) => (this.doesExist(o) ? o : ITEM_NONE));
      const crushRaw = raw.slice();
      // _apply_upmap
      const explicit = this.upmap.get(pgid);
      if (explicit && !explicit.some((o) => this.isOutTarget(o))) raw = explicit.slice();
      const items = this.upmapItems.get(pgid);
      if (items) {
        for (const [from, to] of items) {
          let exists = false;
          let pos = -1;
          for (let i = 0; i < raw.length; i++) {
            const osd = raw[i]!;
            if (osd === to) {
              exists = true;
              break;
            }
            if (osd === from && pos < 0 && !this.isOutTarget(to)) pos = i;
          }
          if (!exists && pos >= 0) raw[pos] = to;
        }
      }
      // _raw_to_up_osds
      let up = shift ? raw.filter((o) => this.isUp(o)) : raw.map((o) => (this.isUp(o) ? o : ITEM_NONE));
      let upPrimary = up.find((o) => o !== ITEM_NONE) ?? -1;
      // _apply_primary_affinity
      if (this.affinity && up.some((o) => o !== ITEM_NONE && this.affinity![o] !== MAX_PRIMARY_AFFINITY)) {
        const seed = pgToPps(crushPool, ps);
        let pos = -1;
        for (let i = 0; i < up.length; i++) {
          const o = up[i]!;
          if (o === ITEM_NONE) continue;
          const a = this.affinity[o]!;
          if (a < MAX_PRIMARY_AFFINITY && crushHash2(seed, o) >>> 16 >= a) {
            if (pos < 0) pos = i;
          } else {
            pos = i;
            break;
          }
        }
        if (pos >= 0) {
          upPrimary = up[pos]!;
          if (shift && pos > 0) up = [upPrimary, ...up.slice(0, pos), ...up.slice(pos + 1)];
        }
      }
      // _get_temp_osds
      let acting: number[] = [];
      let actingPrimary = -1;
      const temp = this.pgTemp.get(pgid);
      if (temp) {
        for (const o of temp) {
          if (!this.isUp(o)) {
            if (!shift) acting.push(ITEM_NONE);
          } else acting.push(o);
        }
      }
      const primaryTemp = this.primaryTemp.get(pgid);
      if (primaryTemp !== undefined) actingPrimary = primaryTemp;
      else if (acting.length > 0) actingPrimary = acting.find((o) => o !== ITEM_NONE) ?? -1;
      if (acting.length === 0) {
        acting = up;
        if (actingPrimary === -1) actingPrimary = upPrimary;
      }
      out[ps] = { pgid, raw: crushRaw, up, upPrimary, acting, actingPrimary };
    }
    this.cache.set(view.id, out);
    return out;
  }

  /** One PG by id ("1.1f"), as `ceph pg map` reports it. */
  pg(pgid: string): PgPlacement {
    const { pool, ps } = (() => {
      check.string('pgid', pgid);
      if (!/^\d+\.[0-9a-f]+$/.test(pgid)) throw new ArgumentError(`pgid must look like 1.1f, got ${JSON.stringify(pgid)}`, { argument: 'pgid' });
      return parsePgid(pgid);
    })();
    const view = this.pool(pool);
    // raw_pg_to_pg: a ps beyond pg_num folds back like an object hash.
    return this.pgs(pool)[stableMod(ps, view.pgNum, pgMask(view.pgNum))]!;
  }

  /** Objects -> PGs -> OSDs: one native call hashes the whole batch. */
  objects(pool: string | number, names: ReadonlyArray<string | Uint8Array>, namespace = ''): ObjectBatch {
    const view = this.pool(pool);
    check.string('namespace', namespace);
    if (!Array.isArray(names)) throw new ArgumentError('names must be an array', { argument: 'names' });
    // One buffer for the whole batch: lengths first, then every name written in place.
    const offsets = new Uint32Array(names.length + 1);
    let total = 0;
    for (let i = 0; i < names.length; i++) {
      const n = names[i];
      if (typeof n === 'string') total += Buffer.byteLength(n, 'utf8');
      else if (n instanceof Uint8Array) total += n.length;
      else throw new ArgumentError(`names[${i}] must be a string or bytes`, { argument: 'names', index: i });
      if (total > 0xffffffff) throw new ArgumentError('names exceed 4 GiB', { argument: 'names' });
      offsets[i + 1] = total;
    }
    const bytes = Buffer.allocUnsafe(total);
    for (let i = 0; i < names.length; i++) {
      const n = names[i]!;
      if (typeof n === 'string') bytes.write(n, offsets[i]!, 'utf8');
      else bytes.set(n, offsets[i]!);
    }
    const parts = names;
    const hashes = new Uint32Array(parts.length);
    const ps = new Uint32Array(parts.length);
    nativeModule<CephNative>('ceph').objectsToPgs(bytes, offsets, Buffer.from(namespace, 'utf8'), view.pgNum, pgMask(view.pgNum), hashes, ps);
    return new ObjectBatch(view, ps, hashes, this.pgs(view.id));
  }

  /** One object, shaped like `ceph osd map POOL OBJECT`. */
  object(pool: string | number, name: string, namespace = ''): ObjectPlacement {
    const batch = this.objects(pool, [check.string('name', name)], namespace);
    const view = batch.pool;
    return { ...batch.get(0), pool: view.name, poolId: view.id, object: name, rawPgid: `${view.id}.${batch.hashes[0]!.toString(16)}` };
  }
}

function stableMod(x: number, b: number, bmask: number): number {
  return ((x & bmask) >>> 0) < b ? (x & bmask) >>> 0 : (x & (bmask >>> 1)) >>> 0;
}

function crushHash2(a: number, b: number): number {
  return nativeModule<{ hash2(a: number, b: number): number }>('crush').hash2(a >>> 0, b >>> 0) >>> 0;
}
