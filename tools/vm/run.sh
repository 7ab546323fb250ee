#!/bin/bash
# Boot the test kernel in QEMU (virtme-ng, host root over 9p), insert
# rramfs.ko, run a command in the guest, and judge the run:
#
#   - the guest must have SMAP (checked in /proc/cpuinfo) or the run fails;
#   - the guest's dmesg must hold no kernel warning (see tools/vm/dmesg-scan.sh);
#   - rramfs must unload cleanly after the command (no leaked superblock);
#   - the exit code is the command's.
#
# Usage: tools/vm/run.sh [-i] [-m] [-o MOUNTOPTS] [-k KO]... -- COMMAND...
#   -i  interactive: a shell in the guest after COMMAND (needs a terminal)
#   -m  mount rramfs on /mnt first (with -o options)
#   -k  an extra module to insert before COMMAND (harness self-tests)
# Environment: KDIR, RRAMFS_ACCEL=tcg|kvm (tcg: -cpu max, which has SMAP),
#   RRAMFS_VM_MEM (2G), RRAMFS_VM_CPUS (2), RRAMFS_VM_TIMEOUT seconds (3600),
#   RRAMFS_GUEST_TIMEOUT seconds for the guest's watchdog (default: 180 s,
#   or half, less than RRAMFS_VM_TIMEOUT, so that a hung command leaves
#   its blocked tasks in dmesg.timeout before the host kills the VM),
#   RRAMFS_QEMU_OPTS extra QEMU options (e.g. -icount for benchmarks),
#   RRAMFS_KERNEL_ARGS extra kernel command-line arguments,
#   RRAMFS_VM_OUT directory for the run's files (default: a new temp dir),
#   RRAMFS_KO another rramfs.ko to test (default: the one built here).
set -euo pipefail
. "$(dirname "$0")/../config.sh"

interactive= mount= mountopts= extra_kos=()
while getopts imo:k: o; do
	case $o in
	i) interactive=1 ;;
	m) mount=1 ;;
	o) mountopts=$OPTARG ;;
	k) extra_kos+=("$(realpath "$OPTARG")") ;;
	*) die "usage: $0 [-i] [-m] [-o opts] [-k ko] -- command..." ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = -- ] && shift
# A shell only makes sense with a terminal to type into.
[ -t 0 ] || interactive=

kdir=$(resolve_kdir)
bzimage=$kdir/arch/x86/boot/bzImage
ko=${RRAMFS_KO:-$RRAMFS_ROOT/rramfs.ko}
[ -f "$bzimage" ] || die "no kernel image at $bzimage"
[ -f "$ko" ] || die "no $ko: run make first"

vm_timeout=${RRAMFS_VM_TIMEOUT:-3600}
guest_margin=$((vm_timeout / 2 < 180 ? vm_timeout / 2 : 180))
guest_timeout=${RRAMFS_GUEST_TIMEOUT:-$((vm_timeout - guest_margin))}

out=${RRAMFS_VM_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/rramfs-vm.XXXXXX")}
mkdir -p "$out"
rm -f "$out"/{rc,smap,dmesg,unload,output,host-stdout}
printf '%s\n' "$@" >"$out/cmd"
{
	echo "KO=$ko"
	echo "MOUNT=$mount"
	echo "MOUNTOPTS='$mountopts'"
	echo "INTERACTIVE=$interactive"
	echo "EXTRA_KOS='${extra_kos[*]}'"
	echo "ROOT=$RRAMFS_ROOT"
	echo "CACHE=$RRAMFS_CACHE"
	echo "GUEST_TIMEOUT=$guest_timeout"
} >"$out/env"

# vng runs its helpers (virtme-run, virtme-ng-init) from PATH.
export PATH=$VENV/bin:$PATH
accel=${RRAMFS_ACCEL:-tcg}
# no5lvl: 4-level paging, as on most machines.  -cpu max offers LA57, and
# a 7.3 KASAN kernel on 5-level paging can report "KASAN: wild-memory-access
# in do_raw_spin_lock" at boot (seen in CI): identify_cpu() clears
# boot_cpu_data's capability words, so an interrupt in that window sees
# pgtable_l5_enabled() false, judges the 5-level direct map (ff11...) to
# be outside KASAN's shadow and reports it.  A kernel bug, not rramfs's;
# it fails the run at random, so the guest does not use 5-level paging.
vng_args=(-r "$bzimage" --force-9p --append root=/dev/root --append no5lvl
	--memory "${RRAMFS_VM_MEM:-2G}" --cpus "${RRAMFS_VM_CPUS:-2}" --rwdir "$out")
case $accel in
tcg) vng_args+=(--disable-kvm) ;;	# QEMU picks -cpu max: SMAP
kvm) ;;				# -cpu host: SMAP on any modern x86
*) die "RRAMFS_ACCEL must be tcg or kvm" ;;
esac
# With "=": a value that starts with "-" is otherwise taken for an option.
[ -z "${RRAMFS_QEMU_OPTS:-}" ] || vng_args+=("--qemu-opts=$RRAMFS_QEMU_OPTS")
for a in ${RRAMFS_KERNEL_ARGS:-}; do vng_args+=(--append "$a"); done

log "booting $(basename "$kdir") ($accel) in the VM; output in $out"
set +e
if [ -n "$interactive" ] && [ -t 0 ]; then
	"$VENV/bin/vng" "${vng_args[@]}" --exec "bash $RRAMFS_ROOT/tools/vm/guest.sh $out"
	# Interactive runs end in a shell; the command's result is in $out/rc.
else
	# Not --foreground: then timeout signals its whole process group, so
	# QEMU (which vng starts in it) ends too; with --foreground only vng
	# would, leaving a hung guest's QEMU running after the run is judged.
	timeout -k 30 "$vm_timeout" \
		"$VENV/bin/vng" "${vng_args[@]}" --exec "bash $RRAMFS_ROOT/tools/vm/guest.sh $out" </dev/null |
		tee "$out/host-stdout"
	# virtme-ng's console fallback (see guest.sh) loses the guest's
	# output: every line guest.sh prints starts "rramfs-vm:", so none on
	# the host means it went there.  The command's part is in the file.
	if ! grep -q 'rramfs-vm:' "$out/host-stdout" && [ -s "$out/output" ]; then
		echo "rramfs-vm: the guest's output did not reach the host (virtme-ng's console fallback: no virtio-serial ports, as when udev does not settle); the command's output, from $out/output:"
		cat "$out/output"
	fi
fi
set -e

"$RRAMFS_ROOT/tools/vm/judge.sh" "$out" || exit 125
exit "$(cat "$out/rc" 2>/dev/null || echo 255)"
