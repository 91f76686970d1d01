/**
 * Fencing topology and alerts with pcs's ids (pcs/lib/cib/fencing_topology.py, pcs/lib/cib/alert.py):
 * `pcs stonith level add|delete|clear`, `pcs alert create|update|remove`, `pcs alert recipient add|update|remove`.
 */
import { Cib, CibError, checkId } from './cib';
import { attr, childElements, el, removeChild, setAttr, type XmlElement } from './xml';

/**
 * A fencing-level target as pcs spells it: NODE, %NODE or node%NODE; regexp%PATTERN
 * (target-pattern); attrib%NAME=VALUE (target-attribute, target-value).
 */
export type LevelTarget = { kind: 'node'; node: string } | { kind: 'pattern'; pattern: string } | { kind: 'attribute'; name: string; value: string };

export function parseLevelTarget(text: string): LevelTarget {
  const percent = text.indexOf('%');
  const kind = percent < 0 ? 'node' : text.slice(0, percent);
  const rest = percent < 0 ? text : text.slice(percent + 1);
  if (kind === 'node' || kind === '') return { kind: 'node', node: rest };
  if (kind === 'regexp') return { kind: 'pattern', pattern: rest };
  if (kind === 'attrib') {
    const eq = rest.indexOf('=');
    if (eq <= 0 || eq === rest.length - 1) throw new CibError('PCMK_BAD_LEVEL', `missing value of '${rest}' option`, { element: 'fencing-level', target: text });
    return { kind: 'attribute', name: rest.slice(0, eq), value: rest.slice(eq + 1) };
  }
  throw new CibError('PCMK_BAD_LEVEL', `'${kind}' is not a fencing-level target type (node, regexp, attrib)`, { element: 'fencing-level', target: text });
}

function targetAttributes(target: LevelTarget): Record<string, string> {
  if (target.kind === 'node') return { target: target.node };
  if (target.kind === 'pattern') return { 'target-pattern': target.pattern };
  return { 'target-attribute': target.name, 'target-value': target.value };
}

const targetLabel = (t: LevelTarget): string => (t.kind === 'node' ? t.node : t.kind === 'pattern' ? t.pattern : `${t.name}=${t.value}`);

/** Levels matching what is given (pcs's remove_levels_by_params): index, target, exact device list. */
function matchingLevels(cib: Cib, match: { index?: string; target?: LevelTarget; devices?: string[] }): XmlElement[] {
  const wanted = match.target ? targetAttributes(match.target) : undefined;
  const keys = ['target', 'target-pattern', 'target-attribute', 'target-value'];
  return childElements(cib.section('fencing-topology'), 'fencing-level').filter(
    (level) =>
      (match.index === undefined || attr(level, 'index') === match.index) &&
      (wanted === undefined || keys.every((k) => attr(level, k) === wanted[k])) &&
      (match.devices === undefined || attr(level, 'devices') === match.devices.join(',')),
  );
}

function checkDevices(devices: string[]): void {
  for (const device of devices) {
    if (device.includes(',')) throw new CibError('PCMK_BAD_LEVEL', `invalid stonith id '${device}', ',' is not a valid character for a stonith id`, { element: 'fencing-level', device });
  }
}

/** `pcs stonith level add INDEX TARGET DEVICE...`: id fl-TARGET-INDEX (the attribute name for attrib%). */
export function fencingLevelAdd(cib: Cib, index: number, target: string | LevelTarget, devices: string[]): string {
  if (!Number.isInteger(index) || index < 1 || index > 9) throw new CibError('PCMK_BAD_LEVEL', `fencing level index must be an integer 1..9, got ${index}`, { element: 'fencing-level', index });
  if (!devices.length) throw new CibError('PCMK_BAD_LEVEL', 'a fencing level needs at least one device', { element: 'fencing-level' });
  const parsed = typeof target === 'string' ? parseLevelTarget(target) : target;
  for (const device of devices) {
    const element = cib.resourceElement(device);
    if (!element || attr(element, 'class') !== 'stonith') throw new CibError('PCMK_NOT_FOUND', `stonith device '${device}' does not exist`, { element: 'fencing-level', device });
  }
  if (matchingLevels(cib, { index: String(index), target: parsed, devices }).length) {
    throw new CibError('PCMK_ID_EXISTS', `fencing level for '${targetLabel(parsed)}' at level '${index}' with device(s) '${devices.join(',')}' already exists`, { element: 'fencing-level', index });
  }
  const idPart = parsed.kind === 'node' ? parsed.node : parsed.kind === 'pattern' ? parsed.pattern : parsed.name;
  const id = cib.uniqueId(`fl-${idPart}-${index}`);
  cib.section('fencing-topology').children.push(el('fencing-level', { index: String(index), devices: devices.join(','), ...targetAttributes(parsed), id }));
  return id;
}

/** `pcs stonith level delete|remove INDEX [target T] [stonith DEVICE...]`: every matching level; none is an error. */
export function fencingLevelRemove(cib: Cib, index: number | string, options: { target?: string; devices?: string[] } = {}): string[] {
  if (options.devices) checkDevices(options.devices);
  const target = options.target === undefined ? undefined : parseLevelTarget(options.target);
  const levels = matchingLevels(cib, { index: String(index), target, devices: options.devices });
  if (!levels.length) {
    const what = [target ? ` for '${targetLabel(target)}'` : '', ` at level '${index}'`, options.devices ? ` with device(s) '${options.devices.join(',')}'` : ''].join('');
    throw new CibError('PCMK_NOT_FOUND', `fencing level${what} does not exist`, { element: 'fencing-level', index: String(index) });
  }
  return removeLevels(cib, levels);
}

/** `pcs stonith level clear [target T | stonith DEVICE...]`: all levels, or those of a target or an exact device list. */
export function fencingLevelClear(cib: Cib, options: { target?: string; devices?: string[] } = {}): string[] {
  if (options.devices) checkDevices(options.devices);
  const target = options.target === undefined ? undefined : parseLevelTarget(options.target);
  const levels = matchingLevels(cib, { target, devices: options.devices });
  if (!levels.length && (target || options.devices)) {
    const what = target ? `for '${targetLabel(target)}'` : `with device(s) ${options.devices!.map((d) => `'${d}'`).join(', ')}`;
    throw new CibError('PCMK_NOT_FOUND', `fencing level ${what} does not exist`, { element: 'fencing-level' });
  }
  return removeLevels(cib, levels);
}

function removeLevels(cib: Cib, levels: XmlElement[]): string[] {
  const topology = cib.section('fencing-topology');
  for (const level of levels) removeChild(topology, level);
  return levels.map((level) => attr(level, 'id') ?? '');
}

function sets(cib: Cib, owner: string, element: XmlElement, meta: Record<string, string> | undefined, instance: Record<string, string> | undefined): void {
  for (const [tag, values] of [['meta_attributes', meta], ['instance_attributes', instance]] as const) {
    const pairs = Object.entries(values ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (!pairs.length) continue;
    const setId = cib.uniqueId(`${owner}-${tag}`);
    const reserved = new Set([setId]);
    element.children.push(el(tag, { id: setId }, pairs.map(([name, value]) => el('nvpair', { id: cib.uniqueId(`${setId}-${name}`, reserved), name, value }))));
  }
}

export interface AlertOptions {
  id?: string;
  description?: string;
  /** pcs "options": instance attributes passed to the alert agent. */
  options?: Record<string, string>;
  meta?: Record<string, string>;
}

/** `pcs alert create path=P [id=I] [description=D] [options ...] [meta ...]`. */
export function alertCreate(cib: Cib, path: string, options: AlertOptions = {}): string {
  if (!path) throw new CibError('PCMK_BAD_ALERT', 'an alert needs a path', { element: 'alert' });
  if (options.id && cib.findById(checkId(options.id))) throw new CibError('PCMK_ID_EXISTS', `id '${options.id}' already exists in the CIB`, { id: options.id, element: 'alert' });
  const id = options.id ?? cib.uniqueId('alert');
  const alert = el('alert', { id, path, description: options.description });
  // Reserve the id before nested ids are made: the element is not in the tree yet.
  cib.section('alerts').children.push(alert);
  sets(cib, id, alert, options.meta, options.options);
  return id;
}

/** `pcs alert recipient add ALERT value=V [id=I] ...`. */
export function alertRecipientAdd(cib: Cib, alertId: string, value: string, options: AlertOptions = {}): string {
  const alert = childElements(cib.section('alerts'), 'alert').find((a) => attr(a, 'id') === alertId);
  if (!alert) throw new CibError('PCMK_NOT_FOUND', `alert '${alertId}' does not exist`, { element: 'alert', id: alertId });
  if (childElements(alert, 'recipient').some((r) => attr(r, 'value') === value)) throw new CibError('PCMK_ID_EXISTS', `alert '${alertId}' already has recipient '${value}'`, { element: 'recipient', value });
  const id = options.id ? checkId(options.id) : cib.uniqueId(`${alertId}-recipient`);
  const recipient = el('recipient', { id, value, description: options.description });
  alert.children.push(recipient);
  sets(cib, id, recipient, options.meta, options.options);
  return id;
}

function findAlert(cib: Cib, alertId: string): XmlElement {
  const alert = childElements(cib.section('alerts'), 'alert').find((a) => attr(a, 'id') === alertId);
  if (!alert) throw new CibError('PCMK_NOT_FOUND', `alert '${alertId}' does not exist`, { element: 'alert', id: alertId });
  return alert;
}

function findRecipient(cib: Cib, recipientId: string): { alert: XmlElement; recipient: XmlElement } {
  for (const alert of childElements(cib.section('alerts'), 'alert')) {
    const recipient = childElements(alert, 'recipient').find((r) => attr(r, 'id') === recipientId);
    if (recipient) return { alert, recipient };
  }
  throw new CibError('PCMK_NOT_FOUND', `recipient '${recipientId}' does not exist`, { element: 'recipient', id: recipientId });
}

/** pcs's update of an alert or recipient: attributes replaced (empty removes), nvpairs updated in place (empty removes, the set stays). */
function updateElement(cib: Cib, element: XmlElement, top: Record<string, string | undefined>, options: AlertOptions): void {
  for (const [name, value] of Object.entries(top)) if (value !== undefined) setAttr(element, name, value === '' ? undefined : value);
  const owner = attr(element, 'id')!;
  for (const [tag, values] of [['meta_attributes', options.meta], ['instance_attributes', options.options]] as const) {
    for (const [name, value] of Object.entries(values ?? {})) cib.setNvpair(element, tag, `${owner}-${tag}`, name, value === '' ? undefined : value);
  }
}

/** `pcs alert update ALERT [path=P] [description=D] [options ...] [meta ...]`. */
export function alertUpdate(cib: Cib, alertId: string, update: AlertOptions & { path?: string }): void {
  const alert = findAlert(cib, alertId);
  if (update.path === '') throw new CibError('PCMK_BAD_ALERT', 'an alert needs a path', { element: 'alert', id: alertId });
  updateElement(cib, alert, { path: update.path, description: update.description }, update);
}

/** `pcs alert remove ALERT...` (the alerts section stays, as pcs leaves it). */
export function alertRemove(cib: Cib, alertId: string): void {
  removeChild(cib.section('alerts'), findAlert(cib, alertId));
}

/** `pcs alert recipient update RECIPIENT [value=V] [description=D] [options ...] [meta ...]`. */
export function alertRecipientUpdate(cib: Cib, recipientId: string, update: AlertOptions & { value?: string }): void {
  const { alert, recipient } = findRecipient(cib, recipientId);
  if (update.value !== undefined && update.value !== attr(recipient, 'value') && childElements(alert, 'recipient').some((r) => attr(r, 'value') === update.value)) {
    throw new CibError('PCMK_ID_EXISTS', `alert '${attr(alert, 'id')}' already has recipient '${update.value}'`, { element: 'recipient', value: update.value });
  }
  if (update.value === '') throw new CibError('PCMK_BAD_ALERT', 'a recipient needs a value', { element: 'recipient', id: recipientId });
  updateElement(cib, recipient, { value: update.value, description: update.description }, update);
}

/** `pcs alert recipient remove RECIPIENT...`. */
export function alertRecipientRemove(cib: Cib, recipientId: string): void {
  const { alert, recipient } = findRecipient(cib, recipientId);
  removeChild(alert, recipient);
}
