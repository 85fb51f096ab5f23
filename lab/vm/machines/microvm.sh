# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sourced: lab/vm/vm.sh reads the variables
# x86_64 without an IOMMU, for the KUnit runs only (lab/kunit/kunit.sh
# --arch x86_64 [--smp N]): QEMU's microvm without ACPI. The suites work on
# domains of their own and need no IOMMU hardware, no firmware tables and no
# devices: QEMU itself writes the MP table that starts the secondary CPUs
# (SeaBIOS's, on q35 without ACPI, lists one CPU only), and nothing waits
# for an emulated VT-d to start (minutes with 64 vCPUs under TCG). No
# MACHINE_ARGS: the boot checks need an IOMMU, so run.sh does not boot it.
# Variables: lab/vm/vm.sh.
MACHINE_ARCH=x86_64
MACHINE_QEMU=qemu-system-x86_64
MACHINE_KUNIT_ARGS=(-M microvm,acpi=off -cpu max)
# reboot=t: kunit.py ends the run with a reboot (QEMU -no-reboot exits);
# without ACPI or a keyboard controller only a triple fault does it at
# once (with 64 vCPUs the default order did not get there).
MACHINE_KUNIT_CMDLINE="console=ttyS0 reboot=t"
# The console on the 8250 UART, and PCI (the IOMMU_DMA suite's Kconfig
# wants it; there is no PCI bus). The rest only trims what kunit.py's
# olddefconfig would build and nothing here uses: no ACPI, no block layer,
# no VT or input, no io_uring, no sleep states, no MCE, no guest paravirt,
# no mitigations (EXPERT makes the block, VT, input and io_uring options
# settable). A third fewer objects to compile than the default
# configuration: a cold make check compiles this kernel once per series.
MACHINE_KUNIT_KCONFIG=(
	CONFIG_SERIAL_8250=y
	CONFIG_SERIAL_8250_CONSOLE=y
	CONFIG_PCI=y
	CONFIG_EXPERT=y
	'# CONFIG_ACPI is not set'
	'# CONFIG_BLOCK is not set'
	'# CONFIG_VT is not set'
	'# CONFIG_INPUT is not set'
	'# CONFIG_IO_URING is not set'
	'# CONFIG_SUSPEND is not set'
	'# CONFIG_HIBERNATION is not set'
	'# CONFIG_X86_MCE is not set'
	'# CONFIG_HYPERVISOR_GUEST is not set'
	'# CONFIG_CPU_MITIGATIONS is not set'
	'# CONFIG_FTRACE is not set'
	'# CONFIG_PROFILING is not set'
	'# CONFIG_SECURITY is not set'
	'# CONFIG_AUDIT is not set'
	'# CONFIG_MULTIUSER is not set'
)
