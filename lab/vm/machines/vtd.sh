# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sourced: lab/vm/vm.sh reads the variables
# x86_64 with Intel VT-d: q35, an emulated intel-iommu with interrupt
# remapping. caching-mode=off in both modes: with caching-mode=on a 6.1 guest
# forces strict mode ("IOMMU batching disallowed due to virtualization").
# The machine of make boot, stress and bench, and (its KUnit variant below)
# of the x86_64 KUnit runs. Variables: lab/vm/vm.sh.
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

# The KUnit variant (lab/kunit/kunit.sh --arch x86_64, up to 4 vCPUs): the
# same q35 with an intel-iommu, but as the KUnit runs have always had it:
# no kernel-irqchip=split and no intremap=on (the KUnit kernel has no
# IRQ_REMAP), QEMU's default caching mode (off, as above). Kept apart from
# the boot flags on purpose: the KUnit results and their cached keys stay
# those of this machine. kunit.sh adds -accel tcg,thread=multi and -smp.
MACHINE_KUNIT_ARGS=(-M q35 -device intel-iommu -cpu max)
MACHINE_KUNIT_CMDLINE="console=ttyS0 intel_iommu=on"
# SMP and NR_CPUS are KUnit's own (lab/kunit/x86_64.config); PCI with MSI
# and ACPI (the DMAR table) carry the VT-d; DEFAULT_ON as well as
# intel_iommu=on; the console on the 8250 UART.
MACHINE_KUNIT_KCONFIG=(
	CONFIG_PCI=y
	CONFIG_PCI_MSI=y
	CONFIG_ACPI=y
	CONFIG_INTEL_IOMMU=y
	CONFIG_INTEL_IOMMU_DEFAULT_ON=y
	CONFIG_SERIAL_8250=y
	CONFIG_SERIAL_8250_CONSOLE=y
)
