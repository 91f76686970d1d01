#include "common/registry.h"

#include <string>
#include <utility>
#include <vector>

namespace hakit {
namespace {
// A function-local static avoids the static-initialisation-order problem between files.
std::vector<std::pair<std::string, InitFn>>& Entries() {
  static std::vector<std::pair<std::string, InitFn>> entries;
  return entries;
}
}  // namespace

Registrar::Registrar(const char* name, InitFn init) { Entries().emplace_back(name, init); }

void InitAll(Napi::Env env, Napi::Object exports) {
  for (auto& [name, init] : Entries()) {
    Napi::Object target = Napi::Object::New(env);
    init(env, target);
    exports.Set(name, target);
  }
}

}  // namespace hakit
