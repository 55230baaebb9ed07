# SPDX-License-Identifier: GPL-2.0
#
# Sourced by qemu.sh (test, demo) and qemu_bench.sh: find Debian's kernel,
# build the modules against its headers in a cached copy of the tree, pack
# a busybox initramfs around an /init script, and boot it.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/allocpools

# qemu_kernel: set kver to the newest Debian kernel with both an image and
# headers.
qemu_kernel() {
	local v
	kver=
	for v in $(ls /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -rV); do
		if [ -d "/usr/src/linux-headers-$v" ]; then kver=$v; break; fi
	done
	if [ -z "$kver" ]; then
		echo "qemu: no Debian kernel with matching headers (linux-image-amd64, linux-headers-amd64)" >&2
		return 1
	fi
}

# qemu_build WORK: build every module in WORK/build/src, a copy of the
# sources, so the checkout's own build (any KDIR) is left alone.  Files are compared
# by content and a changed one gets a new mtime, so make never keeps an
# object built from other source.
qemu_build() {
	local work=$1 build=$1/build
	mkdir -p "$build"
	# Nothing .gitignore'd: a checkout's own build outputs must not come
	# along (its allocpools.mod names its own objects, which kbuild would
	# then link instead of the copy's).
	rsync -rl --checksum --delete --exclude .git --filter=':- .gitignore' \
		"$top/" "$build/src/"
	make -s -C "$build/src" KDIR="/usr/src/linux-headers-$kver" modules \
		>"$work/build.log" 2>&1 || {
		cat "$work/build.log" >&2
		echo "qemu: module build against $kver failed" >&2
		return 1
	}
}

# qemu_initramfs WORK: busybox, the built modules in /mod, and WORK/init
# (written by the caller) as /init, packed into WORK/initramfs.gz.
qemu_initramfs() {
	local work=$1 root=$1/initramfs src=$1/build/src
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,mod}
	cp /bin/busybox "$root/bin/busybox"
	cp "$src/allocpools.ko" "$src/samples/allocpools_sample.ko" \
		"$src/bench/allocpools_bench.ko" "$root/mod/"
	cp "$work/init" "$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"
}

# qemu_boot WORK LOG [QEMU ARGS...]: boot Debian's kernel on the initramfs,
# console to LOG.  init_on_alloc=0: no allocator pays for zeroing.
qemu_boot() {
	local work=$1 log=$2
	shift 2
	timeout 1200 qemu-system-x86_64 -no-reboot -display none \
		-kernel "/boot/vmlinuz-$kver" -initrd "$work/initramfs.gz" \
		-append "console=ttyS0 loglevel=3 panic=-1 oops=panic init_on_alloc=0" \
		-serial "file:$log" -monitor none "$@" </dev/null || true
}
