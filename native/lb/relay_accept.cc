// Listeners (armed in epoll unless paused or at their connection limit), accept, and reading
// a client's PROXY header before anything is relayed.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lb/proxy_protocol.h"

#include "lb/relay_internal.h"

namespace hakit::lb {

void Worker::AddListener(std::shared_ptr<Listener> l) {
  l->ref.owner = l.get();
  listeners_[l->id] = l;
  Arm(l.get());
}

void Worker::PauseListener(uint32_t id, bool paused) {
  auto it = listeners_.find(id);
  if (it == listeners_.end()) return;
  it->second->paused = paused;
  Arm(it->second.get());
}

void Worker::CloseListener(uint32_t id) {
  auto it = listeners_.find(id);
  if (it == listeners_.end()) return;
  if (it->second->fd >= 0) close(it->second->fd);
  it->second->fd = -1;
  listeners_.erase(it);
  Event e{EventType::kListenerClosed};
  e.listener = id;
  engine_->Post(std::move(e));
}

void Worker::RecheckListeners() {
  for (auto& [id, l] : listeners_) Arm(l.get());
}

void Worker::Arm(Listener* l) {
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

void Worker::Accept(Listener* l) {
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

void Worker::Adopt(uint64_t id, int fd, std::shared_ptr<Listener> listener) {
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

void Worker::ReadProxy(uint64_t id, int timeoutMs) {
  Conn* c = Find(id);
  if (!c || c->phase != Phase::kWaiting) return;
  c->phase = Phase::kProxyRead;
  c->deadline = NowMs() + timeoutMs;
  TryProxyHeader(c);
}

void Worker::TryProxyHeader(Conn* c) {
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

void Worker::ProxyFailed(Conn* c, const std::string& why) {
  Event e{EventType::kProxyFailed};
  e.conn = c->id;
  e.text = why;
  engine_->Post(std::move(e));
  Finish(c, CloseReason::kError);
}
}  // namespace hakit::lb
