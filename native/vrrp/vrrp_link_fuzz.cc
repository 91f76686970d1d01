// libFuzzer target: the rtnetlink link-event parser (RTM_NEWLINK / RTM_DELLINK datagrams).
#include "vrrp/rtnl.h"

using namespace hakit::vrrp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<LinkEvent> events;
  ParseLinkEvents(data, size, &events);
  for (const auto& e : events)
    if (e.name.size() > size) __builtin_trap();
  return 0;
}
