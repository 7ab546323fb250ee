// SPDX-License-Identifier: GPL-2.0

//! `struct seq_file`: text a `show` callback prints (mount options, the
//! debugfs counters).  6.12's kernel crate has no `kernel::seq_file`.

use core::fmt;

use kernel::types::Opaque;

use super::kver;
use crate::bindings;

/// A seq_file being filled by a `show` callback, used as `&'a SeqFile`.
///
/// # Invariants
///
/// A `&'a SeqFile` refers to the seq_file of a `show` call in progress
/// for all of `'a`.
#[repr(transparent)]
pub(crate) struct SeqFile(Opaque<bindings::seq_file>);

impl SeqFile {
    /// Wraps a seq_file.
    ///
    /// # Safety
    ///
    /// `ptr` is the seq_file of a `show` call in progress for all of `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::seq_file) -> &'a SeqFile {
        // INVARIANT: By the safety requirements.
        // SAFETY: `SeqFile` is a transparent wrapper of the C seq_file,
        // which is live for `'a`.
        unsafe { &*ptr.cast::<SeqFile>() }
    }

    /// Prints `args` (use with `format_args!`).
    pub(crate) fn print(&self, args: fmt::Arguments<'_>) {
        // SAFETY: By the type invariants the seq_file is live; `%pA` makes
        // the kernel format `args` (a `fmt::Arguments`, as it expects)
        // through Rust's formatting, which borrows it for the call only.
        unsafe {
            bindings::seq_printf(
                self.0.get(),
                kver::char_ptr(c"%pA"),
                core::ptr::from_ref(&args).cast::<core::ffi::c_void>(),
            )
        };
    }
}
