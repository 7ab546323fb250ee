//! write(2) from a buffer whose second page is not mapped.
//!
//! The atomic copy stops at the hole; the slow path tries to fault it in,
//! fails, and the write returns the bytes before the hole: a short write.
//! With nothing before the hole the write fails with EFAULT.
//!
//! Usage: partial_fault_short_write DIR   (DIR on an rramfs mount)

use std::ffi::CString;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: partial_fault_short_write DIR");
    rramfs_samples::require_rramfs(&dir);
    let path = CString::new(format!("{dir}/short-write")).unwrap();
    let page = 4096usize;
    // SAFETY: Plain syscalls on our own file and mappings throughout.
    unsafe {
        let fd = libc::open(
            path.as_ptr(),
            libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC,
            0o644,
        );
        assert!(fd >= 0, "open failed");
        let buf = libc::mmap(
            std::ptr::null_mut(),
            2 * page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(buf, libc::MAP_FAILED);
        std::ptr::write_bytes(buf.cast::<u8>(), b'x', page);
        libc::munmap(buf.cast::<u8>().add(page).cast(), page);

        let n = libc::pwrite(fd, buf, 2 * page, 0);
        assert_eq!(n, page as isize, "expected a short write up to the hole");
        let n2 = libc::pwrite(fd, buf.cast::<u8>().add(page).cast(), 100, 0);
        let err = std::io::Error::last_os_error().raw_os_error();
        assert!(n2 == -1 && err == Some(libc::EFAULT), "expected EFAULT");
        println!("partial_fault_short_write: ok (short write of {n} bytes, then EFAULT)");
        libc::munmap(buf, page);
        libc::close(fd);
    }
}
