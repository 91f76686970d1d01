// Robert Jenkins' 32-bit mix as CRUSH uses it (rjenkins1, hash type 0). Reference: Ceph
// src/crush/hash.c; the seed and the initial x/y constants are part of the placement contract.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hakit::crush {

constexpr uint32_t kHashSeed = 1315423911u;

inline void HashMix(uint32_t& a, uint32_t& b, uint32_t& c) {
  a -= b; a -= c; a ^= (c >> 13);
  b -= c; b -= a; b ^= (a << 8);
  c -= a; c -= b; c ^= (b >> 13);
  a -= b; a -= c; a ^= (c >> 12);
  b -= c; b -= a; b ^= (a << 16);
  c -= a; c -= b; c ^= (b >> 5);
  a -= b; a -= c; a ^= (c >> 3);
  b -= c; b -= a; b ^= (a << 10);
  c -= a; c -= b; c ^= (b >> 15);
}

inline uint32_t Hash2(uint32_t a, uint32_t b) {
  uint32_t hash = kHashSeed ^ a ^ b, x = 231232, y = 1232;
  HashMix(a, b, hash);
  HashMix(x, a, hash);
  HashMix(b, y, hash);
  return hash;
}

inline uint32_t Hash3(uint32_t a, uint32_t b, uint32_t c) {
  uint32_t hash = kHashSeed ^ a ^ b ^ c, x = 231232, y = 1232;
  HashMix(a, b, hash);
  HashMix(c, x, hash);
  HashMix(y, a, hash);
  HashMix(b, x, hash);
  HashMix(y, c, hash);
  return hash;
}

inline uint32_t Hash4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  uint32_t hash = kHashSeed ^ a ^ b ^ c ^ d, x = 231232, y = 1232;
  HashMix(a, b, hash);
  HashMix(c, d, hash);
  HashMix(a, x, hash);
  HashMix(y, b, hash);
  HashMix(c, x, hash);
  HashMix(y, d, hash);
  return hash;
}

// The same hashes over four lanes at once (GCC/Clang vector extensions: SSE2 on x86-64, NEON
// on arm64). straw2 hashes every item of a bucket with the same x and r, so a bucket's items
// are hashed four at a time; the mix is only add/sub/xor/shift, so lanes stay bit-exact.
typedef uint32_t U32x4 __attribute__((vector_size(16)));

inline void HashMix(U32x4& a, U32x4& b, U32x4& c) {
  a -= b; a -= c; a ^= (c >> 13);
  b -= c; b -= a; b ^= (a << 8);
  c -= a; c -= b; c ^= (b >> 13);
  a -= b; a -= c; a ^= (c >> 12);
  b -= c; b -= a; b ^= (a << 16);
  c -= a; c -= b; c ^= (b >> 5);
  a -= b; a -= c; a ^= (c >> 3);
  b -= c; b -= a; b ^= (a << 10);
  c -= a; c -= b; c ^= (b >> 15);
}

inline U32x4 Hash3(U32x4 a, U32x4 b, U32x4 c) {
  U32x4 hash = kHashSeed ^ a ^ b ^ c;
  U32x4 x = U32x4{} + 231232u, y = U32x4{} + 1232u;
  HashMix(a, b, hash);
  HashMix(c, x, hash);
  HashMix(y, a, hash);
  HashMix(b, x, hash);
  HashMix(y, c, hash);
  return hash;
}

// Ceph returns 0 for any hash type other than rjenkins1 (0); buckets carry their type.
inline uint32_t BucketHash3(int type, uint32_t a, uint32_t b, uint32_t c) { return type == 0 ? Hash3(a, b, c) : 0; }
inline uint32_t BucketHash4(int type, uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return type == 0 ? Hash4(a, b, c, d) : 0; }

// Ceph's ceph_str_hash_rjenkins (object name -> placement seed), Jenkins' lookup2 over bytes.
uint32_t StrHashRjenkins(const uint8_t* data, size_t length);

}  // namespace hakit::crush
