// VRRP packet codec: adverts (RFC 3768 v2, RFC 5798 / RFC 9568 v3) and the frames sent on
// becoming master (gratuitous ARP, unsolicited neighbour advertisement). Plain C++: no N-API,
// so the libFuzzer target links it alone.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hakit::vrrp {

constexpr uint8_t kProtocol = 112;
constexpr size_t kHeaderLen = 8;
constexpr size_t kAuthLen = 8;          // v2 authentication data
constexpr size_t kMaxAddrs = 255;
constexpr size_t kMaxAdvert = kHeaderLen + kMaxAddrs * 16 + kAuthLen;

enum class ParseError : int {
  kOk = 0,
  kTooShort,      // shorter than the header or than its address count needs
  kTooLong,       // bytes beyond the addresses (and v2 auth data)
  kBadVersion,    // not 2 or 3
  kBadType,       // not 1 (advertisement)
  kBadIpHeader,   // IPv4 header malformed (version, IHL, total length)
  kBadProtocol,   // IPv4 header protocol is not 112
};
const char* ParseErrorCode(ParseError error);

// Internet checksum helpers (RFC 1071): Sum accumulates 16-bit big-endian words.
uint32_t Sum(const uint8_t* data, size_t len, uint32_t acc);
uint16_t Fold(uint32_t acc);

// Checksum of a VRRP message as sent (its checksum field counts as zero). `pseudo` adds the
// IPv4 / IPv6 pseudo-header (RFC 5798 5.2.8); addrLen 4 or 16 picks the family.
uint16_t AdvertChecksum(const uint8_t* vrrp, size_t len, bool pseudo, const uint8_t* src, const uint8_t* dst, size_t addrLen);

struct Advert {
  int version = 0;
  int type = 0;
  int vrid = 0;
  int priority = 0;
  int count = 0;
  int authType = 0;     // v2 only
  int interval = 0;     // v2: seconds (8 bits); v3: centiseconds (12 bits)
  int reserved = 0;     // v3: the 4 bits before the interval
  uint16_t checksum = 0;
  bool checksumPseudoOk = false;  // valid with the pseudo-header
  bool checksumPlainOk = false;   // valid over the VRRP message alone
  const uint8_t* addrs = nullptr; // count * addrLen bytes
  const uint8_t* auth = nullptr;  // v2: 8 bytes
};

// Parses the VRRP message (after the IP header). addrLen: 4 (IPv4) or 16 (IPv6). src/dst are
// the IP addresses (for the pseudo-header checksum). `out` points into `data`.
ParseError ParseAdvert(const uint8_t* data, size_t len, size_t addrLen, const uint8_t* src, const uint8_t* dst, Advert* out);

struct Ipv4Info {
  int ttl = 0;
  int protocol = 0;
  uint8_t src[4] = {};
  uint8_t dst[4] = {};
  size_t payloadOffset = 0;
  size_t payloadLen = 0;  // from the total length, never the datagram size (padding)
};
ParseError ParseIpv4(const uint8_t* data, size_t len, Ipv4Info* out);

struct BuildSpec {
  int version = 3;
  int vrid = 0;
  int priority = 0;
  int interval = 0;  // v2 seconds, v3 centiseconds
  int authType = 0;  // v2
  const uint8_t* auth = nullptr;  // v2: 8 bytes or null (zeros)
  const uint8_t* addrs = nullptr;
  int count = 0;
  size_t addrLen = 4;
  bool pseudo = true;  // checksum with the pseudo-header (v3 default); v2 never
  const uint8_t* src = nullptr;
  const uint8_t* dst = nullptr;
};
// Writes the advert into out; returns its length, or 0 if the spec is invalid or cap too small.
size_t BuildAdvert(const BuildSpec& spec, uint8_t* out, size_t cap);

// Gratuitous ARP request as keepalived sends it: to ff:ff:ff:ff:ff:ff, sender = target = ip,
// target MAC ff:ff:ff:ff:ff:ff. 42 bytes.
constexpr size_t kGarpLen = 42;
size_t BuildGarp(const uint8_t mac[6], const uint8_t ip[4], uint8_t* out, size_t cap);

// Unsolicited neighbour advertisement (RFC 4861 7.2.6): Ethernet + IPv6 (from ip to ff02::1,
// hop limit 255) + ICMPv6 NA (Override set) with a target link-layer address option. 86 bytes.
constexpr size_t kNaLen = 86;
size_t BuildUnsolicitedNa(const uint8_t mac[6], const uint8_t ip[16], uint8_t* out, size_t cap);

}  // namespace hakit::vrrp
