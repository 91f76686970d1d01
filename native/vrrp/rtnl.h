// Direct rtnetlink for the VRRP fast path: a synchronous address add/delete (one request, one
// ack, well under a millisecond) so a new master's VIPs are up before its gratuitous ARPs, and
// a link-event parser for interface tracking (RTNLGRP_LINK). Plain C++ (fuzzed).
// References: linux/netlink.h, linux/rtnetlink.h, linux/if_addr.h, linux/if_link.h, rtnetlink(7).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hakit::vrrp {

struct AddressChange {
  bool add = true;
  int family = 4;        // 4 or 6
  int ifindex = 0;
  int prefix = 32;
  int scope = 0;         // RT_SCOPE_UNIVERSE, or RT_SCOPE_LINK for fe80::/10
  uint8_t address[16] = {};
  std::string label;     // IFA_LABEL (IPv4 only), at most 15 bytes
  bool nodad = false;    // IFA_F_NODAD (IPv6)
};

// Builds the RTM_NEWADDR / RTM_DELADDR request into out; returns its length or 0 if it does not fit.
size_t BuildAddressRequest(const AddressChange& change, uint32_t seq, uint8_t* out, size_t cap);

// Sends one request on a fresh NETLINK_ROUTE socket and waits (at most timeoutMs) for its ack.
// Returns 0 or -errno (the kernel's error, e.g. -EEXIST, or the failing syscall's).
int ChangeAddress(const AddressChange& change, int timeoutMs);

struct LinkEvent {
  bool removed = false;  // RTM_DELLINK
  int ifindex = 0;
  uint32_t flags = 0;    // IFF_*
  std::string name;      // IFLA_IFNAME, empty if absent
};

// Parses a datagram of netlink messages; keeps RTM_NEWLINK / RTM_DELLINK. Never reads past len.
void ParseLinkEvents(const uint8_t* data, size_t len, std::vector<LinkEvent>* out);

// A nonblocking NETLINK_ROUTE socket subscribed to RTNLGRP_LINK; returns the fd or -errno.
int OpenLinkMonitor();

}  // namespace hakit::vrrp
