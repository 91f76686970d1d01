/**
 * ICMP echo (IPv4) through the `raw-socket` package: one raw socket shared by all probes,
 * replies matched by identifier and sequence number (RFC 792). Needs root or CAP_NET_RAW.
 */
import net from 'node:net';
import { HakitError } from '../../errors';
import type { ProbeResult } from './probes';

interface RawSocket {
  on(event: 'message', cb: (buffer: Buffer, address: string) => void): void;
  on(event: 'error', cb: (error: Error) => void): void;
  send(buffer: Buffer, offset: number, length: number, address: string, before: null, after: (error: Error | null) => void): void;
  close(): void;
}
interface RawModule {
  createSocket(options: { protocol: number }): RawSocket;
  Protocol: { ICMP: number };
}

/** Internet checksum (RFC 1071). */
export function internetChecksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (data.length % 2) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function echoRequest(identifier: number, sequence: number, payload: Buffer): Buffer {
  const packet = Buffer.alloc(8 + payload.length);
  packet[0] = 8; // echo request
  packet.writeUInt16BE(identifier, 4);
  packet.writeUInt16BE(sequence, 6);
  payload.copy(packet, 8);
  packet.writeUInt16BE(internetChecksum(packet), 2);
  return packet;
}

export class Pinger {
  private socket: RawSocket | undefined;
  private readonly pending = new Map<number, { resolve: (r: ProbeResult) => void; start: number; timer: NodeJS.Timeout; host: string }>();
  private sequence = 0;
  private readonly identifier = process.pid & 0xffff;

  private open(): RawSocket {
    if (this.socket) return this.socket;
    let raw: RawModule;
    try {
      raw = require('raw-socket') as RawModule;
    } catch (cause) {
      throw new HakitError('LB_ICMP_UNAVAILABLE', 'ICMP checks need the raw-socket package', {}, { cause });
    }
    try {
      this.socket = raw.createSocket({ protocol: raw.Protocol.ICMP });
    } catch (cause) {
      throw new HakitError('LB_ICMP_UNAVAILABLE', `cannot open a raw ICMP socket (root or CAP_NET_RAW needed): ${(cause as Error).message}`, {}, { cause });
    }
    this.socket.on('message', (buffer, address) => this.onMessage(buffer, address));
    this.socket.on('error', () => {});
    return this.socket;
  }

  private onMessage(buffer: Buffer, address: string): void {
    if (buffer.length < 20) return;
    const ihl = (buffer[0]! & 0x0f) * 4;
    if (buffer.length < ihl + 8) return;
    if (buffer[ihl] !== 0) return; // echo reply only (we also see our own requests on loopback)
    if (buffer.readUInt16BE(ihl + 4) !== this.identifier) return;
    const entry = this.pending.get(buffer.readUInt16BE(ihl + 6));
    if (!entry || entry.host !== address) return;
    this.finish(buffer.readUInt16BE(ihl + 6), true, 'echo reply');
  }

  private finish(sequence: number, ok: boolean, detail: string): void {
    const entry = this.pending.get(sequence);
    if (!entry) return;
    this.pending.delete(sequence);
    clearTimeout(entry.timer);
    entry.resolve({ ok, detail, durationMs: Math.round((performance.now() - entry.start) * 1000) / 1000 });
  }

  ping(host: string, timeoutMs: number): Promise<ProbeResult> {
    if (net.isIP(host) !== 4) return Promise.resolve({ ok: false, detail: 'ICMP checks need an IPv4 address', durationMs: 0 });
    const socket = this.open();
    let sequence = (this.sequence = (this.sequence + 1) & 0xffff);
    while (this.pending.has(sequence)) sequence = (this.sequence = (this.sequence + 1) & 0xffff);
    return new Promise((resolve) => {
      const start = performance.now();
      const timer = setTimeout(() => this.finish(sequence, false, 'timeout'), timeoutMs);
      this.pending.set(sequence, { resolve, start, timer, host });
      const packet = echoRequest(this.identifier, sequence, Buffer.from('hakit-health-check'));
      socket.send(packet, 0, packet.length, host, null, (error) => {
        if (error) this.finish(sequence, false, error.message);
      });
    });
  }

  close(): void {
    for (const seq of [...this.pending.keys()]) this.finish(seq, false, 'closed');
    this.socket?.close();
    this.socket = undefined;
  }
}
