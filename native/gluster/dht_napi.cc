// N-API binding of the DHT hash: one call hashes (and optionally places) a whole batch of names
// packed into one byte buffer with an offsets table.
#include <napi.h>

#include <cstring>
#include <string>
#include <vector>

#include "common/args.h"
#include "common/registry.h"
#include "gluster/dht_hash.h"

namespace {

using hakit::ThrowTyped;

template <typename T>
T TypedArg(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type type, const char* what) {
  hakit::RequireArgs(info, index + 1);
  if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != type)
    ThrowTyped(info.Env(), "ERR_NATIVE_ARGS", "argument " + std::to_string(index) + " must be a " + what);
  return info[index].As<T>();
}

// An optional regex argument: undefined/null = the default (rsync) or disabled (extra).
bool OptionalString(const Napi::CallbackInfo& info, size_t index, std::string* out) {
  if (info.Length() <= index || info[index].IsUndefined() || info[index].IsNull()) return false;
  *out = hakit::ArgString(info, index);
  return true;
}

void ConfigureMunger(const Napi::CallbackInfo& info, size_t index, hakit::gluster::NameMunger* munger) {
  std::string rsync, extra, error;
  bool has_rsync = OptionalString(info, index, &rsync);
  bool has_extra = OptionalString(info, index + 1, &extra);
  if (!munger->Configure(has_rsync ? rsync.c_str() : nullptr, has_extra ? extra.c_str() : nullptr, &error))
    ThrowTyped(info.Env(), "GLUSTER_BAD_REGEX", "invalid hash regex: " + error);
}

// hashBatch(bytes, offsets[n+1], out[n], rsyncRegex?, extraRegex?)
// placeBatch(bytes, offsets[n+1], starts[k], stops[k], outIndex Int32[n], outHash[n], rsync?, extra?)
void HashOrPlace(const Napi::CallbackInfo& info, bool place) {
  Napi::Env env = info.Env();
  hakit::ByteView bytes = hakit::ArgBytes(info, 0);
  auto offsets = TypedArg<Napi::Uint32Array>(info, 1, napi_uint32_array, "Uint32Array");
  size_t arg = 2;
  Napi::Uint32Array starts, stops;
  Napi::Int32Array index_out;
  if (place) {
    starts = TypedArg<Napi::Uint32Array>(info, arg++, napi_uint32_array, "Uint32Array");
    stops = TypedArg<Napi::Uint32Array>(info, arg++, napi_uint32_array, "Uint32Array");
    index_out = TypedArg<Napi::Int32Array>(info, arg++, napi_int32_array, "Int32Array");
    if (starts.ElementLength() != stops.ElementLength()) ThrowTyped(env, "ERR_NATIVE_ARGS", "starts and stops differ in length");
  }
  auto hash_out = TypedArg<Napi::Uint32Array>(info, arg++, napi_uint32_array, "Uint32Array");
  size_t count = hash_out.ElementLength();
  if (offsets.ElementLength() != count + 1) ThrowTyped(env, "ERR_NATIVE_ARGS", "offsets must hold one more entry than the output");
  if (place && index_out.ElementLength() != count) ThrowTyped(env, "ERR_NATIVE_ARGS", "index output length differs");
  const uint32_t* off = offsets.Data();
  for (size_t i = 0; i < count; i++) {
    if (off[i] > off[i + 1] || off[i + 1] > bytes.length) ThrowTyped(env, "ERR_NATIVE_ARGS", "offsets out of order or past the buffer");
  }
  hakit::gluster::NameMunger munger;
  ConfigureMunger(info, arg, &munger);

  std::string scratch;
  const bool munging = munger.active();
  for (size_t i = 0; i < count; i++) {
    const char* name = reinterpret_cast<const char*>(bytes.data) + off[i];
    size_t length = off[i + 1] - off[i];
    uint32_t hash;
    if (munging) {
      // regexec needs a NUL-terminated copy of each name.
      scratch.assign(name, length);
      hash = munger.Hash(scratch.c_str(), scratch.size());
    } else {
      hash = hakit::gluster::DmHash(reinterpret_cast<const uint8_t*>(name), strnlen(name, length));
    }
    hash_out[i] = hash;
    if (place) {
      int32_t found = -1;
      // dht_layout_search: the first range (in layout order) containing the hash.
      for (size_t k = 0; k < starts.ElementLength(); k++) {
        if (starts[k] <= hash && stops[k] >= hash) {
          found = static_cast<int32_t>(k);
          break;
        }
      }
      index_out[i] = found;
    }
  }
}

Napi::Value HashBatch(const Napi::CallbackInfo& info) {
  HashOrPlace(info, false);
  return info.Env().Undefined();
}

Napi::Value PlaceBatch(const Napi::CallbackInfo& info) {
  HashOrPlace(info, true);
  return info.Env().Undefined();
}

// munge(bytes, rsync?, extra?) -> [begin, end) of the part DHT hashes.
Napi::Value Munge(const Napi::CallbackInfo& info) {
  hakit::ByteView bytes = hakit::ArgBytes(info, 0);
  hakit::gluster::NameMunger munger;
  ConfigureMunger(info, 1, &munger);
  std::string name(reinterpret_cast<const char*>(bytes.data), bytes.length);
  std::string_view kept = munger.Munge(name.c_str(), strnlen(name.c_str(), name.size()));
  Napi::Array result = Napi::Array::New(info.Env(), 2);
  result.Set(uint32_t{0}, Napi::Number::New(info.Env(), static_cast<double>(kept.data() - name.data())));
  result.Set(uint32_t{1}, Napi::Number::New(info.Env(), static_cast<double>(kept.data() - name.data() + kept.size())));
  return result;
}

void Init(Napi::Env env, Napi::Object target) {
  target.Set("hashBatch", Napi::Function::New(env, HashBatch, "hashBatch"));
  target.Set("placeBatch", Napi::Function::New(env, PlaceBatch, "placeBatch"));
  target.Set("munge", Napi::Function::New(env, Munge, "munge"));
}

HAKIT_REGISTER("gluster", Init);

}  // namespace
