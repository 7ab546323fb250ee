#!/bin/bash
# The test suite, run inside the VM by `make check` (tools/check.sh).
# Prints one PASS/FAIL/SKIP line per test and exits non-zero if anything
# failed or did not run.  $1...: optional test filters for the project's
# own suite; with filters, the samples and the peer suites are skipped
# (PEERS="fio ..." runs those peers too).
#
# `guest-check.sh --list [filters]` prints the names of the samples and
# peer checks such a run adds to the own suite's (check.sh expects a
# result line for each); `guest-check.sh --samples` runs the samples alone
# (the ktest file's `samples` test).
root=$RRAMFS_ROOT
samples="write_from_same_mapping partial_fault_short_write dio_from_mapping splice_into_odirect"

if [ "${1:-}" = --list ]; then
	shift
	if [ -z "$*" ]; then
		for s in $samples; do echo "sample::$s"; done
	fi
	if [ -z "$*" ] || [ -n "${PEERS:-}" ]; then
		"$root/tools/testing/peers.sh" --list
	fi
	exit 0
fi

status=0
only_samples=
if [ "${1:-}" = --samples ]; then
	shift
	only_samples=1
fi

# The project's own scenario tests.  Their own summary line is renamed so
# that the only "N passed, N failed" line of a run is make check's total.
if [ -z "$only_samples" ]; then
	"$root/tools/testing/rramfs-tests/target/release/rramfs-tests" "$@" |
		sed -E 's/^([0-9]+ passed, .*)$/(rramfs-tests alone: \1)/'
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ]; then
		echo "guest-check: rramfs-tests exited $rc"
		status=1
	fi
fi

# The samples, each on a fresh rramfs.
if [ -z "$*" ]; then
	for s in $samples; do
		d=$(mktemp -d /tmp/sample.XXXX)
		if ! mount -t rramfs -o size=64m none "$d"; then
			echo "FAIL sample::$s: could not mount rramfs"
			status=1
			continue
		fi
		if out=$("$root/samples/target/release/$s" "$d" 2>&1); then
			echo "PASS sample::$s"
		else
			echo "FAIL sample::$s: $out"
			status=1
		fi
		umount "$d"
		rmdir "$d"
	done
fi

[ -z "$only_samples" ] || exit $status

# Third-party suites (pjdfstest, fio, stress-ng, fsx), next to tmpfs.
if [ -z "$*" ] || [ -n "${PEERS:-}" ]; then
	"$root/tools/testing/peers.sh" || status=1
fi

# Debug flavor: kmemleak must find nothing allocated by rramfs.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	if grep -q rramfs /sys/kernel/debug/kmemleak; then
		echo "FAIL kernel::kmemleak: leaks with rramfs in their backtrace:"
		grep -B5 -A20 rramfs /sys/kernel/debug/kmemleak | head -60
		status=1
	else
		echo "PASS kernel::kmemleak"
	fi
fi
exit $status
