#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Debian's packaged kernel in QEMU with a busybox initramfs, load
# allocpools and the sample client, read debugfs, unload both, power off.
#
#   qemu.sh demo    show the pools table and every default pool's stats
#   qemu.sh test    check the debugfs contents against what the sample did,
#                   then run the stress client (samples/allocpools_stress.c:
#                   every default pool from a thread per CPU and a hard-IRQ
#                   timer) and check its counts and the kernel log
#                   (scripts/qemu_check.py); ends with
#                   "<layer>: N passed, N failed"
#
# KVER picks the kernel (scripts/kver.sh: a release, or 6.1, 6.12,
# 6.12-rt); the modules are built against that kernel's headers, in a copy
# under the cache kept per kernel.  LAYER names the result line (default
# "qemu").  A boot that dies or hangs before allocpools is loaded (an
# emulator or boot failure, nothing of ours has run) is retried once; once
# allocpools is loaded every failure counts, and a guest that hangs is
# killed after QEMU_TIMEOUT seconds (default 300; QEMU_BOOT_TIMEOUT, 180,
# for the boot) and fails.
set -euo pipefail

mode=${1:-test}
layer=${LAYER:-qemu}
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
echo "@@@ debugfs after failed loads: $(ls -d $D 2>/dev/null | wc -l)"
echo "@@@ insmod allocpools rc=$(insmod /mod/allocpools.ko >/dev/null 2>&1; echo $?)"
echo "@@@ insmod sample rc=$(insmod /mod/allocpools_sample.ko >/dev/null 2>&1; echo $?)"
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
echo "@@@ done"
poweroff -f
INIT
} >"$work/init"
qemu_initramfs "$work"
log=$work/console.log

# A run takes 10-30 s under TCG here; ten times that is a hang.
export QEMU_MARK=$mark QEMU_BOOT_TIMEOUT=${QEMU_BOOT_TIMEOUT:-180}
export QEMU_TIMEOUT=${QEMU_TIMEOUT:-300}
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

exec python3 "$top/scripts/qemu_check.py" "$mode" "$log" "$kver" "$layer"
