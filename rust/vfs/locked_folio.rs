// SPDX-License-Identifier: GPL-2.0

//! A locked page-cache folio: its geometry, the copies into it, and the
//! state changes a write makes.  What a new folio costs (the mount's
//! limits) is the filesystem's business, not this type's.

use core::{cell::Cell, ptr::NonNull};

use kernel::prelude::*;

use super::{clamp_page_copy, BatchPage, FolioGeo, InodeLocked, IovIter, Mapping};
use crate::bindings;

/// A folio that is locked and referenced by this owner.
///
/// # Invariants
///
/// `folio` is a valid folio, locked by this owner, with one reference held
/// by it; both are dropped by `Drop`.  It is in the page cache of a live
/// rramfs inode, which it cannot leave while locked (truncation and
/// eviction take the folio lock).  `geo` is its geometry: its file offset
/// and size, which cannot change while it is locked; a mirror of its
/// PG_uptodate, which only this owner can set while it holds the lock; and
/// its PG_dirty as far as this owner knows: a set bit is true while the
/// lock is held (clearing PG_dirty takes the folio lock), a clear one may
/// be stale (setting it does not).
pub(crate) struct LockedFolio {
    folio: NonNull<bindings::folio>,
    geo: Cell<FolioGeo>,
}

impl LockedFolio {
    /// The folio caching `index` of `mapping`, locked, if there is one.
    /// May sleep: the caller holds no folio lock.
    #[inline]
    pub(crate) fn lock_cached(mapping: &Mapping, index: u64) -> Option<Self> {
        // SAFETY: `mapping` is live; the result is a null folio (absent)
        // or a locked folio with a reference, with the shim's geometry.
        let (folio, geo) = unsafe {
            let found = bindings::rramfs_filemap_lock_folio(mapping.as_raw(), index as usize);
            (found.folio, FolioGeo::from_raw(found.geo))
        };
        // INVARIANT: Found locked and referenced, geometry read under the
        // lock.
        NonNull::new(folio).map(|folio| LockedFolio {
            folio,
            geo: Cell::new(geo),
        })
    }

    /// Allocates a folio of `1 << order` pages with `gfp` and inserts it
    /// into `mapping` at page `index` (a multiple of its size), locked and
    /// not uptodate.  `None` if the allocation failed; EEXIST if part of
    /// the range is cached already.
    pub(crate) fn add_new(
        mapping: &Mapping,
        index: u64,
        order: u32,
        alloc_gfp: bindings::gfp_t,
        gfp: bindings::gfp_t,
    ) -> Option<Result<Self>> {
        // SAFETY: Allocates a new folio, or returns null.
        let folio = unsafe { bindings::rramfs_filemap_alloc_folio(alloc_gfp, order) };
        if folio.is_null() {
            return None;
        }
        // SAFETY: `folio` is new and ours; on success it is inserted
        // locked, and our reference stays ours; `mapping` is live.
        let err =
            unsafe { bindings::filemap_add_folio(mapping.as_raw(), folio, index as usize, gfp) };
        if err == 0 {
            // SAFETY: Locked and referenced by `filemap_add_folio`.
            return Some(Ok(unsafe { LockedFolio::from_raw(folio) }));
        }
        // SAFETY: Not inserted: drops the only reference.
        unsafe { bindings::rramfs_folio_put(folio) };
        Some(Err(Error::from_errno(err)))
    }

    /// Takes over a folio that is locked and referenced.
    ///
    /// # Safety
    ///
    /// `folio` is a folio of an rramfs mapping, locked and referenced,
    /// both owned by the caller and handed over.
    pub(super) unsafe fn from_raw(folio: *mut bindings::folio) -> Self {
        // SAFETY: By the safety requirements the folio is valid (so not
        // null); the geometry is the shim's for it.
        let (folio, geo) = unsafe {
            (
                NonNull::new_unchecked(folio),
                FolioGeo::from_raw(bindings::rramfs_folio_geometry(folio)),
            )
        };
        // INVARIANT: By the safety requirements; read while the folio is
        // locked.
        LockedFolio {
            folio,
            geo: Cell::new(geo),
        }
    }

    /// The page cache the folio is in.
    pub(crate) fn mapping(&self) -> &Mapping {
        // SAFETY: By the type invariants the folio is locked in the
        // mapping of a live rramfs inode, for as long as `self` is.
        unsafe { Mapping::from_raw(bindings::rramfs_folio_mapping(self.as_raw())) }
    }

    /// The raw folio, valid while `self` lives.
    pub(crate) fn as_raw(&self) -> *mut bindings::folio {
        self.folio.as_ptr()
    }

    /// The folio's size in bytes.
    pub(crate) fn size(&self) -> usize {
        self.geo.get().size()
    }

    /// The file offset of the folio's first byte.
    pub(crate) fn pos(&self) -> i64 {
        self.geo.get().pos()
    }

    /// The page index of the folio's first page.
    pub(crate) fn index(&self) -> u64 {
        (self.pos() as u64) >> bindings::PAGE_SHIFT
    }

    /// The number of pages in the folio.
    pub(crate) fn nr_pages(&self) -> u64 {
        self.geo.get().nr_pages()
    }

    /// Whether the folio's contents are valid.
    pub(crate) fn is_uptodate(&self) -> bool {
        self.geo.get().is_uptodate()
    }

    /// Zeroes `[start, end)` of the folio (byte offsets within it).
    pub(crate) fn zero(&self, start: usize, end: usize) {
        if start < end {
            // SAFETY: The folio is valid and locked; the range is checked to
            // be inside it by the shim's `folio_zero_segment`.
            unsafe { bindings::rramfs_folio_zero_segment(self.as_raw(), start, end) };
        }
    }

    /// Makes a folio that is not uptodate uptodate and dirty, after all of
    /// it was written (dirty keeps it in the cache: it is the storage).
    // Always inline: a call would need `self` in memory, on the write
    // path's fast path too.
    #[inline(always)]
    pub(crate) fn mark_uptodate(&self) {
        if !self.is_uptodate() {
            // SAFETY: The folio is locked (type invariants) and, by the
            // caller, fully initialised.
            unsafe {
                bindings::rramfs_folio_mark_uptodate(self.as_raw());
                bindings::folio_mark_dirty(self.as_raw());
            }
            self.geo.set(self.geo.get().uptodate().dirty());
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
        let bytes = bytes.min(self.size().saturating_sub(offset));
        // SAFETY: The folio is locked and referenced (type invariants) and
        // `[offset, offset + bytes)` lies inside it; `from` is live.
        unsafe {
            bindings::rramfs_copy_folio_from_iter_atomic(
                self.as_raw(),
                offset,
                bytes,
                from.as_raw(),
            )
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
        let len = clamp_page_copy(self.size(), foff, poff, len);
        if len > 0 {
            // SAFETY: The folio is locked and referenced, the page held by
            // its batch, and both ranges lie inside one page of each.
            unsafe {
                bindings::rramfs_copy_page_to_folio(self.as_raw(), foff, page.as_raw(), poff, len)
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
        if bindings::ARCH_IMPLEMENTS_FLUSH_DCACHE_PAGE {
            // SAFETY: The folio is valid.
            unsafe { bindings::rramfs_flush_dcache_folio(self.as_raw()) };
        }
        if !self.is_uptodate() {
            self.zero(offset + copied, offset + len);
            // All of it initialised: by `prepare_write` and the copy.
            self.mark_uptodate();
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
        // The folio holds the only copy of the data.  rramfs folios are
        // dirty from the moment they hold data until truncation drops them
        // (nothing writes them back), so this is the rare case: a folio
        // left uptodate and clean by someone else.  Skipping the call
        // otherwise saves ~30 instructions per write (folio_mapping() and
        // an indirect call to noop_dirty_folio()).  What the call would
        // also do, clear PG_reclaim (alias PG_readahead), is moot: reclaim
        // does not mark an unevictable mapping's folios, and a readahead
        // mark left on a rewritten folio starts the same readahead at the
        // next fault as it would have without the write.
        if !self.geo.get().is_dirty() {
            // SAFETY: The folio is valid and locked.
            unsafe { bindings::folio_mark_dirty(self.as_raw()) };
            self.geo.set(self.geo.get().dirty());
        }
    }
}

impl Drop for LockedFolio {
    fn drop(&mut self) {
        // SAFETY: By the type invariants we hold the lock and a reference.
        unsafe { bindings::rramfs_folio_unlock_put(self.as_raw()) };
    }
}
