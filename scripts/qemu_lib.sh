# SPDX-License-Identifier: GPL-2.0
#
# Sourced by qemu.sh (test, demo), qemu_bench.sh and check.sh: pick
# Debian's kernel, build the modules against its headers in a cached copy
# of the tree, pack a busybox initramfs around an /init script, and boot it.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/allocpools

# qemu_kernel: set kver to the kernel that KVER names (a release, or 6.1,
# 6.12, 6.12-rt; the default as scripts/kver.sh says), one with both an
# image in /boot and headers, so what is built is what boots.
qemu_kernel() {
	kver=$("$top/scripts/kver.sh" --image ${KVER:+"$KVER"}) || {
		echo "qemu: no Debian kernel with image and headers for KVER='${KVER:-}' (scripts/deps.sh installs them)" >&2
		return 1
	}
	kdir=$("$top/scripts/kver.sh" --kdir "$kver")
}

# qemu_build WORK: build every module in WORK/build/src, a copy of the
# sources, so the checkout's own build (any KDIR) is left alone.  Files are
# compared by content and a changed one gets a new mtime, so make never
# keeps an object built from other source.  WORK is one kernel's: kbuild
# would not notice that a copy's objects were built for another.  The
# build's output is in WORK/build.log; a compiler warning fails it.
qemu_build() {
	local work=$1 build=$1/build
	mkdir -p "$build"
	# Nothing .gitignore'd: a checkout's own build outputs must not come
	# along (its allocpools.mod names its own objects, which kbuild would
	# then link instead of the copy's).
	rsync -rl --checksum --delete --exclude .git --filter=':- .gitignore' \
		"$top/" "$build/src/"
	if ! make -C "$build/src" KDIR="$kdir" modules >"$work/build.log" 2>&1; then
		tail -n 40 "$work/build.log" >&2
		echo "qemu: module build against $kver failed" >&2
		return 1
	fi
	if grep -iE '(warning|error):' "$work/build.log" >&2; then
		echo "qemu: module build against $kver has warnings" >&2
		return 1
	fi
}

# qemu_initramfs WORK: busybox, the built modules in /mod, and WORK/init
# (written by the caller) as /init, packed into WORK/initramfs.gz.
qemu_initramfs() {
	local work=$1 root=$1/initramfs src=$1/build/src
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,mod}
	cp /bin/busybox "$root/bin/busybox"
	cp "$src/allocpools.ko" "$src/samples/allocpools_sample.ko" \
		"$src/samples/allocpools_stress.ko" \
		"$src/bench/allocpools_bench.ko" "$root/mod/"
	cp "$work/init" "$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"
}

# qemu_nmi SOCKET: have QEMU's monitor send every vCPU an NMI, which the
# guest (unknown_nmi_panic) answers with a panic: its log, with every CPU's
# backtrace, reaches the console even when printing was stuck behind the
# hang (on PREEMPT_RT a thread prints, and a hung guest never runs it).
qemu_nmi() {
	python3 - "$1" <<'PY' 2>/dev/null || true
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
time.sleep(0.5)
s.sendall(b"nmi\n")
time.sleep(0.5)
PY
}

# qemu_stop PID SOCKET: a hung guest gets an NMI and 20 s to panic and
# print, then QEMU is killed.
qemu_stop() {
	local i
	qemu_nmi "$2"
	for i in $(seq 20); do
		kill -0 "$1" 2>/dev/null || break
		sleep 1
	done
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# qemu_boot WORK LOG [QEMU ARGS...]: boot the kernel on the initramfs,
# console to LOG.  init_on_alloc=0: no allocator pays for zeroing.  A panic
# (an oops, a soft lockup) ends QEMU at once.  loglevel=4: errors and oopses
# reach the console, so a boot that dies says why; /init may change it.
#
# QEMU_MARK, if set, is a line that /init prints once the kernel is up and
# before allocpools is loaded.  Returns 0 when the guest powered off (or
# died) after it, 2 when it did not get that far (an emulator or boot
# failure, which the caller may retry), 3 when the guest hung past
# QEMU_TIMEOUT seconds (default 1200) in all.  Without the line within
# QEMU_BOOT_TIMEOUT seconds (default 300) the boot counts as hung.
qemu_boot() {
	local work=$1 log=$2 mark=${QEMU_MARK:-} pid start=$SECONDS booted=0
	local boot_to=${QEMU_BOOT_TIMEOUT:-300} total_to=${QEMU_TIMEOUT:-1200}
	local mon=$1/monitor.sock
	shift 2
	: >"$log"
	rm -f "$mon"
	qemu-system-x86_64 -no-reboot -display none \
		-kernel "/boot/vmlinuz-$kver" -initrd "$work/initramfs.gz" \
		-append "console=ttyS0 loglevel=4 panic=-1 oops=panic softlockup_panic=1 unknown_nmi_panic=1 panic_print=0x40 init_on_alloc=0" \
		-serial "file:$log" -monitor "unix:$mon,server=on,wait=off" \
		"$@" </dev/null &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if [ $booted = 0 ] && { [ -z "$mark" ] || grep -q "$mark" "$log"; }; then
			booted=1
		elif [ $booted = 0 ] && [ $((SECONDS - start)) -ge "$boot_to" ]; then
			echo "qemu: no '$mark' within $boot_to s: the boot hung" >&2
			qemu_stop "$pid" "$mon"
			return 2
		fi
		if [ $((SECONDS - start)) -ge "$total_to" ]; then
			echo "qemu: the guest hung: stopped after $total_to s" >&2
			qemu_stop "$pid" "$mon"
			return 3
		fi
		sleep 1
	done
	wait "$pid" 2>/dev/null || true
	if [ -n "$mark" ] && ! grep -q "$mark" "$log"; then
		return 2
	fi
	return 0
}
