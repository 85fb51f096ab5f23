#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Stress lab: judge one boot of lab/stress/workload.sh (a run.sh folder).
#
#   judge.sh --run DIR --label TEXT --scenarios LIST [--results FILE]
#
# Writes DIR/checks.txt (one "PASS|FAIL <label> <check>: ..." line per
# check, also appended to FILE), DIR/splats-<section>.txt (each report of
# the kernel's checkers with the console lines around it) and prints the
# failures with their context. Sections of the console: "boot" up to the
# first scenario, then each scenario between its "LAB-STRESS begin|end"
# markers. Exits 1 if a check failed.
. "$(dirname "$0")/../lib/lib.sh"

run= label= scenarios= results=
while [ $# -gt 0 ]; do
	case $1 in
	--run) run=$2; shift 2 ;;
	--label) label=$2; shift 2 ;;
	--scenarios) scenarios=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	*) die "usage: judge.sh --run DIR --label TEXT --scenarios LIST [--results FILE]" ;;
	esac
done
[ -f "$run/run.env" ] || die "$run is not a run folder (no run.env): lab/stress/stress.sh makes them"
# shellcheck disable=SC1091
. "$run/run.env"
con=$run/console.log
res=$run/results.txt
# A guest that died before printing its results block: its LAB lines as
# they came on the console.
if ! grep -q '^done ' "$res" 2>/dev/null; then
	tr -d '\r' <"$con" 2>/dev/null | sed -n 's/^LAB \(stress-\)/\1/p' >"$res" || true
fi
checks=$run/checks.txt
: >"$checks"
check() { echo "$1 $label $2" >>"$checks"; }

# field WHAT KEY [FILTER-REGEX]: value of KEY= in the first line of
# results.txt that starts with WHAT (and matches the filter).
field() {
	awk -v w="$1" -v k="$2" -v f="${3:-}" '
		$1 == w && (f == "" || $0 ~ f) {
			for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit }
		}' "$res"
}

# line REGEX: the first line of results.txt that matches, or nothing.
line() { grep -m 1 -e "$1" "$res" || true; }

# The kernel's checkers (lab/lib/splats.txt): WARN (lockdep, DMA-API debug and
# debugobjects reports are WARNs too), BUG (KASAN: "BUG: KASAN: ..."), Oops,
# panics, the hung task detector, RCU stalls, nvme I/O timeouts.
SPLATS=$(splat_re)
rm -f "$run"/splats-*.txt
tr -d '\r' <"$con" 2>/dev/null | awk -v dir="$run" -v re="$SPLATS" '
	{ l[NR] = $0 }
	/LAB-STRESS begin / { s = $0; sub(/.*LAB-STRESS begin /, "", s); sec = s; next }
	/LAB-STRESS end / { sec = "between"; next }
	$0 ~ re && $0 !~ /kmemleak-report:/ {
		if (sec == "") sec = "boot"
		n[sec]++
		if (n[sec] <= 3 && NR > last[sec]) { at[sec, n[sec]] = NR; last[sec] = NR + 40 }
	}
	END {
		for (x in n) {
			f = dir "/splats-" x ".txt"
			printf "%d report lines in section %s\n", n[x], x > f
			for (i = 1; i <= 3; i++) {
				if (!((x, i) in at)) continue
				a = at[x, i]
				printf "\n--- console line %d:\n", a > f
				for (j = a - 3; j <= a + 40 && j <= NR; j++) {
					if (j < 1) continue
					print l[j] > f
					if (j > a && l[j] ~ /---\[ end trace|LAB-STRESS/) break
				}
			}
			close(f)
		}
	}'
splats_of() { # section: number of report lines
	if [ -f "$run/splats-$1.txt" ]; then head -n 1 "$run/splats-$1.txt" | cut -d' ' -f1; else echo 0; fi
}
kmemleak_context() { # section
	tr -d '\r' <"$con" | sed -n "/LAB-STRESS kmemleak-report-begin $1\$/,/LAB-STRESS kmemleak-report-end $1\$/p" |
		sed 's/^\[[ 0-9.]*\] kmemleak-report: //' | head -n 40
}

# The guest itself.
finished=0
grep -q '^done ' "$res" && finished=1
setup=$(grep '^stress-setup ' "$res" | head -n 1 || true)
if [ -z "$setup" ]; then
	check FAIL "boot: the guest never reached the workload ($STATUS after $SECONDS s; console: $con)"
else
	what="$(field stress-setup cpus) CPUs, KASAN $(field stress-setup kasan), DMA-API debug $(field stress-setup dma_api_debug), slab_nomerge $(field stress-setup slab_nomerge)"
	n=$(splats_of boot)
	if [ "$(field stress-setup kasan)" != yes ] || [ "$(field stress-setup dma_api_debug)" != yes ]; then
		check FAIL "boot: the debug machinery is not all there ($what): check lab/stress/stress.config and $run/console.log"
	elif [ "$n" -gt 0 ]; then
		check FAIL "boot: $n report lines while booting (the iommu-dma suite runs then); see $run/splats-boot.txt"
	else
		check PASS "boot: $what; no report while booting"
	fi
fi

# Reports outside the boot and the scenarios (between two of them).
for f in "$run"/splats-*.txt; do
	[ -e "$f" ] || continue
	x=${f##*/splats-}; x=${x%.txt}
	case ,boot,$scenarios, in
	*,"$x",*) ;;
	*) check FAIL "outside the scenarios ($x): $(head -n 1 "$f"); see $f" ;;
	esac
done

# Common to every scenario: it ended, no report in its section, no DMA-API
# error, no kmemleak report. Prints "why" into $why.
common() { # scenario
	local s=$1 n e
	why=
	n=$(splats_of "$s")
	if ! grep -q "^stress-time scenario=$s " "$res"; then
		why="did not finish ($STATUS after $SECONDS s; the console's last lines are above, full console: $con)"
		[ "$n" = 0 ] || why="$why; $n report lines on the console (see $run/splats-$s.txt)"
		return
	fi
	e=$(field stress-dma-api errors "scenario=$s ")
	leaks=$(field stress-kmemleak leaks "scenario=$s ")
	[ "$n" = 0 ] || why="$why; $n report lines on the console (see $run/splats-$s.txt)"
	[ "$e" = 0 ] || why="$why; $e DMA-API debug errors"
	[ "${leaks:-0}" = 0 ] || why="$why; kmemleak: $leaks suspected leaks"
	why=${why#; }
}
# The idle level after a scenario against the one before it: the rcaches
# empty, and the same IOVAs allocated (iommu_iova objects), less those of
# coherent buffers (DMA-API debug's dump: a dma_pool keeps the pages it grew
# to, such as nvme's PRP lists), the same streaming mappings, the same
# magazines (none).
idle_cmp() { # scenario: adds to $why, sets $idle
	local s=$1 k b a cb ca
	idle=
	for k in depot cpu_mags cpu_iovas; do
		a=$(field stress-idle "$k" "scenario=$s when=after")
		[ "$a" = 0 ] || why="${why:+$why; }rcaches still hold $k=$a after $(field stress-idle waited "scenario=$s when=after") s idle"
	done
	cb=$(field stress-idle coherent "scenario=$s when=before") ca=$(field stress-idle coherent "scenario=$s when=after")
	b=$(field stress-idle iova_objs "scenario=$s when=before") a=$(field stress-idle iova_objs "scenario=$s when=after")
	if [ -z "$a" ] || [ -z "$ca" ] || [ $((a - ca)) -ne $((b - cb)) ]; then
		why="${why:+$why; }IOVAs left behind: iommu_iova objects $b -> $a with coherent buffers $cb -> $ca"
		[ -z "$(line "^stress-dma-new scenario=$s ")" ] ||
			why="$why (new DMA-API entries: $(sed -n "s/^stress-dma-new scenario=$s //p" "$res" | head -n 3 | tr '\n' ';'))"
	fi
	idle=", iommu_iova $b -> $a objects (coherent buffers $cb -> $ca)"
	for k in streaming mag_objs; do
		b=$(field stress-idle "$k" "scenario=$s when=before")
		a=$(field stress-idle "$k" "scenario=$s when=after")
		idle="$idle, $k $b -> $a"
		[ -n "$a" ] && [ "$a" = "$b" ] || why="${why:+$why; }$k $b before, $a after"
	done
	idle="idle level back after $(field stress-idle waited "scenario=$s when=after") s (rcaches empty$idle)"
}
secs() { echo "$(field stress-time seconds "scenario=$1 ") s (bound $(field stress-time bound "scenario=$1 ") s)"; }

for s in $(echo "$scenarios" | tr ',' ' '); do
	common "$s"
	if ! grep -q "^stress-time scenario=$s " "$res"; then
		check FAIL "$s: $why"
		{
			echo "[stress] $label $s FAILED: $why"
			[ ! -f "$run/splats-$s.txt" ] || head -n 80 "$run/splats-$s.txt"
		} >&2
		continue
	fi
	case $s in
	kunit)
		p=$(field stress-kunit pass "run=boot ") f=$(field stress-kunit fail "run=boot ")
		t=$(field stress-kunit total "run=boot ") d=$(field stress-kunit declared "run=boot ")
		[ -n "$p" ] && [ "$f" = 0 ] && [ "$t" = "$d" ] ||
			why="${why:+$why; }iommu-dma at boot: $(grep '^stress-kunit run=boot ' "$res" | cut -d' ' -f3- || echo 'no results')"
		fq="$(field stress-fq threads) threads, $(field stress-fq reused) IOVAs reused, $(field stress-fq flushes) flushes"
		[ "$(field stress-fq status)" = ok ] && [ "$(field stress-fq threads)" = "$(field stress-setup cpus)" ] ||
			why="${why:+$why; }fq_stress: $(field stress-fq status) ($fq; want one thread per CPU)"
		runs=$(field stress-count done "scenario=kunit ") want=$(field stress-count want "scenario=kunit ")
		bad=$(awk '$1 == "stress-kunit" && $2 != "run=boot" && !/ fail=0 /' "$res" | head -n 1)
		[ -z "$bad" ] || why="${why:+$why; }iova-test: $bad"
		[ "$runs" = "$want" ] || why="${why:+$why; }iova-test ran $runs of $want times"
		ip=$(awk '$1 == "stress-kunit" && $2 != "run=boot" { for (i = 3; i <= NF; i++) if ($i ~ /^pass=/) n += substr($i, 6) } END { print n + 0 }' "$res")
		sum="iommu-dma $p/$d at boot (fq_stress: $fq); iova-test.ko ${runs:-0}x ($ip cases passed); $(secs kunit)"
		;;
	hotplug)
		c=$(field stress-count done "scenario=hotplug ") w=$(field stress-count want "scenario=hotplug ")
		e=$(field stress-count errors "scenario=hotplug ")
		fr=$(field stress-traffic fio_runs "scenario=hotplug ") fo=$(field stress-traffic fio_ok "scenario=hotplug ")
		br=$(field stress-traffic bench_runs "scenario=hotplug ") bo=$(field stress-traffic bench_ok "scenario=hotplug ")
		[ "$c" = "$w" ] || why="${why:+$why; }$c of $w cycles within the bound"
		[ "$e" = 0 ] || why="${why:+$why; }$e offline/online writes failed"
		[ "${fr:-0}" -gt 0 ] && [ "$fr" = "$fo" ] || why="${why:+$why; }fio: $fo of $fr runs ok ($(sed -n 's/^stress-info what=fio-errors //p' "$res" | head -n 1))"
		[ "${br:-0}" -gt 0 ] && [ "$br" = "$bo" ] || why="${why:+$why; }dma_map_benchmark: $bo of $br runs ok ($(sed -n 's/^stress-info what=bench-errors //p' "$res" | head -n 1))"
		idle_cmp hotplug
		sum="$c/$w cycles of CPUs $(field stress-count cpus "scenario=hotplug ") offline/online in $(secs hotplug) under fio ($fo runs, $(field stress-traffic fio_mib "scenario=hotplug ") MiB) and dma_map_benchmark ($bo runs); $idle"
		;;
	rebind)
		c=$(field stress-count done "scenario=rebind ") w=$(field stress-count want "scenario=rebind ")
		e=$(field stress-count errors "scenario=rebind ")
		td=$(field stress-count fq_teardowns "scenario=rebind ") tc=$(field stress-count fq_teardowns_with_cache "scenario=rebind ")
		fr=$(field stress-traffic fio_runs "scenario=rebind ") fo=$(field stress-traffic fio_ok "scenario=rebind ")
		[ "$c" = "$w" ] || why="${why:+$why; }$c of $w cycles within the bound"
		[ "$e" = 0 ] || why="${why:+$why; }$e unbind/type/bind errors: $(line '^stress-error ')"
		[ "${fr:-0}" -gt 0 ] && [ "$fr" = "$fo" ] || why="${why:+$why; }traffic: $fo of $fr dd bursts/fio runs ok"
		[ "${tc:-0}" -gt 0 ] || why="${why:+$why; }no DMA-FQ domain was torn down while its rcaches held magazines"
		idle_cmp rebind
		sum="$c/$w unbind/bind cycles in $(secs rebind), $td DMA-FQ domains torn down ($tc with magazines cached, reclaim work pending), $(field stress-count to_fq "scenario=rebind ") DMA -> DMA-FQ; dd bursts between cycles: $fo ok; $idle"
		;;
	failslab)
		cache=$(field stress-failslab caches) inj=$(field stress-failslab injected)
		r=$(field stress-failslab rounds) w=$(field stress-failslab want)
		works=$(field stress-after works "scenario=failslab ")
		[ -n "$cache" ] || why="${why:+$why; }failslab not set up: $(line 'failslab-not-set-up')"
		[ "$r" = "$w" ] || why="${why:+$why; }$r of $w rounds within the bound"
		[ "${inj:-0}" -gt 0 ] || why="${why:+$why; }no allocation failure was injected"
		[ "$works" = 1 ] || why="${why:+$why; }the devices do not work after failslab stopped: $(line '^stress-after ')"
		tr=$(awk '$1 == "stress-round" { for (i = 2; i <= NF; i++) { split($i, a, "="); t[a[1]] += a[2] } }
			END { printf "fio %d/%d runs ok, dma_map_benchmark %d/%d", t["fio_ok"], t["fio_runs"], t["bench_ok"], t["bench_runs"] }' "$res")
		# Without magazines the IOVAs go back to the tree: no mapping fails.
		if [ "$cache" = iommu_iova_magazine ] &&
			[ -n "$(awk '$1 == "stress-round" && (/ fio_ok=0 / || / bench_ok=0/)' "$res")" ]; then
			why="${why:+$why; }mappings failed while only magazines could not be allocated ($tr)"
		fi
		idle_cmp failslab
		sum="${cache:-?} failing at $(field stress-failslab pct)%: $inj allocations failed in $r/$w rounds of traffic in $(secs failslab) ($tr), devices work afterwards; $idle"
		;;
	leakscan)
		c=$(field stress-count done "scenario=leakscan ") w=$(field stress-count want "scenario=leakscan ")
		sc=$(field stress-leakscan scans) rs=$(field stress-leakscan scans_reporting)
		mr=$(field stress-leakscan scans_reporting_magazines) mg=$(field stress-leakscan magazines)
		cy=$(field stress-traffic cycles "scenario=leakscan ")
		br=$(field stress-traffic bench_runs "scenario=leakscan ") bo=$(field stress-traffic bench_ok "scenario=leakscan ")
		if [ "$(field stress-leakscan available)" != yes ]; then
			why="${why:+$why; }this kernel has no kmemleak (lab/stress/stress.config)"
		else
			[ "${c:-0}" -ge "${w:-1}" ] || why="${why:+$why; }${c:-0} of $w kmemleak scans within the bound"
			[ "${br:-0}" -gt 0 ] && [ "$br" = "$bo" ] ||
				why="${why:+$why; }dma_map_benchmark: ${bo:-0} of ${br:-0} bursts ok ($(sed -n 's/^stress-info what=bench-errors //p' "$res" | head -n 1))"
			[ "$mg" = 0 ] || why="${why:+$why; }kmemleak reported magazines $mg times, in $mr of $sc scans"
		fi
		sum="$sc kmemleak scans in $(secs leakscan), while $bo bursts of dma_map_benchmark were each followed by the depot reclaim, the idle trim or the shrinker ($cy cycles); $mr scans reported a magazine, $rs anything"
		;;
	*) why="unknown scenario" sum= ;;
	esac
	if [ -z "$why" ]; then
		check PASS "$s: $sum; no report, DMA-API 0 errors, kmemleak 0"
	else
		check FAIL "$s: $why"
		{
			echo "[stress] $label $s FAILED: $why"
			[ ! -f "$run/splats-$s.txt" ] || head -n 80 "$run/splats-$s.txt"
			[ "${leaks:-0}" = 0 ] || kmemleak_context "$s"
		} >&2
	fi
done

cat "$checks"
[ -z "$results" ] || cat "$checks" >>"$results"
! grep -q '^FAIL' "$checks"
