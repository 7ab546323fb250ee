//! Mount options, limits, remount, statfs, user-namespace mounts.

use crate::harness::TestResult;
use crate::util::*;
use crate::{ensure, ensure_eq};
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
        ensure_eq!(statfs(&m).f_blocks as u64, blocks, "{opt}");
    }
    // A percentage of RAM: 10% is a fifth of the default (50%).
    let half = statfs(&Mount::new("")?).f_blocks as u64;
    let tenth = statfs(&Mount::new("size=10%")?).f_blocks as u64;
    ensure!(
        tenth * 5 >= half - 5 && tenth * 5 <= half + 5,
        "size=10% gave {tenth} blocks, default {half}"
    );
    Ok(())
}

fn bad_options_fail_with_einval() -> TestResult {
    for opt in [
        "size=abc",
        "size=10x",
        "size=",
        "size=200%",
        "nr_inodes=-1",
        "mode=999",
        "prefault=sometimes",
        "dio_align=3",
        "dio_align=8192",
        "uid=x",
    ] {
        let r = Mount::try_new(opt);
        ensure_eq!(errno_of(&r), libc::EINVAL, "mount -o {opt}");
    }
    let (_, log) = sh("dmesg | tail -30");
    ensure!(
        log.contains("rramfs"),
        "no rramfs message in the kernel log: {log}"
    );
    Ok(())
}

fn unknown_option_fails() -> TestResult {
    let r = Mount::try_new("colour=blue");
    ensure_eq!(errno_of(&r), libc::EINVAL);
    let (_, log) = sh("dmesg | tail -5");
    ensure!(
        log.contains("colour"),
        "the kernel log does not name the option: {log}"
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
    let m = Mount::new("size=1m,nr_inodes=7,mode=700,prefault=always,dio_align=1")?;
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
    ] {
        ensure!(line.contains(want), "{want} missing from: {line}");
    }
    Ok(())
}

fn userns_mount_has_limits() -> TestResult {
    // As an unprivileged user in a new user+mount namespace, like ramfs and
    // tmpfs allow; rramfs refuses only mounts without limits.
    let script = "set -e; d=$(mktemp -d); mount -t rramfs -o size=1m none $d; \
        dd if=/dev/zero of=$d/f bs=4k count=300 2>/dev/null && exit 3; \
        test $(stat -c %s $d/f) -le 1048576; \
        if mount -t rramfs -o size=0 none $d 2>/dev/null; then exit 4; fi; \
        if mount -t rramfs -o nr_inodes=0 none $d 2>/dev/null; then exit 5; fi; echo ok";
    let (rc, out) = sh(&format!(
        "setpriv --reuid=1000 --regid=1000 --clear-groups unshare -Urm sh -c '{script}' 2>&1"
    ));
    ensure!(
        rc == 0 && out.contains("ok"),
        "userns mount: rc {rc}: {out}"
    );
    Ok(())
}
