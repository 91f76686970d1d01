/**
 * One backend server of a pool. State is split the way HAProxy splits it:
 *  - `admin`: what an operator (or agent) asked for: ready, drain (no new traffic, existing
 *    connections finish), maint (out of service);
 *  - `health`: what the checks observed: up or down.
 * `state` is the combination everyone reads: maint > down > drain > up.
 */
import { ArgumentError, check } from '../errors';

export type AdminState = 'ready' | 'drain' | 'maint';
export type HealthState = 'up' | 'down';
export type ServerState = 'up' | 'down' | 'drain' | 'maint';

/** Largest configurable weight (HAProxy's limit). Weight 0 means "no new traffic". */
export const MAX_WEIGHT = 256;

export interface ServerOptions {
  /** Stable name, unique in its pool; defaults to "host:port". Hash schedulers hash it. */
  id?: string;
  host: string;
  port: number;
  /** 0..256, default 1. */
  weight?: number;
  /** Used only while no primary server is up. */
  backup?: boolean;
  /** Milliseconds over which a server coming back up ramps from ~0 to its full weight. */
  slowStartMs?: number;
  /** Concurrent requests/connections cap; 0 = unlimited. */
  maxConnections?: number;
  /** Initial admin state (default ready). */
  admin?: AdminState;
  /** Initial health (default up: a pool with checks starts servers up, as HAProxy does). */
  health?: HealthState;
  /** Free-form data for the embedding program (e.g. TLS options of an HTTP proxy). */
  meta?: Record<string, unknown>;
}

export interface ServerCounters {
  /** Times this server was chosen. */
  picks: number;
  /** Outcomes reported through release(): successes and failures. */
  successes: number;
  failures: number;
  /** Connections/requests that ran on this server (L4 proxy: established connections). */
  connectionsTotal: number;
  connectErrors: number;
  bytesIn: number;
  bytesOut: number;
  /** Requests/connections waiting for a slot on this server. */
  queued: number;
}

/** What the caller learned when it finished with a server (see Pool.release). */
export interface Outcome {
  /** false = the server failed (connect error, reset, 5xx the caller counts as failure...). */
  ok: boolean;
  /** Time to first byte / response time in ms; feeds least-response-time. */
  responseTimeMs?: number;
  bytesIn?: number;
  bytesOut?: number;
  /** Short reason for passive health checks and logs ("connect-refused", "timeout", "http-503"). */
  error?: string;
}

export class Server {
  readonly id: string;
  host: string;
  port: number;
  /** Configured weight (0..256). */
  weight: number;
  /** Agent-reported weight in percent of `weight` (HAProxy agent "NN%"); 100 by default. */
  agentWeightPercent = 100;
  backup: boolean;
  slowStartMs: number;
  maxConnections: number;
  admin: AdminState;
  health: HealthState;
  meta: Record<string, unknown>;
  /** Requests/connections currently running on this server. */
  inFlight = 0;
  /** Exponentially weighted moving average of response time (ms); undefined until the first sample. */
  responseTimeEwmaMs: number | undefined;
  /** When the server last became usable (slow start reference), in pool clock ms. */
  upSince = -Infinity;
  /** Last time the state changed, pool clock ms. */
  lastChange = 0;
  /** Why the last state change happened ("check: connection refused", "admin", "agent"). */
  lastReason = '';
  readonly counters: ServerCounters = {
    picks: 0, successes: 0, failures: 0, connectionsTotal: 0, connectErrors: 0, bytesIn: 0, bytesOut: 0, queued: 0,
  };
  /** The pool whose scheduler currently has this server as a member (maintained by the pool). */
  activeIn: object | undefined = undefined;
  /** Current slow-start factor in (0, 1]; maintained by the pool. */
  rampFactor = 1;

  constructor(options: ServerOptions) {
    if (options === null || typeof options !== 'object') throw new ArgumentError('server options must be an object');
    this.host = check.string('host', options.host);
    if (this.host.length === 0) throw new ArgumentError('host must not be empty', { argument: 'host' });
    this.port = check.integer('port', options.port, 0, 65535);
    this.id = options.id === undefined ? `${this.host}:${this.port}` : check.string('id', options.id);
    if (this.id.length === 0) throw new ArgumentError('id must not be empty', { argument: 'id' });
    this.weight = check.integer('weight', options.weight ?? 1, 0, MAX_WEIGHT);
    this.backup = options.backup ?? false;
    this.slowStartMs = check.integer('slowStartMs', options.slowStartMs ?? 0, 0);
    this.maxConnections = check.integer('maxConnections', options.maxConnections ?? 0, 0);
    this.admin = options.admin === undefined ? 'ready' : check.oneOf('admin', options.admin, ['ready', 'drain', 'maint'] as const);
    this.health = options.health === undefined ? 'up' : check.oneOf('health', options.health, ['up', 'down'] as const);
    this.meta = options.meta ?? {};
  }

  get state(): ServerState {
    if (this.admin === 'maint') return 'maint';
    if (this.health === 'down') return 'down';
    if (this.admin === 'drain') return 'drain';
    return 'up';
  }

  /** Weight schedulers use: configured × agent percentage × slow-start ramp. */
  get effectiveWeight(): number {
    const base = Math.min((this.weight * this.agentWeightPercent) / 100, MAX_WEIGHT);
    return base * this.rampFactor;
  }

  /** Takes new traffic: up, weight > 0. (maxConnections is checked separately: `full`.) */
  get usable(): boolean {
    return this.state === 'up' && this.weight > 0 && this.agentWeightPercent > 0;
  }

  get full(): boolean {
    return this.maxConnections > 0 && this.inFlight >= this.maxConnections;
  }

  /** A plain snapshot for APIs, logs and state files. */
  toJSON(): ServerSnapshot {
    return {
      id: this.id, host: this.host, port: this.port, weight: this.weight, effectiveWeight: this.effectiveWeight,
      agentWeightPercent: this.agentWeightPercent, backup: this.backup, slowStartMs: this.slowStartMs,
      maxConnections: this.maxConnections, admin: this.admin, health: this.health, state: this.state,
      inFlight: this.inFlight, responseTimeEwmaMs: this.responseTimeEwmaMs ?? null, lastReason: this.lastReason,
      counters: { ...this.counters },
    };
  }
}

export interface ServerSnapshot {
  id: string;
  host: string;
  port: number;
  weight: number;
  effectiveWeight: number;
  agentWeightPercent: number;
  backup: boolean;
  slowStartMs: number;
  maxConnections: number;
  admin: AdminState;
  health: HealthState;
  state: ServerState;
  inFlight: number;
  responseTimeEwmaMs: number | null;
  lastReason: string;
  counters: ServerCounters;
}
