/**
 * Fencing topology and alerts with pcs's ids (pcs/lib/cib/fencing_topology.py, pcs/lib/cib/alert.py):
 * `pcs stonith level add`, `pcs alert create`, `pcs alert recipient add`.
 */
import { Cib, CibError, checkId } from './cib';
import { attr, childElements, el, type XmlElement } from './xml';

/** `pcs stonith level add INDEX TARGET DEVICE...`: id fl-TARGET-INDEX. */
export function fencingLevelAdd(cib: Cib, index: number, target: string, devices: string[]): string {
  if (!Number.isInteger(index) || index < 1 || index > 9) throw new CibError('PCMK_BAD_LEVEL', `fencing level index must be an integer 1..9, got ${index}`, { element: 'fencing-level', index });
  if (!devices.length) throw new CibError('PCMK_BAD_LEVEL', 'a fencing level needs at least one device', { element: 'fencing-level' });
  for (const device of devices) {
    const element = cib.resourceElement(device);
    if (!element || attr(element, 'class') !== 'stonith') throw new CibError('PCMK_NOT_FOUND', `stonith device '${device}' does not exist`, { element: 'fencing-level', device });
  }
  const topology = cib.section('fencing-topology');
  if (childElements(topology, 'fencing-level').some((l) => attr(l, 'target') === target && attr(l, 'index') === String(index))) {
    throw new CibError('PCMK_ID_EXISTS', `fencing level ${index} for ${target} already exists`, { element: 'fencing-level', target, index });
  }
  const id = cib.uniqueId(`fl-${target}-${index}`);
  topology.children.push(el('fencing-level', { index: String(index), devices: devices.join(','), target, id }));
  return id;
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
