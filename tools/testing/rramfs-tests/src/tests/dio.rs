//! O_DIRECT: data, semantics, alignment, sources that are mmaps of rramfs
//! files (same file, the ABBA pair), and sources that must not be pinned
//! (splice, sendfile, io_uring fixed buffers, the loop driver).

use crate::harness::{skip, TestResult};
use crate::util::*;
use crate::{ensure, ensure_eq};
use std::os::unix::fs::MetadataExt;

crate::tests![
    open_and_statx_dioalign,
    roundtrip_and_holes,
    short_read_at_eof,
    semantics_append_suid_times,
    misaligned_is_einval,
    dio_align_1_accepts_any,
    bad_buffers_efault,
    huge_length_is_bounded,
    write_from_same_file_mapping,
    read_into_same_file_mapping,
    abba_mmap_pair_no_deadlock => 600,
    splice_and_sendfile_not_pinned,
    io_uring_fixed_buffers_not_pinned,
    loop_device_direct_io_ext4 => 900,
    mixed_dio_buffered_mmap => 600,
    append_writers_lose_nothing => 900,
    write_is_atomic_against_writers => 900,
    short_write_on_enospc,
    reverse_copy_failure_keeps_size,
    overlap_seen_on_a_later_page,
    read_into_same_page_overlapping,
    append_ignores_descriptor_position,
];

fn dopen(m: &Mount, name: &str, extra: i32) -> Result<i32, String> {
    open(
        &m.path(name),
        libc::O_RDWR | libc::O_CREAT | libc::O_DIRECT | extra,
        0o644,
    )
    .map_err(|e| format!("open O_DIRECT: errno {e}"))
}

fn fill(map: &Map, seed: u64) -> Vec<u8> {
    let d = pattern(seed, 0, map.len);
    // SAFETY: Writable mapping of `len` bytes.
    unsafe { std::ptr::copy_nonoverlapping(d.as_ptr(), map.ptr, map.len) };
    d
}

fn dread(fd: i32, map: &Map, len: usize, off: i64) -> Result<usize, i32> {
    // SAFETY: `map` is writable and at least `len` long (callers ensure).
    check(unsafe { libc::pread(fd, map.ptr.cast(), len, off) }).map(|n| n as usize)
}

fn open_and_statx_dioalign() -> TestResult {
    let m = Mount::new("")?;
    let fd = dopen(&m, "f", 0)?;
    let stx = statx(&m.path("f"), libc::STATX_DIOALIGN)?;
    ensure!(
        stx.stx_mask & libc::STATX_DIOALIGN != 0,
        "STATX_DIOALIGN not reported"
    );
    ensure_eq!(stx.stx_dio_mem_align, 512);
    ensure_eq!(stx.stx_dio_offset_align, 512);
    close(fd);
    let m1 = Mount::new("dio_align=1")?;
    let fd = dopen(&m1, "f", 0)?;
    let stx = statx(&m1.path("f"), libc::STATX_DIOALIGN)?;
    ensure_eq!(stx.stx_dio_offset_align, 1);
    close(fd);
    Ok(())
}

fn roundtrip_and_holes() -> TestResult {
    let m = Mount::new("")?;
    let fd = dopen(&m, "f", 0)?;
    let src = anon(1 << 20)?;
    let data = fill(&src, 21);
    let before = m.stats()?;
    ensure_eq!(pwrite(fd, src.ptr, 1 << 20, 2 << 20), Ok(1 << 20));
    let after = m.stats()?;
    ensure_eq!(after.delta(&before, "dio_calls"), 1);
    ensure_eq!(
        after.delta(&before, "write_calls"),
        0,
        "O_DIRECT took the buffered path"
    );
    ensure_eq!(after.delta(&before, "dio_pages_pinned"), 256);
    ensure_eq!(after.delta(&before, "dio_pages_unpinned"), 256);
    let dst = anon(3 << 20)?;
    ensure_eq!(dread(fd, &dst, 3 << 20, 0), Ok(3 << 20));
    ensure!(
        dst.slice()[..2 << 20].iter().all(|&b| b == 0),
        "hole not zero"
    );
    ensure!(dst.slice()[2 << 20..] == data[..], "data mismatch");
    // Buffered readers see DIO writes (the cache is the storage).
    let b = open(&m.path("f"), libc::O_RDONLY, 0).map_err(|e| e.to_string())?;
    ensure!(
        read_at(b, 2 << 20, 1 << 20)? == data,
        "buffered read differs"
    );
    ensure_eq!(std::fs::metadata(m.path("f")).unwrap().len(), 3 << 20);
    close(b);
    close(fd);
    Ok(())
}

fn short_read_at_eof() -> TestResult {
    let m = Mount::new("")?;
    let fd = dopen(&m, "f", 0)?;
    let src = anon(PAGE)?;
    fill(&src, 22);
    ensure_eq!(pwrite(fd, src.ptr, 1024, 0), Ok(1024));
    let dst = anon(4 * PAGE)?;
    ensure_eq!(dread(fd, &dst, 4 * PAGE, 0), Ok(1024), "short read at EOF");
    ensure_eq!(dread(fd, &dst, 512, 1024), Ok(0), "read at EOF");
    ensure_eq!(dread(fd, &dst, 512, 1 << 30), Ok(0), "read past EOF");
    close(fd);
    Ok(())
}

fn semantics_append_suid_times() -> TestResult {
    let m = Mount::new("")?;
    let fd = dopen(&m, "f", libc::O_APPEND)?;
    let src = anon(PAGE)?;
    fill(&src, 23);
    ensure_eq!(pwrite(fd, src.ptr, 512, 0), Ok(512));
    ensure_eq!(pwrite(fd, src.ptr, 512, 0), Ok(512));
    ensure_eq!(
        std::fs::metadata(m.path("f")).unwrap().len(),
        1024,
        "O_APPEND DIO did not append"
    );
    close(fd);
    // suid is cleared by an unprivileged owner's DIO write.
    let p = m.path("g");
    std::fs::write(&p, vec![0u8; 4096]).map_err(|e| e.to_string())?;
    std::os::unix::fs::chown(&p, Some(1000), Some(1000)).map_err(|e| e.to_string())?;
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o6775))
        .map_err(|e| e.to_string())?;
    let ptr = src.ptr as usize;
    as_user(1000, 1000, move || {
        let fd = open(&p, libc::O_WRONLY | libc::O_DIRECT, 0).map_err(|e| format!("{e}"))?;
        let r = pwrite(fd, ptr as *const u8, 512, 0);
        close(fd);
        ensure_eq!(r, Ok(512));
        Ok(())
    })?;
    ensure_eq!(
        std::fs::metadata(m.path("g")).unwrap().mode() & 0o7777,
        0o775
    );
    // RLIMIT_FSIZE applies.
    let fd = dopen(&m, "h", 0)?;
    let ok = with_fsize_limit(1024, || {
        pwrite(fd, src.ptr, 2048, 0) == Ok(1024)
            && pwrite(fd, src.ptr, 512, 1024) == Err(libc::EFBIG)
    });
    ensure!(ok, "RLIMIT_FSIZE not applied to DIO");
    close(fd);
    Ok(())
}

fn misaligned_is_einval() -> TestResult {
    let m = Mount::new("")?;
    let fd = dopen(&m, "f", 0)?;
    let src = anon(2 * PAGE)?;
    fill(&src, 24);
    let before = m.stats()?;
    ensure_eq!(pwrite(fd, src.ptr, 100, 0), Err(libc::EINVAL), "length");
    ensure_eq!(pwrite(fd, src.ptr, 512, 100), Err(libc::EINVAL), "offset");
    // SAFETY: Inside the buffer.
    let misaligned = unsafe { src.ptr.add(8) };
    ensure_eq!(pwrite(fd, misaligned, 512, 0), Err(libc::EINVAL), "memory");
    ensure_eq!(dread(fd, &src, 100, 0), Err(libc::EINVAL), "read length");
    ensure_eq!(std::fs::metadata(m.path("f")).unwrap().len(), 0);
    ensure_eq!(
        m.stats()?.delta(&before, "dio_pages_pinned"),
        0,
        "pinned before refusing"
    );
    close(fd);
    Ok(())
}

fn dio_align_1_accepts_any() -> TestResult {
    let m = Mount::new("dio_align=1")?;
    let fd = dopen(&m, "f", 0)?;
    let src = anon(2 * PAGE)?;
    let data = fill(&src, 25);
    // SAFETY: Inside the buffer.
    ensure_eq!(pwrite(fd, unsafe { src.ptr.add(3) }, 4999, 7), Ok(4999));
    let got = read_at(fd, 7, 4999)?;
    ensure!(got == data[3..5002], "unaligned DIO data wrong");
    close(fd);
    Ok(())
}

fn bad_buffers_efault() -> TestResult {
    let m = Mount::new("")?;
    let fd = dopen(&m, "f", 0)?;
    let map = anon(PAGE)?;
    let p = map.ptr;
    drop(map);
    ensure_eq!(pwrite(fd, p, 512, 0), Err(libc::EFAULT));
    let none = Map::new(
        PAGE,
        libc::PROT_NONE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
        0,
    )?;
    ensure_eq!(pwrite(fd, none.ptr, 512, 0), Err(libc::EFAULT));
    // A read into a read-only mapping cannot be pinned for writing.
    let ro = Map::new(
        PAGE,
        libc::PROT_READ,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
        0,
    )?;
    let src = anon(PAGE)?;
    fill(&src, 26);
    ensure_eq!(pwrite(fd, src.ptr, PAGE, 0), Ok(PAGE));
    // SAFETY: The kernel must refuse to write into the read-only mapping.
    let r = check(unsafe { libc::pread(fd, ro.ptr.cast(), 512, 0) });
    ensure_eq!(r, Err(libc::EFAULT));
    ensure_eq!(std::fs::metadata(m.path("f")).unwrap().len(), PAGE as u64);
    close(fd);
    Ok(())
}

fn huge_length_is_bounded() -> TestResult {
    let m = Mount::new("")?;
    let fd = dopen(&m, "f", 0)?;
    // A request of up to 1 TiB from a 1 MiB buffer followed by a hole: the
    // write stops at the hole, in bounded work, with what came before it.
    let buf = anon(2 << 20)?;
    fill(&buf, 27);
    // SAFETY: Unmapping the second half of our own mapping.
    let r = unsafe { libc::munmap(buf.ptr.add(1 << 20).cast(), 1 << 20) };
    ensure_eq!(r, 0);
    // As large as the VFS lets through: a range that ends past the top of
    // the user address space fails access_ok() with EFAULT before any
    // filesystem sees it.  With 4-level paging the top is 2^47 minus a
    // page, and mmap() puts `buf` within a few TiB of it; 5-level paging
    // only raises the top.
    let huge = ((1usize << 47) - PAGE - buf.ptr as usize).min(1 << 40);
    ensure!(
        huge >= 1 << 30,
        "buffer at {:p}: no huge range above it",
        buf.ptr
    );
    ensure_eq!(pwrite(fd, buf.ptr, huge, 0), Ok(1 << 20));
    // And a huge read of a small file returns what is there.
    let small = dopen(&m, "small", 0)?;
    ensure_eq!(pwrite(small, buf.ptr, 512, 0), Ok(512));
    ensure_eq!(dread(small, &buf, 1 << 20, 0), Ok(512));
    let before = m.stats()?;
    // SAFETY: The kernel stops at EOF before touching memory past the buffer.
    let r = check(unsafe { libc::pread(small, buf.ptr.cast(), huge, 0) });
    ensure_eq!(r, Ok(512));
    ensure!(
        m.stats()?.delta(&before, "dio_pages_pinned") <= 1,
        "pinned past EOF"
    );
    close(small);
    close(fd);
    Ok(())
}

fn write_from_same_file_mapping() -> TestResult {
    let m = Mount::new("")?;
    let fd = dopen(&m, "f", 0)?;
    let src = anon(16 * PAGE)?;
    let orig = fill(&src, 28);
    ensure_eq!(pwrite(fd, src.ptr, 16 * PAGE, 0), Ok(16 * PAGE));
    let map = Map::new(
        16 * PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        fd,
        0,
    )?;
    let bfd = open(&m.path("f"), libc::O_RDONLY, 0).map_err(|e| e.to_string())?;
    let mut expect = orig.clone();
    for round in 0..3 {
        // SAFETY: Advising our mapping: the pin must fault the pages in.
        unsafe { libc::madvise(map.ptr.cast(), map.len, libc::MADV_DONTNEED) };
        // The exact destination range: pages written onto themselves.
        ensure_eq!(
            pwrite(fd, map.ptr, 4 * PAGE, 0),
            Ok(4 * PAGE),
            "round {round}"
        );
        // Overlapping ranges: pages 2..6 onto 4..8.
        // SAFETY: Inside the mapping.
        let page2 = unsafe { map.ptr.add(2 * PAGE) };
        ensure_eq!(pwrite(fd, page2, 4 * PAGE, (4 * PAGE) as i64), Ok(4 * PAGE));
        expect.copy_within(2 * PAGE..6 * PAGE, 4 * PAGE);
        // A range onto a later part of the file, growing it.
        ensure_eq!(
            pwrite(fd, map.ptr, 8 * PAGE, (16 * PAGE) as i64),
            Ok(8 * PAGE)
        );
        if round == 0 {
            expect.extend_from_within(..8 * PAGE);
        } else {
            let head = expect[..8 * PAGE].to_vec();
            expect[16 * PAGE..24 * PAGE].copy_from_slice(&head);
        }
        let got = read_at(bfd, 0, 24 * PAGE)?;
        ensure!(got == expect, "data wrong after round {round}");
    }
    close(bfd);
    close(fd);
    Ok(())
}

fn read_into_same_file_mapping() -> TestResult {
    let m = Mount::new("")?;
    let fd = dopen(&m, "f", 0)?;
    let src = anon(8 * PAGE)?;
    let orig = fill(&src, 29);
    ensure_eq!(pwrite(fd, src.ptr, 8 * PAGE, 0), Ok(8 * PAGE));
    let map = Map::new(
        8 * PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        fd,
        0,
    )?;
    let bfd = open(&m.path("f"), libc::O_RDONLY, 0).map_err(|e| e.to_string())?;
    // SAFETY: Advising our mapping.
    unsafe { libc::madvise(map.ptr.cast(), map.len, libc::MADV_DONTNEED) };
    // Pages 0..4 of the file read into pages 4..8 of its own mapping.
    // SAFETY: Inside the writable mapping.
    let r = check(unsafe { libc::pread(fd, map.ptr.add(4 * PAGE).cast(), 4 * PAGE, 0) });
    ensure_eq!(r, Ok(4 * PAGE as isize));
    let mut expect = orig.clone();
    expect.copy_within(0..4 * PAGE, 4 * PAGE);
    ensure!(
        read_at(bfd, 0, 8 * PAGE)? == expect,
        "read into own mapping wrong"
    );
    // Into a read-only mapping of the file: EFAULT, file untouched.
    let ro = Map::new(8 * PAGE, libc::PROT_READ, libc::MAP_SHARED, fd, 0)?;
    // SAFETY: The kernel must refuse.
    let r = check(unsafe { libc::pread(fd, ro.ptr.cast(), 4 * PAGE, 0) });
    ensure_eq!(r, Err(libc::EFAULT));
    ensure!(
        read_at(bfd, 0, 8 * PAGE)? == expect,
        "failed read changed the file"
    );
    close(bfd);
    close(fd);
    Ok(())
}

/// The ABBA pair within one batch (32 pages); see `race::abba_pair`.
fn abba_mmap_pair_no_deadlock() -> TestResult {
    super::race::abba_pair(32, 150)
}

fn splice_and_sendfile_not_pinned() -> TestResult {
    let m = Mount::new("")?;
    let data = pattern(31, 0, 256 << 10);
    std::fs::write(m.path("src"), &data).map_err(|e| e.to_string())?;
    let src = open(&m.path("src"), libc::O_RDONLY, 0).map_err(|e| e.to_string())?;
    let before = m.stats()?;
    // sendfile into an O_DIRECT file: the VFS hands it pipe pages (bvec).
    let dst = dopen(&m, "sent", 0)?;
    let mut off = 0i64;
    let mut total = 0;
    while total < data.len() {
        // SAFETY: Valid fds.
        let n = unsafe { libc::sendfile(dst, src, &mut off, data.len() - total) };
        ensure!(n > 0, "sendfile to O_DIRECT: errno {}", last_errno());
        total += n as usize;
    }
    // splice from a pipe into an O_DIRECT file.
    let dst2 = dopen(&m, "spliced", 0)?;
    splice_copy(src, dst2, data.len())?;
    let after = m.stats()?;
    ensure!(
        after.delta(&before, "dio_calls") > 0,
        "splice/sendfile did not use the DIO path"
    );
    ensure!(
        after.delta(&before, "dio_pages_unpinned_source") >= 128,
        "bvec pages not counted"
    );
    ensure_eq!(
        after.delta(&before, "dio_pages_pinned"),
        0,
        "bvec pages were pinned"
    );
    ensure_eq!(std::fs::read(m.path("sent")).unwrap(), data);
    ensure_eq!(std::fs::read(m.path("spliced")).unwrap(), data);
    close(src);
    close(dst);
    close(dst2);
    Ok(())
}

fn io_uring_fixed_buffers_not_pinned() -> TestResult {
    use io_uring::{opcode, types, IoUring};
    let m = Mount::new("")?;
    let fd = dopen(&m, "f", 0)?;
    let buf = anon(256 << 10)?;
    let data = fill(&buf, 32);
    let out = anon(256 << 10)?;
    let before = m.stats()?;
    {
        let mut ring = match IoUring::new(8) {
            Ok(r) => r,
            Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                return skip("the kernel has no io_uring");
            }
            Err(e) => return Err(format!("io_uring: {e}")),
        };
        let iov = [
            libc::iovec {
                iov_base: buf.ptr.cast(),
                iov_len: buf.len,
            },
            libc::iovec {
                iov_base: out.ptr.cast(),
                iov_len: out.len,
            },
        ];
        // SAFETY: The buffers outlive the ring's registration.
        unsafe { ring.submitter().register_buffers(&iov) }.map_err(|e| format!("register: {e}"))?;
        let w = opcode::WriteFixed::new(types::Fd(fd), buf.ptr, buf.len as u32, 0)
            .offset(0)
            .build()
            .user_data(1);
        let r = opcode::ReadFixed::new(types::Fd(fd), out.ptr, out.len as u32, 1)
            .offset(0)
            .build()
            .user_data(2);
        for e in [w, r] {
            // SAFETY: The buffers stay valid until the completion is reaped.
            unsafe { ring.submission().push(&e) }.map_err(|_| "queue full")?;
            ring.submit_and_wait(1)
                .map_err(|e| format!("submit: {e}"))?;
            let cqe = ring.completion().next().ok_or("no completion")?;
            ensure_eq!(
                cqe.result(),
                buf.len as i32,
                "io_uring op {}",
                cqe.user_data()
            );
        }
        // The ring (and its buffer registration pins) closes here.
    }
    let after = m.stats()?;
    ensure!(out.slice() == &data[..], "io_uring fixed-buffer data wrong");
    ensure_eq!(after.delta(&before, "dio_calls"), 2);
    ensure_eq!(
        after.delta(&before, "dio_pages_pinned"),
        0,
        "fixed buffers pinned again"
    );
    ensure_eq!(after.delta(&before, "dio_pages_unpinned_source"), 128);
    close(fd);
    Ok(())
}

fn loop_device_direct_io_ext4() -> TestResult {
    let m = Mount::new("")?;
    let img = m.path("disk.img");
    let f = std::fs::File::create(&img).map_err(|e| e.to_string())?;
    f.set_len(32 << 20).map_err(|e| e.to_string())?;
    drop(f);
    let before = m.stats()?;
    let (rc, dev) = sh(&format!(
        "losetup --direct-io=on -f --show {}",
        img.display()
    ));
    ensure!(rc == 0, "losetup: {dev}");
    let dev = dev.trim().to_string();
    let mnt = format!("{}/ext4", m.root().display());
    let script = format!(
        "set -e; cat /sys/block/$(basename {dev})/loop/dio | grep -q 1; \
         mkfs.ext4 -q -F {dev}; mkdir {mnt}; mount {dev} {mnt}; \
         for i in 1 2 3 4 5; do head -c 1000000 /dev/urandom > {mnt}/f$i; done; \
         sha1sum {mnt}/f* > /tmp/rramfs-loop.sum; umount {mnt}; \
         e2fsck -fn {dev}; mount {dev} {mnt}; cd / && sha1sum -c --quiet /tmp/rramfs-loop.sum; umount {mnt}"
    );
    let (rc, out) = sh(&script);
    sh(&format!("losetup -d {dev}"));
    ensure!(
        rc == 0,
        "ext4 on a direct-io loop device over rramfs: {out}"
    );
    let after = m.stats()?;
    ensure!(
        after.delta(&before, "dio_calls") > 0,
        "the loop device did not use DIO"
    );
    ensure!(
        after.delta(&before, "dio_pages_unpinned_source") > 0,
        "no bvec pages counted"
    );
    ensure_eq!(
        after.delta(&before, "dio_pages_pinned"),
        0,
        "loop's bvec pages were pinned"
    );
    Ok(())
}

fn mixed_dio_buffered_mmap() -> TestResult {
    // A small fsx: DIO, buffered and mmap reads and writes in random order;
    // every read must see the latest write.
    let m = Mount::new("")?;
    const LEN: usize = 64 * PAGE;
    let dfd = dopen(&m, "f", 0)?;
    let bfd = open(&m.path("f"), libc::O_RDWR, 0).map_err(|e| e.to_string())?;
    // SAFETY: Plain syscall.
    ensure_eq!(unsafe { libc::ftruncate(bfd, LEN as i64) }, 0);
    let map = Map::new(
        LEN,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        bfd,
        0,
    )?;
    let buf = anon(8 * PAGE)?;
    let mut model = vec![0u8; LEN];
    let mut rng = 0x1234_5678_9abc_def0u64;
    let mut next = |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    for step in 0..3000 {
        let op = next(6);
        // DIO needs 512-byte alignment; others any.
        let (off, len) = if op < 2 {
            let off = next((LEN / 512) as u64) as usize * 512;
            let len = ((next(16) as usize + 1) * 512).min(LEN - off).min(buf.len);
            (off, len)
        } else {
            let off = next(LEN as u64) as usize;
            let len = (next(3 * PAGE as u64) as usize + 1).min(LEN - off);
            (off, len)
        };
        match op {
            0 => {
                let d = pattern(step, off as u64, len);
                // SAFETY: `buf` is writable and `len <= buf.len`.
                unsafe { std::ptr::copy_nonoverlapping(d.as_ptr(), buf.ptr, len) };
                ensure_eq!(
                    pwrite(dfd, buf.ptr, len, off as i64),
                    Ok(len),
                    "step {step} dio write"
                );
                model[off..off + len].copy_from_slice(&d);
            }
            1 => {
                ensure_eq!(
                    dread(dfd, &buf, len, off as i64),
                    Ok(len),
                    "step {step} dio read"
                );
                ensure!(
                    buf.slice()[..len] == model[off..off + len],
                    "step {step}: DIO read stale at {off}+{len}"
                );
            }
            2 => {
                let d = pattern(step, off as u64, len);
                ensure_eq!(pwrite(bfd, d.as_ptr(), len, off as i64), Ok(len));
                model[off..off + len].copy_from_slice(&d);
            }
            3 => {
                ensure!(
                    read_at(bfd, off as i64, len)? == model[off..off + len],
                    "step {step}: buffered read stale"
                );
            }
            4 => {
                let d = pattern(step, off as u64, len);
                // SAFETY: Inside the writable shared mapping.
                unsafe { std::ptr::copy_nonoverlapping(d.as_ptr(), map.ptr.add(off), len) };
                model[off..off + len].copy_from_slice(&d);
            }
            _ => {
                ensure!(
                    map.slice()[off..off + len] == model[off..off + len],
                    "step {step}: mmap read stale"
                );
            }
        }
    }
    close(dfd);
    close(bfd);
    Ok(())
}

/// Two writers, each O_APPEND|O_DIRECT with eight 1 MiB writes (four
/// batches each): the file ends at 16 MiB and every 1 MiB block is one
/// whole write, in each writer's order.  A DIO write that dropped the
/// inode lock between batches lost appends here.
fn append_writers_lose_nothing() -> TestResult {
    const MB: usize = 1 << 20;
    let m = Mount::new("size=64m")?;
    let path = m.path("log");
    std::fs::write(&path, b"").map_err(|e| e.to_string())?;
    let got = concurrent_appends(
        &path,
        2,
        8,
        |_| libc::O_DIRECT,
        |w, seq| pattern(w * 100 + seq, 0, MB),
    )?;
    ensure_eq!(got.len(), 16 * MB, "appends lost");
    let mut next = [0u64; 2];
    for (i, block) in got.chunks(MB).enumerate() {
        let who = (0..2u64).find(|&w| block == &pattern(w * 100 + next[w as usize], 0, MB)[..]);
        let Some(w) = who else {
            return Err(format!("block {i} is not a whole write in order"));
        };
        next[w as usize] += 1;
    }
    ensure_eq!(next, [8, 8]);
    Ok(())
}

/// Two 1 MiB DIO writes (four batches each) to the same range, started
/// together, round after round: each is atomic against the other, so the
/// range always ends as one whole write — never batches of both.
fn write_is_atomic_against_writers() -> TestResult {
    const MB: usize = 1 << 20;
    const ROUNDS: usize = 12;
    let m = Mount::new("size=64m")?;
    let path = m.path("f");
    std::fs::write(&path, b"").map_err(|e| e.to_string())?;
    let start = std::sync::Arc::new(std::sync::Barrier::new(3));
    let done = std::sync::Arc::new(std::sync::Barrier::new(3));
    let writers: Vec<_> = (0..2u64)
        .map(|w| {
            let (path, start, done) = (path.clone(), start.clone(), done.clone());
            std::thread::spawn(move || -> Result<(), String> {
                let fd = open(&path, libc::O_WRONLY | libc::O_DIRECT, 0)
                    .map_err(|e| format!("open: {e}"))?;
                let buf = anon(MB)?;
                fill(&buf, 200 + w);
                for _ in 0..ROUNDS {
                    start.wait();
                    let r = pwrite(fd, buf.ptr, MB, 0);
                    done.wait();
                    ensure_eq!(r, Ok(MB), "writer {w}");
                }
                close(fd);
                Ok(())
            })
        })
        .collect();
    let a = pattern(200, 0, MB);
    let b = pattern(201, 0, MB);
    let bfd = open(&path, libc::O_RDONLY, 0).map_err(|e| e.to_string())?;
    let mut torn = 0;
    for _ in 0..ROUNDS {
        start.wait();
        done.wait();
        let got = read_at(bfd, 0, MB)?;
        if got != a && got != b {
            torn += 1;
        }
    }
    close(bfd);
    for t in writers {
        t.join().map_err(|_| "writer panicked")??;
    }
    ensure_eq!(torn, 0, "rounds where the range mixes both writes");
    Ok(())
}

/// A DIO write that runs out of space mid-way returns what it wrote, with
/// that data in place, through pwrite and through io_uring (which retries
/// a short write from the iterator, in a worker).  That the iterator is
/// reverted to what was written only shows if such a retry then succeeds,
/// which a test cannot time; this checks the count and the data.
fn short_write_on_enospc() -> TestResult {
    use io_uring::{opcode, types, IoUring};
    let m = Mount::new("size=1m")?;
    let buf = anon(2 << 20)?;
    let data = fill(&buf, 44);
    let fd = dopen(&m, "a", 0)?;
    let n = pwrite(fd, buf.ptr, 2 << 20, 0).map_err(|e| format!("pwrite: errno {e}"))?;
    ensure!(n > 0 && n <= 1 << 20, "short write wrote {n}");
    let bfd = open(&m.path("a"), libc::O_RDONLY, 0).map_err(|e| e.to_string())?;
    ensure!(
        read_at(bfd, 0, 2 << 20)? == data[..n],
        "short write data wrong"
    );
    ensure_eq!(fsize(fd), n as i64);
    close(bfd);
    // Free the space again, then the same through io_uring.
    ensure_eq!(ftruncate(fd, 0), Ok(()));
    let mut ring = match IoUring::new(4) {
        Ok(r) => r,
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => return skip("no io_uring"),
        Err(e) => return Err(format!("io_uring: {e}")),
    };
    let w = opcode::Write::new(types::Fd(fd), buf.ptr, 2 << 20)
        .offset(0)
        .build()
        .user_data(1);
    // SAFETY: The buffer outlives the completion.
    unsafe { ring.submission().push(&w) }.map_err(|_| "queue full")?;
    ring.submit_and_wait(1)
        .map_err(|e| format!("submit: {e}"))?;
    let cqe = ring.completion().next().ok_or("no completion")?;
    ensure_eq!(cqe.result(), n as i32, "io_uring short write");
    ensure_eq!(fsize(fd), n as i64);
    let bfd = open(&m.path("a"), libc::O_RDONLY, 0).map_err(|e| e.to_string())?;
    ensure!(
        read_at(bfd, 0, 2 << 20)? == data[..n],
        "io_uring short write data wrong"
    );
    close(bfd);
    close(fd);
    Ok(())
}

/// A DIO write whose source is a mapping of the same file lying before the
/// destination is copied from the end; when that copy fails (ENOSPC after
/// some pages), the call fails and the file keeps its size and blocks.
fn reverse_copy_failure_keeps_size() -> TestResult {
    // 8 pages of data, room for 2 more.
    let m = Mount::new("size=40k")?;
    let fd = dopen(&m, "f", 0)?;
    let src = anon(8 * PAGE)?;
    let orig = fill(&src, 45);
    ensure_eq!(pwrite(fd, src.ptr, 8 * PAGE, 0), Ok(8 * PAGE));
    let used = m.stats()?.get("blocks_used");
    let map = Map::new(8 * PAGE, libc::PROT_READ, libc::MAP_SHARED, fd, 0)?;
    // Pages 0..8 onto 4..12: pages 8..12 are new, and only two fit.
    let r = pwrite(fd, map.ptr, 8 * PAGE, 4 * PAGE as i64);
    ensure_eq!(r, Err(libc::ENOSPC));
    ensure_eq!(fsize(fd), 8 * PAGE as i64, "a failed write grew the file");
    ensure_eq!(
        m.stats()?.get("blocks_used"),
        used,
        "a failed write kept blocks"
    );
    let bfd = open(&m.path("f"), libc::O_RDONLY, 0).map_err(|e| e.to_string())?;
    ensure!(
        read_at(bfd, 0, 16 * PAGE)? == orig,
        "a failed write changed the data"
    );
    close(bfd);
    close(fd);
    Ok(())
}

/// The overlap between source and destination is found on any page of the
/// source, not only its first: one buffer whose first page is anonymous
/// and whose next four are a mapping of the file (one batch), written over
/// a range those four lie before.
fn overlap_seen_on_a_later_page() -> TestResult {
    let m = Mount::new("")?;
    let fd = dopen(&m, "f", 0)?;
    let src = anon(4 * PAGE)?;
    let orig = fill(&src, 46);
    ensure_eq!(pwrite(fd, src.ptr, 4 * PAGE, 0), Ok(4 * PAGE));
    // Five pages of anonymous memory, the last four replaced by the file.
    let buf = anon(5 * PAGE)?;
    let first = pattern(47, 0, PAGE);
    // SAFETY: Writable anonymous mapping of 5 pages.
    unsafe { std::ptr::copy_nonoverlapping(first.as_ptr(), buf.ptr, PAGE) };
    // SAFETY: Replaces pages 1..5 of our own mapping (MAP_FIXED).
    let p = unsafe {
        libc::mmap(
            buf.ptr.add(PAGE).cast(),
            4 * PAGE,
            libc::PROT_READ,
            libc::MAP_SHARED | libc::MAP_FIXED,
            fd,
            0,
        )
    };
    ensure!(p != libc::MAP_FAILED, "mmap fixed: errno {}", last_errno());
    // File [0, 4) pages, behind the anonymous page, onto [2, 7): copied
    // forward, the file's own page 2 would be rewritten (with the
    // anonymous page) before it is read.
    ensure_eq!(pwrite(fd, buf.ptr, 5 * PAGE, 2 * PAGE as i64), Ok(5 * PAGE));
    let mut expect = orig[..2 * PAGE].to_vec();
    expect.extend_from_slice(&first);
    expect.extend_from_slice(&orig);
    let bfd = open(&m.path("f"), libc::O_RDONLY, 0).map_err(|e| e.to_string())?;
    ensure!(
        read_at(bfd, 0, 8 * PAGE)? == expect,
        "the source behind a first anonymous page was overwritten before it was read"
    );
    close(bfd);
    close(fd);
    Ok(())
}

/// A DIO read into a mapping of the same page it reads, overlapping:
/// bytes 0..1024 of the file into bytes 512..1536 of its own page.  A
/// memcpy would read bytes it already overwrote.
fn read_into_same_page_overlapping() -> TestResult {
    let m = Mount::new("")?;
    let fd = dopen(&m, "f", 0)?;
    let src = anon(PAGE)?;
    let orig = fill(&src, 48);
    ensure_eq!(pwrite(fd, src.ptr, PAGE, 0), Ok(PAGE));
    let map = Map::new(
        PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        fd,
        0,
    )?;
    // SAFETY: Inside the writable mapping.
    let r = check(unsafe { libc::pread(fd, map.ptr.add(512).cast(), 1024, 0) });
    ensure_eq!(r, Ok(1024));
    let mut expect = orig.clone();
    expect.copy_within(0..1024, 512);
    let bfd = open(&m.path("f"), libc::O_RDONLY, 0).map_err(|e| e.to_string())?;
    ensure!(
        read_at(bfd, 0, PAGE)? == expect,
        "overlapping DIO read is not a memmove"
    );
    close(bfd);
    close(fd);
    Ok(())
}

/// With O_APPEND the write goes to EOF whatever the descriptor's own
/// position: a misaligned position must not make an aligned append EINVAL;
/// a misaligned EOF must.
fn append_ignores_descriptor_position() -> TestResult {
    let m = Mount::new("")?;
    let fd = dopen(&m, "f", libc::O_APPEND)?;
    let src = anon(PAGE)?;
    let data = fill(&src, 49);
    ensure_eq!(pwrite(fd, src.ptr, 1024, 0), Ok(1024));
    ensure_eq!(lseek(fd, 100, libc::SEEK_SET), Ok(100));
    // SAFETY: Our buffer of a page.
    let n = check(unsafe { libc::write(fd, src.ptr.cast(), 512) });
    ensure_eq!(n, Ok(512), "append from a misaligned descriptor position");
    ensure_eq!(fsize(fd), 1536);
    let bfd = open(&m.path("f"), libc::O_RDWR, 0).map_err(|e| e.to_string())?;
    ensure!(read_at(bfd, 1024, 512)? == data[..512], "appended data");
    // EOF misaligned (1537): the append itself is misaligned.
    ensure_eq!(pwrite(bfd, b"x".as_ptr(), 1, 1536), Ok(1));
    // SAFETY: As above.
    let n = check(unsafe { libc::write(fd, src.ptr.cast(), 512) });
    ensure_eq!(n, Err(libc::EINVAL), "append at a misaligned EOF");
    ensure_eq!(fsize(fd), 1537);
    close(bfd);
    close(fd);
    Ok(())
}
