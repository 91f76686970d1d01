// Module entry: every capability registered itself (common/registry.h); this file only wires
// them up and reports how the addon was built.
#include <napi.h>

#include "common/registry.h"

namespace {

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  result.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
#if defined(__clang__)
  result.Set("compiler", Napi::String::New(env, "clang " __clang_version__));
#elif defined(__GNUC__)
  result.Set("compiler", Napi::String::New(env, "gcc " __VERSION__));
#endif
#if defined(__SANITIZE_ADDRESS__)
  result.Set("sanitizers", Napi::Boolean::New(env, true));
#else
  result.Set("sanitizers", Napi::Boolean::New(env, false));
#endif
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  hakit::InitAll(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(hakit, Init)
