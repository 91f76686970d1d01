// Object-name hash. Reference: Ceph src/common/ceph_hash.cc (ceph_str_hash_rjenkins), which is
// Bob Jenkins' lookup2: 12-byte blocks mixed with the same mix as CRUSH, golden-ratio start.
#include "crush/hash.h"

namespace hakit::crush {

uint32_t StrHashRjenkins(const uint8_t* k, size_t length) {
  uint32_t a = 0x9e3779b9u, b = a, c = 0;
  size_t len = length;
  while (len >= 12) {
    a += k[0] + (uint32_t(k[1]) << 8) + (uint32_t(k[2]) << 16) + (uint32_t(k[3]) << 24);
    b += k[4] + (uint32_t(k[5]) << 8) + (uint32_t(k[6]) << 16) + (uint32_t(k[7]) << 24);
    c += k[8] + (uint32_t(k[9]) << 8) + (uint32_t(k[10]) << 16) + (uint32_t(k[11]) << 24);
    HashMix(a, b, c);
    k += 12;
    len -= 12;
  }
  c += uint32_t(length);
  switch (len) {  // the first byte of c is reserved for the length
    case 11: c += uint32_t(k[10]) << 24; [[fallthrough]];
    case 10: c += uint32_t(k[9]) << 16; [[fallthrough]];
    case 9: c += uint32_t(k[8]) << 8; [[fallthrough]];
    case 8: b += uint32_t(k[7]) << 24; [[fallthrough]];
    case 7: b += uint32_t(k[6]) << 16; [[fallthrough]];
    case 6: b += uint32_t(k[5]) << 8; [[fallthrough]];
    case 5: b += k[4]; [[fallthrough]];
    case 4: a += uint32_t(k[3]) << 24; [[fallthrough]];
    case 3: a += uint32_t(k[2]) << 16; [[fallthrough]];
    case 2: a += uint32_t(k[1]) << 8; [[fallthrough]];
    case 1: a += k[0]; break;
    default: break;
  }
  HashMix(a, b, c);
  return c;
}

}  // namespace hakit::crush
