/**
 * keepalived's track_file: an integer in a file, read at start and again whenever the file
 * changes (inotify through fs.watch on its directory, so a file replaced by rename is seen too).
 * Decision where keepalived's man page is silent: a missing or non-numeric file reads as 0.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { FileConfig } from './config';

/** Parses the file's text as keepalived does (leading integer, anything after it ignored). */
export function parseTrackValue(text: string): number {
  const m = /^\s*([-+]?\d+)/.exec(text);
  if (!m) return 0;
  const v = Number(m[1]);
  return Math.max(-2147483647, Math.min(2147483647, v));
}

/**
 * What one tracked file does to an instance: keepalived.conf(5), "Track files". Weight 0: a
 * non-zero value is a fault. Otherwise value x weight (negated with reverse) is added to the
 * priority; below -253 is a fault.
 */
export function fileEffect(value: number, weight: number, reverse: boolean): { fault: boolean; delta: number } {
  if (weight === 0) return { fault: value !== 0, delta: 0 };
  const r = value * weight * (reverse ? -1 : 1);
  if (r < -253) return { fault: true, delta: 0 };
  return { fault: false, delta: Math.min(253, r) };
}

export class FileTracker extends EventEmitter {
  value = 0;
  readonly config: FileConfig;
  private watcher: fs.FSWatcher | undefined;

  constructor(config: FileConfig) {
    super();
    this.config = config;
  }

  start(): void {
    const { file, init } = this.config;
    if (init && (init.overwrite || !fs.existsSync(file))) {
      try {
        fs.writeFileSync(file, `${init.value}\n`);
      } catch (error) {
        this.emit('warning', error);
      }
    }
    try {
      this.watcher = fs.watch(path.dirname(file), { persistent: false }, (_event, name) => {
        if (name === null || name === path.basename(file)) this.read();
      });
      this.watcher.on('error', (error) => this.emit('warning', error));
    } catch (error) {
      this.emit('warning', error);
    }
    this.read(true);
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Reads the file now (also after each inotify event). */
  read(initial = false): void {
    let text = '';
    try {
      text = fs.readFileSync(this.config.file, 'utf8').slice(0, 127);  // keepalived reads at most 127 bytes
    } catch {
      text = '';
    }
    const v = parseTrackValue(text);
    if (v === this.value && !initial) return;
    const changed = v !== this.value;
    this.value = v;
    if (changed) this.emit('change', v);
  }
}
