// SPDX-License-Identifier: GPL-2.0

//! `struct super_operations`, built from a trait (see [`super::inode_ops`]
//! for the pattern).  `drop_inode`, renamed in 6.18, is chosen here.

use core::marker::PhantomData;

use kernel::ffi::c_int;

use super::{kver, Inode, SeqFile, SuperBlock};
use crate::bindings;

/// The superblock operations of an in-memory filesystem: unused inodes are
/// dropped at once (there is no inode cache to keep them for).
pub(crate) trait SuperOperations {
    /// `statfs`, after `simple_statfs()` filled `buf`.
    fn statfs(sb: &SuperBlock, buf: &mut Kstatfs);

    /// `show_options`: the mount options that differ from the defaults.
    fn show_options(sb: &SuperBlock, m: &SeqFile);

    /// `evict_inode`, between dropping the inode's page cache
    /// (`truncate_inode_pages_final()`) and `clear_inode()`.
    fn evict_inode(inode: Evicting<'_>);
}

/// A `super_operations` table, made by [`SuperOps::new`].
#[repr(transparent)]
pub(crate) struct SuperOps(pub(super) bindings::super_operations);

impl SuperOps {
    /// The table of `T`'s operations.
    pub(crate) const fn new<T: SuperOperations>() -> Self {
        SuperOps(bindings::super_operations {
            // Inodes from rramfs's own cache (`struct rramfs_inode`).
            alloc_inode: Some(bindings::rramfs_alloc_inode),
            free_inode: Some(bindings::rramfs_free_inode),
            statfs: Some(Vtable::<T>::statfs),
            show_options: Some(Vtable::<T>::show_options),
            drop_inode: Some(kver::DROP_INODE),
            evict_inode: Some(Vtable::<T>::evict_inode),
            // SAFETY: All-zero is a valid `super_operations` (no callbacks).
            ..unsafe { core::mem::zeroed() }
        })
    }

    /// The table, for `s_op`.
    pub(crate) fn as_raw(&'static self) -> *const bindings::super_operations {
        &self.0
    }
}

/// An inode being evicted: nobody else can reach it any more.
///
/// # Invariants
///
/// The inode is in `evict_inode`, for all of `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Evicting<'a>(&'a Inode);

impl<'a> Evicting<'a> {
    /// The inode.
    pub(crate) fn inode(self) -> &'a Inode {
        self.0
    }
}

/// The `struct kstatfs` a `statfs` fills in.
#[repr(transparent)]
pub(crate) struct Kstatfs(bindings::kstatfs);

impl Kstatfs {
    /// Sets the block and inode counts `df` shows (blocks of the
    /// superblock's block size).
    pub(crate) fn set_counts(&mut self, blocks: u64, bfree: u64, files: u64, ffree: u64) {
        self.0.f_blocks = blocks;
        self.0.f_bfree = bfree;
        self.0.f_bavail = bfree;
        self.0.f_files = files;
        self.0.f_ffree = ffree;
    }
}

/// The trampolines of `T`'s operations, called only by the VFS through a
/// table made by [`SuperOps::new`], for mounted rramfs superblocks.
struct Vtable<T>(PhantomData<T>);

impl<T: SuperOperations> Vtable<T> {
    /// `statfs`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn statfs(
        dentry: *mut bindings::dentry,
        buf: *mut bindings::kstatfs,
    ) -> c_int {
        // SAFETY: The VFS passes a dentry of a mounted rramfs superblock
        // and a buffer to fill, both valid for the call.
        let err = unsafe { bindings::simple_statfs(dentry, buf) };
        if err == 0 {
            // SAFETY: As above; the superblock stays mounted for the call.
            let (sb, buf) = unsafe {
                (
                    SuperBlock::from_raw((*dentry).d_sb),
                    &mut *buf.cast::<Kstatfs>(),
                )
            };
            T::statfs(sb, buf);
        }
        err
    }

    /// `show_options`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn show_options(
        m: *mut bindings::seq_file,
        root: *mut bindings::dentry,
    ) -> c_int {
        // SAFETY: The VFS passes the root of a mounted rramfs superblock,
        // mounted for the call, and the seq_file being shown.
        let (sb, m) = unsafe { (SuperBlock::from_raw((*root).d_sb), SeqFile::from_raw(m)) };
        T::show_options(sb, m);
        0
    }

    /// `evict_inode`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn evict_inode(inode: *mut bindings::inode) {
        // SAFETY: The inode is being evicted: nobody else uses it; its
        // superblock outlives it.
        let evicting = unsafe {
            bindings::truncate_inode_pages_final(&raw mut (*inode).i_data);
            // INVARIANT: In `evict_inode`, until `clear_inode()` below.
            Evicting(Inode::from_raw(inode))
        };
        T::evict_inode(evicting);
        // SAFETY: As above; the filesystem is done with the inode.
        unsafe { bindings::clear_inode(inode) };
    }
}
