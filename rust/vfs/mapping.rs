// SPDX-License-Identifier: GPL-2.0

//! `struct address_space`: the page cache of an rramfs inode.

use kernel::types::Opaque;

use super::{FolioRef, Inode, InvalidateLock};
use crate::bindings;

/// The mapping of a live rramfs inode, used as `&'a Mapping`.
///
/// # Invariants
///
/// A `&'a Mapping` refers to the `address_space` of an rramfs inode that
/// stays live for `'a`.
#[repr(transparent)]
pub(crate) struct Mapping(Opaque<bindings::address_space>);

impl Mapping {
    /// Wraps a mapping.
    ///
    /// # Safety
    ///
    /// `ptr` is the mapping of an rramfs inode that stays live for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::address_space) -> &'a Mapping {
        // INVARIANT: By the safety requirements.
        // SAFETY: `Mapping` is a transparent wrapper of the C mapping,
        // which is live for `'a`.
        unsafe { &*ptr.cast::<Mapping>() }
    }

    /// The raw mapping, for the calls this type does not cover yet.
    pub(crate) fn as_raw(&self) -> *mut bindings::address_space {
        self.0.get()
    }

    /// The inode the mapping caches.
    pub(crate) fn inode(&self) -> &Inode {
        // SAFETY: By the type invariants the mapping is live while `self` is
        // borrowed, and so is the rramfs inode it belongs to (its host).
        unsafe { Inode::from_raw((*self.as_raw()).host) }
    }

    /// The file size (`i_size_read()`: consistent without the inode lock).
    pub(crate) fn size(&self) -> i64 {
        self.inode().size()
    }

    /// Takes the invalidate lock for writing: page faults cannot add folios
    /// meanwhile.
    pub(crate) fn invalidate_lock(&self) -> InvalidateLock<'_> {
        InvalidateLock::new(self)
    }

    /// The pages the page cache holds (`nrpages`): a snapshot, which the
    /// page cache may change at once (`READ_ONCE`, as `simple_getattr()`).
    pub(crate) fn nrpages(&self) -> u64 {
        // SAFETY: By the type invariants the mapping is live; a volatile
        // read of a word the page cache updates under its own lock.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_raw()).nrpages) as u64 }
    }

    /// The allocation flags of the mapping's folios.
    pub(crate) fn gfp_mask(&self) -> bindings::gfp_t {
        // SAFETY: By the type invariants the mapping is live.
        unsafe { (*self.as_raw()).gfp_mask }
    }

    /// The largest folio order the mapping may cache.
    pub(crate) fn max_folio_order(&self) -> u32 {
        // SAFETY: By the type invariants the mapping is live.
        unsafe { bindings::rramfs_mapping_max_folio_order(self.as_raw()) }
    }

    /// The first folio at or after page `index` and at or before `last`,
    /// as (its first page, its number of pages, whether it holds data),
    /// or `None`: what SEEK_DATA/SEEK_HOLE and splice see of the cache.
    pub(crate) fn find_folio(&self, index: u64, last: u64) -> Option<(u64, u64, bool)> {
        let (mut first, mut nr, mut uptodate) = (0usize, 0u64, false);
        // SAFETY: By the type invariants the mapping is live; the
        // out-pointers are valid.
        let found = unsafe {
            bindings::rramfs_find_folio(
                self.as_raw(),
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
    /// creates one.  Inline: the read path's lookup.
    #[inline]
    pub(crate) fn get_folio(&self, index: u64) -> Option<FolioRef> {
        let index = usize::try_from(index).ok()?;
        // SAFETY: By the type invariants the mapping is live.
        unsafe { FolioRef::get(self.as_raw(), index) }
    }
}
