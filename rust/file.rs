// SPDX-License-Identifier: GPL-2.0

//! Regular files: their file, inode and address-space operations.
//!
//! Data lives only in the page cache.  Reads, mmap, splice and fsync are the
//! kernel's generic page-cache implementations; writes go through rramfs's
//! own loop in [`crate::write`].

use kernel::{bindings, prelude::*};

use crate::{ffi, folio, folio::LockedFolio, write};

/// Sets up the page cache of a new inode: rramfs's address-space
/// operations, large folios, never reclaimed (the cache is the storage).
///
/// # Safety
///
/// `inode` is new and not yet visible to others.
pub(crate) unsafe fn init_mapping(inode: *mut bindings::inode) {
    // SAFETY: `i_mapping` points at the new inode's own `i_data`.
    unsafe {
        let mapping = (*inode).i_mapping;
        (*mapping).a_ops = &AOPS;
        ffi::rramfs_mapping_init(mapping);
    }
}

/// `file_operations::write_iter`.
unsafe extern "C" fn write_iter(iocb: *mut bindings::kiocb, from: *mut bindings::iov_iter) -> isize {
    // rramfs does not set FMODE_NOWAIT, so the VFS refuses RWF_NOWAIT with
    // EOPNOTSUPP; a kiocb that still asks not to block gets EAGAIN, as the
    // write would take the inode lock and may allocate.
    // SAFETY: `iocb` is live for the call.
    if unsafe { ffi::rramfs_iocb_is_nowait(iocb) } {
        return EAGAIN.to_errno() as isize;
    }
    // SAFETY: The file of a live kiocb is open, so its inode is live.
    let inode = unsafe { (*(*(*iocb).ki_filp).f_mapping).host };
    // SAFETY: `inode` is live; `i_rwsem` serialises writers and size
    // changes.  No user memory is touched under it except by the atomic,
    // non-faulting copy in `perform_write`.
    unsafe { bindings::down_write(&raw mut (*inode).i_rwsem) };
    // SAFETY: `iocb` and `from` are live and the inode is locked.
    let ret = unsafe { write_locked(iocb, from) };
    // SAFETY: Locked above.
    unsafe { bindings::up_write(&raw mut (*inode).i_rwsem) };
    if ret > 0 {
        // SAFETY: `iocb` is live; O_SYNC/O_DSYNC end in `noop_fsync`.
        return unsafe { ffi::rramfs_generic_write_sync(iocb, ret) };
    }
    ret
}

/// The part of `write_iter` that runs under the inode lock.
///
/// # Safety
///
/// `iocb`, `from` live; the inode lock is held.
unsafe fn write_locked(iocb: *mut bindings::kiocb, from: *mut bindings::iov_iter) -> isize {
    // O_APPEND, RLIMIT_FSIZE (SIGXFSZ), s_maxbytes (EFBIG); may shorten
    // `from`.  Returns the count left or an error.
    // SAFETY: See the function's safety requirements.
    let ret = unsafe { bindings::generic_write_checks(iocb, from) };
    if ret <= 0 {
        return ret;
    }
    // SAFETY: `iocb` is live.
    let file = unsafe { (*iocb).ki_filp };
    // Clears S_ISUID (and S_ISGID when group-executable) unless the task
    // has CAP_FSETID, and drops security.capability.
    // SAFETY: `file` is open and its inode locked.
    let err = unsafe { bindings::file_remove_privs(file) };
    if err != 0 {
        return err as isize;
    }
    // SAFETY: As above.
    let err = unsafe { bindings::file_update_time(file) };
    if err != 0 {
        return err as isize;
    }
    // SAFETY: See the function's safety requirements.
    match unsafe { write::perform_write(iocb, from) } {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `address_space_operations::write_begin`, used by `page_symlink()`.
unsafe extern "C" fn write_begin(
    _iocb: *const bindings::kiocb,
    mapping: *mut bindings::address_space,
    pos: bindings::loff_t,
    len: c_uint,
    foliop: *mut *mut bindings::folio,
    _fsdata: *mut *mut c_void,
) -> c_int {
    let index = (pos as u64) >> bindings::PAGE_SHIFT;
    // SAFETY: The VFS calls this on a live rramfs mapping, without locks.
    let folio = match unsafe { LockedFolio::get_or_create(mapping, index, len as usize) } {
        Ok(f) => f,
        Err(e) => return e.to_errno(),
    };
    let offset = (pos - folio.pos()) as usize;
    folio.prepare_write(offset, (len as usize).min(folio.size() - offset));
    let raw = folio.as_raw();
    // The lock and reference go to `write_end`.
    core::mem::forget(folio);
    // SAFETY: `foliop` is valid for writes.
    unsafe { *foliop = raw };
    0
}

/// `address_space_operations::write_end`, pairing with [`write_begin`].
unsafe extern "C" fn write_end(
    _iocb: *const bindings::kiocb,
    mapping: *mut bindings::address_space,
    pos: bindings::loff_t,
    len: c_uint,
    copied: c_uint,
    folio: *mut bindings::folio,
    _fsdata: *mut c_void,
) -> c_int {
    // SAFETY: `write_begin` handed over the lock and reference.
    let folio = unsafe { LockedFolio::from_raw(folio) };
    let offset = (pos - folio.pos()) as usize;
    let len = (len as usize).min(folio.size() - offset);
    // SAFETY: Callers of write_begin/write_end hold the inode lock.
    unsafe { folio.finish_write((*mapping).host, offset, len, copied as usize) };
    copied as c_int
}

/// `address_space_operations` of every rramfs inode.
pub(crate) static AOPS: bindings::address_space_operations = bindings::address_space_operations {
    read_folio: Some(folio::read_folio),
    write_begin: Some(write_begin),
    write_end: Some(write_end),
    dirty_folio: Some(bindings::noop_dirty_folio),
    invalidate_folio: Some(folio::invalidate_folio),
    release_folio: Some(folio::release_folio),
    // SAFETY: All-zero is a valid `address_space_operations`.
    ..unsafe { core::mem::zeroed() }
};

/// `file_operations` of rramfs regular files.
pub(crate) static FILE_OPS: Ops<bindings::file_operations> = Ops(bindings::file_operations {
    read_iter: Some(bindings::generic_file_read_iter),
    write_iter: Some(write_iter),
    mmap_prepare: Some(bindings::generic_file_mmap_prepare),
    fsync: Some(bindings::noop_fsync),
    splice_read: Some(bindings::filemap_splice_read),
    splice_write: Some(bindings::iter_file_splice_write),
    llseek: Some(bindings::generic_file_llseek),
    // SAFETY: All-zero is a valid `file_operations`.
    ..unsafe { core::mem::zeroed() }
});

/// A table of C callbacks shared with the kernel.
///
/// Some tables hold raw pointers (`file_operations::owner`), which makes
/// them `!Sync` in Rust; the kernel only reads them.
#[repr(transparent)]
pub(crate) struct Ops<T>(pub(crate) T);

// SAFETY: The tables are immutable statics that both Rust and C only read.
unsafe impl<T> Sync for Ops<T> {}

/// `inode_operations` of rramfs regular files.
pub(crate) static FILE_IOPS: bindings::inode_operations = bindings::inode_operations {
    setattr: Some(bindings::simple_setattr),
    getattr: Some(bindings::simple_getattr),
    // SAFETY: All-zero is a valid `inode_operations`.
    ..unsafe { core::mem::zeroed() }
};
