//! Regular files beyond write(2): read, mmap (page_mkwrite, SIGBUS),
//! fsync, splice, sendfile, SEEK_DATA/SEEK_HOLE, fallocate, xattrs.

use crate::harness::TestResult;
use crate::util::*;
use crate::{ensure, ensure_eq};
use std::ffi::CString;
use std::os::unix::fs::MetadataExt;

crate::tests![
    shared_mmap_write_reaches_file,
    mmap_write_updates_mtime,
    sigbus_past_eof_after_truncate,
    mmap_fault_on_hole_is_charged,
    fsync_and_fdatasync,
    splice_in_and_out,
    sendfile_between_files,
    seek_data_and_hole,
    fallocate_modes,
    fallocate_enospc,
    xattrs_user_trusted_security,
    nowait_write_refused,
    xattrs_charged_to_inode_space,
    xattrs_bounded_in_userns_mount,
    failed_write_past_eof_keeps_nothing,
    sendfile_of_holes_allocates_nothing,
    truncation_keeps_dirty_accounting,
    keep_size_preallocation_keeps_dirty_accounting,
    short_write_keeps_dirty_accounting,
    fallocate_enospc_keeps_dirty_accounting,
    held_folio_truncation_keeps_dirty_accounting,
    cache_drops_keep_data,
    leases,
    directory_delegations,
];

fn mkfile(m: &Mount, name: &str, data: &[u8]) -> Result<i32, String> {
    let fd = open(&m.path(name), libc::O_RDWR | libc::O_CREAT, 0o644)
        .map_err(|e| format!("open: {e}"))?;
    if !data.is_empty() {
        ensure_eq!(pwrite(fd, data.as_ptr(), data.len(), 0), Ok(data.len()));
    }
    Ok(fd)
}

fn shared_mmap_write_reaches_file() -> TestResult {
    let m = Mount::new("")?;
    let fd = mkfile(&m, "f", &vec![0u8; 3 * PAGE])?;
    let map = Map::new(
        3 * PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        fd,
        0,
    )?;
    let data = pattern(9, 0, 3 * PAGE);
    // SAFETY: Writable shared mapping of 3 pages.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), map.ptr, 3 * PAGE) };
    ensure!(
        read_at(fd, 0, 3 * PAGE)? == data,
        "read(2) does not see mmap writes"
    );
    let w = pattern(10, 0, 100);
    ensure_eq!(pwrite(fd, w.as_ptr(), 100, 5000), Ok(100));
    ensure!(
        map.slice()[5000..5100] == w[..],
        "the mapping does not see write(2)"
    );
    close(fd);
    Ok(())
}

fn mmap_write_updates_mtime() -> TestResult {
    let m = Mount::new("")?;
    let fd = mkfile(&m, "f", &vec![0u8; PAGE])?;
    let ts = [libc::timespec {
        tv_sec: 1000,
        tv_nsec: 0,
    }; 2];
    // SAFETY: Valid fd and array.
    unsafe { libc::futimens(fd, ts.as_ptr()) };
    // Drop the PTEs so that the next store faults and calls page_mkwrite.
    let map = Map::new(
        PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        fd,
        0,
    )?;
    // SAFETY: In bounds of the writable mapping.
    unsafe { *map.ptr = 1 };
    let md = std::fs::metadata(m.path("f")).unwrap();
    ensure!(
        md.mtime() > 1000 && md.ctime() > 1000,
        "page_mkwrite did not update times"
    );
    close(fd);
    Ok(())
}

fn sigbus_past_eof_after_truncate() -> TestResult {
    let m = Mount::new("")?;
    let fd = mkfile(&m, "f", &vec![1u8; 2 * PAGE])?;
    let map = Map::new(2 * PAGE, libc::PROT_READ, libc::MAP_SHARED, fd, 0)?;
    ensure_eq!(map.slice()[PAGE], 1);
    // SAFETY: Plain syscall.
    ensure_eq!(unsafe { libc::ftruncate(fd, 100) }, 0);
    ensure_eq!(map.slice()[50], 1, "data before the new EOF");
    ensure_eq!(map.slice()[200], 0, "the tail of the last page reads zeros");
    // Touching the page past EOF must SIGBUS: do it in a child.
    let p = map.ptr as usize;
    // SAFETY: Fork; the child only touches memory and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: Expected to raise SIGBUS.
        let v = unsafe { std::ptr::read_volatile((p + PAGE) as *const u8) };
        // SAFETY: Leave the child.
        unsafe { libc::_exit(v as i32 + 10) };
    }
    let mut st = 0;
    // SAFETY: Our child.
    unsafe { libc::waitpid(pid, &mut st, 0) };
    ensure!(
        libc::WIFSIGNALED(st) && libc::WTERMSIG(st) == libc::SIGBUS,
        "no SIGBUS past EOF (status {st:#x})"
    );
    close(fd);
    Ok(())
}

fn mmap_fault_on_hole_is_charged() -> TestResult {
    let m = Mount::new("size=1m")?;
    let fd = mkfile(&m, "f", &[])?;
    // SAFETY: Plain syscall: a sparse 4 MiB file in a 1 MiB filesystem.
    ensure_eq!(unsafe { libc::ftruncate(fd, 4 << 20) }, 0);
    let map = Map::new(4 << 20, libc::PROT_READ, libc::MAP_SHARED, fd, 0)?;
    ensure_eq!(map.slice()[0], 0);
    let used = m.stats()?.get("blocks_used");
    ensure!(used >= 1, "a faulted-in hole is not charged");
    ensure!(used <= 256, "charged {used} pages, over size=1m");
    drop(map);
    // SAFETY: Plain syscall.
    unsafe { libc::ftruncate(fd, 0) };
    ensure_eq!(
        m.stats()?.get("blocks_used"),
        0,
        "charge not returned by truncate"
    );
    close(fd);
    Ok(())
}

/// fsync and friends succeed, keep every byte (through write and mmap),
/// and change neither the size nor the blocks; O_SYNC/O_DSYNC writes (which
/// end in fsync) keep their data too.
fn fsync_and_fdatasync() -> TestResult {
    let m = Mount::new("")?;
    let data = pattern(50, 0, 3 * PAGE);
    let fd = mkfile(&m, "f", &data)?;
    let map = Map::new(
        PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        fd,
        PAGE as i64,
    )?;
    // SAFETY: Inside the writable mapping.
    unsafe { *map.ptr.add(5) = 0xA5 };
    let mut expect = data.clone();
    expect[PAGE + 5] = 0xA5;
    let (size, blocks) = (fsize(fd), fblocks(fd));
    // SAFETY: Plain syscalls on our fd and mapping.
    unsafe {
        ensure_eq!(libc::msync(map.ptr.cast(), PAGE, libc::MS_SYNC), 0);
        ensure_eq!(libc::fsync(fd), 0);
        ensure_eq!(libc::fdatasync(fd), 0);
        ensure_eq!(libc::syncfs(fd), 0);
        ensure_eq!(
            libc::sync_file_range(
                fd,
                0,
                0,
                libc::SYNC_FILE_RANGE_WRITE | libc::SYNC_FILE_RANGE_WAIT_AFTER
            ),
            0
        );
    }
    ensure_eq!(
        (fsize(fd), fblocks(fd)),
        (size, blocks),
        "fsync changed the file"
    );
    ensure!(
        read_at(fd, 0, 4 * PAGE)? == expect,
        "data lost across fsync"
    );
    let dfd = open(m.root(), libc::O_RDONLY | libc::O_DIRECTORY, 0).map_err(|e| e.to_string())?;
    // SAFETY: Plain syscall.
    ensure_eq!(unsafe { libc::fsync(dfd) }, 0);
    close(dfd);
    // O_SYNC and O_DSYNC writes, appending.
    for (name, flag) in [("s", libc::O_SYNC), ("d", libc::O_DSYNC)] {
        let sfd = open(
            &m.path(name),
            libc::O_RDWR | libc::O_CREAT | libc::O_APPEND | flag,
            0o644,
        )
        .map_err(|e| e.to_string())?;
        ensure_eq!(pwrite(sfd, b"xyz".as_ptr(), 3, 0), Ok(3));
        ensure_eq!(pwrite(sfd, b"uvw".as_ptr(), 3, 0), Ok(3));
        ensure_eq!(read_at(sfd, 0, 16)?, b"xyzuvw", "{name}");
        close(sfd);
    }
    drop(map);
    close(fd);
    Ok(())
}

fn splice_in_and_out() -> TestResult {
    let m = Mount::new("")?;
    let data = pattern(11, 0, 100_000);
    let src = mkfile(&m, "src", &data)?;
    let dst = mkfile(&m, "dst", &[])?;
    splice_copy(src, dst, data.len())?;
    ensure!(
        read_at(dst, 0, data.len() + 1)? == data,
        "spliced copy differs"
    );
    close(src);
    close(dst);
    Ok(())
}

fn sendfile_between_files() -> TestResult {
    let m = Mount::new("")?;
    let data = pattern(12, 0, 300_000);
    let src = mkfile(&m, "src", &data)?;
    let dst = mkfile(&m, "dst", &[])?;
    let mut off = 0i64;
    let mut total = 0usize;
    while total < data.len() {
        // SAFETY: Valid fds.
        let n = unsafe { libc::sendfile(dst, src, &mut off, data.len() - total) };
        ensure!(n > 0, "sendfile: errno {}", last_errno());
        total += n as usize;
    }
    ensure!(
        read_at(dst, 0, data.len())? == data,
        "sendfile copy differs"
    );
    close(src);
    close(dst);
    Ok(())
}

fn seek_data_and_hole() -> TestResult {
    let m = Mount::new("")?;
    let fd = mkfile(&m, "f", &[])?;
    // Data at [64K, 68K) and [1M, 1M+10); holes elsewhere.
    ensure_eq!(pwrite(fd, [1u8; PAGE].as_ptr(), PAGE, 65536), Ok(PAGE));
    ensure_eq!(pwrite(fd, [1u8; 10].as_ptr(), 10, 1 << 20), Ok(10));
    ensure_eq!(lseek(fd, 0, libc::SEEK_DATA), Ok(65536));
    ensure_eq!(lseek(fd, 0, libc::SEEK_HOLE), Ok(0));
    ensure_eq!(lseek(fd, 65536, libc::SEEK_HOLE), Ok(65536 + PAGE as i64));
    let d2 = lseek(fd, 70000, libc::SEEK_DATA).map_err(|e| format!("SEEK_DATA: {e}"))?;
    ensure!(
        d2 <= 1 << 20 && d2 > 65536 + PAGE as i64 - 1,
        "second data at {d2}"
    );
    ensure_eq!(
        lseek(fd, (1 << 20) + 5, libc::SEEK_HOLE),
        Ok((1 << 20) + 10),
        "EOF is a hole"
    );
    ensure_eq!(lseek(fd, (1 << 20) + 10, libc::SEEK_DATA), Err(libc::ENXIO));
    close(fd);
    Ok(())
}

fn fallocate_modes() -> TestResult {
    let m = Mount::new("size=16m")?;
    let fd = mkfile(&m, "f", &[])?;
    // Default mode: allocates, extends the size, reads zeros, charges.
    fallocate(fd, 0, 0, 1 << 20).map_err(|e| format!("fallocate: {e}"))?;
    ensure_eq!(std::fs::metadata(m.path("f")).unwrap().len(), 1 << 20);
    // Exactly the range's pages: not one more past a page-aligned end.
    ensure_eq!(m.stats()?.get("blocks_used"), 256, "pages charged");
    ensure_eq!(fblocks(fd), 2048, "st_blocks");
    ensure!(
        read_at(fd, 0, 1 << 20)?.iter().all(|&b| b == 0),
        "fallocated range not zero"
    );
    // KEEP_SIZE: allocates past EOF without changing the size.
    fallocate(fd, libc::FALLOC_FL_KEEP_SIZE, 1 << 20, 1 << 20)
        .map_err(|e| format!("keep_size: {e}"))?;
    ensure_eq!(std::fs::metadata(m.path("f")).unwrap().len(), 1 << 20);
    ensure_eq!(fblocks(fd), 4096, "st_blocks with the preallocation");
    ensure_eq!(m.stats()?.get("blocks_used"), 512, "pages charged");
    // PUNCH_HOLE: zeros, frees, keeps the size.
    let data = pattern(13, 0, 1 << 20);
    ensure_eq!(pwrite(fd, data.as_ptr(), data.len(), 0), Ok(data.len()));
    let before = m.stats()?.get("blocks_used");
    fallocate(
        fd,
        libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
        8192,
        65536,
    )
    .map_err(|e| format!("punch: {e}"))?;
    let after = m.stats()?.get("blocks_used");
    ensure!(
        after <= before - 16,
        "punch hole freed nothing: {before} -> {after}"
    );
    ensure_eq!(lseek(fd, 8192, libc::SEEK_HOLE), Ok(8192));
    ensure_eq!(lseek(fd, 8192, libc::SEEK_DATA), Ok(73728));
    // Reading the hole gives zeros and, as in tmpfs, allocates nothing.
    let got = read_at(fd, 0, 1 << 20)?;
    ensure!(
        got[..8192] == data[..8192]
            && got[8192..73728].iter().all(|&b| b == 0)
            && got[73728..] == data[73728..],
        "punch hole data wrong"
    );
    ensure_eq!(
        m.stats()?.get("blocks_used"),
        after,
        "read(2) of a hole allocated"
    );
    ensure_eq!(
        fallocate(fd, libc::FALLOC_FL_PUNCH_HOLE, 0, 4096),
        Err(libc::EOPNOTSUPP),
        "punch without keep_size"
    );
    // ZERO_RANGE: zeros (unaligned edges too), and may extend the size.
    fallocate(fd, libc::FALLOC_FL_ZERO_RANGE, 100_001, 200_000)
        .map_err(|e| format!("zero range: {e}"))?;
    let got = read_at(fd, 0, 1 << 20)?;
    ensure!(
        got[100_001..300_001].iter().all(|&b| b == 0)
            && got[100_000] == data[100_000]
            && got[300_001] == data[300_001],
        "zero range wrong"
    );
    fallocate(fd, libc::FALLOC_FL_ZERO_RANGE, (1 << 20) - 10, 100)
        .map_err(|e| format!("zero range past EOF: {e}"))?;
    ensure_eq!(
        std::fs::metadata(m.path("f")).unwrap().len(),
        (1 << 20) + 90
    );
    // Unsupported modes are refused.
    ensure_eq!(
        fallocate(fd, libc::FALLOC_FL_COLLAPSE_RANGE, 0, 4096),
        Err(libc::EOPNOTSUPP)
    );
    close(fd);
    Ok(())
}

fn fallocate_enospc() -> TestResult {
    let m = Mount::new("size=1m")?;
    let fd = mkfile(&m, "f", b"keep")?;
    ensure_eq!(fallocate(fd, 0, 0, 4 << 20), Err(libc::ENOSPC));
    ensure_eq!(
        std::fs::metadata(m.path("f")).unwrap().len(),
        4,
        "failed fallocate changed the size"
    );
    ensure_eq!(read_at(fd, 0, 4)?, b"keep");
    ensure!(
        m.stats()?.get("blocks_used") <= 1,
        "failed fallocate left {} pages charged",
        m.stats()?.get("blocks_used")
    );
    close(fd);
    Ok(())
}

fn xattrs_user_trusted_security() -> TestResult {
    let m = Mount::new("")?;
    std::fs::write(m.path("f"), b"").map_err(|e| e.to_string())?;
    let p = CString::new(m.path("f").to_str().unwrap()).unwrap();
    let set = |name: &str, val: &[u8], flags: i32| -> Result<(), i32> {
        let n = CString::new(name).unwrap();
        // SAFETY: Valid strings and buffer.
        if unsafe {
            libc::setxattr(
                p.as_ptr(),
                n.as_ptr(),
                val.as_ptr().cast(),
                val.len(),
                flags,
            )
        } == 0
        {
            Ok(())
        } else {
            Err(last_errno())
        }
    };
    let get = |name: &str| -> Result<Vec<u8>, i32> {
        let n = CString::new(name).unwrap();
        let mut buf = vec![0u8; 65536];
        // SAFETY: Valid strings and buffer.
        let r =
            unsafe { libc::getxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if r < 0 {
            Err(last_errno())
        } else {
            buf.truncate(r as usize);
            Ok(buf)
        }
    };
    for ns in ["user.a", "trusted.b", "security.c"] {
        set(ns, ns.as_bytes(), 0).map_err(|e| format!("set {ns}: {e}"))?;
        ensure_eq!(get(ns), Ok(ns.as_bytes().to_vec()));
    }
    ensure_eq!(set("user.a", b"x", libc::XATTR_CREATE), Err(libc::EEXIST));
    ensure_eq!(set("user.z", b"x", libc::XATTR_REPLACE), Err(libc::ENODATA));
    ensure_eq!(get("user.none"), Err(libc::ENODATA));
    ensure_eq!(set("other.x", b"x", 0), Err(libc::EOPNOTSUPP));
    set("user.big", &vec![7u8; 60000], 0).map_err(|e| format!("big: {e}"))?;
    ensure_eq!(get("user.big").map(|v| v.len()), Ok(60000));
    let mut list = vec![0u8; 4096];
    // SAFETY: Valid buffer.
    let n = unsafe { libc::listxattr(p.as_ptr(), list.as_mut_ptr().cast(), list.len()) };
    ensure!(n > 0, "listxattr: errno {}", last_errno());
    let names: Vec<&str> = std::str::from_utf8(&list[..n as usize])
        .unwrap()
        .split('\0')
        .filter(|s| !s.is_empty())
        .collect();
    for ns in ["user.a", "trusted.b", "security.c", "user.big"] {
        ensure!(names.contains(&ns), "{ns} not listed: {names:?}");
    }
    let n = CString::new("user.a").unwrap();
    // SAFETY: Valid strings.
    ensure_eq!(unsafe { libc::removexattr(p.as_ptr(), n.as_ptr()) }, 0);
    ensure_eq!(get("user.a"), Err(libc::ENODATA));
    // Directories carry xattrs too; an unprivileged user cannot set trusted.*.
    std::fs::create_dir(m.path("d")).map_err(|e| e.to_string())?;
    let d = CString::new(m.path("d").to_str().unwrap()).unwrap();
    let nm = CString::new("user.d").unwrap();
    // SAFETY: Valid strings.
    let r = unsafe { libc::setxattr(d.as_ptr(), nm.as_ptr(), b"1".as_ptr().cast(), 1, 0) };
    ensure_eq!(r, 0);
    Ok(())
}

fn nowait_write_refused() -> TestResult {
    let m = Mount::new("")?;
    let fd = mkfile(&m, "f", &[])?;
    let iov = libc::iovec {
        iov_base: b"x".as_ptr() as *mut _,
        iov_len: 1,
    };
    // SAFETY: Valid iovec.
    let r = unsafe { libc::pwritev2(fd, &iov, 1, 0, libc::RWF_NOWAIT) };
    ensure!(
        r < 0 && last_errno() == libc::EOPNOTSUPP,
        "RWF_NOWAIT write: {r}, errno {}",
        last_errno()
    );
    close(fd);
    Ok(())
}

/// Extended attributes are charged, as tmpfs charges them, against the
/// inode space (`nr_inodes=` times 1 KiB, which inodes share): `security.`
/// and `trusted.` values stop at ENOSPC, statfs's free inodes shrink with
/// them, and removal and unlink give the space back.
fn xattrs_charged_to_inode_space() -> TestResult {
    // 64 KiB of inode space; the root and the file take 1 KiB each.
    let m = Mount::new("size=1m,nr_inodes=64")?;
    let f = m.path("f");
    std::fs::write(&f, b"").map_err(|e| e.to_string())?;
    let val = vec![5u8; 8192];
    let mut n = 0;
    let err = loop {
        match setx(&f, &format!("security.s{n}"), &val) {
            Ok(()) => n += 1,
            Err(e) => break e,
        }
        ensure!(
            n < 1024,
            "1024 xattrs of 8 KiB accepted in 64 KiB of inode space"
        );
    };
    ensure_eq!(err, libc::ENOSPC);
    // 40 + name + value each (simple_xattr_space), in the 62 KiB left.
    ensure!(
        m.stats()?.get("ispace_used") > 2048,
        "xattrs not in ispace_used"
    );
    let each = 40 + "security.s0".len() as u64 + 8192;
    ensure_eq!(n as u64, (64 * 1024 - 2048) / each, "how many fit");
    let used = m.stats()?.get("ispace_used");
    ensure_eq!(used, 2048 + n as u64 * each);
    ensure_eq!(statfs(&m).f_ffree, (64 * 1024 - used) / 1024);
    ensure_eq!(setx(&f, "trusted.t", &val), Err(libc::ENOSPC));
    ensure_eq!(removex(&f, "security.s0"), Ok(()));
    ensure_eq!(m.stats()?.get("ispace_used"), used - each);
    ensure_eq!(
        setx(&f, "trusted.t", &val),
        Ok(()),
        "space freed by removal"
    );
    // Replacing a value charges the difference.
    ensure_eq!(setx(&f, "trusted.t", b"small"), Ok(()));
    ensure_eq!(
        m.stats()?.get("ispace_used"),
        used - each + 40 + "trusted.t".len() as u64 + 5
    );
    // Nor can a new inode take the space the xattrs hold.
    std::fs::remove_file(&f).map_err(|e| e.to_string())?;
    ensure_eq!(
        m.stats()?.get("ispace_used"),
        1024,
        "unlink returns all of it"
    );
    ensure_eq!(statfs(&m).f_ffree, 63);
    Ok(())
}

/// The attack, as an unprivileged user: in a user-namespace mount,
/// security.* needs only CAP_SYS_ADMIN there; 1024 values of 64 KiB must
/// not all be accepted.
fn xattrs_bounded_in_userns_mount() -> TestResult {
    let dir = format!("/tmp/rramfs-userns.{}", std::process::id());
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // SAFETY: A valid path string.
    unsafe { libc::chmod(CString::new(dir.clone()).unwrap().as_ptr(), 0o777) };
    let script = format!(
        "set -e; mount -t rramfs -o size=1m,nr_inodes=16 none {dir}; : > {dir}/f; \
         v=$(head -c 65536 /dev/zero | base64 -w0); n=0; \
         while [ $n -lt 1024 ] && setfattr -n security.x$n -v 0s$v {dir}/f 2>/dev/null; do n=$((n+1)); done; \
         echo accepted=$n"
    );
    let (rc, out) = sh(&format!(
        "setpriv --reuid=1000 --regid=1000 --clear-groups unshare -Urm sh -c '{script}' 2>&1"
    ));
    let _ = std::fs::remove_dir(&dir);
    ensure!(rc == 0, "userns script: rc {rc}: {out}");
    let n: usize = out
        .trim()
        .rsplit("accepted=")
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or(format!("no count in {out:?}"))?;
    // 16 KiB of inode space, 1 KiB each for the root and the file: none.
    ensure_eq!(n, 0, "64 KiB xattrs accepted in a 16-inode userns mount");
    Ok(())
}

/// A buffered write that fails (EFAULT) past EOF leaves no folio behind:
/// no blocks in the file or the mount, the size unchanged.
fn failed_write_past_eof_keeps_nothing() -> TestResult {
    let m = Mount::new("size=16m")?;
    let fd = mkfile(&m, "f", b"head")?;
    let used = m.stats()?.get("blocks_used");
    let bad = Map::new(
        64 * 1024,
        libc::PROT_NONE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
        0,
    )?;
    for off in [1 << 20, 2 << 20, 4096] {
        ensure_eq!(
            pwrite(fd, bad.ptr, 64 * 1024, off),
            Err(libc::EFAULT),
            "at {off}"
        );
        ensure_eq!(fsize(fd), 4, "a failed write changed the size");
        ensure_eq!(
            m.stats()?.get("blocks_used"),
            used,
            "a failed write at {off} kept blocks"
        );
        ensure_eq!(fblocks(fd), 8);
    }
    ensure_eq!(read_at(fd, 0, 16)?, b"head");
    close(fd);
    Ok(())
}

/// sendfile(2) and splice(2) of a sparse file serve zeros without adding
/// folios: nothing is charged, and a file larger than the mount can be
/// sent (as tmpfs, which splices the zero page).
fn sendfile_of_holes_allocates_nothing() -> TestResult {
    const LEN: i64 = 8 << 20;
    let m = Mount::new("size=1m")?;
    let fd = mkfile(&m, "sparse", &[])?;
    ensure_eq!(ftruncate(fd, LEN), Ok(()));
    ensure_eq!(pwrite(fd, b"mid".as_ptr(), 3, LEN / 2), Ok(3));
    let used = m.stats()?.get("blocks_used");
    let null = open(std::path::Path::new("/dev/null"), libc::O_WRONLY, 0)
        .map_err(|e| format!("/dev/null: {e}"))?;
    let mut off = 0i64;
    while off < LEN {
        // SAFETY: Valid fds.
        let n = unsafe { libc::sendfile(null, fd, &mut off, (LEN - off) as usize) };
        ensure!(n > 0, "sendfile at {off}: errno {}", last_errno());
    }
    close(null);
    // splice through a pipe and check what comes out.
    let mut p = [0i32; 2];
    // SAFETY: Valid array.
    ensure_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
    // A hole run, then the data run: splice stops at each boundary.
    let (mut off, mut got) = (LEN / 2 - 8, Vec::new());
    while got.len() < 16 {
        let want = 16 - got.len();
        // SAFETY: Valid fds and offset.
        let n = unsafe { libc::splice(fd, &mut off, p[1], std::ptr::null_mut(), want, 0) };
        ensure!(n > 0, "splice at {off}: errno {}", last_errno());
        let mut b = vec![0u8; n as usize];
        // SAFETY: Valid fd and buffer.
        let r = unsafe { libc::read(p[0], b.as_mut_ptr().cast(), b.len()) };
        ensure_eq!(r, n);
        got.extend_from_slice(&b);
    }
    close(p[0]);
    close(p[1]);
    let mut want = vec![0u8; 16];
    want[8..11].copy_from_slice(b"mid");
    ensure_eq!(got, want);
    ensure_eq!(
        m.stats()?.get("blocks_used"),
        used,
        "sendfile/splice of holes charged"
    );
    ensure_eq!(fblocks(fd), 8);
    close(fd);
    Ok(())
}

/// rramfs's folios are dirty but never counted as dirty (no writeback), so
/// truncation must not count them clean either.  The kernel's folio split
/// does exactly that to the tails it drops past `i_size` (mm/huge_memory.c,
/// 6.12 and 7.3): truncating a file inside a large folio after lowering
/// `i_size` took `NR_FILE_DIRTY` 511 pages below zero per 2 MiB folio,
/// which undercounts every other filesystem's dirty pages for the dirty
/// limits.  rramfs drops the page cache before lowering `i_size` (and
/// refuses a split past EOF, which would keep the folio whole: so the
/// test checks the pages kept too).
fn truncation_keeps_dirty_accounting() -> TestResult {
    let m = Mount::new("")?;
    dirty_deficit_unchanged(|| {
        let data = vec![0x5au8; 2 << 20];
        for i in 0..8 {
            let fd = mkfile(&m, &format!("f{i}"), &data)?;
            ensure_eq!(ftruncate(fd, 100 + 4096 * i), Ok(()));
            ensure_eq!(read_at(fd, 0, 100)?, data[..100].to_vec());
            // The folio was split, and only the pages up to EOF stay (a
            // split refused past EOF would keep all 2 MiB).
            ensure_eq!(fblocks(fd), 8 * (i + 1));
            close(fd);
        }
        // Down inside a folio, and up again: zeros past the old end.
        let fd = mkfile(&m, "g", &data)?;
        ensure_eq!(ftruncate(fd, 3000), Ok(()));
        ensure_eq!(ftruncate(fd, 2 << 20), Ok(()));
        ensure_eq!(
            read_at(fd, 2990, 20)?,
            [&data[2990..3000], &[0u8; 10][..]].concat()
        );
        close(fd);
        Ok(())
    })
}

/// Runs `f` and checks that NR_FILE_DIRTY did not go (further) below zero
/// meanwhile.  Other filesystems' dirty pages come and go (the guest's 9p
/// root): a margin of half a 2 MiB folio, where the bug costs 511 pages
/// per folio.
fn dirty_deficit_unchanged(f: impl FnOnce() -> TestResult) -> TestResult {
    let before = nr_dirty_deficit()?;
    f()?;
    let after = nr_dirty_deficit()?;
    ensure!(
        after - before < 256,
        "NR_FILE_DIRTY went {} pages (further) below zero",
        after - before
    );
    Ok(())
}

/// The same for a KEEP_SIZE preallocation past EOF, which every later hole
/// punch, ZERO_RANGE or truncation in it would split past `i_size`
/// whatever the order: rramfs preallocates past EOF in single pages.
fn keep_size_preallocation_keeps_dirty_accounting() -> TestResult {
    let m = Mount::new("")?;
    let keep = libc::FALLOC_FL_KEEP_SIZE;
    let data = pattern(7, 0, (1 << 20) + 1);
    dirty_deficit_unchanged(|| {
        for i in 0..4i64 {
            let fd = mkfile(&m, &format!("f{i}"), &data)?;
            // From inside the file to 4 MiB past it, then cut into.
            ensure_eq!(fallocate(fd, keep, 4096 * i, 5 << 20), Ok(()));
            ensure_eq!(fsize(fd), (1 << 20) + 1);
            ensure_eq!(fblocks(fd), ((5 << 20) + 4096 * i) / 512);
            let punch = libc::FALLOC_FL_PUNCH_HOLE | keep;
            ensure_eq!(fallocate(fd, punch, (3 << 19) + 4096 * i, 65536), Ok(()));
            // The 16 pages punched past EOF are freed: single pages there
            // (a large folio reaching past EOF could not be split).
            ensure_eq!(fblocks(fd), ((5 << 20) + 4096 * i) / 512 - 16 * 8);
            let zero = libc::FALLOC_FL_ZERO_RANGE | keep;
            ensure_eq!(fallocate(fd, zero, (2 << 20) + 100, 10_000), Ok(()));
            ensure_eq!(ftruncate(fd, (1 << 20) - 100 * i), Ok(()));
            ensure_eq!(fblocks(fd), 2048);
            ensure_eq!(read_at(fd, 0, 1000)?, data[..1000].to_vec());
            close(fd);
        }
        Ok(())
    })
}

/// The same for a write cut short by an unmapped source page: the copy
/// into a new large folio past EOF stops inside it, which would leave
/// whole pages of a dirty folio past the new `i_size` for a later hole
/// punch or truncation to split off and "clean".  rramfs retries such a
/// chunk with a folio no larger than what the copy reached.
fn short_write_keeps_dirty_accounting() -> TestResult {
    let m = Mount::new("")?;
    const LEN: usize = 1 << 20;
    let map = anon(LEN)?;
    let data = pattern(11, 0, LEN);
    // SAFETY: The mapping is writable and LEN bytes long.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), map.ptr, LEN) };
    // Only the first 5 pages and a bit stay readable.
    let mapped = 5 * PAGE + PAGE;
    // SAFETY: Unmapping the tail of our own mapping (Map's drop unmaps the
    // whole range, which is allowed with holes).
    let r = unsafe { libc::munmap(map.ptr.add(mapped).cast(), LEN - mapped) };
    ensure_eq!(r, 0);
    dirty_deficit_unchanged(|| {
        for i in 0..4usize {
            let fd = mkfile(&m, &format!("f{i}"), &[])?;
            // From 100 bytes into the mapping, at 1000 * i in the file: the
            // copy stops at the unmapped page, inside the chunk's folio.
            // SAFETY: Inside the mapped part.
            let src = unsafe { map.ptr.add(100) };
            let at = 1000 * i;
            let n = mapped - 100;
            ensure_eq!(pwrite(fd, src, LEN - 100, at as i64), Ok(n));
            ensure_eq!(fsize(fd), (at + n) as i64);
            ensure_eq!(read_at(fd, at as i64, n)?, data[100..mapped].to_vec());
            // No page wholly past the new EOF was kept (the large folio
            // the copy fell short in was dropped, the chunk retried in one
            // it fills): a kept one could not be split off later either.
            ensure_eq!(fblocks(fd), (at + n).div_ceil(PAGE) as i64 * 8);
            // Split the folios: a hole at the start, then a truncation
            // inside the written range.
            let punch = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
            ensure_eq!(fallocate(fd, punch, 0, 4096), Ok(()));
            ensure_eq!(ftruncate(fd, 3 * 4096 + 7), Ok(()));
            ensure_eq!(
                read_at(fd, 4096, 2 * 4096 + 7)?,
                data[4096 + 100 - at..3 * 4096 + 107 - at].to_vec()
            );
            close(fd);
        }
        Ok(())
    })
}

/// The same for a preallocation that runs out of space: what it added
/// past EOF is dropped again, which must not split a large folio there
/// (an unaligned start in a folio wholly past EOF, or a new folio from
/// the page holding EOF on).  Found by the fuzzer's dirty-count check.
fn fallocate_enospc_keeps_dirty_accounting() -> TestResult {
    let m = Mount::new("size=8m")?;
    dirty_deficit_unchanged(|| {
        // (size, offset): past EOF at a 2 MiB index plus 100 bytes; from
        // inside the page holding EOF.
        for (i, (size, off)) in [(0i64, (2 << 20) + 100), ((2 << 20) + 100, (2 << 20) + 50)]
            .into_iter()
            .enumerate()
        {
            let fd = mkfile(&m, &format!("f{i}"), &[])?;
            ensure_eq!(ftruncate(fd, size), Ok(()));
            for _ in 0..2 {
                ensure_eq!(fallocate(fd, 0, off, 1 << 40), Err(libc::ENOSPC));
                ensure_eq!(fsize(fd), size);
                // Nothing past EOF stays; the page holding EOF may.
                ensure!(
                    fblocks(fd) <= 8,
                    "failed fallocate left {} pages",
                    fblocks(fd) / 8
                );
            }
            close(fd);
            std::fs::remove_file(m.path(&format!("f{i}"))).map_err(|e| e.to_string())?;
        }
        ensure_eq!(m.stats()?.get("blocks_used"), 0);
        Ok(())
    })
}

/// The same when truncation cannot split the folio holding the new end:
/// another reference to it (here a pipe that a splice from the file
/// filled; a vmsplice, an O_DIRECT buffer in an mmap of the file or a
/// concurrent read hold one too) makes the split fail, and the folio stays
/// whole with zeroed, dirty pages past the new end.  Any later split of it
/// (the same truncation's second pass, a hole punch or truncation once the
/// reference is gone, compaction) would "clean" those pages: rramfs's
/// `release_folio` refuses to split a folio that reaches past EOF, so the
/// folio stays whole until the file grows over it or drops it.
fn held_folio_truncation_keeps_dirty_accounting() -> TestResult {
    let m = Mount::new("")?;
    let data = pattern(13, 0, 2 << 20);
    dirty_deficit_unchanged(|| {
        for i in 0..4usize {
            let name = format!("f{i}");
            let fd = mkfile(&m, &name, &data)?;
            let mut p = [0i32; 2];
            // SAFETY: A valid array of two fds.
            ensure_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
            let mut off: libc::loff_t = 0;
            // SAFETY: Valid fds and offset; the pipe keeps a reference to
            // the folio at offset 0 (one 2 MiB folio, or the first of them).
            let n = unsafe { libc::splice(fd, &mut off, p[1], std::ptr::null_mut(), 1, 0) };
            ensure_eq!(n, 1);
            let size = 4096 + 7 + i;
            ensure_eq!(ftruncate(fd, size as i64), Ok(()));
            close(p[0]);
            close(p[1]);
            // Unreferenced now: a hole punch in the folio, then a
            // truncation in it, each of which splits it if it can.
            let punch = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
            ensure_eq!(fallocate(fd, punch, 4096, 7), Ok(()));
            let size = 7 + i;
            ensure_eq!(ftruncate(fd, size as i64), Ok(()));
            ensure_eq!(read_at(fd, 0, 4096)?, data[..size].to_vec());
            // Grown again: zeros past the old end, however the folio went.
            ensure_eq!(ftruncate(fd, 2 << 20), Ok(()));
            let mut want = data[..size].to_vec();
            want.resize(2 << 20, 0);
            ensure!(
                read_at(fd, 0, 2 << 20)? == want,
                "{name}: not zeros past {size}"
            );
            ensure_eq!(m.stats()?.get("blocks_used") as i64, fblocks(fd) / 8);
            close(fd);
            std::fs::remove_file(m.path(&name)).map_err(|e| e.to_string())?;
        }
        ensure_eq!(m.stats()?.get("blocks_used"), 0);
        Ok(())
    })
}

/// Nothing but truncation drops an rramfs folio: the page cache is the
/// storage, so a folio is dirty from the moment it holds data, and what
/// the kernel drops as clean cache (POSIX_FADV_DONTNEED, drop_caches)
/// stays.  One page for each way a folio gets its data: a write into a
/// new folio, a rewrite, preallocation, a read fault on a hole, a write
/// fault on a hole, an O_DIRECT write; contents and charges are checked
/// after the drops.
fn cache_drops_keep_data() -> TestResult {
    let m = Mount::new("")?;
    let fd = mkfile(&m, "f", &[])?;
    let mut want = pattern(21, 0, 2 * PAGE);
    ensure_eq!(pwrite(fd, want.as_ptr(), want.len(), 0), Ok(want.len()));
    // The rewrite finds its folio uptodate.
    let re = pattern(22, 0, 100);
    ensure_eq!(pwrite(fd, re.as_ptr(), re.len(), 7), Ok(re.len()));
    want[7..107].copy_from_slice(&re);
    ensure_eq!(fallocate(fd, 0, 2 * PAGE as i64, PAGE as i64), Ok(()));
    ensure_eq!(ftruncate(fd, 6 * PAGE as i64), Ok(()));
    want.resize(6 * PAGE, 0);
    {
        let map = Map::new(
            6 * PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        )?;
        // A read fault on the hole at page 3, a write fault at page 4.
        ensure_eq!(map.slice()[3 * PAGE], 0);
        // SAFETY: Inside the writable shared mapping.
        unsafe { *map.ptr.add(4 * PAGE + 5) = 0xa5 };
        want[4 * PAGE + 5] = 0xa5;
    }
    let direct = open(&m.path("f"), libc::O_RDWR | libc::O_DIRECT, 0)
        .map_err(|e| format!("open O_DIRECT: errno {e}"))?;
    let buf = anon(PAGE)?;
    let dio = pattern(23, 0, PAGE);
    // SAFETY: `buf` is a writable page.
    unsafe { std::ptr::copy_nonoverlapping(dio.as_ptr(), buf.ptr, PAGE) };
    ensure_eq!(pwrite(direct, buf.ptr, PAGE, 5 * PAGE as i64), Ok(PAGE));
    close(direct);
    want[5 * PAGE..].copy_from_slice(&dio);

    let (blocks, used) = (fblocks(fd), m.stats()?.get("blocks_used"));
    ensure!(blocks >= 6 * 8, "{blocks} blocks for 6 pages");
    // SAFETY: Plain syscall on our fd.
    let r = unsafe { libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_DONTNEED) };
    ensure_eq!(r, 0);
    std::fs::write("/proc/sys/vm/drop_caches", "3").map_err(|e| e.to_string())?;
    ensure!(
        read_at(fd, 0, 6 * PAGE)? == want,
        "data lost to a cache drop"
    );
    ensure_eq!(fblocks(fd), blocks);
    ensure_eq!(m.stats()?.get("blocks_used"), used);
    close(fd);
    Ok(())
}

/// File leases (`fcntl(F_SETLEASE)`), as tmpfs has them: on 7.3 a
/// filesystem offers them only through `setlease` in its file operations
/// (`kernel_setlease()` returns EINVAL without one; 6.12 fell back to
/// `generic_setlease()`).  fstests' generic/571 requires them.
fn leases() -> TestResult {
    let m = Mount::new("")?;
    let fd = mkfile(&m, "f", b"data")?;
    close(fd);
    let fcntl = |fd: i32, cmd: i32, arg: i32| {
        // SAFETY: fcntl with an integer argument, on a descriptor of ours.
        unsafe { libc::fcntl(fd, cmd, arg) }
    };
    let modes = [
        (libc::O_RDONLY, libc::F_RDLCK),
        (libc::O_WRONLY, libc::F_WRLCK),
    ];
    for (flags, lease) in modes {
        let fd = open(&m.path("f"), flags, 0).map_err(|e| format!("open: {e}"))?;
        let r = fcntl(fd, libc::F_SETLEASE, lease);
        ensure!(r == 0, "F_SETLEASE {lease}: {r}, errno {}", last_errno());
        ensure_eq!(fcntl(fd, libc::F_GETLEASE, 0), lease);
        ensure_eq!(fcntl(fd, libc::F_SETLEASE, libc::F_UNLCK), 0);
        ensure_eq!(fcntl(fd, libc::F_GETLEASE, 0), libc::F_UNLCK);
        close(fd);
    }
    Ok(())
}

// fcntl(2) delegations (uapi/linux/fcntl.h, 7.3; not in the libc crate).
const F_GETDELEG: i32 = 1024 + 15;
const F_SETDELEG: i32 = 1024 + 16;

#[repr(C)]
struct Delegation {
    d_flags: u32,
    d_type: u16,
    pad: u16,
}

/// Directory delegations (`F_SETDELEG` on a directory, 7.3), as tmpfs
/// has them: a read delegation is granted, reported, and broken when
/// another process creates an entry (the holder gets SIGIO, gives it up,
/// and the create completes).  fstests' generic/786 and 787 need them.
/// On a kernel without them, rramfs refuses as tmpfs does.
fn directory_delegations() -> TestResult {
    let deleg = |fd: i32, cmd: i32, d_type: i32| -> Result<i32, i32> {
        let mut d = Delegation {
            d_flags: 0,
            d_type: d_type as u16,
            pad: 0,
        };
        // SAFETY: fcntl with a pointer to a `struct delegation` of ours.
        let r = unsafe { libc::fcntl(fd, cmd, &mut d as *mut Delegation) };
        if r < 0 {
            Err(last_errno())
        } else {
            Ok(i32::from(d.d_type))
        }
    };
    // SIGIO stays pending for sigtimedwait below (each test is a process
    // of its own, single-threaded).
    // SAFETY: Plain signal-mask calls on a local set.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGIO);
        libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    };
    let granted = std::cell::RefCell::new(Vec::new());
    on_tmpfs_then_rramfs(0o755, |m| {
        let dir = m.path("d");
        std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
        let fd =
            open(&dir, libc::O_RDONLY | libc::O_DIRECTORY, 0).map_err(|e| format!("open: {e}"))?;
        let set_r = deleg(fd, F_SETDELEG, libc::F_RDLCK);
        granted.borrow_mut().push(set_r);
        if set_r.is_err() {
            close(fd);
            return Ok(());
        }
        ensure_eq!(deleg(fd, F_GETDELEG, 0), Ok(libc::F_RDLCK));
        // Another process creates an entry: it waits for the break.
        let path = CString::new(dir.join("new").to_str().unwrap()).unwrap();
        // SAFETY: Plain fork; the child only creates the file and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: A valid path; leaves the child.
            unsafe {
                let r = libc::open(path.as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o644);
                libc::_exit(if r >= 0 { 0 } else { 1 });
            }
        }
        let wait = libc::timespec {
            tv_sec: 60,
            tv_nsec: 0,
        };
        // SAFETY: Waits for the pending SIGIO; no siginfo wanted.
        let sig = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &wait) };
        ensure_eq!(deleg(fd, F_SETDELEG, libc::F_UNLCK), Ok(libc::F_UNLCK));
        let mut st = 0;
        // SAFETY: Our child.
        unsafe { libc::waitpid(pid, &mut st, 0) };
        ensure!(sig == libc::SIGIO, "no SIGIO for the break ({sig})");
        ensure!(
            libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0,
            "create under a delegation failed ({st:#x})"
        );
        ensure!(dir.join("new").exists(), "the new entry is missing");
        ensure_eq!(deleg(fd, F_GETDELEG, 0), Ok(libc::F_UNLCK));
        close(fd);
        Ok(())
    })?;
    let granted = granted.into_inner();
    ensure_eq!(granted[1], granted[0], "rramfs and tmpfs differ");
    if kernel_at_least(7, 3) {
        ensure_eq!(granted[0], Ok(libc::F_RDLCK), "tmpfs");
    }
    Ok(())
}
