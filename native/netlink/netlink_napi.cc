// JS binding of the netlink channel: `new Socket(protocol, receiveBuffer)`, `transact(bytes,
// windowBytes, timeoutMs, maxDumpsPerWindow, ackPerWindow)` -> Promise<{ replies, errno, syscall, sends, retriedBusy,
// implicitAcks }>,
// `close()`. The exchange runs on the libuv pool; one at a time per socket (lib/netlink queues).
#include <napi.h>

#include <cstring>
#include <memory>

#include "common/args.h"
#include "common/registry.h"
#include "netlink/nlchannel.h"
#include "netlink/nlparse.h"

namespace hakit::netlink {
namespace {

class Socket : public Napi::ObjectWrap<Socket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Socket",
                       {InstanceMethod("transact", &Socket::Transact), InstanceMethod("close", &Socket::Close),
                        InstanceAccessor("portId", &Socket::GetPortId, nullptr)});
  }

  explicit Socket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Socket>(info) {
    int protocol = static_cast<int>(ArgInt(info, 0, 0, 31));
    int receive_buffer = static_cast<int>(ArgInt(info, 1, 0, 1 << 30));
    std::string syscall;
    int error = channel_.Open(protocol, receive_buffer, &syscall);
    if (error != 0) {
      Napi::Error e = Napi::Error::New(info.Env(), std::string(syscall) + ": " + std::strerror(error));
      e.Set("errno", Napi::Number::New(info.Env(), error));
      e.Set("syscall", Napi::String::New(info.Env(), syscall));
      throw e;
    }
  }

  bool busy_ = false;
  bool close_when_idle_ = false;
  Channel channel_;

 private:
  Napi::Value GetPortId(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), channel_.PortId()); }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (busy_) close_when_idle_ = true;  // the worker still uses the descriptor
    else channel_.Close();
    return info.Env().Undefined();
  }

  Napi::Value Transact(const Napi::CallbackInfo& info);
};

class TransactWorker : public Napi::AsyncWorker {
 public:
  TransactWorker(Napi::Env env, Socket* socket, const uint8_t* data, size_t length, size_t window, size_t max_dumps, int timeout, bool ack_per_window)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), socket_(socket),
        requests_(data, data + length), window_(window), max_dumps_(max_dumps), timeout_(timeout), ack_per_window_(ack_per_window) {
    socket_ref_ = Napi::Persistent(socket->Value());
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { socket_->channel_.Transact(requests_.data(), requests_.size(), window_, max_dumps_, timeout_, ack_per_window_, result_); }

  void OnOK() override {
    Napi::Env env = Env();
    socket_->busy_ = false;
    if (socket_->close_when_idle_) socket_->channel_.Close();
    Napi::Object out = Napi::Object::New(env);
    // Copy: the Buffer outlives this worker.
    out.Set("replies", Napi::Buffer<uint8_t>::Copy(env, result_.replies.data(), result_.replies.size()));
    out.Set("errno", Napi::Number::New(env, result_.sys_errno));
    out.Set("syscall", Napi::String::New(env, result_.syscall));
    out.Set("sends", Napi::Number::New(env, result_.sends));
    out.Set("retriedBusy", Napi::Number::New(env, result_.retried_busy));
    Napi::Uint32Array implicit = Napi::Uint32Array::New(env, result_.implicit_acks.size());
    if (!result_.implicit_acks.empty())
      std::memcpy(implicit.Data(), result_.implicit_acks.data(), result_.implicit_acks.size() * sizeof(uint32_t));
    out.Set("implicitAcks", implicit);
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& error) override {
    socket_->busy_ = false;
    deferred_.Reject(error.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Socket* socket_;
  Napi::ObjectReference socket_ref_;  // keeps the socket alive while the pool thread uses it
  std::vector<uint8_t> requests_;
  size_t window_;
  size_t max_dumps_;
  int timeout_;
  bool ack_per_window_;
  TransactResult result_;
};

Napi::Value Socket::Transact(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ByteView bytes = ArgBytes(info, 0);
  size_t window = static_cast<size_t>(ArgInt(info, 1, 64, 64 * 1024 * 1024));
  int timeout = static_cast<int>(ArgInt(info, 2, 1, 24 * 3600 * 1000));
  size_t max_dumps = static_cast<size_t>(ArgInt(info, 3, 1, 1 << 20));
  bool ack_per_window = info.Length() > 4 && info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
  if (!channel_.IsOpen()) ThrowTyped(env, "NETLINK_CLOSED", "the netlink socket is closed");
  if (busy_) ThrowTyped(env, "NETLINK_BUSY", "an exchange is already running on this socket");
  std::vector<MessageView> messages;
  size_t bad = 0;
  if (!SplitMessages(bytes.data, bytes.length, messages, &bad))
    ThrowTyped(env, "ERR_NATIVE_ARGS", "malformed netlink message at byte " + std::to_string(bad));
  for (const MessageView& m : messages) {
    bool dump = (m.flags & kFlagDump) == kFlagDump;
    if (!dump && !(m.flags & kFlagAck))
      ThrowTyped(env, "ERR_NATIVE_ARGS", "every request must be a dump or ask for an ack (seq " + std::to_string(m.seq) + ")");
  }
  auto* worker = new TransactWorker(env, this, bytes.data, bytes.length, window, max_dumps, timeout, ack_per_window);
  busy_ = true;
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

void Init(Napi::Env env, Napi::Object target) {
  target.Set("Socket", Socket::Define(env));
  target.Set("headerLength", Napi::Number::New(env, kHeaderLen));
}

HAKIT_REGISTER("netlink", Init);

}  // namespace
}  // namespace hakit::netlink
