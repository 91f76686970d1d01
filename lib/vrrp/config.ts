/**
 * keepalived.conf -> hakit VRRP configuration: global_defs, vrrp_script, vrrp_sync_group and
 * vrrp_instance (the virtual_server part belongs to the load balancer and is skipped with a
 * warning). Unknown or unsupported keywords are warnings naming file:line; invalid values are
 * errors naming file:line (all of them, in one VRRP_BAD_CONFIG).
 */
import { HakitError } from '../errors';
import { canonical, familyOf } from './addr';
import { parseConfigFile, parseConfigText, type Statement } from './confparse';
import type { GarpOptions, InstanceOptions, Vip } from './types';

export interface Diagnostic {
  file: string;
  line: number;
  message: string;
}

export interface TrackRef {
  name: string;
  /** undefined: the object's own weight (scripts) or 0 (a failure means FAULT). */
  weight?: number;
  /** track_file only: negate the file's value times the weight. */
  reverse?: boolean;
}

/** keepalived track_file (vrrp_track_file): a number in a file, read again whenever it changes. */
export interface FileConfig {
  name: string;
  file: string;
  /** Default weight of the instances tracking it (keepalived default 1). */
  weight: number;
  reverse: boolean;
  /** init_file: write this value at start if the file is missing (or always, with overwrite). */
  init?: { value: number; overwrite: boolean };
}

export interface NotifyScripts {
  master?: string;
  backup?: string;
  fault?: string;
  stop?: string;
  /** keepalived's `notify`: called with TYPE NAME STATE PRIORITY. */
  any?: string;
}

export interface InstanceConfig extends InstanceOptions {
  trackInterfaces: TrackRef[];
  trackScripts: TrackRef[];
  trackFiles: TrackRef[];
  notify: NotifyScripts;
}

export interface ScriptConfig {
  name: string;
  script: string;
  /** ms */
  interval: number;
  /** ms (default: the interval) */
  timeout: number;
  weight: number;
  rise: number;
  fall: number;
}

export interface SyncGroupConfig {
  name: string;
  members: string[];
  notify: NotifyScripts;
}

export interface VrrpConfig {
  routerId?: string;
  instances: InstanceConfig[];
  scripts: ScriptConfig[];
  files: FileConfig[];
  groups: SyncGroupConfig[];
  /** nftables table for no_accept (global `nftables TABLENAME`). */
  nftTable?: string;
  warnings: Diagnostic[];
}

class Collector {
  errors: Diagnostic[] = [];
  warnings: Diagnostic[] = [];
  error(s: Statement, message: string): void {
    this.errors.push({ file: s.file, line: s.line, message });
  }
  warn(s: Statement, message: string): void {
    this.warnings.push({ file: s.file, line: s.line, message });
  }
}

function int(c: Collector, s: Statement, min: number, max: number, index = 1): number | undefined {
  const text = s.words[index];
  if (text === undefined || !/^-?\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    c.error(s, `${s.words[0]}: expected an integer in ${min}-${max}, got ${text === undefined ? 'nothing' : `'${text}'`}`);
    return undefined;
  }
  return Number(text);
}

function seconds(c: Collector, s: Statement, min: number, max: number): number | undefined {
  const text = s.words[1];
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text) || Number(text) < min || Number(text) > max) {
    c.error(s, `${s.words[0]}: expected seconds in ${min}-${max}, got ${text === undefined ? 'nothing' : `'${text}'`}`);
    return undefined;
  }
  return Math.round(Number(text) * 1000);
}

const ignoredGlobals = new Set([
  'notification_email', 'notification_email_from', 'smtp_server', 'smtp_connect_timeout', 'smtp_helo_name',
  'enable_script_security', 'script_user', 'max_auto_priority', 'vrrp_no_swap', 'checker_no_swap', 'vrrp_priority',
  'vrrp_iptables', 'vrrp_ipsets', 'vrrp_skip_check_adv_addr', 'lvs_id', 'dynamic_interfaces',
]);

const garpKeys: Record<string, keyof GarpOptions> = {
  garp_master_delay: 'masterDelay', garp_master_repeat: 'masterRepeat', garp_master_refresh: 'masterRefresh',
  garp_master_refresh_repeat: 'masterRefreshRepeat', garp_interval: 'interval', gna_interval: 'interval',
  garp_lower_prio_delay: 'lowerPrioDelay', garp_lower_prio_repeat: 'lowerPrioRepeat',
};

function garpValue(c: Collector, s: Statement, key: keyof GarpOptions): number | undefined {
  if (key === 'masterRepeat' || key === 'masterRefreshRepeat' || key === 'lowerPrioRepeat') return int(c, s, 0, 1000);
  if (key === 'interval') return seconds(c, s, 0, 1000);
  return seconds(c, s, 0, 86400);
}

interface Globals {
  version?: 2 | 3;
  garp: Partial<GarpOptions>;
  strict: boolean;
  checksumAsV2: boolean;
  checkUnicastSrc: boolean;
  routerId?: string;
  nftTable?: string;
}

function parseGlobals(c: Collector, list: Statement[], g: Globals): void {
  for (const s of list) {
    const k = s.words[0]!;
    if (k === 'router_id') g.routerId = s.words[1];
    else if (k === 'vrrp_version') {
      const v = int(c, s, 2, 3);
      if (v !== undefined) g.version = v as 2 | 3;
    } else if (k === 'vrrp_strict') g.strict = true;
    else if (k === 'vrrp_check_unicast_src') g.checkUnicastSrc = true;
    else if (k === 'nftables' || k === 'vrrp_nftables') {
      if (s.words[1] !== undefined && !/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(s.words[1])) c.error(s, `${k}: '${s.words[1]}' is not a valid table name`);
      else if (s.words[1] !== undefined) g.nftTable = s.words[1];
    } else if (k === 'nftables_priority' || k === 'nftables_counters' || k === 'nftables_ifindex') c.warn(s, `global_defs ${k} is not used by hakit (ignored)`);
    else if (k === 'v3_checksum_as_v2' || k === 'vrrp_v3_checksum_as_v2') g.checksumAsV2 = true;
    else if (k.startsWith('vrrp_') && garpKeys[k.slice(5)]) {
      const key = garpKeys[k.slice(5)]!;
      const v = garpValue(c, s, key);
      if (v !== undefined) g.garp[key] = v;
    } else if (ignoredGlobals.has(k)) {
      if (k !== 'enable_script_security' && k !== 'script_user') c.warn(s, `global_defs ${k} is not used by hakit (ignored)`);
    } else c.warn(s, `unknown keyword '${k}' in global_defs (ignored)`);
  }
}

function parseVip(c: Collector, s: Statement): Vip | undefined {
  const [spec, ...rest] = s.words;
  const [address, prefixText] = spec!.split('/') as [string, string | undefined];
  const family = familyOf(address);
  if (!family) {
    c.error(s, `'${spec}' is not an IP address`);
    return undefined;
  }
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? '0') || prefix > max) {
    c.error(s, `bad prefix length in '${spec}'`);
    return undefined;
  }
  const vip: Vip = { address: canonical(address), prefix };
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i]!;
    const value = rest[i + 1];
    if (value === undefined && key !== 'no_track') {
      c.error(s, `'${key}' needs a value`);
      return undefined;
    }
    if (key === 'dev') vip.dev = value;
    else if (key === 'label') {
      if (value!.length > 15) c.error(s, `label '${value}' is longer than 15 characters`);
      vip.label = value;
    } else if (key === 'no_track') i--;
    else if (key === 'brd' || key === 'broadcast' || key === 'scope') c.warn(s, `'${key}' in a virtual address is not supported (ignored)`);
    else c.warn(s, `unknown option '${key}' in a virtual address (ignored)`);
  }
  return vip;
}

function parseTracks(c: Collector, list: Statement[] | undefined, reversible = false): TrackRef[] {
  const out: TrackRef[] = [];
  for (const s of list ?? []) {
    const ref: TrackRef = { name: s.words[0]! };
    if (s.words[1] === 'weight') {
      const w = int(c, s, reversible ? -254 : -253, reversible ? 254 : 253, 2);
      if (w !== undefined) ref.weight = w;
      const flag = s.words[3];
      if (reversible && (flag === 'reverse' || flag === 'noreverse')) ref.reverse = flag === 'reverse';
      else if (flag !== undefined) c.warn(s, `unexpected '${flag}' after the weight of ${s.words[0]} (ignored)`);
    } else if (s.words.length > 1) c.warn(s, `unexpected '${s.words[1]}' after ${s.words[0]} (ignored)`);
    out.push(ref);
  }
  return out;
}

function script(c: Collector, s: Statement): string | undefined {
  if (s.words.length < 2) {
    c.error(s, `${s.words[0]} needs a script`);
    return undefined;
  }
  return s.words.slice(1).join(' ');
}

interface RawInstance {
  stmt: Statement;
  cfg: Partial<InstanceConfig> & { name: string; trackInterfaces: TrackRef[]; trackScripts: TrackRef[]; trackFiles: TrackRef[]; notify: NotifyScripts; vips: Vip[] };
  advertText?: Statement;
  authStmt?: Statement;
  /** `accept` (true) / `no_accept` (false) as written; undefined: the default. */
  accept?: boolean;
}

/** `unicast_peer { ADDR [min_ttl N] [max_ttl N] }`: keepalived 2.2.7 checks the peer's TTL and turns check_unicast_src on. */
function peerTtl(c: Collector, p: Statement, cfg: RawInstance['cfg']): void {
  const range = { min: 0, max: 255 };
  for (let i = 1; i < p.words.length; i += 2) {
    const key = p.words[i];
    if (key !== 'min_ttl' && key !== 'max_ttl') return c.error(p, `unicast_peer ${p.words[0]}: unknown option '${key}' (min_ttl, max_ttl)`);
    const text = p.words[i + 1];
    if (text === undefined || !/^\d+$/.test(text) || Number(text) > 255) return c.error(p, `unicast_peer ${p.words[0]}: ${key}: expected an integer in 0-255, got ${text === undefined ? 'nothing' : `'${text}'`}`);
    range[key === 'min_ttl' ? 'min' : 'max'] = Number(text);
  }
  if (range.min > range.max) return c.error(p, `unicast_peer ${p.words[0]}: min_ttl ${range.min} is above max_ttl ${range.max}`);
  (cfg.unicastPeerTtl ??= {})[canonical(p.words[0]!)] = range;
  cfg.checkUnicastSrc = true;
}

function parseInstance(c: Collector, s: Statement, g: Globals): RawInstance {
  const name = s.words[1];
  if (!name) c.error(s, 'vrrp_instance needs a name');
  const r: RawInstance = { stmt: s, cfg: { name: name ?? '?', trackInterfaces: [], trackScripts: [], trackFiles: [], notify: {}, vips: [] } };
  const cfg = r.cfg;
  let authType: string | undefined;
  for (const k of s.children ?? []) {
    const key = k.words[0]!;
    switch (key) {
      case 'state':
        if (k.words[1] !== 'MASTER' && k.words[1] !== 'BACKUP') c.error(k, `state must be MASTER or BACKUP, got '${k.words[1] ?? ''}'`);
        else cfg.state = k.words[1];
        break;
      case 'interface': if (!k.words[1]) c.error(k, 'interface needs a name'); else cfg.interface = k.words[1]; break;
      case 'virtual_router_id': cfg.vrid = int(c, k, 1, 255); break;
      case 'priority': cfg.priority = int(c, k, 1, 255); break;
      case 'advert_int': r.advertText = k; break;
      case 'version': { const v = int(c, k, 2, 3); if (v) cfg.version = v as 2 | 3; break; }
      case 'nopreempt': cfg.preempt = false; break;
      case 'preempt': break;
      case 'preempt_delay': cfg.preemptDelay = seconds(c, k, 0, 1000); break;
      case 'authentication':
        r.authStmt = k;
        for (const a of k.children ?? []) {
          if (a.words[0] === 'auth_type') {
            authType = a.words[1];
            if (authType === 'AH') c.error(a, 'auth_type AH is not supported (deprecated by RFC 3768 and removed in VRRPv3)');
            else if (authType !== 'PASS') c.error(a, `auth_type must be PASS, got '${authType ?? ''}'`);
          } else if (a.words[0] === 'auth_pass') {
            const pass = a.words.slice(1).join(' ');
            // keepalived keeps the first 8 bytes of a longer password.
            if (Buffer.byteLength(pass) > 8) c.warn(a, 'auth_pass is longer than 8 characters: only the first 8 are used');
            cfg.authPass = Buffer.from(pass).subarray(0, 8).toString();
          } else c.warn(a, `unknown keyword '${a.words[0]}' in authentication (ignored)`);
        }
        break;
      case 'virtual_ipaddress':
      case 'virtual_ipaddress_excluded': {
        const list: Vip[] = [];
        for (const v of k.children ?? []) { const vip = parseVip(c, v); if (vip) list.push(vip); }
        if (key === 'virtual_ipaddress') cfg.vips.push(...list);
        else cfg.excludedVips = [...(cfg.excludedVips ?? []), ...list];
        break;
      }
      case 'unicast_src_ip':
      case 'mcast_src_ip':
        if (!familyOf(k.words[1] ?? '')) c.error(k, `${key}: '${k.words[1] ?? ''}' is not an IP address`);
        else cfg.unicastSrc = canonical(k.words[1]!);
        break;
      case 'unicast_peer':
        cfg.unicastPeers = [];
        for (const p of k.children ?? []) {
          if (!familyOf(p.words[0]!)) c.error(p, `unicast_peer: '${p.words[0]}' is not an IP address`);
          else cfg.unicastPeers.push(canonical(p.words[0]!));
          if (p.words.length > 1 && familyOf(p.words[0]!)) peerTtl(c, p, cfg);
        }
        break;
      case 'track_interface': cfg.trackInterfaces.push(...parseTracks(c, k.children)); break;
      case 'track_script': cfg.trackScripts.push(...parseTracks(c, k.children)); break;
      case 'track_file': cfg.trackFiles.push(...parseTracks(c, k.children, true)); break;
      case 'unicast_ttl': { const v = int(c, k, 1, 255); if (v !== undefined) cfg.unicastTtl = v; break; }
      case 'check_unicast_src': cfg.checkUnicastSrc = true; break;
      // accept mode is what hakit (and keepalived without vrrp_strict) does: the VIPs are plain local addresses
      case 'accept': r.accept = true; break;
      case 'no_accept': r.accept = false; break;
      case 'notify_master': cfg.notify.master = script(c, k); break;
      case 'notify_backup': cfg.notify.backup = script(c, k); break;
      case 'notify_fault': cfg.notify.fault = script(c, k); break;
      case 'notify_stop': cfg.notify.stop = script(c, k); break;
      case 'notify': cfg.notify.any = script(c, k); break;
      case 'use_vmac': cfg.useVmac = k.words[1] ?? true; break;
      case 'v3_checksum_as_v2': cfg.checksumAsV2 = true; break;
      case 'vmac_xmit_base': cfg.vmacXmitBase = true; break;
      case 'native_ipv6': break;
      default:
        if (garpKeys[key]) {
          const v = garpValue(c, k, garpKeys[key]!);
          if (v !== undefined) cfg.garp = { ...cfg.garp, [garpKeys[key]!]: v };
        } else c.warn(k, `unknown or unsupported keyword '${key}' in vrrp_instance ${cfg.name} (ignored)`);
    }
  }
  if (r.authStmt && authType === 'PASS' && cfg.authPass === undefined) c.error(r.authStmt, 'auth_type PASS needs auth_pass');
  if (authType !== 'PASS') delete cfg.authPass;
  void g;
  return r;
}

function finishInstance(c: Collector, r: RawInstance, g: Globals): InstanceConfig | undefined {
  const { cfg, stmt } = r;
  const before = c.errors.length;
  if (!cfg.interface) c.error(stmt, `vrrp_instance ${cfg.name}: no interface`);
  if (cfg.vrid === undefined) c.error(stmt, `vrrp_instance ${cfg.name}: no virtual_router_id`);
  if (cfg.vips.length === 0) c.error(stmt, `vrrp_instance ${cfg.name}: no virtual_ipaddress`);
  const family = cfg.vips[0] ? familyOf(cfg.vips[0].address) : 4;
  if (cfg.vips.some((v) => familyOf(v.address) !== family)) c.error(stmt, `vrrp_instance ${cfg.name}: virtual_ipaddress mixes IPv4 and IPv6 (use virtual_ipaddress_excluded for the other family)`);
  // keepalived: IPv6 is always VRRPv3.
  const version = family === 6 ? 3 : (cfg.version ?? g.version ?? 2);
  if (family === 6 && cfg.version === 2) c.warn(stmt, `vrrp_instance ${cfg.name}: VRRPv2 has no IPv6; using version 3`);
  let advertInt = 1000;
  if (r.advertText) {
    const text = r.advertText.words[1] ?? '';
    const value = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text)) c.error(r.advertText, `advert_int: '${text}' is not a number of seconds`);
    else if (version === 2 && (!Number.isInteger(value) || value < 1 || value > 255)) c.error(r.advertText, `advert_int ${text}: VRRPv2 takes whole seconds 1-255`);
    else if (version === 3 && (value < 0.01 || value > 40.95 || Math.abs(value * 100 - Math.round(value * 100)) > 1e-9)) c.error(r.advertText, `advert_int ${text}: VRRPv3 takes 0.01-40.95 s in centiseconds`);
    else advertInt = Math.round(value * 1000);
  }
  if (version === 3 && cfg.authPass !== undefined) c.warn(r.authStmt ?? stmt, 'authentication is not part of VRRPv3 (ignored)');
  if (cfg.vmacXmitBase && !cfg.useVmac) c.warn(stmt, `vrrp_instance ${cfg.name}: vmac_xmit_base without use_vmac (ignored)`);
  if (cfg.useVmac && cfg.unicastPeers?.length && !cfg.vmacXmitBase) c.warn(stmt, `vrrp_instance ${cfg.name}: keepalived requires vmac_xmit_base with use_vmac and unicast peers`);
  if (g.strict) {
    if (cfg.vmacXmitBase) c.error(stmt, `vrrp_instance ${cfg.name}: vrrp_strict forbids vmac_xmit_base`);
    if (cfg.unicastPeers?.length) c.error(stmt, `vrrp_instance ${cfg.name}: vrrp_strict forbids unicast_peer`);
    if (cfg.authPass !== undefined) c.error(r.authStmt ?? stmt, `vrrp_instance ${cfg.name}: vrrp_strict forbids authentication`);
  }
  if (cfg.unicastSrc && familyOf(cfg.unicastSrc) !== family) c.error(stmt, `vrrp_instance ${cfg.name}: unicast_src_ip is not of the VIPs' family`);
  // keepalived: no_accept, or under vrrp_strict anything but `accept` and the address owner.
  const noAccept = r.accept === false || (g.strict && r.accept === undefined && (cfg.priority ?? 100) !== 255);
  if (c.errors.length > before) return undefined;
  return {
    name: cfg.name, interface: cfg.interface!, vrid: cfg.vrid!, priority: cfg.priority ?? 100, advertInt, version,
    state: cfg.state ?? 'BACKUP', preempt: cfg.preempt ?? true, preemptDelay: cfg.preemptDelay ?? 0,
    ...(version === 2 && cfg.authPass !== undefined ? { authPass: cfg.authPass } : {}),
    vips: cfg.vips, excludedVips: cfg.excludedVips ?? [],
    ...(cfg.unicastSrc ? { unicastSrc: cfg.unicastSrc } : {}),
    unicastPeers: cfg.unicastPeers ?? [],
    ...(cfg.unicastTtl !== undefined ? { unicastTtl: cfg.unicastTtl } : {}),
    ...(cfg.checkUnicastSrc || g.checkUnicastSrc ? { checkUnicastSrc: true } : {}),
    ...(cfg.unicastPeerTtl ? { unicastPeerTtl: cfg.unicastPeerTtl } : {}),
    ...(noAccept ? { noAccept: true } : {}),
    checksumAsV2: cfg.checksumAsV2 ?? g.checksumAsV2,
    garp: { ...g.garp, ...cfg.garp },
    ...(cfg.useVmac ? { useVmac: cfg.useVmac } : {}),
    ...(cfg.useVmac && cfg.vmacXmitBase ? { vmacXmitBase: true } : {}),
    trackInterfaces: cfg.trackInterfaces, trackScripts: cfg.trackScripts, trackFiles: cfg.trackFiles, notify: cfg.notify,
  };
}

function parseScript(c: Collector, s: Statement): ScriptConfig | undefined {
  const name = s.words[1];
  if (!name) { c.error(s, 'vrrp_script needs a name'); return undefined; }
  const out: ScriptConfig = { name, script: '', interval: 1000, timeout: 0, weight: 0, rise: 1, fall: 1 };
  for (const k of s.children ?? []) {
    const key = k.words[0]!;
    if (key === 'script') out.script = script(c, k) ?? '';
    else if (key === 'interval') out.interval = seconds(c, k, 0.01, 86400) ?? out.interval;
    else if (key === 'timeout') out.timeout = seconds(c, k, 0.01, 86400) ?? 0;
    else if (key === 'weight') out.weight = int(c, k, -253, 253) ?? 0;
    else if (key === 'rise') out.rise = int(c, k, 1, 1000) ?? 1;
    else if (key === 'fall') out.fall = int(c, k, 1, 1000) ?? 1;
    else if (key === 'user' || key === 'init_fail') c.warn(k, `vrrp_script ${key} is not supported (ignored)`);
    else c.warn(k, `unknown keyword '${key}' in vrrp_script ${name} (ignored)`);
  }
  if (!out.script) c.error(s, `vrrp_script ${name}: no script`);
  if (out.timeout === 0) out.timeout = out.interval;
  return out;
}

function parseFile(c: Collector, s: Statement): FileConfig | undefined {
  const name = s.words[1];
  if (!name) { c.error(s, `${s.words[0]} needs a name`); return undefined; }
  const out: FileConfig = { name, file: '', weight: 1, reverse: false };
  for (const k of s.children ?? []) {
    const key = k.words[0]!;
    if (key === 'file') {
      if (!k.words[1]) c.error(k, 'file needs a path');
      else out.file = k.words[1];
    } else if (key === 'weight') {
      out.weight = int(c, k, -254, 254) ?? 1;
      if (k.words[2] === 'reverse') out.reverse = true;
      else if (k.words[2] !== undefined) c.warn(k, `unexpected '${k.words[2]}' after the weight (ignored)`);
    } else if (key === 'init_file') {
      let value = 0;
      let rest = k.words.slice(1);
      if (rest[0] !== undefined && rest[0] !== 'overwrite') {
        value = int(c, k, -2147483647, 2147483647) ?? 0;
        rest = rest.slice(1);
      }
      out.init = { value, overwrite: rest[0] === 'overwrite' };
    } else c.warn(k, `unknown keyword '${key}' in track_file ${name} (ignored)`);
  }
  if (!out.file) c.error(s, `track_file ${name}: no file`);
  return out;
}

function parseGroup(c: Collector, s: Statement): SyncGroupConfig | undefined {
  const name = s.words[1];
  if (!name) { c.error(s, 'vrrp_sync_group needs a name'); return undefined; }
  const out: SyncGroupConfig = { name, members: [], notify: {} };
  for (const k of s.children ?? []) {
    const key = k.words[0]!;
    if (key === 'group') out.members.push(...(k.children ?? []).flatMap((m) => m.words));
    else if (key === 'notify_master') out.notify.master = script(c, k);
    else if (key === 'notify_backup') out.notify.backup = script(c, k);
    else if (key === 'notify_fault') out.notify.fault = script(c, k);
    else if (key === 'notify_stop') out.notify.stop = script(c, k);
    else if (key === 'notify') out.notify.any = script(c, k);
    else c.warn(k, `unknown or unsupported keyword '${key}' in vrrp_sync_group ${name} (ignored)`);
  }
  return out;
}

export function buildConfig(tree: Statement[]): VrrpConfig {
  const c = new Collector();
  const g: Globals = { garp: {}, strict: false, checksumAsV2: false, checkUnicastSrc: false };
  for (const s of tree) if (s.words[0] === 'global_defs') parseGlobals(c, s.children ?? [], g);
  const raw: RawInstance[] = [];
  const scripts: ScriptConfig[] = [];
  const files: FileConfig[] = [];
  const groups: SyncGroupConfig[] = [];
  for (const s of tree) {
    const key = s.words[0]!;
    if (key === 'global_defs') continue;
    if (key === 'vrrp_instance') raw.push(parseInstance(c, s, g));
    else if (key === 'vrrp_script') { const x = parseScript(c, s); if (x) scripts.push(x); }
    else if (key === 'track_file' || key === 'vrrp_track_file') { const x = parseFile(c, s); if (x) files.push(x); }
    else if (key === 'vrrp_sync_group') { const x = parseGroup(c, s); if (x) groups.push(x); }
    else if (key === 'virtual_server' || key === 'virtual_server_group' || key === 'real_server') c.warn(s, `${key} belongs to the load balancer, not VRRP (skipped here; \`hakit lvs --config\` runs it)`);
    else c.warn(s, `unknown or unsupported top-level keyword '${key}' (ignored)`);
  }
  const instances = raw.map((r) => finishInstance(c, r, g)).filter((x): x is InstanceConfig => x !== undefined);
  const names = new Set<string>();
  for (const r of raw) {
    if (names.has(r.cfg.name)) c.error(r.stmt, `vrrp_instance ${r.cfg.name} is defined twice`);
    names.add(r.cfg.name);
    // keepalived ignores an unknown track_script with a warning; the router may also be given a hakit check of that name
    for (const t of r.cfg.trackFiles) if (!files.some((f) => f.name === t.name)) c.error(r.stmt, `vrrp_instance ${r.cfg.name} tracks file '${t.name}', which is not a track_file here`);
    for (const t of r.cfg.trackScripts) if (!scripts.some((s) => s.name === t.name)) c.warn(r.stmt, `vrrp_instance ${r.cfg.name} tracks '${t.name}', which is not a vrrp_script here (ignored unless a check of that name is given to the router)`);
  }
  const keys = new Map<string, string>();
  for (const i of instances) {
    const key = `${i.interface}/${familyOf(i.vips[0]!.address)}/${i.vrid}`;
    if (keys.has(key)) c.error(raw.find((r) => r.cfg.name === i.name)!.stmt, `vrrp_instance ${i.name} uses the same interface, family and virtual_router_id as ${keys.get(key)}`);
    keys.set(key, i.name);
  }
  for (const group of groups) {
    for (const m of group.members) if (!names.has(m)) c.errors.push({ file: '', line: 0, message: `vrrp_sync_group ${group.name}: unknown instance '${m}'` });
  }
  if (c.errors.length) {
    const text = c.errors.map((e) => (e.file ? `${e.file}:${e.line}: ${e.message}` : e.message)).join('\n');
    throw new HakitError('VRRP_BAD_CONFIG', text, { errors: c.errors, warnings: c.warnings });
  }
  return { ...(g.routerId ? { routerId: g.routerId } : {}), ...(g.nftTable ? { nftTable: g.nftTable } : {}), instances, scripts, files, groups, warnings: c.warnings };
}

export function loadConfig(file: string): VrrpConfig {
  return buildConfig(parseConfigFile(file));
}

export function parseConfig(text: string, file = 'keepalived.conf'): VrrpConfig {
  return buildConfig(parseConfigText(text, file));
}
