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

use kernel::prelude::*;

use crate::{
    bindings, folio, stats,
    super_block::SbInfo,
    vfs::{
        cond_resched, fatal_signal_pending, InodeLocked, IovIter, Kiocb, Mapping, PageBatch,
        BATCH_PAGES,
    },
};

/// Checks `dio_align=` on file offset, length and memory addresses.
fn check_alignment(fsi: &SbInfo, pos: i64, iter: &IovIter<'_>) -> Result {
    let mask = u64::from(fsi.dio_align()) - 1;
    if (pos as u64 | iter.count() as u64 | iter.alignment()) & mask != 0 {
        return Err(EINVAL);
    }
    Ok(())
}

/// Extracts the next batch of the caller's pages, counting them.
fn extract(iter: &mut IovIter<'_>, max: usize, st: &stats::Stats) -> Result<PageBatch> {
    let batch = iter.extract_pages(max)?;
    let n = batch.nr_pages() as u64;
    if batch.is_pinned() {
        stats::add(&st.dio_pages_pinned, n);
    } else {
        stats::add(&st.dio_pages_unpinned_source, n);
    }
    Ok(batch)
}

/// Releases a batch (see [`PageBatch::release`]), counting the unpins.
fn release(batch: PageBatch, dirty: bool, st: &stats::Stats) {
    if batch.is_pinned() {
        stats::add(&st.dio_pages_unpinned, batch.nr_pages() as u64);
    }
    batch.release(dirty);
}

/// Direct read at the kiocb's position into `to` (the kiocb asks for
/// IOCB_DIRECT).  Returns the bytes read, or an error if none were.
///
/// Takes the kiocb and iterator by value (see `Kiocb::reborrow`): a
/// reference would keep the caller's in memory on the buffered path too.
pub(crate) fn read(mut iocb: Kiocb<'_>, mut to: IovIter<'_>) -> Result<usize> {
    let (iocb, to) = (&mut iocb, &mut to);
    let mapping = iocb.mapping();
    let mut pos = iocb.pos();
    let fsi = SbInfo::of_inode(mapping.inode());
    let st = &fsi.stats;
    stats::inc(&st.dio_calls);
    check_alignment(fsi, pos, to)?;
    let mut done = 0usize;
    let mut err = Ok(());
    loop {
        let size = mapping.size();
        let left = to.count();
        if left == 0 || pos >= size {
            break;
        }
        let want = left
            .min((size - pos) as usize)
            .min(BATCH_PAGES * bindings::PAGE_SIZE);
        // 1. Pin, holding no lock.
        let batch = match extract(to, want, st) {
            Ok(b) => b,
            Err(e) => {
                err = Err(e);
                break;
            }
        };
        // 2. Copy from the cache; holes read as zeros.  A read takes no
        // filesystem lock: a referenced folio cannot be freed under us.
        let mut off = 0;
        while off < batch.bytes() {
            let (page, poff) = batch.page_at(off);
            let fpos = pos + off as i64;
            let index = (fpos as u64) >> bindings::PAGE_SHIFT;
            let in_page = bindings::PAGE_SIZE - (fpos as usize & (bindings::PAGE_SIZE - 1));
            let len = (batch.bytes() - off)
                .min(bindings::PAGE_SIZE - poff)
                .min(in_page);
            match mapping.get_folio(index).filter(|f| f.is_uptodate()) {
                Some(folio) => {
                    let foff = (fpos - folio.pos()) as usize;
                    folio.copy_to_page(foff, page, poff, len);
                }
                None => page.zero(poff, len),
            }
            off += len;
        }
        pos += batch.bytes() as i64;
        done += batch.bytes();
        // 3. Unpin, dirtying: we wrote into the caller's pages.
        release(batch, true, st);
        cond_resched();
        if fatal_signal_pending() {
            break;
        }
    }
    iocb.set_pos(pos);
    iocb.file_accessed();
    match (done, err) {
        (0, Err(e)) => Err(e),
        _ => Ok(done),
    }
}

/// Direct write of `from` at the kiocb's position (the kiocb asks for
/// IOCB_DIRECT); no lock is held.  Returns the bytes written or an error.
/// By value, as [`read`].
pub(crate) fn write(mut iocb: Kiocb<'_>, mut from: IovIter<'_>) -> Result<usize> {
    let (iocb, from) = (&mut iocb, &mut from);
    let mapping = iocb.mapping();
    let inode = mapping.inode();
    let fsi = SbInfo::of_inode(inode);
    let st = &fsi.stats;
    stats::inc(&st.dio_calls);
    // Length and memory alignment, before any lock.  The position is
    // checked under it, where O_APPEND has moved it to EOF: until then the
    // file position of an O_APPEND descriptor says nothing.
    let pos = if iocb.is_append() { 0 } else { iocb.pos() };
    check_alignment(fsi, pos, from)?;
    // See the module doc for why user pages may be pinned under this lock.
    let lock = inode.lock();
    let count = match checks_locked(iocb, fsi, from, lock.locked())? {
        0 => return Ok(0),
        n => n,
    };
    let mut pos = iocb.pos();
    let mut done = 0usize;
    let mut err = Ok(());
    while done < count {
        let want = (count - done).min(BATCH_PAGES * bindings::PAGE_SIZE);
        // 1. Pin the source: no folio lock is held.
        let batch = match extract(from, want, st) {
            Ok(b) => b,
            Err(e) => {
                err = Err(e);
                break;
            }
        };
        // 2. Copy into the cache, a folio lock at a time.
        let copied = copy_to_cache(mapping, lock.locked(), pos, &batch, batch.bytes());
        // 3. Unpin the source (it was only read).
        let extracted = batch.bytes();
        release(batch, false, st);
        let copied = copied.unwrap_or_else(|e| {
            err = Err(e);
            0
        });
        pos += copied as i64;
        done += copied;
        if copied < extracted || err.is_err() {
            break;
        }
        // Only `i_rwsem` is held.
        cond_resched();
        if fatal_signal_pending() {
            break;
        }
    }
    drop(lock);
    // The iterator must say what was written, as after
    // `generic_file_direct_write()`: io_uring and the splice code resume
    // from it after a short write.
    let consumed = count - from.count();
    if consumed > done {
        from.revert(consumed - done);
    }
    if done > 0 {
        iocb.set_pos(pos);
    }
    match (done, err) {
        (0, Err(e)) => Err(e),
        // O_SYNC/O_DSYNC end in our fsync.
        _ => iocb.write_sync(done),
    }
}

/// The write checks, done once under the inode lock: O_APPEND positioning,
/// RLIMIT_FSIZE and s_maxbytes (which shorten `from`), alignment of the
/// final position, suid/sgid removal and times.  Returns the byte count
/// to write.
fn checks_locked(
    iocb: &mut Kiocb<'_>,
    fsi: &SbInfo,
    from: &mut IovIter<'_>,
    locked: InodeLocked<'_>,
) -> Result<usize> {
    let count = iocb.write_checks(from, locked)?;
    if count == 0 {
        return Ok(0);
    }
    if iocb.pos() as u64 & (u64::from(fsi.dio_align()) - 1) != 0 {
        return Err(EINVAL);
    }
    iocb.file_modified(locked)?;
    Ok(count)
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
/// `mapping` is the page cache of `locked`'s inode.
fn copy_to_cache(
    mapping: &Mapping,
    locked: InodeLocked<'_>,
    pos: i64,
    batch: &PageBatch,
    len: usize,
) -> Result<usize> {
    if len == 0 {
        return Ok(0);
    }
    if source_before_destination(mapping, pos, batch, len) {
        let old_size = mapping.size();
        let r = copy_pieces(mapping, locked, pos, batch, len, true);
        if r.is_err() {
            // The pages written from the end raised the size: undo that.
            shrink_back(locked, old_size);
        }
        return r;
    }
    copy_pieces(mapping, locked, pos, batch, len, false)
}

/// Whether some page of `batch` is a page of `mapping` that lies inside the
/// destination `[pos, pos + len)` before the bytes it is copied to: copied
/// forward, it would be overwritten before it is read.
///
/// Byte `k` of a source page at file index `fi`, extracted at batch page
/// `i`, sits at file offset `d + k` with `d = fi * PAGE_SIZE - i *
/// PAGE_SIZE + offset0`, and goes to `pos + k`: a forward copy reads it
/// after overwriting it when `d < pos` and `d + k >= pos` for one of the
/// page's `k`.  A hint, racy by nature (see [`crate::vfs::BatchPage::index_in`]).
fn source_before_destination(mapping: &Mapping, pos: i64, batch: &PageBatch, len: usize) -> bool {
    let ps = bindings::PAGE_SIZE as i64;
    let offset0 = batch.offset0() as i64;
    (0..batch.nr_pages()).any(|i| {
        let Some(fi) = batch.page(i).index_in(mapping) else {
            return false;
        };
        // The batch bytes this page holds: `[lo, hi)`.
        let hi = ((i as i64 + 1) * ps - offset0).min(len as i64);
        let d = fi as i64 * ps - i as i64 * ps + offset0;
        d < pos && d + hi > pos
    })
}

/// Returns the size of the locked inode to `old` after a failed write
/// grew it, and drops (uncharges) the folios that the write added past it.
fn shrink_back(locked: InodeLocked<'_>, old: i64) {
    let inode = locked.inode();
    if inode.size() > old {
        let _inval = inode.mapping().invalidate_lock();
        locked.shrink(old);
        SbInfo::of_inode(inode).recalc(inode);
    }
}

/// The copy of [`copy_to_cache`], forward (a folio at a time) or in
/// `reverse` (a page at a time, from the end); `len > 0`.
fn copy_pieces(
    mapping: &Mapping,
    locked: InodeLocked<'_>,
    pos: i64,
    batch: &PageBatch,
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
        // We hold no folio lock.
        let folio = match folio::get_or_create(mapping, index, want) {
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
            // The source may be this very folio: the copy is a memmove.
            folio.copy_from_page(foff + at, page, poff, step);
            done += step;
        }
        folio.finish_write(locked, foff, n, n);
        copied += n;
    }
    Ok(copied)
}
