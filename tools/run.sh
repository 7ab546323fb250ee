#!/bin/bash
# `make run`: set up, build, boot the SMAP VM with rramfs mounted on /mnt,
# show a short demo, and drop to a shell there when stdin is a terminal.
set -euo pipefail
. "$(dirname "$0")/config.sh"
export KDIR
KDIR=$(setup_and_build_module)
exec "$RRAMFS_ROOT/tools/vm/run.sh" -i -m -o size=64m -- "bash $RRAMFS_ROOT/samples/demo.sh"
