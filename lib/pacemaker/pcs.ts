/**
 * pcs command lines applied to a Cib: the same words `pcs -f cib.xml ...` takes (pcs 0.11),
 * so a sequence can be replayed on hakit and on pcs and the results compared.
 */
import { Cib, CibError } from './cib';
import * as C from './constraints';
import type { AgentMetadata } from './ocf';
import * as F from './fencing';
import * as R from './resources';

export interface PcsOptions {
  /** Looks up an agent's meta-data (for default operations); missing agent → PCMK_UNKNOWN_AGENT. */
  metadata?: (agent: R.AgentName) => Promise<AgentMetadata | undefined>;
  now?: Date;
}

export interface PcsResult {
  /** Ids created, constraints removed, ...: what pcs prints, as data. */
  created?: string;
  removed?: string[];
}

function usage(message: string): never {
  throw new CibError('PCMK_PCS_USAGE', message, {});
}

function splitPair(arg: string): [string, string] {
  const eq = arg.indexOf('=');
  if (eq <= 0) usage(`expected name=value, got '${arg}'`);
  return [arg.slice(0, eq), arg.slice(eq + 1)];
}

function pairs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const [k, v] = splitPair(a);
    out[k] = v;
  }
  return out;
}

/** Splits `a=1 meta b=2 op monitor interval=10s op start timeout=20s` into its groups. */
function groups(args: string[]): { instance: string[]; meta: string[]; ops: R.OperationSpec[]; flags: Set<string>; named: Record<string, string> } {
  const instance: string[] = [];
  const meta: string[] = [];
  const ops: R.OperationSpec[] = [];
  const flags = new Set<string>();
  const named: Record<string, string> = {};
  let mode: 'instance' | 'meta' | 'op' = 'instance';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) named[a.slice(2, eq)] = a.slice(eq + 1);
      else if (a === '--group' || a === '--after' || a === '--before') named[a.slice(2)] = args[++i] ?? usage(`${a} needs a value`);
      else flags.add(a.slice(2));
    } else if (a === 'meta') mode = 'meta';
    else if (a === 'op') {
      mode = 'op';
      const name = args[++i];
      if (!name || name.includes('=')) usage('op needs an operation name');
      ops.push({ name });
    } else if (mode === 'op') {
      const [k, v] = splitPair(a);
      ops[ops.length - 1]![k] = v;
    } else (mode === 'meta' ? meta : instance).push(a);
  }
  return { instance, meta, ops, flags, named };
}

const ROLES = ['promoted', 'unpromoted', 'started', 'stopped', 'master', 'slave'];
const ACTIONS = ['start', 'stop', 'promote', 'demote'];
const capitalize = (s: string) => s[0]!.toUpperCase() + s.slice(1).toLowerCase();

export async function runPcs(cib: Cib, argv: string[], options: PcsOptions = {}): Promise<PcsResult> {
  const [area, verb, ...rest] = argv;
  const g = () => groups(rest.slice(1));
  switch (`${area} ${verb}`) {
    case 'property set': {
      const force = rest.includes('--force');
      for (const [k, v] of Object.entries(pairs(rest.filter((a) => a !== '--force')))) R.propertySet(cib, k, v, { force });
      return {};
    }
    case 'property unset':
      for (const k of rest) R.propertySet(cib, k, undefined);
      return {};
    case 'stonith create':
    case 'resource create': {
      const id = rest[0] ?? usage('resource create needs an id');
      let agentText = rest[1] ?? usage('resource create needs an agent');
      const parsed = groups(rest.slice(2));
      if (area === 'stonith') agentText = `stonith:${agentText}`;
      else if (agentText.split(':').length === 1) usage(`agent '${agentText}' must be standard:provider:agent`);
      const name = R.parseAgentName(agentText);
      let metadata: AgentMetadata | undefined;
      if (options.metadata) {
        metadata = await options.metadata(name);
        if (!metadata) throw new CibError('PCMK_UNKNOWN_AGENT', `Agent '${agentText}' is not installed or does not provide valid metadata`, { agent: agentText, element: 'primitive', id });
      }
      R.resourceCreate(cib, id, agentText, {
        instance: pairs(parsed.instance),
        meta: pairs(parsed.meta),
        operations: parsed.ops,
        metadata,
        noDefaultOps: parsed.flags.has('no-default-ops'),
        group: parsed.named.group,
        disabled: parsed.flags.has('disabled'),
      });
      if (parsed.flags.has('clone') || parsed.flags.has('promotable')) R.resourceClone(cib, id, { promotable: parsed.flags.has('promotable') });
      return { created: id };
    }
    case 'resource update': {
      const parsed = groups(rest.slice(1));
      R.resourceUpdate(cib, rest[0] ?? usage('resource update needs an id'), { instance: pairs(parsed.instance), meta: pairs(parsed.meta) });
      return {};
    }
    case 'resource meta':
      R.resourceMeta(cib, rest[0] ?? usage('resource meta needs an id'), pairs(rest.slice(1)));
      return {};
    case 'resource delete':
    case 'resource remove':
    case 'stonith delete':
      return { removed: R.resourceDelete(cib, rest[0] ?? usage('delete needs an id')).removedConstraints };
    case 'resource group':
      if (rest[0] !== 'add') usage('only "resource group add" is supported');
      R.groupAdd(cib, rest[1] ?? usage('group add needs a group id'), rest.slice(2));
      return {};
    case 'resource clone':
    case 'resource promotable': {
      const parsed = g();
      const meta = pairs([...parsed.instance, ...parsed.meta]);
      const cloneId = meta['clone-id'] ?? parsed.named['clone-id'];
      delete meta['clone-id'];
      const clone = R.resourceClone(cib, rest[0] ?? usage(`${verb} needs an id`), { meta, promotable: verb === 'promotable', cloneId });
      return { created: clone.attrs.find(([k]) => k === 'id')![1] };
    }
    case 'resource enable':
      for (const id of rest) R.resourceEnable(cib, id);
      return {};
    case 'resource disable':
      for (const id of rest) R.resourceDisable(cib, id);
      return {};
    case 'resource move':
    case 'resource move-with-constraint':
    case 'resource ban': {
      const id = rest[0] ?? usage(`${verb} needs a resource`);
      const node = rest.slice(1).find((a) => !a.includes('=') && !a.startsWith('--'));
      const opts = pairs(rest.slice(1).filter((a) => a.includes('=') && !a.startsWith('--')));
      if (!node) usage(`${verb} needs a node here (no live cluster to choose one)`);
      const made = verb === 'ban' ? C.resourceBan(cib, id, node, { lifetime: opts.lifetime, now: options.now }) : C.resourceMove(cib, id, node, { lifetime: opts.lifetime, now: options.now });
      return { created: made };
    }
    case 'resource clear':
      return { removed: C.resourceClear(cib, rest[0] ?? usage('clear needs a resource'), rest[1]) };
    case 'resource defaults':
      R.defaultsUpdate(cib, 'rsc', pairs(rest[0] === 'update' ? rest.slice(1) : rest));
      return {};
    case 'resource op':
      if (rest[0] !== 'defaults') usage('only "resource op defaults" is supported');
      R.defaultsUpdate(cib, 'op', pairs(rest[1] === 'update' ? rest.slice(2) : rest.slice(1)));
      return {};
    case 'node standby':
    case 'node unstandby':
      for (const n of rest) R.nodeStandby(cib, n, verb === 'standby');
      return {};
    case 'node maintenance':
    case 'node unmaintenance':
      for (const n of rest) R.nodeMaintenance(cib, n, verb === 'maintenance');
      return {};
    case 'stonith level':
      return stonithLevel(cib, rest);
    case 'alert update': {
      const parsed = alertArgs(rest.slice(1));
      F.alertUpdate(cib, rest[0] ?? usage('alert update needs an alert id'), { path: parsed.top.path, description: parsed.top.description, options: parsed.options, meta: parsed.meta });
      return {};
    }
    case 'alert remove':
    case 'alert delete':
      for (const id of rest) F.alertRemove(cib, id);
      return { removed: rest };
    case 'alert create': {
      const parsed = alertArgs(rest);
      const path = parsed.top.path ?? usage('alert create needs path=...');
      return { created: F.alertCreate(cib, path, { id: parsed.top.id, description: parsed.top.description, options: parsed.options, meta: parsed.meta }) };
    }
    case 'alert recipient': {
      if (rest[0] === 'remove' || rest[0] === 'delete') {
        for (const id of rest.slice(1)) F.alertRecipientRemove(cib, id);
        return { removed: rest.slice(1) };
      }
      if (rest[0] === 'update') {
        const parsed = alertArgs(rest.slice(2));
        F.alertRecipientUpdate(cib, rest[1] ?? usage('alert recipient update needs a recipient id'), { value: parsed.top.value, description: parsed.top.description, options: parsed.options, meta: parsed.meta });
        return {};
      }
      if (rest[0] !== 'add') usage('alert recipient add|update|remove');
      const alertId = rest[1] ?? usage('alert recipient add needs an alert id');
      const parsed = alertArgs(rest.slice(2));
      const value = parsed.top.value ?? usage('alert recipient add needs value=...');
      return { created: F.alertRecipientAdd(cib, alertId, value, { id: parsed.top.id, description: parsed.top.description, options: parsed.options, meta: parsed.meta }) };
    }
    case 'constraint location':
      return constraintLocation(cib, rest);
    case 'constraint colocation':
      return constraintColocation(cib, rest);
    case 'constraint order':
      return constraintOrder(cib, rest);
    case 'constraint delete':
    case 'constraint remove':
      for (const id of rest) C.constraintRemove(cib, id);
      return { removed: rest };
    default:
      usage(`unsupported pcs command '${argv.slice(0, 2).join(' ')}'`);
  }
}

/** `stonith level add|delete|remove|clear` with pcs's `target T` / `stonith D...` keywords. */
function stonithLevel(cib: Cib, rest: string[]): PcsResult {
  const [verb, ...args] = rest;
  if (verb === 'add') {
    const target = args[1] ?? usage('stonith level add needs a target');
    return { created: F.fencingLevelAdd(cib, Number(args[0]), target, args.slice(2).flatMap((d) => d.split(','))) };
  }
  const keywords = (list: string[]): { target?: string; devices?: string[] } => {
    const out: { target?: string; devices?: string[] } = {};
    for (let i = 0; i < list.length; i++) {
      if (list[i] === 'target') out.target = list[++i] ?? usage('target needs a value');
      else if (list[i] === 'stonith') (out.devices = list.slice(i + 1)), (i = list.length);
      else usage(`unexpected '${list[i]}': expected target T or stonith DEVICE...`);
    }
    return out;
  };
  if (verb === 'delete' || verb === 'remove') return { removed: F.fencingLevelRemove(cib, args[0] ?? usage(`stonith level ${verb} needs a level`), keywords(args.slice(1))) };
  if (verb === 'clear') return { removed: F.fencingLevelClear(cib, keywords(args)) };
  usage('stonith level add|delete|remove|clear');
}

function alertArgs(args: string[]): { top: Record<string, string>; options: Record<string, string>; meta: Record<string, string> } {
  const out = { top: {} as Record<string, string>, options: {} as Record<string, string>, meta: {} as Record<string, string> };
  let mode: 'top' | 'options' | 'meta' = 'top';
  for (const a of args) {
    if (a === 'options' || a === 'meta') mode = a;
    else Object.assign(out[mode], pairs([a]));
  }
  return out;
}

function constraintLocation(cib: Cib, rest: string[]): PcsResult {
  const [rsc, how, ...targets] = rest;
  if (!rsc || !how) usage('constraint location RSC prefers|avoids|rule ...');
  if (how === 'prefers' || how === 'avoids') {
    let last = '';
    for (const t of targets) {
      const [node, score] = t.includes('=') ? splitPair(t) : [t, 'INFINITY'];
      last = how === 'prefers' ? C.locationAdd(cib, rsc, node, score) : C.locationAvoids(cib, rsc, node, score);
    }
    return { created: last };
  }
  if (how === 'rule') {
    let score: string | undefined;
    let scoreAttribute: string | undefined;
    let i = 0;
    for (; i < targets.length && targets[i]!.includes('='); i++) {
      const [k, v] = splitPair(targets[i]!);
      if (k === 'score') score = v;
      else if (k === 'score-attribute') scoreAttribute = v;
      else usage(`unsupported rule option '${k}'`);
    }
    const expressions: C.RuleExpression[] = [];
    let booleanOp: 'and' | 'or' | undefined;
    let dateEnd: string | undefined;
    const words = targets.slice(i);
    for (let j = 0; j < words.length; ) {
      const w = words[j]!;
      if (w === 'and' || w === 'or') {
        if (booleanOp && booleanOp !== w) usage('mixing and/or needs parentheses (unsupported)');
        booleanOp = w;
        j++;
      } else if (w === 'defined' || w === 'not_defined') {
        expressions.push({ attribute: words[j + 1] ?? usage(`${w} needs an attribute`), operation: w });
        j += 2;
      } else if (w === 'date' && words[j + 1] === 'lt') {
        dateEnd = words[j + 2] ?? usage('date lt needs a date');
        j += 3;
      } else {
        const op = words[j + 1];
        if (!op || !['eq', 'ne', 'lt', 'gt', 'lte', 'gte'].includes(op)) usage(`bad rule expression near '${w}'`);
        expressions.push({ attribute: w, operation: op as C.RuleExpression['operation'], value: words[j + 2] ?? usage(`${op} needs a value`) });
        j += 3;
      }
    }
    return { created: C.locationRule(cib, rsc, { score, scoreAttribute, booleanOp, expressions, dateEnd }) };
  }
  usage(`constraint location: expected prefers, avoids or rule, got '${how}'`);
}

function setArgs(args: string[]): { sets: C.SetSpec[]; options: Record<string, string> } {
  const sets: C.SetSpec[] = [];
  let current: C.SetSpec = { resources: [], options: {} };
  const options: Record<string, string> = {};
  let inOptions = false;
  for (const a of args) {
    if (a === 'set') {
      if (current.resources.length) sets.push(current);
      current = { resources: [], options: {} };
    } else if (a === 'setoptions') inOptions = true;
    else if (inOptions) Object.assign(options, pairs([a]));
    else if (a.includes('=')) Object.assign(current.options!, pairs([a]));
    else current.resources.push(a);
  }
  if (current.resources.length) sets.push(current);
  return { sets, options };
}

function constraintColocation(cib: Cib, rest: string[]): PcsResult {
  const [sub, ...args] = rest;
  if (sub === 'set') {
    const { sets, options } = setArgs(args);
    return { created: C.setConstraintAdd(cib, 'colocation', sets, options) };
  }
  if (sub !== 'add') usage('constraint colocation add|set ...');
  let i = 0;
  let rscRole: string | undefined;
  let withRscRole: string | undefined;
  if (ROLES.includes(args[i]!.toLowerCase())) rscRole = capitalize(args[i++]!);
  const rsc = args[i++] ?? usage('colocation needs a resource');
  if (args[i++] !== 'with') usage("expected 'with'");
  if (args[i] && ROLES.includes(args[i]!.toLowerCase())) withRscRole = capitalize(args[i++]!);
  const withRsc = args[i++] ?? usage('colocation needs a with-resource');
  let score = 'INFINITY';
  let id: string | undefined;
  for (const a of args.slice(i)) {
    if (a === '--') continue;
    if (a.includes('=')) {
      const [k, v] = splitPair(a);
      if (k === 'score') score = v;
      else if (k === 'id') id = v;
      else usage(`unsupported colocation option '${k}'`);
    } else score = a;
  }
  return { created: C.colocationAdd(cib, rsc, withRsc, score, { rscRole, withRscRole, id }) };
}

function constraintOrder(cib: Cib, rest: string[]): PcsResult {
  if (rest[0] === 'set') {
    const { sets, options } = setArgs(rest.slice(1));
    return { created: C.setConstraintAdd(cib, 'order', sets, options) };
  }
  let i = 0;
  let firstAction: C.OrderOptions['firstAction'];
  let thenAction: C.OrderOptions['thenAction'];
  if (ACTIONS.includes(rest[i]!)) firstAction = rest[i++] as C.OrderOptions['firstAction'];
  const first = rest[i++] ?? usage('order needs a first resource');
  if (rest[i++] !== 'then') usage("expected 'then'");
  if (ACTIONS.includes(rest[i]!)) thenAction = rest[i++] as C.OrderOptions['thenAction'];
  const then = rest[i++] ?? usage('order needs a then resource');
  const opts: C.OrderOptions = { firstAction, thenAction };
  for (const a of rest.slice(i)) {
    if (a === 'symmetrical' || a === 'nonsymmetrical') opts.symmetrical = a === 'symmetrical';
    else {
      const [k, v] = splitPair(a);
      if (k === 'kind') opts.kind = capitalize(v) as C.OrderOptions['kind'];
      else if (k === 'symmetrical') opts.symmetrical = ['true', 'yes', 'on', '1'].includes(v.toLowerCase());
      else if (k === 'id') opts.id = v;
      else usage(`unsupported order option '${k}'`);
    }
  }
  return { created: C.orderAdd(cib, first, then, opts) };
}
