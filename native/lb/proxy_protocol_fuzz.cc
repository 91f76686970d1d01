// libFuzzer target: the PROXY protocol parser and the v2 TLV decoder must never read out of
// bounds; a complete header must describe bytes inside the input. The first byte picks the
// mode: a whole header, or a bare TLV area (as the relay hands TLVs to JavaScript).
#include <cstdlib>

#include "lb/proxy_protocol.h"
#include "lb/proxy_tlv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool bareTlvs = (data[0] & 0x80) != 0;  // headers start with 0x0d or 'P'
  if (bareTlvs) {
    std::vector<hakit::lb::ProxyTlv> tlvs;
    const char* error = nullptr;
    if (!hakit::lb::SplitProxyTlvs(data + 1, size - 1, 1, &tlvs, &error)) return 0;
    for (const auto& tlv : tlvs)
      if (tlv.offset + tlv.length > size) abort();
    hakit::lb::ProxyTlvInfo info;
    hakit::lb::DecodeProxyTlvs(data, tlvs, nullptr, 0, &info, &error);
    return 0;
  }
  hakit::lb::ProxyHeader header;
  auto result = hakit::lb::ParseProxyHeader(data, size, &header);
  if (result == hakit::lb::ProxyParse::kComplete) {
    if (header.length == 0 || header.length > size) abort();
    for (const auto& tlv : header.tlvs)
      if (tlv.offset + tlv.length > header.length) abort();
    hakit::lb::ProxyTlvInfo info;
    const char* error = nullptr;
    if (!hakit::lb::DecodeProxyTlvs(data, header.tlvs, data, header.length, &info, &error)) abort();  // the parser checked them
  }
  return 0;
}
