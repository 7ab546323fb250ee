#!/bin/bash
# Install everything rramfs needs to build a Rust-enabled kernel, build the
# module and boot it in QEMU (with --fstests, also what xfstests needs; with
# --ktest, what ktest needs).
# Idempotent and non-interactive: a second run checks and returns in seconds.
set -euo pipefail
. "$(dirname "$0")/config.sh"

APT_PKGS=(
	# kernel C + Rust toolchain (LLVM >= 17 for 7.3; bookworm has 19)
	clang-19 lld-19 llvm-19 libclang-19-dev
	# rustc with core library source, from bookworm-security
	rustc-web rust-web-src rust-web-clippy
	# kernel build deps
	make bc flex bison libelf-dev libssl-dev cpio kmod dwarves xz-utils
	# VM: QEMU, and udev because virtme-ng's init needs systemd-udevd
	qemu-system-x86 udev python3-venv
	# make attrib: its QEMU plugin is built with gcc; binutils' c++filt
	# demangles the Rust symbols it reports
	gcc binutils
	# guest-side test tools: peers and device helpers
	fio stress-ng e2fsprogs util-linux attr acl
	# groupadd/useradd for pjdfstest's dummy users (in the guest)
	passwd
)

# With --fstests (make fstests): what building and running xfstests needs,
# as its README lists for Debian (no lvm2/dump: nothing here uses them).
if [ "${1:-}" = --fstests ]; then
	APT_PKGS+=(
		automake autoconf gawk gcc indent libtool libtool-bin pkg-config
		libacl1-dev libaio-dev libattr1-dev libcap-dev libgdbm-dev
		libgdbm-compat-dev liburing-dev uuid-dev uuid-runtime xfslibs-dev
		xfsprogs quota psmisc bc dbench sqlite3 python3
	)
fi

# With --ktest (make ktest): debootstrap for the root image, socat for
# ktest's VM sockets, virtiofsd's build dependencies (it comes from
# crates.io below: bookworm has none with --translate-uid).
if [ "${1:-}" = --ktest ]; then
	APT_PKGS+=(debootstrap socat curl libseccomp-dev libcap-ng-dev)
fi

# Suites newer than bookworm, each pinned to priority 1 so nothing comes
# from them unless named.  Only the kernel source is taken from there.
BACKPORTS=trixie-backports


missing_pkgs() {
	local p
	for p in "${APT_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"
	done
}

mkdir -p "$RRAMFS_CACHE"

# --- Debian packages ---------------------------------------------------------
if ! grep -qs "$BACKPORTS" /etc/apt/sources.list.d/rramfs-backports.sources; then
	log "adding $BACKPORTS (pinned to priority 1: only what is asked by name)"
	as_root tee /etc/apt/preferences.d/rramfs-backports >/dev/null <<PIN
Package: *
Pin: release n=$BACKPORTS
Pin-Priority: 1
PIN
	as_root tee /etc/apt/sources.list.d/rramfs-backports.sources >/dev/null <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $BACKPORTS
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	need_update=1
fi

missing=$(missing_pkgs)
if [ -n "$missing" ] || [ -n "${need_update:-}" ]; then
	log "apt: installing $(echo $missing)"
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get update -qq
	# shellcheck disable=SC2086
	[ -z "$missing" ] || as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# --- bindgen (crates.io, pinned) ----------------------------------------------
if ! "$KBINDGEN" --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	log "cargo: installing bindgen-cli $BINDGEN_VERSION"
	cargo install -q --locked --force --root "$RRAMFS_CACHE/tools" bindgen-cli --version "$BINDGEN_VERSION"
fi

# --- third-party test suites from crates.io (pinned) ---------------------------
crate_bin() { # crate version binary
	if ! "$RRAMFS_CACHE/tools/bin/$3" --version 2>/dev/null | grep -q "$2"; then
		log "cargo: installing $1 $2"
		cargo install -q --locked --force --root "$RRAMFS_CACHE/tools" "$1" --version "$2"
	fi
}
crate_bin pjdfstest "$PJDFSTEST_VERSION" pjdfstest
crate_bin fsx "$FSX_VERSION" fsx
[ "${1:-}" != --ktest ] || crate_bin virtiofsd "$VIRTIOFSD_VERSION" virtiofsd

# --- virtme-ng (PyPI, pinned), in its own venv --------------------------------
if ! "$VENV/bin/vng" --version 2>/dev/null | grep -q "$VIRTME_NG_VERSION"; then
	log "pip: installing virtme-ng $VIRTME_NG_VERSION"
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q "virtme-ng==$VIRTME_NG_VERSION"
fi

log "toolchain ready"
