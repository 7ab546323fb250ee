#!/bin/bash
# `make ktest KTEST_DIR=/path/to/ktest [KTEST_TESTS="basic dio"]`: rramfs's
# suite under Kent Overstreet's ktest, through `ktest run -k` against the
# cached test kernel (FLAVOR=ktest: the test kernel plus what ktest's guest
# needs, tools/kernel/ktest.config).
#
# What it sets up, because ktest assumes a developer's workstation:
#   - an unprivileged user: ktest refuses to start QEMU as root.  Run as
#     root, the run belongs to the system user rramfs-ktest, whose home
#     ($RRAMFS_KTEST_HOME, /var/lib/rramfs-ktest) holds everything the
#     guest reads through ktest's virtiofs share of the host's /, because
#     the user cannot read /root; run as another user, it is that user and
#     $RRAMFS_CACHE/ktest.
#   - virtiofsd from crates.io (ktest runs it unprivileged, --translate-uid);
#   - a root image: minimal bookworm plus ktest's guest files
#     (root-image.sh; building it needs root or sudo);
#   - TCG: ktest's x86 QEMU line is KVM with -cpu host; rramfs.ktest
#     prepends tools/testing/ktest/qemu-tcg, which makes it TCG with
#     -cpu max (SMAP), unless RRAMFS_ACCEL=kvm.
# The user's ktest checkout is copied, never changed.  KTEST_INJECT=1 adds
# a test that fails on purpose (to see that ktest reports it);
# KTEST_VERBOSE=1 boots without "quiet" (ktest -v).
#
# Prints one line per ktest test, PASS/FAIL/SKIP ktest::<test>, then the
# verdict; exits non-zero if any test did not pass or ktest itself failed.
# ktest's own output: $RRAMFS_CACHE/last-ktest/ktest.log and out/.
set -euo pipefail
. "$(dirname "$0")/../../config.sh"

[ -n "${KTEST_DIR:-}" ] ||
	die "set KTEST_DIR to a ktest checkout (git clone https://github.com/koverstreet/ktest)"
src=$(realpath "$KTEST_DIR") || die "KTEST_DIR=$KTEST_DIR does not exist"
for f in ktest root_image lib/libktest.sh lib/testrunner tests/test-libs.sh; do
	[ -e "$src/$f" ] || die "KTEST_DIR=$src is not a ktest checkout (no $f)"
done
report=$RRAMFS_CACHE/last-ktest
rm -rf "$report"
mkdir -p "$report"

"$RRAMFS_ROOT/tools/setup.sh" --ktest >&2 || die "setup failed"
kdir=$(FLAVOR=ktest "$RRAMFS_ROOT/tools/kernel/build.sh") || die "the ktest kernel did not build"
log "building rramfs.ko for $(basename "$kdir") and the test programs"
build_module_copy "$kdir" "$RRAMFS_CACHE/module-$KVER-ktest" >"$report/build.log" 2>&1 ||
	die "rramfs.ko did not build (log: $report/build.log)"
for m in tools/testing/rramfs-tests samples; do
	cargo build -q --release --manifest-path "$RRAMFS_ROOT/$m/Cargo.toml" >>"$report/build.log" 2>&1 ||
		die "$m did not build (log: $report/build.log)"
done

# --- who runs ktest, and where the guest finds its files ---------------------
if [ "$(id -u)" = 0 ]; then
	user=rramfs-ktest
	home=${RRAMFS_KTEST_HOME:-/var/lib/rramfs-ktest}
	id -u "$user" >/dev/null 2>&1 ||
		useradd --system --home-dir "$home" --create-home --shell /bin/bash "$user"
	mkdir -p "$home"
	as_user() { runuser -u "$user" -- "$@"; }
else
	user=$(id -un)
	home=$RRAMFS_CACHE/ktest
	as_user() { "$@"; }
fi
chmod 755 "$home"

# The root image: ktest looks for it in $HOME/.ktest/root.<debian arch>.
as_root "$RRAMFS_ROOT/tools/testing/ktest/root-image.sh" "$src" "$home/.ktest/root.amd64"

# The staged tree, at paths the guest sees under /host: ktest, the kernel,
# virtiofsd, and the rramfs files the suite runs (module, runner, samples,
# scripts), laid out as in the checkout.
stage=$home/stage
as_root rm -rf "$stage"
mkdir -p "$stage/kernel" "$stage/bin" "$stage/rramfs"
cp -a "$src" "$stage/ktest"
rm -f "$stage/ktest/lib/supervisor"
cp "$kdir/arch/x86/boot/bzImage" "$stage/kernel/vmlinuz"
cp "$RRAMFS_CACHE/tools/bin/virtiofsd" "$stage/bin/"
(
	cd "$RRAMFS_ROOT"
	cp --parents tools/testing/guest-check.sh tools/vm/dmesg-scan.sh \
		tools/testing/ktest/rramfs.ktest tools/testing/ktest/qemu-tcg \
		tools/testing/rramfs-tests/target/release/rramfs-tests "$stage/rramfs/"
	for s in samples/target/release/*; do
		if [ -f "$s" ] && [ -x "$s" ]; then cp --parents "$s" "$stage/rramfs/"; fi
	done
)
cp "$RRAMFS_CACHE/module-$KVER-ktest/rramfs.ko" "$stage/rramfs/rramfs.ko"
[ "$(id -u)" != 0 ] || chown -R "$user:" "$home"

# --- the run -------------------------------------------------------------------
ktest_file=$stage/rramfs/tools/testing/ktest/rramfs.ktest
as_root rm -rf "$home/out"
run_env=(env HOME="$home" PATH="$stage/bin:$PATH" KTEST_DIR="$stage/ktest"
	RRAMFS_ACCEL="${RRAMFS_ACCEL:-tcg}" ${RRAMFS_QEMU_CPU:+RRAMFS_QEMU_CPU=$RRAMFS_QEMU_CPU}
	${KTEST_INJECT:+ktest_rramfs_inject=1})
# shellcheck disable=SC2086
selected=${KTEST_TESTS:-$(as_user "${run_env[@]}" "$ktest_file" list-tests | tr '\n' ' ')}
[ -n "${selected// /}" ] || die "rramfs.ktest lists no test"
log "ktest run: $(echo $selected)"
set +e
# shellcheck disable=SC2086
(cd "$home" && as_user "${run_env[@]}" "$stage/ktest/ktest" run ${KTEST_VERBOSE:+-v} -k "$stage/kernel" \
	-o "$home/out" "$ktest_file" $selected) >"$report/ktest.log" 2>&1
ktest_rc=$?
set -e
cp -r "$home/out/out" "$report/out" 2>/dev/null || true

# --- the verdict: one line per selected test, from ktest's status files ----------
passed=0 failed=0 skipped=0
for t in $selected; do
	status=$(cat "$home/out/out/rramfs.$t/status" 2>/dev/null || echo "no status file")
	case $status in
	*PASSED*) echo "PASS ktest::$t"; passed=$((passed + 1)) ;;
	*NOTRUN*) echo "SKIP ktest::$t: $status"; skipped=$((skipped + 1)) ;;
	*) echo "FAIL ktest::$t: $status (log: $report/out/rramfs.$t/)"; failed=$((failed + 1)) ;;
	esac
done
if [ "$ktest_rc" = 0 ] && grep -q "TEST SUCCESS" "$report/ktest.log"; then
	echo "PASS ktest::run"
	passed=$((passed + 1))
else
	echo "FAIL ktest::run: ktest exited $ktest_rc (log: $report/ktest.log)"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
