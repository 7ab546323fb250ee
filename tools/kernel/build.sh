#!/bin/bash
# Build (or find in the cache) the rramfs test kernel and print its build
# directory, usable as KDIR for `make -C $KDIR M=...`.
#
#   KVER=7.3|6.12   kernel version (Debian's linux-source-$KVER)
#   FLAVOR=default|debug|bench|ktest   debug adds KASAN, kmemleak,
#                         DEBUG_PAGEALLOC, UBSAN; bench drops lockdep and VM
#                         debugging; ktest adds what ktest's guest needs
#                         (virtio-blk root, virtiofs, systemd)
#
# The build lives in $RRAMFS_CACHE/build/<KVER>-<FLAVOR>-<hash of the config
# fragments>; a finished build there is reused without running make.
# `build.sh --cached` only says whether it is there (exit 0) or not (1).
set -euo pipefail
. "$(dirname "$0")/../config.sh"

FLAVOR=${FLAVOR:-default}
frags=("$RRAMFS_ROOT/tools/kernel/rramfs.config")
case $FLAVOR in
default) ;;
debug) frags+=("$RRAMFS_ROOT/tools/kernel/debug.config") ;;
bench) frags+=("$RRAMFS_ROOT/tools/kernel/bench.config") ;;
ktest) frags+=("$RRAMFS_ROOT/tools/kernel/ktest.config") ;;
*) die "unknown FLAVOR=$FLAVOR (default|debug|bench|ktest)" ;;
esac

hash=$(cat "${frags[@]}" | sha256sum | cut -c1-12)
out=$RRAMFS_CACHE/build/$KVER-$FLAVOR-$hash
src=$RRAMFS_CACHE/src/linux-source-$KVER

if [ -f "$out/.rramfs-built" ]; then
	echo "$out"
	exit 0
fi
[ "${1:-}" = --cached ] && exit 1

# One build per directory at a time: a second caller waits, then reuses it.
mkdir -p "$RRAMFS_CACHE/build"
exec 9>"$out.lock"
flock 9
if [ -f "$out/.rramfs-built" ]; then
	echo "$out"
	exit 0
fi

# --- source: Debian's linux-source package, downloaded, not installed -------
exec 8>"$RRAMFS_CACHE/src.lock"
flock 8
if [ ! -f "$src/Makefile" ]; then
	log "fetching linux-source-$KVER"
	dl=$(mktemp -d)
	(cd "$dl" && apt-get download -q "linux-source-$KVER" >&2) ||
		die "apt-get download linux-source-$KVER failed (did tools/setup.sh run?)"
	dpkg -x "$dl"/linux-source-"$KVER"_*.deb "$dl/x"
	mkdir -p "$RRAMFS_CACHE/src"
	rm -rf "$src.tmp"
	mkdir -p "$src.tmp"
	tar -C "$src.tmp" --strip-components=1 -xf "$dl/x/usr/src/linux-source-$KVER.tar.xz"
	mv "$src.tmp" "$src"
	rm -rf "$dl"
fi
flock -u 8

# --- config: tinyconfig + fragments, then verify nothing was dropped ---------
mkdir -p "$out"
km() { make -C "$src" O="$out" "${KMAKE_ARGS[@]}" "$@"; }
log "configuring $KVER ($FLAVOR) in $out"
km -s tinyconfig >&2
KCONFIG_CONFIG="$out/.config" "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
	"$out/.config" "${frags[@]}" >/dev/null
km -s olddefconfig >&2
# The last fragment to mention an option decides it.
declare -A want=()
for f in "${frags[@]}"; do
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) want[${line%%=*}]=$line ;;
		"# CONFIG_"*" is not set") o=${line#\# }; want[${o%% *}]=$line ;;
		esac
	done <"$f"
done
bad=0
for opt in "${!want[@]}"; do
	line=${want[$opt]}
	case $line in
	CONFIG_*) grep -qxF "$line" "$out/.config" || { log "config dropped: $line"; bad=1; } ;;
	*) ! grep -q "^$opt=" "$out/.config" || { log "config still set: $opt"; bad=1; } ;;
	esac
done
[ $bad = 0 ] || die "config fragment did not survive olddefconfig (see above)"
km -s rustavailable >&2 || die "Rust is not available to the kernel build"

# --- build -------------------------------------------------------------------
log "building $KVER ($FLAVOR): ~15 min on 2 cores"
km -s -j"$(($(nproc) + 1))" bzImage modules >&2
touch "$out/.rramfs-built"
echo "$out"
