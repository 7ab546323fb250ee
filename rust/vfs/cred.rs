// SPDX-License-Identifier: GPL-2.0

//! Credentials: the caller's filesystem ids, ids as the initial user
//! namespace sees them, and the id mapping of the mount a call came
//! through.

use core::marker::PhantomData;

use crate::bindings;

/// The id mapping of the mount an operation came through (`struct
/// mnt_idmap`): the identity, or an idmapped mount's (`mount_setattr()`
/// with `MOUNT_ATTR_IDMAP`).  The VFS has checked that the caller's ids
/// map; a new inode's owner is the caller's ids mapped through it
/// (`inode_init_owner()`), which is what lets rramfs be mounted idmapped
/// (`FS_ALLOW_IDMAP`).
///
/// # Invariants
///
/// `ptr` is a valid `mnt_idmap`, live for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Idmap<'a> {
    ptr: *mut bindings::mnt_idmap,
    _p: PhantomData<&'a bindings::mnt_idmap>,
}

impl<'a> Idmap<'a> {
    /// Wraps the idmap of a call.
    ///
    /// # Safety
    ///
    /// `ptr` is the idmap a VFS operation in progress was given, which the
    /// caller's mount keeps alive for `'a`.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::mnt_idmap) -> Self {
        // INVARIANT: By the safety requirements.
        Idmap {
            ptr,
            _p: PhantomData,
        }
    }

    pub(crate) fn as_raw(self) -> *mut bindings::mnt_idmap {
        self.ptr
    }
}

impl Idmap<'static> {
    /// The identity mapping (`nop_mnt_idmap`): for inodes rramfs makes
    /// itself, the root.
    pub(crate) fn nop() -> Self {
        // INVARIANT: `nop_mnt_idmap` is a static the VFS never frees.
        Idmap {
            ptr: &raw mut bindings::nop_mnt_idmap,
            _p: PhantomData,
        }
    }
}

/// The caller's filesystem uid (`current_fsuid()`).
pub(crate) fn current_fsuid() -> bindings::kuid_t {
    // SAFETY: Reads the current task's credentials, valid for the call.
    unsafe { bindings::rramfs_current_fsuid() }
}

/// The caller's filesystem gid (`current_fsgid()`).
pub(crate) fn current_fsgid() -> bindings::kgid_t {
    // SAFETY: Reads the current task's credentials, valid for the call.
    unsafe { bindings::rramfs_current_fsgid() }
}

/// `uid` in the initial user namespace (the overflow uid if unmapped).
pub(crate) fn uid_in_init_ns(uid: bindings::kuid_t) -> u32 {
    // SAFETY: Takes the address of a static the call only reads.
    unsafe { bindings::from_kuid_munged(&raw mut bindings::init_user_ns, uid) }
}

/// `gid` in the initial user namespace (the overflow gid if unmapped).
pub(crate) fn gid_in_init_ns(gid: bindings::kgid_t) -> u32 {
    // SAFETY: Takes the address of a static the call only reads.
    unsafe { bindings::from_kgid_munged(&raw mut bindings::init_user_ns, gid) }
}
