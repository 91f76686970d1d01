// Native L7 engine: listeners, accept, the poll dispatch, timeouts, writes and hand-off to JS.
// Sockets are non-blocking fds watched with uv_poll_t on Node's loop (no threads, no locks).
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cstring>

#include "lb/http/engine.h"

namespace hakit::lb::http {

uint8_t* ByteBuf::Reserve(size_t want) {
  if (cap_ - end_ < want) {
    if (start_ > 0) {
      std::memmove(p_, p_ + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    if (cap_ - end_ < want) {
      size_t cap = cap_ ? cap_ : 4096;
      while (cap - end_ < want) cap *= 2;
      auto* p = static_cast<uint8_t*>(std::realloc(p_, cap));
      if (!p) return nullptr;
      p_ = p;
      cap_ = cap;
    }
  }
  return p_ + end_;
}

namespace {

void OnConnPoll(uv_poll_t* handle, int status, int events) {
  auto* c = static_cast<Conn*>(handle->data);
  if (!c || c->closing) return;
  // An error on the fd shows up as readable/writable: the syscalls then report it.
  if (status < 0) events = UV_READABLE | UV_WRITABLE;
  if (c->isClient) c->engine->OnClient(static_cast<ClientConn*>(c), events);
  else c->engine->OnServer(static_cast<ServerConn*>(c), events);
}

bool ParseAddr(const std::string& host, int port, sockaddr_storage* ss, socklen_t* len) {
  std::memset(ss, 0, sizeof(*ss));
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in);
    return true;
  }
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

std::string PeerString(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof(buf));
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr;
    // IPv4-mapped addresses are shown as IPv4, as the JS path does.
    if (IN6_IS_ADDR_V4MAPPED(a)) inet_ntop(AF_INET, reinterpret_cast<const uint8_t*>(a) + 12, buf, sizeof(buf));
    else inet_ntop(AF_INET6, a, buf, sizeof(buf));
  }
  return buf;
}

}  // namespace

namespace {
void OnListenPoll(uv_poll_t* h, int, int) {
  auto* e = static_cast<Engine*>(h->data);
  for (Listener* x : e->listeners)
    if (x && x->poll == h) return e->Accept(x);
}
}  // namespace

Engine::Engine(uv_loop_t* l, EngineHost* h) : host(h), loop(l) {
  timer_ = new uv_timer_t;
  uv_timer_init(loop, timer_);
  timer_->data = this;
  uv_timer_start(timer_, [](uv_timer_t* t) { static_cast<Engine*>(t->data)->Tick(); }, 50, 50);
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_));
  // Completion records go to JS once per loop iteration, after the I/O callbacks.
  check_ = new uv_check_t;
  uv_check_init(loop, check_);
  check_->data = this;
  uv_check_start(check_, [](uv_check_t* c) {
    auto* e = static_cast<Engine*>(c->data);
    if (!e->records.empty()) {
      std::vector<double> batch;
      batch.swap(e->records);
      e->host->Flush(batch);
    }
  });
  uv_unref(reinterpret_cast<uv_handle_t*>(check_));
}

Engine::~Engine() { Shutdown(); }

void Engine::Shutdown() {
  if (down_) return;
  down_ = true;
  while (head_) CloseClient(head_);
  for (Slot& s : slots) {
    std::vector<ServerConn*> idle;
    idle.swap(s.idle);
    for (ServerConn* sc : idle) CloseConn(sc);
  }
  for (Listener* l : listeners)
    if (l) CloseListener(l->id);
  for (Listener* l : closed_) delete l;
  closed_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  uv_close(reinterpret_cast<uv_handle_t*>(check_), [](uv_handle_t* h) { delete reinterpret_cast<uv_check_t*>(h); });
}

uint64_t Engine::Now() { return uv_hrtime() / 1000; }

int Engine::Listen(int id, const std::string& hostName, int port, int backlog, bool reusePort, const Listener& params) {
  sockaddr_storage ss;
  socklen_t len;
  if (!ParseAddr(hostName, port, &ss, &len)) return -EINVAL;
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (reusePort) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 || listen(fd, backlog) < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  sockaddr_storage bound;
  socklen_t blen = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  int boundPort = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  auto* l = new Listener(params);
  l->id = id;
  l->fd = fd;
  l->conns = 0;
  l->poll = new uv_poll_t;
  uv_poll_init(loop, l->poll, fd);
  l->poll->data = this;
  uv_poll_start(l->poll, UV_READABLE, OnListenPoll);
  if (static_cast<size_t>(id) >= listeners.size()) listeners.resize(id + 1, nullptr);
  listeners[id] = l;
  return boundPort;
}

void Engine::Configure(int id, const Listener& params) {
  if (id < 0 || static_cast<size_t>(id) >= listeners.size() || !listeners[id]) return;
  Listener* l = listeners[id];
  l->t = params.t;
  l->limits = params.limits;
  l->err400 = params.err400;
  l->err408 = params.err408;
  l->err502 = params.err502;
  l->err503 = params.err503;
  l->err504 = params.err504;
  l->maxconn = params.maxconn;
}

void Engine::CloseListener(int id) {
  if (id < 0 || static_cast<size_t>(id) >= listeners.size() || !listeners[id]) return;
  Listener* l = listeners[id];
  uv_poll_stop(l->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(l->poll), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  close(l->fd);
  l->fd = -1;
  l->poll = nullptr;
  // Live connections keep a pointer to their listener: it stays allocated (closed) until shutdown.
  listeners[id] = nullptr;
  closed_.push_back(l);
}

int Engine::AddSlot(const std::string& hostName, int port, uint32_t connectMs, uint32_t serverMs) {
  Slot s;
  if (!ParseAddr(hostName, port, &s.addr, &s.len)) return -1;
  s.connectMs = connectMs;
  s.serverMs = serverMs;
  for (size_t i = 0; i < slots.size(); i++)
    if (slots[i].len == s.len && std::memcmp(&slots[i].addr, &s.addr, s.len) == 0 && slots[i].connectMs == connectMs && slots[i].serverMs == serverMs)
      return static_cast<int>(i);
  slots.push_back(std::move(s));
  return static_cast<int>(slots.size() - 1);
}

void Engine::Accept(Listener* l) {
  for (int i = 0; i < 64; i++) {
    if (l->conns >= l->maxconn) {
      // HAProxy stops accepting at maxconn; resumed when a connection closes.
      uv_poll_stop(l->poll);
      l->paused = true;
      return;
    }
    sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = accept4(l->fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or an error the next readiness will report again
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto* c = new ClientConn;
    c->engine = this;
    c->isClient = true;
    c->fd = fd;
    c->listener = l;
    c->peer = PeerString(ss);
    c->tIdle = Now();
    c->deadline = c->tIdle + static_cast<uint64_t>(l->t.httpRequest) * 1000;
    l->conns++;
    c->next = head_;
    if (head_) head_->prev = c;
    head_ = c;
    clients_++;
    uv_poll_init(loop, &c->poll, fd);
    c->poll.data = c;
    Poll(c, UV_READABLE);
  }
}

void Engine::Poll(Conn* c, int events) {
  if (c->closing || events == c->events) return;
  c->events = events;
  if (events == 0) uv_poll_stop(&c->poll);
  else uv_poll_start(&c->poll, events, OnConnPoll);
}

void Engine::CloseConn(Conn* c) {
  if (c->closing) return;
  c->closing = true;
  uv_poll_stop(&c->poll);
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  if (!c->isClient) {
    auto* s = static_cast<ServerConn*>(c);
    if (s->slot >= 0 && static_cast<size_t>(s->slot) < slots.size()) {
      auto& idle = slots[s->slot].idle;
      for (size_t i = 0; i < idle.size(); i++)
        if (idle[i] == s) {
          idle.erase(idle.begin() + static_cast<long>(i));
          break;
        }
    }
    if (s->client && s->client->server == s) s->client->server = nullptr;
    s->client = nullptr;
  }
  c->poll.data = c;
  uv_close(reinterpret_cast<uv_handle_t*>(&c->poll), [](uv_handle_t* h) {
    auto* conn = static_cast<Conn*>(h->data);
    if (conn->isClient) delete static_cast<ClientConn*>(conn);
    else delete static_cast<ServerConn*>(conn);
  });
}

void Engine::CloseClient(ClientConn* c) {
  if (c->closing) return;
  if (c->inFlight) Record(c, c->respHeadDone ? kTermCD : kTermCR);
  if (c->server) {
    // A server exchange cut short cannot be reused: its response would be misread later.
    ServerConn* s = c->server;
    c->server = nullptr;
    s->client = nullptr;
    CloseConn(s);
  }
  if (c->prev) c->prev->next = c->next;
  else head_ = c->next;
  if (c->next) c->next->prev = c->prev;
  clients_--;
  Listener* l = c->listener;
  l->conns--;
  if (l->paused && l->poll && l->conns < l->maxconn) {
    l->paused = false;
    uv_poll_start(l->poll, UV_READABLE, OnListenPoll);
  }
  CloseConn(c);
}

// Gives the connection to the JS path: the fd stays open, the bytes read so far go with it.
void Engine::Handoff(ClientConn* c) {
  if (c->pending() > 0) {
    c->state = ClientConn::kHandoff;  // finish writing earlier responses first
    Poll(c, UV_WRITABLE);
    return;
  }
  int fd = c->fd;
  c->fd = -1;
  std::string bytes(reinterpret_cast<const char*>(c->in.data()), c->in.size());
  int listener = c->listener->id;
  CloseClient(c);  // stops the poll; fd is -1 so it is not closed
  host->Handoff(fd, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), listener);
}

bool Engine::ReadInto(Conn* c, size_t cap, bool* eof) {
  *eof = false;
  for (int round = 0; round < 4 && c->in.size() < cap; round++) {
    uint8_t* p = c->in.Reserve(65536);
    if (!p) return false;
    ssize_t n = recv(c->fd, p, 65536, 0);
    if (n > 0) {
      c->in.Commit(static_cast<size_t>(n));
      if (n < 65536) return true;
      continue;
    }
    if (n == 0) {
      *eof = true;
      return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    if (errno == EINTR) continue;
    return false;
  }
  return true;
}

bool Engine::FlushOut(Conn* c) {
  while (c->pending() > 0) {
    ssize_t n = send(c->fd, c->out.data() + c->outOff, c->pending(), MSG_NOSIGNAL);
    if (n > 0) {
      c->outOff += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
  c->out.clear();
  c->outOff = 0;
  return true;
}

void Engine::Tick() {
  uint64_t now = Now();
  ClientConn* c = head_;
  while (c && !down_) {
    ClientConn* next = c->next;
    if (c->closing) {
      c = next;
      continue;
    }
    if (c->state == ClientConn::kConnecting) {
      if (c->server && now >= c->server->deadline) ConnectFailed(c);
    } else if (c->state == ClientConn::kHead) {
      if (now >= c->deadline) {
        // Idle keep-alive connections close quietly; a started (or first) head gets HAProxy's 408.
        if (c->in.size() == 0 && !c->first) CloseClient(c);
        else {
          c->status = 408;
          c->reqId = 0;
          Record(c, kTermcR);
          c->out.append(c->listener->err408);
          FlushOut(c);
          CloseClient(c);
        }
      }
    } else if (c->server && c->server->deadline && now >= c->server->deadline) {
      ServerFailed(c, true);
    } else if (c->deadline && now >= c->deadline) {
      // timeout client: the client stopped reading or sending mid-exchange.
      Record(c, kTermcD);
      CloseClient(c);
    }
    c = next;
  }
  for (Slot& slot : slots) {
    for (size_t i = 0; i < slot.idle.size();) {
      ServerConn* s = slot.idle[i];
      if (s->deadline && now >= s->deadline) CloseConn(s);  // removes it from slot.idle
      else i++;
    }
  }
}

}  // namespace hakit::lb::http
