/**
 * An intrusive binary min-heap: each item keeps its own index (`pos`, -1 when not in the heap),
 * so removing or re-ordering an item is O(log n) without a search. Shared by the schedulers'
 * server heap and the health checker's due-time heap.
 */
export interface Positioned {
  pos: number;
}

export class IndexedHeap<T extends Positioned> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  values(): readonly T[] {
    return this.items;
  }

  push(item: T): void {
    item.pos = this.items.length;
    this.items.push(item);
    this.up(item.pos);
  }

  remove(item: T): void {
    if (item.pos < 0) return;
    const last = this.items.pop()!;
    if (last !== item) {
      this.items[item.pos] = last;
      last.pos = item.pos;
      this.down(this.up(last.pos));
    }
    item.pos = -1;
  }

  /** Restores the order after the item's key changed. */
  update(item: T): void {
    if (item.pos >= 0) this.down(this.up(item.pos));
  }

  clear(): void {
    for (const item of this.items) item.pos = -1;
    this.items.length = 0;
  }

  private up(pos: number): number {
    const items = this.items;
    const item = items[pos]!;
    while (pos > 0) {
      const parentPos = (pos - 1) >> 1;
      const parent = items[parentPos]!;
      if (!this.less(item, parent)) break;
      items[pos] = parent;
      parent.pos = pos;
      pos = parentPos;
    }
    items[pos] = item;
    item.pos = pos;
    return pos;
  }

  private down(pos: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[pos]!;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && this.less(items[child + 1]!, items[child]!)) child++;
      const c = items[child]!;
      if (!this.less(c, item)) break;
      items[pos] = c;
      c.pos = pos;
      pos = child;
    }
    items[pos] = item;
    item.pos = pos;
  }
}
