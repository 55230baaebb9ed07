#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kver.sh [--image] [--kdir] [KVER]: the installed kernel to build for (and
# boot, under QEMU), as its full release (6.12.117+deb12-rt-amd64), or with
# --kdir as its headers directory.  The Makefile, qemu.sh, qemu_bench.sh
# and check.sh all ask this script, so the modules are always built against
# the headers of the kernel that is booted.
#
#   KVER    a full release, or a short form: 6.1, 6.12 (the newest installed
#           non-RT release of that series), 6.12-rt (the newest -rt one)
#   none    the running kernel if its headers and image are installed, else
#           the newest installed non-RT kernel with headers and image (the
#           RT ones after it), else (without --image) the running kernel's
#           headers, else the newest headers
#   --image also require /boot/vmlinuz-<release> (QEMU boots it)
set -euo pipefail

image=0 kdir=0 want=
for a in "$@"; do
	case $a in
	--image) image=1 ;;
	--kdir) kdir=1 ;;
	-*) echo "kver: unknown option $a" >&2; exit 2 ;;
	*) want=$a ;;
	esac
done

# headers RELEASE: its build tree, one with a .config (Debian's -common
# directories are only half of one).
headers() {
	local d
	for d in "/lib/modules/$1/build" "/usr/src/linux-headers-$1"; do
		if [ -f "$d/.config" ] && [ -f "$d/Makefile" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

# has RELEASE NEED_IMAGE: its headers (and image) are installed.
has() {
	headers "$1" >/dev/null && { [ "$2" = 0 ] || [ -f "/boot/vmlinuz-$1" ]; }
}

# Every release with headers, newest first, non-RT before RT.
releases() {
	{
		ls /lib/modules 2>/dev/null
		ls -d /usr/src/linux-headers-* 2>/dev/null | sed 's|.*/linux-headers-||'
	} | sort -u | while read -r v; do
		has "$v" 0 && echo "$v"
	done | sort -rV | awk '/-rt-/ { rt[n++] = $0; next } { print } END {
		for (i = 0; i < n; i++) print rt[i] }'
}

# pick PREFIX RT NEED_IMAGE: the first release (in releases' order) that
# starts with PREFIX, is RT or not as RT says (any if empty), and is
# installed.
pick() {
	local v
	for v in $(releases); do
		[[ $v == "$1"* ]] || continue
		[ "$2" = 0 ] && [[ $v == *-rt-* ]] && continue
		[ "$2" = 1 ] && [[ $v != *-rt-* ]] && continue
		has "$v" "$3" && { echo "$v"; return 0; }
	done
	return 1
}

found=
case $want in
"")
	run=$(uname -r)
	if has "$run" 1; then
		found=$run
	else
		found=$(pick "" "" 1) ||
		{ [ $image = 0 ] && has "$run" 0 && found=$run; } ||
		{ [ $image = 0 ] && found=$(pick "" "" 0); } || true
	fi
	;;
[0-9]*.[0-9]*-rt)
	found=$(pick "${want%-rt}." 1 $image) || true
	;;
[0-9]*.[0-9]*.*)
	has "$want" $image && found=$want
	;;
[0-9]*.[0-9]*)
	found=$(pick "$want." 0 $image) || true
	;;
esac
if [ -z "$found" ]; then
	what=headers
	[ $image = 1 ] && what="headers and a /boot image"
	echo "kver: no installed kernel ${want:+matching '$want' }with $what" \
		"(with headers: $(releases | tr '\n' ' '))" >&2
	exit 1
fi
if [ $kdir = 1 ]; then
	headers "$found"
else
	echo "$found"
fi
