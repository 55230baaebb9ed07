#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make dkms-test: install allocpools.ko through Debian's dkms, as a user
# would, for every kernel here that has its headers, check what landed,
# and take it all away again.  As root; installs the dkms package if it is
# missing.
#
# The sources dkms needs (dkms.conf, the Makefiles, the C files and
# include/, from git's list of the checkout minus what .gitignore names, so
# a developer's build outputs stay out) are copied to
# /usr/src/allocpools-VERSION, VERSION being what dkms.conf reads from
# MODULE_VERSION().  Then "dkms add" once and, for each /lib/modules/KVER/
# build, "dkms build" and "dkms install"; modinfo of the installed module
# must name KVER in its vermagic, license GPL and VERSION, the module must
# sit in updates/dkms/ (Debian's place) and be the only allocpools module
# there, and its build log must have no warning.  Each kernel is one check.
# Last, "dkms remove --all" and the copy goes; the module must then be gone
# from every kernel (one more check).
#
# A run that died half-way leaves a copy and a registration behind: both
# carry the marker file below, and the next run removes them first.  A
# registration without it was made by someone else; the run stops rather
# than touch it.
#
# Output: one line per kernel, then "dkms: N passed, N failed".  dkms'
# own output is under ${XDG_CACHE_HOME:-$HOME/.cache}/allocpools/dkms/.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd) && cd "$top" || exit 1
logdir=${XDG_CACHE_HOME:-$HOME/.cache}/allocpools/dkms
mkdir -p "$logdir"
: >"$logdir/cleanup.log"
src_tree=/usr/src
dkms_tree=/var/lib/dkms
marker=.allocpools-dkms-test
passed=0 failed=0

summary() {
	echo "dkms: $passed passed, $failed failed"
	[ "$failed" = 0 ]
}

# fatal MSG: the run cannot go on; what it has not checked is one failure.
fatal() {
	echo "FAIL: dkms: $*"
	failed=$((failed + 1))
	summary
	exit 1
}

[ "$(id -u)" = 0 ] || fatal "must run as root (dkms writes $src_tree, $dkms_tree and /lib/modules)"

# Debian's dkms, installed only when missing; the package lists are fetched
# only when the install fails without them.
if ! dpkg -s dkms 2>/dev/null | grep -q '^Status: install ok installed'; then
	echo "dkms: installing Debian's dkms"
	export DEBIAN_FRONTEND=noninteractive
	apt_install() {
		apt-get install -y -qq --no-install-recommends dkms \
			>>"$logdir/apt.log" 2>&1
	}
	apt_install || { apt-get update -qq >>"$logdir/apt.log" 2>&1 &&
		apt_install; } ||
		fatal "cannot install dkms (see $logdir/apt.log)"
fi

# The version as dkms will see it: dkms sources dkms.conf as bash.
version=$(bash -c '. ./dkms.conf && echo "$PACKAGE_VERSION"')
[ -n "$version" ] || fatal "dkms.conf gives no PACKAGE_VERSION"
name=allocpools
arch=$(uname -m)
src=$src_tree/$name-$version

# One run at a time: dkms keeps its state in files without locking them.
{ exec 9<"$dkms_tree" && flock 9; } || fatal "cannot lock $dkms_tree"

# forget VERSION: remove a test run's leftovers of allocpools VERSION.  dkms
# remove may fail or stop half-way (its exit status is not to be trusted
# when the sources are gone), so what it leaves is removed by hand: each
# kernel-KVER-ARCH link dkms keeps for an installed module of VERSION, that
# module, the registration and the copy.
forget() {
	local v=$1 l t k
	[ -d "$dkms_tree/$name/$v" ] &&
		dkms remove "$name/$v" --all >>"$logdir/cleanup.log" 2>&1
	for l in "$dkms_tree/$name"/kernel-*; do
		t=$(readlink "$l") || continue
		[[ $t == "$v"/*/* ]] || continue
		k=${t#"$v"/}
		k=${k%/*}
		echo "dkms: removing $name $v from $k by hand" >>"$logdir/cleanup.log"
		rm -f "$l" /lib/modules/"$k"/updates/dkms/"$name".ko*
		rmdir /lib/modules/"$k"/updates/dkms \
			/lib/modules/"$k"/updates 2>/dev/null
		depmod -a "$k" >>"$logdir/cleanup.log" 2>&1
	done
	rm -rf "${dkms_tree:?}/$name/$v" "${src_tree:?}/$name-$v"
	rmdir "$dkms_tree/$name" 2>/dev/null
	return 0
}

# Every version of allocpools that dkms or /usr/src knows: a registration
# (VERSION/), a kernel-KVER-ARCH link to an installed VERSION/KVER/ARCH
# (left even when the registration is gone), a copy in /usr/src.  One is
# the test's when its sources carry the marker or are gone (nothing can
# use it then); anything else belongs to whoever installed allocpools.
known=()
for d in "$dkms_tree/$name"/* "$src_tree/$name"-*; do
	case $d in
	*/kernel-*) t=$(readlink "$d") && known+=("${t%%/*}") ;;
	"$src_tree"/*) [ -d "$d" ] && known+=("${d#"$src_tree/$name-"}") ;;
	*) [ -d "$d" ] && known+=("${d##*/}") ;;
	esac
done
for v in $(printf '%s\n' "${known[@]}" | sort -u); do
	s=$src_tree/$name-$v
	[ -e "$s/dkms.conf" ] || s=$dkms_tree/$name/$v/source
	if [ -e "$s/$marker" ] || [ ! -e "$s/dkms.conf" ]; then
		echo "dkms: removing $name $v left by an earlier run" >>"$logdir/cleanup.log"
		forget "$v"
	elif [ "$v" = "$version" ]; then
		fatal "$name $v is installed here, not by this test: dkms remove $name/$v --all; rm -rf $src_tree/$name-$v"
	fi
done

# The copy: the marker goes in first, so that a run killed while copying
# leaves nothing the next run would mistake for someone else's.
git rev-parse --git-dir >/dev/null 2>&1 ||
	fatal "$top is not a git checkout: the files to copy are git's list"
{ mkdir -p "$src" && : >"$src/$marker"; } || fatal "cannot create $src"
git ls-files -z --cached --others --exclude-standard |
while IFS= read -r -d '' f; do
	case $f in
	include/*) ;;
	*/*) continue ;;
	dkms.conf | Makefile | Kbuild | Kconfig | README.md | *.[ch]) ;;
	*) continue ;;
	esac
	# A tracked file deleted in the checkout is still in git's list.
	[ -e "$f" ] || continue
	mkdir -p "$src/$(dirname "$f")" && cp -p "$f" "$src/$f" || exit 1
done || fatal "cannot copy the sources to $src"
# A developer's build outputs in the copy would be a user's too: kbuild
# trusts an allocpools.mod or a .cmd file it finds there.
(cd "$src" && find . -type f | sort) >"$logdir/sources.list"
if grep -E '\.(o|ko|mod|mod\.c|cmd|symvers|order)$' "$logdir/sources.list"; then
	forget "$version"
	fatal "build outputs copied to $src (see $logdir/sources.list)"
fi

if ! dkms add -m "$name" -v "$version" >"$logdir/add.log" 2>&1; then
	tail -n 20 "$logdir/add.log"
	forget "$version"
	fatal "dkms add $name/$version failed (see $logdir/add.log)"
fi

# check KVER: build, install and inspect allocpools for kernel KVER.
check() {
	local k=$1 log=$logdir/$1.log ko f got
	local built=$dkms_tree/$name/$version/$k/$arch
	: >"$log"
	if ! dkms build -m "$name" -v "$version" -k "$k" >>"$log" 2>&1; then
		# dkms keeps the failed build's log in its build directory.
		cp "$dkms_tree/$name/$version/build/make.log" \
			"$logdir/$k.make.log" 2>/dev/null
		grep -hE '(Error!|error:|\*\*\*)' "$log" "$logdir/$k.make.log" \
			2>/dev/null | head -n 10
		echo "FAIL: dkms build for $k (see $log, $logdir/$k.make.log)"
		return 1
	fi
	cp "$built/log/make.log" "$logdir/$k.make.log"
	if grep -iE '(warning|error):' "$logdir/$k.make.log"; then
		echo "FAIL: dkms build for $k has warnings (see $logdir/$k.make.log)"
		return 1
	fi
	if ! dkms install -m "$name" -v "$version" -k "$k" >>"$log" 2>&1; then
		tail -n 20 "$log"
		echo "FAIL: dkms install for $k (see $log)"
		return 1
	fi
	# modinfo finds it through modules.dep, so depmod has run too.
	ko=$(modinfo -k "$k" -n "$name" 2>>"$log")
	case $ko in
	/lib/modules/"$k"/updates/dkms/"$name".ko*) ;;
	*)
		echo "FAIL: $k: modinfo finds '$ko', not $name in /lib/modules/$k/updates/dkms/"
		return 1
		;;
	esac
	got=$(modinfo -F vermagic "$ko")
	if [ "${got%% *}" != "$k" ]; then
		echo "FAIL: $k: vermagic of $ko is '$got'"
		return 1
	fi
	got=$(modinfo -F license "$ko")
	if [ "$got" != GPL ]; then
		echo "FAIL: $k: license of $ko is '$got', not GPL"
		return 1
	fi
	got=$(modinfo -F version "$ko")
	if [ "$got" != "$version" ]; then
		echo "FAIL: $k: version of $ko is '$got', not $version"
		return 1
	fi
	# The developers' modules (sample, stress, bench) are not installed.
	for f in /lib/modules/"$k"/updates/dkms/"$name"_*; do
		[ -e "$f" ] || continue
		echo "FAIL: $k: $f installed beside $name.ko"
		return 1
	done
	echo "dkms: $k: built, installed as $ko, modinfo agrees ($version, GPL)"
}

kernels=()
for b in /lib/modules/*/build; do
	# A build link whose headers were removed is no kernel to build for.
	[ -d "$b/" ] || continue
	b=${b%/build}
	kernels+=("${b##*/}")
done
[ ${#kernels[@]} -gt 0 ] || {
	forget "$version"
	fatal "no kernel headers under /lib/modules/*/build"
}
echo "dkms: $name $version for ${kernels[*]}"

for k in "${kernels[@]}"; do
	if check "$k"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done

# Back as it was: no registration, no copy, no module for any kernel.
dkms remove "$name/$version" --all >"$logdir/remove.log" 2>&1
rm -rf "${src:?}"
rmdir "$dkms_tree/$name" 2>/dev/null
left=()
[ -e "$dkms_tree/$name" ] && left+=("$dkms_tree/$name")
for k in "${kernels[@]}"; do
	for f in /lib/modules/"$k"/updates/dkms/"$name".ko*; do
		[ -e "$f" ] && left+=("$f")
	done
	modinfo -k "$k" -n "$name" >/dev/null 2>&1 &&
		left+=("modules.dep of $k")
done
if [ ${#left[@]} -eq 0 ]; then
	echo "dkms: removed from every kernel, $src and $dkms_tree/$name gone"
	passed=$((passed + 1))
else
	echo "FAIL: dkms remove left ${left[*]} (see $logdir/remove.log)"
	forget "$version"
	failed=$((failed + 1))
fi

summary
