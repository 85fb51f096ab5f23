#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The verdict on one KUnit run, from its kernel log alone.
#
#   kunit/judge.sh --log FILE --tree DIR [--rc N]
#
# Prints one "PASS|FAIL|SKIP <suite>.<case>" line per case, as the kernel's
# own KTAP parser reads the log (DIR/tools/testing/kunit/kunit.py parse),
# then "FAIL kernel-log" when the log from the first KTAP line on holds a
# report of the kernel's checkers (lab/lib/splats.txt), and "FAIL kunit.py" when
# the run exited non-zero (--rc, kunit.py run's status) or the log holds no
# result at all, without a failed case to show for it. Exits 1 when any line
# is a FAIL. lab/kunit/kunit.sh judges its runs with it; lab/check/selftest/judges.sh
# feeds it recorded logs.
. "$(dirname "$0")/../lib/lib.sh"

logf= tree= rc=0
while [ $# -gt 0 ]; do
	case $1 in
	--log) logf=$2; shift 2 ;;
	--tree) tree=$2; shift 2 ;;
	--rc) rc=$2; shift 2 ;;
	*) die "usage: kunit/judge.sh --log FILE --tree DIR [--rc N]" ;;
	esac
done
[ -n "$logf" ] && [ -n "$tree" ] || die "usage: kunit/judge.sh --log FILE --tree DIR [--rc N]"
if [ ! -f "$logf" ]; then	# the build or the boot failed
	echo "FAIL kunit.py"
	exit 1
fi
logf=$(realpath "$logf")	# kunit.py changes to the kernel tree
[ -f "$tree/tools/testing/kunit/kunit.py" ] || die "$tree has no tools/testing/kunit/kunit.py"

json=$(mktemp)
trap 'rm -f "$json"' EXIT
rows=()
if [ -s "$logf" ]; then
	python3 "$tree/tools/testing/kunit/kunit.py" parse --json="$json" "$logf" >/dev/null 2>&1 || true
fi
if [ -s "$json" ]; then
	mapfile -t rows < <(python3 - "$json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
def walk(suite):
	for case in suite.get("test_cases", []):
		# The parser names a case it expected and never saw "".
		print(("PASS" if case["status"] == "PASS" else
		       "SKIP" if case["status"] == "SKIP" else "FAIL"),
		      suite["name"] + "." + (case["name"] or "(a case that never reported: crash or hang)"))
	for sub in suite.get("sub_groups", []):
		walk(sub)
for suite in doc.get("sub_groups", []):
	walk(suite)
PY
	)
fi
printf '%s\n' "${rows[@]}" | sed '/^$/d'

re=$(splat_re)
# Consoles with printk.time prefix each line with "[   12.345678] ".
splats=$(sed 's/^\[ *[0-9]*\.[0-9]*\] //' "$logf" 2>/dev/null | sed -n '/^ *K\?TAP version/,$p' |
	grep -nE "$re" | head -n 20 || true)
bad=0
if [ -n "$splats" ]; then
	echo "FAIL kernel-log"
	printf '%s\n' "$splats" | sed 's/^/  kernel log: /' >&2
	bad=1
fi
nfail=$(printf '%s\n' "${rows[@]}" | grep -c '^FAIL' || true)
npass=$(printf '%s\n' "${rows[@]}" | grep -c '^PASS' || true)
if [ "$nfail" -eq 0 ] && { [ "$rc" -ne 0 ] || [ "$npass" -eq 0 ]; }; then
	echo "FAIL kunit.py"
	bad=1
fi
[ "$nfail" -eq 0 ] && [ "$bad" -eq 0 ]
