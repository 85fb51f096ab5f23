#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Mutation check (make mutants): every test must fail when the behaviour it
# names is broken. Each lab/mutants/diffs/*.diff (diffs-mainline/ for
# SERIES=mainline) breaks the series on purpose and
# names, in an "Expect:" line, the KUnit cases that must then fail (a
# mutant without one is an error: nothing would be asked to catch it)
# ("kernel-log" for a splat of the kernel's own checkers), and in an "Arch:"
# line where the suites run (um by default, x86_64 for IOMMU_DMA). The
# mutants are applied one at a time to a scratch tree of the whole series
# ($LAB_OUT/mutants/tree, never out/tree).
#
#   mutants.sh [--results FILE] [MUTANT...]
. "$(dirname "$0")/../lib/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
work=$LAB_OUT/mutants
# make check passes its own tree (LAB_SCRATCH_TREE) to save a checkout.
tree=${LAB_SCRATCH_TREE:-$work/tree}
mkdir -p "$work"
results=
while [ $# -gt 0 ]; do
	case $1 in
	--results) results=$2; shift 2 ;;
	-*) die "usage: mutants.sh [--results FILE] [MUTANT...]" ;;
	*) break ;;
	esac
done
mutants=("$@")
# The 6.1 series' mutants are in diffs/, the mainline series' in diffs-mainline/.
diffs=$here/diffs
[ "$SERIES" != mainline ] || diffs=$here/diffs-mainline
[ ${#mutants[@]} -gt 0 ] || mapfile -t mutants < <(ls "$diffs"/*.diff)
for i in "${!mutants[@]}"; do mutants[$i]=$(realpath "${mutants[$i]}"); done

FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$tree" >/dev/null 2>&1 || "$LAB_DIR/tree/tree.sh" --tree "$tree"
killed=0 survived=0
for m in "${mutants[@]}"; do
	name=$(basename "$m" .diff)
	expect=$(sed -n 's/^Expect: //p' "$m")
	what=$(sed -n 's/^Mutant: //p' "$m")
	arch=$(sed -n 's/^Arch: //p' "$m")
	arch=${arch:-um}
	git -C "$tree" checkout -q -- .
	if [ -z "$expect" ]; then
		log "mutant $name has no 'Expect:' line naming the cases that must fail"
		verdict="FAIL mutant $name: no Expect: line (nothing could catch it)"
		survived=$((survived + 1))
	elif ! git -C "$tree" apply "$m"; then
		log "mutant $name no longer applies to the series; update it"
		verdict="FAIL mutant $name: does not apply"
		survived=$((survived + 1))
	else
		per=$work/$name.txt
		: >"$per"
		"$LAB_DIR/kunit/kunit.sh" --arch "$arch" --tree "$tree" --build "$work/kunit-$arch" \
			--results "$per" --label "$name" >/dev/null 2>&1 || true
		missing=""
		for c in $expect; do
			grep -q "^FAIL $name: .*\b$c\b" "$per" || missing="$missing $c"
		done
		if [ -z "$missing" ]; then
			verdict="PASS mutant $name ($what) is caught by: $expect"
			killed=$((killed + 1))
		else
			verdict="FAIL mutant $name ($what) is not caught by:$missing"
			survived=$((survived + 1))
		fi
	fi
	git -C "$tree" checkout -q -- .
	log "$verdict"
	[ -z "$results" ] || echo "$verdict" >>"$results"
done
log "mutants: $killed caught, $survived not caught"
[ "$survived" -eq 0 ]
