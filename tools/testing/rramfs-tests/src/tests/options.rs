//! Mount options, limits, remount, statfs, user-namespace mounts.

use crate::harness::TestResult;
use crate::util::*;
use crate::{ensure, ensure_eq};
use std::ffi::CString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

crate::tests![
    mode_uid_gid,
    size_suffixes_and_percent,
    bad_options_fail_with_einval,
    unknown_option_fails,
    statfs_shows_usage,
    nr_inodes_enforced,
    remount_changes_limits,
    remount_refuses_shrinking_below_use,
    show_options_in_proc_mounts,
    userns_mount_has_limits,
];

fn mode_uid_gid() -> TestResult {
    let m = Mount::new("mode=1777,uid=1000,gid=100")?;
    let md = std::fs::metadata(m.root()).unwrap();
    ensure_eq!(md.permissions().mode() & 0o7777, 0o1777);
    ensure_eq!(md.uid(), 1000);
    ensure_eq!(md.gid(), 100);
    Ok(())
}

fn size_suffixes_and_percent() -> TestResult {
    for (opt, blocks) in [
        ("size=1m", 256u64),
        ("size=8k", 2),
        ("size=4097", 2),
        ("size=1g", 262144),
    ] {
        let m = Mount::new(opt)?;
        ensure_eq!(statfs(&m).f_blocks, blocks, "{opt}");
    }
    // A percentage of RAM: 10% is a fifth of the default (50%).
    let half = statfs(&Mount::new("")?).f_blocks;
    let tenth = statfs(&Mount::new("size=10%")?).f_blocks;
    ensure!(
        tenth * 5 >= half - 5 && tenth * 5 <= half + 5,
        "size=10% gave {tenth} blocks, default {half}"
    );
    Ok(())
}

/// Sets one option on a new rramfs `fs_context` (fsopen/fsconfig, as
/// mount(8) does today); returns fsconfig's errno (0 on success) and the
/// messages the context logged.
fn fsconfig_string(key: &str, value: &str) -> Result<(i32, String), String> {
    let fstype = CString::new("rramfs").unwrap();
    // SAFETY: A valid string; FSOPEN_CLOEXEC.
    let fsfd = unsafe { libc::syscall(libc::SYS_fsopen, fstype.as_ptr(), 1) } as i32;
    if fsfd < 0 {
        return Err(format!("fsopen: errno {}", last_errno()));
    }
    let (k, v) = (CString::new(key).unwrap(), CString::new(value).unwrap());
    const FSCONFIG_SET_STRING: i32 = 1;
    // SAFETY: Valid fd and strings.
    let r = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            fsfd,
            FSCONFIG_SET_STRING,
            k.as_ptr(),
            v.as_ptr(),
            0,
        )
    };
    let err = if r < 0 { last_errno() } else { 0 };
    let mut log = String::new();
    let mut buf = [0u8; 512];
    loop {
        // SAFETY: Valid fd and buffer; each read returns one message.
        let n = unsafe { libc::read(fsfd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        log.push_str(&String::from_utf8_lossy(&buf[..n as usize]));
        log.push('\n');
    }
    close(fsfd);
    Ok((err, log))
}

fn bad_options_fail_with_einval() -> TestResult {
    for opt in [
        "size=abc",
        "size=10x",
        "size=",
        "size=200%",
        "nr_inodes=-1",
        "nr_inodes=1e",
        "mode=999",
        "prefault=sometimes",
        "dio_align=3",
        "dio_align=8192",
        "uid=x",
    ] {
        let r = Mount::try_new(opt);
        ensure_eq!(errno_of(&r), libc::EINVAL, "mount -o {opt}");
        // The reason goes to the mount's own log, where its caller reads
        // it (invalfc), not only to the kernel log.
        let (key, value) = opt.split_once('=').unwrap();
        let (err, log) = fsconfig_string(key, value)?;
        ensure_eq!(err, libc::EINVAL, "fsconfig {opt}");
        ensure!(
            log.starts_with("e rramfs: ") && log.contains(key),
            "fsconfig {opt}: the context's log does not name {key}: {log:?}"
        );
    }
    // rramfs's own checks, word for word.
    let (_, log) = fsconfig_string("size", "abc")?;
    ensure!(log.contains("bad value for size"), "{log:?}");
    let (_, log) = fsconfig_string("dio_align", "3")?;
    ensure!(log.contains("dio_align must be a power of two"), "{log:?}");
    Ok(())
}

fn unknown_option_fails() -> TestResult {
    let r = Mount::try_new("colour=blue");
    ensure_eq!(errno_of(&r), libc::EINVAL);
    let (err, log) = fsconfig_string("colour", "blue")?;
    ensure_eq!(err, libc::EINVAL);
    ensure!(
        log.contains("colour"),
        "the log does not name the option: {log:?}"
    );
    Ok(())
}

fn statfs_shows_usage() -> TestResult {
    let m = Mount::new("size=4m,nr_inodes=100")?;
    let st0 = statfs(&m);
    ensure_eq!(st0.f_blocks, 1024);
    ensure_eq!(st0.f_bfree, 1024);
    ensure_eq!(st0.f_files, 100);
    ensure_eq!(st0.f_ffree, 99, "the root inode counts");
    ensure_eq!(st0.f_bsize, 4096);
    ensure_eq!(st0.f_namelen, 255);
    std::fs::write(m.path("f"), vec![1u8; 1 << 20]).map_err(|e| e.to_string())?;
    let st1 = statfs(&m);
    ensure_eq!(st1.f_bfree, 1024 - 256);
    ensure_eq!(st1.f_ffree, 98);
    std::fs::remove_file(m.path("f")).map_err(|e| e.to_string())?;
    let st2 = statfs(&m);
    ensure_eq!(st2.f_bfree, 1024, "space not returned after unlink");
    ensure_eq!(st2.f_ffree, 99, "inode not returned after unlink");
    let (rc, out) = sh(&format!("df -k {}", m.root().display()));
    ensure!(rc == 0 && out.contains("4096"), "df: {out}");
    Ok(())
}

fn nr_inodes_enforced() -> TestResult {
    let m = Mount::new("nr_inodes=5")?;
    for i in 0..4 {
        std::fs::write(m.path(&format!("f{i}")), b"").map_err(|e| e.to_string())?;
    }
    let r = std::fs::write(m.path("f4"), b"");
    ensure_eq!(errno_of(&r), libc::ENOSPC);
    ensure_eq!(errno_of(&std::fs::create_dir(m.path("d"))), libc::ENOSPC);
    ensure_eq!(
        errno_of(&std::os::unix::fs::symlink("x", m.path("l"))),
        libc::ENOSPC
    );
    // A hard link needs no new inode.
    std::fs::hard_link(m.path("f0"), m.path("h")).map_err(|e| e.to_string())?;
    std::fs::remove_file(m.path("f1")).map_err(|e| e.to_string())?;
    std::fs::write(m.path("f4"), b"").map_err(|e| format!("after unlink: {e}"))?;
    Ok(())
}

fn remount_changes_limits() -> TestResult {
    let m = Mount::new("size=1m,nr_inodes=10")?;
    m.remount("size=2m,nr_inodes=20")
        .map_err(|e| e.to_string())?;
    let st = statfs(&m);
    ensure_eq!(st.f_blocks, 512);
    ensure_eq!(st.f_files, 20);
    // Options not given stay.
    m.remount("nr_inodes=30").map_err(|e| e.to_string())?;
    ensure_eq!(statfs(&m).f_blocks, 512);
    Ok(())
}

fn remount_refuses_shrinking_below_use() -> TestResult {
    let m = Mount::new("size=2m")?;
    std::fs::write(m.path("f"), vec![1u8; 1 << 20]).map_err(|e| e.to_string())?;
    ensure_eq!(errno_of(&m.remount("size=512k")), libc::EINVAL);
    ensure_eq!(
        statfs(&m).f_blocks,
        512,
        "a refused remount changed the size"
    );
    m.remount("size=1m")
        .map_err(|e| format!("exactly the use: {e}"))?;
    ensure_eq!(std::fs::read(m.path("f")).unwrap().len(), 1 << 20);
    Ok(())
}

fn show_options_in_proc_mounts() -> TestResult {
    let m =
        Mount::new("size=1m,nr_inodes=7,mode=700,prefault=always,dio_align=1,uid=1000,gid=1001")?;
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap();
    let line = mounts
        .lines()
        .find(|l| l.contains(m.root().to_str().unwrap()))
        .ok_or("not in /proc/mounts")?;
    for want in [
        "size=1024k",
        "nr_inodes=7",
        "mode=700",
        "prefault=always",
        "dio_align=1",
        "uid=1000",
        "gid=1001",
    ] {
        ensure!(line.contains(want), "{want} missing from: {line}");
    }
    Ok(())
}

fn userns_mount_has_limits() -> TestResult {
    // As an unprivileged user in a new user+mount namespace, like ramfs and
    // tmpfs allow; rramfs refuses mounts without limits or with limits
    // above a privileged mount's defaults (half of RAM).
    let script = "set -e; d=$(mktemp -d); mount -t rramfs -o size=1m none $d; \
        dd if=/dev/zero of=$d/f bs=4k count=300 2>/dev/null && exit 3; \
        test $(stat -c %s $d/f) -le 1048576; \
        if mount -t rramfs -o size=0 none $d 2>/dev/null; then exit 4; fi; \
        if mount -t rramfs -o nr_inodes=0 none $d 2>/dev/null; then exit 5; fi; \
        if mount -t rramfs -o size=8e none $d 2>/dev/null; then exit 6; fi; \
        if mount -t rramfs -o size=1m,nr_inodes=1g none $d 2>/dev/null; then exit 7; fi; \
        mount -t rramfs -o size=1m,nr_inodes=64 none $d; echo ok";
    let (rc, out) = sh(&format!(
        "setpriv --reuid=1000 --regid=1000 --clear-groups unshare -Urm sh -c '{script}' 2>&1"
    ));
    ensure!(
        rc == 0 && out.contains("ok"),
        "userns mount: rc {rc}: {out}"
    );
    Ok(())
}
