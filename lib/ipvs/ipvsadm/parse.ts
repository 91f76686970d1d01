/**
 * ipvsadm 1.31's command line (popt: clustered short options, optional argument of -p,
 * `--opt=value`) and its checks (commands_v_options, tunnel_types_v_options), with ipvsadm's
 * error messages. A bad command line throws IpvsadmExit with ipvsadm's status.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import { FMT } from './format';
import { portByName } from './names';

export class IpvsadmExit extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly stream: 'stdout' | 'stderr' = 'stderr',
  ) {
    super(message);
  }
}
const fail = (message: string): IpvsadmExit => new IpvsadmExit(2, message + '\n');
export const TRY_HELP = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n";

export type Cmd = 'add' | 'edit' | 'delete' | 'flush' | 'list' | 'add-server' | 'delete-server' | 'edit-server' | 'set' | 'start-daemon' | 'stop-daemon' | 'restore' | 'save' | 'zero' | 'help' | 'version';
const cmdNames: Record<string, string> = {
  add: 'add-service',
  edit: 'edit-service',
  delete: 'delete-service',
  flush: 'flush',
  list: 'list',
  'add-server': 'add-server',
  'delete-server': 'delete-server',
  'edit-server': 'edit-server',
  set: 'set',
  'start-daemon': 'start-daemon',
  'stop-daemon': 'stop-daemon',
  restore: 'restore',
  save: 'save',
  zero: 'zero',
};

// optnames[] of ipvsadm.c, in bit order
const OPTS = ['numeric', 'connection', 'service-address', 'scheduler', 'persistent', 'netmask', 'real-server', 'forwarding-method', 'weight', 'u-threshold', 'l-threshold', 'mcast-interface', 'timeout', 'daemon', 'stats', 'rate', 'thresholds', 'persistent-conn', 'nosort', 'syncid', 'exact', 'ops', 'pe', 'sched-flags', 'mcast-group', 'mcast-port', 'mcast-ttl', 'sync-maxlen', 'tun-info', 'tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as const;
type Opt = (typeof OPTS)[number];

// commands_v_options: '+' required, 'x' illegal, '1' exclusive, ' ' optional
const table: Record<string, string> = {
  add: 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  edit: 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  delete: 'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  flush: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  list: ' 11xxxxxxxxx11       xxxxxxx xxxxx',
  'add-server': 'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  'delete-server': 'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'edit-server': 'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  set: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'start-daemon': 'xxxxxxxxxxx xxxxxxx xxxx    xxxxxx',
  'stop-daemon': 'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx',
  restore: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  save: ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  zero: 'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
};
// tunnel_types_v_options over tun-port, tun-nocsum, tun-csum, tun-remcsum
const tunnelTable: Record<string, string> = { ipip: 'xxxx', gue: '+111', gre: 'x11x' };
const tunnelOpts: Opt[] = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'];

export interface Entry {
  cmd?: Cmd;
  options: Set<Opt>;
  format: number;
  svc: { af: 4 | 6; protocol: 'tcp' | 'udp' | 'sctp'; address?: string; port: number; fwmark: number; scheduler: string; persistent: boolean; timeout: number; netmask: string | number; onePacket: boolean; schedFlags: number; pe: string };
  dest: { af: 4 | 6; address?: string; port: number; hasPort: boolean; forward: 'masq' | 'tunnel' | 'route'; weight: number; upper: number; lower: number; tunType: 'ipip' | 'gue' | 'gre'; tunPort: number; tunFlags: 'nocsum' | 'csum' | 'remcsum' };
  timeouts?: { tcp: number; tcpFin: number; udp: number };
  daemon: { state?: 'master' | 'backup'; interface: string; syncId: number; maxLength?: number; group?: string; port?: number; ttl?: number };
}

type ArgKind = 'none' | 'required' | 'optional';
interface Spec {
  long: string;
  short?: string;
  arg: ArgKind;
  handle: (entry: Entry, value: string | undefined, pending: Pending) => void;
}
interface Pending {
  schedFlags?: string;
  svcArg?: { text: string; protocol: 'tcp' | 'udp' | 'sctp' };
  destArg?: string;
  set?: boolean;
}

function setCommand(entry: Entry, cmd: Cmd): void {
  if (entry.cmd !== undefined) throw fail('multiple commands specified');
  entry.cmd = cmd;
}
function setOption(entry: Entry, opt: Opt): void {
  if (entry.options.has(opt)) throw fail(`multiple '${opt}' options specified`);
  entry.options.add(opt);
}

/** string_to_number: decimal digits only, in [min, max]; -1 otherwise. */
function number(text: string | undefined, min: number, max: number): number {
  if (text === undefined || !/^\d+$/.test(text)) return -1;
  const n = Number(text);
  return n < min || n > max ? -1 : n;
}

const MAX_TIMEOUT = 86400 * 31;
const INT_MAX = 0x7fffffff;

function parseTimeout(text: string, min: number, max: number): number {
  const n = number(text, min, max);
  if (n === -1) throw fail(`invalid timeout value \`${text}' specified`);
  return n;
}

/** An option naming a kernel object (scheduler, pe, interface): IP_VS_*_MAXLEN is 16 with the NUL. */
function kernelName(long: Opt, short: string | undefined, assign: (e: Entry, name: string) => void): Spec {
  const handle = (e: Entry, v: string | undefined): void => {
    setOption(e, long);
    assign(e, v!.slice(0, 15));
  };
  return short === undefined ? { long, arg: 'required', handle } : { long, short, arg: 'required', handle };
}

function daemonCommand(cmd: 'start-daemon' | 'stop-daemon', refusal: string): Spec {
  return {
    long: cmd,
    arg: 'required',
    handle: (e, v) => {
      setCommand(e, cmd);
      if (v !== 'master' && v !== 'backup') throw fail(refusal);
      e.daemon.state = v;
    },
  };
}

const specs: Spec[] = [
  { long: 'add-service', short: 'A', arg: 'none', handle: (e) => setCommand(e, 'add') },
  { long: 'edit-service', short: 'E', arg: 'none', handle: (e) => setCommand(e, 'edit') },
  { long: 'delete-service', short: 'D', arg: 'none', handle: (e) => setCommand(e, 'delete') },
  { long: 'clear', short: 'C', arg: 'none', handle: (e) => setCommand(e, 'flush') },
  { long: 'list', short: 'L', arg: 'none', handle: (e) => setCommand(e, 'list') },
  { long: 'list', short: 'l', arg: 'none', handle: (e) => setCommand(e, 'list') },
  { long: 'zero', short: 'Z', arg: 'none', handle: (e) => setCommand(e, 'zero') },
  { long: 'add-server', short: 'a', arg: 'none', handle: (e) => setCommand(e, 'add-server') },
  { long: 'edit-server', short: 'e', arg: 'none', handle: (e) => setCommand(e, 'edit-server') },
  { long: 'delete-server', short: 'd', arg: 'none', handle: (e) => setCommand(e, 'delete-server') },
  {
    long: 'set',
    arg: 'none',
    handle: (e, _v, p) => {
      setCommand(e, 'set');
      p.set = true;
    },
  },
  { long: 'help', short: 'h', arg: 'none', handle: (e) => (e.cmd = 'help') },
  { long: 'version', short: 'v', arg: 'none', handle: (e) => (e.cmd = 'version') },
  { long: 'restore', short: 'R', arg: 'none', handle: (e) => setCommand(e, 'restore') },
  { long: 'save', short: 'S', arg: 'none', handle: (e) => setCommand(e, 'save') },
  daemonCommand('start-daemon', 'illegal start-daemon parameter specified'),
  daemonCommand('stop-daemon', 'illegal stop_daemon parameter specified'),
  { long: 'tcp-service', short: 't', arg: 'required', handle: (e, v, p) => service(e, v!, p, 'tcp') },
  { long: 'udp-service', short: 'u', arg: 'required', handle: (e, v, p) => service(e, v!, p, 'udp') },
  { long: 'sctp-service', arg: 'required', handle: (e, v, p) => service(e, v!, p, 'sctp') },
  {
    long: 'fwmark-service',
    short: 'f',
    arg: 'required',
    handle: (e, v) => {
      setOption(e, 'service-address');
      const mark = number(v, 1, 0xffffffff);
      if (mark === -1) throw fail('illegal fwmark specified');
      e.svc.fwmark = mark;
      e.svc.protocol = 'tcp';
    },
  },
  kernelName('scheduler', 's', (e, name) => (e.svc.scheduler = name)),
  {
    long: 'persistent',
    short: 'p',
    arg: 'optional',
    handle: (e, v) => {
      setOption(e, 'persistent');
      e.svc.persistent = true;
      e.svc.timeout = v === undefined ? 360 : parseTimeout(v, 1, MAX_TIMEOUT); // IPVS_SVC_PERSISTENT_TIMEOUT
    },
  },
  {
    long: 'netmask',
    short: 'M',
    arg: 'required',
    handle: (e, v) => {
      setOption(e, 'netmask');
      if (net.isIPv4(v!)) e.svc.netmask = v!;
      else {
        const prefix = number(v, 1, 128);
        if (prefix === -1) throw fail('illegal virtual server persistent mask specified');
        e.svc.netmask = prefix;
      }
    },
  },
  {
    long: 'real-server',
    short: 'r',
    arg: 'required',
    handle: (e, v, p) => {
      setOption(e, 'real-server');
      p.destArg = v!;
    },
  },
  { long: 'gatewaying', short: 'g', arg: 'none', handle: (e) => forward(e, 'route') },
  { long: 'ipip', short: 'i', arg: 'none', handle: (e) => forward(e, 'tunnel') },
  { long: 'masquerading', short: 'm', arg: 'none', handle: (e) => forward(e, 'masq') },
  { long: 'weight', short: 'w', arg: 'required', handle: (e, v) => numeric(e, 'weight', v, 0, INT_MAX, 'illegal weight specified', (n) => (e.dest.weight = n)) },
  { long: 'u-threshold', short: 'x', arg: 'required', handle: (e, v) => numeric(e, 'u-threshold', v, 0, INT_MAX, 'illegal u_threshold specified', (n) => (e.dest.upper = n)) },
  { long: 'l-threshold', short: 'y', arg: 'required', handle: (e, v) => numeric(e, 'l-threshold', v, 0, INT_MAX, 'illegal l_threshold specified', (n) => (e.dest.lower = n)) },
  { long: 'connection', short: 'c', arg: 'none', handle: (e) => setOption(e, 'connection') },
  { long: 'numeric', short: 'n', arg: 'none', handle: (e) => flag(e, 'numeric', FMT.NUMERIC) },
  kernelName('mcast-interface', undefined, (e, name) => (e.daemon.interface = name)),
  { long: 'syncid', arg: 'required', handle: (e, v) => numeric(e, 'syncid', v, 0, 255, 'illegal syncid specified', (n) => (e.daemon.syncId = n)) },
  { long: 'timeout', arg: 'none', handle: (e) => setOption(e, 'timeout') },
  { long: 'daemon', arg: 'none', handle: (e) => setOption(e, 'daemon') },
  { long: 'stats', arg: 'none', handle: (e) => flag(e, 'stats', FMT.STATS) },
  { long: 'rate', arg: 'none', handle: (e) => flag(e, 'rate', FMT.RATE) },
  { long: 'thresholds', arg: 'none', handle: (e) => flag(e, 'thresholds', FMT.THRESHOLDS) },
  { long: 'persistent-conn', arg: 'none', handle: (e) => flag(e, 'persistent-conn', FMT.PERSISTENTCONN) },
  { long: 'nosort', arg: 'none', handle: (e) => flag(e, 'nosort', FMT.NOSORT) },
  { long: 'sort', arg: 'none', handle: () => undefined },
  { long: 'exact', arg: 'none', handle: (e) => flag(e, 'exact', FMT.EXACT) },
  {
    long: 'ipv6',
    short: '6',
    arg: 'none',
    handle: (e) => {
      if (!e.svc.fwmark) throw fail('-6 used before -f\n');
      e.svc.af = 6;
      e.svc.netmask = 128;
    },
  },
  {
    long: 'ops',
    short: 'o',
    arg: 'none',
    handle: (e) => {
      setOption(e, 'ops');
      e.svc.onePacket = true;
    },
  },
  kernelName('pe', undefined, (e, name) => (e.svc.pe = name)),
  {
    long: 'sched-flags',
    short: 'b',
    arg: 'required',
    handle: (e, v, p) => {
      setOption(e, 'sched-flags');
      p.schedFlags = v!;
    },
  },
  {
    long: 'mcast-group',
    arg: 'required',
    handle: (e, v) => {
      setOption(e, 'mcast-group');
      if (!net.isIP(v!)) throw fail(`illegal IPv4/IPv6 group address \`${v}' specified`);
      e.daemon.group = v!;
    },
  },
  { long: 'mcast-port', arg: 'required', handle: (e, v) => numeric(e, 'mcast-port', v, 1, 65535, 'illegal mcast-port specified', (n) => (e.daemon.port = n)) },
  { long: 'mcast-ttl', arg: 'required', handle: (e, v) => numeric(e, 'mcast-ttl', v, 1, 255, 'illegal mcast-ttl specified', (n) => (e.daemon.ttl = n)) },
  { long: 'sync-maxlen', arg: 'required', handle: (e, v) => numeric(e, 'sync-maxlen', v, 1, 65535 - 20 - 8, 'illegal sync-maxlen specified', (n) => (e.daemon.maxLength = n)) },
  { long: 'tun-info', arg: 'none', handle: (e) => flag(e, 'tun-info', FMT.TUN_INFO) },
  {
    long: 'tun-type',
    arg: 'required',
    handle: (e, v) => {
      setOption(e, 'tun-type');
      if (v !== 'ipip' && v !== 'gue' && v !== 'gre') throw fail('illegal tunnel type specified');
      e.dest.tunType = v;
    },
  },
  { long: 'tun-port', arg: 'required', handle: (e, v) => numeric(e, 'tun-port', v, 1, 65535, 'illegal tunnel port specified', (n) => (e.dest.tunPort = n)) },
  { long: 'tun-nocsum', arg: 'none', handle: (e) => tunFlag(e, 'tun-nocsum', 'nocsum') },
  { long: 'tun-csum', arg: 'none', handle: (e) => tunFlag(e, 'tun-csum', 'csum') },
  { long: 'tun-remcsum', arg: 'none', handle: (e) => tunFlag(e, 'tun-remcsum', 'remcsum') },
];

function service(e: Entry, text: string, p: Pending, protocol: 'tcp' | 'udp' | 'sctp'): void {
  setOption(e, 'service-address');
  e.svc.protocol = protocol;
  p.svcArg = { text, protocol };
}
function forward(e: Entry, method: 'masq' | 'tunnel' | 'route'): void {
  setOption(e, 'forwarding-method');
  e.dest.forward = method;
}
function flag(e: Entry, opt: Opt, bit: number): void {
  setOption(e, opt);
  e.format |= bit;
}
function tunFlag(e: Entry, opt: Opt, value: 'nocsum' | 'csum' | 'remcsum'): void {
  setOption(e, opt);
  e.dest.tunFlags = value;
}
function numeric(e: Entry, opt: Opt, v: string | undefined, min: number, max: number, message: string, set: (n: number) => void): void {
  setOption(e, opt);
  const n = number(v, min, max);
  if (n === -1) throw fail(message);
  set(n);
}

const byLong = new Map(specs.map((s) => [s.long, s]));
const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));

export function newEntry(): Entry {
  return {
    options: new Set(),
    format: 0,
    svc: { af: 4, protocol: 'tcp', port: 0, fwmark: 0, scheduler: '', persistent: false, timeout: 0, netmask: '255.255.255.255', onePacket: false, schedFlags: 0, pe: '' },
    dest: { af: 4, port: 0, hasPort: false, forward: 'route', weight: 1, upper: 0, lower: 0, tunType: 'ipip', tunPort: 0, tunFlags: 'nocsum' },
    daemon: { interface: '', syncId: 0 },
  };
}

/** host[:port] or [v6]:port -> address and port (parse_service); undefined if illegal. */
async function parseHostPort(text: string, protocol: string): Promise<{ af: 4 | 6; address: string; port?: number } | undefined> {
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest) {
      if (!rest.startsWith(':')) return undefined;
      portText = rest.slice(1);
    }
    if (!net.isIPv6(host)) return undefined;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      if (text.indexOf(':') !== colon) return undefined; // IPv6 needs brackets
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  let address = host;
  let af: 4 | 6 = net.isIPv6(host) ? 6 : 4;
  if (!net.isIP(host)) {
    try {
      address = (await dns.lookup(host, { family: 4 })).address;
      af = 4;
    } catch {
      return undefined;
    }
  }
  let port: number | undefined;
  if (portText !== undefined) {
    const n = number(portText, 0, 65535);
    port = n !== -1 ? n : portByName(portText, protocol);
    if (port === undefined) return undefined;
  }
  return port === undefined ? { af, address } : { af, address, port };
}

function tokenize(argv: readonly string[]): Array<{ spec: Spec; value?: string }> {
  const out: Array<{ spec: Spec; value?: string }> = [];
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      const spec = byLong.get(name);
      if (!spec) throw new IpvsadmExit(255, TRY_HELP);
      let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined;
      if (value === undefined && spec.arg === 'required') {
        value = argv[++i];
        if (value === undefined) throw new IpvsadmExit(255, TRY_HELP);
      } else if (value === undefined && spec.arg === 'optional' && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) value = argv[++i];
      out.push({ spec, ...(value !== undefined ? { value } : {}) });
    } else if (arg.startsWith('-') && arg.length > 1 && arg !== '--') {
      for (let j = 1; j < arg.length; j++) {
        const spec = byShort.get(arg[j]!);
        if (!spec) throw new IpvsadmExit(255, TRY_HELP);
        if (spec.arg === 'none') {
          out.push({ spec });
          continue;
        }
        let value: string | undefined = j + 1 < arg.length ? arg.slice(j + 1) : undefined;
        if (value === undefined && spec.arg === 'required') {
          value = argv[++i];
          if (value === undefined) throw new IpvsadmExit(255, TRY_HELP);
        } else if (value === undefined && spec.arg === 'optional' && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) value = argv[++i];
        out.push({ spec, ...(value !== undefined ? { value } : {}) });
        break;
      }
    } else {
      positional.push(arg);
    }
  }
  (out as unknown as { positional: string[] }).positional = positional;
  return out;
}

/** Parses one ipvsadm command line (without the program name) into an entry, or throws IpvsadmExit. */
export async function parseCommand(argv: readonly string[]): Promise<Entry> {
  const entry = newEntry();
  const pending: Pending = {};
  const tokens = tokenize(argv);
  const positional = (tokens as unknown as { positional: string[] }).positional;
  for (const { spec, value } of tokens) spec.handle(entry, value, pending);
  if (entry.cmd === 'help' || entry.cmd === 'version') return entry;
  if (pending.set) {
    if (positional.length < 3) throw fail('--set option requires 3 timeout values');
    entry.timeouts = { tcp: parseTimeout(positional[0]!, 0, MAX_TIMEOUT), tcpFin: parseTimeout(positional[1]!, 0, MAX_TIMEOUT), udp: parseTimeout(positional[2]!, 0, MAX_TIMEOUT) };
    positional.splice(0, 3);
  }
  if (positional.length > 0) throw new IpvsadmExit(255, TRY_HELP);
  if (pending.svcArg) {
    const parsed = await parseHostPort(pending.svcArg.text, pending.svcArg.protocol);
    if (!parsed) throw fail('illegal virtual server address[:port] specified');
    entry.svc.af = parsed.af;
    entry.svc.address = parsed.address;
    entry.svc.port = parsed.port ?? 0;
    if (parsed.af === 6 && !entry.options.has('netmask')) entry.svc.netmask = 128;
  }
  if (pending.destArg !== undefined) {
    const parsed = await parseHostPort(pending.destArg, entry.svc.protocol);
    if (!parsed) throw fail('illegal real server address[:port] specified');
    entry.dest.af = parsed.af;
    entry.dest.address = parsed.address;
    entry.dest.hasPort = parsed.port !== undefined;
    entry.dest.port = parsed.port ?? entry.svc.port;
  }
  if (pending.schedFlags !== undefined) entry.svc.schedFlags = parseSchedFlags(entry.svc.scheduler || 'wlc', pending.schedFlags);
  if (entry.cmd === undefined) entry.cmd = 'list';
  check(entry);
  return entry;
}

function parseSchedFlags(scheduler: string, text: string): number {
  let flags = 0;
  for (const name of text.split(',')) {
    if (name === 'flag-1') flags |= 0x8;
    else if (name === 'flag-2') flags |= 0x10;
    else if (name === 'flag-3') flags |= 0x20;
    else if (name === 'sh-fallback' || name === 'sh-port') {
      if (scheduler !== 'sh') throw fail(`incompatible scheduler flag \`${name}'`);
      flags |= name === 'sh-fallback' ? 0x8 : 0x10;
    } else if (name === 'mh-fallback' || name === 'mh-port') {
      if (scheduler !== 'mh') throw fail(`incompatible scheduler flag \`${name}'`);
      flags |= name === 'mh-fallback' ? 0x8 : 0x10;
    } else throw fail(`invalid scheduler flag \`${name}'`);
  }
  return flags;
}

function check(entry: Entry): void {
  const cmd = entry.cmd!;
  const row = table[cmd];
  if (row) {
    let exclusive: Opt | undefined;
    OPTS.forEach((opt, j) => {
      const rule = row[j];
      if (!entry.options.has(opt)) {
        if (rule === '+') throw fail(`You need to supply the '${opt}' option for the '${cmdNames[cmd]}' command`);
        return;
      }
      if (rule === 'x') throw fail(`Illegal '${opt}' option with the '${cmdNames[cmd]}' command`);
      if (rule === '1') {
        if (exclusive === undefined) exclusive = opt;
        else throw fail(`The option '${opt}' conflicts with the '${exclusive}' option in the '${cmdNames[cmd]}' command`);
      }
    });
  }
  const svc = entry.svc;
  if (cmd === 'add' || cmd === 'edit') {
    if (!svc.fwmark && !svc.port && !svc.persistent) throw fail('Zero port specified for non-persistent service');
    if (svc.onePacket && !svc.fwmark && svc.protocol !== 'udp') throw fail('One-Packet Scheduling is only for UDP virtual services');
    if (!svc.scheduler) svc.scheduler = 'wlc';
  }
  if (cmd === 'start-daemon' && !entry.daemon.interface) entry.daemon.interface = 'eth0';
  if (cmd === 'add-server' || cmd === 'edit-server') {
    const d = entry.dest;
    if (!svc.fwmark && (d.forward === 'tunnel' || d.forward === 'route')) d.port = svc.port;
    if (d.af !== svc.af && d.forward !== 'tunnel') throw fail('Different address family is allowed only for tunneling servers');
    const tunnelOptions = (['tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as Opt[]).some((o) => entry.options.has(o));
    if (tunnelOptions && d.forward !== 'tunnel') throw fail('Tunnel options conflict with forward method');
    const rules = tunnelTable[d.tunType]!;
    let exclusive: Opt | undefined;
    tunnelOpts.forEach((opt, j) => {
      const rule = rules[j];
      if (!entry.options.has(opt)) {
        if (rule === '+') throw fail(`You need to supply the '${opt}' option for the '${d.tunType}' tunnel type`);
        return;
      }
      if (rule === 'x') throw fail(`Illegal '${opt}' option with the '${d.tunType}' tunnel type`);
      if (rule === '1') {
        if (exclusive === undefined) exclusive = opt;
        else throw fail(`The option '${opt}' conflicts with the '${exclusive}' option in the '${d.tunType}' tunnel type`);
      }
    });
  }
}

/** Splits a line of an ipvsadm save file into arguments (whitespace; a leading 'ipvsadm' is dropped). */
export function splitLine(line: string): string[] {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words[0] === 'ipvsadm' || words[0]?.endsWith('/ipvsadm')) words.shift();
  return words;
}
