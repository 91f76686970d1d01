// Strict HTTP/1.1 head parsing and chunked framing (RFC 9112 §2-§7, RFC 9110 §5, §7.6.1).
#include "lb/http/http_parse.h"

#include <cstring>

namespace hakit::lb::http {
namespace {

// tchar of RFC 9110 §5.6.2.
bool IsTchar(uint8_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// field-vchar / SP / HTAB / obs-text (RFC 9110 §5.5): no CR, LF, NUL, other controls or DEL.
bool IsValueChar(uint8_t c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

uint8_t Lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c; }

bool SpanEqualsCi(const uint8_t* base, Span a, Span b) {
  if (a.len != b.len) return false;
  for (uint32_t i = 0; i < a.len; i++)
    if (Lower(base[a.off + i]) != Lower(base[b.off + i])) return false;
  return true;
}

// Finds the blank line ending the head; -1 if absent. Any LF not preceded by CR fails (-2).
int64_t HeadEnd(const uint8_t* data, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (data[i] != '\n') continue;
    if (i == 0 || data[i - 1] != '\r') return -2;
    if (i >= 3 && data[i - 2] == '\n' && data[i - 3] == '\r') return static_cast<int64_t>(i + 1);
  }
  return -1;
}

// Parses "1*DIGIT" into a non-negative value below 2^53; false on anything else.
bool ParseDecimal(const uint8_t* p, uint32_t len, int64_t* out) {
  if (len == 0 || len > 15) return false;
  int64_t v = 0;
  for (uint32_t i = 0; i < len; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return true;
}

// Header lines from `pos` up to the blank line at headLen. Rejects obs-fold, bad names, bad values.
bool ParseFields(const uint8_t* data, size_t pos, size_t headLen, std::vector<Header>* out, const char** why) {
  out->clear();
  const size_t end = headLen - 2;  // start of the final CRLF
  while (pos < end) {
    const uint8_t* line = data + pos;
    const uint8_t* eol = static_cast<const uint8_t*>(std::memchr(line, '\r', end - pos + 1));
    if (!eol || eol[1] != '\n') return *why = "bare CR", false;
    size_t lineLen = static_cast<size_t>(eol - line);
    if (line[0] == ' ' || line[0] == '\t') return *why = "obs-fold", false;
    size_t colon = 0;
    while (colon < lineLen && IsTchar(line[colon])) colon++;
    if (colon == 0 || colon >= lineLen || line[colon] != ':') return *why = "bad header name", false;
    size_t v = colon + 1;
    while (v < lineLen && (line[v] == ' ' || line[v] == '\t')) v++;
    size_t ve = lineLen;
    while (ve > v && (line[ve - 1] == ' ' || line[ve - 1] == '\t')) ve--;
    for (size_t i = v; i < ve; i++)
      if (!IsValueChar(line[i])) return *why = "bad header value", false;
    Header h;
    h.name = {static_cast<uint32_t>(pos), static_cast<uint32_t>(colon)};
    h.value = {static_cast<uint32_t>(pos + v), static_cast<uint32_t>(ve - v)};
    out->push_back(h);
    if (out->size() > 200) return *why = "too many headers", false;
    pos += lineLen + 2;
  }
  return true;
}

// Calls fn(token) for each element of a comma-separated list value; empty elements skipped.
template <typename Fn>
void ForEachToken(const uint8_t* base, Span value, Fn fn) {
  uint32_t i = 0;
  while (i < value.len) {
    while (i < value.len && (base[value.off + i] == ',' || base[value.off + i] == ' ' || base[value.off + i] == '\t')) i++;
    uint32_t start = i;
    while (i < value.len && base[value.off + i] != ',') i++;
    uint32_t e = i;
    while (e > start && (base[value.off + e - 1] == ' ' || base[value.off + e - 1] == '\t')) e--;
    if (e > start) fn(Span{value.off + start, e - start});
  }
}

const char* const kHopByHop[] = {"connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "trailer"};

bool IsHopByHop(const uint8_t* base, Span name) {
  for (const char* h : kHopByHop)
    if (SpanIs(base, name, h)) return true;
  return false;
}

// Marks hop-by-hop fields, including those Connection names. Returns false when a Connection
// header names too many fields to track.
bool MarkHop(const uint8_t* base, std::vector<Header>& headers, bool* close, bool* upgrade) {
  Span named[16];
  int count = 0;
  bool ok = true;
  for (Header& h : headers) {
    if (!SpanIs(base, h.name, "connection")) continue;
    ForEachToken(base, h.value, [&](Span t) {
      if (SpanIs(base, t, "close")) *close = true;
      else if (SpanIs(base, t, "upgrade")) *upgrade = true;
      else if (count < 16) named[count++] = t;
      else ok = false;
    });
  }
  for (Header& h : headers) {
    h.hop = IsHopByHop(base, h.name);
    for (int i = 0; i < count && !h.hop; i++) h.hop = SpanEqualsCi(base, h.name, named[i]);
  }
  return ok;
}

}  // namespace

bool SpanIs(const uint8_t* base, Span s, const char* lower) {
  size_t n = std::strlen(lower);
  if (s.len != n) return false;
  for (size_t i = 0; i < n; i++)
    if (Lower(base[s.off + i]) != static_cast<uint8_t>(lower[i])) return false;
  return true;
}

Parse ParseRequest(const uint8_t* data, size_t len, const Limits& limits, RequestHead* out) {
  int64_t end = HeadEnd(data, len < limits.maxHead ? len : limits.maxHead);
  if (end == -2) return out->reason = "bare LF", Parse::kReject;
  if (end < 0) {
    if (len >= limits.maxHead) return out->reason = "head too large", Parse::kReject;
    return Parse::kIncomplete;
  }
  size_t headLen = static_cast<size_t>(end);
  *out = RequestHead{};
  out->headLen = headLen;
  // request-line = method SP request-target SP HTTP-version CRLF (§3)
  size_t p = 0;
  while (p < headLen && IsTchar(data[p])) p++;
  if (p == 0 || data[p] != ' ') return out->reason = "bad method", Parse::kReject;
  out->method = {0, static_cast<uint32_t>(p)};
  size_t t = ++p;
  while (p < headLen && data[p] > 0x20 && data[p] < 0x7f) p++;
  if (p == t || data[p] != ' ') return out->reason = "bad request target", Parse::kReject;
  if (p - t > limits.maxUri) return out->reason = "URI too long", Parse::kReject;
  out->target = {static_cast<uint32_t>(t), static_cast<uint32_t>(p - t)};
  p++;
  if (headLen - p < 10 || std::memcmp(data + p, "HTTP/1.", 7) != 0 || (data[p + 7] != '0' && data[p + 7] != '1') || data[p + 8] != '\r')
    return out->reason = "bad version", Parse::kReject;
  out->minor = data[p + 7] - '0';
  p += 10;
  const char* why = nullptr;
  if (!ParseFields(data, p, headLen, &out->headers, &why)) return out->reason = why, Parse::kReject;

  bool upgrade = false;
  if (!MarkHop(data, out->headers, &out->close, &upgrade)) return out->reason = "Connection names too many fields", Parse::kReject;
  if (upgrade) return out->reason = "upgrade", Parse::kReject;
  int hosts = 0, lengths = 0, encodings = 0;
  for (const Header& h : out->headers) {
    if (SpanIs(data, h.name, "host")) {
      hosts++;
      out->host = h.value;
    } else if (SpanIs(data, h.name, "content-length")) {
      lengths++;
      if (!ParseDecimal(data + h.value.off, h.value.len, &out->contentLength)) return out->reason = "bad Content-Length", Parse::kReject;
    } else if (SpanIs(data, h.name, "transfer-encoding")) {
      encodings++;
      if (!SpanIs(data, h.value, "chunked")) return out->reason = "unsupported Transfer-Encoding", Parse::kReject;
      out->chunked = true;
    } else if (SpanIs(data, h.name, "expect") || SpanIs(data, h.name, "upgrade")) {
      return out->reason = "expect or upgrade", Parse::kReject;
    }
  }
  // Only plain HTTP/1.1 with unambiguous framing stays native (RFC 9112 §6.1, §6.3, §3.2).
  if (out->minor != 1) return out->reason = "HTTP/1.0", Parse::kReject;
  if (hosts != 1) return out->reason = "Host count", Parse::kReject;
  if (lengths > 1 || encodings > 1 || (lengths && encodings)) return out->reason = "ambiguous framing", Parse::kReject;
  if (SpanIs(data, out->method, "connect")) return out->reason = "CONNECT", Parse::kReject;
  out->head = SpanIs(data, out->method, "head");
  return Parse::kOk;
}

Parse ParseResponse(const uint8_t* data, size_t len, size_t maxHead, ResponseHead* out) {
  int64_t end = HeadEnd(data, len < maxHead ? len : maxHead);
  if (end == -2) return out->error = "bare LF", Parse::kReject;
  if (end < 0) {
    if (len >= maxHead) return out->error = "head too large", Parse::kReject;
    return Parse::kIncomplete;
  }
  size_t headLen = static_cast<size_t>(end);
  *out = ResponseHead{};
  out->headLen = headLen;
  // status-line = HTTP-version SP status-code SP [ reason-phrase ] (§4); a missing SP is tolerated.
  if (headLen < 14 || std::memcmp(data, "HTTP/1.", 7) != 0 || (data[7] != '0' && data[7] != '1') || data[8] != ' ')
    return out->error = "bad status line", Parse::kReject;
  out->minor = data[7] - '0';
  int status = 0;
  for (int i = 9; i < 12; i++) {
    if (data[i] < '0' || data[i] > '9') return out->error = "bad status code", Parse::kReject;
    status = status * 10 + (data[i] - '0');
  }
  if (status < 100) return out->error = "bad status code", Parse::kReject;
  out->status = status;
  size_t p = 12;
  if (data[p] == ' ') p++;
  else if (data[p] != '\r') return out->error = "bad status line", Parse::kReject;
  size_t r = p;
  while (p < headLen && data[p] != '\r') {
    if (!IsValueChar(data[p])) return out->error = "bad reason phrase", Parse::kReject;
    p++;
  }
  out->reason = {static_cast<uint32_t>(r), static_cast<uint32_t>(p - r)};
  const char* why = nullptr;
  if (!ParseFields(data, p + 2, headLen, &out->headers, &why)) return out->error = why, Parse::kReject;
  bool upgrade = false;
  if (!MarkHop(data, out->headers, &out->close, &upgrade)) return out->error = "Connection names too many fields", Parse::kReject;
  bool keepAlive10 = false;
  for (const Header& h : out->headers) {
    if (SpanIs(data, h.name, "content-length")) {
      int64_t v;
      if (!ParseDecimal(data + h.value.off, h.value.len, &v)) return out->error = "bad Content-Length", Parse::kReject;
      if (out->contentLength >= 0 && out->contentLength != v) return out->error = "conflicting Content-Length", Parse::kReject;
      out->contentLength = v;
    } else if (SpanIs(data, h.name, "transfer-encoding")) {
      // The final coding decides: chunked, or the body runs until the close (§6.3).
      bool last = false;
      ForEachToken(data, h.value, [&](Span tok) { last = SpanIs(data, tok, "chunked"); });
      out->chunked = last;
      if (!last) out->close = true;
    } else if (SpanIs(data, h.name, "connection")) {
      ForEachToken(data, h.value, [&](Span tok) { keepAlive10 = keepAlive10 || SpanIs(data, tok, "keep-alive"); });
    }
  }
  if (out->chunked) out->contentLength = -1;
  if (out->minor == 0 && !keepAlive10) out->close = true;
  return Parse::kOk;
}

BodyKind ResponseBody(const ResponseHead& r, bool headRequest) {
  if (headRequest || r.status < 200 || r.status == 204 || r.status == 304) return BodyKind::kNone;
  if (r.chunked) return BodyKind::kChunked;
  if (r.contentLength >= 0) return r.contentLength == 0 ? BodyKind::kNone : BodyKind::kLength;
  return BodyKind::kUntilClose;
}

size_t ChunkFramer::Feed(const uint8_t* data, size_t len) {
  size_t i = 0;
  while (i < len && state_ != kDone && state_ != kError) {
    uint8_t c = data[i];
    switch (state_) {
      case kSize: {
        int v = (c >= '0' && c <= '9') ? c - '0' : (Lower(c) >= 'a' && Lower(c) <= 'f') ? Lower(c) - 'a' + 10 : -1;
        if (v >= 0) {
          // 15 hex digits keep the size below 2^60: no overflow, and no body is that large.
          if (++digits_ > 15) return state_ = kError, i;
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(v);
        } else if (digits_ == 0) {
          return state_ = kError, i;
        } else if (c == '\r') {
          state_ = kSizeLf;
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = kExt;
        } else {
          return state_ = kError, i;
        }
        i++;
        break;
      }
      case kExt:
        // chunk-ext (§7.1.1): passed through; only line structure is checked.
        if (c == '\r') state_ = kSizeLf;
        else if (!IsValueChar(c) || ++lineLen_ > 4096) return state_ = kError, i;
        i++;
        break;
      case kSizeLf:
        if (c != '\n') return state_ = kError, i;
        i++;
        lineLen_ = 0;
        digits_ = 0;
        state_ = remaining_ == 0 ? kTrailerStart : kData;
        break;
      case kData: {
        size_t take = len - i < remaining_ ? len - i : static_cast<size_t>(remaining_);
        i += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = kDataCr;
        break;
      }
      case kDataCr:
        if (c != '\r') return state_ = kError, i;
        state_ = kDataLf;
        i++;
        break;
      case kDataLf:
        if (c != '\n') return state_ = kError, i;
        state_ = kSize;
        i++;
        break;
      case kTrailerStart:
        if (c == '\r') state_ = kEndLf;
        else if (c == ' ' || c == '\t' || c == '\n') return state_ = kError, i;
        else state_ = kTrailer, lineLen_ = 1;
        i++;
        break;
      case kTrailer:
        if (c == '\r') state_ = kTrailerLf;
        else if (!IsValueChar(c) || ++lineLen_ > 8192) return state_ = kError, i;
        i++;
        break;
      case kTrailerLf:
        if (c != '\n') return state_ = kError, i;
        state_ = kTrailerStart;
        lineLen_ = 0;
        i++;
        break;
      case kEndLf:
        if (c != '\n') return state_ = kError, i;
        state_ = kDone;
        i++;
        break;
      default:
        return i;
    }
  }
  return i;
}

}  // namespace hakit::lb::http
