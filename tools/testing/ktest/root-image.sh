#!/bin/bash
# Build the root image ktest boots: a minimal Debian bookworm, debootstrapped
# from Debian's archive, with ktest's own guest files (fstab with the /host
# virtiofs share, the testrunner service) installed by ktest's
# `root_image update_files`.  ktest's `root_image create` would do both, but
# it installs Debian sid with some 150 packages (compilers, bcachefs and
# NFS tooling) that rramfs's suite never uses.
#
#   root-image.sh KTEST_DIR IMAGE
#
# Needs root (debootstrap, a loop mount).  Rebuilds only when this script
# changed since IMAGE was made (IMAGE.stamp holds its hash).
set -euo pipefail
. "$(dirname "$0")/../../config.sh"
ktest=$1 img=$2

# Init (systemd) and what the suite runs in the guest: mount, losetup,
# modinfo/insmod/rmmod, df, fuser (ktest's cleanup), ip (ktest's testrunner).
pkgs=systemd,systemd-sysv,udev,kmod,util-linux,mount,procps,psmisc,iproute2,e2fsprogs

stamp=$(sha256sum "$0" | cut -c1-16)
if [ -f "$img" ] && [ "$(cat "$img.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi
[ "$(id -u)" = 0 ] || die "building the ktest root image needs root (debootstrap, mount)"

log "building the ktest root image $img (debootstrap bookworm, a few minutes)"
mkdir -p "$(dirname "$img")"
rm -f "$img" "$img.stamp" "$img.new"
mnt=$(mktemp -d)
# (set -e holds in the trap too: an umount of nothing left mounted must
# not turn a good build's exit status into 1.)
trap 'umount -R "$mnt" 2>/dev/null || true; rmdir "$mnt" || true; rm -f "$img.new"' EXIT
truncate -s 2G "$img.new"
mkfs.ext4 -q -F "$img.new"
mount -o loop "$img.new" "$mnt"
debootstrap --variant=minbase --include="$pkgs" bookworm "$mnt" \
	http://deb.debian.org/debian >"$img.log" 2>&1 ||
	die "debootstrap failed (log: $img.log)"
rm -rf "$mnt"/var/cache/apt/archives/*.deb
umount "$mnt"
# ktest's guest side (fstab, testrunner.wrapper and its systemd unit, masked
# units, journald to nowhere), installed by ktest itself so it matches the
# checkout that runs the test.  It works on IMAGE.new and renames it.
mv "$img.new" "$img"
"$ktest/root_image" update_files -i "$img" >>"$img.log" 2>&1 ||
	die "ktest's root_image update_files failed (log: $img.log)"
chmod 644 "$img"
echo "$stamp" >"$img.stamp"
log "root image ready: $img"
