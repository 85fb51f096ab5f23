# SPDX-License-Identifier: GPL-2.0
# kunit.py --qemu_config for the lab's x86_64 KUnit runs: a q35 machine with
# an emulated VT-d (intel-iommu), software emulation (TCG). kunit.sh gives
# the number of vCPUs (--qemu_args=-smp N).
# Loaded by tools/testing/kunit/kunit.py, which resolves the import below.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0 intel_iommu=on',
			   extra_qemu_params=['-M', 'q35', '-device', 'intel-iommu',
					      '-accel', 'tcg,thread=multi', '-cpu', 'max'])
