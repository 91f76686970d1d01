/**
 * The rtnetlink messages VRRP needs, on the shared netlink core (lib/netlink): addresses
 * (RTM_NEWADDR / RTM_DELADDR with IFA_LABEL) and the macvlan that carries a virtual MAC
 * (RTM_NEWLINK / RTM_DELLINK). Layouts from linux/rtnetlink.h, linux/if_addr.h, linux/if_link.h.
 */
import { defineSchema, encodeAttributes, NetlinkSocket, protocols, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, type NetlinkRequest } from '../netlink';
import { HakitError } from '../errors';
import { nativeModule } from '../native';
import { addressBytes, familyOf } from './addr';

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const AF_INET = 2;
const AF_INET6 = 10;
const IFA_F_NODAD = 0x02;
const IFF_UP = 0x1;
const MACVLAN_MODE_PRIVATE = 1;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;

const addrSchema = defineSchema({
  address: { type: 1, kind: 'binary' },  // IFA_ADDRESS
  local: { type: 2, kind: 'binary' },    // IFA_LOCAL
  label: { type: 3, kind: 'string', maxLength: 15 },  // IFA_LABEL
  flags: { type: 8, kind: 'u32' },       // IFA_FLAGS
});

const macvlanData = defineSchema({ mode: { type: 1, kind: 'u32' } });  // IFLA_MACVLAN_MODE
const linkInfo = defineSchema({
  kind: { type: 1, kind: 'string' },     // IFLA_INFO_KIND
  data: { type: 2, kind: 'nested', schema: macvlanData },  // IFLA_INFO_DATA
});
const linkSchema = defineSchema({
  address: { type: 1, kind: 'binary' },  // IFLA_ADDRESS
  ifname: { type: 3, kind: 'string', maxLength: 15 },  // IFLA_IFNAME
  link: { type: 5, kind: 'u32' },        // IFLA_LINK
  linkinfo: { type: 18, kind: 'nested', schema: linkInfo },  // IFLA_LINKINFO
});

export interface AddressSpec {
  address: string;
  prefix: number;
  ifindex: number;
  label?: string;
}

function ifaddrmsg(family: number, prefix: number, scope: number, ifindex: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = family;
  b[1] = prefix;
  b[2] = 0;
  b[3] = scope;
  b.writeUInt32LE(ifindex, 4);
  return b;
}

function addressRequest(type: number, flags: number, a: AddressSpec): NetlinkRequest {
  const family = familyOf(a.address);
  const bytes = addressBytes(a.address);
  const linkLocal = family === 6 && bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80;
  const attrs = encodeAttributes(addrSchema, {
    address: bytes,
    ...(family === 4 ? { local: bytes } : {}),
    ...(a.label && family === 4 ? { label: a.label } : {}),
    ...(family === 6 ? { flags: IFA_F_NODAD } : {}),
  });
  const payload = Buffer.concat([ifaddrmsg(family === 4 ? AF_INET : AF_INET6, a.prefix, linkLocal ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE, a.ifindex), attrs]);
  return { type, flags, payload, describe: () => `${type === RTM_NEWADDR ? 'add' : 'delete'} address ${a.address}/${a.prefix} on ifindex ${a.ifindex}` };
}

function ifinfomsg(ifindex: number, flags: number, change: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = 0;  // AF_UNSPEC
  b.writeInt32LE(ifindex, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

/** rtnetlink client for VRRP: one NETLINK_ROUTE socket, requests acked one batch at a time. */
export class RouteClient {
  private socket: NetlinkSocket | undefined;

  private get sock(): NetlinkSocket {
    return (this.socket ??= new NetlinkSocket(protocols.route, { receiveBuffer: 256 * 1024, timeoutMs: 5000 }));
  }

  /** Opens the socket now, so the first failover does not pay for it. */
  open(): void {
    void this.sock;
  }

  /** Adds addresses; one already present is fine (NLM_F_REPLACE). */
  async addAddresses(list: AddressSpec[]): Promise<void> {
    if (list.length === 0) return;
    const replies = await this.sock.exchange(list.map((a) => addressRequest(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, a)));
    const failed = replies.find((r) => r.error);
    if (failed) throw failed.error;
  }

  /** Removes addresses; one already gone is fine. */
  async deleteAddresses(list: AddressSpec[]): Promise<void> {
    if (list.length === 0) return;
    const replies = await this.sock.exchange(list.map((a) => addressRequest(RTM_DELADDR, 0, a)));
    const failed = replies.find((r) => r.error && !/EADDRNOTAVAIL|ENOENT|ENODEV/.test(r.error.code));
    if (failed) throw failed.error;
  }

  /** Creates (or reuses) a macvlan `name` on `parent` with `mac`, and brings it up. */
  async createMacvlan(name: string, parentIndex: number, mac: Buffer): Promise<void> {
    const attrs = encodeAttributes(linkSchema, { ifname: name, link: parentIndex, address: mac, linkinfo: { kind: 'macvlan', data: { mode: MACVLAN_MODE_PRIVATE } } });
    const [reply] = await this.sock.exchange([{ type: RTM_NEWLINK, flags: NLM_F_CREATE | NLM_F_EXCL, payload: Buffer.concat([ifinfomsg(0, IFF_UP, IFF_UP), attrs]), describe: () => `create macvlan ${name}` }]);
    if (reply!.error && !/EEXIST/.test(reply!.error.code)) throw reply!.error;
    if (reply!.error) {
      const up = encodeAttributes(linkSchema, { ifname: name });
      await this.sock.request({ type: RTM_NEWLINK, flags: 0, payload: Buffer.concat([ifinfomsg(0, IFF_UP, IFF_UP), up]), describe: () => `set ${name} up` });
    }
  }

  async deleteLink(name: string): Promise<void> {
    const attrs = encodeAttributes(linkSchema, { ifname: name });
    const [reply] = await this.sock.exchange([{ type: RTM_DELLINK, flags: 0, payload: Buffer.concat([ifinfomsg(0, 0, 0), attrs]), describe: () => `delete link ${name}` }]);
    if (reply!.error && !/ENODEV/.test(reply!.error.code)) throw reply!.error;
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}

interface NativeRtnl {
  changeAddress(add: boolean, family: 4 | 6, ifindex: number, prefix: number, scope: number, address: Buffer, label?: string, nodad?: boolean): number;
  LinkMonitor: new (onEvents: (events: LinkEvent[], overflow: boolean) => void) => { close(): void };
}

export interface LinkEvent {
  ifindex: number;
  name: string;
  flags: number;
  removed: boolean;
}

let rtnlNative: NativeRtnl | undefined;
export function nativeRtnl(): NativeRtnl {
  return (rtnlNative ??= nativeModule<NativeRtnl>('vrrp_rtnl'));
}

const errnoNames: Record<number, string> = { 2: 'ENOENT', 17: 'EEXIST', 19: 'ENODEV', 22: 'EINVAL', 99: 'EADDRNOTAVAIL', 1: 'EPERM', 110: 'ETIMEDOUT' };

/**
 * The fast path a new master takes: one synchronous RTM_NEWADDR / RTM_DELADDR per address from
 * native/vrrp (well under a millisecond each), instead of the netlink core's worker round trip,
 * so the gratuitous ARP right after it goes out for an address that is already up.
 */
/** The fields native/vrrp takes for one address change (scope, label and nodad as changeAddressesSync sets them). */
export function nativeAddressChange(a: AddressSpec): { family: 4 | 6; ifindex: number; prefix: number; scope: number; address: Buffer; label?: string; nodad: boolean } {
  const family = familyOf(a.address);
  if (family === 0) throw new HakitError('VRRP_BAD_ADDRESS', `not an IP address: ${a.address}`);
  const address = addressBytes(a.address);
  const linkLocal = family === 6 && address[0] === 0xfe && (address[1]! & 0xc0) === 0x80;
  return { family, ifindex: a.ifindex, prefix: a.prefix, scope: linkLocal ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE, address, ...(family === 4 && a.label ? { label: a.label } : {}), nodad: family === 6 };
}

export function errnoName(errno: number): string {
  return errnoNames[errno] ?? `E${errno}`;
}

export function changeAddressesSync(op: 'add' | 'del', list: AddressSpec[]): void {
  const n = nativeRtnl();
  for (const a of list) {
    const family = familyOf(a.address);
    if (family === 0) throw new HakitError('VRRP_BAD_ADDRESS', `not an IP address: ${a.address}`);
    const bytes = addressBytes(a.address);
    const linkLocal = family === 6 && bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80;
    const rc = n.changeAddress(op === 'add', family, a.ifindex, a.prefix, linkLocal ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE, bytes, family === 4 ? a.label : undefined, family === 6);
    if (rc === 0) continue;
    const code = errnoNames[-rc] ?? `E${-rc}`;
    if (op === 'del' && (code === 'EADDRNOTAVAIL' || code === 'ENOENT' || code === 'ENODEV')) continue;
    throw new HakitError('VRRP_ADDRESS', `cannot ${op === 'add' ? 'add' : 'delete'} address ${a.address}/${a.prefix} on ifindex ${a.ifindex}: ${code}`, { errno: -rc, code, address: a.address });
  }
}
