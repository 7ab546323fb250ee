// SPDX-License-Identifier: GPL-2.0

//! Directories: the namespace lives in the dcache, as in ramfs.  Every
//! positive dentry is pinned (persistent) until unlink/rmdir.

use core::ffi::CStr;

use kernel::prelude::*;

use crate::{
    bindings, inode,
    vfs::{
        kver, security_init, Dentry, Idmap, Inode, InodeLocked, InodeOperations, NewInode, Rename,
        TmpFile,
    },
    xattr::Xattrs,
};

/// Makes `dentry` a new inode of `mode` in `dir`, owned by the caller as
/// seen through `idmap`, and updates `dir`'s timestamps.  `dentry` is
/// negative (a directory operation's new name).
fn mknod_common(
    idmap: Idmap<'_>,
    dir: InodeLocked<'_>,
    dentry: &Dentry,
    mode: u16,
    dev: u32,
) -> Result {
    let inode = inode::new_in(idmap, dir.inode(), mode, dev)?;
    security_init::<Xattrs>(&inode, dir.inode(), dentry)?;
    dentry.make_persistent(dir, inode);
    dir.touch();
    Ok(())
}

/// The operations of rramfs directories.
pub(crate) struct Dir;

#[vtable]
impl InodeOperations for Dir {
    fn create(idmap: Idmap<'_>, dir: InodeLocked<'_>, dentry: &Dentry, mode: u16) -> Result {
        mknod_common(idmap, dir, dentry, mode | bindings::S_IFREG as u16, 0)
    }

    fn mkdir(idmap: Idmap<'_>, dir: InodeLocked<'_>, dentry: &Dentry, mode: u16) -> Result {
        mknod_common(idmap, dir, dentry, mode | bindings::S_IFDIR as u16, 0)?;
        // The new directory's ".." links to `dir`.
        dir.inc_nlink();
        Ok(())
    }

    fn mknod(
        idmap: Idmap<'_>,
        dir: InodeLocked<'_>,
        dentry: &Dentry,
        mode: u16,
        dev: u32,
    ) -> Result {
        mknod_common(idmap, dir, dentry, mode, dev)
    }

    /// The target goes into the page cache.
    fn symlink(idmap: Idmap<'_>, dir: InodeLocked<'_>, dentry: &Dentry, target: &CStr) -> Result {
        let inode = inode::new_in(idmap, dir.inode(), bindings::S_IFLNK as u16 | 0o777, 0)?;
        security_init::<Xattrs>(&inode, dir.inode(), dentry)?;
        inode.page_symlink(target)?;
        dentry.make_persistent(dir, inode);
        dir.touch();
        Ok(())
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
            // A negative sibling with the same name, which the VFS' rename
            // then leaves in place of the moved one.
            let whiteout = r.old_dentry.alloc_sibling()?;
            let mode = bindings::S_IFCHR as u16 | bindings::WHITEOUT_MODE as u16;
            // Our reference drops with `whiteout`; the persistent one stays.
            mknod_common(r.idmap, r.old_dir, &whiteout, mode, bindings::WHITEOUT_DEV)?;
        }
        let flags = r.flags & !bindings::RENAME_WHITEOUT;
        r.simple(flags)
    }
}
