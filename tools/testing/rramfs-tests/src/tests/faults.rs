//! Fault injection into rramfs's error paths (the debug kernel flavor has
//! FAILSLAB, FAIL_PAGE_ALLOC and FAULT_INJECTION_USERCOPY): allocations
//! and user copies are made to fail for the test's own task only
//! (`task-filter`, `/proc/self/make-it-fail`), the first N times.  Each
//! call must fail with the right errno or return a correct short count;
//! nothing already written is lost; the size, `st_blocks`, the mount's
//! charge and inode space return to consistent values.  The VM run adds
//! FOLL_PIN balance and kmemleak.
//!
//! These tests are listed only when `RRAMFS_FLAVOR=debug` (make check's
//! debug run): the default kernel has no fault injection.

use crate::harness::TestResult;
use crate::util::*;
use crate::{ensure, ensure_eq};
use std::ffi::CString;

crate::tests![
    buffered_write_alloc_failures => 900,
    buffered_write_usercopy_failures => 600,
    dio_failures_mid_batch => 900,
    fallocate_alloc_failures => 600,
    xattr_set_alloc_failures => 600,
    mount_alloc_failures => 600,
];

fn knob(kind: &str, name: &str, v: &str) {
    let p = format!("/sys/kernel/debug/{kind}/{name}");
    std::fs::write(&p, v).unwrap_or_else(|e| panic!("{p}: {e}"));
}

/// Runs `f` in a thread of its own that is the only task `kinds` fail in:
/// the first `times` attempts fail once `skip` units (pages for page
/// allocations, bytes for slab) have passed (the `space` knob).  This
/// thread arms and disarms the points without being marked itself, so its
/// own writes to the knobs cannot be failed.
fn injected<R: Send>(kinds: &[&str], skip: u32, times: u32, f: impl FnOnce() -> R + Send) -> R {
    for &k in kinds {
        // Only marked tasks first, and the probability last: until then a
        // half-armed point would fail every task's allocations.
        knob(k, "task-filter", "Y");
        knob(k, "probability", "0");
        knob(k, "interval", "1");
        knob(k, "times", &times.to_string());
        knob(k, "space", &skip.to_string());
        knob(k, "verbose", "0");
        if k != "fail_usercopy" {
            knob(k, "ignore-gfp-wait", "N");
        }
        if k == "fail_page_alloc" {
            knob(k, "ignore-gfp-highmem", "N");
            knob(k, "min-order", "0");
        }
        knob(k, "probability", "100");
    }
    let r = std::thread::scope(|s| {
        s.spawn(|| {
            // Marks this thread only (and not before the write is done).
            std::fs::write("/proc/thread-self/make-it-fail", "1").expect("make-it-fail");
            f()
        })
        .join()
    });
    for &k in kinds {
        knob(k, "probability", "0");
    }
    r.unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// The mount's charge equals the file's blocks, and the file holds `data`
/// (its size is `data.len()`).
fn consistent(m: &Mount, fd: i32, data: &[u8], what: &str) -> TestResult {
    ensure_eq!(fsize(fd), data.len() as i64, "{what}: size");
    ensure!(
        read_at(fd, 0, data.len() + 1)? == data,
        "{what}: data lost or wrong"
    );
    ensure_eq!(
        m.stats()?.get("blocks_used") as i64,
        fblocks(fd) / 8,
        "{what}: charge"
    );
    Ok(())
}

/// Page-cache and slab allocations fail during buffered writes of new and
/// existing ranges: each write fails (ENOMEM) or is short, never wrong.
fn buffered_write_alloc_failures() -> TestResult {
    let m = Mount::new("size=64m")?;
    let fd = open(&m.path("f"), libc::O_RDWR | libc::O_CREAT, 0o644).map_err(|e| e.to_string())?;
    let mut model = pattern(70, 0, 1 << 20);
    ensure_eq!(pwrite(fd, model.as_ptr(), model.len(), 0), Ok(model.len()));
    let mut failures = 0;
    for (i, &(off, len)) in [
        (0usize, 65536usize),
        (1 << 20, 3 << 20),
        (5 << 20, 4096),
        (100, 10000),
    ]
    .iter()
    .enumerate()
    {
        for times in [1u32, 2, 5] {
            let data = pattern(71 + i as u64, off as u64, len);
            let r = injected(&["failslab", "fail_page_alloc"], 0, times, || {
                pwrite(fd, data.as_ptr(), len, off as i64)
            });
            let n = match r {
                Ok(n) => n,
                Err(libc::ENOMEM) => {
                    failures += 1;
                    0
                }
                Err(e) => return Err(format!("write at {off}: errno {e}")),
            };
            if n < len {
                failures += 1;
            }
            if n > 0 {
                if model.len() < off + n {
                    model.resize(off + n, 0);
                }
                model[off..off + n].copy_from_slice(&data[..n]);
            }
            consistent(
                &m,
                fd,
                &model,
                &format!("write {len} at {off}, {times} failures"),
            )?;
        }
    }
    ensure!(failures > 0, "no injected failure reached the write path");
    close(fd);
    Ok(())
}

/// User copies fail during buffered writes: each failed atomic copy sends
/// the write down the slow path (fault-in with no folio lock, then retry),
/// exactly once per failure, and the write then completes with all its
/// data — the livelock the fault-in exists to prevent does not happen.
fn buffered_write_usercopy_failures() -> TestResult {
    let m = Mount::new("size=64m")?;
    let fd = open(&m.path("f"), libc::O_RDWR | libc::O_CREAT, 0o644).map_err(|e| e.to_string())?;
    let mut model = Vec::new();
    for times in [1u32, 3, 10, 300] {
        let off = model.len();
        let data = pattern(72 + times as u64, off as u64, 256 << 10);
        let before = m.stats()?;
        let r = injected(&["fail_usercopy"], 0, times, || {
            pwrite(fd, data.as_ptr(), data.len(), off as i64)
        });
        ensure_eq!(r, Ok(data.len()), "{times} copy failures");
        let after = m.stats()?;
        ensure_eq!(
            after.delta(&before, "slowpath_faultins"),
            times as u64,
            "one slow-path fault-in per failed copy"
        );
        model.extend_from_slice(&data);
        consistent(&m, fd, &model, &format!("{times} copy failures"))?;
    }
    close(fd);
    Ok(())
}

/// O_DIRECT from a fresh anonymous buffer, whose pages the pin must fault
/// in (allocating): page allocations fail after some pages of the batch
/// are pinned.  The write is short or fails; its prefix is in the file;
/// the pins balance (checked by the VM run).  Reads likewise.
fn dio_failures_mid_batch() -> TestResult {
    const LEN: usize = 512 << 10;
    let m = Mount::new("size=64m")?;
    let path = m.path("f");
    let fd = open(&path, libc::O_RDWR | libc::O_CREAT | libc::O_DIRECT, 0o644)
        .map_err(|e| e.to_string())?;
    let bfd = open(&path, libc::O_RDONLY, 0).map_err(|e| e.to_string())?;
    let mut model: Vec<u8> = Vec::new();
    let mut short = 0;
    for (round, skip) in [3u32, 20, 70, 0].iter().enumerate() {
        // Untouched: every pinned page is faulted in (zeros) by the pin.
        let buf = Map::new(
            LEN,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )?;
        let off = model.len();
        let ptr = buf.ptr as usize;
        let r = injected(&["fail_page_alloc", "failslab"], *skip, 4, || {
            pwrite(fd, ptr as *const u8, LEN, off as i64)
        });
        let n = match r {
            Ok(n) => n,
            Err(libc::EFAULT) | Err(libc::ENOMEM) => 0,
            Err(e) => return Err(format!("round {round}: errno {e}")),
        };
        short += (n < LEN) as u32;
        model.resize(off + n, 0);
        consistent(&m, bfd, &model, &format!("DIO write, round {round}"))?;
        // A read into another fresh buffer, failing likewise.
        let rbuf = Map::new(
            LEN,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )?;
        let rptr = rbuf.ptr as usize;
        let r = injected(&["fail_page_alloc"], *skip, 4, || {
            // SAFETY: Our writable buffer of `LEN` bytes.
            check(unsafe { libc::pread(fd, rptr as *mut libc::c_void, LEN, 0) })
        });
        if let Ok(n) = r {
            ensure!(
                rbuf.slice()[..n as usize] == model[..n as usize],
                "round {round}: DIO read data"
            );
        }
    }
    ensure!(short > 0, "no injected failure shortened a DIO write");
    close(bfd);
    close(fd);
    Ok(())
}

/// fallocate with allocations failing: ENOMEM (or success), the size
/// unchanged on failure, no charge left for what the call dropped.
fn fallocate_alloc_failures() -> TestResult {
    let m = Mount::new("size=64m")?;
    let fd = open(&m.path("f"), libc::O_RDWR | libc::O_CREAT, 0o644).map_err(|e| e.to_string())?;
    let data = pattern(73, 0, 10000);
    ensure_eq!(pwrite(fd, data.as_ptr(), data.len(), 0), Ok(data.len()));
    let mut failed = 0;
    for times in [1u32, 4, 16] {
        for mode in [
            0,
            libc::FALLOC_FL_KEEP_SIZE,
            libc::FALLOC_FL_ZERO_RANGE | libc::FALLOC_FL_KEEP_SIZE,
        ] {
            let r = injected(&["failslab", "fail_page_alloc"], 0, times, || {
                fallocate(fd, mode, 1 << 20, 4 << 20)
            });
            match r {
                Ok(()) => {}
                Err(libc::ENOMEM) => failed += 1,
                Err(e) => return Err(format!("mode {mode:#x}: errno {e}")),
            }
            let size = fsize(fd);
            let want = if r.is_ok() && mode == 0 {
                5 << 20
            } else {
                size
            };
            ensure_eq!(size, want.max(10000));
            ensure!(read_at(fd, 0, 10000)? == data, "data before the range lost");
            ensure_eq!(
                m.stats()?.get("blocks_used") as i64,
                fblocks(fd) / 8,
                "charge"
            );
            ensure_eq!(ftruncate(fd, 10000), Ok(()));
        }
    }
    ensure!(failed > 0, "no injected failure reached fallocate");
    ensure_eq!(m.stats()?.get("blocks_used"), 3, "charge after truncation");
    close(fd);
    Ok(())
}

/// setxattr with slab allocations failing: ENOMEM, and the inode space is
/// exactly as before; then it works.
fn xattr_set_alloc_failures() -> TestResult {
    let m = Mount::new("nr_inodes=64")?;
    let f = m.path("f");
    std::fs::write(&f, b"").map_err(|e| e.to_string())?;
    let p = CString::new(f.to_str().unwrap()).unwrap();
    let mut failed = 0;
    for (i, times) in [1u32, 2, 3, 4].iter().enumerate() {
        let before = m.stats()?.get("ispace_used");
        let name = CString::new(format!("security.a{i}")).unwrap();
        let val = vec![1u8; 3000];
        let set = || {
            // SAFETY: Valid strings and buffer.
            let r = unsafe {
                libc::setxattr(p.as_ptr(), name.as_ptr(), val.as_ptr().cast(), val.len(), 0)
            };
            (r, last_errno())
        };
        let (r, errno) = injected(&["failslab"], 0, *times, set);
        let after = m.stats()?.get("ispace_used");
        if r == 0 {
            ensure_eq!(after, before + 40 + name.as_bytes().len() as u64 + 3000);
        } else {
            ensure_eq!(errno, libc::ENOMEM);
            ensure_eq!(after, before, "a failed set kept inode space");
            failed += 1;
            ensure_eq!(set().0, 0, "set after the failure");
        }
    }
    ensure!(failed > 0, "no injected failure reached setxattr");
    std::fs::remove_file(&f).map_err(|e| e.to_string())?;
    ensure_eq!(
        m.stats()?.get("ispace_used"),
        1024,
        "unlink returns the inode space"
    );
    Ok(())
}

/// mount(2) with slab allocations failing: ENOMEM (or success), no leak
/// (kmemleak in the VM run), and the next mount works.
fn mount_alloc_failures() -> TestResult {
    let mut failed = 0;
    for times in 1..=6u32 {
        let r = injected(&["failslab"], 0, times, || Mount::try_new("size=1m"));
        match r {
            Ok(m) => drop(m),
            Err(e) if e.raw_os_error() == Some(libc::ENOMEM) => failed += 1,
            Err(e) => return Err(format!("mount with {times} failures: {e}")),
        }
        let m = Mount::new("size=1m")?;
        std::fs::write(m.path("x"), b"ok").map_err(|e| e.to_string())?;
    }
    ensure!(failed > 0, "no injected failure reached the mount");
    Ok(())
}
