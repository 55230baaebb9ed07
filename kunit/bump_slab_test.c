// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the size-class free lists.  Included at the end of
 * bump_slab.c, so it sees the pool's internals: bump_slab_check() runs
 * after every mutation, and a refused free is shown to leave the pool's
 * counters, lists and bump pointer exactly as they were.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/workqueue.h>

#define BS_TEST_HEAP	SZ_1M
#define BS_TEST_ARENA	SZ_1M

/* Pools of a case; .exit destroys whatever is set, even after a failure. */
struct bs_test_ctx {
	struct bump_slab *heap;		/* heap mode, BS_TEST_HEAP */
	struct bump_slab *on;		/* buddy mode on @ba */
	struct buddy_arena *ba;
	struct bump_slab *extra;	/* made by the case itself */
	struct buddy_arena *extra_ba;
};

#define BS_CHECK(test, bs) \
	KUNIT_EXPECT_TRUE_MSG(test, bump_slab_check(bs), "pool invariants broken")

/* Heap mode: one more free than a cache and the whole depot hold. */
#define BS_PAST_DEPOT	(BS_CACHE_MAX + BS_DEPOT * BS_BATCH + 1)

/* Everything a refused free must leave alone. */
struct bs_snapshot {
	struct bump_slab_stats st;
	struct bs_class cls[BUMP_SLAB_CLASSES];
	size_t bump, slab_bytes;
	unsigned long slabs;
	u64 caches;		/* a digest of every CPU's caches */
};

/* A digest of every CPU's caches, each read under its own lock. */
static u64 bs_digest_caches(struct bump_slab *bs)
{
	unsigned long flags;
	u64 d = 0;
	unsigned int c;
	int cpu;

	if (!bs->pcpu)
		return 0;
	for_each_possible_cpu(cpu) {
		struct bs_pcpu *pc = per_cpu_ptr(bs->pcpu, cpu);

		raw_spin_lock_irqsave(&pc->lock, flags);
		for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
			const struct bs_cache *k = &pc->cache[c];

			d = d * 31 + (k->n ? (unsigned long)pc->objs[c][k->n - 1] :
				       0);
			d = d * 31 + k->n;
			d = d * 31 + k->marked;
			d = d * 31 + k->allocs;
			d = d * 31 + k->frees;
		}
		raw_spin_unlock_irqrestore(&pc->lock, flags);
	}
	return d;
}

static void bs_snap(struct bump_slab *bs, struct bs_snapshot *s)
{
	unsigned long flags;

	bump_slab_stats(bs, &s->st);
	raw_spin_lock_irqsave(&bs->lock, flags);
	memcpy(s->cls, bs->cls, sizeof(s->cls));
	s->bump = bs->bump;
	s->slabs = bs->slabs;
	s->slab_bytes = bs->slab_bytes;
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	s->caches = bs_digest_caches(bs);
}

/* @bs refuses to free @ptr and is left exactly as it was. */
static void bs_expect_refused(struct kunit *test, struct bump_slab *bs,
			      void *ptr)
{
	struct bs_snapshot *before, *after;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	bs_snap(bs, before);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, ptr), -EINVAL);
	bs_snap(bs, after);
	KUNIT_EXPECT_EQ(test, after->st.invalid_frees,
			before->st.invalid_frees + 1);
	after->st.invalid_frees--;
	KUNIT_EXPECT_EQ(test, memcmp(before, after, sizeof(*before)), 0);
}

static int bs_test_init(struct kunit *test)
{
	struct bs_test_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	test->priv = ctx;
	ctx->heap = bump_slab_create("kunit_heap", BS_TEST_HEAP, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->heap));
	ctx->ba = buddy_arena_create("kunit_bs_arena", BS_TEST_ARENA, 6, 20, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->ba));
	ctx->on = bump_slab_create_on("kunit_on", ctx->ba, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->on));
	return 0;
}

static void bs_test_exit(struct kunit *test)
{
	struct bs_test_ctx *ctx = test->priv;

	if (!ctx)
		return;
	bump_slab_destroy(ctx->extra);
	buddy_arena_destroy(ctx->extra_ba);
	bump_slab_destroy(ctx->on);
	buddy_arena_destroy(ctx->ba);
	bump_slab_destroy(ctx->heap);
}

static struct bump_slab *bs_pool(struct kunit *test, bool buddy)
{
	struct bs_test_ctx *ctx = test->priv;

	return buddy ? ctx->on : ctx->heap;
}

static void bs_expect_arena_free(struct kunit *test, struct buddy_arena *ba)
{
	struct buddy_arena_stats st;

	buddy_arena_stats(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_bytes, st.size);
	KUNIT_EXPECT_EQ(test, st.live_blocks, 0UL);
}

/* ---- create / destroy ---- */

struct bs_bad_create {
	const char *desc;
	const char *name;
	size_t heap_size;
	unsigned int flags;
};

static const struct bs_bad_create bs_bad_creates[] = {
	{ "NULL name", NULL, 4096, 0 },
	{ "empty name", "", 4096, 0 },
	{ "slash in name", "a/b", 4096, 0 },
	{ "space in name", "a b", 4096, 0 },
	{ "32-character name", "abcdefghijklmnopqrstuvwxyz012345", 4096, 0 },
	{ "heap size 0", "kunit_bad", 0, 0 },
	{ "unknown flag", "kunit_bad", 4096, BIT(2) },
	{ "all flags", "kunit_bad", 4096, ~0U },
};

static void bs_bad_create_desc(const struct bs_bad_create *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bs_bad_create, bs_bad_creates, bs_bad_create_desc);

static void bump_slab_test_create_invalid_args(struct kunit *test)
{
	const struct bs_bad_create *c = test->param_value;
	struct bs_test_ctx *ctx = test->priv;
	struct bump_slab *bs;

	bs = bump_slab_create(c->name, c->heap_size, c->flags);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(bs), -EINVAL);
	if (!IS_ERR(bs))
		bump_slab_destroy(bs);
	if (!c->heap_size)
		return;
	bs = bump_slab_create_on(c->name, ctx->ba, c->flags);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(bs), -EINVAL);
	if (!IS_ERR(bs))
		bump_slab_destroy(bs);
}

static void bump_slab_test_create_on_null_arena(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, PTR_ERR(bump_slab_create_on("kunit_x", NULL, 0)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bump_slab_create_on("kunit_x",
							  ERR_PTR(-ENOMEM), 0)),
			-EINVAL);
}

static void bump_slab_test_create_duplicate_name(struct kunit *test)
{
	struct bs_test_ctx *ctx = test->priv;

	KUNIT_EXPECT_EQ(test, PTR_ERR(bump_slab_create("kunit_heap", 4096, 0)),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, PTR_ERR(bump_slab_create_on("kunit_heap", ctx->ba,
							  0)), -EEXIST);
	/* The first pool is untouched by the refusals. */
	KUNIT_EXPECT_NOT_NULL(test, bump_slab_alloc(ctx->heap, 8, GFP_KERNEL));
	BS_CHECK(test, ctx->heap);
}

static void bump_slab_test_destroy_null_noop(struct kunit *test)
{
	bump_slab_destroy(NULL);
	bump_slab_destroy(ERR_PTR(-EINVAL));
}

static void bump_slab_test_destroy_live_gives_back(struct kunit *test)
{
	struct bs_test_ctx *ctx = test->priv;
	int i;

	for (i = 0; i < 20; i++)
		KUNIT_ASSERT_NOT_NULL(test, bump_slab_alloc(ctx->on, 8 << (i % 14),
							    GFP_KERNEL));
	bump_slab_destroy(ctx->on);
	ctx->on = NULL;
	bs_expect_arena_free(test, ctx->ba);
}

/* ---- class boundaries ---- */

struct bs_boundary {
	size_t size, cls_size;
};

static const struct bs_boundary bs_boundaries[] = {
	{ 1, 8 }, { 7, 8 }, { 8, 8 }, { 9, 16 }, { 16, 16 }, { 17, 32 },
	{ 32, 32 }, { 33, 64 }, { 64, 64 }, { 65, 128 }, { 128, 128 },
	{ 129, 256 }, { 256, 256 }, { 257, 512 }, { 512, 512 }, { 513, 1024 },
	{ 1024, 1024 }, { 1025, 2048 }, { 2048, 2048 }, { 2049, 4096 },
	{ 4096, 4096 }, { 4097, 8192 }, { SZ_64K, SZ_64K },
	{ SZ_64K + 1, 2 * SZ_64K }, { SZ_1M, SZ_1M }, { SZ_1M + 1, 2 * SZ_1M },
	{ 8 * SZ_1M, 8 * SZ_1M }, { 8 * SZ_1M + 1, SZ_16M },
	{ SZ_16M - 1, SZ_16M }, { SZ_16M, SZ_16M },
	{ SZ_16M + 1, 0 }, { 0, 0 }, { SIZE_MAX, 0 },
};

static void bs_boundary_desc(const struct bs_boundary *b, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %zu", b->size);
}

KUNIT_ARRAY_PARAM(bs_boundary, bs_boundaries, bs_boundary_desc);

/* Heap mode: a heap of exactly one header + class holds one object. */
static void bump_slab_test_alloc_class_boundary_heap(struct kunit *test)
{
	const struct bs_boundary *b = test->param_value;
	struct bs_test_ctx *ctx = test->priv;
	struct bump_slab_stats st;
	void *p, *q;

	ctx->extra = bump_slab_create("kunit_bound",
				      b->cls_size ? b->cls_size + BS_HDR : 64, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra));
	p = bump_slab_alloc(ctx->extra, b->size, GFP_KERNEL);
	bump_slab_stats(ctx->extra, &st);
	if (!b->cls_size) {
		KUNIT_EXPECT_NULL(test, p);
		KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
		KUNIT_EXPECT_EQ(test, st.bump_offset, 0UL);
		return;
	}
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, bump_slab_size(ctx->extra, p), b->cls_size);
	KUNIT_EXPECT_EQ(test, st.bump_offset, b->cls_size + BS_HDR);
	KUNIT_EXPECT_EQ(test, st.classes[size_to_cls(b->size)].live, 1UL);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)p, 8));
	/* The class is usable, but under KASAN only the request. */
	memset(p, 0xa5, AP_KASAN ? b->size : b->cls_size);
	/* The heap is full and does not grow. */
	KUNIT_EXPECT_NULL(test, bump_slab_alloc(ctx->extra, b->size, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, bump_slab_free(ctx->extra, p), 0);
	q = bump_slab_alloc(ctx->extra, b->size, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	BS_CHECK(test, ctx->extra);
}

/* Buddy mode: the same boundaries on an arena just big enough. */
static void bump_slab_test_alloc_class_boundary_buddy(struct kunit *test)
{
	const struct bs_boundary *b = test->param_value;
	struct bs_test_ctx *ctx = test->priv;
	size_t arena = b->cls_size ? roundup_pow_of_two(b->cls_size + BS_SLAB_HDR) :
				     PAGE_SIZE;
	struct bump_slab_stats st;
	void *p;

	arena = max_t(size_t, arena, PAGE_SIZE);
	ctx->extra_ba = buddy_arena_create("kunit_bound", arena, 6, ilog2(arena),
					   0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra_ba));
	ctx->extra = bump_slab_create_on("kunit_bound", ctx->extra_ba, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra));
	p = bump_slab_alloc(ctx->extra, b->size, GFP_KERNEL);
	bump_slab_stats(ctx->extra, &st);
	if (!b->cls_size) {
		KUNIT_EXPECT_NULL(test, p);
		KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
		KUNIT_EXPECT_EQ(test, st.slabs, 0UL);
		return;
	}
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, bump_slab_size(ctx->extra, p), b->cls_size);
	KUNIT_EXPECT_EQ(test, st.slabs, 1UL);
	KUNIT_EXPECT_EQ(test, st.heap_size, 0UL);
	memset(p, 0xa5, AP_KASAN ? b->size : b->cls_size);
	BS_CHECK(test, ctx->extra);
	KUNIT_EXPECT_EQ(test, bump_slab_free(ctx->extra, p), 0);
	bump_slab_stats(ctx->extra, &st);
	KUNIT_EXPECT_EQ(test, st.slabs, 0UL);
	bs_expect_arena_free(test, ctx->extra_ba);
	BS_CHECK(test, ctx->extra);
}

/* ---- the freeing-bump design ---- */

static void bump_slab_test_alloc_lifo_reuse(struct kunit *test)
{
	struct bump_slab *bs = bs_pool(test, false);
	struct bump_slab_stats st;
	void *a, *b, *c;

	a = bump_slab_alloc(bs, 24, GFP_KERNEL);
	b = bump_slab_alloc(bs, 32, GFP_KERNEL);
	c = bump_slab_alloc(bs, 20, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, c);
	/* Each bumped object is its header + class size after the last. */
	KUNIT_EXPECT_EQ(test, (u8 *)b - (u8 *)a, 32 + BS_HDR);
	KUNIT_EXPECT_EQ(test, (u8 *)c - (u8 *)b, 32 + BS_HDR);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, a), 0);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, c), 0);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.classes[2].free_listed, 2UL);
	KUNIT_EXPECT_EQ(test, st.classes[2].live, 1UL);
	BS_CHECK(test, bs);
	KUNIT_EXPECT_PTR_EQ(test, bump_slab_alloc(bs, 17, GFP_KERNEL), c);
	KUNIT_EXPECT_PTR_EQ(test, bump_slab_alloc(bs, 32, GFP_KERNEL), a);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.bump_offset, 3 * (32 + BS_HDR));
	BS_CHECK(test, bs);
}

static void bump_slab_test_alloc_heap_exhausted(struct kunit *test)
{
	struct bs_test_ctx *ctx = test->priv;
	struct bump_slab_stats st;
	void *p[4];
	int i;

	ctx->extra = bump_slab_create("kunit_small", 64, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra));
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_NOT_NULL(test, p[i] = bump_slab_alloc(ctx->extra, 8,
								   GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, bump_slab_alloc(ctx->extra, 8, GFP_ATOMIC));
	/* Free 8-byte objects do not serve another class. */
	KUNIT_EXPECT_EQ(test, bump_slab_free(ctx->extra, p[1]), 0);
	KUNIT_EXPECT_NULL(test, bump_slab_alloc(ctx->extra, 9, GFP_KERNEL));
	KUNIT_EXPECT_PTR_EQ(test, bump_slab_alloc(ctx->extra, 1, GFP_KERNEL),
			    p[1]);
	bump_slab_stats(ctx->extra, &st);
	KUNIT_EXPECT_EQ(test, st.failures, 2ULL);
	KUNIT_EXPECT_EQ(test, st.bump_offset, 64UL);
	BS_CHECK(test, ctx->extra);
}

static void bump_slab_test_free_null_counts_nothing(struct kunit *test)
{
	struct bs_snapshot *before, *after;
	int mode;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	for (mode = 0; mode < 2; mode++) {
		struct bump_slab *bs = bs_pool(test, mode);

		bs_snap(bs, before);
		KUNIT_EXPECT_EQ(test, bump_slab_free(bs, NULL), 0);
		KUNIT_EXPECT_EQ(test, bump_slab_size(bs, NULL), 0UL);
		bs_snap(bs, after);
		KUNIT_EXPECT_EQ(test, memcmp(before, after, sizeof(*before)), 0);
	}
}

/* ---- bad frees ---- */

enum bs_bad_kind {
	BS_BAD_FOREIGN,
	BS_BAD_STACK,
	BS_BAD_INTERIOR,
	BS_BAD_MISALIGNED,
	BS_BAD_DOUBLE,
	BS_BAD_MARKER,
	BS_BAD_CLASS_BYTE,
	BS_BAD_OTHER_POOL,
	BS_BAD_KINDS
};

static const char * const bs_bad_names[] = {
	"foreign", "stack", "interior", "misaligned", "double free",
	"bad marker", "class byte", "other pool",
};

struct bs_bad_free {
	bool buddy;
	enum bs_bad_kind kind;
};

static const struct bs_bad_free bs_bad_frees[] = {
	{ false, BS_BAD_FOREIGN }, { false, BS_BAD_STACK },
	{ false, BS_BAD_INTERIOR }, { false, BS_BAD_MISALIGNED },
	{ false, BS_BAD_DOUBLE }, { false, BS_BAD_MARKER },
	{ false, BS_BAD_CLASS_BYTE }, { false, BS_BAD_OTHER_POOL },
	{ true, BS_BAD_FOREIGN }, { true, BS_BAD_STACK },
	{ true, BS_BAD_INTERIOR }, { true, BS_BAD_MISALIGNED },
	{ true, BS_BAD_DOUBLE }, { true, BS_BAD_MARKER },
	{ true, BS_BAD_CLASS_BYTE }, { true, BS_BAD_OTHER_POOL },
};

static void bs_bad_free_desc(const struct bs_bad_free *b, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s, %s",
		 b->buddy ? "buddy" : "heap", bs_bad_names[b->kind]);
}

KUNIT_ARRAY_PARAM(bs_bad_free, bs_bad_frees, bs_bad_free_desc);

static void bump_slab_test_free_invalid_unchanged(struct kunit *test)
{
	const struct bs_bad_free *b = test->param_value;
	struct bs_test_ctx *ctx = test->priv;
	struct bump_slab *bs = bs_pool(test, b->buddy);
	u64 on_stack[4] = { 0 };
	u8 *p, *q, *bad, *foreign = NULL;
	u8 saved;

	p = bump_slab_alloc(bs, 64, GFP_KERNEL);
	q = bump_slab_alloc(bs, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	/* A header look-alike inside the object, for the interior case. */
	memset(p, 0xff, 64);
	p[16] = size_to_cls(64);
	switch (b->kind) {
	case BS_BAD_FOREIGN:
		foreign = kunit_kzalloc(test, 64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, foreign);
		bs_expect_refused(test, bs, foreign + 8);
		break;
	case BS_BAD_STACK:
		bs_expect_refused(test, bs, &on_stack[1]);
		break;
	case BS_BAD_INTERIOR:
		bs_expect_refused(test, bs, p + 24);
		bs_expect_refused(test, bs, p + 8);
		break;
	case BS_BAD_MISALIGNED:
		bs_expect_refused(test, bs, p + 1);
		bs_expect_refused(test, bs, p - 4);
		break;
	case BS_BAD_DOUBLE:
		KUNIT_ASSERT_EQ(test, bump_slab_free(bs, p), 0);
		bs_expect_refused(test, bs, p);
		p = NULL;
		break;
	case BS_BAD_MARKER:
		/* Every marker byte, the top bit or all bits cleared. */
		for (bad = p - BS_HDR + 1; bad < p; bad++) {
			saved = ap_kasan_read_u8(bad);
			ap_kasan_write_u8(bad, 0x7f);
			bs_expect_refused(test, bs, p);
			ap_kasan_write_u8(bad, 0);
			bs_expect_refused(test, bs, p);
			ap_kasan_write_u8(bad, saved);
		}
		break;
	case BS_BAD_CLASS_BYTE:
		bad = q - BS_HDR;
		saved = ap_kasan_read_u8(bad);
		ap_kasan_write_u8(bad, size_to_cls(32));
		bs_expect_refused(test, bs, q);
		ap_kasan_write_u8(bad, size_to_cls(128));
		bs_expect_refused(test, bs, q);
		ap_kasan_write_u8(bad, saved);
		break;
	default:
		bad = bump_slab_alloc(b->buddy ? ctx->heap : ctx->on, 64,
				      GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, bad);
		bs_expect_refused(test, bs, bad);
		KUNIT_EXPECT_EQ(test, bump_slab_free(b->buddy ? ctx->heap :
						     ctx->on, bad), 0);
		break;
	}
	BS_CHECK(test, bs);
	/* The pool still works and the objects are still live. */
	if (p)
		KUNIT_EXPECT_EQ(test, bump_slab_size(bs, p), 64UL);
	KUNIT_EXPECT_EQ(test, bump_slab_size(bs, q), 64UL);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, p), 0);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, q), 0);
	BS_CHECK(test, bs);
}

static void bump_slab_test_size_not_live_zero(struct kunit *test)
{
	int mode;

	for (mode = 0; mode < 2; mode++) {
		struct bump_slab *bs = bs_pool(test, mode);
		u8 *p = bump_slab_alloc(bs, 100, GFP_KERNEL);
		u64 local = 0;

		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_EQ(test, bump_slab_size(bs, p), 128UL);
		KUNIT_EXPECT_EQ(test, bump_slab_size(bs, p + 8), 0UL);
		KUNIT_EXPECT_EQ(test, bump_slab_size(bs, p + 3), 0UL);
		KUNIT_EXPECT_EQ(test, bump_slab_size(bs, &local), 0UL);
		KUNIT_EXPECT_EQ(test, bump_slab_size(bs_pool(test, !mode), p), 0UL);
		KUNIT_EXPECT_EQ(test, bump_slab_free(bs, p), 0);
		KUNIT_EXPECT_EQ(test, bump_slab_size(bs, p), 0UL);
	}
}

/* ---- poisoning ---- */

static void bump_slab_test_poison_fills_free(struct kunit *test)
{
	struct bs_test_ctx *ctx = test->priv;
	u8 *p;

	ctx->extra = bump_slab_create("kunit_poison", 4096, BUMP_SLAB_POISON);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra));
	p = bump_slab_alloc(ctx->extra, 256, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0, 256);
	KUNIT_ASSERT_EQ(test, bump_slab_free(ctx->extra, p), 0);
	/* Only the link word is left unpoisoned. */
	KUNIT_EXPECT_NULL(test, ap_kasan_memchr_inv(p + 8, POISON_FREE, 248));
	KUNIT_EXPECT_PTR_EQ(test, bump_slab_alloc(ctx->extra, 256, GFP_KERNEL),
			    p);
	KUNIT_EXPECT_EQ(test, ctx->extra->invalid_frees, 0ULL);
	BS_CHECK(test, ctx->extra);
}

static void bump_slab_test_poison_write_after_free(struct kunit *test)
{
	const bool *buddy = test->param_value;
	struct bs_test_ctx *ctx = test->priv;
	struct bump_slab_stats st;
	u8 *p, *keep, *again;

	if (*buddy)
		ctx->extra = bump_slab_create_on("kunit_poison", ctx->ba,
						 BUMP_SLAB_POISON);
	else
		ctx->extra = bump_slab_create("kunit_poison", 4096,
					      BUMP_SLAB_POISON);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra));
	p = bump_slab_alloc(ctx->extra, 64, GFP_KERNEL);
	keep = bump_slab_alloc(ctx->extra, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	KUNIT_ASSERT_EQ(test, bump_slab_free(ctx->extra, p), 0);
	ap_kasan_write_u8(&p[40], 0);	/* the caller's write after free */
	again = bump_slab_alloc(ctx->extra, 64, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, again);
	KUNIT_EXPECT_PTR_NE(test, again, p);
	bump_slab_stats(ctx->extra, &st);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.corruptions, 1ULL);
	KUNIT_EXPECT_EQ(test, st.classes[size_to_cls(64)].live, 2UL);
	KUNIT_EXPECT_EQ(test, st.classes[size_to_cls(64)].free_listed, 0UL);
	/* The damaged object is kept out of use, even from a free. */
	KUNIT_EXPECT_EQ(test, bump_slab_size(ctx->extra, p), 0UL);
	bs_expect_refused(test, ctx->extra, p);
	BS_CHECK(test, ctx->extra);
}

static const bool bs_modes[] = { false, true };

static void bs_mode_desc(const bool *buddy, char *desc)
{
	strscpy(desc, *buddy ? "buddy" : "heap", KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bs_mode, bs_modes, bs_mode_desc);

/*
 * A buggy driver writes ordinary data over the first word of an object it
 * freed, where the pool keeps its free-list link (no poisoning, the pool's
 * fastest path): in buddy mode the newest free object of a slab; in heap
 * mode, where links are only on the pool list, the head of that list,
 * where the depot's oldest magazine went when frees past a cache and the
 * whole depot sent the BS_BATCH oldest objects on.  The link fails its check:
 * counted as a corruption, the list behind it cut off, the damaged
 * objects never handed out again, and the pool goes on serving.  The
 * write goes through the pointer the test kept, before the pool reuses
 * the object.  Preemption is off from the allocations to the last one so
 * that all meet one CPU's cache.
 */
static void bump_slab_test_link_write_after_free(struct kunit *test)
{
	const bool *buddy = test->param_value;
	struct bump_slab *bs = bs_pool(test, *buddy);
	unsigned int n = *buddy ? 2 : BS_PAST_DEPOT;
	unsigned int at = *buddy ? 1 : BS_BATCH - 1;
	struct bump_slab_stats st;
	unsigned int i, j;
	void **p, **q;
	u8 *keep;

	p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	q = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	keep = bump_slab_alloc(bs, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	preempt_disable();
	for (i = 0; i < n; i++)
		p[i] = bump_slab_alloc(bs, 64, GFP_ATOMIC);
	for (i = 0; i < n; i++)
		bump_slab_free(bs, p[i]);
	/* The driver's write after free, over the link p[at] holds. */
	if (p[at])
		ap_kasan_memset(p[at], 0x41, sizeof(void *));
	for (i = 0; i < n; i++)
		q[i] = bump_slab_alloc(bs, 64, GFP_ATOMIC);
	preempt_enable();
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_NOT_NULL(test, q[i]);
		/* p[at] and those listed behind it are cut off. */
		for (j = 0; j <= at; j++)
			KUNIT_EXPECT_PTR_NE(test, q[i], p[j]);
	}
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_GE(test, st.corruptions, 1ULL);
	KUNIT_EXPECT_EQ(test, st.classes[size_to_cls(64)].live,
			(unsigned long)n + 1);
	/* The cut-off objects are nobody's: not live, not to be freed. */
	for (j = 0; j <= at; j++)
		KUNIT_EXPECT_EQ(test, bump_slab_size(bs, p[j]), 0UL);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, bump_slab_free(bs, q[i]), 0);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, keep), 0);
	/* Still serving, other classes and this one. */
	q[0] = bump_slab_alloc(bs, 64, GFP_KERNEL);
	q[1] = bump_slab_alloc(bs, 1000, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, q[0]);
	KUNIT_EXPECT_NOT_NULL(test, q[1]);
	for (j = 0; j <= at; j++)
		KUNIT_EXPECT_PTR_NE(test, q[0], p[j]);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, q[0]), 0);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, q[1]), 0);
	BS_CHECK(test, bs);
}

/* ---- buddy mode: slabs ---- */

static void bump_slab_test_slab_give_back_all_free(struct kunit *test)
{
	struct bs_test_ctx *ctx = test->priv;
	struct bump_slab *bs = ctx->on;
	const unsigned int c = size_to_cls(64);
	struct bump_slab_stats st;
	const int nr = 200;
	void **p;
	int i;

	p = kunit_kcalloc(test, nr, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_NOT_NULL(test, p[i] = bump_slab_alloc(bs, 64,
								   GFP_KERNEL));
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.classes[c].slabs,
			DIV_ROUND_UP(nr, bs->cls[c].per_slab));
	KUNIT_EXPECT_EQ(test, st.slabs, st.classes[c].slabs);
	KUNIT_EXPECT_EQ(test, st.classes[c].live, nr);
	BS_CHECK(test, bs);
	for (i = 0; i < nr; i += 2)
		KUNIT_EXPECT_EQ(test, bump_slab_free(bs, p[i]), 0);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.classes[c].free_listed, nr / 2);
	BS_CHECK(test, bs);
	for (i = 1; i < nr; i += 2)
		KUNIT_EXPECT_EQ(test, bump_slab_free(bs, p[i]), 0);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.slabs, 0UL);
	KUNIT_EXPECT_EQ(test, st.classes[c].free_listed, 0UL);
	bs_expect_arena_free(test, ctx->ba);
	BS_CHECK(test, bs);
}

/* Memory freed by one class serves another: the arena gets it back. */
static void bump_slab_test_slab_memory_moves_between_classes(struct kunit *test)
{
	const size_t max = BS_TEST_ARENA / PAGE_SIZE * 8;
	struct bs_test_ctx *ctx = test->priv;
	struct bump_slab *bs = ctx->on;
	void **p;
	size_t i, n = 0;

	p = kunit_kcalloc(test, max, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	while (n < max && (p[n] = bump_slab_alloc(bs, 512, GFP_KERNEL)))
		n++;
	KUNIT_EXPECT_GT(test, n, 0UL);
	KUNIT_EXPECT_LT(test, n, max);
	KUNIT_EXPECT_NULL(test, bump_slab_alloc(bs, SZ_64K, GFP_KERNEL));
	BS_CHECK(test, bs);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, bump_slab_free(bs, p[i]), 0);
	bs_expect_arena_free(test, ctx->ba);
	p[0] = bump_slab_alloc(bs, SZ_256K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p[0]);
	KUNIT_EXPECT_EQ(test, buddy_arena_block_size(ctx->ba, (u8 *)p[0] -
						     BS_SLAB_HDR),
			(size_t)SZ_512K);
	BS_CHECK(test, bs);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, p[0]), 0);
	bs_expect_arena_free(test, ctx->ba);
}

static void bump_slab_test_slab_large_block_per_object(struct kunit *test)
{
	struct bs_test_ctx *ctx = test->priv;
	struct bump_slab *bs = ctx->on;
	struct bump_slab_stats st;
	u8 *a, *b;

	a = bump_slab_alloc(bs, 2048, GFP_KERNEL);
	b = bump_slab_alloc(bs, 2048, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, buddy_arena_block_size(ctx->ba, a - BS_SLAB_HDR),
			PAGE_SIZE);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.classes[size_to_cls(2048)].slabs, 2UL);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, a), 0);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.classes[size_to_cls(2048)].slabs, 1UL);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, b), 0);
	bs_expect_arena_free(test, ctx->ba);
	BS_CHECK(test, bs);
}

/* Growth is the arena's: a blocking gfp lets it add a region. */
static void bump_slab_test_slab_arena_grows(struct kunit *test)
{
	struct bs_test_ctx *ctx = test->priv;
	struct buddy_arena_stats ast;
	void *p[3];
	int i;

	ctx->extra_ba = buddy_arena_create("kunit_grow", SZ_64K, 6, 17,
					   BUDDY_ARENA_GROW);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra_ba));
	ctx->extra = bump_slab_create_on("kunit_grow", ctx->extra_ba, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra));
	p[0] = bump_slab_alloc(ctx->extra, 30000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p[0]);
	KUNIT_EXPECT_NULL(test, bump_slab_alloc(ctx->extra, 30000, GFP_ATOMIC));
	p[1] = bump_slab_alloc(ctx->extra, 30000, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, p[1]);
	p[2] = bump_slab_alloc(ctx->extra, 8, GFP_KERNEL);
	buddy_arena_stats(ctx->extra_ba, &ast);
	KUNIT_EXPECT_GE(test, ast.regions, 2U);
	BS_CHECK(test, ctx->extra);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, bump_slab_free(ctx->extra, p[i]), 0);
	BS_CHECK(test, ctx->extra);
}

/* An arena whose smallest block exceeds a page: every class goes large. */
static void bump_slab_test_slab_big_min_order(struct kunit *test)
{
	struct bs_test_ctx *ctx = test->priv;
	u8 *p[8];
	int i;

	ctx->extra_ba = buddy_arena_create("kunit_bigmin", SZ_1M, PAGE_SHIFT + 2,
					   20, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra_ba));
	ctx->extra = bump_slab_create_on("kunit_bigmin", ctx->extra_ba, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra));
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = bump_slab_alloc(ctx->extra, 8 << i, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_EQ(test, buddy_arena_block_size(ctx->extra_ba,
							     p[i] - BS_SLAB_HDR),
				(size_t)PAGE_SIZE << 2);
	}
	BS_CHECK(test, ctx->extra);
	bs_expect_refused(test, ctx->extra, p[3] + 64);
	BS_CHECK(test, ctx->extra);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		KUNIT_EXPECT_EQ(test, bump_slab_free(ctx->extra, p[i]), 0);
	bs_expect_arena_free(test, ctx->extra_ba);
}

/* ---- per-CPU caches (heap mode) ---- */

/* Free objects of class @c on every CPU's cache and on the pool list. */
static void bs_count_free(struct bump_slab *bs, unsigned int c,
			  unsigned long *cached, unsigned long *listed)
{
	unsigned long flags, in_caches = 0, on_list = 0;
	int cpu;

	/* The counts; BS_CHECK() walks the lists against them. */
	raw_spin_lock_irqsave(&bs->lock, flags);
	on_list = bs->cls[c].l.n;
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	for_each_possible_cpu(cpu) {
		struct bs_pcpu *pc = per_cpu_ptr(bs->pcpu, cpu);

		raw_spin_lock_irqsave(&pc->lock, flags);
		in_caches += pc->cache[c].n;
		raw_spin_unlock_irqrestore(&pc->lock, flags);
	}
	*cached = in_caches;
	*listed = on_list;
}

/* Free objects of class @c in the depot's magazines. */
static unsigned long bs_count_depot(struct bump_slab *bs, unsigned int c)
{
	unsigned long flags, n = 0;
	struct bs_mag *mag;

	raw_spin_lock_irqsave(&bs->lock, flags);
	list_for_each_entry(mag, &bs->cls[c].depot, node)
		n += BS_BATCH;
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	return n;
}

/* Work done on one CPU, through work_on_cpu(). */
struct bs_cpu_work {
	struct bump_slab *bs;
	void **objs;
	unsigned int n;
	size_t size;
};

/* Allocate @n objects; return how many failed. */
static long bs_alloc_n(void *arg)
{
	struct bs_cpu_work *w = arg;
	long failed = 0;
	unsigned int i;

	for (i = 0; i < w->n; i++) {
		w->objs[i] = bump_slab_alloc(w->bs, w->size, GFP_KERNEL);
		failed += !w->objs[i];
	}
	return failed;
}

/* Free @n objects in the order they are in; return how many failed. */
static long bs_free_n(void *arg)
{
	struct bs_cpu_work *w = arg;
	long failed = 0;
	unsigned int i;

	for (i = 0; i < w->n; i++)
		failed += bump_slab_free(w->bs, w->objs[i]) != 0;
	return failed;
}

/* Two online CPUs, or the one twice. */
static void bs_two_cpus(int *a, int *b)
{
	*a = cpumask_first(cpu_online_mask);
	*b = cpumask_next(*a, cpu_online_mask);
	if (*b >= nr_cpu_ids)
		*b = *a;
}

#define BS_OVER	(BS_CACHE_MAX + 1)

/*
 * @w->n objects of @w->size allocated on @cpu into *@first and freed
 * there in the same order; *@back gets room for as many.
 */
static void bs_alloc_free_on(struct kunit *test, struct bs_cpu_work *w,
			     int cpu, void ***first, void ***back)
{
	*first = kunit_kcalloc(test, w->n, sizeof(void *), GFP_KERNEL);
	*back = kunit_kcalloc(test, w->n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, *first);
	KUNIT_ASSERT_NOT_NULL(test, *back);
	w->objs = *first;
	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, bs_alloc_n, w), 0);
	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, bs_free_n, w), 0);
}

/*
 * One more free than a cache holds sends its BS_BATCH oldest objects to a
 * magazine of the depot, not the pool list; allocations take the cache's
 * first, then the magazine's, still most recent first.
 */
static void bump_slab_test_cache_flush_refill_lifo(struct kunit *test)
{
	struct bump_slab *bs = bs_pool(test, false);
	struct bs_cpu_work w = { .bs = bs, .n = BS_OVER, .size = 64 };
	int cpu = cpumask_first(cpu_online_mask);
	unsigned long cached, listed;
	struct bump_slab_stats st;
	void **first, **back;
	unsigned int i;

	bs_alloc_free_on(test, &w, cpu, &first, &back);
	bs_count_free(bs, 3, &cached, &listed);
	KUNIT_EXPECT_EQ(test, cached, (unsigned long)BS_OVER - BS_BATCH);
	KUNIT_EXPECT_EQ(test, bs_count_depot(bs, 3), (unsigned long)BS_BATCH);
	KUNIT_EXPECT_EQ(test, listed, 0UL);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.classes[3].free_listed, (unsigned long)BS_OVER);
	KUNIT_EXPECT_EQ(test, st.classes[3].live, 0UL);
	BS_CHECK(test, bs);

	/* The first allocation pops the cache's newest. */
	w.objs = back;
	w.n = 1;
	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, bs_alloc_n, &w), 0);
	bs_count_free(bs, 3, &cached, &listed);
	KUNIT_EXPECT_EQ(test, cached, (unsigned long)BS_OVER - BS_BATCH - 1);
	KUNIT_EXPECT_EQ(test, bs_count_depot(bs, 3), (unsigned long)BS_BATCH);
	KUNIT_EXPECT_EQ(test, listed, 0UL);
	BS_CHECK(test, bs);
	w.objs = back + 1;
	w.n = BS_OVER - 1;
	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, bs_alloc_n, &w), 0);
	for (i = 0; i < BS_OVER; i++)
		KUNIT_EXPECT_PTR_EQ(test, back[i], first[BS_OVER - 1 - i]);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.bump_offset, (size_t)BS_OVER * (64 + BS_HDR));
	KUNIT_EXPECT_EQ(test, st.classes[3].live, (unsigned long)BS_OVER);
	KUNIT_EXPECT_EQ(test, st.classes[3].free_listed, 0UL);
	BS_CHECK(test, bs);
	w.objs = back;
	w.n = BS_OVER;
	KUNIT_EXPECT_EQ(test, work_on_cpu(cpu, bs_free_n, &w), 0);
}

/*
 * Frees past what a cache and the depot hold: the depot fills, its oldest
 * magazine goes to the pool list to make room for the newest batch.  A
 * second free of an object in a magazine is refused with nothing changed,
 * by the map alone when a stray write made its header say live; the
 * stats count the magazines as free; allocations come back in LIFO order
 * through the cache, the magazines and the pool list.  The depot is left
 * full for .exit's destroy.
 */
static void bump_slab_test_depot_full_then_list(struct kunit *test)
{
	struct bump_slab *bs = bs_pool(test, false);
	struct bs_cpu_work w = { .bs = bs, .n = BS_PAST_DEPOT, .size = 64 };
	int cpu = cpumask_first(cpu_online_mask);
	unsigned long cached, listed;
	struct bump_slab_stats st;
	void **first, **back;
	unsigned int i;
	u64 hdr;
	u8 *x;

	bs_alloc_free_on(test, &w, cpu, &first, &back);
	bs_count_free(bs, 3, &cached, &listed);
	KUNIT_EXPECT_EQ(test, cached,
			(unsigned long)BS_CACHE_MAX - BS_BATCH + 1);
	KUNIT_EXPECT_EQ(test, bs_count_depot(bs, 3),
			(unsigned long)BS_DEPOT * BS_BATCH);
	KUNIT_EXPECT_EQ(test, listed, (unsigned long)BS_BATCH);
	BS_CHECK(test, bs);

	/* first[BS_BATCH] is in the oldest magazine. */
	x = first[BS_BATCH];
	bs_expect_refused(test, bs, x);
	hdr = ap_kasan_read_once_u64(obj_hdr(x));
	ap_kasan_write_once_u64(obj_hdr(x), hdr_word(3, BS_LIVE));
	bs_expect_refused(test, bs, x);
	ap_kasan_write_once_u64(obj_hdr(x), hdr);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 2ULL);
	KUNIT_EXPECT_EQ(test, st.corruptions, 0ULL);
	KUNIT_EXPECT_EQ(test, st.classes[3].live, 0UL);
	KUNIT_EXPECT_EQ(test, st.classes[3].free_listed,
			(unsigned long)BS_PAST_DEPOT);
	BS_CHECK(test, bs);

	w.objs = back;
	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, bs_alloc_n, &w), 0);
	for (i = 0; i < BS_PAST_DEPOT; i++)
		KUNIT_EXPECT_PTR_EQ(test, back[i], first[BS_PAST_DEPOT - 1 - i]);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.bump_offset,
			(size_t)BS_PAST_DEPOT * (64 + BS_HDR));
	KUNIT_EXPECT_EQ(test, st.classes[3].live, (unsigned long)BS_PAST_DEPOT);
	KUNIT_EXPECT_EQ(test, st.classes[3].free_listed, 0UL);
	KUNIT_EXPECT_EQ(test, bs_count_depot(bs, 3), 0UL);
	BS_CHECK(test, bs);
	KUNIT_EXPECT_EQ(test, work_on_cpu(cpu, bs_free_n, &w), 0);
	KUNIT_EXPECT_EQ(test, bs_count_depot(bs, 3),
			(unsigned long)BS_DEPOT * BS_BATCH);
	BS_CHECK(test, bs);
}

/* Objects freed on one CPU serve another before the heap is bumped. */
static void bump_slab_test_cache_steal_before_bump(struct kunit *test)
{
	struct bump_slab *bs = bs_pool(test, false);
	struct bs_cpu_work w = { .bs = bs, .n = 4, .size = 100 };
	unsigned long cached, listed;
	struct bump_slab_stats st;
	void *objs[4], *again[4];
	int a, b;
	unsigned int i, j, found = 0;

	bs_two_cpus(&a, &b);
	if (a == b)
		kunit_skip(test, "needs two online CPUs");
	w.objs = objs;
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, bs_alloc_n, &w), 0);
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, bs_free_n, &w), 0);
	bs_count_free(bs, 4, &cached, &listed);
	KUNIT_EXPECT_EQ(test, cached, 4UL);
	KUNIT_EXPECT_EQ(test, listed, 0UL);
	w.objs = again;
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, bs_alloc_n, &w), 0);
	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++)
			found += again[i] == objs[j];
	KUNIT_EXPECT_EQ(test, found, 4U);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.bump_offset, 4 * (128 + BS_HDR));
	KUNIT_EXPECT_EQ(test, st.classes[4].live, 4UL);
	KUNIT_EXPECT_EQ(test, st.classes[4].free_listed, 0UL);
	BS_CHECK(test, bs);
	KUNIT_EXPECT_EQ(test, work_on_cpu(a, bs_free_n, &w), 0);
	BS_CHECK(test, bs);
}

/*
 * Allocated on one CPU, freed on another: the counters of both CPUs add
 * up in the stats and the pools row, and the free object is counted.
 */
static void bump_slab_test_stats_sum_over_cpus(struct kunit *test)
{
	struct bump_slab *bs = bs_pool(test, false);
	struct bs_cpu_work w = { .bs = bs, .n = 3, .size = 16 };
	struct ap_row row = { 0 };
	struct bump_slab_stats st;
	void *objs[3];
	int a, b;

	bs_two_cpus(&a, &b);
	w.objs = objs;
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, bs_alloc_n, &w), 0);
	w.n = 2;
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, bs_free_n, &w), 0);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.classes[1].allocs, 3ULL);
	KUNIT_EXPECT_EQ(test, st.classes[1].frees, 2ULL);
	KUNIT_EXPECT_EQ(test, st.classes[1].live, 1UL);
	KUNIT_EXPECT_EQ(test, st.classes[1].free_listed, 2UL);
	bs_row(&bs->ap, &row);
	KUNIT_EXPECT_EQ(test, row.allocs, 3ULL);
	KUNIT_EXPECT_EQ(test, row.frees, 2ULL);
	KUNIT_EXPECT_EQ(test, row.used, 16UL);
	BS_CHECK(test, bs);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, objs[2]), 0);
}

/* Of two frees of one object, on two CPUs if there are two, one wins. */
static void bump_slab_test_free_double_two_cpus(struct kunit *test)
{
	struct bump_slab *bs = bs_pool(test, false);
	struct bs_cpu_work w = { .bs = bs, .n = 1, .size = 32 };
	unsigned long cached, listed;
	struct bump_slab_stats st;
	void *obj;
	int a, b;

	bs_two_cpus(&a, &b);
	obj = bump_slab_alloc(bs, 32, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	w.objs = &obj;
	KUNIT_EXPECT_EQ(test, work_on_cpu(a, bs_free_n, &w), 0);
	KUNIT_EXPECT_EQ(test, work_on_cpu(b, bs_free_n, &w), 1);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.classes[2].frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.classes[2].free_listed, 1UL);
	bs_count_free(bs, 2, &cached, &listed);
	KUNIT_EXPECT_EQ(test, cached + listed, 1UL);
	BS_CHECK(test, bs);
	/* One copy on the lists: it comes back once, then the heap bumps. */
	KUNIT_EXPECT_PTR_EQ(test, bump_slab_alloc(bs, 32, GFP_KERNEL), obj);
	KUNIT_EXPECT_PTR_NE(test, bump_slab_alloc(bs, 32, GFP_KERNEL), obj);
	BS_CHECK(test, bs);
}

/*
 * Poisoning through the caches: an object written after its free is found
 * when it comes back, whether from the cache, a magazine of the depot or,
 * past a full depot, the pool list, and is kept out of use.
 */
static void bump_slab_test_poison_through_cache(struct kunit *test)
{
	struct bs_test_ctx *ctx = test->priv;
	struct bs_cpu_work w = { .n = BS_PAST_DEPOT, .size = 64 };
	int cpu = cpumask_first(cpu_online_mask);
	struct bump_slab_stats st;
	u8 *oldest, *depot, *newest;
	unsigned int i;
	void **objs;

	ctx->extra = bump_slab_create("kunit_poison", SZ_256K,
				      BUMP_SLAB_POISON);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra));
	objs = kunit_kcalloc(test, BS_PAST_DEPOT, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	w.bs = ctx->extra;
	w.objs = objs;
	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, bs_alloc_n, &w), 0);
	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, bs_free_n, &w), 0);
	oldest = objs[0];
	depot = objs[BS_BATCH];
	newest = objs[BS_PAST_DEPOT - 1];
	/* Writes after free, which KASAN would report: the accessors. */
	ap_kasan_write_u8(&oldest[8], 0);	/* on the pool list, past a full depot */
	ap_kasan_write_u8(&depot[40], 0);	/* in the depot's oldest magazine */
	ap_kasan_write_u8(&newest[63], 0);	/* taken back first */
	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, bs_alloc_n, &w), 0);
	for (i = 0; i < BS_PAST_DEPOT; i++) {
		KUNIT_EXPECT_PTR_NE(test, objs[i], (void *)newest);
		KUNIT_EXPECT_PTR_NE(test, objs[i], (void *)depot);
		KUNIT_EXPECT_PTR_NE(test, objs[i], (void *)oldest);
	}
	bump_slab_stats(ctx->extra, &st);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 3ULL);
	KUNIT_EXPECT_EQ(test, st.corruptions, 3ULL);
	KUNIT_EXPECT_EQ(test, st.classes[3].live, (unsigned long)BS_PAST_DEPOT);
	KUNIT_EXPECT_EQ(test, st.classes[3].free_listed, 0UL);
	/* Three objects were bumped to make up for the three kept out. */
	KUNIT_EXPECT_EQ(test, st.bump_offset,
			(size_t)(BS_PAST_DEPOT + 3) * (64 + BS_HDR));
	KUNIT_EXPECT_EQ(test, bump_slab_size(ctx->extra, oldest), 0UL);
	KUNIT_EXPECT_EQ(test, bump_slab_size(ctx->extra, depot), 0UL);
	KUNIT_EXPECT_EQ(test, bump_slab_size(ctx->extra, newest), 0UL);
	BS_CHECK(test, ctx->extra);
}

/* ---- stats and debugfs ---- */

static void bump_slab_test_stats_counts(struct kunit *test)
{
	const bool *buddy = test->param_value;
	struct bump_slab *bs = bs_pool(test, *buddy);
	struct bump_slab_stats st;
	struct ap_row row = { 0 };
	void *a, *b;
	unsigned int c;

	a = bump_slab_alloc(bs, 100, GFP_KERNEL);
	b = bump_slab_alloc(bs, 5000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_NULL(test, bump_slab_alloc(bs, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, a), 0);
	bump_slab_stats(bs, &st);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++)
		KUNIT_EXPECT_EQ(test, st.classes[c].size, (size_t)8 << c);
	KUNIT_EXPECT_EQ(test, st.classes[4].allocs, 1ULL);
	KUNIT_EXPECT_EQ(test, st.classes[4].frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.classes[4].live, 0UL);
	KUNIT_EXPECT_EQ(test, st.classes[10].live, 1UL);
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 0ULL);
	if (*buddy) {
		KUNIT_EXPECT_EQ(test, st.heap_size, 0UL);
		KUNIT_EXPECT_EQ(test, st.bump_offset, 0UL);
		KUNIT_EXPECT_EQ(test, st.slabs, 1UL);
		KUNIT_EXPECT_EQ(test, st.classes[4].free_listed, 0UL);
	} else {
		KUNIT_EXPECT_EQ(test, st.heap_size, BS_TEST_HEAP);
		KUNIT_EXPECT_EQ(test, st.bump_offset, 128 + 8192 + 2 * BS_HDR);
		KUNIT_EXPECT_EQ(test, st.classes[4].free_listed, 1UL);
	}
	bs_row(&bs->ap, &row);
	KUNIT_EXPECT_EQ(test, row.used, 8192UL);
	KUNIT_EXPECT_EQ(test, row.size, *buddy ? 16384UL : BS_TEST_HEAP);
	KUNIT_EXPECT_EQ(test, row.free, row.size - row.used);
	KUNIT_EXPECT_EQ(test, row.allocs, 2ULL);
	KUNIT_EXPECT_EQ(test, row.frees, 1ULL);
	KUNIT_EXPECT_EQ(test, row.failures, 1ULL);
}

static void bump_slab_test_stats_debugfs_files(struct kunit *test)
{
	struct bump_slab *bs = bs_pool(test, false);
	struct seq_file m = { };
	char row[96];

	m.size = PAGE_SIZE;
	m.buf = kunit_kzalloc(test, m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	KUNIT_ASSERT_NOT_NULL(test, bump_slab_alloc(bs, 10, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, bs_stats_show(&m, &bs->ap), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf, "heap_size: 1048576\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf, "bump_offset: 24\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf,
					   "invalid_frees: 0\ncorruptions: 0\n"));
	memset(m.buf, 0, m.size);
	m.count = 0;
	KUNIT_EXPECT_EQ(test, bs_classes_show(&m, &bs->ap), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf, "free_listed"));
	snprintf(row, sizeof(row), "%5u %10zu %10lu %11lu %10lu %12llu %12llu\n",
		 1, (size_t)16, 1UL, 0UL, 0UL, 1ULL, 0ULL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(m.buf, row));
}

/* ---- calling context ---- */

/*
 * Pools of every mode and poisoning, for the context cases: heap mode
 * and buddy mode (on the case's own arena), each without and with
 * BUMP_SLAB_POISON.
 */
static const unsigned int bs_ctx_modes[] = { 0, 1, 2, 3 };

static void bs_ctx_desc(const unsigned int *mode, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s%s",
		 *mode & 2 ? "buddy" : "heap",
		 *mode & 1 ? ", poison" : "");
}

KUNIT_ARRAY_PARAM(bs_ctx, bs_ctx_modes, bs_ctx_desc);

static struct bump_slab *bs_ctx_pool(struct kunit *test, unsigned int mode)
{
	struct bs_test_ctx *ctx = test->priv;
	unsigned int flags = mode & 1 ? BUMP_SLAB_POISON : 0;

	if (mode & 2) {
		ctx->extra_ba = buddy_arena_create("kunit_ctx", SZ_1M, 6, 20,
						   0);
		KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra_ba));
		ctx->extra = bump_slab_create_on("kunit_ctx", ctx->extra_ba,
						 flags);
	} else {
		ctx->extra = bump_slab_create("kunit_ctx", SZ_1M, flags);
	}
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra));
	return ctx->extra;
}

/* What bs_ctx_calls() saw, checked by the test afterwards. */
struct bs_ctx_result {
	unsigned int failed;	/* calls that did not answer as they must */
	unsigned int done;
	size_t sizes[4];
	struct bump_slab_stats st;
};

/*
 * Every call a driver may make in atomic context: allocations (a new
 * slab or a bump, a reuse that checks poison), sizes, frees, a double
 * and an interior free (refused), and stats.  Records instead of
 * asserting: it runs with interrupts off or in hard IRQ.
 */
static void bs_ctx_calls(struct bump_slab *bs, struct bs_ctx_result *r)
{
	static const size_t sizes[] = { 24, 1000, 5000, SZ_64K };
	unsigned int i;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = bump_slab_alloc(bs, sizes[i], GFP_ATOMIC);
		if (!p) {
			r->failed++;
			continue;
		}
		r->sizes[i] = bump_slab_size(bs, p);
		r->failed += bump_slab_free(bs, p) != 0;
		r->failed += bump_slab_free(bs, p) != -EINVAL;
		p = bump_slab_alloc(bs, sizes[i], GFP_ATOMIC);
		if (!p) {
			r->failed++;
			continue;
		}
		r->failed += bump_slab_free(bs, p + 8) != -EINVAL;
		r->failed += bump_slab_free(bs, p) != 0;
	}
	bump_slab_stats(bs, &r->st);
	r->done++;
}

static void bs_ctx_expect(struct kunit *test, struct bump_slab *bs,
			  const struct bs_ctx_result *r)
{
	KUNIT_EXPECT_EQ(test, r->done, 1U);
	KUNIT_EXPECT_EQ(test, r->failed, 0U);
	KUNIT_EXPECT_EQ(test, r->sizes[0], 32UL);
	KUNIT_EXPECT_EQ(test, r->sizes[1], 1024UL);
	KUNIT_EXPECT_EQ(test, r->sizes[2], 8192UL);
	KUNIT_EXPECT_EQ(test, r->sizes[3], (size_t)SZ_64K);
	KUNIT_EXPECT_EQ(test, r->st.invalid_frees, 8ULL);
	KUNIT_EXPECT_EQ(test, r->st.corruptions, 0ULL);
	KUNIT_EXPECT_EQ(test, r->st.classes[2].allocs, 2ULL);
	KUNIT_EXPECT_EQ(test, r->st.classes[2].live, 0UL);
	BS_CHECK(test, bs);
}

/*
 * Every call with the caller's own raw spinlock held and interrupts off.
 * On PREEMPT_RT a spinlock_t taken in there is a sleeping lock:
 * DEBUG_ATOMIC_SLEEP and lockdep's PROVE_RAW_LOCK_NESTING report it.
 */
static void bump_slab_test_context_raw_lock_held(struct kunit *test)
{
	static DEFINE_RAW_SPINLOCK(caller_lock);
	const unsigned int *mode = test->param_value;
	struct bump_slab *bs = bs_ctx_pool(test, *mode);
	struct bs_ctx_result *r;
	unsigned long flags;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	raw_spin_lock_irqsave(&caller_lock, flags);
	bs_ctx_calls(bs, r);
	raw_spin_unlock_irqrestore(&caller_lock, flags);
	bs_ctx_expect(test, bs, r);
}

struct bs_ctx_irq {
	struct hrtimer timer;
	struct completion done;
	struct bump_slab *bs;
	struct bs_ctx_result r;
	bool hardirq;
};

static enum hrtimer_restart bs_ctx_tick(struct hrtimer *t)
{
	struct bs_ctx_irq *irq = container_of(t, struct bs_ctx_irq, timer);

	irq->hardirq = in_hardirq();
	bs_ctx_calls(irq->bs, &irq->r);
	complete(&irq->done);
	return HRTIMER_NORESTART;
}

/* Every call from a hard-IRQ hrtimer, which stays in hard IRQ on RT. */
static void bump_slab_test_context_hardirq(struct kunit *test)
{
	const unsigned int *mode = test->param_value;
	struct bs_ctx_irq *irq;

	irq = kunit_kzalloc(test, sizeof(*irq), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, irq);
	irq->bs = bs_ctx_pool(test, *mode);
	init_completion(&irq->done);
	hrtimer_init(&irq->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	irq->timer.function = bs_ctx_tick;
	hrtimer_start(&irq->timer, ns_to_ktime(100 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_HARD);
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&irq->done, 10 * HZ),
			0);
	hrtimer_cancel(&irq->timer);
	KUNIT_EXPECT_TRUE(test, irq->hardirq);
	bs_ctx_expect(test, irq->bs, &irq->r);
}

/* ---- random ---- */

#define BS_RANDOM_SLOTS	128

static void bump_slab_test_random_seeded(struct kunit *test)
{
	const bool *buddy = test->param_value;
	struct bump_slab *bs = bs_pool(test, *buddy);
	struct rnd_state rs;
	u8 **slot;
	u8 *tag;
	u64 seed = get_random_u64();
	int i, j;

	kunit_info(test, "seed %llu\n", seed);
	prandom_seed_state(&rs, seed);
	slot = kunit_kcalloc(test, BS_RANDOM_SLOTS, sizeof(*slot), GFP_KERNEL);
	tag = kunit_kcalloc(test, BS_RANDOM_SLOTS, 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, slot);
	KUNIT_ASSERT_NOT_NULL(test, tag);
	for (i = 0; i < 20000; i++) {
		u32 r = prandom_u32_state(&rs);
		size_t size;

		j = r % BS_RANDOM_SLOTS;
		if (slot[j]) {
			KUNIT_ASSERT_EQ_MSG(test, slot[j][0], tag[j], "seed %llu",
					    seed);
			KUNIT_ASSERT_EQ_MSG(test, bump_slab_free(bs, slot[j]), 0,
					    "seed %llu", seed);
			slot[j] = NULL;
		} else {
			size = 1 + (prandom_u32_state(&rs) >> (16 + r % 16));
			slot[j] = bump_slab_alloc(bs, size, GFP_KERNEL);
			if (slot[j]) {
				tag[j] = r >> 24;
				memset(slot[j], tag[j], size);
			}
		}
		if (i % 500 == 0)
			KUNIT_ASSERT_TRUE_MSG(test, bump_slab_check(bs),
					      "seed %llu op %d", seed, i);
	}
	for (j = 0; j < BS_RANDOM_SLOTS; j++)
		KUNIT_EXPECT_EQ(test, bump_slab_free(bs, slot[j]), 0);
	BS_CHECK(test, bs);
	if (*buddy)
		bs_expect_arena_free(test, ((struct bs_test_ctx *)test->priv)->ba);
}

/* ---- buddy mode's per-CPU front (BUMP_SLAB_PERCPU) ---- */

/* A pool with the front on a new arena of @size bytes, @min_order up. */
static struct bump_slab *bs_pcp_pool(struct kunit *test, size_t size,
				     unsigned int min_order)
{
	struct bs_test_ctx *ctx = test->priv;

	ctx->extra_ba = buddy_arena_create("kunit_pcp_arena", size, min_order,
					   ilog2(size), 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra_ba));
	ctx->extra = bump_slab_create_on("kunit_pcp", ctx->extra_ba,
					 BUMP_SLAB_PERCPU);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->extra));
	KUNIT_ASSERT_GT(test, ctx->extra->pcp_end, 2U);
	return ctx->extra;
}

/* Objects of class @c in every CPU's cache, read on a quiet pool. */
static unsigned int bs_pcp_cached(struct bump_slab *bs, unsigned int c)
{
	unsigned int n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu_ptr(bs->pcpu, cpu)->cache[c].n;
	return n;
}

static unsigned long bs_arena_live(struct buddy_arena *ba)
{
	struct buddy_arena_stats st;

	buddy_arena_stats(ba, &st);
	return st.live_blocks;
}

/* The flag: a front with it, none with poisoning, heap mode unchanged. */
static void bump_slab_test_pcp_flag_rules(struct kunit *test)
{
	struct bs_test_ctx *ctx = test->priv;
	struct bump_slab *bs;

	KUNIT_EXPECT_EQ(test, ctx->on->pcp_end, 0U);
	bs = bump_slab_create_on("kunit_pcp_poison", ctx->ba,
				 BUMP_SLAB_PERCPU | BUMP_SLAB_POISON);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bs));
	KUNIT_EXPECT_EQ(test, bs->pcp_end, 0U);
	bump_slab_destroy(bs);
	bs = bump_slab_create("kunit_pcp_heap", SZ_64K, BUMP_SLAB_PERCPU);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bs));
	KUNIT_EXPECT_EQ(test, bs->pcp_end, 0U);
	KUNIT_EXPECT_FALSE(test, bs->slow);
	bump_slab_destroy(bs);
	bs = bs_pcp_pool(test, SZ_1M, 6);
	/* Classes of up to 4 KiB (an 8 KiB block each), no more. */
	KUNIT_EXPECT_EQ(test, bs->pcp_end, 10U);
}

/*
 * A freed object sits in the CPU's cache, its header saying so; a second
 * free of it is refused with nothing changed, and it is not live.
 */
static void bump_slab_test_pcp_free_cached_twice(struct kunit *test)
{
	struct bump_slab *bs = bs_pcp_pool(test, SZ_1M, 6);
	struct bump_slab_stats st;
	unsigned int cached;
	void *obj, *keep;

	obj = bump_slab_alloc(bs, 32, GFP_KERNEL);
	keep = bump_slab_alloc(bs, 32, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	KUNIT_EXPECT_EQ(test, bump_slab_size(bs, obj), 32UL);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, obj), 0);
	/* Class 2, marker cached (KASAN: through the pool's accessor). */
	KUNIT_EXPECT_EQ(test, ap_kasan_read_once_u64(obj_hdr(obj)),
			hdr_word(2, BS_CACHED));
	KUNIT_EXPECT_EQ(test, bump_slab_size(bs, obj), 0UL);
	cached = bs_pcp_cached(bs, 2);
	KUNIT_EXPECT_GE(test, cached, 1U);
	BS_CHECK(test, bs);
	/* Refused while cached: the claim fails, nothing moves. */
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, obj), -EINVAL);
	KUNIT_EXPECT_EQ(test, bs_pcp_cached(bs, 2), cached);
	KUNIT_EXPECT_EQ(test, ap_kasan_read_once_u64(obj_hdr(obj)),
			hdr_word(2, BS_CACHED));
	BS_CHECK(test, bs);
	/* Drained (by the snapshot), it is free in its slab: refused too. */
	bs_expect_refused(test, bs, obj);
	bs_expect_refused(test, bs, (u8 *)keep + 8);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 3ULL);
	KUNIT_EXPECT_EQ(test, st.classes[2].frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.classes[2].live, 1UL);
	BS_CHECK(test, bs);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, keep), 0);
}

/*
 * Objects cached on two CPUs: the stats are exact, and, drained, the
 * slab they held goes back to the arena.
 */
static void bump_slab_test_pcp_stats_two_cpus(struct kunit *test)
{
	struct bump_slab *bs = bs_pcp_pool(test, SZ_1M, 6);
	struct bs_cpu_work w = { .bs = bs, .n = 6, .size = 16 };
	struct bs_test_ctx *ctx = test->priv;
	struct bump_slab_stats st;
	void *objs[6];
	int a, b;

	bs_two_cpus(&a, &b);
	w.objs = objs;
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, bs_alloc_n, &w), 0);
	w.n = 2;
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, bs_free_n, &w), 0);
	w.objs = objs + 2;
	w.n = 3;
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, bs_free_n, &w), 0);
	/*
	 * A refill took a batch, six of it handed out, five of those freed
	 * to the caches since: one live, the slab held.
	 */
	KUNIT_EXPECT_EQ(test, bs_pcp_cached(bs, 1), BS_BATCH - 1U);
	BS_CHECK(test, bs);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, bs_pcp_cached(bs, 1), 0U);
	KUNIT_EXPECT_EQ(test, st.classes[1].allocs, 6ULL);
	KUNIT_EXPECT_EQ(test, st.classes[1].frees, 5ULL);
	KUNIT_EXPECT_EQ(test, st.classes[1].live, 1UL);
	KUNIT_EXPECT_EQ(test, st.classes[1].slabs, 1UL);
	KUNIT_EXPECT_EQ(test, st.slabs, 1UL);
	BS_CHECK(test, bs);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, objs[5]), 0);
	KUNIT_EXPECT_EQ(test, bs_arena_live(ctx->extra_ba), 1UL);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.classes[1].live, 0UL);
	KUNIT_EXPECT_EQ(test, st.slabs, 0UL);
	bs_expect_arena_free(test, ctx->extra_ba);
	BS_CHECK(test, bs);
}

/*
 * An allocation the arena cannot serve drains every cache first: the
 * slabs the cached objects held come back, and only then is a failure
 * counted.
 */
static void bump_slab_test_pcp_fail_after_drain(struct kunit *test)
{
	struct bump_slab *bs = bs_pcp_pool(test, SZ_64K, PAGE_SHIFT);
	struct bump_slab_stats st;
	unsigned int i, n = 0, pages = SZ_64K / PAGE_SIZE;
	void **objs;

	objs = kunit_kcalloc(test, SZ_64K / 72 + 1, sizeof(void *),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	while ((objs[n] = bump_slab_alloc(bs, 64, GFP_KERNEL)))
		n++;
	KUNIT_EXPECT_EQ(test, n, pages * bs->cls[3].per_slab);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, bump_slab_free(bs, objs[i]), 0);
	/* Cached objects keep a slab or two from the arena... */
	KUNIT_EXPECT_GT(test, bs_pcp_cached(bs, 3), 0U);
	BS_CHECK(test, bs);
	/* ...until a failure drains them: every page serves the class. */
	for (n = 0; (objs[n] = bump_slab_alloc(bs, 2048, GFP_KERNEL)); n++)
		;
	KUNIT_EXPECT_EQ(test, n, pages);
	KUNIT_EXPECT_EQ(test, bs_pcp_cached(bs, 3), 0U);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.failures, 2ULL);
	KUNIT_EXPECT_EQ(test, st.classes[8].live, (unsigned long)pages);
	BS_CHECK(test, bs);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, bump_slab_free(bs, objs[i]), 0);
	bump_slab_stats(bs, &st);
	KUNIT_EXPECT_EQ(test, st.slabs, 0UL);
}

/* A dead CPU's caches are drained: the teardown the hotplug state runs. */
static void bump_slab_test_pcp_cpu_dead_drains(struct kunit *test)
{
	struct bump_slab *bs = bs_pcp_pool(test, SZ_1M, 6);
	struct bs_test_ctx *ctx = test->priv;
	void *obj;
	int cpu;

	obj = bump_slab_alloc(bs, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, bump_slab_free(bs, obj), 0);
	KUNIT_EXPECT_EQ(test, bs_arena_live(ctx->extra_ba), 1UL);
	for_each_possible_cpu(cpu)
		KUNIT_EXPECT_EQ(test, bs_cpu_dead(cpu, &bs->cpuhp_node), 0);
	KUNIT_EXPECT_EQ(test, bs_pcp_cached(bs, 4), 0U);
	bs_expect_arena_free(test, ctx->extra_ba);
	BS_CHECK(test, bs);
}

/* A CPU taken offline has its caches drained by the hotplug state. */
static void bump_slab_test_pcp_cpu_offline_drains(struct kunit *test)
{
	struct bump_slab *bs = bs_pcp_pool(test, SZ_1M, 6);
	struct bs_cpu_work w = { .bs = bs, .n = 4, .size = 100 };
	struct bs_test_ctx *ctx = test->priv;
	void *objs[4];
	int a, b, ret;

	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU) || bs_cpuhp_state < 0)
		kunit_skip(test, "needs CPU hotplug");
	bs_two_cpus(&a, &b);
	if (a == b)
		kunit_skip(test, "needs two online CPUs");
	w.objs = objs;
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, bs_alloc_n, &w), 0);
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, bs_free_n, &w), 0);
	/* The four, and what is left of the batch their refill took. */
	KUNIT_EXPECT_GE(test, per_cpu_ptr(bs->pcpu, b)->cache[4].n, 4U);
	ret = remove_cpu(b);
	if (ret)
		kunit_skip(test, "CPU %d cannot go offline: %d", b, ret);
	KUNIT_EXPECT_EQ(test, per_cpu_ptr(bs->pcpu, b)->cache[4].n, 0U);
	KUNIT_EXPECT_EQ(test, bs_arena_live(ctx->extra_ba), 0UL);
	BS_CHECK(test, bs);
	KUNIT_EXPECT_EQ(test, add_cpu(b), 0);
}

/* Destroy with objects cached (and one live): everything goes back. */
static void bump_slab_test_pcp_destroy_cached(struct kunit *test)
{
	struct bump_slab *bs = bs_pcp_pool(test, SZ_1M, 6);
	struct bs_test_ctx *ctx = test->priv;
	void *objs[40];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = bump_slab_alloc(bs, 8 << (i % 10), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 1; i < ARRAY_SIZE(objs); i++)
		KUNIT_EXPECT_EQ(test, bump_slab_free(bs, objs[i]), 0);
	BS_CHECK(test, bs);
	bump_slab_destroy(bs);
	ctx->extra = NULL;
	bs_expect_arena_free(test, ctx->extra_ba);
}

static struct kunit_case bs_test_cases[] = {
	KUNIT_CASE_PARAM(bump_slab_test_create_invalid_args,
			 bs_bad_create_gen_params),
	KUNIT_CASE(bump_slab_test_create_on_null_arena),
	KUNIT_CASE(bump_slab_test_create_duplicate_name),
	KUNIT_CASE(bump_slab_test_destroy_null_noop),
	KUNIT_CASE(bump_slab_test_destroy_live_gives_back),
	KUNIT_CASE_PARAM(bump_slab_test_alloc_class_boundary_heap,
			 bs_boundary_gen_params),
	KUNIT_CASE_PARAM(bump_slab_test_alloc_class_boundary_buddy,
			 bs_boundary_gen_params),
	KUNIT_CASE(bump_slab_test_alloc_lifo_reuse),
	KUNIT_CASE(bump_slab_test_alloc_heap_exhausted),
	KUNIT_CASE(bump_slab_test_free_null_counts_nothing),
	KUNIT_CASE_PARAM(bump_slab_test_free_invalid_unchanged,
			 bs_bad_free_gen_params),
	KUNIT_CASE(bump_slab_test_size_not_live_zero),
	KUNIT_CASE(bump_slab_test_poison_fills_free),
	KUNIT_CASE_PARAM(bump_slab_test_poison_write_after_free,
			 bs_mode_gen_params),
	KUNIT_CASE_PARAM(bump_slab_test_link_write_after_free,
			 bs_mode_gen_params),
	KUNIT_CASE(bump_slab_test_slab_give_back_all_free),
	KUNIT_CASE(bump_slab_test_slab_memory_moves_between_classes),
	KUNIT_CASE(bump_slab_test_slab_large_block_per_object),
	KUNIT_CASE(bump_slab_test_slab_arena_grows),
	KUNIT_CASE(bump_slab_test_slab_big_min_order),
	KUNIT_CASE(bump_slab_test_cache_flush_refill_lifo),
	KUNIT_CASE(bump_slab_test_depot_full_then_list),
	KUNIT_CASE(bump_slab_test_cache_steal_before_bump),
	KUNIT_CASE(bump_slab_test_stats_sum_over_cpus),
	KUNIT_CASE(bump_slab_test_free_double_two_cpus),
	KUNIT_CASE(bump_slab_test_poison_through_cache),
	KUNIT_CASE_PARAM(bump_slab_test_stats_counts, bs_mode_gen_params),
	KUNIT_CASE(bump_slab_test_stats_debugfs_files),
	KUNIT_CASE_PARAM(bump_slab_test_context_raw_lock_held,
			 bs_ctx_gen_params),
	KUNIT_CASE_PARAM(bump_slab_test_context_hardirq, bs_ctx_gen_params),
	KUNIT_CASE_PARAM(bump_slab_test_random_seeded, bs_mode_gen_params),
	KUNIT_CASE(bump_slab_test_pcp_flag_rules),
	KUNIT_CASE(bump_slab_test_pcp_free_cached_twice),
	KUNIT_CASE(bump_slab_test_pcp_stats_two_cpus),
	KUNIT_CASE(bump_slab_test_pcp_fail_after_drain),
	KUNIT_CASE(bump_slab_test_pcp_cpu_dead_drains),
	KUNIT_CASE(bump_slab_test_pcp_cpu_offline_drains),
	KUNIT_CASE(bump_slab_test_pcp_destroy_cached),
	{}
};

static struct kunit_suite bs_test_suite = {
	.name = "allocpools_bump_slab",
	.init = bs_test_init,
	.exit = bs_test_exit,
	.test_cases = bs_test_cases,
};

kunit_test_suites(&bs_test_suite);
