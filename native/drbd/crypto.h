// Hashes the replication link needs, written from their specifications so the fuzz build and
// the addon need no external library: SHA-256 (FIPS 180-4), HMAC (RFC 2104) and CRC-32C
// (Castagnoli polynomial, RFC 3720 appendix B.4).
#pragma once
#include <cstddef>
#include <cstdint>

namespace hakit::drbd {

constexpr size_t kSha256Size = 32;

class Sha256 {
 public:
  Sha256();
  void Update(const uint8_t* data, size_t length);
  void Final(uint8_t out[kSha256Size]);

 private:
  void Block(const uint8_t* block);
  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_ = 0;
};

void Sha256Digest(const uint8_t* data, size_t length, uint8_t out[kSha256Size]);
void HmacSha256(const uint8_t* key, size_t keyLength, const uint8_t* data, size_t length, uint8_t out[kSha256Size]);
uint32_t Crc32c(uint32_t crc, const uint8_t* data, size_t length);
// Constant-time comparison for authenticators.
bool SameBytes(const uint8_t* a, const uint8_t* b, size_t length);

}  // namespace hakit::drbd
