// SPDX-License-Identifier: GPL-2.0

//! Extended attributes in the `user.`, `trusted.` and `security.`
//! namespaces, kept in memory like tmpfs's.
//!
//! Each inode's attributes hang off `inode->i_private`, allocated on the
//! first set (under the inode lock, which the VFS holds for every set) and
//! freed at eviction.  A mutex orders readers against that setter.
//!
//! Memory: every attribute is charged [`xattr_space`] bytes of the mount's
//! inode space (`nr_inodes=` times [`crate::super_block::INODE_SPACE`], shared with inodes) and
//! allocated with `GFP_KERNEL_ACCOUNT` (the caller's memory cgroup), as
//! tmpfs does: `security.`/`trusted.` need only CAP_SYS_ADMIN in the
//! mount's user namespace, so without a charge any user could exhaust the
//! host through a user-namespace mount.  `user.` attributes are also
//! bounded per inode, as in tmpfs.

use core::ffi::CStr;
use core::pin::Pin;
use core::sync::atomic::Ordering;
use kernel::ffi::{c_char, c_int, c_void};
use kernel::{
    prelude::*,
    sync::{new_mutex, Mutex},
};

use crate::{
    bindings,
    file::Ops,
    kver,
    super_block::{xattr_space, SbInfo},
    vfs::{Inode, InodeLocked},
};

/// At most this many `user.` attributes per inode (as tmpfs).
const USER_MAX_NR: usize = 128;
/// At most this many bytes of `user.` values per inode (as tmpfs).
const USER_MAX_BYTES: usize = 128 << 10;

struct Entry {
    /// The full name, prefix included.
    name: KVec<u8>,
    value: KVec<u8>,
}

impl Entry {
    /// The inode space this attribute is charged.
    fn space(&self) -> u64 {
        xattr_space(self.name.len(), self.value.len())
    }
}

/// The attributes of one inode.
#[pin_data]
pub(crate) struct Xattrs {
    #[pin]
    entries: Mutex<KVec<Entry>>,
}

/// Returns `inode`'s attributes, if it ever had any.  They live until the
/// inode is evicted, so for as long as it is live.
fn of<'a>(inode: &'a Inode) -> Option<&'a Xattrs> {
    let x = inode.private().load(Ordering::Acquire).cast::<Xattrs>();
    // SAFETY: Non-null, `i_private` is an `Xattrs` set by `get_or_alloc`,
    // freed only by `free` at eviction, after `'a` (the inode is live).
    (!x.is_null()).then(|| unsafe { &*x })
}

/// Returns `inode`'s attributes, allocating them on first use.
///
/// # Safety
///
/// No other thread allocates them concurrently: the caller holds the
/// inode's `i_rwsem` for writing (see [`get_or_alloc_locked`]) or the inode
/// is new and nobody else sees it.
unsafe fn get_or_alloc(inode: &Inode) -> Result<&Xattrs> {
    if let Some(x) = of(inode) {
        return Ok(x);
    }
    let b = KBox::pin_init(
        pin_init!(Xattrs { entries <- new_mutex!(KVec::new()) }),
        GFP_KERNEL_ACCOUNT,
    )?;
    // SAFETY: The box is only ever freed by `free`, which re-pins it.
    let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(b) });
    // By the safety requirements we are the only writer.
    inode.private().store(raw.cast(), Ordering::Release);
    // SAFETY: Just allocated; lives until eviction.
    Ok(unsafe { &*raw })
}

/// [`get_or_alloc`] for a setter, which holds the inode lock.
fn get_or_alloc_locked(locked: InodeLocked<'_>) -> Result<&Xattrs> {
    // SAFETY: `locked`: the inode lock is held, so no one else allocates.
    unsafe { get_or_alloc(locked.inode()) }
}

/// Frees `inode`'s attributes and returns their inode space.
///
/// # Safety
///
/// `inode` is being evicted: no one else can reach it.
pub(crate) unsafe fn free(inode: &Inode) {
    let x = inode
        .private()
        .swap(core::ptr::null_mut(), Ordering::Acquire);
    if !x.is_null() {
        // SAFETY: `x` came from `KBox::into_raw` of a pinned box in
        // `get_or_alloc`; being evicted, nobody else holds it.
        let b = unsafe { Pin::new_unchecked(KBox::from_raw(x.cast::<Xattrs>())) };
        let space: u64 = b.entries.lock().iter().map(Entry::space).sum();
        SbInfo::of_inode(inode).unreserve_ispace(space);
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
    let prefix = unsafe { kver::cstr((*handler).prefix) }.to_bytes();
    // SAFETY: By the safety requirements.
    let name = unsafe { kver::cstr(name) }.to_bytes();
    concat(prefix, name)
}

/// `a` and `b` in one new, accounted vector.
fn concat(a: &[u8], b: &[u8]) -> Result<KVec<u8>> {
    let mut v = KVec::with_capacity(a.len() + b.len(), GFP_KERNEL_ACCOUNT)?;
    v.extend_from_slice(a, GFP_KERNEL_ACCOUNT)?;
    v.extend_from_slice(b, GFP_KERNEL_ACCOUNT)?;
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
    let Some(x) = of(unsafe { Inode::from_raw(inode) }) else {
        return kver::code::ENODATA().to_errno();
    };
    // SAFETY: As for `full_name`.
    let name = match unsafe { full_name(handler, name) } {
        Ok(n) => n,
        Err(e) => return e.to_errno(),
    };
    let entries = x.entries.lock();
    let Some(e) = entries.iter().find(|e| e.name[..] == name[..]) else {
        return kver::code::ENODATA().to_errno();
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
    // SAFETY: The VFS holds the inode lock of a live inode of ours for
    // every set; `name` is a C string and `handler` ours; `value` is null
    // or holds `size` bytes (a kernel copy).
    let (locked, name, value) = unsafe {
        (
            InodeLocked::assume(Inode::from_raw(inode)),
            full_name(handler, name),
            (!value.is_null()).then(|| core::slice::from_raw_parts(value.cast::<u8>(), size)),
        )
    };
    match name.and_then(|name| set_locked(locked, name, value, flags as u32)) {
        Ok(()) => {
            // SAFETY: The inode is live and locked.
            unsafe { bindings::inode_set_ctime_current(inode) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// The body of [`set`]: sets attribute `name` (prefix included) to `value`
/// (`None` removes it), as `flags` (XATTR_CREATE/REPLACE) allow.
fn set_locked(locked: InodeLocked<'_>, name: KVec<u8>, value: Option<&[u8]>, flags: u32) -> Result {
    let fsi = SbInfo::of_inode(locked.inode());
    let Some(value) = value else {
        let Some(x) = of(locked.inode()) else {
            return if flags & bindings::XATTR_REPLACE != 0 {
                Err(kver::code::ENODATA())
            } else {
                Ok(())
            };
        };
        let mut entries = x.entries.lock();
        return match entries.iter().position(|e| e.name[..] == name[..]) {
            Some(i) => {
                let old = kver::kvec_remove(&mut entries, i)?;
                drop(entries);
                fsi.unreserve_ispace(old.space());
                Ok(())
            }
            None if flags & bindings::XATTR_REPLACE != 0 => Err(kver::code::ENODATA()),
            None => Ok(()),
        };
    };
    let size = value.len();
    let x = get_or_alloc_locked(locked)?;
    let mut entries = x.entries.lock();
    let found = entries.iter().position(|e| e.name[..] == name[..]);
    match found {
        Some(_) if flags & bindings::XATTR_CREATE != 0 => return Err(EEXIST),
        None if flags & bindings::XATTR_REPLACE != 0 => return Err(kver::code::ENODATA()),
        _ => {}
    }
    if name.starts_with(b"user.") {
        let others = entries
            .iter()
            .filter(|e| e.name.starts_with(b"user.") && e.name[..] != name[..]);
        let (nr, bytes) = others.fold((0, 0), |(n, b), e| (n + 1, b + e.value.len()));
        if nr + 1 > USER_MAX_NR || bytes + size > USER_MAX_BYTES {
            return Err(ENOSPC);
        }
    }
    // Charge the new value before allocating it; a replaced one is returned
    // after, so a replacement needs room for both for a moment (as tmpfs).
    let space = xattr_space(name.len(), size);
    fsi.reserve_ispace(space)?;
    let v = match concat(value, &[]) {
        Ok(v) => v,
        Err(e) => {
            fsi.unreserve_ispace(space);
            return Err(e);
        }
    };
    match found {
        Some(i) => {
            let old = core::mem::replace(&mut entries[i].value, v);
            drop(entries);
            fsi.unreserve_ispace(xattr_space(name.len(), old.len()));
        }
        None => {
            if let Err(e) = entries.push(Entry { name, value: v }, GFP_KERNEL_ACCOUNT) {
                fsi.unreserve_ispace(space);
                return Err(e.into());
            }
        }
    }
    Ok(())
}

/// The LSM's initial attributes of a new inode (`security_inode_init_security`'s
/// `initxattrs` callback): kept as `security.<name>`, charged like any other.
///
/// # Safety
///
/// Called by the LSM with a new rramfs inode that nobody else sees yet, and
/// an array of attributes ended by a null name.
pub(crate) unsafe extern "C" fn initxattrs(
    inode: *mut bindings::inode,
    array: *const bindings::xattr,
    _fs_data: *mut c_void,
) -> c_int {
    // SAFETY: A new rramfs inode, live for the call.
    let inode = unsafe { Inode::from_raw(inode) };
    let fsi = SbInfo::of_inode(inode);
    // SAFETY: The inode is new and ours alone: no concurrent allocation.
    let x = match unsafe { get_or_alloc(inode) } {
        Ok(x) => x,
        Err(e) => return e.to_errno(),
    };
    let mut entries = x.entries.lock();
    let mut a = array;
    // SAFETY: The array is ended by an entry with a null name.
    while let Some(xa) = unsafe { a.as_ref() }.filter(|xa| !xa.name.is_null()) {
        // SAFETY: The LSM's names are C strings; values hold `value_len`
        // bytes.
        let (suffix, value) = unsafe {
            (
                kver::cstr(xa.name).to_bytes(),
                core::slice::from_raw_parts(xa.value.cast::<u8>(), xa.value_len),
            )
        };
        let r = concat(b"security.", suffix).and_then(|name| {
            let space = xattr_space(name.len(), value.len());
            fsi.reserve_ispace(space)?;
            let entry = concat(value, &[]).and_then(|value| {
                entries
                    .push(Entry { name, value }, GFP_KERNEL_ACCOUNT)
                    .map_err(Error::from)
            });
            entry.inspect_err(|_| fsi.unreserve_ispace(space))
        });
        if let Err(e) = r {
            return e.to_errno();
        }
        // SAFETY: Not past the terminating entry (checked above).
        a = unsafe { a.add(1) };
    }
    0
}

/// `inode_operations::listxattr`: every name, NUL-terminated, as
/// `simple_xattr_list()`: the LSM's labels first (from the LSM, so not
/// again from the list), `trusted.` names only for callers with
/// CAP_SYS_ADMIN in the initial namespace.
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
    // SAFETY: `buffer` holds `size` bytes, or `size` is 0.
    let lsm = unsafe { bindings::rramfs_listsecurity(inode, buffer, size) };
    if lsm < 0 {
        return lsm;
    }
    let lsm = lsm as usize;
    // SAFETY: A positive dentry of ours: its inode is live for the call.
    let Some(x) = of(unsafe { Inode::from_raw(inode) }) else {
        return lsm as isize;
    };
    // SAFETY: Reads the caller's credentials and a static namespace.
    let trusted = unsafe {
        bindings::ns_capable_noaudit(
            &raw mut bindings::init_user_ns,
            bindings::CAP_SYS_ADMIN as c_int,
        )
    };
    let entries = x.entries.lock();
    let visible = entries.iter().filter(|e| {
        if e.name.starts_with(b"trusted.") {
            return trusted;
        }
        match e.name.strip_prefix(b"security.") {
            Some(suffix) => {
                // SAFETY: `suffix` holds `suffix.len()` bytes.
                let label = unsafe {
                    bindings::rramfs_xattr_is_maclabel(suffix.as_ptr().cast(), suffix.len())
                };
                !label
            }
            None => true,
        }
    });
    let need: usize = lsm + visible.clone().map(|e| e.name.len() + 1).sum::<usize>();
    if size == 0 {
        return need as isize;
    }
    if need > size {
        return ERANGE.to_errno() as isize;
    }
    let mut off = lsm;
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
        prefix: kver::char_ptr(prefix),
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
