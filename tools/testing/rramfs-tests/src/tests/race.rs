//! Concurrency on the same file, bounded and repeated: O_DIRECT against
//! truncation, hole punching, page faults and MADV_DONTNEED; ABBA across
//! two files with transfers longer than a DIO batch; many appenders; a
//! fatal signal in the middle of a long buffered or O_DIRECT write; umount
//! and rmmod under load.  Each checks the data (and the accounting), not only that nothing
//! hangs; the VM run adds the kernel log, FOLL_PIN balance and unload.

use crate::harness::TestResult;
use crate::util::*;
use crate::{ensure, ensure_eq};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

crate::tests![
    dio_against_truncate_punch_and_faults => 900,
    abba_longer_than_a_batch => 900,
    appenders_buffered_and_direct => 900,
    fatal_signal_mid_buffered_write => 600,
    fatal_signal_mid_dio_write => 600,
    umount_and_rmmod_under_load => 600,
];

fn filled(len: usize, seed: u64) -> Result<(Map, Vec<u8>), String> {
    let m = anon(len)?;
    let d = pattern(seed, 0, len);
    // SAFETY: Writable mapping of `len` bytes.
    unsafe { std::ptr::copy_nonoverlapping(d.as_ptr(), m.ptr, len) };
    Ok((m, d))
}

/// DIO writes of a fixed pattern race truncation up and down, page-aligned
/// hole punches and page faults with MADV_DONTNEED on a mapping of the
/// same range.  Every byte of the range must always be the pattern or zero
/// (never another file's or freed memory), the region the others leave
/// alone must be exactly the pattern, and the accounting must match at the
/// end.
fn dio_against_truncate_punch_and_faults() -> TestResult {
    const LEN: usize = 1 << 20;
    let m = Mount::new("size=64m")?;
    let path = m.path("f");
    let fd = open(&path, libc::O_RDWR | libc::O_CREAT | libc::O_DIRECT, 0o644)
        .map_err(|e| format!("open: {e}"))?;
    let (src, data) = filled(2 * LEN, 60)?;
    ensure_eq!(pwrite(fd, src.ptr, 2 * LEN, 0), Ok(2 * LEN));
    let stop = Arc::new(AtomicBool::new(false));
    let mut others = Vec::new();
    // Truncates within the second MiB, and punches there.
    {
        let (stop, path) = (stop.clone(), path.clone());
        others.push(std::thread::spawn(move || -> Result<u64, String> {
            let t = open(&path, libc::O_RDWR, 0).map_err(|e| e.to_string())?;
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let at = LEN as i64 + ((n * 7) % 256) as i64 * PAGE as i64;
                if n.is_multiple_of(2) {
                    ftruncate(t, at).map_err(|e| format!("truncate: {e}"))?;
                    ftruncate(t, 2 * LEN as i64).map_err(|e| format!("truncate: {e}"))?;
                } else {
                    let mode = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
                    fallocate(t, mode, at, 8 * PAGE as i64).map_err(|e| format!("punch: {e}"))?;
                }
                n += 1;
            }
            close(t);
            Ok(n)
        }));
    }
    // Faults the whole range through a mapping, dropping it now and then.
    {
        let (stop, path) = (stop.clone(), path.clone());
        others.push(std::thread::spawn(move || -> Result<u64, String> {
            let t = open(&path, libc::O_RDWR, 0).map_err(|e| e.to_string())?;
            let map = Map::new(LEN, libc::PROT_READ, libc::MAP_SHARED, t, 0)?;
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // SAFETY: Advising our own mapping.
                unsafe { libc::madvise(map.ptr.cast(), LEN, libc::MADV_DONTNEED) };
                let sum: u64 = map.slice().iter().step_by(PAGE).map(|&b| b as u64).sum();
                std::hint::black_box(sum);
                n += 1;
            }
            close(t);
            Ok(n)
        }));
    }
    let bfd = open(&path, libc::O_RDONLY, 0).map_err(|e| e.to_string())?;
    for round in 0..20 {
        // The whole 2 MiB, then the first MiB alone.
        ensure_eq!(
            pwrite(fd, src.ptr, 2 * LEN, 0),
            Ok(2 * LEN),
            "round {round}"
        );
        // (A truncation may shorten the read: whole pages only.)
        let got = read_at(bfd, 0, 2 * LEN)?;
        ensure!(got.len() >= LEN, "round {round}: read {} bytes", got.len());
        ensure!(
            got[..LEN] == data[..LEN],
            "round {round}: the untouched MiB changed"
        );
        // A punch or truncation inside a large folio zeroes it in place,
        // and a read copies without a lock (as on tmpfs): a page read
        // during it can be part data, part zeros.  Anything else is not.
        let want = &data[LEN..LEN + got.len().saturating_sub(LEN)];
        if let Some(at) = got[LEN..]
            .iter()
            .zip(want)
            .position(|(&g, &w)| g != w && g != 0)
        {
            return Err(format!(
                "round {round}: byte {} of page {} is {:#04x}: neither the data ({:#04x}) nor zero",
                at % PAGE,
                256 + at / PAGE,
                got[LEN + at],
                want[at]
            ));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in others {
        let n = t.join().map_err(|_| "a racing thread panicked")??;
        ensure!(n > 0, "a racing thread never ran");
    }
    // Quiet now: everything is exactly as last written, and charged right.
    ensure_eq!(pwrite(fd, src.ptr, 2 * LEN, 0), Ok(2 * LEN));
    ensure!(read_at(bfd, 0, 2 * LEN)? == data, "data after the race");
    ensure_eq!(m.stats()?.get("blocks_used") as i64, fblocks(bfd) / 8);
    ensure_eq!(fblocks(bfd) / 8, 512);
    close(bfd);
    close(fd);
    Ok(())
}

/// Two processes, each writing file A from an mmap of B (and B from A) with
/// O_DIRECT, 640 KiB per write (three batches, all under the destination's
/// `i_rwsem`), page tables zapped so that every pin faults on the other
/// file.
fn abba_longer_than_a_batch() -> TestResult {
    abba_pair(160, 30)
}

/// The ABBA pair: two processes write `pages` pages with O_DIRECT, one into
/// A from an mmap of B, the other into B from an mmap of A, `rounds` times
/// at shifting page offsets, page tables zapped so that every pin faults.
/// No deadlock (the harness's timeout), every write whole.  Data only
/// moves, by whole pages, but a page can be read while the other process
/// rewrites it, so the check is per 8-byte word: page `j` starts filled
/// with one word naming `j`, and every word of both files must still name
/// a page.
pub(super) fn abba_pair(pages: usize, rounds: usize) -> TestResult {
    let len = pages * PAGE;
    let m = Mount::new("")?;
    let word = |j: u64| j | (!j << 32);
    let src = anon(len)?;
    for j in 0..pages as u64 {
        for k in 0..PAGE / 8 {
            // SAFETY: Inside the writable mapping, 8-byte aligned.
            unsafe { *(src.ptr.add(j as usize * PAGE + k * 8) as *mut u64) = word(j) };
        }
    }
    for n in ["a", "b"] {
        let fd = open(
            &m.path(n),
            libc::O_RDWR | libc::O_CREAT | libc::O_DIRECT,
            0o644,
        )
        .map_err(|e| e.to_string())?;
        ensure_eq!(pwrite(fd, src.ptr, len, 0), Ok(len));
        close(fd);
    }
    let mut kids = Vec::new();
    for (dst, from) in [("a", "b"), ("b", "a")] {
        let (d, f) = (m.path(dst), m.path(from));
        // SAFETY: Fork; the child loops and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let run = || -> Result<(), String> {
                let dfd = open(&d, libc::O_RDWR | libc::O_DIRECT, 0).map_err(|e| e.to_string())?;
                let sfd = open(&f, libc::O_RDWR, 0).map_err(|e| e.to_string())?;
                let map = Map::new(len, libc::PROT_READ, libc::MAP_SHARED, sfd, 0)?;
                for i in 0..rounds {
                    // SAFETY: Advising our mapping.
                    unsafe { libc::madvise(map.ptr.cast(), len, libc::MADV_DONTNEED) };
                    let n = pwrite(dfd, map.ptr, len, ((i % 3) * PAGE) as i64)
                        .map_err(|e| format!("errno {e}"))?;
                    if n != len {
                        return Err(format!("short write {n}"));
                    }
                }
                Ok(())
            };
            // SAFETY: Leave the child.
            unsafe { libc::_exit(if run().is_ok() { 0 } else { 1 }) };
        }
        kids.push(pid);
    }
    for pid in kids {
        let mut st = 0;
        // SAFETY: Our children.  The harness's timeout catches a deadlock.
        unsafe { libc::waitpid(pid, &mut st, 0) };
        ensure_eq!(st, 0, "a writer failed");
    }
    for n in ["a", "b"] {
        let got = std::fs::read(m.path(n)).map_err(|e| e.to_string())?;
        ensure!(
            got.len() >= len && got.len() <= len + 2 * PAGE,
            "{n}: size {}",
            got.len()
        );
        for (i, w) in got.chunks_exact(8).enumerate() {
            let w = u64::from_le_bytes(w.try_into().unwrap());
            let j = w & 0xffff_ffff;
            ensure!(
                j < pages as u64 && w == word(j),
                "{n}: word {i} ({w:#x}) names no page"
            );
        }
    }
    Ok(())
}

/// Two buffered and two O_DIRECT writers append 4 KiB records with
/// O_APPEND: the file ends exactly at the sum, every record is whole, and
/// each writer's records are in its order.
fn appenders_buffered_and_direct() -> TestResult {
    const RECS: u64 = 64;
    let m = Mount::new("size=64m")?;
    let path = m.path("log");
    std::fs::write(&path, b"").map_err(|e| e.to_string())?;
    let record = |w: u64, seq: u64| {
        let mut r = pattern(w * 1000 + seq + 1, 0, PAGE);
        r[..16].copy_from_slice(&[w.to_le_bytes(), seq.to_le_bytes()].concat());
        r
    };
    // Writers 0 and 1 buffered, 2 and 3 O_DIRECT.
    let direct = |w: u64| if w >= 2 { libc::O_DIRECT } else { 0 };
    let got = concurrent_appends(&path, 4, RECS, direct, record)?;
    ensure_eq!(
        got.len(),
        4 * RECS as usize * PAGE,
        "appends lost or doubled"
    );
    let mut next = [0u64; 4];
    for (i, r) in got.chunks(PAGE).enumerate() {
        let w = u64::from_le_bytes(r[..8].try_into().unwrap());
        ensure!(w < 4, "record {i}: writer {w}");
        let seq = next[w as usize];
        ensure!(
            r == &record(w, seq)[..],
            "record {i} is not writer {w}'s record {seq} whole"
        );
        next[w as usize] += 1;
    }
    ensure_eq!(next, [RECS; 4]);
    Ok(())
}

/// A process killed (SIGKILL) in the middle of a long buffered write.
fn fatal_signal_mid_buffered_write() -> TestResult {
    killed_mid_write(false)
}

/// A process killed (SIGKILL) in the middle of a long O_DIRECT write.
fn fatal_signal_mid_dio_write() -> TestResult {
    killed_mid_write(true)
}

/// A child writes 64 MiB in one call; once the file has grown past 8 MiB
/// (so the write is under way, with most of it to go), it gets SIGKILL.
/// The call must stop there — a write checks for a fatal signal between
/// chunks (buffered) and batches (O_DIRECT) — and end cleanly: the file
/// holds a prefix of the data, its blocks match its size, and it stays
/// usable.  A write that ignores the signal runs to its end, which fails
/// the test when it happens in every attempt.  The VM run checks that
/// every pinned page was unpinned.
fn killed_mid_write(direct: bool) -> TestResult {
    const LEN: usize = 64 << 20;
    const UNDER_WAY: i64 = 8 << 20;
    let m = Mount::new("size=128m")?;
    let path = m.path("f");
    let (src, data) = filled(LEN, 62)?;
    // Attempts that stopped early with no slow-path fault-in: stopped by
    // the loop's own check between chunks (or between DIO batches).
    let mut stopped_by_check = 0;
    for attempt in 0..3u32 {
        std::fs::write(&path, b"").map_err(|e| e.to_string())?;
        let before = m.stats()?;
        let fd = open(&path, libc::O_RDWR, 0).map_err(|e| e.to_string())?;
        // SAFETY: Fork; the child writes and exits (or is killed).
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // Make the buffer the child's own (break COW): a FOLL_PIN of
            // a page shared with the parent leaves GUP's fast path, whose
            // slow path stops at a fatal signal by itself — and would hide
            // a DIO loop that does not.
            for off in (0..LEN).step_by(PAGE) {
                // SAFETY: Inside our writable buffer of `LEN` bytes.
                unsafe {
                    let p = src.ptr.add(off);
                    std::ptr::write_volatile(p, std::ptr::read_volatile(p));
                }
            }
            // And keep it resident: no page may be reclaimed, migrated or
            // collapsed into a huge page under the write, which would send
            // the buffered copy to its slow path (which checks for the
            // signal by itself) and hide a loop without its own check.
            // SAFETY: Our buffer of `LEN` bytes.
            unsafe { libc::mlock(src.ptr.cast(), LEN) };
            let flags = libc::O_WRONLY | if direct { libc::O_DIRECT } else { 0 };
            let wfd = open(&path, flags, 0).unwrap_or(-1);
            // SAFETY: Our buffer of `LEN` bytes.
            let r = unsafe { libc::write(wfd, src.ptr.cast(), LEN) };
            // SAFETY: Leave the child; 3 says the write failed at once.
            unsafe { libc::_exit(if r <= 0 { 3 } else { 0 }) };
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
        let mut st = 0;
        let exited = loop {
            if fsize(fd) >= UNDER_WAY {
                break false;
            }
            // SAFETY: Our child.
            if unsafe { libc::waitpid(pid, &mut st, libc::WNOHANG) } == pid {
                break true;
            }
            if std::time::Instant::now() > deadline {
                // SAFETY: Our child.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                return Err(format!("attempt {attempt}: the write never reached 8 MiB"));
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        };
        if !exited {
            // SAFETY: Our child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            // SAFETY: Our child.
            unsafe { libc::waitpid(pid, &mut st, 0) };
        }
        ensure!(
            !exited || (libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0),
            "attempt {attempt}: the writer failed on its own (status {st:#x})"
        );
        let size = fsize(fd) as usize;
        ensure!(size <= LEN, "attempt {attempt}: size {size}");
        ensure!(
            read_at(fd, 0, LEN + 1)? == data[..size],
            "attempt {attempt}: not a prefix of the data"
        );
        ensure_eq!(m.stats()?.get("blocks_used") as i64, fblocks(fd) / 8);
        let slow = m.stats()?.delta(&before, "slowpath_faultins");
        stopped_by_check += (size < LEN && slow == 0) as u32;
        ensure_eq!(ftruncate(fd, 0), Ok(()));
        ensure_eq!(
            m.stats()?.get("blocks_used"),
            0,
            "blocks left after truncation"
        );
        close(fd);
    }
    ensure!(
        stopped_by_check > 0,
        "SIGKILLed with 56 of 64 MiB to go, the write ran to its end (or stopped only on the slow path) in every attempt"
    );
    Ok(())
}

/// umount and rmmod while a process writes: both refuse (EBUSY, the module
/// in use), nothing is lost; once the writer is gone, umount works.
fn umount_and_rmmod_under_load() -> TestResult {
    let dir = format!("/tmp/rramfs-busy.{}", std::process::id());
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let (rc, out) = sh(&format!("mount -t rramfs -o size=32m none {dir}"));
    ensure!(rc == 0, "mount: {out}");
    let file = format!("{dir}/f");
    // SAFETY: Fork; the child writes until killed.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let fd = open(
            std::path::Path::new(&file),
            libc::O_RDWR | libc::O_CREAT,
            0o644,
        )
        .unwrap_or(-1);
        let data = pattern(63, 0, 1 << 20);
        loop {
            let _ = pwrite(fd, data.as_ptr(), data.len(), 0);
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let c = std::ffi::CString::new(dir.clone()).unwrap();
    // SAFETY: A valid path.
    let r = unsafe { libc::umount2(c.as_ptr(), 0) };
    let e = last_errno();
    let name = std::ffi::CString::new("rramfs").unwrap();
    // SAFETY: delete_module(2) with O_NONBLOCK: must refuse, the module is used.
    let rm = unsafe { libc::syscall(libc::SYS_delete_module, name.as_ptr(), libc::O_NONBLOCK) };
    let rme = last_errno();
    // SAFETY: Our child.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let mut st = 0;
    // SAFETY: Our child.
    unsafe { libc::waitpid(pid, &mut st, 0) };
    ensure!(
        r != 0 && e == libc::EBUSY,
        "umount under load: {r}, errno {e}"
    );
    ensure!(
        rm != 0 && (rme == libc::EWOULDBLOCK || rme == libc::EBUSY),
        "rmmod: {rm}, errno {rme}"
    );
    let got = std::fs::read(&file).map_err(|e| e.to_string())?;
    ensure!(got == pattern(63, 0, 1 << 20), "data written under load");
    // SAFETY: A valid path.
    let r = unsafe { libc::umount2(c.as_ptr(), 0) };
    ensure_eq!(r, 0, "umount after the writer");
    let _ = std::fs::remove_dir(&dir);
    Ok(())
}
