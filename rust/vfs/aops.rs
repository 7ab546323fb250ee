// SPDX-License-Identifier: GPL-2.0

//! `struct address_space_operations`, built from a trait (see
//! [`super::inode_ops`] for the pattern).  The first argument of
//! `write_begin`/`write_end`, which differs between kernels, is handled
//! here.

use core::marker::PhantomData;
use core::mem::ManuallyDrop;

use kernel::ffi::{c_int, c_uint, c_void};
use kernel::prelude::*;

use super::{errno, kver, InodeLocked, LockedFolio, Mapping};
use crate::bindings;

/// The page-cache operations of a filesystem whose page cache is its
/// storage: folios are dirty from the moment they hold data, and never
/// written back.
pub(crate) trait AddressSpaceOperations {
    /// `read_folio`: fill `folio`, which the page cache allocated for a
    /// read or a fault and which is not uptodate.  The caller unlocks it.
    fn read_folio(folio: &LockedFolio) -> Result;

    /// `write_begin`: the folio holding byte `pos` of `mapping`, locked,
    /// ready for a copy of `len` bytes (used by `page_symlink()`).
    fn write_begin(mapping: &Mapping, pos: i64, len: usize) -> Result<LockedFolio>;

    /// `write_end`: `copied` of the `len` bytes at `pos` were copied into
    /// `folio`; returns the bytes taken.
    fn write_end(
        locked: InodeLocked<'_>,
        folio: LockedFolio,
        pos: i64,
        len: usize,
        copied: usize,
    ) -> usize;

    /// `release_folio`: whether the kernel may let go of `folio`'s
    /// contents as they are (evict it, or split it).  Called on every
    /// folio of the mapping (see `mapping_set_release_always()` in
    /// `rramfs_mapping_init()`), first of all by the split of a large
    /// folio.
    fn release_folio(folio: &LockedFolio) -> bool;
}

/// An `address_space_operations` table, made by [`AddressSpaceOps::new`].
#[repr(transparent)]
pub(crate) struct AddressSpaceOps(pub(super) bindings::address_space_operations);

impl AddressSpaceOps {
    /// The table of `T`'s operations.
    pub(crate) const fn new<T: AddressSpaceOperations>() -> Self {
        AddressSpaceOps(bindings::address_space_operations {
            read_folio: Some(Vtable::<T>::read_folio),
            write_begin: Some(Vtable::<T>::write_begin),
            write_end: Some(Vtable::<T>::write_end),
            release_folio: Some(Vtable::<T>::release_folio),
            // Dirty from the start, never written back: nothing to track.
            dirty_folio: Some(bindings::noop_dirty_folio),
            // SAFETY: All-zero is a valid `address_space_operations`.
            ..unsafe { core::mem::zeroed() }
        })
    }
}

/// The trampolines of `T`'s operations, called only by the page cache
/// through a table made by [`AddressSpaceOps::new`], on rramfs mappings.
struct Vtable<T>(PhantomData<T>);

impl<T: AddressSpaceOperations> Vtable<T> {
    /// `read_folio`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn read_folio(
        _file: *mut bindings::file,
        folio: *mut bindings::folio,
    ) -> c_int {
        // SAFETY: The page cache passes a locked folio of an rramfs mapping
        // with a reference it keeps: borrowed here, never dropped.
        let borrowed = ManuallyDrop::new(unsafe { LockedFolio::from_raw(folio) });
        let err = errno(T::read_folio(&borrowed));
        // SAFETY: `read_folio` must unlock the folio, whatever the outcome.
        unsafe { bindings::folio_unlock(folio) };
        err
    }

    /// `write_begin`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn write_begin(
        _ctx: kver::WriteBeginCtx,
        mapping: *mut bindings::address_space,
        pos: bindings::loff_t,
        len: c_uint,
        foliop: *mut *mut bindings::folio,
        _fsdata: *mut *mut c_void,
    ) -> c_int {
        // SAFETY: The VFS calls this on a live rramfs mapping, with the
        // inode locked.
        let mapping = unsafe { Mapping::from_raw(mapping) };
        match T::write_begin(mapping, pos, len as usize) {
            Ok(folio) => {
                // The lock and reference go to `write_end`.
                let raw = ManuallyDrop::new(folio).as_raw();
                // SAFETY: `foliop` is valid for writes.
                unsafe { *foliop = raw };
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// `write_end`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn write_end(
        _ctx: kver::WriteBeginCtx,
        mapping: *mut bindings::address_space,
        pos: bindings::loff_t,
        len: c_uint,
        copied: c_uint,
        folio: *mut bindings::folio,
        _fsdata: *mut c_void,
    ) -> c_int {
        // SAFETY: `write_begin` handed over the folio's lock and reference;
        // callers of write_begin/write_end hold the inode lock of the
        // mapping's host, a live rramfs inode, for the call.
        let (folio, locked) = unsafe {
            (
                LockedFolio::from_raw(folio),
                InodeLocked::assume(Mapping::from_raw(mapping).inode()),
            )
        };
        T::write_end(locked, folio, pos, len as usize, copied as usize) as c_int
    }

    /// `release_folio`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn release_folio(folio: *mut bindings::folio, _gfp: bindings::gfp_t) -> bool {
        // SAFETY: `filemap_release_folio()` passes a locked folio of a
        // live rramfs mapping (it checked `folio->mapping`), referenced by
        // its caller for the call: borrowed here, never dropped.
        let borrowed = ManuallyDrop::new(unsafe { LockedFolio::from_raw(folio) });
        T::release_folio(&borrowed)
    }
}
