// SPDX-License-Identifier: GPL-2.0

//! `struct inode`: an rramfs inode, and the locks and size changes the
//! I/O paths make on it.

use core::ptr::NonNull;
use core::sync::atomic::AtomicPtr;

use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::types::Opaque;

use super::{to_result, InodeLock, InodeLocked, InodeReadLock, Mapping, SuperBlock};
use crate::bindings;

/// A live rramfs inode, used as `&'a Inode`: the C object itself behind
/// [`Opaque`], as the kernel's `rust/kernel/fs/file.rs` wraps files.
///
/// # Invariants
///
/// A `&'a Inode` refers to an inode of a mounted rramfs superblock that
/// stays live for `'a`; its mapping is its own `i_data`.
#[repr(transparent)]
pub(crate) struct Inode(Opaque<bindings::inode>);

impl Inode {
    /// Wraps an inode.
    ///
    /// # Safety
    ///
    /// `ptr` is an inode of a mounted rramfs superblock that stays live for
    /// `'a` (for example: the inode of a file open for the whole call).
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Inode {
        // INVARIANT: By the safety requirements.
        // SAFETY: `Inode` is a transparent wrapper of the C inode, which is
        // live for `'a`.
        unsafe { &*ptr.cast::<Inode>() }
    }

    /// The raw inode, for the calls this type does not cover yet.
    pub(crate) fn as_raw(&self) -> *mut bindings::inode {
        self.0.get()
    }

    /// The superblock the inode belongs to (mounted, by the invariants).
    pub(crate) fn super_block(&self) -> &SuperBlock {
        // SAFETY: By the type invariants the inode is live while `self` is
        // borrowed, and its superblock is mounted for at least as long.
        unsafe { SuperBlock::from_raw((*self.as_raw()).i_sb) }
    }

    /// The inode's page cache.
    pub(crate) fn mapping(&self) -> &Mapping {
        // SAFETY: By the type invariants the inode is live while `self` is
        // borrowed, and so is its `i_data`, which is its mapping.
        unsafe { Mapping::from_raw((*self.as_raw()).i_mapping) }
    }

    /// The file size (`i_size_read()`: consistent without the inode lock).
    #[inline]
    pub(crate) fn size(&self) -> i64 {
        #[cfg(target_pointer_width = "64")]
        {
            // As `i_size_read()` on 64-bit, without a call: an acquire load
            // that pairs with `i_size_write()`'s release store.
            // SAFETY: By the type invariants the inode, and so the field,
            // is live while `self` is borrowed; it is aligned, and every
            // access to it is atomic (READ_ONCE/smp_store_release in C).
            unsafe { core::sync::atomic::AtomicI64::from_ptr(&raw mut (*self.as_raw()).i_size) }
                .load(core::sync::atomic::Ordering::Acquire)
        }
        #[cfg(not(target_pointer_width = "64"))]
        // SAFETY: By the type invariants the inode is live.
        unsafe {
            bindings::rramfs_i_size_read(self.as_raw())
        }
    }

    /// Whether the file may grow to `size` (`inode_newsize_ok()`): EFBIG
    /// past s_maxbytes, and past RLIMIT_FSIZE with SIGXFSZ, as every
    /// write path must check.
    pub(crate) fn newsize_ok(&self, size: i64) -> Result {
        // SAFETY: By the type invariants the inode is live.
        to_result(unsafe { bindings::inode_newsize_ok(self.as_raw(), size) })
    }

    /// The inode's private pointer (`i_private`), as an atomic: the
    /// filesystem's own per-inode data (rramfs keeps its xattrs there).
    /// Nothing else writes it once the inode is set up.
    pub(crate) fn private(&self) -> &AtomicPtr<c_void> {
        // SAFETY: By the type invariants the inode, and so the field, is
        // live while `self` is borrowed; it is pointer-sized and aligned,
        // and rramfs only reaches it through this atomic view.
        unsafe { AtomicPtr::from_ptr(&raw mut (*self.as_raw()).i_private) }
    }

    /// Takes `i_rwsem` for writing: writers, truncation and other size
    /// changes wait.  No rramfs page fault takes it (see [`InodeLock`]).
    pub(crate) fn lock(&self) -> InodeLock<'_> {
        InodeLock::new(self)
    }

    /// Takes `i_rwsem` for reading: size changes wait.
    pub(crate) fn read_lock(&self) -> InodeReadLock<'_> {
        InodeReadLock::new(self)
    }
}

/// A new rramfs inode and its only reference, not yet reachable through the
/// dcache.  Dropped unused, it is released (`iput()`, which evicts it and
/// returns what it was charged); [`Dentry::make_persistent`] and
/// [`NewInode::into_raw`] hand the reference on.
///
/// # Invariants
///
/// `ptr` is a new inode of a mounted rramfs superblock, and this value owns
/// its only reference.
pub(crate) struct NewInode(NonNull<bindings::inode>);

impl NewInode {
    /// Takes ownership of a new inode.
    ///
    /// # Safety
    ///
    /// `ptr` is a new inode of a mounted rramfs superblock whose only
    /// reference the caller hands over.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::inode) -> Self {
        // INVARIANT: By the safety requirements.
        // SAFETY: A new inode is not null.
        NewInode(unsafe { NonNull::new_unchecked(ptr) })
    }

    /// The inode, for as long as this reference is held.
    pub(crate) fn inode(&self) -> &Inode {
        // SAFETY: By the type invariants the reference keeps the inode live
        // while `self` is borrowed.
        unsafe { Inode::from_raw(self.0.as_ptr()) }
    }

    /// Gives the reference to the caller (for `d_make_root()`,
    /// `d_tmpfile()`, which consume it).
    pub(crate) fn into_raw(self) -> *mut bindings::inode {
        let ptr = self.0.as_ptr();
        core::mem::forget(self);
        ptr
    }
}

impl Drop for NewInode {
    fn drop(&mut self) {
        // SAFETY: By the type invariants we own the only reference.
        unsafe { bindings::iput(self.0.as_ptr()) };
    }
}

/// A dentry the VFS handed to a directory operation, used as `&'a Dentry`.
///
/// # Invariants
///
/// A `&'a Dentry` refers to a dentry of an rramfs superblock that stays
/// valid for `'a`.
#[repr(transparent)]
pub(crate) struct Dentry(Opaque<bindings::dentry>);

impl Dentry {
    /// Wraps a dentry.
    ///
    /// # Safety
    ///
    /// `ptr` is a dentry of an rramfs superblock, valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::dentry) -> &'a Dentry {
        // INVARIANT: By the safety requirements.
        // SAFETY: `Dentry` is a transparent wrapper of the C dentry, which
        // is valid for `'a`.
        unsafe { &*ptr.cast::<Dentry>() }
    }

    /// The raw dentry, for the calls this type does not cover yet.
    pub(crate) fn as_raw(&self) -> *mut bindings::dentry {
        self.0.get()
    }

    /// Makes this negative dentry `inode`, and pins it (the name lives only
    /// in the dcache, as in ramfs) until unlink or rmdir drops the pin.
    /// The caller holds the parent directory's lock (`parent`).
    pub(crate) fn make_persistent(&self, _parent: InodeLocked<'_>, inode: NewInode) {
        // SAFETY: By the type invariants the dentry is valid; it is
        // negative and its parent is locked, as the VFS guarantees in a
        // directory operation; the inode's reference goes to the dentry.
        unsafe { bindings::rramfs_d_make_persistent(self.as_raw(), inode.into_raw()) };
    }
}
