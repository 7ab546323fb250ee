// SPDX-License-Identifier: GPL-2.0

//! The caller's pages of an O_DIRECT call, a batch at a time, from
//! `iov_iter_extract_pages()`: pinned (FOLL_PIN) when they are user memory,
//! borrowed as they are for bvec/kvec/folioq iterators, and released
//! exactly as they were got.

use core::marker::PhantomData;
use core::ptr::NonNull;

use kernel::ffi::c_ulong;
use kernel::prelude::*;

use super::{IovIter, Mapping};
use crate::bindings;

/// Pages per batch: 256 KiB with 4 KiB pages.
pub(crate) const BATCH_PAGES: usize = 64;

/// The pages of one batch, extracted from an iterator.
///
/// # Invariants
///
/// `pages[..n]` are the pages that `iov_iter_extract_pages()` returned for
/// `bytes` bytes starting at `offset0` in the first; if `pinned`, each
/// holds one FOLL_PIN pin owned by this batch, released by
/// [`PageBatch::release`] (or on drop, without dirtying); if not, the
/// iterator's owner keeps them alive for the call and they are not
/// released.  The array lives on the stack (512 bytes): no allocation.
pub(crate) struct PageBatch {
    pages: [*mut bindings::page; BATCH_PAGES],
    n: usize,
    offset0: usize,
    bytes: usize,
    pinned: bool,
    released: bool,
}

impl IovIter<'_> {
    /// Extracts up to `max` bytes (at most [`BATCH_PAGES`] pages) of the
    /// buffer's pages, advancing it.  Pinning user memory may fault: the
    /// caller must hold no lock that a page fault can take.
    pub(crate) fn extract_pages(&mut self, max: usize) -> Result<PageBatch> {
        let mut pages = [core::ptr::null_mut(); BATCH_PAGES];
        let iter = self.as_raw();
        // SAFETY: `iter` is live (type invariants of `IovIter`).
        let pinned = unsafe { bindings::rramfs_iov_iter_extract_will_pin(iter) };
        let mut arr = pages.as_mut_ptr();
        let mut offset0 = 0usize;
        // SAFETY: `iter` is live; `arr` has room for `BATCH_PAGES`
        // pointers, which the extraction fills in (it uses the array it is
        // given, never more than `maxpages` of it).
        let got = unsafe {
            bindings::iov_iter_extract_pages(
                iter,
                &mut arr,
                max,
                BATCH_PAGES as u32,
                0,
                &mut offset0,
            )
        };
        if got < 0 {
            return Err(Error::from_errno(got as i32));
        }
        let bytes = got as usize;
        // INVARIANT: As returned by the extraction.
        Ok(PageBatch {
            pages,
            n: (offset0 + bytes).div_ceil(bindings::PAGE_SIZE),
            offset0,
            bytes,
            pinned,
            released: false,
        })
    }
}

impl PageBatch {
    /// The bytes the batch holds.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The number of pages.
    pub(crate) fn nr_pages(&self) -> usize {
        self.n
    }

    /// Where the first byte sits in the first page.
    pub(crate) fn offset0(&self) -> usize {
        self.offset0
    }

    /// Whether the pages are pinned user memory (else they are borrowed).
    pub(crate) fn is_pinned(&self) -> bool {
        self.pinned
    }

    /// Page `i` of the batch (`i < nr_pages()`).
    pub(crate) fn page(&self, i: usize) -> BatchPage<'_> {
        let p = self.pages[..self.n][i];
        // INVARIANT: One of the batch's pages, held while it is borrowed.
        BatchPage {
            // SAFETY: The extraction filled `pages[..n]` with pages.
            ptr: unsafe { NonNull::new_unchecked(p) },
            _p: PhantomData,
        }
    }

    /// The page holding byte `off` of the batch (`off < bytes()`), and the
    /// offset in it.
    pub(crate) fn page_at(&self, off: usize) -> (BatchPage<'_>, usize) {
        let abs = self.offset0 + off;
        (
            self.page(abs / bindings::PAGE_SIZE),
            abs % bindings::PAGE_SIZE,
        )
    }

    /// Releases the pages: unpins them if pinned (marking them dirty if the
    /// kernel wrote into them); borrowed pages are left alone.
    pub(crate) fn release(mut self, dirty: bool) {
        self.unpin(dirty);
    }

    fn unpin(&mut self, dirty: bool) {
        if !self.released && self.pinned && self.n > 0 {
            // SAFETY: By the type invariants we own one pin on each page.
            unsafe {
                bindings::unpin_user_pages_dirty_lock(
                    self.pages.as_mut_ptr(),
                    self.n as c_ulong,
                    dirty,
                )
            };
        }
        self.released = true;
    }
}

impl Drop for PageBatch {
    fn drop(&mut self) {
        self.unpin(false);
    }
}

/// One page of a [`PageBatch`], valid while the batch is borrowed.
///
/// # Invariants
///
/// `ptr` is a page that the batch holds for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct BatchPage<'a> {
    ptr: NonNull<bindings::page>,
    _p: PhantomData<&'a PageBatch>,
}

impl BatchPage<'_> {
    /// The raw page, valid while the batch is borrowed.
    pub(crate) fn as_raw(self) -> *mut bindings::page {
        self.ptr.as_ptr()
    }

    /// Zeroes `[poff, poff + len)` of the page (clamped to it).
    pub(crate) fn zero(self, poff: usize, len: usize) {
        let len = len.min(bindings::PAGE_SIZE.saturating_sub(poff));
        if len > 0 {
            // SAFETY: The page is held (type invariants) and the range lies
            // inside it.
            unsafe { bindings::rramfs_zero_page(self.ptr.as_ptr(), poff, len) };
        }
    }

    /// The page's index in `mapping`'s file, if it is a page of that
    /// mapping: a hint, racy by nature (the page may be truncated
    /// meanwhile).
    pub(crate) fn index_in(self, mapping: &Mapping) -> Option<u64> {
        // SAFETY: The page is held; `mapping` is live.
        let i = unsafe { bindings::rramfs_page_index_in(self.ptr.as_ptr(), mapping.as_raw()) };
        u64::try_from(i).ok()
    }
}
