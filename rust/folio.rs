// SPDX-License-Identifier: GPL-2.0

//! Page-cache folios of rramfs files: allocation against `size=`, and a
//! locked-folio guard.
//!
//! Accounting: a folio is charged against `size=` when it becomes part of
//! a file (see [`SbInfo::charge`] and [`SbInfo::recalc`]); a folio in the
//! cache that is not uptodate is not charged (a `read_folio` that hit the
//! limit leaves one), so whoever makes it uptodate charges it.  Uptodate
//! folios are also dirty, so nothing but truncation drops them.

use kernel::ffi::c_int;
use kernel::prelude::*;

use crate::bindings;

use crate::super_block::{inode_blocks_add, SbInfo};
use crate::vfs::{clamp_page_copy, BatchPage, Inode, InodeLocked, IovIter, Mapping};

/// A folio that is locked and referenced by this owner.
///
/// # Invariants
///
/// `folio` is a valid folio, locked by this owner, with one reference held
/// by it; both are dropped by `Drop`.  `pos` and `size` are its file offset
/// and size, which cannot change while it is locked; `uptodate` mirrors its
/// PG_uptodate, which only this owner can set while it holds the lock.
pub(crate) struct LockedFolio {
    folio: *mut bindings::folio,
    pos: i64,
    size: usize,
    uptodate: core::cell::Cell<bool>,
}

impl LockedFolio {
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
    pub(crate) fn get_or_create(mapping: &Mapping, index: u64, len: usize) -> Result<Self> {
        match Self::lock_cached(mapping, index) {
            Some(folio) if folio.is_uptodate() => Ok(folio),
            found => Self::get_or_create_slow(mapping, index, len, found),
        }
    }

    /// The folio caching `index` of `mapping`, locked, if there is one.
    #[inline]
    fn lock_cached(mapping: &Mapping, index: u64) -> Option<Self> {
        let (mut pos, mut size, mut uptodate) = (0, 0, false);
        // SAFETY: `mapping` is live; the result is null (absent) or a
        // locked folio with a reference, whose geometry is filled in.
        let f = unsafe {
            bindings::rramfs_filemap_lock_folio(
                mapping.as_raw(),
                index as usize,
                &mut pos,
                &mut size,
                &mut uptodate,
            )
        };
        // INVARIANT: Found locked and referenced, geometry read under the
        // lock.
        (!f.is_null()).then(|| LockedFolio {
            folio: f,
            pos,
            size,
            uptodate: core::cell::Cell::new(uptodate),
        })
    }

    /// [`Self::get_or_create`] for a folio that is not cached (`found` is
    /// `None`) or not uptodate.
    #[inline(never)]
    fn get_or_create_slow(
        mapping: &Mapping,
        index: u64,
        len: usize,
        mut found: Option<Self>,
    ) -> Result<Self> {
        let inode = mapping.inode();
        let fsi = SbInfo::of_inode(inode);
        let raw = mapping.as_raw();
        loop {
            if let Some(folio) = found.take() {
                // Not uptodate means not charged (left by a `read_folio`
                // that hit the limit): charge it before it holds data.
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
                // As `__filemap_get_folio()`: a large folio is an
                // optimisation, so its allocation may fail fast and quietly
                // (the loop falls back to smaller ones).
                let alloc_gfp = if order > 0 {
                    gfp | bindings::__GFP_NORETRY | bindings::__GFP_NOWARN
                } else {
                    gfp
                };
                // SAFETY: Allocates a new folio, or returns null.
                let folio = unsafe { bindings::rramfs_filemap_alloc_folio(alloc_gfp, order) };
                if folio.is_null() {
                    fsi.unreserve(nr);
                    if order == 0 {
                        return Err(ENOMEM);
                    }
                    order -= 1;
                    continue;
                }
                let start = index & !(nr - 1);
                // SAFETY: `folio` is new and ours; on success it is inserted
                // locked, and our reference stays ours.
                let err = unsafe { bindings::filemap_add_folio(raw, folio, start as usize, gfp) };
                if err == 0 {
                    // In the cache now: count it in the inode (see
                    // `SbInfo::recalc` for why only now).  `finish_write`
                    // makes it uptodate before the lock is dropped.
                    inode_blocks_add(inode, nr);
                    // SAFETY: Locked and referenced by `filemap_add_folio`.
                    return Ok(unsafe { LockedFolio::from_raw(folio) });
                }
                // SAFETY: Not inserted: drops the only reference.
                unsafe { bindings::rramfs_folio_put(folio) };
                fsi.unreserve(nr);
                if err != EEXIST.to_errno() {
                    return Err(Error::from_errno(err));
                }
                if order == 0 {
                    // Someone else inserted it: look it up again.
                    break;
                }
                // Part of the range is cached already: try a smaller folio.
                order -= 1;
            }
            found = Self::lock_cached(mapping, index);
        }
    }

    /// Takes over a folio that is locked and referenced.
    ///
    /// # Safety
    ///
    /// `folio` is locked and referenced, both owned by the caller and
    /// handed over.
    pub(crate) unsafe fn from_raw(folio: *mut bindings::folio) -> Self {
        let (mut pos, mut size, mut uptodate) = (0, 0, false);
        // SAFETY: By the safety requirements the folio is valid.
        unsafe { bindings::rramfs_folio_geometry(folio, &mut pos, &mut size, &mut uptodate) };
        // INVARIANT: By the safety requirements; read while the folio is
        // locked.
        LockedFolio {
            folio,
            pos,
            size,
            uptodate: core::cell::Cell::new(uptodate),
        }
    }

    /// The raw folio, valid while `self` lives.
    pub(crate) fn as_raw(&self) -> *mut bindings::folio {
        self.folio
    }

    /// The folio's size in bytes.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// The file offset of the folio's first byte.
    pub(crate) fn pos(&self) -> i64 {
        self.pos
    }

    /// The page index of the folio's first page.
    pub(crate) fn index(&self) -> u64 {
        (self.pos as u64) >> bindings::PAGE_SHIFT
    }

    /// The number of pages in the folio.
    pub(crate) fn nr_pages(&self) -> u64 {
        (self.size >> bindings::PAGE_SHIFT) as u64
    }

    /// Whether the folio's contents are valid.
    pub(crate) fn is_uptodate(&self) -> bool {
        self.uptodate.get()
    }

    /// Zeroes `[start, end)` of the folio (byte offsets within it).
    pub(crate) fn zero(&self, start: usize, end: usize) {
        if start < end {
            // SAFETY: The folio is valid and locked; the range is checked to
            // be inside it by the shim's `folio_zero_segment`.
            unsafe { bindings::rramfs_folio_zero_segment(self.folio, start, end) };
        }
    }

    /// Prepares a copy of `len` bytes into the folio at byte `offset`.
    ///
    /// A folio that is not uptodate is new: it caches a hole or the space
    /// past EOF, both zeros.  Zero what the copy will not cover, so that
    /// no stale memory can show.
    #[inline]
    pub(crate) fn prepare_write(&self, offset: usize, len: usize) {
        if !self.is_uptodate() {
            self.zero(0, offset);
            self.zero(offset + len, self.size());
        }
    }

    /// Copies up to `bytes` from `from` into the folio at byte `offset`
    /// (clamped to the folio) with page faults disabled: a source page
    /// that is not present ends the copy short instead of faulting, so
    /// holding the folio lock across it cannot deadlock.  Returns the bytes
    /// copied.
    pub(crate) fn copy_from_iter_atomic(
        &self,
        offset: usize,
        bytes: usize,
        from: &mut IovIter<'_>,
    ) -> usize {
        let bytes = bytes.min(self.size.saturating_sub(offset));
        // SAFETY: The folio is locked and referenced (type invariants) and
        // `[offset, offset + bytes)` lies inside it; `from` is live.
        unsafe {
            bindings::rramfs_copy_folio_from_iter_atomic(self.folio, offset, bytes, from.as_raw())
        }
    }

    /// Copies `len` bytes from byte `poff` of `page` into the folio at byte
    /// `foff`, clamped so that neither range crosses a page boundary or
    /// leaves the folio; returns the bytes copied.  The page may be one of
    /// this very folio's (an O_DIRECT write from an mmap of the same
    /// range): the copy is then a memmove.
    pub(crate) fn copy_from_page(
        &self,
        foff: usize,
        page: BatchPage<'_>,
        poff: usize,
        len: usize,
    ) -> usize {
        let len = clamp_page_copy(self.size, foff, poff, len);
        if len > 0 {
            // SAFETY: The folio is locked and referenced, the page held by
            // its batch, and both ranges lie inside one page of each.
            unsafe {
                bindings::rramfs_copy_page_to_folio(self.folio, foff, page.as_raw(), poff, len)
            };
        }
        len
    }

    /// Finishes a copy of `copied` of the `len` bytes prepared at `offset`:
    /// the uncopied tail of a short copy into a new folio stays zeros, the
    /// folio becomes uptodate, and the file's size grows to cover the data.
    ///
    /// `locked` is the inode that owns the folio's mapping, locked: its
    /// `i_rwsem` serialises size changes by writers.
    // Always inline: the write path's second hottest step after the copy.
    #[inline(always)]
    pub(crate) fn finish_write(
        &self,
        locked: InodeLocked<'_>,
        offset: usize,
        len: usize,
        copied: usize,
    ) {
        // A call only where the architecture needs one (not x86).
        // SAFETY: Reads a constant; the folio is valid.
        unsafe {
            if bindings::rramfs_flush_dcache_needed {
                bindings::rramfs_flush_dcache_folio(self.folio);
            }
        }
        if !self.is_uptodate() {
            self.zero(offset + copied, offset + len);
            // SAFETY: The folio is locked, charged, and all of it was
            // initialised; dirty keeps it in the cache (see module doc).
            unsafe {
                bindings::rramfs_folio_mark_uptodate(self.folio);
                bindings::folio_mark_dirty(self.folio);
            }
            self.uptodate.set(true);
        }
        if copied == 0 {
            return;
        }
        // Cannot overflow: writers are bounded by s_maxbytes (2^63 - 1),
        // so `offset + copied` stops short of the end of the last folio.
        let end = self.pos().saturating_add((offset + copied) as i64);
        // `locked` makes the size ours to change; the folio lock orders
        // this against truncation of the folio.
        if end > locked.inode().size() {
            locked.set_size(end);
        }
        // SAFETY: The folio is valid; it holds the only copy of the data.
        unsafe { bindings::folio_mark_dirty(self.folio) };
    }
}

impl Drop for LockedFolio {
    fn drop(&mut self) {
        // SAFETY: By the type invariants we hold the lock and a reference.
        unsafe { bindings::rramfs_folio_unlock_put(self.folio) };
    }
}

/// `address_space_operations::read_folio`: a folio the page cache allocated
/// for a hole (a read or a fault): it reads as zeros.
///
/// # Safety
///
/// Called by the page cache with a locked, referenced, not uptodate folio of
/// an rramfs mapping.
pub(crate) unsafe extern "C" fn read_folio(
    _file: *mut bindings::file,
    folio: *mut bindings::folio,
) -> c_int {
    // SAFETY: The locked folio is in its mapping, an rramfs mapping whose
    // inode is live for the call.
    let inode = unsafe { Inode::from_raw((*bindings::rramfs_folio_mapping(folio)).host) };
    let fsi = SbInfo::of_inode(inode);
    // SAFETY: The folio is valid.
    let err = match fsi.charge(inode, unsafe { bindings::rramfs_folio_nr_pages(folio) }) {
        Ok(()) => {
            // SAFETY: The folio is locked by our caller and ours to fill;
            // charged, it becomes uptodate and dirty (see module doc).
            unsafe {
                bindings::rramfs_folio_zero_segment(folio, 0, bindings::rramfs_folio_size(folio));
                bindings::rramfs_folio_mark_uptodate(folio);
                bindings::folio_mark_dirty(folio);
            }
            0
        }
        Err(e) => e.to_errno(),
    };
    // SAFETY: `read_folio` must unlock the folio, whatever the outcome.
    unsafe { bindings::folio_unlock(folio) };
    err
}
