# SPDX-License-Identifier: GPL-2.0
# x86_64 with AMD-Vi: q35 and an emulated amd-iommu. QEMU's amd-iommu
# advertises NpCache, on which a 6.1 guest forces strict mode ("AMD-Vi: Using
# strict mode due to virtualization"): a lazy request runs strict here, and
# the report says so.
MACHINE_ARCH=x86_64
MACHINE_QEMU=qemu-system-x86_64
MACHINE_ARGS=(-M q35 -cpu max -device amd-iommu)
MACHINE_CMDLINE="console=ttyS0"
MACHINE_KVM=maybe
MACHINE_LAZY=forced-strict
