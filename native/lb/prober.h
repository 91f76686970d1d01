// TCP connect probes (health checks) in batches on one thread of their own: the JS thread
// submits many probes with one call and gets every finished probe of a batch back with one
// callback; timeouts are enforced here, so JavaScript keeps no timer per check.
// Plain C++ (no N-API) so the record decoder can be fuzzed without Node.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hakit::lb {

// One submitted probe, as JS packs it (little-endian, kProbeRecordSize bytes):
//   0 u32 id | 4 u32 timeoutMs | 8 u16 port | 10 u8 family (4|6) | 11 u8 0 | 12 16-byte address
// (IPv4: the first 4 bytes).
constexpr size_t kProbeRecordSize = 28;

struct ProbeRequest {
  uint32_t id = 0;
  uint32_t timeoutMs = 0;
  uint16_t port = 0;
  uint8_t family = 0;
  uint8_t address[16] = {};
};

struct ProbeOutcome {
  uint32_t id;
  int32_t error;    // 0: connected; errno otherwise (ETIMEDOUT for the timeout)
  uint32_t micros;  // time from submission on the probe thread to the outcome
};

// Decodes `count` records; returns false (and decodes nothing) if any record is malformed.
bool DecodeProbeRecords(const uint8_t* data, size_t length, size_t count, std::vector<ProbeRequest>* out, const char** error);

class Prober {
 public:
  using Notify = std::function<void()>;
  // notify() runs on the probe thread when outcomes become available (once per batch).
  explicit Prober(Notify notify);
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  void Submit(std::vector<ProbeRequest>&& requests);
  void Take(std::vector<ProbeOutcome>* out);
  void Shutdown();
  size_t InFlight() const { return inFlight_.load(); }

 private:
  struct Slot {
    int fd = -1;
    uint32_t id = 0;
    uint32_t generation = 0;
    int64_t startedUs = 0;
  };
  struct Deadline {
    int64_t atMs;
    uint32_t slot, generation;
    bool operator>(const Deadline& o) const { return atMs > o.atMs; }
  };

  void Run();
  void Start(const ProbeRequest& r, int64_t nowUs);
  void End(uint32_t slot, int error, int64_t nowUs);
  void Publish();

  Notify notify_;
  int epoll_ = -1;
  int wake_ = -1;
  std::thread thread_;
  std::atomic<bool> running_{true};
  std::atomic<size_t> inFlight_{0};

  std::mutex inMutex_;
  std::vector<ProbeRequest> incoming_;

  std::mutex outMutex_;
  std::vector<ProbeOutcome> outgoing_;

  // Probe-thread state.
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  std::vector<Deadline> deadlines_;  // min-heap, stale entries skipped by generation
  std::vector<ProbeOutcome> done_;
};

}  // namespace hakit::lb
