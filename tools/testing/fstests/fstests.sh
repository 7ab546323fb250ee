#!/bin/bash
# `make fstests`: xfstests' generic tests on rramfs and on tmpfs, side by
# side in one boot of the SMAP VM, judged like `make check`.
#
#   XFSTESTS=/path/to/xfstests   your checkout (kdave/xfstests or
#                                git.kernel.org's fs/xfs/xfstests-dev); it
#                                is copied, never changed
#   FSTESTS="generic/001 ..."    tests to run (default: every test of the
#                                generic quick group, minus those listed in
#                                tools/testing/fstests/exclude and those
#                                unrunnable.py finds cannot run on a RAM
#                                filesystem)
#   RRAMFS_FSTESTS_OUT=DIR       where the run goes ($RRAMFS_CACHE/last-fstests)
#
# fstests knows no rramfs: the copy gets tools/testing/fstests/rramfs.sed
# (rramfs wherever common/ names tmpfs: no device, no mkfs, size= for a
# sized scratch fs, cycle-mount as remount).  The copy is rebuilt only when
# the checkout or the change differ.
#
# Prints one result line per selected test (rramfs's result; an entry of
# tools/testing/fstests/expected-failures turns a failure into a SKIP that
# names its reason) and these, in make check's format:
#   fstests::all_selected_ran   every selected test has a result on both
#   fstests::tmpfs_parity       nothing fails on rramfs that passes on tmpfs
#   fstests::expected_failures_current  no expected failure passes
#   vm::...                     the run's own judging (tools/vm/judge.sh)
# and writes report.txt (the side-by-side table) to the run's directory.
set -uo pipefail
. "$(dirname "$0")/../../config.sh"
here=$RRAMFS_ROOT/tools/testing/fstests

src=${XFSTESTS:?set XFSTESTS to your xfstests checkout}
src=$(realpath "$src") || die "XFSTESTS=$XFSTESTS does not exist"
[ -f "$src/check" ] && [ -f "$src/common/rc" ] && [ -f "$src/common/config" ] ||
	die "XFSTESTS=$src is not an xfstests checkout (no check, common/rc)"
out=${RRAMFS_FSTESTS_OUT:-$RRAMFS_CACHE/last-fstests}
rm -rf "$out"
mkdir -p "$out"

"$RRAMFS_ROOT/tools/setup.sh" --fstests >&2 || die "setup failed"
kdir=$(resolve_kdir) || die "kernel build failed"
make -s -C "$RRAMFS_ROOT" KDIR="$kdir" modules >&2 || die "rramfs.ko did not build"

# --- the patched, built copy -------------------------------------------------
copy=$RRAMFS_CACHE/fstests/xfstests
stamp=$( {
	(cd "$src" && find . -path ./.git -prune -o -path ./results -prune -o -type f -printf '%P %s %T@\n' | sort)
	cat "$here/rramfs.sed"
} | sha256sum | cut -c1-16)
if [ "$(cat "$copy/.rramfs-stamp" 2>/dev/null)" != "$stamp" ]; then
	log "copying $src to $copy and building it (a few minutes)"
	rm -rf "$copy"
	mkdir -p "$copy"
	(cd "$src" && tar --exclude=./.git --exclude=./results -cf - .) | (cd "$copy" && tar -xf -) ||
		die "copying $src failed"
	sed -i -f "$here/rramfs.sed" "$copy/common/rc" "$copy/common/config"
	# The change must have landed: no tmpfs case label left alone,
	# rramfs where fstests decides how to mount, mkfs and cycle-mount, and
	# in _exclude_fs where there is one.
	if grep -qE '^[[:space:]]*tmpfs\)' "$copy/common/rc" "$copy/common/config" ||
		[ "$(grep -c 'tmpfs|rramfs' "$copy/common/rc")" -lt 8 ] ||
		! grep -q '"\$FSTYP" == "rramfs"' "$copy/common/config" ||
		{ grep -q '^_exclude_fs()' "$copy/common/rc" &&
			! grep -q '"tmpfs:rramfs"' "$copy/common/rc"; }; then
		die "tools/testing/fstests/rramfs.sed did not apply to this xfstests; update it"
	fi
	make -C "$copy" -j"$(nproc)" >"$out/build.log" 2>&1 || {
		tail -30 "$out/build.log" >&2
		die "building xfstests failed (log: $out/build.log)"
	}
	echo "$stamp" >"$copy/.rramfs-stamp"
fi
[ -s "$copy/tests/generic/group.list" ] || die "no tests/generic/group.list in the built copy"

# --- the selection -------------------------------------------------------------
if [ -n "${FSTESTS:-}" ]; then
	printf '%s\n' $FSTESTS >"$out/selected.txt"
else
	# The quick group, minus exclude, minus what cannot run on a RAM
	# filesystem: a requirement neither rramfs nor tmpfs meets
	# (unrunnable.py reads the tests' _require lines; every such test
	# run so far was "not run" on both).  Those are listed, with the
	# requirement, in unrunnable.txt.
	awk '!/^#/ && NF && / quick( |$)/ {print "generic/" $1}' "$copy/tests/generic/group.list" |
		grep -vxFf <(sed 's/#.*//; /^[[:space:]]*$/d; s/[[:space:]]*$//' "$here/exclude") |
		python3 "$here/unrunnable.py" "$copy" >"$out/quick.txt" || die "unrunnable.py failed"
	awk '$2 == "-" {print $1}' "$out/quick.txt" >"$out/selected.txt"
	awk '$2 != "-"' "$out/quick.txt" >"$out/unrunnable.txt"
	log "fstests: $(wc -l <"$out/unrunnable.txt") quick tests left out: they cannot run on a RAM filesystem ($out/unrunnable.txt)"
fi
for t in $(cat "$out/selected.txt"); do
	[ -f "$copy/tests/$t" ] || die "FSTESTS: no test $t in $src"
done
n=$(wc -l <"$out/selected.txt")
[ "$n" -gt 0 ] || die "no test selected"

# --- the run ---------------------------------------------------------------------
# 4 GiB: fstests sizes each tmpfs-like mount at 1 GiB, and a test and a
# scratch mount of one filesystem are up at the same time.
log "fstests: $n tests on rramfs, then on tmpfs, in one VM (TCG)"
start=$(date +%s)
RRAMFS_VM_OUT=$out/vm RRAMFS_VM_MEM=${RRAMFS_VM_MEM:-4G} \
	RRAMFS_VM_TIMEOUT=${RRAMFS_VM_TIMEOUT:-43200} RRAMFS_GUEST_TIMEOUT=${RRAMFS_GUEST_TIMEOUT:-43000} \
	"$RRAMFS_ROOT/tools/vm/run.sh" -- \
	"RRAMFS_FSTESTS_TEST_TIMEOUT=${RRAMFS_FSTESTS_TEST_TIMEOUT:-900} bash $here/guest.sh $copy 'rramfs tmpfs' $(tr '\n' ' ' <"$out/selected.txt")" \
	2>&1 | sed -u 's/\r$//' | tee "$out/vm.log" >&2
log "fstests took $(($(date +%s) - start)) s"

{
	grep -E '^(PASS|FAIL) vm::' "$out/vm.log"
	python3 "$here/report.py" "$out/selected.txt" "$out/vm/results" "$here/expected-failures" "$out/report.txt"
} | tee "$out/results.txt"
log "the table: $out/report.txt"
# The summary to stderr: stdout carries exactly one line per result.
"$RRAMFS_ROOT/tools/testing/verdict.sh" summary "$out/results.txt" >&2
