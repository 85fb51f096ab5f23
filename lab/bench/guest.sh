# SPDX-License-Identifier: GPL-2.0
# Bench: the guest's side (busybox sh). run.sh puts this file in the
# initramfs as /lab/workload and the guests' /init sources it as its step
# "script", so result() and param() are /init's. Every figure becomes one
# "LAB <scenario> key=value ..." line; bench.sh collects them.
#
# Kernel command line (bench.sh sets it):
#   lab.scen=a,b,...   scenarios: hotpath, cliff, memory (own domain of the
#                      module), dmabench (dma_map_benchmark -b 64 on the
#                      e1000e), sac (the module bound to the e1000e; strict),
#                      icount (instructions per operation; the guest runs
#                      under QEMU's -icount shift=0, one vCPU), fqtimeout
#                      (the flush queue's timeout under dma_map_benchmark,
#                      counted by the function profiler; lab/bench/fq.config),
#                      spread (bursts in lab.domains new domains on every CPU
#                      at once, then what stays cached while idle), idleburst
#                      (a burst, an idle gap, the same burst again)
#   lab.icount=all|dma the icount operations: all, or only the DMA API one
#   lab.icount_iters=N iterations of each icount loop (20000)
#   lab.iters=N lab.rounds=R lab.batch=M lab.burst=N lab.fresh=K lab.loops=L
#   lab.bench=S        seconds per dma_map_benchmark run (/init's parameter)
#   lab.dmathreads=T.. dmabench's thread counts, comma-separated (1 and every
#                      online CPU)
#   lab.domains=D lab.spread=N lab.spread_idle=T,..
#                      spread: D domains, N IOVAs of each size per CPU and
#                      domain, a sample T seconds after the bursts
#   lab.gaps=G,..      idleburst: the idle gaps in seconds (1,2,5,10),
#                      with bursts of lab.burst IOVAs of each size

BENCH_CMD=/sys/kernel/debug/iova_bench/cmd
NCPUS=$(grep -c ^processor /proc/cpuinfo)

# bench CMD...: one command of the module; its output on stdout, nothing
# (and a "bench-error" result) if the module refused it.
bench() {
	if ! echo "$*" >"$BENCH_CMD" 2>/tmp/bench.err; then
		result bench-error cmd="$(echo "$*" | tr ' ' '_')" error="$(tr ' ' '_' </tmp/bench.err)"
		return 1
	fi
	cat "$BENCH_CMD"
}

# The e1000e that /init's dma_map_benchmark step uses too (8086:10d3).
spare_pci() {
	local d
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x10d3 ]; then
			echo "${d##*/}"
			return
		fi
	done
}

# bind_spare DRIVER: give the e1000e to DRIVER through driver_override.
bind_spare() {
	local addr d
	addr=$(spare_pci)
	[ -n "$addr" ] || return 1
	d=/sys/bus/pci/devices/$addr
	[ -e "$d/driver" ] && echo "$addr" >"$d/driver/unbind"
	echo "$1" >"$d/driver_override"
	echo "$addr" >/sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink "$d/driver" 2>/dev/null)")" = "$1" ]
}

slab_objs() { # active objects of a slab cache, 0 if it has no line
	awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }' /proc/slabinfo
}
meminfo_kib() { sed -n "s/^$1: *\([0-9]*\).*/\1/p" /proc/meminfo; }

# The bench domain's lines of the series' rcache statistics: depot and CPU
# magazines summed over the size classes, the largest depot of a class.
rcache_stats() {
	local id
	[ -r /sys/kernel/debug/iommu/iova_rcaches ] || { echo "rcaches=none"; return; }
	id=$(bench domain | sed -n 's/.*id=//p')
	awk -v id="$id" '$1 == id { d += $3; c += $4; ci += $5; if ($3 > m) m = $3 }
		END { printf "rc_depot=%d rc_cpu_mags=%d rc_cpu_iovas=%d rc_max_class_depot=%d\n", d, c, ci, m }' \
		/sys/kernel/debug/iommu/iova_rcaches
}

scen_hotpath() {
	local size scope l
	bench reset >/dev/null
	for size in 1 4 32; do
		for scope in 1 all; do
			l=$(bench hotpath size=$size cpus=$scope iters="$(param iters 100000)") || continue
			result hotpath scope=$scope ${l#hotpath }
		done
	done
}

# The cliff twice, each on a new domain: the batch growing over the rounds
# (from lab.from to lab.batch), then the same batch (lab.batch) every round.
scen_cliff() {
	local l b
	b=$(param batch 32768)
	bench reset >/dev/null
	l=$(bench cliff rounds="$(param rounds 100)" batch="$b" from="$(param from 8192)") || return
	result cliff kind=grow ${l#cliff }
	bench reset >/dev/null
	l=$(bench cliff rounds="$(param rounds 100)" batch="$b" from="$b") || return
	result cliff kind=steady ${l#cliff }
}

# mem_line WHEN: what the caches hold WHEN (seconds after the burst).
mem_line() {
	result memory t="$1" $(bench count | sed 's/^count //') \
		mags="$(slab_objs iommu_iova_magazine)" kmalloc_1k="$(slab_objs kmalloc-1k)" $(rcache_stats)
}

scen_memory() {
	local n l s0 p0 m0 k0 s1 p1 m1 k1 k
	# A burst on a new domain; then what is still held 1 s and 5 s later.
	bench reset >/dev/null
	n=$(param burst 5000)
	mem_line before
	l=$(bench burst n="$n") || return
	result ${l}
	mem_line 0
	sleep 1
	mem_line 1
	sleep 4
	mem_line 5
	# Never used domains: what K of them hold, from the deltas of
	# /proc/meminfo and /proc/slabinfo, per domain.
	k=$(param fresh 64)
	bench unfresh >/dev/null
	sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
	s0=$(meminfo_kib Slab) p0=$(meminfo_kib Percpu)
	m0=$(slab_objs iommu_iova_magazine) k0=$(slab_objs kmalloc-1k)
	bench fresh n="$k" >/dev/null || return
	s1=$(meminfo_kib Slab) p1=$(meminfo_kib Percpu)
	m1=$(slab_objs iommu_iova_magazine) k1=$(slab_objs kmalloc-1k)
	bench unfresh >/dev/null
	result fresh domains="$k" \
		slab_bytes_per_domain=$(((s1 - s0) * 1024 / k)) \
		percpu_bytes_per_domain=$(((p1 - p0) * 1024 / k)) \
		mags_per_domain=$(awk -v a="$m0" -v b="$m1" -v k="$k" 'BEGIN { printf "%.2f", (b - a) / k }') \
		kmalloc_1k_per_domain=$(awk -v a="$k0" -v b="$k1" -v k="$k" 'BEGIN { printf "%.2f", (b - a) / k }')
}

# Pasha Tatashin's case at the machine's scale: lab.domains domains, each
# used on every online CPU at once (a burst of every cacheable size), then
# left idle; what the caches still hold lab.spread_idle seconds later: magazines
# (iommu_iova_magazine on the series, kmalloc-1k on 6.1 and 6.12, less
# what was there before), slab in KiB, and IOVAs cached in the domains.
scen_spread() {
	local l s0 m0 k0 t prev=0 now
	bench unfresh >/dev/null
	sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
	s0=$(meminfo_kib Slab) m0=$(slab_objs iommu_iova_magazine) k0=$(slab_objs kmalloc-1k)
	bench fresh n="$(param domains 20)" >/dev/null || return
	l=$(bench spread n="$(param spread 600)") || return
	result ${l}
	for t in $(param spread_idle 0,1,5,20 | tr ',' ' '); do
		sleep $((t - prev))
		prev=$t
		now=$(meminfo_kib Slab)
		result spread-mem t="$t" slab_kib=$((now - s0)) \
			mags=$(($(slab_objs iommu_iova_magazine) - m0)) \
			kmalloc_1k=$(($(slab_objs kmalloc-1k) - k0)) \
			$(bench freshcount | sed 's/^freshcount //')
	done
	bench unfresh >/dev/null
}

# dma_map_benchmark with a 64-bit DMA mask, 1 and all threads; its figures
# are in microseconds with one decimal (the kernel measures in 100 ns).
scen_dmabench() {
	local addr t out s
	s=$(param bench 5)
	bind_spare dma_map_benchmark || { result dmabench error=not-bound; return; }
	addr=$(spare_pci)
	set -- $(group_of "$addr")
	result dmabench-domain pci="$addr" group="$1" type="$2"
	for t in $(param dmathreads "1,$NCPUS" | tr ',' ' '); do
		if out=$(dma_map_benchmark -t "$t" -s "$s" -b 64 2>&1); then
			echo "$out" | awk -v t="$t" -v s="$s" '
				/average map latency/ { split($0, a, /[:]| standard/); m = a[2]; ms = a[4] }
				/average unmap latency/ { split($0, a, /[:]| standard/); u = a[2]; us = a[4] }
				END { printf "threads=%s seconds=%s map_us=%s map_sd=%s unmap_us=%s unmap_sd=%s\n", t, s, m, ms, u, us }' |
				while read -r l; do result dmabench $l; done
		else
			result dmabench threads="$t" error="$(echo "$out" | tail -n 1 | tr ' ' '_')"
		fi
	done
}

scen_sac() {
	local l addr
	bind_spare iova_bench || { result sac error=not-bound; return; }
	addr=$(spare_pci)
	set -- $(group_of "$addr")
	l=$(bench sac loops="$(param loops 500)") || return
	result ${l} type="$2"
	dmesg | grep -E 'IOVA space exhausted|Using [0-9]+-bit DMA addresses' | tail -n 2 |
		sed 's/^\[[ 0-9.]*\] //' | while read -r l; do result sac-notice "$l"; done
}

# Instructions per operation (the module's icount command): the allocator's
# operations on the module's own domain, the method's check (the same pair
# with 100 extra nops an iteration), then map+unmap through the DMA API on
# the e1000e in the boot's IOMMU mode.
scen_icount() {
	local n l addr
	n=$(param icount_iters 20000)
	bench reset >/dev/null
	if [ "$(param icount all)" = all ]; then
		for l in "pair size=1" "pair size=1 extra=1" "pair size=4" "pair size=32" \
			"depot size=1 batch=1024" "tree"; do
			case $l in depot*) set -- iters=$((n / 1024 + 1)) ;; *) set -- iters="$n" ;; esac
			l=$(bench icount op=$l "$@") && result ${l}
		done
	fi
	bind_spare iova_bench || { result icount op=dma error=not-bound; return; }
	addr=$(spare_pci)
	set -- $(group_of "$addr")
	l=$(bench icount op=dma iters="$n") && result ${l} type="$2"
}

# The flush queue's timeout: fq_flush_timeout()'s calls, and the guest time
# spent in them and what they call, counted by the function profiler while
# dma_map_benchmark maps and unmaps through the e1000e's DMA-FQ domain on
# every online CPU. Under -icount shift=0 that time is a count of
# instructions (the profiler's own entry and exit included, the same for
# every kernel).
scen_fqtimeout() {
	local t=/sys/kernel/tracing s addr
	s=$(param bench 5)
	[ -e $t/set_ftrace_filter ] || mount -t tracefs nodev $t 2>/dev/null
	[ -w $t/function_profile_enabled ] || { result fqtimeout error=no-function-profiler; return; }
	echo fq_flush_timeout >$t/set_ftrace_filter 2>/dev/null ||
		{ result fqtimeout error=no-fq_flush_timeout; return; }
	bind_spare dma_map_benchmark || { result fqtimeout error=not-bound; return; }
	addr=$(spare_pci)
	set -- $(group_of "$addr")
	echo 1 >$t/function_profile_enabled
	dma_map_benchmark -t "$NCPUS" -s "$s" -b 64 >/tmp/dmabench.out 2>&1 ||
		result fqtimeout error="$(tail -n 1 /tmp/dmabench.out | tr ' ' '_')"
	echo 0 >$t/function_profile_enabled
	# trace_stat/functionN: Function Hit Time Avg s^2, the times in us.
	cat $t/trace_stat/function* | awk -v type="$2" \
		-v possible="$(cat /sys/devices/system/cpu/possible)" -v online="$NCPUS" '
		$1 == "fq_flush_timeout" { n += $2; us += $3 }
		END { printf "type=%s possible=%s online=%s calls=%d ns=%.0f per_call=%.1f\n",
			type, possible, online, n, us * 1000, (n ? us * 1000 / n : 0) }' |
		while read -r l; do result fqtimeout $l; done
}

# The idle trim's trade-off. For each gap: a burst on a new domain, which
# the rbtree serves; the gap, idle; what the domain still caches at its end;
# and the same burst again, served by what the caches kept. With the guest
# under -icount shift=0 the bursts' ns are instructions and the gaps cost no
# host time.
scen_idleburst() {
	local n g l cold held
	n=$(param burst 2000)
	for g in $(param gaps 1,2,5,10 | tr ',' ' '); do
		bench reset >/dev/null
		l=$(bench burst n="$n") || return
		cold=$(echo "$l" | sed -n 's/.* ns=\([0-9]*\).*/\1/p')
		sleep "$g"
		held=$(bench count | sed -n 's/.*cached_iovas=//p')
		l=$(bench burst n="$n") || return
		result idleburst gap="$g" n="$n" cold_ns="$cold" held_iovas="$held" \
			ns="$(echo "$l" | sed -n 's/.* ns=\([0-9]*\).*/\1/p')"
	done
}

bench_main() {
	local sc t0
	if ! insmod "/lib/modules/$(uname -r)/extra/iova_bench.ko" 2>/tmp/insmod.err; then
		result module load=failed error="$(tr ' ' '_' </tmp/insmod.err)"
		return
	fi
	result module load=ok
	for sc in $(param scen hotpath,cliff,memory | tr ',' ' '); do
		t0=$(cut -d' ' -f1 /proc/uptime)
		"scen_$sc"
		result scenario name="$sc" seconds="$(awk -v a="$t0" '{ printf "%.1f", $1 - a }' /proc/uptime)"
	done
}
bench_main
