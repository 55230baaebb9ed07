#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the path of the extracted linux-source-6.1 tree, extracting it into
# the cache on first use.  The tree is kept pristine: kunit.py builds with O=.
set -euo pipefail

cache=${XDG_CACHE_HOME:-$HOME/.cache}/allocpools
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
if [ -z "$tarball" ]; then
	echo "ksrc: /usr/src/linux-source-6.1.tar.xz is missing (scripts/deps.sh installs it)" >&2
	exit 1
fi
dst=$cache/linux-source-6.1
stamp=$dst/.allocpools-extracted
if [ ! -f "$stamp" ] || [ "$tarball" -nt "$stamp" ]; then
	mkdir -p "$cache"
	rm -rf "$dst" "$dst.tmp"
	mkdir -p "$dst.tmp"
	echo "ksrc: extracting $tarball into $dst (once)" >&2
	tar -C "$dst.tmp" -xf "$tarball"
	mv "$dst.tmp/linux-source-6.1" "$dst"
	rmdir "$dst.tmp"
	touch "$stamp"
fi
echo "$dst"
