// SPDX-License-Identifier: GPL-2.0

//! Credentials: the caller's filesystem ids, and ids as the initial user
//! namespace sees them.

use crate::bindings;

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
