// libFuzzer target: arbitrary bytes through the binary map decoder, and every map it accepts
// through the mapper (all rules, a few inputs, firstn and indep sizes, with and without
// choose_args and reweights). The decoder must reject what it cannot map safely; ASan/UBSan
// catch any read it should have refused. Tries are capped so that a hostile map cannot make
// one input run for minutes (Ceph would loop just as long).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "crush/builder.h"
#include "crush/crush_map.h"
#include "crush/mapper.h"

using namespace hakit::crush;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  DecodeError error{"", 0};
  auto map = DecodeMap(data, size, &error);
  if (!map) {
    if (error.offset > size) __builtin_trap();  // an error must point inside the input
    return 0;
  }
  if (map->choose_total_tries > 8) map->choose_total_tries = 8;
  if (map->choose_local_tries > 2) map->choose_local_tries = 2;
  if (map->choose_local_fallback_tries > 2) map->choose_local_fallback_tries = 2;
  // Keep one input cheap: the mapper's cost grows with bucket size x tries x steps, and a
  // hostile map can make that astronomically large (in Ceph as well).
  if (map->max_bucket_size > 32 || map->buckets.size() > 64) return 0;
  for (auto& rule : map->rules) {
    if (!rule) continue;
    if (rule->steps.size() > 12) rule->steps.resize(12);
    for (auto& step : rule->steps)
      if ((step.op == kSetChooseTries || step.op == kSetChooseleafTries || step.op == kSetChooseLocalTries ||
           step.op == kSetChooseLocalFallbackTries) && step.arg1 > 8)
        step.arg1 = 8;
    // firstn loops up to numrep times even when every attempt fails
    for (auto& step : rule->steps)
      if ((step.op == kChooseFirstn || step.op == kChooseIndep || step.op == kChooseleafFirstn || step.op == kChooseleafIndep) && step.arg1 > 16)
        step.arg1 = 16;
  }
  Mapper mapper(*map);
  std::vector<uint32_t> weights(size_t(map->max_devices > 4096 ? 4096 : map->max_devices), 0x10000);
  for (size_t i = 0; i < weights.size(); i += 3) weights[i] = uint32_t(i * 7919) & 0x1ffff;
  int32_t out[16];
  for (size_t r = 0; r < map->rules.size() && r < 8; r++) {
    for (int x = 0; x < 3; x++) {
      for (int numrep : {1, 3, 6}) {
        mapper.DoRule(int(r), x * 7777, out, numrep, weights.data(), int(weights.size()), nullptr);
        for (auto& args : map->choose_args) mapper.DoRule(int(r), x, out, numrep, weights.data(), int(weights.size()), &args.second);
      }
    }
  }
  // The straw (v1) calculation on the decoded weights must not misbehave either.
  for (auto& b : map->buckets)
    if (b && b->alg == kStraw && b->item_weights.size() < 256) CalcStraws(b->item_weights, map->straw_calc_version);
  return 0;
}
