# SPDX-License-Identifier: GPL-2.0
# Configure and build a kernel: the one way the lab does it. Sourced after
# lab/lib/lib.sh, never run. Used by every script that compiles a kernel:
#
#   lab/vm/kernel.sh     the guest kernel of boot and stress
#   lab/bench/kernel.sh  the bench's three kernels
#   lab/gates/gates.sh   drivers/iommu/ with W=1 C=1 at every patch
#   lab/deb/deb.sh       Debian packages from Debian's configuration
#   lab/kunit/kunit.sh   kunit.py builds, configures and runs; only
#                        kbuild_env and KB_CC from here
#
#   kbuild_init TREE ARCH     kbuild_env TREE, and the arch (below)
#   kmake [O=DIR] ARGS...     make in TREE for the arch, through ccache
#   kbuild_config LABEL LOG CFG BUILD BASE... -- FRAGMENT...
#                             a checked configuration from fragments
#   kbuild_kernel LABEL OUT BUILD     kernel + modules into OUT
#   kbuild_dma_map_benchmark LABEL OUT   the static dma_map_benchmark

# kbuild_env TREE [BUILD]: stable build metadata and paths, so that ccache
# reuses objects across runs and across trees (init/version.o and friends
# too). ccache makes the absolute paths under its base folder relative to
# the compiler's folder, which is BUILD for an O= build: with BUILD given,
# the base is the deepest folder holding both, so that a clone elsewhere
# with the same layout (tree and build side by side, as in make check)
# hits the same objects; the build folder's own include paths would
# otherwise make every object a miss.
kbuild_env() {
	local base=$1
	if [ -n "${2:-}" ]; then
		while [ -n "$base" ] && [ "${2#"$base"/}" = "$2" ]; do
			base=${base%/*}
		done
		[ -n "$base" ] || base=$1
	fi
	export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 1970"
	export KBUILD_BUILD_USER=lab KBUILD_BUILD_HOST=lab
	export CCACHE_BASEDIR=$base CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=time_macros
}

# kbuild_init TREE ARCH: kbuild_env TREE, and for the lab arch ARCH (x86_64,
# arm64, cross-compiled): KB_TREE, KB_ARCH (make's ARCH=), KB_CROSS
# (CROSS_COMPILE=), KB_CC (the arch's gcc), KB_IMAGE (the image QEMU boots,
# relative to the build folder).
kbuild_init() {
	# Absolute: ccache refuses a relative CCACHE_BASEDIR (--tree out/tree).
	KB_TREE=$(cd "$1" && pwd) || die "kbuild: no tree $1"
	case $2 in
	x86_64) KB_ARCH=x86_64 KB_CROSS= KB_IMAGE=arch/x86/boot/bzImage ;;
	arm64) KB_ARCH=arm64 KB_CROSS=aarch64-linux-gnu- KB_IMAGE=arch/arm64/boot/Image ;;
	*) die "kbuild: the arches are x86_64 and arm64, not '$2'" ;;
	esac
	KB_CC=${KB_CROSS}gcc
	kbuild_env "$KB_TREE"
}

# kmake ARGS...: make in the tree for the arch, compiling through ccache.
kmake() {
	make -C "$KB_TREE" ARCH="$KB_ARCH" CROSS_COMPILE="$KB_CROSS" CC="ccache $KB_CC" "$@"
}

# kbuild_config LABEL LOG CFG BUILD BASE... -- FRAGMENT...: the configuration,
# made in a folder of its own (CFG): make's BASE targets in order (tinyconfig,
# kvm_guest.config, ...), the fragments merged on top by merge_config.sh,
# olddefconfig. Every option a fragment asks for ("CONFIG_X=v" or "# CONFIG_X
# is not set") must be in the result, or it dies naming the missing ones.
# The result goes to BUILD/.config only when it differs: an unchanged
# configuration leaves the build, and so its objects, untouched.
kbuild_config() {
	local label=$1 logf=$2 cfg=$3 build=$4 t want sym m
	local bases=() frags=() missing=()
	shift 4
	while [ $# -gt 0 ] && [ "$1" != -- ]; do bases+=("$1"); shift; done
	[ $# -eq 0 ] || shift
	frags=("$@")
	mkdir -p "$cfg" "$build"
	log "$label: configuring (${bases[*]} + ${frags[*]##*/})"
	for t in "${bases[@]}"; do
		logged "$logf" kmake O="$cfg" "$t"
	done
	logged "$logf" "$KB_TREE/scripts/kconfig/merge_config.sh" -m -O "$cfg" "$cfg/.config" "${frags[@]}"
	logged "$logf" kmake O="$cfg" olddefconfig
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
			log "$label: asked for '$m', .config has: $(grep -E "^(# )?${sym}[= ]" "$cfg/.config" || echo nothing)"
		done
		die "$label: ${#missing[@]} option(s) of ${frags[*]} did not make it into $cfg/.config (a dependency is off, or the symbol is renamed or gone in this tree): fix the fragment, or look with 'make -C $KB_TREE O=$cfg ARCH=$KB_ARCH menuconfig' (search with /)"
	fi
	cmp -s "$cfg/.config" "$build/.config" || cp "$cfg/.config" "$build/.config"
}

# kbuild_kernel LABEL OUT BUILD: the kernel and its modules, built in BUILD
# (log: OUT/build.log); the image copied to OUT/kernel, the modules installed
# (stripped) in OUT/modules. Sets KB_RELEASE.
kbuild_kernel() {
	local label=$1 out=$2 build=$3
	log "$label: building in $build (-j$JOBS; log $out/build.log)"
	logged "$out/build.log" kmake O="$build" -j"$JOBS" olddefconfig all ||
		die "$label: the kernel does not build; see $out/build.log"
	# shellcheck disable=SC2034 # for the caller
	KB_RELEASE=$(kmake O="$build" -s kernelrelease)
	rm -rf "$out/modules"
	logged "$out/modules.log" kmake O="$build" INSTALL_MOD_PATH="$out/modules" INSTALL_MOD_STRIP=1 modules_install ||
		die "$label: modules_install failed; see $out/modules.log"
	cp "$build/$KB_IMAGE" "$out/kernel"
}

# kbuild_dma_map_benchmark LABEL OUT: the tree's tools/testing/selftests/dma
# tool, static, for the guest: OUT/dma_map_benchmark. The kernel's include/
# would shadow the C library's headers, so the tool sees only a copy of
# map_benchmark.h.
kbuild_dma_map_benchmark() {
	local label=$1 out=$2 hdr src
	hdr=$KB_TREE/include/uapi/linux/map_benchmark.h
	[ -f "$hdr" ] || hdr=$KB_TREE/include/linux/map_benchmark.h
	mkdir -p "$out/include/linux"
	cp "$hdr" "$out/include/linux/map_benchmark.h"
	# tools/testing/selftests/dma/ up to 6.x, tools/dma/ in 7.3.
	src=$KB_TREE/tools/testing/selftests/dma/dma_map_benchmark.c
	[ -f "$src" ] || src=$KB_TREE/tools/dma/dma_map_benchmark.c
	logged "$out/benchmark.log" "$KB_CC" -static -O2 -Wall -I"$out/include" \
		-o "$out/dma_map_benchmark" "$src" ||
		die "$label: dma_map_benchmark does not build; see $out/benchmark.log"
}
