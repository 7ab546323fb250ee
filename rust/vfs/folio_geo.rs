// SPDX-License-Identifier: GPL-2.0

//! A folio's geometry and state as the shim returns them, in one word.

use crate::bindings;

/// A folio's file position, size, PG_uptodate and PG_dirty.
///
/// The shim packs them into one word (`rramfs_folio_geometry()`) so that a
/// lookup returns the folio and its geometry in two registers: no
/// out-parameters on the read and write paths' fast paths.
///
/// # Invariants
///
/// The word is a folio's file position, which is aligned to the folio's
/// size and so to a page, with the folio's order in the
/// `RRAMFS_GEO_ORDER_MASK` bits at `RRAMFS_GEO_ORDER_SHIFT`,
/// `RRAMFS_GEO_UPTODATE` set if the folio was uptodate and
/// `RRAMFS_GEO_DIRTY` if it was dirty; no other bit below the page offset
/// is set.
#[derive(Clone, Copy)]
pub(crate) struct FolioGeo(u64);

// The order and the flag fit below the page offset (as the shim asserts).
const _: () = assert!(
    ((bindings::RRAMFS_GEO_ORDER_MASK << bindings::RRAMFS_GEO_ORDER_SHIFT) as usize)
        < bindings::PAGE_SIZE
);

impl FolioGeo {
    /// Takes a word from the shim.
    ///
    /// # Safety
    ///
    /// `geo` is what `rramfs_folio_geometry()` returned for a folio.
    #[inline(always)]
    pub(super) unsafe fn from_raw(geo: u64) -> Self {
        // INVARIANT: By the safety requirements.
        FolioGeo(geo)
    }

    /// The file offset of the folio's first byte.
    #[inline(always)]
    pub(crate) fn pos(self) -> i64 {
        // A file position is below 2^63 (s_maxbytes), so it fits.
        (self.0 & !(bindings::PAGE_SIZE as u64 - 1)) as i64
    }

    /// The folio's order (log2 of its pages).
    #[inline(always)]
    fn order(self) -> u32 {
        ((self.0 >> bindings::RRAMFS_GEO_ORDER_SHIFT) & u64::from(bindings::RRAMFS_GEO_ORDER_MASK))
            as u32
    }

    /// The folio's size in bytes.
    #[inline(always)]
    pub(crate) fn size(self) -> usize {
        // The mask keeps the shift below 64, and the folio's size fits.
        bindings::PAGE_SIZE << self.order()
    }

    /// The number of pages in the folio.
    #[inline(always)]
    pub(crate) fn nr_pages(self) -> u64 {
        1 << self.order()
    }

    /// Whether the folio was uptodate.
    #[inline(always)]
    pub(crate) fn is_uptodate(self) -> bool {
        self.0 & u64::from(bindings::RRAMFS_GEO_UPTODATE) != 0
    }

    /// Whether the folio was dirty.
    #[inline(always)]
    pub(crate) fn is_dirty(self) -> bool {
        self.0 & u64::from(bindings::RRAMFS_GEO_DIRTY) != 0
    }

    /// The same folio, uptodate.
    #[inline(always)]
    pub(super) fn uptodate(self) -> Self {
        // INVARIANT: Only a flag changes.
        FolioGeo(self.0 | u64::from(bindings::RRAMFS_GEO_UPTODATE))
    }

    /// The same folio, dirty.
    #[inline(always)]
    pub(super) fn dirty(self) -> Self {
        // INVARIANT: Only a flag changes.
        FolioGeo(self.0 | u64::from(bindings::RRAMFS_GEO_DIRTY))
    }
}
