//! splice(2) from a pipe into a file opened with O_DIRECT.
//!
//! The data arrives as pipe pages in an ITER_BVEC iterator.  Those pages
//! belong to the pipe, not to a user mapping: rramfs must use them without
//! pinning (pinning them would be wrong, and unpinning them a refcount
//! bug).  The counters show them as "unpinned source" pages.
//!
//! Usage: splice_into_odirect DIR   (DIR on an rramfs mount)

use std::ffi::CString;

use rramfs_samples::stat_counter;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: splice_into_odirect DIR");
    rramfs_samples::require_rramfs(&dir);
    let path = CString::new(format!("{dir}/spliced")).unwrap();
    let len = 64 * 1024usize;
    // SAFETY: Plain syscalls on our own fds throughout.
    unsafe {
        let fd = libc::open(
            path.as_ptr(),
            libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC | libc::O_DIRECT,
            0o644,
        );
        assert!(fd >= 0, "open O_DIRECT failed");
        let mut p = [0i32; 2];
        assert_eq!(libc::pipe(p.as_mut_ptr()), 0);
        let data = vec![0x5au8; len];
        let mut written = 0;
        let (pinned, borrowed) = (
            stat_counter(&dir, "dio_pages_pinned"),
            stat_counter(&dir, "dio_pages_unpinned_source"),
        );
        let mut off = 0i64;
        while written < len {
            let w = libc::write(
                p[1],
                data[written..].as_ptr().cast(),
                (len - written).min(16384),
            );
            assert!(w > 0);
            let mut left = w;
            while left > 0 {
                let s = libc::splice(p[0], std::ptr::null_mut(), fd, &mut off, left as usize, 0);
                assert!(s > 0, "splice into O_DIRECT failed");
                left -= s;
            }
            written += w as usize;
        }
        let pinned = stat_counter(&dir, "dio_pages_pinned") - pinned;
        let borrowed = stat_counter(&dir, "dio_pages_unpinned_source") - borrowed;
        assert_eq!(pinned, 0, "pipe pages were pinned");
        println!(
            "splice_into_odirect: ok ({written} bytes; {borrowed} pipe pages used without a pin)"
        );
        libc::close(p[0]);
        libc::close(p[1]);
        libc::close(fd);
    }
}
