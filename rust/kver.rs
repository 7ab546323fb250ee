// SPDX-License-Identifier: GPL-2.0

//! Where the kernels rramfs supports (6.12 LTS and 7.3) differ, for the
//! Rust side: the shapes of VFS callbacks and the helpers that were
//! renamed.  Kbuild derives one cfg per difference from the kernel's
//! version (the cut-overs are listed there); the C side's differences are
//! in shim.c.  Nothing else in the crate tests a kernel version.

use crate::bindings;
use kernel::prelude::*;

/// The first argument of `write_begin`/`write_end`: the file up to 6.16,
/// the kiocb from 6.17.
#[cfg(rramfs_write_begin_kiocb)]
pub(crate) type WriteBeginCtx = *const bindings::kiocb;
/// The first argument of `write_begin`/`write_end`: the file up to 6.16,
/// the kiocb from 6.17.
#[cfg(not(rramfs_write_begin_kiocb))]
pub(crate) type WriteBeginCtx = *mut bindings::file;

/// What `inode_operations::mkdir` returns: an errno up to 6.14, a dentry
/// (null: the one passed in; or an error pointer) from 6.15.
#[cfg(rramfs_mkdir_returns_dentry)]
pub(crate) type MkdirRet = *mut bindings::dentry;
/// What `inode_operations::mkdir` returns: an errno up to 6.14, a dentry
/// (null: the one passed in; or an error pointer) from 6.15.
#[cfg(not(rramfs_mkdir_returns_dentry))]
pub(crate) type MkdirRet = kernel::ffi::c_int;

/// Converts the outcome of a `mkdir` that instantiated the dentry it was
/// given into what this kernel's `mkdir` returns.
pub(crate) fn mkdir_ret(r: Result) -> MkdirRet {
    #[cfg(rramfs_mkdir_returns_dentry)]
    match r {
        Ok(()) => core::ptr::null_mut(),
        Err(e) => e.to_ptr(),
    }
    #[cfg(not(rramfs_mkdir_returns_dentry))]
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `super_operations::drop_inode` that drops an unused inode at once (no
/// inode cache: an unlinked or evicted rramfs inode has nothing to keep).
/// Named `generic_delete_inode()` up to 6.17.
#[cfg(rramfs_inode_just_drop)]
pub(crate) const DROP_INODE: unsafe extern "C" fn(*mut bindings::inode) -> kernel::ffi::c_int =
    bindings::inode_just_drop;
/// `super_operations::drop_inode` that drops an unused inode at once (no
/// inode cache: an unlinked or evicted rramfs inode has nothing to keep).
/// Named `generic_delete_inode()` up to 6.17.
#[cfg(not(rramfs_inode_just_drop))]
pub(crate) const DROP_INODE: unsafe extern "C" fn(*mut bindings::inode) -> kernel::ffi::c_int =
    bindings::generic_delete_inode;
