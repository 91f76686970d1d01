// The data path's own on-disk state: backing-file I/O, the dirty bitmap (one bit per 4 KiB,
// little-endian 64-bit words) and the activity log (the hot 4 MiB extents, written as a
// checksummed transaction into one of two alternating 4 KiB slots before a write may touch a
// new extent, so a crashed primary resyncs only those extents).
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "drbd/crypto.h"
#include "drbd/engine.h"

namespace hakit::drbd {
namespace {

struct AlignedBuffer {
  uint8_t* data = nullptr;
  explicit AlignedBuffer(size_t length) {
    void* p = nullptr;
    if (posix_memalign(&p, 4096, length == 0 ? 4096 : length) == 0) data = static_cast<uint8_t*>(p);
  }
  ~AlignedBuffer() { free(data); }
};

bool WriteAll(int fd, const uint8_t* data, uint64_t offset, uint64_t length) {
  while (length > 0) {
    ssize_t n = pwrite(fd, data, length, off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n; offset += uint64_t(n); length -= uint64_t(n);
  }
  return true;
}

bool ReadAll(int fd, uint8_t* data, uint64_t offset, uint64_t length) {
  while (length > 0) {
    ssize_t n = pread(fd, data, length, off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) { std::memset(data, 0, length); return true; }  // sparse tail
    data += n; offset += uint64_t(n); length -= uint64_t(n);
  }
  return true;
}

// Writes one range and makes just that range stable: pwritev2(RWF_DSYNC) syncs the written
// range (and the metadata needed to read it back), where fdatasync would also write back every
// dirty page of the file, i.e. all of a Primary's buffered data when the meta-data is internal
// (pwritev2(2), Linux >= 4.7). Falls back to pwrite + fdatasync where RWF_DSYNC is refused.
bool WriteStable(int fd, const uint8_t* data, uint64_t offset, uint64_t length) {
  while (length > 0) {
    iovec iov{const_cast<uint8_t*>(data), length};
    ssize_t n = pwritev2(fd, &iov, 1, off_t(offset), RWF_DSYNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL)) return WriteAll(fd, data, offset, length) && fdatasync(fd) == 0;
    if (n <= 0) return false;
    data += n; offset += uint64_t(n); length -= uint64_t(n);
  }
  return true;
}

}  // namespace

bool Engine::DiskWrite(const uint8_t* data, uint64_t offset, uint64_t length) {
  if (!cfg_.direct) {
    if (!WriteAll(dataFd_, data, offset, length)) return false;
    // Start writing large writes back now, as a block device would take them: otherwise the
    // page cache holds them until the next flush, which then pays for all of them at once.
    if (length >= kWritebackBytes) sync_file_range(dataFd_, off_t(offset), off_t(length), SYNC_FILE_RANGE_WRITE);
    return true;
  }
  AlignedBuffer buffer(length);
  if (!buffer.data) return false;
  std::memcpy(buffer.data, data, length);
  return WriteAll(dataFd_, buffer.data, offset, length);
}

bool Engine::DiskRead(uint8_t* data, uint64_t offset, uint64_t length) {
  if (!cfg_.direct) return ReadAll(dataFd_, data, offset, length);
  AlignedBuffer buffer(length);
  if (!buffer.data || !ReadAll(dataFd_, buffer.data, offset, length)) return false;
  std::memcpy(data, buffer.data, length);
  return true;
}

bool Engine::DiskTrim(uint64_t offset, uint64_t length) {
  if (fallocate(dataFd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off_t(offset), off_t(length)) == 0) return true;
  std::vector<uint8_t> zeros(std::min<uint64_t>(length, 1u << 20), 0);
  for (uint64_t at = 0; at < length; at += zeros.size()) {
    uint64_t n = std::min<uint64_t>(zeros.size(), length - at);
    if (!DiskWrite(zeros.data(), offset + at, n)) return false;
  }
  return true;
}

void Engine::DiskSync() {
  uint64_t gen = writeGen_;
  if (dataFd_ >= 0) fdatasync(dataFd_);
  if (gen > syncedGen_) syncedGen_ = gen;
  unsyncedBytes_ = 0;
}

void Engine::LoadBitmap() {
  std::vector<uint8_t> raw(bitmap_.size() * 8);
  ReadAll(metaFd_, raw.data(), cfg_.bitmapOffset, raw.size());
  uint64_t count = 0;
  for (size_t i = 0; i < bitmap_.size(); i++) {
    uint64_t word = 0;
    for (int b = 0; b < 8; b++) word |= uint64_t(raw[8 * i + b]) << (8 * b);
    bitmap_[i] = word;
  }
  if (totalBits_ % 64 != 0 && !bitmap_.empty()) bitmap_.back() &= (uint64_t(1) << (totalBits_ % 64)) - 1;
  for (uint64_t word : bitmap_) count += uint64_t(__builtin_popcountll(word));
  dirtyBits_ = count;
}

void Engine::MarkDirty(uint64_t offset, uint64_t length, bool persist) {
  if (length == 0 || totalBits_ == 0) return;
  uint64_t first = offset / kBlockSize, last = (offset + length - 1) / kBlockSize;
  MarkBits(first, std::min(last, totalBits_ - 1), persist);
}

void Engine::MarkBits(uint64_t first, uint64_t last, bool persist) {
  if (totalBits_ == 0 || first >= totalBits_) return;
  bool added = false;
  for (uint64_t bit = first; bit <= last && bit < totalBits_; bit++) {
    uint64_t mask = uint64_t(1) << (bit % 64);
    if (bitmap_[bit / 64] & mask) continue;
    bitmap_[bit / 64] |= mask;
    dirtyBits_++;
    lazyPages_.insert(bit / 64 / 512);
    added = true;
  }
  if (added && persist && dataFd_ >= 0) PersistBitmap(false);
}

void Engine::ClearDirty(uint64_t offset, uint64_t length) {
  if (length == 0) return;
  uint64_t first = offset / kBlockSize, last = (offset + length - 1) / kBlockSize;
  for (uint64_t bit = first; bit <= last && bit < totalBits_; bit++) {
    uint64_t mask = uint64_t(1) << (bit % 64);
    if (!(bitmap_[bit / 64] & mask)) continue;
    bitmap_[bit / 64] &= ~mask;
    dirtyBits_--;
    lazyPages_.insert(bit / 64 / 512);
  }
}

void Engine::PersistBitmap(bool all) {
  if (metaFd_ < 0) { lazyPages_.clear(); return; }
  std::set<uint64_t> pages;
  if (all) for (uint64_t page = 0; page * 512 < bitmap_.size(); page++) pages.insert(page);
  else pages.swap(lazyPages_);
  if (pages.empty()) return;
  // Runs of nearby pages (gaps of up to 16 clean pages are rewritten as they are) go out as one
  // stable write each.
  std::vector<uint8_t> raw;
  for (auto it = pages.begin(); it != pages.end();) {
    uint64_t first = *it, last = *it;
    for (++it; it != pages.end() && *it - last <= 16; ++it) last = *it;
    size_t firstWord = size_t(first * 512);
    size_t words = std::min<size_t>((last - first + 1) * 512, bitmap_.size() - firstWord);
    raw.resize(words * 8);
    for (size_t i = 0; i < words; i++)
      for (int b = 0; b < 8; b++) raw[8 * i + b] = uint8_t(bitmap_[firstWord + i] >> (8 * b));
    WriteStable(metaFd_, raw.data(), cfg_.bitmapOffset + first * 4096, raw.size());
  }
  lazyPages_.clear();
}

void Engine::ActivateAl(uint64_t offset, uint64_t length) {
  if (length == 0) return;
  uint32_t first = uint32_t(offset / kAlExtentSize), last = uint32_t((offset + length - 1) / kAlExtentSize);
  bool changed = false;
  for (uint32_t extent = first; extent <= last; extent++) {
    auto found = alIndex_.find(extent);
    if (found != alIndex_.end()) {
      alLru_.splice(alLru_.begin(), alLru_, found->second);
      continue;
    }
    if (alLru_.size() >= std::min(cfg_.alExtents, kAlMaxExtents)) {
      // Leaving the log: anything still unconfirmed by the peer in that extent goes to the bitmap.
      uint32_t victim = alLru_.back();
      for (const TlEntry& entry : tl_)
        if (entry.offset / kAlExtentSize <= victim && (entry.offset + entry.length - 1) / kAlExtentSize >= victim) MarkDirty(entry.offset, entry.length, false);
      if (!lazyPages_.empty()) PersistBitmap(false);
      alIndex_.erase(victim);
      alLru_.pop_back();
    }
    alLru_.push_front(extent);
    alIndex_[extent] = alLru_.begin();
    changed = true;
  }
  if (changed) WriteAl();
}

void Engine::WriteAl() {
  if (metaFd_ < 0) return;
  std::vector<uint8_t> block(4096, 0);
  Encoder enc(block);
  block.clear();
  enc.U32(kAlMagic);
  enc.U64(alSeq_);
  enc.U32(uint32_t(alLru_.size()));
  enc.U32(0);
  for (uint32_t extent : alLru_) enc.U32(extent);
  block.resize(4096, 0);
  uint32_t crc = Crc32c(0, block.data(), block.size());
  for (int i = 0; i < 4; i++) block[16 + i] = uint8_t(crc >> (24 - 8 * i));
  WriteStable(metaFd_, block.data(), cfg_.alOffset + (alSeq_ % 2) * 4096, 4096);
  alSeq_++;
}

void Engine::ReplayAl() {
  uint64_t bestSeq = 0;
  std::vector<uint32_t> extents;
  for (int slot = 0; slot < 2; slot++) {
    std::vector<uint8_t> block(4096);
    if (!ReadAll(metaFd_, block.data(), cfg_.alOffset + uint64_t(slot) * 4096, 4096)) continue;
    if (GetU32(block.data()) != kAlMagic) continue;
    uint64_t seq = GetU64(block.data() + 4);
    uint32_t count = GetU32(block.data() + 12);
    uint32_t crc = GetU32(block.data() + 16);
    std::memset(block.data() + 16, 0, 4);
    if (count > kAlMaxExtents || Crc32c(0, block.data(), block.size()) != crc || seq < bestSeq) continue;
    bestSeq = seq;
    extents.clear();
    for (uint32_t i = 0; i < count; i++) extents.push_back(GetU32(block.data() + 20 + 4 * i));
  }
  alSeq_ = bestSeq + 1;
  for (uint32_t extent : extents) MarkDirty(uint64_t(extent) * kAlExtentSize, kAlExtentSize, false);
  alReplayed_ = extents.size();
  if (!extents.empty()) PersistBitmap(false);
}

void Engine::MarkTlDirty() {
  if (dataFd_ < 0) { tl_.clear(); return; }
  for (const TlEntry& entry : tl_) MarkDirty(entry.offset, entry.length, false);
  for (auto& [seq, p] : inflight_) if (!p.read && !p.flush) MarkDirty(p.offset, p.length, false);
  tl_.clear();
  if (!lazyPages_.empty()) PersistBitmap(false);
}

}  // namespace hakit::drbd
