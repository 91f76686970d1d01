/**
 * A netlink socket of any protocol (NETLINK_ROUTE, NETLINK_GENERIC, ...) whose exchanges run
 * off the JS thread: requests are numbered, sent in batches (many per sendmsg), and every
 * reply is routed back to its request. Dumps that the kernel marks interrupted
 * (NLM_F_DUMP_INTR) are retried; errors become NetlinkError (`NETLINK_EEXIST`, ...).
 */
import { ArgumentError, check, HakitError } from '../errors';
import { nativeModule } from '../native';
import { HEADER_LENGTH, NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN } from './constants';
import { errnoName, NetlinkError, RequestSummary } from './errors';
import { NetlinkMessage, NetlinkRequest, readErrorPayload, splitMessages, writeHeader } from './message';

interface NativeSocket {
  readonly portId: number;
  transact(bytes: Uint8Array, windowBytes: number, timeoutMs: number, maxDumps: number, ackPerWindow: boolean): Promise<{ replies: Buffer; errno: number; syscall: string; sends: number; retriedBusy: number; implicitAcks: Uint32Array }>;
  close(): void;
}
interface NativeNetlink {
  Socket: new (protocol: number, receiveBuffer: number) => NativeSocket;
}

export interface SocketOptions {
  /** SO_RCVBUF(FORCE) in bytes; large dumps and big batches want room (default 4 MiB). */
  receiveBuffer?: number;
  /** Bytes of requests per sendmsg; their acks must fit the receive buffer (default 64 KiB). */
  windowBytes?: number;
  /** Dumps per window (default 1): the kernel runs one dump per socket at a time and refuses
   * the others with EBUSY, so more only helps when the dumps are empty. */
  dumpsPerWindow?: number;
  /** Gives up an exchange with NETLINK_ETIMEDOUT when the kernel stays silent this long (default 30 s). */
  timeoutMs?: number;
  /** Times an interrupted dump is tried again before NETLINK_DUMP_INTR (default 5). */
  dumpRetries?: number;
  /** Ask the kernel to ack every request (true), or only the last of each window (default
   * false): the kernel handles one sendmsg's messages in order and answers a failed request
   * even without NLM_F_ACK, so the window's last ack proves the others succeeded. The Replies
   * are the same either way; one ack per window saves a reply and a recvmsg per request. */
  ackEveryRequest?: boolean;
}

/** The outcome of one request of a batch. */
export interface Reply {
  request: NetlinkRequest;
  seq: number;
  /** Data messages (dump entries, or the answer of a get). */
  messages: NetlinkMessage[];
  /** Set when the kernel refused the request (or the batch failed before it finished). */
  error?: HakitError;
  /** The dump came with NLM_F_DUMP_INTR: its content may be inconsistent. */
  interrupted?: boolean;
}

export interface ExchangeStats {
  requests: number;
  sends: number;
  retriedBusy: number;
}

export class NetlinkSocket {
  readonly protocol: number;
  private readonly handle: NativeSocket;
  private seq: number;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly windowBytes: number;
  private readonly timeoutMs: number;
  private readonly dumpRetries: number;
  private readonly dumpsPerWindow: number;
  private readonly ackPerWindow: boolean;
  /** Totals since the socket was opened: requests sent, sendmsg calls, EBUSY dump retries. */
  readonly stats: ExchangeStats = { requests: 0, sends: 0, retriedBusy: 0 };

  constructor(protocol: number, options: SocketOptions = {}) {
    this.protocol = check.integer('protocol', protocol, 0, 31);
    const receiveBuffer = check.integer('receiveBuffer', options.receiveBuffer ?? 4 * 1024 * 1024, 0, 1 << 30);
    this.windowBytes = check.integer('windowBytes', options.windowBytes ?? 64 * 1024, 64, 64 * 1024 * 1024);
    this.timeoutMs = check.integer('timeoutMs', options.timeoutMs ?? 30_000, 1, 24 * 3600 * 1000);
    this.dumpRetries = check.integer('dumpRetries', options.dumpRetries ?? 5, 0, 1000);
    this.dumpsPerWindow = check.integer('dumpsPerWindow', options.dumpsPerWindow ?? 1, 1, 1 << 20);
    const ackEvery = options.ackEveryRequest ?? false;
    if (typeof ackEvery !== 'boolean') throw new ArgumentError('ackEveryRequest must be a boolean', { argument: 'ackEveryRequest' });
    this.ackPerWindow = !ackEvery;
    const { Socket } = nativeModule<NativeNetlink>('netlink');
    try {
      this.handle = new Socket(protocol, receiveBuffer);
    } catch (cause) {
      const errno = (cause as { errno?: number }).errno ?? 0;
      throw new HakitError(`NETLINK_${errnoName(errno)}`, `cannot open a netlink socket (protocol ${protocol}): ${(cause as Error).message}`, { errno, protocol }, { cause });
    }
    this.seq = (Math.random() * 0x7fffffff) >>> 0;
  }

  get portId(): number {
    return this.handle.portId;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
  }

  /**
   * Sends the requests (several per sendmsg) and resolves with one Reply each, in order. A
   * refused request does not stop the others: its Reply carries the error. Requests get
   * NLM_F_REQUEST, and NLM_F_ACK unless they are dumps.
   */
  exchange(requests: readonly NetlinkRequest[]): Promise<Reply[]> {
    const run = this.queue.then(() => this.run(requests));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** One request that must succeed: its data messages, or a thrown NetlinkError. */
  async request(request: NetlinkRequest): Promise<NetlinkMessage[]> {
    const [reply] = await this.exchange([request]);
    if (reply!.error) throw reply!.error;
    return reply!.messages;
  }

  /** A dump (NLM_F_DUMP is added), retried when the kernel says it was interrupted. */
  async dump(request: NetlinkRequest): Promise<NetlinkMessage[]> {
    const [messages] = await this.dumpMany([request]);
    return messages!;
  }

  /** Several dumps in one exchange; each retried alone if interrupted. */
  async dumpMany(requests: readonly NetlinkRequest[]): Promise<NetlinkMessage[][]> {
    const asDumps = requests.map((r) => ({ ...r, flags: r.flags | NLM_F_DUMP }));
    const replies = await this.exchange(asDumps);
    const out: NetlinkMessage[][] = [];
    for (const reply of replies) {
      let current = reply;
      for (let attempt = 0; current.interrupted && !current.error && attempt < this.dumpRetries; attempt++) {
        [current] = await this.exchange([reply.request]);
      }
      if (current.error) throw current.error;
      if (current.interrupted) {
        throw new HakitError('NETLINK_DUMP_INTR', `${describe(reply.request, reply.seq).what}: the dump was interrupted by concurrent changes ${this.dumpRetries + 1} times`, { request: describe(reply.request, reply.seq) });
      }
      out.push(current.messages);
    }
    return out;
  }

  private async run(requests: readonly NetlinkRequest[]): Promise<Reply[]> {
    if (this.closed) throw new HakitError('NETLINK_CLOSED', 'the netlink socket is closed');
    if (requests.length === 0) return [];
    let total = 0;
    for (const r of requests) {
      check.integer('request type', r.type, 0, 0xffff);
      check.integer('request flags', r.flags, 0, 0xffff);
      check.bytes('request payload', r.payload);
      total += HEADER_LENGTH + ((r.payload.length + 3) & ~3);
    }
    if (requests.length > 0x7fffffff) throw new ArgumentError('too many requests');
    const bytes = Buffer.allocUnsafe(total);
    const replies: Reply[] = new Array(requests.length);
    // seqs are consecutive: a reply's request is at (seq - first) mod 2^32
    const first = (this.seq + 1) >>> 0;
    let at = 0;
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i]!;
      const seq = (this.seq = (this.seq + 1) >>> 0);
      let flags = request.flags | NLM_F_REQUEST;
      if ((flags & NLM_F_DUMP) !== NLM_F_DUMP) flags |= NLM_F_ACK;
      const length = request.payload.length;
      writeHeader(bytes, at, HEADER_LENGTH + length, request.type, flags, seq, 0);
      bytes.set(request.payload, at + HEADER_LENGTH);
      const padded = (length + 3) & ~3;
      if (padded !== length) bytes.fill(0, at + HEADER_LENGTH + length, at + HEADER_LENGTH + padded);
      at += HEADER_LENGTH + padded;
      replies[i] = { request, seq, messages: [] };
    }
    const result = await this.handle.transact(bytes, this.windowBytes, this.timeoutMs, this.dumpsPerWindow, this.ackPerWindow);
    this.stats.requests += requests.length;
    this.stats.sends += result.sends;
    this.stats.retriedBusy += result.retriedBusy;
    const count = requests.length;
    const finished = result.errno !== 0 ? new Uint8Array(count) : undefined;
    const replyOf = (seq: number): Reply | undefined => {
      const index = (seq - first) >>> 0;
      return index < count ? replies[index] : undefined;
    };
    for (const message of splitMessages(result.replies)) {
      const reply = replyOf(message.seq);
      if (!reply) continue;
      if (message.flags & NLM_F_DUMP_INTR) reply.interrupted = true;
      if (message.type === NLMSG_ERROR) {
        const { errno, message: text } = readErrorPayload(message);
        if (errno !== 0) reply.error = new NetlinkError(errno, describe(reply.request, reply.seq), text);
        if (finished) finished[(message.seq - first) >>> 0] = 1;
      } else if (message.type === NLMSG_DONE) {
        const errno = message.payload.length >= 4 ? -message.payload.readInt32LE(0) : 0;
        if (errno !== 0) reply.error = new NetlinkError(errno, describe(reply.request, reply.seq));
        if (finished) finished[(message.seq - first) >>> 0] = 1;
      } else if (message.type !== NLMSG_NOOP && message.type !== NLMSG_OVERRUN) {
        reply.messages.push(message);
      }
    }
    if (finished) {
      // The exchange stopped early (ENOBUFS: replies lost; a timeout): requests without a final
      // answer (an ack, or a later ack of their window) are in an unknown state, and say so.
      for (const seq of result.implicitAcks) {
        const index = (seq - first) >>> 0;
        if (index < count) finished[index] = 1;
      }
      const error = new NetlinkError(result.errno, undefined, undefined, `netlink exchange (${result.syscall})`);
      for (let i = 0; i < count; i++) if (!finished[i] && !replies[i]!.error) replies[i]!.error = error;
    }
    return replies;
  }
}

export function describe(request: NetlinkRequest, seq: number): RequestSummary {
  return { type: request.type, flags: request.flags, seq, ...(request.describe ? { what: request.describe() } : {}) };
}
