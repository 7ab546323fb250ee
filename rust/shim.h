/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C <-> Rust boundary of rramfs.
 *
 * bindgen turns these declarations into Rust's (rust/bindings.rs), so the
 * two sides cannot disagree.  The C side only registers the filesystem
 * (tables that need C macros) and wraps static inline kernel helpers; every
 * decision is made in Rust.
 */
#ifndef RRAMFS_SHIM_H
#define RRAMFS_SHIM_H

#include <linux/fs.h>
#include <linux/types.h>
#include <linux/uidgid.h>

struct super_block;
struct fs_context;
struct folio;
struct address_space;
struct iov_iter;
struct inode;
struct seq_file;
struct qstr;
struct dentry;
struct kiocb;
struct file;

/* A parsed mount option, handed from the C parser to Rust. */
enum rramfs_opt {
	RRAMFS_OPT_MODE,
	RRAMFS_OPT_UID,
	RRAMFS_OPT_GID,
	RRAMFS_OPT_SIZE,
	RRAMFS_OPT_NR_INODES,
	RRAMFS_OPT_PREFAULT,
	RRAMFS_OPT_DIO_ALIGN,
};

struct rramfs_param {
	enum rramfs_opt opt;
	u32 uint_32;		/* MODE, PREFAULT (enum value), DIO_ALIGN */
	kuid_t uid;		/* UID, already checked to map in the fc's user_ns */
	kgid_t gid;		/* GID, likewise */
	const char *string;	/* SIZE, NR_INODES: parsed by Rust */
};

/*
 * The filesystem's entry points, implemented in Rust (rust/vfs/fs_type.rs)
 * and handed over by rramfs_register():
 *  info_alloc	a new fs_context's state (the defaults), or NULL
 *  info_free	frees a state no superblock took (NULL allowed)
 *  apply_param	one parsed option into the fs_context's state @fsi
 *  fill_super	a new superblock whose s_fs_info is the mount's state
 *  reconfigure	applies a remount's state @new_fsi to @sb (s_umount held)
 *  kill_sb	tears a superblock down and frees its state
 *  stats_show	the debugfs counters of @sb
 */
struct rramfs_fs_ops {
	void *(*info_alloc)(void);
	void (*info_free)(void *fsi);
	int (*apply_param)(struct fs_context *fc, void *fsi, const struct rramfs_param *p);
	int (*fill_super)(struct fs_context *fc, struct super_block *sb);
	int (*reconfigure)(struct fs_context *fc, struct super_block *sb, void *new_fsi);
	void (*kill_sb)(struct super_block *sb);
	void (*stats_show)(struct seq_file *m, struct super_block *sb);
};

/*
 * An rramfs inode: the VFS's, and what it has no field for (tmpfs keeps
 * the same in its shmem_inode_info).  Every rramfs inode is one
 * (rramfs_alloc_inode).
 */
struct rramfs_inode {
	struct inode vfs_inode;
	struct timespec64 btime;	/* creation time, for statx */
};

/* ---- implemented in C (rust/shim.c) ---- */
int rramfs_register(const struct rramfs_fs_ops *ops);
/* super_operations' alloc_inode and free_inode */
struct inode *rramfs_alloc_inode(struct super_block *sb);
void rramfs_free_inode(struct inode *inode);
/* invalfc() with a Rust fmt::Arguments (@args, formatted by %pA) */
int rramfs_fc_error(struct fs_context *fc, const void *args);
void rramfs_unregister(void);
struct dentry *rramfs_debugfs_create(struct super_block *sb);
void rramfs_debugfs_remove(struct dentry *dir);
u64 rramfs_totalram_pages(void);
kuid_t rramfs_current_fsuid(void);
kgid_t rramfs_current_fsgid(void);
struct xattr;
int rramfs_security_init(struct inode *inode, struct inode *dir,
			 struct dentry *dentry,
			 int (*initxattrs)(struct inode *, const struct xattr *, void *));
ssize_t rramfs_listsecurity(struct inode *inode, char *buf, size_t size);
bool rramfs_xattr_is_maclabel(const char *suffix, size_t len);

/* Page cache, folios, iov_iter, tasks: static inline helpers */
void rramfs_mapping_init(struct address_space *mapping);
void rramfs_inode_spin_lock(struct inode *inode);
void rramfs_inode_spin_unlock(struct inode *inode);
unsigned int rramfs_mapping_max_folio_order(struct address_space *mapping);
/*
 * A folio's geometry in one word, so that a lookup returns it with the
 * folio in two registers: the folio's file position (aligned to its size)
 * with PG_uptodate and PG_dirty in bits 0 and 1 and its order above them.
 */
#define RRAMFS_GEO_UPTODATE	1
#define RRAMFS_GEO_DIRTY	2
#define RRAMFS_GEO_ORDER_SHIFT	2
#define RRAMFS_GEO_ORDER_MASK	0x3f
struct rramfs_folio_geo {
	struct folio *folio;
	u64 geo;
};
struct rramfs_folio_geo rramfs_filemap_lock_folio(struct address_space *mapping,
						  pgoff_t index);
struct folio *rramfs_filemap_alloc_folio(gfp_t gfp, unsigned int order);
struct rramfs_folio_geo rramfs_filemap_get_folio(struct address_space *mapping,
						 pgoff_t index);
size_t rramfs_copy_folio_from_iter_atomic(struct folio *folio, size_t offset,
					  size_t bytes, struct iov_iter *i);
size_t rramfs_copy_folio_to_iter(struct folio *folio, size_t offset,
				 size_t bytes, struct iov_iter *i);
void rramfs_file_accessed(struct file *file);
struct address_space *rramfs_folio_mapping(struct folio *folio);
void rramfs_folio_put(struct folio *folio);
void rramfs_folio_unlock_put(struct folio *folio);
u64 rramfs_folio_geometry(struct folio *folio);
void rramfs_folio_mark_uptodate(struct folio *folio);
void rramfs_folio_zero_segment(struct folio *folio, size_t start, size_t end);
void rramfs_flush_dcache_folio(struct folio *folio);
bool rramfs_fatal_signal_pending(void);
void rramfs_cond_resched(void);
loff_t rramfs_i_size_read(const struct inode *inode);
void rramfs_i_size_write(struct inode *inode, loff_t size);
ssize_t rramfs_generic_write_sync(struct kiocb *iocb, ssize_t count);
int rramfs_finish_open_simple(struct file *file, int error);
struct dentry *rramfs_file_dentry(const struct file *file);
void rramfs_inode_set_next_ino(struct inode *inode);
/* Adds @inode to the inode hash under @hashval unless it is in already
 * (__insert_inode_hash() is not idempotent) */
void rramfs_inode_hash_once(struct inode *inode, u64 hashval);
struct dentry *rramfs_d_alloc_sibling(struct dentry *dentry);
bool rramfs_find_folio(struct address_space *mapping, pgoff_t index,
		       pgoff_t end, pgoff_t *first, u64 *nr, bool *uptodate);

/* O_DIRECT */
struct page;
void rramfs_file_set_can_odirect(struct file *file);
bool rramfs_iov_iter_extract_will_pin(const struct iov_iter *i);
void rramfs_copy_folio_to_page(struct folio *folio, size_t foff,
			       struct page *page, size_t poff, size_t len);
void rramfs_copy_page_to_folio(struct folio *folio, size_t foff,
			       struct page *page, size_t poff, size_t len);
void rramfs_zero_page(struct page *page, size_t poff, size_t len);
long long rramfs_page_index_in(struct page *page, struct address_space *mapping);

/* chattr: whether @fa (struct file_kattr, or fileattr before 6.17) asks
 * for XFS-style attributes beyond the common ones */
bool rramfs_fileattr_has_fsx(const void *fa);

/*
 * POSIX ACLs.  Without CONFIG_FS_POSIX_ACL no inode has one, the
 * superblock does not get SB_POSIXACL (SB_POSIXACL_IF_ENABLED is 0) and these
 * do nothing.
 * rramfs_get_cached_acl() returns a reference, or NULL for none.
 */
struct posix_acl;
void rramfs_cache_no_acl(struct inode *inode);
struct posix_acl *rramfs_get_cached_acl(struct inode *inode, int type);
struct posix_acl *rramfs_replace_cached_acl(struct inode *inode, int type,
					    struct posix_acl *acl);
int rramfs_posix_acl_create(struct inode *dir, umode_t *mode,
			    struct posix_acl **default_acl,
			    struct posix_acl **acl);
int rramfs_posix_acl_update_mode(struct mnt_idmap *idmap, struct inode *inode,
				 umode_t *mode, struct posix_acl **acl);
int rramfs_posix_acl_chmod(struct mnt_idmap *idmap, struct dentry *dentry,
			   umode_t mode);
struct posix_acl *rramfs_posix_acl_clone_accounted(const struct posix_acl *acl);
size_t rramfs_posix_acl_xattr_size(const struct posix_acl *acl);
void rramfs_posix_acl_release(struct posix_acl *acl);

/* Kernel-version differences (7.3 vs 6.12) */
void rramfs_d_make_persistent(struct dentry *dentry, struct inode *inode);
void rramfs_kill_super(struct super_block *sb);

#endif
