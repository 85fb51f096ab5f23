#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The guest kernel of boot and stress: build it, its modules and
# dma_map_benchmark.
#
#   kernel.sh [--arch x86_64|arm64] [--flavor debug|perf] [--tree DIR]
#             [--fragment FILE]... [--out DIR]
#
# Config: tinyconfig, then kvm_guest.config (x86_64), then the fragments in
# lab/vm/config/ (common, the flavor's) with the kernel options of the
# arch's machines (MACHINE_KCONFIG of lab/vm/machines/*.sh) between them,
# then any --fragment (lab/stress/stress.sh adds its debug options this way).
# Every option the fragments ask for must be in the final .config, or the
# build stops and names the ones that are missing (lab/lib/kbuild.sh). Builds
# out of tree with ccache into $LAB_OUT/boot/<arch>-<flavor>/ (or --out DIR)
# and leaves there:
#   kernel          the image QEMU boots (bzImage or Image)
#   modules/        modules_install output (lib/modules/<release>/...)
#   dma_map_benchmark   tools/testing/selftests/dma (7.3: tools/dma), static,
#                   for the guest
#   selftests/      tools/testing/selftests/iommu of the tree, if it has one,
#                   its scripts installed with the kselftest runner
#   kernel.env      KERNEL_ARCH, KERNEL_IMAGE, KERNEL_RELEASE, KERNEL_FLAVOR
. "$(dirname "$0")/../lib/lib.sh"
. "$LAB_DIR/lib/kbuild.sh"
. "$LAB_DIR/vm/vm.sh"

here=$(cd "$(dirname "$0")" && pwd)
arch=x86_64
flavor=${FLAVOR:-debug}
tree=$LAB_OUT/boot/tree
extra=() out=
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=$2; shift 2 ;;
	--flavor) flavor=$2; shift 2 ;;
	--tree) tree=$2; shift 2 ;;
	--fragment) extra+=("$2"); shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) die "usage: kernel.sh [--arch x86_64|arm64] [--flavor debug|perf] [--tree DIR] [--fragment FILE]... [--out DIR]" ;;
	esac
done
case $arch in
x86_64|arm64) ;;
*) die "--arch must be x86_64 or arm64, not '$arch'" ;;
esac
case $flavor in
debug|perf) ;;
*) die "--flavor must be debug or perf, not '$flavor'" ;;
esac
[ -f "$tree/Makefile" ] || die "no kernel tree at $tree: run 'FORCE=1 lab/tree/tree.sh --tree $tree' (or make boot, which does)"

need_pkgs gcc make flex bison bc ccache libelf-dev kmod libc6-dev
[ "$arch" = arm64 ] && need_pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross

[ -n "$out" ] || out=$LAB_OUT/boot/$arch-$flavor
cfg=$out/config
build=$out/build
mkdir -p "$cfg" "$build"
need_space "$out" 3000

kbuild_init "$tree" "$arch"
# ccache's depend mode, as this build has always used.
export CCACHE_DEPEND=1

# 1. The configuration (lab/lib/kbuild.sh: checked, in a folder of its own).
machine_kconfig "$arch" >"$out/machines.config"
bases=(tinyconfig)
[ "$arch" = x86_64 ] && bases+=(kvm_guest.config)
frags=("$here/config/common.config" "$out/machines.config" "$here/config/$flavor.config" "${extra[@]}")
kbuild_config "$arch-$flavor" "$out/config.log" "$cfg" "$build" "${bases[@]}" -- "${frags[@]}"

# 2. The kernel and its modules, and dma_map_benchmark.
start=$(date +%s)
kbuild_kernel "$arch-$flavor" "$out" "$build"
rel=$KB_RELEASE
[ -n "$(find "$out/modules/lib/modules/$rel" -name "$KUNIT_MODULE.ko*")" ] ||
	die "$arch-$flavor: $KUNIT_MODULE.ko was not built (is CONFIG_IOMMU_IOVA_KUNIT_TEST=m in the tree's Kconfig?)"
kbuild_dma_map_benchmark "$arch-$flavor" "$out"

# The series' kselftest of the IOVA caches, where the tree has it, installed
# with the kselftest runner (run_kselftest.sh), which the guest runs. Only
# the scripts (TEST_PROGS): the iommufd tests beside it in 7.3 are C programs
# (TEST_GEN_PROGS) that need libcap and the installed uapi headers, and the
# guest does not run them.
rm -rf "$out/selftests"
if [ -d "$tree/tools/testing/selftests/iommu" ]; then
	logged "$out/selftests.log" make -C "$tree/tools/testing/selftests" ARCH="$KB_ARCH" \
		CROSS_COMPILE="$KB_CROSS" TARGETS=iommu TEST_GEN_PROGS= \
		INSTALL_PATH="$out/selftests" install ||
		die "$arch-$flavor: the iommu kselftests do not install; see $out/selftests.log"
	[ -x "$out/selftests/run_kselftest.sh" ] ||
		die "$arch-$flavor: make install of the kselftests made no run_kselftest.sh (see $out/selftests.log)"
fi

cat >"$out/kernel.env" <<EOF
KERNEL_ARCH=$arch
KERNEL_FLAVOR=$flavor
KERNEL_IMAGE=$out/kernel
KERNEL_MODULES=$out/modules
KERNEL_RELEASE=$rel
KERNEL_BENCHMARK=$out/dma_map_benchmark
KERNEL_SELFTESTS=$([ -d "$out/selftests" ] && echo "$out/selftests")
KERNEL_TREE=$tree
KERNEL_COMMIT=$(git -C "$tree" rev-parse HEAD 2>/dev/null || echo unknown)
KERNEL_BUILD_SECONDS=$(($(date +%s) - start))
EOF
log "$arch-$flavor: $rel built in $(($(date +%s) - start)) s: $out/kernel"
