/**
 * ipvsadm 1.31's listing and save formats, reproduced from its sources (ipvsadm.c:
 * print_title, print_service_entry, print_largenum, list_daemon, print_conn) and checked byte
 * for byte against ipvsadm on a real kernel (test/fixtures/ipvs, test/integration/ipvs).
 */
import { addressBytes } from '../address';
import type { ServiceWithDestinations } from '../client';
import type { Daemon, Destination, Info, Service, Timeouts } from '../types';

export const FMT = {
  NUMERIC: 0x1,
  RULE: 0x2,
  STATS: 0x4,
  RATE: 0x8,
  THRESHOLDS: 0x10,
  PERSISTENTCONN: 0x20,
  NOSORT: 0x40,
  EXACT: 0x80,
  TUN_INFO: 0x100,
} as const;

/** Name lookups for non-numeric output (host and service names); numeric when absent. */
export interface Names {
  host(family: 4 | 6, address: string): string;
  service(port: number, protocol: string): string;
}
export const numericNames: Names = { host: (_f, a) => a, service: (p) => String(p) };

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}
function padLeft(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

/** print_largenum: 9 columns, scaled to K/M/G/T unless --exact. */
export function largenum(value: bigint, format: number): string {
  if (format & FMT.EXACT) {
    const text = value.toString();
    return padLeft(text, text.length <= 8 ? 9 : text.length + 1);
  }
  if (value < 100000000n) return padLeft(value.toString(), 9);
  if (value < 1000000000n) return padLeft((value / 1000n).toString(), 8) + 'K';
  if (value < 100000000000n) return padLeft((value / 1000000n).toString(), 8) + 'M';
  if (value < 100000000000000n) return padLeft((value / 1000000000n).toString(), 8) + 'G';
  return padLeft((value / 1000000000000n).toString(), 8) + 'T';
}

function protocolName(service: Service): string {
  return service.protocol ?? (service.protocolNumber === 6 ? 'tcp' : service.protocolNumber === 17 ? 'udp' : 'sctp');
}

/** addrport_to_anyname */
export function addrPort(family: 4 | 6, address: string, port: number, protocol: string, format: number, names: Names): string {
  const numeric = (format & FMT.NUMERIC) !== 0;
  const host = numeric ? address : names.host(family, address);
  const service = numeric ? String(port) : names.service(port, protocol);
  return family === 4 ? `${host}:${service}` : `[${host}]:${service}`;
}

const fwdName: Record<Destination['forward'], string> = { masq: 'Masq', local: 'Local', tunnel: 'Tunnel', route: 'Route', bypass: 'Bypass' };
const fwdSwitch: Record<Destination['forward'], string> = { masq: '-m', local: '-g', tunnel: '-i', route: '-g', bypass: '-g' };
const tunFlagShort = { nocsum: '-c', csum: '+c', remcsum: 'r+c' } as const;

function schedFlags(service: Service): string {
  const names: string[] = [];
  const f = service.flags;
  const [one, two] = service.scheduler === 'sh' ? ['sh-fallback', 'sh-port'] : service.scheduler === 'mh' ? ['mh-fallback', 'mh-port'] : ['flag-1', 'flag-2'];
  if (f & 0x8) names.push(one!);
  if (f & 0x10) names.push(two!);
  if (f & 0x20) names.push('flag-3');
  return names.join(',');
}

/** ipvs_cmp_services / ipvs_cmp_dests: C int subtraction of host-order words, wrap included. */
function compareWords(a: Uint8Array, b: Uint8Array, words: number): number {
  for (let i = 0; i < words; i++) {
    const x = ((a[i * 4]! << 24) | (a[i * 4 + 1]! << 16) | (a[i * 4 + 2]! << 8) | a[i * 4 + 3]!) >>> 0;
    const y = ((b[i * 4]! << 24) | (b[i * 4 + 1]! << 16) | (b[i * 4 + 2]! << 8) | b[i * 4 + 3]!) >>> 0;
    const r = (x - y) | 0;
    if (r !== 0) return r;
  }
  return 0;
}

export function compareServices(a: Service, b: Service): number {
  let r = ((a.fwmark ?? 0) - (b.fwmark ?? 0)) | 0;
  if (r) return r;
  r = (a.family === 6 ? 10 : 2) - (b.family === 6 ? 10 : 2);
  if (r) return r;
  r = a.protocolNumber - b.protocolNumber;
  if (r) return r;
  if (a.address !== undefined && b.address !== undefined) {
    r = compareWords(addressBytes(a.address), addressBytes(b.address), a.family === 6 ? 4 : 1);
    if (r) return r;
  }
  return (a.port ?? 0) - (b.port ?? 0);
}

export function compareDestinations(a: Destination, b: Destination): number {
  const r = compareWords(addressBytes(a.address), addressBytes(b.address), a.family === 6 ? 4 : 1);
  if (r) return r;
  return a.port - b.port;
}

export function sortTable(table: readonly ServiceWithDestinations[]): ServiceWithDestinations[] {
  return [...table].sort(compareServices).map((s) => ({ ...s, destinations: [...s.destinations].sort(compareDestinations) }));
}

export function title(format: number): string {
  if (format & FMT.STATS) return `${pad('Prot LocalAddress:Port', 33)} ${padLeft('Conns', 8)} ${padLeft('InPkts', 8)} ${padLeft('OutPkts', 8)} ${padLeft('InBytes', 8)} ${padLeft('OutBytes', 8)}\n  -> RemoteAddress:Port\n`;
  if (format & FMT.RATE) return `${pad('Prot LocalAddress:Port', 33)} ${padLeft('CPS', 8)} ${padLeft('InPPS', 8)} ${padLeft('OutPPS', 8)} ${padLeft('InBPS', 8)} ${padLeft('OutBPS', 8)}\n  -> RemoteAddress:Port\n`;
  if (format & FMT.THRESHOLDS) return `${pad('Prot LocalAddress:Port', 33)} ${pad('Uthreshold', 10)} ${pad('Lthreshold', 10)} ${pad('ActiveConn', 10)} ${pad('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
  if (format & FMT.PERSISTENTCONN) return `${pad('Prot LocalAddress:Port', 33)} ${pad('Weight', 9)} ${pad('PersistConn', 11)} ${pad('ActiveConn', 10)} ${pad('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
  if (format & FMT.TUN_INFO) return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  if (!(format & FMT.RULE)) return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
  return '';
}

export function versionLine(info: Info): string {
  return `IP Virtual Server version ${info.version} (size=${info.connTableSize})\n`;
}

function serviceName(service: Service, format: number, names: Names): string {
  if (service.fwmark !== undefined) {
    if (format & FMT.RULE) return service.family === 6 ? `-f ${service.fwmark} -6` : `-f ${service.fwmark}`;
    return service.family === 6 ? `FWM  ${service.fwmark} IPv6` : `FWM  ${service.fwmark}`;
  }
  const protocol = protocolName(service);
  const vname = addrPort(service.family, service.address!, service.port!, protocol, format, names);
  if (format & FMT.RULE) return `${protocol === 'tcp' ? '-t' : protocol === 'udp' ? '-u' : '--sctp-service'} ${vname}`;
  const name = `${pad(protocol.toUpperCase(), 4)} ${vname}`;
  return service.family !== 6 ? name.slice(0, 33) : name;
}

/** print_service_entry: the service line and its destinations' lines. */
export function serviceEntry(service: ServiceWithDestinations, format: number, names: Names = numericNames): string {
  const svc = serviceName(service, format, names);
  let out = '';
  const s = service.stats;
  if (format & FMT.RULE) {
    out += `-A ${svc} -s ${service.scheduler}`;
    if (service.persistent !== undefined) {
      out += ` -p ${service.persistent}`;
      if (service.family === 4 && service.netmask !== '255.255.255.255') out += ` -M ${service.netmask}`;
      if (service.family === 6 && service.netmask !== 128) out += ` -M ${service.netmask}`;
    }
    if (service.pe) out += ` --pe ${service.pe}`;
    if (service.onePacket) out += ' -o';
    const flags = schedFlags(service);
    if (flags) out += ` -b ${flags}`;
  } else if (format & FMT.STATS) {
    out += pad(svc, 33) + [s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes].map((v) => largenum(v, format)).join('');
  } else if (format & FMT.RATE) {
    out += pad(svc, 33) + [s.cps, s.inpps, s.outpps, s.inbps, s.outbps].map((v) => largenum(v, format)).join('');
  } else {
    out += `${svc} ${service.scheduler}`;
    const flags = schedFlags(service);
    if (flags) out += ` (${flags})`;
    if (service.persistent !== undefined) {
      out += ` persistent ${service.persistent}`;
      if (service.family === 4 && service.netmask !== '255.255.255.255') out += ` mask ${service.netmask}`;
      if (service.family === 6 && service.netmask !== 128) out += ` mask ${service.netmask}`;
      if (service.pe) out += ` pe ${service.pe}`;
    }
    if (service.onePacket) out += ' ops';
  }
  out += '\n';
  const protocol = protocolName(service);
  for (const d of service.destinations) {
    let dname = addrPort(d.family, d.address, d.port, protocol, format, names);
    if (!(format & FMT.RULE) && d.family !== 6) dname = dname.slice(0, 28);
    const t = d.stats;
    if (format & FMT.RULE) {
      out += `-a ${svc} -r ${dname} ${fwdSwitch[d.forward]} -w ${d.weight}`;
      if (d.forward === 'tunnel') {
        if (d.tunnel.type === 'gue') out += ` --tun-type gue --tun-port ${d.tunnel.port} --tun-${d.tunnel.checksum}`;
        else if (d.tunnel.type === 'gre') out += ` --tun-type gre --tun-${d.tunnel.checksum}`;
        else out += ` --tun-type ${d.tunnel.type}`;
      }
      out += '\n';
    } else if (format & FMT.STATS) {
      out += `  -> ${pad(dname, 28)}` + [t.conns, t.inpkts, t.outpkts, t.inbytes, t.outbytes].map((v) => largenum(v, format)).join('') + '\n';
    } else if (format & FMT.RATE) {
      out += `  -> ${pad(dname, 28)}` + [t.cps, t.inpps, t.outpps, t.inbps, t.outbps].map((v) => largenum(v, format)).join('') + '\n';
    } else if (format & FMT.THRESHOLDS) {
      out += `  -> ${pad(dname, 28)} ${pad(String(d.upperThreshold), 10)} ${pad(String(d.lowerThreshold), 10)} ${pad(String(d.activeConns), 10)} ${pad(String(d.inactConns), 10)}\n`;
    } else if (format & FMT.PERSISTENTCONN) {
      out += `  -> ${pad(dname, 28)} ${pad(String(d.weight), 9)} ${pad(String(d.persistConns), 11)} ${pad(String(d.activeConns), 10)} ${pad(String(d.inactConns), 10)}\n`;
    } else if (format & FMT.TUN_INFO) {
      out += `  -> ${pad(dname, 28)} ${pad(fwdName[d.forward], 7)} ${pad(tunInfo(d), 13)} ${pad(String(d.weight), 6)} ${pad(String(d.activeConns), 10)} ${pad(String(d.inactConns), 10)}\n`;
    } else {
      out += `  -> ${pad(dname, 28)} ${pad(fwdName[d.forward], 7)} ${pad(String(d.weight), 6)} ${pad(String(d.activeConns), 10)} ${pad(String(d.inactConns), 10)}\n`;
    }
  }
  return out;
}

function tunInfo(d: Destination): string {
  if (d.forward !== 'tunnel') return 'n/a';
  if (d.tunnel.type === 'gue') return `gue:${d.tunnel.port}:${tunFlagShort[d.tunnel.checksum]}`;
  if (d.tunnel.type === 'gre') return `gre:${tunFlagShort[d.tunnel.checksum]}`;
  return d.tunnel.type;
}

/** list_all: the version line (not with -S), the title, every service. */
export function listAll(info: Info, table: readonly ServiceWithDestinations[], format: number, names: Names = numericNames): string {
  const rows = format & FMT.NOSORT ? table : sortTable(table);
  let out = format & FMT.RULE ? '' : versionLine(info);
  out += title(format);
  for (const service of rows) out += serviceEntry(service, format, names);
  return out;
}

/** list_service: the title and one service (no version line). */
export function listService(service: ServiceWithDestinations, format: number, names: Names = numericNames): string {
  const sorted = format & FMT.NOSORT ? service : { ...service, destinations: [...service.destinations].sort(compareDestinations) };
  return title(format) + serviceEntry(sorted, format, names);
}

export function listTimeouts(t: Timeouts): string {
  return `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpFin} ${t.udp}\n`;
}

/** list_daemon */
export function listDaemons(daemons: readonly Daemon[]): string {
  let out = '';
  for (const state of ['master', 'backup'] as const) {
    const d = daemons.find((x) => x.state === state);
    if (!d) continue;
    out += `${state} sync daemon (mcast=${d.interface}, syncid=${d.syncId}`;
    if (d.maxLength) out += `, maxlen=${d.maxLength}`;
    if (d.group) out += `, group=${d.group}`;
    if (d.port) out += `, port=${d.port}`;
    if (d.ttl) out += `, ttl=${d.ttl}`;
    out += ')\n';
  }
  return out;
}
