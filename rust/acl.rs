// SPDX-License-Identifier: GPL-2.0

//! POSIX ACLs, as tmpfs has them: stored in the inode's ACL cache, which
//! for a RAM filesystem is the store (the VFS serves getxattr and
//! permission checks from it); inherited from a directory's default ACL
//! at creation, which also applies the umask on an ACL-enabled
//! superblock; updated by chmod (`vfs::SetAttr::apply`).
//!
//! Memory: like an extended attribute, an ACL is charged its
//! [`xattr_space`] of the inode space, and rramfs keeps its own copy,
//! allocated with `GFP_KERNEL_ACCOUNT` (the VFS allocates the one it
//! passes without): a user-namespace mount's owner sets ACLs freely.

use kernel::prelude::*;

use crate::{
    super_block::{xattr_space, SbInfo},
    vfs::{AclType, Inode, NewInode, PosixAcl, SetAcl},
};

/// The inode space `acl` is charged as the ACL of `ty`.
fn space(ty: AclType, acl: &PosixAcl) -> u64 {
    xattr_space(ty.xattr_name().len(), acl.xattr_size())
}

/// `inode_operations::set_acl` of every kind of rramfs inode
/// (`simple_set_acl()`, charged).
pub(crate) fn set(args: SetAcl<'_>) -> Result {
    let ty = args.ty();
    let (mode, acl) = match ty {
        AclType::Access => {
            let (mode, acl) = args.mode_update()?;
            (Some(mode), acl)
        }
        AclType::Default => (None, args.acl()),
    };
    let copy = acl.map(|a| a.clone_accounted()).transpose()?;
    let fsi = SbInfo::of_inode(args.inode());
    let charge = copy.as_deref().map_or(0, |a| space(ty, a));
    fsi.reserve_ispace(charge)?;
    if let Some(old) = args.store(mode, copy.as_deref()) {
        fsi.unreserve_ispace(space(ty, &old));
    }
    Ok(())
}

/// Gives a new inode in `dir` the ACLs it inherits, charged, and the mode
/// that follows from them or from the umask.
pub(crate) fn inherit(inode: &NewInode, dir: &Inode) -> Result {
    let (default, access) = inode.inherit_acls(dir)?;
    // The default ACL is `dir`'s, shared and accounted already; the access
    // ACL is a new, unaccounted one.
    let access = access.map(|a| a.clone_accounted()).transpose()?;
    let charge = default.as_deref().map_or(0, |a| space(AclType::Default, a))
        + access.as_deref().map_or(0, |a| space(AclType::Access, a));
    SbInfo::of_inode(inode.inode()).reserve_ispace(charge)?;
    // From here on, eviction returns the charge (see [`free`]).
    if let Some(a) = &default {
        inode.set_acl(AclType::Default, a);
    }
    if let Some(a) = &access {
        inode.set_acl(AclType::Access, a);
    }
    Ok(())
}

/// Returns the inode space of an evicted inode's ACLs (the VFS frees them
/// after eviction).
pub(crate) fn free(inode: &Inode) {
    let held = AclType::ALL
        .iter()
        .filter_map(|&ty| inode.acl(ty).map(|a| space(ty, &a)))
        .sum();
    SbInfo::of_inode(inode).unreserve_ispace(held);
}

/// The extended attribute names of `inode`'s ACLs, for `listxattr`: a
/// snapshot, so that measuring and copying agree.
pub(crate) fn names(inode: &Inode) -> impl Iterator<Item = &'static [u8]> + Clone {
    let has = AclType::ALL.map(|ty| inode.acl(ty).is_some());
    AclType::ALL
        .into_iter()
        .zip(has)
        .filter(|&(_, has)| has)
        .map(|(ty, _)| ty.xattr_name())
}
