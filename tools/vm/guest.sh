#!/bin/bash
# Runs inside the VM (see tools/vm/run.sh).  $1 is the run's directory,
# shared with the host; results go there.
out=$1
. "$out/env"
export RRAMFS_ROOT=$ROOT RRAMFS_CACHE=$CACHE PATH=$PATH:/usr/sbin:/sbin

# Kernel debugging knobs that make failures loud and bounded.
echo 60 >/proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

if grep -qw smap /proc/cpuinfo; then
	echo "rramfs-vm: guest CPU has SMAP: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
	echo yes >"$out/smap"
else
	echo "rramfs-vm: guest CPU has NO SMAP"
	echo no >"$out/smap"
	dmesg >"$out/dmesg"
	exit 1
fi

# Memory levels before rramfs is used; compared after it is gone.
meminfo() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
sync; echo 2 >/proc/sys/vm/drop_caches
slab0=$(meminfo Slab) unevict0=$(meminfo Unevictable)

for m in $EXTRA_KOS; do insmod "$m"; done
if ! insmod "$KO"; then
	echo "rramfs-vm: insmod $KO failed"
	echo 1 >"$out/rc"
	dmesg >"$out/dmesg"
	exit 1
fi
echo "rramfs-vm: rramfs inserted ($(uname -r))"
if [ -n "$MOUNT" ]; then
	mount -t rramfs ${MOUNTOPTS:+-o "$MOUNTOPTS"} rramfs /mnt || { echo 1 >"$out/rc"; dmesg >"$out/dmesg"; exit 1; }
	echo "rramfs-vm: mounted: $(grep ' /mnt ' /proc/mounts)"
fi

cd /tmp
export RRAMFS_MNT=/mnt RRAMFS_OUT=$out
# The command's output also goes to $out/output: when udev does not
# settle in time (a debug kernel on a loaded host), virtme-ng's init
# cannot find its virtio-serial ports and runs this script on the
# console, whose output vng drops; run.sh then prints the file.
(
	set -o pipefail
	bash -c "$(cat "$out/cmd")" | tee "$out/output"
) &
pid=$!
# Watchdog: a hung command (a deadlock) must not hang the run silently.
# Dump the blocked tasks and the log where the host finds them, power off.
# (It must not hold the console open, or the VM waits for it to end.)
(
	trap 'kill $sp 2>/dev/null; exit 0' TERM
	sleep "${GUEST_TIMEOUT:-3000}" &
	sp=$!
	wait $sp
	echo w >/proc/sysrq-trigger
	dmesg >"$out/dmesg.timeout"
	echo o >/proc/sysrq-trigger
) >/dev/null 2>&1 </dev/null &
wd=$!
wait $pid
rc=$?
kill $wd 2>/dev/null
echo "$rc" >"$out/rc"

if [ -n "$INTERACTIVE" ]; then
	echo "rramfs-vm: command exited $rc; shell (rramfs on /mnt); exit to power off"
	PS1="rramfs-vm# " bash --norc -i
fi

# Every mount gone and the module unloadable: nothing leaked a superblock.
mountpoint -q /mnt && umount /mnt
for m in $(awk '$3 == "rramfs" {print $2}' /proc/mounts); do umount "$m"; done
if err=$(rmmod rramfs 2>&1); then echo ok >"$out/unload"; else echo "rmmod: $err" >"$out/unload"; fi

# FOLL_PIN balance: every page pinned during the run was unpinned.  In-flight
# 9p I/O pins pages transiently, so only a difference that persists counts.
for try in 1 2 3 4 5; do
	echo 1 >/proc/sys/vm/stat_refresh 2>/dev/null
	pins=$(awk '$1 == "nr_foll_pin_acquired" {a = $2} $1 == "nr_foll_pin_released" {r = $2} END {print a, r}' /proc/vmstat)
	[ "${pins% *}" = "${pins#* }" ] && break
	sleep 1
done
echo "$pins" >"$out/pins"

# Memory back to its starting level: the page cache rramfs held
# (unevictable) and the slab (inodes, dentries, xattrs), caches dropped.
sync; echo 2 >/proc/sys/vm/drop_caches
echo "$slab0 $(meminfo Slab) $unevict0 $(meminfo Unevictable)" >"$out/memory"
for m in $EXTRA_KOS; do rmmod "$(basename "$m" .ko)" 2>/dev/null; done
dmesg >"$out/dmesg"
exit "$rc"
