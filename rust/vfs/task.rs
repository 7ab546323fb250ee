// SPDX-License-Identifier: GPL-2.0

//! The current task: what a long I/O loop checks between steps; and the
//! machine's memory, which default limits are a share of.

use crate::bindings;

/// Whether the current task has a fatal signal pending (SIGKILL): a long
/// read or write stops early, returning what it did.
pub(crate) fn fatal_signal_pending() -> bool {
    // SAFETY: Reads the current task's pending signals; always valid.
    unsafe { bindings::rramfs_fatal_signal_pending() }
}

/// Lets the scheduler run something else if it wants to.  Sleeps: the
/// caller must hold no spinlock.
pub(crate) fn cond_resched() {
    // SAFETY: Callable from any sleepable context; rramfs calls it only
    // from its I/O loops, which hold no spinlock.
    unsafe { bindings::rramfs_cond_resched() };
}

/// The machine's RAM in pages (`totalram_pages()`).
pub(crate) fn totalram_pages() -> u64 {
    // SAFETY: Only reads a global counter.
    unsafe { bindings::rramfs_totalram_pages() }
}
