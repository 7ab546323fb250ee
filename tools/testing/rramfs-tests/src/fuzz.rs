//! A seeded, reproducible syscall fuzzer, checked against a model.
//!
//! Each run mounts a fresh, size-limited rramfs, opens one file (buffered
//! and O_DIRECT descriptors) and issues random operations with adversarial
//! arguments: offsets at 0, page and 2 MiB folio boundaries, EOF and
//! s_maxbytes ± 1, negative; lengths 0, 1, odd, crossing folios, huge;
//! every fallocate mode (and invalid ones); buffers whose tail is unmapped;
//! xattrs with odd names and sizes; mmap writes; SEEK_DATA/SEEK_HOLE.
//! Every result is checked against a model of the file — its bytes (sparse,
//! by page), its size and its xattrs — with the errno the kernel must give,
//! and the mount's accounting is checked after every operation (blocks
//! charged = the file's `st_blocks`; inode space = inodes + xattrs).
//!
//! A failure prints the seed and the shortest operation sequence that
//! still fails (found by removing operations and replaying it on a fresh
//! mount).  `rramfs-tests --fuzz SEED OPS` (`make fuzz`) runs one seed;
//! the suite runs a few fixed seeds (`fuzz::model_check`).

use crate::util::*;
use std::collections::{BTreeMap, HashMap};
use std::ffi::CString;

/// A small deterministic generator (xorshift64*): the same seed gives the
/// same operations on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

/// The mount's limits: small enough that ENOSPC happens, large enough for
/// 2 MiB folios.
const MOUNT_OPTS: &str = "size=24m,nr_inodes=64";
const SIZE_PAGES: u64 = 24 * 256;
const ISPACE: u64 = 64 * 1024;
const MB2: i64 = 2 << 20;

#[derive(Clone, Debug)]
enum Op {
    Write {
        off: i64,
        len: usize,
        dio: bool,
        bad_tail: bool,
    },
    Read {
        off: i64,
        len: usize,
        dio: bool,
    },
    Truncate(i64),
    Falloc {
        mode: i32,
        off: i64,
        len: i64,
    },
    SetX {
        name: String,
        size: usize,
    },
    RemoveX(String),
    MmapWrite {
        off: i64,
        len: usize,
    },
    Seek {
        off: i64,
        data: bool,
    },
    Fsync,
}

fn gen_off(r: &mut Rng, size: i64) -> i64 {
    let base = match r.below(10) {
        0 => 0,
        1 => size,
        2 => MAXBYTES - r.below(3 * 4096) as i64,
        3 => -(r.below(3) as i64) - 1,
        4 | 5 => r.below(4 << 20) as i64 & !4095,
        6 => (r.below(6) as i64) * MB2,
        _ => r.below(6 << 20) as i64,
    };
    let delta = r.pick(&[0i64, 0, 1, -1, 511, 512, 4095, 4096, -4096]);
    base.saturating_add(delta).max(i64::MIN / 2)
}

fn gen_len(r: &mut Rng) -> usize {
    match r.below(8) {
        0 => 0,
        1 => 1,
        2 => r.below(5000) as usize,
        3 => 4096 * (1 + r.below(4) as usize),
        4 => 512 * (1 + r.below(16) as usize),
        5 => (2 << 20) + r.below(3) as usize,
        _ => r.below(1 << 20) as usize,
    }
}

fn gen_op(r: &mut Rng, size: i64) -> Op {
    match r.below(20) {
        0..=4 => {
            let dio = r.below(3) == 0;
            let (mut off, mut len) = (gen_off(r, size), gen_len(r));
            if dio && r.below(4) != 0 {
                off &= !511;
                len &= !511;
            }
            Op::Write {
                off,
                len,
                dio,
                bad_tail: r.below(8) == 0,
            }
        }
        5..=8 => {
            let dio = r.below(3) == 0;
            let (mut off, mut len) = (gen_off(r, size), gen_len(r));
            if dio && r.below(4) != 0 {
                off &= !511;
                len &= !511;
            }
            Op::Read { off, len, dio }
        }
        9 | 10 => Op::Truncate(gen_off(r, size)),
        11..=13 => {
            // The valid modes (and some the VFS or rramfs refuse).
            let mode = r.pick(&[0, 1, 3, 0x10, 0x11, 2, 0x8, 0x20, 0x4, 0x40, 0x80, 0x100]);
            let len = match r.below(4) {
                0 => r.below(8192) as i64 - 1,
                1 => MB2 + r.below(2) as i64,
                2 => 1 << 40,
                _ => r.below(3 << 20) as i64,
            };
            Op::Falloc {
                mode,
                off: gen_off(r, size),
                len,
            }
        }
        14 | 15 => {
            let ns = r.pick(&["user.", "trusted.", "security.", "bogus.", "user."]);
            let name = match r.below(6) {
                0 => ns.to_string(),
                1 => format!("{ns}{}", "n".repeat(260)),
                _ => format!("{ns}x{}", r.below(6)),
            };
            let size = r.pick(&[0usize, 1, 100, 4000, 20000, 65536, 65537]);
            if r.below(4) == 0 {
                Op::RemoveX(name)
            } else {
                Op::SetX { name, size }
            }
        }
        16 => Op::MmapWrite {
            off: r.below(size.max(1) as u64) as i64,
            len: gen_len(r) % 20000,
        },
        17 | 18 => Op::Seek {
            off: gen_off(r, size),
            data: r.below(2) == 0,
        },
        _ => Op::Fsync,
    }
}

/// The model: the file's bytes by page (absent = zeros), its size, xattrs.
#[derive(Default)]
struct Model {
    pages: BTreeMap<u64, Box<[u8; 4096]>>,
    size: i64,
    xattrs: HashMap<String, usize>,
}

impl Model {
    /// Calls `f(page, offset in page, offset in the range, length)` for
    /// each page piece of `[off, off + len)`.
    fn pieces(off: i64, len: usize, mut f: impl FnMut(u64, usize, usize, usize)) {
        let (mut p, mut done) = (off as u64, 0usize);
        while done < len {
            let in_page = (p % 4096) as usize;
            let n = (4096 - in_page).min(len - done);
            f(p / 4096, in_page, done, n);
            p += n as u64;
            done += n;
        }
    }
    fn write(&mut self, off: i64, data: &[u8]) {
        Self::pieces(off, data.len(), |pg, at, from, n| {
            let page = self.pages.entry(pg).or_insert_with(|| Box::new([0; 4096]));
            page[at..at + n].copy_from_slice(&data[from..from + n]);
        });
    }
    fn zero(&mut self, from: i64, to: i64) {
        let (from, to) = (from.max(0), to.max(0));
        if to <= from {
            return;
        }
        let keys: Vec<u64> = self
            .pages
            .range(from as u64 / 4096..=(to as u64 - 1) / 4096)
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            let (ps, pe) = ((k * 4096) as i64, (k * 4096 + 4096) as i64);
            let (a, b) = ((from.max(ps) - ps) as usize, (to.min(pe) - ps) as usize);
            self.pages.get_mut(&k).unwrap()[a..b].fill(0);
        }
    }
    fn read(&self, off: i64, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        Self::pieces(off, len, |pg, at, from, n| {
            if let Some(page) = self.pages.get(&pg) {
                v[from..from + n].copy_from_slice(&page[at..at + n]);
            }
        });
        v
    }
    /// The first non-zero byte at or after `off`, if any.
    fn nonzero_from(&self, off: i64) -> Option<i64> {
        let first = off.max(0) as u64 / 4096;
        self.pages.range(first..).find_map(|(k, page)| {
            let base = (k * 4096) as i64;
            page.iter()
                .enumerate()
                .map(|(i, &b)| (base + i as i64, b))
                .find(|&(p, b)| p >= off && b != 0)
                .map(|(p, _)| p)
        })
    }
    fn truncate(&mut self, size: i64) {
        if size < self.size {
            self.zero(size, self.size);
        }
        self.size = size;
    }
    fn ispace(&self) -> u64 {
        2048 + self
            .xattrs
            .iter()
            .map(|(n, s)| 40 + n.len() as u64 + *s as u64)
            .sum::<u64>()
    }
}

/// The file under test and the buffers used to reach it.
struct World {
    m: Mount,
    path: CString,
    fd: i32,
    dfd: i32,
    /// 8 MiB of memory followed by an unmapped page.
    arena: Map,
    /// The kernel's NR_FILE_DIRTY deficit when the world was made: rramfs
    /// must not add to it (see `invariants`).
    dirty0: i64,
}

const ARENA: usize = 8 << 20;

impl World {
    fn new() -> Result<World, String> {
        let m = Mount::new(MOUNT_OPTS)?;
        let p = m.path("f");
        let fd = open(&p, libc::O_RDWR | libc::O_CREAT, 0o644).map_err(|e| format!("open: {e}"))?;
        let dfd = open(&p, libc::O_RDWR | libc::O_DIRECT, 0).map_err(|e| format!("open: {e}"))?;
        let arena = anon(ARENA + PAGE)?;
        // SAFETY: The last page of our own mapping.
        unsafe { libc::mprotect(arena.ptr.add(ARENA).cast(), PAGE, libc::PROT_NONE) };
        let path = CString::new(p.to_str().unwrap()).unwrap();
        Ok(World {
            m,
            path,
            fd,
            dfd,
            arena,
            dirty0: nr_dirty_deficit()?,
        })
    }
}

impl Drop for World {
    fn drop(&mut self) {
        close(self.fd);
        close(self.dfd);
    }
}

fn ret(r: isize) -> Result<usize, i32> {
    check(r).map(|n| n as usize)
}

/// Runs one operation on the world and checks it against the model, which
/// it updates.  `seed` makes the data of a write unique to the op.
fn apply(w: &World, md: &mut Model, op: &Op, seed: u64) -> Result<(), String> {
    let fits = |off: i64, len: usize| off.checked_add(len as i64).is_some();
    match *op {
        Op::Write {
            off,
            len,
            dio,
            bad_tail,
        } => {
            let len = len.min(ARENA);
            // A bad tail: the buffer's last 100 bytes (or all, if shorter)
            // are the unmapped page.
            let valid = if bad_tail {
                len.saturating_sub(100)
            } else {
                len
            };
            let start = if bad_tail { ARENA - valid } else { 0 };
            let data = pattern(seed, off as u64, valid);
            // SAFETY: `start + valid <= ARENA` bytes of the arena.
            let buf = unsafe { w.arena.ptr.add(start) };
            // SAFETY: As above.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf, valid) };
            let misaligned = dio && (off % 512 != 0 || len % 512 != 0 || start % 512 != 0);
            // SAFETY: The kernel reads at most `len` bytes; the tail may fault.
            let r =
                ret(unsafe { libc::pwrite(if dio { w.dfd } else { w.fd }, buf.cast(), len, off) });
            if off < 0 || !fits(off, len) {
                return expect(r, libc::EINVAL, op);
            }
            if len == 0 && !dio {
                return expect_ok(r, 0, op);
            }
            if misaligned {
                return expect(r, libc::EINVAL, op);
            }
            match r {
                Ok(n) if n <= valid => {
                    // Short only for a reason: the unmapped tail, or space.
                    if n < valid && !w.near_full() {
                        return Err(format!("{op:?}: short write {n} of {valid} with room"));
                    }
                    md.write(off, &data[..n]);
                    if n > 0 {
                        md.size = md.size.max(off + n as i64);
                    }
                }
                Err(libc::ENOSPC) if w.near_full() => {}
                Err(libc::EFAULT) if valid == 0 || (dio && valid < 4096) => {}
                other => return Err(format!("{op:?}: {other:?} (valid {valid})")),
            }
        }
        Op::Read { off, len, dio } => {
            let len = len.min(ARENA);
            let misaligned = dio && (off % 512 != 0 || len % 512 != 0);
            // SAFETY: The arena holds `len <= ARENA` writable bytes.
            let r = ret(unsafe {
                libc::pread(if dio { w.dfd } else { w.fd }, w.arena.ptr.cast(), len, off)
            });
            if off < 0 || !fits(off, len) {
                return expect(r, libc::EINVAL, op);
            }
            if misaligned {
                return expect(r, libc::EINVAL, op);
            }
            let want = len.min((md.size - off).max(0) as usize);
            let n = r.map_err(|e| format!("{op:?}: errno {e}"))?;
            if n != want {
                return Err(format!("{op:?}: read {n}, expected {want}"));
            }
            let got = &w.arena.slice()[..n];
            let exp = md.read(off, n);
            if let Some(i) = got.iter().zip(&exp).position(|(a, b)| a != b) {
                return Err(format!(
                    "{op:?}: byte {} is {:#x}, expected {:#x}",
                    off + i as i64,
                    got[i],
                    exp[i]
                ));
            }
        }
        Op::Truncate(len) => {
            let r = ftruncate(w.fd, len);
            if len < 0 {
                return expect(r.map(|_| 0), libc::EINVAL, op);
            }
            r.map_err(|e| format!("{op:?}: errno {e}"))?;
            md.truncate(len);
        }
        Op::Falloc { mode, off, len } => {
            let r = fallocate(w.fd, mode, off, len);
            let keep = mode & 1 != 0;
            let base = mode & !1;
            // The VFS's order of checks, then rramfs's.  The VFS knows
            // FALLOC_FL_WRITE_ZEROES (0x80) from 6.17 on.
            let known: &[i32] = if kernel_at_least(6, 17) {
                &[0, 0x2, 0x8, 0x10, 0x20, 0x40, 0x80]
            } else {
                &[0, 0x2, 0x8, 0x10, 0x20, 0x40]
            };
            let want = if off < 0 || len <= 0 {
                Some(libc::EINVAL)
            } else if !known.contains(&base)
                || (base == 0x2 && !keep)
                || ([0x8, 0x20, 0x80].contains(&base) && keep)
            {
                Some(libc::EOPNOTSUPP)
            } else if off.checked_add(len).is_none() {
                Some(libc::EFBIG)
            } else if ![0, 0x2, 0x10].contains(&base) {
                Some(libc::EOPNOTSUPP)
            } else {
                None
            };
            if let Some(e) = want {
                return expect(r.map(|_| 0), e, op);
            }
            let end = off + len;
            match r {
                Ok(()) => {
                    if base != 0 && off < md.size {
                        md.zero(off, end);
                    }
                    if base != 0x2 && !keep {
                        md.size = md.size.max(end);
                    }
                }
                // ZERO_RANGE drops the range before allocating it again.
                Err(libc::ENOSPC) => {
                    if base == 0x10 {
                        md.zero(off, end);
                    }
                }
                Err(e) => return Err(format!("{op:?}: errno {e}")),
            }
        }
        Op::SetX { ref name, size } => {
            let n = CString::new(name.as_str()).unwrap();
            let v = vec![0x5Au8; size];
            // SAFETY: Valid strings and buffer.
            let r = ret(unsafe {
                libc::setxattr(w.path.as_ptr(), n.as_ptr(), v.as_ptr().cast(), size, 0)
            } as isize);
            let want = if let Some(e) = name_errno(name, size) {
                Some(e)
            } else {
                let users: Vec<_> = md
                    .xattrs
                    .iter()
                    .filter(|(k, _)| k.starts_with("user.") && *k != name)
                    .collect();
                let ubytes: usize = users.iter().map(|(_, s)| **s).sum();
                let new = 40 + name.len() as u64 + size as u64;
                if name.starts_with("user.") && (users.len() + 1 > 128 || ubytes + size > 128 << 10)
                {
                    Some(libc::ENOSPC)
                } else if md.ispace() + new > ISPACE {
                    // Room for the new value is needed before the old one
                    // goes (as tmpfs), so `old` does not count here.
                    Some(libc::ENOSPC)
                } else {
                    None
                }
            };
            match want {
                Some(e) => return expect(r, e, op),
                None => {
                    r.map_err(|e| format!("{op:?}: errno {e}"))?;
                    md.xattrs.insert(name.clone(), size);
                }
            }
        }
        Op::RemoveX(ref name) => {
            let n = CString::new(name.as_str()).unwrap();
            // SAFETY: Valid strings.
            let r = ret(unsafe { libc::removexattr(w.path.as_ptr(), n.as_ptr()) } as isize);
            let want = if let Some(e) = name_errno(name, 0) {
                Some(e)
            } else if !md.xattrs.contains_key(name) {
                Some(libc::ENODATA)
            } else {
                None
            };
            match want {
                Some(e) => return expect(r, e, op),
                None => {
                    r.map_err(|e| format!("{op:?}: errno {e}"))?;
                    md.xattrs.remove(name);
                }
            }
        }
        Op::MmapWrite { off, len } => {
            // Inside EOF (and low: mmap(2) refuses offsets near 2^63), and
            // only with room: a fault that cannot allocate is SIGBUS.
            let end = (off + len as i64).min(md.size);
            if len == 0 || end <= off || off > 64 << 20 || w.near_full() {
                return Ok(());
            }
            let start = off & !4095;
            let maplen = (end - start) as usize;
            let map = Map::new(
                maplen,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                w.fd,
                start,
            )?;
            let data = pattern(seed, off as u64, (end - off) as usize);
            // SAFETY: `[off - start, end - start)` is inside the mapping.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    data.as_ptr(),
                    map.ptr.add((off - start) as usize),
                    data.len(),
                )
            };
            let exp = md.read(start, maplen);
            md.write(off, &data);
            let mut exp2 = exp;
            exp2[(off - start) as usize..].copy_from_slice(&data);
            if map.slice() != &exp2[..] {
                return Err(format!("{op:?}: the mapping does not show the file"));
            }
        }
        Op::Seek { off, data } => {
            let r = lseek(
                w.fd,
                off,
                if data {
                    libc::SEEK_DATA
                } else {
                    libc::SEEK_HOLE
                },
            );
            if off < 0 || off >= md.size {
                return expect(r.map(|x| x as usize), libc::ENXIO, op);
            }
            // SEEK_DATA past the last data: ENXIO, and no byte after `off`
            // may be non-zero.
            if data && r == Err(libc::ENXIO) {
                return match md.nonzero_from(off) {
                    Some(p) if p < md.size => Err(format!("{op:?}: ENXIO, but byte {p} is data")),
                    _ => Ok(()),
                };
            }
            let got = r.map_err(|e| format!("{op:?}: errno {e}"))?;
            if got < off || got > md.size || (data && got == md.size) {
                return Err(format!("{op:?}: {got} outside [{off}, {}]", md.size));
            }
            // What SEEK_DATA skipped is a hole: zeros.
            if data && md.nonzero_from(off).is_some_and(|p| p < got) {
                return Err(format!("{op:?}: skipped data before {got}"));
            }
        }
        Op::Fsync => {
            // SAFETY: Plain syscall.
            if unsafe { libc::fsync(w.fd) } != 0 {
                return Err(format!("fsync: errno {}", last_errno()));
            }
        }
    }
    Ok(())
}

/// The errno the VFS gives an xattr name (and value size) before rramfs
/// sees it: too long, too large, an unknown namespace, an empty name.
fn name_errno(name: &str, size: usize) -> Option<i32> {
    let known = ["user.", "trusted.", "security."]
        .iter()
        .any(|p| name.starts_with(p));
    let suffix = name.split_once('.').map_or("", |(_, s)| s);
    if name.len() > 255 {
        Some(libc::ERANGE)
    } else if size > 65536 {
        Some(libc::E2BIG)
    } else if !known {
        Some(libc::EOPNOTSUPP)
    } else if suffix.is_empty() {
        Some(libc::EINVAL)
    } else {
        None
    }
}

fn expect(r: Result<usize, i32>, e: i32, op: &Op) -> Result<(), String> {
    match r {
        Err(x) if x == e => Ok(()),
        other => Err(format!("{op:?}: {other:?}, expected errno {e}")),
    }
}

fn expect_ok(r: Result<usize, i32>, n: usize, op: &Op) -> Result<(), String> {
    match r {
        Ok(x) if x == n => Ok(()),
        other => Err(format!("{op:?}: {other:?}, expected Ok({n})")),
    }
}

impl World {
    /// Whether an allocation could fail for want of space (a quarter of
    /// the mount left: one write may need 2 MiB and a folio's worth more).
    fn near_full(&self) -> bool {
        self.m
            .stats()
            .map_or(true, |s| s.get("blocks_used") * 4 > SIZE_PAGES * 3)
    }
}

/// The invariants that hold after every operation.
fn invariants(w: &World, md: &Model, full: bool) -> Result<(), String> {
    if fsize(w.fd) != md.size {
        return Err(format!(
            "size {} but the model says {}",
            fsize(w.fd),
            md.size
        ));
    }
    let st = w.m.stats()?;
    let blocks = fblocks(w.fd) as u64 / 8;
    if st.get("blocks_used") != blocks {
        return Err(format!(
            "mount charges {} pages, the file holds {blocks}",
            st.get("blocks_used")
        ));
    }
    if blocks > SIZE_PAGES {
        return Err(format!("{blocks} pages charged past size= ({SIZE_PAGES})"));
    }
    if st.get("ispace_used") != md.ispace() {
        return Err(format!(
            "inode space {} but the model says {}",
            st.get("ispace_used"),
            md.ispace()
        ));
    }
    if full {
        // rramfs's pages are never counted dirty, so nothing it does may
        // count them cleaned: the kernel's split of a large folio does for
        // the dirty pages it drops past EOF.
        let deficit = nr_dirty_deficit()? - w.dirty0;
        if deficit > 0 {
            return Err(format!(
                "NR_FILE_DIRTY went {deficit} pages (further) below zero"
            ));
        }
        for (&k, page) in &md.pages {
            let off = (k * 4096) as i64;
            if off >= md.size {
                break;
            }
            let n = 4096.min((md.size - off) as usize);
            let got = read_at(w.fd, off, n)?;
            if got[..] != page[..n] {
                return Err(format!("page {k} differs from the model"));
            }
        }
    }
    Ok(())
}

/// Runs `ops` from a fresh file; returns the index of the first failing
/// operation and why.
fn replay(ops: &[(Op, u64)]) -> Result<(), (usize, String)> {
    let w = World::new().map_err(|e| (0, e))?;
    let mut md = Model::default();
    for (i, (op, seed)) in ops.iter().enumerate() {
        apply(&w, &mut md, op, *seed).map_err(|e| (i, e))?;
        invariants(&w, &md, i % 16 == 15 || i + 1 == ops.len())
            .map_err(|e| (i, format!("after {op:?}: {e}")))?;
    }
    Ok(())
}

/// Runs `n` operations from `seed`.  On failure, shrinks the sequence (drop
/// chunks while it still fails, at most `budget` replays) and reports it.
pub fn run(seed: u64, n: usize) -> Result<(), String> {
    let mut r = Rng::new(seed);
    let w = World::new()?;
    let mut md = Model::default();
    let mut ops = Vec::new();
    for i in 0..n {
        let op = gen_op(&mut r, md.size);
        let op_seed = seed.wrapping_mul(1_000_003).wrapping_add(i as u64);
        ops.push((op.clone(), op_seed));
        let res = apply(&w, &mut md, &op, op_seed).and_then(|_| {
            invariants(&w, &md, i % 16 == 15).map_err(|e| format!("after {op:?}: {e}"))
        });
        if let Err(e) = res {
            drop(w);
            let short = shrink(ops, 60);
            let mut msg = format!(
                "seed {seed}: op {i} failed: {e}\nshortest sequence found ({} ops):",
                short.len()
            );
            for (op, s) in &short {
                msg.push_str(&format!("\n  {op:?}  [data seed {s}]"));
            }
            return Err(msg);
        }
    }
    Ok(())
}

/// Removes chunks of `ops` (halves, quarters, ... single ops) while the
/// remainder still fails, within `budget` replays.
fn shrink(mut ops: Vec<(Op, u64)>, mut budget: usize) -> Vec<(Op, u64)> {
    let mut chunk = ops.len() / 2;
    while chunk >= 1 && budget > 0 {
        let mut i = 0;
        while i < ops.len() && budget > 0 {
            let end = (i + chunk).min(ops.len());
            let mut cand = ops.clone();
            cand.drain(i..end);
            budget -= 1;
            if !cand.is_empty() && replay(&cand).is_err() {
                ops = cand;
            } else {
                i += chunk;
            }
        }
        chunk /= 2;
    }
    // Cut what follows the first failure.
    if let Err((i, _)) = replay(&ops) {
        ops.truncate(i + 1);
    }
    ops
}
