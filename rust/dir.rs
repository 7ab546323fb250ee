// SPDX-License-Identifier: GPL-2.0

//! Directories: the namespace lives in the dcache, as in ramfs.  Every
//! positive dentry is pinned (persistent) until unlink/rmdir.

use core::ffi::CStr;

use kernel::ffi::{c_char, c_int, c_uint};
use kernel::prelude::*;

use crate::bindings;

use crate::{
    inode, kver,
    vfs::{to_result, Dentry, Inode, InodeLocked, NewInode},
};

/// Makes `dentry` a new inode of `mode` in `dir`, and updates `dir`'s
/// timestamps.  `dentry` is negative (a directory operation's new name).
fn mknod_common(dir: InodeLocked<'_>, dentry: &Dentry, mode: u16, dev: bindings::dev_t) -> Result {
    let inode = inode::new_in(dir.inode(), mode, dev)?;
    security_init(&inode, dir.inode(), dentry)?;
    dentry.make_persistent(dir, inode);
    dir.touch();
    Ok(())
}

/// Lets the LSM label a new inode; the attributes it asks for are kept
/// (and charged) by [`crate::xattr::initxattrs`].
fn security_init(inode: &NewInode, dir: &Inode, dentry: &Dentry) -> Result {
    // SAFETY: `inode` is new and seen by nobody else; `dir` and `dentry`
    // are valid for the call; the callback is ours.
    to_result(unsafe {
        bindings::rramfs_security_init(
            inode.inode().as_raw(),
            dir.as_raw(),
            dentry.as_raw(),
            Some(crate::xattr::initxattrs),
        )
    })
}

fn errno(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// The arguments of a directory operation that creates a name in `dir`:
/// the locked directory and the new (negative) dentry.
///
/// # Safety
///
/// Called with the arguments of a VFS directory operation on an rramfs
/// directory, which holds `dir`'s lock for the call.
unsafe fn dir_args<'a>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> (InodeLocked<'a>, &'a Dentry) {
    // SAFETY: By the function's safety requirements.
    unsafe {
        (
            InodeLocked::assume(Inode::from_raw(dir)),
            Dentry::from_raw(dentry),
        )
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
    let (dir, dentry) = unsafe { dir_args(dir, dentry) };
    errno(mknod_common(dir, dentry, mode, dev))
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
    let (dir, dentry) = unsafe { dir_args(dir, dentry) };
    errno(mknod_common(
        dir,
        dentry,
        mode | bindings::S_IFREG as u16,
        0,
    ))
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
    let (locked, dentry) = unsafe { dir_args(dir, dentry) };
    let r = mknod_common(locked, dentry, mode | bindings::S_IFDIR as u16, 0);
    if r.is_ok() {
        // The new directory's ".." links to `dir`.
        // SAFETY: `dir` is valid and locked.
        unsafe { bindings::inc_nlink(dir) };
    }
    kver::mkdir_ret(r)
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
    // SAFETY: Called by the VFS as `inode_operations::symlink`.
    let (dir, dentry) = unsafe { dir_args(dir, dentry) };
    // SAFETY: `target` is the NUL-terminated link target from the VFS.
    let target = unsafe { kver::cstr(target) };
    errno(symlink_common(dir, dentry, target))
}

/// The body of [`symlink`]: the target goes into the page cache.
fn symlink_common(dir: InodeLocked<'_>, dentry: &Dentry, target: &CStr) -> Result {
    let inode = inode::new_in(dir.inode(), bindings::S_IFLNK as u16 | 0o777, 0)?;
    security_init(&inode, dir.inode(), dentry)?;
    let len = target.to_bytes_with_nul().len();
    // SAFETY: `inode` is a new symlink inode; `target` holds `len` bytes.
    to_result(unsafe {
        bindings::page_symlink(inode.inode().as_raw(), kver::char_ptr(target), len as c_int)
    })?;
    dentry.make_persistent(dir, inode);
    dir.touch();
    Ok(())
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
    // SAFETY: `dir` is a live rramfs directory; `file` is being opened by
    // the VFS, on the unnamed dentry made for O_TMPFILE.
    let (dir, dentry) = unsafe {
        (
            Inode::from_raw(dir),
            Dentry::from_raw(bindings::rramfs_file_dentry(file)),
        )
    };
    let err = errno(inode::new_in(dir, mode, 0).and_then(|inode| {
        security_init(&inode, dir, dentry)?;
        // SAFETY: `file`'s dentry is the unnamed dentry made for O_TMPFILE;
        // `d_tmpfile` consumes the inode's reference.
        unsafe { bindings::d_tmpfile(file, inode.into_raw()) };
        Ok(())
    }));
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
        // SAFETY: `old_dir` is an rramfs directory locked by the VFS for the
        // call; `whiteout` is a negative dentry we hold a reference to.
        let (locked, white) = unsafe { dir_args(old_dir, whiteout) };
        let r = mknod_common(locked, white, mode, bindings::WHITEOUT_DEV);
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
