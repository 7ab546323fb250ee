// SPDX-License-Identifier: GPL-2.0

//! The rramfs filesystem type: its superblock operations and mount entry
//! points, and the operation tables of each kind of inode.  The top of
//! the crate: it ties the I/O paths and the namespace (the trait
//! implementations below it) to the tables the kernel is given.

use kernel::prelude::*;

use crate::{
    acl, dir, file, fileattr, folio, inode,
    super_block::{Rramfs, SbInfo, RRAMFS_MAGIC},
    vfs::{
        AttrOperations, Evicting, FileSystem, FsContext, Idmap, Inode, InodeKind, InodeLocked,
        InodeOperations, InodeOps, InodeTables, Kstatfs, NewSuperBlock, Param, SeqFile, SetAcl,
        SuperBlock, SuperOperations, SuperOps,
    },
    xattr,
};

impl FileSystem for Rramfs {
    type Info = SbInfo;
    type InodeData = xattr::Xattrs;

    fn new_info() -> SbInfo {
        SbInfo::new()
    }

    fn apply_param(fc: &FsContext, info: &mut SbInfo, p: &Param<'_>) -> Result {
        info.apply_param(fc, p)
    }

    fn fill_super(fc: &FsContext, sb: &NewSuperBlock<'_>) -> Result {
        let fsi = SbInfo::of(sb);
        fsi.check_mount(fc, sb.in_user_ns())?;
        sb.set_up(RRAMFS_MAGIC, &SUPER_OPS, &xattr::HANDLERS);
        let (mode, uid, gid) = fsi.root_attrs();
        let root = inode::new(sb, None, Idmap::nop(), mode, 0)?;
        root.set_owner(uid, gid);
        sb.set_root(root)
    }

    fn reconfigure(fc: &FsContext, sb: &SuperBlock, new: &SbInfo) -> Result {
        SbInfo::of(sb).reconfigure(fc, sb.in_user_ns(), new)
    }

    fn show_stats(sb: &SuperBlock, m: &SeqFile) {
        SbInfo::of(sb).show_stats(m)
    }

    fn inode_tables() -> &'static InodeTables {
        &TABLES
    }
}

/// The superblock operations of rramfs.
struct Super;

impl SuperOperations for Super {
    /// `df` shows real use against the limits.
    fn statfs(sb: &SuperBlock, buf: &mut Kstatfs) {
        SbInfo::of(sb).statfs(buf)
    }

    fn show_options(sb: &SuperBlock, m: &SeqFile) {
        SbInfo::of(sb).show_options(m)
    }

    fn evict_inode(inode: Evicting<'_>) {
        inode::evict(inode)
    }
}

static SUPER_OPS: SuperOps = SuperOps::new::<Super>();

/// Symlinks, device nodes, FIFOs and sockets: the kernel's operations,
/// with rramfs's attributes.
struct Other;

#[vtable]
impl InodeOperations for Other {}

/// The attribute operations of every rramfs inode: xattrs and ACLs, and
/// the chattr flags of directories and regular files.
struct Attrs;

#[vtable]
impl AttrOperations for Attrs {
    fn listxattr(inode: &Inode, buf: Option<&mut [u8]>) -> Result<usize> {
        xattr::list(inode, buf)
    }

    fn set_acl(args: SetAcl<'_>) -> Result {
        acl::set(args)
    }

    fn fileattr_get(inode: &Inode) -> u32 {
        fileattr::get(inode)
    }

    fn fileattr_set(locked: InodeLocked<'_>, flags: u32) -> Result {
        fileattr::set(locked, flags)
    }
}

/// The operations of each kind of rramfs inode.
static TABLES: InodeTables = InodeTables {
    aops: &folio::AOPS,
    file: &FILE_IOPS,
    file_ops: &file::FILE_OPS,
    dir: &DIR_IOPS,
    // The target is in the page cache.
    symlink: &SYMLINK_IOPS,
    special: &SPECIAL_IOPS,
};

static FILE_IOPS: InodeOps = InodeOps::new::<file::RegularFile, Attrs>(InodeKind::Regular);
static DIR_IOPS: InodeOps = InodeOps::new::<dir::Dir, Attrs>(InodeKind::DcacheDir);
static SYMLINK_IOPS: InodeOps = InodeOps::new::<Other, Attrs>(InodeKind::PageSymlink);
static SPECIAL_IOPS: InodeOps = InodeOps::new::<Other, Attrs>(InodeKind::Other);
