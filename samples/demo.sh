#!/bin/bash
# The `make run` demo: rramfs is mounted on /mnt (size=64m) in the SMAP VM.
set -e
dev=$(mountpoint -d /mnt)
stats=/sys/kernel/debug/rramfs/$dev/stats
echo "== rramfs on /mnt"
grep ' /mnt ' /proc/mounts
echo "== write 8 MiB, read it back"
dd if=/dev/urandom of=/tmp/demo.src bs=1M count=8 status=none
cp /tmp/demo.src /mnt/file
cmp /tmp/demo.src /mnt/file && echo "data ok"
ls -l /mnt
df -h /mnt
echo "== counters ($stats): a resident source takes the fast path only"
cat "$stats"
echo "== filling past size=64m ends in ENOSPC, and the data before stays"
dd if=/dev/zero of=/mnt/big bs=1M count=100 status=none 2>&1 || true
ls -l /mnt/big
df -h /mnt
rm /mnt/big
