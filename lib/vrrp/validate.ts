/** Checks VrrpInstance options before any of them is used (typed ArgumentErrors). */
import { ArgumentError, check } from '../errors';
import { familyOf } from './addr';
import type { InstanceOptions } from './types';

export function validateOptions(o: InstanceOptions): Required<Pick<InstanceOptions, 'version' | 'preempt' | 'preemptDelay'>> {
  check.string('name', o.name);
  check.string('interface', o.interface);
  check.integer('vrid', o.vrid, 1, 255);
  check.integer('priority', o.priority, 1, 255);
  const version = (o.version ?? 3) as 2 | 3;
  check.integer('version', version, 2, 3);
  if (version === 2) check.integer('advertInt', o.advertInt, 1000, 255000);
  else check.integer('advertInt', o.advertInt, 10, 40950);
  if (version === 2 && o.advertInt % 1000 !== 0) throw new ArgumentError('a VRRPv2 advertInt is whole seconds', { argument: 'advertInt' });
  if (version === 3 && o.advertInt % 10 !== 0) throw new ArgumentError('a VRRPv3 advertInt is in 10 ms steps', { argument: 'advertInt' });
  if (!Array.isArray(o.vips) || o.vips.length === 0 || o.vips.length > 255) throw new ArgumentError('vips must list 1 to 255 addresses', { argument: 'vips' });
  const family = familyOf(o.vips[0]!.address);
  if (family === 0 || o.vips.some((v) => familyOf(v.address) !== family)) throw new ArgumentError('vips must be addresses of one family', { argument: 'vips' });
  if (version === 2 && family === 6) throw new ArgumentError('VRRPv2 is IPv4 only (RFC 3768)', { argument: 'version' });
  if (o.authPass !== undefined && Buffer.byteLength(o.authPass) > 8) throw new ArgumentError('authPass is at most 8 bytes', { argument: 'authPass' });
  const preemptDelay = o.preemptDelay ?? 0;
  check.integer('preemptDelay', preemptDelay, 0, 3_600_000);
  if (o.unicastTtl !== undefined) check.integer('unicastTtl', o.unicastTtl, 1, 255);
  for (const p of o.unicastPeers ?? []) if (familyOf(p) === 0) throw new ArgumentError(`unicastPeers: '${p}' is not an IP address`, { argument: 'unicastPeers' });
  for (const [peer, r] of Object.entries(o.unicastPeerTtl ?? {})) {
    if (familyOf(peer) === 0) throw new ArgumentError(`unicastPeerTtl: '${peer}' is not an IP address`, { argument: 'unicastPeerTtl' });
    check.integer('unicastPeerTtl.min', r.min, 0, 255);
    check.integer('unicastPeerTtl.max', r.max, r.min, 255);
  }
  return { version, preempt: o.preempt ?? true, preemptDelay };
}
