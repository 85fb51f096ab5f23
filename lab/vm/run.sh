#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The VM runner: boot one kernel on one machine with one workload, collect
# the results.
#
#   run.sh --machine vtd|amdvi|smmuv3 --kernel IMAGE --out DIR
#          [--mode lazy|strict] [--modules DIR] [--benchmark BIN] [--selftests DIR]
#          [--workload full|probe|FILE] [--steps a,b,...] [--fio S] [--bench S]
#          [--append "ARGS"] [--accel tcg|kvm|auto|icount] [--timeout S]
#          [--smp N] [--mem SIZE] [--spares N] [--interactive]
#
# --interactive (make shell): the console on this terminal (Ctrl-a x quits
# QEMU), a shell in the guest after the info and iommu steps, no time limit.
#
# The machine is lab/vm/machines/<name>.sh (see lab/vm/vm.sh). The
# initramfs is the base of initramfs.sh for the machine's arch plus a small
# archive made here: the init script, the modules (--modules: a
# modules_install folder), the static dma_map_benchmark, kselftests
# (--selftests DIR: becomes /lab/selftests; the step "selftest" runs
# iommu/iova_rcache.sh from it) and, for --workload FILE, that script as
# /lab/workload (run as the step "script": it may call result KEY k=v...).
# The guest gets an nvme disk backed by a file in DIR and a spare e1000e,
# 2 vCPUs, 1 GiB (--smp, --mem: QEMU's -smp and -m). --spares N gives it N
# spare e1000e, each in a domain of its own behind the IOMMU (the step
# wakeups uses them all; the others, the first).
#
# Writes into DIR: console.log (the serial console), qemu.log, results.txt
# (the guest's "LAB" lines without the prefix: "<what> key=value ..."),
# ktap-<suite>.txt, run.env (MACHINE, MODE, ACCEL, STATUS=ok|timeout|
# crashed, SECONDS, ...), qemu.cmd (the QEMU command line). Exits 0 when the guest printed its results,
# else 1 after showing the console's last lines.
#
# Accelerator: tcg by default (-accel tcg,thread=multi). The /dev/kvm of the
# lab machines is not a full KVM and a stock 6.1 guest dies under it, so
# --accel auto first boots a probe (the step info only) with KVM and uses KVM
# only if that passes (the verdict is kept in $LAB_OUT/boot/kvm-probe/ per
# machine and kernel); --accel kvm uses it without asking. --accel icount:
# TCG on one host thread with -icount shift=0,sleep=off,align=off: the guest's
# clock (and TSC) advances one nanosecond per guest instruction and jumps to
# the next timer when the guest idles, so what the guest measures with it is
# an instruction count, the same on every host (the bench's icount part).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/vm.sh"

machine=vtd mode=lazy kernel= modules= bench_bin= selftests= workload=full steps=
fio_s=10 bench_s=5 append= accel=${ACCEL:-tcg} timeout=${TIMEOUT:-} out=
smp=2 mem=1G spares=1 interactive=0
while [ $# -gt 0 ]; do
	case $1 in
	--machine) machine=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--modules) modules=$2; shift 2 ;;
	--benchmark) bench_bin=$2; shift 2 ;;
	--selftests) selftests=$2; shift 2 ;;
	--workload) workload=$2; shift 2 ;;
	--steps) steps=$2; shift 2 ;;
	--fio) fio_s=$2; shift 2 ;;
	--bench) bench_s=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--accel) accel=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--spares) spares=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	*) die "usage: run.sh --machine NAME --kernel IMAGE --out DIR [--mode lazy|strict] [--modules DIR] [--benchmark BIN] [--selftests DIR] [--workload full|probe|FILE] [--steps LIST] [--fio S] [--bench S] [--append ARGS] [--accel tcg|kvm|auto|icount] [--timeout S] [--smp N] [--mem SIZE] [--spares N]" ;;
	esac
done
need_machine "$machine"
mdef=$(machine_file "$machine")
# shellcheck disable=SC1090
. "$mdef"
case $mode in
lazy) mode_args="iommu.strict=0" ;;
strict) mode_args="iommu.strict=1" ;;
*) die "--mode must be lazy or strict, not '$mode'" ;;
esac
[ -n "$kernel" ] && [ -f "$kernel" ] || die "--kernel: no kernel image '$kernel' (lab/vm/kernel.sh --arch $MACHINE_ARCH builds one)"
[ -n "$out" ] || die "--out DIR is required"
case $spares in
''|*[!0-9]*|0) die "--spares must be a number from 1, not '$spares'" ;;
esac
case $workload in
full) ;;
probe) steps=${steps:-info} ;;
*) [ -f "$workload" ] || die "--workload must be full, probe or a script file, not '$workload'"
   steps=${steps:-info,iommu,script,log} ;;
esac
[ -n "$timeout" ] || timeout=$((240 + fio_s + 3 * bench_s))

case $MACHINE_ARCH in
x86_64) need_pkgs qemu-system-x86 ;;
arm64) need_pkgs qemu-system-arm ;;
esac
"$VM_DIR/initramfs.sh" --arch "$MACHINE_ARCH"
base=$BOOT_OUT/initramfs/$MACHINE_ARCH.cpio.gz

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/console.log "$out"/qemu.log "$out"/results.txt "$out"/ktap-*.txt "$out"/run.env

# The per-boot archive: init, modules, benchmark, workload, /dev/console.
ov=$out/overlay
rm -rf "$ov"
mkdir -p "$ov/usr/bin" "$ov/lab"
cp "$VM_DIR/init" "$ov/init"
chmod 755 "$ov/init"
splat_re >"$ov/lab/splats"
[ -z "$modules" ] || cp -a "$modules/lib" "$ov/" || die "--modules $modules has no lib/modules"
[ -z "$bench_bin" ] || cp "$bench_bin" "$ov/usr/bin/dma_map_benchmark"
[ -z "$selftests" ] || cp -r "$selftests" "$ov/lab/selftests"
case $workload in full|probe) ;; *) cp "$workload" "$ov/lab/workload" ;; esac
cpio_dir "$ov" "$out/overlay.cpio.gz" "dir /dev 0755 0 0" "nod /dev/console 0600 0 0 c 5 1"
rm -rf "$ov"
cat "$base" "$out/overlay.cpio.gz" >"$out/initrd.img"

# The nvme disk: a sparse file, read by fio with direct I/O.
[ -f "$out/disk.img" ] || truncate -s 512M "$out/disk.img"

qemu_cmd() {
	local acc=$1
	local cmd=("$MACHINE_QEMU" "${MACHINE_ARGS[@]}")
	case $acc in
	kvm) cmd+=(-accel kvm) ;;
	icount) cmd+=(-accel tcg,thread=single -icount shift=0,sleep=off,align=off) ;;
	*) cmd+=(-accel tcg,thread=multi) ;;
	esac
	cmd+=(-smp "$smp" -m "$mem" -display none -monitor none -no-reboot
		-serial "file:$out/console.log"
		-kernel "$kernel" -initrd "$out/initrd.img"
		-append "$MACHINE_CMDLINE $mode_args panic=-1 ${steps:+lab.steps=$steps }lab.fio=$fio_s lab.bench=$bench_s lab.kunit_module=$KUNIT_MODULE lab.kunit_suites=${KUNIT_SUITES// /,} $append"
		-drive "file=$out/disk.img,if=none,id=disk0,format=raw,cache=none,aio=threads"
		-device nvme,serial=lab0001,drive=disk0
		-nic none -device e1000e)
	local i
	for ((i = 1; i < spares; i++)); do cmd+=(-device e1000e); done
	# The e1000e has no network behind it (QEMU warns "has no peer"): it
	# is there to be unbound and given to dma_map_benchmark.
	printf '%q ' "${cmd[@]}"
}

if [ "$interactive" = 1 ]; then
	steps=${steps:-info,iommu,shell}
	cmd=$(qemu_cmd "$accel" | sed "s#-serial file:[^ ]*#-serial mon:stdio#")
	log "$machine $mode: booting $(basename "$kernel") with $accel; a shell follows on this console (Ctrl-a x quits QEMU)"
	eval "$cmd"
	exit 0
fi

# Boot; 0 when the guest printed its results block.
boot() {
	local acc=$1 tmo=$2 cmd rc start
	cmd=$(qemu_cmd "$acc")
	start=$(date +%s)
	set +e
	eval "timeout -k 10 $tmo $cmd" </dev/null >"$out/qemu.log" 2>&1
	rc=$?
	set -e
	SECS=$(($(date +%s) - start))
	QEMU_CMD=$cmd
	if grep -q '^LAB-RESULTS-END' "$out/console.log" 2>/dev/null; then
		STATUS=ok
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		STATUS=timeout
	else
		STATUS=crashed
	fi
	[ "$STATUS" = ok ]
}

if [ "$accel" = auto ]; then
	accel=tcg
	# The verdict is kept per machine and kernel image.
	probe=$BOOT_OUT/kvm-probe/$machine-$(cksum <"$kernel" | cut -d' ' -f1)
	if [ "$MACHINE_KVM" = no ]; then
		log "$machine: KVM cannot run a $MACHINE_ARCH guest on $(uname -m): TCG"
	elif [ ! -w /dev/kvm ]; then
		log "$machine: no usable /dev/kvm: falling back to TCG (software emulation)"
	elif [ -f "$probe" ]; then
		accel=$(cat "$probe")
		log "$machine: an earlier KVM probe of this kernel chose $accel ($probe)"
	else
		log "$machine: probe boot with KVM (30 s at most)"
		saved=$steps
		steps=info
		if boot kvm 30; then
			accel=kvm
			log "$machine: the KVM probe passed: using KVM"
		else
			log "$machine: the KVM probe failed ($STATUS after $SECS s; $out/kvm-probe.log): falling back to TCG (software emulation)"
		fi
		cp "$out/console.log" "$out/kvm-probe.log" 2>/dev/null || true
		cp "$out/qemu.log" "$out/kvm-probe.qemu.log" 2>/dev/null || true
		steps=$saved
		rm -f "$out/console.log"
		mkdir -p "$(dirname "$probe")"
		echo "$accel" >"$probe"
	fi
elif [ "$accel" = kvm ] && [ ! -w /dev/kvm ]; then
	die "--accel kvm: /dev/kvm is missing or not writable; use --accel tcg or auto"
elif [ "$accel" != tcg ] && [ "$accel" != kvm ] && [ "$accel" != icount ]; then
	die "--accel must be tcg, kvm, auto or icount, not '$accel'"
fi

log "$machine $mode: booting $(basename "$kernel") with $accel, workload $(basename "$workload")${steps:+ (steps $steps)} (time limit ${timeout} s; console: $out/console.log)"
ok=0
boot "$accel" "$timeout" || ok=1

# The results block, without the "LAB " prefix; KTAP blocks to files.
awk -v dir="$out" '
	/^LAB-RESULTS-BEGIN/ { inb = 1; next }
	/^LAB-RESULTS-END/ { inb = 0; next }
	inb && /^LAB-KTAP-BEGIN / { k = dir "/ktap-" $2 ".txt"; next }
	inb && /^LAB-KTAP-END/ { close(k); k = ""; next }
	inb && k != "" { print > k; next }
	inb && /^LAB / { sub(/^LAB /, ""); print > (dir "/results.txt") }
' "$out/console.log" 2>/dev/null | tr -d '\r' || true
[ -f "$out/results.txt" ] && sed -i 's/\r$//' "$out/results.txt"

cat >"$out/run.env" <<EOF
MACHINE=$machine
ARCH=$MACHINE_ARCH
MODE=$mode
MACHINE_LAZY=$MACHINE_LAZY
ACCEL=$accel
STATUS=$STATUS
SECONDS=$SECS
KERNEL=$kernel
MACHINE_DESC="$MACHINE_QEMU ${MACHINE_ARGS[*]}, $smp vCPUs, $mem memory, nvme + $spares e1000e"
EOF
echo "$QEMU_CMD" >"$out/qemu.cmd"
if [ "$ok" -ne 0 ]; then
	case $STATUS in
	timeout) log "$machine $mode: the guest did not finish within $timeout s and was killed; last console lines:" ;;
	*) log "$machine $mode: the guest stopped without printing its results (qemu: $(grep -v 'has no peer' "$out/qemu.log" 2>/dev/null | tail -n 1 || true)); last console lines:" ;;
	esac
	tail -n 40 "$out/console.log" >&2 2>/dev/null || true
	log "full console: $out/console.log; QEMU command in $out/qemu.cmd"
	exit 1
fi
log "$machine $mode: guest done in $SECS s ($accel); results in $out/results.txt"
