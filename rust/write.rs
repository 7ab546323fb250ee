// SPDX-License-Identifier: GPL-2.0

//! The buffered write path.
//!
//! Per chunk: get and lock the folio, copy from the user's buffer with
//! `copy_folio_from_iter_atomic()`, mark the folio uptodate and dirty,
//! unlock, advance.  The copy runs with page faults disabled: a fault on
//! the source could need this very folio (the buffer is an mmap of the same
//! file) and would deadlock on its lock, or could recurse into other
//! filesystem code while we hold it.
//!
//! The source is faulted in only on the slow path, when a copy made no
//! progress, with the folio unlocked and released.  Faulting in first on
//! every chunk (`prefault=always`, the pre-6.14 pattern) touches user
//! memory twice on the fast path and does not prevent deadlocks either;
//! what the fault-in after a failed copy prevents is a livelock: without
//! it, a copy that keeps failing would retry forever.

use kernel::prelude::*;

use crate::{
    bindings,
    folio::LockedFolio,
    stats,
    super_block::{Prefault, SbInfo},
};

/// Copies `from` into the file at `iocb->ki_pos` through the page cache.
///
/// Returns the bytes written (advancing `ki_pos`), or an error if nothing
/// was written.
///
/// # Safety
///
/// `iocb` and `from` are the live arguments of a `write_iter` call on an
/// rramfs regular file; the caller holds the inode lock and has done the
/// write checks.
pub(crate) unsafe fn perform_write(
    iocb: *mut bindings::kiocb,
    from: *mut bindings::iov_iter,
) -> Result<usize> {
    // SAFETY: `iocb` is live and its file is an open rramfs file.
    let (mapping, mut pos) = unsafe { ((*(*iocb).ki_filp).f_mapping, (*iocb).ki_pos) };
    // SAFETY: The mapping's host inode is live while the file is open.
    let inode = unsafe { (*mapping).host };
    // SAFETY: As above, the superblock is live.
    let fsi = unsafe { SbInfo::of((*inode).i_sb) };
    let prefault = fsi.prefault();
    let st = &fsi.stats;
    stats::inc(&st.write_calls);

    // Bound a chunk by the largest folio the mapping may use.
    // SAFETY: `mapping` is live.
    let chunk = bindings::PAGE_SIZE << unsafe { bindings::rramfs_mapping_max_folio_order(mapping) };
    let mut written = 0usize;
    let mut status = Ok(());
    // A folio this call added past EOF and copied nothing into; dropped
    // again if the call ends there (see below).
    let mut empty_past_eof: Option<(i64, i64)> = None;
    loop {
        // SAFETY: `from` is live for the whole call.
        let count = unsafe { bindings::rramfs_iov_iter_count(from) };
        if count == 0 {
            break;
        }
        // SAFETY: Reads the current task's pending signals.
        if unsafe { bindings::rramfs_fatal_signal_pending() } {
            status = Err(EINTR);
            break;
        }
        let index = (pos as u64) >> bindings::PAGE_SHIFT;
        let mut bytes = count.min(chunk - (pos as usize & (chunk - 1)));

        if prefault == Prefault::Always {
            stats::inc(&st.prefaults);
            // SAFETY: `from` is live; no folio lock is held here.
            if unsafe { bindings::fault_in_iov_iter_readable(from, bytes) } == bytes {
                status = Err(EFAULT);
                break;
            }
        }

        // SAFETY: `mapping` is live; we hold no folio lock.
        let folio = match unsafe { LockedFolio::get_or_create(mapping, index, bytes) } {
            Ok(f) => f,
            Err(e) => {
                status = Err(e);
                break;
            }
        };
        let offset = (pos - folio.pos()) as usize;
        bytes = bytes.min(folio.size() - offset);
        let was_new = !folio.is_uptodate();

        folio.prepare_write(offset, bytes);
        // SAFETY: The folio is locked and `[offset, offset + bytes)` lies in
        // it; the copy does not fault (it fails short instead), so holding
        // the folio lock across it cannot deadlock.
        let copied = unsafe {
            bindings::rramfs_copy_folio_from_iter_atomic(folio.as_raw(), offset, bytes, from)
        };
        stats::inc(&st.atomic_copies);
        if copied < bytes {
            stats::inc(&st.short_copies);
        }
        // SAFETY: The caller holds the inode lock.
        unsafe { folio.finish_write(inode, offset, bytes, copied) };
        // SAFETY: `inode` is live and locked.
        empty_past_eof = (copied == 0
            && was_new
            && folio.pos() >= unsafe { bindings::rramfs_i_size_read(inode) })
        .then(|| {
            (
                folio.pos(),
                folio.pos().saturating_add(folio.size() as i64 - 1),
            )
        });
        drop(folio);
        // SAFETY: `mapping` is live; no folio lock is held.
        unsafe { bindings::balance_dirty_pages_ratelimited(mapping) };

        if copied == 0 {
            // The slow path: the source page is not present.  Fault it in
            // now that no lock is held, then retry the same chunk; if even
            // that fails, the buffer is bad.
            stats::inc(&st.slowpath_faultins);
            // SAFETY: `from` is live; no lock is held.
            if unsafe { bindings::fault_in_iov_iter_readable(from, bytes) } == bytes {
                status = Err(EFAULT);
                break;
            }
            continue;
        }
        pos += copied as i64;
        written += copied;
        // SAFETY: May sleep; no lock but the inode's rwsem is held.
        unsafe { bindings::rramfs_cond_resched() };
    }

    if let (Some((start, last)), Err(_)) = (empty_past_eof, &status) {
        // The write failed (EFAULT) on a folio it added past EOF: it holds
        // only zeros that nothing can read, yet it is charged.  Drop it, as
        // iomap does after a failed write past EOF.
        // SAFETY: The inode is live and locked; the range lies past EOF.
        unsafe {
            if start >= bindings::rramfs_i_size_read(inode) {
                bindings::truncate_pagecache_range(inode, start, last);
                fsi.recalc(inode);
            }
        }
    }
    stats::add(&st.write_bytes, written as u64);
    // SAFETY: `iocb` is live.
    unsafe { (*iocb).ki_pos = pos };
    match (written, status) {
        (0, Err(e)) => Err(e),
        _ => Ok(written),
    }
}
