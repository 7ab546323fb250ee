// SPDX-License-Identifier: GPL-2.0

//! `struct address_space`: the page cache of an rramfs inode.

use core::marker::PhantomData;
use core::ptr::NonNull;

use super::{FolioRef, Inode, InvalidateLock};
use crate::bindings;

/// The mapping of a live rramfs inode.
///
/// # Invariants
///
/// `ptr` points to the `address_space` of an rramfs inode that stays live
/// for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Mapping<'a> {
    ptr: NonNull<bindings::address_space>,
    _p: PhantomData<&'a bindings::address_space>,
}

impl<'a> Mapping<'a> {
    /// Wraps a mapping.
    ///
    /// # Safety
    ///
    /// `ptr` is the mapping of an rramfs inode that stays live for `'a`.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::address_space) -> Self {
        // INVARIANT: By the safety requirements.
        Mapping {
            // SAFETY: A live mapping is not null.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
            _p: PhantomData,
        }
    }

    /// The raw mapping, for the calls this type does not cover yet.
    pub(crate) fn as_raw(self) -> *mut bindings::address_space {
        self.ptr.as_ptr()
    }

    /// The inode the mapping caches.
    pub(crate) fn inode(self) -> Inode<'a> {
        // SAFETY: By the type invariants the mapping is live for `'a`, and
        // so is the rramfs inode it belongs to (its host).
        unsafe { Inode::from_raw((*self.ptr.as_ptr()).host) }
    }

    /// The file size (`i_size_read()`: consistent without the inode lock).
    pub(crate) fn size(self) -> i64 {
        self.inode().size()
    }

    /// Takes the invalidate lock for writing: page faults cannot add folios
    /// meanwhile.
    pub(crate) fn invalidate_lock(self) -> InvalidateLock<'a> {
        InvalidateLock::new(self)
    }

    /// The allocation flags of the mapping's folios.
    pub(crate) fn gfp_mask(self) -> bindings::gfp_t {
        // SAFETY: By the type invariants the mapping is live.
        unsafe { (*self.ptr.as_ptr()).gfp_mask }
    }

    /// The largest folio order the mapping may cache.
    pub(crate) fn max_folio_order(self) -> u32 {
        // SAFETY: By the type invariants the mapping is live.
        unsafe { bindings::rramfs_mapping_max_folio_order(self.ptr.as_ptr()) }
    }

    /// The first folio at or after page `index` and at or before `last`,
    /// as (its first page, its number of pages, whether it holds data),
    /// or `None`: what SEEK_DATA/SEEK_HOLE and splice see of the cache.
    pub(crate) fn find_folio(self, index: u64, last: u64) -> Option<(u64, u64, bool)> {
        let (mut first, mut nr, mut uptodate) = (0usize, 0u64, false);
        // SAFETY: By the type invariants the mapping is live; the
        // out-pointers are valid.
        let found = unsafe {
            bindings::rramfs_find_folio(
                self.ptr.as_ptr(),
                usize::try_from(index).ok()?,
                usize::try_from(last).unwrap_or(usize::MAX),
                &mut first,
                &mut nr,
                &mut uptodate,
            )
        };
        found.then_some((first as u64, nr, uptodate))
    }

    /// The folio caching page `index`, referenced, if there is one; never
    /// creates one.
    pub(crate) fn get_folio(self, index: u64) -> Option<FolioRef> {
        let index = usize::try_from(index).ok()?;
        // SAFETY: By the type invariants the mapping is live.  The result
        // is null or a folio with a reference that is now ours.
        let f = unsafe { bindings::rramfs_filemap_get_folio(self.ptr.as_ptr(), index) };
        // SAFETY: `f` is null or a folio with a reference handed over.
        (!f.is_null()).then(|| unsafe { FolioRef::from_raw(f) })
    }
}
