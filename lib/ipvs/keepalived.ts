/**
 * keepalived.conf's LVS part (`virtual_server` blocks, keepalived 2.2's keepalived.conf(5)) read
 * into VirtualServer options, so a keepalived configuration drives hakit's IPVS client. The
 * same file may hold the VRRP part (read by `hakit vrrp`); it is skipped here. Unsupported
 * keywords are warnings naming file:line, invalid values are IPVS_BAD_CONFIG errors naming them.
 */
import net from 'node:net';
import { HakitError } from '../errors';
import { type Statement, parseConfigFile, parseConfigText } from '../vrrp/confparse';
import type { Forward, SchedFlag, ServiceSpec } from './types';
import type { HealthCheck, RealServer, VirtualServerOptions } from './virtual-server';

export interface LvsDiagnostic {
  file: string;
  line: number;
  message: string;
}

/** One virtual_server: VirtualServer's options without the client, as keepalived would run it. */
export type LvsVirtualServer = Omit<VirtualServerOptions, 'ipvs' | 'logger'> & { file: string; line: number };

export interface LvsConfig {
  virtualServers: LvsVirtualServer[];
  warnings: LvsDiagnostic[];
}

const VRRP_SECTIONS = new Set(['global_defs', 'vrrp_script', 'vrrp_sync_group', 'vrrp_instance', 'static_ipaddress', 'static_routes', 'static_rules', 'vrrp_track_file', 'track_file', 'linkbeat_use_polling']);
const SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos']);
const KINDS: Record<string, Forward> = { NAT: 'masq', DR: 'route', TUN: 'tunnel' };
// keepalived's scheduler flags: sh-fallback/mh-fallback = IP_VS_SVC_F_SCHED1, sh-port/mh-port = SCHED2.
const SCHED_FLAGS: Record<string, SchedFlag> = { 'sh-fallback': 'flag-1', 'mh-fallback': 'flag-1', 'sh-port': 'flag-2', 'mh-port': 'flag-2', flag1: 'flag-1', flag2: 'flag-2', flag3: 'flag-3' };

const fail = (s: Statement, message: string): HakitError => new HakitError('IPVS_BAD_CONFIG', `${s.file}:${s.line}: ${message}`, { file: s.file, line: s.line });

function integer(s: Statement, word: string | undefined, min: number, max: number, what: string): number {
  if (word === undefined || !/^\d+$/.test(word) || Number(word) < min || Number(word) > max) throw fail(s, `${what} must be an integer in ${min}..${max}, got '${word ?? ''}'`);
  return Number(word);
}

/** keepalived's times are seconds, with a fraction allowed. */
function seconds(s: Statement, word: string | undefined, what: string): number {
  if (word === undefined || !/^\d+(\.\d+)?$/.test(word) || Number(word) <= 0 || Number(word) > 86_400) throw fail(s, `${what} must be a number of seconds in (0, 86400], got '${word ?? ''}'`);
  return Number(word);
}

function address(s: Statement, word: string | undefined, what: string): string {
  if (word === undefined || !net.isIP(word)) throw fail(s, `${what} must be an IPv4 or IPv6 address, got '${word ?? ''}'`);
  return word;
}

function port(s: Statement, word: string | undefined, what: string): number {
  return integer(s, word, 0, 65535, what);
}

class Reader {
  readonly warnings: LvsDiagnostic[] = [];
  warn(s: Statement, message: string): void {
    this.warnings.push({ file: s.file, line: s.line, message });
  }

  /** TCP_CHECK / HTTP_GET / SSL_GET; other checkers are warned about and not run. */
  checker(s: Statement, retries: { value?: number }): HealthCheck | undefined {
    const kind = s.words[0]!;
    const type = kind === 'TCP_CHECK' ? 'tcp' : kind === 'HTTP_GET' ? 'http' : kind === 'SSL_GET' ? 'https' : undefined;
    if (!type) {
      this.warn(s, `${kind} is not supported by hakit: this real server is not checked`);
      return undefined;
    }
    let checkPort: number | undefined;
    let timeoutMs: number | undefined;
    let host: string | undefined;
    const urls: Array<{ path: string; digest?: string; status?: number[] }> = [];
    for (const c of s.children ?? []) {
      const [key, value] = c.words;
      if (key === 'connect_port') checkPort = port(c, value, 'connect_port');
      else if (key === 'connect_timeout') timeoutMs = Math.round(seconds(c, value, 'connect_timeout') * 1000);
      else if (key === 'retry' || key === 'nb_get_retry') retries.value = Math.max(retries.value ?? 0, integer(c, value, 0, 1000, key));
      // hakit retries at the next delay_loop, not after delay_before_retry (docs/ipvs.md).
      else if (key === 'delay_before_retry') seconds(c, value, 'delay_before_retry');
      else if (key === 'virtualhost' && type !== 'tcp') host = value;
      else if (key === 'url' && type !== 'tcp') {
        const url: { path: string; digest?: string; status?: number[] } = { path: '/' };
        for (const u of c.children ?? []) {
          const [k, v] = u.words;
          if (k === 'path') url.path = v ?? '/';
          else if (k === 'digest') {
            if (!v || !/^[0-9a-fA-F]{32}$/.test(v)) throw fail(u, `digest must be 32 hex digits (an MD5), got '${v ?? ''}'`);
            url.digest = v.toLowerCase();
          } else if (k === 'status_code') url.status = u.words.slice(1).map((w) => integer(u, w, 100, 599, 'status_code'));
          else this.warn(u, `'${k}' in url is not supported by hakit (ignored)`);
        }
        urls.push(url);
      } else this.warn(c, `'${key}' in ${kind} is not supported by hakit (ignored)`);
    }
    if (type === 'tcp') return { type, port: checkPort, timeoutMs };
    if (urls.length > 1) this.warn(s, `${kind} with ${urls.length} urls: hakit checks the first one only`);
    const url = urls[0] ?? { path: '/' };
    return { type, port: checkPort, timeoutMs, path: url.path, host, digest: url.digest, expectStatus: url.status };
  }

  realServer(s: Statement, forward: Forward, retries: { value?: number }): { server: RealServer; inhibit: boolean } {
    const server: RealServer = { address: address(s, s.words[1], 'real_server address'), port: port(s, s.words[2], 'real_server port'), forward, weight: 1 };
    let inhibit = false;
    for (const c of s.children ?? []) {
      const [key, value] = c.words;
      if (key === 'weight') server.weight = integer(c, value, 0, 2147483647, 'weight');
      else if (key === 'inhibit_on_failure') inhibit = true;
      else if (key === 'uthreshold') server.upperThreshold = integer(c, value, 0, 2147483647, 'uthreshold');
      else if (key === 'lthreshold') server.lowerThreshold = integer(c, value, 0, 2147483647, 'lthreshold');
      else if (key === 'lvs_method' || key === 'lb_kind') server.forward = kind(c, value);
      else if (key === 'TCP_CHECK' || key === 'HTTP_GET' || key === 'SSL_GET' || key === 'MISC_CHECK' || key === 'SMTP_CHECK' || key === 'DNS_CHECK' || key === 'BFD_CHECK' || key === 'FILE_CHECK') {
        const check = this.checker(c, retries);
        if (check && server.check) this.warn(c, 'several checkers on one real server: hakit runs the first one only');
        else if (check) server.check = check;
      } else this.warn(c, `'${key}' in real_server is not supported by hakit (ignored)`);
    }
    // keepalived: a real server without a checker is always up (hakit's default would be a TCP check).
    if (!server.check) server.check = { type: 'none' };
    return { server, inhibit };
  }

  virtualServer(s: Statement): LvsVirtualServer {
    const [, first, second] = s.words;
    let key: ServiceSpec;
    if (first === 'fwmark') key = { fwmark: integer(s, second, 1, 0xffffffff, 'fwmark') };
    else if (first === 'group') throw fail(s, 'virtual_server group is not supported by hakit');
    else key = { protocol: 'tcp', address: address(s, first, 'virtual_server address'), port: port(s, second, 'virtual_server port') };
    let forward: Forward = 'masq';
    let intervalMs = 60_000;
    let quorum = 1;
    let inhibitAll = false;
    let sorry: RealServer | undefined;
    const options: ServiceSpec = { ...key, scheduler: 'wlc' };
    const schedFlags: SchedFlag[] = [];
    const realServerStatements: Statement[] = [];
    for (const c of s.children ?? []) {
      const [word, value] = c.words;
      if (word === 'real_server') realServerStatements.push(c);
      else if (word === 'delay_loop') intervalMs = Math.round(seconds(c, value, 'delay_loop') * 1000);
      else if (word === 'lb_algo' || word === 'lvs_sched') {
        if (!value || !SCHEDULERS.has(value)) throw fail(c, `unknown scheduler '${value ?? ''}' (one of ${[...SCHEDULERS].join(' ')})`);
        options.scheduler = value;
      } else if (word === 'lb_kind' || word === 'lvs_method') forward = kind(c, value);
      else if (word === 'protocol') {
        if (!value || !['TCP', 'UDP', 'SCTP'].includes(value)) throw fail(c, `protocol must be TCP, UDP or SCTP, got '${value ?? ''}'`);
        if (options.fwmark === undefined) (options as { protocol: string }).protocol = value.toLowerCase();
      } else if (word === 'persistence_timeout') options.persistent = integer(c, value ?? '360', 1, 2678400, 'persistence_timeout');
      else if (word === 'persistence_granularity') options.netmask = net.isIPv4(value ?? '') ? value : integer(c, value, 1, 128, 'persistence_granularity');
      else if (word === 'ops') options.onePacket = true;
      else if (word === 'quorum') quorum = integer(c, value, 0, 2147483647, 'quorum');
      else if (word === 'sorry_server') sorry = { address: address(c, value, 'sorry_server address'), port: port(c, c.words[2], 'sorry_server port'), forward: 'masq', weight: 1 };
      else if (word === 'sorry_server_inhibit' || word === 'inhibit_on_failure') inhibitAll = true;
      else if (word && SCHED_FLAGS[word]) schedFlags.push(SCHED_FLAGS[word]!);
      else if (word === 'hysteresis' || word === 'alpha' || word === 'omega' || word === 'quorum_up' || word === 'quorum_down' || word === 'ha_suspend' || word === 'virtualhost') this.warn(c, `'${word}' is not supported by hakit (ignored)`);
      else this.warn(c, `unknown keyword '${word}' in virtual_server (ignored)`);
    }
    if (schedFlags.length) options.schedFlags = [...new Set(schedFlags)].sort();
    const retries: { value?: number } = {};
    const realServers: RealServer[] = [];
    let inhibitOnFailure = inhibitAll;
    for (const c of realServerStatements) {
      const { server, inhibit } = this.realServer(c, forward, retries);
      if (realServers.some((r) => r.address === server.address && r.port === server.port)) throw fail(c, `real_server ${server.address} ${server.port} is given twice`);
      realServers.push(server);
      inhibitOnFailure ||= inhibit;
    }
    if (sorry) sorry.forward = forward;
    // A fwmark service has no address: its family is its real servers' (keepalived does the same).
    if (options.fwmark !== undefined && realServers.some((r) => net.isIPv6(r.address))) (options as { family: number }).family = 6;
    // keepalived retries `retry` times (default 1) before a server is down: retry + 1 failed checks.
    const result: LvsVirtualServer = { service: options, realServers, intervalMs, retries: (retries.value ?? 1) + 1, inhibitOnFailure, quorum, file: s.file, line: s.line };
    if (sorry) result.sorryServer = sorry;
    return result;
  }
}

function kind(s: Statement, value: string | undefined): Forward {
  const forward = value === undefined ? undefined : KINDS[value];
  if (!forward) throw fail(s, `lb_kind must be NAT, DR or TUN, got '${value ?? ''}'`);
  return forward;
}

/** Reads the virtual_server blocks of parsed keepalived.conf statements. */
export function lvsFromStatements(statements: Statement[]): LvsConfig {
  const reader = new Reader();
  const virtualServers: LvsVirtualServer[] = [];
  for (const s of statements) {
    const word = s.words[0]!;
    if (word === 'virtual_server') {
      const vs = reader.virtualServer(s);
      const same = virtualServers.find((v) => JSON.stringify({ ...v.service, scheduler: 0 }) === JSON.stringify({ ...vs.service, scheduler: 0 }));
      if (same) throw fail(s, `this virtual_server repeats the one at ${same.file}:${same.line}`);
      virtualServers.push(vs);
    } else if (word === 'virtual_server_group') reader.warn(s, 'virtual_server_group is not supported by hakit (ignored)');
    else if (!VRRP_SECTIONS.has(word)) reader.warn(s, `unknown top-level keyword '${word}' (ignored)`);
  }
  return { virtualServers, warnings: reader.warnings };
}

export function parseLvsConfig(text: string, file = 'keepalived.conf'): LvsConfig {
  return lvsFromStatements(rethrow(() => parseConfigText(text, file)));
}

export function loadLvsConfig(file: string): LvsConfig {
  return lvsFromStatements(rethrow(() => parseConfigFile(file)));
}

/** The shared keepalived.conf reader says VRRP_BAD_CONFIG; here the file is read for IPVS. */
function rethrow<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof HakitError && error.code === 'VRRP_BAD_CONFIG') throw new HakitError('IPVS_BAD_CONFIG', error.message, error.details, { cause: error });
    throw error;
  }
}
