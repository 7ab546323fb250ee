//! Directories and names: create, link, unlink, mkdir, rmdir, rename and
//! its flags, symlink, mknod, O_TMPFILE, readdir, name length.

use crate::harness::TestResult;
use crate::util::*;
use crate::{ensure, ensure_eq};
use std::ffi::CString;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};

crate::tests![
    create_lookup_unlink,
    mkdir_rmdir_nlink,
    rmdir_not_empty,
    hard_links,
    rename_plain_and_replace,
    rename_noreplace,
    rename_exchange,
    rename_whiteout,
    symlinks,
    mknod_special_files,
    o_tmpfile,
    readdir_lists_all,
    name_too_long,
    chmod_chown_setgid_rules,
    truncate_up_and_down,
    utimes,
    creation_time,
    file_handles,
    chattr_flags,
];

fn s(e: std::io::Error) -> String {
    e.to_string()
}

fn create_lookup_unlink() -> TestResult {
    let m = Mount::new("")?;
    std::fs::write(m.path("a"), b"hello").map_err(s)?;
    ensure_eq!(std::fs::read(m.path("a")).map_err(s)?, b"hello");
    let r = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(m.path("a"));
    ensure_eq!(errno_of(&r), libc::EEXIST);
    std::fs::remove_file(m.path("a")).map_err(s)?;
    ensure_eq!(errno_of(&std::fs::metadata(m.path("a"))), libc::ENOENT);
    ensure_eq!(errno_of(&std::fs::remove_file(m.path("a"))), libc::ENOENT);
    // A file unlinked while open stays readable.
    std::fs::write(m.path("b"), b"data").map_err(s)?;
    let f = std::fs::File::open(m.path("b")).map_err(s)?;
    std::fs::remove_file(m.path("b")).map_err(s)?;
    let mut v = Vec::new();
    std::io::Read::read_to_end(&mut &f, &mut v).map_err(s)?;
    ensure_eq!(v, b"data");
    Ok(())
}

fn mkdir_rmdir_nlink() -> TestResult {
    let m = Mount::new("")?;
    std::fs::create_dir(m.path("d")).map_err(s)?;
    ensure_eq!(std::fs::metadata(m.root()).unwrap().nlink(), 3);
    ensure_eq!(std::fs::metadata(m.path("d")).unwrap().nlink(), 2);
    std::fs::create_dir(m.path("d/e")).map_err(s)?;
    ensure_eq!(std::fs::metadata(m.path("d")).unwrap().nlink(), 3);
    ensure_eq!(errno_of(&std::fs::create_dir(m.path("d"))), libc::EEXIST);
    std::fs::remove_dir(m.path("d/e")).map_err(s)?;
    std::fs::remove_dir(m.path("d")).map_err(s)?;
    ensure_eq!(std::fs::metadata(m.root()).unwrap().nlink(), 2);
    Ok(())
}

fn rmdir_not_empty() -> TestResult {
    let m = Mount::new("")?;
    std::fs::create_dir(m.path("d")).map_err(s)?;
    std::fs::write(m.path("d/f"), b"").map_err(s)?;
    ensure_eq!(errno_of(&std::fs::remove_dir(m.path("d"))), libc::ENOTEMPTY);
    ensure_eq!(errno_of(&std::fs::remove_dir(m.path("d/f"))), libc::ENOTDIR);
    ensure_eq!(errno_of(&std::fs::remove_file(m.path("d"))), libc::EISDIR);
    Ok(())
}

fn hard_links() -> TestResult {
    let m = Mount::new("")?;
    std::fs::write(m.path("a"), b"x").map_err(s)?;
    std::fs::hard_link(m.path("a"), m.path("b")).map_err(s)?;
    ensure_eq!(std::fs::metadata(m.path("a")).unwrap().nlink(), 2);
    ensure_eq!(
        std::fs::metadata(m.path("a")).unwrap().ino(),
        std::fs::metadata(m.path("b")).unwrap().ino()
    );
    std::fs::remove_file(m.path("a")).map_err(s)?;
    ensure_eq!(std::fs::read(m.path("b")).map_err(s)?, b"x");
    ensure_eq!(std::fs::metadata(m.path("b")).unwrap().nlink(), 1);
    std::fs::create_dir(m.path("d")).map_err(s)?;
    ensure_eq!(
        errno_of(&std::fs::hard_link(m.path("d"), m.path("e"))),
        libc::EPERM
    );
    Ok(())
}

fn renameat2(m: &Mount, a: &str, b: &str, flags: u32) -> Result<(), i32> {
    let (a, b) = (
        CString::new(m.path(a).to_str().unwrap()).unwrap(),
        CString::new(m.path(b).to_str().unwrap()).unwrap(),
    );
    // SAFETY: Valid paths.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            flags,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

fn rename_plain_and_replace() -> TestResult {
    let m = Mount::new("")?;
    std::fs::write(m.path("a"), b"A").map_err(s)?;
    std::fs::write(m.path("b"), b"B").map_err(s)?;
    renameat2(&m, "a", "c", 0).map_err(|e| format!("rename: {e}"))?;
    ensure!(!m.path("a").exists(), "old name still there");
    renameat2(&m, "c", "b", 0).map_err(|e| format!("rename over: {e}"))?;
    ensure_eq!(std::fs::read(m.path("b")).map_err(s)?, b"A");
    std::fs::create_dir_all(m.path("d1/x")).map_err(s)?;
    std::fs::create_dir(m.path("d2")).map_err(s)?;
    ensure_eq!(renameat2(&m, "d2", "d1", 0), Err(libc::ENOTEMPTY));
    renameat2(&m, "d1/x", "d2/x", 0).map_err(|e| format!("dir across: {e}"))?;
    ensure_eq!(std::fs::metadata(m.path("d1")).unwrap().nlink(), 2);
    ensure_eq!(std::fs::metadata(m.path("d2")).unwrap().nlink(), 3);
    Ok(())
}

fn rename_noreplace() -> TestResult {
    let m = Mount::new("")?;
    std::fs::write(m.path("a"), b"A").map_err(s)?;
    std::fs::write(m.path("b"), b"B").map_err(s)?;
    ensure_eq!(
        renameat2(&m, "a", "b", libc::RENAME_NOREPLACE),
        Err(libc::EEXIST)
    );
    ensure_eq!(std::fs::read(m.path("b")).map_err(s)?, b"B");
    renameat2(&m, "a", "c", libc::RENAME_NOREPLACE).map_err(|e| format!("{e}"))?;
    Ok(())
}

fn rename_exchange() -> TestResult {
    let m = Mount::new("")?;
    std::fs::write(m.path("a"), b"A").map_err(s)?;
    std::fs::create_dir(m.path("d")).map_err(s)?;
    renameat2(&m, "a", "d", libc::RENAME_EXCHANGE).map_err(|e| format!("{e}"))?;
    ensure!(
        m.path("a").is_dir() && m.path("d").is_file(),
        "not exchanged"
    );
    ensure_eq!(std::fs::read(m.path("d")).map_err(s)?, b"A");
    ensure_eq!(
        renameat2(&m, "a", "nope", libc::RENAME_EXCHANGE),
        Err(libc::ENOENT)
    );
    Ok(())
}

fn rename_whiteout() -> TestResult {
    let m = Mount::new("")?;
    std::fs::write(m.path("a"), b"A").map_err(s)?;
    renameat2(&m, "a", "b", libc::RENAME_WHITEOUT).map_err(|e| format!("{e}"))?;
    let md = std::fs::symlink_metadata(m.path("a")).map_err(s)?;
    ensure!(
        md.file_type().is_char_device() && md.rdev() == 0,
        "no whiteout left at the old name"
    );
    ensure_eq!(std::fs::read(m.path("b")).map_err(s)?, b"A");
    // overlayfs can use rramfs as its upper layer, which needs whiteouts.
    let (rc, out) = sh(&format!(
        "cd {r} && mkdir lo up wk mnt && echo x > lo/f && mount -t overlay ov -o lowerdir=lo,upperdir=up,workdir=wk mnt && rm mnt/f && test ! -e mnt/f && umount mnt",
        r = m.root().display()
    ));
    ensure!(rc == 0, "overlayfs over rramfs: {out}");
    Ok(())
}

fn symlinks() -> TestResult {
    let m = Mount::new("")?;
    std::os::unix::fs::symlink("target/file", m.path("l")).map_err(s)?;
    ensure_eq!(
        std::fs::read_link(m.path("l"))
            .map_err(s)?
            .to_str()
            .unwrap()
            .to_string(),
        "target/file"
    );
    let long = "x".repeat(4000);
    std::os::unix::fs::symlink(&long, m.path("long")).map_err(s)?;
    ensure_eq!(
        std::fs::read_link(m.path("long"))
            .map_err(s)?
            .to_str()
            .unwrap()
            .to_string(),
        long
    );
    std::fs::write(m.path("t"), b"T").map_err(s)?;
    std::os::unix::fs::symlink("t", m.path("lt")).map_err(s)?;
    ensure_eq!(std::fs::read(m.path("lt")).map_err(s)?, b"T");
    let md = std::fs::symlink_metadata(m.path("lt")).unwrap();
    ensure_eq!(md.len(), 1);
    Ok(())
}

fn mknod_special_files() -> TestResult {
    let m = Mount::new("")?;
    let mk = |name: &str, mode: u32, dev: u64| -> Result<(), i32> {
        let c = CString::new(m.path(name).to_str().unwrap()).unwrap();
        // SAFETY: Valid path.
        if unsafe { libc::mknod(c.as_ptr(), mode, dev) } == 0 {
            Ok(())
        } else {
            Err(last_errno())
        }
    };
    mk("fifo", libc::S_IFIFO | 0o644, 0).map_err(|e| format!("fifo {e}"))?;
    mk("sock", libc::S_IFSOCK | 0o644, 0).map_err(|e| format!("sock {e}"))?;
    mk("chr", libc::S_IFCHR | 0o644, libc::makedev(1, 3)).map_err(|e| format!("chr {e}"))?;
    mk("blk", libc::S_IFBLK | 0o644, libc::makedev(7, 0)).map_err(|e| format!("blk {e}"))?;
    let t = |n: &str| std::fs::symlink_metadata(m.path(n)).unwrap().file_type();
    ensure!(
        t("fifo").is_fifo()
            && t("sock").is_socket()
            && t("chr").is_char_device()
            && t("blk").is_block_device(),
        "types"
    );
    ensure_eq!(
        std::fs::symlink_metadata(m.path("chr")).unwrap().rdev(),
        libc::makedev(1, 3)
    );
    // The char device works: it is /dev/null.
    std::fs::write(m.path("chr"), b"gone").map_err(s)?;
    Ok(())
}

fn o_tmpfile() -> TestResult {
    let m = Mount::new("")?;
    let fd = open(m.root(), libc::O_TMPFILE | libc::O_RDWR, 0o600)
        .map_err(|e| format!("O_TMPFILE: errno {e}"))?;
    ensure_eq!(pwrite(fd, b"tmp".as_ptr(), 3, 0), Ok(3));
    ensure_eq!(
        std::fs::read_dir(m.root()).unwrap().count(),
        0,
        "tmpfile visible"
    );
    let from = CString::new(format!("/proc/self/fd/{fd}")).unwrap();
    let to = CString::new(m.path("named").to_str().unwrap()).unwrap();
    // SAFETY: Valid paths.
    let r = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    ensure_eq!(r, 0, "linkat errno {}", last_errno());
    ensure_eq!(std::fs::read(m.path("named")).map_err(s)?, b"tmp");
    close(fd);
    Ok(())
}

fn readdir_lists_all() -> TestResult {
    let m = Mount::new("")?;
    let mut names: Vec<String> = (0..300).map(|i| format!("entry-{i:04}")).collect();
    for n in &names {
        std::fs::write(m.path(n), b"").map_err(s)?;
    }
    let mut got: Vec<String> = std::fs::read_dir(m.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    got.sort();
    names.sort();
    ensure!(
        got == names,
        "readdir returned {} of {} names",
        got.len(),
        names.len()
    );
    Ok(())
}

fn name_too_long() -> TestResult {
    let m = Mount::new("")?;
    std::fs::write(m.path(&"n".repeat(255)), b"").map_err(|e| format!("255 bytes: {e}"))?;
    ensure_eq!(
        errno_of(&std::fs::write(m.path(&"n".repeat(256)), b"")),
        libc::ENAMETOOLONG
    );
    ensure_eq!(
        errno_of(&std::fs::create_dir(m.path(&"d".repeat(256)))),
        libc::ENAMETOOLONG
    );
    Ok(())
}

fn chmod_chown_setgid_rules() -> TestResult {
    let m = Mount::new("")?;
    std::fs::create_dir(m.path("g")).map_err(s)?;
    std::os::unix::fs::chown(m.path("g"), Some(0), Some(100)).map_err(s)?;
    std::fs::set_permissions(m.path("g"), std::fs::Permissions::from_mode(0o2777)).map_err(s)?;
    // Files created in a setgid directory inherit its group; subdirectories
    // inherit the setgid bit too.
    std::fs::write(m.path("g/f"), b"").map_err(s)?;
    ensure_eq!(std::fs::metadata(m.path("g/f")).unwrap().gid(), 100);
    std::fs::create_dir(m.path("g/sub")).map_err(s)?;
    ensure!(
        std::fs::metadata(m.path("g/sub")).unwrap().mode() & 0o2000 != 0,
        "setgid not inherited"
    );
    // chown by root clears suid/sgid on an executable file.
    std::fs::write(m.path("x"), b"").map_err(s)?;
    std::fs::set_permissions(m.path("x"), std::fs::Permissions::from_mode(0o6755)).map_err(s)?;
    std::os::unix::fs::chown(m.path("x"), Some(1000), Some(1000)).map_err(s)?;
    ensure_eq!(
        std::fs::metadata(m.path("x")).unwrap().mode() & 0o7777,
        0o0755
    );
    // A non-owner cannot chmod; the owner can't give a file to someone else.
    let p = m.path("x");
    as_user(1001, 1001, {
        let p = p.clone();
        move || {
            let r = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777));
            ensure_eq!(errno_of(&r), libc::EPERM);
            Ok(())
        }
    })?;
    as_user(1000, 1000, move || {
        ensure_eq!(
            errno_of(&std::os::unix::fs::chown(&p, Some(1001), None)),
            libc::EPERM
        );
        Ok(())
    })?;
    Ok(())
}

fn truncate_up_and_down() -> TestResult {
    let m = Mount::new("size=8m")?;
    let p = m.path("f");
    std::fs::write(&p, pattern(1, 0, 3 << 20)).map_err(s)?;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .map_err(s)?;
    f.set_len(5000).map_err(s)?;
    ensure_eq!(std::fs::read(&p).map_err(s)?, pattern(1, 0, 5000));
    f.set_len(1 << 20).map_err(s)?;
    let v = std::fs::read(&p).map_err(s)?;
    ensure!(
        v[..5000] == pattern(1, 0, 5000)[..] && v[5000..].iter().all(|&b| b == 0),
        "truncate up did not read zeros past the old size"
    );
    f.set_len(0).map_err(s)?;
    let st = m.stats()?;
    ensure!(
        st.get("blocks_used") <= 256,
        "{} blocks still charged after truncate to 0 and reads",
        st.get("blocks_used")
    );
    Ok(())
}

fn utimes() -> TestResult {
    let m = Mount::new("")?;
    std::fs::write(m.path("f"), b"").map_err(s)?;
    let c = CString::new(m.path("f").to_str().unwrap()).unwrap();
    let ts = [
        libc::timespec {
            tv_sec: 123456789,
            tv_nsec: 987654321,
        },
        libc::timespec {
            tv_sec: 234567890,
            tv_nsec: 1,
        },
    ];
    // SAFETY: Valid path and array.
    let r = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), ts.as_ptr(), 0) };
    ensure_eq!(r, 0);
    let md = std::fs::metadata(m.path("f")).unwrap();
    ensure_eq!((md.atime(), md.atime_nsec()), (123456789, 987654321));
    ensure_eq!((md.mtime(), md.mtime_nsec()), (234567890, 1));
    Ok(())
}

/// The clock `c` now, in nanoseconds.
fn clock_ns(c: libc::clockid_t) -> i128 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: A valid clock id and out-parameter.
    unsafe { libc::clock_gettime(c, &mut t) };
    i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec)
}

fn stx_ns(t: libc::statx_timestamp) -> i128 {
    i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec)
}

/// statx's creation time (`STATX_BTIME`), as tmpfs has it: every kind of
/// inode gets one when it is made (no earlier than the coarse clock before
/// and no later than the clock after, and its first change time), and
/// nothing done to the inode later moves it: a write, chmod, utimensat,
/// rename, a link.  Asked for without `STATX_BTIME`, it is not reported.
/// Checked on tmpfs first.
fn creation_time() -> TestResult {
    on_tmpfs_then_rramfs(0o755, |m| {
        let before = clock_ns(libc::CLOCK_REALTIME_COARSE);
        std::fs::write(m.path("f"), b"x").map_err(s)?;
        std::fs::create_dir(m.path("d")).map_err(s)?;
        std::os::unix::fs::symlink("f", m.path("l")).map_err(s)?;
        let fifo = CString::new(m.path("p").to_str().unwrap()).unwrap();
        // SAFETY: A valid path.
        ensure_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let after = clock_ns(libc::CLOCK_REALTIME);
        let born = |name: &str| -> Result<i128, String> {
            let stx = statx(&m.path(name), libc::STATX_BASIC_STATS | libc::STATX_BTIME)?;
            ensure!(
                stx.stx_mask & libc::STATX_BTIME != 0,
                "{name}: no STATX_BTIME in the mask {:#x}",
                stx.stx_mask
            );
            Ok(stx_ns(stx.stx_btime))
        };
        for name in ["f", "d", "l", "p"] {
            let b = born(name)?;
            let stx = statx(&m.path(name), libc::STATX_BASIC_STATS)?;
            ensure!(
                before <= b && b <= after,
                "{name}: btime {b} outside [{before}, {after}]"
            );
            ensure!(b <= stx_ns(stx.stx_ctime), "{name}: btime after ctime");
            ensure_eq!(stx.stx_mask & libc::STATX_BTIME, 0);
        }
        let (bf, bd) = (born("f")?, born("d")?);
        // What changes the file and its directory later leaves both alone.
        let fd = open(&m.path("f"), libc::O_WRONLY, 0).map_err(|e| format!("open: {e}"))?;
        let w = pwrite(fd, b"more".as_ptr(), 4, 1);
        // SAFETY: An open fd.
        let c = unsafe { libc::fchmod(fd, 0o600) };
        let ts = [libc::timespec {
            tv_sec: 1000,
            tv_nsec: 0,
        }; 2];
        // SAFETY: An open fd and a valid array.
        let u = unsafe { libc::futimens(fd, ts.as_ptr()) };
        close(fd);
        ensure_eq!((w, c, u), (Ok(4), 0, 0));
        std::fs::rename(m.path("f"), m.path("d/g")).map_err(s)?;
        std::fs::hard_link(m.path("d/g"), m.path("h")).map_err(s)?;
        ensure_eq!(born("d/g")?, bf);
        ensure_eq!(born("h")?, bf);
        ensure_eq!(born("d")?, bd);
        let stx = statx(&m.path("h"), libc::STATX_BASIC_STATS)?;
        ensure_eq!(stx_ns(stx.stx_mtime), 1000 * 1_000_000_000);
        Ok(())
    })
}

/// A `struct file_handle` with room for any filesystem's handle.
#[repr(C)]
struct FileHandle {
    handle_bytes: u32,
    handle_type: i32,
    f_handle: [u8; 128],
}

/// `name_to_handle_at(2)` of `p` into a handle of `room` bytes: the handle,
/// or the errno and the size the kernel asked for.
fn name_to_handle(p: &std::path::Path, room: u32) -> Result<FileHandle, (i32, u32)> {
    let c = CString::new(p.to_str().unwrap()).unwrap();
    let mut h = FileHandle {
        handle_bytes: room,
        handle_type: 0,
        f_handle: [0; 128],
    };
    let mut mount_id: i32 = 0;
    // SAFETY: A valid path, a handle with `room` <= 128 bytes of space,
    // and an int for the mount id.
    let r = unsafe {
        libc::syscall(
            libc::SYS_name_to_handle_at,
            libc::AT_FDCWD,
            c.as_ptr(),
            &mut h as *mut FileHandle,
            &mut mount_id as *mut i32,
            0,
        )
    };
    if r < 0 {
        Err((last_errno(), h.handle_bytes))
    } else {
        Ok(h)
    }
}

/// `open_by_handle_at(2)` through the mount of `mount_fd`.
fn open_by_handle(mount_fd: i32, h: &FileHandle, flags: i32) -> Result<i32, i32> {
    // SAFETY: An open fd and a handle the kernel only reads.
    let r = unsafe {
        libc::syscall(
            libc::SYS_open_by_handle_at,
            mount_fd,
            h as *const FileHandle,
            flags,
        )
    };
    if r < 0 {
        Err(last_errno())
    } else {
        Ok(r as i32)
    }
}

/// File handles (`name_to_handle_at`, `open_by_handle_at`: what NFS export
/// and fanotify use), as tmpfs has them: a handle has the size the kernel
/// asks for, opens its file (data) or directory however it was renamed, and
/// is stale once the inode is gone or when its generation is not the
/// inode's.  A file unlinked while open: whatever tmpfs does.  Checked on
/// tmpfs first; each filesystem's outcomes are compared.
fn file_handles() -> TestResult {
    let outcomes = std::cell::RefCell::new(Vec::new());
    on_tmpfs_then_rramfs(0o755, |m| {
        std::fs::write(m.path("f"), b"handled").map_err(s)?;
        std::fs::create_dir(m.path("d")).map_err(s)?;
        let mnt = open(m.root(), libc::O_RDONLY | libc::O_DIRECTORY, 0)
            .map_err(|e| format!("open root: {e}"))?;
        let r = (|| -> TestResult {
            // Too small: EOVERFLOW, and the size needed.
            let small = name_to_handle(&m.path("f"), 0).err();
            let hf = name_to_handle(&m.path("f"), 128).map_err(|e| format!("handle f: {e:?}"))?;
            let hd = name_to_handle(&m.path("d"), 128).map_err(|e| format!("handle d: {e:?}"))?;
            ensure_eq!(small, Some((libc::EOVERFLOW, hf.handle_bytes)));
            std::fs::rename(m.path("f"), m.path("d/g")).map_err(s)?;
            let fd =
                open_by_handle(mnt, &hf, libc::O_RDONLY).map_err(|e| format!("open f: {e}"))?;
            let data = read_at(fd, 0, 100);
            close(fd);
            ensure_eq!(data?, b"handled");
            let dfd = open_by_handle(mnt, &hd, libc::O_RDONLY | libc::O_DIRECTORY)
                .map_err(|e| format!("open d: {e}"))?;
            // SAFETY: An open fd and a stat buffer.
            let ino = unsafe {
                let mut st: libc::stat = std::mem::zeroed();
                libc::fstat(dfd, &mut st);
                st.st_ino
            };
            close(dfd);
            ensure_eq!(ino, std::fs::metadata(m.path("d")).map_err(s)?.ino());
            // Another inode: stale.  (Generation one up, number one down:
            // the inode hash key of tmpfs and rramfs, number + generation,
            // stays the same, so only the match on both can refuse it.)
            if hf.handle_bytes == 12 {
                let word = |i: usize| {
                    u32::from_le_bytes(hf.f_handle[4 * i..4 * i + 4].try_into().unwrap())
                };
                let (gen, ino) = (word(0), u64::from(word(1)) | u64::from(word(2)) << 32);
                let (gen, ino) = (gen.wrapping_add(1), ino.wrapping_sub(1));
                let mut forged = FileHandle { ..hf };
                forged.f_handle[..4].copy_from_slice(&gen.to_le_bytes());
                forged.f_handle[4..12].copy_from_slice(&ino.to_le_bytes());
                ensure_eq!(
                    open_by_handle(mnt, &forged, libc::O_RDONLY),
                    Err(libc::ESTALE)
                );
            }
            // Another generation: stale.
            let mut forged = FileHandle { ..hf };
            forged.f_handle[0] ^= 1;
            ensure_eq!(
                open_by_handle(mnt, &forged, libc::O_RDONLY),
                Err(libc::ESTALE)
            );
            // Unlinked while open, then closed.
            std::fs::write(m.path("u"), b"open").map_err(s)?;
            let ufd = open(&m.path("u"), libc::O_RDONLY, 0).map_err(|e| format!("open u: {e}"))?;
            let hu = name_to_handle(&m.path("u"), 128).map_err(|e| format!("handle u: {e:?}"))?;
            std::fs::remove_file(m.path("u")).map_err(s)?;
            let while_open = open_by_handle(mnt, &hu, libc::O_RDONLY).map(close);
            close(ufd);
            ensure_eq!(open_by_handle(mnt, &hu, libc::O_RDONLY), Err(libc::ESTALE));
            // Gone: stale.
            std::fs::remove_file(m.path("d/g")).map_err(s)?;
            ensure_eq!(open_by_handle(mnt, &hf, libc::O_RDONLY), Err(libc::ESTALE));
            outcomes
                .borrow_mut()
                .push((small, hf.handle_bytes, while_open));
            Ok(())
        })();
        close(mnt);
        r
    })?;
    let o = outcomes.into_inner();
    ensure_eq!(o[0], o[1]);
    Ok(())
}

/// `FS_IOC_GETFLAGS` and `FS_IOC_SETFLAGS` (`_IOR/_IOW('f', 1/2, long)`).
const FS_IOC_GETFLAGS: libc::c_ulong = 0x8008_6601;
const FS_IOC_SETFLAGS: libc::c_ulong = 0x4008_6602;
const FS_IMMUTABLE_FL: i32 = 0x10;
const FS_APPEND_FL: i32 = 0x20;
const FS_NODUMP_FL: i32 = 0x40;
const FS_NOATIME_FL: i32 = 0x80;
const FS_SYNC_FL: i32 = 0x08;

/// The chattr flags of `p` (`lsattr`), or the errno.
fn getflags(p: &std::path::Path) -> Result<i32, i32> {
    let fd = open(p, libc::O_RDONLY | libc::O_NONBLOCK, 0)?;
    let mut f: i32 = 0;
    // SAFETY: `fd` is open; the kernel writes one int to `f`.
    let r = unsafe { libc::ioctl(fd, FS_IOC_GETFLAGS, &mut f) };
    let e = last_errno();
    close(fd);
    if r < 0 {
        Err(e)
    } else {
        Ok(f)
    }
}

/// Sets the chattr flags of `p` (`chattr =...`), or returns the errno.
fn setflags(p: &std::path::Path, flags: i32) -> Result<(), i32> {
    let fd = open(p, libc::O_RDONLY | libc::O_NONBLOCK, 0)?;
    // SAFETY: `fd` is open; the kernel reads one int from `flags`.
    let r = unsafe { libc::ioctl(fd, FS_IOC_SETFLAGS, &flags) };
    let e = last_errno();
    close(fd);
    if r < 0 {
        Err(e)
    } else {
        Ok(())
    }
}

/// `statx(2)`'s `stx_attributes` and `stx_attributes_mask` of `p`, masked
/// to the three that chattr sets: immutable, append-only, no-dump.
fn statx_attrs(p: &std::path::Path) -> Result<(u64, u64), String> {
    const CHATTR: u64 = 0x10 | 0x20 | 0x40;
    let stx = statx(p, libc::STATX_BASIC_STATS)?;
    Ok((
        stx.stx_attributes & CHATTR,
        stx.stx_attributes_mask & CHATTR,
    ))
}

/// chattr +i/+a/+d/+A as tmpfs: flags are kept and shown, immutable and
/// append-only are enforced, no-dump and no-atime are inherited from the
/// directory, other flags are refused, and only CAP_LINUX_IMMUTABLE may
/// set +i/+a.  The same checks run on tmpfs first, so the expectations are
/// tmpfs's, not invented.
fn chattr_flags() -> TestResult {
    on_tmpfs_then_rramfs(0o755, chattr_checks)
}

fn chattr_checks(m: &Mount) -> TestResult {
    let f = m.path("f");
    std::fs::write(&f, b"data").map_err(s)?;
    ensure_eq!(getflags(&f), Ok(0));

    // Immutable: no write open, truncate, unlink, rename, link, chmod,
    // xattr; reads work; the flag shows.
    // statx shows the three flags it has bits for (the same values as
    // the FS_*_FL ones), and says it can.
    let all = (FS_IMMUTABLE_FL | FS_APPEND_FL | FS_NODUMP_FL) as u64;
    ensure_eq!(statx_attrs(&f)?, (0, all));
    ensure_eq!(setflags(&f, FS_IMMUTABLE_FL), Ok(()));
    ensure_eq!(getflags(&f), Ok(FS_IMMUTABLE_FL));
    ensure_eq!(statx_attrs(&f)?, (FS_IMMUTABLE_FL as u64, all));
    ensure_eq!(open(&f, libc::O_WRONLY, 0).map(close), Err(libc::EPERM));
    ensure_eq!(errno_of(&std::fs::remove_file(&f)), libc::EPERM);
    ensure_eq!(errno_of(&std::fs::rename(&f, m.path("g"))), libc::EPERM);
    ensure_eq!(errno_of(&std::fs::hard_link(&f, m.path("h"))), libc::EPERM);
    let perm = std::fs::Permissions::from_mode(0o600);
    ensure_eq!(errno_of(&std::fs::set_permissions(&f, perm)), libc::EPERM);
    let (name, val) = (CString::new("user.x").unwrap(), b"v");
    let path = CString::new(f.to_str().unwrap()).unwrap();
    // SAFETY: Valid C strings and a buffer of `val.len()` bytes.
    let r = unsafe { libc::setxattr(path.as_ptr(), name.as_ptr(), val.as_ptr().cast(), 1, 0) };
    ensure!(r < 0 && last_errno() == libc::EPERM, "setxattr on +i: {r}");
    ensure_eq!(std::fs::read(&f).map_err(s)?, b"data");
    // Unsupported flags are refused and change nothing.
    ensure_eq!(
        setflags(&f, FS_IMMUTABLE_FL | FS_SYNC_FL),
        Err(libc::EOPNOTSUPP)
    );
    ensure_eq!(getflags(&f), Ok(FS_IMMUTABLE_FL));
    // Without CAP_LINUX_IMMUTABLE, +i cannot be cleared (nor set).
    std::fs::set_permissions(m.root(), std::fs::Permissions::from_mode(0o777)).map_err(s)?;
    let fp = f.clone();
    let r = as_user(1000, 1000, move || match setflags(&fp, 0) {
        Err(libc::EPERM) | Err(libc::EACCES) => Ok(()),
        other => Err(format!("clearing +i as a user: {other:?}")),
    });
    ensure!(r.is_ok(), "{r:?}");
    ensure_eq!(setflags(&f, 0), Ok(()));
    ensure_eq!(getflags(&f), Ok(0));
    std::fs::write(&f, b"new").map_err(s)?;

    // Append-only: only O_APPEND writes, no truncation or hole punching.
    ensure_eq!(setflags(&f, FS_APPEND_FL), Ok(()));
    ensure_eq!(statx_attrs(&f)?, (FS_APPEND_FL as u64, all));
    ensure_eq!(open(&f, libc::O_WRONLY, 0).map(close), Err(libc::EPERM));
    let fd = open(&f, libc::O_WRONLY | libc::O_APPEND, 0).map_err(|e| format!("open: {e}"))?;
    let w = pwrite(fd, b"+".as_ptr(), 1, 0);
    let t = ftruncate(fd, 0);
    let p = fallocate(
        fd,
        libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
        0,
        1,
    );
    close(fd);
    ensure_eq!(w, Ok(1));
    ensure_eq!(t, Err(libc::EPERM));
    ensure_eq!(p, Err(libc::EPERM));
    ensure_eq!(std::fs::read(&f).map_err(s)?, b"new+");
    ensure_eq!(setflags(&f, 0), Ok(()));

    // No-dump and no-atime on a directory: kept, and inherited by what is
    // made in it (a file and a subdirectory); an immutable directory
    // takes no new names.
    let d = m.path("d");
    std::fs::create_dir(&d).map_err(s)?;
    ensure_eq!(setflags(&d, FS_NODUMP_FL | FS_NOATIME_FL), Ok(()));
    ensure_eq!(getflags(&d), Ok(FS_NODUMP_FL | FS_NOATIME_FL));
    ensure_eq!(statx_attrs(&d)?, (FS_NODUMP_FL as u64, all));
    std::fs::write(d.join("x"), b"x").map_err(s)?;
    std::fs::create_dir(d.join("sub")).map_err(s)?;
    ensure_eq!(getflags(&d.join("x")), Ok(FS_NODUMP_FL | FS_NOATIME_FL));
    ensure_eq!(getflags(&d.join("sub")), Ok(FS_NODUMP_FL | FS_NOATIME_FL));
    ensure_eq!(setflags(&d, FS_IMMUTABLE_FL), Ok(()));
    ensure_eq!(errno_of(&std::fs::write(d.join("y"), b"y")), libc::EPERM);
    ensure_eq!(setflags(&d, 0), Ok(()));
    std::fs::write(d.join("y"), b"y").map_err(s)?;
    ensure_eq!(getflags(&d.join("y")), Ok(0));
    Ok(())
}
