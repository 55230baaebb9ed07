#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, userspace layer: every workload on every allocator beside
# glibc malloc and jemalloc, as ns/op (native, noisy) and as instructions
# per op under callgrind (deterministic: quote these).  One op is one
# alloc+free pair, or one push+shift for the FIFO queue.
#
# The in-kernel layer of issue 6 (a benchmark module under QEMU beside
# kmalloc, kmem_cache, mempool, gen_pool, kfifo and alloc_pages) is not
# written yet.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh" --bench
make -s -C "$top/tools/testing" bench
bin=$top/tools/testing/build
out=${XDG_CACHE_HOME:-$HOME/.cache}/allocpools/bench
mkdir -p "$out"

workloads="lifo64 fifo-mixed random-churn pow2-churn"
allocators="glibc jemalloc buddy bget-ff bget-bf bump_slab fifo"

measure() {	# measure WORKLOAD ALLOCATOR -> "ns/op Ir/op"
	local w=$1 a=$2 exe=$bin/bench alloc=$2 ns ir ops
	case $a in
	glibc) alloc=malloc ;;
	jemalloc) exe=$bin/bench-jemalloc alloc=malloc ;;
	fifo) [ "$w" = fifo-mixed ] || { echo "- -"; return; } ;;
	esac
	ns=$("$exe" "$w" "$alloc" 200 | awk '{print $4}')
	valgrind --tool=callgrind --instr-atstart=no \
		--callgrind-out-file="$out/cg.out" "$exe" "$w" "$alloc" 20 \
		>"$out/cg.stdout" 2>"$out/cg.log"
	ops=$(awk '{print $3}' "$out/cg.stdout")
	ir=$(grep -E 'Collected : [0-9]+' "$out/cg.log" | sed -E 's/.*Collected : ([0-9]+).*/\1/')
	echo "$ns $(awk -v ir="$ir" -v ops="$ops" 'BEGIN { printf "%.0f", ir / ops }')"
}

{
	echo "| workload | $(echo $allocators | sed 's/ / | /g') |"
	echo "|---|$(for a in $allocators; do printf -- '---|'; done)"
	for w in $workloads; do
		row="| $w |"
		for a in $allocators; do
			read -r ns ir < <(measure "$w" "$a")
			row+=" $ir ($ns ns) |"
		done
		echo "$row"
	done
} | tee "$out/userspace.md"
echo
echo "Each cell: instructions per op under callgrind (ns per op natively)."
