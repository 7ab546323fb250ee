// SPDX-License-Identifier: GPL-2.0

//! Harness self-test: a module whose load triggers a kernel warning, to
//! prove that `make check` fails on one (see tools/testing/harness-selftest.sh).

use kernel::prelude::*;

module! {
    type: SelftestWarn,
    name: "rramfs_selftest_warn",
    description: "rramfs harness self-test: WARN_ON at load",
    license: "GPL",
}

struct SelftestWarn;

impl kernel::Module for SelftestWarn {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        kernel::warn_on!(true);
        Ok(SelftestWarn)
    }
}
