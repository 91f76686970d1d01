// N-API binding of the batched TCP prober: submit(records, count) hands a packed batch to the
// probe thread with one call; finished probes are written into the caller's own Int32Array
// ([id, errno, micros]*) and announced with one callback(count) per batch: nothing allocated.
#include <napi.h>

#include <algorithm>
#include <memory>

#include "common/args.h"
#include "common/registry.h"
#include "lb/prober.h"

namespace hakit::lb {
namespace {

// Shared with queued TSFN calls so a late call never touches a freed wrapper; only the JS
// thread reads or resets `prober`.
struct ProberShared {
  std::unique_ptr<Prober> prober;
  Napi::ThreadSafeFunction tsfn;
  std::vector<ProbeOutcome> outcomes;  // reused between batches
  Napi::Reference<Napi::Int32Array> output;  // JS thread only
};

class ProberWrap : public Napi::ObjectWrap<ProberWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TcpProber", {
      InstanceMethod("submit", &ProberWrap::Submit),
      InstanceMethod("inFlight", &ProberWrap::InFlight),
      InstanceMethod("ref", &ProberWrap::Ref),
      InstanceMethod("unref", &ProberWrap::Unref),
      InstanceMethod("close", &ProberWrap::Close),
    });
  }

  // new TcpProber(onOutcomes(count), output: Int32Array of at least 3 elements)
  explicit ProberWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProberWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) ThrowTyped(env, "ERR_NATIVE_ARGS", "argument 0 must be a function");
    if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        info[1].As<Napi::Int32Array>().ElementLength() < 3)
      ThrowTyped(env, "ERR_NATIVE_ARGS", "argument 1 must be an Int32Array of at least 3 elements");
    shared_ = std::make_shared<ProberShared>();
    shared_->output = Napi::Persistent(info[1].As<Napi::Int32Array>());
    shared_->tsfn = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "hakit-lb-prober", 0, 1);
    std::shared_ptr<ProberShared> shared = shared_;
    ProberShared* raw = shared_.get();
    try {
      shared_->prober = std::make_unique<Prober>([raw, shared] {
        raw->tsfn.NonBlockingCall([shared](Napi::Env callEnv, Napi::Function callback) { Deliver(callEnv, callback, shared.get()); });
      });
    } catch (const std::runtime_error& e) {
      shared_->output.Reset();
      shared_->tsfn.Release();
      ThrowTyped(env, "LB_PROBER", e.what());
    }
    napi_add_env_cleanup_hook(env, &ProberWrap::Cleanup, this);
    hooked_ = true;
  }

  ~ProberWrap() override {
    if (hooked_) napi_remove_env_cleanup_hook(Env(), &ProberWrap::Cleanup, this);
    Stop();
  }

 private:
  static void Deliver(Napi::Env env, Napi::Function callback, ProberShared* shared) {
    if (!shared->prober) return;
    shared->prober->Take(&shared->outcomes);
    if (shared->output.IsEmpty()) return;
    Napi::Int32Array array = shared->output.Value();
    const size_t capacity = array.ElementLength() / 3;
    const size_t n = shared->outcomes.size();
    // In chunks of the output's capacity; the callback consumes each chunk before the next.
    for (size_t done = 0; done < n;) {
      const size_t count = std::min(capacity, n - done);
      int32_t* out = array.Data();
      for (size_t i = 0; i < count; i++) {
        const ProbeOutcome& o = shared->outcomes[done + i];
        out[i * 3] = static_cast<int32_t>(o.id);
        out[i * 3 + 1] = o.error;
        out[i * 3 + 2] = static_cast<int32_t>(std::min<uint32_t>(o.micros, INT32_MAX));
      }
      done += count;
      callback.Call({Napi::Number::New(env, static_cast<double>(count))});
      if (!shared->prober || env.IsExceptionPending()) return;
    }
  }

  static void Cleanup(void* arg) {
    auto* self = static_cast<ProberWrap*>(arg);
    self->hooked_ = false;
    self->Stop();
  }

  void Stop() {
    if (!shared_ || !shared_->prober) return;
    shared_->prober->Shutdown();  // joins the thread: nothing notifies after this
    shared_->prober.reset();
    shared_->output.Reset();
    shared_->tsfn.Release();
  }

  // submit(records: Uint8Array, count): see kProbeRecordSize in prober.h for the layout.
  Napi::Value Submit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!shared_->prober) ThrowTyped(env, "LB_PROBER_CLOSED", "the prober is closed");
    ByteView bytes = ArgBytes(info, 0);
    size_t count = static_cast<size_t>(ArgInt(info, 1, 0, 1 << 24));
    std::vector<ProbeRequest> batch;
    batch.reserve(count);
    const char* error = nullptr;
    if (!DecodeProbeRecords(bytes.data, bytes.length, count, &batch, &error)) ThrowTyped(env, "ERR_NATIVE_ARGS", error);
    shared_->prober->Submit(std::move(batch));
    return env.Undefined();
  }

  Napi::Value InFlight(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), shared_->prober ? static_cast<double>(shared_->prober->InFlight()) : 0);
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    if (shared_->prober) shared_->tsfn.Ref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (shared_->prober) shared_->tsfn.Unref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop();
    return info.Env().Undefined();
  }

  std::shared_ptr<ProberShared> shared_;
  bool hooked_ = false;
};

void Init(Napi::Env env, Napi::Object target) { target.Set("TcpProber", ProberWrap::Define(env)); }

HAKIT_REGISTER("lbProber", Init);

}  // namespace
}  // namespace hakit::lb
