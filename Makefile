# SPDX-License-Identifier: GPL-2.0
# Front door of the lab. Each target is one stage: make X runs
# lab/<stage>/X.sh (base and export are stages of tree, maintainers of send,
# check-all of check; kunit-x86, boot-check, shell, bench-smoke and
# stress-check run their stage's script with an option). The scripts do the
# work and say what to do next when something is wrong. Layout: README.md.

LAB := lab

# SERIES=6.1|mainline selects the series and its base (lab/lib/lib.sh).
export SERIES
# The work tree of the series selected (lab/lib/lib.sh: out/ or out/mainline/).
TREE_DIR := out/$(if $(filter mainline,$(SERIES)),mainline/)tree

.PHONY: all help base tree export kunit kunit-x86 flakes gates deb check mutants clean distclean

## all: the main job: build the patched kernel, boot it on the emulated VT-d (lazy) with real DMA, print the report
all: boot

help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## base: install linux-source-6.1 if needed and import it as a git repository
base:
	@$(LAB)/tree/base.sh

## tree: make out/tree, the base with the series applied as commits (FORCE=1 discards edits)
tree:
	@$(LAB)/tree/tree.sh

## export: write the commits of out/tree back to the patch files in series/
export:
	@$(LAB)/tree/export.sh

## kunit: build a UML kernel from out/tree and run the series' KUnit suites
kunit:
	@[ -d $(TREE_DIR)/.git ] || $(LAB)/tree/tree.sh
	@$(LAB)/kunit/kunit.sh --arch um $(if $(SMP),--smp $(SMP))

## kunit-x86: the same on x86_64 under QEMU (microvm without an IOMMU: the suites use fake domains; 4 vCPUs, TCG), IOMMU_DMA suite included; SMP=N: N vCPUs
kunit-x86:
	@[ -d $(TREE_DIR)/.git ] || $(LAB)/tree/tree.sh
	@$(LAB)/kunit/kunit.sh --arch x86_64 $(if $(SMP),--smp $(SMP))

## flakes: the x86_64 suites RUNS=20 times in a row while LOAD=2 kernel builds load the host (SMP=4 vCPUs; KASAN=1: with KASAN); the tally
flakes:
	@[ -d $(TREE_DIR)/.git ] || $(LAB)/tree/tree.sh
	@$(LAB)/kunit/flakes.sh $(if $(RUNS),--runs $(RUNS)) $(if $(LOAD),--load $(LOAD)) $(if $(SMP),--smp $(SMP)) $(if $(KASAN),--kasan)

## check: the test command: lab self-test, apply + export round trip, checkpatch, KUnit at every patch (x86_64 at the tip), deb config, mail round trip, the bench's icount boot, and the same for the mainline series (README: what runs where; STAGES=a,b: only those)
check:
	@$(LAB)/check/check.sh

## gates: at every patch, drivers/iommu/ builds for x86_64 and arm64 with W=1 C=1 and adds no warning
gates:
	@$(LAB)/gates/gates.sh

## deb: Debian kernel packages of the patched tree from Debian's own config of the base (DEB_ARCH=amd64|arm64; SMALL=1: the lab guest's config, minutes on 2 cores; BOOT=1: boot the package in QEMU; LOCALMOD=1: localmodconfig; CONFIG_ONLY=1)
deb:
	@$(LAB)/deb/deb.sh $(if $(DEB_ARCH),--arch $(DEB_ARCH)) $(if $(filter 1,$(SMALL)),--small) $(if $(filter 1,$(BOOT)),--boot) $(if $(filter 1,$(LOCALMOD)),--localmod) $(if $(filter 1,$(CONFIG_ONLY)),--config-only)

## mutants: break the series on purpose (lab/mutants/diffs/) and check the tests notice
mutants:
	@$(LAB)/mutants/mutants.sh

## clean: remove builds and logs (keeps out/tree, which may hold your work)
clean:
	rm -rf out/uml out/kunit-um out/kunit-x86_64 out/check out/mutants out/*.log out/export.*

## distclean: remove everything the lab made in the repo, out/tree included
distclean:
	@if [ -d out/tree/.git ] && [ -n "$$(git -C out/tree status --porcelain --untracked-files=no)" ]; then \
		echo "out/tree has uncommitted changes; commit and 'make export' them first"; exit 1; fi
	rm -rf out

.PHONY: send roundtrip maintainers

## maintainers: regenerate .b4-config (To: the list, Cc: the maintainers) with get_maintainer.pl and the base's MAINTAINERS
maintainers:
	@$(LAB)/send/maintainers.sh

## send: dry run of mailing the series as you (git user.name/email): sign-off, checkpatch, git send-email --dry-run; SEND=1 really sends
send:
	@$(LAB)/send/send.sh

## roundtrip: mail the series to a local SMTP server, git am the mails onto the base, compare with the series tree (RESULTS=FILE appends)
roundtrip:
	@$(LAB)/roundtrip/roundtrip.sh $(if $(RESULTS),--results $(RESULTS))

.PHONY: boot boot-check check-all shell

## shell: the patched kernel booted on an emulated IOMMU with a shell on this terminal (MACHINE=vtd|amdvi|smmuv3 MODE=lazy|strict; Ctrl-a x quits)
shell:
	@$(LAB)/boot/boot.sh --shell $(if $(MACHINE),--machine $(MACHINE)) $(if $(MODE),--mode $(MODE)) $(if $(APPEND),--append "$(APPEND)")

## boot: build the patched kernel, boot it on an emulated IOMMU with nvme + DMA benchmark, print a report (MACHINE=vtd|amdvi|smmuv3 MODE=lazy|strict APPEND="kernel args"; FLAVOR=perf: no lockdep/kmemleak; ACCEL=auto: KVM if a probe boot passes)
boot:
	@$(LAB)/boot/boot.sh $(if $(MACHINE),--machine $(MACHINE)) $(if $(MODE),--mode $(MODE)) $(if $(APPEND),--append "$(APPEND)")

# SERIES=mainline works in out/mainline/ (lab/lib/lib.sh).
BOOT_RESULTS := out/$(if $(filter mainline,$(SERIES)),mainline/)boot/check-results

## boot-check: the short boot check (VT-d, lazy mode), PASS/FAIL lines in out/boot/check-results (SERIES=mainline: out/mainline/boot/)
boot-check:
	@rm -f $(BOOT_RESULTS)
	@mkdir -p $(dir $(BOOT_RESULTS))
	@$(LAB)/boot/boot.sh --check --results $(BOOT_RESULTS)

## check-all: make check, plus the boot check on 3 machines x 2 modes, build gates at every patch, the full stress runs
check-all:
	@$(LAB)/check/check-all.sh

.PHONY: bench bench-smoke

## bench: kernels side by side on the VT-d machine; BENCH=wall (default: timed scenarios, ratios in one run) | icount (instructions per operation under QEMU -icount) | all | fq (the flush queue's timeout, 1 of 64 CPUs) | scale (2, 8 and 64 vCPUs: SCALE_CPUS; SCALE_ACCEL=icount, SCALE_SCEN) | idle (the idle trim's trade-off in instructions: IDLE_PERIODS, IDLE_GAPS); KERNELS="base patched v6.12 v7.3 mainline" (v7.3 and mainline: not for wall); ROUNDS=N
bench:
	@$(LAB)/bench/bench.sh $(if $(ROUNDS),--rounds $(ROUNDS)) $(if $(KERNELS),--kernels "$(KERNELS)")

## bench-smoke: one short round of the bench's scenarios 1-4 on the patched kernel (RESULTS=FILE appends PASS/FAIL lines)
bench-smoke:
	@$(LAB)/bench/bench.sh --smoke $(if $(RESULTS),--results $(RESULTS))

.PHONY: stress stress-check

## stress: the series under KASAN, lockdep, kmemleak, DMA-API debug, debugobjects and failslab: CPU hotplug, driver rebind + group type switch, failslab, KUnit (MACHINE=vtd|amdvi|smmuv3; CHECK=1: the short run; ALL=1: VT-d + SMMUv3; RESULTS=FILE)
stress:
	@$(LAB)/stress/stress.sh $(if $(MACHINE),--machine $(MACHINE)) $(if $(filter 1,$(CHECK)),--check) $(if $(filter 1,$(ALL)),--all) $(if $(RESULTS),--results $(RESULTS))

## stress-check: the short stress run (KUnit + 10 CPU hotplug cycles under traffic, VT-d, debug kernel), PASS/FAIL lines in out/stress/check-results
stress-check:
	@rm -f out/stress/check-results
	@$(LAB)/stress/stress.sh --check --results out/stress/check-results
