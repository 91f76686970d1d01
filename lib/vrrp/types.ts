/** Shapes shared by the state machine, the transport and the configuration. */
import type { Family } from './addr';

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

export interface Vip {
  address: string;
  /** Prefix length (default 32 / 128, as keepalived). */
  prefix: number;
  /** Interface the address goes on (default: the instance's). */
  dev?: string;
  /** IFA_LABEL, e.g. "eth0:1". */
  label?: string;
}

/** keepalived's gratuitous ARP / NA timers (global vrrp_garp_* and per-instance garp_*). */
export interface GarpOptions {
  /** Second set of announcements this long after becoming master (ms, 0 = none). Default 5000. */
  masterDelay: number;
  /** Announcements per address in each set. Default 5. */
  masterRepeat: number;
  /** Re-announce every this many ms while master (0 = never). Default 0. */
  masterRefresh: number;
  /** Announcements per address on each refresh. Default 1. */
  masterRefreshRepeat: number;
  /** Gap between announcements in a set (ms). Default 0. */
  interval: number;
  /** On a lower-priority advert while master: announcements per address (default 5) after this delay (ms, default 5000 for the second set). */
  lowerPrioRepeat: number;
  lowerPrioDelay: number;
}

export const defaultGarp: GarpOptions = {
  masterDelay: 5000, masterRepeat: 5, masterRefresh: 0, masterRefreshRepeat: 1, interval: 0, lowerPrioRepeat: 5, lowerPrioDelay: 5000,
};

export interface InstanceOptions {
  name: string;
  interface: string;
  vrid: number;
  /** Configured priority 1-255 (255: address owner). */
  priority: number;
  /** Advertisement interval in ms (v2: whole seconds; v3: 10 ms steps, 10-40950). */
  advertInt: number;
  version?: 2 | 3;
  /** keepalived's `state`; as in keepalived 2.2.7, every instance below priority 255 starts in BACKUP. */
  state?: 'BACKUP' | 'MASTER';
  preempt?: boolean;
  /** ms a higher-priority backup waits before preempting a lower-priority master. */
  preemptDelay?: number;
  /** v2 simple password (keepalived auth_type PASS). */
  authPass?: string;
  vips: Vip[];
  /** Addresses added and removed with the VIPs but not advertised. */
  excludedVips?: Vip[];
  unicastSrc?: string;
  unicastPeers?: string[];
  /** TTL / hop limit of unicast adverts (keepalived unicast_ttl, default 255). */
  unicastTtl?: number;
  /** Per unicast peer, the TTL / hop limit its adverts must arrive with (keepalived's `unicast_peer { ADDR min_ttl N max_ttl M }`). */
  unicastPeerTtl?: Record<string, { min: number; max: number }>;
  /** Master does not accept packets to the VIPs (keepalived no_accept, vrrp_strict below priority 255): an nftables drop rule. */
  noAccept?: boolean;
  /** Drop unicast adverts whose source is not one of unicastPeers (keepalived check_unicast_src). */
  checkUnicastSrc?: boolean;
  /** v3 IPv4 checksum without the pseudo-header (keepalived's v3_checksum_as_v2). */
  checksumAsV2?: boolean;
  garp?: Partial<GarpOptions>;
  /** Put the VIPs on a macvlan with the virtual router MAC (keepalived's use_vmac); a name or true for vrrp.VRID. */
  useVmac?: boolean | string;
  /** With useVmac: adverts go out (and are received) on the base interface, the VIPs and GARPs stay on the macvlan (keepalived's vmac_xmit_base). */
  vmacXmitBase?: boolean;
}

export interface ReceivedPacket {
  payload: Buffer;
  src: string;
  dst: string;
  ttl: number;
  /** ms since the kernel received it; timers are shortened by it. */
  ageMs?: number;
  /** performance.now() when it was handed to JS: the age grows by the time spent before the timer is armed. */
  deliveredAt?: number;
}

/** What the state machine needs from the network; the real one is lib/vrrp/transport.ts. */
export interface Link {
  readonly family: Family;
  /** Our primary address on the interface: the advert source and the tie-break. */
  readonly primary: string;
  send(dst: string, payload: Buffer): void;
  /** Gratuitous ARP / unsolicited NA for each address, `repeat` times, `interval` ms apart. */
  announce(addresses: string[], repeat: number, interval: number, delayFirst?: boolean): void;
  /** May finish synchronously (returns undefined): a takeover then announces without a tick. */
  addVips(vips: Vip[]): Promise<void> | void;
  delVips(vips: Vip[]): Promise<void>;
  close(): void;
  /**
   * Optional: a native plan the clock runs at the master-down deadline before any JS (adverts,
   * then the addresses, then `rounds` rounds of announcements if every address is up).
   * undefined when the link cannot (not ready, VMAC not made yet).
   */
  prepareTakeover?(spec: TakeoverSpec): TakeoverPlan | undefined;
}

export interface TakeoverSpec {
  /** [destination, payload] as the instance would send them. */
  adverts: Array<[string, Buffer]>;
  vips: Vip[];
  announce: string[];
  rounds: number;
}

/** Return codes (0 or -errno) of a plan's last run. */
export interface TakeoverResult {
  adverts: number[];
  addresses: number[];
  /** First failed announcement, 0 if none (or none sent because an address failed). */
  frames: number;
}

export interface TakeoverPlan {
  /** Handed to Clock.setTimer as its prelude. */
  readonly native: object;
  /** The last run's result, once; null if it has not run since. */
  result(): TakeoverResult | null;
}
