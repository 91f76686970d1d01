// Davies–Meyer hash over a TEA-style block cipher, as in glusterfs libglusterfs/src/hashfn.c
// (gf_dm_hashfn) and xlators/cluster/dht/src/dht-hashfn.c (munging). Written from the
// description of those sources; proven bit-exact against Debian's libglusterfs.so.0 by
// test/integration/gluster/hash-libglusterfs.test.js.
#include "gluster/dht_hash.h"

#include <locale.h>

#include <cstring>

namespace hakit::gluster {
namespace {

constexpr uint32_t kDelta = 0x9E3779B9u;
constexpr int kFullRounds = 10;
constexpr int kPartRounds = 6;

void Round(int rounds, const uint32_t block[4], uint32_t* h0, uint32_t* h1) {
  uint32_t sum = 0;
  uint32_t b0 = *h0;
  uint32_t b1 = *h1;
  for (int n = 0; n < rounds; n++) {
    sum += kDelta;
    b0 += ((b1 << 4) + block[0]) ^ (b1 + sum) ^ ((b1 >> 5) + block[1]);
    b1 += ((b0 << 4) + block[2]) ^ (b0 + sum) ^ ((b0 >> 5) + block[3]);
  }
  *h0 += b0;
  *h1 += b1;
}

uint32_t LoadLE32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

// The reference takes len as an int; names longer than that are not hashable there either.
locale_t CLocale() {
  static locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(0));
  return c_locale;
}

// glibc's regcomp copies a sub-tree for every '+' and for every count of a {n,m} bound, and
// nested copies multiply, so a short pattern can need gigabytes. DHT's regexes are short name
// patterns: refuse long ones, stacked quantifiers, and a duplication product (as if all were
// nested) above 4096.
bool TooComplex(const std::string& pattern, std::string* error) {
  constexpr size_t kMaxLength = 256;
  constexpr double kMaxCopies = 4096;
  auto fail = [error](const char* why) {
    if (error) *error = why;
    return true;
  };
  if (pattern.size() > kMaxLength) return fail("pattern longer than 256 bytes");
  double copies = 1;
  bool after_quantifier = false;
  for (size_t i = 0; i < pattern.size(); i++) {
    char c = pattern[i];
    if (c == '\\') {
      i++;
      after_quantifier = false;
      continue;
    }
    if (c == '[') {
      // A bracket expression: a ']' right after '[' or '[^' is literal.
      size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '^') j++;
      if (j < pattern.size() && pattern[j] == ']') j++;
      while (j < pattern.size() && pattern[j] != ']') j++;
      i = j;
      after_quantifier = false;
      continue;
    }
    bool quantifier = c == '*' || c == '+' || c == '?' || c == '{';
    if (c == '+') copies *= 2;
    if (c == '{') {
      long bound = 0;
      long largest = 0;
      size_t j = i + 1;
      for (; j < pattern.size() && pattern[j] != '}'; j++) {
        if (pattern[j] >= '0' && pattern[j] <= '9') {
          bound = bound * 10 + (pattern[j] - '0');
          if (bound > 100000) break;
          if (bound > largest) largest = bound;
        } else {
          bound = 0;
        }
      }
      copies *= static_cast<double>(largest + 1);
      i = j;
    }
    if (quantifier && after_quantifier) return fail("stacked repetition operators");
    if (copies > kMaxCopies) return fail("too many repetitions for a name pattern");
    after_quantifier = quantifier;
  }
  return false;
}

}  // namespace

uint32_t DmHash(const uint8_t* data, size_t length) {
  uint32_t h0 = 0x9464a485u;
  uint32_t h1 = 0x542e1a94u;
  uint32_t block[4];
  // The pad is built from the length as the reference does (len | len << 8, then doubled up).
  const uint32_t len32 = static_cast<uint32_t>(length);
  uint32_t pad = len32 | (len32 << 8);
  pad |= pad << 16;

  size_t full_words = length / 4;
  const size_t full_blocks = length / 16;
  const uint8_t* p = data;
  for (size_t i = 0; i < full_blocks; i++) {
    for (int j = 0; j < 4; j++, p += 4) block[j] = LoadLE32(p);
    full_words -= 4;
    Round(kPartRounds, block, &h0, &h1);
  }
  size_t tail_bytes = length - full_blocks * 16 - full_words * 4;
  for (int j = 0; j < 4; j++) {
    if (full_words > 0) {
      block[j] = LoadLE32(p);
      p += 4;
      full_words--;
    } else {
      block[j] = pad;
      for (; tail_bytes > 0; tail_bytes--, p++) {
        // Sign-extended like a signed `char`: bytes >= 0x80 set the upper 24 bits.
        block[j] = (block[j] << 8) | static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(*p)));
      }
    }
  }
  Round(kFullRounds, block, &h0, &h1);
  return h0 ^ h1;
}

CompiledRegex::~CompiledRegex() {
  if (valid_) regfree(&regex_);
}

bool CompiledRegex::Compile(const std::string& pattern, std::string* error) {
  if (valid_) {
    regfree(&regex_);
    valid_ = false;
  }
  if (pattern.empty() || pattern == "none") return true;
  if (TooComplex(pattern, error)) return false;
  // Byte semantics regardless of the host's locale: the C locale, like a daemon that never
  // called setlocale().
  locale_t previous = uselocale(CLocale());
  int rc = regcomp(&regex_, pattern.c_str(), REG_EXTENDED);
  uselocale(previous);
  if (rc != 0) {
    char message[256];
    regerror(rc, &regex_, message, sizeof message);
    if (error) *error = message;
    return false;
  }
  valid_ = true;
  return true;
}

bool CompiledRegex::FirstGroup(const char* name, size_t* begin, size_t* end) const {
  if (!valid_) return false;
  regmatch_t matches[2];
  std::memset(matches, 0, sizeof matches);
  locale_t previous = uselocale(CLocale());
  int rc = regexec(&regex_, name, 2, matches, 0);
  uselocale(previous);
  if (rc != 0 || matches[1].rm_so < 0) return false;
  *begin = static_cast<size_t>(matches[1].rm_so);
  *end = static_cast<size_t>(matches[1].rm_eo);
  return *end >= *begin;
}

bool MatchDefaultRsync(const char* name, size_t length, size_t* begin, size_t* end) {
  if (length < 4 || name[0] != '.') return false;
  const void* last = memrchr(name, '.', length);
  size_t dot = static_cast<size_t>(static_cast<const char*>(last) - name);
  // (.+) needs at least one byte before the last dot, [^.]+ at least one after it.
  if (dot < 2 || dot + 1 >= length) return false;
  *begin = 1;
  *end = dot;
  return true;
}

bool NameMunger::Configure(const char* rsync_pattern, const char* extra_pattern, std::string* error) {
  const char* rsync = rsync_pattern ? rsync_pattern : kRsyncRegex;
  if (!rsync_.Compile(rsync, error)) return false;
  default_rsync_ = std::strcmp(rsync, kRsyncRegex) == 0;
  fast_default_ = default_rsync_;
  return extra_.Compile(extra_pattern ? extra_pattern : "none", error);
}

std::string_view NameMunger::Munge(const char* name, size_t length) const {
  size_t begin = 0;
  size_t end = 0;
  bool matched = extra_.FirstGroup(name, &begin, &end);
  if (!matched) matched = fast_default_ ? MatchDefaultRsync(name, length, &begin, &end) : rsync_.FirstGroup(name, &begin, &end);
  if (matched && end <= length) return std::string_view(name + begin, end - begin);
  return std::string_view(name, length);
}

uint32_t NameMunger::Hash(const char* name, size_t length) const {
  // DHT works on C strings: an embedded NUL ends the name.
  std::string_view hashed = Munge(name, strnlen(name, length));
  return DmHash(reinterpret_cast<const uint8_t*>(hashed.data()), hashed.size());
}

}  // namespace hakit::gluster
