// A netlink socket that runs batched request/reply exchanges (linux/netlink.h, netlink(7)).
// Plain C++ (syscalls only): the N-API binding runs Transact on the libuv pool, never on the
// JS thread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hakit::netlink {

struct TransactResult {
  std::vector<uint8_t> replies;  // every reply message for our requests, in arrival order
  int sys_errno = 0;             // a failed syscall (ENOBUFS: replies were lost), or 0
  std::string syscall;           // its name, or a protocol problem ("timeout", "truncated")
  uint32_t retried_busy = 0;     // dump requests resent after EBUSY
  uint32_t sends = 0;            // sendmsg calls made
  // With ack-per-window: requests taken as done because a later ack of their window arrived
  // (the kernel handles a sendmsg's messages in order, and answers a failed one even without
  // NLM_F_ACK). Only filled when the exchange stops early, so the caller knows which finished.
  std::vector<uint32_t> implicit_acks;
};

class Channel {
 public:
  ~Channel();
  // Opens and binds a socket of the given protocol (NETLINK_ROUTE, NETLINK_GENERIC, ...).
  // Returns 0 or an errno, with *syscall naming the call that failed.
  int Open(int protocol, int receive_buffer, std::string* syscall);
  void Close();
  bool IsOpen() const { return fd_ >= 0; }
  uint32_t PortId() const { return port_id_; }

  // Sends the requests (back-to-back netlink messages with unique sequence numbers; each
  // either a dump or carrying NLM_F_ACK) in windows of at most window_bytes, and collects the
  // replies until every request has its final message (the ack / error, or NLMSG_DONE).
  // timeout_ms bounds the wait for the kernel's next reply. A dump refused with EBUSY (another dump of ours still running) is sent again. At most
  // max_dumps dumps go in one window: each parks a whole skb (up to 32 KiB) in the receive
  // queue, and an overflowing queue loses answers.
  // With ack_per_window, only the last non-dump request of each window keeps NLM_F_ACK: the
  // others are answered only if they fail, which saves one reply (skb + recvmsg) per request.
  void Transact(const uint8_t* requests, size_t length, size_t window_bytes, size_t max_dumps, int timeout_ms, bool ack_per_window, TransactResult& result);

 private:
  int fd_ = -1;
  uint32_t port_id_ = 0;
  std::vector<uint8_t> receive_;
};

}  // namespace hakit::netlink
