// SPDX-License-Identifier: GPL-2.0

//! `struct inode_operations`, built from a trait: the kernel calls these
//! trampolines, which turn its raw arguments into the typed ones of
//! [`InodeOperations`].  The shapes that differ between kernels (`create`'s
//! `excl`, what `mkdir` returns) are handled here.

use core::ffi::CStr;
use core::marker::PhantomData;

use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::ffi::{c_char, c_int, c_uint};
use kernel::prelude::*;

use super::{
    count_or_errno, errno, kver, Dentry, File, Idmap, Inode, InodeLocked, NewInode, SetAcl,
};
use crate::bindings;

/// The inode operations of one kind of rramfs inode.  Each callback the
/// implementation leaves out keeps the kernel's behaviour for that kind
/// (see [`InodeKind`]).
#[vtable]
pub(crate) trait InodeOperations {
    /// `create`: a regular file at `new`.
    fn create(_new: NewEntry<'_>, _mode: u16) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `mkdir`: a directory at `new`.
    fn mkdir(_new: NewEntry<'_>, _mode: u16) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `mknod`: a node of `mode` (any type) at `new`.
    fn mknod(_new: NewEntry<'_>, _mode: u16, _dev: u32) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `symlink`: a symbolic link to `target` at `new`.
    fn symlink(_new: NewEntry<'_>, _target: &CStr) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `tmpfile`: an unnamed regular file in `dir`, opened as `file`, for
    /// a caller coming through a mount with `idmap`.
    fn tmpfile(_idmap: Idmap<'_>, _dir: &Inode, _file: TmpFile<'_>, _mode: u16) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `rename`: the arguments and `simple_rename()` in [`Rename`].
    fn rename(_rename: Rename<'_>) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `setattr`: [`SetAttr::apply`] is `simple_setattr()` and the ACL's
    /// chmod; an implementation without one gets just that.
    fn setattr(_attr: SetAttr<'_>) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `getattr`, after `stat` was filled as `simple_getattr()` does it
    /// (but through the mount's idmap).
    fn getattr(_inode: &Inode, _stat: &mut Kstat, _request_mask: u32) {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The attribute operations, the same for every kind of rramfs inode
/// (one implementation, given to [`InodeOps::new`] with each kind's
/// [`InodeOperations`]): extended attributes and ACLs, and the chattr
/// flags of directories and regular files.
#[vtable]
pub(crate) trait AttrOperations {
    /// `listxattr`: the names, each NUL-terminated, into `buf` (`None`:
    /// only measure); returns their length.
    fn listxattr(_inode: &Inode, _buf: Option<&mut [u8]>) -> Result<usize> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `fileattr_get` (`FS_IOC_GETFLAGS`, `lsattr`): the inode's
    /// `FS_*_FL` flags.
    fn fileattr_get(_inode: &Inode) -> u32 {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `fileattr_set` (`FS_IOC_SETFLAGS`, `chattr`): sets the inode's
    /// `FS_*_FL` flags to `flags`.  The VFS has checked the caller's
    /// rights (CAP_LINUX_IMMUTABLE for the append-only and immutable
    /// flags); XFS-style attributes beyond the common ones get EOPNOTSUPP
    /// before this is called.
    fn fileattr_set(_locked: InodeLocked<'_>, _flags: u32) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }
    /// `set_acl`: stores (or with `None`, removes) a POSIX ACL, which the
    /// VFS has checked (`posix_acl_valid()`) and the caller may set.
    fn set_acl(_args: SetAcl<'_>) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// What the kernel provides for a kind of inode, besides the callbacks of
/// its [`InodeOperations`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum InodeKind {
    /// A directory whose names live only in the dcache, as in ramfs:
    /// `simple_lookup`, `simple_link`, `simple_unlink`, `simple_rmdir`.
    DcacheDir,
    /// A symbolic link whose target is in the page cache (`page_get_link`).
    PageSymlink,
    /// A regular file.
    Regular,
    /// A device node, FIFO or socket.
    Other,
}

/// An `inode_operations` table: made by [`InodeOps::new`], shared with
/// the kernel through [`super::NewInode::set_ops`].
#[repr(transparent)]
pub(crate) struct InodeOps(pub(super) bindings::inode_operations);

impl InodeOps {
    /// The table of `T`'s operations and `A`'s attribute operations for
    /// inodes of `kind`.
    pub(crate) const fn new<T: InodeOperations, A: AttrOperations>(kind: InodeKind) -> Self {
        let dir = matches!(kind, InodeKind::DcacheDir);
        let flags = matches!(kind, InodeKind::DcacheDir | InodeKind::Regular);
        InodeOps(bindings::inode_operations {
            lookup: if dir {
                Some(bindings::simple_lookup)
            } else {
                None
            },
            link: if dir {
                Some(bindings::simple_link)
            } else {
                None
            },
            unlink: if dir {
                Some(bindings::simple_unlink)
            } else {
                None
            },
            rmdir: if dir {
                Some(bindings::simple_rmdir)
            } else {
                None
            },
            get_link: if matches!(kind, InodeKind::PageSymlink) {
                Some(bindings::page_get_link)
            } else {
                None
            },
            create: if T::HAS_CREATE {
                Some(Vtable::<T>::create)
            } else {
                None
            },
            mkdir: if T::HAS_MKDIR {
                Some(Vtable::<T>::mkdir)
            } else {
                None
            },
            mknod: if T::HAS_MKNOD {
                Some(Vtable::<T>::mknod)
            } else {
                None
            },
            symlink: if T::HAS_SYMLINK {
                Some(Vtable::<T>::symlink)
            } else {
                None
            },
            tmpfile: if T::HAS_TMPFILE {
                Some(Vtable::<T>::tmpfile)
            } else {
                None
            },
            rename: if T::HAS_RENAME {
                Some(Vtable::<T>::rename)
            } else {
                None
            },
            setattr: if T::HAS_SETATTR {
                Some(Vtable::<T>::setattr)
            } else {
                Some(Vtable::<T>::simple_setattr)
            },
            getattr: Some(Vtable::<T>::getattr::<A>),
            listxattr: if A::HAS_LISTXATTR {
                Some(AttrVtable::<A>::listxattr)
            } else {
                None
            },
            set_acl: if A::HAS_SET_ACL {
                Some(AttrVtable::<A>::set_acl)
            } else {
                None
            },
            fileattr_get: if flags && A::HAS_FILEATTR_GET {
                Some(AttrVtable::<A>::fileattr_get)
            } else {
                None
            },
            fileattr_set: if flags && A::HAS_FILEATTR_SET {
                Some(AttrVtable::<A>::fileattr_set)
            } else {
                None
            },
            // SAFETY: All-zero is a valid `inode_operations` (no callbacks).
            ..unsafe { core::mem::zeroed() }
        })
    }
}

/// The trampolines of `T`'s operations.
///
/// Every function here is called only by the kernel through a table made
/// by [`InodeOps::new`], on rramfs inodes, with the arguments and locks
/// that operation's contract in `Documentation/filesystems/vfs.rst`
/// documents; their SAFETY comments rely on that.
struct Vtable<T>(PhantomData<T>);

impl<T: InodeOperations> Vtable<T> {
    /// The new name of an operation that creates one.
    ///
    /// # Safety
    ///
    /// The arguments of a directory operation on an rramfs directory, which
    /// holds `dir`'s lock for the call.
    unsafe fn new_entry<'a>(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
    ) -> NewEntry<'a> {
        // INVARIANT: By the function's safety requirements the dentry is
        // the negative one of the operation, in the locked `dir`.
        // SAFETY: By the function's safety requirements.
        unsafe {
            NewEntry {
                idmap: Idmap::from_raw(idmap),
                dir: InodeLocked::assume(Inode::from_raw(dir)),
                dentry: Dentry::from_raw(dentry),
            }
        }
    }

    /// `create`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn create(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
        // Up to 6.18: O_EXCL, which the VFS has already acted on.
        #[cfg(rramfs_create_has_excl)] _excl: bool,
    ) -> c_int {
        // SAFETY: Called as `inode_operations::create` (see the type doc).
        let new = unsafe { Self::new_entry(idmap, dir, dentry) };
        errno(T::create(new, mode))
    }

    /// `mkdir`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn mkdir(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
    ) -> kver::MkdirRet {
        // SAFETY: Called as `inode_operations::mkdir` (see the type doc).
        let new = unsafe { Self::new_entry(idmap, dir, dentry) };
        kver::mkdir_ret(T::mkdir(new, mode))
    }

    /// `mknod`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn mknod(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
        dev: bindings::dev_t,
    ) -> c_int {
        // SAFETY: Called as `inode_operations::mknod` (see the type doc).
        let new = unsafe { Self::new_entry(idmap, dir, dentry) };
        errno(T::mknod(new, mode, dev))
    }

    /// `symlink`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn symlink(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        target: *const c_char,
    ) -> c_int {
        // SAFETY: Called as `inode_operations::symlink` (see the type doc);
        // `target` is the NUL-terminated link target, live for the call.
        let (new, target) = unsafe { (Self::new_entry(idmap, dir, dentry), kver::cstr(target)) };
        errno(T::symlink(new, target))
    }

    /// `tmpfile`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn tmpfile(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        file: *mut bindings::file,
        mode: bindings::umode_t,
    ) -> c_int {
        // SAFETY: Called as `inode_operations::tmpfile` (see the type doc):
        // `dir` is a live rramfs directory and `file` is being opened on
        // the unnamed dentry made for O_TMPFILE; `idmap` is its mount's.
        let (idmap, dir) = unsafe { (Idmap::from_raw(idmap), Inode::from_raw(dir)) };
        let err = errno(T::tmpfile(
            idmap,
            dir,
            TmpFile {
                file,
                _p: PhantomData,
            },
            mode,
        ));
        // SAFETY: `file` is being opened; this ends the open.
        unsafe { bindings::rramfs_finish_open_simple(file, err) }
    }

    /// `rename`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn rename(
        idmap: *mut bindings::mnt_idmap,
        old_dir: *mut bindings::inode,
        old_dentry: *mut bindings::dentry,
        new_dir: *mut bindings::inode,
        new_dentry: *mut bindings::dentry,
        flags: c_uint,
    ) -> c_int {
        // SAFETY: Called as `inode_operations::rename` (see the type doc):
        // the VFS holds both directories' locks and the dentries are live.
        let rename = unsafe {
            Rename {
                idmap: Idmap::from_raw(idmap),
                old_dir: InodeLocked::assume(Inode::from_raw(old_dir)),
                old_dentry: Dentry::from_raw(old_dentry),
                new_dir: InodeLocked::assume(Inode::from_raw(new_dir)),
                new_dentry: Dentry::from_raw(new_dentry),
                flags,
            }
        };
        errno(T::rename(rename))
    }

    /// `setattr`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn setattr(
        idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        attr: *mut bindings::iattr,
    ) -> c_int {
        // SAFETY: Called as `inode_operations::setattr` (see the type doc).
        errno(T::setattr(unsafe { SetAttr::new(idmap, dentry, attr) }))
    }

    /// `setattr` of an implementation without one: [`SetAttr::apply`].
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn simple_setattr(
        idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        attr: *mut bindings::iattr,
    ) -> c_int {
        // SAFETY: Called as `inode_operations::setattr` (see the type doc).
        errno(unsafe { SetAttr::new(idmap, dentry, attr) }.apply())
    }

    /// `getattr`: what `simple_getattr()` reports (`st_blocks` from the
    /// pages the page cache holds), but with the owner seen through the
    /// mount's idmap, as tmpfs's `shmem_getattr()` does: `simple_getattr()`
    /// fills the attributes with the identity mapping, which on an
    /// idmapped mount shows the stored ids.  With the creation time and
    /// `A`'s chattr flags in `statx`'s attributes, as tmpfs.  Then `T`'s,
    /// if it has one.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn getattr<A: AttrOperations>(
        idmap: *mut bindings::mnt_idmap,
        path: *const bindings::path,
        stat: *mut bindings::kstat,
        request_mask: u32,
        _flags: c_uint,
    ) -> c_int {
        // SAFETY: Called as `inode_operations::getattr` (see the type doc):
        // `path` is a positive path of ours, live for the call; `stat` is
        // valid and ours to fill.
        let (inode, stat) = unsafe {
            (
                Inode::from_raw((*(*path).dentry).d_inode),
                &mut *stat.cast::<Kstat>(),
            )
        };
        // SAFETY: `idmap` is the mount's, the inode live and `stat` ours.
        unsafe { bindings::generic_fillattr(idmap, request_mask, inode.as_raw(), &mut stat.0) };
        stat.0.blocks = inode.mapping().nrpages() << (bindings::PAGE_SHIFT - 9);
        if request_mask & bindings::STATX_BTIME != 0 {
            stat.0.result_mask |= bindings::STATX_BTIME;
            stat.0.btime = inode.btime();
        }
        if A::HAS_FILEATTR_GET {
            stat.set_fileattr(A::fileattr_get(inode));
        }
        if T::HAS_GETATTR {
            T::getattr(inode, stat, request_mask);
        }
        0
    }
}

/// The trampolines of `A`'s attribute operations, on the same terms as
/// [`Vtable`]'s.
struct AttrVtable<A>(PhantomData<A>);

impl<A: AttrOperations> AttrVtable<A> {
    /// `listxattr`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn listxattr(
        dentry: *mut bindings::dentry,
        buffer: *mut c_char,
        size: usize,
    ) -> isize {
        // SAFETY: Called as `inode_operations::listxattr` (see the type
        // doc): a positive dentry of ours, and `buffer` holds `size`
        // bytes, or `size` is 0.
        let (inode, buf) = unsafe {
            (
                Inode::from_raw((*dentry).d_inode),
                (size != 0).then(|| core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size)),
            )
        };
        count_or_errno(A::listxattr(inode, buf))
    }

    /// `fileattr_get`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn fileattr_get(
        dentry: *mut bindings::dentry,
        fa: *mut kver::FileAttr,
    ) -> c_int {
        // SAFETY: A positive dentry of ours, live for the call.
        let inode = unsafe { Inode::from_raw((*dentry).d_inode) };
        let flags = A::fileattr_get(inode);
        // SAFETY: `fa` is the VFS's, valid for the call.
        unsafe { bindings::fileattr_fill_flags(fa, flags) };
        0
    }

    /// `fileattr_set`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn fileattr_set(
        _idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        fa: *mut kver::FileAttr,
    ) -> c_int {
        // SAFETY: `fa` is the VFS's, valid for the call; the dentry is a
        // positive one of ours, whose inode the VFS holds locked
        // (`vfs_fileattr_set()`).
        let (fsx, flags, locked) = unsafe {
            (
                bindings::rramfs_fileattr_has_fsx(fa.cast_const().cast()),
                (*fa).flags,
                InodeLocked::assume(Inode::from_raw((*dentry).d_inode)),
            )
        };
        if fsx {
            return kver::code::EOPNOTSUPP().to_errno();
        }
        errno(A::fileattr_set(locked, flags))
    }
    /// `set_acl`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn set_acl(
        idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        acl: *mut bindings::posix_acl,
        ty: c_int,
    ) -> c_int {
        // SAFETY: Called as `inode_operations::set_acl` (see the type
        // doc): a positive dentry of ours, and `acl` null or an ACL the
        // caller holds for the call.
        let args = unsafe { SetAcl::new(idmap, Inode::from_raw((*dentry).d_inode), acl, ty) };
        match args {
            Some(args) => errno(A::set_acl(args)),
            None => EINVAL.to_errno(),
        }
    }
}

/// The file an O_TMPFILE open makes, given to [`InodeOperations::tmpfile`].
///
/// # Invariants
///
/// `file` is being opened on the unnamed dentry the VFS made for
/// O_TMPFILE, which has no inode yet.
pub(crate) struct TmpFile<'a> {
    file: *mut bindings::file,
    _p: PhantomData<&'a File>,
}

impl TmpFile<'_> {
    /// The file's (unnamed) dentry, for the LSM.
    pub(crate) fn dentry(&self) -> &Dentry {
        // SAFETY: By the type invariants the file is being opened; its
        // dentry lives at least as long.
        unsafe { Dentry::from_raw(bindings::rramfs_file_dentry(self.file)) }
    }

    /// Gives the file its inode (`d_tmpfile()`, which takes the reference).
    pub(crate) fn instantiate(self, inode: NewInode) {
        // SAFETY: By the type invariants the dentry is the unnamed one of
        // an O_TMPFILE open, with no inode yet.
        unsafe { bindings::d_tmpfile(self.file, inode.into_raw()) };
    }
}

/// Where an operation makes a new name: the negative `dentry` in `dir`,
/// which is locked, for a caller coming through a mount with `idmap` (a
/// new inode is owned by the caller's ids mapped through it).
///
/// # Invariants
///
/// `dentry` is negative and a child of `dir`, for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct NewEntry<'a> {
    idmap: Idmap<'a>,
    dir: InodeLocked<'a>,
    dentry: &'a Dentry,
}

impl<'a> NewEntry<'a> {
    /// The idmap of the caller's mount.
    pub(crate) fn idmap(&self) -> Idmap<'a> {
        self.idmap
    }

    /// The directory, locked.
    pub(crate) fn dir(&self) -> InodeLocked<'a> {
        self.dir
    }

    /// The new name.
    pub(crate) fn dentry(&self) -> &'a Dentry {
        self.dentry
    }
}

/// The arguments of a `rename`, given to [`InodeOperations::rename`].
///
/// # Invariants
///
/// The arguments of a VFS `rename` call in progress: both directories are
/// locked and the dentries live, for `'a`.
pub(crate) struct Rename<'a> {
    idmap: Idmap<'a>,
    /// The directory the name leaves, locked.
    pub(crate) old_dir: InodeLocked<'a>,
    /// The name that moves.
    pub(crate) old_dentry: &'a Dentry,
    /// The directory the name enters, locked.
    pub(crate) new_dir: InodeLocked<'a>,
    /// The new name, positive when it replaces (or is exchanged with) one.
    pub(crate) new_dentry: &'a Dentry,
    /// `RENAME_*` flags.
    pub(crate) flags: u32,
}

impl Rename<'_> {
    /// Runs `f` on a new negative sibling of the moved name in the old
    /// directory, where a whiteout goes: the VFS' rename then leaves it
    /// in place of the moved one.  The sibling is made for the rename's
    /// caller, through its mount's idmap.
    pub(crate) fn at_whiteout(&self, f: impl FnOnce(NewEntry<'_>) -> Result) -> Result {
        let whiteout = self.old_dentry.alloc_sibling()?;
        // INVARIANT: A new negative child of the locked old directory.
        f(NewEntry {
            idmap: self.idmap,
            dir: self.old_dir,
            dentry: &whiteout,
        })
    }

    /// Moves the name (`simple_rename()`), with `flags` in place of the
    /// call's (those it handles: NOREPLACE, EXCHANGE).
    pub(crate) fn simple(self, flags: u32) -> Result {
        // SAFETY: By the type invariants the VFS holds the locks rename
        // needs, and the objects are live.
        super::to_result(unsafe {
            bindings::simple_rename(
                self.idmap.as_raw(),
                self.old_dir.inode().as_raw(),
                self.old_dentry.as_raw(),
                self.new_dir.inode().as_raw(),
                self.new_dentry.as_raw(),
                flags,
            )
        })
    }
}

/// The arguments of a `setattr`, given to [`InodeOperations::setattr`].
///
/// # Invariants
///
/// The arguments of a VFS `setattr` call in progress: `attr` is valid and
/// `dentry` a positive dentry whose inode (`locked`) is locked, for `'a`.
pub(crate) struct SetAttr<'a> {
    idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    /// The VFS's, on its stack, used by this call only.
    attr: &'a mut bindings::iattr,
    locked: InodeLocked<'a>,
}

impl<'a> SetAttr<'a> {
    /// Wraps the arguments of a `setattr`.
    ///
    /// # Safety
    ///
    /// The arguments of a `setattr` call in progress on rramfs, for `'a`:
    /// a positive dentry of ours, whose inode the VFS holds locked, and a
    /// valid `iattr`.
    unsafe fn new(
        idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        attr: *mut bindings::iattr,
    ) -> Self {
        // INVARIANT: By the safety requirements.
        // SAFETY: By the safety requirements the dentry is positive and its
        // inode locked, and `attr` is valid and the call's for `'a`.
        let (locked, attr) = unsafe {
            (
                InodeLocked::assume(Inode::from_raw((*dentry).d_inode)),
                &mut *attr,
            )
        };
        SetAttr {
            idmap,
            dentry,
            attr,
            locked,
        }
    }

    /// The inode whose attributes change, locked.
    pub(crate) fn locked(&self) -> InodeLocked<'a> {
        self.locked
    }

    fn valid(&self) -> u32 {
        self.attr.ia_valid
    }

    /// The new size, if the call changes it.
    pub(crate) fn size(&self) -> Option<i64> {
        (self.valid() & bindings::ATTR_SIZE != 0).then_some(self.attr.ia_size)
    }

    /// Whether the call sets the modification time.
    pub(crate) fn sets_mtime(&self) -> bool {
        self.valid() & bindings::ATTR_MTIME != 0
    }

    /// Applies the change (`simple_setattr()`: checks, then size and
    /// attributes), and a new mode to the access ACL (`posix_acl_chmod()`,
    /// which stores the updated ACL through `set_acl`), as tmpfs.
    ///
    /// A size-down truncation is [`InodeLocked::shrink`] (the page cache
    /// goes before `i_size` does: see [`InodeLocked::drop_pagecache_from`]
    /// for why), once the change is known to be allowed;
    /// `simple_setattr()` then applies the rest.  The caller holds the
    /// invalidate lock for a size-down truncation, as `shrink` requires.
    pub(crate) fn apply(self) -> Result {
        let inode = self.locked.inode();
        if let Some(size) = self.size().filter(|&s| s < inode.size()) {
            // SAFETY: By the type invariants: the arguments of the call in
            // progress, with the inode locked.
            super::to_result(unsafe {
                bindings::setattr_prepare(self.idmap, self.dentry, &raw mut *self.attr)
            })?;
            self.locked.shrink(size);
            // Done: `simple_setattr()` checks and copies the rest (times).
            self.attr.ia_valid &= !bindings::ATTR_SIZE;
        }
        // SAFETY: As above.
        super::to_result(unsafe {
            bindings::simple_setattr(self.idmap, self.dentry, &raw mut *self.attr)
        })?;
        if self.valid() & bindings::ATTR_MODE == 0 {
            return Ok(());
        }
        // SAFETY: As above; the mode is the one just set.
        super::to_result(unsafe {
            bindings::rramfs_posix_acl_chmod(
                self.idmap,
                self.dentry,
                (*self.locked.inode().as_raw()).i_mode,
            )
        })
    }
}

/// The `struct kstat` a `getattr` fills in.
#[repr(transparent)]
pub(crate) struct Kstat(bindings::kstat);

impl Kstat {
    /// Reports the chattr flags `fsflags` (`FS_*_FL`) that `statx` has
    /// attribute bits for: immutable, append-only, no-dump, and that the
    /// filesystem supports them (`stx_attributes_mask`), as tmpfs.
    pub(crate) fn set_fileattr(&mut self, fsflags: u32) {
        let mut attrs = 0;
        if fsflags & bindings::FS_IMMUTABLE_FL != 0 {
            attrs |= bindings::STATX_ATTR_IMMUTABLE;
        }
        if fsflags & bindings::FS_APPEND_FL != 0 {
            attrs |= bindings::STATX_ATTR_APPEND;
        }
        if fsflags & bindings::FS_NODUMP_FL != 0 {
            attrs |= bindings::STATX_ATTR_NODUMP;
        }
        self.0.attributes |= u64::from(attrs);
        self.0.attributes_mask |= u64::from(
            bindings::STATX_ATTR_IMMUTABLE
                | bindings::STATX_ATTR_APPEND
                | bindings::STATX_ATTR_NODUMP,
        );
    }

    /// Reports the O_DIRECT alignment of memory and offsets
    /// (`statx(STATX_DIOALIGN)`).
    pub(crate) fn set_dio_align(&mut self, align: u32) {
        self.0.dio_mem_align = align;
        self.0.dio_offset_align = align;
        self.0.result_mask |= bindings::STATX_DIOALIGN;
    }
}
