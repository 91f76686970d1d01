#include "lb/relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "lb/proxy_protocol.h"

namespace hakit::lb {
namespace {

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Fills an address from a numeric host; returns the length or 0.
socklen_t MakeAddress(const std::string& host, int port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof *out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    return sizeof(sockaddr_in);
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    return sizeof(sockaddr_in6);
  }
  return 0;
}

void AddressText(const sockaddr_storage& a, std::string* host, int64_t* port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    *port = ntohs(v4->sin_port);
  } else if (a.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    *port = ntohs(v6->sin6_port);
  }
  *host = text;
}

enum class FdKind { kWake, kListener, kClient, kServer, kProbe };

struct FdRef {
  FdKind kind;
  void* owner;
};

}  // namespace

struct Listener {
  uint32_t id = 0;
  int fd = -1;
  int max = 0;
  std::atomic<int> current{0};
  bool paused = false;  // by the program
  bool full = false;    // at max connections
  bool armed = false;
  bool registered = false;
  FdRef ref{FdKind::kListener, nullptr};
};

struct Direction {
  int src = -1, dst = -1;
  int pipeRead = -1, pipeWrite = -1;
  size_t inPipe = 0;
  bool eof = false;
  bool shut = false;
  uint64_t bytes = 0;
  std::vector<uint8_t> pending;
  size_t pendingOffset = 0;
};

enum class Phase { kWaiting, kProxyRead, kConnecting, kRelaying };

struct Probe {
  uint64_t id = 0;
  int fd = -1;
  int64_t started = 0;  // microseconds
  int64_t deadline = 0;  // ms
  FdRef ref{FdKind::kProbe, nullptr};
  bool dead = false;
};

int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

struct Conn {
  uint64_t id = 0;
  std::shared_ptr<Listener> listener;
  int client = -1, server = -1;
  FdRef clientRef{FdKind::kClient, nullptr}, serverRef{FdKind::kServer, nullptr};
  Phase phase = Phase::kWaiting;
  Direction up, down;  // client->server, server->client
  int64_t deadline = 0;  // connect or PROXY header deadline
  int clientTimeoutMs = 0, serverTimeoutMs = 0;
  int64_t lastClient = 0, lastServer = 0;
  std::vector<uint8_t> preamble;
  bool dead = false;
};

class Worker {
 public:
  Worker(Engine* engine, int index) : engine_(engine), index_(index) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_ < 0 || wake_ < 0) throw std::runtime_error(std::string("epoll/eventfd: ") + strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &wakeRef_;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
    thread_ = std::thread([this] { Run(); });
  }

  ~Worker() {
    Stop();
    for (auto& [id, conn] : conns_) CloseFds(conn);
    for (auto* c : graveyard_) delete c;
    for (auto& [id, conn] : conns_) delete conn;
    for (auto* p : probes_) {
      if (p->fd >= 0) close(p->fd);
      delete p;
    }
    for (auto* p : deadProbes_) delete p;
    for (auto& p : spare_) {
      close(p.first);
      close(p.second);
    }
    for (auto& [id, l] : listeners_)
      if (l->fd >= 0) close(l->fd);
    close(epoll_);
    close(wake_);
  }

  void Stop() {
    if (!thread_.joinable()) return;
    Submit([this] { running_ = false; });
    thread_.join();
  }

  void Submit(std::function<void()> command) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      commands_.push_back(std::move(command));
    }
    uint64_t one = 1;
    ssize_t ignored = write(wake_, &one, sizeof one);
    (void)ignored;
  }

  uint64_t NextId() { return (nextSeq_.fetch_add(1) << 8) | static_cast<uint64_t>(index_); }

  // ---- commands (run on this worker's thread) ----

  void AddListener(std::shared_ptr<Listener> l) {
    l->ref.owner = l.get();
    listeners_[l->id] = l;
    Arm(l.get());
  }

  void PauseListener(uint32_t id, bool paused) {
    auto it = listeners_.find(id);
    if (it == listeners_.end()) return;
    it->second->paused = paused;
    Arm(it->second.get());
  }

  void CloseListener(uint32_t id) {
    auto it = listeners_.find(id);
    if (it == listeners_.end()) return;
    if (it->second->fd >= 0) close(it->second->fd);
    it->second->fd = -1;
    listeners_.erase(it);
    Event e{EventType::kListenerClosed};
    e.listener = id;
    engine_->Post(std::move(e));
  }

  void RecheckListeners() {
    for (auto& [id, l] : listeners_) Arm(l.get());
  }

  void Adopt(uint64_t id, int fd, std::shared_ptr<Listener> listener) {
    auto* c = new Conn();
    c->id = id;
    c->listener = std::move(listener);
    c->client = fd;
    c->clientRef.owner = c;
    c->serverRef.owner = c;
    c->lastClient = c->lastServer = NowMs();
    conns_[id] = c;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &c->clientRef;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }

  void ReadProxy(uint64_t id, int timeoutMs) {
    Conn* c = Find(id);
    if (!c || c->phase != Phase::kWaiting) return;
    c->phase = Phase::kProxyRead;
    c->deadline = NowMs() + timeoutMs;
    TryProxyHeader(c);
  }

  void Connect(uint64_t id, const ConnectOptions& o) {
    Conn* c = Find(id);
    if (!c) return;
    if (c->phase != Phase::kWaiting) return Fail(c, EALREADY);
    sockaddr_storage addr;
    socklen_t len = MakeAddress(o.host, o.port, &addr);
    if (len == 0) return Fail(c, EINVAL);
    int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return Fail(c, errno);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->clientTimeoutMs = o.clientTimeoutMs;
    c->serverTimeoutMs = o.serverTimeoutMs;
    c->preamble = o.preamble;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), len) < 0 && errno != EINPROGRESS) {
      int err = errno;
      close(fd);
      return Fail(c, err);
    }
    c->server = fd;
    c->phase = Phase::kConnecting;
    c->deadline = NowMs() + (o.connectTimeoutMs > 0 ? o.connectTimeoutMs : 5000);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &c->serverRef;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }

  void CloseConn(uint64_t id) {
    if (Conn* c = Find(id)) Finish(c, CloseReason::kAborted);
  }

  void StartProbe(uint64_t id, const std::string& host, int port, int timeoutMs) {
    auto* p = new Probe();
    p->id = id;
    p->ref.owner = p;
    p->started = NowUs();
    p->deadline = NowMs() + timeoutMs;
    sockaddr_storage addr;
    socklen_t len = MakeAddress(host, port, &addr);
    int fd = len == 0 ? -1 : socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      EndProbe(p, len == 0 ? EINVAL : errno);
      return;
    }
    p->fd = fd;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0) {
      EndProbe(p, 0);
      return;
    }
    if (errno != EINPROGRESS) {
      EndProbe(p, errno);
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLET;
    ev.data.ptr = &p->ref;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    probes_.insert(p);
  }

 private:
  Conn* Find(uint64_t id) {
    auto it = conns_.find(id);
    return it == conns_.end() ? nullptr : it->second;
  }

  void Arm(Listener* l) {
    if (l->fd < 0) return;
    if (l->full && (l->max == 0 || l->current.load() < l->max)) l->full = false;
    bool want = !l->paused && !l->full;
    if (want == l->armed && l->registered) return;
    epoll_event ev{};
    ev.events = want ? static_cast<uint32_t>(EPOLLIN) : 0u;
    ev.data.ptr = &l->ref;
    epoll_ctl(epoll_, l->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, l->fd, &ev);
    l->registered = true;
    l->armed = want;
  }

  void Run() {
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
          case FdKind::kProbe: {
            auto* p = static_cast<Probe*>(ref->owner);
            if (p->dead) break;
            int err = 0;
            socklen_t errLen = sizeof err;
            if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &errLen) < 0) err = errno;
            EndProbe(p, err);
            break;
          }
        }
      }
      for (auto* c : graveyard_) delete c;
      graveyard_.clear();
      for (auto* p : deadProbes_) delete p;
      deadProbes_.clear();
      int64_t now = NowMs();
      if (now - lastSweep >= 100) {
        lastSweep = now;
        Sweep(now);
        for (auto* c : graveyard_) delete c;
        graveyard_.clear();
      }
    }
  }

  void RunCommands() {
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

  void Accept(Listener* l) {
    for (int i = 0; i < 64 && l->fd >= 0; i++) {
      if (l->max > 0 && l->current.load() >= l->max) {
        l->full = true;
        Arm(l);
        return;
      }
      sockaddr_storage peer;
      socklen_t peerLen = sizeof peer;
      int fd = accept4(l->fd, reinterpret_cast<sockaddr*>(&peer), &peerLen, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or EMFILE etc.: the kernel queue keeps the connection
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      l->current++;
      engine_->open_++;
      Event e{EventType::kAccepted};
      e.listener = l->id;
      AddressText(peer, &e.text, &e.a);
      sockaddr_storage local;
      socklen_t localLen = sizeof local;
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localLen) == 0) AddressText(local, &e.text2, &e.b);
      size_t target = engine_->acceptCounter_.fetch_add(1) % engine_->workers_.size();
      Worker* w = engine_->workers_[target].get();
      uint64_t id = w->NextId();
      e.conn = id;
      std::shared_ptr<Listener> shared = listeners_[l->id];
      if (w == this) Adopt(id, fd, shared);
      else w->Submit([w, id, fd, shared] { w->Adopt(id, fd, shared); });
      engine_->Post(std::move(e));
    }
  }

  void OnConnEvent(Conn* c, FdKind side, uint32_t ev) {
    if (c->dead) return;
    switch (c->phase) {
      case Phase::kWaiting: return;  // bytes wait in the kernel until a server is connected
      case Phase::kProxyRead:
        if (side == FdKind::kClient) TryProxyHeader(c);
        return;
      case Phase::kConnecting:
        if (side == FdKind::kServer && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) FinishConnect(c);
        return;
      case Phase::kRelaying:
        if (ev & EPOLLERR) {
          int err = 0;
          socklen_t len = sizeof err;
          getsockopt(side == FdKind::kClient ? c->client : c->server, SOL_SOCKET, SO_ERROR, &err, &len);
          if (err != 0) return Finish(c, side == FdKind::kClient ? CloseReason::kClientReset : CloseReason::kServerReset);
        }
        Pump(c);
        return;
    }
  }

  void TryProxyHeader(Conn* c) {
    static thread_local std::vector<uint8_t> buffer(kProxyV2HeaderLength + 65535);
    ssize_t n = recv(c->client, buffer.data(), buffer.size(), MSG_PEEK);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) return ProxyFailed(c, n == 0 ? "connection closed before the PROXY header" : strerror(errno));
    ProxyHeader h;
    ProxyParse r = ParseProxyHeader(buffer.data(), static_cast<size_t>(n), &h);
    if (r == ProxyParse::kIncomplete) return;  // wait for more (the deadline bounds it)
    if (r == ProxyParse::kInvalid) return ProxyFailed(c, h.error);
    // Consume exactly the header; what follows is the client's data for the server.
    size_t left = h.length;
    while (left > 0) {
      ssize_t got = recv(c->client, buffer.data(), left, 0);
      if (got <= 0) return ProxyFailed(c, "read error while consuming the PROXY header");
      left -= static_cast<size_t>(got);
    }
    c->phase = Phase::kWaiting;
    Event e{EventType::kProxyHeader};
    e.conn = c->id;
    e.code = h.version;
    e.a = h.sourcePort;
    e.b = h.destinationPort;
    e.text = h.local ? "" : h.source;
    e.text2 = h.local ? "" : h.destination;
    for (const auto& tlv : h.tlvs) {  // type, length (2 bytes), value
      e.data.push_back(tlv.type);
      e.data.push_back(static_cast<uint8_t>(tlv.length >> 8));
      e.data.push_back(static_cast<uint8_t>(tlv.length));
      e.data.insert(e.data.end(), buffer.begin() + static_cast<std::ptrdiff_t>(tlv.offset), buffer.begin() + static_cast<std::ptrdiff_t>(tlv.offset + tlv.length));
    }
    engine_->Post(std::move(e));
  }

  void ProxyFailed(Conn* c, const std::string& why) {
    Event e{EventType::kProxyFailed};
    e.conn = c->id;
    e.text = why;
    engine_->Post(std::move(e));
    Finish(c, CloseReason::kError);
  }

  void Fail(Conn* c, int err) {
    Event e{EventType::kConnectFailed};
    e.conn = c->id;
    e.a = err;
    engine_->Post(std::move(e));
  }

  void FinishConnect(Conn* c) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->server, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err == 0) {
      // EPOLLOUT with no error: connected (a spurious wakeup would show EINPROGRESS-free SO_ERROR too,
      // so confirm with getpeername).
      sockaddr_storage peer;
      socklen_t peerLen = sizeof peer;
      if (getpeername(c->server, reinterpret_cast<sockaddr*>(&peer), &peerLen) < 0) return;
      StartRelay(c);
      return;
    }
    AbandonServer(c);
    Fail(c, err);
  }

  void AbandonServer(Conn* c) {
    close(c->server);  // also leaves the epoll set
    c->server = -1;
    c->phase = Phase::kWaiting;
  }

  bool TakePipe(int* r, int* w) {
    if (!spare_.empty()) {
      *r = spare_.back().first;
      *w = spare_.back().second;
      spare_.pop_back();
      return true;
    }
    int p[2];
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) return false;
    *r = p[0];
    *w = p[1];
    return true;
  }

  void GivePipe(Direction& d) {
    if (d.pipeRead < 0) return;
    if (d.inPipe == 0 && spare_.size() < 256) spare_.emplace_back(d.pipeRead, d.pipeWrite);
    else {
      close(d.pipeRead);
      close(d.pipeWrite);
    }
    d.pipeRead = d.pipeWrite = -1;
  }

  void StartRelay(Conn* c) {
    if (!TakePipe(&c->up.pipeRead, &c->up.pipeWrite) || !TakePipe(&c->down.pipeRead, &c->down.pipeWrite)) {
      AbandonServer(c);
      return Fail(c, EMFILE);
    }
    c->phase = Phase::kRelaying;
    c->up.src = c->client;
    c->up.dst = c->server;
    c->down.src = c->server;
    c->down.dst = c->client;
    c->up.pending.swap(c->preamble);
    c->lastClient = c->lastServer = NowMs();
    Event e{EventType::kConnected};
    e.conn = c->id;
    engine_->Post(std::move(e));
    Pump(c);
  }

  static constexpr size_t kPipeCapacity = 65536;

  // Moves what can move in one direction. Returns 0, or -1 (src failed) / -2 (dst failed).
  int PumpDirection(Direction& d, bool* progress, bool* srcActive, bool* dstActive) {
    if (!d.pending.empty()) {
      ssize_t n = send(d.dst, d.pending.data() + d.pendingOffset, d.pending.size() - d.pendingOffset, MSG_NOSIGNAL);
      if (n > 0) {
        d.pendingOffset += static_cast<size_t>(n);
        *progress = *dstActive = true;
        if (d.pendingOffset == d.pending.size()) {
          d.pending.clear();
          d.pending.shrink_to_fit();
          d.pendingOffset = 0;
        }
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return -2;
      }
    }
    if (d.pending.empty() && d.inPipe > 0) {
      ssize_t n = splice(d.pipeRead, nullptr, d.dst, nullptr, d.inPipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        d.inPipe -= static_cast<size_t>(n);
        d.bytes += static_cast<uint64_t>(n);
        *progress = *dstActive = true;
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        return -2;
      }
    }
    if (!d.eof && d.inPipe < kPipeCapacity) {
      ssize_t n = splice(d.src, nullptr, d.pipeWrite, nullptr, kPipeCapacity - d.inPipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        d.inPipe += static_cast<size_t>(n);
        *progress = *srcActive = true;
      } else if (n == 0) {
        d.eof = true;
        *progress = true;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return -1;
      }
    }
    if (d.eof && d.inPipe == 0 && d.pending.empty() && !d.shut) {
      shutdown(d.dst, SHUT_WR);  // half-close: pass the FIN on
      d.shut = true;
    }
    return 0;
  }

  void Pump(Conn* c) {
    bool clientActive = false, serverActive = false;
    for (int rounds = 0; rounds < 64; rounds++) {
      bool progress = false;
      int r = PumpDirection(c->up, &progress, &clientActive, &serverActive);
      if (r != 0) return Finish(c, r == -1 ? CloseReason::kClientReset : CloseReason::kServerReset);
      r = PumpDirection(c->down, &progress, &serverActive, &clientActive);
      if (r != 0) return Finish(c, r == -1 ? CloseReason::kServerReset : CloseReason::kClientReset);
      if (c->up.shut && c->down.shut) return Finish(c, CloseReason::kDone);
      if (!progress) break;
      if (rounds == 63) {
        // Still moving: yield to other connections and come back (edge-triggered: no new edge
        // would arrive, so re-queue ourselves through the command queue).
        uint64_t id = c->id;
        Submit([this, id] {
          if (Conn* again = Find(id)) Pump(again);
        });
      }
    }
    int64_t now = (clientActive || serverActive) ? NowMs() : 0;
    if (clientActive) c->lastClient = now;
    if (serverActive) c->lastServer = now;
  }

  // Reports a probe and resets the socket (SO_LINGER 0): no FIN handshake, no TIME_WAIT, as
  // HAProxy does for its connect checks.
  void EndProbe(Probe* p, int err) {
    if (p->dead) return;
    p->dead = true;
    if (p->fd >= 0) {
      linger lg{1, 0};
      setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      close(p->fd);
      p->fd = -1;
    }
    probes_.erase(p);
    deadProbes_.push_back(p);
    Event e{EventType::kProbe};
    e.conn = p->id;
    e.a = err;
    e.b = NowUs() - p->started;
    engine_->Post(std::move(e));
  }

  void Sweep(int64_t now) {
    std::vector<Probe*> late;
    for (auto* p : probes_)
      if (now >= p->deadline) late.push_back(p);
    for (auto* p : late) EndProbe(p, ETIMEDOUT);
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

  void CloseFds(Conn* c) {
    if (c->client >= 0) close(c->client);
    if (c->server >= 0) close(c->server);
    c->client = c->server = -1;
    GivePipe(c->up);
    GivePipe(c->down);
  }

  void Finish(Conn* c, CloseReason reason) {
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

  Engine* engine_;
  int index_;
  int epoll_ = -1;
  int wake_ = -1;
  FdRef wakeRef_{FdKind::kWake, nullptr};
  std::thread thread_;
  bool running_ = true;
  std::mutex mutex_;
  std::vector<std::function<void()>> commands_;
  std::unordered_map<uint64_t, Conn*> conns_;
  std::unordered_map<uint32_t, std::shared_ptr<Listener>> listeners_;
  std::vector<Conn*> graveyard_;
  std::unordered_set<Probe*> probes_;
  std::vector<Probe*> deadProbes_;
  std::vector<std::pair<int, int>> spare_;
  std::atomic<uint64_t> nextSeq_{1};
};

Engine::Engine(int threads, Notify notify) : notify_(std::move(notify)) {
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; i++) workers_.push_back(std::make_unique<Worker>(this, i));
}

Engine::~Engine() { Shutdown(); }

void Engine::Shutdown() {
  if (shutdown_) return;
  shutdown_ = true;
  for (auto& w : workers_) w->Stop();
  workers_.clear();
}

uint32_t Engine::Listen(const ListenOptions& o, int* boundPort) {
  if (shutdown_) throw std::runtime_error("engine is closed");
  sockaddr_storage addr;
  socklen_t len = MakeAddress(o.host, o.port, &addr);
  if (len == 0) throw std::runtime_error("listen address must be a numeric IPv4 or IPv6 address");
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) < 0 || listen(fd, o.backlog > 0 ? o.backlog : 1024) < 0) {
    std::string message = std::string("bind/listen ") + o.host + ":" + std::to_string(o.port) + ": " + strerror(errno);
    close(fd);
    throw std::runtime_error(message);
  }
  sockaddr_storage bound;
  socklen_t boundLen = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &boundLen);
  std::string ignored;
  int64_t port = 0;
  AddressText(bound, &ignored, &port);
  *boundPort = static_cast<int>(port);
  auto l = std::make_shared<Listener>();
  l->id = nextListener_++;
  l->fd = fd;
  l->max = o.maxConnections;
  Worker* w = workers_[0].get();
  w->Submit([w, l] { w->AddListener(l); });
  return l->id;
}

void Engine::PauseListener(uint32_t id, bool paused) {
  if (shutdown_) return;
  Worker* w = workers_[0].get();
  w->Submit([w, id, paused] { w->PauseListener(id, paused); });
}

void Engine::CloseListener(uint32_t id) {
  if (shutdown_) return;
  Worker* w = workers_[0].get();
  w->Submit([w, id] { w->CloseListener(id); });
}

static Worker* WorkerOf(Engine* e, uint64_t conn) {
  size_t index = conn & 0xff;
  return index < e->workers_.size() ? e->workers_[index].get() : nullptr;
}

void Engine::Connect(uint64_t conn, const ConnectOptions& options) {
  if (shutdown_) return;
  if (Worker* w = WorkerOf(this, conn)) w->Submit([w, conn, options] { w->Connect(conn, options); });
}

void Engine::ReadProxyHeader(uint64_t conn, int timeoutMs) {
  if (shutdown_) return;
  if (Worker* w = WorkerOf(this, conn)) w->Submit([w, conn, timeoutMs] { w->ReadProxy(conn, timeoutMs); });
}

void Engine::Close(uint64_t conn) {
  if (shutdown_) return;
  if (Worker* w = WorkerOf(this, conn)) w->Submit([w, conn] { w->CloseConn(conn); });
}

void Engine::Probe(uint64_t id, const std::string& host, int port, int timeoutMs) {
  if (shutdown_) return;
  Worker* w = workers_[id % workers_.size()].get();
  w->Submit([w, id, host, port, timeoutMs] { w->StartProbe(id, host, port, timeoutMs); });
}

void Engine::Post(Event&& event) {
  bool wasEmpty;
  {
    std::lock_guard<std::mutex> lock(eventsMutex_);
    wasEmpty = events_.empty();
    events_.push_back(std::move(event));
  }
  if (wasEmpty && notify_) notify_();
}

std::vector<Event> Engine::TakeEvents() {
  std::vector<Event> out;
  std::lock_guard<std::mutex> lock(eventsMutex_);
  out.swap(events_);
  return out;
}

}  // namespace hakit::lb
