// PROXY protocol v1 and v2 header parser (haproxy.org/download/2.6/doc/proxy-protocol.txt).
// Plain C++ so the libFuzzer target links it without Node.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hakit::lb {

enum class ProxyParse { kComplete, kIncomplete, kInvalid };

struct ProxyTlv {
  uint8_t type;
  size_t offset;  // of the value, from the start of the header
  size_t length;
};

struct ProxyHeader {
  int version = 0;           // 1 or 2
  bool local = false;        // v2 LOCAL command or v1 UNKNOWN: use the real connection's addresses
  int family = 0;            // 0 unspec, 4 = IPv4, 6 = IPv6, 1 = unix
  int transport = 0;         // 0 unspec, 1 stream (TCP), 2 datagram
  std::string source, destination;
  uint16_t sourcePort = 0, destinationPort = 0;
  size_t length = 0;         // bytes the header occupies
  std::vector<ProxyTlv> tlvs;
  std::string error;         // why it is invalid
};

constexpr size_t kProxyV1MaxLength = 107;
constexpr size_t kProxyV2HeaderLength = 16;

// Parses a header at the start of data. kIncomplete: more bytes are needed (and could still
// make it valid); kInvalid: header.error says why.
ProxyParse ParseProxyHeader(const uint8_t* data, size_t length, ProxyHeader* header);

}  // namespace hakit::lb
