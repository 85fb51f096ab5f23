#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Bench: build one guest kernel, the bench module and dma_map_benchmark.
#
#   kernel.sh --name NAME --tree DIR [--build DIR] [--config FRAGMENT]
#
# The same configuration for every tree: tinyconfig, kvm_guest.config, then
# the guest kernel's fragments (lab/vm/config/common without the series'
# KUnit options: neither the base nor 6.12 has them, and the bench builds
# one configuration three times; the x86_64 machines' options, from
# lab/vm/machines/; perf), then lab/bench/bench.config. Every option asked
# for must survive olddefconfig on the tree, or the build stops and names
# the ones that did not (lab/lib/kbuild.sh). --config adds a fragment after
# all of them (the flush-queue part's function profiler: lab/bench/fq.config).
#
# Builds out of tree (O=) with ccache, in --build DIR (default: the build/
# folder below). bench.sh gives the base and the patched tree TREE/.lab-build:
# a subfolder of the tree makes Kbuild use the relative source path "..", so
# the two compile with the same paths and ccache serves the patched build
# from the base's objects. Leaves in $LAB_OUT/bench/kernels/NAME/:
#   kernel              bzImage
#   modules/            modules_install output plus extra/iova_bench.ko
#   dma_map_benchmark   the tree's tools/testing/selftests/dma tool, static
#   kernel.env          NAME, RELEASE, VERSION, IMAGE, MODULES, BENCHMARK, ...
. "$(dirname "$0")/../lib/lib.sh"
. "$LAB_DIR/lib/kbuild.sh"
. "$LAB_DIR/vm/vm.sh"

here=$(cd "$(dirname "$0")" && pwd)
name= tree= build= extra=
while [ $# -gt 0 ]; do
	case $1 in
	--name) name=$2; shift 2 ;;
	--tree) tree=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--config) extra=$2; shift 2 ;;
	*) die "usage: kernel.sh --name NAME --tree DIR [--build DIR] [--config FRAGMENT]" ;;
	esac
done
[ -n "$name" ] || die "kernel.sh: --name is required"
[ -f "$tree/Makefile" ] || die "no kernel tree at '$tree' (lab/bench/bench.sh makes the trees)"
tree=$(cd "$tree" && pwd)

need_pkgs gcc make flex bison bc ccache libelf-dev libssl-dev kmod libc6-dev

out=$LAB_OUT/bench/kernels/$name
cfg=$out/config
build=${build:-$out/build}
mkdir -p "$cfg" "$build"
build=$(cd "$build" && pwd)
need_space "$out" 3000

kbuild_init "$tree" x86_64

# 1. The configuration (lab/lib/kbuild.sh: checked, in a folder of its own).
grep -v -e KUNIT "$LAB_DIR/vm/config/common.config" >"$cfg/common-nokunit.config"
machine_kconfig x86_64 >"$cfg/machines.config"
kbuild_config "$name" "$out/config.log" "$cfg" "$build" tinyconfig kvm_guest.config -- \
	"$cfg/common-nokunit.config" "$cfg/machines.config" "$LAB_DIR/vm/config/perf.config" "$here/bench.config" \
	${extra:+"$extra"}

# 2. The kernel.
start=$(date +%s)
kbuild_kernel "$name" "$out" "$build"
rel=$KB_RELEASE
ver=$(kmake -s kernelversion)

# 3. The bench module, from a copy of lab/bench/module (M= writes there).
rm -rf "$out/module"
cp -r "$here/module" "$out/module"
logged "$out/module.log" kmake O="$build" M="$out/module" W=1 modules ||
	die "$name: lab/bench/module does not build against $tree; see $out/module.log"
mkdir -p "$out/modules/lib/modules/$rel/extra"
strip --strip-debug -o "$out/modules/lib/modules/$rel/extra/iova_bench.ko" "$out/module/iova_bench.ko"

# 4. dma_map_benchmark, static.
kbuild_dma_map_benchmark "$name" "$out"

cat >"$out/kernel.env" <<EOF
KERNEL_NAME=$name
KERNEL_VERSION=$ver
KERNEL_RELEASE=$rel
KERNEL_IMAGE=$out/kernel
KERNEL_MODULES=$out/modules
KERNEL_BENCHMARK=$out/dma_map_benchmark
KERNEL_TREE=$tree
KERNEL_COMMIT=$(git -C "$tree" rev-parse HEAD 2>/dev/null || echo none)
KERNEL_BUILD_SECONDS=$(($(date +%s) - start))
EOF
log "$name: Linux $ver ($rel) built in $(($(date +%s) - start)) s: $out/kernel"
