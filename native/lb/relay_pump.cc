// Moving bytes: splice(2) from the source socket into a pipe and from the pipe into the
// destination socket, per direction, without copying through user space; FIN passed on.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "lb/relay_internal.h"

namespace hakit::lb {

namespace {
constexpr size_t kPipeCapacity = 65536;
}  // namespace

bool Worker::TakePipe(int* r, int* w) {
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

void Worker::GivePipe(Direction& d) {
  if (d.pipeRead < 0) return;
  if (d.inPipe == 0 && spare_.size() < 256) spare_.emplace_back(d.pipeRead, d.pipeWrite);
  else {
    close(d.pipeRead);
    close(d.pipeWrite);
  }
  d.pipeRead = d.pipeWrite = -1;
}

int Worker::PumpDirection(Direction& d, bool* progress, bool* srcActive, bool* dstActive) {
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

void Worker::Pump(Conn* c) {
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
}  // namespace hakit::lb
