/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API rramfs's Rust code calls, for bindgen (see Kbuild).
 *
 * rramfs generates its own bindings, against the kernel it is built for,
 * instead of using `kernel::bindings`: that crate reaches only the headers
 * its own abstractions need, and 6.12's reaches neither fs.h's page cache
 * half nor pagemap.h.  rust/bindgen_parameters lists what is taken from
 * here; the shim's prototypes come from shim.h, so the Rust side can never
 * disagree with the C side about them.
 */
#include <linux/capability.h>
#include <linux/dcache.h>
#include <linux/exportfs.h>
#include <linux/fs.h>
#include <linux/fileattr.h>
#include <linux/filelock.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/posix_acl.h>
#include <linux/random.h>
#include <linux/rwsem.h>
#include <linux/seq_file.h>
#include <linux/splice.h>
#include <linux/statfs.h>
#include <linux/uio.h>
#include <linux/writeback.h>
#include <linux/xattr.h>

#include "shim.h"

/*
 * Macros whose values bindgen cannot evaluate (casts, other macros): as
 * constants, renamed back to the macro's name by Kbuild's sed.
 */
const size_t RRAMFS_CONST_PAGE_SIZE = PAGE_SIZE;
const gfp_t RRAMFS_CONST___GFP_NOWARN = __GFP_NOWARN;
const gfp_t RRAMFS_CONST___GFP_NORETRY = __GFP_NORETRY;
const loff_t RRAMFS_CONST_MAX_LFS_FILESIZE = MAX_LFS_FILESIZE;
const unsigned long RRAMFS_CONST_SB_NOSEC = SB_NOSEC;
const int RRAMFS_CONST_IOCB_NOWAIT = IOCB_NOWAIT;
const int RRAMFS_CONST_IOCB_DSYNC = IOCB_DSYNC;
const int RRAMFS_CONST_IOCB_APPEND = IOCB_APPEND;
/* Whether folios need a flush_dcache_folio() after a kernel-side write. */
const bool RRAMFS_CONST_ARCH_IMPLEMENTS_FLUSH_DCACHE_PAGE =
	ARCH_IMPLEMENTS_FLUSH_DCACHE_PAGE;
/* SB_POSIXACL where the kernel has POSIX ACLs, else no flag. */
#ifdef CONFIG_FS_POSIX_ACL
const unsigned long RRAMFS_CONST_SB_POSIXACL_IF_ENABLED = SB_POSIXACL;
#else
const unsigned long RRAMFS_CONST_SB_POSIXACL_IF_ENABLED = 0;
#endif
