#!/bin/bash
# Third-party suites, run inside the VM by tools/testing/guest-check.sh:
# pjdfstest, fio with verification, stress-ng's filesystem stressors and
# fsx, each against a fresh rramfs and, as the in-kernel reference, a fresh
# tmpfs.  Prints PASS/FAIL lines for rramfs (tmpfs is the reference, shown
# in the report only) and writes a side-by-side report to $RRAMFS_OUT.
#
#   PEERS="pjdfstest fio stress fsx"   which suites (all by default)
set -u
root=$RRAMFS_ROOT
bin=$RRAMFS_CACHE/tools/bin
peers=$root/tools/testing/peers
report=$RRAMFS_OUT/peers-report.txt
suites=${PEERS:-pjdfstest fio stress fsx}
work=/tmp/peers.$$
mkdir -p "$work"
: >"$report"

mnt() { # fstype options -> mount point
	local d
	d=$(mktemp -d /tmp/peer-$1.XXXX)
	mount -t "$1" -o "$2" none "$d" || return 1
	echo "$d"
}
unmnt() { umount "$1" && rmdir "$1"; }
row() { printf '%-32s %-28s %s\n' "$1" "$2" "$3" >>"$report"; }
result() { # name ok message
	if [ "$2" = 1 ]; then echo "PASS $1"; else echo "FAIL $1: $3"; fi
}
opts_of() { [ "$1" = rramfs ] && echo "size=512m" || echo "size=512m"; }

row "suite" "rramfs" "tmpfs (reference)"

# --- pjdfstest: POSIX conformance -----------------------------------------------
if [[ " $suites " == *" pjdfstest "* ]]; then
	groupadd -f tests 2>/dev/null
	id tests >/dev/null 2>&1 || useradd -M -g tests tests 2>/dev/null
	for fs in rramfs tmpfs; do
		d=$(mnt $fs "$(opts_of $fs)")
		(cd "$d" && timeout 900 "$bin/pjdfstest" -c "$peers/pjdfstest.toml" -p "$d" >"$work/pjd.$fs" 2>&1)
		unmnt "$d"
		grep -E ' (ok|FAILED|skipped)$' "$work/pjd.$fs" | awk '{print $1, $NF}' >"$work/pjd.$fs.res"
	done
	count() { grep -c " $2\$" "$work/pjd.$1.res"; }
	row pjdfstest "$(count rramfs ok) ok, $(count rramfs FAILED) failed, $(count rramfs skipped) skipped" \
		"$(count tmpfs ok) ok, $(count tmpfs FAILED) failed, $(count tmpfs skipped) skipped"
	unknown=
	while read -r name status; do
		[ "$status" = FAILED ] || continue
		grep -q "^$name " "$peers/pjdfstest-known-failures.txt" && continue
		tm=$(awk -v n="$name" '$1 == n {print $2}' "$work/pjd.tmpfs.res")
		unknown+=" $name(tmpfs:${tm:-?})"
	done <"$work/pjd.rramfs.res"
	total=$(wc -l <"$work/pjd.rramfs.res")
	if [ "$total" -gt 100 ] && [ -z "$unknown" ]; then
		result peer::pjdfstest 1
	else
		result peer::pjdfstest 0 "unlisted failures:${unknown:- none, but only $total results}"
		sed -n '/FAILED/,+3p' "$work/pjd.rramfs" | head -40
	fi
fi

# --- fio: data verification over four engines, buffered and O_DIRECT -------------
if [[ " $suites " == *" fio "* ]]; then
	for fs in rramfs tmpfs; do
		d=$(mnt $fs "$(opts_of $fs)")
		(cd "$d" && timeout 1200 fio --output-format=terse --terse-version=3 "$peers/verify.fio" >"$work/fio.$fs" 2>&1)
		echo $? >"$work/fio.$fs.rc"
		unmnt "$d"
	done
	jobs=$(grep -c '^\[' "$peers/verify.fio")
	jobs=$((jobs - 1))
	okjobs() { awk -F';' '$5 == 0' "$work/fio.$1" | wc -l; }
	row "fio verify ($jobs jobs)" "exit $(cat "$work/fio.rramfs.rc"), $(okjobs rramfs) jobs ok" \
		"exit $(cat "$work/fio.tmpfs.rc"), $(okjobs tmpfs) jobs ok"
	if [ "$(cat "$work/fio.rramfs.rc")" = 0 ] && [ "$(okjobs rramfs)" = "$jobs" ]; then
		result peer::fio_verify 1
	else
		result peer::fio_verify 0 "fio exit $(cat "$work/fio.rramfs.rc"); $(okjobs rramfs)/$jobs jobs ok"
		grep -iE 'err|verify|bad' "$work/fio.rramfs" | head -20
	fi
	# Odd O_DIRECT sizes: accepted with dio_align=1, EINVAL under the default.
	d=$(mnt rramfs size=64m,dio_align=1)
	(cd "$d" && fio --output-format=terse "$peers/direct-odd.fio" >"$work/fio.odd1" 2>&1)
	rc1=$?
	unmnt "$d"
	d=$(mnt rramfs size=64m)
	(cd "$d" && fio --output-format=terse "$peers/direct-odd.fio" >"$work/fio.odd512" 2>&1)
	rc512=$?
	unmnt "$d"
	d=$(mnt tmpfs size=64m)
	(cd "$d" && fio --output-format=terse "$peers/direct-odd.fio" >"$work/fio.oddtmp" 2>&1)
	rctmp=$?
	unmnt "$d"
	row "fio O_DIRECT bs=1000" "dio_align=1: exit $rc1; 512: exit $rc512" "exit $rctmp"
	if [ $rc1 = 0 ] && [ $rc512 != 0 ] && grep -q 'Invalid argument' "$work/fio.odd512"; then
		result peer::fio_direct_odd_sizes 1
	else
		result peer::fio_direct_odd_sizes 0 "dio_align=1 exit $rc1, dio_align=512 exit $rc512 (want 0 and EINVAL)"
	fi
fi

# --- stress-ng: filesystem stressors, bounded time each --------------------------
if [[ " $suites " == *" stress "* ]]; then
	stressors="dentry dir fallocate filename flock fpunch fstat getdent hdd link lockf
		mmap rename seek sendfile splice symlink sync-file touch utime xattr copy-file readahead"
	for fs in rramfs tmpfs; do
		d=$(mnt $fs "$(opts_of $fs)")
		okc=0 bad=
		for s in $stressors; do
			timeout 120 stress-ng --temp-path "$d" --"$s" 1 --timeout 3s --verify \
				>"$work/stress.$fs.$s" 2>&1
			rc=$?
			# 0 ok; 4 = not implemented / no resource here: not a failure
			if [ $rc = 0 ] || [ $rc = 4 ]; then okc=$((okc + 1)); else bad+=" $s($rc)"; fi
		done
		unmnt "$d"
		echo "$okc ok${bad:+, failed:$bad}" >"$work/stress.$fs"
	done
	n=$(echo $stressors | wc -w)
	row "stress-ng ($n stressors, 3 s)" "$(cat "$work/stress.rramfs")" "$(cat "$work/stress.tmpfs")"
	if grep -q failed "$work/stress.rramfs"; then
		result peer::stress_ng 0 "$(cat "$work/stress.rramfs")"
	else
		result peer::stress_ng 1
	fi
fi

# --- fsx: random operations with mmap, checked against a model ------------------
if [[ " $suites " == *" fsx "* ]]; then
	for fs in rramfs tmpfs; do
		d=$(mnt $fs "$(opts_of $fs)")
		(cd "$work" && timeout 1200 "$bin/fsx" -N 20000 -S 1 -f "$peers/fsx.toml" -P "$work" "$d/fsx.file" >"$work/fsx.$fs" 2>&1)
		echo $? >"$work/fsx.$fs.rc"
		unmnt "$d"
	done
	row "fsx (20000 ops, mmap)" "exit $(cat "$work/fsx.rramfs.rc")" "exit $(cat "$work/fsx.tmpfs.rc")"
	if [ "$(cat "$work/fsx.rramfs.rc")" = 0 ]; then
		result peer::fsx 1
	else
		result peer::fsx 0 "fsx exit $(cat "$work/fsx.rramfs.rc")"
		tail -20 "$work/fsx.rramfs"
	fi
fi
