// SPDX-License-Identifier: GPL-2.0

//! Typed access to the kernel objects the I/O paths use, after the style
//! of the kernel's `rust/kernel/`: one small type per C object, with its
//! invariants, so that the paths above it are safe Rust.
//!
//! The operation tables the kernel calls are built here from traits
//! ([`InodeOperations`], [`FileOperations`], [`AddressSpaceOperations`],
//! [`SuperOperations`], [`XattrOperations`]), after the kernel's
//! `#[vtable]` pattern: the `extern "C"` trampolines that turn raw
//! arguments into these types exist once, here.  Kernel-version
//! differences are here too ([`kver`]) and in the C shim.
//!
//! The filesystem type itself is a trait too ([`FileSystem`]), whose entry
//! points the C shim is given at registration.
//!
//! The filesystem's state of a superblock and of an inode are typed
//! (`SuperBlock::info`, `Inode::data`) through that trait.
//!
//! - [`IovIter`]: the caller's buffer of a read or write.
//! - [`Kiocb`]: the position and file of a read or write; [`File`], an
//!   open file.
//! - [`PosixAcl`]: a POSIX ACL, and [`SetAcl`], a change to an inode's.
//! - [`Inode`]: an rramfs inode, and [`InodeLock`], [`InodeReadLock`],
//!   [`InodeLocked`] for its `i_rwsem`; [`NewInode`], one being created,
//!   and [`Dentry`], the name it gets (`DentryRef`: one we hold).
//! - [`Mapping`]: the page cache of an rramfs inode, and [`InvalidateLock`].
//! - [`SuperBlock`]: a mounted rramfs superblock; [`SeqFile`], what its
//!   `show` callbacks print to.
//! - [`FolioRef`]: a referenced page-cache folio; [`LockedFolio`], a
//!   locked one.
//! - [`PageBatch`]: the caller's pages of an O_DIRECT call, pinned or not.
//! - [`fatal_signal_pending`], [`cond_resched`]: the current task.

mod acl;
mod aops;
pub(crate) mod cred;
mod export;
mod file;
mod file_ops;
mod folio_geo;
mod folio_ref;
mod fs_type;
mod inode;
mod inode_data;
mod inode_ops;
mod iov_iter;
mod kiocb;
pub(crate) mod kver;
mod locked_folio;
mod locks;
mod mapping;
mod page_batch;
mod seq_file;
mod super_block;
mod super_ops;
mod task;
mod xattr_ops;

pub(crate) use acl::{AclType, PosixAcl, SetAcl};
pub(crate) use aops::{AddressSpaceOperations, AddressSpaceOps};
pub(crate) use cred::Idmap;
pub(crate) use file::File;
pub(crate) use file_ops::{FileOperations, FileOps, SpliceFrom};
use folio_geo::FolioGeo;
pub(crate) use folio_ref::{clamp_page_copy, FolioRef};
pub(crate) use fs_type::{
    register, unregister, FileSystem, FsContext, FsOps, InodeTables, NewSuperBlock, Param,
    Registered,
};
pub(crate) use inode::{Dentry, Inode, NewInode};
pub(crate) use inode_ops::{
    AttrOperations, InodeKind, InodeOperations, InodeOps, Kstat, NewEntry, Rename, SetAttr, TmpFile,
};
pub(crate) use iov_iter::IovIter;
pub(crate) use kiocb::Kiocb;
pub(crate) use locked_folio::LockedFolio;
pub(crate) use locks::{InodeLock, InodeLocked, InodeReadLock, InvalidateLock};
pub(crate) use mapping::Mapping;
pub(crate) use page_batch::{BatchPage, PageBatch, BATCH_PAGES};
pub(crate) use seq_file::SeqFile;
pub(crate) use super_block::SuperBlock;
pub(crate) use super_ops::{Evicting, Kstatfs, SuperOperations, SuperOps};
pub(crate) use task::{cond_resched, fatal_signal_pending, totalram_pages};
pub(crate) use xattr_ops::{
    is_mac_label, list_security, may_list_trusted, security_init, Labelling, XattrHandler,
    XattrHandlers, XattrOperations,
};

use kernel::{ffi::c_int, prelude::*};

/// A callback's C return value for `r`: 0 or a negative errno.
#[inline]
fn errno(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// A callback's C return value for a byte count or an error.
#[inline]
fn count_or_errno(r: Result<usize>) -> isize {
    match r {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `kernel::error::to_result()`, inline; rramfs uses this one throughout.
/// The kernel crate's is an out-of-line call, which the write path would
/// make on every call.
#[inline]
pub(crate) fn to_result(err: c_int) -> Result {
    if err < 0 {
        Err(Error::from_errno(err))
    } else {
        Ok(())
    }
}
