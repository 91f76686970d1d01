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

export interface ParsedProxyHeader extends Partial<ProxyAddresses> {
  version: 1 | 2;
  /** Bytes the header occupies at the start of the stream. */
  length: number;
  /** v2 LOCAL or v1 UNKNOWN: no addresses; use the connection's own. */
  local: boolean;
  family: 'ipv4' | 'ipv6' | 'unix' | 'unspec';
  tlvs: ProxyTlv[];
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

/** v2 binary header; `addresses` undefined = LOCAL command (health checks, the proxy's own traffic). */
export function encodeProxyV2(addresses?: ProxyAddresses, tlvs: ProxyTlv[] = []): Buffer {
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
  return Buffer.concat([head, body]);
}

interface NativeLb {
  parseProxyHeader(data: Uint8Array): {
    status: 'complete' | 'incomplete' | 'invalid'; error?: string; version?: number; length?: number; local?: boolean;
    family?: number; source?: string; destination?: string; sourcePort?: number; destinationPort?: number; tlvs?: ProxyTlv[];
  };
}

/** Parses a PROXY header (v1 or v2) at the start of `data`. */
export function parseProxyHeader(data: Uint8Array): ProxyParseResult {
  check.bytes('data', data);
  const r = nativeModule<NativeLb>('lb').parseProxyHeader(data);
  if (r.status === 'incomplete') return { status: 'incomplete' };
  if (r.status === 'invalid') return { status: 'invalid', error: r.error ?? 'invalid' };
  const family = r.family === 4 ? 'ipv4' : r.family === 6 ? 'ipv6' : r.family === 1 ? 'unix' : 'unspec';
  const header: ParsedProxyHeader = { version: r.version as 1 | 2, length: r.length!, local: r.local!, family, tlvs: r.tlvs ?? [] };
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
