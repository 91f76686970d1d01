/**
 * A CIB document: the XML tree (kept whole, so nothing is lost) plus the helpers every edit
 * needs: sections, pcs-style id allocation, nvsets, score checks and the feature-set gate.
 */
import { HakitError } from '../errors';
import { readModel, type CibModel, type CibVersion } from './model';
import { attr, childElements, el, firstChild, parseXml, serializeXml, setAttr, walk, type XmlDocument, type XmlElement } from './xml';

export class CibError extends HakitError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
    this.name = 'CibError';
  }
}

/** The crm_feature_set Pacemaker 2.1.5 (Debian 12) writes; `Cib.empty()` uses it by default. */
export const DEFAULT_FEATURE_SET = '3.16.1';
export const DEFAULT_VALIDATE_WITH = 'pacemaker-3.9';

const SECTION_ORDER = ['crm_config', 'nodes', 'resources', 'constraints', 'fencing-topology', 'op_defaults', 'rsc_defaults', 'acls', 'tags', 'alerts'];

export class Cib {
  readonly doc: XmlDocument;

  constructor(doc: XmlDocument) {
    if (doc.root.name !== 'cib') throw new CibError('PCMK_NOT_CIB', `root element is <${doc.root.name}>, expected <cib>`, { element: doc.root.name });
    this.doc = doc;
  }

  static parse(xml: string): Cib {
    return new Cib(parseXml(xml));
  }

  /** What `cibadmin --empty` prints. */
  static empty(options: { featureSet?: string; validateWith?: string } = {}): Cib {
    return Cib.parse(
      `<cib crm_feature_set="${options.featureSet ?? DEFAULT_FEATURE_SET}" validate-with="${options.validateWith ?? DEFAULT_VALIDATE_WITH}" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`,
    );
  }

  get root(): XmlElement {
    return this.doc.root;
  }

  toXml(): string {
    return serializeXml(this.doc);
  }

  model(): CibModel {
    return readModel(this.doc.root);
  }

  clone(): Cib {
    return Cib.parse(this.toXml());
  }

  get version(): CibVersion {
    const n = (name: string) => Number(attr(this.root, name) ?? '0');
    return { adminEpoch: n('admin_epoch'), epoch: n('epoch'), numUpdates: n('num_updates') };
  }

  /** What cibadmin does on a file after a configuration change: epoch+1, num_updates=0. */
  bumpEpoch(): void {
    setAttr(this.root, 'epoch', String(this.version.epoch + 1));
    setAttr(this.root, 'num_updates', '0');
  }

  get configuration(): XmlElement {
    let configuration = firstChild(this.root, 'configuration');
    if (!configuration) {
      configuration = el('configuration');
      this.root.children.unshift(configuration);
    }
    return configuration;
  }

  /** A configuration section, created in schema order when missing. */
  section(name: string): XmlElement {
    const configuration = this.configuration;
    const existing = firstChild(configuration, name);
    if (existing) return existing;
    const created = el(name);
    const rank = SECTION_ORDER.indexOf(name);
    const children = configuration.children;
    let index = children.length;
    for (let i = 0; i < children.length; i++) {
      const child = children[i]!;
      if (child.type === 'element' && SECTION_ORDER.indexOf(child.name) > rank) {
        index = i;
        break;
      }
    }
    children.splice(index, 0, created);
    return created;
  }

  /** Every element with an id inside <configuration> (pcs only counts those). */
  findById(id: string): XmlElement | undefined {
    for (const { element } of walk(this.configuration)) if (attr(element, 'id') === id && element.name !== 'resource_ref') return element;
    return undefined;
  }

  parentOf(target: XmlElement): XmlElement | undefined {
    for (const { element, parent } of walk(this.root)) if (element === target) return parent;
    return undefined;
  }

  idExists(id: string, reserved?: Set<string>): boolean {
    return (reserved?.has(id) ?? false) || this.findById(id) !== undefined;
  }

  /** pcs's find_unique_id: the id, or id-1, id-2, ... (pcs/lib/cib/tools.py). */
  uniqueId(proposed: string, reserved?: Set<string>): string {
    const base = sanitizeId(proposed);
    let candidate = base;
    for (let counter = 1; this.idExists(candidate, reserved); counter++) candidate = `${base}-${counter}`;
    reserved?.add(candidate);
    return candidate;
  }

  /** A resource element (primitive, group, clone, master, bundle) by id. */
  resourceElement(id: string): XmlElement | undefined {
    const resources = firstChild(this.configuration, 'resources');
    if (!resources) return undefined;
    for (const { element } of walk(resources)) if (['primitive', 'group', 'clone', 'master', 'bundle'].includes(element.name) && attr(element, 'id') === id) return element;
    return undefined;
  }

  requireResource(id: string): XmlElement {
    const element = this.resourceElement(id);
    if (!element) throw new CibError('PCMK_NOT_FOUND', `resource '${id}' does not exist`, { element: 'resource', id });
    return element;
  }

  nodeElement(name: string): XmlElement | undefined {
    return childElements(this.section('nodes'), 'node').find((n) => attr(n, 'uname') === name || attr(n, 'id') === name);
  }

  /**
   * Sets (or with undefined removes) name=value in the first nvset `tag` of parent, creating the
   * set with id `setId` when needed. Returns the nvpair element or undefined when removed.
   */
  setNvpair(parent: XmlElement, tag: string, setId: string, name: string, value: string | undefined, options: { prepend?: boolean; removeEmptySet?: boolean } = {}): void {
    let set = childElements(parent, tag)[0];
    if (!set) {
      if (value === undefined) return;
      set = el(tag, { id: this.uniqueId(setId) });
      if (options.prepend) parent.children.unshift(set);
      else parent.children.push(set);
    }
    const pair = childElements(set, 'nvpair').find((p) => attr(p, 'name') === name);
    if (value === undefined) {
      if (pair) set.children.splice(set.children.indexOf(pair), 1);
      if (options.removeEmptySet && childElements(set).length === 0) parent.children.splice(parent.children.indexOf(set), 1);
      return;
    }
    if (pair) setAttr(pair, 'value', value);
    else set.children.push(el('nvpair', { id: this.uniqueId(`${attr(set, 'id')}-${name}`), name, value }));
  }

  /** Refuses a CIB the installed tools cannot handle ("Protocol not supported"). */
  checkFeatureSet(installed: string): void {
    const mine = attr(this.root, 'crm_feature_set');
    if (mine !== undefined && compareVersions(mine, installed) > 0) {
      throw new CibError('PCMK_FEATURE_SET', `CIB crm_feature_set ${mine} is newer than the installed Pacemaker supports (${installed}): the tools would answer "Protocol not supported"`, {
        element: 'cib',
        attribute: 'crm_feature_set',
        cib: mine,
        installed,
      });
    }
  }
}

/** pcs's sanitize_id (pcs/lib/pacemaker/values.py): drop characters an XML ID cannot hold. */
export function sanitizeId(candidate: string): string {
  if (!candidate) return candidate;
  const first = /[a-zA-Z_]/.test(candidate[0]!) ? candidate[0]! : '';
  return first + candidate.slice(1).replace(/[^a-zA-Z0-9_.-]/g, '');
}

/** Pacemaker's id rule (XML NCName as pcs checks it): first char letter or _, then [\w.-]. */
export function checkId(id: string, what = 'id'): string {
  if (!/^[a-zA-Z_][a-zA-Z0-9_.-]*$/.test(id)) throw new CibError('PCMK_BAD_ID', `invalid ${what} '${id}': an id starts with a letter or _ and holds only letters, digits, _ . -`, { id, what });
  return id;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Pacemaker's score grammar: an integer, INFINITY, +INFINITY, -INFINITY (case-insensitive). */
export function checkScore(score: string, element = 'score'): string {
  if (!/^[+-]?(\d+|INFINITY)$/i.test(score)) {
    throw new CibError('PCMK_BAD_SCORE', `invalid score '${score}' for ${element}: expected an integer, INFINITY or -INFINITY`, { element, score });
  }
  return score;
}

/** Numeric value of a score, with INFINITY as 1e6 as Pacemaker counts it. */
export function scoreValue(score: string): number {
  const s = score.toUpperCase();
  if (s === 'INFINITY' || s === '+INFINITY') return 1_000_000;
  if (s === '-INFINITY') return -1_000_000;
  return Math.max(-1_000_000, Math.min(1_000_000, Number(s)));
}
