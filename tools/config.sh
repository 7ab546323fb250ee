# Shared settings for rramfs's tools. Sourced, not run.
#
# Every knob is an environment variable with a default, so a user can point
# the rig somewhere else without editing files.  Kernel-version differences
# that the *scripts* care about live here and nowhere else.

RRAMFS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Where everything built or downloaded lives: outside the repo, kept between
# runs.  Kernel builds are keyed by version + config hash below it.
RRAMFS_CACHE=${RRAMFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rramfs}

# Kernels rramfs supports; make check runs each.  The primary one is the
# default test kernel and the one the sanitizer flavor and benchmarks use.
SUPPORTED_KVERS="7.3 6.12"
PRIMARY_KVER=7.3
KVER=${KVER:-$PRIMARY_KVER}

# Pinned third-party tool versions.
BINDGEN_VERSION=0.73.2
VIRTME_NG_VERSION=1.42
PJDFSTEST_VERSION=0.2.2
FSX_VERSION=0.3.2
VIRTIOFSD_VERSION=1.14.0

LLVM_SUFFIX=-19
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
# The kernel needs a rustc with its core library source next to it; Debian's
# rustc-web provides both, the rustup toolchain in ~/.cargo does not.
KRUSTC=/usr/bin/rustc
KBINDGEN=$RRAMFS_CACHE/tools/bin/bindgen
VENV=$RRAMFS_CACHE/venv

# Arguments every kernel-side make needs.
KMAKE_ARGS=(LLVM=$LLVM_SUFFIX RUSTC=$KRUSTC BINDGEN=$KBINDGEN CLIPPY_DRIVER=/usr/bin/clippy-driver)

log() { printf '\033[1m[rramfs]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[rramfs] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Run as root, or through sudo when not root.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Cargo for the host-side tools (tests, benchmarks): rustup's, if present.
case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH=$HOME/.cargo/bin:$PATH ;; esac

# The kernel build directory to use: $KDIR if set, else the cached test
# kernel (built on first use).
resolve_kdir() {
	if [ -n "${KDIR:-}" ]; then echo "$KDIR"; else "$RRAMFS_ROOT/tools/kdir.sh"; fi
}

# Set up the toolchain, find (or build) the kernel and build rramfs.ko
# against it; prints the kernel build directory.
setup_and_build_module() {
	"$RRAMFS_ROOT/tools/setup.sh" >&2
	local kdir
	kdir=$(resolve_kdir)
	make -s -C "$RRAMFS_ROOT" KDIR="$kdir" modules >&2
	echo "$kdir"
}

# Build rramfs.ko against the kernel build directory $1 in a fresh copy of
# the module's sources at $2 (the tree's own rramfs.ko stays built for the
# primary kernel), with the patch $3 applied if given (make mutants).
# Succeeds only if $2/rramfs.ko was built.
build_module_copy() {
	local kdir=$1 mod=$2 patch=${3:-}
	rm -rf "$mod"
	mkdir -p "$mod"
	cp -r "$RRAMFS_ROOT/Kbuild" "$RRAMFS_ROOT/rust" "$mod/"
	rm -f "$mod"/rust/*.o "$mod"/rust/.*.cmd "$mod"/rust/bindings_generated.rs
	if [ -n "$patch" ]; then
		(cd "$mod" && git apply "$patch") || { echo "$patch does not apply" >&2; return 1; }
	fi
	make -s -C "$kdir" M="$mod" "${KMAKE_ARGS[@]}" modules && [ -f "$mod/rramfs.ko" ]
}
