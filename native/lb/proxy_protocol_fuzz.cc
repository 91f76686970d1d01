// libFuzzer target: the PROXY protocol parser must never read out of bounds, and a complete
// header must describe bytes inside the input.
#include <cstdlib>

#include "lb/proxy_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hakit::lb::ProxyHeader header;
  auto result = hakit::lb::ParseProxyHeader(data, size, &header);
  if (result == hakit::lb::ProxyParse::kComplete) {
    if (header.length == 0 || header.length > size) abort();
    for (const auto& tlv : header.tlvs)
      if (tlv.offset + tlv.length > header.length) abort();
  }
  return 0;
}
