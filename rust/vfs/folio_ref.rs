// SPDX-License-Identifier: GPL-2.0

//! A page-cache folio held by a reference (not locked).

use core::ptr::NonNull;

use super::{BatchPage, IovIter};
use crate::bindings;

/// A folio with one reference owned by this value and dropped with it.
///
/// Without the folio lock the folio can be truncated from its mapping
/// meanwhile; its memory stays valid, and copying out of it is what a
/// lockless read does (as `filemap_read()`).
///
/// # Invariants
///
/// `ptr` is a folio on which this value owns one reference.
pub(crate) struct FolioRef {
    ptr: NonNull<bindings::folio>,
}

impl FolioRef {
    /// Takes over a reference on `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` is a folio with a reference that the caller hands over.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::folio) -> Self {
        // INVARIANT: By the safety requirements.
        FolioRef {
            // SAFETY: A referenced folio is not null.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
        }
    }

    /// Whether the folio's contents are valid (PG_uptodate).
    pub(crate) fn is_uptodate(&self) -> bool {
        // SAFETY: By the type invariants the folio is referenced.
        unsafe { bindings::rramfs_folio_test_uptodate(self.ptr.as_ptr()) }
    }

    /// The file offset of the folio's first byte.
    pub(crate) fn pos(&self) -> i64 {
        // SAFETY: By the type invariants the folio is referenced.
        unsafe { bindings::rramfs_folio_pos(self.ptr.as_ptr()) }
    }

    /// The folio's size in bytes.
    pub(crate) fn size(&self) -> usize {
        // SAFETY: By the type invariants the folio is referenced.
        unsafe { bindings::rramfs_folio_size(self.ptr.as_ptr()) }
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
        // SAFETY: The folio is referenced and `[offset, offset + bytes)`
        // lies inside it (clamped above); `to` is a live iov_iter.
        unsafe {
            bindings::rramfs_flush_dcache_folio(self.ptr.as_ptr());
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
