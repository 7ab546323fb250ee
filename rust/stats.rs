// SPDX-License-Identifier: GPL-2.0

//! Per-superblock counters, shown in `/sys/kernel/debug/rramfs/<dev>/stats`.
//!
//! Tests read them to prove which path an I/O took (for example, that a
//! resident source buffer never takes the slow fault-in path), so they count
//! events exactly; relaxed atomics suffice because nothing is ordered by
//! them.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::vfs::SeqFile;

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// Event counters of one superblock.
        #[derive(Default)]
        pub(crate) struct Stats {
            $($(#[$doc])* pub(crate) $name: AtomicU64,)*
        }

        impl Stats {
            /// Prints every counter as a `name value` line.
            pub(crate) fn show(&self, m: &SeqFile) {
                $(
                    m.print(format_args!(
                        concat!(stringify!($name), " {}\n"),
                        self.$name.load(Ordering::Relaxed),
                    ));
                )*
            }
        }
    };
}

counters! {
    /// Buffered `write_iter` calls.
    write_calls,
    /// Bytes written by buffered writes.
    write_bytes,
    /// `copy_folio_from_iter_atomic()` calls.
    atomic_copies,
    /// Atomic copies that copied less than asked (a source page not present).
    short_copies,
    /// Slow-path `fault_in_iov_iter_readable()` calls, after a copy made no
    /// progress.
    slowpath_faultins,
    /// Prefaults before the copy, in `prefault=always` mode.
    prefaults,
    /// Direct I/O calls (reads and writes).
    dio_calls,
    /// User pages pinned (FOLL_PIN) by direct I/O.
    dio_pages_pinned,
    /// User pages unpinned by direct I/O; equals `dio_pages_pinned` when idle.
    dio_pages_unpinned,
    /// Pages taken from bvec/kvec iterators without a pin or reference.
    dio_pages_unpinned_source,
}

/// Adds `n` to a counter.
#[inline]
pub(crate) fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

/// Adds one to a counter.
#[inline]
pub(crate) fn inc(c: &AtomicU64) {
    add(c, 1)
}
