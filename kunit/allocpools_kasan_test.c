// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite allocpools_kasan: with CONFIG_KASAN_GENERIC, a client's read
 * or write after a free, or one byte past its request, is reported by
 * KASAN at the access, once; a correct use is not reported at all.  Each
 * case runs for every allocator in kasan_kinds[]: the buddy arena, the
 * FIFO's iom_alloc(), the size classes in heap mode (bump_slab) and on
 * a buddy arena (bump_slab_on_buddy, with a live object that keeps the
 * slab, so that what is checked is the pool's own poisoning and not the
 * arena's), and the BGET pool, freeing on its slow path (bget) and on
 * bget_free()'s fast path (bget_warm).  A size-class object is unpoisoned
 * for the request only, not for the class size bump_slab_size() reports:
 * KT_SIZE (45) takes a 64-byte object, and its 46th byte is reported.
 * Without KASAN generic and KASAN_VMALLOC, where the hooks compile out,
 * every case is reported skipped.
 *
 * How reports are counted, with what a module can use on 6.1 and 6.12:
 * mm/kasan/kasan_test.c counts them through a "kasan_status" KUnit
 * resource that KASAN fills in only when built with CONFIG_KASAN_KUNIT_TEST,
 * and through kasan_save_enable_multi_shot(), exported only then too.
 * Instead, every KASAN report ends with the tracepoint error_report_end
 * (ERROR_DETECTOR_KASAN and the bad address; EXPORT_TRACEPOINT_SYMBOL_GPL
 * on both), whose probe here counts them.  KASAN prints only its first
 * report unless multi-shot is on: the x86_64 layer boots with
 * kasan_multi_shot (scripts/kunit.sh), and a kernel without it fails these
 * cases with no report seen.  On 6.12 a KASAN report also fails whatever
 * KUnit case current->kunit_test names, unless KASAN's own suite is
 * running (kasan_kunit_test_suite_start(), CONFIG_KASAN_KUNIT_TEST only):
 * the expected access itself runs with current->kunit_test cleared, and
 * the count decides.
 *
 * Every expected report is bracketed in the log by "allocpools_kasan:
 * expect N KASAN report(s) {" and "allocpools_kasan: }" lines, which
 * scripts/kunit_count.py uses to count the reports inside a bracket
 * against N instead of as failures; any other report still fails the
 * layer.  A report taints the kernel and turns lockdep off for the rest of
 * the boot, so this suite is linked last (Kbuild): the other suites run
 * with lockdep first.
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kasan.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include <allocpools/allocpools.h>
#include "../allocpools_kasan.h"

/* The pools' hooks (AP_KASAN: KASAN generic with KASAN_VMALLOC). */
#if AP_KASAN && IS_ENABLED(CONFIG_TRACEPOINTS)
#include <trace/events/error_report.h>
#define KT_KASAN	1
#else
#define KT_KASAN	0
#endif

#define KT_NAME		"kasan"

/* Not a multiple of the granule, and less than any block it gets. */
#define KT_SIZE		45

/* One allocator as a client sees it: create, allocate, free, destroy. */
struct kasan_kind {
	const char *name;
	void *(*create)(void);
	void *(*alloc)(void *pool, size_t size);
	int (*free)(void *pool, void *p);
	void (*destroy)(void *pool);
};

static void *kt_buddy_create(void)
{
	return buddy_arena_create(KT_NAME, SZ_64K, 4, 12, 0);
}

static void *kt_buddy_alloc(void *pool, size_t size)
{
	return buddy_arena_alloc(pool, size, GFP_KERNEL);
}

static int kt_buddy_free(void *pool, void *p)
{
	return buddy_arena_free(pool, p);
}

static void kt_buddy_destroy(void *pool)
{
	buddy_arena_destroy(pool);
}

static void *kt_iom_create(void)
{
	return iom_create(KT_NAME, SZ_4K, 0);
}

static void *kt_iom_alloc(void *pool, size_t size)
{
	return iom_alloc(pool, size);
}

static int kt_iom_free(void *pool, void *p)
{
	return iom_release(pool, p);
}

static void kt_iom_destroy(void *pool)
{
	iom_destroy(pool);
}

/* Heap mode: 1 MiB of heap, the bump pointer's objects and free lists. */
static void *kt_slab_create(void)
{
	return bump_slab_create(KT_NAME, SZ_1M, 0);
}

static void *kt_slab_alloc(void *pool, size_t size)
{
	return bump_slab_alloc(pool, size, GFP_KERNEL);
}

static int kt_slab_free(void *pool, void *p)
{
	return bump_slab_free(pool, p);
}

static void kt_slab_destroy(void *pool)
{
	bump_slab_destroy(pool);
}

/*
 * Buddy mode: the pool, the arena its slabs come from, and a live object
 * of KT_SIZE's class that keeps its slab: a freed object is then still the
 * pool's, poisoned by the pool (a slab whose objects are all free goes
 * back to the arena, which poisons it itself).
 */
struct kt_slab_on {
	struct buddy_arena *ba;
	struct bump_slab *bs;
	void *keep;
};

static void *kt_slab_on_create(void)
{
	struct kt_slab_on *on = kzalloc(sizeof(*on), GFP_KERNEL);
	void *err;

	if (!on)
		return ERR_PTR(-ENOMEM);
	on->ba = buddy_arena_create(KT_NAME, SZ_64K, 6, 16, 0);
	err = on->ba;
	if (IS_ERR(on->ba))
		goto free_on;
	on->bs = bump_slab_create_on(KT_NAME, on->ba, 0);
	err = on->bs;
	if (IS_ERR(on->bs))
		goto free_arena;
	on->keep = bump_slab_alloc(on->bs, KT_SIZE, GFP_KERNEL);
	err = ERR_PTR(-ENOMEM);
	if (!on->keep)
		goto free_pool;
	return on;

free_pool:
	bump_slab_destroy(on->bs);
free_arena:
	buddy_arena_destroy(on->ba);
free_on:
	kfree(on);
	return err;
}

static void *kt_slab_on_alloc(void *pool, size_t size)
{
	struct kt_slab_on *on = pool;

	return bump_slab_alloc(on->bs, size, GFP_KERNEL);
}

static int kt_slab_on_free(void *pool, void *p)
{
	struct kt_slab_on *on = pool;

	return bump_slab_free(on->bs, p);
}

static void kt_slab_on_destroy(void *pool)
{
	struct kt_slab_on *on = pool;

	bump_slab_free(on->bs, on->keep);
	bump_slab_destroy(on->bs);
	buddy_arena_destroy(on->ba);
	kfree(on);
}

static void *kt_bget_create(void)
{
	return bget_pool_create(KT_NAME, SZ_64K, 0);
}

static void *kt_bget_alloc(void *pool, size_t size)
{
	return bget_alloc(pool, size, GFP_KERNEL);
}

/*
 * A pool's first free looks its region up, the slow way, which poisons
 * the block with the lock dropped; once the region is known, a small
 * block's free takes bget_free()'s fast path, which poisons it under the
 * lock.  This row runs the cases on that path.
 */
static void *kt_bget_warm_create(void)
{
	struct bget_pool *bp = kt_bget_create();
	void *p;

	if (IS_ERR(bp))
		return bp;
	p = bget_alloc(bp, 1, GFP_KERNEL);
	if (!p || bget_free(bp, p)) {
		bget_pool_destroy(bp);
		return ERR_PTR(-ENOMEM);
	}
	return bp;
}

static int kt_bget_free(void *pool, void *p)
{
	return bget_free(pool, p);
}

static void kt_bget_destroy(void *pool)
{
	bget_pool_destroy(pool);
}

static const struct kasan_kind kasan_kinds[] = {
	{ "buddy", kt_buddy_create, kt_buddy_alloc, kt_buddy_free,
	  kt_buddy_destroy },
	{ "iom", kt_iom_create, kt_iom_alloc, kt_iom_free, kt_iom_destroy },
	{ "bump_slab", kt_slab_create, kt_slab_alloc, kt_slab_free,
	  kt_slab_destroy },
	{ "bump_slab_on_buddy", kt_slab_on_create, kt_slab_on_alloc,
	  kt_slab_on_free, kt_slab_on_destroy },
	{ "bget", kt_bget_create, kt_bget_alloc, kt_bget_free,
	  kt_bget_destroy },
	{ "bget_warm", kt_bget_warm_create, kt_bget_alloc, kt_bget_free,
	  kt_bget_destroy },
};

struct kt_ctx {
	const struct kasan_kind *kind;
	void *pool;
};

static atomic_t kt_reports = ATOMIC_INIT(0);
static unsigned long kt_last_addr;
static bool kt_probe_on;

#if KT_KASAN
static void kt_probe(void *data, enum error_detector detector,
		     unsigned long id)
{
	if (detector != ERROR_DETECTOR_KASAN)
		return;
	WRITE_ONCE(kt_last_addr, id);
	atomic_inc(&kt_reports);
}

static int kt_suite_init(struct kunit_suite *suite)
{
	kt_probe_on = !register_trace_error_report_end(kt_probe, NULL);
	return 0;
}

static void kt_suite_exit(struct kunit_suite *suite)
{
	if (kt_probe_on)
		unregister_trace_error_report_end(kt_probe, NULL);
	tracepoint_synchronize_unregister();
	kt_probe_on = false;
}
#else
static int kt_suite_init(struct kunit_suite *suite)
{
	return 0;
}

static void kt_suite_exit(struct kunit_suite *suite)
{
}
#endif

/* Without KASAN generic no case has a parameter: each is reported skipped. */
static const void *kt_params(const void *prev, char *desc)
{
	const struct kasan_kind *k = prev ? (const struct kasan_kind *)prev + 1 :
					    kasan_kinds;

	if (!kt_probe_on || k >= kasan_kinds + ARRAY_SIZE(kasan_kinds))
		return NULL;
	strscpy(desc, k->name, KUNIT_PARAM_DESC_SIZE);
	return k;
}

static int kt_init(struct kunit *test)
{
	struct kt_ctx *ctx;

	if (!kt_probe_on)
		kunit_skip(test, "needs KASAN generic with KASAN_VMALLOC, and tracepoints");
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->kind = test->param_value;
	KUNIT_ASSERT_NOT_NULL(test, ctx->kind);
	ctx->pool = ctx->kind->create();
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->pool));
	test->priv = ctx;
	return 0;
}

static void kt_exit(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;

	if (ctx && !IS_ERR_OR_NULL(ctx->pool))
		ctx->kind->destroy(ctx->pool);
}

static void *kt_alloc(struct kunit *test, size_t size)
{
	struct kt_ctx *ctx = test->priv;
	void *p = ctx->kind->alloc(ctx->pool, size);

	KUNIT_ASSERT_NOT_NULL(test, p);
	return p;
}

static void kt_free(struct kunit *test, void *p)
{
	struct kt_ctx *ctx = test->priv;

	KUNIT_ASSERT_EQ(test, ctx->kind->free(ctx->pool, p), 0);
}

/* What KASAN's report on 6.12 marks failed (see the top). */
static void kt_set_current_test(struct kunit *test)
{
#if IS_ENABLED(CONFIG_KUNIT)
	current->kunit_test = test;
#endif
}

/*
 * Bracket an access expected to cause @n KASAN reports (for
 * scripts/kunit_count.py) and count them; the access runs between
 * kt_begin() and kt_end() with current->kunit_test cleared (see the top).
 */
static int kt_begin(int n)
{
	pr_info("allocpools_kasan: expect %d KASAN report(s) {\n", n);
	kt_set_current_test(NULL);
	return atomic_read(&kt_reports);
}

/* The last report, if @n, must be at @addr. */
static void kt_end(struct kunit *test, int before, int n, const void *addr,
		   const char *what)
{
	kt_set_current_test(test);
	pr_info("allocpools_kasan: }\n");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&kt_reports) - before, n,
			    "KASAN reports for %s", what);
	if (n)
		KUNIT_EXPECT_EQ(test, READ_ONCE(kt_last_addr),
				(unsigned long)addr);
}

static void kasan_test_read_after_free(struct kunit *test)
{
	u8 *p = kt_alloc(test, KT_SIZE);
	int before;

	kt_free(test, p);
	before = kt_begin(1);
	(void)READ_ONCE(p[KT_SIZE / 2]);
	kt_end(test, before, 1, &p[KT_SIZE / 2], "a read after free");
}

static void kasan_test_write_after_free(struct kunit *test)
{
	u8 *p = kt_alloc(test, KT_SIZE);
	int before;

	kt_free(test, p);
	before = kt_begin(1);
	WRITE_ONCE(p[KT_SIZE / 2], 0x41);
	kt_end(test, before, 1, &p[KT_SIZE / 2], "a write after free");
}

/* A read and a write of the byte just past the request, one report each. */
static void kasan_test_overflow_by_one(struct kunit *test)
{
	u8 *p = kt_alloc(test, KT_SIZE);
	int before;

	before = kt_begin(1);
	(void)READ_ONCE(p[KT_SIZE]);
	kt_end(test, before, 1, &p[KT_SIZE], "a read past the end");
	before = kt_begin(1);
	WRITE_ONCE(p[KT_SIZE], 0x41);
	kt_end(test, before, 1, &p[KT_SIZE], "a write past the end");
	kt_free(test, p);
}

/*
 * Several blocks live at once, of sizes that end inside a granule and
 * share granules in a FIFO ring: every requested byte of every live block
 * is written and read, after each allocation and after each free.
 */
static const size_t kt_sizes[] = { 1, 7, 8, 9, KT_SIZE, 64, 100, 2, 3, 500 };

static void kt_touch(struct kunit *test, u8 **blk, unsigned int from,
		     unsigned int to)
{
	int before = kt_begin(0);
	unsigned int i;
	size_t j;

	for (i = from; i < to; i++) {
		for (j = 0; j < kt_sizes[i]; j++)
			WRITE_ONCE(blk[i][j], i + j);
		for (j = 0; j < kt_sizes[i]; j++)
			KUNIT_EXPECT_EQ(test, READ_ONCE(blk[i][j]), (u8)(i + j));
	}
	kt_end(test, before, 0, NULL, "every requested byte");
}

static void kasan_test_correct_use(struct kunit *test)
{
	u8 *blk[ARRAY_SIZE(kt_sizes)];
	unsigned int i, n = ARRAY_SIZE(kt_sizes);

	for (i = 0; i < n; i++) {
		blk[i] = kt_alloc(test, kt_sizes[i]);
		kt_touch(test, blk, 0, i + 1);
	}
	/* In allocation order, as the FIFO wants. */
	for (i = 0; i < n; i++) {
		kt_free(test, blk[i]);
		kt_touch(test, blk, i + 1, n);
	}
}

static struct kunit_case allocpools_kasan_test_cases[] = {
	KUNIT_CASE_PARAM(kasan_test_read_after_free, kt_params),
	KUNIT_CASE_PARAM(kasan_test_write_after_free, kt_params),
	KUNIT_CASE_PARAM(kasan_test_overflow_by_one, kt_params),
	KUNIT_CASE_PARAM(kasan_test_correct_use, kt_params),
	{}
};

static struct kunit_suite allocpools_kasan_test_suite = {
	.name = "allocpools_kasan",
	.suite_init = kt_suite_init,
	.suite_exit = kt_suite_exit,
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = allocpools_kasan_test_cases,
};

kunit_test_suites(&allocpools_kasan_test_suite);
