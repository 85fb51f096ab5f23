#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build gates: at every patch, drivers/iommu/ and mm/kmemleak.o (the series
# adds kmemleak_transient_leak()) build for x86_64 and arm64 (cross) with
# W=1 and sparse (C=1), and add no warning that the base does not have.
#
#   gates.sh [--arch x86_64|arm64|arm64-nopci] [--tip] [--results FILE]
#
# The configuration is the architecture's defconfig plus the IOMMU drivers
# the series touches, its KUnit suites and kmemleak (so that iova.c is
# built against kmemleak's real declarations, not its stubs). arm64-nopci
# is arm64 without PCI, with KUNIT_ALL_TESTS and SMMUv3: the series' tests
# must not select anything there that needs PCI, and no object of
# drivers/iommu/ may then refer to pci_bus_type, which would not link.
# x86_64 and arm64 build the rcache statistics (IOMMU_DEBUGFS), arm64-nopci
# the code without them. At each point every object of
# drivers/iommu/ is rebuilt (ccache makes unchanged files cheap and replays
# their warnings), so each point yields the complete list of warnings.
# Warnings are compared without line numbers, as a multiset, against the
# base. --tip checks only the last patch (the cheaper gate of make check).
. "$(dirname "$0")/../lib/lib.sh"
. "$LAB_DIR/lib/kbuild.sh"

arches=(x86_64 arm64 arm64-nopci)
tip=0
results=
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arches=("$2"); shift 2 ;;
	--tip) tip=1; shift ;;
	--results) results=$2; shift 2 ;;
	*) die "usage: gates.sh [--arch x86_64|arm64|arm64-nopci] [--tip] [--results FILE]" ;;
	esac
done

need_pkgs gcc make flex bison bc libelf-dev libssl-dev sparse ccache
work=$LAB_OUT/gates
# make check passes its own tree (LAB_SCRATCH_TREE) to save a checkout.
tree=${LAB_SCRATCH_TREE:-$work/tree}
FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$tree" >/dev/null
base=$(base_commit)
mapfile -t commits < <(git -C "$tree" rev-list --reverse "$base..$SERIES_BRANCH")
n=${#commits[@]}
points=("$base")
if [ "$tip" = 1 ]; then
	points+=("${commits[n - 1]}")
else
	points+=("${commits[@]}")
fi

record() {
	if [ -n "$results" ]; then echo "$1 $2" >>"$results"; fi
	log "$1 $2"
}

failed=0
for arch in "${arches[@]}"; do
	off=()
	case $arch in
	x86_64) defconfig=x86_64_defconfig
		opts=(INTEL_IOMMU AMD_IOMMU IRQ_REMAP IOMMU_DEBUGFS) ;;
	arm64) need_pkgs gcc-aarch64-linux-gnu
		defconfig=defconfig
		opts=(ARM_SMMU ARM_SMMU_V3 IOMMU_DEBUGFS) ;;
	arm64-nopci) need_pkgs gcc-aarch64-linux-gnu
		defconfig=defconfig
		opts=(ARM_SMMU_V3 KUNIT_ALL_TESTS) off=(PCI) ;;
	*) die "--arch must be x86_64, arm64 or arm64-nopci" ;;
	esac
	# The configuration is not the guest kernel's (kbuild_config): the
	# arch's defconfig with options switched on by scripts/config, remade
	# at every point; the make is the lab's (lab/lib/kbuild.sh).
	kbuild_init "$tree" "${arch%-nopci}"
	out=$work/$arch
	mk=(kmake O="$out" -j"$JOBS")
	i=0
	for c in "${points[@]}"; do
		git -C "$tree" checkout -q --detach "$c"
		if [ "$c" = "$base" ]; then
			point=base
		else
			i=$(git -C "$tree" rev-list --count "$base..$c")
			point="patch $i/$n"
		fi
		# (Re)configure at every point: a patch may add Kconfig options.
		mkdir -p "$out"
		"${mk[@]}" -s "$defconfig" >/dev/null
		args=()
		for o in "${opts[@]}" DEBUG_FS KUNIT IOMMU_IOVA_KUNIT_TEST IOMMU_DMA_KUNIT_TEST \
			DEBUG_KERNEL DEBUG_KMEMLEAK; do
			args+=(--enable "$o")
		done
		for o in "${off[@]}"; do
			args+=(--disable "$o")
		done
		"$tree/scripts/config" --file "$out/.config" "${args[@]}"
		"${mk[@]}" -s olddefconfig >/dev/null
		if [ ${#off[@]} -gt 0 ] && grep -q '^CONFIG_PCI=y' "$out/.config"; then
			record FAIL "gate $arch $point: CONFIG_PCI stays set (something selects it)"
			failed=1
			continue
		fi
		if ! "${mk[@]}" -s prepare >"$out/prepare.log" 2>&1; then
			tail -20 "$out/prepare.log" >&2
			record FAIL "gate $arch $point: make prepare"
			failed=1
			continue
		fi
		find "$out/drivers/iommu" -name '*.o' -delete 2>/dev/null || true
		rm -f "$out/mm/kmemleak.o"
		logf=$work/$arch-${point//[ \/]/-}.log
		if ! "${mk[@]}" W=1 C=1 drivers/iommu/ mm/kmemleak.o >"$logf" 2>&1; then
			grep -E 'error' "$logf" | head -20 >&2
			record FAIL "gate $arch $point: drivers/iommu/ and mm/kmemleak.o build with W=1 C=1 ($logf)"
			failed=1
			continue
		fi
		# Kbuild drops C=1 (with a warning of its own) when the tree's
		# scripts/checker-valid.sh finds sparse too old: Linux 7.3 wants one
		# that knows __typeof_unqual__, newer than any Debian release.
		how="W=1 C=1"
		if grep -q 'C=1 specified, but .* is not available or not up to date' "$logf"; then
			how="W=1 (no sparse)"
		fi
		if [ "$how" != "W=1 C=1" ] && [ "$point" = base ]; then
			record NOTE "gate $arch: $(sparse --version 2>/dev/null | head -n 1 | sed 's/^/sparse /') is too old for this tree (scripts/checker-valid.sh), so Kbuild skips sparse: W=1 only"
		fi
		# file: warning text, without line and column, one per line (none
		# is no error)
		{ grep -E '^[^ ]+:[0-9]+:([0-9]+:)? (warning|error):' "$logf" || true; } |
			sed -E 's/^([^:]+):[0-9]+:([0-9]+:)? /\1: /; s|^\.\./tree/||; s|^'"$tree"'/||' |
			sort >"$logf.warnings"
		if [ "$point" = base ]; then
			cp "$logf.warnings" "$work/$arch-base.warnings"
			log "gate $arch base: $(wc -l <"$logf.warnings") warnings in drivers/iommu/ and mm/kmemleak.o ($how)"
			continue
		fi
		new=$(comm -13 "$work/$arch-base.warnings" "$logf.warnings")
		if [ ${#off[@]} -gt 0 ]; then
			nopci=$(find "$out/drivers/iommu" -name '*.o' -exec "${KB_CROSS}nm" -uA {} + 2>/dev/null |
				grep -w pci_bus_type | sed "s|^$out/||" || true)
			if [ -n "$nopci" ]; then
				printf '%s\n' "$nopci" >&2
				record FAIL "gate $arch $point: without PCI, drivers/iommu/ refers to pci_bus_type and would not link: ${nopci%%$'\n'*}"
				failed=1
				continue
			fi
		fi
		if [ -z "$new" ]; then
			record PASS "gate $arch $point: drivers/iommu/ and mm/kmemleak.o build with $how, no new warning"
		else
			printf '%s\n' "$new" >&2
			record FAIL "gate $arch $point: new W=1/sparse warnings ($logf)"
			failed=1
		fi
	done
done
git -C "$tree" checkout -q "$SERIES_BRANCH"
exit $failed
