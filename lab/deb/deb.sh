#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Stage "deb": installable Debian kernel packages of the patched tree.
#
#   deb.sh [--flavour amd64|cloud-amd64] [--localmod] [--config-only] [--results FILE]
#
# Starts from Debian's own configuration of Linux 6.1 (package
# linux-config-6.1), adds the series' KUnit suite as a module, and builds
# linux-image/linux-headers packages with bindeb-pkg into $LAB_OUT/deb/.
# --localmod trims the configuration to the modules loaded on this machine
# (make localmodconfig), for a much shorter build. --config-only stops after
# checking the configuration: the full build takes hours on 2 cores.
. "$(dirname "$0")/../lib/lib.sh"
. "$LAB_DIR/lib/kbuild.sh"

flavour=amd64
localmod=0
config_only=0
results=
while [ $# -gt 0 ]; do
	case $1 in
	--flavour) flavour=$2; shift 2 ;;
	--localmod) localmod=1; shift ;;
	--config-only) config_only=1; shift ;;
	--results) results=$2; shift 2 ;;
	*) die "usage: deb.sh [--flavour amd64|cloud-amd64] [--localmod] [--config-only] [--results FILE]" ;;
	esac
done

record() {
	if [ -n "$results" ]; then echo "$1 $2" >>"$results"; fi
	log "$1 $2"
}

need_pkgs linux-config-6.1 gcc make flex bison bc libelf-dev libssl-dev xz-utils \
	dpkg-dev rsync kmod cpio debhelper
src=/usr/src/linux-config-6.1/config.${flavour}_none_${flavour#cloud-}.xz
[ "$flavour" = cloud-amd64 ] && src=/usr/src/linux-config-6.1/config.amd64_none_cloud-amd64.xz
[ -r "$src" ] || die "no Debian configuration $src (flavours: $(ls /usr/src/linux-config-6.1 | sed -n 's/^config\.amd64_none_\(.*\)\.xz$/\1/p' | tr '\n' ' '))"

work=$LAB_OUT/deb
# make check passes its own tree (LAB_SCRATCH_TREE) to save a checkout.
tree=${LAB_SCRATCH_TREE:-$work/tree}
out=$work/build
FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$tree" >/dev/null
mkdir -p "$out"
xz -dc "$src" >"$out/.config"

cfg() { "$tree/scripts/config" --file "$out/.config" "$@"; }
# Debian signs with its own keys, which are not in the tree: let the build
# make a throwaway key instead.
cfg --set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
    --set-str BUILD_SALT "iova-lab"
# The series' KUnit suite as a module, with its results in debugfs.
cfg --module KUNIT --enable KUNIT_DEBUGFS --module IOMMU_IOVA_KUNIT_TEST \
    --enable DMA_MAP_BENCHMARK
# The configuration is Debian's, not the guest kernel's (kbuild_config):
# edited with scripts/config, then olddefconfig; the make is the lab's
# (lab/lib/kbuild.sh: ccache, fixed build metadata).
kbuild_init "$tree" x86_64
mk=(kmake O="$out" -j"$JOBS" LOCALVERSION=-iova)
"${mk[@]}" -s olddefconfig >"$work/config.log" 2>&1 || {
	tail -20 "$work/config.log" >&2
	die "make olddefconfig failed (see $work/config.log)"
}
if [ "$localmod" = 1 ]; then
	lsmod >"$work/lsmod" 2>/dev/null ||
		die "--localmod needs the modules loaded on this machine, and lsmod cannot list them here (a container?); run it on the target machine, or build without --localmod"
	"${mk[@]}" -s LSMOD="$work/lsmod" localmodconfig >>"$work/config.log" 2>&1 </dev/null ||
		die "make localmodconfig failed (see $work/config.log)"
	cfg --module IOMMU_IOVA_KUNIT_TEST
	"${mk[@]}" -s olddefconfig >>"$work/config.log" 2>&1
fi

# What the series needs of the configuration must have survived olddefconfig.
bad=0
for want in CONFIG_IOMMU_IOVA=y CONFIG_IOMMU_DMA=y CONFIG_INTEL_IOMMU=y CONFIG_AMD_IOMMU=y \
	    CONFIG_IOMMU_IOVA_KUNIT_TEST=m CONFIG_DEBUG_FS=y CONFIG_DMA_MAP_BENCHMARK=y \
	    CONFIG_SLUB=y; do
	if grep -qx "$want" "$out/.config"; then
		record PASS "deb $flavour config: $want"
	else
		record FAIL "deb $flavour config: $want (have: $(grep "^${want%=*}=\|# ${want%=*} " "$out/.config"))"
		bad=1
	fi
done
[ "$bad" = 0 ] || exit 1
[ "$config_only" = 1 ] && exit 0

log "building Debian packages in $out (make bindeb-pkg; hours on 2 cores without --localmod)"
if ! "${mk[@]}" bindeb-pkg >"$work/build.log" 2>&1; then
	tail -30 "$work/build.log" >&2
	die "make bindeb-pkg failed (see $work/build.log)"
fi
log "packages:"
ls -1 "$work"/*.deb >&2
