#!/bin/bash
# make check's sanitizer run: the project's own suite, the fuzzer and the
# fault-injection tests on the debug kernel flavor (KASAN, kmemleak, UBSAN,
# DEBUG_PAGEALLOC, fault injection; tools/kernel/debug.config).  Prints
# result lines named debug::..., then the verdict's lines for this run.
#
#   debug-run.sh OUT [filters]   OUT: directory for this run's files
set -uo pipefail
. "$(dirname "$0")/../config.sh"
out=$1
shift
groups=${*:-basic write options namespace files dio edges fuzz race faults}
runner=$RRAMFS_ROOT/tools/testing/rramfs-tests/target/release/rramfs-tests
mkdir -p "$out"

result() { if [ "$2" = 1 ]; then echo "PASS $1"; else echo "FAIL $1: $3"; fi; }

if ! dkdir=$(FLAVOR=debug "$RRAMFS_ROOT/tools/kernel/build.sh"); then
	result debug::kernel_build 0 "the debug kernel did not build"
	exit 1
fi
# The module, built against the debug kernel out of a copy of its sources
# (the tree's own rramfs.ko stays built for the default kernel).
mod=$RRAMFS_CACHE/debug-module
rm -rf "$mod"
mkdir -p "$mod"
cp -r "$RRAMFS_ROOT/Kbuild" "$RRAMFS_ROOT/rust" "$mod/"
if make -s -C "$dkdir" M="$mod" "${KMAKE_ARGS[@]}" modules >"$out/build.log" 2>&1 && [ -f "$mod/rramfs.ko" ]; then
	result debug::build::module 1
else
	result debug::build::module 0 "see $out/build.log"
	exit 1
fi

# shellcheck disable=SC2086
RRAMFS_FLAVOR=debug "$runner" --list $groups >"$out/expected.txt" || exit 1
echo kernel::kmemleak >>"$out/expected.txt"
KDIR=$dkdir RRAMFS_KO=$mod/rramfs.ko RRAMFS_VM_OUT=$out/vm "$RRAMFS_ROOT/tools/vm/run.sh" -- \
	"RRAMFS_FLAVOR=debug $RRAMFS_ROOT/tools/testing/guest-check.sh $groups" 2>&1 |
	tr -d '\r' >"$out/vm.log"
rc=${PIPESTATUS[0]}
{
	grep -E '^(PASS|FAIL|SKIP) ' "$out/vm.log"
	"$RRAMFS_ROOT/tools/testing/verdict.sh" complete "$out/expected.txt" "$out/vm.log" "$rc"
} | sed -E 's/^(PASS|FAIL|SKIP) /\1 debug::/'
