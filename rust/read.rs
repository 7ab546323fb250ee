// SPDX-License-Identifier: GPL-2.0

//! The buffered read path.
//!
//! Like tmpfs, and unlike `generic_file_read_iter()`, a read of a hole
//! copies zeros without adding folios to the page cache: reading a sparse
//! file must not fill memory (or run into `size=`).  Only a page fault on a
//! hole (mmap) allocates, through `read_folio`.  No lock is held while
//! copying to the user: only a reference on the folio.

use kernel::prelude::*;

use crate::bindings;

/// Copies from the file at `iocb->ki_pos` into `to`.
///
/// # Safety
///
/// `iocb` and `to` are the live arguments of a `read_iter` call on an
/// rramfs regular file.
pub(crate) unsafe fn read_iter(iocb: *mut bindings::kiocb, to: *mut bindings::iov_iter) -> isize {
    // SAFETY: `iocb` is live and its file open.
    let (file, mut pos) = unsafe { ((*iocb).ki_filp, (*iocb).ki_pos) };
    // SAFETY: As above.
    let (mapping, inode) = unsafe { ((*file).f_mapping, (*(*file).f_mapping).host) };
    let mut read = 0usize;
    let mut err = Ok(());
    loop {
        // SAFETY: `to` is live.
        let count = unsafe { bindings::rramfs_iov_iter_count(to) };
        // SAFETY: `inode` is live.
        let size = unsafe { bindings::rramfs_i_size_read(inode) };
        if count == 0 || pos >= size {
            break;
        }
        let index = (pos as u64) >> bindings::PAGE_SHIFT;
        // A referenced folio, or null for a hole.  One that is not uptodate
        // holds no data yet (see `folio`): a hole too.
        // SAFETY: `mapping` is live.
        let mut folio = unsafe { bindings::rramfs_filemap_get_folio(mapping, index as usize) };
        // SAFETY: `folio` is null or referenced.
        if !folio.is_null() && !unsafe { bindings::rramfs_folio_test_uptodate(folio) } {
            // SAFETY: Drops our reference.
            unsafe { bindings::rramfs_folio_put(folio) };
            folio = core::ptr::null_mut();
        }
        // Reads run without the inode lock: re-check the size after the
        // lookup, against a racing truncate.
        // SAFETY: `inode` is live.
        let size = unsafe { bindings::rramfs_i_size_read(inode) };
        if pos >= size {
            if !folio.is_null() {
                // SAFETY: Drops our reference.
                unsafe { bindings::rramfs_folio_put(folio) };
            }
            break;
        }
        // `pos + count` may pass 2^63 in a file of s_maxbytes.
        let end = size.min(pos.saturating_add(count as i64));
        let (nr, copied) = if folio.is_null() {
            let page = bindings::PAGE_SIZE as i64;
            let nr = (end - pos).min(page - (pos & (page - 1))) as usize;
            // SAFETY: `to` is live; no lock is held.
            (nr, unsafe { bindings::iov_iter_zero(nr, to) })
        } else {
            // SAFETY: We hold a reference on `folio`.
            let (fpos, fsize) = unsafe {
                (
                    bindings::rramfs_folio_pos(folio),
                    bindings::rramfs_folio_size(folio),
                )
            };
            let offset = (pos - fpos) as usize;
            let nr = ((end - pos) as usize).min(fsize - offset);
            // SAFETY: The folio is referenced and `[offset, offset + nr)` is
            // inside it; copying may fault, which is fine without locks.
            let copied = unsafe {
                bindings::rramfs_flush_dcache_folio(folio);
                let c = bindings::rramfs_copy_folio_to_iter(folio, offset, nr, to);
                bindings::rramfs_folio_put(folio);
                c
            };
            (nr, copied)
        };
        pos += copied as i64;
        read += copied;
        if copied < nr {
            if read == 0 {
                err = Err(EFAULT);
            }
            break;
        }
        // SAFETY: Reads the current task's pending signals.
        if unsafe { bindings::rramfs_fatal_signal_pending() } {
            if read == 0 {
                err = Err(EINTR);
            }
            break;
        }
        // SAFETY: No lock is held.
        unsafe { bindings::rramfs_cond_resched() };
    }
    // SAFETY: `iocb` and `file` are live.
    unsafe {
        (*iocb).ki_pos = pos;
        bindings::rramfs_file_accessed(file);
    }
    match err {
        Ok(()) => read as isize,
        Err(e) => e.to_errno() as isize,
    }
}
