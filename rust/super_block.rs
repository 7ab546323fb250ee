// SPDX-License-Identifier: GPL-2.0

//! The superblock: mount options, limits, lifetime and statfs.
//!
//! One [`SbInfo`] is made per `fs_context` (the options being parsed);
//! `get_tree_nodev()` moves it into `sb->s_fs_info`, where it lives until
//! the superblock is killed (see [`crate::vfs::FileSystem`]).  A remount
//! parses into a fresh `SbInfo`, and `reconfigure` copies the options that
//! were given.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;

use crate::bindings;

use crate::{
    stats::Stats,
    vfs::{cred, totalram_pages, FsContext, Inode, Kstatfs, Param, SeqFile, SuperBlock},
};

/// `statfs` magic: "rram".
pub(crate) const RRAMFS_MAGIC: u64 = 0x7272_616d;
const PAGE_SIZE: u64 = bindings::PAGE_SIZE as u64;
const DEFAULT_MODE: u16 = 0o755;

/// Bytes of inode space an inode costs, as tmpfs's `BOGO_INODE_SIZE`:
/// `nr_inodes=N` gives `N * INODE_SPACE` bytes that inodes and extended
/// attributes share, so that xattrs a user can create are bounded by the
/// mount's limits, like the data is by `size=`.
pub(crate) const INODE_SPACE: u64 = 1024;

/// The inode space an extended attribute costs: tmpfs's
/// `simple_xattr_space()` (a fixed 40 bytes of overhead, the full name and
/// the value), so both filesystems hold the same attributes for the same
/// `nr_inodes=`.
pub(crate) fn xattr_space(full_name_len: usize, value_len: usize) -> u64 {
    40 + full_name_len as u64 + value_len as u64
}

/// How the buffered write path treats the source buffer (`prefault=`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prefault {
    /// Fault the source in only after an atomic copy made no progress
    /// (the v6.14 pattern: user memory is touched once on the fast path).
    SlowPath = 0,
    /// Fault in every chunk before locking its folio (the pre-6.14 pattern),
    /// kept to measure the difference on the same kernel.
    Always = 1,
}

/// Per-superblock state; also the parse target of an `fs_context`.
pub(crate) struct SbInfo {
    // Set at mount only (like tmpfs): the root directory's attributes.
    mode: u16,
    uid: bindings::kuid_t,
    gid: bindings::kgid_t,
    /// Size limit in pages; 0 = unlimited.
    max_blocks: AtomicU64,
    /// Inode limit; 0 = unlimited.  It also bounds the inode space (see
    /// [`INODE_SPACE`]), which inodes and extended attributes share.
    max_inodes: AtomicU64,
    prefault: AtomicU32,
    /// Required O_DIRECT alignment of offset, length and memory address.
    dio_align: AtomicU32,
    /// Which options this `fs_context` was given (bit = option number).
    seen: u32,
    /// Pages in the page cache of this superblock's files.
    used_blocks: AtomicU64,
    /// Live inodes, the root included.
    used_inodes: AtomicU64,
    /// Bytes of inode space in use: [`INODE_SPACE`] per live inode plus
    /// [`xattr_space`] per extended attribute.
    used_ispace: AtomicU64,
    pub(crate) stats: Stats,
}

impl SbInfo {
    pub(crate) fn new() -> Self {
        // Like tmpfs: half of RAM, and as many inodes as half of RAM's pages.
        let half = totalram_pages() / 2;
        SbInfo {
            mode: DEFAULT_MODE,
            uid: cred::current_fsuid(),
            gid: cred::current_fsgid(),
            max_blocks: AtomicU64::new(half),
            max_inodes: AtomicU64::new(half),
            prefault: AtomicU32::new(Prefault::SlowPath as u32),
            dio_align: AtomicU32::new(512),
            seen: 0,
            used_blocks: AtomicU64::new(0),
            used_inodes: AtomicU64::new(0),
            used_ispace: AtomicU64::new(0),
            stats: Stats::default(),
        }
    }

    /// Returns the `SbInfo` of a mounted superblock.
    #[inline]
    pub(crate) fn of(sb: &SuperBlock) -> &SbInfo {
        sb.info::<Rramfs>()
    }

    /// Returns the `SbInfo` of the superblock `inode` belongs to.
    pub(crate) fn of_inode(inode: &Inode) -> &SbInfo {
        Self::of(inode.super_block())
    }

    /// The current `prefault=` mode.
    pub(crate) fn prefault(&self) -> Prefault {
        if self.prefault.load(Ordering::Relaxed) == Prefault::Always as u32 {
            Prefault::Always
        } else {
            Prefault::SlowPath
        }
    }

    /// The current `dio_align=` value.
    pub(crate) fn dio_align(&self) -> u32 {
        self.dio_align.load(Ordering::Relaxed)
    }

    /// Reserves `n` pages against `size=`, or fails with `ENOSPC`.
    pub(crate) fn reserve(&self, n: u64) -> Result {
        reserve(&self.used_blocks, &self.max_blocks, n)
    }

    /// Returns `n` pages reserved by [`Self::reserve`].
    pub(crate) fn unreserve(&self, n: u64) {
        self.used_blocks.fetch_sub(n, Ordering::Relaxed);
    }

    /// Charges `n` pages that `inode`'s page cache just gained: reserved
    /// against `size=`, and counted in the inode's `i_blocks`.  `inode` is
    /// an inode of this superblock.
    pub(crate) fn charge(&self, inode: &Inode, n: u64) -> Result {
        self.reserve(n)?;
        inode.add_blocks(n);
        Ok(())
    }

    /// Uncharges what `inode`'s page cache lost since its last charge.
    ///
    /// `i_blocks` counts charged pages; the page cache counts present ones
    /// in `nrpages`.  Truncation, hole punching and large-folio splits drop
    /// folios without telling the filesystem (a split drops the part past
    /// EOF silently), so the difference is returned here, after each
    /// operation that can drop folios, as tmpfs does.  Folios are charged
    /// only once they are in the cache, so a concurrent charge can make the
    /// difference smaller, never larger.  `inode` is an inode of this
    /// superblock.
    pub(crate) fn recalc(&self, inode: &Inode) {
        let freed = inode.shrink_blocks_to_cache();
        self.unreserve(freed);
    }

    /// Reserves one inode against `nr_inodes=` (its [`INODE_SPACE`] of the
    /// inode space), or fails with `ENOSPC`.
    pub(crate) fn reserve_inode(&self) -> Result {
        self.reserve_ispace(INODE_SPACE)?;
        self.used_inodes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Returns an inode reserved by [`Self::reserve_inode`].
    pub(crate) fn release_inode(&self) {
        self.used_inodes.fetch_sub(1, Ordering::Relaxed);
        self.unreserve_ispace(INODE_SPACE);
    }

    /// Reserves `bytes` of inode space (an extended attribute), or fails
    /// with `ENOSPC`.  Unlimited only when `nr_inodes=0`.
    pub(crate) fn reserve_ispace(&self, bytes: u64) -> Result {
        let max = self.max_inodes.load(Ordering::Relaxed);
        // `max * INODE_SPACE` cannot overflow: parsing bounds `nr_inodes=`.
        let max = AtomicU64::new(max.saturating_mul(INODE_SPACE));
        reserve(&self.used_ispace, &max, bytes)
    }

    /// Returns inode space reserved by [`Self::reserve_ispace`].
    pub(crate) fn unreserve_ispace(&self, bytes: u64) {
        self.used_ispace.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// Adds `n` to `used` unless that would pass a non-zero `max`.
fn reserve(used: &AtomicU64, max: &AtomicU64, n: u64) -> Result {
    let max = max.load(Ordering::Relaxed);
    used.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
        let new = u.checked_add(n)?;
        (max == 0 || new <= max).then_some(new)
    })
    .map(|_| ())
    .map_err(|_| ENOSPC)
}

/// Parses a size or count as tmpfs does: a number with an optional k/m/g/t/p/e
/// suffix (binary), or `N%` of RAM, rounded up to `unit`.  Returns the value in
/// units of `unit`.
fn parse_size(s: &[u8], unit: u64) -> Option<u64> {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in &s[..digits] {
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    let bytes = match &s[digits..] {
        b"" => v,
        b"%" => {
            if v > 100 {
                return None;
            }
            let ram = totalram_pages();
            return Some(ram.checked_mul(v)? / 100 * PAGE_SIZE / unit.max(1));
        }
        [suffix] => {
            let shift = match suffix.to_ascii_lowercase() {
                b'k' => 10,
                b'm' => 20,
                b'g' => 30,
                b't' => 40,
                b'p' => 50,
                b'e' => 60,
                _ => return None,
            };
            v.checked_mul(1u64 << shift)?
        }
        _ => return None,
    };
    Some(bytes.div_ceil(unit))
}

/// The largest limits a user-namespace mount may ask for: what a
/// privileged mount gets by default (half of RAM, as many inodes as half
/// of RAM's pages).  Within them, the data is also charged to the mounting
/// task's memory cgroup.
fn userns_limits_error(blocks: u64, inodes: u64) -> Option<&'static str> {
    let half = totalram_pages() / 2;
    if blocks == 0 || inodes == 0 {
        Some("unlimited size or nr_inodes is not allowed in a user namespace mount")
    } else if blocks > half {
        Some("size above half of RAM is not allowed in a user namespace mount")
    } else if inodes > half {
        Some("nr_inodes above half of RAM's pages is not allowed in a user namespace mount")
    } else {
        None
    }
}

/// The rramfs filesystem type.  Its trait implementations, which need the
/// operation tables, are in [`crate::fs_type`]; this state layer only
/// names it, for [`SbInfo::of`].
pub(crate) struct Rramfs;

/// The mount's side of the superblock operations and the filesystem type.
impl SbInfo {
    /// Applies one parsed mount option (this is an `fs_context`'s state).
    pub(crate) fn apply_param(&mut self, fc: &FsContext, p: &Param<'_>) -> Result {
        let fsi = self;
        let bad_value = |name| {
            fc.invalid(format_args!(
                "bad value for {name}: expected a number with an optional \
                 k/m/g/t/p/e suffix or a percentage of RAM"
            ))
        };
        match p.opt() {
            bindings::RRAMFS_OPT_MODE => fsi.mode = (p.uint() & bindings::S_IALLUGO) as u16,
            bindings::RRAMFS_OPT_UID => fsi.uid = p.uid(),
            bindings::RRAMFS_OPT_GID => fsi.gid = p.gid(),
            bindings::RRAMFS_OPT_SIZE => match parse_size(p.string(), PAGE_SIZE) {
                Some(v) => fsi.max_blocks = AtomicU64::new(v),
                None => return Err(bad_value("size")),
            },
            bindings::RRAMFS_OPT_NR_INODES => match parse_size(p.string(), 1) {
                Some(v) if v <= u64::MAX / INODE_SPACE => fsi.max_inodes = AtomicU64::new(v),
                _ => return Err(bad_value("nr_inodes")),
            },
            bindings::RRAMFS_OPT_PREFAULT => fsi.prefault = AtomicU32::new(p.uint()),
            bindings::RRAMFS_OPT_DIO_ALIGN => {
                let a = p.uint();
                // A power of two from 1 (any alignment) to a page.
                if !a.is_power_of_two() || u64::from(a) > PAGE_SIZE {
                    return Err(fc.invalid(format_args!(
                        "dio_align must be a power of two from 1 to the page size"
                    )));
                }
                fsi.dio_align = AtomicU32::new(a);
            }
            _ => return Err(EINVAL),
        }
        fsi.seen |= 1 << p.opt();
        Ok(())
    }

    /// Checks the state a mount starts with (`userns`: a user-namespace
    /// mount): ramfs and tmpfs allow unprivileged mounts in a user
    /// namespace; rramfs does too, but only within bounded memory limits.
    pub(crate) fn check_mount(&self, fc: &FsContext, userns: bool) -> Result {
        if userns {
            let blocks = self.max_blocks.load(Ordering::Relaxed);
            if let Some(msg) = userns_limits_error(blocks, self.max_inodes.load(Ordering::Relaxed))
            {
                return Err(fc.invalid(format_args!("{msg}")));
            }
        }
        Ok(())
    }

    /// The root directory's mode (type included) and owner.
    pub(crate) fn root_attrs(&self) -> (u16, bindings::kuid_t, bindings::kgid_t) {
        (bindings::S_IFDIR as u16 | self.mode, self.uid, self.gid)
    }

    /// Applies the options a remount gave (`new`) to this mounted state;
    /// `userns`: a user-namespace mount.
    pub(crate) fn reconfigure(&self, fc: &FsContext, userns: bool, new: &SbInfo) -> Result {
        let fsi = self;
        let seen = |o: bindings::rramfs_opt| new.seen & (1 << o) != 0;

        let mut blocks = fsi.max_blocks.load(Ordering::Relaxed);
        let mut inodes = fsi.max_inodes.load(Ordering::Relaxed);
        if seen(bindings::RRAMFS_OPT_SIZE) {
            blocks = new.max_blocks.load(Ordering::Relaxed);
            if blocks != 0 && blocks < fsi.used_blocks.load(Ordering::Relaxed) {
                return Err(fc.invalid(format_args!("size is below current use")));
            }
        }
        if seen(bindings::RRAMFS_OPT_NR_INODES) {
            inodes = new.max_inodes.load(Ordering::Relaxed);
            // Inodes and xattrs share the inode space: it must still hold
            // them.
            if inodes != 0 && inodes * INODE_SPACE < fsi.used_ispace.load(Ordering::Relaxed) {
                return Err(fc.invalid(format_args!(
                    "nr_inodes is below current use (inodes and xattrs)"
                )));
            }
        }
        if userns {
            if let Some(msg) = userns_limits_error(blocks, inodes) {
                return Err(fc.invalid(format_args!("{msg}")));
            }
        }
        fsi.max_blocks.store(blocks, Ordering::Relaxed);
        fsi.max_inodes.store(inodes, Ordering::Relaxed);
        if seen(bindings::RRAMFS_OPT_PREFAULT) {
            fsi.prefault
                .store(new.prefault.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        if seen(bindings::RRAMFS_OPT_DIO_ALIGN) {
            fsi.dio_align.store(new.dio_align(), Ordering::Relaxed);
        }
        Ok(())
    }

    /// Prints the counters (debugfs `stats`).
    pub(crate) fn show_stats(&self, m: &SeqFile) {
        let fsi = self;
        fsi.stats.show(m);
        let lines = [
            ("blocks_used", fsi.used_blocks.load(Ordering::Relaxed)),
            ("inodes_used", fsi.used_inodes.load(Ordering::Relaxed)),
            ("ispace_used", fsi.used_ispace.load(Ordering::Relaxed)),
        ];
        for (name, v) in lines {
            m.print(format_args!("{name} {v}\n"));
        }
    }

    /// `df` shows real use against the limits.
    pub(crate) fn statfs(&self, buf: &mut Kstatfs) {
        let fsi = self;
        let used_b = fsi.used_blocks.load(Ordering::Relaxed);
        let used_isp = fsi.used_ispace.load(Ordering::Relaxed);
        let max_b = fsi.max_blocks.load(Ordering::Relaxed);
        let max_i = fsi.max_inodes.load(Ordering::Relaxed);
        // Unlimited: the counts stay as simple_statfs leaves them (zero),
        // like tmpfs without limits.
        if max_b != 0 || max_i != 0 {
            // As tmpfs: free inodes are the free inode space, which
            // extended attributes use too.
            let ffree = max_i.saturating_mul(INODE_SPACE).saturating_sub(used_isp) / INODE_SPACE;
            buf.set_counts(max_b, max_b.saturating_sub(used_b), max_i, ffree);
        }
    }

    /// The options that differ from the defaults.
    pub(crate) fn show_options(&self, m: &SeqFile) {
        let fsi = self;
        let half = SbInfo::new();
        let blocks = fsi.max_blocks.load(Ordering::Relaxed);
        if blocks != half.max_blocks.load(Ordering::Relaxed) {
            m.print(format_args!(",size={}k", blocks * (PAGE_SIZE / 1024)));
        }
        let inodes = fsi.max_inodes.load(Ordering::Relaxed);
        if inodes != half.max_inodes.load(Ordering::Relaxed) {
            m.print(format_args!(",nr_inodes={inodes}"));
        }
        if fsi.mode != DEFAULT_MODE {
            m.print(format_args!(",mode={:o}", fsi.mode));
        }
        // As tmpfs: the root's owner, as seen from the initial namespace.
        let (uid, gid) = (cred::uid_in_init_ns(fsi.uid), cred::gid_in_init_ns(fsi.gid));
        if uid != 0 {
            m.print(format_args!(",uid={uid}"));
        }
        if gid != 0 {
            m.print(format_args!(",gid={gid}"));
        }
        if fsi.prefault() == Prefault::Always {
            m.print(format_args!(",prefault=always"));
        }
        m.print(format_args!(",dio_align={}", fsi.dio_align()));
    }
}
