#include "netlink/nlchannel.h"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <unordered_map>

#include "netlink/nlparse.h"

namespace hakit::netlink {
namespace {
int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}
}  // namespace

Channel::~Channel() { Close(); }

void Channel::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int Channel::Open(int protocol, int receive_buffer, std::string* syscall) {
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd_ < 0) {
    *syscall = "socket";
    return errno;
  }
  // Root may exceed rmem_max (SO_RCVBUFFORCE); others get what SO_RCVBUF allows.
  if (receive_buffer > 0 && ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) != 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  int on = 1;
  // Errors then carry the kernel's message (extended ack) and not the whole request back.
  ::setsockopt(fd_, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  ::setsockopt(fd_, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    int error = errno;
    *syscall = "bind";
    Close();
    return error;
  }
  socklen_t size = sizeof local;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &size) != 0) {
    int error = errno;
    *syscall = "getsockname";
    Close();
    return error;
  }
  port_id_ = local.nl_pid;
  receive_.resize(256 * 1024);
  return 0;
}

void Channel::Transact(const uint8_t* requests, size_t length, size_t window_bytes, int timeout_ms, TransactResult& result) {
  std::vector<MessageView> messages;
  size_t bad = 0;
  if (!SplitMessages(requests, length, messages, &bad)) {
    result.sys_errno = EINVAL;
    result.syscall = "malformed request";
    return;
  }
  std::deque<size_t> queue;
  for (size_t i = 0; i < messages.size(); ++i) queue.push_back(i);
  std::unordered_map<uint32_t, size_t> pending;  // seq -> request index
  std::vector<uint8_t> window;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  int64_t deadline = NowMs() + timeout_ms;

  while (!queue.empty() || !pending.empty()) {
    if (pending.empty()) {
      // Fill the next window: whole requests up to window_bytes (at least one).
      window.clear();
      while (!queue.empty()) {
        const MessageView& m = messages[queue.front()];
        if (!window.empty() && window.size() + Align4(m.length) > window_bytes) break;
        size_t at = window.size();
        window.resize(at + Align4(m.length), 0);
        std::memcpy(window.data() + at, requests + m.offset, m.length);
        pending[m.seq] = queue.front();
        queue.pop_front();
      }
      iovec iov{window.data(), window.size()};
      msghdr msg{};
      msg.msg_name = &kernel;
      msg.msg_namelen = sizeof kernel;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      ssize_t sent;
      do sent = ::sendmsg(fd_, &msg, 0);
      while (sent < 0 && errno == EINTR);
      if (sent < 0) {
        result.sys_errno = errno;
        result.syscall = "sendmsg";
        return;
      }
      ++result.sends;
    }

    int64_t left = deadline - NowMs();
    if (left <= 0) {
      result.sys_errno = ETIMEDOUT;
      result.syscall = "timeout";
      return;
    }
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      result.sys_errno = errno;
      result.syscall = "poll";
      return;
    }
    if (ready == 0) continue;  // the deadline check above ends it

    sockaddr_nl from{};
    iovec iov{receive_.data(), receive_.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t got = ::recvmsg(fd_, &msg, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      // ENOBUFS: the receive queue overflowed and replies were dropped; the caller decides
      // (re-read state, or fail) with what did arrive.
      result.sys_errno = errno;
      result.syscall = "recvmsg";
      return;
    }
    if (msg.msg_flags & MSG_TRUNC) {
      result.sys_errno = EMSGSIZE;
      result.syscall = "truncated";
      return;
    }
    if (from.nl_pid != 0) continue;  // only the kernel answers requests
    std::vector<MessageView> replies;
    if (!SplitMessages(receive_.data(), static_cast<size_t>(got), replies, &bad)) {
      result.sys_errno = EBADMSG;
      result.syscall = "malformed reply";
      return;
    }
    for (const MessageView& r : replies) {
      auto it = pending.find(r.seq);
      if (it == pending.end() || r.pid != port_id_) continue;  // stale: an earlier, abandoned exchange
      const MessageView& request = messages[it->second];
      bool dump = (request.flags & kFlagDump) == kFlagDump;
      bool final = r.type == kMsgError || r.type == kMsgDone;
      if (r.type == kMsgError && dump) {
        int32_t error = 0;
        if (MessageErrno(receive_.data(), r, &error) && error == -EBUSY) {
          queue.push_front(it->second);  // retried after the running dump ends
          pending.erase(it);
          ++result.retried_busy;
          continue;
        }
      }
      const uint8_t* at = receive_.data() + r.offset;
      result.replies.insert(result.replies.end(), at, at + r.length);
      result.replies.resize(Align4(result.replies.size()), 0);
      if (final) pending.erase(it);
    }
  }
}

}  // namespace hakit::netlink
