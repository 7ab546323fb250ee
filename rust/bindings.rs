// SPDX-License-Identifier: GPL-2.0

//! rramfs's bindings to the kernel API it uses and to its C shim, generated
//! by bindgen at build time against the kernel being built for (Kbuild,
//! rust/bindings_helper.h, rust/bindgen_parameters).

#![allow(
    dead_code,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    missing_docs,
    unsafe_op_in_unsafe_fn,
    unnecessary_transmutes,
    clippy::all,
    clippy::cast_lossless,
    clippy::ptr_as_ptr,
    clippy::ref_as_ptr,
    clippy::undocumented_unsafe_blocks
)]

include!("bindings_generated.rs");

// Blocklisted in rust/bindgen_parameters, as in the kernel's bindings:
// sizes map to Rust's pointer-sized integers.
pub(crate) type __kernel_size_t = usize;
pub(crate) type __kernel_ssize_t = isize;
pub(crate) type __kernel_ptrdiff_t = isize;
