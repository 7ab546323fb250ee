//! The rig's minimum: rramfs registers, mounts with an empty root owned by
//! root with mode 0755, unmounts, and pins the module while mounted.

use crate::harness::TestResult;
use crate::util::*;
use crate::{ensure, ensure_eq};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

crate::tests![
    registered,
    mount_empty_root,
    umount_then_remount,
    module_pinned_while_mounted,
    memory_freed_at_umount,
    module_alias_for_autoload,
];

fn registered() -> TestResult {
    let fs = std::fs::read_to_string("/proc/filesystems").map_err(|e| e.to_string())?;
    ensure!(
        fs.lines().any(|l| l.trim_end().ends_with("\trramfs")),
        "rramfs not in /proc/filesystems"
    );
    Ok(())
}

fn mount_empty_root() -> TestResult {
    let m = Mount::new("")?;
    let md = std::fs::metadata(m.root()).map_err(|e| e.to_string())?;
    ensure!(md.is_dir(), "root is not a directory");
    ensure_eq!(md.permissions().mode() & 0o7777, 0o755);
    ensure_eq!(md.uid(), 0);
    ensure_eq!(md.gid(), 0);
    ensure_eq!(md.nlink(), 2);
    let n = std::fs::read_dir(m.root())
        .map_err(|e| e.to_string())?
        .count();
    ensure_eq!(n, 0, "root directory not empty");
    // statfs reports rramfs's magic.
    let c = std::ffi::CString::new(m.root().to_str().unwrap()).unwrap();
    // SAFETY: Zeroed statfs is a valid out-parameter.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: Valid path and out-pointer.
    ensure_eq!(unsafe { libc::statfs(c.as_ptr(), &mut st) }, 0);
    ensure_eq!(st.f_type as u64, 0x7272_616d);
    Ok(())
}

fn umount_then_remount() -> TestResult {
    for _ in 0..3 {
        let m = Mount::new("")?;
        std::fs::write(m.path("f"), b"x").map_err(|e| e.to_string())?;
        drop(m);
    }
    // A new instance does not see the old one's files.
    let m = Mount::new("")?;
    ensure!(!m.path("f").exists(), "data survived umount");
    Ok(())
}

fn module_pinned_while_mounted() -> TestResult {
    let m = Mount::new("")?;
    let (rc, out) = sh("rmmod rramfs 2>&1");
    ensure!(rc != 0, "rmmod succeeded while mounted: {out}");
    ensure!(out.contains("in use"), "unexpected rmmod message: {out}");
    drop(m);
    Ok(())
}

/// `Unevictable` from /proc/meminfo, in KiB: rramfs's page cache is
/// unevictable, so it shows there.
fn unevictable_kib() -> u64 {
    let mi = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    mi.lines()
        .find(|l| l.starts_with("Unevictable:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn memory_freed_at_umount() -> TestResult {
    let base = unevictable_kib();
    let m = Mount::new("")?;
    for i in 0..4 {
        std::fs::write(m.path(&format!("f{i}")), vec![i as u8; 8 << 20])
            .map_err(|e| e.to_string())?;
    }
    let full = unevictable_kib();
    ensure!(
        full >= base + 30 * 1024,
        "32 MiB written, Unevictable {base} -> {full} KiB"
    );
    drop(m);
    let after = unevictable_kib();
    ensure!(
        after <= base + 1024,
        "Unevictable {base} -> {after} KiB after umount: pages leaked"
    );
    Ok(())
}

fn module_alias_for_autoload() -> TestResult {
    // MODULE_ALIAS_FS: `mount -t rramfs` loads an installed module.
    let root = std::env::var("RRAMFS_ROOT").map_err(|_| "RRAMFS_ROOT not set")?;
    let (rc, out) = sh(&format!("modinfo -F alias {root}/rramfs.ko"));
    ensure!(
        rc == 0 && out.lines().any(|l| l == "fs-rramfs"),
        "alias: {out}"
    );
    Ok(())
}
