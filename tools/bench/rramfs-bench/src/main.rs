//! rramfs benchmarks, run inside the test VM by tools/bench.sh.
//!
//!     rramfs-bench [--quick] [--mode icount|wallclock] [--case PREFIX]
//!                  [--attrib FILE] NAME=DIR...
//!
//! Each NAME=DIR is a contender: a directory on a mounted filesystem
//! (rramfs, rramfs-always, ramfs, tmpfs; the names are used for ratios).
//! Every case runs every contender interleaved (A B C A B C ...) for several
//! repetitions and reports the median (and min/max) cost per operation in
//! nanoseconds of guest time; under QEMU's `-icount shift=0` a guest
//! nanosecond is one guest instruction.  Nothing here asserts on speed.
//!
//! `--attrib FILE` (tools/bench/attrib.sh): one repetition, each measured
//! loop between two markers that the QEMU plugin
//! tools/bench/attrib/insn-count.c watches for; FILE gets, per loop, the
//! plugin's phase number, the case, the contender and the operations.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

struct Opts {
    quick: bool,
    /// Only the cases whose name starts with this (and no floors).
    only: Option<String>,
    mode: String,
    /// Where `--attrib` writes the loops' phases.
    attrib: Option<String>,
    contenders: Vec<(String, String)>,
}

/// Whether measured loops are marked for the attribution plugin.
static ATTRIB: AtomicBool = AtomicBool::new(false);
/// Markers executed so far: the plugin's phase number is this plus one
/// after each marker.
static MARKS: AtomicUsize = AtomicUsize::new(0);
/// The marked loops, in order: (the plugin's phase, operations).
static LOOPS: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());

/// Executes the marker instruction and returns how many came before it.
/// The encoding, "nopw 0x4d415252(%rax,%rax,1)", is a no-op that no
/// compiler emits; the plugin matches its bytes.
fn mark() -> usize {
    // SAFETY: A no-op: its memory operand is never accessed.
    unsafe {
        std::arch::asm!(
            "nopw 0x4d415252(%rax,%rax,1)",
            options(att_syntax, nostack, preserves_flags)
        )
    };
    MARKS.fetch_add(1, Ordering::Relaxed)
}

/// One measured figure: cost per operation over the repetitions.
struct Figure {
    case: String,
    who: String,
    samples: Vec<f64>,
}

impl Figure {
    fn median(&self) -> f64 {
        let mut v = self.samples.clone();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    }
    fn min(&self) -> f64 {
        self.samples.iter().cloned().fold(f64::INFINITY, f64::min)
    }
    fn max(&self) -> f64 {
        self.samples.iter().cloned().fold(0.0, f64::max)
    }
}

fn cpath(p: &str) -> CString {
    CString::new(p).unwrap()
}

fn open(p: &str, flags: i32) -> i32 {
    // SAFETY: Valid path.
    let fd = unsafe { libc::open(cpath(p).as_ptr(), flags | libc::O_CREAT, 0o644) };
    assert!(fd >= 0, "open {p}: {}", std::io::Error::last_os_error());
    fd
}

/// A page-aligned buffer (O_DIRECT needs one), filled with a pattern.
fn aligned(len: usize) -> *mut u8 {
    // SAFETY: Anonymous mapping of `len` bytes.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len.max(4096),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
            -1,
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED);
    // SAFETY: Writable and `len` long.
    unsafe { std::ptr::write_bytes(p.cast::<u8>(), 0xa5, len) };
    p.cast()
}

/// Times `ops` calls of `f` and returns nanoseconds per call.
fn per_op(ops: usize, mut f: impl FnMut(usize)) -> f64 {
    let attrib = ATTRIB.load(Ordering::Relaxed);
    // The markers go inside the timed span, so that the phase holds the
    // loop and not the clock reads (the first of which faults in the vDSO
    // data): two no-ops more in the figure.
    let t = Instant::now();
    let phase = if attrib { mark() + 1 } else { 0 };
    for i in 0..ops {
        f(i);
    }
    if attrib {
        mark();
    }
    let ns = t.elapsed().as_nanos() as f64 / ops as f64;
    if attrib {
        LOOPS.lock().unwrap().push((phase, ops));
    }
    ns
}

/// Runs `f` on a new file `name` in `dir` and a page-aligned 4 KiB
/// buffer, then removes both.
fn with_file(dir: &str, name: &str, f: impl FnOnce(i32, *mut u8) -> f64) -> f64 {
    let p = format!("{dir}/{name}");
    let fd = open(&p, libc::O_RDWR | libc::O_TRUNC);
    let buf = aligned(4096);
    let r = f(fd, buf);
    // SAFETY: Our fd, file and mapping.
    unsafe {
        libc::close(fd);
        libc::unlink(cpath(&p).as_ptr());
        libc::munmap(buf.cast(), 4096);
    }
    r
}

/// pwrite of `size` bytes at offset 0 of a cached file, `ops` times (the
/// will-it-scale pwrite1 shape).
fn pwrite1(dir: &str, size: usize, ops: usize) -> f64 {
    with_file(dir, "pwrite1", |fd, buf| {
        // SAFETY: Valid fd and buffer; warm the page cache first.
        unsafe { libc::pwrite(fd, buf.cast(), 4096, 0) };
        // SAFETY: As above.
        per_op(ops, |_| unsafe {
            libc::pwrite(fd, buf.cast(), size, 0);
        })
    })
}

/// Writes of `size` bytes appending to a new file until `total` bytes.
fn stream(dir: &str, size: usize, total: usize, direct: bool) -> f64 {
    let p = format!("{dir}/stream");
    let flags = libc::O_RDWR | libc::O_TRUNC | if direct { libc::O_DIRECT } else { 0 };
    let fd = open(&p, flags);
    let buf = aligned(size);
    let ops = total / size;
    // SAFETY: Valid fd and buffer.
    let r = per_op(ops, |i| unsafe {
        let n = libc::pwrite(fd, buf.cast(), size, (i * size) as i64);
        assert_eq!(
            n,
            size as isize,
            "write: {}",
            std::io::Error::last_os_error()
        );
    });
    // SAFETY: Plain syscalls.
    unsafe {
        libc::close(fd);
        libc::unlink(cpath(&p).as_ptr());
        libc::munmap(buf.cast(), size.max(4096));
    }
    r
}

/// Sequential `write`s of `size` bytes, back to offset 0 at 1 MiB (the
/// will-it-scale write1 shape: `write`, not `pwrite`, so the file
/// position moves).
fn write1(dir: &str, size: usize, ops: usize) -> f64 {
    const FILESIZE: usize = 1 << 20;
    with_file(dir, "write1", |fd, buf| {
        let mut at = 0usize;
        // SAFETY: Valid fd and buffer.
        per_op(ops, |_| unsafe {
            if at + size > FILESIZE {
                libc::lseek(fd, 0, libc::SEEK_SET);
                at = 0;
            }
            assert_eq!(libc::write(fd, buf.cast(), size), size as isize);
            at += size;
        })
    })
}

/// `pread` of `size` bytes at offset 0 of a cached file (will-it-scale
/// pread1).
fn pread1(dir: &str, size: usize, ops: usize) -> f64 {
    with_file(dir, "pread1", |fd, buf| {
        // SAFETY: Valid fd and buffer; the page is cached from here on.
        unsafe { libc::pwrite(fd, buf.cast(), 4096, 0) };
        // SAFETY: As above.
        per_op(ops, |_| unsafe {
            assert_eq!(libc::pread(fd, buf.cast(), size, 0), size as isize);
        })
    })
}

/// Write faults through a shared mapping of a `pages`-page file, one store
/// per page, cost per page.  `clean`: the file holds data and every page
/// was read through the mapping first, so each store is a write-protect
/// fault on a cached page (`page_mkwrite` where the filesystem has one);
/// otherwise the file is a hole and each store is its page's first touch.
fn mmap_write_faults(dir: &str, pages: usize, clean: bool) -> f64 {
    let p = format!("{dir}/mmapfault");
    let fd = open(&p, libc::O_RDWR | libc::O_TRUNC);
    let len = pages * 4096;
    // SAFETY: Valid fd; a shared mapping of `len` bytes of the file.
    let map = unsafe {
        if clean {
            let buf = aligned(1 << 20);
            for off in (0..len).step_by(1 << 20) {
                libc::pwrite(fd, buf.cast(), (1 << 20).min(len - off), off as i64);
            }
            libc::munmap(buf.cast(), 1 << 20);
        } else {
            assert_eq!(libc::ftruncate(fd, len as i64), 0);
        }
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        )
    };
    assert_ne!(map, libc::MAP_FAILED);
    let base = map.cast::<u8>();
    if clean {
        for i in 0..pages {
            // SAFETY: Inside the mapping.
            std::hint::black_box(unsafe { base.add(i * 4096).read_volatile() });
        }
    }
    // SAFETY: Inside the mapping.
    let r = per_op(pages, |i| unsafe { base.add(i * 4096).write_volatile(1) });
    // SAFETY: Our mapping and fd.
    unsafe {
        libc::munmap(map, len);
        libc::close(fd);
        libc::unlink(cpath(&p).as_ptr());
    }
    r
}

/// Reads of `size` bytes over a file of `total` bytes written first.
fn read_back(dir: &str, size: usize, total: usize, direct: bool) -> f64 {
    let p = format!("{dir}/readback");
    let fd = open(&p, libc::O_RDWR | libc::O_TRUNC);
    let buf = aligned(size);
    for i in 0..total / size {
        // SAFETY: Valid fd and buffer.
        unsafe { libc::pwrite(fd, buf.cast(), size, (i * size) as i64) };
    }
    // SAFETY: Plain syscall.
    unsafe { libc::close(fd) };
    let fd = open(&p, libc::O_RDONLY | if direct { libc::O_DIRECT } else { 0 });
    // SAFETY: Valid fd and buffer.
    let r = per_op(total / size, |i| unsafe {
        let n = libc::pread(fd, buf.cast(), size, (i * size) as i64);
        assert_eq!(n, size as isize);
    });
    // SAFETY: Plain syscalls.
    unsafe {
        libc::close(fd);
        libc::unlink(cpath(&p).as_ptr());
        libc::munmap(buf.cast(), size.max(4096));
    }
    r
}

fn floor_getppid(ops: usize) -> f64 {
    // SAFETY: Plain syscall.
    per_op(ops, |_| unsafe {
        libc::getppid();
    })
}

fn floor_memcpy(size: usize, ops: usize) -> f64 {
    let src = aligned(size);
    let dst = aligned(size);
    // SAFETY: Both buffers are `size` long and distinct.
    let r = per_op(ops, |_| unsafe {
        std::ptr::copy_nonoverlapping(src, dst, size);
        std::hint::black_box(dst);
    });
    // SAFETY: Our mappings.
    unsafe {
        libc::munmap(src.cast(), size.max(4096));
        libc::munmap(dst.cast(), size.max(4096));
    }
    r
}

/// Two threads, each doing `f` on its own file in `dir`, concurrently.
fn two_threads(dir: &str, f: fn(&str) -> f64) -> f64 {
    let (a, b) = (format!("{dir}/t1"), format!("{dir}/t2"));
    for d in [&a, &b] {
        std::fs::create_dir_all(d).unwrap();
    }
    let t = std::thread::spawn(move || f(&b));
    let x = f(&a);
    let y = t.join().unwrap();
    (x + y) / 2.0
}

fn parse() -> Opts {
    let mut o = Opts {
        quick: false,
        only: None,
        mode: "wallclock".into(),
        attrib: None,
        contenders: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--case" => o.only = args.next(),
            "--mode" => o.mode = args.next().expect("--mode icount|wallclock"),
            "--attrib" => o.attrib = Some(args.next().expect("--attrib FILE")),
            _ => {
                let (n, d) = a.split_once('=').expect("NAME=DIR");
                o.contenders.push((n.into(), d.into()));
            }
        }
    }
    o
}

fn main() {
    let o = parse();
    ATTRIB.store(o.attrib.is_some(), Ordering::Relaxed);
    let mut attrib_lines = String::new();
    let reps = if o.quick || o.attrib.is_some() { 1 } else { 5 };
    let small_ops = if o.quick { 200 } else { 20_000 };
    let stream_total: usize = if o.quick { 4 << 20 } else { 128 << 20 };
    let dio_total: usize = if o.quick { 2 << 20 } else { 64 << 20 };
    let dir_of = |n: &str| {
        o.contenders
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, d)| d.clone())
    };
    let all: Vec<String> = o.contenders.iter().map(|(n, _)| n.clone()).collect();
    let buffered: Vec<String> = all
        .iter()
        .filter(|n| !n.ends_with("-dio"))
        .cloned()
        .collect();

    type Case = (String, Vec<String>, Box<dyn Fn(&str) -> f64>);
    let mut cases: Vec<Case> = Vec::new();
    for size in [1usize, 64, 512, 4096] {
        cases.push((
            format!("pwrite1 {size} B"),
            buffered.clone(),
            Box::new(move |d: &str| pwrite1(d, size, small_ops)),
        ));
    }
    for size in [1usize, 4096] {
        cases.push((
            format!("write1 {size} B"),
            buffered.clone(),
            Box::new(move |d: &str| write1(d, size, small_ops)),
        ));
    }
    for size in [1usize, 4096] {
        cases.push((
            format!("pread1 {size} B"),
            buffered.clone(),
            Box::new(move |d: &str| pread1(d, size, small_ops)),
        ));
    }
    let fault_pages = if o.quick { 64 } else { 4096 };
    cases.push((
        "mmap write fault, hole".into(),
        buffered.clone(),
        Box::new(move |d: &str| mmap_write_faults(d, fault_pages, false)),
    ));
    cases.push((
        "mmap write fault, clean".into(),
        buffered.clone(),
        Box::new(move |d: &str| mmap_write_faults(d, fault_pages, true)),
    ));
    for size in [64usize << 10, 1 << 20] {
        let label = if size == 1 << 20 {
            "1 MiB".to_string()
        } else {
            format!("{} KiB", size >> 10)
        };
        cases.push((
            format!("stream write {label}"),
            buffered.clone(),
            Box::new(move |d: &str| stream(d, size, stream_total, false)),
        ));
    }
    // Direct I/O: rramfs and tmpfs O_DIRECT, rramfs buffered as reference.
    let dio_who: Vec<String> = ["rramfs", "tmpfs"]
        .iter()
        .filter(|n| dir_of(n).is_some())
        .map(|n| n.to_string())
        .collect();
    for size in [4096usize, 1 << 20] {
        let label = if size == 1 << 20 {
            "1 MiB".to_string()
        } else {
            "4 KiB".to_string()
        };
        let mut who: Vec<String> = dio_who.iter().map(|n| format!("{n}-dio")).collect();
        who.push("rramfs".into());
        cases.push((
            format!("O_DIRECT write {label}"),
            who.clone(),
            Box::new(move |d: &str| {
                let direct = d.ends_with("#dio");
                stream(d.trim_end_matches("#dio"), size, dio_total, direct)
            }),
        ));
        cases.push((
            format!("O_DIRECT read {label}"),
            who,
            Box::new(move |d: &str| {
                let direct = d.ends_with("#dio");
                read_back(d.trim_end_matches("#dio"), size, dio_total, direct)
            }),
        ));
    }
    if o.mode == "wallclock" {
        cases.push((
            "2 threads pwrite1 4 KiB".into(),
            buffered.clone(),
            Box::new(move |d: &str| two_threads(d, |d| pwrite1(d, 4096, 20_000))),
        ));
        cases.push((
            "2 threads stream 1 MiB".into(),
            buffered.clone(),
            Box::new(move |d: &str| two_threads(d, |d| stream(d, 1 << 20, 64 << 20, false))),
        ));
    }

    let mut figures: Vec<Figure> = Vec::new();
    let resolve = |who: &str| -> Option<String> {
        match who.strip_suffix("-dio") {
            Some(base) => dir_of(base).map(|d| format!("{d}#dio")),
            None => dir_of(who),
        }
    };
    for (case, who, f) in &cases {
        if o.only
            .as_ref()
            .is_some_and(|p| !case.starts_with(p.as_str()))
        {
            continue;
        }
        let mut per: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for _ in 0..reps {
            for w in who {
                if let Some(d) = resolve(w) {
                    per.entry(w.clone()).or_default().push(f(&d));
                    // The loop f just ran, if it was marked.
                    if let Some((phase, ops)) = LOOPS.lock().unwrap().pop() {
                        writeln!(attrib_lines, "{phase}\t{case}\t{w}\t{ops}").unwrap();
                    }
                }
            }
        }
        for w in who {
            if let Some(s) = per.remove(w) {
                figures.push(Figure {
                    case: case.clone(),
                    who: w.clone(),
                    samples: s,
                });
            }
        }
        eprintln!("bench: {case} done");
    }
    if let Some(path) = &o.attrib {
        std::fs::write(path, &attrib_lines).unwrap();
    }
    // Reference floors.
    let mut floors = Vec::new();
    if o.only.is_none() && o.attrib.is_none() {
        floors.push(Figure {
            case: "floor getppid".into(),
            who: "syscall".into(),
            samples: (0..reps).map(|_| floor_getppid(small_ops)).collect(),
        });
        for size in [1usize, 64, 512, 4096, 65536, 1 << 20] {
            floors.push(Figure {
                case: format!("floor memcpy {size} B"),
                who: "user".into(),
                samples: (0..reps)
                    .map(|_| floor_memcpy(size, if size >= 65536 { 200 } else { small_ops }))
                    .collect(),
            });
        }
    }

    let unit = if o.mode == "icount" {
        "guest instructions (icount ns)"
    } else {
        "ns, wall clock"
    };
    let mut out = String::new();
    writeln!(out, "rramfs benchmark: mode {}, {} repetitions{}; figures per operation in {unit}: median [min-max]", o.mode, reps, if o.quick { " (--quick: tiny counts, figures not meaningful)" } else { "" }).unwrap();
    writeln!(out).unwrap();
    writeln!(
        out,
        "{:<26} {:<16} {:>14} {:>22}",
        "case", "contender", "median", "[min - max]"
    )
    .unwrap();
    for f in figures.iter().chain(floors.iter()) {
        writeln!(
            out,
            "{:<26} {:<16} {:>14.0} {:>22}",
            f.case,
            f.who,
            f.median(),
            format!("[{:.0} - {:.0}]", f.min(), f.max())
        )
        .unwrap();
    }
    writeln!(out).unwrap();
    writeln!(out, "ratios of medians (below 1.00: the first is cheaper)").unwrap();
    let med = |case: &str, who: &str| {
        figures
            .iter()
            .find(|f| f.case == case && f.who == who)
            .map(|f| f.median())
    };
    let mut seen = Vec::new();
    for f in &figures {
        if seen.contains(&f.case) {
            continue;
        }
        seen.push(f.case.clone());
        let mut line = format!("{:<26}", f.case);
        for (a, b) in [
            ("rramfs", "ramfs"),
            ("rramfs", "tmpfs"),
            ("rramfs", "rramfs-always"),
            ("rramfs-dio", "rramfs"),
            ("rramfs-dio", "tmpfs-dio"),
        ] {
            if let (Some(x), Some(y)) = (med(&f.case, a), med(&f.case, b)) {
                let name = if b == "rramfs-always" {
                    "slowpath/always".to_string()
                } else {
                    format!("{a}/{b}")
                };
                write!(line, " {name} {:.3}", x / y).unwrap();
            }
        }
        writeln!(out, "{line}").unwrap();
    }
    print!("{out}");
}
