// SPDX-License-Identifier: GPL-2.0

//! Where the kernels rramfs supports (6.12 LTS and 7.3) differ, for the
//! Rust side: the types of VFS callback arguments that changed, and the
//! helpers that were renamed.  Kbuild derives one cfg per difference from
//! the kernel's version (the cut-overs are listed there); the trampolines
//! of the operation tables (this layer) use these, and the C side's
//! differences are in shim.c.  Nothing outside `vfs` tests a kernel
//! version.

use crate::bindings;
use core::ffi::CStr;
use kernel::ffi::{c_char, c_int};
use kernel::prelude::*;

/// The first argument of `write_begin`/`write_end`: the file up to 6.16,
/// the kiocb from 6.17.
#[cfg(rramfs_write_begin_kiocb)]
pub(crate) type WriteBeginCtx = *const bindings::kiocb;
/// The first argument of `write_begin`/`write_end`: the file up to 6.16,
/// the kiocb from 6.17.
#[cfg(not(rramfs_write_begin_kiocb))]
pub(crate) type WriteBeginCtx = *mut bindings::file;

/// The argument of `fileattr_get`/`fileattr_set` (chattr):
/// `struct fileattr` up to 6.16, `struct file_kattr` from 6.17.
#[cfg(rramfs_file_kattr)]
pub(crate) type FileAttr = bindings::file_kattr;
/// The argument of `fileattr_get`/`fileattr_set` (chattr):
/// `struct fileattr` up to 6.16, `struct file_kattr` from 6.17.
#[cfg(not(rramfs_file_kattr))]
pub(crate) type FileAttr = bindings::fileattr;

/// What `inode_operations::mkdir` returns: an errno up to 6.14, a dentry
/// (null: the one passed in; or an error pointer) from 6.15.
#[cfg(rramfs_mkdir_returns_dentry)]
pub(crate) type MkdirRet = *mut bindings::dentry;
/// What `inode_operations::mkdir` returns: an errno up to 6.14, a dentry
/// (null: the one passed in; or an error pointer) from 6.15.
#[cfg(not(rramfs_mkdir_returns_dentry))]
pub(crate) type MkdirRet = c_int;

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
pub(crate) const DROP_INODE: unsafe extern "C" fn(*mut bindings::inode) -> c_int =
    bindings::inode_just_drop;
/// `super_operations::drop_inode` that drops an unused inode at once (no
/// inode cache: an unlinked or evicted rramfs inode has nothing to keep).
/// Named `generic_delete_inode()` up to 6.17.
#[cfg(not(rramfs_inode_just_drop))]
pub(crate) const DROP_INODE: unsafe extern "C" fn(*mut bindings::inode) -> c_int =
    bindings::generic_delete_inode;

/// `kernel::error::code` of 6.12 lacks some codes that rramfs returns;
/// made from the C values here, on every kernel alike.
pub(crate) mod code {
    use crate::bindings;
    use kernel::error::Error;

    macro_rules! codes {
        ($($name:ident),*) => {$(
            #[doc = concat!("`-", stringify!($name), "`.")]
            #[allow(non_snake_case)]
            pub(crate) fn $name() -> Error {
                Error::from_errno(-(bindings::$name as i32))
            }
        )*};
    }
    codes!(ENODATA, ENOTEMPTY, EOPNOTSUPP, ESTALE);
}

/// Removes element `i` of `v`, keeping the order of the rest (EINVAL if
/// there is none): `KVec::remove` from 6.16, by hand before.
pub(crate) fn kvec_remove<T>(v: &mut KVec<T>, i: usize) -> Result<T> {
    #[cfg(rramfs_kvec_remove)]
    {
        v.remove(i).map_err(|_| EINVAL)
    }
    #[cfg(not(rramfs_kvec_remove))]
    {
        if i >= v.len() {
            return Err(EINVAL);
        }
        v.as_mut_slice()[i..].rotate_left(1);
        let last = v.len() - 1;
        // SAFETY: `last < len`: the element there (the removed one, after
        // the rotation) is moved out, and the length shortened so that it
        // is not dropped again.
        unsafe {
            let e = core::ptr::read(v.as_ptr().add(last));
            v.set_len(last);
            Ok(e)
        }
    }
}

/// A C string literal's pointer as the kernel's `char *`.  7.3's kernel
/// crate extends `core::ffi::CStr` (`CStrExt::as_char_ptr`, and forbids
/// core's signed-`char` methods in its clippy configuration); 6.12's has a
/// `CStr` type of its own.  Core's method, cast, is right on both.
#[allow(clippy::disallowed_methods)]
pub(crate) const fn char_ptr(s: &CStr) -> *const c_char {
    s.as_ptr().cast()
}

/// The C string at `p` (see [`char_ptr`] for why it is here).
///
/// # Safety
///
/// `p` points to a NUL-terminated string that lives, unchanged, for `'a`.
#[allow(clippy::disallowed_methods)]
pub(crate) unsafe fn cstr<'a>(p: *const c_char) -> &'a CStr {
    // SAFETY: As the function's safety requirements.
    unsafe { CStr::from_ptr(p.cast()) }
}
