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

    let mut status = Ok(());
    // The bytes a short copy reached, for the retry of its chunk (see
    // `drop_discarded`); `usize::MAX` otherwise.
    let mut cap = usize::MAX;
    // What is left of `from`: only the copies below advance it, so what
    // was written is `total - count`.  (Few values live across the loop:
    // each one more is a stack spill on the fast path.)
    let total = from.count();
    let mut count = total;
    while count > 0 {
        let index = (pos as u64) >> bindings::PAGE_SHIFT;
        let page_left = bindings::PAGE_SIZE - (pos as usize & (bindings::PAGE_SIZE - 1));
        // A chunk boundary is also a page boundary, so a write that ends
        // in this page is one chunk whatever the folio size: small writes
        // skip the question.
        let mut bytes = if count <= page_left {
            count
        } else {
            // A chunk ends at the end of the largest folio the mapping may
            // use.
            let chunk = bindings::PAGE_SIZE << mapping.max_folio_order();
            // Only a chunk that leaves its page can be capped: a folio
            // within one page keeps no page past EOF.
            let capped = count.min(chunk - (pos as usize & (chunk - 1))).min(cap);
            cap = usize::MAX;
            capped
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
        // The copy's own clamp (`offset` is inside the folio), which the
        // compiler then computes once.
        bytes = bytes.min(folio.size().saturating_sub(offset));
        let was_new = !folio.is_uptodate();

        folio.prepare_write(offset, bytes);
        // With page faults disabled: see the module doc.
        let copied = folio.copy_from_iter_atomic(offset, bytes, from);
        stats::inc(&st.atomic_copies);
        if copied < bytes {
            stats::inc(&st.short_copies);
        }
        if copied < bytes
            && was_new
            && past_new_eof(mapping.size(), pos, copied, folio.pos(), folio.size())
        {
            // Undo the copy: the buffer goes back, the folio becomes zeros
            // without changing the file, and leaves the cache.
            from.revert(copied);
            folio.finish_write(locked, offset, bytes, 0);
            let (fpos, fsize) = (folio.pos(), folio.size());
            drop(folio);
            drop_discarded(locked, fsi, fpos, fsize);
            if copied > 0 {
                // The source is present up to there: retry at once, in a
                // folio that the copy fills.
                cap = copied;
                continue;
            }
        } else {
            folio.finish_write(locked, offset, bytes, copied);
            drop(folio);
        }
        // No balance_dirty_pages_ratelimited() here, unlike
        // generic_perform_write(): an rramfs superblock has the
        // noop_backing_dev_info (no BDI_CAP_WRITEBACK), for which it
        // returns at once, and rramfs's dirty folios are not accounted as
        // dirty (noop_dirty_folio) — there is nothing to throttle.

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

    let written = total - count;
    stats::add(&st.write_bytes, written as u64);
    iocb.set_pos(pos);
    match (written, status) {
        (0, Err(e)) => Err(e),
        _ => Ok(written),
    }
}

/// Whether a copy of `copied` bytes at `pos` into the folio at `fpos` of
/// `fsize` bytes, in a file of `size` bytes, leaves a page of the folio
/// wholly past the end of the file.
///
/// Such a folio must not become dirty: the kernel's split of a large folio
/// (a later hole punch or truncation) "cleans" the dirty pages it drops
/// past `i_size` with `folio_account_cleaned()` (mm/huge_memory.c, 6.12
/// and 7.3), although nothing counted rramfs's pages dirty (no writeback),
/// so `NR_FILE_DIRTY` would drop below zero and hide other filesystems'
/// dirty pages from the dirty limits (see `InodeLocked::drop_pagecache_from`
/// for truncation).  A write that copies all it asked for fills its new
/// folio (`folio::get_or_create` sizes it by the bytes), so only a short
/// copy gets here.
fn past_new_eof(size: i64, pos: i64, copied: usize, fpos: i64, fsize: usize) -> bool {
    // `pos + copied` and the folio's end are at most 2^63 (s_maxbytes is
    // 2^63 - 1, and a folio never crosses 2^63): as u64, nothing overflows.
    let eof = (size as u64).max(pos as u64 + copied as u64);
    let kept_end = eof.next_multiple_of(bindings::PAGE_SIZE as u64);
    fpos as u64 + fsize as u64 > kept_end
}

/// Drops a new folio whose short copy [`past_new_eof`] made undo (the
/// caller reverted the buffer and left the folio zeros): it held a hole or
/// lay past EOF, so nothing is lost, and it is uncharged.  The caller
/// retries the chunk, capped at what the copy reached, so that the next
/// folio is one the copy fills; with nothing copied, after the fault-in.
///
/// Out of line and cold: only a bad or racing source buffer gets here.
#[cold]
#[inline(never)]
fn drop_discarded(locked: InodeLocked<'_>, fsi: &SbInfo, fpos: i64, fsize: usize) {
    // The whole folio: truncation removes it without a split.
    locked.drop_pagecache_range(fpos, fpos.saturating_add(fsize as i64 - 1));
    fsi.recalc(locked.inode());
}
