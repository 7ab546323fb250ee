#!/bin/bash
# The test suite, run inside the VM by `make check` (tools/check.sh).
# Prints one PASS/FAIL/SKIP line per test.  $1...: optional test filters
# for the project's own suite; with filters, the samples and the peer
# suites are skipped (PEERS="fio ..." runs those peers too).
root=$RRAMFS_ROOT

# The project's own scenario tests.  Their own summary line is renamed so
# that the only "N passed, N failed" line of a run is make check's total.
"$root/tools/testing/rramfs-tests/target/release/rramfs-tests" "$@" |
	sed -E 's/^([0-9]+ passed, .*)$/(rramfs-tests alone: \1)/'

# The samples, each on a fresh rramfs.
if [ -z "$*" ]; then
	for s in write_from_same_mapping partial_fault_short_write dio_from_mapping splice_into_odirect; do
		d=$(mktemp -d /tmp/sample.XXXX)
		mount -t rramfs -o size=64m none "$d"
		if out=$("$root/samples/target/release/$s" "$d" 2>&1); then
			echo "PASS sample::$s"
		else
			echo "FAIL sample::$s: $out"
		fi
		umount "$d"
		rmdir "$d"
	done
fi

# Third-party suites (pjdfstest, fio, stress-ng, fsx), next to tmpfs.
if [ -z "$*" ] || [ -n "${PEERS:-}" ]; then
	"$root/tools/testing/peers.sh"
fi

# Debug flavor: kmemleak must find nothing allocated by rramfs.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	if grep -q rramfs /sys/kernel/debug/kmemleak; then
		echo "FAIL kernel::kmemleak: leaks with rramfs in their backtrace:"
		grep -B5 -A20 rramfs /sys/kernel/debug/kmemleak | head -60
	else
		echo "PASS kernel::kmemleak"
	fi
fi
exit 0
