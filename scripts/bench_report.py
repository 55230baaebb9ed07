#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench_report.py OUT TOP: the tables of make bench.

Reads the raw figures scripts/bench.sh left in OUT, prints one table per
layer with ratios to the peers and the issue's targets, and writes them
between the markers of TOP/BENCHMARKS.md (the text around them is kept),
with the plot of cost per op against pool size in
TOP/Documentation/bench-scaling.png, that of the per-call cost
distribution (run=worst) in TOP/Documentation/bench-worst.png and that of
throughput against threads (run=threads) in
TOP/Documentation/bench-threads.png.

The thread and producer/consumer runs (run=threads, run=spsc) come from
the boots OUT/k-threads-N.txt, one file a boot; raw files from before
those boots existed hold one thread run in OUT/k-time.txt, which is then
taken as the only boot.
"""

import datetime
import glob
import os
import platform
import re
import statistics
import subprocess
import sys

OURS = ["buddy", "bget-ff", "bget-bf", "bump_slab", "bump_slab-buddy"]
# the per-CPU fronts a flag turns on, measured in the kernel: BGET
# (BGET_PERCPU) in the ops and thread runs, bump_slab on a buddy arena
# (BUMP_SLAB_PERCPU)
SLAB_PCP = "bump_slab-buddy-pcp"
PCP = ["bget-ff-pcp", "bget-bf-pcp", SLAB_PCP]
K_OURS = OURS + PCP
# the userspace rows: the same, where bench.sh measures them
US_OURS = K_OURS
WORKLOADS = ["lifo64", "fifo-mixed", "random-churn", "pow2-churn"]
K_PEERS = ["kmalloc", "kmem_cache", "mempool", "genpool-ff16", "genpool-bf16",
           "genpool-ff4k", "genpool-bf4k", "alloc_pages"]
BEGIN = "<!-- bench:begin (written by make bench: scripts/bench_report.py) -->"
END = "<!-- bench:end -->"


def read(path):
    try:
        with open(path) as f:
            return [l.split() for l in f if l.strip()]
    except FileNotFoundError:
        return []


def num(x):
    return float(x)


def fmt(v, nd=0):
    if v is None:
        return "–"
    if nd == 0:
        return f"{v:,.0f}"
    return f"{v:,.{nd}f}"


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def cmd(args):
    try:
        return subprocess.run(args, capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return "?"


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for l in f:
            if l.startswith("model name"):
                model = l.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // (1024 * 1024)
    os_name = "?"
    if os.path.exists("/etc/debian_version"):
        with open("/etc/debian_version") as f:
            os_name = "Debian " + f.read().strip()
    qemu = cmd(["qemu-system-x86_64", "--version"]).splitlines()
    gcc = cmd(["gcc", "--version"]).splitlines()
    vg = cmd(["valgrind", "--version"])
    return (f"{os_name}, {model}, {os.cpu_count()} CPUs, {mem} GiB, "
            f"host kernel {platform.release()}; "
            f"{gcc[0] if gcc else '?'}; {vg}; "
            f"{qemu[0] if qemu else '?'} (TCG, no KVM)")


def kernel_lines(rows, kind):
    """{(workload, allocator): value per op} from apbench lines of a kind."""
    res = {}
    for r in rows:
        if r[0] == kind and len(r) == 7 and r[5].isdigit():
            res[(r[1], r[2], int(r[3]))] = (num(r[5]) / 10, int(r[6]))
    return res


# run=worst: quantiles in parts per million, as bench/allocpools_bench.c
# prints them (worst_ppm[]), then max, calls over 4x the median, the max
# call's index and size
WORST_PPM = [100000, 250000, 500000, 750000, 900000, 950000, 990000, 995000,
             999000, 999500, 999900]
WORST_FIELDS = 7 + len(WORST_PPM) + 4
# the peers the worst-case target compares with: kmalloc, and gen_pool as
# the other targets take it (first fit, 16-byte granules); for the FIFO
# pool's push and shift, kfifo
WORST_PEERS = ["kmalloc", "genpool-ff16"]
WORST_OURS = K_OURS + ["iom", "iom-spsc"]
# the queues: push+shift, not alloc+free; each IOM ring against the kfifo
# with the same locking (IOM_SPSC against bare kfifo, the locked ring
# against kfifo_in_spinlocked()/kfifo_out_spinlocked())
QUEUES = ["iom", "iom-spsc", "kfifo", "kfifo-spinlocked"]
QUEUE_PEER = {"iom": "kfifo-spinlocked", "iom-spsc": "kfifo"}


def worst_lines(rows):
    """{(workload, allocator, kind): dict} from the run=worst lines."""
    res = {}
    for r in rows:
        if r[0] != "worst" or len(r) != WORST_FIELDS or not r[4].isdigit():
            continue
        v = [int(x) for x in r[4:]]
        q = dict(zip(WORST_PPM, v[3:3 + len(WORST_PPM)]))
        m = v[3 + len(WORST_PPM):]
        res[(r[1], r[2], r[3])] = {
            "n": v[0], "fails": v[1], "clock": v[2], "q": q,
            "median": q[500000], "p99": q[990000], "p9999": q[999900],
            "max": m[0], "over": m[1], "max_op": m[2], "max_size": m[3]}
    return res


def worst_kinds(w, a):
    return ("push", "shift") if a in QUEUES else ("alloc", "free")


def worst_check(worst, w, a, kind):
    """The issue's worst-case target on one row: (met, why missed)."""
    d = worst[(w, a, kind)]
    why = []
    if d["max"] > 4 * max(d["median"], 1):
        why.append(f"max {d['max'] / max(d['median'], 1):.1f}× median")
    for p in ([QUEUE_PEER[a]] if a in QUEUE_PEER else WORST_PEERS):
        pd = worst.get((w, p, kind))
        if pd is None:
            why.append(f"{p} not measured")
        elif d["max"] > pd["max"]:
            why.append(f"max > {p}'s {fmt(pd['max'])}")
    return not why, why


# run=threads and run=spsc, one set of lines a boot: the allocators of
# issue 12's scaling target are OURS, beside THREAD_PEERS; each IOM ring
# against the kfifo with the same locking, as in the ops run
THREAD_PEERS = ["kmalloc", "kmem_cache"]
SCALE_TARGET = 1.6
SPSC_FIELDS = 9
SPSC_PEER = {"iom-spsc": "kfifo", "iom": "kfifo-spinlocked"}


def thread_boots(out, ktime):
    """[(threads, spsc, rows)] a boot: {(allocator, n): ops per ms},
    {queue: (records per ms, failures, full, empty)} and its raw lines."""
    paths = sorted(glob.glob(os.path.join(out, "k-threads-*.txt")),
                   key=lambda p: int(re.sub(r"\D", "", os.path.basename(p))
                                     or 0))
    files = [read(p) for p in paths] or [ktime]
    boots = []
    for rows in files:
        th = {(r[2], int(r[3])): num(r[5]) for r in rows
              if r[0] == "threads" and len(r) == 7 and r[5].isdigit()}
        sp = {r[2]: tuple(int(x) for x in r[5:9]) for r in rows
              if r[0] == "spsc" and len(r) == SPSC_FIELDS and r[5].isdigit()}
        if th or sp:
            boots.append((th, sp, rows))
    return boots


def boot_medians(per_boot):
    """{key: (median, min, max, boots)} of the first figure of each value
    over the boots that measured the key."""
    vals = {}
    for b in per_boot:
        for k, v in b.items():
            vals.setdefault(k, []).append(v[0] if isinstance(v, tuple) else v)
    return {k: (statistics.median(v), min(v), max(v), len(v))
            for k, v in vals.items()}


def spread(ratios):
    """(median, min, max, boots) of per-boot ratios, or None."""
    if not ratios:
        return None
    return (statistics.median(ratios), min(ratios), max(ratios), len(ratios))


def speedup(boots, a, n):
    """n threads' throughput over one thread's, each boot's own ratio."""
    return spread([b[0][(a, n)] / b[0][(a, 1)] for b in boots
                   if b[0].get((a, 1)) and (a, n) in b[0]])


def spsc_ratio(boots, a, p):
    """Producer/consumer records per ms of queue a over peer p, per boot."""
    return spread([b[1][a][0] / b[1][p][0] for b in boots
                   if a in b[1] and b[1].get(p) and b[1][p][0]])


def show_spread(s, unit="×"):
    if s is None:
        return "–"
    return (f"{s[0]:.2f}{unit} ({s[1]:.2f}–{s[2]:.2f}, {s[3]} "
            f"boot{'s' if s[3] != 1 else ''})")


def spread_target(tg, what, s, limit, unit):
    """A target row checked on the median of per-boot ratios, at least."""
    if s is None:
        tg.append([what, "–", "not measured"])
        return
    tg.append([what, show_spread(s, unit),
               "met" if s[0] >= limit else "**missed**"])


def threads_md(boots, threads):
    """The section of run=threads: throughput against threads."""
    md = []
    counts = sorted({k[1] for k in threads})
    nb = len(boots)
    # ops per thread: the run's total (field 4) over its threads
    per = sorted({int(r[4]) // int(r[3]) for _, _, rows in boots
                  for r in rows if r[0] == "threads" and len(r) == 7
                  and r[3].isdigit() and r[4].isdigit() and int(r[3])})
    md.append(f"### Kernel: throughput against threads (`-smp 2`, "
              f"{nb} boot{'s' if nb != 1 else ''})\n")
    md.append(
        "random-churn, 1000 live per thread, "
        f"{' or '.join(fmt(n) for n in per) or '–'} ops per thread "
        "(5 × `BENCH_THREAD_OPS`), one pool shared by all the "
        "threads, thread i bound to CPU i % 2: throughput in ops per ms "
        "of wall time, from the start signal to the last thread's end "
        "(building each thread's live set and freeing it included).  "
        "With 4 threads, two per CPU, the two on a CPU take turns only "
        "where the kernel may preempt them (Debian's 6.1 is voluntary "
        "preemption): inside kmalloc's and kmem_cache's `GFP_KERNEL` "
        "calls, which may sleep; an allocpools call has no such point, "
        "so each of its threads normally runs to its end before the "
        "other on its CPU starts, and 4 threads measure two pairs of 2 "
        "on a shared pool one after the other.  "
        "Each boot (`BENCH_THREAD_BOOTS`) runs every row once; TCG wall "
        "time is noisy, so every figure is the median over the boots, "
        "with the spread (min–max) of the per-boot ratio to one thread.  "
        "Target (issue 12): two threads ≥ "
        f"{SCALE_TARGET}× one thread for every allocpools allocator, "
        "checked against the median.  Plot: "
        "`Documentation/bench-threads.png`.\n")
    md.append("![throughput against threads](Documentation/bench-threads.png)"
              "\n")
    rows = []
    for a in sorted({k[0] for k in threads},
                    key=lambda x: (x not in K_OURS,
                                   (K_OURS + THREAD_PEERS + [x]).index(x),
                                   x)):
        r = [a]
        for n in counts:
            t = threads.get((a, n))
            r.append(f"{fmt(t[0])} ({fmt(t[1])}–{fmt(t[2])})" if t else "–")
        for n in counts[1:]:
            r.append(show_spread(speedup(boots, a, n)))
        rows.append(r)
    md.append(table(["allocator"] +
                    [f"{n} thread{'s' if n > 1 else ''}: ops/ms (min–max)"
                     for n in counts] +
                    [f"{n}/1 threads (min–max)" for n in counts[1:]],
                    rows) + "\n")
    return md


def spsc_md(boots, spsc):
    """The section of run=spsc: one producer, one consumer."""
    md = []
    md.append("### Kernel: one producer and one consumer (`-smp 2`, "
              "`run=spsc`)\n")
    md.append(
        "fifo-mixed records, pushed in order by a kthread bound to CPU 0 "
        "and shifted by one bound to CPU 1 (each record's length checked), "
        "through a 2 MiB ring that starts empty; a full or empty queue is "
        "polled.  iom-spsc (`IOM_SPSC`, no lock) against bare kfifo "
        "(record mode, `struct kfifo_rec_ptr_2`, one reader and one "
        "writer); iom (the locked ring) against `kfifo_in_spinlocked()`/"
        "`kfifo_out_spinlocked()`.  Records per ms of wall time, from the "
        "start signal to the last shift, median of the boots (min–max); "
        "the ratio is each boot's own, then its median.  Full / empty: "
        "records that found the ring full at the producer or empty at "
        "the consumer (medians).\n")
    rows = []
    for q in QUEUES:
        t = spsc.get(q)
        if not t:
            continue
        waits = [[b[1][q][k] for b in boots if q in b[1]] for k in (2, 3)]
        p = SPSC_PEER.get(q)
        rows.append([q, f"{fmt(t[0])} ({fmt(t[1])}–{fmt(t[2])})",
                     " / ".join(fmt(statistics.median(w)) for w in waits),
                     f"{show_spread(spsc_ratio(boots, q, p))} {p}"
                     if p else "(peer)"])
    md.append(table(["queue", "records/ms (min–max)", "full / empty",
                     "ratio to its kfifo"], rows) + "\n")
    return md


def main():
    out, top = sys.argv[1], sys.argv[2]
    us_ir = {(r[0], r[1]): (num(r[2]), num(r[3]), num(r[4]))
             for r in read(os.path.join(out, "us-ir.txt"))}
    us_mem = {(r[0], r[1]): (int(r[2]), int(r[3]), num(r[4]))
              for r in read(os.path.join(out, "us-mem.txt"))}
    us_scale = {(int(r[0]), r[1]): num(r[2])
                for r in read(os.path.join(out, "us-scale.txt"))}
    fifo4k = {r[0]: num(r[1]) for r in read(os.path.join(out, "us-fifo4k.txt"))}
    ktime = read(os.path.join(out, "k-time.txt"))
    kic = read(os.path.join(out, "k-icount.txt"))
    k_ns = kernel_lines(ktime, "ops")
    k_ir = kernel_lines(kic, "ops")
    k_scale = kernel_lines(kic, "scale")
    boots = thread_boots(out, ktime)
    threads = boot_medians([b[0] for b in boots])
    spsc = boot_medians([b[1] for b in boots])
    worst = worst_lines(kic)
    braw = [r for b in boots for r in b[2]]
    fails = [" ".join(r) for r in ktime + kic + braw
             if r[0] in ("ops", "scale", "threads") and len(r) == 7 and
             r[6] != "0"]
    fails += [" ".join(r[:7]) for r in braw
              if r[0] == "spsc" and len(r) == SPSC_FIELDS and r[6] != "0"]
    fails += [" ".join(r) for r in braw
              if r[0] == "end" and len(r) == 3 and r[2] != "0"]
    fails += [" ".join(r) for r in ktime + kic + braw if "failed" in r]
    fails += [" ".join(r[:6]) for r in kic
              if r[0] == "worst" and len(r) == WORST_FIELDS and r[5] != "0"]

    md = []
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    md.append(f"Run of {now} on {machine()}.\n")
    md.append("Commands: `make bench` (`scripts/bench.sh`; kernel ops per "
              "run from `BENCH_OPS`, default 20000; boots of the thread and "
              "producer/consumer runs from `BENCH_THREAD_BOOTS`, default "
              "5).  Raw figures: `~/.cache/allocpools/bench/`.\n")

    # ---- kernel ----
    def kop(w, a):
        return k_ir.get((w, a, 64 << 20)) or k_ir.get((w, a, 2 << 20))

    def kns(w, a):
        return k_ns.get((w, a, 64 << 20)) or k_ns.get((w, a, 2 << 20))

    if k_ir:
        md.append("### Kernel: guest instructions per op (`-icount shift=0`)\n")
        md.append("Debian's kernel in QEMU, booted with `init_on_alloc=0`; "
                  "one op is one alloc+free pair (iom and kfifo: one "
                  "push+shift of a fifo-mixed record); the harness's loop "
                  "and indirect call are included for every allocator "
                  "alike.  allocpools pools and gen_pool regions are "
                  "64 MiB; the ring of iom and kfifo 2 MiB.\n")
        cols = K_OURS + K_PEERS
        rows = []
        for w in WORKLOADS:
            rows.append([w] + [fmt(kop(w, a)[0]) if kop(w, a) else "–"
                               for a in cols])
        md.append(table(["workload"] + cols, rows) + "\n")
        q = {a: kop("fifo-mixed", a) for a in QUEUES}
        if all(q.values()):
            md.append("Queues, fifo-mixed push+shift (kfifo as "
                      "`struct kfifo_rec_ptr_2`): " + ", ".join(
                          f"{a} {fmt(q[a][0])}" for a in QUEUES) +
                      "; " + ", ".join(
                          f"{a}/{p} = {q[a][0] / q[p][0]:.2f}"
                          for a, p in QUEUE_PEER.items()) + ".\n")
        md.append("Ratios to the peers (instructions; < 1: allocpools is "
                  "cheaper):\n")
        rows = []
        for w in WORKLOADS:
            for a in K_OURS:
                if not kop(w, a):
                    continue
                r = [w, a]
                for p in ("kmalloc", "kmem_cache", "genpool-ff16",
                          "alloc_pages"):
                    r.append(f"{kop(w, a)[0] / kop(w, p)[0]:.2f}"
                             if kop(w, p) else "–")
                rows.append(r)
        md.append(table(["workload", "allocator", "/kmalloc", "/kmem_cache",
                         "/genpool-ff16", "/alloc_pages"], rows) + "\n")
    if k_ns:
        md.append("### Kernel: ns per op (two vCPUs, multi-threaded TCG)\n")
        md.append("Wall-clock time inside an emulator on a shared host: "
                  "for orientation only; the instruction counts above "
                  "decide.\n")
        cols = K_OURS + K_PEERS
        rows = [[w] + [fmt(kns(w, a)[0], 1) if kns(w, a) else "–"
                       for a in cols] for w in WORKLOADS]
        md.append(table(["workload"] + cols, rows) + "\n")
    if threads:
        md.extend(threads_md(boots, threads))
    if spsc:
        md.extend(spsc_md(boots, spsc))

    if worst:
        md.extend(worst_md(worst))

    # ---- scaling ----
    sizes = sorted({k[2] for k in k_scale} | {m << 20 for m, _ in us_scale})
    if sizes:
        md.append("### Cost per op against pool size (random-churn)\n")
        md.append("min(5000, pool / 4 KiB) objects live, so that 1 MiB "
                  "fits.  Kernel: guest instructions per op; userspace: "
                  "instructions per alloc+free net of the harness.  "
                  "gen_pool: first fit, 16-byte granules, over a region "
                  "of the pool's size.  Plot: `Documentation/bench-scaling.png`."
                  "\n")
        rows = []
        for s in sizes:
            r = [f"{s >> 20} MiB"]
            for a in OURS:
                k = k_scale.get(("random-churn", a, s))
                u = us_scale.get((s >> 20, a))
                r.append(f"{fmt(k[0]) if k else '–'} / {fmt(u)}")
            k = k_scale.get(("random-churn", "genpool-ff16", s))
            r.append(fmt(k[0]) if k else "–")
            rows.append(r)
        md.append(table(["pool"] + [f"{a} (kernel / user)" for a in OURS] +
                        ["genpool-ff16 (kernel)"], rows) + "\n")

    # ---- userspace ----
    if us_ir:
        md.append("### Userspace: instructions per alloc+free (callgrind)\n")
        md.append("The same `.c` files built `-O2` against the shim "
                  "(`-DAP_SHIM_BENCH`: a test-and-set spinlock), 20,000 "
                  "measured ops after the live set is built; the "
                  "harness's own cost (the `none` allocator) is subtracted. "
                  "In parentheses: ns per op natively, best of three runs "
                  "of 200,000 ops.\n")
        cols = (["glibc", "jemalloc"] +
                [a for a in US_OURS if any((w, a) in us_ir for w in WORKLOADS)] +
                ["fifo", "fifo-spsc"])
        rows = []
        for w in WORKLOADS:
            rows.append([w] + [f"{fmt(us_ir[(w, a)][0])} "
                               f"({fmt(us_ir[(w, a)][2], 1)} ns)"
                               if (w, a) in us_ir else "–" for a in cols])
        md.append(table(["workload"] + cols, rows) + "\n")
        rows = []
        for w in WORKLOADS:
            for a in US_OURS:
                if (w, a) in us_ir:
                    rows.append([w, a] + [
                        f"{us_ir[(w, a)][0] / us_ir[(w, p)][0]:.2f}"
                        if (w, p) in us_ir and us_ir[(w, p)][0] > 0 else "–"
                        for p in ("glibc", "jemalloc")])
        md.append("Ratios (instructions):\n")
        md.append(table(["workload", "allocator", "/glibc", "/jemalloc"],
                        rows) + "\n")
    if fifo4k:
        f, m = fifo4k.get("fifo"), fifo4k.get("memcpy")
        if f and m:
            md.append("### Userspace: 4 KiB records through the FIFO\n")
            md.append(f"Push+shift of 4 KiB records through a 64 KiB ring "
                      f"(8 queued): {fmt(f, 1)} ns per record, "
                      f"{fmt(4096e3 / f)} MB/s.  Plain memcpy of the same "
                      f"4 KiB from source to destination: "
                      f"{fmt(m, 1)} ns, {fmt(4096e3 / m)} MB/s.  "
                      f"FIFO / memcpy bandwidth: {m / f:.0%}.\n")
    if us_mem:
        md.append("### Memory: smallest pool for the workload\n")
        md.append("The smallest pool (bisection to 1/256 of the peak) in "
                  "which 100,000 ops of the churn complete with no failed "
                  "allocation, as a multiple of the peak bytes live "
                  "(as requested).\n")
        rows = []
        for w in ("random-churn", "pow2-churn"):
            for a in K_OURS:
                if (w, a) in us_mem:
                    p, m, r = us_mem[(w, a)]
                    rows.append([w, a, fmt(p), fmt(m), f"{r:.3f}"])
        md.append(table(["workload", "allocator", "peak live bytes",
                         "smallest pool", "ratio"], rows) + "\n")

    # ---- targets ----
    tg = []

    def maybe(f):
        try:
            return f()
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return None

    def target(what, get, limit, show, at_most=True):
        """One row: the figure get() returns, against limit."""
        v = maybe(get)
        if v is None:
            tg.append([what, "–", "not measured"])
            return
        ok = v <= limit if at_most else v >= limit
        tg.append([what, show.format(v), "met" if ok else "**missed**"])

    def kratio(w, a, peer):
        return lambda: kop(w, a)[0] / kop(w, peer)[0]

    def flat(a):
        ks = [k_scale[k][0] for k in k_scale if k[1] == a]
        us = [us_scale[k] for k in us_scale if k[1] == a]
        return max(max(ks) / min(ks), max(us) / min(us))

    target("FIFO: fifo-mixed push+shift ≤ kfifo_in/out_spinlocked (kernel)",
           kratio("fifo-mixed", "iom", "kfifo-spinlocked"), 1,
           "{:.2f}× kfifo-spinlocked")
    target("FIFO, IOM_SPSC: fifo-mixed push+shift ≤ lockless kfifo (kernel)",
           kratio("fifo-mixed", "iom-spsc", "kfifo"), 1, "{:.2f}× kfifo")
    target("FIFO: 4 KiB records ≥ 50% of memcpy bandwidth (userspace)",
           lambda: fifo4k["memcpy"] / fifo4k["fifo"], 0.5, "{:.0%}",
           at_most=False)
    target("bump_slab: lifo64 ≤ kmem_cache (kernel)",
           kratio("lifo64", "bump_slab", "kmem_cache"), 1, "{:.2f}× kmem_cache")
    target("bump_slab: ≤ 25 instructions per alloc+free (userspace, worst workload)",
           lambda: max(us_ir[(w, "bump_slab")][0] for w in WORKLOADS), 25,
           "{:,.0f}")
    target("bump_slab: 2 threads ≥ 1.5× 1 thread (kernel, -smp 2)",
           lambda: speedup(boots, "bump_slab", 2)[0], 1.5,
           "{:.2f}×", at_most=False)
    target("buddy: pow2-churn ≤ ½ alloc_pages (kernel)",
           kratio("pow2-churn", "buddy", "alloc_pages"), 0.5,
           "{:.2f}× alloc_pages")
    target("buddy: ≤ 60 instructions per alloc+free (userspace, worst workload)",
           lambda: max(us_ir[(w, "buddy")][0] for w in WORKLOADS), 60, "{:,.0f}")
    # issue 12: every allocator at or below jemalloc on every workload
    for a in US_OURS:
        target(f"{a}: ≤ jemalloc's instructions per alloc+free on every "
               "workload (userspace)",
               lambda: max(us_ir[(w, a)][0] / us_ir[(w, "jemalloc")][0]
                           for w in WORKLOADS), 1,
               "up to {:.2f}× jemalloc")
    for a in ("buddy", "bget-ff", "bget-bf"):
        target(f"{a}: flat from 1 MiB to 1 GiB (max/min ≤ 1.25)",
               lambda: flat(a), 1.25, "max/min {:.2f}")
    for a in ("bget-ff", "bget-bf"):
        target(f"{a}: random-churn ≤ kmalloc (kernel)",
               kratio("random-churn", a, "kmalloc"), 1, "{:.2f}× kmalloc")
        target(f"{a}: random-churn ≥ 20× cheaper than gen_pool first fit, 16 B (kernel)",
               kratio("random-churn", "genpool-ff16", a), 20,
               "{:.0f}× cheaper", at_most=False)
    for a, lim in (("bget-ff", 80), ("bget-bf", 120)):
        target(f"{a}: ≤ {lim} instructions (userspace, random-churn)",
               lambda: us_ir[("random-churn", a)][0], lim, "{:,.0f}")
    # rechecked with the per-CPU fronts on (issue 12); the buddy arena's is
    # always on
    for w, a, lim in (("random-churn", "bget-bf", 1.3), ("pow2-churn", "buddy", 1.5),
                      ("random-churn", "bump_slab-buddy", 2.5),
                      ("random-churn", "bget-bf-pcp", 1.3),
                      ("random-churn", SLAB_PCP, 2.5)):
        target(f"memory: {a} on {w} ≤ {lim}× peak live",
               lambda: us_mem[(w, a)][2], lim, "{:.3f}×")
    for w in WORKLOADS:
        target(f"{SLAB_PCP}: {w} ≤ kmalloc (kernel)",
               kratio(w, SLAB_PCP, "kmalloc"), 1, "{:.2f}× kmalloc")
    for a in K_OURS:
        spread_target(tg, f"{a}: 2 threads ≥ {SCALE_TARGET}× 1 thread "
                      "(kernel, random-churn, -smp 2; median of the boots, "
                      "spread min–max)",
                      speedup(boots, a, 2), SCALE_TARGET, "×")
    for a, p in SPSC_PEER.items():
        spread_target(tg, f"FIFO{', IOM_SPSC' if a == 'iom-spsc' else ''}: "
                      f"one producer and one consumer on two CPUs ≥ {p} "
                      "(kernel, records per ms; median of the boots, "
                      "spread min–max)",
                      spsc_ratio(boots, a, p), 1, f"× {p}")
    for a in WORST_OURS:
        rows = [(w, k) for w in WORKLOADS for k in worst_kinds(w, a)
                if (w, a, k) in worst]
        peers = (f"{QUEUE_PEER[a]}'s max (kernel, fifo-mixed)"
                 if a in QUEUE_PEER else
                 "kmalloc's and gen_pool's max (kernel, every workload)")
        if not rows:
            tg.append([f"worst case: {a} max ≤ 4× median, ≤ {peers}", "–",
                       "not measured"])
            continue
        bad = [(w, k, worst_check(worst, w, a, k)[1]) for w, k in rows
               if not worst_check(worst, w, a, k)[0]]
        ratio = max(worst[(w, a, k)]["max"] /
                    max(worst[(w, a, k)]["median"], 1) for w, k in rows)
        tg.append([f"worst case: {a} max ≤ 4× median, ≤ {peers}",
                   f"max/median up to {ratio:.1f}; " +
                   (f"{len(bad)} of {len(rows)} rows missed"
                    if bad else f"all {len(rows)} rows met"),
                   "**missed**" if bad else "met"])
    md.append("### Against the targets\n")
    md.append(table(["target", "measured", ""], tg) + "\n")
    if fails:
        md.append("Runs with failed allocations or setup: " +
                  "; ".join(fails) + "\n")

    text = "\n".join(md)
    print(text)

    # ---- BENCHMARKS.md and the plot ----
    path = os.path.join(top, "BENCHMARKS.md")
    try:
        with open(path) as f:
            doc = f.read()
    except FileNotFoundError:
        doc = "# allocpools benchmarks\n\n" + BEGIN + "\n" + END + "\n"
    if BEGIN not in doc or END not in doc:
        doc += "\n" + BEGIN + "\n" + END + "\n"
    doc = (doc[:doc.index(BEGIN) + len(BEGIN)] + "\n" + text + "\n" +
           doc[doc.index(END):])
    with open(path, "w") as f:
        f.write(doc)
    plot(out, top, k_scale, us_scale)
    plot_worst(out, top, worst)
    plot_threads(out, top, boots, threads)
    print(f"bench: wrote {path}")


def plot(out, top, k_scale, us_scale):
    if not k_scale and not us_scale:
        return
    dat = os.path.join(out, "scale.dat")
    series = OURS + ["genpool-ff16"]
    sizes = sorted({k[2] >> 20 for k in k_scale} | {m for m, _ in us_scale})
    with open(dat, "w") as f:
        for s in sizes:
            row = [str(s)]
            for a in series:
                k = k_scale.get(("random-churn", a, s << 20))
                row.append(f"{k[0]:.1f}" if k else "NaN")
            for a in OURS:
                u = us_scale.get((s, a))
                row.append(f"{u:.1f}" if u is not None else "NaN")
            f.write(" ".join(row) + "\n")
    png = os.path.join(top, "Documentation", "bench-scaling.png")
    n = len(series)
    kplots = ", ".join(
        f"'{dat}' using 1:{i + 2} with linespoints title '{a}'"
        for i, a in enumerate(series))
    uplots = ", ".join(
        f"'{dat}' using 1:{n + i + 2} with linespoints title '{a}'"
        for i, a in enumerate(OURS))
    # One panel per layer that ran: gnuplot fails on a panel whose every
    # point is NaN (BENCH_LAYERS=kernel or =userspace).
    panels = []
    if k_scale:
        panels.append(f"""set ylabel 'guest instructions per op'
set title 'kernel (QEMU -icount shift=0)'
plot {kplots}""")
    if us_scale:
        panels.append(f"""set ylabel 'instructions per alloc+free'
set title 'userspace (callgrind, net of the harness)'
plot {uplots}""")
    body = "\n".join(panels)
    script = f"""
set terminal pngcairo size 1000,{410 * len(panels)} font 'sans,10' noenhanced
set output '{png}'
set multiplot layout {len(panels)},1 title 'allocpools: random-churn cost per op against pool size'
set logscale x 2
set logscale y 10
set xlabel 'pool size (MiB)'
set key outside right
set grid
{body}
unset multiplot
"""
    r = subprocess.run(["gnuplot"], input=script, text=True,
                       capture_output=True, check=False)
    if r.returncode:
        print("bench: gnuplot failed: " + r.stderr, file=sys.stderr)


def worst_md(worst):
    """The worst-case section of BENCHMARKS.md."""
    md = []
    clock = next((d for (w, a, k), d in worst.items() if a == "clock"), None)
    md.append("### Kernel: worst case per call (`-icount shift=0`, "
              "`run=worst`)\n")
    md.append(
        "Each call of the ops run (every alloc and every free; for iom and "
        "kfifo every push and every shift) timed alone: interrupts off "
        "around the call and its two clock reads, `GFP_ATOMIC` (what an "
        "interrupt handler passes), the same scripts, pools and peers as "
        "the ops run.  Guest instructions per call, net of the two clock "
        "reads: an empty pair timed the same way costs "
        f"{fmt(clock['median']) if clock else '–'} (median; max "
        f"{fmt(clock['max']) if clock else '–'}), and its median is "
        "subtracted.  Every call, kfifo's too, is made through the "
        "harness's indirect call, which is included alike.  Calls per "
        f"row: {fmt(clock['n']) if clock else '–'} (`BENCH_WORST_OPS`), "
        "so p99.99 is the "
        f"{fmt(clock['n'] / 10000) if clock else '–'}th largest; the "
        "gen_pool peers with 16-byte granules make a "
        "hundredth of the calls (their p99.99 is not shown: below "
        "20,000 calls it is the max).  Target (issue 12), checked per "
        "allocpools row: max ≤ 4× median, and max ≤ the max of kmalloc "
        "and of gen_pool (first fit, 16-byte granules) on the same "
        "workload and call; for the FIFO pool, ≤ the max of the kfifo "
        "with the same locking on the same call (iom against "
        "kfifo-spinlocked, iom-spsc against bare kfifo).  Plot: `Documentation/bench-worst.png`.\n")
    md.append("![per-call cost distribution](Documentation/bench-worst.png)"
              "\n")
    rows = []
    misses = []
    allocs = K_OURS + K_PEERS + QUEUES
    for w in WORKLOADS:
        for a in allocs:
            for k in worst_kinds(w, a):
                d = worst.get((w, a, k))
                if not d:
                    continue
                if a in WORST_OURS:
                    ok, why = worst_check(worst, w, a, k)
                    t = "met" if ok else "**missed**: " + "; ".join(why)
                    if not ok:
                        misses.append((w, a, k, d))
                else:
                    t = "(peer)"
                rows.append([
                    w, a, k, fmt(d["n"]), fmt(d["median"]), fmt(d["p99"]),
                    fmt(d["p9999"]) if d["n"] >= 20000 else "–",
                    fmt(d["max"]),
                    f"{d['max'] / max(d['median'], 1):.1f}",
                    fmt(d["over"]),
                    f"#{d['max_op']}, {d['max_size']} B", t])
    md.append(table(["workload", "allocator", "call", "calls", "median",
                     "p99", "p99.99", "max", "max/median",
                     "calls > 4× median", "max call (index, size)",
                     "target"], rows) + "\n")
    if misses:
        md.append("Where the misses come from.  Per allocator and call, "
                  "for each workload that missed the 4× median rule or a "
                  "peer's max (misses against gen_pool's max alone are "
                  "in the last item): the max, the index "
                  "of the call that took it (lifo64: round × 1000 + slot; "
                  "the churns: the op) and its size, and how many calls "
                  "went over 4× the median; then the path such a call "
                  "takes, read in the allocator's code.\n")
        groups = {}
        gp = []
        for w, a, k, d in misses:
            why = worst_check(worst, w, a, k)[1]
            if any("genpool" in x for x in why):
                gp.append((w, a, k))
            why = [x for x in why if "genpool" not in x]
            if why:
                groups.setdefault((a, k), []).append((w, d, why))
        for (a, k), wd in groups.items():
            seen = "; ".join(
                f"{w}: {', '.join(why)} ({fmt(d['max'])}) at call "
                f"#{d['max_op']} ({d['max_size']} B), {fmt(d['over'])} of "
                f"{fmt(d['n'])} calls over 4× median" for w, d, why in wd)
            md.append(f"- **{a} {k}** ({seen}).  " +
                      WORST_WHY.get((a, k), "(not analysed)") +
                      "".join("  " + WORST_SEEN[(a, k, w, d["max_op"])]
                              for w, d, _ in wd
                              if (a, k, w, d["max_op"]) in WORST_SEEN))
        if gp:
            parts = []
            for w in WORKLOADS:
                g = worst.get((w, "genpool-ff16", "alloc"))
                ours = [worst[(w, a, k)]["max"] for a in K_OURS
                        for k in ("alloc", "free") if (w, a, k) in worst]
                if g and ours:
                    parts.append(f"{fmt(g['max'])} on {w} (allocpools' "
                                 f"largest call there: {fmt(max(ours))})")
            md.append(
                f"- **Above gen_pool's max** ({len(gp)} rows, "
                f"{sum(k == 'free' for _, _, k in gp)} of them frees): "
                "`gen_pool_free()` clears the block's bits in one chunk's "
                "bitmap and merges nothing, a nearly flat cost; an "
                "allocpools free checks the block (so that a bad free is "
                "refused in O(1) before anything is written), merges or "
                "caches it and keeps the counters exact.  gen_pool pays "
                "in its alloc instead, a scan of the bitmap; its alloc "
                "max (over its 1,000 calls) is " + ", ".join(parts) + ".")
        md.append("")
    return md


def plot_worst(out, top, worst):
    """Documentation/bench-worst.png: CCDF of the cost per call."""
    if not worst:
        return
    dat = os.path.join(out, "worst.dat")
    series = OURS + ["kmalloc", "kmem_cache", "genpool-ff16"]
    panels = []
    index = 0
    with open(dat, "w") as f:
        for row, kinds in enumerate((("alloc", "push"), ("free", "shift"))):
            for w in WORKLOADS:
                lines = []
                for a in series + QUEUES:
                    k = kinds[1] if a in QUEUES else kinds[0]
                    d = worst.get((w, a, k))
                    if not d:
                        continue
                    # P(cost >= x): 1 - q at each quantile, 1/n at the max
                    pts = [(max(v, 1), 1 - ppm / 1e6)
                           for ppm, v in sorted(d["q"].items())
                           if d["n"] * (1 - ppm / 1e6) >= 1]
                    pts.append((max(d["max"], 1), 1 / d["n"]))
                    for x, y in pts:
                        f.write(f"{x} {y:.8g}\n")
                    f.write("\n\n")
                    title = a if a not in QUEUES else f"{a} {k}"
                    # allocpools solid and thicker, the peers dashed
                    style = {"iom": "lw 2 lc rgb 'black'",
                             "iom-spsc": "lw 2 lc rgb 'gray30'",
                             "kfifo": "lw 1 dt 2 lc rgb 'gray40'",
                             "kfifo-spinlocked":
                                 "lw 1 dt 3 lc rgb 'gray60'"}.get(
                        a, "lw 2" if a in OURS else "lw 1 dt 2")
                    lines.append(f"'{dat}' index {index} using 1:2 with "
                                 f"steps {style} title '{title}'")
                    index += 1
                panels.append((f"{w}: {kinds[0]}" +
                               (f" (queues: {kinds[1]})"
                                if w == "fifo-mixed" else ""), lines))
    png = os.path.join(top, "Documentation", "bench-worst.png")
    script = [
        "set terminal pngcairo size 1700,1150 font 'sans,9' noenhanced",
        f"set output '{png}'",
        "set multiplot layout 2,4 title 'allocpools: per-call cost, "
        "fraction of calls costing at least x (QEMU -icount shift=0, "
        "interrupts off)'",
        "set logscale xy", "set grid",
        "set key below horizontal maxrows 4 font ',8'",
        "set format y '%g'",
        "set xlabel 'guest instructions per call'",
        "set ylabel 'fraction of calls'", "set yrange [5e-6:1.5]"]
    for title, lines in panels:
        script.append(f"set title '{title}'")
        script.append("plot " + ", ".join(lines) if lines else
                      "plot 1/0 notitle")
    script.append("unset multiplot")
    r = subprocess.run(["gnuplot"], input="\n".join(script) + "\n",
                       text=True, capture_output=True, check=False)
    if r.returncode:
        print("bench: gnuplot failed: " + r.stderr, file=sys.stderr)


def plot_threads(out, top, boots, threads):
    """Documentation/bench-threads.png: throughput against threads."""
    if not threads:
        return
    dat = os.path.join(out, "threads.dat")
    counts = sorted({k[1] for k in threads})
    series = [a for a in K_OURS + THREAD_PEERS
              if any((a, n) in threads for n in counts)]
    left, right = [], []
    with open(dat, "w") as f:
        for i, a in enumerate(series):
            # threads (each series a little aside, so that the bars do
            # not hide each other), median ops/ms, min, max, median
            # speedup, min, max
            x = (i - (len(series) - 1) / 2) * 0.04
            for n in counts:
                t = threads.get((a, n))
                s = speedup(boots, a, n) if n > 1 else (1, 1, 1, 0)
                if not t or not s:
                    continue
                f.write(f"{n + x:.3f} {t[0]:.1f} {t[1]:.1f} {t[2]:.1f} "
                        f"{s[0]:.4f} {s[1]:.4f} {s[2]:.4f}\n")
            f.write("\n\n")
            style = "lw 2" if a in K_OURS else "lw 1 dt 2"
            left.append(f"'{dat}' index {i} using 1:2:3:4 with yerrorlines "
                        f"{style} title '{a}'")
            right.append(f"'{dat}' index {i} using 1:5:6:7 with "
                         f"yerrorlines {style} title '{a}'")
    png = os.path.join(top, "Documentation", "bench-threads.png")
    nb = len(boots)
    xt = ", ".join(str(n) for n in counts)
    script = [
        "set terminal pngcairo size 1400,620 font 'sans,10' noenhanced",
        f"set output '{png}'",
        "set multiplot layout 1,2 title 'allocpools: random-churn, one "
        "pool shared by the threads, thread i on CPU i % 2 (QEMU -smp 2, "
        f"TCG wall time; median of {nb} boots, bars min-max)'",
        "set grid", f"set xtics ({xt})",
        f"set xrange [{counts[0] - 0.3}:{counts[-1] + 0.3}]",
        "set key below horizontal font ',9'", "set xlabel 'threads'",
        "set title 'throughput'", "set ylabel 'ops per ms'",
        "set yrange [0:*]",
        "plot " + ", ".join(left),
        "set title 'against one thread (each boot its own ratio)'",
        "set ylabel 'throughput / one thread'",
        f"set label 'target at 2 threads: {SCALE_TARGET}x' at 2.05, "
        f"first {SCALE_TARGET} offset 0,0.6 left font ',8'",
        "plot " + ", ".join(right) + f", {SCALE_TARGET} with lines lw 1 "
        "dt 3 lc rgb 'red' notitle",
        "unset multiplot"]
    r = subprocess.run(["gnuplot"], input="\n".join(script) + "\n",
                       text=True, capture_output=True, check=False)
    if r.returncode:
        print("bench: gnuplot failed: " + r.stderr, file=sys.stderr)


# Where a long call comes from, per allocator (and call), read in the
# allocator's code for the max calls that run=worst records.
WORST_WHY = {
    ("iom", "push"):
        "A push copies the record into the ring (two memcpys when it "
        "wraps) and writes its 1..3-byte cookie, under the buffer's raw "
        "spinlock taken with irqsave, and counts it; kfifo's record mode "
        "writes a fixed 2-byte length (kfifo_in_spinlocked() under a "
        "spinlock too); with IOM_SPSC the push takes no lock and "
        "publishes the write index with a release store.  The costs grow "
        "with the record: the max of each is a 1024-byte record, "
        "fifo-mixed's largest.  Bound: one chunk copied (at most 65535 "
        "bytes), nothing that depends on the ring's fill.",
    ("iom", "shift"):
        "A shift reads the cookie and copies the record out (two memcpys "
        "when it wraps), under the same lock; the max is again a "
        "1024-byte record.  Bound: one chunk copied.",
    ("buddy", "alloc"):
        "An allocation that finds no free block of its order splits the "
        "smallest larger one, one order per step, each step linking the "
        "upper half on its order's list (`take_block_locked()`): after "
        "lifo64 has freed everything the only free block is the whole "
        "64 MiB region (order 26), and the round's first 64-byte "
        "allocation (order 6) splits 20 times.  Bound: max_order − "
        "min_order (26) split steps; with the benchmark's pool, "
        "log2(pool) − order of the request.",
    ("buddy", "free"):
        "A free merges with its buddy for as long as the buddy is free and "
        "of the same order, each step a checked unlink from that order's "
        "list (`release_block_locked()`): lifo64 frees in reverse, so the "
        "round's last free (slot 0) merges 20 times back into the 64 MiB "
        "block.  Bound: max_order − min_order (26) merge steps, "
        "log2(pool) − order of the block here.",
    ("bump_slab", "alloc"):
        "An allocation from an empty per-CPU cache first copies the "
        "class's newest magazine back (BS_BATCH = 32 pointers), or takes "
        "a batch of 32 checked links from the pool list.  Bound: one "
        "batch of BS_BATCH.",
    ("bump_slab", "free"):
        "A free onto a full per-CPU cache (BS_CACHE_MAX = 64 objects) "
        "first moves its BS_BATCH = 32 oldest pointers into a magazine of "
        "the depot, a 32-pointer copy and a move of the 32 left "
        "(`flush_locked()`): one free in 32 pays it, which is lifo64's "
        "30 such frees per round of 1000.  Bound: one batch of BS_BATCH "
        "pointers copied (or, with no magazine spare, 32 links written "
        "to the pool list).",
    ("bump_slab-buddy", "alloc"):
        "In buddy mode a class with no free object takes a new slab from "
        "the buddy arena: the arena's split chain (buddy alloc above) "
        "inside the slab allocation, once per slab, which lifo64 meets "
        "at each round's first allocation after the last round gave "
        "every slab back.  Bound: the arena's max_order − min_order "
        "split steps plus carving the slab's first object.",
    ("bump_slab-buddy", "free"):
        "In buddy mode the free that empties a slab gives the slab back "
        "to the buddy arena, and the arena's merge chain (buddy free "
        "above) runs inside it: once per slab, at lifo64's last free of "
        "a round.  Bound: the arena's max_order − min_order merge steps.",
    ("bget-ff", "free"):
        "A free merges with both neighbours when they are free: each is "
        "unlinked from its exact-size bin (O(1), safe-unlink checks) or, "
        "at 16 KiB and more, from the size tree (O(log n) in the distinct "
        "large sizes), and the merged block is linked into a bin or the "
        "tree.  Bound: two unlinks and one insertion, the tree's only "
        "when a block of 16 KiB or more is involved.",
    ("bget-ff", "alloc"):
        "An allocation that no exact-size bin meets searches the bitmap "
        "summary (two find-first-bits) or the size tree (O(log n)), then "
        "splits and files the rest in a bin or the tree.  Bound: one "
        "O(log n) search and one insertion.",
}
WORST_WHY[("bget-bf", "free")] = WORST_WHY[("bget-ff", "free")]

# What a max call was seen to do, when it was looked at: the run's script
# replayed against the same source built on the userspace shim, with the
# neighbours of each freed block read before the free.  Shown only while
# the run's max is still that call.
WORST_SEEN = {
    ("bget-ff", "free", "random-churn", 97013):
        "Replayed (2026-12-01): call #97013 frees a 160-byte block (132 B "
        "asked) between a free 17,984-byte block below, in the size tree, "
        "and a free 640-byte block above, in a bin: all three become one "
        "large block, re-filed in the size tree.  20 of the run's 100,000 frees merge "
        "both neighbours with a block of 16 KiB or more involved.",
}
WORST_SEEN[("bget-bf", "free", "random-churn", 97013)] = \
    WORST_SEEN[("bget-ff", "free", "random-churn", 97013)]
WORST_WHY[("bget-bf", "alloc")] = WORST_WHY[("bget-ff", "alloc")]
WORST_WHY[("bget-ff-pcp", "alloc")] = (
    "An allocation that finds this CPU's class of its exact size empty "
    "refills it under the pool lock: one block for the caller, an "
    "allocation of the locked path, and BGET_PCP_BATCH - 1 (11) more of "
    "that size cut from one free block that holds them all (a second "
    "allocation and a header each), or, where none does, as many "
    "allocations of the locked path.  Bound: BGET_PCP_BATCH locked "
    "allocations.")
WORST_WHY[("bget-ff-pcp", "free")] = (
    "A free that finds this CPU's class full gives its BGET_PCP_BATCH "
    "(12) oldest blocks back under the pool lock, each merged with its free "
    "neighbours as a free of the locked path does.  Bound: BGET_PCP_BATCH "
    "coalescing frees.")
WORST_WHY[("bget-bf-pcp", "alloc")] = WORST_WHY[("bget-ff-pcp", "alloc")]
WORST_WHY[("bget-bf-pcp", "free")] = WORST_WHY[("bget-ff-pcp", "free")]
WORST_WHY[("bump_slab-buddy-pcp", "alloc")] = (
    "An allocation that finds this CPU's cache of its class empty refills "
    "it with up to BS_BATCH (32) objects popped from the class's slabs, "
    "under the pool lock; a class with no free object first takes new "
    "slabs from the buddy arena, with no lock of the pool's held: enough "
    "for BS_PCP_FRESH (16) objects, so up to 16 buddy allocations (each "
    "with its splits) for a class of one object a slab (the 4 KiB "
    "requests), and lays each out.  Bound: BS_PCP_FRESH buddy allocations "
    "and one refill of BS_BATCH objects.")
WORST_WHY[("bump_slab-buddy-pcp", "free")] = (
    "A free that finds this CPU's cache of its class full sends its "
    "BS_BATCH (32) oldest objects back to their slabs under the pool "
    "lock; each slab that becomes empty goes back to the buddy arena once "
    "the lock is dropped (a buddy free, with its merges): up to BS_BATCH "
    "of them for a class of one object a slab.  Bound: BS_BATCH object "
    "releases and BS_BATCH buddy frees.")
WORST_WHY[("iom-spsc", "push")] = (
    "As the locked ring's push, without the lock: the record's copy (two "
    "memcpys when it wraps), its cookie, and a release store of the write "
    "index with the chunk count.  Bound: one chunk copied.")
WORST_WHY[("iom-spsc", "shift")] = (
    "An acquire load of the write index, the cookie's check and the "
    "record's copy out, then a release store of the read index.  Bound: "
    "one chunk copied.")


if __name__ == "__main__":
    main()
