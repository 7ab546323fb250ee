//! Shared by the samples: reading an rramfs mount's counters.

use std::os::unix::fs::MetadataExt;

/// Exits with an error unless `dir` is on an rramfs mount: a sample run
/// anywhere else proves nothing.
pub fn require_rramfs(dir: &str) {
    let c = std::ffi::CString::new(dir).unwrap();
    // SAFETY: Zeroed statfs is a valid out-parameter; the path is valid.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: As above.
    let r = unsafe { libc::statfs(c.as_ptr(), &mut st) };
    // "rram", rramfs's statfs magic.
    assert!(
        r == 0 && st.f_type == 0x7272_616d,
        "{dir} is not on an rramfs mount"
    );
}

/// One counter of the rramfs mount holding `dir`, from debugfs
/// (`/sys/kernel/debug/rramfs/<major>:<minor>/stats`).  Panics (failing
/// the sample) when the file or the counter cannot be read: a missing
/// counter is not a zero.
pub fn stat_counter(dir: &str, name: &str) -> u64 {
    require_rramfs(dir);
    let dev = std::fs::metadata(dir).unwrap().dev();
    let p = format!(
        "/sys/kernel/debug/rramfs/{}:{}/stats",
        libc::major(dev),
        libc::minor(dev)
    );
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    text.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(' ')?;
            (k == name).then(|| v.trim().parse().ok()).flatten()
        })
        .unwrap_or_else(|| panic!("no counter {name:?} in {p}"))
}
