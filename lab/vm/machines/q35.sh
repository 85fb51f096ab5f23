# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sourced: lab/vm/vm.sh reads the variables
# x86_64 without an IOMMU: q35 alone, for the many-vCPU KUnit runs only
# (lab/kunit/kunit.sh --arch x86_64 --smp N, N above 4). The suites work on
# domains of their own and need no IOMMU hardware; the emulated VT-d's
# start-up alone takes minutes with 64 vCPUs under TCG. No MACHINE_ARGS: the
# boot checks need an IOMMU, so run.sh does not boot it. The KUnit kernel is
# the same as on vtd (kunit.sh gives it the options of both machines).
# Variables: lab/vm/vm.sh.
MACHINE_ARCH=x86_64
MACHINE_QEMU=qemu-system-x86_64
MACHINE_KUNIT_ARGS=(-M q35 -cpu max)
MACHINE_KUNIT_CMDLINE="console=ttyS0"
MACHINE_KUNIT_KCONFIG=(
	CONFIG_SERIAL_8250=y
	CONFIG_SERIAL_8250_CONSOLE=y
)
