// The L4 relay engine: listeners, outgoing connects and zero-copy byte relay (splice(2) through
// a pipe per direction) on worker threads with their own epoll, never on the JS thread.
// Policy (which server, retries, PROXY trust, limits per server) stays in TypeScript: the
// engine reports events (accepted, connected, connect failed, closed...) and executes commands.
// Plain C++ (no N-API) so it can be tested and fuzzed without Node. Internals: relay_internal.h.
// Health-check connect probes live apart, in prober.h.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hakit::lb {

enum class EventType : int {
  kAccepted = 1,       // conn, listener, peer address/port, local address/port
  kConnected = 2,      // conn
  kConnectFailed = 3,  // conn, errno (ETIMEDOUT for the connect timeout)
  kClosed = 4,         // conn, bytes client->server, bytes server->client, reason
  kProxyHeader = 5,    // conn: PROXY header read; text = JSON-ish fields (see napi)
  kProxyFailed = 6,    // conn: bad/missing PROXY header (connection closed)
  kListenerClosed = 7,
};

// Why a relayed connection ended.
enum class CloseReason : int {
  kDone = 0,           // both sides finished (FIN both ways)
  kClientReset = 1,
  kServerReset = 2,
  kClientTimeout = 3,
  kServerTimeout = 4,
  kAborted = 5,        // closed by the program (drain deadline, no server, ...)
  kError = 6,
};

struct Event {
  EventType type;
  uint64_t conn = 0;
  uint32_t listener = 0;
  int64_t a = 0, b = 0;  // accept: peer/local port; closed: bytes up/down; failed: errno
  int code = 0;          // closed: CloseReason
  std::string text;      // accept: peer address; proxy: parsed header
  std::string text2;     // accept: local address
  std::vector<uint8_t> data;  // proxy: TLV bytes etc.
};

struct ListenOptions {
  std::string host;
  int port = 0;
  int backlog = 1024;
  int maxConnections = 0;  // 0 = unlimited; the kernel queue holds the rest
};

struct ConnectOptions {
  std::string host;   // numeric IPv4/IPv6
  int port = 0;
  int connectTimeoutMs = 5000;
  int clientTimeoutMs = 0;  // 0 = none: inactivity on the client side
  int serverTimeoutMs = 0;
  std::vector<uint8_t> preamble;  // written to the server before relayed bytes (PROXY header, replayed bytes)
};

struct EngineStats {
  uint64_t connections;  // currently open (accepted, not closed)
  uint64_t splices;
};

class Worker;

class Engine {
 public:
  using Notify = std::function<void()>;
  // notify() is called (from a worker thread) when the event queue becomes non-empty.
  Engine(int threads, Notify notify);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Returns the listener id and fills the bound port; throws std::runtime_error on failure.
  uint32_t Listen(const ListenOptions& options, int* boundPort);
  void PauseListener(uint32_t id, bool paused);
  void CloseListener(uint32_t id);
  void Connect(uint64_t conn, const ConnectOptions& options);
  // Reads a PROXY header from the client (v1 or v2) within timeoutMs; kProxyHeader/kProxyFailed.
  void ReadProxyHeader(uint64_t conn, int timeoutMs);
  void Close(uint64_t conn);
  void Shutdown();
  std::vector<Event> TakeEvents();
  uint64_t OpenConnections() const { return open_.load(); }

  // Internal: used by workers.
  void Post(Event&& event);
  std::atomic<uint64_t> open_{0};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<uint64_t> acceptCounter_{0};

 private:
  Notify notify_;
  std::mutex eventsMutex_;
  std::vector<Event> events_;
  std::atomic<uint32_t> nextListener_{1};
  bool shutdown_ = false;
};

}  // namespace hakit::lb
