// One replicated volume's data path: the backing file, the metadata areas the data path owns
// (dirty bitmap, activity log) and the TCP link to the peer, all driven by one I/O thread so
// that local writes, shipped writes and resync reads are ordered the same way on both nodes.
// Policy (roles, generation identifiers, split-brain decisions) lives in TypeScript; this class
// does what it is told and reports what happened as events. No N-API here (the fuzzer links it).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "drbd/codec.h"
#include "drbd/send_queue.h"

namespace hakit::drbd {

// Bytes whose resize() does not zero-fill: the receive buffer grows by 256 KiB before every
// recv(), which then overwrites what it uses.
template <typename T>
struct NoInit : std::allocator<T> {
  template <typename U> struct rebind { using other = NoInit<U>; };
  NoInit() = default;
  template <typename U> NoInit(const NoInit<U>&) {}
  template <typename U> void construct(U* p) noexcept { ::new (static_cast<void*>(p)) U; }
  template <typename U, typename... A> void construct(U* p, A&&... a) { ::new (static_cast<void*>(p)) U(std::forward<A>(a)...); }
};
using RawBytes = std::vector<uint8_t, NoInit<uint8_t>>;

struct EngineConfig {
  std::string diskPath;  // empty: diskless
  std::string metaPath;  // file holding bitmap + activity log (the disk itself for internal meta)
  bool direct = false, dsync = false;
  uint64_t dataSize = 0;
  uint64_t bitmapOffset = 0, alOffset = 0;
  uint32_t alExtents = 257;
  char protocol = 'C';
  std::string secret;  // cram-hmac-alg hmac(sha256) shared-secret; empty: no authentication
  bool dataDigest = false;
  std::string csumsAlg, verifyAlg;  // "", "crc32c" or "sha256"
  uint32_t pingIntMs = 10000, pingTimeoutMs = 500, timeoutMs = 6000, connectIntMs = 10000, koCount = 7;
  uint32_t maxBuffers = 8u << 20;  // bytes of shipped-but-unsent data before writers wait
  uint64_t resyncRate = 0;         // bytes/s, 0 = unlimited
  bool fencing = false;            // resource-and-stonith: freeze I/O when a Primary loses the peer
  std::string listenHost, peerHost;
  int listenPort = 0, peerPort = 0;
  bool dialer = false;
};

struct Event {
  std::string kind;
  uint64_t id = 0;
  int32_t status = 0;
  double a = 0, b = 0;
  std::string text;
  std::vector<uint8_t> data;
};

enum class Op : uint8_t { Write = 1, Read = 2, Flush = 3, Trim = 4, Control = 5 };

struct Command {
  Op op;
  uint64_t id = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string name;
  std::vector<uint8_t> data;
  // A write's bytes still owned by the caller (JS keeps them pinned until the completion is
  // delivered, and every use here comes before the completion); null: they are in `data`.
  const uint8_t* borrowed = nullptr;
  const uint8_t* Bytes() const { return borrowed ? borrowed : data.data(); }
};

class Engine {
 public:
  using Sink = std::function<void(Event&&)>;
  Engine(EngineConfig config, Sink sink);
  ~Engine();
  // Opens files and sockets; throws std::runtime_error with a message on failure.
  void Start();
  void Submit(Command&& command);
  void Stop();
  int ListenPort() const { return listenPort_.load(); }
  uint64_t DirtyBlocks() const { return dirtyBits_.load(); }
  uint64_t TotalBlocks() const { return totalBits_; }
  uint64_t AlReplayed() const { return alReplayed_; }
  uint64_t SentBytes() const { return sentTotal_.load(); }

  // Exposed for the fuzzer: feeds raw received bytes through the receive path of a link that
  // is in the handshake phase (nothing may be written by anything it sends).
  void FeedForTest(const uint8_t* data, size_t length);

 private:
  enum class Phase { None, Connecting, Handshake, Authed, Established };
  struct Pending {
    uint64_t id, seq;
    uint32_t epoch;
    uint64_t offset, length;
    uint64_t sendEnd;
    bool wantRecv, wantWrite, flush, read;
    int64_t startMs;
  };
  struct TlEntry { uint64_t seq; uint32_t epoch; uint64_t offset, length; };

  void Run();
  void Emit(Event&& event) { sink_(std::move(event)); }
  void Complete(uint64_t id, int32_t status, std::vector<uint8_t> data = {});
  int64_t NowMs() const;

  // Link.
  void OpenListener();
  void Accept();
  void StartDial();
  void OnSocketReady();
  void Drop(const std::string& state, const std::string& reason);
  void ReadSocket();
  void FlushOut();
  void SendSome();
  void HandlePacket(const Packet& packet);
  void HandleAuth(const Packet& packet);
  void SendChallenge();
  void Send(PacketType type, const std::vector<uint8_t>& payload = {}, uint16_t flags = 0);
  void SendRaw(PacketType type, std::initializer_list<std::pair<const uint8_t*, size_t>> parts, uint16_t flags = 0);
  // Like SendRaw, with `external` bytes sent from where they are (kept valid until sent).
  void SendWithExternal(PacketType type, const uint8_t* head, size_t headLength, const uint8_t* external, size_t length);
  uint64_t Unsent() const { return queuedTotal_ - sentTotal_.load(); }
  void ClearOut();
  void Timers();

  // Commands.
  void DrainCommands();
  bool ProcessCommand(Command& command);
  void Control(Command& command);
  void DoWrite(Command& command);
  void DoRead(Command& command);
  void DoFlush(Command& command);
  void CloseEpoch();
  uint32_t SendBarrier(bool flush);
  bool NoCommandsQueued();
  void CompleteSent();
  void Establish(const std::string& mode);

  // Secondary / resync / verify.
  void OnData(const Packet& packet);
  void OnAck(const Packet& packet);
  void SyncAndAck();
  void SyncerLoop();
  void StopSyncer();
  void ResyncStep();
  void OnRsRequest(const Packet& packet, bool csums);
  void OnRsData(const Packet& packet, bool inSync);
  void ResyncFinished();
  void VerifyStep();
  void OnOvRequest(const Packet& packet);
  void OnOvReply(const Packet& packet);
  void SendBitmap();
  void Digests(const uint8_t* data, uint64_t length, const std::string& alg, std::vector<uint8_t>& out) const;
  uint32_t DigestSize(const std::string& alg) const;

  // Disk and metadata.
  bool DiskWrite(const uint8_t* data, uint64_t offset, uint64_t length);
  bool DiskRead(uint8_t* data, uint64_t offset, uint64_t length);
  bool DiskTrim(uint64_t offset, uint64_t length);
  void DiskSync();
  void LoadBitmap();
  void MarkDirty(uint64_t offset, uint64_t length, bool persist);
  void MarkBits(uint64_t first, uint64_t last, bool persist);
  void ClearDirty(uint64_t offset, uint64_t length);
  bool TestBit(uint64_t bit) const { return (bitmap_[bit / 64] >> (bit % 64)) & 1; }
  void PersistBitmap(bool all);
  void ActivateAl(uint64_t offset, uint64_t length);
  void WriteAl();
  void ReplayAl();
  void MarkTlDirty();

  EngineConfig cfg_;
  Sink sink_;
  std::thread thread_;
  std::mutex mutex_;
  std::deque<Command> commands_;
  bool stopping_ = false;
  bool sleeping_ = false;               // under mutex_: Submit must wake the thread
  std::atomic<size_t> queued_{0};       // commands_.size(), readable without the lock
  int wakeFd_ = -1;
  int dataFd_ = -1, metaFd_ = -1;
  int listenFd_ = -1, sock_ = -1;
  std::atomic<int> listenPort_{0};
  Phase phase_ = Phase::None;
  bool connectWanted_ = false;
  int64_t nextDialMs_ = 0, phaseStartMs_ = 0;
  std::string dropState_;

  // Handshake.
  uint8_t myChallenge_[32]{};
  bool peerVerified_ = false, peerAuthOk_ = false, challengeSeen_ = false;

  // Buffers.
  SendQueue out_;
  uint64_t queuedTotal_ = 0;  // bytes ever queued; minus sentTotal_: bytes not yet sent
  std::atomic<uint64_t> sentTotal_{0};
  RawBytes in_;
  size_t inStart_ = 0;
  int64_t lastSendMs_ = 0, lastRecvMs_ = 0, pingSentMs_ = 0;

  // Primary side.
  bool primary_ = false, suspended_ = false;
  uint64_t nextSeq_ = 1;
  uint32_t epoch_ = 1;
  uint32_t epochWrites_ = 0;
  std::map<uint64_t, Pending> inflight_;       // by seq, waiting for the peer
  std::deque<TlEntry> tl_;                      // transfer log: shipped, not yet barrier-acked
  std::vector<Pending> frozen_;                 // completed locally, peer lost, fencing holds them
  std::deque<Command> held_;                    // not started: I/O suspended
  std::map<uint64_t, uint64_t> reads_;          // diskless reads through the peer: seq -> id

  // Secondary side: acks that wait until the write generation they cover is on stable storage.
  struct StableAck { uint64_t gen; PacketType type; uint64_t value; };
  std::deque<StableAck> stableAcks_;
  uint64_t writeGen_ = 0, syncedGen_ = 0, unsyncedBytes_ = 0;
  // The syncer thread (group commit): fdatasync up to syncWant_, then syncDone_ and a wake-up.
  std::thread syncer_;
  std::mutex syncMutex_;
  std::condition_variable syncCv_;
  uint64_t syncWant_ = 0;  // under syncMutex_
  bool syncerStop_ = false;  // under syncMutex_
  std::atomic<uint64_t> syncDone_{0};
  uint64_t syncAsked_ = 0;
  bool syncBusy_ = false;

  // Resync and verify.
  std::string syncMode_;  // "", "source", "target"
  bool peerBitmapDone_ = false, syncRunning_ = false;
  uint64_t syncCursor_ = 0, syncTotal_ = 0, syncInflight_ = 0, syncBytes_ = 0, syncEqualBytes_ = 0;
  double tokens_ = 0;
  int64_t tokensAtMs_ = 0, lastProgressMs_ = 0;
  bool verifyRunning_ = false;
  uint64_t verifyCursor_ = 0, verifyInflight_ = 0, verifyOos_ = 0;

  // Bitmap and activity log.
  std::vector<uint64_t> bitmap_;
  uint64_t totalBits_ = 0;
  std::atomic<uint64_t> dirtyBits_{0};
  std::set<uint64_t> lazyPages_;
  uint64_t alReplayed_ = 0;
  std::list<uint32_t> alLru_;
  std::unordered_map<uint32_t, std::list<uint32_t>::iterator> alIndex_;
  uint64_t alSeq_ = 1;
  std::vector<uint8_t> scratch_, headScratch_;
};

constexpr size_t kBorrowBytes = 64u << 10;  // writes at least this large are not copied from JS
constexpr uint64_t kWritebackBytes = 256u << 10;  // buffered writes this large start writeback at once
constexpr uint64_t kAlExtentSize = 4u << 20;
constexpr uint64_t kInlineSyncBytes = 256u << 10;  // smaller batches are synced on the I/O thread
constexpr uint32_t kAlMagic = 0x484b414c;  // "HKAL"
constexpr uint32_t kAlMaxExtents = (4096 - 20) / 4;

}  // namespace hakit::drbd
