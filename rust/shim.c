// SPDX-License-Identifier: GPL-2.0
/*
 * rramfs C shim: filesystem registration glue that needs C macros
 * (fs_context, fs_parameter_spec), and wrappers for static inline kernel
 * functions that Rust cannot call.  No policy lives here; see shim.h.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/fileattr.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/uio.h>
#include <linux/version.h>
#include <linux/xattr.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
#include <linux/folio_batch.h>
#else
#include <linux/pagevec.h>
#endif

#include "shim.h"

/*
 * rramfs supports two kernels: 7.3 (primary) and 6.12 LTS.  Where their
 * APIs differ, the 7.3 form is used from 6.19 on.  Only the two supported
 * versions are built and tested; the cut-over is not verified between them.
 */
#define RRAMFS_NEW_VFS (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0))

/* ------------------------------------------------------------------------ */
/* Mount options                                                            */

static const struct constant_table rramfs_prefault_modes[] = {
	{ "slowpath",	0 },
	{ "always",	1 },
	{}
};

/* The Rust side's entry points, set by rramfs_register(). */
static const struct rramfs_fs_ops *rramfs_ops;

static const struct fs_parameter_spec rramfs_fs_parameters[] = {
	fsparam_u32oct("mode",		RRAMFS_OPT_MODE),
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	fsparam_uid("uid",		RRAMFS_OPT_UID),
	fsparam_gid("gid",		RRAMFS_OPT_GID),
#else
	fsparam_u32("uid",		RRAMFS_OPT_UID),
	fsparam_u32("gid",		RRAMFS_OPT_GID),
#endif
	fsparam_string("size",		RRAMFS_OPT_SIZE),
	fsparam_string("nr_inodes",	RRAMFS_OPT_NR_INODES),
	fsparam_enum("prefault",	RRAMFS_OPT_PREFAULT, rramfs_prefault_modes),
	fsparam_u32("dio_align",	RRAMFS_OPT_DIO_ALIGN),
	{}
};

static int rramfs_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct fs_parse_result result;
	struct rramfs_param p = {};
	int opt;

	/* -ENOPARAM makes the VFS log "Unknown parameter" and fail the mount. */
	opt = fs_parse(fc, rramfs_fs_parameters, param, &result);
	if (opt < 0)
		return opt;

	p.opt = opt;
	p.uint_32 = result.uint_32;
	p.string = param->string;
	switch (opt) {
	case RRAMFS_OPT_UID:
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
		p.uid = result.uid;
#else
		p.uid = make_kuid(current_user_ns(), result.uint_32);
#endif
		/* The owner must be representable in the mount's namespace. */
		if (!kuid_has_mapping(fc->user_ns, p.uid))
			return invalfc(fc, "uid %u is not mapped", p.uid.val);
		break;
	case RRAMFS_OPT_GID:
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
		p.gid = result.gid;
#else
		p.gid = make_kgid(current_user_ns(), result.uint_32);
#endif
		if (!kgid_has_mapping(fc->user_ns, p.gid))
			return invalfc(fc, "gid %u is not mapped", p.gid.val);
		break;
	}
	return rramfs_ops->apply_param(fc, fc->s_fs_info, &p);
}

/* ------------------------------------------------------------------------ */
/* fs_context and registration                                              */

static int rramfs_fill_super_fc(struct super_block *sb, struct fs_context *fc)
{
	return rramfs_ops->fill_super(fc, sb);
}

static int rramfs_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, rramfs_fill_super_fc);
}

static int rramfs_reconfigure_fc(struct fs_context *fc)
{
	sync_filesystem(fc->root->d_sb);
	return rramfs_ops->reconfigure(fc, fc->root->d_sb, fc->s_fs_info);
}

static void rramfs_free_fc(struct fs_context *fc)
{
	rramfs_ops->info_free(fc->s_fs_info);
}

static const struct fs_context_operations rramfs_context_ops = {
	.free		= rramfs_free_fc,
	.parse_param	= rramfs_parse_param,
	.get_tree	= rramfs_get_tree,
	.reconfigure	= rramfs_reconfigure_fc,
};

static int rramfs_init_fs_context(struct fs_context *fc)
{
	void *fsi = rramfs_ops->info_alloc();

	if (!fsi)
		return -ENOMEM;
	fc->s_fs_info = fsi;
	fc->ops = &rramfs_context_ops;
	return 0;
}

static void rramfs_kill_sb(struct super_block *sb)
{
	rramfs_ops->kill_sb(sb);
}

static struct file_system_type rramfs_fs_type = {
	.owner		= THIS_MODULE,
	.name		= "rramfs",
	.init_fs_context = rramfs_init_fs_context,
	.parameters	= rramfs_fs_parameters,
	.kill_sb	= rramfs_kill_sb,
	/*
	 * User-namespace mounts like ramfs and tmpfs (Rust refuses them without
	 * limits); idmapped mounts like tmpfs (new inodes are owned through
	 * the mount's idmap); fine-grained timestamps when queried, like tmpfs.
	 */
#ifdef FS_MGTIME
	.fs_flags	= FS_USERNS_MOUNT | FS_ALLOW_IDMAP | FS_MGTIME,
#else
	.fs_flags	= FS_USERNS_MOUNT | FS_ALLOW_IDMAP,
#endif
};

/* invalfc() for Rust: the message goes to the fs_context's log. */
int rramfs_fc_error(struct fs_context *fc, const void *args)
{
	return invalfc(fc, "%pA", args);
}

static struct dentry *rramfs_debugfs_root;

/*
 * Inodes come from a cache of their own, as tmpfs's: struct rramfs_inode
 * adds what struct inode lacks.  Charged to the creator's memory cgroup.
 */
static struct kmem_cache *rramfs_inode_cachep;

static void rramfs_inode_init_once(void *p)
{
	struct rramfs_inode *ri = p;

	inode_init_once(&ri->vfs_inode);
}

struct inode *rramfs_alloc_inode(struct super_block *sb)
{
	struct rramfs_inode *ri;

	ri = alloc_inode_sb(sb, rramfs_inode_cachep, GFP_KERNEL);
	return ri ? &ri->vfs_inode : NULL;
}

void rramfs_free_inode(struct inode *inode)
{
	kmem_cache_free(rramfs_inode_cachep,
			container_of(inode, struct rramfs_inode, vfs_inode));
}

int rramfs_register(const struct rramfs_fs_ops *ops)
{
	int err;

	rramfs_ops = ops;
	rramfs_inode_cachep = kmem_cache_create("rramfs_inode_cache",
				sizeof(struct rramfs_inode), 0,
				SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
				rramfs_inode_init_once);
	if (!rramfs_inode_cachep)
		return -ENOMEM;
	err = register_filesystem(&rramfs_fs_type);
	if (err) {
		kmem_cache_destroy(rramfs_inode_cachep);
		return err;
	}
	rramfs_debugfs_root = debugfs_create_dir("rramfs", NULL);
	return 0;
}

void rramfs_unregister(void)
{
	debugfs_remove(rramfs_debugfs_root);
	unregister_filesystem(&rramfs_fs_type);
	/* free_inode runs after an RCU grace period: wait for the last. */
	rcu_barrier();
	kmem_cache_destroy(rramfs_inode_cachep);
}

/* ------------------------------------------------------------------------ */
/* Per-superblock counters: /sys/kernel/debug/rramfs/<major:minor>/stats   */

static int rramfs_stats_seq_show(struct seq_file *m, void *v)
{
	rramfs_ops->stats_show(m, m->private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rramfs_stats_seq);

struct dentry *rramfs_debugfs_create(struct super_block *sb)
{
	char name[32];
	struct dentry *dir;

	snprintf(name, sizeof(name), "%u:%u", MAJOR(sb->s_dev), MINOR(sb->s_dev));
	dir = debugfs_create_dir(name, rramfs_debugfs_root);
	debugfs_create_file("stats", 0444, dir, sb, &rramfs_stats_seq_fops);
	return dir;
}

void rramfs_debugfs_remove(struct dentry *dir)
{
	debugfs_remove(dir);
}

/* ------------------------------------------------------------------------ */
/* Wrappers for static inline kernel functions                              */

u64 rramfs_totalram_pages(void)
{
	return totalram_pages();
}

kuid_t rramfs_current_fsuid(void)
{
	return current_fsuid();
}

kgid_t rramfs_current_fsgid(void)
{
	return current_fsgid();
}

int rramfs_security_init(struct inode *inode, struct inode *dir,
			 struct dentry *dentry,
			 int (*initxattrs)(struct inode *, const struct xattr *, void *))
{
	return security_inode_init_security(inode, dir, &dentry->d_name,
					    initxattrs, NULL);
}

/*
 * The LSM's own attribute names (security.selinux, ...), NUL-separated,
 * into @buf (@size bytes; 0 asks for the length): the byte count, or
 * -ERANGE.  The call's signature differs between 6.12 and 7.3: the
 * buffer-cursor form came with a 2025 LSM series (6.16, not verified; only
 * 6.12 and 7.3 are built).
 */
ssize_t rramfs_listsecurity(struct inode *inode, char *buf, size_t size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
	ssize_t remaining = size;
	char *p = size ? buf : NULL;
	int err = security_inode_listsecurity(inode, &p, &remaining);

	/* It counts @remaining down, below zero when only measuring. */
	return err < 0 ? err : (ssize_t)size - remaining;
#else
	int err = security_inode_listsecurity(inode, size ? buf : NULL, size);

	if (err > 0 && size && err > size)
		return -ERANGE;
	return err;
#endif
}

/* Whether security.@suffix is the active LSM's label (it lists those). */
bool rramfs_xattr_is_maclabel(const char *suffix, size_t len)
{
	char name[XATTR_NAME_MAX + 1];

	if (len > XATTR_NAME_MAX)
		return false;
	memcpy(name, suffix, len);
	name[len] = '\0';
	return security_ismaclabel(name);
}

/* ------------------------------------------------------------------------ */
/* Page cache, folios, iov_iter, tasks                                      */

void rramfs_mapping_init(struct address_space *mapping)
{
	mapping_set_gfp_mask(mapping, GFP_HIGHUSER);
	mapping_set_unevictable(mapping);
	mapping_set_large_folios(mapping);
	/* ->release_folio decides splits too: see Aops::release_folio. */
	mapping_set_release_always(mapping);
}

void rramfs_inode_spin_lock(struct inode *inode)
{
	spin_lock(&inode->i_lock);
}

void rramfs_inode_spin_unlock(struct inode *inode)
{
	spin_unlock(&inode->i_lock);
}

unsigned int rramfs_mapping_max_folio_order(struct address_space *mapping)
{
	return mapping_max_folio_order(mapping);
}

/*
 * The order and the flag fit below the page offset of the position; any
 * folio order fits the mask (a folio is smaller than 2^(64 - PAGE_SHIFT)
 * pages).
 */
static_assert(RRAMFS_GEO_ORDER_MASK << RRAMFS_GEO_ORDER_SHIFT < PAGE_SIZE);
static_assert((RRAMFS_GEO_UPTODATE | RRAMFS_GEO_DIRTY) < 1 << RRAMFS_GEO_ORDER_SHIFT);

/*
 * A folio's geometry in one word (shim.h): its position, which is aligned
 * to its size, so to a page, with its order, PG_uptodate and PG_dirty
 * below.
 */
static __always_inline u64 folio_geo(struct folio *folio)
{
	return (u64)folio_pos(folio) |
	       (u64)folio_order(folio) << RRAMFS_GEO_ORDER_SHIFT |
	       (folio_test_uptodate(folio) ? RRAMFS_GEO_UPTODATE : 0) |
	       (folio_test_dirty(folio) ? RRAMFS_GEO_DIRTY : 0);
}

u64 rramfs_folio_geometry(struct folio *folio)
{
	return folio_geo(folio);
}

/*
 * The folio caching @index, locked and referenced, with its geometry (see
 * rramfs_folio_geometry()), in two registers; folio NULL if nothing is
 * cached there.  Without FGP_CREAT or FGP_NOWAIT, filemap_lock_folio()
 * fails only with -ENOENT.  One call on the write path's fast path.
 */
struct rramfs_folio_geo rramfs_filemap_lock_folio(struct address_space *mapping,
						  pgoff_t index)
{
	struct folio *folio = filemap_lock_folio(mapping, index);

	if (IS_ERR(folio))
		return (struct rramfs_folio_geo){ NULL, 0 };
	return (struct rramfs_folio_geo){ folio, folio_geo(folio) };
}

/*
 * A referenced folio at @index with its geometry, or folio NULL: never
 * creates one.  One call on the read path's fast path.
 */
struct rramfs_folio_geo rramfs_filemap_get_folio(struct address_space *mapping,
						 pgoff_t index)
{
	struct folio *folio = filemap_get_folio(mapping, index);

	if (IS_ERR(folio))
		return (struct rramfs_folio_geo){ NULL, 0 };
	return (struct rramfs_folio_geo){ folio, folio_geo(folio) };
}

/* An exported function on 7.3, a static inline on 6.12. */
size_t rramfs_copy_folio_from_iter_atomic(struct folio *folio, size_t offset,
					  size_t bytes, struct iov_iter *i)
{
	return copy_folio_from_iter_atomic(folio, offset, bytes, i);
}

size_t rramfs_copy_folio_to_iter(struct folio *folio, size_t offset,
				 size_t bytes, struct iov_iter *i)
{
	return copy_folio_to_iter(folio, offset, bytes, i);
}

void rramfs_file_accessed(struct file *file)
{
	file_accessed(file);
}

struct folio *rramfs_filemap_alloc_folio(gfp_t gfp, unsigned int order)
{
#if RRAMFS_NEW_VFS
	return filemap_alloc_folio(gfp, order, NULL);
#else
	return filemap_alloc_folio(gfp, order);
#endif
}

struct address_space *rramfs_folio_mapping(struct folio *folio)
{
	return folio->mapping;
}

void rramfs_folio_put(struct folio *folio)
{
	folio_put(folio);
}

/* The end of every locked-folio step: one call instead of two. */
void rramfs_folio_unlock_put(struct folio *folio)
{
	folio_unlock(folio);
	folio_put(folio);
}


void rramfs_folio_mark_uptodate(struct folio *folio)
{
	folio_mark_uptodate(folio);
}

void rramfs_folio_zero_segment(struct folio *folio, size_t start, size_t end)
{
	folio_zero_segment(folio, start, end);
}

void rramfs_flush_dcache_folio(struct folio *folio)
{
	flush_dcache_folio(folio);
}

bool rramfs_fatal_signal_pending(void)
{
	return fatal_signal_pending(current);
}

void rramfs_cond_resched(void)
{
	cond_resched();
}

loff_t rramfs_i_size_read(const struct inode *inode)
{
	return i_size_read(inode);
}

void rramfs_i_size_write(struct inode *inode, loff_t size)
{
	i_size_write(inode, size);
}

ssize_t rramfs_generic_write_sync(struct kiocb *iocb, ssize_t count)
{
	return generic_write_sync(iocb, count);
}

int rramfs_finish_open_simple(struct file *file, int error)
{
	return finish_open_simple(file, error);
}

/*
 * The first folio of @mapping at or after @index (up to @end): its first
 * index, page count and whether it is uptodate.  False if there is none.
 */
bool rramfs_find_folio(struct address_space *mapping, pgoff_t index,
		       pgoff_t end, pgoff_t *first, u64 *nr, bool *uptodate)
{
	struct folio_batch fbatch;
	bool found;

	folio_batch_init(&fbatch);
	found = filemap_get_folios(mapping, &index, end, &fbatch) > 0;
	if (found) {
		struct folio *folio = fbatch.folios[0];

		*first = folio->index;
		*nr = folio_nr_pages(folio);
		*uptodate = folio_test_uptodate(folio);
	}
	folio_batch_release(&fbatch);
	return found;
}

/* ---- O_DIRECT helpers (the DIO path itself is rust/dio.rs) ---- */

void rramfs_file_set_can_odirect(struct file *file)
{
	file->f_mode |= FMODE_CAN_ODIRECT;
}

bool rramfs_iov_iter_extract_will_pin(const struct iov_iter *i)
{
	return iov_iter_extract_will_pin(i);
}

/*
 * @len bytes between @page and @folio; neither range may cross a page
 * boundary.  The page may be one of the folio's own (the user buffer is an
 * mmap of the very range being copied): then the two ranges can overlap and
 * only memmove is right; otherwise memcpy, which is cheaper.
 */
static void rramfs_copy(void *dst, const void *src, size_t len, bool same)
{
	if (same)
		memmove(dst, src, len);
	else
		memcpy(dst, src, len);
}

void rramfs_copy_folio_to_page(struct folio *folio, size_t foff,
			       struct page *page, size_t poff, size_t len)
{
	char *dst = kmap_local_page(page);
	char *src = kmap_local_folio(folio, foff);

	rramfs_copy(dst + poff, src, len, page_folio(page) == folio);
	kunmap_local(src);
	kunmap_local(dst);
}

void rramfs_copy_page_to_folio(struct folio *folio, size_t foff,
			       struct page *page, size_t poff, size_t len)
{
	char *src = kmap_local_page(page);
	char *dst = kmap_local_folio(folio, foff);

	rramfs_copy(dst, src + poff, len, page_folio(page) == folio);
	kunmap_local(dst);
	kunmap_local(src);
}

/*
 * The index of @page in @mapping's file, or -1 if it is not a page of that
 * mapping.  Racy by nature (a hint for the copy direction), hence READ_ONCE.
 */
long long rramfs_page_index_in(struct page *page, struct address_space *mapping)
{
	struct folio *folio = page_folio(page);

	if (READ_ONCE(folio->mapping) != mapping)
		return -1;
	return READ_ONCE(folio->index) + folio_page_idx(folio, page);
}

void rramfs_zero_page(struct page *page, size_t poff, size_t len)
{
	memzero_page(page, poff, len);
}

/* A new negative dentry with @dentry's name and parent (for whiteouts). */
bool rramfs_fileattr_has_fsx(const void *fa)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
	return fileattr_has_fsx((const struct file_kattr *)fa);
#else
	return fileattr_has_fsx((const struct fileattr *)fa);
#endif
}

struct dentry *rramfs_file_dentry(const struct file *file)
{
	return file->f_path.dentry;
}

/* i_ino is unsigned long on 6.12, u64 on 7.3. */
void rramfs_inode_set_next_ino(struct inode *inode)
{
	inode->i_ino = get_next_ino();
}

void rramfs_inode_hash_once(struct inode *inode, u64 hashval)
{
	/* A C static: 6.12's Rust has no static spinlock. */
	static DEFINE_SPINLOCK(lock);

	if (!inode_unhashed(inode))
		return;
	spin_lock(&lock);
	if (inode_unhashed(inode))
		__insert_inode_hash(inode, hashval);
	spin_unlock(&lock);
}

struct dentry *rramfs_d_alloc_sibling(struct dentry *dentry)
{
	return d_alloc(dentry->d_parent, &dentry->d_name);
}

/* ------------------------------------------------------------------------ */
/* POSIX ACLs: wrappers of what is static inline, or absent without         */
/* CONFIG_FS_POSIX_ACL                                                      */

#ifdef CONFIG_FS_POSIX_ACL
void rramfs_cache_no_acl(struct inode *inode)
{
	cache_no_acl(inode);
}

struct posix_acl *rramfs_get_cached_acl(struct inode *inode, int type)
{
	struct posix_acl *acl = get_cached_acl(inode, type);

	return is_uncached_acl(acl) ? NULL : acl;
}

/*
 * set_cached_acl(), returning the ACL it replaces (a reference, or NULL) so
 * that the caller uncharges exactly what went, whatever raced with it.
 */
struct posix_acl *rramfs_replace_cached_acl(struct inode *inode, int type,
					    struct posix_acl *acl)
{
	struct posix_acl **p = type == ACL_TYPE_ACCESS ? &inode->i_acl :
							 &inode->i_default_acl;
	struct posix_acl *old = xchg(p, posix_acl_dup(acl));

	return is_uncached_acl(old) ? NULL : old;
}

int rramfs_posix_acl_create(struct inode *dir, umode_t *mode,
			    struct posix_acl **default_acl,
			    struct posix_acl **acl)
{
	return posix_acl_create(dir, mode, default_acl, acl);
}

int rramfs_posix_acl_update_mode(struct mnt_idmap *idmap, struct inode *inode,
				 umode_t *mode, struct posix_acl **acl)
{
	return posix_acl_update_mode(idmap, inode, mode, acl);
}

struct posix_acl *rramfs_posix_acl_clone_accounted(const struct posix_acl *acl)
{
	return posix_acl_clone(acl, GFP_KERNEL_ACCOUNT);
}
#else
void rramfs_cache_no_acl(struct inode *inode)
{
}

struct posix_acl *rramfs_get_cached_acl(struct inode *inode, int type)
{
	return NULL;
}

struct posix_acl *rramfs_replace_cached_acl(struct inode *inode, int type,
					    struct posix_acl *acl)
{
	return NULL;
}

int rramfs_posix_acl_create(struct inode *dir, umode_t *mode,
			    struct posix_acl **default_acl,
			    struct posix_acl **acl)
{
	*default_acl = NULL;
	*acl = NULL;
	return 0;
}

int rramfs_posix_acl_update_mode(struct mnt_idmap *idmap, struct inode *inode,
				 umode_t *mode, struct posix_acl **acl)
{
	return -EOPNOTSUPP;
}

struct posix_acl *rramfs_posix_acl_clone_accounted(const struct posix_acl *acl)
{
	return NULL;
}
#endif

int rramfs_posix_acl_chmod(struct mnt_idmap *idmap, struct dentry *dentry,
			   umode_t mode)
{
	return posix_acl_chmod(idmap, dentry, mode);
}

void rramfs_posix_acl_release(struct posix_acl *acl)
{
	posix_acl_release(acl);
}

size_t rramfs_posix_acl_xattr_size(const struct posix_acl *acl)
{
	return posix_acl_xattr_size(acl->a_count);
}

/* ------------------------------------------------------------------------ */
/* Kernel-version differences: the only place that knows them              */

/* Pin a dentry for the filesystem's lifetime (ramfs-style namespace). */
void rramfs_d_make_persistent(struct dentry *dentry, struct inode *inode)
{
#if RRAMFS_NEW_VFS
	d_make_persistent(dentry, inode);
#else
	/* As 7.3's d_make_persistent(): a whiteout's dentry is unhashed. */
	d_instantiate(dentry, inode);
	dget(dentry);
	if (d_unhashed(dentry))
		d_rehash(dentry);
#endif
}

void rramfs_kill_super(struct super_block *sb)
{
#if RRAMFS_NEW_VFS
	kill_anon_super(sb);
#else
	kill_litter_super(sb);
#endif
}
