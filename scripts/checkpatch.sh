#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.pl --strict --no-tree on every C file and header of the
# project, and scripts/kernel-doc -Werror on the kernel ones; one result
# per file.  Ends with "checkpatch: N passed, N failed".
#
# Kernel code (top level, include/, kunit/, samples/) gets no exemption.
# The userspace test programs under tools/testing/ are checked too, less
# CAMELCASE (libFuzzer names the entry point LLVMFuzzerTestOneInput) and
# MACRO_WITH_FLOW_CONTROL (their CHECK() macros exit on failure).  The shims
# in tools/testing/shim/ are left out: they are kernel headers written
# again (typedefs, barriers, attributes, version macros), which is what
# checkpatch exists to discourage in drivers.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
ksrc=$("$top/scripts/ksrc.sh") || exit 1
cd "$top"
pass=0 fail=0
files=$(git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -v '\.mod\.c$' | grep -v '^tools/testing/shim/' | sort)
userspace_ignore=CAMELCASE,MACRO_WITH_FLOW_CONTROL
for f in $files; do
	ignore=
	[[ $f == tools/testing/* ]] && ignore=--ignore=$userspace_ignore
	out=$(perl "$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse $ignore \
		--show-types -f "$f" 2>&1 | grep -E "(ERROR|WARNING|CHECK):")
	if [ -z "$ignore" ]; then
		out+=$(perl "$ksrc/scripts/kernel-doc" -Werror -none "$f" 2>&1)
	fi
	if [ -z "$out" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL: checkpatch $f"
		echo "$out" | head -20
		fail=$((fail + 1))
	fi
done
echo "checkpatch: $pass passed, $fail failed"
[ $fail -eq 0 ]
