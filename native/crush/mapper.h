// crush_do_rule: the CRUSH placement walk, bit-exact with Ceph's src/crush/mapper.c
// (Ceph 16). A Mapper owns the per-call scratch state (the uniform-bucket permutations and the
// three result vectors), so one Mapper per thread; the Map itself is shared read-only.
#pragma once
#include <cstdint>
#include <vector>

#include "crush/crush_map.h"

namespace hakit::crush {

class Mapper {
 public:
  explicit Mapper(const Map& map);

  // Maps x with rule `ruleno`; writes at most result_max items to result and returns how many.
  // weight/weight_max are the 16.16 device reweights; choose_args may be null.
  int DoRule(int ruleno, int x, int32_t* result, int result_max, const uint32_t* weight, int weight_max,
             const std::vector<ChooseArg>* choose_args);

  // crushtool --show-choose-tries: counts[ftotal]++ for every item chosen (firstn) or every
  // indep call, as mapper.c does when map->choose_tries is set. Null turns it off.
  void SetChooseProfile(uint32_t* counts, size_t size) {
    profile_ = counts;
    profile_size_ = size;
  }

 private:
  struct Perm {
    uint32_t x = 0;
    uint32_t n = 0;
    uint64_t stamp = 0;
  };

  // kProfile: whether --show-choose-tries counting is compiled in. DoRule picks the
  // instantiation once per call, so the common (unprofiled) walk has no per-item test.
  template <bool kProfile>
  int DoRuleWith(int ruleno, int x, int32_t* result, int result_max, const uint32_t* weight, int weight_max,
                 const std::vector<ChooseArg>* choose_args);
  int BucketChoose(const Bucket& b, int x, int r, const ChooseArg* arg, int position);
  int PermChoose(const Bucket& b, int x, int r);
  bool IsOut(const uint32_t* weight, int weight_max, int item, int x) const;
  template <bool kProfile>
  int ChooseFirstn(const Bucket* bucket, const uint32_t* weight, int weight_max, int x, int numrep, int type,
                   int32_t* out, int outpos, int out_size, unsigned tries, unsigned recurse_tries,
                   unsigned local_retries, unsigned local_fallback_retries, int recurse_to_leaf, unsigned vary_r,
                   unsigned stable, int32_t* out2, int parent_r, const ChooseArg* choose_args);
  template <bool kProfile>
  void ChooseIndep(const Bucket* bucket, const uint32_t* weight, int weight_max, int x, int left, int numrep, int type,
                   int32_t* out, int outpos, unsigned tries, unsigned recurse_tries, int recurse_to_leaf,
                   int32_t* out2, int parent_r, const ChooseArg* choose_args);

  const Map& map_;
  std::vector<Perm> perm_state_;
  std::vector<size_t> perm_offset_;
  std::vector<uint32_t> perm_;
  std::vector<int32_t> scratch_;
  uint64_t stamp_ = 0;
  uint32_t* profile_ = nullptr;
  size_t profile_size_ = 0;

  template <bool kProfile>
  void CountTries(unsigned ftotal) {
    // mapper.c's bound is ftotal <= choose_total_tries over an array of choose_total_tries
    // entries; the array here has one more slot, so its last index cannot overflow.
    if constexpr (kProfile)
      if (ftotal <= map_.choose_total_tries && ftotal < profile_size_) profile_[ftotal]++;
  }
};

// Ceph's fixed-point 2^44*log2(x+1) used by straw2 (crush_ln in mapper.c).
uint64_t CrushLn(uint32_t xin);

}  // namespace hakit::crush
