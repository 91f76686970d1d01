// Internals of the relay engine shared by its files (not part of the engine's API):
//   relay_engine.cc   Engine: listen, command routing to workers, the event queue
//   relay_worker.cc   Worker: thread, epoll loop, command queue, timeouts sweep, close + counters
//   relay_accept.cc   listeners (arm/pause/limits), accept, PROXY header reading
//   relay_connect.cc  outgoing connect, connect failure, start of the relay
//   relay_pump.cc     the splice(2) pump through a pipe per direction, half-close
#pragma once
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lb/relay.h"

namespace hakit::lb {

int64_t NowMs();
// Fills an address from a numeric host; returns the length or 0.
socklen_t MakeAddress(const std::string& host, int port, sockaddr_storage* out);
void AddressText(const sockaddr_storage& a, std::string* host, int64_t* port);

enum class FdKind { kWake, kListener, kClient, kServer };

// What epoll hands back: which kind of fd, and the object that owns it.
struct FdRef {
  FdKind kind;
  void* owner;
};

struct Listener {
  uint32_t id = 0;
  int fd = -1;
  int max = 0;
  std::atomic<int> current{0};
  bool paused = false;  // by the program
  bool full = false;    // at max connections
  bool armed = false;
  bool registered = false;
  FdRef ref{FdKind::kListener, nullptr};
};

// One direction of a relayed connection: src -> pipe -> dst.
struct Direction {
  int src = -1, dst = -1;
  int pipeRead = -1, pipeWrite = -1;
  size_t inPipe = 0;
  bool eof = false;
  bool shut = false;
  uint64_t bytes = 0;
  std::vector<uint8_t> pending;  // written before the piped bytes (PROXY header, replayed bytes)
  size_t pendingOffset = 0;
};

enum class Phase { kWaiting, kProxyRead, kConnecting, kRelaying };

struct Conn {
  uint64_t id = 0;
  std::shared_ptr<Listener> listener;
  int client = -1, server = -1;
  FdRef clientRef{FdKind::kClient, nullptr}, serverRef{FdKind::kServer, nullptr};
  Phase phase = Phase::kWaiting;
  Direction up, down;  // client->server, server->client
  int64_t deadline = 0;  // connect or PROXY header deadline
  int clientTimeoutMs = 0, serverTimeoutMs = 0;
  int64_t lastClient = 0, lastServer = 0;
  std::vector<uint8_t> preamble;
  bool dead = false;
};

class Worker {
 public:
  Worker(Engine* engine, int index);
  ~Worker();
  void Stop();
  // Runs `command` on this worker's thread (thread-safe).
  void Submit(std::function<void()> command);
  uint64_t NextId() { return (nextSeq_.fetch_add(1) << 8) | static_cast<uint64_t>(index_); }

  // Commands (run on this worker's thread).
  void AddListener(std::shared_ptr<Listener> l);                        // relay_accept.cc
  void PauseListener(uint32_t id, bool paused);                         // relay_accept.cc
  void CloseListener(uint32_t id);                                      // relay_accept.cc
  void RecheckListeners();                                              // relay_accept.cc
  void Adopt(uint64_t id, int fd, std::shared_ptr<Listener> listener);  // relay_accept.cc
  void ReadProxy(uint64_t id, int timeoutMs);                           // relay_accept.cc
  void Connect(uint64_t id, const ConnectOptions& o);                   // relay_connect.cc
  void CloseConn(uint64_t id);                                          // relay_worker.cc

 private:
  Conn* Find(uint64_t id);
  void Run();
  void RunCommands();
  void Sweep(int64_t now);
  void CloseFds(Conn* c);
  void Finish(Conn* c, CloseReason reason);

  void Arm(Listener* l);
  void Accept(Listener* l);
  void TryProxyHeader(Conn* c);
  void ProxyFailed(Conn* c, const std::string& why);

  void OnConnEvent(Conn* c, FdKind side, uint32_t ev);
  void Fail(Conn* c, int err);
  void FinishConnect(Conn* c);
  void AbandonServer(Conn* c);
  void StartRelay(Conn* c);

  bool TakePipe(int* r, int* w);
  void GivePipe(Direction& d);
  int PumpDirection(Direction& d, bool* progress, bool* srcActive, bool* dstActive);
  void Pump(Conn* c);

  Engine* engine_;
  int index_;
  int epoll_ = -1;
  int wake_ = -1;
  FdRef wakeRef_{FdKind::kWake, nullptr};
  std::thread thread_;
  bool running_ = true;
  std::mutex mutex_;
  std::vector<std::function<void()>> commands_;
  std::unordered_map<uint64_t, Conn*> conns_;
  std::unordered_map<uint32_t, std::shared_ptr<Listener>> listeners_;
  std::vector<Conn*> graveyard_;
  std::vector<std::pair<int, int>> spare_;  // idle pipes kept for reuse
  std::atomic<uint64_t> nextSeq_{1};
};

}  // namespace hakit::lb
