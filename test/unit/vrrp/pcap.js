'use strict';
// Reads classic pcap files (Ethernet link type) into frames, and splits the layers VRRP needs.
const fs = require('fs');

function readPcap(file) {
  const b = fs.readFileSync(file);
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file}: not a pcap`);
  const u32 = (at) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const frames = [];
  for (let at = 24; at + 16 <= b.length; ) {
    const len = u32(at + 8);
    frames.push(b.subarray(at + 16, at + 16 + len));
    at += 16 + len;
  }
  return frames;
}

function layers(frame) {
  const type = frame.readUInt16BE(12);
  const l3 = frame.subarray(14);
  if (type === 0x0800) {
    const ihl = (l3[0] & 15) * 4;
    const total = l3.readUInt16BE(2);
    return { kind: 'ipv4', ttl: l3[8], proto: l3[9], src: l3.subarray(12, 16), dst: l3.subarray(16, 20), ip: l3.subarray(0, total), payload: l3.subarray(ihl, total) };
  }
  if (type === 0x86dd) {
    const plen = l3.readUInt16BE(4);
    return { kind: 'ipv6', ttl: l3[7], proto: l3[6], src: l3.subarray(8, 24), dst: l3.subarray(24, 40), payload: l3.subarray(40, 40 + plen) };
  }
  if (type === 0x0806) return { kind: 'arp', payload: l3 };
  return { kind: 'other' };
}

module.exports = { readPcap, layers };
