#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The lab's test command (make check). Stages, in order:
#
#  selftest    the lab's self-test: a base Debian moved outside the series
#              checks green with a notice, one changed inside iova.c fails
#              naming the patch (lab/check/selftest/base.sh); the KUnit judge
#              gives recorded logs (clean, failed case, KASAN, lockdep,
#              crash, timeout) their verdicts (lab/check/selftest/judges.sh);
#  apply       the series applies to the base Debian serves now, and a tree
#              made from the patch files exports back to the same bytes (a
#              moved base is a NOTE, lab/check/applycheck.sh);
#  checkpatch  checkpatch.pl --strict on every patch as it will be mailed;
#  bisect      at every patch, the UML KUnit kernel builds and the suites
#              that exist there pass; at the tip, x86_64 (microvm, 4
#              vCPUs), and the suites with 64 CPUs: on UML where it has SMP,
#              on x86_64 (64 vCPUs) the suites UML cannot run;
#  deb         the configuration step of make deb works, from Debian's own
#              configuration of the base, for amd64 and for arm64;
#  roundtrip   git send-email to a local SMTP server, git am of the mails
#              onto the base gives the series tree;
#  bench-icount the bench kernel and module build, and one boot under
#              QEMU -icount counts every operation (100 nops added count
#              as 100): the bench smoke's icount part;
#  mainline    the mainline series (series/mainline, Linux 7.3): apply,
#              checkpatch, bisect (UML with 4 CPUs at every patch, 64 at the
#              tip, x86_64 at the tip with 4 and 64 vCPUs for the dma-iommu
#              suite) and roundtrip in a run of their own.
#
# make check-all (LEVEL=all) adds, each compiling kernels of its own:
#  bisect      x86_64 at every patch;
#  gates       the last patch adds no W=1 or sparse warning to drivers/iommu/
#              and mm/kmemleak.o on x86_64, arm64 and arm64 without PCI
#              (every patch: check-all.sh itself);
#  boot        VT-d, lazy mode, real DMA, KUnit modules, kselftest;
#  stress      the debug kernel (KASAN, lockdep, ...) through the flush-queue
#              stress case and 10 CPU hotplug cycles under traffic;
#  bench       one short boot of the bench's scenarios, every figure;
#  mutants     each lab/mutants/diffs/*.diff breaks the series on purpose,
#              and the tests it names must fail (MUTANTS=0 skips them).
#
# Every check writes a "PASS|FAIL <name>" line to $LAB_OUT/check/results.
# A stage's exit status is a result too: a stage that exits non-zero without
# a FAIL line of its own gets "FAIL <stage>: exit N", and one that reports
# fewer results than its plan gets "FAIL <stage>: N of M results", so a
# stage that dies half-way cannot vanish from the count. The stages are
# printed as KTAP (one test per stage, $LAB_OUT/check/ktap) before the last
# line, "N passed, N failed". STAGES=a,b runs only those stages (for a
# developer; make check runs them all).
. "$(dirname "$0")/../lib/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
work=$LAB_OUT/check
results=$work/results
mkdir -p "$work"
: >"$results"
: >"$work/stages"
start=$(date +%s)
# LEVEL=all (make check-all): the x86_64 suites at every patch, and the
# stress, bench and mutant stages, each of which compiles kernels of its own.
LEVEL=${LEVEL:-check}
export LEVEL

pass() { echo "PASS $*" >>"$results"; log "PASS $*"; }
fail() { echo "FAIL $*" >>"$results"; log "FAIL $*"; }

# Should this script itself stop early (a command outside the stages
# failing, e.g. a package that cannot be installed), the run still ends
# with a FAIL naming it and the "N passed, N failed" line.
finished=0
stopped_early() {
	local rc=$?
	[ "$finished" = 0 ] || return 0
	echo "FAIL check.sh: stopped early (exit $rc) before all stages ran; see the lines above" >>"$results"
	tally "$results" "$start" || true
	exit 1
}
trap stopped_early EXIT

mapfile -t patches < <(series_patches)
n=${#patches[@]}
[ "$n" -gt 0 ] || die "no patch files in $SERIES_DIR"
tree=$work/tree

# Results cached by content. A stage, or one patch of the bisect, whose
# inputs are byte for byte those of an earlier run that passed reuses that
# run's lines, and a NOTE says so. The inputs: the patch files (all, or those
# up to the patch), the lab files the stage uses (stage_files), the base
# tarball's checksum and
# the versions of gcc and QEMU. Only passing results are kept; FRESH=1 runs
# everything again. The apply stage always runs (the later ones need its
# tree), and a cold machine runs everything once.
rcache=$LAB_CACHE/results
mkdir -p "$rcache"
# Both are needed anyway; installed first so that a fresh machine's first
# run has the key its later runs will have.
need_pkgs gcc qemu-system-x86
tools_sum=$({ gcc --version 2>&1 | head -n 1; qemu-system-x86_64 --version 2>&1 | head -n 1; } | sha256sum | cut -c1-64)
# The lab files a stage's results depend on, relative to lab/: the shared
# library and the stage's own folder, the VM folder (or only its machine
# definitions) for the stages that boot guests, so that editing the bench
# does not make the bisect run again. Folders are taken whole.
stage_files() {
	local common="lib check/check.sh"
	case $1 in
	checkpatch) echo "$common send/mails.sh" ;;
	bisect*) echo "$common kunit vm/vm.sh vm/machines" ;;
	gates) echo "$common gates" ;;
	deb) echo "$common deb" ;;
	roundtrip) echo "$common roundtrip send/mails.sh send/maintainers.sh" ;;
	boot) echo "$common boot vm" ;;
	stress) echo "$common stress vm" ;;
	bench*) echo "$common bench vm" ;;
	mutants) echo "$common mutants kunit vm/vm.sh vm/machines" ;;
	*) echo "." ;;
	esac
}
lab_sum() { # STAGE: checksum of the lab files the stage depends on
	# shellcheck disable=SC2046
	(cd "$LAB_TOP/lab" && find $(stage_files "$1") -type f ! -name '*.pyc' -print0 |
		sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
}
key() { # WHAT PATCH-FILE...: the content key of a result
	local what=$1
	shift
	{
		echo "$what $(lab_sum "${what%% *}") $tools_sum"
		sed -n 's/^BASE_SHA256=//p' "$LAB_OUT/base.env" 2>/dev/null
		cat "$@" /dev/null
	} | sha256sum | cut -c1-40
}
# reuse KEY WHAT: append the lines of a passing run with this key, if any.
reuse() {
	local f=$rcache/$1
	[ "${FRESH:-0}" != 1 ] && [ -s "$f" ] || return 1
	cat "$f" >>"$results"
	echo "NOTE $2: $(wc -l <"$f") results reused from a passing run of $(date -u -r "$f" '+%F %H:%M') UTC with the same inputs (FRESH=1 runs it again)" >>"$results"
	log "$2: reused $(wc -l <"$f") results of a passing run with the same inputs"
	touch "$f"
}
# keep KEY FILE: remember FILE's PASS lines under KEY when it has no FAIL.
keep() {
	if ! grep -q '^FAIL' "$2" && grep '^PASS' "$2" >"$rcache/$1.tmp"; then
		mv "$rcache/$1.tmp" "$rcache/$1"
	fi
	rm -f "$rcache/$1.tmp"
	# Results nobody asked for in 30 days go.
	find "$rcache" -type f -mtime +30 -delete 2>/dev/null || true
}

# stage NAME PLAN CMD...: run one stage. PLAN is the number of PASS/FAIL
# lines it must write at least. Its status and counts go to $work/stages.
stage() {
	local name=$1 plan=$2 rc=0 t0 before after own nfail lines k how
	shift 2
	# apply makes the tree every later stage works on: it always runs.
	case ,${STAGES:-$name},$name in
	*,"$name",* | *,apply) ;;
	*) log "stage $name: not in STAGES=$STAGES, skipped"; printf '%s\t0\t0\t0\tskip\n' "$name" >>"$work/stages"; return 0 ;;
	esac
	t0=$(date +%s)
	before=$(grep -c '^\(PASS\|FAIL\)' "$results" || true)
	nfail=$(grep -c '^FAIL' "$results" || true)
	lines=$(wc -l <"$results")
	log "stage $name"
	k=
	case $name in
	# apply makes the tree; bisect keeps its own, per patch; mainline is a
	# check.sh of its own, with its own cached results.
	apply | bisect | mainline) ;;
	*) k=stage-$name-$(key "$name" "${patches[@]}" "$SERIES_BASE") ;;
	esac
	how=ran
	if [ -n "$k" ] && reuse "$k" "stage $name"; then
		how=reused
	else
		"$@" || rc=$?
		if [ -n "$k" ] && [ "$rc" -eq 0 ]; then
			tail -n +$((lines + 1)) "$results" >"$work/stage.lines"
			keep "$k" "$work/stage.lines"
		fi
	fi
	after=$(grep -c '^\(PASS\|FAIL\)' "$results" || true)
	own=$((after - before))
	if [ "$rc" -ne 0 ] && [ "$(grep -c '^FAIL' "$results" || true)" -eq "$nfail" ]; then
		fail "$name: exit $rc without a FAIL line (see the log above)"
		after=$((after + 1))
	fi
	if [ "$own" -lt "$plan" ]; then
		fail "$name: $own of $plan planned results (a check did not run)"
		after=$((after + 1))
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$((after - before))" \
		"$(($(grep -c '^FAIL' "$results" || true) - nfail))" "$(($(date +%s) - t0))" "$how" >>"$work/stages"
}

apply() {
	"$here/applycheck.sh" --tree "$tree" --results "$results"
}

checkpatch() {
	local p b out
	need_pkgs perl
	"$LAB_DIR/send/mails.sh" --identity "Lab Check <lab-check@example.org>" --to "$work/mails" 2>/dev/null
	for p in "${patches[@]}"; do
		b=$(basename "$p")
		out=$work/checkpatch-${b%.patch}.txt
		# The base is an import of Debian's tarball, without upstream's
		# history: the upstream commits the messages cite cannot be
		# looked up in it (a maintainer's tree has them).
		if (cd "$tree" && perl scripts/checkpatch.pl --strict --no-tree --ignore UNKNOWN_COMMIT_ID --showfile \
			"$work/mails/$b") >"$out" 2>&1; then
			pass "checkpatch --strict $b"
		else
			fail "checkpatch --strict $b"
			{ grep -E '(ERROR|WARNING|CHECK):' -A3 "$out" || tail -5 "$out"; } | head -30 >&2
		fi
	done
}

# many ARCH [GLOB]: the suites of the tip (those GLOB names, kunit.py's
# filter) on 64 CPUs, with the build of the tip's run.
many() {
	local arch=$1 glob=${2:-} per k label="patch $n/$n $1 64 CPUs"
	per=$work/kunit-$n-$arch-smp64.txt
	k=bisect-smp64-$(key "bisect $arch smp64 ${glob:-*}" "${patches[@]}")
	: >"$per"
	if reuse "$k" "$label"; then
		:
	elif "$LAB_DIR/kunit/kunit.sh" --arch "$arch" --smp 64 --tree "$tree" --build "$work/kunit-$arch" \
		--filter "$glob" --results "$per" --label "$label"; then
		cat "$per" >>"$results"
		pass "$label: the KUnit suites of the tip pass"
		echo "PASS $label: the KUnit suites of the tip pass" >>"$per"
		keep "$k" "$per"
	else
		cp "$work/kunit-$arch/kunit.out" "$work/kunit-$n-$arch-smp64.out" 2>/dev/null || true
		cat "$per" >>"$results"
		fail "$label: the KUnit suites of the tip (log: $work/kunit-$n-$arch-smp64.out)"
	fi
}

# At every patch: build and test; the cases of the last one are listed.
# UML at every patch; x86_64 at the tip (make check-all: every patch, and
# where UML has SMP, at the tip with 64 CPUs too).
bisect() {
	local commits=() c i=0 subj label arch per cases k lines
	mapfile -t commits < <(git -C "$tree" rev-list --reverse "$(base_commit)..$SERIES_BRANCH")
	for c in "${commits[@]}"; do
		i=$((i + 1))
		subj=$(git -C "$tree" log -1 --format=%s "$c")
		git -C "$tree" checkout -q --detach "$c"
		label="patch $i/$n"
		if [ ! -f "$tree/drivers/iommu/.kunitconfig" ]; then
			fail "$label um: no drivers/iommu/.kunitconfig to test with: $subj"
			fail "$label x86_64: no drivers/iommu/.kunitconfig to test with: $subj"
			continue
		fi
		for arch in um x86_64; do
			# make check: x86_64 at the tip only (UML compiles and
			# tests every patch), and where UML has SMP (the mainline
			# series) only for the suites UML cannot run (dma-iommu:
			# no IOMMU_DMA on UML); make check-all: every patch.
			if [ "$arch" = x86_64 ] && [ "$LEVEL" != all ] &&
				{ [ "$i" -ne "$n" ] || [ "$x86_tip" = 0 ]; }; then
				continue
			fi
			per=$work/kunit-$i-$arch.txt
			k=bisect-$arch-$(key "bisect $arch $i $n" "${patches[@]:0:$i}")
			reuse "$k" "$label $arch" && continue
			lines=$(wc -l <"$results")
			: >"$per"
			if "$LAB_DIR/kunit/kunit.sh" --arch "$arch" --tree "$tree" --build "$work/kunit-$arch" \
				--results "$per" --label "$label $arch"; then
				cases=$(grep -c '^PASS' "$per" || true)
				if [ "$i" -eq "$n" ]; then
					cat "$per" >>"$results"
				fi
				pass "$label $arch: builds and passes its KUnit suites ($cases cases): $subj"
				tail -n +$((lines + 1)) "$results" >"$work/stage.lines"
				keep "$k" "$work/stage.lines"
			else
				cp "$work/kunit-$arch/kunit.out" "$work/kunit-$i-$arch.out" 2>/dev/null || true
				grep '^FAIL' "$per" >>"$results" || true
				fail "$label $arch: builds and passes its KUnit suites: $subj (log: $work/kunit-$i-$arch.out)"
			fi
		done
	done
	# The suites at the tip once more with 64 CPUs (users run them on
	# servers with 64-256 CPUs): on UML where it has SMP (7.3: host
	# threads, about a minute), and on x86_64 with 64 vCPUs, the kernel of
	# the 4-vCPU run on the same machine (single-threaded TCG: about two
	# minutes for a suite). Where UML has SMP, x86_64 runs only what UML
	# cannot (the dma-iommu suite); 6.1's UML has one CPU, so x86_64 runs
	# both of its suites.
	if [ "$uml_smp" = 1 ]; then
		many um
	fi
	if [ "$x86_tip" = 1 ] || [ "$LEVEL" = all ]; then
		if [ "$uml_smp" = 1 ]; then
			many x86_64 'iommu_dma*'
		else
			many x86_64
		fi
	fi
	git -C "$tree" checkout -q "$SERIES_BRANCH"
}

selftest() {
	local rc=0
	"$here/selftest/base.sh" --results "$results" || rc=1
	"$here/selftest/judges.sh" --tree "$tree" --results "$results" || rc=1
	return $rc
}

stage selftest 10 selftest
stage apply 2 apply
# UML with SMP (7.3's) tests the per-CPU cases itself, at 4 and 64 CPUs.
uml_smp=0
if grep -q '^config SMP$' "$tree/arch/um/Kconfig" 2>/dev/null && [ "$(uname -m)" = x86_64 ]; then
	uml_smp=1
fi
# x86_64 at the tip in make check: always without UML SMP; with it, when
# the tip has a suite UML cannot run.
x86_tip=1
if [ "$uml_smp" = 1 ] && ! grep -q '^config IOMMU_DMA_KUNIT_TEST$' "$tree/drivers/iommu/Kconfig" 2>/dev/null; then
	x86_tip=0
fi
# The bisect's results: a line per patch and arch run, one per 64-CPU run.
if [ "$LEVEL" = all ]; then
	bisect_plan=$((2 * n + 1 + uml_smp))
else
	bisect_plan=$((n + 2 * x86_tip + uml_smp))
fi
# The deb stage: the configuration of make deb, for both arches.
debs() {
	local rc=0
	"$LAB_DIR/deb/deb.sh" --config-only --arch amd64 --results "$results" || rc=1
	"$LAB_DIR/deb/deb.sh" --config-only --arch arm64 --results "$results" || rc=1
	return $rc
}

if grep -q '^PASS series applies' "$results"; then
	stage checkpatch "$n" checkpatch
	stage bisect "$bisect_plan" bisect

	# The later stages work on this same tree rather than each on a
	# checkout of its own (1.5 GB each); each leaves it at the series' tip.
	export LAB_SCRATCH_TREE=$tree
	# 8 options checked on amd64, 7 on arm64.
	stage deb 15 debs
	stage roundtrip 6 "$LAB_DIR/roundtrip/roundtrip.sh" --results "$results"
	# Each of these compiles kernels of its own (the W=1/sparse builds of
	# three configurations, the VT-d debug kernel, the KASAN kernel, the
	# bench kernel, a kernel per mutant): make check-all. A cold make
	# check must stay well inside CI's 90 minutes: it builds one of them,
	# the bench's (tinyconfig-based) kernel, for the icount boot.
	if [ "$LEVEL" = all ]; then
		stage gates 3 "$LAB_DIR/gates/gates.sh" --tip --results "$results"
		stage boot 11 "$LAB_DIR/boot/boot.sh" --check --tree "$tree" --results "$results"
		stage stress 3 "$LAB_DIR/stress/stress.sh" --check --tree "$tree" --results "$results"
		stage bench 33 "$LAB_DIR/bench/bench.sh" --smoke --tree "$tree" --results "$results"
		if [ "${MUTANTS:-1}" = 1 ]; then
			mdir=$LAB_DIR/mutants/diffs
			[ "$SERIES" != mainline ] || mdir=$LAB_DIR/mutants/diffs-mainline
			stage mutants "$(find "$mdir" -name '*.diff' | wc -l)" \
				"$LAB_DIR/mutants/mutants.sh" --results "$results"
		fi
	else
		# The bench's icount boot, so that the bench cannot rot: its
		# small kernel and module built, each operation counted.
		stage bench-icount 10 "$LAB_DIR/bench/bench.sh" --smoke-icount --tree "$tree" --results "$results"
	fi
else
	fail "the series does not apply: the stages after it did not run"
fi

# The mainline series (series/mainline, on Debian's linux-source-7.3), when
# it has patches: the same stages that apply to it (the boot, stress and
# bench labs are the 6.1 series' for now; make check-all adds its mutants),
# in a run of its own whose lines come here prefixed "mainline:". It caches
# its own results.
mainline() {
	local sub=$LAB_OUT/mainline/check/results rc=0
	local stages=apply,checkpatch,bisect,deb,roundtrip
	# make check-all: its mutants too (lab/mutants/diffs-mainline).
	[ "$LEVEL" != all ] || [ "${MUTANTS:-1}" != 1 ] || stages=$stages,mutants
	SERIES=mainline STAGES=$stages "$here/check.sh" || rc=$?
	[ -f "$sub" ] || return 1
	sed -n 's/^\(PASS\|FAIL\|NOTE\) /\1 mainline: /p' "$sub" >>"$results"
	return $rc
}
if [ "$SERIES" = 6.1 ] && [ -n "$(SERIES=mainline; SERIES_DIR=$LAB_TOP/series/mainline series_patches 2>/dev/null)" ]; then
	nm=$(SERIES_DIR=$LAB_TOP/series/mainline series_patches | wc -l)
	if [ "$LEVEL" = all ]; then
		nmut=0
		[ "${MUTANTS:-1}" != 1 ] || nmut=$(find "$LAB_DIR/mutants/diffs-mainline" -name '*.diff' | wc -l)
		stage mainline $((3 * nm + 25 + nmut)) mainline
	else
		stage mainline $((2 * nm + 25)) mainline
	fi
fi

# KTAP: one test per stage, the slowest stages named.
{
	echo "KTAP version 1"
	echo "1..$(wc -l <"$work/stages")"
	awk -F'\t' '$5 == "skip" { printf "ok %d %s # SKIP not in STAGES\n", NR, $1; next }
		{ printf "%s %d %s # %d results%s, %d failed, %d s\n",
		($3 > 0 ? "not ok" : "ok"), NR, $1, $2, ($5 == "reused" ? " reused" : ""), $3, $4 }' "$work/stages"
} >"$work/ktap"
echo
cat "$work/ktap"
echo "# slowest stages: $(sort -t"$(printf '\t')" -k4,4nr "$work/stages" | head -n 3 |
	awk -F'\t' '{ printf "%s%s %d s", (NR > 1 ? ", " : ""), $1, $4 }')"
finished=1
tally "$results" "$start"
