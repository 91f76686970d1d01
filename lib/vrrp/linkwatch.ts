/**
 * Interface tracking driven by rtnetlink link events (RTNLGRP_LINK), as keepalived does: one
 * shared monitor socket per process; each tracked interface reads its flags once from /sys at
 * start and then follows RTM_NEWLINK / RTM_DELLINK. If the kernel reports lost events
 * (ENOBUFS), every tracked interface rereads /sys.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { nativeRtnl, type LinkEvent } from './rtnl';

const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;

/** Up for VRRP: administratively up and with carrier (IFF_UP and IFF_RUNNING). */
export function linkUp(flags: number): boolean {
  return (flags & IFF_UP) !== 0 && (flags & IFF_RUNNING) !== 0;
}

/** From /sys: `flags` holds the administrative flags only (no IFF_RUNNING), so carrier stands in for it. */
function readUp(name: string): boolean | undefined {
  try {
    const flags = parseInt(fs.readFileSync(`/sys/class/net/${name}/flags`, 'utf8'), 16);
    if ((flags & IFF_UP) === 0) return false;
    return fs.readFileSync(`/sys/class/net/${name}/carrier`, 'utf8').trim() === '1';
  } catch (error) {
    // carrier reads EINVAL while the interface is down; a missing interface is ENOENT
    return (error as NodeJS.ErrnoException).code === 'EINVAL' ? false : undefined;
  }
}

type Listener = (events: LinkEvent[], overflow: boolean) => void;
let monitor: { close(): void } | undefined;
const listeners = new Set<Listener>();

function subscribe(listener: Listener): void {
  listeners.add(listener);
  monitor ??= new (nativeRtnl().LinkMonitor)((events, overflow) => {
    for (const l of [...listeners]) l(events, overflow);
  });
}

function unsubscribe(listener: Listener): void {
  listeners.delete(listener);
  if (listeners.size === 0 && monitor) {
    monitor.close();
    monitor = undefined;
  }
}

/** A tracked interface (keepalived track_interface), with the same face as a script Tracker. */
export class InterfaceTracker extends EventEmitter {
  up = true;
  readonly name: string;
  readonly weight: number;
  private ifindex = 0;
  private readonly listener: Listener = (events, overflow) => this.onEvents(events, overflow);
  private running = false;

  constructor(name: string, weight = 0) {
    super();
    this.name = name;
    this.weight = weight;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    subscribe(this.listener);  // before reading /sys, so no change falls between the two
    this.reread();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    unsubscribe(this.listener);
  }

  private reread(): void {
    const up = readUp(this.name);
    try {
      this.ifindex = up === undefined ? 0 : parseInt(fs.readFileSync(`/sys/class/net/${this.name}/ifindex`, 'utf8'), 10);
    } catch {
      this.ifindex = 0;
    }
    this.set(up === true);
  }

  /** Applies a batch of link events (public for unit tests). */
  onEvents(events: LinkEvent[], overflow: boolean): void {
    if (!this.running) return;
    if (overflow) {
      this.reread();
      return;
    }
    for (const e of events) {
      if (e.name === this.name) {
        this.ifindex = e.removed ? 0 : e.ifindex;
        this.set(!e.removed && linkUp(e.flags));
      } else if (this.ifindex !== 0 && e.ifindex === this.ifindex) {
        // renamed away (or removed without a name): the tracked name is gone
        this.ifindex = 0;
        this.set(false);
      }
    }
  }

  private set(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    this.emit('change', up);
  }
}
