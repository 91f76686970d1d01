/**
 * PROXY protocol v1 (text) and v2 (binary), as specified in HAProxy's proxy-protocol.txt:
 * encoders for headers we send to servers, and the parser (native, fuzzed) for headers we
 * accept from trusted clients. Plus the CIDR lists that say which clients are trusted.
 */
import net from 'node:net';
import { ArgumentError, HakitError, check } from '../errors';
import { nativeModule } from '../native';

export interface ProxyAddresses {
  source: string;
  sourcePort: number;
  destination: string;
  destinationPort: number;
}

export interface ProxyTlv {
  type: number;
  value: Uint8Array;
}

/** The well-known v2 TLVs, decoded (proxy-protocol.txt 2.2). Absent ones are undefined. */
export interface ProxyTlvInfo {
  /** Application protocol the client negotiated (PP2_TYPE_ALPN). */
  alpn?: string;
  /** Host name the client asked for, e.g. TLS SNI (PP2_TYPE_AUTHORITY). */
  authority?: string;
  /** Opaque connection id, at most 128 bytes (PP2_TYPE_UNIQUE_ID). */
  uniqueId?: Buffer;
  /** Network namespace name (PP2_TYPE_NETNS). */
  netns?: string;
  /** A CRC32C TLV was present (and verified: a mismatch makes the header invalid). */
  crc32c?: boolean;
  /** PP2_TYPE_SSL: client bits (0x01 SSL, 0x02 cert on this connection, 0x04 cert in the session), verify 0 = cert verified. */
  ssl?: { client: number; verify: number; version?: string; cn?: string; cipher?: string; sigAlg?: string; keyAlg?: string };
}

export interface ParsedProxyHeader extends Partial<ProxyAddresses> {
  version: 1 | 2;
  /** Bytes the header occupies at the start of the stream. */
  length: number;
  /** v2 LOCAL or v1 UNKNOWN: no addresses; use the connection's own. */
  local: boolean;
  family: 'ipv4' | 'ipv6' | 'unix' | 'unspec';
  tlvs: ProxyTlv[];
  info: ProxyTlvInfo;
}

export type ProxyParseResult = { status: 'complete'; header: ParsedProxyHeader } | { status: 'incomplete' } | { status: 'invalid'; error: string };

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** Well-known v2 TLV types. */
export const PP2_TYPE = { ALPN: 0x01, AUTHORITY: 0x02, CRC32C: 0x03, NOOP: 0x04, UNIQUE_ID: 0x05, SSL: 0x20, NETNS: 0x30 } as const;

function checkAddresses(a: ProxyAddresses): 4 | 6 {
  const sf = net.isIP(check.string('source', a.source));
  const df = net.isIP(check.string('destination', a.destination));
  check.integer('sourcePort', a.sourcePort, 0, 65535);
  check.integer('destinationPort', a.destinationPort, 0, 65535);
  if (sf === 0 || df === 0) throw new ArgumentError('PROXY addresses must be numeric IPv4 or IPv6 addresses', { argument: 'source' });
  if (sf !== df) return 6; // mixed families: IPv4 is carried IPv4-mapped in IPv6
  return sf as 4 | 6;
}

function toV6(ip: string): string {
  return net.isIP(ip) === 4 ? `::ffff:${ip}` : ip;
}

/** v1: "PROXY TCP4 src dst sport dport\r\n" (or "PROXY UNKNOWN\r\n" when addresses is undefined). */
export function encodeProxyV1(addresses?: ProxyAddresses): Buffer {
  if (addresses === undefined) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  const family = checkAddresses(addresses);
  const src = family === 6 ? toV6(addresses.source) : addresses.source;
  const dst = family === 6 ? toV6(addresses.destination) : addresses.destination;
  return Buffer.from(`PROXY TCP${family} ${src} ${dst} ${addresses.sourcePort} ${addresses.destinationPort}\r\n`, 'latin1');
}

/** Network-order bytes of a numeric address (4 or 16). */
export function ipBytes(ip: string, family: 4 | 6): Buffer {
  if (family === 4) return Buffer.from(ip.split('.').map(Number));
  // Expand "::" and embedded IPv4.
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return out;
}

let crcTable: Uint32Array | undefined;

/** CRC-32C (Castagnoli, reflected 0x82F63B78), as the PP2_TYPE_CRC32C TLV uses (RFC 3720 B.4). */
export function crc32c(data: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * v2 binary header; `addresses` undefined = LOCAL command (health checks, the proxy's own
 * traffic). `crc32c` appends a PP2_TYPE_CRC32C TLV over the whole header (receivers verify it).
 */
export function encodeProxyV2(addresses?: ProxyAddresses, tlvs: ProxyTlv[] = [], options: { crc32c?: boolean } = {}): Buffer {
  if (options.crc32c) tlvs = [...tlvs.filter((t) => t.type !== PP2_TYPE.CRC32C), { type: PP2_TYPE.CRC32C, value: Buffer.alloc(4) }];
  const tlvBytes = tlvs.map((t) => {
    check.integer('tlv.type', t.type, 0, 255);
    check.bytes('tlv.value', t.value);
    if (t.value.length > 0xffff) throw new ArgumentError('a TLV value is at most 65535 bytes', { argument: 'tlvs' });
    const b = Buffer.alloc(3 + t.value.length);
    b[0] = t.type;
    b.writeUInt16BE(t.value.length, 1);
    b.set(t.value, 3);
    return b;
  });
  let famByte = 0x00;
  let addr = Buffer.alloc(0);
  if (addresses !== undefined) {
    const family = checkAddresses(addresses);
    const ports = Buffer.alloc(4);
    ports.writeUInt16BE(addresses.sourcePort, 0);
    ports.writeUInt16BE(addresses.destinationPort, 2);
    if (family === 4) {
      famByte = 0x11;
      addr = Buffer.concat([ipBytes(addresses.source, 4), ipBytes(addresses.destination, 4), ports]);
    } else {
      famByte = 0x21;
      addr = Buffer.concat([ipBytes(toV6(addresses.source), 6), ipBytes(toV6(addresses.destination), 6), ports]);
    }
  }
  const body = Buffer.concat([addr, ...tlvBytes]);
  if (body.length > 0xffff) throw new ArgumentError('PROXY v2 header too long', { argument: 'tlvs' });
  const head = Buffer.alloc(16);
  V2_SIGNATURE.copy(head);
  head[12] = addresses === undefined ? 0x20 : 0x21;
  head[13] = famByte;
  head.writeUInt16BE(body.length, 14);
  const header = Buffer.concat([head, body]);
  if (options.crc32c) header.writeUInt32BE(crc32c(header), header.length - 4); // computed with the field zeroed
  return header;
}

interface NativeTlvInfo {
  alpn?: Buffer; authority?: Buffer; uniqueId?: Buffer; netns?: Buffer; crc32c?: boolean;
  ssl?: { client: number; verify: number; version?: Buffer; cn?: Buffer; cipher?: Buffer; sigAlg?: Buffer; keyAlg?: Buffer };
}
interface NativeLb {
  parseProxyHeader(data: Uint8Array): {
    status: 'complete' | 'incomplete' | 'invalid'; error?: string; version?: number; length?: number; local?: boolean;
    family?: number; source?: string; destination?: string; sourcePort?: number; destinationPort?: number; tlvs?: ProxyTlv[]; info?: NativeTlvInfo;
  };
  decodeProxyTlvs(data: Uint8Array): { error?: string; tlvs?: ProxyTlv[]; info?: NativeTlvInfo };
}

function tlvInfo(n: NativeTlvInfo | undefined): ProxyTlvInfo {
  const info: ProxyTlvInfo = {};
  if (!n) return info;
  if (n.alpn) info.alpn = n.alpn.toString('latin1');
  if (n.authority) info.authority = n.authority.toString('utf8');
  if (n.uniqueId) info.uniqueId = n.uniqueId;
  if (n.netns) info.netns = n.netns.toString('latin1');
  if (n.crc32c) info.crc32c = true;
  if (n.ssl) {
    const { client, verify, ...strings } = n.ssl;
    info.ssl = { client, verify };
    for (const [k, v] of Object.entries(strings)) if (v) (info.ssl as Record<string, unknown>)[k] = v.toString('latin1');
  }
  return info;
}

/** Splits and decodes a bare v2 TLV area (type, length, value)*; LB_PROXY_TLV if malformed. */
export function decodeProxyTlvs(data: Uint8Array): { tlvs: ProxyTlv[]; info: ProxyTlvInfo } {
  check.bytes('data', data);
  const r = nativeModule<NativeLb>('lb').decodeProxyTlvs(data);
  if (r.error !== undefined) throw new HakitError('LB_PROXY_TLV', `bad PROXY v2 TLVs: ${r.error}`, { error: r.error });
  return { tlvs: r.tlvs ?? [], info: tlvInfo(r.info) };
}

/** Parses a PROXY header (v1 or v2) at the start of `data`. */
export function parseProxyHeader(data: Uint8Array): ProxyParseResult {
  check.bytes('data', data);
  const r = nativeModule<NativeLb>('lb').parseProxyHeader(data);
  if (r.status === 'incomplete') return { status: 'incomplete' };
  if (r.status === 'invalid') return { status: 'invalid', error: r.error ?? 'invalid' };
  const family = r.family === 4 ? 'ipv4' : r.family === 6 ? 'ipv6' : r.family === 1 ? 'unix' : 'unspec';
  const header: ParsedProxyHeader = { version: r.version as 1 | 2, length: r.length!, local: r.local!, family, tlvs: r.tlvs ?? [], info: tlvInfo(r.info) };
  if (!r.local && (family === 'ipv4' || family === 'ipv6' || family === 'unix')) {
    Object.assign(header, { source: r.source, destination: r.destination, sourcePort: r.sourcePort, destinationPort: r.destinationPort });
  }
  return { status: 'complete', header };
}

// ---- trusted sources --------------------------------------------------------------------------

interface Cidr {
  family: 4 | 6;
  bytes: Buffer;
  prefix: number;
}

function parseCidr(text: string): Cidr {
  const [ip, bits] = text.split('/') as [string, string | undefined];
  const family = net.isIP(ip ?? '');
  if (family === 0) throw new HakitError('LB_BAD_CIDR', `not an address or CIDR: ${JSON.stringify(text)}`, { cidr: text });
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) {
    throw new HakitError('LB_BAD_CIDR', `bad prefix length in ${JSON.stringify(text)}`, { cidr: text });
  }
  return { family: family as 4 | 6, bytes: ipBytes(ip!, family as 4 | 6), prefix };
}

/** A list of addresses/CIDRs; `has(ip)` tells whether a client address is inside. */
export class AddressSet {
  private readonly cidrs: Cidr[];
  constructor(readonly entries: readonly string[]) {
    this.cidrs = entries.map(parseCidr);
  }
  has(ip: string): boolean {
    let family = net.isIP(ip);
    if (family === 0) return false;
    let address = ip;
    if (family === 6 && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) {
      address = ip.slice(7);
      family = 4;
    }
    const bytes = ipBytes(address, family as 4 | 6);
    return this.cidrs.some((c) => {
      if (c.family !== family) return false;
      const full = c.prefix >> 3;
      for (let i = 0; i < full; i++) if (bytes[i] !== c.bytes[i]) return false;
      const rest = c.prefix & 7;
      if (rest === 0) return true;
      const mask = (0xff << (8 - rest)) & 0xff;
      return (bytes[full]! & mask) === (c.bytes[full]! & mask);
    });
  }
}
