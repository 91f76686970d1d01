/** The balancer's state as plain data: what the stats page, its JSON and /metrics show. */
import type { HttpBalancer } from '../http/balancer';

export interface ServerStats {
  name: string;
  address: string;
  /** UP, DOWN, DRAIN, MAINT (HAProxy's words); "no check" servers are UP unless set otherwise. */
  status: string;
  weight: number;
  backup: boolean;
  check: boolean;
  checkStatus: string;
  checkDetail: string;
  checkDurationMs: number;
  /** Seconds since the last state change. */
  lastChangeSecs: number;
  lastReason: string;
  maxconn: number;
  queued: number;
  counters: Record<string, number | number[]>;
}

export interface BackendStats {
  name: string;
  balance: string;
  status: string;
  queued: number;
  lastChangeSecs: number;
  counters: Record<string, number | number[]>;
  servers: ServerStats[];
}

export interface StatsSnapshot {
  time: string;
  uptimeSecs: number;
  frontends: Array<{ name: string; binds: string[]; status: string; counters: Record<string, number | number[]> }>;
  backends: BackendStats[];
}

export function snapshot(balancer: HttpBalancer): StatsSnapshot {
  const rt = balancer.runtime();
  const now = Date.now();
  const poolNow = performance.now();
  const addresses = balancer.addresses();
  return {
    time: new Date(now).toISOString(),
    uptimeSecs: Math.round((now - balancer.startedAt) / 1000),
    frontends: [...rt.frontends.values()].map((fe) => ({
      name: fe.config.name,
      binds: addresses.filter((a) => a.frontend === fe.config.name).map((a) => `${a.address}:${a.port}${a.ssl ? ' ssl' : ''}`),
      status: 'OPEN',
      counters: fe.counters.toJSON(),
    })),
    backends: [...rt.backends.values()].map((be) => {
      const servers = [...be.runtime.values()].map((srt): ServerStats => {
        const s = srt.server;
        const check = be.checkStatus(s);
        return {
          name: s.id,
          address: `${s.host}:${s.port}`,
          status: s.state.toUpperCase(),
          weight: s.weight,
          backup: s.backup,
          check: srt.config.check,
          checkStatus: srt.config.check ? (check?.code ?? 'INI') : '',
          checkDetail: check?.detail ?? '',
          checkDurationMs: check?.durationMs ?? 0,
          lastChangeSecs: Math.max(0, Math.round((poolNow - s.lastChange) / 1000)),
          lastReason: s.lastReason,
          maxconn: s.maxConnections,
          queued: s.counters.queued,
          counters: { ...srt.counters.toJSON(), inFlight: s.inFlight },
        };
      });
      return {
        name: be.config.name,
        balance: be.config.balance,
        status: be.hasUsable ? 'UP' : 'DOWN',
        queued: be.queued,
        lastChangeSecs: Math.round((now - be.lastChange) / 1000),
        counters: be.counters.toJSON(),
        servers,
      };
    }),
  };
}
