//! The model-checked fuzzer (see `crate::fuzz`), for a fixed time budget:
//! fixed seeds, so that a run is reproducible; `make fuzz` runs others.

use crate::harness::TestResult;

crate::tests![model_check => 900];

/// Three seeds of 400 operations each.
fn model_check() -> TestResult {
    for seed in [1, 2, 3] {
        crate::fuzz::run(seed, 400)?;
    }
    Ok(())
}
