/**
 * Prometheus metrics for a cluster, named and labelled as ClusterLabs' ha_cluster_exporter
 * does (doc/metric_spec.md), so its dashboards and alerts work unchanged: pacemaker nodes,
 * resources, fail counts, migration thresholds, constraints, stonith; corosync quorum votes.
 */
import { createServer, type Server } from 'http';
import type { CibModel } from './model';
import type { QuorumtoolStatus } from './corosync';
import type { ClusterStatus } from './status';

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string>) => {
  const keys = Object.keys(l).sort();
  return keys.length ? `{${keys.map((k) => `${k}="${esc(l[k]!)}"`).join(',')}}` : '';
};
const num = (v: number) => (v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));
// Pacemaker counts INFINITY as 1000000 (fail counts, migration thresholds).
const score = (v: number) => (v >= 1_000_000 ? Infinity : v <= -1_000_000 ? -Infinity : v);

class Family {
  readonly lines: string[] = [];
  constructor(readonly name: string, readonly help: string) {}
  add(l: Record<string, string>, value: number) {
    this.lines.push(`${this.name}${labels(l)} ${num(value)}`);
  }
  text() {
    return this.lines.length ? `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n${[...this.lines].sort().join('\n')}\n` : '';
  }
}

export interface MetricsInput {
  status: ClusterStatus;
  /** The configuration (for location constraints); optional. */
  cib?: CibModel;
  quorum?: QuorumtoolStatus;
}

export function clusterMetrics({ status, cib, quorum }: MetricsInput): string {
  const nodes = new Family('ha_cluster_pacemaker_nodes', 'The nodes in the cluster; one line per name, per status');
  for (const n of status.nodes) {
    const flags: Array<[string, boolean]> = [
      ['online', n.online],
      ['standby', n.standby],
      ['standby_onfail', n.standbyOnFail],
      ['maintenance', n.maintenance],
      ['pending', n.pending],
      ['unclean', n.unclean],
      ['shutdown', n.shutdown],
      ['expected_up', n.expectedUp],
      ['dc', n.isDc],
    ];
    for (const [name, on] of flags) if (on) nodes.add({ name: n.name, type: n.type, status: name }, 1);
  }
  const nodesTotal = new Family('ha_cluster_pacemaker_nodes_total', 'Total number of nodes in the cluster');
  nodesTotal.add({}, status.nodes.length);

  const resources = new Family('ha_cluster_pacemaker_resources', 'The resources in the cluster; one line per id, per status');
  for (const r of status.resources) {
    const states: Array<[string, boolean]> = [
      ['active', r.active],
      ['orphaned', r.orphaned],
      ['blocked', r.blocked],
      ['failed', r.failed],
      ['failure_ignored', r.failureIgnored],
    ];
    const where = r.nodes.length ? r.nodes : [''];
    for (const node of where) for (const [name, on] of states) if (on) resources.add({ id: r.id, node, role: r.role.toLowerCase(), managed: String(r.managed), status: name, agent: r.agent ?? '', group: '', clone: r.parent ?? '' }, 1);
  }
  const resourcesTotal = new Family('ha_cluster_pacemaker_resources_total', 'Total number of resources in the cluster');
  resourcesTotal.add({}, status.resourcesConfigured || new Set(status.resources.map((r) => r.id)).size);

  const failCount = new Family('ha_cluster_pacemaker_fail_count', 'The Fail count number per node and resource id');
  const threshold = new Family('ha_cluster_pacemaker_migration_threshold', 'The migration_threshold number per node and resource id');
  for (const f of status.failCounts) {
    failCount.add({ node: f.node, resource: f.resource }, score(f.failCount));
    if (f.migrationThreshold !== undefined) threshold.add({ node: f.node, resource: f.resource }, score(f.migrationThreshold));
  }
  const stonith = new Family('ha_cluster_pacemaker_stonith_enabled', 'Whether or not stonith is enabled');
  stonith.add({}, status.clusterOptions['stonith-enabled'] === 'true' ? 1 : 0);
  const lastChange = new Family('ha_cluster_pacemaker_config_last_change', 'The timestamp of the last change of the cluster configuration');
  if (status.lastChangeMs !== undefined) lastChange.add({}, Math.floor(status.lastChangeMs / 1000));

  const constraints = new Family('ha_cluster_pacemaker_location_constraints', 'Resource location constraints. The value indicates the score.');
  for (const c of cib?.constraints ?? []) {
    if (c.kind !== 'location' || !c.rsc || !c.node || c.score === undefined) continue;
    const s = c.score.toUpperCase();
    constraints.add({ constraint: c.id, node: c.node, resource: c.rsc, role: c.role ?? '' }, s.endsWith('INFINITY') ? (s.startsWith('-') ? -Infinity : Infinity) : Number(c.score));
  }

  const out = [nodes, nodesTotal, resources, resourcesTotal, failCount, threshold, stonith, lastChange, constraints].map((f) => f.text());
  if (quorum) {
    const quorate = new Family('ha_cluster_corosync_quorate', 'Whether or not the cluster is quorate');
    quorate.add({}, quorum.quorate ? 1 : 0);
    const votes = new Family('ha_cluster_corosync_quorum_votes', 'Cluster quorum votes; one line per type');
    votes.add({ type: 'expected_votes' }, quorum.expectedVotes);
    votes.add({ type: 'highest_expected' }, quorum.highestExpected);
    votes.add({ type: 'total_votes' }, quorum.totalVotes);
    votes.add({ type: 'quorum' }, quorum.quorum);
    const members = new Family('ha_cluster_corosync_member_votes', 'How many votes each member node has contributed with to the current quorum');
    for (const m of quorum.members) members.add({ node_id: String(m.nodeid), node: m.name }, m.votes);
    out.push(quorate.text(), votes.text(), members.text());
  }
  return out.join('');
}

/** Serves GET /metrics, collecting on each scrape. Resolves when listening; close() stops. */
export async function serveMetrics(collect: () => Promise<MetricsInput>, options: { port?: number; host?: string } = {}): Promise<Server & { port: number }> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    collect().then(
      (input) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(clusterMetrics(input)),
      (error: Error) => res.writeHead(503, { 'content-type': 'text/plain' }).end(`# collection failed: ${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address();
  return Object.assign(server, { port: typeof address === 'object' && address ? address.port : 0 });
}
