/**
 * Cluster status from `crm_mon --output-as=xml` (pacemaker's xml/api/crm_mon-2.*.rng) as
 * typed data, and the differences between two snapshots as events (node up/down, resource
 * started/stopped/moved/promoted, failures, DC and quorum changes).
 */
import { HakitError } from '../errors';
import { attr, childElements, firstChild, parseXml, type XmlElement } from './xml';

export interface NodeStatus {
  name: string;
  id: string;
  online: boolean;
  standby: boolean;
  standbyOnFail: boolean;
  maintenance: boolean;
  pending: boolean;
  unclean: boolean;
  shutdown: boolean;
  expectedUp: boolean;
  isDc: boolean;
  resourcesRunning: number;
  type: string;
  attributes: Record<string, string>;
}

export interface ResourceStatus {
  id: string;
  agent?: string;
  role: string;
  targetRole?: string;
  active: boolean;
  orphaned: boolean;
  blocked: boolean;
  managed: boolean;
  failed: boolean;
  failureIgnored: boolean;
  nodes: string[];
  /** Enclosing group/clone id, when there is one. */
  parent?: string;
}

export interface FailureStatus {
  opKey: string;
  node: string;
  resource: string;
  task: string;
  intervalMs: number;
  exitCode: number;
  exitStatus: string;
  exitReason: string;
  status: string;
  lastRcChange?: string;
}

export interface FailCount {
  node: string;
  resource: string;
  failCount: number;
  migrationThreshold?: number;
}

export interface ClusterStatus {
  dc?: string;
  /** When the configuration last changed (crm_mon's last_change), as ms since the epoch. */
  lastChangeMs?: number;
  quorum: boolean;
  stack?: string;
  nodesConfigured: number;
  resourcesConfigured: number;
  resourcesDisabled: number;
  clusterOptions: Record<string, string>;
  nodes: NodeStatus[];
  resources: ResourceStatus[];
  failures: FailureStatus[];
  failCounts: FailCount[];
}

const t = (e: XmlElement, name: string) => attr(e, name) === 'true';

export function parseCrmMon(xml: string): ClusterStatus {
  const root = parseXml(xml).root;
  if (root.name !== 'pacemaker-result' && root.name !== 'crm_mon') throw new HakitError('PCMK_BAD_STATUS', `crm_mon output root is <${root.name}>`, { element: root.name });
  const status = firstChild(root, 'status');
  if (status && attr(status, 'code') !== '0') throw new HakitError('PCMK_NOT_CONNECTED', `crm_mon: ${attr(status, 'message')}`, { code: attr(status, 'code') });
  const summary = firstChild(root, 'summary');
  const dc = summary && firstChild(summary, 'current_dc');
  const clusterOptions: Record<string, string> = {};
  const options = summary && firstChild(summary, 'cluster_options');
  if (options) for (const [k, v] of options.attrs) clusterOptions[k] = v;

  const attributes = new Map<string, Record<string, string>>();
  for (const node of childElements(firstChild(root, 'node_attributes') ?? root, 'node')) {
    const record: Record<string, string> = {};
    for (const a of childElements(node, 'attribute')) record[attr(a, 'name')!] = attr(a, 'value') ?? '';
    attributes.set(attr(node, 'name')!, record);
  }
  const nodes: NodeStatus[] = childElements(firstChild(root, 'nodes') ?? root, 'node').map((n) => ({
    name: attr(n, 'name')!,
    id: attr(n, 'id') ?? '',
    online: t(n, 'online'),
    standby: t(n, 'standby'),
    standbyOnFail: t(n, 'standby_onfail'),
    maintenance: t(n, 'maintenance'),
    pending: t(n, 'pending'),
    unclean: t(n, 'unclean'),
    shutdown: t(n, 'shutdown'),
    expectedUp: t(n, 'expected_up'),
    isDc: t(n, 'is_dc'),
    resourcesRunning: Number(attr(n, 'resources_running') ?? '0'),
    type: attr(n, 'type') ?? 'member',
    attributes: attributes.get(attr(n, 'name')!) ?? {},
  }));

  const resources: ResourceStatus[] = [];
  const visit = (element: XmlElement, parent?: string) => {
    for (const child of childElements(element)) {
      if (child.name === 'resource') {
        resources.push({
          id: attr(child, 'id')!,
          agent: attr(child, 'resource_agent'),
          role: attr(child, 'role') ?? 'Unknown',
          targetRole: attr(child, 'target_role'),
          active: t(child, 'active'),
          orphaned: t(child, 'orphaned'),
          blocked: t(child, 'blocked'),
          managed: attr(child, 'managed') !== 'false',
          failed: t(child, 'failed'),
          failureIgnored: t(child, 'failure_ignored'),
          nodes: childElements(child, 'node').map((n) => attr(n, 'name')!),
          parent,
        });
      } else if (['group', 'clone', 'bundle', 'replica'].includes(child.name)) visit(child, attr(child, 'id') ?? parent);
    }
  };
  visit(firstChild(root, 'resources') ?? { type: 'element', name: '', attrs: [], children: [] });

  const failures: FailureStatus[] = childElements(firstChild(root, 'failures') ?? root, 'failure').map((f) => {
    const opKey = attr(f, 'op_key') ?? '';
    const m = /^(.*)_([a-z_-]+)_(\d+)$/.exec(opKey);
    return {
      opKey,
      node: attr(f, 'node') ?? '',
      resource: m?.[1] ?? opKey,
      task: attr(f, 'task') ?? m?.[2] ?? '',
      intervalMs: Number(attr(f, 'interval') ?? m?.[3] ?? '0'),
      exitCode: Number(attr(f, 'exitcode') ?? '-1'),
      exitStatus: attr(f, 'exitstatus') ?? '',
      exitReason: attr(f, 'exitreason') ?? '',
      status: attr(f, 'status') ?? '',
      lastRcChange: attr(f, 'last-rc-change'),
    };
  });
  const failCounts: FailCount[] = [];
  for (const node of childElements(firstChild(root, 'node_history') ?? root, 'node')) {
    for (const h of childElements(node, 'resource_history')) {
      const fc = attr(h, 'fail-count') ?? '0';
      failCounts.push({ node: attr(node, 'name')!, resource: attr(h, 'id')!, failCount: fc === 'INFINITY' ? 1_000_000 : Number(fc), migrationThreshold: attr(h, 'migration-threshold') ? Number(attr(h, 'migration-threshold')) : undefined });
    }
  }
  const configured = (name: string, a = 'number') => Number((summary && firstChild(summary, name) && attr(firstChild(summary, name)!, a)) ?? '0');
  const lastChange = summary && firstChild(summary, 'last_change') ? attr(firstChild(summary, 'last_change')!, 'time') : undefined;
  const lastChangeMs = lastChange ? Date.parse(lastChange) : NaN;
  return {
    lastChangeMs: Number.isFinite(lastChangeMs) ? lastChangeMs : undefined,
    dc: dc && attr(dc, 'present') === 'true' ? attr(dc, 'name') : undefined,
    quorum: dc ? attr(dc, 'with_quorum') === 'true' : false,
    stack: summary && firstChild(summary, 'stack') ? attr(firstChild(summary, 'stack')!, 'type') : undefined,
    nodesConfigured: configured('nodes_configured'),
    resourcesConfigured: configured('resources_configured'),
    resourcesDisabled: configured('resources_configured', 'disabled'),
    clusterOptions,
    nodes,
    resources,
    failures,
    failCounts,
  };
}

export type StatusEvent =
  | { type: 'dc-changed'; from?: string; to?: string }
  | { type: 'quorum-changed'; quorate: boolean }
  | { type: 'node-online' | 'node-offline' | 'node-standby' | 'node-unstandby' | 'node-maintenance' | 'node-unclean'; node: string }
  | { type: 'resource-started' | 'resource-stopped'; resource: string; nodes: string[] }
  | { type: 'resource-moved'; resource: string; from: string[]; to: string[] }
  | { type: 'resource-role'; resource: string; from: string; to: string; nodes: string[] }
  | { type: 'resource-failed'; resource: string; node: string; task: string; exitCode: number; exitReason: string }
  | { type: 'failure-cleared'; resource: string; node: string; task: string };

/** What changed between two snapshots, as events in a stable order. */
export function diffStatus(before: ClusterStatus | undefined, after: ClusterStatus): StatusEvent[] {
  const events: StatusEvent[] = [];
  if (!before) before = { quorum: false, nodesConfigured: 0, resourcesConfigured: 0, resourcesDisabled: 0, clusterOptions: {}, nodes: [], resources: [], failures: [], failCounts: [] };
  if (before.dc !== after.dc) events.push({ type: 'dc-changed', from: before.dc, to: after.dc });
  if (before.quorum !== after.quorum) events.push({ type: 'quorum-changed', quorate: after.quorum });
  for (const n of after.nodes) {
    const was = before.nodes.find((x) => x.name === n.name);
    if (n.online !== (was?.online ?? false)) events.push({ type: n.online ? 'node-online' : 'node-offline', node: n.name });
    if (n.standby !== (was?.standby ?? false)) events.push({ type: n.standby ? 'node-standby' : 'node-unstandby', node: n.name });
    if (n.maintenance && !was?.maintenance) events.push({ type: 'node-maintenance', node: n.name });
    if (n.unclean && !was?.unclean) events.push({ type: 'node-unclean', node: n.name });
  }
  // Clone instances share an id: compare by id + parent, with node lists merged.
  const merge = (list: ResourceStatus[]) => {
    const map = new Map<string, ResourceStatus>();
    for (const r of list) {
      const key = r.id;
      const prev = map.get(key);
      if (prev) map.set(key, { ...prev, nodes: [...prev.nodes, ...r.nodes].sort(), active: prev.active || r.active });
      else map.set(key, { ...r, nodes: [...r.nodes].sort() });
    }
    return map;
  };
  const was = merge(before.resources);
  for (const [id, r] of merge(after.resources)) {
    const prev = was.get(id);
    const prevNodes = prev?.active ? prev.nodes : [];
    const nodes = r.active ? r.nodes : [];
    if (!prevNodes.length && nodes.length) events.push({ type: 'resource-started', resource: id, nodes });
    else if (prevNodes.length && !nodes.length) events.push({ type: 'resource-stopped', resource: id, nodes: prevNodes });
    else if (prevNodes.join() !== nodes.join()) events.push({ type: 'resource-moved', resource: id, from: prevNodes, to: nodes });
    if (prev && prev.role !== r.role && nodes.length && prevNodes.length) events.push({ type: 'resource-role', resource: id, from: prev.role, to: r.role, nodes });
  }
  const key = (f: FailureStatus) => `${f.resource}|${f.node}|${f.task}|${f.intervalMs}`;
  const oldFailures = new Set(before.failures.map(key));
  const newFailures = new Set(after.failures.map(key));
  for (const f of after.failures) if (!oldFailures.has(key(f))) events.push({ type: 'resource-failed', resource: f.resource, node: f.node, task: f.task, exitCode: f.exitCode, exitReason: f.exitReason });
  for (const f of before.failures) if (!newFailures.has(key(f))) events.push({ type: 'failure-cleared', resource: f.resource, node: f.node, task: f.task });
  return events;
}
