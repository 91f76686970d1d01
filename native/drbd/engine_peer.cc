// Received packets after authentication: the secondary's write path (acks per protocol,
// barriers), the primary's ack handling, bitmap exchange, resync and online verify.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "drbd/crypto.h"
#include "drbd/engine.h"

namespace hakit::drbd {

uint32_t Engine::DigestSize(const std::string& alg) const {
  if (alg == "sha256") return 32;
  if (alg == "crc32c") return 4;
  return 0;
}

void Engine::Digests(const uint8_t* data, uint64_t length, const std::string& alg, std::vector<uint8_t>& out) const {
  out.clear();
  for (uint64_t at = 0; at < length; at += kBlockSize) {
    if (alg == "sha256") {
      uint8_t digest[32];
      Sha256Digest(data + at, kBlockSize, digest);
      out.insert(out.end(), digest, digest + 32);
    } else {
      uint32_t crc = Crc32c(0, data + at, kBlockSize);
      for (int i = 0; i < 4; i++) out.push_back(uint8_t(crc >> (24 - 8 * i)));
    }
  }
}

void Engine::HandlePacket(const Packet& k) {
  if (phase_ == Phase::Handshake) { HandleAuth(k); return; }
  std::string error;
  uint32_t digestSize = k.type == PacketType::OvRequest ? DigestSize(cfg_.verifyAlg) : DigestSize(cfg_.csumsAlg);
  if (!ValidateAgainst(k, cfg_.dataSize, digestSize, error)) { Drop("ProtocolError", error); return; }
  switch (k.type) {
    case PacketType::AuthChallenge: case PacketType::AuthResponse: case PacketType::AuthOk:
      Drop("ProtocolError", "authentication packet after authentication");
      return;
    case PacketType::State: {
      Event event{"state", 0, 0, 0, 0, "", {}};
      event.data.assign(k.data, k.data + k.dataLength);
      Emit(std::move(event));
      return;
    }
    case PacketType::Ping: Send(PacketType::PingAck); return;
    case PacketType::PingAck: return;
    case PacketType::Data:
      if (primary_) { Drop("ProtocolError", "peer sent Data while this node is Primary"); return; }
      if (dataFd_ < 0) { Drop("ProtocolError", "peer sent Data to a diskless node"); return; }
      OnData(k);
      return;
    case PacketType::RecvAck: case PacketType::WriteAck: case PacketType::NegAck: case PacketType::BarrierAck:
      OnAck(k);
      return;
    case PacketType::Barrier:
      // Acknowledged once everything received before it is on stable storage.
      stableAcks_.push_back(StableAck{writeGen_, PacketType::BarrierAck, k.epoch});
      SyncAndAck();
      return;
    case PacketType::Bitmap: {
      for (size_t i = 0; i < k.dataLength / 8; i++) {
        uint64_t word = GetU64(k.data + 8 * i);
        uint64_t index = k.offset + i;
        uint64_t added = word & ~bitmap_[index];
        if (added == 0) continue;
        bitmap_[index] |= added;
        dirtyBits_ += uint64_t(__builtin_popcountll(added));
        lazyPages_.insert(index / 512);
      }
      return;
    }
    case PacketType::BitmapDone:
      if (dataFd_ >= 0) PersistBitmap(false);
      peerBitmapDone_ = true;
      return;
    case PacketType::RsRequest: case PacketType::CsumRsRequest:
      if (dataFd_ < 0) { Drop("ProtocolError", "resync request to a diskless node"); return; }
      OnRsRequest(k, k.type == PacketType::CsumRsRequest);
      return;
    case PacketType::RsData: case PacketType::RsInSync:
      if (syncMode_ != "target") { Drop("ProtocolError", "resync data while not SyncTarget"); return; }
      OnRsData(k, k.type == PacketType::RsInSync);
      return;
    case PacketType::RsAck:
      ClearDirty(k.offset, k.length);
      return;
    case PacketType::RsDone:
      if (syncMode_ != "source") { Drop("ProtocolError", "RsDone while not SyncSource"); return; }
      PersistBitmap(false);
      syncMode_.clear();
      for (auto& p : frozen_) Complete(p.id, 0);
      frozen_.clear();
      suspended_ = false;
      Emit(Event{"resync-done", 0, 0, double(dirtyBits_.load()), 0, "source", {}});
      return;
    case PacketType::OvRequest:
      if (dataFd_ < 0 || cfg_.verifyAlg.empty()) { Drop("ProtocolError", "verify request without a disk or verify-alg"); return; }
      OnOvRequest(k);
      return;
    case PacketType::OvReply:
      OnOvReply(k);
      return;
    case PacketType::ReadRequest: {
      std::vector<uint8_t> head;
      Encoder enc(head);
      enc.U64(k.seq);
      if (dataFd_ < 0) { enc.U32(EIO); SendRaw(PacketType::ReadReply, {{head.data(), head.size()}}); return; }
      scratch_.resize(k.length);
      bool ok = DiskRead(scratch_.data(), k.offset, k.length);
      enc.U32(ok ? 0 : EIO);
      if (ok) SendRaw(PacketType::ReadReply, {{head.data(), head.size()}, {scratch_.data(), k.length}});
      else SendRaw(PacketType::ReadReply, {{head.data(), head.size()}});
      return;
    }
    case PacketType::ReadReply: {
      auto it = inflight_.find(k.seq);
      if (it == inflight_.end() || !it->second.read) { Drop("ProtocolError", "ReadReply for an unknown request"); return; }
      if (k.status == 0 && k.dataLength != it->second.length) { Drop("ProtocolError", "ReadReply length mismatch"); return; }
      Complete(it->second.id, k.status == 0 ? 0 : -EIO, std::vector<uint8_t>(k.data, k.data + k.dataLength));
      inflight_.erase(it);
      return;
    }
  }
}

void Engine::OnData(const Packet& k) {
  bool trim = k.dataFlags & kDataTrim;
  auto nack = [&] {
    std::vector<uint8_t> payload;
    Encoder enc(payload);
    enc.U64(k.seq);
    Send(PacketType::NegAck, payload);
  };
  if ((k.dataFlags & kDataDigest) && !trim && Crc32c(0, k.data, k.dataLength) != k.crc) {
    Emit(Event{"integrity-error", 0, 0, double(k.offset), double(k.length), "data-integrity-alg digest mismatch: write refused", {}});
    Drop("ProtocolError", "Digest integrity check FAILED");
    return;
  }
  if (k.dataFlags & kDataWantRecvAck) {
    std::vector<uint8_t> payload;
    Encoder enc(payload);
    enc.U64(k.seq);
    Send(PacketType::RecvAck, payload);
    FlushOut();  // protocol B: the ack must not wait for our disk
    if (sock_ < 0) return;
  }
  // (Writing a lone 4 KiB write with RWF_DSYNC instead of write + fdatasync was tried: no
  // faster on the quiet machine, slower in two of two runs; bench/drbd/RESULTS.md.)
  bool ok = trim ? DiskTrim(k.offset, k.length) : DiskWrite(k.data, k.offset, k.length);
  if (!ok) { nack(); return; }
  writeGen_++;
  unsyncedBytes_ += k.length;
  if (k.dataFlags & kDataWantWriteAck) stableAcks_.push_back(StableAck{writeGen_, PacketType::WriteAck, k.seq});
}

// Group commit (protocol C's WriteAck, every BarrierAck): one fdatasync covers every write
// received before it started; acks leave in order once their write is covered. A small batch
// with nothing more to read is synced here (no thread hand-off on the 4 KiB path); a large one,
// or one with more data waiting in the socket, goes to the syncer thread so that receiving and
// writing go on during the fdatasync.
void Engine::SyncAndAck() {
  uint64_t done = syncDone_.load();
  if (done > syncedGen_) syncedGen_ = done;
  if (syncBusy_ && done >= syncAsked_) syncBusy_ = false;
  if (sock_ < 0 || stableAcks_.empty()) return;
  if (stableAcks_.back().gen > syncedGen_ && !syncBusy_) {
    int waiting = 0;
    bool more = ioctl(sock_, FIONREAD, &waiting) == 0 && waiting > 0;
    if (syncer_.joinable() && (more || unsyncedBytes_ >= kInlineSyncBytes)) {
      syncAsked_ = writeGen_;
      syncBusy_ = true;
      unsyncedBytes_ = 0;
      {
        std::lock_guard<std::mutex> lock(syncMutex_);
        syncWant_ = syncAsked_;
      }
      syncCv_.notify_one();
    } else {
      DiskSync();
    }
  }
  bool acked = false;
  while (!stableAcks_.empty() && stableAcks_.front().gen <= syncedGen_) {
    acked = true;
    const StableAck& ack = stableAcks_.front();
    uint8_t payload[8];
    if (ack.type == PacketType::WriteAck) {
      for (int i = 0; i < 8; i++) payload[i] = uint8_t(ack.value >> (56 - 8 * i));
      SendRaw(PacketType::WriteAck, {{payload, 8}});
    } else {
      for (int i = 0; i < 4; i++) payload[i] = uint8_t(ack.value >> (24 - 8 * i));
      SendRaw(PacketType::BarrierAck, {{payload, 4}});
    }
    stableAcks_.pop_front();
  }
  // The Primary is waiting for these: out now, not after the rest of this loop turn.
  if (acked) SendSome();
}

void Engine::SyncerLoop() {
  uint64_t done = 0;
  std::unique_lock<std::mutex> lock(syncMutex_);
  while (true) {
    syncCv_.wait(lock, [&] { return syncerStop_ || syncWant_ > done; });
    if (syncerStop_) return;
    uint64_t want = syncWant_;
    lock.unlock();
    fdatasync(dataFd_);
    done = want;
    syncDone_.store(want);
    uint64_t one = 1;
    (void)!write(wakeFd_, &one, sizeof one);
    lock.lock();
  }
}

void Engine::StopSyncer() {
  if (!syncer_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(syncMutex_);
    syncerStop_ = true;
  }
  syncCv_.notify_one();
  syncer_.join();
}

void Engine::OnAck(const Packet& k) {
  if (k.type == PacketType::BarrierAck) {
    while (!tl_.empty() && int32_t(tl_.front().epoch - k.epoch) <= 0) tl_.pop_front();
    for (auto it = inflight_.begin(); it != inflight_.end();) {
      if (it->second.flush && int32_t(it->second.epoch - k.epoch) <= 0) { Complete(it->second.id, 0); it = inflight_.erase(it); }
      else ++it;
    }
    return;
  }
  auto it = inflight_.find(k.seq);
  if (it == inflight_.end()) return;  // already completed (protocol A) or a late ack
  if (it->second.read || it->second.flush) { Drop("ProtocolError", "ack for a non-write request"); return; }
  if (k.type == PacketType::NegAck) {
    MarkDirty(it->second.offset, it->second.length, true);
    Complete(it->second.id, dataFd_ >= 0 ? 0 : -EIO);
    inflight_.erase(it);
    return;
  }
  if (k.type == PacketType::RecvAck && !it->second.wantRecv) return;
  Complete(it->second.id, 0);
  inflight_.erase(it);
}

void Engine::SendBitmap() {
  const size_t chunk = 8192;
  for (size_t start = 0; start < bitmap_.size(); start += chunk) {
    size_t end = std::min(bitmap_.size(), start + chunk);
    bool any = false;
    for (size_t i = start; i < end && !any; i++) any = bitmap_[i] != 0;
    if (!any) continue;
    std::vector<uint8_t> payload;
    Encoder enc(payload);
    enc.U64(start);
    for (size_t i = start; i < end; i++) enc.U64(bitmap_[i]);
    Send(PacketType::Bitmap, payload);
  }
  Send(PacketType::BitmapDone);
}

void Engine::ResyncStep() {
  int64_t now = NowMs();
  if (!syncRunning_) {
    if (!peerBitmapDone_) return;
    syncRunning_ = true;
    syncTotal_ = dirtyBits_;
    lastProgressMs_ = 0;
  }
  if (cfg_.resyncRate > 0) {
    double cap = std::max(double(cfg_.resyncRate) / 10, 131072.0);
    tokens_ = std::min(cap, tokens_ + double(now - tokensAtMs_) * double(cfg_.resyncRate) / 1000.0);
  }
  tokensAtMs_ = now;
  const bool csums = !cfg_.csumsAlg.empty();
  while (syncInflight_ < 16 && (cfg_.resyncRate == 0 || tokens_ > 0) && Unsent() < (4u << 20)) {
    uint64_t bit = syncCursor_;
    while (bit < totalBits_) {
      uint64_t word = bitmap_[bit / 64] >> (bit % 64);
      if (word != 0) { bit += uint64_t(__builtin_ctzll(word)); break; }
      bit = (bit / 64 + 1) * 64;
    }
    if (bit >= totalBits_) { syncCursor_ = totalBits_; break; }
    uint64_t run = 1;
    while (run < 32 && bit + run < totalBits_ && TestBit(bit + run)) run++;
    uint64_t offset = bit * kBlockSize, length = run * kBlockSize;
    std::vector<uint8_t> head;
    Encoder enc(head);
    enc.U64(offset); enc.U32(uint32_t(length));
    if (csums) {
      scratch_.resize(length);
      DiskRead(scratch_.data(), offset, length);
      std::vector<uint8_t> digests;
      Digests(scratch_.data(), length, cfg_.csumsAlg, digests);
      SendRaw(PacketType::CsumRsRequest, {{head.data(), head.size()}, {digests.data(), digests.size()}});
    } else {
      SendRaw(PacketType::RsRequest, {{head.data(), head.size()}});
    }
    syncCursor_ = bit + run;
    syncInflight_++;
    tokens_ -= double(length);
  }
  if (now - lastProgressMs_ >= 250) {
    lastProgressMs_ = now;
    Emit(Event{"resync-progress", 0, 0, double(dirtyBits_.load()), double(syncTotal_), "target", {}});
  }
  if (syncCursor_ >= totalBits_ && syncInflight_ == 0) {
    if (dirtyBits_ > 0) { syncCursor_ = 0; return; }
    ResyncFinished();
  }
}

void Engine::ResyncFinished() {
  DiskSync();
  PersistBitmap(false);
  Send(PacketType::RsDone);
  syncMode_.clear();
  syncRunning_ = false;
  Emit(Event{"resync-done", 0, 0, double(syncBytes_), double(syncEqualBytes_), "target", {}});
}

// Replies to one request: with csums, runs of equal blocks are RsInSync and the rest RsData;
// the last reply carries kFinalReply so the target knows the request is answered.
constexpr uint16_t kFinalReply = 1;

void Engine::OnRsRequest(const Packet& k, bool csums) {
  scratch_.resize(k.length);
  if (!DiskRead(scratch_.data(), k.offset, k.length)) { Drop("ProtocolError", "local read error during resync"); return; }
  const uint32_t blocks = k.length / kBlockSize;
  std::vector<uint8_t> mine;
  uint32_t size = DigestSize(cfg_.csumsAlg);
  if (csums) Digests(scratch_.data(), k.length, cfg_.csumsAlg, mine);
  uint32_t b = 0;
  while (b < blocks) {
    auto equal = [&](uint32_t i) { return csums && std::memcmp(mine.data() + i * size, k.data + i * size, size) == 0; };
    bool same = equal(b);
    uint32_t end = b + 1;
    while (end < blocks && equal(end) == same) end++;
    std::vector<uint8_t> head;
    Encoder enc(head);
    uint64_t offset = k.offset + uint64_t(b) * kBlockSize;
    uint32_t length = (end - b) * kBlockSize;
    enc.U64(offset); enc.U32(length);
    uint16_t flags = end == blocks ? kFinalReply : 0;
    if (same) SendRaw(PacketType::RsInSync, {{head.data(), head.size()}}, flags);
    else SendRaw(PacketType::RsData, {{head.data(), head.size()}, {scratch_.data() + uint64_t(b) * kBlockSize, length}}, flags);
    b = end;
  }
}

void Engine::OnRsData(const Packet& k, bool inSync) {
  if (!inSync && !DiskWrite(k.data, k.offset, k.length)) { Drop("ProtocolError", "local write error during resync"); return; }
  if (!inSync) { writeGen_++; unsyncedBytes_ += k.length; }
  ClearDirty(k.offset, k.length);
  syncBytes_ += k.length;
  if (inSync) syncEqualBytes_ += k.length;
  if ((k.flags & kFinalReply) && syncInflight_ > 0) syncInflight_--;
  std::vector<uint8_t> payload;
  Encoder enc(payload);
  enc.U64(k.offset); enc.U32(k.length);
  Send(PacketType::RsAck, payload);
}

void Engine::VerifyStep() {
  while (verifyInflight_ < 8 && verifyCursor_ < totalBits_ && Unsent() < (4u << 20)) {
    uint64_t run = std::min<uint64_t>(32, totalBits_ - verifyCursor_);
    uint64_t offset = verifyCursor_ * kBlockSize, length = run * kBlockSize;
    if (offset + length > cfg_.dataSize) break;
    scratch_.resize(length);
    DiskRead(scratch_.data(), offset, length);
    std::vector<uint8_t> digests;
    Digests(scratch_.data(), length, cfg_.verifyAlg, digests);
    std::vector<uint8_t> head;
    Encoder enc(head);
    enc.U64(offset); enc.U32(uint32_t(length));
    SendRaw(PacketType::OvRequest, {{head.data(), head.size()}, {digests.data(), digests.size()}});
    verifyCursor_ += run;
    verifyInflight_++;
  }
  if (verifyCursor_ >= totalBits_ && verifyInflight_ == 0) {
    verifyRunning_ = false;
    PersistBitmap(false);
    Emit(Event{"verify-done", 0, 0, double(verifyOos_), double(totalBits_), "done", {}});
  }
}

void Engine::OnOvRequest(const Packet& k) {
  scratch_.resize(k.length);
  DiskRead(scratch_.data(), k.offset, k.length);
  std::vector<uint8_t> mine;
  Digests(scratch_.data(), k.length, cfg_.verifyAlg, mine);
  uint32_t blocks = k.length / kBlockSize, size = DigestSize(cfg_.verifyAlg);
  std::vector<uint8_t> payload;
  Encoder enc(payload);
  enc.U64(k.offset); enc.U32(k.length);
  std::vector<uint8_t> mask((blocks + 7) / 8, 0);
  for (uint32_t b = 0; b < blocks; b++) {
    if (std::memcmp(mine.data() + b * size, k.data + b * size, size) != 0) {
      mask[b / 8] |= uint8_t(1u << (b % 8));
      uint64_t bit = k.offset / kBlockSize + b;
      MarkBits(bit, bit, false);
    }
  }
  enc.Bytes(mask.data(), mask.size());
  Send(PacketType::OvReply, payload);
}

void Engine::OnOvReply(const Packet& k) {
  if (!verifyRunning_ || verifyInflight_ == 0) { Drop("ProtocolError", "unexpected OvReply"); return; }
  uint32_t blocks = k.length / kBlockSize;
  for (uint32_t b = 0; b < blocks; b++) {
    if (k.data[b / 8] & (1u << (b % 8))) {
      uint64_t bit = k.offset / kBlockSize + b;
      MarkBits(bit, bit, false);
      verifyOos_++;
    }
  }
  verifyInflight_--;
}

}  // namespace hakit::drbd
