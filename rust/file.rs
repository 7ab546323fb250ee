// SPDX-License-Identifier: GPL-2.0

//! Regular files: their file and inode operations.
//!
//! Data lives only in the page cache.  Reads and writes go through rramfs's
//! own loops ([`crate::read`], [`crate::write`], [`crate::dio`]); mmap is
//! the kernel's generic page-cache implementation.

use kernel::prelude::*;

use crate::{
    bindings, dio, folio, read,
    super_block::SbInfo,
    vfs::{
        cond_resched, fatal_signal_pending, kver, File, FileOperations, FileOps, Inode,
        InodeLocked, InodeOperations, IovIter, Kiocb, Kstat, Mapping, SetAttr, SpliceFrom,
    },
    write,
};

/// The operations of rramfs regular files.
pub(crate) struct RegularFile;

#[vtable]
impl FileOperations for RegularFile {
    // Always inline, as the rest of the hot path: the trampoline is the
    // only caller, and a call here costs about 30 instructions per write
    // (a second stack frame; measured with `make attrib`).
    #[inline(always)]
    fn read_iter(iocb: &mut Kiocb<'_>, to: &mut IovIter<'_>) -> Result<usize> {
        if iocb.is_direct() {
            dio::read(iocb.reborrow(), to.reborrow())
        } else {
            read::read_iter(iocb, to)
        }
    }

    #[inline(always)]
    fn write_iter(iocb: &mut Kiocb<'_>, from: &mut IovIter<'_>) -> Result<usize> {
        // rramfs does not set FMODE_NOWAIT, so the VFS refuses RWF_NOWAIT
        // with EOPNOTSUPP; a kiocb that still asks not to block gets
        // EAGAIN, as the write would take the inode lock and may allocate.
        if iocb.is_nowait() {
            return Err(EAGAIN);
        }
        if iocb.is_direct() {
            return dio::write(iocb.reborrow(), from.reborrow());
        }
        // `i_rwsem` serialises writers and size changes.  No rramfs fault
        // path takes it (see `vfs::InodeLock`).
        let lock = iocb.mapping().inode().lock();
        let ret = write_locked(iocb, from, lock.locked());
        drop(lock);
        match ret {
            // O_SYNC/O_DSYNC: `generic_write_sync()` ends in our fsync.
            Ok(n) if n > 0 && iocb.is_dsync() => iocb.write_sync(n),
            r => r,
        }
    }

    /// SEEK_DATA and SEEK_HOLE see the page cache (a hole is a range with
    /// no folio); the rest is generic.
    fn llseek(file: &File, offset: i64, whence: i32) -> Result<i64> {
        if whence != bindings::SEEK_DATA as i32 && whence != bindings::SEEK_HOLE as i32 {
            return Ok(file.generic_llseek(offset, whence));
        }
        let mapping = file.mapping();
        // A shared lock against size changes.
        let _lock = mapping.inode().read_lock();
        let size = mapping.size();
        if offset < 0 || offset >= size {
            return Err(ENXIO);
        }
        let off = seek_hole_data(mapping, offset, size, whence as u32)?;
        file.set_pos(off)
    }

    /// Data is spliced from the page cache by reference
    /// (`filemap_splice_read()`), but a hole is copied as zeros through
    /// [`read::read_iter`] (`copy_splice_read()`): the generic code would
    /// fill it with new folios, charged against `size=` — a sendfile of a
    /// sparse file could hit ENOSPC.  tmpfs serves holes from the zero page
    /// for the same reason.
    fn splice_read(file: &File, pos: i64, len: usize) -> (SpliceFrom, usize) {
        let mapping = file.mapping();
        let size = mapping.size();
        if pos < 0 || pos >= size || len == 0 {
            // The generic code handles EOF.
            return (SpliceFrom::Cache, len);
        }
        let shift = bindings::PAGE_SHIFT;
        let index = (pos as u64) >> shift;
        let last = ((size - 1) as u64) >> shift;
        // Where the run that starts at `pos` ends (in u64: the last folio
        // of the largest file ends at 2^63), and whether it is data.
        let (end, data) = match mapping.find_folio(index, last) {
            Some((first, nr, uptodate)) if first <= index => ((first + nr) << shift, uptodate),
            Some((first, _, _)) => (first << shift, false),
            None => (size as u64, false),
        };
        let len = len.min((end.min(size as u64) - pos as u64) as usize);
        (
            if data {
                SpliceFrom::Cache
            } else {
                SpliceFrom::Copy
            },
            len,
        )
    }

    /// The page cache is the storage, so there is nothing to write back,
    /// but errors recorded on the mapping are reported.
    fn fsync(file: &File) -> Result {
        file.check_and_advance_wb_err()
    }

    /// Preallocation (default and KEEP_SIZE), PUNCH_HOLE (with KEEP_SIZE,
    /// as the VFS requires) and ZERO_RANGE.
    fn fallocate(file: &File, mode: u32, offset: i64, len: i64) -> Result {
        let supported = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
        if mode & !supported != 0 {
            return Err(kver::code::EOPNOTSUPP());
        }
        // Serialises against writes and truncation.
        let lock = file.inode().lock();
        fallocate_locked(lock.locked(), mode, offset, len)?;
        file.modified(lock.locked())
    }
}

/// The part of `write_iter` that runs under the inode lock: the checks
/// (which may shorten `from`), suid removal and times, then the write.
#[inline(always)]
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

/// Finds the next data (an uptodate folio) or hole (no folio) at or after
/// `offset` in a file of `size` bytes; EOF counts as a hole.  The inode's
/// `i_rwsem` is held (for the size); `0 <= offset < size`.
fn seek_hole_data(mapping: &Mapping, offset: i64, size: i64, whence: u32) -> Result<i64> {
    let shift = bindings::PAGE_SHIFT;
    let last = ((size - 1) as u64) >> shift;
    let mut index = (offset as u64) >> shift;
    while index <= last {
        let Some((first, nr, uptodate)) = mapping.find_folio(index, last) else {
            if whence == bindings::SEEK_DATA {
                break;
            }
            // A gap from `index` to the end.
            return Ok(offset.max((index << shift) as i64).min(size));
        };
        if whence == bindings::SEEK_DATA {
            if uptodate {
                return Ok(offset.max((first << shift) as i64));
            }
        } else if first > index || !uptodate {
            // A gap, or a folio without data, at `index`.
            return Ok(offset.max((index << shift) as i64).min(size));
        }
        index = first + nr;
    }
    if whence == bindings::SEEK_DATA {
        Err(ENXIO)
    } else {
        Ok(size)
    }
}

// fallocate(2) modes (uapi/linux/falloc.h, a stable ABI not in the bindings).
const FALLOC_FL_KEEP_SIZE: u32 = 0x01;
const FALLOC_FL_PUNCH_HOLE: u32 = 0x02;
const FALLOC_FL_ZERO_RANGE: u32 = 0x10;

/// The part of `fallocate` under the inode lock, but for `file_modified`.
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
            preallocate(locked, offset, end, keep_size)?;
        }
    } else {
        preallocate(locked, offset, end, keep_size)?;
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
/// No new folio reaches from before EOF to past it, and with `keep_size`
/// the pages past EOF get single-page folios: the kernel's split of a
/// large folio with pages past EOF (by a later hole punch, ZERO_RANGE or
/// truncation, or by the drop after ENOSPC here) counts its dirty pages as
/// cleaned although nothing counted them dirty (see
/// `InodeLocked::drop_pagecache_from`), which would drive NR_FILE_DIRTY
/// below zero; a page is never split, and a folio wholly past EOF is
/// dropped whole.
///
/// The loop runs on page indices, not byte positions: the last folio of
/// the largest file ends at 2^63, which no `loff_t` can hold.
/// `0 <= start < end`.
fn preallocate(locked: InodeLocked<'_>, start: i64, end: i64, keep_size: bool) -> Result {
    let inode = locked.inode();
    let shift = bindings::PAGE_SHIFT;
    let mapping = inode.mapping();
    let mut index = (start as u64) >> shift;
    let last = ((end - 1) as u64) >> shift;
    // The first page index wholly past EOF (`i_size` does not move here).
    let past_eof = (inode.size() as u64).div_ceil(1 << shift);
    while index <= last {
        // Pages wanted from `index` on, which bound the folio size: none
        // past EOF in a folio that starts before it; with `keep_size`,
        // single pages past EOF.
        let pages = match keep_size {
            _ if index < past_eof => (last + 1).min(past_eof) - index,
            true => 1,
            false => last - index + 1,
        };
        let want = usize::try_from(pages << shift).unwrap_or(usize::MAX);
        let res = if fatal_signal_pending() {
            Err(EINTR)
        } else {
            // No folio lock is held.
            folio::get_or_create(mapping, index, want)
        };
        let folio = match res {
            Ok(f) => f,
            Err(e) => {
                // The folios wholly past EOF, from the first one this call
                // may have added: whole folios, dropped without a split.
                // (`past_eof << shift` is at most 2^63: past the largest
                // file, so then there is nothing to drop.)
                let first = (((start as u64) >> shift).max(past_eof)) << shift;
                if let Ok(first) = i64::try_from(first) {
                    if first < end {
                        locked.drop_pagecache_range(first, end - 1);
                        SbInfo::of_inode(inode).recalc(inode);
                    }
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

/// The inode operations of rramfs regular files.
#[vtable]
impl InodeOperations for RegularFile {
    /// `simple_setattr()`, then uncharge what a truncation dropped.
    fn setattr(attr: SetAttr<'_>) -> Result {
        let locked = attr.locked();
        let inode = locked.inode();
        let old_size = inode.size();
        let size = attr.size();
        let sets_mtime = attr.sets_mtime();
        // A truncation drops folios: no page fault may bring one back past
        // the new EOF meanwhile (and be charged for it).
        let shrinks = size.is_some_and(|s| s < old_size);
        let inval = shrinks.then(|| inode.mapping().invalidate_lock());
        let r = attr.apply();
        drop(inval);
        SbInfo::of_inode(inode).recalc(inode);
        r?;
        // A size change is a modification, even through truncate(2), which
        // passes no time attributes (tmpfs does the same).
        if size.is_some() && !sets_mtime && inode.size() != old_size {
            locked.touch();
        }
        Ok(())
    }

    /// Adds the O_DIRECT alignment (`statx(STATX_DIOALIGN)`), which is
    /// `dio_align=`.
    fn getattr(inode: &Inode, stat: &mut Kstat, request_mask: u32) {
        if request_mask & bindings::STATX_DIOALIGN != 0 {
            stat.set_dio_align(SbInfo::of_inode(inode).dio_align());
        }
    }
}

/// `file_operations` of rramfs regular files, which support O_DIRECT.
pub(crate) static FILE_OPS: FileOps = FileOps::new::<RegularFile>(true);
