// N-API binding for the CRUSH mapper: a compiled map handle (decoded once, freed by GC, by
// close() and at environment teardown) and batch mapping into typed arrays, one crossing per
// batch, optionally split over threads (each with its own Mapper scratch state).
#include <napi.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include "common/args.h"
#include "common/registry.h"
#include "crush/builder.h"
#include "crush/crush_map.h"
#include "crush/hash.h"
#include "crush/mapper.h"

namespace hakit::crush {
namespace {

// Input modes for a batch: how x (or a PG seed) becomes the value handed to crush_do_rule.
enum XMode { kRaw = 0, kPoolHash = 1, kPgSeed = 2, kPgSeedLegacy = 3 };

struct Batch {
  int rule, numrep, mode, pool;
  int64_t x0;
  const int32_t* xs;
  size_t count;
  uint32_t pgp_num, pgp_mask;
  const uint32_t* weights;
  int weight_max;
  const std::vector<ChooseArg>* choose_args;
  int32_t* out;
  int32_t* lens;
};

constexpr int64_t kNoChooseArgs = -9007199254740991;  // Number.MIN_SAFE_INTEGER

inline uint32_t StableMod(uint32_t x, uint32_t b, uint32_t bmask) { return (x & bmask) < b ? (x & bmask) : (x & (bmask >> 1)); }

void RunSlice(const Map& map, const Batch& b, size_t begin, size_t end, std::vector<uint32_t>* profile) {
  Mapper mapper(map);
  if (profile) mapper.SetChooseProfile(profile->data(), profile->size());
  for (size_t i = begin; i < end; i++) {
    int32_t x = b.xs ? b.xs[i] : int32_t(uint32_t(b.x0 + int64_t(i)));
    int32_t input = x;
    if (b.mode == kPoolHash) input = int32_t(Hash2(uint32_t(x), uint32_t(b.pool)));
    else if (b.mode == kPgSeed) input = int32_t(Hash2(StableMod(uint32_t(x), b.pgp_num, b.pgp_mask), uint32_t(b.pool)));
    else if (b.mode == kPgSeedLegacy) input = int32_t(StableMod(uint32_t(x), b.pgp_num, b.pgp_mask) + uint32_t(b.pool));
    int32_t* out = b.out + i * size_t(b.numrep);
    int n = mapper.DoRule(b.rule, input, out, b.numrep, b.weights, b.weight_max, b.choose_args);
    for (int k = n; k < b.numrep; k++) out[k] = kItemNone;
    b.lens[i] = n;
  }
}

class CrushMapHandle : public Napi::ObjectWrap<CrushMapHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CrushMapHandle",
                       {InstanceMethod("map", &CrushMapHandle::MapBatch), InstanceMethod("close", &CrushMapHandle::Close),
                        InstanceMethod("info", &CrushMapHandle::Info)});
  }

  explicit CrushMapHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CrushMapHandle>(info) {
    ByteView bytes = ArgBytes(info, 0);
    DecodeError error{"", 0};
    map_ = DecodeMap(bytes.data, bytes.length, &error);
    if (!map_) {
      Napi::Error e = Napi::Error::New(info.Env(), "bad binary crush map at byte " + std::to_string(error.offset) + ": " + error.message);
      e.Set("code", Napi::String::New(info.Env(), "CRUSH_DECODE"));
      e.Set("offset", Napi::Number::New(info.Env(), double(error.offset)));
      throw e;
    }
    env_ = info.Env();
    napi_add_env_cleanup_hook(env_, &CrushMapHandle::Cleanup, this);
    hooked_ = true;
  }

  ~CrushMapHandle() override { Release(); }

 private:
  static void Cleanup(void* self) {
    auto* handle = static_cast<CrushMapHandle*>(self);
    handle->hooked_ = false;  // the hook is being run; do not remove it again
    handle->map_.reset();
  }

  void Release() {
    map_.reset();
    if (hooked_) {
      napi_remove_env_cleanup_hook(env_, &CrushMapHandle::Cleanup, this);
      hooked_ = false;
    }
  }

  const Map& Live(Napi::Env env) {
    if (!map_) ThrowTyped(env, "CRUSH_CLOSED", "the crush map handle is closed");
    return *map_;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    const Map& map = Live(info.Env());
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("maxDevices", map.max_devices);
    o.Set("maxBuckets", map.max_buckets());
    o.Set("maxRules", double(map.rules.size()));
    Napi::Array rules = Napi::Array::New(info.Env());
    uint32_t n = 0;
    for (size_t i = 0; i < map.rules.size(); i++)
      if (map.rules[i]) rules.Set(n++, double(i));
    o.Set("rules", rules);
    return o;
  }

  // map(rule, numrep, mode, pool, x0, xs|null, count, pgpNum, weights|null, chooseArgs, out, lens, threads
  //     [, chooseProfile: Uint32Array|null]) — the profile gets the choose-tries histogram added.
  // chooseArgs is an index (falling back to the compat set -1) or kNoChooseArgs.
  Napi::Value MapBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Map& map = Live(env);
    RequireArgs(info, 13);
    Batch b{};
    b.rule = int(ArgInt(info, 0, 0, INT32_MAX));
    b.numrep = int(ArgInt(info, 1, 1, 1024));
    b.mode = int(ArgInt(info, 2, 0, 3));
    b.pool = int(ArgInt(info, 3, INT32_MIN, INT32_MAX));
    b.x0 = ArgInt(info, 4, INT32_MIN, UINT32_MAX);
    b.count = size_t(ArgInt(info, 6, 0, int64_t(1) << 40));
    int64_t pgp = ArgInt(info, 7, 0, UINT32_MAX);
    b.pgp_num = uint32_t(pgp);
    uint32_t mask = 0;
    while (mask < b.pgp_num - 1 && b.pgp_num > 0) mask = (mask << 1) | 1;
    b.pgp_mask = b.pgp_num <= 1 ? 0 : mask;
    if (!info[5].IsNull() && !info[5].IsUndefined()) {
      if (!info[5].IsTypedArray() || info[5].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
        ThrowTyped(env, "ERR_NATIVE_ARGS", "xs must be an Int32Array or null");
      auto xs = info[5].As<Napi::Int32Array>();
      if (xs.ElementLength() < b.count) ThrowTyped(env, "ERR_NATIVE_ARGS", "xs is shorter than count");
      b.xs = xs.Data();
    }
    std::vector<uint32_t> default_weights;
    if (!info[8].IsNull() && !info[8].IsUndefined()) {
      if (!info[8].IsTypedArray() || info[8].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
        ThrowTyped(env, "ERR_NATIVE_ARGS", "weights must be a Uint32Array or null");
      auto w = info[8].As<Napi::Uint32Array>();
      b.weights = w.Data();
      b.weight_max = int(std::min<size_t>(w.ElementLength(), INT32_MAX));
    } else {
      default_weights.assign(size_t(map.max_devices), 0x10000);
      b.weights = default_weights.data();
      b.weight_max = map.max_devices;
    }
    int64_t ca = ArgInt(info, 9, INT64_MIN / 2, INT64_MAX / 2);
    b.choose_args = ca == kNoChooseArgs ? nullptr : map.ChooseArgsFor(ca);
    if (!info[10].IsTypedArray() || info[10].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        !info[11].IsTypedArray() || info[11].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
      ThrowTyped(env, "ERR_NATIVE_ARGS", "out and lens must be Int32Arrays");
    auto out = info[10].As<Napi::Int32Array>();
    auto lens = info[11].As<Napi::Int32Array>();
    if (out.ElementLength() / size_t(b.numrep) < b.count || lens.ElementLength() < b.count)
      ThrowTyped(env, "ERR_NATIVE_ARGS", "out must hold count*numrep items and lens count items");
    b.out = out.Data();
    b.lens = lens.Data();
    int threads = int(ArgInt(info, 12, 1, 64));
    if (size_t(threads) > b.count / 1024 + 1) threads = int(b.count / 1024 + 1);
    Napi::Uint32Array profile_out;
    if (info.Length() > 13 && !info[13].IsNull() && !info[13].IsUndefined()) {
      if (!info[13].IsTypedArray() || info[13].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
        ThrowTyped(env, "ERR_NATIVE_ARGS", "chooseProfile must be a Uint32Array or null");
      profile_out = info[13].As<Napi::Uint32Array>();
    }
    // One histogram per thread, summed after the join: no sharing while mapping.
    std::vector<std::vector<uint32_t>> profiles(profile_out.IsEmpty() ? 0 : size_t(threads),
                                                std::vector<uint32_t>(profile_out.IsEmpty() ? 0 : profile_out.ElementLength()));
    auto profile_of = [&](int t) { return profiles.empty() ? nullptr : &profiles[size_t(t)]; };
    if (threads <= 1) {
      RunSlice(map, b, 0, b.count, profile_of(0));
    } else {
      std::vector<std::thread> pool;
      size_t per = (b.count + size_t(threads) - 1) / size_t(threads);
      for (int t = 1; t < threads; t++) {
        size_t begin = per * size_t(t), end = std::min(b.count, begin + per);
        if (begin < end) pool.emplace_back(RunSlice, std::cref(map), std::cref(b), begin, end, profile_of(t));
      }
      RunSlice(map, b, 0, std::min(per, b.count), profile_of(0));
      for (auto& th : pool) th.join();
    }
    for (const auto& local : profiles)
      for (size_t i = 0; i < local.size(); i++) profile_out[i] += local[i];
    return env.Undefined();
  }

  std::unique_ptr<Map> map_;
  napi_env env_ = nullptr;
  bool hooked_ = false;
};

Napi::Value StrHash(const Napi::CallbackInfo& info) {
  ByteView bytes = ArgBytes(info, 0);
  return Napi::Number::New(info.Env(), StrHashRjenkins(bytes.data, bytes.length));
}

Napi::Value CrushHash2(const Napi::CallbackInfo& info) {
  uint32_t a = uint32_t(ArgInt(info, 0, INT32_MIN, UINT32_MAX));
  uint32_t b = uint32_t(ArgInt(info, 1, INT32_MIN, UINT32_MAX));
  return Napi::Number::New(info.Env(), Hash2(a, b));
}

Napi::Value Ln(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(CrushLn(uint32_t(ArgInt(info, 0, 0, 0xffff)))));
}

Napi::Value Straws(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgs(info, 2);
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    ThrowTyped(env, "ERR_NATIVE_ARGS", "weights must be a Uint32Array");
  auto w = info[0].As<Napi::Uint32Array>();
  std::vector<uint32_t> weights(w.Data(), w.Data() + w.ElementLength());
  auto straws = CalcStraws(weights, int(ArgInt(info, 1, 0, 255)));
  auto out = Napi::Uint32Array::New(env, straws.size());
  std::copy(straws.begin(), straws.end(), out.Data());
  return out;
}

void Init(Napi::Env env, Napi::Object target) {
  target.Set("CrushMapHandle", CrushMapHandle::Define(env));
  target.Set("strHash", Napi::Function::New(env, StrHash, "strHash"));
  target.Set("hash2", Napi::Function::New(env, CrushHash2, "hash2"));
  target.Set("straws", Napi::Function::New(env, Straws, "straws"));
  target.Set("ln", Napi::Function::New(env, Ln, "ln"));
  target.Set("hardwareThreads", Napi::Number::New(env, std::max(1u, std::thread::hardware_concurrency())));
}

HAKIT_REGISTER("crush", Init);

}  // namespace
}  // namespace hakit::crush
