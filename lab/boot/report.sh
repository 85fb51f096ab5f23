#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot lab: judge one boot (a run.sh folder) and print its report.
#
#   report.sh --run DIR [--label TEXT] [--results FILE]
#
# Writes DIR/checks.txt, one "PASS|FAIL <label>: <check>" line per check,
# appends them to FILE if given, prints the report and exits 1 if a check
# failed. The checks: the guest finished; the nvme disk sits in an IOMMU
# group whose type is what the mode asks for (DMA-FQ for lazy, DMA for
# strict; on a machine where 6.1 forces strict, DMA plus the kernel's own
# message); each KUnit suite passed (skips allowed, no case missing); the
# test module loads and unloads; fio ran (its IOPS are never gated: the
# emulated nvme gives the same with or without an IOMMU); dma_map_benchmark
# ran on a device behind the IOMMU; /proc/slabinfo has iommu_iova_magazine;
# the series' kselftest iommu/iova_rcache.sh passed (where the tree has it);
# the idle guest: after bursts in ten domains the IOVA caches hold no
# magazine and their works ran not once in the last 5 s (the step wakeups);
# kmemleak found nothing; the kernel log has no WARNING, BUG, Oops, lockdep
# or kmemleak report.
. "$(dirname "$0")/../lib/lib.sh"

run= label= results=
while [ $# -gt 0 ]; do
	case $1 in
	--run) run=$2; shift 2 ;;
	--label) label=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	*) die "usage: report.sh --run DIR [--label TEXT] [--results FILE]" ;;
	esac
done
[ -f "$run/run.env" ] || die "$run is not a run folder (no run.env): run lab/vm/run.sh first"
# shellcheck disable=SC1091
. "$run/run.env"
[ -n "$label" ] || label="boot $MACHINE $MODE"
res=$run/results.txt
[ -f "$res" ] || : >"$res"
checks=$run/checks.txt
: >"$checks"

check() { # check PASS|FAIL TEXT
	echo "$1 $label: $2" >>"$checks"
}
# field WHAT KEY [FILTER-REGEX]: value of key=value in the first line of
# results.txt starting with WHAT (and matching the filter).
field() {
	awk -v w="$1" -v k="$2" -v f="${3:-}" '
		$1 == w && (f == "" || $0 ~ f) {
			for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit }
		}' "$res"
}
has() { grep -q "^$1\( \|$\)" "$res"; }

# 1. The guest ran the workload to its end.
if [ "$STATUS" = ok ] && has done; then
	check PASS "guest booted, ran the workload and powered off ($SECONDS s, $ACCEL)"
else
	check FAIL "guest booted, ran the workload and powered off ($STATUS after $SECONDS s; console: $run/console.log)"
fi

# 2. The IOMMU is in the path of the nvme disk, in the mode asked for.
ntype=$(field iommu type dev=nvme)
ngroup=$(field iommu group dev=nvme)
npci=$(field iommu pci dev=nvme)
forced=$(sed -n 's/^iommu-forced-strict //p' "$res" | head -n 1)
if [ "$MODE" = strict ]; then
	want=DMA why=""
elif [ "$MACHINE_LAZY" = forced-strict ]; then
	want=DMA why=" (lazy asked for; the kernel forces strict here: \"$forced\")"
else
	want=DMA-FQ why=""
fi
if [ -z "$ntype" ]; then
	has done && check FAIL "nvme in an IOMMU group: the guest reported no nvme device"
elif [ "$ntype" = "$want" ] && { [ "$want" = DMA-FQ ] || [ "$MODE" = strict ] || [ -n "$forced" ]; }; then
	check PASS "nvme $npci in IOMMU group $ngroup of type $ntype$why"
elif [ "$MODE" = lazy ] && [ "$MACHINE_LAZY" = forced-strict ] && [ "$ntype" = DMA ]; then
	check FAIL "nvme $npci in IOMMU group $ngroup of type DMA, but the kernel did not say why it is not lazy"
else
	check FAIL "nvme $npci in IOMMU group $ngroup of type $ntype, expected $want for $MODE mode"
fi

# 3. KUnit, as read from debugfs in the guest.
for s in $KUNIT_SUITES; do
	line=$(grep "^kunit suite=$s " "$res" || true)
	[ -n "$line" ] || { has done && check FAIL "KUnit $s: no results in /sys/kernel/debug/kunit/$s"; continue; }
	p=$(field kunit pass "suite=$s ") f=$(field kunit fail "suite=$s ")
	k=$(field kunit skip "suite=$s ") t=$(field kunit total "suite=$s ")
	d=$(field kunit declared "suite=$s ") bad=$(field kunit failed "suite=$s ")
	if [ -z "$p" ]; then
		check FAIL "KUnit $s: $(echo "$line" | cut -d' ' -f3-)"
	elif [ "$f" -eq 0 ] && [ "$p" -gt 0 ] && [ "$t" -eq "$d" ]; then
		check PASS "KUnit $s $p/$((t - k)) passed${k:+, $k skipped}"
	elif [ "$t" -ne "$d" ]; then
		check FAIL "KUnit $s: $t of $d cases reported ($p passed, $f failed)"
	else
		check FAIL "KUnit $s $p/$((t - k)) passed, failed: $bad"
	fi
done
sed -i 's/, 0 skipped//' "$checks"
if has kunit-module; then
	if grep -q '^kunit-module .*load=ok' "$res" && grep -q '^kunit-module .*unload=ok' "$res"; then
		check PASS "$KUNIT_MODULE.ko loads and unloads with modprobe"
	else
		check FAIL "$KUNIT_MODULE.ko loads and unloads with modprobe: $(grep '^kunit-module' "$res" | grep failed | head -n 1)"
	fi
fi

# 4. fio: ran, never gated on its number.
iops=$(field fio iops)
if has fio; then
	if [ -n "$iops" ] && [ "$iops" -gt 0 ]; then
		check PASS "fio 4k randread on the nvme disk, direct I/O: $iops IOPS (not gated)"
	else
		check FAIL "fio 4k randread on the nvme disk: $(grep '^fio' "$res" | head -n 1)"
	fi
fi

# 5. dma_map_benchmark, on a device behind the IOMMU.
if has bench; then
	btype=$(field iommu type dev=e1000e) bpci=$(field iommu pci dev=e1000e)
	map1=$(field bench map_us threads=1) unmap1=$(field bench unmap_us threads=1)
	if [ -n "$map1" ] && [ -n "$unmap1" ] && [ "$btype" = "$ntype" ]; then
		check PASS "dma_map_benchmark on e1000e $bpci (IOMMU group type $btype), 1 thread: map $map1 us, unmap $unmap1 us"
	elif [ -n "$map1" ]; then
		check FAIL "dma_map_benchmark on e1000e $bpci ran, but its IOMMU group type is $btype, not $ntype"
	else
		check FAIL "dma_map_benchmark: $(grep '^bench' "$res" | head -n 1)"
	fi
fi

# 6. The named magazine cache.
if has slab; then
	if [ -z "$(field slab missing)" ]; then
		check PASS "/proc/slabinfo shows iommu_iova_magazine ($(field slab active_objs)/$(field slab num_objs) objects of $(field slab objsize) bytes)"
	else
		check FAIL "/proc/slabinfo shows iommu_iova_magazine: no line of its own (SLUB merged it into a cache shared with $(field slab shared_with); slab_nomerge would show it)"
	fi
fi

# 6b. The series' kselftest, when the image has it.
if [ "$(field selftest available)" = yes ]; then
	sp=$(field selftest pass) sf=$(field selftest fail) sk=$(field selftest skip) sd=$(field selftest declared)
	if [ "$sf" = 0 ] && [ $((sp + sk)) -eq "$sd" ] && [ "$sp" -gt 0 ] && [ "$(field selftest exit)" = 0 ]; then
		check PASS "selftest iommu/iova_rcache.sh $sp/$((sd - sk)) ok${sk:+, $sk skipped}"
	else
		check FAIL "selftest iommu/iova_rcache.sh: $sp ok, $sf not ok ($(field selftest failed)), $sk skipped of $sd (exit $(field selftest exit))"
	fi
	sed -i 's/, 0 skipped//' "$checks"
fi

# 6c. The idle guest: after bursts in ten domains, the IOVA caches give
# back their magazines, and then neither their works nor their timers run.
if has wakeups; then
	if [ "$(field wakeups available)" = no ]; then
		check FAIL "idle guest: the kernel has no workqueue trace events (CONFIG_FTRACE, CONFIG_ENABLE_DEFAULT_TRACERS)"
	else
		iw=$(field wakeups iova_works) wsecs=$(field wakeups idle_s) wdom=$(field wakeups domains)
		mb=$(field wakeups magazines_before) ma=$(field wakeups magazines_after)
		wall=$(echo "$iw" | tr ',' '\n' | awk '{ n += $1 } END { print n + 0 }')
		wlast=$(echo "$iw" | tr ',' '\n' | tail -n 5 | awk '{ n += $1 } END { print n + 0 }')
		what="after 1 s bursts in $wdom domains, magazines $mb -> $ma in $wsecs s idle; the caches' works ran $wall times ($iw per second), $wlast in the last 5 s"
		if [ "$ma" = 0 ] && [ "$wlast" = 0 ] && [ "$wdom" -gt 0 ]; then
			check PASS "idle guest: $what"
		else
			check FAIL "idle guest: $what (expected no magazine and no run at the end)"
		fi
	fi
fi

# 7. kmemleak, when the kernel has it (FLAVOR=debug).
if [ "$(field kmemleak available)" = yes ]; then
	n=$(field kmemleak leaks)
	if [ "$n" = 0 ]; then
		check PASS "kmemleak reports no leak"
	else
		check FAIL "kmemleak reports $n suspected leaks: $(sed -n 's/^kmemleak-report //p' "$res" | head -n 3 | tr '\n' ' ')"
	fi
fi

# 8. The kernel's checkers. The guest scans its dmesg; the console covers
# what a guest that never reached userspace printed.
splats=$(field log splats)
if [ -n "$splats" ]; then
	if [ "$splats" = 0 ]; then
		check PASS "kernel log has no WARNING, BUG, Oops, lockdep or kmemleak report"
	else
		check FAIL "kernel log has $splats report lines, the first: $(sed -n 's/^splat //p' "$res" | head -n 1)"
	fi
else
	first=$(grep -aE "$(splat_re)" "$run/console.log" 2>/dev/null | head -n 1 || true)
	[ -z "$first" ] || check FAIL "console shows: $first"
fi

# The report.
ver=$(field kernel release)
acc=$ACCEL
[ "$acc" = tcg ] && acc="tcg (software emulation)"
policy=$(field iommu-policy policy)
modeline="$ntype"
case $ntype in
DMA-FQ) modeline="lazy (group type DMA-FQ)" ;;
DMA) modeline="strict (group type DMA)" ;;
esac
[ -n "$forced" ] && modeline="$modeline; lazy not available: \"$forced\""
kunit_sum() {
	local s=$1
	grep -q "^kunit suite=$s " "$res" || { echo "$s -"; return; }
	echo "$s $(field kunit pass "suite=$s ") passed, $(field kunit fail "suite=$s ") failed, $(field kunit skip "suite=$s ") skipped"
}
bench_sum() {
	local t out=
	for t in $(awk '$1 == "bench" { for (i = 2; i <= NF; i++) if ($i ~ /^threads=/) print substr($i, 9) }' "$res"); do
		out="$out${out:+; }$t thread(s): map $(field bench map_us "threads=$t ") us (sd $(field bench map_sd "threads=$t ")), unmap $(field bench unmap_us "threads=$t ") us (sd $(field bench unmap_sd "threads=$t "))"
	done
	echo "${out:--}"
}
nfail=$(grep -c '^FAIL' "$checks" || true)
npass=$(grep -c '^PASS' "$checks" || true)
{
	echo "== Boot lab report: $MACHINE $MODE =="
	printf '  %-12s %s\n' machine "$MACHINE ($ARCH): $MACHINE_DESC"
	printf '  %-12s %s\n' accelerator "$acc"
	kinfo=$KERNEL
	if [ -f "$(dirname "$KERNEL")/kernel.env" ]; then
		kinfo=$(. "$(dirname "$KERNEL")/kernel.env"
			case $KERNEL_FLAVOR in debug) f="debug: lockdep, kmemleak" ;; *) f=$KERNEL_FLAVOR ;; esac
			echo "$KERNEL_ARCH, $f; tree $KERNEL_TREE at ${KERNEL_COMMIT:0:12}")
	fi
	printf '  %-12s %s\n' kernel "${ver:-?} ($kinfo)"
	printf '  %-12s %s\n' "IOMMU mode" "${modeline:-?}; kernel policy: ${policy:-?}; units: $(sed -n 's/^iommu-units //p' "$res")"
	printf '  %-12s %s\n' KUnit "$(for s in $KUNIT_SUITES; do kunit_sum "$s"; done | paste -sd ';' | sed 's/;/; /g')"
	printf '  %-12s %s\n' fio "${iops:--} IOPS, 4k randread qd16 $(field fio seconds) s (information only)"
	printf '  %-12s %s\n' "map/unmap" "$(bench_sum)"
	shared=$(field slab shared_with)
	if [ -n "$(field slab objsize)" ]; then
		printf '  %-12s %s\n' "magazines" "iommu_iova_magazine $(field slab active_objs) active of $(field slab num_objs) objects x $(field slab objsize) B = $(( $(field slab num_objs) * $(field slab objsize) / 1024 )) KiB in /proc/slabinfo"
		[ "$shared" = - ] || printf '  %-12s %s\n' "" "(SLUB merged $shared into it: the counts include theirs; --append slab_nomerge separates them)"
	else
		printf '  %-12s %s\n' "magazines" "no line in /proc/slabinfo (merged, shares a cache with $shared)"
	fi
	[ -z "$(field rcache domains)" ] || printf '  %-12s %s\n' rcaches "$(field rcache domains) domains hold $(field rcache depot_mags) depot + $(field rcache cpu_mags) CPU magazines at the end ($(field rcache hits) hits, $(field rcache misses) misses)"
	[ "$(field selftest available)" != yes ] || printf '  %-12s %s\n' selftest "iova_rcache.sh: $(field selftest pass) ok, $(field selftest fail) not ok, $(field selftest skip) skipped; $(sed -n 's/^selftest-info # \(rcache magazines of .*\|magazines: .*\)$/\1/p' "$res" | head -n 1)"
	[ -z "$(field wakeups iova_works)" ] || printf '  %-12s %s\n' idle "$(field wakeups domains) domains after bursts, $(field wakeups idle_s) s idle: magazines $(field wakeups magazines_before) -> $(field wakeups magazines_after); IOVA cache works run per second: $(field wakeups iova_works); all timer expiries per second: $(field wakeups timers)"
	sed -n 's/^notice /  notice       /p' "$res"
	printf '  %-12s %s\n' time "$SECONDS s on the host, guest uptime $(field done uptime) s at power off"
	printf '  %-12s %s\n' verdict "$([ "$nfail" -eq 0 ] && echo PASS || echo FAIL) ($npass passed, $nfail failed; $run/checks.txt)"
	grep '^FAIL' "$checks" | sed 's/^/    /' || true
} | tee "$run/report.txt"
[ -z "$results" ] || cat "$checks" >>"$results"
[ "$nfail" -eq 0 ]
