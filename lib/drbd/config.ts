/**
 * drbd.conf: the configuration language drbdadm reads (drbd.conf(5), 8.4 dialect). A tokenizer
 * and a generic statement parser (keyword, arguments, `;` or a `{ block }`), then an
 * interpretation into resources. Every error names file:line:col. `include` with globs is
 * followed relative to the including file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HakitError } from '../errors';
import type { DiskOptions, NetOptions, VolumeOptions } from './volume';

export interface Location {
  file: string;
  line: number;
  col: number;
}

interface Token {
  text: string;
  kind: 'word' | 'string' | '{' | '}' | ';';
  at: Location;
}

export interface Statement {
  keyword: string;
  args: string[];
  block?: Statement[];
  at: Location;
}

export interface HostConfig {
  name: string;
  device?: string;
  minor?: number;
  disk?: string;
  metaDisk?: string;
  address?: { family: string; host: string; port: number };
  at: Location;
}

export type Sections = Record<string, Record<string, string>>;

export interface ResourceConfig {
  name: string;
  hosts: HostConfig[];
  /** net, disk, options, startup, handlers: as written in the resource (common not merged). */
  sections: Sections;
  at: Location;
}

export interface DrbdConfig {
  file: string;
  global: Record<string, string>;
  common: Sections;
  resources: ResourceConfig[];
}

export class ConfigError extends HakitError {
  constructor(message: string, at: Location) {
    super('DRBD_BAD_CONFIG', `${at.file}:${at.line}:${at.col}: ${message}`, { ...at });
    this.name = 'ConfigError';
  }
}

export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1, col = 1;
  for (let i = 0; i < text.length;) {
    const c = text[i]!;
    const at = { file, line, col };
    const advance = (n: number) => {
      for (let k = 0; k < n; k++) {
        if (text[i] === '\n') { line++; col = 1; } else col++;
        i++;
      }
    };
    if (c === '#') { while (i < text.length && text[i] !== '\n') advance(1); continue; }
    if (/\s/.test(c)) { advance(1); continue; }
    if (c === '{' || c === '}' || c === ';') { tokens.push({ text: c, kind: c, at }); advance(1); continue; }
    if (c === '"') {
      let value = '';
      advance(1);
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) { advance(1); }
        if (text[i] === '\n') throw new ConfigError('unterminated string', at);
        value += text[i];
        advance(1);
      }
      if (i >= text.length) throw new ConfigError('unterminated string', at);
      advance(1);
      tokens.push({ text: value, kind: 'string', at });
      continue;
    }
    let word = '';
    while (i < text.length && !/[\s{};#"]/.test(text[i]!)) { word += text[i]; advance(1); }
    tokens.push({ text: word, kind: 'word', at });
  }
  return tokens;
}

export function parseStatements(tokens: Token[], file: string): Statement[] {
  let pos = 0;
  const end = (): Location => (tokens.length ? tokens[tokens.length - 1]!.at : { file, line: 1, col: 1 });
  function block(nested: boolean): Statement[] {
    const out: Statement[] = [];
    while (pos < tokens.length) {
      const token = tokens[pos]!;
      if (token.kind === '}') {
        if (!nested) throw new ConfigError("unexpected '}'", token.at);
        pos++;
        return out;
      }
      if (token.kind !== 'word') throw new ConfigError(`expected a keyword, got '${token.text}'`, token.at);
      pos++;
      const statement: Statement = { keyword: token.text, args: [], at: token.at };
      for (;;) {
        const next = tokens[pos];
        if (!next) throw new ConfigError(`'${statement.keyword}' is not terminated with ';' or a block`, statement.at);
        if (next.kind === ';') { pos++; break; }
        if (next.kind === '{') { pos++; statement.block = block(true); break; }
        if (next.kind === '}') throw new ConfigError(`missing ';' after '${statement.keyword}'`, next.at);
        statement.args.push(next.text);
        pos++;
      }
      out.push(statement);
    }
    if (nested) throw new ConfigError("missing '}'", end());
    return out;
  }
  return block(false);
}

const SECTION_NAMES = ['net', 'disk', 'syncer', 'options', 'startup', 'handlers'];
// drbd 8.3's syncer section: drbdadm 8.4 reads these options into disk/net.
const SYNCER_MAP: Record<string, [string, string]> = {
  rate: ['disk', 'resync-rate'], 'al-extents': ['disk', 'al-extents'], 'csums-alg': ['net', 'csums-alg'], 'verify-alg': ['net', 'verify-alg'],
  'c-plan-ahead': ['disk', 'c-plan-ahead'], 'c-fill-target': ['disk', 'c-fill-target'], 'c-max-rate': ['disk', 'c-max-rate'], 'c-min-rate': ['disk', 'c-min-rate'],
  'cpu-mask': ['options', 'cpu-mask'], 'on-no-data-accessible': ['options', 'on-no-data-accessible'],
};

function addSection(sections: Sections, s: Statement): void {
  if (s.args.length > 0) throw new ConfigError(`section '${s.keyword}' takes no arguments`, s.at);
  for (const option of s.block ?? []) {
    if (option.block) throw new ConfigError(`unexpected block in '${s.keyword}'`, option.at);
    let section = s.keyword, name = option.keyword;
    if (section === 'syncer') {
      const mapped = SYNCER_MAP[name];
      if (!mapped) throw new ConfigError(`unknown syncer option '${name}'`, option.at);
      [section, name] = mapped;
    }
    (sections[section] ??= {})[name] = option.args.length === 0 ? 'yes' : option.args.join(' ');
  }
}

function parseAddress(args: string[], at: Location): HostConfig['address'] {
  let family = 'ipv4';
  let rest = args;
  if (['ipv4', 'ipv6', 'ssocks', 'sdp', 'sci'].includes(args[0] ?? '')) { family = args[0]!; rest = args.slice(1); }
  if (rest.length !== 1) throw new ConfigError('address needs [family] host:port', at);
  const text = rest[0]!;
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  if (!match) throw new ConfigError(`bad address '${text}' (expected host:port)`, at);
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new ConfigError(`bad port in '${text}'`, at);
  return { family, host: match[1]!, port };
}

function applyHostStatement(host: HostConfig, s: Statement): void {
  switch (s.keyword) {
    case 'device': {
      const args = [...s.args];
      const m = args.indexOf('minor');
      if (m >= 0) {
        const minor = Number(args[m + 1]);
        if (!Number.isInteger(minor) || minor < 0) throw new ConfigError('bad minor number', s.at);
        host.minor = minor;
        args.splice(m, 2);
      }
      if (args.length > 1) throw new ConfigError('device takes a path and/or minor N', s.at);
      if (args[0]) {
        host.device = args[0];
        if (host.minor === undefined) {
          const n = /^\/dev\/drbd(\d+)$/.exec(args[0]);
          if (n) host.minor = Number(n[1]);
        }
      }
      return;
    }
    case 'disk':
      if (s.args.length !== 1) throw new ConfigError('disk takes one path', s.at);
      host.disk = s.args[0];
      return;
    case 'meta-disk':
      if (s.args.length < 1 || s.args.length > 2) throw new ConfigError('meta-disk takes internal or a path [index]', s.at);
      host.metaDisk = s.args.length === 2 && s.args[1] !== 'flexible' ? `${s.args[0]} [${s.args[1]}]` : s.args[0];
      return;
    case 'flexible-meta-disk':
      host.metaDisk = s.args[0];
      return;
    case 'address':
      host.address = parseAddress(s.args, s.at);
      return;
    default:
      throw new ConfigError(`unknown keyword '${s.keyword}' in host section`, s.at);
  }
}

export interface ParseOptions {
  readFile?: (file: string) => string;
  glob?: (pattern: string) => string[];
}

function expandIncludes(statements: Statement[], file: string, options: ParseOptions, depth: number): Statement[] {
  const out: Statement[] = [];
  for (const s of statements) {
    if (s.keyword !== 'include') { out.push(s); continue; }
    if (depth > 8) throw new ConfigError('includes nested too deeply', s.at);
    const pattern = path.resolve(path.dirname(file), s.args[0] ?? '');
    const files = (options.glob ?? simpleGlob)(pattern);
    for (const included of files) {
      const text = (options.readFile ?? ((f) => fs.readFileSync(f, 'utf8')))(included);
      out.push(...expandIncludes(parseStatements(tokenize(text, included), included), included, options, depth + 1));
    }
  }
  return out;
}

function simpleGlob(pattern: string): string[] {
  if (!/[*?]/.test(pattern)) return fs.existsSync(pattern) ? [pattern] : [];
  const dir = path.dirname(pattern);
  const re = new RegExp('^' + path.basename(pattern).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((name) => re.test(name)).sort().map((name) => path.join(dir, name));
}

export function parseConfig(text: string, file = 'drbd.conf', options: ParseOptions = {}): DrbdConfig {
  const statements = expandIncludes(parseStatements(tokenize(text, file), file), file, options, 0);
  const config: DrbdConfig = { file, global: {}, common: {}, resources: [] };
  for (const s of statements) {
    switch (s.keyword) {
      case 'global':
        for (const option of s.block ?? []) config.global[option.keyword] = option.args.join(' ') || 'yes';
        break;
      case 'common':
        for (const section of s.block ?? []) {
          if (!SECTION_NAMES.includes(section.keyword) || !section.block) throw new ConfigError(`unknown section '${section.keyword}' in common`, section.at);
          addSection(config.common, section);
        }
        break;
      case 'resource':
        config.resources.push(parseResource(s));
        break;
      default:
        throw new ConfigError(`unknown top-level keyword '${s.keyword}'`, s.at);
    }
  }
  const names = new Set<string>();
  for (const r of config.resources) {
    if (names.has(r.name)) throw new ConfigError(`resource '${r.name}' is defined twice`, r.at);
    names.add(r.name);
  }
  return config;
}

function parseResource(s: Statement): ResourceConfig {
  if (s.args.length !== 1 || !s.block) throw new ConfigError('resource needs a name and a block', s.at);
  const resource: ResourceConfig = { name: s.args[0]!, hosts: [], sections: {}, at: s.at };
  const defaults: Statement[] = [];
  for (const item of s.block) {
    if (item.keyword === 'on') {
      if (item.args.length < 1 || !item.block) throw new ConfigError("'on' needs a host name and a block", item.at);
      const host: HostConfig = { name: item.args[0]!, at: item.at };
      for (const hs of item.block) {
        if (hs.keyword === 'volume') throw new ConfigError('multiple volumes per resource are not supported', hs.at);
        applyHostStatement(host, hs);
      }
      resource.hosts.push(host);
    } else if (SECTION_NAMES.includes(item.keyword) && item.block) {
      addSection(resource.sections, item);
    } else if (item.keyword === 'protocol') {
      if (item.args.length !== 1 || !/^[ABC]$/.test(item.args[0]!)) throw new ConfigError('protocol must be A, B or C', item.at);
      (resource.sections.net ??= {}).protocol = item.args[0]!;
    } else if (['device', 'disk', 'meta-disk', 'flexible-meta-disk'].includes(item.keyword)) {
      defaults.push(item);
    } else {
      throw new ConfigError(`unknown keyword '${item.keyword}' in resource ${resource.name}`, item.at);
    }
  }
  // Statements at resource level are defaults for every host that does not set them.
  for (const host of resource.hosts) {
    for (const d of defaults) {
      const key = d.keyword === 'flexible-meta-disk' ? 'metaDisk' : d.keyword === 'meta-disk' ? 'metaDisk' : d.keyword;
      if ((host as unknown as Record<string, unknown>)[key] === undefined) applyHostStatement(host, d);
    }
  }
  if (resource.hosts.length !== 2) throw new ConfigError(`resource ${resource.name} needs exactly two 'on HOST' sections, found ${resource.hosts.length}`, resource.at);
  for (const host of resource.hosts) {
    if (!host.address) throw new ConfigError(`host ${host.name} in resource ${resource.name} has no address`, host.at);
    if (!host.disk) throw new ConfigError(`host ${host.name} in resource ${resource.name} has no disk`, host.at);
    if (!host.metaDisk && host.disk !== 'none') throw new ConfigError(`host ${host.name} in resource ${resource.name} has no meta-disk`, host.at);
  }
  return resource;
}

/** The resource's sections with the common section underneath (resource wins). */
export function effectiveSections(config: DrbdConfig, resource: ResourceConfig): Sections {
  const out: Sections = {};
  for (const source of [config.common, resource.sections]) {
    for (const [section, options] of Object.entries(source)) out[section] = { ...(out[section] ?? {}), ...options };
  }
  return out;
}

/** DRBD sizes: a bare number is in `unit` (K for rates), suffixes K/M/G are powers of 1024. */
export function parseSize(text: string, unit: 'K' | 'B' = 'K', at?: Location): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (!m) {
    if (at) throw new ConfigError(`bad size '${text}'`, at);
    throw new HakitError('DRBD_BAD_CONFIG', `bad size '${text}'`);
  }
  const scale = { '': unit === 'K' ? 1024 : 1, k: 1024, m: 1 << 20, g: 1 << 30 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * scale;
}

/** VolumeOptions for `node` (defaults to the host this runs on) of `resourceName`. */
export function volumeOptions(config: DrbdConfig, resourceName: string, node: string): VolumeOptions {
  const resource = config.resources.find((r) => r.name === resourceName);
  if (!resource) throw new HakitError('DRBD_NO_RESOURCE', `no resource '${resourceName}' in ${config.file}`, { resource: resourceName });
  const self = resource.hosts.find((h) => h.name === node);
  if (!self) throw new HakitError('DRBD_NOT_MY_RESOURCE', `resource '${resourceName}' has no 'on ${node}' section (pass --node)`, { resource: resourceName, node });
  const peer = resource.hosts.find((h) => h !== self)!;
  const s = effectiveSections(config, resource);
  const n = s.net ?? {}, d = s.disk ?? {};
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const net: NetOptions = {
    protocol: (n.protocol as NetOptions['protocol']) ?? 'C',
    cramHmacAlg: n['cram-hmac-alg'], sharedSecret: n['shared-secret'],
    pingInt: num(n['ping-int']), pingTimeout: num(n['ping-timeout']), timeout: num(n.timeout), connectInt: num(n['connect-int']), koCount: num(n['ko-count']),
    maxBuffers: n['max-buffers'] ? parseSize(n['max-buffers'], 'B') * 4096 : undefined,
    dataIntegrityAlg: n['data-integrity-alg'], csumsAlg: n['csums-alg'], verifyAlg: n['verify-alg'],
    afterSb0pri: n['after-sb-0pri'] as NetOptions['afterSb0pri'], afterSb1pri: n['after-sb-1pri'] as NetOptions['afterSb1pri'], afterSb2pri: n['after-sb-2pri'] as NetOptions['afterSb2pri'],
    fencing: (n.fencing ?? d.fencing) as NetOptions['fencing'],
  };
  const disk: DiskOptions = {
    resyncRate: d['resync-rate'] ? parseSize(d['resync-rate'], 'K') : undefined,
    alExtents: num(d['al-extents']),
  };
  for (const o of [net, disk] as Array<Record<string, unknown>>) for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return {
    resource: resource.name, node: self.name, peer: peer.name,
    disk: self.disk === 'none' ? null : self.disk!, metaDisk: self.metaDisk,
    address: { host: self.address!.host, port: self.address!.port },
    peerAddress: { host: peer.address!.host, port: peer.address!.port },
    net, diskOptions: disk,
  };
}

/** A drbdadm-dump-like rendering (sections in drbdadm's order, values re-quoted when needed). */
export function dumpConfig(config: DrbdConfig): string {
  const quote = (v: string) => (/^[A-Za-z0-9_./:\-[\]]+$/.test(v) ? v : `"${v.replace(/"/g, '\\"')}"`);
  const lines: string[] = [`# ${config.file}`];
  const section = (indent: string, name: string, options: Record<string, string>) => {
    lines.push(`${indent}${name} {`);
    for (const [k, v] of Object.entries(options)) lines.push(`${indent}    ${k.padEnd(16)} ${v === 'yes' && k !== 'usage-count' ? '' : quote(v)};`.replace(/ +;$/, ';'));
    lines.push(`${indent}}`);
  };
  if (Object.keys(config.global).length) section('', 'global', config.global), lines.push('');
  if (Object.keys(config.common).length) {
    lines.push('common {');
    for (const [name, options] of Object.entries(config.common)) section('    ', name, options);
    lines.push('}', '');
  }
  for (const r of config.resources) {
    lines.push(`# defined at ${r.at.file}:${r.at.line}`, `resource ${r.name} {`);
    for (const h of r.hosts) {
      lines.push(`    on ${h.name} {`);
      const device = [h.device, h.minor !== undefined ? `minor ${h.minor}` : undefined].filter(Boolean).join(' ');
      if (device) lines.push(`        ${'device'.padEnd(16)} ${device};`);
      lines.push(`        ${'disk'.padEnd(16)} ${quote(h.disk!)};`);
      lines.push(`        ${'meta-disk'.padEnd(16)} ${h.metaDisk};`);
      lines.push(`        ${'address'.padEnd(16)} ${h.address!.family} ${h.address!.host.includes(':') ? `[${h.address!.host}]` : h.address!.host}:${h.address!.port};`);
      lines.push('    }');
    }
    for (const [name, options] of Object.entries(r.sections)) section('    ', name, options);
    lines.push('}', '');
  }
  return lines.join('\n');
}

export function readConfig(file: string): DrbdConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw new HakitError('DRBD_NO_CONFIG', `cannot read ${file}: ${(cause as Error).message}`, { file }, { cause });
  }
  return parseConfig(text, file);
}
