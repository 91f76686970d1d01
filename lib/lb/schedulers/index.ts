import { ArgumentError } from '../../errors';
import { ConsistentHashBounded } from './chash';
import { SourceHash } from './hash';
import { LeastConnections, LeastResponseTime, ResourceBased, WeightedLeastConnections } from './least';
import { Maglev } from './maglev';
import { PowerOfTwoChoices } from './p2c';
import { RoundRobin, SmoothWeightedRoundRobin, WeightedRoundRobin } from './round-robin';
import type { Scheduler } from './types';

export { BaseScheduler, MemberArray } from './types';
export type { Scheduler } from './types';
export { ServerHeap } from './heap';
export { RoundRobin, SmoothWeightedRoundRobin, WeightedRoundRobin } from './round-robin';
export { LeastConnections, WeightedLeastConnections, LeastResponseTime, ResourceBased } from './least';
export { PowerOfTwoChoices } from './p2c';
export { SourceHash } from './hash';
export { Maglev } from './maglev';
export { ConsistentHashBounded } from './chash';

export const schedulerNames = [
  'round-robin',
  'smooth-weighted-round-robin',
  'weighted-round-robin',
  'source-hash',
  'maglev',
  'consistent-hash',
  'least-connections',
  'weighted-least-connections',
  'least-response-time',
  'power-of-two-choices',
  'resource',
] as const;
export type SchedulerName = (typeof schedulerNames)[number];

/** Short aliases people know from HAProxy/nginx/IPVS configs. */
const aliases: Record<string, SchedulerName> = {
  rr: 'round-robin',
  roundrobin: 'round-robin',
  swrr: 'smooth-weighted-round-robin',
  wrr: 'weighted-round-robin',
  source: 'source-hash',
  'ip-hash': 'source-hash',
  ip_hash: 'source-hash',
  sh: 'source-hash',
  mh: 'maglev',
  chash: 'consistent-hash',
  hash: 'consistent-hash',
  lc: 'least-connections',
  leastconn: 'least-connections',
  least_conn: 'least-connections',
  wlc: 'weighted-least-connections',
  lrt: 'least-response-time',
  p2c: 'power-of-two-choices',
  agent: 'resource',
};

export interface SchedulerOptions {
  /** consistent-hash: load bound factor (default 1.25; 0 = unbounded). */
  balanceFactor?: number;
  /** consistent-hash: ring points per unit of weight (default 100). */
  vnodes?: number;
  /** maglev: initial table size (a prime; grows to stay above 100 × servers). */
  tableSize?: number;
  /** power-of-two-choices: random source in [0, 1) (tests pass a seeded one). */
  random?: () => number;
}

export function resolveSchedulerName(name: string): SchedulerName {
  const lower = name.toLowerCase();
  if ((schedulerNames as readonly string[]).includes(lower)) return lower as SchedulerName;
  const alias = aliases[lower];
  if (alias) return alias;
  throw new ArgumentError(`unknown scheduler ${JSON.stringify(name)}; known: ${schedulerNames.join(', ')}`, { argument: 'scheduler' });
}

export function createScheduler(name: string, options: SchedulerOptions = {}): Scheduler {
  switch (resolveSchedulerName(name)) {
    case 'round-robin': return new RoundRobin();
    case 'smooth-weighted-round-robin': return new SmoothWeightedRoundRobin();
    case 'weighted-round-robin': return new WeightedRoundRobin();
    case 'source-hash': return new SourceHash();
    case 'maglev': return new Maglev({ tableSize: options.tableSize });
    case 'consistent-hash': return new ConsistentHashBounded({ balanceFactor: options.balanceFactor, vnodes: options.vnodes });
    case 'least-connections': return new LeastConnections();
    case 'weighted-least-connections': return new WeightedLeastConnections();
    case 'least-response-time': return new LeastResponseTime();
    case 'power-of-two-choices': return new PowerOfTwoChoices(options.random);
    case 'resource': return new ResourceBased();
  }
}
