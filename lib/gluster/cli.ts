/**
 * The `gluster` command line with `--xml --mode=script`: typed results, and typed errors from the
 * XML's opRet/opErrno/opErrstr (gluster exits 0 on most failures in XML mode, so the XML decides).
 */
import { execFile } from 'node:child_process';
import { ArgumentError, HakitError, check } from '../errors';
import { type XmlElement, child, children, intOf, parseXml, textOf } from './xml';

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when killed by a signal. */
  code: number | null;
  signal?: string | null;
}

/** Runs a program; the default spawns it. Injected in tests to feed recorded outputs. */
export type Runner = (file: string, args: readonly string[], options: { timeoutMs: number; env?: NodeJS.ProcessEnv }) => Promise<RunResult>;

export const spawnRunner: Runner = (file, args, options) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: options.timeoutMs, maxBuffer: 256 * 1024 * 1024, env: options.env, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return reject(error);
      if (error && (error as { killed?: boolean }).killed) {
        return reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
      }
      const status = error ? (error as { code?: unknown }).code : 0;
      resolve({ stdout, stderr, code: typeof status === 'number' ? status : error ? 1 : 0, signal: (error as { signal?: string } | null)?.signal ?? null });
    });
  });

/** glusterd's op errnos (glusterd-errno.h) with stable codes. */
export const GLUSTERD_ERRNO: Record<number, string> = {
  30800: 'GLUSTER_INTERNAL',
  30801: 'GLUSTER_NOT_SUPPORTED',
  30802: 'GLUSTER_BUSY',
  30803: 'GLUSTER_BRICK_DOWN',
  30804: 'GLUSTER_NODE_DOWN',
  30805: 'GLUSTER_HARD_LIMIT',
  30806: 'GLUSTER_NO_VOLUME',
  30807: 'GLUSTER_NO_SNAPSHOT',
  30808: 'GLUSTER_REBALANCE_RUNNING',
  30809: 'GLUSTER_VOLUME_RUNNING',
  30810: 'GLUSTER_VOLUME_NOT_RUNNING',
  30811: 'GLUSTER_VOLUME_EXISTS',
  30812: 'GLUSTER_SNAPSHOT_EXISTS',
  30813: 'GLUSTER_IS_SNAPSHOT',
  30814: 'GLUSTER_GEOREP_RUNNING',
  30815: 'GLUSTER_NOT_THIN',
};

/** A gluster operation that glusterd refused or that failed. */
export class GlusterCommandError extends HakitError {
  readonly opRet: number;
  readonly opErrno: number;
  readonly opErrstr: string;
  constructor(code: string, message: string, details: { args: readonly string[]; opRet: number; opErrno: number; opErrstr: string; output?: string }) {
    super(code, message, details);
    this.name = 'GlusterCommandError';
    this.opRet = details.opRet;
    this.opErrno = details.opErrno;
    this.opErrstr = details.opErrstr;
  }
}

export interface GlusterOptions {
  /** The gluster binary (default 'gluster' from PATH). */
  binary?: string;
  /** Per-command timeout (default 120 s; gluster's own is 120 s too). */
  timeoutMs?: number;
  /** --remote-host: talk to glusterd on another host. */
  remoteHost?: string;
  /** --glusterd-sock: glusterd's UNIX socket when not the default. */
  glusterdSocket?: string;
  env?: NodeJS.ProcessEnv;
  runner?: Runner;
  /** Attempts when glusterd answers "another transaction is in progress" (default 6). */
  busyRetries?: number;
}

export interface Brick {
  /** HOST:PATH as gluster prints it. */
  name: string;
  host: string;
  path: string;
  hostUuid?: string;
  isArbiter: boolean;
}

export interface Subvolume {
  /** The DHT subvolume name (VOL-client-N, VOL-replicate-N, VOL-disperse-N). */
  name: string;
  bricks: Brick[];
}

export interface VolumeInfo {
  name: string;
  id: string;
  status: string;
  type: string;
  brickCount: number;
  distCount: number;
  replicaCount: number;
  arbiterCount: number;
  disperseCount: number;
  redundancyCount: number;
  bricks: Brick[];
  options: Record<string, string>;
  /** How DHT sees the volume: one entry per distribute subvolume. */
  subvolumes: Subvolume[];
}

export interface BrickStatus {
  host: string;
  path: string;
  peerId?: string;
  online: boolean;
  port?: number;
  pid?: number;
}

export interface VolumeStatus {
  name: string;
  bricks: BrickStatus[];
  /** Self-heal daemons, NFS servers and other non-brick nodes. */
  services: BrickStatus[];
  tasks: Array<{ type: string; id: string; status: string }>;
}

export interface Peer {
  uuid: string;
  hostname: string;
  connected: boolean;
  state?: string;
}

export interface RebalanceNode {
  node: string;
  id?: string;
  files: number;
  size: number;
  lookups: number;
  failures: number;
  skipped: number;
  status: string;
  runtimeSeconds: number;
}

export interface RebalanceStatus {
  taskId?: string;
  nodes: RebalanceNode[];
  aggregate?: RebalanceNode;
  /** Every node completed (or the aggregate says so). */
  completed: boolean;
  failed: boolean;
}

export interface HealBrick {
  brick: string;
  status: string;
  connected: boolean;
  /** undefined when the brick could not be asked. */
  entries?: number;
  files: Array<{ path: string; gfid?: string }>;
}

export interface CreateVolumeOptions {
  bricks: string[];
  replica?: number;
  arbiter?: number;
  disperse?: number;
  redundancy?: number;
  transport?: 'tcp' | 'rdma' | 'tcp,rdma';
  /** Allow bricks on the root filesystem and other warnings. */
  force?: boolean;
}

const BRICK = /^[^:\s]+:\/\S*$/;

function checkBricks(bricks: unknown): string[] {
  if (!Array.isArray(bricks) || bricks.length === 0) throw new ArgumentError('bricks must be a non-empty array of HOST:/PATH', { argument: 'bricks' });
  return bricks.map((b, i) => {
    if (typeof b !== 'string' || !BRICK.test(b)) throw new ArgumentError(`bricks[${i}] must be HOST:/ABSOLUTE/PATH, got ${JSON.stringify(b)}`, { argument: 'bricks' });
    return b;
  });
}

function checkName(what: string, value: unknown): string {
  const name = check.string(what, value);
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('-')) throw new ArgumentError(`${what} must be a plain name, got ${JSON.stringify(name)}`, { argument: what });
  return name;
}

function splitBrick(name: string): { host: string; path: string } {
  const colon = name.indexOf(':');
  return colon < 0 ? { host: '', path: name } : { host: name.slice(0, colon), path: name.slice(colon + 1) };
}

function num(element: XmlElement | undefined, name: string, fallback = 0): number {
  return intOf(element, name) ?? fallback;
}

export function parseVolumeInfo(root: XmlElement): VolumeInfo[] {
  const volumes = child(child(root, 'volInfo'), 'volumes');
  return children(volumes, 'volume').map((v) => {
    const name = textOf(v, 'name') ?? '';
    const bricks: Brick[] = children(child(v, 'bricks'), 'brick').map((b) => {
      const brickName = textOf(b, 'name') ?? b.text.trim();
      return { name: brickName, ...splitBrick(brickName), hostUuid: textOf(b, 'hostUuid') ?? b.attributes.uuid, isArbiter: textOf(b, 'isArbiter') === '1' };
    });
    const options: Record<string, string> = {};
    for (const option of children(child(v, 'options'), 'option')) options[textOf(option, 'name') ?? ''] = textOf(option, 'value') ?? '';
    const info: VolumeInfo = {
      name,
      id: textOf(v, 'id') ?? '',
      status: textOf(v, 'statusStr') ?? '',
      type: textOf(v, 'typeStr') ?? '',
      brickCount: num(v, 'brickCount'),
      distCount: num(v, 'distCount'),
      replicaCount: num(v, 'replicaCount', 1),
      arbiterCount: num(v, 'arbiterCount'),
      disperseCount: num(v, 'disperseCount'),
      redundancyCount: num(v, 'redundancyCount'),
      bricks,
      options,
      subvolumes: [],
    };
    info.subvolumes = subvolumesOf(info);
    return info;
  });
}

/** DHT's subvolumes: bricks grouped by replica or disperse count, named as the volfile names them. */
export function subvolumesOf(info: Pick<VolumeInfo, 'name' | 'bricks' | 'replicaCount' | 'disperseCount'>): Subvolume[] {
  const group = info.disperseCount > 0 ? info.disperseCount : Math.max(1, info.replicaCount);
  const kind = info.disperseCount > 0 ? 'disperse' : group > 1 ? 'replicate' : 'client';
  const out: Subvolume[] = [];
  for (let i = 0; i * group < info.bricks.length; i++) out.push({ name: `${info.name}-${kind}-${i}`, bricks: info.bricks.slice(i * group, (i + 1) * group) });
  return out;
}

function nodeStatus(n: XmlElement): BrickStatus {
  return {
    host: textOf(n, 'hostname') ?? '',
    path: textOf(n, 'path') ?? '',
    peerId: textOf(n, 'peerid'),
    online: textOf(n, 'status') === '1',
    port: intOf(n, 'port'),
    pid: (() => {
      const pid = intOf(n, 'pid');
      return pid !== undefined && pid > 0 ? pid : undefined;
    })(),
  };
}

const SERVICES = new Set(['Self-heal Daemon', 'NFS Server', 'Quota Daemon', 'Bitrot Daemon', 'Scrubber Daemon', 'Snapshot Daemon', 'Tier Daemon']);

export function parseVolumeStatus(root: XmlElement): VolumeStatus[] {
  return children(child(child(root, 'volStatus'), 'volumes'), 'volume').map((v) => {
    const nodes = children(v, 'node').map(nodeStatus);
    return {
      name: textOf(v, 'volName') ?? '',
      bricks: nodes.filter((n) => !SERVICES.has(n.host)),
      services: nodes.filter((n) => SERVICES.has(n.host)),
      tasks: children(child(v, 'tasks'), 'task').map((t) => ({ type: textOf(t, 'type') ?? '', id: textOf(t, 'id') ?? '', status: textOf(t, 'statusStr') ?? '' })),
    };
  });
}

function rebalanceNode(n: XmlElement): RebalanceNode {
  return {
    node: textOf(n, 'nodeName') ?? 'aggregate',
    id: textOf(n, 'id'),
    files: num(n, 'files'),
    size: num(n, 'size'),
    lookups: num(n, 'lookups'),
    failures: num(n, 'failures'),
    skipped: num(n, 'skipped'),
    status: textOf(n, 'statusStr') ?? '',
    runtimeSeconds: num(n, 'runtime'),
  };
}

/** `rebalance status` and `remove-brick status` share this shape. */
export function parseRebalanceStatus(root: XmlElement): RebalanceStatus {
  const body = child(root, 'volRebalance') ?? child(root, 'volRemoveBrick');
  const nodes = children(body, 'node').map(rebalanceNode);
  const aggregateElement = child(body, 'aggregate');
  const aggregate = aggregateElement ? rebalanceNode(aggregateElement) : undefined;
  const statuses = aggregate ? [aggregate.status] : nodes.map((n) => n.status);
  return {
    taskId: textOf(body, 'task-id'),
    nodes,
    aggregate,
    completed: statuses.length > 0 && statuses.every((s) => s === 'completed' || s === 'fix-layout completed'),
    failed: statuses.some((s) => s === 'failed' || s === 'fix-layout failed'),
  };
}

export function parseHealInfo(root: XmlElement): HealBrick[] {
  return children(child(child(root, 'healInfo'), 'bricks'), 'brick').map((b) => {
    const status = textOf(b, 'status') ?? '';
    return {
      brick: textOf(b, 'name') ?? '',
      status,
      connected: status === 'Connected',
      entries: intOf(b, 'numberOfEntries') ?? intOf(b, 'totalNumberOfEntries'),
      files: children(b, 'file').map((f) => ({ path: f.text.trim(), gfid: f.attributes.gfid })),
    };
  });
}

export function parsePeers(root: XmlElement): Peer[] {
  return children(child(root, 'peerStatus'), 'peer').map((p) => ({
    uuid: textOf(p, 'uuid') ?? '',
    hostname: textOf(p, 'hostname') ?? '',
    connected: textOf(p, 'connected') === '1',
    state: textOf(p, 'stateStr'),
  }));
}

/** Checks opRet and turns failures into typed errors; returns the root. */
export function checkCliOutput(xml: string, args: readonly string[]): XmlElement {
  const root = parseXml(xml);
  if (root.name !== 'cliOutput') throw new HakitError('GLUSTER_BAD_XML', `expected <cliOutput>, got <${root.name}>`, { args });
  const opRet = intOf(root, 'opRet');
  if (opRet === undefined) throw new HakitError('GLUSTER_BAD_XML', 'gluster output has no <opRet>', { args });
  const opErrno = intOf(root, 'opErrno') ?? 0;
  const opErrstr = textOf(root, 'opErrstr') ?? '';
  if (opRet !== 0) {
    const output = textOf(root, 'output');
    const code = GLUSTERD_ERRNO[opErrno] ?? 'GLUSTER_OP_FAILED';
    const message = opErrstr || output || `gluster ${args.join(' ')} failed (opRet ${opRet}, opErrno ${opErrno})`;
    throw new GlusterCommandError(code, message, { args, opRet, opErrno, opErrstr, output });
  }
  return root;
}

export class Gluster {
  private readonly binary: string;
  private readonly timeoutMs: number;
  private readonly runner: Runner;
  private readonly prefix: string[];
  private readonly env?: NodeJS.ProcessEnv;
  private readonly busyRetries: number;

  constructor(options: GlusterOptions = {}) {
    this.busyRetries = options.busyRetries === undefined ? 6 : check.integer('busyRetries', options.busyRetries, 1, 100);
    this.binary = options.binary === undefined ? 'gluster' : check.string('binary', options.binary);
    this.timeoutMs = options.timeoutMs === undefined ? 120_000 : check.integer('timeoutMs', options.timeoutMs, 1);
    this.runner = options.runner ?? spawnRunner;
    this.env = options.env;
    this.prefix = ['--mode=script'];
    if (options.remoteHost !== undefined) this.prefix.push(`--remote-host=${check.string('remoteHost', options.remoteHost)}`);
    if (options.glusterdSocket !== undefined) this.prefix.push(`--glusterd-sock=${check.string('glusterdSocket', options.glusterdSocket)}`);
  }

  /**
   * Runs `gluster ARGS --xml` and returns the checked <cliOutput> root. glusterd refuses work
   * while another transaction holds its cluster lock (a rebalance status poll, a peer's
   * command); those refusals are retried a few times before they are reported.
   */
  async run(args: readonly string[]): Promise<XmlElement> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runOnce(args);
      } catch (error) {
        const busy = error instanceof GlusterCommandError && (error.code === 'GLUSTER_BUSY' || /Another transaction is in progress|Locking failed|locked/i.test(error.message));
        if (!busy || attempt >= this.busyRetries) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }

  private async runOnce(args: readonly string[]): Promise<XmlElement> {
    const argv = [...this.prefix, ...args, '--xml'];
    let result: RunResult;
    try {
      result = await this.runner(this.binary, argv, { timeoutMs: this.timeoutMs, env: this.env });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new HakitError('GLUSTER_NOT_FOUND', `${this.binary} not found (apt-get install glusterfs-server)`, { binary: this.binary }, { cause: error });
      if (code === 'ETIMEDOUT') throw new HakitError('GLUSTER_TIMEOUT', `gluster ${args.join(' ')} did not finish in ${this.timeoutMs} ms`, { args }, { cause: error });
      throw new HakitError('GLUSTER_EXEC', `could not run ${this.binary}: ${(error as Error).message}`, { args }, { cause: error });
    }
    const start = result.stdout.indexOf('<');
    if (start < 0 || !result.stdout.includes('<cliOutput')) {
      const text = (result.stderr + result.stdout).trim();
      if (/Connection failed|daemon is operational/i.test(text)) {
        throw new HakitError('GLUSTER_UNREACHABLE', `glusterd is not reachable: ${text}`, { args, exitCode: result.code });
      }
      if (result.code !== 0) throw new HakitError('GLUSTER_COMMAND_FAILED', text || `gluster exited with status ${result.code}`, { args, exitCode: result.code });
      throw new HakitError('GLUSTER_BAD_XML', `gluster printed no XML: ${JSON.stringify(text.slice(0, 200))}`, { args });
    }
    return checkCliOutput(result.stdout.slice(start), args);
  }

  // Peers.
  async peerProbe(host: string): Promise<string> {
    const root = await this.run(['peer', 'probe', checkName('host', host)]);
    return textOf(root, 'output') ?? '';
  }
  async peerDetach(host: string, force = false): Promise<void> {
    await this.run(['peer', 'detach', checkName('host', host), ...(force ? ['force'] : [])]);
  }
  async peerStatus(): Promise<Peer[]> {
    return parsePeers(await this.run(['peer', 'status']));
  }
  /** All peers including this node (`pool list`). */
  async poolList(): Promise<Peer[]> {
    return parsePeers(await this.run(['pool', 'list']));
  }

  // Volumes.
  async volumeCreate(name: string, options: CreateVolumeOptions): Promise<{ name: string; id: string }> {
    checkName('name', name);
    const bricks = checkBricks(options?.bricks);
    const args = ['volume', 'create', name];
    if (options.replica !== undefined) {
      const replica = check.integer('replica', options.replica, 2, 64);
      args.push('replica', String(replica));
      if (options.arbiter !== undefined) args.push('arbiter', String(check.integer('arbiter', options.arbiter, 1, 1)));
      if (bricks.length % replica !== 0) throw new ArgumentError(`${bricks.length} bricks are not a multiple of replica ${replica}`, { argument: 'bricks' });
    } else if (options.arbiter !== undefined) {
      throw new ArgumentError('arbiter needs replica', { argument: 'arbiter' });
    }
    if (options.disperse !== undefined) {
      if (options.replica !== undefined) throw new ArgumentError('a volume is either replicated or dispersed', { argument: 'disperse' });
      const disperse = check.integer('disperse', options.disperse, 3, 64);
      args.push('disperse', String(disperse));
      if (options.redundancy !== undefined) args.push('redundancy', String(check.integer('redundancy', options.redundancy, 1, Math.floor((disperse - 1) / 2))));
      if (bricks.length % disperse !== 0) throw new ArgumentError(`${bricks.length} bricks are not a multiple of disperse ${disperse}`, { argument: 'bricks' });
    }
    if (options.transport !== undefined) args.push('transport', check.oneOf('transport', options.transport, ['tcp', 'rdma', 'tcp,rdma'] as const));
    args.push(...bricks);
    if (options.force) args.push('force');
    const root = await this.run(args);
    const volume = child(child(root, 'volCreate'), 'volume');
    return { name: textOf(volume, 'name') ?? name, id: textOf(volume, 'id') ?? '' };
  }
  async volumeStart(name: string, force = false): Promise<void> {
    await this.run(['volume', 'start', checkName('name', name), ...(force ? ['force'] : [])]);
  }
  async volumeStop(name: string, force = false): Promise<void> {
    await this.run(['volume', 'stop', checkName('name', name), ...(force ? ['force'] : [])]);
  }
  async volumeDelete(name: string): Promise<void> {
    await this.run(['volume', 'delete', checkName('name', name)]);
  }
  async volumeInfo(name?: string): Promise<VolumeInfo[]> {
    return parseVolumeInfo(await this.run(['volume', 'info', ...(name === undefined ? [] : [checkName('name', name)])]));
  }
  async volumeStatus(name?: string): Promise<VolumeStatus[]> {
    return parseVolumeStatus(await this.run(['volume', 'status', name === undefined ? 'all' : checkName('name', name)]));
  }
  async volumeSet(name: string, key: string, value: string): Promise<void> {
    await this.run(['volume', 'set', checkName('name', name), checkName('key', key), check.string('value', value)]);
  }
  async volumeReset(name: string, key?: string): Promise<void> {
    await this.run(['volume', 'reset', checkName('name', name), ...(key === undefined ? [] : [checkName('key', key)])]);
  }
  /** Option values; "(DEFAULT)" markers are stripped and reported in `defaults`. */
  async volumeGet(name: string, key = 'all'): Promise<{ values: Record<string, string>; defaults: Set<string> }> {
    const root = await this.run(['volume', 'get', checkName('name', name), checkName('key', key)]);
    const values: Record<string, string> = {};
    const defaults = new Set<string>();
    for (const opt of children(child(root, 'volGetopts'), 'Opt')) {
      const option = textOf(opt, 'Option') ?? '';
      let value = textOf(opt, 'Value') ?? '';
      if (value.endsWith(' (DEFAULT)')) {
        value = value.slice(0, -' (DEFAULT)'.length);
        defaults.add(option);
      }
      values[option] = value;
    }
    return { values, defaults };
  }

  // Bricks, rebalance.
  async addBrick(name: string, bricks: string[], options: { replica?: number; arbiter?: number; force?: boolean } = {}): Promise<void> {
    const args = ['volume', 'add-brick', checkName('name', name)];
    if (options.replica !== undefined) args.push('replica', String(check.integer('replica', options.replica, 1, 64)));
    if (options.arbiter !== undefined) args.push('arbiter', String(check.integer('arbiter', options.arbiter, 1, 1)));
    args.push(...checkBricks(bricks));
    if (options.force) args.push('force');
    await this.run(args);
  }
  private removeBrick(name: string, bricks: string[], action: 'start' | 'status' | 'stop' | 'commit' | 'force', replica?: number): Promise<XmlElement> {
    const args = ['volume', 'remove-brick', checkName('name', name)];
    if (replica !== undefined) args.push('replica', String(check.integer('replica', replica, 1, 64)));
    return this.run([...args, ...checkBricks(bricks), action]);
  }
  async removeBrickStart(name: string, bricks: string[], options: { replica?: number } = {}): Promise<string | undefined> {
    return textOf(child(await this.removeBrick(name, bricks, 'start', options.replica), 'volRemoveBrick'), 'task-id');
  }
  async removeBrickStatus(name: string, bricks: string[]): Promise<RebalanceStatus> {
    return parseRebalanceStatus(await this.removeBrick(name, bricks, 'status'));
  }
  async removeBrickStop(name: string, bricks: string[]): Promise<void> {
    await this.removeBrick(name, bricks, 'stop');
  }
  /** Commits a finished remove-brick (gluster refuses while data is still migrating). */
  async removeBrickCommit(name: string, bricks: string[], options: { replica?: number } = {}): Promise<void> {
    await this.removeBrick(name, bricks, 'commit', options.replica);
  }
  /** Removes bricks at once without migrating data (data on them is no longer reachable). */
  async removeBrickForce(name: string, bricks: string[], options: { replica?: number } = {}): Promise<void> {
    await this.removeBrick(name, bricks, 'force', options.replica);
  }
  async rebalanceStart(name: string, options: { fixLayoutOnly?: boolean; force?: boolean } = {}): Promise<string | undefined> {
    const args = ['volume', 'rebalance', checkName('name', name)];
    if (options.fixLayoutOnly) args.push('fix-layout');
    args.push('start');
    if (options.force) args.push('force');
    return textOf(child(await this.run(args), 'volRebalance'), 'task-id');
  }
  async rebalanceStatus(name: string): Promise<RebalanceStatus> {
    return parseRebalanceStatus(await this.run(['volume', 'rebalance', checkName('name', name), 'status']));
  }
  async rebalanceStop(name: string): Promise<void> {
    await this.run(['volume', 'rebalance', checkName('name', name), 'stop']);
  }
  /** Polls a rebalance (or remove-brick, with `bricks`) until it completes; rejects on failure or timeout. */
  async waitForMigration(name: string, options: { bricks?: string[]; timeoutMs?: number; intervalMs?: number } = {}): Promise<RebalanceStatus> {
    const deadline = Date.now() + (options.timeoutMs ?? 300_000);
    for (;;) {
      let status: RebalanceStatus;
      try {
        status = options.bricks ? await this.removeBrickStatus(name, options.bricks) : await this.rebalanceStatus(name);
      } catch (error) {
        // Right after a start glusterd may not report the task yet.
        if (error instanceof GlusterCommandError && /not (been )?started|no .*task/i.test(error.message) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
          continue;
        }
        throw error;
      }
      if (status.failed) throw new HakitError('GLUSTER_MIGRATION_FAILED', `data migration on ${name} failed`, { status });
      if (status.completed) return status;
      if (Date.now() > deadline) throw new HakitError('GLUSTER_TIMEOUT', `data migration on ${name} still running`, { status });
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
    }
  }

  // Self-heal.
  async healInfo(name: string): Promise<HealBrick[]> {
    return parseHealInfo(await this.run(['volume', 'heal', checkName('name', name), 'info']));
  }
  async healSplitBrain(name: string): Promise<HealBrick[]> {
    return parseHealInfo(await this.run(['volume', 'heal', checkName('name', name), 'info', 'split-brain']));
  }
}
