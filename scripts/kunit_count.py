#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sum kunit.py's JSON results and scan the kernel log for reports that a
KUnit verdict would miss (lockdep, UBSAN, kmemleak, WARN).  Prints
"kunit-<arch>: N passed, N failed, N skipped" and exits non-zero on any
failure, or when nothing ran."""

import json
import os
import re
import sys

arch, path, log, rc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
counts = {"PASS": 0, "FAIL": 0, "SKIP": 0, "ERROR": 0}


def walk(group):
    for case in group.get("test_cases", []):
        counts[case["status"]] = counts.get(case["status"], 0) + 1
    for sub in group.get("sub_groups", []):
        walk(sub)


if os.path.exists(path):
    with open(path) as f:
        walk(json.load(f))

# UML's virtual PCI driver warns at every boot when no PCI device exists;
# that is the platform's, not ours.
BENIGN = re.compile(r"arch/um/drivers/virt-pci\.c")

reports = []
if os.path.exists(log):
    for line in open(log, errors="replace"):
        if BENIGN.search(line):
            continue
        if re.search(r"WARNING:|BUG:|Oops|UBSAN:|possible circular locking|"
                     r"inconsistent lock state|kmemleak: .*new suspected|"
                     r"list_add corruption|list_del corruption|"
                     r"sleeping function called from invalid context", line):
            reports.append(line.rstrip())
# The x86_64 run is meant to have two CPUs; say so if it did not.
if arch != "um" and os.path.exists(log):
    text = open(log, errors="replace").read()
    m = re.search(r"smp: Brought up \d+ nodes?, (\d+) CPUs?", text)
    if not m or int(m.group(1)) < 2:
        reports.append("expected 2 CPUs: %s" % (m.group(0) if m else
                                               "no 'smp: Brought up' line"))
for r in reports[:30]:
    print("kernel log: " + r)

passed = counts["PASS"]
failed = counts["FAIL"] + counts["ERROR"] + (1 if reports else 0)
if passed + failed == 0 or (rc and not failed):
    print("kunit-%s: kunit.py exited %d without results" % (arch, rc))
    failed += 1
print("kunit-%s: %d passed, %d failed, %d skipped" % (arch, passed, failed,
                                                    counts["SKIP"]))
sys.exit(1 if failed else 0)
