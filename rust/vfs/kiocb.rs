// SPDX-License-Identifier: GPL-2.0

//! `struct kiocb`: the file and position of one read or write.

use kernel::prelude::*;

use super::{to_result, InodeLocked, IovIter, Mapping};
use crate::bindings;

/// The `kiocb` of one `read_iter` or `write_iter` call on an rramfs file.
///
/// The kiocb is the caller's, on its stack, and only this call uses it:
/// its fields are read and written through a plain `&mut`.
///
/// # Invariants
///
/// The kiocb's file is an open rramfs file (so its mapping and inode are
/// live too) for `'a`.
pub(crate) struct Kiocb<'a> {
    raw: &'a mut bindings::kiocb,
}

impl<'a> Kiocb<'a> {
    /// Wraps the `kiocb` argument of a VFS call.
    ///
    /// # Safety
    ///
    /// `ptr` is a live `kiocb` of a call on an open rramfs file, and
    /// nothing else uses it for `'a`.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::kiocb) -> Self {
        // INVARIANT: By the safety requirements.
        Kiocb {
            // SAFETY: A live kiocb that nothing else uses for `'a`.
            raw: unsafe { &mut *ptr },
        }
    }

    /// The same kiocb, borrowed for a shorter lifetime, as a value (see
    /// `IovIter::reborrow`).
    #[inline]
    pub(crate) fn reborrow(&mut self) -> Kiocb<'_> {
        // INVARIANT: The same file.
        Kiocb { raw: self.raw }
    }

    fn flags(&self) -> i32 {
        self.raw.ki_flags
    }

    /// Whether the call is O_DIRECT (IOCB_DIRECT).
    pub(crate) fn is_direct(&self) -> bool {
        self.flags() as u32 & bindings::IOCB_DIRECT != 0
    }

    /// Whether the call must not block (IOCB_NOWAIT).
    pub(crate) fn is_nowait(&self) -> bool {
        self.flags() & bindings::IOCB_NOWAIT != 0
    }

    /// Whether the call appends (IOCB_APPEND: O_APPEND or RWF_APPEND).
    pub(crate) fn is_append(&self) -> bool {
        self.flags() & bindings::IOCB_APPEND != 0
    }

    /// Whether the write must be synced (IOCB_DSYNC: O_SYNC, O_DSYNC,
    /// RWF_DSYNC...).
    pub(crate) fn is_dsync(&self) -> bool {
        self.flags() & bindings::IOCB_DSYNC != 0
    }

    /// The write checks (`generic_write_checks()`): O_APPEND moves the
    /// position to EOF; RLIMIT_FSIZE (SIGXFSZ) and s_maxbytes (EFBIG)
    /// shorten `from`.  Returns the byte count left to write.
    pub(crate) fn write_checks(
        &mut self,
        from: &mut IovIter<'_>,
        _locked: InodeLocked<'_>,
    ) -> Result<usize> {
        // SAFETY: Both are live; the inode's `i_rwsem` is held (`_locked`),
        // as the checks require.
        let ret = unsafe { bindings::generic_write_checks(self.raw, from.as_raw()) };
        // A count (up to MAX_RW_COUNT) or a negative errno.
        usize::try_from(ret).map_err(|_| Error::from_errno(ret as i32))
    }

    /// What every write does to the file before its data: clears S_ISUID
    /// (and S_ISGID when group-executable) unless the task has CAP_FSETID,
    /// drops security.capability, and updates the times.
    #[inline]
    pub(crate) fn file_modified(&mut self, _locked: InodeLocked<'_>) -> Result {
        // SAFETY: By the type invariants the file is open; its inode's
        // `i_rwsem` is held (`_locked`), as both calls require.  (Two
        // calls, as tmpfs makes them: cheaper than `file_modified()`.)
        unsafe {
            let file = self.raw.ki_filp;
            to_result(bindings::file_remove_privs(file))?;
            to_result(bindings::file_update_time(file))
        }
    }

    /// O_SYNC/O_DSYNC after a write of `written` bytes
    /// (`generic_write_sync()`, which ends in rramfs's fsync): the bytes
    /// written, or the sync's error.  Call without the inode lock.
    pub(crate) fn write_sync(&mut self, written: usize) -> Result<usize> {
        // SAFETY: The kiocb is live, its file open (type invariants).
        let r = unsafe { bindings::rramfs_generic_write_sync(self.raw, written as isize) };
        if r < 0 {
            Err(Error::from_errno(r as i32))
        } else {
            Ok(r as usize)
        }
    }

    /// The file position the call reads or writes at.
    pub(crate) fn pos(&self) -> i64 {
        self.raw.ki_pos
    }

    /// Moves the position (past what the call read or wrote).
    pub(crate) fn set_pos(&mut self, pos: i64) {
        self.raw.ki_pos = pos;
    }

    /// The page cache of the file.
    pub(crate) fn mapping(&self) -> &'a Mapping {
        // SAFETY: By the type invariants the file is an open rramfs file:
        // its mapping belongs to a live rramfs inode for `'a`.
        unsafe { Mapping::from_raw((*self.raw.ki_filp).f_mapping) }
    }

    /// Updates the file's access time (`file_accessed()`), after a read.
    pub(crate) fn file_accessed(&self) {
        // SAFETY: By the type invariants the file is open.
        unsafe { bindings::rramfs_file_accessed(self.raw.ki_filp) };
    }
}
