// N-API binding of the native L7 engine. JS gives three functions: decide (one synchronous call
// per request, returns the policy's decision), handoff (a connection for the JS path) and
// done (completion records, one call per loop iteration with every request finished in it).
#include <napi.h>

#include <unistd.h>

#include <cstring>
#include <memory>

#include "common/args.h"
#include "common/registry.h"
#include "lb/http/engine.h"

namespace hakit::lb::http {
namespace {

// A header block from JS must be whole "name: value\r\n" lines with no other CR or LF, so a
// rule's value can never end the head early or start a second request (response splitting).
bool SafeLines(const std::string& block) {
  if (block.empty()) return true;
  if (block.size() < 2 || block[block.size() - 2] != '\r' || block.back() != '\n') return false;
  bool lineStart = true;
  for (size_t i = 0; i < block.size(); i++) {
    char ch = block[i];
    if (ch == '\r') {
      if (lineStart || i + 1 >= block.size() || block[i + 1] != '\n') return false;
      i++;
      lineStart = true;
      continue;
    }
    if (ch == '\n' || ch == '\0') return false;
    lineStart = false;
  }
  return true;
}

class HttpEngineWrap : public Napi::ObjectWrap<HttpEngineWrap>, public EngineHost {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeHttpEngine", {
      InstanceMethod("listen", &HttpEngineWrap::JsListen),
      InstanceMethod("configure", &HttpEngineWrap::JsConfigure),
      InstanceMethod("closeListener", &HttpEngineWrap::JsCloseListener),
      InstanceMethod("addServer", &HttpEngineWrap::JsAddServer),
      InstanceMethod("headers", &HttpEngineWrap::JsHeaders),
      InstanceMethod("connections", &HttpEngineWrap::JsConnections),
      InstanceMethod("shutdown", &HttpEngineWrap::JsShutdown),
    });
  }

  // new NativeHttpEngine(decide, handoff, done)
  explicit HttpEngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<HttpEngineWrap>(info), context_(info.Env(), "hakit-lb-http") {
    Napi::Env env = info.Env();
    for (size_t i = 0; i < 3; i++)
      if (info.Length() <= i || !info[i].IsFunction()) ThrowTyped(env, "ERR_NATIVE_ARGS", "argument " + std::to_string(i) + " must be a function");
    decide_ = Napi::Persistent(info[0].As<Napi::Function>());
    handoff_ = Napi::Persistent(info[1].As<Napi::Function>());
    done_ = Napi::Persistent(info[2].As<Napi::Function>());
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    engine_ = std::make_unique<Engine>(loop, this);
    env_ = env;
    napi_add_env_cleanup_hook(env, &HttpEngineWrap::Cleanup, this);
  }

  ~HttpEngineWrap() override {
    if (engine_) napi_remove_env_cleanup_hook(env_, &HttpEngineWrap::Cleanup, this);
    engine_.reset();
  }

  Decision Decide(ClientConn* c) override {
    Decision d;
    if (decide_.IsEmpty()) return d;
    Napi::Env env = env_;
    Napi::HandleScope scope(env);
    const uint8_t* base = c->in.data();
    auto str = [&](Span s) { return Napi::String::New(env, reinterpret_cast<const char*>(base + s.off), s.len); };
    try {
      Napi::Value r = decide_.MakeCallback(env.Global(), {Napi::Number::New(env, c->reqId), Napi::Number::New(env, c->listener->id), str(c->req.method),
                                                              str(c->req.target), str(c->req.host), Napi::String::New(env, c->peer)}, context_);
      if (r.IsNumber()) {
        int slot = r.As<Napi::Number>().Int32Value();
        if (slot >= 0) d.kind = Decision::kForward, d.slot = slot;
      } else if (r.IsArray()) {
        Napi::Array a = r.As<Napi::Array>();
        Napi::Value slot = a.Get(0u), headers = a.Get(1u), cookie = a.Get(2u);
        if (slot.IsNumber() && slot.As<Napi::Number>().Int32Value() >= 0) {
          d.kind = Decision::kForward;
          d.slot = slot.As<Napi::Number>().Int32Value();
          if (headers.IsString()) d.replaceHeaders = true, d.headers = headers.As<Napi::String>().Utf8Value();
          if (cookie.IsString()) d.setCookie = cookie.As<Napi::String>().Utf8Value();
          d.nocache = a.Get(3u).ToBoolean().Value();
          if (!SafeLines(d.headers) || !SafeLines(d.setCookie)) d = Decision{};
        }
      }
    } catch (const Napi::Error& e) {
      if (getenv("HAKIT_DEBUG_NATIVE")) fprintf(stderr, "decide: %s\n", e.what());
      // The policy threw: the JS path takes the request and answers it (500) itself.
      d = Decision{};
    }
    return d;
  }

  void Handoff(int fd, const uint8_t* data, size_t len, int listener) override {
    if (handoff_.IsEmpty()) {
      close(fd);
      return;
    }
    Napi::Env env = env_;
    Napi::HandleScope scope(env);
    try {
      handoff_.MakeCallback(env.Global(), {Napi::Number::New(env, fd), Napi::Buffer<uint8_t>::Copy(env, data, len), Napi::Number::New(env, listener)}, context_);
    } catch (const Napi::Error&) {
    }
  }

  void Flush(const std::vector<double>& records) override {
    if (done_.IsEmpty()) return;
    Napi::Env env = env_;
    Napi::HandleScope scope(env);
    Napi::Float64Array batch = Napi::Float64Array::New(env, records.size());
    std::memcpy(batch.Data(), records.data(), records.size() * sizeof(double));
    try {
      done_.MakeCallback(env.Global(), {batch}, context_);
    } catch (const Napi::Error&) {
    }
  }

 private:
  static void Cleanup(void* arg) {
    auto* self = static_cast<HttpEngineWrap*>(arg);
    self->engine_.reset();
  }

  Engine* Live(Napi::Env env) {
    if (!engine_ || engine_->down()) ThrowTyped(env, "LB_ENGINE_CLOSED", "the native HTTP engine is shut down");
    return engine_.get();
  }

  static uint32_t Field(Napi::Object o, const char* name, uint32_t min, uint32_t max) {
    Napi::Value v = o.Get(name);
    if (!v.IsNumber()) ThrowTyped(o.Env(), "ERR_NATIVE_ARGS", std::string("params.") + name + " must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= min && d <= max)) ThrowTyped(o.Env(), "ERR_NATIVE_ARGS", std::string("params.") + name + " is out of range");
    return static_cast<uint32_t>(d);
  }

  static std::string Bytes(Napi::Object o, const char* name) {
    Napi::Value v = o.Get(name);
    if (!v.IsBuffer()) ThrowTyped(o.Env(), "ERR_NATIVE_ARGS", std::string("params.") + name + " must be a Buffer");
    auto b = v.As<Napi::Buffer<char>>();
    return std::string(b.Data(), b.Length());
  }

  static Listener Params(const Napi::CallbackInfo& info, size_t index) {
    if (info.Length() <= index || !info[index].IsObject()) ThrowTyped(info.Env(), "ERR_NATIVE_ARGS", "params must be an object");
    Napi::Object o = info[index].As<Napi::Object>();
    Listener l;
    constexpr uint32_t kMaxMs = 24u * 3600 * 1000;
    l.t.httpRequest = Field(o, "httpRequest", 1, kMaxMs);
    l.t.keepAlive = Field(o, "keepAlive", 1, kMaxMs);
    l.t.client = Field(o, "client", 1, kMaxMs);
    l.limits.maxHead = Field(o, "maxHead", 256, 1 << 20);
    l.limits.maxUri = Field(o, "maxUri", 16, 1 << 20);
    l.maxconn = static_cast<int>(Field(o, "maxconn", 1, 1 << 30));
    l.err400 = Bytes(o, "err400");
    l.err408 = Bytes(o, "err408");
    l.err502 = Bytes(o, "err502");
    l.err503 = Bytes(o, "err503");
    l.err504 = Bytes(o, "err504");
    return l;
  }

  // listen(id, host, port, backlog, reusePort, params) -> bound port
  Napi::Value JsListen(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int id = static_cast<int>(ArgInt(info, 0, 0, 1 << 20));
    std::string host = ArgString(info, 1);
    int port = static_cast<int>(ArgInt(info, 2, 0, 65535));
    int backlog = static_cast<int>(ArgInt(info, 3, 1, 1 << 20));
    bool reusePort = info.Length() > 4 && info[4].ToBoolean().Value();
    Listener params = Params(info, 5);
    int r = Live(env)->Listen(id, host, port, backlog, reusePort, params);
    if (r < 0) ThrowTyped(env, "LB_LISTEN", "cannot listen on " + host + ":" + std::to_string(port) + ": " + std::strerror(-r));
    return Napi::Number::New(env, r);
  }

  Napi::Value JsConfigure(const Napi::CallbackInfo& info) {
    int id = static_cast<int>(ArgInt(info, 0, 0, 1 << 20));
    Live(info.Env())->Configure(id, Params(info, 1));
    return info.Env().Undefined();
  }

  Napi::Value JsCloseListener(const Napi::CallbackInfo& info) {
    Live(info.Env())->CloseListener(static_cast<int>(ArgInt(info, 0, 0, 1 << 20)));
    return info.Env().Undefined();
  }

  Napi::Value JsAddServer(const Napi::CallbackInfo& info) {
    std::string host = ArgString(info, 0);
    int port = static_cast<int>(ArgInt(info, 1, 1, 65535));
    auto connectMs = static_cast<uint32_t>(ArgInt(info, 2, 1, 24LL * 3600 * 1000));
    auto serverMs = static_cast<uint32_t>(ArgInt(info, 3, 1, 24LL * 3600 * 1000));
    return Napi::Number::New(info.Env(), Live(info.Env())->AddSlot(host, port, connectMs, serverMs));
  }

  // Raw [name, value, ...] of the request being decided (for ACLs and rules that read headers).
  Napi::Value JsHeaders(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const ClientConn* c = engine_ && !engine_->down() ? engine_->deciding() : nullptr;
    if (!c) ThrowTyped(env, "LB_NO_REQUEST", "headers() is only valid inside decide()");
    const uint8_t* base = c->in.data();
    Napi::Array out = Napi::Array::New(env, c->req.headers.size() * 2);
    uint32_t i = 0;
    for (const Header& h : c->req.headers) {
      out.Set(i++, Napi::String::New(env, reinterpret_cast<const char*>(base + h.name.off), h.name.len));
      out.Set(i++, Napi::String::New(env, reinterpret_cast<const char*>(base + h.value.off), h.value.len));
    }
    return out;
  }

  Napi::Value JsConnections(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), engine_ ? static_cast<double>(engine_->Connections()) : 0); }

  // Closes every socket now; the Engine object itself goes with this wrapper, since shutdown()
  // may be called from inside one of its own callbacks (decide, done).
  Napi::Value JsShutdown(const Napi::CallbackInfo& info) {
    if (engine_ && !engine_->down()) {
      engine_->Shutdown();
      // Drop the callbacks: they hold the JS side, which holds this wrapper.
      decide_.Reset();
      handoff_.Reset();
      done_.Reset();
    }
    return info.Env().Undefined();
  }

  Napi::AsyncContext context_;
  Napi::FunctionReference decide_, handoff_, done_;
  std::unique_ptr<Engine> engine_;
  napi_env env_ = nullptr;
};

// Test access to the parser: parseRequest(buf, maxHead, maxUri) -> {ok, reason, ...}.
Napi::Value ParseRequestJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ByteView b = ArgBytes(info, 0);
  Limits limits;
  limits.maxHead = static_cast<size_t>(ArgInt(info, 1, 16, 1 << 20));
  limits.maxUri = static_cast<size_t>(ArgInt(info, 2, 1, 1 << 20));
  RequestHead r;
  Parse p = ParseRequest(b.data, b.length, limits, &r);
  Napi::Object o = Napi::Object::New(env);
  o.Set("result", p == Parse::kOk ? "ok" : p == Parse::kIncomplete ? "incomplete" : "reject");
  if (p == Parse::kReject) o.Set("reason", r.reason ? r.reason : "");
  if (p != Parse::kOk) return o;
  auto str = [&](Span s) { return Napi::String::New(env, reinterpret_cast<const char*>(b.data + s.off), s.len); };
  o.Set("method", str(r.method));
  o.Set("target", str(r.target));
  o.Set("host", str(r.host));
  o.Set("headLength", static_cast<double>(r.headLen));
  o.Set("contentLength", static_cast<double>(r.contentLength));
  o.Set("chunked", r.chunked);
  o.Set("close", r.close);
  Napi::Array forwarded = Napi::Array::New(env);
  uint32_t i = 0;
  for (const Header& h : r.headers)
    if (!h.hop) forwarded.Set(i++, str(h.name));
  o.Set("forwarded", forwarded);
  return o;
}

// parseResponse(buf, headRequest) -> {result, status, body: 'none'|'length'|'chunked'|'close', ...}
Napi::Value ParseResponseJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ByteView b = ArgBytes(info, 0);
  bool head = info.Length() > 1 && info[1].ToBoolean().Value();
  ResponseHead r;
  Parse p = ParseResponse(b.data, b.length, 65536, &r);
  Napi::Object o = Napi::Object::New(env);
  o.Set("result", p == Parse::kOk ? "ok" : p == Parse::kIncomplete ? "incomplete" : "reject");
  if (p == Parse::kReject) o.Set("reason", r.error ? r.error : "");
  if (p != Parse::kOk) return o;
  static const char* const kinds[] = {"none", "length", "chunked", "close"};
  o.Set("status", r.status);
  o.Set("headLength", static_cast<double>(r.headLen));
  o.Set("contentLength", static_cast<double>(r.contentLength));
  o.Set("body", kinds[static_cast<int>(ResponseBody(r, head))]);
  o.Set("close", r.close);
  return o;
}

// frameChunks(buf, splitAt) -> {consumed, done, failed}: the framer fed in two pieces.
Napi::Value FrameChunksJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ByteView b = ArgBytes(info, 0);
  size_t split = static_cast<size_t>(ArgInt(info, 1, 0, 1LL << 40));
  if (split > b.length) split = b.length;
  ChunkFramer f;
  size_t n = f.Feed(b.data, split);
  if (n == split && !f.done() && !f.failed()) n += f.Feed(b.data + split, b.length - split);
  Napi::Object o = Napi::Object::New(env);
  o.Set("consumed", static_cast<double>(n));
  o.Set("done", f.done());
  o.Set("failed", f.failed());
  return o;
}

void Init(Napi::Env env, Napi::Object target) {
  target.Set("NativeHttpEngine", HttpEngineWrap::Define(env));
  target.Set("parseRequest", Napi::Function::New(env, ParseRequestJs));
  target.Set("parseResponse", Napi::Function::New(env, ParseResponseJs));
  target.Set("frameChunks", Napi::Function::New(env, FrameChunksJs));
}

HAKIT_REGISTER("lbHttp", Init);

}  // namespace
}  // namespace hakit::lb::http
