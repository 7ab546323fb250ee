#!/bin/bash
# Print the arguments a kernel-side make needs (LLVM, RUSTC, BINDGEN).
. "$(dirname "$0")/config.sh"
echo "${KMAKE_ARGS[@]}"
