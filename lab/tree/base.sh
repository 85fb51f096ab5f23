#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Stage "base": make the base kernel available as a git repository.
#
# Installs Debian's linux-source-6.1 when it is missing (SERIES=mainline:
# fetches linux-source-7.3 from trixie-backports), extracts the tarball
# once into $LAB_CACHE and imports it as a single commit with fixed author,
# committer and dates, so that one tarball always yields one base commit id.
# Writes $LAB_OUT/base.env: BASE_REPO, BASE_COMMIT (our import: it exists
# nowhere else), BASE_VERSION (the kernel release, e.g. 6.1.192),
# BASE_DEBIAN_VERSION (the package's version, e.g. 6.1.192-3; for a tarball
# given with BASE_TARBALL, $BASE_DEBIAN_VERSION or "none") and BASE_SHA256
# (of the tarball).
#
# Debian replaces the package with every upload (stable updates, security
# fixes) and the old tarballs cannot be fetched again, so the base moves
# under the series from time to time: series/base.conf records the one the
# patch files were last exported against, and make check says when the
# base it ran on differs from it (lab/check/applycheck.sh).
. "$(dirname "$0")/../lib/lib.sh"

# A package from another suite (the mainline series' linux-source-7.3 from
# trixie-backports): fetched by suite_fetch (lab/lib/lib.sh), never
# installed, extracted with dpkg-deb -x.
fetch_from_suite() {
	local ver deb dir
	need_pkgs xz-utils
	deb=$(suite_fetch "$BASE_SUITE" "$BASE_PKG" all) || exit 1
	ver=$(dpkg-deb -f "$deb" Version)
	dir=$LAB_CACHE/pkg-${BASE_PKG}_$ver
	if [ ! -r "$dir/usr/src/$BASE_PKG.tar.xz" ]; then
		rm -rf "$dir.tmp"
		dpkg-deb -x "$deb" "$dir.tmp" || die "cannot extract $deb (damaged download? remove it and rerun)"
		[ -r "$dir.tmp/usr/src/$BASE_PKG.tar.xz" ] || die "$deb holds no usr/src/$BASE_PKG.tar.xz"
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
	fi
	BASE_TARBALL=$dir/usr/src/$BASE_PKG.tar.xz
	BASE_DEBIAN_VERSION=$ver
}

if [ -z "$BASE_TARBALL" ]; then
	fetch_from_suite
	debver=$BASE_DEBIAN_VERSION
fi

if [ ! -r "$BASE_TARBALL" ]; then
	[ "$BASE_TARBALL" = "/usr/src/$BASE_PKG.tar.xz" ] ||
		die "base tarball $BASE_TARBALL does not exist or cannot be read"
	need_pkgs "$BASE_PKG"
	[ -r "$BASE_TARBALL" ] ||
		die "$BASE_PKG is installed but $BASE_TARBALL is missing: reinstall it (apt-get install --reinstall $BASE_PKG)"
fi
# Which Debian upload this is: the package's version when the tarball is the
# package's own, otherwise what the caller says (BASE_DEBIAN_VERSION).
if [ -n "${debver:-}" ]; then
	:	# fetched from its suite above
elif [ "$BASE_TARBALL" = "/usr/src/$BASE_PKG.tar.xz" ]; then
	debver=$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null || true)
	[ -n "$debver" ] ||
		die "$BASE_TARBALL exists but dpkg does not know $BASE_PKG: reinstall it (apt-get install --reinstall $BASE_PKG)"
else
	debver=${BASE_DEBIAN_VERSION:-none}
fi

sum=$(sha256sum "$BASE_TARBALL" | cut -c1-64)
repo=$LAB_CACHE/base-${sum:0:16}.git

if [ ! -f "$repo/lab-base" ]; then
	need_space "$LAB_CACHE" 3500
	log "importing $BASE_TARBALL into $repo (once; about a minute)"
	tmp=$LAB_CACHE/import.$$
	rm -rf "$tmp" "$repo"
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/src"
	tar -xf "$BASE_TARBALL" -C "$tmp/src" ||
		die "cannot extract $BASE_TARBALL (damaged download, or disk full: df -h $LAB_CACHE)"
	top=$(find "$tmp/src" -mindepth 1 -maxdepth 1 -type d)
	[ -n "$top" ] && [ -f "$top/Makefile" ] ||
		die "$BASE_TARBALL does not hold a kernel tree (no top-level Makefile)"
	ver=$(make -s -C "$top" kernelversion 2>/dev/null) ||
		die "cannot read the kernel version of $BASE_TARBALL"
	case "$ver" in
	"$BASE_MAJOR".*|"$BASE_MAJOR") ;;
	*) die "$BASE_TARBALL holds Linux $ver; the series is based on Linux $BASE_MAJOR.y" ;;
	esac
	# Debian's tarball ends .gitignore with "/*" (ignore everything at the
	# top level, an artefact of Debian's packaging repository), which would
	# hide every new file of the series from git. Drop that block.
	python3 - "$top/.gitignore" <<'PY' || die "cannot edit $top/.gitignore"
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r'(#\n)?# Debian packaging: ignore everything at the top level.*?\n!/debian/\n', '', s, flags=re.S)
open(p, 'w').write(s.rstrip('\n') + '\n')
PY
	git init -q --bare "$tmp/repo"
	# A base that differs from another in a few files (lab/check/selftest/base.sh
	# makes such) borrows the other's objects instead of storing them again.
	if [ -n "${BASE_ALTERNATE:-}" ]; then
		[ -d "$BASE_ALTERNATE/objects" ] || die "BASE_ALTERNATE=$BASE_ALTERNATE is not a git repository"
		echo "$BASE_ALTERNATE/objects" >"$tmp/repo/objects/info/alternates"
	fi
	export GIT_DIR=$tmp/repo GIT_WORK_TREE=$top GIT_INDEX_FILE=$tmp/index
	git add -A -f . || die "git could not import the base (disk full? df -h $LAB_CACHE)"
	GIT_AUTHOR_NAME="$LAB_NAME" GIT_AUTHOR_EMAIL="$LAB_EMAIL" GIT_AUTHOR_DATE="$BASE_DATE" \
	GIT_COMMITTER_NAME="$LAB_NAME" GIT_COMMITTER_EMAIL="$LAB_EMAIL" GIT_COMMITTER_DATE="$BASE_DATE" \
		git commit -q --no-verify --no-gpg-sign \
		-m "Linux $ver" -m "Imported from $(basename "$BASE_TARBALL") (sha256 $sum), without the
Debian packaging block at the end of .gitignore." ||
		die "git could not commit the base (disk full? df -h $LAB_CACHE)"
	git update-ref refs/tags/base HEAD
	unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
	printf '%s\n' "$ver" >"$tmp/repo/lab-base"
	mv "$tmp/repo" "$repo"
fi

ver=$(cat "$repo/lab-base")
commit=$(git --git-dir="$repo" rev-parse base^{commit})
case $debver in
none | "$ver"-* | "$ver"+* | "$ver") ;;
*) die "$BASE_PKG $debver holds Linux $ver: the package and its tarball disagree; reinstall it (apt-get install --reinstall $BASE_PKG)" ;;
esac
cat >"$LAB_OUT/base.env" <<EOF
BASE_REPO=$repo
BASE_COMMIT=$commit
BASE_VERSION=$ver
BASE_PACKAGE=$BASE_PKG
BASE_DEBIAN_VERSION=$debver
BASE_SHA256=$sum
EOF
log "base: Linux $ver (Debian $BASE_PKG $debver, tarball sha256 ${sum:0:12}), import $commit"
