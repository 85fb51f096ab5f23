# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sourced: lab/vm/vm.sh reads the variables
# x86_64 with Intel VT-d: q35, an emulated intel-iommu with interrupt
# remapping. caching-mode=off in both modes: with caching-mode=on a 6.1 guest
# forces strict mode ("IOMMU batching disallowed due to virtualization").
# The machine of make boot, stress and bench (the x86_64 KUnit runs boot
# microvm.sh, without an IOMMU). Variables: lab/vm/vm.sh.
MACHINE_ARCH=x86_64
MACHINE_QEMU=qemu-system-x86_64
MACHINE_ARGS=(-M q35,kernel-irqchip=split -cpu max
	-device intel-iommu,intremap=on,caching-mode=off)
MACHINE_CMDLINE="console=ttyS0 intel_iommu=on"
# Interrupt remapping (intremap=on) needs IRQ_REMAP and x2APIC in the guest.
MACHINE_KCONFIG=(
	CONFIG_ACPI=y
	CONFIG_X86_X2APIC=y
	CONFIG_IRQ_REMAP=y
	CONFIG_INTEL_IOMMU=y
	CONFIG_SERIAL_8250=y
	CONFIG_SERIAL_8250_CONSOLE=y
)
MACHINE_KVM=maybe
# What a lazy request gives: lazy (group type DMA-FQ), or forced-strict.
MACHINE_LAZY=lazy

