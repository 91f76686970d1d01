// Each capability registers its exports here from a static object in its own file, so adding a
// capability never touches addon.cc. The capability's functions land on exports[name].
#pragma once
#include <napi.h>

namespace hakit {

using InitFn = void (*)(Napi::Env env, Napi::Object target);

struct Registrar {
  Registrar(const char* name, InitFn init);
};

void InitAll(Napi::Env env, Napi::Object exports);

}  // namespace hakit

#define HAKIT_CAT_(a, b) a##b
#define HAKIT_CAT(a, b) HAKIT_CAT_(a, b)
#define HAKIT_REGISTER(name, fn) static ::hakit::Registrar HAKIT_CAT(hakit_registrar_, __LINE__)(name, fn)
