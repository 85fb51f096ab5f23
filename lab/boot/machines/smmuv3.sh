# SPDX-License-Identifier: GPL-2.0
# arm64 with an SMMUv3: QEMU virt, always under TCG (cross-arch). arm64
# defaults to strict; the mode's iommu.strict= decides either way.
# pauth-impdef=on: QEMU's default pointer authentication algorithm is the
# slowest part of -cpu max under TCG.
MACHINE_ARCH=arm64
MACHINE_QEMU=qemu-system-aarch64
MACHINE_ARGS=(-M virt,iommu=smmuv3 -cpu max,pauth-impdef=on)
MACHINE_CMDLINE="console=ttyAMA0"
MACHINE_KVM=no
MACHINE_LAZY=lazy
