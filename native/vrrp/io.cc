// References: ip(7), ipv6(7), raw(7), packet(7), RFC 3542 (IPv6 ancillary data).
#include "vrrp/io.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vrrp/codec.h"

namespace hakit::vrrp {
namespace {

int Fail(int fd, std::string* what, const char* step) {
  int err = errno;
  if (what) *what = step;
  if (fd >= 0) close(fd);
  return -err;
}

int SetInt(int fd, int level, int name, int value) { return setsockopt(fd, level, name, &value, sizeof value); }

// Ancillary data of any type, e.g. either family's pktinfo (cmsg(3)): the payload is copied,
// never cast in place, since CMSG_DATA need not be aligned for Info.
template <typename Info>
Info ReadControl(const cmsghdr* c) {
  Info info;
  std::memcpy(&info, CMSG_DATA(c), sizeof info);
  return info;
}

template <typename Info, size_t kCapacity>
void AttachControl(msghdr* msg, uint8_t (&control)[kCapacity], int level, int type, const Info& info) {
  static_assert(CMSG_SPACE(sizeof(Info)) <= kCapacity, "control buffer too small");
  msg->msg_control = control;
  msg->msg_controllen = CMSG_SPACE(sizeof info);
  cmsghdr* c = CMSG_FIRSTHDR(msg);
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(sizeof info);
  std::memcpy(CMSG_DATA(c), &info, sizeof info);
}

const uint8_t kGroup4[4] = {224, 0, 0, 18};
const uint8_t kGroup6[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12};

}  // namespace

int OpenVrrpSocket(const SocketOptions& o, std::string* what) {
  int domain = o.family == 6 ? AF_INET6 : AF_INET;
  int fd = socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kProtocol);
  if (fd < 0) return Fail(-1, what, "socket");
  // Kernel receive time: timers run from when the advert arrived, not from when JS got to it.
  if (SetInt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1) < 0) return Fail(fd, what, "SO_TIMESTAMPNS");
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o.ifname.c_str(), static_cast<socklen_t>(o.ifname.size() + 1)) < 0)
    return Fail(fd, what, "SO_BINDTODEVICE");
  if (o.family == 4) {
    if (SetInt(fd, IPPROTO_IP, IP_PKTINFO, 1) < 0) return Fail(fd, what, "IP_PKTINFO");
    if (SetInt(fd, IPPROTO_IP, IP_TOS, 0xc0) < 0) return Fail(fd, what, "IP_TOS");
    if (SetInt(fd, IPPROTO_IP, IP_TTL, o.ttl) < 0) return Fail(fd, what, "IP_TTL");
    if (SetInt(fd, IPPROTO_IP, IP_MULTICAST_TTL, o.ttl) < 0) return Fail(fd, what, "IP_MULTICAST_TTL");
    if (SetInt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0) < 0) return Fail(fd, what, "IP_MULTICAST_LOOP");
    ip_mreqn mreq{};
    mreq.imr_ifindex = o.ifindex;
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) < 0) return Fail(fd, what, "IP_MULTICAST_IF");
    if (o.multicast) {
      std::memcpy(&mreq.imr_multiaddr, kGroup4, 4);
      if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0) return Fail(fd, what, "IP_ADD_MEMBERSHIP");
    }
  } else {
    if (SetInt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0) return Fail(fd, what, "IPV6_RECVPKTINFO");
    if (SetInt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) < 0) return Fail(fd, what, "IPV6_RECVHOPLIMIT");
    if (SetInt(fd, IPPROTO_IPV6, IPV6_TCLASS, 0xc0) < 0) return Fail(fd, what, "IPV6_TCLASS");
    if (SetInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, o.ttl) < 0) return Fail(fd, what, "IPV6_UNICAST_HOPS");
    if (SetInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, o.ttl) < 0) return Fail(fd, what, "IPV6_MULTICAST_HOPS");
    if (SetInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0) < 0) return Fail(fd, what, "IPV6_MULTICAST_LOOP");
    if (SetInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, o.ifindex) < 0) return Fail(fd, what, "IPV6_MULTICAST_IF");
    if (o.multicast) {
      ipv6_mreq mreq{};
      std::memcpy(&mreq.ipv6mr_multiaddr, kGroup6, 16);
      mreq.ipv6mr_interface = static_cast<unsigned>(o.ifindex);
      if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq) < 0) return Fail(fd, what, "IPV6_JOIN_GROUP");
    }
  }
  return fd;
}

long RecvAdvert(int fd, int family, uint8_t* buf, size_t cap, RecvMeta* meta) {
  sockaddr_storage from{};
  iovec iov{buf, cap};
  alignas(cmsghdr) uint8_t control[256];
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  *meta = RecvMeta{};
  size_t got = static_cast<size_t>(n);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec rx = ReadControl<timespec>(c), now;
      clock_gettime(CLOCK_REALTIME, &now);
      double age = static_cast<double>(now.tv_sec - rx.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec - rx.tv_nsec) / 1e6;
      meta->ageMs = age > 0 && age < 60000 ? age : 0;  // ignore clock steps
    }
  }
  if (family == 4) {
    Ipv4Info info;
    ParseError e = ParseIpv4(buf, got, &info);
    if (e != ParseError::kOk) {
      meta->ipError = static_cast<int>(e);
      return n;
    }
    std::memcpy(meta->src, info.src, 4);
    std::memcpy(meta->dst, info.dst, 4);
    meta->ttl = info.ttl;
    meta->offset = info.payloadOffset;
    meta->len = info.payloadLen;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) meta->ifindex = ReadControl<in_pktinfo>(c).ipi_ifindex;
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&from);
    std::memcpy(meta->src, &sin6->sin6_addr, 16);
    meta->offset = 0;
    meta->len = got;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != IPPROTO_IPV6) continue;
      if (c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo pi = ReadControl<in6_pktinfo>(c);
        std::memcpy(meta->dst, &pi.ipi6_addr, 16);
        meta->ifindex = static_cast<int>(pi.ipi6_ifindex);
      } else if (c->cmsg_type == IPV6_HOPLIMIT) {
        meta->ttl = ReadControl<int>(c);
      }
    }
  }
  return n;
}

int SendAdvert(int fd, int family, int ifindex, const uint8_t* data, size_t len, const uint8_t* dst, const uint8_t* src) {
  iovec iov{const_cast<uint8_t*>(data), len};
  alignas(cmsghdr) uint8_t control[64] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  sockaddr_in to4{};
  sockaddr_in6 to6{};
  if (family == 4) {
    to4.sin_family = AF_INET;
    std::memcpy(&to4.sin_addr, dst, 4);
    msg.msg_name = &to4;
    msg.msg_namelen = sizeof to4;
    if (src) {
      in_pktinfo pi{};
      pi.ipi_ifindex = ifindex;
      std::memcpy(&pi.ipi_spec_dst, src, 4);
      AttachControl(&msg, control, IPPROTO_IP, IP_PKTINFO, pi);
    }
  } else {
    to6.sin6_family = AF_INET6;
    std::memcpy(&to6.sin6_addr, dst, 16);
    to6.sin6_scope_id = static_cast<uint32_t>(ifindex);
    msg.msg_name = &to6;
    msg.msg_namelen = sizeof to6;
    if (src) {
      in6_pktinfo pi{};
      pi.ipi6_ifindex = static_cast<unsigned>(ifindex);
      std::memcpy(&pi.ipi6_addr, src, 16);
      AttachControl(&msg, control, IPPROTO_IPV6, IPV6_PKTINFO, pi);
    }
  }
  ssize_t n = sendmsg(fd, &msg, MSG_DONTWAIT);
  if (n < 0) return -errno;
  return 0;
}

int OpenPacketSocket(std::string* what) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);  // send only: protocol 0 receives nothing
  if (fd < 0) return Fail(-1, what, "socket(AF_PACKET)");
  return fd;
}

int SendFrame(int fd, int ifindex, const uint8_t* frame, size_t len) {
  if (len < 14) return -EINVAL;
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex;
  to.sll_halen = 6;
  std::memcpy(&to.sll_protocol, frame + 12, 2);
  std::memcpy(to.sll_addr, frame, 6);
  ssize_t n = sendto(fd, frame, len, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to);
  return n < 0 ? -errno : 0;
}

int IfIndex(const std::string& name) { return static_cast<int>(if_nametoindex(name.c_str())); }

int IfMac(const std::string& name, uint8_t mac[6]) {
  if (name.size() >= IFNAMSIZ) return -EINVAL;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  ifreq req{};
  std::memcpy(req.ifr_name, name.c_str(), name.size());
  int rc = ioctl(fd, SIOCGIFHWADDR, &req);
  int err = errno;
  close(fd);
  if (rc < 0) return -err;
  std::memcpy(mac, req.ifr_hwaddr.sa_data, 6);
  return 0;
}

}  // namespace hakit::vrrp
