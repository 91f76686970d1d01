// The worker thread: its epoll loop, the command queue other threads feed, the timeouts sweep,
// and the end of a connection (close, counters reported in the kClosed event).
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "lb/relay_internal.h"

namespace hakit::lb {

Worker::Worker(Engine* engine, int index) : engine_(engine), index_(index) {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_ < 0 || wake_ < 0) throw std::runtime_error(std::string("epoll/eventfd: ") + strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &wakeRef_;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
  thread_ = std::thread([this] { Run(); });
}

Worker::~Worker() {
  Stop();
  for (auto& [id, conn] : conns_) CloseFds(conn);
  for (auto* c : graveyard_) delete c;
  for (auto& [id, conn] : conns_) delete conn;
  for (auto& p : spare_) {
    close(p.first);
    close(p.second);
  }
  for (auto& [id, l] : listeners_)
    if (l->fd >= 0) close(l->fd);
  close(epoll_);
  close(wake_);
}

void Worker::Stop() {
  if (!thread_.joinable()) return;
  Submit([this] { running_ = false; });
  thread_.join();
}

void Worker::Submit(std::function<void()> command) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    commands_.push_back(std::move(command));
  }
  uint64_t one = 1;
  ssize_t ignored = write(wake_, &one, sizeof one);
  (void)ignored;
}

Conn* Worker::Find(uint64_t id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second;
}

void Worker::Run() {
  epoll_event events[256];
  int64_t lastSweep = NowMs();
  while (running_) {
    int n = epoll_wait(epoll_, events, 256, 100);
    for (int i = 0; i < n; i++) {
      auto* ref = static_cast<FdRef*>(events[i].data.ptr);
      uint32_t ev = events[i].events;
      switch (ref->kind) {
        case FdKind::kWake: RunCommands(); break;
        case FdKind::kListener: Accept(static_cast<Listener*>(ref->owner)); break;
        case FdKind::kClient:
        case FdKind::kServer: OnConnEvent(static_cast<Conn*>(ref->owner), ref->kind, ev); break;
      }
    }
    for (auto* c : graveyard_) delete c;
    graveyard_.clear();
    int64_t now = NowMs();
    if (now - lastSweep >= 100) {
      lastSweep = now;
      Sweep(now);
      for (auto* c : graveyard_) delete c;
      graveyard_.clear();
    }
  }
}

void Worker::RunCommands() {
  uint64_t count;
  ssize_t ignored = read(wake_, &count, sizeof count);
  (void)ignored;
  std::vector<std::function<void()>> commands;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    commands.swap(commands_);
  }
  for (auto& command : commands) command();
}

void Worker::Sweep(int64_t now) {
  std::vector<Conn*> expired;
  for (auto& [id, c] : conns_) {
    if (c->dead) continue;
    if ((c->phase == Phase::kConnecting || c->phase == Phase::kProxyRead) && now >= c->deadline) expired.push_back(c);
    else if (c->phase == Phase::kRelaying &&
             ((c->clientTimeoutMs > 0 && now - c->lastClient >= c->clientTimeoutMs) ||
              (c->serverTimeoutMs > 0 && now - c->lastServer >= c->serverTimeoutMs)))
      expired.push_back(c);
  }
  for (Conn* c : expired) {
    if (c->phase == Phase::kConnecting) {
      AbandonServer(c);
      Fail(c, ETIMEDOUT);
    } else if (c->phase == Phase::kProxyRead) {
      ProxyFailed(c, "timeout waiting for the PROXY header");
    } else {
      bool client = c->clientTimeoutMs > 0 && now - c->lastClient >= c->clientTimeoutMs;
      Finish(c, client ? CloseReason::kClientTimeout : CloseReason::kServerTimeout);
    }
  }
  if (index_ == 0) RecheckListeners();
}

void Worker::CloseConn(uint64_t id) {
  if (Conn* c = Find(id)) Finish(c, CloseReason::kAborted);
}

void Worker::CloseFds(Conn* c) {
  if (c->client >= 0) close(c->client);
  if (c->server >= 0) close(c->server);
  c->client = c->server = -1;
  GivePipe(c->up);
  GivePipe(c->down);
}

void Worker::Finish(Conn* c, CloseReason reason) {
  if (c->dead) return;
  c->dead = true;
  if (reason != CloseReason::kDone && c->client >= 0) {
    // Abortive close towards the client on errors/timeouts, as a proxy should not fake a clean end.
    linger lg{1, 0};
    if (reason == CloseReason::kServerReset) setsockopt(c->client, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (reason == CloseReason::kClientReset && c->server >= 0) setsockopt(c->server, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  CloseFds(c);
  conns_.erase(c->id);
  graveyard_.push_back(c);
  Event e{EventType::kClosed};
  e.conn = c->id;
  e.a = static_cast<int64_t>(c->up.bytes);
  e.b = static_cast<int64_t>(c->down.bytes);
  e.code = static_cast<int>(reason);
  e.listener = c->listener ? c->listener->id : 0;
  engine_->open_--;
  if (c->listener) {
    Listener* l = c->listener.get();
    int now = --l->current;
    if (l->full && (l->max == 0 || now < l->max)) {
      if (index_ == 0) Arm(l);
      else engine_->workers_[0]->Submit([w = engine_->workers_[0].get()] { w->RecheckListeners(); });
    }
  }
  engine_->Post(std::move(e));
}
}  // namespace hakit::lb
