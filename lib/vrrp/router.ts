/**
 * A set of VRRP instances run together, as keepalived's VRRP process does: tracking with
 * weights, sync groups that move together, notify hooks (events and scripts), reload in place.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { HakitError } from '../errors';
import { silentLogger, type Logger } from '../log';
import { familyOf } from './addr';
import { realClock, type Clock } from './clock';
import type { InstanceConfig, NotifyScripts, SyncGroupConfig, VrrpConfig } from './config';
import { VrrpInstance, type InstanceStatus, type StateChange } from './instance';
import { NftFirewall } from './firewall';
import { InterfaceTracker } from './linkwatch';
import { scriptCheck, Tracker, type CheckSpec } from './track';
import { fileEffect, FileTracker } from './trackfile';
import { RawLink } from './transport';
import type { Link, ReceivedPacket } from './types';

export interface RouterOptions {
  log?: Logger;
  clock?: Clock;
  /** Extra checks by name (hakit health checks), usable in track_script like a vrrp_script. */
  checks?: CheckSpec[];
  /** The no_accept firewall (tests pass one with another nft command). */
  firewall?: NftFirewall;
  /** Builds the network side of an instance (tests pass a fake). */
  linkFactory?: (instance: InstanceConfig, onPacket: (p: ReceivedPacket) => void) => Link;
}

interface Entry {
  config: InstanceConfig;
  instance: VrrpInstance;
  link: Link;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function linkKey(c: InstanceConfig): string {
  return JSON.stringify([c.interface, familyOf(c.vips[0]!.address), c.vrid, c.version, c.unicastSrc ?? '', c.unicastPeers ?? [], c.useVmac ?? false, c.vmacXmitBase ?? false]);
}

export class VrrpRouter extends EventEmitter {
  private entries = new Map<string, Entry>();
  private trackers = new Map<string, { key: string; tracker: Tracker | InterfaceTracker }>();
  private files = new Map<string, { key: string; tracker: FileTracker }>();
  private config: VrrpConfig;
  private groups: SyncGroupConfig[] = [];
  private syncing = false;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly extraChecks: CheckSpec[];
  private readonly linkFactory: NonNullable<RouterOptions['linkFactory']>;
  private started = false;
  private firewall: NftFirewall | undefined;

  constructor(config: VrrpConfig, options: RouterOptions = {}) {
    super();
    this.config = config;
    this.log = options.log ?? silentLogger;
    this.clock = options.clock ?? realClock;
    this.extraChecks = options.checks ?? [];
    this.firewall = options.firewall;
    this.linkFactory = options.linkFactory ?? ((instance, onPacket) => new RawLink({ instance, onPacket, log: this.log }));
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.apply(this.config);
  }

  /** Applies a new configuration; unchanged instances keep their state (no failover). */
  async reload(config: VrrpConfig): Promise<void> {
    this.config = config;
    await this.apply(config);
  }

  private async apply(config: VrrpConfig): Promise<void> {
    this.groups = config.groups;
    const wanted = new Map(config.instances.map((c) => [c.name, c]));
    for (const [name, entry] of this.entries) {
      const next = wanted.get(name);
      if (!next || linkKey(next) !== linkKey(entry.config)) await this.remove(name);
    }
    this.syncTrackers(config);
    for (const c of config.instances) {
      const entry = this.entries.get(c.name);
      if (entry) {
        entry.instance.configure(c);
        if (entry.instance.state === 'MASTER') {
          // a master keeps dropping what the new configuration says (no_accept or VIPs changed)
          this.firewallChange('accept', this.dropped(entry.config));
          this.firewallChange('drop', this.dropped(c));
        }
        entry.config = c;
      } else {
        this.add(c);
        try {
          await (this.entries.get(c.name)!.link as Partial<RawLink>).ready;
        } catch (error) {
          await this.remove(c.name);
          throw error;
        }
      }
    }
    for (const c of config.instances) this.updateTracking(c.name);
    for (const c of config.instances) this.entries.get(c.name)!.instance.start();
  }

  private add(c: InstanceConfig): void {
    let instance: VrrpInstance | undefined;
    const link = this.linkFactory(c, (p) => instance?.receive(p));
    instance = new VrrpInstance(c, link, this.clock, this.log);
    instance.on('state', (change: StateChange) => this.onState(change));
    instance.on('drop', (d) => this.emit('drop', d));
    instance.on('error', (e) => this.emit('error', e));
    this.entries.set(c.name, { config: c, instance, link });
  }

  private async remove(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) return;
    this.entries.delete(name);
    await entry.instance.stop();
    await (entry.link as Partial<RawLink>).teardown?.();
    entry.link.close();
  }

  private syncTrackers(config: VrrpConfig): void {
    const specs = new Map<string, CheckSpec>();
    // identity: what makes a tracker the same across a reload (then it keeps its state)
    const identities = new Map<string, string>();
    for (const s of config.scripts) {
      specs.set(`script:${s.name}`, { name: s.name, check: scriptCheck(s.script), interval: s.interval, timeout: s.timeout, weight: s.weight, rise: s.rise, fall: s.fall });
      identities.set(`script:${s.name}`, JSON.stringify(s));
    }
    for (const s of this.extraChecks) {
      specs.set(`script:${s.name}`, s);
      identities.set(`script:${s.name}`, `check:${s.name}`);
    }
    const interfaces = new Set(config.instances.flatMap((c) => c.trackInterfaces.map((t) => t.name)));
    for (const [key, held] of this.trackers) {
      const wanted = key.startsWith('if:') ? interfaces.has(key.slice(3)) : specs.has(key) && identities.get(key) === held.key;
      if (!wanted) {
        held.tracker.stop();
        this.trackers.delete(key);
      }
    }
    const fresh: Array<[string, string, Tracker | InterfaceTracker]> = [];
    for (const [key, spec] of specs) if (!this.trackers.has(key)) fresh.push([key, identities.get(key)!, new Tracker(spec)]);
    // Interfaces follow rtnetlink link events (RTNLGRP_LINK), not a poll.
    for (const name of interfaces) if (!this.trackers.has(`if:${name}`)) fresh.push([`if:${name}`, `if:${name}`, new InterfaceTracker(name)]);
    for (const [key, identity, tracker] of fresh) {
      tracker.on('change', (up: boolean) => {
        this.log.info(`tracked ${key} is ${up ? 'up' : 'down'}`);
        for (const name of this.entries.keys()) this.updateTracking(name);
      });
      this.trackers.set(key, { key: identity, tracker });
      tracker.start();
    }
    this.syncFiles(config);
  }

  private syncFiles(config: VrrpConfig): void {
    const used = new Set(config.instances.flatMap((c) => c.trackFiles.map((t) => t.name)));
    const wanted = new Map(config.files.filter((f) => used.has(f.name)).map((f) => [f.name, f]));
    for (const [name, held] of this.files) {
      const f = wanted.get(name);
      if (!f || JSON.stringify(f) !== held.key) {
        held.tracker.stop();
        this.files.delete(name);
      }
    }
    for (const [name, f] of wanted) {
      if (this.files.has(name)) continue;
      const tracker = new FileTracker(f);
      tracker.on('change', (value: number) => {
        this.log.info(`tracked file ${name} (${f.file}) reads ${value}`);
        for (const n of this.entries.keys()) this.updateTracking(n);
      });
      tracker.on('warning', (error) => this.log.warn(`track_file ${name}: ${(error as Error).message}`));
      this.files.set(name, { key: JSON.stringify(f), tracker });
      tracker.start();
    }
  }

  /** keepalived's rules: weight > 0 adds when up, weight < 0 subtracts when down, weight 0 down = FAULT. */
  private updateTracking(name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    let delta = 0;
    const faults: string[] = [];
    const refs = [
      ...entry.config.trackScripts.map((t) => ({ key: `script:${t.name}`, weight: t.weight })),
      ...entry.config.trackInterfaces.map((t) => ({ key: `if:${t.name}`, weight: t.weight ?? 0 })),
    ];
    for (const ref of refs) {
      const held = this.trackers.get(ref.key);
      if (!held) continue;
      const weight = ref.weight ?? held.tracker.weight;
      if (weight === 0 && !held.tracker.up) faults.push(ref.key);
      else if (weight > 0 && held.tracker.up) delta += weight;
      else if (weight < 0 && !held.tracker.up) delta += weight;
    }
    const fileKeys: string[] = [];
    for (const ref of entry.config.trackFiles ?? []) {
      const held = this.files.get(ref.name);
      if (!held) continue;
      const key = `file:${ref.name}`;
      fileKeys.push(key);
      const effect = fileEffect(held.tracker.value, ref.weight ?? held.tracker.config.weight, ref.reverse ?? held.tracker.config.reverse);
      if (effect.fault) faults.push(key);
      delta += effect.delta;
    }
    entry.instance.setPriorityDelta(delta);
    const current = new Set(faults);
    for (const ref of refs) entry.instance.setFault(ref.key, current.has(ref.key));
    for (const key of fileKeys) entry.instance.setFault(key, current.has(key));
  }

  /** The addresses no_accept drops while this instance is master. */
  private dropped(c: InstanceConfig): string[] {
    return c.noAccept ? [...c.vips, ...(c.excludedVips ?? [])].map((v) => v.address) : [];
  }

  private firewallChange(op: 'drop' | 'accept', addresses: string[]): void {
    if (addresses.length === 0) return;
    this.firewall ??= new NftFirewall({ ...(this.config.nftTable ? { table: this.config.nftTable } : {}), log: this.log });
    this.firewall[op](addresses).catch((error) => { if (this.listenerCount('error') > 0) this.emit('error', error); });
  }

  private onState(change: StateChange): void {
    this.emit('state', change);
    const entry = this.entries.get(change.instance);
    if (entry && change.to === 'MASTER') this.firewallChange('drop', this.dropped(entry.config));
    if (entry && change.from === 'MASTER') this.firewallChange('accept', this.dropped(entry.config));
    if (entry) this.runNotify(entry.config.notify, 'INSTANCE', change.instance, change.to, change.priority);
    if (this.syncing) return;
    const group = this.groups.find((g) => g.members.includes(change.instance));
    if (!group) return;
    this.syncing = true;
    try {
      for (const member of group.members) {
        if (member === change.instance) continue;
        const other = this.entries.get(member)?.instance;
        if (!other) continue;
        if (change.to === 'MASTER') other.becomeMaster(`sync group ${group.name}: ${change.instance} became MASTER`);
        else if (change.to === 'BACKUP' && change.from !== 'FAULT') other.becomeBackup(`sync group ${group.name}: ${change.instance} became BACKUP`);
        if (change.to === 'FAULT') other.setFault(`sync:${group.name}`, true);
        else if (change.from === 'FAULT') other.setFault(`sync:${group.name}`, false);
      }
    } finally {
      this.syncing = false;
    }
    // The group's state is its members' (they now agree); notify once per group transition.
    const states = group.members.map((m) => this.entries.get(m)?.instance.state);
    if (states.every((s) => s === change.to)) this.runNotify(group.notify, 'GROUP', group.name, change.to, change.priority);
  }

  private runNotify(n: NotifyScripts, type: string, name: string, state: string, priority: number): void {
    const specific = state === 'MASTER' ? n.master : state === 'BACKUP' ? n.backup : state === 'FAULT' ? n.fault : state === 'STOP' ? n.stop : undefined;
    const commands: string[] = [];
    if (specific) commands.push(specific);
    if (n.any) commands.push(`${n.any} ${[type, name, state, String(priority)].map(shellQuote).join(' ')}`);
    for (const command of commands) {
      const child = spawn('/bin/sh', ['-c', command], { stdio: 'ignore', detached: false });
      child.on('error', (error) => this.log.warn('notify script failed to start', { command, error }));
      child.on('exit', (code) => { if (code) this.log.warn('notify script failed', { command, code }); });
    }
  }

  instance(name: string): VrrpInstance | undefined {
    return this.entries.get(name)?.instance;
  }

  status(): { routerId?: string; instances: InstanceStatus[] } {
    return { ...(this.config.routerId ? { routerId: this.config.routerId } : {}), instances: [...this.entries.values()].map((e) => e.instance.status()) };
  }

  /** Graceful stop: masters send priority 0 and remove their addresses. */
  async stop(): Promise<void> {
    for (const { tracker } of this.trackers.values()) tracker.stop();
    this.trackers.clear();
    for (const { tracker } of this.files.values()) tracker.stop();
    this.files.clear();
    await Promise.all([...this.entries.keys()].map((name) => this.remove(name)));
    await this.firewall?.close();
    this.started = false;
  }
}

export function requireInstance(router: VrrpRouter, name: string): VrrpInstance {
  const i = router.instance(name);
  if (!i) throw new HakitError('VRRP_NO_INSTANCE', `no VRRP instance named ${name}`);
  return i;
}
