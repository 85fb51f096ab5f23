#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot lab: build the guest kernel, its modules and dma_map_benchmark.
#
#   kernel.sh [--arch x86_64|arm64] [--flavor debug|perf] [--tree DIR]
#             [--fragment FILE]... [--out DIR]
#
# Config: tinyconfig, then kvm_guest.config (x86_64), then the fragments in
# lab/boot/config/ (common, the arch's, the flavor's), then any --fragment
# (lab/stress.sh adds its debug options this way). Every option the
# fragments ask for must be in the final .config, or the build stops and
# names the ones that are missing. Builds out of tree with ccache into
# $LAB_OUT/boot/<arch>-<flavor>/ (or --out DIR) and leaves there:
#   kernel          the image QEMU boots (bzImage or Image)
#   modules/        modules_install output (lib/modules/<release>/...)
#   dma_map_benchmark   tools/testing/selftests/dma, static, for the guest
#   selftests/      tools/testing/selftests/iommu of the tree, if it has one,
#                   installed with the kselftest runner
#   kernel.env      KERNEL_ARCH, KERNEL_IMAGE, KERNEL_RELEASE, KERNEL_FLAVOR
. "$(dirname "$0")/../lib.sh"

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
x86_64) karch=x86_64 cross= image=arch/x86/boot/bzImage ;;
arm64) karch=arm64 cross=aarch64-linux-gnu- image=arch/arm64/boot/Image ;;
*) die "--arch must be x86_64 or arm64, not '$arch'" ;;
esac
case $flavor in
debug|perf) ;;
*) die "--flavor must be debug or perf, not '$flavor'" ;;
esac
[ -f "$tree/Makefile" ] || die "no kernel tree at $tree: run 'FORCE=1 lab/tree.sh --tree $tree' (or make boot, which does)"

need_pkgs gcc make flex bison bc ccache libelf-dev kmod libc6-dev
[ "$arch" = arm64 ] && need_pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross

[ -n "$out" ] || out=$LAB_OUT/boot/$arch-$flavor
cfg=$out/config
build=$out/build
mkdir -p "$cfg" "$build"
need_space "$out" 3000

# Stable build metadata and paths let ccache reuse objects across trees.
export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 1970"
export KBUILD_BUILD_USER=lab KBUILD_BUILD_HOST=lab
export CCACHE_BASEDIR=$tree CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=time_macros CCACHE_DEPEND=1
kmake() {
	make -C "$tree" ARCH="$karch" CROSS_COMPILE="$cross" CC="ccache ${cross}gcc" "$@"
}

# 1. The configuration, made in a folder of its own so that an unchanged
# result leaves the build's .config (and so the build) untouched.
frags=("$here/config/common.config" "$here/config/$arch.config" "$here/config/$flavor.config" "${extra[@]}")
log "$arch-$flavor: configuring (tinyconfig$([ "$arch" = x86_64 ] && echo ' + kvm_guest.config') + ${frags[*]##*/})"
logged "$out/config.log" kmake O="$cfg" tinyconfig
[ "$arch" = x86_64 ] && logged "$out/config.log" kmake O="$cfg" kvm_guest.config
logged "$out/config.log" "$tree/scripts/kconfig/merge_config.sh" -m -O "$cfg" "$cfg/.config" "${frags[@]}"
logged "$out/config.log" kmake O="$cfg" olddefconfig
missing=()
while read -r want; do
	case $want in
	CONFIG_*=*) grep -qxF "$want" "$cfg/.config" || missing+=("$want") ;;
	"# CONFIG_"*" is not set")
		sym=${want#\# }; sym=${sym%% *}
		grep -q "^$sym=" "$cfg/.config" && missing+=("$want") ;;
	esac
done < <(cat "${frags[@]}")
if [ ${#missing[@]} -gt 0 ]; then
	for m in "${missing[@]}"; do
		sym=${m#\# }; sym=${sym%%[= ]*}
		log "asked for '$m', .config has: $(grep -E "^(# )?$sym[= ]" "$cfg/.config" || echo nothing)"
	done
	die "$arch-$flavor: ${#missing[@]} option(s) of lab/boot/config/ did not make it into $cfg/.config (a dependency is off, or the symbol does not exist in this tree): add the dependency to the fragment, or look with 'make -C $tree O=$cfg ARCH=$karch menuconfig' (search with /)"
fi
cmp -s "$cfg/.config" "$build/.config" || cp "$cfg/.config" "$build/.config"

# 2. The kernel and its modules.
start=$(date +%s)
log "$arch-$flavor: building in $build (-j$JOBS; log $out/build.log)"
logged "$out/build.log" kmake O="$build" -j"$JOBS" olddefconfig all ||
	die "$arch-$flavor: the kernel does not build; see $out/build.log"
rel=$(kmake O="$build" -s kernelrelease)
rm -rf "$out/modules"
logged "$out/modules.log" kmake O="$build" INSTALL_MOD_PATH="$out/modules" INSTALL_MOD_STRIP=1 modules_install ||
	die "$arch-$flavor: modules_install failed; see $out/modules.log"
[ -n "$(find "$out/modules/lib/modules/$rel" -name 'iova-test.ko*')" ] ||
	die "$arch-$flavor: iova-test.ko was not built (is CONFIG_IOMMU_IOVA_KUNIT_TEST=m in the tree's Kconfig?)"
cp "$build/$image" "$out/kernel"

# 3. dma_map_benchmark, static. The kernel's include/ would shadow the C
# library's headers, so the tool sees only a copy of map_benchmark.h.
hdr=$tree/include/uapi/linux/map_benchmark.h
[ -f "$hdr" ] || hdr=$tree/include/linux/map_benchmark.h
mkdir -p "$out/include/linux"
cp "$hdr" "$out/include/linux/map_benchmark.h"
logged "$out/benchmark.log" "${cross}gcc" -static -O2 -Wall -I"$out/include" \
	-o "$out/dma_map_benchmark" "$tree/tools/testing/selftests/dma/dma_map_benchmark.c" ||
	die "$arch-$flavor: dma_map_benchmark does not build; see $out/benchmark.log"

# The series' kselftest of the IOVA caches, where the tree has it, installed
# with the kselftest runner (run_kselftest.sh), which the guest runs.
rm -rf "$out/selftests"
if [ -d "$tree/tools/testing/selftests/iommu" ]; then
	logged "$out/selftests.log" make -C "$tree/tools/testing/selftests" ARCH="$karch" \
		CROSS_COMPILE="$cross" TARGETS=iommu INSTALL_PATH="$out/selftests" install ||
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
