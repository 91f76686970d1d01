// The server side: non-blocking connect (deadline checked by the sweep), failure reports for
// the TypeScript retry/redispatch policy, and the switch to relaying once connected.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "lb/relay_internal.h"

namespace hakit::lb {

void Worker::Connect(uint64_t id, const ConnectOptions& o) {
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

void Worker::OnConnEvent(Conn* c, FdKind side, uint32_t ev) {
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

void Worker::Fail(Conn* c, int err) {
  Event e{EventType::kConnectFailed};
  e.conn = c->id;
  e.a = err;
  engine_->Post(std::move(e));
}

void Worker::FinishConnect(Conn* c) {
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

void Worker::AbandonServer(Conn* c) {
  close(c->server);  // also leaves the epoll set
  c->server = -1;
  c->phase = Phase::kWaiting;
}

void Worker::StartRelay(Conn* c) {
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
}  // namespace hakit::lb
