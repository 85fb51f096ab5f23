#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Stage "bench": the base, the patched tree and Linux 6.12 side by side on
# the VT-d machine (lab/vm/), in interleaved rounds (make bench).
#
#   bench.sh [--part wall|icount|all|fq|scale|idle] [--rounds N] [--kernels "..."] [--quick]
#   bench.sh --smoke|--smoke-icount [--results FILE] [--tree DIR]
#
# --part (or BENCH=): wall (the default), the scenarios below timed by the
# guest's clock, ratios between kernels in one run; icount, instructions per
# operation (lab/bench/module: icount), each kernel booted under QEMU's
# -icount shift=0 on one vCPU, where the guest's clock counts instructions:
# a figure that does not depend on the host, its load or TCG; all, both.
# Kernels: base, patched, v6.12 (default), and for the icount part also
# v7.3 and mainline (Linux 7.3 and 7.3 with series/mainline) when given
# with --kernels; v1 (the 6.1 series as first posted: series/ at git
# commit V1_REF, default 15b76fe). --kernels steps (icount only): the series' tree at every
# patch, p0 (the base) to pN, built one after the other in one folder (each
# build recompiles what the patch changed), so that the table shows what
# each patch adds per operation.
#
# --part fq: the flush queue's timeout on a machine with many possible CPUs
# of which few are in use: each kernel built with the function profiler
# (lab/bench/fq.config; as kernel fq-NAME), booted twice under -icount
# shift=0 with one vCPU online of 64 possible (possible_cpus=64), lazy
# mode, dma_map_benchmark mapping and unmapping through the e1000e's
# DMA-FQ domain; the profiler counts fq_flush_timeout()'s calls and the
# instructions in them. One vCPU, because with two under -icount the
# other's instructions would count whenever QEMU switched vCPUs in the
# middle of a call. Kernels: v7.3 and mainline for SERIES=mainline (any of
# the names above, p-steps included), base and patched otherwise; the
# table in fq.md.
#
# --part scale: the machine's size. The same lazy boot at 2, 8 and 64 vCPUs
# (SCALE_CPUS), multi-threaded TCG, wall time, each kernel in every round
# (ROUNDS, at least 5 for the spread): hotpath on one and on every CPU,
# the cliff with work hopping across all CPUs, spread (20 domains used on
# every CPU at once, then idle: what stays cached 0, 1, 5 and 20 s later)
# and dma_map_benchmark with 2 threads (the flush queue's timeout, which
# visits every possible CPU on the base, with 2 busy CPUs of N). Kernels:
# v7.3 and mainline for SERIES=mainline, base and patched otherwise; the
# table of ratios to the first kernel, with their min-max, in scale.md, and
# a chart of those ratios per vCPU count (scale-N.png).
# SCALE_SCEN picks scenarios (e.g. hotpath,cliff); SCALE_ACCEL=icount boots
# every vCPU count under -icount shift=0 instead (one host thread running
# the vCPUs in turn): the span of the all-CPU hotpath per pair is then the
# instructions the whole guest ran per pair, whatever the host's scheduler.
#
# --part idle: the idle trim's trade-off, in instructions. The series'
# kernel (patched, or mainline for SERIES=mainline) booted under -icount
# shift=0 on one vCPU, lazy, once per iova.rcache_idle_ms of IDLE_PERIODS
# (default 0 250 1000 5000; 0 turns the trim off): for each idle gap of
# IDLE_GAPS seconds (1,2,5,10), a burst of IDLE_BURST (2000) IOVAs of every
# cacheable size on a new domain, the gap, what the domain still caches at
# its end, and the same burst again. With sleep=off the gaps take no host
# time. The table, instructions per alloc+free pair of each burst, in
# idle.md.
#
# 1. Trees: the base (lab/tree/tree.sh --upto 0), the patched tree (lab/tree/tree.sh),
#    both under $LAB_OUT/bench/, and Debian's linux-source-6.12, extracted
#    once into $LAB_CACHE.
# 2. One configuration built three times (lab/bench/kernel.sh), one build at
#    a time, with the bench module (lab/bench/module) and dma_map_benchmark.
# 3. Rounds: in each, three boots per kernel, the kernels interleaved within
#    each kind of boot (base, patched, 6.12, base, ...):
#      lazy    scenarios hotpath, cliff (a growing batch, then the same
#              batch every round), memory (the module's own domain),
#              dma_map_benchmark -b 64 (DMA-FQ), fio
#      strict  dma_map_benchmark -b 64, SAC under fragmentation, fio
#      pt      dma_map_benchmark and fio with iommu=pt (the physical limit)
#    KINDS="lazy" (for example) runs only those kinds of boot.
#    Every boot is lab/vm/run.sh with lab/bench/guest.sh as its workload,
#    slab_nomerge on the command line (so that iommu_iova_magazine has its
#    own line in /proc/slabinfo) and a time limit.
# 4. lab/bench/report.py: bench.json, report.md and PNG charts in
#    $LAB_OUT/bench/results/<date>/ ($LAB_OUT/bench/latest points there).
#
# --smoke: the patched kernel only, one strict boot with short versions of
# the scenarios hotpath, cliff, memory and sac, and one icount boot; checks that every expected
# result is there and is a number; appends "PASS|FAIL bench smoke: ..."
# lines to --results FILE (lab/check/check.sh calls it so, with --tree: its own
# tree of the series instead of a checkout under $LAB_OUT/bench). Exit 1 if
# one failed. --smoke-icount: only the icount boot (make check runs it; make
# check-all the whole smoke).
#
# Environment: ROUNDS (7; scale: 5), SCALE_CPUS (2 8 64), SCALE_SCEN,
# SCALE_ACCEL (tcg or icount), BENCH_APPEND (kernel command line added to
# every boot, e.g. iova.rcache_idle_ms=0), JOBS, LAB_CACHE, TIMEOUT
# (seconds per boot).
. "$(dirname "$0")/../lib/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
rounds=${ROUNDS:-} smoke=0 smoke_icount=0 results= kernels="base patched v6.12" quick=0 tree= part=${BENCH:-wall}
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--kernels) kernels=$2; shift 2 ;;
	--part) part=$2; shift 2 ;;
	--smoke) smoke=1; shift ;;
	--smoke-icount) smoke=1 smoke_icount=1; shift ;;
	--quick) quick=1; shift ;;
	--results) results=$2; shift 2 ;;
	--tree) tree=$2; shift 2 ;;
	-h|--help) sed -n '3,/^\. /{/^\. /d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown option '$1' (lab/bench/bench.sh --help)" ;;
	esac
done
[ "$smoke" = 0 ] || kernels=patched
# The fq part's default: the base and the series, of the series chosen.
if [ "$part" = fq ] && [ "$kernels" = "base patched v6.12" ]; then
	kernels="base patched"
	[ "$SERIES" != mainline ] || kernels="v7.3 mainline"
fi
if [ "$part" = scale ] && [ "$kernels" = "base patched v6.12" ]; then
	kernels="base patched"
	[ "$SERIES" != mainline ] || kernels="v7.3 mainline"
fi
if [ "$part" = idle ] && [ "$kernels" = "base patched v6.12" ]; then
	kernels=patched
	[ "$SERIES" != mainline ] || kernels=mainline
fi
idle_periods=${IDLE_PERIODS:-0 250 1000 5000}
for n in $idle_periods; do
	case $n in ''|*[!0-9]*) die "IDLE_PERIODS wants periods in ms, not '$idle_periods'" ;; esac
done
case ${IDLE_GAPS:-1} in *[!0-9,]*|,*|*,|*,,*) die "IDLE_GAPS wants seconds separated by commas, not '$IDLE_GAPS'" ;; esac
case ${IDLE_BURST:-1} in *[!0-9]*|0) die "IDLE_BURST wants a number of IOVAs, not '$IDLE_BURST'" ;; esac
# Rounds: 7, or 5 for the scale part (its 64-vCPU boots are long).
[ -n "$rounds" ] || { rounds=7; [ "$part" != scale ] || rounds=5; }
scale_cpus=${SCALE_CPUS:-2 8 64}
for n in $scale_cpus; do
	case $n in ''|*[!0-9]*|0) die "SCALE_CPUS wants vCPU counts, not '$scale_cpus'" ;; esac
done
case ${SCALE_ACCEL:-tcg} in tcg|icount) ;; *) die "SCALE_ACCEL must be tcg or icount, not '$SCALE_ACCEL'" ;; esac
# Linux 6.1 does not come up on more than one vCPU under -icount: it hangs
# bringing up the secondary CPUs (seen 2026-12-04 with v1 and patched).
if [ "$smoke" = 0 ] && [ "$part" = scale ] && [ "${SCALE_ACCEL:-tcg}" = icount ] &&
	[ "$SERIES" != mainline ]; then
	for k in $kernels; do
		case $k in base|patched|v1|p[0-9]*) ;; *) continue ;; esac
		for n in $scale_cpus; do
			[ "$n" -eq 1 ] || die "SCALE_ACCEL=icount with $n vCPUs: Linux 6.1 ($k) hangs bringing up secondary CPUs under -icount; use SCALE_ACCEL=tcg (timed), or SERIES=mainline for Linux 7.3"
		done
	done
fi
case ${SCALE_SCEN:-hotpath} in *[!a-z,]*) die "SCALE_SCEN wants scenario names separated by commas, not '$SCALE_SCEN'" ;; esac
[ -z "$tree" ] || [ "$smoke" = 1 ] || die "--tree is for --smoke (the bench makes its own trees)"
[ -z "$tree" ] || [ -f "$tree/Makefile" ] || die "no kernel tree at '$tree'"
[ -z "$tree" ] || tree=$(cd "$tree" && pwd)
case $rounds in ''|*[!0-9]*) die "--rounds wants a number, not '$rounds'" ;; esac
case $part in
wall|icount|all|fq|scale|idle) ;;
*) die "--part/BENCH must be wall, icount, all, fq, scale or idle, not '$part'" ;;
esac

bench_out=$LAB_OUT/bench
# The VM scripts (lab/vm/), with folders of the bench's own: its initramfs and
# gen_init_cpio come from the bench's patched tree, not from out/boot.
export BOOT_OUT=$bench_out/boot BOOT_TREE=${tree:-$bench_out/patched}
mkdir -p "$bench_out"
start=$(date +%s)
elapsed() { echo "$(($(date +%s) - start)) s"; }

# --- 1. Trees -------------------------------------------------------------

# A checksum of a series' patch files (default: this series').
series_sum() { cat "${1:-$SERIES_DIR}"/[0-9][0-9][0-9][0-9]-*.patch | sha256sum | cut -c1-16; }

# The patched tree follows series/: re-made when a patch file changed.
tree_patched() {
	local t=$bench_out/patched sum
	if [ -n "$tree" ]; then
		echo "$tree"
		return
	fi
	sum=$(series_sum)
	if [ "$(cat "$bench_out/patched.series" 2>/dev/null)" != "$sum" ] ||
		[ -n "$(git -C "$t" status --porcelain --untracked-files=no 2>/dev/null || echo none)" ]; then
		log "bench tree $t: the base + series/"
		FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$t" >&2 ||
			die "the series does not apply to the base; fix it (make tree) first"
		echo "$sum" >"$bench_out/patched.series"
	fi
	echo "$t"
}

tree_base() {
	local t=$bench_out/base
	. "$LAB_OUT/base.env" 2>/dev/null || "$LAB_DIR/tree/base.sh" >&2
	. "$LAB_OUT/base.env"
	if [ "$(git -C "$t" rev-parse HEAD 2>/dev/null)" != "$BASE_COMMIT" ] ||
		[ -n "$(git -C "$t" status --porcelain --untracked-files=no 2>/dev/null || echo none)" ]; then
		log "bench tree $t: the base alone"
		FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$t" --upto 0 >&2 ||
			die "could not make the base tree $t"
	fi
	echo "$t"
}

# Debian's linux-source-6.12, extracted once per package version.
tree_v612() {
	local tarball=/usr/src/linux-source-6.12.tar.xz t=$LAB_CACHE/linux-source-6.12 v tmp
	[ -r "$tarball" ] || need_pkgs linux-source-6.12
	[ -r "$tarball" ] || die "linux-source-6.12 is installed but $tarball is missing: apt-get install --reinstall linux-source-6.12"
	v=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	if [ "$(cat "$t/.lab-extracted" 2>/dev/null)" != "$v" ]; then
		need_space "$LAB_CACHE" 2000
		log "extracting $tarball ($v) into $t (once)"
		tmp=$LAB_CACHE/extract.$$
		rm -rf "$tmp" "$t"
		mkdir -p "$tmp"
		tar -xf "$tarball" -C "$tmp" ||
			{ rm -rf "$tmp"; die "cannot extract $tarball (disk full? df -h $LAB_CACHE)"; }
		mv "$tmp/linux-source-6.12" "$t"
		rmdir "$tmp"
		echo "$v" >"$t/.lab-extracted"
	fi
	echo "$t"
}

# Linux 7.3 alone (v7.3) or with series/mainline (mainline): the mainline
# series' own base and trees (lab/tree/tree.sh with SERIES=mainline).
tree_mainline() { # v7.3|mainline
	local t=$bench_out/$1 sum
	sum=$(series_sum "$LAB_TOP/series/mainline")
	[ "$1" = mainline ] || sum=base
	if [ "$(cat "$t.series" 2>/dev/null)" != "$sum" ] ||
		[ -n "$(git -C "$t" status --porcelain --untracked-files=no 2>/dev/null || echo none)" ]; then
		log "bench tree $t: Linux 7.3 ($1)"
		SERIES=mainline FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$t" \
			$([ "$1" = mainline ] || echo --upto 0) >&2 ||
			die "could not make the tree $t (SERIES=mainline make tree)"
		echo "$sum" >"$t.series"
	fi
	echo "$t"
}

# The 6.1 series as first posted (v1): the patch files of series/ at git
# commit V1_REF, applied to the base.
tree_v1() {
	local t=$bench_out/v1 ref=${V1_REF:-15b76fe} d=$bench_out/v1-series sum
	sum=$(git -C "$LAB_TOP" rev-parse -q --verify "$ref:series" 2>/dev/null) ||
		die "v1: no series/ at git commit '$ref' (V1_REF) in $LAB_TOP; a shallow clone lacks it (git fetch --unshallow)"
	if [ "$(cat "$t.series" 2>/dev/null)" != "$sum" ] ||
		[ -n "$(git -C "$t" status --porcelain --untracked-files=no 2>/dev/null || echo none)" ]; then
		log "bench tree $t: the base + series/ at $ref (v1)"
		rm -rf "$d"
		mkdir -p "$d"
		git -C "$LAB_TOP" archive "$ref" series | tar -x -C "$d" --strip-components=1 ||
			die "v1: cannot read series/ at $ref"
		SERIES_DIR=$d FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$t" >&2 ||
			die "v1 (series/ at $ref) does not apply to the base"
		echo "$sum" >"$t.series"
	fi
	echo "$t"
}

# --- 2. Kernels -------------------------------------------------------------

# The series at patch N (p0: the base), checked out in one tree.
tree_step() { # N
	local t=$bench_out/steps n
	n=$(series_patches | wc -l)
	[ "$1" -le "$n" ] || die "p$1: the series has $n patches"
	if [ "$(cat "$t.series" 2>/dev/null)" != "$(series_sum)" ] ||
		! git -C "$t" rev-parse -q --verify "$SERIES_BRANCH" >/dev/null; then
		log "bench tree $t: the base + series/, checked out at each patch in turn"
		FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$t" >&2 ||
			die "the series does not apply to the base; fix it (make tree) first"
		series_sum >"$t.series"
	fi
	git -C "$t" checkout -q --detach "$SERIES_BRANCH~$((n - $1))" >&2 ||
		die "cannot check out patch $1 in $t"
	echo "$t"
}

build_kernel() { # NAME
	local t b=
	case $1 in
	p[0-9]*) t=$(tree_step "${1#p}"); b=$t/.lab-build ;;
	base) t=$(tree_base); b=$t/.lab-build ;;
	patched) t=$(tree_patched); [ -n "$tree" ] || b=$t/.lab-build ;;
	v6.12) t=$(tree_v612) ;;
	v7.3|mainline) t=$(tree_mainline "$1"); b=$t/.lab-build ;;
	v1) t=$(tree_v1); b=$t/.lab-build ;;
	*) die "unknown kernel '$1': the kernels are base, patched, v1, v6.12, v7.3 and mainline" ;;
	esac
	built_tree=$t
	if [ "$part" = fq ]; then
		"$here/kernel.sh" --name "fq-$1" --tree "$t" ${b:+--build "$b"} --config "$here/fq.config"
	else
		"$here/kernel.sh" --name "$1" --tree "$t" ${b:+--build "$b"}
	fi
}

# --- 3. Boots ---------------------------------------------------------------

# Parameters of the scenarios (guest.sh reads them from the command line).
if [ "$smoke" = 1 ]; then
	scen_params="lab.iters=2000 lab.rounds=8 lab.batch=4096 lab.from=1024 lab.burst=1000 lab.fresh=16 lab.loops=50 lab.icount_iters=2000"
	dma_s=1 fio_s=2 boot_limit=${TIMEOUT:-300}
elif [ "$quick" = 1 ]; then
	scen_params="lab.iters=20000 lab.rounds=100 lab.batch=32768 lab.from=8192 lab.burst=5000 lab.fresh=64 lab.loops=200"
	dma_s=2 fio_s=3 boot_limit=${TIMEOUT:-600}
else
	scen_params="lab.iters=1000000 lab.rounds=100 lab.batch=32768 lab.from=8192 lab.burst=5000 lab.fresh=64 lab.loops=500"
	dma_s=3 fio_s=5 boot_limit=${TIMEOUT:-900}
fi
# The scale part: shorter loops, as every vCPU runs them (on 2 host CPUs).
scale_params="lab.iters=20000 lab.rounds=20 lab.batch=4096 lab.from=1024 lab.domains=20 lab.spread=600 lab.spread_idle=0,1,5,20"
[ "$quick" = 0 ] || scale_params="lab.iters=5000 lab.rounds=8 lab.batch=2048 lab.from=512 lab.domains=8 lab.spread=300 lab.spread_idle=0,1,5"


# On every boot: slab_nomerge, so that iommu_iova_magazine is not merged into
# another cache of its size (biovec-64 and friends) and has its own line in
# /proc/slabinfo; tsc=reliable, because under TCG a loaded host makes 6.1
# find the vCPUs' TSCs "unsynchronized" and fall back to the HPET (each
# read an emulated MMIO access: ktime_get() and so dma_map_benchmark several
# times slower), which 6.12 does not: all kernels keep the TSC.
bench_cmdline="slab_nomerge tsc=reliable${BENCH_APPEND:+ $BENCH_APPEND}"

# boot NAME KIND DIR: one boot of a kernel; 0 when the guest finished.
boot() {
	local name=$1 kind=$2 dir=$3 mode scen extra= steps=info,iommu,script,fio,log rc=0
	local accel=tcg smp=2 mem=1G params=$scen_params limit=$boot_limit
	case $kind in
	icount-*)
		accel=icount smp=1 steps=info,iommu,script,log
		case $kind in
		icount-lazy) mode=lazy scen=icount extra=lab.icount=all ;;
		icount-strict) mode=strict scen=icount extra=lab.icount=dma ;;
		icount-pt) mode=lazy scen=icount extra="iommu=pt lab.icount=dma" ;;
		esac ;;
	fq)
		accel=icount smp=1 steps=info,iommu,script,log mode=lazy scen=fqtimeout
		extra=possible_cpus=64 name=fq-$name ;;
	idle-*)
		accel=icount smp=1 steps=info,iommu,script,log mode=lazy scen=idleburst
		extra=iova.rcache_idle_ms=${kind#idle-}
		params="lab.burst=${IDLE_BURST:-2000} lab.gaps=${IDLE_GAPS:-1,2,5,10}" ;;
	scale-*)
		smp=${kind#scale-} mode=lazy scen=${SCALE_SCEN:-hotpath,cliff,spread,dmabench}
		accel=${SCALE_ACCEL:-tcg}
		steps=info,iommu,script,log params=$scale_params
		extra=lab.dmathreads=2
		# Under TCG, many vCPUs on few host CPUs: a fixed loops-per-jiffy
		# (no calibration per vCPU), patient RCU stall warnings, room for
		# the spread, and time.
		if [ "$smp" -gt 8 ]; then
			extra="$extra lpj=10000000 rcupdate.rcu_cpu_stall_timeout=300"
			mem=2G limit=$((boot_limit + smp * 30))
		fi ;;
	lazy) mode=lazy scen=hotpath,cliff,memory,dmabench ;;
	strict) mode=strict scen=dmabench,sac ;;
	pt) mode=lazy scen=dmabench extra=iommu=pt ;;
	smoke) mode=strict scen=hotpath,cliff,memory,sac steps=info,iommu,script,log ;;
	esac
	# shellcheck disable=SC1090
	. "$bench_out/kernels/$name/kernel.env"
	"$LAB_DIR/vm/run.sh" --machine vtd --mode "$mode" --kernel "$KERNEL_IMAGE" \
		--accel "$accel" --smp "$smp" --mem "$mem" \
		--modules "$KERNEL_MODULES" --benchmark "$KERNEL_BENCHMARK" \
		--workload "$here/guest.sh" --steps "$steps" --fio "$fio_s" --bench "$dma_s" \
		--append "$bench_cmdline $extra lab.scen=$scen $params" \
		--timeout "$limit" --out "$dir" >"$dir.log" 2>&1 || rc=$?
	{
		echo "BENCH_KERNEL=$name"
		echo "BENCH_KIND=$kind"
		echo "BENCH_VERSION=$KERNEL_VERSION"
		echo "BENCH_RELEASE=$KERNEL_RELEASE"
		echo "BENCH_COMMIT=$KERNEL_COMMIT"
	} >>"$dir/run.env" 2>/dev/null || true
	# Keep the record, not the bulk: the initramfs and the (sparse) disk.
	rm -f "$dir/initrd.img" "$dir/disk.img" "$dir/overlay.cpio.gz" "$dir/overlay.cpio.gz.list"
	if [ "$rc" -ne 0 ]; then
		cat "$dir.log" >&2
		return 1
	fi
}

# One line of progress: what the boot measured, briefly.
summary() { # DIR
	awk '
		$1 == "hotpath" && / size=1 / && /scope=1 / { for (i = 2; i <= NF; i++) if ($i ~ /^ns_per_pair=/) h = substr($i, 13) }
		$1 == "cliff" && / kind=grow / { for (i = 2; i <= NF; i++) { if ($i ~ /^first=/) f = substr($i, 7); if ($i ~ /^last=/) l = substr($i, 6) } }
		$1 == "cliff" && / kind=steady / { for (i = 2; i <= NF; i++) { if ($i ~ /^first=/) sf = substr($i, 7); if ($i ~ /^last=/) sl = substr($i, 6) } }
		$1 == "memory" && / t=5 / { for (i = 2; i <= NF; i++) if ($i ~ /^cached_iovas=/) m = substr($i, 14) }
		$1 == "sac" { for (i = 2; i <= NF; i++) if ($i ~ /^ns_per_map=/) s = substr($i, 12) }
		$1 == "icount" && / op=pair / && / size=1 / && / extra=0 / { for (i = 2; i <= NF; i++) if ($i ~ /^per_op=/) ip = substr($i, 8) }
		$1 == "icount" && / op=dma / { for (i = 2; i <= NF; i++) if ($i ~ /^per_op=/) id = substr($i, 8) }
		$1 == "dmabench" && / threads=1 / { for (i = 2; i <= NF; i++) if ($i ~ /^map_us=/) d = substr($i, 8) }
		$1 == "dmabench" && / threads=2 / { for (i = 2; i <= NF; i++) if ($i ~ /^map_us=/) d2 = substr($i, 8) }
		$1 == "spread-mem" { for (i = 2; i <= NF; i++) if ($i ~ /^slab_kib=/) sp = sp " " substr($i, 10) }
		$1 == "fio" { for (i = 2; i <= NF; i++) if ($i ~ /^iops=/) o = substr($i, 6) }
		END {
			if (ip != "") printf "alloc+free %s instructions; ", ip
			if (id != "") printf "map+unmap %s instructions; ", id
			if (h != "") printf "hotpath %s ns; ", h
			if (f != "") printf "cliff last/first %.2f growing, %.2f steady; ", (f ? l / f : 0), (sf ? sl / sf : 0)
			if (m != "") printf "IOVAs cached 5 s after the burst %s; ", m
			if (s != "") printf "SAC %s ns/map; ", s
			if (d != "") printf "dma_map_benchmark map %s us; ", d
			if (d2 != "") printf "dma_map_benchmark 2 threads map %s us; ", d2
			if (sp != "") printf "spread slab KiB over time%s; ", sp
			if (o != "") printf "fio %s IOPS", o
		}' "$1/results.txt" 2>/dev/null
}

# --- The smoke version --------------------------------------------------------

# result_value SEL KEY FILE: KEY's value on the first line of FILE whose
# first word and key=value words are those of SEL ("present" for an empty
# KEY if there is such a line).
result_value() {
	awk -v sel="$1" -v key="$2" '
		BEGIN { n = split(sel, w, " ") }
		{ ok = ($1 == w[1]); for (i = 2; ok && i <= n; i++) ok = index(" " $0 " ", " " w[i] " ") > 0 }
		ok { if (key == "") { print "present"; exit }
		     for (i = 2; i <= NF; i++) if (index($i, key "=") == 1) { print substr($i, length(key) + 2); exit } }' "$3"
}

if [ "$smoke" = 1 ]; then
	work=$bench_out/smoke
	rm -rf "$work"
	mkdir -p "$work"
	res=$work/checks
	: >"$res"
	check() { echo "$1 bench smoke: $2" >>"$res"; log "$1 bench smoke: $2"; }
	# The icount part: one lazy boot, every operation counted, and the
	# method's check (100 nops more per iteration show up as 100).
	smoke_icount_boot() {
		if ! boot patched icount-lazy "$work/icount"; then
			check FAIL "the patched kernel boots under -icount and counts (console: $work/icount/console.log)"
		else
			r=$work/icount/results.txt
			for op in "pair size=1 extra=0" "pair size=1 extra=1" "pair size=4" "pair size=32" \
				"depot" "tree" "dma"; do
				v=$(result_value "icount op=$op" per_op "$r")
				if [[ $v =~ ^[0-9]+\.[0-9]+$ ]]; then
					check PASS "icount op=$op: $v instructions"
				else
					check FAIL "icount op=$op gives a number (got '${v:-nothing}'; see $r)"
				fi
			done
			d=$(awk '$1 == "icount" && / op=pair / && / size=1 / {
					for (i = 2; i <= NF; i++) if ($i ~ /^per_op=/) v[/ extra=1 /] = substr($i, 8) }
				END { if ((0 in v) && (1 in v)) printf "%.2f", v[1] - v[0] }' "$r")
			if [ -n "$d" ] && awk -v d="$d" 'BEGIN { exit !(d >= 98 && d <= 102) }'; then
				check PASS "icount: 100 added nops count as $d instructions"
			else
				check FAIL "icount: 100 added nops count as 100 +- 2 instructions (got '${d:-nothing}'; see $r)"
			fi
			if grep -q '^splat ' "$r" || ! grep -q '^log .*splats=0' "$r"; then
				check FAIL "no WARNING, BUG or Oops in the icount boot's log (see $work/icount/console.log)"
			else
				check PASS "no WARNING, BUG or Oops in the icount boot's log"
			fi
		fi
	}
	if ! build_kernel patched; then
		check FAIL "the patched kernel and the bench module build (see $bench_out/kernels/patched/)"
	elif [ "$smoke_icount" = 1 ]; then
		check PASS "the patched kernel and the bench module build"
		smoke_icount_boot
	elif ! boot patched smoke "$work/run"; then
		check FAIL "the patched kernel boots and runs the scenarios (console: $work/run/console.log)"
	else
		check PASS "the patched kernel boots and runs the scenarios ($(. "$work/run/run.env"; echo "$SECONDS s, $ACCEL"))"
		# Every expected result, and each of its figures a number.
		r=$work/run/results.txt
		for want in \
			"module load=ok" \
			"hotpath scope=1 size=1:ns_per_pair" "hotpath scope=all size=1:ns_per_pair" \
			"hotpath scope=1 size=4:ns_per_pair" "hotpath scope=all size=4:ns_per_pair" \
			"hotpath scope=1 size=32:ns_per_pair" "hotpath scope=all size=32:ns_per_pair" \
			"cliff kind=grow:first" "cliff kind=grow:last" \
			"cliff kind=steady:first" "cliff kind=steady:last" \
			"burst:cached_iovas" \
			"memory t=0:cached_iovas" "memory t=1:cached_iovas" "memory t=5:cached_iovas" \
			"memory t=5:mags" "memory t=5:rc_depot" "memory t=5:rc_cpu_mags" \
			"fresh:slab_bytes_per_domain" "fresh:mags_per_domain" \
			"sac:ns_per_map"; do
			sel=${want%%:*} key=${want#*:}
			[ "$key" = "$want" ] && key=
			v=$(result_value "$sel" "$key" "$r")
			if [ -z "$key" ] && [ "$v" = present ]; then
				check PASS "result '$sel'"
			elif [ -n "$key" ] && [[ $v =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then
				check PASS "result '$sel' $key=$v"
			else
				check FAIL "result '$sel' ${key:+$key }is a number (got '${v:-nothing}'; see $r)"
			fi
		done
		# The cliff prints one figure per round, for each variant.
		n=$(awk '$1 == "cliff" { for (i = 2; i <= NF; i++) if ($i ~ /^ops_per_s=/) printf "%d ", split(substr($i, 11), a, ",") }' "$r")
		if [ "$n" = "8 8 " ]; then
			check PASS "cliff: one figure per round (8) for both variants"
		else
			check FAIL "cliff: one figure per round (8, for both variants, expected; got '${n:-none}'; see $r)"
		fi
		if grep -q '^splat ' "$r" || ! grep -q '^log .*splats=0' "$r"; then
			check FAIL "no WARNING, BUG or Oops in the guest's log (see $work/run/console.log)"
		else
			check PASS "no WARNING, BUG or Oops in the guest's log"
		fi
		smoke_icount_boot
	fi
	[ -z "$results" ] || cat "$res" >>"$results"
	log "bench smoke: $(grep -c '^PASS' "$res") passed, $(grep -c '^FAIL' "$res") failed in $(elapsed)"
	! grep -q '^FAIL' "$res"
	exit
fi

# --- The full bench -----------------------------------------------------------

[ "$rounds" -ge 1 ] || die "--rounds must be at least 1"
if [ "$kernels" = steps ]; then
	[ "$part" = icount ] || die "--kernels steps is for --part icount"
	kernels=$(seq -f 'p%g' 0 "$(series_patches | wc -l)" | tr '\n' ' ')
fi
read -r -a ks <<<"$kernels"
for k in "${ks[@]}"; do
	case $part,$k in
	wall,v7.3|wall,mainline|all,v7.3|all,mainline) die "the wall part runs base, patched, v1 and v6.12 (the 6.1 scenarios); $k is for --part icount or fq" ;;
	esac
done
case $part in icount|fq|idle) ;; *) need_pkgs python3-matplotlib ;; esac
for k in "${ks[@]}"; do
	t0=$(date +%s)
	build_kernel "$k" || die "the $k kernel does not build; see $bench_out/kernels/$k/"
	log "[$(elapsed)] $k kernel ready ($(($(date +%s) - t0)) s)"
done
# gen_init_cpio, for the initramfs, comes from a kernel tree: the patched
# one, or the last one built when the run has none (KERNELS="v7.3 mainline").
[ -f "$BOOT_TREE/usr/gen_init_cpio.c" ] || export BOOT_TREE=$built_tree

stamp=$(date -u +%Y%m%d-%H%M%S)
res=$bench_out/results/$stamp
mkdir -p "$res/runs"
ln -sfn "results/$stamp" "$bench_out/latest"
{
	echo "ROUNDS=$rounds"
	echo "PART=$part"
	[ "$part" != scale ] || echo "SCALE_CPUS=\"$scale_cpus\""
	[ "$part" != scale ] || echo "SCALE_ACCEL=${SCALE_ACCEL:-tcg}"
	[ "$part" != scale ] || echo "SCALE_SCEN=${SCALE_SCEN:-hotpath,cliff,spread,dmabench}"
	[ "$part" != idle ] || echo "IDLE=\"periods $idle_periods; gaps ${IDLE_GAPS:-1,2,5,10}; burst ${IDLE_BURST:-2000}\""
	[ "$part" != scale ] || echo "SCALE_PARAMS=\"$scale_params lab.bench=$dma_s lab.dmathreads=2\""
	echo "KERNELS=\"$kernels\""
	echo "PARAMS=\"$scen_params lab.bench=$dma_s lab.fio=$fio_s\""
	echo "CMDLINE=\"$bench_cmdline\""
	echo "HOST_CPUS=$(nproc)"
	echo "HOST_CPU=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)\""
	echo "QEMU=\"$(qemu-system-x86_64 --version | head -n 1)\""
	echo "STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$res/bench.env"
# Patch by patch: each patch's subject, for the report.
if [ "${ks[0]}" = p0 ]; then
	{
		echo "p0 the base"
		i=0
		while read -r f; do
			i=$((i + 1))
			echo "p$i $(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$f" | head -n 1)"
		done < <(series_patches)
	} >"$res/steps.txt"
fi

# runs ROUNDS KIND...: every kernel booted for each kind, ROUNDS times.
failed=0
runs() {
	local rr=$1 r kind k n=0 total dir t0
	shift
	total=$((rr * $# * ${#ks[@]}))
	log "[$(elapsed)] $total boots: $rr rounds x $# kinds ($*) x ${#ks[@]} kernels; results in $res"
	for r in $(seq 1 "$rr"); do
		for kind in "$@"; do
			for k in "${ks[@]}"; do
				n=$((n + 1))
				dir=$res/runs/r$r-$kind-$k
				mkdir -p "$dir"
				t0=$(date +%s)
				if boot "$k" "$kind" "$dir"; then
					log "[$(elapsed)] $n/$total round $r $kind $k: $(($(date +%s) - t0)) s; $(summary "$dir")"
				else
					failed=$((failed + 1))
					log "[$(elapsed)] $n/$total round $r $kind $k: FAILED after $(($(date +%s) - t0)) s (console above; $dir)"
				fi
			done
		done
	done
}

# The wall part: rounds of the three kinds of boot.
# shellcheck disable=SC2086 # KINDS is a list
case $part in icount|fq|scale|idle) ;; *) runs "$rounds" ${KINDS:-lazy strict pt} ;; esac
# The scale part: every vCPU count in each round.
if [ "$part" = scale ]; then
	# shellcheck disable=SC2046 # one word per vCPU count
	runs "$rounds" $(for n in $scale_cpus; do echo "scale-$n"; done)
	/usr/bin/python3 "$here/scale.py" --dir "$res" ||
		die "the scale report could not be written (lab/bench/scale.py --dir $res)"
fi
# The icount part: instruction counts do not vary from boot to boot, so two
# rounds of the lazy boot (their difference is the method's repeatability)
# and one of strict and iommu=pt.
if [ "$part" = icount ] || [ "$part" = all ]; then
	if [ "${ks[0]}" = p0 ]; then
		# Patch by patch: the lazy boot's figures once (they repeat).
		runs 1 icount-lazy
	else
		runs 2 icount-lazy
		runs 1 icount-strict icount-pt
	fi
fi
# The fq part: two boots per kernel (their difference is the method's
# repeatability), and a table.
if [ "$part" = fq ]; then
	runs 2 fq
	{
		echo "# The flush queue's timeout, in instructions"
		echo
		echo "QEMU -icount shift=0,sleep=off,align=off, one vCPU online of 64 possible"
		echo "(possible_cpus=64), lazy mode on VT-d, dma_map_benchmark through the"
		echo "e1000e's DMA-FQ domain; fq_flush_timeout() counted by the function"
		echo "profiler (lab/bench/fq.config), its own entry and exit included."
		echo
		echo "| kernel | boot | calls | instructions per call |"
		echo "| --- | --- | --- | --- |"
		for k in "${ks[@]}"; do
			for r in 1 2; do
				l=$(grep -h '^fqtimeout ' "$res/runs/r$r-fq-$k/results.txt" 2>/dev/null | head -n 1 || true)
				echo "| $k | $r | $(echo "$l" | sed -n 's/.* calls=\([0-9]*\).*/\1/p') | $(echo "$l" | sed -n 's/.* per_call=\([0-9.]*\).*/\1/p') |"
			done
		done
	} >"$res/fq.md"
	cat "$res/fq.md" >&2
fi
# The idle part: one boot per period (instruction counts repeat), a table.
if [ "$part" = idle ]; then
	# shellcheck disable=SC2046 # one kind per period
	runs 1 $(for n in $idle_periods; do echo "idle-$n"; done)
	{
		echo "# The idle trim's trade-off, in instructions"
		echo
		echo "QEMU -icount shift=0,sleep=off,align=off, one vCPU, lazy mode on VT-d."
		echo "For each gap: a burst of ${IDLE_BURST:-2000} IOVAs of each of the 6 cacheable sizes"
		echo "(allocate them all, then free them all) on a new domain, the gap idle,"
		echo "then the same burst again. Instructions per alloc+free pair; the"
		echo "IOVAs the domain still caches at the end of the gap. 0 ms: no trim."
		echo
		echo "| kernel | iova.rcache_idle_ms | gap (s) | IOVAs cached after the gap | burst after the gap | burst on a new domain | after / new |"
		echo "| --- | --- | --- | --- | --- | --- | --- |"
		for k in "${ks[@]}"; do
			for n in $idle_periods; do
				grep -h '^idleburst ' "$res/runs/r1-idle-$n-$k/results.txt" 2>/dev/null |
					awk -v k="$k" -v p="$n" '{
						for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
						pairs = v["n"] * 6
						printf "| %s | %s | %s | %s | %.0f | %.0f | %.2f |\n", k, p, v["gap"],
							v["held_iovas"], v["ns"] / pairs, v["cold_ns"] / pairs,
							(v["cold_ns"] ? v["ns"] / v["cold_ns"] : 0)
					}'
			done
		done
	} >"$res/idle.md"
	cat "$res/idle.md" >&2
fi
echo "FINISHED=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$res/bench.env"
echo "WALL_SECONDS=$(($(date +%s) - start))" >>"$res/bench.env"

if [ "$part" = wall ] || [ "$part" = all ]; then
	/usr/bin/python3 "$here/report.py" --dir "$res" ||
		die "the report could not be written (lab/bench/report.py --dir $res)"
fi
if [ "$part" = icount ] || [ "$part" = all ]; then
	/usr/bin/python3 "$here/icount.py" --dir "$res" $([ "$part" = all ] && echo --append) ||
		die "the instruction-count report could not be written (lab/bench/icount.py --dir $res)"
fi
case $part in
scale) log "[$(elapsed)] report: $res/scale.md; $failed boots failed" ;;
fq) log "[$(elapsed)] report: $res/fq.md; $failed boots failed" ;;
idle) log "[$(elapsed)] report: $res/idle.md; $failed boots failed" ;;
*) log "[$(elapsed)] report: $res/report.md (JSON: $res/bench.json); $failed boots failed" ;;
esac
[ "$failed" -eq 0 ]
