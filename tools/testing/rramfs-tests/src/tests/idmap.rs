//! Idmapped mounts (`mount_setattr(MOUNT_ATTR_IDMAP)`), which tmpfs allows:
//! a caller's ids are mapped through the mount's user namespace when an
//! inode is made or chowned there.  The same checks run on tmpfs first
//! (the reference), then on rramfs.
//!
//! The idmap used throughout maps ids 0..1000 inside to 10000..11000
//! outside: through the idmapped mount, a file stored as uid 0 shows as
//! 10000, and a file made there by uid 10000 is stored as uid 0.

use crate::harness::TestResult;
use crate::util::*;
use crate::{ensure, ensure_eq};
use std::ffi::CString;
use std::os::unix::fs::MetadataExt;

crate::tests![new_inodes_owned_through_idmap, chown_through_idmap];

/// The first outside id of the idmap; `BASE + n` shows id `n`.
const BASE: u32 = 10000;

/// <linux/capability.h>
const CAP_MKNOD: u32 = 27;

fn s(e: std::io::Error) -> String {
    e.to_string()
}

fn c(p: &str) -> CString {
    CString::new(p).unwrap()
}

/// An owned file descriptor.
struct Fd(i32);

impl Drop for Fd {
    fn drop(&mut self) {
        close(self.0);
    }
}

/// A user namespace whose ids 0..1000 are 10000..11000 outside, as an fd
/// of `/proc/<pid>/ns/user` (the namespace outlives its only process).
fn userns() -> Result<Fd, String> {
    let (mut go, mut done) = ([0i32; 2], [0i32; 2]);
    // SAFETY: Two pipes into valid arrays.
    if unsafe { libc::pipe(go.as_mut_ptr()) != 0 || libc::pipe(done.as_mut_ptr()) != 0 } {
        return Err(format!("pipe: errno {}", last_errno()));
    }
    // SAFETY: Plain fork; the child only unshares, signals and waits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let mut b = 0u8;
        // SAFETY: The child: a new user namespace, then one byte on `go`,
        // then wait on `done` (EOF when the parent closes it).
        unsafe {
            let ok = libc::unshare(libc::CLONE_NEWUSER) == 0;
            libc::write(go[1], (&raw const b).cast(), if ok { 1 } else { 0 });
            libc::close(done[1]);
            libc::read(done[0], (&raw mut b).cast(), 1);
            libc::_exit(0);
        }
    }
    let mut b = 0u8;
    // SAFETY: Our ends of the pipes; the child writes one byte or none.
    let n = unsafe {
        libc::close(go[1]);
        libc::close(done[0]);
        libc::read(go[0], (&raw mut b).cast(), 1)
    };
    let r = (|| {
        ensure_eq!(n, 1, "child could not unshare a user namespace");
        let map = format!("0 {BASE} 1000\n");
        for f in ["uid_map", "gid_map"] {
            std::fs::write(format!("/proc/{pid}/{f}"), &map).map_err(|e| format!("{f}: {e}"))?;
        }
        open(
            std::path::Path::new(&format!("/proc/{pid}/ns/user")),
            libc::O_RDONLY | libc::O_CLOEXEC,
            0,
        )
        .map(Fd)
        .map_err(|e| format!("open ns/user: errno {e}"))
    })();
    let mut st = 0;
    // SAFETY: Our pipe ends and our child.
    unsafe {
        libc::close(go[0]);
        libc::close(done[1]);
        libc::waitpid(pid, &mut st, 0);
    }
    r
}

// <linux/mount.h>
const OPEN_TREE_CLONE: u32 = 1;
const MOUNT_ATTR_IDMAP: u64 = 0x0010_0000;

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// A detached idmapped copy of the mount at `root` (`open_tree()` then
/// `mount_setattr()`), usable as a directory fd; Err(errno) when the
/// filesystem refuses to be idmapped.
fn idmapped(root: &std::path::Path) -> Result<Fd, String> {
    let ns = userns()?;
    let p = c(root.to_str().unwrap());
    // SAFETY: A valid path; the flags ask for a detached clone.
    let tree = unsafe {
        libc::syscall(
            libc::SYS_open_tree,
            libc::AT_FDCWD,
            p.as_ptr(),
            OPEN_TREE_CLONE | libc::O_CLOEXEC as u32,
        )
    };
    if tree < 0 {
        return Err(format!("open_tree: errno {}", last_errno()));
    }
    let tree = Fd(tree as i32);
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_IDMAP,
        attr_clr: 0,
        propagation: 0,
        userns_fd: ns.0 as u64,
    };
    let empty = c("");
    // SAFETY: A detached mount, an empty path with AT_EMPTY_PATH, and a
    // `mount_attr` of the size passed.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            tree.0,
            empty.as_ptr(),
            libc::AT_EMPTY_PATH,
            &raw const attr,
            core::mem::size_of::<MountAttr>(),
        )
    };
    if r != 0 {
        return Err(format!(
            "mount_setattr(MOUNT_ATTR_IDMAP): errno {}",
            last_errno()
        ));
    }
    Ok(tree)
}

/// `fstatat(dirfd, name)`, not following a last symlink: (uid, gid).
fn owner_at(dirfd: i32, name: &str) -> Result<(u32, u32), String> {
    let n = c(name);
    // SAFETY: Zeroed `stat` is valid; the call fills it.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    // SAFETY: Valid fd, path and buffer.
    if unsafe { libc::fstatat(dirfd, n.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } != 0 {
        return Err(format!("fstatat {name}: errno {}", last_errno()));
    }
    Ok((st.st_uid, st.st_gid))
}

/// Runs `f` with a fresh mount of each filesystem, its root mode 0777,
/// and an idmapped copy of it.
fn on_both(f: impl Fn(&Mount, &Fd) -> TestResult) -> TestResult {
    on_tmpfs_then_rramfs(0o777, |m| f(m, &idmapped(m.root())?))
}

/// Every operation that makes an inode (create, mkdir, mknod, symlink,
/// O_TMPFILE; a rename's whiteout is in the next test), done by uid 10000 through the
/// idmapped mount, stores the mapped owner 0:0 and shows 10000:10000
/// there; and a caller whose ids the idmap does not map may not create.
fn new_inodes_owned_through_idmap() -> TestResult {
    on_both(|m, tree| {
        let t = tree.0;
        as_user(BASE, BASE, || {
            let at = |r: i32, what: &str| -> TestResult {
                ensure!(r >= 0, "{what}: errno {}", last_errno());
                Ok(())
            };
            let fd =
                // SAFETY: `t` is a directory fd; the paths are NUL-terminated and outlive the call.
                unsafe { libc::openat(t, c("f").as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o644) };
            at(fd, "create")?;
            close(fd);
            // SAFETY: `t` is a directory fd; the paths are NUL-terminated and outlive the call.
            at(unsafe { libc::mkdirat(t, c("d").as_ptr(), 0o755) }, "mkdir")?;
            at(
                // SAFETY: `t` is a directory fd; the paths are NUL-terminated and outlive the call.
                unsafe { libc::mknodat(t, c("p").as_ptr(), libc::S_IFIFO | 0o644, 0) },
                "mknod",
            )?;
            at(
                // SAFETY: `t` is a directory fd; the paths are NUL-terminated and outlive the call.
                unsafe { libc::symlinkat(c("f").as_ptr(), t, c("l").as_ptr()) },
                "symlink",
            )?;
            // SAFETY: `t` is a directory fd; the paths are NUL-terminated and outlive the call.
            let fd = unsafe {
                libc::openat(t, c(".").as_ptr(), libc::O_TMPFILE | libc::O_WRONLY, 0o600)
            };
            at(fd, "O_TMPFILE")?;
            let proc = c(&format!("/proc/self/fd/{fd}"));
            // SAFETY: `t` is a directory fd; the paths are NUL-terminated and outlive the call.
            let r = unsafe {
                libc::linkat(
                    libc::AT_FDCWD,
                    proc.as_ptr(),
                    t,
                    c("t").as_ptr(),
                    libc::AT_SYMLINK_FOLLOW,
                )
            };
            close(fd);
            at(r, "link O_TMPFILE")?;
            Ok(())
        })?;
        // Root (fsuid 0) is not mapped by the idmap: EOVERFLOW, nothing made.
        // SAFETY: `t` is a directory fd; the paths are NUL-terminated and outlive the call.
        let fd = unsafe { libc::openat(t, c("r").as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o644) };
        ensure_eq!(
            (fd, last_errno()),
            (-1, libc::EOVERFLOW),
            "unmapped creator"
        );
        ensure!(!m.path("r").exists(), "unmapped creator left a file");
        for name in ["f", "d", "p", "l", "t"] {
            let md = std::fs::symlink_metadata(m.path(name)).map_err(|e| format!("{name}: {e}"))?;
            ensure_eq!((md.uid(), md.gid()), (0, 0), "{name}: owner stored");
            ensure_eq!(
                owner_at(t, name)?,
                (BASE, BASE),
                "{name}: owner through the idmap"
            );
        }
        Ok(())
    })
}

/// chown through the idmapped mount stores the mapped ids (10005 shows
/// as 10005 there and is stored as 5); ids the idmap does not map are
/// refused (EOVERFLOW) and leave the owner alone; and a rename's whiteout
/// made there by a mapped caller with CAP_MKNOD is owned through the idmap.
fn chown_through_idmap() -> TestResult {
    on_both(|m, tree| {
        let t = tree.0;
        std::fs::write(m.path("f"), b"data").map_err(s)?;
        // SAFETY: `t` is a directory fd; the paths are NUL-terminated and outlive the call.
        let r = unsafe { libc::fchownat(t, c("f").as_ptr(), BASE + 5, BASE + 6, 0) };
        ensure_eq!(r, 0, "fchownat: errno {}", last_errno());
        let md = std::fs::metadata(m.path("f")).map_err(s)?;
        ensure_eq!((md.uid(), md.gid()), (5, 6), "owner stored");
        ensure_eq!(
            owner_at(t, "f")?,
            (BASE + 5, BASE + 6),
            "owner through the idmap"
        );
        // SAFETY: `t` is a directory fd; the paths are NUL-terminated and outlive the call.
        let r = unsafe { libc::fchownat(t, c("f").as_ptr(), 7, 7, 0) };
        ensure_eq!((r, last_errno()), (-1, libc::EOVERFLOW), "unmapped chown");
        let md = std::fs::metadata(m.path("f")).map_err(s)?;
        ensure_eq!((md.uid(), md.gid()), (5, 6), "owner after refused chown");

        // The whiteout (RENAME_WHITEOUT needs CAP_MKNOD, and a mapped
        // caller).
        std::fs::write(m.path("w"), b"").map_err(s)?;
        whiteout_as_mapped_root(t)?;
        let md = std::fs::symlink_metadata(m.path("w")).map_err(s)?;
        ensure!(
            md.mode() & libc::S_IFMT == libc::S_IFCHR && md.rdev() == 0,
            "no whiteout left"
        );
        ensure_eq!((md.uid(), md.gid()), (0, 0), "whiteout owner stored");
        ensure_eq!(
            owner_at(t, "w")?,
            (BASE, BASE),
            "whiteout owner through the idmap"
        );
        let md = std::fs::symlink_metadata(m.path("w2")).map_err(s)?;
        ensure!(md.is_file(), "renamed file missing");
        Ok(())
    })
}

/// In a child: fsuid and fsgid 10000 with CAP_MKNOD kept (setfsuid()
/// clears only the filesystem capabilities: CAP_CHOWN, CAP_DAC_*,
/// CAP_FOWNER, CAP_FSETID, CAP_LINUX_IMMUTABLE, CAP_MAC_OVERRIDE,
/// CAP_MKNOD), rename `w` to `w2` with RENAME_WHITEOUT in `t`.
fn whiteout_as_mapped_root(t: i32) -> TestResult {
    // SAFETY: Plain fork; the child only switches ids, renames and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: The child: fs ids, then one rename, then exit.
        let r = unsafe {
            libc::setfsgid(BASE);
            libc::setfsuid(BASE);
            // setfsuid dropped CAP_MKNOD from the effective set; raise it
            // again (it is still permitted).
            raise_cap(CAP_MKNOD);
            libc::syscall(
                libc::SYS_renameat2,
                t,
                c("w").as_ptr(),
                t,
                c("w2").as_ptr(),
                libc::RENAME_WHITEOUT,
            )
        };
        if r != 0 {
            eprintln!(
                "renameat2(RENAME_WHITEOUT) as fsuid {BASE}: errno {}",
                last_errno()
            );
        }
        // SAFETY: Leave the child.
        unsafe { libc::_exit(if r == 0 { 0 } else { 1 }) };
    }
    let mut st = 0;
    // SAFETY: Our child.
    unsafe { libc::waitpid(pid, &mut st, 0) };
    ensure!(
        libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0,
        "whiteout rename failed ({st:#x})"
    );
    Ok(())
}

/// Raises capability `cap` in the effective set (it must be permitted).
fn raise_cap(cap: u32) {
    // <linux/capability.h>: version 3, two 32-bit words per set.
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let mut h = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let mut d = [Data::default(); 2];
    // SAFETY: A valid header and two data words, as version 3 requires.
    unsafe {
        libc::syscall(libc::SYS_capget, &raw mut h, d.as_mut_ptr());
        d[(cap / 32) as usize].effective |= 1 << (cap % 32);
        libc::syscall(libc::SYS_capset, &raw mut h, d.as_ptr());
    }
}
