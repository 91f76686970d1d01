// The native L7 request path: accepts on a frontend's bind, parses request heads, asks the
// TypeScript policy for ONE decision per request (a synchronous call), forwards over pooled
// keep-alive server connections and streams bodies both ways, all on Node's own libuv loop.
// Anything it does not handle is handed to the JS path with the bytes already read.
#pragma once
#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "lb/http/http_parse.h"

namespace hakit::lb::http {

struct Timeouts {
  uint32_t httpRequest = 10000, keepAlive = 10000, client = 30000, server = 30000, connect = 5000;
};

// Termination codes sent to JS with each completed request (HAProxy's two-letter states there).
enum Term : int { kTermOk = 0, kTermSH = 1, kTermsH = 2, kTermSD = 3, kTermsD = 4, kTermCD = 5, kTermCR = 6, kTermcR = 7, kTermConnectFailed = 8, kTermcD = 9, kTermSC = 10, kTermPR = 11 };

// What the policy decided for one request.
struct Decision {
  enum Kind { kFallback, kForward } kind = kFallback;
  int slot = -1;
  bool replaceHeaders = false;
  std::string headers;    // "Name: value\r\n"... replacing the request's own (already end-to-end)
  std::string setCookie;  // full lines added to the response head
  bool nocache = false;   // add Cache-Control: private when the response has none
};

class Engine;

struct Listener {
  int id = 0;
  int fd = -1;
  uv_poll_t* poll = nullptr;
  Timeouts t;
  Limits limits;
  std::string err400, err408, err502, err503, err504;
  int maxconn = 1 << 30;
  int conns = 0;
  bool paused = false;
};

struct Slot {
  sockaddr_storage addr{};
  socklen_t len = 0;
  uint32_t connectMs = 5000, serverMs = 30000;  // the backend's timeout connect / server
  std::vector<struct ServerConn*> idle;
};

// Bytes read and not yet consumed; grows without zero-filling (reads land in place).
class ByteBuf {
 public:
  ByteBuf() = default;
  ByteBuf(const ByteBuf&) = delete;
  ByteBuf& operator=(const ByteBuf&) = delete;
  ~ByteBuf() { std::free(p_); }
  uint8_t* Reserve(size_t want);  // room for `want` bytes at the end
  void Commit(size_t n) { end_ += n; }
  const uint8_t* data() const { return p_ + start_; }
  size_t size() const { return end_ - start_; }
  void Consume(size_t n) {
    start_ += n;
    if (start_ >= end_) start_ = end_ = 0;
  }

 private:
  uint8_t* p_ = nullptr;
  size_t cap_ = 0, start_ = 0, end_ = 0;
};

struct Conn {
  Engine* engine = nullptr;
  int fd = -1;
  uv_poll_t poll{};
  int events = 0;
  bool isClient = false;
  bool closing = false;
  ByteBuf in;
  std::string out;  // bytes to write, from outOff
  size_t outOff = 0;
  size_t pending() const { return out.size() - outOff; }
};

struct ClientConn;

struct ServerConn : Conn {
  int slot = -1;
  ClientConn* client = nullptr;
  bool connecting = false;
  bool reused = false;
  uint64_t deadline = 0;
};

struct ClientConn : Conn {
  enum State { kHead, kConnecting, kForward, kHandoff, kDrain } state = kHead;
  Listener* listener = nullptr;
  std::string peer;
  bool first = true;      // no request completed yet on this connection
  bool closeAfter = false;
  bool eof = false;       // client shut its side down
  bool readPaused = false;
  uint64_t deadline = 0;
  ClientConn* prev = nullptr;
  ClientConn* next = nullptr;
  // The request in progress.
  RequestHead req;
  double reqId = 0;
  bool inFlight = false;  // a decision was made and its completion record is still owed
  int slot = -1;
  bool serverReusable = true;
  ServerConn* server = nullptr;
  std::string head;  // rewritten request head, kept for one replay on a stale pooled connection
  bool replayed = false;
  bool bodySent = false;  // some request body already went to the server
  int64_t reqLeft = 0;
  bool reqChunked = false;
  ChunkFramer reqFramer;
  bool reqDone = false;
  bool respHeadDone = false;
  ResponseHead resp;
  BodyKind respKind = BodyKind::kNone;
  int64_t respLeft = 0;
  ChunkFramer respFramer;
  std::string setCookie;
  bool nocache = false;
  int status = 0;
  double bytesIn = 0, bytesOut = 0;
  uint64_t tIdle = 0, tHead = 0, tConnect = 0, tSent = 0, tResp = 0;
  int tc = -1, tr = -1;
};

// Callbacks into the binding (JS), all on the loop thread.
class EngineHost {
 public:
  virtual ~EngineHost() = default;
  virtual Decision Decide(ClientConn* c) = 0;
  virtual void Handoff(int fd, const uint8_t* data, size_t len, int listener) = 0;
  virtual void Flush(const std::vector<double>& records) = 0;
};

class Engine {
 public:
  Engine(uv_loop_t* loop, EngineHost* host);
  ~Engine();
  void Shutdown();

  // Returns the bound port, or -errno.
  int Listen(int id, const std::string& host, int port, int backlog, bool reusePort, const Listener& params);
  void Configure(int id, const Listener& params);
  void CloseListener(int id);
  int AddSlot(const std::string& host, int port, uint32_t connectMs, uint32_t serverMs);  // -1: not a numeric address
  size_t Connections() const { return clients_; }
  bool down() const { return down_; }
  const ClientConn* deciding() const { return deciding_; }

  // Used by the connection code (engine_napi.cc, exchange_napi.cc).
  static uint64_t Now();
  void Poll(Conn* c, int events);
  void CloseConn(Conn* c);
  void CloseClient(ClientConn* c);
  void OnClient(ClientConn* c, int events);
  void OnServer(ServerConn* s, int events);
  void Respond(ClientConn* c, const std::string& bytes, int status, int term);
  void Record(ClientConn* c, int term);
  void FinishExchange(ClientConn* c, int term, bool serverReusable);
  void Handoff(ClientConn* c);
  void Tick();
  bool FlushOut(Conn* c);  // false when the connection failed
  void UpdateClientPoll(ClientConn* c);
  void AttachServer(ClientConn* c);
  void ServerFailed(ClientConn* c, bool timeout);
  void PumpRequest(ClientConn* c);
  void PumpResponse(ClientConn* c);
  bool ReadInto(Conn* c, size_t cap, bool* eof);
  void Accept(Listener* l);

  std::vector<Listener*> listeners;
  std::vector<Slot> slots;
  std::vector<double> records;
  EngineHost* host;
  uv_loop_t* loop;

 private:
  void TryHead(ClientConn* c);
  void SendHead(ClientConn* c);
  void ConnectFailed(ClientConn* c);
  void Sync(ClientConn* c);
  std::vector<Listener*> closed_;
  double serial_ = 0;
  uv_timer_t* timer_ = nullptr;
  uv_check_t* check_ = nullptr;
  ClientConn* head_ = nullptr;  // list of live clients, for timeouts
  size_t clients_ = 0;
  const ClientConn* deciding_ = nullptr;
  bool down_ = false;
  friend struct EngineAccess;
};

}  // namespace hakit::lb::http
