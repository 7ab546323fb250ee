// SPDX-License-Identifier: GPL-2.0

//! Harness self-test: a module whose load panics in Rust, which the kernel
//! turns into a BUG and an Oops of the loading task — what an unchecked
//! arithmetic overflow in rramfs would do — to prove that `make check`
//! fails on one (see tools/testing/harness-selftest.sh).

use kernel::prelude::*;

module! {
    type: SelftestBug,
    name: "rramfs_selftest_bug",
    description: "rramfs harness self-test: a Rust panic at load",
    license: "GPL",
}

struct SelftestBug;

impl kernel::Module for SelftestBug {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // An overflow, as `checked_add` exists to prevent; the value comes
        // through `black_box` so that the compiler cannot reject it.
        let x = core::hint::black_box(i64::MAX);
        let _ = core::hint::black_box(x + 1);
        Ok(SelftestBug)
    }
}
