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

fn fsync_and_fdatasync() -> TestResult {
    let m = Mount::new("")?;
    let fd = mkfile(&m, "f", b"abc")?;
    // SAFETY: Plain syscalls.
    unsafe {
        ensure_eq!(libc::fsync(fd), 0);
        ensure_eq!(libc::fdatasync(fd), 0);
        ensure_eq!(libc::syncfs(fd), 0);
    }
    let dfd = open(m.root(), libc::O_RDONLY | libc::O_DIRECTORY, 0).map_err(|e| e.to_string())?;
    // SAFETY: Plain syscall.
    ensure_eq!(unsafe { libc::fsync(dfd) }, 0);
    // O_SYNC writes work.
    let sfd = open(
        &m.path("s"),
        libc::O_RDWR | libc::O_CREAT | libc::O_SYNC,
        0o644,
    )
    .map_err(|e| e.to_string())?;
    ensure_eq!(pwrite(sfd, b"xyz".as_ptr(), 3, 0), Ok(3));
    close(sfd);
    close(dfd);
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

fn lseek(fd: i32, off: i64, whence: i32) -> Result<i64, i32> {
    // SAFETY: Plain syscall.
    let r = unsafe { libc::lseek(fd, off, whence) };
    if r < 0 {
        Err(last_errno())
    } else {
        Ok(r)
    }
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

fn fallocate(fd: i32, mode: i32, off: i64, len: i64) -> Result<(), i32> {
    // SAFETY: Plain syscall.
    if unsafe { libc::fallocate(fd, mode, off, len) } == 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

fn fallocate_modes() -> TestResult {
    let m = Mount::new("size=16m")?;
    let fd = mkfile(&m, "f", &[])?;
    // Default mode: allocates, extends the size, reads zeros, charges.
    fallocate(fd, 0, 0, 1 << 20).map_err(|e| format!("fallocate: {e}"))?;
    ensure_eq!(std::fs::metadata(m.path("f")).unwrap().len(), 1 << 20);
    ensure!(
        m.stats()?.get("blocks_used") >= 256,
        "fallocate did not charge"
    );
    ensure!(
        read_at(fd, 0, 1 << 20)?.iter().all(|&b| b == 0),
        "fallocated range not zero"
    );
    // KEEP_SIZE: allocates past EOF without changing the size.
    fallocate(fd, libc::FALLOC_FL_KEEP_SIZE, 1 << 20, 1 << 20)
        .map_err(|e| format!("keep_size: {e}"))?;
    ensure_eq!(std::fs::metadata(m.path("f")).unwrap().len(), 1 << 20);
    ensure!(
        std::fs::metadata(m.path("f")).unwrap().blocks() >= 4096,
        "st_blocks does not count preallocation"
    );
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
