//! The buffered write path: data, the fast/slow path split (counters),
//! sources that fault, and write semantics (limits, O_APPEND, suid).

use crate::harness::TestResult;
use crate::util::*;
use crate::{ensure, ensure_eq};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

crate::tests![
    data_roundtrip,
    hole_reads_zero,
    resident_buffer_takes_fast_path,
    prefault_always_prefaults_every_chunk,
    same_file_same_folio_unfaulted,
    same_file_after_madv_dontneed,
    partly_unmapped_buffer_short_write,
    unmapped_buffer_efault,
    source_mapping_truncated_concurrently => 900,
    large_folios_used,
    enospc_keeps_data,
    append_writes_at_end,
    rlimit_fsize_efbig,
    write_clears_suid,
    write_updates_times,
];

fn new_file(m: &Mount, name: &str) -> Result<i32, String> {
    open(&m.path(name), libc::O_RDWR | libc::O_CREAT, 0o644).map_err(|e| format!("open: errno {e}"))
}

fn data_roundtrip() -> TestResult {
    let m = Mount::new("")?;
    let fd = new_file(&m, "f")?;
    // Odd sizes at odd offsets, across folio boundaries, then big chunks.
    let mut expect = vec![0u8; 3 << 20];
    let mut off = 0usize;
    for (i, len) in [1usize, 63, 4095, 4097, 65536 + 7, 1 << 20, 3]
        .iter()
        .enumerate()
    {
        let data = pattern(i as u64, off as u64, *len);
        ensure_eq!(pwrite(fd, data.as_ptr(), data.len(), off as i64), Ok(*len));
        expect[off..off + len].copy_from_slice(&data);
        off += len + 13;
    }
    let size = off - 13;
    ensure_eq!(std::fs::metadata(m.path("f")).unwrap().len() as usize, size);
    let got = read_at(fd, 0, size)?;
    ensure!(got == expect[..size], "data mismatch after writes");
    // Overwrite in the middle and read again.
    let data = pattern(99, 5000, 10000);
    ensure_eq!(pwrite(fd, data.as_ptr(), data.len(), 5000), Ok(10000));
    expect[5000..15000].copy_from_slice(&data);
    ensure!(
        read_at(fd, 0, size)? == expect[..size],
        "data mismatch after overwrite"
    );
    close(fd);
    Ok(())
}

fn hole_reads_zero() -> TestResult {
    let m = Mount::new("")?;
    let fd = new_file(&m, "f")?;
    let d = pattern(1, 0, 100);
    ensure_eq!(pwrite(fd, d.as_ptr(), 100, 1 << 20), Ok(100));
    let got = read_at(fd, 0, (1 << 20) + 100)?;
    ensure!(got[..1 << 20].iter().all(|&b| b == 0), "hole not zero");
    ensure!(got[1 << 20..] == d[..], "data after hole wrong");
    // A write into the middle of a new folio leaves zeros around it.
    ensure_eq!(pwrite(fd, d.as_ptr(), 10, 8192 + 100), Ok(10));
    let got = read_at(fd, 8192, 4096)?;
    ensure!(
        got[..100].iter().all(|&b| b == 0) && got[110..].iter().all(|&b| b == 0),
        "stale data around a small write"
    );
    close(fd);
    Ok(())
}

fn resident_buffer_takes_fast_path() -> TestResult {
    let m = Mount::new("")?;
    let fd = new_file(&m, "f")?;
    let buf = pattern(2, 0, 64 << 10); // resident: just written by us
    ensure_eq!(pwrite(fd, buf.as_ptr(), buf.len(), 0), Ok(buf.len()));
    let before = m.stats()?;
    for i in 0..200 {
        let len = [1, 64, 512, 4096][i % 4];
        ensure_eq!(pwrite(fd, buf.as_ptr(), len, (i * 64) as i64), Ok(len));
    }
    let after = m.stats()?;
    ensure_eq!(after.delta(&before, "write_calls"), 200);
    ensure_eq!(
        after.delta(&before, "slowpath_faultins"),
        0,
        "resident buffer faulted in"
    );
    ensure_eq!(after.delta(&before, "prefaults"), 0);
    ensure_eq!(after.delta(&before, "short_copies"), 0);
    ensure_eq!(
        after.delta(&before, "atomic_copies"),
        200,
        "one copy per small write"
    );
    close(fd);
    Ok(())
}

fn prefault_always_prefaults_every_chunk() -> TestResult {
    let m = Mount::new("prefault=always")?;
    let fd = new_file(&m, "f")?;
    let buf = pattern(3, 0, 4096);
    let before = m.stats()?;
    for i in 0..100 {
        ensure_eq!(pwrite(fd, buf.as_ptr(), 4096, i * 4096), Ok(4096));
    }
    let after = m.stats()?;
    ensure_eq!(
        after.delta(&before, "prefaults"),
        100,
        "one prefault per chunk"
    );
    ensure_eq!(after.delta(&before, "slowpath_faultins"), 0);
    // Switching back with remount takes effect.
    m.remount("prefault=slowpath").map_err(|e| e.to_string())?;
    let before = m.stats()?;
    ensure_eq!(pwrite(fd, buf.as_ptr(), 4096, 0), Ok(4096));
    ensure_eq!(m.stats()?.delta(&before, "prefaults"), 0);
    close(fd);
    Ok(())
}

/// Writes part of a folio from a mapping of that same folio.  `dontneed`
/// zaps the mapping's page tables first; otherwise the mapping was never
/// touched.  Either way the atomic copy fails, the slow path faults the
/// page in with the folio unlocked, and the retry succeeds.
fn write_from_same_folio(dontneed: bool) -> TestResult {
    let m = Mount::new("")?;
    let fd = new_file(&m, "f")?;
    let orig = pattern(4, 0, 4 * PAGE);
    ensure_eq!(pwrite(fd, orig.as_ptr(), orig.len(), 0), Ok(orig.len()));
    let map = Map::new(
        4 * PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        fd,
        0,
    )?;
    if dontneed {
        // Fault the page in, then drop the PTEs.
        let _ = map.slice()[0];
        // SAFETY: Advising our own mapping.
        let r = unsafe { libc::madvise(map.ptr.cast(), map.len, libc::MADV_DONTNEED) };
        ensure_eq!(r, 0);
    }
    let before = m.stats()?;
    // A page written onto itself.
    ensure_eq!(pwrite(fd, map.ptr, PAGE, 0), Ok(PAGE));
    // The first half of page 2 onto its second half (same folio).
    // SAFETY: Inside the mapping.
    let src = unsafe { map.ptr.add(2 * PAGE) };
    ensure_eq!(
        pwrite(fd, src, PAGE / 2, (2 * PAGE + PAGE / 2) as i64),
        Ok(PAGE / 2)
    );
    let after = m.stats()?;
    let got = read_at(fd, 0, 4 * PAGE)?;
    let mut expect = orig.clone();
    expect.copy_within(2 * PAGE..2 * PAGE + PAGE / 2, 2 * PAGE + PAGE / 2);
    ensure!(got == expect, "data wrong after self-sourced writes");
    ensure!(
        after.delta(&before, "slowpath_faultins") >= 1,
        "the unfaulted source never took the slow path"
    );
    ensure_eq!(after.delta(&before, "write_calls"), 2);
    close(fd);
    Ok(())
}

fn same_file_same_folio_unfaulted() -> TestResult {
    write_from_same_folio(false)
}

fn same_file_after_madv_dontneed() -> TestResult {
    write_from_same_folio(true)
}

fn partly_unmapped_buffer_short_write() -> TestResult {
    let m = Mount::new("")?;
    let fd = new_file(&m, "f")?;
    let map = anon(3 * PAGE)?;
    let data = pattern(5, 0, 3 * PAGE);
    // SAFETY: The mapping is writable and 3 pages long.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), map.ptr, 3 * PAGE) };
    // Punch a hole in the middle page: the write stops before it.
    // SAFETY: Unmapping a page of our own mapping (Map's drop later unmaps
    // the whole range, which is allowed with holes).
    ensure_eq!(unsafe { libc::munmap(map.ptr.add(PAGE).cast(), PAGE) }, 0);
    ensure_eq!(
        pwrite(fd, map.ptr, 3 * PAGE, 0),
        Ok(PAGE),
        "short write up to the hole"
    );
    ensure_eq!(std::fs::metadata(m.path("f")).unwrap().len(), PAGE as u64);
    ensure!(
        read_at(fd, 0, PAGE)? == data[..PAGE],
        "bytes before the hole wrong"
    );
    // Unaligned start: bytes up to the hole, exactly.
    // SAFETY: Inside the first (mapped) page.
    let start = unsafe { map.ptr.add(PAGE - 100) };
    ensure_eq!(pwrite(fd, start, 1000, 10000), Ok(100));
    close(fd);
    Ok(())
}

fn unmapped_buffer_efault() -> TestResult {
    let m = Mount::new("")?;
    let fd = new_file(&m, "f")?;
    let map = Map::new(
        PAGE,
        libc::PROT_READ,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
        0,
    )?;
    let p = map.ptr;
    drop(map);
    ensure_eq!(pwrite(fd, p, 100, 0), Err(libc::EFAULT));
    ensure_eq!(pwrite(fd, std::ptr::null(), 100, 0), Err(libc::EFAULT));
    // PROT_NONE is just as unreadable.
    let none = Map::new(
        PAGE,
        libc::PROT_NONE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
        0,
    )?;
    ensure_eq!(pwrite(fd, none.ptr, 100, 0), Err(libc::EFAULT));
    ensure_eq!(
        std::fs::metadata(m.path("f")).unwrap().len(),
        0,
        "a failed write changed the size"
    );
    let st = m.stats()?;
    ensure!(
        st.get("slowpath_faultins") >= 3,
        "EFAULT did not come from the slow path"
    );
    close(fd);
    Ok(())
}

fn source_mapping_truncated_concurrently() -> TestResult {
    let m = Mount::new("")?;
    let a = new_file(&m, "a")?;
    let b = new_file(&m, "b")?;
    const LEN: usize = 16 * PAGE;
    let data = pattern(6, 0, LEN);
    ensure_eq!(pwrite(b, data.as_ptr(), LEN, 0), Ok(LEN));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    // Truncates b to zero and refills it, over and over.
    let t = std::thread::spawn(move || {
        let mut n = 0u64;
        while !s2.load(std::sync::atomic::Ordering::Relaxed) {
            // SAFETY: Plain syscalls on our fd.
            unsafe { libc::ftruncate(b, 0) };
            let _ = pwrite(b, data.as_ptr(), LEN, 0);
            n += 1;
        }
        n
    });
    let map = Map::new(LEN, libc::PROT_READ, libc::MAP_SHARED, b, 0)?;
    let (mut full, mut short, mut efault) = (0, 0, 0);
    let expect = pattern(6, 0, LEN);
    for i in 0..300 {
        if i % 8 == 0 {
            // SAFETY: Advising our own mapping.
            unsafe { libc::madvise(map.ptr.cast(), LEN, libc::MADV_DONTNEED) };
        }
        // SAFETY: Plain syscall on our fd.
        unsafe { libc::ftruncate(a, 0) };
        let n = match pwrite(a, map.ptr, LEN, 0) {
            Ok(n) if n == LEN => {
                full += 1;
                n
            }
            Ok(n) => {
                short += 1;
                n
            }
            Err(libc::EFAULT) => {
                efault += 1;
                0
            }
            Err(e) => return Err(format!("unexpected errno {e}")),
        };
        // What was written came from the source at the same offsets: each
        // byte is the source's, or zero where a page was being refilled.
        ensure_eq!(std::fs::metadata(m.path("a")).unwrap().len(), n as u64);
        let got = read_at(a, 0, LEN)?;
        let bad = got
            .iter()
            .zip(&expect)
            .position(|(&g, &e)| g != e && g != 0);
        ensure!(
            bad.is_none(),
            "write {i}: byte {bad:?} is neither the source's nor zero"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let rounds = t.join().map_err(|_| "truncate thread panicked")?;
    ensure!(rounds > 0, "truncate thread never ran");
    ensure_eq!(full + short + efault, 300);
    // Quiet now: the same write copies the whole source exactly.
    // SAFETY: Advising our own mapping.
    unsafe { libc::madvise(map.ptr.cast(), LEN, libc::MADV_DONTNEED) };
    ensure_eq!(pwrite(a, map.ptr, LEN, 0), Ok(LEN));
    ensure!(
        read_at(a, 0, LEN)? == expect,
        "a quiet write from the mapping is wrong"
    );
    close(a);
    close(b);
    Ok(())
}

fn large_folios_used() -> TestResult {
    let m = Mount::new("")?;
    let fd = new_file(&m, "f")?;
    let buf = pattern(7, 0, 4 << 20);
    let before = m.stats()?;
    ensure_eq!(pwrite(fd, buf.as_ptr(), buf.len(), 0), Ok(buf.len()));
    let copies = m.stats()?.delta(&before, "atomic_copies");
    // 1024 pages; large folios take far fewer copies than one per page.
    ensure!(
        copies <= 256,
        "{copies} copies for 4 MiB: large folios not used"
    );
    ensure!(read_at(fd, 0, buf.len())? == buf, "data mismatch");
    close(fd);
    Ok(())
}

fn enospc_keeps_data() -> TestResult {
    let m = Mount::new("size=1m")?;
    let st = statfs(&m);
    ensure_eq!(st.f_blocks, 256);
    let fd = new_file(&m, "f")?;
    let buf = pattern(8, 0, 2 << 20);
    let n =
        pwrite(fd, buf.as_ptr(), buf.len(), 0).map_err(|e| format!("first write: errno {e}"))?;
    ensure!(
        n > 0 && n <= 1 << 20,
        "wrote {n} bytes into a 1 MiB filesystem"
    );
    ensure_eq!(
        pwrite(fd, buf[n..].as_ptr(), 4096, n as i64),
        Err(libc::ENOSPC)
    );
    ensure_eq!(std::fs::metadata(m.path("f")).unwrap().len(), n as u64);
    ensure!(read_at(fd, 0, n)? == buf[..n], "data before ENOSPC lost");
    ensure_eq!(statfs(&m).f_bfree, 0);
    // Freeing space makes room again, and the accounting returns to zero.
    // SAFETY: Plain syscall.
    ensure_eq!(unsafe { libc::ftruncate(fd, 0) }, 0);
    ensure_eq!(statfs(&m).f_bfree, 256);
    ensure_eq!(pwrite(fd, buf.as_ptr(), 4096, 0), Ok(4096));
    close(fd);
    Ok(())
}

fn append_writes_at_end() -> TestResult {
    let m = Mount::new("")?;
    let fd = open(
        &m.path("f"),
        libc::O_RDWR | libc::O_CREAT | libc::O_APPEND,
        0o644,
    )
    .map_err(|e| e.to_string())?;
    for i in 0..10u8 {
        // pwrite ignores the offset with O_APPEND on Linux.
        ensure_eq!(pwrite(fd, [i; 100].as_ptr(), 100, 0), Ok(100));
    }
    let got = read_at(fd, 0, 2000)?;
    ensure_eq!(got.len(), 1000);
    for i in 0..10 {
        ensure!(
            got[i * 100..(i + 1) * 100].iter().all(|&b| b == i as u8),
            "append order wrong"
        );
    }
    close(fd);
    Ok(())
}

fn rlimit_fsize_efbig() -> TestResult {
    let m = Mount::new("")?;
    let fd = new_file(&m, "f")?;
    let buf = [7u8; 20000];
    // A write crossing the limit is cut short; one at the limit gets EFBIG.
    let ok = with_fsize_limit(10000, || {
        pwrite(fd, buf.as_ptr(), 20000, 0) == Ok(10000)
            && pwrite(fd, buf.as_ptr(), 1, 10000) == Err(libc::EFBIG)
    });
    ensure!(ok, "RLIMIT_FSIZE not applied");
    ensure_eq!(std::fs::metadata(m.path("f")).unwrap().len(), 10000);
    close(fd);
    Ok(())
}

fn write_clears_suid() -> TestResult {
    let m = Mount::new("")?;
    let p = m.path("f");
    let set = |mode: u32| -> TestResult {
        std::fs::write(&p, b"x").map_err(|e| e.to_string())?;
        std::os::unix::fs::chown(&p, Some(1000), Some(1000)).map_err(|e| e.to_string())?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
            .map_err(|e| e.to_string())?;
        Ok(())
    };
    let write_as_owner = || {
        let p = p.clone();
        as_user(1000, 1000, move || {
            let fd = open(&p, libc::O_WRONLY, 0).map_err(|e| format!("open: {e}"))?;
            let r = pwrite(fd, b"y".as_ptr(), 1, 0);
            close(fd);
            r.map(|_| ()).map_err(|e| format!("write: errno {e}"))
        })
    };
    // suid + sgid + group-exec: the owner's write (no CAP_FSETID) clears both.
    set(0o6775)?;
    write_as_owner()?;
    ensure_eq!(std::fs::metadata(&p).unwrap().mode() & 0o7777, 0o0775);
    // sgid without group-exec (mandatory-locking marker) stays.
    set(0o2664)?;
    write_as_owner()?;
    ensure_eq!(std::fs::metadata(&p).unwrap().mode() & 0o7777, 0o2664);
    // root has CAP_FSETID: nothing is cleared.
    set(0o6775)?;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"z"))
        .map_err(|e| e.to_string())?;
    ensure_eq!(std::fs::metadata(&p).unwrap().mode() & 0o7777, 0o6775);
    Ok(())
}

fn write_updates_times() -> TestResult {
    let m = Mount::new("")?;
    let fd = new_file(&m, "f")?;
    let times = [libc::timespec {
        tv_sec: 1000,
        tv_nsec: 0,
    }; 2];
    // SAFETY: Valid fd and times array.
    ensure_eq!(unsafe { libc::futimens(fd, times.as_ptr()) }, 0);
    ensure_eq!(pwrite(fd, b"abc".as_ptr(), 3, 0), Ok(3));
    let md = std::fs::metadata(m.path("f")).unwrap();
    ensure!(md.mtime() > 1000, "mtime not updated by write");
    ensure!(md.ctime() > 1000, "ctime not updated by write");
    close(fd);
    Ok(())
}
