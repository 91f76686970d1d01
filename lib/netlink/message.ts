/** Netlink messages (struct nlmsghdr, linux/netlink.h): building, splitting, reading errors. */
import { HakitError } from '../errors';
import { decodeAttributes, defineSchema, MalformedError } from './attributes';
import { GENL_HEADER_LENGTH, HEADER_LENGTH, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS } from './constants';

export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** The bytes after the 16-byte header. */
  payload: Buffer;
}

/** A request before a sequence number is given to it. */
export interface NetlinkRequest {
  type: number;
  flags: number;
  /** The bytes after the header (for generic netlink: genlmsghdr + attributes). */
  payload: Uint8Array;
  /** Shown in errors: what this request was for (e.g. 'IPVS NEW_SERVICE tcp 10.0.0.1:80'). */
  describe?: () => string;
}

export function writeHeader(target: Buffer, at: number, length: number, type: number, flags: number, seq: number, pid = 0): void {
  target.writeUInt32LE(length, at);
  target.writeUInt16LE(type, at + 4);
  target.writeUInt16LE(flags, at + 6);
  target.writeUInt32LE(seq >>> 0, at + 8);
  target.writeUInt32LE(pid >>> 0, at + 12);
}

export function encodeMessage(type: number, flags: number, seq: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(HEADER_LENGTH + ((payload.length + 3) & ~3));
  writeHeader(out, 0, HEADER_LENGTH + payload.length, type, flags, seq);
  out.set(payload, HEADER_LENGTH);
  return out;
}

/** Splits back-to-back messages; throws NETLINK_MALFORMED on a bad header. */
export function splitMessages(bytes: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < HEADER_LENGTH) throw new MalformedError(`truncated message header at byte ${at}`, { offset: at });
    const length = bytes.readUInt32LE(at);
    if (length < HEADER_LENGTH || length > bytes.length - at) throw new MalformedError(`message at byte ${at}: length ${length} is ${length < HEADER_LENGTH ? 'below the header size' : 'past the end'}`, { offset: at });
    out.push({
      type: bytes.readUInt16LE(at + 4),
      flags: bytes.readUInt16LE(at + 6),
      seq: bytes.readUInt32LE(at + 8),
      pid: bytes.readUInt32LE(at + 12),
      payload: bytes.subarray(at + HEADER_LENGTH, at + length),
    });
    at += (length + 3) & ~3;
  }
  return out;
}

/** struct genlmsghdr + attributes: the payload of a generic netlink request. */
export function genlPayload(command: number, version: number, attributes: Uint8Array): Buffer {
  const out = Buffer.alloc(GENL_HEADER_LENGTH + attributes.length);
  out[0] = command;
  out[1] = version;
  out.set(attributes, GENL_HEADER_LENGTH);
  return out;
}

const extackSchema = defineSchema({
  message: { type: NLMSGERR_ATTR_MSG, kind: 'string' },
  offset: { type: NLMSGERR_ATTR_OFFS, kind: 'u32' },
});

export interface ErrorPayload {
  /** 0 for an ack, else a positive errno. */
  errno: number;
  /** The kernel's extended-ack message, when it gave one. */
  message?: string;
}

/** Reads struct nlmsgerr (and the extended-ack TLVs after it) from an NLMSG_ERROR message. */
export function readErrorPayload(message: NetlinkMessage): ErrorPayload {
  const p = message.payload;
  if (p.length < 4) throw new MalformedError('NLMSG_ERROR shorter than its error code', { offset: 0 });
  const errno = -p.readInt32LE(0);
  const result: ErrorPayload = { errno };
  if (message.flags & NLM_F_ACK_TLVS && p.length >= 4 + HEADER_LENGTH) {
    const original = p.readUInt32LE(4);
    let at = 4 + (message.flags & NLM_F_CAPPED ? HEADER_LENGTH : original);
    at = (at + 3) & ~3;
    if (at <= p.length) {
      try {
        const ext = decodeAttributes(extackSchema, p, at);
        if (ext.message) result.message = ext.message;
      } catch (error) {
        if (!(error instanceof HakitError)) throw error;
      }
    }
  }
  return result;
}
