#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.sh BUILD NAME:SEEDS...: run each libFuzzer target BUILD/NAME for
# FUZZ_SECONDS seconds (default 60), FUZZ_JOBS of them at a time (default
# the number of CPUs).  tools/testing's "make fuzz" calls it with every
# target in FUZZERS and its committed seed corpus, <dir>/corpus.
#
# Each target works in its own corpus under the cache,
# ${XDG_CACHE_HOME:-~/.cache}/allocpools/fuzz/NAME, which keeps what it
# found for the next run; the committed seeds are read, never written
# (libFuzzer writes new inputs to the first corpus directory only), and may
# be missing or empty.  A crash, leak, timeout (an input running past
# FUZZ_TIMEOUT seconds, default 25) or out-of-memory is saved under
# fuzz/crashes/NAME/ with its path printed.  Ends with
# "fuzz: N passed, N failed"; exits non-zero if any target failed.
set -uo pipefail

if [ $# -lt 2 ]; then
	echo "usage: fuzz.sh BUILD NAME:SEEDS..." >&2
	exit 2
fi
build=$1
shift
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc)}
per_input=${FUZZ_TIMEOUT:-25}
case "$secs$jobs$per_input" in
*[!0-9]*) echo "fuzz: FUZZ_SECONDS, FUZZ_JOBS and FUZZ_TIMEOUT are whole numbers" >&2; exit 2 ;;
esac
[ "$jobs" -ge 1 ] || jobs=1
cache=${XDG_CACHE_HOME:-$HOME/.cache}/allocpools/fuzz
mkdir -p "$cache"

# one NAME SEEDS: fuzz one target; its verdict is its exit code, its
# report the last lines of its log.
one() {
	local name=$1 seeds=$2 work=$cache/$1 crashes=$cache/crashes/$1
	local log=$cache/$1.log dirs rc
	mkdir -p "$work" "$crashes"
	dirs=("$work")
	# An empty or missing seed corpus is allowed: libFuzzer starts from
	# an empty input.
	if [ -d "$seeds" ] && [ -n "$(ls -A "$seeds" 2>/dev/null)" ]; then
		dirs+=("$seeds")
	fi
	# Past its own -max_total_time, a target that does not stop (one
	# input stuck in a loop that -timeout cannot interrupt) is killed.
	timeout -k 10 $((secs + per_input + 120)) \
		"$build/$name" -max_total_time="$secs" -max_len=4096 \
		-timeout="$per_input" -artifact_prefix="$crashes/" \
		-print_final_stats=1 "${dirs[@]}" >"$log" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		echo "PASS: fuzz $name ($secs s, $(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" |
			grep -oE '[0-9]+$' || echo '?') runs, corpus $(ls "$work" | wc -l) files)"
	else
		echo "FAIL: fuzz $name (exit $rc; log: $log)"
		grep -E '^==[0-9]+==ERROR|SUMMARY:|ALARM|out-of-memory|Test unit written to' "$log" |
			head -n 10 | sed 's/^/    /'
		[ $rc = 124 ] && echo "    did not stop within $((secs + per_input + 120)) s: killed"
	fi
	return $rc
}

echo "fuzz: ${#} target(s), $secs s each, $jobs at a time; corpora and crashes under $cache"
pids=() passed=0 failed=0
# reap: wait for any one running target and count it.
reap() {
	local i pid
	wait -n -p pid
	local rc=$?
	for i in "${!pids[@]}"; do
		if [ "${pids[$i]}" = "$pid" ]; then
			unset "pids[$i]"
			if [ $rc = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
			return
		fi
	done
}
for spec in "$@"; do
	name=${spec%%:*}
	seeds=${spec#*:}
	if [ ! -x "$build/$name" ]; then
		echo "FAIL: fuzz $name (no $build/$name)"
		failed=$((failed + 1))
		continue
	fi
	while [ ${#pids[@]} -ge "$jobs" ]; do reap; done
	one "$name" "$seeds" &
	pids+=($!)
done
while [ ${#pids[@]} -gt 0 ]; do reap; done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
