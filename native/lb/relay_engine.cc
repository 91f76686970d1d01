// The engine: owns the workers, binds listeners, routes commands for a connection to the worker
// that owns it (the low byte of its id), and queues events for the JS thread (one notification
// per batch). Also the address helpers the workers share.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "lb/relay_internal.h"

namespace hakit::lb {

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

namespace {

Worker* WorkerOf(Engine* e, uint64_t conn) {
  size_t index = conn & 0xff;
  return index < e->workers_.size() ? e->workers_[index].get() : nullptr;
}

}  // namespace

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
