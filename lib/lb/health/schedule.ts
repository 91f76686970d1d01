/**
 * The two structures that let one timer each drive every check of a checker:
 *  - DueHeap: a binary min-heap of entries by due time (position kept in the entry, so removal
 *    and rescheduling are O(log n) without searching);
 *  - DeadlineList: checks in flight, in start order. All checks of a checker share one timeout,
 *    so start order is deadline order: insertion, removal and expiry are O(1) through links kept
 *    in the entry (no allocation per check).
 */

export interface HeapItem {
  due: number;
  /** Index in the heap, -1 when not in it. */
  pos: number;
}

export class DueHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T, due: number): void {
    item.due = due;
    item.pos = this.items.length;
    this.items.push(item);
    this.siftUp(item.pos);
  }

  remove(item: T): void {
    if (item.pos < 0) return;
    const last = this.items.pop()!;
    if (last !== item) {
      this.items[item.pos] = last;
      last.pos = item.pos;
      this.siftDown(this.siftUp(last.pos));
    }
    item.pos = -1;
  }

  clear(): void {
    for (const item of this.items) item.pos = -1;
    this.items.length = 0;
  }

  private siftUp(pos: number): number {
    const h = this.items;
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
    const h = this.items;
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
}

export interface DeadlineItem<T> {
  deadline: number;
  prev: T | undefined;
  next: T | undefined;
  /** True while linked. */
  linked: boolean;
}

export class DeadlineList<T extends DeadlineItem<T>> {
  private head: T | undefined;
  private tail: T | undefined;

  first(): T | undefined {
    return this.head;
  }

  /** Appends; `deadline` must not be earlier than the tail's (same timeout for every item). */
  append(item: T, deadline: number): void {
    item.deadline = deadline;
    item.prev = this.tail;
    item.next = undefined;
    item.linked = true;
    if (this.tail) this.tail.next = item;
    else this.head = item;
    this.tail = item;
  }

  unlink(item: T): void {
    if (!item.linked) return;
    if (item.prev) item.prev.next = item.next;
    else this.head = item.next;
    if (item.next) item.next.prev = item.prev;
    else this.tail = item.prev;
    item.prev = item.next = undefined;
    item.linked = false;
  }

  clear(): void {
    while (this.head) this.unlink(this.head);
  }
}
