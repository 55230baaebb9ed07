// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite allocpools_fail: each pool's own fault attribute, fail/ in
 * its debugfs directory, fails the pool's allocations on purpose.
 *
 * A case creates a pool, arms its attribute through the files the pool
 * created (probability 100, interval 1, times 3, verbose 0), makes
 * FA_CALLS allocations and expects exactly the first three to fail, each
 * the way that call fails when the pool is out of memory, counted in
 * injected and nowhere else: failures unchanged, the successful calls
 * counted as usual, no object or byte accounted to the failed ones.  Then
 * times reads 0, the next allocation succeeds, everything is freed, and
 * fail/ goes with the pool.  In hard IRQ an armed attribute fails nothing
 * (see ap_fault_inject()).
 *
 * The files are found with debugfs_lookup() under allocpools/<kind>/<name>/
 * fail/; a debugfs u32, bool, atomic_t or unsigned long file keeps the
 * address of the variable it shows in its inode's i_private (fs/debugfs/
 * file.c, debugfs_create_ul in lib/fault-inject.c), which is written as
 * kunit/allocpools_faults_test.c writes failslab's knobs: so a pool whose
 * fail/ directory is missing, or shows another attribute, fails its case.
 * Every knob belongs to the pool, which the case destroys: nothing is left
 * to restore.  Without CONFIG_FAULT_INJECTION_DEBUG_FS (UML, 6.12-rt,
 * KCSAN, Debian's kernels) the cases are skipped.
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/dcache.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include <allocpools/allocpools.h>

#define FA_NAME		"fail"
/* Allocations a case makes; the attribute fails the first FA_TIMES. */
#define FA_CALLS	8
#define FA_TIMES	3
#define FA_LEN		40

/* What every kind's stats say about the calls a case made. */
struct fa_view {
	u64 injected;
	u64 failures;
	u64 allocs;	/* successful allocations (or pushes) */
	u64 frees;	/* frees, releases or shifts */
	u64 live;	/* objects (or chunks) held */
};

struct fa_kind {
	const char *dir;	/* under debugfs allocpools/ */
	void *(*create)(void);
	void (*destroy)(void *pool);
	/* One allocation: the object, or NULL with *err as the call failed. */
	void *(*alloc)(void *pool, unsigned int i, int *err);
	int (*free)(void *pool, void *obj);
	void (*view)(void *pool, struct fa_view *v);
	int want_err;		/* how a failed call says so */
};

struct fa_ctx {
	const struct fa_kind *kind;
	void *pool;
};

/* ---- the pool's fail/ files ---- */

/* The variable behind allocpools/<kind>/<name>/fail/@file, or NULL. */
static void *fa_knob(const char *kind, const char *file)
{
	const char *const path[] = { "allocpools", kind, FA_NAME, "fail",
				     file };
	struct dentry *d = NULL, *next;
	void *var = NULL;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(path); i++) {
		next = debugfs_lookup(path[i], d);
		dput(d);
		if (IS_ERR_OR_NULL(next))
			return NULL;
		d = next;
	}
	if (d_really_is_positive(d))
		var = d_inode(d)->i_private;
	dput(d);
	return var;
}

/*
 * Arm the attribute as a user would: probability 100, interval 1, times
 * FA_TIMES, verbose 0 (at 2, the default, each failure dumps the stack).
 * The allocating paths read these unlocked, as they read what the debugfs
 * files write: marked accesses.
 */
static void fa_arm(struct kunit *test, const char *kind)
{
	unsigned long *probability = fa_knob(kind, "probability");
	unsigned long *interval = fa_knob(kind, "interval");
	unsigned long *verbose = fa_knob(kind, "verbose");
	atomic_t *times = fa_knob(kind, "times");

	KUNIT_ASSERT_NOT_NULL_MSG(test, probability, "no fail/probability");
	KUNIT_ASSERT_NOT_NULL_MSG(test, interval, "no fail/interval");
	KUNIT_ASSERT_NOT_NULL_MSG(test, verbose, "no fail/verbose");
	KUNIT_ASSERT_NOT_NULL_MSG(test, times, "no fail/times");
	/* The defaults, failslab's: nothing fails until someone asks. */
	KUNIT_ASSERT_EQ(test, READ_ONCE(*probability), 0);
	WRITE_ONCE(*verbose, 0);
	WRITE_ONCE(*interval, 1);
	atomic_set(times, FA_TIMES);
	WRITE_ONCE(*probability, 100);
}

/* ---- the four kinds ---- */

static void *fa_iom_create(void)
{
	return iom_create(FA_NAME, SZ_4K, 0);
}

static void fa_iom_destroy(void *pool)
{
	iom_destroy(pool);
}

static void fa_iom_view(void *pool, struct fa_view *v)
{
	struct iom_stats st;

	iom_stats(pool, &st);
	*v = (struct fa_view){ st.injected, st.failures, st.pushes + st.allocs,
			       st.shifts + st.releases, st.chunks };
	/* A failed push or allocation takes no byte of the ring. */
	if (st.used != st.chunks * (FA_LEN + 1))
		v->live = U64_MAX;
	/* Nor does it count as a refused push. */
	if (st.tail_drops || st.head_drops)
		v->frees = U64_MAX;
}

static const u8 fa_data[FA_LEN] = { [0] = 0xa5, [FA_LEN - 1] = 0x5a };

/* Queue use: a push is the allocation, a shift (oldest first) the free. */
static void *fa_iom_push(void *pool, unsigned int i, int *err)
{
	*err = iom_push(pool, fa_data, sizeof(fa_data), IOM_HEAD_DROP);
	return *err ? NULL : (void *)fa_data;
}

static int fa_iom_shift(void *pool, void *obj)
{
	u8 buf[FA_LEN];
	size_t len = 0;
	int ret = iom_shift(pool, buf, &len, sizeof(buf));

	if (!ret && (len != FA_LEN || memcmp(buf, obj, FA_LEN)))
		ret = -EIO;
	return ret;
}

static const struct fa_kind fa_iom_queue = {
	.dir = "iom",
	.create = fa_iom_create,
	.destroy = fa_iom_destroy,
	.alloc = fa_iom_push,
	.free = fa_iom_shift,
	.view = fa_iom_view,
	.want_err = -ENOBUFS,
};

static void *fa_iom_alloc(void *pool, unsigned int i, int *err)
{
	void *p = iom_alloc(pool, FA_LEN);

	*err = p ? 0 : -ENOMEM;
	return p;
}

static int fa_iom_release(void *pool, void *obj)
{
	return iom_release(pool, obj);
}

static const struct fa_kind fa_iom_fifo = {
	.dir = "iom",
	.create = fa_iom_create,
	.destroy = fa_iom_destroy,
	.alloc = fa_iom_alloc,
	.free = fa_iom_release,
	.view = fa_iom_view,
	.want_err = -ENOMEM,
};

static void *fa_ba_create(void)
{
	return buddy_arena_create(FA_NAME, SZ_64K, 6, 12, 0);
}

static void fa_ba_destroy(void *pool)
{
	buddy_arena_destroy(pool);
}

static void *fa_ba_alloc(void *pool, unsigned int i, int *err)
{
	void *p = buddy_arena_alloc(pool, FA_LEN, GFP_KERNEL);

	*err = p ? 0 : -ENOMEM;
	return p;
}

static int fa_ba_free(void *pool, void *obj)
{
	return buddy_arena_free(pool, obj);
}

static void fa_ba_view(void *pool, struct fa_view *v)
{
	struct buddy_arena_stats st;

	buddy_arena_stats(pool, &st);
	*v = (struct fa_view){ st.injected, st.failures, st.allocs, st.frees,
			       st.live_blocks };
	if (st.allocated_bytes != st.live_blocks << 6 ||
	    st.free_bytes + st.allocated_bytes != st.size)
		v->live = U64_MAX;
}

static const struct fa_kind fa_ba = {
	.dir = "buddy",
	.create = fa_ba_create,
	.destroy = fa_ba_destroy,
	.alloc = fa_ba_alloc,
	.free = fa_ba_free,
	.view = fa_ba_view,
	.want_err = -ENOMEM,
};

static void *fa_bget_create(void)
{
	return bget_pool_create(FA_NAME, SZ_64K, 0);
}

static void fa_bget_destroy(void *pool)
{
	bget_pool_destroy(pool);
}

/* bget_alloc(), bget_zalloc() and bget_realloc(NULL, ...) in turn. */
static void *fa_bget_alloc(void *pool, unsigned int i, int *err)
{
	void *p;

	if (i % 3 == 0)
		p = bget_alloc(pool, FA_LEN, GFP_KERNEL);
	else if (i % 3 == 1)
		p = bget_zalloc(pool, FA_LEN, GFP_KERNEL);
	else
		p = bget_realloc(pool, NULL, FA_LEN, GFP_KERNEL);
	*err = p ? 0 : -ENOMEM;
	return p;
}

static int fa_bget_free(void *pool, void *obj)
{
	return bget_free(pool, obj);
}

static void fa_bget_view(void *pool, struct fa_view *v)
{
	struct bget_stats st;

	bget_pool_stats(pool, &st);
	*v = (struct fa_view){ st.injected, st.failures, st.nget, st.nrel,
			       st.nget - st.nrel };
	/* Whatever a failed call did, it took no block. */
	if (!!st.curalloc != !!v->live)
		v->live = U64_MAX;
}

static const struct fa_kind fa_bget = {
	.dir = "bget",
	.create = fa_bget_create,
	.destroy = fa_bget_destroy,
	.alloc = fa_bget_alloc,
	.free = fa_bget_free,
	.view = fa_bget_view,
	.want_err = -ENOMEM,
};

static void *fa_bs_create(void)
{
	return bump_slab_create(FA_NAME, SZ_64K, 0);
}

static void fa_bs_destroy(void *pool)
{
	bump_slab_destroy(pool);
}

static void *fa_bs_alloc(void *pool, unsigned int i, int *err)
{
	void *p = bump_slab_alloc(pool, FA_LEN, GFP_KERNEL);

	*err = p ? 0 : -ENOMEM;
	return p;
}

static int fa_bs_free(void *pool, void *obj)
{
	return bump_slab_free(pool, obj);
}

static void fa_bs_view(void *pool, struct fa_view *v)
{
	struct bump_slab_stats st;
	unsigned int c;

	bump_slab_stats(pool, &st);
	*v = (struct fa_view){ st.injected, st.failures };
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		v->allocs += st.classes[c].allocs;
		v->frees += st.classes[c].frees;
		v->live += st.classes[c].live;
	}
}

static const struct fa_kind fa_bs = {
	.dir = "bump_slab",
	.create = fa_bs_create,
	.destroy = fa_bs_destroy,
	.alloc = fa_bs_alloc,
	.free = fa_bs_free,
	.view = fa_bs_view,
	.want_err = -ENOMEM,
};

/* ---- the cases ---- */

static int fa_init(struct kunit *test)
{
	struct fa_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	test->priv = ctx;
	return 0;
}

/* Even after a failed assertion: destroy frees what is still allocated. */
static void fa_exit(struct kunit *test)
{
	struct fa_ctx *ctx = test->priv;

	if (ctx->kind && !IS_ERR_OR_NULL(ctx->pool))
		ctx->kind->destroy(ctx->pool);
}

static void fa_expect_view(struct kunit *test, const struct fa_view *got,
			   const struct fa_view *want, const char *when)
{
	KUNIT_EXPECT_EQ_MSG(test, got->injected, want->injected, "%s", when);
	KUNIT_EXPECT_EQ_MSG(test, got->failures, want->failures, "%s", when);
	KUNIT_EXPECT_EQ_MSG(test, got->allocs, want->allocs, "%s", when);
	KUNIT_EXPECT_EQ_MSG(test, got->frees, want->frees, "%s", when);
	KUNIT_EXPECT_EQ_MSG(test, got->live, want->live, "%s", when);
}

static void fa_run(struct kunit *test, const struct fa_kind *kind)
{
	struct fa_ctx *ctx = test->priv;
	void *made[FA_CALLS + 1];
	unsigned int i, n = 0, failed = 0;
	struct fa_view v, want;
	atomic_t *times;
	int err;

	if (!IS_ENABLED(CONFIG_FAULT_INJECTION_DEBUG_FS))
		kunit_skip(test, "needs CONFIG_FAULT_INJECTION_DEBUG_FS");
	ctx->kind = kind;
	ctx->pool = kind->create();
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(ctx->pool));
	fa_arm(test, kind->dir);

	for (i = 0; i < FA_CALLS; i++) {
		made[n] = kind->alloc(ctx->pool, i, &err);
		if (made[n]) {
			n++;
			continue;
		}
		failed++;
		KUNIT_EXPECT_EQ_MSG(test, err, kind->want_err, "call %u", i);
		/* The attribute fails from the first call until times is 0. */
		KUNIT_EXPECT_LT_MSG(test, i, FA_TIMES, "call %u failed", i);
	}
	KUNIT_EXPECT_EQ(test, failed, FA_TIMES);
	want = (struct fa_view){ .injected = FA_TIMES, .allocs = n,
				 .live = n };
	kind->view(ctx->pool, &v);
	fa_expect_view(test, &v, &want, "after the calls");

	times = fa_knob(kind->dir, "times");
	KUNIT_ASSERT_NOT_NULL(test, times);
	KUNIT_EXPECT_EQ(test, atomic_read(times), 0);
	/* Spent: the attribute, still at probability 100, fails no more. */
	made[n] = kind->alloc(ctx->pool, FA_CALLS, &err);
	KUNIT_EXPECT_NOT_NULL(test, made[n]);
	if (made[n])
		n++;

	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, kind->free(ctx->pool, made[i]), 0,
				    "free %u", i);
	want.allocs = n;
	want.frees = n;
	want.live = 0;
	kind->view(ctx->pool, &v);
	fa_expect_view(test, &v, &want, "after the frees");

	kind->destroy(ctx->pool);
	ctx->pool = NULL;
	KUNIT_EXPECT_NULL_MSG(test, fa_knob(kind->dir, "probability"),
			      "fail/ outlived its pool");
}

static void fail_test_iom_push(struct kunit *test)
{
	fa_run(test, &fa_iom_queue);
}

static void fail_test_iom_alloc(struct kunit *test)
{
	fa_run(test, &fa_iom_fifo);
}

static void fail_test_buddy_alloc(struct kunit *test)
{
	fa_run(test, &fa_ba);
}

static void fail_test_bget_alloc(struct kunit *test)
{
	fa_run(test, &fa_bget);
}

static void fail_test_bump_slab_alloc(struct kunit *test)
{
	fa_run(test, &fa_bs);
}

struct fa_irq {
	struct hrtimer timer;
	struct completion done;
	void *pool;
	void *obj;
	bool hardirq;
};

static enum hrtimer_restart fa_irq_alloc(struct hrtimer *t)
{
	struct fa_irq *irq = container_of(t, struct fa_irq, timer);

	irq->hardirq = in_hardirq();
	irq->obj = buddy_arena_alloc(irq->pool, FA_LEN, GFP_ATOMIC);
	complete(&irq->done);
	return HRTIMER_NORESTART;
}

/*
 * should_fail() takes a lock that sleeps on PREEMPT_RT and may dump the
 * stack: in hard IRQ an armed attribute is not asked, the allocation
 * succeeds and times is left as it was.  Back in the task, it fails.
 */
static void fail_test_buddy_alloc_hardirq(struct kunit *test)
{
	struct fa_ctx *ctx = test->priv;
	struct buddy_arena_stats st;
	unsigned long left;
	struct fa_irq *irq;
	atomic_t *times;
	int err;

	if (!IS_ENABLED(CONFIG_FAULT_INJECTION_DEBUG_FS))
		kunit_skip(test, "needs CONFIG_FAULT_INJECTION_DEBUG_FS");
	irq = kunit_kzalloc(test, sizeof(*irq), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, irq);
	ctx->kind = &fa_ba;
	ctx->pool = fa_ba.create();
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(ctx->pool));
	fa_arm(test, fa_ba.dir);
	times = fa_knob(fa_ba.dir, "times");
	KUNIT_ASSERT_NOT_NULL(test, times);

	irq->pool = ctx->pool;
	init_completion(&irq->done);
	hrtimer_init(&irq->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	irq->timer.function = fa_irq_alloc;
	hrtimer_start(&irq->timer, ns_to_ktime(NSEC_PER_USEC),
		      HRTIMER_MODE_REL_HARD);
	left = wait_for_completion_timeout(&irq->done, 10 * HZ);
	hrtimer_cancel(&irq->timer);
	KUNIT_ASSERT_NE_MSG(test, left, 0, "the timer never fired");
	KUNIT_ASSERT_TRUE(test, irq->hardirq);

	KUNIT_EXPECT_NOT_NULL(test, irq->obj);
	KUNIT_EXPECT_EQ(test, atomic_read(times), FA_TIMES);
	buddy_arena_stats(ctx->pool, &st);
	KUNIT_EXPECT_EQ(test, st.injected, 0);
	KUNIT_EXPECT_EQ(test, st.allocs, irq->obj ? 1 : 0);

	KUNIT_EXPECT_NULL(test, fa_ba_alloc(ctx->pool, 0, &err));
	buddy_arena_stats(ctx->pool, &st);
	KUNIT_EXPECT_EQ(test, st.injected, 1);
	KUNIT_EXPECT_EQ(test, st.failures, 0);
	if (irq->obj)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ctx->pool, irq->obj), 0);
}

static struct kunit_case allocpools_fail_test_cases[] = {
	KUNIT_CASE(fail_test_iom_push),
	KUNIT_CASE(fail_test_iom_alloc),
	KUNIT_CASE(fail_test_buddy_alloc),
	KUNIT_CASE(fail_test_buddy_alloc_hardirq),
	KUNIT_CASE(fail_test_bget_alloc),
	KUNIT_CASE(fail_test_bump_slab_alloc),
	{}
};

static struct kunit_suite allocpools_fail_test_suite = {
	.name = "allocpools_fail",
	.init = fa_init,
	.exit = fa_exit,
	.test_cases = allocpools_fail_test_cases,
};

kunit_test_suites(&allocpools_fail_test_suite);
