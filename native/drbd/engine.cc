// The I/O thread: link setup and teardown, the poll loop, commands from JavaScript and the
// primary's write path. See engine.h for the design; engine_peer.cc handles received packets.
#include "drbd/engine.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "drbd/crypto.h"

namespace hakit::drbd {

Engine::Engine(EngineConfig config, Sink sink) : cfg_(std::move(config)), sink_(std::move(sink)) {}

Engine::~Engine() {
  Stop();
  if (dataFd_ >= 0) close(dataFd_);
  if (metaFd_ >= 0 && metaFd_ != dataFd_) close(metaFd_);
  if (wakeFd_ >= 0) close(wakeFd_);
}

int64_t Engine::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void Engine::Start() {
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd_ < 0) throw std::runtime_error("eventfd: " + std::string(strerror(errno)));
  totalBits_ = (cfg_.dataSize + kBlockSize - 1) / kBlockSize;
  bitmap_.assign((totalBits_ + 63) / 64, 0);
  if (!cfg_.diskPath.empty()) {
    int flags = O_RDWR | O_CLOEXEC | (cfg_.direct ? O_DIRECT : 0) | (cfg_.dsync ? O_DSYNC : 0);
    dataFd_ = open(cfg_.diskPath.c_str(), flags);
    if (dataFd_ < 0) throw std::runtime_error("cannot open disk " + cfg_.diskPath + ": " + strerror(errno));
    metaFd_ = open(cfg_.metaPath.c_str(), O_RDWR | O_CLOEXEC);
    if (metaFd_ < 0) throw std::runtime_error("cannot open meta-disk " + cfg_.metaPath + ": " + strerror(errno));
    LoadBitmap();
    ReplayAl();
  }
  if (!cfg_.dialer) OpenListener();
  thread_ = std::thread([this] { Run(); });
}

void Engine::Submit(Command&& command) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    commands_.push_back(std::move(command));
  }
  uint64_t one = 1;
  (void)!write(wakeFd_, &one, sizeof one);
}

void Engine::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!write(wakeFd_, &one, sizeof one);
  thread_.join();
}

void Engine::Complete(uint64_t id, int32_t status, std::vector<uint8_t> data) {
  Event event;
  event.kind = "complete";
  event.id = id;
  event.status = status;
  event.data = std::move(data);
  Emit(std::move(event));
}

void Engine::OpenListener() {
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  std::string port = std::to_string(cfg_.listenPort);
  if (getaddrinfo(cfg_.listenHost.empty() ? nullptr : cfg_.listenHost.c_str(), port.c_str(), &hints, &res) != 0 || !res)
    throw std::runtime_error("bad listen address " + cfg_.listenHost);
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 4) != 0) {
    std::string message = strerror(errno);
    freeaddrinfo(res);
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot listen on " + cfg_.listenHost + ":" + port + ": " + message);
  }
  freeaddrinfo(res);
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  listenPort_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  listenFd_ = fd;
}

static void TuneSocket(int fd) {
  int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
}

void Engine::StartDial() {
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  std::string port = std::to_string(cfg_.peerPort);
  if (getaddrinfo(cfg_.peerHost.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
    Emit(Event{"error", 0, 0, 0, 0, "bad peer address " + cfg_.peerHost, {}});
    nextDialMs_ = NowMs() + cfg_.connectIntMs;
    return;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int rc = fd < 0 ? -1 : connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (fd < 0 || (rc != 0 && errno != EINPROGRESS)) {
    if (fd >= 0) close(fd);
    nextDialMs_ = NowMs() + cfg_.connectIntMs;
    return;
  }
  TuneSocket(fd);
  sock_ = fd;
  phase_ = Phase::Connecting;
  phaseStartMs_ = NowMs();
}

// The TCP connection is up (dialed or accepted): start the handshake.
void Engine::OnSocketReady() {
  phase_ = Phase::Handshake;
  phaseStartMs_ = lastRecvMs_ = lastSendMs_ = NowMs();
  pingSentMs_ = 0;
  peerVerified_ = peerAuthOk_ = challengeSeen_ = false;
  out_.clear(); outSent_ = 0; in_.clear(); inStart_ = 0;
  SendChallenge();
}

void Engine::SendChallenge() {
  if (getrandom(myChallenge_, sizeof myChallenge_, 0) != sizeof myChallenge_) {
    for (auto& byte : myChallenge_) byte = uint8_t(NowMs() * 2654435761u >> 7);
  }
  std::vector<uint8_t> payload;
  Encoder enc(payload);
  enc.U32(kProtocolVersion);
  enc.U8(uint8_t(cfg_.protocol - 'A' + 1));
  enc.U8(cfg_.secret.empty() ? 0 : 1);
  enc.U16(0);
  enc.Bytes(myChallenge_, 32);
  Send(PacketType::AuthChallenge, payload);
}

void Engine::Send(PacketType type, const std::vector<uint8_t>& payload, uint16_t flags) {
  SendRaw(type, {{payload.data(), payload.size()}}, flags);
}

void Engine::SendRaw(PacketType type, std::initializer_list<std::pair<const uint8_t*, size_t>> parts, uint16_t flags) {
  if (sock_ < 0 || phase_ == Phase::Connecting) return;
  if (outSent_ > 0 && outSent_ * 2 > out_.size()) {
    out_.erase(out_.begin(), out_.begin() + outSent_);
    outSent_ = 0;
  }
  size_t before = out_.size();
  Encoder enc(out_);
  size_t start = enc.Begin(type, flags);
  for (auto& [p, n] : parts) enc.Bytes(p, n);
  enc.End(start);
  queuedTotal_ += out_.size() - before;
}

void Engine::FlushOut() {
  while (sock_ >= 0 && outSent_ < out_.size()) {
    ssize_t n = send(sock_, out_.data() + outSent_, out_.size() - outSent_, MSG_NOSIGNAL);
    if (n > 0) {
      outSent_ += size_t(n);
      sentTotal_ += uint64_t(n);
      lastSendMs_ = NowMs();
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    Drop("BrokenPipe", std::string("send: ") + strerror(errno));
    return;
  }
  if (outSent_ == out_.size()) { out_.clear(); outSent_ = 0; }
  CompleteSent();
}

// Protocol A: a write is complete once its packet has been handed to the kernel's send buffer.
void Engine::CompleteSent() {
  uint64_t sent = sentTotal_.load();
  for (auto it = inflight_.begin(); it != inflight_.end();) {
    Pending& p = it->second;
    if (!p.wantRecv && !p.wantWrite && !p.flush && !p.read && p.sendEnd <= sent) {
      Complete(p.id, 0);
      it = inflight_.erase(it);
    } else {
      ++it;
    }
  }
}

void Engine::Drop(const std::string& state, const std::string& reason) {
  bool wasLinked = phase_ == Phase::Authed || phase_ == Phase::Established;
  if (sock_ >= 0) close(sock_);
  sock_ = -1;
  phase_ = Phase::None;
  out_.clear(); outSent_ = 0; in_.clear(); inStart_ = 0;
  // Everything shipped but not known to be on the peer's disk is out of sync.
  MarkTlDirty();
  for (auto& [seq, p] : inflight_) {
    if (p.read) { Complete(p.id, -EIO); continue; }
    if (dataFd_ < 0) { Complete(p.id, -EIO); continue; }  // diskless: only the peer had it
    if (cfg_.fencing && primary_ && !p.flush) frozen_.push_back(p);
    else Complete(p.id, 0);
  }
  inflight_.clear();
  reads_.clear();
  writeAcks_.clear();
  if (cfg_.fencing && primary_ && dataFd_ >= 0 && wasLinked) suspended_ = true;
  if (!syncMode_.empty() || verifyRunning_) PersistBitmap(false);
  syncMode_.clear(); syncRunning_ = false; peerBitmapDone_ = false; syncInflight_ = 0;
  if (verifyRunning_) { verifyRunning_ = false; Emit(Event{"verify-done", 0, -1, double(verifyOos_), 0, "aborted", {}}); }
  verifyInflight_ = 0;
  if (cfg_.dialer) nextDialMs_ = NowMs() + cfg_.connectIntMs;
  Event event{"disconnected", 0, 0, double(wasLinked), suspended_ ? 1.0 : 0.0, state + ": " + reason, {}};
  Emit(std::move(event));
}

void Engine::ReadSocket() {
  for (int rounds = 0; rounds < 64 && sock_ >= 0; rounds++) {
    if (inStart_ > 0 && inStart_ == in_.size()) { in_.clear(); inStart_ = 0; }
    size_t have = in_.size();
    size_t chunk = 256 * 1024;
    in_.resize(have + chunk);
    ssize_t n = recv(sock_, in_.data() + have, chunk, 0);
    if (n <= 0) {
      in_.resize(have);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
      Drop("BrokenPipe", n == 0 ? "peer closed the connection" : std::string("recv: ") + strerror(errno));
      return;
    }
    in_.resize(have + size_t(n));
    lastRecvMs_ = NowMs();
    // Parse every complete packet.
    while (sock_ >= 0 && in_.size() - inStart_ >= kHeaderSize) {
      Header header;
      std::string error;
      if (!DecodeHeader(in_.data() + inStart_, header, error)) { Drop("ProtocolError", error); return; }
      if (in_.size() - inStart_ < kHeaderSize + header.length) break;
      Packet packet;
      if (!DecodePayload(header, in_.data() + inStart_ + kHeaderSize, packet, error)) { Drop("ProtocolError", error); return; }
      size_t consumed = kHeaderSize + header.length;
      HandlePacket(packet);
      if (sock_ < 0) return;
      inStart_ += consumed;
    }
    if (inStart_ > 0 && inStart_ * 2 > in_.size()) {
      in_.erase(in_.begin(), in_.begin() + inStart_);
      inStart_ = 0;
    }
    if (size_t(n) < chunk) break;
  }
}

void Engine::FeedForTest(const uint8_t* data, size_t length) {
  phase_ = Phase::None;
  challengeSeen_ = peerVerified_ = peerAuthOk_ = false;
  phase_ = Phase::Handshake;
  in_.assign(data, data + length);
  inStart_ = 0;
  while (phase_ != Phase::None && in_.size() - inStart_ >= kHeaderSize) {
    Header header;
    std::string error;
    if (!DecodeHeader(in_.data() + inStart_, header, error)) return;
    if (in_.size() - inStart_ < kHeaderSize + header.length) return;
    Packet packet;
    if (!DecodePayload(header, in_.data() + inStart_ + kHeaderSize, packet, error)) return;
    if (!ValidateAgainst(packet, cfg_.dataSize, DigestSize(cfg_.csumsAlg), error)) return;
    inStart_ += kHeaderSize + header.length;
    HandlePacket(packet);  // the handshake phase: anything but auth packets drops the link
    if (phase_ != Phase::Handshake) return;
  }
}

void Engine::HandleAuth(const Packet& k) {
  const uint8_t side = cfg_.dialer ? 1 : 0;
  auto respond = [&](const uint8_t* challenge, uint8_t who, uint8_t out[32]) {
    std::vector<uint8_t> message{'h', 'a', 'k', 'i', 't', '-', 'd', 'r', 'b', 'd'};
    message.insert(message.end(), challenge, challenge + 32);
    message.push_back(who);
    HmacSha256(reinterpret_cast<const uint8_t*>(cfg_.secret.data()), cfg_.secret.size(), message.data(), message.size(), out);
  };
  switch (k.type) {
    case PacketType::AuthChallenge: {
      if (challengeSeen_) { Drop("ProtocolError", "second challenge"); return; }
      challengeSeen_ = true;
      if (k.version != kProtocolVersion) { Drop("ProtocolError", "incompatible link version " + std::to_string(k.version)); return; }
      if (k.protocol != uint8_t(cfg_.protocol - 'A' + 1)) {
        Emit(Event{"config-mismatch", 0, 0, 0, 0, std::string("incompatible communication protocols (peer ") + char('A' + k.protocol - 1) + ")", {}});
        Drop("ProtocolError", "incompatible communication protocols");
        return;
      }
      if (k.auth != (cfg_.secret.empty() ? 0 : 1)) {
        Emit(Event{"auth-failed", 0, 0, 0, 0, "peer and local disagree on cram-hmac-alg", {}});
        Drop("ProtocolError", "authentication settings differ");
        return;
      }
      if (cfg_.secret.empty()) { peerVerified_ = true; Send(PacketType::AuthOk); break; }
      if (SameBytes(k.data, myChallenge_, 32)) { Emit(Event{"auth-failed", 0, 0, 0, 0, "peer reflected our challenge", {}}); Drop("ProtocolError", "reflected challenge"); return; }
      uint8_t mac[32];
      respond(k.data, side, mac);
      SendRaw(PacketType::AuthResponse, {{mac, 32}});
      break;
    }
    case PacketType::AuthResponse: {
      if (cfg_.secret.empty() || !challengeSeen_ || peerVerified_) { Drop("ProtocolError", "unexpected AuthResponse"); return; }
      uint8_t expected[32];
      respond(myChallenge_, uint8_t(1 - side), expected);
      if (!SameBytes(expected, k.data, 32)) {
        Emit(Event{"auth-failed", 0, 0, 0, 0, "peer's response to our challenge is wrong (shared-secret differs)", {}});
        Drop("ProtocolError", "authentication failed");
        return;
      }
      peerVerified_ = true;
      Send(PacketType::AuthOk);
      break;
    }
    case PacketType::AuthOk:
      if (!challengeSeen_) { Drop("ProtocolError", "AuthOk before challenge"); return; }
      peerAuthOk_ = true;
      break;
    default:
      Drop("ProtocolError", std::string("unexpected ") + PacketName(k.type) + " before authentication");
      return;
  }
  if (peerVerified_ && peerAuthOk_) {
    phase_ = Phase::Authed;
    phaseStartMs_ = NowMs();
    Emit(Event{"connected", 0, 0, 0, 0, "", {}});
  }
}

void Engine::Timers() {
  int64_t now = NowMs();
  if (connectWanted_ && sock_ < 0 && cfg_.dialer && now >= nextDialMs_) StartDial();
  if (sock_ < 0) return;
  if ((phase_ == Phase::Connecting || phase_ == Phase::Handshake) && now - phaseStartMs_ > int64_t(cfg_.timeoutMs)) {
    Drop("Timeout", "handshake did not finish");
    return;
  }
  if (phase_ != Phase::Authed && phase_ != Phase::Established) return;
  if (pingSentMs_ != 0 && now - pingSentMs_ > int64_t(cfg_.pingTimeoutMs) && lastRecvMs_ < pingSentMs_) {
    Drop("NetworkFailure", "PingAck did not arrive in time");
    return;
  }
  if (pingSentMs_ != 0 && lastRecvMs_ >= pingSentMs_) pingSentMs_ = 0;
  if (pingSentMs_ == 0 && now - std::max(lastRecvMs_, lastSendMs_) >= int64_t(cfg_.pingIntMs)) {
    Send(PacketType::Ping);
    pingSentMs_ = now;
  }
  // ko-count: a peer that completes nothing for ko-count * timeout is expelled.
  if (!inflight_.empty()) {
    int64_t oldest = inflight_.begin()->second.startMs;
    if (now - oldest > int64_t(cfg_.koCount) * cfg_.timeoutMs) { Drop("Timeout", "peer did not complete a request within ko-count * timeout"); return; }
  }
  if (syncMode_ == "target") ResyncStep();
  if (verifyRunning_) VerifyStep();
}

void Engine::Run() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
    }
    pollfd fds[3];
    int count = 0;
    fds[count++] = {wakeFd_, POLLIN, 0};
    int listenIndex = -1, sockIndex = -1;
    if (listenFd_ >= 0 && connectWanted_) { listenIndex = count; fds[count++] = {listenFd_, POLLIN, 0}; }
    if (sock_ >= 0) {
      short events = POLLIN;
      if (phase_ == Phase::Connecting || outSent_ < out_.size()) events |= POLLOUT;
      sockIndex = count;
      fds[count++] = {sock_, events, 0};
    }
    int timeout = 100;
    if (syncMode_ == "target" || verifyRunning_) timeout = 5;
    poll(fds, count, timeout);
    if (fds[0].revents & POLLIN) { uint64_t value; (void)!read(wakeFd_, &value, sizeof value); }
    if (listenIndex >= 0 && (fds[listenIndex].revents & POLLIN)) {
      int fd = accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        if (sock_ >= 0) close(fd);  // one connection at a time; the peer retries
        else { TuneSocket(fd); sock_ = fd; OnSocketReady(); }
      }
    }
    if (sockIndex >= 0 && sock_ >= 0) {
      short revents = fds[sockIndex].revents;
      if (phase_ == Phase::Connecting) {
        if (revents & (POLLOUT | POLLERR | POLLHUP)) {
          int error = 0;
          socklen_t length = sizeof error;
          getsockopt(sock_, SOL_SOCKET, SO_ERROR, &error, &length);
          if (error != 0) { close(sock_); sock_ = -1; phase_ = Phase::None; nextDialMs_ = NowMs() + cfg_.connectIntMs; }
          else OnSocketReady();
        }
      } else if (revents & (POLLIN | POLLERR | POLLHUP)) {
        ReadSocket();
      }
    }
    SyncAndAck();
    DrainCommands();
    Timers();
    FlushOut();
  }
  // Shutting down: whatever is in flight is out of sync; the activity log is no longer needed
  // for what the bitmap now records.
  if (sock_ >= 0) { FlushOut(); }
  MarkTlDirty();
  // Not confirmed as the protocol promises: report failure, never a false acknowledgement.
  for (auto& [seq, p] : inflight_) Complete(p.id, -ESHUTDOWN);
  for (auto& p : frozen_) Complete(p.id, -ESHUTDOWN);
  for (auto& c : held_) if (c.op != Op::Control) Complete(c.id, -ESHUTDOWN);
  inflight_.clear(); frozen_.clear(); held_.clear();
  if (dataFd_ >= 0) {
    DiskSync();
    PersistBitmap(true);
    if (!primary_ || true) { alLru_.clear(); alIndex_.clear(); WriteAl(); }
  }
  if (sock_ >= 0) close(sock_);
  if (listenFd_ >= 0) close(listenFd_);
  sock_ = listenFd_ = -1;
  std::deque<Command> rest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rest.swap(commands_);
  }
  for (auto& c : rest) if (c.op != Op::Control) Complete(c.id, -ESHUTDOWN);
}

void Engine::DrainCommands() {
  // Held commands (I/O was suspended) go first, in order.
  while (!held_.empty() && !suspended_) {
    Command command = std::move(held_.front());
    held_.pop_front();
    if (!ProcessCommand(command)) { held_.push_front(std::move(command)); break; }
  }
  for (int budget = 0; budget < 4096; budget++) {
    Command command;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (commands_.empty()) break;
      command = std::move(commands_.front());
      commands_.pop_front();
    }
    if (command.op == Op::Control) { Control(command); continue; }
    // Keep submission order: once something waits, everything after it waits behind it.
    if (!held_.empty() || !ProcessCommand(command)) held_.push_back(std::move(command));
  }
  CloseEpoch();
}

// Returns false when the command must wait (send buffer full or I/O suspended).
bool Engine::ProcessCommand(Command& c) {
  bool linked = phase_ == Phase::Established;
  if (c.op == Op::Read) { DoRead(c); return true; }
  if (suspended_) return false;
  if (dataFd_ < 0 && !linked) { Complete(c.id, -EIO); return true; }  // diskless without a peer
  if (linked && out_.size() - outSent_ > cfg_.maxBuffers) return false;  // back-pressure
  if (c.op == Op::Flush) DoFlush(c);
  else DoWrite(c);
  return true;
}

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
    return trim ? DiskTrim(c.offset, c.length) : DiskWrite(c.data.data(), c.offset, c.length);
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
  std::vector<uint8_t> head;
  Encoder enc(head);
  enc.U64(seq); enc.U32(epoch_); enc.U64(c.offset); enc.U32(uint32_t(c.length)); enc.U32(flags);
  if (cfg_.dataDigest) enc.U32(trim ? 0 : Crc32c(0, c.data.data(), c.length));
  if (trim) SendRaw(PacketType::Data, {{head.data(), head.size()}});
  else SendRaw(PacketType::Data, {{head.data(), head.size()}, {c.data.data(), c.length}});
  epochWrites_++;
  tl_.push_back(TlEntry{seq, epoch_, c.offset, c.length});
  inflight_[seq] = Pending{c.id, seq, epoch_, c.offset, c.length, queuedTotal_, wantRecv, wantWrite, false, false, NowMs()};
  // Start the peer's copy, then write ours meanwhile (DRBD submits both in parallel). Acks are
  // only read on this thread, after the local write; protocol A completes in FlushOut, later.
  SendSome();
  if (!local()) {
    Emit(Event{"io-error", 0, EIO, double(c.offset), double(c.length), "local write failed", {}});
    inflight_.erase(seq);
    Complete(c.id, -EIO);
  }
}

// Hands queued bytes to the kernel without acting on errors (FlushOut reports them).
void Engine::SendSome() {
  while (sock_ >= 0 && phase_ != Phase::Connecting && outSent_ < out_.size()) {
    ssize_t n = send(sock_, out_.data() + outSent_, out_.size() - outSent_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) break;
    outSent_ += size_t(n);
    sentTotal_ += uint64_t(n);
    lastSendMs_ = NowMs();
  }
}

// A flush: local data on stable storage, then a barrier the peer acknowledges only once its
// copy of everything before it is on stable storage too.
void Engine::DoFlush(Command& c) {
  if (dataFd_ >= 0) DiskSync();
  if (phase_ != Phase::Established) { Complete(c.id, 0); return; }
  uint32_t epoch = epoch_;
  std::vector<uint8_t> payload;
  Encoder enc(payload);
  enc.U32(epoch); enc.U32(1);
  Send(PacketType::Barrier, payload);
  epoch_++;
  epochWrites_ = 0;
  uint64_t seq = nextSeq_++;
  inflight_[seq] = Pending{c.id, seq, epoch, 0, 0, queuedTotal_, false, false, true, false, NowMs()};
}

// End of a batch of writes: close the epoch with a barrier so the peer groups them.
void Engine::CloseEpoch() {
  if (epochWrites_ == 0 || phase_ != Phase::Established) return;
  std::vector<uint8_t> payload;
  Encoder enc(payload);
  enc.U32(epoch_); enc.U32(0);
  Send(PacketType::Barrier, payload);
  epoch_++;
  epochWrites_ = 0;
}

void Engine::Control(Command& c) {
  const std::string& name = c.name;
  if (name == "connect") {
    connectWanted_ = true;
    nextDialMs_ = 0;
  } else if (name == "disconnect") {
    connectWanted_ = false;
    SendSome();  // what we queued before (our state report) still reaches the peer
    if (sock_ >= 0) Drop("StandAlone", "disconnect requested");
  } else if (name == "drop") {
    SendSome();
    if (sock_ >= 0) Drop("ProtocolError", std::string(c.data.begin(), c.data.end()));
  } else if (name == "state") {
    if (phase_ == Phase::Authed || phase_ == Phase::Established) SendRaw(PacketType::State, {{c.data.data(), c.data.size()}});
  } else if (name == "establish") {
    if (phase_ == Phase::Authed) Establish(std::string(c.data.begin(), c.data.end()));
  } else if (name == "role") {
    primary_ = c.offset == 1;
    if (!primary_ && suspended_) suspended_ = false;
  } else if (name == "resume") {
    suspended_ = false;
    for (auto& p : frozen_) Complete(p.id, 0);
    frozen_.clear();
  } else if (name == "invalidate") {
    MarkBits(0, totalBits_ == 0 ? 0 : totalBits_ - 1, true);
  } else if (name == "clear-bitmap") {
    std::fill(bitmap_.begin(), bitmap_.end(), 0);
    dirtyBits_ = 0;
    PersistBitmap(true);
  } else if (name == "clear-al") {
    alLru_.clear(); alIndex_.clear();
    if (dataFd_ >= 0) WriteAl();
  } else if (name == "size") {
    cfg_.dataSize = c.offset;
    if (dataFd_ < 0) { totalBits_ = (cfg_.dataSize + kBlockSize - 1) / kBlockSize; bitmap_.assign((totalBits_ + 63) / 64, 0); }
  } else if (name == "rate") {
    cfg_.resyncRate = c.offset;
  } else if (name == "verify") {
    if (phase_ == Phase::Established && !verifyRunning_ && dataFd_ >= 0 && !cfg_.verifyAlg.empty()) {
      verifyRunning_ = true; verifyCursor_ = 0; verifyInflight_ = 0; verifyOos_ = 0;
    } else {
      Emit(Event{"verify-done", 0, -1, 0, 0, "cannot start verify (not connected, diskless or no verify-alg)", {}});
    }
  } else if (name == "sync") {
    if (dataFd_ >= 0) { DiskSync(); PersistBitmap(true); }
    Complete(c.id, 0);
  }
}

void Engine::Establish(const std::string& mode) {
  phase_ = Phase::Established;
  syncMode_ = mode == "none" ? "" : mode;
  epochWrites_ = 0;
  if (!syncMode_.empty()) {
    SendBitmap();
    syncRunning_ = false;
    syncCursor_ = 0; syncInflight_ = 0; syncBytes_ = 0; syncEqualBytes_ = 0;
    tokens_ = 0; tokensAtMs_ = NowMs();
  }
  if (suspended_ && syncMode_ != "target") suspended_ = false;  // held writes replicate again
}

}  // namespace hakit::drbd
