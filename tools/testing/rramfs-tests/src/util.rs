//! Helpers shared by the tests: private rramfs mounts, counters, errno,
//! data patterns, running as another user.

use std::collections::HashMap;
use std::ffi::CString;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A private rramfs instance mounted on a fresh directory; unmounted on drop.
pub struct Mount {
    dir: PathBuf,
}

static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl Mount {
    /// Mounts rramfs with `opts` (comma-separated, may be empty).
    pub fn new(opts: &str) -> Result<Mount, String> {
        Self::try_new(opts).map_err(|e| format!("mount -o '{opts}': {e}"))
    }

    /// As [`Mount::new`], returning the raw error for tests that expect one.
    pub fn try_new(opts: &str) -> io::Result<Mount> {
        Self::try_new_fs("rramfs", opts)
    }

    /// Mounts another filesystem type (tmpfs, ramfs) for comparisons.
    pub fn try_new_fs(fstype: &str, opts: &str) -> io::Result<Mount> {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = PathBuf::from(format!("/tmp/rramfs-t.{}.{}", std::process::id(), n));
        std::fs::create_dir_all(&dir)?;
        let c = |s: &str| CString::new(s).unwrap();
        let (src, ty, target, data) = (c(fstype), c(fstype), c(dir.to_str().unwrap()), c(opts));
        // SAFETY: All pointers are valid NUL-terminated strings.
        let r = unsafe {
            libc::mount(
                src.as_ptr(),
                target.as_ptr(),
                ty.as_ptr(),
                0,
                data.as_ptr().cast(),
            )
        };
        if r != 0 {
            let e = io::Error::last_os_error();
            let _ = std::fs::remove_dir(&dir);
            return Err(e);
        }
        Ok(Mount { dir })
    }

    /// The mount point.
    pub fn root(&self) -> &Path {
        &self.dir
    }

    /// A path inside the mount.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Remounts with `opts`.
    pub fn remount(&self, opts: &str) -> io::Result<()> {
        let target = CString::new(self.dir.to_str().unwrap()).unwrap();
        let data = CString::new(opts).unwrap();
        // SAFETY: Valid strings; MS_REMOUNT with a null source and type.
        let r = unsafe {
            libc::mount(
                std::ptr::null(),
                target.as_ptr(),
                std::ptr::null(),
                libc::MS_REMOUNT,
                data.as_ptr().cast(),
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// This superblock's counters, from debugfs.
    pub fn stats(&self) -> Result<Stats, String> {
        let dev = std::fs::metadata(&self.dir)
            .map_err(|e| e.to_string())?
            .dev();
        let (maj, min) = (libc::major(dev), libc::minor(dev));
        let p = format!("/sys/kernel/debug/rramfs/{maj}:{min}/stats");
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{p}: {e}"))?;
        let mut m = HashMap::new();
        for line in text.lines() {
            let mut it = line.split_whitespace();
            if let (Some(k), Some(v)) = (it.next(), it.next()) {
                let v = v.parse().map_err(|_| format!("{p}: bad line {line:?}"))?;
                m.insert(k.to_string(), v);
            }
        }
        Ok(Stats(m))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let target = CString::new(self.dir.to_str().unwrap()).unwrap();
        // SAFETY: Valid string.  Lazy detach if a child still uses it.
        unsafe {
            if libc::umount(target.as_ptr()) != 0 {
                libc::umount2(target.as_ptr(), libc::MNT_DETACH);
            }
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// A snapshot of a superblock's counters.
#[derive(Clone, Debug)]
pub struct Stats(HashMap<String, u64>);

impl Stats {
    /// One counter.  A counter the module does not show is a broken test
    /// (or module), never a zero: it panics, which fails the test.
    pub fn get(&self, k: &str) -> u64 {
        match self.0.get(k) {
            Some(v) => *v,
            None => panic!("no counter {k:?} in the stats file: {:?}", self.0.keys()),
        }
    }

    /// How much counter `k` grew since `before`.
    pub fn delta(&self, before: &Stats, k: &str) -> u64 {
        self.get(k) - before.get(k)
    }
}

/// The errno of a failed `io::Result`, or 0 if it succeeded.
pub fn errno_of<T>(r: &io::Result<T>) -> i32 {
    match r {
        Ok(_) => 0,
        Err(e) => e.raw_os_error().unwrap_or(-1),
    }
}

/// The last OS error as an errno.
pub fn last_errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Converts a `-1` libc return into `Err(errno)`.
pub fn check(r: isize) -> Result<isize, i32> {
    if r < 0 {
        Err(last_errno())
    } else {
        Ok(r)
    }
}

/// A deterministic, position-dependent byte pattern (so misplaced data is
/// detected, not just missing data); different seeds give different
/// patterns (the seed is mixed into the bits that become the byte).
pub fn pattern(seed: u64, off: u64, len: usize) -> Vec<u8> {
    let salt = seed.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    (0..len as u64)
        .map(|i| {
            let x = (off + i).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
            (x >> 29) as u8
        })
        .collect()
}

/// Opens `p` with raw flags and mode; returns the fd or errno.
pub fn open(p: &Path, flags: i32, mode: u32) -> Result<i32, i32> {
    let c = CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: Valid NUL-terminated path.
    let fd = unsafe { libc::open(c.as_ptr(), flags, mode) };
    if fd < 0 {
        Err(last_errno())
    } else {
        Ok(fd)
    }
}

/// pwrite(2) returning bytes or errno.
pub fn pwrite(fd: i32, buf: *const u8, len: usize, off: i64) -> Result<usize, i32> {
    // SAFETY: The caller passes a buffer pointer; bad ones are the point of
    // some tests, and the kernel reports them as EFAULT.
    check(unsafe { libc::pwrite(fd, buf.cast(), len, off) }).map(|n| n as usize)
}

/// pread(2) returning bytes or errno.
pub fn pread(fd: i32, buf: &mut [u8], off: i64) -> Result<usize, i32> {
    // SAFETY: `buf` is valid for `buf.len()` bytes.
    check(unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), off) }).map(|n| n as usize)
}

/// Reads `len` bytes at `off` of `fd`.
pub fn read_at(fd: i32, off: i64, len: usize) -> Result<Vec<u8>, String> {
    let mut v = vec![0u8; len];
    let n = pread(fd, &mut v, off).map_err(|e| format!("pread: errno {e}"))?;
    v.truncate(n);
    Ok(v)
}

/// Closes an fd.
pub fn close(fd: i32) {
    // SAFETY: Closing an fd we own.
    unsafe { libc::close(fd) };
}

/// A memory mapping, unmapped on drop.
pub struct Map {
    pub ptr: *mut u8,
    pub len: usize,
}

impl Map {
    /// mmap(2) of `fd` (or anonymous if `fd < 0`).
    pub fn new(len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> Result<Map, String> {
        // SAFETY: A new mapping chosen by the kernel.
        let p = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, flags, fd, off) };
        if p == libc::MAP_FAILED {
            return Err(format!("mmap: errno {}", last_errno()));
        }
        Ok(Map { ptr: p.cast(), len })
    }

    /// The mapping as a slice (the caller knows it is readable).
    pub fn slice(&self) -> &[u8] {
        // SAFETY: The mapping is `len` bytes and lives as long as `self`.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: Unmapping our own mapping.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

/// A private anonymous read-write mapping: page-aligned, so O_DIRECT can
/// use it as a buffer.
pub fn anon(len: usize) -> Result<Map, String> {
    Map::new(
        len,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
        0,
    )
}

/// Concurrent O_APPEND writers: writer `w` (of `writers`) opens `path`
/// with `O_WRONLY | O_APPEND | flags(w)` and appends `record(w, seq)` for
/// `seq` in `0..records`, each from a page-aligned buffer in one write(2)
/// that must write it whole.  The records are made and copied into place
/// first and the writers start together, so that they spend their time
/// in write(2), where a race between them would be.  Returns the file's
/// contents afterwards.
pub fn concurrent_appends(
    path: &Path,
    writers: u64,
    records: u64,
    flags: impl Fn(u64) -> i32 + Sync,
    record: impl Fn(u64, u64) -> Vec<u8> + Sync,
) -> Result<Vec<u8>, String> {
    let start = std::sync::Barrier::new(writers as usize);
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..writers)
            .map(|w| {
                let (flags, record, start) = (&flags, &record, &start);
                s.spawn(move || -> Result<(), String> {
                    let bufs = (0..records)
                        .map(|seq| {
                            let r = record(w, seq);
                            let b = anon(r.len())?;
                            // SAFETY: `b` is a writable mapping of `r.len()` bytes.
                            unsafe { std::ptr::copy_nonoverlapping(r.as_ptr(), b.ptr, r.len()) };
                            Ok(b)
                        })
                        .collect::<Result<Vec<Map>, String>>();
                    let fd = open(path, libc::O_WRONLY | libc::O_APPEND | flags(w), 0);
                    start.wait();
                    let (bufs, fd) = (
                        bufs?,
                        fd.map_err(|e| format!("writer {w}: open: errno {e}"))?,
                    );
                    let res = bufs.iter().enumerate().try_for_each(|(seq, b)| {
                        // SAFETY: Plain syscall on our buffer.
                        let n = unsafe { libc::write(fd, b.ptr.cast(), b.len) };
                        crate::ensure_eq!(n, b.len as isize, "writer {w} record {seq}");
                        Ok(())
                    });
                    close(fd);
                    res
                })
            })
            .collect();
        threads
            .into_iter()
            .try_for_each(|t| t.join().map_err(|_| "writer panicked".to_string())?)
    })?;
    std::fs::read(path).map_err(|e| e.to_string())
}

/// Runs `f` in a child process as `uid`/`gid` without capabilities;
/// returns its `Result`.
pub fn as_user(uid: u32, gid: u32, f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    // SAFETY: Plain fork; the child only runs `f` and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: Dropping privileges in the child.
        let ok = unsafe {
            libc::setgroups(0, std::ptr::null()) == 0
                && libc::setresgid(gid, gid, gid) == 0
                && libc::setresuid(uid, uid, uid) == 0
        };
        let code = if !ok {
            eprintln!("as_user: could not switch to {uid}:{gid}");
            2
        } else {
            match f() {
                Ok(()) => 0,
                Err(m) => {
                    eprintln!("as_user({uid}): {m}");
                    1
                }
            }
        };
        // SAFETY: Leave the child.
        unsafe { libc::_exit(code) };
    }
    let mut st = 0;
    // SAFETY: Our child.
    unsafe { libc::waitpid(pid, &mut st, 0) };
    if libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0 {
        Ok(())
    } else {
        Err(format!("child as uid {uid} failed (status {st:#x})"))
    }
}

/// Runs `f` on a fresh tmpfs mount (the reference: what tmpfs does is
/// what rramfs must do), then on a fresh rramfs one, each with its root's
/// mode set to `root_mode`; an error names the filesystem.
pub fn on_tmpfs_then_rramfs(
    root_mode: u32,
    f: impl Fn(&Mount) -> Result<(), String>,
) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    for fs in ["tmpfs", "rramfs"] {
        let m = Mount::try_new_fs(fs, "").map_err(|e| format!("{fs}: {e}"))?;
        let mode = std::fs::Permissions::from_mode(root_mode);
        std::fs::set_permissions(m.root(), mode).map_err(|e| format!("{fs}: chmod: {e}"))?;
        f(&m).map_err(|e| format!("{fs}: {e}"))?;
    }
    Ok(())
}

/// Runs a shell command; returns (exit code, combined output).
pub fn sh(cmd: &str) -> (i32, String) {
    match std::process::Command::new("sh").arg("-c").arg(cmd).output() {
        Ok(o) => {
            let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
            s.push_str(&String::from_utf8_lossy(&o.stderr));
            (o.status.code().unwrap_or(-1), s)
        }
        Err(e) => (-1, e.to_string()),
    }
}

/// Page size.
pub const PAGE: usize = 4096;

/// Copies `len` bytes from offset 0 of `src` to offset 0 of `dst` through a
/// pipe with splice(2), as `cp` on a splice-capable path would.
pub fn splice_copy(src: i32, dst: i32, len: usize) -> Result<(), String> {
    let mut p = [0i32; 2];
    // SAFETY: Valid array.
    if unsafe { libc::pipe(p.as_mut_ptr()) } != 0 {
        return Err("pipe failed".into());
    }
    let (mut off_in, mut off_out) = (0i64, 0i64);
    let r = (|| {
        while (off_out as usize) < len {
            let want = (len - off_in as usize).min(65536);
            // SAFETY: Valid fds and offsets.
            let n = unsafe { libc::splice(src, &mut off_in, p[1], std::ptr::null_mut(), want, 0) };
            if n <= 0 {
                return Err(format!("splice from the file: errno {}", last_errno()));
            }
            let mut left = n as usize;
            while left > 0 {
                // SAFETY: As above.
                let w =
                    unsafe { libc::splice(p[0], std::ptr::null_mut(), dst, &mut off_out, left, 0) };
                if w <= 0 {
                    return Err(format!("splice to the file: errno {}", last_errno()));
                }
                left -= w as usize;
            }
        }
        Ok(())
    })();
    close(p[0]);
    close(p[1]);
    r
}

/// statfs(2) of a mount.
pub fn statfs(m: &Mount) -> libc::statfs {
    let c = CString::new(m.root().to_str().unwrap()).unwrap();
    // SAFETY: Zeroed statfs is a valid out-parameter; path is valid.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: As above.
    unsafe { libc::statfs(c.as_ptr(), &mut st) };
    st
}

/// Runs `f` in a child process with RLIMIT_FSIZE set to `limit` and
/// SIGXFSZ ignored (so an over-limit write fails with EFBIG); returns
/// whether `f` succeeded.
pub fn with_fsize_limit(limit: u64, f: impl FnOnce() -> bool) -> bool {
    // SAFETY: Plain fork; the child only runs `f` and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: Child-only syscalls.
        unsafe {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
        }
        let ok = f();
        // SAFETY: Leave the child.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut st = 0;
    // SAFETY: Our child.
    unsafe { libc::waitpid(pid, &mut st, 0) };
    st == 0
}

/// lseek(2) returning the offset or errno.
pub fn lseek(fd: i32, off: i64, whence: i32) -> Result<i64, i32> {
    // SAFETY: Plain syscall.
    let r = unsafe { libc::lseek(fd, off, whence) };
    if r < 0 {
        Err(last_errno())
    } else {
        Ok(r)
    }
}

/// fallocate(2) returning errno on failure.
pub fn fallocate(fd: i32, mode: i32, off: i64, len: i64) -> Result<(), i32> {
    // SAFETY: Plain syscall.
    if unsafe { libc::fallocate(fd, mode, off, len) } == 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

/// ftruncate(2) returning errno on failure.
pub fn ftruncate(fd: i32, len: i64) -> Result<(), i32> {
    // SAFETY: Plain syscall.
    if unsafe { libc::ftruncate(fd, len) } == 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

/// The size of the file open on `fd`.
pub fn fsize(fd: i32) -> i64 {
    // SAFETY: Zeroed stat is a valid out-parameter.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: As above.
    unsafe { libc::fstat(fd, &mut st) };
    st.st_size
}

/// `st_blocks` of the file open on `fd`.
pub fn fblocks(fd: i32) -> i64 {
    // SAFETY: Zeroed stat is a valid out-parameter.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: As above.
    unsafe { libc::fstat(fd, &mut st) };
    st.st_blocks
}

/// The largest file offset (rramfs's and tmpfs's s_maxbytes on 64-bit).
pub const MAXBYTES: i64 = i64::MAX;

/// Whether the running kernel is at least `major.minor` (from uname's
/// release, "7.3.4-..."): the VFS's own checks differ between the
/// supported kernels.
pub fn kernel_at_least(major: u32, minor: u32) -> bool {
    // SAFETY: A zeroed utsname is a valid out-parameter.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is valid for writes.
    if unsafe { libc::uname(&mut u) } != 0 {
        return false;
    }
    // SAFETY: uname() NUL-terminates the release.
    let rel = unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) }.to_string_lossy();
    let mut it = rel
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().unwrap_or(0));
    let (ma, mi) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    (ma, mi) >= (major, minor)
}

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_encoded_bytes()).unwrap()
}

/// setxattr(2) on a path, returning errno on failure.
pub fn setx(p: &Path, name: &str, val: &[u8]) -> Result<(), i32> {
    let (p, n) = (cpath(p), CString::new(name).unwrap());
    // SAFETY: Valid strings and buffer.
    if unsafe { libc::setxattr(p.as_ptr(), n.as_ptr(), val.as_ptr().cast(), val.len(), 0) } == 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

/// getxattr(2): the value, or errno.
pub fn getx(p: &Path, name: &str) -> Result<Vec<u8>, i32> {
    let (p, n) = (cpath(p), CString::new(name).unwrap());
    let mut buf = vec![0u8; 65536];
    // SAFETY: Valid strings and buffer.
    let r = unsafe { libc::getxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if r < 0 {
        return Err(last_errno());
    }
    buf.truncate(r as usize);
    Ok(buf)
}

/// removexattr(2), returning errno on failure.
pub fn removex(p: &Path, name: &str) -> Result<(), i32> {
    let (p, n) = (cpath(p), CString::new(name).unwrap());
    // SAFETY: Valid strings.
    if unsafe { libc::removexattr(p.as_ptr(), n.as_ptr()) } == 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

/// llistxattr(2) (a symlink's own names): the names, or errno.
pub fn listx(p: &Path) -> Result<Vec<String>, i32> {
    let p = cpath(p);
    let mut buf = vec![0u8; 65536];
    // SAFETY: Valid string and buffer.
    let r = unsafe { libc::llistxattr(p.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if r < 0 {
        return Err(last_errno());
    }
    Ok(buf[..r as usize]
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect())
}

/// The kernel's NR_FILE_DIRTY deficit as a `vmstat_refresh` run now
/// reports it (it prints only a negative value; /proc/vmstat shows it
/// clamped to 0), after `sync` flushed the 9p root's dirty pages, which
/// would hide a deficit.  Only what this refresh printed counts: a marker
/// goes to the kernel log first, and 0 means it printed no nr_dirty line.
pub fn nr_dirty_deficit() -> Result<i64, String> {
    static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mark = format!("rramfs-tests: stat_refresh {}.{n}", std::process::id());
    let (rc, out) = sh(&format!(
        "sync; echo '{mark}' > /dev/kmsg; echo 1 > /proc/sys/vm/stat_refresh; dmesg"
    ));
    crate::ensure_eq!(rc, 0, "stat_refresh: {out}");
    let (_, after) = out
        .rsplit_once(&mark)
        .ok_or_else(|| format!("{mark:?} not in dmesg"))?;
    Ok(after
        .lines()
        .filter_map(|l| l.split("vmstat_refresh: nr_dirty ").nth(1))
        .filter_map(|n| n.trim().parse::<i64>().ok())
        .next_back()
        .map_or(0, |n| -n))
}

/// `statx(2)` of `p` asking for `mask`, or the errno.
pub fn statx(p: &std::path::Path, mask: u32) -> Result<libc::statx, String> {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: Zeroed statx is a valid out-parameter.
    let mut stx: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: Valid path and out-pointer.
    let r = unsafe { libc::statx(libc::AT_FDCWD, c.as_ptr(), 0, mask, &mut stx) };
    if r < 0 {
        return Err(format!("statx: errno {}", last_errno()));
    }
    Ok(stx)
}
