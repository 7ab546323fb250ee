// SPDX-License-Identifier: GPL-2.0

//! File attributes (`chattr`/`lsattr`: `FS_IOC_GETFLAGS`/`FS_IOC_SETFLAGS`,
//! `file_getattr`) of regular files and directories, as tmpfs has them:
//! append-only and immutable, which the VFS enforces through
//! `S_APPEND`/`S_IMMUTABLE` (open, truncate, fallocate, unlink, rename,
//! link, setattr), no-atime, and no-dump (only kept, for backup tools).
//! A new inode inherits no-dump and no-atime from its directory.  The
//! flags are kept with the inode's xattrs ([`crate::xattr`]).

use kernel::prelude::*;

use crate::{
    bindings,
    vfs::{kver, Inode, InodeLocked, NewInode},
    xattr,
};

/// The flags rramfs keeps; any other gets EOPNOTSUPP.
const SUPPORTED: u32 = bindings::FS_IMMUTABLE_FL
    | bindings::FS_APPEND_FL
    | bindings::FS_NODUMP_FL
    | bindings::FS_NOATIME_FL;

/// The flags a new inode takes from its directory.
const INHERITED: u32 = bindings::FS_NODUMP_FL | bindings::FS_NOATIME_FL;

/// The `S_*` inode flags the attributes set.
const I_FLAGS: u32 = bindings::S_NOATIME | bindings::S_APPEND | bindings::S_IMMUTABLE;

/// The `S_*` inode flags of the attributes `fsflags`.
fn i_flags(fsflags: u32) -> u32 {
    let mut f = 0;
    if fsflags & bindings::FS_NOATIME_FL != 0 {
        f |= bindings::S_NOATIME;
    }
    if fsflags & bindings::FS_APPEND_FL != 0 {
        f |= bindings::S_APPEND;
    }
    if fsflags & bindings::FS_IMMUTABLE_FL != 0 {
        f |= bindings::S_IMMUTABLE;
    }
    f
}

/// `inode`'s attributes.
pub(crate) fn get(inode: &Inode) -> u32 {
    xattr::fsflags(inode) & SUPPORTED
}

/// Sets a locked inode's attributes to `flags` (the VFS has checked the
/// caller may: CAP_LINUX_IMMUTABLE to change append-only or immutable).
pub(crate) fn set(locked: InodeLocked<'_>, flags: u32) -> Result {
    if flags & !SUPPORTED != 0 {
        return Err(kver::code::EOPNOTSUPP());
    }
    xattr::set_fsflags(locked, flags)?;
    locked.set_flags(i_flags(flags), I_FLAGS);
    locked.touch_ctime();
    Ok(())
}

/// Gives a new inode the attributes it inherits from its directory.
pub(crate) fn inherit(inode: &NewInode, dir: &Inode) -> Result {
    let flags = get(dir) & INHERITED;
    if flags != 0 {
        xattr::set_new_fsflags(inode, flags)?;
        inode.set_flags(i_flags(flags), I_FLAGS);
    }
    Ok(())
}
