#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Stage "export": write the commits of a work tree back as patch files.
#
#   export.sh [--tree DIR] [--to DIR]
#
# Output is deterministic: fixed format-patch options, user git configuration
# ignored, zero "From" hashes, no signature, and the cover letter dated like the
# newest patch, so exporting unchanged commits changes no byte. With no --to the
# patch files in series/ are replaced.
#
# The base goes with them: base.conf beside the patches records the kernel
# release, Debian upload, tarball checksum and import commit of the base
# they were exported against, and the cover letter names the release and the
# upload in two lines after the diffstat (base-release:, base-debian:). The
# import commit exists only here, so no mail carries it: no base-commit:
# line (b4 reads that as an upstream commit id).
. "$(dirname "$0")/../lib/lib.sh"

tree=$TREE
to=$SERIES_DIR
while [ $# -gt 0 ]; do
	case $1 in
	--tree) tree=$2; shift 2 ;;
	--to) to=$2; shift 2 ;;
	*) die "usage: export.sh [--tree DIR] [--to DIR]" ;;
	esac
done

[ -d "$tree/.git" ] || die "no work tree at $tree: run 'make tree' first"
base=$(base_commit)
git -C "$tree" rev-parse -q --verify "$SERIES_BRANCH" >/dev/null ||
	die "$tree has no branch '$SERIES_BRANCH'"
if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
	die "$tree has uncommitted changes; commit them (git -C $tree commit) so they can be exported"
fi
head=$(git -C "$tree" symbolic-ref -q --short HEAD || true)
[ "$head" = "$SERIES_BRANCH" ] ||
	log "note: $tree is on '${head:-a detached HEAD}', exporting branch '$SERIES_BRANCH'"
git -C "$tree" merge-base --is-ancestor "$base" "$SERIES_BRANCH" ||
	die "branch '$SERIES_BRANCH' of $tree is not based on the base commit $base"

tmp=$(mktemp -d "$LAB_OUT/export.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Only the repository's own settings (the lab identity) apply.
GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 \
git -C "$tree" -c core.abbrev=12 format-patch -q \
	--cover-letter --cover-from-description=subject \
	--numbered --zero-commit --no-signature \
	-o "$tmp" "$base..$SERIES_BRANCH"

cover=$(find "$tmp" -name '0000-*.patch')
date=$(git -C "$tree" log -1 --format=%aD "$SERIES_BRANCH")
sed -i "0,/^Date: .*/s//Date: $date/" "$cover"
# shellcheck disable=SC1091
. "$LAB_OUT/base.env"
printf '\nbase-release: v%s\nbase-debian: %s %s (%s.tar.xz, sha256 %s)\n' \
	"$BASE_VERSION" "$BASE_PACKAGE" "$BASE_DEBIAN_VERSION" "$BASE_PACKAGE" "$BASE_SHA256" >>"$cover"
{
	echo "# The base these patch files were last exported against (make export writes"
	echo "# this file; make check says when the base it runs on differs from it)."
	grep -v '^BASE_REPO=' "$LAB_OUT/base.env"
} >"$tmp/base.conf"

mkdir -p "$to"
find "$to" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' -delete
mv "$tmp"/*.patch "$tmp/base.conf" "$to"/
log "exported $(($(find "$to" -maxdepth 1 -name '[0-9]*.patch' | wc -l) - 1)) patches and a cover letter to $to"
