/**
 * TCP connect checks in native code: the relay engine's worker connects, reports, and resets
 * the socket (no TIME_WAIT). JavaScript pays one call per check and one batched event, so
 * thousands of checks per second stay off the event loop.
 */
import os from 'node:os';
import { nativeModule } from '../../native';
import type { ProbeResult } from './probes';

interface NativeEngine {
  probe(id: number, host: string, port: number, timeoutMs: number): void;
  unref(): void;
  shutdown(): void;
}
interface NativeLb {
  RelayEngine: new (threads: number, onEvents: (batch: [number, number, number, number, number][]) => void) => NativeEngine;
}

const EV_PROBE = 8;
const errnoNames = new Map<number, string>(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));

let engine: NativeEngine | undefined;
let unavailable = false;
let nextId = 1;
const pending = new Map<number, (result: ProbeResult) => void>();

function getEngine(): NativeEngine | undefined {
  if (engine || unavailable) return engine;
  try {
    const lb = nativeModule<NativeLb>('lb');
    engine = new lb.RelayEngine(1, (batch) => {
      for (const [type, id, , err, micros] of batch) {
        if (type !== EV_PROBE) continue;
        const resolve = pending.get(id);
        if (!resolve) continue;
        pending.delete(id);
        const durationMs = Math.round(micros) / 1000;
        resolve(err === 0 ? { ok: true, detail: 'connected', durationMs } : { ok: false, detail: err === os.constants.errno.ETIMEDOUT ? 'timeout' : errnoNames.get(err) ?? `errno ${err}`, durationMs });
      }
    });
    engine.unref(); // checks alone do not keep the process alive
  } catch {
    unavailable = true;
  }
  return engine;
}

/** A native TCP connect probe, or undefined when the addon is not available. */
export function nativeTcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> | undefined {
  const e = getEngine();
  if (!e) return undefined;
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    e.probe(id, host, port, timeoutMs);
  });
}
