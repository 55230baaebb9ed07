// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the buddy arena.  Included at the end of buddy_arena.c, so
 * the cases can call buddy_check_locked() after every mutation and look at
 * the order map directly.
 *
 * Every case gets a fresh 64 KiB arena with orders 4..16 (one free order-16
 * block); a case that needs another shape makes it with ba_other().  Both
 * live in test->priv, so .exit frees them even after a failed assertion.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/workqueue.h>

#define BA_TEST_SIZE	SZ_64K
#define BA_TEST_MIN	4
#define BA_TEST_MAX	16

static void ba_expect_valid(struct kunit *test, struct buddy_arena *ba)
{
	unsigned long flags;
	bool ok;

	raw_spin_lock_irqsave(&ba->lock, flags);
	ok = buddy_check_locked(ba);
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	KUNIT_EXPECT_TRUE_MSG(test, ok, "arena invariant broken");
}

/*
 * The stats once every per-CPU cache is drained: the buddy core's own
 * layout, which the cases written for it check (cached blocks count as
 * free either way; only their merging waits for the drain).
 */
static void ba_stats_drained(struct buddy_arena *ba,
			     struct buddy_arena_stats *st)
{
	pcp_drain_all(ba);
	buddy_arena_stats(ba, st);
}

/*
 * No per-CPU front on @ba, which nothing has used yet: for the cases that
 * look at the free lists themselves, or damage a free block's links (a
 * cached block has none).
 */
static void ba_no_front(struct buddy_arena *ba)
{
	ba->pcp_end = ba->min_order;
	ba->pcp_live_end = BA_LIVE_HEAD + ba->pcp_end;
}

/* The free blocks an untouched region of @size is carved into. */
static void ba_carve_layout(unsigned int min, unsigned int max, size_t size,
			    unsigned long *nr_free)
{
	size_t rem = size >> min << min;

	while (rem >> min) {
		unsigned int k = min_t(unsigned int, __fls(rem), max);

		nr_free[k]++;
		rem -= BIT(k);
	}
}

/* The case's arenas; .exit destroys both even after a failed assertion. */
struct ba_test_ctx {
	struct buddy_arena *ba;
	struct buddy_arena *other;
};

static struct buddy_arena *ba_main(struct kunit *test)
{
	return ((struct ba_test_ctx *)test->priv)->ba;
}

static struct buddy_arena *ba_other(struct kunit *test, size_t size,
				    unsigned int min, unsigned int max,
				    unsigned int flags)
{
	struct ba_test_ctx *ctx = test->priv;

	ctx->other = buddy_arena_create("kunit_buddy2", size, min, max, flags);
	if (IS_ERR(ctx->other)) {
		KUNIT_FAIL(test, "second arena: %ld", PTR_ERR(ctx->other));
		ctx->other = NULL;
	}
	return ctx->other;
}

static void ba_other_destroy(struct kunit *test)
{
	struct ba_test_ctx *ctx = test->priv;

	buddy_arena_destroy(ctx->other);
	ctx->other = NULL;
}

static int buddy_arena_test_init(struct kunit *test)
{
	struct ba_test_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->ba = buddy_arena_create("kunit_buddy", BA_TEST_SIZE, BA_TEST_MIN,
				     BA_TEST_MAX, 0);
	if (IS_ERR(ctx->ba))
		return PTR_ERR(ctx->ba);
	test->priv = ctx;
	return 0;
}

static void buddy_arena_test_exit(struct kunit *test)
{
	struct ba_test_ctx *ctx = test->priv;

	buddy_arena_destroy(ctx->other);
	buddy_arena_destroy(ctx->ba);
}

struct ba_bad_create {
	const char *desc;
	const char *name;
	size_t size;
	unsigned int min, max, flags;
};

static const struct ba_bad_create ba_bad_creates[] = {
	{ "min_order 3", "kunit_bad", SZ_4K, 3, 10, 0 },
	{ "min above max", "kunit_bad", SZ_4K, 10, 9, 0 },
	{ "max_order 31", "kunit_bad", SZ_4K, 4, 31, 0 },
	{ "size below one block", "kunit_bad", 15, 4, 10, 0 },
	{ "size 0", "kunit_bad", 0, 4, 10, 0 },
	{ "unknown flag", "kunit_bad", SZ_4K, 4, 10, BIT(2) },
	{ "NULL name", NULL, SZ_4K, 4, 10, 0 },
	{ "empty name", "", SZ_4K, 4, 10, 0 },
	{ "slash in name", "a/b", SZ_4K, 4, 10, 0 },
	{ "32-character name", "abcdefghijklmnopqrstuvwxyz012345", SZ_4K, 4,
	  10, 0 },
};

static void ba_bad_create_desc(const struct ba_bad_create *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ba_bad_create, ba_bad_creates, ba_bad_create_desc);

static void buddy_arena_test_create_bad_args(struct kunit *test)
{
	const struct ba_bad_create *p = test->param_value;
	struct buddy_arena *ba;

	ba = buddy_arena_create(p->name, p->size, p->min, p->max, p->flags);
	KUNIT_EXPECT_PTR_EQ(test, ba, ERR_PTR(-EINVAL));
	if (!IS_ERR(ba))
		buddy_arena_destroy(ba);
}

static void buddy_arena_test_create_duplicate_name(struct kunit *test)
{
	struct buddy_arena *ba;

	ba = buddy_arena_create("kunit_buddy", SZ_4K, 4, 12, 0);
	KUNIT_EXPECT_PTR_EQ(test, ba, ERR_PTR(-EEXIST));
	if (!IS_ERR(ba))
		buddy_arena_destroy(ba);
}

static void buddy_arena_test_create_initial_layout(struct kunit *test)
{
	struct buddy_arena *ba = ba_main(test);
	struct buddy_arena_stats st;
	unsigned int k;

	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.size, (size_t)BA_TEST_SIZE);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)BA_TEST_SIZE);
	KUNIT_EXPECT_EQ(test, st.largest_free, (size_t)BA_TEST_SIZE);
	KUNIT_EXPECT_EQ(test, st.regions, 1U);
	KUNIT_EXPECT_EQ(test, st.min_order, BA_TEST_MIN);
	KUNIT_EXPECT_EQ(test, st.max_order, BA_TEST_MAX);
	KUNIT_EXPECT_EQ(test, st.frag_index, -1000);
	for (k = 0; k < BUDDY_ARENA_ORDERS; k++)
		KUNIT_EXPECT_EQ(test, st.free_blocks[k],
				k == BA_TEST_MAX ? 1UL : 0UL);
	ba_expect_valid(test, ba);
}

static void buddy_arena_test_destroy_null_noop(struct kunit *test)
{
	buddy_arena_destroy(NULL);
	buddy_arena_destroy(ERR_PTR(-EINVAL));
}

static void buddy_arena_test_destroy_live_blocks(struct kunit *test)
{
	struct buddy_arena *ba;

	ba = ba_other(test, SZ_4K, 4, 12, 0);
	KUNIT_ASSERT_NOT_NULL(test, ba);
	KUNIT_EXPECT_NOT_NULL(test, buddy_arena_alloc(ba, 16, GFP_KERNEL));
	KUNIT_EXPECT_NOT_NULL(test, buddy_arena_alloc(ba, 1000, GFP_KERNEL));
	/* Warns once with the count (2) and frees both. */
	ba_other_destroy(test);
}

static void buddy_arena_test_alloc_bad_size_fails(struct kunit *test)
{
	struct buddy_arena *ba = ba_main(test);
	struct buddy_arena_stats st;

	KUNIT_EXPECT_NULL(test, buddy_arena_alloc(ba, 0, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, buddy_arena_alloc(ba, BIT(BA_TEST_MAX) + 1,
						  GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, buddy_arena_alloc(ba, SIZE_MAX, GFP_ATOMIC));
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.failures, 3ULL);
	KUNIT_EXPECT_EQ(test, st.allocs, 0ULL);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)BA_TEST_SIZE);
	ba_expect_valid(test, ba);
}

static const unsigned int ba_orders[] = {
	4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
};

static void ba_order_desc(const unsigned int *order, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "order %u", *order);
}

KUNIT_ARRAY_PARAM(ba_order, ba_orders, ba_order_desc);

/* One block of each order splits the top block once per order below it. */
static void buddy_arena_test_alloc_split_merge_order(struct kunit *test)
{
	unsigned int order = *(const unsigned int *)test->param_value, k;
	struct buddy_arena *ba = ba_main(test);
	struct buddy_arena_stats st;
	size_t sizes[] = { BIT(order), BIT(order) / 2 + 1, 1 };
	unsigned int i;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (order > BA_TEST_MIN && sizes[i] <= BIT(order - 1))
			continue;
		p = buddy_arena_alloc(ba, sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		ba_expect_valid(test, ba);
		/* The lowest block of the region, naturally aligned. */
		KUNIT_EXPECT_PTR_EQ(test, p, ba->regions[0]->base);
		KUNIT_EXPECT_EQ(test, buddy_arena_block_size(ba, p), BIT(order));
		ba_stats_drained(ba, &st);
		for (k = BA_TEST_MIN; k <= BA_TEST_MAX; k++)
			KUNIT_EXPECT_EQ(test, st.free_blocks[k],
					k >= order && k < BA_TEST_MAX ? 1UL : 0UL);
		KUNIT_EXPECT_EQ(test, st.allocated_bytes, BIT(order));
		KUNIT_EXPECT_EQ(test, st.requested_bytes,
				ALIGN(sizes[i], BIT(BA_TEST_MIN)));
		KUNIT_EXPECT_EQ(test, st.live_blocks, 1UL);
		memset(p, 0x5a, sizes[i]);
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);
		ba_expect_valid(test, ba);
		ba_stats_drained(ba, &st);
		KUNIT_EXPECT_EQ(test, st.free_blocks[BA_TEST_MAX], 1UL);
		KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)BA_TEST_SIZE);
		KUNIT_EXPECT_EQ(test, st.requested_bytes, (size_t)0);
	}
}

/* Fill the arena with blocks of one order, free odd then even: all merge. */
static void buddy_arena_test_alloc_fill_order(struct kunit *test)
{
	unsigned int order = *(const unsigned int *)test->param_value;
	unsigned int n = BIT(BA_TEST_MAX - order), i;
	struct buddy_arena *ba = ba_main(test);
	struct buddy_arena_stats st;
	void **p;

	p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < n; i++) {
		p[i] = buddy_arena_alloc(ba, BIT(order), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	ba_expect_valid(test, ba);
	KUNIT_EXPECT_NULL(test, buddy_arena_alloc(ba, 1, GFP_KERNEL));
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)0);
	KUNIT_EXPECT_EQ(test, st.largest_free, (size_t)0);
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	KUNIT_EXPECT_EQ(test, st.frag_index, 0);
	for (i = 1; i < n; i += 2)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), 0);
	ba_expect_valid(test, ba);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_blocks[order],
			order < BA_TEST_MAX ? (unsigned long)n / 2 : 0UL);
	if (order < BA_TEST_MAX - 1)
		KUNIT_EXPECT_GT(test, st.frag_index, 0);
	for (i = 0; i < n; i += 2)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), 0);
	ba_expect_valid(test, ba);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_blocks[BA_TEST_MAX], 1UL);
	KUNIT_EXPECT_EQ(test, st.live_blocks, 0UL);
	KUNIT_EXPECT_EQ(test, st.allocs, (u64)n);
	KUNIT_EXPECT_EQ(test, st.frees, (u64)n);
}

static const size_t ba_region_sizes[] = {
	16, 48, 4096 + 16, 3 * 4096 + 48, 100000, 65535, 12345,
};

static void ba_region_desc(const size_t *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu bytes", *size);
}

KUNIT_ARRAY_PARAM(ba_region, ba_region_sizes, ba_region_desc);

/* A region of any size is carved largest block first and fully usable. */
static void buddy_arena_test_region_nonpow2_carve(struct kunit *test)
{
	unsigned long layout[BUDDY_ARENA_ORDERS] = { 0 };
	size_t size = *(const size_t *)test->param_value, got = 0;
	struct buddy_arena_stats st;
	struct buddy_arena *ba;
	unsigned int n = 0, i;
	void **p;

	ba = ba_other(test, size, 4, 12, 0);
	KUNIT_ASSERT_NOT_NULL(test, ba);
	ba_carve_layout(4, 12, size, layout);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, memcmp(st.free_blocks, layout, sizeof(layout)),
			0);
	KUNIT_EXPECT_EQ(test, st.size, size & ~(size_t)15);
	ba_expect_valid(test, ba);

	p = kunit_kcalloc(test, size / 16, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	while (n < size / 16 && (p[n] = buddy_arena_alloc(ba, 16, GFP_KERNEL)))
		got += buddy_arena_block_size(ba, p[n++]);
	KUNIT_EXPECT_EQ(test, got, size & ~(size_t)15);
	ba_expect_valid(test, ba);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[n - 1 - i]), 0);
	ba_expect_valid(test, ba);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, memcmp(st.free_blocks, layout, sizeof(layout)),
			0);
	ba_other_destroy(test);
}

enum ba_bad_kind {
	BA_BAD_FOREIGN,
	BA_BAD_INTERIOR,
	BA_BAD_INTERIOR_UNIT,
	BA_BAD_DOUBLE,
	BA_BAD_FREE_BLOCK,
	BA_BAD_PAST_END,
	BA_BAD_CANARY,
	BA_BAD_CANARY_HEAD,
	BA_BAD_WRONG_ARENA,
};

struct ba_bad_free {
	enum ba_bad_kind kind;
	const char *desc;
};

static const struct ba_bad_free ba_bad_frees[] = {
	{ BA_BAD_FOREIGN, "foreign pointer" },
	{ BA_BAD_INTERIOR, "interior pointer" },
	{ BA_BAD_INTERIOR_UNIT, "interior unit-aligned pointer" },
	{ BA_BAD_DOUBLE, "double free" },
	{ BA_BAD_FREE_BLOCK, "never allocated free block" },
	{ BA_BAD_PAST_END, "one past the region" },
	{ BA_BAD_CANARY, "smashed canary" },
	{ BA_BAD_CANARY_HEAD, "smashed head canary" },
	{ BA_BAD_WRONG_ARENA, "block of another arena" },
};

static void ba_bad_free_desc(const struct ba_bad_free *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ba_bad_free, ba_bad_frees, ba_bad_free_desc);

/* Every kind of bad free is refused and leaves the arena exactly as it was. */
static void buddy_arena_test_free_bad_unchanged(struct kunit *test)
{
	const struct ba_bad_free *param = test->param_value;
	enum ba_bad_kind kind = param->kind;
	struct buddy_arena *ba = ba_main(test), *other = NULL;
	struct buddy_arena_stats before, after;
	struct buddy_region *r = ba->regions[0];
	u8 *p, *q, *bad = NULL;
	u32 saved = 0;

	p = buddy_arena_alloc(ba, 100, GFP_KERNEL);
	q = buddy_arena_alloc(ba, 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	switch (kind) {
	case BA_BAD_FOREIGN:
		bad = (u8 *)test;
		break;
	case BA_BAD_INTERIOR:
		bad = p + 3;
		break;
	case BA_BAD_INTERIOR_UNIT:
		bad = p + 16;
		break;
	case BA_BAD_DOUBLE:
		KUNIT_ASSERT_EQ(test, buddy_arena_free(ba, q), 0);
		bad = q;
		break;
	case BA_BAD_FREE_BLOCK:
		bad = r->base + BA_TEST_SIZE / 2;
		break;
	case BA_BAD_PAST_END:
		bad = r->base + BA_TEST_SIZE;
		break;
	case BA_BAD_CANARY:
		saved = *r->canary_tail;
		*r->canary_tail = ~saved;
		bad = p;
		break;
	case BA_BAD_CANARY_HEAD:
		saved = r->canary_head;
		r->canary_head = ~saved;
		bad = p;
		break;
	case BA_BAD_WRONG_ARENA:
		other = ba_other(test, SZ_4K, 4, 12, 0);
		KUNIT_ASSERT_NOT_NULL(test, other);
		bad = buddy_arena_alloc(other, 16, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, bad);
		break;
	}
	ba_stats_drained(ba, &before);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, bad), -EINVAL);
	ba_stats_drained(ba, &after);
	before.invalid_frees++;
	KUNIT_EXPECT_EQ(test, memcmp(&before, &after, sizeof(before)), 0);
	KUNIT_EXPECT_EQ(test, after.invalid_frees, 1ULL);
	if (kind == BA_BAD_CANARY)
		*r->canary_tail = saved;
	if (kind == BA_BAD_CANARY_HEAD)
		r->canary_head = saved;
	ba_expect_valid(test, ba);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);
	if (kind != BA_BAD_DOUBLE)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, q), 0);
	ba_expect_valid(test, ba);
	ba_stats_drained(ba, &after);
	KUNIT_EXPECT_EQ(test, after.free_bytes, (size_t)BA_TEST_SIZE);
	if (other) {
		KUNIT_EXPECT_EQ(test, buddy_arena_free(other, bad), 0);
		ba_other_destroy(test);
	}
}

static void buddy_arena_test_free_null_returns_zero(struct kunit *test)
{
	struct buddy_arena *ba = ba_main(test);
	struct buddy_arena_stats before, after;

	ba_stats_drained(ba, &before);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, NULL), 0);
	ba_stats_drained(ba, &after);
	KUNIT_EXPECT_EQ(test, memcmp(&before, &after, sizeof(before)), 0);
}

static void buddy_arena_test_block_size_live_only(struct kunit *test)
{
	struct buddy_arena *ba = ba_main(test);
	u8 *p;

	p = buddy_arena_alloc(ba, 1000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, buddy_arena_block_size(ba, p), (size_t)1024);
	KUNIT_EXPECT_EQ(test, buddy_arena_block_size(ba, p + 16), (size_t)0);
	KUNIT_EXPECT_EQ(test, buddy_arena_block_size(ba, p + 1024), (size_t)0);
	KUNIT_EXPECT_EQ(test, buddy_arena_block_size(ba, NULL), (size_t)0);
	KUNIT_EXPECT_EQ(test, buddy_arena_block_size(ba, test), (size_t)0);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);
	KUNIT_EXPECT_EQ(test, buddy_arena_block_size(ba, p), (size_t)0);
	KUNIT_EXPECT_EQ(test, ba->invalid_frees, 0ULL);
}

/* Blocks never merge across regions; both regions serve allocations. */
static void buddy_arena_test_add_region_no_cross_merge(struct kunit *test)
{
	struct buddy_arena *ba = ba_main(test);
	struct buddy_arena_stats st;
	void *p[4];
	unsigned int i;

	KUNIT_EXPECT_EQ(test, buddy_arena_add_region(ba, 15), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_arena_add_region(ba, 0), -EINVAL);
	KUNIT_ASSERT_EQ(test, buddy_arena_add_region(ba, BA_TEST_SIZE), 0);
	ba_expect_valid(test, ba);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 2U);
	KUNIT_EXPECT_EQ(test, st.size, (size_t)2 * BA_TEST_SIZE);
	KUNIT_EXPECT_EQ(test, st.free_blocks[BA_TEST_MAX], 2UL);
	for (i = 0; i < 2; i++) {
		p[i] = buddy_arena_alloc(ba, BA_TEST_SIZE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	KUNIT_EXPECT_NULL(test, buddy_arena_alloc(ba, 16, GFP_KERNEL));
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), 0);
	ba_expect_valid(test, ba);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_blocks[BA_TEST_MAX], 2UL);
	/* Without BUDDY_ARENA_GROW the added region stays. */
	flush_work(&ba->reclaim);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 2U);
}

static void buddy_arena_test_grow_and_give_back(struct kunit *test)
{
	struct buddy_arena_stats st;
	struct buddy_arena *ba;
	void *p[6];
	unsigned int i;

	ba = ba_other(test, 3000, 6, 12, BUDDY_ARENA_GROW);
	KUNIT_ASSERT_NOT_NULL(test, ba);
	p[0] = buddy_arena_alloc(ba, 2048, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, p[0]);
	/* Full for 2048: no growth without a blocking gfp. */
	KUNIT_EXPECT_NULL(test, buddy_arena_alloc(ba, 2048, GFP_ATOMIC));
	KUNIT_EXPECT_EQ(test, ba->nr_regions, 1U);
	for (i = 1; i < 5; i++) {
		p[i] = buddy_arena_alloc(ba, 2048, GFP_KERNEL);
		KUNIT_EXPECT_NOT_NULL(test, p[i]);
		ba_expect_valid(test, ba);
	}
	/* Larger than a region: a region of the request's size. */
	p[5] = buddy_arena_alloc(ba, 4096, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, p[5]);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 6U);
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	ba_expect_valid(test, ba);
	for (i = 0; i < 6; i++) {
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), 0);
		ba_expect_valid(test, ba);
	}
	flush_work(&ba->reclaim);
	ba_expect_valid(test, ba);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 1U);
	KUNIT_EXPECT_EQ(test, st.size, (size_t)2944);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)2944);
	ba_other_destroy(test);
}

static void buddy_arena_test_poison_mismatch_refused(struct kunit *test)
{
	struct buddy_arena_stats st;
	struct buddy_arena *ba;
	u8 *p, *q;

	ba = ba_other(test, SZ_4K, 6, 12, BUDDY_ARENA_POISON);
	KUNIT_ASSERT_NOT_NULL(test, ba);
	p = buddy_arena_alloc(ba, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0, 100);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);
	ba_expect_valid(test, ba);
	KUNIT_EXPECT_EQ(test, ap_kasan_read_u8(&p[64]), POISON_FREE);
	ap_kasan_write_u8(&p[100], 0);	/* a write after free */
	q = buddy_arena_alloc(ba, 2048, GFP_KERNEL);
	KUNIT_EXPECT_NULL(test, q);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)SZ_4K);
	ba_expect_valid(test, ba);
	/* Repaired and free again. */
	q = buddy_arena_alloc(ba, 2048, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, q);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, q), 0);
	ba_expect_valid(test, ba);
	ba_other_destroy(test);
}

static void buddy_arena_test_stats_files(struct kunit *test)
{
	/*
	 * The refill took the first 1 KiB as 16 blocks of 64 bytes: one
	 * handed out, 15 in a CPU's cache, which the stats drain first: the
	 * file shows the merged arena, one free block at each order 6..15.
	 */
	static const char free_line[] =
		"free_blocks: 0 0 0 0 0 0 1 1 1 1 1 1 1 1 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
	struct buddy_arena *ba = ba_main(test);
	struct seq_file m = { .size = PAGE_SIZE };
	struct ap_row row = { 0 };
	void *p;

	m.buf = kunit_kzalloc(test, m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	p = buddy_arena_alloc(ba, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, buddy_stats_show(&m, &ba->ap), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf, "size: 65536\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf, "allocated_bytes: 64\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf, free_line));
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf, "live_blocks: 1\n"));
	/* corruptions follows invalid_frees */
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf,
					   "invalid_frees: 0\ncorruptions: 0\n"));
	m.count = 0;
	memset(m.buf, 0, m.size);
	KUNIT_EXPECT_EQ(test, buddy_orders_show(&m, &ba->ap), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf, "order block_size free_blocks\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf, "   16      65536           0\n"));
	buddy_row(&ba->ap, &row);
	KUNIT_EXPECT_EQ(test, row.size, (size_t)BA_TEST_SIZE);
	KUNIT_EXPECT_EQ(test, row.used, (size_t)64);
	KUNIT_EXPECT_EQ(test, row.free, (size_t)BA_TEST_SIZE - 64);
	KUNIT_EXPECT_EQ(test, row.allocs, 1ULL);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);
}

/* Random allocations and frees, the invariant walk after every one. */
static void buddy_arena_test_random_ops(struct kunit *test)
{
	struct buddy_arena *ba = ba_main(test);
	struct rnd_state rnd;
	unsigned int n = 0, i;
	u32 seed = get_random_u32();
	void **p;

	kunit_info(test, "seed %u\n", seed);
	prandom_seed_state(&rnd, seed);
	p = kunit_kcalloc(test, 256, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < 4000; i++) {
		u32 r = prandom_u32_state(&rnd);

		if (n < 256 && (r & 1 || !n)) {
			size_t size = 1 + (r >> 8) % (1U << (r >> 1) % 15);

			p[n] = buddy_arena_alloc(ba, size, GFP_ATOMIC);
			if (p[n]) {
				KUNIT_EXPECT_GE(test,
						buddy_arena_block_size(ba, p[n]),
						size);
				n++;
			}
		} else {
			r = (r >> 1) % n;
			KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[r]), 0);
			p[r] = p[--n];
		}
		ba_expect_valid(test, ba);
	}
	while (n)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[--n]), 0);
	ba_expect_valid(test, ba);
	pcp_drain_all(ba);
	KUNIT_EXPECT_EQ(test, ba->orders[BA_TEST_MAX].nr_free, 1UL);
}

/* The bitmap of non-empty orders agrees with the lists after every call. */
static void ba_expect_avail(struct kunit *test, struct buddy_arena *ba)
{
	unsigned long flags;
	unsigned int k;

	raw_spin_lock_irqsave(&ba->lock, flags);
	for (k = 0; k < BUDDY_ARENA_ORDERS; k++) {
		struct ba_link *head = &ba->orders[k].head;

		KUNIT_EXPECT_EQ_MSG(test, !!test_bit(k, &ba->avail),
				    next_of(head, ba->orders[k].key) != head,
				    "order %u", k);
		KUNIT_EXPECT_EQ_MSG(test, ba->orders[k].nr_free == 0,
				    next_of(head, ba->orders[k].key) == head,
				    "order %u", k);
	}
	raw_spin_unlock_irqrestore(&ba->lock, flags);
}

static void buddy_arena_test_avail_tracks_lists(struct kunit *test)
{
	static const size_t sizes[] = { 16, 4096, 17, 32768, 100, 16, 2048, 1 };
	struct buddy_arena *ba = ba_main(test);
	void *p[ARRAY_SIZE(sizes)];
	unsigned int i;

	ba_no_front(ba);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[i] = buddy_arena_alloc(ba, sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		ba_expect_avail(test, ba);
		ba_expect_valid(test, ba);
	}
	/* every other one first, so that some frees merge and some do not */
	for (i = 0; i < ARRAY_SIZE(sizes); i += 2) {
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), 0);
		ba_expect_avail(test, ba);
		ba_expect_valid(test, ba);
	}
	for (i = 1; i < ARRAY_SIZE(sizes); i += 2) {
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), 0);
		ba_expect_avail(test, ba);
		ba_expect_valid(test, ba);
	}
	KUNIT_EXPECT_EQ(test, ba->avail, BIT(BA_TEST_MAX));
}

struct ba_req {
	size_t size;
	const char *desc;
};

static const struct ba_req ba_reqs[] = {
	{ 1, "one byte, one unit" },
	{ 17, "two units, no slack" },
	{ 100, "one unit of slack, narrow" },
	{ 3000, "slack in a 256-unit block, narrow" },
	{ 4097, "slack in a 512-unit block, wide" },
	{ 40000, "slack in a 4096-unit block, wide" },
	{ 65536, "a whole 2^16 block" },
};

static void ba_req_desc(const struct ba_req *t, char *desc)
{
	strscpy(desc, t->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ba_req, ba_reqs, ba_req_desc);

/* requested_bytes is exact on both the inline and the general path. */
static void buddy_arena_test_requested_bytes_exact(struct kunit *test)
{
	const struct ba_req *param = test->param_value;
	struct buddy_arena *ba = ba_main(test);
	struct buddy_arena_stats st;
	void *p, *q;

	/* q makes p's order's list non-empty, so p takes the inline path */
	q = buddy_arena_alloc(ba, param->size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.requested_bytes,
			ALIGN(param->size, BIT(BA_TEST_MIN)));
	ba_expect_valid(test, ba);
	if (param->size <= BA_TEST_SIZE / 2) {
		p = buddy_arena_alloc(ba, param->size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		ba_stats_drained(ba, &st);
		KUNIT_EXPECT_EQ(test, st.requested_bytes,
				2 * ALIGN(param->size, BIT(BA_TEST_MIN)));
		ba_expect_valid(test, ba);
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);
	}
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.requested_bytes,
			ALIGN(param->size, BIT(BA_TEST_MIN)));
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, q), 0);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.requested_bytes, (size_t)0);
	KUNIT_EXPECT_EQ(test, st.live_blocks, 0UL);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)BA_TEST_SIZE);
	ba_expect_valid(test, ba);
}

/*
 * Every 16-byte block the main arena serves, past @failures failed
 * allocations (the one that finds the damage), is taken into @blocks:
 * all but @victim, which is never among them.  Then all are freed.
 */
static void ba_serve_all_but(struct kunit *test, struct buddy_arena *ba,
			     void **blocks, const void *victim,
			     unsigned int failures)
{
	unsigned int n = 0;

	while (n < BA_TEST_SIZE / 16) {
		blocks[n] = buddy_arena_alloc(ba, 16, GFP_ATOMIC);
		if (!blocks[n]) {
			if (!failures--)
				break;
			continue;
		}
		KUNIT_EXPECT_PTR_NE(test, blocks[n], victim);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, BA_TEST_SIZE / 16 - 1);
	while (n)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, blocks[--n]), 0);
	ba_expect_valid(test, ba);
}

/*
 * A caller that writes an address over a free block's links makes the
 * allocation that would take it fail, cut the block's list off and count
 * one corruption, instead of writing through the bad link.  The block is
 * never handed out again; the rest of the arena goes on serving.
 */
static void buddy_arena_test_free_list_damage_refused(struct kunit *test)
{
	struct buddy_arena *ba = ba_main(test);
	struct list_head decoy = { &decoy, &decoy };
	struct buddy_arena_stats st;
	struct ba_link *victim;
	void **blocks;
	u8 *p;

	ba_no_front(ba);
	blocks = kunit_kcalloc(test, BA_TEST_SIZE / 16, sizeof(*blocks),
			       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blocks);
	p = buddy_arena_alloc(ba, 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	/* p's buddy is the one free order-4 block */
	victim = (struct ba_link *)(p + 16);
	KUNIT_ASSERT_EQ(test, ba->orders[BA_TEST_MIN].nr_free, 1UL);
	KUNIT_ASSERT_PTR_EQ(test,
			    next_of(&ba->orders[BA_TEST_MIN].head,
				    ba->orders[BA_TEST_MIN].key),
			    victim);
	ap_kasan_write_ulong(&victim->next, (unsigned long)&decoy);

	KUNIT_EXPECT_NULL(test, buddy_arena_alloc(ba, 16, GFP_KERNEL));
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.corruptions, 1ULL);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	KUNIT_EXPECT_EQ(test, st.free_blocks[BA_TEST_MIN], 0UL);
	KUNIT_EXPECT_PTR_EQ(test, decoy.next, &decoy);
	KUNIT_EXPECT_PTR_EQ(test, decoy.prev, &decoy);
	ba_expect_valid(test, ba);

	/* p's free finds its buddy held: p is freed but not merged */
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.corruptions, 1ULL);
	KUNIT_EXPECT_EQ(test, st.free_blocks[BA_TEST_MIN], 1UL);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)BA_TEST_SIZE - 16);
	KUNIT_EXPECT_EQ(test, st.requested_bytes, (size_t)0);
	KUNIT_EXPECT_EQ(test, buddy_arena_block_size(ba, victim), (size_t)0);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, victim), -EINVAL);
	ba_expect_valid(test, ba);

	/* Everything but the cut-off block is served, and merges back. */
	ba_serve_all_but(test, ba, blocks, victim, 0);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)BA_TEST_SIZE - 16);
	KUNIT_EXPECT_EQ(test, st.corruptions, 1ULL);
}

/*
 * A write after free of 0x41 bytes over a free buddy's links: the free
 * next to it used to follow 0x4141414141414141 and fault.  Now the merge
 * is skipped and counted, and the allocation that reaches the damaged
 * block cuts it off instead of handing it out.
 */
static void buddy_arena_test_free_list_damage_pattern(struct kunit *test)
{
	struct buddy_arena *ba = ba_main(test);
	struct buddy_arena_stats st;
	u8 *p, *q;

	ba_no_front(ba);
	p = buddy_arena_alloc(ba, 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	ap_kasan_memset(p + 16, 0x41, 16);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.corruptions, 1ULL);
	KUNIT_EXPECT_EQ(test, st.free_blocks[BA_TEST_MIN], 2UL);
	KUNIT_EXPECT_EQ(test, st.frees, 1ULL);
	/* LIFO: p comes back first, sound. */
	q = buddy_arena_alloc(ba, 16, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	/* Then the damaged block: cut off, not handed out. */
	KUNIT_EXPECT_NULL(test, buddy_arena_alloc(ba, 16, GFP_KERNEL));
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.corruptions, 2ULL);
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	KUNIT_EXPECT_EQ(test, st.free_blocks[BA_TEST_MIN], 0UL);
	ba_expect_valid(test, ba);
	/* q's buddy is held: no merge, nothing more to count. */
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, q), 0);
	ba_expect_valid(test, ba);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.corruptions, 2ULL);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)BA_TEST_SIZE - 16);
	KUNIT_EXPECT_EQ(test, st.live_blocks, 0UL);
}

/*
 * A buggy driver: it frees a block, keeps the pointer and writes through
 * it (0x41 bytes, or with @pointer the address of its other block), then
 * frees that block's buddy.  The damage is counted, the damaged block is
 * never handed out again, every other block is, and destroy (in .exit)
 * works.  The write lands in the block the test was handed, before the
 * arena hands it out again.
 */
static void ba_driver_write_after_free(struct kunit *test, bool pointer)
{
	struct buddy_arena *ba = ba_main(test);
	struct buddy_arena_stats st;
	void **blocks;
	u8 *p, *q;

	ba_no_front(ba);
	blocks = kunit_kcalloc(test, BA_TEST_SIZE / 16, sizeof(*blocks),
			       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blocks);
	p = buddy_arena_alloc(ba, 16, GFP_KERNEL);
	q = buddy_arena_alloc(ba, 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_PTR_EQ(test, q, p + 16);
	KUNIT_ASSERT_EQ(test, buddy_arena_free(ba, q), 0);
	if (pointer) {
		ap_kasan_write_ulong((unsigned long *)q, (unsigned long)p);
		ap_kasan_write_ulong((unsigned long *)q + 1, (unsigned long)p);
	} else {
		ap_kasan_memset(q, 0x41, 16);
	}
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_GE(test, st.corruptions, 1ULL);
	/*
	 * Everything but the damaged block, past the one failure; the arena
	 * is walked once that block is cut off (the strict walk refuses it
	 * while it is still listed).
	 */
	ba_serve_all_but(test, ba, blocks, q, 1);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.live_blocks, 0UL);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)BA_TEST_SIZE - 16);
}

static void buddy_arena_test_write_after_free_pattern_driver(struct kunit *test)
{
	ba_driver_write_after_free(test, false);
}

static void buddy_arena_test_write_after_free_pointer_driver(struct kunit *test)
{
	ba_driver_write_after_free(test, true);
}

static DEFINE_RAW_SPINLOCK(ba_test_raw_lock);

/* Every call that may come from any context, once. */
static void ba_any_context_calls(struct kunit *test, struct buddy_arena *ba)
{
	static const size_t sizes[] = { 1, 16, 100, 4096, 5000 };
	void *p[ARRAY_SIZE(sizes)];
	struct buddy_arena_stats st;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[i] = buddy_arena_alloc(ba, sizes[i], GFP_ATOMIC);
		KUNIT_EXPECT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_GE(test, buddy_arena_block_size(ba, p[i]),
				sizes[i]);
	}
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.live_blocks, (unsigned long)ARRAY_SIZE(p));
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, (u8 *)p[0] + 1), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), 0);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[0]), -EINVAL);
}

/*
 * Under a caller's raw spinlock, with preemption and with interrupts off:
 * the arena's own lock must nest inside a raw one (on PREEMPT_RT with
 * PROVE_RAW_LOCK_NESTING, a spinlock_t there is an invalid wait context)
 * and nothing may sleep (DEBUG_ATOMIC_SLEEP), poison mode included.
 */
static void buddy_arena_test_calls_atomic_contexts(struct kunit *test)
{
	struct buddy_arena *poison;
	unsigned long flags;

	poison = ba_other(test, SZ_64K, 4, 16,
			  BUDDY_ARENA_POISON | BUDDY_ARENA_GROW);
	KUNIT_ASSERT_NOT_NULL(test, poison);

	raw_spin_lock_irqsave(&ba_test_raw_lock, flags);
	ba_any_context_calls(test, ba_main(test));
	ba_any_context_calls(test, poison);
	raw_spin_unlock_irqrestore(&ba_test_raw_lock, flags);

	preempt_disable();
	ba_any_context_calls(test, poison);
	preempt_enable();

	local_irq_save(flags);
	ba_any_context_calls(test, ba_main(test));
	local_irq_restore(flags);

	ba_expect_valid(test, ba_main(test));
	ba_expect_valid(test, poison);
	KUNIT_EXPECT_EQ(test, poison->nr_regions, 1U);
	ba_other_destroy(test);
}

struct ba_huge {
	size_t size;
	unsigned int min;
	const char *desc;
};

static const struct ba_huge ba_huges[] = {
	{ (size_t)16 << 30, 4, "16 GiB of 16-byte units" },
	{ (size_t)32 << 30, 4, "32 GiB of 16-byte units" },
	{ (size_t)1 << 40, 12, "1 TiB of pages" },
	{ (size_t)1 << 50, 30, "1 PiB of 1 GiB units" },
	{ SIZE_MAX / 2, 4, "SIZE_MAX / 2" },
	{ SIZE_MAX, 4, "SIZE_MAX, 16-byte units" },
	{ SIZE_MAX, 30, "SIZE_MAX, 1 GiB units" },
};

static void ba_huge_desc(const struct ba_huge *h, char *desc)
{
	strscpy(desc, h->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ba_huge, ba_huges, ba_huge_desc);

/*
 * A region no machine can hold is refused with -EINVAL or -ENOMEM, by
 * create and by add_region alike: no WARN from kvmalloc() (sizes over
 * INT_MAX) or vmalloc() (warn_alloc), which fail the layer.
 */
static void buddy_arena_test_create_huge_refused(struct kunit *test)
{
	const struct ba_huge *h = test->param_value;
	struct buddy_arena *ba;
	int ret;

	ba = buddy_arena_create("kunit_huge", h->size, h->min, 30, 0);
	KUNIT_EXPECT_TRUE(test, ba == ERR_PTR(-EINVAL) ||
			  ba == ERR_PTR(-ENOMEM));
	if (!IS_ERR(ba))
		buddy_arena_destroy(ba);
	ret = buddy_arena_add_region(ba_main(test), h->size);
	KUNIT_EXPECT_TRUE(test, ret == -EINVAL || ret == -ENOMEM);
	KUNIT_EXPECT_EQ(test, ba_main(test)->nr_regions, 1U);
	ba_expect_valid(test, ba_main(test));
}

/*
 * Freeing a poisoned 1 MiB block and allocating it again: the poison is
 * written and checked with the arena's lock dropped; the block is neither
 * live nor free meanwhile, and the counters are exact before and after.
 */
static void buddy_arena_test_poison_large_block(struct kunit *test)
{
	struct buddy_arena_stats st;
	struct buddy_arena *ba;
	u8 *p, *q;

	ba = ba_other(test, SZ_4M, 12, 22, BUDDY_ARENA_POISON);
	KUNIT_ASSERT_NOT_NULL(test, ba);
	p = buddy_arena_alloc(ba, SZ_1M, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0, SZ_1M);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);
	KUNIT_EXPECT_EQ(test, ap_kasan_read_u8(&p[SZ_1M - 1]), POISON_FREE);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), -EINVAL);
	KUNIT_EXPECT_EQ(test, ba->held_units, 0UL);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)SZ_4M);
	q = buddy_arena_alloc(ba, SZ_1M, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.requested_bytes, (size_t)SZ_1M);
	KUNIT_EXPECT_EQ(test, st.corruptions, 0ULL);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, q), 0);
	ba_expect_valid(test, ba);
	ba_other_destroy(test);
}

/*
 * Growth for GFP_NOIO and GFP_NOFS callers (in their memalloc scope), none
 * for GFP_ATOMIC; a grown region whose free half a client wrote over is
 * not given back, even once all its bytes are free (it used to be
 * vfree'd with the damaged half still on a free list).
 */
static void buddy_arena_test_grow_gfp_and_damage(struct kunit *test)
{
	struct list_head decoy = { &decoy, &decoy };
	struct buddy_arena *ba;
	void *full, *p, *q;

	ba = ba_other(test, SZ_4K, 6, 12, BUDDY_ARENA_GROW);
	KUNIT_ASSERT_NOT_NULL(test, ba);
	full = buddy_arena_alloc(ba, SZ_4K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, full);
	KUNIT_EXPECT_NULL(test, buddy_arena_alloc(ba, 16, GFP_ATOMIC));
	KUNIT_EXPECT_EQ(test, ba->nr_regions, 1U);
	p = buddy_arena_alloc(ba, SZ_2K, GFP_NOIO);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, ba->nr_regions, 2U);
	q = buddy_arena_alloc(ba, SZ_4K, GFP_NOFS);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_EQ(test, ba->nr_regions, 3U);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, q), 0);
	flush_work(&ba->reclaim);
	KUNIT_EXPECT_EQ(test, ba->nr_regions, 2U);

	/* p's free half: an address written over its links. */
	ap_kasan_write_ulong(&((struct ba_link *)((u8 *)p + SZ_2K))->next,
			     (unsigned long)&decoy);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);
	KUNIT_EXPECT_EQ(test, ba->corruptions, 1ULL);
	flush_work(&ba->reclaim);
	KUNIT_EXPECT_EQ(test, ba->nr_regions, 2U);
	KUNIT_EXPECT_PTR_EQ(test, decoy.next, &decoy);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, full), 0);
	ba_other_destroy(test);
}

/*
 * Blocks of the primary region take the inline paths, blocks of another
 * region the general ones; both keep the same books.
 */
static void buddy_arena_test_regions_both_paths(struct kunit *test)
{
	struct buddy_arena *ba = ba_other(test, SZ_4K, 4, 12, 0);
	struct buddy_arena_stats st;
	void *p[8];
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, ba);
	KUNIT_ASSERT_EQ(test, buddy_arena_add_region(ba, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, buddy_arena_add_region(ba, SZ_4K), 0);
	for (i = 0; i < 6; i++) {
		p[i] = buddy_arena_alloc(ba, 2048 - 40 * i, GFP_ATOMIC);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		ba_expect_valid(test, ba);
	}
	KUNIT_EXPECT_NULL(test, buddy_arena_alloc(ba, 16, GFP_ATOMIC));
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.regions, 3U);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)0);
	KUNIT_EXPECT_EQ(test, st.live_blocks, 6UL);
	for (i = 0; i < 6; i++) {
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), 0);
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), -EINVAL);
		ba_expect_valid(test, ba);
	}
	ba_stats_drained(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_blocks[12], 3UL);
	KUNIT_EXPECT_EQ(test, st.requested_bytes, (size_t)0);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 6ULL);
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	ba_other_destroy(test);
}

/* ---- the per-CPU front ---- */

/* Blocks in every CPU's cache, of the front's order @order. */
static unsigned int ba_cached(struct buddy_arena *ba, unsigned int order)
{
	unsigned int cpu, n = 0;
	unsigned long flags;

	raw_spin_lock_irqsave(&ba->lock, flags);
	pcp_lock_all(ba);
	for_each_possible_cpu(cpu)
		n += per_cpu_ptr(ba->pcp, cpu)->st[order - ba->min_order].n;
	pcp_unlock_all(ba);
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	return n;
}

/*
 * A block in a cache is held in the map and free in the stats; a second
 * free of it, or a free of a block the refill cached beside it, is refused
 * before anything changes; and every block is then handed out exactly
 * once until the arena is full.
 */
static void buddy_arena_test_pcp_double_free_refused(struct kunit *test)
{
	struct buddy_arena *ba = ba_main(test);
	struct buddy_arena_stats before, after;
	unsigned long *seen;
	unsigned int n, units = BA_TEST_SIZE >> BA_TEST_MIN;
	u8 *p, *q;

	KUNIT_ASSERT_LT(test, BA_TEST_MIN, ba->pcp_end);
	p = buddy_arena_alloc(ba, 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);
	KUNIT_EXPECT_EQ(test, ba->fast_map[(p - ba->fast_base) >> BA_TEST_MIN],
			BA_HELD | BA_TEST_MIN);
	KUNIT_EXPECT_EQ(test, ba_cached(ba, BA_TEST_MIN), BA_PCP_BATCH);

	/* While the block is cached: refused, and the cache left as it was. */
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p + 16), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p + 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, ba_cached(ba, BA_TEST_MIN), BA_PCP_BATCH);
	KUNIT_EXPECT_EQ(test, ba->fast_map[(p - ba->fast_base) >> BA_TEST_MIN],
			BA_HELD | BA_TEST_MIN);
	/* The stats drain the cache: the whole arena one free block again. */
	buddy_arena_stats(ba, &before);
	KUNIT_EXPECT_EQ(test, ba_cached(ba, BA_TEST_MIN), 0U);
	KUNIT_EXPECT_EQ(test, before.free_bytes, (size_t)BA_TEST_SIZE);
	KUNIT_EXPECT_EQ(test, before.live_blocks, 0UL);
	KUNIT_EXPECT_EQ(test, before.invalid_frees, 3ULL);
	KUNIT_EXPECT_EQ(test, before.free_blocks[BA_TEST_MAX], 1UL);
	/* Refused after the drain too, with nothing changed. */
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), -EINVAL);
	buddy_arena_stats(ba, &after);
	KUNIT_EXPECT_EQ(test, after.invalid_frees, before.invalid_frees + 1);
	after.invalid_frees = before.invalid_frees;
	KUNIT_EXPECT_EQ(test, memcmp(&before, &after, sizeof(before)), 0);
	ba_expect_valid(test, ba);

	seen = kunit_kcalloc(test, BITS_TO_LONGS(units), sizeof(long),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	for (n = 0; n <= units; n++) {
		q = buddy_arena_alloc(ba, 16, GFP_KERNEL);
		if (!q)
			break;
		KUNIT_ASSERT_FALSE_MSG(test, __test_and_set_bit((q - ba->fast_base) >>
								BA_TEST_MIN, seen),
				       "offset %td handed out twice",
				       q - ba->fast_base);
	}
	KUNIT_EXPECT_EQ(test, n, units);
	ba_expect_valid(test, ba);
	for_each_set_bit(n, seen, units)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, ba->fast_base +
						       (n << BA_TEST_MIN)), 0);
	ba_expect_valid(test, ba);
	pcp_drain_all(ba);
	buddy_arena_stats(ba, &after);
	KUNIT_EXPECT_EQ(test, after.free_blocks[BA_TEST_MAX], 1UL);
	KUNIT_EXPECT_EQ(test, after.invalid_frees, 4ULL);
}

/*
 * Stats are exact with blocks in a cache, cached and refused alike: the
 * live blocks, their requested and allocated bytes (the slack of blocks
 * handed out from a cache is the cache's), the free blocks per order; a
 * full cache gives its oldest batch back and the arena stays sound.
 */
static void buddy_arena_test_pcp_stats_exact(struct kunit *test)
{
	struct buddy_arena *ba = ba_main(test);
	size_t req = 0, alloc = 0, sizes[96];
	struct buddy_arena_stats st;
	size_t free_bytes;
	unsigned int i, k;
	void *p[96];

	for (i = 0; i < ARRAY_SIZE(p); i++) {
		sizes[i] = 1 + (i * 37) % 128;	/* orders 4..7, most with slack */
		p[i] = buddy_arena_alloc(ba, sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		req += round_up(sizes[i], 16);
		alloc += buddy_arena_block_size(ba, p[i]);
	}
	/* Every other one back: into the caches, which overflow for order 4. */
	for (i = 0; i < ARRAY_SIZE(p); i += 2) {
		req -= round_up(sizes[i], 16);
		alloc -= buddy_arena_block_size(ba, p[i]);
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), 0);
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), -EINVAL);
	}
	ba_expect_valid(test, ba);
	buddy_arena_stats(ba, &st);
	KUNIT_EXPECT_EQ(test, st.live_blocks, ARRAY_SIZE(p) / 2);
	KUNIT_EXPECT_EQ(test, st.requested_bytes, req);
	KUNIT_EXPECT_EQ(test, st.allocated_bytes, alloc);
	KUNIT_EXPECT_EQ(test, st.free_bytes, BA_TEST_SIZE - alloc);
	KUNIT_EXPECT_EQ(test, st.allocs, (u64)ARRAY_SIZE(p));
	KUNIT_EXPECT_EQ(test, st.frees, (u64)ARRAY_SIZE(p) / 2);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, (u64)ARRAY_SIZE(p) / 2);
	for (free_bytes = 0, k = BA_TEST_MIN; k <= BA_TEST_MAX; k++)
		free_bytes += st.free_blocks[k] << k;
	KUNIT_EXPECT_EQ(test, free_bytes, st.free_bytes);
	for (k = BA_TEST_MIN; k < ba->pcp_end; k++)
		KUNIT_EXPECT_LE(test, ba_cached(ba, k), BA_PCP_MAX);

	for (i = 1; i < ARRAY_SIZE(p); i += 2)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), 0);
	buddy_arena_stats(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)BA_TEST_SIZE);
	KUNIT_EXPECT_EQ(test, st.requested_bytes, (size_t)0);
	KUNIT_EXPECT_EQ(test, st.live_blocks, 0UL);
	pcp_drain_all(ba);
	buddy_arena_stats(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_blocks[BA_TEST_MAX], 1UL);
	ba_expect_valid(test, ba);
}

/*
 * An allocation fails only once every cache is drained: all 256 units of
 * a 4 KiB arena are handed out, and once they are back (most in a cache,
 * unmerged) the whole arena is one block again for a 4 KiB request.
 */
static void buddy_arena_test_pcp_fail_after_drain(struct kunit *test)
{
	struct buddy_arena_stats st;
	struct buddy_arena *ba;
	unsigned int n, i;
	void **p;

	ba = ba_other(test, SZ_4K, 4, 12, 0);
	KUNIT_ASSERT_NOT_NULL(test, ba);
	p = kunit_kcalloc(test, 257, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (n = 0; n < 257; n++) {
		p[n] = buddy_arena_alloc(ba, 16, GFP_KERNEL);
		if (!p[n])
			break;
	}
	KUNIT_EXPECT_EQ(test, n, 256U);
	buddy_arena_stats(ba, &st);
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)0);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), 0);
	KUNIT_EXPECT_GT(test, ba_cached(ba, 4), 0U);
	p[0] = buddy_arena_alloc(ba, SZ_4K, GFP_ATOMIC);
	KUNIT_EXPECT_NOT_NULL(test, p[0]);
	KUNIT_EXPECT_EQ(test, ba_cached(ba, 4), 0U);
	buddy_arena_stats(ba, &st);
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	KUNIT_EXPECT_EQ(test, st.live_blocks, 1UL);
	ba_expect_valid(test, ba);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[0]), 0);
	/* Destroy drains what the caches hold: nothing live, nothing leaks. */
	for (i = 0; i < 8; i++)
		p[i] = buddy_arena_alloc(ba, 16 << (i & 3), GFP_KERNEL);
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p[i]), 0);
	ba_other_destroy(test);
}

/* A dead CPU's cache is drained: the teardown the hotplug state runs. */
static void buddy_arena_test_pcp_cpu_dead_drains(struct kunit *test)
{
	struct buddy_arena *ba = ba_main(test);
	struct buddy_arena_stats st;
	unsigned int cpu;
	void *p;

	p = buddy_arena_alloc(ba, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);
	KUNIT_EXPECT_EQ(test, ba_cached(ba, 7), BA_PCP_BATCH);
	/* As cpuhp calls it for each CPU that dies; idle caches too. */
	for_each_possible_cpu(cpu)
		KUNIT_EXPECT_EQ(test, ba_cpu_dead(cpu, &ba->cpuhp_node), 0);
	KUNIT_EXPECT_EQ(test, ba_cached(ba, 7), 0U);
	buddy_arena_stats(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_blocks[BA_TEST_MAX], 1UL);
	KUNIT_EXPECT_EQ(test, st.frees, 1ULL);
	ba_expect_valid(test, ba);
}

/* Work for one CPU: @n blocks of @size, then freed again unless @keep. */
struct ba_cpu_work {
	struct buddy_arena *ba;
	void **blocks;
	unsigned int n;
	size_t size;
	bool keep;
};

/*
 * Run by work_on_cpu() on a CPU-bound worker: the blocks freed go to that
 * CPU's cache.  Returns the blocks allocated, -1 if a free failed.
 */
static long ba_churn_on_cpu(void *arg)
{
	struct ba_cpu_work *w = arg;
	unsigned int i, n;

	for (n = 0; n < w->n; n++) {
		w->blocks[n] = buddy_arena_alloc(w->ba, w->size, GFP_KERNEL);
		if (!w->blocks[n])
			break;
	}
	for (i = 0; i < n && !w->keep; i++)
		if (buddy_arena_free(w->ba, w->blocks[i]))
			return -1;
	return n;
}

/* Two online CPUs, or -1 in *@b. */
static void ba_two_cpus(int *a, int *b)
{
	*a = cpumask_first(cpu_online_mask);
	*b = cpumask_next(*a, cpu_online_mask);
	if (*b >= nr_cpu_ids)
		*b = -1;
}

static unsigned int ba_cached_on(struct buddy_arena *ba, int cpu,
				 unsigned int order)
{
	struct ba_pcpu *pc = per_cpu_ptr(ba->pcp, cpu);
	unsigned long flags;
	unsigned int n;

	local_irq_save(flags);
	pcp_lock(pc, NULL);
	n = pc->st[order - ba->min_order].n;
	pcp_unlock(pc);
	local_irq_restore(flags);
	return n;
}

/*
 * Blocks cached on two CPUs: a request only their merged blocks can meet
 * drains both and succeeds; and the stats drain them too, so what they
 * show is the merged arena, exact in every count.
 */
static void buddy_arena_test_pcp_two_cpus_stats_drain(struct kunit *test)
{
	struct buddy_arena *ba = ba_main(test);
	void *blocks[10], *p;
	struct ba_cpu_work w = { .ba = ba, .blocks = blocks, .n = 10,
				 .size = 100 };
	struct buddy_arena_stats st;
	int a, b;

	ba_two_cpus(&a, &b);
	if (b < 0)
		kunit_skip(test, "needs two online CPUs");
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, ba_churn_on_cpu, &w), 10);
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, ba_churn_on_cpu, &w), 10);
	KUNIT_EXPECT_EQ(test, ba_cached_on(ba, a, 7), BA_PCP_BATCH);
	KUNIT_EXPECT_EQ(test, ba_cached_on(ba, b, 7), BA_PCP_BATCH);
	ba_expect_valid(test, ba);

	p = buddy_arena_alloc(ba, BA_TEST_SIZE, GFP_ATOMIC);
	KUNIT_EXPECT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, ba_cached(ba, 7), 0U);
	KUNIT_EXPECT_EQ(test, buddy_arena_free(ba, p), 0);

	/* Cached on both CPUs again: the stats drain them before reading. */
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, ba_churn_on_cpu, &w), 10);
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, ba_churn_on_cpu, &w), 10);
	KUNIT_EXPECT_EQ(test, ba_cached_on(ba, a, 7), BA_PCP_BATCH);
	buddy_arena_stats(ba, &st);
	KUNIT_EXPECT_EQ(test, ba_cached_on(ba, a, 7), 0U);
	KUNIT_EXPECT_EQ(test, ba_cached_on(ba, b, 7), 0U);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)BA_TEST_SIZE);
	KUNIT_EXPECT_EQ(test, st.live_blocks, 0UL);
	KUNIT_EXPECT_EQ(test, st.allocs, 41ULL);
	KUNIT_EXPECT_EQ(test, st.frees, 41ULL);
	KUNIT_EXPECT_EQ(test, st.failures, 0ULL);
	KUNIT_EXPECT_EQ(test, st.free_blocks[7], 0UL);
	KUNIT_EXPECT_EQ(test, st.free_blocks[BA_TEST_MAX], 1UL);
	KUNIT_EXPECT_EQ(test, st.largest_free, (size_t)BA_TEST_SIZE);
	ba_expect_valid(test, ba);
}

/*
 * One CPU fills the arena while the other's cache holds blocks: every
 * unit is handed out before an allocation fails.
 */
static void buddy_arena_test_pcp_fill_while_other_caches(struct kunit *test)
{
	struct ba_cpu_work w = { .n = 16, .size = 16 };
	struct buddy_arena_stats st;
	void **blocks;
	unsigned int i;
	int a, b;

	ba_two_cpus(&a, &b);
	if (b < 0)
		kunit_skip(test, "needs two online CPUs");
	w.ba = ba_other(test, SZ_4K, 4, 12, 0);
	KUNIT_ASSERT_NOT_NULL(test, w.ba);
	blocks = kunit_kcalloc(test, 257, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blocks);
	w.blocks = blocks;
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, ba_churn_on_cpu, &w), 16);
	KUNIT_EXPECT_EQ(test, ba_cached_on(w.ba, b, 4), 16U);
	w.n = 257;
	w.keep = true;
	KUNIT_EXPECT_EQ(test, work_on_cpu(a, ba_churn_on_cpu, &w), 256);
	KUNIT_EXPECT_EQ(test, ba_cached_on(w.ba, b, 4), 0U);
	buddy_arena_stats(w.ba, &st);
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	KUNIT_EXPECT_EQ(test, st.free_bytes, (size_t)0);
	KUNIT_EXPECT_EQ(test, st.live_blocks, 256UL);
	for (i = 0; i < 256; i++)
		KUNIT_EXPECT_EQ(test, buddy_arena_free(w.ba, blocks[i]), 0);
	ba_expect_valid(test, w.ba);
}

/* A CPU taken offline has its cache drained by the hotplug state. */
static void buddy_arena_test_pcp_cpu_offline_drains(struct kunit *test)
{
	struct buddy_arena *ba = ba_main(test);
	void *blocks[10];
	struct ba_cpu_work w = { .ba = ba, .blocks = blocks, .n = 10,
				 .size = 100 };
	struct buddy_arena_stats st;
	int a, b, ret;

	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU) || ba_cpuhp_state < 0)
		kunit_skip(test, "needs CPU hotplug");
	ba_two_cpus(&a, &b);
	if (b < 0)
		kunit_skip(test, "needs two online CPUs");
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, ba_churn_on_cpu, &w), 10);
	KUNIT_EXPECT_EQ(test, ba_cached_on(ba, b, 7), BA_PCP_BATCH);
	ret = remove_cpu(b);
	if (ret)
		kunit_skip(test, "CPU %d cannot go offline: %d", b, ret);
	KUNIT_EXPECT_EQ(test, ba_cached_on(ba, b, 7), 0U);
	buddy_arena_stats(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_blocks[BA_TEST_MAX], 1UL);
	KUNIT_EXPECT_EQ(test, st.frees, 10ULL);
	ba_expect_valid(test, ba);
	KUNIT_EXPECT_EQ(test, add_cpu(b), 0);
}

static struct kunit_case buddy_arena_test_cases[] = {
	KUNIT_CASE_PARAM(buddy_arena_test_create_bad_args,
			 ba_bad_create_gen_params),
	KUNIT_CASE(buddy_arena_test_create_duplicate_name),
	KUNIT_CASE(buddy_arena_test_create_initial_layout),
	KUNIT_CASE(buddy_arena_test_destroy_null_noop),
	KUNIT_CASE(buddy_arena_test_destroy_live_blocks),
	KUNIT_CASE(buddy_arena_test_alloc_bad_size_fails),
	KUNIT_CASE_PARAM(buddy_arena_test_alloc_split_merge_order,
			 ba_order_gen_params),
	KUNIT_CASE_PARAM(buddy_arena_test_alloc_fill_order,
			 ba_order_gen_params),
	KUNIT_CASE_PARAM(buddy_arena_test_region_nonpow2_carve,
			 ba_region_gen_params),
	KUNIT_CASE_PARAM(buddy_arena_test_free_bad_unchanged,
			 ba_bad_free_gen_params),
	KUNIT_CASE(buddy_arena_test_free_null_returns_zero),
	KUNIT_CASE(buddy_arena_test_block_size_live_only),
	KUNIT_CASE(buddy_arena_test_add_region_no_cross_merge),
	KUNIT_CASE(buddy_arena_test_grow_and_give_back),
	KUNIT_CASE(buddy_arena_test_poison_mismatch_refused),
	KUNIT_CASE(buddy_arena_test_stats_files),
	KUNIT_CASE(buddy_arena_test_random_ops),
	KUNIT_CASE(buddy_arena_test_avail_tracks_lists),
	KUNIT_CASE_PARAM(buddy_arena_test_requested_bytes_exact,
			 ba_req_gen_params),
	KUNIT_CASE(buddy_arena_test_free_list_damage_refused),
	KUNIT_CASE(buddy_arena_test_free_list_damage_pattern),
	KUNIT_CASE(buddy_arena_test_write_after_free_pattern_driver),
	KUNIT_CASE(buddy_arena_test_write_after_free_pointer_driver),
	KUNIT_CASE(buddy_arena_test_calls_atomic_contexts),
	KUNIT_CASE_PARAM(buddy_arena_test_create_huge_refused,
			 ba_huge_gen_params),
	KUNIT_CASE(buddy_arena_test_poison_large_block),
	KUNIT_CASE(buddy_arena_test_grow_gfp_and_damage),
	KUNIT_CASE(buddy_arena_test_regions_both_paths),
	KUNIT_CASE(buddy_arena_test_pcp_double_free_refused),
	KUNIT_CASE(buddy_arena_test_pcp_stats_exact),
	KUNIT_CASE(buddy_arena_test_pcp_fail_after_drain),
	KUNIT_CASE(buddy_arena_test_pcp_cpu_dead_drains),
	KUNIT_CASE(buddy_arena_test_pcp_two_cpus_stats_drain),
	KUNIT_CASE(buddy_arena_test_pcp_fill_while_other_caches),
	KUNIT_CASE(buddy_arena_test_pcp_cpu_offline_drains),
	{}
};

static struct kunit_suite buddy_arena_test_suite = {
	.name = "allocpools_buddy_arena",
	.init = buddy_arena_test_init,
	.exit = buddy_arena_test_exit,
	.test_cases = buddy_arena_test_cases,
};

kunit_test_suite(buddy_arena_test_suite);
