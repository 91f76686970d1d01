/** IP address text <-> bytes, without DNS and without surprises (no zone ids, no shorthand IPv4). */
import net from 'node:net';
import { ArgumentError } from '../errors';

export type Family = 4 | 6;

export function familyOf(address: string): Family | 0 {
  const f = net.isIP(address);
  return f === 4 || f === 6 ? f : 0;
}

export function addressBytes(address: string): Buffer {
  const family = familyOf(address);
  if (family === 4) return Buffer.from(address.split('.').map((part) => Number(part)));
  if (family === 6) return ipv6Bytes(address);
  throw new ArgumentError(`not an IP address: ${JSON.stringify(address)}`, { argument: 'address' });
}

function ipv6Bytes(text: string): Buffer {
  let tail: number[] = [];
  let body = text;
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.', lastColon)) {
    tail = body.slice(lastColon + 1).split('.').map(Number);
    body = body.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = body.split('::') as [string, string | undefined];
  const headParts = head === '' ? [] : head.split(':');
  const restParts = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? 0 : 8 - headParts.length - restParts.length;
  const words = [...headParts, ...Array<string>(fill).fill('0'), ...restParts].map((w) => parseInt(w, 16));
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  if (tail.length === 4) Buffer.from(tail).copy(out, 12);
  return out;
}

export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new ArgumentError('an address is 4 or 16 bytes', { argument: 'bytes' });
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  // RFC 5952: compress the longest run (of 2+) of zero words, the first one on ties.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
}

/** Canonical text of an address (so '2001:DB8:0::1' and '2001:db8::1' compare equal). */
export function canonical(address: string): string {
  return formatAddress(addressBytes(address));
}

/** Compares addresses as unsigned big-endian numbers (RFC 5798 6.4.3 tie-break). */
export function compareAddresses(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function isLinkLocal6(address: string): boolean {
  const b = addressBytes(address);
  return b.length === 16 && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}
