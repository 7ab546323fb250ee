// SPDX-License-Identifier: GPL-2.0

//! Regular files: their file, inode and address-space operations.
//!
//! Data lives only in the page cache.  Reads and writes go through rramfs's
//! own loops ([`crate::read`], [`crate::write`], [`crate::dio`]); mmap and
//! fsync are the kernel's generic page-cache implementations.

use kernel::ffi::{c_int, c_long, c_uint, c_void};
use kernel::prelude::*;

use crate::{
    bindings, dio, folio,
    folio::LockedFolio,
    kver, read,
    super_block::SbInfo,
    vfs::{
        cond_resched, fatal_signal_pending, to_result, Inode, InodeLocked, IovIter, Kiocb, Mapping,
        SuperBlock,
    },
    write,
};

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
        bindings::rramfs_mapping_init(mapping);
    }
}

/// `file_operations::read_iter`.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn read_iter(iocb: *mut bindings::kiocb, to: *mut bindings::iov_iter) -> isize {
    // SAFETY: Called by the VFS with live arguments on an rramfs file,
    // used by nothing else until the call returns.
    let (mut iocb, mut to) = unsafe { (Kiocb::from_raw(iocb), IovIter::from_raw(to)) };
    let ret = if iocb.is_direct() {
        dio::read(&mut iocb, &mut to)
    } else {
        read::read_iter(&mut iocb, &mut to)
    };
    match ret {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `file_operations::open`: O_DIRECT is supported (see [`dio`]).
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: `file` is being opened on `inode`.
    unsafe {
        bindings::rramfs_file_set_can_odirect(file);
        bindings::generic_file_open(inode, file)
    }
}

/// `file_operations::write_iter`.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn write_iter(
    iocb: *mut bindings::kiocb,
    from: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: The live arguments of this call on an rramfs file, used by
    // nothing else until it returns.
    let (mut iocb, mut from) = unsafe { (Kiocb::from_raw(iocb), IovIter::from_raw(from)) };
    // rramfs does not set FMODE_NOWAIT, so the VFS refuses RWF_NOWAIT with
    // EOPNOTSUPP; a kiocb that still asks not to block gets EAGAIN, as the
    // write would take the inode lock and may allocate.
    if iocb.is_nowait() {
        return EAGAIN.to_errno() as isize;
    }
    if iocb.is_direct() {
        return dio::write(&mut iocb, &mut from);
    }
    // `i_rwsem` serialises writers and size changes.  No rramfs fault path
    // takes it (see `vfs::InodeLock`).
    let lock = iocb.mapping().inode().lock();
    let ret = write_locked(&mut iocb, &mut from, lock.locked());
    drop(lock);
    match ret {
        // O_SYNC/O_DSYNC: `generic_write_sync()` ends in our fsync.
        Ok(n) if n > 0 && iocb.is_dsync() => iocb.write_sync(n),
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// The part of `write_iter` that runs under the inode lock: the checks
/// (which may shorten `from`), suid removal and times, then the write.
fn write_locked(
    iocb: &mut Kiocb<'_>,
    from: &mut IovIter<'_>,
    locked: InodeLocked<'_>,
) -> Result<usize> {
    if iocb.write_checks(from, locked)? == 0 {
        return Ok(0);
    }
    iocb.file_modified(locked)?;
    write::perform_write(iocb, from, locked)
}

/// `file_operations::llseek`: SEEK_DATA and SEEK_HOLE see the page cache
/// (a hole is a range with no folio); the rest is generic.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn llseek(file: *mut bindings::file, offset: i64, whence: c_int) -> i64 {
    if whence != bindings::SEEK_DATA as c_int && whence != bindings::SEEK_HOLE as c_int {
        // SAFETY: `file` is open.
        return unsafe { bindings::generic_file_llseek(file, offset, whence) };
    }
    // SAFETY: `file` is open, so its mapping and inode are live.
    let mapping = unsafe { Mapping::from_raw((*file).f_mapping) };
    // A shared lock against size changes.
    let lock = mapping.inode().read_lock();
    let size = mapping.size();
    let ret = if offset < 0 || offset >= size {
        i64::from(ENXIO.to_errno())
    } else {
        let off = seek_hole_data(mapping, offset, size, whence as u32);
        if off < 0 {
            off
        } else {
            // SAFETY: `file` is open.
            unsafe { bindings::vfs_setpos(file, off, i64::MAX) }
        }
    };
    drop(lock);
    ret
}

/// Finds the next data (an uptodate folio) or hole (no folio) at or after
/// `offset` in a file of `size` bytes; EOF counts as a hole.  The inode's
/// `i_rwsem` is held (for the size); `0 <= offset < size`.
fn seek_hole_data(mapping: &Mapping, offset: i64, size: i64, whence: u32) -> i64 {
    let shift = bindings::PAGE_SHIFT;
    let last = ((size - 1) as u64) >> shift;
    let mut index = (offset as u64) >> shift;
    while index <= last {
        let Some((first, nr, uptodate)) = mapping.find_folio(index, last) else {
            if whence == bindings::SEEK_DATA {
                break;
            }
            // A gap from `index` to the end.
            return offset.max((index << shift) as i64).min(size);
        };
        if whence == bindings::SEEK_DATA {
            if uptodate {
                return offset.max((first << shift) as i64);
            }
        } else if first > index || !uptodate {
            // A gap, or a folio without data, at `index`.
            return offset.max((index << shift) as i64).min(size);
        }
        index = first + nr;
    }
    if whence == bindings::SEEK_DATA {
        i64::from(ENXIO.to_errno())
    } else {
        size
    }
}

/// `file_operations::splice_read` (also sendfile's): data is spliced from
/// the page cache by reference (`filemap_splice_read()`), but a hole is
/// copied as zeros through [`read::read_iter`] (`copy_splice_read()`):
/// the generic code would fill it with new folios, charged against
/// `size=` — a sendfile of a sparse file could hit ENOSPC.  tmpfs serves
/// holes from the zero page for the same reason.  Each call covers one
/// run of data or hole; splice's callers loop.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn splice_read(
    file: *mut bindings::file,
    ppos: *mut bindings::loff_t,
    pipe: *mut bindings::pipe_inode_info,
    len: usize,
    flags: c_uint,
) -> isize {
    // SAFETY: `file` is open, so its mapping and inode are live; `ppos` is
    // valid.
    let (mapping, pos) = unsafe { (Mapping::from_raw((*file).f_mapping), *ppos) };
    let size = mapping.size();
    if pos < 0 || pos >= size || len == 0 {
        // SAFETY: As called; the generic code handles EOF.
        return unsafe { bindings::filemap_splice_read(file, ppos, pipe, len, flags) };
    }
    let shift = bindings::PAGE_SHIFT;
    let index = (pos as u64) >> shift;
    let last = ((size - 1) as u64) >> shift;
    // Where the run that starts at `pos` ends (in u64: the last folio of
    // the largest file ends at 2^63), and whether it is data.
    let (end, data) = match mapping.find_folio(index, last) {
        Some((first, nr, uptodate)) if first <= index => ((first + nr) << shift, uptodate),
        Some((first, _, _)) => (first << shift, false),
        None => (size as u64, false),
    };
    let len = len.min((end.min(size as u64) - pos as u64) as usize);
    // SAFETY: As called, with a length that stays in the run.
    unsafe {
        if data {
            bindings::filemap_splice_read(file, ppos, pipe, len, flags)
        } else {
            bindings::copy_splice_read(file, ppos, pipe, len, flags)
        }
    }
}

/// `file_operations::fsync`: the page cache is the storage, so there is
/// nothing to write back, but errors recorded on the mapping are reported.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn fsync(
    file: *mut bindings::file,
    _start: i64,
    _end: i64,
    _datasync: c_int,
) -> c_int {
    // SAFETY: `file` is open.
    unsafe { bindings::file_check_and_advance_wb_err(file) }
}

// fallocate(2) modes (uapi/linux/falloc.h, a stable ABI not in the bindings).
const FALLOC_FL_KEEP_SIZE: u32 = 0x01;
const FALLOC_FL_PUNCH_HOLE: u32 = 0x02;
const FALLOC_FL_ZERO_RANGE: u32 = 0x10;

/// `file_operations::fallocate`: preallocation (default and KEEP_SIZE),
/// PUNCH_HOLE (with KEEP_SIZE, as the VFS requires) and ZERO_RANGE.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn fallocate(
    file: *mut bindings::file,
    mode: c_int,
    offset: i64,
    len: i64,
) -> c_long {
    let mode = mode as u32;
    let supported = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
    if mode & !supported != 0 {
        return kver::code::EOPNOTSUPP().to_errno() as c_long;
    }
    // SAFETY: `file` is open for the call, so its rramfs inode is live.
    let inode = unsafe { Inode::from_raw((*(*file).f_mapping).host) };
    // Serialises against writes and truncation.
    let lock = inode.lock();
    let ret = fallocate_locked(lock.locked(), mode, offset, len).and_then(|()| {
        // SAFETY: `file` is open and its inode locked, as required.
        to_result(unsafe { bindings::file_modified(file) })
    });
    drop(lock);
    match ret {
        Ok(()) => 0,
        Err(e) => e.to_errno() as c_long,
    }
}

/// The part of [`fallocate`] under the inode lock, but for `file_modified`.
fn fallocate_locked(locked: InodeLocked<'_>, mode: u32, offset: i64, len: i64) -> Result {
    let inode = locked.inode();
    // The VFS refuses `offset < 0`, `len <= 0` and a sum past s_maxbytes;
    // checked again here, as everything below relies on `offset < end`.
    let end = match offset.checked_add(len) {
        Some(end) if offset >= 0 && len > 0 => end,
        _ => return Err(EINVAL),
    };
    let keep_size = mode & FALLOC_FL_KEEP_SIZE != 0;
    let punch = mode & FALLOC_FL_PUNCH_HOLE != 0;
    if !punch {
        // RLIMIT_FSIZE (SIGXFSZ) and s_maxbytes, even with KEEP_SIZE: the
        // space is allocated either way (as tmpfs).
        inode.newsize_ok(end)?;
    }
    if mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE) != 0 {
        // Drop the range from the page cache: whole folios go (and are
        // uncharged), partial ones are zeroed, mappings of it are zapped.
        // The invalidate lock keeps page faults from bringing folios back
        // in the middle of it (ZERO_RANGE: until they are zeros again).
        let _inval = inode.mapping().invalidate_lock();
        locked.drop_pagecache_range(offset, end - 1);
        SbInfo::of_inode(inode).recalc(inode);
        if !punch {
            preallocate(locked, offset, end)?;
        }
    } else {
        preallocate(locked, offset, end)?;
    }
    if !punch && !keep_size && end > inode.size() {
        locked.set_size(end);
    }
    Ok(())
}

/// Makes every page of `[start, end)` present and uptodate (zeros where it
/// was a hole), charging new folios.  On ENOSPC, folios added past EOF are
/// dropped again so that the failure leaves no charge behind; preallocated
/// holes below EOF stay (they read as zeros either way).
///
/// The loop runs on page indices, not byte positions: the last folio of
/// the largest file ends at 2^63, which no `loff_t` can hold.
/// `0 <= start < end`.
fn preallocate(locked: InodeLocked<'_>, start: i64, end: i64) -> Result {
    let inode = locked.inode();
    let shift = bindings::PAGE_SHIFT;
    let mapping = inode.mapping();
    let mut index = (start as u64) >> shift;
    let last = ((end - 1) as u64) >> shift;
    while index <= last {
        // Bytes wanted from `index` on, which bounds the folio size.
        let want = usize::try_from((last - index + 1) << shift).unwrap_or(usize::MAX);
        let res = if fatal_signal_pending() {
            Err(EINTR)
        } else {
            // No folio lock is held.
            LockedFolio::get_or_create(mapping, index, want)
        };
        let folio = match res {
            Ok(f) => f,
            Err(e) => {
                let size = inode.size();
                if size < end {
                    locked.drop_pagecache_range(size.max(start), end - 1);
                    SbInfo::of_inode(inode).recalc(inode);
                }
                return Err(e);
            }
        };
        // A new folio becomes uptodate zeros; an existing one is kept.
        folio.prepare_write(0, 0);
        folio.finish_write(locked, 0, 0, 0);
        index = folio.index() + folio.nr_pages();
        drop(folio);
        // Only the inode lock is held.
        cond_resched();
    }
    Ok(())
}

/// `address_space_operations::write_begin`, used by `page_symlink()`.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn write_begin(
    _ctx: kver::WriteBeginCtx,
    mapping: *mut bindings::address_space,
    pos: bindings::loff_t,
    len: c_uint,
    foliop: *mut *mut bindings::folio,
    _fsdata: *mut *mut c_void,
) -> c_int {
    let index = (pos as u64) >> bindings::PAGE_SHIFT;
    // SAFETY: The VFS calls this on a live rramfs mapping.
    let mapping = unsafe { Mapping::from_raw(mapping) };
    // No folio lock is held.
    let folio = match LockedFolio::get_or_create(mapping, index, len as usize) {
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
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn write_end(
    _ctx: kver::WriteBeginCtx,
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
    // SAFETY: Callers of write_begin/write_end hold the inode lock of the
    // mapping's host, a live rramfs inode, for the call.
    let locked = unsafe { InodeLocked::assume(Mapping::from_raw(mapping).inode()) };
    folio.finish_write(locked, offset, len, copied as usize);
    copied as c_int
}

/// `address_space_operations` of every rramfs inode.
pub(crate) static AOPS: bindings::address_space_operations = bindings::address_space_operations {
    read_folio: Some(folio::read_folio),
    write_begin: Some(write_begin),
    write_end: Some(write_end),
    dirty_folio: Some(bindings::noop_dirty_folio),
    // SAFETY: All-zero is a valid `address_space_operations`.
    ..unsafe { core::mem::zeroed() }
};

/// `file_operations` of rramfs regular files.
pub(crate) static FILE_OPS: Ops<bindings::file_operations> = Ops(bindings::file_operations {
    open: Some(open),
    read_iter: Some(read_iter),
    write_iter: Some(write_iter),
    #[cfg(rramfs_mmap_prepare)]
    mmap_prepare: Some(bindings::generic_file_mmap_prepare),
    #[cfg(not(rramfs_mmap_prepare))]
    mmap: Some(bindings::generic_file_mmap),
    fsync: Some(fsync),
    fallocate: Some(fallocate),
    splice_read: Some(splice_read),
    splice_write: Some(bindings::iter_file_splice_write),
    llseek: Some(llseek),
    // SAFETY: All-zero is a valid `file_operations`.
    ..unsafe { core::mem::zeroed() }
});

/// A table of C callbacks shared with the kernel.
///
/// Some tables hold raw pointers (`file_operations::owner`, an xattr
/// handler's prefix), which makes them `!Sync` in Rust.  `Sync` is declared
/// below for exactly the tables rramfs shares, each an immutable static
/// whose pointers lead only to other immutable statics.
#[repr(transparent)]
pub(crate) struct Ops<T>(pub(crate) T);

// SAFETY: An immutable static; its pointers (`owner` is null) are only read.
unsafe impl Sync for Ops<bindings::file_operations> {}
// SAFETY: An immutable static; `prefix` points at a static C string.
unsafe impl Sync for Ops<bindings::xattr_handler> {}
// SAFETY: Immutable; each pointer is null or leads to an `Ops` static above.
unsafe impl Sync for Ops<[*const bindings::xattr_handler; 4]> {}

/// `inode_operations::setattr` of regular files: `simple_setattr()`, then
/// uncharge what a truncation dropped.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn setattr(
    idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    attr: *mut bindings::iattr,
) -> c_int {
    // SAFETY: The VFS passes a valid `iattr` and a positive dentry of ours,
    // whose inode is live (and locked) for the call.
    let (inode, valid) = unsafe { (Inode::from_raw((*dentry).d_inode), (*attr).ia_valid) };
    let old_size = inode.size();
    // A truncation drops folios: no page fault may bring one back past the
    // new EOF meanwhile (and be charged for it).
    // SAFETY: `attr` is valid.
    let shrinks = valid & bindings::ATTR_SIZE != 0 && unsafe { (*attr).ia_size } < old_size;
    let inval = shrinks.then(|| inode.mapping().invalidate_lock());
    // SAFETY: Called by the VFS with the inode locked.
    let err = unsafe { bindings::simple_setattr(idmap, dentry, attr) };
    drop(inval);
    SbInfo::of_inode(inode).recalc(inode);
    // A size change is a modification, even through truncate(2), which
    // passes no time attributes (tmpfs does the same).
    if err == 0
        && valid & bindings::ATTR_SIZE != 0
        && valid & bindings::ATTR_MTIME == 0
        && inode.size() != old_size
    {
        // SAFETY: The VFS calls setattr with the inode locked.
        unsafe { InodeLocked::assume(inode) }.touch();
    }
    err
}

/// `inode_operations::getattr` of regular files: adds the O_DIRECT
/// alignment (`statx(STATX_DIOALIGN)`), which is `dio_align=`.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn getattr(
    idmap: *mut bindings::mnt_idmap,
    path: *const bindings::path,
    stat: *mut bindings::kstat,
    request_mask: u32,
    flags: c_uint,
) -> c_int {
    // SAFETY: Called by the VFS with valid arguments.
    let err = unsafe { bindings::simple_getattr(idmap, path, stat, request_mask, flags) };
    if err == 0 && request_mask & bindings::STATX_DIOALIGN != 0 {
        // SAFETY: `path` is a positive path of ours; `stat` is valid.
        unsafe {
            let inode = (*(*path).dentry).d_inode;
            let align = SbInfo::of(SuperBlock::from_raw((*inode).i_sb)).dio_align();
            (*stat).dio_mem_align = align;
            (*stat).dio_offset_align = align;
            (*stat).result_mask |= bindings::STATX_DIOALIGN;
        }
    }
    err
}

/// `inode_operations` of rramfs regular files.
pub(crate) static FILE_IOPS: bindings::inode_operations = bindings::inode_operations {
    setattr: Some(setattr),
    getattr: Some(getattr),
    listxattr: Some(crate::xattr::listxattr),
    // SAFETY: All-zero is a valid `inode_operations`.
    ..unsafe { core::mem::zeroed() }
};
