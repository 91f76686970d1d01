/**
 * The real network side of an instance: a raw IP protocol 112 socket bound to the interface
 * (native, read on a libuv poll handle), an AF_PACKET socket for gratuitous ARP / unsolicited
 * NA, and rtnetlink for the virtual addresses and the optional macvlan VMAC.
 */
import fs from 'node:fs';
import os from 'node:os';
import { HakitError } from '../errors';
import { silentLogger, type Logger } from '../log';
import { addressBytes, canonical, familyOf, formatAddress, isLinkLocal6, type Family } from './addr';
import { announceFrame, nativeVrrp, virtualMac } from './codec';
import { changeAddressesSync, nativeAddressChange, RouteClient } from './rtnl';
import type { InstanceOptions, Link, ReceivedPacket, TakeoverPlan, TakeoverSpec, Vip } from './types';

let sharedRoute: RouteClient | undefined;
let sharedPacket: { send(ifindex: number, frame: Uint8Array): number; close(): void } | undefined;
let users = 0;

export interface RawLinkOptions {
  instance: InstanceOptions;
  onPacket: (packet: ReceivedPacket) => void;
  log?: Logger;
}

/** Our address on the interface: unicast_src_ip, else the first IPv4 / the IPv6 link-local that is not a VIP. */
export function primaryAddress(ifname: string, family: Family, exclude: string[], unicastSrc?: string): string {
  if (unicastSrc) return canonical(unicastSrc);
  const skip = new Set(exclude.map(canonical));
  const list = os.networkInterfaces()[ifname] ?? [];
  for (const entry of list) {
    if (family === 4 && entry.family === 'IPv4' && !skip.has(entry.address)) return entry.address;
    if (family === 6 && entry.family === 'IPv6' && isLinkLocal6(entry.address.split('%')[0]!) && !skip.has(canonical(entry.address.split('%')[0]!))) {
      return canonical(entry.address.split('%')[0]!);
    }
  }
  throw new HakitError('VRRP_NO_ADDRESS', `interface ${ifname} has no ${family === 4 ? 'IPv4' : 'IPv6 link-local'} address to send adverts from`, { interface: ifname });
}

export class RawLink implements Link {
  readonly family: Family;
  readonly primary: string;
  private socket: InstanceType<ReturnType<typeof nativeVrrp>['VrrpSocket']> | undefined;
  /** Resolves when the socket is open (at once, or once the VMAC macvlan exists). */
  readonly ready: Promise<void>;
  private readonly ifindex: number;
  private readonly log: Logger;
  private readonly options: InstanceOptions;
  private readonly primaryBytes: Buffer;
  private vmac: { name: string; mac: Buffer; ifindex: number } | undefined;
  private closed = false;
  private timers = new Set<NodeJS.Timeout>();
  private dstBytes = new Map<string, Buffer>();
  /** The last set of announcement frames, by MAC and addresses (a takeover reuses them). */
  private frames: { key: string; frames: Buffer[] } | undefined;
  private plan: { key: string; adverts: TakeoverSpec['adverts']; plan: TakeoverPlan } | undefined;

  constructor({ instance, onPacket, log }: RawLinkOptions) {
    this.options = instance;
    this.log = log ?? silentLogger;
    const fam = familyOf(instance.vips[0]!.address);
    if (fam === 0) throw new HakitError('VRRP_BAD_CONFIG', 'the first VIP is not an IP address');
    this.family = fam;
    const v = nativeVrrp();
    this.ifindex = v.ifIndex(instance.interface);
    if (!this.ifindex) throw new HakitError('VRRP_NO_INTERFACE', `no interface named ${instance.interface}`, { interface: instance.interface });
    this.primary = primaryAddress(instance.interface, this.family, [...instance.vips, ...(instance.excludedVips ?? [])].map((x) => x.address), instance.unicastSrc);
    this.primaryBytes = addressBytes(this.primary);
    sharedRoute ??= new RouteClient();
    sharedRoute.open();
    sharedPacket ??= new v.PacketSocket();
    users++;
    const open = (ifname: string, ifindex: number) => {
      const multicast = (instance.unicastPeers?.length ?? 0) === 0;
      try {
        this.socket = new v.VrrpSocket(this.family, ifname, ifindex, multicast, multicast ? 255 : (instance.unicastTtl ?? 255), (payload, src, dst, ttl, _ifindex, _ipError, ageMs) => {
          const deliveredAt = performance.now();
          onPacket({ payload, src: formatAddress(src), dst: formatAddress(dst), ttl, ageMs, deliveredAt });
        });
      } catch (cause) {
        throw new HakitError('VRRP_SOCKET', `cannot open the VRRP socket on ${ifname}: ${(cause as Error).message}`, { interface: ifname }, { cause });
      }
    };
    if (instance.useVmac) {
      // keepalived: adverts and GARPs leave from the macvlan (source MAC = VMAC), which carries the VIPs.
      // vmac_xmit_base: adverts stay on the base interface; only the VIPs and GARPs use the macvlan.
      this.ready = this.ensureVmac().then(() => {
        if (this.closed) return;
        if (instance.vmacXmitBase) open(instance.interface, this.ifindex);
        else open(this.vmac!.name, this.vmac!.ifindex);
      });
    } else {
      open(instance.interface, this.ifindex);
      this.ready = Promise.resolve();
    }
  }

  send(dst: string, payload: Buffer): void {
    if (!this.socket) throw new HakitError('VRRP_NOT_READY', 'the VRRP socket is not open yet');
    let dstBytes = this.dstBytes.get(dst);
    if (!dstBytes) this.dstBytes.set(dst, (dstBytes = addressBytes(dst)));
    const rc = this.socket.send(payload, dstBytes, this.primaryBytes);
    if (rc < 0) throw new HakitError('VRRP_SEND', `sending an advert to ${dst} failed (errno ${-rc})`, { errno: -rc });
  }

  /** See Link.prepareTakeover; the plan is rebuilt only when what it would send changes. */
  prepareTakeover(spec: TakeoverSpec): TakeoverPlan | undefined {
    if (this.closed || !this.socket || (this.options.useVmac && !this.vmac)) return undefined;
    const v = nativeVrrp();
    const ifindex = this.vmac?.ifindex ?? this.ifindex;
    const mac = this.vmac?.mac ?? v.ifMac(this.vmac?.name ?? this.options.interface);
    if (!mac) return undefined;
    const key = JSON.stringify([spec.vips, spec.announce, spec.rounds, ifindex, mac.toString('hex')]);
    if (this.plan && this.plan.adverts === spec.adverts && this.plan.key === key) return this.plan.plan;
    const adverts = spec.adverts.map(([dst, payload]) => [payload, addressBytes(dst), this.primaryBytes]);
    let native: InstanceType<ReturnType<typeof nativeVrrp>['Takeover']>;
    try {
      const changes = this.specs(spec.vips).map(nativeAddressChange);
      const frames = spec.announce.map((a) => announceFrame(mac, a));
      native = new v.Takeover(this.socket, adverts, changes, sharedPacket!, frames, ifindex, spec.rounds);
    } catch {
      return undefined;  // e.g. a VIP's dev is missing: the JS takeover reports it when it happens
    }
    const plan: TakeoverPlan = { native, result: () => native.result() };
    this.plan = { key, adverts: spec.adverts, plan };
    return plan;
  }

  announce(addresses: string[], repeat: number, interval: number, delayFirst = false): void {
    if (this.closed || addresses.length === 0 || repeat <= 0) return;
    const ifindex = this.vmac?.ifindex ?? this.ifindex;
    const mac = this.vmac?.mac ?? nativeVrrp().ifMac(this.vmac?.name ?? this.options.interface);
    if (!mac) return;
    const key = `${mac.toString('hex')} ${addresses.join(' ')}`;
    if (this.frames?.key !== key) this.frames = { key, frames: addresses.map((a) => announceFrame(mac, a)) };
    const frames = this.frames.frames;
    const sendRound = () => {
      for (const frame of frames) {
        const rc = sharedPacket!.send(ifindex, frame);
        if (rc < 0) this.log.warn('gratuitous announcement failed', { errno: -rc });
      }
    };
    if (interval <= 0) {
      for (let i = 0; i < repeat; i++) sendRound();  // delayFirst means nothing without a gap
      return;
    }
    let left = repeat;
    const later = () => {
      const t = setTimeout(() => { this.timers.delete(t); tick(); }, interval);
      this.timers.add(t);
    };
    const tick = () => {
      if (this.closed) return;
      sendRound();
      if (--left > 0) later();
    };
    if (delayFirst) later();
    else tick();
  }

  private async ensureVmac(): Promise<void> {
    const want = this.options.useVmac;
    if (!want || this.vmac) return;
    const name = typeof want === 'string' ? want : `vrrp.${this.options.vrid}`;
    const mac = Buffer.from(virtualMac(this.options.vrid, this.family).split(':').map((x) => parseInt(x, 16)));
    await sharedRoute!.createMacvlan(name, this.ifindex, mac);
    const ifindex = nativeVrrp().ifIndex(name);
    if (!ifindex) throw new HakitError('VRRP_VMAC', `macvlan ${name} did not appear`);
    this.vmac = { name, mac, ifindex };
    if (this.family === 6) this.linkLocalOnVmac(name, ifindex);
    // As keepalived: the parent must not answer ARP for addresses that live on the macvlan.
    for (const key of ['arp_ignore', 'arp_filter']) {
      try {
        fs.writeFileSync(`/proc/sys/net/ipv4/conf/${this.options.interface}/${key}`, '1');
      } catch (error) {
        this.log.warn(`cannot set ${key} on ${this.options.interface}`, { error });
      }
    }
  }

  /**
   * IPv6 as keepalived 2.2.7 does it (measured): the macvlan carries the parent's link-local
   * address, the advert source (not with vmac_xmit_base), and no address of its own (addr_gen_mode none), so it neither
   * sends router solicitations from an EUI-64 address nor picks another source.
   */
  private linkLocalOnVmac(name: string, ifindex: number): void {
    try {
      fs.writeFileSync(`/proc/sys/net/ipv6/conf/${name}/addr_gen_mode`, '1');
    } catch (error) {
      this.log.warn(`cannot set addr_gen_mode on ${name}`, { error });
    }
    const own = (os.networkInterfaces()[name] ?? [])
      .map((e) => canonical(e.address.split('%')[0]!))
      .filter((a) => isLinkLocal6(a) && a !== this.primary && !this.options.vips.some((v) => canonical(v.address) === a));
    changeAddressesSync('del', own.map((address) => ({ address, prefix: 64, ifindex })));
    // vmac_xmit_base: adverts leave from the parent, so keepalived leaves the macvlan without it (measured).
    if (!this.options.vmacXmitBase) changeAddressesSync('add', [{ address: this.primary, prefix: 64, ifindex }]);
  }

  private specs(vips: Vip[]) {
    return vips.map((vip) => {
      const dev = vip.dev ?? this.vmac?.name ?? this.options.interface;
      const ifindex = nativeVrrp().ifIndex(dev);
      if (!ifindex) throw new HakitError('VRRP_NO_INTERFACE', `no interface named ${dev} for ${vip.address}`, { interface: dev });
      return { address: vip.address, prefix: vip.prefix, ifindex, ...(vip.label ? { label: vip.label } : {}) };
    });
  }

  /** Synchronous (one rtnetlink request per address) unless the VMAC macvlan must be made first. */
  addVips(vips: Vip[]): Promise<void> | void {
    if (this.options.useVmac && !this.vmac) return this.ensureVmac().then(() => changeAddressesSync('add', this.specs(vips)));
    changeAddressesSync('add', this.specs(vips));
  }

  async delVips(vips: Vip[]): Promise<void> {
    changeAddressesSync('del', this.specs(vips));
  }

  /** Removes the macvlan (after the VIPs are gone). */
  async teardown(): Promise<void> {
    if (this.vmac) await sharedRoute!.deleteLink(this.vmac.name);
    this.vmac = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.plan = undefined;
    this.socket?.close();
    if (--users === 0) {
      sharedRoute?.close();
      sharedPacket?.close();
      sharedRoute = undefined;
      sharedPacket = undefined;
    }
  }
}
