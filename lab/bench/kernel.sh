#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Bench: build one guest kernel, the bench module and dma_map_benchmark.
#
#   kernel.sh --name NAME --tree DIR [--build DIR]
#
# The same configuration for every tree: tinyconfig, kvm_guest.config, then
# the boot lab's fragments (lab/boot/config/common, x86_64, perf) without the
# series' KUnit options (neither the base nor 6.12 has them; the bench
# builds one configuration three times), then lab/bench/bench.config. Every
# option asked for must survive olddefconfig on the tree, or the build stops
# and names the ones that did not.
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
. "$(dirname "$0")/../lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
name= tree= build=
while [ $# -gt 0 ]; do
	case $1 in
	--name) name=$2; shift 2 ;;
	--tree) tree=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	*) die "usage: kernel.sh --name NAME --tree DIR [--build DIR]" ;;
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

export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 1970"
export KBUILD_BUILD_USER=lab KBUILD_BUILD_HOST=lab
export CCACHE_BASEDIR=$tree CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=time_macros
kmake() {
	make -C "$tree" ARCH=x86_64 CC="ccache gcc" "$@"
}

# 1. The configuration, in a folder of its own: an unchanged result leaves
# the build's .config, and so the build, untouched.
grep -v -e KUNIT "$LAB_TOP/lab/boot/config/common.config" >"$cfg/common-nokunit.config"
frags=("$cfg/common-nokunit.config" "$LAB_TOP/lab/boot/config/x86_64.config"
	"$LAB_TOP/lab/boot/config/perf.config" "$here/bench.config")
log "$name: configuring (tinyconfig + kvm_guest.config + common (no KUnit), x86_64, perf, bench)"
logged "$out/config.log" kmake O="$cfg" tinyconfig
logged "$out/config.log" kmake O="$cfg" kvm_guest.config
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
		log "$name: asked for '$m', .config has: $(grep -E "^(# )?$sym[= ]" "$cfg/.config" || echo nothing)"
	done
	die "$name: ${#missing[@]} option(s) did not survive olddefconfig on $tree (renamed or gone in this version, or a dependency is off): fix lab/bench/bench.config or the boot lab's fragments, or look with 'make -C $tree O=$cfg menuconfig'"
fi
cmp -s "$cfg/.config" "$build/.config" || cp "$cfg/.config" "$build/.config"

# 2. The kernel.
start=$(date +%s)
log "$name: building in $build (-j$JOBS; log $out/build.log)"
logged "$out/build.log" kmake O="$build" -j"$JOBS" olddefconfig all ||
	die "$name: the kernel does not build; see $out/build.log"
rel=$(kmake O="$build" -s kernelrelease)
ver=$(kmake -s kernelversion)
rm -rf "$out/modules"
logged "$out/modules.log" kmake O="$build" INSTALL_MOD_PATH="$out/modules" INSTALL_MOD_STRIP=1 modules_install ||
	die "$name: modules_install failed; see $out/modules.log"
cp "$build/arch/x86/boot/bzImage" "$out/kernel"

# 3. The bench module, from a copy of lab/bench/module (M= writes there).
rm -rf "$out/module"
cp -r "$here/module" "$out/module"
logged "$out/module.log" kmake O="$build" M="$out/module" W=1 modules ||
	die "$name: lab/bench/module does not build against $tree; see $out/module.log"
mkdir -p "$out/modules/lib/modules/$rel/extra"
strip --strip-debug -o "$out/modules/lib/modules/$rel/extra/iova_bench.ko" "$out/module/iova_bench.ko"

# 4. dma_map_benchmark, static, seeing only a copy of map_benchmark.h (the
# kernel's include/ would shadow the C library's headers).
hdr=$tree/include/uapi/linux/map_benchmark.h
[ -f "$hdr" ] || hdr=$tree/include/linux/map_benchmark.h
mkdir -p "$out/include/linux"
cp "$hdr" "$out/include/linux/map_benchmark.h"
logged "$out/benchmark.log" gcc -static -O2 -Wall -I"$out/include" \
	-o "$out/dma_map_benchmark" "$tree/tools/testing/selftests/dma/dma_map_benchmark.c" ||
	die "$name: dma_map_benchmark does not build; see $out/benchmark.log"

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
