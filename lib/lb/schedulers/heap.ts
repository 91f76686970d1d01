import type { Server } from '../server';

interface Node {
  server: Server;
  key: number;
  /** Tie-break: among equal keys the least recently chosen goes first (rotation, as HAProxy's leastconn). */
  seq: number;
  pos: number;
}

/** Indexed binary min-heap of servers: O(log n) insert, remove and re-key, O(1) min. */
export class ServerHeap {
  private readonly nodes: Node[] = [];
  private readonly byServer = new Map<Server, Node>();
  private seq = 0;

  constructor(private readonly keyOf: (server: Server) => number) {}

  get size(): number {
    return this.nodes.length;
  }
  has(server: Server): boolean {
    return this.byServer.has(server);
  }
  insert(server: Server): void {
    if (this.byServer.has(server)) return;
    const node: Node = { server, key: this.keyOf(server), seq: this.seq++, pos: this.nodes.length };
    this.nodes.push(node);
    this.byServer.set(server, node);
    this.up(node.pos);
  }
  delete(server: Server): void {
    const node = this.byServer.get(server);
    if (node === undefined) return;
    this.byServer.delete(server);
    const last = this.nodes.pop()!;
    if (last !== node) {
      this.nodes[node.pos] = last;
      last.pos = node.pos;
      this.down(this.up(last.pos));
    }
  }
  /** Recomputes the server's key; `touch` also marks it most recently used. */
  rekey(server: Server, touch = false): void {
    const node = this.byServer.get(server);
    if (node === undefined) return;
    node.key = this.keyOf(server);
    if (touch) node.seq = this.seq++;
    this.down(this.up(node.pos));
  }
  min(): Server | undefined {
    return this.nodes[0]?.server;
  }
  /** Second-best candidate among the root's children (used when the best one is full). */
  all(): readonly Server[] {
    return this.nodes.map((n) => n.server);
  }

  private less(a: Node, b: Node): boolean {
    return a.key < b.key || (a.key === b.key && a.seq < b.seq);
  }
  private up(pos: number): number {
    const nodes = this.nodes;
    const node = nodes[pos]!;
    while (pos > 0) {
      const parentPos = (pos - 1) >> 1;
      const parent = nodes[parentPos]!;
      if (!this.less(node, parent)) break;
      nodes[pos] = parent;
      parent.pos = pos;
      pos = parentPos;
    }
    nodes[pos] = node;
    node.pos = pos;
    return pos;
  }
  private down(pos: number): void {
    const nodes = this.nodes;
    const n = nodes.length;
    const node = nodes[pos]!;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && this.less(nodes[child + 1]!, nodes[child]!)) child++;
      const c = nodes[child]!;
      if (!this.less(c, node)) break;
      nodes[pos] = c;
      c.pos = pos;
      pos = child;
    }
    nodes[pos] = node;
    node.pos = pos;
  }
}
