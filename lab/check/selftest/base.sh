#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of the lab: what make check does when Debian moves the base.
#
#   selftest/base.sh --results FILE
#
# Builds two bases from the tarball the lab uses now, each differing in one
# file, imports them as the lab imports any base, and runs lab/check/applycheck.sh
# (make check's first stage) on each:
#   moved:    README changed (a stable update that misses the series): the
#             series checks green, with a NOTE naming both bases;
#   conflict: a line of drivers/iommu/iova.c that the series changes is
#             changed (a stable update inside our files): the check fails,
#             naming the first patch that changes that line and its hunk.
# The variant tarballs (uncompressed) and their imports, which borrow the
# real base's objects, are cached in $LAB_CACHE/selftest and made again only
# when the real tarball changes. Writes PASS/FAIL lines to the results file.
. "$(dirname "$0")/../../lib/lib.sh"

lab=$LAB_DIR
results=
while [ $# -gt 0 ]; do
	case $1 in
	--results) results=$2; shift 2 ;;
	*) die "usage: selftest/base.sh --results FILE" ;;
	esac
done
[ -n "$results" ] || die "usage: selftest/base.sh --results FILE"
pass() { echo "PASS lab selftest: $*" >>"$results"; log "PASS lab selftest: $*"; }
fail() { echo "FAIL lab selftest: $*" >>"$results"; log "FAIL lab selftest: $*"; }

"$lab/tree/base.sh"
# shellcheck disable=SC1091
. "$LAB_OUT/base.env"
real_repo=$BASE_REPO

# The line of iova.c to change: the first one the series removes or rewrites.
first=
line=
for p in $(series_patches); do
	line=$(awk '/^diff --git a\/drivers\/iommu\/iova.c /{on=1; next} /^diff --git/{on=0}
		on && /^-[^-]/ {print substr($0, 2); exit}' "$p")
	if [ -n "$line" ]; then
		first=$(basename "$p")
		break
	fi
done
[ -n "$first" ] || die "no patch of the series changes a line of drivers/iommu/iova.c: nothing to conflict with"

cache=$LAB_CACHE/selftest/${BASE_SHA256:0:16}
if [ ! -f "$cache/done" ]; then
	need_space "$LAB_CACHE" 4500
	rm -rf "$LAB_CACHE/selftest"
	mkdir -p "$cache/src"
	log "selftest: making two variants of $BASE_TARBALL in $cache (once per base; a minute or two)"
	case $BASE_TARBALL in
	*.xz) xz -dc "$BASE_TARBALL" >"$cache/moved.tar" ;;
	*) cp "$BASE_TARBALL" "$cache/moved.tar" ;;
	esac || die "cannot decompress $BASE_TARBALL into $cache (disk full? df -h $LAB_CACHE)"
	top=$(tar -tf "$cache/moved.tar" | head -n 1 | cut -d/ -f1 || true)
	[ -n "$top" ] || die "cannot list $cache/moved.tar"
	cp --reflink=auto "$cache/moved.tar" "$cache/conflict.tar"
	tar -xf "$cache/moved.tar" -C "$cache/src" "$top/README" "$top/drivers/iommu/iova.c"
	printf '\nThis line was added by the lab self-test (lab/check/selftest/base.sh).\n' >>"$cache/src/$top/README"
	python3 - "$cache/src/$top/drivers/iommu/iova.c" "$line" <<'PY2' || die "cannot change a line of iova.c"
import sys
path, line = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
i = lines.index(line)
lines[i] = line + " /* changed by the lab self-test */"
open(path, "w").write("\n".join(lines))
PY2
	# Each variant differs from the real base in one file.
	for v in moved:README conflict:drivers/iommu/iova.c; do
		name=${v%%:*} file=$top/${v#*:}
		tar --delete -f "$cache/$name.tar" "$file"
		tar -rf "$cache/$name.tar" -C "$cache/src" --mtime=@0 --owner=0 --group=0 --numeric-owner "$file"
	done
	touch "$cache/done"
fi

run_variant() {
	local name=$1
	LAB_OUT=$LAB_OUT/selftest-$name BASE_TARBALL=$cache/$name.tar \
		BASE_DEBIAN_VERSION="$BASE_DEBIAN_VERSION+selftest.$name" BASE_ALTERNATE=$real_repo \
		"$lab/check/applycheck.sh" --tree "$LAB_OUT/selftest-$name/tree" --results "$LAB_OUT/selftest-$name/results"
}
for name in moved conflict; do
	rm -rf "$LAB_OUT/selftest-$name"
	mkdir -p "$LAB_OUT/selftest-$name"
	: >"$LAB_OUT/selftest-$name/results"
done

# The two variants at once, each with a work tree of its own (an import
# and an apply each: mostly git, a core each).
run_variant moved >"$LAB_OUT/selftest-moved/log" 2>&1 &
moved_pid=$!
run_variant conflict >"$LAB_OUT/selftest-conflict/log" 2>&1 &
conflict_pid=$!

# 1. A base that moved outside the series: green, with the notice.
if wait "$moved_pid"; then rc=0; else rc=$?; fi
r=$LAB_OUT/selftest-moved/results
if [ "$rc" -eq 0 ] && ! grep -q '^FAIL' "$r" && grep -q '^NOTE base moved: .*6\.1.*selftest\.moved' "$r" &&
	grep -q '^PASS export of the fresh tree applies back onto the new base' "$r"; then
	pass "a base changed outside the series checks green with a notice: $(sed -n 's/^NOTE base moved: //p' "$r")"
else
	fail "a base changed outside the series checks green with a notice (exit $rc; see $LAB_OUT/selftest-moved/log)"
fi

# 2. A base changed where the series works: red, naming the patch and hunk.
if wait "$conflict_pid"; then rc=0; else rc=$?; fi
lg=$LAB_OUT/selftest-conflict/log
if [ "$rc" -ne 0 ] && grep -q "patch $first does not apply to Linux" "$lg" &&
	grep -qF "changed by the lab self-test" "$lg" && grep -q 'git am --continue' "$lg"; then
	pass "a base changed in drivers/iommu/iova.c fails naming $first, its hunk and what to do"
else
	fail "a base changed in drivers/iommu/iova.c fails naming $first, its hunk and what to do (exit $rc; see $lg)"
fi
# The trees go when both passed (1.5 GB each); a failure keeps them.
grep -q "^FAIL lab selftest: a base changed" "$results" ||
	rm -rf "$LAB_OUT/selftest-moved/tree" "$LAB_OUT/selftest-conflict/tree"
