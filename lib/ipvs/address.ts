/**
 * Addresses as IPVS carries them (union nf_inet_addr: 16 bytes, IPv4 in the first 4) and as
 * ipvsadm prints them (glibc inet_ntop: IPv6 with the longest run of two or more zero groups
 * compressed, IPv4-mapped and -compatible forms with a dotted tail).
 */
import net from 'node:net';
import { ArgumentError } from '../errors';

export const AF_INET = 2;
export const AF_INET6 = 10;

/** Dotted-quad IPv4 without a regular expression (the hot path of big batches), or undefined. */
function parseIPv4(text: string, out?: Buffer): Buffer | undefined {
  let part = 0;
  let digits = 0;
  let index = 0;
  const bytes = out ?? Buffer.alloc(16);
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return undefined; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0 || index > 3) return undefined;
      bytes[index++] = part;
      part = 0;
      digits = 0;
    } else return undefined;
  }
  return index === 4 ? bytes : undefined;
}

const scratchAddress = Buffer.alloc(16);

export function familyOf(address: string): 4 | 6 {
  if (typeof address === 'string' && address.length <= 15 && parseIPv4(address, scratchAddress)) return 4;
  const v = net.isIP(address);
  if (v === 0) throw new ArgumentError(`not an IP address: ${JSON.stringify(address)}`, { address });
  return v as 4 | 6;
}

export function addressBytes(address: string): Buffer {
  const out = Buffer.alloc(16);
  if (address.length <= 15 && parseIPv4(address, out)) return out;
  if (!net.isIPv6(address)) throw new ArgumentError(`not an IP address: ${JSON.stringify(address)}`, { address });
  let text = address;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // A dotted tail becomes two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const b = dotted[1]!.split('.').map(Number);
    text = text.slice(0, dotted.index) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export function formatAddress(family: 4 | 6, bytes: Uint8Array): string {
  if (family === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  // glibc: ::a.b.c.d for IPv4-compatible (first 96 bits zero, not ::/::1 style short values)
  // and ::ffff:a.b.c.d for IPv4-mapped.
  const dotted = `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  if (groups.slice(0, 5).every((g) => g === 0)) {
    if (groups[5] === 0xffff) return `::ffff:${dotted}`;
    if (groups[5] === 0 && groups[6] !== 0) return `::${dotted}`;
  }
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) return groups.map((g) => g.toString(16)).join(':');
  const before = groups.slice(0, bestStart).map((g) => g.toString(16)).join(':');
  const after = groups.slice(bestStart + bestLength).map((g) => g.toString(16)).join(':');
  return `${before}::${after}`;
}

/** Canonical text of an address (for keys and comparisons). */
export function canonicalAddress(address: string): string {
  // a valid dotted quad (no leading zeros) is already canonical
  if (address.length <= 15 && parseIPv4(address, scratchAddress)) return address;
  const family = familyOf(address);
  return formatAddress(family, addressBytes(address));
}

/** IPv4 netmask text <-> the u32 IPVS carries (the __be32 read as a little-endian u32). */
export function netmaskToWire(mask: string): number {
  const b = addressBytes(mask);
  return b.readUInt32LE(0);
}
export function wireToNetmask(value: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}
