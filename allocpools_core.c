// SPDX-License-Identifier: GPL-2.0
/*
 * The pool registry shared by the four allocators.
 *
 * Names, uniqueness per kind, the debugfs tree and the "pools" table:
 *
 *   /sys/kernel/debug/allocpools/pools
 *   /sys/kernel/debug/allocpools/<kind>/<name>/{stats,...}
 *   /sys/kernel/debug/allocpools/<kind>/<name>/fail/   (fault injection)
 *
 * Context: process context only (registration sleeps on ap_mutex and creates
 * debugfs entries).  A debugfs failure never fails a pool's creation: the
 * pool simply has no directory.
 */

#define pr_fmt(fmt) "allocpools: " fmt

#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "allocpools_internal.h"

#define AP_MAX_KINDS	8

/* ap_mutex guards ap_pools, ap_kind_dirs and every pool's node and dir. */
static DEFINE_MUTEX(ap_mutex);
static LIST_HEAD(ap_pools);
static struct dentry *ap_root;
static struct {
	const struct ap_kind *kind;
	struct dentry *dir;
} ap_kind_dirs[AP_MAX_KINDS];

/**
 * ap_name_valid() - check a pool name against the naming rule
 * @name: the proposed name, may be NULL
 *
 * ASCII only: the kernel's isalnum() also accepts Latin-1 letters
 * (0xc0..0xff), which are no part of the rule.
 *
 * Return: true for 1..31 characters of [A-Za-z0-9_.-].
 */
bool ap_name_valid(const char *name)
{
	size_t i;

	if (!name)
		return false;
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (i >= AP_NAME_MAX - 1)
			return false;
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '_' && c != '.' && c != '-')
			return false;
	}
	/* "." and ".." would make odd debugfs directories. */
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	return i > 0;
}

static int ap_file_show(struct seq_file *m, void *unused)
{
	struct ap_file_ref *ref = m->private;

	return ref->file->show(m, ref->pool);
}

static int ap_file_open(struct inode *inode, struct file *file)
{
	return single_open(file, ap_file_show, inode->i_private);
}

static const struct file_operations ap_file_fops = {
	.owner		= THIS_MODULE,
	.open		= ap_file_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static struct dentry *kind_dir_locked(const struct ap_kind *kind)
{
	int i;

	lockdep_assert_held(&ap_mutex);
	if (!ap_root)
		return NULL;
	for (i = 0; i < AP_MAX_KINDS; i++) {
		if (ap_kind_dirs[i].kind && ap_kind_dirs[i].kind != kind)
			continue;
		/*
		 * A directory that could not be made (no memory at the
		 * time) is tried again by the kind's next pool, rather than
		 * leaving every later pool of the kind without one.
		 */
		if (IS_ERR_OR_NULL(ap_kind_dirs[i].dir)) {
			ap_kind_dirs[i].kind = kind;
			ap_kind_dirs[i].dir = debugfs_create_dir(kind->name,
								 ap_root);
		}
		return ap_kind_dirs[i].dir;
	}
	return NULL;
}

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
/*
 * Each pool has its own attribute, as failslab has one for the slab
 * allocator: probability, interval, times, space, verbose and task-filter
 * in <pool>/fail/ (Documentation/fault-injection/fault-injection.rst).
 * The defaults are failslab's: probability 0, so nothing fails until
 * someone writes one.
 */
static void fault_init(struct ap_pool *pool)
{
	pool->fault = (struct fault_attr)FAULT_ATTR_INITIALIZER;
	/*
	 * The initializer's ratelimit lock is meant for a static attribute:
	 * in a pool's memory it needs lockdep's class from an init call.
	 */
	ratelimit_state_init(&pool->fault.ratelimit_state, 0,
			     DEFAULT_RATELIMIT_BURST);
	atomic64_set(&pool->injected, 0);
}

static void fault_create_files_locked(struct ap_pool *pool)
{
	lockdep_assert_held(&ap_mutex);
	/* Like every file here, optional: the pool works without it. */
	fault_create_debugfs_attr("fail", pool->dir, &pool->fault);
}

/*
 * Up to 6.1 fault_create_debugfs_attr() keeps a reference on the directory
 * it made (attr->dname = dget(dir)) that nothing drops: harmless for a
 * static attribute, a leaked dentry for every destroyed pool.  Later
 * kernels copy the name instead (FAULT_ATTR_DNAME_LEN) and hold nothing.
 * Called once the directory is removed.
 */
static void fault_release(struct ap_pool *pool)
{
#ifndef FAULT_ATTR_DNAME_LEN
	dput(pool->fault.dname);
	pool->fault.dname = NULL;
#endif
}

/**
 * ap_fault_inject() - consult a pool's armed fault attribute
 * @pool: the pool an allocation is about to be made from
 * @size: the bytes asked for (what the attribute's "space" counts)
 *
 * The slow half of ap_should_fail(), once the attribute is armed.  A size
 * of 0 is left to fail as the caller's mistake it is.  should_fail() draws
 * get_random_u32(), whose per-CPU batch sits behind a local_lock (a
 * sleeping lock on PREEMPT_RT), and may print and dump the stack: so it is
 * not asked in hard IRQ or NMI, nor on PREEMPT_RT where preemption is off
 * (a raw lock held, interrupts off).  Allocations made there never fail on
 * purpose.
 *
 * Context: any context.
 * Return: true if the allocation is to fail; counted in the pool's
 * injected failures.
 */
bool ap_fault_inject(struct ap_pool *pool, size_t size)
{
	if (!size || in_hardirq() || in_nmi())
		return false;
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && !preemptible())
		return false;
	if (!should_fail(&pool->fault, min_t(size_t, size, SSIZE_MAX)))
		return false;
	atomic64_inc(&pool->injected);
	return true;
}
#else
static void fault_init(struct ap_pool *pool)
{
}

static void fault_create_files_locked(struct ap_pool *pool)
{
}

static void fault_release(struct ap_pool *pool)
{
}
#endif

static void create_files_locked(struct ap_pool *pool)
{
	struct dentry *parent = kind_dir_locked(pool->kind);
	unsigned int i;

	lockdep_assert_held(&ap_mutex);
	pool->dir = NULL;
	if (IS_ERR_OR_NULL(parent))
		return;
	pool->dir = debugfs_create_dir(pool->name, parent);
	if (IS_ERR_OR_NULL(pool->dir)) {
		pool->dir = NULL;
		return;
	}
	for (i = 0; i < pool->kind->nr_files && i < AP_MAX_FILES; i++) {
		pool->refs[i].pool = pool;
		pool->refs[i].file = &pool->kind->files[i];
		debugfs_create_file(pool->kind->files[i].name, 0400, pool->dir,
				    &pool->refs[i], &ap_file_fops);
	}
	fault_create_files_locked(pool);
}

/**
 * ap_pool_register() - give a new pool its name, row and debugfs directory
 * @pool: the pool's embedded core part
 * @kind: the allocator kind
 * @name: the pool's name
 *
 * Context: process context; takes ap_mutex.
 * Return: 0, -EINVAL for a bad name, -EEXIST if a pool of @kind already has
 * @name.
 */
int ap_pool_register(struct ap_pool *pool, const struct ap_kind *kind,
		     const char *name)
{
	struct ap_pool *p;

	if (!ap_name_valid(name))
		return -EINVAL;

	mutex_lock(&ap_mutex);
	list_for_each_entry(p, &ap_pools, node) {
		if (p->kind == kind && !strcmp(p->name, name)) {
			mutex_unlock(&ap_mutex);
			return -EEXIST;
		}
	}
	pool->kind = kind;
	strscpy(pool->name, name, sizeof(pool->name));
	ratelimit_default_init(&pool->rs);
	fault_init(pool);
	list_add_tail(&pool->node, &ap_pools);
	create_files_locked(pool);
	mutex_unlock(&ap_mutex);
	return 0;
}

/**
 * ap_pool_unregister() - remove a pool's row and debugfs directory
 * @pool: a registered pool
 *
 * Waits for debugfs readers and writers of the pool's files (fail/
 * included) to finish, so the pool may be freed once this returns.
 *
 * Context: process context; takes ap_mutex.
 */
void ap_pool_unregister(struct ap_pool *pool)
{
	mutex_lock(&ap_mutex);
	list_del(&pool->node);
	debugfs_remove_recursive(pool->dir);
	pool->dir = NULL;
	fault_release(pool);
	mutex_unlock(&ap_mutex);
	if (pool->rs.missed)
		pr_warn("%s/%s: %d reports suppressed by the rate limit\n",
			pool->kind->name, pool->name, pool->rs.missed);
}

/**
 * ap_report_invalid() - report a rejected free (or a poison mismatch)
 * @pool: the pool that refused it
 * @what: what was wrong, e.g. "double free"
 * @inside: whether @offset locates the pointer inside the pool
 * @offset: offset of the pointer from the start of the pool's memory
 *
 * Offsets only: no kernel address reaches the log.  Rate-limited per pool.
 *
 * Context: any context.
 */
void ap_report_invalid(struct ap_pool *pool, const char *what,
		       bool inside, size_t offset)
{
	if (!__ratelimit(&pool->rs))
		return;
	if (inside)
		pr_err("%s/%s: %s at offset %zu\n", pool->kind->name,
		       pool->name, what, offset);
	else
		pr_err("%s/%s: %s: pointer outside the pool\n",
		       pool->kind->name, pool->name, what);
}

/**
 * ap_report_corruption() - report damage found in a pool's own metadata
 * @pool: the damaged pool
 * @what: what was found, e.g. "free-list link damaged"
 * @offset: offset of the damaged block from the start of the pool's memory
 *
 * For damage a client did to memory it no longer owned (a write after free
 * over a free-list link, a smashed header): the damaged part has been cut
 * off and the pool goes on.  Rate-limited per pool, offsets only.
 *
 * Context: any context.
 */
void ap_report_corruption(struct ap_pool *pool, const char *what,
			  size_t offset)
{
	if (__ratelimit(&pool->rs))
		pr_err("%s/%s: corruption: %s at offset %zu, cut off\n",
		       pool->kind->name, pool->name, what, offset);
}

/**
 * ap_warn_live() - warn that a pool is destroyed with live allocations
 * @pool: the pool being destroyed
 * @live: how many objects were still allocated
 */
void ap_warn_live(const struct ap_pool *pool, unsigned long live)
{
	pr_warn("%s/%s: destroyed with %lu live objects\n", pool->kind->name,
		pool->name, live);
}

static int pools_show(struct seq_file *m, void *unused)
{
	struct ap_pool *p;
	struct ap_row row;

	seq_printf(m, "%-10s %-31s %12s %12s %12s %12s %12s %10s %13s\n",
		   "kind", "name", "size", "used", "free", "allocs", "frees",
		   "failures", "invalid_frees");
	mutex_lock(&ap_mutex);
	list_for_each_entry(p, &ap_pools, node) {
		memset(&row, 0, sizeof(row));
		p->kind->row(p, &row);
		seq_printf(m, "%-10s %-31s %12zu %12zu %12zu %12llu %12llu %10llu %13llu\n",
			   p->kind->name, p->name, row.size, row.used, row.free,
			   row.allocs, row.frees, row.failures,
			   row.invalid_frees);
	}
	mutex_unlock(&ap_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pools);

/**
 * ap_core_init() - create the debugfs root and the "pools" file
 *
 * Return: 0; a debugfs failure only leaves the tree out.
 */
int ap_core_init(void)
{
	struct dentry *root = debugfs_create_dir("allocpools", NULL);

	if (IS_ERR_OR_NULL(root)) {
		pr_info("debugfs unavailable, statistics not shown\n");
		return 0;
	}
	debugfs_create_file("pools", 0400, root, NULL, &pools_fops);
	mutex_lock(&ap_mutex);
	ap_root = root;
	mutex_unlock(&ap_mutex);
	return 0;
}

/**
 * ap_core_exit() - remove the debugfs tree; every pool is gone by now
 */
void ap_core_exit(void)
{
	mutex_lock(&ap_mutex);
	WARN_ON_ONCE(!list_empty(&ap_pools));
	debugfs_remove_recursive(ap_root);
	ap_root = NULL;
	memset(ap_kind_dirs, 0, sizeof(ap_kind_dirs));
	mutex_unlock(&ap_mutex);
}

/**
 * ap_cpuhp_init() - set up the CPU hotplug state of a kind of pool
 * @state: where the state goes; it stays -1 on failure
 * @name: the state's name
 * @dead: called with a pool's node (an instance) on the CPU that took
 *	@cpu down, once @cpu is dead: drains @cpu's cache
 *
 * One multi-instance state per kind of pool with per-CPU caches, set up
 * once at module load, before any pool is created; pools then add
 * themselves with cpuhp_state_add_instance_nocalls().
 *
 * Context: process context; may sleep.
 * Return: 0, or the -errno of cpuhp_setup_state_multi().
 */
int ap_cpuhp_init(int *state, const char *name,
		  int (*dead)(unsigned int cpu, struct hlist_node *node))
{
	int ret;

	ret = cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN, name, NULL, dead);
	if (ret < 0)
		return ret;
	*state = ret;
	return 0;
}

/**
 * ap_cpuhp_exit() - remove what ap_cpuhp_init() set up in @state
 * @state: the state, -1 again afterwards (nothing to do if it is)
 *
 * Context: process context, at module unload, once every pool of the kind
 * is gone.
 */
void ap_cpuhp_exit(int *state)
{
	if (*state < 0)
		return;
	cpuhp_remove_multi_state(*state);
	*state = -1;
}
