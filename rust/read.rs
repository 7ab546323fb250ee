// SPDX-License-Identifier: GPL-2.0

//! The buffered read path.
//!
//! Like tmpfs, and unlike `generic_file_read_iter()`, a read of a hole
//! copies zeros without adding folios to the page cache: reading a sparse
//! file must not fill memory (or run into `size=`).  Only a page fault on a
//! hole (mmap) allocates, through `read_folio`.  No lock is held while
//! copying to the user: only a reference on the folio.

use kernel::prelude::*;

use crate::bindings;
use crate::vfs::{cond_resched, fatal_signal_pending, IovIter, Kiocb};

/// Copies from the file at the kiocb's position into `to`, advancing the
/// position.  Returns the bytes read, or an error if none were.  Inlined
/// into the `read_iter` trampoline, its only caller.
#[inline(always)]
pub(crate) fn read_iter(iocb: &mut Kiocb<'_>, to: &mut IovIter<'_>) -> Result<usize> {
    let mapping = iocb.mapping();
    let mut pos = iocb.pos();
    let mut read = 0usize;
    let mut err = Ok(());
    loop {
        let count = to.count();
        if count == 0 || pos >= mapping.size() {
            break;
        }
        // Between chunks only: a read that one chunk serves returns to
        // user space next, where a killed task dies and a preempted one
        // yields (as the write path).
        if read > 0 {
            if fatal_signal_pending() {
                break;
            }
            cond_resched();
        }
        let index = (pos as u64) >> bindings::PAGE_SHIFT;
        // A referenced folio, or none for a hole.  One that is not uptodate
        // holds no data yet (see `folio`): a hole too.
        let folio = mapping.get_folio(index).filter(|f| f.is_uptodate());
        // Reads run without the inode lock: re-check the size after the
        // lookup, against a racing truncate.
        let size = mapping.size();
        if pos >= size {
            break;
        }
        // `pos + count` may pass 2^63 in a file of s_maxbytes.
        let end = size.min(pos.saturating_add(count as i64));
        let (nr, copied) = match folio {
            None => {
                let page = bindings::PAGE_SIZE as i64;
                let nr = (end - pos).min(page - (pos & (page - 1))) as usize;
                (nr, to.zero(nr))
            }
            Some(folio) => {
                let offset = (pos - folio.pos()) as usize;
                let nr = ((end - pos) as usize).min(folio.size() - offset);
                // No lock is held: the copy may fault.
                (nr, folio.copy_to_iter(offset, nr, to))
            }
        };
        pos += copied as i64;
        read += copied;
        if copied < nr {
            if read == 0 {
                err = Err(EFAULT);
            }
            break;
        }
    }
    iocb.set_pos(pos);
    iocb.file_accessed();
    err.map(|()| read)
}
