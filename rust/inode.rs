// SPDX-License-Identifier: GPL-2.0

//! Inodes: allocation against `nr_inodes=`, and eviction.

use kernel::prelude::*;

use crate::{
    acl, fileattr,
    super_block::{Rramfs, SbInfo},
    vfs::{Evicting, Idmap, Inode, NewInode, SuperBlock},
};

/// Allocates an inode of `mode` (type and permissions) of `sb`, in `dir`
/// (`None`: the root), owned by the caller as seen through `idmap`, with
/// the operations of its type; `dev` is only used for device nodes.
///
/// Returns the inode with one reference, owned by the caller; the inode is
/// counted against `nr_inodes=` until [`evict`].
pub(crate) fn new(
    sb: &SuperBlock,
    dir: Option<&Inode>,
    idmap: Idmap<'_>,
    mode: u16,
    dev: u32,
) -> Result<NewInode> {
    let fsi = SbInfo::of(sb);
    fsi.reserve_inode()?;
    let inode =
        NewInode::new::<Rramfs>(sb, dir, idmap, mode, dev).inspect_err(|_| fsi.release_inode())?;
    // From here on, dropping the inode evicts it, which releases the
    // reservation.
    if let Some(dir) = dir {
        fileattr::inherit(&inode, dir)?;
        acl::inherit(&inode, dir)?;
    }
    Ok(inode)
}

/// Allocates an inode of `mode` in the directory `dir` (see [`new`]).
pub(crate) fn new_in(idmap: Idmap<'_>, dir: &Inode, mode: u16, dev: u32) -> Result<NewInode> {
    new(dir.super_block(), Some(dir), idmap, mode, dev)
}

/// Eviction (`super_operations::evict_inode`, after the page cache was
/// dropped): returns the inode's pages to `size=`, the inode space of its
/// ACLs and xattrs, and its `nr_inodes=` slot.
pub(crate) fn evict(evicting: Evicting<'_>) {
    let inode = evicting.inode();
    let fsi = SbInfo::of_inode(inode);
    fsi.recalc(inode);
    acl::free(inode);
    crate::xattr::free(evicting);
    fsi.release_inode();
}
