// SPDX-License-Identifier: GPL-2.0

//! Page-cache folios of rramfs files: allocation against `size=`, and the
//! address-space operations.
//!
//! Accounting: a folio is charged against `size=` when it becomes part of
//! a file (see [`SbInfo::charge`] and [`SbInfo::recalc`]); a folio in the
//! cache that is not uptodate is not charged (a `read_folio` that hit the
//! limit leaves one), so whoever makes it uptodate charges it.  Uptodate
//! folios are also dirty, so nothing but truncation drops them.

use kernel::prelude::*;

use crate::bindings;

use crate::super_block::SbInfo;
use crate::vfs::{AddressSpaceOperations, AddressSpaceOps, InodeLocked, LockedFolio, Mapping};

/// Finds the folio caching `index` of `mapping`, locks it, or allocates,
/// accounts and inserts a new one (locked, not uptodate).
///
/// `len` is the byte count the caller wants to write from `index` on; it
/// bounds the order of a new folio, as in `__filemap_get_folio()`.
/// May sleep: the caller holds no folio lock.
///
/// Inline, with the rest out of line: every buffered write chunk takes
/// the first branch.
#[inline]
pub(crate) fn get_or_create(mapping: &Mapping, index: u64, len: usize) -> Result<LockedFolio> {
    match LockedFolio::lock_cached(mapping, index) {
        Some(folio) if folio.is_uptodate() => Ok(folio),
        found => {
            let mut err = ENOMEM;
            get_or_create_slow(mapping, index, len, found, &mut err).ok_or(err)
        }
    }
}

/// [`get_or_create`] for a folio that is not cached (`found` is `None`)
/// or not uptodate; `None` with the error in `err` on failure.
///
/// Not a `Result`: an `Option<LockedFolio>` comes back in two registers
/// and a `Result` through memory, which the inlined fast path would then
/// write its folio to as well (about 10 instructions per buffered write,
/// `make attrib`).
#[inline(never)]
fn get_or_create_slow(
    mapping: &Mapping,
    index: u64,
    len: usize,
    found: Option<LockedFolio>,
    err: &mut Error,
) -> Option<LockedFolio> {
    create(mapping, index, len, found)
        .map_err(|e| *err = e)
        .ok()
}

/// The body of [`get_or_create_slow`].
#[inline(always)]
fn create(
    mapping: &Mapping,
    index: u64,
    len: usize,
    mut found: Option<LockedFolio>,
) -> Result<LockedFolio> {
    let inode = mapping.inode();
    let fsi = SbInfo::of_inode(inode);
    loop {
        if let Some(folio) = found.take() {
            // Not uptodate means not charged (left by a `read_folio` that
            // hit the limit): charge it before it holds data.
            if !folio.is_uptodate() {
                fsi.charge(inode, folio.nr_pages())?;
            }
            return Ok(folio);
        }

        let (gfp, max_order) = (mapping.gfp_mask(), mapping.max_folio_order());
        // Largest folio that `len` fills, that is naturally aligned at
        // `index`, and that the mapping allows.
        let pages = (len >> bindings::PAGE_SHIFT).max(1);
        let mut order = (usize::BITS - 1 - pages.leading_zeros()).min(max_order);
        if index != 0 {
            order = order.min(index.trailing_zeros());
        }
        loop {
            let nr = 1u64 << order;
            if fsi.reserve(nr).is_err() {
                if order == 0 {
                    return Err(ENOSPC);
                }
                order -= 1;
                continue;
            }
            // As `__filemap_get_folio()`: a large folio is an optimisation,
            // so its allocation may fail fast and quietly (the loop falls
            // back to smaller ones).
            let alloc_gfp = if order > 0 {
                gfp | bindings::__GFP_NORETRY | bindings::__GFP_NOWARN
            } else {
                gfp
            };
            let start = index & !(nr - 1);
            match LockedFolio::add_new(mapping, start, order, alloc_gfp, gfp) {
                Some(Ok(folio)) => {
                    // In the cache now: count it in the inode (see
                    // `SbInfo::recalc` for why only now).  `finish_write`
                    // makes it uptodate before the lock is dropped.
                    inode.add_blocks(nr);
                    return Ok(folio);
                }
                None => {
                    fsi.unreserve(nr);
                    if order == 0 {
                        return Err(ENOMEM);
                    }
                }
                Some(Err(e)) => {
                    fsi.unreserve(nr);
                    if e != EEXIST {
                        return Err(e);
                    }
                    if order == 0 {
                        // Someone else inserted it: look it up again.
                        break;
                    }
                    // Part of the range is cached already: try smaller.
                }
            }
            order -= 1;
        }
        found = LockedFolio::lock_cached(mapping, index);
    }
}

/// The address-space operations of every rramfs inode.
pub(crate) struct Aops;

impl AddressSpaceOperations for Aops {
    /// A folio the page cache allocated for a hole (a read or a fault): it
    /// reads as zeros, once charged.  Inlined into the trampoline (a page
    /// fault on a hole pays for every call).
    #[inline(always)]
    fn read_folio(folio: &LockedFolio) -> Result {
        let inode = folio.mapping().inode();
        SbInfo::of_inode(inode).charge(inode, folio.nr_pages())?;
        folio.prepare_write(0, 0);
        folio.mark_uptodate();
        Ok(())
    }

    /// Used by `page_symlink()`.
    fn write_begin(mapping: &Mapping, pos: i64, len: usize) -> Result<LockedFolio> {
        let index = (pos as u64) >> bindings::PAGE_SHIFT;
        // No folio lock is held.
        let folio = get_or_create(mapping, index, len)?;
        let offset = (pos - folio.pos()) as usize;
        folio.prepare_write(offset, len.min(folio.size() - offset));
        Ok(folio)
    }

    fn write_end(
        locked: InodeLocked<'_>,
        folio: LockedFolio,
        pos: i64,
        len: usize,
        copied: usize,
    ) -> usize {
        let offset = (pos - folio.pos()) as usize;
        let len = len.min(folio.size() - offset);
        folio.finish_write(locked, offset, len, copied);
        copied
    }

    /// Refuses for a folio that reaches a whole page past EOF: the
    /// kernel's split of a large folio (mm/huge_memory.c, 6.12 and 7.3)
    /// calls this first, then drops the pages past `i_size` and "cleans"
    /// the dirty ones with `folio_account_cleaned()`, although nothing
    /// counted rramfs's pages dirty (its mapping has no writeback): the
    /// global and the memory cgroup's `NR_FILE_DIRTY` would go below zero,
    /// hiding other filesystems' dirty pages from the dirty limits.  Such a
    /// folio exists only where truncation could not split it (someone held
    /// a reference); it stays whole, its pages past EOF zeroed, until the
    /// file grows over it or truncation drops it whole.  rramfs lowers
    /// `i_size` only under the lock of the folio holding the new end
    /// (`InodeLocked::shrink`), which the split holds from this call until
    /// it reads `i_size`.
    ///
    /// Every other caller would find the folio dirty and keep it anyway
    /// (reclaim, `drop_caches`, `POSIX_FADV_DONTNEED`, invalidation).
    fn release_folio(folio: &LockedFolio) -> bool {
        // The end of the page holding EOF, and the folio's end: at most
        // 2^63 (s_maxbytes is 2^63 - 1, and no folio crosses 2^63), so
        // nothing overflows as u64.
        let size = folio.mapping().size() as u64;
        let kept_end = size.next_multiple_of(bindings::PAGE_SIZE as u64);
        folio.pos() as u64 + folio.size() as u64 <= kept_end
    }
}

/// `address_space_operations` of every rramfs inode.
pub(crate) static AOPS: AddressSpaceOps = AddressSpaceOps::new::<Aops>();
