// Object names -> placement seeds for a whole batch in one call: pg_pool_t::hash_key
// (ceph_str_hash_rjenkins of "namespace\x1fname" or "name") then ceph_stable_mod by pg_num.
// The string hash is the CRUSH module's (native/crush/hash.h); nothing is duplicated here.
#include <napi.h>

#include <string>

#include "common/args.h"
#include "common/registry.h"
#include "crush/hash.h"

namespace {

using hakit::ThrowTyped;

uint32_t StableMod(uint32_t x, uint32_t b, uint32_t bmask) {
  return (x & bmask) < b ? (x & bmask) : (x & (bmask >> 1));
}

// objectsToPgs(bytes, offsets Uint32[n+1], namespace Uint8Array, pgNum, pgMask, outHash Uint32[n], outPs Uint32[n])
Napi::Value ObjectsToPgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  hakit::ByteView bytes = hakit::ArgBytes(info, 0);
  hakit::RequireArgs(info, 7);
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    ThrowTyped(env, "ERR_NATIVE_ARGS", "offsets must be a Uint32Array");
  auto offsets = info[1].As<Napi::Uint32Array>();
  hakit::ByteView nspace = hakit::ArgBytes(info, 2);
  uint32_t pg_num = static_cast<uint32_t>(hakit::ArgInt(info, 3, 1, 0xffffffffLL));
  uint32_t mask = static_cast<uint32_t>(hakit::ArgInt(info, 4, 0, 0xffffffffLL));
  for (size_t index : {size_t{5}, size_t{6}}) {
    if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
      ThrowTyped(env, "ERR_NATIVE_ARGS", "outputs must be Uint32Arrays");
  }
  auto out_hash = info[5].As<Napi::Uint32Array>();
  auto out_ps = info[6].As<Napi::Uint32Array>();
  size_t count = out_hash.ElementLength();
  if (out_ps.ElementLength() != count || offsets.ElementLength() != count + 1)
    ThrowTyped(env, "ERR_NATIVE_ARGS", "offsets must have n+1 entries and both outputs n");
  const uint32_t* off = offsets.Data();
  for (size_t i = 0; i < count; i++)
    if (off[i] > off[i + 1] || off[i + 1] > bytes.length) ThrowTyped(env, "ERR_NATIVE_ARGS", "offsets out of order or past the buffer");

  std::string key;
  for (size_t i = 0; i < count; i++) {
    const uint8_t* name = bytes.data + off[i];
    size_t length = off[i + 1] - off[i];
    uint32_t hash;
    if (nspace.length > 0) {
      key.assign(reinterpret_cast<const char*>(nspace.data), nspace.length);
      key.push_back('\x1f');
      key.append(reinterpret_cast<const char*>(name), length);
      hash = hakit::crush::StrHashRjenkins(reinterpret_cast<const uint8_t*>(key.data()), key.size());
    } else {
      hash = hakit::crush::StrHashRjenkins(name, length);
    }
    out_hash[i] = hash;
    out_ps[i] = StableMod(hash, pg_num, mask);
  }
  return env.Undefined();
}

void Init(Napi::Env env, Napi::Object target) {
  target.Set("objectsToPgs", Napi::Function::New(env, ObjectsToPgs, "objectsToPgs"));
}

HAKIT_REGISTER("ceph", Init);

}  // namespace
