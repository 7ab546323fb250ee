// SPDX-License-Identifier: GPL-2.0

//! Guards for the inode-level locks rramfs takes, so that every lock is
//! released on every path, and [`InodeLocked`], the proof of `i_rwsem`
//! that size changes require.
//!
//! Lock order (see Documentation/filesystems/rramfs.rst):
//! `i_rwsem` → `mapping->invalidate_lock` → folio lock.  Page faults on an
//! rramfs mapping take the invalidate lock (shared) and folio locks, never
//! `i_rwsem`: so user memory may be faulted in or pinned under `i_rwsem`,
//! but never under the other two.  Taking a lock out of this order, or one
//! the caller already holds, deadlocks (and lockdep reports it); it is not
//! memory-unsafe, so the guards' constructors are safe.

use super::{Inode, LockedFolio, Mapping};
use crate::bindings;

/// An inode's `i_rwsem`, held for writing ([`Inode::lock`]).
///
/// # Invariants
///
/// The guard holds the inode's `i_rwsem` for writing.
pub(crate) struct InodeLock<'a>(&'a Inode);

impl<'a> InodeLock<'a> {
    /// Takes `inode`'s `i_rwsem` for writing.
    pub(super) fn new(inode: &'a Inode) -> Self {
        // SAFETY: By `Inode`'s invariants the inode, and so its lock, is
        // live for `'a`.
        unsafe { bindings::down_write(&raw mut (*inode.as_raw()).i_rwsem) };
        // INVARIANT: Locked above.
        InodeLock(inode)
    }

    /// The proof that this guard holds the lock, for functions that
    /// require it.
    pub(crate) fn locked(&self) -> InodeLocked<'_> {
        // INVARIANT: The guard holds the lock for as long as it is borrowed.
        InodeLocked { inode: self.0 }
    }
}

impl Drop for InodeLock<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the lock is held by us.
        unsafe { bindings::up_write(&raw mut (*self.0.as_raw()).i_rwsem) };
    }
}

/// Proof that an inode's `i_rwsem` is held for writing for `'a`: what
/// functions that change the file size take instead of a comment.
///
/// # Invariants
///
/// The inode's `i_rwsem` is held for writing, by the task that has this
/// value, for all of `'a`.
#[derive(Clone, Copy)]
pub(crate) struct InodeLocked<'a> {
    inode: &'a Inode,
}

impl<'a> InodeLocked<'a> {
    /// For a callback the VFS calls with `i_rwsem` held (`write_end`,
    /// `setattr`).
    ///
    /// # Safety
    ///
    /// The caller holds `inode`'s `i_rwsem` for writing for `'a`.
    pub(crate) unsafe fn assume(inode: &'a Inode) -> Self {
        // INVARIANT: By the safety requirements.
        InodeLocked { inode }
    }

    /// The locked inode.
    pub(crate) fn inode(self) -> &'a Inode {
        self.inode
    }

    /// Sets the file size (`i_size_write()`, which needs `i_rwsem`).
    pub(crate) fn set_size(self, size: i64) {
        // SAFETY: By `Inode`'s invariants the inode is live; by ours the
        // size is ours to change.
        unsafe { bindings::rramfs_i_size_write(self.inode.as_raw(), size) };
    }

    /// Adds a link (`inc_nlink()`): a new subdirectory's "..".
    pub(crate) fn inc_nlink(self) {
        // SAFETY: By `Inode`'s invariants the inode is live; by ours its
        // link count is ours to change.
        unsafe { bindings::inc_nlink(self.inode.as_raw()) };
    }

    /// Sets the inode's `S_*` flags in `mask` to those of `flags`
    /// (`inode_set_flags()`): `S_IMMUTABLE`, `S_APPEND`, `S_NOATIME`, which
    /// the VFS enforces.
    pub(crate) fn set_flags(self, flags: u32, mask: u32) {
        // SAFETY: By `Inode`'s invariants the inode is live; the function
        // updates `i_flags` atomically, and by ours the caller may change it.
        unsafe { bindings::inode_set_flags(self.inode.as_raw(), flags, mask) };
    }

    /// Sets ctime to now: an attribute change.
    pub(crate) fn touch_ctime(self) {
        // SAFETY: By `Inode`'s invariants the inode is live; by ours its
        // times are ours to change.
        unsafe { bindings::inode_set_ctime_current(self.inode.as_raw()) };
    }

    /// Sets mtime and ctime to now: a change to a directory's entries, or
    /// a size change through truncate(2).
    pub(crate) fn touch(self) {
        let inode = self.inode.as_raw();
        // SAFETY: By `Inode`'s invariants the inode is live; by ours its
        // times are ours to change.
        unsafe {
            let ts = bindings::inode_set_ctime_current(inode);
            (*inode).i_mtime_sec = ts.tv_sec;
            (*inode).i_mtime_nsec = ts.tv_nsec as u32;
        }
    }

    /// Drops the page cache of bytes `[start, last]` (whole folios go,
    /// partial ones are zeroed, mappings of the range are zapped):
    /// `truncate_pagecache_range()`.  The caller uncharges what went
    /// (`SbInfo::recalc`).
    pub(crate) fn drop_pagecache_range(self, start: i64, last: i64) {
        // SAFETY: By `Inode`'s invariants the inode is live; by ours its
        // `i_rwsem` is held, as the function requires.
        unsafe { bindings::truncate_pagecache_range(self.inode.as_raw(), start, last) };
    }

    /// Drops the page cache from `size` on (`truncate_pagecache()`).  For
    /// a size-down truncation, call it while `i_size` is still the old size
    /// ([`Self::shrink`] does): splitting a large folio, which truncation
    /// does to the one the new end falls in, "cleans" the dirty tails it
    /// finds past `i_size` with `folio_account_cleaned()` (mm/huge_memory.c,
    /// 6.12 and 7.3) even on a mapping that never counted them dirty, as
    /// rramfs's (no writeback): the global and the memory cgroup's
    /// `NR_FILE_DIRTY` would drop below zero by those pages each time,
    /// hiding other filesystems' dirty pages from the dirty limits.  With
    /// `i_size` still old the tails stay in the cache, and truncation then
    /// removes them the uncounted way.
    pub(crate) fn drop_pagecache_from(self, size: i64) {
        // SAFETY: As for `drop_pagecache_range`.
        unsafe { bindings::truncate_pagecache(self.inode.as_raw(), size) };
    }

    /// Shrinks the file to `size` (smaller than now): drops the page cache
    /// from there on, sets the size, and drops again, which unmaps what a
    /// fault mapped past the new end meanwhile.  The caller holds the
    /// invalidate lock, so that no fault adds a folio, and uncharges what
    /// went (`SbInfo::recalc`).
    ///
    /// The size goes down under the lock of the folio holding the new end,
    /// if one is cached: if truncation could not split it (someone held a
    /// reference), it reaches past the new end, and a split by someone else
    /// (compaction) that `release_folio` allowed under the old size must
    /// not read the new one (see `folio::Aops::release_folio`).
    pub(crate) fn shrink(self, size: i64) {
        self.drop_pagecache_from(size);
        let eof =
            LockedFolio::lock_cached(self.inode.mapping(), size as u64 >> bindings::PAGE_SHIFT);
        self.set_size(size);
        drop(eof);
        self.drop_pagecache_from(size);
    }
}

/// An inode's `i_rwsem`, held for reading ([`Inode::read_lock`]): size
/// changes wait meanwhile.
///
/// # Invariants
///
/// The guard holds the inode's `i_rwsem` for reading.
pub(crate) struct InodeReadLock<'a>(&'a Inode);

impl<'a> InodeReadLock<'a> {
    /// Takes `inode`'s `i_rwsem` for reading.
    pub(super) fn new(inode: &'a Inode) -> Self {
        // SAFETY: By `Inode`'s invariants the lock is live for `'a`.
        unsafe { bindings::down_read(&raw mut (*inode.as_raw()).i_rwsem) };
        // INVARIANT: Locked above.
        InodeReadLock(inode)
    }
}

impl Drop for InodeReadLock<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the lock is held by us.
        unsafe { bindings::up_read(&raw mut (*self.0.as_raw()).i_rwsem) };
    }
}

/// `mapping->invalidate_lock` held for writing ([`Mapping::invalidate_lock`]):
/// page faults cannot add folios to the mapping meanwhile (they take it
/// shared to do so).
///
/// Never held while user memory is touched: a fault on an rramfs mapping
/// can wait for it.  Truncation, hole punching and zeroing take it.
///
/// # Invariants
///
/// The guard holds the mapping's invalidate lock for writing.
pub(crate) struct InvalidateLock<'a>(&'a Mapping);

impl<'a> InvalidateLock<'a> {
    /// Takes the lock (under the inode's `i_rwsem` or no lock: the order
    /// above).
    pub(super) fn new(mapping: &'a Mapping) -> Self {
        // SAFETY: By `Mapping`'s invariants the mapping is live for `'a`.
        unsafe { bindings::down_write(&raw mut (*mapping.as_raw()).invalidate_lock) };
        // INVARIANT: Locked above.
        InvalidateLock(mapping)
    }
}

impl Drop for InvalidateLock<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the lock is held by us.
        unsafe { bindings::up_write(&raw mut (*self.0.as_raw()).invalidate_lock) };
    }
}
