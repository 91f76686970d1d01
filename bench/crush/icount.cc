// Instruction-count contender: maps x = 0..COUNT-1 with the hakit mapper (the same C++ the
// addon runs, without Node) so valgrind --tool=callgrind can count its instructions per
// mapping against crushtool's. Built and driven by icount.sh.
// Usage: icount MAP.bin RULE NUMREP COUNT
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include "crush/crush_map.h"
#include "crush/mapper.h"

using namespace hakit::crush;

int main(int argc, char** argv) {
  if (argc != 5) return 2;
  std::ifstream file(argv[1], std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  DecodeError error{"", 0};
  auto map = DecodeMap(bytes.data(), bytes.size(), &error);
  if (!map) return 1;
  const int rule = atoi(argv[2]), numrep = atoi(argv[3]), count = atoi(argv[4]);
  std::vector<uint32_t> weights(size_t(map->max_devices), 0x10000);
  std::vector<int32_t> out(static_cast<size_t>(numrep));
  Mapper mapper(*map);
  uint64_t digest = 0;  // printed so the work cannot be optimised away
  for (int x = 0; x < count; x++) {
    int n = mapper.DoRule(rule, x, out.data(), numrep, weights.data(), map->max_devices, nullptr);
    for (int i = 0; i < n; i++) digest = digest * 31 + uint32_t(out[size_t(i)]);
  }
  printf("%llu\n", static_cast<unsigned long long>(digest));
  return 0;
}
