// GlusterFS DHT name hashing: the Davies–Meyer hash of libglusterfs (gf_dm_hashfn) and the name
// munging DHT applies before hashing (rsync temporary names, the extra regex).
// Plain C++ (no N-API) so the fuzz target links it alone.
#pragma once
#include <regex.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hakit::gluster {

// gf_dm_hashfn(msg, len) as built for x86-64 Linux: message words are read little-endian and
// the trailing bytes are mixed in as *signed* chars (the reference code ORs a `char`).
uint32_t DmHash(const uint8_t* data, size_t length);

// DHT's default cluster.rsync-hash-regex (dht-shared.c).
inline constexpr const char* kRsyncRegex = "^\\.(.+)\\.[^.]+$";

// One POSIX extended regex compiled in the C locale, as DHT does with regcomp(REG_EXTENDED).
class CompiledRegex {
 public:
  CompiledRegex() = default;
  ~CompiledRegex();
  CompiledRegex(const CompiledRegex&) = delete;
  CompiledRegex& operator=(const CompiledRegex&) = delete;

  // Compiles pattern; "none" or "" leaves it unset. Returns false and fills error on failure.
  bool Compile(const std::string& pattern, std::string* error);
  bool valid() const { return valid_; }
  // If the regex matches name (NUL-terminated) and its first group took part, stores the group's
  // span and returns true.
  bool FirstGroup(const char* name, size_t* begin, size_t* end) const;

 private:
  regex_t regex_{};
  bool valid_ = false;
};

// dht_hash_compute: the extra regex first, then the rsync regex; the hashed name is the first
// capture group of the first regex that yields one, else the name itself.
class NameMunger {
 public:
  // Each pattern: nullptr or "none" = disabled. The rsync pattern defaults to kRsyncRegex.
  bool Configure(const char* rsync_pattern, const char* extra_pattern, std::string* error);
  // name must be NUL-terminated at name[length]. Returns the part of name that DHT hashes.
  std::string_view Munge(const char* name, size_t length) const;
  uint32_t Hash(const char* name, size_t length) const;
  // Whether any regex is configured (else names hash as they are).
  bool active() const { return rsync_.valid() || extra_.valid(); }
  // Forces regexec even for the default rsync pattern (the fuzzer compares both paths).
  void set_fast_path(bool enabled) { fast_default_ = enabled && default_rsync_; }

 private:
  CompiledRegex rsync_;
  CompiledRegex extra_;
  bool default_rsync_ = false;
  bool fast_default_ = false;
};

// The default rsync regex ^\.(.+)\.[^.]+$ without regexec: a leading '.', a last '.' after at
// least one more byte, and at least one byte after it; the group is what lies between.
bool MatchDefaultRsync(const char* name, size_t length, size_t* begin, size_t* end);

}  // namespace hakit::gluster
