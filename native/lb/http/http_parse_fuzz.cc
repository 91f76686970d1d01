// libFuzzer target: request and response heads and the chunked framer on arbitrary bytes.
#include <cstddef>
#include <cstdint>

#include "lb/http/http_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hakit::lb::http;
  Limits limits;
  limits.maxHead = 4096;
  limits.maxUri = 1024;
  RequestHead req;
  if (ParseRequest(data, size, limits, &req) == Parse::kOk && (req.headLen > size || req.target.off + req.target.len > size)) __builtin_trap();
  ResponseHead res;
  if (ParseResponse(data, size, 4096, &res) == Parse::kOk) {
    if (res.headLen > size) __builtin_trap();
    for (const Header& h : res.headers)
      if (h.value.off + h.value.len > size) __builtin_trap();
    (void)ResponseBody(res, false);
  }
  // The framer fed in two pieces must agree with one piece.
  ChunkFramer whole, split;
  size_t a = whole.Feed(data, size);
  size_t half = size / 2;
  size_t b = split.Feed(data, half);
  if (b == half && !split.done() && !split.failed()) b += split.Feed(data + half, size - half);
  if (a > size || whole.done() != split.done() || (whole.done() && a != b)) __builtin_trap();
  return 0;
}
