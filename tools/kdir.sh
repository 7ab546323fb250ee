#!/bin/bash
# Print the KDIR of the cached test kernel, setting up and building it first
# if needed (progress goes to stderr, the path alone to stdout).
set -euo pipefail
here=$(dirname "$0")
"$here/setup.sh" >&2
"$here/kernel/build.sh"
