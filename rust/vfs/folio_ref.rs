// SPDX-License-Identifier: GPL-2.0

//! A page-cache folio held by a reference (not locked).

use core::ptr::NonNull;

use super::{BatchPage, FolioGeo, IovIter};
use crate::bindings;

/// A folio with one reference owned by this value and dropped with it.
///
/// Without the folio lock the folio can be truncated from its mapping
/// meanwhile; its memory stays valid, and copying out of it is what a
/// lockless read does (as `filemap_read()`).
///
/// # Invariants
///
/// `ptr` is a folio on which this value owns one reference.  `geo` is its
/// geometry: its file offset and size, which cannot change while it is
/// referenced (a split needs every reference but the page cache's and its
/// caller's), and its PG_uptodate when it was looked up.
pub(crate) struct FolioRef {
    ptr: NonNull<bindings::folio>,
    geo: FolioGeo,
}

impl FolioRef {
    /// The folio caching page `index` of `mapping`, referenced, with its
    /// geometry, if there is one.
    ///
    /// # Safety
    ///
    /// `mapping` is a live mapping.
    #[inline]
    pub(super) unsafe fn get(mapping: *mut bindings::address_space, index: usize) -> Option<Self> {
        // SAFETY: `mapping` is live by the safety requirements; the result
        // is a null folio or one with a reference that is now ours, with the
        // shim's geometry.
        let (ptr, geo) = unsafe {
            let found = bindings::rramfs_filemap_get_folio(mapping, index);
            (found.folio, FolioGeo::from_raw(found.geo))
        };
        // INVARIANT: Referenced, geometry read while referenced.
        NonNull::new(ptr).map(|ptr| FolioRef { ptr, geo })
    }

    /// Whether the folio's contents were valid (PG_uptodate) at the lookup.
    pub(crate) fn is_uptodate(&self) -> bool {
        self.geo.is_uptodate()
    }

    /// The file offset of the folio's first byte.
    pub(crate) fn pos(&self) -> i64 {
        self.geo.pos()
    }

    /// The folio's size in bytes.
    pub(crate) fn size(&self) -> usize {
        self.geo.size()
    }

    /// Copies up to `bytes` from byte `offset` of the folio (clamped to
    /// it) into `to`; returns the bytes copied (fewer on a fault).  Holds
    /// no lock, so the copy may fault.
    #[inline]
    pub(crate) fn copy_to_iter(&self, offset: usize, bytes: usize, to: &mut IovIter<'_>) -> usize {
        let bytes = bytes.min(self.size().saturating_sub(offset));
        if bytes == 0 {
            return 0;
        }
        // A mapping's stores reach the kernel's view of the folio only
        // through `flush_dcache_folio()`, an empty inline where the
        // architecture needs none (x86): no call there.
        if bindings::ARCH_IMPLEMENTS_FLUSH_DCACHE_PAGE {
            // SAFETY: The folio is referenced.
            unsafe { bindings::rramfs_flush_dcache_folio(self.ptr.as_ptr()) };
        }
        // SAFETY: The folio is referenced and `[offset, offset + bytes)`
        // lies inside it (clamped above); `to` is a live iov_iter.
        unsafe {
            bindings::rramfs_copy_folio_to_iter(self.ptr.as_ptr(), offset, bytes, to.as_raw())
        }
    }

    /// Copies `len` bytes from byte `foff` of the folio to byte `poff` of
    /// `page`, clamped so that neither range crosses a page boundary or
    /// leaves the folio; returns the bytes copied.  The page may be one of
    /// this very folio's (an O_DIRECT read into an mmap of the same
    /// range): the copy is then a memmove.
    pub(crate) fn copy_to_page(
        &self,
        foff: usize,
        page: BatchPage<'_>,
        poff: usize,
        len: usize,
    ) -> usize {
        let len = clamp_page_copy(self.size(), foff, poff, len);
        if len > 0 {
            // SAFETY: The folio is referenced, the page held by its batch,
            // and both ranges lie inside one page of each (clamped above).
            unsafe {
                bindings::rramfs_copy_folio_to_page(
                    self.ptr.as_ptr(),
                    foff,
                    page.as_raw(),
                    poff,
                    len,
                )
            };
        }
        len
    }
}

/// `len` clamped so that `[foff, +len)` stays inside one page of a folio of
/// `size` bytes and `[poff, +len)` inside one page.
pub(crate) fn clamp_page_copy(size: usize, foff: usize, poff: usize, len: usize) -> usize {
    let ps = bindings::PAGE_SIZE;
    len.min(ps.saturating_sub(poff))
        .min(ps - (foff & (ps - 1)))
        .min(size.saturating_sub(foff))
}

impl Drop for FolioRef {
    fn drop(&mut self) {
        // SAFETY: By the type invariants we own a reference.
        unsafe { bindings::rramfs_folio_put(self.ptr.as_ptr()) };
    }
}
