#!/bin/bash
# `make bench`: rramfs (default and prefault=always), in-kernel ramfs and
# tmpfs measured side by side in one VM run (see
# Documentation/filesystems/rramfs-performance.rst).
#
#   QUICK=1            tiny counts (make check runs this so the bench never rots)
#   CASE="O_DIRECT"    only the cases whose name starts with this (no floors)
#   FLAVOR=bench|default  the kernel without lock debugging (the default) or
#                      the lock-debugging test kernel; KVER=6.12 for 6.12
#   RRAMFS_ACCEL=kvm   wall-clock figures on a host with real KVM; the default
#                      (TCG) runs QEMU with -icount shift=0,sleep=off, so guest
#                      nanoseconds count guest instructions, deterministically.
#   ATTRIB=1           with CASE: where the instructions go, by kernel symbol
#                      (`make attrib`; tools/bench/attrib/).
#
# The table goes to stdout and $RRAMFS_CACHE/last-bench.txt (-quick.txt);
# with ATTRIB=1 the attribution goes to $RRAMFS_CACHE/last-attrib.txt.
set -euo pipefail
. "$(dirname "$0")/config.sh"
cd "$RRAMFS_ROOT"
# Users run kernels without lock debugging: measure on one by default
# (FLAVOR=default for the lock-debugging test kernel's table).
export FLAVOR=${FLAVOR:-bench}
export KDIR
KDIR=$(setup_and_build_module)
cargo build -q --release --manifest-path tools/bench/rramfs-bench/Cargo.toml

if [ "${RRAMFS_ACCEL:-tcg}" = kvm ]; then
	mode=wallclock
else
	mode=icount
	export RRAMFS_QEMU_OPTS="${RRAMFS_QEMU_OPTS:-} -icount shift=0,sleep=off"
fi
quick=${QUICK:+--quick}
only=
[ -z "${CASE:-}" ] || only="--case $(printf %q "$CASE")"
out=$(mktemp -d "${TMPDIR:-/tmp}/rramfs-bench.XXXXXX")
attrib=
if [ -n "${ATTRIB:-}" ]; then
	# A QEMU plugin counts instructions per translation block between the
	# markers rramfs-bench executes around each measured loop.
	[ "$mode" = icount ] || die "ATTRIB needs TCG (a QEMU plugin), not RRAMFS_ACCEL=kvm"
	[ -n "${CASE:-}" ] || die 'ATTRIB needs CASE="pwrite1 1 B" (a case name prefix)'
	cc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$out/insn-count.so" \
		tools/bench/attrib/insn-count.c
	export RRAMFS_QEMU_OPTS="$RRAMFS_QEMU_OPTS -plugin $out/insn-count.so,out=$out/counts"
	# One vCPU: under icount the guest clock follows the vCPU that runs,
	# so work on a second one (a kworker) is counted by the plugin but not
	# by the benchmark, and the cross-check could not hold.
	export RRAMFS_VM_CPUS=${RRAMFS_VM_CPUS:-1}
	attrib="--attrib \$RRAMFS_OUT/loops"
fi
guest=$(cat <<GUEST
set -e
for fs in rramfs rramfs-always ramfs tmpfs; do mkdir -p /tmp/b-\$fs; done
mount -t rramfs -o size=1g none /tmp/b-rramfs
mount -t rramfs -o size=1g,prefault=always none /tmp/b-rramfs-always
mount -t ramfs none /tmp/b-ramfs
mount -t tmpfs -o size=1g none /tmp/b-tmpfs
$RRAMFS_ROOT/tools/bench/rramfs-bench/target/release/rramfs-bench $quick $only $attrib --mode $mode \
	rramfs=/tmp/b-rramfs rramfs-always=/tmp/b-rramfs-always ramfs=/tmp/b-ramfs tmpfs=/tmp/b-tmpfs \
	> \$RRAMFS_OUT/bench.txt
cat \$RRAMFS_OUT/bench.txt
${attrib:+cat /proc/kallsyms > \$RRAMFS_OUT/kallsyms}
for fs in rramfs rramfs-always ramfs tmpfs; do umount /tmp/b-\$fs; done
GUEST
)
RRAMFS_VM_OUT=$out "$RRAMFS_ROOT/tools/vm/run.sh" -- "$guest"
if [ -n "$attrib" ]; then
	table=$RRAMFS_CACHE/last-attrib${QUICK:+-quick}.txt
	python3 tools/bench/attrib/attrib.py "$out/counts" "$out/kallsyms" \
		"$out/loops" "$out/bench.txt" ${TOP:+--top "$TOP"} | tee "$table"
	log "attribution in $table"
	exit 0
fi
table=$RRAMFS_CACHE/last-bench${QUICK:+-quick}.txt
cp "$out/bench.txt" "$table"
log "table in $table"
