// The replication link: listening and dialing, the authentication handshake (HMAC
// challenge-response), the send queue and the receive buffer that frames packets.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "drbd/crypto.h"
#include "drbd/engine.h"

namespace hakit::drbd {

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

void Engine::Accept() {
  int fd = accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;
  if (sock_ >= 0) { close(fd); return; }  // one connection at a time; the peer retries
  TuneSocket(fd);
  sock_ = fd;
  OnSocketReady();
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
  ClearOut(); in_.clear(); inStart_ = 0;
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
  std::vector<uint8_t>& tail = out_.Tail();
  size_t before = tail.size();
  Encoder enc(tail);
  size_t start = enc.Begin(type, flags);
  for (auto& [p, n] : parts) enc.Bytes(p, n);
  enc.End(start);
  queuedTotal_ += tail.size() - before;
}

void Engine::SendWithExternal(PacketType type, const uint8_t* head, size_t headLength, const uint8_t* external, size_t length) {
  if (sock_ < 0 || phase_ == Phase::Connecting) return;
  std::vector<uint8_t>& tail = out_.Tail();
  size_t before = tail.size();
  Encoder enc(tail);
  size_t start = enc.Begin(type, 0);
  enc.Bytes(head, headLength);
  enc.End(start, length);
  queuedTotal_ += tail.size() - before;
  out_.AppendExternal(external, length);
  queuedTotal_ += length;
}

// Forgets what was not sent (the connection is gone); byte counts stay consistent.
void Engine::ClearOut() {
  out_.Clear();
  queuedTotal_ = sentTotal_.load();
}

void Engine::FlushOut() {
  while (sock_ >= 0 && Unsent() > 0) {
    ssize_t n = out_.SendTo(sock_, MSG_NOSIGNAL);
    if (n > 0) {
      sentTotal_ += uint64_t(n);
      lastSendMs_ = NowMs();
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    Drop("BrokenPipe", std::string("send: ") + strerror(errno));
    return;
  }
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
  ClearOut(); in_.clear(); inStart_ = 0;
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
  stableAcks_.clear();
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

}  // namespace hakit::drbd
