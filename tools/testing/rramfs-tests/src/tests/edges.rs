//! Offsets are hostile: every offset-taking operation at 0, s_maxbytes - 1,
//! s_maxbytes and beyond gives an errno or a success — never a kernel BUG
//! (a Rust overflow panic) — and the file stays usable afterwards: it
//! truncates, its blocks are returned, it reads back what is written.
//!
//! s_maxbytes is 2^63 - 1, so the last page of the largest file ends at
//! 2^63, which no `loff_t` holds: exactly where a byte-position loop
//! overflows.  The VFS refuses a read or write whose `pos + count` passes
//! 2^63 - 1 (EINVAL, `rw_verify_area()`) and an fallocate whose end does
//! (EFBIG), but an fallocate ending exactly at s_maxbytes reaches the
//! filesystem with its last folio ending at 2^63.

use crate::harness::TestResult;
use crate::util::*;
use crate::{ensure, ensure_eq};

crate::tests![
    fallocate_every_mode_at_maxbytes,
    fallocate_respects_rlimit_fsize,
    buffered_io_at_maxbytes,
    direct_io_at_maxbytes,
    seek_and_truncate_at_maxbytes,
    copy_and_splice_at_maxbytes,
    mmap_near_the_top,
];

/// First byte of the last page below s_maxbytes.
const LAST_PAGE: i64 = MAXBYTES - (PAGE as i64 - 1);

fn file(m: &Mount, name: &str, extra: i32) -> Result<i32, String> {
    open(&m.path(name), libc::O_RDWR | libc::O_CREAT | extra, 0o644)
        .map_err(|e| format!("open {name}: errno {e}"))
}

/// The file on `fd` still works after an edge operation: it truncates to
/// nothing, gives its blocks back (to the inode, and to the mount, where
/// `others` pages stay with other files), and holds new data.
fn usable_with(m: &Mount, fd: i32, others: u64, what: &str) -> TestResult {
    ensure_eq!(ftruncate(fd, 0), Ok(()), "{what}: truncate");
    ensure_eq!(fblocks(fd), 0, "{what}: st_blocks after truncate");
    ensure_eq!(
        m.stats()?.get("blocks_used"),
        others,
        "{what}: mount blocks"
    );
    ensure_eq!(pwrite(fd, b"fine".as_ptr(), 4, 0), Ok(4), "{what}");
    ensure_eq!(read_at(fd, 0, 16)?, b"fine", "{what}");
    ensure_eq!(ftruncate(fd, 0), Ok(()), "{what}");
    Ok(())
}

/// [`usable_with`] when the file is the only one holding pages.
fn usable(m: &Mount, fd: i32, what: &str) -> TestResult {
    usable_with(m, fd, 0, what)
}

fn fallocate_every_mode_at_maxbytes() -> TestResult {
    let m = Mount::new("size=16m")?;
    let keep = libc::FALLOC_FL_KEEP_SIZE;
    let punch = libc::FALLOC_FL_PUNCH_HOLE | keep;
    let zero = libc::FALLOC_FL_ZERO_RANGE;
    // (mode, size afterwards, pages allocated)
    let modes = [
        (0, MAXBYTES, 1),
        (keep, 0, 1),
        (zero, MAXBYTES, 1),
        (zero | keep, 0, 1),
        (punch, 0, 0),
    ];
    for (i, &(mode, size, pages)) in modes.iter().enumerate() {
        let fd = file(&m, &format!("f{i}"), 0)?;
        // Ends exactly at s_maxbytes: the last folio ends at 2^63.
        ensure_eq!(
            fallocate(fd, mode, LAST_PAGE, PAGE as i64 - 1),
            Ok(()),
            "mode {mode:#x} up to s_maxbytes"
        );
        ensure_eq!(fsize(fd), size, "mode {mode:#x}");
        ensure_eq!(fblocks(fd), pages * 8, "mode {mode:#x}: st_blocks");
        ensure!(
            read_at(fd, LAST_PAGE, PAGE - 1)?.iter().all(|&b| b == 0),
            "mode {mode:#x}: the last page is not zeros"
        );
        // One byte past s_maxbytes, and a sum that overflows.
        for (off, len) in [
            (LAST_PAGE, PAGE as i64),
            (MAXBYTES, 1),
            (MAXBYTES, MAXBYTES),
        ] {
            ensure_eq!(
                fallocate(fd, mode, off, len),
                Err(libc::EFBIG),
                "mode {mode:#x} at {off:#x}+{len:#x}"
            );
        }
        ensure_eq!(fallocate(fd, mode, -1, 1), Err(libc::EINVAL));
        ensure_eq!(fallocate(fd, mode, 0, 0), Err(libc::EINVAL));
        // Last byte alone; a range crossing a large-folio boundary near
        // the top.
        ensure_eq!(
            fallocate(fd, mode, MAXBYTES - 1, 1),
            Ok(()),
            "mode {mode:#x}"
        );
        ensure_eq!(
            fallocate(fd, mode, MAXBYTES - (3 << 20), 3 << 20),
            Ok(()),
            "mode {mode:#x}: the last 3 MiB"
        );
        usable(&m, fd, &format!("after fallocate mode {mode:#x}"))?;
        close(fd);
    }
    Ok(())
}

fn fallocate_respects_rlimit_fsize() -> TestResult {
    let m = Mount::new("size=16m")?;
    let fd = file(&m, "f", 0)?;
    let ok = with_fsize_limit(1 << 20, || {
        fallocate(fd, 0, 0, 2 << 20) == Err(libc::EFBIG)
            && fallocate(fd, libc::FALLOC_FL_KEEP_SIZE, 0, 2 << 20) == Err(libc::EFBIG)
            && fallocate(fd, libc::FALLOC_FL_ZERO_RANGE, 0, 2 << 20) == Err(libc::EFBIG)
            && fallocate(fd, 0, 0, 1 << 20) == Ok(())
    });
    ensure!(
        ok,
        "fallocate past RLIMIT_FSIZE was not EFBIG (or within it failed)"
    );
    ensure_eq!(fsize(fd), 1 << 20);
    ensure_eq!(
        fblocks(fd),
        (1 << 20) / 512,
        "only the allowed MiB is allocated"
    );
    usable(&m, fd, "after RLIMIT_FSIZE")?;
    close(fd);
    Ok(())
}

fn buffered_io_at_maxbytes() -> TestResult {
    let m = Mount::new("size=16m")?;
    let fd = file(&m, "f", 0)?;
    ensure_eq!(ftruncate(fd, MAXBYTES), Ok(()));
    ensure_eq!(fsize(fd), MAXBYTES);
    ensure_eq!(fblocks(fd), 0, "truncating up allocated");
    // The last byte; past it, EOF; a range past 2^63 - 1 is the VFS's EINVAL.
    let mut buf = vec![1u8; PAGE];
    ensure_eq!(pread(fd, &mut buf[..1], MAXBYTES - 1), Ok(1));
    ensure_eq!(buf[0], 0);
    ensure_eq!(pread(fd, &mut buf[..0], MAXBYTES), Ok(0));
    ensure_eq!(pread(fd, &mut buf[..1], MAXBYTES), Err(libc::EINVAL));
    ensure_eq!(pread(fd, &mut buf, MAXBYTES - 1), Err(libc::EINVAL));
    ensure_eq!(pread(fd, &mut buf, -1), Err(libc::EINVAL));
    // Writes up to s_maxbytes; a byte at it passes 2^63 - 1 (EINVAL).
    ensure_eq!(pwrite(fd, b"abcd".as_ptr(), 4, MAXBYTES - 4), Ok(4));
    ensure_eq!(pwrite(fd, b"w".as_ptr(), 1, MAXBYTES - 1), Ok(1));
    ensure_eq!(pwrite(fd, b"w".as_ptr(), 1, MAXBYTES), Err(libc::EINVAL));
    ensure_eq!(
        pwrite(fd, b"wxyz".as_ptr(), 4, MAXBYTES - 1),
        Err(libc::EINVAL)
    );
    ensure_eq!(read_at(fd, MAXBYTES - 4, 4)?, b"abcw");
    // A large write that ends at s_maxbytes (large folios up to the top).
    let len = (2 << 20) - 1;
    let data = pattern(41, 0, len);
    let at = MAXBYTES - len as i64;
    ensure_eq!(pwrite(fd, data.as_ptr(), len, at), Ok(len));
    ensure!(
        read_at(fd, at, len)? == data,
        "data in the last 2 MiB wrong"
    );
    ensure_eq!(fsize(fd), MAXBYTES);
    usable(&m, fd, "after buffered I/O at s_maxbytes")?;
    close(fd);
    Ok(())
}

fn direct_io_at_maxbytes() -> TestResult {
    let m = Mount::new("size=16m")?;
    let fd = file(&m, "f", libc::O_DIRECT)?;
    let buf = anon(2 * PAGE)?;
    let data = pattern(42, 0, 2 * PAGE);
    // SAFETY: Writable mapping of 2 pages.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf.ptr, 2 * PAGE) };
    ensure_eq!(ftruncate(fd, MAXBYTES), Ok(()));
    // SAFETY: The buffer holds 2 pages.
    let dread = |off: i64, len: usize| check(unsafe { libc::pread(fd, buf.ptr.cast(), len, off) });
    // Aligned I/O that ends at the last aligned offset below s_maxbytes
    // (any aligned range further passes 2^63 - 1: the VFS's EINVAL).
    let top = MAXBYTES - 1023; // 2^63 - 1024
    ensure_eq!(pwrite(fd, buf.ptr, 512, top), Ok(512));
    ensure_eq!(pwrite(fd, buf.ptr, 1024, top), Err(libc::EINVAL));
    ensure_eq!(
        pwrite(fd, buf.ptr, 2 * PAGE, LAST_PAGE - 2 * PAGE as i64),
        Ok(2 * PAGE)
    );
    ensure_eq!(
        dread(LAST_PAGE - 2 * PAGE as i64, 2 * PAGE),
        Ok(2 * PAGE as isize)
    );
    ensure_eq!(dread(top, 512), Ok(512));
    ensure_eq!(dread(top, 1024), Err(libc::EINVAL));
    ensure_eq!(
        pwrite(fd, buf.ptr, 512, top + 1),
        Err(libc::EINVAL),
        "misaligned"
    );
    // Checked through a buffered descriptor (the vectors are not aligned).
    let bfd = file(&m, "f", 0)?;
    let got = read_at(bfd, LAST_PAGE - 2 * PAGE as i64, 2 * PAGE)?;
    ensure!(got == data, "DIO data near the top wrong");
    ensure!(
        read_at(bfd, top, 512)? == data[..512],
        "DIO data at the top wrong"
    );
    ensure_eq!(fsize(fd), MAXBYTES);
    close(fd);
    usable(&m, bfd, "after O_DIRECT at s_maxbytes")?;
    close(bfd);
    Ok(())
}

fn seek_and_truncate_at_maxbytes() -> TestResult {
    let m = Mount::new("size=16m")?;
    let fd = file(&m, "f", 0)?;
    ensure_eq!(ftruncate(fd, -1), Err(libc::EINVAL));
    ensure_eq!(ftruncate(fd, MAXBYTES), Ok(()));
    ensure_eq!(pwrite(fd, b"z".as_ptr(), 1, MAXBYTES - 1), Ok(1));
    ensure_eq!(lseek(fd, MAXBYTES, libc::SEEK_SET), Ok(MAXBYTES));
    ensure_eq!(lseek(fd, 1, libc::SEEK_END), Err(libc::EINVAL));
    ensure_eq!(lseek(fd, 0, libc::SEEK_END), Ok(MAXBYTES));
    ensure_eq!(lseek(fd, 0, libc::SEEK_HOLE), Ok(0));
    ensure_eq!(
        lseek(fd, 0, libc::SEEK_DATA),
        Ok(LAST_PAGE),
        "data in the last page"
    );
    ensure_eq!(lseek(fd, MAXBYTES - 1, libc::SEEK_DATA), Ok(MAXBYTES - 1));
    ensure_eq!(
        lseek(fd, LAST_PAGE, libc::SEEK_HOLE),
        Ok(MAXBYTES),
        "EOF is the hole"
    );
    ensure_eq!(lseek(fd, MAXBYTES, libc::SEEK_DATA), Err(libc::ENXIO));
    ensure_eq!(lseek(fd, MAXBYTES, libc::SEEK_HOLE), Err(libc::ENXIO));
    // Truncate down into the last page, then away.
    ensure_eq!(ftruncate(fd, MAXBYTES - 1), Ok(()));
    ensure_eq!(fblocks(fd), 8);
    usable(&m, fd, "after seek/truncate at s_maxbytes")?;
    close(fd);
    Ok(())
}

fn copy_and_splice_at_maxbytes() -> TestResult {
    let m = Mount::new("size=16m")?;
    let src = file(&m, "src", 0)?;
    let dst = file(&m, "dst", 0)?;
    let data = pattern(43, 0, PAGE);
    ensure_eq!(pwrite(src, data.as_ptr(), PAGE, 0), Ok(PAGE));
    // copy_file_range up to s_maxbytes, then one byte short of it.
    let cfr = |off_out: i64, len: usize| {
        let (mut i, mut o) = (0i64, off_out);
        // SAFETY: Valid fds and offsets.
        check(unsafe { libc::copy_file_range(src, &mut i, dst, &mut o, len, 0) })
    };
    ensure_eq!(cfr(MAXBYTES - PAGE as i64, PAGE), Ok(PAGE as isize));
    ensure_eq!(read_at(dst, MAXBYTES - PAGE as i64, PAGE)?, data);
    // Across it: trimmed to the last byte (generic_copy_file_checks()).
    ensure_eq!(cfr(MAXBYTES - 1, PAGE), Ok(1));
    ensure_eq!(read_at(dst, MAXBYTES - 1, 1)?, &data[..1]);
    // splice into the file across s_maxbytes, and out of its last byte.
    let mut p = [0i32; 2];
    // SAFETY: Valid array.
    ensure_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
    // SAFETY: Valid fds and buffer.
    let n = unsafe { libc::write(p[1], data.as_ptr().cast(), PAGE) };
    ensure_eq!(n, PAGE as isize);
    let mut off = MAXBYTES - 1;
    // SAFETY: Valid fds and offset.
    let r = check(unsafe { libc::splice(p[0], std::ptr::null_mut(), dst, &mut off, PAGE, 0) });
    ensure_eq!(
        r,
        Err(libc::EINVAL),
        "splice into the file across s_maxbytes"
    );
    let mut off = MAXBYTES - 1;
    // SAFETY: Valid fds and offset.
    let r = check(unsafe { libc::splice(dst, &mut off, p[1], std::ptr::null_mut(), 1, 0) });
    ensure_eq!(r, Ok(1), "splice out of the last byte");
    close(p[0]);
    close(p[1]);
    usable_with(&m, dst, 1, "after copy/splice at s_maxbytes")?;
    close(dst);
    close(src);
    Ok(())
}

/// The highest page mmap(2) allows (`file_mmap_ok()` keeps the mapping's
/// end within s_maxbytes, so the very last page cannot be mapped).
fn mmap_near_the_top() -> TestResult {
    let m = Mount::new("size=16m")?;
    let fd = file(&m, "f", 0)?;
    ensure_eq!(ftruncate(fd, MAXBYTES), Ok(()));
    let at = LAST_PAGE - PAGE as i64;
    let map = Map::new(
        PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        fd,
        at,
    )?;
    // SAFETY: Inside the mapping; the page is below EOF.
    unsafe {
        ensure_eq!(*map.ptr, 0);
        *map.ptr.add(7) = b'q';
    }
    ensure_eq!(read_at(fd, at + 7, 1)?, b"q");
    ensure_eq!(fblocks(fd), 8, "the fault charged one page");
    drop(map);
    usable(&m, fd, "after mmap of the last page")?;
    close(fd);
    Ok(())
}
