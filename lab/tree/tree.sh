#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Stage "tree": materialise a kernel work tree with the series applied.
#
#   tree.sh [--tree DIR] [--upto N]
#
# Clones the base repository (hard links, so it is quick and the work tree does
# not depend on the cache afterwards), checks out the base on branch "series"
# and applies the patch files with git am -3. The cover letter's text becomes
# the branch description, from which export.sh writes it back.
#
# An existing work tree is replaced only when that loses nothing: no
# uncommitted edits and no commits that differ from the patch files. FORCE=1
# overrides (the old branch stays reachable as series-old).
. "$(dirname "$0")/../lib/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

tree=$TREE
upto=
while [ $# -gt 0 ]; do
	case $1 in
	--tree) tree=$2; shift 2 ;;
	--upto) upto=$2; shift 2 ;;
	*) die "usage: tree.sh [--tree DIR] [--upto N]" ;;
	esac
done

"$here/base.sh"
# shellcheck disable=SC1091
. "$LAB_OUT/base.env"

if [ -d "$tree/.git" ]; then
	if [ "${FORCE:-0}" != 1 ]; then
		if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
			die "$tree has uncommitted changes. Commit them and run 'make export', or rerun with FORCE=1 to discard them"
		fi
		if git -C "$tree" rev-parse -q --verify "$SERIES_BRANCH" >/dev/null; then
			chk=$(mktemp -d "$LAB_OUT/cmp.XXXXXX")
			"$here/export.sh" --tree "$tree" --to "$chk" 2>/dev/null || true
			if ! same_series "$chk" "$SERIES_DIR" >/dev/null; then
				rm -rf "$chk"
				die "$tree holds commits that differ from the patch files in series/. Run 'make export' to keep them, or rerun with FORCE=1 to discard them"
			fi
			rm -rf "$chk"
		fi
	fi
	git -C "$tree" fetch -q "$BASE_REPO" "+refs/tags/base:refs/tags/base"
	if git -C "$tree" rev-parse -q --verify "$SERIES_BRANCH" >/dev/null; then
		git -C "$tree" branch -f series-old "$SERIES_BRANCH" 2>/dev/null || true
	fi
	git -C "$tree" am --abort >/dev/null 2>&1 || true
	git -C "$tree" checkout -q -f -B "$SERIES_BRANCH" "$BASE_COMMIT"
else
	need_space "$(dirname "$tree")" 2500
	log "cloning the base into $tree"
	git clone -q --no-checkout "$BASE_REPO" "$tree" ||
		die "could not clone $BASE_REPO into $tree (disk full? df -h $(dirname "$tree"))"
	git -C "$tree" checkout -q -B "$SERIES_BRANCH" "$BASE_COMMIT" ||
		die "could not check out the base in $tree (disk full? df -h $(dirname "$tree"))"
fi
git -C "$tree" config user.name "$LAB_NAME"
git -C "$tree" config user.email "$LAB_EMAIL"
git -C "$tree" config am.threeWay true

# The cover letter's subject (without the [PATCH 0/N] tag) and text, up to the
# shortlog that format-patch appends, become the branch description.
cover=$SERIES_DIR/0000-cover-letter.patch
if [ -f "$cover" ]; then
	desc=$(awk -v who="$LAB_NAME" '
		hdr && /^Subject: / { s = $0; sub(/^Subject: (\[[^]]*\] )?/, "", s); insub = 1; next }
		hdr && insub && /^[ \t]/ { t = $0; sub(/^[ \t]+/, " ", t); s = s t; next }
		hdr && /^$/ { hdr = 0; print s; print ""; next }
		hdr { insub = 0; next }
		!hdr && index($0, who " (") == 1 { exit }
		!hdr { print }
		BEGIN { hdr = 1 }' "$cover" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
	git -C "$tree" config "branch.$SERIES_BRANCH.description" "$desc"
fi

# Each patch on its own, so that a failure names it. git am -3 falls back to
# a 3-way merge when a patch's context moved; the patches that needed one
# are listed in .git/lab-threeway (news when the base moved, see
# lab/check/applycheck.sh). A patch that does not apply even so stops the tree at
# the patch before it, with the hunk that failed and what to do.
threeway=$tree/.git/lab-threeway
: >"$threeway"
n=0
mapfile -t all < <(series_patches)
for p in "${all[@]}"; do
	n=$((n + 1))
	if [ -n "$upto" ] && [ "$n" -gt "$upto" ]; then
		n=$((n - 1))
		break
	fi
	if ! git -C "$tree" am -3 --keep-cr "$p" >"$LAB_OUT/am.log" 2>&1; then
		files=$(git -C "$tree" diff --name-only --diff-filter=U | tr '\n' ' ')
		[ -n "$files" ] || files=$(sed -n 's/^error: patch failed: \([^:]*\):.*/\1/p' "$LAB_OUT/am.log" | sort -u | tr '\n' ' ')
		git -C "$tree" diff --diff-filter=U >"$LAB_OUT/am-conflict.diff" 2>/dev/null || true
		git -C "$tree" am --abort >/dev/null 2>&1 || true
		{
			echo "--- git am -3 says:"
			grep -v '^Applying: \|^hint: ' "$LAB_OUT/am.log" | head -n 20
			if [ -s "$LAB_OUT/am-conflict.diff" ]; then
				echo "--- the conflict (base's lines between <<<<<<< and =======, the patch's after):"
				head -n 60 "$LAB_OUT/am-conflict.diff"
			else
				echo "--- the hunk that does not apply:"
				git -C "$tree" apply --check -v "$p" 2>&1 | sed -n '/^error: while searching for:/,/^error: patch failed/p' | head -n 40
			fi
		} >&2
		rest=$(printf ' %s' "${all[@]:$((n - 1))}")
		msg="patch $(basename "$p") does not apply to $(base_describe "$LAB_OUT/base.env"); conflicting files: ${files:-see above}"
		if [ -f "$SERIES_BASE" ]; then
			# shellcheck disable=SC1090
			if [ "$(. "$SERIES_BASE"; echo "$BASE_SHA256")" != "$BASE_SHA256" ]; then
				msg="$msg.
  The series was last exported against $(base_describe "$SERIES_BASE"): the new base changed these files where the patch works"
			fi
		fi
		die "$msg.
  $tree holds the base and the patches before this one ($((n - 1))). To carry the series over:
    cd $tree && git am -3$rest
  stops at this patch with the conflict in the files; edit them, 'git add' them and
  'git am --continue' (it applies the rest), then test (make kunit kunit-x86) and
  'make export', which records the new base in series/base.conf"
	fi
	if grep -q '^Falling back to patching base and 3-way merge' "$LAB_OUT/am.log"; then
		basename "$p" >>"$threeway"
	fi
done
log "work tree $tree: $(base_describe "$LAB_OUT/base.env") + $n patches on branch $SERIES_BRANCH"
