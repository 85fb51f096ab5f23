# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sourced: lab/vm/vm.sh reads the variables
# x86_64 with AMD-Vi: q35 and an emulated amd-iommu. QEMU's amd-iommu
# advertises NpCache, on which a 6.1 guest forces strict mode ("AMD-Vi: Using
# strict mode due to virtualization"): a lazy request runs strict here, and
# the report says so. Variables: lab/vm/vm.sh.
MACHINE_ARCH=x86_64
MACHINE_QEMU=qemu-system-x86_64
MACHINE_ARGS=(-M q35 -cpu max -device amd-iommu)
MACHINE_CMDLINE="console=ttyS0"
MACHINE_KCONFIG=(
	CONFIG_ACPI=y
	CONFIG_X86_X2APIC=y
	CONFIG_IRQ_REMAP=y
	CONFIG_AMD_IOMMU=y
	CONFIG_SERIAL_8250=y
	CONFIG_SERIAL_8250_CONSOLE=y
)
MACHINE_KVM=maybe
MACHINE_LAZY=forced-strict
