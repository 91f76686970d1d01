#include "common/args.h"

#include <cmath>

namespace hakit {

Napi::Error TypedError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

void ThrowTyped(Napi::Env env, const char* code, const std::string& message) {
  throw TypedError(env, code, message);
}

void RequireArgs(const Napi::CallbackInfo& info, size_t count) {
  if (info.Length() < count)
    ThrowTyped(info.Env(), "ERR_NATIVE_ARGS", "expected " + std::to_string(count) + " arguments, got " + std::to_string(info.Length()));
}

double ArgNumber(const Napi::CallbackInfo& info, size_t index) {
  RequireArgs(info, index + 1);
  if (!info[index].IsNumber()) ThrowTyped(info.Env(), "ERR_NATIVE_ARGS", "argument " + std::to_string(index) + " must be a number");
  return info[index].As<Napi::Number>().DoubleValue();
}

int64_t ArgInt(const Napi::CallbackInfo& info, size_t index, int64_t min, int64_t max) {
  double value = ArgNumber(info, index);
  if (!std::isfinite(value) || std::trunc(value) != value || value < static_cast<double>(min) || value > static_cast<double>(max))
    ThrowTyped(info.Env(), "ERR_NATIVE_ARGS", "argument " + std::to_string(index) + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return static_cast<int64_t>(value);
}

std::string ArgString(const Napi::CallbackInfo& info, size_t index) {
  RequireArgs(info, index + 1);
  if (!info[index].IsString()) ThrowTyped(info.Env(), "ERR_NATIVE_ARGS", "argument " + std::to_string(index) + " must be a string");
  return info[index].As<Napi::String>().Utf8Value();
}

ByteView ArgBytes(const Napi::CallbackInfo& info, size_t index) {
  RequireArgs(info, index + 1);
  if (!info[index].IsTypedArray()) ThrowTyped(info.Env(), "ERR_NATIVE_ARGS", "argument " + std::to_string(index) + " must be a Buffer or Uint8Array");
  auto array = info[index].As<Napi::TypedArray>();
  if (array.TypedArrayType() != napi_uint8_array) ThrowTyped(info.Env(), "ERR_NATIVE_ARGS", "argument " + std::to_string(index) + " must be a Buffer or Uint8Array");
  auto bytes = array.As<Napi::Uint8Array>();
  return ByteView{bytes.Data(), bytes.ByteLength()};
}

}  // namespace hakit
