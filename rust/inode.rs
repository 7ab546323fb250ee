// SPDX-License-Identifier: GPL-2.0

//! Inodes: allocation against `nr_inodes=`, per-type operations, eviction.

use kernel::prelude::*;

use crate::{
    bindings, dir, file, folio,
    super_block::SbInfo,
    vfs::{Evicting, Inode, InodeKind, InodeOperations, InodeOps, NewInode, SuperBlock},
};

const S_IFMT: u16 = bindings::S_IFMT as u16;
const S_IFREG: u16 = bindings::S_IFREG as u16;
const S_IFDIR: u16 = bindings::S_IFDIR as u16;
const S_IFLNK: u16 = bindings::S_IFLNK as u16;

/// Allocates an inode of `mode` (type and permissions) of `sb`, in `dir`
/// (`None`: the root); `dev` is only used for device nodes.
///
/// Returns the inode with one reference, owned by the caller; the inode is
/// counted against `nr_inodes=` until [`evict`].
pub(crate) fn new(sb: &SuperBlock, dir: Option<&Inode>, mode: u16, dev: u32) -> Result<NewInode> {
    let fsi = SbInfo::of(sb);
    fsi.reserve_inode()?;
    let inode = NewInode::new(sb, dir, mode).inspect_err(|_| fsi.release_inode())?;
    // From here on, dropping `inode` evicts it, which releases the
    // reservation.
    inode.set_page_cache(&folio::AOPS);
    match mode & S_IFMT {
        S_IFREG => inode.set_regular(&file::FILE_IOPS, &file::FILE_OPS),
        S_IFDIR => inode.set_directory(&dir::DIR_IOPS),
        S_IFLNK => inode.set_symlink(&SYMLINK_IOPS),
        _ => inode.set_special(&SPECIAL_IOPS, mode, dev),
    }
    Ok(inode)
}

/// Allocates an inode of `mode` in the directory `dir` (see [`new`]).
pub(crate) fn new_in(dir: &Inode, mode: u16, dev: u32) -> Result<NewInode> {
    new(dir.super_block(), Some(dir), mode, dev)
}

/// Eviction (`super_operations::evict_inode`, after the page cache was
/// dropped): returns the inode's pages to `size=`, frees its xattrs and
/// its `nr_inodes=` slot.
pub(crate) fn evict(evicting: Evicting<'_>) {
    let inode = evicting.inode();
    let fsi = SbInfo::of_inode(inode);
    fsi.recalc(inode);
    crate::xattr::free(evicting);
    fsi.release_inode();
}

/// Symlinks, device nodes, FIFOs and sockets: only the xattrs are rramfs's.
pub(crate) struct Other;

#[vtable]
impl InodeOperations for Other {
    fn listxattr(inode: &Inode, buf: Option<&mut [u8]>) -> Result<usize> {
        crate::xattr::list(inode, buf)
    }
}

/// `inode_operations` of symlinks: the target is in the page cache.
static SYMLINK_IOPS: InodeOps = InodeOps::new::<Other>(InodeKind::PageSymlink);

/// `inode_operations` of device nodes, FIFOs and sockets.
static SPECIAL_IOPS: InodeOps = InodeOps::new::<Other>(InodeKind::Other);
