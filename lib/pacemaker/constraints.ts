/**
 * Constraint operations with pcs's ids (pcs/constraint.py, pcs/lib/cib/constraint/*) and
 * crm_resource's move/ban/clear (pacemaker tools/crm_resource_ban.c: cli-prefer-RSC,
 * cli-ban-RSC-on-NODE, a date_expression for the lifetime), plus the checks pcs and the
 * scheduler would otherwise only report late: scores, targets, order cycles.
 */
import { Cib, CibError, checkId, checkScore } from './cib';
import { readConstraint, type OrderConstraint } from './model';
import { attr, childElements, el, firstChild, removeChild, type XmlElement } from './xml';

/** A resource usable in a constraint: exists, and is not the inside of a clone (pcs refuses). */
function constraintTarget(cib: Cib, id: string, force = false): XmlElement {
  const element = cib.requireResource(id);
  const parent = cib.parentOf(element)!;
  if (!force && (parent.name === 'clone' || parent.name === 'master')) {
    throw new CibError('PCMK_BAD_TARGET', `${id} is a clone resource, you should use the clone id: ${attr(parent, 'id')} when adding constraints`, { id, element: parent.name, clone: attr(parent, 'id') });
  }
  return element;
}

function normalizeScore(score: string): string {
  checkScore(score);
  return score.startsWith('+') ? score.slice(1) : score;
}

export interface LocationOptions {
  role?: string;
  resourceDiscovery?: 'always' | 'never' | 'exclusive';
  /** ISO 8601 duration (PT1H) or seconds: the constraint then expires (a rule with a date_expression). */
  lifetime?: string;
  id?: string;
  force?: boolean;
}

/** `pcs constraint location RSC prefers NODE[=SCORE]` (avoids: a negated score). */
export function locationAdd(cib: Cib, rsc: string, node: string, score = 'INFINITY', options: LocationOptions = {}): string {
  constraintTarget(cib, rsc, options.force);
  const value = normalizeScore(score);
  const id = options.id ? checkId(options.id) : cib.uniqueId(`location-${rsc}-${node}-${value}`);
  if (options.id && cib.findById(id)) throw new CibError('PCMK_ID_EXISTS', `id '${id}' already exists in the CIB`, { id, element: 'rsc_location' });
  let element: XmlElement;
  if (options.lifetime) {
    element = el('rsc_location', { id, rsc, role: options.role, 'resource-discovery': options.resourceDiscovery }, [lifetimeRule(idsAfter(id), node, value, options.lifetime)]);
  } else {
    element = el('rsc_location', { id, rsc, node, score: value, role: options.role, 'resource-discovery': options.resourceDiscovery });
  }
  cib.section('constraints').children.push(element);
  return id;
}

export function locationAvoids(cib: Cib, rsc: string, node: string, score = 'INFINITY', options: LocationOptions = {}): string {
  const value = normalizeScore(score);
  const negated = value.startsWith('-') ? value.slice(1) : `-${value}`;
  return locationAdd(cib, rsc, node, negated, options);
}

export interface RuleExpression {
  attribute: string;
  operation: 'eq' | 'ne' | 'lt' | 'gt' | 'lte' | 'gte' | 'defined' | 'not_defined';
  value?: string;
  type?: 'string' | 'integer' | 'number' | 'version';
}

/** `pcs constraint location RSC rule [score=S|score-attribute=A] EXPR [and|or EXPR]`. */
export function locationRule(cib: Cib, rsc: string, rule: { score?: string; scoreAttribute?: string; booleanOp?: 'and' | 'or'; expressions: RuleExpression[]; dateEnd?: string; role?: string }, options: { id?: string; force?: boolean } = {}): string {
  constraintTarget(cib, rsc, options.force);
  if (!rule.expressions.length && !rule.dateEnd) throw new CibError('PCMK_BAD_RULE', `location rule for '${rsc}' has no expression`, { element: 'rule', rsc });
  const id = options.id ? checkId(options.id) : cib.uniqueId(`location-${rsc}`);
  const reserved = new Set([id]);
  const ruleId = cib.uniqueId(`${id}-rule`, reserved);
  const count = rule.expressions.length + (rule.dateEnd ? 1 : 0);
  const ruleElement = el('rule', { id: ruleId, 'boolean-op': count > 1 ? (rule.booleanOp ?? 'and') : undefined });
  if (rule.scoreAttribute) ruleElement.attrs.push(['score-attribute', rule.scoreAttribute]);
  else ruleElement.attrs.push(['score', normalizeScore(rule.score ?? 'INFINITY')]);
  if (rule.role) ruleElement.attrs.push(['role', rule.role]);
  for (const expression of rule.expressions) {
    ruleElement.children.push(el('expression', { id: cib.uniqueId(`${ruleId}-expr`, reserved), operation: expression.operation, attribute: expression.attribute, value: expression.value, type: expression.type }));
  }
  if (rule.dateEnd) ruleElement.children.push(el('date_expression', { id: cib.uniqueId(`${ruleId}-expr`, reserved), operation: 'lt', end: rule.dateEnd }));
  cib.section('constraints').children.push(el('rsc_location', { id, rsc }, [ruleElement]));
  return id;
}

export interface ColocationOptions {
  rscRole?: string;
  withRscRole?: string;
  id?: string;
  force?: boolean;
}

/** `pcs constraint colocation add RSC with WITH [SCORE]`: RSC is placed relative to WITH. */
export function colocationAdd(cib: Cib, rsc: string, withRsc: string, score = 'INFINITY', options: ColocationOptions = {}): string {
  constraintTarget(cib, rsc, options.force);
  constraintTarget(cib, withRsc, options.force);
  if (rsc === withRsc) throw new CibError('PCMK_CONSTRAINT_CYCLE', `cannot colocate '${rsc}' with itself`, { element: 'rsc_colocation', rsc });
  const value = normalizeScore(score);
  const id = options.id ? checkId(options.id) : cib.uniqueId(`colocation-${rsc}-${withRsc}-${value}`);
  cib.section('constraints').children.push(el('rsc_colocation', { rsc, 'with-rsc': withRsc, score: value, 'rsc-role': options.rscRole, 'with-rsc-role': options.withRscRole, id }));
  return id;
}

export interface OrderOptions {
  firstAction?: 'start' | 'stop' | 'promote' | 'demote';
  thenAction?: 'start' | 'stop' | 'promote' | 'demote';
  kind?: 'Mandatory' | 'Optional' | 'Serialize';
  symmetrical?: boolean;
  id?: string;
  force?: boolean;
}

/** `pcs constraint order [ACTION] FIRST then [ACTION] THEN [kind=K] [symmetrical=B]`. */
export function orderAdd(cib: Cib, first: string, then: string, options: OrderOptions = {}): string {
  const a = constraintTarget(cib, first, options.force);
  const b = constraintTarget(cib, then, options.force);
  const pa = cib.parentOf(a)!;
  if (pa.name === 'group' && pa === cib.parentOf(b)) throw new CibError('PCMK_BAD_TARGET', 'Cannot create an order constraint for resources in the same group', { element: 'rsc_order', first, then });
  if (first === then) throw new CibError('PCMK_CONSTRAINT_CYCLE', `cannot order '${first}' after itself`, { element: 'rsc_order', first });
  const element = el('rsc_order', { first, then, 'first-action': options.firstAction ?? 'start', 'then-action': options.thenAction ?? 'start' });
  if (options.kind) element.attrs.push(['kind', options.kind]);
  if (options.symmetrical !== undefined) element.attrs.push(['symmetrical', String(options.symmetrical)]);
  const id = options.id ? checkId(options.id) : cib.uniqueId(`order-${first}-${then}-${options.kind ?? 'mandatory'}`);
  element.attrs.push(['id', id]);
  // Refuse what would make a cycle before it reaches the scheduler.
  const cycle = findOrderCycle([...orderEdges(cib), { id, first, then, firstAction: options.firstAction ?? 'start', thenAction: options.thenAction ?? 'start', mandatory: (options.kind ?? 'Mandatory') === 'Mandatory' }]);
  if (cycle) throw new CibError('PCMK_CONSTRAINT_CYCLE', `order constraint ${id} would close a cycle: ${cycle.join(' -> ')}`, { element: 'rsc_order', id, cycle });
  cib.section('constraints').children.push(element);
  return id;
}

export interface SetSpec {
  resources: string[];
  options?: Record<string, string>;
}

/** `pcs constraint colocation|order set ...`: ids as pcs's create_id (two letters per resource). */
export function setConstraintAdd(cib: Cib, type: 'colocation' | 'order', sets: SetSpec[], options: Record<string, string> = {}): string {
  if (!sets.length || sets.some((s) => !s.resources.length)) throw new CibError('PCMK_BAD_SET', 'a set constraint needs at least one non-empty set', { element: `rsc_${type}` });
  for (const set of sets) for (const r of set.resources) constraintTarget(cib, r);
  if (options.score !== undefined) options = { ...options, score: normalizeScore(options.score) };
  const all = sets.flatMap((s) => s.resources);
  const idPart = all.map((r) => r[0]! + r[r.length - 1]!).slice(0, 3).join('');
  const id = options.id ?? cib.uniqueId(`${type}_set_${idPart}`);
  const reserved = new Set([id]);
  const element = el(`rsc_${type}`, {});
  for (const [k, v] of Object.entries(options)) if (k !== 'id') element.attrs.push([k, v]);
  element.attrs.push(['id', id]);
  for (const set of sets) {
    const setElement = el('resource_set', {}, set.resources.map((r) => el('resource_ref', { id: r })));
    for (const [k, v] of Object.entries(set.options ?? {})) setElement.attrs.push([k, v]);
    setElement.attrs.push(['id', cib.uniqueId(`${id}_set`, reserved)]);
    element.children.push(setElement);
  }
  cib.section('constraints').children.push(element);
  return id;
}

/** `pcs constraint delete ID` (also a rule's id: the rule goes, and the constraint if emptied). */
export function constraintRemove(cib: Cib, id: string): void {
  const constraints = cib.section('constraints');
  const element = childElements(constraints).find((c) => attr(c, 'id') === id);
  if (element) {
    removeChild(constraints, element);
    return;
  }
  for (const location of childElements(constraints, 'rsc_location')) {
    const rule = childElements(location, 'rule').find((r) => attr(r, 'id') === id);
    if (rule) {
      removeChild(location, rule);
      if (!childElements(location, 'rule').length) removeChild(constraints, location);
      return;
    }
  }
  throw new CibError('PCMK_NOT_FOUND', `constraint '${id}' does not exist`, { element: 'constraint', id });
}

/** ISO 8601 duration (P1DT2H, PT30M) or plain seconds → milliseconds. */
export function parseDuration(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) throw new CibError('PCMK_BAD_LIFETIME', `invalid lifetime '${text}': expected an ISO 8601 duration such as PT1H`, { lifetime: text });
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number, number];
  return ((((y * 365 + mo * 30 + w * 7 + d) * 24 + h) * 60 + mi) * 60 + s) * 1000;
}

/** Pacemaker's date format in constraints: "2026-11-27 10:38:38Z". */
export function formatCibDate(date: Date): string {
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Element ids of a lifetime rule; pcs names them after the constraint, crm_resource --move differently. */
interface LifetimeIds {
  rule: string;
  expr: string;
  lifetime: string;
}
const idsAfter = (prefix: string): LifetimeIds => ({ rule: `${prefix}-rule`, expr: `${prefix}-expr`, lifetime: `${prefix}-lifetime` });

/** A rule true on NODE until now + lifetime: how pcs and crm_resource give a location a lifetime. */
function lifetimeRule(ids: LifetimeIds, node: string, score: string, lifetime: string, now = new Date()): XmlElement {
  const end = formatCibDate(new Date(now.getTime() + parseDuration(lifetime)));
  return el('rule', { id: ids.rule, score, 'boolean-op': 'and' }, [
    el('expression', { id: ids.expr, attribute: '#uname', operation: 'eq', value: node, type: 'string' }),
    el('date_expression', { id: ids.lifetime, operation: 'lt', end }),
  ]);
}

/**
 * `pcs resource move-with-constraint RSC NODE [lifetime=...]` / `crm_resource --move`:
 * a cli-prefer-RSC location (replacing an earlier one). `clear` removes exactly it.
 */
export function resourceMove(cib: Cib, rsc: string, node: string, options: CliLocationOptions = {}): string {
  const id = `cli-prefer-${rsc}`;
  return placeCliLocation(cib, rsc, node, 'INFINITY', id, { rule: `cli-prefer-rule-${rsc}`, expr: `cli-prefer-expr-${rsc}`, lifetime: `cli-prefer-lifetime-end-${rsc}` }, options);
}

/** `pcs resource ban RSC NODE [lifetime=...]` / `crm_resource --ban`: cli-ban-RSC-on-NODE. */
export function resourceBan(cib: Cib, rsc: string, node: string, options: CliLocationOptions = {}): string {
  const id = `cli-ban-${rsc}-on-${node}`;
  return placeCliLocation(cib, rsc, node, '-INFINITY', id, idsAfter(id), options);
}

interface CliLocationOptions {
  lifetime?: string;
  role?: string;
  now?: Date;
}

/**
 * The location constraint crm_resource --move/--ban writes (replacing an earlier one of the same
 * id): a plain node score, or with a lifetime a rule on #uname that ends at now + lifetime.
 */
function placeCliLocation(cib: Cib, rsc: string, node: string, score: string, id: string, ids: LifetimeIds, options: CliLocationOptions): string {
  cib.requireResource(rsc);
  const existing = cib.findById(id);
  if (existing) removeChild(cib.parentOf(existing)!, existing);
  const role = options.role ?? 'Started';
  const element = options.lifetime
    ? el('rsc_location', { id, rsc, role }, [lifetimeRule(ids, node, score, options.lifetime, options.now)])
    : el('rsc_location', { id, rsc, role, node, score });
  cib.section('constraints').children.push(element);
  return id;
}

/** `pcs resource clear RSC [NODE]`: removes the cli-prefer/cli-ban constraints move and ban made, nothing else. */
export function resourceClear(cib: Cib, rsc: string, node?: string): string[] {
  const constraints = firstChild(cib.configuration, 'constraints');
  if (!constraints) return [];
  const removed: string[] = [];
  for (const c of childElements(constraints, 'rsc_location')) {
    const id = attr(c, 'id') ?? '';
    const mine = node === undefined ? id === `cli-prefer-${rsc}` || id.startsWith(`cli-ban-${rsc}-on-`) : id === `cli-ban-${rsc}-on-${node}` || (id === `cli-prefer-${rsc}` && preferredNode(c) === node);
    if (mine && attr(c, 'rsc') === rsc) {
      removeChild(constraints, c);
      removed.push(id);
    }
  }
  return removed;
}

function preferredNode(location: XmlElement): string | undefined {
  const direct = attr(location, 'node');
  if (direct) return direct;
  for (const rule of childElements(location, 'rule')) for (const e of childElements(rule, 'expression')) if (attr(e, 'attribute') === '#uname') return attr(e, 'value');
  return undefined;
}

interface OrderEdge {
  id: string;
  first: string;
  then: string;
  firstAction: string;
  thenAction: string;
  mandatory: boolean;
}

/** The action graph of order constraints (pairs and sequential sets) as (rsc:action) edges. */
export function orderEdges(cib: Cib): OrderEdge[] {
  const edges: OrderEdge[] = [];
  const constraints = firstChild(cib.configuration, 'constraints');
  if (!constraints) return edges;
  for (const element of childElements(constraints, 'rsc_order')) {
    const c = readConstraint(element) as OrderConstraint;
    const mandatory = c.orderKind === 'Mandatory';
    if (c.first && c.then) edges.push({ id: c.id, first: c.first, then: c.then, firstAction: c.firstAction ?? 'start', thenAction: c.thenAction ?? (c.firstAction ?? 'start'), mandatory });
    let previous: string[] = [];
    for (const set of c.sets) {
      const action = set.action ?? 'start';
      if (set.sequential !== false) for (let i = 1; i < set.resources.length; i++) edges.push({ id: c.id, first: set.resources[i - 1]!, then: set.resources[i]!, firstAction: action, thenAction: action, mandatory });
      for (const p of previous) for (const r of set.resources) edges.push({ id: c.id, first: p, then: r, firstAction: action, thenAction: action, mandatory });
      previous = set.sequential === false ? set.resources : set.resources.slice(-1);
    }
  }
  return edges;
}

/** A cycle among actions (e.g. start a → start b → start a), as "rsc:action" steps, or undefined. */
export function findOrderCycle(edges: OrderEdge[]): string[] | undefined {
  const graph = new Map<string, string[]>();
  const add = (from: string, to: string) => {
    const list = graph.get(from) ?? [];
    list.push(to);
    graph.set(from, list);
  };
  for (const e of edges) add(`${e.first}:${e.firstAction}`, `${e.then}:${e.thenAction}`);
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 1);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 1) return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 2);
    return undefined;
  };
  for (const node of graph.keys()) if (!state.has(node)) {
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}
