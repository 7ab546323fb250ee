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
# Each gets a home directory in guest memory (the root, /home included, is
# the host's, read-only): `su -`, which tests such as generic/128 use,
# changes to it and otherwise warns on stderr, which fails the test's
# output comparison.
# Groups as xfstests' README makes them (useradd's own group): tests such
# as generic/597 need fsgqa2 as well; groupadd refuses a name that starts
# with a digit, so 123456-fsgqa joins fsgqa.
homes=/tmp/fstests-home
for u in fsgqa fsgqa2 123456-fsgqa; do
	g=${u#123456-}
	getent group "$g" >/dev/null || groupadd "$g"
	id "$u" >/dev/null 2>&1 || useradd -M -d "$homes/$u" --badname -g "$g" "$u" 2>/dev/null
	grep -q "^$u:" /etc/shadow || echo "$u:*:20000:0:99999:7:::" >>/etc/shadow
	h=$(getent passwd "$u" | cut -d: -f6)
	if ! mkdir -p "$h" 2>/dev/null; then
		h=$homes/$u
		usermod -d "$h" "$u" && mkdir -p "$h"
	fi
	chown "$u:" "$h"
	[ -z "$(su -s /bin/bash - "$u" -c true 2>&1)" ] ||
		echo "fstests: user $u cannot run commands quietly: $(su -s /bin/bash - "$u" -c true 2>&1)"
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

# The copy sits on the guest's read-only root, but a test may write beside
# itself: _link_out_file links NNN.out to the output variant for the
# filesystem (generic/035), which failed with "could not setup output
# file" on both.  A writable overlay in guest memory takes those writes.
if [ ! -w "$xfs" ]; then  # access(2): EROFS on a read-only mount
	rw=/run/rramfs-xfstests
	mkdir -p "$rw" && mount -t tmpfs -o size=64m xfstests-rw "$rw" &&
		mkdir "$rw/upper" "$rw/work" &&
		mount -t overlay xfstests -o "lowerdir=$xfs,upperdir=$rw/upper,workdir=$rw/work" "$xfs" ||
		echo "fstests: no writable overlay over $xfs: tests that write beside themselves will fail"
fi

cd "$xfs" || exit 1
mkdir -p "$RRAMFS_OUT/results"

# A test that runs longer than $limit seconds is killed with everything it
# started, and recorded in results/timeouts ("test section seconds"), for
# report.py: one test that cannot finish in a TCG guest (or hangs) costs
# $limit, not the rest of the run.  check runs each test as
# "/bin/bash $xfs/tests/generic/NNN" (its #! line); one at a time.
limit=${RRAMFS_FSTESTS_TEST_TIMEOUT:-900}
killtree() {
	local c
	kill -STOP "$1" 2>/dev/null
	for c in $(pgrep -P "$1"); do killtree "$c"; done
	kill -KILL "$1" 2>/dev/null
}
watchdog() {
	local pid seen=
	while sleep 5; do
		pid=$(pgrep -xf '/bin/bash (.*/)?tests/[a-z]+/[0-9]+' | head -1)
		if [ -z "$pid" ] || [ "$pid" != "${seen%:*}" ]; then
			seen=${pid:+$pid:$(date +%s)}
			continue
		fi
		if [ $(($(date +%s) - ${seen#*:})) -ge "$limit" ]; then
			t=$(tr '\0' ' ' <"/proc/$pid/cmdline" | awk '{sub("^.*tests/", "", $2); print $2}')
			echo "fstests: $t on $(cat "$base/section") took over $limit s: killed"
			echo "$t $(cat "$base/section") $limit" >>"$RRAMFS_OUT/results/timeouts"
			killtree "$pid"
			seen=
		fi
	done
}
watchdog &
wd=$!
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
		echo "$s" >"$base/section"
		HOST_OPTIONS=$base/$s.config ./check -s "$s" -R xunit "${tests[@]:i:chunk}" || rc=1
	done
done
kill "$wd"
exit $rc
