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
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/allocpools
work=$cache/qemu
mkdir -p "$work"

"$top/scripts/deps.sh"

# The newest Debian kernel that has both an image and headers.
kver=
for v in $(ls /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -rV); do
	if [ -d "/usr/src/linux-headers-$v" ]; then kver=$v; break; fi
done
if [ -z "$kver" ]; then
	echo "qemu: no Debian kernel with matching headers (linux-image-amd64, linux-headers-amd64)" >&2
	exit 1
fi
kdir=/usr/src/linux-headers-$kver

# Build in a copy, so the checkout's own build (any KDIR) is left alone.
# Files are compared by content and a changed one gets a new mtime, so make
# never keeps an object built from other source.
build=$work/build
mkdir -p "$build"
rsync -rl --checksum --delete --exclude .git --exclude 'tools/testing/build' \
	--exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' "$top/" "$build/src/"
make -s -C "$build/src" KDIR="$kdir" modules >"$work/build.log" 2>&1 || {
	cat "$work/build.log" >&2
	echo "qemu: module build against $kdir failed" >&2
	exit 1
}

# The initramfs: busybox, the two modules, and an /init that runs the script.
root=$work/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,mod}
cp /bin/busybox "$root/bin/busybox"
cp "$build/src/allocpools.ko" "$build/src/samples/allocpools_sample.ko" "$root/mod/"
cat >"$root/init" <<'INIT'
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
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

log=$work/console.log
timeout 600 qemu-system-x86_64 -m 1024 -smp 2 -no-reboot -display none \
	-kernel "/boot/vmlinuz-$kver" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 loglevel=3 panic=-1 oops=panic init_on_alloc=0" \
	-serial "file:$log" -monitor none </dev/null || true

exec python3 "$top/scripts/qemu_check.py" "$mode" "$log" "$kver"
