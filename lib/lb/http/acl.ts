/**
 * HAProxy ACLs and conditions (configuration.txt §7): `path_beg /api /static`, `src 10.0.0.0/8`,
 * `method GET HEAD`, `hdr(host) -i example.com`, `hdr(x-debug) -m found`, `ssl_fc`, combined in
 * `if`/`unless` conditions where adjacent terms AND, `or`/`||` OR, and `!` negates. Anonymous
 * ACLs `{ path_end .jpg }` work inside conditions.
 */
import { isIP } from 'node:net';
import { splitWords } from './words';

/** What an ACL looks at: the request as the proxy sees it. */
export interface AclRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Lowercased header name -> values, in order. */
  headers: Map<string, string[]>;
  src: string;
  ssl: boolean;
}

export type AclTest = (req: AclRequest) => boolean;

type MatchMode = 'str' | 'beg' | 'end' | 'sub' | 'reg' | 'found' | 'ip' | 'bool';

const fetchModes: Record<string, MatchMode> = {
  path: 'str',
  path_beg: 'beg',
  path_end: 'end',
  path_sub: 'sub',
  path_reg: 'reg',
  method: 'str',
  src: 'ip',
  host: 'str',
  ssl_fc: 'bool',
  always_true: 'bool',
  always_false: 'bool',
  hdr: 'str',
  hdr_beg: 'beg',
  hdr_end: 'end',
  hdr_sub: 'sub',
  hdr_reg: 'reg',
};

/** Compiles one ACL line (without its name). Throws Error with a message on bad syntax. */
export function compileAcl(line: string): AclTest {
  const words = splitWords(line);
  if (words.length === 0) throw new Error('empty ACL');
  const head = words[0]!;
  const fetch = /^(?:req\.)?([a-z_]+)(?:\(([^)]*)\))?$/.exec(head);
  if (!fetch || !(fetch[1]! in fetchModes)) throw new Error(`unknown ACL fetch '${head}'`);
  const kind = fetch[1]!;
  const arg = fetch[2];
  if (kind.startsWith('hdr') && !arg) throw new Error(`${kind} needs a header name, e.g. ${kind}(host)`);
  if (!kind.startsWith('hdr') && arg !== undefined) throw new Error(`${kind} takes no argument`);
  let mode = fetchModes[kind]!;
  let ignoreCase = false;
  const patterns: string[] = [];
  let i = 1;
  for (; i < words.length; i++) {
    const word = words[i]!;
    if (word === '-i') ignoreCase = true;
    else if (word === '-m') {
      const m = words[++i];
      if (!m || !['str', 'beg', 'end', 'sub', 'reg', 'found'].includes(m)) throw new Error(`-m needs one of str, beg, end, sub, reg, found`);
      mode = m as MatchMode;
    } else if (word === '--') {
      i++;
      break;
    } else if (word.startsWith('-') && kind !== 'src') throw new Error(`unknown ACL flag '${word}'`);
    else break;
  }
  patterns.push(...words.slice(i));
  if (kind === 'always_true') return () => true;
  if (kind === 'always_false') return () => false;
  if (kind === 'ssl_fc') {
    if (patterns.length) throw new Error('ssl_fc takes no pattern');
    return (req) => req.ssl;
  }
  if (mode !== 'found' && patterns.length === 0) throw new Error(`ACL '${head}' needs at least one pattern`);
  if (mode === 'found' && patterns.length) throw new Error('-m found takes no pattern');

  if (mode === 'ip') {
    const nets = patterns.map(parseCidr);
    return (req) => {
      const ip = ipToBytes(req.src);
      return ip !== undefined && nets.some((net) => inNet(ip, net));
    };
  }
  const values = valueFetcher(kind, arg);
  if (mode === 'found') return (req) => values(req).length > 0;
  const match = matcher(mode, patterns, ignoreCase);
  return (req) => values(req).some(match);
}

function valueFetcher(kind: string, arg: string | undefined): (req: AclRequest) => string[] {
  switch (kind) {
    case 'path':
    case 'path_beg':
    case 'path_end':
    case 'path_sub':
    case 'path_reg':
      return (req) => [req.path];
    case 'method':
      return (req) => [req.method];
    case 'host':
      // The Host header without its port, lowercased (HAProxy's req.hdr(host) with the port cut).
      return (req) => {
        const host = req.headers.get('host')?.[0];
        return host === undefined ? [] : [host.replace(/:\d+$/, '').toLowerCase()];
      };
    default: {
      const name = arg!.toLowerCase();
      // HAProxy's hdr() splits comma-separated values into occurrences.
      return (req) => (req.headers.get(name) ?? []).flatMap((value) => value.split(',').map((part) => part.trim()));
    }
  }
}

function matcher(mode: MatchMode, patterns: string[], ignoreCase: boolean): (value: string) => boolean {
  if (mode === 'reg') {
    const regexps = patterns.map((pattern) => {
      try {
        return new RegExp(pattern, ignoreCase ? 'i' : '');
      } catch (error) {
        throw new Error(`bad regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
      }
    });
    return (value) => regexps.some((regexp) => regexp.test(value));
  }
  const norm = ignoreCase ? (s: string) => s.toLowerCase() : (s: string) => s;
  const wanted = patterns.map(norm);
  switch (mode) {
    case 'beg':
      return (value) => wanted.some((p) => norm(value).startsWith(p));
    case 'end':
      return (value) => wanted.some((p) => norm(value).endsWith(p));
    case 'sub':
      return (value) => wanted.some((p) => norm(value).includes(p));
    default: {
      const set = new Set(wanted);
      return (value) => set.has(norm(value));
    }
  }
}

interface Net {
  bytes: Uint8Array;
  bits: number;
}

function parseCidr(text: string): Net {
  const [addr, len] = text.split('/');
  const bytes = ipToBytes(addr ?? '');
  if (!bytes) throw new Error(`bad address ${JSON.stringify(text)} for src`);
  const bits = len === undefined ? bytes.length * 8 : Number(len);
  if (!Number.isInteger(bits) || bits < 0 || bits > bytes.length * 8 || (len !== undefined && !/^\d+$/.test(len))) {
    throw new Error(`bad prefix length in ${JSON.stringify(text)}`);
  }
  return { bytes, bits };
}

/** IPv4 as 4 bytes, IPv6 as 16; IPv4-mapped IPv6 (::ffff:a.b.c.d) as its IPv4 bytes. */
export function ipToBytes(text: string): Uint8Array | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  if (mapped) text = mapped[1]!;
  const family = isIP(text);
  if (family === 4) return Uint8Array.from(text.split('.').map(Number));
  if (family !== 6) return undefined;
  const [left, right] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined): number[] => {
    if (!part) return [];
    const groups = part.split(':');
    const out: number[] = [];
    for (const group of groups) {
      if (group.includes('.')) {
        const v4 = group.split('.').map(Number);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else out.push(parseInt(group, 16));
    }
    return out;
  };
  const head = parse(left);
  const tail = parse(right);
  const groups = right === undefined ? head : [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}

function inNet(ip: Uint8Array, net: Net): boolean {
  if (ip.length !== net.bytes.length) return false;
  let bits = net.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i]! & mask) !== (net.bytes[i]! & mask)) return false;
  }
  return true;
}

/**
 * A condition after `if`/`unless`: terms separated by blanks AND; `or`/`||` separates OR
 * groups; `!name` negates; `{ fetch patterns }` is an anonymous ACL.
 */
export function compileCondition(words: string[], acls: ReadonlyMap<string, AclTest>): AclTest {
  if (words.length < 2 || (words[0] !== 'if' && words[0] !== 'unless')) throw new Error('a condition starts with if or unless and names an ACL');
  const negateAll = words[0] === 'unless';
  const groups: AclTest[][] = [[]];
  for (let i = 1; i < words.length; i++) {
    let word = words[i]!;
    if (word === 'or' || word === '||') {
      if (groups[groups.length - 1]!.length === 0) throw new Error(`'${word}' without a term before it`);
      groups.push([]);
      continue;
    }
    let negate = false;
    while (word.startsWith('!')) {
      negate = !negate;
      word = word.slice(1);
    }
    let test: AclTest;
    if (word === '' && words[i + 1] === '{') {
      i++;
      word = '{';
    }
    if (word === '{' || word.startsWith('{')) {
      const inner: string[] = [];
      if (word.length > 1) inner.push(word.slice(1));
      let closed = false;
      for (i++; i < words.length; i++) {
        if (words[i] === '}') {
          closed = true;
          break;
        }
        inner.push(words[i]!);
      }
      if (!closed) throw new Error("anonymous ACL '{' without '}'");
      test = compileAcl(inner.map(quoteIfNeeded).join(' '));
    } else {
      const named = acls.get(word);
      if (!named) throw new Error(`unknown ACL '${word}'`);
      test = named;
    }
    groups[groups.length - 1]!.push(negate ? (req) => !test(req) : test);
  }
  if (groups[groups.length - 1]!.length === 0) throw new Error('condition ends without a term');
  const any: AclTest = (req) => groups.some((group) => group.every((test) => test(req)));
  return negateAll ? (req) => !any(req) : any;
}

function quoteIfNeeded(word: string): string {
  return /[\s"'\\]/.test(word) ? `"${word.replace(/["\\]/g, (c) => '\\' + c)}"` : word;
}

/** Splits "words... if cond" into the words and the condition (undefined = always). */
export function splitCondition(words: string[], acls: ReadonlyMap<string, AclTest>): { words: string[]; condition?: AclTest } {
  const at = words.findIndex((word) => word === 'if' || word === 'unless');
  if (at < 0) return { words };
  return { words: words.slice(0, at), condition: compileCondition(words.slice(at), acls) };
}

/** Compiles a frontend's named ACLs; several lines under one name OR together (HAProxy). */
export function compileAcls(acls: Record<string, string[]>): Map<string, AclTest> {
  const out = new Map<string, AclTest>();
  for (const [name, lines] of Object.entries(acls)) {
    const tests = lines.map((line) => compileAcl(line));
    out.set(name, tests.length === 1 ? tests[0]! : (req) => tests.some((test) => test(req)));
  }
  return out;
}
