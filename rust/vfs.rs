// SPDX-License-Identifier: GPL-2.0

//! Typed access to the kernel objects the I/O paths use, after the style
//! of the kernel's `rust/kernel/`: one small type per C object, with its
//! invariants, so that the paths above it are safe Rust.
//!
//! Being built up (issue 11): the read and write paths (buffered and
//! O_DIRECT), fallocate, xattrs and the directory operations use it; the
//! superblock, inode initialisation and rename still hold raw pointers.
//!
//! - [`IovIter`]: the caller's buffer of a read or write.
//! - [`Kiocb`]: the position and file of a read or write.
//! - [`Inode`]: an rramfs inode, and [`InodeLock`], [`InodeReadLock`],
//!   [`InodeLocked`] for its `i_rwsem`; [`NewInode`], one being created,
//!   and [`Dentry`], the name it gets.
//! - [`Mapping`]: the page cache of an rramfs inode, and [`InvalidateLock`].
//! - [`SuperBlock`]: a mounted rramfs superblock.
//! - [`FolioRef`]: a referenced page-cache folio.
//! - [`PageBatch`]: the caller's pages of an O_DIRECT call, pinned or not.
//! - [`fatal_signal_pending`], [`cond_resched`]: the current task.

mod folio_ref;
mod inode;
mod iov_iter;
mod kiocb;
mod locks;
mod mapping;
mod page_batch;
mod super_block;
mod task;

pub(crate) use folio_ref::{clamp_page_copy, FolioRef};
pub(crate) use inode::{Dentry, Inode, NewInode};
pub(crate) use iov_iter::IovIter;
pub(crate) use kiocb::Kiocb;
pub(crate) use locks::{InodeLock, InodeLocked, InodeReadLock, InvalidateLock};
pub(crate) use mapping::Mapping;
pub(crate) use page_batch::{BatchPage, PageBatch, BATCH_PAGES};
pub(crate) use super_block::SuperBlock;
pub(crate) use task::{cond_resched, fatal_signal_pending};

use kernel::{ffi::c_int, prelude::*};

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
