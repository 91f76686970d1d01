// getxattr(2) for reading DHT layouts straight from brick directories (Node has no xattr API).
#include <errno.h>
#include <napi.h>
#include <string.h>
#include <sys/xattr.h>

#include <string>
#include <vector>

#include "common/args.h"
#include "common/registry.h"

namespace {

// getXattr(path, name) -> Buffer, or null when the attribute is absent.
Napi::Value GetXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = hakit::ArgString(info, 0);
  std::string name = hakit::ArgString(info, 1);
  if (path.find('\0') != std::string::npos || name.find('\0') != std::string::npos)
    hakit::ThrowTyped(env, "ERR_NATIVE_ARGS", "path and name must not contain NUL");
  std::vector<char> buffer(256);
  for (int attempt = 0; attempt < 4; attempt++) {
    ssize_t n = lgetxattr(path.c_str(), name.c_str(), buffer.data(), buffer.size());
    if (n >= 0) return Napi::Buffer<char>::Copy(env, buffer.data(), static_cast<size_t>(n));
    if (errno == ENODATA) return env.Null();
    if (errno != ERANGE) {
      Napi::Error error = Napi::Error::New(env, std::string("getxattr ") + path + ": " + strerror(errno));
      error.Set("code", Napi::String::New(env, "GLUSTER_XATTR"));
      error.Set("errno", Napi::Number::New(env, errno));
      throw error;
    }
    ssize_t size = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    buffer.resize(size > 0 ? static_cast<size_t>(size) : buffer.size() * 2);
  }
  hakit::ThrowTyped(env, "GLUSTER_XATTR", "getxattr: attribute keeps growing");
}

void Init(Napi::Env env, Napi::Object target) {
  target.Set("getXattr", Napi::Function::New(env, GetXattr, "getXattr"));
}

HAKIT_REGISTER("glusterXattr", Init);

}  // namespace
