#include "netlink/nlchannel.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
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
  // Blocking receives that wake up every 200 ms to check the exchange's deadline: one syscall
  // per reply instead of poll + recvmsg (syscalls are dear under emulation).
  timeval tick{0, 200000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
  receive_.resize(256 * 1024);
  return 0;
}

void Channel::Transact(const uint8_t* requests, size_t length, size_t window_bytes, size_t max_dumps, int timeout_ms, bool ack_per_window, TransactResult& result) {
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
  std::vector<uint32_t> quiet;     // seqs of this window sent without NLM_F_ACK
  std::vector<uint32_t> finished_quiet;
  uint32_t closer_seq = 0;         // the window's acked non-dump request that closes them
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  int64_t deadline = NowMs() + timeout_ms;

  while (!queue.empty() || !pending.empty()) {
    if (pending.empty()) {
      // Fill the next window: whole requests up to window_bytes (at least one).
      window.clear();
      quiet.clear();
      size_t dumps = 0;
      size_t last_plain = SIZE_MAX;  // offset in window of the last non-dump request
      uint32_t last_plain_seq = 0;
      while (!queue.empty()) {
        const MessageView& m = messages[queue.front()];
        bool dump = (m.flags & kFlagDump) == kFlagDump;
        if (!window.empty() && (window.size() + Align4(m.length) > window_bytes || (dump && dumps >= max_dumps))) break;
        if (dump) ++dumps;
        size_t at = window.size();
        window.resize(at + Align4(m.length), 0);
        std::memcpy(window.data() + at, requests + m.offset, m.length);
        if (ack_per_window && !dump) {
          if (last_plain != SIZE_MAX) {
            // the previous plain request no longer ends the window: it goes without an ack
            uint16_t flags = static_cast<uint16_t>(window[last_plain + 6] | (window[last_plain + 7] << 8));
            flags = static_cast<uint16_t>(flags & ~kFlagAck);
            window[last_plain + 6] = static_cast<uint8_t>(flags & 0xff);
            window[last_plain + 7] = static_cast<uint8_t>(flags >> 8);
            quiet.push_back(last_plain_seq);
          }
          last_plain = at;
          last_plain_seq = m.seq;
        }
        pending[m.seq] = queue.front();
        queue.pop_front();
      }
      closer_seq = last_plain_seq;
      if (last_plain == SIZE_MAX) quiet.clear();
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
        result.implicit_acks = std::move(finished_quiet);
        return;
      }
      ++result.sends;
    }

    int64_t left = deadline - NowMs();
    if (left <= 0) {
      result.sys_errno = ETIMEDOUT;
      result.syscall = "timeout";
      result.implicit_acks = std::move(finished_quiet);
      return;
    }
    sockaddr_nl from{};
    iovec iov{receive_.data(), receive_.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t got = ::recvmsg(fd_, &msg, 0);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      // ENOBUFS: the receive queue overflowed and replies were dropped; the caller decides
      // (re-read state, or fail) with what did arrive.
      result.sys_errno = errno;
      result.syscall = "recvmsg";
      result.implicit_acks = std::move(finished_quiet);
      return;
    }
    if (msg.msg_flags & MSG_TRUNC) {
      result.sys_errno = EMSGSIZE;
      result.syscall = "truncated";
      result.implicit_acks = std::move(finished_quiet);
      return;
    }
    if (from.nl_pid != 0) continue;  // only the kernel answers requests
    deadline = NowMs() + timeout_ms;     // the timeout bounds silence, not the whole batch
    std::vector<MessageView> replies;
    if (!SplitMessages(receive_.data(), static_cast<size_t>(got), replies, &bad)) {
      result.sys_errno = EBADMSG;
      result.syscall = "malformed reply";
      result.implicit_acks = std::move(finished_quiet);
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
      if (final) {
        pending.erase(it);
        if (!quiet.empty() && r.seq == closer_seq) {
          // every quiet request before the closer has been handled; failures were answered
          for (uint32_t seq : quiet) {
            if (pending.erase(seq) != 0) finished_quiet.push_back(seq);
          }
          quiet.clear();
        }
      }
    }
  }
}

}  // namespace hakit::netlink
