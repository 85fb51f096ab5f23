# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# The stress lab's guest workload: /lab/workload, sourced by the guests'
# /init (lab/vm/init: result, param, group_of, ktap_count come from
# there). Runs the scenarios named by lab.scenarios=, in that order:
#
#   kunit     the iommu-dma suite that ran at boot (its fq_stress case is the
#             flush ordering stress), then iova-test.ko loaded lab.kunit_runs
#             times
#   hotplug   fio on the nvme disk and dma_map_benchmark on the e1000e while
#             CPUs 1..N-1 go offline and online, lab.cycles times
#   rebind    unbind/bind the nvme driver lab.rebinds times, its IOMMU group
#             switched between DMA-FQ and DMA while unbound, fio between
#             cycles, dma_map_benchmark and readers of the rcache statistics
#             throughout
#   failslab  lab.failslab_rounds rounds of traffic, each after the shrinker
#             emptied the rcaches, while failslab fails lab.failslab_pct% of
#             the allocations from the cache(s) marked at boot with
#             slub_debug=A,<cache>; then the device must still work
#   leakscan  bursts of dma_map_benchmark, each followed by the depot
#             reclaim, the idle trim or the shrinker, while kmemleak scans
#             without pause, lab.leak_scans times; no scan may report a
#             magazine
#
# Each scenario has a deadline (lab.bound_<scenario>= seconds): a loop that reaches it
# stops and says how far it got. Around a scenario: the idle level (rcache
# totals once they are empty, iommu_iova and iommu_iova_magazine objects after
# a cache shrink, active DMA-API debug entries) before and after, the DMA-API
# debug error count, and two kmemleak scans whose report is printed between
# markers. "LAB-STRESS begin|end <scenario>" go to the kernel log
# (/dev/kmsg), so the host can tell which scenario a splat on the console
# belongs to. Results: "stress-*" lines (see lab/stress/stress.sh for the checks).

S_SCENARIOS=$(param scenarios kunit,hotplug)
S_CYCLES=$(param cycles 10)
S_REBINDS=$(param rebinds 10)
S_ROUNDS=$(param failslab_rounds 5)
S_PCT=$(param failslab_pct 90)
S_KUNIT_RUNS=$(param kunit_runs 1)
S_IDLE=$(param idle 60)
S_FIO=$(param traffic 3)
# lab.offline=0: the hotplug scenario's traffic and timing without CPUs
# going offline (a control run, to tell hotplug's effects from the load's).
S_OFFLINE=$(param offline 1)
# lab.loads=fio,bench: the background traffic of hotplug (one of them alone,
# to tell which one a report comes with).
S_LOADS=$(param loads fio,bench)

now() { cut -d. -f1 /proc/uptime; }
now_ds() { awk '{ printf "%d", $1 * 10 }' /proc/uptime; }	# tenths of a second
mark() { echo "LAB-STRESS $*" >/dev/kmsg; }
S_NCPU=$(grep -c ^processor /proc/cpuinfo)

# --- Devices -------------------------------------------------------------

NVME=$(basename "$(readlink -f /sys/class/nvme/nvme0/device)")
E1000E=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x10d3 ] && echo "${d##*/}"
done | head -n 1)

# The nvme namespace's block device, once the driver has probed it.
nvme_blk() {
	local n
	n=$(ls -d /sys/bus/pci/devices/"$NVME"/nvme/nvme*/nvme*n1 2>/dev/null | head -n 1)
	[ -n "$n" ] && [ -b "/dev/${n##*/}" ] && echo "/dev/${n##*/}"
}

# The e1000e's driver becomes dma_map_benchmark, as on real hardware.
bench_bind() {
	local d=/sys/bus/pci/devices/$E1000E
	[ -n "$E1000E" ] || { result stress-error what=no-e1000e; return 1; }
	[ -e /sys/kernel/debug/dma_map_benchmark ] && return 0
	[ -e "$d/driver" ] && echo "$E1000E" >"$d/driver/unbind"
	echo dma_map_benchmark >"$d/driver_override"
	echo "$E1000E" >/sys/bus/pci/drivers_probe
	[ -e /sys/kernel/debug/dma_map_benchmark ] ||
		{ result stress-error what=benchmark-not-bound pci="$E1000E"; return 1; }
}

# --- Traffic -------------------------------------------------------------

# One fio run of $1 seconds on the nvme disk, reads and writes of 4 KiB to
# 128 KiB (IOVA size classes 0 to 5). Appends "runs ok MiB" to /tmp/fio.acc.
fio_once() {
	local blk out
	blk=$(nvme_blk) || { echo "1 0 0" >>/tmp/fio.acc; return 1; }
	if out=$(fio --name=stress --filename="$blk" --direct=1 --rw=randrw --bsrange=4k-128k \
		--ioengine=libaio --iodepth=16 --thread --time_based --runtime="$1" \
		--eta=never --output-format=terse --terse-version=3 2>&1); then
		echo "$out" | awk -F';' '$1 == 3 { printf "1 1 %d\n", ($6 + $47) / 1024 }' >>/tmp/fio.acc
	else
		echo "1 0 0" >>/tmp/fio.acc
		echo "$out" | tail -n 3 >>/tmp/fio.errors
		return 1
	fi
}

# One dma_map_benchmark run of $1 seconds, lab.bench_threads threads (half
# the CPUs by default: with one per CPU the benchmark's busy threads starve
# fio and the scenario's own steps under TCG), granules of 1 or 16 pages in
# turn. Appends "runs ok" to /tmp/bench.acc.
#
# Direction lab.bench_dir=1, DMA_TO_DEVICE: the IOVA path is the same in
# every direction, but DMA-API debug's cacheline tracking (of the other two)
# has a false positive here, in Linux 6.1 without the series as well: thread
# A unmaps IOVA X and is preempted between the IOMMU unmap and dma-debug's
# own bookkeeping; X is flushed and reused by thread B, whose unmap of X then
# removes A's older debug entry instead of its own, and B's next mapping of
# its own buffer "overlaps" its stale entry ("cacheline tracking EEXIST").
# lab.bench_dir=0 (bidirectional) shows it within a minute of hotplug.
S_BENCH_DIR=$(param bench_dir 1)
S_BENCH_THREADS=$(param bench_threads $(( (S_NCPU + 1) / 2 )))
bench_once() {
	local g=1
	[ $(( $(wc -l </tmp/bench.acc) % 2 )) -eq 0 ] || g=16
	if dma_map_benchmark -t "$S_BENCH_THREADS" -s "$1" -g "$g" -d "$S_BENCH_DIR" >/tmp/bench.out 2>&1; then
		echo "1 1" >>/tmp/bench.acc
	else
		echo "1 0" >>/tmp/bench.acc
		tail -n 2 /tmp/bench.out >>/tmp/bench.errors
		return 1
	fi
}

# A short burst of direct I/O with dd (fio takes seconds to start under TCG
# and KASAN): 2 MiB in reads of 4 KiB and 128 KiB, writes of 64 KiB (IOVA size
# classes 0, 5 and 4), at a place that moves with $1. Appends to
# /tmp/fio.acc like fio_once.
dd_once() {
	local blk off=$(( ($1 * 256) % 3840 ))
	blk=$(nvme_blk) || { echo "1 0 0" >>/tmp/fio.acc; return 1; }
	if dd if="$blk" of=/dev/null bs=4k count=128 skip=$((off * 32)) iflag=direct 2>/tmp/dd.err &&
		dd if="$blk" of=/dev/null bs=128k count=8 skip="$off" iflag=direct 2>>/tmp/dd.err &&
		dd if=/dev/zero of="$blk" bs=64k count=8 seek=$((off * 2)) oflag=direct conv=notrunc 2>>/tmp/dd.err; then
		echo "1 1 2" >>/tmp/fio.acc
	else
		echo "1 0 0" >>/tmp/fio.acc
		tail -n 2 /tmp/dd.err >>/tmp/fio.errors
		return 1
	fi
}

# Background loops of fio and the benchmark until traffic_stop.
traffic_start() {
	rm -f /tmp/stop /tmp/fio.errors /tmp/bench.errors
	: >/tmp/fio.acc
	: >/tmp/bench.acc
	case ,$S_LOADS, in *,fio,*)
		( while [ ! -e /tmp/stop ]; do fio_once "$S_FIO" || sleep 1; done ) & ;;
	esac
	case ,$S_LOADS, in *,bench,*)
		( while [ ! -e /tmp/stop ]; do bench_once 2 || sleep 1; done ) & ;;
	esac
}
traffic_stop() {
	touch /tmp/stop
	wait
}
# "fio_runs= fio_ok= fio_mib= bench_runs= bench_ok=" of what ran since
# traffic_start (or the last reset).
traffic_summary() {
	awk '{ r += $1; o += $2; m += $3 } END { printf "fio_runs=%d fio_ok=%d fio_mib=%d ", r, o, m }' /tmp/fio.acc
	awk '{ r += $1; o += $2 } END { printf "bench_runs=%d bench_ok=%d\n", r, o }' /tmp/bench.acc
}

# --- Measures ------------------------------------------------------------

# Totals over all domains and size classes of /sys/kernel/debug/iommu/iova_rcaches:
# depot cpu_mags cpu_iovas reclaimed trimmed shrunk domains.
rcache_totals() {
	awk 'NR > 1 { d[$1] = 1; dep += $3; m += $4; i += $5; r += $8; t += $9; s += $10 }
		END { n = 0; for (k in d) n++; print dep + 0, m + 0, i + 0, r + 0, t + 0, s + 0, n }' \
		/sys/kernel/debug/iommu/iova_rcaches
}

# Objects of a slab cache after a shrink: the shrink also drains KASAN's
# quarantine of the cache and the CPUs' slabs, so the count is exact.
slab_objects() {
	echo 1 >"/sys/kernel/slab/$1/shrink" 2>/dev/null
	cut -d' ' -f1 "/sys/kernel/slab/$1/objects" 2>/dev/null || echo -1
}

dma_active() {
	local d=/sys/kernel/debug/dma-api
	[ -r $d/nr_total_entries ] || { echo -1; return; }
	echo $(($(cat $d/nr_total_entries) - $(cat $d/num_free_entries)))
}
# Active mappings by kind, from the DMA-API debug dump (field 3: single,
# page, scatter-gather, coherent): "coherent=N streaming=N".
dma_kinds() {
	awk '{ if ($3 == "coherent") c++; else s++ } END { printf "coherent=%d streaming=%d", c, s }' "$1"
}
dma_errors() { cat /sys/kernel/debug/dma-api/error_count 2>/dev/null || echo -1; }

# The idle level: wait (lab.idle seconds at most) until the rcaches hold
# nothing, then count. $1 scenario, $2 before|after.
idle_level() {
	local t0 w
	t0=$(now)
	while :; do
		set -- "$1" "$2" $(rcache_totals)
		[ "$3" = 0 ] && [ "$4" = 0 ] && [ "$5" = 0 ] && break
		[ $(($(now) - t0)) -ge "$S_IDLE" ] && break
		sleep 1
	done
	w=$(($(now) - t0))
	# The DMA-API debug entries that were not there before: the mappings a
	# scenario left behind, with their device, physical and DMA address.
	cat /sys/kernel/debug/dma-api/dump >"/tmp/dma-dump.$2" 2>/dev/null
	if [ "$2" = after ] && [ -s /tmp/dma-dump.before ]; then
		grep -vxF -f /tmp/dma-dump.before /tmp/dma-dump.after | head -n 10 |
			while read -r l; do result stress-dma-new scenario="$1" "$l"; done
	fi
	result stress-idle scenario="$1" when="$2" waited="$w" depot="$3" cpu_mags="$4" \
		cpu_iovas="$5" reclaimed="$6" trimmed="$7" shrunk="$8" domains="$9" \
		iova_objs="$(slab_objects iommu_iova)" mag_objs="$(slab_objects iommu_iova_magazine)" \
		dma_active="$(dma_active)" $(dma_kinds "/tmp/dma-dump.$2")
}

# Two scans (an object changed since the last scan is not reported yet); the
# report is printed on the console between markers, then cleared so that the
# next scenario sees only its own.
kmemleak_check() {
	local k=/sys/kernel/debug/kmemleak n
	[ -e $k ] || { result stress-kmemleak scenario="$1" available=no; return; }
	echo scan >$k; sleep 1; echo scan >$k
	cat $k >/tmp/kmemleak
	n=$(grep -c 'unreferenced object' /tmp/kmemleak)
	if [ "$n" -gt 0 ]; then
		echo "LAB-STRESS kmemleak-report-begin $1" >/dev/kmsg
		head -n 200 /tmp/kmemleak | while read -r l; do echo "kmemleak-report: $l" >/dev/kmsg; done
		echo "LAB-STRESS kmemleak-report-end $1" >/dev/kmsg
	fi
	echo clear >$k
	result stress-kmemleak scenario="$1" available=yes leaks="$n"
}

S_T0=0
S_DMAERR0=0
begin() {
	mark begin "$1"
	S_T0=$(now)
	S_BOUND=$(param "bound_$1" 600)
	S_DEADLINE=$((S_T0 + S_BOUND))
	# Print the first DMA-API reports of each scenario, count them all.
	echo 5 >/sys/kernel/debug/dma-api/num_errors 2>/dev/null
	S_DMAERR0=$(dma_errors)
}
end() {
	local e
	e=$(dma_errors)
	result stress-dma-api scenario="$1" errors=$((e - S_DMAERR0)) active="$(dma_active)"
	kmemleak_check "$1"
	result stress-time scenario="$1" seconds=$(($(now) - S_T0)) bound="$S_BOUND"
	mark end "$1"
}
late() { [ "$(now)" -ge "$S_DEADLINE" ]; }

# --- Scenarios -----------------------------------------------------------

# 4: the KUnit suites in this kernel. iommu-dma ran at boot (built in).
scenario_kunit() {
	local f=/sys/kernel/debug/kunit/iommu-dma/results r=0 info
	begin kunit
	if [ -r $f ]; then
		cp $f /tmp/ktap-iommu-dma
		result stress-kunit run=boot $(ktap_count iommu-dma $f)
		info=$(sed -n 's/.*# iommu_dma_test_fq_stress: //p' $f | head -n 1)
		# "4 threads, 7483 IOVAs reused, 31 flushes, 0 allocations failed"
		result stress-fq $(echo "$info" | awk -F', ' '{ split($1, a, " "); split($2, b, " "); split($3, c, " "); split($4, d, " ")
			printf "threads=%s reused=%s flushes=%s failed_allocs=%s\n", a[1], b[1], c[1], d[1] }') \
			status="$(grep -E '^    (not )?ok [0-9]+ iommu_dma_test_fq_stress' $f | awk '{ print ($1 == "ok" ? "ok" : "not_ok") }')"
	else
		result stress-kunit run=boot suite=iommu-dma missing=$f
	fi
	while [ $r -lt "$S_KUNIT_RUNS" ] && ! late; do
		r=$((r + 1))
		if ! modprobe iova-test 2>/tmp/modprobe.err; then
			result stress-kunit run="$r" suite=iommu-iova load=failed "$(cat /tmp/modprobe.err)"
			break
		fi
		f=/sys/kernel/debug/kunit/iommu-iova/results
		cp $f /tmp/ktap-iommu-iova
		result stress-kunit run="$r" $(ktap_count iommu-iova $f)
		modprobe -r iova-test 2>/tmp/modprobe.err ||
			{ result stress-kunit run="$r" suite=iommu-iova unload=failed "$(cat /tmp/modprobe.err)"; break; }
	done
	result stress-count scenario=kunit done="$r" want="$S_KUNIT_RUNS"
	end kunit
}

# 1: CPU hotplug under traffic.
scenario_hotplug() {
	local i=0 cpu c errs=0 cpus
	cpus=$(cd /sys/devices/system/cpu && ls -d cpu[0-9]* | sed 's/cpu//' | sort -n | while read -r c; do
		[ -w "/sys/devices/system/cpu/cpu$c/online" ] && echo "$c"; done | tr '\n' ' ')
	set -- $cpus
	begin hotplug
	bench_bind
	idle_level hotplug before
	[ $# -gt 0 ] || { result stress-error what=no-hotpluggable-cpu; end hotplug; return; }
	traffic_start
	sleep 2
	while [ $i -lt "$S_CYCLES" ] && ! late; do
		i=$((i + 1))
		eval "cpu=\${$(( (i - 1) % $# + 1 ))}"
		c=/sys/devices/system/cpu/cpu$cpu/online
		if [ "$S_OFFLINE" = 1 ]; then
			echo 0 >"$c" || { errs=$((errs + 1)); result stress-error what=offline cpu="$cpu" cycle="$i"; }
		fi
		# Traffic on the CPUs that are left, for a moment.
		sleep 0.2
		echo 1 >"$c" || { errs=$((errs + 1)); result stress-error what=online cpu="$cpu" cycle="$i"; }
		sleep 0.2
	done
	traffic_stop
	result stress-traffic scenario=hotplug $(traffic_summary) online="$(cat /sys/devices/system/cpu/online)"
	[ -s /tmp/fio.errors ] && result stress-info what=fio-errors "$(head -n 3 /tmp/fio.errors | tr '\n' ' ')"
	[ -s /tmp/bench.errors ] && result stress-info what=bench-errors "$(head -n 2 /tmp/bench.errors | tr '\n' ' ')"
	result stress-count scenario=hotplug done="$i" want="$S_CYCLES" errors="$errs" cpus="$(echo $cpus | tr ' ' ',')" offline="$S_OFFLINE"
	idle_level hotplug after
	end hotplug
}

# 2: driver unbind/bind with the group's domain type switched in between.
scenario_rebind() {
	local i=0 g errs=0 fq=0 strict=0 cached=0 t0 t1 t2 t3 t4 blk typ new tot
	g=$(readlink "/sys/bus/pci/devices/$NVME/iommu_group"); g=/sys/kernel/iommu_groups/${g##*/}
	begin rebind
	bench_bind
	idle_level rebind before
	# Other domains stay busy, and the rcache statistics and the shrinker
	# walk the list of domains while the nvme's come and go.
	rm -f /tmp/stop
	: >/tmp/bench.acc
	( while [ ! -e /tmp/stop ]; do bench_once 2 || sleep 1; done ) &
	( while [ ! -e /tmp/stop ]; do cat /sys/kernel/debug/iommu/iova_rcaches >/dev/null; sleep 0.3; done ) &
	( while [ ! -e /tmp/stop ]; do sleep 10; echo 2 >/proc/sys/vm/drop_caches; done ) &
	: >/tmp/fio.acc
	while [ $i -lt "$S_REBINDS" ] && ! late; do
		i=$((i + 1))
		t1=$(now_ds)
		dd_once "$i" || result stress-error what=dd cycle="$i" "$(tail -n 1 /tmp/fio.errors 2>/dev/null)"
		t2=$(now_ds)
		echo "$NVME" >/sys/bus/pci/drivers/nvme/unbind ||
			{ errs=$((errs + 1)); result stress-error what=unbind cycle="$i"; break; }
		typ=$(cat "$g/type")
		case $typ in DMA-FQ) new=DMA ;; *) new=DMA-FQ ;; esac
		# The magazines the domain still caches: its reclaim work is pending.
		set -- $(rcache_totals)
		tot=$(($1 + $2))
		if echo "$new" >"$g/type"; then
			if [ "$typ" = DMA-FQ ]; then
				fq=$((fq + 1))
				[ "$tot" -gt 0 ] && cached=$((cached + 1))
			else
				strict=$((strict + 1))
			fi
		else
			errs=$((errs + 1)); result stress-error what=type cycle="$i" from="$typ" to="$new"
		fi
		t3=$(now_ds)
		echo "$NVME" >/sys/bus/pci/drivers/nvme/bind ||
			{ errs=$((errs + 1)); result stress-error what=bind cycle="$i"; }
		t0=$(now)
		until blk=$(nvme_blk); do
			[ $(($(now) - t0)) -lt 60 ] || break
			sleep 0.2
		done
		[ -n "$blk" ] || { errs=$((errs + 1)); result stress-error what=no-namespace-after-bind cycle="$i"; break; }
		t4=$(now_ds)
		# Tenths of a second in dd, unbind + type switch, bind + probe.
		echo "$((t2 - t1)) $((t3 - t2)) $((t4 - t3))" >>/tmp/rebind.times
	done
	[ ! -s /tmp/rebind.times ] || result stress-info what=rebind-phases $(awk '{ f += $1; u += $2; b += $3; n++ }
		END { printf "cycles=%d dd_s=%.1f unbind_type_s=%.1f bind_s=%.1f", n, f / n / 10, u / n / 10, b / n / 10 }' /tmp/rebind.times)
	fio_once 2 || result stress-error what=fio cycle=last
	touch /tmp/stop
	wait
	result stress-traffic scenario=rebind $(traffic_summary) type="$(cat "$g/type")"
	result stress-count scenario=rebind done="$i" want="$S_REBINDS" errors="$errs" \
		fq_teardowns="$fq" fq_teardowns_with_cache="$cached" to_fq="$strict"
	idle_level rebind after
	end rebind
}

# 3: failslab on the caches marked at boot (slub_debug=A,<cache>).
scenario_failslab() {
	local f=/sys/kernel/debug/failslab marked= c r=0 left ok=0
	for c in iommu_iova_magazine iommu_iova; do
		[ "$(cat /sys/kernel/slab/$c/failslab 2>/dev/null)" = 1 ] && marked="$marked${marked:+,}$c"
	done
	begin failslab
	bench_bind
	idle_level failslab before
	if [ -z "$marked" ] || [ ! -d $f ]; then
		result stress-error what=failslab-not-set-up marked="${marked:--}" debugfs="$([ -d $f ] && echo yes || echo no)"
		end failslab
		return
	fi
	echo Y >$f/cache-filter
	echo N >$f/ignore-gfp-wait
	echo 0 >$f/verbose
	echo 1 >$f/interval
	echo 0 >$f/space
	echo 100000000 >$f/times
	echo "$S_PCT" >$f/probability
	while [ $r -lt "$S_ROUNDS" ] && ! late; do
		r=$((r + 1))
		# The shrinker empties the rcaches: frees need new magazines.
		echo 2 >/proc/sys/vm/drop_caches
		: >/tmp/fio.acc
		: >/tmp/bench.acc
		fio_once "$S_FIO" &
		bench_once 2
		wait
		result stress-round scenario=failslab round="$r" $(traffic_summary)
	done
	left=$(cat $f/times)
	echo 0 >$f/probability
	result stress-failslab caches="$marked" pct="$S_PCT" rounds="$r" want="$S_ROUNDS" \
		injected=$((100000000 - left)) $(rcache_totals | awk '{ printf "reclaimed=%s trimmed=%s shrunk=%s", $4, $5, $6 }')
	# Not stuck: the same traffic must work once failslab stops.
	: >/tmp/fio.acc
	: >/tmp/bench.acc
	fio_once "$S_FIO" && bench_once 2 && ok=1
	result stress-after scenario=failslab works="$ok" $(traffic_summary)
	idle_level failslab after
	end failslab
}

# 5: kmemleak scans racing with the depot lists. Bursts of the benchmark
# fill the depots; the reclaim (a magazine per 100 ms), the idle trim (the
# CPUs' magazines, then the whole depot) and the shrinker (drop_caches)
# empty them, while a loop scans without pause and reads the report after
# every scan, until lab.leak_scans scans have run (a scan takes tens of
# seconds in a KASAN guest). A pop of a depot list can hide the magazines
# below it from a scan running meanwhile; a magazine reported by any scan,
# even if the next one finds it again, counts. The kernel's own "new
# suspected memory leaks" line fails the scenario as well
# (lab/lib/splats.txt).
S_LEAK_SCANS=$(param leak_scans 8)
scenario_leakscan() {
	local i=0 k=/sys/kernel/debug/kmemleak
	begin leakscan
	if [ ! -e $k ]; then
		result stress-leakscan available=no
		result stress-count scenario=leakscan done=0 want="$S_LEAK_SCANS"
		end leakscan
		return
	fi
	bench_bind
	# Only the scans of this loop, each followed by a read of the report:
	# kmemleak's own thread would scan unseen in between.
	echo scan=off >$k
	rm -f /tmp/scanstop /tmp/leakscan.report /tmp/bench.errors
	: >/tmp/scans
	: >/tmp/bench.acc
	: >/tmp/fio.acc
	(
		while [ ! -e /tmp/scanstop ]; do
			echo scan >$k
			# Blocks of the report whose backtrace is the rcaches'.
			cat $k >/tmp/leakscan.now
			n=$(awk '/^unreferenced object/ { if (b ~ /iova/) m++; b = "" } { b = b $0 }
				END { if (b ~ /iova/) m++; print m + 0 }' /tmp/leakscan.now)
			a=$(grep -c '^unreferenced object' /tmp/leakscan.now)
			echo "$a $n" >>/tmp/scans
			# The first report, whatever it is about, goes to the console.
			[ "$a" = 0 ] || [ -e /tmp/leakscan.report ] || cp /tmp/leakscan.now /tmp/leakscan.report
		done
	) &
	while [ "$(wc -l </tmp/scans)" -lt "$S_LEAK_SCANS" ] && ! late; do
		i=$((i + 1))
		bench_once 2
		case $((i % 3)) in
		0) echo 2 >/proc/sys/vm/drop_caches ;;
		1) sleep 1 ;;
		2) sleep 3 ;;
		esac
	done
	touch /tmp/scanstop
	wait
	if [ -e /tmp/leakscan.report ]; then
		mark kmemleak-report-begin leakscan
		head -n 60 /tmp/leakscan.report | while read -r l; do echo "kmemleak-report: $l" >/dev/kmsg; done
		mark kmemleak-report-end leakscan
	fi
	result stress-leakscan available=yes $(awk '{ s++; if ($1 > 0) r++; if ($2 > 0) mr++; m += $2 }
		END { printf "scans=%d scans_reporting=%d scans_reporting_magazines=%d magazines=%d", s, r, mr, m }' /tmp/scans)
	result stress-traffic scenario=leakscan cycles="$i" $(traffic_summary)
	[ -s /tmp/bench.errors ] && result stress-info what=bench-errors "$(head -n 2 /tmp/bench.errors | tr '\n' ' ')"
	result stress-count scenario=leakscan done="$(wc -l </tmp/scans)" want="$S_LEAK_SCANS"
	end leakscan
}

echo 60 >/proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
result stress-setup scenarios="$S_SCENARIOS" cpus="$S_NCPU" nvme="$NVME" e1000e="$E1000E" \
	cycles="$S_CYCLES" rebinds="$S_REBINDS" failslab_rounds="$S_ROUNDS" failslab_pct="$S_PCT" \
	kunit_runs="$S_KUNIT_RUNS" leak_scans="$S_LEAK_SCANS" idle="$S_IDLE" \
	slab_nomerge="$(grep -qw slab_nomerge /proc/cmdline && echo yes || echo no)" \
	dma_api_debug="$([ -d /sys/kernel/debug/dma-api ] && echo yes || echo no)" \
	kasan="$(dmesg | grep -q 'KernelAddressSanitizer initialized' && echo yes || echo no)"
for s in $(echo "$S_SCENARIOS" | tr ',' ' '); do
	if type "scenario_$s" >/dev/null 2>&1; then
		"scenario_$s"
	else
		result stress-error what=unknown-scenario name="$s"
	fi
done
