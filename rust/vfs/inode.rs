// SPDX-License-Identifier: GPL-2.0

//! `struct inode`: an rramfs inode, and the locks and size changes the
//! I/O paths make on it.

use core::ptr::NonNull;
use core::sync::atomic::AtomicPtr;

use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::types::Opaque;

use core::ffi::CStr;

use super::file_ops::DIR_FILE_OPS;
use super::{
    kver, to_result, Idmap, InodeLock, InodeLocked, InodeReadLock, Mapping, Registered, SuperBlock,
};
use crate::bindings;

/// `i_blocks` counts 512-byte units.
const BLOCKS_PER_PAGE_SHIFT: u32 = bindings::PAGE_SHIFT - 9;

/// A live rramfs inode, used as `&'a Inode`: the C object itself behind
/// [`Opaque`], as the kernel's `rust/kernel/fs/file.rs` wraps files.
///
/// # Invariants
///
/// A `&'a Inode` refers to an inode of a mounted rramfs superblock that
/// stays live for `'a`; its mapping is its own `i_data`.  It is the
/// `vfs_inode` of a `struct rramfs_inode` (the superblock's `alloc_inode`,
/// [`super::SuperOps`], makes every one).
#[repr(transparent)]
pub(crate) struct Inode(Opaque<bindings::inode>);

// `Inode::btime` finds the `rramfs_inode` at the inode's own address.
const _: () = assert!(core::mem::offset_of!(bindings::rramfs_inode, vfs_inode) == 0);

impl Inode {
    /// Wraps an inode.
    ///
    /// # Safety
    ///
    /// `ptr` is an inode of a mounted rramfs superblock that stays live for
    /// `'a` (for example: the inode of a file open for the whole call).
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Inode {
        // INVARIANT: By the safety requirements.
        // SAFETY: `Inode` is a transparent wrapper of the C inode, which is
        // live for `'a`.
        unsafe { &*ptr.cast::<Inode>() }
    }

    /// The raw inode, for the calls this type does not cover yet.
    pub(crate) fn as_raw(&self) -> *mut bindings::inode {
        self.0.get()
    }

    /// The superblock the inode belongs to (mounted, by the invariants).
    pub(crate) fn super_block(&self) -> &SuperBlock {
        // SAFETY: By the type invariants the inode is live while `self` is
        // borrowed, and its superblock is mounted for at least as long.
        unsafe { SuperBlock::from_raw((*self.as_raw()).i_sb) }
    }

    /// The inode's page cache.
    pub(crate) fn mapping(&self) -> &Mapping {
        // SAFETY: By the type invariants the inode is live while `self` is
        // borrowed, and so is its `i_data`, which is its mapping.
        unsafe { Mapping::from_raw((*self.as_raw()).i_mapping) }
    }

    /// The file size (`i_size_read()`: consistent without the inode lock).
    #[inline]
    pub(crate) fn size(&self) -> i64 {
        #[cfg(target_pointer_width = "64")]
        {
            // As `i_size_read()` on 64-bit, without a call: an acquire load
            // that pairs with `i_size_write()`'s release store.
            // SAFETY: By the type invariants the inode, and so the field,
            // is live while `self` is borrowed; it is aligned, and every
            // access to it is atomic (READ_ONCE/smp_store_release in C).
            unsafe { core::sync::atomic::AtomicI64::from_ptr(&raw mut (*self.as_raw()).i_size) }
                .load(core::sync::atomic::Ordering::Acquire)
        }
        #[cfg(not(target_pointer_width = "64"))]
        // SAFETY: By the type invariants the inode is live.
        unsafe {
            bindings::rramfs_i_size_read(self.as_raw())
        }
    }

    /// The inode number and its generation (random: tells a reused
    /// number apart).
    // `i_ino` is an `unsigned long` in 6.12 and a `u64` in 7.3.
    #[allow(clippy::unnecessary_cast)]
    pub(crate) fn ino_gen(&self) -> (u64, u32) {
        // SAFETY: By the type invariants the inode is live; both are set
        // before anyone else can reach the inode and never change.
        unsafe { ((*self.as_raw()).i_ino as u64, (*self.as_raw()).i_generation) }
    }

    /// The inode's creation time (statx's `btime`), set once when it was
    /// made ([`NewInode::new`]).
    pub(crate) fn btime(&self) -> bindings::timespec64 {
        // SAFETY: By the type invariants the inode is live and is the
        // `vfs_inode`, at offset 0, of an `rramfs_inode`; `btime` is
        // written only while the inode is new, before anyone else can
        // reach it.
        unsafe { (*self.as_raw().cast::<bindings::rramfs_inode>()).btime }
    }

    /// Whether the file may grow to `size` (`inode_newsize_ok()`): EFBIG
    /// past s_maxbytes, and past RLIMIT_FSIZE with SIGXFSZ, as every
    /// write path must check.
    pub(crate) fn newsize_ok(&self, size: i64) -> Result {
        // SAFETY: By the type invariants the inode is live.
        to_result(unsafe { bindings::inode_newsize_ok(self.as_raw(), size) })
    }

    /// The inode's private pointer (`i_private`), as an atomic: the
    /// filesystem's own per-inode data (see `inode_data.rs`).  Nothing
    /// else writes it once the inode is set up.
    pub(super) fn private(&self) -> &AtomicPtr<c_void> {
        // SAFETY: By the type invariants the inode, and so the field, is
        // live while `self` is borrowed; it is pointer-sized and aligned,
        // and rramfs only reaches it through this atomic view.
        unsafe { AtomicPtr::from_ptr(&raw mut (*self.as_raw()).i_private) }
    }

    /// Adds `pages` to the inode's `i_blocks`.
    pub(crate) fn add_blocks(&self, pages: u64) {
        let inode = self.as_raw();
        // SAFETY: By the type invariants the inode is live; `i_lock`
        // protects `i_blocks`.
        unsafe {
            bindings::rramfs_inode_spin_lock(inode);
            (*inode).i_blocks += pages << BLOCKS_PER_PAGE_SHIFT;
            bindings::rramfs_inode_spin_unlock(inode);
        }
    }

    /// Lowers `i_blocks` to the pages the page cache holds (`nrpages`), if
    /// it counts more; returns the pages it no longer counts.  Atomic
    /// against [`Self::add_blocks`] and itself.
    pub(crate) fn shrink_blocks_to_cache(&self) -> u64 {
        let inode = self.as_raw();
        // SAFETY: By the type invariants the inode and its mapping are
        // live; `i_lock` protects `i_blocks`.
        unsafe {
            bindings::rramfs_inode_spin_lock(inode);
            let counted = (*inode).i_blocks >> BLOCKS_PER_PAGE_SHIFT;
            let present = (*(*inode).i_mapping).nrpages as u64;
            let gone = counted.saturating_sub(present);
            (*inode).i_blocks -= gone << BLOCKS_PER_PAGE_SHIFT;
            bindings::rramfs_inode_spin_unlock(inode);
            gone
        }
    }

    /// Takes `i_rwsem` for writing: writers, truncation and other size
    /// changes wait.  No rramfs page fault takes it (see [`InodeLock`]).
    pub(crate) fn lock(&self) -> InodeLock<'_> {
        InodeLock::new(self)
    }

    /// Takes `i_rwsem` for reading: size changes wait.
    pub(crate) fn read_lock(&self) -> InodeReadLock<'_> {
        InodeReadLock::new(self)
    }
}

/// A new rramfs inode and its only reference, not yet reachable through the
/// dcache.  Dropped unused, it is released (`iput()`, which evicts it and
/// returns what it was charged); [`Dentry::make_persistent`] and
/// [`NewInode::into_raw`] hand the reference on.
///
/// # Invariants
///
/// `ptr` is a new inode of a mounted rramfs superblock, and this value owns
/// its only reference.
pub(crate) struct NewInode(NonNull<bindings::inode>);

impl NewInode {
    /// Allocates an inode of `sb` (`new_inode()`) of `mode` (type and
    /// permissions) with a new number, the owner `inode_init_owner()` gives
    /// it in `dir` (`None`: the root, owned by the caller) for a caller
    /// coming through a mount with `idmap`, its times set to now and the
    /// operations `T` has for its type; `dev` is only used for device nodes.
    pub(crate) fn new<T: Registered>(
        sb: &SuperBlock,
        dir: Option<&Inode>,
        idmap: Idmap<'_>,
        mode: u16,
        dev: u32,
    ) -> Result<NewInode> {
        // SAFETY: By `SuperBlock`'s invariants `sb` is set up and live.
        let inode = unsafe { bindings::new_inode(sb.as_raw()) };
        if inode.is_null() {
            return Err(ENOMEM);
        }
        let dir = dir.map_or(core::ptr::null(), |d| d.as_raw().cast_const());
        let t = T::inode_tables();
        // SAFETY: `inode` is new and not yet visible to anyone else; `dir`
        // is null or a live directory; `idmap` is valid by its invariants;
        // the tables are static.  `i_mapping` points at the inode's own
        // `i_data`.
        unsafe {
            bindings::rramfs_inode_set_next_ino(inode);
            // Tells a reused number's file handles apart (`export.rs`).
            (*inode).i_generation = bindings::get_random_u32();
            bindings::inode_init_owner(idmap.as_raw(), inode, dir, mode);
            bindings::simple_inode_init_ts(inode);
            // Born now: the times just set, as tmpfs's `i_crtime`.
            (*inode.cast::<bindings::rramfs_inode>()).btime = bindings::timespec64 {
                tv_sec: (*inode).i_mtime_sec,
                // Below 10^9: fits a long.
                tv_nsec: (*inode).i_mtime_nsec as kernel::ffi::c_long,
            };
            // No ACL until one is set or inherited: the cache is the store.
            bindings::rramfs_cache_no_acl(inode);
            // The page cache is the storage: never reclaimed, large folios.
            let mapping = (*inode).i_mapping;
            (*mapping).a_ops = &t.aops.0;
            bindings::rramfs_mapping_init(mapping);
            match u32::from(mode) & bindings::S_IFMT {
                bindings::S_IFREG => {
                    (*inode).i_op = &t.file.0;
                    (*inode).__bindgen_anon_3.i_fop = &t.file_ops.0;
                }
                bindings::S_IFDIR => {
                    (*inode).i_op = &t.dir.0;
                    (*inode).__bindgen_anon_3.i_fop = &DIR_FILE_OPS.0;
                    // Two links: its name and ".".
                    bindings::inc_nlink(inode);
                }
                bindings::S_IFLNK => {
                    (*inode).i_op = &t.symlink.0;
                    bindings::inode_nohighmem(inode);
                }
                _ => {
                    (*inode).i_op = &t.special.0;
                    bindings::init_special_inode(inode, mode, dev);
                }
            }
        }
        // INVARIANT: A new inode of `sb`; `new_inode` gave us its only
        // reference.
        // SAFETY: `new_inode` returned a valid inode.
        Ok(NewInode(unsafe { NonNull::new_unchecked(inode) }))
    }

    fn raw(&self) -> *mut bindings::inode {
        self.0.as_ptr()
    }

    /// Sets the inode's `S_*` flags in `mask` to those of `flags`
    /// (inherited from its directory).
    pub(crate) fn set_flags(&self, flags: u32, mask: u32) {
        // SAFETY: By the type invariants the inode is new and ours alone.
        unsafe { bindings::inode_set_flags(self.raw(), flags, mask) };
    }

    /// Sets the owner (the root's, from the mount options).
    pub(crate) fn set_owner(&self, uid: bindings::kuid_t, gid: bindings::kgid_t) {
        // SAFETY: By the type invariants the inode is new and ours alone.
        unsafe {
            (*self.raw()).i_uid = uid;
            (*self.raw()).i_gid = gid;
        }
    }

    /// Writes a symbolic link's target (`page_symlink()`, through the
    /// page cache's `write_begin`/`write_end`).
    pub(crate) fn page_symlink(&self, target: &CStr) -> Result {
        let len = target.to_bytes_with_nul().len();
        // SAFETY: By the type invariants the inode is a new symlink inode,
        // ours alone; `target` holds `len` bytes.
        to_result(unsafe { bindings::page_symlink(self.raw(), kver::char_ptr(target), len as i32) })
    }

    /// The inode, for as long as this reference is held.
    pub(crate) fn inode(&self) -> &Inode {
        // SAFETY: By the type invariants the reference keeps the inode live
        // while `self` is borrowed.
        unsafe { Inode::from_raw(self.0.as_ptr()) }
    }

    /// Gives the reference to the caller (for `d_make_root()`,
    /// `d_tmpfile()`, which consume it).
    pub(crate) fn into_raw(self) -> *mut bindings::inode {
        let ptr = self.0.as_ptr();
        core::mem::forget(self);
        ptr
    }
}

impl Drop for NewInode {
    fn drop(&mut self) {
        // SAFETY: By the type invariants we own the only reference.
        unsafe { bindings::iput(self.0.as_ptr()) };
    }
}

/// A dentry the VFS handed to a directory operation, used as `&'a Dentry`.
///
/// # Invariants
///
/// A `&'a Dentry` refers to a dentry of an rramfs superblock that stays
/// valid for `'a`.
#[repr(transparent)]
pub(crate) struct Dentry(Opaque<bindings::dentry>);

impl Dentry {
    /// Wraps a dentry.
    ///
    /// # Safety
    ///
    /// `ptr` is a dentry of an rramfs superblock, valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::dentry) -> &'a Dentry {
        // INVARIANT: By the safety requirements.
        // SAFETY: `Dentry` is a transparent wrapper of the C dentry, which
        // is valid for `'a`.
        unsafe { &*ptr.cast::<Dentry>() }
    }

    /// The raw dentry, for the calls this type does not cover yet.
    pub(crate) fn as_raw(&self) -> *mut bindings::dentry {
        self.0.get()
    }

    /// Makes this negative dentry `inode`, and pins it (the name lives only
    /// in the dcache, as in ramfs) until unlink or rmdir drops the pin.
    /// The caller holds the parent directory's lock (`parent`).
    pub(crate) fn make_persistent(&self, _parent: InodeLocked<'_>, inode: NewInode) {
        // SAFETY: By the type invariants the dentry is valid; it is
        // negative and its parent is locked, as the VFS guarantees in a
        // directory operation; the inode's reference goes to the dentry.
        unsafe { bindings::rramfs_d_make_persistent(self.as_raw(), inode.into_raw()) };
    }
}

impl Dentry {
    /// Whether the dentry has no children (`simple_empty()`): a negative
    /// dentry, or an empty directory's.
    pub(crate) fn is_empty(&self) -> bool {
        // SAFETY: By the type invariants the dentry is valid.
        unsafe { bindings::simple_empty(self.as_raw()) != 0 }
    }

    /// A new negative dentry with this one's parent and name
    /// (`d_alloc()`), for an entry that takes this name's place.
    pub(crate) fn alloc_sibling(&self) -> Result<DentryRef> {
        // SAFETY: By the type invariants the dentry is valid.
        let d = unsafe { bindings::rramfs_d_alloc_sibling(self.as_raw()) };
        // INVARIANT: A new dentry of the same superblock, with a reference
        // that is now ours.
        NonNull::new(d).map(DentryRef).ok_or(ENOMEM)
    }
}

/// A dentry with a reference owned by this value (`dput()` on drop).
///
/// # Invariants
///
/// The pointer is a dentry of an rramfs superblock on which this value
/// owns a reference.
pub(crate) struct DentryRef(NonNull<bindings::dentry>);

impl core::ops::Deref for DentryRef {
    type Target = Dentry;

    fn deref(&self) -> &Dentry {
        // SAFETY: By the type invariants our reference keeps it valid.
        unsafe { Dentry::from_raw(self.0.as_ptr()) }
    }
}

impl Drop for DentryRef {
    fn drop(&mut self) {
        // SAFETY: By the type invariants we own a reference.
        unsafe { bindings::dput(self.0.as_ptr()) };
    }
}
