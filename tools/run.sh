#!/bin/bash
# `make run`: set up, build, boot the SMAP VM with rramfs mounted on /mnt,
# show a short demo, and drop to a shell there when stdin is a terminal.
set -euo pipefail
. "$(dirname "$0")/config.sh"
cd "$RRAMFS_ROOT"
"$RRAMFS_ROOT/tools/setup.sh"
kdir=$(resolve_kdir)
make -s KDIR="$kdir" modules
exec "$RRAMFS_ROOT/tools/vm/run.sh" -i -m -o size=64m -- "bash $RRAMFS_ROOT/samples/demo.sh"
