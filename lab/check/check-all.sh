#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check-all: everything make check does, and what is too long for it:
# the x86_64 KUnit suites at every patch, the short stress run, the bench
# smoke and the mutants (check.sh with LEVEL=all), the boot check on the 3
# machines x 2 modes, the build gates at every patch (x86_64, arm64, arm64
# without PCI), and the stress runs of the debug kernel (all scenarios on
# VT-d, CPU hotplug under traffic on SMMUv3). Ends with "N passed, N
# failed".
. "$(dirname "$0")/../lib/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
results=$LAB_OUT/check-all-results
: >"$results"
start=$(date +%s)

LEVEL=all "$here/check.sh" || true
cat "$LAB_OUT/check/results" >>"$results"
"$LAB_DIR/boot/boot.sh" --check --all --results "$results" || true
"$LAB_DIR/gates/gates.sh" --results "$results" || true
if [ -x "$LAB_DIR/stress/stress.sh" ]; then
	"$LAB_DIR/stress/stress.sh" --all --results "$results" || true
fi

tally "$results" "$start"
