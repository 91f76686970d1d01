/**
 * Generic netlink (linux/genetlink.h): families are found by name through nlctrl
 * (CTRL_CMD_GETFAMILY), and their commands carry a genlmsghdr then attributes.
 */
import { HakitError } from '../errors';
import { decodeAttributes, defineSchema, encodeAttributes } from './attributes';
import {
  CTRL_ATTR_FAMILY_ID,
  CTRL_ATTR_FAMILY_NAME,
  CTRL_ATTR_HDRSIZE,
  CTRL_ATTR_MAXATTR,
  CTRL_ATTR_MCAST_GROUPS,
  CTRL_ATTR_MCAST_GRP_ID,
  CTRL_ATTR_MCAST_GRP_NAME,
  CTRL_ATTR_VERSION,
  CTRL_CMD_GETFAMILY,
  GENL_HEADER_LENGTH,
  GENL_ID_CTRL,
  protocols,
} from './constants';
import { NetlinkError } from './errors';
import { genlPayload, NetlinkMessage, NetlinkRequest } from './message';
import { NetlinkSocket, SocketOptions } from './socket';

export const ctrlSchema = defineSchema({
  familyId: { type: CTRL_ATTR_FAMILY_ID, kind: 'u16' },
  familyName: { type: CTRL_ATTR_FAMILY_NAME, kind: 'string' },
  version: { type: CTRL_ATTR_VERSION, kind: 'u32' },
  headerSize: { type: CTRL_ATTR_HDRSIZE, kind: 'u32' },
  maxAttribute: { type: CTRL_ATTR_MAXATTR, kind: 'u32' },
});

const mcastGroupSchema = defineSchema({
  name: { type: CTRL_ATTR_MCAST_GRP_NAME, kind: 'string' },
  id: { type: CTRL_ATTR_MCAST_GRP_ID, kind: 'u32' },
});

export interface GenlFamily {
  id: number;
  name: string;
  version: number;
  headerSize: number;
  maxAttribute: number;
  multicastGroups: Record<string, number>;
}

/** The request that asks nlctrl about a family. */
export function getFamilyRequest(name: string): NetlinkRequest {
  return {
    type: GENL_ID_CTRL,
    flags: 0,
    payload: genlPayload(CTRL_CMD_GETFAMILY, 1, encodeAttributes(ctrlSchema, { familyName: name })),
    describe: () => `nlctrl GETFAMILY ${name}`,
  };
}

/** Decodes nlctrl's answer (a NEWFAMILY message). */
export function parseFamily(message: NetlinkMessage): GenlFamily {
  const attrs = decodeAttributes(ctrlSchema, message.payload, GENL_HEADER_LENGTH);
  const groups: Record<string, number> = {};
  // CTRL_ATTR_MCAST_GROUPS is an array: nested entries numbered 1..n, each a group.
  const p = message.payload;
  for (let at = GENL_HEADER_LENGTH; at + 4 <= p.length; ) {
    const length = p.readUInt16LE(at);
    if (length < 4) break;
    if ((p.readUInt16LE(at + 2) & 0x3fff) === CTRL_ATTR_MCAST_GROUPS) {
      for (let q = at + 4; q + 4 <= at + length; ) {
        const entryLength = p.readUInt16LE(q);
        if (entryLength < 4 || q + entryLength > at + length) break;
        const group = decodeAttributes(mcastGroupSchema, p, q + 4, q + entryLength);
        if (group.name !== undefined && group.id !== undefined) groups[group.name] = group.id;
        q += (entryLength + 3) & ~3;
      }
    }
    at += (length + 3) & ~3;
  }
  if (attrs.familyId === undefined || attrs.familyName === undefined) throw new HakitError('NETLINK_MALFORMED', 'nlctrl answered without a family id or name', {});
  return {
    id: attrs.familyId,
    name: attrs.familyName,
    version: attrs.version ?? 0,
    headerSize: attrs.headerSize ?? 0,
    maxAttribute: attrs.maxAttribute ?? 0,
    multicastGroups: groups,
  };
}

/** A generic netlink socket bound to one family. */
export class GenericNetlink {
  private constructor(
    readonly socket: NetlinkSocket,
    readonly family: GenlFamily,
  ) {}

  /**
   * Opens a NETLINK_GENERIC socket and resolves `name`. A family the kernel does not have
   * throws NETLINK_FAMILY_NOT_FOUND (nlctrl's ENOENT), which callers turn into their own code.
   */
  static async open(name: string, options: SocketOptions = {}): Promise<GenericNetlink> {
    const socket = new NetlinkSocket(protocols.generic, options);
    try {
      const family = await resolveFamily(socket, name);
      return new GenericNetlink(socket, family);
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  /** A request of this family: command, the family's version, attributes. */
  request(command: number, attributes: Uint8Array, flags = 0, describe?: () => string): NetlinkRequest {
    return { type: this.family.id, flags, payload: genlPayload(command, this.family.version, attributes), ...(describe ? { describe } : {}) };
  }

  close(): void {
    this.socket.close();
  }
}

export async function resolveFamily(socket: NetlinkSocket, name: string): Promise<GenlFamily> {
  try {
    const [message] = await socket.request(getFamilyRequest(name));
    if (!message) throw new HakitError('NETLINK_MALFORMED', `nlctrl sent no answer for family ${name}`);
    return parseFamily(message);
  } catch (error) {
    if (error instanceof NetlinkError && error.errno === 2) {
      throw new HakitError('NETLINK_FAMILY_NOT_FOUND', `the kernel has no generic netlink family '${name}'`, { family: name, errno: 2 }, { cause: error });
    }
    throw error;
  }
}
