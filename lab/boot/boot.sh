#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Stage "boot": the patched kernel on emulated IOMMUs, with real devices
# doing real DMA through them.
#
#   boot.sh [--machine vtd|amdvi|smmuv3] [--mode lazy|strict]
#           [--check] [--all] [--results FILE] [--tree DIR]
#           [--flavor debug|perf] [--accel tcg|kvm|auto] [--append "ARGS"]
#           [--spares N]
#   boot.sh --kernel IMAGE [--arch x86_64|arm64 | --machine NAME] [--mode M]
#           [--modules DIR] [--workload full|probe|FILE] [--append "ARGS"]
#           [--out DIR] [run.sh options]
#
# The first form makes the boot tree ($LAB_OUT/boot/tree, from series/,
# unless --tree), builds its kernel for the machine's arch (lab/vm/
# kernel.sh), builds the initramfs (lab/vm/initramfs.sh), boots the machine
# (lab/vm/run.sh, machines in lab/vm/machines/) and prints the report
# (lab/boot/report.sh). The default is VT-d in lazy mode, with 10 s of fio
# and two 5 s dma_map_benchmark runs. The guest has 10 spare e1000e (--spares):
# the step wakeups fills the IOVA caches of ten domains, then counts the
# timers and works they cost the idle guest.
#
#   --check    the short run: 3 s of fio, 2 s benchmark runs
#   --all      the 3 machines x 2 modes (make check-all)
#   --shell    (make shell) build as usual, then boot the first machine with
#              a shell on this terminal instead of the workload
#   --results FILE   append one "PASS|FAIL boot <machine> <mode>: ..." line
#              per check to FILE; the exit status is non-zero if any failed
#
# The second form boots a given kernel image (a later benchmark stage's
# entry): --arch picks the arch's default machine (x86_64: vtd, arm64:
# smmuv3), the workload and command line are the caller's, and the guest's
# result lines end up in OUT/results.txt (see lab/vm/run.sh). Without
# --modules the KUnit step reports that iova-test cannot be loaded.
#
# Environment: FLAVOR (debug: lockdep and kmemleak, the default; perf),
# ACCEL (tcg, the default: the /dev/kvm of the lab machines is not a full
# KVM; auto: KVM if a probe boot passes), JOBS, TIMEOUT (seconds per boot).
. "$(dirname "$0")/../lib/lib.sh"
. "$LAB_DIR/vm/vm.sh"

here=$(cd "$(dirname "$0")" && pwd)

machines=() modes=() check=0 all=0 shell=0 results= tree= kernel= arch= flavor=${FLAVOR:-debug} append=
fwd=()
while [ $# -gt 0 ]; do
	case $1 in
	--machine) machines+=("$2"); shift 2 ;;
	--mode) modes+=("$2"); shift 2 ;;
	--check) check=1; shift ;;
	--all) all=1; shift ;;
	--shell) shell=1; shift ;;
	--results) results=$2; shift 2 ;;
	--tree) tree=$2; shift 2 ;;
	--flavor) flavor=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--arch) arch=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--accel|--timeout|--modules|--benchmark|--selftests|--workload|--steps|--fio|--bench|--out|--spares)
		fwd+=("$1" "$2"); shift 2 ;;
	-h|--help) sed -n '3,/^\. /{/^\. /d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown option '$1' (lab/boot/boot.sh --help)" ;;
	esac
done

# A given kernel image: one boot, no build, no judging.
if [ -n "$kernel" ]; then
	m=${machines[0]:-}
	if [ -z "$m" ]; then
		case ${arch:-x86_64} in
		x86_64) m=vtd ;; arm64) m=smmuv3 ;;
		*) die "--arch must be x86_64 or arm64, not '$arch'" ;;
		esac
	fi
	[ -z "$append" ] || fwd+=(--append "$append")
	has_out=0
	for a in "${fwd[@]}"; do [ "$a" = --out ] && has_out=1; done
	[ "$has_out" = 1 ] || fwd+=(--out "$BOOT_OUT/runs/given-$m-${modes[0]:-lazy}")
	exec "$VM_DIR/run.sh" --machine "$m" --mode "${modes[0]:-lazy}" --kernel "$kernel" "${fwd[@]}"
fi

# Linux 7.3 makes iommu_iova_magazine after kmalloc-1k, and SLUB merges it
# into that cache: the mainline series boots with slab_nomerge, so that the
# magazines have their own line in /proc/slabinfo (the slab check) and the
# kselftest can count them.
[ "$SERIES" != mainline ] || append="slab_nomerge${append:+ $append}"
[ -z "$append" ] || fwd+=(--append "$append")

if [ "$all" = 1 ]; then
	[ ${#machines[@]} -gt 0 ] || machines=(vtd amdvi smmuv3)
	[ ${#modes[@]} -gt 0 ] || modes=(lazy strict)
fi
[ ${#machines[@]} -gt 0 ] || machines=(vtd)
[ ${#modes[@]} -gt 0 ] || modes=(lazy)
for m in "${machines[@]}"; do
	need_machine "$m"
done
durations=()
[ "$check" = 1 ] && durations=(--fio 3 --bench 2)
spares=(--spares 10)
for a in "${fwd[@]}"; do [ "$a" != --spares ] || spares=(); done

all_checks=$(mktemp)
trap 'rm -f "$all_checks"' EXIT
failed=0
start=$(date +%s)

# 1. The tree: out/boot/tree follows series/ (re-made when a patch file
# changed); --tree DIR boots another tree (out/tree: your work in progress).
if [ -z "$tree" ]; then
	tree=$BOOT_TREE
	sum=$(cat "$SERIES_DIR"/[0-9][0-9][0-9][0-9]-*.patch | sha256sum | cut -c1-16)
	if [ "$(cat "$BOOT_OUT/tree.series" 2>/dev/null)" != "$sum" ] ||
		[ -n "$(git -C "$tree" status --porcelain --untracked-files=no 2>/dev/null || echo none)" ]; then
		log "boot tree $tree: applying series/"
		FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$tree" ||
			die "the series does not apply; fix it (make tree) before booting it"
		echo "$sum" >"$BOOT_OUT/tree.series"
	fi
fi
[ -f "$tree/Makefile" ] || die "no kernel tree at $tree"
# The helpers (gen_init_cpio of the initramfs) take their sources from the
# tree being booted.
export BOOT_TREE=$tree

# 2. One kernel per arch needed, built once. A failed build fails every
# boot of that arch.
declare -A built
for m in "${machines[@]}"; do
	a=$(machine_arch "$m")
	[ -z "${built[$a]:-}" ] || continue
	t0=$(date +%s)
	if "$VM_DIR/kernel.sh" --arch "$a" --flavor "$flavor" --tree "$tree"; then
		built[$a]=ok
		log "$a-$flavor kernel ready in $(($(date +%s) - t0)) s"
	else
		built[$a]=failed
	fi
done

# 3. The boots.
for m in "${machines[@]}"; do
	a=$(machine_arch "$m")
	for mode in "${modes[@]}"; do
		label="boot $m $mode"
		if [ "${built[$a]}" != ok ]; then
			echo "FAIL $label: the $a kernel builds (see $BOOT_OUT/$a-$flavor/build.log)" >>"$all_checks"
			failed=1
			continue
		fi
		# shellcheck disable=SC1091
		. "$BOOT_OUT/$a-$flavor/kernel.env"
		run=$BOOT_OUT/runs/$m-$mode
		if [ "$shell" = 1 ]; then
			exec "$VM_DIR/run.sh" --machine "$m" --mode "$mode" --kernel "$KERNEL_IMAGE" \
				--modules "$KERNEL_MODULES" --benchmark "$KERNEL_BENCHMARK" "${fwd[@]}" \
				--out "$run-shell" --interactive
		fi
		[ "$check" = 0 ] || run=$run-check
		[ "$flavor" = debug ] || run=$run-$flavor
		sel=()
		[ -z "${KERNEL_SELFTESTS:-}" ] || sel=(--selftests "$KERNEL_SELFTESTS")
		"$VM_DIR/run.sh" --machine "$m" --mode "$mode" --kernel "$KERNEL_IMAGE" \
			--modules "$KERNEL_MODULES" --benchmark "$KERNEL_BENCHMARK" "${sel[@]}" \
			"${durations[@]}" "${spares[@]}" "${fwd[@]}" --out "$run" || true
		echo
		if [ ! -f "$run/run.env" ]; then
			echo "FAIL $label: lab/vm/run.sh could not boot the guest (its error is above)" >>"$all_checks"
			failed=1
			continue
		fi
		"$here/report.sh" --run "$run" --label "$label" --results "$all_checks" || failed=1
		echo
	done
done

[ -z "$results" ] || cat "$all_checks" >>"$results"
if [ ${#machines[@]} -gt 1 ] || [ ${#modes[@]} -gt 1 ] || [ "$failed" -ne 0 ]; then
	echo "Boot checks, $(($(date +%s) - start)) s:"
	grep '^FAIL' "$all_checks" || true
	echo "$(grep -c '^PASS' "$all_checks") passed, $(grep -c '^FAIL' "$all_checks") failed"
fi
[ "$failed" -eq 0 ]
