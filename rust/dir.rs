// SPDX-License-Identifier: GPL-2.0

//! Directories: the namespace lives in the dcache, as in ramfs.  Every
//! positive dentry is pinned (persistent) until unlink/rmdir.

use core::ffi::CStr;

use kernel::prelude::*;

use crate::{
    bindings, inode,
    vfs::{
        kver, security_init, Idmap, Inode, InodeOperations, NewEntry, NewInode, Rename, TmpFile,
    },
    xattr::Xattrs,
};

/// Makes a new inode of `mode` at `new`, owned by the caller as its
/// mount's idmap maps it, filled by `fill` before it gets its name, and
/// updates the directory's timestamps.
fn make_at(
    new: NewEntry<'_>,
    mode: u16,
    dev: u32,
    fill: impl FnOnce(&NewInode) -> Result,
) -> Result {
    let dir = new.dir();
    let inode = inode::new_in(new.idmap(), dir.inode(), mode, dev)?;
    security_init::<Xattrs>(&inode, dir.inode(), new.dentry())?;
    fill(&inode)?;
    new.dentry().make_persistent(dir, inode);
    dir.touch();
    Ok(())
}

/// Makes a new empty inode of `mode` at `new` (see [`make_at`]).
fn mknod_common(new: NewEntry<'_>, mode: u16, dev: u32) -> Result {
    make_at(new, mode, dev, |_| Ok(()))
}

/// The operations of rramfs directories.
pub(crate) struct Dir;

#[vtable]
impl InodeOperations for Dir {
    fn create(new: NewEntry<'_>, mode: u16) -> Result {
        mknod_common(new, mode | bindings::S_IFREG as u16, 0)
    }

    fn mkdir(new: NewEntry<'_>, mode: u16) -> Result {
        mknod_common(new, mode | bindings::S_IFDIR as u16, 0)?;
        // The new directory's ".." links to `dir`.
        new.dir().inc_nlink();
        Ok(())
    }

    fn mknod(new: NewEntry<'_>, mode: u16, dev: u32) -> Result {
        mknod_common(new, mode, dev)
    }

    /// The target goes into the page cache.
    fn symlink(new: NewEntry<'_>, target: &CStr) -> Result {
        make_at(new, bindings::S_IFLNK as u16 | 0o777, 0, |inode| {
            inode.page_symlink(target)
        })
    }

    fn tmpfile(idmap: Idmap<'_>, dir: &Inode, file: TmpFile<'_>, mode: u16) -> Result {
        let inode: NewInode = inode::new_in(idmap, dir, mode, 0)?;
        security_init::<Xattrs>(&inode, dir, file.dentry())?;
        file.instantiate(inode);
        Ok(())
    }

    /// `simple_rename()` plus RENAME_WHITEOUT, which leaves a whiteout (a
    /// 0:0 character device) at the old name, as overlayfs needs of an
    /// upper layer.
    fn rename(r: Rename<'_>) -> Result {
        let known =
            bindings::RENAME_NOREPLACE | bindings::RENAME_EXCHANGE | bindings::RENAME_WHITEOUT;
        if r.flags & !known != 0 {
            return Err(EINVAL);
        }
        if r.flags & bindings::RENAME_WHITEOUT != 0 {
            if !r.new_dentry.is_empty() {
                return Err(kver::code::ENOTEMPTY());
            }
            let mode = bindings::S_IFCHR as u16 | bindings::WHITEOUT_MODE as u16;
            r.at_whiteout(|new| mknod_common(new, mode, bindings::WHITEOUT_DEV))?;
        }
        let flags = r.flags & !bindings::RENAME_WHITEOUT;
        r.simple(flags)
    }
}
