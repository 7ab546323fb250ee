// SPDX-License-Identifier: GPL-2.0

//! Guards for the inode-level locks rramfs takes, so that every lock is
//! released on every path.
//!
//! Lock order (see Documentation/filesystems/rramfs.rst):
//! `i_rwsem` → `mapping->invalidate_lock` → folio lock.  Page faults on an
//! rramfs mapping take the invalidate lock (shared) and folio locks, never
//! `i_rwsem`: so user memory may be faulted in or pinned under `i_rwsem`,
//! but never under the other two.

use core::marker::PhantomData;

use crate::bindings;

/// An inode's `i_rwsem`, held for writing.
///
/// # Invariants
///
/// `inode` is live while the guard exists, and the guard holds its
/// `i_rwsem` for writing.
pub(crate) struct InodeLock(*mut bindings::inode);

impl InodeLock {
    /// Takes `inode`'s `i_rwsem` for writing.
    ///
    /// # Safety
    ///
    /// `inode` is live for the guard's lifetime and the caller does not
    /// already hold its `i_rwsem`.
    pub(crate) unsafe fn new(inode: *mut bindings::inode) -> Self {
        // SAFETY: `inode` is live.
        unsafe { bindings::down_write(&raw mut (*inode).i_rwsem) };
        // INVARIANT: Locked above.
        InodeLock(inode)
    }
}

impl InodeLock {
    /// The proof that this guard holds the lock, for functions that
    /// require it.
    pub(crate) fn locked(&self) -> InodeLocked<'_> {
        // INVARIANT: The guard holds the lock for as long as it is borrowed.
        InodeLocked {
            inode: self.0,
            _p: PhantomData,
        }
    }
}

/// Proof that an inode's `i_rwsem` is held for writing for `'a`: what
/// functions that change the file size take instead of a comment.
///
/// # Invariants
///
/// `inode` is live and its `i_rwsem` is held for writing, by the task
/// that has this value, for all of `'a`.
#[derive(Clone, Copy)]
pub(crate) struct InodeLocked<'a> {
    inode: *mut bindings::inode,
    _p: PhantomData<&'a ()>,
}

impl InodeLocked<'_> {
    /// For a callback the VFS calls with `i_rwsem` held (`write_end`).
    ///
    /// # Safety
    ///
    /// `inode` is live and the caller holds its `i_rwsem` for writing for
    /// the value's lifetime.
    pub(crate) unsafe fn assume(inode: *mut bindings::inode) -> Self {
        // INVARIANT: By the safety requirements.
        InodeLocked {
            inode,
            _p: PhantomData,
        }
    }

    /// The locked inode.
    pub(crate) fn inode(self) -> *mut bindings::inode {
        self.inode
    }
}

impl Drop for InodeLock {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the lock is held by us.
        unsafe { bindings::up_write(&raw mut (*self.0).i_rwsem) };
    }
}

/// An inode's `i_rwsem`, held for reading: size changes wait meanwhile.
///
/// # Invariants
///
/// `inode` is live while the guard exists, and the guard holds its
/// `i_rwsem` for reading.
pub(crate) struct InodeReadLock(*mut bindings::inode);

impl InodeReadLock {
    /// Takes `inode`'s `i_rwsem` for reading.
    ///
    /// # Safety
    ///
    /// `inode` is live for the guard's lifetime and the caller does not
    /// already hold its `i_rwsem`.
    pub(crate) unsafe fn new(inode: *mut bindings::inode) -> Self {
        // SAFETY: `inode` is live.
        unsafe { bindings::down_read(&raw mut (*inode).i_rwsem) };
        // INVARIANT: Locked above.
        InodeReadLock(inode)
    }
}

impl Drop for InodeReadLock {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the lock is held by us.
        unsafe { bindings::up_read(&raw mut (*self.0).i_rwsem) };
    }
}

/// `mapping->invalidate_lock` held for writing: page faults cannot add
/// folios to the mapping meanwhile (they take it shared to do so).
///
/// Never held while user memory is touched: a fault on an rramfs mapping
/// can wait for it.  Truncation, hole punching and zeroing take it.
///
/// # Invariants
///
/// `mapping` is live while the guard exists, and the guard holds its
/// invalidate lock for writing.
pub(crate) struct InvalidateLock(*mut bindings::address_space);

impl InvalidateLock {
    /// Takes the lock.
    ///
    /// # Safety
    ///
    /// `mapping` is live for the guard's lifetime; the caller holds its
    /// inode's `i_rwsem` or no lock (the order above).
    pub(crate) unsafe fn new(mapping: *mut bindings::address_space) -> Self {
        // SAFETY: `mapping` is live.
        unsafe { bindings::down_write(&raw mut (*mapping).invalidate_lock) };
        // INVARIANT: Locked above.
        InvalidateLock(mapping)
    }
}

impl Drop for InvalidateLock {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the lock is held by us.
        unsafe { bindings::up_write(&raw mut (*self.0).invalidate_lock) };
    }
}
