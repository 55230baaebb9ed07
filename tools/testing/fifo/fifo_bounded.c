// SPDX-License-Identifier: GPL-2.0
/*
 * fifo_bounded.c - what the FIFO does under its raw lock does not grow with
 * the ring.  On a 16 MiB ring, the drop modes (IOM_DROP_ALL, IOM_HEAD_DROP)
 * called in hard IRQ and the resets called from a task never fill, copy or
 * compare more than 64 KiB with the lock held: the shim aborts if they do,
 * as it does on a spinlock_t in hard IRQ.  Then: what the pool dropped
 * without poisoning it is never reported as damage and never handed out
 * unpoisoned, while damage to the poisoned free space still is reported and
 * counted in corruptions, which the stats file shows; and a push that races
 * iom_reset_secure() is refused, never wiped after it succeeded.
 *
 * Usage: fifo_bounded [TEST] (no randomness: every run is the same); TEST
 * runs one of the tests named in main() alone.
 */
#include "../../../mempool_fifo.c"

#define BIG_RING	SZ_16M

#include "fifo_check.h"

static u8 buf[IOM_MAX_CHUNK];

/* A push as an interrupt handler would make it. */
static int irq_push(struct iom_buffer *iomb, size_t len, u8 tag,
		    unsigned int mode)
{
	int ret;

	memset(buf, tag, len);
	ap_shim_hardirq_enter();
	ret = iom_push(iomb, buf, len, mode);
	ap_shim_hardirq_exit();
	return ret;
}

static int irq_shift(struct iom_buffer *iomb, size_t *len)
{
	int ret;

	ap_shim_hardirq_enter();
	ret = iom_shift(iomb, buf, len, sizeof(buf));
	ap_shim_hardirq_exit();
	return ret;
}

/* Push @len-byte chunks until the ring refuses one; returns how many. */
static size_t fill_ring(struct iom_buffer *iomb, size_t len)
{
	size_t n = 0;

	while (irq_push(iomb, len, (u8)n, IOM_TAIL_DROP) == 0)
		n++;
	CHECK(iomb->tail_drops > 0);
	return n;
}

static bool all(const u8 *p, size_t len, u8 c)
{
	return !memchr_inv(p, c, len);
}

/*
 * IOM_DROP_ALL and IOM_HEAD_DROP on a full 16 MiB ring from hard IRQ; then
 * pushes all around the ring over the dropped bytes, and an allocation.
 */
static void drops_in_hardirq(unsigned int flags)
{
	struct iom_buffer *iomb = iom_create("big", BIG_RING, flags);
	size_t n, len, i;
	u8 *chunk;

	CHECK(!IS_ERR(iomb));
	n = fill_ring(iomb, IOM_MAX_CHUNK);
	CHECK(n == BIG_RING / (IOM_MAX_CHUNK + 3));

	/* All n chunks go at once; nothing is filled under the lock. */
	CHECK(irq_push(iomb, IOM_MAX_CHUNK, 0xd1, IOM_DROP_ALL) == 0);
	CHECK(iomb->head_drops == n && iom_chunks(iomb) == 1);
	CHECK(iom_invariants_ok(iomb));

	/* Round the ring twice over the dropped bytes: no false alarm. */
	for (i = 0; i < 2 * n; i++) {
		CHECK(irq_push(iomb, IOM_MAX_CHUNK, (u8)i, IOM_HEAD_DROP) == 0);
		CHECK(iomb->corruptions == 0);
	}
	CHECK(iom_invariants_ok(iomb));
	CHECK(irq_shift(iomb, &len) == 0);
	/* the last n pushes are queued, the oldest of them shifted */
	CHECK(len == IOM_MAX_CHUNK && all(buf, len, (u8)n));

	/* Empty it by dropping, then allocate: poison, no dropped data. */
	fill_ring(iomb, IOM_MAX_CHUNK);
	CHECK(irq_push(iomb, IOM_MAX_CHUNK, 0xd2, IOM_DROP_ALL) == 0);
	CHECK(iom_peek_update(iomb) == 0 && iom_chunks(iomb) == 0);
	ap_shim_hardirq_enter();
	chunk = iom_alloc(iomb, IOM_MAX_CHUNK);
	ap_shim_hardirq_exit();
	CHECK(chunk);
	if (flags & IOM_POISON)
		CHECK(all(chunk, IOM_MAX_CHUNK, POISON_FREE));
	CHECK(iom_release(iomb, chunk) == 0);
	CHECK(iom_invariants_ok(iomb));
	CHECK(iomb->corruptions == 0 && iomb->invalid_frees == 0);
	iom_destroy(iomb);
}

/* IOM_HEAD_DROP of a 65535-byte chunk drops tens of thousands of tiny ones. */
static void head_drop_many(void)
{
	struct iom_buffer *iomb = iom_create("many", SZ_1M, IOM_POISON);
	size_t n, len;

	CHECK(!IS_ERR(iomb));
	n = fill_ring(iomb, 1);
	CHECK(n == SZ_1M / 2);
	CHECK(irq_push(iomb, IOM_MAX_CHUNK, 0xee, IOM_HEAD_DROP) == 0);
	CHECK(iomb->head_drops == (IOM_MAX_CHUNK + 3 + 1) / 2);
	CHECK(iom_invariants_ok(iomb));
	CHECK(irq_shift(iomb, &len) == 0 && len == 1 &&
	      buf[0] == (u8)iomb->head_drops);
	CHECK(iomb->corruptions == 0);
	iom_destroy(iomb);
}

/* The resets of a full 16 MiB ring, from a task. */
static void resets_in_task(void)
{
	struct iom_buffer *p = iom_create("big-poison", BIG_RING, IOM_POISON);
	struct iom_buffer *z = iom_create("big-zero", BIG_RING, 0);
	unsigned long ops;
	u8 *chunk;
	size_t n;

	CHECK(!IS_ERR(p) && !IS_ERR(z));
	/* iom_reset() takes back chunks that clients held: poisoned again. */
	for (n = 0; (chunk = iom_alloc(p, IOM_MAX_CHUNK)); n++)
		memset(chunk, 0x11, IOM_MAX_CHUNK);
	CHECK(n == BIG_RING / (IOM_MAX_CHUNK + 3));
	ops = ap_shim_lock_ops;
	iom_reset(p);
	CHECK(ap_shim_lock_ops - ops == 2);	/* empty, then end the wipe */
	CHECK(iom_chunks(p) == 0 && !(p->flags & IOM_WIPING));
	CHECK(p->stale_len == 0 && all(p->ring, BIG_RING, POISON_FREE));

	/* iom_reset() of a queue: O(1), the bytes become stale. */
	fill_ring(p, 4000);
	iom_reset(p);
	CHECK(iom_chunks(p) == 0 && p->stale_len > BIG_RING - 4003);
	CHECK(iom_invariants_ok(p));

	/* iom_reset_secure(): the whole ring, poison or zero. */
	fill_ring(p, 4000);
	iom_reset_secure(p);
	CHECK(p->stale_len == 0 && all(p->ring, BIG_RING, POISON_FREE));
	CHECK(iom_invariants_ok(p));
	fill_ring(z, 4000);
	iom_reset_secure(z);
	CHECK(iom_chunks(z) == 0 && all(z->ring, BIG_RING, 0));
	CHECK(p->corruptions == 0 && z->corruptions == 0);
	iom_destroy(p);
	iom_destroy(z);
}

static void show_stats(struct iom_buffer *iomb, struct seq_file *m)
{
	memset(m, 0, sizeof(*m));
	CHECK(iom_stats_show(m, &iomb->ap) == 0);
}

/*
 * Damage to poisoned free bytes is reported, counted as a corruption and
 * shown right after invalid_frees; stale bytes are not checked.
 */
static void corruption_counted(void)
{
	struct iom_buffer *iomb = iom_create("damage", 4096, IOM_POISON);
	unsigned long errs = ap_shim_nr_err;
	struct iom_stats st;
	struct seq_file m;
	size_t len;

	CHECK(!IS_ERR(iomb));
	CHECK(irq_push(iomb, 100, 1, IOM_TAIL_DROP) == 0);
	CHECK(irq_shift(iomb, &len) == 0);
	ap_kasan_write_u8(&iomb->ring[150], 0);	/* written after it was shifted */
	CHECK(irq_push(iomb, 100, 2, IOM_TAIL_DROP) == -EIO);
	CHECK(ap_shim_nr_err == errs + 1);
	iom_stats(iomb, &st);
	CHECK(st.corruptions == 1 && st.invalid_frees == 1 && st.failures == 1);
	show_stats(iomb, &m);
	CHECK(strstr(m.buf, "\ninvalid_frees: 1\ncorruptions: 1\n"));
	free(m.buf);
	CHECK(iom_invariants_ok(iomb));

	/* Fill the ring and drop it all: those bytes are stale now. */
	while (irq_push(iomb, 1000, 3, IOM_TAIL_DROP) == 0)
		;
	CHECK(irq_push(iomb, 100, 4, IOM_DROP_ALL) == 0);
	CHECK(iomb->head_drops == 4);
	CHECK(iomb->stale_len > 0);
	ap_kasan_write_u8(&iomb->ring[ring_off(iomb, iomb->stale)], 0x77);
	CHECK(iom_invariants_ok(iomb));
	while (irq_push(iomb, 1000, 5, IOM_HEAD_DROP) == 0 &&
	       iomb->head_drops < 20)
		;
	CHECK(iomb->corruptions == 1 && ap_shim_nr_err == errs + 1);
	iom_destroy(iomb);
}

/*
 * iom_reset_secure() writes the ring with the lock dropped: a push
 * meanwhile is refused, so nothing it queued can be wiped afterwards.
 */
static void wipe_refuses_pushes(void)
{
	struct iom_buffer *iomb = iom_create("wipe", 1024, IOM_POISON);
	unsigned long flags;
	size_t len;

	CHECK(!IS_ERR(iomb));
	raw_spin_lock_irqsave(&iomb->lock, flags);
	wipe_begin_locked(iomb);
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	CHECK(irq_push(iomb, 10, 1, IOM_TAIL_DROP) == -EBUSY);
	CHECK(irq_push(iomb, 10, 1, IOM_DROP_ALL) == -EBUSY);
	ap_shim_hardirq_enter();
	CHECK(!iom_alloc(iomb, 10));
	CHECK(iom_shift(iomb, buf, &len, sizeof(buf)) == -ENODATA);
	ap_shim_hardirq_exit();
	CHECK(iomb->failures == 3 && iom_chunks(iomb) == 0);
	wipe_end(iomb);
	CHECK(irq_push(iomb, 10, 1, IOM_TAIL_DROP) == 0);
	iom_reset(iomb);
	iom_destroy(iomb);
}

struct race {
	struct iom_buffer *iomb;
	bool stop;
	unsigned long pushed, refused;
};

/* Push a tagged chunk and shift it back, as hard-IRQ code would. */
static void *race_pusher(void *arg)
{
	struct race *r = arg;
	u8 in[64], out[64];
	size_t len;
	unsigned int tag = 0;
	int ret;

	ap_shim_hardirq_enter();
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		memset(in, ++tag, sizeof(in));
		ret = iom_push(r->iomb, in, sizeof(in), IOM_TAIL_DROP);
		if (ret == -EBUSY) {
			r->refused++;
			continue;
		}
		CHECK(ret == 0);
		r->pushed++;
		/* A reset may have dropped it, never overwritten it. */
		ret = iom_shift(r->iomb, out, &len, sizeof(out));
		CHECK(ret == -ENODATA ||
		      (ret == 0 && len == sizeof(in) && !memcmp(in, out, len)));
	}
	ap_shim_hardirq_exit();
	return NULL;
}

static void wipe_races_pushes(void)
{
	struct race r = { .iomb = iom_create("race", 4 * BIG_RING, IOM_POISON) };
	pthread_t t;
	int i;

	CHECK(!IS_ERR(r.iomb));
	CHECK(pthread_create(&t, NULL, race_pusher, &r) == 0);
	for (i = 0; i < 8; i++)
		iom_reset_secure(r.iomb);
	__atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(iom_invariants_ok(r.iomb) && r.iomb->corruptions == 0);
	printf("fifo_bounded: %lu pushes raced 8 wipes of a 64 MiB ring, %lu refused\n",
	       r.pushed, r.refused);
	iom_destroy(r.iomb);
}

static void drops_in_hardirq_all(void)
{
	drops_in_hardirq(0);
	drops_in_hardirq(IOM_POISON);
	drops_in_hardirq(IOM_POISON | IOM_MAINLY_EMPTY);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "drops_in_hardirq", drops_in_hardirq_all },
	{ "head_drop_many", head_drop_many },
	{ "resets_in_task", resets_in_task },
	{ "corruption_counted", corruption_counted },
	{ "wipe_refuses_pushes", wipe_refuses_pushes },
	{ "wipe_races_pushes", wipe_races_pushes },
};

int main(int argc, char **argv)
{
	unsigned int i, ran = 0;

	ap_shim_quiet = 2;	/* count reports, print none */
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		if (argc > 1 && strcmp(argv[1], tests[i].name))
			continue;
		tests[i].fn();
		ran++;
	}
	CHECK(ran > 0);
	CHECK(ap_shim_nr_WARN == 0);
	printf("fifo_bounded: %u tests passed, the lock held for bounded work\n",
	       ran);
	return 0;
}
