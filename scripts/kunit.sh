#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the allocpools KUnit suites with kunit.py from the cached
# linux-source-6.1 tree (scripts/ksrc.sh).  The project's kernel sources are
# copied to drivers/misc/allocpools/ in that tree (one line each in
# drivers/misc/Makefile and Kconfig) and built with O= under the cache.
#
#   kunit.sh                  UML
#   kunit.sh --arch=x86_64    QEMU -smp 2 (CONFIG_SMP) with KASAN (+vmalloc),
#                             lockdep, kmemleak, UBSAN, atomic-sleep and list
#                             debugging
#
# Ends with "kunit-<arch>: N passed, N failed, N skipped"; a kernel log line
# from a sanitizer, lockdep or WARN counts as one more failure.
set -euo pipefail

arch=um
for a in "$@"; do
	case $a in
	--arch=*) arch=${a#--arch=} ;;
	*) echo "kunit.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/allocpools
"$top/scripts/deps.sh"
ksrc=$("$top/scripts/ksrc.sh")

# One run at a time: all runs share the source tree they copy into.
mkdir -p "$cache"
exec 9>"$cache/kunit.lock"
flock 9

# By content, with fresh mtimes for what changed: kbuild must rebuild any
# object whose source differs from the last run's, whatever its mtime.
dst=$ksrc/drivers/misc/allocpools
mkdir -p "$dst"
rsync -rl --checksum --delete --prune-empty-dirs \
	--exclude '/tools/' --exclude '/samples/' --exclude '/Documentation/' \
	--exclude '/scripts/' --exclude '/bench/' --exclude '.git/' --exclude '*.mod.c' \
	--include '*/' --include '*.c' --include '*.h' --include 'Kbuild' \
	--include 'Kconfig' --include '.kunitconfig' --exclude '*' \
	"$top/" "$dst/"
grep -q 'allocpools/' "$ksrc/drivers/misc/Makefile" ||
	echo 'obj-$(CONFIG_ALLOCPOOLS)		+= allocpools/' >>"$ksrc/drivers/misc/Makefile"
grep -q 'drivers/misc/allocpools/Kconfig' "$ksrc/drivers/misc/Kconfig" ||
	sed -i '$ s|^endmenu$|source "drivers/misc/allocpools/Kconfig"\nendmenu|' \
		"$ksrc/drivers/misc/Kconfig"

build=$cache/kunit-$arch
mkdir -p "$build"
json=$build/results.json
rm -f "$json"
args=(run --kunitconfig=drivers/misc/allocpools/kunit --build_dir="$build"
      --jobs="$(nproc)" --timeout=1500 --json="$json")
if [ "$arch" != um ]; then
	args+=(--arch="$arch" --qemu_args='-smp 2 -m 2048')
	# kunit.py's x86_64 config has no SMP: without it -smp 2 is one CPU.
	for c in SMP DEBUG_KERNEL KASAN KASAN_GENERIC KASAN_VMALLOC PROVE_LOCKING \
		 DEBUG_KMEMLEAK UBSAN DEBUG_ATOMIC_SLEEP DEBUG_LIST; do
		args+=(--kconfig_add "CONFIG_$c=y")
	done
fi

cd "$ksrc"
rc=0
python3 tools/testing/kunit/kunit.py "${args[@]}" >"$build/kunit.out" 2>&1 || rc=$?
grep -E '^\[..:..:..\] ' "$build/kunit.out" | grep -vE '^\[..:..:..\] (Elapsed|Populating|Building|Starting)' | tail -n 400 || true
exec python3 "$top/scripts/kunit_count.py" "$arch" "$json" "$build/test.log" "$rc"
