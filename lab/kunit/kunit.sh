#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Stage "kunit": build a kernel from a tree and run the series' suites.
#
#   kunit.sh [--arch um|x86_64] [--smp N] [--filter GLOB] [--tree DIR]
#            [--build DIR] [--results FILE] [--label TEXT] [--repeat N]
#            [--kasan]
#
# Runs tools/testing/kunit/kunit.py from the tree with the series' own
# drivers/iommu/.kunitconfig (6.1's kunit.py would otherwise read the one in
# the build folder), plus the lab's debug options: lockdep, debugobjects for
# timers and work items, and slab poisoning. On UML (one CPU: NR_CPUS=1 in
# 6.1) that covers drivers/iommu/iova.c. --arch=x86_64 adds lab/kunit/
# x86_64.config (SMP, many CPUs), the IOMMU_DMA suite and the kernel options
# of its machine, and boots the kernel under qemu-system-x86_64 on microvm
# without an IOMMU or ACPI (lab/vm/machines/microvm.sh: the suites use
# domains of their own) with four vCPUs, or N with --smp N, with software
# emulation (TCG): the /dev/kvm of these machines is not a full KVM.
# kunit.py's --qemu_config file is written into the build folder from the
# machine's definition. A run on N CPUs fails unless the kernel says N came
# up.
# On UML, --smp N needs a tree whose UML has SMP (not 6.1's; 7.3 has it,
# for the mainline series): the kernel is built with CONFIG_SMP and 64 CPUs
# at most and started with ncpus=N (default 4), each CPU a host thread, no
# emulation, in seccomp mode and with slab debugging minus user tracking. 6.1's UML has one CPU, and --smp is refused there.
# --filter GLOB runs only the suites kunit.py's filter_glob matches. A kernel log with a WARNING,
# BUG, lockdep or debugobjects report fails the run even when every case
# passed. Appends "PASS|FAIL <label> <case>" lines to the results file.
# --repeat N (the flake tally: lab/kunit/flakes.sh) boots the kernel built
# for the first run N times in all (kunit.py exec), judges each run alone
# and labels its lines "<label> run I/N"; it exits 1 if any run failed.
# --kasan (x86_64) adds generic KASAN to the debug options.
. "$(dirname "$0")/../lib/lib.sh"
. "$LAB_DIR/lib/kbuild.sh"
. "$LAB_DIR/vm/vm.sh"

here=$(cd "$(dirname "$0")" && pwd)

tree=$TREE
arch=um
smp=
filter=
build=
results=
label=
repeat=1
kasan=0
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--filter) filter=$2; shift 2 ;;
	--tree) tree=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--label) label=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--kasan) kasan=1; shift ;;
	*) die "usage: kunit.sh [--arch um|x86_64] [--smp N] [--filter GLOB] [--tree DIR] [--build DIR] [--results FILE] [--label TEXT] [--repeat N] [--kasan]" ;;
	esac
done
case $arch in
um|x86_64) ;;
*) die "--arch must be um or x86_64, not '$arch'" ;;
esac
[ "$kasan" = 0 ] || [ "$arch" = x86_64 ] || die "--kasan needs --arch x86_64"
case $repeat in
''|*[!0-9]*|0) die "--repeat takes a number of runs from 1, not '$repeat'" ;;
esac
[ -d "$tree" ] || die "no work tree at $tree: run 'make tree' first"
# UML with SMP: the tree's UML has it and the host's subarchitecture too.
uml_smp=0
if [ "$arch" = um ] && grep -q '^config SMP$' "$tree/arch/um/Kconfig" 2>/dev/null &&
	[ "$(uname -m)" = x86_64 ]; then
	uml_smp=1
fi
case $smp in
'') smp=4; [ "$arch" = x86_64 ] || [ "$uml_smp" = 1 ] || smp=1 ;;
[1-9] | [1-9][0-9] | 1[0-9][0-9] | 2[0-4][0-9] | 25[0-6]) ;;
*) die "--smp takes a number of CPUs from 1 to 256, not '$smp'" ;;
esac
if [ "$arch" = um ] && [ "$smp" != 1 ]; then
	[ "$uml_smp" = 1 ] || die "--smp $smp: this tree's UML has one CPU (UML gained SMP after 6.1); use --arch x86_64"
	[ "$smp" -le 64 ] || die "--smp $smp: UML has 64 CPUs at most; use --arch x86_64"
fi
[ -n "$build" ] || build=$LAB_OUT/kunit-$arch
mkdir -p "$build"
build=$(cd "$build" && pwd)	# kunit.py runs in the tree
[ -n "$label" ] || label=$arch

tree=$(cd "$tree" && pwd)	# kunit.py runs in the tree
kconf=$tree/drivers/iommu/.kunitconfig
[ -f "$kconf" ] || die "$kconf is missing: the series adds it in its first patch"
need_pkgs gcc make flex bison bc python3 ccache
[ "$arch" = um ] || need_pkgs qemu-system-x86 libelf-dev

# qemu_config MACHINE [QEMU-ARG...]: kunit.py's --qemu_config file, a Python
# module like the tree's tools/testing/kunit/qemu_configs/x86_64.py, for the
# KUnit variant of a lab machine (MACHINE_KUNIT_* of lab/vm/machines/
# MACHINE.sh), under TCG, with any QEMU-ARGs after the machine's own.
qemu_config() {
	local m=$1 f a kconfig params=
	shift
	f=$(machine_file "$m")
	# shellcheck disable=SC1090
	. "$f"
	kconfig=$(printf '%s\n' "${MACHINE_KUNIT_KCONFIG[@]}")
	for a in "${MACHINE_KUNIT_ARGS[@]}" "$@"; do
		case $a in *[\'\\]*) die "$f: a QEMU argument with a quote or a backslash: $a" ;; esac
		params="$params${params:+, }'$a'"
	done
	cat <<EOF
# Written by lab/kunit/kunit.sh from lab/vm/machines/$m.sh (its KUnit
# variant). kunit.py loads it and resolves the import below.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
$kconfig''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='$MACHINE_KUNIT_CMDLINE',
			   extra_qemu_params=[$params])
EOF
}

# The lab's debug options, on top of the series' .kunitconfig.
debug_opts=(
	CONFIG_DEBUG_KERNEL=y
	CONFIG_DEBUG_FS=y
	CONFIG_PROVE_LOCKING=y
	CONFIG_DEBUG_OBJECTS=y
	CONFIG_DEBUG_OBJECTS_FREE=y
	CONFIG_DEBUG_OBJECTS_TIMERS=y
	CONFIG_DEBUG_OBJECTS_WORK=y
	CONFIG_SLUB_DEBUG_ON=y
)
archargs=()
if [ "$arch" = x86_64 ]; then
	debug_opts+=(CONFIG_DEBUG_ATOMIC_SLEEP=y)
	[ "$kasan" = 0 ] || debug_opts+=(CONFIG_KASAN=y CONFIG_KASAN_GENERIC=y)
	# The IOMMU_DMA suite exists from the patch that adds it on.
	if grep -q '^config IOMMU_DMA_KUNIT_TEST$' "$tree/drivers/iommu/Kconfig"; then
		debug_opts+=(CONFIG_IOMMU_DMA_KUNIT_TEST=y)
	fi
	machine=microvm
	# Up to 4 vCPUs, a host thread each (multi-threaded TCG). More: one
	# host thread for them all (64 vCPUs on 2 host cores did not finish
	# booting multi-threaded; single-threaded they do), and more memory
	# than kunit.py's 1 GiB (-m 1024).
	qemu_extra=(-accel "tcg,thread=multi")
	[ "$smp" -le 4 ] || qemu_extra=(-accel "tcg,thread=single" -m 2048)
	qemu_config "$machine" "${qemu_extra[@]}" >"$build/qemu_config_$machine.py"
	# kunit.py of newer kernels (7.3's) puts "-accel kvm -accel hvf -accel
	# tcg" before the configuration's arguments, and QEMU takes the first
	# accelerator that opens: KVM wherever /dev/kvm exists, even one that
	# cannot run the guest (the lab machines'), and never the TCG options
	# above. kunit.py finds QEMU through PATH: a wrapper first in it drops
	# those three, and only those (the lab's own -accel has options).
	mkdir -p "$build/qemu-bin"
	cat >"$build/qemu-bin/qemu-system-x86_64" <<EOF
#!/usr/bin/env bash
# Written by lab/kunit/kunit.sh: kunit.py's default accelerators dropped.
a=()
while [ \$# -gt 0 ]; do
	case \$1,\${2-} in
	-accel,kvm|-accel,hvf|-accel,tcg) shift 2; continue ;;
	esac
	a+=("\$1")
	shift
done
exec $(command -v qemu-system-x86_64) "\${a[@]}"
EOF
	chmod +x "$build/qemu-bin/qemu-system-x86_64"
	qemu_path=$build/qemu-bin:
	archargs=(--arch=x86_64 --qemu_config="$build/qemu_config_$machine.py"
		--qemu_args="-smp $smp" --kunitconfig="$here/x86_64.config")
	# Many vCPUs under TCG: a fixed loops-per-jiffy spares every secondary
	# CPU its delay calibration (minutes in all); udelay() only gets less
	# exact.
	[ "$smp" -le 4 ] || archargs+=(--kernel_args=lpj=10000000)
	# One host thread for all vCPUs, while the guest's clock follows the
	# host's: a busy vCPU gets one time slice in N, so 21 s of guest time
	# (RCU's stall limit) can be a fraction of a second of its own work,
	# and RCU reported a "stall" in a case that allocates in a loop (with
	# slab debugging saving a stack trace per object). Allow RCU its
	# maximum, 300 s (a CPU stuck for good is still reported), and keep
	# slab debugging's checks but not its allocation traces.
	[ "$smp" -le 4 ] || archargs+=(--kernel_args=rcupdate.rcu_cpu_stall_timeout=300
		--kernel_args=slub_debug=FZP)
	log "$label: qemu-system-x86_64 ($machine, $smp vCPUs) with TCG (software emulation); KVM is not used"
fi
if [ "$uml_smp" = 1 ]; then
	debug_opts+=(CONFIG_SMP=y CONFIG_NR_CPUS=64)
	# More than one CPU needs UML's seccomp mode (ptrace mode refuses
	# SMP; the only user space here is the kernel's own). Slab debugging
	# without user tracking: saving a stack trace while a secondary CPU's
	# host thread starts crashes UML ("Segfault with no mm", 7.3.4).
	archargs=(--kernel_args="ncpus=$smp")
	[ "$smp" = 1 ] || archargs+=(--kernel_args=seccomp=on --kernel_args=slab_debug=FZP)
	log "$label: UML with $smp CPUs (host threads)"
fi
[ -z "$filter" ] || archargs+=("$filter")
kadd=()
for o in "${debug_opts[@]}"; do kadd+=(--kconfig_add "$o"); done

# kunit.py configures and builds (with the lab's build metadata and ccache
# settings: lab/lib/kbuild.sh).
kbuild_env "$tree" "$build"

json=$build/results.json
# One boot and its verdict. $1: run (configure, build, boot) or exec (boot
# the kernel built before); $2: the label of its lines. Returns 1 if a case
# failed or none passed.
one_run() {
	local sub=$1 lbl=$2 cmd rc rows splats pass fail up opts
	rm -f "$json"
	opts=(--build_dir="$build" --timeout=$((600 + 15 * smp)) --make_options="CC=ccache gcc" --json="$json")
	[ "$sub" = exec ] || opts+=("${kadd[@]}" --jobs="$JOBS")
	cmd=(python3 tools/testing/kunit/kunit.py "$sub"
		--kunitconfig="$kconf" "${archargs[@]}" "${opts[@]}")
	log "$lbl: ${cmd[*]}"
	set +e
	(cd "$tree" && PATH=${qemu_path-}$PATH "${cmd[@]}") >"$build/kunit.out" 2>&1
	rc=$?
	set -e

	# The verdict, from the kernel log alone (lab/kunit/judge.sh: the kernel's
	# KTAP parser, the checkers' reports of lab/lib/splats.txt, kunit.py's status).
	rows=$build/cases.txt
	"$here/judge.sh" --log "$build/test.log" --tree "$tree" --rc "$rc" >"$rows" 2>"$build/judge.err" || true
	# A run on N CPUs counts only if N came up: a machine that starts fewer
	# would pass with the per-CPU cases skipped. Every SMP kernel says how many
	# it brought up (kernel/smp.c).
	if [ "$smp" -gt 1 ]; then
		up=$(sed -n 's/.*smp: Brought up [0-9]* nodes*, \([0-9]*\) CPUs*.*/\1/p' "$build/test.log" 2>/dev/null | head -n 1)
		[ "$up" = "$smp" ] ||
			echo "FAIL cpus-online: $smp CPUs asked for, ${up:-an unknown number of} brought up" >>"$rows"
	fi
	splats=$(sed -n 's/^  kernel log: //p' "$build/judge.err")
	pass=$(grep -c '^PASS' "$rows" || true)
	fail=$(grep -c '^FAIL' "$rows" || true)
	if [ -n "$results" ]; then
		awk -v l="$lbl" '{ r = $1; sub(/^[A-Z]+ /, ""); print r " " l ": " $0 }' "$rows" >>"$results"
	fi

	if [ "$fail" -ne 0 ] || [ "$pass" -eq 0 ]; then
		tail -n 40 "$build/kunit.out" >&2
		if [ -n "$splats" ]; then
			printf '[lab] the kernel log (%s) reports:\n%s\n' "$build/test.log" "$splats" >&2
		fi
		[ "$repeat" = 1 ] || cp "$build/test.log" "$build/test.log.$lbl_n"
		log "$lbl: KUnit FAILED ($pass passed, $fail failed, kunit.py exit $rc; full output in $build/kunit.out)"
		return 1
	fi
	grep -E '^\[..:..:..\] (Testing complete|Elapsed time)' "$build/kunit.out" >&2 || true
	log "$lbl: KUnit $pass passed, 0 failed"
}

if [ "$repeat" = 1 ]; then
	lbl_n=1
	one_run run "$label" || exit 1
	exit 0
fi
failed=0
for ((lbl_n = 1; lbl_n <= repeat; lbl_n++)); do
	t0=$(date +%s)
	sub=exec
	[ "$lbl_n" != 1 ] || sub=run
	one_run "$sub" "$label run $lbl_n/$repeat" || failed=$((failed + 1))
	log "$label run $lbl_n/$repeat: $(($(date +%s) - t0)) s"
done
log "$label: $repeat runs, $((repeat - failed)) passed, $failed failed"
[ "$failed" = 0 ]
