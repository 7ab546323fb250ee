// SPDX-License-Identifier: GPL-2.0

//! Extended attributes in the `user.`, `trusted.` and `security.`
//! namespaces, kept in memory like tmpfs's.
//!
//! Each inode's attributes are its `InodeData` (`vfs::Inode::data`), made
//! on the first set (under the inode lock, which the VFS holds for every
//! set) and freed at eviction.  A mutex orders readers against setters.
//!
//! Memory: every attribute is charged [`xattr_space`] bytes of the mount's
//! inode space (`nr_inodes=` times [`crate::super_block::INODE_SPACE`], shared with inodes) and
//! allocated with `GFP_KERNEL_ACCOUNT` (the caller's memory cgroup), as
//! tmpfs does: `security.`/`trusted.` need only CAP_SYS_ADMIN in the
//! mount's user namespace, so without a charge any user could exhaust the
//! host through a user-namespace mount.  `user.` attributes are also
//! bounded per inode, as in tmpfs.

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{
    prelude::*,
    sync::{new_mutex, Mutex},
};

use crate::{
    acl, bindings,
    super_block::{xattr_space, Rramfs, SbInfo},
    vfs::{
        is_mac_label, kver, list_security, may_list_trusted, Evicting, Inode, InodeLocked,
        Labelling, NewInode, XattrHandler, XattrHandlers, XattrOperations,
    },
};

/// At most this many `user.` attributes per inode (as tmpfs).
const USER_MAX_NR: usize = 128;
/// At most this many bytes of `user.` values per inode (as tmpfs).
const USER_MAX_BYTES: usize = 128 << 10;

struct Entry {
    /// The full name, prefix included.
    name: KVec<u8>,
    value: KVec<u8>,
}

impl Entry {
    /// The inode space this attribute is charged.
    fn space(&self) -> u64 {
        xattr_space(self.name.len(), self.value.len())
    }
}

/// The attributes of one inode: its extended attributes, and its chattr
/// flags (see [`crate::fileattr`]), which live here because both are made
/// on first use and dropped at eviction.
#[pin_data]
pub(crate) struct Xattrs {
    #[pin]
    entries: Mutex<KVec<Entry>>,
    /// `FS_*_FL` flags; written under the inode lock.
    fsflags: AtomicU32,
}

/// Returns `inode`'s attributes, if it ever had any.  They live until the
/// inode is evicted, so for as long as it is live.
fn of(inode: &Inode) -> Option<&Xattrs> {
    inode.data::<Rramfs>()
}

/// A new, empty attribute list.
fn empty() -> impl PinInit<Xattrs> {
    pin_init!(Xattrs { entries <- new_mutex!(KVec::new()), fsflags: AtomicU32::new(0) })
}

/// `inode`'s chattr flags (`FS_*_FL`).
pub(crate) fn fsflags(inode: &Inode) -> u32 {
    of(inode).map_or(0, |x| x.fsflags.load(Ordering::Relaxed))
}

/// Stores the chattr flags of a locked inode.
pub(crate) fn set_fsflags(locked: InodeLocked<'_>, flags: u32) -> Result {
    let x = match of(locked.inode()) {
        Some(x) => x,
        None if flags == 0 => return Ok(()),
        None => locked.data_or_init::<Rramfs>(empty())?,
    };
    x.fsflags.store(flags, Ordering::Relaxed);
    Ok(())
}

/// Stores the chattr flags a new inode inherits (non-zero).
pub(crate) fn set_new_fsflags(inode: &NewInode, flags: u32) -> Result {
    let x = inode.data_or_init::<Rramfs>(empty())?;
    x.fsflags.store(flags, Ordering::Relaxed);
    Ok(())
}

/// Frees the attributes of an inode being evicted and returns their inode
/// space.
pub(crate) fn free(evicting: Evicting<'_>) {
    let inode = evicting.inode();
    if let Some(x) = evicting.take_data::<Rramfs>() {
        let space: u64 = x.entries.lock().iter().map(Entry::space).sum();
        SbInfo::of_inode(inode).unreserve_ispace(space);
    }
}

/// `a` and `b` in one new, accounted vector.
fn concat(a: &[u8], b: &[u8]) -> Result<KVec<u8>> {
    let mut v = KVec::with_capacity(a.len() + b.len(), GFP_KERNEL_ACCOUNT)?;
    v.extend_from_slice(a, GFP_KERNEL_ACCOUNT)?;
    v.extend_from_slice(b, GFP_KERNEL_ACCOUNT)?;
    Ok(v)
}

impl XattrOperations for Xattrs {
    fn get(inode: &Inode, prefix: &[u8], name: &[u8], buf: Option<&mut [u8]>) -> Result<usize> {
        let x = of(inode).ok_or_else(kver::code::ENODATA)?;
        let name = concat(prefix, name)?;
        let entries = x.entries.lock();
        let e = entries
            .iter()
            .find(|e| e.name[..] == name[..])
            .ok_or_else(kver::code::ENODATA)?;
        let len = e.value.len();
        match buf {
            None => Ok(len),
            Some(buf) if buf.len() < len => Err(ERANGE),
            Some(buf) => {
                buf[..len].copy_from_slice(&e.value);
                Ok(len)
            }
        }
    }

    fn set(
        locked: InodeLocked<'_>,
        prefix: &[u8],
        name: &[u8],
        value: Option<&[u8]>,
        flags: u32,
    ) -> Result {
        set_locked(locked, concat(prefix, name)?, value, flags)?;
        locked.touch_ctime();
        Ok(())
    }

    /// Kept as `security.<suffix>`, charged like any other.
    fn init_security(new: Labelling<'_>, suffix: &[u8], value: &[u8]) -> Result {
        let fsi = SbInfo::of_inode(new.inode());
        let x = new.data_or_init::<Rramfs>(empty())?;
        let name = concat(b"security.", suffix)?;
        let space = xattr_space(name.len(), value.len());
        fsi.reserve_ispace(space)?;
        let entry = concat(value, &[]).and_then(|value| {
            x.entries
                .lock()
                .push(Entry { name, value }, GFP_KERNEL_ACCOUNT)
                .map_err(Error::from)
        });
        entry.inspect_err(|_| fsi.unreserve_ispace(space))
    }
}

/// The body of `set`: sets attribute `name` (prefix included) to `value`
/// (`None` removes it), as `flags` (XATTR_CREATE/REPLACE) allow.
fn set_locked(locked: InodeLocked<'_>, name: KVec<u8>, value: Option<&[u8]>, flags: u32) -> Result {
    let fsi = SbInfo::of_inode(locked.inode());
    let Some(value) = value else {
        let Some(x) = of(locked.inode()) else {
            return if flags & bindings::XATTR_REPLACE != 0 {
                Err(kver::code::ENODATA())
            } else {
                Ok(())
            };
        };
        let mut entries = x.entries.lock();
        return match entries.iter().position(|e| e.name[..] == name[..]) {
            Some(i) => {
                let old = kver::kvec_remove(&mut entries, i)?;
                drop(entries);
                fsi.unreserve_ispace(old.space());
                Ok(())
            }
            None if flags & bindings::XATTR_REPLACE != 0 => Err(kver::code::ENODATA()),
            None => Ok(()),
        };
    };
    let size = value.len();
    let x = locked.data_or_init::<Rramfs>(empty())?;
    let mut entries = x.entries.lock();
    let found = entries.iter().position(|e| e.name[..] == name[..]);
    match found {
        Some(_) if flags & bindings::XATTR_CREATE != 0 => return Err(EEXIST),
        None if flags & bindings::XATTR_REPLACE != 0 => return Err(kver::code::ENODATA()),
        _ => {}
    }
    if name.starts_with(b"user.") {
        let others = entries
            .iter()
            .filter(|e| e.name.starts_with(b"user.") && e.name[..] != name[..]);
        let (nr, bytes) = others.fold((0, 0), |(n, b), e| (n + 1, b + e.value.len()));
        if nr + 1 > USER_MAX_NR || bytes + size > USER_MAX_BYTES {
            return Err(ENOSPC);
        }
    }
    // Charge the new value before allocating it; a replaced one is returned
    // after, so a replacement needs room for both for a moment (as tmpfs).
    let space = xattr_space(name.len(), size);
    fsi.reserve_ispace(space)?;
    let v = match concat(value, &[]) {
        Ok(v) => v,
        Err(e) => {
            fsi.unreserve_ispace(space);
            return Err(e);
        }
    };
    match found {
        Some(i) => {
            let old = core::mem::replace(&mut entries[i].value, v);
            drop(entries);
            fsi.unreserve_ispace(xattr_space(name.len(), old.len()));
        }
        None => {
            if let Err(e) = entries.push(Entry { name, value: v }, GFP_KERNEL_ACCOUNT) {
                fsi.unreserve_ispace(space);
                return Err(e.into());
            }
        }
    }
    Ok(())
}

/// `inode_operations::listxattr`: every name, NUL-terminated, into `buf`
/// (`None`: only measure), as `simple_xattr_list()`: the LSM's labels
/// first (from the LSM, so not again from the list), the ACLs', then the
/// others, `trusted.` names only for callers with CAP_SYS_ADMIN in the
/// initial namespace.
pub(crate) fn list(inode: &Inode, mut buf: Option<&mut [u8]>) -> Result<usize> {
    let lsm = list_security(inode, buf.as_deref_mut())?;
    let acls = acl::names(inode);
    let x = of(inode);
    let entries = x.map(|x| x.entries.lock());
    let trusted = may_list_trusted();
    let visible = entries.iter().flat_map(|e| e.iter()).filter(|e| {
        if e.name.starts_with(b"trusted.") {
            return trusted;
        }
        match e.name.strip_prefix(b"security.") {
            Some(suffix) => !is_mac_label(suffix),
            None => true,
        }
    });
    let size = |n: &[u8]| n.len() + 1;
    let need = lsm
        + acls.clone().map(size).sum::<usize>()
        + visible.clone().map(|e| size(&e.name)).sum::<usize>();
    let Some(buf) = buf else {
        return Ok(need);
    };
    if need > buf.len() {
        return Err(ERANGE);
    }
    let mut off = lsm;
    let mut put = |n: &[u8]| {
        buf[off..off + n.len()].copy_from_slice(n);
        buf[off + n.len()] = 0;
        off += n.len() + 1;
    };
    acls.for_each(&mut put);
    visible.for_each(|e| put(&e.name));
    Ok(need)
}

static SECURITY: XattrHandler = XattrHandler::new::<Xattrs>(c"security.");
static TRUSTED: XattrHandler = XattrHandler::new::<Xattrs>(c"trusted.");
static USER: XattrHandler = XattrHandler::new::<Xattrs>(c"user.");

/// The superblock's `s_xattr` table.
pub(crate) static HANDLERS: XattrHandlers<4> =
    XattrHandlers::new([Some(&SECURITY), Some(&TRUSTED), Some(&USER), None]);
