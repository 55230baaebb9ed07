#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: every layer of issue 6's benchmark, then the tables.
#
#   userspace  the allocator sources built -O2 against the shim
#              (tools/testing/bench): instructions per op under callgrind,
#              net of the harness, and ns per op natively, beside glibc
#              malloc and jemalloc; the smallest pool each workload fits in;
#              random-churn at pool sizes 1 MiB .. 1 GiB; 4 KiB records
#              through the FIFO against memcpy
#   kernel     Debian's kernel in QEMU (scripts/qemu_bench.sh) with the
#              benchmark module (bench/allocpools_bench.c) beside kmalloc,
#              a kmem_cache, mempool, gen_pool, kfifo and alloc_pages: one
#              boot on two vCPUs for ns per op; BENCH_THREAD_BOOTS more
#              (default 5: TCG wall time is noisy, the report takes the
#              median) for 1, 2 and 4 threads sharing a pool (run=threads)
#              and a producer and a consumer on two CPUs (run=spsc); one
#              with -icount shift=0 for guest instructions per op and,
#              in the same boot, each call timed alone (run=worst): the
#              quantiles and max of instructions per alloc, free, push
#              and shift
#
# The raw figures go to BENCH_OUT (default
# ${XDG_CACHE_HOME:-~/.cache}/allocpools/bench/; the thread boots' in
# k-threads-N.txt); scripts/bench_report.py prints the tables, checks the
# targets and writes them, with the plots, into BENCHMARKS.md,
# Documentation/bench-scaling.png, Documentation/bench-worst.png and
# Documentation/bench-threads.png.
#
# BENCH_OPS (default 20000) sets the kernel's timed ops per run,
# BENCH_WORST_OPS (default 100000: p99.99 is then the 10th largest call)
# those of run=worst, BENCH_THREAD_OPS (default 200000) those of the
# thread boots (each thread of run=threads does 5x that many ops, and
# run=spsc passes 5x that many records: a run of 20000 took some 50 ms
# of wall time, and one boot's ratio of two threads to one moved between
# 1.1 and 2.4 on rows that measure 1.8 in longer runs); BENCH_LAYERS
# ("userspace kernel" by default) picks layers.  The kernel layer boots
# Debian's 6.1 unless KVER names another: the peers' counts are the
# kernel's own code (6.12's kmalloc and kfifo take 60% more instructions
# than 6.1's here), so runs compare only on one kernel, and the default
# kernel of scripts/kver.sh changes with what is installed.
set -euo pipefail
export KVER=${KVER:-6.1}

top=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_OUT:-${XDG_CACHE_HOME:-$HOME/.cache}/allocpools/bench}
ops=${BENCH_OPS:-20000}
worst_ops=${BENCH_WORST_OPS:-100000}
thread_ops=${BENCH_THREAD_OPS:-200000}
thread_boots=${BENCH_THREAD_BOOTS:-5}
layers=${BENCH_LAYERS:-userspace kernel}
mkdir -p "$out"
"$top/scripts/deps.sh" --bench
make -s -C "$top/tools/testing" bench
bin=$top/tools/testing/build
start=$SECONDS

# callgrind EXE ARGS... -> gross instructions per op of the measured loop
callgrind() {
	valgrind --tool=callgrind --instr-atstart=no \
		--callgrind-out-file="$out/cg.out" "$@" >"$out/cg.stdout" 2>"$out/cg.log" || {
		tail -5 "$out/cg.log" >&2
		echo "bench: $* failed under callgrind" >&2
		return 1
	}
	awk -v ir="$(sed -nE 's/.*Collected : ([0-9]+).*/\1/p' "$out/cg.log")" \
		'{ printf "%.1f\n", ir / $3 }' "$out/cg.stdout"
}

# native EXE ARGS... -> the best ns per op of three runs
native() {
	local i best=
	for i in 1 2 3; do
		best=$( { "$@" | awk '{ print $4 }'; echo "$best"; } | sort -g | grep . | head -1)
	done
	echo "$best"
}

userspace() {
	local w a exe alloc base gross ns mib
	: >"$out/us-ir.txt"
	for w in lifo64 fifo-mixed random-churn pow2-churn; do
		base=$(callgrind "$bin/bench" "$w" none 20)
		for a in glibc jemalloc buddy bget-ff bget-bf bump_slab bump_slab-buddy \
			bget-ff-pcp bget-bf-pcp bump_slab-buddy-pcp fifo fifo-spsc; do
			exe=$bin/bench alloc=$a
			case $a in
			glibc) alloc=malloc ;;
			jemalloc) exe=$bin/bench-jemalloc alloc=malloc ;;
			fifo | fifo-spsc) [ "$w" = fifo-mixed ] || continue ;;
			esac
			gross=$(callgrind "$exe" "$w" "$alloc" 20)
			ns=$(native "$exe" "$w" "$alloc" 200)
			# the FIFO's push+shift has no alloc/free harness to remove
			[ "${a%-spsc}" = fifo ] && net=$gross || net=$(awk -v g="$gross" -v b="$base" 'BEGIN { print g - b }')
			echo "$w $a $net $gross $ns" | tee -a "$out/us-ir.txt"
		done
	done

	: >"$out/us-mem.txt"
	for w in random-churn pow2-churn; do
		for a in buddy bget-ff bget-bf bump_slab bump_slab-buddy \
			bget-bf-pcp bump_slab-buddy-pcp; do
			"$bin/bench" mem "$w" "$a" | tee -a "$out/us-mem.txt"
		done
	done

	: >"$out/us-scale.txt"
	for mib in 1 4 16 64 256 1024; do
		base=$(callgrind "$bin/bench" random-churn none 20 "$mib")
		for a in buddy bget-ff bget-bf bump_slab bump_slab-buddy; do
			gross=$(callgrind "$bin/bench" random-churn "$a" 20 "$mib")
			echo "$mib $a $(awk -v g="$gross" -v b="$base" 'BEGIN { print g - b }')" |
				tee -a "$out/us-scale.txt"
		done
	done

	: >"$out/us-fifo4k.txt"
	for a in fifo memcpy; do
		echo "$a $(native "$bin/bench" fifo-4k "$a" 200)" | tee -a "$out/us-fifo4k.txt"
	done
}

kernel() {
	local b t

	t=$SECONDS
	"$top/scripts/qemu_bench.sh" time "$ops" ops | tee "$out/k-time.txt"
	echo "=== bench: time boot in $((SECONDS - t)) s"
	rm -f "$out"/k-threads-*.txt
	for b in $(seq "$thread_boots"); do
		t=$SECONDS
		"$top/scripts/qemu_bench.sh" time "$thread_ops" threads spsc |
			tee "$out/k-threads-$b.txt"
		echo "=== bench: thread boot $b of $thread_boots in $((SECONDS - t)) s"
	done
	t=$SECONDS
	"$top/scripts/qemu_bench.sh" icount "$ops" ops scale "worst:$worst_ops" |
		tee "$out/k-icount.txt"
	echo "=== bench: icount boot in $((SECONDS - t)) s"
}

for l in $layers; do
	echo "=== bench: $l"
	"$l"
done
echo "=== bench: measured in $((SECONDS - start)) s"
exec python3 "$top/scripts/bench_report.py" "$out" "$top"
