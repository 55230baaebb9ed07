#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ksrc.sh [6.1|6.12]: print the path of the extracted linux-source-VERSION
# tree (6.1 when no version is given), extracting Debian's tarball into the
# cache on first use.  Each version has its own directory; the trees are
# kept pristine apart from drivers/misc/allocpools: kunit.py builds with O=.
set -euo pipefail

ver=${1:-6.1}
case $ver in
6.1 | 6.12) ;;
*) echo "ksrc: unknown source version '$ver' (6.1 or 6.12)" >&2; exit 2 ;;
esac
cache=${XDG_CACHE_HOME:-$HOME/.cache}/allocpools
tarball=/usr/src/linux-source-$ver.tar.xz
if [ ! -f "$tarball" ]; then
	echo "ksrc: $tarball is missing (scripts/deps.sh installs it)" >&2
	exit 1
fi
dst=$cache/linux-source-$ver
stamp=$dst/.allocpools-extracted
if [ ! -f "$stamp" ] || [ "$tarball" -nt "$stamp" ]; then
	mkdir -p "$cache"
	# Two first runs at once must not extract over each other.
	exec 8>"$cache/ksrc-$ver.lock"
	flock 8
	if [ ! -f "$stamp" ] || [ "$tarball" -nt "$stamp" ]; then
		rm -rf "$dst" "$dst.tmp"
		mkdir -p "$dst.tmp"
		echo "ksrc: extracting $tarball into $dst (once)" >&2
		tar -C "$dst.tmp" -xf "$tarball"
		mv "$dst.tmp/linux-source-$ver" "$dst"
		rmdir "$dst.tmp"
		touch "$stamp"
	fi
	exec 8>&-
fi
echo "$dst"
