/**
 * Turns a parsed YAML/JSON document (or a hand-written object) into an LbConfig, or throws
 * LB_BAD_CONFIG listing every problem with its path (`backend.app.server.s1: ...`). ACLs,
 * rules and server lines are compiled here too, so a config that validates will start.
 */
import { HakitError } from '../../errors';
import { compileAcls } from '../http/acl';
import { schedulerFor } from '../http/backend';
import { compileHttpRequestRule, compileUseBackend } from '../http/rules';
import { parseDuration, parseHostPort, splitWords } from '../http/words';
import type { BackendConfig, BindConfig, FrontendConfig, HealthCheckConfig, LbConfig, ServerConfig, Timeouts } from './types';

export interface ConfigProblem {
  path: string;
  message: string;
}


const defaultTimeouts: Timeouts = { connect: 5000, client: 50_000, server: 50_000, httpRequest: 10_000, httpKeepAlive: 5000, queue: 5000, check: 2000 };

class Collector {
  readonly problems: ConfigProblem[] = [];
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }
  /** Runs fn, turning a thrown Error into a problem at path. */
  try<T>(path: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      this.add(path, (error as Error).message);
      return undefined;
    }
  }
}

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

function known(c: Collector, path: string, obj: Obj, keys: string[]): void {
  for (const key of Object.keys(obj)) if (!keys.includes(key)) c.add(`${path}.${key}`, `unknown key (expected one of ${keys.join(', ')})`);
}

function section(c: Collector, path: string, value: unknown): Obj {
  if (value === undefined || value === null) return {};
  if (!isObj(value)) {
    c.add(path, 'must be a mapping');
    return {};
  }
  return value;
}

function int(c: Collector, path: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    c.add(path, `must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

function str(c: Collector, path: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    c.add(path, `must be a non-empty string, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return value;
}

function lines(c: Collector, path: string, value: unknown): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  list.forEach((item, index) => {
    if (typeof item === 'string' && item.trim() !== '') out.push(item);
    else c.add(Array.isArray(value) ? `${path}[${index}]` : path, `must be a non-empty string, got ${JSON.stringify(item)}`);
  });
  return out;
}

const timeoutKeys: Record<string, keyof Timeouts> = {
  connect: 'connect',
  client: 'client',
  server: 'server',
  'http-request': 'httpRequest',
  'http-keep-alive': 'httpKeepAlive',
  queue: 'queue',
  check: 'check',
};

function timeouts(c: Collector, path: string, value: unknown, base: Timeouts): Timeouts {
  const obj = section(c, path, value);
  known(c, path, obj, Object.keys(timeoutKeys));
  const out = { ...base };
  for (const [key, field] of Object.entries(timeoutKeys)) {
    if (obj[key] === undefined) continue;
    const ms = c.try(`${path}.${key}`, () => parseDuration(obj[key]));
    if (ms !== undefined) out[field] = ms;
  }
  return out;
}

function options(c: Collector, path: string, value: unknown): Set<string> {
  return new Set(lines(c, path, value));
}

export function validateConfig(input: unknown): LbConfig {
  const c = new Collector();
  const root = section(c, '(root)', input);
  known(c, '(root)', root, ['global', 'defaults', 'frontend', 'backend']);

  const g = section(c, 'global', root.global);
  known(c, 'global', g, ['maxconn', 'max-header-size', 'max-uri-length', 'access-log', 'native-http', 'reuse-port', 'stats']);
  const global: LbConfig['global'] = {
    maxconn: int(c, 'global.maxconn', g.maxconn, 4096, 1, 1_000_000),
    maxHeaderSize: int(c, 'global.max-header-size', g['max-header-size'], 16_384, 1024, 1 << 20),
    maxUriLength: int(c, 'global.max-uri-length', g['max-uri-length'], 8192, 64, 1 << 20),
    accessLog: str(c, 'global.access-log', g['access-log']) ?? 'off',
    nativeHttp: 'auto',
    reusePort: false,
  };
  const nativeHttp = g['native-http'] ?? 'auto';
  if (nativeHttp === 'auto' || nativeHttp === 'on' || nativeHttp === 'off') global.nativeHttp = nativeHttp;
  else c.add('global.native-http', `must be auto, on or off, not ${JSON.stringify(nativeHttp)}`);
  if (g['reuse-port'] !== undefined) {
    if (typeof g['reuse-port'] === 'boolean') global.reusePort = g['reuse-port'];
    else c.add('global.reuse-port', 'must be true or false');
  }
  if (g.stats !== undefined) {
    const s = section(c, 'global.stats', g.stats);
    known(c, 'global.stats', s, ['bind', 'refresh', 'admin']);
    const bind = c.try('global.stats.bind', () => parseHostPort(String(s.bind ?? '')));
    const refresh = s.refresh === undefined ? 2000 : c.try('global.stats.refresh', () => parseDuration(s.refresh));
    let admin: { user: string; password: string } | undefined;
    if (s.admin !== undefined) {
      const a = section(c, 'global.stats.admin', s.admin);
      known(c, 'global.stats.admin', a, ['user', 'password']);
      const user = str(c, 'global.stats.admin.user', a.user);
      const password = str(c, 'global.stats.admin.password', a.password);
      if (!user || !password) c.add('global.stats.admin', 'needs user and password');
      else admin = { user, password };
    }
    if (bind) global.stats = { bind: { address: bind.host, port: bind.port }, refresh: (refresh ?? 2000) / 1000, admin };
  }

  const d = section(c, 'defaults', root.defaults);
  known(c, 'defaults', d, ['timeout', 'retries', 'option', 'errorfile']);
  const defaultsTimeouts = timeouts(c, 'defaults.timeout', d.timeout, defaultTimeouts);
  const defaultOptions = options(c, 'defaults.option', d.option);
  for (const option of defaultOptions) if (!['forwardfor', 'redispatch'].includes(option)) c.add('defaults.option', `unknown option '${option}' (forwardfor, redispatch)`);
  const errorfiles: Record<number, string> = {};
  const ef = section(c, 'defaults.errorfile', d.errorfile);
  for (const [code, file] of Object.entries(ef)) {
    if (!/^[45]\d\d$/.test(code)) c.add(`defaults.errorfile.${code}`, 'status must be 4xx or 5xx');
    else {
      const path = str(c, `defaults.errorfile.${code}`, file);
      if (path) errorfiles[Number(code)] = path;
    }
  }
  const defaults: LbConfig['defaults'] = {
    timeouts: defaultsTimeouts,
    retries: int(c, 'defaults.retries', d.retries, 3, 0, 100),
    forwardFor: defaultOptions.has('forwardfor'),
    errorfiles,
  };

  const backends = Object.entries(section(c, 'backend', root.backend)).map(([name, value]) =>
    backend(c, `backend.${name}`, name, value, defaults, defaultOptions.has('redispatch')),
  );
  const backendNames = new Set(backends.map((b) => b.name));
  const frontends = Object.entries(section(c, 'frontend', root.frontend)).map(([name, value]) => frontend(c, `frontend.${name}`, name, value, defaults, global, backendNames));
  if (frontends.length === 0) c.add('frontend', 'at least one frontend is needed');
  const bound = new Map<string, string>();
  for (const fe of frontends) {
    fe.binds.forEach((bind, i) => {
      if (bind.port === 0) return;
      const key = `${bind.address}:${bind.port}`;
      const other = bound.get(key);
      if (other) c.add(`frontend.${fe.name}.bind[${i}]`, `${key} is already bound by ${other}`);
      else bound.set(key, `frontend.${fe.name}`);
    });
  }

  if (c.problems.length) {
    const first = c.problems[0]!;
    const more = c.problems.length > 1 ? ` (and ${c.problems.length - 1} more)` : '';
    throw new HakitError('LB_BAD_CONFIG', `${first.path}: ${first.message}${more}`, { path: first.path, problems: c.problems });
  }
  return { global, defaults, frontends, backends };
}

function frontend(c: Collector, path: string, name: string, value: unknown, defaults: LbConfig['defaults'], global: LbConfig['global'], backendNames: Set<string>): FrontendConfig {
  const f = section(c, path, value);
  known(c, path, f, ['bind', 'acl', 'http-request', 'use_backend', 'default_backend', 'option', 'timeout', 'maxconn']);
  const binds = lines(c, `${path}.bind`, f.bind)
    .map((line, i) => c.try(`${path}.bind[${i}]`, () => parseBind(line)))
    .filter((b): b is BindConfig => b !== undefined);
  if (f.bind === undefined) c.add(`${path}.bind`, 'a frontend needs at least one bind address:port');
  const acls: Record<string, string[]> = {};
  for (const [aclName, aclValue] of Object.entries(section(c, `${path}.acl`, f.acl))) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(aclName)) c.add(`${path}.acl.${aclName}`, 'ACL names are letters, digits, _ . : -');
    acls[aclName] = lines(c, `${path}.acl.${aclName}`, aclValue);
  }
  const compiled = c.try(`${path}.acl`, () => compileAcls(acls)) ?? new Map();
  // Report each bad ACL line at its own path.
  if (compiled.size === 0 && Object.keys(acls).length) {
    c.problems.pop();
    for (const [aclName, aclLines] of Object.entries(acls)) aclLines.forEach((line, i) => c.try(`${path}.acl.${aclName}${aclLines.length > 1 ? `[${i}]` : ''}`, () => compileAcls({ x: [line] })));
  }
  const httpRequest = lines(c, `${path}.http-request`, f['http-request']);
  httpRequest.forEach((line, i) => c.try(`${path}.http-request[${i}]`, () => compileHttpRequestRule(line, compiled)));
  const useBackend = lines(c, `${path}.use_backend`, f.use_backend);
  useBackend.forEach((line, i) => {
    const rule = c.try(`${path}.use_backend[${i}]`, () => compileUseBackend(line, compiled));
    if (rule && !backendNames.has(rule.backend)) c.add(`${path}.use_backend[${i}]`, `no backend named '${rule.backend}'`);
  });
  const defaultBackend = str(c, `${path}.default_backend`, f.default_backend);
  if (defaultBackend && !backendNames.has(defaultBackend)) c.add(`${path}.default_backend`, `no backend named '${defaultBackend}'`);
  const opts = options(c, `${path}.option`, f.option);
  for (const option of opts) if (option !== 'forwardfor') c.add(`${path}.option`, `unknown option '${option}' (forwardfor)`);
  return {
    name,
    binds,
    acls,
    httpRequest,
    useBackend,
    defaultBackend,
    forwardFor: defaults.forwardFor || opts.has('forwardfor'),
    timeouts: timeouts(c, `${path}.timeout`, f.timeout, defaults.timeouts),
    maxconn: int(c, `${path}.maxconn`, f.maxconn, global.maxconn, 1, 1_000_000),
  };
}

/** HAProxy bind line: `ADDR:PORT [ssl crt FILE [crt FILE...]] [alpn h2,http/1.1]`. */
export function parseBind(line: string): BindConfig {
  const words = splitWords(line);
  const { host, port } = parseHostPort(words[0] ?? '');
  const bind: BindConfig = { address: host, port };
  let ssl = false;
  const certs: string[] = [];
  let alpn = ['http/1.1'];
  for (let i = 1; i < words.length; i++) {
    const word = words[i];
    if (word === 'ssl') ssl = true;
    else if (word === 'crt' && words[i + 1]) certs.push(words[++i]!);
    else if (word === 'alpn' && words[i + 1]) alpn = words[++i]!.split(',');
    else throw new Error(`unknown bind option '${word}' (ssl, crt FILE, alpn LIST)`);
  }
  if (ssl && certs.length === 0) throw new Error('ssl needs at least one crt FILE (PEM with certificate and key)');
  if (!ssl && certs.length) throw new Error('crt given without ssl');
  for (const proto of alpn) if (proto !== 'http/1.1' && proto !== 'http/1.0') throw new Error(`alpn '${proto}' is not served (http/1.1 only)`);
  if (ssl) bind.ssl = { certs: certs.map((file) => ({ cert: file, key: file })), alpn };
  return bind;
}

function backend(c: Collector, path: string, name: string, value: unknown, defaults: LbConfig['defaults'], redispatch: boolean): BackendConfig {
  const b = section(c, path, value);
  known(c, path, b, ['balance', 'cookie', 'server', 'option', 'http-check', 'retries', 'timeout', 'http-request']);
  const balanceWords = c.try(`${path}.balance`, () => splitWords(String(b.balance ?? 'roundrobin'))) ?? ['roundrobin'];
  const hdrArg = /^hdr\(([^)]+)\)$/.exec(balanceWords[0]!);
  const balance = hdrArg ? 'hdr' : balanceWords[0]!;
  if (hdrArg) balanceWords.splice(1, 0, hdrArg[1]!);
  const algorithm = c.try(`${path}.balance`, () => schedulerFor(balance));
  if (algorithm && (algorithm.key === 'hdr' || algorithm.key === 'url_param') && !balanceWords[1]) c.add(`${path}.balance`, `${balance} needs an argument, e.g. "${algorithm.key === 'hdr' ? 'hdr(host)' : 'url_param id'}"`);
  let cookie: BackendConfig['cookie'];
  if (b.cookie !== undefined) {
    const words = c.try(`${path}.cookie`, () => splitWords(String(b.cookie))) ?? [];
    const [cookieName, ...rest] = words;
    if (!cookieName || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName)) c.add(`${path}.cookie`, 'needs a cookie name');
    else {
      cookie = { name: cookieName, mode: 'insert', indirect: false, nocache: false };
      for (const word of rest) {
        if (word === 'insert') cookie.mode = word;
        else if (word === 'indirect') cookie.indirect = true;
        else if (word === 'nocache') cookie.nocache = true;
        else c.add(`${path}.cookie`, `unknown cookie option '${word}' (insert, indirect, nocache; rewrite and prefix are not supported)`);
      }
    }
  }
  const opts = section(c, `${path}.option`, Array.isArray(b.option) ? Object.fromEntries(b.option.map((o) => [String(o), true])) : b.option);
  known(c, `${path}.option`, opts, ['httpchk', 'redispatch', 'forwardfor']);
  const check: HealthCheckConfig = { interval: 2000, rise: 2, fall: 3 };
  if (typeof opts.httpchk === 'string') {
    const words = opts.httpchk.split(/\s+/);
    const [method, p] = words.length >= 2 ? words : ['GET', words[0]!];
    if (!p || !p.startsWith('/')) c.add(`${path}.option.httpchk`, 'expected "METHOD /path" or "/path"');
    else check.httpchk = { method: method!, path: p };
  } else if (opts.httpchk === true) check.httpchk = { method: 'OPTIONS', path: '/' };
  const hc = section(c, `${path}.http-check`, b['http-check']);
  known(c, `${path}.http-check`, hc, ['expect', 'inter', 'rise', 'fall']);
  if (hc.expect !== undefined) {
    const m = /^status\s+(\d{3}(?:-\d{3})?)$/.exec(String(hc.expect));
    if (!m) c.add(`${path}.http-check.expect`, 'expected "status 200" or "status 200-399"');
    else check.expectStatus = m[1];
  }
  if (hc.inter !== undefined) check.interval = c.try(`${path}.http-check.inter`, () => parseDuration(hc.inter)) ?? check.interval;
  check.rise = int(c, `${path}.http-check.rise`, hc.rise, 2, 1, 100);
  check.fall = int(c, `${path}.http-check.fall`, hc.fall, 3, 1, 100);
  const servers: ServerConfig[] = [];
  for (const [serverName, line] of Object.entries(section(c, `${path}.server`, b.server))) {
    if (typeof line !== 'string') {
      c.add(`${path}.server.${serverName}`, 'must be a server line like "127.0.0.1:8081 check weight 10"');
      continue;
    }
    const server = c.try(`${path}.server.${serverName}`, () => parseServer(serverName, line));
    if (server) servers.push(server);
  }
  if (servers.length === 0) c.add(`${path}.server`, 'a backend needs at least one server');
  const cookies = new Set<string>();
  for (const server of servers) {
    const value = server.cookie ?? server.name;
    if (cookies.has(value)) c.add(`${path}.server.${server.name}`, `cookie value '${value}' used twice`);
    cookies.add(value);
  }
  return {
    name,
    balance,
    hashKey: balanceWords[1],
    cookie,
    servers,
    check,
    retries: int(c, `${path}.retries`, b.retries, defaults.retries, 0, 100),
    redispatch: redispatch || opts.redispatch === true,
    timeouts: timeouts(c, `${path}.timeout`, b.timeout, defaults.timeouts),
    httpRequest: lines(c, `${path}.http-request`, b['http-request']),
  };
}

/** HAProxy server line after the name: `ADDR:PORT [check] [weight N] [backup] [maxconn N] [cookie V] [disabled] [ssl [verify none|required] [ca-file F] [sni NAME]]`. */
export function parseServer(name: string, line: string): ServerConfig {
  const words = splitWords(line);
  const { host, port } = parseHostPort(words[0] ?? '');
  if (port === 0) throw new Error('server port must not be 0');
  const server: ServerConfig = { name, host, port, check: false, weight: 1, backup: false, maxconn: 0 };
  let ssl = false;
  let verify: boolean | undefined;
  let ca: string | undefined;
  let sni: string | undefined;
  const num = (word: string, text: string | undefined, min: number, max: number) => {
    const value = Number(text);
    if (text === undefined || !/^\d+$/.test(text) || value < min || value > max) throw new Error(`${word} needs an integer in [${min}, ${max}]`);
    return value;
  };
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === 'check') server.check = true;
    else if (word === 'backup') server.backup = true;
    else if (word === 'disabled') server.disabled = true;
    else if (word === 'weight') server.weight = num(word, words[++i], 0, 256);
    else if (word === 'maxconn') server.maxconn = num(word, words[++i], 0, 1_000_000);
    else if (word === 'cookie' && words[i + 1]) server.cookie = words[++i];
    else if (word === 'ssl') ssl = true;
    else if (word === 'verify' && (words[i + 1] === 'none' || words[i + 1] === 'required')) verify = words[++i] === 'required';
    else if (word === 'ca-file' && words[i + 1]) ca = words[++i];
    else if (word === 'sni' && words[i + 1]) sni = words[++i];
    else throw new Error(`unknown server option '${word}' (check, weight N, backup, maxconn N, cookie V, disabled, ssl, verify none|required, ca-file F, sni NAME)`);
  }
  if (!ssl && (verify !== undefined || ca || sni)) throw new Error('verify, ca-file and sni need ssl');
  // HAProxy verifies by default when a CA is given; without one we require it be said explicitly.
  if (ssl) {
    if (verify === undefined) throw new Error("ssl needs 'verify required ca-file FILE' or 'verify none'");
    if (verify && !ca) throw new Error('verify required needs ca-file FILE');
    server.ssl = { verify, ca, sni };
  }
  return server;
}
