#!/bin/bash
# Runs inside the VM (tools/vm/run.sh, started by fstests.sh): xfstests'
# ./check over one selection, once per section, rramfs first, then tmpfs
# in the same boot, so the two columns of the report come from one kernel.
#
#   guest.sh XFSTESTS_COPY SECTIONS TEST...
#
# Results: $RRAMFS_OUT/results/<chunk>/<section>/result.xml (xunit).
set -uo pipefail
xfs=$1 sections=$2
shift 2

# The users fstests switches to.  virtme-ng bind-mounts a file over
# /etc/shadow, so useradd (which renames a new copy over it) fails there
# after writing /etc/passwd: add the shadow lines by hand, or su refuses.
getent group fsgqa >/dev/null || groupadd fsgqa
for u in fsgqa fsgqa2 123456-fsgqa; do
	id "$u" >/dev/null 2>&1 || useradd -M --badname -g fsgqa "$u" 2>/dev/null
	grep -q "^$u:" /etc/shadow || echo "$u:*:20000:0:99999:7:::" >>/etc/shadow
	echo true | su "$u" || echo "fstests: user $u cannot run commands"
done

base=/tmp/fstests
for s in $sections; do
	mkdir -p "$base/$s/test" "$base/$s/scratch"
	# One config file per section: check starts from the first section
	# of its config, and a later section of another FSTYP makes it
	# "recreate" the test filesystem with mkfs, which fails for tmpfs.
	# size=1G: what fstests gives tmpfs (common/config); the same for both.
	cat >"$base/$s.config" <<EOF
[$s]
FSTYP=$s
TEST_DEV=${s}_test
TEST_DIR=$base/$s/test
SCRATCH_DEV=${s}_scratch
SCRATCH_MNT=$base/$s/scratch
EOF
done

cd "$xfs" || exit 1
# In chunks of $chunk tests, each run on every section before the next
# chunk starts: the columns fill side by side, so a run cut short still
# compares like with like.  Results: results/<chunk>/<section>/.
# -R xunit: one machine-readable result per test for the host to judge.
chunk=20
tests=("$@")
rc=0
for ((i = 0; i < ${#tests[@]}; i += chunk)); do
	export RESULT_BASE=$RRAMFS_OUT/results/$(printf %04d $((i / chunk)))
	for s in $sections; do
		HOST_OPTIONS=$base/$s.config ./check -s "$s" -R xunit "${tests[@]:i:chunk}" || rc=1
	done
done
exit $rc
