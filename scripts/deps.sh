#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what building and testing allocpools needs, from Debian's packages.
# Idempotent: does nothing when everything is there.  Usage: deps.sh [--bench]
set -euo pipefail

# Debian 12's three kernels, each with its headers (the QEMU layers boot
# every one; kunit builds linux-source-6.1 and -6.12), and qemu-system-data
# for qboot.rom.
pkgs=(make gcc clang libclang-rt-14-dev python3 perl kmod cpio
      busybox-static qemu-system-x86 qemu-system-data
      linux-image-amd64 linux-headers-amd64
      linux-image-6.12-amd64 linux-headers-6.12-amd64
      linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64
      linux-source-6.1 linux-source-6.12
      flex bison bc libelf-dev libssl-dev rsync xz-utils)
if [ "${1:-}" = "--bench" ]; then
	pkgs+=(valgrind gnuplot-nox libjemalloc-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
