#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Debian's packaged kernel in QEMU with a busybox initramfs, load
# allocpools and the sample client, read debugfs, unload both, power off.
#
#   qemu.sh demo    show the pools table and every default pool's stats
#   qemu.sh test    check the debugfs contents, and the trace events
#                   (events/allocpools/, on while the sample loads),
#                   against what the sample did, then run the stress
#                   client (samples/allocpools_stress.c: every default
#                   pool from a thread per CPU and a hard-IRQ timer)
#                   and check its counts and the kernel log
#                   (scripts/qemu_check.py); then QEMU_CYCLES times
#                   (default 100; 0: none) insmod allocpools and the
#                   sample, rmmod both, and check that every step
#                   succeeded and vmalloc and slab came back; ends with
#                   "<layer>: N passed, N failed"
#
# KVER picks the kernel (scripts/kver.sh: a release, or 6.1, 6.12,
# 6.12-rt); the modules are built against that kernel's headers, in a copy
# under the cache kept per kernel.  LAYER names the result line (default
# "qemu").  A boot that dies or hangs before allocpools is loaded (an
# emulator or boot failure, nothing of ours has run) is retried once; once
# allocpools is loaded every failure counts, and a guest that hangs is
# killed after QEMU_TIMEOUT seconds (default 300, and 3 s more per cycle;
# QEMU_BOOT_TIMEOUT, 180, for the boot) and fails.
set -euo pipefail

mode=${1:-test}
layer=${LAYER:-qemu}
# Load/unload cycles after the test (QEMU_CYCLES=0: none).
cycles=${QEMU_CYCLES:-100}
. "$(dirname "$0")/qemu_lib.sh"

"$top/scripts/deps.sh"
qemu_kernel
work=$cache/qemu/$kver
mkdir -p "$work"
qemu_build "$work"

mark="@@@ booted, loading allocpools"
{
	cat <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc none /proc
mount -t sysfs none /sys
mount -t devtmpfs none /dev 2>/dev/null
mount -t debugfs none /sys/kernel/debug
D=/sys/kernel/debug/allocpools
INIT
	echo "echo '$mark'"
	# Quiet while the debugfs files are printed: the messages the sample
	# provokes on purpose may be printed late (a printing thread on RT) and
	# would land inside them.  They are all in the dmesg at the end.
	echo "dmesg -n 1"
	cat <<'INIT'
echo "@@@ insmod bad fifo_size rc=$(insmod /mod/allocpools.ko fifo_size=1000 >/dev/null 2>&1; echo $?)"
echo "@@@ insmod bad buddy_min_order rc=$(insmod /mod/allocpools.ko buddy_min_order=3 >/dev/null 2>&1; echo $?)"
# Issue 11: sizes no machine has are refused with a message, never with a
# WARN or vmalloc's warn_alloc() Call Trace (the log check fails on both).
echo "@@@ insmod huge fifo_size rc=$(insmod /mod/allocpools.ko fifo_size=18446744073709551615 >/dev/null 2>&1; echo $?)"
echo "@@@ insmod huge buddy_size rc=$(insmod /mod/allocpools.ko buddy_size=34359738368 >/dev/null 2>&1; echo $?)"
echo "@@@ insmod huge bget_size rc=$(insmod /mod/allocpools.ko bget_size=18446744073709551615 >/dev/null 2>&1; echo $?)"
echo "@@@ insmod huge slab_size rc=$(insmod /mod/allocpools.ko slab_size=18446744073709551615 >/dev/null 2>&1; echo $?)"
echo "@@@ debugfs after failed loads: $(ls -d $D 2>/dev/null | wc -l)"
echo "@@@ insmod allocpools rc=$(insmod /mod/allocpools.ko >/dev/null 2>&1; echo $?)"
INIT
	# The trace events (allocpools_trace.h): on while the sample loads,
	# then read beside the stats files, which no one changes in between,
	# and off again before the stress client runs.
	if [ "$mode" = test ]; then
		cat <<'INIT'
T=/sys/kernel/tracing
mount -t tracefs none $T
echo 2048 >$T/buffer_size_kb
echo "@@@ trace events: $(ls $T/events/allocpools | tr '\n' ' ')"
echo "@@@ trace enable rc=$(echo 1 >$T/events/allocpools/enable; echo $?)"
INIT
	fi
	cat <<'INIT'
echo "@@@ insmod sample rc=$(insmod /mod/allocpools_sample.ko >/dev/null 2>&1; echo $?)"
INIT
	if [ "$mode" = test ]; then
		cat <<'INIT'
echo 0 >$T/events/allocpools/enable
echo "@@@ begin trace"
grep -v '^#' $T/trace
echo "@@@ end trace"
INIT
	fi
	cat <<'INIT'
echo "@@@ begin pools"
cat $D/pools
echo "@@@ end pools"
for f in $(find $D -mindepth 3 -type f | sort); do
	echo "@@@ begin file ${f#$D/}"
	cat "$f"
	echo "@@@ end file"
done
echo "@@@ modes"
find $D -mindepth 1 -type f -exec stat -c '%a %n' {} \; | sed "s|$D/||"
echo "@@@ rmmod sample rc=$(rmmod allocpools_sample >/dev/null 2>&1; echo $?)"
echo "@@@ sample gone: $(ls $D/*/ 2>/dev/null | grep -c sample)"
INIT
	if [ "$mode" = test ]; then
		# Every kernel message to the console from here on: if the
		# stress run hangs the guest, what the kernel said is still seen.
		cat <<'INIT'
dmesg -n 8
echo "@@@ insmod stress rc=$(insmod /mod/allocpools_stress.ko >/dev/null 2>&1; echo $?)"
echo "@@@ rmmod stress rc=$(rmmod allocpools_stress >/dev/null 2>&1; echo $?)"
INIT
	fi
	cat <<'INIT'
echo "@@@ rmmod allocpools rc=$(rmmod allocpools >/dev/null 2>&1; echo $?)"
echo "@@@ debugfs left: $(ls -d $D 2>/dev/null | wc -l)"
echo "@@@ begin dmesg"
dmesg
echo "@@@ end dmesg"
INIT
	# Load/unload cycles: allocpools, the sample (which creates and
	# destroys pools of all four kinds), unload both; every insmod and
	# rmmod must succeed.  Memory is read after WARM warm-up cycles, after
	# half the CYCLES and after all, five times each three seconds apart:
	# qemu_check.py compares the smallest of each count, so what lived
	# only during one reading (a process exiting, an RCU callback
	# pending) is not taken for a leak, and a leaked object, there in
	# every reading, is.  On 6.12 each cycle leaves some three kmalloc-96
	# objects to be freed late (in a few seconds: kfree_rcu() batches
	# for up to 5 s, KFREE_DRAIN_JIFFIES): with the readings a second
	# apart a loaded host saw 130 and 177 of them still there, and an
	# idle one 126 at the middle reading, 42 at the last.  The 15 s
	# outlast that.  Two first readings are thrown away: reading a
	# sysfs file the first time creates its inode (with an LSM blob and
	# kernfs attributes), some 900 objects for the slab files, cached
	# after.
	# Each cycle's kernel messages are drained into a file: the sample's
	# deliberate ones, a few KiB a cycle, would overrun the log buffer.
	#
	# Slab is counted in objects per cache: each cache is shrunk first
	# (its per-CPU slabs flushed), after which its "objects" is exact;
	# reclaimable caches (dentries, inodes) are left out.  Kernel stacks
	# (vmalloc'd, kept per CPU for reuse) and lazily freed areas not yet
	# purged are left out of the vmalloc areas.
	if [ "$mode" = test ] && [ "$cycles" -gt 0 ]; then
		echo "CYCLES=$cycles WARM=20"
		cat <<'INIT'
dmesg -n 1
dmesg -c >/cycles.dmesg
fails=0
cycle() {
	for step in "insmod /mod/allocpools.ko" "insmod /mod/allocpools_sample.ko" \
		"rmmod allocpools_sample" "rmmod allocpools"; do
		$step >/dev/null 2>&1 || {
			r=$?
			fails=$((fails + 1))
			[ $fails -le 5 ] && echo "@@@ cycle $1 failed: $step rc=$r"
		}
	done
	dmesg -c >>/cycles.dmesg
}
snap() {
	for d in /sys/kernel/slab/*; do
		[ -L "$d" ] && continue
		echo 1 >"$d/shrink" 2>/dev/null
		read ra <"$d/reclaim_account"
		[ "$ra" = 1 ] && continue
		read n rest <"$d/objects"
		read sz <"$d/object_size"
		echo "@@@ slab $1 ${d##*/} $n $sz"
	done
	echo "@@@ mem $1" \
		$(awk '!/alloc_thread_stack_node|kernel_clone|unpurged vm_area|vm_map_ram/ { n++; if (match($0, /pages=[0-9]+/)) p += substr($0, RSTART + 6, RLENGTH - 6) }
			END { print "vmalloc_areas=" n + 0, "vmalloc_pages=" p + 0 }' /proc/vmallocinfo) \
		$(awk '/^(MemFree|Slab|SUnreclaim|VmallocUsed):/ { sub(":", ""); printf "%s=%s ", $1, $2 }' /proc/meminfo)
}
i=0
while [ $i -lt $WARM ]; do i=$((i + 1)); cycle warm-$i; done
snap prime
snap prime
for r in 1 2 3 4 5; do sleep 3; snap before; done
start=$(cut -d' ' -f1 /proc/uptime)
i=0
while [ $i -lt $((CYCLES / 2)) ]; do i=$((i + 1)); cycle $i; done
for r in 1 2 3 4 5; do sleep 3; snap mid; done
while [ $i -lt $CYCLES ]; do i=$((i + 1)); cycle $i; done
end=$(cut -d' ' -f1 /proc/uptime)
for r in 1 2 3 4 5; do sleep 3; snap after; done
echo "@@@ cycles=$CYCLES warm=$WARM failed_steps=$fails start=$start end=$end"
echo "@@@ begin cycles dmesg"
cat /cycles.dmesg
echo "@@@ end cycles dmesg"
INIT
	fi
	cat <<'INIT'
echo "@@@ done"
poweroff -f
INIT
} >"$work/init"
qemu_initramfs "$work"
log=$work/console.log

# A run takes 10-30 s under TCG here; ten times that is a hang.
export QEMU_MARK=$mark QEMU_BOOT_TIMEOUT=${QEMU_BOOT_TIMEOUT:-180}
# The cycles take about 0.5 s each.
export QEMU_TIMEOUT=${QEMU_TIMEOUT:-$((300 + 3 * cycles))}
for attempt in 1 2; do
	rc=0
	start=$SECONDS
	qemu_boot "$work" "$log" -m 1024 -smp 2 || rc=$?
	echo "$layer: $kver ran for $((SECONDS - start)) s (attempt $attempt)"
	[ $rc = 2 ] || break
	cp "$log" "$work/console-boot-failure-$attempt.log"
	echo "$layer: boot failure before allocpools was loaded (attempt $attempt of 2, log $work/console-boot-failure-$attempt.log); last lines:"
	tr -d '\r' <"$log" | tail -n 12 | sed 's/^/    /'
done
[ $rc = 3 ] && echo "$layer: the guest hung after allocpools was loaded: stopped (NMI, panic) after $QEMU_TIMEOUT s"

exec python3 "$top/scripts/qemu_check.py" "$mode" "$log" "$kver" "$layer" \
	"$cycles"
