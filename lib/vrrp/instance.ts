/**
 * One VRRP virtual router: the RFC 5798 section 6.4 state machine (Initialize, Backup, Master)
 * plus Fault, with keepalived's behaviour where the RFC leaves room (a master answers a
 * lower-priority advert at once, "forcing new election"; priority 0 on shutdown; v3 backups
 * adopt the master's interval, v2 drops a mismatch). Timers come from an injectable Clock.
 */
import { EventEmitter } from 'node:events';
import { ArgumentError, HakitError } from '../errors';
import { silentLogger, type Logger } from '../log';
import { addressBytes, canonical, compareAddresses, familyOf } from './addr';
import { realClock, type Clock } from './clock';
import { decodeRaw, encodeAdvert, MULTICAST4, MULTICAST6 } from './codec';
import { newCounters, type VrrpCounters } from './counters';
import { errnoName } from './rtnl';
import { validateOptions } from './validate';
import { defaultGarp, type GarpOptions, type InstanceOptions, type Link, type ReceivedPacket, type TakeoverPlan, type TakeoverResult, type Vip, type VrrpState } from './types';

export interface StateChange {
  instance: string;
  from: VrrpState;
  to: VrrpState;
  priority: number;
  reason: string;
}

export interface InstanceStatus {
  name: string;
  state: VrrpState;
  vrid: number;
  version: 2 | 3;
  interface: string;
  priority: number;
  effectivePriority: number;
  advertInt: number;
  masterAdvertInt: number;
  master: string | null;
  primary: string;
  vips: string[];
  counters: VrrpCounters;
}

export class VrrpInstance extends EventEmitter {
  state: VrrpState = 'INIT';
  readonly counters: VrrpCounters = newCounters();
  private options!: InstanceOptions;
  private version: 2 | 3 = 3;
  private preempt = true;
  private preemptDelay = 0;
  private garp: GarpOptions = defaultGarp;
  private basePriority = 100;
  private priorityDelta = 0;
  private faultReasons = new Set<string>();
  private masterAdvertInt = 1000;
  private masterAddress: string | null = null;
  private lowerSeenAt: number | undefined;
  private timers: Record<'masterDown' | 'advert' | 'garpDelay' | 'garpRefresh', unknown> = { masterDown: undefined, advert: undefined, garpDelay: undefined, garpRefresh: undefined };
  private vipOps: Promise<void> = Promise.resolve();
  private vipsUp = false;
  /** Address changes queued or running: a synchronous add must wait behind them. */
  private vipBusy = 0;
  private advertCache = new Map<number, Array<[string, Buffer]>>();
  private vipSet = new Set<string>();
  private peerSet = new Set<string>();

  constructor(options: InstanceOptions, private readonly link: Link, private readonly clock: Clock = realClock, private readonly log: Logger = silentLogger) {
    super();
    this.configure(options);
    this.masterAdvertInt = options.advertInt;
  }

  get name(): string {
    return this.options.name;
  }

  /** Applies new options in place (SIGHUP reload): the state is kept, VIPs are reconciled. */
  configure(options: InstanceOptions): void {
    const v = validateOptions(options);
    if (familyOf(options.vips[0]!.address) !== this.link.family) throw new ArgumentError('vips and the link differ in family', { argument: 'vips' });
    const old = this.options;
    this.options = options;
    this.advertCache.clear();
    this.version = v.version;
    this.preempt = v.preempt;
    this.preemptDelay = v.preemptDelay;
    this.garp = { ...defaultGarp, ...options.garp };
    this.basePriority = options.priority;
    this.vipSet = new Set(options.vips.map((vip) => canonical(vip.address)));
    this.peerSet = new Set((options.unicastPeers ?? []).map(canonical));
    if (old && this.state === 'MASTER') {
      const key = (vip: Vip) => `${canonical(vip.address)}/${vip.prefix}/${vip.dev ?? ''}/${vip.label ?? ''}`;
      const before = [...old.vips, ...(old.excludedVips ?? [])];
      const after = [...options.vips, ...(options.excludedVips ?? [])];
      const gone = before.filter((a) => !after.some((b) => key(a) === key(b)));
      const added = after.filter((a) => !before.some((b) => key(a) === key(b)));
      this.queueVips(gone, 'del');
      this.queueVips(added, 'add');
      if (added.length) this.vipOps = this.vipOps.then(() => this.link.announce(added.map((x) => x.address), this.garp.masterRepeat, this.garp.interval));
    }
    if (old && old.advertInt !== options.advertInt && this.state === 'MASTER') this.masterAdvertInt = options.advertInt;
  }

  /** Priority in adverts: configured priority plus tracking weights, kept in 1-254 (255 stays 255). */
  get effectivePriority(): number {
    if (this.basePriority === 255) return 255;
    return Math.min(254, Math.max(1, this.basePriority + this.priorityDelta));
  }

  /** Sets the sum of tracking weights (keepalived: positive weights add when up, negative subtract when down). */
  setPriorityDelta(delta: number): void {
    this.priorityDelta = delta;
  }

  /** Enters (on=true) or leaves Fault for a named reason; Fault lasts while any reason remains. */
  setFault(reason: string, on: boolean): void {
    if (on) this.faultReasons.add(reason);
    else this.faultReasons.delete(reason);
    if (this.state === 'INIT' || this.state === 'STOP') return;
    if (this.faultReasons.size > 0 && this.state !== 'FAULT') this.toFault(reason);
    else if (this.faultReasons.size === 0 && this.state === 'FAULT') this.startRunning(`${reason} recovered`);
  }

  get faulty(): boolean {
    return this.faultReasons.size > 0;
  }

  start(): void {
    if (this.state !== 'INIT' && this.state !== 'STOP') return;
    this.masterAdvertInt = this.options.advertInt;
    if (this.faultReasons.size > 0) this.toFault('tracked object down at start');
    else this.startRunning('start');
  }

  private startRunning(reason: string): void {
    // keepalived 2.2.7 starts `state MASTER` below priority 255 in BACKUP too (measured): only
    // the address owner takes over at once.
    if (this.basePriority === 255) this.toMaster(`${reason}: address owner (priority 255)`);
    else this.toBackup(reason);
  }

  /** Graceful stop: a master sends priority 0 so a backup takes over after its skew time. */
  async stop(): Promise<void> {
    if (this.state === 'STOP') return;
    const wasMaster = this.state === 'MASTER';
    this.clearTimers();
    if (wasMaster) {
      this.sendAdvert(0);
      this.counters.release_master++;
      this.queueVips(this.allVips(), 'del');
    }
    this.setState('STOP', 'stop');
    await this.vipOps;
  }

  /** Forced transitions, used by sync groups. */
  becomeMaster(reason: string): void {
    if (this.state === 'BACKUP') this.toMaster(reason);
  }
  becomeBackup(reason: string): void {
    if (this.state === 'MASTER') this.toBackup(reason);
  }

  status(): InstanceStatus {
    return {
      name: this.options.name, state: this.state, vrid: this.options.vrid, version: this.version, interface: this.options.interface,
      priority: this.basePriority, effectivePriority: this.effectivePriority, advertInt: this.options.advertInt,
      masterAdvertInt: this.masterAdvertInt, master: this.state === 'MASTER' ? this.link.primary : this.masterAddress,
      primary: this.link.primary, vips: this.options.vips.map((v) => v.address), counters: { ...this.counters },
    };
  }

  /** RFC 5798 6.1: Skew_Time (ms) from the master's interval (v2: RFC 3768, whole seconds). */
  skewTime(): number {
    const p = this.effectivePriority;
    if (this.version === 2) return ((256 - p) * 1000) / 256;
    return ((256 - p) * this.masterAdvertInt) / 256;
  }

  masterDownInterval(): number {
    return 3 * this.masterAdvertInt + this.skewTime();
  }

  // ---- receive path -------------------------------------------------------------------------

  receive(packet: ReceivedPacket): void {
    const o = this.options;
    const p = packet.payload;
    if (p.length >= 2 && p[1] !== o.vrid) return;  // another virtual router
    if (packet.src === this.link.primary) return;   // our own
    const unicast = (o.unicastPeers?.length ?? 0) > 0;
    const group = this.link.family === 6 ? MULTICAST6 : MULTICAST4;
    if (unicast === (packet.dst === group)) return;  // keepalived ignores the other mode silently
    if (unicast && o.checkUnicastSrc && !this.peerSet.has(canonical(packet.src))) return this.drop('unicast_src_err', `unicast advert from ${packet.src}, which is not a unicast_peer`);
    if (!unicast && packet.ttl !== 255) return this.drop('ip_ttl_err', `invalid TTL/HL. Received ${packet.ttl} and expect 255`);
    const ttlRange = unicast ? o.unicastPeerTtl?.[canonical(packet.src)] : undefined;
    if (ttlRange && (packet.ttl < ttlRange.min || packet.ttl > ttlRange.max)) {
      return this.drop('ip_ttl_err', `TTL/HL ${packet.ttl} not in range ${ttlRange.min} - ${ttlRange.max}`);  // keepalived 2.2.7's words
    }
    const a = decodeRaw(p, this.link.family, packet.src, packet.dst);
    if ('error' in a) {
      if (a.error === 'VRRP_BAD_VERSION') return this.drop('version_err', `wrong version. Received ${p[0]! >> 4} and expect ${this.version}`);
      if (a.error === 'VRRP_BAD_TYPE') return this.drop('invalid_type_rcvd', `Invalid packet type. ${p[0]! & 15} and expect 1`);
      return this.drop('packet_len_err', `vrrp packet length error (${a.error}), length ${p.length}`);
    }
    if (a.version !== this.version) return this.drop('version_err', `wrong version. Received ${a.version} and expect ${this.version}`);
    const pseudo = this.version === 3 && !(this.link.family === 4 && o.checksumAsV2);
    if (!(pseudo ? a.checksumPseudoOk : a.checksumPlainOk)) return this.drop('checksum_err', `Invalid VRRPv${this.version} checksum`);
    if (this.version === 2) {
      const want = o.authPass !== undefined ? 1 : 0;
      if (a.authType !== want) {
        this.counters.authtype_mismatch++;
        return this.drop('invalid_authtype', `received a ${a.authType} auth, expecting ${want}!`);
      }
      if (want === 1) {
        const pass = Buffer.alloc(8);
        Buffer.from(o.authPass!).copy(pass);
        if (!a.auth || !pass.equals(a.auth)) return this.drop('auth_failure', 'received an invalid passwd!');
      }
    }
    if (a.count !== o.vips.length) return this.drop('addr_list_err', `received an unexpected ip number count ${a.count}, expected ${o.vips.length}!`);
    for (const addr of a.addresses) {
      if (!this.vipSet.has(addr)) return this.drop('addr_list_err', `ip address associated with VRID ${o.vrid} not present in MASTER advert: ${addr}`);
    }
    if (this.version === 2 && a.interval * 1000 !== o.advertInt) {
      return this.drop('advert_interval_err', `advertisement interval mismatch mine=${o.advertInt / 1000} sec rcv'd=${a.interval} sec`);
    }
    if (this.version === 3 && a.interval === 0) return this.drop('advert_interval_err', 'advertisement interval 0');
    this.counters.advert_rcvd++;
    if (a.priority === 0) this.counters.pri_zero_rcvd++;
    // The master-down timer counts from the packet's arrival in the kernel, not from when it is armed.
    const age = () => (packet.ageMs ?? 0) + (packet.deliveredAt !== undefined ? performance.now() - packet.deliveredAt : 0);
    this.onAdvert(a.priority, a.version === 3 ? a.interval * 10 : a.interval * 1000, packet.src, age);
  }

  private drop(counter: keyof VrrpCounters, message: string): void {
    this.counters[counter]++;
    this.log.warn(`(${this.options.name}) ${message}`, { instance: this.options.name, counter });
    this.emit('drop', { instance: this.options.name, counter, message });
  }

  private onAdvert(priority: number, interval: number, src: string, age: () => number): void {
    const mine = this.effectivePriority;
    if (this.state === 'BACKUP') {
      if (priority === 0) {
        this.armMasterDown(this.skewTime(), 'master sent priority 0', age);
        return;
      }
      const lower = priority < mine;
      let hold = !this.preempt || !lower;
      if (!hold && this.preemptDelay > 0) {
        // preempt_delay: a higher-priority backup keeps deferring to a lower master this long.
        this.lowerSeenAt ??= this.clock.now();
        hold = this.clock.now() - this.lowerSeenAt < this.preemptDelay;
      }
      if (!lower) this.lowerSeenAt = undefined;
      if (!hold) {
        this.log.debug(`(${this.options.name}) received lower priority (${priority}) advert from ${src} - discarding`);
        return;
      }
      if (this.version === 3) this.masterAdvertInt = interval;
      this.masterAddress = src;
      this.armMasterDown(this.masterDownInterval(), 'master down timer', age);
      return;
    }
    if (this.state !== 'MASTER') return;
    if (priority === 0) {
      // RFC 5798 6.4.3: answer at once so the backups see a master.
      this.sendAdvert(mine);
      this.arm('advert', this.options.advertInt, () => this.advertTick());
      return;
    }
    const wins = priority > mine || (priority === mine && compareAddresses(addressBytes(src), addressBytes(this.link.primary)) > 0);
    if (wins) {
      if (this.version === 3) this.masterAdvertInt = interval;
      this.masterAddress = src;
      this.toBackup(`higher priority advert (${priority}) from ${src}`);
      return;
    }
    // keepalived: "forcing new election": advert at once, and announce the addresses again.
    this.log.info(`(${this.options.name}) Received advert from ${src} with lower priority ${priority}, ours ${mine}, forcing new election`);
    this.sendAdvert(mine);
    this.arm('advert', this.options.advertInt, () => this.advertTick());
    this.link.announce(this.options.vips.map((v) => v.address), this.garp.lowerPrioRepeat, this.garp.interval);
  }

  // ---- transitions --------------------------------------------------------------------------

  private toMaster(reason: string, prepared?: { plan: TakeoverPlan; priority: number; rounds: number }): void {
    this.clearTimers();
    this.masterAdvertInt = this.options.advertInt;
    this.masterAddress = this.link.primary;
    this.lowerSeenAt = undefined;
    this.counters.become_master++;
    // The packets first, as keepalived: advert, addresses, gratuitous ARP/NA; the state event
    // (logs, notify scripts, sync groups) after them. A prepared takeover already sent them.
    const done = prepared?.plan.result() ?? null;
    if (done) this.bookTakeover(done, prepared!.priority);
    else this.sendAdvert(this.effectivePriority);
    this.arm('advert', this.options.advertInt, () => this.advertTick());
    const addresses = this.options.vips.map((v) => v.address);
    if (done) {
      const sent = prepared!.rounds;
      if (this.vipsUp && sent < this.garp.masterRepeat) this.link.announce(addresses, this.garp.masterRepeat - sent, this.garp.interval, true);
    } else if (this.addVipsNow(this.allVips())) this.link.announce(addresses, this.garp.masterRepeat, this.garp.interval);
    else {
      this.vipOps = this.vipOps.then(() => {
        if (this.state === 'MASTER') this.link.announce(addresses, this.garp.masterRepeat, this.garp.interval);
      });
    }
    this.setState('MASTER', reason);
    if (this.garp.masterDelay > 0) {
      this.arm('garpDelay', this.garp.masterDelay, () => this.link.announce(this.options.vips.map((v) => v.address), this.garp.masterRepeat, this.garp.interval));
    }
    if (this.garp.masterRefresh > 0) this.armRefresh();
  }

  private armRefresh(): void {
    this.arm('garpRefresh', this.garp.masterRefresh, () => {
      this.link.announce(this.options.vips.map((v) => v.address), this.garp.masterRefreshRepeat, this.garp.interval);
      this.armRefresh();
    });
  }

  private toBackup(reason: string): void {
    const wasMaster = this.state === 'MASTER';
    this.clearTimers();
    if (wasMaster) {
      this.counters.release_master++;
      this.queueVips(this.allVips(), 'del');
    }
    if (!wasMaster) this.masterAddress = null;
    this.lowerSeenAt = undefined;
    this.setState('BACKUP', reason);
    this.armMasterDown(this.masterDownInterval(), 'master down timer', () => 0);
  }

  private toFault(reason: string): void {
    const wasMaster = this.state === 'MASTER';
    this.clearTimers();
    if (wasMaster) {
      this.sendAdvert(0);
      this.counters.release_master++;
      this.queueVips(this.allVips(), 'del');
    }
    this.masterAddress = null;
    this.setState('FAULT', reason);
  }

  private advertTick(): void {
    if (this.state !== 'MASTER') return;
    this.sendAdvert(this.effectivePriority);
    this.arm('advert', this.options.advertInt, () => this.advertTick());
  }

  private setState(to: VrrpState, reason: string): void {
    const from = this.state;
    this.state = to;
    if (from === to) return;
    this.log.info(`(${this.options.name}) Entering ${to} STATE`, { instance: this.options.name, from, reason });
    const change: StateChange = { instance: this.options.name, from, to, priority: this.effectivePriority, reason };
    this.emit('state', change);
  }

  // ---- I/O ----------------------------------------------------------------------------------

  /**
   * The adverts for `priority`, one per destination, built once per configuration: a takeover
   * then sends bytes ready since the last advert it received, not ones encoded by cold code.
   */
  private adverts(priority: number): Array<[string, Buffer]> {
    const cached = this.advertCache.get(priority);
    if (cached) return cached;
    const o = this.options;
    const peers = o.unicastPeers?.length ? o.unicastPeers : [this.link.family === 6 ? MULTICAST6 : MULTICAST4];
    const built = peers.map((dst): [string, Buffer] => [dst, encodeAdvert({
      version: this.version, vrid: o.vrid, priority,
      interval: this.version === 2 ? o.advertInt / 1000 : o.advertInt / 10,
      addresses: o.vips.map((v) => v.address),
      ...(this.version === 2 && o.authPass !== undefined ? { authType: 1, password: o.authPass } : {}),
      src: this.link.primary, dst,
      checksum: o.checksumAsV2 ? 'plain' : 'pseudo',
    })]);
    this.advertCache.set(priority, built);
    return built;
  }

  private sendAdvert(priority: number): void {
    const o = this.options;
    for (const [dst, payload] of this.adverts(priority)) {
      try {
        this.link.send(dst, payload);
        this.counters.advert_sent++;
        if (priority === 0) this.counters.pri_zero_sent++;
      } catch (error) {
        this.counters.send_err++;
        this.log.warn(`(${o.name}) send failed`, { error });
      }
    }
  }

  private allVips(): Vip[] {
    return [...this.options.vips, ...(this.options.excludedVips ?? [])];
  }

  /** Counts what a native takeover did, as sendAdvert and addVipsNow would have. */
  private bookTakeover(done: TakeoverResult, priority: number): void {
    for (const rc of done.adverts) {
      if (rc === 0) this.counters.advert_sent++;
      else {
        this.counters.send_err++;
        this.log.warn(`(${this.options.name}) send failed`, { errno: -rc });
      }
    }
    // Tracking changed the priority after the plan was made: say the right one at once.
    if (priority !== this.effectivePriority) this.sendAdvert(this.effectivePriority);
    const failed = done.addresses.findIndex((rc) => rc !== 0);
    if (failed < 0) this.vipsUp = true;
    else {
      const vip = this.allVips()[failed]!;
      const code = errnoName(-done.addresses[failed]!);
      this.vipError('add', new HakitError('VRRP_ADDRESS', `cannot add address ${vip.address}/${vip.prefix}: ${code}`, { errno: -done.addresses[failed]!, code, address: vip.address }));
    }
    if (done.frames < 0) this.log.warn('gratuitous announcement failed', { errno: -done.frames });
  }

  /** Adds at once when no address change is queued and the link can do it synchronously; else queues. True when done. */
  private addVipsNow(vips: Vip[]): boolean {
    if (vips.length === 0) return true;
    if (this.vipBusy === 0) {
      let result: Promise<void> | void;
      try {
        result = this.link.addVips(vips);
      } catch (error) {
        this.vipError('add', error);
        return false;
      }
      if (result === undefined) {
        this.vipsUp = true;
        return true;
      }
      this.track(result.then(() => { this.vipsUp = true; }, (error) => this.vipError('add', error)));
      return false;
    }
    this.queueVips(vips, 'add');
    return false;
  }

  private track(op: Promise<void>): void {
    this.vipBusy++;
    this.vipOps = this.vipOps.then(() => op).finally(() => { this.vipBusy--; });
  }

  private vipError(op: 'add' | 'del', error: unknown): void {
    this.log.error(`(${this.options.name}) could not ${op === 'add' ? 'add' : 'remove'} virtual addresses`, { error });
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private queueVips(vips: Vip[], op: 'add' | 'del'): void {
    if (vips.length === 0) return;
    this.vipBusy++;
    this.vipOps = this.vipOps.then(async () => {
      try {
        if (op === 'add') await this.link.addVips(vips);
        else await this.link.delVips(vips);
        this.vipsUp = op === 'add';
      } catch (error) {
        this.vipError(op, error);
      }
    }).finally(() => { this.vipBusy--; });
  }

  /** Resolves when queued address changes are done (tests, shutdown). */
  settled(): Promise<void> {
    return this.vipOps;
  }

  get addressesUp(): boolean {
    return this.vipsUp;
  }

  private arm(name: keyof VrrpInstance['timers'], ms: number, fn: (preludeRan?: boolean) => void, prelude?: object): void {
    if (this.timers[name] !== undefined) this.clock.clearTimer(this.timers[name]);
    this.timers[name] = this.clock.setTimer((ran) => {
      this.timers[name] = undefined;
      fn(ran);
    }, ms, prelude);
  }

  /**
   * The master-down timer, with the takeover prepared when the link can run it natively at the
   * deadline (advert, addresses, announcements before any JS; toMaster then books the results).
   */
  private armMasterDown(interval: number, reason: string, age: () => number): void {
    const priority = this.effectivePriority;
    const adverts = this.adverts(priority);
    // With garp_interval the rounds are spaced: the first natively, the rest from JS timers.
    const rounds = this.garp.interval > 0 ? Math.min(1, this.garp.masterRepeat) : this.garp.masterRepeat;
    let plan: TakeoverPlan | undefined;
    if (this.vipBusy === 0 && this.link.prepareTakeover) {
      plan = this.link.prepareTakeover({ adverts, vips: this.allVips(), announce: this.options.vips.map((v) => v.address), rounds });
    }
    this.arm('masterDown', interval - age(), (ran) => this.toMaster(reason, ran && plan ? { plan, priority, rounds } : undefined), plan?.native);
  }

  private clearTimers(): void {
    for (const name of Object.keys(this.timers) as Array<keyof VrrpInstance['timers']>) {
      if (this.timers[name] !== undefined) this.clock.clearTimer(this.timers[name]);
      this.timers[name] = undefined;
    }
  }
}
