// SPDX-License-Identifier: GPL-2.0

//! POSIX ACLs (`struct posix_acl`).  A RAM filesystem keeps an inode's
//! ACLs in the inode's ACL cache (`i_acl`, `i_default_acl`), as tmpfs
//! does: the VFS serves `getxattr(system.posix_acl_*)` and permission
//! checks from there, so what rramfs does is store them ([`SetAcl`]),
//! inherit them ([`NewInode::inherit_acls`]) and follow chmod
//! ([`super::SetAttr::apply`]).  Without `CONFIG_FS_POSIX_ACL` the
//! superblock does not get `SB_POSIXACL`, and no inode has an ACL.

use core::ops::Deref;
use core::ptr::NonNull;

use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::types::Opaque;

use super::{to_result, Inode, NewInode};
use crate::bindings;

/// Which of an inode's two ACLs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum AclType {
    /// The access ACL, `system.posix_acl_access`.
    Access,
    /// A directory's default ACL, `system.posix_acl_default`: what its new
    /// entries inherit.
    Default,
}

impl AclType {
    /// Both, in the order `listxattr` shows them.
    pub(crate) const ALL: [AclType; 2] = [AclType::Access, AclType::Default];

    fn raw(self) -> c_int {
        match self {
            AclType::Access => bindings::ACL_TYPE_ACCESS as c_int,
            AclType::Default => bindings::ACL_TYPE_DEFAULT as c_int,
        }
    }

    fn from_raw(ty: c_int) -> Option<Self> {
        match ty as u32 {
            bindings::ACL_TYPE_ACCESS => Some(AclType::Access),
            bindings::ACL_TYPE_DEFAULT => Some(AclType::Default),
            _ => None,
        }
    }

    /// The extended attribute the ACL is seen as.
    pub(crate) fn xattr_name(self) -> &'static [u8] {
        match self {
            AclType::Access => b"system.posix_acl_access",
            AclType::Default => b"system.posix_acl_default",
        }
    }
}

/// A POSIX ACL, used as `&'a PosixAcl`.
///
/// # Invariants
///
/// A `&'a PosixAcl` refers to an ACL that somebody holds a reference to
/// for `'a`.
#[repr(transparent)]
pub(crate) struct PosixAcl(Opaque<bindings::posix_acl>);

impl PosixAcl {
    /// Wraps an ACL.
    ///
    /// # Safety
    ///
    /// `ptr` is an ACL that somebody holds a reference to for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::posix_acl) -> &'a PosixAcl {
        // INVARIANT: By the safety requirements.
        // SAFETY: A transparent wrapper of the C object, live for `'a`.
        unsafe { &*ptr.cast::<PosixAcl>() }
    }

    fn as_raw(&self) -> *mut bindings::posix_acl {
        self.0.get()
    }

    /// Its size as an extended attribute value (`posix_acl_xattr_size()`).
    pub(crate) fn xattr_size(&self) -> usize {
        // SAFETY: By the type invariants the ACL is live.
        unsafe { bindings::rramfs_posix_acl_xattr_size(self.as_raw()) }
    }

    /// A copy, allocated with `GFP_KERNEL_ACCOUNT`: charged to the memory
    /// cgroup of the task that makes it (`posix_acl_clone()`).
    pub(crate) fn clone_accounted(&self) -> Result<AclRef> {
        // SAFETY: By the type invariants the ACL is live.
        let copy = unsafe { bindings::rramfs_posix_acl_clone_accounted(self.as_raw()) };
        // SAFETY: A new ACL, whose one reference is ours, or null.
        unsafe { AclRef::from_raw(copy) }.ok_or(ENOMEM)
    }
}

/// A reference we hold to an ACL.
///
/// # Invariants
///
/// `self.0` is an ACL we hold one reference to.
pub(crate) struct AclRef(NonNull<bindings::posix_acl>);

impl AclRef {
    /// Takes over a reference (`None` for a null pointer).
    ///
    /// # Safety
    ///
    /// `ptr` is null, or an ACL whose reference the caller gives us.
    unsafe fn from_raw(ptr: *mut bindings::posix_acl) -> Option<AclRef> {
        // INVARIANT: By the safety requirements.
        NonNull::new(ptr).map(AclRef)
    }
}

impl Deref for AclRef {
    type Target = PosixAcl;

    fn deref(&self) -> &PosixAcl {
        // SAFETY: By the type invariants our reference keeps it live.
        unsafe { PosixAcl::from_raw(self.0.as_ptr()) }
    }
}

impl Drop for AclRef {
    fn drop(&mut self) {
        // SAFETY: By the type invariants we hold this reference.
        unsafe { bindings::rramfs_posix_acl_release(self.0.as_ptr()) };
    }
}

fn raw_of(acl: Option<&PosixAcl>) -> *mut bindings::posix_acl {
    acl.map_or(core::ptr::null_mut(), PosixAcl::as_raw)
}

impl Inode {
    /// The inode's ACL of `ty`, if it has one (`get_cached_acl()`).
    pub(crate) fn acl(&self, ty: AclType) -> Option<AclRef> {
        // SAFETY: By `Inode`'s invariants the inode is live; the call
        // returns a reference for us, or null.
        unsafe { AclRef::from_raw(bindings::rramfs_get_cached_acl(self.as_raw(), ty.raw())) }
    }

    /// Makes `acl` the inode's ACL of `ty` (taking its own reference) and
    /// returns the one it replaces.
    ///
    /// # Safety
    ///
    /// The caller may change the inode's ACLs: the inode is new, or this is
    /// its `set_acl`.
    unsafe fn replace_acl(&self, ty: AclType, acl: Option<&PosixAcl>) -> Option<AclRef> {
        // SAFETY: The inode is live (by `Inode`'s invariants) and `acl`
        // null or live; the call swaps the cached pointer atomically and
        // gives us the old one's reference.
        unsafe {
            AclRef::from_raw(bindings::rramfs_replace_cached_acl(
                self.as_raw(),
                ty.raw(),
                raw_of(acl),
            ))
        }
    }
}

impl NewInode {
    /// The ACLs a new inode in `dir` inherits (`posix_acl_create()`):
    /// `(default, access)`.  Also adjusts the inode's mode as creation
    /// must on a superblock with ACLs (where the VFS leaves it to the
    /// filesystem): by the umask when `dir` has no default ACL, by the
    /// default ACL's masking when it has one.  A symlink inherits nothing.
    pub(crate) fn inherit_acls(&self, dir: &Inode) -> Result<(Option<AclRef>, Option<AclRef>)> {
        let mut default = core::ptr::null_mut();
        let mut access = core::ptr::null_mut();
        // SAFETY: `dir` is live (by `Inode`'s invariants); the new inode is
        // ours alone (by `NewInode`'s), so its mode is ours to change.
        to_result(unsafe {
            bindings::rramfs_posix_acl_create(
                dir.as_raw(),
                &raw mut (*self.inode().as_raw()).i_mode,
                &mut default,
                &mut access,
            )
        })?;
        // SAFETY: On success each is null or an ACL whose reference the
        // call gave us.
        Ok(unsafe { (AclRef::from_raw(default), AclRef::from_raw(access)) })
    }

    /// Gives the new inode its ACL of `ty`.
    pub(crate) fn set_acl(&self, ty: AclType, acl: &PosixAcl) {
        // SAFETY: The inode is new and ours alone.
        let old = unsafe { self.inode().replace_acl(ty, Some(acl)) };
        // A new inode has none (`NewInode::new` cached "no ACL").
        drop(old);
    }
}

/// The arguments of a `set_acl`, given to
/// [`super::InodeOperations::set_acl`].
///
/// The VFS holds the inode's `i_rwsem` when userspace sets an ACL
/// (`vfs_set_acl()`) and when chmod updates one (from `setattr`); ksmbd
/// sets the first ACLs of a file it created without it.  So nothing here
/// relies on the lock: the replaced ACL is returned atomically.
///
/// # Invariants
///
/// The arguments of a `set_acl` call in progress: `inode` is live, and
/// `acl` is null or an ACL the caller holds a reference to, for `'a`.
pub(crate) struct SetAcl<'a> {
    idmap: *mut bindings::mnt_idmap,
    inode: &'a Inode,
    acl: Option<&'a PosixAcl>,
    ty: AclType,
}

impl<'a> SetAcl<'a> {
    /// Wraps the arguments of a `set_acl`; `None` for an ACL type this
    /// layer does not know.
    ///
    /// # Safety
    ///
    /// The arguments of a `set_acl` call on a live rramfs inode, for `'a`.
    pub(super) unsafe fn new(
        idmap: *mut bindings::mnt_idmap,
        inode: &'a Inode,
        acl: *mut bindings::posix_acl,
        ty: c_int,
    ) -> Option<Self> {
        // SAFETY: By the safety requirements `acl` is null or live for
        // `'a`, with the caller's reference.
        let acl = (!acl.is_null()).then(|| unsafe { PosixAcl::from_raw(acl) });
        // INVARIANT: By the safety requirements.
        Some(SetAcl {
            idmap,
            inode,
            acl,
            ty: AclType::from_raw(ty)?,
        })
    }

    /// The inode whose ACL changes.
    pub(crate) fn inode(&self) -> &'a Inode {
        self.inode
    }

    /// Which ACL.
    pub(crate) fn ty(&self) -> AclType {
        self.ty
    }

    /// The new ACL (`None`: remove it).
    pub(crate) fn acl(&self) -> Option<&'a PosixAcl> {
        self.acl
    }

    /// For an access ACL: the inode's mode with the ACL folded in, and the
    /// ACL left to keep, `None` when the mode bits say all of it
    /// (`posix_acl_update_mode()`, which also drops S_ISGID as chmod
    /// would).  Changes nothing.
    pub(crate) fn mode_update(&self) -> Result<(u16, Option<&'a PosixAcl>)> {
        let mut mode = 0;
        let mut acl = raw_of(self.acl);
        // SAFETY: By the type invariants the arguments of the call in
        // progress; the call reads the inode and writes only our locals.
        to_result(unsafe {
            bindings::rramfs_posix_acl_update_mode(
                self.idmap,
                self.inode.as_raw(),
                &mut mode,
                &mut acl,
            )
        })?;
        // `acl` is still the caller's ACL, or null.
        Ok((mode, self.acl.filter(|_| !acl.is_null())))
    }

    /// Makes `acl` the inode's ACL of this type, with `mode` (from
    /// [`Self::mode_update`], or `None` to keep it), sets ctime and
    /// returns the ACL replaced.
    pub(crate) fn store(&self, mode: Option<u16>, acl: Option<&PosixAcl>) -> Option<AclRef> {
        let inode = self.inode.as_raw();
        // SAFETY: By the type invariants this is the inode's `set_acl`, as
        // `simple_set_acl()` changing the mode and ctime.
        unsafe {
            if let Some(mode) = mode {
                (*inode).i_mode = mode;
            }
            bindings::inode_set_ctime_current(inode);
            self.inode.replace_acl(self.ty, acl)
        }
    }
}
