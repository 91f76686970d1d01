import { nativeModule } from '../native';

/** Time for the state machine, injectable so unit tests drive timers with a fake clock. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /**
   * `prelude`: native work (a Takeover) a clock may run at the deadline before any JS; fn(true)
   * says it ran. Clocks that cannot (fake, setTimeout) ignore it and call fn().
   */
  setTimer(fn: (preludeRan?: boolean) => void, ms: number, prelude?: object): unknown;
  clearTimer(handle: unknown): void;
}

/** Node's timers: whole milliseconds from a cached loop time, run after other loop work. */
export const timeoutClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface NativeTimer {
  now(): number;
  MonotonicTimer: new (onExpire: (preludeRan: boolean) => void) => { armAt(deadlineMs: number, prelude?: object): void; disarm(): void; close(): void };
}

interface Dedicated {
  timer: InstanceType<NativeTimer['MonotonicTimer']>;
  id: number;
  fn: ((preludeRan?: boolean) => void) | undefined;
}

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Timers on CLOCK_MONOTONIC with sub-millisecond precision: one native timerfd armed at the
 * earliest deadline (native/vrrp/timer_napi.cc). keepalived runs its VRRP timers off an epoll
 * timeout in microseconds; Node's setTimeout fired the master-down timer 0.6-1.5 ms late.
 * It keeps the process alive only while a timer is pending.
 */
export class MonotonicClock implements Clock {
  private native: NativeTimer | undefined;
  private timer: InstanceType<NativeTimer['MonotonicTimer']> | undefined;
  private pending = new Map<number, Pending>();
  private seq = 0;
  private armedAt = Infinity;
  private dedicated = new Map<number, Dedicated>();
  private free: Dedicated[] = [];

  private get api(): NativeTimer {
    return (this.native ??= nativeModule<NativeTimer>('vrrp_timer'));
  }

  now(): number {
    return this.api.now();
  }

  setTimer(fn: (preludeRan?: boolean) => void, ms: number, prelude?: object): unknown {
    const id = ++this.seq;
    if (prelude) {
      // A timer with a prelude gets a timerfd of its own: the prelude runs at its own deadline.
      const slot = this.free.pop() ?? this.newDedicated();
      try {
        slot.timer.armAt(this.now() + Math.max(0, ms), prelude);
      } catch (error) {
        this.free.push(slot);
        throw error;
      }
      slot.id = id;
      slot.fn = fn;
      this.dedicated.set(id, slot);
      return id;
    }
    const at = this.now() + Math.max(0, ms);
    this.pending.set(id, { at, seq: id, fn });
    if (at < this.armedAt) this.arm(at);
    return id;
  }

  clearTimer(handle: unknown): void {
    const slot = this.dedicated.get(handle as number);
    if (slot) {
      slot.timer.disarm();
      this.release(slot);
      return;
    }
    const entry = this.pending.get(handle as number);
    if (!entry) return;
    this.pending.delete(handle as number);
    // A later expiry with nothing due just re-arms; only an empty clock disarms at once.
    if (this.pending.size === 0) {
      this.timer?.disarm();
      this.armedAt = Infinity;
    }
  }

  private newDedicated(): Dedicated {
    const slot: Dedicated = { timer: undefined!, id: 0, fn: undefined };
    slot.timer = new this.api.MonotonicTimer((ran) => {
      const fn = slot.fn;
      this.release(slot);
      fn?.(ran);
    });
    return slot;
  }

  private release(slot: Dedicated): void {
    this.dedicated.delete(slot.id);
    slot.fn = undefined;
    if (this.free.length < 4) this.free.push(slot);
    else slot.timer.close();
  }

  private arm(at: number): void {
    this.timer ??= new this.api.MonotonicTimer(() => this.expire());
    this.armedAt = at;
    this.timer.armAt(at);
  }

  private expire(): void {
    this.armedAt = Infinity;
    try {
      for (;;) {
        const now = this.now();
        let next: Pending | undefined;
        for (const p of this.pending.values()) {
          if (p.at > now) continue;
          if (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq)) next = p;
        }
        if (!next) break;
        this.pending.delete(next.seq);
        next.fn();
      }
    } finally {
      this.rearm();
    }
  }

  private rearm(): void {
    let earliest = Infinity;
    for (const p of this.pending.values()) earliest = Math.min(earliest, p.at);
    if (earliest !== Infinity && earliest < this.armedAt) this.arm(earliest);
  }
}

/** The clock VRRP instances use unless given one. */
export const realClock: Clock = new MonotonicClock();

/** A manual clock: advance(ms) runs every timer that falls due, in order. */
export class FakeClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void; seq: number }>();

  now(): number {
    return this.time;
  }
  /** Ignores a prelude: the instance then does the takeover's work itself, in JS. */
  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn, seq: id });
    return id;
  }
  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void; seq: number }] | undefined;
      for (const entry of this.timers) {
        if (entry[1].at > end) continue;
        if (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq)) next = entry;
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = end;
  }
  pending(): number {
    return this.timers.size;
  }
}
