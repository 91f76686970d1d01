// Argument checks for the native side. TypeScript validates first; these checks exist so that
// a caller bypassing lib/ gets a TypeError with a code, never a crash.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace hakit {

Napi::Error TypedError(Napi::Env env, const char* code, const std::string& message);
[[noreturn]] void ThrowTyped(Napi::Env env, const char* code, const std::string& message);

void RequireArgs(const Napi::CallbackInfo& info, size_t count);
int64_t ArgInt(const Napi::CallbackInfo& info, size_t index, int64_t min, int64_t max);
double ArgNumber(const Napi::CallbackInfo& info, size_t index);
std::string ArgString(const Napi::CallbackInfo& info, size_t index);

// A view of a Buffer or Uint8Array argument, valid while the JS value is alive.
struct ByteView {
  const uint8_t* data;
  size_t length;
};
ByteView ArgBytes(const Napi::CallbackInfo& info, size_t index);

}  // namespace hakit
