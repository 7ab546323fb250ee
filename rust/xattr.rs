// SPDX-License-Identifier: GPL-2.0

//! Extended attributes in the `user.`, `trusted.` and `security.`
//! namespaces, kept in memory like tmpfs's.
//!
//! Each inode's attributes hang off `inode->i_private`, allocated on the
//! first set (under the inode lock, which the VFS holds for every set) and
//! freed at eviction.  A mutex orders readers against that setter.  As in
//! tmpfs, `user.` attributes are bounded per inode (an unprivileged owner
//! could otherwise pin unbounded memory); `trusted.`/`security.` need
//! privilege and are bounded by the VFS's value size.

use core::pin::Pin;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::{
    bindings,
    prelude::*,
    sync::{new_mutex, Mutex},
};

use crate::file::Ops;

/// At most this many `user.` attributes per inode (as tmpfs).
const USER_MAX_NR: usize = 128;
/// At most this many bytes of `user.` values per inode (as tmpfs).
const USER_MAX_BYTES: usize = 128 << 10;

struct Entry {
    /// The full name, prefix included.
    name: KVec<u8>,
    value: KVec<u8>,
}

/// The attributes of one inode.
#[pin_data]
pub(crate) struct Xattrs {
    #[pin]
    entries: Mutex<KVec<Entry>>,
}

/// Returns `inode`'s attributes, or null if it never had any.
///
/// # Safety
///
/// `inode` is a live rramfs inode.
unsafe fn of(inode: *mut bindings::inode) -> *const Xattrs {
    // SAFETY: `i_private` is pointer-sized and aligned; it is only written
    // through this atomic view (see `get_or_alloc`) and by `free`, when no
    // one else can reach the inode.
    let slot = unsafe { AtomicPtr::from_ptr((&raw mut (*inode).i_private).cast::<*mut Xattrs>()) };
    slot.load(Ordering::Acquire)
}

/// Returns `inode`'s attributes, allocating them on first use.
///
/// # Safety
///
/// `inode` is a live rramfs inode whose `i_rwsem` the caller holds for
/// writing (so no other thread allocates concurrently).
unsafe fn get_or_alloc<'a>(inode: *mut bindings::inode) -> Result<&'a Xattrs> {
    // SAFETY: As for this function.
    let x = unsafe { of(inode) };
    if !x.is_null() {
        // SAFETY: Set below, freed only at eviction.
        return Ok(unsafe { &*x });
    }
    let b = KBox::pin_init(
        pin_init!(Xattrs { entries <- new_mutex!(KVec::new()) }),
        GFP_KERNEL,
    )?;
    // SAFETY: The box is only ever freed by `free`, which re-pins it.
    let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(b) });
    // SAFETY: As in `of`; the inode lock makes us the only writer.
    let slot = unsafe { AtomicPtr::from_ptr((&raw mut (*inode).i_private).cast::<*mut Xattrs>()) };
    slot.store(raw, Ordering::Release);
    // SAFETY: Just allocated; lives until eviction.
    Ok(unsafe { &*raw })
}

/// Frees `inode`'s attributes.
///
/// # Safety
///
/// `inode` is being evicted: no one else can reach it.
pub(crate) unsafe fn free(inode: *mut bindings::inode) {
    // SAFETY: As for this function.
    let x = unsafe { of(inode) }.cast_mut();
    if !x.is_null() {
        // SAFETY: `x` came from `KBox::into_raw` of a pinned box in
        // `get_or_alloc`; nobody else holds it.
        drop(unsafe { Pin::new_unchecked(KBox::from_raw(x)) });
        // SAFETY: As for this function.
        unsafe { (*inode).i_private = core::ptr::null_mut() };
    }
}

/// The full attribute name: the handler's prefix and `name`.
///
/// # Safety
///
/// `handler` is one of ours; `name` is a NUL-terminated string.
unsafe fn full_name(
    handler: *const bindings::xattr_handler,
    name: *const c_char,
) -> Result<KVec<u8>> {
    // SAFETY: Our handlers' prefixes are NUL-terminated statics.
    let prefix = unsafe { CStr::from_char_ptr((*handler).prefix) }.to_bytes();
    // SAFETY: By the safety requirements.
    let name = unsafe { CStr::from_char_ptr(name) }.to_bytes();
    let mut v = KVec::with_capacity(prefix.len() + name.len(), GFP_KERNEL)?;
    v.extend_from_slice(prefix, GFP_KERNEL)?;
    v.extend_from_slice(name, GFP_KERNEL)?;
    Ok(v)
}

/// `xattr_handler::get`.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn get(
    handler: *const bindings::xattr_handler,
    _dentry: *mut bindings::dentry,
    inode: *mut bindings::inode,
    name: *const c_char,
    buffer: *mut c_void,
    size: usize,
) -> c_int {
    // SAFETY: The VFS passes a live inode of ours.
    let x = unsafe { of(inode) };
    if x.is_null() {
        return ENODATA.to_errno();
    }
    // SAFETY: As for `full_name`.
    let name = match unsafe { full_name(handler, name) } {
        Ok(n) => n,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: Non-null attributes live until eviction.
    let entries = unsafe { &*x }.entries.lock();
    let Some(e) = entries.iter().find(|e| e.name[..] == name[..]) else {
        return ENODATA.to_errno();
    };
    if size == 0 {
        return e.value.len() as c_int;
    }
    if size < e.value.len() {
        return ERANGE.to_errno();
    }
    // SAFETY: `buffer` holds `size` bytes (a kernel buffer from the VFS).
    unsafe { core::ptr::copy_nonoverlapping(e.value.as_ptr(), buffer.cast(), e.value.len()) };
    e.value.len() as c_int
}

/// `xattr_handler::set` (a null `value` removes).
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
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
    // SAFETY: The VFS holds the inode lock for every set.
    match unsafe { set_locked(handler, inode, name, value, size, flags as u32) } {
        Ok(()) => {
            // SAFETY: The inode is live and locked.
            unsafe { bindings::inode_set_ctime_current(inode) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// The body of [`set`].
///
/// # Safety
///
/// As for [`set`]: the inode is live and its `i_rwsem` held for writing.
unsafe fn set_locked(
    handler: *const bindings::xattr_handler,
    inode: *mut bindings::inode,
    name: *const c_char,
    value: *const c_void,
    size: usize,
    flags: u32,
) -> Result {
    // SAFETY: As for `full_name`.
    let name = unsafe { full_name(handler, name)? };
    let is_user = name.starts_with(b"user.");
    if value.is_null() {
        // SAFETY: As for this function.
        let x = unsafe { of(inode) };
        if x.is_null() {
            return if flags & bindings::XATTR_REPLACE != 0 {
                Err(ENODATA)
            } else {
                Ok(())
            };
        }
        // SAFETY: Non-null attributes live until eviction.
        let mut entries = unsafe { &*x }.entries.lock();
        return match entries.iter().position(|e| e.name[..] == name[..]) {
            Some(i) => {
                let old = entries.remove(i)?;
                drop(entries);
                drop(old);
                Ok(())
            }
            None if flags & bindings::XATTR_REPLACE != 0 => Err(ENODATA),
            None => Ok(()),
        };
    }
    // SAFETY: The VFS passes `size` readable bytes (a kernel copy).
    let value = unsafe { core::slice::from_raw_parts(value.cast::<u8>(), size) };
    let mut v = KVec::with_capacity(size, GFP_KERNEL)?;
    v.extend_from_slice(value, GFP_KERNEL)?;
    // SAFETY: As for this function.
    let x = unsafe { get_or_alloc(inode)? };
    let mut entries = x.entries.lock();
    let found = entries.iter().position(|e| e.name[..] == name[..]);
    match found {
        Some(_) if flags & bindings::XATTR_CREATE != 0 => return Err(EEXIST),
        None if flags & bindings::XATTR_REPLACE != 0 => return Err(ENODATA),
        _ => {}
    }
    if is_user {
        let others = entries
            .iter()
            .filter(|e| e.name.starts_with(b"user.") && e.name[..] != name[..]);
        let (nr, bytes) = others.fold((0, 0), |(n, b), e| (n + 1, b + e.value.len()));
        if nr + 1 > USER_MAX_NR || bytes + size > USER_MAX_BYTES {
            return Err(ENOSPC);
        }
    }
    match found {
        Some(i) => {
            let old = core::mem::replace(&mut entries[i].value, v);
            drop(entries);
            drop(old);
        }
        None => entries.push(Entry { name, value: v }, GFP_KERNEL)?,
    }
    Ok(())
}

/// `inode_operations::listxattr`: every name, NUL-terminated; `trusted.`
/// names only for callers with CAP_SYS_ADMIN.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
pub(crate) unsafe extern "C" fn listxattr(
    dentry: *mut bindings::dentry,
    buffer: *mut c_char,
    size: usize,
) -> isize {
    // SAFETY: The VFS passes a positive dentry of ours.
    let inode = unsafe { (*dentry).d_inode };
    // SAFETY: As above.
    let x = unsafe { of(inode) };
    if x.is_null() {
        return 0;
    }
    // SAFETY: Reads the caller's credentials.
    let trusted = unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as c_int) };
    // SAFETY: Non-null attributes live until eviction.
    let entries = unsafe { &*x }.entries.lock();
    let visible = entries
        .iter()
        .filter(|e| trusted || !e.name.starts_with(b"trusted."));
    let need: usize = visible.clone().map(|e| e.name.len() + 1).sum();
    if size == 0 {
        return need as isize;
    }
    if need > size {
        return ERANGE.to_errno() as isize;
    }
    let mut off = 0;
    for e in visible {
        // SAFETY: `buffer` holds `size >= need` bytes.
        unsafe {
            core::ptr::copy_nonoverlapping(e.name.as_ptr(), buffer.add(off).cast(), e.name.len());
            *buffer.add(off + e.name.len()) = 0;
        }
        off += e.name.len() + 1;
    }
    need as isize
}

const fn handler(prefix: &'static CStr) -> bindings::xattr_handler {
    bindings::xattr_handler {
        name: core::ptr::null(),
        prefix: kernel::str::as_char_ptr_in_const_context(prefix),
        flags: 0,
        list: None,
        get: Some(get),
        set: Some(set),
    }
}

static SECURITY: Ops<bindings::xattr_handler> = Ops(handler(c"security."));
static TRUSTED: Ops<bindings::xattr_handler> = Ops(handler(c"trusted."));
static USER: Ops<bindings::xattr_handler> = Ops(handler(c"user."));

/// The superblock's `s_xattr` table, NULL-terminated.
pub(crate) static HANDLERS: Ops<[*const bindings::xattr_handler; 4]> =
    Ops([&SECURITY.0, &TRUSTED.0, &USER.0, core::ptr::null()]);
