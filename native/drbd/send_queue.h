// The link's send queue: packets encoded into owned buffers, and large write payloads left
// where they are (the caller's pinned buffer) and handed to the kernel with sendmsg's
// scatter-gather, so a 1 MiB write is not copied once more before the socket copies it.
#pragma once
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

namespace hakit::drbd {

class SendQueue {
 public:
  // Where the next packet is encoded (appended to).
  std::vector<uint8_t>& Tail() {
    if (chunks_.empty() || chunks_.back().external || chunks_.back().own.size() >= kChunkBytes) chunks_.emplace_back();
    return chunks_.back().own;
  }
  // A payload that stays in memory the caller keeps valid until it is sent or Clear()ed.
  void AppendExternal(const uint8_t* data, size_t length) {
    Chunk chunk;
    chunk.external = data;
    chunk.length = length;
    chunks_.push_back(std::move(chunk));
  }
  // One sendmsg of up to kIov chunks; the result of sendmsg (bytes, or -1 and errno).
  ssize_t SendTo(int fd, int flags) {
    iovec iov[kIov];
    int count = 0;
    for (const Chunk& c : chunks_) {
      if (count == kIov) break;
      if (c.sent == c.Size()) continue;
      iov[count].iov_base = const_cast<uint8_t*>(c.Data() + c.sent);
      iov[count].iov_len = c.Size() - c.sent;
      count++;
    }
    if (count == 0) return 0;
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = size_t(count);
    ssize_t n = sendmsg(fd, &message, flags);
    if (n > 0) Advance(size_t(n));
    return n;
  }
  void Clear() { chunks_.clear(); }

 private:
  static constexpr size_t kChunkBytes = 256u << 10;
  static constexpr int kIov = 64;
  struct Chunk {
    std::vector<uint8_t> own;
    const uint8_t* external = nullptr;
    size_t length = 0, sent = 0;
    size_t Size() const { return external ? length : own.size(); }
    const uint8_t* Data() const { return external ? external : own.data(); }
  };
  void Advance(size_t n) {
    while (n > 0 && !chunks_.empty()) {
      Chunk& c = chunks_.front();
      size_t take = std::min(n, c.Size() - c.sent);
      c.sent += take;
      n -= take;
      // A fully sent chunk goes, unless it is the owned tail that packets are encoded into.
      if (c.sent == c.Size() && (chunks_.size() > 1 || c.external)) chunks_.pop_front();
      else if (c.sent == c.Size()) { c.own.clear(); c.sent = 0; }
    }
  }
  std::deque<Chunk> chunks_;
};

}  // namespace hakit::drbd
