/**
 * The two structures that let one timer each drive every check of a checker:
 *  - DueHeap: a binary min-heap of entries by due time (position kept in the entry, so removal
 *    and rescheduling are O(log n) without searching);
 *  - DeadlineList: checks in flight, in start order. All checks of a checker share one timeout,
 *    so start order is deadline order: insertion, removal and expiry are O(1) through links kept
 *    in the entry (no allocation per check).
 */
import { IndexedHeap } from '../indexed-heap';

export interface HeapItem {
  due: number;
  /** Index in the heap, -1 when not in it. */
  pos: number;
}

const earlier = (a: HeapItem, b: HeapItem): boolean => a.due < b.due;

export class DueHeap<T extends HeapItem> extends IndexedHeap<T> {
  constructor() {
    super(earlier);
  }

  /** Adds the item (not in the heap) due at `due`. */
  schedule(item: T, due: number): void {
    item.due = due;
    super.push(item);
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
