// A one-shot timer on CLOCK_MONOTONIC with nanosecond resolution (timerfd, absolute deadlines),
// read on the Node event loop. libuv timers count whole milliseconds from a cached loop time and
// run after other loop work, which made a VRRP master-down timer fire 0.6-1.5 ms late; a timerfd
// wakes epoll at its deadline, as keepalived's own epoll timeout does. (timerfd_create(2))
#include <napi.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "common/args.h"
#include "common/polled_fd.h"
#include "common/registry.h"
#include "vrrp/prelude.h"

namespace {
using hakit::ThrowTyped;

double MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

Napi::Value NowFn(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), MonotonicMs()); }

// new MonotonicTimer(onExpire); armAt(deadlineMs[, takeover]) / disarm() / close(). onExpire(ran)
// runs on the JS thread once per arming, when CLOCK_MONOTONIC reaches the deadline; a Takeover
// given with the deadline runs first, in C++ (ran = true).
class MonotonicTimer : public Napi::ObjectWrap<MonotonicTimer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MonotonicTimer", {InstanceMethod("armAt", &MonotonicTimer::ArmAt), InstanceMethod("disarm", &MonotonicTimer::Disarm),
                                               InstanceMethod("close", &MonotonicTimer::Close)});
  }

  explicit MonotonicTimer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MonotonicTimer>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) ThrowTyped(env, "ERR_NATIVE_ARGS", "onExpire must be a function");
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) ThrowTyped(env, "ERR_TIMER", std::string("timerfd_create: ") + std::strerror(errno));
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    env_ = env;
    fd_.Start(env, fd, this, [](void* self) { static_cast<MonotonicTimer*>(self)->Expired(); }, false);
  }

 private:
  void Expired() {
    uint64_t count = 0;
    // EAGAIN: re-armed or disarmed after the fd became readable; nothing is due.
    if (::read(fd_.fd(), &count, sizeof count) != sizeof count || count == 0) return;
    fd_.KeepAlive(false);
    bool ran = false;
    if (prelude_) {
      prelude_->Run();
      prelude_ = nullptr;
      ran = true;
    }
    Napi::HandleScope scope(env_);
    preludeRef_.Reset();
    try {
      callback_.MakeCallback(Value(), {Napi::Boolean::New(env_, ran)});
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env_, e.Value());
    }
  }

  Napi::Value ArmAt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_.fd() < 0) ThrowTyped(env, "ERR_TIMER", "the timer is closed");
    if (info.Length() < 1 || !info[0].IsNumber()) ThrowTyped(env, "ERR_NATIVE_ARGS", "deadline must be a number");
    double ms = info[0].As<Napi::Number>().DoubleValue();
    if (!std::isfinite(ms) || ms < 0 || ms > 1e15) ThrowTyped(env, "ERR_NATIVE_ARGS", "deadline out of range");
    itimerspec spec{};
    double sec = std::floor(ms / 1e3);
    spec.it_value.tv_sec = static_cast<time_t>(sec);
    spec.it_value.tv_nsec = static_cast<long>((ms - sec * 1e3) * 1e6);
    if (spec.it_value.tv_nsec >= 1000000000L) spec.it_value.tv_nsec = 999999999L;
    // it_value {0,0} would disarm: a deadline at 0 is long past, fire at once.
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    hakit::vrrp::Prelude* prelude = nullptr;
    if (info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull()) {
      prelude = hakit::vrrp::UnwrapPrelude(env, info[1]);
      if (!prelude) ThrowTyped(env, "ERR_NATIVE_ARGS", "the second argument must be a Takeover");
    }
    if (timerfd_settime(fd_.fd(), TFD_TIMER_ABSTIME, &spec, nullptr) < 0) ThrowTyped(env, "ERR_TIMER", std::string("timerfd_settime: ") + std::strerror(errno));
    prelude_ = prelude;
    if (prelude) preludeRef_ = Napi::Persistent(info[1].As<Napi::Object>());
    else preludeRef_.Reset();
    fd_.KeepAlive(true);
    return env.Undefined();
  }

  Napi::Value Disarm(const Napi::CallbackInfo& info) {
    if (fd_.fd() >= 0) {
      itimerspec off{};
      timerfd_settime(fd_.fd(), 0, &off, nullptr);
      uint64_t count;
      while (::read(fd_.fd(), &count, sizeof count) > 0) {}  // drop an expiry not yet delivered
      fd_.KeepAlive(false);
    }
    prelude_ = nullptr;
    preludeRef_.Reset();
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    fd_.Close();
    callback_.Reset();
    prelude_ = nullptr;
    preludeRef_.Reset();
    return info.Env().Undefined();
  }

  hakit::PolledFd fd_;
  napi_env env_ = nullptr;
  Napi::FunctionReference callback_;
  hakit::vrrp::Prelude* prelude_ = nullptr;
  Napi::ObjectReference preludeRef_;  // keeps the Takeover alive while armed with it
};

void Init(Napi::Env env, Napi::Object target) {
  target.Set("now", Napi::Function::New(env, NowFn, "now"));
  target.Set("MonotonicTimer", MonotonicTimer::Define(env));
}

}  // namespace

HAKIT_REGISTER("vrrp_timer", Init);
