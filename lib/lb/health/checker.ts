/**
 * Active and passive health checking of a pool, HAProxy-style:
 *  - a server goes down after `fall` consecutive failed checks and up after `rise` successes;
 *  - checks run every `intervalMs`, every `fastIntervalMs` while a transition is pending and
 *    every `downIntervalMs` while the server is down (HAProxy's inter/fastinter/downinter);
 *  - each delay gets ± jitter so thousands of checks do not fire together (spread-checks);
 *  - an optional agent (HAProxy agent-check) runs beside the main check and sets state,
 *    weight and maxconn; its failures are not errors (the main check tests connectivity);
 *  - passive checks count consecutive failed outcomes reported through Pool.release and mark
 *    the server down after `passive.fall` of them (observe + error-limit + on-error mark-down);
 *    active checks then bring it back.
 * Due checks sit in one min-heap driven by one timer, so 10,000 servers cost one timer.
 */
import { EventEmitter } from 'node:events';
import { ArgumentError, check } from '../../errors';
import { xorshift32 } from '../hash';
import type { Pool } from '../pool';
import type { Outcome, Server } from '../server';
import type { AgentReply } from './agent';
import { Pinger } from './icmp';
import {
  agentProbe, customProbe, httpProbe, statusMatcher, tcpProbe, tlsProbe,
  type AgentCheckOptions, type CustomCheck, type HttpCheckOptions, type ProbeContext, type ProbeResult,
} from './probes';

export type CheckType = 'tcp' | 'tls' | 'http' | 'https' | 'icmp' | 'agent' | 'custom' | 'none';
export const checkTypes: readonly CheckType[] = ['tcp', 'tls', 'http', 'https', 'icmp', 'agent', 'custom', 'none'];

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface HealthCheckOptions {
  type: CheckType;
  intervalMs?: number;
  fastIntervalMs?: number;
  downIntervalMs?: number;
  /** Per-check timeout (default: the interval, capped at 5 s). */
  timeoutMs?: number;
  rise?: number;
  fall?: number;
  /** Fraction of each delay added or removed at random (default 0.1; 0 = none; max 0.5). */
  jitter?: number;
  /** Port to check instead of the server's (HAProxy `port`). */
  port?: number;
  http?: HttpCheckOptions;
  tls?: { servername?: string; rejectUnauthorized?: boolean };
  /** The agent beside the main check (or the main check itself with type 'agent'). */
  agent?: AgentCheckOptions & { intervalMs?: number };
  custom?: CustomCheck;
  passive?: { fall: number };
  /** Most checks in flight at once (default 2000). */
  maxConcurrent?: number;
  clock?: Clock;
  random?: () => number;
}

export interface ServerCheckStatus {
  enabled: boolean;
  successes: number;
  failures: number;
  passiveFailures: number;
  last?: ProbeResult & { at: number };
  lastAgent?: AgentReply;
}

export interface CheckEvent {
  server: Server;
  kind: 'check' | 'agent';
  result: ProbeResult;
}

export interface HealthCheckerEvents {
  check: [CheckEvent];
  /** Health changed because of a check, an agent or passive observation. */
  change: [{ server: Server; health: 'up' | 'down'; reason: string }];
}

interface Entry {
  server: Server;
  kind: 'check' | 'agent';
  due: number;
  pos: number;
  running: boolean;
  removed: boolean;
}

interface State extends ServerCheckStatus {
  main?: Entry;
  agentEntry?: Entry;
}

export class HealthChecker extends EventEmitter<HealthCheckerEvents> {
  readonly options: Required<Pick<HealthCheckOptions, 'type' | 'intervalMs' | 'fastIntervalMs' | 'downIntervalMs' | 'timeoutMs' | 'rise' | 'fall' | 'jitter' | 'maxConcurrent'>> & HealthCheckOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly states = new Map<Server, State>();
  private readonly heap: Entry[] = [];
  private timer: unknown;
  private timerDue = Infinity;
  private running = 0;
  private started = false;
  private pinger: Pinger | undefined;
  private readonly poolListeners: { event: string; fn: (...args: never[]) => void }[] = [];

  constructor(readonly pool: Pool, options: HealthCheckOptions) {
    super();
    const type = check.oneOf('type', options.type, checkTypes);
    const intervalMs = check.integer('intervalMs', options.intervalMs ?? 2000, 1);
    this.options = {
      ...options,
      type,
      intervalMs,
      fastIntervalMs: check.integer('fastIntervalMs', options.fastIntervalMs ?? intervalMs, 1),
      downIntervalMs: check.integer('downIntervalMs', options.downIntervalMs ?? intervalMs, 1),
      timeoutMs: check.integer('timeoutMs', options.timeoutMs ?? Math.min(intervalMs, 5000), 1),
      rise: check.integer('rise', options.rise ?? 2, 1, 1000),
      fall: check.integer('fall', options.fall ?? 3, 1, 1000),
      jitter: check.number('jitter', options.jitter ?? 0.1),
      maxConcurrent: check.integer('maxConcurrent', options.maxConcurrent ?? 2000, 1),
    };
    if (this.options.jitter < 0 || this.options.jitter > 0.5) throw new ArgumentError('jitter must be in [0, 0.5]', { argument: 'jitter' });
    if (type === 'http' || type === 'https') statusMatcher(options.http?.expectStatus); // validate early
    if (type === 'custom' && typeof options.custom !== 'function') throw new ArgumentError('a custom check needs a custom function', { argument: 'custom' });
    if (type === 'agent' && options.agent === undefined) throw new ArgumentError('an agent check needs agent.port', { argument: 'agent' });
    if (options.agent) check.integer('agent.port', options.agent.port, 1, 65535);
    if (options.port !== undefined) check.integer('port', options.port, 1, 65535);
    if (options.passive) check.integer('passive.fall', options.passive.fall, 1);
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? xorshift32((Date.now() ^ (process.pid << 8)) >>> 0);
  }

  /** Starts checking every server of the pool (and servers added later). */
  start(): this {
    if (this.started) return this;
    this.started = true;
    this.on2('add', (server: Server) => this.track(server, true));
    this.on2('remove', (server: Server) => this.untrack(server));
    this.on2('outcome', (server: Server, outcome: Outcome) => this.observe(server, outcome));
    for (const server of this.pool.servers) this.track(server, true);
    return this;
  }

  stop(): void {
    this.started = false;
    for (const { event, fn } of this.poolListeners) this.pool.off(event as 'add', fn as never);
    this.poolListeners.length = 0;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
    for (const state of this.states.values()) {
      if (state.main) state.main.removed = true;
      if (state.agentEntry) state.agentEntry.removed = true;
    }
    this.heap.length = 0;
    this.states.clear();
    this.pinger?.close();
    this.pinger = undefined;
  }

  /** Disables active checks of one server (its health stays as it is). */
  disable(id: string): void {
    const state = this.requireState(id);
    state.enabled = false;
    for (const e of [state.main, state.agentEntry]) if (e && e.pos >= 0) this.heapRemove(e);
  }

  enable(id: string): void {
    const state = this.requireState(id);
    if (state.enabled) return;
    state.enabled = true;
    const now = this.clock.now();
    for (const e of [state.main, state.agentEntry]) if (e && !e.running && e.pos < 0) this.schedule(e, now);
  }

  status(id: string): ServerCheckStatus {
    const { main: _m, agentEntry: _a, ...status } = this.requireState(id);
    return { ...status };
  }

  private on2(event: 'add' | 'remove' | 'outcome', fn: (...args: never[]) => void): void {
    this.pool.on(event, fn as never);
    this.poolListeners.push({ event, fn });
  }

  private requireState(id: string): State {
    const state = this.states.get(this.pool.require(id));
    if (!state) throw new ArgumentError(`server ${id} is not being checked`, { server: id });
    return state;
  }

  private track(server: Server, spread: boolean): void {
    if (this.states.has(server)) return;
    const state: State = { enabled: true, successes: 0, failures: 0, passiveFailures: 0 };
    this.states.set(server, state);
    const now = this.clock.now();
    // First checks spread over one interval so a big pool does not check all at once.
    const first = spread ? Math.floor(this.random() * this.options.intervalMs) : 0;
    if (this.options.type !== 'none') {
      state.main = { server, kind: 'check', due: 0, pos: -1, running: false, removed: false };
      this.push(state.main, now + first);
    }
    if (this.options.agent && this.options.type !== 'agent') {
      state.agentEntry = { server, kind: 'agent', due: 0, pos: -1, running: false, removed: false };
      this.push(state.agentEntry, now + first);
    }
  }

  private untrack(server: Server): void {
    const state = this.states.get(server);
    if (!state) return;
    this.states.delete(server);
    for (const e of [state.main, state.agentEntry]) {
      if (!e) continue;
      e.removed = true;
      if (e.pos >= 0) this.heapRemove(e);
    }
  }

  /** Delay before the next check of this server, by state (inter / fastinter / downinter). */
  private delayFor(entry: Entry, state: State): number {
    const o = this.options;
    let base: number;
    if (entry.kind === 'agent') base = o.agent?.intervalMs ?? o.intervalMs;
    else if (entry.server.health === 'up') base = state.failures > 0 ? o.fastIntervalMs : o.intervalMs;
    else base = state.successes > 0 ? o.fastIntervalMs : o.downIntervalMs;
    const spread = base * o.jitter;
    return Math.max(1, Math.round(base - spread + 2 * spread * this.random()));
  }

  private schedule(entry: Entry, now: number): void {
    const state = this.states.get(entry.server);
    if (!state || !state.enabled || entry.removed) return;
    this.push(entry, now + this.delayFor(entry, state));
  }

  // ---- the due-time heap and its one timer ------------------------------------------------

  private push(entry: Entry, due: number): void {
    entry.due = due;
    entry.pos = this.heap.length;
    this.heap.push(entry);
    this.siftUp(entry.pos);
    this.arm();
  }

  private heapRemove(entry: Entry): void {
    const last = this.heap.pop()!;
    if (last !== entry) {
      this.heap[entry.pos] = last;
      last.pos = entry.pos;
      this.siftDown(this.siftUp(last.pos));
    }
    entry.pos = -1;
  }

  private siftUp(pos: number): number {
    const h = this.heap;
    const e = h[pos]!;
    while (pos > 0) {
      const p = (pos - 1) >> 1;
      if (h[p]!.due <= e.due) break;
      h[pos] = h[p]!;
      h[pos]!.pos = pos;
      pos = p;
    }
    h[pos] = e;
    e.pos = pos;
    return pos;
  }

  private siftDown(pos: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[pos]!;
    for (;;) {
      let c = 2 * pos + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1]!.due < h[c]!.due) c++;
      if (h[c]!.due >= e.due) break;
      h[pos] = h[c]!;
      h[pos]!.pos = pos;
      pos = c;
    }
    h[pos] = e;
    e.pos = pos;
  }

  private arm(): void {
    if (!this.started) return;
    const head = this.heap[0];
    if (!head || this.running >= this.options.maxConcurrent) return;
    if (head.due >= this.timerDue && this.timer !== undefined) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerDue = head.due;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, head.due - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = this.clock.now();
    while (this.heap.length > 0 && this.heap[0]!.due <= now && this.running < this.options.maxConcurrent) {
      const entry = this.heap[0]!;
      this.heapRemove(entry);
      this.run(entry);
    }
    this.arm();
  }

  private run(entry: Entry): void {
    entry.running = true;
    this.running++;
    this.probe(entry).then(
      (result) => this.finish(entry, result),
      (error: unknown) => this.finish(entry, { ok: false, detail: (error as Error).message ?? String(error), durationMs: 0 }),
    );
  }

  private probe(entry: Entry): Promise<ProbeResult> {
    const o = this.options;
    const server = entry.server;
    const ctx: ProbeContext = { server, port: o.port ?? server.port, timeoutMs: o.timeoutMs };
    if (entry.kind === 'agent' || o.type === 'agent') return agentProbe(ctx, o.agent!);
    switch (o.type) {
      case 'tcp': return tcpProbe(ctx);
      case 'tls': return tlsProbe(ctx, o.tls);
      case 'http': return httpProbe(ctx, o.http ?? {}, false);
      case 'https': return httpProbe(ctx, o.http ?? {}, true);
      case 'icmp': return (this.pinger ??= new Pinger()).ping(server.host, o.timeoutMs);
      case 'custom': return customProbe(ctx, o.custom!);
      default: return Promise.resolve({ ok: true, detail: 'no check', durationMs: 0 });
    }
  }

  private finish(entry: Entry, result: ProbeResult): void {
    entry.running = false;
    this.running--;
    const state = this.states.get(entry.server);
    if (entry.removed || !state || !this.started) return;
    const now = this.clock.now();
    this.emit('check', { server: entry.server, kind: entry.kind, result });
    if (result.agent) {
      state.lastAgent = result.agent;
      this.applyAgent(entry.server, state, result.agent);
    }
    if (entry.kind === 'check') {
      state.last = { ...result, at: now };
      this.count(entry.server, state, result.ok, result.detail);
    }
    this.schedule(entry, now);
    this.arm();
  }

  /** The rise/fall state machine. */
  private count(server: Server, state: State, ok: boolean, detail: string): void {
    const o = this.options;
    if (ok) {
      state.failures = 0;
      if (server.health === 'down' && ++state.successes >= o.rise) {
        state.successes = 0;
        state.passiveFailures = 0;
        this.setHealth(server, 'up', `check passed ${o.rise} times: ${detail}`);
      } else if (server.health === 'up') state.successes = 0;
    } else {
      state.successes = 0;
      if (server.health === 'up' && ++state.failures >= o.fall) {
        state.failures = 0;
        this.setHealth(server, 'down', `check failed ${o.fall} times: ${detail}`);
      } else if (server.health === 'down') state.failures = 0;
    }
  }

  private applyAgent(server: Server, state: State, reply: AgentReply): void {
    const id = server.id;
    if (this.pool.get(id) !== server) return;
    if (reply.weightPercent !== undefined) this.pool.setAgentWeight(id, reply.weightPercent);
    if (reply.maxConnections !== undefined) this.pool.setMaxConnections(id, reply.maxConnections);
    if (reply.admin !== undefined) this.pool.setAdmin(id, reply.admin, `agent${reply.description ? `: ${reply.description}` : ''}`);
    if (reply.health !== undefined && reply.health !== server.health) {
      state.successes = 0;
      state.failures = 0;
      this.setHealth(server, reply.health, `agent: ${reply.health}${reply.description ? ` (${reply.description})` : ''}`);
    }
  }

  /** Passive check: consecutive failed outcomes mark the server down. */
  private observe(server: Server, outcome: Outcome): void {
    const passive = this.options.passive;
    const state = this.states.get(server);
    if (!passive || !state) return;
    if (outcome.ok) {
      state.passiveFailures = 0;
      return;
    }
    if (server.health === 'up' && ++state.passiveFailures >= passive.fall) {
      state.passiveFailures = 0;
      state.successes = 0;
      state.failures = 0;
      this.setHealth(server, 'down', `passive: ${passive.fall} consecutive errors (${outcome.error ?? 'error'})`);
      // Recheck soon so active checks can bring it back.
      const e = state.main;
      if (e && e.pos >= 0) {
        this.heapRemove(e);
        this.push(e, this.clock.now() + this.options.fastIntervalMs);
      }
    }
  }

  private setHealth(server: Server, health: 'up' | 'down', reason: string): void {
    if (this.pool.get(server.id) !== server) return;
    this.pool.setHealth(server.id, health, reason);
    this.emit('change', { server, health, reason });
  }
}
