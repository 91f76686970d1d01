/** The health checker's public types: check kinds, options, clock, status, events. */
import type { AgentReply } from './agent';
import type { AgentCheckOptions, CustomCheck, HttpCheckOptions, ProbeResult } from './probes';
import type { Server } from '../server';

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
  /**
   * Checks due within this many ms after a wake-up run in that wake-up (at most this much
   * early), so thousands of spread checks cost a few dozen wake-ups/s rather than one per check
   * (default 2.5 % of the shortest interval, at most 50 ms; 0 = every check at its exact time).
   */
  coalesceMs?: number;
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

export interface HealthCheckerStats {
  /** Checks finished (main and agent) since start. */
  checks: number;
  failed: number;
  inFlight: number;
}
