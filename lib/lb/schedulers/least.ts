import type { Server } from '../server';
import { ServerHeap } from './heap';
import { BaseScheduler } from './types';

/** Schedulers keyed by a load figure kept in an indexed heap: O(log n) per event, O(1) pick. */
abstract class HeapScheduler extends BaseScheduler {
  protected readonly heap: ServerHeap;
  constructor(keyOf: (server: Server) => number) {
    super();
    this.heap = new ServerHeap(keyOf);
  }
  get size(): number {
    return this.heap.size;
  }
  add(server: Server): void {
    this.heap.insert(server);
  }
  remove(server: Server): void {
    this.heap.delete(server);
  }
  override update(server: Server): void {
    this.heap.rekey(server);
  }
  override acquired(server: Server): void {
    this.heap.rekey(server, true);
  }
  override released(server: Server): void {
    this.heap.rekey(server);
  }
  override observed(server: Server): void {
    this.heap.rekey(server);
  }
  pick(): Server | undefined {
    return this.heap.min();
  }
}

/** Fewest in-flight requests/connections; equal loads rotate. */
export class LeastConnections extends HeapScheduler {
  readonly name = 'least-connections';
  constructor() {
    super((s) => s.inFlight);
  }
}

/** Fewest in-flight relative to weight: (inFlight + 1) / weight, as HAProxy's leastconn. */
export class WeightedLeastConnections extends HeapScheduler {
  readonly name = 'weighted-least-connections';
  constructor() {
    super((s) => (s.inFlight + 1) / Math.max(s.effectiveWeight, 1e-9));
  }
}

/**
 * Least response time: moving average of response time (ms, +1 so fresh servers still count
 * their load) × (in-flight + 1) / weight. Servers without samples count as the fastest.
 */
export class LeastResponseTime extends HeapScheduler {
  readonly name = 'least-response-time';
  constructor() {
    super((s) => ((s.responseTimeEwmaMs ?? 0) + 1) * (s.inFlight + 1) / Math.max(s.effectiveWeight, 1e-9));
  }
}

/**
 * Resource-based: servers report their own capacity through the agent check (HAProxy agent
 * protocol `NN%`, `drain`, `up`...), which sets agentWeightPercent; this scheduler sends new
 * work where (in-flight + 1) / (weight × agent%) is lowest, so it follows the reported capacity
 * immediately. Same heap as weighted least connections, named for what it is used for.
 */
export class ResourceBased extends HeapScheduler {
  readonly name = 'resource';
  constructor() {
    super((s) => (s.inFlight + 1) / Math.max(s.effectiveWeight, 1e-9));
  }
}
