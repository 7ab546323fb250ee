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
