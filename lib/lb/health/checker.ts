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
 * Due checks sit in one min-heap driven by one timer, so 10,000 servers cost one timer; custom
 * checks in flight sit in one deadline list with one timer for their timeouts; TCP checks go to
 * the native prober in batches (native-tcp.ts), which enforces their timeouts itself. Nothing is
 * allocated per TCP check unless someone listens to 'check' events.
 */
import { EventEmitter } from 'node:events';
import { ArgumentError, check } from '../../errors';
import { xorshift32 } from '../hash';
import type { Pool } from '../pool';
import type { Outcome, Server } from '../server';
import type { AgentReply } from './agent';
import { Pinger } from './icmp';
import { probeAddress, probeDetail, tcpProbeBatcher, type ProbeAddress, type TcpProbeBatcher, type TcpProbeSink } from './native-tcp';
import { DeadlineList, DueHeap, type DeadlineItem, type HeapItem } from './schedule';
import {
  agentProbe, customProbe, errorDetail, httpProbe, statusMatcher, tcpProbe, tlsProbe, type ProbeContext, type ProbeResult,
} from './probes';
import { checkTypes, realClock, type Clock, type HealthCheckOptions, type HealthCheckerEvents, type HealthCheckerStats, type ServerCheckStatus } from './types';

export { checkTypes, realClock } from './types';
export type { CheckType, Clock, HealthCheckOptions, ServerCheckStatus, CheckEvent, HealthCheckerEvents, HealthCheckerStats } from './types';

interface State {
  enabled: boolean;
  successes: number;
  failures: number;
  passiveFailures: number;
  // The last main check, kept in fields (not a fresh object per check).
  hasLast: boolean;
  lastOk: boolean;
  lastDetail: string;
  lastDurationMs: number;
  lastAt: number;
  lastCheckAgent: AgentReply | undefined;
  lastAgent: AgentReply | undefined;
  main: Entry | undefined;
  agentEntry: Entry | undefined;
}

/** One scheduled check (main or agent) of one server: heap item, deadline-list item, probe token. */
class Entry implements HeapItem, DeadlineItem<Entry> {
  due = 0;
  pos = -1;
  running = false;
  removed = false;
  /** Bumped per run so a late custom result of a timed-out run is ignored. */
  run = 0;
  started = 0;
  context: CustomContext | undefined = undefined;
  deadline = 0;
  prev: Entry | undefined = undefined;
  next: Entry | undefined = undefined;
  linked = false;
  /** Cached numeric address of `server.host` for the native prober. */
  addressOf: string | undefined = undefined;
  address: ProbeAddress | undefined = undefined;
  constructor(readonly server: Server, readonly state: State, readonly kind: 'check' | 'agent') {}
}

/** The context given to custom checks; the AbortController exists only if the check asks for it. */
class CustomContext {
  private controller: AbortController | undefined;
  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }
  abort(): void {
    this.controller?.abort();
  }
}


const DEADLINE_GRANULARITY_MS = 5;

export class HealthChecker extends EventEmitter<HealthCheckerEvents> implements TcpProbeSink {
  readonly options: Required<Pick<HealthCheckOptions, 'type' | 'intervalMs' | 'fastIntervalMs' | 'downIntervalMs' | 'timeoutMs' | 'rise' | 'fall' | 'jitter' | 'maxConcurrent' | 'coalesceMs'>> & HealthCheckOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly states = new Map<Server, State>();
  private readonly heap = new DueHeap<Entry>();
  private timer: unknown;
  private timerDue = Infinity;
  private readonly fireBound = () => this.fire();
  // Custom checks in flight, in deadline order, and the one real-time timer that expires them.
  private readonly deadlines = new DeadlineList<Entry>();
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly expireBound = () => this.expire();
  private running = 0;
  private checks = 0;
  private failed = 0;
  private started = false;
  private pinger: Pinger | undefined;
  private tcp: TcpProbeBatcher | undefined;
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
      timeoutMs: check.integer('timeoutMs', options.timeoutMs ?? Math.min(intervalMs, 5000), 1, 2 ** 30),
      rise: check.integer('rise', options.rise ?? 2, 1, 1000),
      fall: check.integer('fall', options.fall ?? 3, 1, 1000),
      jitter: check.number('jitter', options.jitter ?? 0.1),
      maxConcurrent: check.integer('maxConcurrent', options.maxConcurrent ?? 2000, 1),
      coalesceMs: 0,
    };
    // Default: 2.5 % of the shortest interval, at most 50 ms (well inside the default ±10 % jitter).
    const shortest = Math.min(intervalMs, this.options.fastIntervalMs, this.options.downIntervalMs);
    this.options.coalesceMs = check.integer('coalesceMs', options.coalesceMs ?? Math.min(50, Math.floor(shortest / 40)), 0, 1000);
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
    if (this.options.type === 'tcp') this.tcp = tcpProbeBatcher();
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
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    for (const state of this.states.values()) {
      if (state.main) state.main.removed = true;
      if (state.agentEntry) state.agentEntry.removed = true;
    }
    this.deadlines.clear();
    this.heap.clear();
    this.states.clear();
    this.pinger?.close();
    this.pinger = undefined;
  }

  /** Disables active checks of one server (its health stays as it is). */
  disable(id: string): void {
    const state = this.requireState(id);
    state.enabled = false;
    if (state.main) this.heap.remove(state.main);
    if (state.agentEntry) this.heap.remove(state.agentEntry);
  }

  enable(id: string): void {
    const state = this.requireState(id);
    if (state.enabled) return;
    state.enabled = true;
    const now = this.clock.now();
    for (const e of [state.main, state.agentEntry]) if (e && !e.running && e.pos < 0) this.schedule(e, now);
  }

  status(id: string): ServerCheckStatus {
    const s = this.requireState(id);
    const status: ServerCheckStatus = { enabled: s.enabled, successes: s.successes, failures: s.failures, passiveFailures: s.passiveFailures };
    if (s.hasLast) status.last = { ok: s.lastOk, detail: s.lastDetail, durationMs: s.lastDurationMs, ...(s.lastCheckAgent ? { agent: s.lastCheckAgent } : {}), at: s.lastAt };
    if (s.lastAgent) status.lastAgent = s.lastAgent;
    return status;
  }

  /** Counters for metrics: checks finished and failed since construction, checks in flight. */
  stats(): HealthCheckerStats {
    return { checks: this.checks, failed: this.failed, inFlight: this.running };
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
    const state: State = {
      enabled: true, successes: 0, failures: 0, passiveFailures: 0,
      hasLast: false, lastOk: false, lastDetail: '', lastDurationMs: 0, lastAt: 0, lastCheckAgent: undefined, lastAgent: undefined,
      main: undefined, agentEntry: undefined,
    };
    this.states.set(server, state);
    const now = this.clock.now();
    // First checks spread over one interval so a big pool does not check all at once.
    const first = spread ? Math.floor(this.random() * this.options.intervalMs) : 0;
    if (this.options.type !== 'none') {
      state.main = new Entry(server, state, 'check');
      this.push(state.main, now + first);
    }
    if (this.options.agent && this.options.type !== 'agent') {
      state.agentEntry = new Entry(server, state, 'agent');
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
      this.heap.remove(e);
    }
  }

  /** Delay before the next check of this server, by state (inter / fastinter / downinter). */
  private delayFor(entry: Entry): number {
    const o = this.options;
    const state = entry.state;
    let base: number;
    if (entry.kind === 'agent') base = o.agent?.intervalMs ?? o.intervalMs;
    else if (entry.server.health === 'up') base = state.failures > 0 ? o.fastIntervalMs : o.intervalMs;
    else base = state.successes > 0 ? o.fastIntervalMs : o.downIntervalMs;
    const spread = base * o.jitter;
    return Math.max(1, Math.round(base - spread + 2 * spread * this.random()));
  }

  private schedule(entry: Entry, now: number): void {
    if (!entry.state.enabled || entry.removed) return;
    this.push(entry, now + this.delayFor(entry));
  }

  // ---- the due-time heap and its one timer ------------------------------------------------

  private push(entry: Entry, due: number): void {
    this.heap.schedule(entry, due);
    this.arm();
  }

  private arm(): void {
    if (!this.started) return;
    const head = this.heap.peek();
    if (!head || this.running >= this.options.maxConcurrent) return;
    if (head.due >= this.timerDue && this.timer !== undefined) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerDue = head.due;
    this.timer = this.clock.setTimeout(this.fireBound, Math.max(0, head.due - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = this.clock.now();
    const horizon = now + this.options.coalesceMs;
    for (let head = this.heap.peek(); head && head.due <= horizon && this.running < this.options.maxConcurrent; head = this.heap.peek()) {
      this.heap.remove(head);
      this.run(head);
    }
    this.arm();
  }

  private run(entry: Entry): void {
    entry.running = true;
    entry.run++;
    this.running++;
    const o = this.options;
    const server = entry.server;
    if (entry.kind === 'check' && o.type === 'tcp' && this.tcp) {
      const port = o.port ?? server.port;
      if (entry.addressOf !== server.host) {
        entry.addressOf = server.host;
        entry.address = probeAddress(server.host);
      }
      if (entry.address && port > 0 && port <= 65535) {
        this.tcp.add(this, entry, entry.address, port, o.timeoutMs);
        return;
      }
    }
    if (entry.kind === 'check' && o.type === 'custom') return this.runCustom(entry);
    const run = entry.run;
    this.probe(entry).then(
      (r) => this.settle(entry, run, r.ok, r.detail, r.durationMs, r.agent),
      (error: unknown) => this.settle(entry, run, false, (error as Error).message ?? String(error), 0, undefined),
    );
  }

  /** Native TCP probe finished (called once per probe from the batch callback). */
  onTcpProbe(token: unknown, errno: number, micros: number): void {
    const entry = token as Entry;
    this.complete(entry, errno === 0, probeDetail(errno), micros / 1000, undefined);
  }

  /** Custom checks: the timeout is one real-time deadline list, not a timer per check. */
  private runCustom(entry: Entry): void {
    const run = entry.run;
    const start = performance.now();
    entry.started = start;
    const context = (entry.context = new CustomContext());
    this.deadlines.append(entry, start + this.options.timeoutMs);
    if (!this.deadlineTimer) this.armDeadlines(start);
    let promise: Promise<boolean | void>;
    try {
      promise = Promise.resolve(this.options.custom!(entry.server, context));
    } catch (error) {
      return this.settle(entry, run, false, errorDetail(error), performance.now() - start, undefined);
    }
    promise.then(
      (value) => this.settle(entry, run, value !== false, value === false ? 'custom check failed' : 'ok', performance.now() - start, undefined),
      (error: unknown) => this.settle(entry, run, false, errorDetail(error), performance.now() - start, undefined),
    );
  }

  private armDeadlines(now: number): void {
    const head = this.deadlines.first();
    if (!head || !this.started) return;
    this.deadlineTimer = setTimeout(this.expireBound, Math.max(DEADLINE_GRANULARITY_MS, head.deadline - now));
    this.deadlineTimer.unref();
  }

  private expire(): void {
    this.deadlineTimer = undefined;
    const now = performance.now();
    for (let head = this.deadlines.first(); head && head.deadline <= now; head = this.deadlines.first()) {
      this.deadlines.unlink(head);
      head.context?.abort();
      this.settle(head, head.run, false, 'timeout', now - head.started, undefined);
    }
    this.armDeadlines(now);
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

  /** A promise-style probe settled; stale results (a run that already timed out) are dropped. */
  private settle(entry: Entry, run: number, ok: boolean, detail: string, durationMs: number, agent: AgentReply | undefined): void {
    if (entry.run !== run || !entry.running) return;
    this.deadlines.unlink(entry);
    entry.context = undefined;
    this.complete(entry, ok, detail, Math.round(durationMs * 1000) / 1000, agent);
  }

  private complete(entry: Entry, ok: boolean, detail: string, durationMs: number, agent: AgentReply | undefined): void {
    entry.running = false;
    this.running--;
    this.checks++;
    if (!ok) this.failed++;
    if (entry.removed || !this.started) return;
    const state = entry.state;
    const now = this.clock.now();
    try {
      if (this.listenerCount('check') > 0) {
        this.emit('check', { server: entry.server, kind: entry.kind, result: agent ? { ok, detail, durationMs, agent } : { ok, detail, durationMs } });
      }
      if (agent) {
        state.lastAgent = agent;
        this.applyAgent(entry.server, state, agent);
      }
      if (entry.kind === 'check') {
        state.hasLast = true;
        state.lastOk = ok;
        state.lastDetail = detail;
        state.lastDurationMs = durationMs;
        state.lastAt = now;
        state.lastCheckAgent = agent;
        this.count(entry.server, state, ok, detail);
      }
    } finally {
      // A throwing listener must not stop this server's checks.
      this.schedule(entry, now);
      this.arm();
    }
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
        this.heap.remove(e);
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
