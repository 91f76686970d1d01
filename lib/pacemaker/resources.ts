/**
 * Resource operations with pcs's semantics and ids (pcs 0.11: pcs/lib/cib/resource/*.py,
 * pcs/resource.py): create, update, meta, delete, group add, clone, promotable, enable,
 * disable, stonith create, defaults, properties and node attributes.
 */
import { Cib, CibError, checkId } from './cib';
import type { AgentMetadata } from './ocf';
import { attr, childElements, el, firstChild, removeChild, setAttr, walk, type XmlElement } from './xml';

export interface AgentName {
  standard: string;
  provider?: string;
  agent: string;
}

/** Parses `ocf:heartbeat:IPaddr2`, `systemd:nginx`, `stonith:fence_dummy`. */
export function parseAgentName(name: string): AgentName {
  const parts = name.split(':');
  if (parts.some((p) => p === '') || parts.length < 2 || parts.length > 3) {
    throw new CibError('PCMK_BAD_AGENT', `invalid resource agent name '${name}': expected standard:provider:agent (ocf) or standard:agent`, { agent: name });
  }
  const [standard, a, b] = parts as [string, string, string?];
  if (standard === 'ocf') {
    if (b === undefined) throw new CibError('PCMK_BAD_AGENT', `ocf agent '${name}' needs a provider (ocf:provider:agent)`, { agent: name });
    return { standard, provider: a, agent: b };
  }
  if (b !== undefined) throw new CibError('PCMK_BAD_AGENT', `only ocf agents have a provider, got '${name}'`, { agent: name });
  if (!['lsb', 'systemd', 'service', 'stonith', 'nagios', 'upstart'].includes(standard)) {
    throw new CibError('PCMK_BAD_AGENT', `unknown resource standard '${standard}' in '${name}'`, { agent: name });
  }
  return { standard, agent: a };
}

export interface OperationSpec {
  name: string;
  interval?: string;
  timeout?: string;
  role?: string;
  'on-fail'?: string;
  [key: string]: string | undefined;
}

export interface CreateOptions {
  instance?: Record<string, string>;
  meta?: Record<string, string>;
  operations?: OperationSpec[];
  /** The agent's meta-data: its actions become default operations as pcs makes them. */
  metadata?: AgentMetadata;
  /** pcs --no-default-ops: only the monitor operation comes from the agent. */
  noDefaultOps?: boolean;
  /** Create inside this group (created when missing). */
  group?: string;
  disabled?: boolean;
}

const DEFAULT_INTERVALS: Record<string, string> = { monitor: '60s' };

/** pcs's get_default_operations + complete_operations_options, sorted by name as pcs writes them. */
export function defaultOperations(stonith: boolean, metadata: AgentMetadata | undefined, userOps: OperationSpec[], noDefaultOps: boolean): OperationSpec[] {
  const userNames = new Set(userOps.map((op) => op.name));
  const fromAgent: OperationSpec[] = [];
  for (const action of metadata?.actions ?? []) {
    const wanted = noDefaultOps || stonith ? action.name === 'monitor' : !['meta-data', 'status', 'validate-all'].includes(action.name);
    if (!wanted) continue;
    fromAgent.push({ name: action.name, interval: action.interval || DEFAULT_INTERVALS[action.name] || '0s', timeout: action.timeout, role: action.role, 'start-delay': action.startDelay });
  }
  if (!fromAgent.some((op) => op.name === 'monitor')) fromAgent.push({ name: 'monitor', interval: '60s' });
  const all = [...userOps.map((op) => ({ ...op, interval: op.interval ?? DEFAULT_INTERVALS[op.name] ?? '0s' })), ...fromAgent.filter((op) => !userNames.has(op.name))];
  return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function sortedPairs(values: Record<string, string> | undefined): Array<[string, string]> {
  return Object.entries(values ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function nvset(cib: Cib, tag: string, ownerId: string, values: Record<string, string> | undefined): XmlElement | undefined {
  const pairs = sortedPairs(values);
  if (!pairs.length) return undefined;
  const setId = cib.uniqueId(`${ownerId}-${tag}`);
  const reserved = new Set([setId]);
  return el(
    tag,
    { id: setId },
    pairs.map(([name, value]) => el('nvpair', { id: cib.uniqueId(`${setId}-${name}`, reserved), name, value })),
  );
}

function operationElement(cib: Cib, ownerId: string, op: OperationSpec, reserved: Set<string>): XmlElement {
  const element = el('op', { name: op.name, interval: op.interval });
  for (const [key, value] of Object.entries(op)) {
    if (key === 'name' || key === 'interval' || key === 'OCF_CHECK_LEVEL' || value === undefined) continue;
    setAttr(element, key, value);
  }
  setAttr(element, 'id', cib.uniqueId(`${ownerId}-${op.name}-interval-${op.interval}`, reserved));
  return element;
}

export function resourceCreate(cib: Cib, id: string, agent: string, options: CreateOptions = {}): XmlElement {
  checkId(id, 'resource id');
  if (cib.findById(id)) throw new CibError('PCMK_ID_EXISTS', `id '${id}' already exists in the CIB`, { id, element: 'primitive' });
  const name = parseAgentName(agent);
  const stonith = name.standard === 'stonith';
  if (options.metadata && options.metadata.name !== name.agent) {
    throw new CibError('PCMK_BAD_AGENT', `meta-data is for agent '${options.metadata.name}', not '${name.agent}'`, { agent });
  }
  const primitive = el('primitive', { id, class: name.standard, type: name.agent, provider: name.provider });
  const meta = { ...(options.meta ?? {}) };
  if (options.disabled) meta['target-role'] = 'Stopped';
  // The new resource's own ids are reserved as they are made (the element is not in the tree yet).
  const reserved = new Set<string>([id]);
  const instanceSet = nvset(cib, 'instance_attributes', id, options.instance);
  if (instanceSet) primitive.children.push(instanceSet);
  const metaSet = nvset(cib, 'meta_attributes', id, meta);
  if (metaSet) primitive.children.push(metaSet);
  for (const set of [instanceSet, metaSet]) if (set) for (const { element } of walk(set)) reserved.add(attr(element, 'id')!);
  const ops = defaultOperations(stonith, options.metadata, options.operations ?? [], options.noDefaultOps ?? false);
  primitive.children.push(el('operations', {}, ops.map((op) => operationElement(cib, id, op, reserved))));
  if (options.group) {
    let group = cib.resourceElement(options.group);
    if (!group) {
      checkId(options.group, 'group id');
      group = el('group', { id: options.group });
      cib.section('resources').children.push(group);
    } else if (group.name !== 'group') throw new CibError('PCMK_BAD_TARGET', `'${options.group}' is a ${group.name}, not a group`, { id: options.group, element: group.name });
    group.children.push(primitive);
  } else cib.section('resources').children.push(primitive);
  return primitive;
}

export function stonithCreate(cib: Cib, id: string, agent: string, options: Omit<CreateOptions, 'group'> = {}): XmlElement {
  return resourceCreate(cib, id, agent.startsWith('stonith:') ? agent : `stonith:${agent}`, options);
}

/** `pcs resource update ID name=value ... [meta ...]`: an empty value removes the attribute. */
export function resourceUpdate(cib: Cib, id: string, changes: { instance?: Record<string, string>; meta?: Record<string, string> }): void {
  const element = cib.requireResource(id);
  for (const [name, value] of Object.entries(changes.instance ?? {})) {
    if (element.name !== 'primitive') throw new CibError('PCMK_BAD_TARGET', `'${id}' is a ${element.name}: instance attributes belong to primitives`, { id, element: element.name });
    cib.setNvpair(element, 'instance_attributes', `${id}-instance_attributes`, name, value === '' ? undefined : value, { removeEmptySet: true });
  }
  for (const [name, value] of Object.entries(changes.meta ?? {})) {
    cib.setNvpair(element, 'meta_attributes', `${id}-meta_attributes`, name, value === '' ? undefined : value, { removeEmptySet: true });
  }
}

export function resourceMeta(cib: Cib, id: string, meta: Record<string, string>): void {
  resourceUpdate(cib, id, { meta });
}

export function resourceDisable(cib: Cib, id: string): void {
  resourceUpdate(cib, id, { meta: { 'target-role': 'Stopped' } });
}

/** Removes target-role from the resource and the containers above it (pcs enable). */
export function resourceEnable(cib: Cib, id: string): void {
  let element: XmlElement | undefined = cib.requireResource(id);
  while (element && ['primitive', 'group', 'clone', 'master'].includes(element.name)) {
    const elementId = attr(element, 'id')!;
    cib.setNvpair(element, 'meta_attributes', `${elementId}-meta_attributes`, 'target-role', undefined);
    element = cib.parentOf(element);
  }
}

/** Every resource id at or under an element (a group's members, a clone's child ...). */
export function idsUnder(element: XmlElement): string[] {
  const ids: string[] = [];
  for (const { element: e } of walk(element)) if (['primitive', 'group', 'clone', 'master', 'bundle'].includes(e.name)) ids.push(attr(e, 'id')!);
  return ids;
}

/** Removes every constraint (or set member) that refers to one of ids; returns removed ids. */
export function removeConstraintsReferencing(cib: Cib, ids: string[]): string[] {
  const constraints = firstChild(cib.configuration, 'constraints');
  if (!constraints) return [];
  const targets = new Set(ids);
  const removed: string[] = [];
  for (const constraint of childElements(constraints)) {
    const direct = ['rsc', 'with-rsc', 'first', 'then'].some((a) => targets.has(attr(constraint, a) ?? '\0'));
    if (direct) {
      removeChild(constraints, constraint);
      removed.push(attr(constraint, 'id')!);
      continue;
    }
    for (const set of childElements(constraint, 'resource_set')) {
      for (const ref of childElements(set, 'resource_ref')) if (targets.has(attr(ref, 'id')!)) removeChild(set, ref);
      if (!childElements(set, 'resource_ref').length) removeChild(constraint, set);
    }
    if (childElements(constraint, 'resource_set').length === 0 && !attr(constraint, 'rsc') && !attr(constraint, 'first') && !attr(constraint, 'rsc-pattern') && constraint.name !== 'rsc_ticket') {
      removeChild(constraints, constraint);
      removed.push(attr(constraint, 'id')!);
    }
  }
  return removed;
}

/** `pcs resource delete`: the resource, its now-empty containers and its constraints. */
export function resourceDelete(cib: Cib, id: string): { removedConstraints: string[] } {
  let element = cib.requireResource(id);
  let parent = cib.parentOf(element)!;
  // Deleting the only member of a group or clone deletes the container too (pcs does).
  while (['group', 'clone', 'master'].includes(parent.name) && childElements(parent).filter((c) => ['primitive', 'group'].includes(c.name)).length === 1) {
    element = parent;
    parent = cib.parentOf(parent)!;
  }
  const removedConstraints = removeConstraintsReferencing(cib, idsUnder(element));
  removeChild(parent, element);
  return { removedConstraints };
}

/** `pcs resource group add GROUP RSC...`: moves primitives into the group, creating it. */
export function groupAdd(cib: Cib, groupId: string, members: string[]): void {
  let group = cib.resourceElement(groupId);
  if (group && group.name !== 'group') throw new CibError('PCMK_BAD_TARGET', `'${groupId}' is a ${group.name}, not a group`, { id: groupId, element: group.name });
  if (!group && cib.findById(groupId)) throw new CibError('PCMK_ID_EXISTS', `id '${groupId}' already exists in the CIB`, { id: groupId, element: 'group' });
  const elements = members.map((m) => {
    const element = cib.requireResource(m);
    if (element.name !== 'primitive') throw new CibError('PCMK_BAD_TARGET', `'${m}' is a ${element.name}: only primitives can join a group`, { id: m, element: element.name });
    const parent = cib.parentOf(element)!;
    if (parent.name === 'clone' || parent.name === 'master') throw new CibError('PCMK_BAD_TARGET', `'${m}' is cloned: a clone cannot join a group`, { id: m, element: 'clone' });
    return element;
  });
  if (!group) {
    checkId(groupId, 'group id');
    group = el('group', { id: groupId });
    // pcs puts a new group where its first member was.
    const first = elements[0]!;
    const parent = cib.parentOf(first)!;
    parent.children.splice(parent.children.indexOf(first), 0, group);
  }
  for (const element of elements) {
    const parent = cib.parentOf(element)!;
    removeChild(parent, element);
    if (parent.name === 'group' && !childElements(parent, 'primitive').length) {
      removeConstraintsReferencing(cib, [attr(parent, 'id')!]);
      removeChild(cib.parentOf(parent)!, parent);
    }
    group.children.push(element);
  }
}

function retargetConstraints(cib: Cib, from: string, to: string): void {
  const constraints = firstChild(cib.configuration, 'constraints');
  if (!constraints) return;
  for (const { element } of walk(constraints)) {
    for (const name of ['rsc', 'with-rsc', 'first', 'then']) if (attr(element, name) === from && element.name !== 'resource_ref') setAttr(element, name, to);
  }
}

/** `pcs resource clone` / `pcs resource promotable`: wraps the resource, retargets its pair constraints (pcs leaves set members as they are). */
export function resourceClone(cib: Cib, id: string, options: { meta?: Record<string, string>; promotable?: boolean; cloneId?: string } = {}): XmlElement {
  const element = cib.requireResource(id);
  if (!['primitive', 'group'].includes(element.name)) throw new CibError('PCMK_BAD_TARGET', `'${id}' is a ${element.name}: only primitives and groups can be cloned`, { id, element: element.name });
  const parent = cib.parentOf(element)!;
  if (parent.name !== 'resources') throw new CibError('PCMK_BAD_TARGET', `'${id}' is inside ${parent.name} '${attr(parent, 'id')}': clone that instead`, { id, element: parent.name });
  const cloneId = options.cloneId ?? cib.uniqueId(`${id}-clone`);
  checkId(cloneId, 'clone id');
  if (cib.findById(cloneId)) throw new CibError('PCMK_ID_EXISTS', `id '${cloneId}' already exists in the CIB`, { id: cloneId, element: 'clone' });
  const clone = el('clone', { id: cloneId }, [element]);
  const meta = { ...(options.meta ?? {}) };
  if (options.promotable) meta.promotable = 'true';
  const metaSet = nvset(cib, 'meta_attributes', cloneId, meta);
  if (metaSet) clone.children.push(metaSet);
  parent.children.splice(parent.children.indexOf(element), 1, clone);
  retargetConstraints(cib, id, cloneId);
  return clone;
}

/** Cluster options Pacemaker 2.1 knows (pacemaker-schedulerd/-controld/-based metadata, as pcs lists them). */
export const CLUSTER_OPTIONS = [
  'batch-limit', 'cluster-delay', 'cluster-ipc-limit', 'cluster-recheck-interval', 'concurrent-fencing', 'dc-deadtime', 'election-timeout', 'enable-acl',
  'enable-startup-probes', 'fence-reaction', 'join-finalization-timeout', 'join-integration-timeout', 'load-threshold', 'maintenance-mode', 'migration-limit',
  'no-quorum-policy', 'node-action-limit', 'node-health-base', 'node-health-green', 'node-health-red', 'node-health-strategy', 'node-health-yellow',
  'pe-error-series-max', 'pe-input-series-max', 'pe-warn-series-max', 'placement-strategy', 'priority-fencing-delay', 'remove-after-stop', 'shutdown-escalation',
  'shutdown-lock', 'shutdown-lock-limit', 'start-failure-is-fatal', 'startup-fencing', 'stonith-action', 'stonith-enabled', 'stonith-max-attempts',
  'stonith-timeout', 'stonith-watchdog-timeout', 'stop-all-resources', 'stop-orphan-actions', 'stop-orphan-resources', 'symmetric-cluster', 'transition-delay',
] as const;

/** `pcs property set NAME=VALUE` (empty value unsets); unknown names are refused unless forced, as pcs does. */
export function propertySet(cib: Cib, name: string, value: string | undefined, options: { force?: boolean } = {}): void {
  if (!options.force && value !== undefined && value !== '' && !(CLUSTER_OPTIONS as readonly string[]).includes(name)) {
    throw new CibError('PCMK_UNKNOWN_OPTION', `invalid cluster property '${name}' (use force to set it anyway)`, { element: 'cluster_property_set', name });
  }
  const crmConfig = cib.section('crm_config');
  let set = childElements(crmConfig, 'cluster_property_set').find((s) => attr(s, 'id') === 'cib-bootstrap-options');
  if (!set) {
    if (value === undefined || value === '') return;
    set = el('cluster_property_set', { id: cib.uniqueId('cib-bootstrap-options') });
    crmConfig.children.unshift(set);
  }
  const pair = childElements(set, 'nvpair').find((p) => attr(p, 'name') === name);
  if (value === undefined || value === '') {
    if (pair) removeChild(set, pair);
  } else if (pair) setAttr(pair, 'value', value);
  else set.children.push(el('nvpair', { id: cib.uniqueId(`${attr(set, 'id')}-${name}`), name, value }));
}

/** `pcs resource defaults update` / `pcs resource op defaults update`. */
export function defaultsUpdate(cib: Cib, which: 'rsc' | 'op', values: Record<string, string>): void {
  const section = cib.section(`${which}_defaults`);
  for (const [name, value] of Object.entries(values)) {
    cib.setNvpair(section, 'meta_attributes', `${which}_defaults-meta_attributes`, name, value === '' ? undefined : value);
  }
}

function nodeAttribute(cib: Cib, node: string, name: string, value: string | undefined): void {
  const element = cib.nodeElement(node);
  if (!element) throw new CibError('PCMK_NOT_FOUND', `node '${node}' is not in the CIB`, { element: 'node', node });
  const id = attr(element, 'id')!;
  cib.setNvpair(element, 'instance_attributes', `nodes-${id}`, name, value);
}

/** `pcs node standby|unstandby` (crm_attribute -l forever: a permanent node attribute). */
export function nodeStandby(cib: Cib, node: string, on = true): void {
  nodeAttribute(cib, node, 'standby', on ? 'on' : undefined);
}

export function nodeMaintenance(cib: Cib, node: string, on = true): void {
  nodeAttribute(cib, node, 'maintenance', on ? 'on' : undefined);
}

/** Adds a node entry (what cibadmin --create -o nodes does offline). */
export function nodeAdd(cib: Cib, id: string, uname: string): void {
  if (cib.nodeElement(uname)) throw new CibError('PCMK_ID_EXISTS', `node '${uname}' already exists`, { element: 'node', node: uname });
  cib.section('nodes').children.push(el('node', { id, uname }));
}
