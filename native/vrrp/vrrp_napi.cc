// N-API bindings for VRRP: the codec, and sockets read on a libuv poll handle (the event loop
// never blocks: every read is MSG_DONTWAIT until EAGAIN).
#include <napi.h>
#include <uv.h>

#include <cstring>
#include <string>
#include <vector>

#include "common/args.h"
#include "common/polled_fd.h"
#include "common/registry.h"
#include "vrrp/codec.h"
#include "vrrp/io.h"
#include "vrrp/prelude.h"
#include "vrrp/rtnl.h"

namespace {
using namespace hakit::vrrp;

// Type tags (napi_type_tag_object): a Takeover accepts only real sockets, and a timer only a real Takeover.
constexpr napi_type_tag kVrrpSocketTag = {0x8d2f6a4be1c34b71ULL, 0xa1f0c7d25e9b3a06ULL};
constexpr napi_type_tag kPacketSocketTag = {0x3c9e1b7f5a2d4e88ULL, 0xb6d40a19f7e2c513ULL};
constexpr napi_type_tag kTakeoverTag = {0x5f1a8c3e9b7d2046ULL, 0x9e2b6d4f0c1a7385ULL};

bool HasTag(Napi::Env env, Napi::Value v, const napi_type_tag& tag) {
  if (!v.IsObject()) return false;
  bool ok = false;
  return napi_check_object_type_tag(env, v, &tag, &ok) == napi_ok && ok;
}
using hakit::ArgBytes;
using hakit::ArgInt;
using hakit::ArgString;
using hakit::ThrowTyped;

Napi::Buffer<uint8_t> Copy(Napi::Env env, const uint8_t* data, size_t len) { return Napi::Buffer<uint8_t>::Copy(env, data, len); }

hakit::ByteView OptionalBytes(const Napi::Object& o, const char* key, size_t need, bool required) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    if (required) ThrowTyped(o.Env(), "ERR_NATIVE_ARGS", std::string(key) + " is required");
    return {nullptr, 0};
  }
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    ThrowTyped(o.Env(), "ERR_NATIVE_ARGS", std::string(key) + " must be a Buffer");
  auto b = v.As<Napi::Uint8Array>();
  if (need && b.ByteLength() != need) ThrowTyped(o.Env(), "ERR_NATIVE_ARGS", std::string(key) + " must be " + std::to_string(need) + " bytes");
  return {b.Data(), b.ByteLength()};
}

int IntField(const Napi::Object& o, const char* key, int min, int max) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) ThrowTyped(o.Env(), "ERR_NATIVE_ARGS", std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int>(d)) || d < min || d > max)
    ThrowTyped(o.Env(), "ERR_NATIVE_ARGS", std::string(key) + " out of range");
  return static_cast<int>(d);
}

// encode({version, vrid, priority, interval, authType, auth, addrs, addrLen, pseudo, src, dst})
Napi::Value Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) ThrowTyped(env, "ERR_NATIVE_ARGS", "encode takes an object");
  Napi::Object o = info[0].As<Napi::Object>();
  BuildSpec s;
  s.version = IntField(o, "version", 2, 3);
  s.vrid = IntField(o, "vrid", 1, 255);
  s.priority = IntField(o, "priority", 0, 255);
  s.interval = IntField(o, "interval", 0, 4095);
  s.authType = IntField(o, "authType", 0, 255);
  s.addrLen = static_cast<size_t>(IntField(o, "addrLen", 4, 16));
  if (s.addrLen != 4 && s.addrLen != 16) ThrowTyped(env, "ERR_NATIVE_ARGS", "addrLen must be 4 or 16");
  auto addrs = OptionalBytes(o, "addrs", 0, true);
  if (addrs.length % s.addrLen || addrs.length / s.addrLen > kMaxAddrs) ThrowTyped(env, "ERR_NATIVE_ARGS", "addrs length must be a multiple of addrLen, at most 255 addresses");
  s.addrs = addrs.data;
  s.count = static_cast<int>(addrs.length / s.addrLen);
  s.auth = OptionalBytes(o, "auth", kAuthLen, false).data;
  s.pseudo = o.Get("pseudo").ToBoolean();
  s.src = OptionalBytes(o, "src", s.addrLen, false).data;
  s.dst = OptionalBytes(o, "dst", s.addrLen, false).data;
  uint8_t out[kMaxAdvert];
  size_t len = BuildAdvert(s, out, sizeof out);
  if (len == 0) ThrowTyped(env, "ERR_NATIVE_ARGS", "invalid advert (v3 with the pseudo-header needs src and dst; v2 interval is 0-255 s)");
  return Copy(env, out, len);
}

Napi::Object AdvertObject(Napi::Env env, const Advert& a, size_t addrLen) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("version", a.version);
  r.Set("type", a.type);
  r.Set("vrid", a.vrid);
  r.Set("priority", a.priority);
  r.Set("count", a.count);
  r.Set("authType", a.authType);
  r.Set("interval", a.interval);
  r.Set("reserved", a.reserved);
  r.Set("checksum", static_cast<int>(a.checksum));
  r.Set("checksumPseudoOk", a.checksumPseudoOk);
  r.Set("checksumPlainOk", a.checksumPlainOk);
  r.Set("addrs", Copy(env, a.addrs, static_cast<size_t>(a.count) * addrLen));
  if (a.auth) r.Set("auth", Copy(env, a.auth, kAuthLen));
  return r;
}

Napi::Object ErrorObject(Napi::Env env, ParseError e) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("error", ParseErrorCode(e));
  return r;
}

// decode(bytes, addrLen, src?, dst?)
Napi::Value Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto data = ArgBytes(info, 0);
  size_t addrLen = static_cast<size_t>(ArgInt(info, 1, 4, 16));
  if (addrLen != 4 && addrLen != 16) ThrowTyped(env, "ERR_NATIVE_ARGS", "addrLen must be 4 or 16");
  const uint8_t* src = nullptr;
  const uint8_t* dst = nullptr;
  if (info.Length() > 3 && info[2].IsTypedArray() && info[3].IsTypedArray()) {
    auto s = ArgBytes(info, 2);
    auto d = ArgBytes(info, 3);
    if (s.length != addrLen || d.length != addrLen) ThrowTyped(env, "ERR_NATIVE_ARGS", "src and dst must be addrLen bytes");
    src = s.data;
    dst = d.data;
  }
  Advert a;
  ParseError e = ParseAdvert(data.data, data.length, addrLen, src, dst, &a);
  if (e != ParseError::kOk) return ErrorObject(env, e);
  return AdvertObject(env, a, addrLen);
}

Napi::Value DecodeIpv4(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto data = ArgBytes(info, 0);
  Ipv4Info ip;
  ParseError e = ParseIpv4(data.data, data.length, &ip);
  if (e != ParseError::kOk) return ErrorObject(env, e);
  Napi::Object r = Napi::Object::New(env);
  r.Set("ttl", ip.ttl);
  r.Set("protocol", ip.protocol);
  r.Set("src", Copy(env, ip.src, 4));
  r.Set("dst", Copy(env, ip.dst, 4));
  r.Set("payloadOffset", static_cast<double>(ip.payloadOffset));
  r.Set("payloadLength", static_cast<double>(ip.payloadLen));
  return r;
}

Napi::Value GarpFrame(const Napi::CallbackInfo& info) {
  auto mac = ArgBytes(info, 0);
  auto ip = ArgBytes(info, 1);
  if (mac.length != 6 || ip.length != 4) ThrowTyped(info.Env(), "ERR_NATIVE_ARGS", "garpFrame(mac[6], ipv4[4])");
  uint8_t out[kGarpLen];
  BuildGarp(mac.data, ip.data, out, sizeof out);
  return Copy(info.Env(), out, kGarpLen);
}

Napi::Value NaFrame(const Napi::CallbackInfo& info) {
  auto mac = ArgBytes(info, 0);
  auto ip = ArgBytes(info, 1);
  if (mac.length != 6 || ip.length != 16) ThrowTyped(info.Env(), "ERR_NATIVE_ARGS", "naFrame(mac[6], ipv6[16])");
  uint8_t out[kNaLen];
  BuildUnsolicitedNa(mac.data, ip.data, out, sizeof out);
  return Copy(info.Env(), out, kNaLen);
}

Napi::Value IfIndexFn(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), IfIndex(ArgString(info, 0))); }

Napi::Value IfMacFn(const Napi::CallbackInfo& info) {
  uint8_t mac[6];
  int rc = IfMac(ArgString(info, 0), mac);
  if (rc < 0) return info.Env().Null();
  return Copy(info.Env(), mac, 6);
}

Napi::Error SysError(Napi::Env env, int err, const std::string& what) {
  Napi::Error e = Napi::Error::New(env, what + ": " + std::strerror(err));
  e.Set("code", "VRRP_SOCKET");
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", what);
  return e;
}

// A raw VRRP socket; new VrrpSocket(family, ifname, ifindex, multicast, ttl, onPacket).
// onPacket(payload, src, dst, ttl, ifindex, ipError) runs on the JS thread from the poll handle.
class VrrpSocket : public Napi::ObjectWrap<VrrpSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "VrrpSocket", {InstanceMethod("send", &VrrpSocket::Send), InstanceMethod("close", &VrrpSocket::Close)});
  }

  explicit VrrpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VrrpSocket>(info) {
    Napi::Env env = info.Env();
    SocketOptions o;
    o.family = static_cast<int>(ArgInt(info, 0, 4, 6));
    if (o.family != 4 && o.family != 6) ThrowTyped(env, "ERR_NATIVE_ARGS", "family must be 4 or 6");
    o.ifname = ArgString(info, 1);
    o.ifindex = static_cast<int>(ArgInt(info, 2, 1, 1 << 30));
    o.multicast = info[3].ToBoolean();
    o.ttl = static_cast<int>(ArgInt(info, 4, 1, 255));
    if (info.Length() < 6 || !info[5].IsFunction()) ThrowTyped(env, "ERR_NATIVE_ARGS", "onPacket must be a function");
    family_ = o.family;
    ifindex_ = o.ifindex;
    std::string what;
    int fd = OpenVrrpSocket(o, &what);
    if (fd < 0) throw SysError(env, -fd, what);
    callback_ = Napi::Persistent(info[5].As<Napi::Function>());
    env_ = env;
    socket_.Start(env, fd, this, [](void* self) { static_cast<VrrpSocket*>(self)->Drain(); }, true);
    napi_type_tag_object(env, info.This(), &kVrrpSocketTag);
  }

  // For a takeover: one advert now; 0 or -errno (EBADF once closed).
  int SendNow(const uint8_t* data, size_t len, const uint8_t* dst, const uint8_t* src) {
    if (socket_.fd() < 0) return -EBADF;
    return SendAdvert(socket_.fd(), family_, ifindex_, data, len, dst, src);
  }
  int family() const { return family_; }

 private:
  void Drain() {
    Napi::HandleScope scope(env_);
    // Bounded so a flood cannot starve the loop; the poll handle fires again if more is queued.
    for (int i = 0; i < 64 && socket_.fd() >= 0; i++) {
      RecvMeta meta;
      long n = RecvAdvert(socket_.fd(), family_, buf_, sizeof buf_, &meta);
      if (n <= 0) break;
      size_t alen = family_ == 6 ? 16 : 4;
      std::vector<napi_value> args = {
          meta.ipError ? Napi::Buffer<uint8_t>::New(env_, 0) : Copy(env_, buf_ + meta.offset, meta.len),
          Copy(env_, meta.src, alen),
          Copy(env_, meta.dst, alen),
          Napi::Number::New(env_, meta.ttl),
          Napi::Number::New(env_, meta.ifindex),
          Napi::Number::New(env_, meta.ipError),
          Napi::Number::New(env_, meta.ageMs),
      };
      try {
        callback_.MakeCallback(Value(), args);
      } catch (const Napi::Error& e) {
        napi_fatal_exception(env_, e.Value());
        return;
      }
    }
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (socket_.fd() < 0) throw SysError(env, EBADF, "send on a closed socket");
    auto data = ArgBytes(info, 0);
    auto dst = ArgBytes(info, 1);
    size_t alen = family_ == 6 ? 16 : 4;
    if (dst.length != alen) ThrowTyped(env, "ERR_NATIVE_ARGS", "dst has the wrong length");
    const uint8_t* src = nullptr;
    if (info.Length() > 2 && info[2].IsTypedArray()) {
      auto s = ArgBytes(info, 2);
      if (s.length != alen) ThrowTyped(env, "ERR_NATIVE_ARGS", "src has the wrong length");
      src = s.data;
    }
    int rc = SendAdvert(socket_.fd(), family_, ifindex_, data.data, data.length, dst.data, src);
    return Napi::Number::New(env, rc);  // 0 or -errno: a failed send is counted, not thrown
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    socket_.Close();
    callback_.Reset();
    return info.Env().Undefined();
  }

  hakit::PolledFd socket_;
  int family_ = 4;
  int ifindex_ = 0;
  napi_env env_ = nullptr;
  Napi::FunctionReference callback_;
  uint8_t buf_[65536];
};

// Sends whole Ethernet frames (gratuitous ARP, unsolicited NA).
class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PacketSocket", {InstanceMethod("send", &PacketSocket::Send), InstanceMethod("close", &PacketSocket::Close)});
  }
  explicit PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) {
    std::string what;
    int fd = OpenPacketSocket(&what);
    if (fd < 0) throw SysError(info.Env(), -fd, what);
    fd_ = fd;
    napi_type_tag_object(info.Env(), info.This(), &kPacketSocketTag);
  }
  int SendNow(int ifindex, const uint8_t* frame, size_t len) { return fd_ < 0 ? -EBADF : SendFrame(fd_, ifindex, frame, len); }
  ~PacketSocket() override {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  Napi::Value Send(const Napi::CallbackInfo& info) {
    if (fd_ < 0) throw SysError(info.Env(), EBADF, "send on a closed socket");
    int ifindex = static_cast<int>(ArgInt(info, 0, 1, 1 << 30));
    auto frame = ArgBytes(info, 1);
    return Napi::Number::New(info.Env(), SendFrame(fd_, ifindex, frame.data, frame.length));
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return info.Env().Undefined();
  }
  int fd_ = -1;
};

// A prepared takeover: new Takeover(socket, adverts, changes, packet, frames, frameIfindex, rounds).
//   adverts: [[payload, dst, src], ...]  changes: [{family, ifindex, prefix, scope, address, label?, nodad}]
//   frames: [frame, ...] sent `rounds` times out of frameIfindex.
// Run() (from a timer's expiry, or run() from JS) sends the adverts, adds the addresses through
// rtnetlink and, if every address is up, sends the frames; result() reports the return codes.
class Takeover : public Napi::ObjectWrap<Takeover>, public Prelude {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Takeover", {InstanceMethod("run", &Takeover::RunFn), InstanceMethod("result", &Takeover::Result)});
  }

  explicit Takeover(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Takeover>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 7) ThrowTyped(env, "ERR_NATIVE_ARGS", "Takeover(socket, adverts, changes, packet, frames, frameIfindex, rounds)");
    if (!HasTag(env, info[0], kVrrpSocketTag)) ThrowTyped(env, "ERR_NATIVE_ARGS", "socket must be a VrrpSocket");
    if (!HasTag(env, info[3], kPacketSocketTag)) ThrowTyped(env, "ERR_NATIVE_ARGS", "packet must be a PacketSocket");
    socketRef_ = Napi::Persistent(info[0].As<Napi::Object>());
    packetRef_ = Napi::Persistent(info[3].As<Napi::Object>());
    socket_ = VrrpSocket::Unwrap(info[0].As<Napi::Object>());
    packet_ = PacketSocket::Unwrap(info[3].As<Napi::Object>());
    size_t alen = socket_->family() == 6 ? 16 : 4;
    for (const Napi::Object& a : Items(env, info[1], "adverts")) {
      auto payload = Bytes(env, a.Get(0u), 0, kMaxAdvert, "advert payload");
      auto dst = Bytes(env, a.Get(1u), alen, alen, "advert dst");
      auto src = Bytes(env, a.Get(2u), alen, alen, "advert src");
      adverts_.push_back({payload, dst, src});
    }
    for (const Napi::Object& c : Items(env, info[2], "changes")) {
      AddressChange ch;
      ch.add = true;
      ch.family = IntField(c, "family", 4, 6);
      if (ch.family == 5) ThrowTyped(env, "ERR_NATIVE_ARGS", "family must be 4 or 6");
      ch.ifindex = IntField(c, "ifindex", 1, 1 << 30);
      ch.prefix = IntField(c, "prefix", 0, ch.family == 6 ? 128 : 32);
      ch.scope = IntField(c, "scope", 0, 255);
      auto addr = Bytes(env, c.Get("address"), ch.family == 6 ? 16 : 4, ch.family == 6 ? 16 : 4, "address");
      std::memcpy(ch.address, addr.data(), addr.size());
      Napi::Value label = c.Get("label");
      if (label.IsString()) ch.label = label.As<Napi::String>().Utf8Value();
      if (ch.label.size() > 15) ThrowTyped(env, "ERR_NATIVE_ARGS", "label is longer than 15 bytes");
      ch.nodad = c.Get("nodad").ToBoolean();
      changes_.push_back(ch);
    }
    Napi::Value frames = info[4];
    if (!frames.IsArray()) ThrowTyped(env, "ERR_NATIVE_ARGS", "frames must be an array");
    Napi::Array list = frames.As<Napi::Array>();
    if (list.Length() > 255) ThrowTyped(env, "ERR_NATIVE_ARGS", "at most 255 frames");
    for (uint32_t i = 0; i < list.Length(); i++) frames_.push_back(Bytes(env, list.Get(i), 14, 1514, "frame"));
    frameIfindex_ = static_cast<int>(ArgInt(info, 5, 1, 1 << 30));
    rounds_ = static_cast<int>(ArgInt(info, 6, 0, 255));
    napi_type_tag_object(env, info.This(), &kTakeoverTag);
  }

  void Run() override {
    advertRc_.clear();
    addressRc_.clear();
    frameRc_ = 0;
    for (const auto& a : adverts_) advertRc_.push_back(socket_->SendNow(a.payload.data(), a.payload.size(), a.dst.data(), a.src.data()));
    bool up = true;
    for (const auto& c : changes_) {
      int rc = ChangeAddress(c, 2000);
      if (rc == -EEXIST) rc = 0;  // already there (a crashed run left it): it is up
      addressRc_.push_back(rc);
      if (rc != 0) up = false;
    }
    if (up) {
      for (int r = 0; r < rounds_; r++)
        for (const auto& f : frames_) {
          int rc = packet_->SendNow(frameIfindex_, f.data(), f.size());
          if (rc < 0 && frameRc_ == 0) frameRc_ = rc;
        }
    }
    ran_ = true;
  }

 private:
  using Bytes_ = std::vector<uint8_t>;
  struct Advert_ {
    Bytes_ payload, dst, src;
  };

  static std::vector<Napi::Object> Items(Napi::Env env, Napi::Value v, const char* what) {
    if (!v.IsArray()) ThrowTyped(env, "ERR_NATIVE_ARGS", std::string(what) + " must be an array");
    Napi::Array a = v.As<Napi::Array>();
    if (a.Length() > 255) ThrowTyped(env, "ERR_NATIVE_ARGS", std::string(what) + ": at most 255");
    std::vector<Napi::Object> out;
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value item = a.Get(i);
      if (!item.IsObject()) ThrowTyped(env, "ERR_NATIVE_ARGS", std::string(what) + " must hold objects");
      out.push_back(item.As<Napi::Object>());
    }
    return out;
  }

  static Bytes_ Bytes(Napi::Env env, Napi::Value v, size_t min, size_t max, const char* what) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) ThrowTyped(env, "ERR_NATIVE_ARGS", std::string(what) + " must be a Buffer");
    auto b = v.As<Napi::Uint8Array>();
    if (b.ByteLength() < min || b.ByteLength() > max) ThrowTyped(env, "ERR_NATIVE_ARGS", std::string(what) + " has the wrong length");
    return Bytes_(b.Data(), b.Data() + b.ByteLength());
  }

  Napi::Value RunFn(const Napi::CallbackInfo& info) {
    Run();
    return Result(info);
  }

  // {adverts: [rc...], addresses: [rc...], frames: rc} of the last run, or null if none since the last call.
  Napi::Value Result(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ran_) return env.Null();
    ran_ = false;
    Napi::Object r = Napi::Object::New(env);
    Napi::Array a = Napi::Array::New(env, advertRc_.size());
    for (size_t i = 0; i < advertRc_.size(); i++) a.Set(static_cast<uint32_t>(i), advertRc_[i]);
    Napi::Array c = Napi::Array::New(env, addressRc_.size());
    for (size_t i = 0; i < addressRc_.size(); i++) c.Set(static_cast<uint32_t>(i), addressRc_[i]);
    r.Set("adverts", a);
    r.Set("addresses", c);
    r.Set("frames", frameRc_);
    return r;
  }

  Napi::ObjectReference socketRef_, packetRef_;  // keep both sockets alive while we point at them
  VrrpSocket* socket_ = nullptr;
  PacketSocket* packet_ = nullptr;
  std::vector<Advert_> adverts_;
  std::vector<AddressChange> changes_;
  std::vector<Bytes_> frames_;
  int frameIfindex_ = 0;
  int rounds_ = 0;
  bool ran_ = false;
  std::vector<int> advertRc_, addressRc_;
  int frameRc_ = 0;
};


void Init(Napi::Env env, Napi::Object target) {
  target.Set("encode", Napi::Function::New(env, Encode, "encode"));
  target.Set("decode", Napi::Function::New(env, Decode, "decode"));
  target.Set("decodeIpv4", Napi::Function::New(env, DecodeIpv4, "decodeIpv4"));
  target.Set("garpFrame", Napi::Function::New(env, GarpFrame, "garpFrame"));
  target.Set("naFrame", Napi::Function::New(env, NaFrame, "naFrame"));
  target.Set("ifIndex", Napi::Function::New(env, IfIndexFn, "ifIndex"));
  target.Set("ifMac", Napi::Function::New(env, IfMacFn, "ifMac"));
  target.Set("VrrpSocket", VrrpSocket::Define(env));
  target.Set("PacketSocket", PacketSocket::Define(env));
  target.Set("Takeover", Takeover::Define(env));
}

}  // namespace

namespace hakit::vrrp {
Prelude* UnwrapPrelude(Napi::Env env, Napi::Value value) {
  if (!HasTag(env, value, kTakeoverTag)) return nullptr;
  return Takeover::Unwrap(value.As<Napi::Object>());
}
}  // namespace hakit::vrrp

HAKIT_REGISTER("vrrp", Init);
