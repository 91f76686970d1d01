// The compiled CRUSH map as the mapper needs it, decoded from Ceph's binary encoding
// (CrushWrapper::encode in Ceph 16: magic, buckets, rules, name maps, tunables, classes,
// choose_args). Only what placement needs is kept; names are skipped.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hakit::crush {

enum BucketAlg : uint8_t { kUniform = 1, kList = 2, kTree = 3, kStraw = 4, kStraw2 = 5 };

enum RuleOp : uint32_t {
  kNoop = 0, kTake = 1, kChooseFirstn = 2, kChooseIndep = 3, kEmit = 4,
  kChooseleafFirstn = 6, kChooseleafIndep = 7, kSetChooseTries = 8, kSetChooseleafTries = 9,
  kSetChooseLocalTries = 10, kSetChooseLocalFallbackTries = 11, kSetChooseleafVaryR = 12,
  kSetChooseleafStable = 13,
};

constexpr int32_t kItemNone = 0x7fffffff;
constexpr int32_t kItemUndef = 0x7ffffffe;

// Exact division of a 49-bit numerator by a fixed 32-bit weight as a multiply and shift
// (q = n * m >> shift, m = ceil(2^shift / w), shift = 49 + ceil(log2 w)); straw2 divides
// every draw by its item weight, and a 64-bit divide costs far more than the multiply.
struct Divisor {
  uint64_t m = 0;
  uint32_t shift = 0;
  static Divisor For(uint32_t w);
  uint64_t Divide(uint64_t n) const { return uint64_t((static_cast<unsigned __int128>(n) * m) >> shift); }
};

struct Bucket {
  int32_t id = 0;
  uint16_t type = 0;
  uint8_t alg = 0;
  uint8_t hash = 0;
  uint32_t weight = 0;
  std::vector<int32_t> items;
  uint32_t uniform_weight = 0;
  std::vector<uint32_t> item_weights;  // list, straw, straw2
  std::vector<uint32_t> sum_weights;   // list
  std::vector<uint32_t> node_weights;  // tree
  std::vector<uint32_t> straws;        // straw
  std::vector<Divisor> item_divisors;  // straw2: one per item weight
};

struct Step {
  uint32_t op;
  int32_t arg1;
  int32_t arg2;
};

struct Rule {
  uint8_t type = 0, min_size = 0, max_size = 0;
  std::vector<Step> steps;
};

struct ChooseArg {
  std::vector<std::vector<uint32_t>> weight_set;  // positions
  std::vector<std::vector<Divisor>> divisors;     // per position, per item
  std::vector<int32_t> ids;
};

struct Map {
  std::vector<std::unique_ptr<Bucket>> buckets;  // index -1-id
  std::vector<std::unique_ptr<Rule>> rules;
  int32_t max_devices = 0;
  uint32_t choose_local_tries = 2, choose_local_fallback_tries = 5, choose_total_tries = 19;
  uint32_t chooseleaf_descend_once = 0;
  uint8_t chooseleaf_vary_r = 0, straw_calc_version = 0, chooseleaf_stable = 0;
  uint32_t allowed_bucket_algs = 22;
  std::map<int64_t, std::vector<ChooseArg>> choose_args;  // each sized like buckets
  size_t max_bucket_size = 0;

  int32_t max_buckets() const { return int32_t(buckets.size()); }
  // choose_args for an index, falling back to the compat set (-1), else none.
  const std::vector<ChooseArg>* ChooseArgsFor(int64_t index) const;
};

struct DecodeError {
  std::string message;
  size_t offset;
};

// Decodes a binary map; on failure returns nullptr and fills *error (never throws).
std::unique_ptr<Map> DecodeMap(const uint8_t* data, size_t length, DecodeError* error);

}  // namespace hakit::crush
