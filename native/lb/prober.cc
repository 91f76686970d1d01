#include "lb/prober.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>

namespace hakit::lb {
namespace {

constexpr uint64_t kWakeTag = ~uint64_t{0};

int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

uint32_t ReadLe32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }

}  // namespace

bool DecodeProbeRecords(const uint8_t* data, size_t length, size_t count, std::vector<ProbeRequest>* out, const char** error) {
  if (count > length / kProbeRecordSize) {
    *error = "probe batch is shorter than its record count";
    return false;
  }
  size_t first = out->size();
  for (size_t i = 0; i < count; i++) {
    const uint8_t* p = data + i * kProbeRecordSize;
    ProbeRequest r;
    r.id = ReadLe32(p);
    r.timeoutMs = ReadLe32(p + 4);
    r.port = static_cast<uint16_t>(p[8] | (p[9] << 8));
    r.family = p[10];
    if ((r.family != 4 && r.family != 6) || r.port == 0 || r.timeoutMs == 0 || r.timeoutMs > (1u << 30) || p[11] != 0) {
      out->resize(first);
      *error = "bad probe record (family 4|6, port 1-65535, timeout 1 ms-2^30 ms)";
      return false;
    }
    std::memcpy(r.address, p + 12, 16);
    out->push_back(r);
  }
  return true;
}

Prober::Prober(Notify notify) : notify_(std::move(notify)) {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_ < 0 || wake_ < 0) {
    std::string message = std::string("epoll/eventfd: ") + strerror(errno);
    if (epoll_ >= 0) close(epoll_);
    if (wake_ >= 0) close(wake_);
    throw std::runtime_error(message);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
  thread_ = std::thread([this] { Run(); });
}

Prober::~Prober() {
  Shutdown();
  for (Slot& s : slots_)
    if (s.fd >= 0) close(s.fd);
  close(epoll_);
  close(wake_);
}

void Prober::Shutdown() {
  if (!thread_.joinable()) return;
  running_ = false;
  uint64_t one = 1;
  ssize_t ignored = write(wake_, &one, sizeof one);
  (void)ignored;
  thread_.join();
}

void Prober::Submit(std::vector<ProbeRequest>&& requests) {
  if (requests.empty() || !running_) return;
  bool wasEmpty;
  {
    std::lock_guard<std::mutex> lock(inMutex_);
    wasEmpty = incoming_.empty();
    if (wasEmpty) incoming_.swap(requests);
    else incoming_.insert(incoming_.end(), requests.begin(), requests.end());
  }
  if (!wasEmpty) return;  // a wake-up is already pending for the earlier batch
  uint64_t one = 1;
  ssize_t ignored = write(wake_, &one, sizeof one);
  (void)ignored;
}

void Prober::Take(std::vector<ProbeOutcome>* out) {
  out->clear();
  std::lock_guard<std::mutex> lock(outMutex_);
  out->swap(outgoing_);
}

void Prober::Start(const ProbeRequest& r, int64_t nowUs) {
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[index];
  s.id = r.id;
  s.startedUs = nowUs;
  inFlight_++;

  sockaddr_storage addr{};
  socklen_t len;
  if (r.family == 4) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(r.port);
    std::memcpy(&v4->sin_addr, r.address, 4);
    len = sizeof *v4;
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(r.port);
    std::memcpy(&v6->sin6_addr, r.address, 16);
    len = sizeof *v6;
  }
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return End(index, errno, nowUs);
  s.fd = fd;
  // Quick ACK off: the kernel holds back the handshake's last ACK (it hopes to piggyback data),
  // so the probe is SYN, SYN-ACK, RST: the server never completes the connection, never accepts
  // it. The same trick as HAProxy's connect-only checks (see also tevino/tcp-shaker).
  int zero = 0;
  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0) return End(index, 0, nowUs);
  if (errno != EINPROGRESS) return End(index, errno, nowUs);
  epoll_event ev{};
  ev.events = EPOLLOUT;
  ev.data.u64 = (static_cast<uint64_t>(s.generation) << 32) | index;
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) < 0) return End(index, errno, nowUs);
  deadlines_.push_back({nowUs / 1000 + r.timeoutMs, index, s.generation});
  std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<Deadline>());
}

// Reports the probe and frees its slot. A connected socket is reset (SO_LINGER 0): no FIN
// exchange and no TIME_WAIT, as HAProxy closes its connect-only checks.
void Prober::End(uint32_t index, int error, int64_t nowUs) {
  Slot& s = slots_[index];
  if (s.fd >= 0) {
    if (error == 0) {
      linger lg{1, 0};
      setsockopt(s.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(s.fd);  // also leaves the epoll set
    s.fd = -1;
  }
  int64_t micros = nowUs - s.startedUs;
  done_.push_back({s.id, error, static_cast<uint32_t>(std::clamp<int64_t>(micros, 0, UINT32_MAX))});
  s.generation++;
  free_.push_back(index);
  inFlight_--;
}

void Prober::Publish() {
  if (done_.empty()) return;
  bool wasEmpty;
  {
    std::lock_guard<std::mutex> lock(outMutex_);
    wasEmpty = outgoing_.empty();
    if (wasEmpty) outgoing_.swap(done_);
    else outgoing_.insert(outgoing_.end(), done_.begin(), done_.end());
  }
  done_.clear();
  if (wasEmpty && notify_) notify_();
}

void Prober::Run() {
  epoll_event events[512];
  std::vector<ProbeRequest> batch;
  while (running_) {
    int timeout = -1;
    if (!deadlines_.empty()) {
      int64_t wait = deadlines_.front().atMs - NowUs() / 1000;
      timeout = static_cast<int>(std::clamp<int64_t>(wait, 0, 1000));
    }
    int n = epoll_wait(epoll_, events, 512, timeout);
    int64_t now = NowUs();
    for (int i = 0; i < n; i++) {
      uint64_t tag = events[i].data.u64;
      if (tag == kWakeTag) {
        uint64_t count;
        ssize_t ignored = read(wake_, &count, sizeof count);
        (void)ignored;
        {
          std::lock_guard<std::mutex> lock(inMutex_);
          batch.swap(incoming_);
        }
        for (const ProbeRequest& r : batch) Start(r, now);
        batch.clear();
        continue;
      }
      uint32_t index = static_cast<uint32_t>(tag);
      uint32_t generation = static_cast<uint32_t>(tag >> 32);
      if (index >= slots_.size() || slots_[index].generation != generation || slots_[index].fd < 0) continue;
      int error = 0;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        socklen_t len = sizeof error;
        if (getsockopt(slots_[index].fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0) error = errno;
        if (error == 0) error = ECONNRESET;
      }
      End(index, error, now);
    }
    int64_t nowMs = now / 1000;
    while (!deadlines_.empty() && deadlines_.front().atMs <= nowMs) {
      Deadline d = deadlines_.front();
      std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<Deadline>());
      deadlines_.pop_back();
      if (slots_[d.slot].generation == d.generation && slots_[d.slot].fd >= 0) End(d.slot, ETIMEDOUT, now);
    }
    Publish();
  }
}

}  // namespace hakit::lb
