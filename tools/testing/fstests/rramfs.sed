# The project's change to a copy of xfstests' common/rc and common/config:
# treat FSTYP=rramfs the way fstests treats tmpfs (no device, no mkfs, a
# sized "mkfs" is a size= mount option, nothing to fsck).  Applied by
# tools/testing/fstests/fstests.sh to its own copy, never to the user's
# checkout.  Only case labels and the one FSTYP test are touched, so it
# applies across xfstests versions; the script checks that it did.
s/^\([[:space:]]*\)tmpfs)/\1tmpfs|rramfs)/
s/|tmpfs|/|tmpfs|rramfs|/
s/|tmpfs)/|tmpfs|rramfs)/
s/\[ "\$FSTYP" == "tmpfs" \]/[ "$FSTYP" == "tmpfs" ] || [ "$FSTYP" == "rramfs" ]/
# _exclude_fs tmpfs: a test that does not suit tmpfs because every mount is
# a new filesystem (generic/732 mounts the "same" one twice) does not suit
# rramfs either.
s/^\([[:space:]]*\)\[ "\$1" = "\$FSTYP" \] && \\$/\1{ [ "$1" = "$FSTYP" ] || [ "$1:$FSTYP" = "tmpfs:rramfs" ]; } \&\& \\/
