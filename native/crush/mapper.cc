// The CRUSH walk. Reference: Ceph src/crush/mapper.c (crush_do_rule, crush_choose_firstn,
// crush_choose_indep, the bucket choose functions, crush_ln) -- the retry/collision/reject
// order, r' arithmetic, vary_r/stable/descend_once handling and the uniform permutation
// cache are reproduced because every one of them changes results. Arithmetic that overflows
// in C (r + ftotal, ...) is done in unsigned so it wraps the same way without UB.
#include "crush/mapper.h"

#include <cstring>

#include "crush/hash.h"
#include "crush/ln_table.h"

namespace hakit::crush {

uint64_t CrushLn(uint32_t xin) {
  uint32_t x = xin + 1;
  int iexpon = 15;
  if (!(x & 0x18000)) {
    int bits = __builtin_clz(x & 0x1FFFF) - 16;
    x <<= bits;
    iexpon = 15 - bits;
  }
  int index1 = int((x >> 8) << 1);
  uint64_t rh = uint64_t(kRhLhTable[index1 - 256]);
  uint64_t lh = uint64_t(kRhLhTable[index1 + 1 - 256]);
  uint64_t xl64 = (uint64_t(x) * rh) >> 48;  // C: (__s64)x * (__u64)RH is an unsigned product
  uint64_t result = uint64_t(iexpon) << (12 + 32);
  uint64_t ll = uint64_t(kLlTable[xl64 & 0xff]);
  lh = (lh + ll) >> (48 - 12 - 32);
  return result + lh;
}

Mapper::Mapper(const Map& map) : map_(map) {
  size_t total = 0;
  perm_offset_.resize(map.buckets.size());
  for (size_t i = 0; i < map.buckets.size(); i++) {
    perm_offset_[i] = total;
    if (map.buckets[i]) total += map.buckets[i]->items.size();
  }
  perm_.resize(total);
  perm_state_.resize(map.buckets.size());
}

static inline int AddWrap(int a, unsigned b) { return int(unsigned(a) + b); }

int Mapper::PermChoose(const Bucket& b, int x, int r) {
  size_t index = size_t(-1 - b.id);
  Perm& st = perm_state_[index];
  uint32_t* perm = perm_.data() + perm_offset_[index];
  uint32_t size = uint32_t(b.items.size());
  if (st.stamp != stamp_) {  // a fresh workspace per crush_do_rule call, as CrushWrapper gives
    st.stamp = stamp_;
    st.x = 0;
    st.n = 0;
  }
  unsigned pr = unsigned(r) % size;
  unsigned s;
  if (st.x != uint32_t(x) || st.n == 0) {
    st.x = uint32_t(x);
    if (pr == 0) {
      s = BucketHash3(b.hash, uint32_t(x), uint32_t(b.id), 0) % size;
      perm[0] = s;
      st.n = 0xffff;  // only perm[0] is valid
      return b.items[s];
    }
    for (unsigned i = 0; i < size; i++) perm[i] = i;
    st.n = 0;
  } else if (st.n == 0xffff) {
    for (unsigned i = 1; i < size; i++) perm[i] = i;
    perm[perm[0]] = 0;
    st.n = 1;
  }
  while (st.n <= pr) {
    unsigned p = st.n;
    if (p < size - 1) {
      unsigned i = BucketHash3(b.hash, uint32_t(x), uint32_t(b.id), p) % (size - p);
      if (i) {
        unsigned t = perm[p + i];
        perm[p + i] = perm[p];
        perm[p] = t;
      }
    }
    st.n++;
  }
  s = perm[pr];
  return b.items[s];
}

static int TreeHeight(int n) {
  int h = 0;
  while ((n & 1) == 0) {
    h++;
    n >>= 1;
  }
  return h;
}

int Mapper::BucketChoose(const Bucket& b, int x, int r, const ChooseArg* arg, int position) {
  const uint32_t size = uint32_t(b.items.size());
  switch (b.alg) {
    case kUniform:
      return PermChoose(b, x, r);
    case kList:
      for (int i = int(size) - 1; i >= 0; i--) {
        uint64_t w = BucketHash4(b.hash, uint32_t(x), uint32_t(b.items[i]), uint32_t(r), uint32_t(b.id)) & 0xffff;
        w = (w * b.sum_weights[i]) >> 16;
        if (w < b.item_weights[i]) return b.items[i];
      }
      return b.items[0];
    case kTree: {
      int n = int(b.node_weights.size() >> 1);
      while (!(n & 1)) {
        uint32_t w = b.node_weights[n];
        uint64_t t = (uint64_t(BucketHash4(b.hash, uint32_t(x), uint32_t(n), uint32_t(r), uint32_t(b.id))) * w) >> 32;
        int h = TreeHeight(n);
        int l = n - (1 << (h - 1));
        n = t < b.node_weights[l] ? l : n + (1 << (h - 1));
      }
      size_t leaf = size_t(n >> 1);
      return leaf < size ? b.items[leaf] : b.items[0];  // only a malformed tree gets here
    }
    case kStraw: {
      uint32_t high = 0;
      uint64_t high_draw = 0;
      for (uint32_t i = 0; i < size; i++) {
        uint64_t draw = (BucketHash3(b.hash, uint32_t(x), uint32_t(b.items[i]), uint32_t(r)) & 0xffff) * uint64_t(b.straws[i]);
        if (i == 0 || draw > high_draw) {
          high = i;
          high_draw = draw;
        }
      }
      return b.items[high];
    }
    case kStraw2: {
      const uint32_t* weights = b.item_weights.data();
      const Divisor* divisors = b.item_divisors.data();
      const int32_t* ids = b.items.data();
      if (arg) {
        if (!arg->weight_set.empty()) {
          size_t pos = size_t(position) >= arg->weight_set.size() ? arg->weight_set.size() - 1 : size_t(position);
          weights = arg->weight_set[pos].data();
          divisors = arg->divisors[pos].data();
        }
        if (!arg->ids.empty()) ids = arg->ids.data();
      }
      uint32_t high = 0;
      int64_t high_draw = 0;
      const U32x4 vx = U32x4{} + uint32_t(x), vr = U32x4{} + uint32_t(r);
      for (uint32_t base = 0; base < size; base += 4) {
        const uint32_t lanes = size - base < 4 ? size - base : 4;
        U32x4 vid{};
        if (lanes == 4)
          std::memcpy(&vid, ids + base, sizeof(vid));  // a fixed-size copy is one load
        else
          for (uint32_t k = 0; k < lanes; k++) vid[k] = uint32_t(ids[base + k]);
        const U32x4 hashes = b.hash == 0 ? Hash3(vx, vid, vr) : U32x4{};  // Ceph: 0 for other hash types
        for (uint32_t k = 0; k < lanes; k++) {
          const uint32_t i = base + k;
          int64_t draw;
          if (weights[i]) {
            // ln = crush_ln(u) - 2^48 is in [-2^48, 0]; C's ln / w truncates toward zero,
            // which is -(|ln| / w).
            uint64_t neg_ln = 0x1000000000000ull - CrushLn(hashes[k] & 0xffff);
            draw = -int64_t(divisors[i].Divide(neg_ln));
          } else {
            draw = INT64_MIN;
          }
          if (i == 0 || draw > high_draw) {
            high = i;
            high_draw = draw;
          }
        }
      }
      return b.items[high];
    }
    default:
      return b.items[0];
  }
}

bool Mapper::IsOut(const uint32_t* weight, int weight_max, int item, int x) const {
  if (item >= weight_max) return true;
  // A bucket of type 0 reaches here in a malformed map; Ceph would read weight[negative].
  if (item < 0) return false;
  if (weight[item] >= 0x10000) return false;
  if (weight[item] == 0) return true;
  return (Hash2(uint32_t(x), uint32_t(item)) & 0xffff) >= weight[item];
}

template <bool kProfile>
int Mapper::ChooseFirstn(const Bucket* bucket, const uint32_t* weight, int weight_max, int x, int numrep, int type,
                         int32_t* out, int outpos, int out_size, unsigned tries, unsigned recurse_tries,
                         unsigned local_retries, unsigned local_fallback_retries, int recurse_to_leaf,
                         unsigned vary_r, unsigned stable, int32_t* out2, int parent_r,
                         const ChooseArg* choose_args) {
  int count = out_size;
  int item = 0;
  for (int rep = stable ? 0 : outpos; rep < numrep && count > 0; rep++) {
    unsigned ftotal = 0;
    bool skip_rep = false;
    bool retry_descent;
    do {
      retry_descent = false;
      const Bucket* in = bucket;
      unsigned flocal = 0;
      bool retry_bucket;
      do {
        bool collide = false;
        bool reject = false;
        retry_bucket = false;
        int r = AddWrap(AddWrap(rep, unsigned(parent_r)), ftotal);
        const uint32_t in_size = uint32_t(in->items.size());
        int itemtype = 0;
        if (in_size == 0) {
          reject = true;
        } else {
          if (local_fallback_retries > 0 && flocal >= (in_size >> 1) && flocal > local_fallback_retries)
            item = PermChoose(*in, x, r);
          else
            item = BucketChoose(*in, x, r, choose_args ? &choose_args[-1 - in->id] : nullptr, outpos);
          if (item >= map_.max_devices) {
            skip_rep = true;
            break;
          }
          itemtype = item < 0 ? map_.buckets[size_t(-1 - item)]->type : 0;
          if (itemtype != type) {
            if (item >= 0) {
              skip_rep = true;
              break;
            }
            in = map_.buckets[size_t(-1 - item)].get();
            retry_bucket = true;
            continue;
          }
          for (int i = 0; i < outpos; i++) {
            if (out[i] == item) {
              collide = true;
              break;
            }
          }
          if (!collide && recurse_to_leaf) {
            if (item < 0) {
              int sub_r = vary_r ? (r >> ((vary_r - 1) & 31)) : 0;
              if (ChooseFirstn<kProfile>(map_.buckets[size_t(-1 - item)].get(), weight, weight_max, x, stable ? 1 : outpos + 1, 0,
                               out2, outpos, count, recurse_tries, 0, local_retries, local_fallback_retries, 0, vary_r,
                               stable, nullptr, sub_r, choose_args) <= outpos)
                reject = true;
            } else {
              out2[outpos] = item;
            }
          }
          if (!reject && !collide && itemtype == 0) reject = IsOut(weight, weight_max, item, x);
        }
        if (reject || collide) {
          ftotal++;
          flocal++;
          if (collide && flocal <= local_retries)
            retry_bucket = true;
          else if (local_fallback_retries > 0 && flocal <= in_size + local_fallback_retries)
            retry_bucket = true;
          else if (ftotal < tries)
            retry_descent = true;
          else
            skip_rep = true;
        }
      } while (retry_bucket);
    } while (retry_descent);
    if (skip_rep) continue;
    out[outpos] = item;
    outpos++;
    count--;
    CountTries<kProfile>(ftotal);
  }
  return outpos;
}

template <bool kProfile>
void Mapper::ChooseIndep(const Bucket* bucket, const uint32_t* weight, int weight_max, int x, int left, int numrep,
                         int type, int32_t* out, int outpos, unsigned tries, unsigned recurse_tries,
                         int recurse_to_leaf, int32_t* out2, int parent_r, const ChooseArg* choose_args) {
  const int endpos = outpos + left;
  for (int rep = outpos; rep < endpos; rep++) {
    out[rep] = kItemUndef;
    if (out2) out2[rep] = kItemUndef;
  }
  unsigned ftotal = 0;
  for (; left > 0 && ftotal < tries; ftotal++) {
    for (int rep = outpos; rep < endpos; rep++) {
      if (out[rep] != kItemUndef) continue;
      const Bucket* in = bucket;
      for (;;) {
        int r = AddWrap(rep, unsigned(parent_r));
        const uint32_t in_size = uint32_t(in->items.size());
        if (in->alg == kUniform && in_size % unsigned(numrep) == 0)
          r = AddWrap(r, unsigned(numrep + 1) * ftotal);
        else
          r = AddWrap(r, unsigned(numrep) * ftotal);
        if (in_size == 0) break;
        int item = BucketChoose(*in, x, r, choose_args ? &choose_args[-1 - in->id] : nullptr, outpos);
        if (item >= map_.max_devices) {
          out[rep] = kItemNone;
          if (out2) out2[rep] = kItemNone;
          left--;
          break;
        }
        int itemtype = item < 0 ? map_.buckets[size_t(-1 - item)]->type : 0;
        if (itemtype != type) {
          if (item >= 0) {
            out[rep] = kItemNone;
            if (out2) out2[rep] = kItemNone;
            left--;
            break;
          }
          in = map_.buckets[size_t(-1 - item)].get();
          continue;
        }
        bool collide = false;
        for (int i = outpos; i < endpos; i++) {
          if (out[i] == item) {
            collide = true;
            break;
          }
        }
        if (collide) break;
        if (recurse_to_leaf) {
          if (item < 0) {
            ChooseIndep<kProfile>(map_.buckets[size_t(-1 - item)].get(), weight, weight_max, x, 1, numrep, 0, out2, rep,
                        recurse_tries, 0, 0, nullptr, r, choose_args);
            if (out2[rep] == kItemNone) break;
          } else {
            out2[rep] = item;
          }
        }
        if (itemtype == 0 && IsOut(weight, weight_max, item, x)) break;
        out[rep] = item;
        left--;
        break;
      }
    }
  }
  for (int rep = outpos; rep < endpos; rep++) {
    if (out[rep] == kItemUndef) out[rep] = kItemNone;
    if (out2 && out2[rep] == kItemUndef) out2[rep] = kItemNone;
  }
  CountTries<kProfile>(ftotal);
}

template <bool kProfile>
int Mapper::DoRuleWith(int ruleno, int x, int32_t* result, int result_max, const uint32_t* weight, int weight_max,
                       const std::vector<ChooseArg>* choose_args_vec) {
  if (ruleno < 0 || size_t(ruleno) >= map_.rules.size() || !map_.rules[size_t(ruleno)] || result_max <= 0) return 0;
  const Rule& rule = *map_.rules[size_t(ruleno)];
  const ChooseArg* choose_args = choose_args_vec && !choose_args_vec->empty() ? choose_args_vec->data() : nullptr;
  stamp_++;
  if (scratch_.size() < size_t(result_max) * 3) scratch_.resize(size_t(result_max) * 3);
  int32_t* w = scratch_.data();
  int32_t* o = w + result_max;
  int32_t* c = o + result_max;
  int wsize = 0;
  int result_len = 0;
  // choose_total_tries counted retries, not tries: Ceph adds one.
  unsigned choose_tries = map_.choose_total_tries + 1;
  unsigned choose_leaf_tries = 0;
  unsigned local_retries = map_.choose_local_tries;
  unsigned local_fallback_retries = map_.choose_local_fallback_tries;
  unsigned vary_r = map_.chooseleaf_vary_r;
  unsigned stable = map_.chooseleaf_stable;
  const int max_buckets = map_.max_buckets();

  for (const Step& step : rule.steps) {
    bool firstn = false;
    switch (step.op) {
      case kTake:
        if ((step.arg1 >= 0 && step.arg1 < map_.max_devices) ||
            (step.arg1 < 0 && -1 - int64_t(step.arg1) < max_buckets && map_.buckets[size_t(-1 - step.arg1)])) {
          w[0] = step.arg1;
          wsize = 1;
        }
        break;
      case kSetChooseTries:
        if (step.arg1 > 0) choose_tries = unsigned(step.arg1);
        break;
      case kSetChooseleafTries:
        if (step.arg1 > 0) choose_leaf_tries = unsigned(step.arg1);
        break;
      case kSetChooseLocalTries:
        if (step.arg1 >= 0) local_retries = unsigned(step.arg1);
        break;
      case kSetChooseLocalFallbackTries:
        if (step.arg1 >= 0) local_fallback_retries = unsigned(step.arg1);
        break;
      case kSetChooseleafVaryR:
        if (step.arg1 >= 0) vary_r = unsigned(step.arg1);
        break;
      case kSetChooseleafStable:
        if (step.arg1 >= 0) stable = unsigned(step.arg1);
        break;
      case kChooseleafFirstn:
      case kChooseFirstn:
        firstn = true;
        [[fallthrough]];
      case kChooseleafIndep:
      case kChooseIndep: {
        if (wsize == 0) break;
        int recurse_to_leaf = step.op == kChooseleafFirstn || step.op == kChooseleafIndep;
        int osize = 0;
        for (int i = 0; i < wsize; i++) {
          int numrep = step.arg1;
          if (numrep <= 0) {
            numrep = int(unsigned(numrep) + unsigned(result_max));
            if (numrep <= 0) continue;
          }
          int64_t bno = -1 - int64_t(w[i]);
          if (bno < 0 || bno >= max_buckets || !map_.buckets[size_t(bno)]) continue;
          const Bucket* b = map_.buckets[size_t(bno)].get();
          if (firstn) {
            unsigned recurse_tries = choose_leaf_tries ? choose_leaf_tries : map_.chooseleaf_descend_once ? 1 : choose_tries;
            osize += ChooseFirstn<kProfile>(b, weight, weight_max, x, numrep, step.arg2, o + osize, 0, result_max - osize,
                                  choose_tries, recurse_tries, local_retries, local_fallback_retries, recurse_to_leaf,
                                  vary_r, stable, c + osize, 0, choose_args);
          } else {
            int out_size = numrep < result_max - osize ? numrep : result_max - osize;
            ChooseIndep<kProfile>(b, weight, weight_max, x, out_size, numrep, step.arg2, o + osize, 0, choose_tries,
                        choose_leaf_tries ? choose_leaf_tries : 1, recurse_to_leaf, c + osize, 0, choose_args);
            osize += out_size;
          }
        }
        if (recurse_to_leaf) std::memcpy(o, c, size_t(osize) * sizeof(*o));
        int32_t* tmp = o;
        o = w;
        w = tmp;
        wsize = osize;
        break;
      }
      case kEmit:
        for (int i = 0; i < wsize && result_len < result_max; i++) result[result_len++] = w[i];
        wsize = 0;
        break;
      default:
        break;
    }
  }
  return result_len;
}

int Mapper::DoRule(int ruleno, int x, int32_t* result, int result_max, const uint32_t* weight, int weight_max,
                   const std::vector<ChooseArg>* choose_args) {
  return profile_ ? DoRuleWith<true>(ruleno, x, result, result_max, weight, weight_max, choose_args)
                  : DoRuleWith<false>(ruleno, x, result, result_max, weight, weight_max, choose_args);
}

}  // namespace hakit::crush
