/**
 * The IPVS generic netlink family, from the kernel's uapi header linux/ip_vs.h (family "IPVS",
 * version 1): commands, and attribute schemas for services, destinations, sync daemons,
 * statistics, timeouts and info. Byte orders follow the kernel's nla_get_* calls in
 * net/netfilter/ipvs/ip_vs_ctl.c (ports and the tunnel port are big-endian; the IPv4 netmask is
 * a __be32 carried in a u32, the IPv6 one a prefix length).
 */
import { type AttributeSpec, defineSchema } from '../netlink/attributes';

export const IPVS_GENL_NAME = 'IPVS';

export const commands = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;

/** IP_VS_SVC_F_* */
export const serviceFlags = {
  persistent: 0x1,
  hashed: 0x2,
  onePacket: 0x4,
  sched1: 0x8,
  sched2: 0x10,
  sched3: 0x20,
} as const;

/** IP_VS_CONN_F_* forwarding methods (IP_VS_CONN_F_FWD_MASK = 7) */
export const forwardMethods = { masq: 0, local: 1, tunnel: 2, route: 3, bypass: 4 } as const;
export const FWD_MASK = 0x7;

/** IP_VS_CONN_F_TUNNEL_TYPE_* and IP_VS_TUNNEL_ENCAP_FLAG_* */
export const tunnelTypes = { ipip: 0, gue: 1, gre: 2 } as const;
export const tunnelFlags = { nocsum: 0, csum: 1, remcsum: 2 } as const;

/** IP_VS_STATE_* of the sync daemon */
export const daemonStates = { master: 1, backup: 2 } as const;

export const IP_VS_SCHEDNAME_MAXLEN = 16;
export const IP_VS_PENAME_MAXLEN = 16;
export const IP_VS_IFNAME_MAXLEN = 16;

/** enum IPVS_STATS_ATTR_*: one numbering for the 32-bit (IPVS_*_ATTR_STATS) and the 64-bit (IPVS_*_ATTR_STATS64, kernels >= 4.1) counters */
const statsTypes = { conns: 1, inpkts: 2, outpkts: 3, inbytes: 4, outbytes: 5, cps: 6, inpps: 7, outpps: 8, inbps: 9, outbps: 10 } as const;
type StatsName = keyof typeof statsTypes;

function statsSchemaOf<K extends 'u32' | 'u64'>(width: (name: StatsName) => K): Record<StatsName, { readonly type: number; readonly kind: K }> {
  const schema: Record<string, AttributeSpec> = {};
  for (const name of Object.keys(statsTypes) as StatsName[]) schema[name] = { type: statsTypes[name], kind: width(name) } as AttributeSpec;
  return defineSchema(schema) as Record<StatsName, { readonly type: number; readonly kind: K }>;
}

/** Byte counters are u64 even in the 32-bit set (struct ip_vs_stats_user's inbytes/outbytes). */
export const statsSchema = statsSchemaOf((name) => (name === 'inbytes' || name === 'outbytes' ? 'u64' : 'u32'));
export const stats64Schema = statsSchemaOf(() => 'u64' as const);

/** enum IPVS_SVC_ATTR_* */
export const serviceSchema = defineSchema({
  af: { type: 1, kind: 'u16' },
  protocol: { type: 2, kind: 'u16' },
  addr: { type: 3, kind: 'binary', maxLength: 16 },
  port: { type: 4, kind: 'be16' },
  fwmark: { type: 5, kind: 'u32' },
  schedName: { type: 6, kind: 'string', maxLength: IP_VS_SCHEDNAME_MAXLEN },
  flags: { type: 7, kind: 'struct', fields: { flags: 'u32', mask: 'u32' } },
  timeout: { type: 8, kind: 'u32' },
  netmask: { type: 9, kind: 'u32' },
  stats: { type: 10, kind: 'nested', schema: statsSchema },
  peName: { type: 11, kind: 'string', maxLength: IP_VS_PENAME_MAXLEN },
  stats64: { type: 12, kind: 'nested', schema: stats64Schema },
});

/** enum IPVS_DEST_ATTR_* */
export const destSchema = defineSchema({
  addr: { type: 1, kind: 'binary', maxLength: 16 },
  port: { type: 2, kind: 'be16' },
  fwdMethod: { type: 3, kind: 'u32' },
  weight: { type: 4, kind: 'u32' },
  uThresh: { type: 5, kind: 'u32' },
  lThresh: { type: 6, kind: 'u32' },
  activeConns: { type: 7, kind: 'u32' },
  inactConns: { type: 8, kind: 'u32' },
  persistConns: { type: 9, kind: 'u32' },
  stats: { type: 10, kind: 'nested', schema: statsSchema },
  addrFamily: { type: 11, kind: 'u16' },
  stats64: { type: 12, kind: 'nested', schema: stats64Schema },
  tunType: { type: 13, kind: 'u8' },
  tunPort: { type: 14, kind: 'be16' },
  tunFlags: { type: 15, kind: 'u16' },
});

/** enum IPVS_DAEMON_ATTR_* */
export const daemonSchema = defineSchema({
  state: { type: 1, kind: 'u32' },
  mcastIfn: { type: 2, kind: 'string', maxLength: IP_VS_IFNAME_MAXLEN },
  syncId: { type: 3, kind: 'u32' },
  syncMaxlen: { type: 4, kind: 'u16' },
  mcastGroup: { type: 5, kind: 'binary', length: 4 },
  mcastGroup6: { type: 6, kind: 'binary', length: 16 },
  mcastPort: { type: 7, kind: 'u16' },
  mcastTtl: { type: 8, kind: 'u8' },
});

/** enum IPVS_CMD_ATTR_* (the first level of every command) */
export const commandSchema = defineSchema({
  service: { type: 1, kind: 'nested', schema: serviceSchema },
  dest: { type: 2, kind: 'nested', schema: destSchema },
  daemon: { type: 3, kind: 'nested', schema: daemonSchema },
  timeoutTcp: { type: 4, kind: 'u32' },
  timeoutTcpFin: { type: 5, kind: 'u32' },
  timeoutUdp: { type: 6, kind: 'u32' },
});

/** enum IPVS_INFO_ATTR_* (the GET_INFO answer) */
export const infoSchema = defineSchema({
  version: { type: 1, kind: 'u32' },
  connTabSize: { type: 2, kind: 'u32' },
});
