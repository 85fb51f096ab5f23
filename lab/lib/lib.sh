# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers of the lab scripts. Sourced, never run.
#
# Everything the lab writes goes to one of two places:
#   $LAB_OUT    ignored folder in the repo (work tree, builds, logs)
#   $LAB_CACHE  outside the repo (extracted base, imported base repository)
# ccache keeps its own cache in its default place.

set -euo pipefail

# This file is lab/lib/lib.sh: the repository is two folders up.
LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The lab's scripts: lab/<stage>/ for each stage, lab/lib/ (this library),
# lab/vm/ (the QEMU machines and their guest).
LAB_DIR=$LAB_TOP/lab
LAB_OUT=${LAB_OUT:-$LAB_TOP/out}
LAB_CACHE=${LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iova-lab}
JOBS=${JOBS:-$(nproc)}
# One make check compiles about ten kernel configurations (UML and x86_64
# KUnit, the W=1/sparse gates for x86_64 and arm64, the boot, stress, bench
# and Debian kernels); ccache's default 5 GB holds only some of them, and
# every eviction is a cold compile on the next run.
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-30G}

# Which series: 6.1 (Linux 6.1 LTS, Debian bookworm's linux-source-6.1) or
# mainline (Debian's linux-source-7.3 from trixie-backports, fetched without
# touching the machine's apt sources: lab/tree/base.sh).
SERIES=${SERIES:-6.1}
case $SERIES in
6.1)
	: "${BASE_PKG:=linux-source-6.1}" "${BASE_MAJOR:=6.1}" "${BASE_SUITE:=}"
	# The series' IOVA KUnit module and the suites the guests read.
	KUNIT_MODULE=iova-test KUNIT_SUITES="iommu-iova iommu-dma" ;;
mainline)
	: "${BASE_PKG:=linux-source-7.3}" "${BASE_MAJOR:=7.3}" "${BASE_SUITE:=trixie-backports}"
	KUNIT_MODULE=iova_kunit KUNIT_SUITES="iommu_iova iommu_dma"
	SERIES_DIR=${SERIES_DIR:-$LAB_TOP/series/mainline}
	# Its work trees, builds and results apart from the 6.1 ones.
	case $LAB_OUT in */mainline) ;; *) LAB_OUT=$LAB_OUT/mainline ;; esac ;;
*)
	printf '[lab] error: SERIES=%s: the series are 6.1 and mainline\n' "$SERIES" >&2; exit 1 ;;
esac
# BASE_SUITE empty: the package comes from the machine's own apt sources and
# its tarball is /usr/src/$BASE_PKG.tar.xz; otherwise base.sh fetches it.
if [ -z "$BASE_SUITE" ]; then
	BASE_TARBALL=${BASE_TARBALL:-/usr/src/$BASE_PKG.tar.xz}
fi
BASE_TARBALL=${BASE_TARBALL:-}
SERIES_DIR=${SERIES_DIR:-$LAB_TOP/series}
TREE=${TREE:-$LAB_OUT/tree}
# The recipients of the series (lab/send/maintainers.sh writes it, send and
# roundtrip read it): the 6.1 series' at the top of the repo, the mainline
# series' beside its patches.
if [ "$SERIES" = mainline ]; then
	B4_CONFIG=${B4_CONFIG:-$SERIES_DIR/.b4-config}
else
	B4_CONFIG=${B4_CONFIG:-$LAB_TOP/.b4-config}
fi
export SERIES LAB_OUT

# Identity of the commits in the work tree. Patch files carry it as author;
# `make send` replaces it with the sender's own identity and sign-off.
LAB_NAME="IOVA Lab"
LAB_EMAIL="iova-lab@localhost"
# Fixed dates make the imported base commit deterministic.
BASE_DATE="2000-01-01T00:00:00+0000"

# The branch of the work tree that holds the series.
SERIES_BRANCH=series

log() { printf '[lab] %s\n' "$*" >&2; }
die() { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

# Run a command with its output in a log file; on failure show the tail.
logged() {
	local logf=$1; shift
	mkdir -p "$(dirname "$logf")"
	if ! "$@" >"$logf" 2>&1; then
		printf '[lab] error: %s failed; last lines of %s:\n' "$*" "$logf" >&2
		tail -n 30 "$logf" >&2
		return 1
	fi
}

# The kernel checkers' reports as one extended regular expression (from
# lab/lib/splats.txt, the lab's one list of them).
splat_re() {
	grep -v '^#' "$LAB_DIR/lib/splats.txt" | sed '/^$/d' | paste -sd'|'
}

# Install Debian packages that are missing. Quiet when all are present.
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing Debian packages: ${missing[*]}"
	mkdir -p "$LAB_OUT"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	# Another apt-get (a second lab run, unattended-upgrades) may hold the
	# dpkg lock: wait for it rather than fail.
	if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
		install -y -q "${missing[@]}" \
		>"$LAB_OUT/apt.log" 2>&1; then
		$sudo apt-get -o DPkg::Lock::Timeout=600 update -q >>"$LAB_OUT/apt.log" 2>&1 || true
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
			install -y -q "${missing[@]}" \
			>>"$LAB_OUT/apt.log" 2>&1 ||
			die "could not install ${missing[*]} (see $LAB_OUT/apt.log)"
	fi
}

# Download a package from a Debian suite that is not among the machine's
# apt sources (the mainline base's trixie-backports), for amd64 or arm64:
# apt-get download through a private sources list and apt state in
# $LAB_CACHE/apt-<suite>, into $LAB_CACHE/debs. The machine's apt sources
# and packages are not touched. Prints the path of the .deb: the newest the
# suite has, or, when the suite cannot be reached, the newest fetched
# before (with a notice).
#   suite_fetch SUITE PACKAGE [amd64|arm64|all]
suite_fetch() {
	local suite=$1 pkg=$2 arch=${3:-amd64} state ver deb aptopts q
	state=$LAB_CACHE/apt-$suite
	# An architecture-independent package takes no qualifier.
	q=":$arch"
	[ "$arch" != all ] || q=
	need_pkgs apt dpkg
	mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$LAB_CACHE/debs"
	echo "deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${BASE_MIRROR:-http://deb.debian.org/debian} $suite main" \
		>"$state/sources.list"
	aptopts=(-o Dir::Etc::SourceList="$state/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o Dir::State::Lists="$state/lists" -o Dir::Cache="$state/cache"
		-o Debug::NoLocking=1 -o APT::Architectures::=amd64 -o APT::Architectures::=arm64)
	if ! apt-get "${aptopts[@]}" update -q >"$state/update.log" 2>&1; then
		log "note: cannot refresh the package list of $suite (see $state/update.log); using the newest $pkg fetched before"
	fi
	ver=$(apt-cache "${aptopts[@]}" show --no-all-versions "$pkg$q" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	if [ -n "$ver" ]; then
		deb=$(ls "$LAB_CACHE/debs/${pkg}_${ver//:/%3a}_"{"$arch",all}.deb 2>/dev/null | head -n 1 || true)
		if [ -z "$deb" ]; then
			log "fetching $pkg $ver ($arch) from $suite (apt-get download, not installed)"
			(cd "$LAB_CACHE/debs" && apt-get "${aptopts[@]}" download "$pkg$q=$ver" >"$state/download.log" 2>&1) ||
				die "cannot download $pkg $ver ($arch) from $suite (see $state/download.log)"
			deb=$(ls "$LAB_CACHE/debs/${pkg}_${ver//:/%3a}_"{"$arch",all}.deb 2>/dev/null | head -n 1 || true)
			[ -n "$deb" ] || die "apt-get download of $pkg $ver ($arch) left no .deb in $LAB_CACHE/debs"
		fi
	else
		deb=$(ls "$LAB_CACHE/debs/${pkg}_"*_{"$arch",all}.deb 2>/dev/null | sort -V | tail -n 1 || true)
		[ -n "$deb" ] || die "$suite has no package $pkg for $arch (see $state/update.log): is the suite still served, or has the series' base moved to another major version?"
	fi
	printf '%s\n' "$deb"
}

# Fail early, with a clear message, when a folder's file system is short of room.
need_space() {
	local dir=$1 mib=$2 avail
	mkdir -p "$dir"
	avail=$(df -Pm "$dir" | awk 'NR==2 {print $4}')
	[ "$avail" -ge "$mib" ] ||
		die "$dir has ${avail} MiB free, this step needs about ${mib} MiB: free some space or set LAB_CACHE/LAB_OUT elsewhere"
}

# The base the patch files were last exported against (export.sh writes it,
# the checks compare the base they run on with it).
SERIES_BASE=$SERIES_DIR/base.conf

# One line naming a base from a base.env or base.conf file: the kernel
# release, the Debian upload and the tarball's checksum.
base_describe() {
	(
		# shellcheck disable=SC1090
		. "$1"
		printf 'Linux %s (Debian %s %s, tarball sha256 %s)' "$BASE_VERSION" \
			"${BASE_PACKAGE:-?}" "${BASE_DEBIAN_VERSION:-?}" "${BASE_SHA256:0:12}"
	)
}

# The base commit id recorded by base.sh.
base_commit() {
	[ -f "$LAB_OUT/base.env" ] || die "no base yet: run 'make base'"
	# shellcheck disable=SC1091
	. "$LAB_OUT/base.env"
	echo "$BASE_COMMIT"
}

# Patch files of the series, in order (the cover letter excluded).
series_patches() {
	find "$SERIES_DIR" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
		! -name '0000-*' | sort
}

# Do two folders hold the same patch files, byte for byte? Prints the diff.
# The cover letter's base lines (base-release:, base-debian:) name the base
# the files were exported against and are left out: base.conf holds the
# same facts, and the checks compare it on its own (lab/check/applycheck.sh).
same_series() {
	local a=$1 b=$2 f rc=0
	for f in $( (cd "$a" && ls [0-9][0-9][0-9][0-9]-*.patch; cd "$b" && ls [0-9][0-9][0-9][0-9]-*.patch) 2>/dev/null | sort -u); do
		diff -u --label "a/$f" --label "b/$f" \
			<(grep -sv '^base-\(release\|debian\): ' "$a/$f") \
			<(grep -sv '^base-\(release\|debian\): ' "$b/$f") 2>&1 || rc=1
		[ -f "$a/$f" ] && [ -f "$b/$f" ] || { echo "$f: only in one of $a and $b"; rc=1; }
	done
	return $rc
}

# The closing lines of a test command: the failures, then "N passed, N
# failed" counted over the PASS/FAIL lines of a results file. Returns 1 when
# anything failed.
tally() {
	local results=$1 start=$2 passed failed
	passed=$(grep -c '^PASS' "$results" || true)
	failed=$(grep -c '^FAIL' "$results" || true)
	echo
	echo "Results ($results), $(($(date +%s) - start)) s:"
	grep '^NOTE' "$results" || true
	grep '^FAIL' "$results" || true
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

mkdir -p "$LAB_OUT"
