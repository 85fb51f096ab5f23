#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Stage "stress": the series under the kernel's own debug machinery.
#
#   stress.sh [--machine vtd|amdvi|smmuv3]... [--check | --all]
#             [--results FILE] [--tree DIR] [--accel tcg|auto]
#             [--scenarios LIST] [--cycles N] [--rebinds N] [--rounds N]
#             [--kunit-runs N] [--leak-scans N]
#
# Builds the guest kernel (lab/vm/) with lab/stress/stress.config on top
# (KASAN, lockdep, kmemleak, DMA-API debug, debugobjects for work items and
# timers, failslab; lab/vm/kernel.sh --fragment) into $LAB_OUT/stress/
# <arch>/, boots it with 4 vCPUs, 2 GiB, slab_nomerge, in lazy mode (lab/boot/
# run.sh) and runs lab/stress/workload.sh in the guest. The scenarios:
#
#   kunit     4. the iommu-dma suite at boot (fq_stress: the flush ordering
#                stress on every CPU) and iova-test.ko, in the debug kernel
#   hotplug   1. fio on nvme + dma_map_benchmark on e1000e while CPUs go
#                offline and online; afterwards the idle level is back
#   rebind    2. nvme unbind/bind with the group switched DMA-FQ <-> DMA in
#                between (domains torn down with reclaim work pending)
#   failslab  3. failslab on iommu_iova_magazine (one boot) and on iommu_iova
#                (another boot, slub_debug=A,<cache>) during traffic
#   leakscan  5. bursts, then the depot reclaim, the idle trim or the
#                shrinker, while kmemleak scans without pause: no scan may
#                report a magazine
#
# Default (make stress): all five on the machine (VT-d), counts 100 hotplug
# cycles, 100 rebinds, 10 failslab rounds per cache, 3 iova-test runs, 8
# kmemleak scans.
#   --check   kunit + 10 hotplug cycles on VT-d (make stress-check, make check)
#   --all     the default on VT-d, then kunit + hotplug on SMMUv3 (check-all)
#   --results FILE   append "PASS|FAIL stress <run> <scenario>: ..." lines;
#             the exit status is non-zero if any failed
#
# A scenario fails on any WARNING, BUG, KASAN, lockdep, debugobjects,
# hung task or DMA-API report on the console between its markers, on a
# kmemleak report after its scans, on DMA-API debug errors, on a count not
# reached within its time bound, and (hotplug, rebind, failslab) when the
# idle level after it is not the one before it. Each failure is printed
# with its console context. Results: $LAB_OUT/stress/runs/<run>/ (console.log,
# results.txt, checks.txt, splats-<scenario>.txt).
. "$(dirname "$0")/../lib/lib.sh"
. "$LAB_DIR/vm/vm.sh"

STRESS_OUT=$LAB_OUT/stress
machines=() check=0 all=0 results= tree= accel=${ACCEL:-tcg}
scenarios= cycles= rebinds= rounds= kunit_runs= leak_scans=
while [ $# -gt 0 ]; do
	case $1 in
	--machine) machines+=("$2"); shift 2 ;;
	--check) check=1; shift ;;
	--all) all=1; shift ;;
	--results) results=$2; shift 2 ;;
	--tree) tree=$2; shift 2 ;;
	--accel) accel=$2; shift 2 ;;
	--scenarios) scenarios=$2; shift 2 ;;
	--cycles) cycles=$2; shift 2 ;;
	--rebinds) rebinds=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--kunit-runs) kunit_runs=$2; shift 2 ;;
	--leak-scans) leak_scans=$2; shift 2 ;;
	-h|--help) sed -n '3,/^\. /{/^\. /d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown option '$1' (lab/stress/stress.sh --help)" ;;
	esac
done
[ -n "$results" ] && results=$(realpath -m "$results")
[ ${#machines[@]} -gt 0 ] || machines=(vtd)
for m in "${machines[@]}"; do
	need_machine "$m"
done

# The boots: "label machine scenarios cycles rebinds rounds kunit_runs
# failslab-cache". Each scenario's time bound scales with its count (TCG,
# KASAN: see lab/stress/README.md for measured times).
plan=()
add_run() { plan+=("$*"); }
full_runs() { # machine
	add_run "$1" "$1" "${scenarios:-kunit,hotplug,rebind,failslab,leakscan}" "${cycles:-100}" \
		"${rebinds:-100}" "${rounds:-10}" "${kunit_runs:-3}" iommu_iova_magazine
	case ,${scenarios:-failslab}, in
	*,failslab,*) add_run "$1-failslab-iova" "$1" failslab 0 0 "${rounds:-10}" 0 iommu_iova ;;
	esac
}
if [ "$check" = 1 ]; then
	add_run "${machines[0]}-check" "${machines[0]}" "${scenarios:-kunit,hotplug}" "${cycles:-10}" \
		"${rebinds:-5}" "${rounds:-3}" "${kunit_runs:-1}" iommu_iova_magazine
elif [ "$all" = 1 ]; then
	full_runs vtd
	add_run smmuv3 smmuv3 kunit,hotplug "${cycles:-100}" 0 0 1 -
else
	for m in "${machines[@]}"; do full_runs "$m"; done
fi

all_checks=$(mktemp)
trap 'rm -f "$all_checks"' EXIT
start=$(date +%s)

# 1. The tree: $LAB_OUT/stress/tree follows series/ (re-made when a patch
# file changed); --tree DIR tests another tree.
if [ -z "$tree" ]; then
	tree=$STRESS_OUT/tree
	sum=$(cat "$SERIES_DIR"/[0-9][0-9][0-9][0-9]-*.patch | sha256sum | cut -c1-16)
	if [ "$(cat "$STRESS_OUT/tree.series" 2>/dev/null)" != "$sum" ] ||
		[ -n "$(git -C "$tree" status --porcelain --untracked-files=no 2>/dev/null || echo none)" ]; then
		log "stress tree $tree: applying series/"
		FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$tree" ||
			die "the series does not apply; fix it (make tree) before stressing it"
		echo "$sum" >"$STRESS_OUT/tree.series"
	fi
fi
tree=$(realpath "$tree")
[ -f "$tree/Makefile" ] || die "no kernel tree at $tree"
# The VM helpers (gen_init_cpio) take their sources from this tree.
export BOOT_TREE=$tree

# 2. One debug kernel per arch (lab/vm/kernel.sh; one build at a time).
declare -A built
for r in "${plan[@]}"; do
	set -- $r
	a=$(machine_arch "$2")
	[ -z "${built[$a]:-}" ] || continue
	t0=$(date +%s)
	if "$VM_DIR/kernel.sh" --arch "$a" --flavor debug --tree "$tree" \
		--fragment "$LAB_DIR/stress/stress.config" --out "$STRESS_OUT/$a"; then
		built[$a]=ok
		log "$a stress kernel ready in $(($(date +%s) - t0)) s"
	else
		built[$a]=failed
	fi
done

# 3. The boots, each judged by lab/stress/judge.sh.
for r in "${plan[@]}"; do
	set -- $r
	label=$1 m=$2 scen=$3 cyc=$4 reb=$5 rnd=$6 kr=$7 cache=$8
	a=$(machine_arch "$m")
	if [ "${built[$a]}" != ok ]; then
		echo "FAIL stress $label: the $a stress kernel builds (see $STRESS_OUT/$a/build.log)" >>"$all_checks"
		continue
	fi
	# shellcheck disable=SC1091
	. "$STRESS_OUT/$a/kernel.env"
	# Time bounds (s) per scenario, from the counts (arm64: twice): the
	# guest stops a scenario's loop at its bound, the host kills the guest
	# at the sum of the bounds plus the boot.
	slow=1
	[ "$a" = arm64 ] && slow=2
	bounds="kunit=$((slow * (60 + 90 * kr))) hotplug=$((slow * (60 + 6 * cyc)))"
	bounds="$bounds rebind=$((slow * (60 + 8 * reb))) failslab=$((slow * (60 + 40 * rnd)))"
	bounds="$bounds leakscan=$((slow * (60 + 90 * ${leak_scans:-8})))"
	timeout=600 append="slab_nomerge lab.scenarios=$scen"
	for b in $bounds; do
		case ,$scen, in
		*,${b%%=*},*) timeout=$((timeout + ${b#*=} + 120)); append="$append lab.bound_$b" ;;
		esac
	done
	append="$append lab.cycles=$cyc lab.rebinds=$reb lab.failslab_rounds=$rnd lab.kunit_runs=$kr"
	append="$append lab.leak_scans=${leak_scans:-8}"
	[ "$cache" = - ] || append="$append slub_debug=A,$cache"
	run=$STRESS_OUT/runs/$label
	log "stress $label: $m, scenarios $scen (hotplug $cyc cycles, rebind $reb, failslab $rnd rounds on $cache, iova-test x$kr), 4 vCPUs, time limit ${timeout} s"
	t0=$(date +%s)
	"$VM_DIR/run.sh" --machine "$m" --mode lazy --kernel "$KERNEL_IMAGE" \
		--modules "$KERNEL_MODULES" --benchmark "$KERNEL_BENCHMARK" \
		--workload "$LAB_DIR/stress/workload.sh" --steps info,iommu,script \
		--append "$append" --smp 4 --mem 2G --accel "$accel" --timeout "$timeout" \
		--out "$run" || true
	echo
	"$LAB_DIR/stress/judge.sh" --run "$run" --label "stress $label" \
		--scenarios "$scen" --results "$all_checks" || true
	log "stress $label: $(($(date +%s) - t0)) s on the host"
	echo
done

[ -z "$results" ] || cat "$all_checks" >>"$results"
echo "Stress checks, $(($(date +%s) - start)) s:"
cat "$all_checks"
passed=$(grep -c '^PASS' "$all_checks" || true)
failed=$(grep -c '^FAIL' "$all_checks" || true)
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
