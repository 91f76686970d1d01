// Socket syscalls for VRRP: the raw IP protocol 112 socket (multicast or unicast, bound to one
// interface), and an AF_PACKET socket for gratuitous ARP / unsolicited NA frames. Plain C++.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace hakit::vrrp {

struct SocketOptions {
  int family = 4;          // 4 or 6
  std::string ifname;
  int ifindex = 0;
  bool multicast = true;   // join 224.0.0.18 / ff02::12 on ifindex
  int ttl = 255;           // TTL / hop limit of what we send
};

// Returns the fd, or -errno; `what` names the failing step.
int OpenVrrpSocket(const SocketOptions& options, std::string* what);

struct RecvMeta {
  uint8_t src[16] = {};
  uint8_t dst[16] = {};
  int ttl = -1;      // -1: not reported
  int ifindex = 0;
  size_t offset = 0; // start of the VRRP message in the buffer
  size_t len = 0;    // its length (IPv4: from the IP total length)
  int ipError = 0;   // IPv4: a ParseError from the IP header, 0 if fine
  double ageMs = 0;  // time since the kernel received it (SO_TIMESTAMPNS), 0 if unknown
};
// One recvmsg. Returns bytes read, 0 when nothing is pending, or -errno.
long RecvAdvert(int fd, int family, uint8_t* buf, size_t cap, RecvMeta* meta);

// Sends a VRRP message to dst, from src (IP_PKTINFO / IPV6_PKTINFO) when src is not null.
// Returns 0 or -errno.
int SendAdvert(int fd, int family, int ifindex, const uint8_t* data, size_t len, const uint8_t* dst, const uint8_t* src);

int OpenPacketSocket(std::string* what);
int SendFrame(int fd, int ifindex, const uint8_t* frame, size_t len);

int IfIndex(const std::string& name);
// Hardware address of an interface; returns 0 or -errno.
int IfMac(const std::string& name, uint8_t mac[6]);

}  // namespace hakit::vrrp
