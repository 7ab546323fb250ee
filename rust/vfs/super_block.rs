// SPDX-License-Identifier: GPL-2.0

//! `struct super_block`: a mounted rramfs superblock.

use kernel::ffi::c_void;
use kernel::types::Opaque;

use crate::bindings;

/// An rramfs superblock, used as `&'a SuperBlock`.
///
/// # Invariants
///
/// A `&'a SuperBlock` refers to an rramfs superblock that is set up (its
/// `s_fs_info` is the mount's state, moved in before `fill_super`) and is
/// not torn down (the end of `kill_sb`) for all of `'a`.
#[repr(transparent)]
pub(crate) struct SuperBlock(Opaque<bindings::super_block>);

impl SuperBlock {
    /// Wraps a superblock.
    ///
    /// # Safety
    ///
    /// `ptr` is an rramfs superblock between the start of `fill_super` and
    /// the end of `kill_sb` for all of `'a`: for example the superblock of
    /// an inode, dentry or file that a callback is given, for that
    /// callback.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::super_block) -> &'a SuperBlock {
        // INVARIANT: By the safety requirements.
        // SAFETY: `SuperBlock` is a transparent wrapper of the C superblock,
        // which is live for `'a`.
        unsafe { &*ptr.cast::<SuperBlock>() }
    }

    /// The raw superblock, for the calls this type does not cover yet.
    pub(crate) fn as_raw(&self) -> *mut bindings::super_block {
        self.0.get()
    }

    /// The filesystem's state (`s_fs_info`): set before `fill_super`,
    /// unchanged until `kill_sb` frees it.
    pub(crate) fn fs_info(&self) -> *mut c_void {
        // SAFETY: By the type invariants the superblock is live; the field
        // is not written while it is set up.
        unsafe { (*self.as_raw()).s_fs_info }
    }

    /// Whether it was mounted from a user namespace other than the initial
    /// one (an unprivileged mount).
    pub(crate) fn in_user_ns(&self) -> bool {
        // SAFETY: By the type invariants the superblock is live;
        // `s_user_ns` is set at allocation and constant afterwards, and
        // taking the address of the static does not access it.
        unsafe { (*self.as_raw()).s_user_ns != &raw mut bindings::init_user_ns }
    }
}
