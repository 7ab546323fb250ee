// SPDX-License-Identifier: GPL-2.0

//! File handles (`name_to_handle_at`, `open_by_handle_at`, NFS export),
//! as tmpfs makes them: a handle is the inode's generation and 64-bit
//! number, and finds the inode for as long as it is in memory, which on a
//! RAM filesystem is as long as it exists (linked, or open).  A handle of
//! an inode that is gone gets ESTALE, and so does a reused number: the
//! generation is random.
//!
//! The inode hash is what finds an inode by number (`ilookup5()`), and
//! rramfs inodes are not in it: an inode joins it when its first handle is
//! made, so creating files costs nothing more, and leaves it when evicted.
//! Directories are always connected (every dentry of a RAM filesystem is
//! in the dcache), so there is no parent to find from a handle.

use kernel::ffi::{c_int, c_void};

use super::{kver, Inode};
use crate::bindings;

/// The words of a handle: generation, inode number low and high.
const FH_WORDS: c_int = 3;

/// The handle type `encode_fh` reports (tmpfs's; only rramfs reads it).
const FH_TYPE: c_int = bindings::FILEID_INO32_GEN as c_int;

/// An `export_operations` table.
#[repr(transparent)]
pub(crate) struct ExportOps(bindings::export_operations);

// SAFETY: The table is never written; the kernel only reads it.
unsafe impl Sync for ExportOps {}

impl ExportOps {
    /// The table, for `s_export_op`.
    pub(crate) fn as_raw(&'static self) -> *const bindings::export_operations {
        &self.0
    }
}

/// The superblock's `s_export_op`.
pub(crate) static EXPORT_OPS: ExportOps = ExportOps(bindings::export_operations {
    encode_fh: Some(encode_fh),
    fh_to_dentry: Some(fh_to_dentry),
    get_parent: Some(get_parent),
    // SAFETY: All-zero is a valid `export_operations` (no callbacks, no
    // flags).
    ..unsafe { core::mem::zeroed() }
});

/// The inode hash value of the inode `ino` of generation `gen`: spreads
/// equal numbers of different generations (the hash is modular: wrapping
/// is meant, as tmpfs's `i_ino + i_generation`).
fn hashval(ino: u64, gen: u32) -> u64 {
    ino.wrapping_add(u64::from(gen))
}

/// `encode_fh`: the handle of `inode`, three words, in `fh`.
///
/// # Safety
///
/// Called by exportfs for a live rramfs inode, with `fh` holding `*max_len`
/// words.
unsafe extern "C" fn encode_fh(
    inode: *mut bindings::inode,
    fh: *mut u32,
    max_len: *mut c_int,
    _parent: *mut bindings::inode,
) -> c_int {
    // SAFETY: By the function's safety requirements.
    unsafe {
        if *max_len < FH_WORDS {
            *max_len = FH_WORDS;
            return bindings::FILEID_INVALID as c_int;
        }
        let (ino, gen) = Inode::from_raw(inode).ino_gen();
        // From now on `fh_to_dentry` can find it.
        bindings::rramfs_inode_hash_once(inode, hashval(ino, gen));
        *fh = gen;
        // The low word (truncation meant), then the high one.
        *fh.add(1) = ino as u32;
        *fh.add(2) = (ino >> 32) as u32;
        *max_len = FH_WORDS;
    }
    FH_TYPE
}

/// The inode number and generation a handle names.
struct Handle {
    ino: u64,
    gen: u32,
}

/// `ilookup5()`'s test: whether `inode` is the one the handle names.
///
/// # Safety
///
/// Called by `ilookup5()` for a live inode of the (rramfs) superblock, with
/// the `Handle` that `fh_to_dentry` passed.
unsafe extern "C" fn is_handle_of(inode: *mut bindings::inode, data: *mut c_void) -> c_int {
    // SAFETY: By the function's safety requirements.
    let (h, inode) = unsafe { (&*data.cast::<Handle>(), Inode::from_raw(inode)) };
    c_int::from(inode.ino_gen() == (h.ino, h.gen))
}

/// `fh_to_dentry`: a dentry of the inode the handle in `fid` names, or
/// null when it is gone (exportfs reports ESTALE).
///
/// # Safety
///
/// Called by exportfs for a mounted rramfs superblock, with `fid` holding
/// `fh_len` words.
unsafe extern "C" fn fh_to_dentry(
    sb: *mut bindings::super_block,
    fid: *mut bindings::fid,
    fh_len: c_int,
    _fh_type: c_int,
) -> *mut bindings::dentry {
    if fh_len < FH_WORDS {
        return core::ptr::null_mut();
    }
    let w = fid.cast::<u32>();
    // SAFETY: `fid` holds at least `FH_WORDS` words (checked above).
    let mut h = unsafe {
        Handle {
            ino: u64::from(*w.add(1)) | u64::from(*w.add(2)) << 32,
            gen: *w,
        }
    };
    // The key is an `unsigned long` in 6.12 and a `u64` in 7.3: `as _`
    // converts as C does (the identity on 64-bit).
    #[allow(clippy::as_underscore)]
    // SAFETY: `sb` is mounted; `is_handle_of` reads `h` only during the
    // call; `ilookup5` returns a referenced inode of `sb`, or null.
    let inode = unsafe {
        bindings::ilookup5(
            sb,
            hashval(h.ino, h.gen) as _,
            Some(is_handle_of),
            (&raw mut h).cast(),
        )
    };
    if inode.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: We hold a reference to `inode` until the `iput`; a dentry
    // found holds its own (prefer a hashed one: a name that still exists).
    unsafe {
        let mut dentry = bindings::d_find_alias(inode);
        if dentry.is_null() {
            dentry = bindings::d_find_any_alias(inode);
        }
        bindings::iput(inode);
        dentry
    }
}

/// `get_parent`: never needed (see the module doc), so a handle of a
/// directory whose dentry is gone is stale.
///
/// # Safety
///
/// Called by exportfs; `child` is not used.
unsafe extern "C" fn get_parent(_child: *mut bindings::dentry) -> *mut bindings::dentry {
    kver::code::ESTALE().to_ptr()
}
