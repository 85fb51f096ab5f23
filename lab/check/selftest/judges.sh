#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of the lab's judges: recorded kernel logs (lab/check/selftest/logs),
# each with the verdict lab/kunit/judge.sh must give. A judge that lets a
# splat, a crash or a dead guest pass would make every later "passed" a lie;
# this runs in seconds, first in make check.
#
#   selftest/judges.sh --tree DIR --results FILE
#
# DIR is any kernel tree (for tools/testing/kunit/kunit.py parse). make check
# runs this before it makes its tree: where DIR has no kunit.py, the base's
# tools/testing/kunit is taken from its import (lab/tree/base.sh) instead.
. "$(dirname "$0")/../../lib/lib.sh"

lab=$LAB_DIR
logs=$lab/check/selftest/logs
tree=
results=
while [ $# -gt 0 ]; do
	case $1 in
	--tree) tree=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	*) die "usage: selftest/judges.sh --tree DIR --results FILE" ;;
	esac
done
[ -n "$tree" ] && [ -n "$results" ] || die "usage: selftest/judges.sh --tree DIR --results FILE"
if [ ! -f "$tree/tools/testing/kunit/kunit.py" ]; then
	"$lab/tree/base.sh"
	# shellcheck disable=SC1091
	. "$LAB_OUT/base.env"
	tree=$LAB_OUT/selftest-kunit
	rm -rf "$tree"
	mkdir -p "$tree"
	git -C "$BASE_REPO" archive "$BASE_COMMIT" tools/testing/kunit | tar -x -C "$tree" ||
		die "cannot take tools/testing/kunit from the base's import $BASE_REPO"
fi

# log file, exit status of the run, verdict: "pass" or the FAIL lines wanted
# (joined with ';'), what the log is.
cases=(
	"kunit-clean.log|0|pass|a clean run of the iova suite (21 cases)"
	"kunit-fail.log|1|FAIL iommu-iova.iova_test_find|a failed expectation"
	"kunit-kasan.log|0|FAIL kernel-log|a KASAN report while every case passed"
	"kunit-kasan-timestamps.log|0|FAIL kernel-log|the same with printk timestamps"
	"kunit-lockdep.log|0|FAIL kernel-log|a lockdep report while every case passed"
	"kunit-crash.log|1|FAIL kernel-log;FAIL iommu-iova.(a case that never reported: crash or hang)|a crash in the middle of the suite"
	"kunit-timeout.log|1|FAIL kunit.py|a guest that never reached the tests (timeout)"
	"no-such.log|1|FAIL kunit.py|no log at all (the build failed)"
)
for c in "${cases[@]}"; do
	IFS='|' read -r f rc want what <<<"$c"
	got=$("$lab/kunit/judge.sh" --log "$logs/$f" --tree "$tree" --rc "$rc" 2>/dev/null) && st=0 || st=$?
	ok=1
	if [ "$want" = pass ]; then
		[ "$st" -eq 0 ] && ! grep -q '^FAIL' <<<"$got" && grep -q '^PASS' <<<"$got" || ok=0
	else
		[ "$st" -ne 0 ] || ok=0
		IFS=';' read -ra wants <<<"$want"
		for w in "${wants[@]}"; do grep -qxF "$w" <<<"$got" || ok=0; done
	fi
	if [ "$ok" = 1 ]; then
		echo "PASS lab selftest: KUnit judge on $what: $want" >>"$results"
	else
		echo "FAIL lab selftest: KUnit judge on $what: want $want, got exit $st and $(grep -c '^FAIL' <<<"$got" || true) FAIL lines: $(grep '^FAIL' <<<"$got" | head -n 3 | tr '\n' ';')" >>"$results"
	fi
done
log "judges: $(grep -c '^PASS lab selftest: KUnit judge' "$results" || true) verdicts as recorded"
