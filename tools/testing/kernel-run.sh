#!/bin/bash
# make check's runs on a kernel other than the primary test kernel: the
# sanitizer flavor (KASAN, kmemleak, UBSAN, DEBUG_PAGEALLOC, fault
# injection; tools/kernel/debug.config) and the other supported version
# (6.12 LTS).  Builds (or finds) the kernel, builds the module against it
# out of a copy of the sources, runs the suite in the SMAP VM and prints
# result lines named NAME::..., then the verdict's lines for this run.
#
#   KVER=.. FLAVOR=.. kernel-run.sh OUT NAME [filters]
#       OUT: directory for this run's files; filters: the own suite's
#       names or groups (none: everything guest-check.sh runs, the
#       third-party suites included)
set -uo pipefail
. "$(dirname "$0")/../config.sh"
out=$1 name=$2
shift 2
FLAVOR=${FLAVOR:-default}
runner=$RRAMFS_ROOT/tools/testing/rramfs-tests/target/release/rramfs-tests
mkdir -p "$out"

result() { if [ "$2" = 1 ]; then echo "PASS $name::$1"; else echo "FAIL $name::$1: $3"; fi; }

if ! kdir=$(KVER=$KVER FLAVOR=$FLAVOR "$RRAMFS_ROOT/tools/kernel/build.sh" 2>"$out/kernel-build.log"); then
	result kernel_build 0 "the $KVER $FLAVOR kernel did not build (see $out/kernel-build.log)"
	exit 1
fi
# The tree's own rramfs.ko stays built for the primary kernel.
mod=$RRAMFS_CACHE/module-$KVER-$FLAVOR
if build_module_copy "$kdir" "$mod" >"$out/build.log" 2>&1; then
	result build::module 1
else
	result build::module 0 "see $out/build.log"
	exit 1
fi
if grep -q "warning:" "$out/build.log"; then
	result build::no_warnings 0 "compiler warnings in $out/build.log"
else
	result build::no_warnings 1
fi
# clippy with this kernel's lint set; then rustc's objects again.
if make -s -C "$kdir" M="$mod" "${KMAKE_ARGS[@]}" CLIPPY=1 modules >"$out/clippy.log" 2>&1 &&
	! grep -q "warning\|error" "$out/clippy.log"; then
	result build::clippy 1
else
	result build::clippy 0 "see $out/clippy.log"
fi
touch "$mod/rust/rramfs_main.rs"
make -s -C "$kdir" M="$mod" "${KMAKE_ARGS[@]}" modules >>"$out/build.log" 2>&1

export RRAMFS_FLAVOR=$FLAVOR
# shellcheck disable=SC2086
{
	"$runner" --list "$@" &&
		RRAMFS_ROOT=$RRAMFS_ROOT "$RRAMFS_ROOT/tools/testing/guest-check.sh" --list "$@"
} >"$out/expected.txt" || exit 1
[ "$FLAVOR" = debug ] && echo kernel::kmemleak >>"$out/expected.txt"
KDIR=$kdir RRAMFS_KO=$mod/rramfs.ko RRAMFS_VM_OUT=$out/vm "$RRAMFS_ROOT/tools/vm/run.sh" -- \
	"RRAMFS_FLAVOR=$FLAVOR $RRAMFS_ROOT/tools/testing/guest-check.sh $*" 2>&1 |
	tr -d '\r' >"$out/vm.log"
rc=${PIPESTATUS[0]}
{
	grep -E '^(PASS|FAIL|SKIP) ' "$out/vm.log"
	"$RRAMFS_ROOT/tools/testing/verdict.sh" complete "$out/expected.txt" "$out/vm.log" "$rc"
} | sed -E "s/^(PASS|FAIL|SKIP) /\\1 $name::/"
