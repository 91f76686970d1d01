// One request/response exchange of the native L7 path: head → decision → server connection
// (pooled or new) → request body → response head (rewritten) → response body → next request.
// Hop-by-hop fields are dropped both ways (RFC 9110 §7.6.1); framing follows RFC 9112 §6.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cstring>

#include "lb/http/engine.h"

namespace hakit::lb::http {
namespace {

constexpr size_t kHighWater = 256 * 1024;  // buffered bytes before the reading side pauses

void AppendSpan(std::string* out, const uint8_t* base, Span s) { out->append(reinterpret_cast<const char*>(base + s.off), s.len); }

void AppendFields(std::string* out, const uint8_t* base, const std::vector<Header>& headers) {
  for (const Header& h : headers) {
    if (h.hop) continue;
    AppendSpan(out, base, h.name);
    out->append(": ", 2);
    AppendSpan(out, base, h.value);
    out->append("\r\n", 2);
  }
}

int Ms(uint64_t fromUs, uint64_t toUs) { return toUs > fromUs ? static_cast<int>((toUs - fromUs + 500) / 1000) : 0; }

}  // namespace

void Engine::Record(ClientConn* c, int term) {
  if (!c->inFlight && term != kTermcR) return;
  c->inFlight = false;
  uint64_t now = Now();
  int tq = Ms(c->tIdle, c->tHead ? c->tHead : now);
  double rec[10] = {c->reqId, static_cast<double>(c->listener->id), static_cast<double>(c->status), c->bytesIn, c->bytesOut,
                    static_cast<double>(tq), static_cast<double>(c->tc), static_cast<double>(c->tr),
                    static_cast<double>(Ms(c->tHead ? c->tHead : now, now) + tq), static_cast<double>(term)};
  records.insert(records.end(), rec, rec + 10);
}

void Engine::OnClient(ClientConn* c, int events) {
  if (events & UV_WRITABLE) {
    if (!FlushOut(c)) return CloseClient(c);
    if (c->state == ClientConn::kForward) {
      // A slow reader is the client's timeout, not the server's: the server waits on us.
      uint64_t now = Now();
      if (c->pending()) c->deadline = now + static_cast<uint64_t>(c->listener->t.client) * 1000;
      else if (c->reqDone) c->deadline = 0;
      if (c->server) c->server->deadline = now + static_cast<uint64_t>(slots[c->slot].serverMs) * 1000;
    }
    if (c->pending() == 0) {
      if (c->state == ClientConn::kHandoff) {
        c->state = ClientConn::kHead;
        return Handoff(c);
      }
      if (c->state == ClientConn::kDrain) return CloseClient(c);
    }
  }
  if (events & UV_READABLE) {
    bool eof = false;
    size_t cap = c->state == ClientConn::kHead ? c->listener->limits.maxHead + 1 : kHighWater;
    if (!ReadInto(c, cap, &eof)) return CloseClient(c);
    if (eof) c->eof = true;
    if (c->state == ClientConn::kHead) return TryHead(c);
    if (c->state == ClientConn::kForward && !c->reqDone) {
      PumpRequest(c);
      if (c->closing) return;
    }
    // The client shut its side during the exchange. As on the JS path (Node's http server):
    // a request sent whole still gets its answer (half-close), but once the response has
    // started, or while the body can no longer arrive, the exchange is aborted (CD / CR) and
    // the server connection freed.
    // (While connecting, the body still waits in the buffer: SendHead judges after pumping it.)
    if (c->eof && c->state == ClientConn::kForward && (c->respHeadDone || !c->reqDone)) {
      Record(c, c->respHeadDone ? kTermCD : kTermCR);
      return CloseClient(c);
    }
  }
  Sync(c);
}

void Engine::Sync(ClientConn* c) {
  if (c->closing) return;
  int ev = c->pending() ? UV_WRITABLE : 0;
  bool read = !c->eof && c->state != ClientConn::kDrain && c->state != ClientConn::kHandoff;
  size_t cap = c->state == ClientConn::kHead ? c->listener->limits.maxHead + 1 : kHighWater;
  if (c->in.size() >= cap) read = false;
  ServerConn* s = c->server;
  if (s && !s->closing && c->state == ClientConn::kForward && !c->reqDone && s->pending() > kHighWater) read = false;
  if (read) ev |= UV_READABLE;
  Poll(c, ev);
  if (s && !s->closing) {
    int sev = s->connecting || s->pending() ? UV_WRITABLE : 0;
    if (!s->connecting && c->pending() <= kHighWater) sev |= UV_READABLE;
    Poll(s, sev);
  }
}

void Engine::TryHead(ClientConn* c) {
  if (c->in.size() == 0) {
    if (c->eof) return CloseClient(c);
    return Sync(c);
  }
  Parse r = ParseRequest(c->in.data(), c->in.size(), c->listener->limits, &c->req);
  if (r == Parse::kIncomplete) {
    if (c->eof) return CloseClient(c);
    return Sync(c);
  }
  if (r == Parse::kReject) return Handoff(c);
  c->tHead = Now();
  c->reqId = ++serial_;
  c->status = 0;
  c->bytesIn = static_cast<double>(c->req.headLen);
  c->bytesOut = 0;
  c->tc = c->tr = -1;
  deciding_ = c;
  Decision d = host->Decide(c);
  deciding_ = nullptr;
  if (c->closing) return;
  if (d.kind != Decision::kForward || d.slot < 0 || static_cast<size_t>(d.slot) >= slots.size()) return Handoff(c);
  c->inFlight = true;
  c->slot = d.slot;
  c->setCookie = std::move(d.setCookie);
  c->nocache = d.nocache;
  const uint8_t* base = c->in.data();
  std::string& head = c->head;
  head.clear();
  AppendSpan(&head, base, c->req.method);
  head += ' ';
  AppendSpan(&head, base, c->req.target);
  head.append(" HTTP/1.1\r\n");
  if (d.replaceHeaders) head += d.headers;
  else AppendFields(&head, base, c->req.headers);
  if (c->req.chunked) head.append("Transfer-Encoding: chunked\r\n");
  head.append("\r\n");
  c->reqChunked = c->req.chunked;
  c->reqLeft = c->req.chunked ? 0 : c->req.contentLength;
  c->reqFramer.Reset();
  c->reqDone = !c->req.chunked && c->req.contentLength == 0;
  c->closeAfter = c->req.close;
  c->replayed = false;
  c->bodySent = false;
  c->respHeadDone = false;
  c->serverReusable = true;
  AttachServer(c);
}

void Engine::AttachServer(ClientConn* c) {
  Slot& slot = slots[c->slot];
  ServerConn* s = nullptr;
  while (!slot.idle.empty() && !s) {
    s = slot.idle.back();
    slot.idle.pop_back();
    if (s->closing) s = nullptr;
  }
  if (s) {
    s->reused = true;
  } else {
    int fd = socket(slot.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return ConnectFailed(c);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    s = new ServerConn;
    s->engine = this;
    s->fd = fd;
    s->slot = c->slot;
    uv_poll_init(loop, &s->poll, fd);
    s->poll.data = s;
    c->tConnect = Now();
    s->deadline = c->tConnect + static_cast<uint64_t>(slot.connectMs) * 1000;
    s->client = c;
    c->server = s;
    if (connect(fd, reinterpret_cast<sockaddr*>(&slot.addr), slot.len) < 0 && errno != EINPROGRESS) return ConnectFailed(c);
    s->connecting = true;
    c->state = ClientConn::kConnecting;
    return Sync(c);
  }
  s->client = c;
  c->server = s;
  c->tc = 0;
  SendHead(c);
}

// Nothing reached the server: the JS path redoes the request (its retries, redispatch, 503).
void Engine::ConnectFailed(ClientConn* c) {
  if (c->server) CloseConn(c->server);
  c->server = nullptr;
  if (c->state == ClientConn::kForward) {
    // A replay after a stale pooled connection: the head is no longer in the buffer.
    c->status = 503;
    Respond(c, c->listener->err503, 503, kTermSC);
    return;
  }
  c->status = 503;
  Record(c, kTermConnectFailed);
  c->state = ClientConn::kHead;
  Handoff(c);
}

void Engine::SendHead(ClientConn* c) {
  ServerConn* s = c->server;
  uint64_t now = Now();
  if (c->state == ClientConn::kConnecting) c->tc = Ms(c->tConnect, now);
  if (c->state != ClientConn::kForward) c->in.Consume(c->req.headLen);  // a replay already did
  c->state = ClientConn::kForward;
  c->tSent = now;
  // timeout client runs only while a request body is awaited (PumpRequest re-arms it).
  c->deadline = c->reqDone ? 0 : now + static_cast<uint64_t>(c->listener->t.client) * 1000;
  s->out.append(c->head);
  s->deadline = now + static_cast<uint64_t>(slots[c->slot].serverMs) * 1000;
  PumpRequest(c);
  if (c->closing) return;
  if (c->eof && !c->reqDone) {
    Record(c, kTermCR);  // the client shut its side before sending the whole body
    return CloseClient(c);
  }
  if (!FlushOut(s)) return ServerFailed(c, false);
  Sync(c);
}

void Engine::PumpRequest(ClientConn* c) {
  ServerConn* s = c->server;
  if (!s || s->connecting || c->reqDone || c->state != ClientConn::kForward) return;
  size_t n = c->in.size();
  if (n > 0) {
    size_t take;
    if (c->reqChunked) {
      take = c->reqFramer.Feed(c->in.data(), n);
      if (c->reqFramer.failed()) {
        // A bad chunk size (RFC 9112 §7.1): HAProxy's 400, and the connection closes.
        if (c->respHeadDone) return CloseClient(c);
        return Respond(c, c->listener->err400, 400, kTermPR);
      }
      c->reqDone = c->reqFramer.done();
    } else {
      take = n < static_cast<uint64_t>(c->reqLeft) ? n : static_cast<size_t>(c->reqLeft);
      c->reqLeft -= static_cast<int64_t>(take);
      c->reqDone = c->reqLeft == 0;
    }
    s->out.append(reinterpret_cast<const char*>(c->in.data()), take);
    c->in.Consume(take);
    c->bytesIn += static_cast<double>(take);
    c->bodySent = true;
  }
  uint64_t now = Now();
  c->deadline = c->reqDone ? 0 : now + static_cast<uint64_t>(c->listener->t.client) * 1000;
  if (n > 0) s->deadline = now + static_cast<uint64_t>(slots[c->slot].serverMs) * 1000;  // the server is taking data
}

void Engine::OnServer(ServerConn* s, int events) {
  ClientConn* c = s->client;
  if (!c) return CloseConn(s);  // idle in the pool: the server closed it (or sent stray bytes)
  if (s->connecting) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err != 0) return ConnectFailed(c);
    if (!(events & UV_WRITABLE)) return;
    s->connecting = false;
    return SendHead(c);
  }
  if (events & UV_WRITABLE) {
    if (!FlushOut(s)) return ServerFailed(c, false);
    if (s->pending() == 0 && !c->reqDone) PumpRequest(c), void();
    if (c->closing) return;
    if (s->pending() && !FlushOut(s)) return ServerFailed(c, false);
  }
  if (events & UV_READABLE) {
    bool eof = false;
    if (!ReadInto(s, kHighWater, &eof)) return ServerFailed(c, false);
    if (s->in.size()) {
      s->deadline = Now() + static_cast<uint64_t>(slots[c->slot].serverMs) * 1000;
      PumpResponse(c);
      if (c->closing || c->server != s) return;
    }
    if (eof) {
      if (c->respHeadDone && c->respKind == BodyKind::kUntilClose) {
        c->serverReusable = false;
        return FinishExchange(c, kTermOk, false);
      }
      // Reset before any response byte on a reused connection: it went stale while idle.
      if (!c->respHeadDone && s->in.size() == 0 && s->reused && !c->replayed && c->req.contentLength == 0 && !c->req.chunked) {
        c->replayed = true;
        CloseConn(s);
        c->server = nullptr;
        return AttachServer(c);
      }
      return ServerFailed(c, false);
    }
  }
  Sync(c);
}

void Engine::PumpResponse(ClientConn* c) {
  ServerConn* s = c->server;
  while (!c->respHeadDone) {
    Parse r = ParseResponse(s->in.data(), s->in.size(), c->listener->limits.maxHead, &c->resp);
    if (r == Parse::kIncomplete) return;
    if (r == Parse::kReject || c->resp.status == 101 || c->resp.status > 999) return ServerFailed(c, false);
    const uint8_t* base = s->in.data();
    std::string& out = c->out;
    out.append("HTTP/1.1 ");
    out.append(std::to_string(c->resp.status));
    out += ' ';
    AppendSpan(&out, base, c->resp.reason);
    out.append("\r\n");
    AppendFields(&out, base, c->resp.headers);
    if (c->resp.status < 200) {
      // Interim responses (103, a 100 the server sends anyway) pass through; the final follows.
      out.append("\r\n");
      s->in.Consume(c->resp.headLen);
      continue;
    }
    c->tr = Ms(c->tSent, Now());
    c->status = c->resp.status;
    c->respKind = ResponseBody(c->resp, c->req.head);
    c->respLeft = c->resp.contentLength;
    c->respFramer.Reset();
    if (c->resp.chunked && c->respKind == BodyKind::kChunked) out.append("Transfer-Encoding: chunked\r\n");
    else if (c->respKind == BodyKind::kUntilClose) {
      // Pass a non-chunked transfer coding on as it came; the client reads until our close.
      for (const Header& h : c->resp.headers)
        if (SpanIs(base, h.name, "transfer-encoding")) {
          out.append("Transfer-Encoding: ");
          AppendSpan(&out, base, h.value);
          out.append("\r\n");
        }
      c->closeAfter = true;
    }
    if (c->resp.close) c->serverReusable = false;
    if (!c->setCookie.empty()) {
      out += c->setCookie;
      bool hasCacheControl = false;
      for (const Header& h : c->resp.headers) hasCacheControl = hasCacheControl || SpanIs(base, h.name, "cache-control");
      if (c->nocache && !hasCacheControl) out.append("Cache-Control: private\r\n");
    }
    if (c->closeAfter) out.append("Connection: close\r\n");
    out.append("\r\n");
    s->in.Consume(c->resp.headLen);
    c->respHeadDone = true;
  }
  bool done = false;
  size_t n = s->in.size();
  size_t take = 0;
  switch (c->respKind) {
    case BodyKind::kNone:
      done = true;
      break;
    case BodyKind::kLength:
      take = n < static_cast<uint64_t>(c->respLeft) ? n : static_cast<size_t>(c->respLeft);
      c->respLeft -= static_cast<int64_t>(take);
      done = c->respLeft == 0;
      break;
    case BodyKind::kChunked:
      take = c->respFramer.Feed(s->in.data(), n);
      if (c->respFramer.failed()) {
        c->out.append(reinterpret_cast<const char*>(s->in.data()), take);
        FlushOut(c);
        return ServerFailed(c, false);
      }
      done = c->respFramer.done();
      break;
    case BodyKind::kUntilClose:
      take = n;
      break;
  }
  c->out.append(reinterpret_cast<const char*>(s->in.data()), take);
  s->in.Consume(take);
  c->bytesOut += static_cast<double>(take);
  if (!FlushOut(c)) return CloseClient(c);
  if (c->pending() && !c->deadline) c->deadline = Now() + static_cast<uint64_t>(c->listener->t.client) * 1000;
  if (done) {
    // Stray bytes after the response mean the server cannot be trusted with the next request.
    bool reusable = c->serverReusable && c->reqDone && s->in.size() == 0;
    FinishExchange(c, kTermOk, reusable);
  }
}

void Engine::FinishExchange(ClientConn* c, int term, bool serverReusable) {
  Record(c, term);
  ServerConn* s = c->server;
  c->server = nullptr;
  if (s) {
    s->client = nullptr;
    if (serverReusable) {
      // Idle pooled connections are closed after timeout server (Tick), like a pool purge.
      s->deadline = Now() + static_cast<uint64_t>(slots[s->slot].serverMs) * 1000;
      slots[s->slot].idle.push_back(s);
      Poll(s, UV_READABLE);
    } else {
      CloseConn(s);
    }
  }
  // A response that ended before its request body: the rest of the body cannot be resynced.
  if (!c->reqDone) c->closeAfter = true;
  c->first = false;
  c->tIdle = Now();
  c->tHead = 0;
  c->deadline = c->tIdle + static_cast<uint64_t>(c->listener->t.keepAlive) * 1000;
  if (c->closeAfter || (c->eof && c->in.size() == 0)) {
    c->state = ClientConn::kDrain;
    if (c->pending() == 0) return CloseClient(c);
    return Sync(c);
  }
  c->state = ClientConn::kHead;
  TryHead(c);  // a pipelined request may already be buffered
}

// An error response of ours (502, 503, 504, 400). The client connection stays open when the
// request was read whole and the client wants more; else the answer says close, and we do.
void Engine::Respond(ClientConn* c, const std::string& bytes, int status, int term) {
  c->status = status;
  Record(c, term);
  if (c->server) CloseConn(c->server);
  c->server = nullptr;
  bool keep = c->reqDone && !c->closeAfter && !c->eof && status != 400;
  size_t line = bytes.find("\r\n");
  if (!keep && line != std::string::npos && bytes.find("onnection: close\r\n") == std::string::npos) {
    c->out.append(bytes, 0, line + 2);
    c->out.append("connection: close\r\n");
    c->out.append(bytes, line + 2, std::string::npos);
  } else {
    c->out.append(bytes);
  }
  if (!FlushOut(c)) return CloseClient(c);
  if (keep) {
    c->first = false;
    c->tIdle = Now();
    c->tHead = 0;
    c->deadline = c->tIdle + static_cast<uint64_t>(c->listener->t.keepAlive) * 1000;
    c->state = ClientConn::kHead;
    return TryHead(c);
  }
  c->state = ClientConn::kDrain;
  if (c->pending() == 0) return CloseClient(c);
  Sync(c);
}

void Engine::ServerFailed(ClientConn* c, bool timeout) {
  if (c->state == ClientConn::kConnecting) return ConnectFailed(c);
  if (c->respHeadDone) {
    // Part of the response is already with the client: all we can do is cut the connection.
    Record(c, timeout ? kTermsD : kTermSD);
    FlushOut(c);
    return CloseClient(c);
  }
  if (timeout) return Respond(c, c->listener->err504, 504, kTermsH);
  Respond(c, c->listener->err502, 502, kTermSH);
}

}  // namespace hakit::lb::http
