// N-API bindings of the L4 relay engine and the PROXY protocol parser. Events reach JS in
// batches through one thread-safe function: one crossing per batch, not per connection.
#include <napi.h>

#include <memory>

#include "common/args.h"
#include "common/registry.h"
#include "lb/proxy_protocol.h"
#include "lb/proxy_tlv.h"
#include "lb/relay.h"

namespace hakit::lb {
namespace {

constexpr double kMaxConnId = 9007199254740991.0;  // 2^53 - 1

// What the TSFN callback needs; shared so a late queued call never touches a freed wrapper.
// Only the JS thread reads or resets `engine`.
struct Shared {
  std::unique_ptr<Engine> engine;
  Napi::ThreadSafeFunction tsfn;
};

Napi::Value TakeBatch(Napi::Env env, Shared* shared) {
  if (!shared->engine) return Napi::Array::New(env, 0);
  std::vector<Event> events = shared->engine->TakeEvents();
  Napi::Array batch = Napi::Array::New(env, events.size());
  for (size_t i = 0; i < events.size(); i++) {
    const Event& e = events[i];
    Napi::Array item = Napi::Array::New(env, 9);
    item.Set(0u, Napi::Number::New(env, static_cast<int>(e.type)));
    item.Set(1u, Napi::Number::New(env, static_cast<double>(e.conn)));
    item.Set(2u, Napi::Number::New(env, e.listener));
    item.Set(3u, Napi::Number::New(env, static_cast<double>(e.a)));
    item.Set(4u, Napi::Number::New(env, static_cast<double>(e.b)));
    item.Set(5u, Napi::Number::New(env, e.code));
    item.Set(6u, Napi::String::New(env, e.text));
    item.Set(7u, Napi::String::New(env, e.text2));
    if (!e.data.empty()) item.Set(8u, Napi::Buffer<uint8_t>::Copy(env, e.data.data(), e.data.size()));
    batch.Set(static_cast<uint32_t>(i), item);
  }
  return batch;
}

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RelayEngine", {
      InstanceMethod("listen", &EngineWrap::Listen),
      InstanceMethod("pauseListener", &EngineWrap::PauseListener),
      InstanceMethod("closeListener", &EngineWrap::CloseListener),
      InstanceMethod("connect", &EngineWrap::Connect),
      InstanceMethod("readProxyHeader", &EngineWrap::ReadProxy),
      InstanceMethod("close", &EngineWrap::CloseConn),
      InstanceMethod("openConnections", &EngineWrap::OpenConnections),
      InstanceMethod("ref", &EngineWrap::Ref),
      InstanceMethod("unref", &EngineWrap::Unref),
      InstanceMethod("shutdown", &EngineWrap::Shutdown),
    });
  }

  // new RelayEngine(threads, onEvents(batch))
  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    Napi::Env env = info.Env();
    int threads = static_cast<int>(ArgInt(info, 0, 1, 64));
    if (info.Length() < 2 || !info[1].IsFunction()) ThrowTyped(env, "ERR_NATIVE_ARGS", "argument 1 must be a function");
    shared_ = std::make_shared<Shared>();
    shared_->tsfn = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "hakit-lb-relay", 0, 1);
    std::shared_ptr<Shared> shared = shared_;
    Shared* raw = shared_.get();
    shared_->engine = std::make_unique<Engine>(threads, [raw, shared] {
      raw->tsfn.NonBlockingCall([shared](Napi::Env callEnv, Napi::Function callback) {
        Napi::Value batch = TakeBatch(callEnv, shared.get());
        if (batch.As<Napi::Array>().Length() > 0) callback.Call({batch});
      });
    });
    napi_add_env_cleanup_hook(env, &EngineWrap::Cleanup, this);
    hooked_ = true;
  }

  ~EngineWrap() override {
    if (hooked_) napi_remove_env_cleanup_hook(Env(), &EngineWrap::Cleanup, this);
    Stop();
  }

 private:
  static void Cleanup(void* arg) {
    auto* self = static_cast<EngineWrap*>(arg);
    self->hooked_ = false;
    self->Stop();
  }

  void Stop() {
    if (!shared_ || !shared_->engine) return;
    shared_->engine->Shutdown();  // joins the workers: nothing notifies after this
    shared_->engine.reset();
    shared_->tsfn.Release();
  }

  Engine* Live(Napi::Env env) {
    if (!shared_ || !shared_->engine) ThrowTyped(env, "LB_ENGINE_CLOSED", "the relay engine is shut down");
    return shared_->engine.get();
  }

  static uint64_t ConnArg(const Napi::CallbackInfo& info, size_t index) {
    double v = ArgNumber(info, index);
    if (!(v >= 0 && v <= kMaxConnId) || static_cast<double>(static_cast<uint64_t>(v)) != v)
      ThrowTyped(info.Env(), "ERR_NATIVE_ARGS", "connection id must be a non-negative integer");
    return static_cast<uint64_t>(v);
  }

  Napi::Value Listen(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ListenOptions o;
    o.host = ArgString(info, 0);
    o.port = static_cast<int>(ArgInt(info, 1, 0, 65535));
    o.backlog = static_cast<int>(ArgInt(info, 2, 1, 1 << 20));
    o.maxConnections = static_cast<int>(ArgInt(info, 3, 0, 1 << 30));
    int bound = 0;
    uint32_t id;
    try {
      id = Live(env)->Listen(o, &bound);
    } catch (const std::runtime_error& e) {
      ThrowTyped(env, "LB_LISTEN", e.what());
    }
    Napi::Array result = Napi::Array::New(env, 2);
    result.Set(0u, Napi::Number::New(env, id));
    result.Set(1u, Napi::Number::New(env, bound));
    return result;
  }

  Napi::Value PauseListener(const Napi::CallbackInfo& info) {
    uint32_t id = static_cast<uint32_t>(ArgInt(info, 0, 0, 0xffffffffLL));
    if (info.Length() < 2 || !info[1].IsBoolean()) ThrowTyped(info.Env(), "ERR_NATIVE_ARGS", "argument 1 must be a boolean");
    Live(info.Env())->PauseListener(id, info[1].As<Napi::Boolean>().Value());
    return info.Env().Undefined();
  }

  Napi::Value CloseListener(const Napi::CallbackInfo& info) {
    Live(info.Env())->CloseListener(static_cast<uint32_t>(ArgInt(info, 0, 0, 0xffffffffLL)));
    return info.Env().Undefined();
  }

  // connect(conn, host, port, connectTimeoutMs, clientTimeoutMs, serverTimeoutMs, preamble?)
  Napi::Value Connect(const Napi::CallbackInfo& info) {
    uint64_t conn = ConnArg(info, 0);
    ConnectOptions o;
    o.host = ArgString(info, 1);
    o.port = static_cast<int>(ArgInt(info, 2, 1, 65535));
    o.connectTimeoutMs = static_cast<int>(ArgInt(info, 3, 1, 1 << 30));
    o.clientTimeoutMs = static_cast<int>(ArgInt(info, 4, 0, 1 << 30));
    o.serverTimeoutMs = static_cast<int>(ArgInt(info, 5, 0, 1 << 30));
    if (info.Length() > 6 && !info[6].IsUndefined() && !info[6].IsNull()) {
      ByteView bytes = ArgBytes(info, 6);
      o.preamble.assign(bytes.data, bytes.data + bytes.length);
    }
    Live(info.Env())->Connect(conn, o);
    return info.Env().Undefined();
  }

  Napi::Value ReadProxy(const Napi::CallbackInfo& info) {
    uint64_t conn = ConnArg(info, 0);
    int timeout = static_cast<int>(ArgInt(info, 1, 1, 1 << 30));
    Live(info.Env())->ReadProxyHeader(conn, timeout);
    return info.Env().Undefined();
  }

  Napi::Value CloseConn(const Napi::CallbackInfo& info) {
    Live(info.Env())->Close(ConnArg(info, 0));
    return info.Env().Undefined();
  }

  Napi::Value OpenConnections(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), shared_->engine ? static_cast<double>(shared_->engine->OpenConnections()) : 0);
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    if (shared_->engine) shared_->tsfn.Ref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (shared_->engine) shared_->tsfn.Unref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Shutdown(const Napi::CallbackInfo& info) {
    Stop();
    return info.Env().Undefined();
  }

  std::shared_ptr<Shared> shared_;
  bool hooked_ = false;
};

Napi::Buffer<uint8_t> Bytes(Napi::Env env, const std::string& s) {
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// The decoded well-known TLVs (see proxy_tlv.h); strings stay bytes for JS to decode.
Napi::Object TlvInfoToJs(Napi::Env env, const ProxyTlvInfo& i) {
  Napi::Object o = Napi::Object::New(env);
  if (i.hasAlpn) o.Set("alpn", Bytes(env, i.alpn));
  if (i.hasAuthority) o.Set("authority", Bytes(env, i.authority));
  if (i.hasUniqueId) o.Set("uniqueId", Bytes(env, i.uniqueId));
  if (i.hasNetns) o.Set("netns", Bytes(env, i.netns));
  if (i.hasCrc32c) o.Set("crc32c", Napi::Boolean::New(env, true));
  if (i.hasSsl) {
    Napi::Object ssl = Napi::Object::New(env);
    ssl.Set("client", Napi::Number::New(env, i.sslClient));
    ssl.Set("verify", Napi::Number::New(env, i.sslVerify));
    if (!i.sslVersion.empty()) ssl.Set("version", Bytes(env, i.sslVersion));
    if (!i.sslCn.empty()) ssl.Set("cn", Bytes(env, i.sslCn));
    if (!i.sslCipher.empty()) ssl.Set("cipher", Bytes(env, i.sslCipher));
    if (!i.sslSigAlg.empty()) ssl.Set("sigAlg", Bytes(env, i.sslSigAlg));
    if (!i.sslKeyAlg.empty()) ssl.Set("keyAlg", Bytes(env, i.sslKeyAlg));
    o.Set("ssl", ssl);
  }
  return o;
}

// decodeProxyTlvs(bytes): a bare TLV area (type, length u16 BE, value)* -> { tlvs, info } or
// { error }.
Napi::Value DecodeTlvs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ByteView bytes = ArgBytes(info, 0);
  std::vector<ProxyTlv> tlvs;
  ProxyTlvInfo decoded;
  const char* error = nullptr;
  Napi::Object out = Napi::Object::New(env);
  if (!SplitProxyTlvs(bytes.data, bytes.length, 0, &tlvs, &error) || !DecodeProxyTlvs(bytes.data, tlvs, nullptr, 0, &decoded, &error)) {
    out.Set("error", Napi::String::New(env, error));
    return out;
  }
  Napi::Array list = Napi::Array::New(env, tlvs.size());
  for (size_t i = 0; i < tlvs.size(); i++) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("type", Napi::Number::New(env, tlvs[i].type));
    t.Set("value", Napi::Buffer<uint8_t>::Copy(env, bytes.data + tlvs[i].offset, tlvs[i].length));
    list.Set(static_cast<uint32_t>(i), t);
  }
  out.Set("tlvs", list);
  out.Set("info", TlvInfoToJs(env, decoded));
  return out;
}

Napi::Value ParseProxy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ByteView bytes = ArgBytes(info, 0);
  ProxyHeader h;
  ProxyParse r = ParseProxyHeader(bytes.data, bytes.length, &h);
  Napi::Object out = Napi::Object::New(env);
  out.Set("status", Napi::String::New(env, r == ProxyParse::kComplete ? "complete" : r == ProxyParse::kIncomplete ? "incomplete" : "invalid"));
  if (r == ProxyParse::kInvalid) {
    out.Set("error", Napi::String::New(env, h.error));
    return out;
  }
  if (r == ProxyParse::kIncomplete) return out;
  out.Set("version", Napi::Number::New(env, h.version));
  out.Set("length", Napi::Number::New(env, static_cast<double>(h.length)));
  out.Set("local", Napi::Boolean::New(env, h.local));
  out.Set("family", Napi::Number::New(env, h.family));
  out.Set("transport", Napi::Number::New(env, h.transport));
  out.Set("source", Napi::String::New(env, h.source));
  out.Set("destination", Napi::String::New(env, h.destination));
  out.Set("sourcePort", Napi::Number::New(env, h.sourcePort));
  out.Set("destinationPort", Napi::Number::New(env, h.destinationPort));
  Napi::Array tlvs = Napi::Array::New(env, h.tlvs.size());
  for (size_t i = 0; i < h.tlvs.size(); i++) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("type", Napi::Number::New(env, h.tlvs[i].type));
    t.Set("value", Napi::Buffer<uint8_t>::Copy(env, bytes.data + h.tlvs[i].offset, h.tlvs[i].length));
    tlvs.Set(static_cast<uint32_t>(i), t);
  }
  out.Set("tlvs", tlvs);
  ProxyTlvInfo decoded;
  const char* error = nullptr;
  if (DecodeProxyTlvs(bytes.data, h.tlvs, bytes.data, h.length, &decoded, &error)) out.Set("info", TlvInfoToJs(env, decoded));
  return out;
}

void Init(Napi::Env env, Napi::Object target) {
  target.Set("RelayEngine", EngineWrap::Define(env));
  target.Set("parseProxyHeader", Napi::Function::New(env, ParseProxy, "parseProxyHeader"));
  target.Set("decodeProxyTlvs", Napi::Function::New(env, DecodeTlvs, "decodeProxyTlvs"));
}

HAKIT_REGISTER("lb", Init);

}  // namespace
}  // namespace hakit::lb
