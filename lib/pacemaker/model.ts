/**
 * The typed view of a CIB (Pacemaker 2.1, schema pacemaker-3.x; reference: "Pacemaker Explained"
 * and the RNG schemas in pacemaker/xml/). The view is read from the XML tree that `Cib` keeps;
 * edits go through the operations in ./operations, so whatever this view does not model
 * (ACLs, tags, bundles, status, unknown attributes) stays in the tree untouched.
 */
import { attr, childElements, firstChild, type XmlElement } from './xml';

export type Score = string; // integer, INFINITY, +INFINITY or -INFINITY (validated by checkScore)

export interface Nvpair {
  id: string;
  name: string;
  value: string;
}

export interface NvSet {
  id: string;
  score?: string;
  rule?: Rule;
  pairs: Nvpair[];
  /** name -> value, for convenience (last wins). */
  values: Record<string, string>;
}

export interface Expression {
  kind: 'expression';
  id: string;
  attribute: string;
  operation: string;
  value?: string;
  type?: string;
}
export interface DateExpression {
  kind: 'date';
  id: string;
  operation: string;
  start?: string;
  end?: string;
}
export interface Rule {
  kind: 'rule';
  id: string;
  score?: string;
  scoreAttribute?: string;
  role?: string;
  booleanOp: 'and' | 'or';
  expressions: Array<Expression | DateExpression | Rule>;
}

export interface Operation {
  id: string;
  name: string;
  interval: string;
  timeout?: string;
  role?: string;
  onFail?: string;
  /** Every attribute of the <op> element. */
  attributes: Record<string, string>;
}

export interface Primitive {
  kind: 'primitive';
  id: string;
  /** ocf, lsb, systemd, service, stonith. */
  standard: string;
  provider?: string;
  agent: string;
  /** standard[:provider]:agent as pcs spells it. */
  agentName: string;
  instance: Record<string, string>;
  meta: Record<string, string>;
  operations: Operation[];
}
export interface Group {
  kind: 'group';
  id: string;
  meta: Record<string, string>;
  members: Primitive[];
}
export interface Clone {
  kind: 'clone';
  id: string;
  promotable: boolean;
  meta: Record<string, string>;
  child: Primitive | Group;
}
/** Bundles and anything newer: kept, named, not modelled. */
export interface OtherResource {
  kind: 'other';
  tag: string;
  id: string;
}
export type Resource = Primitive | Group | Clone | OtherResource;

export interface ResourceSet {
  id: string;
  resources: string[];
  sequential?: boolean;
  requireAll?: boolean;
  role?: string;
  action?: string;
  ordering?: string;
  kind?: string;
  score?: string;
}

export interface LocationConstraint {
  kind: 'location';
  id: string;
  rsc?: string;
  rscPattern?: string;
  node?: string;
  score?: string;
  role?: string;
  rules: Rule[];
  sets: ResourceSet[];
  resourceDiscovery?: string;
}
export interface ColocationConstraint {
  kind: 'colocation';
  id: string;
  rsc?: string;
  withRsc?: string;
  score?: string;
  rscRole?: string;
  withRscRole?: string;
  sets: ResourceSet[];
}
export interface OrderConstraint {
  kind: 'order';
  id: string;
  first?: string;
  then?: string;
  firstAction?: string;
  thenAction?: string;
  /** Mandatory (default), Optional or Serialize. */
  orderKind: 'Mandatory' | 'Optional' | 'Serialize';
  symmetrical: boolean;
  sets: ResourceSet[];
}
export interface TicketConstraint {
  kind: 'ticket';
  id: string;
  ticket?: string;
  rsc?: string;
}
export type Constraint = LocationConstraint | ColocationConstraint | OrderConstraint | TicketConstraint;

export interface CibNode {
  id: string;
  uname: string;
  type?: string;
  attributes: Record<string, string>;
  utilization: Record<string, string>;
}

export interface FencingLevel {
  id: string;
  index: number;
  target?: string;
  targetPattern?: string;
  targetAttribute?: string;
  targetValue?: string;
  devices: string[];
}

export interface AlertRecipient {
  id: string;
  value: string;
  meta: Record<string, string>;
  instance: Record<string, string>;
}
export interface Alert {
  id: string;
  path: string;
  description?: string;
  meta: Record<string, string>;
  instance: Record<string, string>;
  recipients: AlertRecipient[];
}

export interface CibVersion {
  adminEpoch: number;
  epoch: number;
  numUpdates: number;
}

export interface CibModel {
  version: CibVersion;
  validateWith?: string;
  crmFeatureSet?: string;
  /** cluster_property_set "cib-bootstrap-options" (and other sets merged, in document order). */
  properties: Record<string, string>;
  propertySets: NvSet[];
  nodes: CibNode[];
  resources: Resource[];
  constraints: Constraint[];
  rscDefaults: Record<string, string>;
  opDefaults: Record<string, string>;
  fencingTopology: FencingLevel[];
  alerts: Alert[];
}

export function readNvSet(element: XmlElement): NvSet {
  const pairs: Nvpair[] = childElements(element, 'nvpair').map((p) => ({ id: attr(p, 'id') ?? '', name: attr(p, 'name') ?? '', value: attr(p, 'value') ?? '' }));
  const values: Record<string, string> = {};
  for (const pair of pairs) values[pair.name] = pair.value;
  const ruleElement = firstChild(element, 'rule');
  return { id: attr(element, 'id') ?? '', score: attr(element, 'score'), rule: ruleElement ? readRule(ruleElement) : undefined, pairs, values };
}

/** Merges every nvset of a tag under element (e.g. all meta_attributes of a primitive). */
export function mergedSets(element: XmlElement, tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const set of childElements(element, tag)) Object.assign(out, readNvSet(set).values);
  return out;
}

export function readRule(element: XmlElement): Rule {
  const expressions: Rule['expressions'] = [];
  for (const child of childElements(element)) {
    if (child.name === 'expression') {
      expressions.push({ kind: 'expression', id: attr(child, 'id') ?? '', attribute: attr(child, 'attribute') ?? '', operation: attr(child, 'operation') ?? '', value: attr(child, 'value'), type: attr(child, 'type') });
    } else if (child.name === 'date_expression') {
      expressions.push({ kind: 'date', id: attr(child, 'id') ?? '', operation: attr(child, 'operation') ?? '', start: attr(child, 'start'), end: attr(child, 'end') });
    } else if (child.name === 'rule') {
      expressions.push(readRule(child));
    }
  }
  return {
    kind: 'rule',
    id: attr(element, 'id') ?? '',
    score: attr(element, 'score'),
    scoreAttribute: attr(element, 'score-attribute'),
    role: attr(element, 'role'),
    booleanOp: attr(element, 'boolean-op') === 'or' ? 'or' : 'and',
    expressions,
  };
}

function readOperation(op: XmlElement): Operation {
  const attributes: Record<string, string> = {};
  for (const [k, v] of op.attrs) attributes[k] = v;
  return { id: attributes.id ?? '', name: attributes.name ?? '', interval: attributes.interval ?? '0', timeout: attributes.timeout, role: attributes.role, onFail: attributes['on-fail'], attributes };
}

export function readPrimitive(element: XmlElement): Primitive {
  const standard = attr(element, 'class') ?? '';
  const provider = attr(element, 'provider');
  const agent = attr(element, 'type') ?? '';
  const operations = firstChild(element, 'operations');
  return {
    kind: 'primitive',
    id: attr(element, 'id') ?? '',
    standard,
    provider,
    agent,
    agentName: provider ? `${standard}:${provider}:${agent}` : `${standard}:${agent}`,
    instance: mergedSets(element, 'instance_attributes'),
    meta: mergedSets(element, 'meta_attributes'),
    operations: operations ? childElements(operations, 'op').map(readOperation) : [],
  };
}

export function readResource(element: XmlElement): Resource {
  switch (element.name) {
    case 'primitive':
      return readPrimitive(element);
    case 'group':
      return { kind: 'group', id: attr(element, 'id') ?? '', meta: mergedSets(element, 'meta_attributes'), members: childElements(element, 'primitive').map(readPrimitive) };
    case 'clone':
    case 'master': {
      const meta = mergedSets(element, 'meta_attributes');
      const inner = childElements(element).find((c) => c.name === 'primitive' || c.name === 'group');
      const child = inner ? (readResource(inner) as Primitive | Group) : ({ kind: 'group', id: '', meta: {}, members: [] } as Group);
      return { kind: 'clone', id: attr(element, 'id') ?? '', promotable: element.name === 'master' || isTrue(meta.promotable), meta, child };
    }
    default:
      return { kind: 'other', tag: element.name, id: attr(element, 'id') ?? '' };
  }
}

export function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['true', 'on', 'yes', 'y', '1'].includes(value.toLowerCase());
}

function readSets(element: XmlElement): ResourceSet[] {
  return childElements(element, 'resource_set').map((s) => ({
    id: attr(s, 'id') ?? '',
    resources: childElements(s, 'resource_ref').map((r) => attr(r, 'id') ?? ''),
    sequential: attr(s, 'sequential') === undefined ? undefined : isTrue(attr(s, 'sequential')),
    requireAll: attr(s, 'require-all') === undefined ? undefined : isTrue(attr(s, 'require-all')),
    role: attr(s, 'role'),
    action: attr(s, 'action'),
    ordering: attr(s, 'ordering'),
    kind: attr(s, 'kind'),
    score: attr(s, 'score'),
  }));
}

export function readConstraint(element: XmlElement): Constraint | undefined {
  const id = attr(element, 'id') ?? '';
  switch (element.name) {
    case 'rsc_location':
      return {
        kind: 'location',
        id,
        rsc: attr(element, 'rsc'),
        rscPattern: attr(element, 'rsc-pattern'),
        node: attr(element, 'node'),
        score: attr(element, 'score'),
        role: attr(element, 'role'),
        rules: childElements(element, 'rule').map(readRule),
        sets: readSets(element),
        resourceDiscovery: attr(element, 'resource-discovery'),
      };
    case 'rsc_colocation':
      return { kind: 'colocation', id, rsc: attr(element, 'rsc'), withRsc: attr(element, 'with-rsc'), score: attr(element, 'score'), rscRole: attr(element, 'rsc-role'), withRscRole: attr(element, 'with-rsc-role'), sets: readSets(element) };
    case 'rsc_order': {
      const kind = attr(element, 'kind');
      const score = attr(element, 'score');
      // A score of 0 is the old spelling of Optional.
      const orderKind = kind === 'Optional' || kind === 'Serialize' ? kind : score === '0' ? 'Optional' : 'Mandatory';
      const symmetrical = attr(element, 'symmetrical');
      return {
        kind: 'order',
        id,
        first: attr(element, 'first'),
        then: attr(element, 'then'),
        firstAction: attr(element, 'first-action'),
        thenAction: attr(element, 'then-action'),
        orderKind,
        symmetrical: symmetrical === undefined ? orderKind !== 'Serialize' : isTrue(symmetrical),
        sets: readSets(element),
      };
    }
    case 'rsc_ticket':
      return { kind: 'ticket', id, ticket: attr(element, 'ticket'), rsc: attr(element, 'rsc') };
    default:
      return undefined;
  }
}

export function readModel(root: XmlElement): CibModel {
  const configuration = firstChild(root, 'configuration');
  const section = (name: string) => (configuration ? firstChild(configuration, name) : undefined);
  const num = (name: string) => Number(attr(root, name) ?? '0');

  const propertySets = childElements(section('crm_config') ?? root, 'cluster_property_set').map(readNvSet);
  const properties: Record<string, string> = {};
  for (const set of propertySets) Object.assign(properties, set.values);

  const nodes: CibNode[] = childElements(section('nodes') ?? emptyElement, 'node').map((n) => ({
    id: attr(n, 'id') ?? '',
    uname: attr(n, 'uname') ?? '',
    type: attr(n, 'type'),
    attributes: mergedSets(n, 'instance_attributes'),
    utilization: mergedSets(n, 'utilization'),
  }));

  const resources = childElements(section('resources') ?? emptyElement).map(readResource);
  const constraints = childElements(section('constraints') ?? emptyElement)
    .map(readConstraint)
    .filter((c): c is Constraint => c !== undefined);

  const fencing = section('fencing-topology');
  const fencingTopology: FencingLevel[] = fencing
    ? childElements(fencing, 'fencing-level').map((l) => ({
        id: attr(l, 'id') ?? '',
        index: Number(attr(l, 'index') ?? '0'),
        target: attr(l, 'target'),
        targetPattern: attr(l, 'target-pattern'),
        targetAttribute: attr(l, 'target-attribute'),
        targetValue: attr(l, 'target-value'),
        devices: (attr(l, 'devices') ?? '').split(',').filter(Boolean),
      }))
    : [];

  const alertsSection = section('alerts');
  const alerts: Alert[] = alertsSection
    ? childElements(alertsSection, 'alert').map((a) => ({
        id: attr(a, 'id') ?? '',
        path: attr(a, 'path') ?? '',
        description: attr(a, 'description'),
        meta: mergedSets(a, 'meta_attributes'),
        instance: mergedSets(a, 'instance_attributes'),
        recipients: childElements(a, 'recipient').map((r) => ({ id: attr(r, 'id') ?? '', value: attr(r, 'value') ?? '', meta: mergedSets(r, 'meta_attributes'), instance: mergedSets(r, 'instance_attributes') })),
      }))
    : [];

  return {
    version: { adminEpoch: num('admin_epoch'), epoch: num('epoch'), numUpdates: num('num_updates') },
    validateWith: attr(root, 'validate-with'),
    crmFeatureSet: attr(root, 'crm_feature_set'),
    properties,
    propertySets,
    nodes,
    resources,
    constraints,
    rscDefaults: mergedSets(section('rsc_defaults') ?? emptyElement, 'meta_attributes'),
    opDefaults: mergedSets(section('op_defaults') ?? emptyElement, 'meta_attributes'),
    fencingTopology,
    alerts,
  };
}

const emptyElement: XmlElement = { type: 'element', name: '', attrs: [], children: [] };
