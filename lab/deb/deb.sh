#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Stage "deb": installable Debian kernel packages of the patched tree.
#
#   deb.sh [--arch amd64|arm64] [--flavour F] [--small | --localmod]
#          [--config-only] [--boot] [--results FILE]
#
# Starts from Debian's own configuration of the series' base (package
# linux-config-6.1, or linux-config-7.3 for SERIES=mainline), for amd64 or
# arm64 (cross-built), adds the series' KUnit suite as a module, and builds
# linux-image/linux-headers packages with bindeb-pkg into
# $LAB_OUT/deb/<arch>/. The flavour is Debian's (amd64: amd64, cloud-amd64,
# rt-amd64; arm64: arm64, arm64-16k, cloud-arm64, rt-arm64).
#
# linux-config-6.1 for amd64 is installed from the machine's apt sources;
# the others (6.1 for arm64, 7.3) are fetched with apt-get download and
# unpacked, never installed (lab/lib/lib.sh: suite_fetch).
#
# BTF: Debian's configurations build it (DEBUG_INFO_BTF), which needs pahole
# (package dwarves), 1.26 or newer for Linux 7.3. Bookworm has 1.24, and the
# lab does not install a newer one from another suite: when this machine's
# pahole is missing or older than the base wants, the packages are built
# without BTF, and the build says so.
#
#   --config-only  stop after checking the configuration (make check)
#   --small        not Debian's configuration but the lab guest's of the arch
#                  (lab/vm/kernel.sh: tinyconfig, the common fragment, the
#                  arch's machines, perf), which 2 cores build in minutes:
#                  the packaging and the boot of a package, without the
#                  hours of Debian's full build
#   --localmod     trim to the modules loaded on this machine instead
#   --boot         after the build, install the image package's files as
#                  dpkg would (dpkg-deb -x into a root), and boot its kernel
#                  with its modules in the lab's machine of the arch (amd64:
#                  VT-d, arm64: SMMUv3), loading the KUnit module
. "$(dirname "$0")/../lib/lib.sh"
. "$LAB_DIR/lib/kbuild.sh"
. "$LAB_DIR/vm/vm.sh"

arch=amd64
flavour=
small=0
localmod=0
config_only=0
boot=0
results=
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=$2; shift 2 ;;
	--flavour) flavour=$2; shift 2 ;;
	--small) small=1; shift ;;
	--localmod) localmod=1; shift ;;
	--config-only) config_only=1; shift ;;
	--boot) boot=1; shift ;;
	--results) results=$2; shift 2 ;;
	*) die "usage: deb.sh [--arch amd64|arm64] [--flavour F] [--small | --localmod] [--config-only] [--boot] [--results FILE]" ;;
	esac
done
case $arch in
amd64) karch=x86_64 machine=vtd ;;
arm64) karch=arm64 machine=smmuv3 ;;
*) die "--arch must be amd64 or arm64, not '$arch'" ;;
esac
flavour=${flavour:-$arch}
[ "$small" = 0 ] || [ "$localmod" = 0 ] || die "--small and --localmod are two ways to trim the configuration: pick one"

record() {
	if [ -n "$results" ]; then echo "$1 $2" >>"$results"; fi
	log "$1 $2"
}

# The build dependencies bindeb-pkg checks (7.3's: libdw-dev too).
need_pkgs gcc make flex bison bc libelf-dev libdw-dev libssl-dev xz-utils dpkg-dev rsync kmod cpio \
	debhelper dwarves
[ "$arch" = amd64 ] || need_pkgs gcc-aarch64-linux-gnu

work=$LAB_OUT/deb
# make check passes its own tree (LAB_SCRATCH_TREE) to save a checkout.
tree=${LAB_SCRATCH_TREE:-$work/tree}
out=$work/$arch/build
FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$tree" >/dev/null
mkdir -p "$out"

# The lab guest's configuration (--small), made and checked as
# lab/vm/kernel.sh makes it.
small_config() {
	local bases=(tinyconfig)
	kbuild_init "$tree" "$karch"
	machine_kconfig "$karch" >"$work/$arch/machines.config"
	[ "$karch" = x86_64 ] && bases+=(kvm_guest.config)
	kbuild_config "deb-$arch" "$work/$arch/config.log" "$work/$arch/config" "$out" "${bases[@]}" -- \
		"$VM_DIR/config/common.config" "$work/$arch/machines.config" "$VM_DIR/config/perf.config"
	record NOTE "deb $arch: --small: the lab guest's configuration, not Debian's"
}

debian_config() {
	# Debian's configurations of the base, for the arch: the folder that holds
	# them.
	cfgpkg=linux-config-$BASE_MAJOR
	if [ "$SERIES" = 6.1 ] && [ "$arch" = amd64 ]; then
		need_pkgs "$cfgpkg"
		cfgdir=/usr/src/$cfgpkg
	else
		# 6.1's configuration package comes from bookworm itself (the version
		# of its point release; the configuration of a security update is the
		# same), 7.3's from the base's suite.
		deb=$(suite_fetch "${BASE_SUITE:-bookworm}" "$cfgpkg" "$arch") || exit 1
		cfgdir=$LAB_CACHE/pkg-$(basename "$deb" .deb)
		if [ ! -d "$cfgdir/usr/src/$cfgpkg" ]; then
			rm -rf "$cfgdir.tmp"
			dpkg-deb -x "$deb" "$cfgdir.tmp" || die "cannot extract $deb (damaged download? remove it and rerun)"
			mv "$cfgdir.tmp" "$cfgdir"
		fi
		cfgdir=$cfgdir/usr/src/$cfgpkg
	fi
	src=$cfgdir/config.${arch}_none_$flavour.xz
	[ -r "$src" ] || die "no Debian configuration $src (flavours: $(ls "$cfgdir" | sed -n "s/^config\.${arch}_none_\(.*\)\.xz$/\1/p" | tr '\n' ' '))"

	xz -dc "$src" >"$work/$arch/debian.config"
	cp "$work/$arch/debian.config" "$out/.config"

	cfg() { "$tree/scripts/config" --file "$out/.config" "$@"; }
	# Debian signs with its own keys, which are not in the tree: let the build
	# make a throwaway key instead.
	cfg --set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
	    --set-str BUILD_SALT "iova-lab"
	# The series' KUnit suite as a module, with its results in debugfs.
	cfg --module KUNIT --enable KUNIT_DEBUGFS --module IOMMU_IOVA_KUNIT_TEST \
	    --enable DMA_MAP_BENCHMARK
	# BTF needs a pahole as new as the base wants (see above).
	need_pahole=124
	[ "$BASE_MAJOR" = 6.1 ] || need_pahole=126
	pahole=$(pahole --version 2>/dev/null | tr -dc '0-9' || true)
	btf_why=
	if grep -q '^CONFIG_DEBUG_INFO_BTF=y' "$out/.config" && [ "${pahole:-0}" -lt "$need_pahole" ]; then
		cfg --disable DEBUG_INFO_BTF
		have=missing
		[ -z "$pahole" ] || have=$((pahole / 100)).$((pahole % 100))
		btf_why="pahole $have here, Linux $BASE_MAJOR's BTF needs $((need_pahole / 100)).$((need_pahole % 100))"
	fi
	# The configuration is Debian's, not the guest kernel's (kbuild_config):
	# edited with scripts/config, then olddefconfig; the make is the lab's
	# (lab/lib/kbuild.sh: ccache, fixed build metadata).
	kbuild_init "$tree" "$karch"
	mk=(kmake O="$out" -j"$JOBS" LOCALVERSION=-iova)
	"${mk[@]}" -s olddefconfig >"$work/$arch/config.log" 2>&1 || {
		tail -20 "$work/$arch/config.log" >&2
		die "make olddefconfig failed (see $work/$arch/config.log)"
	}
	if [ "$localmod" = 1 ]; then
		lsmod >"$work/$arch/lsmod" 2>/dev/null ||
			die "--localmod needs the modules loaded on this machine, and lsmod cannot list them here (a container?); run it on the target machine, or use --small"
		"${mk[@]}" -s LSMOD="$work/$arch/lsmod" localmodconfig >>"$work/$arch/config.log" 2>&1 </dev/null ||
			die "make localmodconfig failed (see $work/$arch/config.log)"
		cfg --module KUNIT --module IOMMU_IOVA_KUNIT_TEST
		"${mk[@]}" -s olddefconfig >>"$work/$arch/config.log" 2>&1
	fi

	# What Debian builds and these packages do not, said plainly: BTF (above)
	# and Rust (Debian's 7.3 enables it; bookworm has no rustc/bindgen as new
	# as it wants, so olddefconfig drops it).
	for o in DEBUG_INFO_BTF RUST; do
		grep -qx "CONFIG_$o=y" "$work/$arch/debian.config" || continue
		! grep -qx "CONFIG_$o=y" "$out/.config" || continue
		case $o in
		DEBUG_INFO_BTF) why=${btf_why:-no debug info} ;;
		RUST) why="this machine's Rust toolchain is not the one Linux $BASE_MAJOR wants (make rustavailable)" ;;
		esac
		record NOTE "deb $arch: without CONFIG_$o, which Debian's configuration has: $why"
	done
}

mkdir -p "$work/$arch"
if [ "$small" = 1 ]; then
	small_config
else
	debian_config
fi
mk=(kmake O="$out" -j"$JOBS" LOCALVERSION=-iova)

# What the series needs of the configuration must have survived olddefconfig.
wants=(CONFIG_IOMMU_IOVA=y CONFIG_IOMMU_DMA=y CONFIG_IOMMU_IOVA_KUNIT_TEST=m CONFIG_DEBUG_FS=y
	CONFIG_DMA_MAP_BENCHMARK=y CONFIG_SLUB=y)
case $arch in
amd64) wants+=(CONFIG_INTEL_IOMMU=y CONFIG_AMD_IOMMU=y) ;;
arm64) wants+=(CONFIG_ARM_SMMU_V3=y) ;;
esac
bad=0
for want in "${wants[@]}"; do
	if grep -qx "$want" "$out/.config"; then
		record PASS "deb $arch config: $want"
	else
		record FAIL "deb $arch config: $want (have: $(grep "^${want%=*}=\|# ${want%=*} " "$out/.config"))"
		bad=1
	fi
done
[ "$bad" = 0 ] || exit 1
[ "$config_only" = 1 ] && exit 0

# Cross-built, the linux-headers package holds the kernel's scripts built
# for the target (its libssl-dev too: 7.3's bindeb-pkg checks for
# libssl-dev:arm64). The lab does not add a foreign architecture to this
# machine's dpkg: without that package, only the image (and libc headers).
if [ "$arch" != "$(dpkg --print-architecture)" ] &&
	grep -q 'nokernelheaders' "$tree/scripts/package/mkdebian" 2>/dev/null &&
	! dpkg-query -W -f='${Status}' "libssl-dev:$arch" 2>/dev/null | grep -q 'ok installed'; then
	export DEB_BUILD_PROFILES=pkg.linux-upstream.nokernelheaders
	log "NOTE: no linux-headers package: cross-built for $arch, it needs libssl-dev:$arch (dpkg --add-architecture $arch), which this machine lacks; build on an $arch machine for it"
fi
rm -f "$work/$arch"/*.deb "$work/$arch"/*.buildinfo "$work/$arch"/*.changes
log "building Debian packages for $arch in $out (make bindeb-pkg; $([ "$small" = 1 ] && echo "--small: minutes" || echo "hours") on 2 cores)"
t0=$(date +%s)
if ! "${mk[@]}" bindeb-pkg >"$work/$arch/build.log" 2>&1; then
	tail -30 "$work/$arch/build.log" >&2
	die "make bindeb-pkg failed (see $work/$arch/build.log)"
fi
# bindeb-pkg leaves the packages beside the build folder.
image=
for f in "$work/$arch"/linux-image-*.deb; do
	case $f in *-dbg_*) ;; *) [ -e "$f" ] && image=$f ;; esac
done
[ -n "$image" ] || die "make bindeb-pkg left no linux-image package in $work/$arch"
record PASS "deb $arch: packages built in $(($(date +%s) - t0)) s: $(cd "$work/$arch" && ls -1 ./*.deb | tr '\n' ' ')"
[ "$boot" = 1 ] || exit 0

# Install the image package as dpkg would (its files into a root), and boot
# its kernel with its modules.
root=$work/$arch/root
rm -rf "$root"
dpkg-deb -x "$image" "$root" || die "cannot unpack $image"
# The modules are in /lib/modules, or /usr/lib/modules where the kernel's
# packaging follows the merged /usr; the guest's init looks in /lib/modules.
moddir=$root/lib/modules
[ -d "$moddir" ] || moddir=$root/usr/lib/modules
kver=$(ls "$moddir" 2>/dev/null | head -n 1)
kimg=$root/boot/vmlinuz-$kver
[ -n "$kver" ] && [ -r "$kimg" ] || die "$image holds no /boot/vmlinuz and /lib/modules of one kernel"
mods=$work/$arch/modules
rm -rf "$mods"
mkdir -p "$mods/lib/modules"
cp -a "$moddir/$kver" "$mods/lib/modules/"
depmod -b "$mods" "$kver" || die "depmod failed on the modules of $image"
bootout=$work/$arch/boot
# The initramfs helper (gen_init_cpio) comes from the tree being booted.
export BOOT_TREE=$tree
if "$LAB_DIR/boot/boot.sh" --kernel "$kimg" --machine "$machine" --mode lazy \
	--modules "$mods" --steps info,iommu,kunit,fio,log --fio 3 \
	--out "$bootout" && grep -q '^kunit-module .*load=ok' "$bootout/results.txt"; then
	record PASS "deb $arch: $(basename "$image") boots on $machine and runs its KUnit module ($bootout/results.txt)"
else
	record FAIL "deb $arch: $(basename "$image") did not boot on $machine and run its KUnit module (console: $bootout/console.log)"
	exit 1
fi
