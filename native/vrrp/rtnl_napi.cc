// N-API bindings for the VRRP rtnetlink fast path: changeAddress (synchronous, on the JS thread:
// one sub-millisecond request, so a new master's VIP is up before its gratuitous ARP) and
// LinkMonitor (RTNLGRP_LINK events on a libuv poll handle, for track_interface).
#include <napi.h>
#include <uv.h>

#include <cstring>
#include <string>
#include <vector>

#include "common/args.h"
#include "common/polled_fd.h"
#include "common/registry.h"
#include "vrrp/rtnl.h"

namespace {
using namespace hakit::vrrp;
using hakit::ArgBytes;
using hakit::ArgInt;
using hakit::ThrowTyped;

// changeAddress(add, family, ifindex, prefix, scope, address, label, nodad) -> 0 | -errno
Napi::Value ChangeAddressFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddressChange c;
  c.add = info[0].ToBoolean();
  c.family = static_cast<int>(ArgInt(info, 1, 4, 6));
  if (c.family != 4 && c.family != 6) ThrowTyped(env, "ERR_NATIVE_ARGS", "family must be 4 or 6");
  c.ifindex = static_cast<int>(ArgInt(info, 2, 1, 1 << 30));
  c.prefix = static_cast<int>(ArgInt(info, 3, 0, c.family == 6 ? 128 : 32));
  c.scope = static_cast<int>(ArgInt(info, 4, 0, 255));
  auto addr = ArgBytes(info, 5);
  if (addr.length != (c.family == 6 ? 16u : 4u)) ThrowTyped(env, "ERR_NATIVE_ARGS", "address has the wrong length");
  std::memcpy(c.address, addr.data, addr.length);
  if (info.Length() > 6 && info[6].IsString()) c.label = info[6].As<Napi::String>().Utf8Value();
  if (c.label.size() > 15) ThrowTyped(env, "ERR_NATIVE_ARGS", "label is longer than 15 bytes");
  c.nodad = info.Length() > 7 && info[7].ToBoolean();
  return Napi::Number::New(env, ChangeAddress(c, 2000));
}

// new LinkMonitor(onEvents): onEvents([{ifindex, name, flags, removed}, ...])
class LinkMonitor : public Napi::ObjectWrap<LinkMonitor> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LinkMonitor", {InstanceMethod("close", &LinkMonitor::Close)});
  }

  explicit LinkMonitor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LinkMonitor>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) ThrowTyped(env, "ERR_NATIVE_ARGS", "onEvents must be a function");
    int fd = OpenLinkMonitor();
    if (fd < 0) {
      Napi::Error e = Napi::Error::New(env, std::string("cannot open the rtnetlink link monitor: ") + std::strerror(-fd));
      e.Set("code", "VRRP_SOCKET");
      throw e;
    }
    env_ = env;
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    // Tracking alone does not keep the process alive (the VRRP sockets do).
    socket_.Start(env, fd, this, [](void* self) { static_cast<LinkMonitor*>(self)->Drain(); }, false);
  }

 private:
  void Drain() {
    Napi::HandleScope scope(env_);
    std::vector<LinkEvent> events;
    bool overflow = false;
    for (int i = 0; i < 64 && socket_.fd() >= 0; i++) {
      ssize_t n = recv(socket_.fd(), buf_, sizeof buf_, MSG_DONTWAIT);
      if (n < 0 && errno == ENOBUFS) { overflow = true; continue; }  // events lost: JS rereads every state
      if (n <= 0) break;
      ParseLinkEvents(buf_, static_cast<size_t>(n), &events);
    }
    if (events.empty() && !overflow) return;
    Napi::Array list = Napi::Array::New(env_, events.size());
    for (size_t i = 0; i < events.size(); i++) {
      Napi::Object o = Napi::Object::New(env_);
      o.Set("ifindex", events[i].ifindex);
      o.Set("name", events[i].name);
      o.Set("flags", static_cast<double>(events[i].flags));
      o.Set("removed", events[i].removed);
      list.Set(static_cast<uint32_t>(i), o);
    }
    try {
      callback_.MakeCallback(Value(), {list, Napi::Boolean::New(env_, overflow)});
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env_, e.Value());
    }
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    socket_.Close();
    callback_.Reset();
    return info.Env().Undefined();
  }

  hakit::PolledFd socket_;
  napi_env env_ = nullptr;
  Napi::FunctionReference callback_;
  alignas(4) uint8_t buf_[32768];
};

void Init(Napi::Env env, Napi::Object target) {
  target.Set("changeAddress", Napi::Function::New(env, ChangeAddressFn, "changeAddress"));
  target.Set("LinkMonitor", LinkMonitor::Define(env));
}

}  // namespace

HAKIT_REGISTER("vrrp_rtnl", Init);
