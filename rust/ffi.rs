// SPDX-License-Identifier: GPL-2.0

//! Declarations of the C shim's functions (`shim.c`), mirroring `shim.h`.
//!
//! Types come from `kernel::bindings` so that there is one Rust definition
//! of each C struct.

// Only pointers to kernel structs cross this boundary; the lint trips on
// zero-sized opaque types that bindgen emits deep inside them (as in
// `kernel::bindings` itself, which allows it too).
#![allow(improper_ctypes)]

use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_void};

/// Mount option numbers; must match `enum rramfs_opt` in `shim.h`.
pub(crate) mod opt {
    pub(crate) const MODE: i32 = 0;
    pub(crate) const UID: i32 = 1;
    pub(crate) const GID: i32 = 2;
    pub(crate) const SIZE: i32 = 3;
    pub(crate) const NR_INODES: i32 = 4;
    pub(crate) const PREFAULT: i32 = 5;
    pub(crate) const DIO_ALIGN: i32 = 6;
}

/// A parsed mount option; must match `struct rramfs_param` in `shim.h`.
#[repr(C)]
pub(crate) struct Param {
    pub(crate) opt: c_int,
    pub(crate) uint_32: u32,
    pub(crate) uid: bindings::kuid_t,
    pub(crate) gid: bindings::kgid_t,
    pub(crate) string: *const c_char,
}

extern "C" {
    pub(crate) fn rramfs_register() -> c_int;
    pub(crate) fn rramfs_fc_error(fc: *mut c_void, msg: *const c_char) -> c_int;
    pub(crate) fn rramfs_fc_error_name(
        fc: *mut c_void,
        fmt: *const c_char,
        name: *const c_char,
    ) -> c_int;
    pub(crate) fn rramfs_unregister();
    pub(crate) fn rramfs_debugfs_create(sb: *mut bindings::super_block) -> *mut bindings::dentry;
    pub(crate) fn rramfs_debugfs_remove(dir: *mut bindings::dentry);
    pub(crate) fn rramfs_totalram_pages() -> u64;
    pub(crate) fn rramfs_current_fsuid() -> bindings::kuid_t;
    pub(crate) fn rramfs_current_fsgid() -> bindings::kgid_t;
    pub(crate) fn rramfs_statfs_limits(
        buf: *mut bindings::kstatfs,
        blocks: u64,
        bfree: u64,
        files: u64,
        ffree: u64,
    );
    pub(crate) fn rramfs_security_init(
        inode: *mut bindings::inode,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        initxattrs: Option<
            unsafe extern "C" fn(
                *mut bindings::inode,
                *const bindings::xattr,
                *mut c_void,
            ) -> c_int,
        >,
    ) -> c_int;
    pub(crate) fn rramfs_listsecurity(
        inode: *mut bindings::inode,
        buf: *mut c_char,
        size: usize,
    ) -> isize;
    pub(crate) fn rramfs_xattr_is_maclabel(suffix: *const c_char, len: usize) -> bool;
    pub(crate) fn rramfs_mapping_init(mapping: *mut bindings::address_space);
    pub(crate) fn rramfs_inode_spin_lock(inode: *mut bindings::inode);
    pub(crate) fn rramfs_inode_spin_unlock(inode: *mut bindings::inode);
    pub(crate) fn rramfs_mapping_max_folio_order(mapping: *mut bindings::address_space) -> u32;
    pub(crate) fn rramfs_filemap_lock_folio(
        mapping: *mut bindings::address_space,
        index: u64,
    ) -> *mut bindings::folio;
    pub(crate) fn rramfs_filemap_alloc_folio(
        gfp: bindings::gfp_t,
        order: u32,
    ) -> *mut bindings::folio;
    pub(crate) fn rramfs_filemap_get_folio(
        mapping: *mut bindings::address_space,
        index: u64,
    ) -> *mut bindings::folio;
    pub(crate) fn rramfs_copy_folio_to_iter(
        folio: *mut bindings::folio,
        offset: usize,
        bytes: usize,
        i: *mut bindings::iov_iter,
    ) -> usize;
    pub(crate) fn rramfs_file_accessed(file: *mut bindings::file);
    pub(crate) fn rramfs_folio_mapping(folio: *mut bindings::folio)
        -> *mut bindings::address_space;
    pub(crate) fn rramfs_folio_put(folio: *mut bindings::folio);
    pub(crate) fn rramfs_folio_geometry(
        folio: *mut bindings::folio,
        pos: *mut i64,
        size: *mut usize,
        uptodate: *mut bool,
    );
    pub(crate) fn rramfs_folio_size(folio: *mut bindings::folio) -> usize;
    pub(crate) fn rramfs_folio_pos(folio: *mut bindings::folio) -> i64;
    pub(crate) fn rramfs_folio_nr_pages(folio: *mut bindings::folio) -> u64;
    pub(crate) fn rramfs_folio_test_uptodate(folio: *mut bindings::folio) -> bool;
    pub(crate) fn rramfs_folio_mark_uptodate(folio: *mut bindings::folio);
    pub(crate) fn rramfs_folio_zero_segment(folio: *mut bindings::folio, start: usize, end: usize);
    pub(crate) fn rramfs_flush_dcache_folio(folio: *mut bindings::folio);
    pub(crate) fn rramfs_iov_iter_count(i: *const bindings::iov_iter) -> usize;
    pub(crate) fn rramfs_fatal_signal_pending() -> bool;
    pub(crate) fn rramfs_cond_resched();
    pub(crate) fn rramfs_i_size_read(inode: *const bindings::inode) -> i64;
    pub(crate) fn rramfs_i_size_write(inode: *mut bindings::inode, size: i64);
    pub(crate) static rramfs_sb_nosec: kernel::ffi::c_ulong;
    pub(crate) static rramfs_max_lfs_filesize: i64;
    pub(crate) static rramfs_iocb_nowait: c_int;
    pub(crate) static rramfs_iocb_dsync: c_int;
    pub(crate) static rramfs_iocb_append: c_int;
    pub(crate) fn rramfs_generic_write_sync(iocb: *mut bindings::kiocb, count: isize) -> isize;
    pub(crate) fn rramfs_finish_open_simple(file: *mut bindings::file, error: c_int) -> c_int;
    pub(crate) fn rramfs_d_alloc_sibling(dentry: *mut bindings::dentry) -> *mut bindings::dentry;
    pub(crate) fn rramfs_find_folio(
        mapping: *mut bindings::address_space,
        index: u64,
        end: u64,
        first: *mut u64,
        nr: *mut u64,
        uptodate: *mut bool,
    ) -> bool;
    pub(crate) fn rramfs_file_set_can_odirect(file: *mut bindings::file);
    pub(crate) fn rramfs_iov_iter_extract_will_pin(i: *const bindings::iov_iter) -> bool;
    pub(crate) fn rramfs_copy_folio_to_page(
        folio: *mut bindings::folio,
        foff: usize,
        page: *mut bindings::page,
        poff: usize,
        len: usize,
    );
    pub(crate) fn rramfs_copy_page_to_folio(
        folio: *mut bindings::folio,
        foff: usize,
        page: *mut bindings::page,
        poff: usize,
        len: usize,
    );
    pub(crate) fn rramfs_page_index_in(
        page: *mut bindings::page,
        mapping: *mut bindings::address_space,
    ) -> i64;
    pub(crate) fn rramfs_zero_page(page: *mut bindings::page, poff: usize, len: usize);
    pub(crate) fn rramfs_d_make_persistent(
        dentry: *mut bindings::dentry,
        inode: *mut bindings::inode,
    );
    pub(crate) fn rramfs_kill_super(sb: *mut bindings::super_block);
}
