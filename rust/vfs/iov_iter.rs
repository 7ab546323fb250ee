// SPDX-License-Identifier: GPL-2.0

//! `struct iov_iter`: the caller's buffer of a read or a write.

use core::marker::PhantomData;
use core::ptr::NonNull;

use crate::bindings;

/// The `iov_iter` of one `read_iter` or `write_iter` call.
///
/// # Invariants
///
/// `ptr` points to a live `iov_iter` that nothing else uses for `'a`: the
/// VFS hands one to a single call, which runs on one thread.
pub(crate) struct IovIter<'a> {
    ptr: NonNull<bindings::iov_iter>,
    _p: PhantomData<&'a mut bindings::iov_iter>,
}

impl<'a> IovIter<'a> {
    /// Wraps the `iov_iter` argument of a VFS call.
    ///
    /// # Safety
    ///
    /// `ptr` is a live `iov_iter` that nothing else uses for `'a`.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::iov_iter) -> Self {
        // INVARIANT: By the safety requirements.
        IovIter {
            // SAFETY: A live iov_iter is not null.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
            _p: PhantomData,
        }
    }

    /// The same iterator, borrowed for a shorter lifetime, as a value: to
    /// hand to a function that is not inlined without taking this
    /// wrapper's address (which would keep it in memory for the whole
    /// caller).
    #[inline]
    pub(crate) fn reborrow(&mut self) -> IovIter<'_> {
        // INVARIANT: `self` is borrowed mutably for the new lifetime, so
        // nothing else uses the iterator meanwhile.
        IovIter {
            ptr: self.ptr,
            _p: PhantomData,
        }
    }

    /// The raw `iov_iter`, for the calls this type does not cover yet.
    pub(crate) fn as_raw(&mut self) -> *mut bindings::iov_iter {
        self.ptr.as_ptr()
    }

    /// The bytes left in the buffer.
    #[inline]
    pub(crate) fn count(&self) -> usize {
        // `iov_iter_count()` is a read of the field (every iterator type
        // keeps `count` in the same anonymous struct on 6.12 and 7.3), as
        // the kernel crate's `kernel::iov` reads it.
        // SAFETY: By the type invariants the iov_iter is live; `count` is
        // valid for every iterator type.
        unsafe {
            (*self.ptr.as_ptr())
                .__bindgen_anon_1
                .__bindgen_anon_1
                .as_ref()
                .count
        }
    }

    /// The OR of the buffer's segment addresses and lengths: what
    /// alignment checks test (`iov_iter_alignment()`).
    pub(crate) fn alignment(&self) -> u64 {
        // SAFETY: By the type invariants the iov_iter is live.
        unsafe { bindings::iov_iter_alignment(self.ptr.as_ptr()) as u64 }
    }

    /// Moves the buffer back by `bytes` that it advanced over but the call
    /// did not use (a short write), so that the caller resumes from the
    /// right place (`iov_iter_revert()`).
    pub(crate) fn revert(&mut self, bytes: usize) {
        // SAFETY: By the type invariants the iov_iter is live;
        // `iov_iter_revert()` handles any count the iterator advanced by.
        unsafe { bindings::iov_iter_revert(self.ptr.as_ptr(), bytes) };
    }

    /// Faults in up to `bytes` of a source buffer for reading.  Returns the
    /// bytes that could *not* be faulted in: `bytes` means none could.
    ///
    /// Touches user memory: the caller must hold no lock that a page fault
    /// can take (folio locks, the invalidate lock, `mmap_lock`).
    pub(crate) fn fault_in_readable(&mut self, bytes: usize) -> usize {
        // SAFETY: By the type invariants the iov_iter is live.
        unsafe { bindings::fault_in_iov_iter_readable(self.ptr.as_ptr(), bytes) }
    }

    /// Fills up to `bytes` of a destination buffer with zeros, advancing
    /// it; returns the bytes filled (fewer on a fault).
    pub(crate) fn zero(&mut self, bytes: usize) -> usize {
        // SAFETY: By the type invariants the iov_iter is live.
        unsafe { bindings::iov_iter_zero(bytes, self.ptr.as_ptr()) }
    }
}
