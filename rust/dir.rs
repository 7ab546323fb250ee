// SPDX-License-Identifier: GPL-2.0

//! Directories: the namespace lives in the dcache, as in ramfs.  Every
//! positive dentry is pinned (persistent) until unlink/rmdir.

use kernel::ffi::{c_char, c_int, c_uint};
use kernel::prelude::*;

use crate::bindings;

use crate::{inode, kver};

/// Makes `dentry` a new `inode` of `mode` in `dir`, and updates `dir`'s
/// timestamps.
///
/// # Safety
///
/// Called from a VFS directory operation on `dir`, with `dir` locked and
/// `dentry` negative.
unsafe fn mknod_common(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: u16,
    dev: bindings::dev_t,
) -> Result<*mut bindings::inode> {
    // SAFETY: `dir` is a live rramfs directory, so its superblock is live.
    let inode = unsafe { inode::new((*dir).i_sb, dir, mode, dev)? };
    // SAFETY: `inode` is new; `dir` and `dentry` are valid.
    let err = unsafe { security_init(inode, dir, dentry) };
    if err != 0 {
        // SAFETY: Drops the only reference of the new inode.
        unsafe { bindings::iput(inode) };
        return Err(Error::from_errno(err));
    }
    // SAFETY: `dentry` is negative; the persistent reference keeps the
    // inode until unlink.  `dir` is locked by the VFS.
    unsafe {
        bindings::rramfs_d_make_persistent(dentry, inode);
        touch_dir(dir);
    }
    Ok(inode)
}

/// Lets the LSM label a new inode; the attributes it asks for are kept
/// (and charged) by [`crate::xattr::initxattrs`].
///
/// # Safety
///
/// `inode` is new and seen by nobody else; `dir` and `dentry` are valid.
unsafe fn security_init(
    inode: *mut bindings::inode,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: As for this function; the callback is ours.
    unsafe { bindings::rramfs_security_init(inode, dir, dentry, Some(crate::xattr::initxattrs)) }
}

/// Sets an inode's mtime and ctime to now (a directory's, on a change to
/// its entries).
///
/// # Safety
///
/// `dir` is a valid inode locked by the caller.
pub(crate) unsafe fn touch_dir(dir: *mut bindings::inode) {
    // SAFETY: See the function's safety requirements.
    unsafe {
        let ts = bindings::inode_set_ctime_current(dir);
        (*dir).i_mtime_sec = ts.tv_sec;
        (*dir).i_mtime_nsec = ts.tv_nsec as u32;
    }
}

fn errno(r: Result<*mut bindings::inode>) -> c_int {
    match r {
        Ok(_) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Kernel callback `mknod`.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn mknod(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
    dev: bindings::dev_t,
) -> c_int {
    // SAFETY: Called by the VFS as `inode_operations::mknod`.
    errno(unsafe { mknod_common(dir, dentry, mode, dev) })
}

/// Kernel callback `create`.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn create(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
    // Up to 6.18: O_EXCL, which the VFS has already acted on.
    #[cfg(rramfs_create_has_excl)] _excl: bool,
) -> c_int {
    // SAFETY: Called by the VFS as `inode_operations::create`.
    errno(unsafe { mknod_common(dir, dentry, mode | bindings::S_IFREG as u16, 0) })
}

/// Kernel callback `mkdir`.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn mkdir(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) -> kver::MkdirRet {
    // SAFETY: Called by the VFS as `inode_operations::mkdir`.
    let r = unsafe { mknod_common(dir, dentry, mode | bindings::S_IFDIR as u16, 0) };
    if r.is_ok() {
        // The new directory's ".." links to `dir`.
        // SAFETY: `dir` is valid and locked.
        unsafe { bindings::inc_nlink(dir) };
    }
    kver::mkdir_ret(r.map(|_| ()))
}

/// Kernel callback `symlink`.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn symlink(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    target: *const c_char,
) -> c_int {
    let mode = bindings::S_IFLNK as u16 | 0o777;
    // SAFETY: `dir` is a live rramfs directory.
    let inode = match unsafe { inode::new((*dir).i_sb, dir, mode, 0) } {
        Ok(i) => i,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: `target` is the NUL-terminated link target from the VFS.
    let len = unsafe { kver::cstr(target) }.to_bytes_with_nul().len();
    // SAFETY: `inode` is new, `dir`/`dentry` valid.
    let mut err = unsafe { security_init(inode, dir, dentry) };
    if err == 0 {
        // SAFETY: `inode` is a new symlink inode; `target` holds `len` bytes.
        err = unsafe { bindings::page_symlink(inode, target, len as c_int) };
    }
    if err != 0 {
        // SAFETY: Drops the only reference of the new inode.
        unsafe { bindings::iput(inode) };
        return err;
    }
    // SAFETY: As in `mknod_common`.
    unsafe {
        bindings::rramfs_d_make_persistent(dentry, inode);
        touch_dir(dir);
    }
    0
}

/// Kernel callback `tmpfile`.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn tmpfile(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    file: *mut bindings::file,
    mode: bindings::umode_t,
) -> c_int {
    // SAFETY: `dir` is a live rramfs directory.
    let inode = match unsafe { inode::new((*dir).i_sb, dir, mode, 0) } {
        Ok(i) => i,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: `file` is being opened by the VFS; its dentry is valid.
    let dentry = unsafe { bindings::rramfs_file_dentry(file) };
    // SAFETY: `inode` is new, `dir`/`dentry` valid.
    let err = unsafe { security_init(inode, dir, dentry) };
    if err != 0 {
        // SAFETY: Drops the only reference of the new inode.
        unsafe { bindings::iput(inode) };
    } else {
        // SAFETY: `file`'s dentry is the unnamed dentry made for O_TMPFILE.
        unsafe { bindings::d_tmpfile(file, inode) };
    }
    // SAFETY: `file` is being opened.
    unsafe { bindings::rramfs_finish_open_simple(file, err) }
}

/// `inode_operations::rename`: `simple_rename()` plus RENAME_WHITEOUT, which
/// leaves a whiteout (a 0:0 character device) at the old name, as overlayfs
/// needs of an upper layer.
///
/// # Safety
///
/// Called only by the kernel through rramfs's operation tables, with
/// valid arguments and the locks that operation's contract documents.
unsafe extern "C" fn rename(
    idmap: *mut bindings::mnt_idmap,
    old_dir: *mut bindings::inode,
    old_dentry: *mut bindings::dentry,
    new_dir: *mut bindings::inode,
    new_dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    let known = bindings::RENAME_NOREPLACE | bindings::RENAME_EXCHANGE | bindings::RENAME_WHITEOUT;
    if flags & !known != 0 {
        return EINVAL.to_errno();
    }
    if flags & bindings::RENAME_WHITEOUT != 0 {
        // SAFETY: The VFS holds the locks rename needs; `new_dentry` is valid.
        if unsafe { bindings::simple_empty(new_dentry) } == 0 {
            return kver::code::ENOTEMPTY().to_errno();
        }
        // SAFETY: `old_dentry` is valid; the new dentry is a negative
        // sibling with the same name, which the VFS' rename then leaves in
        // place of the moved one.
        let whiteout = unsafe { bindings::rramfs_d_alloc_sibling(old_dentry) };
        if whiteout.is_null() {
            return ENOMEM.to_errno();
        }
        let mode = bindings::S_IFCHR as u16 | bindings::WHITEOUT_MODE as u16;
        // SAFETY: `old_dir` is locked by the VFS and `whiteout` negative.
        let r = unsafe { mknod_common(old_dir, whiteout, mode, bindings::WHITEOUT_DEV) };
        // SAFETY: Drops our reference; the persistent one stays.
        unsafe { bindings::dput(whiteout) };
        if let Err(e) = r {
            return e.to_errno();
        }
    }
    let flags = flags & !bindings::RENAME_WHITEOUT;
    // SAFETY: Called by the VFS with the locks rename needs.
    unsafe { bindings::simple_rename(idmap, old_dir, old_dentry, new_dir, new_dentry, flags) }
}

/// `inode_operations` of rramfs directories.
pub(crate) static DIR_IOPS: bindings::inode_operations = bindings::inode_operations {
    create: Some(create),
    lookup: Some(bindings::simple_lookup),
    link: Some(bindings::simple_link),
    unlink: Some(bindings::simple_unlink),
    symlink: Some(symlink),
    mkdir: Some(mkdir),
    rmdir: Some(bindings::simple_rmdir),
    mknod: Some(mknod),
    rename: Some(rename),
    listxattr: Some(crate::xattr::listxattr),
    tmpfile: Some(tmpfile),
    setattr: Some(bindings::simple_setattr),
    getattr: Some(bindings::simple_getattr),
    // SAFETY: All-zero is a valid `inode_operations` (no callbacks).
    ..unsafe { core::mem::zeroed() }
};
