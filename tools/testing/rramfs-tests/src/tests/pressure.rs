//! Memory pressure: a task in a memory cgroup with a limit stands for a
//! machine close to its memory.  What rramfs allocates for that task —
//! page cache (buffered writes, O_DIRECT copies, page faults on holes),
//! inodes and extended attributes — is charged to its cgroup, so the limit holds:
//! the task gets ENOMEM or a short count, or the cgroup's OOM killer ends
//! it (SIGKILL, never SIGBUS), and nothing else is killed.  Files written
//! before keep their data, and the mount's charge matches its files.
//!
//! Listed only when `RRAMFS_FLAVOR=debug`: the debug kernel flavor has
//! the memory controller (tools/kernel/debug.config).

use crate::harness::TestResult;
use crate::util::*;
use crate::{ensure, ensure_eq};
use std::ffi::CString;
use std::path::PathBuf;

crate::tests![
    writes_charged_and_bounded => 900,
    faults_charged_and_bounded => 900,
    xattrs_charged_and_bounded => 900,
    inodes_charged,
];

const LIMIT: u64 = 32 << 20;
/// What each test tries to allocate: twice the limit.
const TRY: usize = 64 << 20;

/// A cgroup v2 directory with the memory controller and `memory.max =
/// LIMIT`, removed on drop.
struct Memcg {
    dir: PathBuf,
}

impl Memcg {
    fn new() -> Result<Memcg, String> {
        let root = PathBuf::from("/sys/fs/cgroup");
        if !root.join("cgroup.controllers").exists() {
            let (rc, out) = sh("mount -t cgroup2 none /sys/fs/cgroup");
            ensure!(rc == 0, "mounting cgroup2: {out}");
        }
        let controllers = std::fs::read_to_string(root.join("cgroup.controllers"))
            .map_err(|e| format!("cgroup.controllers: {e}"))?;
        ensure!(
            controllers.split_whitespace().any(|c| c == "memory"),
            "no memory controller (CONFIG_MEMCG) in this kernel: {controllers:?}"
        );
        std::fs::write(root.join("cgroup.subtree_control"), "+memory")
            .map_err(|e| format!("enabling the memory controller: {e}"))?;
        let dir = root.join(format!("rramfs-t.{}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let cg = Memcg { dir };
        cg.write("memory.max", &LIMIT.to_string())?;
        Ok(cg)
    }

    fn write(&self, file: &str, v: &str) -> TestResult {
        std::fs::write(self.dir.join(file), v).map_err(|e| format!("{file}: {e}"))
    }

    fn read(&self, file: &str) -> Result<String, String> {
        std::fs::read_to_string(self.dir.join(file)).map_err(|e| format!("{file}: {e}"))
    }

    /// Bytes charged to the cgroup now.
    fn current(&self) -> Result<u64, String> {
        self.read("memory.current")?
            .trim()
            .parse()
            .map_err(|e| format!("memory.current: {e}"))
    }

    /// How many tasks the cgroup's OOM killer has killed.
    fn oom_kills(&self) -> Result<u64, String> {
        let ev = self.read("memory.events")?;
        Ok(ev
            .lines()
            .find_map(|l| l.strip_prefix("oom_kill "))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Runs `f` in a child process that first moves itself into the
    /// cgroup; returns the child's wait status.  `f`'s value is the exit
    /// code.
    fn run(&self, f: impl FnOnce() -> i32) -> i32 {
        let procs = self.dir.join("cgroup.procs");
        // SAFETY: Fork; the child runs `f` and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let code = if std::fs::write(&procs, "0").is_ok() {
                f()
            } else {
                99
            };
            // SAFETY: Leave the child.
            unsafe { libc::_exit(code) };
        }
        let mut st = 0;
        // SAFETY: Our child.
        unsafe { libc::waitpid(pid, &mut st, 0) };
        st
    }
}

impl Drop for Memcg {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// A process outside the cgroup that only waits: the OOM killer of the
/// cgroup must leave it alone.
struct Bystander(i32);

impl Bystander {
    fn new() -> Bystander {
        // SAFETY: Fork; the child sleeps until killed.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            loop {
                // SAFETY: Plain syscall.
                unsafe { libc::pause() };
            }
        }
        Bystander(pid)
    }

    fn alive(&self) -> bool {
        let mut st = 0;
        // SAFETY: Our child.
        unsafe { libc::waitpid(self.0, &mut st, libc::WNOHANG) == 0 }
    }
}

impl Drop for Bystander {
    fn drop(&mut self) {
        let mut st = 0;
        // SAFETY: Our child.
        unsafe {
            libc::kill(self.0, libc::SIGKILL);
            libc::waitpid(self.0, &mut st, 0);
        }
    }
}

/// How a child in the cgroup ended: by its own exit code (`Ok`) or killed
/// by the cgroup's OOM killer; anything else fails.
fn ended(cg: &Memcg, st: i32, kills_before: u64, what: &str) -> Result<Option<i32>, String> {
    if libc::WIFEXITED(st) {
        return Ok(Some(libc::WEXITSTATUS(st)));
    }
    ensure!(
        libc::WIFSIGNALED(st) && libc::WTERMSIG(st) == libc::SIGKILL,
        "{what}: the task ended with status {st:#x}, not an exit or the OOM killer's SIGKILL"
    );
    ensure!(
        cg.oom_kills()? > kills_before,
        "{what}: SIGKILL, but the cgroup's OOM killer did not kill"
    );
    Ok(None)
}

/// The mount's charge equals the blocks of `fds`.
fn charge_matches(m: &Mount, fds: &[i32], what: &str) -> TestResult {
    let blocks: i64 = fds.iter().map(|&fd| fblocks(fd)).sum();
    ensure_eq!(
        m.stats()?.get("blocks_used") as i64,
        blocks / 8,
        "{what}: charge"
    );
    Ok(())
}

/// Buffered and O_DIRECT writes of twice the cgroup's limit into a mount
/// with room for all of it: the page cache they add is charged to the
/// cgroup (memory.current grows with it), and the limit stops them — a
/// write fails (ENOMEM) or is short, or the OOM killer ends the writer.
/// The file is a prefix of the data, the file written before is intact,
/// the bystander lives, and deleting the file uncharges the cgroup.
fn writes_charged_and_bounded() -> TestResult {
    let m = Mount::new("size=1g")?;
    let cg = Memcg::new()?;
    let others = Bystander::new();
    let before = pattern(80, 0, 4 << 20);
    let keep =
        open(&m.path("keep"), libc::O_RDWR | libc::O_CREAT, 0o644).map_err(|e| e.to_string())?;
    ensure_eq!(
        pwrite(keep, before.as_ptr(), before.len(), 0),
        Ok(before.len())
    );
    // The source, charged to this (outer) task: the child only reads it.
    let src = anon(TRY)?;
    let data = pattern(81, 0, TRY);
    // SAFETY: Writable mapping of `TRY` bytes.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), src.ptr, TRY) };
    for direct in [false, true] {
        let what = if direct {
            "O_DIRECT writes"
        } else {
            "buffered writes"
        };
        let path = m.path("f");
        let fd = open(&path, libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC, 0o644)
            .map_err(|e| e.to_string())?;
        let (base, kills) = (cg.current()?, cg.oom_kills()?);
        let ptr = src.ptr as usize;
        let st = cg.run(|| {
            let flags = libc::O_WRONLY | if direct { libc::O_DIRECT } else { 0 };
            let Ok(wfd) = open(&path, flags, 0) else {
                return 98;
            };
            let mut off = 0;
            while off < TRY {
                // 1 MiB at a time, so that a short count shows.
                match pwrite(wfd, (ptr + off) as *const u8, 1 << 20, off as i64) {
                    Ok(n) if n > 0 => off += n,
                    Ok(_) => return 97,
                    Err(libc::ENOMEM) => return 12,
                    Err(e) => return e.min(90),
                }
            }
            0
        });
        let code = ended(&cg, st, kills, what)?;
        ensure!(
            code.is_none() || code == Some(12),
            "{what}: the writer exited with {code:?} (0: the limit did not hold; 12: ENOMEM)"
        );
        let size = fsize(fd) as usize;
        ensure!(
            size < TRY,
            "{what}: wrote all {TRY} bytes past a limit of {LIMIT}"
        );
        ensure!(
            read_at(fd, 0, TRY)? == data[..size],
            "{what}: the file is not a prefix of the data"
        );
        let charged = cg.current()?.saturating_sub(base);
        ensure!(
            charged + (2 << 20) >= size as u64,
            "{what}: {size} bytes in the page cache, only {charged} charged to the cgroup"
        );
        ensure!(cg.current()? <= LIMIT, "{what}: over the limit");
        charge_matches(&m, &[fd, keep], what)?;
        ensure!(
            others.alive(),
            "{what}: a task outside the cgroup was killed"
        );
        ensure_eq!(ftruncate(fd, 0), Ok(()));
        close(fd);
        let left = cg.current()?;
        ensure!(
            left <= base + (1 << 20),
            "{what}: {left} bytes still charged after truncation (was {base})"
        );
    }
    ensure!(
        read_at(keep, 0, before.len() + 1)? == before,
        "the earlier file changed"
    );
    close(keep);
    Ok(())
}

/// Stores into a shared mapping of a hole twice the cgroup's limit long:
/// each fault allocates page cache charged to the cgroup, until the
/// cgroup's OOM killer ends the task (SIGKILL: an rramfs fault reports
/// ENOMEM as VM_FAULT_OOM, not SIGBUS).  Every page the task stored into
/// holds its byte, the others read as zeros, and the charge matches.
fn faults_charged_and_bounded() -> TestResult {
    let m = Mount::new("size=1g")?;
    let cg = Memcg::new()?;
    let others = Bystander::new();
    let fd = open(&m.path("f"), libc::O_RDWR | libc::O_CREAT, 0o644).map_err(|e| e.to_string())?;
    ensure_eq!(ftruncate(fd, TRY as i64), Ok(()));
    let map = Map::new(
        TRY,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        fd,
        0,
    )?;
    let (base, kills) = (cg.current()?, cg.oom_kills()?);
    let ptr = map.ptr as usize;
    let st = cg.run(|| {
        for page in 0..TRY / PAGE {
            // SAFETY: Inside the shared writable mapping.
            unsafe { std::ptr::write_volatile((ptr + page * PAGE) as *mut u8, 0xC3) };
        }
        0
    });
    drop(map);
    let code = ended(&cg, st, kills, "faults")?;
    ensure!(
        code.is_none(),
        "the task stored into {TRY} bytes of page cache past a limit of {LIMIT} (exit {code:?})"
    );
    let got = read_at(fd, 0, TRY)?;
    ensure_eq!(got.len(), TRY, "size");
    let mut stored = 0u64;
    for (i, p) in got.chunks(PAGE).enumerate() {
        ensure!(
            p[1..].iter().all(|&b| b == 0) && (p[0] == 0 || p[0] == 0xC3),
            "page {i} is neither the store nor zeros"
        );
        stored += (p[0] == 0xC3) as u64;
    }
    ensure!(stored > 0, "no store landed before the limit");
    let charged = cg.current()?.saturating_sub(base);
    ensure!(
        charged + (2 << 20) >= stored * PAGE as u64,
        "{stored} pages stored into, only {charged} bytes charged to the cgroup"
    );
    charge_matches(&m, &[fd], "faults")?;
    ensure!(others.alive(), "a task outside the cgroup was killed");
    close(fd);
    Ok(())
}

/// Extended attributes of 64 KiB, twice the cgroup's limit in all, on a
/// mount whose inode space does not limit them (`nr_inodes=0`): the
/// values are charged to the cgroup (GFP_KERNEL_ACCOUNT), so the limit
/// stops them — ENOMEM, or the OOM killer — and every value that was set
/// is whole.
fn xattrs_charged_and_bounded() -> TestResult {
    const VAL: usize = 64 << 10;
    let m = Mount::new("nr_inodes=0")?;
    let cg = Memcg::new()?;
    let others = Bystander::new();
    let f = m.path("f");
    std::fs::write(&f, b"").map_err(|e| e.to_string())?;
    let p = CString::new(f.to_str().unwrap()).unwrap();
    let names: Vec<CString> = (0..TRY / VAL)
        .map(|i| CString::new(format!("trusted.x{i}")).unwrap())
        .collect();
    let (base, kills) = (cg.current()?, cg.oom_kills()?);
    let st = cg.run(|| {
        let val = vec![0x77u8; VAL];
        for n in &names {
            // SAFETY: Valid strings and buffer.
            let r = unsafe { libc::setxattr(p.as_ptr(), n.as_ptr(), val.as_ptr().cast(), VAL, 0) };
            if r != 0 {
                return if last_errno() == libc::ENOMEM { 12 } else { 91 };
            }
        }
        0
    });
    let code = ended(&cg, st, kills, "xattrs")?;
    ensure!(
        code.is_none() || code == Some(12),
        "setting xattrs ended with {code:?} (0: all {} MiB set past the limit; 12: ENOMEM)",
        TRY >> 20
    );
    let mut set = 0u64;
    let mut buf = vec![0u8; VAL];
    for n in &names {
        // SAFETY: Valid strings and buffer.
        let r = unsafe { libc::getxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), VAL) };
        if r < 0 {
            ensure_eq!(last_errno(), libc::ENODATA, "getxattr");
            continue;
        }
        ensure!(
            r as usize == VAL && buf.iter().all(|&b| b == 0x77),
            "a value is not whole"
        );
        set += 1;
    }
    ensure!(set > 0, "no xattr was set");
    let charged = cg.current()?.saturating_sub(base);
    ensure!(
        charged >= set * VAL as u64 * 9 / 10,
        "{set} values of {VAL} bytes set, only {charged} bytes charged to the cgroup"
    );
    ensure!(others.alive(), "a task outside the cgroup was killed");
    std::fs::remove_file(&f).map_err(|e| e.to_string())?;
    let left = cg.current()?;
    ensure!(
        left <= base + (1 << 20),
        "{left} bytes still charged after the file is gone (was {base})"
    );
    Ok(())
}

/// The object size of the slab cache `name` (`/proc/slabinfo`).
fn slab_object_size(name: &str) -> Result<u64, String> {
    let info = std::fs::read_to_string("/proc/slabinfo").map_err(|e| e.to_string())?;
    info.lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some(name)).then(|| w.nth(2).and_then(|v| v.parse().ok()))?
        })
        .ok_or_else(|| format!("no {name} in /proc/slabinfo"))
}

/// Inodes come from rramfs's own slab cache (`rramfs_inode_cache`, which
/// holds the creation time), and it must charge them to the creator's
/// cgroup as the kernel's inode cache does, or a user could fill the
/// host's memory with empty files on a mount without `nr_inodes=`:
/// creating files in the cgroup grows its charge by at least one inode
/// object per file (their dentries come on top).
fn inodes_charged() -> TestResult {
    const N: u64 = 4000;
    let m = Mount::new("nr_inodes=0")?;
    std::fs::create_dir(m.path("d")).map_err(|e| e.to_string())?;
    let obj = slab_object_size("rramfs_inode_cache")?;
    let cg = Memcg::new()?;
    let paths: Vec<CString> = (0..N)
        .map(|i| CString::new(m.path(&format!("d/{i}")).to_str().unwrap()).unwrap())
        .collect();
    let (base, kills) = (cg.current()?, cg.oom_kills()?);
    let st = cg.run(|| {
        for p in &paths {
            // SAFETY: A valid path.
            let fd = unsafe { libc::open(p.as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o644) };
            if fd < 0 {
                return 1;
            }
            close(fd);
        }
        0
    });
    ensure_eq!(ended(&cg, st, kills, "creating files")?, Some(0));
    let charged = cg.current()?.saturating_sub(base);
    ensure!(
        charged >= N * obj,
        "{N} files made, {charged} bytes charged to the cgroup: less than their inodes ({obj} bytes each)"
    );
    Ok(())
}
