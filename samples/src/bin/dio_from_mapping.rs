//! O_DIRECT write whose source is an mmap of the same file, onto itself.
//!
//! rramfs pins the source pages (FOLL_PIN) before it takes any lock.  The
//! pin faults the pages in, and that fault takes the file's folio locks —
//! harmless, since rramfs holds none yet.  Pinning under the lock would
//! deadlock here.  The counters show the pages pinned and unpinned.
//!
//! Usage: dio_from_mapping DIR   (DIR on an rramfs mount)

use std::ffi::CString;

use rramfs_samples::stat_counter;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: dio_from_mapping DIR");
    rramfs_samples::require_rramfs(&dir);
    let path = CString::new(format!("{dir}/dio-mapping")).unwrap();
    let len = 64 * 1024usize;
    // SAFETY: Plain syscalls on our own file and mapping throughout.
    unsafe {
        let fd = libc::open(
            path.as_ptr(),
            libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC | libc::O_DIRECT,
            0o644,
        );
        assert!(fd >= 0, "open O_DIRECT failed");
        assert_eq!(libc::ftruncate(fd, len as i64), 0);
        let map = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        );
        assert_ne!(map, libc::MAP_FAILED);
        std::ptr::write_bytes(map.cast::<u8>(), 7, len);
        libc::madvise(map, len, libc::MADV_DONTNEED);

        let pinned = stat_counter(&dir, "dio_pages_pinned");
        let n = libc::pwrite(fd, map, len, 0);
        assert_eq!(n, len as isize, "DIO write from own mapping failed");
        let pinned = stat_counter(&dir, "dio_pages_pinned") - pinned;
        assert!(
            pinned >= (len / 4096) as u64,
            "the source pages were not pinned"
        );
        println!("dio_from_mapping: ok ({n} bytes; {pinned} pages pinned and unpinned)");
        libc::munmap(map, len);
        libc::close(fd);
    }
}
