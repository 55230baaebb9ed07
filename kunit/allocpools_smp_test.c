// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite allocpools_smp: every allocator driven at once from two
 * kernel threads and from a hard-IRQ hrtimer, through the exported API
 * only.  Each object carries a pattern naming its owner, checked before it
 * is freed, so a lost update under the lock shows as corrupted data or as
 * counters that do not add up; with PROVE_LOCKING (the x86_64 run), the
 * hard-IRQ user also makes lockdep check that every pool lock is taken
 * IRQ-safe everywhere.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/sched.h>

#include <allocpools/allocpools.h>

#define SMP_THREADS	2
#define SMP_OPS		4000
#define SMP_LIVE	16
#define SMP_TIMER_NS	(100 * NSEC_PER_USEC)
/* Workers go on until the timer has run this often (or 30 s passed). */
#define SMP_IRQ_MIN	100
#define SMP_MAX_TIME	(30 * HZ)

/* The operations one allocator offers; @ctx is the pool. */
struct aps_ops {
	void *(*alloc)(void *ctx, size_t size);
	int (*free)(void *ctx, void *p);
};

struct aps_run {
	struct kunit *test;
	const struct aps_ops *ops;
	void *ctx;
	atomic_t bad;		/* corrupted objects or failed frees */
	atomic_t live;		/* objects allocated and not yet freed */
	atomic_t ids;		/* hands each worker its tag */
	atomic_t running;	/* workers not finished */
	struct completion done;
	struct hrtimer timer;
	unsigned int irq_ops;
	unsigned long deadline;
	bool stop;
};

static bool aps_more(unsigned int i, unsigned int irq_ops,
		     unsigned long deadline)
{
	return i < SMP_OPS ||
	       (irq_ops < SMP_IRQ_MIN && time_before(jiffies, deadline));
}

static void aps_fill(u8 *p, size_t size, u8 tag)
{
	memset(p, tag, size);
}

static bool aps_intact(const u8 *p, size_t size, u8 tag)
{
	return !memchr_inv(p, tag, size);
}

static size_t aps_size(unsigned int i)
{
	return 16 + (i * 37) % 400;
}

/* Allocate, fill, check and free: one step of a worker or the timer. */
static void aps_step(struct aps_run *run, void **slot, size_t *size, u8 tag,
		     unsigned int i)
{
	if (*slot) {
		if (!aps_intact(*slot, *size, tag))
			atomic_inc(&run->bad);
		if (run->ops->free(run->ctx, *slot))
			atomic_inc(&run->bad);
		atomic_dec(&run->live);
		*slot = NULL;
		return;
	}
	*size = aps_size(i);
	*slot = run->ops->alloc(run->ctx, *size);
	if (*slot) {
		atomic_inc(&run->live);
		aps_fill(*slot, *size, tag);
	}
}

static int aps_worker(void *data)
{
	struct aps_run *run = data;
	void *slot[SMP_LIVE] = { NULL };
	size_t size[SMP_LIVE];
	u8 tag = 0x10 + atomic_inc_return(&run->ids);
	unsigned int i;

	for (i = 0; aps_more(i, READ_ONCE(run->irq_ops), run->deadline); i++) {
		aps_step(run, &slot[i % SMP_LIVE], &size[i % SMP_LIVE], tag, i);
		if (!(i % 64))
			cond_resched();
	}
	for (i = 0; i < SMP_LIVE; i++)
		if (slot[i])
			aps_step(run, &slot[i], &size[i], tag, i);
	if (atomic_dec_and_test(&run->running))
		complete(&run->done);
	return 0;
}

static enum hrtimer_restart aps_tick(struct hrtimer *t)
{
	struct aps_run *run = container_of(t, struct aps_run, timer);
	size_t size = 64;
	void *p;

	if (READ_ONCE(run->stop))
		return HRTIMER_NORESTART;
	p = run->ops->alloc(run->ctx, size);
	if (p) {
		aps_fill(p, size, 0xee);
		if (!aps_intact(p, size, 0xee) || run->ops->free(run->ctx, p))
			atomic_inc(&run->bad);
	}
	WRITE_ONCE(run->irq_ops, run->irq_ops + 1);
	hrtimer_forward_now(t, ns_to_ktime(SMP_TIMER_NS));
	return HRTIMER_RESTART;
}

static void aps_drive(struct kunit *test, const struct aps_ops *ops, void *ctx)
{
	struct aps_run *run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);
	struct task_struct *tsk;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, run);
	run->test = test;
	run->ops = ops;
	run->ctx = ctx;
	init_completion(&run->done);
	atomic_set(&run->running, SMP_THREADS);
	run->deadline = jiffies + SMP_MAX_TIME;
	hrtimer_init(&run->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	run->timer.function = aps_tick;
	hrtimer_start(&run->timer, ns_to_ktime(SMP_TIMER_NS),
		      HRTIMER_MODE_REL_HARD);
	for (i = 0; i < SMP_THREADS; i++) {
		tsk = kthread_run(aps_worker, run, "allocpools-smp%d", i);
		KUNIT_EXPECT_FALSE(test, IS_ERR(tsk));
		/* A worker that never started counts as finished. */
		if (IS_ERR(tsk) && atomic_dec_and_test(&run->running))
			complete(&run->done);
	}
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&run->done, 300 * HZ),
			0);
	WRITE_ONCE(run->stop, true);
	hrtimer_cancel(&run->timer);
	KUNIT_EXPECT_EQ(test, atomic_read(&run->bad), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&run->live), 0);
	KUNIT_EXPECT_GE(test, run->irq_ops, SMP_IRQ_MIN);
	kunit_info(test, "%u operations from hard IRQ\n", run->irq_ops);
}

/* ---- one adapter per allocator ---- */

static void *aps_buddy_alloc(void *ctx, size_t size)
{
	return buddy_arena_alloc(ctx, size, GFP_ATOMIC);
}

static int aps_buddy_free(void *ctx, void *p)
{
	return buddy_arena_free(ctx, p);
}

static const struct aps_ops aps_buddy_ops = {
	.alloc = aps_buddy_alloc,
	.free = aps_buddy_free,
};

static void allocpools_smp_test_buddy_threads_and_irq(struct kunit *test)
{
	struct buddy_arena *ba = buddy_arena_create("kunit-smp", SZ_1M, 4, 20,
						    BUDDY_ARENA_POISON);
	struct buddy_arena_stats st;

	KUNIT_ASSERT_FALSE(test, IS_ERR(ba));
	aps_drive(test, &aps_buddy_ops, ba);
	buddy_arena_stats(ba, &st);
	KUNIT_EXPECT_EQ(test, st.allocs, st.frees);
	KUNIT_EXPECT_EQ(test, st.free_bytes, st.size);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 0);
	buddy_arena_destroy(ba);
}

/*
 * The same without poisoning, so through the per-CPU front, on an arena
 * small enough that the caches overflow, refill from each other's frees
 * and are drained before allocations fail (a NULL is fine here).
 */
static void allocpools_smp_test_buddy_pcp_threads_and_irq(struct kunit *test)
{
	struct buddy_arena *ba = buddy_arena_create("kunit-smp-pcp", SZ_32K,
						    4, 15, 0);
	struct buddy_arena_stats st;

	KUNIT_ASSERT_FALSE(test, IS_ERR(ba));
	aps_drive(test, &aps_buddy_ops, ba);
	buddy_arena_stats(ba, &st);
	KUNIT_EXPECT_EQ(test, st.allocs, st.frees);
	KUNIT_EXPECT_EQ(test, st.live_blocks, 0UL);
	KUNIT_EXPECT_EQ(test, st.free_bytes, st.size);
	KUNIT_EXPECT_EQ(test, st.requested_bytes, (size_t)0);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 0);
	kunit_info(test, "%llu allocations, %llu failed\n", st.allocs,
		   st.failures);
	buddy_arena_destroy(ba);
}

static void *aps_bget_alloc(void *ctx, size_t size)
{
	return bget_alloc(ctx, size, GFP_ATOMIC);
}

static int aps_bget_free(void *ctx, void *p)
{
	return bget_free(ctx, p);
}

static const struct aps_ops aps_bget_ops = {
	.alloc = aps_bget_alloc,
	.free = aps_bget_free,
};

static void allocpools_smp_test_bget_threads_and_irq(struct kunit *test)
{
	struct bget_pool *bp = bget_pool_create("kunit-smp", SZ_256K,
						BGET_BEST_FIT | BGET_POISON);
	struct bget_stats st;

	KUNIT_ASSERT_FALSE(test, IS_ERR(bp));
	aps_drive(test, &aps_bget_ops, bp);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.nget, st.nrel);
	KUNIT_EXPECT_EQ(test, st.curalloc, 0);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 0);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	bget_pool_destroy(bp);
}

/* The same with the per-CPU front: threads and IRQs through the caches. */
static void allocpools_smp_test_bget_pcp_threads_and_irq(struct kunit *test)
{
	struct bget_pool *bp = bget_pool_create("kunit-smp", SZ_256K,
						BGET_PERCPU);
	struct bget_stats st;

	KUNIT_ASSERT_FALSE(test, IS_ERR(bp));
	aps_drive(test, &aps_bget_ops, bp);
	bget_pool_stats(bp, &st);
	KUNIT_EXPECT_EQ(test, st.nget, st.nrel);
	KUNIT_EXPECT_EQ(test, st.curalloc, 0);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 0);
	KUNIT_EXPECT_EQ(test, st.corruptions, 0);
	KUNIT_EXPECT_TRUE(test, bget_pool_validate(bp));
	bget_pool_destroy(bp);
}

static void *aps_slab_alloc(void *ctx, size_t size)
{
	return bump_slab_alloc(ctx, size, GFP_ATOMIC);
}

static int aps_slab_free(void *ctx, void *p)
{
	return bump_slab_free(ctx, p);
}

static const struct aps_ops aps_slab_ops = {
	.alloc = aps_slab_alloc,
	.free = aps_slab_free,
};

static void aps_slab_expect_empty(struct kunit *test, struct bump_slab *bs)
{
	struct bump_slab_stats *st = kunit_kzalloc(test, sizeof(*st),
						   GFP_KERNEL);
	int c;

	KUNIT_ASSERT_NOT_NULL(test, st);
	bump_slab_stats(bs, st);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		KUNIT_EXPECT_EQ(test, st->classes[c].live, 0);
		KUNIT_EXPECT_EQ(test, st->classes[c].allocs, st->classes[c].frees);
	}
	KUNIT_EXPECT_EQ(test, st->invalid_frees, 0);
}

static void allocpools_smp_test_bump_slab_heap_threads_and_irq(struct kunit *test)
{
	struct bump_slab *bs = bump_slab_create("kunit-smp", SZ_1M,
						BUMP_SLAB_POISON);

	KUNIT_ASSERT_FALSE(test, IS_ERR(bs));
	aps_drive(test, &aps_slab_ops, bs);
	aps_slab_expect_empty(test, bs);
	bump_slab_destroy(bs);
}

/*
 * bump_slab on a buddy arena with @flags: after the run, the stats (which
 * drain any per-CPU front) leave no slab, and the arena is whole again
 * before the pool is destroyed.
 */
static void aps_slab_buddy_run(struct kunit *test, unsigned int flags)
{
	struct buddy_arena *ba = buddy_arena_create("kunit-smp-slabs", SZ_1M,
						    6, 20, 0);
	struct buddy_arena_stats st;
	struct bump_slab_stats *sst;
	struct bump_slab *bs;

	KUNIT_ASSERT_FALSE(test, IS_ERR(ba));
	sst = kunit_kzalloc(test, sizeof(*sst), GFP_KERNEL);
	bs = bump_slab_create_on("kunit-smp-b", ba, flags);
	if (IS_ERR(bs) || !sst)
		buddy_arena_destroy(ba);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bs));
	KUNIT_ASSERT_NOT_NULL(test, sst);
	aps_drive(test, &aps_slab_ops, bs);
	aps_slab_expect_empty(test, bs);
	bump_slab_stats(bs, sst);
	KUNIT_EXPECT_EQ(test, sst->slabs, 0UL);
	buddy_arena_stats(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_bytes, st.size);
	bump_slab_destroy(bs);
	buddy_arena_stats(ba, &st);
	KUNIT_EXPECT_EQ(test, st.free_bytes, st.size);
	buddy_arena_destroy(ba);
}

static void allocpools_smp_test_bump_slab_buddy_threads_and_irq(struct kunit *test)
{
	aps_slab_buddy_run(test, BUMP_SLAB_POISON);
}

/* The same through BUMP_SLAB_PERCPU's front: lockless pushes and pops. */
static void allocpools_smp_test_bump_slab_pcp_threads_and_irq(struct kunit *test)
{
	aps_slab_buddy_run(test, BUMP_SLAB_PERCPU);
}

/*
 * The FIFO allocator: chunks must be released oldest first, so one
 * thread allocates and releases in order while the timer, from hard IRQ,
 * pushes onto and shifts from a second ring used as a queue.
 */
struct aps_fifo {
	struct iom_buffer *alloc_ring, *queue;
	struct hrtimer timer;
	unsigned int pushed, shifted, bad, ticks;
	bool stop;
};

static enum hrtimer_restart aps_fifo_tick(struct hrtimer *t)
{
	struct aps_fifo *f = container_of(t, struct aps_fifo, timer);
	u32 seq, got;
	size_t len;

	if (READ_ONCE(f->stop))
		return HRTIMER_NORESTART;
	WRITE_ONCE(f->ticks, f->ticks + 1);
	seq = f->pushed;
	if (!iom_push(f->queue, &seq, sizeof(seq), IOM_TAIL_DROP))
		f->pushed++;
	if (f->pushed % 3 == 0 &&
	    !iom_shift(f->queue, &got, &len, sizeof(got))) {
		if (len != sizeof(got) || got != f->shifted)
			f->bad++;
		f->shifted++;
	}
	hrtimer_forward_now(t, ns_to_ktime(SMP_TIMER_NS));
	return HRTIMER_RESTART;
}

static void allocpools_smp_test_fifo_thread_and_irq(struct kunit *test)
{
	struct aps_fifo *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	unsigned long deadline = jiffies + SMP_MAX_TIME;
	u8 *live[SMP_LIVE] = { NULL };
	unsigned int i, head = 0, tail = 0;
	struct iom_stats st;
	u32 seq, got;
	size_t len;

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->alloc_ring = iom_create("kunit-smp-a", SZ_16K, IOM_POISON);
	f->queue = iom_create("kunit-smp-q", 256, IOM_POISON);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f->alloc_ring));
	KUNIT_ASSERT_FALSE(test, IS_ERR(f->queue));
	hrtimer_init(&f->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	f->timer.function = aps_fifo_tick;
	hrtimer_start(&f->timer, ns_to_ktime(SMP_TIMER_NS),
		      HRTIMER_MODE_REL_HARD);

	for (i = 0; aps_more(i, READ_ONCE(f->ticks), deadline); i++) {
		u8 **slot = &live[tail % SMP_LIVE];

		if (tail - head < SMP_LIVE && (i & 1)) {
			*slot = iom_alloc(f->alloc_ring, aps_size(tail));
			if (*slot)
				memset(*slot, tail, aps_size(tail));
			tail += !!*slot;
		} else if (head != tail) {
			if (memchr_inv(live[head % SMP_LIVE], (u8)head,
				       aps_size(head)))
				f->bad++;
			KUNIT_EXPECT_EQ(test, iom_release(f->alloc_ring,
							  live[head % SMP_LIVE]), 0);
			head++;
		}
		if (!(i % 64))
			cond_resched();
	}
	while (head != tail)
		KUNIT_EXPECT_EQ(test, iom_release(f->alloc_ring,
						  live[head++ % SMP_LIVE]), 0);
	WRITE_ONCE(f->stop, true);
	hrtimer_cancel(&f->timer);
	/* What the timer left queued comes out in order too. */
	while (!iom_shift(f->queue, &got, &len, sizeof(got))) {
		if (got != f->shifted)
			f->bad++;
		f->shifted++;
	}
	seq = f->pushed;
	KUNIT_EXPECT_EQ(test, f->bad, 0);
	KUNIT_EXPECT_EQ(test, f->shifted, seq);
	KUNIT_EXPECT_GE(test, f->ticks, SMP_IRQ_MIN);
	iom_stats(f->alloc_ring, &st);
	KUNIT_EXPECT_EQ(test, st.allocs, st.releases);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 0);
	kunit_info(test, "%u chunks through the queue from hard IRQ\n", seq);
	iom_destroy(f->alloc_ring);
	iom_destroy(f->queue);
}

/*
 * IOM_SPSC: a producer and a consumer kthread, bound to two CPUs, share
 * three rings with no lock.  The producer pushes chunks of varying length
 * whose payload is a sequence number and a pattern made from it, and
 * allocates chunks likewise, mailing each one's address through a third
 * ring; the consumer checks that every chunk arrives whole and in order,
 * and releases the allocated ones oldest first.  IOM_POISON makes each
 * side check the bytes the other side last wrote, so a barrier that does
 * not pair shows up as poison damage, a wrong payload or a lost chunk.
 */
#define SPSC_CHUNKS	20000

struct aps_spsc {
	struct kunit *test;
	struct iom_buffer *queue, *arena, *mail;
	struct completion done;
	atomic_t running;
	unsigned long deadline;
	bool produced;		/* the producer is done; release/acquire */
	u32 sent, allocated, full, afull, pbad;	/* the producer's */
	u32 received, released, cbad;	/* the consumer's */
};

static size_t aps_spsc_len(u32 seq)
{
	return sizeof(seq) + seq % 300;
}

static void aps_spsc_fill(u8 *p, u32 seq)
{
	memcpy(p, &seq, sizeof(seq));
	memset(p + sizeof(seq), (u8)seq, aps_spsc_len(seq) - sizeof(seq));
}

static bool aps_spsc_intact(const u8 *p, size_t len, u32 seq)
{
	return len == aps_spsc_len(seq) && !memcmp(p, &seq, sizeof(seq)) &&
	       !memchr_inv(p + sizeof(seq), (u8)seq, len - sizeof(seq));
}

static void aps_spsc_finish(struct aps_spsc *s)
{
	if (atomic_dec_and_test(&s->running))
		complete(&s->done);
}

static int aps_spsc_producer(void *data)
{
	struct aps_spsc *s = data;
	u8 buf[sizeof(u32) + 300], *chunk;
	unsigned int i;
	int ret;

	for (i = 0; s->sent < SPSC_CHUNKS || s->allocated < SPSC_CHUNKS; i++) {
		if (!time_before(jiffies, s->deadline))
			break;
		if (s->sent < SPSC_CHUNKS) {
			aps_spsc_fill(buf, s->sent);
			ret = iom_push(s->queue, buf, aps_spsc_len(s->sent),
				       IOM_TAIL_DROP);
			if (!ret)
				s->sent++;
			else if (ret == -ENOBUFS)
				s->full++;
			else
				s->pbad++;
		}
		chunk = NULL;
		if (s->allocated < SPSC_CHUNKS) {
			chunk = iom_alloc(s->arena, aps_spsc_len(s->allocated));
			s->afull += !chunk;	/* a failure, in its stats */
		}
		if (chunk) {
			aps_spsc_fill(chunk, s->allocated++);
			/* The mail ring holds more addresses than the arena chunks. */
			if (iom_push(s->mail, &chunk, sizeof(chunk), IOM_TAIL_DROP))
				s->pbad++;
		}
		if (!(i % 256))
			cond_resched();
	}
	/* Pairs with smp_load_acquire() in aps_spsc_consumer(). */
	smp_store_release(&s->produced, true);
	aps_spsc_finish(s);
	return 0;
}

static int aps_spsc_consumer(void *data)
{
	struct aps_spsc *s = data;
	u8 buf[sizeof(u32) + 300], *chunk;
	bool done, progress;
	size_t len;
	int ret;

	for (;;) {
		/* Pairs with smp_store_release() in aps_spsc_producer(). */
		done = smp_load_acquire(&s->produced);
		progress = false;
		ret = iom_shift(s->queue, buf, &len, sizeof(buf));
		if (!ret) {
			s->cbad += !aps_spsc_intact(buf, len, s->received++);
			progress = true;
		} else if (ret != -ENODATA) {
			s->cbad++;
		}
		ret = iom_shift(s->mail, &chunk, &len, sizeof(chunk));
		if (!ret) {
			s->cbad += len != sizeof(chunk) ||
				  !aps_spsc_intact(chunk, aps_spsc_len(s->released),
						   s->released);
			s->cbad += !!iom_release(s->arena, chunk);
			s->released++;
			progress = true;
		} else if (ret != -ENODATA) {
			s->cbad++;
		}
		if (!progress) {
			if (done)
				break;
			cond_resched();
		}
	}
	aps_spsc_finish(s);
	return 0;
}

static struct iom_buffer *aps_spsc_ring(struct kunit *test, const char *name,
					size_t size)
{
	struct iom_buffer *iomb = iom_create(name, size, IOM_SPSC | IOM_POISON);

	KUNIT_EXPECT_FALSE(test, IS_ERR(iomb));
	return IS_ERR(iomb) ? NULL : iomb;
}

static void aps_spsc_expect_drained(struct kunit *test, struct iom_buffer *iomb,
				    u64 in, u64 out, u64 failures)
{
	struct iom_stats st;

	iom_stats(iomb, &st);
	KUNIT_EXPECT_EQ(test, st.pushes + st.allocs, in);
	KUNIT_EXPECT_EQ(test, st.shifts + st.releases, out);
	KUNIT_EXPECT_EQ(test, st.used, 0);
	KUNIT_EXPECT_EQ(test, st.chunks, 0);
	KUNIT_EXPECT_EQ(test, st.failures, failures);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 0);
	KUNIT_EXPECT_EQ(test, st.corruptions, 0);
	KUNIT_EXPECT_EQ(test, st.head_drops, 0);
}

static void allocpools_smp_test_fifo_spsc_two_cpus(struct kunit *test)
{
	static int (* const fn[2])(void *) = {
		aps_spsc_producer, aps_spsc_consumer
	};
	struct aps_spsc *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct task_struct *tsk;
	struct iom_stats st;
	unsigned int cpu, i;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->test = test;
	s->queue = aps_spsc_ring(test, "kunit-spsc-q", SZ_4K);
	s->arena = aps_spsc_ring(test, "kunit-spsc-a", SZ_8K);
	s->mail = aps_spsc_ring(test, "kunit-spsc-m", SZ_16K);
	if (!s->queue || !s->arena || !s->mail)
		goto out;
	init_completion(&s->done);
	atomic_set(&s->running, 2);
	s->deadline = jiffies + SMP_MAX_TIME;
	cpu = cpumask_first(cpu_online_mask);
	for (i = 0; i < 2; i++) {
		tsk = kthread_create(fn[i], s, "allocpools-spsc%u", i);
		KUNIT_EXPECT_FALSE(test, IS_ERR(tsk));
		if (IS_ERR(tsk)) {
			/* Whichever side runs alone stops at once. */
			s->deadline = jiffies;
			/* As the producer ends; the consumer's acquire pairs. */
			smp_store_release(&s->produced, true);
			aps_spsc_finish(s);
			continue;
		}
		kthread_bind(tsk, cpu);
		wake_up_process(tsk);
		cpu = cpumask_next(cpu, cpu_online_mask);
	}
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&s->done, 300 * HZ), 0);
	KUNIT_EXPECT_EQ(test, s->pbad, 0);
	KUNIT_EXPECT_EQ(test, s->cbad, 0);
	KUNIT_EXPECT_EQ(test, s->received, s->sent);
	KUNIT_EXPECT_EQ(test, s->released, s->allocated);
	KUNIT_EXPECT_GT(test, s->sent, 0);
	aps_spsc_expect_drained(test, s->queue, s->sent, s->received, 0);
	aps_spsc_expect_drained(test, s->arena, s->allocated, s->released,
				s->afull);
	aps_spsc_expect_drained(test, s->mail, s->allocated, s->released, 0);
	iom_stats(s->queue, &st);
	KUNIT_EXPECT_EQ(test, st.tail_drops, s->full);
	kunit_info(test, "%u chunks pushed, %u allocated, the queue full %u times, the arena %u\n",
		   s->sent, s->allocated, s->full, s->afull);
out:
	iom_destroy(s->queue);
	iom_destroy(s->arena);
	iom_destroy(s->mail);
}

static struct kunit_case allocpools_smp_test_cases[] = {
	KUNIT_CASE(allocpools_smp_test_fifo_thread_and_irq),
	KUNIT_CASE(allocpools_smp_test_fifo_spsc_two_cpus),
	KUNIT_CASE(allocpools_smp_test_buddy_threads_and_irq),
	KUNIT_CASE(allocpools_smp_test_buddy_pcp_threads_and_irq),
	KUNIT_CASE(allocpools_smp_test_bget_threads_and_irq),
	KUNIT_CASE(allocpools_smp_test_bget_pcp_threads_and_irq),
	KUNIT_CASE(allocpools_smp_test_bump_slab_heap_threads_and_irq),
	KUNIT_CASE(allocpools_smp_test_bump_slab_buddy_threads_and_irq),
	KUNIT_CASE(allocpools_smp_test_bump_slab_pcp_threads_and_irq),
	{}
};

static struct kunit_suite allocpools_smp_test_suite = {
	.name = "allocpools_smp",
	.test_cases = allocpools_smp_test_cases,
};

kunit_test_suites(&allocpools_smp_test_suite);
