// PROXY protocol v2 TLVs (haproxy.org/download/2.6/doc/proxy-protocol.txt, section 2.2): the
// well-known types decoded and checked (CRC32C verified over the whole header, UNIQUE_ID at
// most 128 bytes, SSL sub-TLVs exactly filling their parent). Plain C++, fuzzed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lb/proxy_protocol.h"

namespace hakit::lb {

constexpr uint8_t kPp2Alpn = 0x01, kPp2Authority = 0x02, kPp2Crc32c = 0x03, kPp2Noop = 0x04, kPp2UniqueId = 0x05;
constexpr uint8_t kPp2Ssl = 0x20, kPp2SslVersion = 0x21, kPp2SslCn = 0x22, kPp2SslCipher = 0x23, kPp2SslSigAlg = 0x24,
                  kPp2SslKeyAlg = 0x25;
constexpr uint8_t kPp2Netns = 0x30;
constexpr size_t kPp2UniqueIdMax = 128;

struct ProxyTlvInfo {
  bool hasAlpn = false, hasAuthority = false, hasUniqueId = false, hasSsl = false, hasNetns = false, hasCrc32c = false;
  std::string alpn, authority, uniqueId, netns;  // raw bytes
  uint8_t sslClient = 0;                         // PP2_CLIENT_SSL 0x01, CERT_CONN 0x02, CERT_SESS 0x04
  uint32_t sslVerify = 0;                        // 0: the client presented a certificate that verified
  std::string sslVersion, sslCn, sslCipher, sslSigAlg, sslKeyAlg;
};

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as the CRC32C TLV uses (RFC 3720 B.4).
uint32_t Crc32c(const uint8_t* data, size_t length, uint32_t crc = 0);

// Splits a TLV area (type u8, length u16 BE, value) that must be exactly filled; offsets are
// relative to `data` plus `base`. False + error on truncation.
bool SplitProxyTlvs(const uint8_t* data, size_t length, size_t base, std::vector<ProxyTlv>* out, const char** error);

// Checks and decodes the known TLVs of a header; `data` holds the TLV values at the offsets of
// `tlvs`. With `header`/`headerLength` set, a CRC32C TLV is verified over the header. False +
// error if a known TLV is malformed or the checksum does not match.
bool DecodeProxyTlvs(const uint8_t* data, const std::vector<ProxyTlv>& tlvs, const uint8_t* header, size_t headerLength,
                     ProxyTlvInfo* info, const char** error);

}  // namespace hakit::lb
