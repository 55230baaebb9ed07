#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make htmldocs: render Documentation/ with Sphinx (Debian's python3-sphinx)
# and the kernel's own kernel-doc extension, read in place from the cached
# linux-source-6.12 (Documentation/conf.py says why 6.12), into
# Documentation/output/html/ (HTMLDOCS_OUT=DIR for another place; the
# doctrees go beside it).  Always a fresh build: an incremental one would
# stay quiet about the warnings of pages it did not reread.
#
# Then the checks, one result each:
#   - the build printed nothing and exited 0: "sphinx-build -W" makes any
#     Sphinx warning an error, and conf.py sets KDOC_WERROR so that a
#     kernel-doc warning fails kernel-doc, which the extension reports as a
#     Sphinx warning;
#   - every function exported from a *.c file (EXPORT_SYMBOL*, _NS too) is
#     a documented C function in the rendered API page (an exported
#     variable must be named there);
#   - every struct defined in include/allocpools/*.h is a documented C
#     struct there.
# Ends with "htmldocs: N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=${HTMLDOCS_OUT:-$top/Documentation/output}

finish() {
	echo "htmldocs: $1 passed, $2 failed"
	[ "$2" -eq 0 ]
	exit
}

# Idempotent: apt-get only when the package is not installed, and its
# index refreshed only when the install fails without that.
installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
if ! installed python3-sphinx; then
	if [ "$(id -u)" != 0 ]; then
		echo "FAIL: python3-sphinx is missing: sudo apt-get install python3-sphinx"
		finish 0 1
	fi
	echo "htmldocs: installing python3-sphinx" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt_install() {
		apt-get install -y -qq --no-install-recommends python3-sphinx >&2
	}
	if ! apt_install && ! { apt-get update -qq && apt_install; }; then
		echo "FAIL: cannot install python3-sphinx"
		finish 0 1
	fi
fi

if ! ksrc=$(scripts/ksrc.sh 6.12); then
	echo "FAIL: no linux-source-6.12 for the kernel-doc extension"
	finish 0 1
fi

rm -rf "$out"
mkdir -p "$out"
log=$out/sphinx.log
# Debian's interpreter, whatever python3 comes first in PATH: the package
# installs Sphinx for /usr/bin/python3 only.
ALLOCPOOLS_KSRC=$ksrc /usr/bin/python3 -m sphinx -b html -q -W --keep-going \
	-d "$out/doctrees" Documentation "$out/html" >"$log" 2>&1
rc=$?

pass=0 fail=0
if [ $rc = 0 ] && [ ! -s "$log" ]; then
	echo "htmldocs: Documentation/ built without a warning"
	pass=$((pass + 1))
else
	echo "FAIL: sphinx-build exited $rc; what it printed:"
	head -n 40 "$log"
	fail=$((fail + 1))
fi

# The export lines (the symbol names) and the public structs, read from
# the sources as they are now, not from a list that could go stale.
exports=$(git ls-files -co --exclude-standard -- '*.c' | grep -v '\.mod\.c$' |
	xargs -r awk '
		/^[ \t]*EXPORT_SYMBOL(_NS)?(_GPL)?[ \t]*\(/ {
			s = $0
			sub(/^[^(]*\([ \t]*/, "", s)
			sub(/[^A-Za-z0-9_].*/, "", s)
			# A function definition ends in "}" just above its export
			# line; anything else (an initialized object) is data.
			print (last == "}" ? "function " : "data ") s
		}
		NF { last = $0 }')
structs=$(sed -nE 's/^struct ([a-z0-9_]+) \{.*/\1/p' include/allocpools/*.h)

# Reads the API page and prints one "OK"/"FAIL" line per symbol asked for.
# A documented function is a <dl class="c function"> whose signature's id
# is "c.NAME"; the public headers' structs are pulled in the C namespace
# "types" (api.rst says why), so theirs is "c.types.NAME".
/usr/bin/python3 - "$out/html/api.html" "$exports" "$structs" >"$out/check.txt" <<'EOF'
import html.parser
import sys

page, exports, structs = sys.argv[1], sys.argv[2].split('\n'), sys.argv[3].split()


class Api(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.kinds = []         # the classes of the open <dl> elements
        self.ids = {}           # signature id -> the kind of its <dl>
        self.code = set()       # the text of every <code> element
        self.in_code = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'dl':
            self.kinds.append(a.get('class') or '')
        elif tag == 'dt' and a.get('id', '').startswith('c.') and self.kinds:
            self.ids[a['id']] = self.kinds[-1]
        elif tag == 'code':
            self.in_code += 1

    def handle_endtag(self, tag):
        if tag == 'dl' and self.kinds:
            self.kinds.pop()
        elif tag == 'code' and self.in_code:
            self.in_code -= 1

    def handle_data(self, data):
        if self.in_code:
            self.code.add(data.strip())


api = Api()
try:
    with open(page, encoding='utf-8') as f:
        api.feed(f.read())
except OSError as e:
    print(f'FAIL: cannot read the API page: {e}')
for line in filter(None, exports):
    kind, name = line.split()
    if kind == 'function':
        ok = api.ids.get('c.' + name) == 'c function'
        what = f'exported function {name}() documented'
    else:
        ok = name in api.code
        what = f'exported object {name} named'
    print(('OK: ' if ok else 'FAIL: ') + what + ' in api.html')
for name in structs:
    ok = api.ids.get('c.types.' + name) == 'c struct'
    print(('OK: ' if ok else 'FAIL: ') + f'struct {name} documented in api.html')
EOF
if [ $? != 0 ] || [ ! -s "$out/check.txt" ]; then
	echo "FAIL: the API page check did not run"
	fail=$((fail + 1))
fi
n=$(grep -c '^OK: ' "$out/check.txt")
pass=$((pass + n))
grep '^FAIL: ' "$out/check.txt"
n=$(grep -c '^FAIL: ' "$out/check.txt")
fail=$((fail + n))
echo "htmldocs: $n of $(wc -l <"$out/check.txt") symbols missing from" \
	"the API page; HTML in ${out#"$top"/}/html/index.html"
finish $pass $fail
