// HTTP/1.1 message heads and chunked framing for the native L7 path (RFC 9112). Pure C++, no
// allocation beyond the header list, no trust in the input. The parser is deliberately stricter
// than the JS path: anything it does not accept as plainly valid is reported as kReject and the
// connection is handed to the JS path, which answers (400 for smuggling vectors) as it always did.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hakit::lb::http {

struct Span {
  uint32_t off = 0;
  uint32_t len = 0;
};

struct Header {
  Span name;
  Span value;
  // Hop-by-hop per RFC 9110 §7.6.1 (or named by Connection): not forwarded.
  bool hop = false;
};

enum class Parse { kIncomplete, kOk, kReject };

struct Limits {
  size_t maxHead = 16384;  // request line + headers + blank line
  size_t maxUri = 8192;
};

struct RequestHead {
  Span method;
  Span target;
  int minor = 1;  // HTTP/1.minor
  std::vector<Header> headers;
  size_t headLen = 0;  // bytes up to and including the blank line
  Span host;
  int64_t contentLength = 0;  // 0 when absent
  bool chunked = false;
  bool close = false;  // Connection: close (or HTTP/1.0 without keep-alive)
  bool head = false;   // method HEAD: the response has no body
  const char* reason = nullptr;  // why kReject (for logs and tests)
};

struct ResponseHead {
  int status = 0;
  int minor = 1;
  Span reason;
  std::vector<Header> headers;
  size_t headLen = 0;
  int64_t contentLength = -1;  // -1: absent
  bool chunked = false;
  bool close = false;  // server will close after this response
  const char* error = nullptr;
};

// Parses a request head at data[0..len). kIncomplete: no blank line yet (and within limits).
Parse ParseRequest(const uint8_t* data, size_t len, const Limits& limits, RequestHead* out);

// Parses a response head. kReject means an invalid response (502).
Parse ParseResponse(const uint8_t* data, size_t len, size_t maxHead, ResponseHead* out);

// Body framing of a response to a request: what ends it.
enum class BodyKind { kNone, kLength, kChunked, kUntilClose };
BodyKind ResponseBody(const ResponseHead& r, bool headRequest);

// Incremental chunked-body framer (RFC 9112 §7.1): finds where the body ends without copying it.
class ChunkFramer {
 public:
  // Consumes up to len bytes; returns how many belong to the body (all, or up to its end).
  // Sets done() at the end of the trailer section, failed() on a framing error.
  size_t Feed(const uint8_t* data, size_t len);
  bool done() const { return state_ == kDone; }
  bool failed() const { return state_ == kError; }
  void Reset() { *this = ChunkFramer(); }

 private:
  enum State { kSize, kExt, kSizeLf, kData, kDataCr, kDataLf, kTrailerStart, kTrailer, kTrailerLf, kEndLf, kDone, kError };
  State state_ = kSize;
  uint64_t remaining_ = 0;
  int digits_ = 0;
  size_t lineLen_ = 0;
};

// Case-insensitive comparison of a span with a lowercase ASCII literal.
bool SpanIs(const uint8_t* base, Span s, const char* lower);

}  // namespace hakit::lb::http
