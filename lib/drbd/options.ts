/** Checks Volume options (before anything crosses into C++) and builds the native engine's config. */
import { ArgumentError, check } from '../errors';
import type { Layout, Superblock } from './meta';
import type { VolumeOptions } from './types';

/** The native engine's configuration for `o` (DRBD's units converted to ms and bytes). */
export function engineConfig(o: VolumeOptions, layout: Layout | undefined, sb: Superblock | undefined, size: number): Record<string, unknown> {
  const net = o.net ?? {};
  const dialer = o.node < o.peer;
  return {
    disk: o.disk ?? '',
    meta: layout?.metaPath ?? '',
    direct: o.diskOptions?.direct ?? false,
    dsync: o.diskOptions?.dsync ?? false,
    dataSize: size,
    bitmapOffset: layout?.bitmapOffset ?? 0,
    alOffset: layout?.alOffset ?? 0,
    alExtents: Math.min(o.diskOptions?.alExtents ?? sb?.alExtents ?? 257, 1019),
    protocol: net.protocol ?? 'C',
    secret: net.cramHmacAlg ? (net.sharedSecret ?? '') : '',
    dataDigest: Boolean(net.dataIntegrityAlg),
    csumsAlg: digestAlg(net.csumsAlg),
    verifyAlg: digestAlg(net.verifyAlg),
    pingIntMs: (net.pingInt ?? 10) * 1000,
    pingTimeoutMs: (net.pingTimeout ?? 5) * 100,
    timeoutMs: (net.timeout ?? 60) * 100,
    connectIntMs: (net.connectInt ?? 10) * 1000,
    koCount: net.koCount ?? 7,
    maxBuffers: net.maxBuffers ?? 8 << 20,
    resyncRate: o.diskOptions?.resyncRate ?? 0,
    fencing: net.fencing === 'resource-and-stonith',
    listenHost: o.address.host,
    listenPort: o.address.port,
    peerHost: o.peerAddress.host,
    peerPort: o.peerAddress.port,
    dialer,
  };
}

export function digestAlg(name: string | undefined): string {
  if (!name) return '';
  const n = name.toLowerCase();
  if (n === 'crc32c') return 'crc32c';
  if (n === 'sha256' || n === 'sha-256') return 'sha256';
  throw new ArgumentError(`unsupported digest algorithm '${name}' (crc32c or sha256)`, { alg: name });
}

export function validate(o: VolumeOptions): void {
  check.string('resource', o.resource);
  check.string('node', o.node);
  check.string('peer', o.peer);
  if (o.node === o.peer) throw new ArgumentError('node and peer must have different names');
  if (o.disk !== null) check.string('disk', o.disk);
  for (const [name, a] of [['address', o.address], ['peerAddress', o.peerAddress]] as const) {
    if (!a || typeof a !== 'object') throw new ArgumentError(`${name} must be { host, port }`);
    check.string(`${name}.host`, a.host);
    check.integer(`${name}.port`, a.port, 0, 65535);
  }
  const net = o.net ?? {};
  if (net.protocol !== undefined) check.oneOf('protocol', net.protocol, ['A', 'B', 'C']);
  if (net.cramHmacAlg !== undefined) {
    const alg = net.cramHmacAlg.toLowerCase();
    if (alg !== 'sha256' && alg !== 'hmac(sha256)') throw new ArgumentError(`cram-hmac-alg '${net.cramHmacAlg}' is not supported (sha256)`);
    if (!net.sharedSecret) throw new ArgumentError('cram-hmac-alg needs a shared-secret');
  }
  if (net.dataIntegrityAlg !== undefined && net.dataIntegrityAlg.toLowerCase() !== 'crc32c') throw new ArgumentError(`data-integrity-alg '${net.dataIntegrityAlg}' is not supported (crc32c)`);
  digestAlg(net.csumsAlg);
  digestAlg(net.verifyAlg);
  for (const key of ['pingInt', 'pingTimeout', 'timeout', 'connectInt', 'koCount'] as const) if (net[key] !== undefined) check.number(key, net[key]);
}
