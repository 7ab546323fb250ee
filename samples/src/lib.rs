//! Shared by the samples: reading an rramfs mount's counters.

use std::os::unix::fs::MetadataExt;

/// One counter of the rramfs mount holding `dir`, from debugfs
/// (`/sys/kernel/debug/rramfs/<major>:<minor>/stats`); 0 if unreadable.
pub fn stat_counter(dir: &str, name: &str) -> u64 {
    let dev = std::fs::metadata(dir).unwrap().dev();
    let p = format!(
        "/sys/kernel/debug/rramfs/{}:{}/stats",
        libc::major(dev),
        libc::minor(dev)
    );
    let text = std::fs::read_to_string(p).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0)
}
