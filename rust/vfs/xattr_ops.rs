// SPDX-License-Identifier: GPL-2.0

//! Extended attributes: `struct xattr_handler`s built from a trait (see
//! [`super::inode_ops`] for the pattern), the LSM's initial attributes of
//! a new inode, and what `listxattr` needs from the LSM.

use core::ffi::CStr;
use core::marker::PhantomData;

use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;

use super::{errno, kver, to_result, Dentry, Inode, InodeLocked, NewInode};
use crate::bindings;

/// A filesystem's extended attributes, names given as the handler's
/// prefix (`user.`, ...) and the rest.
pub(crate) trait XattrOperations {
    /// `get`: the value of `prefix` + `name` into `buf` (`None`: only
    /// measure); returns its length.
    fn get(inode: &Inode, prefix: &[u8], name: &[u8], buf: Option<&mut [u8]>) -> Result<usize>;

    /// `set`: sets `prefix` + `name` to `value` (`None` removes it), as
    /// `flags` (`XATTR_CREATE`/`XATTR_REPLACE`) allow.
    fn set(
        locked: InodeLocked<'_>,
        prefix: &[u8],
        name: &[u8],
        value: Option<&[u8]>,
        flags: u32,
    ) -> Result;

    /// One of the LSM's initial attributes of a new inode:
    /// `security.` + `suffix` = `value`.
    fn init_security(inode: Labelling<'_>, suffix: &[u8], value: &[u8]) -> Result;
}

/// A new inode the LSM is labelling ([`security_init`]): nobody but its
/// creator, whose call this is, can reach it yet.
///
/// # Invariants
///
/// The inode is new and unreachable by others for all of `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Labelling<'a>(&'a Inode);

impl<'a> Labelling<'a> {
    /// The inode.
    pub(crate) fn inode(self) -> &'a Inode {
        self.0
    }
}

/// An `xattr_handler`, made by [`XattrHandler::new`].
#[repr(transparent)]
pub(crate) struct XattrHandler(bindings::xattr_handler);

// SAFETY: An immutable table; `prefix` points at a static C string.
unsafe impl Sync for XattrHandler {}

impl XattrHandler {
    /// The handler of the names that start with `prefix`, served by `T`.
    pub(crate) const fn new<T: XattrOperations>(prefix: &'static CStr) -> Self {
        XattrHandler(bindings::xattr_handler {
            name: core::ptr::null(),
            prefix: kver::char_ptr(prefix),
            flags: 0,
            list: None,
            get: Some(Vtable::<T>::get),
            set: Some(Vtable::<T>::set),
        })
    }
}

/// A superblock's `s_xattr`: `N - 1` handlers and the NULL that ends them.
#[repr(transparent)]
pub(crate) struct XattrHandlers<const N: usize>([*const bindings::xattr_handler; N]);

// SAFETY: Immutable; each pointer is null or leads to a static
// `XattrHandler`, itself `Sync`.
unsafe impl<const N: usize> Sync for XattrHandlers<N> {}

impl<const N: usize> XattrHandlers<N> {
    /// The table of `handlers`; the last entry must be `None`.
    pub(crate) const fn new(handlers: [Option<&'static XattrHandler>; N]) -> Self {
        let mut t = [core::ptr::null(); N];
        let mut i = 0;
        while i < N {
            if let Some(h) = handlers[i] {
                assert!(i + 1 < N, "an xattr handler table ends with None");
                t[i] = &h.0;
            }
            i += 1;
        }
        XattrHandlers(t)
    }

    /// The table, for `s_xattr`.
    pub(crate) fn as_ptr(&'static self) -> *const *const bindings::xattr_handler {
        self.0.as_ptr()
    }
}

/// The trampolines of `T`'s operations, called only by the VFS through a
/// handler made by [`XattrHandler::new`], for rramfs inodes.
struct Vtable<T>(PhantomData<T>);

impl<T: XattrOperations> Vtable<T> {
    /// The handler's prefix.
    ///
    /// # Safety
    ///
    /// `handler` was made by [`XattrHandler::new`].
    unsafe fn prefix<'a>(handler: *const bindings::xattr_handler) -> &'a [u8] {
        // SAFETY: Our handlers' prefixes are NUL-terminated statics.
        unsafe { kver::cstr((*handler).prefix) }.to_bytes()
    }

    /// `get`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn get(
        handler: *const bindings::xattr_handler,
        _dentry: *mut bindings::dentry,
        inode: *mut bindings::inode,
        name: *const c_char,
        buffer: *mut c_void,
        size: usize,
    ) -> c_int {
        // SAFETY: The VFS passes a live inode of ours, one of our handlers,
        // a NUL-terminated name and a kernel buffer of `size` bytes (none
        // when `size` is 0).
        let (inode, prefix, name, buf) = unsafe {
            (
                Inode::from_raw(inode),
                Self::prefix(handler),
                kver::cstr(name).to_bytes(),
                (size != 0).then(|| core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size)),
            )
        };
        match T::get(inode, prefix, name, buf) {
            Ok(n) => n as c_int,
            Err(e) => e.to_errno(),
        }
    }

    /// `set`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    #[allow(clippy::too_many_arguments)]
    unsafe extern "C" fn set(
        handler: *const bindings::xattr_handler,
        _idmap: *mut bindings::mnt_idmap,
        _dentry: *mut bindings::dentry,
        inode: *mut bindings::inode,
        name: *const c_char,
        value: *const c_void,
        size: usize,
        flags: c_int,
    ) -> c_int {
        // SAFETY: The VFS holds the inode lock of a live inode of ours for
        // every set; `name` is a C string and `handler` ours; `value` is
        // null or holds `size` bytes (a kernel copy).
        let (locked, prefix, name, value) = unsafe {
            (
                InodeLocked::assume(Inode::from_raw(inode)),
                Self::prefix(handler),
                kver::cstr(name).to_bytes(),
                (!value.is_null()).then(|| core::slice::from_raw_parts(value.cast::<u8>(), size)),
            )
        };
        errno(T::set(locked, prefix, name, value, flags as u32))
    }

    /// `security_inode_init_security()`'s callback.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn initxattrs(
        inode: *mut bindings::inode,
        array: *const bindings::xattr,
        _fs_data: *mut c_void,
    ) -> c_int {
        // SAFETY: The LSM passes the new rramfs inode of `security_init`.
        // INVARIANT: `security_init` takes a `NewInode`, not yet reachable
        // by anyone else.
        let inode = Labelling(unsafe { Inode::from_raw(inode) });
        let mut a = array;
        // SAFETY: The array is ended by an entry with a null name.
        while let Some(xa) = unsafe { a.as_ref() }.filter(|xa| !xa.name.is_null()) {
            // SAFETY: The LSM's names are C strings; values hold
            // `value_len` bytes; both live for the call.
            let (suffix, value) = unsafe {
                (
                    kver::cstr(xa.name).to_bytes(),
                    core::slice::from_raw_parts(xa.value.cast::<u8>(), xa.value_len),
                )
            };
            if let Err(e) = T::init_security(inode, suffix, value) {
                return e.to_errno();
            }
            // SAFETY: Not past the terminating entry (checked above).
            a = unsafe { a.add(1) };
        }
        0
    }
}

/// Lets the LSM label `inode`, new in `dir` under the name `dentry`: the
/// attributes it asks for go to `T::init_security`.
pub(crate) fn security_init<T: XattrOperations>(
    inode: &NewInode,
    dir: &Inode,
    dentry: &Dentry,
) -> Result {
    // SAFETY: `inode` is new and seen by nobody else; `dir` and `dentry`
    // are live for the call; the callback is a trampoline of `T`.
    to_result(unsafe {
        bindings::rramfs_security_init(
            inode.inode().as_raw(),
            dir.as_raw(),
            dentry.as_raw(),
            Some(Vtable::<T>::initxattrs),
        )
    })
}

/// The LSM's own attribute names of `inode` (`security.selinux`, ...),
/// NUL-terminated, into `buf` (`None`: only measure); returns their length.
pub(crate) fn list_security(inode: &Inode, buf: Option<&mut [u8]>) -> Result<usize> {
    let (ptr, len) = match buf {
        Some(b) => (b.as_mut_ptr(), b.len()),
        None => (core::ptr::null_mut(), 0),
    };
    // SAFETY: `inode` is live; `ptr` holds `len` bytes, or `len` is 0.
    let r = unsafe { bindings::rramfs_listsecurity(inode.as_raw(), ptr.cast(), len) };
    if r < 0 {
        Err(Error::from_errno(r as i32))
    } else {
        Ok(r as usize)
    }
}

/// Whether the LSM keeps `security.` + `suffix` itself (a MAC label),
/// so that [`list_security`] already names it.
pub(crate) fn is_mac_label(suffix: &[u8]) -> bool {
    // SAFETY: `suffix` holds `suffix.len()` bytes.
    unsafe { bindings::rramfs_xattr_is_maclabel(suffix.as_ptr().cast(), suffix.len()) }
}

/// Whether the caller may see `trusted.` attributes: CAP_SYS_ADMIN in the
/// initial user namespace, without an audit record.
pub(crate) fn may_list_trusted() -> bool {
    // SAFETY: Reads the caller's credentials and a static namespace.
    unsafe {
        bindings::ns_capable_noaudit(
            &raw mut bindings::init_user_ns,
            bindings::CAP_SYS_ADMIN as c_int,
        )
    }
}
