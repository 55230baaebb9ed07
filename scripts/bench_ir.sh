#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_ir.sh WORKLOAD ALLOCATOR [ROUNDS [POOL_MIB]]: the allocator's own instructions
# per op under callgrind, net of the harness ("none", measured the same
# way).  Needs tools/testing/build/bench (make -C tools/testing bench).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/tools/testing/build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ir() {	# ir EXE WORKLOAD ALLOCATOR ROUNDS POOL -> instructions per op, gross
	valgrind --tool=callgrind --instr-atstart=no \
		--callgrind-out-file="$tmp/cg.out" "$1" "$2" "$3" "$4" "$5" \
		>"$tmp/out" 2>"$tmp/log" || { cat "$tmp/log" >&2; return 1; }
	awk -v ir="$(sed -nE 's/.*Collected : ([0-9]+).*/\1/p' "$tmp/log")" \
		'{ printf "%.1f\n", ir / $3 }' "$tmp/out"
}

w=$1 a=$2 rounds=${3:-20} pool=${4:-256} exe=$bin/bench
case $a in
glibc) a=malloc ;;
jemalloc) exe=$bin/bench-jemalloc a=malloc ;;
esac
gross=$(ir "$exe" "$w" "$a" "$rounds" "$pool")
if [ "$a" = fifo ] || [ "$a" = fifo-spsc ]; then
	base=0	# push+shift has no indirect-call harness to subtract
else
	base=$(ir "$bin/bench" "$w" none "$rounds" "$pool")
fi
awk -v g="$gross" -v b="$base" 'BEGIN { printf "%.0f %.0f\n", g - b, g }'
