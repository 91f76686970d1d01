/**
 * A pool of servers behind one scheduler: the structure the L4 proxy, the L7 proxy, health
 * checks and the runtime API share.
 *
 *   const pool = new Pool({ scheduler: 'least-connections', servers: [{ host, port }] });
 *   const server = pool.pick(clientIp);          // undefined: nothing usable (or all full)
 *   ...
 *   pool.release(server, { ok: true, responseTimeMs: 12 });
 *
 * Members of the scheduler are the usable servers of the active tier: primaries, or the
 * backups while no primary is usable. Every change is applied to the scheduler incrementally.
 */
import { EventEmitter } from 'node:events';
import { ArgumentError, HakitError, check } from '../errors';
import type { HashKey } from './hash';
import { createScheduler, type Scheduler, type SchedulerOptions } from './schedulers';
import { Server, type AdminState, type HealthState, type Outcome, type ServerOptions, type ServerState } from './server';

export interface PoolOptions {
  name?: string;
  /** A scheduler name (see schedulerNames, aliases like 'rr', 'leastconn', 'mh'), or an instance. */
  scheduler?: string | Scheduler;
  schedulerOptions?: SchedulerOptions;
  servers?: ServerOptions[];
  /** Clock in ms (tests pass a fake one). */
  now?: () => number;
  /** Weight of a new response-time sample in the moving average (default 0.3). */
  ewmaAlpha?: number;
  /** How often slow-start ramps are advanced (default: slowStart/20, at least 100 ms). */
  slowStartTickMs?: number;
}

export interface StateChange {
  server: Server;
  from: ServerState;
  to: ServerState;
  reason: string;
}

export interface PoolEvents {
  state: [StateChange];
  add: [Server];
  remove: [Server];
  weight: [Server];
  address: [Server];
  outcome: [Server, Outcome];
  /** The active tier switched between primaries and backups. */
  tier: ['primary' | 'backup'];
}

export class Pool extends EventEmitter<PoolEvents> {
  readonly name: string;
  readonly scheduler: Scheduler;
  private readonly byId = new Map<string, Server>();
  private readonly members = new Set<Server>();
  private readonly usablePrimaries = new Set<Server>();
  private activeTier: 'primary' | 'backup' = 'primary';
  private readonly now: () => number;
  private readonly ewmaAlpha: number;
  private readonly ramping = new Set<Server>();
  private rampTimer: NodeJS.Timeout | undefined;
  private readonly slowStartTickMs: number | undefined;
  private closed = false;

  constructor(options: PoolOptions = {}) {
    super();
    this.name = options.name ?? 'default';
    const scheduler = options.scheduler ?? 'round-robin';
    this.scheduler = typeof scheduler === 'string' ? createScheduler(scheduler, options.schedulerOptions) : scheduler;
    this.now = options.now ?? (() => performance.now());
    this.ewmaAlpha = options.ewmaAlpha ?? 0.3;
    if (!(this.ewmaAlpha > 0 && this.ewmaAlpha <= 1)) throw new ArgumentError('ewmaAlpha must be in (0, 1]', { argument: 'ewmaAlpha' });
    this.slowStartTickMs = options.slowStartTickMs;
    for (const s of options.servers ?? []) this.add(s);
  }

  // ---- membership -------------------------------------------------------------------------

  add(options: ServerOptions): Server {
    const server = new Server(options);
    if (this.byId.has(server.id)) throw new HakitError('LB_DUPLICATE_SERVER', `server ${server.id} already exists in pool ${this.name}`, { server: server.id });
    this.byId.set(server.id, server);
    server.lastChange = this.now();
    this.resync(server);
    this.emit('add', server);
    return server;
  }

  /** Removes a server: no new traffic; in-flight work may still be released. */
  remove(id: string): boolean {
    const server = this.byId.get(id);
    if (server === undefined) return false;
    this.byId.delete(id);
    this.ramping.delete(server);
    this.resync(server);
    this.emit('remove', server);
    return true;
  }

  get(id: string): Server | undefined {
    return this.byId.get(id);
  }

  require(id: string): Server {
    const server = this.byId.get(id);
    if (server === undefined) throw new HakitError('LB_NO_SUCH_SERVER', `no server ${JSON.stringify(id)} in pool ${this.name}`, { server: id });
    return server;
  }

  get servers(): Server[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }

  /** Which tier takes traffic now. */
  get tier(): 'primary' | 'backup' {
    return this.activeTier;
  }

  /** Servers the scheduler currently chooses among. */
  get activeServers(): Server[] {
    return [...this.members];
  }

  // ---- state changes ------------------------------------------------------------------------

  setAdmin(id: string, admin: AdminState, reason = 'admin'): void {
    check.oneOf('admin', admin, ['ready', 'drain', 'maint'] as const);
    const server = this.require(id);
    if (server.admin === admin) return;
    this.transition(server, reason, () => {
      server.admin = admin;
    });
  }

  setHealth(id: string, health: HealthState, reason = 'check'): void {
    check.oneOf('health', health, ['up', 'down'] as const);
    const server = this.require(id);
    if (server.health === health) return;
    this.transition(server, reason, () => {
      server.health = health;
    });
  }

  setWeight(id: string, weight: number): void {
    check.integer('weight', weight, 0, 256);
    const server = this.require(id);
    if (server.weight === weight) return;
    this.transition(server, 'weight', () => {
      server.weight = weight;
    });
    this.emit('weight', server);
  }

  /** Agent-reported capacity in percent of the configured weight (HAProxy agent `NN%`). */
  setAgentWeight(id: string, percent: number): void {
    check.integer('percent', percent, 0, 256);
    const server = this.require(id);
    if (server.agentWeightPercent === percent) return;
    this.transition(server, 'agent', () => {
      server.agentWeightPercent = percent;
    });
    this.emit('weight', server);
  }

  setAddress(id: string, host: string, port?: number): void {
    const server = this.require(id);
    check.string('host', host);
    if (host.length === 0) throw new ArgumentError('host must not be empty', { argument: 'host' });
    if (port !== undefined) check.integer('port', port, 0, 65535);
    server.host = host;
    if (port !== undefined) server.port = port;
    this.emit('address', server);
  }

  setMaxConnections(id: string, max: number): void {
    this.require(id).maxConnections = check.integer('maxConnections', max, 0);
  }

  // ---- traffic ------------------------------------------------------------------------------

  /**
   * Chooses a server and counts one in-flight request/connection on it. `key` is what hash
   * schedulers hash (client IP, URL, header...). Returns undefined when no server is usable or
   * the chosen ones are at maxConnections (the caller queues or answers 503).
   */
  pick(key?: HashKey): Server | undefined {
    const scheduler = this.scheduler;
    let server = scheduler.pick(key);
    if (server === undefined) return undefined;
    if (server.full) {
      if (scheduler.affinity) return undefined;
      // Another member may have room; bounded retries keep the pick cheap.
      const tries = Math.min(scheduler.size, 8);
      server = undefined;
      for (let i = 0; i < tries; i++) {
        const candidate = scheduler.pick(key);
        if (candidate !== undefined && !candidate.full) {
          server = candidate;
          break;
        }
      }
      if (server === undefined) return undefined;
    }
    this.acquire(server);
    return server;
  }

  /** Counts one in-flight unit on a server chosen elsewhere (persistence cookie, retries). */
  acquire(server: Server): void {
    server.inFlight++;
    server.counters.picks++;
    if (server.activeIn === this) this.scheduler.acquired(server);
  }

  /** Gives back a pick that was not used (no outcome recorded). */
  cancel(server: Server): void {
    if (server.inFlight > 0) server.inFlight--;
    if (server.counters.picks > 0) server.counters.picks--;
    if (server.activeIn === this) this.scheduler.released(server);
  }

  /** Ends one in-flight unit and records its outcome (feeds least-* schedulers and passive checks). */
  release(server: Server, outcome: Outcome = OK): void {
    if (server.inFlight > 0) server.inFlight--;
    const c = server.counters;
    if (outcome.ok) c.successes++;
    else c.failures++;
    if (outcome.bytesIn) c.bytesIn += outcome.bytesIn;
    if (outcome.bytesOut) c.bytesOut += outcome.bytesOut;
    const member = server.activeIn === this;
    if (member) this.scheduler.released(server);
    if (outcome.responseTimeMs !== undefined && outcome.responseTimeMs >= 0) {
      const prev = server.responseTimeEwmaMs;
      server.responseTimeEwmaMs = prev === undefined ? outcome.responseTimeMs : prev + this.ewmaAlpha * (outcome.responseTimeMs - prev);
      if (member) this.scheduler.observed(server);
    }
    if (this.listenerCount('outcome') > 0) this.emit('outcome', server, outcome);
  }

  /** Stops the slow-start timer. */
  close(): void {
    this.closed = true;
    if (this.rampTimer) clearInterval(this.rampTimer);
    this.rampTimer = undefined;
  }

  snapshot(): { name: string; scheduler: string; tier: string; servers: ReturnType<Server['toJSON']>[] } {
    return { name: this.name, scheduler: this.scheduler.name, tier: this.activeTier, servers: this.servers.map((s) => s.toJSON()) };
  }

  // ---- internals ----------------------------------------------------------------------------

  private transition(server: Server, reason: string, change: () => void): void {
    const from = server.state;
    const wasUsable = server.usable;
    change();
    const to = server.state;
    if (!wasUsable && server.usable) this.startRamp(server);
    if (from !== to) {
      server.lastChange = this.now();
      server.lastReason = reason;
    }
    this.resync(server);
    if (from !== to) this.emit('state', { server, from, to, reason });
  }

  private startRamp(server: Server): void {
    server.upSince = this.now();
    if (server.slowStartMs <= 0 || !this.scheduler.dynamicWeights) {
      server.rampFactor = 1;
      return;
    }
    server.rampFactor = rampAt(0, server.slowStartMs);
    this.ramping.add(server);
    if (this.rampTimer === undefined && !this.closed) {
      const tick = this.slowStartTickMs ?? Math.max(100, Math.floor(server.slowStartMs / 20));
      this.rampTimer = setInterval(() => this.advanceSlowStart(), tick);
      this.rampTimer.unref();
    }
  }

  /** Advances slow-start ramps to the pool clock (a timer calls this; tests call it directly). */
  advanceSlowStart(): void {
    const now = this.now();
    for (const server of this.ramping) {
      const factor = rampAt(now - server.upSince, server.slowStartMs);
      if (factor !== server.rampFactor) {
        server.rampFactor = factor;
        if (server.activeIn === this) this.scheduler.update(server);
      }
      if (factor >= 1) this.ramping.delete(server);
    }
    if (this.ramping.size === 0 && this.rampTimer) {
      clearInterval(this.rampTimer);
      this.rampTimer = undefined;
    }
  }

  /**
   * Brings the scheduler's members in line with the servers' states. With `changed` given and
   * no tier switch, only that server is touched; otherwise every server is re-examined.
   */
  private resync(changed?: Server): void {
    // Usable primaries, kept incrementally so a change to one server costs O(1) here.
    const isUsablePrimary = (s: Server) => this.byId.get(s.id) === s && !s.backup && s.usable;
    if (changed !== undefined) {
      if (isUsablePrimary(changed)) this.usablePrimaries.add(changed);
      else this.usablePrimaries.delete(changed);
    } else {
      this.usablePrimaries.clear();
      for (const s of this.byId.values()) if (isUsablePrimary(s)) this.usablePrimaries.add(s);
    }
    const tier = this.usablePrimaries.size > 0 ? 'primary' : 'backup';
    const tierChanged = tier !== this.activeTier;
    this.activeTier = tier;
    const wanted = (s: Server) => this.byId.get(s.id) === s && s.usable && (tier === 'primary' ? !s.backup : s.backup);
    const visit = (s: Server) => {
      const want = wanted(s);
      if (want && !this.members.has(s)) {
        this.members.add(s);
        s.activeIn = this;
        this.scheduler.add(s);
      } else if (!want && this.members.has(s)) {
        this.members.delete(s);
        if (s.activeIn === this) s.activeIn = undefined;
        this.scheduler.remove(s);
      } else if (want) {
        this.scheduler.update(s);
      }
    };
    if (changed !== undefined && !tierChanged) visit(changed);
    else {
      for (const s of [...this.members]) visit(s);
      for (const s of this.byId.values()) visit(s);
    }
    if (tierChanged) this.emit('tier', tier);
  }
}

const OK: Outcome = Object.freeze({ ok: true });

/** Slow-start factor after `elapsed` of `total` ms: starts at 5 %, linear to 100 %. */
function rampAt(elapsed: number, total: number): number {
  if (total <= 0 || elapsed >= total) return 1;
  return Math.max(0.05, elapsed / total);
}
