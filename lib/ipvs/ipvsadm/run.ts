/**
 * Runs parsed ipvsadm commands against the kernel through the netlink client. Restore (-R)
 * sends all of its lines' changes in one batched exchange; everything else is one request.
 */
import fs from 'node:fs';
import { HakitError } from '../../errors';
import { NetlinkError } from '../../netlink/errors';
import type { NetlinkRequest } from '../../netlink/message';
import { Ipvs } from '../client';
import { daemonAttrs, describeService, destAttrs, destKeyAttrs, serviceAttrs, serviceKeyAttrs } from '../codec';
import { commands } from '../schema';
import type { ServiceKey, ServiceSpec } from '../types';
import { FMT, listAll, listDaemons, listService, listTimeouts, Names, numericNames } from './format';
import { listConnections } from './connections';
import { systemNames } from './names';
import { Entry, IpvsadmExit, parseCommand, splitLine, TRY_HELP } from './parse';
import { HELP, VERSION } from './help';

export interface IpvsadmIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads all of standard input (for -R). */
  stdin(): Promise<string>;
}

type Kind = 'add' | 'edit' | 'delete' | 'zero' | 'add-server' | 'edit-server' | 'delete-server' | 'start-daemon' | 'stop-daemon' | 'flush' | 'set';

// ipvs_strerror() of libipvs: the message depends on the call and the errno.
const messages: Partial<Record<Kind, Record<number, string>>> = {
  add: { 17: 'Service already exists', 2: 'Scheduler or persistence engine not found' },
  edit: { 3: 'No such service', 2: 'Scheduler or persistence engine not found' },
  delete: { 3: 'No such service' },
  zero: { 3: 'No such service' },
  'add-server': { 3: 'Service not defined', 17: 'Destination already exists' },
  'edit-server': { 3: 'Service not defined', 2: 'No such destination' },
  'delete-server': { 3: 'Service not defined', 2: 'No such destination' },
  'start-daemon': { 17: 'Daemon has already run' },
  'stop-daemon': { 3: 'No daemon is running' },
};
const generic: Record<number, string> = {
  1: 'Permission denied (you must be root)',
  22: 'Invalid operation.  Possibly wrong module version, address not unicast, ...',
  92: 'Protocol not available',
  12: 'Memory allocation problem',
  95: 'Operation not supported with IPv6',
  97: 'Operation not supported with specified address family',
  90: 'Module is wrong version',
};

export function ipvsStrerror(kind: Kind | undefined, error: unknown): string {
  if (error instanceof NetlinkError) {
    const errno = error.errno;
    return (kind && messages[kind]?.[errno]) ?? generic[errno] ?? error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

function serviceKey(entry: Entry): ServiceKey {
  const s = entry.svc;
  return s.fwmark ? { fwmark: s.fwmark, family: s.af } : { protocol: s.protocol, address: s.address!, port: s.port };
}

function serviceSpec(entry: Entry): ServiceSpec {
  const s = entry.svc;
  const spec: ServiceSpec = { ...serviceKey(entry), scheduler: s.scheduler, netmask: s.netmask, onePacket: s.onePacket };
  if (s.persistent) spec.persistent = s.timeout;
  const flags: ('flag-1' | 'flag-2' | 'flag-3')[] = [];
  if (s.schedFlags & 0x8) flags.push('flag-1');
  if (s.schedFlags & 0x10) flags.push('flag-2');
  if (s.schedFlags & 0x20) flags.push('flag-3');
  spec.schedFlags = flags;
  if (s.pe) spec.pe = s.pe;
  return spec;
}

/** The netlink request of a changing command, or undefined for listings. */
export function entryRequest(ipvs: Ipvs, entry: Entry): NetlinkRequest | undefined {
  const what = () => `ipvsadm ${entry.cmd}`;
  const d = entry.dest;
  const dest = () => ({ address: d.address!, port: d.port });
  switch (entry.cmd) {
    case 'add':
      return ipvs.request(commands.NEW_SERVICE, { service: serviceAttrs(serviceSpec(entry)) }, what);
    case 'edit':
      return ipvs.request(commands.SET_SERVICE, { service: serviceAttrs(serviceSpec(entry)) }, what);
    case 'delete':
      return ipvs.request(commands.DEL_SERVICE, { service: serviceKeyAttrs(serviceKey(entry)) }, what);
    case 'flush':
      return ipvs.request(commands.FLUSH, {}, what);
    case 'zero':
      return ipvs.request(commands.ZERO, entry.options.has('service-address') ? { service: serviceKeyAttrs(serviceKey(entry)) } : {}, what);
    case 'add-server':
    case 'edit-server': {
      // no object spread here: it is slow in V8 and -R runs this 40,000 times
      const attrs = destAttrs({ address: d.address!, port: d.port, forward: d.forward, weight: d.weight, upperThreshold: d.upper, lowerThreshold: d.lower, tunnel: { type: d.tunType, port: d.tunPort, checksum: d.tunFlags } });
      return ipvs.request(entry.cmd === 'add-server' ? commands.NEW_DEST : commands.SET_DEST, { service: serviceKeyAttrs(serviceKey(entry)), dest: attrs }, what);
    }
    case 'delete-server':
      return ipvs.request(commands.DEL_DEST, { service: serviceKeyAttrs(serviceKey(entry)), dest: destKeyAttrs(dest()) }, what);
    case 'set':
      return ipvs.request(commands.SET_CONFIG, { timeoutTcp: entry.timeouts!.tcp, timeoutTcpFin: entry.timeouts!.tcpFin, timeoutUdp: entry.timeouts!.udp }, what);
    case 'start-daemon': {
      const m = entry.daemon;
      return ipvs.request(commands.NEW_DAEMON, { daemon: daemonAttrs({ state: m.state!, interface: m.interface, syncId: m.syncId, ...(m.maxLength ? { maxLength: m.maxLength } : {}), ...(m.group ? { group: m.group } : {}), ...(m.port ? { port: m.port } : {}), ...(m.ttl ? { ttl: m.ttl } : {}) }) }, what);
    }
    case 'stop-daemon':
      return ipvs.request(commands.DEL_DAEMON, { daemon: { state: entry.daemon.state === 'master' ? 1 : 2 } }, what);
    default:
      return undefined;
  }
}

async function namesFor(entry: Entry, addresses: string[]): Promise<Names> {
  return entry.format & FMT.NUMERIC ? numericNames : systemNames(addresses);
}

/** A listing command (-L, -S and their options). Returns the exit status. */
async function list(ipvs: Ipvs, entry: Entry, io: IpvsadmIO): Promise<number> {
  if (entry.cmd === 'save') {
    const table = await ipvs.table();
    const names = await namesFor(entry, table.flatMap((s) => [...(s.address ? [s.address] : []), ...s.destinations.map((d) => d.address)]));
    io.stdout(listAll(await ipvs.info(), table, entry.format | FMT.RULE, names));
    return 0;
  }
  if (entry.options.has('connection')) {
    io.stdout(await listConnections(entry.format, fs.readFileSync('/proc/net/ip_vs_conn', 'utf8'), (a) => namesFor(entry, a)));
    return 0;
  }
  if (entry.options.has('service-address')) {
    const key = serviceKey(entry);
    const service = await ipvs.service(key);
    if (!service) {
      io.stderr('No such service\n');
      return 1;
    }
    const service2 = { ...service, destinations: await ipvs.destinations(key) };
    const names = await namesFor(entry, [...(service.address ? [service.address] : []), ...service2.destinations.map((d) => d.address)]);
    io.stdout(listService(service2, entry.format, names));
    return 0;
  }
  if (entry.options.has('timeout')) {
    io.stdout(listTimeouts(await ipvs.timeouts()));
    return 0;
  }
  if (entry.options.has('daemon')) {
    io.stdout(listDaemons(await ipvs.daemons()));
    return 0;
  }
  const [info, table] = [await ipvs.info(), await ipvs.table()];
  const names = await namesFor(entry, table.flatMap((s) => [...(s.address ? [s.address] : []), ...s.destinations.map((d) => d.address)]));
  io.stdout(listAll(info, table, entry.format, names));
  return 0;
}

/** Sends a batch of changes in one exchange; prints ipvsadm's message for each refusal. */
async function sendBatch(ipvs: Ipvs, batch: Array<{ entry: Entry; request: NetlinkRequest }>, io: IpvsadmIO): Promise<boolean> {
  if (batch.length === 0) return true;
  const replies = await ipvs.genlSocket().exchange(batch.map((b) => b.request));
  let ok = true;
  replies.forEach((reply, i) => {
    if (!reply.error) return;
    ok = false;
    io.stderr(ipvsStrerror(batch[i]!.entry.cmd as Kind, reply.error) + '\n');
  });
  return ok;
}

async function restore(ipvs: Ipvs, io: IpvsadmIO): Promise<number> {
  const text = await io.stdin();
  let batch: Array<{ entry: Entry; request: NetlinkRequest }> = [];
  for (const line of text.split('\n')) {
    const argv = splitLine(line);
    if (argv.length === 0 || argv[0]!.startsWith('#')) continue;
    let entry: Entry;
    try {
      entry = await parseCommand(argv);
      if (entry.cmd === 'restore' || entry.cmd === 'save' || entry.cmd === 'help' || entry.cmd === 'version') throw new IpvsadmExit(2, `${entry.cmd} is not allowed in restore input\n`);
    } catch (error) {
      // ipvsadm exits at the first bad line; what came before it is applied.
      await sendBatch(ipvs, batch, io);
      if (error instanceof IpvsadmExit) {
        io.stderr(error.message);
        return error.status;
      }
      throw error;
    }
    const request = entryRequest(ipvs, entry);
    if (request) batch.push({ entry, request });
    else {
      await sendBatch(ipvs, batch, io);
      batch = [];
      await list(ipvs, entry, io);
    }
  }
  await sendBatch(ipvs, batch, io);
  return 0;
}

/** `ipvsadm ARGS...`: returns the exit status ipvsadm would. */
export async function ipvsadm(argv: readonly string[], io: IpvsadmIO): Promise<number> {
  let entry: Entry;
  try {
    entry = argv.length === 0 ? await parseCommand(['-L']) : await parseCommand(argv);
  } catch (error) {
    if (error instanceof IpvsadmExit) {
      (error.stream === 'stdout' ? io.stdout : io.stderr)(error.message);
      return error.status;
    }
    throw error;
  }
  if (entry.cmd === 'help') {
    io.stdout(HELP);
    return 0;
  }
  if (entry.cmd === 'version') {
    io.stdout(VERSION);
    return 0;
  }
  let ipvs: Ipvs;
  try {
    ipvs = await Ipvs.open();
  } catch (error) {
    if (error instanceof HakitError && error.code === 'IPVS_NOT_LOADED') {
      io.stderr("Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n");
      return 2;
    }
    throw error;
  }
  try {
    if (entry.cmd === 'restore') return await restore(ipvs, io);
    const request = entryRequest(ipvs, entry);
    if (!request) return await list(ipvs, entry, io);
    const ok = await sendBatch(ipvs, [{ entry, request }], io);
    return ok ? 0 : 255;
  } catch (error) {
    if (error instanceof NetlinkError) {
      io.stderr(ipvsStrerror(undefined, error) + '\n');
      return 1;
    }
    throw error;
  } finally {
    ipvs.close();
  }
}

export { TRY_HELP, describeService };
