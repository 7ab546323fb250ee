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
    bindings, folio, stats,
    super_block::{Prefault, SbInfo},
    vfs::{cond_resched, fatal_signal_pending, InodeLocked, IovIter, Kiocb},
};

/// Copies `from` into the file at the kiocb's position through the page
/// cache, under the inode lock `locked` (of the kiocb's file), after the
/// write checks.
///
/// Returns the bytes written (advancing the position), or an error if
/// nothing was written.  Inlined into the `write_iter` trampoline, its
/// only caller: one stack frame for the whole hot path.
#[inline(always)]
pub(crate) fn perform_write(
    iocb: &mut Kiocb<'_>,
    from: &mut IovIter<'_>,
    locked: InodeLocked<'_>,
) -> Result<usize> {
    let mapping = iocb.mapping();
    let mut pos = iocb.pos();
    let fsi = SbInfo::of_inode(mapping.inode());
    let prefault = fsi.prefault();
    let st = &fsi.stats;
    stats::inc(&st.write_calls);

    // A chunk ends at the end of the largest folio the mapping may use;
    // asked for only when a chunk reaches past its first page (see below).
    let mut chunk = 0usize;
    let mut written = 0usize;
    let mut status = Ok(());
    // A folio this call added past EOF and copied nothing into; dropped
    // again if the call ends there (see below).
    let mut empty_past_eof: Option<(i64, i64)> = None;
    // What is left of `from`: only the copies below advance it.
    let mut count = from.count();
    while count > 0 {
        let index = (pos as u64) >> bindings::PAGE_SHIFT;
        let page_left = bindings::PAGE_SIZE - (pos as usize & (bindings::PAGE_SIZE - 1));
        // A chunk boundary is also a page boundary, so a write that ends
        // in this page is one chunk whatever the folio size: small writes
        // skip the question.
        let mut bytes = if count <= page_left {
            count
        } else {
            if chunk == 0 {
                chunk = bindings::PAGE_SIZE << mapping.max_folio_order();
            }
            count.min(chunk - (pos as usize & (chunk - 1)))
        };

        if prefault == Prefault::Always {
            stats::inc(&st.prefaults);
            // No folio lock is held here.
            if from.fault_in_readable(bytes) == bytes {
                status = Err(EFAULT);
                break;
            }
        }

        // We hold no folio lock.
        let folio = match folio::get_or_create(mapping, index, bytes) {
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
        // With page faults disabled: see the module doc.
        let copied = folio.copy_from_iter_atomic(offset, bytes, from);
        stats::inc(&st.atomic_copies);
        if copied < bytes {
            stats::inc(&st.short_copies);
        }
        folio.finish_write(locked, offset, bytes, copied);
        empty_past_eof = (copied == 0 && was_new && folio.pos() >= mapping.size()).then(|| {
            (
                folio.pos(),
                folio.pos().saturating_add(folio.size() as i64 - 1),
            )
        });
        // No balance_dirty_pages_ratelimited() here, unlike
        // generic_perform_write(): an rramfs superblock has the
        // noop_backing_dev_info (no BDI_CAP_WRITEBACK), for which it
        // returns at once, and rramfs's dirty folios are not accounted as
        // dirty (noop_dirty_folio) — there is nothing to throttle.
        drop(folio);

        if copied == 0 {
            // The slow path: the source page is not present.  Fault it in
            // now that no folio lock is held, then retry the same chunk; if
            // even that fails, the buffer is bad.
            stats::inc(&st.slowpath_faultins);
            if from.fault_in_readable(bytes) == bytes {
                status = Err(EFAULT);
                break;
            }
            if fatal_signal_pending() {
                status = Err(EINTR);
                break;
            }
            continue;
        }
        pos += copied as i64;
        written += copied;
        count -= copied;
        // A fatal signal ends a long write between chunks (and a slow-path
        // retry, above); cond_resched() lets others run between them.  Not
        // after the last chunk: the task dies, or can be preempted, on its
        // way back to user space anyway.
        if count > 0 {
            if fatal_signal_pending() {
                status = Err(EINTR);
                break;
            }
            cond_resched();
        }
    }

    if let (Some((start, last)), Err(_)) = (empty_past_eof, &status) {
        // The write failed (EFAULT) on a folio it added past EOF: it holds
        // only zeros that nothing can read, yet it is charged.  Drop it, as
        // iomap does after a failed write past EOF.
        if start >= mapping.size() {
            locked.drop_pagecache_range(start, last);
            fsi.recalc(locked.inode());
        }
    }
    stats::add(&st.write_bytes, written as u64);
    iocb.set_pos(pos);
    match (written, status) {
        (0, Err(e)) => Err(e),
        _ => Ok(written),
    }
}
