// A socket read on the Node event loop: owns the fd and its uv_poll_t and closes both exactly
// once — on Close(), when the owner is destroyed, or when the Node environment is torn down.
#pragma once
#include <node_api.h>
#include <unistd.h>
#include <uv.h>

namespace hakit {

class PolledFd {
 public:
  using Callback = void (*)(void* owner);

  PolledFd() = default;
  PolledFd(const PolledFd&) = delete;
  PolledFd& operator=(const PolledFd&) = delete;
  ~PolledFd() { Release(true); }

  // Takes ownership of fd; onReadable(owner) runs on the JS thread whenever fd is readable.
  void Start(napi_env env, int fd, void* owner, Callback onReadable, bool keepsProcessAlive) {
    env_ = env;
    fd_ = fd;
    owner_ = owner;
    onReadable_ = onReadable;
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    poll_->data = this;
    uv_poll_init(loop, poll_, fd_);
    uv_poll_start(poll_, UV_READABLE, OnPoll);
    if (!keepsProcessAlive) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    napi_add_env_cleanup_hook(env, Teardown, this);
  }

  int fd() const { return fd_; }
  void Close() { Release(true); }
  // Whether the handle keeps the process alive (a timer does only while armed).
  void KeepAlive(bool on) {
    if (!poll_) return;
    if (on) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    else uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  }

 private:
  static void Teardown(void* self) { static_cast<PolledFd*>(self)->Release(false); }

  static void OnPoll(uv_poll_t* handle, int, int) {
    auto* self = static_cast<PolledFd*>(handle->data);
    if (self) self->onReadable_(self->owner_);
  }

  void Release(bool removeHook) {
    if (fd_ < 0) return;
    if (removeHook) napi_remove_env_cleanup_hook(env_, Teardown, this);
    uv_poll_stop(poll_);
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
    ::close(fd_);
    fd_ = -1;
  }

  napi_env env_ = nullptr;
  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  void* owner_ = nullptr;
  Callback onReadable_ = nullptr;
};

}  // namespace hakit
