#!/usr/bin/env bash
# Instructions per mapping, hakit's mapper vs crushtool, counted by valgrind (repeatable on a
# loaded machine, unlike wall time): (Ir(N + 5000 x) - Ir(N x)) / 5000 for both contenders.
# Usage: bench/crush/icount.sh MAP.bin RULE NUMREP      (needs g++, valgrind, crushtool)
set -euo pipefail
map=$1 rule=$2 numrep=$3 small=1000 large=6000
here=$(cd "$(dirname "$0")" && pwd)
native=$here/../../native
bin=$(mktemp -d)/icount
trap 'rm -rf "$(dirname "$bin")"' EXIT
g++ -O3 -std=c++20 -I"$native" "$here/icount.cc" "$native"/crush/{mapper,crush_map,hash,builder}.cc -o "$bin"
ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
ct() { ir crushtool -i "$map" --test --rule "$rule" --num-rep "$numrep" --min-x 0 --max-x $(($1 - 1)); }
hk() { ir "$bin" "$map" "$rule" "$numrep" "$1"; }
c=$(( ($(ct $large) - $(ct $small)) / (large - small) ))
h=$(( ($(hk $large) - $(hk $small)) / (large - small) ))
echo "$(basename "$map") rule $rule numrep $numrep: crushtool $c, hakit $h instructions/mapping, ratio $(awk "BEGIN{printf \"%.2f\", $c/$h}")x"
