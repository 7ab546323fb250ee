// SPDX-License-Identifier: GPL-2.0

//! The O_DIRECT path: data moves between the caller's pages and the file's
//! folios, and no user memory is faulted or pinned while a lock that a page
//! fault can take is held (folio locks, the invalidate lock, `mmap_lock`).
//!
//! Per batch of at most [`BATCH_PAGES`] pages:
//!
//! 1. get the caller's pages with `iov_iter_extract_pages()`, holding no
//!    folio lock.  For user-backed iterators (ubuf, iovec) this pins them
//!    (FOLL_PIN), which may fault — and a fault on an mmap of an rramfs file
//!    runs page-cache code that takes that file's folio locks and
//!    invalidate lock.  For bvec/kvec/folioq iterators (splice, sendfile,
//!    io_uring fixed buffers, the loop driver) it hands out the pages
//!    without a pin or a reference, and they must not be released;
//! 2. copy with `kmap_local` between the pages and the folios, one folio
//!    lock at a time;
//! 3. unpin exactly what was pinned (dirtying it after a read, which wrote
//!    into it).
//!
//! A write holds the inode's `i_rwsem` (exclusive) for its whole length,
//! as ext4 and XFS do around `iomap_dio_rw()`: it is atomic against other
//! writers, and its checks (O_APPEND, RLIMIT_FSIZE, s_maxbytes, suid
//! removal, times) apply to all of it.  Pinning under `i_rwsem` cannot
//! deadlock, because no rramfs fault path takes it: a DIO whose buffer is
//! an mmap of the same file, or of another file that another task is
//! writing the other way (the ABBA case), faults without waiting for it.
//! Reads take no inode lock.  The batch bounds the page array whatever the
//! request length.

use kernel::ffi::c_ulong;
use kernel::prelude::*;

use crate::{
    bindings,
    folio::LockedFolio,
    locks::{InodeLock, InvalidateLock},
    stats,
    super_block::SbInfo,
};

/// Pages per batch: 256 KiB with 4 KiB pages.
const BATCH_PAGES: usize = 64;

/// The pages of one batch, extracted from an iterator.
///
/// # Invariants
///
/// `pages[..n]` are the pages that `iov_iter_extract_pages()` returned for
/// `bytes` bytes starting at `offset0` in the first; if `pinned`, each holds
/// one FOLL_PIN pin owned by this batch, released by [`Batch::release`] (or
/// on drop, without dirtying).  The array lives on the stack (512 bytes):
/// no allocation per call.
struct Batch {
    pages: [*mut bindings::page; BATCH_PAGES],
    n: usize,
    offset0: usize,
    bytes: usize,
    pinned: bool,
    released: bool,
}

impl Batch {
    /// Extracts up to `max` bytes (at most [`BATCH_PAGES`] pages) from `iter`,
    /// advancing it.  Must be called with no filesystem lock held.
    ///
    /// # Safety
    ///
    /// `iter` is live.
    unsafe fn extract(
        iter: *mut bindings::iov_iter,
        max: usize,
        st: &stats::Stats,
    ) -> Result<Batch> {
        let mut pages = [core::ptr::null_mut(); BATCH_PAGES];
        // SAFETY: `iter` is live.
        let pinned = unsafe { bindings::rramfs_iov_iter_extract_will_pin(iter) };
        let mut arr = pages.as_mut_ptr();
        let mut offset0 = 0usize;
        // SAFETY: `arr` has room for `BATCH_PAGES` pointers, which the
        // extraction fills in (it uses the array it is given, never
        // more than `maxpages` of it).
        let got = unsafe {
            bindings::iov_iter_extract_pages(
                iter,
                &mut arr,
                max,
                BATCH_PAGES as u32,
                0,
                &mut offset0,
            )
        };
        if got < 0 {
            return Err(Error::from_errno(got as i32));
        }
        let bytes = got as usize;
        let n = (offset0 + bytes).div_ceil(bindings::PAGE_SIZE);
        if pinned {
            stats::add(&st.dio_pages_pinned, n as u64);
        } else {
            stats::add(&st.dio_pages_unpinned_source, n as u64);
        }
        // INVARIANT: As returned by the extraction.
        Ok(Batch {
            pages,
            n,
            offset0,
            bytes,
            pinned,
            released: false,
        })
    }

    /// The page holding byte `off` of the batch, and the offset in it.
    fn page_at(&self, off: usize) -> (*mut bindings::page, usize) {
        let abs = self.offset0 + off;
        (
            self.pages[abs / bindings::PAGE_SIZE],
            abs % bindings::PAGE_SIZE,
        )
    }

    /// Releases the pages: unpins them if pinned (marking them dirty if the
    /// kernel wrote into them), and does nothing for unpinned sources.
    fn release(mut self, dirty: bool, st: &stats::Stats) {
        if self.pinned && self.n > 0 {
            // SAFETY: By the type invariants we own one pin on each page.
            unsafe {
                bindings::unpin_user_pages_dirty_lock(
                    self.pages.as_mut_ptr(),
                    self.n as c_ulong,
                    dirty,
                )
            };
            stats::add(&st.dio_pages_unpinned, self.n as u64);
        }
        self.released = true;
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        if !self.released && self.pinned && self.n > 0 {
            // SAFETY: By the type invariants we own one pin on each page.
            unsafe {
                bindings::unpin_user_pages_dirty_lock(
                    self.pages.as_mut_ptr(),
                    self.n as c_ulong,
                    false,
                )
            };
        }
    }
}

/// Checks `dio_align=` on file offset, length and memory addresses.
///
/// # Safety
///
/// `iter` is live.
unsafe fn check_alignment(fsi: &SbInfo, pos: i64, iter: *mut bindings::iov_iter) -> Result {
    let mask = u64::from(fsi.dio_align()) - 1;
    // SAFETY: `iter` is live.
    let (count, mem) = unsafe {
        (
            bindings::rramfs_iov_iter_count(iter),
            bindings::iov_iter_alignment(iter),
        )
    };
    if (pos as u64 | count as u64 | mem as u64) & mask != 0 {
        return Err(EINVAL);
    }
    Ok(())
}

/// Direct read of `iocb->ki_pos` into `to`.
///
/// # Safety
///
/// `iocb` and `to` are the live arguments of a `read_iter` call with
/// IOCB_DIRECT on an rramfs regular file.
pub(crate) unsafe fn read(iocb: *mut bindings::kiocb, to: *mut bindings::iov_iter) -> isize {
    // SAFETY: See the function's safety requirements.
    let (file, mut pos) = unsafe { ((*iocb).ki_filp, (*iocb).ki_pos) };
    // SAFETY: An open file's mapping, inode and superblock are live.
    let (mapping, inode) = unsafe { ((*file).f_mapping, (*(*file).f_mapping).host) };
    // SAFETY: As above.
    let fsi = unsafe { SbInfo::of((*inode).i_sb) };
    let st = &fsi.stats;
    stats::inc(&st.dio_calls);
    // SAFETY: `to` is live.
    if let Err(e) = unsafe { check_alignment(fsi, pos, to) } {
        return e.to_errno() as isize;
    }
    let mut done = 0usize;
    let mut err = Ok(());
    loop {
        // SAFETY: `inode` is live.
        let size = unsafe { bindings::rramfs_i_size_read(inode) };
        // SAFETY: `to` is live.
        let left = unsafe { bindings::rramfs_iov_iter_count(to) };
        if left == 0 || pos >= size {
            break;
        }
        let want = left
            .min((size - pos) as usize)
            .min(BATCH_PAGES * bindings::PAGE_SIZE);
        // 1. Pin, holding no lock.
        // SAFETY: `to` is live.
        let batch = match unsafe { Batch::extract(to, want, st) } {
            Ok(b) => b,
            Err(e) => {
                err = Err(e);
                break;
            }
        };
        // 2. Copy from the cache; holes read as zeros.  A read takes no
        // filesystem lock: a referenced folio cannot be freed under us.
        let mut off = 0;
        while off < batch.bytes {
            let (page, poff) = batch.page_at(off);
            let fpos = pos + off as i64;
            let index = (fpos as u64) >> bindings::PAGE_SHIFT;
            let in_page = bindings::PAGE_SIZE - (fpos as usize & (bindings::PAGE_SIZE - 1));
            let len = (batch.bytes - off)
                .min(bindings::PAGE_SIZE - poff)
                .min(in_page);
            // SAFETY: `mapping` is live; the result is null or referenced.
            let folio = unsafe { bindings::rramfs_filemap_get_folio(mapping, index as usize) };
            // SAFETY: `page` is one of the batch's pages, `[poff, poff+len)`
            // is inside it; `folio` is referenced and covers `fpos`.
            unsafe {
                if !folio.is_null() && bindings::rramfs_folio_test_uptodate(folio) {
                    let foff = (fpos - bindings::rramfs_folio_pos(folio)) as usize;
                    bindings::rramfs_copy_folio_to_page(folio, foff, page, poff, len);
                } else {
                    bindings::rramfs_zero_page(page, poff, len);
                }
                if !folio.is_null() {
                    bindings::rramfs_folio_put(folio);
                }
            }
            off += len;
        }
        pos += batch.bytes as i64;
        done += batch.bytes;
        // 3. Unpin, dirtying: we wrote into the caller's pages.
        batch.release(true, st);
        // SAFETY: No lock is held.
        unsafe { bindings::rramfs_cond_resched() };
        // SAFETY: Reads the current task's pending signals.
        if unsafe { bindings::rramfs_fatal_signal_pending() } {
            break;
        }
    }
    // SAFETY: `iocb` and `file` are live.
    unsafe {
        (*iocb).ki_pos = pos;
        bindings::rramfs_file_accessed(file);
    }
    match (done, err) {
        (0, Err(e)) => e.to_errno() as isize,
        _ => done as isize,
    }
}

/// Direct write of `from` at `iocb->ki_pos`.
///
/// # Safety
///
/// `iocb` and `from` are the live arguments of a `write_iter` call with
/// IOCB_DIRECT on an rramfs regular file; no lock is held.
pub(crate) unsafe fn write(iocb: *mut bindings::kiocb, from: *mut bindings::iov_iter) -> isize {
    // SAFETY: See the function's safety requirements.
    let file = unsafe { (*iocb).ki_filp };
    // SAFETY: An open file's mapping, inode and superblock are live.
    let (mapping, inode) = unsafe { ((*file).f_mapping, (*(*file).f_mapping).host) };
    // SAFETY: As above.
    let fsi = unsafe { SbInfo::of((*inode).i_sb) };
    let st = &fsi.stats;
    stats::inc(&st.dio_calls);
    // Length and memory alignment, before any lock.  The position is
    // checked under it, where O_APPEND has moved it to EOF: until then the
    // file position of an O_APPEND descriptor says nothing.
    // SAFETY: `iocb` is live; the flag is a constant.
    let pos = unsafe {
        if (*iocb).ki_flags & bindings::rramfs_iocb_append != 0 {
            0
        } else {
            (*iocb).ki_pos
        }
    };
    // SAFETY: `from` is live.
    if let Err(e) = unsafe { check_alignment(fsi, pos, from) } {
        return e.to_errno() as isize;
    }
    // SAFETY: `inode` is live; see the module doc for why user pages may
    // be pinned under this lock.
    let lock = unsafe { InodeLock::new(inode) };
    // SAFETY: `iocb` and `from` are live and the inode locked.
    let count = match unsafe { checks_locked(iocb, fsi, from) } {
        Ok(0) => return 0,
        Ok(n) => n,
        Err(e) => return e.to_errno() as isize,
    };
    // SAFETY: `iocb` is live.
    let start = unsafe { (*iocb).ki_pos };
    let mut pos = start;
    let mut done = 0usize;
    let mut err = Ok(());
    while done < count {
        let want = (count - done).min(BATCH_PAGES * bindings::PAGE_SIZE);
        // 1. Pin the source: no folio lock is held.
        // SAFETY: `from` is live.
        let batch = match unsafe { Batch::extract(from, want, st) } {
            Ok(b) => b,
            Err(e) => {
                err = Err(e);
                break;
            }
        };
        // 2. Copy into the cache, a folio lock at a time.
        // SAFETY: `mapping` is live, its inode locked; the batch's pages
        // hold `batch.bytes` bytes of source.
        let copied = unsafe { copy_to_cache(mapping, inode, pos, &batch, batch.bytes) };
        // 3. Unpin the source (it was only read).
        let extracted = batch.bytes;
        batch.release(false, st);
        let copied = copied.unwrap_or_else(|e| {
            err = Err(e);
            0
        });
        pos += copied as i64;
        done += copied;
        if copied < extracted || err.is_err() {
            break;
        }
        // SAFETY: May sleep; only `i_rwsem` is held.
        unsafe { bindings::rramfs_cond_resched() };
        // SAFETY: Reads the current task's pending signals.
        if unsafe { bindings::rramfs_fatal_signal_pending() } {
            break;
        }
    }
    drop(lock);
    // The iterator must say what was written, as after
    // `generic_file_direct_write()`: io_uring and the splice code resume
    // from it after a short write.
    // SAFETY: `from` is live.
    let consumed = count - unsafe { bindings::rramfs_iov_iter_count(from) };
    if consumed > done {
        // SAFETY: `from` advanced by `consumed` bytes during this call.
        unsafe { bindings::iov_iter_revert(from, consumed - done) };
    }
    if done > 0 {
        // SAFETY: `iocb` is live.
        unsafe { (*iocb).ki_pos = pos };
    }
    match (done, err) {
        (0, Err(e)) => e.to_errno() as isize,
        _ => {
            // SAFETY: `iocb` is live; O_SYNC ends in our fsync.
            unsafe { bindings::rramfs_generic_write_sync(iocb, done as isize) }
        }
    }
}

/// The write checks, done once under the inode lock: O_APPEND positioning,
/// RLIMIT_FSIZE and s_maxbytes (which shorten `from`), alignment of the
/// final position, suid/sgid removal and times.  Returns the byte count
/// to write.
///
/// # Safety
///
/// `iocb` and `from` are live; the inode's `i_rwsem` is held for writing.
unsafe fn checks_locked(
    iocb: *mut bindings::kiocb,
    fsi: &SbInfo,
    from: *mut bindings::iov_iter,
) -> Result<usize> {
    // SAFETY: See the function's safety requirements.
    let count = unsafe { bindings::generic_write_checks(iocb, from) };
    if count <= 0 {
        kernel::error::to_result(count as i32)?;
        return Ok(0);
    }
    // SAFETY: `iocb` is live.
    let (pos, file) = unsafe { ((*iocb).ki_pos, (*iocb).ki_filp) };
    if pos as u64 & (u64::from(fsi.dio_align()) - 1) != 0 {
        return Err(EINVAL);
    }
    // SAFETY: `file` is open and its inode locked.
    kernel::error::to_result(unsafe { bindings::file_remove_privs(file) })?;
    // SAFETY: As above.
    kernel::error::to_result(unsafe { bindings::file_update_time(file) })?;
    Ok(count as usize)
}

/// Copies the first `len` bytes of `batch` into the page cache at `pos`.
/// Returns the bytes copied, short on ENOSPC (the error only if none).
///
/// The copy goes a folio at a time, each under its lock.  When part of the
/// source is a mapping of this same file lying before its destination
/// (see [`source_before_destination`]), it goes page by page from last to
/// first instead, so that an overlapping source is read before it is
/// overwritten (memmove semantics within a batch).  A failure then is an
/// error, as no prefix was written, and the file keeps its old size.
///
/// # Safety
///
/// `mapping` is live; its inode's `i_rwsem` is held for writing.
unsafe fn copy_to_cache(
    mapping: *mut bindings::address_space,
    inode: *mut bindings::inode,
    pos: i64,
    batch: &Batch,
    len: usize,
) -> Result<usize> {
    if len == 0 {
        return Ok(0);
    }
    // SAFETY: As for this function.
    if unsafe { source_before_destination(mapping, pos, batch, len) } {
        // SAFETY: The inode is locked.
        let old_size = unsafe { bindings::rramfs_i_size_read(inode) };
        // SAFETY: As for this function.
        let r = unsafe { copy_pieces(mapping, inode, pos, batch, len, true) };
        if r.is_err() {
            // The pages written from the end raised the size: undo that.
            // SAFETY: The inode is locked.
            unsafe { shrink_back(inode, old_size) };
        }
        return r;
    }
    // SAFETY: As for this function.
    unsafe { copy_pieces(mapping, inode, pos, batch, len, false) }
}

/// Whether some page of `batch` is a page of `mapping` that lies inside the
/// destination `[pos, pos + len)` before the bytes it is copied to: copied
/// forward, it would be overwritten before it is read.
///
/// Byte `k` of a source page at file index `fi`, extracted at batch page
/// `i`, sits at file offset `d + k` with `d = fi * PAGE_SIZE - i *
/// PAGE_SIZE + offset0`, and goes to `pos + k`: a forward copy reads it
/// after overwriting it when `d < pos` and `d + k >= pos` for one of the
/// page's `k`.
///
/// # Safety
///
/// `mapping` is live; the batch's pages are held.
unsafe fn source_before_destination(
    mapping: *mut bindings::address_space,
    pos: i64,
    batch: &Batch,
    len: usize,
) -> bool {
    let ps = bindings::PAGE_SIZE as i64;
    (0..batch.n).any(|i| {
        // SAFETY: The page is held by the batch; the result is a hint
        // (racy by nature: the page may be truncated meanwhile).
        let fi = unsafe { bindings::rramfs_page_index_in(batch.pages[i], mapping) };
        if fi < 0 {
            return false;
        }
        // The batch bytes this page holds: `[lo, hi)`.
        let hi = ((i as i64 + 1) * ps - batch.offset0 as i64).min(len as i64);
        let d = fi * ps - i as i64 * ps + batch.offset0 as i64;
        d < pos && d + hi > pos
    })
}

/// Returns the size of `inode` to `old` after a failed write grew it, and
/// drops (uncharges) the folios that the write added past it.
///
/// # Safety
///
/// `inode` is live and its `i_rwsem` held for writing.
unsafe fn shrink_back(inode: *mut bindings::inode, old: i64) {
    // SAFETY: As for this function.
    unsafe {
        if bindings::rramfs_i_size_read(inode) > old {
            let _inval = InvalidateLock::new((*inode).i_mapping);
            bindings::rramfs_i_size_write(inode, old);
            bindings::truncate_pagecache(inode, old);
            SbInfo::of((*inode).i_sb).recalc(inode);
        }
    }
}

/// The copy of [`copy_to_cache`], forward (a folio at a time) or in
/// `reverse` (a page at a time, from the end).
///
/// # Safety
///
/// As for [`copy_to_cache`]; `len > 0`.
unsafe fn copy_pieces(
    mapping: *mut bindings::address_space,
    inode: *mut bindings::inode,
    pos: i64,
    batch: &Batch,
    len: usize,
    reverse: bool,
) -> Result<usize> {
    let shift = bindings::PAGE_SHIFT;
    let last = ((pos as u64) + len as u64 - 1) >> shift;
    let mut copied = 0usize;
    let mut page_i = 0u64;
    while copied < len {
        // Forward: from the start, a folio at a time (large folios for large
        // writes).  Reverse: from the end, a page at a time.
        let (index, want) = if reverse {
            let index = last - page_i;
            page_i += 1;
            let page_start = (index << shift) as i64;
            (
                index,
                ((pos + (len - copied) as i64) - pos.max(page_start)) as usize,
            )
        } else {
            (((pos as u64) + copied as u64) >> shift, len - copied)
        };
        let start = if reverse { len - copied - want } else { copied };
        // SAFETY: `mapping` is live; we hold no folio lock.
        let folio = match unsafe { LockedFolio::get_or_create(mapping, index, want) } {
            Ok(f) => f,
            Err(e) if reverse || copied == 0 => return Err(e),
            Err(_) => break,
        };
        let foff = (pos + start as i64 - folio.pos()) as usize;
        let n = want.min(folio.size() - foff);
        folio.prepare_write(foff, n);
        // Copy in pieces that cross no page boundary on either side, in the
        // chosen direction.
        let mut done = 0;
        while done < n {
            let (at, step) = if reverse {
                // The last piece not yet done: up to the previous boundary
                // of either the source page or the destination page.
                let end = n - done;
                let (_, poff_end) = batch.page_at(start + end - 1);
                let fo_end = foff + end - 1;
                let step = (poff_end + 1)
                    .min((fo_end & (bindings::PAGE_SIZE - 1)) + 1)
                    .min(end);
                (end - step, step)
            } else {
                let (_, poff) = batch.page_at(start + done);
                let fo = foff + done;
                let step = (n - done)
                    .min(bindings::PAGE_SIZE - poff)
                    .min(bindings::PAGE_SIZE - (fo & (bindings::PAGE_SIZE - 1)));
                (done, step)
            };
            let (page, poff) = batch.page_at(start + at);
            // SAFETY: The folio is locked and `[foff + at, +step)` lies in
            // one of its pages; the source page is held by the batch.  The
            // source may be this very folio: the copy is a memmove.
            unsafe {
                bindings::rramfs_copy_page_to_folio(folio.as_raw(), foff + at, page, poff, step)
            };
            done += step;
        }
        // SAFETY: The inode lock is held.
        unsafe { folio.finish_write(inode, foff, n, n) };
        copied += n;
    }
    Ok(copied)
}
