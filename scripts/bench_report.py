#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench_report.py OUT TOP: the tables of make bench.

Reads the raw figures scripts/bench.sh left in OUT, prints one table per
layer with ratios to the peers and the issue's targets, and writes them
between the markers of TOP/BENCHMARKS.md (the text around them is kept),
with the plot of cost per op against pool size in
TOP/Documentation/bench-scaling.png.
"""

import datetime
import os
import platform
import re
import subprocess
import sys

OURS = ["buddy", "bget-ff", "bget-bf", "bump_slab", "bump_slab-buddy"]
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
    threads = {(r[2], int(r[3])): num(r[5]) for r in ktime
               if r[0] == "threads" and len(r) == 7}
    fails = [" ".join(r) for r in ktime + kic
             if r[0] in ("ops", "scale", "threads") and len(r) == 7 and
             r[6] != "0"]
    fails += [" ".join(r) for r in ktime + kic if "failed" in r]

    md = []
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    md.append(f"Run of {now} on {machine()}.\n")
    md.append("Commands: `make bench` (`scripts/bench.sh`; kernel ops per "
              "run from `BENCH_OPS`, default 20000).  Raw figures: "
              "`~/.cache/allocpools/bench/`.\n")

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
        cols = OURS + K_PEERS
        rows = []
        for w in WORKLOADS:
            rows.append([w] + [fmt(kop(w, a)[0]) if kop(w, a) else "–"
                               for a in cols])
        md.append(table(["workload"] + cols, rows) + "\n")
        q = [kop("fifo-mixed", a) for a in ("iom", "kfifo")]
        if all(q):
            md.append(f"Queues, fifo-mixed push+shift: iom {fmt(q[0][0])}, "
                      f"kfifo (`struct kfifo_rec_ptr_2`) {fmt(q[1][0])}: "
                      f"iom/kfifo = {q[0][0] / q[1][0]:.2f}.\n")
        md.append("Ratios to the peers (instructions; < 1: allocpools is "
                  "cheaper):\n")
        rows = []
        for w in WORKLOADS:
            for a in OURS:
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
        cols = OURS + K_PEERS
        rows = [[w] + [fmt(kns(w, a)[0], 1) if kns(w, a) else "–"
                       for a in cols] for w in WORKLOADS]
        md.append(table(["workload"] + cols, rows) + "\n")
    if threads:
        md.append("### Kernel: one thread against two (`-smp 2`)\n")
        md.append("random-churn, 1000 live per thread, each thread bound "
                  "to its own CPU, one pool shared: throughput in ops per "
                  "ms of wall time.\n")
        rows = []
        for a in sorted({k[0] for k in threads},
                        key=lambda x: (x not in OURS, x)):
            t1, t2 = threads.get((a, 1)), threads.get((a, 2))
            rows.append([a, fmt(t1), fmt(t2),
                         f"{t2 / t1:.2f}" if t1 and t2 else "–"])
        md.append(table(["allocator", "1 thread", "2 threads", "ratio"],
                        rows) + "\n")

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
        cols = ["glibc", "jemalloc"] + OURS + ["fifo"]
        rows = []
        for w in WORKLOADS:
            rows.append([w] + [f"{fmt(us_ir[(w, a)][0])} "
                               f"({fmt(us_ir[(w, a)][2], 1)} ns)"
                               if (w, a) in us_ir else "–" for a in cols])
        md.append(table(["workload"] + cols, rows) + "\n")
        rows = []
        for w in WORKLOADS:
            for a in OURS:
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
            for a in OURS:
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

    target("FIFO: fifo-mixed push+shift ≤ kfifo (kernel)",
           kratio("fifo-mixed", "iom", "kfifo"), 1, "{:.2f}× kfifo")
    target("FIFO: 4 KiB records ≥ 50% of memcpy bandwidth (userspace)",
           lambda: fifo4k["memcpy"] / fifo4k["fifo"], 0.5, "{:.0%}",
           at_most=False)
    target("bump_slab: lifo64 ≤ kmem_cache (kernel)",
           kratio("lifo64", "bump_slab", "kmem_cache"), 1, "{:.2f}× kmem_cache")
    target("bump_slab: ≤ 25 instructions per alloc+free (userspace, worst workload)",
           lambda: max(us_ir[(w, "bump_slab")][0] for w in WORKLOADS), 25,
           "{:,.0f}")
    target("bump_slab: 2 threads ≥ 1.5× 1 thread (kernel, -smp 2)",
           lambda: threads[("bump_slab", 2)] / threads[("bump_slab", 1)], 1.5,
           "{:.2f}×", at_most=False)
    target("buddy: pow2-churn ≤ ½ alloc_pages (kernel)",
           kratio("pow2-churn", "buddy", "alloc_pages"), 0.5,
           "{:.2f}× alloc_pages")
    target("buddy: ≤ 60 instructions per alloc+free (userspace, worst workload)",
           lambda: max(us_ir[(w, "buddy")][0] for w in WORKLOADS), 60, "{:,.0f}")
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
    for w, a, lim in (("random-churn", "bget-bf", 1.3), ("pow2-churn", "buddy", 1.5),
                      ("random-churn", "bump_slab-buddy", 2.5)):
        target(f"memory: {a} on {w} ≤ {lim}× peak live",
               lambda: us_mem[(w, a)][2], lim, "{:.3f}×")
    md.append("### Against issue 6's targets\n")
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
    script = f"""
set terminal pngcairo size 1000,820 font 'sans,10' noenhanced
set output '{png}'
set multiplot layout 2,1 title 'allocpools: random-churn cost per op against pool size'
set logscale x 2
set logscale y 10
set xlabel 'pool size (MiB)'
set key outside right
set grid
set ylabel 'guest instructions per op'
set title 'kernel (QEMU -icount shift=0)'
plot {kplots}
set ylabel 'instructions per alloc+free'
set title 'userspace (callgrind, net of the harness)'
plot {uplots}
unset multiplot
"""
    r = subprocess.run(["gnuplot"], input=script, text=True,
                       capture_output=True, check=False)
    if r.returncode:
        print("bench: gnuplot failed: " + r.stderr, file=sys.stderr)


if __name__ == "__main__":
    main()
