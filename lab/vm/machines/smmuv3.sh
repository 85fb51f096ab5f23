# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sourced: lab/vm/vm.sh reads the variables
# arm64 with an SMMUv3: QEMU virt, always under TCG (cross-arch). arm64
# defaults to strict; the mode's iommu.strict= decides either way.
# pauth-impdef=on: QEMU's default pointer authentication algorithm is the
# slowest part of -cpu max under TCG. Variables: lab/vm/vm.sh.
MACHINE_ARCH=arm64
MACHINE_QEMU=qemu-system-aarch64
MACHINE_ARGS=(-M virt,iommu=smmuv3 -cpu max,pauth-impdef=on)
MACHINE_CMDLINE="console=ttyAMA0"
# virt's PCI host bridge, the SMMUv3, the console on the PL011 UART.
MACHINE_KCONFIG=(
	CONFIG_PCI_HOST_GENERIC=y
	CONFIG_ARM_SMMU_V3=y
	CONFIG_SERIAL_AMBA_PL011=y
	CONFIG_SERIAL_AMBA_PL011_CONSOLE=y
)
MACHINE_KVM=no
MACHINE_LAZY=lazy
