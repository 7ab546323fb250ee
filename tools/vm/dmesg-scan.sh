#!/bin/bash
# Fail (exit 1) if a guest dmesg holds any sign of a kernel problem: a
# warning is a failure.  Prints the offending lines with some context.
log=$1
patterns=(
	'WARNING:'
	'BUG:'
	'Oops'
	'Kernel panic'
	'general protection fault'
	'kernel BUG at'
	'possible recursive locking detected'
	'possible circular locking dependency'
	'inconsistent lock state'
	'DEBUG_LOCKS_WARN_ON'
	'suspicious RCU usage'
	'bad unlock balance'
	'lock held when returning to user space'
	'trying to register non-static key'
	'possible irq lock inversion'
	'UBSAN:'
	'KASAN:'
	'kmemleak:.*unreferenced'
	'sleeping function called from invalid context'
	'blocked for more than'
	'soft lockup'
	'hard LOCKUP'
	'rcu.*self-detected stall'
	'refcount_t:'
	'list_add corruption'
	'list_del corruption'
	'Bad page'
	# A vmstat counter below zero after /proc/sys/vm/stat_refresh folded
	# the per-CPU deltas (guest.sh refreshes at the end of every run): an
	# accounting imbalance, such as dirty pages "cleaned" that were never
	# counted dirty.
	'vmstat_refresh: [a-z_]+ -[0-9]'
)
re=$(IFS='|'; echo "${patterns[*]}")
if grep -nE "$re" "$log" >/tmp/rramfs-dmesg-hits.$$; then
	echo "[rramfs] FAIL: kernel problems in the guest's dmesg ($log):" >&2
	head -20 /tmp/rramfs-dmesg-hits.$$ >&2
	first=$(head -1 /tmp/rramfs-dmesg-hits.$$ | cut -d: -f1)
	echo "--- context ---" >&2
	sed -n "$((first > 5 ? first - 5 : 1)),$((first + 40))p" "$log" >&2
	rm -f /tmp/rramfs-dmesg-hits.$$
	exit 1
fi
rm -f /tmp/rramfs-dmesg-hits.$$
exit 0
