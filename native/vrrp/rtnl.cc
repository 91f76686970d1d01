#include "vrrp/rtnl.h"

#include <cerrno>
#include <cstring>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace hakit::vrrp {
namespace {

size_t Align(size_t n) { return (n + 3) & ~size_t{3}; }

bool PutAttr(uint8_t* out, size_t cap, size_t* pos, uint16_t type, const void* data, size_t len) {
  size_t need = Align(4 + len);
  if (*pos + need > cap) return false;
  uint16_t rtaLen = static_cast<uint16_t>(4 + len);
  std::memcpy(out + *pos, &rtaLen, 2);
  std::memcpy(out + *pos + 2, &type, 2);
  std::memcpy(out + *pos + 4, data, len);
  std::memset(out + *pos + 4 + len, 0, need - 4 - len);
  *pos += need;
  return true;
}

double NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

}  // namespace

size_t BuildAddressRequest(const AddressChange& c, uint32_t seq, uint8_t* out, size_t cap) {
  size_t alen = c.family == 6 ? 16 : 4;
  if (cap < NLMSG_HDRLEN + sizeof(ifaddrmsg) || c.label.size() > 15) return 0;
  std::memset(out, 0, NLMSG_HDRLEN + sizeof(ifaddrmsg));
  auto* h = reinterpret_cast<nlmsghdr*>(out);
  h->nlmsg_type = c.add ? RTM_NEWADDR : RTM_DELADDR;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (c.add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
  h->nlmsg_seq = seq;
  auto* ifa = reinterpret_cast<ifaddrmsg*>(out + NLMSG_HDRLEN);
  ifa->ifa_family = c.family == 6 ? AF_INET6 : AF_INET;
  ifa->ifa_prefixlen = static_cast<uint8_t>(c.prefix);
  ifa->ifa_scope = static_cast<uint8_t>(c.scope);
  ifa->ifa_index = static_cast<uint32_t>(c.ifindex);
  size_t pos = NLMSG_HDRLEN + Align(sizeof(ifaddrmsg));
  if (!PutAttr(out, cap, &pos, IFA_ADDRESS, c.address, alen)) return 0;
  if (c.family == 4 && !PutAttr(out, cap, &pos, IFA_LOCAL, c.address, alen)) return 0;
  if (c.family == 4 && !c.label.empty() && !PutAttr(out, cap, &pos, IFA_LABEL, c.label.c_str(), c.label.size() + 1)) return 0;
  if (c.nodad) {
    uint32_t flags = IFA_F_NODAD;
    if (!PutAttr(out, cap, &pos, IFA_FLAGS, &flags, 4)) return 0;
  }
  h->nlmsg_len = static_cast<uint32_t>(pos);
  return pos;
}

int ChangeAddress(const AddressChange& c, int timeoutMs) {
  uint8_t req[256];
  static uint32_t seq = 0;
  uint32_t mySeq = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
  size_t len = BuildAddressRequest(c, mySeq, req, sizeof req);
  if (len == 0) return -EINVAL;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  int rc = -ETIMEDOUT;
  if (sendto(fd, req, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    rc = -errno;
    close(fd);
    return rc;
  }
  double deadline = NowMs() + timeoutMs;
  alignas(nlmsghdr) uint8_t buf[8192];
  for (;;) {
    int left = static_cast<int>(deadline - NowMs());
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    int pr = poll(&p, 1, left);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) break;
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      rc = -errno;
      break;
    }
    bool done = false;
    size_t off = 0;
    while (off + NLMSG_HDRLEN <= static_cast<size_t>(n)) {
      auto* h = reinterpret_cast<nlmsghdr*>(buf + off);
      if (h->nlmsg_len < NLMSG_HDRLEN || off + h->nlmsg_len > static_cast<size_t>(n)) break;
      if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == mySeq && h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
        int err;
        std::memcpy(&err, buf + off + NLMSG_HDRLEN, sizeof err);
        rc = err;  // 0 (ack) or -errno
        done = true;
        break;
      }
      off += Align(h->nlmsg_len);
    }
    if (done) break;
  }
  close(fd);
  return rc;
}

void ParseLinkEvents(const uint8_t* data, size_t len, std::vector<LinkEvent>* out) {
  size_t off = 0;
  while (off + NLMSG_HDRLEN <= len) {
    uint32_t mlen;
    uint16_t type;
    std::memcpy(&mlen, data + off, 4);
    std::memcpy(&type, data + off + 4, 2);
    if (mlen < NLMSG_HDRLEN || mlen > len - off) return;
    if ((type == RTM_NEWLINK || type == RTM_DELLINK) && mlen >= NLMSG_HDRLEN + sizeof(ifinfomsg)) {
      ifinfomsg ifi;
      std::memcpy(&ifi, data + off + NLMSG_HDRLEN, sizeof ifi);
      LinkEvent e;
      e.removed = type == RTM_DELLINK;
      e.ifindex = ifi.ifi_index;
      e.flags = ifi.ifi_flags;
      size_t a = off + NLMSG_HDRLEN + Align(sizeof(ifinfomsg));
      size_t end = off + mlen;
      while (a + 4 <= end) {
        uint16_t alen, atype;
        std::memcpy(&alen, data + a, 2);
        std::memcpy(&atype, data + a + 2, 2);
        if (alen < 4 || alen > end - a) break;
        if (atype == IFLA_IFNAME && alen > 4) {
          const char* s = reinterpret_cast<const char*>(data + a + 4);
          e.name.assign(s, strnlen(s, alen - 4));
        }
        a += Align(alen);
      }
      out->push_back(std::move(e));
    }
    if (Align(mlen) > len - off) return;
    off += Align(mlen);
  }
}

int OpenLinkMonitor() {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

}  // namespace hakit::vrrp
