/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the four allocators share.
 *
 * Every pool embeds a struct ap_pool.  The core (allocpools_core.c) keeps the
 * registry of live pools: it checks names, refuses a second pool of the same
 * kind and name, gives each pool its debugfs directory and a row in the
 * "pools" table, and reports a rejected free the same way for every kind.
 *
 * Locking: the registry is guarded by a mutex (create/destroy are process
 * context).  The kind callbacks below run with that mutex held (row()) or
 * from a debugfs read (the file shows); they take the pool's own spinlock to
 * snapshot its counters and print outside it.
 */
#ifndef _ALLOCPOOLS_INTERNAL_H
#define _ALLOCPOOLS_INTERNAL_H

#include <linux/atomic.h>
#include <linux/fault-inject.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/ratelimit.h>
#include <linux/sched/mm.h>
#include <linux/swab.h>
#include <linux/types.h>
#include <linux/version.h>
#include <linux/export.h>

#include <allocpools/ns.h>

/* 31 name characters and the NUL. */
#define AP_NAME_MAX	32
/* Files in a pool's debugfs directory, "stats" included. */
#define AP_MAX_FILES	4

struct seq_file;
struct dentry;
struct ap_pool;

/* One row of /sys/kernel/debug/allocpools/pools, in bytes and counts. */
struct ap_row {
	size_t size;
	size_t used;
	size_t free;
	u64 allocs;
	u64 frees;
	u64 failures;
	u64 invalid_frees;
};

/* A read-only debugfs file in a pool's directory. */
struct ap_file {
	const char *name;
	int (*show)(struct seq_file *m, struct ap_pool *pool);
};

/*
 * What the core needs to know of an allocator kind.  @files[0] is the pool's
 * "stats" file; the others are the kind's extra files.
 */
struct ap_kind {
	const char *name;
	void (*row)(struct ap_pool *pool, struct ap_row *row);
	const struct ap_file *files;
	unsigned int nr_files;
};

struct ap_file_ref {
	struct ap_pool *pool;
	const struct ap_file *file;
};

/*
 * The part of every pool that the core owns.  @node and @dir are guarded by
 * the registry mutex; @kind and @name do not change while registered.  @rs
 * limits this pool's reports alone, so a noisy pool hides no other pool's
 * (it has its own raw lock: reports may come from any context).
 *
 * With CONFIG_FAULT_INJECTION_DEBUG_FS, @fault is the pool's own fault
 * attribute, shown as fail/ in its directory, and @injected counts the
 * allocations it failed.  Without debugfs nothing could arm the attribute,
 * so it is compiled out with it (and is on no Debian kernel).
 */
struct ap_pool {
	const struct ap_kind *kind;
	char name[AP_NAME_MAX];
	struct list_head node;
	struct dentry *dir;
	struct ratelimit_state rs;
	struct ap_file_ref refs[AP_MAX_FILES];
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	struct fault_attr fault;
	atomic64_t injected;
#endif
};

bool ap_name_valid(const char *name);
int ap_pool_register(struct ap_pool *pool, const struct ap_kind *kind,
		     const char *name);
void ap_pool_unregister(struct ap_pool *pool);
void ap_report_invalid(struct ap_pool *pool, const char *what,
		       bool inside, size_t offset);
void ap_report_corruption(struct ap_pool *pool, const char *what,
			  size_t offset);
void ap_warn_live(const struct ap_pool *pool, unsigned long live);

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
bool ap_fault_inject(struct ap_pool *pool, size_t size);

/*
 * Should this allocation of @size bytes from @pool fail on purpose?  Every
 * allocating entry point asks once, before it takes any lock, and on true
 * fails as it does when the pool is out of memory, changing nothing but
 * @injected.  An attribute nobody armed (probability 0, the default) costs
 * one load and never reaches should_fail(), which would otherwise consume
 * the task's fail_nth: that count belongs to the kernel allocations that
 * create and growth make (failslab, fail_page_alloc), which the
 * allocpools_faults suite enumerates with it.
 */
static inline bool ap_should_fail(struct ap_pool *pool, size_t size)
{
	return unlikely(READ_ONCE(pool->fault.probability)) &&
	       ap_fault_inject(pool, size);
}

static inline u64 ap_injected(const struct ap_pool *pool)
{
	return atomic64_read(&pool->injected);
}
#else
static inline bool ap_should_fail(struct ap_pool *pool, size_t size)
{
	return false;
}

static inline u64 ap_injected(const struct ap_pool *pool)
{
	return 0;
}
#endif

/*
 * Growth on behalf of a caller: the allocations a pool makes to grow (a
 * region, its metadata) run inside the memalloc scope that the caller's gfp
 * asks for, so a GFP_NOIO or GFP_NOFS caller never recurses into I/O or FS
 * reclaim through vmalloc()'s or kvzalloc()'s own GFP_KERNEL page tables
 * and metadata.  Growth happens only when the caller's gfp may block.
 *
 *	flags = ap_memalloc_save(gfp);
 *	... vmalloc(), kvzalloc(GFP_KERNEL) ...
 *	ap_memalloc_restore(gfp, flags);
 */
static inline unsigned int ap_memalloc_save(gfp_t gfp)
{
	if (!(gfp & __GFP_IO))
		return memalloc_noio_save();
	if (!(gfp & __GFP_FS))
		return memalloc_nofs_save();
	return 0;
}

static inline void ap_memalloc_restore(gfp_t gfp, unsigned int flags)
{
	if (!(gfp & __GFP_IO))
		memalloc_noio_restore(flags);
	else if (!(gfp & __GFP_FS))
		memalloc_nofs_restore(flags);
}

/*
 * Free-list links kept inside free memory are where a client's write after
 * free lands.  They are stored encoded, the way SLUB's
 * CONFIG_SLAB_FREELIST_HARDENED stores its free pointer: XORed with a
 * per-pool random secret and with the byte-swapped address of the slot that
 * holds the link.  A write of ordinary data, or of a pointer the client
 * chose, then decodes to a value unrelated to what was written, which the
 * allocator's bounds and alignment check before any use refuses (NULL
 * encodes to the mask itself, so zeroed memory is not a valid empty link
 * either).  The secret comes from get_random_long() at create.
 */
static inline unsigned long ap_link_encode(unsigned long secret,
					   const void *slot, const void *ptr)
{
	return (unsigned long)ptr ^ secret ^ swab((unsigned long)slot);
}

static inline void *ap_link_decode(unsigned long secret, const void *slot,
				   unsigned long val)
{
	return (void *)(val ^ secret ^ swab((unsigned long)slot));
}

int ap_core_init(void);
void ap_core_exit(void);

struct hlist_node;
int ap_cpuhp_init(int *state, const char *name,
		  int (*dead)(unsigned int cpu, struct hlist_node *node));
void ap_cpuhp_exit(int *state);
int buddy_arena_cpuhp_init(void);
void buddy_arena_cpuhp_exit(void);
int bget_pool_cpuhp_init(void);
void bget_pool_cpuhp_exit(void);
int bump_slab_cpuhp_init(void);
void bump_slab_cpuhp_exit(void);

/*
 * Exports go right after the function's closing brace, as
 * EXPORT_SYMBOL_NS_GPL(sym, ALLOCPOOLS_NS): see <allocpools/ns.h>.
 */

#endif /* _ALLOCPOOLS_INTERNAL_H */
