/** The typed view of IPVS objects that the client reads and writes. */
export type Protocol = 'tcp' | 'udp' | 'sctp';
export type Forward = 'masq' | 'local' | 'tunnel' | 'route' | 'bypass';
export type TunnelType = 'ipip' | 'gue' | 'gre';
export type TunnelChecksum = 'nocsum' | 'csum' | 'remcsum';
export type SchedFlag = 'flag-1' | 'flag-2' | 'flag-3';

export const protocolNumbers: Record<Protocol, number> = { tcp: 6, udp: 17, sctp: 132 };

/** Which service: an address/port of a protocol, or a firewall mark (of an address family). */
export type ServiceKey =
  | { protocol: Protocol; address: string; port: number; fwmark?: undefined }
  | { fwmark: number; family?: 4 | 6; protocol?: undefined; address?: undefined; port?: undefined };

export interface ServiceOptions {
  /** Scheduler name (rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos); default wlc. */
  scheduler?: string;
  /** Persistence timeout in seconds; absent or 0 = not persistent. */
  persistent?: number;
  /** Persistence granularity: IPv4 netmask ('255.255.255.0') or IPv6 prefix length. */
  netmask?: string | number;
  /** One-packet scheduling (UDP). */
  onePacket?: boolean;
  /** Scheduler flags: IP_VS_SVC_F_SCHED1..3 (sh-fallback = flag-1, sh-port = flag-2, mh alike). */
  schedFlags?: SchedFlag[];
  /** Persistence engine ('sip'). */
  pe?: string;
}

export type ServiceSpec = ServiceKey & ServiceOptions;

export interface Stats {
  conns: bigint;
  inpkts: bigint;
  outpkts: bigint;
  inbytes: bigint;
  outbytes: bigint;
  cps: bigint;
  inpps: bigint;
  outpps: bigint;
  inbps: bigint;
  outbps: bigint;
}

/** A service as the kernel reports it. */
export interface Service {
  family: 4 | 6;
  protocol?: Protocol;
  /** Raw protocol number (0 for fwmark services). */
  protocolNumber: number;
  address?: string;
  port?: number;
  fwmark?: number;
  scheduler: string;
  /** Raw IP_VS_SVC_F_* flags. */
  flags: number;
  persistent?: number;
  /** IPv4 netmask text, or IPv6 prefix length. */
  netmask: string | number;
  onePacket: boolean;
  schedFlags: SchedFlag[];
  pe?: string;
  stats: Stats;
}

export interface DestinationSpec {
  address: string;
  port: number;
  /** Default 'route' (direct routing), like ipvsadm. */
  forward?: Forward;
  /** Default 1. */
  weight?: number;
  upperThreshold?: number;
  lowerThreshold?: number;
  tunnel?: { type: TunnelType; port?: number; checksum?: TunnelChecksum };
}

export interface Destination {
  family: 4 | 6;
  address: string;
  port: number;
  forward: Forward;
  /** Raw IP_VS_CONN_F_* value as reported. */
  forwardFlags: number;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  activeConns: number;
  inactConns: number;
  persistConns: number;
  tunnel: { type: TunnelType; port: number; checksum: TunnelChecksum };
  stats: Stats;
}

export interface Timeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

export interface DaemonSpec {
  state: 'master' | 'backup';
  /** Multicast interface (ipvsadm's default: eth0). */
  interface: string;
  syncId?: number;
  maxLength?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

export interface Daemon extends DaemonSpec {
  syncId: number;
}

export interface Info {
  /** e.g. '1.2.1' */
  version: string;
  versionCode: number;
  connTableSize: number;
}

/** What apply() wants the table to be. */
export type DesiredService = ServiceSpec & { destinations?: DestinationSpec[] };
