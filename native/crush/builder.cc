// crush_calc_straw, reproduced from Ceph's builder.c semantics: sort ascending (stable
// insertion), give the lightest item straw 1.0 and scale each heavier group by
// pow(1/pbelow, 1/numleft). Version 0 keeps its historic handling of equal weights; the
// unsigned product numleft * (w[i] - w[i-1]) wraps exactly as the C code does.
#include "crush/builder.h"

#include <cmath>

namespace hakit::crush {

std::vector<uint32_t> CalcStraws(const std::vector<uint32_t>& weights, int straw_calc_version) {
  const int size = int(weights.size());
  std::vector<uint32_t> straws(weights.size(), 0);
  std::vector<int> reverse(weights.size(), 0);
  for (int i = 1; i < size; i++) {
    int j;
    for (j = 0; j < i; j++) {
      if (weights[i] < weights[reverse[j]]) {
        for (int k = i; k > j; k--) reverse[k] = reverse[k - 1];
        reverse[j] = i;
        break;
      }
    }
    if (j == i) reverse[i] = i;
  }
  int numleft = size;
  double straw = 1.0, wbelow = 0, lastw = 0, wnext, pbelow;
  int i = 0;
  while (i < size) {
    if (straw_calc_version == 0) {
      if (weights[reverse[i]] == 0) {
        straws[reverse[i]] = 0;
        i++;
        continue;
      }
      straws[reverse[i]] = uint32_t(straw * 0x10000);
      i++;
      if (i == size) break;
      if (weights[reverse[i]] == weights[reverse[i - 1]]) continue;
      wbelow += (double(weights[reverse[i - 1]]) - lastw) * numleft;
      for (int j = i; j < size; j++) {
        if (weights[reverse[j]] == weights[reverse[i]]) numleft--;
        else break;
      }
      wnext = double(uint32_t(unsigned(numleft) * (weights[reverse[i]] - weights[reverse[i - 1]])));
      pbelow = wbelow / (wbelow + wnext);
      straw *= std::pow(1.0 / pbelow, 1.0 / double(numleft));
      lastw = weights[reverse[i - 1]];
    } else {
      if (weights[reverse[i]] == 0) {
        straws[reverse[i]] = 0;
        i++;
        numleft--;
        continue;
      }
      straws[reverse[i]] = uint32_t(straw * 0x10000);
      i++;
      if (i == size) break;
      wbelow += (double(weights[reverse[i - 1]]) - lastw) * numleft;
      numleft--;
      wnext = double(uint32_t(unsigned(numleft) * (weights[reverse[i]] - weights[reverse[i - 1]])));
      pbelow = wbelow / (wbelow + wnext);
      straw *= std::pow(1.0 / pbelow, 1.0 / double(numleft));
      lastw = weights[reverse[i - 1]];
    }
  }
  return straws;
}

}  // namespace hakit::crush
