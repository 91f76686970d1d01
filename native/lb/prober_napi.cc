// N-API binding of the batched TCP prober: submit(records, count) hands a packed batch to the
// probe thread with one call; finished probes come back as one Int32Array [id, errno, micros]*
// per callback.
#include <napi.h>

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

  // new TcpProber(onOutcomes(Int32Array))
  explicit ProberWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProberWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) ThrowTyped(env, "ERR_NATIVE_ARGS", "argument 0 must be a function");
    shared_ = std::make_shared<ProberShared>();
    shared_->tsfn = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "hakit-lb-prober", 0, 1);
    std::shared_ptr<ProberShared> shared = shared_;
    ProberShared* raw = shared_.get();
    try {
      shared_->prober = std::make_unique<Prober>([raw, shared] {
        raw->tsfn.NonBlockingCall([shared](Napi::Env callEnv, Napi::Function callback) { Deliver(callEnv, callback, shared.get()); });
      });
    } catch (const std::runtime_error& e) {
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
    size_t n = shared->outcomes.size();
    if (n == 0) return;
    Napi::Int32Array array = Napi::Int32Array::New(env, n * 3);
    int32_t* out = array.Data();
    for (size_t i = 0; i < n; i++) {
      const ProbeOutcome& o = shared->outcomes[i];
      out[i * 3] = static_cast<int32_t>(o.id);
      out[i * 3 + 1] = o.error;
      out[i * 3 + 2] = static_cast<int32_t>(std::min<uint32_t>(o.micros, INT32_MAX));
    }
    callback.Call({array});
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
