#!/bin/bash
# `make mutants`: the suite must catch a broken module.  Each patch in
# tools/testing/mutants/ breaks rramfs the way a real bug would (a missing
# unpin, i_rwsem not held across a DIO write, an off-by-one in a page
# index, a fatal signal ignored, an error path that leaks a reservation).
# For each, rramfs is built with the patch and the tests its header names
# run in the SMAP VM on its kernel flavor; at least one check must FAIL.
# A mutant that passes everything shows a hole in the suite, and fails
# this run.  One line per mutant:
#   PASS mutants::NAME: caught by <the first failing check>
#   FAIL mutants::NAME: survived (...)
#
#   MUTANTS="name ..."   only these (the patch names without .patch)
#
# Patch headers: "Mutant:" what it breaks, "Flavor:" default or debug
# (fault injection needs debug), "Tests:" the suite's tests to run.
set -uo pipefail
. "$(dirname "$0")/../config.sh"
cd "$RRAMFS_ROOT"
"$RRAMFS_ROOT/tools/setup.sh" || die "setup failed"
cargo build -q --release --manifest-path tools/testing/rramfs-tests/Cargo.toml ||
	die "the test program did not build"
out=$RRAMFS_CACHE/last-mutants
rm -rf "$out"
mkdir -p "$out"
failed=0 n=0
for patch in "$RRAMFS_ROOT"/tools/testing/mutants/*.patch; do
	name=$(basename "$patch" .patch)
	if [ -n "${MUTANTS:-}" ] && [[ " $MUTANTS " != *" $name "* ]]; then
		continue
	fi
	n=$((n + 1))
	flavor=$(sed -n 's/^Flavor: //p' "$patch")
	tests=$(sed -n 's/^Tests: //p' "$patch")
	if [ -z "$flavor" ] || [ -z "$tests" ]; then
		echo "FAIL mutants::$name: the patch has no Flavor: or Tests: line"
		failed=1
		continue
	fi
	if ! kdir=$(KVER=$KVER FLAVOR=$flavor "$RRAMFS_ROOT/tools/kernel/build.sh" 2>"$out/$name.kernel.log"); then
		echo "FAIL mutants::$name: the $KVER $flavor kernel did not build ($out/$name.kernel.log)"
		failed=1
		continue
	fi
	mod=$RRAMFS_CACHE/mutant-$name
	if ! build_module_copy "$kdir" "$mod" "$patch" >"$out/$name.build.log" 2>&1; then
		echo "FAIL mutants::$name: the mutant did not apply or build ($out/$name.build.log)"
		failed=1
		continue
	fi
	# shellcheck disable=SC2086
	KDIR=$kdir RRAMFS_KO=$mod/rramfs.ko RRAMFS_VM_OUT=$out/$name "$RRAMFS_ROOT/tools/vm/run.sh" -- \
		"RRAMFS_FLAVOR=$flavor $RRAMFS_ROOT/tools/testing/guest-check.sh $tests" 2>&1 |
		tr -d '\r' >"$out/$name.log"
	caught=$(grep -m1 '^FAIL ' "$out/$name.log")
	if [ -n "$caught" ]; then
		echo "PASS mutants::$name: caught by ${caught#FAIL }"
	else
		echo "FAIL mutants::$name: survived ($tests all passed; $out/$name.log)"
		failed=1
	fi
	rm -rf "$mod"
done
[ "$n" -gt 0 ] || die "no mutant matched MUTANTS='${MUTANTS:-}'"
exit $failed
