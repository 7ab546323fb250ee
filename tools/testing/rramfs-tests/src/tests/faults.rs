//! Fault injection into rramfs's error paths (the debug kernel flavor has
//! FAILSLAB, FAIL_PAGE_ALLOC and FAULT_INJECTION_USERCOPY): allocations
//! and user copies are made to fail for the test's own task only
//! (`task-filter`, `/proc/self/make-it-fail`), the first N times.  Each
//! call must fail with the right errno or return a correct short count;
//! nothing already written is lost; the size, `st_blocks`, the mount's
//! charge and inode space return to consistent values.  The VM run adds
//! FOLL_PIN balance and kmemleak.
//!
//! Besides the first-N failures, `each_failure` fails a call's injection
//! points one at a time (`/proc/thread-self/fail-nth`, as syzkaller does):
//! the n-th allocation or user copy of the call fails, for every n, so
//! every error path the call can take is taken once.
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
    namespace_ops_each_failure => 900,
    mmap_faults_each_failure => 900,
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
        let buf = anon(LEN)?;
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
        let rbuf = anon(LEN)?;
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

/// Makes allocations that may sleep injection points too (failslab and
/// fail_page_alloc skip them by default), order-0 pages included, with
/// the failures' log off and no random failure armed.
fn count_every_allocation() {
    for k in ["failslab", "fail_page_alloc", "fail_usercopy"] {
        knob(k, "probability", "0");
        knob(k, "verbose", "0");
        if k != "fail_usercopy" {
            knob(k, "ignore-gfp-wait", "N");
        }
    }
    knob("fail_page_alloc", "ignore-gfp-highmem", "N");
    knob("fail_page_alloc", "min-order", "0");
}

/// The calling task's `fail-nth` file, opened before anything is armed.
struct FailNth(std::fs::File);

impl FailNth {
    fn open() -> Result<FailNth, String> {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/proc/thread-self/fail-nth")
            .map(FailNth)
            .map_err(|e| format!("fail-nth: {e}"))
    }

    /// From now on, this task's `n`-th injection point fails.
    fn arm(&self, n: u32) {
        use std::os::unix::fs::FileExt;
        self.0
            .write_at(n.to_string().as_bytes(), 0)
            .expect("arming fail-nth");
    }

    /// Whether the armed failure was never reached; disarms it.  (The read
    /// is an injection point itself: when it is the one that fails, the
    /// call had not reached it either.)
    fn unreached(&self) -> bool {
        use std::os::unix::fs::FileExt;
        let mut b = [0u8; 16];
        let left = match self.0.read_at(&mut b, 0) {
            Ok(n) => String::from_utf8_lossy(&b[..n]).trim() != "0",
            Err(_) => true,
        };
        let _ = self.0.write_at(b"0", 0);
        left
    }
}

/// Runs `op` in a thread of its own whose n-th injection point fails, for
/// n = 1, 2, ... until a run reaches no failure; `judge(n, result)` checks
/// each run's outcome and the state it left (and undoes the call).
/// Returns how many points the call has.
fn each_failure<R: Send>(
    what: &str,
    op: impl Fn() -> R + Sync,
    mut judge: impl FnMut(R) -> TestResult,
) -> Result<u32, String> {
    count_every_allocation();
    for n in 1..=1000u32 {
        let (r, unreached) = std::thread::scope(|s| {
            s.spawn(|| {
                let f = FailNth::open()?;
                f.arm(n);
                let r = op();
                Ok::<_, String>((r, f.unreached()))
            })
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
        })?;
        judge(r).map_err(|e| format!("{what}, injection point {n} failed: {e}"))?;
        if unreached {
            return Ok(n - 1);
        }
    }
    Err(format!("{what}: more than 1000 injection points"))
}

/// The result of a libc call that returns -1 and sets errno.
fn errno_result(r: i32) -> Result<(), i32> {
    if r < 0 {
        Err(last_errno())
    } else {
        Ok(())
    }
}

/// Every namespace operation that allocates — create, mkdir, symlink,
/// mknod, link, O_TMPFILE, rename with a whiteout, setxattr — with each of
/// its allocations and user copies failing in turn: it fails with ENOMEM
/// (EFAULT for a copy) and leaves no name, inode or inode space behind,
/// or it succeeds whole.
fn namespace_ops_each_failure() -> TestResult {
    type Op = fn(&[CString]) -> Result<(), i32>;
    let m = Mount::new("nr_inodes=64")?;
    std::fs::write(m.path("a"), b"A").map_err(|e| e.to_string())?;
    let c = |n: &str| CString::new(m.path(n).to_str().unwrap()).unwrap();
    let (a, b, root) = (c("a"), c("b"), c(""));
    let st = |p: &CString| {
        // SAFETY: A valid path and a buffer for the result.
        let mut sb: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: As above.
        errno_result(unsafe { libc::lstat(p.as_ptr(), &mut sb) }).map(|()| sb)
    };
    // Each: what it does, the operation on [a, b, root], the inodes it
    // adds, and how to undo it.
    let ops: [(&str, Op, u64, Op); 8] = [
        (
            "create",
            |p| {
                // SAFETY: A valid path.
                let fd = unsafe {
                    libc::open(
                        p[1].as_ptr(),
                        libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY,
                        0o644,
                    )
                };
                errno_result(fd).map(|()| close(fd))
            },
            1,
            // SAFETY: A valid path.
            |p| errno_result(unsafe { libc::unlink(p[1].as_ptr()) }),
        ),
        (
            "mkdir",
            // SAFETY: A valid path.
            |p| errno_result(unsafe { libc::mkdir(p[1].as_ptr(), 0o755) }),
            1,
            // SAFETY: A valid path.
            |p| errno_result(unsafe { libc::rmdir(p[1].as_ptr()) }),
        ),
        (
            "symlink",
            |p| {
                let target = CString::new("t".repeat(200)).unwrap();
                // SAFETY: Valid strings.
                errno_result(unsafe { libc::symlink(target.as_ptr(), p[1].as_ptr()) })
            },
            1,
            // SAFETY: A valid path.
            |p| errno_result(unsafe { libc::unlink(p[1].as_ptr()) }),
        ),
        (
            "mknod",
            // SAFETY: A valid path.
            |p| errno_result(unsafe { libc::mknod(p[1].as_ptr(), libc::S_IFIFO | 0o644, 0) }),
            1,
            // SAFETY: A valid path.
            |p| errno_result(unsafe { libc::unlink(p[1].as_ptr()) }),
        ),
        (
            "link",
            // SAFETY: Valid paths.
            |p| errno_result(unsafe { libc::link(p[0].as_ptr(), p[1].as_ptr()) }),
            0,
            // SAFETY: A valid path.
            |p| errno_result(unsafe { libc::unlink(p[1].as_ptr()) }),
        ),
        (
            "O_TMPFILE",
            |p| {
                // SAFETY: A valid path.
                let fd =
                    unsafe { libc::open(p[2].as_ptr(), libc::O_TMPFILE | libc::O_RDWR, 0o600) };
                errno_result(fd).map(|()| close(fd))
            },
            0,
            |_| Ok(()),
        ),
        (
            "rename with a whiteout",
            |p| {
                // SAFETY: Valid paths.
                errno_result(unsafe {
                    libc::renameat2(
                        libc::AT_FDCWD,
                        p[0].as_ptr(),
                        libc::AT_FDCWD,
                        p[1].as_ptr(),
                        libc::RENAME_WHITEOUT,
                    )
                })
            },
            1,
            |p| {
                // SAFETY: Valid paths: drop the whiteout, move `b` back.
                errno_result(unsafe { libc::unlink(p[0].as_ptr()) })?;
                // SAFETY: As above.
                errno_result(unsafe { libc::rename(p[1].as_ptr(), p[0].as_ptr()) })
            },
        ),
        (
            "setxattr",
            |p| {
                let (name, val) = (CString::new("security.x").unwrap(), [7u8; 1000]);
                // SAFETY: Valid strings and buffer.
                errno_result(unsafe {
                    libc::setxattr(
                        p[0].as_ptr(),
                        name.as_ptr(),
                        val.as_ptr().cast(),
                        val.len(),
                        0,
                    )
                })
            },
            0,
            |p| {
                let name = CString::new("security.x").unwrap();
                // SAFETY: Valid strings.
                errno_result(unsafe { libc::removexattr(p[0].as_ptr(), name.as_ptr()) })
            },
        ),
    ];
    let names = [a.clone(), b.clone(), root.clone()];
    for (what, op, adds, undo) in ops {
        let before = m.stats()?;
        let (inodes, ispace) = (before.get("inodes_used"), before.get("ispace_used"));
        let mut failed = 0;
        let points = each_failure(
            what,
            || op(&names),
            |r| {
                let now = m.stats()?;
                match r {
                    Ok(()) => {
                        ensure_eq!(
                            now.get("inodes_used"),
                            inodes + adds,
                            "inodes after success"
                        );
                        undo(&names).map_err(|e| format!("undoing it: errno {e}"))?;
                    }
                    // EFAULT when the failing point is a copy of the
                    // path or the value from user memory.
                    Err(libc::ENOMEM) | Err(libc::EFAULT) => failed += 1,
                    Err(e) => return Err(format!("errno {e}, not ENOMEM or EFAULT")),
                }
                let now = m.stats()?;
                ensure_eq!(now.get("inodes_used"), inodes, "inodes");
                ensure_eq!(now.get("ispace_used"), ispace, "inode space");
                ensure!(st(&a).is_ok(), "a is gone");
                ensure_eq!(
                    st(&a).unwrap().st_mode & libc::S_IFMT,
                    libc::S_IFREG,
                    "a is not the file"
                );
                ensure_eq!(st(&b).err(), Some(libc::ENOENT), "b left behind");
                Ok(())
            },
        )?;
        ensure!(
            failed > 0,
            "{what}: none of its {points} injection points made it fail"
        );
    }
    ensure_eq!(std::fs::read(m.path("a")).map_err(|e| e.to_string())?, b"A");
    Ok(())
}

/// Page faults on holes of an rramfs mapping with each of their
/// allocations failing in turn: a fault of the task's own access retries
/// (VM_FAULT_OOM is not SIGBUS) and the store lands; a buffered or
/// O_DIRECT write whose source is such a mapping fails (EFAULT, ENOMEM) or
/// is short, and writes exactly a prefix.  The charge always equals the
/// blocks of both files.
fn mmap_faults_each_failure() -> TestResult {
    const LEN: usize = 64 << 10;
    let m = Mount::new("size=16m")?;
    let open_rw = |n: &str| {
        open(&m.path(n), libc::O_RDWR | libc::O_CREAT, 0o644).map_err(|e| format!("open {n}: {e}"))
    };
    let (src, dst) = (open_rw("src")?, open_rw("dst")?);
    let charged = |what: &str| -> TestResult {
        ensure_eq!(
            m.stats()?.get("blocks_used") as i64,
            (fblocks(src) + fblocks(dst)) / 8,
            "{what}: charge"
        );
        Ok(())
    };
    // A store of the task's own into a hole, in a child (a SIGBUS must not
    // kill the test); truncation makes the page a hole again each time.
    let hole = |what: &str| -> TestResult {
        ftruncate(src, 0)
            .and_then(|()| ftruncate(src, 1 << 20))
            .map_err(|e| format!("{what}: truncate: errno {e}"))
    };
    hole("first")?;
    let map = Map::new(
        1 << 20,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        src,
        0,
    )?;
    count_every_allocation();
    let mut n = 1u32;
    loop {
        ensure!(n <= 256, "a page fault with more than 255 injection points");
        let p = map.ptr as usize + 5 * PAGE;
        // SAFETY: Fork; the child stores one byte and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let code = match FailNth::open() {
                Ok(f) => {
                    f.arm(n);
                    // SAFETY: Inside our shared writable mapping.
                    unsafe { std::ptr::write_volatile(p as *mut u8, 0x5A) };
                    if f.unreached() {
                        10
                    } else {
                        0
                    }
                }
                Err(_) => 2,
            };
            // SAFETY: Leave the child.
            unsafe { libc::_exit(code) };
        }
        let mut st = 0;
        // SAFETY: Our child.
        unsafe { libc::waitpid(pid, &mut st, 0) };
        ensure!(
            libc::WIFEXITED(st) && matches!(libc::WEXITSTATUS(st), 0 | 10),
            "store with injection point {n} failing: status {st:#x} (SIGBUS is {})",
            libc::SIGBUS
        );
        ensure_eq!(
            read_at(src, (5 * PAGE) as i64, 1)?,
            [0x5A],
            "the store, point {n}"
        );
        charged(&format!("store, point {n}"))?;
        hole("after a store")?;
        if libc::WEXITSTATUS(st) == 10 {
            break;
        }
        n += 1;
    }
    drop(map);
    // Writes from a mapping of holes in `src` into `dst`, which holds 0xAA.
    let old = vec![0xAAu8; LEN];
    ensure_eq!(pwrite(dst, old.as_ptr(), LEN, 0), Ok(LEN));
    hole("before the writes")?;
    let map = Map::new(LEN, libc::PROT_READ, libc::MAP_SHARED, src, 0)?;
    for direct in [false, true] {
        let fd = if direct {
            open(&m.path("dst"), libc::O_RDWR | libc::O_DIRECT, 0)
                .map_err(|e| format!("open: {e}"))?
        } else {
            dst
        };
        let what = if direct {
            "O_DIRECT write"
        } else {
            "buffered write"
        };
        let src_ptr = map.ptr as usize;
        let mut short = 0;
        each_failure(
            what,
            || pwrite(fd, src_ptr as *const u8, LEN, 0),
            |r| {
                let n = match r {
                    Ok(n) => n,
                    Err(libc::EFAULT) | Err(libc::ENOMEM) => 0,
                    Err(e) => return Err(format!("errno {e}")),
                };
                short += (n < LEN) as u32;
                let got = read_at(dst, 0, LEN + 1)?;
                ensure_eq!(got.len(), LEN, "size");
                ensure!(
                    got[..n].iter().all(|&b| b == 0) && got[n..] == old[n..],
                    "not exactly a prefix of {n} bytes written"
                );
                charged(what)?;
                ensure_eq!(pwrite(dst, old.as_ptr(), LEN, 0), Ok(LEN));
                // The next run faults the source's holes afresh.
                hole(what)
            },
        )?;
        ensure!(
            short > 0,
            "{what}: no injected failure made it fail or short"
        );
        if direct {
            close(fd);
        }
    }
    drop(map);
    close(src);
    close(dst);
    Ok(())
}
