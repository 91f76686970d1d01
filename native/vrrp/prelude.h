// Work a timer does in C++ at its expiry, before any JavaScript runs: a VRRP takeover's advert,
// virtual addresses and gratuitous ARP/NA go out within microseconds of the master-down deadline.
// What to send is decided in TypeScript beforehand (lib/vrrp/instance.ts); this only executes it.
#pragma once
#include <napi.h>

namespace hakit::vrrp {

class Prelude {
 public:
  virtual ~Prelude() = default;
  virtual void Run() = 0;
};

// The Prelude behind a JS Takeover object (type-tagged), or nullptr for anything else.
Prelude* UnwrapPrelude(Napi::Env env, Napi::Value value);

}  // namespace hakit::vrrp
