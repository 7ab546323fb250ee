// SPDX-License-Identifier: GPL-2.0

//! rramfs: a RAM filesystem whose files live in the page cache, with a
//! buffered write path that touches user memory once on its fast path and a
//! real O_DIRECT path.
//!
//! The C shim (`shim.c`) registers the filesystem and wraps static inline
//! kernel helpers; everything else is here.  One concept per module:
//!
//! - [`vfs`]: typed access to the kernel objects the I/O paths use.
//! - [`super_block`]: mount options, limits, superblock lifetime, statfs.
//! - [`stats`]: per-superblock counters shown in debugfs.
//! - [`inode`]: inode allocation and attributes.
//! - [`dir`]: the namespace operations.
//! - [`dio`]: the O_DIRECT path.
//! - [`file`]: regular files' operations.
//! - [`folio`]: page-cache folios, accounted against `size=`.
//! - [`read`]: the buffered read path.
//! - [`write`]: the buffered write path.
//! - [`xattr`]: extended attributes.

use kernel::prelude::*;

mod bindings;
mod dio;
mod dir;
mod file;
mod folio;
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

impl kernel::Module for Rramfs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Called once at module load; the shim's file_system_type is
        // static and its callbacks are the Rust functions of this crate,
        // which live as long as the module.
        vfs::to_result(unsafe { bindings::rramfs_register() })?;
        Ok(Rramfs)
    }
}

impl Drop for Rramfs {
    fn drop(&mut self) {
        // SAFETY: `init` registered the filesystem.  Module unload cannot
        // happen while a superblock exists, as each one holds a module
        // reference through `file_system_type.owner`.
        unsafe { bindings::rramfs_unregister() };
    }
}
