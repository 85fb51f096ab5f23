# SPDX-License-Identifier: GPL-2.0
# kunit.py --qemu_config for the lab's many-vCPU x86_64 KUnit runs: a q35
# machine without an emulated IOMMU, software emulation (TCG). The suites
# work on domains of their own, so they need no IOMMU hardware; the emulated
# VT-d's start-up alone takes minutes with 64 vCPUs under TCG. kunit.sh
# gives the number of vCPUs (--qemu_args=-smp N).
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0',
			   extra_qemu_params=['-M', 'q35', '-m', '2048',
					      '-accel', 'tcg,thread=multi', '-cpu', 'max'])
