// The Primary's side of the data path: reads, writes (shipped to the peer and written locally
// at the same time), flushes and the epochs that group writes between barriers.
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "drbd/crypto.h"
#include "drbd/engine.h"

namespace hakit::drbd {

void Engine::DoRead(Command& c) {
  if (dataFd_ >= 0) {
    std::vector<uint8_t> data(c.length);
    if (!DiskRead(data.data(), c.offset, c.length)) { Complete(c.id, -EIO); return; }
    Complete(c.id, 0, std::move(data));
    return;
  }
  if (phase_ != Phase::Established) { Complete(c.id, -EIO); return; }
  uint64_t seq = nextSeq_++;
  uint8_t payload[20];
  std::vector<uint8_t> buf;
  Encoder enc(buf);
  enc.U64(seq); enc.U64(c.offset); enc.U32(uint32_t(c.length));
  std::memcpy(payload, buf.data(), 20);
  SendRaw(PacketType::ReadRequest, {{payload, 20}});
  inflight_[seq] = Pending{c.id, seq, epoch_, c.offset, c.length, 0, false, false, false, true, NowMs()};
}

void Engine::DoWrite(Command& c) {
  bool trim = c.op == Op::Trim;
  bool linked = phase_ == Phase::Established;
  auto local = [&]() -> bool {
    if (dataFd_ < 0) return true;
    return trim ? DiskTrim(c.offset, c.length) : DiskWrite(c.Bytes(), c.offset, c.length);
  };
  // The activity log covers the extent before either copy changes.
  if (dataFd_ >= 0) ActivateAl(c.offset, c.length);
  if (!linked) {
    // Degraded: the peer misses this write; remember it before reporting success.
    if (!local()) { Complete(c.id, -EIO); return; }
    MarkDirty(c.offset, c.length, true);
    Complete(c.id, 0);
    return;
  }
  uint64_t seq = nextSeq_++;
  bool wantWrite = cfg_.protocol == 'C' || dataFd_ < 0;
  bool wantRecv = cfg_.protocol == 'B' && !wantWrite;
  uint32_t flags = (trim ? kDataTrim : 0) | (wantRecv ? kDataWantRecvAck : 0) | (wantWrite ? kDataWantWriteAck : 0) | (cfg_.dataDigest ? kDataDigest : 0);
  std::vector<uint8_t>& head = headScratch_;  // reused: no allocation per write
  head.clear();
  Encoder enc(head);
  enc.U64(seq); enc.U32(epoch_); enc.U64(c.offset); enc.U32(uint32_t(c.length)); enc.U32(flags);
  if (cfg_.dataDigest) enc.U32(trim ? 0 : Crc32c(0, c.Bytes(), c.length));
  if (trim) SendRaw(PacketType::Data, {{head.data(), head.size()}});
  else if (c.borrowed) SendWithExternal(PacketType::Data, head.data(), head.size(), c.borrowed, c.length);
  else SendRaw(PacketType::Data, {{head.data(), head.size()}, {c.Bytes(), c.length}});
  epochWrites_++;
  tl_.push_back(TlEntry{seq, epoch_, c.offset, c.length});
  inflight_[seq] = Pending{c.id, seq, epoch_, c.offset, c.length, queuedTotal_, wantRecv, wantWrite, false, false, NowMs()};
  // Nothing else waiting: close the epoch now, so the barrier leaves in the same segment and
  // the peer syncs and acks both at once.
  if (held_.empty() && NoCommandsQueued()) CloseEpoch();
  // Start the peer's copy, then write ours meanwhile (DRBD submits both in parallel). Acks are
  // only read on this thread, after the local write; protocol A completes in FlushOut, later.
  SendSome();
  if (!local()) {
    Emit(Event{"io-error", 0, EIO, double(c.offset), double(c.length), "local write failed", {}});
    inflight_.erase(seq);
    Complete(c.id, -EIO);
  }
}

bool Engine::NoCommandsQueued() {
  return queued_.load(std::memory_order_acquire) == 0;
}

// Hands queued bytes to the kernel without acting on errors (FlushOut reports them).
void Engine::SendSome() {
  while (sock_ >= 0 && phase_ != Phase::Connecting && Unsent() > 0) {
    ssize_t n = out_.SendTo(sock_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) break;
    sentTotal_ += uint64_t(n);
    lastSendMs_ = NowMs();
  }
}

// A flush: local data on stable storage, then a barrier the peer acknowledges only once its
// copy of everything before it is on stable storage too.
void Engine::DoFlush(Command& c) {
  if (dataFd_ >= 0) DiskSync();
  if (phase_ != Phase::Established) { Complete(c.id, 0); return; }
  uint32_t epoch = SendBarrier(true);
  uint64_t seq = nextSeq_++;
  inflight_[seq] = Pending{c.id, seq, epoch, 0, 0, queuedTotal_, false, false, true, false, NowMs()};
}

// End of a batch of writes: close the epoch with a barrier so the peer groups them.
void Engine::CloseEpoch() {
  if (epochWrites_ == 0 || phase_ != Phase::Established) return;
  SendBarrier(false);
}

// Closes the current epoch with a Barrier (flagged when a flush waits on it); returns its number.
uint32_t Engine::SendBarrier(bool flush) {
  uint32_t epoch = epoch_++;
  std::vector<uint8_t> payload;
  Encoder enc(payload);
  enc.U32(epoch); enc.U32(flush ? 1 : 0);
  Send(PacketType::Barrier, payload);
  epochWrites_ = 0;
  return epoch;
}

}  // namespace hakit::drbd
