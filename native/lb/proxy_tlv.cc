#include "lb/proxy_tlv.h"

#include <array>

namespace hakit::lb {
namespace {

const std::array<uint32_t, 256>& Crc32cTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

uint32_t ReadBe32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) | (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

}  // namespace

uint32_t Crc32c(const uint8_t* data, size_t length, uint32_t crc) {
  const auto& table = Crc32cTable();
  crc = ~crc;
  for (size_t i = 0; i < length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

bool SplitProxyTlvs(const uint8_t* data, size_t length, size_t base, std::vector<ProxyTlv>* out, const char** error) {
  size_t pos = 0;
  while (pos < length) {
    if (length - pos < 3) {
      *error = "v2: truncated TLV";
      return false;
    }
    const uint8_t type = data[pos];
    const size_t len = (static_cast<size_t>(data[pos + 1]) << 8) | data[pos + 2];
    if (length - pos - 3 < len) {
      *error = "v2: TLV longer than the header";
      return false;
    }
    out->push_back({type, base + pos + 3, len});
    pos += 3 + len;
  }
  return true;
}

bool DecodeProxyTlvs(const uint8_t* data, const std::vector<ProxyTlv>& tlvs, const uint8_t* header, size_t headerLength,
                     ProxyTlvInfo* info, const char** error) {
  for (const ProxyTlv& t : tlvs) {
    const uint8_t* v = data + t.offset;
    const std::string text(reinterpret_cast<const char*>(v), t.length);
    switch (t.type) {
      case kPp2Alpn: info->hasAlpn = true; info->alpn = text; break;
      case kPp2Authority: info->hasAuthority = true; info->authority = text; break;
      case kPp2Netns: info->hasNetns = true; info->netns = text; break;
      case kPp2UniqueId:
        if (t.length > kPp2UniqueIdMax) {
          *error = "v2: UNIQUE_ID longer than 128 bytes";
          return false;
        }
        info->hasUniqueId = true;
        info->uniqueId = text;
        break;
      case kPp2Crc32c: {
        if (t.length != 4) {
          *error = "v2: CRC32C TLV must be 4 bytes";
          return false;
        }
        info->hasCrc32c = true;
        if (header == nullptr) break;
        // The checksum covers the whole header with its own value zeroed (spec 2.2.1).
        if (t.offset + 4 > headerLength) {
          *error = "v2: CRC32C TLV outside the header";
          return false;
        }
        static const uint8_t kZero[4] = {0, 0, 0, 0};
        uint32_t crc = Crc32c(header, t.offset);
        crc = Crc32c(kZero, 4, crc);
        crc = Crc32c(header + t.offset + 4, headerLength - t.offset - 4, crc);
        if (crc != ReadBe32(v)) {
          *error = "v2: CRC32C mismatch";
          return false;
        }
        break;
      }
      case kPp2Ssl: {
        // struct pp2_tlv_ssl { uint8_t client; uint32_t verify; struct pp2_tlv sub_tlv[0]; }
        if (t.length < 5) {
          *error = "v2: SSL TLV shorter than 5 bytes";
          return false;
        }
        info->hasSsl = true;
        info->sslClient = v[0];
        info->sslVerify = ReadBe32(v + 1);
        std::vector<ProxyTlv> subs;
        if (!SplitProxyTlvs(v + 5, t.length - 5, t.offset + 5, &subs, error)) return false;
        for (const ProxyTlv& s : subs) {
          std::string value(reinterpret_cast<const char*>(data + s.offset), s.length);
          switch (s.type) {
            case kPp2SslVersion: info->sslVersion = value; break;
            case kPp2SslCn: info->sslCn = value; break;
            case kPp2SslCipher: info->sslCipher = value; break;
            case kPp2SslSigAlg: info->sslSigAlg = value; break;
            case kPp2SslKeyAlg: info->sslKeyAlg = value; break;
            default: break;  // unknown sub-TLVs are ignored, as unknown TLVs are
          }
        }
        break;
      }
      default: break;  // NOOP, custom and unknown types: kept raw, not interpreted
    }
  }
  return true;
}

}  // namespace hakit::lb
