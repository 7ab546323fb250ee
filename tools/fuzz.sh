#!/bin/bash
# `make fuzz`: the model-checked fuzzer (tools/testing/rramfs-tests,
# src/fuzz.rs) in the SMAP VM, seed after seed, for a time budget.
#
#   SEED=1     first seed (each next one is SEED+1, ...)
#   SECS=300   keep starting new seeds until this many seconds have passed
#   OPS=2000   operations per seed
#
# A failing seed prints its shortest failing sequence and fails the run;
# the VM run is judged like every other (dmesg, SMAP, unload, pins).
set -euo pipefail
. "$(dirname "$0")/config.sh"
cd "$RRAMFS_ROOT"
export KDIR
KDIR=$(setup_and_build_module)
cargo build -q --release --manifest-path tools/testing/rramfs-tests/Cargo.toml
seed=${SEED:-1} secs=${SECS:-300} ops=${OPS:-2000}
runner=$RRAMFS_ROOT/tools/testing/rramfs-tests/target/release/rramfs-tests
log "fuzzing from seed $seed, $ops operations per seed, for $secs s"
RRAMFS_VM_TIMEOUT=$((secs + 1800)) "$RRAMFS_ROOT/tools/vm/run.sh" -- "
	end=\$((\$(date +%s) + $secs)); s=$seed; n=0
	while [ \$(date +%s) -lt \$end ]; do
		$runner --fuzz \$s $ops || exit 1
		s=\$((s + 1)); n=\$((n + 1))
	done
	echo \"fuzz: \$n seeds ($seed to \$((s - 1))), $ops operations each, no failure\""
