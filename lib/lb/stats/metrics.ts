/**
 * Prometheus metrics (prom-client): hakit_lb_http_<what>_<unit>, read from the balancer's
 * counters at scrape time so the request path pays nothing for them.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { HttpBalancer } from '../http/balancer';
import { snapshot, type StatsSnapshot } from './snapshot';

const classes = ['other', '1xx', '2xx', '3xx', '4xx', '5xx'];

export function createMetrics(balancer: HttpBalancer): Registry {
  const registry = new Registry();
  let snap: StatsSnapshot | undefined;
  let snapAt = 0;
  // One snapshot per scrape, shared by every collector.
  const current = () => {
    const t = Date.now();
    if (!snap || t - snapAt > 100) {
      snap = snapshot(balancer);
      snapAt = t;
    }
    return snap;
  };
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const counter = (name: string, help: string, labelNames: string[], fill: (set: (labels: Record<string, string>, value: number) => void) => void) =>
    new Counter({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        fill((labels, value) => this.inc(labels, value));
      },
    });
  const gauge = (name: string, help: string, labelNames: string[], fill: (set: (labels: Record<string, string>, value: number) => void) => void) =>
    new Gauge({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        fill((labels, value) => this.set(labels, value));
      },
    });

  counter('hakit_lb_http_frontend_requests_total', 'Requests received by a frontend', ['frontend'], (set) => {
    for (const fe of current().frontends) set({ frontend: fe.name }, num(fe.counters.stot));
  });
  gauge('hakit_lb_http_frontend_current_requests', 'Requests in progress on a frontend', ['frontend'], (set) => {
    for (const fe of current().frontends) set({ frontend: fe.name }, num(fe.counters.scur));
  });
  counter('hakit_lb_http_frontend_denied_requests_total', 'Requests denied by http-request rules', ['frontend'], (set) => {
    for (const fe of current().frontends) set({ frontend: fe.name }, num(fe.counters.dreq));
  });
  counter('hakit_lb_http_frontend_request_errors_total', 'Malformed or timed-out requests (400, 408)', ['frontend'], (set) => {
    for (const fe of current().frontends) set({ frontend: fe.name }, num(fe.counters.ereq));
  });
  counter('hakit_lb_http_responses_total', 'Responses by status class', ['proxy', 'code'], (set) => {
    const s = current();
    for (const p of [...s.frontends, ...s.backends]) (p.counters.hrsp as number[]).forEach((v, i) => set({ proxy: p.name, code: classes[i]! }, v));
  });
  counter('hakit_lb_http_bytes_in_total', 'Request bytes received from clients', ['proxy'], (set) => {
    const s = current();
    for (const p of [...s.frontends, ...s.backends]) set({ proxy: p.name }, num(p.counters.bytesIn));
  });
  counter('hakit_lb_http_bytes_out_total', 'Response body bytes sent to clients', ['proxy'], (set) => {
    const s = current();
    for (const p of [...s.frontends, ...s.backends]) set({ proxy: p.name }, num(p.counters.bytesOut));
  });
  gauge('hakit_lb_http_backend_up', '1 when the backend has a usable server', ['backend'], (set) => {
    for (const be of current().backends) set({ backend: be.name }, be.status === 'UP' ? 1 : 0);
  });
  gauge('hakit_lb_http_backend_queue_current', 'Requests waiting for a server slot', ['backend'], (set) => {
    for (const be of current().backends) set({ backend: be.name }, be.queued);
  });
  counter('hakit_lb_http_backend_retries_total', 'Retries after a connection failure', ['backend'], (set) => {
    for (const be of current().backends) set({ backend: be.name }, num(be.counters.wretr));
  });
  const perServer = (fill: (set: (labels: Record<string, string>, value: number) => void, server: StatsSnapshot['backends'][number]['servers'][number]) => void) => (set: (labels: Record<string, string>, value: number) => void) => {
    for (const be of current().backends) for (const sv of be.servers) fill((labels, value) => set({ backend: be.name, server: sv.name, ...labels }, value), sv);
  };
  gauge('hakit_lb_http_server_up', '1 when the server takes new traffic (UP)', ['backend', 'server'], perServer((set, sv) => set({}, sv.status === 'UP' ? 1 : 0)));
  gauge('hakit_lb_http_server_weight', 'Configured weight', ['backend', 'server'], perServer((set, sv) => set({}, sv.weight)));
  gauge('hakit_lb_http_server_current_requests', 'Requests in progress on the server', ['backend', 'server'], perServer((set, sv) => set({}, num(sv.counters.scur))));
  counter('hakit_lb_http_server_requests_total', 'Requests sent to the server', ['backend', 'server'], perServer((set, sv) => set({}, num(sv.counters.stot))));
  counter('hakit_lb_http_server_connection_errors_total', 'Connection failures to the server', ['backend', 'server'], perServer((set, sv) => set({}, num(sv.counters.econ))));
  counter('hakit_lb_http_server_response_errors_total', 'Invalid or reset responses from the server', ['backend', 'server'], perServer((set, sv) => set({}, num(sv.counters.eresp))));
  gauge('hakit_lb_http_server_check_duration_seconds', 'Duration of the last health check', ['backend', 'server'], perServer((set, sv) => sv.check && set({}, sv.checkDurationMs / 1000)));
  return registry;
}
