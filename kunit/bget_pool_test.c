// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the BGET-style pool.  Included at the end of bget_pool.c,
 * so the tests can look at blocks and counters directly.
 *
 * Every case gets a first-fit pool of BGET_TEST_SIZE bytes in test->priv;
 * cases that need other flags or callbacks build a second pool with
 * bget_test_extra(), which .exit destroys too.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/workqueue.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/panic.h>
#include <linux/preempt.h>
#include <linux/random.h>
#include <linux/sizes.h>

#define BGET_TEST_SIZE	SZ_64K

struct bget_test {
	struct bget_pool *bp;
	struct bget_pool *extra;
	/* callback bookkeeping */
	int seqs[16];
	int nseq;
	int compact_progress;	/* compact returns nonzero this many times */
	void *stash;		/* compact frees this buffer, if set */
	bool acquire_fails;
	int acquired, released;
	size_t last_acquire;
};

static struct bget_test *bget_test_ctx;

static int bget_test_init(struct kunit *test)
{
	struct bget_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->bp = bget_pool_create("kunit_bget", BGET_TEST_SIZE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->bp));
	test->priv = t;
	bget_test_ctx = t;
	return 0;
}

static void bget_test_exit(struct kunit *test)
{
	struct bget_test *t = test->priv;

	bget_pool_destroy(t->extra);
	bget_pool_destroy(t->bp);
	bget_test_ctx = NULL;
}

static struct bget_pool *bget_test_extra(struct kunit *test, size_t size,
					 unsigned int flags)
{
	struct bget_test *t = test->priv;

	t->extra = bget_pool_create("kunit_bget2", size, flags);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->extra));
	return t->extra;
}

/* Free blocks in @bp's index (walked), and live buffers. */
static unsigned long bget_test_nfree(struct bget_pool *bp)
{
	unsigned long flags, n;

	raw_spin_lock_irqsave(&bp->lock, flags);
	n = count_free_locked(bp);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return n;
}

static unsigned long bget_test_live(struct bget_pool *bp)
{
	unsigned long flags, n;

	raw_spin_lock_irqsave(&bp->lock, flags);
	n = live_locked(bp);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return n;
}

/* ---- callbacks ---- */

static int bget_test_compact(struct bget_pool *bp, size_t sizereq, int seq)
{
	struct bget_test *t = bget_test_ctx;

	if (t->nseq < ARRAY_SIZE(t->seqs))
		t->seqs[t->nseq++] = seq;
	if (t->stash) {
		bget_free(bp, t->stash);
		t->stash = NULL;
		return 1;
	}
	if (t->compact_progress > 0) {
		t->compact_progress--;
		return 1;
	}
	return 0;
}

static void *bget_test_acquire(struct bget_pool *bp, size_t size, gfp_t gfp)
{
	struct bget_test *t = bget_test_ctx;
	void *buf;

	t->last_acquire = size;
	if (t->acquire_fails)
		return NULL;
	buf = bget_vmalloc_ops.acquire(bp, size, gfp);
	if (buf)
		t->acquired++;
	return buf;
}

static void bget_test_release(struct bget_pool *bp, void *buf)
{
	bget_test_ctx->released++;
	bget_vmalloc_ops.release(bp, buf);
}

static const struct bget_ops bget_test_ops = {
	.compact = bget_test_compact,
	.acquire = bget_test_acquire,
	.release = bget_test_release,
};

static const struct bget_ops bget_test_compact_only = {
	.compact = bget_test_compact,
};

/* ---- create and destroy ---- */

static void bget_pool_test_create_args_invalid(struct kunit *test)
{
	struct bget_pool *bp;

	KUNIT_EXPECT_EQ(test, PTR_ERR(bget_pool_create("x", SZ_4K, BIT(7))), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bget_pool_create(NULL, SZ_4K, 0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bget_pool_create("", SZ_4K, 0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bget_pool_create("a b", SZ_4K, 0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bget_pool_create("x", 64, 0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bget_pool_create("kunit_bget", SZ_4K, 0)),
			-EEXIST);
	bp = bget_pool_create("kunit_bget_empty", 0, BGET_BEST_FIT | BGET_POISON);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bp));
	KUNIT_EXPECT_NULL(test, bget_alloc(bp, 1, GFP_KERNEL));
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	bget_pool_destroy(bp);
	bget_pool_destroy(NULL);
	bget_pool_destroy(ERR_PTR(-EINVAL));
}

static void bget_pool_test_destroy_live_buffers(struct kunit *test)
{
	struct bget_test *t = test->priv;
	struct bget_pool *bp = bget_test_extra(test, 0, 0);

	KUNIT_ASSERT_EQ(test, bget_pool_ctl(bp, &bget_test_ops, SZ_16K), 0);
	KUNIT_EXPECT_NOT_NULL(test, bget_alloc(bp, 100, GFP_KERNEL));
	KUNIT_EXPECT_NOT_NULL(test, bget_alloc(bp, SZ_64K, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, t->acquired, 2);
	bget_pool_destroy(bp);
	t->extra = NULL;
	KUNIT_EXPECT_EQ(test, t->released, 2);
}

/* ---- allocation ---- */

static const size_t bget_test_sizes[] = { 1, 15, 16, 17, 31, 100, 1000, 4096, 40000 };

static void bget_test_size_desc(const size_t *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu bytes", *size);
}

KUNIT_ARRAY_PARAM(bget_test_size, bget_test_sizes, bget_test_size_desc);

static void bget_pool_test_alloc_size_ok(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	size_t size = *(const size_t *)test->param_value;
	struct bget_stats st;
	unsigned char *p;

	p = bget_alloc(bp, size, GFP_ATOMIC);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)p, BGET_QUANTUM));
	memset(p, 0xa5, size);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.nget, 1);
	KUNIT_EXPECT_GE(test, st.curalloc, size + BGET_HDR);
	KUNIT_EXPECT_LT(test, st.curalloc, size + BGET_HDR + BGET_MIN_BLOCK);
	KUNIT_EXPECT_EQ(test, bget_free(bp, p), 0);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.nrel, 1);
	KUNIT_EXPECT_EQ(test, st.curalloc, 0);
	KUNIT_EXPECT_EQ(test, st.totfree, BGET_TEST_SIZE - BGET_OVERHEAD);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

static void bget_pool_test_alloc_size_invalid(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	struct bget_stats st;

	KUNIT_EXPECT_NULL(test, bget_alloc(bp, 0, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, bget_alloc(bp, SIZE_MAX, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, bget_zalloc(bp, SIZE_MAX - 8, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, bget_alloc(bp, BGET_TEST_SIZE, GFP_KERNEL));
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.failures, 4);
	KUNIT_EXPECT_EQ(test, st.nget, 0);
	KUNIT_EXPECT_EQ(test, st.curalloc, 0);
}

static void bget_pool_test_alloc_exhausted_fails(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	int max = BGET_TEST_SIZE / 64, n = 0, i;
	void **p = kunit_kcalloc(test, max, sizeof(*p), GFP_KERNEL);
	struct bget_stats st;

	KUNIT_ASSERT_NOT_NULL(test, p);
	while (n < max && (p[n] = bget_alloc(bp, 48, GFP_KERNEL)))
		n++;
	KUNIT_EXPECT_EQ(test, n, (BGET_TEST_SIZE - BGET_OVERHEAD) / 64);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.totfree, 0);
	KUNIT_EXPECT_EQ(test, st.maxfree, 0);
	KUNIT_EXPECT_EQ(test, st.failures, 1);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, bget_free(bp, p[i]), 0);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 1);
}

static void bget_pool_test_zalloc_dirty_zeroed(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	unsigned char *p, *q;

	p = bget_alloc(bp, 500, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xff, 500);
	KUNIT_EXPECT_EQ(test, bget_free(bp, p), 0);
	q = bget_zalloc(bp, 500, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(q, 0, 500));
	KUNIT_EXPECT_EQ(test, bget_free(bp, q), 0);
}

/* ---- coalescing and fit ---- */

static void bget_pool_test_free_coalesces_neighbours(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	static const int order[] = { 1, 3, 2, 0, 4 };	/* lone, lone, both, ... */
	struct bget_stats st0, st;
	void *p[5];
	int i;

	bget_pool_stats(bp, &st0);
	for (i = 0; i < 5; i++) {
		p[i] = bget_alloc(bp, 200, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 1);
	for (i = 0; i < 5; i++) {
		KUNIT_EXPECT_EQ(test, bget_free(bp, p[order[i]]), 0);
		KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	}
	/* 1 and 3 stand alone, 2 joins both, 0 and 4 join the rest. */
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 1);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.totfree, st0.totfree);
	KUNIT_EXPECT_EQ(test, st.maxfree, st0.maxfree);
}

/* Leave free holes of the given sizes, separated by live buffers. */
static void bget_test_holes(struct kunit *test, struct bget_pool *bp,
			    void **hole, const size_t *sizes, int n)
{
	void *sep;
	int i;

	for (i = 0; i < n; i++) {
		hole[i] = bget_alloc(bp, sizes[i], GFP_KERNEL);
		sep = bget_alloc(bp, 16, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, hole[i]);
		KUNIT_ASSERT_NOT_NULL(test, sep);
	}
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, bget_free(bp, hole[i]), 0);
}

static void bget_pool_test_best_fit_smallest_block(struct kunit *test)
{
	static const size_t sizes[] = { 2000, 300, 1000, 200, 3000 };
	struct bget_pool *bp = bget_test_extra(test, SZ_64K, BGET_BEST_FIT);
	void *hole[5], *p;

	bget_test_holes(test, bp, hole, sizes, 5);
	/* 180 fits the 200 hole best, 250 the 300 one, 900 the 1000 one. */
	p = bget_alloc(bp, 180, GFP_KERNEL);
	KUNIT_EXPECT_TRUE(test, p >= hole[3] - BGET_HDR && p < hole[3] + 200);
	p = bget_alloc(bp, 250, GFP_KERNEL);
	KUNIT_EXPECT_TRUE(test, p >= hole[1] - BGET_HDR && p < hole[1] + 300);
	p = bget_alloc(bp, 900, GFP_KERNEL);
	KUNIT_EXPECT_TRUE(test, p >= hole[2] - BGET_HDR && p < hole[2] + 1000);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

static void bget_pool_test_first_fit_smallest_bin(struct kunit *test)
{
	static const size_t sizes[] = { 2000, 300 };
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	void *hole[2], *p;

	bget_test_holes(test, bp, hole, sizes, 2);
	/* Small sizes have a bin each: 290 fits the 300-byte hole first. */
	p = bget_alloc(bp, 290, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, p, hole[1]);
	p = bget_alloc(bp, 284, GFP_KERNEL);
	KUNIT_EXPECT_TRUE(test, p >= hole[0] && p < hole[0] + 2000);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

static void bget_pool_test_first_fit_only_fitting_block(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, 1024, 0);
	void *hole, *p;

	/* Fill everything, then free one 300-byte buffer. */
	hole = bget_alloc(bp, 300, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, hole);
	while (bget_alloc(bp, 16, GFP_KERNEL))
		;
	KUNIT_ASSERT_EQ(test, bget_free(bp, hole), 0);
	/* The one fitting block is found. */
	p = bget_alloc(bp, 290, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, p, hole);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

static bool bget_test_bin_bit(struct bget_pool *bp, size_t block)
{
	unsigned long flags;
	bool set;

	raw_spin_lock_irqsave(&bp->lock, flags);
	/* The hot block counts as the first of its bin. */
	hot_flush_locked(bp);
	set = test_bit(size_bin(block), bp->bin_map);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return set;
}

/* Exact best fit on both sides of the last bin and the first tree size. */
static void bget_pool_test_best_fit_bin_tree_boundary(struct kunit *test)
{
	static const size_t sizes[] = {
		BGET_LARGE - 2 * BGET_HDR,	/* block LARGE - 16: last bin */
		BGET_LARGE - BGET_HDR,		/* block LARGE: first tree size */
		BGET_LARGE,			/* block LARGE + 16 */
		3 * BGET_LARGE - BGET_HDR,	/* block 3 * LARGE */
	};
	struct bget_pool *bp = bget_test_extra(test, SZ_256K, BGET_BEST_FIT);
	void *hole[4], *p;

	bget_test_holes(test, bp, hole, sizes, 4);
	KUNIT_EXPECT_TRUE(test, bget_test_bin_bit(bp, BGET_LARGE - BGET_QUANTUM));
	/* Block LARGE - 32: the last bin's block is the smallest that fits. */
	p = bget_alloc(bp, BGET_LARGE - 3 * BGET_HDR, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, p, hole[0]);
	KUNIT_EXPECT_FALSE(test, bget_test_bin_bit(bp, BGET_LARGE - BGET_QUANTUM));
	/* Block LARGE: only the tree has it, exactly. */
	p = bget_alloc(bp, BGET_LARGE - BGET_HDR, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, p, hole[1]);
	/* Block LARGE + 16: the next tree size, not the bigger ones. */
	p = bget_alloc(bp, BGET_LARGE - 8, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, p, hole[2]);
	/* Block LARGE + 128: split off the 3 * LARGE hole, not the rest. */
	p = bget_alloc(bp, BGET_LARGE + 100, GFP_KERNEL);
	KUNIT_EXPECT_TRUE(test, p > hole[3] && p < hole[3] + sizes[3]);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	/* Block 16: the 2 * LARGE - 128 remainder now sits in the tree. */
	p = bget_alloc(bp, 16, GFP_KERNEL);
	KUNIT_EXPECT_TRUE(test, p > hole[3] && p < hole[3] + sizes[3]);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

/* Equal large sizes share one tree node: taking them keeps the tree sound. */
static void bget_pool_test_best_fit_tree_equal_sizes(struct kunit *test)
{
	static const size_t sizes[] = { SZ_32K, SZ_32K, SZ_32K, SZ_32K + 16 };
	struct bget_pool *bp = bget_test_extra(test, SZ_256K, BGET_BEST_FIT);
	void *hole[4], *p[3], *q;
	int i, j, found;

	bget_test_holes(test, bp, hole, sizes, 4);
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 5);
	for (i = 0; i < 3; i++) {
		p[i] = bget_alloc(bp, SZ_32K, GFP_KERNEL);
		for (found = 0, j = 0; j < 3; j++)
			found += p[i] == hole[j];
		KUNIT_EXPECT_EQ(test, found, 1);
		KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	}
	/* The three 32 KiB holes are gone; the next size up is taken whole. */
	q = bget_alloc(bp, SZ_32K, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, hole[3]);
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 1);
	KUNIT_EXPECT_EQ(test, bget_free(bp, q), 0);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, bget_free(bp, p[i]), 0);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 5);
}

/* Coalescing moves blocks between bins; bitmap and summary follow. */
static void bget_pool_test_free_bins_follow_coalescing(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	void *wall, *a, *b, *c;
	unsigned long flags, sum;
	unsigned int w;

	/* High end first: wall, then a, b, c below it, then the free rest. */
	wall = bget_alloc(bp, 16, GFP_KERNEL);
	a = bget_alloc(bp, 100, GFP_KERNEL);
	b = bget_alloc(bp, 100, GFP_KERNEL);
	c = bget_alloc(bp, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, wall);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, bget_free(bp, a), 0);
	KUNIT_EXPECT_TRUE(test, bget_test_bin_bit(bp, 128));
	KUNIT_ASSERT_EQ(test, bget_free(bp, b), 0);
	KUNIT_EXPECT_FALSE(test, bget_test_bin_bit(bp, 128));
	KUNIT_EXPECT_TRUE(test, bget_test_bin_bit(bp, 256));
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	/* c joins the 256-byte block above and the rest below. */
	KUNIT_ASSERT_EQ(test, bget_free(bp, c), 0);
	KUNIT_EXPECT_FALSE(test, bget_test_bin_bit(bp, 256));
	raw_spin_lock_irqsave(&bp->lock, flags);
	sum = bp->bin_sum;
	for (w = 0; w < BGET_MAP_WORDS; w++)
		sum |= bp->bin_map[w];
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	KUNIT_EXPECT_EQ(test, sum, 0);
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 1);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	KUNIT_EXPECT_EQ(test, bget_free(bp, wall), 0);
}

/* ---- realloc ---- */

static void bget_test_fill(unsigned char *p, size_t n, unsigned char seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = seed + i;
}

static bool bget_test_check_byte(const unsigned char *p, size_t n,
				 unsigned char byte)
{
	return !memchr_inv(p, byte, n);
}

static bool bget_test_check(const unsigned char *p, size_t n, unsigned char seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i))
			return false;
	return true;
}

static void bget_pool_test_realloc_grow_in_place(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	unsigned char *p, *q, *next;

	/* Blocks come from the high end: free the one above p. */
	next = bget_alloc(bp, 100, GFP_KERNEL);
	p = bget_alloc(bp, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_PTR_EQ(test, p + 128, next);
	bget_test_fill(p, 100, 3);
	KUNIT_ASSERT_EQ(test, bget_free(bp, next), 0);
	q = bget_realloc(bp, p, 180, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_TRUE(test, bget_test_check(q, 100, 3));
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	KUNIT_EXPECT_EQ(test, bp->nget, 2);
}

static void bget_pool_test_realloc_shrink_in_place(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	struct bget_stats st0, st;
	unsigned char *p, *q, *top;

	/* p (4016-byte block) below a free block, above the free rest. */
	top = bget_alloc(bp, 16, GFP_KERNEL);
	p = bget_alloc(bp, 4000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, top);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, bget_free(bp, top), 0);
	KUNIT_ASSERT_EQ(test, bget_test_nfree(bp), 2);
	bget_test_fill(p, 4000, 9);
	bget_pool_stats(bp, &st0);
	q = bget_realloc(bp, p, 1000, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_TRUE(test, bget_test_check(q, 1000, 9));
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.curalloc, st0.curalloc - 2992);
	KUNIT_EXPECT_EQ(test, st.totfree, st0.totfree + 2992);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	/* The 2992-byte tail merged with the free block above. */
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 2);
	KUNIT_EXPECT_EQ(test, st.maxfree, st0.maxfree);
}

static void bget_pool_test_realloc_moves_keeps_data(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	unsigned char *p, *q, *wall;

	wall = bget_alloc(bp, 16, GFP_KERNEL);
	p = bget_alloc(bp, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, wall);
	KUNIT_ASSERT_NOT_NULL(test, p);
	bget_test_fill(p, 100, 77);
	q = bget_realloc(bp, p, 5000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	KUNIT_EXPECT_TRUE(test, bget_test_check(q, 100, 77));
	KUNIT_EXPECT_EQ(test, bget_test_live(bp), 2);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

static void bget_pool_test_realloc_edge_cases(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	struct bget_stats st;
	unsigned char *p;

	p = bget_realloc(bp, NULL, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	bget_test_fill(p, 64, 1);
	KUNIT_EXPECT_NULL(test, bget_realloc(bp, p, 0, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, bget_realloc(bp, p, SIZE_MAX, GFP_KERNEL));
	/* Too big for the pool: fails, the buffer stays. */
	KUNIT_EXPECT_NULL(test, bget_realloc(bp, p, BGET_TEST_SIZE, GFP_KERNEL));
	KUNIT_EXPECT_TRUE(test, bget_test_check(p, 64, 1));
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.failures, 3);
	KUNIT_EXPECT_EQ(test, st.nget, 1);
	KUNIT_EXPECT_EQ(test, bget_free(bp, p), 0);
	/* A freed buffer cannot be reallocated. */
	KUNIT_EXPECT_NULL(test, bget_realloc(bp, p, 10, GFP_KERNEL));
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 1);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

/* ---- bad frees ---- */

static struct bget_region *bget_test_region(struct bget_pool *bp, void *p)
{
	struct bget_region *r;
	unsigned long flags;

	raw_spin_lock_irqsave(&bp->lock, flags);
	r = region_find_locked(bp, p);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return r;
}

enum bget_bad { BAD_FOREIGN, BAD_INTERIOR, BAD_MISALIGNED, BAD_DOUBLE,
		BAD_SMASHED, BAD_WRONG_POOL, BAD_BEFORE_FIRST };

static const enum bget_bad bget_test_bads[] = {
	BAD_FOREIGN, BAD_INTERIOR, BAD_MISALIGNED, BAD_DOUBLE, BAD_SMASHED,
	BAD_WRONG_POOL, BAD_BEFORE_FIRST,
};

static const char * const bget_test_bad_names[] = {
	"foreign pointer", "interior pointer", "misaligned pointer",
	"double free", "smashed header", "wrong pool", "region header",
};

static void bget_test_bad_desc(const enum bget_bad *bad, char *desc)
{
	strscpy(desc, bget_test_bad_names[*bad], KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bget_test_bad, bget_test_bads, bget_test_bad_desc);

static void bget_pool_test_free_invalid_refused(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	enum bget_bad bad = *(const enum bget_bad *)test->param_value;
	struct bget_stats before, after;
	struct bget_pool *other;
	struct bget_hdr saved, *h;
	unsigned char *p, *q, *ptr;
	unsigned long foreign[8];

	p = bget_alloc(bp, 100, GFP_KERNEL);
	q = bget_alloc(bp, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	h = (struct bget_hdr *)p - 1;
	ap_kasan_copy_out(&saved, h, sizeof(saved));
	switch (bad) {
	case BAD_FOREIGN:
		ptr = (unsigned char *)ALIGN((unsigned long)foreign, 16);
		break;
	case BAD_INTERIOR:
		ptr = p + 32;
		break;
	case BAD_MISALIGNED:
		ptr = p + 1;
		break;
	case BAD_DOUBLE:
		KUNIT_ASSERT_EQ(test, bget_free(bp, q), 0);
		ptr = q;
		break;
	case BAD_SMASHED:
		ap_kasan_write_u32(&h->info, hdr_info(h) + 2);
		ptr = p;
		break;
	case BAD_WRONG_POOL:
		other = bget_test_extra(test, SZ_4K, 0);
		ptr = bget_alloc(other, 100, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, ptr);
		break;
	default:
		ptr = (unsigned char *)bget_test_region(bp, p) + BGET_QUANTUM;
		break;
	}
	bget_pool_stats(bp, &before);
	KUNIT_EXPECT_EQ(test, bget_free(bp, ptr), -EINVAL);
	bget_pool_stats(bp, &after);
	before.invalid_frees++;
	KUNIT_EXPECT_EQ(test, memcmp(&before, &after, sizeof(before)), 0);
	if (bad == BAD_SMASHED) {
		KUNIT_EXPECT_FALSE(test, bget_pool_validate(bp));
		ap_kasan_copy_in(h, &saved, sizeof(saved));
	}
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	KUNIT_EXPECT_EQ(test, bget_free(bp, NULL), 0);
	bget_pool_stats(bp, &before);
	KUNIT_EXPECT_EQ(test, memcmp(&before, &after, sizeof(before)), 0);
}

/* ---- callbacks ---- */

static void bget_pool_test_ctl_args_invalid(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	struct bget_stats st;

	KUNIT_EXPECT_EQ(test, bget_pool_ctl(bp, &bget_test_ops, 4097), -EINVAL);
	KUNIT_EXPECT_EQ(test, bget_pool_ctl(bp, &bget_test_ops, 64), -EINVAL);
	KUNIT_EXPECT_EQ(test, bget_pool_ctl(bp, &bget_test_ops, SZ_4K), 0);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.pool_incr, SZ_4K);
	KUNIT_EXPECT_EQ(test, bget_pool_ctl(bp, NULL, 0), 0);
	KUNIT_EXPECT_NULL(test, bp->ops.acquire);
}

static void bget_pool_test_compact_sequence_numbers(struct kunit *test)
{
	struct bget_test *t = test->priv;
	struct bget_pool *bp = t->bp;
	struct bget_stats st;
	int i;

	KUNIT_ASSERT_EQ(test, bget_pool_ctl(bp, &bget_test_compact_only, 0), 0);
	t->compact_progress = 3;
	KUNIT_EXPECT_NULL(test, bget_alloc(bp, BGET_TEST_SIZE, GFP_ATOMIC));
	/* Three calls reported progress, the fourth gave up. */
	KUNIT_ASSERT_EQ(test, t->nseq, 4);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, t->seqs[i], i + 1);
	/* A new request starts again at 1. */
	t->nseq = 0;
	KUNIT_EXPECT_NULL(test, bget_alloc(bp, BGET_TEST_SIZE, GFP_ATOMIC));
	KUNIT_EXPECT_EQ(test, t->nseq, 1);
	KUNIT_EXPECT_EQ(test, t->seqs[0], 1);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.failures, 2);
}

static void bget_pool_test_compact_frees_then_succeeds(struct kunit *test)
{
	struct bget_test *t = test->priv;
	struct bget_pool *bp = t->bp;
	void *big, *p;

	big = bget_alloc(bp, BGET_TEST_SIZE / 2, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_EQ(test, bget_pool_ctl(bp, &bget_test_compact_only, 0), 0);
	/* compact calls bget_free() on the pool: the lock is not held. */
	t->stash = big;
	p = bget_alloc(bp, BGET_TEST_SIZE * 3 / 4, GFP_ATOMIC);
	KUNIT_EXPECT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, t->nseq, 1);
	KUNIT_EXPECT_NULL(test, t->stash);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

static void bget_pool_test_acquire_fails_alloc_fails(struct kunit *test)
{
	struct bget_test *t = test->priv;
	struct bget_pool *bp = bget_test_extra(test, 0, 0);
	struct bget_stats st;

	KUNIT_ASSERT_EQ(test, bget_pool_ctl(bp, &bget_test_ops, SZ_16K), 0);
	t->acquire_fails = true;
	KUNIT_EXPECT_NULL(test, bget_alloc(bp, 100, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, t->last_acquire, SZ_16K);
	KUNIT_EXPECT_EQ(test, t->nseq, 1);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.failures, 1);
	KUNIT_EXPECT_EQ(test, st.npget, 0);
	KUNIT_EXPECT_EQ(test, st.npool, 0);
	/* The default pair refuses to vmalloc for an atomic caller. */
	t->acquire_fails = false;
	KUNIT_ASSERT_EQ(test, bget_pool_ctl(bp, &bget_vmalloc_ops, SZ_16K), 0);
	KUNIT_EXPECT_NULL(test, bget_alloc(bp, 100, GFP_ATOMIC));
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

static void bget_pool_test_expansion_released_when_empty(struct kunit *test)
{
	struct bget_test *t = test->priv;
	struct bget_pool *bp = bget_test_extra(test, 0, BGET_POISON);
	struct bget_stats st;
	void *p, *q;

	KUNIT_ASSERT_EQ(test, bget_pool_ctl(bp, &bget_test_ops, SZ_16K), 0);
	p = bget_alloc(bp, 100, GFP_KERNEL);
	q = bget_alloc(bp, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_EQ(test, t->last_acquire, SZ_16K);
	KUNIT_EXPECT_EQ(test, t->acquired, 1);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.npget, 1);
	KUNIT_EXPECT_EQ(test, st.npool, 1);
	KUNIT_EXPECT_EQ(test, bget_free(bp, p), 0);
	KUNIT_EXPECT_EQ(test, t->released, 0);
	KUNIT_EXPECT_EQ(test, bget_free(bp, q), 0);
	KUNIT_EXPECT_EQ(test, t->released, 1);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.nprel, 1);
	KUNIT_EXPECT_EQ(test, st.npool, 0);
	KUNIT_EXPECT_EQ(test, st.totfree, 0);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	/* The released block's buffers are foreign now. */
	KUNIT_EXPECT_EQ(test, bget_free(bp, q), -EINVAL);
}

static void bget_pool_test_direct_block_large_request(struct kunit *test)
{
	struct bget_test *t = test->priv;
	struct bget_pool *bp = bget_test_extra(test, 0, BGET_BEST_FIT);
	struct bget_stats st;
	unsigned char *p, *q;

	KUNIT_ASSERT_EQ(test, bget_pool_ctl(bp, &bget_test_ops, SZ_4K), 0);
	p = bget_alloc(bp, SZ_4K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, t->last_acquire, BGET_OVERHEAD + SZ_4K + BGET_QUANTUM);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.ndget, 1);
	KUNIT_EXPECT_EQ(test, st.npget, 0);
	KUNIT_EXPECT_EQ(test, st.npool, 0);
	KUNIT_EXPECT_EQ(test, st.curalloc, SZ_4K + BGET_QUANTUM);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	bget_test_fill(p, SZ_4K, 5);
	/* Shrinking a direct block keeps it; growing moves it. */
	KUNIT_EXPECT_PTR_EQ(test, bget_realloc(bp, p, 100, GFP_KERNEL), p);
	q = bget_realloc(bp, p, 2 * SZ_4K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, bget_test_check(q, SZ_4K, 5));
	KUNIT_EXPECT_EQ(test, bget_free(bp, q), 0);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.ndget, 2);
	KUNIT_EXPECT_EQ(test, st.ndrel, 2);
	KUNIT_EXPECT_EQ(test, t->released, 2);
	KUNIT_EXPECT_EQ(test, st.curalloc, 0);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

/* ---- regions added by the caller ---- */

static void bget_pool_test_add_buffers(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, 0, BGET_BEST_FIT);
	unsigned char *a = kunit_kmalloc(test, 3000, GFP_KERNEL);
	unsigned char *b = kunit_kmalloc(test, 1000, GFP_KERNEL);
	struct bget_stats st;
	void *p, *q;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, bget_pool_add(bp, NULL, 3000), -EINVAL);
	KUNIT_EXPECT_EQ(test, bget_pool_add(bp, a, 100), -EINVAL);
	KUNIT_EXPECT_EQ(test, bget_pool_add(bp, a + 1, 2999), 0);
	KUNIT_EXPECT_EQ(test, bget_pool_add(bp, a + 1000, 500), -EINVAL);
	KUNIT_EXPECT_EQ(test, bget_pool_add(bp, b, 1000), 0);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.npool, 2);
	p = bget_alloc(bp, 2500, GFP_KERNEL);
	q = bget_alloc(bp, 800, GFP_KERNEL);
	KUNIT_EXPECT_TRUE(test, p > (void *)a && p < (void *)(a + 3000));
	KUNIT_EXPECT_TRUE(test, q > (void *)b && q < (void *)(b + 1000));
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	KUNIT_EXPECT_EQ(test, bget_free(bp, p), 0);
	KUNIT_EXPECT_EQ(test, bget_free(bp, q), 0);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

/* ---- poison, validation, statistics ---- */

static void bget_pool_test_poison_write_after_free(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, SZ_4K, BGET_POISON);
	struct bget_stats st;
	unsigned char *p, *q;

	p = bget_alloc(bp, 200, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, bget_free(bp, p), 0);
	KUNIT_EXPECT_EQ(test, ap_kasan_read_u8(&p[100]), POISON_FREE);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	ap_kasan_write_u8(&p[100], 0);	/* a use after free */
	KUNIT_EXPECT_FALSE(test, bget_pool_validate(bp));
	/* The block is held back, reported once, and not handed out. */
	q = bget_alloc(bp, 3000, GFP_KERNEL);
	KUNIT_EXPECT_NULL(test, q);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 1);
	KUNIT_EXPECT_EQ(test, st.corruptions, 1);
	KUNIT_EXPECT_EQ(test, st.totfree, 0);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

/*
 * A buggy driver writes into a buffer after freeing it, over the bin links
 * the pool keeps there, with a pointer to memory outside the pool.  The
 * pool must not follow it: the damage is counted, the damaged block is
 * never handed out again, the pool serves everything else and is
 * destroyed cleanly.  The write lands in memory the test had before and
 * that no other buffer holds (the pool never hands it out again).
 */
static void bget_pool_test_write_after_free_links(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, SZ_64K, 0);
	unsigned long *outside, *links;
	unsigned char *b[5], *small[8], *p;
	struct bget_stats st;
	unsigned int i;

	outside = kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, outside);
	for (i = 0; i < ARRAY_SIZE(b); i++) {
		b[i] = bget_alloc(bp, 200, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, b[i]);
	}
	KUNIT_ASSERT_EQ(test, bget_free(bp, b[1]), 0);
	KUNIT_ASSERT_EQ(test, bget_free(bp, b[3]), 0);
	/* The driver's bug: b[3]'s next and back links now lead outside. */
	links = (unsigned long *)b[3];
	ap_kasan_write_ulong(&links[0], (unsigned long)&outside[2]);
	ap_kasan_write_ulong(&links[1], (unsigned long)&outside[4]);
	for (i = 0; i < 4; i++) {
		p = bget_alloc(bp, 200, GFP_KERNEL);
		KUNIT_EXPECT_PTR_NE(test, p, (unsigned char *)b[3]);
		if (p)
			KUNIT_EXPECT_EQ(test, bget_free(bp, p), 0);
	}
	/* Freeing a neighbour would merge with b[3] and unlink it. */
	KUNIT_EXPECT_EQ(test, bget_free(bp, b[2]), 0);
	KUNIT_EXPECT_EQ(test, bget_free(bp, b[4]), 0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(outside, 0, 64));
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_GE(test, st.corruptions, 1);
	/* It goes on: a large buffer, and small ones, none over b[3]. */
	p = bget_alloc(bp, 20000, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, !p || p >= b[3] + 200 ||
			  p + 20000 <= b[3] - BGET_HDR);
	KUNIT_EXPECT_EQ(test, bget_free(bp, p), 0);
	for (i = 0; i < ARRAY_SIZE(small); i++) {
		small[i] = bget_alloc(bp, 64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, small[i]);
		KUNIT_EXPECT_TRUE(test, small[i] >= b[3] + 200 ||
				  small[i] + 64 <= b[3] - BGET_HDR);
	}
	for (i = 0; i < ARRAY_SIZE(small); i++)
		KUNIT_EXPECT_EQ(test, bget_free(bp, small[i]), 0);
	KUNIT_EXPECT_EQ(test, bget_free(bp, b[0]), 0);
	/* The test's exit destroys the pool, damaged block and all. */
}

/*
 * The same over a large free block: its size-tree node is out of the
 * client's reach, its header is not.  A header smashed after the free
 * (with a pointer outside the pool) must not steer the pool: the damage is
 * counted, the block is not handed out again, the pool serves on.  Its
 * neighbours' frees are refused (their tags name the smashed header).
 */
static void bget_pool_test_write_after_free_large_header(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, SZ_256K, 0);
	unsigned long *outside, *hdr;
	unsigned char *b[5], *p;
	struct bget_stats st;
	unsigned int i;

	outside = kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, outside);
	for (i = 0; i < ARRAY_SIZE(b); i++) {
		b[i] = bget_alloc(bp, 20000 + i * 4000, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, b[i]);
	}
	KUNIT_ASSERT_EQ(test, bget_free(bp, b[1]), 0);
	KUNIT_ASSERT_EQ(test, bget_free(bp, b[3]), 0);
	/* The driver's bug: b[3]'s header (prevfree, info|check) smashed. */
	hdr = (unsigned long *)(b[3] - BGET_HDR);
	ap_kasan_write_ulong(&hdr[0], (unsigned long)&outside[2]);
	ap_kasan_write_ulong(&hdr[1], (unsigned long)&outside[4]);
	for (i = 0; i < 3; i++) {
		p = bget_alloc(bp, 30000, GFP_KERNEL);
		KUNIT_EXPECT_TRUE(test, !p || p >= b[3] + 32000 ||
				  p + 30000 <= b[3] - BGET_HDR);
		if (p)
			KUNIT_EXPECT_EQ(test, bget_free(bp, p), 0);
	}
	KUNIT_EXPECT_TRUE(test, !memchr_inv(outside, 0, 64));
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_GE(test, st.corruptions, 1);
	KUNIT_EXPECT_FALSE(test, bget_pool_validate(bp));
	KUNIT_EXPECT_EQ(test, bget_free(bp, b[2]), -EINVAL);
	p = bget_alloc(bp, 100, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, p);
	if (p)
		KUNIT_EXPECT_EQ(test, bget_free(bp, p), 0);
	KUNIT_EXPECT_EQ(test, bget_free(bp, b[0]), 0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(outside, 0, 64));
	/* The test's exit destroys the pool, damaged block and all. */
}

static void bget_pool_test_validate_smashed_header(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	struct bget_hdr *h, saved;
	unsigned char *p;

	p = bget_alloc(bp, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_TRUE(test, bget_pool_validate(bp));
	h = (struct bget_hdr *)p - 1;
	ap_kasan_copy_out(&saved, h, sizeof(saved));
	ap_kasan_memset(h, 0x41, sizeof(*h));	/* an overrun from below */
	KUNIT_EXPECT_FALSE(test, bget_pool_validate(bp));
	ap_kasan_copy_in(h, &saved, sizeof(saved));
	set_prevfree(h, 32);		/* a consistent-looking lie */
	KUNIT_EXPECT_FALSE(test, bget_pool_validate(bp));
	ap_kasan_copy_in(h, &saved, sizeof(saved));
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

static void bget_pool_test_debugfs_files_show(struct kunit *test)
{
	struct bget_pool *bp = ((struct bget_test *)test->priv)->bp;
	struct seq_file m = { };
	struct ap_row row = { };
	void *p;

	m.size = PAGE_SIZE;
	m.buf = kunit_kzalloc(test, m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	p = bget_alloc(bp, 1000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	bget_stats_show(&m, &bp->ap);
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf, "curalloc: 1024\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf, "nget: 1\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf, "invalid_frees: 0\ncorruptions: 0\n"));
	m.count = 0;
	memset(m.buf, 0, m.size);
	bget_validate_show(&m, &bp->ap);
	KUNIT_EXPECT_STREQ(test, m.buf, "ok\n");
	bget_row(&bp->ap, &row);
	KUNIT_EXPECT_EQ(test, row.size, BGET_TEST_SIZE);
	KUNIT_EXPECT_EQ(test, row.used, 1024);
	KUNIT_EXPECT_EQ(test, row.allocs, 1);
	bget_dump_buf(bp, p);
	bget_dump_buf(bp, (char *)p + 16);
	bget_pool_dump(bp, true, true);
	bget_pool_dump(bp, false, false);
}

/* ---- calling context ---- */

/*
 * With CONFIG_DEBUG_ATOMIC_SLEEP (the x86_64 layers) a sleep in atomic
 * context is reported and taints the kernel with TAINT_WARN, so these
 * cases compare the taint before and after; the check says nothing if the
 * kernel was tainted before.  No KUNIT_ASSERT in an atomic section: a
 * failed assertion ends the test thread.
 */
static DEFINE_SPINLOCK(bget_test_driver_lock);

/* What a driver may call from atomic context, on pool @bp. */
static void bget_test_atomic_calls(struct kunit *test, struct bget_pool *bp)
{
	unsigned char *a, *b, *c;
	struct bget_stats st;

	a = bget_alloc(bp, 100, GFP_ATOMIC);
	b = bget_zalloc(bp, 300, GFP_ATOMIC);
	KUNIT_EXPECT_NOT_NULL(test, a);
	KUNIT_EXPECT_NOT_NULL(test, b);
	if (!a || !b)
		goto out;
	memset(a, 0x5a, 100);
	c = bget_realloc(bp, a, 40, GFP_ATOMIC);	/* shrink */
	KUNIT_EXPECT_PTR_EQ(test, c, a);
	KUNIT_EXPECT_EQ(test, bget_free(bp, b), 0);
	b = NULL;
	c = bget_realloc(bp, a, 2000, GFP_ATOMIC);	/* grow or move */
	KUNIT_EXPECT_NOT_NULL(test, c);
	if (c) {
		KUNIT_EXPECT_TRUE(test, bget_test_check_byte(c, 40, 0x5a));
		a = c;
	}
	bget_pool_stats(bp, &st);
	bget_dump_buf(bp, a);
out:
	KUNIT_EXPECT_EQ(test, bget_free(bp, a), 0);
	KUNIT_EXPECT_EQ(test, bget_free(bp, b), 0);
	KUNIT_EXPECT_EQ(test, bget_free(bp, a), a ? -EINVAL : 0);
}

static void bget_pool_test_calls_atomic_context(struct kunit *test)
{
	static const unsigned int flags[] = { 0, BGET_POISON };
	bool tainted = test_taint(TAINT_WARN);
	struct bget_test *t = test->priv;
	unsigned long irqflags;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		struct bget_pool *bp = bget_test_extra(test, SZ_64K, flags[i]);

		/* A driver's own spinlock (a sleeping lock on PREEMPT_RT). */
		spin_lock_irqsave(&bget_test_driver_lock, irqflags);
		bget_test_atomic_calls(test, bp);
		spin_unlock_irqrestore(&bget_test_driver_lock, irqflags);
		/* Preemption off: no sleeping lock may be taken (RT). */
		preempt_disable();
		bget_test_atomic_calls(test, bp);
		preempt_enable();
		local_irq_save(irqflags);
		bget_test_atomic_calls(test, bp);
		local_irq_restore(irqflags);
		KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
		bget_pool_destroy(bp);
		t->extra = NULL;
	}
	if (!tainted)
		KUNIT_EXPECT_FALSE(test, test_taint(TAINT_WARN));
}

/*
 * bget_vmalloc_ops' release, reached from a free under a driver's
 * spinlock: vfree() there may sleep, so it only queues the block.
 */
static void bget_pool_test_free_default_release_atomic(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, 0, BGET_POISON);
	bool tainted = test_taint(TAINT_WARN);
	unsigned long irqflags;
	struct bget_stats st;
	void *direct, *exp;
	bool mapped;

	KUNIT_ASSERT_EQ(test, bget_pool_ctl(bp, &bget_vmalloc_ops, SZ_16K), 0);
	direct = bget_alloc(bp, SZ_64K, GFP_KERNEL);
	exp = bget_alloc(bp, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, direct);
	KUNIT_ASSERT_NOT_NULL(test, exp);
	spin_lock_irqsave(&bget_test_driver_lock, irqflags);
	KUNIT_EXPECT_EQ(test, bget_free(bp, direct), 0);
	/* The direct block's region starts its vmalloc()'d memory. */
	mapped = vmalloc_to_page((char *)direct - BGET_OVERHEAD);
	KUNIT_EXPECT_EQ(test, bget_free(bp, exp), 0);
	spin_unlock_irqrestore(&bget_test_driver_lock, irqflags);
	/*
	 * Not vfree()d inside the free.  On one CPU nothing can have run the
	 * work item yet; elsewhere the taint check below stands for this.
	 */
	if (num_online_cpus() == 1)
		KUNIT_EXPECT_TRUE(test, mapped);
	if (!tainted)
		KUNIT_EXPECT_FALSE(test, test_taint(TAINT_WARN));
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.ndrel, 1);
	KUNIT_EXPECT_EQ(test, st.nprel, 1);
	KUNIT_EXPECT_EQ(test, st.npool, 0);
	/* The work item vfree()s both. */
	flush_work(&bp->gone_work);
	KUNIT_EXPECT_NULL(test, READ_ONCE(bp->gone));
	/* Growth for an atomic caller is refused, without sleeping. */
	spin_lock_irqsave(&bget_test_driver_lock, irqflags);
	KUNIT_EXPECT_NULL(test, bget_alloc(bp, 100, GFP_ATOMIC));
	spin_unlock_irqrestore(&bget_test_driver_lock, irqflags);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

/* A hard-IRQ timer that allocates and frees on a pool. */
struct bget_test_tick {
	struct hrtimer timer;
	struct bget_pool *bp;
	void *held;
	unsigned int ticks;
	bool stop;
};

static enum hrtimer_restart bget_test_tick_fn(struct hrtimer *timer)
{
	struct bget_test_tick *tk = container_of(timer, struct bget_test_tick,
						 timer);

	if (READ_ONCE(tk->stop))
		return HRTIMER_NORESTART;
	if (tk->held) {
		bget_free(tk->bp, tk->held);
		tk->held = NULL;
	} else {
		tk->held = bget_alloc(tk->bp, 16 + tk->ticks % 700, GFP_ATOMIC);
	}
	WRITE_ONCE(tk->ticks, tk->ticks + 1);
	hrtimer_forward_now(timer, ns_to_ktime(20 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/*
 * validate and dump walk a poisoned pool in steps while a hard-IRQ timer
 * allocates and frees on it: a walk never calls it corrupt (it may call it
 * busy), and the pool adds up once the timer stops.
 */
static void bget_pool_test_walks_under_irq_traffic(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, SZ_64K, BGET_POISON);
	struct bget_test_tick *tk = kunit_kzalloc(test, sizeof(*tk), GFP_KERNEL);
	unsigned long deadline = jiffies + 10 * HZ;
	void *keep[32];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, tk);
	/* Some blocks to walk: every other one stays allocated. */
	for (i = 0; i < ARRAY_SIZE(keep); i++)
		keep[i] = bget_alloc(bp, 200, GFP_KERNEL);
	for (i = 0; i < ARRAY_SIZE(keep); i += 2) {
		KUNIT_EXPECT_EQ(test, bget_free(bp, keep[i]), 0);
		keep[i] = NULL;
	}
	tk->bp = bp;
	hrtimer_init(&tk->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	tk->timer.function = bget_test_tick_fn;
	hrtimer_start(&tk->timer, ns_to_ktime(20 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_HARD);
	/* 200 walks, and on until the timer has had 200 turns (or 10 s). */
	for (i = 0; i < 200 || (READ_ONCE(tk->ticks) < 200 &&
				time_before(jiffies, deadline)); i++) {
		KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
		if (!(i % 1000))
			bget_pool_dump(bp, false, false);
	}
	WRITE_ONCE(tk->stop, true);
	hrtimer_cancel(&tk->timer);
	kunit_info(test, "%d walks, %u timer ticks\n", i, READ_ONCE(tk->ticks));
	KUNIT_EXPECT_EQ(test, bget_free(bp, tk->held), 0);
	for (i = 0; i < ARRAY_SIZE(keep); i++)
		KUNIT_EXPECT_EQ(test, bget_free(bp, keep[i]), 0);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 1);
	KUNIT_EXPECT_EQ(test, bget_test_live(bp), 0);
}

/* ---- random ---- */

static void bget_pool_test_random_ops_valid(struct kunit *test)
{
	static const unsigned int flags[] = {
		0, BGET_BEST_FIT, BGET_POISON, BGET_BEST_FIT | BGET_POISON,
	};
	struct bget_test *t = test->priv;
	u32 seed = get_random_u32();
	struct rnd_state rnd;
	void *live[64] = { };
	size_t size[64] = { };
	unsigned int f, i, k;

	kunit_info(test, "seed %u\n", seed);
	prandom_seed_state(&rnd, seed);
	for (f = 0; f < ARRAY_SIZE(flags); f++) {
		struct bget_pool *bp = bget_test_extra(test, SZ_64K, flags[f]);

		for (i = 0; i < 4000; i++) {
			size_t n = 1 + prandom_u32_state(&rnd) % 3000;
			void *p;

			k = prandom_u32_state(&rnd) % 64;
			if (!live[k]) {
				live[k] = bget_alloc(bp, n, GFP_KERNEL);
				size[k] = n;
				if (live[k])
					memset(live[k], k, n);
			} else if (prandom_u32_state(&rnd) & 1) {
				KUNIT_EXPECT_NULL(test, memchr_inv(live[k], k, size[k]));
				KUNIT_EXPECT_EQ(test, bget_free(bp, live[k]), 0);
				live[k] = NULL;
			} else {
				p = bget_realloc(bp, live[k], n, GFP_KERNEL);
				if (p) {
					KUNIT_EXPECT_NULL(test,
							  memchr_inv(p, k, min(n, size[k])));
					memset(p, k, n);
					live[k] = p;
					size[k] = n;
				}
			}
			if (!bget_pool_validate(bp)) {
				KUNIT_FAIL(test, "pool invalid after %u ops (seed %u)",
					   i, seed);
				return;
			}
		}
		for (k = 0; k < 64; k++) {
			if (live[k])
				KUNIT_EXPECT_EQ(test, bget_free(bp, live[k]), 0);
			live[k] = NULL;
		}
		KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 1);
		bget_pool_destroy(bp);
		t->extra = NULL;
	}
}

/* ---- the per-CPU front (BGET_PERCPU) ---- */

/* Blocks in @cpu's cache of @bp, every class. */
static unsigned int bget_test_cached_on(struct bget_pool *bp, int cpu)
{
	struct bget_pcpu *pc = per_cpu_ptr(bp->pcp, cpu);
	unsigned int k, n = 0;
	unsigned long flags;

	local_irq_save(flags);
	ap_pcp_lock(&pc->lock, NULL);
	for (k = 0; k < BGET_PCP_CLASSES; k++)
		n += pc->n[k];
	ap_pcp_unlock(&pc->lock);
	local_irq_restore(flags);
	return n;
}

static unsigned int bget_test_cached(struct bget_pool *bp)
{
	unsigned int cpu, n = 0;

	for_each_possible_cpu(cpu)
		n += bget_test_cached_on(bp, cpu);
	return n;
}

/* A second free of a block in this CPU's cache is refused, as a realloc. */
static void bget_pool_test_pcp_cached_double_free_refused(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, SZ_64K, BGET_PERCPU);
	struct bget_stats st;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, bp->pcp);
	p = bget_alloc(bp, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, bget_free(bp, p), 0);
	KUNIT_EXPECT_TRUE(test, pcp_claimed(bp, p));
	KUNIT_EXPECT_EQ(test, bget_free(bp, p), -EINVAL);
	KUNIT_EXPECT_NULL(test, bget_realloc(bp, p, 50, GFP_KERNEL));
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 2ULL);
	KUNIT_EXPECT_EQ(test, st.nget, 1);
	KUNIT_EXPECT_EQ(test, st.nrel, 1);
	KUNIT_EXPECT_EQ(test, st.curalloc, 0);
	/* Drained by the stats: the block is free, a free of it refused. */
	KUNIT_EXPECT_FALSE(test, pcp_claimed(bp, p));
	KUNIT_EXPECT_EQ(test, bget_free(bp, p), -EINVAL);
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 1UL);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

/* With BGET_POISON the flag is accepted and the front stays off. */
static void bget_pool_test_pcp_poison_front_off(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, SZ_64K,
					       BGET_PERCPU | BGET_POISON);
	void *p = bget_alloc(bp, 100, GFP_KERNEL);

	KUNIT_EXPECT_NULL(test, bp->pcp);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, bget_free(bp, p), 0);
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 1UL);
	KUNIT_EXPECT_EQ(test, bget_free(bp, p), -EINVAL);
}

/*
 * A request that only the cached blocks merged back can meet succeeds:
 * the caches drain before a failure is reported.
 */
static void bget_pool_test_pcp_fails_only_after_drain(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, SZ_4K, BGET_PERCPU);
	struct bget_stats st0, st;
	void *p[64];
	unsigned int i, n = 0;

	bget_pool_stats(bp, &st0);
	while (n < ARRAY_SIZE(p) && (p[n] = bget_alloc(bp, 40, GFP_ATOMIC)))
		n++;
	KUNIT_ASSERT_LT(test, n, (unsigned int)ARRAY_SIZE(p));
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, bget_free(bp, p[i]), 0);
	KUNIT_EXPECT_GT(test, bget_test_cached(bp), 0U);
	p[0] = bget_alloc(bp, st0.maxfree, GFP_ATOMIC);
	KUNIT_EXPECT_NOT_NULL(test, p[0]);
	KUNIT_EXPECT_EQ(test, bget_test_cached(bp), 0U);
	KUNIT_EXPECT_EQ(test, bget_free(bp, p[0]), 0);
	bget_pool_stats(bp, &st);
	/* The one failure: the fill's last request. */
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	KUNIT_EXPECT_EQ(test, st.nget, (long)n + 1);
	KUNIT_EXPECT_EQ(test, st.nrel, (long)n + 1);
	KUNIT_EXPECT_EQ(test, st.totfree, st0.totfree);
	KUNIT_EXPECT_EQ(test, st.maxfree, st0.maxfree);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

/* A refill's cached blocks: one fit cut into BGET_PCP_BATCH - 1 blocks. */
struct bget_refill_work {
	struct bget_pool *bp;
	void *p;
	u32 blk[BGET_PCP_MAX];
	unsigned int n;
};

static long bget_refill_on_cpu(void *arg)
{
	struct bget_refill_work *w = arg;
	struct bget_pcpu *pc = this_cpu_ptr(w->bp->pcp);
	unsigned int k = (128 >> BGET_QSHIFT) - BGET_PCP_MIN_Q;
	unsigned long flags;

	/* 100 bytes: a block of 128 with its header, class @k. */
	w->p = bget_alloc(w->bp, 100, GFP_KERNEL);
	local_irq_save(flags);
	ap_pcp_lock(&pc->lock, NULL);
	w->n = pc->n[k];
	memcpy(w->blk, pc->blk[k], sizeof(w->blk));
	ap_pcp_unlock(&pc->lock);
	local_irq_restore(flags);
	return 0;
}

/*
 * The first allocation of a size refills its class: the caller's block,
 * and BGET_PCP_BATCH - 1 blocks of exactly that size cut from one fit,
 * in address order, each claimed as cached and none the caller's.
 */
static void bget_pool_test_pcp_refill_one_fit(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, SZ_64K, BGET_PERCPU);
	struct bget_refill_work w = { .bp = bp };
	struct bget_stats st;
	unsigned int i;
	void *b;

	KUNIT_ASSERT_EQ(test, work_on_cpu(cpumask_first(cpu_online_mask),
					  bget_refill_on_cpu, &w), 0L);
	KUNIT_ASSERT_NOT_NULL(test, w.p);
	KUNIT_ASSERT_EQ(test, w.n, BGET_PCP_BATCH - 1U);
	for (i = 0; i < w.n; i++) {
		b = blk_payload(pcp_hdr(bp, w.blk[i]));
		KUNIT_EXPECT_PTR_EQ(test, b, blk_payload(pcp_hdr(bp, w.blk[0])) +
				    i * 128);
		KUNIT_EXPECT_EQ(test, blk_size(pcp_hdr(bp, w.blk[i])), (size_t)128);
		KUNIT_EXPECT_TRUE(test, pcp_claimed(bp, b));
		KUNIT_EXPECT_PTR_NE(test, b, w.p);
	}
	KUNIT_EXPECT_FALSE(test, pcp_claimed(bp, w.p));
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	KUNIT_EXPECT_EQ(test, bget_free(bp, w.p), 0);
	/* The stats drain the caches: the pool is whole again. */
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.curalloc, (size_t)0);
	KUNIT_EXPECT_EQ(test, bget_test_cached(bp), 0U);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

/* Work for one CPU: @n buffers of @size, then freed again. */
struct bget_cpu_work {
	struct bget_pool *bp;
	unsigned int n;
	size_t size;
};

static long bget_churn_on_cpu(void *arg)
{
	struct bget_cpu_work *w = arg;
	void *p[16];
	unsigned int i, n;

	for (n = 0; n < min_t(unsigned int, w->n, ARRAY_SIZE(p)); n++) {
		p[n] = bget_alloc(w->bp, w->size, GFP_KERNEL);
		if (!p[n])
			break;
	}
	for (i = 0; i < n; i++)
		if (bget_free(w->bp, p[i]))
			return -1;
	return n;
}

/* Two online CPUs, or -1 in *@b. */
static void bget_two_cpus(int *a, int *b)
{
	*a = cpumask_first(cpu_online_mask);
	*b = cpumask_next(*a, cpu_online_mask);
	if (*b >= nr_cpu_ids)
		*b = -1;
}

/*
 * Blocks cached on two CPUs: the stats drain both caches first, so every
 * count is that of the merged pool.
 */
static void bget_pool_test_pcp_two_cpus_stats_exact(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, SZ_64K,
					       BGET_BEST_FIT | BGET_PERCPU);
	struct bget_cpu_work w = { .bp = bp, .n = 10, .size = 100 };
	struct bget_stats st0, st;
	int a, b;

	bget_two_cpus(&a, &b);
	if (b < 0)
		kunit_skip(test, "needs two online CPUs");
	bget_pool_stats(bp, &st0);
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, bget_churn_on_cpu, &w), 10L);
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, bget_churn_on_cpu, &w), 10L);
	KUNIT_EXPECT_GT(test, bget_test_cached_on(bp, a), 0U);
	KUNIT_EXPECT_GT(test, bget_test_cached_on(bp, b), 0U);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, bget_churn_on_cpu, &w), 10L);
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, bget_churn_on_cpu, &w), 10L);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, bget_test_cached(bp), 0U);
	KUNIT_EXPECT_EQ(test, st.nget, 40);
	KUNIT_EXPECT_EQ(test, st.nrel, 40);
	KUNIT_EXPECT_EQ(test, st.curalloc, 0);
	KUNIT_EXPECT_EQ(test, st.totfree, st0.totfree);
	KUNIT_EXPECT_EQ(test, st.maxfree, st0.maxfree);
	KUNIT_EXPECT_EQ(test, st.failures, 0ULL);
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 1UL);
	KUNIT_EXPECT_EQ(test, bget_test_live(bp), 0UL);
}

/* A dead CPU's cache is drained: the teardown the hotplug state runs. */
static void bget_pool_test_pcp_cpu_dead_drains(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, SZ_64K, BGET_PERCPU);
	unsigned int cpu;
	void *p;

	p = bget_alloc(bp, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, bget_free(bp, p), 0);
	KUNIT_EXPECT_EQ(test, bget_test_cached(bp), (unsigned int)BGET_PCP_BATCH);
	for_each_possible_cpu(cpu)
		KUNIT_EXPECT_EQ(test, bget_cpu_dead(cpu, &bp->cpuhp_node), 0);
	KUNIT_EXPECT_EQ(test, bget_test_cached(bp), 0U);
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 1UL);
	KUNIT_EXPECT_EQ(test, bget_test_live(bp), 0UL);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

/* A CPU taken offline has its cache drained by the hotplug state. */
static void bget_pool_test_pcp_cpu_offline_drains(struct kunit *test)
{
	struct bget_pool *bp = bget_test_extra(test, SZ_64K, BGET_PERCPU);
	struct bget_cpu_work w = { .bp = bp, .n = 10, .size = 100 };
	int a, b, ret;

	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU) || bget_cpuhp_state < 0)
		kunit_skip(test, "needs CPU hotplug");
	bget_two_cpus(&a, &b);
	if (b < 0)
		kunit_skip(test, "needs two online CPUs");
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, bget_churn_on_cpu, &w), 10L);
	KUNIT_EXPECT_GT(test, bget_test_cached_on(bp, b), 0U);
	ret = remove_cpu(b);
	if (ret)
		kunit_skip(test, "CPU %d cannot go offline: %d", b, ret);
	KUNIT_EXPECT_EQ(test, bget_test_cached_on(bp, b), 0U);
	KUNIT_EXPECT_EQ(test, bget_test_nfree(bp), 1UL);
	KUNIT_EXPECT_EQ(test, add_cpu(b), 0);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

/* Destroy drains what the caches hold; live buffers are counted once. */
static void bget_pool_test_pcp_destroy_cached(struct kunit *test)
{
	struct bget_test *t = test->priv;
	struct bget_pool *bp = bget_test_extra(test, SZ_64K, BGET_PERCPU);
	unsigned int i;
	void *p[8];

	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = bget_alloc(bp, 16 + 60 * i, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	for (i = 1; i < ARRAY_SIZE(p); i++)
		KUNIT_EXPECT_EQ(test, bget_free(bp, p[i]), 0);
	KUNIT_EXPECT_GT(test, bget_test_cached(bp), 0U);
	pcp_drain_all(bp);
	KUNIT_EXPECT_EQ(test, bget_test_live(bp), 1UL);
	KUNIT_EXPECT_EQ(test, bget_free(bp, p[0]), 0);
	bget_pool_destroy(bp);
	t->extra = NULL;
}

/*
 * With the front an expansion block is still released inside the free
 * that leaves it entirely free: its blocks are never cached.
 */
static void bget_pool_test_pcp_expansion_released(struct kunit *test)
{
	struct bget_test *t = test->priv;
	struct bget_pool *bp = bget_test_extra(test, SZ_4K, BGET_PERCPU);
	struct bget_stats st0, st;
	void *fill[64], *p, *q;
	unsigned int i, n = 0;

	bget_pool_stats(bp, &st0);
	/* The initial region full, without growing. */
	while (n < ARRAY_SIZE(fill) &&
	       (fill[n] = bget_alloc(bp, 40, GFP_ATOMIC)))
		n++;
	KUNIT_ASSERT_LT(test, n, (unsigned int)ARRAY_SIZE(fill));
	KUNIT_ASSERT_EQ(test, bget_pool_ctl(bp, &bget_test_ops, SZ_16K), 0);
	p = bget_alloc(bp, 100, GFP_KERNEL);
	q = bget_alloc(bp, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_EQ(test, t->acquired, 1);
	KUNIT_EXPECT_FALSE(test, pcp_claimed(bp, p));
	KUNIT_EXPECT_EQ(test, bget_free(bp, p), 0);
	KUNIT_EXPECT_EQ(test, t->released, 0);
	KUNIT_EXPECT_EQ(test, bget_free(bp, q), 0);
	KUNIT_EXPECT_EQ(test, t->released, 1);
	KUNIT_EXPECT_EQ(test, bget_free(bp, q), -EINVAL);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, bget_free(bp, fill[i]), 0);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.npget, 1);
	KUNIT_EXPECT_EQ(test, st.nprel, 1);
	KUNIT_EXPECT_EQ(test, st.totfree, st0.totfree);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
}

static struct kunit_case bget_pool_test_cases[] = {
	KUNIT_CASE(bget_pool_test_create_args_invalid),
	KUNIT_CASE(bget_pool_test_destroy_live_buffers),
	KUNIT_CASE_PARAM(bget_pool_test_alloc_size_ok, bget_test_size_gen_params),
	KUNIT_CASE(bget_pool_test_alloc_size_invalid),
	KUNIT_CASE(bget_pool_test_alloc_exhausted_fails),
	KUNIT_CASE(bget_pool_test_zalloc_dirty_zeroed),
	KUNIT_CASE(bget_pool_test_free_coalesces_neighbours),
	KUNIT_CASE(bget_pool_test_best_fit_smallest_block),
	KUNIT_CASE(bget_pool_test_first_fit_smallest_bin),
	KUNIT_CASE(bget_pool_test_first_fit_only_fitting_block),
	KUNIT_CASE(bget_pool_test_best_fit_bin_tree_boundary),
	KUNIT_CASE(bget_pool_test_best_fit_tree_equal_sizes),
	KUNIT_CASE(bget_pool_test_free_bins_follow_coalescing),
	KUNIT_CASE(bget_pool_test_realloc_grow_in_place),
	KUNIT_CASE(bget_pool_test_realloc_shrink_in_place),
	KUNIT_CASE(bget_pool_test_realloc_moves_keeps_data),
	KUNIT_CASE(bget_pool_test_realloc_edge_cases),
	KUNIT_CASE_PARAM(bget_pool_test_free_invalid_refused, bget_test_bad_gen_params),
	KUNIT_CASE(bget_pool_test_ctl_args_invalid),
	KUNIT_CASE(bget_pool_test_compact_sequence_numbers),
	KUNIT_CASE(bget_pool_test_compact_frees_then_succeeds),
	KUNIT_CASE(bget_pool_test_acquire_fails_alloc_fails),
	KUNIT_CASE(bget_pool_test_expansion_released_when_empty),
	KUNIT_CASE(bget_pool_test_direct_block_large_request),
	KUNIT_CASE(bget_pool_test_add_buffers),
	KUNIT_CASE(bget_pool_test_poison_write_after_free),
	KUNIT_CASE(bget_pool_test_write_after_free_links),
	KUNIT_CASE(bget_pool_test_write_after_free_large_header),
	KUNIT_CASE(bget_pool_test_validate_smashed_header),
	KUNIT_CASE(bget_pool_test_debugfs_files_show),
	KUNIT_CASE(bget_pool_test_calls_atomic_context),
	KUNIT_CASE(bget_pool_test_free_default_release_atomic),
	KUNIT_CASE(bget_pool_test_walks_under_irq_traffic),
	KUNIT_CASE(bget_pool_test_random_ops_valid),
	KUNIT_CASE(bget_pool_test_pcp_cached_double_free_refused),
	KUNIT_CASE(bget_pool_test_pcp_poison_front_off),
	KUNIT_CASE(bget_pool_test_pcp_fails_only_after_drain),
	KUNIT_CASE(bget_pool_test_pcp_refill_one_fit),
	KUNIT_CASE(bget_pool_test_pcp_two_cpus_stats_exact),
	KUNIT_CASE(bget_pool_test_pcp_cpu_dead_drains),
	KUNIT_CASE(bget_pool_test_pcp_cpu_offline_drains),
	KUNIT_CASE(bget_pool_test_pcp_destroy_cached),
	KUNIT_CASE(bget_pool_test_pcp_expansion_released),
	{}
};

static struct kunit_suite bget_pool_test_suite = {
	.name = "allocpools_bget_pool",
	.init = bget_test_init,
	.exit = bget_test_exit,
	.test_cases = bget_pool_test_cases,
};

kunit_test_suite(bget_pool_test_suite);
