#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test layer, each printing its own result, then one line
# "N passed, N failed, N skipped" summing them.  A layer that cannot run,
# or that ends without its own count, counts as one failure, never a pass.
#
#   build       allocpools.ko, the sample and stress clients and the bench
#               module against the headers of each of Debian's kernels,
#               6.1, 6.12 and 6.12-rt; a compiler or modpost warning fails
#   dkms        dkms add, build, install, modinfo, remove (dkms_test.sh)
#   checkpatch  scripts/checkpatch.pl --strict on every C file and header
#   htmldocs    Documentation/ built warning-free, every export documented
#   userspace   model tests and fuzzers under ASan/UBSan (tools/testing)
#   kunit-um    the KUnit suites under kunit.py on UML (linux-source-6.1)
#   kunit-x86_64  the same in QEMU -smp 2 with KASAN, lockdep, kmemleak
#               (scanned after the suites), UBSAN
#   kunit-x86_64-6.12-rt  linux-source-6.12 in QEMU -smp 2 with PREEMPT_RT,
#               lockdep with raw-lock nesting checks, atomic-sleep checks
#               and kmemleak
#   kunit-x86_64-kcsan  linux-source-6.12 in QEMU -smp 2 with KCSAN: a
#               data race whose report names an allocpools function fails
#   qemu-6.1, qemu-6.12, qemu-6.12-rt  each of Debian's kernels in QEMU:
#               insmod, debugfs contents, the stress client (threads and a
#               hard-IRQ timer on every default pool), rmmod; a boot that
#               fails before allocpools is loaded is retried once; qemu-6.12
#               then loads and unloads allocpools and the sample 100 times
#               and checks that vmalloc and slab come back
#
# SKIP_LAYERS="kunit-x86_64 ..." leaves layers out; each one left out is
# counted as skipped.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/qemu_lib.sh
# Debian 12's kernels, as scripts/kver.sh names them.
KERNELS="6.1 6.12 6.12-rt"
logdir=$cache/check
mkdir -p "$logdir"
passed=0 failed=0 skipped=0

# run_layer NAME CMD...: the layer's last "NAME: N passed, N failed[, N
# skipped]" line is its result.
run_layer() {
	local name=$1 log=$logdir/$1.log line rc p f s
	shift
	if [[ " ${SKIP_LAYERS:-} " == *" $name "* ]]; then
		echo "=== $name: skipped (SKIP_LAYERS)"
		skipped=$((skipped + 1))
		return
	fi
	echo "=== $name"
	local start=$SECONDS
	# No "|| true" here: it would replace PIPESTATUS when grep matches
	# nothing, and the layer's own exit code would be lost.
	"$@" 2>&1 | tee "$log" | grep -E '^(FAIL|kernel log|kcsan:|cycles: ([0-9]+ in|unreclaimable)|qemu[-:]|kunit-|userspace:|checkpatch:|build:)|^\[..:..:..\] .*(FAILED|CRASHED|Testing complete)|: [0-9]+ passed'
	rc=${PIPESTATUS[0]}
	line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$name: no result line (exit $rc); last lines of $log:"
		tail -n 30 "$log"
		failed=$((failed + 1))
		return
	fi
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.*, ([0-9]+) failed.*/\1/' <<<"$line")
	s=0
	[[ $line == *skipped* ]] && s=$(sed -E 's/.*, ([0-9]+) skipped.*/\1/' <<<"$line")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "$name: exited $rc with no failure counted: one failure"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	echo "    ($name took $((SECONDS - start)) s)"
}

# Each kernel's build goes where its QEMU layer will find it (qemu_lib.sh).
build_layer() {
	local v ok=0 bad=0
	for v in $KERNELS; do
		if kver=$(scripts/kver.sh "$v") &&
		   kdir=$(scripts/kver.sh --kdir "$kver") &&
		   qemu_build "$cache/qemu/$kver"; then
			echo "build: $v ($kver) without warnings"
			ok=$((ok + 1))
		else
			echo "FAIL: build against $v"
			bad=$((bad + 1))
		fi
	done
	echo "build: $ok passed, $bad failed"
	[ $bad = 0 ]
}

if ! scripts/deps.sh; then
	echo "deps: cannot install what the tests need"
	echo "0 passed, 1 failed"
	exit 1
fi

run_layer build build_layer
run_layer dkms scripts/dkms_test.sh
run_layer checkpatch scripts/checkpatch.sh
run_layer htmldocs scripts/htmldocs.sh
run_layer userspace make -s -C tools/testing check
run_layer kunit-um scripts/kunit.sh
run_layer kunit-x86_64 scripts/kunit.sh --arch=x86_64
run_layer kunit-x86_64-6.12-rt scripts/kunit.sh --arch=x86_64 --kernel=6.12-rt
run_layer kunit-x86_64-kcsan scripts/kunit.sh --arch=x86_64 --kernel=kcsan
# The 100 load/unload cycles (a minute under TCG) on one kernel only: the
# three share the module's code, and warm make check stays under 15 min.
for v in $KERNELS; do
	cycles=0
	[ "$v" = 6.12 ] && cycles=100
	run_layer "qemu-$v" env LAYER="qemu-$v" KVER="$v" QEMU_CYCLES=$cycles \
		scripts/qemu.sh test
done

echo
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
