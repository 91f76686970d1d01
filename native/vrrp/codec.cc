// References: RFC 3768 5 (v2 format), RFC 5798 5 and RFC 9568 5 (v3 format, pseudo-header
// checksum), RFC 826 / RFC 5227 (ARP), RFC 4861 4.4 and 7.2.6 (neighbour advertisement).
#include "vrrp/codec.h"

#include <cstring>

namespace hakit::vrrp {

const char* ParseErrorCode(ParseError error) {
  switch (error) {
    case ParseError::kOk: return "OK";
    case ParseError::kTooShort: return "VRRP_TOO_SHORT";
    case ParseError::kTooLong: return "VRRP_TOO_LONG";
    case ParseError::kBadVersion: return "VRRP_BAD_VERSION";
    case ParseError::kBadType: return "VRRP_BAD_TYPE";
    case ParseError::kBadIpHeader: return "VRRP_BAD_IP_HEADER";
    case ParseError::kBadProtocol: return "VRRP_BAD_PROTOCOL";
  }
  return "VRRP_UNKNOWN";
}

uint32_t Sum(const uint8_t* data, size_t len, uint32_t acc) {
  size_t i = 0;
  for (; i + 1 < len; i += 2) acc += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (i < len) acc += static_cast<uint32_t>(data[i] << 8);
  return acc;
}

uint16_t Fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc & 0xffff);
}

uint16_t AdvertChecksum(const uint8_t* vrrp, size_t len, bool pseudo, const uint8_t* src, const uint8_t* dst, size_t addrLen) {
  uint32_t acc = 0;
  if (pseudo) {
    acc = Sum(src, addrLen, acc);
    acc = Sum(dst, addrLen, acc);
    // IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, 3 zeros, next header.
    acc += kProtocol;
    acc += static_cast<uint32_t>(len & 0xffff) + static_cast<uint32_t>(len >> 16);
  }
  // The message with its checksum field (bytes 6-7) taken as zero.
  acc = Sum(vrrp, len < 6 ? len : 6, acc);
  if (len > 8) acc = Sum(vrrp + 8, len - 8, acc);
  return Fold(acc);
}

ParseError ParseAdvert(const uint8_t* data, size_t len, size_t addrLen, const uint8_t* src, const uint8_t* dst, Advert* out) {
  if (len < kHeaderLen) return ParseError::kTooShort;
  Advert a;
  a.version = data[0] >> 4;
  a.type = data[0] & 0x0f;
  if (a.version != 2 && a.version != 3) return ParseError::kBadVersion;
  if (a.type != 1) return ParseError::kBadType;
  a.vrid = data[1];
  a.priority = data[2];
  a.count = data[3];
  if (a.version == 2) {
    a.authType = data[4];
    a.interval = data[5];
  } else {
    a.reserved = data[4] >> 4;
    a.interval = (data[4] & 0x0f) << 8 | data[5];
  }
  a.checksum = static_cast<uint16_t>(data[6] << 8 | data[7]);
  size_t expected = kHeaderLen + static_cast<size_t>(a.count) * addrLen + (a.version == 2 ? kAuthLen : 0);
  if (len < expected) return ParseError::kTooShort;
  if (len > expected) return ParseError::kTooLong;
  a.addrs = data + kHeaderLen;
  if (a.version == 2) a.auth = data + kHeaderLen + static_cast<size_t>(a.count) * addrLen;
  a.checksumPlainOk = AdvertChecksum(data, len, false, nullptr, nullptr, addrLen) == a.checksum;
  a.checksumPseudoOk = src != nullptr && dst != nullptr && AdvertChecksum(data, len, true, src, dst, addrLen) == a.checksum;
  *out = a;
  return ParseError::kOk;
}

ParseError ParseIpv4(const uint8_t* data, size_t len, Ipv4Info* out) {
  if (len < 20 || (data[0] >> 4) != 4) return ParseError::kBadIpHeader;
  size_t ihl = static_cast<size_t>(data[0] & 0x0f) * 4;
  size_t total = static_cast<size_t>(data[2] << 8 | data[3]);
  if (ihl < 20 || total < ihl || total > len) return ParseError::kBadIpHeader;
  Ipv4Info info;
  info.ttl = data[8];
  info.protocol = data[9];
  std::memcpy(info.src, data + 12, 4);
  std::memcpy(info.dst, data + 16, 4);
  info.payloadOffset = ihl;
  info.payloadLen = total - ihl;
  if (info.protocol != kProtocol) return ParseError::kBadProtocol;
  *out = info;
  return ParseError::kOk;
}

size_t BuildAdvert(const BuildSpec& s, uint8_t* out, size_t cap) {
  if (s.version != 2 && s.version != 3) return 0;
  if (s.addrLen != 4 && s.addrLen != 16) return 0;
  if (s.vrid < 1 || s.vrid > 255 || s.priority < 0 || s.priority > 255 || s.count < 0 || s.count > 255) return 0;
  if (s.version == 2 && (s.interval < 0 || s.interval > 255 || s.authType < 0 || s.authType > 255)) return 0;
  if (s.version == 3 && (s.interval < 0 || s.interval > 0x0fff)) return 0;
  if (s.count > 0 && s.addrs == nullptr) return 0;
  bool pseudo = s.version == 3 && s.pseudo;
  if (pseudo && (s.src == nullptr || s.dst == nullptr)) return 0;
  size_t addrBytes = static_cast<size_t>(s.count) * s.addrLen;
  size_t len = kHeaderLen + addrBytes + (s.version == 2 ? kAuthLen : 0);
  if (len > cap) return 0;
  out[0] = static_cast<uint8_t>(s.version << 4 | 1);
  out[1] = static_cast<uint8_t>(s.vrid);
  out[2] = static_cast<uint8_t>(s.priority);
  out[3] = static_cast<uint8_t>(s.count);
  if (s.version == 2) {
    out[4] = static_cast<uint8_t>(s.authType);
    out[5] = static_cast<uint8_t>(s.interval);
  } else {
    out[4] = static_cast<uint8_t>(s.interval >> 8 & 0x0f);
    out[5] = static_cast<uint8_t>(s.interval & 0xff);
  }
  out[6] = out[7] = 0;
  if (addrBytes) std::memcpy(out + kHeaderLen, s.addrs, addrBytes);
  if (s.version == 2) {
    if (s.auth) std::memcpy(out + kHeaderLen + addrBytes, s.auth, kAuthLen);
    else std::memset(out + kHeaderLen + addrBytes, 0, kAuthLen);
  }
  uint16_t sum = AdvertChecksum(out, len, pseudo, s.src, s.dst, s.addrLen);
  out[6] = static_cast<uint8_t>(sum >> 8);
  out[7] = static_cast<uint8_t>(sum & 0xff);
  return len;
}

size_t BuildGarp(const uint8_t mac[6], const uint8_t ip[4], uint8_t* out, size_t cap) {
  if (cap < kGarpLen) return 0;
  std::memset(out, 0xff, 6);               // broadcast
  std::memcpy(out + 6, mac, 6);
  out[12] = 0x08; out[13] = 0x06;          // ARP
  const uint8_t fixed[8] = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};  // Ethernet, IPv4, request
  std::memcpy(out + 14, fixed, 8);
  std::memcpy(out + 22, mac, 6);
  std::memcpy(out + 28, ip, 4);
  std::memset(out + 32, 0xff, 6);          // target MAC as keepalived sends it
  std::memcpy(out + 38, ip, 4);
  return kGarpLen;
}

size_t BuildUnsolicitedNa(const uint8_t mac[6], const uint8_t ip[16], uint8_t* out, size_t cap) {
  if (cap < kNaLen) return 0;
  static const uint8_t allNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
  const uint8_t dstMac[6] = {0x33, 0x33, 0, 0, 0, 0x01};
  std::memcpy(out, dstMac, 6);
  std::memcpy(out + 6, mac, 6);
  out[12] = 0x86; out[13] = 0xdd;
  uint8_t* ip6 = out + 14;
  constexpr size_t icmpLen = 32;  // NA 24 + option 8
  ip6[0] = 0x60; ip6[1] = ip6[2] = ip6[3] = 0;
  ip6[4] = 0; ip6[5] = icmpLen;
  ip6[6] = 58;                             // ICMPv6
  ip6[7] = 255;                            // hop limit (RFC 4861 requires 255)
  std::memcpy(ip6 + 8, ip, 16);
  std::memcpy(ip6 + 24, allNodes, 16);
  uint8_t* icmp = ip6 + 40;
  std::memset(icmp, 0, icmpLen);
  icmp[0] = 136;                           // neighbour advertisement
  icmp[4] = 0x20;                          // Override=1, Solicited=0, Router=0
  std::memcpy(icmp + 8, ip, 16);
  icmp[24] = 2; icmp[25] = 1;              // target link-layer address, 8 bytes
  std::memcpy(icmp + 26, mac, 6);
  uint32_t acc = Sum(ip, 16, 0);
  acc = Sum(allNodes, 16, acc);
  acc += icmpLen + 58;
  acc = Sum(icmp, icmpLen, acc);
  uint16_t sum = Fold(acc);
  icmp[2] = static_cast<uint8_t>(sum >> 8);
  icmp[3] = static_cast<uint8_t>(sum & 0xff);
  return kNaLen;
}

}  // namespace hakit::vrrp
