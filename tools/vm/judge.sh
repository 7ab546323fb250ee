#!/bin/bash
# Judge a finished VM run (its directory is $1) on what every run must
# show, one result line each, in the test-result format:
#   vm::smap               the guest CPU had SMAP
#   vm::kernel_log_clean   no warning, BUG, lockdep report... in dmesg
#   vm::module_unload      rramfs unloaded after every mount was gone
#   vm::foll_pin_balance   as many FOLL_PIN pins released as acquired
#   vm::memory_returned    slab and page cache back to their starting level
# Exits 1 if any failed.
out=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
fail=0
result() { # name ok message
	if [ "$2" = 1 ]; then echo "PASS $1"; else echo "FAIL $1: $3"; fail=1; fi
}

[ "$(cat "$out/smap" 2>/dev/null)" = yes ] && ok=1 || ok=0
result vm::smap $ok "the guest had no SMAP, or never reached the check"

if [ -f "$out/dmesg.timeout" ]; then
	echo "--- guest log at the timeout ---" >&2
	tail -150 "$out/dmesg.timeout" >&2
	result vm::kernel_log_clean 0 "the command timed out in the guest (log above)"
elif [ ! -f "$out/dmesg" ]; then
	result vm::kernel_log_clean 0 "the guest left no dmesg: it crashed, hung or timed out"
elif "$root/tools/vm/dmesg-scan.sh" "$out/dmesg"; then
	result vm::kernel_log_clean 1
else
	result vm::kernel_log_clean 0 "kernel problems in $out/dmesg (above)"
fi

[ "$(cat "$out/unload" 2>/dev/null)" = ok ] && ok=1 || ok=0
result vm::module_unload $ok "$(cat "$out/unload" 2>/dev/null || echo 'run did not finish')"
read -r acq rel 2>/dev/null <"$out/pins"
[ -n "${acq:-}" ] && [ "$acq" = "${rel:-}" ] && ok=1 || ok=0
result vm::foll_pin_balance $ok "nr_foll_pin_acquired=${acq:-?} nr_foll_pin_released=${rel:-?}"

# Slab within 8 MiB of where it started (lockdep, 9p and the test tools
# themselves move it a little), and the unevictable page cache within 1 MiB.
if read -r slab0 slab1 unev0 unev1 2>/dev/null <"$out/memory"; then
	if [ "$slab1" -le $((slab0 + 8192)) ] && [ "$unev1" -le $((unev0 + 1024)) ]; then ok=1; else ok=0; fi
	result vm::memory_returned $ok "Slab ${slab0} -> ${slab1} kB, Unevictable ${unev0} -> ${unev1} kB"
	echo "vm: Slab ${slab0} -> ${slab1} kB, Unevictable ${unev0} -> ${unev1} kB" >&2
else
	result vm::memory_returned 0 "the run did not finish"
fi
exit $fail
