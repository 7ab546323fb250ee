#!/bin/bash
# rustfmt check of the module (with the kernel's .rustfmt.toml) and of the
# host-side tool crates.  Exit 1 and show the diff if anything is off.
set -euo pipefail
. "$(dirname "$0")/config.sh"
cd "$RRAMFS_ROOT"
rc=0
rustfmt --edition 2021 --config newline_style=Unix --check rust/rramfs_main.rs || rc=1
for c in tools/testing/*/Cargo.toml tools/bench/*/Cargo.toml samples/Cargo.toml; do
	[ -f "$c" ] || continue
	cargo fmt --manifest-path "$c" -- --check || rc=1
done
exit $rc
