// libFuzzer target: the DHT hash and name munger on arbitrary bytes. The first byte picks a
// regex configuration; the rest is the name (and for configurations 2-3 also an extra regex).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "gluster/dht_hash.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] & 3;
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string name = rest, extra;
  if (mode >= 2) {
    size_t split = rest.find('\n');
    if (split != std::string::npos) {
      extra = rest.substr(0, split);
      name = rest.substr(split + 1);
    }
  }
  volatile uint32_t sink = hakit::gluster::DmHash(reinterpret_cast<const uint8_t*>(name.data()), name.size());
  hakit::gluster::NameMunger munger;
  std::string error;
  bool ok = munger.Configure(mode == 1 ? "none" : nullptr, mode >= 2 ? extra.c_str() : nullptr, &error);
  if (ok) {
    size_t length = strnlen(name.c_str(), name.size());
    std::string_view kept = munger.Munge(name.c_str(), length);
    if (kept.data() < name.data() || kept.data() + kept.size() > name.data() + length) __builtin_trap();
    sink = munger.Hash(name.c_str(), name.size());
    // The default-regex fast path must agree with glibc's regexec on every input.
    if (mode == 0) {
      hakit::gluster::NameMunger slow;
      slow.Configure(nullptr, nullptr, &error);
      slow.set_fast_path(false);
      std::string_view a = munger.Munge(name.c_str(), length);
      std::string_view b = slow.Munge(name.c_str(), length);
      if (a.data() != b.data() || a.size() != b.size()) __builtin_trap();
    }
  }
  (void)sink;
  return 0;
}
