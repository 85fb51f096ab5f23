#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The lab's test command (make check).
#
#  1. checkpatch.pl --strict on every patch, as it will be mailed (with the
#     sign-off a sender adds);
#  2. a tree materialised from the patch files exports back to the very same
#     bytes;
#  3. bisect: at every patch, the KUnit kernels build (UML, and x86_64 booted
#     on an emulated VT-d) and the suites that exist at that point pass; a
#     failing patch is named;
#  4. build gates: the last patch adds no W=1 or sparse warning to
#     drivers/iommu/ on x86_64 and arm64 (every patch in make check-all);
#  5. Debian packages: the configuration step of make deb works;
#  6. mail round trip: git send-email to a local SMTP server, git am of the
#     mails onto the base gives the series tree;
#  7. boot lab: VT-d, lazy mode, real DMA, KUnit modules, kselftest;
#  8. stress, short: the debug kernel (KASAN, lockdep, ...) through the
#     flush-queue stress case and 10 CPU hotplug cycles under traffic;
#  9. bench smoke: one short boot of the bench's scenarios, every figure;
# 10. mutants: each lab/mutants/*.diff breaks the series on purpose, and the
#     tests it names must fail (MUTANTS=0 skips this).
#
# Every check writes a "PASS|FAIL <name>" line to $LAB_OUT/check/results;
# the last line printed is "N passed, N failed" (KUnit cases of the whole
# series, one line per earlier patch, and the lab checks).
. "$(dirname "$0")/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
work=$LAB_OUT/check
results=$work/results
mkdir -p "$work"
: >"$results"
start=$(date +%s)

pass() { echo "PASS $*" >>"$results"; log "PASS $*"; }
fail() { echo "FAIL $*" >>"$results"; log "FAIL $*"; }

mapfile -t patches < <(series_patches)
n=${#patches[@]}
[ "$n" -gt 0 ] || die "no patch files in $SERIES_DIR"

# 1. A fresh tree from the patch files; it must reproduce them when exported.
tree=$work/tree
if ! FORCE=1 "$here/tree.sh" --tree "$tree"; then
	fail "series applies to the base"
	n=0
else
	pass "series applies to the base ($n patches)"
	rm -rf "$work/export"
	if ! "$here/export.sh" --tree "$tree" --to "$work/export"; then
		fail "export of the fresh tree"
	elif same_series "$work/export" "$SERIES_DIR" >"$work/export.diff"; then
		pass "export reproduces the patch files byte for byte"
	else
		fail "export reproduces the patch files byte for byte (see $work/export.diff)"
	fi
fi

# 2. checkpatch on the mails a sender would send.
need_pkgs perl
mails=$work/mails
"$here/mails.sh" --identity "Lab Check <lab-check@example.org>" --to "$mails" 2>/dev/null
for p in "${patches[@]}"; do
	b=$(basename "$p")
	out=$work/checkpatch-${b%.patch}.txt
	if (cd "$tree" && perl scripts/checkpatch.pl --strict --no-tree --showfile \
		"$mails/$b") >"$out" 2>&1; then
		pass "checkpatch --strict $b"
	else
		fail "checkpatch --strict $b"
		{ grep -E '(ERROR|WARNING|CHECK):' -A3 "$out" || tail -5 "$out"; } | head -30 >&2
	fi
done

# 3. Bisect: build and test at every patch.
commits=()
[ "$n" -gt 0 ] && mapfile -t commits < <(git -C "$tree" rev-list --reverse "$(base_commit)..$SERIES_BRANCH")
i=0
for c in "${commits[@]}"; do
	i=$((i + 1))
	subj=$(git -C "$tree" log -1 --format=%s "$c")
	git -C "$tree" checkout -q --detach "$c"
	label="patch $i/$n"
	if [ ! -f "$tree/drivers/iommu/.kunitconfig" ]; then
		fail "$label ($subj): no drivers/iommu/.kunitconfig to test with"
		continue
	fi
	for arch in um x86_64; do
		per=$work/kunit-$i-$arch.txt
		: >"$per"
		if "$here/kunit.sh" --arch "$arch" --tree "$tree" --build "$work/kunit-$arch" \
			--results "$per" --label "$label $arch"; then
			cases=$(grep -c '^PASS' "$per" || true)
			if [ "$i" -eq "$n" ]; then
				cat "$per" >>"$results"
			fi
			pass "$label $arch: builds and passes its KUnit suites ($cases cases): $subj"
		else
			cp "$work/kunit-$arch/kunit.out" "$work/kunit-$i-$arch.out" 2>/dev/null || true
			grep '^FAIL' "$per" >>"$results" || true
			fail "$label $arch: builds and passes its KUnit suites: $subj (log: $work/kunit-$i-$arch.out)"
		fi
	done
done
[ "$n" -gt 0 ] && git -C "$tree" checkout -q "$SERIES_BRANCH"

# The later stages work on this same tree rather than each on a checkout
# of its own (1.5 GB each); each of them leaves it at the series' tip.
export LAB_SCRATCH_TREE=$tree

# 4. Build gates of the last patch: W=1 and sparse on drivers/iommu/, x86_64
#    and arm64, no warning the base does not have (every patch: check-all).
"$here/gates.sh" --tip --results "$results" || true

# 5. Debian packages: the configuration step works from Debian's own 6.1
#    configuration and keeps what the series needs (the build itself takes
#    hours: make deb).
"$here/deb.sh" --config-only --results "$results" || true

# 6. Mail round trip: the series through git send-email and a local SMTP
#    server, git am onto the base, gives the series tree.
"$here/roundtrip.sh" --results "$results" || true

# 7. Boot lab: the patched kernel on the emulated VT-d, lazy mode, with real
#    DMA (nvme, dma_map_benchmark), the KUnit modules, the kselftest, and a
#    kernel log free of splats.
"$here/boot.sh" --check --tree "$tree" --results "$results" || true

# 8. Stress, short: the debug kernel (KASAN, lockdep, kmemleak, DMA-API
#    debug, debugobjects) on VT-d with 4 vCPUs: the flush-queue stress case
#    and iova-test.ko, then 10 CPU hotplug cycles under fio and
#    dma_map_benchmark (the full runs: make stress, make check-all).
"$here/stress.sh" --check --tree "$tree" --results "$results" || true

# 9. Bench, smoke: one short boot of the bench's scenarios on the patched
#    kernel, every figure present (the measurement itself: make bench).
"$here/bench/bench.sh" --smoke --tree "$tree" --results "$results" || true

# 10. Mutants: each test fails when the behaviour it names is broken.
if [ "${MUTANTS:-1}" = 1 ] && [ "$n" -gt 0 ]; then
	"$here/mutate.sh" --results "$results" || true
fi

tally "$results" "$start"
