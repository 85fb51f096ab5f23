# SPDX-License-Identifier: GPL-2.0
# x86_64 with Intel VT-d: q35, an emulated intel-iommu with interrupt
# remapping. caching-mode=off in both modes: with caching-mode=on a 6.1 guest
# forces strict mode ("IOMMU batching disallowed due to virtualization").
MACHINE_ARCH=x86_64
MACHINE_QEMU=qemu-system-x86_64
MACHINE_ARGS=(-M q35,kernel-irqchip=split -cpu max
	-device intel-iommu,intremap=on,caching-mode=off)
MACHINE_CMDLINE="console=ttyS0 intel_iommu=on"
MACHINE_KVM=maybe
# What a lazy request gives: lazy (group type DMA-FQ), or forced-strict.
MACHINE_LAZY=lazy
