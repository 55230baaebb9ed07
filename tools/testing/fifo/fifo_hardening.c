// SPDX-License-Identifier: GPL-2.0
/*
 * fifo_hardening.c - what a buggy client or a failing allocation does to a
 * FIFO ring: cookies and gap markers overwritten as a use-after-free or an
 * overflow would (each case found, counted, cut off or gone around, and
 * the ring serving on), every allocation iom_create() makes failing in turn
 * (-ENOMEM, nothing leaked), and every size up to SIZE_MAX (-EINVAL with a
 * message, never a WARN or an allocation the kernel would warn about).
 */
#include "../../../mempool_fifo.c"

#include "fifo_check.h"

static const u8 ten[10] = "0123456789";

static struct iom_buffer *three_chunks(unsigned int flags)
{
	struct iom_buffer *iomb = iom_create("hard", 256, flags);
	int k;

	CHECK(!IS_ERR(iomb));
	for (k = 0; k < 3; k++)
		CHECK(iom_push(iomb, ten, sizeof(ten), IOM_TAIL_DROP) == 0);
	return iomb;
}

/* The ring goes on: a push and a shift of fresh data work. */
static void serves(struct iom_buffer *iomb)
{
	u8 buf[16];
	size_t len;

	CHECK(iom_push(iomb, ten, 7, IOM_TAIL_DROP) == 0);
	CHECK(iom_shift(iomb, buf, &len, sizeof(buf)) == 0);
	CHECK(len == 7 && !memcmp(buf, ten, 7));
	CHECK(iom_invariants_ok(iomb));
}

static void queue_cookies(unsigned int flags)
{
	struct iom_buffer *iomb;
	struct iom_iter it;
	u8 buf[64];
	size_t len;

	/* the oldest cookie says more than is queued: out would pass in */
	iomb = three_chunks(flags);
	ap_kasan_write_u8(&iomb->ring[0], 100);
	CHECK(iom_shift(iomb, buf, &len, sizeof(buf)) == -ENODATA);
	CHECK(iomb->corruptions == 1 && iomb->invalid_frees == 1);
	CHECK(iom_chunks(iomb) == 0 && iom_used(iomb) == 0);
	serves(iomb);
	iom_destroy(iomb);

	/* a zeroed cookie behind a sound chunk: a peek cuts it off */
	iomb = three_chunks(flags);
	ap_kasan_write_u8(&iomb->ring[11], 0);
	CHECK(iom_shift(iomb, buf, &len, sizeof(buf)) == 0 && len == 10);
	CHECK(iom_peek(iomb, buf, &len, sizeof(buf)) == -ENODATA);
	CHECK(iomb->corruptions == 1 && iom_chunks(iomb) == 0);
	serves(iomb);
	iom_destroy(iomb);

	/* the last cookie must end at in: one byte too long is caught */
	iomb = three_chunks(flags);
	ap_kasan_write_u8(&iomb->ring[22], 11);
	iom_iter_init(iomb, &it);
	CHECK(iom_iter_next(iomb, &it, buf, &len, sizeof(buf)) == 0);
	CHECK(iom_iter_next(iomb, &it, buf, &len, sizeof(buf)) == 0);
	CHECK(iom_iter_next(iomb, &it, buf, &len, sizeof(buf)) == -ENODATA);
	CHECK(iomb->corruptions == 1 && iom_chunks(iomb) == 2);
	CHECK(iom_used(iomb) == 22 && iom_invariants_ok(iomb));
	CHECK(iom_shift(iomb, buf, &len, sizeof(buf)) == 0 && len == 10);
	CHECK(iom_shift(iomb, buf, &len, sizeof(buf)) == 0 && len == 10);
	serves(iomb);
	iom_destroy(iomb);

	/* iom_peek_update() and a head drop read cookies too */
	iomb = three_chunks(flags);
	ap_kasan_write_u8(&iomb->ring[0], 0xff);	/* a two-byte cookie: 32 KiB */
	CHECK(iom_peek_update(iomb) == -ENODATA);
	CHECK(iomb->corruptions == 1 && iom_chunks(iomb) == 0);
	serves(iomb);
	while (iom_push(iomb, ten, sizeof(ten), IOM_TAIL_DROP) == 0)
		;
	ap_kasan_write_u8(&iomb->ring[ring_off(iomb, iomb->out)], 0);
	CHECK(iom_push(iomb, ten, sizeof(ten), IOM_HEAD_DROP) == 0);
	CHECK(iomb->corruptions == 2 && iom_chunks(iomb) == 1);
	CHECK(iom_shift(iomb, buf, &len, sizeof(buf)) == 0 && len == 10);
	serves(iomb);
	iom_destroy(iomb);
}

static void alloc_cookies(unsigned int flags)
{
	struct iom_buffer *iomb = iom_create("hard", 64, flags);
	u8 *a, *b, *c, *d;

	CHECK(!IS_ERR(iomb));
	/* a's overflow rewrites b's cookie: 127 would free c's bytes too */
	a = iom_alloc(iomb, 10);
	b = iom_alloc(iomb, 10);
	c = iom_alloc(iomb, 10);
	CHECK(a && b && c);
	a[10] = 127;
	CHECK(iom_release(iomb, a) == 0);
	CHECK(iom_release(iomb, b) == 0);
	CHECK(iomb->corruptions == 1);
	d = iom_alloc(iomb, 40);
	CHECK(!d || d + 40 <= c || d >= c + 10);
	CHECK(iom_release(iomb, c) == 0);
	CHECK(iom_release(iomb, d) == 0);
	CHECK(iom_chunks(iomb) == 0 && iom_used(iomb) == 0);
	CHECK(iom_invariants_ok(iomb));

	/* b's overflow rewrites the gap marker after it */
	a = iom_alloc(iomb, 40);	/* [0, 41) */
	b = iom_alloc(iomb, 10);	/* [41, 52), a gap [52, 64) to come */
	CHECK(a && b && iom_release(iomb, a) == 0);
	c = iom_alloc(iomb, 20);	/* [0, 21) */
	CHECK(c == iomb->ring + 1);
	ap_kasan_write_u8(&b[10], 5);
	CHECK(iom_release(iomb, b) == 0);
	CHECK(iomb->corruptions == 2 && iom_used(iomb) == 21);
	CHECK(iom_release(iomb, c) == 0);
	CHECK(iom_chunks(iomb) == 0 && iom_invariants_ok(iomb));
	a = iom_alloc(iomb, 62);
	CHECK(a && iom_release(iomb, a) == 0);
	iom_destroy(iomb);
}

static unsigned long fail_at, fail_count;

static bool fail_nth(size_t size)
{
	return ++fail_count == fail_at;
}

static void create_faults(size_t size, unsigned int flags)
{
	long live = ap_shim_live_allocs;
	struct iom_buffer *iomb;

	for (fail_at = 1;; fail_at++) {
		fail_count = 0;
		ap_shim_fail_hook = fail_nth;
		iomb = iom_create("faulty", size, flags);
		ap_shim_fail_hook = NULL;
		if (!IS_ERR(iomb))
			break;
		CHECK(PTR_ERR(iomb) == -ENOMEM);
		CHECK(ap_shim_live_allocs == live);
	}
	CHECK(fail_at > 3);	/* the struct, the ring, the chunk map */
	CHECK(iom_alloc(iomb, 10) && iom_chunks(iomb) == 1);
	iom_reset(iomb);
	CHECK(iom_push(iomb, ten, 10, IOM_TAIL_DROP) == 0);
	iom_destroy(iomb);
	CHECK(ap_shim_live_allocs == live);
}

static void create_sizes(void)
{
	unsigned long warns = ap_shim_nr_warn;
	size_t n, sizes[4];
	unsigned int k, j;
	void *iomb;

	for (k = 0; k < 64; k++) {
		n = (size_t)1 << k;
		sizes[0] = n;
		sizes[1] = n - 1;
		sizes[2] = n + 1;
		sizes[3] = SIZE_MAX - n + 1;
		for (j = 0; j < 4; j++) {
			bool good = is_power_of_2(sizes[j]) &&
				    sizes[j] >= IOM_MIN_SIZE &&
				    sizes[j] <= IOM_MAX_SIZE;

			if (good && sizes[j] > SZ_1M)
				continue;	/* not worth the memory here */
			iomb = iom_create("sized", sizes[j], 0);
			if (good) {
				CHECK(!IS_ERR(iomb));
				iom_destroy(iomb);
			} else {
				CHECK(PTR_ERR(iomb) == -EINVAL);
				CHECK(ap_shim_nr_warn > warns);
				warns = ap_shim_nr_warn;
			}
		}
	}
	CHECK(PTR_ERR(iom_create("sized", SIZE_MAX, 0)) == -EINVAL);
	CHECK(iom_nearest_power_two(SIZE_MAX) == 0);
}

int main(void)
{
	static const unsigned int flags[] = {
		0, IOM_POISON, IOM_MAINLY_EMPTY, IOM_POISON | IOM_MAINLY_EMPTY,
	};
	unsigned int f;

	ap_shim_quiet = 2;	/* count reports, print none */
	for (f = 0; f < ARRAY_SIZE(flags); f++) {
		queue_cookies(flags[f]);
		alloc_cookies(flags[f]);
		create_faults(64, flags[f]);
		create_faults(SZ_1M, flags[f]);
	}
	/* a chunk map past KMALLOC_MAX_SIZE: kvzalloc() goes to vmalloc() */
	create_faults(64UL << 20, 0);
	create_sizes();
	CHECK(ap_shim_nr_WARN == 0);
	printf("fifo_hardening: damaged cookies caught, create faults and sizes refused\n");
	return 0;
}
