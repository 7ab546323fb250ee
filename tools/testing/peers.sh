#!/bin/bash
# Third-party suites, run inside the VM by tools/testing/guest-check.sh:
# pjdfstest, fio with verification, stress-ng's filesystem stressors and
# fsx, each against a fresh rramfs and, as the in-kernel reference, a fresh
# tmpfs.  Prints PASS/FAIL lines for rramfs (tmpfs is the reference, shown
# in the report only) and writes a side-by-side report to $RRAMFS_OUT.
#
#   PEERS="pjdfstest fio stress fsx"   which suites (all by default)
#
# A suite whose mount fails, or that exits with an unexpected status, is a
# failure; a stressor stress-ng cannot run here is a SKIP line, not a pass.
# Exits 1 if anything failed.  `peers.sh --list` prints the result names.
set -u
root=$RRAMFS_ROOT
peers=$root/tools/testing/peers
suites=${PEERS:-pjdfstest fio stress fsx}
stressors="dentry dir fallocate filename flock fpunch fstat getdent hdd link lockf
	mmap rename seek sendfile splice symlink sync-file touch utime xattr copy-file readahead"

if [ "${1:-}" = --list ]; then
	for s in $suites; do
		case $s in
		pjdfstest) echo peer::pjdfstest ;;
		fio) echo peer::fio_verify; echo peer::fio_direct_odd_sizes ;;
		stress) for x in $stressors; do echo "peer::stress_ng::$x"; done ;;
		fsx) echo peer::fsx ;;
		esac
	done
	exit 0
fi

bin=$RRAMFS_CACHE/tools/bin
report=$RRAMFS_OUT/peers-report.txt
work=/tmp/peers.$$
mkdir -p "$work"
: >"$report"
status=0

mnt() { # fstype options -> mount point; fails if the mount does
	local d
	d=$(mktemp -d /tmp/peer-$1.XXXX)
	if ! mount -t "$1" -o "$2" none "$d"; then
		rmdir "$d"
		return 1
	fi
	echo "$d"
}
unmnt() { umount "$1" && rmdir "$1"; }
row() { printf '%-32s %-28s %s\n' "$1" "$2" "$3" >>"$report"; }
result() { # name ok message
	if [ "$2" = 1 ]; then echo "PASS $1"; else echo "FAIL $1: $3"; status=1; fi
}
opts_of() { [ "$1" = rramfs ] && echo "size=512m" || echo "size=512m"; }

row "suite" "rramfs" "tmpfs (reference)"

# --- pjdfstest: POSIX conformance -----------------------------------------------
if [[ " $suites " == *" pjdfstest "* ]]; then
	groupadd -f tests 2>/dev/null
	id tests >/dev/null 2>&1 || useradd -M -g tests tests 2>/dev/null
	mounted=1
	for fs in rramfs tmpfs; do
		if ! d=$(mnt $fs "$(opts_of $fs)"); then mounted=0; break; fi
		(cd "$d" && timeout 900 "$bin/pjdfstest" -c "$peers/pjdfstest.toml" -p "$d" >"$work/pjd.$fs" 2>&1)
		echo $? >"$work/pjd.$fs.rc"
		unmnt "$d"
		grep -E ' (ok|FAILED|skipped)$' "$work/pjd.$fs" | awk '{print $1, $NF}' >"$work/pjd.$fs.res"
	done
	if [ $mounted = 0 ]; then
		result peer::pjdfstest 0 "could not mount $fs"
	else
		count() { grep -c " $2\$" "$work/pjd.$1.res"; }
		row pjdfstest "$(count rramfs ok) ok, $(count rramfs FAILED) failed, $(count rramfs skipped) skipped" \
			"$(count tmpfs ok) ok, $(count tmpfs FAILED) failed, $(count tmpfs skipped) skipped"
		unknown=
		while read -r name st; do
			[ "$st" = FAILED ] || continue
			grep -q "^$name " "$peers/pjdfstest-known-failures.txt" && continue
			tm=$(awk -v n="$name" '$1 == n {print $2}' "$work/pjd.tmpfs.res")
			unknown+=" $name(tmpfs:${tm:-?})"
		done <"$work/pjd.rramfs.res"
		rc=$(cat "$work/pjd.rramfs.rc")
		known=$(grep -cv '^#' "$peers/pjdfstest-known-failures.txt")
		# Exit 0 (or, with listed failures only, non-zero), and exactly as
		# many passes as tmpfs in the same run.
		if [ -n "$unknown" ]; then
			result peer::pjdfstest 0 "unlisted failures:$unknown"
			sed -n '/FAILED/,+3p' "$work/pjd.rramfs" | head -40
		elif [ "$rc" != 0 ] && [ "$known" = 0 ]; then
			result peer::pjdfstest 0 "pjdfstest exited $rc"
			tail -20 "$work/pjd.rramfs"
		elif [ "$(count rramfs ok)" != "$(count tmpfs ok)" ] || [ "$(count rramfs ok)" -lt 100 ]; then
			result peer::pjdfstest 0 "$(count rramfs ok) passed on rramfs, $(count tmpfs ok) on tmpfs"
		else
			result peer::pjdfstest 1
		fi
		n=$(count rramfs skipped)
		[ "$n" = 0 ] || echo "SKIP peer::pjdfstest_skipped: $n pjdfstest tests skipped on rramfs ($(count tmpfs skipped) on tmpfs): features neither filesystem has"
	fi
fi

# --- fio: data verification over four engines, buffered and O_DIRECT -------------
if [[ " $suites " == *" fio "* ]]; then
	for fs in rramfs tmpfs; do
		if ! d=$(mnt $fs "$(opts_of $fs)"); then echo "mount failed" >"$work/fio.$fs"; echo 99 >"$work/fio.$fs.rc"; continue; fi
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
	odd() { # fstype options output -> fio's exit status (99: no mount)
		local d
		d=$(mnt "$1" "$2") || return 99
		(cd "$d" && fio --output-format=terse "$peers/direct-odd.fio" >"$work/$3" 2>&1)
		local rc=$?
		unmnt "$d"
		return $rc
	}
	odd rramfs size=64m,dio_align=1 fio.odd1
	rc1=$?
	odd rramfs size=64m fio.odd512
	rc512=$?
	odd tmpfs size=64m fio.oddtmp
	rctmp=$?
	row "fio O_DIRECT bs=1000" "dio_align=1: exit $rc1; 512: exit $rc512" "exit $rctmp"
	if [ $rc1 = 0 ] && [ $rc512 != 0 ] && [ $rc512 != 99 ] && grep -q 'Invalid argument' "$work/fio.odd512"; then
		result peer::fio_direct_odd_sizes 1
	else
		result peer::fio_direct_odd_sizes 0 "dio_align=1 exit $rc1, dio_align=512 exit $rc512 (want 0 and EINVAL)"
	fi
fi

# --- stress-ng: filesystem stressors, bounded time each --------------------------
# Two instances of each (one per vCPU), so that they race each other.
if [[ " $suites " == *" stress "* ]]; then
	for fs in rramfs tmpfs; do
		okc=0 bad= skipped=
		if ! d=$(mnt $fs "$(opts_of $fs)"); then
			echo "mount failed" >"$work/stress.$fs"
			for s in $stressors; do echo 99 >"$work/stress.$fs.$s.rc"; done
			continue
		fi
		for s in $stressors; do
			timeout 120 stress-ng --temp-path "$d" --"$s" 2 --timeout 3s --verify \
				>"$work/stress.$fs.$s" 2>&1
			rc=$?
			echo $rc >"$work/stress.$fs.$s.rc"
			# 0 ok; 4 = not implemented / no resource here: a skip
			case $rc in 0) okc=$((okc + 1)) ;; 4) skipped+=" $s" ;; *) bad+=" $s($rc)" ;; esac
		done
		unmnt "$d"
		echo "$okc ok${skipped:+, skipped:$skipped}${bad:+, failed:$bad}" >"$work/stress.$fs"
	done
	n=$(echo $stressors | wc -w)
	row "stress-ng ($n stressors, 2 each, 3 s)" "$(cat "$work/stress.rramfs")" "$(cat "$work/stress.tmpfs")"
	for s in $stressors; do
		rc=$(cat "$work/stress.rramfs.$s.rc")
		case $rc in
		0) result "peer::stress_ng::$s" 1 ;;
		4) echo "SKIP peer::stress_ng::$s: stress-ng cannot run it here (exit 4; tmpfs: exit $(cat "$work/stress.tmpfs.$s.rc"))" ;;
		99) result "peer::stress_ng::$s" 0 "could not mount rramfs" ;;
		*) result "peer::stress_ng::$s" 0 "stress-ng exited $rc"; tail -5 "$work/stress.rramfs.$s" ;;
		esac
	done
fi

# --- fsx: random operations with mmap, checked against a model ------------------
# Two seeds at once, each on its own file of the same mount: twice the
# operations in the same time on two vCPUs, and the two race in the
# filesystem's shared state (allocation, accounting, the inode lists).
fsx_seeds="1 2" fsx_ops=20000
if [[ " $suites " == *" fsx "* ]]; then
	for fs in rramfs tmpfs; do
		if ! d=$(mnt $fs "$(opts_of $fs)"); then echo "mount failed" >"$work/fsx.$fs"; echo 99 >"$work/fsx.$fs.rc"; continue; fi
		for seed in $fsx_seeds; do
			mkdir -p "$work/fsx.$fs.$seed.d"
			(cd "$work" && timeout 1200 "$bin/fsx" -N $fsx_ops -S "$seed" -f "$peers/fsx.toml" \
				-P "$work/fsx.$fs.$seed.d" "$d/fsx.$seed" >"$work/fsx.$fs.$seed" 2>&1
			echo $? >"$work/fsx.$fs.$seed.rc") &
		done
		wait
		rc=0 bad=
		for seed in $fsx_seeds; do
			r=$(cat "$work/fsx.$fs.$seed.rc")
			[ "$r" = 0 ] || { rc=$r; bad+=" seed $seed: exit $r"; }
		done
		echo "$rc" >"$work/fsx.$fs.rc"
		echo "${bad:-exit 0}" >"$work/fsx.$fs"
		unmnt "$d"
	done
	row "fsx ($fsx_ops ops x seeds $fsx_seeds, at once, mmap)" "$(cat "$work/fsx.rramfs")" "$(cat "$work/fsx.tmpfs")"
	if [ "$(cat "$work/fsx.rramfs.rc")" = 0 ]; then
		result peer::fsx 1
	else
		result peer::fsx 0 "fsx:$(cat "$work/fsx.rramfs")"
		for seed in $fsx_seeds; do tail -20 "$work/fsx.rramfs.$seed"; done
	fi
fi
exit $status
