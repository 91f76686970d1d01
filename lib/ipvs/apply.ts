/**
 * apply(desired): the table as it is vs. as it should be, and the smallest list of operations
 * between them (what kube-proxy-style controllers need at thousands of services).
 */
import { HakitError } from '../errors';
import { NetlinkError } from '../netlink/errors';
import type { Ipvs, Operation, ServiceWithDestinations } from './client';
import { checkDestination, checkServiceKey, destinationId, keyOf, serviceFamily, serviceId } from './codec';
import { canonicalAddress, netmaskToWire } from './address';
import type { DesiredService, Destination, DestinationSpec, Service, ServiceSpec } from './types';

export interface ApplyOptions {
  /** Remove services that are not in `desired` (default true). */
  prune?: boolean;
  /** Compute and return the plan without changing anything. */
  dryRun?: boolean;
}

export interface ApplyResult {
  operations: Operation[];
  /** Milliseconds spent reading the table, planning, and sending the changes. */
  timings: { readMs: number; planMs: number; sendMs: number };
  /** Netlink requests sent for the changes (reads not counted). */
  requests: number;
  counts: Record<Operation['op'], number>;
}

function sameService(current: Service, spec: ServiceSpec): boolean {
  const family = serviceFamily(spec);
  const wantNetmask = family === 4 ? netmaskToWire(typeof spec.netmask === 'number' ? prefixMask(spec.netmask) : (spec.netmask ?? '255.255.255.255')) : (spec.netmask ?? 128);
  const haveNetmask = family === 4 ? netmaskToWire(String(current.netmask)) : current.netmask;
  const persistent = spec.persistent ?? 0;
  return (
    current.scheduler === (spec.scheduler ?? 'wlc') &&
    (current.persistent ?? 0) === persistent &&
    (persistent === 0 || haveNetmask === wantNetmask) &&
    current.onePacket === (spec.onePacket ?? false) &&
    [...current.schedFlags].sort().join() === [...(spec.schedFlags ?? [])].sort().join() &&
    (current.pe ?? '') === (spec.pe ?? '')
  );
}

function prefixMask(prefix: number): string {
  const value = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (value >>> s) & 0xff).join('.');
}

function sameDestination(current: Destination, spec: DestinationSpec): boolean {
  const forward = spec.forward ?? 'route';
  if (current.forward !== forward) return false;
  if (current.weight !== (spec.weight ?? 1)) return false;
  if (current.upperThreshold !== (spec.upperThreshold ?? 0) || current.lowerThreshold !== (spec.lowerThreshold ?? 0)) return false;
  if (forward === 'tunnel') {
    const t = spec.tunnel;
    if (current.tunnel.type !== (t?.type ?? 'ipip') || current.tunnel.port !== (t?.port ?? 0) || current.tunnel.checksum !== (t?.checksum ?? 'nocsum')) return false;
  }
  return true;
}

/** The operations that turn `current` into `desired`. */
export function plan(current: readonly ServiceWithDestinations[], desired: readonly DesiredService[], prune = true): Operation[] {
  const have = new Map<string, ServiceWithDestinations>();
  for (const service of current) have.set(serviceId(keyOf(service)), service);
  const want = new Map<string, DesiredService>();
  for (const spec of desired) {
    checkServiceKey(spec);
    const id = serviceId(spec);
    if (want.has(id)) throw new HakitError('IPVS_DUPLICATE', `service ${id} is listed twice in the desired table`, { service: id });
    want.set(id, spec);
  }
  const removals: Operation[] = [];
  const additions: Operation[] = [];
  const edits: Operation[] = [];
  if (prune) for (const [id, service] of have) if (!want.has(id)) removals.push({ op: 'delete-service', service: keyOf(service) });
  for (const [id, spec] of want) {
    // the desired entry itself serves as the service spec (its extra 'destinations' is ignored)
    const key: ServiceSpec = spec;
    const wantDests = new Map<string, DestinationSpec>();
    for (const dest of spec.destinations ?? []) {
      checkDestination(dest);
      const address = canonicalAddress(dest.address);
      const destId = `${address}|${dest.port}`;
      if (wantDests.has(destId)) throw new HakitError('IPVS_DUPLICATE', `destination ${dest.address}:${dest.port} is listed twice in service ${id}`, { service: id, destination: destId });
      wantDests.set(destId, address === dest.address ? dest : { ...dest, address });
    }
    const existing = have.get(id);
    if (!existing) {
      additions.push({ op: 'add-service', service: key });
      for (const dest of wantDests.values()) additions.push({ op: 'add-destination', service: key, destination: dest });
      continue;
    }
    if (!sameService(existing, key)) edits.push({ op: 'edit-service', service: key });
    const haveDests = new Map(existing.destinations.map((d) => [destinationId(d), d]));
    for (const [destId, dest] of haveDests) if (!wantDests.has(destId)) removals.push({ op: 'delete-destination', service: key, destination: { address: dest.address, port: dest.port } });
    for (const [destId, dest] of wantDests) {
      const current = haveDests.get(destId);
      if (!current) additions.push({ op: 'add-destination', service: key, destination: dest });
      else if (!sameDestination(current, dest)) edits.push({ op: 'edit-destination', service: key, destination: dest });
    }
  }
  return [...removals, ...edits, ...additions];
}

function countOps(operations: readonly Operation[]): Record<Operation['op'], number> {
  const counts = { 'add-service': 0, 'edit-service': 0, 'delete-service': 0, 'add-destination': 0, 'edit-destination': 0, 'delete-destination': 0 };
  for (const op of operations) counts[op.op]++;
  return counts;
}

export async function apply(ipvs: Ipvs, desired: readonly DesiredService[], options: ApplyOptions = {}): Promise<ApplyResult> {
  const prune = options.prune ?? true;
  let requests = 0;
  let all: Operation[] = [];
  const timings = { readMs: 0, planMs: 0, sendMs: 0 };
  const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
  // A lost reply (ENOBUFS, timeout) leaves the outcome unknown: read the table again and
  // compute what is still missing, a few times at most.
  for (let attempt = 0; attempt < 3; attempt++) {
    let t = process.hrtime.bigint();
    const current = await ipvs.table();
    timings.readMs += since(t);
    t = process.hrtime.bigint();
    const operations = plan(current, desired, prune);
    timings.planMs += since(t);
    if (attempt === 0) all = operations;
    if (options.dryRun || operations.length === 0) break;
    t = process.hrtime.bigint();
    const replies = await ipvs.execute(operations);
    timings.sendMs += since(t);
    requests += operations.length;
    const failed = replies.filter((r) => r.error);
    if (failed.length === 0) break;
    const unknown = failed.every((r) => r.error instanceof NetlinkError && (r.error.errno === 105 /* ENOBUFS */ || r.error.errno === 110 /* ETIMEDOUT */));
    if (!unknown || attempt === 2) {
      const errors = failed.map((r) => r.error!);
      throw new HakitError('IPVS_APPLY', `${failed.length} of ${operations.length} changes failed; first: ${errors[0]!.message}`, { errors: errors.map((e) => ({ code: e.code, message: e.message, details: e.details })) }, { cause: errors[0] });
    }
  }
  return { operations: all, requests, counts: countOps(all), timings };
}
