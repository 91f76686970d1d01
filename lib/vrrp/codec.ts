/**
 * VRRP adverts: build and parse (VRRPv2 RFC 3768, VRRPv3 RFC 5798 / RFC 9568), checksums with
 * and without the pseudo-header, and the frames a new master sends (gratuitous ARP, unsolicited
 * neighbour advertisement). The byte work is native (native/vrrp/codec.cc).
 */
import { ArgumentError, HakitError, check } from '../errors';
import { nativeModule } from '../native';
import { addressBytes, familyOf, formatAddress, type Family } from './addr';

interface NativeAdvert {
  version: number; type: number; vrid: number; priority: number; count: number; authType: number;
  interval: number; reserved: number; checksum: number; checksumPseudoOk: boolean; checksumPlainOk: boolean;
  addrs: Buffer; auth?: Buffer;
}
type NativeDecoded = NativeAdvert | { error: string };

export interface NativeVrrp {
  encode(spec: object): Buffer;
  decode(bytes: Uint8Array, addrLen: number, src?: Uint8Array | null, dst?: Uint8Array | null): NativeDecoded;
  decodeIpv4(bytes: Uint8Array): { ttl: number; protocol: number; src: Buffer; dst: Buffer; payloadOffset: number; payloadLength: number } | { error: string };
  garpFrame(mac: Uint8Array, ip: Uint8Array): Buffer;
  naFrame(mac: Uint8Array, ip: Uint8Array): Buffer;
  ifIndex(name: string): number;
  ifMac(name: string): Buffer | null;
  VrrpSocket: new (family: number, ifname: string, ifindex: number, multicast: boolean, ttl: number,
    onPacket: (payload: Buffer, src: Buffer, dst: Buffer, ttl: number, ifindex: number, ipError: number, ageMs: number) => void) => {
    send(data: Uint8Array, dst: Uint8Array, src?: Uint8Array | null): number;
    close(): void;
  };
  PacketSocket: new () => { send(ifindex: number, frame: Uint8Array): number; close(): void };
  /** A takeover prepared for a timer's prelude (native/vrrp/vrrp_napi.cc). */
  Takeover: new (socket: object, adverts: Uint8Array[][], changes: object[], packet: object, frames: Uint8Array[], ifindex: number, rounds: number) => {
    run(): { adverts: number[]; addresses: number[]; frames: number };
    result(): { adverts: number[]; addresses: number[]; frames: number } | null;
  };
}

let cached: NativeVrrp | undefined;
export function nativeVrrp(): NativeVrrp {
  return (cached ??= nativeModule<NativeVrrp>('vrrp'));
}

export const MULTICAST4 = '224.0.0.18';
export const MULTICAST6 = 'ff02::12';

/** How the v3 IPv4 checksum is computed: with the pseudo-header (RFC 5798, keepalived's default) or without (keepalived's v3_checksum_as_v2). */
export type ChecksumMode = 'pseudo' | 'plain';

export interface AdvertSpec {
  version: 2 | 3;
  vrid: number;
  priority: number;
  /** v2: seconds (1-255); v3: centiseconds (1-4095). */
  interval: number;
  addresses: string[];
  /** v2 only: 0 none, 1 simple password. */
  authType?: number;
  /** v2 simple password, up to 8 bytes (padded with zeros). */
  password?: string;
  /** Source and destination IP, needed for the pseudo-header checksum. */
  src?: string;
  dst?: string;
  checksum?: ChecksumMode;
}

export interface Advert {
  version: number;
  type: number;
  vrid: number;
  priority: number;
  count: number;
  authType: number;
  interval: number;
  checksum: number;
  /** Valid with the pseudo-header (needs src/dst). */
  checksumPseudoOk: boolean;
  /** Valid over the VRRP message alone. */
  checksumPlainOk: boolean;
  addresses: string[];
  /** v2: the 8 authentication bytes. */
  auth?: Buffer;
}

export function encodeAdvert(spec: AdvertSpec): Buffer {
  const version = check.integer('version', spec.version, 2, 3) as 2 | 3;
  check.integer('vrid', spec.vrid, 1, 255);
  check.integer('priority', spec.priority, 0, 255);
  check.integer('interval', spec.interval, version === 2 ? 1 : 1, version === 2 ? 255 : 4095);
  if (!Array.isArray(spec.addresses) || spec.addresses.length === 0 || spec.addresses.length > 255) {
    throw new ArgumentError('addresses must list 1 to 255 IP addresses', { argument: 'addresses' });
  }
  const family = familyOf(spec.addresses[0]!);
  if (family === 0 || spec.addresses.some((a) => familyOf(a) !== family)) {
    throw new ArgumentError('addresses must be IP addresses of one family', { argument: 'addresses' });
  }
  const addrLen = family === 4 ? 4 : 16;
  const pseudo = version === 3 && (spec.checksum ?? 'pseudo') === 'pseudo';
  if (pseudo && (spec.src === undefined || spec.dst === undefined)) {
    throw new ArgumentError('a VRRPv3 checksum with the pseudo-header needs src and dst', { argument: 'src' });
  }
  for (const key of ['src', 'dst'] as const) {
    const value = spec[key];
    if (value !== undefined && familyOf(value) !== family) throw new ArgumentError(`${key} must be an IPv${family} address`, { argument: key });
  }
  let auth: Buffer | undefined;
  if (spec.password !== undefined) {
    const bytes = Buffer.from(check.string('password', spec.password));
    if (bytes.length > 8) throw new ArgumentError('a VRRPv2 password is at most 8 bytes', { argument: 'password' });
    auth = Buffer.alloc(8);
    bytes.copy(auth);
  }
  return nativeVrrp().encode({
    version, vrid: spec.vrid, priority: spec.priority, interval: spec.interval,
    authType: check.integer('authType', spec.authType ?? (auth ? 1 : 0), 0, 255),
    auth, addrs: Buffer.concat(spec.addresses.map(addressBytes)), addrLen, pseudo,
    src: spec.src === undefined ? undefined : addressBytes(spec.src),
    dst: spec.dst === undefined ? undefined : addressBytes(spec.dst),
  });
}

/** Parses a VRRP message (after the IP header). Throws HakitError VRRP_TOO_SHORT, VRRP_TOO_LONG, VRRP_BAD_VERSION or VRRP_BAD_TYPE. */
export function decodeAdvert(bytes: Uint8Array, family: Family, src?: string | Uint8Array, dst?: string | Uint8Array): Advert {
  const result = decodeRaw(bytes, family, src, dst);
  if ('error' in result) throw new HakitError(result.error, `bad VRRP packet (${result.error})`, { length: bytes.length });
  return result;
}

/** Like decodeAdvert, but returns { error } instead of throwing (the receive path counts errors). */
export function decodeRaw(bytes: Uint8Array, family: Family, src?: string | Uint8Array, dst?: string | Uint8Array): Advert | { error: string } {
  check.bytes('bytes', bytes);
  const addrLen = family === 6 ? 16 : 4;
  const s = typeof src === 'string' ? addressBytes(src) : src;
  const d = typeof dst === 'string' ? addressBytes(dst) : dst;
  const raw = nativeVrrp().decode(bytes, addrLen, s ?? null, d ?? null);
  if ('error' in raw) return raw;
  const addresses: string[] = [];
  for (let i = 0; i < raw.addrs.length; i += addrLen) addresses.push(formatAddress(raw.addrs.subarray(i, i + addrLen)));
  return {
    version: raw.version, type: raw.type, vrid: raw.vrid, priority: raw.priority, count: raw.count,
    authType: raw.authType, interval: raw.interval, checksum: raw.checksum,
    checksumPseudoOk: raw.checksumPseudoOk, checksumPlainOk: raw.checksumPlainOk, addresses,
    ...(raw.auth ? { auth: raw.auth } : {}),
  };
}

/** Parses an IPv4 header in front of a VRRP message (raw IPv4 sockets deliver it). */
export function decodeIpv4Header(bytes: Uint8Array): { ttl: number; protocol: number; src: string; dst: string; payload: Buffer } {
  check.bytes('bytes', bytes);
  const raw = nativeVrrp().decodeIpv4(bytes);
  if ('error' in raw) throw new HakitError(raw.error, `bad IPv4 header (${raw.error})`, { length: bytes.length });
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { ttl: raw.ttl, protocol: raw.protocol, src: formatAddress(raw.src), dst: formatAddress(raw.dst), payload: buf.subarray(raw.payloadOffset, raw.payloadOffset + raw.payloadLength) };
}

function macBytes(mac: string | Uint8Array): Uint8Array {
  if (typeof mac !== 'string') return mac;
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new ArgumentError(`not a MAC address: ${JSON.stringify(mac)}`, { argument: 'mac' });
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** The Ethernet frame announcing `address` at `mac`: gratuitous ARP (IPv4) or unsolicited NA (IPv6). */
export function announceFrame(mac: string | Uint8Array, address: string): Buffer {
  const m = macBytes(mac);
  const family = familyOf(address);
  if (family === 4) return nativeVrrp().garpFrame(m, addressBytes(address));
  if (family === 6) return nativeVrrp().naFrame(m, addressBytes(address));
  throw new ArgumentError(`not an IP address: ${JSON.stringify(address)}`, { argument: 'address' });
}

/** The virtual router MAC of RFC 5798 7.3: 00:00:5e:00:01:VRID (IPv4), 00:00:5e:00:02:VRID (IPv6). */
export function virtualMac(vrid: number, family: Family): string {
  check.integer('vrid', vrid, 1, 255);
  return `00:00:5e:00:0${family === 6 ? 2 : 1}:${vrid.toString(16).padStart(2, '0')}`;
}
