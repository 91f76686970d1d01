// Map-building arithmetic that must match Ceph bit for bit and depends on libm: the straw (v1)
// lengths of crush_calc_straw (Ceph src/crush/builder.c), for straw_calc_version 0 and >= 1.
#pragma once
#include <cstdint>
#include <vector>

namespace hakit::crush {

std::vector<uint32_t> CalcStraws(const std::vector<uint32_t>& weights, int straw_calc_version);

}  // namespace hakit::crush
