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
  // A dump refused with EBUSY (another dump of ours still running) is sent again.
  void Transact(const uint8_t* requests, size_t length, size_t window_bytes, int timeout_ms, TransactResult& result);

 private:
  int fd_ = -1;
  uint32_t port_id_ = 0;
  std::vector<uint8_t> receive_;
};

}  // namespace hakit::netlink
