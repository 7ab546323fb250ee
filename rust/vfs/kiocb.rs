// SPDX-License-Identifier: GPL-2.0

//! `struct kiocb`: the file and position of one read or write.

use core::marker::PhantomData;
use core::ptr::NonNull;

use super::Mapping;
use crate::bindings;

/// The `kiocb` of one `read_iter` or `write_iter` call on an rramfs file.
///
/// # Invariants
///
/// `ptr` points to a live `kiocb` that nothing else uses for `'a`, whose
/// file is an open rramfs file (so its mapping and inode are live too).
pub(crate) struct Kiocb<'a> {
    ptr: NonNull<bindings::kiocb>,
    _p: PhantomData<&'a mut bindings::kiocb>,
}

impl<'a> Kiocb<'a> {
    /// Wraps the `kiocb` argument of a VFS call.
    ///
    /// # Safety
    ///
    /// `ptr` is a live `kiocb` of a call on an open rramfs file, and
    /// nothing else uses it for `'a`.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::kiocb) -> Self {
        // INVARIANT: By the safety requirements.
        Kiocb {
            // SAFETY: A live kiocb is not null.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
            _p: PhantomData,
        }
    }

    /// The file position the call reads or writes at.
    pub(crate) fn pos(&self) -> i64 {
        // SAFETY: By the type invariants the kiocb is live.
        unsafe { (*self.ptr.as_ptr()).ki_pos }
    }

    /// Moves the position (past what the call read or wrote).
    pub(crate) fn set_pos(&mut self, pos: i64) {
        // SAFETY: By the type invariants the kiocb is live and ours.
        unsafe { (*self.ptr.as_ptr()).ki_pos = pos };
    }

    /// The page cache of the file.
    pub(crate) fn mapping(&self) -> Mapping<'a> {
        // SAFETY: By the type invariants the file is an open rramfs file:
        // its mapping belongs to a live rramfs inode for `'a`.
        unsafe { Mapping::from_raw((*(*self.ptr.as_ptr()).ki_filp).f_mapping) }
    }

    /// Updates the file's access time (`file_accessed()`), after a read.
    pub(crate) fn file_accessed(&self) {
        // SAFETY: By the type invariants the file is open.
        unsafe { bindings::rramfs_file_accessed((*self.ptr.as_ptr()).ki_filp) };
    }
}
