/**
 * ICMP echo through the `raw-socket` package: IPv4 (RFC 792) and ICMPv6 (RFC 4443), one raw
 * socket per family shared by all probes, replies matched by identifier, sequence number and
 * source address. Needs root or CAP_NET_RAW.
 */
import net from 'node:net';
import { HakitError } from '../../errors';
import { ipBytes } from '../proxy-protocol';
import type { ProbeResult } from './probes';

interface RawSocket {
  on(event: 'message', cb: (buffer: Buffer, address: string) => void): void;
  on(event: 'error', cb: (error: Error) => void): void;
  send(buffer: Buffer, offset: number, length: number, address: string, before: null, after: (error: Error | null) => void): void;
  close(): void;
}
interface RawSocket6 extends RawSocket {
  setOption(level: number, option: number, value: Buffer, length: number): void;
}
interface RawModule {
  createSocket(options: { protocol: number; addressFamily?: number }): RawSocket6;
  Protocol: { ICMP: number; ICMPv6: number };
  AddressFamily: { IPv4: number; IPv6: number };
}

const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;
const ICMP6_ECHO_REQUEST = 128; // RFC 4443 4.1
const ICMP6_ECHO_REPLY = 129; // RFC 4443 4.2
const IPPROTO_ICMPV6 = 58;
const ICMP6_FILTER = 1; // <netinet/icmp6.h>, RFC 3542 3.2

/** Internet checksum (RFC 1071). */
export function internetChecksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (data.length % 2) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * An echo request. IPv4 carries its checksum; for ICMPv6 the kernel computes it over the
 * pseudo-header (RFC 3542 3.1: mandatory for raw ICMPv6 sockets), so it is left 0.
 */
export function echoRequest(identifier: number, sequence: number, payload: Buffer, family: 4 | 6 = 4): Buffer {
  const packet = Buffer.alloc(8 + payload.length);
  packet[0] = family === 4 ? ICMP_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
  packet.writeUInt16BE(identifier, 4);
  packet.writeUInt16BE(sequence, 6);
  payload.copy(packet, 8);
  if (family === 4) packet.writeUInt16BE(internetChecksum(packet), 2);
  return packet;
}

/**
 * Where the echo reply starts in what a raw socket returns: after the IPv4 header for IPv4, at 0
 * for IPv6 (raw IPv6 sockets never return the IPv6 header). -1 if it is not an echo reply.
 */
export function echoReplyOffset(buffer: Buffer, family: 4 | 6): number {
  if (family === 6) return buffer.length >= 8 && buffer[0] === ICMP6_ECHO_REPLY ? 0 : -1;
  if (buffer.length < 20) return -1;
  const ihl = (buffer[0]! & 0x0f) * 4;
  if (ihl < 20 || buffer.length < ihl + 8 || buffer[ihl] !== ICMP_ECHO_REPLY) return -1;
  return ihl;
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const fa = net.isIP(a);
  return fa !== 0 && fa === net.isIP(b) && ipBytes(a, fa as 4 | 6).equals(ipBytes(b, fa as 4 | 6));
}

export class Pinger {
  private readonly sockets: { 4?: RawSocket6; 6?: RawSocket6 } = {};
  private readonly pending = new Map<number, { resolve: (r: ProbeResult) => void; start: number; timer: NodeJS.Timeout; host: string }>();
  private sequence = 0;
  private readonly identifier = process.pid & 0xffff;

  private open(family: 4 | 6): RawSocket6 {
    const existing = this.sockets[family];
    if (existing) return existing;
    let raw: RawModule;
    try {
      raw = require('raw-socket') as RawModule;
    } catch (cause) {
      throw new HakitError('LB_ICMP_UNAVAILABLE', 'ICMP checks need the raw-socket package', {}, { cause });
    }
    let socket: RawSocket6;
    try {
      socket = family === 4
        ? raw.createSocket({ protocol: raw.Protocol.ICMP })
        : raw.createSocket({ protocol: raw.Protocol.ICMPv6, addressFamily: raw.AddressFamily.IPv6 });
    } catch (cause) {
      throw new HakitError('LB_ICMP_UNAVAILABLE', `cannot open a raw ICMP${family === 6 ? 'v6' : ''} socket (root or CAP_NET_RAW needed): ${(cause as Error).message}`, { family }, { cause });
    }
    if (family === 6) {
      // Let only echo replies through (neighbour discovery and our own requests stay in the kernel):
      // a set bit blocks that type (RFC 3542 3.2, ICMP6_FILTER_SETBLOCKALL then SETPASS 129).
      const filter = Buffer.alloc(32, 0xff);
      filter[ICMP6_ECHO_REPLY >> 3]! &= ~(1 << (ICMP6_ECHO_REPLY & 7));
      try {
        socket.setOption(IPPROTO_ICMPV6, ICMP6_FILTER, filter, filter.length);
      } catch {
        // Optional: onMessage filters by type anyway.
      }
    }
    socket.on('message', (buffer, address) => this.onMessage(buffer, address, family));
    socket.on('error', () => {});
    this.sockets[family] = socket;
    return socket;
  }

  private onMessage(buffer: Buffer, address: string, family: 4 | 6): void {
    const at = echoReplyOffset(buffer, family); // on loopback we also see our own requests
    if (at < 0 || buffer.readUInt16BE(at + 4) !== this.identifier) return;
    const sequence = buffer.readUInt16BE(at + 6);
    const entry = this.pending.get(sequence);
    if (!entry || !sameAddress(entry.host, address)) return;
    this.finish(sequence, true, 'echo reply');
  }

  private finish(sequence: number, ok: boolean, detail: string): void {
    const entry = this.pending.get(sequence);
    if (!entry) return;
    this.pending.delete(sequence);
    clearTimeout(entry.timer);
    entry.resolve({ ok, detail, durationMs: Math.round((performance.now() - entry.start) * 1000) / 1000 });
  }

  ping(host: string, timeoutMs: number): Promise<ProbeResult> {
    const family = net.isIP(host);
    if (family === 0) return Promise.resolve({ ok: false, detail: 'ICMP checks need a numeric IPv4 or IPv6 address', durationMs: 0 });
    const socket = this.open(family as 4 | 6);
    let sequence = (this.sequence = (this.sequence + 1) & 0xffff);
    while (this.pending.has(sequence)) sequence = (this.sequence = (this.sequence + 1) & 0xffff);
    return new Promise((resolve) => {
      const start = performance.now();
      const timer = setTimeout(() => this.finish(sequence, false, 'timeout'), timeoutMs);
      this.pending.set(sequence, { resolve, start, timer, host });
      const packet = echoRequest(this.identifier, sequence, Buffer.from('hakit-health-check'), family as 4 | 6);
      socket.send(packet, 0, packet.length, host, null, (error) => {
        if (error) this.finish(sequence, false, error.message);
      });
    });
  }

  close(): void {
    for (const seq of [...this.pending.keys()]) this.finish(seq, false, 'closed');
    this.sockets[4]?.close();
    this.sockets[6]?.close();
    delete this.sockets[4];
    delete this.sockets[6];
  }
}
