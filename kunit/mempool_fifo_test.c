// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the FIFO queue pool.  Included at the end of
 * mempool_fifo.c, so it sees the ring's internals: iom_invariants_ok() runs
 * after every mutation, and bad input is shown to leave the whole ring (its
 * bytes, indices and counters) exactly as it was.
 */

#include <kunit/test.h>
#include <linux/random.h>

#define IOM_TEST_RING	1024

struct iom_snapshot {
	struct iom_stats st;
	unsigned long in, out;
	u8 ring[IOM_TEST_RING];
};

#define IOM_CHECK(test, iomb) \
	KUNIT_EXPECT_TRUE_MSG(test, iom_invariants_ok(iomb), "ring invariants broken")

static void iom_snap(struct iom_buffer *iomb, struct iom_snapshot *s)
{
	iom_stats(iomb, &s->st);
	s->in = iomb->in;
	s->out = iomb->out;
	ap_kasan_copy_out(s->ring, iomb->ring,
			  min_t(size_t, iomb->size, IOM_TEST_RING));
}

/* Everything but the counter that @field names must be unchanged. */
static void iom_expect_unchanged(struct kunit *test, struct iom_buffer *iomb,
				 const struct iom_snapshot *before,
				 size_t field, u64 delta)
{
	struct iom_snapshot *after = kunit_kzalloc(test, sizeof(*after),
						   GFP_KERNEL);
	u64 *counter;

	KUNIT_ASSERT_NOT_NULL(test, after);
	iom_snap(iomb, after);
	KUNIT_EXPECT_EQ(test, after->in, before->in);
	KUNIT_EXPECT_EQ(test, after->out, before->out);
	KUNIT_EXPECT_EQ(test, memcmp(after->ring, before->ring,
				     min_t(size_t, iomb->size, IOM_TEST_RING)), 0);
	counter = (u64 *)((u8 *)&after->st + field);
	KUNIT_EXPECT_EQ(test, *counter, *(u64 *)((u8 *)&before->st + field) + delta);
	*counter -= delta;
	KUNIT_EXPECT_EQ(test, memcmp(&after->st, &before->st, sizeof(after->st)), 0);
	IOM_CHECK(test, iomb);
}

static int iom_test_init(struct kunit *test)
{
	struct iom_buffer *iomb = iom_create("kunit", IOM_TEST_RING, 0);

	KUNIT_ASSERT_FALSE(test, IS_ERR(iomb));
	test->priv = iomb;
	return 0;
}

static void iom_test_exit(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;

	if (iomb)
		iom_reset(iomb);
	iom_destroy(iomb);
}

static void fill_pattern(u8 *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (u8)(seed * 31 + i * 7 + (i >> 8));
}

/* ---- create / destroy ---- */

struct iom_create_case {
	const char *desc;
	const char *name;
	size_t size;
	unsigned int flags;
};

static const struct iom_create_case iom_bad_creates[] = {
	{ "NULL name", NULL, 1024, 0 },
	{ "empty name", "", 1024, 0 },
	{ "32-character name", "abcdefghijklmnopqrstuvwxyz012345", 1024, 0 },
	{ "slash in name", "a/b", 1024, 0 },
	{ "space in name", "a b", 1024, 0 },
	{ "dot-dot name", "..", 1024, 0 },
	{ "size 0", "x", 0, 0 },
	{ "size 32", "x", 32, 0 },
	{ "size 1000", "x", 1000, 0 },
	{ "size 2 GiB", "x", 2UL << 30, 0 },
	{ "size not a power of two", "x", 4096 + 64, 0 },
	{ "unknown flag", "x", 1024, BIT(3) },
	{ "SPSC with MAINLY_EMPTY", "x", 1024, IOM_SPSC | IOM_MAINLY_EMPTY },
	{ "all flags", "x", 1024, ~0U },
};

static void iom_create_desc(const struct iom_create_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(iom_bad_create, iom_bad_creates, iom_create_desc);

static void iom_test_create_rejects_bad_args(struct kunit *test)
{
	const struct iom_create_case *c = test->param_value;
	struct iom_buffer *iomb = iom_create(c->name, c->size, c->flags);

	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(iomb), -EINVAL);
	if (!IS_ERR(iomb))
		iom_destroy(iomb);
}

static void iom_test_create_accepts_limits(struct kunit *test)
{
	struct iom_buffer *a = iom_create("kunit-64", IOM_MIN_SIZE, IOM_POISON);
	struct iom_buffer *b = iom_create("Az09_.-abcdefghijklmnopqrstuvwx", 128,
					  IOM_MAINLY_EMPTY | IOM_POISON);

	KUNIT_EXPECT_FALSE(test, IS_ERR(a));
	KUNIT_EXPECT_FALSE(test, IS_ERR(b));
	if (!IS_ERR(a))
		KUNIT_EXPECT_EQ(test, iom_space(a), IOM_MIN_SIZE);
	iom_destroy(a);
	iom_destroy(b);
}

static void iom_test_create_duplicate_name_eexist(struct kunit *test)
{
	struct iom_buffer *dup = iom_create("kunit", 64, 0);
	struct iom_buffer *other;

	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(dup), -EEXIST);
	/* The name is free again once the first ring is gone. */
	iom_destroy(test->priv);
	test->priv = NULL;
	other = iom_create("kunit", 64, 0);
	KUNIT_EXPECT_FALSE(test, IS_ERR(other));
	test->priv = IS_ERR(other) ? NULL : other;
}

static void iom_test_destroy_null_and_err_are_noops(struct kunit *test)
{
	iom_destroy(NULL);
	iom_destroy(ERR_PTR(-EINVAL));
	KUNIT_EXPECT_EQ(test, iom_chunks(NULL), 0);
	KUNIT_EXPECT_EQ(test, iom_used(NULL), 0);
	KUNIT_EXPECT_EQ(test, iom_space(NULL), 0);
	KUNIT_EXPECT_EQ(test, iom_push(NULL, "x", 1, 0), -EINVAL);
	KUNIT_EXPECT_NULL(test, iom_alloc(NULL, 1));
}

static void iom_test_destroy_with_live_chunks_frees_them(struct kunit *test)
{
	struct iom_buffer *iomb = iom_create("kunit-live", 256, 0);

	KUNIT_ASSERT_FALSE(test, IS_ERR(iomb));
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "abc", 3, 0), 0);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "defg", 4, 0), 0);
	iom_destroy(iomb);	/* one pr_warn, no leak (kmemleak, KASAN) */
}

/* ---- push / shift ---- */

struct iom_len_case {
	size_t len;
	size_t cookie;
};

static const struct iom_len_case iom_cookie_cases[] = {
	{ 1, 1 }, { 127, 1 }, { 128, 2 }, { 255, 2 }, { 256, 2 },
	{ 32767, 2 }, { 32768, 3 }, { 40000, 3 }, { 65535, 3 },
};

static void iom_len_desc(const struct iom_len_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "len %zu, %zu-byte cookie",
		 c->len, c->cookie);
}

KUNIT_ARRAY_PARAM(iom_cookie, iom_cookie_cases, iom_len_desc);

static void iom_test_push_cookie_sizes_at_boundaries(struct kunit *test)
{
	const struct iom_len_case *c = test->param_value;
	struct iom_buffer *iomb = iom_create("kunit-cookie", 1 << 17, 0);
	u8 *in, *out;
	size_t len, off;

	KUNIT_ASSERT_FALSE(test, IS_ERR(iomb));
	in = kunit_kmalloc(test, c->len, GFP_KERNEL);
	out = kunit_kmalloc(test, c->len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, in);
	KUNIT_ASSERT_NOT_NULL(test, out);
	fill_pattern(in, c->len, c->len);

	/* At offset 0 and straddling the end of the ring. */
	for (off = 0; off < 2; off++) {
		if (off) {
			iomb->in = iomb->size - 1;
			iomb->out = iomb->in;
			iomb->seq++;
		}
		KUNIT_EXPECT_EQ(test, iom_push(iomb, in, c->len, 0), 0);
		KUNIT_EXPECT_EQ(test, iom_used(iomb), c->len + c->cookie);
		KUNIT_EXPECT_EQ(test, iom_space(iomb),
				iomb->size - c->len - c->cookie);
		IOM_CHECK(test, iomb);
		memset(out, 0, c->len);
		KUNIT_EXPECT_EQ(test, iom_shift(iomb, out, &len, c->len), 0);
		KUNIT_EXPECT_EQ(test, len, c->len);
		KUNIT_EXPECT_EQ(test, memcmp(in, out, c->len), 0);
		IOM_CHECK(test, iomb);
	}
	iom_destroy(iomb);
}

static void iom_test_push_too_long_emsgsize(struct kunit *test)
{
	struct iom_buffer *big = iom_create("kunit-big", 1 << 17, 0);
	struct iom_buffer *iomb = test->priv;
	struct iom_snapshot *before = kunit_kzalloc(test, sizeof(*before),
						    GFP_KERNEL);
	u8 *buf = kunit_kzalloc(test, 65536, GFP_KERNEL);

	KUNIT_ASSERT_FALSE(test, IS_ERR(big));
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_EXPECT_EQ(test, iom_push(big, buf, 65536, 0), -EMSGSIZE);
	KUNIT_EXPECT_NULL(test, iom_alloc(big, 65536));
	KUNIT_EXPECT_EQ(test, iom_chunks(big), 0);
	KUNIT_EXPECT_EQ(test, big->failures, 2);
	iom_destroy(big);

	KUNIT_ASSERT_EQ(test, iom_push(iomb, "x", 1, 0), 0);
	iom_snap(iomb, before);
	/* 1023 + 2-byte cookie cannot fit even an empty 1024-byte ring. */
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 1023, IOM_HEAD_DROP), -EMSGSIZE);
	iom_expect_unchanged(test, iomb, before,
			     offsetof(struct iom_stats, failures), 1);
}

static void iom_test_push_1022_fills_1024(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	u8 *in = kunit_kmalloc(test, 1022, GFP_KERNEL);
	u8 *out = kunit_kmalloc(test, 1022, GFP_KERNEL);
	size_t len;

	KUNIT_ASSERT_NOT_NULL(test, in);
	KUNIT_ASSERT_NOT_NULL(test, out);
	fill_pattern(in, 1022, 5);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, in, 1022, 0), 0);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 1024);
	KUNIT_EXPECT_EQ(test, iom_space(iomb), 0);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "y", 1, 0), -ENOBUFS);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, out, &len, 1022), 0);
	KUNIT_EXPECT_EQ(test, len, 1022);
	KUNIT_EXPECT_EQ(test, memcmp(in, out, 1022), 0);

	/* The same as a FIFO allocation. */
	KUNIT_EXPECT_NOT_NULL(test, iom_alloc(iomb, 1022));
	KUNIT_EXPECT_EQ(test, iom_space(iomb), 0);
	IOM_CHECK(test, iomb);
}

static void iom_test_push_512_one_byte_chunks(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	size_t len;
	u8 c, i;
	int n;

	for (n = 0; n < 512; n++) {
		c = n;
		KUNIT_ASSERT_EQ(test, iom_push(iomb, &c, 1, 0), 0);
	}
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 512);
	KUNIT_EXPECT_EQ(test, iom_space(iomb), 0);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, &c, 1, 0), -ENOBUFS);
	IOM_CHECK(test, iomb);
	for (n = 0; n < 512; n++) {
		KUNIT_ASSERT_EQ(test, iom_shift(iomb, &i, &len, 1), 0);
		KUNIT_EXPECT_EQ(test, i, (u8)n);
	}
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, &i, &len, 1), -ENODATA);
}

/* Every chunk length that fits, starting at every offset of a 64-byte ring. */
static void iom_test_push_wraps_at_every_offset(struct kunit *test)
{
	struct iom_buffer *iomb = iom_create("kunit-wrap", 64, IOM_POISON);
	u8 in[64], out[64];
	size_t off, len, got;

	KUNIT_ASSERT_FALSE(test, IS_ERR(iomb));
	for (off = 0; off < 64; off++) {
		for (len = 1; len <= 63; len++) {
			iom_reset(iomb);
			iomb->in = off;
			iomb->out = off;
			fill_pattern(in, len, off + len);
			KUNIT_ASSERT_EQ(test, iom_push(iomb, in, len, 0), 0);
			KUNIT_ASSERT_TRUE(test, iom_invariants_ok(iomb));
			memset(out, 0, sizeof(out));
			KUNIT_ASSERT_EQ(test, iom_peek(iomb, out, &got, sizeof(out)), 0);
			KUNIT_ASSERT_EQ(test, got, len);
			KUNIT_ASSERT_EQ(test, memcmp(in, out, len), 0);
			memset(out, 0, sizeof(out));
			KUNIT_ASSERT_EQ(test, iom_shift(iomb, out, &got, sizeof(out)), 0);
			KUNIT_ASSERT_EQ(test, got, len);
			KUNIT_ASSERT_EQ(test, memcmp(in, out, len), 0);
			KUNIT_ASSERT_TRUE(test, iom_invariants_ok(iomb));
			KUNIT_ASSERT_EQ(test, iom_used(iomb), 0);
		}
	}
	iom_destroy(iomb);
}

static void iom_test_push_tail_drop_refuses(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	struct iom_snapshot *before = kunit_kzalloc(test, sizeof(*before),
						    GFP_KERNEL);
	u8 buf[500] = { 1 };

	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_EQ(test, iom_push(iomb, buf, 500, IOM_TAIL_DROP), 0);
	KUNIT_ASSERT_EQ(test, iom_push(iomb, buf, 500, IOM_TAIL_DROP), 0);
	iom_snap(iomb, before);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 100, IOM_TAIL_DROP), -ENOBUFS);
	iom_expect_unchanged(test, iomb, before,
			     offsetof(struct iom_stats, tail_drops), 1);
}

static void iom_test_push_head_drop_drops_oldest(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	u8 *buf = kunit_kzalloc(test, 700, GFP_KERNEL);
	u8 out[300];
	size_t len;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);

	for (i = 0; i < 3; i++) {
		memset(buf, i, 300);
		KUNIT_ASSERT_EQ(test, iom_push(iomb, buf, 300, IOM_HEAD_DROP), 0);
	}
	/* 3 x 302 = 906 used; 200 more needs 202: the oldest goes. */
	memset(buf, 9, 700);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 200, IOM_HEAD_DROP), 0);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 3);
	KUNIT_EXPECT_EQ(test, iomb->head_drops, 1);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, out, &len, sizeof(out)), 0);
	KUNIT_EXPECT_EQ(test, out[0], 1);
	/* 700 needs 702 with 402 + 202 in use: both remaining drop. */
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 700, IOM_HEAD_DROP), 0);
	KUNIT_EXPECT_EQ(test, iomb->head_drops, 2);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 2);
	IOM_CHECK(test, iomb);
}

static void iom_test_push_drop_all_empties_first(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	u8 buf[300], out[300];
	size_t len;
	int i;

	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, iom_push(iomb, buf, 300, IOM_DROP_ALL), 0);
	/* Fits: nothing dropped. */
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 10, IOM_DROP_ALL), 0);
	KUNIT_EXPECT_EQ(test, iomb->head_drops, 0);
	memset(buf, 7, sizeof(buf));
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 300, IOM_DROP_ALL), 0);
	KUNIT_EXPECT_EQ(test, iomb->head_drops, 4);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 1);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, out, &len, sizeof(out)), 0);
	KUNIT_EXPECT_EQ(test, out[299], 7);
	IOM_CHECK(test, iomb);
}

static void iom_test_push_bad_input_changes_nothing(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	struct iom_snapshot *before = kunit_kzalloc(test, sizeof(*before),
						    GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_EQ(test, iom_push(iomb, "hello", 5, 0), 0);
	iom_snap(iomb, before);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "x", 1, 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "x", 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, NULL, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "x", SIZE_MAX, 0), -EMSGSIZE);
	iom_expect_unchanged(test, iomb, before,
			     offsetof(struct iom_stats, failures), 4);
}

static void iom_test_shift_empty_enodata(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	size_t len = 77;
	u8 buf[4];

	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), -ENODATA);
	KUNIT_EXPECT_EQ(test, iom_peek(iomb, buf, &len, sizeof(buf)), -ENODATA);
	KUNIT_EXPECT_EQ(test, iom_peek_update(iomb), -ENODATA);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, NULL, sizeof(buf)), -EINVAL);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, NULL, &len, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, iom_shift(NULL, buf, &len, 4), -EINVAL);
}

static void iom_test_shift_small_buffer_keeps_chunk(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	struct iom_snapshot *before = kunit_kzalloc(test, sizeof(*before),
						    GFP_KERNEL);
	u8 buf[200];
	size_t len = 0;

	KUNIT_ASSERT_NOT_NULL(test, before);
	memset(buf, 3, sizeof(buf));
	KUNIT_ASSERT_EQ(test, iom_push(iomb, buf, 150, 0), 0);
	iom_snap(iomb, before);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, 149), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, len, 150);
	len = 0;
	KUNIT_EXPECT_EQ(test, iom_peek(iomb, NULL, &len, 0), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, len, 150);
	iom_expect_unchanged(test, iomb, before,
			     offsetof(struct iom_stats, shifts), 0);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, 150), 0);
}

static void iom_test_peek_update_drops_oldest(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	u8 out[8];
	size_t len;

	KUNIT_ASSERT_EQ(test, iom_push(iomb, "first", 5, 0), 0);
	KUNIT_ASSERT_EQ(test, iom_push(iomb, "second", 6, 0), 0);
	KUNIT_EXPECT_EQ(test, iom_peek(iomb, out, &len, sizeof(out)), 0);
	KUNIT_EXPECT_EQ(test, len, 5);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 2);
	KUNIT_EXPECT_EQ(test, iom_peek_update(iomb), 0);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_peek(iomb, out, &len, sizeof(out)), 0);
	KUNIT_EXPECT_EQ(test, len, 6);
	KUNIT_EXPECT_EQ(test, memcmp(out, "second", 6), 0);
	KUNIT_EXPECT_EQ(test, iomb->shifts, 1);
}

/* ---- iom_alloc / iom_release ---- */

static void iom_test_alloc_release_in_order(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	u8 *c[4];
	int i;

	for (i = 0; i < 4; i++) {
		c[i] = iom_alloc(iomb, 200);
		KUNIT_ASSERT_NOT_NULL(test, c[i]);
		memset(c[i], i, 200);
		IOM_CHECK(test, iomb);
	}
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 4 * 202);
	KUNIT_EXPECT_EQ(test, c[1] - c[0], 202);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, c[i][199], i);
		KUNIT_EXPECT_EQ(test, iom_release(iomb, c[i]), 0);
		IOM_CHECK(test, iomb);
	}
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 0);
	KUNIT_EXPECT_EQ(test, iomb->allocs, 4);
	KUNIT_EXPECT_EQ(test, iomb->releases, 4);
}

static void iom_test_alloc_never_wraps(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	u8 *a, *b, *c;

	a = iom_alloc(iomb, 600);	/* 602 bytes at 0 */
	b = iom_alloc(iomb, 300);	/* 302 bytes at 602: 904 used */
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a), 0);
	/* 200 does not fit in the last 120 bytes: skip them, start at 0. */
	c = iom_alloc(iomb, 200);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_PTR_EQ(test, c, (u8 *)iomb->ring + 2);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 302 + 120 + 202);
	IOM_CHECK(test, iomb);
	memset(c, 0xee, 200);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, b), 0);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 202);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, c), 0);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 0);
	/* A chunk that fits the ring only with the gap is refused. */
	a = iom_alloc(iomb, 600);
	KUNIT_ASSERT_NOT_NULL(test, a);
	b = iom_alloc(iomb, 300);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a), 0);
	KUNIT_EXPECT_NULL(test, iom_alloc(iomb, 650));
	KUNIT_EXPECT_EQ(test, iomb->failures, 1);
	IOM_CHECK(test, iomb);
}

/*
 * A driver writes through a pointer it kept after iom_release(): past the
 * end of its old chunk, over the next chunk's cookie.  The release of that
 * chunk goes by the pool's own map of chunk ends: it succeeds, the damage
 * is counted once, and the chunk after it, still held, is never handed out
 * again.
 */
static void iom_test_alloc_write_after_release_caught(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	u8 *a, *b, *c, *d;

	a = iom_alloc(iomb, 10);
	b = iom_alloc(iomb, 10);
	c = iom_alloc(iomb, 10);
	KUNIT_ASSERT_TRUE(test, a && b && c);
	KUNIT_ASSERT_EQ(test, iom_release(iomb, a), 0);
	a[10] = 0x7f;		/* b's cookie now says 127 bytes */
	KUNIT_EXPECT_EQ(test, iom_release(iomb, b), 0);
	KUNIT_EXPECT_EQ(test, iomb->corruptions, 1);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 11);
	d = iom_alloc(iomb, 900);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_TRUE(test, d + 900 <= c || d >= c + 10);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, c), 0);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, d), 0);
	KUNIT_EXPECT_EQ(test, iomb->corruptions, 1);
	IOM_CHECK(test, iomb);
}

/*
 * A queued chunk's cookie overwritten (a write into ring bytes the writer
 * no longer owned) is never followed: the shift that reads it cuts the
 * queue off there and answers -ENODATA, and the ring goes on.
 */
static void iom_test_queue_damaged_cookie_cut_off(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	u8 buf[16];
	size_t len;
	int k;

	for (k = 0; k < 3; k++)
		KUNIT_ASSERT_EQ(test, iom_push(iomb, "0123456789", 10,
					       IOM_TAIL_DROP), 0);
	ap_kasan_write_u8(&iomb->ring[11], 100);	/* the second cookie: more than is queued */
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), -ENODATA);
	KUNIT_EXPECT_EQ(test, iomb->corruptions, 1);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 0);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 0);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "abc", 3, IOM_TAIL_DROP), 0);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, len, 3);
	IOM_CHECK(test, iomb);
}

static void iom_test_release_bad_pointers_rejected(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	struct iom_snapshot *before = kunit_kzalloc(test, sizeof(*before),
						    GFP_KERNEL);
	u8 *a, *b, outside[8];

	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, NULL), 0);
	a = iom_alloc(iomb, 100);
	b = iom_alloc(iomb, 100);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	iom_snap(iomb, before);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, b), -EINVAL);	/* out of order */
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a + 1), -EINVAL);	/* interior */
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a - 1), -EINVAL);	/* cookie */
	KUNIT_EXPECT_EQ(test, iom_release(iomb, outside), -EINVAL);	/* foreign */
	iom_expect_unchanged(test, iomb, before,
			     offsetof(struct iom_stats, invalid_frees), 4);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a), 0);
	iom_snap(iomb, before);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a), -EINVAL);	/* double */
	iom_expect_unchanged(test, iomb, before,
			     offsetof(struct iom_stats, invalid_frees), 1);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, b), 0);
	iom_snap(iomb, before);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, b), -EINVAL);	/* empty ring */
	iom_expect_unchanged(test, iomb, before,
			     offsetof(struct iom_stats, invalid_frees), 1);
}

static void iom_test_families_exclusive_ebusy(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	struct iom_iter it;
	size_t len;
	u8 buf[8], *a;

	KUNIT_ASSERT_EQ(test, iom_push(iomb, "q", 1, 0), 0);
	KUNIT_EXPECT_NULL(test, iom_alloc(iomb, 1));
	KUNIT_EXPECT_EQ(test, iom_release(iomb, iomb->ring + 1), -EBUSY);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);

	a = iom_alloc(iomb, 4);
	KUNIT_ASSERT_NOT_NULL(test, a);
	iom_iter_init(iomb, &it);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "q", 1, 0), -EBUSY);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), -EBUSY);
	KUNIT_EXPECT_EQ(test, iom_peek(iomb, buf, &len, sizeof(buf)), -EBUSY);
	KUNIT_EXPECT_EQ(test, iom_peek_update(iomb), -EBUSY);
	KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len, sizeof(buf)), -EBUSY);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 1);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a), 0);
	/* Empty again: either family may start. */
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "q", 1, 0), 0);
}

/* ---- iterator, reset, counts ---- */

static void iom_test_iter_walks_in_order(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	struct iom_iter it;
	u8 buf[16];
	size_t len;
	int i;

	for (i = 1; i <= 5; i++) {
		memset(buf, i, i);
		KUNIT_ASSERT_EQ(test, iom_push(iomb, buf, i, 0), 0);
	}
	iom_iter_init(iomb, &it);
	KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, NULL, 2), -EINVAL);
	for (i = 1; i <= 5; i++) {
		KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len, 2),
				i > 2 ? -EMSGSIZE : 0);
		if (i > 2)
			KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len,
							    sizeof(buf)), 0);
		KUNIT_EXPECT_EQ(test, len, i);
		KUNIT_EXPECT_EQ(test, buf[i - 1], i);
	}
	KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len, sizeof(buf)), -ENODATA);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 5);
}

static void iom_test_iter_notices_change(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	struct iom_iter it;
	u8 buf[4];
	size_t len;

	KUNIT_ASSERT_EQ(test, iom_push(iomb, "ab", 2, 0), 0);
	iom_iter_init(iomb, &it);
	KUNIT_ASSERT_EQ(test, iom_push(iomb, "cd", 2, 0), 0);
	KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len, sizeof(buf)), -EAGAIN);
	iom_iter_init(iomb, &it);
	KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len, sizeof(buf)), 0);
	KUNIT_ASSERT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len, sizeof(buf)), -EAGAIN);
}

static void iom_test_reset_empties(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	struct iom_stats st;
	u8 *a;

	KUNIT_ASSERT_EQ(test, iom_push(iomb, "abc", 3, 0), 0);
	iom_reset(iomb);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 0);
	KUNIT_EXPECT_EQ(test, iom_space(iomb), IOM_TEST_RING);
	IOM_CHECK(test, iomb);
	a = iom_alloc(iomb, 10);
	KUNIT_ASSERT_NOT_NULL(test, a);
	memset(a, 0x5c, 10);
	iom_reset_secure(iomb);
	KUNIT_EXPECT_NULL(test, ap_kasan_memchr_inv(iomb->ring, 0, iomb->size));
	iom_stats(iomb, &st);
	KUNIT_EXPECT_EQ(test, st.used, 0);
	KUNIT_EXPECT_EQ(test, st.pushes, 1);
	KUNIT_EXPECT_EQ(test, st.allocs, 1);
	iom_reset(NULL);
	iom_reset_secure(NULL);
}

static void iom_test_mainly_empty_rewinds(struct kunit *test)
{
	struct iom_buffer *iomb = iom_create("kunit-me", 256, IOM_MAINLY_EMPTY);
	struct iom_buffer *plain = iom_create("kunit-plain", 256, 0);
	u8 buf[16];
	size_t len;

	KUNIT_ASSERT_FALSE(test, IS_ERR(iomb));
	KUNIT_ASSERT_FALSE(test, IS_ERR(plain));
	KUNIT_ASSERT_EQ(test, iom_push(iomb, "abcdef", 6, 0), 0);
	KUNIT_ASSERT_EQ(test, iom_push(plain, "abcdef", 6, 0), 0);
	KUNIT_ASSERT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	KUNIT_ASSERT_EQ(test, iom_shift(plain, buf, &len, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, iomb->in, 0);
	KUNIT_EXPECT_EQ(test, iomb->out, 0);
	KUNIT_EXPECT_EQ(test, plain->out, 7);
	IOM_CHECK(test, iomb);
	iom_destroy(iomb);
	iom_destroy(plain);
}

static void iom_test_poison_catches_write_after_free(struct kunit *test)
{
	struct iom_buffer *iomb = iom_create("kunit-poison", 256, IOM_POISON);
	u8 buf[32];
	size_t len;
	u8 *a;

	KUNIT_ASSERT_FALSE(test, IS_ERR(iomb));
	KUNIT_ASSERT_EQ(test, iom_push(iomb, "0123456789", 10, 0), 0);
	KUNIT_ASSERT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, ap_kasan_read_u8(&iomb->ring[5]), POISON_FREE);
	IOM_CHECK(test, iomb);
	/* A stray write into the freed bytes the next push will use. */
	ap_kasan_write_u8(&iomb->ring[13], 0);
	KUNIT_EXPECT_FALSE(test, iom_invariants_ok(iomb));
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "abcdefghij", 10, 0), -EIO);
	KUNIT_EXPECT_EQ(test, iomb->invalid_frees, 1);
	KUNIT_EXPECT_EQ(test, iomb->corruptions, 1);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 0);
	/* The poison was restored: the retry goes through. */
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "abcdefghij", 10, 0), 0);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	ap_kasan_write_u8(&iomb->ring[30], 1);
	KUNIT_EXPECT_NULL(test, iom_alloc(iomb, 30));
	KUNIT_EXPECT_EQ(test, iomb->invalid_frees, 2);
	KUNIT_EXPECT_EQ(test, iomb->corruptions, 2);
	a = iom_alloc(iomb, 30);
	KUNIT_EXPECT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a), 0);
	KUNIT_EXPECT_NULL(test, ap_kasan_memchr_inv(iomb->ring, POISON_FREE, iomb->size));
	iom_destroy(iomb);
}

/*
 * IOM_DROP_ALL leaves the dropped bytes unpoisoned ("stale"): pushes over
 * them must not report damage, an allocation over them must hand out
 * poison and no dropped data, and damage to the poisoned free bytes beside
 * them must still be found.
 */
static void iom_test_drop_all_poison_stale_reuse(struct kunit *test)
{
	struct iom_buffer *iomb = iom_create("kunit-stale", 1024, IOM_POISON);
	u8 buf[500];
	size_t len;
	u8 *a;
	int i;

	KUNIT_ASSERT_FALSE(test, IS_ERR(iomb));
	memset(buf, 0x42, sizeof(buf));
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, iom_push(iomb, buf, 300, IOM_TAIL_DROP), 0);
	KUNIT_ASSERT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	/*
	 * [0, 302) poisoned by the shift, [302, 906) queued, [906, 1024)
	 * poisoned.  502 bytes do not fit in 420: both chunks go, unpoisoned,
	 * and the ring starts again at 0, its bytes [302, 906) stale.
	 */
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 500, IOM_DROP_ALL), 0);
	KUNIT_EXPECT_EQ(test, iomb->head_drops, 2);
	KUNIT_EXPECT_EQ(test, iomb->in, 502);
	KUNIT_EXPECT_EQ(test, iomb->stale, 502);
	KUNIT_EXPECT_EQ(test, iomb->stale_len, 906 - 502);
	IOM_CHECK(test, iomb);

	/* Damage in stale bytes goes unseen; beside them it is found. */
	ap_kasan_write_u8(&iomb->ring[600], 0);
	ap_kasan_write_u8(&iomb->ring[910], 0);
	KUNIT_EXPECT_FALSE(test, iom_invariants_ok(iomb));
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 420, IOM_TAIL_DROP), -EIO);
	KUNIT_EXPECT_EQ(test, iomb->corruptions, 1);
	KUNIT_EXPECT_EQ(test, iomb->invalid_frees, 1);
	KUNIT_EXPECT_EQ(test, iomb->stale_len, 906 - 502);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 420, IOM_TAIL_DROP), 0);
	KUNIT_EXPECT_EQ(test, iomb->stale_len, 0);
	IOM_CHECK(test, iomb);

	/* Drop everything, drain: the allocation holds poison, not 0x42. */
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 300, IOM_DROP_ALL), 0);
	KUNIT_EXPECT_EQ(test, iom_peek_update(iomb), 0);
	a = iom_alloc(iomb, 1000);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_PTR_EQ(test, a, (u8 *)iomb->ring + 2);
	KUNIT_EXPECT_NULL(test, ap_kasan_memchr_inv(a, POISON_FREE, 1000));
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a), 0);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iomb->corruptions, 1);
	iom_destroy(iomb);
}

/* iom_reset() takes iom_alloc() chunks back: they are poisoned again. */
static void iom_test_reset_repoisons_alloc_chunks(struct kunit *test)
{
	struct iom_buffer *iomb = iom_create("kunit-repoison", 1024, IOM_POISON);
	u8 *a, *b;

	KUNIT_ASSERT_FALSE(test, IS_ERR(iomb));
	a = iom_alloc(iomb, 500);
	b = iom_alloc(iomb, 400);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	memset(a, 0x11, 500);
	memset(b, 0x22, 400);
	iom_reset(iomb);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 0);
	KUNIT_EXPECT_EQ(test, iomb->wipers, 0);
	KUNIT_EXPECT_FALSE(test, iomb->flags & IOM_WIPING);
	KUNIT_EXPECT_NULL(test, ap_kasan_memchr_inv(iomb->ring, POISON_FREE, iomb->size));
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a), -EINVAL);
	IOM_CHECK(test, iomb);
	iom_destroy(iomb);
}

/*
 * While a reset writes the ring with the lock dropped, pushes and
 * allocations are refused and counted; the ring is usable again after.
 */
static void iom_test_push_refused_while_wiping(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	unsigned long flags;
	size_t len;
	u8 buf[8];

	raw_spin_lock_irqsave(&iomb->lock, flags);
	wipe_begin_locked(iomb);
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "abc", 3, IOM_TAIL_DROP), -EBUSY);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "abc", 3, IOM_DROP_ALL), -EBUSY);
	KUNIT_EXPECT_NULL(test, iom_alloc(iomb, 3));
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), -ENODATA);
	KUNIT_EXPECT_EQ(test, iomb->failures, 3);
	wipe_end(iomb);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "abc", 3, IOM_TAIL_DROP), 0);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, len, 3);
}

/* iom_reset_secure() of a 16 MiB ring: process context, every byte. */
static void iom_test_reset_secure_large_ring(struct kunit *test)
{
	struct iom_buffer *iomb = iom_create("kunit-16m", SZ_16M, IOM_POISON);
	u8 *buf = kunit_kmalloc(test, IOM_MAX_CHUNK, GFP_KERNEL);
	int n = 0;

	KUNIT_ASSERT_FALSE(test, IS_ERR(iomb));
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, 0x33, IOM_MAX_CHUNK);
	while (iom_push(iomb, buf, IOM_MAX_CHUNK, IOM_TAIL_DROP) == 0)
		n++;
	KUNIT_EXPECT_EQ(test, n, SZ_16M / (IOM_MAX_CHUNK + 3));
	iom_reset_secure(iomb);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 0);
	KUNIT_EXPECT_EQ(test, iomb->stale_len, 0);
	KUNIT_EXPECT_NULL(test, ap_kasan_memchr_inv(iomb->ring, POISON_FREE, SZ_16M));
	iom_destroy(iomb);
}

/* ---- calling context ---- */

/*
 * What a caller may hold around the any-context calls.  Under a raw
 * spinlock or with interrupts off, a spinlock_t in the pool (a sleeping
 * lock on PREEMPT_RT) is reported by DEBUG_ATOMIC_SLEEP and by lockdep's
 * PROVE_RAW_LOCK_NESTING; a spinlock_t held is fine on every kernel.
 */
enum iom_ctx { IOM_CTX_SPINLOCK, IOM_CTX_RAW_SPINLOCK, IOM_CTX_IRQS_OFF };

static const enum iom_ctx iom_ctx_cases[] = {
	IOM_CTX_SPINLOCK, IOM_CTX_RAW_SPINLOCK, IOM_CTX_IRQS_OFF,
};

static void iom_ctx_desc(const enum iom_ctx *c, char *desc)
{
	static const char * const names[] = {
		"caller's spinlock_t held", "caller's raw_spinlock_t held",
		"interrupts off",
	};

	strscpy(desc, names[*c], KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(iom_ctx, iom_ctx_cases, iom_ctx_desc);

static DEFINE_SPINLOCK(iom_test_lock);
static DEFINE_RAW_SPINLOCK(iom_test_raw_lock);

static unsigned long iom_ctx_enter(enum iom_ctx c)
{
	unsigned long flags;

	if (c == IOM_CTX_SPINLOCK)
		spin_lock_irqsave(&iom_test_lock, flags);
	else if (c == IOM_CTX_RAW_SPINLOCK)
		raw_spin_lock_irqsave(&iom_test_raw_lock, flags);
	else
		local_irq_save(flags);
	return flags;
}

static void iom_ctx_exit(enum iom_ctx c, unsigned long flags)
{
	if (c == IOM_CTX_SPINLOCK)
		spin_unlock_irqrestore(&iom_test_lock, flags);
	else if (c == IOM_CTX_RAW_SPINLOCK)
		raw_spin_unlock_irqrestore(&iom_test_raw_lock, flags);
	else
		local_irq_restore(flags);
}

/*
 * Every any-context call, each path (fast, wrapping, poisoned, dropping),
 * made in the context the parameter names; the results are checked after.
 */
static void iom_test_any_context_calls(struct kunit *test)
{
	const enum iom_ctx *c = test->param_value;
	struct iom_buffer *iomb = iom_create("kunit-ctx", 256, IOM_POISON);
	struct iom_buffer *fast = test->priv;
	int push[6], shift[3], update, next, release, n;
	struct iom_stats st;
	struct iom_iter it;
	size_t len, used;
	unsigned long flags;
	u8 buf[200], *a;

	KUNIT_ASSERT_FALSE(test, IS_ERR(iomb));
	memset(buf, 0x5a, sizeof(buf));
	flags = iom_ctx_enter(*c);
	push[0] = iom_push(fast, buf, 100, IOM_TAIL_DROP);
	shift[0] = iom_shift(fast, buf, &len, sizeof(buf));
	push[1] = iom_push(iomb, buf, 120, IOM_TAIL_DROP);
	push[2] = iom_push(iomb, buf, 120, IOM_TAIL_DROP);
	push[3] = iom_push(iomb, buf, 120, IOM_TAIL_DROP);
	push[4] = iom_push(iomb, buf, 120, IOM_HEAD_DROP);
	push[5] = iom_push(iomb, buf, 200, IOM_DROP_ALL);
	shift[1] = iom_peek(iomb, buf, &len, sizeof(buf));
	iom_iter_init(iomb, &it);
	next = iom_iter_next(iomb, &it, buf, &len, sizeof(buf));
	shift[2] = iom_shift(iomb, buf, &len, sizeof(buf));
	update = iom_peek_update(iomb);
	iom_stats(iomb, &st);
	used = iom_used(iomb) + iom_space(iomb) + iom_chunks(iomb);
	a = iom_alloc(iomb, 150);
	release = iom_release(iomb, a);
	n = iom_push(iomb, buf, 1, IOM_TAIL_DROP);
	iom_ctx_exit(*c, flags);

	KUNIT_EXPECT_EQ(test, push[0], 0);
	KUNIT_EXPECT_EQ(test, shift[0], 0);
	KUNIT_EXPECT_EQ(test, push[1], 0);
	KUNIT_EXPECT_EQ(test, push[2], 0);
	KUNIT_EXPECT_EQ(test, push[3], -ENOBUFS);
	KUNIT_EXPECT_EQ(test, push[4], 0);
	KUNIT_EXPECT_EQ(test, push[5], 0);
	KUNIT_EXPECT_EQ(test, shift[1], 0);
	KUNIT_EXPECT_EQ(test, next, 0);
	KUNIT_EXPECT_EQ(test, shift[2], 0);
	KUNIT_EXPECT_EQ(test, len, 200);
	KUNIT_EXPECT_EQ(test, update, -ENODATA);
	KUNIT_EXPECT_EQ(test, st.head_drops, 3);
	KUNIT_EXPECT_EQ(test, st.corruptions, 0);
	KUNIT_EXPECT_EQ(test, used, 256);
	KUNIT_EXPECT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, release, 0);
	KUNIT_EXPECT_EQ(test, n, 0);
	IOM_CHECK(test, iomb);
	iom_reset(iomb);
	iom_destroy(iomb);
}

struct iom_pow2_case {
	size_t n, want;
};

static const struct iom_pow2_case iom_pow2_cases[] = {
	{ 0, 1 }, { 1, 1 }, { 2, 2 }, { 3, 4 }, { 4, 4 }, { 5, 8 },
	{ 1000, 1024 }, { 1024, 1024 }, { 1025, 2048 },
	{ SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1 }, { SIZE_MAX / 2 + 2, 0 },
	{ SIZE_MAX, 0 },
};

static void iom_pow2_desc(const struct iom_pow2_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu", c->n);
}

KUNIT_ARRAY_PARAM(iom_pow2, iom_pow2_cases, iom_pow2_desc);

static void iom_test_nearest_power_two_table(struct kunit *test)
{
	const struct iom_pow2_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, iom_nearest_power_two(c->n), c->want);
}

static void iom_test_stats_track_counts(struct kunit *test)
{
	struct iom_buffer *iomb = test->priv;
	struct iom_stats st;
	u8 buf[8];
	size_t len;

	KUNIT_ASSERT_EQ(test, iom_push(iomb, "abcd", 4, 0), 0);
	KUNIT_ASSERT_EQ(test, iom_push(iomb, "efgh", 4, 0), 0);
	KUNIT_ASSERT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	iom_stats(iomb, &st);
	KUNIT_EXPECT_EQ(test, st.size, IOM_TEST_RING);
	KUNIT_EXPECT_EQ(test, st.used, 5);
	KUNIT_EXPECT_EQ(test, st.peak_used, 10);
	KUNIT_EXPECT_EQ(test, st.chunks, 1);
	KUNIT_EXPECT_EQ(test, st.pushes, 2);
	KUNIT_EXPECT_EQ(test, st.shifts, 1);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 1);
	iom_stats(NULL, &st);
	KUNIT_EXPECT_EQ(test, st.size, 0);
}

/* Seeded random push/shift/drop against a plain array model of the queue. */
static void iom_test_random_matches_model(struct kunit *test)
{
	struct iom_buffer *iomb = iom_create("kunit-rand", 256, IOM_POISON);
	u32 seed = get_random_u32();
	struct { u16 len; u8 seed; } *model;
	unsigned int head = 0, tail = 0, op;
	u8 in[300], out[300];
	size_t len, used = 0;
	int ret, step;

	KUNIT_ASSERT_FALSE(test, IS_ERR(iomb));
	model = kunit_kcalloc(test, 20000, sizeof(*model), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, model);
	kunit_info(test, "seed %u\n", seed);
	for (step = 0; step < 20000; step++) {
		seed = seed * 1103515245 + 12345;
		op = (seed >> 16) % 3;
		len = 1 + ((seed >> 4) % (op ? 200 : 40));
		if (op) {
			fill_pattern(in, len, step);
			ret = iom_push(iomb, in, len, IOM_TAIL_DROP);
			if (used + cookie_len(len) + len > 256) {
				KUNIT_ASSERT_EQ(test, ret, -ENOBUFS);
			} else {
				KUNIT_ASSERT_EQ(test, ret, 0);
				model[tail].len = len;
				model[tail++].seed = step;
				used += cookie_len(len) + len;
			}
		} else {
			ret = iom_shift(iomb, out, &len, sizeof(out));
			if (head == tail) {
				KUNIT_ASSERT_EQ(test, ret, -ENODATA);
				continue;
			}
			KUNIT_ASSERT_EQ(test, ret, 0);
			KUNIT_ASSERT_EQ(test, len, model[head].len);
			fill_pattern(in, len, model[head].seed);
			KUNIT_ASSERT_EQ(test, memcmp(in, out, len), 0);
			used -= cookie_len(len) + len;
			head++;
		}
		KUNIT_ASSERT_EQ(test, iom_used(iomb), used);
		KUNIT_ASSERT_EQ(test, iom_chunks(iomb), tail - head);
		KUNIT_ASSERT_TRUE(test, iom_invariants_ok(iomb));
	}
	iom_reset(iomb);
	iom_destroy(iomb);
}

/* ---- IOM_SPSC ---- */

/* Replace the suite's ring with an IOM_SPSC one, which .exit tears down. */
static struct iom_buffer *iom_spsc_ring(struct kunit *test, size_t size,
					unsigned int flags)
{
	struct iom_buffer *iomb;

	iom_destroy(test->priv);
	test->priv = NULL;
	iomb = iom_create("kunit", size, IOM_SPSC | flags);
	KUNIT_ASSERT_FALSE(test, IS_ERR(iomb));
	test->priv = iomb;
	return iomb;
}

static void iom_test_spsc_flag_accepted(struct kunit *test)
{
	struct iom_buffer *iomb = iom_spsc_ring(test, IOM_TEST_RING, IOM_POISON);
	u8 *buf = kunit_kzalloc(test, IOM_TEST_RING, GFP_KERNEL);
	size_t len;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	fill_pattern(buf, 1022, 1);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 1022, IOM_TAIL_DROP), 0);
	KUNIT_EXPECT_EQ(test, iom_space(iomb), 0);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 1);
	IOM_CHECK(test, iomb);
	memset(buf, 0, IOM_TEST_RING);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, IOM_TEST_RING), 0);
	KUNIT_EXPECT_EQ(test, len, 1022);
	KUNIT_EXPECT_EQ(test, buf[1021], (u8)(31 + 1021 * 7 + 3));
	KUNIT_EXPECT_EQ(test, iom_space(iomb), IOM_TEST_RING);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, IOM_TEST_RING), -ENODATA);
	IOM_CHECK(test, iomb);
}

/* Dropping is the consumer's business: the producer may not. */
static void iom_test_spsc_drop_modes_einval(struct kunit *test)
{
	struct iom_buffer *iomb = iom_spsc_ring(test, IOM_TEST_RING, 0);
	struct iom_snapshot *before = kunit_kzalloc(test, sizeof(*before),
						    GFP_KERNEL);
	u8 *buf = kunit_kzalloc(test, 1000, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, iom_push(iomb, buf, 1000, IOM_TAIL_DROP), 0);
	iom_snap(iomb, before);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 100, IOM_HEAD_DROP), -EINVAL);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 100, IOM_DROP_ALL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 1, IOM_HEAD_DROP), -EINVAL);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 1, IOM_DROP_ALL + 1), -EINVAL);
	iom_expect_unchanged(test, iomb, before,
			     offsetof(struct iom_stats, failures), 4);
	iom_snap(iomb, before);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, buf, 100, IOM_TAIL_DROP), -ENOBUFS);
	iom_expect_unchanged(test, iomb, before,
			     offsetof(struct iom_stats, tail_drops), 1);
}

/* A plain model of the queue: every counter must come out exact. */
static void iom_test_spsc_counters_exact(struct kunit *test)
{
	struct iom_buffer *iomb = iom_spsc_ring(test, IOM_TEST_RING, 0);
	u16 *lens = kunit_kcalloc(test, IOM_TEST_RING / 2, sizeof(*lens),
				  GFP_KERNEL);
	unsigned int i, head = 0, tail = 0, drops = 0;
	u8 *in = kunit_kzalloc(test, 300, GFP_KERNEL);
	u8 *out = kunit_kzalloc(test, 300, GFP_KERNEL);
	size_t len, used = 0, peak = 0;
	struct iom_stats st;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, lens);
	KUNIT_ASSERT_NOT_NULL(test, in);
	KUNIT_ASSERT_NOT_NULL(test, out);
	for (i = 0; i < 3000; i++) {
		len = 1 + (i * 37) % 299;
		fill_pattern(in, len, tail);
		ret = iom_push(iomb, in, len, IOM_TAIL_DROP);
		if (used + len + cookie_len(len) > IOM_TEST_RING) {
			KUNIT_ASSERT_EQ(test, ret, -ENOBUFS);
			drops++;
		} else {
			KUNIT_ASSERT_EQ(test, ret, 0);
			lens[tail++ % (IOM_TEST_RING / 2)] = len;
			used += len + cookie_len(len);
			peak = max(peak, used);
		}
		if (i % 3 && head != tail) {
			KUNIT_ASSERT_EQ(test, iom_shift(iomb, out, &len, 300), 0);
			KUNIT_EXPECT_EQ(test, len, lens[head % (IOM_TEST_RING / 2)]);
			fill_pattern(in, len, head++);
			KUNIT_EXPECT_EQ(test, memcmp(in, out, len), 0);
			used -= len + cookie_len(len);
		}
		KUNIT_ASSERT_EQ(test, iom_used(iomb), used);
		KUNIT_ASSERT_EQ(test, iom_chunks(iomb), tail - head);
		IOM_CHECK(test, iomb);
	}
	iom_stats(iomb, &st);
	KUNIT_EXPECT_EQ(test, st.pushes, tail);
	KUNIT_EXPECT_EQ(test, st.shifts, head);
	KUNIT_EXPECT_EQ(test, st.tail_drops, drops);
	KUNIT_EXPECT_EQ(test, st.chunks, tail - head);
	KUNIT_EXPECT_EQ(test, st.used, used);
	KUNIT_EXPECT_EQ(test, st.peak_used, peak);
	KUNIT_EXPECT_EQ(test, st.failures, 0);
	KUNIT_EXPECT_GT(test, drops, 0);
}

/*
 * iom_alloc() and iom_release() on an SPSC ring: the families still
 * exclude each other, releases go oldest first, an empty ring is not
 * rewound, and a gap before offset 0 goes with the chunk before it, or
 * (skipped while the ring was empty) with the chunk after it.
 */
static void iom_test_spsc_alloc_release(struct kunit *test)
{
	struct iom_buffer *iomb = iom_spsc_ring(test, IOM_TEST_RING, IOM_POISON);
	u8 *a, *b, *c, *d, buf[8];
	struct iom_stats st;
	size_t len;

	a = iom_alloc(iomb, 300);
	b = iom_alloc(iomb, 300);
	c = iom_alloc(iomb, 300);
	KUNIT_ASSERT_PTR_EQ(test, a, iomb->ring + 2);
	KUNIT_ASSERT_PTR_EQ(test, c, iomb->ring + 606);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "q", 1, IOM_TAIL_DROP), -EBUSY);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), -EBUSY);
	KUNIT_EXPECT_EQ(test, iom_peek_update(iomb), -EBUSY);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, b), -EINVAL);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a), 0);
	/* 118 bytes left before the end: d skips them and takes offset 0. */
	d = iom_alloc(iomb, 300);
	KUNIT_EXPECT_PTR_EQ(test, d, iomb->ring + 2);
	KUNIT_EXPECT_EQ(test, iom_space(iomb), 0);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, b), 0);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, c), 0);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 302);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, d), 0);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 0);
	IOM_CHECK(test, iomb);
	/* Empty at offset 302: no rewind to 0. */
	a = iom_alloc(iomb, 700);
	KUNIT_EXPECT_PTR_EQ(test, a, iomb->ring + 304);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a), 0);
	/* Empty at offset 1004: b skips 20 bytes while nothing is queued. */
	b = iom_alloc(iomb, 100);
	KUNIT_EXPECT_PTR_EQ(test, b, iomb->ring + 1);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 121);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, b), 0);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 0);
	/* Empty: the other family may start. */
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "q", 1, IOM_TAIL_DROP), 0);
	KUNIT_EXPECT_NULL(test, iom_alloc(iomb, 1));
	KUNIT_EXPECT_EQ(test, iom_release(iomb, iomb->ring + 1), -EBUSY);
	IOM_CHECK(test, iomb);
	iom_stats(iomb, &st);
	KUNIT_EXPECT_EQ(test, st.allocs, 6);
	KUNIT_EXPECT_EQ(test, st.releases, 6);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 2);
	KUNIT_EXPECT_EQ(test, st.failures, 2);
	KUNIT_EXPECT_EQ(test, st.corruptions, 0);
}

/* The hardening holds: damaged cookies are cut off or reported. */
static void iom_test_spsc_damaged_cookie_handled(struct kunit *test)
{
	struct iom_buffer *iomb = iom_spsc_ring(test, IOM_TEST_RING, IOM_POISON);
	struct iom_stats st;
	u8 buf[16], *a, *b;
	size_t len;
	int k;

	for (k = 0; k < 3; k++)
		KUNIT_ASSERT_EQ(test, iom_push(iomb, "0123456789", 10,
					       IOM_TAIL_DROP), 0);
	ap_kasan_write_u8(&iomb->ring[11], 100);	/* the second cookie */
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), -ENODATA);
	iom_stats(iomb, &st);
	KUNIT_EXPECT_EQ(test, st.corruptions, 1);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 1);
	KUNIT_EXPECT_EQ(test, st.head_drops, 2);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 0);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 0);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "abc", 3, IOM_TAIL_DROP), 0);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, len, 3);
	/* Written after it was shifted: the next push finds the poison broken. */
	ap_kasan_write_u8(&iomb->ring[ring_off(iomb, iomb->in) + 5], 0);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "0123456789", 10, IOM_TAIL_DROP), -EIO);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "0123456789", 10, IOM_TAIL_DROP), 0);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	/* iom_alloc() chunks: a release goes by the chunk map, not the cookie. */
	a = iom_alloc(iomb, 10);
	b = iom_alloc(iomb, 10);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	ap_kasan_write_u8(b - 1, 0x7f);	/* a overflowed into b's cookie */
	KUNIT_EXPECT_EQ(test, iom_release(iomb, a), 0);
	KUNIT_EXPECT_EQ(test, iom_release(iomb, b), 0);
	iom_stats(iomb, &st);
	KUNIT_EXPECT_EQ(test, st.corruptions, 3);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 3);
	KUNIT_EXPECT_EQ(test, st.failures, 1);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 0);
	IOM_CHECK(test, iomb);
}

/* Reset and the iterators, with both sides kept out, as the flag requires. */
static void iom_test_spsc_reset_and_iter(struct kunit *test)
{
	struct iom_buffer *iomb = iom_spsc_ring(test, IOM_TEST_RING, 0);
	struct iom_iter it;
	u8 buf[16];
	size_t len;
	int i;

	for (i = 1; i <= 5; i++) {
		memset(buf, i, i);
		KUNIT_ASSERT_EQ(test, iom_push(iomb, buf, i, IOM_TAIL_DROP), 0);
	}
	iom_iter_init(iomb, &it);
	for (i = 1; i <= 5; i++) {
		KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len,
						    sizeof(buf)), 0);
		KUNIT_EXPECT_EQ(test, len, i);
	}
	KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len, sizeof(buf)),
			-ENODATA);
	iom_iter_init(iomb, &it);
	KUNIT_ASSERT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len, sizeof(buf)),
			-EAGAIN);
	iom_iter_init(iomb, &it);
	KUNIT_ASSERT_EQ(test, iom_push(iomb, "x", 1, IOM_TAIL_DROP), 0);
	KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len, sizeof(buf)),
			-EAGAIN);
	/* An iterator cuts the queue at a damaged cookie: 2 of 5 kept. */
	ap_kasan_write_u8(&iomb->ring[ring_off(iomb, iomb->out) + 7], 100);
	iom_iter_init(iomb, &it);
	KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, iom_iter_next(iomb, &it, buf, &len, sizeof(buf)),
			-ENODATA);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 2);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 3 + 4);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "yz", 2, IOM_TAIL_DROP), 0);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 3);
	iom_reset(iomb);
	KUNIT_EXPECT_EQ(test, iom_chunks(iomb), 0);
	KUNIT_EXPECT_EQ(test, iom_space(iomb), IOM_TEST_RING);
	IOM_CHECK(test, iomb);
	KUNIT_EXPECT_EQ(test, iom_push(iomb, "abc", 3, IOM_TAIL_DROP), 0);
	KUNIT_EXPECT_EQ(test, iom_shift(iomb, buf, &len, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, len, 3);
	iom_reset_secure(iomb);
	KUNIT_EXPECT_EQ(test, iom_used(iomb), 0);
	IOM_CHECK(test, iomb);
}

static struct kunit_case iom_test_cases[] = {
	KUNIT_CASE_PARAM(iom_test_create_rejects_bad_args, iom_bad_create_gen_params),
	KUNIT_CASE(iom_test_create_accepts_limits),
	KUNIT_CASE(iom_test_create_duplicate_name_eexist),
	KUNIT_CASE(iom_test_destroy_null_and_err_are_noops),
	KUNIT_CASE(iom_test_destroy_with_live_chunks_frees_them),
	KUNIT_CASE_PARAM(iom_test_push_cookie_sizes_at_boundaries, iom_cookie_gen_params),
	KUNIT_CASE(iom_test_push_too_long_emsgsize),
	KUNIT_CASE(iom_test_push_1022_fills_1024),
	KUNIT_CASE(iom_test_push_512_one_byte_chunks),
	KUNIT_CASE(iom_test_push_wraps_at_every_offset),
	KUNIT_CASE(iom_test_push_tail_drop_refuses),
	KUNIT_CASE(iom_test_push_head_drop_drops_oldest),
	KUNIT_CASE(iom_test_push_drop_all_empties_first),
	KUNIT_CASE(iom_test_push_bad_input_changes_nothing),
	KUNIT_CASE(iom_test_shift_empty_enodata),
	KUNIT_CASE(iom_test_shift_small_buffer_keeps_chunk),
	KUNIT_CASE(iom_test_peek_update_drops_oldest),
	KUNIT_CASE(iom_test_alloc_release_in_order),
	KUNIT_CASE(iom_test_alloc_never_wraps),
	KUNIT_CASE(iom_test_release_bad_pointers_rejected),
	KUNIT_CASE(iom_test_alloc_write_after_release_caught),
	KUNIT_CASE(iom_test_queue_damaged_cookie_cut_off),
	KUNIT_CASE(iom_test_families_exclusive_ebusy),
	KUNIT_CASE(iom_test_iter_walks_in_order),
	KUNIT_CASE(iom_test_iter_notices_change),
	KUNIT_CASE(iom_test_reset_empties),
	KUNIT_CASE(iom_test_mainly_empty_rewinds),
	KUNIT_CASE(iom_test_poison_catches_write_after_free),
	KUNIT_CASE(iom_test_drop_all_poison_stale_reuse),
	KUNIT_CASE(iom_test_reset_repoisons_alloc_chunks),
	KUNIT_CASE(iom_test_push_refused_while_wiping),
	KUNIT_CASE(iom_test_reset_secure_large_ring),
	KUNIT_CASE_PARAM(iom_test_any_context_calls, iom_ctx_gen_params),
	KUNIT_CASE_PARAM(iom_test_nearest_power_two_table, iom_pow2_gen_params),
	KUNIT_CASE(iom_test_stats_track_counts),
	KUNIT_CASE(iom_test_random_matches_model),
	KUNIT_CASE(iom_test_spsc_flag_accepted),
	KUNIT_CASE(iom_test_spsc_drop_modes_einval),
	KUNIT_CASE(iom_test_spsc_counters_exact),
	KUNIT_CASE(iom_test_spsc_alloc_release),
	KUNIT_CASE(iom_test_spsc_damaged_cookie_handled),
	KUNIT_CASE(iom_test_spsc_reset_and_iter),
	{}
};

static struct kunit_suite iom_test_suite = {
	.name = "allocpools_iom",
	.init = iom_test_init,
	.exit = iom_test_exit,
	.test_cases = iom_test_cases,
};

kunit_test_suites(&iom_test_suite);
