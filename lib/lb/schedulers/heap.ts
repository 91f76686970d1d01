import { IndexedHeap } from '../indexed-heap';
import type { Server } from '../server';

interface Node {
  server: Server;
  key: number;
  /** Tie-break: among equal keys the least recently chosen goes first (rotation, as HAProxy's leastconn). */
  seq: number;
  pos: number;
}

const less = (a: Node, b: Node): boolean => a.key < b.key || (a.key === b.key && a.seq < b.seq);

/** Indexed binary min-heap of servers: O(log n) insert, remove and re-key, O(1) min. */
export class ServerHeap {
  private readonly heap = new IndexedHeap<Node>(less);
  private readonly byServer = new Map<Server, Node>();
  private seq = 0;

  constructor(private readonly keyOf: (server: Server) => number) {}

  get size(): number {
    return this.heap.size;
  }
  has(server: Server): boolean {
    return this.byServer.has(server);
  }
  insert(server: Server): void {
    if (this.byServer.has(server)) return;
    const node: Node = { server, key: this.keyOf(server), seq: this.seq++, pos: -1 };
    this.byServer.set(server, node);
    this.heap.push(node);
  }
  delete(server: Server): void {
    const node = this.byServer.get(server);
    if (node === undefined) return;
    this.byServer.delete(server);
    this.heap.remove(node);
  }
  /** Recomputes the server's key; `touch` also marks it most recently used. */
  rekey(server: Server, touch = false): void {
    const node = this.byServer.get(server);
    if (node === undefined) return;
    node.key = this.keyOf(server);
    if (touch) node.seq = this.seq++;
    this.heap.update(node);
  }
  min(): Server | undefined {
    return this.heap.peek()?.server;
  }
  all(): readonly Server[] {
    return this.heap.values().map((n) => n.server);
  }
}
