/**
 * The `ceph` command with `--format json`: typed results and typed errors. ceph exits with the
 * errno of a failed command and prints `Error ENOENT: ...` on stderr; both become a
 * CephCommandError with code `CEPH_<ERRNO NAME>`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArgumentError, HakitError, check } from '../errors';
import { type KeyringEntry, capsArgs } from './keyring';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export type Runner = (file: string, args: readonly string[], options: { timeoutMs: number; env?: NodeJS.ProcessEnv }) => Promise<RunResult>;

export const spawnRunner: Runner = (file, args, options) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: options.timeoutMs, maxBuffer: 1024 * 1024 * 1024, env: options.env, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return reject(error);
      if (error && (error as { killed?: boolean }).killed) return reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
      const status = error ? (error as { code?: unknown }).code : 0;
      resolve({ stdout, stderr, code: typeof status === 'number' ? status : error ? 1 : 0 });
    });
  });

/** Linux errno numbers ceph exits with, by name. */
const ERRNO: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 5: 'EIO', 11: 'EAGAIN', 13: 'EACCES', 16: 'EBUSY', 17: 'EEXIST', 22: 'EINVAL', 28: 'ENOSPC',
  34: 'ERANGE', 95: 'EOPNOTSUPP', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 125: 'ECANCELED',
};

export class CephCommandError extends HakitError {
  readonly errno: string;
  readonly exitCode: number | null;
  constructor(message: string, details: { args: readonly string[]; errno: string; exitCode: number | null; stderr: string }) {
    super(`CEPH_${details.errno}`, message, details);
    this.name = 'CephCommandError';
    this.errno = details.errno;
    this.exitCode = details.exitCode;
  }
}

export interface CephOptions {
  binary?: string;
  /** -c: the cluster's ceph.conf. */
  conf?: string;
  /** -n: the entity to authenticate as (default client.admin). */
  name?: string;
  /** -k: keyring file. */
  keyring?: string;
  /** --cluster NAME. */
  cluster?: string;
  /** Seconds ceph waits for the monitors (--connect-timeout); default 30. */
  connectTimeout?: number;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  runner?: Runner;
}

export interface ObjectMapping {
  epoch: number;
  pool: string;
  poolId: number;
  object: string;
  namespace?: string;
  rawPgid: string;
  pgid: string;
  up: number[];
  upPrimary: number;
  acting: number[];
  actingPrimary: number;
}

export interface PgMapResult {
  epoch: number;
  pgid: string;
  up: number[];
  acting: number[];
}

export interface ErasureProfile {
  k: number;
  m: number;
  plugin?: string;
  technique?: string;
  /** crush-failure-domain: host, osd, rack, ... */
  failureDomain?: string;
  /** crush-device-class: hdd, ssd, nvme. */
  deviceClass?: string;
  /** crush-root. */
  root?: string;
  /** Any other key=value the plugin takes. */
  extra?: Record<string, string>;
}

export interface CreatePoolOptions {
  type?: 'replicated' | 'erasure';
  pgNum?: number;
  pgpNum?: number;
  /** Replicated: the crush rule name. */
  rule?: string;
  /** Erasure: the profile name (default 'default'). */
  erasureProfile?: string;
  size?: number;
  minSize?: number;
  autoscaleMode?: 'on' | 'off' | 'warn';
  bulk?: boolean;
  targetSizeRatio?: number;
  targetSizeBytes?: number;
  application?: string;
}

const NAME = /^[A-Za-z0-9_.:@=-]+$/;
function checkName(what: string, value: unknown): string {
  const name = check.string(what, value);
  if (!NAME.test(name) || name.startsWith('-')) throw new ArgumentError(`${what} must be a plain name, got ${JSON.stringify(name)}`, { argument: what });
  return name;
}
function checkOsd(value: unknown): number {
  return check.integer('osd', value, 0, 1 << 24);
}
function checkPgid(value: unknown): string {
  const pgid = check.string('pgid', value);
  if (!/^\d+\.[0-9a-f]+$/.test(pgid)) throw new ArgumentError(`pgid must look like 1.1f, got ${JSON.stringify(pgid)}`, { argument: 'pgid' });
  return pgid;
}

export class Ceph {
  private readonly binary: string;
  private readonly base: string[];
  private readonly timeoutMs: number;
  private readonly runner: Runner;
  private readonly env?: NodeJS.ProcessEnv;

  constructor(options: CephOptions = {}) {
    this.binary = options.binary === undefined ? 'ceph' : check.string('binary', options.binary);
    this.timeoutMs = options.timeoutMs === undefined ? 120_000 : check.integer('timeoutMs', options.timeoutMs, 1);
    this.runner = options.runner ?? spawnRunner;
    this.env = options.env;
    this.base = [];
    if (options.conf !== undefined) this.base.push('--conf', check.string('conf', options.conf));
    if (options.cluster !== undefined) this.base.push('--cluster', checkName('cluster', options.cluster));
    if (options.name !== undefined) this.base.push('--name', checkName('name', options.name));
    if (options.keyring !== undefined) this.base.push('--keyring', check.string('keyring', options.keyring));
    this.base.push('--connect-timeout', String(check.integer('connectTimeout', options.connectTimeout ?? 30, 1, 3600)));
  }

  /** Runs `ceph ARGS --format json`; returns the parsed JSON (undefined when ceph printed none). */
  async json<T = unknown>(args: readonly string[]): Promise<T> {
    const text = await this.raw([...args, '--format', 'json']);
    const trimmed = text.trim();
    if (trimmed === '') return undefined as T;
    try {
      return JSON.parse(trimmed) as T;
    } catch (cause) {
      throw new HakitError('CEPH_BAD_JSON', `ceph ${args.join(' ')} printed invalid JSON: ${JSON.stringify(trimmed.slice(0, 120))}`, { args }, { cause });
    }
  }

  /** Runs `ceph ARGS`; returns stdout. */
  async raw(args: readonly string[]): Promise<string> {
    const argv = [...this.base, ...args];
    let result: RunResult;
    try {
      result = await this.runner(this.binary, argv, { timeoutMs: this.timeoutMs, env: this.env });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new HakitError('CEPH_NOT_FOUND', `${this.binary} not found (apt-get install ceph-common)`, { binary: this.binary }, { cause: error });
      if (code === 'ETIMEDOUT') throw new HakitError('CEPH_TIMEOUT', `ceph ${args.join(' ')} did not finish in ${this.timeoutMs} ms`, { args }, { cause: error });
      throw new HakitError('CEPH_EXEC', `could not run ${this.binary}: ${(error as Error).message}`, { args }, { cause: error });
    }
    if (result.code !== 0) {
      const stderr = result.stderr.trim();
      const match = /Error (E[A-Z]+): ?([^\n]*)/.exec(stderr);
      let errno = match ? match[1]! : (result.code !== null && ERRNO[result.code]) || 'FAILED';
      if (!match && /Error initializing cluster client/.test(stderr)) errno = 'CLIENT_INIT';
      else if (!match && /timed out/i.test(stderr)) errno = 'UNREACHABLE';
      let message = match ? match[2]! || stderr : stderr.split('\n').filter((l) => !/^\d{4}-\d\d-\d\dT/.test(l)).join(' ').trim();
      if (errno === 'UNREACHABLE') message = `cannot reach the monitors: ${message}`;
      throw new CephCommandError(message || `ceph ${args.join(' ')} exited with status ${result.code}`, { args, errno, exitCode: result.code, stderr });
    }
    return result.stdout;
  }

  // Cluster.
  status(): Promise<Record<string, unknown>> {
    return this.json(['status']);
  }
  osdDump(): Promise<OsdDumpJson> {
    return this.json<OsdDumpJson>(['osd', 'dump']);
  }
  osdTree(): Promise<{ nodes: Array<Record<string, unknown>>; stray: unknown[] }> {
    return this.json(['osd', 'tree']);
  }
  crushDump(): Promise<Record<string, unknown>> {
    return this.json(['osd', 'crush', 'dump']);
  }
  /** The binary crush map (`ceph osd getcrushmap`). */
  async getCrushMap(): Promise<Buffer> {
    const dir = mkdtempSync(join(tmpdir(), 'hakit-crush-'));
    try {
      await this.raw(['osd', 'getcrushmap', '-o', join(dir, 'map')]);
      return readFileSync(join(dir, 'map'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  /** The binary OSD map (`ceph osd getmap`), e.g. for osdmaptool. */
  async getOsdMap(epoch?: number): Promise<Buffer> {
    const dir = mkdtempSync(join(tmpdir(), 'hakit-osdmap-'));
    try {
      await this.raw(['osd', 'getmap', ...(epoch === undefined ? [] : [String(check.integer('epoch', epoch, 1))]), '-o', join(dir, 'map')]);
      return readFileSync(join(dir, 'map'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  async osdMap(pool: string, object: string, namespace?: string): Promise<ObjectMapping> {
    const args = ['osd', 'map', checkName('pool', pool), check.string('object', object)];
    if (namespace) args.push(check.string('namespace', namespace));
    const r = await this.json<Record<string, unknown>>(args);
    return {
      epoch: r.epoch as number,
      pool: r.pool as string,
      poolId: r.pool_id as number,
      object: r.objname as string,
      namespace: (r.nspace as string) || undefined,
      rawPgid: r.raw_pgid as string,
      pgid: r.pgid as string,
      up: r.up as number[],
      upPrimary: r.up_primary as number,
      acting: r.acting as number[],
      actingPrimary: r.acting_primary as number,
    };
  }
  pgMap(pgid: string): Promise<PgMapResult> {
    return this.json<PgMapResult>(['pg', 'map', checkPgid(pgid)]);
  }

  // Pools.
  async poolCreate(name: string, options: CreatePoolOptions = {}): Promise<void> {
    checkName('name', name);
    const type = options.type ?? 'replicated';
    check.oneOf('type', type, ['replicated', 'erasure'] as const);
    const args = ['osd', 'pool', 'create', name];
    if (options.pgNum !== undefined) args.push(String(check.integer('pgNum', options.pgNum, 1, 1 << 20)));
    if (options.pgpNum !== undefined) {
      if (options.pgNum === undefined) throw new ArgumentError('pgpNum needs pgNum', { argument: 'pgpNum' });
      args.push(String(check.integer('pgpNum', options.pgpNum, 1, options.pgNum)));
    }
    args.push(type);
    if (type === 'erasure') {
      args.push(checkName('erasureProfile', options.erasureProfile ?? 'default'));
      if (options.rule !== undefined) args.push(checkName('rule', options.rule));
    } else if (options.rule !== undefined) {
      args.push(checkName('rule', options.rule));
    }
    if (options.autoscaleMode !== undefined) args.push('--autoscale-mode', check.oneOf('autoscaleMode', options.autoscaleMode, ['on', 'off', 'warn'] as const));
    if (options.bulk) args.push('--bulk');
    if (options.targetSizeRatio !== undefined) args.push('--target-size-ratio', String(check.number('targetSizeRatio', options.targetSizeRatio)));
    if (options.targetSizeBytes !== undefined) args.push('--target-size-bytes', String(check.integer('targetSizeBytes', options.targetSizeBytes, 0)));
    await this.raw(args);
    if (options.size !== undefined) await this.poolSet(name, 'size', String(check.integer('size', options.size, 1, 32)));
    if (options.minSize !== undefined) await this.poolSet(name, 'min_size', String(check.integer('minSize', options.minSize, 1, 32)));
    if (options.application !== undefined) await this.raw(['osd', 'pool', 'application', 'enable', name, checkName('application', options.application)]);
  }
  async poolDelete(name: string): Promise<void> {
    checkName('name', name);
    await this.raw(['osd', 'pool', 'delete', name, name, '--yes-i-really-really-mean-it']);
  }
  async poolSet(name: string, key: string, value: string): Promise<void> {
    await this.raw(['osd', 'pool', 'set', checkName('name', name), checkName('key', key), check.string('value', value)]);
  }
  poolGet(name: string, key = 'all'): Promise<Record<string, unknown>> {
    return this.json(['osd', 'pool', 'get', checkName('name', name), checkName('key', key)]);
  }
  poolList(): Promise<Array<Record<string, unknown>>> {
    return this.json(['osd', 'pool', 'ls', 'detail']);
  }

  // Erasure-code profiles.
  async ecProfileSet(name: string, profile: ErasureProfile, force = false): Promise<void> {
    checkName('name', name);
    const k = check.integer('k', profile.k, 1, 256);
    const m = check.integer('m', profile.m, 1, 256);
    const args = ['osd', 'erasure-code-profile', 'set', name, `k=${k}`, `m=${m}`];
    if (profile.plugin !== undefined) args.push(`plugin=${checkName('plugin', profile.plugin)}`);
    if (profile.technique !== undefined) args.push(`technique=${checkName('technique', profile.technique)}`);
    if (profile.failureDomain !== undefined) args.push(`crush-failure-domain=${checkName('failureDomain', profile.failureDomain)}`);
    if (profile.deviceClass !== undefined) args.push(`crush-device-class=${checkName('deviceClass', profile.deviceClass)}`);
    if (profile.root !== undefined) args.push(`crush-root=${checkName('root', profile.root)}`);
    for (const [key, value] of Object.entries(profile.extra ?? {})) args.push(`${checkName('extra key', key)}=${checkName('extra value', value)}`);
    if (force) args.push('--force');
    await this.raw(args);
  }
  ecProfileGet(name: string): Promise<Record<string, string>> {
    return this.json(['osd', 'erasure-code-profile', 'get', checkName('name', name)]);
  }
  ecProfileList(): Promise<string[]> {
    return this.json(['osd', 'erasure-code-profile', 'ls']);
  }
  async ecProfileRemove(name: string): Promise<void> {
    await this.raw(['osd', 'erasure-code-profile', 'rm', checkName('name', name)]);
  }

  // OSD state and placement overrides.
  async osdOut(...osds: number[]): Promise<void> {
    await this.raw(['osd', 'out', ...osds.map((o) => String(checkOsd(o)))]);
  }
  async osdIn(...osds: number[]): Promise<void> {
    await this.raw(['osd', 'in', ...osds.map((o) => String(checkOsd(o)))]);
  }
  async osdDown(...osds: number[]): Promise<void> {
    await this.raw(['osd', 'down', ...osds.map((o) => String(checkOsd(o)))]);
  }
  async osdReweight(osd: number, weight: number): Promise<void> {
    await this.raw(['osd', 'reweight', String(checkOsd(osd)), String(checkUnit('weight', weight))]);
  }
  async osdPrimaryAffinity(osd: number, affinity: number): Promise<void> {
    await this.raw(['osd', 'primary-affinity', `osd.${checkOsd(osd)}`, String(checkUnit('affinity', affinity))]);
  }
  /** pg-upmap-items: move the PG's copy on `from` to `to`, for each pair. */
  async pgUpmapItems(pgid: string, pairs: Array<[number, number]>): Promise<void> {
    if (!Array.isArray(pairs) || pairs.length === 0) throw new ArgumentError('pairs must be a non-empty array of [from, to]', { argument: 'pairs' });
    await this.raw(['osd', 'pg-upmap-items', checkPgid(pgid), ...pairs.flatMap(([from, to]) => [String(checkOsd(from)), String(checkOsd(to))])]);
  }
  async rmPgUpmapItems(pgid: string): Promise<void> {
    await this.raw(['osd', 'rm-pg-upmap-items', checkPgid(pgid)]);
  }
  async pgUpmap(pgid: string, osds: number[]): Promise<void> {
    await this.raw(['osd', 'pg-upmap', checkPgid(pgid), ...osds.map((o) => String(checkOsd(o)))]);
  }
  async rmPgUpmap(pgid: string): Promise<void> {
    await this.raw(['osd', 'rm-pg-upmap', checkPgid(pgid)]);
  }
  async pgTemp(pgid: string, osds: number[]): Promise<void> {
    await this.raw(['osd', 'pg-temp', checkPgid(pgid), ...osds.map((o) => String(checkOsd(o)))]);
  }
  async primaryTemp(pgid: string, osd: number): Promise<void> {
    await this.raw(['osd', 'primary-temp', checkPgid(pgid), String(check.integer('osd', osd, -1, 1 << 24))]);
  }
  async setRequireMinCompatClient(release: string): Promise<void> {
    await this.raw(['osd', 'set-require-min-compat-client', checkName('release', release), '--yes-i-really-mean-it']);
  }

  // CRUSH hierarchy and rules.
  async crushAddBucket(name: string, type: string, location: Record<string, string> = {}): Promise<void> {
    await this.raw(['osd', 'crush', 'add-bucket', checkName('name', name), checkName('type', type), ...locationArgs(location)]);
  }
  async crushMove(name: string, location: Record<string, string>): Promise<void> {
    await this.raw(['osd', 'crush', 'move', checkName('name', name), ...locationArgs(location)]);
  }
  async crushRemove(name: string, ancestor?: string): Promise<void> {
    await this.raw(['osd', 'crush', 'rm', checkName('name', name), ...(ancestor ? [checkName('ancestor', ancestor)] : [])]);
  }
  /** Adds or moves an OSD to a location with a CRUSH weight (`ceph osd crush set`). */
  async crushSetOsd(osd: number, weight: number, location: Record<string, string>): Promise<void> {
    await this.raw(['osd', 'crush', 'set', `osd.${checkOsd(osd)}`, String(check.number('weight', weight)), ...locationArgs(location)]);
  }
  async crushReweight(name: string, weight: number): Promise<void> {
    await this.raw(['osd', 'crush', 'reweight', checkName('name', name), String(check.number('weight', weight))]);
  }
  async setDeviceClass(deviceClass: string, osds: number[]): Promise<void> {
    await this.raw(['osd', 'crush', 'set-device-class', checkName('deviceClass', deviceClass), ...osds.map((o) => `osd.${checkOsd(o)}`)]);
  }
  async removeDeviceClass(osds: number[]): Promise<void> {
    await this.raw(['osd', 'crush', 'rm-device-class', ...osds.map((o) => `osd.${checkOsd(o)}`)]);
  }
  async ruleCreateReplicated(name: string, root: string, failureDomain: string, deviceClass?: string): Promise<void> {
    const args = ['osd', 'crush', 'rule', 'create-replicated', checkName('name', name), checkName('root', root), checkName('failureDomain', failureDomain)];
    if (deviceClass !== undefined) args.push(checkName('deviceClass', deviceClass));
    await this.raw(args);
  }
  async ruleCreateErasure(name: string, profile: string): Promise<void> {
    await this.raw(['osd', 'crush', 'rule', 'create-erasure', checkName('name', name), checkName('profile', profile)]);
  }
  async ruleRemove(name: string): Promise<void> {
    await this.raw(['osd', 'crush', 'rule', 'rm', checkName('name', name)]);
  }
  ruleList(): Promise<string[]> {
    return this.json(['osd', 'crush', 'rule', 'ls']);
  }
  /** Installs a binary crush map (e.g. built with hakit's crush module). */
  async setCrushMap(map: Uint8Array): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'hakit-crush-'));
    try {
      const file = join(dir, 'map');
      writeFileSync(file, check.bytes('map', map));
      await this.raw(['osd', 'setcrushmap', '-i', file]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // cephx.
  async authGetOrCreate(entity: string, caps: Record<string, string>): Promise<KeyringEntry> {
    const [entry] = await this.json<Array<{ entity: string; key: string; caps: Record<string, string> }>>(['auth', 'get-or-create', checkName('entity', entity), ...capsArgs(caps)]);
    if (!entry) throw new HakitError('CEPH_BAD_JSON', `auth get-or-create ${entity} returned nothing`, { entity });
    return { entity: entry.entity, key: entry.key, caps: entry.caps ?? {} };
  }
  async authGet(entity: string): Promise<KeyringEntry> {
    const [entry] = await this.json<Array<{ entity: string; key: string; caps: Record<string, string> }>>(['auth', 'get', checkName('entity', entity)]);
    if (!entry) throw new HakitError('CEPH_BAD_JSON', `auth get ${entity} returned nothing`, { entity });
    return { entity: entry.entity, key: entry.key, caps: entry.caps ?? {} };
  }
  /** Registers an existing key (from a keyring file) with its caps. */
  async authAdd(entity: string, caps: Record<string, string>, keyringFile: string): Promise<void> {
    await this.raw(['auth', 'add', checkName('entity', entity), ...capsArgs(caps), '-i', check.string('keyringFile', keyringFile)]);
  }
  async authCaps(entity: string, caps: Record<string, string>): Promise<void> {
    await this.raw(['auth', 'caps', checkName('entity', entity), ...capsArgs(caps)]);
  }
  async authDelete(entity: string): Promise<void> {
    await this.raw(['auth', 'del', checkName('entity', entity)]);
  }
}

function checkUnit(what: string, value: number): number {
  const v = check.number(what, value);
  if (v < 0 || v > 1) throw new ArgumentError(`${what} must be in [0, 1]`, { argument: what });
  return v;
}

function locationArgs(location: Record<string, string>): string[] {
  return Object.entries(location).map(([type, name]) => `${checkName('location type', type)}=${checkName('location name', name)}`);
}

/** The parts of `ceph osd dump -f json` placement needs. */
export interface OsdDumpJson {
  epoch: number;
  max_osd: number;
  pools: Array<{
    pool: number;
    pool_name: string;
    type: number;
    size: number;
    min_size: number;
    crush_rule: number;
    pg_num: number;
    pg_placement_num: number;
    pg_num_target?: number;
    flags_names?: string;
    erasure_code_profile?: string;
    pg_autoscale_mode?: string;
    options?: Record<string, unknown>;
    [key: string]: unknown;
  }>;
  osds: Array<{ osd: number; up: number; in: number; weight: number; primary_affinity: number; state?: string[]; [key: string]: unknown }>;
  pg_upmap?: Array<{ pgid: string; osds: number[] }>;
  pg_upmap_items?: Array<{ pgid: string; mappings: Array<{ from: number; to: number }> }>;
  pg_temp?: Array<{ pgid: string; osds: number[] }>;
  primary_temp?: Array<{ pgid: string; osd: number }>;
  erasure_code_profiles?: Record<string, Record<string, string>>;
  [key: string]: unknown;
}
