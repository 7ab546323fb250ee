// SPDX-License-Identifier: GPL-2.0

//! Inodes: allocation against `nr_inodes=`, per-type operations, eviction.

use kernel::prelude::*;

use crate::bindings;

use crate::{
    dir, file,
    super_block::SbInfo,
    vfs::{Inode, NewInode, SuperBlock},
};

const S_IFMT: u16 = bindings::S_IFMT as u16;
const S_IFREG: u16 = bindings::S_IFREG as u16;
const S_IFDIR: u16 = bindings::S_IFDIR as u16;
const S_IFLNK: u16 = bindings::S_IFLNK as u16;

/// Allocates an inode of `mode` (type and permissions) in `dir`.
///
/// Returns the inode with one reference, owned by the caller; the inode is
/// counted against `nr_inodes=` until [`evict`].
///
/// # Safety
///
/// `sb` is a live rramfs superblock; `dir` is null (the root) or a directory
/// inode of `sb`; `dev` is only used for device nodes.
pub(crate) unsafe fn new(
    sb: *mut bindings::super_block,
    dir: *const bindings::inode,
    mode: u16,
    dev: bindings::dev_t,
) -> Result<NewInode> {
    // SAFETY: `sb` is a live rramfs superblock, for the call.
    let fsi = SbInfo::of(unsafe { SuperBlock::from_raw(sb) });
    fsi.reserve_inode()?;
    // SAFETY: `sb` is valid; `new_inode` returns null or a new inode.
    let inode = unsafe { bindings::new_inode(sb) };
    if inode.is_null() {
        fsi.release_inode();
        return Err(ENOMEM);
    }
    // SAFETY: `inode` is new and not yet visible to anyone else; `dir` is
    // null or a valid directory; `nop_mnt_idmap` is a static the VFS only
    // reads.
    unsafe {
        bindings::rramfs_inode_set_next_ino(inode);
        bindings::inode_init_owner(&raw mut bindings::nop_mnt_idmap, inode, dir, mode);
        bindings::simple_inode_init_ts(inode);
        file::init_mapping(inode);
        match mode & S_IFMT {
            S_IFREG => {
                (*inode).i_op = &file::FILE_IOPS;
                (*inode).__bindgen_anon_3.i_fop = &file::FILE_OPS.0;
            }
            S_IFDIR => {
                (*inode).i_op = &dir::DIR_IOPS;
                (*inode).__bindgen_anon_3.i_fop = &bindings::simple_dir_operations;
                // A directory starts with two links: its name and ".".
                bindings::inc_nlink(inode);
            }
            S_IFLNK => {
                (*inode).i_op = &SYMLINK_IOPS;
                bindings::inode_nohighmem(inode);
            }
            _ => {
                (*inode).i_op = &SPECIAL_IOPS;
                bindings::init_special_inode(inode, mode, dev);
            }
        }
    }
    // SAFETY: A new inode of `sb`, with the only reference.
    Ok(unsafe { NewInode::from_raw(inode) })
}

/// Allocates an inode of `mode` in the directory `dir` (see [`new`]).
pub(crate) fn new_in(dir: &Inode, mode: u16, dev: bindings::dev_t) -> Result<NewInode> {
    // SAFETY: `dir` is a live rramfs directory (`Inode`), so its superblock
    // is live.
    unsafe { new(dir.super_block().as_raw(), dir.as_raw(), mode, dev) }
}

/// `super_operations::evict_inode`: frees the inode's folios, returning
/// their pages to `size=`, its xattrs and its `nr_inodes=` slot.
///
/// # Safety
///
/// Called by the VFS for an rramfs inode being evicted.
pub(crate) unsafe extern "C" fn evict(inode: *mut bindings::inode) {
    // SAFETY: The inode is being evicted: nobody else uses it; its
    // superblock outlives it.
    unsafe {
        bindings::truncate_inode_pages_final(&raw mut (*inode).i_data);
        let fsi = SbInfo::of(SuperBlock::from_raw((*inode).i_sb));
        fsi.recalc(Inode::from_raw(inode));
        crate::xattr::free(Inode::from_raw(inode));
        bindings::clear_inode(inode);
        fsi.release_inode();
    }
}

/// `inode_operations` of symlinks: the target is in the page cache.
static SYMLINK_IOPS: bindings::inode_operations = bindings::inode_operations {
    get_link: Some(bindings::page_get_link),
    setattr: Some(bindings::simple_setattr),
    getattr: Some(bindings::simple_getattr),
    listxattr: Some(crate::xattr::listxattr),
    // SAFETY: All-zero is a valid `inode_operations`.
    ..unsafe { core::mem::zeroed() }
};

/// `inode_operations` of device nodes, FIFOs and sockets.
static SPECIAL_IOPS: bindings::inode_operations = bindings::inode_operations {
    setattr: Some(bindings::simple_setattr),
    getattr: Some(bindings::simple_getattr),
    listxattr: Some(crate::xattr::listxattr),
    // SAFETY: All-zero is a valid `inode_operations`.
    ..unsafe { core::mem::zeroed() }
};
