# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of allocpools' documentation (make htmldocs).
#
# The kernel-doc directive is the kernel's own: Documentation/sphinx/
# kerneldoc.py (and the kernellog.py it imports) and scripts/kernel-doc,
# read in place from the cached linux-source-6.12 tree, nothing copied
# here.  6.12 rather than 6.1 because 6.1's kernel-doc does not recognise
# EXPORT_SYMBOL_NS_GPL(), so its ":export:" would find no function of ours;
# the 6.12 extension works with Debian 12's Sphinx 5.3.
#
# scripts/htmldocs.sh passes the tree as ALLOCPOOLS_KSRC; a bare
# sphinx-build asks scripts/ksrc.sh for it.

import os
import re
import subprocess
import sys

top = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
ksrc = os.environ.get('ALLOCPOOLS_KSRC')
if not ksrc:
    ksrc = subprocess.run([os.path.join(top, 'scripts', 'ksrc.sh'), '6.12'],
                          check=True, stdout=subprocess.PIPE,
                          text=True).stdout.strip()
sys.path.insert(0, os.path.join(ksrc, 'Documentation', 'sphinx'))

# kerneldoc.py only prints what kernel-doc says on stderr; with
# KDOC_WERROR a warning makes kernel-doc exit non-zero, which kerneldoc.py
# turns into a Sphinx warning, and "sphinx-build -W" into a failed build.
os.environ['KDOC_WERROR'] = '1'

project = 'allocpools'
copyright = 'the allocpools authors'
author = 'the allocpools authors'

extensions = ['kerneldoc']
kerneldoc_bin = os.path.join(ksrc, 'scripts', 'kernel-doc')
kerneldoc_srctree = top
# Pass kernel-doc's stderr through even when it succeeds: htmldocs.sh
# fails a build that printed anything, so a warning KDOC_WERROR missed
# is still seen.
kerneldoc_verbosity = 1

primary_domain = 'c'
highlight_language = 'none'
# Attributes that may stand in a prototype and that Sphinx's C parser
# would otherwise take for the type or the name.
c_id_attributes = [
    '__always_inline',
    '__cold',
    '__init',
    '__exit',
    '__malloc',
    '__must_check',
    '__printf',
    'notrace',
]

master_doc = 'index'
# scripts/htmldocs.sh builds into Documentation/output/: not a page.
exclude_patterns = ['output']
html_theme = 'alabaster'
html_static_path = []
html_show_sourcelink = False

# The measured figures of which-allocator.rst, read from BENCHMARKS.md
# (written by "make bench") at build time, so that the page cites the run
# it was built with and never a copy of its digits:
#   |bench-run|            the run's date and time
#   |ki-WORKLOAD-ALLOC|    kernel guest instructions per op
#   |q-QUEUE|              fifo-mixed push+shift: iom, iom-spsc, kfifo,
#                          kfifo-spinlocked
#   |mem-WORKLOAD-ALLOC|   smallest pool over peak live bytes
#   |thrN-ALLOC|           random-churn throughput of N threads (2, 4) over
#                          one thread's, median of the boots ("1.72×")
#   |spsc-QUEUE|           records per ms, one producer and one consumer
#                          on two CPUs, median of the boots
# A figure the page names and the file lacks is an undefined substitution,
# which "sphinx-build -W" fails on.


def bench_substitutions(path):
    subst = {}
    with open(path, encoding='utf-8') as f:
        text = f.read()
    m = re.search(r'^Run of (\d{4}-\d\d-\d\d \d\d:\d\d)', text, re.M)
    if m:
        subst['bench-run'] = m.group(1)
    # Each "### " section's first table, as rows of cells.
    for title, body in re.findall(r'^### (.*)\n((?:(?!^### ).*\n)*)', text, re.M):
        m = re.search(r'(?:^\|.*\n)+', body, re.M)
        rows = [[c.strip() for c in line.strip().strip('|').split('|')]
                for line in (m.group(0).splitlines() if m else [])]
        rows = [r for r in rows if not set(''.join(r)) <= set('-: ')]
        if title.startswith('Kernel: guest instructions per op') and rows:
            head = rows[0]
            for r in rows[1:]:
                for name, cell in zip(head[1:], r[1:]):
                    subst[f'ki-{r[0]}-{name}'] = cell
            m = re.search(r'^Queues, .*$', body, re.M)
            for name, cell in re.findall(
                    r'(?<![\w/-])(iom|iom-spsc|kfifo|kfifo-spinlocked)'
                    r'(?: \(`[^`]*`\))? (\d(?:[\d,]*\d)?)', m.group(0) if m else ''):
                subst[f'q-{name}'] = cell
        elif title.startswith('Kernel: throughput against threads') and rows:
            for r in rows[1:]:
                for name, cell in zip(rows[0][1:], r[1:]):
                    m = re.match(r'(\d+)/1 threads', name)
                    if m:
                        subst[f'thr{m.group(1)}-{r[0]}'] = cell.split(' (')[0]
        elif title.startswith('Kernel: one producer and one consumer') and rows:
            for r in rows[1:]:
                subst[f'spsc-{r[0]}'] = r[1].split(' (')[0]
        elif title.startswith('Memory: smallest pool') and rows:
            for r in rows[1:]:
                subst[f'mem-{r[0]}-{r[1]}'] = r[-1] + '×'
    return subst


rst_epilog = ''.join(f'\n.. |{k}| replace:: {v}'
                     for k, v in bench_substitutions(
                         os.path.join(top, 'BENCHMARKS.md')).items()) + '\n'
