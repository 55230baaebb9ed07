// SPDX-License-Identifier: GPL-2.0
/*
 * allocpools_stress: the any-context promise, on a real kernel.
 *
 * Loading it runs, for duration_ms, one kernel thread per online CPU,
 * bound to that CPU, against every default pool: alloc and free on the
 * buddy arena, the BGET pool and the size-class heap, push and shift on the
 * FIFO ring, and now and then the four stats calls.  A thread takes turns:
 * a plain call (GFP_KERNEL), a call under a spinlock_t of its own, a call
 * under a raw_spinlock_t with interrupts off (GFP_ATOMIC both).  Each thread
 * also starts an hrtimer on its CPU, in HRTIMER_MODE_REL_HARD so that it
 * expires in hard-IRQ context on PREEMPT_RT too, which does the same every
 * period_us: so a pool's lock is wanted from hard IRQ on one CPU while the
 * other CPU's thread holds it.
 *
 * Every object is filled with a byte naming its owner and checked before
 * it is freed; every FIFO chunk carries its length and owner and is checked
 * when shifted (by whoever shifts it), and after the run the ring is
 * drained and every chunk pushed must have come out.  The load then prints
 * one line of counts, which scripts/qemu_check.py reads:
 *
 *   allocpools_stress: cpus=2 ms=2000 period_us=1000 thread_ops=... ticks_min=...
 *   ticks_expected=... timer_ops=... pushed=... shifted=... stats=...
 *   alloc_failures=... bad=...
 *
 * and fails with -EIO if an object came back damaged, a free was refused,
 * an allocation or a push failed (the default pools are far larger than
 * what the run keeps live) or a chunk was lost.  The run leaves every pool
 * as it found it; unloading has nothing to do.
 *
 * On a kernel where a pool lock sleeps (spinlock_t on PREEMPT_RT), the
 * timer's calls are what "BUG: scheduling while atomic" and lockdep's
 * "Invalid wait context" report.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include <allocpools/allocpools.h>

static unsigned int duration_ms = 2000;
module_param(duration_ms, uint, 0444);
MODULE_PARM_DESC(duration_ms, "how long the threads and timers run (ms)");

static unsigned int period_us = 1000;
module_param(period_us, uint, 0444);
MODULE_PARM_DESC(period_us, "hard-IRQ timer period (us)");

/* Objects a thread keeps live per pool, and the largest it asks for. */
#define STRESS_LIVE	8
#define STRESS_MAX	448
/* A chunk: length, owner, sequence byte, then bytes derived from them. */
#define CHUNK_MIN	4
#define CHUNK_MAX	200
/* Stats calls every this many steps. */
#define STATS_EVERY	16

enum { POOL_BUDDY, POOL_BGET, POOL_SLAB, NR_POOLS };

struct stress_counts {
	unsigned long ops;
	unsigned long pushed;
	unsigned long shifted;
	unsigned long stats;
	unsigned long alloc_failures;
	unsigned long bad;
};

/* The stats calls write here; bump_slab's is too large for a stack. */
struct stress_stats {
	struct iom_stats iom;
	struct buddy_arena_stats buddy;
	struct bget_stats bget;
	struct bump_slab_stats slab;
};

struct stress_obj {
	void *p;
	size_t size;
};

/*
 * One per CPU.  The thread and the timer interrupting it count apart:
 * neither can lose an update of the other's counters.
 */
struct stress_cpu {
	unsigned int cpu;
	struct task_struct *task;
	struct completion done;
	struct hrtimer timer;
	/* Held around a thread's calls in turn, to call from under them. */
	spinlock_t lock;
	raw_spinlock_t raw_lock;
	struct stress_obj live[NR_POOLS][STRESS_LIVE];
	struct stress_counts thread, irq;
	struct stress_stats thread_st, irq_st;
	unsigned long ticks;
	bool stop;
};

static struct stress_cpu *cpus;
static unsigned int nr_cpus;

static void *pool_alloc(int pool, size_t size, gfp_t gfp)
{
	switch (pool) {
	case POOL_BUDDY:
		return buddy_arena_alloc(buddy_arena_default(), size, gfp);
	case POOL_BGET:
		return bget_alloc(bget_pool_default(), size, gfp);
	default:
		return bump_slab_alloc(bump_slab_default(), size, gfp);
	}
}

static int pool_free(int pool, void *p)
{
	switch (pool) {
	case POOL_BUDDY:
		return buddy_arena_free(buddy_arena_default(), p);
	case POOL_BGET:
		return bget_free(bget_pool_default(), p);
	default:
		return bump_slab_free(bump_slab_default(), p);
	}
}

static bool pool_present(int pool)
{
	switch (pool) {
	case POOL_BUDDY:
		return buddy_arena_default();
	case POOL_BGET:
		return bget_pool_default();
	default:
		return bump_slab_default();
	}
}

static void obj_free(struct stress_obj *o, u8 tag, int pool,
		     struct stress_counts *c)
{
	if (memchr_inv(o->p, tag, o->size))
		c->bad++;
	if (pool_free(pool, o->p))
		c->bad++;
	c->ops++;
	o->p = NULL;
}

static void obj_alloc(struct stress_obj *o, size_t size, u8 tag, int pool,
		      gfp_t gfp, struct stress_counts *c)
{
	o->p = pool_alloc(pool, size, gfp);
	c->ops++;
	if (!o->p) {
		c->alloc_failures++;
		return;
	}
	o->size = size;
	memset(o->p, tag, size);
}

static void chunk_fill(u8 *buf, size_t len, u8 tag, u8 seq)
{
	size_t i;

	buf[0] = len;
	buf[1] = tag;
	buf[2] = seq;
	for (i = 3; i < len; i++)
		buf[i] = tag ^ seq ^ i;
}

static bool chunk_intact(const u8 *buf, size_t len)
{
	size_t i;

	if (len < CHUNK_MIN || len > CHUNK_MAX || buf[0] != len)
		return false;
	for (i = 3; i < len; i++)
		if (buf[i] != (u8)(buf[1] ^ buf[2] ^ i))
			return false;
	return true;
}

/* Push one chunk and shift one (anyone's) from the default ring. */
static void fifo_step(unsigned int n, u8 tag, struct stress_counts *c)
{
	struct iom_buffer *q = iom_default();
	u8 buf[CHUNK_MAX];
	size_t len = CHUNK_MIN + n % (CHUNK_MAX - CHUNK_MIN + 1);
	int ret;

	if (!q)
		return;
	chunk_fill(buf, len, tag, n);
	ret = iom_push(q, buf, len, IOM_TAIL_DROP);
	c->ops++;
	if (ret)
		c->alloc_failures++;
	else
		c->pushed++;
	ret = iom_shift(q, buf, &len, sizeof(buf));
	c->ops++;
	if (!ret) {
		c->shifted++;
		if (!chunk_intact(buf, len))
			c->bad++;
	} else if (ret != -ENODATA) {
		c->bad++;
	}
}

static void stats_step(struct stress_stats *st, struct stress_counts *c)
{
	if (iom_default())
		iom_stats(iom_default(), &st->iom);
	if (buddy_arena_default())
		buddy_arena_stats(buddy_arena_default(), &st->buddy);
	if (bget_pool_default())
		bget_pool_stats(bget_pool_default(), &st->bget);
	if (bump_slab_default())
		bump_slab_stats(bump_slab_default(), &st->slab);
	c->stats++;
}

static size_t obj_size(unsigned int n)
{
	return 1 + (n * 37) % STRESS_MAX;
}

/* Whose an object is: each thread and each timer has a tag of its own. */
static u8 thread_tag(const struct stress_cpu *sc)
{
	return 0x10 + sc->cpu % 0x70;
}

static u8 timer_tag(const struct stress_cpu *sc)
{
	return 0x80 + sc->cpu % 0x70;
}

/* The timer: one object from each pool, allocated, checked, freed. */
static enum hrtimer_restart stress_tick(struct hrtimer *t)
{
	struct stress_cpu *sc = container_of(t, struct stress_cpu, timer);
	u8 tag = timer_tag(sc);
	struct stress_obj o;
	int pool;

	if (READ_ONCE(sc->stop))
		return HRTIMER_NORESTART;
	for (pool = 0; pool < NR_POOLS; pool++) {
		if (!pool_present(pool))
			continue;
		obj_alloc(&o, obj_size(sc->ticks + pool), tag, pool, GFP_ATOMIC,
			  &sc->irq);
		if (o.p)
			obj_free(&o, tag, pool, &sc->irq);
	}
	fifo_step(sc->ticks, tag, &sc->irq);
	if (!(sc->ticks % STATS_EVERY))
		stats_step(&sc->irq_st, &sc->irq);
	sc->ticks++;
	hrtimer_forward_now(t, ns_to_ktime((u64)period_us * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/* The thread: a slot of each pool freed if live, else allocated. */
static void thread_step(struct stress_cpu *sc, unsigned int n, gfp_t gfp)
{
	u8 tag = thread_tag(sc);
	struct stress_obj *o;
	int pool;

	for (pool = 0; pool < NR_POOLS; pool++) {
		if (!pool_present(pool))
			continue;
		o = &sc->live[pool][n % STRESS_LIVE];
		if (o->p)
			obj_free(o, tag, pool, &sc->thread);
		else
			obj_alloc(o, obj_size(n + pool), tag, pool, gfp,
				  &sc->thread);
	}
	fifo_step(n, tag, &sc->thread);
	if (!(n % STATS_EVERY))
		stats_step(&sc->thread_st, &sc->thread);
}

static int stress_thread(void *data)
{
	struct stress_cpu *sc = data;
	ktime_t end = ktime_add_ms(ktime_get(), duration_ms);
	unsigned long flags;
	unsigned int n, i;

	/* Bound to sc->cpu: the timer is queued on, and fires on, it. */
	hrtimer_start(&sc->timer, ns_to_ktime((u64)period_us * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_HARD);
	for (n = 0; ktime_before(ktime_get(), end); n++) {
		switch (n % 3) {
		case 0:
			thread_step(sc, n, GFP_KERNEL);
			break;
		case 1:
			spin_lock(&sc->lock);
			thread_step(sc, n, GFP_ATOMIC);
			spin_unlock(&sc->lock);
			break;
		default:
			raw_spin_lock_irqsave(&sc->raw_lock, flags);
			thread_step(sc, n, GFP_ATOMIC);
			raw_spin_unlock_irqrestore(&sc->raw_lock, flags);
			break;
		}
		if (!(n % 32))
			cond_resched();
	}
	WRITE_ONCE(sc->stop, true);
	hrtimer_cancel(&sc->timer);
	for (n = 0; n < NR_POOLS; n++)
		for (i = 0; i < STRESS_LIVE; i++)
			if (sc->live[n][i].p)
				obj_free(&sc->live[n][i], thread_tag(sc), n,
					 &sc->thread);
	/* Not back into this module's text once init may go on. */
	kthread_complete_and_exit(&sc->done, 0);
}

static void counts_add(struct stress_counts *sum, const struct stress_counts *c)
{
	sum->ops += c->ops;
	sum->pushed += c->pushed;
	sum->shifted += c->shifted;
	sum->stats += c->stats;
	sum->alloc_failures += c->alloc_failures;
	sum->bad += c->bad;
}

/* Sum the counters, drain the ring, print the line; -EIO if anything failed. */
static int stress_report(void)
{
	struct stress_counts thread = {}, irq = {};
	unsigned long ticks_min = ULONG_MAX, drained = 0, bad, pushed, shifted;
	struct iom_buffer *q = iom_default();
	u8 buf[CHUNK_MAX];
	unsigned int i;
	size_t len;

	for (i = 0; i < nr_cpus; i++) {
		counts_add(&thread, &cpus[i].thread);
		counts_add(&irq, &cpus[i].irq);
		ticks_min = min(ticks_min, cpus[i].ticks);
	}
	bad = thread.bad + irq.bad;
	while (q && !iom_shift(q, buf, &len, sizeof(buf))) {
		drained++;
		if (!chunk_intact(buf, len))
			bad++;
	}
	pushed = thread.pushed + irq.pushed;
	shifted = thread.shifted + irq.shifted + drained;
	pr_info("cpus=%u ms=%u period_us=%u thread_ops=%lu ticks_min=%lu ticks_expected=%lu timer_ops=%lu pushed=%lu shifted=%lu stats=%lu alloc_failures=%lu bad=%lu\n",
		nr_cpus, duration_ms, period_us, thread.ops, ticks_min,
		(unsigned long)duration_ms * USEC_PER_MSEC / period_us, irq.ops,
		pushed, shifted, thread.stats + irq.stats,
		thread.alloc_failures + irq.alloc_failures, bad);
	if (bad || thread.alloc_failures || irq.alloc_failures ||
	    pushed != shifted || !thread.ops || !irq.ops)
		return -EIO;
	return 0;
}

static int __init stress_init(void)
{
	unsigned int cpu, i;
	int ret;

	if (!duration_ms || !period_us || duration_ms > 60000)
		return -EINVAL;
	cpus = kcalloc(nr_cpu_ids, sizeof(*cpus), GFP_KERNEL);
	if (!cpus)
		return -ENOMEM;
	/*
	 * Every thread is created before any runs.  No CPU is expected to
	 * go offline meanwhile: its thread and timer would just move.
	 */
	for_each_online_cpu(cpu) {
		struct stress_cpu *sc = &cpus[nr_cpus];
		struct task_struct *t;

		sc->cpu = cpu;
		init_completion(&sc->done);
		spin_lock_init(&sc->lock);
		raw_spin_lock_init(&sc->raw_lock);
		hrtimer_init(&sc->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		sc->timer.function = stress_tick;
		t = kthread_create_on_cpu(stress_thread, sc, cpu, "apstress/%u");
		if (IS_ERR(t)) {
			ret = PTR_ERR(t);
			goto stop;
		}
		sc->task = t;
		nr_cpus++;
	}
	for (i = 0; i < nr_cpus; i++)
		wake_up_process(cpus[i].task);
	for (i = 0; i < nr_cpus; i++)
		wait_for_completion(&cpus[i].done);
	ret = stress_report();
	kfree(cpus);
	return ret;

stop:
	/* Never woken, they exit at once without running stress_thread(). */
	for (i = 0; i < nr_cpus; i++)
		kthread_stop(cpus[i].task);
	kfree(cpus);
	return ret;
}

static void __exit stress_exit(void)
{
}

module_init(stress_init);
module_exit(stress_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("allocpools stress client: every default pool from threads and hard IRQ");
MODULE_IMPORT_NS(ALLOCPOOLS_NS);
