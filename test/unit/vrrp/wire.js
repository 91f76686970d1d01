'use strict';
// A fake L2 segment for the state machine: links deliver adverts to every other link on the
// next clock tick, record what was sent and announced, and hold virtual addresses.
const { vrrp } = require('../../..');

class Wire {
  constructor(clock, latency = 1) {
    this.clock = clock;
    this.latency = latency;
    this.links = [];
    this.log = [];
  }
  link(primary) {
    const wire = this;
    const link = {
      family: primary.includes(':') ? 6 : 4,
      primary,
      vips: new Set(),
      announced: [],
      sent: [],
      instance: undefined,
      down: false,
      send(dst, payload) {
        if (this.down) return;
        this.sent.push({ at: wire.clock.now(), dst, payload });
        wire.log.push({ at: wire.clock.now(), from: primary, prio: payload[2] });
        for (const other of wire.links) {
          if (other === this || other.down || !other.instance) continue;
          if (!dst.startsWith('224.') && !dst.startsWith('ff02') && dst !== other.primary) continue;
          wire.clock.setTimer(() => other.instance.receive({ payload, src: primary, dst, ttl: 255 }), wire.latency);
        }
      },
      announce(addresses, repeat) {
        this.announced.push({ at: wire.clock.now(), addresses, repeat });
      },
      async addVips(vips) { for (const v of vips) this.vips.add(v.address); },
      async delVips(vips) { for (const v of vips) this.vips.delete(v.address); },
      close() {},
    };
    this.links.push(link);
    return link;
  }
  /** An instance on a new link of this wire. */
  instance(primary, options) {
    const link = this.link(primary);
    const inst = new vrrp.VrrpInstance({ name: 'VI_1', interface: 'eth0', vrid: 51, advertInt: 1000, version: 3, vips: [{ address: '192.0.2.100', prefix: 32 }], ...options }, link, this.clock);
    link.instance = inst;
    inst.link = link;
    return inst;
  }
}

module.exports = { Wire };
