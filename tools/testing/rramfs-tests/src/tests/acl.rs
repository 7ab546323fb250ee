//! POSIX ACLs, which rramfs keeps as tmpfs does: the same checks run on
//! tmpfs first (the reference), then on rramfs; and what rramfs adds, the
//! charge against the inode space.

use crate::harness::TestResult;
use crate::util::*;
use crate::{ensure, ensure_eq};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

crate::tests![
    access_acl_grants_and_follows_chmod,
    default_acl_inherited_umask_otherwise,
    charged_to_inode_space,
];

const ACCESS: &str = "system.posix_acl_access";
const DEFAULT: &str = "system.posix_acl_default";

// <linux/posix_acl.h>, <linux/posix_acl_xattr.h>
const USER_OBJ: u16 = 0x01;
const USER: u16 = 0x02;
const GROUP_OBJ: u16 = 0x04;
const MASK: u16 = 0x10;
const OTHER: u16 = 0x20;
const UNDEFINED_ID: u32 = u32::MAX;

/// An ACL as its extended attribute value: version 2, then (tag, perm, id)
/// entries, which must be sorted by tag and id.
fn acl(entries: &[(u16, u16, u32)]) -> Vec<u8> {
    let mut v = 2u32.to_le_bytes().to_vec();
    for &(tag, perm, id) in entries {
        v.extend_from_slice(&tag.to_le_bytes());
        v.extend_from_slice(&perm.to_le_bytes());
        v.extend_from_slice(&id.to_le_bytes());
    }
    v
}

/// An entry without an id.
fn e(tag: u16, perm: u16) -> (u16, u16, u32) {
    (tag, perm, UNDEFINED_ID)
}

fn mode(p: &Path) -> Result<u32, String> {
    Ok(std::fs::symlink_metadata(p).map_err(s)?.mode() & 0o7777)
}

/// The xattr names of `p` (llistxattr).
fn names(p: &Path) -> Result<Vec<String>, String> {
    listx(p).map_err(|e| format!("listxattr {p:?}: errno {e}"))
}

fn s(e: std::io::Error) -> String {
    e.to_string()
}

/// Runs `f` on a fresh tmpfs mount, then on a fresh rramfs one.
fn on_both(f: impl Fn(&Mount) -> TestResult) -> TestResult {
    on_tmpfs_then_rramfs(0o755, f)
}

/// Checks that opening `p` as user `uid` with `flags` gives `want` (Ok,
/// or the errno).
fn open_as(uid: u32, p: &Path, flags: i32, want: Result<(), i32>) -> TestResult {
    let q = p.to_path_buf();
    as_user(uid, uid, move || {
        let got = open(&q, flags, 0).map(close);
        if got == want {
            Ok(())
        } else {
            Err(format!(
                "open {q:?} flags {flags:#x}: {got:?}, expected {want:?}"
            ))
        }
    })
    .map_err(|e| format!("uid {uid} opening {p:?} ({flags:#x}), expected {want:?}: {e}"))
}

/// An access ACL grants a named user what the mask allows; it shows in
/// listxattr and getxattr, its mask is the group bits, and chmod moves the
/// mask (the ACL updated, not dropped); an ACL the mode bits say in full
/// is not kept.
fn access_acl_grants_and_follows_chmod() -> TestResult {
    on_both(|m| {
        let f = m.path("f");
        std::fs::write(&f, b"data").map_err(s)?;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).map_err(s)?;
        ensure_eq!(getx(&f, ACCESS), Err(libc::ENODATA));
        ensure!(!names(&f)?.iter().any(|n| n == ACCESS), "listed before set");

        let a = acl(&[
            e(USER_OBJ, 6),
            (USER, 4, 1000),
            e(GROUP_OBJ, 0),
            e(MASK, 4),
            e(OTHER, 0),
        ]);
        ensure_eq!(setx(&f, ACCESS, &a), Ok(()));
        ensure_eq!(getx(&f, ACCESS), Ok(a.clone()));
        ensure!(names(&f)?.iter().any(|n| n == ACCESS), "not listed");
        ensure_eq!(mode(&f)?, 0o640, "the mask is the group bits");
        open_as(1000, &f, libc::O_RDONLY, Ok(()))?;
        open_as(1000, &f, libc::O_WRONLY, Err(libc::EACCES))?;
        open_as(1001, &f, libc::O_RDONLY, Err(libc::EACCES))?;

        // chmod g-r: the mask follows, user 1000 loses read.
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).map_err(s)?;
        let masked = acl(&[
            e(USER_OBJ, 6),
            (USER, 4, 1000),
            e(GROUP_OBJ, 0),
            e(MASK, 0),
            e(OTHER, 0),
        ]);
        ensure_eq!(getx(&f, ACCESS), Ok(masked));
        open_as(1000, &f, libc::O_RDONLY, Err(libc::EACCES))?;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).map_err(s)?;
        open_as(1000, &f, libc::O_RDONLY, Ok(()))?;

        // An ACL equal to mode bits: only the mode changes.
        let plain = acl(&[e(USER_OBJ, 7), e(GROUP_OBJ, 5), e(OTHER, 0)]);
        ensure_eq!(setx(&f, ACCESS, &plain), Ok(()));
        ensure_eq!(getx(&f, ACCESS), Err(libc::ENODATA));
        ensure_eq!(mode(&f)?, 0o750);
        open_as(1000, &f, libc::O_RDONLY, Err(libc::EACCES))?;

        // A default ACL is for directories only; a bad one is refused.
        let d = acl(&[e(USER_OBJ, 7), e(GROUP_OBJ, 5), e(OTHER, 0)]);
        ensure_eq!(setx(&f, DEFAULT, &d), Err(libc::EACCES));
        let unsorted = acl(&[e(GROUP_OBJ, 5), e(USER_OBJ, 7), e(OTHER, 0)]);
        ensure_eq!(setx(&f, ACCESS, &unsorted), Err(libc::EINVAL));
        ensure_eq!(std::fs::read(&f).map_err(s)?, b"data");
        Ok(())
    })
}

/// On an ACL-capable filesystem the VFS leaves the umask to the
/// filesystem: without a default ACL new names get the umask; with one
/// they inherit it (directories as their own default too) and the umask
/// does not apply.
fn default_acl_inherited_umask_otherwise() -> TestResult {
    // SAFETY: umask(2) cannot fail; the old value is restored below.
    let old = unsafe { libc::umask(0o027) };
    let r = on_both(|m| {
        let d = m.path("d");
        std::fs::create_dir(&d).map_err(s)?;
        ensure_eq!(mode(&d)?, 0o750, "mkdir 0777 under umask 027");
        let plain = d.join("plain");
        let fd = open(&plain, libc::O_CREAT | libc::O_WRONLY, 0o666)
            .map_err(|e| format!("create: {e}"))?;
        close(fd);
        ensure_eq!(mode(&plain)?, 0o640, "create 0666 under umask 027");
        ensure_eq!(getx(&plain, ACCESS), Err(libc::ENODATA));
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).map_err(s)?;

        let def = acl(&[
            e(USER_OBJ, 7),
            (USER, 7, 1000),
            e(GROUP_OBJ, 5),
            e(MASK, 7),
            e(OTHER, 0),
        ]);
        ensure_eq!(setx(&d, DEFAULT, &def), Ok(()));
        ensure_eq!(getx(&d, DEFAULT), Ok(def.clone()));
        ensure!(
            names(&d)?.iter().any(|n| n == DEFAULT),
            "default ACL not listed"
        );

        // A file: the default ACL masked by the create mode 0666.
        let f = d.join("f");
        let fd =
            open(&f, libc::O_CREAT | libc::O_WRONLY, 0o666).map_err(|e| format!("create: {e}"))?;
        close(fd);
        ensure_eq!(mode(&f)?, 0o660, "mode from the default ACL, no umask");
        let want = acl(&[
            e(USER_OBJ, 6),
            (USER, 7, 1000),
            e(GROUP_OBJ, 5),
            e(MASK, 6),
            e(OTHER, 0),
        ]);
        ensure_eq!(getx(&f, ACCESS), Ok(want));
        ensure_eq!(getx(&f, DEFAULT), Err(libc::ENODATA));
        open_as(1000, &f, libc::O_WRONLY, Ok(()))?;
        open_as(1001, &f, libc::O_RDONLY, Err(libc::EACCES))?;

        // A directory: both, and its mode from mkdir's 0777.
        let sub = d.join("sub");
        std::fs::create_dir(&sub).map_err(s)?;
        ensure_eq!(mode(&sub)?, 0o770);
        ensure_eq!(getx(&sub, DEFAULT), Ok(def.clone()));
        let want = acl(&[
            e(USER_OBJ, 7),
            (USER, 7, 1000),
            e(GROUP_OBJ, 5),
            e(MASK, 7),
            e(OTHER, 0),
        ]);
        ensure_eq!(getx(&sub, ACCESS), Ok(want));

        // O_TMPFILE and mknod inherit too; a symlink has none.
        let fd = open(&d, libc::O_TMPFILE | libc::O_WRONLY, 0o600)
            .map_err(|e| format!("O_TMPFILE: {e}"))?;
        let fmode = std::fs::metadata(format!("/proc/self/fd/{fd}"))
            .map_err(s)?
            .mode()
            & 0o777;
        close(fd);
        ensure_eq!(fmode, 0o600, "O_TMPFILE 0600: mask 0 leaves group none");
        let fifo = d.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: A valid path string.
        ensure_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0);
        ensure_eq!(mode(&fifo)?, 0o660);
        let l = d.join("l");
        std::os::unix::fs::symlink("f", &l).map_err(s)?;
        ensure!(
            !names(&l)?.iter().any(|n| n.starts_with("system.posix_acl")),
            "a symlink with an ACL"
        );

        // Removing the default ACL: new names get the umask again.
        ensure_eq!(removex(&d, DEFAULT), Ok(()));
        ensure_eq!(getx(&d, DEFAULT), Err(libc::ENODATA));
        let g = d.join("g");
        let fd =
            open(&g, libc::O_CREAT | libc::O_WRONLY, 0o666).map_err(|e| format!("create: {e}"))?;
        close(fd);
        ensure_eq!(mode(&g)?, 0o640);
        Ok(())
    });
    // SAFETY: As above.
    unsafe { libc::umask(old) };
    r
}

/// What an ACL holds is charged to the inode space as an xattr of its
/// name and size (`40 + name + 4 + 8 * entries`), replaced ACLs (chmod,
/// set) are uncharged, inherited ones are charged to the new inode, and
/// ENOSPC leaves the old ACL in place.
fn charged_to_inode_space() -> TestResult {
    // 16 KiB of inode space; the root and each inode take 1 KiB.
    let m = Mount::new("nr_inodes=16")?;
    let used = || -> Result<u64, String> { Ok(m.stats()?.get("ispace_used")) };
    let f = m.path("f");
    std::fs::write(&f, b"data").map_err(s)?;
    ensure_eq!(used()?, 2048);
    let users: Vec<(u16, u16, u32)> = (0..100).map(|i| (USER, 4, 2000 + i)).collect();
    let with = |users: &[(u16, u16, u32)], mask: u16| {
        let mut v = vec![e(USER_OBJ, 6)];
        v.extend_from_slice(users);
        v.extend([e(GROUP_OBJ, 4), e(MASK, mask), e(OTHER, 0)]);
        acl(&v)
    };
    let space = |name: &str, value: usize| 40 + name.len() as u64 + value as u64;
    let a = with(&users, 4);
    ensure_eq!(a.len(), 4 + 8 * 104);
    ensure_eq!(setx(&f, ACCESS, &a), Ok(()));
    ensure_eq!(used()?, 2048 + space(ACCESS, a.len()));
    // chmod replaces the ACL with one of the same size.
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).map_err(s)?;
    ensure_eq!(getx(&f, ACCESS), Ok(with(&users, 0)));
    ensure_eq!(used()?, 2048 + space(ACCESS, a.len()));
    // Too big for what is left: refused, the old one stays.
    let many: Vec<(u16, u16, u32)> = (0..2000).map(|i| (USER, 4, 3000 + i)).collect();
    ensure_eq!(setx(&f, ACCESS, &with(&many, 4)), Err(libc::ENOSPC));
    ensure_eq!(getx(&f, ACCESS), Ok(with(&users, 0)));
    ensure_eq!(used()?, 2048 + space(ACCESS, a.len()));
    ensure_eq!(removex(&f, ACCESS), Ok(()));
    ensure_eq!(used()?, 2048);

    // A directory's default ACL, and what a new file inherits from it.
    let d = m.path("d");
    std::fs::create_dir(&d).map_err(s)?;
    let mut v = vec![e(USER_OBJ, 7)];
    v.extend_from_slice(&users);
    v.extend([e(GROUP_OBJ, 5), e(MASK, 7), e(OTHER, 0)]);
    let def = acl(&v);
    ensure_eq!(setx(&d, DEFAULT, &def), Ok(()));
    let before = used()?;
    ensure_eq!(before, 3072 + space(DEFAULT, def.len()));
    let g = d.join("g");
    std::fs::write(&g, b"").map_err(s)?;
    ensure_eq!(getx(&g, ACCESS).map(|v| v.len()), Ok(def.len()));
    ensure_eq!(used()?, before + 1024 + space(ACCESS, def.len()));
    let sub = d.join("sub");
    std::fs::create_dir(&sub).map_err(s)?;
    ensure_eq!(
        used()?,
        before + 2048 + space(ACCESS, def.len()) * 2 + space(DEFAULT, def.len())
    );
    // Unlink and rmdir return all of it.
    std::fs::remove_file(&g).map_err(s)?;
    std::fs::remove_dir(&sub).map_err(s)?;
    ensure_eq!(used()?, before);
    std::fs::remove_dir(&d).map_err(s)?;
    std::fs::remove_file(&f).map_err(s)?;
    ensure_eq!(used()?, 1024);
    Ok(())
}
