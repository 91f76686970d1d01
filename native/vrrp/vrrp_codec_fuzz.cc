// libFuzzer target: the VRRP parsers (IPv4 header, advert v2/v3 over IPv4 and IPv6) and a
// rebuild of whatever parsed, which must parse again to the same fields.
#include <cstring>

#include "vrrp/codec.h"

using namespace hakit::vrrp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Ipv4Info ip;
  if (ParseIpv4(data, size, &ip) == ParseError::kOk) {
    Advert a;
    if (ParseAdvert(data + ip.payloadOffset, ip.payloadLen, 4, ip.src, ip.dst, &a) == ParseError::kOk) {
      BuildSpec s;
      s.version = a.version; s.vrid = a.vrid == 0 ? 1 : a.vrid; s.priority = a.priority; s.interval = a.interval;
      s.authType = a.authType; s.auth = a.auth; s.addrs = a.addrs; s.count = a.count; s.addrLen = 4;
      s.src = ip.src; s.dst = ip.dst; s.pseudo = true;
      uint8_t out[kMaxAdvert];
      size_t len = BuildAdvert(s, out, sizeof out);
      Advert b;
      if (len == 0 || ParseAdvert(out, len, 4, ip.src, ip.dst, &b) != ParseError::kOk || b.count != a.count ||
          b.interval != a.interval || b.priority != a.priority || (a.version == 3 && !b.checksumPseudoOk) ||
          (a.version == 2 && !b.checksumPlainOk))
        __builtin_trap();
    }
  }
  if (size >= 32) {
    Advert a;
    ParseAdvert(data + 32, size - 32, 16, data, data + 16, &a);
  }
  Advert a;
  ParseAdvert(data, size, 4, nullptr, nullptr, &a);
  return 0;
}
