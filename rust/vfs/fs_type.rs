// SPDX-License-Identifier: GPL-2.0

//! A filesystem type: the `fs_context` and superblock life cycle as a
//! trait.  The C shim registers the type (its tables need C macros) and
//! calls the trampolines of [`FsOps`], which it is given at registration,
//! as binder's C side calls into Rust.
//!
//! The filesystem's state lives in `s_fs_info` (and `fc->s_fs_info` while
//! a mount or remount is parsed) as an [`FsInfo`]: the filesystem's own
//! `Info` and the debugfs directory of its counters.

use core::fmt;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::ffi::{c_int, c_ulong, c_void};
use kernel::prelude::*;
use kernel::types::Opaque;

use super::export::EXPORT_OPS;
use super::{
    errno, to_result, AddressSpaceOps, FileOps, InodeOps, NewInode, SeqFile, SuperBlock, SuperOps,
    XattrHandlers,
};
use crate::bindings;

/// A filesystem type.
pub(crate) trait FileSystem {
    /// The state of a superblock, and the parse target of an `fs_context`
    /// (a mount's options, or those a remount gives).
    type Info: Send + Sync;

    /// The filesystem's data of an inode, made on first use (see
    /// `Inode::data`) and dropped at eviction.
    type InodeData: Send + Sync;

    /// The state of a new `fs_context`: the defaults.
    fn new_info() -> Self::Info;

    /// Applies one parsed mount option to the state being parsed.
    fn apply_param(fc: &FsContext, info: &mut Self::Info, p: &Param<'_>) -> Result;

    /// Fills a new superblock, whose state (`sb.info()`) is the mount's.
    fn fill_super(fc: &FsContext, sb: &NewSuperBlock<'_>) -> Result;

    /// Applies the options a remount gave (`new`) to a mounted superblock.
    fn reconfigure(fc: &FsContext, sb: &SuperBlock, new: &Self::Info) -> Result;

    /// Prints the superblock's counters (debugfs `stats`).
    fn show_stats(sb: &SuperBlock, m: &SeqFile);

    /// The operations of each kind of inode ([`NewInode::new`]).
    fn inode_tables() -> &'static InodeTables;
}

/// The operation tables of each kind of inode of a filesystem whose page
/// cache is its storage.
pub(crate) struct InodeTables {
    /// Every inode's page cache.
    pub(crate) aops: &'static AddressSpaceOps,
    /// Regular files.
    pub(crate) file: &'static InodeOps,
    /// Regular files' file operations.
    pub(crate) file_ops: &'static FileOps,
    /// Directories (their entries live in the dcache).
    pub(crate) dir: &'static InodeOps,
    /// Symbolic links (their target in the page cache).
    pub(crate) symlink: &'static InodeOps,
    /// Device nodes, FIFOs, sockets.
    pub(crate) special: &'static InodeOps,
}

/// The filesystem type the shim was given ([`register`]).
///
/// # Safety
///
/// Implemented by one type per module, the one registered: every
/// `s_fs_info` and `fc->s_fs_info` the shim hands back is then an
/// [`FsInfo`] of its `Info`, which [`SuperBlock::info`] relies on.
pub(crate) unsafe trait Registered: FileSystem {}

/// What `s_fs_info` points to.
pub(crate) struct FsInfo<I> {
    /// The superblock's debugfs directory, or null.  Set once by
    /// `fill_super` while its `stats` file may already be read, hence
    /// atomic.
    debugfs: AtomicPtr<bindings::dentry>,
    info: I,
}

impl SuperBlock {
    /// The filesystem's state of this superblock.
    #[inline]
    pub(crate) fn info<T: Registered>(&self) -> &T::Info {
        &self.fs_info_of::<T>().info
    }

    /// What `s_fs_info` points to.
    #[inline]
    fn fs_info_of<T: Registered>(&self) -> &FsInfo<T::Info> {
        // SAFETY: By `SuperBlock`'s invariants `s_fs_info` is the state
        // moved in before `fill_super` and freed only at the end of
        // `kill_sb`, after `self`'s lifetime; by `Registered` it is an
        // `FsInfo<T::Info>`.
        unsafe { &*self.fs_info().cast::<FsInfo<T::Info>>() }
    }
}

/// The `fs_context` of a mount or remount in progress, used as
/// `&'a FsContext`.
///
/// # Invariants
///
/// The `fs_context` of an operation in progress, for all of `'a`.
#[repr(transparent)]
pub(crate) struct FsContext(Opaque<bindings::fs_context>);

impl FsContext {
    /// # Safety
    ///
    /// `ptr` is the `fs_context` of an operation in progress for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::fs_context) -> &'a FsContext {
        // INVARIANT: By the safety requirements.
        // SAFETY: A transparent wrapper of the C object, live for `'a`.
        unsafe { &*ptr.cast::<FsContext>() }
    }

    /// EINVAL, with `args` logged in the `fs_context` (read from the
    /// fsopen() fd, or the kernel log for mount(2)), as `invalfc()`.
    pub(crate) fn invalid(&self, args: fmt::Arguments<'_>) -> Error {
        // SAFETY: By the type invariants the `fs_context` is live; the shim
        // formats `args` with `%pA` during the call.
        let err = unsafe {
            bindings::rramfs_fc_error(self.0.get(), core::ptr::from_ref(&args).cast::<c_void>())
        };
        Error::from_errno(err)
    }
}

/// One parsed mount option.
///
/// # Invariants
///
/// The shim's parse result for the call in progress: `string` is null or
/// the option's NUL-terminated value, live for `'a`.
pub(crate) struct Param<'a>(&'a bindings::rramfs_param);

impl Param<'_> {
    /// Which option.
    pub(crate) fn opt(&self) -> bindings::rramfs_opt {
        self.0.opt
    }

    /// The value of a numeric or enum option.
    pub(crate) fn uint(&self) -> u32 {
        self.0.uint_32
    }

    /// The value of `uid=`, mapped in the mount's namespace.
    pub(crate) fn uid(&self) -> bindings::kuid_t {
        self.0.uid
    }

    /// The value of `gid=`, mapped in the mount's namespace.
    pub(crate) fn gid(&self) -> bindings::kgid_t {
        self.0.gid
    }

    /// The value as text (empty if there is none).
    pub(crate) fn string(&self) -> &[u8] {
        if self.0.string.is_null() {
            return b"";
        }
        // SAFETY: By the type invariants a non-null `string` is a C string
        // live for the borrow.
        unsafe { super::kver::cstr(self.0.string) }.to_bytes()
    }
}

/// A superblock being filled (`fill_super`): new, locked, seen by nobody
/// else; its state is already in place.
#[repr(transparent)]
pub(crate) struct NewSuperBlock<'a>(&'a SuperBlock);

impl core::ops::Deref for NewSuperBlock<'_> {
    type Target = SuperBlock;

    fn deref(&self) -> &SuperBlock {
        self.0
    }
}

impl NewSuperBlock<'_> {
    /// Sets up a RAM filesystem's superblock: page-sized blocks, files up
    /// to `MAX_LFS_FILESIZE`, 1 ns timestamps, `magic`, these operations
    /// and xattr handlers, and S_NOSEC (as tmpfs: once a file is seen to
    /// have no suid/sgid bit and no security.capability xattr, writes skip
    /// `file_remove_privs()`'s xattr lookup; the VFS clears the flag when
    /// either appears), and file handles (`export.rs`).
    pub(crate) fn set_up<const N: usize>(
        &self,
        magic: u64,
        ops: &'static SuperOps,
        xattr: &'static XattrHandlers<N>,
    ) {
        let sb = self.as_raw();
        // SAFETY: The superblock is new and locked; nobody else uses it.
        unsafe {
            (*sb).s_maxbytes = bindings::MAX_LFS_FILESIZE;
            (*sb).s_blocksize = bindings::PAGE_SIZE as c_ulong;
            (*sb).s_blocksize_bits = bindings::PAGE_SHIFT as u8;
            (*sb).s_magic = magic as c_ulong;
            (*sb).s_op = ops.as_raw();
            (*sb).s_time_gran = 1;
            (*sb).s_flags |= bindings::SB_NOSEC | bindings::SB_POSIXACL_IF_ENABLED;
            (*sb).s_xattr = xattr.as_ptr();
            (*sb).s_export_op = EXPORT_OPS.as_raw();
        }
    }

    /// Makes `root` the root directory (`d_make_root()`).
    pub(crate) fn set_root(&self, root: NewInode) -> Result {
        // SAFETY: `d_make_root` consumes the new inode's reference (and
        // drops it on failure).
        let dentry = unsafe { bindings::d_make_root(root.into_raw()) };
        if dentry.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: The superblock is new and locked; nobody else uses it.
        unsafe { (*self.as_raw()).s_root = dentry };
        Ok(())
    }
}

/// The entry points the shim calls, made by [`FsOps::new`].
#[repr(transparent)]
pub(crate) struct FsOps(bindings::rramfs_fs_ops);

/// Registers `T` (`register_filesystem()`, in the shim); the shim calls
/// `ops`, made by `FsOps::new::<T>()`, from then on.
pub(crate) fn register<T: Registered>(ops: &'static FsOps) -> Result {
    // SAFETY: `ops` is static; its trampolines are `T`'s, which live as
    // long as the module, and `T` is the module's one registered type.
    to_result(unsafe { bindings::rramfs_register(&ops.0) })
}

/// Unregisters the filesystem type.  Unload cannot happen while a
/// superblock exists: each holds a module reference.
pub(crate) fn unregister() {
    // SAFETY: Called at module unload, after a successful `register`.
    unsafe { bindings::rramfs_unregister() };
}

impl FsOps {
    /// The entry points of `T`.
    pub(crate) const fn new<T: Registered>() -> Self {
        FsOps(bindings::rramfs_fs_ops {
            info_alloc: Some(Vtable::<T>::info_alloc),
            info_free: Some(Vtable::<T>::info_free),
            apply_param: Some(Vtable::<T>::apply_param),
            fill_super: Some(Vtable::<T>::fill_super),
            reconfigure: Some(Vtable::<T>::reconfigure),
            kill_sb: Some(Vtable::<T>::kill_sb),
            stats_show: Some(Vtable::<T>::stats_show),
        })
    }
}

/// The trampolines of `T`, called only by the shim, as `rust/shim.h`
/// documents each entry point.
struct Vtable<T>(PhantomData<T>);

impl<T: Registered> Vtable<T> {
    /// The state of a new `fs_context`, or null.
    extern "C" fn info_alloc() -> *mut c_void {
        let info = FsInfo {
            debugfs: AtomicPtr::new(core::ptr::null_mut()),
            info: T::new_info(),
        };
        match KBox::new(info, GFP_KERNEL) {
            Ok(b) => KBox::into_raw(b).cast(),
            Err(_) => core::ptr::null_mut(),
        }
    }

    /// # Safety
    ///
    /// `fsi` is null or came from `info_alloc` and is not used again.
    unsafe extern "C" fn info_free(fsi: *mut c_void) {
        if !fsi.is_null() {
            // SAFETY: By the safety requirements, an owned `KBox`.
            drop(unsafe { KBox::from_raw(fsi.cast::<FsInfo<T::Info>>()) });
        }
    }

    /// # Safety
    ///
    /// `fsi` is the state of the `fs_context` `fc` being parsed, used by no
    /// other thread; `p` is the shim's parse result for the call.
    unsafe extern "C" fn apply_param(
        fc: *mut bindings::fs_context,
        fsi: *mut c_void,
        p: *const bindings::rramfs_param,
    ) -> c_int {
        // SAFETY: By the safety requirements.
        // INVARIANT: `Param`: as the shim documents `rramfs_param`.
        let (fc, info, p) = unsafe {
            (
                FsContext::from_raw(fc),
                &mut (*fsi.cast::<FsInfo<T::Info>>()).info,
                Param(&*p),
            )
        };
        errno(T::apply_param(fc, info, &p))
    }

    /// # Safety
    ///
    /// Called by `get_tree_nodev()` with a new, locked superblock whose
    /// `s_fs_info` came from `info_alloc`, for the `fs_context` `fc`.
    unsafe extern "C" fn fill_super(
        fc: *mut bindings::fs_context,
        sb: *mut bindings::super_block,
    ) -> c_int {
        // SAFETY: By the safety requirements; the superblock lives until
        // `kill_sb`, after this call.
        let (fc, sb) = unsafe { (FsContext::from_raw(fc), SuperBlock::from_raw(sb)) };
        // SAFETY: `sb` is valid; the directory is removed in `kill_sb`.
        let dir = unsafe { bindings::rramfs_debugfs_create(sb.as_raw()) };
        sb.fs_info_of::<T>().debugfs.store(dir, Ordering::Relaxed);
        errno(T::fill_super(fc, &NewSuperBlock(sb)))
    }

    /// # Safety
    ///
    /// `sb` is a mounted superblock of `T` with `s_umount` held for
    /// writing; `new_fsi` is the state of the remount's `fs_context` `fc`.
    unsafe extern "C" fn reconfigure(
        fc: *mut bindings::fs_context,
        sb: *mut bindings::super_block,
        new_fsi: *mut c_void,
    ) -> c_int {
        // SAFETY: By the safety requirements.
        let (fc, sb, new) = unsafe {
            (
                FsContext::from_raw(fc),
                SuperBlock::from_raw(sb),
                &(*new_fsi.cast::<FsInfo<T::Info>>()).info,
            )
        };
        errno(T::reconfigure(fc, sb, new))
    }

    /// Tears a superblock down: every inode is evicted (its folios and
    /// charges go back to the state), then the state is freed.
    ///
    /// # Safety
    ///
    /// Called by the VFS once per superblock of `T`, as its last use.
    unsafe extern "C" fn kill_sb(sb: *mut bindings::super_block) {
        // SAFETY: `sb` is valid; `s_fs_info` is null only if `fill_super`
        // was never reached.
        let fsi = unsafe { (*sb).s_fs_info.cast::<FsInfo<T::Info>>() };
        if !fsi.is_null() {
            // SAFETY: The directory was made by `fill_super`, or is null;
            // removal waits for readers of its `stats` file.
            unsafe { bindings::rramfs_debugfs_remove((*fsi).debugfs.load(Ordering::Relaxed)) };
        }
        // SAFETY: `sb` is a superblock of `T` being killed.
        unsafe { bindings::rramfs_kill_super(sb) };
        // SAFETY: Nothing references the state any longer.
        unsafe { Self::info_free(fsi.cast()) };
    }

    /// # Safety
    ///
    /// `sb` is a live superblock of `T` (debugfs removal waits for
    /// readers); `m` is the seq_file being shown.
    unsafe extern "C" fn stats_show(m: *mut bindings::seq_file, sb: *mut bindings::super_block) {
        // SAFETY: By the safety requirements.
        let (m, sb) = unsafe { (SeqFile::from_raw(m), SuperBlock::from_raw(sb)) };
        T::show_stats(sb, m);
    }
}
