/**
 * An NBD export of a Volume (the NBD protocol's fixed newstyle handshake, doc/proto.md of the
 * NBD project): NBD_OPT_EXPORT_NAME, NBD_OPT_GO/INFO (with NBD_INFO_EXPORT and
 * NBD_INFO_BLOCK_SIZE), NBD_OPT_LIST, NBD_OPT_ABORT; simple replies for READ, WRITE (with FUA),
 * FLUSH, TRIM, WRITE_ZEROES and DISC. Unaligned requests are served by read-modify-write.
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { HakitError } from '../errors';
import { silentLogger, type Logger } from '../log';
import type { Volume } from './volume';

const NBDMAGIC = 0x4e42444d41474943n;
const IHAVEOPT = 0x49484156454f5054n;
const REPLY_MAGIC = 0x3e889045565a9n;
const REQUEST_MAGIC = 0x25609513;
const SIMPLE_REPLY_MAGIC = 0x67446698;
const FLAG_FIXED_NEWSTYLE = 1, FLAG_NO_ZEROES = 2;
const OPT_EXPORT_NAME = 1, OPT_ABORT = 2, OPT_LIST = 3, OPT_INFO = 6, OPT_GO = 7;
const REP_ACK = 1, REP_SERVER = 2, REP_INFO = 3, REP_ERR_UNSUP = 0x80000001, REP_ERR_INVALID = 0x80000003, REP_ERR_UNKNOWN = 0x80000006;
const INFO_EXPORT = 0, INFO_BLOCK_SIZE = 3;
const T_HAS_FLAGS = 1, T_SEND_FLUSH = 4, T_SEND_FUA = 8, T_SEND_TRIM = 32, T_SEND_WRITE_ZEROES = 64;
const CMD_READ = 0, CMD_WRITE = 1, CMD_DISC = 2, CMD_FLUSH = 3, CMD_TRIM = 4, CMD_WRITE_ZEROES = 6;
const CMD_FLAG_FUA = 1;
const EPERM = 1, EIO = 5, EINVAL = 22, ENOSPC = 28;
const MAX_REQUEST = 32 << 20;
const SECTOR = 512;

export interface NbdServerOptions {
  /** Export name clients ask for ('' accepts the default export). */
  name: string;
  logger?: Logger;
}

/** Reads exactly n bytes at a time from a socket. */
class Reader {
  private chunks: Buffer[] = [];
  private have = 0;
  private wanted?: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void };
  private ended?: Error;
  constructor(socket: net.Socket) {
    socket.on('data', (chunk) => { this.chunks.push(chunk); this.have += chunk.length; this.pump(); });
    const end = () => { this.ended = new Error('connection closed'); this.pump(); };
    socket.on('end', end);
    socket.on('close', end);
  }
  read(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => { this.wanted = { n, resolve, reject }; this.pump(); });
  }
  private pump(): void {
    const w = this.wanted;
    if (!w) return;
    if (this.have >= w.n) {
      const all = Buffer.concat(this.chunks);
      this.chunks = [all.subarray(w.n)];
      this.have -= w.n;
      this.wanted = undefined;
      w.resolve(all.subarray(0, w.n));
    } else if (this.ended) {
      this.wanted = undefined;
      w.reject(this.ended);
    }
  }
}

export class NbdServer extends EventEmitter {
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  private log: Logger;

  constructor(private volume: Volume, private options: NbdServerOptions) {
    super();
    this.log = (options.logger ?? silentLogger).child({ nbd: options.name });
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      socket.setNoDelay(true);
      this.serve(socket).catch((error) => {
        this.log.debug('nbd client gone', { error });
        socket.destroy();
      });
    });
  }

  listen(port: number, host = '127.0.0.1'): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve(this.server.address() as net.AddressInfo));
    });
  }

  listenPath(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(path, () => resolve());
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async serve(socket: net.Socket): Promise<void> {
    const reader = new Reader(socket);
    const hello = Buffer.alloc(18);
    hello.writeBigUInt64BE(NBDMAGIC, 0);
    hello.writeBigUInt64BE(IHAVEOPT, 8);
    hello.writeUInt16BE(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES, 16);
    socket.write(hello);
    const clientFlags = (await reader.read(4)).readUInt32BE(0);
    const noZeroes = (clientFlags & FLAG_NO_ZEROES) !== 0;
    const size = BigInt(this.volume.sizeBytes);
    const tflags = T_HAS_FLAGS | T_SEND_FLUSH | T_SEND_FUA | T_SEND_TRIM | T_SEND_WRITE_ZEROES;
    const reply = (option: number, type: number, data = Buffer.alloc(0)) => {
      const head = Buffer.alloc(20);
      head.writeBigUInt64BE(REPLY_MAGIC, 0);
      head.writeUInt32BE(option, 8);
      head.writeUInt32BE(type >>> 0, 12);
      head.writeUInt32BE(data.length, 16);
      socket.write(Buffer.concat([head, data]));
    };
    for (;;) {
      const head = await reader.read(16);
      if (head.readBigUInt64BE(0) !== IHAVEOPT) throw new HakitError('NBD_PROTOCOL', 'bad option magic');
      const option = head.readUInt32BE(8);
      const length = head.readUInt32BE(12);
      if (length > 65536) throw new HakitError('NBD_PROTOCOL', 'option too long');
      const data = await reader.read(length);
      if (option === OPT_EXPORT_NAME) {
        if (!this.nameOk(data.toString('utf8'))) { socket.destroy(); return; }
        const out = Buffer.alloc(noZeroes ? 10 : 134);
        out.writeBigUInt64BE(size, 0);
        out.writeUInt16BE(tflags, 8);
        socket.write(out);
        break;
      }
      if (option === OPT_ABORT) { reply(option, REP_ACK); socket.end(); return; }
      if (option === OPT_LIST) {
        const name = Buffer.from(this.options.name);
        const body = Buffer.alloc(4 + name.length);
        body.writeUInt32BE(name.length, 0);
        name.copy(body, 4);
        reply(option, REP_SERVER, body);
        reply(option, REP_ACK);
        continue;
      }
      if (option === OPT_INFO || option === OPT_GO) {
        if (length < 6) { reply(option, REP_ERR_INVALID); continue; }
        const nameLength = data.readUInt32BE(0);
        if (4 + nameLength + 2 > length) { reply(option, REP_ERR_INVALID); continue; }
        if (!this.nameOk(data.subarray(4, 4 + nameLength).toString('utf8'))) { reply(option, REP_ERR_UNKNOWN); continue; }
        const info = Buffer.alloc(12);
        info.writeUInt16BE(INFO_EXPORT, 0);
        info.writeBigUInt64BE(size, 2);
        info.writeUInt16BE(tflags, 10);
        reply(option, REP_INFO, info);
        const block = Buffer.alloc(14);
        block.writeUInt16BE(INFO_BLOCK_SIZE, 0);
        block.writeUInt32BE(SECTOR, 2);
        block.writeUInt32BE(4096, 6);
        block.writeUInt32BE(MAX_REQUEST, 10);
        reply(option, REP_INFO, block);
        reply(option, REP_ACK);
        if (option === OPT_GO) break;
        continue;
      }
      reply(option, REP_ERR_UNSUP);
    }
    this.log.info('nbd client attached');
    await this.transmission(socket, reader);
  }

  private nameOk(name: string): boolean {
    return name === '' || name === this.options.name;
  }

  private async transmission(socket: net.Socket, reader: Reader): Promise<void> {
    let chain: Promise<void> = Promise.resolve();
    for (;;) {
      const head = await reader.read(28);
      if (head.readUInt32BE(0) !== REQUEST_MAGIC) throw new HakitError('NBD_PROTOCOL', 'bad request magic');
      const flags = head.readUInt16BE(4);
      const type = head.readUInt16BE(6);
      const handle = head.subarray(8, 16);
      const offset = Number(head.readBigUInt64BE(16));
      const length = head.readUInt32BE(24);
      if (type === CMD_DISC) { await chain; socket.end(); return; }
      if (length > MAX_REQUEST) throw new HakitError('NBD_PROTOCOL', 'request too large');
      const payload = type === CMD_WRITE ? await reader.read(length) : undefined;
      const respond = (error: number, data?: Buffer) => {
        const out = Buffer.alloc(16);
        out.writeUInt32BE(SIMPLE_REPLY_MAGIC, 0);
        out.writeUInt32BE(error, 4);
        handle.copy(out, 8);
        socket.write(data && error === 0 ? Buffer.concat([out, data]) : out);
      };
      const run = async () => {
        try {
          if (offset + length > this.volume.sizeBytes) return respond(type === CMD_WRITE || type === CMD_WRITE_ZEROES ? ENOSPC : EINVAL);
          switch (type) {
            case CMD_READ: return respond(0, await this.readAny(offset, length));
            case CMD_WRITE: await this.writeAny(offset, payload!); break;
            case CMD_WRITE_ZEROES: await this.writeAny(offset, Buffer.alloc(length)); break;
            case CMD_TRIM: await this.trimAligned(offset, length); break;
            case CMD_FLUSH: await this.volume.flush(); break;
            default: return respond(EINVAL);
          }
          if (flags & CMD_FLAG_FUA) await this.volume.flush();
          respond(0);
        } catch (error) {
          const code = (error as { code?: string }).code;
          respond(code === 'DRBD_NOT_PRIMARY' ? EPERM : code === 'ERR_INVALID_ARG' ? EINVAL : EIO);
        }
      };
      // Aligned reads and writes run concurrently; anything needing read-modify-write is ordered.
      const aligned = offset % SECTOR === 0 && length % SECTOR === 0;
      if (aligned && type !== CMD_FLUSH) void run();
      else { chain = chain.then(run); await chain; }
    }
  }

  private async readAny(offset: number, length: number): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    const start = Math.floor(offset / SECTOR) * SECTOR;
    const end = Math.ceil((offset + length) / SECTOR) * SECTOR;
    const data = await this.volume.read(start, end - start);
    return data.subarray(offset - start, offset - start + length);
  }

  private async writeAny(offset: number, data: Buffer): Promise<void> {
    if (data.length === 0) return;
    const start = Math.floor(offset / SECTOR) * SECTOR;
    const end = Math.ceil((offset + data.length) / SECTOR) * SECTOR;
    if (start === offset && end === offset + data.length) return this.volume.write(offset, data);
    const merged = await this.volume.read(start, end - start);
    data.copy(merged, offset - start);
    await this.volume.write(start, merged);
  }

  private async trimAligned(offset: number, length: number): Promise<void> {
    // Trim is advisory: only whole sectors inside the range are discarded.
    const start = Math.ceil(offset / SECTOR) * SECTOR;
    const end = Math.floor((offset + length) / SECTOR) * SECTOR;
    if (end > start) await this.volume.trim(start, end - start);
  }
}
