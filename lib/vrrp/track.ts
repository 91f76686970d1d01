/**
 * Tracked objects: scripts (keepalived vrrp_script) and any async check function (hakit health checks). Each has rise/fall hysteresis and emits 'change'.
 */
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';

export interface CheckSpec {
  name: string;
  /** Resolves true when healthy; false, a throw or a timeout is a failure. */
  check: (signal: AbortSignal) => Promise<boolean> | boolean;
  /** ms between checks (default 1000). */
  interval?: number;
  /** ms before a check counts as failed (default: interval). */
  timeout?: number;
  /** keepalived semantics: >0 adds when up, <0 subtracts when down, 0 means FAULT when down. */
  weight?: number;
  rise?: number;
  fall?: number;
}

export class Tracker extends EventEmitter {
  /** Starts up: keepalived assumes a script is good until it fails. */
  up = true;
  readonly name: string;
  readonly weight: number;
  private okRun = 0;
  private failRun = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly spec: Required<Omit<CheckSpec, 'name' | 'check'>> & Pick<CheckSpec, 'check'>;

  constructor(spec: CheckSpec) {
    super();
    this.name = spec.name;
    this.weight = spec.weight ?? 0;
    const interval = spec.interval ?? 1000;
    this.spec = { check: spec.check, interval, timeout: spec.timeout ?? interval, weight: this.weight, rise: spec.rise ?? 1, fall: spec.fall ?? 1 };
  }

  start(): void {
    this.stopped = false;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One check now (also used by tests). */
  async run(): Promise<void> {
    if (this.stopped) return;
    const controller = new AbortController();
    let timeout: NodeJS.Timeout | undefined;
    let ok: boolean;
    try {
      ok = await Promise.race([
        Promise.resolve(this.spec.check(controller.signal)).then(Boolean),
        new Promise<boolean>((resolve) => { timeout = setTimeout(() => { controller.abort(); resolve(false); }, this.spec.timeout); }),
      ]);
    } catch {
      ok = false;
    } finally {
      if (timeout) clearTimeout(timeout);
    }
    if (this.stopped) return;
    this.record(ok);
    this.timer = setTimeout(() => void this.run(), this.spec.interval);
  }

  record(ok: boolean): void {
    if (ok) { this.okRun++; this.failRun = 0; } else { this.failRun++; this.okRun = 0; }
    const next = this.up ? !(this.failRun >= this.spec.fall) : this.okRun >= this.spec.rise;
    if (next !== this.up) {
      this.up = next;
      this.emit('change', next);
    }
  }
}

/** A keepalived vrrp_script: exit status 0 is success. */
export function scriptCheck(script: string): CheckSpec['check'] {
  return (signal) => new Promise((resolve) => {
    execFile('/bin/sh', ['-c', script], { signal, timeout: 0 }, (error) => resolve(!error));
  });
}
