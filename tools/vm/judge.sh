#!/bin/bash
# Judge a finished VM run (its directory is $1) on what every run must
# show, one result line each, in the test-result format:
#   vm::smap               the guest CPU had SMAP
#   vm::kernel_log_clean   no warning, BUG, lockdep report... in dmesg
#   vm::module_unload      rramfs unloaded after every mount was gone
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
exit $fail
