// SPDX-License-Identifier: GPL-2.0

//! `struct file_operations` of page-cache files, built from a trait (see
//! [`super::inode_ops`] for the pattern).  `mmap`, which became
//! `mmap_prepare` in 6.17, is the kernel's generic page-cache one on every
//! kernel, chosen here.

use core::marker::PhantomData;

use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::ffi::{c_int, c_long, c_uint};
use kernel::prelude::*;

use super::{count_or_errno, errno, File, IovIter, Kiocb};
use crate::bindings;

/// Where `splice_read` takes a run of the file from.
pub(crate) enum SpliceFrom {
    /// The page cache, by reference (`filemap_splice_read()`).
    Cache,
    /// A copy through `read_iter` (`copy_splice_read()`).
    Copy,
}

/// The file operations of regular files whose data is in the page cache.
/// `llseek` and `splice_read`, if left out, are the kernel's generic
/// page-cache ones; other callbacks left out are absent.
#[vtable]
pub(crate) trait FileOperations {
    /// `read_iter`: returns the bytes read.
    fn read_iter(_iocb: &mut Kiocb<'_>, _to: &mut IovIter<'_>) -> Result<usize> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `write_iter`: returns the bytes written.
    fn write_iter(_iocb: &mut Kiocb<'_>, _from: &mut IovIter<'_>) -> Result<usize> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `llseek`: returns the new position.
    fn llseek(_file: &File, _offset: i64, _whence: i32) -> Result<i64> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `splice_read` (and sendfile's): where to take up to `len` bytes at
    /// `pos` from, and how many (one call covers one kind of run; splice's
    /// callers loop).
    fn splice_read(_file: &File, _pos: i64, _len: usize) -> (SpliceFrom, usize) {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `fsync` of the whole file.
    fn fsync(_file: &File) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `fallocate` with `mode` (`FALLOC_FL_*`).
    fn fallocate(_file: &File, _mode: u32, _offset: i64, _len: i64) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A `file_operations` table, made by [`FileOps::new`].
#[repr(transparent)]
pub(crate) struct FileOps(pub(super) bindings::file_operations);

// SAFETY: An immutable table: its only pointer, `owner`, is null.
unsafe impl Sync for FileOps {}

impl FileOps {
    /// The table of `T`'s operations.  Opening a file allows O_DIRECT
    /// when `direct_io` is set (`read_iter`/`write_iter` see IOCB_DIRECT).
    pub(crate) const fn new<T: FileOperations>(direct_io: bool) -> Self {
        FileOps(bindings::file_operations {
            open: if direct_io {
                Some(open_direct)
            } else {
                Some(bindings::generic_file_open)
            },
            read_iter: if T::HAS_READ_ITER {
                Some(Vtable::<T>::read_iter)
            } else {
                None
            },
            write_iter: if T::HAS_WRITE_ITER {
                Some(Vtable::<T>::write_iter)
            } else {
                None
            },
            #[cfg(rramfs_mmap_prepare)]
            mmap_prepare: Some(bindings::generic_file_mmap_prepare),
            #[cfg(not(rramfs_mmap_prepare))]
            mmap: Some(bindings::generic_file_mmap),
            fsync: if T::HAS_FSYNC {
                Some(Vtable::<T>::fsync)
            } else {
                None
            },
            fallocate: if T::HAS_FALLOCATE {
                Some(Vtable::<T>::fallocate)
            } else {
                None
            },
            splice_read: if T::HAS_SPLICE_READ {
                Some(Vtable::<T>::splice_read)
            } else {
                Some(bindings::filemap_splice_read)
            },
            splice_write: Some(bindings::iter_file_splice_write),
            // Leases (F_SETLEASE) as tmpfs: 7.3's VFS offers them only to
            // a filesystem that names a `setlease` (6.12 fell back to this).
            setlease: Some(bindings::generic_setlease),
            llseek: if T::HAS_LLSEEK {
                Some(Vtable::<T>::llseek)
            } else {
                Some(bindings::generic_file_llseek)
            },
            // SAFETY: All-zero is a valid `file_operations`.
            ..unsafe { core::mem::zeroed() }
        })
    }
}

/// The `file_operations` of every rramfs directory: the kernel's
/// `simple_dir_operations` (entries are read from the dcache, as in
/// ramfs), plus `setlease`, through which 7.3 grants directory
/// delegations (`F_SETDELEG`; F_SETLEASE refuses directories) as on
/// tmpfs's directories; the VFS breaks a delegation when someone changes
/// the directory.
pub(super) static DIR_FILE_OPS: FileOps = FileOps(bindings::file_operations {
    open: Some(bindings::dcache_dir_open),
    release: Some(bindings::dcache_dir_close),
    llseek: Some(bindings::dcache_dir_lseek),
    read: Some(bindings::generic_read_dir),
    iterate_shared: Some(bindings::dcache_readdir),
    fsync: Some(bindings::noop_fsync),
    setlease: Some(bindings::generic_setlease),
    // SAFETY: All-zero is a valid `file_operations`.
    ..unsafe { core::mem::zeroed() }
});

/// `file_operations::open` of files that support O_DIRECT.
///
/// # Safety
///
/// Called by the VFS for `file`, being opened on `inode`.
unsafe extern "C" fn open_direct(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: `file` is being opened on `inode`.
    unsafe {
        bindings::rramfs_file_set_can_odirect(file);
        bindings::generic_file_open(inode, file)
    }
}

/// The trampolines of `T`'s operations.
///
/// Every function here is called only by the VFS through a table made by
/// [`FileOps::new`], for a file open on an rramfs inode, with live
/// arguments that nothing else uses for the call; their SAFETY comments
/// rely on that.
struct Vtable<T>(PhantomData<T>);

impl<T: FileOperations> Vtable<T> {
    /// `read_iter`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn read_iter(
        iocb: *mut bindings::kiocb,
        to: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: See the type doc.
        let (mut iocb, mut to) = unsafe { (Kiocb::from_raw(iocb), IovIter::from_raw(to)) };
        count_or_errno(T::read_iter(&mut iocb, &mut to))
    }

    /// `write_iter`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn write_iter(
        iocb: *mut bindings::kiocb,
        from: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: See the type doc.
        let (mut iocb, mut from) = unsafe { (Kiocb::from_raw(iocb), IovIter::from_raw(from)) };
        count_or_errno(T::write_iter(&mut iocb, &mut from))
    }

    /// `llseek`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn llseek(file: *mut bindings::file, offset: i64, whence: c_int) -> i64 {
        // SAFETY: See the type doc.
        let file = unsafe { File::from_raw(file) };
        T::llseek(file, offset, whence).unwrap_or_else(|e| i64::from(e.to_errno()))
    }

    /// `splice_read`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn splice_read(
        file: *mut bindings::file,
        ppos: *mut bindings::loff_t,
        pipe: *mut bindings::pipe_inode_info,
        len: usize,
        flags: c_uint,
    ) -> isize {
        // SAFETY: See the type doc; `ppos` is valid.
        let (f, pos) = unsafe { (File::from_raw(file), *ppos) };
        let (from, len) = T::splice_read(f, pos, len);
        // SAFETY: As called, for at most the length asked.
        unsafe {
            match from {
                SpliceFrom::Cache => bindings::filemap_splice_read(file, ppos, pipe, len, flags),
                SpliceFrom::Copy => bindings::copy_splice_read(file, ppos, pipe, len, flags),
            }
        }
    }

    /// `fsync`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn fsync(
        file: *mut bindings::file,
        _start: i64,
        _end: i64,
        _datasync: c_int,
    ) -> c_int {
        // SAFETY: See the type doc.
        errno(T::fsync(unsafe { File::from_raw(file) }))
    }

    /// `fallocate`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the table (see the type doc).
    unsafe extern "C" fn fallocate(
        file: *mut bindings::file,
        mode: c_int,
        offset: i64,
        len: i64,
    ) -> c_long {
        // SAFETY: See the type doc.
        errno(T::fallocate(
            unsafe { File::from_raw(file) },
            mode as u32,
            offset,
            len,
        )) as c_long
    }
}
