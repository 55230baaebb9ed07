#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Debian's packaged kernel in QEMU with a busybox initramfs, load
# allocpools and the sample client, read debugfs, unload both, power off.
#
#   qemu.sh demo    show the pools table and every default pool's stats
#   qemu.sh test    check the debugfs contents against what the sample did
#                   (tests/qemu_check.py); ends with "qemu: N passed, N failed"
set -euo pipefail

mode=${1:-test}
. "$(dirname "$0")/qemu_lib.sh"
work=$cache/qemu
mkdir -p "$work"

"$top/scripts/deps.sh"
qemu_kernel
qemu_build "$work"

cat >"$work/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc none /proc
mount -t sysfs none /sys
mount -t devtmpfs none /dev 2>/dev/null
mount -t debugfs none /sys/kernel/debug
D=/sys/kernel/debug/allocpools
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
echo "@@@ rmmod allocpools rc=$(rmmod allocpools >/dev/null 2>&1; echo $?)"
echo "@@@ debugfs left: $(ls -d $D 2>/dev/null | wc -l)"
echo "@@@ begin dmesg"
dmesg
echo "@@@ end dmesg"
echo "@@@ done"
poweroff -f
INIT
qemu_initramfs "$work"
log=$work/console.log
qemu_boot "$work" "$log" -m 1024 -smp 2

exec python3 "$top/scripts/qemu_check.py" "$mode" "$log" "$kver"
