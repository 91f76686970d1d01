// Binary map decoder. Reference for the layout: Ceph src/crush/CrushWrapper.cc (encode,
// decode, decode_crush_bucket) and crush.h. Everything is little-endian; every length is
// checked against what is left, and every cross-reference the mapper follows (child buckets,
// tree node counts, weight-set sizes) is validated so that mapping a decoded map cannot read
// out of bounds.
#include "crush/crush_map.h"

#include <limits>

namespace hakit::crush {
namespace {

constexpr uint32_t kMagic = 0x00010000u;
constexpr uint32_t kMaxBuckets = 1u << 20;
constexpr uint32_t kMaxItems = 1u << 20;
constexpr uint32_t kMaxRules = 1u << 16;
constexpr uint32_t kMaxSteps = 1u << 10;

struct Failure {
  std::string message;
  size_t offset;
};

class Reader {
 public:
  Reader(const uint8_t* data, size_t length) : data_(data), length_(length) {}
  size_t offset() const { return pos_; }
  bool done() const { return pos_ >= length_; }
  [[noreturn]] void Fail(const std::string& what, size_t at) { throw Failure{what, at}; }
  [[noreturn]] void Fail(const std::string& what) { throw Failure{what, pos_}; }
  void Need(size_t n, const char* what) {
    if (length_ - pos_ < n) Fail(std::string("truncated map: need ") + std::to_string(n) + " bytes for " + what);
  }
  uint8_t U8(const char* what) {
    Need(1, what);
    return data_[pos_++];
  }
  uint16_t U16(const char* what) {
    Need(2, what);
    uint16_t v = uint16_t(data_[pos_] | (data_[pos_ + 1] << 8));
    pos_ += 2;
    return v;
  }
  uint32_t U32(const char* what) {
    Need(4, what);
    uint32_t v = uint32_t(data_[pos_]) | (uint32_t(data_[pos_ + 1]) << 8) | (uint32_t(data_[pos_ + 2]) << 16) | (uint32_t(data_[pos_ + 3]) << 24);
    pos_ += 4;
    return v;
  }
  int32_t S32(const char* what) { return int32_t(U32(what)); }
  int64_t S64(const char* what) {
    uint64_t lo = U32(what), hi = U32(what);
    return int64_t(lo | (hi << 32));
  }
  // A count of elements that take at least `each` bytes: bounded by the bytes left.
  uint32_t Count(const char* what, size_t each, uint32_t limit) {
    size_t at = pos_;
    uint32_t n = U32(what);
    if (n > limit || (each && size_t(n) * each > length_ - pos_)) Fail(std::string("bad ") + what + " count " + std::to_string(n), at);
    return n;
  }
  void Skip(size_t n, const char* what) {
    Need(n, what);
    pos_ += n;
  }

 private:
  const uint8_t* data_;
  size_t length_;
  size_t pos_ = 0;
};

void SkipStringMap(Reader& in, const char* what) {
  uint32_t n = in.Count(what, 8, std::numeric_limits<uint32_t>::max());
  for (uint32_t i = 0; i < n; i++) {
    in.S32(what);
    uint32_t len = in.U32(what);
    if (len == 0) len = in.U32(what);  // Ceph tolerates old 64-bit keys this way
    in.Skip(len, what);
  }
}

std::unique_ptr<Bucket> ReadBucket(Reader& in, uint32_t alg_tag) {
  auto b = std::make_unique<Bucket>();
  b->id = in.S32("bucket id");
  b->type = in.U16("bucket type");
  size_t alg_at = in.offset();
  b->alg = in.U8("bucket alg");
  if (b->alg != alg_tag) in.Fail("bucket alg does not match its tag", alg_at);
  b->hash = in.U8("bucket hash");
  b->weight = in.U32("bucket weight");
  uint32_t size = in.Count("bucket size", 4, kMaxItems);
  b->items.resize(size);
  for (auto& item : b->items) item = in.S32("bucket item");
  switch (b->alg) {
    case kUniform:
      b->uniform_weight = in.U32("uniform item weight");
      break;
    case kList:
      in.Need(size_t(size) * 8, "list weights");
      b->item_weights.resize(size);
      b->sum_weights.resize(size);
      for (uint32_t i = 0; i < size; i++) {
        b->item_weights[i] = in.U32("list item weight");
        b->sum_weights[i] = in.U32("list sum weight");
      }
      break;
    case kTree: {
      size_t at = in.offset();
      // builder.c makes 1 << depth nodes for n leaves; the descent needs a power of two with
      // room for every leaf, or it would leave the arrays.
      uint32_t nodes = in.U8("tree node count");
      bool pow2 = nodes && (nodes & (nodes - 1)) == 0;
      if (size && (!pow2 || nodes < 2 || nodes / 2 < size)) in.Fail("tree bucket node count " + std::to_string(nodes) + " does not fit " + std::to_string(size) + " items", at);
      b->node_weights.resize(nodes);
      for (auto& w : b->node_weights) w = in.U32("tree node weight");
      break;
    }
    case kStraw:
      in.Need(size_t(size) * 8, "straw weights");
      b->item_weights.resize(size);
      b->straws.resize(size);
      for (uint32_t i = 0; i < size; i++) {
        b->item_weights[i] = in.U32("straw item weight");
        b->straws[i] = in.U32("straw length");
      }
      break;
    case kStraw2:
      b->item_weights.resize(size);
      for (auto& w : b->item_weights) w = in.U32("straw2 item weight");
      break;
  }
  return b;
}

void Validate(Map& map, Reader& in) {
  int32_t nb = map.max_buckets();
  for (int32_t i = 0; i < nb; i++) {
    Bucket* b = map.buckets[i].get();
    if (!b) continue;
    if (b->id != -1 - i) in.Fail("bucket at index " + std::to_string(i) + " has id " + std::to_string(b->id), 0);
    for (int32_t item : b->items) {
      if (item < 0 && (-1 - int64_t(item) >= nb || !map.buckets[-1 - item]))
        in.Fail("bucket " + std::to_string(b->id) + " contains missing bucket " + std::to_string(item), 0);
    }
    if (b->items.size() > map.max_bucket_size) map.max_bucket_size = b->items.size();
  }
  // The mapper walks down from a bucket; a cycle would never end.
  std::vector<uint8_t> state(size_t(nb), 0);
  std::vector<std::pair<int32_t, size_t>> stack;
  for (int32_t root = 0; root < nb; root++) {
    if (!map.buckets[root] || state[root]) continue;
    stack.push_back({root, 0});
    state[root] = 1;
    while (!stack.empty()) {
      auto& [index, next] = stack.back();
      Bucket* b = map.buckets[index].get();
      if (next < b->items.size()) {
        int32_t item = b->items[next++];
        if (item >= 0) continue;
        int32_t child = -1 - item;
        if (state[child] == 1) in.Fail("bucket hierarchy has a cycle through bucket " + std::to_string(item), 0);
        if (state[child] == 0) {
          state[child] = 1;
          stack.push_back({child, 0});
        }
      } else {
        state[index] = 2;
        stack.pop_back();
      }
    }
  }
}

}  // namespace

Divisor Divisor::For(uint32_t w) {
  Divisor d;
  if (w == 0) return d;
  uint32_t l = 0;
  while ((uint64_t(1) << l) < w) l++;
  d.shift = 49 + l;
  unsigned __int128 p = static_cast<unsigned __int128>(1) << d.shift;
  d.m = uint64_t((p + w - 1) / w);
  return d;
}

static std::vector<Divisor> DivisorsFor(const std::vector<uint32_t>& weights) {
  std::vector<Divisor> out;
  out.reserve(weights.size());
  for (uint32_t w : weights) out.push_back(Divisor::For(w));
  return out;
}

const std::vector<ChooseArg>* Map::ChooseArgsFor(int64_t index) const {
  auto it = choose_args.find(index);
  if (it == choose_args.end()) it = choose_args.find(-1);
  return it == choose_args.end() ? nullptr : &it->second;
}

std::unique_ptr<Map> DecodeMap(const uint8_t* data, size_t length, DecodeError* error) {
  Reader in(data, length);
  try {
    auto map = std::make_unique<Map>();
    if (in.U32("magic") != kMagic) in.Fail("bad magic number (not a binary crush map)", 0);
    size_t at = in.offset();
    int32_t max_buckets = in.S32("max_buckets");
    if (max_buckets < 0 || uint32_t(max_buckets) > kMaxBuckets || size_t(max_buckets) * 4 > length) in.Fail("bad max_buckets " + std::to_string(max_buckets), at);
    at = in.offset();
    uint32_t max_rules = in.U32("max_rules");
    if (max_rules > kMaxRules || size_t(max_rules) * 4 > length) in.Fail("bad max_rules " + std::to_string(max_rules), at);
    at = in.offset();
    map->max_devices = in.S32("max_devices");
    if (map->max_devices < 0) in.Fail("bad max_devices", at);
    map->buckets.resize(size_t(max_buckets));
    for (int32_t i = 0; i < max_buckets; i++) {
      at = in.offset();
      uint32_t alg = in.U32("bucket alg");
      if (alg == 0) continue;
      if (alg < kUniform || alg > kStraw2) in.Fail("unsupported bucket algorithm " + std::to_string(alg), at);
      map->buckets[size_t(i)] = ReadBucket(in, alg);
    }
    map->rules.resize(max_rules);
    for (uint32_t i = 0; i < max_rules; i++) {
      if (!in.U32("rule presence")) continue;
      auto rule = std::make_unique<Rule>();
      uint32_t len = in.Count("rule steps", 12, kMaxSteps);
      at = in.offset();
      if (in.U8("ruleset") != uint8_t(i)) in.Fail("rule ruleset does not match its id", at);
      rule->type = in.U8("rule type");
      rule->min_size = in.U8("rule min_size");
      rule->max_size = in.U8("rule max_size");
      rule->steps.resize(len);
      for (auto& s : rule->steps) {
        s.op = in.U32("step op");
        s.arg1 = in.S32("step arg1");
        s.arg2 = in.S32("step arg2");
      }
      map->rules[i] = std::move(rule);
    }
    SkipStringMap(in, "type names");
    SkipStringMap(in, "item names");
    SkipStringMap(in, "rule names");
    if (!in.done()) {
      map->choose_local_tries = in.U32("choose_local_tries");
      map->choose_local_fallback_tries = in.U32("choose_local_fallback_tries");
      map->choose_total_tries = in.U32("choose_total_tries");
    }
    if (!in.done()) map->chooseleaf_descend_once = in.U32("chooseleaf_descend_once");
    if (!in.done()) map->chooseleaf_vary_r = in.U8("chooseleaf_vary_r");
    if (!in.done()) map->straw_calc_version = in.U8("straw_calc_version");
    if (!in.done()) map->allowed_bucket_algs = in.U32("allowed_bucket_algs");
    if (!in.done()) map->chooseleaf_stable = in.U8("chooseleaf_stable");
    if (!in.done()) {
      uint32_t n = in.Count("class map", 8, std::numeric_limits<uint32_t>::max());
      in.Skip(size_t(n) * 8, "class map");
      SkipStringMap(in, "class names");
      n = in.Count("class buckets", 8, std::numeric_limits<uint32_t>::max());
      for (uint32_t i = 0; i < n; i++) {
        in.S32("class bucket id");
        uint32_t m = in.Count("class bucket map", 8, std::numeric_limits<uint32_t>::max());
        in.Skip(size_t(m) * 8, "class bucket map");
      }
    }
    if (!in.done()) {
      uint32_t n = in.Count("choose_args", 12, std::numeric_limits<uint32_t>::max());
      for (uint32_t i = 0; i < n; i++) {
        int64_t index = in.S64("choose_args index");
        auto& args = map->choose_args[index];
        args.clear();
        args.resize(size_t(max_buckets));
        uint32_t count = in.Count("choose_args buckets", 12, std::numeric_limits<uint32_t>::max());
        for (uint32_t j = 0; j < count; j++) {
          at = in.offset();
          uint32_t bucket_index = in.U32("choose_arg bucket index");
          if (bucket_index >= uint32_t(max_buckets) || !map->buckets[bucket_index]) in.Fail("choose_arg for missing bucket index " + std::to_string(bucket_index), at);
          size_t bsize = map->buckets[bucket_index]->items.size();
          ChooseArg& arg = args[bucket_index];
          uint32_t positions = in.Count("weight_set positions", 4, std::numeric_limits<uint32_t>::max());
          arg.weight_set.assign(positions, {});
          for (auto& ws : arg.weight_set) {
            at = in.offset();
            uint32_t size = in.Count("weight_set size", 4, kMaxItems);
            if (size != bsize) in.Fail("weight_set size " + std::to_string(size) + " differs from bucket size " + std::to_string(bsize), at);
            ws.resize(size);
            for (auto& w : ws) w = in.U32("weight_set weight");
          }
          at = in.offset();
          uint32_t ids = in.Count("choose_arg ids", 4, kMaxItems);
          if (ids && ids != bsize) in.Fail("choose_arg ids size differs from bucket size", at);
          arg.ids.resize(ids);
          for (auto& id : arg.ids) id = in.S32("choose_arg id");
        }
      }
    }
    Validate(*map, in);
    for (auto& b : map->buckets)
      if (b && b->alg == kStraw2) b->item_divisors = DivisorsFor(b->item_weights);
    for (auto& [index, args] : map->choose_args)
      for (auto& arg : args)
        for (auto& ws : arg.weight_set) arg.divisors.push_back(DivisorsFor(ws));
    return map;
  } catch (const Failure& failure) {
    if (error) *error = DecodeError{failure.message, failure.offset};
    return nullptr;
  }
}

}  // namespace hakit::crush
