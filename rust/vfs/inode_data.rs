// SPDX-License-Identifier: GPL-2.0

//! The filesystem's own data of an inode (`FileSystem::InodeData`),
//! made on first use and kept in `i_private` until eviction.
//!
//! `i_private` is read without a lock (an acquire load), so the data is
//! made by one writer at a time: the holder of the inode lock, or the
//! creator of a new inode that nobody else sees yet.

use core::pin::Pin;
use core::sync::atomic::Ordering;

use kernel::prelude::*;

use super::{Evicting, Inode, InodeLocked, Labelling, NewInode, Registered};

impl Inode {
    /// The inode's data, if it was ever made.  It lives until the inode is
    /// evicted, so for as long as the inode does.
    #[inline]
    pub(crate) fn data<T: Registered>(&self) -> Option<&T::InodeData> {
        let p = self.private().load(Ordering::Acquire);
        // SAFETY: Non-null, `i_private` was set by `data_or_init` to a
        // pinned `T::InodeData` (`Registered`: the module's one type, so no
        // other), freed only through `Evicting`, after the inode's life.
        (!p.is_null()).then(|| unsafe { &*p.cast::<T::InodeData>() })
    }
}

/// The right to make an inode's data: held by one caller at a time.
///
/// # Invariants
///
/// Nobody else makes the inode's data while this lives (see the module
/// doc for who may).
struct SoleMaker<'a>(&'a Inode);

impl<'a> SoleMaker<'a> {
    /// The inode's data, made by `init` if there is none yet.
    fn data_or_init<T: Registered>(
        self,
        init: impl PinInit<T::InodeData>,
    ) -> Result<&'a T::InodeData> {
        let inode = self.0;
        if let Some(d) = inode.data::<T>() {
            return Ok(d);
        }
        // The data is charged to the caller's memory cgroup.
        let b = KBox::pin_init(init, GFP_KERNEL_ACCOUNT)?;
        // SAFETY: Only `Evicting::take_data` frees it, re-pinned.
        let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(b) });
        // By the type invariants we are the only writer.
        inode.private().store(raw.cast(), Ordering::Release);
        // SAFETY: Just made; lives until eviction.
        Ok(unsafe { &*raw })
    }
}

impl<'a> InodeLocked<'a> {
    /// The inode's data, made by `init` if there is none yet.
    pub(crate) fn data_or_init<T: Registered>(
        self,
        init: impl PinInit<T::InodeData>,
    ) -> Result<&'a T::InodeData> {
        // INVARIANT: The inode lock is held: nobody else makes the data.
        SoleMaker(self.inode()).data_or_init::<T>(init)
    }
}

impl NewInode {
    /// The new inode's data, made by `init` if there is none yet.
    pub(crate) fn data_or_init<T: Registered>(
        &self,
        init: impl PinInit<T::InodeData>,
    ) -> Result<&T::InodeData> {
        // INVARIANT: By `NewInode`'s invariants nobody else reaches the
        // inode.
        SoleMaker(self.inode()).data_or_init::<T>(init)
    }
}

impl<'a> Labelling<'a> {
    /// The new inode's data, made by `init` if there is none yet.
    pub(crate) fn data_or_init<T: Registered>(
        self,
        init: impl PinInit<T::InodeData>,
    ) -> Result<&'a T::InodeData> {
        // INVARIANT: `Labelling`: nobody else reaches the new inode.
        SoleMaker(self.inode()).data_or_init::<T>(init)
    }
}

impl Evicting<'_> {
    /// Takes the inode's data, to drop it.
    pub(crate) fn take_data<T: Registered>(self) -> Option<Pin<KBox<T::InodeData>>> {
        let p = self
            .inode()
            .private()
            .swap(core::ptr::null_mut(), Ordering::Acquire);
        // SAFETY: Non-null, a leaked pinned box of `data_or_init` (see
        // `Inode::data`); being evicted, nobody else reaches it.
        (!p.is_null()).then(|| unsafe { Pin::new_unchecked(KBox::from_raw(p.cast())) })
    }
}
