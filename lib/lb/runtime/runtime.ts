/**
 * Runtime control of pools: the programmatic API behind the admin endpoint. Every change can
 * be persisted to a state file (written atomically) and replayed at start-up, as HAProxy's
 * server-state-file does, so runtime adds, removes, drains, weights and addresses survive a
 * restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ArgumentError, HakitError, check } from '../../errors';
import type { HealthChecker } from '../health/checker';
import type { Pool } from '../pool';
import type { AdminState, HealthState, ServerOptions, ServerSnapshot } from '../server';

export interface RuntimeOptions {
  /** JSON file holding runtime changes; loaded by load(), written after every change. */
  stateFile?: string;
}

interface PersistedServer {
  id: string;
  host: string;
  port: number;
  weight: number;
  backup: boolean;
  slowStartMs: number;
  maxConnections: number;
  admin: AdminState;
  health: HealthState;
}

interface StateFile {
  version: 1;
  savedAt: string;
  pools: Record<string, { servers: PersistedServer[]; removed: string[]; checksDisabled: string[] }>;
}

export class Runtime {
  private readonly pools = new Map<string, Pool>();
  private readonly checkers = new Map<string, HealthChecker>();
  private readonly removed = new Map<string, Set<string>>();
  private readonly checksDisabled = new Map<string, Set<string>>();
  readonly stateFile: string | undefined;

  constructor(options: RuntimeOptions = {}) {
    this.stateFile = options.stateFile;
  }

  /** Puts a pool (and optionally its health checker) under runtime control. */
  register(pool: Pool, checker?: HealthChecker): this {
    if (this.pools.has(pool.name)) throw new ArgumentError(`a pool named ${pool.name} is already registered`, { pool: pool.name });
    this.pools.set(pool.name, pool);
    if (checker) this.checkers.set(pool.name, checker);
    this.removed.set(pool.name, new Set());
    this.checksDisabled.set(pool.name, new Set());
    return this;
  }

  list(): { name: string; scheduler: string; tier: string; checks: boolean; servers: (ServerSnapshot & { checks: boolean })[] }[] {
    return [...this.pools.keys()].map((name) => this.describe(name));
  }

  describe(poolName: string) {
    const pool = this.pool(poolName);
    const disabled = this.checksDisabled.get(poolName)!;
    const checker = this.checkers.get(poolName);
    return {
      name: pool.name, scheduler: pool.scheduler.name, tier: pool.tier, checks: checker !== undefined,
      servers: pool.servers.map((s) => ({ ...s.toJSON(), checks: checker !== undefined && !disabled.has(s.id) })),
    };
  }

  addServer(poolName: string, options: ServerOptions): ServerSnapshot {
    const pool = this.pool(poolName);
    const server = pool.add(options);
    this.removed.get(poolName)!.delete(server.id);
    this.save();
    return server.toJSON();
  }

  removeServer(poolName: string, id: string): void {
    const pool = this.pool(poolName);
    pool.require(id);
    pool.remove(id);
    this.removed.get(poolName)!.add(id);
    this.save();
  }

  setAdmin(poolName: string, id: string, admin: AdminState): ServerSnapshot {
    const pool = this.pool(poolName);
    pool.setAdmin(id, admin, 'runtime');
    this.save();
    return pool.require(id).toJSON();
  }

  setWeight(poolName: string, id: string, weight: number): ServerSnapshot {
    const pool = this.pool(poolName);
    pool.setWeight(id, weight);
    this.save();
    return pool.require(id).toJSON();
  }

  setAddress(poolName: string, id: string, host: string, port?: number): ServerSnapshot {
    const pool = this.pool(poolName);
    pool.setAddress(id, host, port);
    this.save();
    return pool.require(id).toJSON();
  }

  /** Enables or disables health checks of one server, or of every server of the pool. */
  setChecks(poolName: string, enabled: boolean, id?: string): void {
    const pool = this.pool(poolName);
    const checker = this.checkers.get(poolName);
    if (!checker) throw new HakitError('LB_NO_CHECKS', `pool ${poolName} has no health checker`, { pool: poolName });
    const ids = id === undefined ? pool.servers.map((s) => s.id) : [pool.require(id).id];
    const disabled = this.checksDisabled.get(poolName)!;
    for (const sid of ids) {
      if (enabled) {
        checker.enable(sid);
        disabled.delete(sid);
      } else {
        checker.disable(sid);
        disabled.add(sid);
      }
    }
    this.save();
  }

  /** Replays the state file onto the registered pools. Returns how many servers it touched. */
  load(): number {
    if (!this.stateFile || !fs.existsSync(this.stateFile)) return 0;
    let state: StateFile;
    try {
      state = JSON.parse(fs.readFileSync(this.stateFile, 'utf8')) as StateFile;
    } catch (cause) {
      throw new HakitError('LB_STATE_FILE', `cannot read state file ${this.stateFile}: ${(cause as Error).message}`, { file: this.stateFile }, { cause });
    }
    if (state === null || typeof state !== 'object' || state.version !== 1 || typeof state.pools !== 'object') {
      throw new HakitError('LB_STATE_FILE', `state file ${this.stateFile} is not a hakit lb state file (version 1)`, { file: this.stateFile });
    }
    let touched = 0;
    for (const [name, saved] of Object.entries(state.pools)) {
      const pool = this.pools.get(name);
      if (!pool) continue; // a pool no longer configured
      for (const id of saved.removed ?? []) {
        if (pool.remove(id)) touched++;
        this.removed.get(name)!.add(id);
      }
      for (const s of saved.servers ?? []) {
        try {
          let server = pool.get(s.id);
          if (!server) server = pool.add({ id: s.id, host: s.host, port: s.port, weight: s.weight, backup: s.backup, slowStartMs: s.slowStartMs, maxConnections: s.maxConnections });
          else {
            pool.setAddress(s.id, s.host, s.port);
            pool.setWeight(s.id, s.weight);
            pool.setMaxConnections(s.id, s.maxConnections);
          }
          pool.setAdmin(s.id, s.admin, 'state file');
          pool.setHealth(s.id, s.health, 'state file');
          touched++;
        } catch (cause) {
          throw new HakitError('LB_STATE_FILE', `state file ${this.stateFile}: server ${JSON.stringify(s?.id)} of pool ${name}: ${(cause as Error).message}`, { file: this.stateFile, pool: name }, { cause });
        }
      }
      for (const id of saved.checksDisabled ?? []) {
        if (pool.get(id) && this.checkers.has(name)) this.setChecksQuiet(name, id);
      }
    }
    return touched;
  }

  /** Writes the state file now (atomically: temp file + rename). */
  save(): void {
    if (!this.stateFile) return;
    const state: StateFile = { version: 1, savedAt: new Date().toISOString(), pools: {} };
    for (const [name, pool] of this.pools) {
      state.pools[name] = {
        servers: pool.servers.map((s) => ({
          id: s.id, host: s.host, port: s.port, weight: s.weight, backup: s.backup, slowStartMs: s.slowStartMs,
          maxConnections: s.maxConnections, admin: s.admin, health: s.health,
        })),
        removed: [...this.removed.get(name)!],
        checksDisabled: [...this.checksDisabled.get(name)!],
      };
    }
    const tmp = path.join(path.dirname(this.stateFile), `.${path.basename(this.stateFile)}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
    fs.renameSync(tmp, this.stateFile);
  }

  private setChecksQuiet(poolName: string, id: string): void {
    this.checkers.get(poolName)!.disable(id);
    this.checksDisabled.get(poolName)!.add(id);
  }

  private pool(name: string): Pool {
    check.string('pool', name);
    const pool = this.pools.get(name);
    if (!pool) throw new HakitError('LB_NO_SUCH_POOL', `no pool named ${JSON.stringify(name)}`, { pool: name });
    return pool;
  }
}
