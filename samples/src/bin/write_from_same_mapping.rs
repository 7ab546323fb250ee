//! write(2) whose source buffer is an mmap of the very folio being written.
//!
//! The write path holds the destination folio's lock while it copies.  If
//! the source page is not mapped, the copy would fault, and the fault needs
//! that same folio (locked by us): a deadlock, unless the copy is atomic
//! (page faults disabled) and the fault-in happens later with the lock
//! dropped.  rramfs faults in only on that slow path; this program makes it
//! happen and checks the data.
//!
//! Usage: write_from_same_mapping DIR   (DIR on an rramfs mount)

use rramfs_samples::{require_rramfs, stat_counter};
use std::ffi::CString;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: write_from_same_mapping DIR");
    require_rramfs(&dir);
    let path = CString::new(format!("{dir}/same-mapping")).unwrap();
    let page = 4096usize;
    // SAFETY: Plain syscalls on our own file and mapping throughout.
    unsafe {
        let fd = libc::open(
            path.as_ptr(),
            libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC,
            0o644,
        );
        assert!(fd >= 0, "open failed");
        let data: Vec<u8> = (0..2 * page).map(|i| (i % 251) as u8).collect();
        assert_eq!(
            libc::pwrite(fd, data.as_ptr().cast(), data.len(), 0),
            data.len() as isize
        );

        let map = libc::mmap(
            std::ptr::null_mut(),
            2 * page,
            libc::PROT_READ,
            libc::MAP_SHARED,
            fd,
            0,
        );
        assert_ne!(map, libc::MAP_FAILED);
        // Make sure the mapping has no page-table entry: the copy must fault.
        libc::madvise(map, 2 * page, libc::MADV_DONTNEED);

        // Write the first half of page 0 over its second half, from the mapping.
        let n = libc::pwrite(fd, map, page / 2, (page / 2) as i64);
        assert_eq!(n, (page / 2) as isize, "short write");

        let mut back = vec![0u8; page];
        libc::pread(fd, back.as_mut_ptr().cast(), page, 0);
        // Both halves hold the first half of the original page (an all-zero
        // or unwritten page would not).
        assert_eq!(back[..page / 2], data[..page / 2], "first half changed");
        assert_eq!(back[page / 2..], data[..page / 2], "second half wrong");
        // And it took the slow path: the atomic copy found no page mapped.
        assert!(
            stat_counter(&dir, "slowpath_faultins") > 0,
            "the copy never took the slow path"
        );
        println!(
            "write_from_same_mapping: ok ({n} bytes written from a mapping of the same folio)"
        );
        libc::munmap(map, 2 * page);
        libc::close(fd);
    }
}
