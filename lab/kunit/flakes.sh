#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The flake tally: the x86_64 KUnit suites of the work tree N times in a
# row on a loaded host, each run judged alone (make flakes).
#
#   flakes.sh [--runs N] [--smp N] [--load N] [--tree DIR] [--kasan]
#
# The kernel is built and run once on a quiet host (lab/kunit/kunit.sh;
# not counted), then booted N times (default 20, kunit.sh --repeat) with 4
# vCPUs (--smp) while --load N (default 2) kernel builds run on the host,
# each with one job, without ccache, from the work tree into folders of
# their own, started again when they end: the cases must not depend on the
# host's speed. The load is stopped at the end. Writes $LAB_OUT/flakes/results (one
# "PASS|FAIL x86_64 run I/N: case" line per case and run) and prints the
# tally: runs, failed runs, each run's time and the host's load average.
# --kasan: the kernel has generic KASAN too (its own build folder).
. "$(dirname "$0")/../lib/lib.sh"
. "$LAB_DIR/lib/kbuild.sh"

runs=20 smp=4 load=2 tree=$TREE kasan=()
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--load) load=$2; shift 2 ;;
	--tree) tree=$2; shift 2 ;;
	--kasan) kasan=(--kasan); shift ;;
	*) die "usage: flakes.sh [--runs N] [--smp N] [--load N] [--tree DIR] [--kasan]" ;;
	esac
done
case $runs$load in *[!0-9]*) die "--runs and --load take numbers" ;; esac
[ -d "$tree/.git" ] || die "no work tree at $tree: run 'make tree' first"
out=$LAB_OUT/flakes${kasan:+-kasan}
mkdir -p "$out"
: >"$out/results"

# The kernel, built (and its suites run once) before the load starts.
"$LAB_DIR/kunit/kunit.sh" --arch x86_64 --smp "$smp" --tree "$tree" --build "$out/kunit-x86_64" \
	--label "x86_64 build" "${kasan[@]}" || die "the suites fail on a quiet host already: no tally"

# The load: kernel builds that cannot hit ccache, each restarted when done.
pids=()
stop_load() {
	local p
	for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || true; done
	pids=()
}
trap stop_load EXIT
for ((i = 1; i <= load; i++)); do
	b=$out/load-$i
	mkdir -p "$b"
	setsid bash -c '
		while :; do
			make -s -C "$1" O="$2" ARCH=x86_64 defconfig >/dev/null 2>&1
			CCACHE_DISABLE=1 make -s -C "$1" O="$2" ARCH=x86_64 -j1 vmlinux >/dev/null 2>&1
			make -s -C "$1" O="$2" ARCH=x86_64 clean >/dev/null 2>&1
		done' load "$tree" "$b" &
	pids+=($!)
done
[ "$load" = 0 ] || log "flakes: $load kernel builds (one job each, no ccache) load the host"
sleep 5

"$LAB_DIR/kunit/kunit.sh" --arch x86_64 --smp "$smp" --tree "$tree" --build "$out/kunit-x86_64" \
	--results "$out/results" --label x86_64 --repeat "$runs" "${kasan[@]}" 2>&1 |
	while IFS= read -r l; do
		case $l in
		*" run "*/*": "*" s") echo "$l (load average $(cut -d' ' -f1-3 /proc/loadavg))" ;;
		*) echo "$l" ;;
		esac
	done | tee "$out/log"
rc=${PIPESTATUS[0]}
stop_load
echo "flake tally ($runs runs, $smp vCPUs, $load loading builds${kasan:+, KASAN}): $(grep -c ' run [0-9]*/[0-9]*: KUnit [0-9]* passed, 0 failed' "$out/log" || true) runs passed, $(grep -c 'KUnit FAILED' "$out/log" || true) failed; cases: $(grep -c '^PASS' "$out/results") PASS, $(grep -c '^FAIL' "$out/results") FAIL lines in $out/results"
exit "$rc"
