# rramfs: top-level entry points.  The kernel build reads ./Kbuild; this
# file only drives it and the rig around it.
#
#   make            build rramfs.ko against KDIR (default: the cached test
#                   kernel, built on first use by tools/kernel/build.sh)
#   make run        set up, build, boot the SMAP VM with rramfs mounted, demo
#   make check      set up, build, run every test in the SMAP VM

#   make fuzz       the model-checked fuzzer (SEED=, SECS=, OPS=)
#   make mutants    break the module on purpose (tools/testing/mutants/)
#                   and check that the suite catches each (MUTANTS=...)
#   make bench      benchmarks (QUICK=1 for a smoke run); see
#                   Documentation/filesystems/rramfs-performance.rst
#   make attrib     where a bench case's instructions go, by kernel symbol
#                   (CASE="pwrite1 1 B", TOP=25; a QEMU plugin, TCG only)
#   make fstests    xfstests on rramfs and tmpfs side by side
#                   (XFSTESTS=/path/to/xfstests, FSTESTS="generic/001 ...")
#   make ktest      the suite under ktest (KTEST_DIR=/path/to/ktest,
#                   KTEST_TESTS="basic dio ...", KTEST_INJECT=1)
#   make fmtcheck   rustfmt check of the module and the tools
#   make clippy     build the module with CLIPPY=1
#   make install    modules_install into KDIR's module tree
#
# Useful variables: KDIR=/path/to/rust/enabled/kernel/build, KVER=7.3|6.12,
# FLAVOR=default|debug|bench|ktest, RRAMFS_ACCEL=tcg|kvm, T="test names" (make check).

SHELL := /bin/bash
ROOT := $(CURDIR)

ifeq ($(origin KDIR),undefined)
# Evaluated on first use only, so targets that need no kernel build none.
KDIR = $(eval KDIR := $(shell $(ROOT)/tools/kdir.sh))$(KDIR)
endif
# The kernel's Rust build wants Debian's rustc (with core source) and LLVM 19.
KMAKE = $(MAKE) -C $(KDIR) M=$(ROOT) $(shell $(ROOT)/tools/kmake-args.sh)

.PHONY: all kdir-stamp modules clean setup run check bench attrib fuzz mutants fstests ktest fmtcheck clippy install tests

all: modules

setup:
	@$(ROOT)/tools/setup.sh

# Kbuild cannot tell two builds of one kernel version apart (an M= build's
# command lines name the kernel tree only relatively), so a module built
# for another KDIR would be kept as up to date: remember the KDIR, and
# start clean when it changes.
kdir-stamp:
	@if [ "$$(cat .rramfs-kdir 2>/dev/null)" != "$(KDIR)" ]; then \
		$(KMAKE) clean >/dev/null 2>&1; echo "$(KDIR)" >.rramfs-kdir; fi

modules: kdir-stamp
	+$(KMAKE) modules

clippy: kdir-stamp
	+$(KMAKE) CLIPPY=1 modules

install:
	+$(KMAKE) modules_install

clean:
	+$(KMAKE) clean 2>/dev/null || true
	rm -f .rramfs-kdir
	rm -rf tools/testing/rramfs-tests/target

fmtcheck:
	@$(ROOT)/tools/fmtcheck.sh

run:
	@$(ROOT)/tools/run.sh

check:
	@$(ROOT)/tools/check.sh

bench:
	@$(ROOT)/tools/bench.sh

attrib:
	@ATTRIB=1 $(ROOT)/tools/bench.sh

fuzz:
	@$(ROOT)/tools/fuzz.sh

mutants:
	@$(ROOT)/tools/testing/mutants.sh

fstests:
	@$(ROOT)/tools/testing/fstests/fstests.sh

ktest:
	@$(ROOT)/tools/testing/ktest/ktest.sh

