/**
 * Typed IPVS objects <-> the attribute values of lib/ipvs/schema.ts, with ipvsadm's defaults
 * (scheduler wlc, netmask /32 or /128, weight 1, direct routing).
 */
import { ArgumentError, check } from '../errors';
import type { Attributes } from '../netlink/attributes';
import { AF_INET, AF_INET6, addressBytes, canonicalAddress, familyOf, formatAddress, netmaskToWire, wireToNetmask } from './address';
import { daemonSchema, destSchema, FWD_MASK, forwardMethods, serviceFlags, serviceSchema, stats64Schema, statsSchema, tunnelFlags, tunnelTypes } from './schema';
import type { Daemon, DaemonSpec, Destination, DestinationSpec, Forward, Protocol, SchedFlag, Service, ServiceKey, ServiceSpec, Stats, TunnelChecksum, TunnelType } from './types';
import { protocolNumbers } from './types';

type ServiceAttrs = Attributes<typeof serviceSchema>;
type DestAttrs = Attributes<typeof destSchema>;

const protocolNames = new Map<number, Protocol>(Object.entries(protocolNumbers).map(([k, v]) => [v, k as Protocol]));
const forwardNames = new Map<number, Forward>(Object.entries(forwardMethods).map(([k, v]) => [v, k as Forward]));
const tunnelTypeNames = new Map<number, TunnelType>(Object.entries(tunnelTypes).map(([k, v]) => [v, k as TunnelType]));
const tunnelFlagNames = new Map<number, TunnelChecksum>(Object.entries(tunnelFlags).map(([k, v]) => [v, k as TunnelChecksum]));
const schedFlagBits: Record<SchedFlag, number> = { 'flag-1': serviceFlags.sched1, 'flag-2': serviceFlags.sched2, 'flag-3': serviceFlags.sched3 };

export function serviceFamily(key: ServiceKey): 4 | 6 {
  return key.fwmark !== undefined ? (key.family ?? 4) : familyOf(key.address);
}

/** A stable string naming a service: 'tcp|10.0.0.1|80' or 'fwmark|4|7'. */
export function serviceId(key: ServiceKey): string {
  if (key.fwmark !== undefined) return `fwmark|${key.family ?? 4}|${key.fwmark}`;
  return `${key.protocol}|${canonicalAddress(key.address)}|${key.port}`;
}

export function destinationId(dest: { address: string; port: number }): string {
  return `${canonicalAddress(dest.address)}|${dest.port}`;
}

export function describeService(key: ServiceKey): string {
  if (key.fwmark !== undefined) return `fwmark ${key.fwmark}${key.family === 6 ? ' IPv6' : ''}`;
  const family = familyOf(key.address);
  return `${key.protocol.toUpperCase()} ${family === 6 ? `[${key.address}]` : key.address}:${key.port}`;
}

export function checkServiceKey(key: ServiceKey): void {
  if (typeof key !== 'object' || key === null) throw new ArgumentError('service must be an object');
  if (key.fwmark !== undefined) {
    check.integer('fwmark', key.fwmark, 1, 0xffffffff);
    if (key.family !== undefined && key.family !== 4 && key.family !== 6) throw new ArgumentError('family must be 4 or 6', { argument: 'family' });
    return;
  }
  check.oneOf('protocol', key.protocol, ['tcp', 'udp', 'sctp'] as const);
  familyOf(check.string('address', key.address));
  check.integer('port', key.port, 0, 65535);
}

/** The attributes that name a service (for delete/get and as a destination's parent). */
export function serviceKeyAttrs(key: ServiceKey): ServiceAttrs {
  checkServiceKey(key);
  const family = serviceFamily(key);
  const af = family === 6 ? AF_INET6 : AF_INET;
  if (key.fwmark !== undefined) return { af, fwmark: key.fwmark };
  return { af, protocol: protocolNumbers[key.protocol], addr: addressBytes(key.address), port: key.port };
}

/** Every attribute NEW_SERVICE / SET_SERVICE needs. */
export function serviceAttrs(spec: ServiceSpec): ServiceAttrs {
  const attrs = serviceKeyAttrs(spec);
  const family = serviceFamily(spec);
  const scheduler = spec.scheduler ?? 'wlc';
  check.string('scheduler', scheduler);
  if (scheduler.length === 0 || scheduler.length >= 16) throw new ArgumentError('scheduler name must be 1 to 15 characters', { argument: 'scheduler' });
  let flags = 0;
  const persistent = spec.persistent ?? 0;
  check.integer('persistent', persistent, 0, 0xffffffff);
  if (persistent > 0) flags |= serviceFlags.persistent;
  if (spec.onePacket) flags |= serviceFlags.onePacket;
  for (const flag of spec.schedFlags ?? []) {
    const bit = schedFlagBits[check.oneOf('schedFlags[]', flag, ['flag-1', 'flag-2', 'flag-3'] as const)];
    flags |= bit;
  }
  let netmask: number;
  if (family === 4) {
    const mask = spec.netmask ?? '255.255.255.255';
    netmask = typeof mask === 'number' ? netmaskToWire(prefixToMask(check.integer('netmask', mask, 0, 32))) : netmaskToWire(check.string('netmask', mask));
  } else {
    netmask = check.integer('netmask', spec.netmask ?? 128, 1, 128);
  }
  attrs.schedName = scheduler;
  attrs.flags = { flags, mask: 0xffffffff };
  attrs.timeout = persistent;
  attrs.netmask = netmask;
  if (spec.pe !== undefined && spec.pe !== '') attrs.peName = check.string('pe', spec.pe);
  return attrs;
}

function prefixToMask(prefix: number): string {
  const value = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (value >>> s) & 0xff).join('.');
}

const zeroStats = (): Stats => ({ conns: 0n, inpkts: 0n, outpkts: 0n, inbytes: 0n, outbytes: 0n, cps: 0n, inpps: 0n, outpps: 0n, inbps: 0n, outbps: 0n });

function decodeStats(attrs: ServiceAttrs | DestAttrs): Stats {
  const out = zeroStats();
  const s64 = attrs.stats64 as Attributes<typeof stats64Schema> | undefined;
  const s32 = attrs.stats as Attributes<typeof statsSchema> | undefined;
  for (const name of Object.keys(out) as (keyof Stats)[]) {
    const wide = s64?.[name];
    const narrow = s32?.[name];
    out[name] = wide !== undefined ? wide : narrow !== undefined ? BigInt(narrow) : 0n;
  }
  return out;
}

export function decodeService(attrs: ServiceAttrs): Service {
  const family: 4 | 6 = attrs.af === AF_INET6 ? 6 : 4;
  const flags = attrs.flags?.flags ?? 0;
  const schedFlags: SchedFlag[] = [];
  for (const [name, bit] of Object.entries(schedFlagBits)) if (flags & bit) schedFlags.push(name as SchedFlag);
  const service: Service = {
    family,
    protocolNumber: attrs.protocol ?? 0,
    scheduler: attrs.schedName ?? '',
    flags,
    netmask: family === 4 ? wireToNetmask(attrs.netmask ?? 0xffffffff) : (attrs.netmask ?? 128),
    onePacket: (flags & serviceFlags.onePacket) !== 0,
    schedFlags,
    stats: decodeStats(attrs),
  };
  if (attrs.fwmark) service.fwmark = attrs.fwmark;
  else {
    const protocol = protocolNames.get(attrs.protocol ?? 0);
    if (protocol) service.protocol = protocol;
    service.address = formatAddress(family, attrs.addr ?? Buffer.alloc(16));
    service.port = attrs.port ?? 0;
  }
  if (flags & serviceFlags.persistent) service.persistent = attrs.timeout ?? 0;
  if (attrs.peName) service.pe = attrs.peName;
  return service;
}

export function keyOf(service: Service): ServiceKey {
  if (service.fwmark !== undefined) return { fwmark: service.fwmark, family: service.family };
  return { protocol: service.protocol ?? 'tcp', address: service.address!, port: service.port! };
}

export function checkDestination(dest: DestinationSpec): void {
  if (typeof dest !== 'object' || dest === null) throw new ArgumentError('destination must be an object');
  familyOf(check.string('destination address', dest.address));
  check.integer('destination port', dest.port, 0, 65535);
  if (dest.forward !== undefined) check.oneOf('forward', dest.forward, ['masq', 'local', 'tunnel', 'route', 'bypass'] as const);
  if (dest.weight !== undefined) check.integer('weight', dest.weight, 0, 0x7fffffff);
  if (dest.upperThreshold !== undefined) check.integer('upperThreshold', dest.upperThreshold, 0, 0xffffffff);
  if (dest.lowerThreshold !== undefined) check.integer('lowerThreshold', dest.lowerThreshold, 0, 0xffffffff);
  if (dest.tunnel !== undefined) {
    check.oneOf('tunnel.type', dest.tunnel.type, ['ipip', 'gue', 'gre'] as const);
    if (dest.tunnel.port !== undefined) check.integer('tunnel.port', dest.tunnel.port, 0, 65535);
    if (dest.tunnel.checksum !== undefined) check.oneOf('tunnel.checksum', dest.tunnel.checksum, ['nocsum', 'csum', 'remcsum'] as const);
  }
}

export function destKeyAttrs(dest: { address: string; port: number }): DestAttrs {
  const family = familyOf(check.string('destination address', dest.address));
  check.integer('destination port', dest.port, 0, 65535);
  return { addr: addressBytes(dest.address), port: dest.port, addrFamily: family === 6 ? AF_INET6 : AF_INET };
}

/** Every attribute NEW_DEST / SET_DEST needs (the order ipvsadm sends them in). */
export function destAttrs(dest: DestinationSpec): DestAttrs {
  checkDestination(dest);
  const tunnel = dest.tunnel;
  const key = destKeyAttrs(dest);
  // explicit fields: object spread is slow in V8 on this path (50,000 destinations)
  return {
    addr: key.addr,
    port: key.port,
    addrFamily: key.addrFamily,
    fwdMethod: forwardMethods[dest.forward ?? 'route'],
    weight: dest.weight ?? 1,
    uThresh: dest.upperThreshold ?? 0,
    lThresh: dest.lowerThreshold ?? 0,
    tunType: tunnelTypes[tunnel?.type ?? 'ipip'],
    tunPort: tunnel?.port ?? 0,
    tunFlags: tunnelFlags[tunnel?.checksum ?? 'nocsum'],
  };
}

export function decodeDestination(attrs: DestAttrs, serviceFamily: 4 | 6): Destination {
  const family: 4 | 6 = attrs.addrFamily === AF_INET6 ? 6 : attrs.addrFamily === AF_INET ? 4 : serviceFamily;
  const flags = attrs.fwdMethod ?? 0;
  return {
    family,
    address: formatAddress(family, attrs.addr ?? Buffer.alloc(16)),
    port: attrs.port ?? 0,
    forward: forwardNames.get(flags & FWD_MASK) ?? 'route',
    forwardFlags: flags,
    weight: attrs.weight ?? 0,
    upperThreshold: attrs.uThresh ?? 0,
    lowerThreshold: attrs.lThresh ?? 0,
    activeConns: attrs.activeConns ?? 0,
    inactConns: attrs.inactConns ?? 0,
    persistConns: attrs.persistConns ?? 0,
    tunnel: {
      type: tunnelTypeNames.get(attrs.tunType ?? 0) ?? 'ipip',
      port: attrs.tunPort ?? 0,
      checksum: tunnelFlagNames.get(attrs.tunFlags ?? 0) ?? 'nocsum',
    },
    stats: decodeStats(attrs),
  };
}

export function daemonAttrs(spec: DaemonSpec): Attributes<typeof daemonSchema> {
  check.oneOf('state', spec.state, ['master', 'backup'] as const);
  const name = check.string('interface', spec.interface);
  if (name.length === 0 || name.length >= 16) throw new ArgumentError('interface name must be 1 to 15 characters', { argument: 'interface' });
  const attrs: Attributes<typeof daemonSchema> = { state: spec.state === 'master' ? 1 : 2, mcastIfn: name, syncId: check.integer('syncId', spec.syncId ?? 0, 0, 255) };
  if (spec.maxLength !== undefined) attrs.syncMaxlen = check.integer('maxLength', spec.maxLength, 0, 65535);
  if (spec.group !== undefined) {
    if (familyOf(spec.group) === 4) attrs.mcastGroup = addressBytes(spec.group).subarray(0, 4);
    else attrs.mcastGroup6 = addressBytes(spec.group);
  }
  if (spec.port !== undefined) attrs.mcastPort = check.integer('port', spec.port, 0, 65535);
  if (spec.ttl !== undefined) attrs.mcastTtl = check.integer('ttl', spec.ttl, 0, 255);
  return attrs;
}

export function decodeDaemon(attrs: Attributes<typeof daemonSchema>): Daemon | undefined {
  const state = attrs.state === 1 ? 'master' : attrs.state === 2 ? 'backup' : undefined;
  if (!state) return undefined;
  const daemon: Daemon = { state, interface: attrs.mcastIfn ?? '', syncId: attrs.syncId ?? 0 };
  if (attrs.syncMaxlen) daemon.maxLength = attrs.syncMaxlen;
  if (attrs.mcastGroup) daemon.group = formatAddress(4, attrs.mcastGroup);
  else if (attrs.mcastGroup6) daemon.group = formatAddress(6, attrs.mcastGroup6);
  if (attrs.mcastPort) daemon.port = attrs.mcastPort;
  if (attrs.mcastTtl) daemon.ttl = attrs.mcastTtl;
  return daemon;
}
