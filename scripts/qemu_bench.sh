#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu_bench.sh MODE OPS RUNS...: boot Debian's kernel KVER (scripts/kver.sh;
# the modules are built against its headers) in QEMU, load
# allocpools (no default pools) and run the benchmark module
# (bench/allocpools_bench.c) once per RUN (ops, scale, threads, worst,
# spsc) with ops=OPS, or with its own count as RUN:N (worst:100000); print
# its "apbench:" lines.
#
#   MODE time     -smp 2, multi-threaded TCG: ns per op, and the thread and
#                 producer/consumer runs
#   MODE icount   -smp 1 -icount shift=0: the guest clock counts one ns per
#                 guest instruction, so ns per op is instructions per op
#
# QEMU_BENCH_WORK names the directory the initramfs and the console log go
# to (default: under the cache, per kernel), so that two worktrees can boot
# at once without writing over each other's files.
set -euo pipefail

mode=$1 ops=$2
shift 2
. "$(dirname "$0")/qemu_lib.sh"
qemu_kernel
work=${QEMU_BENCH_WORK:-$cache/qemu-bench/$kver}
mkdir -p "$work"
qemu_build "$work"

{
	cat <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc none /proc
mount -t sysfs none /sys
insmod /mod/allocpools.ko fifo_size=0 buddy_size=0 bget_size=0 slab_size=0
INIT
	for r in "$@"; do
		n=$ops
		case $r in *:*) n=${r#*:} r=${r%%:*} ;; esac
		echo "insmod /mod/allocpools_bench.ko run=$r ops=$n && rmmod allocpools_bench"
	done
	cat <<'INIT'
echo "@@@ begin dmesg"
dmesg
echo "@@@ end dmesg"
poweroff -f
INIT
} >"$work/init"
qemu_initramfs "$work"

log=$work/console-$mode.log
case $mode in
time) qemu_boot "$work" "$log" -m 3072 -smp 2 -accel tcg,thread=multi ;;
icount) qemu_boot "$work" "$log" -m 3072 -smp 1 -accel tcg -icount shift=0 ;;
*) echo "qemu_bench.sh: mode time or icount" >&2; exit 2 ;;
esac
tr -d '\r' <"$log" | sed -n '/^@@@ begin dmesg/,/^@@@ end dmesg/p' |
	sed -nE 's/^\[ *[0-9.]+\] apbench: //p'
if tr -d '\r' <"$log" | grep -qE 'BUG:|WARNING:|Oops|Kernel panic|general protection'; then
	echo "qemu_bench: the kernel log has a BUG, WARNING or Oops ($log)" >&2
	exit 1
fi
