// SPDX-License-Identifier: GPL-2.0

//! rramfs: a RAM filesystem whose files live in the page cache, with a
//! buffered write path that touches user memory once on its fast path and a
//! real O_DIRECT path.
//!
//! The C shim (`shim.c`) registers the filesystem and wraps static inline
//! kernel helpers; everything else is here, in layers that import only
//! downwards:
//!
//! 1. [`vfs`]: the typed layer over the kernel objects, the operation
//!    tables built from traits, the kernel-version differences.  The only
//!    place with `unsafe` blocks.
//! 2. The mount's state: [`super_block`] (options, limits, accounting),
//!    [`stats`] (counters shown in debugfs).
//! 3. The I/O paths and the namespace, which implement the `vfs` traits:
//!    [`folio`] (folios charged against `size=`, address-space
//!    operations), [`read`], [`write`], [`dio`] (O_DIRECT), [`file`]
//!    (regular files), [`xattr`], [`acl`] (POSIX ACLs), [`fileattr`]
//!    (chattr flags), [`inode`]
//!    (allocation, eviction), [`dir`].
//! 4. [`fs_type`]: the filesystem type, which ties them to the tables.
//! 5. This file: registration.

use kernel::prelude::*;

mod acl;
mod bindings;
mod dio;
mod dir;
mod file;
mod fileattr;
mod folio;
mod fs_type;
mod inode;
mod read;
mod stats;
mod super_block;
mod vfs;
mod write;
mod xattr;

module! {
    type: Rramfs,
    name: "rramfs",
    description: "RAM filesystem with a one-touch buffered write path and O_DIRECT",
    license: "GPL",
    alias: ["fs-rramfs"],
}

struct Rramfs;

// SAFETY: `super_block::Rramfs` is the one filesystem type of this module,
// the one `init` registers: the state the shim hands back is its.
unsafe impl vfs::Registered for super_block::Rramfs {}

/// The entry points the shim calls.
static FS_OPS: vfs::FsOps = vfs::FsOps::new::<super_block::Rramfs>();

impl kernel::Module for Rramfs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        vfs::register::<super_block::Rramfs>(&FS_OPS)?;
        Ok(Rramfs)
    }
}

impl Drop for Rramfs {
    fn drop(&mut self) {
        vfs::unregister();
    }
}
