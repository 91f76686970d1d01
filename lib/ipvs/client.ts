/**
 * The IPVS client: typed reads and writes of the kernel's virtual-server table over generic
 * netlink (family "IPVS", linux/ip_vs.h), many changes per exchange.
 */
import { HakitError } from '../errors';
import { Attributes, decodeAttributes } from '../netlink/attributes';
import { GENL_HEADER_LENGTH } from '../netlink/constants';
import { NetlinkError } from '../netlink/errors';
import { GenericNetlink } from '../netlink/genl';
import type { NetlinkMessage, NetlinkRequest } from '../netlink/message';
import { NetlinkSocket } from '../netlink/socket';
import type { Reply, SocketOptions } from '../netlink/socket';
import { protocols } from '../netlink/constants';
import {
  daemonAttrs,
  decodeDaemon,
  decodeDestination,
  decodeService,
  describeService,
  destAttrs,
  destKeyAttrs,
  keyOf,
  serviceAttrs,
  serviceFamily,
  serviceKeyAttrs,
} from './codec';
import { commands, commandSchema, IPVS_GENL_NAME, infoSchema } from './schema';
import type { Daemon, DaemonSpec, Destination, DestinationSpec, Info, Service, ServiceKey, ServiceSpec, Timeouts } from './types';
import { encodeOperations } from './batch';
import { apply as applyPlan, ApplyOptions, ApplyResult } from './apply';
import type { DesiredService } from './types';

type CommandAttrs = Attributes<typeof commandSchema>;
export type ServiceWithDestinations = Service & { destinations: Destination[] };

/** One change to make; a batch of them goes out in one exchange. */
export type Operation =
  | { op: 'add-service' | 'edit-service'; service: ServiceSpec }
  | { op: 'delete-service'; service: ServiceKey }
  | { op: 'add-destination' | 'edit-destination'; service: ServiceKey; destination: DestinationSpec }
  | { op: 'delete-destination'; service: ServiceKey; destination: { address: string; port: number } };

/** Sockets that read destinations in parallel: the kernel runs one dump per socket at a time. */
const PARALLEL_READERS = 4;
/** Operations per exchange in execute(). */
const EXECUTE_SLICE = 4096;

export class Ipvs {
  private readonly readers: NetlinkSocket[] = [];
  private constructor(
    private readonly genl: GenericNetlink,
    private readonly options: SocketOptions = {},
  ) {}

  /**
   * Opens a generic netlink socket and resolves the IPVS family. A kernel without IPVS (module
   * not loaded or not built) throws IPVS_NOT_LOADED.
   */
  static async open(options: SocketOptions = {}): Promise<Ipvs> {
    try {
      return new Ipvs(await GenericNetlink.open(IPVS_GENL_NAME, options), options);
    } catch (error) {
      if (error instanceof HakitError && error.code === 'NETLINK_FAMILY_NOT_FOUND') {
        throw new HakitError('IPVS_NOT_LOADED', 'IPVS is not available in this kernel: the generic netlink family "IPVS" does not exist (load it with `modprobe ip_vs`, or use a kernel built with CONFIG_IP_VS)', { family: IPVS_GENL_NAME }, { cause: error });
      }
      throw error;
    }
  }

  /** Netlink traffic so far: requests sent, sendmsg calls. */
  get stats(): { requests: number; sends: number; retriedBusy: number } {
    const total = { ...this.genl.socket.stats };
    for (const r of this.readers) {
      total.requests += r.stats.requests;
      total.sends += r.stats.sends;
      total.retriedBusy += r.stats.retriedBusy;
    }
    return total;
  }

  close(): void {
    this.genl.close();
    for (const r of this.readers.splice(0)) r.close();
  }

  private reader(index: number): NetlinkSocket {
    if (index === 0) return this.genl.socket;
    while (this.readers.length < index) this.readers.push(new NetlinkSocket(protocols.generic, this.options));
    return this.readers[index - 1]!;
  }

  /** The underlying netlink socket (for batching raw IPVS requests). */
  genlSocket(): NetlinkSocket {
    return this.genl.socket;
  }

  /** Builds one IPVS request (exposed for batching and for byte-level tests). */
  request(command: number, attrs: CommandAttrs, describe?: () => string): NetlinkRequest {
    return this.genl.requestWith(command, commandSchema, attrs, 0, describe);
  }

  private decode(message: NetlinkMessage): CommandAttrs {
    return decodeAttributes(commandSchema, message.payload, GENL_HEADER_LENGTH);
  }

  async info(): Promise<Info> {
    const [message] = await this.genl.socket.request(this.request(commands.GET_INFO, {}, () => 'IPVS GET_INFO'));
    const attrs = decodeAttributes(infoSchema, message!.payload, GENL_HEADER_LENGTH);
    const code = attrs.version ?? 0;
    return { versionCode: code, version: `${(code >> 16) & 0xff}.${(code >> 8) & 0xff}.${code & 0xff}`, connTableSize: attrs.connTabSize ?? 0 };
  }

  async services(): Promise<Service[]> {
    const messages = await this.genl.socket.dump(this.request(commands.GET_SERVICE, {}, () => 'IPVS GET_SERVICE (dump)'));
    return messages.map((m) => decodeService(this.decode(m).service ?? {}));
  }

  /** One service, or undefined when there is no such service. */
  async service(key: ServiceKey): Promise<Service | undefined> {
    try {
      const [message] = await this.genl.socket.request(this.request(commands.GET_SERVICE, { service: serviceKeyAttrs(key) }, () => `IPVS GET_SERVICE ${describeService(key)}`));
      return message ? decodeService(this.decode(message).service ?? {}) : undefined;
    } catch (error) {
      if (error instanceof NetlinkError && error.errno === 3 /* ESRCH */) return undefined;
      throw error;
    }
  }

  async destinations(key: ServiceKey): Promise<Destination[]> {
    const [list] = await this.destinationsOf([key]);
    return list!;
  }

  /** The destinations of many services, in one exchange. */
  async destinationsOf(keys: readonly ServiceKey[]): Promise<Destination[][]> {
    const requests = keys.map((key) => this.request(commands.GET_DEST, { service: serviceKeyAttrs(key) }, () => `IPVS GET_DEST ${describeService(key)}`));
    // Large tables are read over several sockets at once, in contiguous slices.
    const parts = requests.length < 256 ? 1 : PARALLEL_READERS;
    const size = Math.ceil(requests.length / parts);
    const slices = await Promise.all(Array.from({ length: parts }, (_, i) => this.reader(i).dumpMany(requests.slice(i * size, (i + 1) * size))));
    const dumps = slices.flat();
    return dumps.map((messages, i) => {
      const family = serviceFamily(keys[i]!);
      return messages.map((m) => decodeDestination(this.decode(m).dest ?? {}, family));
    });
  }

  /** The whole table: every service with its destinations. */
  async table(): Promise<ServiceWithDestinations[]> {
    const services = await this.services();
    const dests = await this.destinationsOf(services.map(keyOf));
    return services.map((service, i) => ({ ...service, destinations: dests[i]! }));
  }

  addService(spec: ServiceSpec): Promise<void> {
    return this.one({ op: 'add-service', service: spec });
  }
  editService(spec: ServiceSpec): Promise<void> {
    return this.one({ op: 'edit-service', service: spec });
  }
  deleteService(key: ServiceKey): Promise<void> {
    return this.one({ op: 'delete-service', service: key });
  }
  addDestination(service: ServiceKey, destination: DestinationSpec): Promise<void> {
    return this.one({ op: 'add-destination', service, destination });
  }
  editDestination(service: ServiceKey, destination: DestinationSpec): Promise<void> {
    return this.one({ op: 'edit-destination', service, destination });
  }
  deleteDestination(service: ServiceKey, destination: { address: string; port: number }): Promise<void> {
    return this.one({ op: 'delete-destination', service, destination });
  }

  /** Removes every service (and so every destination). */
  async flush(): Promise<void> {
    await this.genl.socket.request(this.request(commands.FLUSH, {}, () => 'IPVS FLUSH'));
  }

  /** Zeroes the counters of one service, or of all of them. */
  async zero(key?: ServiceKey): Promise<void> {
    const attrs: CommandAttrs = key ? { service: serviceKeyAttrs(key) } : {};
    await this.genl.socket.request(this.request(commands.ZERO, attrs, () => `IPVS ZERO${key ? ' ' + describeService(key) : ''}`));
  }

  async timeouts(): Promise<Timeouts> {
    const [message] = await this.genl.socket.request(this.request(commands.GET_CONFIG, {}, () => 'IPVS GET_CONFIG'));
    const attrs = this.decode(message!);
    return { tcp: attrs.timeoutTcp ?? 0, tcpFin: attrs.timeoutTcpFin ?? 0, udp: attrs.timeoutUdp ?? 0 };
  }

  /** Sets connection timeouts in seconds; 0 (or absent) leaves one unchanged, as the kernel does. */
  async setTimeouts(timeouts: Partial<Timeouts>): Promise<void> {
    const attrs: CommandAttrs = {};
    if (timeouts.tcp !== undefined) attrs.timeoutTcp = timeouts.tcp;
    if (timeouts.tcpFin !== undefined) attrs.timeoutTcpFin = timeouts.tcpFin;
    if (timeouts.udp !== undefined) attrs.timeoutUdp = timeouts.udp;
    await this.genl.socket.request(this.request(commands.SET_CONFIG, attrs, () => 'IPVS SET_CONFIG'));
  }

  async daemons(): Promise<Daemon[]> {
    const messages = await this.genl.socket.dump(this.request(commands.GET_DAEMON, {}, () => 'IPVS GET_DAEMON (dump)'));
    const out: Daemon[] = [];
    for (const m of messages) {
      const daemon = decodeDaemon(this.decode(m).daemon ?? {});
      if (daemon) out.push(daemon);
    }
    return out;
  }

  async startDaemon(spec: DaemonSpec): Promise<void> {
    await this.genl.socket.request(this.request(commands.NEW_DAEMON, { daemon: daemonAttrs(spec) }, () => `IPVS NEW_DAEMON ${spec.state}`));
  }

  async stopDaemon(state: 'master' | 'backup'): Promise<void> {
    await this.genl.socket.request(this.request(commands.DEL_DAEMON, { daemon: { state: state === 'master' ? 1 : 2 } }, () => `IPVS DEL_DAEMON ${state}`));
  }

  /** The netlink request of one operation. */
  operationRequest(operation: Operation): NetlinkRequest {
    const what = () => `IPVS ${operation.op} ${describeService(operation.service)}${'destination' in operation ? ` -> ${operation.destination.address}:${operation.destination.port}` : ''}`;
    switch (operation.op) {
      case 'add-service':
        return this.request(commands.NEW_SERVICE, { service: serviceAttrs(operation.service) }, what);
      case 'edit-service':
        return this.request(commands.SET_SERVICE, { service: serviceAttrs(operation.service) }, what);
      case 'delete-service':
        return this.request(commands.DEL_SERVICE, { service: serviceKeyAttrs(operation.service) }, what);
      case 'add-destination':
        return this.request(commands.NEW_DEST, { service: serviceKeyAttrs(operation.service), dest: destAttrs(operation.destination) }, what);
      case 'edit-destination':
        return this.request(commands.SET_DEST, { service: serviceKeyAttrs(operation.service), dest: destAttrs(operation.destination) }, what);
      case 'delete-destination':
        return this.request(commands.DEL_DEST, { service: serviceKeyAttrs(operation.service), dest: destKeyAttrs(operation.destination) }, what);
    }
  }

  /**
   * Runs many operations in one exchange (several per sendmsg, in order). Every operation is
   * attempted; the replies say which the kernel refused.
   */
  async execute(operations: readonly Operation[]): Promise<Reply[]> {
    // Exchanges of a few thousand requests: the encoded batch and its replies stay small. (A 9x
    // slowdown first blamed on one big exchange was IPVS's dest_trash after a flush: see
    // bench/ipvs/RESULTS.md; on a clean table these slices send 50,000 changes in 8.2 s.)
    const replies: Reply[] = [];
    for (let at = 0; at < operations.length || at === 0; at += EXECUTE_SLICE) {
      const slice = operations.length <= EXECUTE_SLICE ? operations : operations.slice(at, at + EXECUTE_SLICE);
      const part = await this.genl.socket.exchange(encodeOperations(slice, this.genl.family.id, this.genl.family.version));
      for (const reply of part) replies.push(reply);
      if (operations.length <= EXECUTE_SLICE) break;
    }
    return replies;
  }

  private async one(operation: Operation): Promise<void> {
    const [reply] = await this.execute([operation]);
    if (reply!.error) throw reply!.error;
  }

  /**
   * Makes the table equal to `desired`: reads it, computes the difference, and sends only the
   * changes, batched. Services not in `desired` are removed unless `prune: false`.
   */
  apply(desired: readonly DesiredService[], options: ApplyOptions = {}): Promise<ApplyResult> {
    return applyPlan(this, desired, options);
  }
}
