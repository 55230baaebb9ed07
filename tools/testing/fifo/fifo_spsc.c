// SPDX-License-Identifier: GPL-2.0
/*
 * fifo_spsc.c - IOM_SPSC rings driven from two threads at once, as the
 * flag promises kfifo's contract: a producer pushes chunks of seeded random
 * length (cookies of one, two and three bytes, wrapping around the ring),
 * each carrying its sequence number and a pattern made from it, and
 * allocates chunks likewise, mailing their addresses through a second SPSC
 * ring; a consumer checks every chunk whole and in order and releases the
 * allocated ones oldest first; a third thread reads the statistics
 * meanwhile (a snapshot, which must stay within what a ring can hold).
 * Once both are done every counter must be exact.
 *
 * Built twice: fifo_spsc under ASan and UBSan, fifo_spsc_tsan under
 * ThreadSanitizer, which reports any byte one side reads that the other
 * wrote without a release/acquire pair in between (the shim's
 * smp_store_release() and smp_load_acquire() are C11 atomics, READ_ONCE()
 * and WRITE_ONCE() relaxed ones, as KCSAN counts them).  The seed picks
 * the lengths; pass one to replay them (the interleaving is the
 * scheduler's).
 */
#include "../../../mempool_fifo.c"

#include <sched.h>
#include <time.h>

#include "fifo_check.h"

#define TARGET		400000UL	/* chunks each way, unless time runs out */
#define SECONDS		3.0		/* producing, per run */
#define LONGEST		40000		/* a three-byte cookie now and then */

struct run {
	struct iom_buffer *queue, *arena, *mail;
	unsigned int seed;
	/* the producer's */
	unsigned long sent, allocated, full, arena_full;
	/* the consumer's */
	unsigned long received, released;
	int produced, consumed;		/* done flags, release/acquire */
};

static unsigned int mix(unsigned int x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	return x ^ (x >> 16);
}

static size_t queue_len(const struct run *r, unsigned long seq)
{
	unsigned int h = mix(r->seed ^ mix(seq));

	if (!(h % 97))
		return 32768 + h % (LONGEST - 32768);
	return sizeof(u32) + h % 700;
}

static size_t arena_len(const struct run *r, unsigned long seq)
{
	return sizeof(u32) + mix(~r->seed ^ mix(seq)) % 600;
}

static void stamp(u8 *p, size_t len, unsigned long seq)
{
	u32 s = seq;

	memcpy(p, &s, sizeof(s));
	memset(p + sizeof(s), (u8)(seq * 7), len - sizeof(s));
}

static bool intact(const u8 *p, size_t len, unsigned long seq)
{
	u32 s = seq;

	return !memcmp(p, &s, sizeof(s)) &&
	       !memchr_inv(p + sizeof(s), (u8)(seq * 7), len - sizeof(s));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *producer(void *arg)
{
	static u8 buf[LONGEST];
	struct run *r = arg;
	double end = now() + SECONDS;
	unsigned long i;
	size_t len;
	bool moved;
	u8 *p;
	int ret;

	for (i = 0; r->sent < TARGET || r->allocated < TARGET; i++) {
		if (!(i % 1024) && now() > end)
			break;
		moved = false;
		if (r->sent < TARGET) {
			len = queue_len(r, r->sent);
			stamp(buf, len, r->sent);
			ret = iom_push(r->queue, buf, len, IOM_TAIL_DROP);
			if (!ret)
				r->sent++;
			else if (ret == -ENOBUFS)
				r->full++;
			else
				FAIL("push %lu: %d", r->sent, ret);
			moved |= !ret;
		}
		if (r->allocated < TARGET) {
			len = arena_len(r, r->allocated);
			p = iom_alloc(r->arena, len);
			if (p) {
				stamp(p, len, r->allocated++);
				/* the mail ring holds more addresses than the arena chunks */
				CHECK(iom_push(r->mail, &p, sizeof(p), IOM_TAIL_DROP) == 0);
				moved = true;
			} else {
				r->arena_full++;
			}
		}
		if (!moved)
			sched_yield();
	}
	__atomic_store_n(&r->produced, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *consumer(void *arg)
{
	static u8 buf[LONGEST];
	struct run *r = arg;
	bool done, moved;
	size_t len;
	u8 *p;
	int ret;

	for (;;) {
		done = __atomic_load_n(&r->produced, __ATOMIC_ACQUIRE);
		moved = false;
		ret = iom_shift(r->queue, buf, &len, sizeof(buf));
		if (!ret) {
			if (len != queue_len(r, r->received) ||
			    !intact(buf, len, r->received))
				FAIL("chunk %lu: %zu bytes, damaged or out of order",
				     r->received, len);
			r->received++;
			moved = true;
		} else if (ret != -ENODATA) {
			FAIL("shift %lu: %d", r->received, ret);
		}
		ret = iom_shift(r->mail, &p, &len, sizeof(p));
		if (!ret) {
			CHECK(len == sizeof(p));
			if (!intact(p, arena_len(r, r->released), r->released))
				FAIL("allocated chunk %lu damaged", r->released);
			CHECK(iom_release(r->arena, p) == 0);
			r->released++;
			moved = true;
		} else if (ret != -ENODATA) {
			FAIL("mail shift %lu: %d", r->released, ret);
		}
		if (!moved) {
			if (done)
				break;
			sched_yield();
		}
	}
	__atomic_store_n(&r->consumed, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Beside both sides: a snapshot, within bounds, counters never going back. */
static void *watcher(void *arg)
{
	struct run *r = arg;
	struct iom_stats st, last = { 0 };
	size_t used, chunks;

	while (!__atomic_load_n(&r->consumed, __ATOMIC_ACQUIRE)) {
		iom_stats(r->queue, &st);
		CHECK(st.used <= st.size && st.peak_used <= st.size);
		CHECK(2 * st.chunks <= st.used);
		CHECK(st.pushes >= last.pushes && st.shifts >= last.shifts &&
		      st.tail_drops >= last.tail_drops);
		CHECK(!st.failures && !st.corruptions && !st.invalid_frees);
		last = st;
		used = iom_used(r->arena);
		chunks = iom_chunks(r->arena);
		CHECK(used <= r->arena->size && chunks <= r->arena->size / 2);
		CHECK(iom_space(r->mail) <= r->mail->size);
		sched_yield();
	}
	return NULL;
}

static void expect_drained(struct iom_buffer *iomb, unsigned long in,
			   unsigned long out, unsigned long failures)
{
	struct iom_stats st;

	iom_stats(iomb, &st);
	CHECK(st.pushes + st.allocs == in);
	CHECK(st.shifts + st.releases == out);
	CHECK(st.used == 0 && st.chunks == 0 && iom_chunks(iomb) == 0);
	CHECK(st.failures == failures);
	CHECK(!st.head_drops && !st.invalid_frees && !st.corruptions);
	CHECK(iom_invariants_ok(iomb));
}

static void one_run(unsigned int seed, unsigned int flags)
{
	struct run r = { .seed = seed };
	pthread_t t[3];
	struct iom_stats st;

	r.queue = iom_create("spsc-q", SZ_64K, IOM_SPSC | flags);
	r.arena = iom_create("spsc-a", SZ_16K, IOM_SPSC | flags);
	r.mail = iom_create("spsc-m", 128 << 10, IOM_SPSC | flags);
	CHECK(!IS_ERR(r.queue) && !IS_ERR(r.arena) && !IS_ERR(r.mail));
	CHECK(!pthread_create(&t[0], NULL, producer, &r));
	CHECK(!pthread_create(&t[1], NULL, consumer, &r));
	CHECK(!pthread_create(&t[2], NULL, watcher, &r));
	for (int i = 0; i < 3; i++)
		CHECK(!pthread_join(t[i], NULL));
	CHECK(r.received == r.sent && r.released == r.allocated);
	CHECK(r.sent > 1000 && r.allocated > 1000);
	expect_drained(r.queue, r.sent, r.received, 0);
	expect_drained(r.arena, r.allocated, r.released, r.arena_full);
	expect_drained(r.mail, r.allocated, r.released, 0);
	iom_stats(r.queue, &st);
	CHECK(st.tail_drops == r.full);
	printf("fifo_spsc: %s: %lu chunks pushed (queue full %lu times), ",
	       flags & IOM_POISON ? "IOM_POISON" : "plain", r.sent, r.full);
	printf("%lu allocated (arena full %lu times)\n", r.allocated, r.arena_full);
	iom_destroy(r.queue);
	iom_destroy(r.arena);
	iom_destroy(r.mail);
}

int main(int argc, char **argv)
{
	unsigned int seed = argc > 1 ? strtoul(argv[1], NULL, 0) :
				       (unsigned int)time(NULL);

	printf("fifo_spsc: seed %u\n", seed);
	one_run(seed, 0);
	one_run(seed, IOM_POISON);
	printf("fifo_spsc: both sides matched, every counter exact\n");
	return 0;
}
