#!/bin/bash
# The test suite, run inside the VM by `make check` (tools/check.sh).
# Prints one PASS/FAIL/SKIP line per test.  $1...: optional test filters
# for the project's own suite.
root=$RRAMFS_ROOT

# The project's own scenario tests.  Their own summary line is renamed so
# that the only "N passed, N failed" line of a run is make check's total.
"$root/tools/testing/rramfs-tests/target/release/rramfs-tests" "$@" |
	sed -E 's/^([0-9]+ passed, .*)$/(rramfs-tests alone: \1)/'

# Kernel-side checks after the suite.
# FOLL_PIN balance: every pinned page was unpinned (no io_uring ring is
# open now).  stat_refresh folds the per-CPU deltas first.
# In-flight I/O of the VM itself (9p) pins pages transiently, so a leak is
# a difference that persists: re-read a few times before calling it one.
for try in 1 2 3 4 5; do
	echo 1 >/proc/sys/vm/stat_refresh 2>/dev/null
	read -r acq rel < <(awk '$1 == "nr_foll_pin_acquired" {a = $2} $1 == "nr_foll_pin_released" {r = $2} END {print a, r}' /proc/vmstat)
	[ -n "$acq" ] && [ "$acq" = "$rel" ] && break
	sleep 1
done
if [ -n "$acq" ] && [ "$acq" = "$rel" ]; then
	echo "PASS kernel::foll_pin_balance"
else
	echo "FAIL kernel::foll_pin_balance: nr_foll_pin_acquired=$acq nr_foll_pin_released=$rel"
fi
exit 0
