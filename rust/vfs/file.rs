// SPDX-License-Identifier: GPL-2.0

//! `struct file`: an open rramfs file, as its file operations see it.

use kernel::prelude::*;
use kernel::types::Opaque;

use super::{to_result, Inode, InodeLocked, Mapping};
use crate::bindings;

/// An open rramfs file, used as `&'a File`.
///
/// # Invariants
///
/// A `&'a File` refers to a file open on an rramfs inode for all of `'a`
/// (so its mapping and inode are live too).
#[repr(transparent)]
pub(crate) struct File(Opaque<bindings::file>);

impl File {
    /// Wraps a file.
    ///
    /// # Safety
    ///
    /// `ptr` is a file open on an rramfs inode for all of `'a` (the file
    /// argument of a file operation, for that call).
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::file) -> &'a File {
        // INVARIANT: By the safety requirements.
        // SAFETY: `File` is a transparent wrapper of the C file, which is
        // live for `'a`.
        unsafe { &*ptr.cast::<File>() }
    }

    /// The raw file, for the calls this type does not cover yet.
    pub(crate) fn as_raw(&self) -> *mut bindings::file {
        self.0.get()
    }

    /// The file's page cache.
    pub(crate) fn mapping(&self) -> &Mapping {
        // SAFETY: By the type invariants the file is open, so `f_mapping`
        // is the mapping of a live rramfs inode while `self` is borrowed.
        unsafe { Mapping::from_raw((*self.as_raw()).f_mapping) }
    }

    /// The file's inode.
    pub(crate) fn inode(&self) -> &Inode {
        self.mapping().inode()
    }

    /// `generic_file_llseek()`: SEEK_SET, SEEK_CUR, SEEK_END.
    pub(crate) fn generic_llseek(&self, offset: i64, whence: i32) -> i64 {
        // SAFETY: By the type invariants the file is open; a file's llseek
        // is called with its position lock held where it needs one.
        unsafe { bindings::generic_file_llseek(self.as_raw(), offset, whence) }
    }

    /// Moves the file position to `offset` (`vfs_setpos()`); returns it or
    /// an error.  Only from `llseek`.
    pub(crate) fn set_pos(&self, offset: i64) -> Result<i64> {
        // SAFETY: By the type invariants the file is open.
        let r = unsafe { bindings::vfs_setpos(self.as_raw(), offset, i64::MAX) };
        if r < 0 {
            Err(Error::from_errno(r as i32))
        } else {
            Ok(r)
        }
    }

    /// Removes suid/sgid and updates the times of a modification
    /// (`file_modified()`), under the inode lock.
    pub(crate) fn modified(&self, _locked: InodeLocked<'_>) -> Result {
        // SAFETY: By the type invariants the file is open; `_locked` shows
        // its inode is locked, as the function requires.
        to_result(unsafe { bindings::file_modified(self.as_raw()) })
    }

    /// Reports an error recorded on the mapping since this file last looked
    /// (`file_check_and_advance_wb_err()`).
    pub(crate) fn check_and_advance_wb_err(&self) -> Result {
        // SAFETY: By the type invariants the file is open.
        to_result(unsafe { bindings::file_check_and_advance_wb_err(self.as_raw()) })
    }
}
