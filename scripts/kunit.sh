#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the allocpools KUnit suites from a cached, extracted Debian kernel
# source tree (scripts/ksrc.sh).  The project's kernel sources are copied to
# drivers/misc/allocpools/ in that tree (one line each in
# drivers/misc/Makefile and Kconfig) and built with O= under the cache.
#
#   kunit.sh                  linux-source-6.1 on UML (kunit.py run)
#   kunit.sh --arch=x86_64    linux-source-6.1 in QEMU -smp 2 (CONFIG_SMP)
#                             with KASAN (+vmalloc), lockdep, kmemleak, UBSAN,
#                             atomic-sleep and list debugging, and fault
#                             injection for allocpools_faults
#   kunit.sh --arch=x86_64 --kernel=6.12-rt
#                             linux-source-6.12 in QEMU -smp 2 with
#                             PREEMPT_RT, lockdep with raw-lock nesting
#                             checks, atomic-sleep debugging and kmemleak
#   kunit.sh --arch=x86_64 --kernel=kcsan
#                             linux-source-6.12 in QEMU -smp 2 with KCSAN
#                             (interruptible watchers on), no KASAN
#
# On x86_64 kunit.py only builds the kernel: it boots here, with a busybox
# initramfs whose /init (run after the built-in suites) asks kmemleak for a
# scan and prints its report before rebooting, which kunit.py alone never
# does; kunit.py parse then reads the suites' KTAP from the console log.
#
# Ends with "<layer>: N passed, N failed, N skipped", the layer being
# kunit-um, kunit-x86_64, kunit-x86_64-6.12-rt or kunit-x86_64-kcsan; a
# kernel log line from a sanitizer (KCSAN's data-race reports included),
# lockdep, kmemleak, atomic-sleep check or WARN counts as one more failure,
# as do fewer than 2 CPUs or a missing kmemleak scan on x86_64 (the KCSAN
# kernel has no kmemleak).
#
# Each source tree has its own lock and each layer its own build directory
# (kunit-um, kunit-x86_64, kunit-6.12-rt-x86_64, kunit-kcsan-x86_64 in the
# cache).
set -euo pipefail

arch=um
kernel=6.1
for a in "$@"; do
	case $a in
	--arch=*) arch=${a#--arch=} ;;
	--kernel=*) kernel=${a#--kernel=} ;;
	*) echo "kunit.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done
case $arch/$kernel in
um/6.1 | x86_64/6.1) src=6.1 layer=kunit-$arch build_name=kunit-$arch ;;
x86_64/6.12-rt)
	src=6.12 layer=kunit-x86_64-6.12-rt build_name=kunit-6.12-rt-x86_64 ;;
# KCSAN on 6.12, not 6.1: 6.12's KCSAN has three more years of fixes for
# GCC's instrumentation, and the 6.12 tree's lock is shared only with the
# RT layer, while the 6.1 lock is taken by every engineer's UML run, which
# a cold KCSAN build would hold off for its whole length.
x86_64/kcsan)
	src=6.12 layer=kunit-x86_64-kcsan build_name=kunit-kcsan-x86_64 ;;
*) echo "kunit.sh: no layer for --arch=$arch --kernel=$kernel" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/allocpools
"$top/scripts/deps.sh"
ksrc=$("$top/scripts/ksrc.sh" "$src")

# One run per source tree at a time: runs share the tree they copy into.
# The 6.1 lock keeps its old name, so older checkouts still exclude us.
mkdir -p "$cache"
if [ "$src" = 6.1 ]; then lock=$cache/kunit.lock; else lock=$cache/kunit-$src.lock; fi
exec 9>"$lock"
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

build=$cache/$build_name
mkdir -p "$build"
json=$build/results.json
log=$build/test.log
rm -f "$json"
cd "$ksrc"
kunit=(python3 tools/testing/kunit/kunit.py)

# UML: kunit.py does it all.  The suites run in some 10 s; a run that
# crashes or hangs (300 s) is run once more, from the same build, with what
# the first printed kept in kunit-first.out: UML has been seen to hang
# once, on a host running eight other builds and boots, in a case that
# passed in every other run (bump_slab_test_free_invalid_unchanged,
# "buddy, foreign", after its refusal was logged).  A crash or hang that
# comes back fails the layer; so does any failed case, which is not rerun.
if [ "$arch" = um ]; then
	rc=0
	"${kunit[@]}" run --kunitconfig=drivers/misc/allocpools/kunit \
		--build_dir="$build" --jobs="$(nproc)" --timeout=300 \
		--json="$json" >"$build/kunit.out" 2>&1 || rc=$?
	if [ $rc != 0 ] && grep -q 'CRASHED' "$build/kunit.out" &&
	   ! grep -qE '^\[..:..:..\] .*\[FAILED\]' "$build/kunit.out"; then
		echo "$layer: the UML kernel crashed or hung; its last lines:"
		grep -vE 'missing expected subtest|^\[..:..:..\] \[CRASHED\] $' \
			"$build/kunit.out" | tail -n 12
		echo "$layer: running the suites once more (a repeat fails)"
		mv "$build/kunit.out" "$build/kunit-first.out"
		rm -f "$json"
		rc=0
		"${kunit[@]}" exec --kunitconfig=drivers/misc/allocpools/kunit \
			--build_dir="$build" --timeout=300 \
			--json="$json" >"$build/kunit.out" 2>&1 || rc=$?
	fi
	grep -E '^\[..:..:..\] ' "$build/kunit.out" |
		grep -vE '^\[..:..:..\] (Elapsed|Populating|Building|Starting)' |
		tail -n 400 || true
	exec python3 "$top/scripts/kunit_count.py" "$layer" "$json" "$log" "$rc"
fi

# x86_64: kunit.py's config has no SMP (without it -smp 2 is one CPU) and
# no initramfs support.
opts=(SMP DEBUG_KERNEL BLK_DEV_INITRD DEBUG_FS DEBUG_KMEMLEAK PROVE_LOCKING
      DEBUG_ATOMIC_SLEEP)
extra=(--kmemleak)
append=
if [ "$kernel" = 6.1 ]; then
	opts+=(KASAN KASAN_GENERIC KASAN_VMALLOC UBSAN DEBUG_LIST)
	# allocpools_faults fails each allocation of create, add_region and
	# growth in turn (fail_nth through failslab and fail_page_alloc).  It
	# runs here, where kmemleak and KASAN see what a failed call leaves;
	# the other kernels report its cases skipped.
	opts+=(FAULT_INJECTION FAILSLAB FAIL_PAGE_ALLOC FAULT_INJECTION_DEBUG_FS)
	# allocpools_kasan expects one KASAN report per bad access; KASAN
	# prints only its first report unless multi-shot is on (the exported
	# switch, kasan_save_enable_multi_shot(), needs KASAN's own tests).
	append+=" kasan_multi_shot"
elif [ "$kernel" = kcsan ]; then
	# Only KCSAN (KASAN excludes it; lockdep and kmemleak would only
	# slow it and are the other layers' job).  KCSAN_STRICT stays off:
	# its reports of plain racy accesses the kernel itself tolerates
	# would drown ours.  The defaults stay too: a race is reported once
	# per 3 s (KCSAN_REPORT_ONCE_IN_MS), only when the watched value
	# changed (KCSAN_REPORT_VALUE_CHANGE_ONLY), which is what makes a
	# race real.  Interruptible watchers are on: allocpools_smp's hrtimer
	# allocates in hard IRQ on the CPU whose task a watchpoint delays.
	opts=(SMP DEBUG_KERNEL BLK_DEV_INITRD DEBUG_FS KCSAN
	      KCSAN_INTERRUPT_WATCHER)
	extra=()
	# KCSAN sets a watchpoint on one access in KCSAN_SKIP_WATCH
	# (randomized).  With its default, 4000, over the suites' few
	# thousand operations per thread it missed a plain counter that
	# allocpools_smp's two workers incremented on purpose; with 200 it
	# reported it.  A watchpoint costs an 80 us delay: 200 makes the
	# boot about three times longer (100 s to 300 s here under load).
	append+=" kcsan.skip_watch=${KCSAN_SKIP_WATCH:-200}"
else
	# PREEMPT_RT needs EXPERT.  No KASAN: the point here is the lock
	# types, and the 6.1 layer has the sanitizers.
	opts+=(EXPERT PREEMPT_RT PROVE_RAW_LOCK_NESTING)
fi
# A run takes 30-70 s under TCG here; ten times that is a hang.
timeout=${KUNIT_TIMEOUT:-600}
args=(build --kunitconfig=drivers/misc/allocpools/kunit --build_dir="$build"
      --arch=x86_64 --jobs="$(nproc)")
for c in "${opts[@]}"; do
	args+=(--kconfig_add "CONFIG_$c=y")
done
if ! "${kunit[@]}" "${args[@]}" >"$build/kunit.out" 2>&1; then
	tail -n 40 "$build/kunit.out"
	echo "$layer: kernel build failed (log: $build/kunit.out)"
	echo "$layer: 0 passed, 1 failed, 0 skipped"
	exit 1
fi

# The suites run before /init; /init gives kmemleak's minimum object age
# (5 s) time to pass, so what the last case leaked is reported too, and
# scans twice: a scan does not report an object whose contents changed
# since the one before (a first scan sees every object change).
initrd=$build/initramfs
rm -rf "$initrd" "$initrd.cpio"
mkdir -p "$initrd"/{bin,proc,sys,dev}
cp /bin/busybox "$initrd/bin/busybox"
cat >"$initrd/init" <<'INIT'
#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc none /proc
$B mount -t sysfs none /sys
$B mount -t debugfs none /sys/kernel/debug
echo "@@@ init"
$B sleep 6
if [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	echo "@@@ kmemleak scanned"
	$B cat /sys/kernel/debug/kmemleak
	echo "@@@ kmemleak end"
fi
$B reboot -f
INIT
chmod +x "$initrd/init"
(cd "$initrd" && find . | cpio -o -H newc --quiet) >"$initrd.cpio"

# A hung guest gets an NMI and panics (unknown_nmi_panic), printing every
# CPU's backtrace, before QEMU is stopped (qemu_stop, qemu_lib.sh).
. "$top/scripts/qemu_lib.sh"
bios=()
[ -f /usr/share/qemu/qboot.rom ] && bios=(-bios qboot.rom)
mon=$build/monitor.sock
rm -f "$mon"
rc=0
start=$SECONDS
qemu-system-x86_64 -no-reboot -nodefaults -display none "${bios[@]}" \
	-smp 2 -m 2048 -kernel "$build/arch/x86/boot/bzImage" \
	-initrd "$initrd.cpio" \
	-append "console=ttyS0 panic=-1 unknown_nmi_panic=1 panic_print=0x40$append" \
	-serial "file:$log" -monitor "unix:$mon,server=on,wait=off" </dev/null &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	if [ $((SECONDS - start)) -ge "$timeout" ]; then
		echo "$layer: the guest hung: stopped (NMI, panic) after $timeout s"
		qemu_stop "$pid" "$mon"
		rc=124
		break
	fi
	sleep 1
done
wait "$pid" 2>/dev/null || true
echo "$layer: booted and ran in $((SECONDS - start)) s"

# The KTAP ends where /init begins.
sed '/@@@ init/q' "$log" >"$build/ktap.log"
"${kunit[@]}" parse --json="$json" "$build/ktap.log" >"$build/kunit.out" 2>&1 || true
grep -E '^\[..:..:..\] ' "$build/kunit.out" | tail -n 400 || true
# KCSAN's reports are judged by whether they name a function of ours:
# every one the objects under drivers/misc/allocpools define.
if [ "$kernel" = kcsan ]; then
	find "$build/drivers/misc/allocpools" -name '*.o' ! -name '*.mod.o' \
		-exec nm --defined-only {} + | awk '$2 ~ /^[tT]$/ { print $3 }' |
		sort -u >"$build/allocpools.syms"
	extra+=(--kcsan="$build/allocpools.syms")
fi
exec python3 "$top/scripts/kunit_count.py" "$layer" "$json" "$log" "$rc" \
	--smp=2 "${extra[@]}"
