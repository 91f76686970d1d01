/** Per-proxy and per-server traffic counters in HAProxy's terms (scur, smax, stot, rate...). */

/** Events per second over the last second, HAProxy's "rate" (a two-bucket sliding window). */
export class RateCounter {
  private currentStart = 0;
  private current = 0;
  private previous = 0;
  max = 0;

  hit(now = Date.now()): void {
    this.roll(now);
    this.current++;
    // The rate can only exceed the max while the window fills: skip the estimate otherwise.
    if (this.current + this.previous <= this.max) return;
    const rate = this.read(now);
    if (rate > this.max) this.max = rate;
  }

  read(now = Date.now()): number {
    this.roll(now);
    const into = (now - this.currentStart) / 1000;
    return Math.round(this.current + this.previous * (1 - into));
  }

  private roll(now: number): void {
    const elapsed = now - this.currentStart;
    if (elapsed < 1000) return;
    this.previous = elapsed < 2000 ? this.current : 0;
    this.current = 0;
    this.currentStart = now - (elapsed % 1000);
  }
}

export class TrafficCounters {
  /** Current and max concurrent sessions (requests in progress). */
  scur = 0;
  smax = 0;
  stot = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** Requests denied by rules; bad requests; connect errors; response errors; retries; redispatches. */
  dreq = 0;
  ereq = 0;
  econ = 0;
  eresp = 0;
  wretr = 0;
  wredis = 0;
  /** Responses by status class, index 1..5 (index 0: other). */
  readonly hrsp = [0, 0, 0, 0, 0, 0];
  readonly rate = new RateCounter();

  begin(now = Date.now()): void {
    this.scur++;
    this.stot++;
    if (this.scur > this.smax) this.smax = this.scur;
    this.rate.hit(now);
  }

  end(): void {
    if (this.scur > 0) this.scur--;
  }

  status(code: number): void {
    const cls = Math.floor(code / 100);
    this.hrsp[cls >= 1 && cls <= 5 ? cls : 0]!++;
  }

  toJSON(): Record<string, number | number[]> {
    return {
      scur: this.scur, smax: this.smax, stot: this.stot, rate: this.rate.read(), rateMax: this.rate.max,
      bytesIn: this.bytesIn, bytesOut: this.bytesOut, dreq: this.dreq, ereq: this.ereq, econ: this.econ, eresp: this.eresp,
      wretr: this.wretr, wredis: this.wredis, hrsp: [...this.hrsp],
    };
  }
}
