/**
 * A replicated volume: one node of a two-node DRBD-style resource. The native engine moves the
 * data (disk, link, bitmap, activity log) on its own I/O thread; this class owns the policy:
 * roles, disk and connection states, generation identifiers, the handshake decision, resync
 * bookkeeping and the events. Every state change is an event ('change', plus one named event
 * per field: 'role', 'disk', 'connection', 'replication', 'peer-role', 'peer-disk').
 */
import { EventEmitter } from 'node:events';
import { HakitError, ArgumentError, check } from '../errors';
import { silentLogger, type Logger } from '../log';
import { nativeModule } from '../native';
import { decide, decodeReport, encodeReport, type Decision, type Report } from './handshake';
import { engineConfig, validate } from './options';
import { MAX_IO, OP_FLUSH, OP_TRIM, OP_WRITE, Requests } from './requests';
import type { ConnectionState, DiskState, DrbdNative, NativeEngine, NativeEvent, ReplicationState, Role, Status, VolumeOptions } from './types';
import { FLAG_CONSISTENT, FLAG_OUTDATED, FLAG_PRIMARY_IND, FLAG_WAS_UP_TO_DATE, UUID_JUST_CREATED, layoutFor, newUuid, readSuperblock, writeSuperblock, type Layout, type Superblock } from './meta';

export type { Address, ConnectionState, DiskOptions, DiskState, NetOptions, Protocol, ReplicationState, Role, Status, VolumeOptions } from './types';

const hex = (u: bigint) => u.toString(16).toUpperCase().padStart(16, '0');

export class Volume extends EventEmitter {
  readonly options: VolumeOptions;
  private engine!: NativeEngine;
  private layout?: Layout;
  private sb?: Superblock;
  private size = 0;
  private log: Logger;
  private requests!: Requests;
  private state: { role: Role; disk: DiskState; connection: ConnectionState; replication: ReplicationState; peerRole: Role; peerDisk: DiskState };
  private peerReport?: Report;
  /** The report the peer decides on: our own decision must use exactly the same one. */
  private sentReport?: Report;
  private connectWanted = false;
  private discardMyData = false;
  private suspended = false;
  private crashedPrimary = false;
  private syncFull = false;
  private resync?: { done: number; total: number };
  private metaChain: Promise<void> = Promise.resolve();
  private closed = false;
  private verifyWaiters: Array<{ resolve: (n: number) => void; reject: (e: Error) => void }> = [];

  private constructor(options: VolumeOptions) {
    super();
    this.options = options;
    this.log = (options.logger ?? silentLogger).child({ resource: options.resource, node: options.node });
    this.state = { role: 'Secondary', disk: options.disk ? 'Attaching' : 'Diskless', connection: 'StandAlone', replication: 'Off', peerRole: 'Unknown', peerDisk: 'DUnknown' };
  }

  /** Attaches the backing disk (its meta-data must exist: createMetadata) and starts the engine. */
  static async open(options: VolumeOptions): Promise<Volume> {
    validate(options);
    const volume = new Volume(options);
    await volume.attach();
    return volume;
  }

  private async attach(): Promise<void> {
    const o = this.options;
    const net = o.net ?? {};
    if (o.disk) {
      this.layout = await layoutFor(o.disk, o.metaDisk ?? 'internal');
      const sb = await readSuperblock(this.layout);
      if (!sb) throw new HakitError('DRBD_NO_METADATA', `no valid meta-data on ${this.layout.metaPath} (run create-md first)`, { path: this.layout.metaPath });
      if (sb.dataSize !== this.layout.dataSize) throw new HakitError('DRBD_SIZE_CHANGED', `the backing file's size changed (meta-data says ${sb.dataSize} bytes, the layout gives ${this.layout.dataSize}); run resize`, { metaSize: sb.dataSize, layoutSize: this.layout.dataSize });
      this.sb = sb;
      this.size = sb.dataSize;
      this.crashedPrimary = (sb.flags & FLAG_PRIMARY_IND) !== 0;
    }
    const config = engineConfig(o, this.layout, this.sb, this.size);
    const { Engine } = nativeModule<DrbdNative>('drbd');
    try {
      this.engine = new Engine(config, (events) => this.onEvents(events));
    } catch (cause) {
      throw new HakitError('DRBD_ATTACH', `cannot start the data path: ${(cause as Error).message}`, { resource: o.resource }, { cause });
    }
    const limit = Math.max(4 * MAX_IO, (o.net?.maxBuffers ?? 8 << 20) * 2);
    this.requests = new Requests(this.engine, limit, () => this.ensureOpen());
    if (this.sb) {
      const sb = this.sb;
      const disk: DiskState = sb.flags & FLAG_OUTDATED ? 'Outdated' : !(sb.flags & FLAG_CONSISTENT) ? 'Inconsistent' : sb.flags & FLAG_WAS_UP_TO_DATE ? 'UpToDate' : 'Consistent';
      this.set('disk', disk);
      // A Primary's crash flag lasts until the next handshake has synced what it may hold.
      const info = this.engine.info();
      this.log.info('attached', { dataSize: this.size, dirtyBlocks: info.dirtyBlocks, alReplayed: info.alReplayed, crashedPrimary: this.crashedPrimary });
    }
  }

  /** The port the engine listens on (for address port 0), or 0 on the dialing node. */
  get listenPort(): number {
    return this.engine.info().listenPort;
  }

  get sizeBytes(): number {
    return this.size;
  }

  // ---- state ----------------------------------------------------------------------------------

  private set<K extends keyof Volume['state']>(key: K, value: Volume['state'][K]): void {
    const old = this.state[key];
    if (old === value) return;
    this.state[key] = value;
    const names: Record<string, string> = { role: 'role', disk: 'disk', connection: 'connection', replication: 'replication', peerRole: 'peer-role', peerDisk: 'peer-disk' };
    const event = { what: names[key], from: old, to: value };
    this.log.info('state change', event);
    this.emit('change', event);
    this.emit(names[key]!, value, old);
  }

  status(): Status {
    const info = this.engine.info();
    const sb = this.sb;
    return {
      resource: this.options.resource,
      node: this.options.node,
      role: this.state.role,
      disk: this.state.disk,
      size: this.size,
      connection: this.state.connection,
      replication: this.state.replication,
      peer: { node: this.options.peer, role: this.state.peerRole, disk: this.state.peerDisk },
      outOfSyncBytes: info.dirtyBlocks * 4096,
      suspended: this.suspended,
      ...(this.resync ? { resync: { ...this.resync } } : {}),
      uuids: { current: hex(sb?.current ?? 0n), bitmap: hex(sb?.bitmap ?? 0n), history: [hex(sb?.history[0] ?? 0n), hex(sb?.history[1] ?? 0n)] },
      protocol: this.options.net?.protocol ?? 'C',
    };
  }

  get role(): Role { return this.state.role; }
  get diskState(): DiskState { return this.state.disk; }
  get connectionState(): ConnectionState { return this.state.connection; }
  get replicationState(): ReplicationState { return this.state.replication; }
  get peerDiskState(): DiskState { return this.state.peerDisk; }

  /** Resolves when `predicate(status)` holds (checked on every change), or rejects after `ms`. */
  waitFor(predicate: (status: Status) => boolean, ms = 30000, what = 'state'): Promise<Status> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.closed) { done(); reject(new HakitError('DRBD_CLOSED', 'volume closed')); return; }
        const status = this.status();
        if (predicate(status)) { done(); resolve(status); }
      };
      const timer = setTimeout(() => { done(); reject(new HakitError('DRBD_TIMEOUT', `timed out waiting for ${what}`, { status: this.status() })); }, ms);
      const done = () => { clearTimeout(timer); this.off('change', check); this.off('resync-done', check); };
      this.on('change', check);
      this.on('resync-done', check);
      check();
    });
  }

  private persist(update: (sb: Superblock) => void): Promise<void> {
    if (!this.sb || !this.layout) return Promise.resolve();
    update(this.sb);
    const copy: Superblock = { ...this.sb, history: [...this.sb.history] };
    const layout = this.layout;
    this.metaChain = this.metaChain.then(() => writeSuperblock(layout, copy));
    return this.metaChain;
  }

  private newCurrentUuid(): Promise<void> {
    return this.persist((sb) => {
      if (sb.bitmap === 0n) sb.bitmap = sb.current;
      else sb.history = [sb.current, sb.history[0]];
      sb.current = newUuid();
    });
  }

  // ---- engine events ------------------------------------------------------------------------------

  private onEvents(events: Array<NativeEvent | number>): void {
    for (const event of events) {
      if (typeof event === 'number') {
        this.requests.done(event);
        continue;
      }
      try {
        this.onEvent(event);
      } catch (error) {
        this.log.error('event handler failed', { error, kind: event.kind });
      }
    }
  }

  private onEvent(e: NativeEvent): void {
    switch (e.kind) {
      case 'complete': {
        this.requests.complete(e);
        return;
      }
      case 'connected':
        this.set('connection', 'Connected');
        this.sentReport = undefined;
        this.peerReport = undefined;
        this.sendReport();
        return;
      case 'state':
        this.onPeerReport(e.data!);
        return;
      case 'disconnected':
        this.onDisconnected(e.text ?? '', e.b === 1);
        return;
      case 'auth-failed':
        this.log.warn('peer authentication failed', { reason: e.text });
        this.emit('auth-failed', e.text);
        return;
      case 'config-mismatch':
        this.log.warn('peer configuration mismatch', { reason: e.text });
        this.emit('config-mismatch', e.text);
        return;
      case 'integrity-error':
        this.log.error('data-integrity-alg mismatch', { offset: e.a, length: e.b });
        this.emit('integrity-error', { offset: e.a, length: e.b });
        return;
      case 'resync-progress':
        this.resync = { done: Math.max(0, e.b - e.a) * 4096, total: e.b * 4096 };
        this.emit('resync-progress', { ...this.resync });
        return;
      case 'resync-done':
        void this.onResyncDone(e.text === 'target', e.a, e.b);
        return;
      case 'verify-done': {
        if (this.state.replication === 'VerifyS') this.set('replication', 'Established');
        const waiters = this.verifyWaiters.splice(0);
        if (e.status !== 0) {
          const error = new HakitError('DRBD_VERIFY', `verify did not complete: ${e.text}`);
          waiters.forEach((w) => w.reject(error));
        } else {
          this.emit('verify-done', { outOfSyncBlocks: e.a });
          waiters.forEach((w) => w.resolve(e.a * 4096));
        }
        return;
      }
      default:
        this.log.debug('engine event', { kind: e.kind, text: e.text });
    }
  }

  private report(): Report {
    const sb = this.sb;
    const net = this.options.net ?? {};
    return {
      name: this.options.node,
      role: this.state.role === 'Primary' ? 'Primary' : 'Secondary',
      disk: this.state.disk,
      current: sb?.current ?? 0n,
      bitmap: sb?.bitmap ?? 0n,
      history: sb ? [sb.history[0], sb.history[1]] : [0n, 0n],
      dirty: this.engine.info().dirtyBlocks,
      crashedPrimary: this.crashedPrimary,
      discardMyData: this.discardMyData,
      primarySince: sb?.primarySince ?? 0,
      size: this.size,
      policies: { after0pri: net.afterSb0pri ?? 'disconnect', after1pri: net.afterSb1pri ?? 'disconnect', after2pri: net.afterSb2pri ?? 'disconnect' },
    };
  }

  private sendReport(): void {
    const r = this.report();
    this.ctl('state', 0, encodeReport(r));
    this.sentReport = r;
  }

  private onPeerReport(data: Buffer): void {
    const peer = decodeReport(data);
    if (!peer) {
      this.ctl('drop', 0, Buffer.from('malformed state report'));
      return;
    }
    const first = this.peerReport === undefined;
    this.peerReport = peer;
    this.set('peerRole', peer.role);
    if (first) this.handshake(peer);
    else this.set('peerDisk', peer.disk as DiskState);
  }

  private handshake(peer: Report): void {
    if (peer.name !== this.options.peer) {
      this.ctl('drop', 0, Buffer.from(`peer calls itself ${peer.name}, expected ${this.options.peer}`));
      return;
    }
    if (!this.options.disk) {
      // Diskless: the peer's disk is ours; take its size.
      this.size = peer.size;
      this.ctl('size', peer.size);
    }
    const self = this.sentReport ?? this.report();
    const d: Decision = decide(self, peer);
    this.log.info('handshake', { action: d.action, reason: d.reason, full: d.full, splitBrain: d.splitBrain, self: { current: hex(self.current), bitmap: hex(self.bitmap), dirty: self.dirty }, peer: { current: hex(peer.current), bitmap: hex(peer.bitmap), dirty: peer.dirty } });
    if (d.splitBrain) this.emit('split-brain', { action: d.action, reason: d.reason });
    if (d.priLost) this.emit('pri-lost-after-sb', d.reason);
    this.emit('handshake', d);
    if (d.action === 'disconnect') {
      this.connectWanted = false;
      this.ctl('disconnect');
      this.set('connection', 'StandAlone');
      this.set('replication', 'Off');
      return;
    }
    this.discardMyData = false;
    this.set('peerDisk', peer.disk as DiskState);
    if (d.action === 'none') {
      this.ctl('establish', 0, Buffer.from('none'));
      this.set('replication', 'Established');
      if (this.crashedPrimary && this.state.role !== 'Primary') { this.crashedPrimary = false; void this.persist((sb) => { sb.flags &= ~FLAG_PRIMARY_IND; }); }
      return;
    }
    this.syncFull = d.full;
    if (d.full) this.ctl('invalidate');
    if (d.action === 'source') {
      this.ctl('establish', 0, Buffer.from('source'));
      this.set('replication', 'SyncSource');
      this.set('peerDisk', 'Inconsistent');
    } else {
      void this.persist((sb) => { sb.flags &= ~(FLAG_CONSISTENT | FLAG_WAS_UP_TO_DATE); }).then(() => {
        this.ctl('establish', 0, Buffer.from('target'));
      });
      this.set('disk', 'Inconsistent');
      this.set('replication', 'SyncTarget');
    }
  }

  private async onResyncDone(asTarget: boolean, bytes: number, equal: number): Promise<void> {
    const peer = this.peerReport;
    if (asTarget && peer) {
      await this.persist((sb) => {
        sb.current = peer.current;
        sb.bitmap = 0n;
        sb.history = [peer.history[0], peer.history[1]];
        sb.flags = (sb.flags | FLAG_CONSISTENT | FLAG_WAS_UP_TO_DATE) & ~(FLAG_OUTDATED | FLAG_PRIMARY_IND);
      });
      this.crashedPrimary = false;
      this.set('disk', 'UpToDate');
    } else {
      await this.persist((sb) => {
        if (sb.bitmap !== 0n) sb.history = [sb.bitmap, sb.history[0]];
        sb.bitmap = 0n;
        if (this.state.role !== 'Primary') sb.flags &= ~FLAG_PRIMARY_IND;
      });
      if (this.state.role !== 'Primary') this.crashedPrimary = false;
      this.set('peerDisk', 'UpToDate');
      this.suspended = false;
    }
    this.resync = undefined;
    if (this.state.replication === 'SyncSource' || this.state.replication === 'SyncTarget') this.set('replication', 'Established');
    this.log.info('resync finished', { asTarget, bytes, equalBytes: equal, full: this.syncFull });
    this.emit('resync-done', { asTarget, bytes, equalBytes: equal });
    this.sendReport();
  }

  private onDisconnected(reason: string, suspended: boolean): void {
    const [state] = reason.split(':');
    const wasPeer = this.peerReport !== undefined;
    this.suspended = suspended;
    this.peerReport = undefined;
    this.resync = undefined;
    this.set('replication', 'Off');
    this.set('peerRole', 'Unknown');
    this.set('peerDisk', 'DUnknown');
    if (this.state.disk === 'Inconsistent' && this.options.disk && this.sb && (this.sb.flags & FLAG_CONSISTENT) === 0) {
      // An interrupted resync leaves this disk Inconsistent; it resumes on the next connect.
    }
    const failure = ['Timeout', 'BrokenPipe', 'NetworkFailure', 'ProtocolError'].includes(state ?? '') ? (state as ConnectionState) : undefined;
    if (failure) this.set('connection', failure);
    this.set('connection', this.connectWanted ? 'Connecting' : 'StandAlone');
    this.log.warn('connection lost', { reason });
    if (suspended) this.emit('suspended', reason);
    // A Primary that goes on alone starts a new data generation (the peer is now behind).
    if (wasPeer && this.state.role === 'Primary' && this.options.disk && !suspended) void this.newCurrentUuid();
    for (const w of this.verifyWaiters.splice(0)) w.reject(new HakitError('DRBD_VERIFY', 'connection lost during verify'));
  }

  // ---- verbs ----------------------------------------------------------------------------------

  /** drbdadm connect [--discard-my-data]. */
  connect(options: { discardMyData?: boolean } = {}): void {
    this.ensureOpen();
    this.discardMyData = options.discardMyData ?? false;
    this.connectWanted = true;
    if (this.state.connection === 'StandAlone') this.set('connection', 'Connecting');
    this.ctl('connect');
  }

  /** drbdadm disconnect. */
  disconnect(): void {
    this.ensureOpen();
    this.connectWanted = false;
    this.ctl('disconnect');
    if (this.state.connection !== 'Connected') this.set('connection', 'StandAlone');
  }

  /** drbdadm primary [--force]. */
  async primary(options: { force?: boolean } = {}): Promise<void> {
    this.ensureOpen();
    if (this.state.role === 'Primary') return;
    if (this.state.peerRole === 'Primary') throw new HakitError('DRBD_PEER_PRIMARY', 'the peer is Primary (allow-two-primaries is not supported)');
    const connected = this.state.replication !== 'Off';
    if (!this.options.disk) {
      if (!connected || this.state.peerDisk !== 'UpToDate') throw new HakitError('DRBD_NO_UPTODATE_DISK', 'a diskless node needs a connected peer with an UpToDate disk');
    } else if (this.state.disk !== 'UpToDate') {
      if (!options.force) throw new HakitError('DRBD_NO_UPTODATE_DISK', `refusing to become Primary with a ${this.state.disk} disk (use --force)`, { disk: this.state.disk });
      if (this.state.replication === 'SyncTarget') throw new HakitError('DRBD_SYNC_TARGET', 'refusing to become Primary while SyncTarget');
    }
    if (this.options.disk) {
      const forced = this.state.disk !== 'UpToDate';
      await this.persist((sb) => {
        if (forced || sb.current === UUID_JUST_CREATED) {
          sb.bitmap = 0n;
          sb.history = [0n, 0n];
          sb.current = newUuid();
          sb.flags |= FLAG_CONSISTENT | FLAG_WAS_UP_TO_DATE;
          sb.flags &= ~FLAG_OUTDATED;
        } else if (!connected) {
          if (sb.bitmap === 0n) sb.bitmap = sb.current;
          else sb.history = [sb.current, sb.history[0]];
          sb.current = newUuid();
        }
        sb.flags |= FLAG_PRIMARY_IND;
        sb.primarySince = Date.now();
      });
      if (forced) {
        this.set('disk', 'UpToDate');
        // A forced primary is the authority now: a connected peer gets a full sync.
        if (connected) { this.ctl('disconnect'); this.ctl('connect'); }
      }
    }
    this.ctl('role', 1);
    this.set('role', 'Primary');
    if (this.state.replication !== 'Off') this.sendReport();
  }

  /** drbdadm secondary: waits for in-flight I/O, then demotes. */
  async secondary(): Promise<void> {
    this.ensureOpen();
    if (this.state.role !== 'Primary') return;
    if (this.suspended) throw new HakitError('DRBD_SUSPENDED', 'I/O is frozen (fencing): resume-io or reconnect first');
    if (this.requests.size > 0) await this.flush();
    this.ctl('role', 0);
    this.ctl('clear-al');
    await this.persist((sb) => { sb.flags &= ~FLAG_PRIMARY_IND; });
    this.crashedPrimary = false;
    this.set('role', 'Secondary');
    if (this.state.replication !== 'Off') this.sendReport();
  }

  /** resume-io: the cluster manager has fenced the peer; a frozen Primary continues alone. */
  async resumeIo(): Promise<void> {
    this.ensureOpen();
    if (!this.suspended) return;
    this.suspended = false;
    if (this.state.role === 'Primary' && this.options.disk) await this.newCurrentUuid();
    this.ctl('resume');
  }

  /** drbdadm invalidate: this node's data is discarded and fully resynced from the peer. */
  async invalidate(): Promise<void> {
    this.ensureOpen();
    if (!this.options.disk) throw new HakitError('DRBD_DISKLESS', 'invalidate needs a disk');
    if (this.state.role === 'Primary') throw new HakitError('DRBD_PRIMARY', 'cannot invalidate a Primary');
    await this.persist((sb) => { sb.flags &= ~(FLAG_CONSISTENT | FLAG_WAS_UP_TO_DATE); sb.current = UUID_JUST_CREATED; sb.bitmap = 0n; });
    this.ctl('invalidate');
    this.set('disk', 'Inconsistent');
    this.reconnect();
  }

  /** drbdadm invalidate-remote: the peer's data is discarded and fully resynced from here. */
  async invalidateRemote(): Promise<void> {
    this.ensureOpen();
    if (this.state.disk !== 'UpToDate') throw new HakitError('DRBD_NO_UPTODATE_DISK', 'invalidate-remote needs an UpToDate local disk');
    if (this.state.replication === 'Off') throw new HakitError('DRBD_NOT_CONNECTED', 'invalidate-remote needs a connection');
    await this.persist((sb) => {
      if (sb.bitmap === 0n) sb.bitmap = sb.current;
      else sb.history = [sb.current, sb.history[0]];
      sb.current = newUuid();
    });
    this.ctl('invalidate');
    this.reconnect();
  }

  private reconnect(): void {
    if (this.state.replication === 'Off' && this.state.connection !== 'Connected') return;
    this.ctl('disconnect');
    this.ctl('connect');
  }

  /** drbdadm verify: resolves to the out-of-sync bytes found (they are marked for the next resync). */
  verify(): Promise<number> {
    this.ensureOpen();
    if (this.state.replication !== 'Established') return Promise.reject(new HakitError('DRBD_NOT_CONNECTED', `verify needs an Established connection (replication is ${this.state.replication})`));
    if (!this.options.net?.verifyAlg) return Promise.reject(new HakitError('DRBD_NO_VERIFY_ALG', 'verify needs net { verify-alg }'));
    this.set('replication', 'VerifyS');
    return new Promise((resolve, reject) => {
      this.verifyWaiters.push({ resolve, reject });
      this.ctl('verify');
    });
  }

  setResyncRate(bytesPerSecond: number): void {
    check.integer('bytesPerSecond', bytesPerSecond, 0);
    this.ctl('rate', bytesPerSecond);
  }

  // ---- I/O ------------------------------------------------------------------------------------

  /** Engine control that is a no-op once closed (late promise continuations). */
  private ctl(name: string, value?: number, data?: Uint8Array): void {
    if (!this.closed) this.engine.control(name, value, data);
  }

  private ensureOpen(): void {
    if (this.closed) throw new HakitError('DRBD_CLOSED', 'the volume is closed');
  }

  private checkIo(offset: number, length: number): void {
    this.ensureOpen();
    check.integer('offset', offset, 0);
    check.integer('length', length, 1);
    if (offset % 512 !== 0 || length % 512 !== 0) throw new ArgumentError('offset and length must be multiples of 512', { offset, length });
    if (offset + length > this.size) throw new ArgumentError(`range [${offset}, ${offset + length}) is beyond the volume (${this.size} bytes)`, { offset, length, size: this.size });
    if (this.state.role !== 'Primary') throw new HakitError('DRBD_NOT_PRIMARY', `I/O needs the Primary role (this node is ${this.state.role})`);
  }

  /**
   * Writes `data` at `offset`; resolves when the write is complete as the protocol defines.
   * `data` must not change (nor its ArrayBuffer be transferred) until then: writes of 64 KiB
   * and more are shipped and written from the caller's memory without a copy (as `fs.write` and
   * `socket.write` do), and bytes changed meanwhile could reach the two replicas differently.
   */
  write(offset: number, data: Uint8Array): Promise<void> {
    try {
      check.bytes('data', data);
      this.checkIo(offset, data.length);
    } catch (error) {
      return Promise.reject(error);
    }
    // The common case returns the request's own promise: no async wrapper on the 4 KiB path.
    if (data.length <= MAX_IO) return this.requests.run(OP_WRITE, offset, data.length, data);
    const parts: Promise<void>[] = [];
    for (let at = 0; at < data.length; at += MAX_IO) {
      const chunk = data.subarray(at, Math.min(data.length, at + MAX_IO));
      parts.push(this.requests.run(OP_WRITE, offset + at, chunk.length, chunk));
    }
    return Promise.all(parts).then(() => undefined);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    this.checkIo(offset, length);
    const parts: Promise<Buffer>[] = [];
    for (let at = 0; at < length; at += MAX_IO) parts.push(this.requests.read(offset + at, Math.min(MAX_IO, length - at)));
    return Buffer.concat(await Promise.all(parts));
  }

  /** Discards a range (reads back as zeros), replicated like a write. */
  async trim(offset: number, length: number): Promise<void> {
    this.checkIo(offset, length);
    const parts: Promise<void>[] = [];
    for (let at = 0; at < length; at += MAX_IO) parts.push(this.requests.run(OP_TRIM, offset + at, Math.min(MAX_IO, length - at)));
    await Promise.all(parts);
  }

  /** Everything written before is on stable storage locally and, when connected, on the peer. */
  async flush(): Promise<void> {
    this.ensureOpen();
    await this.requests.run(OP_FLUSH, 0, 0);
  }

  /** drbdadm down: demote, disconnect, stop the data path; the meta-data is left clean. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.state.role === 'Primary') {
      try { await this.secondary(); } catch (error) { this.log.warn('demote on close failed', { error }); }
    }
    this.closed = true;
    this.connectWanted = false;
    this.engine.close();
    this.requests.rejectAll(new HakitError('DRBD_CLOSED', 'the volume was closed'));
    await this.metaChain.catch(() => undefined);
    this.set('connection', 'StandAlone');
    this.emit('close');
  }
}
