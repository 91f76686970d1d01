'use strict';
// Runs inside a lab namespace: sends one hand-made VRRP packet with a chosen TTL / hop limit
// through hakit's own raw socket. Usage: inject.js IFACE TTL DST HEX [COUNT]
const { vrrp } = require('../../..');
const [ifname, ttl, dst, hex, count = '1'] = process.argv.slice(2);
const native = vrrp.nativeVrrp();
const family = vrrp.familyOf(dst);
const sock = new native.VrrpSocket(family, ifname, native.ifIndex(ifname), false, Number(ttl), () => {});
for (let k = 0; k < Number(count); k++) {
  const rc = sock.send(Buffer.from(hex.replace(/\s+/g, ''), 'hex'), vrrp.addressBytes(dst), null);
  if (rc < 0) { console.error(`send failed: errno ${-rc}`); process.exit(1); }
}
sock.close();
