// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite allocpools_faults: every allocation that create, region
 * adding, growth and BGET's default acquire make is failed in turn with the
 * kernel's own fault injection (failslab, fail_page_alloc), through the
 * exported API only.
 *
 * The mechanism is syzkaller's fail-nth: with CONFIG_FAULT_INJECTION,
 * should_fail_ex() counts current->fail_nth down in the calling task and
 * fails the injection point where it reaches zero, whatever the fault
 * attribute's probability (lib/fault-inject.c, 6.1 and 6.12 alike).  A case
 * sets fail_nth = n for n = 1, 2, ... around one call; when the call leaves
 * fail_nth non-zero it made fewer than n allocations, so each of them has
 * failed once, and the case stops.  Only this task's allocations count:
 * nothing else in the system is failed.
 *
 * failslab and fail_page_alloc filter before they count: they skip
 * allocations that may reclaim (ignore-gfp-wait), fail_page_alloc skips
 * highmem and orders below min-order (vmalloc's pages are order-0 highmem),
 * and failslab may skip caches without SLAB_FAILSLAB (cache-filter).  Those
 * knobs live in debugfs only, so .suite_init finds them there: a debugfs
 * bool, u32 or unsigned long file keeps the address of the variable it
 * shows in its inode's i_private (debugfs_create_bool/_u32 in
 * fs/debugfs/file.c, debugfs_create_ul in lib/fault-inject.c).  It turns
 * the filters off, sets verbose to 0 (at 1 every failure prints a notice,
 * at 2, the default, a stack dump too), and .suite_exit puts back what it
 * found.  With a probability of 0, which nobody changes in a KUnit run,
 * only fail_nth fails anything, so the knobs change nothing for other
 * tasks.  Without the options or the knobs every case is skipped.
 *
 * What each failed call must do: return ERR_PTR(-ENOMEM), -ENOMEM or NULL
 * as the contract says; a create leaves nothing registered (no debugfs
 * directory, and the same name can be created at once, which the next
 * round does); a call on a pool leaves its stats as they were but for the
 * one failure a failed allocation counts, and the same call with nothing
 * failing then succeeds.  A call that succeeds although an allocation
 * failed (kvmalloc() falls back to vmalloc(), debugfs is optional) must
 * give what a call without failures gives: a create, a pool with the same
 * stats as a clean create's.  Leaks are kmemleak's to find (the x86_64
 * layers scan after the suites); vmalloc()'s warn_alloc() report of an
 * injected failure is expected (it prints no WARNING line).
 */

#include <kunit/test.h>
#include <linux/dcache.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include <allocpools/allocpools.h>

/* Far more allocations than any call here makes: a case that gets there loops. */
#define FI_MAX_N	256
#define FI_NAME		"faults"
/* Objects for several refills of a per-CPU cache. */
#define FI_HEAP_OBJECTS	100

/* ---- the fault-injection knobs ---- */

enum fi_type { FI_BOOL, FI_U32, FI_UL };

struct fi_knob {
	const char *dir;
	const char *file;
	enum fi_type type;
	void *var;		/* the variable the debugfs file shows */
	unsigned long saved;	/* its value before the suite */
};

static struct fi_knob fi_knobs[] = {
	{ "failslab", "ignore-gfp-wait", FI_BOOL },
	{ "failslab", "cache-filter", FI_BOOL },
	{ "failslab", "verbose", FI_UL },
	{ "fail_page_alloc", "ignore-gfp-wait", FI_BOOL },
	{ "fail_page_alloc", "ignore-gfp-highmem", FI_BOOL },
	{ "fail_page_alloc", "min-order", FI_U32 },
	{ "fail_page_alloc", "verbose", FI_UL },
};

/* Why the cases skip; NULL once the knobs are set. */
static const char *fi_unavailable = "the suite did not initialise";

/*
 * Other CPUs read these variables on every allocation, unlocked, as the
 * debugfs files' own writes race with them: marked accesses, one word each.
 */
static unsigned long fi_knob_get(const struct fi_knob *k)
{
	switch (k->type) {
	case FI_BOOL:
		return READ_ONCE(*(bool *)k->var);
	case FI_U32:
		return READ_ONCE(*(u32 *)k->var);
	default:
		return READ_ONCE(*(unsigned long *)k->var);
	}
}

static void fi_knob_set(const struct fi_knob *k, unsigned long val)
{
	switch (k->type) {
	case FI_BOOL:
		WRITE_ONCE(*(bool *)k->var, val);
		break;
	case FI_U32:
		WRITE_ONCE(*(u32 *)k->var, val);
		break;
	default:
		WRITE_ONCE(*(unsigned long *)k->var, val);
	}
}

/* The variable behind debugfs file @dir/@file, or NULL. */
static void *fi_knob_find(const char *dir, const char *file)
{
	struct dentry *d, *f;
	void *var = NULL;

	d = debugfs_lookup(dir, NULL);
	if (IS_ERR_OR_NULL(d))
		return NULL;
	f = debugfs_lookup(file, d);
	if (!IS_ERR_OR_NULL(f)) {
		if (d_really_is_positive(f))
			var = d_inode(f)->i_private;
		dput(f);
	}
	dput(d);
	return var;
}

static int fi_suite_init(struct kunit_suite *suite)
{
	unsigned int i;

	if (!IS_ENABLED(CONFIG_FAULT_INJECTION) ||
	    !IS_ENABLED(CONFIG_FAILSLAB) || !IS_ENABLED(CONFIG_FAIL_PAGE_ALLOC) ||
	    !IS_ENABLED(CONFIG_FAULT_INJECTION_DEBUG_FS)) {
		fi_unavailable = "needs FAULT_INJECTION(_DEBUG_FS), FAILSLAB, FAIL_PAGE_ALLOC";
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(fi_knobs); i++) {
		fi_knobs[i].var = fi_knob_find(fi_knobs[i].dir,
					       fi_knobs[i].file);
		if (!fi_knobs[i].var) {
			fi_unavailable = "a failslab or fail_page_alloc knob is not in debugfs";
			return 0;
		}
	}
	for (i = 0; i < ARRAY_SIZE(fi_knobs); i++) {
		fi_knobs[i].saved = fi_knob_get(&fi_knobs[i]);
		fi_knob_set(&fi_knobs[i], 0);
	}
	fi_unavailable = NULL;
	return 0;
}

static void fi_suite_exit(struct kunit_suite *suite)
{
	unsigned int i;

	if (fi_unavailable)
		return;
	for (i = 0; i < ARRAY_SIZE(fi_knobs); i++)
		fi_knob_set(&fi_knobs[i], fi_knobs[i].saved);
	fi_unavailable = "the suite has ended";
}

static void fi_begin(struct kunit *test)
{
	if (fi_unavailable)
		kunit_skip(test, "kernel fault injection unavailable: %s",
			   fi_unavailable);
}

/*
 * Without fault injection a parameterised case has no parameters: on 6.1
 * a parameter's result line carries no SKIP directive, so a parameter that
 * skipped would be counted as passed.  With none, the case itself is
 * reported skipped (.suite_init has run before any generator is called).
 */
static const void *fi_params(const void *next)
{
	return fi_unavailable ? NULL : next;
}

#ifdef CONFIG_FAULT_INJECTION
/* Fail this task's @n-th allocation from now on. */
static void fi_arm(unsigned int n)
{
	WRITE_ONCE(current->fail_nth, n);
}

/* Stop failing; non-zero if the armed allocation was never reached. */
static unsigned int fi_disarm(void)
{
	unsigned int left = READ_ONCE(current->fail_nth);

	WRITE_ONCE(current->fail_nth, 0);
	return left;
}
#else
static void fi_arm(unsigned int n)
{
}

static unsigned int fi_disarm(void)
{
	return 0;
}
#endif

/* ---- the four kinds, seen alike ---- */

union fi_stats {
	struct iom_stats iom;
	struct buddy_arena_stats ba;
	struct bget_stats bget;
	struct bump_slab_stats bs;
};

struct fi_kind {
	const char *dir;	/* its directory under debugfs allocpools/ */
	void (*stats)(void *pool, union fi_stats *st);
	size_t stats_size;
	size_t failures;	/* offset of the u64 failures in its stats */
	bool (*works)(void *pool);	/* an allocation and its free succeed */
	void (*destroy)(void *pool);
};

static void fi_iom_stats(void *pool, union fi_stats *st)
{
	iom_stats(pool, &st->iom);
}

static bool fi_iom_works(void *pool)
{
	size_t len = 0;
	u8 byte;

	return !iom_push(pool, "x", 1, IOM_TAIL_DROP) &&
	       !iom_shift(pool, &byte, &len, sizeof(byte)) && len == 1;
}

static void fi_iom_destroy(void *pool)
{
	iom_destroy(pool);
}

static const struct fi_kind fi_iom = {
	.dir = "iom",
	.stats = fi_iom_stats,
	.stats_size = sizeof(struct iom_stats),
	.failures = offsetof(struct iom_stats, failures),
	.works = fi_iom_works,
	.destroy = fi_iom_destroy,
};

static void fi_ba_stats(void *pool, union fi_stats *st)
{
	buddy_arena_stats(pool, &st->ba);
}

static bool fi_ba_works(void *pool)
{
	void *p = buddy_arena_alloc(pool, 1, GFP_ATOMIC);

	return p && !buddy_arena_free(pool, p);
}

static void fi_ba_destroy(void *pool)
{
	buddy_arena_destroy(pool);
}

static const struct fi_kind fi_ba = {
	.dir = "buddy",
	.stats = fi_ba_stats,
	.stats_size = sizeof(struct buddy_arena_stats),
	.failures = offsetof(struct buddy_arena_stats, failures),
	.works = fi_ba_works,
	.destroy = fi_ba_destroy,
};

static void fi_bget_stats(void *pool, union fi_stats *st)
{
	bget_pool_stats(pool, &st->bget);
}

/* A pool created empty has nothing to allocate from until it is fed. */
static bool fi_bget_works(void *pool)
{
	struct bget_stats st;
	void *p;

	bget_pool_stats(pool, &st);
	if (!st.totfree)
		return true;
	p = bget_alloc(pool, 1, GFP_ATOMIC);
	return p && !bget_free(pool, p);
}

static void fi_bget_destroy(void *pool)
{
	bget_pool_destroy(pool);
}

static const struct fi_kind fi_bget = {
	.dir = "bget",
	.stats = fi_bget_stats,
	.stats_size = sizeof(struct bget_stats),
	.failures = offsetof(struct bget_stats, failures),
	.works = fi_bget_works,
	.destroy = fi_bget_destroy,
};

static void fi_bs_stats(void *pool, union fi_stats *st)
{
	bump_slab_stats(pool, &st->bs);
}

static bool fi_bs_works(void *pool)
{
	void *p = bump_slab_alloc(pool, 1, GFP_ATOMIC);

	return p && !bump_slab_free(pool, p);
}

static void fi_bs_destroy(void *pool)
{
	bump_slab_destroy(pool);
}

static const struct fi_kind fi_bs = {
	.dir = "bump_slab",
	.stats = fi_bs_stats,
	.stats_size = sizeof(struct bump_slab_stats),
	.failures = offsetof(struct bump_slab_stats, failures),
	.works = fi_bs_works,
	.destroy = fi_bs_destroy,
};

/*
 * @got must equal @want but for @more_failures in failures.  The stats
 * calls clear the whole struct first, padding included, so the structs
 * compare as words.
 */
static bool fi_same_stats(struct kunit *test, const struct fi_kind *kind,
			  const union fi_stats *want, const union fi_stats *got,
			  u64 more_failures, const char *what, unsigned int n)
{
	union fi_stats w = *want;
	const u64 *a = (const u64 *)&w, *b = (const u64 *)got;
	size_t i;

	*(u64 *)((u8 *)&w + kind->failures) += more_failures;
	for (i = 0; i < kind->stats_size / sizeof(u64); i++) {
		if (a[i] != b[i]) {
			KUNIT_FAIL(test, "%s, allocation %u failed: %s stats +%zu: %llu, not %llu",
				   what, n, kind->dir, i * sizeof(u64), b[i],
				   a[i]);
			return false;
		}
	}
	return true;
}

/* Is there a debugfs directory allocpools/@kind/@name? */
static bool fi_listed(const char *kind, const char *name)
{
	struct dentry *root, *dir, *d = NULL;

	root = debugfs_lookup("allocpools", NULL);
	if (IS_ERR_OR_NULL(root))
		return false;
	dir = debugfs_lookup(kind, root);
	if (!IS_ERR_OR_NULL(dir)) {
		d = debugfs_lookup(name, dir);
		dput(dir);
	}
	dput(root);
	if (IS_ERR_OR_NULL(d))
		return false;
	dput(d);
	return true;
}

/* ---- creates ---- */

struct fi_create {
	const char *desc;
	const struct fi_kind *kind;
	void *(*create)(const struct fi_create *c, struct buddy_arena *backing);
	size_t size;
	unsigned int min_order, max_order, flags;
};

static void *fi_iom_create(const struct fi_create *c, struct buddy_arena *ba)
{
	return iom_create(FI_NAME, c->size, c->flags);
}

static void *fi_ba_create(const struct fi_create *c, struct buddy_arena *ba)
{
	return buddy_arena_create(FI_NAME, c->size, c->min_order,
				  c->max_order, c->flags);
}

static void *fi_bget_create(const struct fi_create *c, struct buddy_arena *ba)
{
	return bget_pool_create(FI_NAME, c->size, c->flags);
}

static void *fi_bs_create(const struct fi_create *c, struct buddy_arena *ba)
{
	return bump_slab_create(FI_NAME, c->size, c->flags);
}

static void *fi_bs_create_on(const struct fi_create *c, struct buddy_arena *ba)
{
	return bump_slab_create_on(FI_NAME, ba, c->flags);
}

static const struct fi_create fi_creates[] = {
	{ "iom 4 KiB", &fi_iom, fi_iom_create, SZ_4K },
	{ "iom 1 MiB poison mainly-empty", &fi_iom, fi_iom_create, SZ_1M,
	  .flags = IOM_POISON | IOM_MAINLY_EMPTY },
	{ "buddy plain", &fi_ba, fi_ba_create, SZ_64K, 6, 12 },
	{ "buddy grow", &fi_ba, fi_ba_create, SZ_64K, 6, 12,
	  BUDDY_ARENA_GROW },
	{ "buddy poison, uneven size", &fi_ba, fi_ba_create,
	  SZ_64K + SZ_4K + 64, 6, 12, BUDDY_ARENA_POISON },
	/* An order map past a page: kvzalloc() falls back to vmalloc(). */
	{ "buddy 4 MiB of 16-byte units", &fi_ba, fi_ba_create, SZ_4M, 4, 16,
	  BUDDY_ARENA_GROW | BUDDY_ARENA_POISON },
	{ "bget empty", &fi_bget, fi_bget_create, 0 },
	{ "bget 64 KiB", &fi_bget, fi_bget_create, SZ_64K },
	{ "bget best fit poison", &fi_bget, fi_bget_create, SZ_256K,
	  .flags = BGET_BEST_FIT | BGET_POISON },
	{ "bump_slab heap", &fi_bs, fi_bs_create, SZ_64K },
	{ "bump_slab heap 1 MiB poison", &fi_bs, fi_bs_create, SZ_1M,
	  .flags = BUMP_SLAB_POISON },
	{ "bump_slab on a buddy arena", &fi_bs, fi_bs_create_on },
	{ "bump_slab on a buddy arena, poison", &fi_bs, fi_bs_create_on,
	  .flags = BUMP_SLAB_POISON },
};

static void fi_create_desc(const struct fi_create *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fi_create, fi_creates, fi_create_desc);

/* See fi_params(). */
static const void *fi_create_params(const void *prev, char *desc)
{
	return fi_params(fi_create_gen_params(prev, desc));
}

/*
 * One round: the create with its @n-th allocation failing.  True when the
 * case should go on (the call failed, or succeeded with a failure
 * absorbed), false when it is over or wrong.
 */
static bool fi_create_round(struct kunit *test, const struct fi_create *c,
			    struct buddy_arena *backing,
			    const union fi_stats *ref, unsigned int n,
			    unsigned int *failed)
{
	union fi_stats st;
	unsigned int left;
	void *pool;
	bool ok;

	fi_arm(n);
	pool = c->create(c, backing);
	left = fi_disarm();
	if (IS_ERR(pool)) {
		(*failed)++;
		if (PTR_ERR(pool) != -ENOMEM || left) {
			KUNIT_FAIL(test, "%s, allocation %u failed: returned %ld",
				   c->desc, n, PTR_ERR(pool));
			return false;
		}
		if (fi_listed(c->kind->dir, FI_NAME)) {
			KUNIT_FAIL(test, "%s, allocation %u failed: its debugfs directory is left",
				   c->desc, n);
			return false;
		}
		return true;
	}
	if (!pool) {
		KUNIT_FAIL(test, "%s, allocation %u failed: returned NULL",
			   c->desc, n);
		return false;
	}
	c->kind->stats(pool, &st);
	ok = fi_same_stats(test, c->kind, ref, &st, 0, c->desc, n);
	if (ok && !c->kind->works(pool)) {
		KUNIT_FAIL(test, "%s, allocation %u failed: the pool created does not serve",
			   c->desc, n);
		ok = false;
	}
	c->kind->destroy(pool);
	return ok && !left;
}

static void faults_test_create(struct kunit *test)
{
	const struct fi_create *c = test->param_value;
	struct buddy_arena *backing = NULL;
	unsigned int n, failed = 0;
	union fi_stats ref;
	void *pool;

	fi_begin(test);
	if (c->create == fi_bs_create_on) {
		backing = buddy_arena_create("faults_backing", SZ_64K, 6, 12, 0);
		KUNIT_ASSERT_FALSE(test, IS_ERR(backing));
	}
	/* What a create with nothing failing gives. */
	pool = c->create(c, backing);
	if (IS_ERR(pool)) {
		buddy_arena_destroy(backing);
		KUNIT_FAIL(test, "%s: create failed: %ld", c->desc,
			   PTR_ERR(pool));
		return;
	}
	c->kind->stats(pool, &ref);
	c->kind->destroy(pool);

	for (n = 1; n <= FI_MAX_N; n++)
		if (!fi_create_round(test, c, backing, &ref, n, &failed))
			break;
	KUNIT_EXPECT_LE_MSG(test, n, FI_MAX_N, "%s never stopped allocating",
			    c->desc);
	/* Each create allocates its pool struct at least. */
	KUNIT_EXPECT_GT(test, failed, 0);
	kunit_info(test, "%s: %u allocations, %u failed calls\n", c->desc,
		   n - 1, failed);
	buddy_arena_destroy(backing);
}

/* ---- calls on a pool: region adding, growth, allocation ---- */

struct fi_op {
	struct kunit *test;
	const char *desc;
	const struct fi_kind *kind;
	void *pool;
	/* A second pool the call goes through (bump_slab's arena), or NULL. */
	const struct fi_kind *kind2;
	void *pool2;
	/* The call under test: what it made, or NULL/ERR_PTR on failure. */
	void *(*call)(struct fi_op *op);
	/* Undo what a successful call made; NULL if it stays. */
	void (*undo)(struct fi_op *op, void *made);
	size_t size;
	/* Failures a failed call counts in each pool's stats. */
	unsigned int counts, counts2;
	void **made;
	unsigned int nr_made;
};

static void fi_op_stats(struct fi_op *op, union fi_stats *st,
			union fi_stats *st2)
{
	op->kind->stats(op->pool, st);
	if (op->kind2)
		op->kind2->stats(op->pool2, st2);
}

/* Keep what a successful call made, for fi_op_end(). */
static void fi_op_keep(struct kunit *test, struct fi_op *op, void *made)
{
	if (op->nr_made < 2 * FI_MAX_N)
		op->made[op->nr_made++] = made;
	else
		KUNIT_FAIL(test, "%s: too many calls", op->desc);
}

/*
 * One round: the call with its @n-th allocation failing.  A failed call
 * must leave the stats as they were, with the failure it counts, and the
 * same call with nothing failing must then succeed.  What succeeds is kept
 * (growth fills what it grew, so the next call must grow again).
 */
static bool fi_op_round(struct kunit *test, struct fi_op *op, unsigned int n,
			unsigned int *failed)
{
	union fi_stats before, before2, after, after2;
	unsigned int left;
	void *made;

	fi_op_stats(op, &before, &before2);
	fi_arm(n);
	made = op->call(op);
	left = fi_disarm();
	if (!IS_ERR_OR_NULL(made)) {
		fi_op_keep(test, op, made);
		return !left;
	}
	(*failed)++;
	if (left || (IS_ERR(made) && PTR_ERR(made) != -ENOMEM)) {
		KUNIT_FAIL(test, "%s, allocation %u failed: returned %ld",
			   op->desc, n, PTR_ERR(made));
		return false;
	}
	fi_op_stats(op, &after, &after2);
	if (!fi_same_stats(test, op->kind, &before, &after, op->counts,
			   op->desc, n))
		return false;
	if (op->kind2 && !fi_same_stats(test, op->kind2, &before2, &after2,
					op->counts2, op->desc, n))
		return false;
	made = op->call(op);
	if (IS_ERR_OR_NULL(made)) {
		KUNIT_FAIL(test, "%s, allocation %u failed: the call fails after it",
			   op->desc, n);
		return false;
	}
	fi_op_keep(test, op, made);
	return true;
}

static void fi_op_run(struct kunit *test, struct fi_op *op)
{
	unsigned int n, failed = 0;

	op->test = test;
	op->made = kunit_kcalloc(test, 2 * FI_MAX_N, sizeof(*op->made),
				 GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, op->made);
	for (n = 1; n <= FI_MAX_N; n++)
		if (!fi_op_round(test, op, n, &failed))
			break;
	KUNIT_EXPECT_LE_MSG(test, n, FI_MAX_N, "%s never stopped allocating",
			    op->desc);
	KUNIT_EXPECT_GT_MSG(test, failed, 0, "%s", op->desc);
	kunit_info(test, "%s: %u allocations, %u failed calls\n", op->desc,
		   n - 1, failed);
	while (op->undo && op->nr_made)
		op->undo(op, op->made[--op->nr_made]);
}

/* buddy_arena_add_region() */

static void *fi_ba_add(struct fi_op *op)
{
	int ret = buddy_arena_add_region(op->pool, op->size);

	return ret ? ERR_PTR(ret) : op->pool;
}

static const size_t fi_region_sizes[] = { SZ_16K, SZ_4M + SZ_64K };

static void fi_size_desc(const size_t *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu bytes", *size);
}

KUNIT_ARRAY_PARAM(fi_region, fi_region_sizes, fi_size_desc);

/* See fi_params(). */
static const void *fi_region_params(const void *prev, char *desc)
{
	return fi_params(fi_region_gen_params(prev, desc));
}

static void faults_test_buddy_add_region(struct kunit *test)
{
	struct fi_op op = {
		.desc = "buddy_arena_add_region",
		.kind = &fi_ba,
		.call = fi_ba_add,
		.size = *(const size_t *)test->param_value,
	};

	fi_begin(test);
	/* 16-byte units: a large region's order map is past a page. */
	op.pool = buddy_arena_create(FI_NAME, SZ_4K, 4, 12, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(op.pool));
	fi_op_run(test, &op);
	if (!fi_ba_works(op.pool))
		KUNIT_FAIL(test, "the arena does not serve");
	buddy_arena_destroy(op.pool);
}

/* Growth: an allocation a full BUDDY_ARENA_GROW arena must grow for. */

static void *fi_ba_alloc(struct fi_op *op)
{
	return buddy_arena_alloc(op->pool, op->size, GFP_KERNEL);
}

static void fi_ba_free(struct fi_op *op, void *p)
{
	if (buddy_arena_free(op->pool, p))
		kunit_err(op->test, "buddy_arena_free failed");
}

static void faults_test_buddy_growth(struct kunit *test)
{
	struct fi_op op = {
		.desc = "buddy growth",
		.kind = &fi_ba,
		.call = fi_ba_alloc,
		.undo = fi_ba_free,
		.size = SZ_4K,
		.counts = 1,
	};
	void *first;

	fi_begin(test);
	op.pool = buddy_arena_create(FI_NAME, SZ_4K, 6, 12, BUDDY_ARENA_GROW);
	KUNIT_ASSERT_FALSE(test, IS_ERR(op.pool));
	first = buddy_arena_alloc(op.pool, SZ_4K, GFP_ATOMIC);
	if (!first) {
		buddy_arena_destroy(op.pool);
		KUNIT_FAIL(test, "cannot fill the arena");
		return;
	}
	fi_op_run(test, &op);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(op.pool, first), 0);
	buddy_arena_destroy(op.pool);
}

/* bget_pool_add(): the region's bookkeeping is inside the buffer. */

static void faults_test_bget_add(struct kunit *test)
{
	union fi_stats before, after;
	struct bget_pool *bp;
	unsigned int left;
	void *buf;
	int ret;

	fi_begin(test);
	/* The caller's buffer: it must outlive the pool, as KUnit's does. */
	buf = kunit_kzalloc(test, SZ_4K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	bp = bget_pool_create(FI_NAME, 0, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bp));
	fi_bget_stats(bp, &before);
	fi_arm(1);
	ret = bget_pool_add(bp, buf, SZ_4K);
	left = fi_disarm();
	/* Its bookkeeping is inside the buffer: nothing to fail. */
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, left, 1,
			    "bget_pool_add() allocates: fail each in turn here");
	if (ret) {
		fi_bget_stats(bp, &after);
		fi_same_stats(test, &fi_bget, &before, &after, 0,
			      "bget_pool_add", 1);
	}
	KUNIT_EXPECT_TRUE(test, fi_bget_works(bp));
	bget_pool_destroy(bp);
}

/* Growth through acquire: the default bget_vmalloc_ops or a caller's. */

static void *fi_kmalloc_acquire(struct bget_pool *bp, size_t size, gfp_t gfp)
{
	/* kmalloc() of a page or more is page aligned: BGET_QUANTUM at least. */
	return kmalloc(max_t(size_t, size, PAGE_SIZE), gfp);
}

static void fi_kmalloc_release(struct bget_pool *bp, void *buf)
{
	kfree(buf);
}

static const struct bget_ops fi_kmalloc_ops = {
	.acquire = fi_kmalloc_acquire,
	.release = fi_kmalloc_release,
};

struct fi_grow {
	const char *desc;
	const struct bget_ops *ops;
	size_t size;		/* of each allocation */
};

#define FI_POOL_INCR	SZ_8K

static const struct fi_grow fi_grows[] = {
	/* Each takes most of a pool_incr expansion block. */
	{ "bget_vmalloc_ops, expansion", &bget_vmalloc_ops, SZ_4K + SZ_2K },
	{ "bget_vmalloc_ops, direct", &bget_vmalloc_ops, SZ_16K + SZ_4K },
	{ "caller's kmalloc acquire, expansion", &fi_kmalloc_ops,
	  SZ_4K + SZ_2K },
	{ "caller's kmalloc acquire, direct", &fi_kmalloc_ops,
	  SZ_16K + SZ_4K },
};

static void fi_grow_desc(const struct fi_grow *g, char *desc)
{
	strscpy(desc, g->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fi_grow, fi_grows, fi_grow_desc);

/* See fi_params(). */
static const void *fi_grow_params(const void *prev, char *desc)
{
	return fi_params(fi_grow_gen_params(prev, desc));
}

static void *fi_bget_alloc(struct fi_op *op)
{
	return bget_alloc(op->pool, op->size, GFP_KERNEL);
}

static void fi_bget_free(struct fi_op *op, void *p)
{
	if (bget_free(op->pool, p))
		kunit_err(op->test, "bget_free failed");
}

static void faults_test_bget_growth(struct kunit *test)
{
	const struct fi_grow *g = test->param_value;
	struct fi_op op = {
		.desc = g->desc,
		.kind = &fi_bget,
		.call = fi_bget_alloc,
		.undo = fi_bget_free,
		.size = g->size,
		.counts = 1,
	};

	fi_begin(test);
	op.pool = bget_pool_create(FI_NAME, 0, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(op.pool));
	if (bget_pool_ctl(op.pool, g->ops, FI_POOL_INCR)) {
		bget_pool_destroy(op.pool);
		KUNIT_FAIL(test, "bget_pool_ctl failed");
		return;
	}
	fi_op_run(test, &op);
	bget_pool_destroy(op.pool);
}

/* bump_slab: a class's new slab from a full BUDDY_ARENA_GROW arena. */

static void *fi_bs_alloc(struct fi_op *op)
{
	return bump_slab_alloc(op->pool, op->size, GFP_KERNEL);
}

static void fi_bs_free(struct fi_op *op, void *p)
{
	if (bump_slab_free(op->pool, p))
		kunit_err(op->test, "bump_slab_free failed");
}

static void faults_test_bump_slab_growth(struct kunit *test)
{
	struct fi_op op = {
		.desc = "bump_slab growth of its arena",
		.kind = &fi_bs,
		.kind2 = &fi_ba,
		.call = fi_bs_alloc,
		.undo = fi_bs_free,
		/* A class past 1 KiB takes one 4 KiB block per object. */
		.size = SZ_2K,
		.counts = 1,
		.counts2 = 1,
	};
	struct buddy_arena *ba;
	void *first;

	fi_begin(test);
	ba = buddy_arena_create("faults_backing", SZ_4K, 6, 12,
				BUDDY_ARENA_GROW);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ba));
	op.pool2 = ba;
	op.pool = bump_slab_create_on(FI_NAME, ba, 0);
	if (IS_ERR(op.pool)) {
		buddy_arena_destroy(ba);
		KUNIT_FAIL(test, "bump_slab_create_on failed");
		return;
	}
	/* The first object fills the arena. */
	first = bump_slab_alloc(op.pool, op.size, GFP_ATOMIC);
	if (first) {
		fi_op_run(test, &op);
		KUNIT_EXPECT_EQ(test, bump_slab_free(op.pool, first), 0);
	} else {
		KUNIT_FAIL(test, "cannot fill the arena");
	}
	bump_slab_destroy(op.pool);
	buddy_arena_destroy(ba);
}

/*
 * Heap mode never allocates once created: allocation, refills of the
 * per-CPU caches included, is any-context and may not.
 */
static void faults_test_bump_slab_heap_alloc(struct kunit *test)
{
	void *made[FI_HEAP_OBJECTS];
	struct bump_slab *bs;
	unsigned int i, n, left;

	fi_begin(test);
	bs = bump_slab_create(FI_NAME, SZ_64K, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bs));
	for (n = 0; n < FI_HEAP_OBJECTS; n++) {
		fi_arm(1);
		made[n] = bump_slab_alloc(bs, 64, GFP_KERNEL);
		left = fi_disarm();
		if (!made[n] || left != 1) {
			KUNIT_FAIL(test, "object %u: %s", n,
				   made[n] ? "allocated memory" : "failed");
			if (made[n])
				n++;
			break;
		}
	}
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, bump_slab_free(bs, made[i]), 0);
	bump_slab_destroy(bs);
}

static struct kunit_case allocpools_faults_test_cases[] = {
	KUNIT_CASE_PARAM(faults_test_create, fi_create_params),
	KUNIT_CASE_PARAM(faults_test_buddy_add_region, fi_region_params),
	KUNIT_CASE(faults_test_buddy_growth),
	KUNIT_CASE(faults_test_bget_add),
	KUNIT_CASE_PARAM(faults_test_bget_growth, fi_grow_params),
	KUNIT_CASE(faults_test_bump_slab_growth),
	KUNIT_CASE(faults_test_bump_slab_heap_alloc),
	{}
};

static struct kunit_suite allocpools_faults_test_suite = {
	.name = "allocpools_faults",
	.suite_init = fi_suite_init,
	.suite_exit = fi_suite_exit,
	.test_cases = allocpools_faults_test_cases,
};

kunit_test_suites(&allocpools_faults_test_suite);
