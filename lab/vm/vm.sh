# SPDX-License-Identifier: GPL-2.0
# The VM library: the QEMU machines (lab/vm/machines/) and the helpers of the
# scripts that build and boot guests (lab/vm/*.sh, and the stages that boot:
# boot, stress, bench; kunit reads the machines). Sourced after
# lab/lib/lib.sh, never run.
#
# The guests' builds go to $BOOT_OUT (default $LAB_OUT/boot: initramfs,
# gen_init_cpio, KVM probe verdicts, the boot stage's kernels and runs), and
# gen_init_cpio comes from the tree $BOOT_TREE; bench points both elsewhere.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BOOT_OUT=${BOOT_OUT:-$LAB_OUT/boot}
BOOT_TREE=${BOOT_TREE:-$BOOT_OUT/tree}

# A machine is lab/vm/machines/NAME.sh, sourced. It sets:
#   MACHINE_ARCH       the lab arch of its guests (x86_64, arm64)
#   MACHINE_QEMU       the QEMU binary
#   MACHINE_ARGS       QEMU's machine, CPU and IOMMU options (run.sh adds
#                      accelerator, vCPUs, memory, console, disk and NIC)
#   MACHINE_CMDLINE    the kernel command line the machine needs
#   MACHINE_KCONFIG    the kernel options the machine needs (vm/kernel.sh
#                      builds one guest kernel per arch with those of all the
#                      arch's machines)
#   MACHINE_KVM        maybe | no: whether --accel auto may try KVM
#   MACHINE_LAZY       lazy | forced-strict: what a lazy request gives
# and, for the machines KUnit runs on (lab/kunit/kunit.sh writes kunit.py's
# --qemu_config from them), a KUnit variant:
#   MACHINE_KUNIT_ARGS, MACHINE_KUNIT_CMDLINE, MACHINE_KUNIT_KCONFIG
# A machine without MACHINE_ARGS (microvm) is KUnit's only and cannot be booted
# by run.sh.

# machine_file NAME: the definition of a machine; dies naming those there are.
machine_file() {
	[ -f "$VM_DIR/machines/$1.sh" ] ||
		die "no machine '$1': the machines are $(cd "$VM_DIR/machines" && ls | sed 's/\.sh$//' | tr '\n' ' ')"
	echo "$VM_DIR/machines/$1.sh"
}

# boot_machines: the machines run.sh boots (those with MACHINE_ARGS).
boot_machines() {
	local f
	for f in "$VM_DIR"/machines/*.sh; do
		# shellcheck disable=SC1090
		(. "$f" && [ -n "${MACHINE_ARGS+set}" ]) && basename "$f" .sh
	done
	return 0
}

# need_machine NAME: die, naming the machines there are, unless NAME is one
# run.sh can boot.
need_machine() {
	boot_machines | grep -qx -- "$1" ||
		die "no machine '$1' to boot: the machines are $(boot_machines | tr '\n' ' ')"
}

# machine_arch NAME: the lab arch (x86_64, arm64) of a machine.
machine_arch() {
	local f
	f=$(machine_file "$1")
	# shellcheck disable=SC1090
	(. "$f" && echo "$MACHINE_ARCH")
}

# machine_kconfig ARCH: a config fragment with the kernel options of every
# bootable machine of ARCH (MACHINE_KCONFIG), each once: one guest kernel per
# arch boots on all of them.
machine_kconfig() {
	local m f
	echo "# The kernel options of the $1 machines (lab/vm/machines/*.sh: MACHINE_KCONFIG)"
	for m in $(boot_machines); do
		f=$VM_DIR/machines/$m.sh
		# shellcheck disable=SC1090
		(. "$f" && [ "$MACHINE_ARCH" = "$1" ] && printf '%s\n' "${MACHINE_KCONFIG[@]}") || true
	done | awk '!seen[$0]++'
}

# Debian's multiarch triplet of a lab arch.
triplet() {
	case $1 in
	x86_64) echo x86_64-linux-gnu ;;
	arm64) echo aarch64-linux-gnu ;;
	*) die "unknown arch '$1'" ;;
	esac
}

# The kernel's usr/gen_init_cpio, built from the tree: it writes an initramfs
# archive from a list, owner root and device nodes included, without root.
gen_init_cpio() {
	local bin=$BOOT_OUT/bin/gen_init_cpio src=$BOOT_TREE/usr/gen_init_cpio.c
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		[ -f "$src" ] || die "$src is missing: make the tree first (FORCE=1 lab/tree/tree.sh --tree $BOOT_TREE)"
		mkdir -p "$(dirname "$bin")"
		gcc -O2 -o "$bin" "$src" || die "cannot build $src with gcc"
	fi
	"$bin" "$@"
}

# cpio_dir DIR OUT [LINE...]: a gzipped initramfs archive of DIR's contents
# (as /), plus gen_init_cpio lines such as "nod /dev/console 0600 0 0 c 5 1".
cpio_dir() {
	local dir=$1 out=$2 spec
	shift 2
	spec=$out.list
	{
		(cd "$dir" && find . -mindepth 1 | LC_ALL=C sort) | while read -r p; do
			p=${p#.}
			if [ -L "$dir$p" ]; then
				echo "slink $p $(readlink "$dir$p") 0777 0 0"
			elif [ -d "$dir$p" ]; then
				echo "dir $p 0755 0 0"
			else
				echo "file $p $dir$p $(stat -c %a "$dir$p") 0 0"
			fi
		done
		printf '%s\n' "$@"
	} >"$spec"
	gen_init_cpio -t 0 "$spec" | gzip -n -6 >"$out.tmp" || die "cannot write $out"
	mv "$out.tmp" "$out"
}

# add_elf SYSROOT FILE DEST: copy an ELF program of SYSROOT into the image
# root DEST with the shared libraries it needs (recursively, by DT_NEEDED)
# and its dynamic loader. Works for a foreign arch: readelf reads any ELF.
add_elf() {
	local sysroot=$1 file=$2 dest=$3 tri=$4 interp lib
	mkdir -p "$dest$(dirname "$file")"
	cp -L "$sysroot$file" "$dest$file"
	interp=$(readelf -l "$sysroot$file" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	[ -z "$interp" ] && return 0
	mkdir -p "$dest$(dirname "$interp")"
	[ -e "$dest$interp" ] || cp -L "$sysroot$interp" "$dest$interp" ||
		die "$file needs the loader $interp, not found in $sysroot"
	local todo=("$sysroot$file") seen=" " f found d runpath
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		# RUNPATH (librados: /usr/lib/<triplet>/ceph) is searched too; the
		# copy goes to /lib/<triplet>, which the loader searches anyway.
		runpath=$(readelf -d "$f" | sed -n 's/.*(R.*PATH).*\[\(.*\)\]/\1/p' | tr ':' ' ')
		for lib in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			case $seen in *" $lib "*) continue ;; esac
			seen="$seen$lib "
			found=
			for d in "lib/$tri" "usr/lib/$tri" lib usr/lib lib64 $runpath; do
				if [ -e "$sysroot/$d/$lib" ]; then found=$sysroot/$d/$lib; break; fi
			done
			[ -n "$found" ] || die "$file needs $lib, not found in $sysroot (is the package that has it in the list of initramfs.sh?)"
			mkdir -p "$dest/lib/$tri"
			[ -e "$dest/lib/$tri/$lib" ] || cp -L "$found" "$dest/lib/$tri/$lib"
			todo+=("$found")
		done
	done
}
