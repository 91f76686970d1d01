// N-API face of the replication engine: an Engine object per volume. Commands are copied into
// the I/O thread's queue; events come back in batches through one thread-safe function.
#include <napi.h>

#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/args.h"
#include "common/registry.h"
#include "drbd/crypto.h"
#include "drbd/engine.h"

namespace hakit::drbd {
namespace {

struct Mailbox {
  std::mutex mutex;
  std::vector<Event> events;
  bool notified = false;
  // JS thread only: large writes' buffers, borrowed (not copied) until their completion.
  std::unordered_map<uint64_t, napi_ref> pins;

  void Unpin(napi_env env, uint64_t id) {
    auto it = pins.find(id);
    if (it == pins.end()) return;
    napi_delete_reference(env, it->second);
    pins.erase(it);
  }
  void UnpinAll(napi_env env) {
    for (auto& [id, ref] : pins) napi_delete_reference(env, ref);
    pins.clear();
  }
};

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Engine", {
      InstanceMethod<&EngineWrap::Submit>("submit"),
      InstanceMethod<&EngineWrap::Control>("control"),
      InstanceMethod<&EngineWrap::Info>("info"),
      InstanceMethod<&EngineWrap::Close>("close"),
    });
  }

  EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    Napi::Env env = info.Env();
    RequireArgs(info, 2);
    if (!info[0].IsObject() || !info[1].IsFunction()) ThrowTyped(env, "ERR_NATIVE_ARGS", "Engine(config, callback)");
    Napi::Object o = info[0].As<Napi::Object>();
    auto str = [&](const char* key) -> std::string {
      Napi::Value v = o.Get(key);
      if (v.IsUndefined()) return "";
      if (!v.IsString()) ThrowTyped(env, "ERR_NATIVE_ARGS", std::string(key) + " must be a string");
      return v.As<Napi::String>().Utf8Value();
    };
    auto num = [&](const char* key, double min, double max, double fallback) -> double {
      Napi::Value v = o.Get(key);
      if (v.IsUndefined()) return fallback;
      if (!v.IsNumber()) ThrowTyped(env, "ERR_NATIVE_ARGS", std::string(key) + " must be a number");
      double d = v.As<Napi::Number>().DoubleValue();
      if (!(d >= min && d <= max)) ThrowTyped(env, "ERR_NATIVE_ARGS", std::string(key) + " out of range");
      return d;
    };
    auto flag = [&](const char* key) { return o.Get(key).ToBoolean().Value(); };
    EngineConfig c;
    c.diskPath = str("disk");
    c.metaPath = str("meta");
    c.direct = flag("direct");
    c.dsync = flag("dsync");
    c.dataSize = uint64_t(num("dataSize", 0, 1ull << 50, 0));
    if (c.dataSize % kBlockSize != 0) ThrowTyped(env, "ERR_NATIVE_ARGS", "dataSize must be a multiple of 4096");
    c.bitmapOffset = uint64_t(num("bitmapOffset", 0, 1ull << 52, 0));
    c.alOffset = uint64_t(num("alOffset", 0, 1ull << 52, 0));
    c.alExtents = uint32_t(num("alExtents", 7, kAlMaxExtents, 257));
    std::string protocol = str("protocol");
    if (protocol != "A" && protocol != "B" && protocol != "C") ThrowTyped(env, "ERR_NATIVE_ARGS", "protocol must be A, B or C");
    c.protocol = protocol[0];
    c.secret = str("secret");
    c.dataDigest = flag("dataDigest");
    c.csumsAlg = str("csumsAlg");
    c.verifyAlg = str("verifyAlg");
    for (const std::string* alg : {&c.csumsAlg, &c.verifyAlg})
      if (!alg->empty() && *alg != "crc32c" && *alg != "sha256") ThrowTyped(env, "ERR_NATIVE_ARGS", "digest algorithm must be crc32c or sha256");
    c.pingIntMs = uint32_t(num("pingIntMs", 100, 1e7, 10000));
    c.pingTimeoutMs = uint32_t(num("pingTimeoutMs", 10, 1e7, 500));
    c.timeoutMs = uint32_t(num("timeoutMs", 10, 1e7, 6000));
    c.connectIntMs = uint32_t(num("connectIntMs", 10, 1e7, 10000));
    c.koCount = uint32_t(num("koCount", 1, 1e6, 7));
    c.maxBuffers = uint32_t(num("maxBuffers", 65536, 1u << 30, 8u << 20));
    c.resyncRate = uint64_t(num("resyncRate", 0, 1e15, 0));
    c.fencing = flag("fencing");
    c.listenHost = str("listenHost");
    c.listenPort = int(num("listenPort", 0, 65535, 0));
    c.peerHost = str("peerHost");
    c.peerPort = int(num("peerPort", 0, 65535, 0));
    c.dialer = flag("dialer");
    if (!c.diskPath.empty() && c.metaPath.empty()) c.metaPath = c.diskPath;

    mailbox_ = std::make_shared<Mailbox>();
    tsfn_ = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "hakit-drbd", 0, 1);
    auto mailbox = mailbox_;
    auto tsfn = tsfn_;
    engine_ = std::make_unique<Engine>(c, [mailbox, tsfn](Event&& event) mutable {
      bool notify;
      {
        std::lock_guard<std::mutex> lock(mailbox->mutex);
        mailbox->events.push_back(std::move(event));
        notify = !mailbox->notified;
        mailbox->notified = true;
      }
      if (notify) tsfn.NonBlockingCall([mailbox](Napi::Env env, Napi::Function callback) { Deliver(env, callback, *mailbox); });
    });
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    // process.exit() or a worker ending: stop the I/O thread before the environment goes away.
    env_ = env;
    hooked_ = napi_add_env_cleanup_hook(env, CleanupHook, this) == napi_ok;
    try {
      engine_->Start();
    } catch (const std::exception& error) {
      engine_.reset();
      tsfn_.Release();
      closed_ = true;
      if (hooked_) { napi_remove_env_cleanup_hook(env, CleanupHook, this); hooked_ = false; }
      Napi::Error e = Napi::Error::New(env, error.what());
      e.Set("code", Napi::String::New(env, "DRBD_START"));
      throw e;
    }
  }

  ~EngineWrap() override {
    if (hooked_) napi_remove_env_cleanup_hook(env_, CleanupHook, this);
    Shutdown();  // the I/O thread has stopped: nothing reads borrowed buffers any more
    if (!tearingDown_ && mailbox_) mailbox_->UnpinAll(env_);
  }

 private:
  static void Deliver(Napi::Env env, Napi::Function callback, Mailbox& mailbox) {
    std::vector<Event> events;
    {
      std::lock_guard<std::mutex> lock(mailbox.mutex);
      events.swap(mailbox.events);
      mailbox.notified = false;
    }
    if (events.empty()) return;
    for (const Event& e : events)
      if (e.kind == "complete") mailbox.Unpin(env, e.id);
    Napi::Array list = Napi::Array::New(env, events.size());
    for (size_t i = 0; i < events.size(); i++) {
      Event& e = events[i];
      // The common case, a request that succeeded without data (writes, flushes), is just its
      // id: no object, strings or buffer to build on the 4 KiB write path.
      if (e.kind == "complete" && e.status == 0 && e.data.empty()) {
        list.Set(uint32_t(i), Napi::Number::New(env, double(e.id)));
        continue;
      }
      Napi::Object o = Napi::Object::New(env);
      o.Set("kind", e.kind);
      o.Set("id", Napi::Number::New(env, double(e.id)));
      o.Set("status", Napi::Number::New(env, e.status));
      o.Set("a", Napi::Number::New(env, e.a));
      o.Set("b", Napi::Number::New(env, e.b));
      if (!e.text.empty()) o.Set("text", e.text);
      if (!e.data.empty()) o.Set("data", Napi::Buffer<uint8_t>::Copy(env, e.data.data(), e.data.size()));
      list.Set(uint32_t(i), o);
    }
    callback.Call({list});
  }

  static void CleanupHook(void* self) {
    auto* wrap = static_cast<EngineWrap*>(self);
    wrap->hooked_ = false;
    wrap->tearingDown_ = true;  // references go with the environment
    if (wrap->closed_) return;
    wrap->closed_ = true;
    if (wrap->engine_) wrap->engine_->Stop();
  }

  void Shutdown() {
    if (closed_) return;
    closed_ = true;
    if (engine_) engine_->Stop();
    tsfn_.Release();
  }

  Napi::Value Submit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) ThrowTyped(env, "ERR_NATIVE_ARGS", "engine is closed");
    Command c;
    int64_t op = ArgInt(info, 0, 1, 4);
    c.op = static_cast<Op>(op);
    c.id = uint64_t(ArgInt(info, 1, 0, int64_t(1) << 52));
    c.offset = uint64_t(ArgInt(info, 2, 0, int64_t(1) << 52));
    c.length = uint64_t(ArgInt(info, 3, 0, kMaxWrite));
    if (c.op == Op::Write) {
      ByteView bytes = ArgBytes(info, 4);
      if (bytes.length != c.length) ThrowTyped(env, "ERR_NATIVE_ARGS", "buffer length differs from length");
      if (bytes.length >= kBorrowBytes) {
        // Large writes are not copied (a 1 MiB copy on the JS thread was ~12 % of a streaming
        // run): the caller's buffer is pinned until the completion, and must not change
        // meanwhile (Volume.write's contract, as with fs.write and socket.write).
        napi_ref ref;
        if (napi_create_reference(env, info[4], 1, &ref) != napi_ok) ThrowTyped(env, "ERR_NATIVE_ARGS", "cannot pin the write buffer");
        auto [it, fresh] = mailbox_->pins.emplace(c.id, ref);
        if (!fresh) { napi_delete_reference(env, ref); ThrowTyped(env, "ERR_NATIVE_ARGS", "request id in use"); }
        c.borrowed = bytes.data;
      } else {
        c.data.assign(bytes.data, bytes.data + bytes.length);
      }
    }
    if ((c.op == Op::Write || c.op == Op::Read || c.op == Op::Trim) && (c.offset % kSectorSize || c.length % kSectorSize || c.length == 0)) {
      mailbox_->Unpin(env, c.id);
      ThrowTyped(env, "ERR_NATIVE_ARGS", "offset and length must be non-zero multiples of 512");
    }
    engine_->Submit(std::move(c));
    return env.Undefined();
  }

  Napi::Value Control(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) ThrowTyped(env, "ERR_NATIVE_ARGS", "engine is closed");
    Command c;
    c.op = Op::Control;
    c.name = ArgString(info, 0);
    if (info.Length() > 1 && info[1].IsNumber()) c.offset = uint64_t(ArgInt(info, 1, 0, int64_t(1) << 52));
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      ByteView bytes = ArgBytes(info, 2);
      c.data.assign(bytes.data, bytes.data + bytes.length);
    }
    if (info.Length() > 3 && info[3].IsNumber()) c.id = uint64_t(ArgInt(info, 3, 0, int64_t(1) << 52));
    engine_->Submit(std::move(c));
    return env.Undefined();
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    if (!engine_) return o;
    o.Set("listenPort", engine_->ListenPort());
    o.Set("dirtyBlocks", double(engine_->DirtyBlocks()));
    o.Set("totalBlocks", double(engine_->TotalBlocks()));
    o.Set("alReplayed", double(engine_->AlReplayed()));
    o.Set("sentBytes", double(engine_->SentBytes()));
    return o;
  }

  // Stops the I/O thread (it completes or fails everything pending) and delivers the last events.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) return env.Undefined();
    if (engine_) engine_->Stop();
    Deliver(env, callback_.Value(), *mailbox_);
    mailbox_->UnpinAll(env);  // stopped: every request has completed or failed
    closed_ = true;
    tsfn_.Release();
    return env.Undefined();
  }

  std::unique_ptr<Engine> engine_;
  std::shared_ptr<Mailbox> mailbox_;
  Napi::ThreadSafeFunction tsfn_;
  Napi::FunctionReference callback_;
  bool closed_ = false;
  bool hooked_ = false, tearingDown_ = false;
  napi_env env_ = nullptr;
};

Napi::Value Hmac(const Napi::CallbackInfo& info) {
  ByteView key = ArgBytes(info, 0), data = ArgBytes(info, 1);
  uint8_t out[32];
  HmacSha256(key.data, key.length, data.data, data.length, out);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), out, 32);
}

Napi::Value Crc(const Napi::CallbackInfo& info) {
  ByteView data = ArgBytes(info, 0);
  return Napi::Number::New(info.Env(), Crc32c(0, data.data, data.length));
}

void Init(Napi::Env env, Napi::Object target) {
  target.Set("Engine", EngineWrap::Define(env));
  target.Set("hmacSha256", Napi::Function::New(env, Hmac, "hmacSha256"));
  target.Set("crc32c", Napi::Function::New(env, Crc, "crc32c"));
}

HAKIT_REGISTER("drbd", Init);

}  // namespace
}  // namespace hakit::drbd
