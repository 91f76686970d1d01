/**
 * A small order-preserving XML tree for CIB documents: elements keep their attribute order,
 * comments, processing instructions and text, so a parse → serialize round trip loses nothing
 * Pacemaker wrote (unknown elements and attributes included). No DTDs, no namespaces beyond
 * keeping prefixed names as they are. Reference for the grammar: XML 1.0 (W3C REC-xml).
 */
import { HakitError } from '../errors';

export interface XmlElement {
  type: 'element';
  name: string;
  /** Attribute order is preserved. */
  attrs: Array<[string, string]>;
  children: XmlNode[];
}
export interface XmlText {
  type: 'text';
  text: string;
}
export interface XmlComment {
  type: 'comment';
  text: string;
}
export interface XmlOther {
  /** Processing instruction, CDATA or declaration kept verbatim. */
  type: 'raw';
  text: string;
}
export type XmlNode = XmlElement | XmlText | XmlComment | XmlOther;

export interface XmlDocument {
  /** Nodes before the root element (declaration, comments). */
  prolog: XmlNode[];
  root: XmlElement;
  epilog: XmlNode[];
}

/** Thrown for malformed XML: details name the line, column and the element being read. */
export class XmlError extends HakitError {
  constructor(message: string, details: { line: number; column: number; offset: number; element?: string }) {
    super('PCMK_XML_PARSE', `${message} at line ${details.line}, column ${details.column}${details.element ? ` (in <${details.element}>)` : ''}`, details);
    this.name = 'XmlError';
  }
}

const NAME_START = /[A-Za-z_:\u00C0-\uFFFF]/;
const NAME_CHAR = /[A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]/;

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function parseXml(source: string): XmlDocument {
  let pos = 0;
  const stack: XmlElement[] = [];
  const prolog: XmlNode[] = [];
  const epilog: XmlNode[] = [];
  let root: XmlElement | undefined;

  const where = (offset = pos) => {
    let line = 1;
    let col = 1;
    for (let i = 0; i < offset && i < source.length; i++) {
      if (source.charCodeAt(i) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    return { line, column: col, offset, element: stack.length ? stack[stack.length - 1]!.name : undefined };
  };
  const fail = (message: string, offset = pos): never => {
    throw new XmlError(message, where(offset));
  };
  const decode = (text: string, start: number): string =>
    text.replace(/&([^;&\s]*);?/g, (match, body: string, index: number) => {
      if (!match.endsWith(';')) fail(`unterminated entity reference '${match}'`, start + index);
      if (body.startsWith('#x') || body.startsWith('#X')) {
        const code = parseInt(body.slice(2), 16);
        if (!/^[0-9a-fA-F]+$/.test(body.slice(2)) || code > 0x10ffff) fail(`bad character reference '&${body};'`, start + index);
        return String.fromCodePoint(code);
      }
      if (body.startsWith('#')) {
        const code = Number(body.slice(1));
        if (!/^[0-9]+$/.test(body.slice(1)) || code > 0x10ffff) fail(`bad character reference '&${body};'`, start + index);
        return String.fromCodePoint(code);
      }
      const value = ENTITIES[body];
      if (value === undefined) fail(`unknown entity '&${body};'`, start + index);
      return value!;
    });
  const readName = (): string => {
    const start = pos;
    if (!NAME_START.test(source[pos] ?? '')) fail(`expected a name, found ${JSON.stringify(source[pos] ?? 'end of input')}`);
    pos++;
    while (pos < source.length && NAME_CHAR.test(source[pos]!)) pos++;
    return source.slice(start, pos);
  };
  const skipSpace = () => {
    while (pos < source.length && /\s/.test(source[pos]!)) pos++;
  };
  const append = (node: XmlNode) => {
    if (stack.length) stack[stack.length - 1]!.children.push(node);
    else if (node.type === 'text' && node.text.trim() !== '') fail('text outside the root element');
    else if (node.type !== 'text' && node.type !== 'element') (root ? epilog : prolog).push(node);
  };

  while (pos < source.length) {
    const lt = source.indexOf('<', pos);
    if (lt !== pos) {
      const end = lt < 0 ? source.length : lt;
      const raw = source.slice(pos, end);
      append({ type: 'text', text: decode(raw, pos) });
      pos = end;
      continue;
    }
    if (source.startsWith('<!--', pos)) {
      const end = source.indexOf('-->', pos + 4);
      if (end < 0) fail('unterminated comment');
      append({ type: 'comment', text: source.slice(pos + 4, end) });
      pos = end + 3;
    } else if (source.startsWith('<![CDATA[', pos)) {
      const end = source.indexOf(']]>', pos);
      if (end < 0) fail('unterminated CDATA section');
      if (!stack.length) fail('CDATA outside the root element');
      append({ type: 'text', text: source.slice(pos + 9, end) });
      pos = end + 3;
    } else if (source.startsWith('<?', pos)) {
      const end = source.indexOf('?>', pos);
      if (end < 0) fail('unterminated processing instruction');
      append({ type: 'raw', text: source.slice(pos, end + 2) });
      pos = end + 2;
    } else if (source.startsWith('<!', pos)) {
      if (stack.length) fail('declaration inside an element');
      const end = source.indexOf('>', pos);
      if (end < 0) fail('unterminated declaration');
      append({ type: 'raw', text: source.slice(pos, end + 1) });
      pos = end + 1;
    } else if (source.startsWith('</', pos)) {
      const start = pos;
      pos += 2;
      const name = readName();
      skipSpace();
      if (source[pos] !== '>') fail(`expected '>' to close </${name}`);
      pos++;
      const open = stack.pop();
      if (!open) fail(`closing tag </${name}> without an opening tag`, start);
      if (open!.name !== name) {
        stack.push(open!);
        fail(`closing tag </${name}> does not match <${open!.name}>`, start);
      }
    } else {
      const start = pos;
      pos++;
      const name = readName();
      if (!stack.length && root) fail(`second root element <${name}>`, start);
      const element: XmlElement = { type: 'element', name, attrs: [], children: [] };
      const seen = new Set<string>();
      for (;;) {
        const before = pos;
        skipSpace();
        if (source.startsWith('/>', pos)) {
          pos += 2;
          append(element);
          if (!stack.length) root = element;
          break;
        }
        if (source[pos] === '>') {
          pos++;
          append(element);
          if (!stack.length) root = element;
          stack.push(element);
          break;
        }
        if (pos >= source.length) fail(`unterminated start tag <${name}`, start);
        if (pos === before) fail(`expected whitespace between attributes of <${name}>`);
        const attrAt = pos;
        const attr = readName();
        skipSpace();
        if (source[pos] !== '=') fail(`attribute '${attr}' of <${name}> has no value`);
        pos++;
        skipSpace();
        const quote = source[pos];
        if (quote !== '"' && quote !== "'") fail(`attribute '${attr}' of <${name}> is not quoted`);
        const close = source.indexOf(quote!, pos + 1);
        if (close < 0) fail(`unterminated value of attribute '${attr}' in <${name}>`);
        const raw = source.slice(pos + 1, close);
        if (raw.includes('<')) fail(`'<' in the value of attribute '${attr}' of <${name}>`, pos + 1 + raw.indexOf('<'));
        if (seen.has(attr)) fail(`duplicate attribute '${attr}' in <${name}>`, attrAt);
        seen.add(attr);
        element.attrs.push([attr, decode(raw, pos + 1)]);
        pos = close + 1;
      }
    }
  }
  if (stack.length) fail(`element <${stack[stack.length - 1]!.name}> is not closed`, source.length);
  if (!root) fail('no root element', source.length);
  return { prolog, root: root!, epilog };
}

const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (text: string) =>
  escapeText(text).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');

export interface SerializeOptions {
  /** Indent elements that have only element children (Pacemaker's style). Default true. */
  pretty?: boolean;
}

export function serializeElement(element: XmlElement, options: SerializeOptions = {}, depth = 0): string {
  const pretty = options.pretty !== false;
  const pad = pretty ? '  '.repeat(depth) : '';
  const attrs = element.attrs.map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
  const kids = pretty ? element.children.filter((c) => !(c.type === 'text' && c.text.trim() === '')) : element.children;
  if (!kids.length) return `${pad}<${element.name}${attrs}/>`;
  const mixed = kids.some((c) => c.type === 'text');
  if (!pretty || mixed) {
    const inner = kids.map((c) => serializeNode(c, { pretty: false }, 0)).join('');
    return `${pad}<${element.name}${attrs}>${inner}</${element.name}>`;
  }
  const inner = kids.map((c) => serializeNode(c, options, depth + 1)).join('\n');
  return `${pad}<${element.name}${attrs}>\n${inner}\n${pad}</${element.name}>`;
}

function serializeNode(node: XmlNode, options: SerializeOptions, depth: number): string {
  const pad = options.pretty !== false ? '  '.repeat(depth) : '';
  switch (node.type) {
    case 'element':
      return serializeElement(node, options, depth);
    case 'text':
      return escapeText(node.text);
    case 'comment':
      return `${pad}<!--${node.text}-->`;
    case 'raw':
      return pad + node.text;
  }
}

export function serializeXml(doc: XmlDocument, options: SerializeOptions = {}): string {
  const parts = [...doc.prolog.map((n) => serializeNode(n, options, 0)), serializeElement(doc.root, options), ...doc.epilog.map((n) => serializeNode(n, options, 0))];
  return parts.join('\n') + '\n';
}

// ---- small tree helpers used by the CIB code -------------------------------------------------

export function el(name: string, attrs: Record<string, string | undefined> = {}, children: XmlElement[] = []): XmlElement {
  const list: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) list.push([k, v]);
  return { type: 'element', name, attrs: list, children: [...children] };
}

export function attr(element: XmlElement, name: string): string | undefined {
  for (const [k, v] of element.attrs) if (k === name) return v;
  return undefined;
}

export function setAttr(element: XmlElement, name: string, value: string | undefined): void {
  const index = element.attrs.findIndex(([k]) => k === name);
  if (value === undefined) {
    if (index >= 0) element.attrs.splice(index, 1);
  } else if (index >= 0) element.attrs[index]![1] = value;
  else element.attrs.push([name, value]);
}

export function childElements(element: XmlElement, name?: string): XmlElement[] {
  return element.children.filter((c): c is XmlElement => c.type === 'element' && (name === undefined || c.name === name));
}

export function firstChild(element: XmlElement, name: string): XmlElement | undefined {
  return childElements(element, name)[0];
}

export function removeChild(parent: XmlElement, child: XmlElement): boolean {
  const index = parent.children.indexOf(child);
  if (index < 0) return false;
  parent.children.splice(index, 1);
  return true;
}

/** Depth-first walk with the parent of each element. */
export function* walk(element: XmlElement, parent?: XmlElement): Generator<{ element: XmlElement; parent: XmlElement | undefined }> {
  yield { element, parent };
  for (const child of childElements(element)) yield* walk(child, element);
}

export function cloneElement(element: XmlElement): XmlElement {
  return JSON.parse(JSON.stringify(element)) as XmlElement;
}
