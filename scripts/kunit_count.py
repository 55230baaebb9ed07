#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""kunit_count.py LAYER JSON LOG RC [--smp=N] [--kmemleak] [--kcsan=SYMS]

Sum kunit.py's JSON results and scan the kernel log for reports that a
KUnit verdict would miss (lockdep, UBSAN, KASAN, kmemleak, WARN, sleeping
in atomic context).  --smp=N: the log must show N CPUs brought up.
--kmemleak: the log must show the explicit kmemleak scan that
scripts/kunit.sh's /init runs, and its report must be empty.
--kcsan=SYMS: each KCSAN report ("BUG: KCSAN: ...", to its closing rule)
is printed whole and fails the layer if any of its frames names a function
in SYMS (one name a line: every function allocpools and its tests define);
one that names none is the kernel's own (KUnit's, the timer code's) and is
only listed, not counted.  KASAN reports that allocpools_kasan expects are
bracketed by its "allocpools_kasan: expect N KASAN report(s) {" and
"allocpools_kasan: }" lines: inside a bracket, "BUG: KASAN:" lines are
counted against that N (a different count is one failure) instead of
failing the layer; anything else in a bracket, and every report outside
one, still does.  Prints
"LAYER: N passed, N failed, N skipped" and exits non-zero on any failure,
or when nothing ran."""

import json
import os
import re
import sys

layer, path, log, rc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
smp = 0
want_kmemleak = False
kcsan_syms = None
for opt in sys.argv[5:]:
    if opt.startswith("--smp="):
        smp = int(opt[6:])
    elif opt.startswith("--kcsan="):
        with open(opt[8:]) as f:
            kcsan_syms = set(f.read().split())
    elif opt == "--kmemleak":
        want_kmemleak = True
    else:
        sys.exit("kunit_count.py: unknown option " + opt)

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
# Lockdep's reports start with "WARNING:" or "BUG:" ("BUG: Invalid wait
# context"), as do KASAN's, soft lockups and "scheduling while atomic".
REPORT = re.compile(
    r"WARNING:|BUG:|Oops|UBSAN:|possible circular locking|"
    r"inconsistent lock state|Invalid wait context|"
    r"list_add corruption|list_del corruption|"
    r"sleeping function called from invalid context|"
    r"scheduling while atomic|INFO: task .* blocked for more than|"
    r"rcu: INFO: .* detected stalls|Kernel panic")

reports = []
text = ""
if os.path.exists(log):
    text = open(log, errors="replace").read().replace("\r", "")
if kcsan_syms is not None:
    # A report runs from its "BUG: KCSAN:" line to the next rule of '='
    # (the one KCSAN closes it with); a frame is " func+0x12/0x34".  The
    # reports are taken out of the text so the scan below sees them once.
    ours = others = 0
    rest = []
    block = None
    for line in text.splitlines():
        if block is None and "BUG: KCSAN:" in line:
            block = [line]
            continue
        if block is None:
            rest.append(line)
            continue
        block.append(line)
        if re.search(r"^(\[[ .0-9]+\] )?={20,}", line) or len(block) > 200:
            frames = set(re.findall(r"\b([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x",
                                    "\n".join(block)))
            title = block[0][block[0].index("BUG: KCSAN:"):]
            if frames & kcsan_syms:
                ours += 1
                reports.append(title + "  (in allocpools: %s)" % ", ".join(
                    sorted(frames & kcsan_syms)))
                print("---- KCSAN report %d, naming allocpools ----" % ours)
                print("\n".join(block[:-1]))
            else:
                others += 1
                print("kcsan: not counted, no allocpools function in it: " +
                      title)
            block = None
    if block is not None:
        reports.append("KCSAN report cut off: " + block[0])
        print("\n".join(block))
    text = "\n".join(rest)
    print("kcsan: %d report(s) naming allocpools, %d outside it" % (ours,
                                                                      others))
OPEN = re.compile(r"allocpools_kasan: expect (\d+) KASAN report\(s\) \{")
CLOSE = re.compile(r"allocpools_kasan: \}")
if text:
    expect = None
    for line in text.splitlines():
        if BENIGN.search(line):
            continue
        m = OPEN.search(line)
        if m:
            if expect is not None:
                reports.append("allocpools_kasan: bracket not closed")
            expect, seen = int(m.group(1)), 0
            continue
        if CLOSE.search(line) and expect is not None:
            if seen != expect:
                reports.append("allocpools_kasan: %d KASAN report(s) where "
                               "%d expected" % (seen, expect))
            expect = None
            continue
        if expect is not None and "BUG: KASAN:" in line:
            seen += 1
            continue
        if REPORT.search(line):
            reports.append(line.rstrip())
    if expect is not None:
        reports.append("allocpools_kasan: bracket not closed at the end")
if smp:
    m = re.search(r"smp: Brought up \d+ nodes?, (\d+) CPUs?", text)
    if not m or int(m.group(1)) < smp:
        reports.append("expected %d CPUs: %s" % (
            smp, m.group(0) if m else "no 'smp: Brought up' line"))
if want_kmemleak:
    # Kernel messages may share a line with the markers.
    m = re.search(r"@@@ kmemleak scanned(.*?)@@@ kmemleak end", text, re.S)
    if not m:
        reports.append("no kmemleak scan after the suites (no '@@@ kmemleak "
                       "scanned ... end' in the log)")
    else:
        # Objects allocated from start_kernel() itself came before any
        # initcall, allocpools' and KUnit's included: 6.1 reports its
        # ACPI caches (acpi_early_init) once it is asked twice.
        early = 0
        for leak in re.split(r"(?=unreferenced object )", m.group(1)):
            if not leak.startswith("unreferenced object "):
                continue
            if re.search(r"\bstart_kernel\+", leak):
                early += 1
            else:
                reports.append("kmemleak: " + leak.splitlines()[0])
        if early:
            print("kmemleak: %d object(s) allocated in start_kernel() "
                  "before any initcall, not counted" % early)
for r in reports[:30]:
    print("kernel log: " + r)

passed = counts["PASS"]
failed = counts["FAIL"] + counts["ERROR"] + (1 if reports else 0)
if passed + failed == 0 or (rc and not failed):
    print("%s: kunit exited %d without results" % (layer, rc))
    failed += 1
print("%s: %d passed, %d failed, %d skipped" % (layer, passed, failed,
                                               counts["SKIP"]))
sys.exit(1 if failed else 0)
