#!/bin/bash
# Prove that the harness can fail: each case boots the VM with a known
# defect and passes only if the run is judged a failure for that reason.
#   harness::detects_kernel_warning  a module that WARNs at load
#   harness::detects_missing_smap    a guest CPU without SMAP
set -uo pipefail
. "$(dirname "$0")/../config.sh"
kdir=$(resolve_kdir)
warn=$RRAMFS_ROOT/tools/testing/harness/warn

result() { if [ "$2" = 1 ]; then echo "PASS $1"; else echo "FAIL $1: $3"; fi; }

make -s -C "$kdir" M="$warn" "${KMAKE_ARGS[@]}" modules >&2 || {
	result harness::detects_kernel_warning 0 "could not build the warning module"
	exit 0
}

out=$(mktemp -d)
RRAMFS_VM_OUT=$out "$RRAMFS_ROOT/tools/vm/run.sh" -k "$warn/rramfs_selftest_warn.ko" -- true >"$out/log" 2>&1
rc=$?
if [ $rc = 125 ] && grep -q '^FAIL vm::kernel_log_clean' "$out/log" && grep -q 'WARNING:' "$out/dmesg"; then
	result harness::detects_kernel_warning 1
else
	result harness::detects_kernel_warning 0 "run exit $rc; see $out/log"
fi

out=$(mktemp -d)
RRAMFS_QEMU_OPTS="-cpu max,-smap" RRAMFS_VM_OUT=$out "$RRAMFS_ROOT/tools/vm/run.sh" -- true >"$out/log" 2>&1
rc=$?
if [ $rc = 125 ] && grep -q '^FAIL vm::smap' "$out/log"; then
	result harness::detects_missing_smap 1
else
	result harness::detects_missing_smap 0 "run exit $rc; see $out/log"
fi
