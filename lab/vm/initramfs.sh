#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The guests' base initramfs, from Debian packages only.
#
#   initramfs.sh [--arch x86_64|arm64]
#
# Writes $LAB_OUT/boot/initramfs/<arch>.cpio.gz: busybox (busybox-static) and
# fio with every shared library it needs. What depends on the kernel (the
# init script, modules, dma_map_benchmark) goes into a second, small archive
# that run.sh appends at each boot.
#
# x86_64 takes busybox and fio from this machine (installing them if
# missing). arm64 takes the arm64 builds of the same packages: they are
# fetched with 'apt-get download' (after 'dpkg --add-architecture arm64')
# into $LAB_CACHE/debs-arm64 and unpacked with dpkg-deb -x, never installed.
# Which packages fio needs is read from this machine's own fio: the same
# Debian release links both builds against the same libraries.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/vm.sh"

arch=x86_64
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=$2; shift 2 ;;
	*) die "usage: initramfs.sh [--arch x86_64|arm64]" ;;
	esac
done
tri=$(triplet "$arch")
need_pkgs busybox-static fio binutils gzip

out=$BOOT_OUT/initramfs
img=$out/$arch.cpio.gz
mkdir -p "$out"

# The Debian packages whose files fio loads: those of the libraries that
# this machine's fio (amd64) needs, found by DT_NEEDED like add_elf does.
fio_packages() {
	local tmp=$out/host-closure p f
	rm -rf "$tmp"
	add_elf / /usr/bin/fio "$tmp" x86_64-linux-gnu
	for f in "$tmp"/lib/x86_64-linux-gnu/*; do
		f=$(basename "$f")
		for p in "/lib/x86_64-linux-gnu/$f" "/usr/lib/x86_64-linux-gnu/$f"; do
			dpkg -S "$p" 2>/dev/null && break
		done
	done | cut -d: -f1 | sort -u
	rm -rf "$tmp"
}

# Rebuild only when this script or a package version changed.
pkgs=(busybox-static fio)
[ "$arch" = arm64 ] && mapfile -t -O 2 pkgs < <(fio_packages)
stamp=$( { cat "$0" "$VM_DIR/vm.sh"; echo "$arch"
	for p in "${pkgs[@]}"; do dpkg-query -W -f='${Package} ${Version}\n' "$p" 2>/dev/null || echo "$p"; done; } | sha256sum | cut -c1-16)
if [ -f "$img" ] && [ "$(cat "$img.stamp" 2>/dev/null)" = "$stamp" ]; then
	log "initramfs $arch: up to date ($img)"
	exit 0
fi

sysroot=/
if [ "$arch" = arm64 ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		log "adding the arm64 architecture to dpkg, to download (not install) arm64 packages"
		dpkg --add-architecture arm64
		apt-get update -q >"$out/apt-update.log" 2>&1 ||
			die "apt-get update failed after 'dpkg --add-architecture arm64'; see $out/apt-update.log"
	fi
	debs=$LAB_CACHE/debs-arm64
	mkdir -p "$debs"
	want=()
	for p in "${pkgs[@]}"; do
		v=$(apt-cache policy "$p:arm64" | sed -n 's/^  Candidate: //p')
		[ -n "$v" ] && [ "$v" != "(none)" ] ||
			die "Debian has no arm64 build of $p (apt-cache policy $p:arm64); run 'apt-get update' and retry"
		ls "$debs/${p}_${v//:/%3a}_arm64.deb" >/dev/null 2>&1 || want+=("$p:arm64=$v")
	done
	if [ ${#want[@]} -gt 0 ]; then
		log "initramfs arm64: apt-get download ${#want[@]} arm64 packages into $debs"
		(cd "$debs" && apt-get download -q "${want[@]}") >"$out/apt-download.log" 2>&1 ||
			die "apt-get download failed; see $out/apt-download.log (after 'apt-get update', the versions may have moved on)"
	fi
	sysroot=$out/sysroot-arm64
	rm -rf "$sysroot"
	mkdir -p "$sysroot"
	for p in "${pkgs[@]}"; do
		v=$(apt-cache policy "$p:arm64" | sed -n 's/^  Candidate: //p')
		dpkg-deb -x "$debs/${p}_${v//:/%3a}_arm64.deb" "$sysroot" ||
			die "cannot unpack $debs/${p}_${v//:/%3a}_arm64.deb (delete it and retry)"
	done
fi

root=$out/$arch-root
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib,etc,usr/bin,sbin,usr/sbin,root}
cp "$sysroot/bin/busybox" "$root/bin/busybox"
add_elf "$sysroot" /usr/bin/fio "$root" "$tri"
# Applets are linked at boot (busybox --install), so one busybox list serves
# both arches.
log "initramfs $arch: busybox $(dpkg-query -W -f='${Version}' busybox-static), fio $(dpkg-query -W -f='${Version}' fio), $(find "$root/lib" -type f | wc -l) libraries; writing $img"
cpio_dir "$root" "$img"
echo "$stamp" >"$img.stamp"
rm -rf "$root"
[ "$arch" = arm64 ] && rm -rf "$sysroot"
log "initramfs $arch: $(du -h "$img" | cut -f1) $img"
