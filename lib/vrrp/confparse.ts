/**
 * keepalived.conf syntax: whitespace-separated words, `{ ... }` blocks (on one line or many),
 * comments from `#` or `!`, double-quoted words (scripts), and `include FILE`. Produces a tree of
 * statements, each with its file and line for messages.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HakitError } from '../errors';

export interface Statement {
  words: string[];
  children?: Statement[];
  file: string;
  line: number;
}

interface Token {
  text: string;
  kind: 'word' | 'open' | 'close' | 'eol';
  file: string;
  line: number;
}

function tokenize(text: string, file: string): Token[] {
  const out: Token[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    let i = 0;
    while (i < raw.length) {
      const c = raw[i]!;
      if (c === ' ' || c === '\t') { i++; continue; }
      if (c === '#' || c === '!') break;
      if (c === '{' || c === '}') {
        out.push({ text: c, kind: c === '{' ? 'open' : 'close', file, line });
        i++;
        continue;
      }
      if (c === '"') {
        const end = raw.indexOf('"', i + 1);
        if (end < 0) throw new HakitError('VRRP_BAD_CONFIG', `${file}:${line}: unterminated quoted string`, { file, line });
        out.push({ text: raw.slice(i + 1, end), kind: 'word', file, line });
        i = end + 1;
        continue;
      }
      let j = i;
      while (j < raw.length && !' \t{}"'.includes(raw[j]!) ) j++;
      out.push({ text: raw.slice(i, j), kind: 'word', file, line });
      i = j;
    }
    out.push({ text: '', kind: 'eol', file, line });
  });
  return out;
}

export function parseConfigText(text: string, file: string, depth = 0): Statement[] {
  const tokens = tokenize(text, file);
  let at = 0;
  const block = (inner: boolean): Statement[] => {
    const list: Statement[] = [];
    let words: Token[] = [];
    const flush = () => {
      if (words.length) list.push({ words: words.map((w) => w.text), file: words[0]!.file, line: words[0]!.line });
      words = [];
    };
    while (at < tokens.length) {
      const t = tokens[at++]!;
      if (t.kind === 'word') words.push(t);
      else if (t.kind === 'eol') flush();
      else if (t.kind === 'open') {
        // A block's name is the statement before `{`, on this line or (keepalived allows) the one before.
        let owner: Statement;
        if (words.length) {
          owner = { words: words.map((w) => w.text), file: words[0]!.file, line: words[0]!.line };
          words = [];
          list.push(owner);
        } else if (list.length && !list[list.length - 1]!.children) {
          owner = list[list.length - 1]!;
        } else {
          throw new HakitError('VRRP_BAD_CONFIG', `${t.file}:${t.line}: '{' without a keyword`, { file: t.file, line: t.line });
        }
        owner.children = block(true);
      } else {
        flush();
        if (!inner) throw new HakitError('VRRP_BAD_CONFIG', `${t.file}:${t.line}: unbalanced '}'`, { file: t.file, line: t.line });
        return list;
      }
    }
    flush();
    if (inner) {
      const last = tokens[tokens.length - 1];
      throw new HakitError('VRRP_BAD_CONFIG', `${file}:${last?.line ?? 1}: missing '}' at end of file`, { file, line: last?.line ?? 1 });
    }
    return list;
  };
  const top = block(false);
  return expandIncludes(top, file, depth);
}

function expandIncludes(list: Statement[], file: string, depth: number): Statement[] {
  const out: Statement[] = [];
  for (const s of list) {
    if (s.words[0] === 'include' && !s.children) {
      if (depth > 8) throw new HakitError('VRRP_BAD_CONFIG', `${s.file}:${s.line}: includes nested too deep`, { file: s.file, line: s.line });
      const target = path.resolve(path.dirname(file), s.words[1] ?? '');
      let text: string;
      try {
        text = fs.readFileSync(target, 'utf8');
      } catch (cause) {
        throw new HakitError('VRRP_BAD_CONFIG', `${s.file}:${s.line}: cannot read include ${target}: ${(cause as Error).message}`, { file: s.file, line: s.line }, { cause });
      }
      out.push(...parseConfigText(text, target, depth + 1));
    } else {
      if (s.children) s.children = expandIncludes(s.children, file, depth);
      out.push(s);
    }
  }
  return out;
}

export function parseConfigFile(file: string): Statement[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw new HakitError('VRRP_BAD_CONFIG', `cannot read ${file}: ${(cause as Error).message}`, { file }, { cause });
  }
  return parseConfigText(text, file);
}
