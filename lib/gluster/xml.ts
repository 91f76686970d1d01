/**
 * A small, strict XML reader for the documents `gluster --xml` prints: elements, attributes,
 * text (also mixed with elements), entities, comments, CDATA and the XML declaration. No DTDs.
 * Malformed input throws HakitError GLUSTER_BAD_XML with the byte offset.
 */
import { HakitError } from '../errors';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text directly inside this element (not inside its children). */
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const NAME = /[A-Za-z_:][-A-Za-z0-9_.:]*/y;

function fail(message: string, offset: number): never {
  throw new HakitError('GLUSTER_BAD_XML', `malformed XML at offset ${offset}: ${message}`, { offset });
}

function decode(raw: string, offset: number): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (match, entity: string | undefined) => {
    if (entity === undefined) fail('bare &', offset);
    if (entity.startsWith('#')) {
      const code = entity[1] === 'x' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      if (!(code > 0 && code <= 0x10ffff)) fail(`bad character reference ${match}`, offset);
      return String.fromCodePoint(code);
    }
    const value = ENTITIES[entity];
    if (value === undefined) fail(`unknown entity ${match}`, offset);
    return value;
  });
}

export function parseXml(input: string): XmlElement {
  if (typeof input !== 'string') fail('input is not a string', 0);
  let at = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const readName = (): string => {
    NAME.lastIndex = at;
    const match = NAME.exec(input);
    if (!match) fail('expected a name', at);
    at += match[0].length;
    return match[0];
  };
  const skipSpace = () => {
    while (at < input.length && /\s/.test(input[at]!)) at++;
  };

  while (at < input.length) {
    const lt = input.indexOf('<', at);
    const textEnd = lt < 0 ? input.length : lt;
    if (textEnd > at) {
      const text = input.slice(at, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text += decode(text, at);
      else if (text.trim() !== '') fail('text outside the root element', at);
      at = textEnd;
      continue;
    }
    if (input.startsWith('<?', at)) {
      const end = input.indexOf('?>', at);
      if (end < 0) fail('unterminated processing instruction', at);
      at = end + 2;
    } else if (input.startsWith('<!--', at)) {
      const end = input.indexOf('-->', at);
      if (end < 0) fail('unterminated comment', at);
      at = end + 3;
    } else if (input.startsWith('<![CDATA[', at)) {
      const end = input.indexOf(']]>', at);
      const top = stack[stack.length - 1];
      if (end < 0 || !top) fail('bad CDATA section', at);
      top.text += input.slice(at + 9, end);
      at = end + 3;
    } else if (input.startsWith('<!', at)) {
      fail('DTDs are not supported', at);
    } else if (input.startsWith('</', at)) {
      at += 2;
      const name = readName();
      skipSpace();
      if (input[at] !== '>') fail(`expected > after </${name}`, at);
      at++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> does not close <${open?.name ?? '(nothing)'}>`, at);
    } else {
      at++;
      const element: XmlElement = { name: readName(), attributes: {}, children: [], text: '' };
      for (;;) {
        skipSpace();
        if (input.startsWith('/>', at) || input[at] === '>') break;
        if (at >= input.length) fail(`unterminated <${element.name}>`, at);
        const attribute = readName();
        skipSpace();
        if (input[at] !== '=') fail(`attribute ${attribute} needs a value`, at);
        at++;
        skipSpace();
        const quote = input[at];
        if (quote !== '"' && quote !== "'") fail(`attribute ${attribute} value must be quoted`, at);
        const end = input.indexOf(quote, at + 1);
        if (end < 0) fail(`unterminated value of ${attribute}`, at);
        element.attributes[attribute] = decode(input.slice(at + 1, end), at);
        at = end + 1;
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else if (root) fail('more than one root element', at);
      else root = element;
      if (input.startsWith('/>', at)) at += 2;
      else {
        at++;
        stack.push(element);
      }
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]!.name}> is not closed`, at);
  if (!root) fail('no root element', at);
  return root;
}

/** The first child element named `name`, if any. */
export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

/** Every child element named `name`. */
export function children(element: XmlElement | undefined, name: string): XmlElement[] {
  return element ? element.children.filter((c) => c.name === name) : [];
}

/** Trimmed text of the child `name`, or undefined when absent. */
export function textOf(element: XmlElement | undefined, name: string): string | undefined {
  const found = child(element, name);
  return found === undefined ? undefined : found.text.trim();
}

/** Integer text of the child `name` (undefined when absent or not a number, e.g. "N/A", "-"). */
export function intOf(element: XmlElement | undefined, name: string): number | undefined {
  const text = textOf(element, name);
  if (text === undefined || !/^-?\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}
