#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Does the series apply to the base Debian serves now, and do the patch
# files round-trip through a work tree?
#
#   applycheck.sh --tree DIR --results FILE
#
# Debian replaces linux-source-6.1 with every upload, so the base the lab
# imports can differ from the one the patch files were last exported against
# (series/base.conf). That is news, not a failure:
#   - same base: a tree made from the patch files exports back to the same
#     bytes, base.conf included;
#   - moved base: one NOTE line names both bases, the patches that needed a
#     3-way merge and those whose export differs on the new base (hunk
#     positions, context: 'make export' refreshes them); the export must
#     apply back onto the new base and give the same tree;
#   - a patch that does not apply: FAIL, with the patch, the hunk and what to
#     do (lab/tree/tree.sh prints them).
# Writes PASS/FAIL/NOTE lines to the results file; exits 1 on a FAIL.
. "$(dirname "$0")/../lib/lib.sh"

tree=
results=
while [ $# -gt 0 ]; do
	case $1 in
	--tree) tree=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	*) die "usage: applycheck.sh --tree DIR --results FILE" ;;
	esac
done
[ -n "$tree" ] && [ -n "$results" ] || die "usage: applycheck.sh --tree DIR --results FILE"
mkdir -p "$(dirname "$tree")"
work=$(cd "$(dirname "$tree")" && pwd)
rc=0
pass() { echo "PASS $*" >>"$results"; log "PASS $*"; }
fail() { echo "FAIL $*" >>"$results"; log "FAIL $*"; rc=1; }
note() { echo "NOTE $*" >>"$results"; log "NOTE $*"; }

"$LAB_DIR/tree/base.sh"
# shellcheck disable=SC1091
. "$LAB_OUT/base.env"
now=$(base_describe "$LAB_OUT/base.env")
n=$(series_patches | wc -l)
if ! FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$tree"; then
	fail "series applies to $now (see the patch and hunk above)"
	exit 1
fi
pass "series applies to $now ($n patches)"

moved=
if [ ! -f "$SERIES_BASE" ]; then
	note "base: $now; series/base.conf is missing, so the base the patches were exported against is unknown ('make export' writes it)"
	moved=unknown
elif [ "$(. "$SERIES_BASE"; echo "$BASE_SHA256")" != "$BASE_SHA256" ]; then
	threeway=$(tr '\n' ' ' <"$tree/.git/lab-threeway")
	note "base moved: patches exported against $(base_describe "$SERIES_BASE"), checked on $now; 3-way merges: ${threeway:-none}"
	moved=yes
else
	note "base: $now, the one the patches were exported against"
fi

exp=$work/export
rm -rf "$exp"
if ! "$LAB_DIR/tree/export.sh" --tree "$tree" --to "$exp"; then
	fail "export of the fresh tree"
	exit 1
fi
if [ -z "$moved" ]; then
	if same_series "$exp" "$SERIES_DIR" >"$work/export.diff" &&
		diff -u "$SERIES_BASE" "$exp/base.conf" >>"$work/export.diff" &&
		cmp -s "$SERIES_DIR/0000-cover-letter.patch" "$exp/0000-cover-letter.patch"; then
		pass "export reproduces the patch files byte for byte"
	else
		fail "export reproduces the patch files byte for byte (see $work/export.diff)"
	fi
	exit $rc
fi

# The base moved: what differs is news; the export must still be the series.
if same_series "$exp" "$SERIES_DIR" >"$work/export.diff"; then
	note "export on the new base: the patch files are the same but for the cover letter's base lines"
else
	changed=$(sed -n 's/^--- a\/\([0-9]\{4\}-[^ ]*\.patch\)$/\1/p' "$work/export.diff" | tr '\n' ' ')
	note "export on the new base differs in ${changed:-some files} (hunk positions or context; diff: $work/export.diff): 'make export' refreshes them"
fi
want=$(git -C "$tree" rev-parse "$SERIES_BRANCH^{tree}")
git -C "$tree" checkout -q -f -B lab-reapply "$BASE_COMMIT"
mapfile -t exported < <(SERIES_DIR=$exp series_patches)
if git -C "$tree" am -q --keep-cr "${exported[@]}" >"$work/reapply.log" 2>&1 &&
	[ "$(git -C "$tree" rev-parse 'HEAD^{tree}')" = "$want" ]; then
	pass "export of the fresh tree applies back onto the new base and gives the same tree"
else
	git -C "$tree" am --abort >/dev/null 2>&1 || true
	fail "export of the fresh tree applies back onto the new base and gives the same tree (see $work/reapply.log)"
fi
git -C "$tree" checkout -q -f "$SERIES_BRANCH"
git -C "$tree" branch -q -D lab-reapply
exit $rc
