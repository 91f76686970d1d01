// The I/O thread: start and stop, the poll loop, timers, and commands from JavaScript. See
// engine.h for the design; engine_link.cc owns the socket, engine_write.cc the Primary's
// requests, engine_peer.cc received packets, engine_meta.cc the disk and its metadata.
#include "drbd/engine.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

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
  if (dataFd_ >= 0) syncer_ = std::thread([this] { SyncerLoop(); });
  thread_ = std::thread([this] { Run(); });
}

// Only a sleeping I/O thread needs the eventfd: a busy one drains the queue before it sleeps.
void Engine::Submit(Command&& command) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    commands_.push_back(std::move(command));
    queued_.store(commands_.size(), std::memory_order_release);
    wake = sleeping_;
    sleeping_ = false;  // one wake-up is enough
  }
  if (!wake) return;
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
  StopSyncer();
}

void Engine::Complete(uint64_t id, int32_t status, std::vector<uint8_t> data) {
  Event event;
  event.kind = "complete";
  event.id = id;
  event.status = status;
  event.data = std::move(data);
  Emit(std::move(event));
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
      if (phase_ == Phase::Connecting || Unsent() > 0) events |= POLLOUT;
      sockIndex = count;
      fds[count++] = {sock_, events, 0};
    }
    int timeout = 100;
    if (syncMode_ == "target" || verifyRunning_) timeout = 5;
    bool sleep;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sleep = commands_.empty() && !stopping_;
      sleeping_ = sleep;
    }
    poll(fds, count, sleep ? timeout : 0);
    if (sleep) {
      std::lock_guard<std::mutex> lock(mutex_);
      sleeping_ = false;
    }
    if (fds[0].revents & POLLIN) { uint64_t value; (void)!read(wakeFd_, &value, sizeof value); }
    if (listenIndex >= 0 && (fds[listenIndex].revents & POLLIN)) Accept();
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
      queued_.store(commands_.size(), std::memory_order_relaxed);
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
  if (linked && Unsent() > cfg_.maxBuffers) return false;  // back-pressure
  if (c.op == Op::Flush) DoFlush(c);
  else DoWrite(c);
  return true;
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
