// SPDX-License-Identifier: GPL-2.0
/*
 * The BGET-style pool in every calling context the contract promises, and
 * the races that come with dropping its lock.
 *
 * The shim models PREEMPT_RT (see ap_shim.h): in ap_shim_hardirq_enter()
 * a spinlock_t, a sleep, kmalloc or vmalloc/vfree aborts, and so does
 * more than 64 KiB of filling or comparing with a raw spinlock held.  So
 * each case below aborts (or fails a CHECK) if the pool sleeps, takes a
 * sleeping lock or works in O(size) under its lock, where it must not.
 *
 *   bget_context [case...]     (no argument: every case)
 */
#include "../shim/ap_shim.h"

#include <sched.h>
#include <unistd.h>

/*
 * The walks drop the lock between steps and call cond_resched(): let it
 * give the CPU away, so the threads below get in between those steps.
 */
#undef cond_resched
#define cond_resched()	sched_yield()
#undef pr_fmt

#include "../../../bget_pool.c"

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__,	\
			#cond);						\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		exit(1);						\
	}								\
} while (0)

static void fill(void *p, size_t n, unsigned char tag)
{
	__builtin_memset(p, tag, n);
}

static bool intact(const void *p, size_t n, unsigned char tag)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != tag)
			return false;
	return true;
}

static struct bget_stats stats(struct bget_pool *bp)
{
	struct bget_stats st;

	bget_pool_stats(bp, &st);
	return st;
}

static size_t pool_transit(struct bget_pool *bp)
{
	unsigned long flags;
	size_t t;

	raw_spin_lock_irqsave(&bp->lock, flags);
	t = bp->transit;
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return t;
}

/*
 * Every call a driver may make from atomic context, on a plain and a
 * poisoned pool with the default vmalloc ops: direct and expansion blocks
 * are given back from inside the atomic section, and growth is refused
 * there without sleeping.  @enter/@leave make the context.
 */
static void atomic_calls(void (*enter)(void), void (*leave)(void))
{
	static const unsigned int flags[] = { 0, BGET_POISON,
					      BGET_BEST_FIT | BGET_POISON };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		struct bget_pool *bp = bget_pool_create("ctx", 64 << 10, flags[i]);
		unsigned char *a, *b, *c, *big, *exp;
		long live;

		CHECK(!IS_ERR(bp), "create");
		CHECK(!bget_pool_ctl(bp, &bget_vmalloc_ops, 32 << 10), "ctl");
		/* Blocking growth, in process context: a direct block, an expansion. */
		big = bget_alloc(bp, 100 << 10, GFP_KERNEL);
		CHECK(big, "direct block");
		a = bget_alloc(bp, 60 << 10, GFP_KERNEL);
		CHECK(a, "initial region");
		exp = bget_alloc(bp, 20 << 10, GFP_KERNEL);
		CHECK(exp && stats(bp).npget == 1, "expansion block");
		live = ap_shim_live_allocs;

		enter();
		b = bget_alloc(bp, 100, GFP_ATOMIC);
		c = bget_zalloc(bp, 300, GFP_ATOMIC);
		CHECK(b && c && intact(c, 300, 0), "atomic alloc");
		fill(b, 100, 0xb);
		b = bget_realloc(bp, b, 40, GFP_ATOMIC);	/* shrink */
		CHECK(b && intact(b, 40, 0xb), "shrink");
		CHECK(!bget_free(bp, c), "free");
		b = bget_realloc(bp, b, 200, GFP_ATOMIC);	/* grow in place */
		CHECK(b && intact(b, 40, 0xb), "grow");
		b = bget_realloc(bp, b, 2000, GFP_ATOMIC);	/* move */
		CHECK(b && intact(b, 40, 0xb), "move");
		/* Growth is refused without sleeping: a failure, no vmalloc. */
		CHECK(!bget_alloc(bp, 30 << 10, GFP_ATOMIC), "atomic growth");
		CHECK(!bget_alloc(bp, 1 << 20, GFP_NOWAIT), "atomic direct");
		bget_dump_buf(bp, b);
		CHECK(stats(bp).failures == 2, "failures %llu",
		      stats(bp).failures);
		/* The default release only queues: nothing is vfree'd here. */
		CHECK(!bget_free(bp, big), "free direct");
		CHECK(!bget_free(bp, exp), "free expansion");
		CHECK(bget_free(bp, exp) == -EINVAL, "double free");
		CHECK(!bget_free(bp, b), "free");
		CHECK(!bget_free(bp, a), "free");
		leave();

		CHECK(stats(bp).ndrel == 1 && stats(bp).nprel == 1,
		      "released %ld %ld", stats(bp).ndrel, stats(bp).nprel);
		CHECK(ap_shim_live_allocs == live, "vfree'd in the free");
		ap_shim_run_work();
		/* The two blocks and the expansion region's node array. */
		CHECK(ap_shim_live_allocs == live - 3, "work did not vfree");
		CHECK(bget_pool_validate(bp), "validate");
		CHECK(stats(bp).curalloc == 0 && stats(bp).invalid_frees == 1,
		      "stats");
		bget_pool_destroy(bp);
	}
}

static void hardirq_enter(void)
{
	ap_shim_hardirq_enter();
}

static void hardirq_exit(void)
{
	ap_shim_hardirq_exit();
}

static DEFINE_SPINLOCK(driver_lock);

static void driver_lock_take(void)
{
	spin_lock(&driver_lock);
}

static void driver_lock_drop(void)
{
	spin_unlock(&driver_lock);
}

static void test_hardirq(void)
{
	atomic_calls(hardirq_enter, hardirq_exit);
}

/* A driver freeing under its own spinlock_t: vfree() there would sleep. */
static void test_caller_spinlock(void)
{
	atomic_calls(driver_lock_take, driver_lock_drop);
}

/*
 * Blocks of 8 MiB on a poisoned pool: poisoning, poison checks, zeroing
 * and copying are O(size) and must run with the pool lock dropped (the
 * shim aborts past 64 KiB under a raw lock).
 */
static void test_big_blocks_bounded(void)
{
	const size_t mib = 1 << 20;
	struct bget_pool *bp = bget_pool_create("big", 32 * mib, BGET_POISON);
	unsigned char *p, *q, *add;

	CHECK(!IS_ERR(bp), "create");
	p = bget_alloc(bp, 8 * mib, GFP_ATOMIC);	/* checks 8 MiB of poison */
	CHECK(p, "alloc");
	fill(p, 8 * mib, 1);
	CHECK(!bget_free(bp, p), "free");		/* poisons 8 MiB */
	p = bget_zalloc(bp, 8 * mib, GFP_ATOMIC);	/* zeroes 8 MiB */
	CHECK(p && intact(p, 8 * mib, 0), "zalloc");
	q = bget_realloc(bp, p, 16, GFP_ATOMIC);	/* poisons an 8 MiB tail */
	CHECK(q == p, "shrink in place");
	q = bget_realloc(bp, p, 6 * mib, GFP_ATOMIC);	/* checks 8 MiB */
	CHECK(q == p, "grow in place");
	fill(q, 6 * mib, 2);
	p = bget_realloc(bp, q, 15 * mib, GFP_ATOMIC);	/* moves: copies 6 MiB */
	CHECK(p && p != q && intact(p, 6 * mib, 2), "move");
	CHECK(bget_pool_validate(bp), "validate");	/* 16 MiB of poison */
	add = malloc(16 * mib);
	CHECK(add, "malloc");
	CHECK(!bget_pool_add(bp, add, 16 * mib), "add");	/* poisons 16 MiB */
	CHECK(bget_pool_validate(bp), "validate");
	CHECK(!bget_free(bp, p), "free");
	CHECK(bget_pool_validate(bp), "validate");
	CHECK(stats(bp).curalloc == 0 && pool_transit(bp) == 0, "stats");
	bget_pool_destroy(bp);
	free(add);
}

/*
 * validate and dump of a pool of thousands of blocks take the lock again
 * every few blocks rather than once for the whole walk.
 */
static void test_walks_in_steps(void)
{
	struct bget_pool *bp = bget_pool_create("walk", 1 << 20, 0);
	unsigned long before, steps;
	void *p[4096];
	unsigned int i, n = 0;

	CHECK(!IS_ERR(bp), "create");
	while (n < ARRAY_SIZE(p) && (p[n] = bget_alloc(bp, 100, GFP_KERNEL)))
		n++;
	CHECK(n > 4000, "%u blocks", n);
	for (i = 0; i < n; i += 2)
		CHECK(!bget_free(bp, p[i]), "free");
	before = ap_shim_lock_ops;
	CHECK(bget_pool_validate(bp), "validate");
	steps = ap_shim_lock_ops - before;
	CHECK(steps >= n / BGET_WALK_BUDGET, "validate took the lock %lu times for %u blocks",
	      steps, n);
	before = ap_shim_lock_ops;
	bget_pool_dump(bp, true, true);
	steps = ap_shim_lock_ops - before;
	CHECK(steps >= n / BGET_DUMP_RECS, "dump took the lock %lu times for %u blocks",
	      steps, n);
	for (i = 1; i < n; i += 2)
		CHECK(!bget_free(bp, p[i]), "free");
	bget_pool_destroy(bp);
}

/* Growth honours the caller's gfp: vmalloc runs in its NOIO/NOFS scope. */
static void test_growth_gfp(void)
{
	static const gfp_t gfps[] = { GFP_NOIO, GFP_NOFS, GFP_KERNEL };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gfps); i++) {
		struct bget_pool *bp = bget_pool_create("gfp", 0, 0);
		void *p, *d;

		CHECK(!IS_ERR(bp), "create");
		CHECK(!bget_pool_ctl(bp, &bget_vmalloc_ops, 64 << 10), "ctl");
		ap_shim_last_gfp = 0;
		p = bget_alloc(bp, 100, gfps[i]);
		CHECK(p && stats(bp).npget == 1, "expansion");
		CHECK((ap_shim_last_gfp & (__GFP_IO | __GFP_FS)) ==
		      (gfps[i] & (__GFP_IO | __GFP_FS)),
		      "gfp %#x grew with %#x", gfps[i], ap_shim_last_gfp);
		ap_shim_last_gfp = 0;
		d = bget_alloc(bp, 1 << 20, gfps[i]);
		CHECK(d && stats(bp).ndget == 1, "direct");
		CHECK((ap_shim_last_gfp & (__GFP_IO | __GFP_FS)) ==
		      (gfps[i] & (__GFP_IO | __GFP_FS)),
		      "gfp %#x grew with %#x", gfps[i], ap_shim_last_gfp);
		CHECK(ap_shim_task_flags == 0, "memalloc scope left set");
		CHECK(!bget_free(bp, p) && !bget_free(bp, d), "free");
		bget_pool_destroy(bp);
	}
}

static pthread_barrier_t barrier;

static bool slow_vmalloc(size_t size)
{
	usleep(20000);
	return false;
}

#define GROWERS	4

static void *grower(void *arg)
{
	struct bget_pool *bp = arg;
	void *p;

	pthread_barrier_wait(&barrier);
	p = bget_alloc(bp, 1000, GFP_KERNEL);
	CHECK(p, "growing alloc failed");
	return p;
}

/*
 * Four callers that all need the pool to grow: one vmalloc()s at a time,
 * and the others find room in what it added instead of growing again.
 */
static void test_one_grower(void)
{
	struct bget_pool *bp = bget_pool_create("grow", 0, 0);
	pthread_t t[GROWERS];
	void *p[GROWERS];
	unsigned int i;

	CHECK(!IS_ERR(bp), "create");
	CHECK(!bget_pool_ctl(bp, &bget_vmalloc_ops, 64 << 10), "ctl");
	pthread_barrier_init(&barrier, NULL, GROWERS);
	ap_shim_vmalloc_inflight_max = 0;
	ap_shim_fail_hook = slow_vmalloc;
	for (i = 0; i < GROWERS; i++)
		pthread_create(&t[i], NULL, grower, bp);
	for (i = 0; i < GROWERS; i++)
		pthread_join(t[i], &p[i]);
	ap_shim_fail_hook = NULL;
	pthread_barrier_destroy(&barrier);
	CHECK(ap_shim_vmalloc_inflight_max == 1, "%ld vmalloc()s at once",
	      ap_shim_vmalloc_inflight_max);
	CHECK(stats(bp).npget == 1, "%ld expansion blocks for %u buffers",
	      stats(bp).npget, GROWERS);
	for (i = 0; i < GROWERS; i++)
		CHECK(!bget_free(bp, p[i]), "free");
	CHECK(bget_pool_validate(bp), "validate");
	bget_pool_destroy(bp);
}

struct adder {
	struct bget_pool *bp;
	void *buf;
	size_t len;
	int ret;
};

static void *add_thread(void *arg)
{
	struct adder *a = arg;

	pthread_barrier_wait(&barrier);
	a->ret = bget_pool_add(a->bp, a->buf, a->len);
	return NULL;
}

/* Issue 11 #6: two concurrent adds of overlapping buffers: one is refused. */
static void test_add_race(void)
{
	const size_t len = 4 << 20;
	unsigned char *mem = malloc(len + (1 << 20));
	unsigned int round;

	CHECK(mem, "malloc");
	pthread_barrier_init(&barrier, NULL, 2);
	for (round = 0; round < 10; round++) {
		struct bget_pool *bp = bget_pool_create("add", 0, BGET_POISON);
		struct adder a[2] = {
			{ bp, mem, len }, { bp, mem + (1 << 20), len },
		};
		pthread_t t[2];

		CHECK(!IS_ERR(bp), "create");
		pthread_create(&t[0], NULL, add_thread, &a[0]);
		pthread_create(&t[1], NULL, add_thread, &a[1]);
		pthread_join(t[0], NULL);
		pthread_join(t[1], NULL);
		CHECK((a[0].ret == 0) + (a[1].ret == 0) == 1,
		      "round %u: adds returned %d and %d", round, a[0].ret,
		      a[1].ret);
		CHECK(stats(bp).npool == 1, "%ld regions", stats(bp).npool);
		CHECK(bget_pool_validate(bp), "validate");
		bget_pool_destroy(bp);
	}
	pthread_barrier_destroy(&barrier);
	free(mem);
}

struct freer {
	struct bget_pool *bp;
	void *p;
	unsigned long ok, refused;
	bool *done;
};

static void *free_once(void *arg)
{
	struct freer *f = arg;

	pthread_barrier_wait(&barrier);
	if (bget_free(f->bp, f->p) == 0)
		f->ok++;
	else
		f->refused++;
	__atomic_store_n(f->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void *free_again(void *arg)
{
	struct freer *f = arg;

	pthread_barrier_wait(&barrier);
	do {
		if (bget_free(f->bp, f->p) == 0)
			f->ok++;
		else
			f->refused++;
	} while (!__atomic_load_n(f->done, __ATOMIC_ACQUIRE));
	return NULL;
}

/*
 * A second free of a block while the first is poisoning it, lock dropped:
 * exactly one of them is accepted, whichever came first.
 */
static void test_free_while_poisoning(void)
{
	struct bget_pool *bp = bget_pool_create("twice", 32 << 20, BGET_POISON);
	bool done = false;
	struct freer a, b;
	pthread_t t[2];
	void *p;

	CHECK(!IS_ERR(bp), "create");
	p = bget_alloc(bp, 16 << 20, GFP_KERNEL);
	CHECK(p, "alloc");
	a = (struct freer){ .bp = bp, .p = p, .done = &done };
	b = a;
	pthread_barrier_init(&barrier, NULL, 2);
	pthread_create(&t[0], NULL, free_once, &a);
	pthread_create(&t[1], NULL, free_again, &b);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	pthread_barrier_destroy(&barrier);
	CHECK(a.ok + b.ok == 1, "%lu frees accepted", a.ok + b.ok);
	CHECK(stats(bp).invalid_frees == a.refused + b.refused,
	      "invalid_frees %llu, refused %lu", stats(bp).invalid_frees,
	      a.refused + b.refused);
	CHECK(stats(bp).nrel == 1 && stats(bp).curalloc == 0, "stats");
	CHECK(bget_pool_validate(bp), "validate");
	bget_pool_destroy(bp);
}

/* ---- many threads at once on a poisoned, growing pool ---- */

#define WORKERS		3
#define WORKER_OPS	20000
#define WORKER_SLOTS	32

static bool stop_walkers;
static unsigned long verdicts[3];

static void *worker(void *arg)
{
	struct bget_pool *bp = arg;
	unsigned char *slot[WORKER_SLOTS] = { };
	size_t size[WORKER_SLOTS] = { };
	unsigned int seed = (unsigned long)pthread_self();
	unsigned char tag = 0x10 + rand_r(&seed) % 0x40;
	unsigned int i, k;

	pthread_barrier_wait(&barrier);
	for (i = 0; i < WORKER_OPS; i++) {
		unsigned int r = rand_r(&seed) % 64;
		size_t n = 1 + rand_r(&seed) % (r ? r < 8 ? 40000 : 600 : 300000);
		gfp_t gfp = rand_r(&seed) % 4 ? GFP_KERNEL : GFP_ATOMIC;
		unsigned char *p;

		k = rand_r(&seed) % WORKER_SLOTS;
		if (!slot[k]) {
			slot[k] = bget_alloc(bp, n, gfp);
			size[k] = n;
			if (slot[k])
				fill(slot[k], n, tag);
		} else if (rand_r(&seed) % 3) {
			CHECK(intact(slot[k], size[k], tag), "buffer changed");
			CHECK(!bget_free(bp, slot[k]), "free refused");
			slot[k] = NULL;
		} else {
			p = bget_realloc(bp, slot[k], n, gfp);
			if (p) {
				CHECK(intact(p, min(n, size[k]), tag),
				      "realloc lost data");
				fill(p, n, tag);
				slot[k] = p;
				size[k] = n;
			}
		}
		if (!(i % 256))
			ap_shim_run_work();
	}
	for (k = 0; k < WORKER_SLOTS; k++)
		if (slot[k])
			CHECK(!bget_free(bp, slot[k]), "free refused");
	return NULL;
}

static void *walker(void *arg)
{
	struct bget_pool *bp = arg;
	char msg[BGET_MSG_LEN];
	enum bget_verdict v;
	unsigned int i = 0;

	pthread_barrier_wait(&barrier);
	while (!__atomic_load_n(&stop_walkers, __ATOMIC_ACQUIRE)) {
		v = validate(bp, msg, sizeof(msg));
		CHECK(v != BGET_CORRUPT, "a busy pool was called corrupt: %s", msg);
		verdicts[v]++;
		if (!(++i % 16))
			bget_pool_dump(bp, true, true);
	}
	return NULL;
}

/*
 * Workers allocate, reallocate and free (some GFP_ATOMIC) on a poisoned
 * pool that grows and gives expansion blocks back, while another thread
 * validates and dumps it: no buffer is disturbed, the walks never call
 * the pool corrupt, and everything adds up afterwards.
 */
static void test_threads(void)
{
	struct bget_pool *bp = bget_pool_create("threads", 256 << 10,
						BGET_POISON);
	pthread_t t[WORKERS], w;
	char msg[BGET_MSG_LEN];
	struct bget_stats st;
	unsigned int i;

	CHECK(!IS_ERR(bp), "create");
	CHECK(!bget_pool_ctl(bp, &bget_vmalloc_ops, 128 << 10), "ctl");
	pthread_barrier_init(&barrier, NULL, WORKERS + 1);
	stop_walkers = false;
	for (i = 0; i < WORKERS; i++)
		pthread_create(&t[i], NULL, worker, bp);
	pthread_create(&w, NULL, walker, bp);
	for (i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&stop_walkers, true, __ATOMIC_RELEASE);
	pthread_join(w, NULL);
	pthread_barrier_destroy(&barrier);
	st = stats(bp);
	printf("  threads: nget %ld npget %ld nprel %ld ndget %ld; validate: %lu ok, %lu busy\n",
	       st.nget, st.npget, st.nprel, st.ndget, verdicts[BGET_VALID],
	       verdicts[BGET_BUSY]);
	CHECK(st.nget == st.nrel && st.curalloc == 0, "nget %ld nrel %ld",
	      st.nget, st.nrel);
	CHECK(st.invalid_frees == 0 && st.corruptions == 0, "refusals");
	CHECK(st.npget == st.nprel && st.ndget == st.ndrel,
	      "blocks not given back");
	CHECK(pool_transit(bp) == 0, "left in transit");
	CHECK(validate(bp, msg, sizeof(msg)) == BGET_VALID,
	      "a quiet pool: %s", msg);
	bget_pool_destroy(bp);
}

static unsigned long in_window;

static void *validator(void *arg)
{
	struct bget_pool *bp = arg;
	char msg[BGET_MSG_LEN];
	enum bget_verdict v;
	bool window;

	pthread_barrier_wait(&barrier);
	while (!__atomic_load_n(&stop_walkers, __ATOMIC_ACQUIRE)) {
		window = pool_transit(bp);
		v = validate(bp, msg, sizeof(msg));
		CHECK(v != BGET_CORRUPT, "called corrupt: %s", msg);
		verdicts[v]++;
		if (window)
			__atomic_add_fetch(&in_window, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * A 16 MiB block freed (poisoned unlocked, then merged with the free block
 * below it) and allocated again (checked unlocked, the rest given back),
 * over and over, while another thread validates: the only changes are the
 * ones that end an unlocked window, so a pass that began inside one and
 * did not see it end would report counters that no longer match.
 */
static void test_walk_across_windows(void)
{
	struct bget_pool *bp = bget_pool_create("windows", (16 << 20) + (64 << 10),
						BGET_POISON);
	void *big, *below, *small[200];
	unsigned int i;
	pthread_t w;

	CHECK(!IS_ERR(bp), "create");
	big = bget_alloc(bp, 16 << 20, GFP_KERNEL);
	below = bget_alloc(bp, 64, GFP_KERNEL);
	for (i = 0; i < ARRAY_SIZE(small); i++)
		small[i] = bget_alloc(bp, 64, GFP_KERNEL);
	CHECK(big && below && small[199], "alloc");
	CHECK(!bget_free(bp, below), "free");
	memset(verdicts, 0, sizeof(verdicts));
	in_window = 0;
	__atomic_store_n(&stop_walkers, false, __ATOMIC_RELEASE);
	pthread_barrier_init(&barrier, NULL, 2);
	pthread_create(&w, NULL, validator, bp);
	pthread_barrier_wait(&barrier);
	/* 100 rounds, and on (up to 2000) until a pass began in a window. */
	for (i = 0; i < 2000; i++) {
		if (i >= 100 && __atomic_load_n(&in_window, __ATOMIC_RELAXED))
			break;
		CHECK(!bget_free(bp, big), "free");
		usleep(1000);	/* passes begun in the window go on */
		big = bget_alloc(bp, 16 << 20, GFP_KERNEL);
		CHECK(big, "alloc");
		usleep(1000);
	}
	__atomic_store_n(&stop_walkers, true, __ATOMIC_RELEASE);
	pthread_join(w, NULL);
	pthread_barrier_destroy(&barrier);
	printf("  windows: validate %lu ok, %lu busy, %lu begun in a window\n",
	       verdicts[BGET_VALID], verdicts[BGET_BUSY], in_window);
	CHECK(in_window, "no validation began in an unlocked window");
	CHECK(!bget_free(bp, big), "free");
	for (i = 0; i < ARRAY_SIZE(small); i++)
		CHECK(!bget_free(bp, small[i]), "free");
	CHECK(bget_pool_validate(bp), "validate");
	bget_pool_destroy(bp);
}

/* Damage found is counted in corruptions, and shown in the stats file. */
static void test_corruptions_counted(void)
{
	struct bget_pool *bp = bget_pool_create("damage", 4096, BGET_POISON);
	struct seq_file m = { };
	struct bget_hdr *n, saved;
	unsigned char *p, *q;
	char *line;

	CHECK(!IS_ERR(bp), "create");
	/* Blocks come from the high end: q at the top, p below it. */
	q = bget_alloc(bp, 200, GFP_KERNEL);
	p = bget_alloc(bp, 200, GFP_KERNEL);
	CHECK(p && q, "alloc");
	CHECK(!bget_free(bp, p), "free");
	ap_kasan_write_u8(&p[100], 0);		/* a write after free */
	CHECK(!bget_alloc(bp, 3000, GFP_KERNEL), "a damaged block handed out");
	CHECK(stats(bp).corruptions == 1 && stats(bp).invalid_frees == 1,
	      "poison: corruptions %llu", stats(bp).corruptions);
	/* The header above q (the sentinel) smashed by an overrun of q. */
	n = next_blk((struct bget_hdr *)q - 1);
	ap_kasan_copy_out(&saved, n, sizeof(saved));
	ap_kasan_memset(n, 0x41, sizeof(*n));
	CHECK(bget_free(bp, q) == -EINVAL, "freed next to a smashed header");
	CHECK(stats(bp).corruptions == 2 && stats(bp).invalid_frees == 2,
	      "smashed: corruptions %llu", stats(bp).corruptions);
	ap_kasan_copy_in(n, &saved, sizeof(saved));
	/* A plain bad pointer is a caller's mistake, not damage. */
	CHECK(bget_free(bp, q + 16) == -EINVAL, "interior pointer");
	CHECK(stats(bp).corruptions == 2 && stats(bp).invalid_frees == 3,
	      "interior: corruptions %llu", stats(bp).corruptions);
	bget_stats_show(&m, &bp->ap);
	line = strstr(m.buf, "invalid_frees: 3\n");
	CHECK(line && !strncmp(line + strlen("invalid_frees: 3\n"),
			       "corruptions: 2\n", 15), "stats file:\n%s", m.buf);
	free(m.buf);
	CHECK(!bget_free(bp, q), "free");
	bget_pool_destroy(bp);
}

/*
 * Memory outside the pool that a damaged link points at: the pool must
 * never write it.
 */
static unsigned long victim[16];

static bool victim_intact(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(victim); i++)
		if (victim[i] != 0x5a5a5a5a5a5a5a5aUL)
			return false;
	return true;
}

/* Does [p, p + n) overlap any of @live's @nr buffers of @sz bytes? */
static bool overlaps_any(const unsigned char *p, size_t n,
			 unsigned char **live, unsigned int nr, size_t sz)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (live[i] && p < live[i] + sz && live[i] < p + n)
			return true;
	return false;
}

/*
 * A write after free over a small free block's bin links (issue 11): the
 * unlink must not write through them.  Two freed 200-byte buffers sit in
 * one bin, apart; the client then writes pointers to memory outside the
 * pool over the links of one.  Allocating from that bin and freeing the
 * neighbours (which merges with it) must leave that memory alone, count
 * the damage, hand none of the damaged block out, and go on serving.
 */
static void test_uaf_bin_links(void)
{
	struct bget_pool *bp = bget_pool_create("uafbin", 64 * 1024, 0);
	unsigned char *b[7], *p[16];
	unsigned long *links;
	unsigned int i;

	CHECK(!IS_ERR(bp), "create");
	memset(victim, 0x5a, sizeof(victim));
	for (i = 0; i < ARRAY_SIZE(b); i++) {
		b[i] = bget_alloc(bp, 200, GFP_KERNEL);
		CHECK(b[i], "alloc");
		fill(b[i], 200, i);
	}
	CHECK(!bget_free(bp, b[1]) && !bget_free(bp, b[3]) &&
	      !bget_free(bp, b[5]), "free");
	/* The client's bug: b[3] is used after its free. */
	links = (unsigned long *)b[3];
	ap_kasan_write_ulong(&links[0], (unsigned long)&victim[4]);
	ap_kasan_write_ulong(&links[1], (unsigned long)&victim[8]);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = bget_alloc(bp, 200, GFP_KERNEL);
		CHECK(victim_intact(), "alloc %u wrote through a damaged link", i);
		CHECK(!p[i] || p[i] + 200 <= b[3] - BGET_HDR ||
		      p[i] >= b[3] + 200, "damaged block handed out");
		CHECK(!p[i] || !overlaps_any(p[i], 200, b, ARRAY_SIZE(b), 200) ||
		      p[i] == b[1] || p[i] == b[5], "overlap");
	}
	/* Free b[3]'s neighbours: a merge would unlink b[3]. */
	CHECK(!bget_free(bp, b[2]) && !bget_free(bp, b[4]), "free neighbours");
	CHECK(victim_intact(), "free wrote through a damaged link");
	CHECK(stats(bp).corruptions >= 1, "corruptions %llu",
	      stats(bp).corruptions);
	for (i = 0; i < ARRAY_SIZE(b); i += 6)
		CHECK(intact(b[i], 200, i), "live buffer %u changed", i);
	/* The pool goes on: other sizes, and the freed ones again. */
	b[2] = bget_alloc(bp, 1000, GFP_KERNEL);
	CHECK(b[2] && (b[2] >= b[3] + 200 || b[2] + 1000 <= b[3] - BGET_HDR),
	      "serves on");
	CHECK(!bget_free(bp, b[2]), "free");
	for (i = 0; i < ARRAY_SIZE(p); i++)
		CHECK(!bget_free(bp, p[i]), "free p");
	CHECK(!bget_free(bp, b[0]) && !bget_free(bp, b[6]), "free");
	CHECK(victim_intact(), "victim");
	bget_pool_destroy(bp);
}

/*
 * A bin cut off keeps its blocks' links, whole but keyed for the bin as it
 * was: once the bin is cut, they must no longer pass as members.  Three
 * blocks in one bin; a write after free over the head's next link gets
 * the bin cut at the next pop.  A free just below one of the others (a
 * merge would unlink it through its old back link) must count it as
 * damage, not merge it back into use.
 */
static void test_cut_bin_links_stale(void)
{
	struct bget_pool *bp = bget_pool_create("cutbin", 64 * 1024, 0);
	unsigned char *b[7], *p;
	struct bget_hdr *h2;
	size_t size2;
	unsigned int i;

	CHECK(!IS_ERR(bp), "create");
	for (i = 0; i < ARRAY_SIZE(b); i++) {
		b[i] = bget_alloc(bp, 200, GFP_KERNEL);
		CHECK(b[i], "alloc");
	}
	/* LIFO: b[5] heads the bin, then b[3], then b[1]. */
	CHECK(!bget_free(bp, b[1]) && !bget_free(bp, b[3]) &&
	      !bget_free(bp, b[5]), "free");
	ap_kasan_write_ulong((unsigned long *)b[5],
			     ap_kasan_read_ulong((unsigned long *)b[5]) ^ 0x40);
	p = bget_alloc(bp, 200, GFP_KERNEL);
	CHECK(p && stats(bp).corruptions == 1, "bin not cut: %llu",
	      stats(bp).corruptions);
	/* Split from the high end: b[1]'s block sits just above b[2]'s. */
	h2 = (struct bget_hdr *)b[2] - 1;
	size2 = blk_size(h2);
	CHECK(next_blk(h2) == (struct bget_hdr *)b[1] - 1, "layout");
	CHECK(!bget_free(bp, b[2]), "free below a cut block");
	CHECK(stats(bp).corruptions > 1, "stale member not counted");
	CHECK(blk_size(h2) == size2, "merged with a block of a cut bin");
	CHECK(!bget_free(bp, p) && !bget_free(bp, b[0]) &&
	      !bget_free(bp, b[4]) && !bget_free(bp, b[6]), "free");
	bget_pool_destroy(bp);
}

/*
 * A forged link that passes every check but the back link: a write after
 * free over a bin head's next link, well encoded (as a link read back
 * from freed memory may be), pointing at the live buffer just above, whose
 * header the same write (past the freed block's end) made say free of the
 * bin's size.  Only the live buffer's back link, which the client owns but
 * cannot encode, tells the lie: the allocation that pops the head must
 * count the damage, and no allocation may hand the live buffer out.
 */
static void test_forged_next_link(void)
{
	struct bget_pool *bp = bget_pool_create("forged", 64 * 1024, 0);
	unsigned char *b[5], *p[8];
	struct bget_free *f;
	struct bget_hdr *h;
	unsigned int i;

	CHECK(!IS_ERR(bp), "create");
	for (i = 0; i < ARRAY_SIZE(b); i++) {
		b[i] = bget_alloc(bp, 200, GFP_KERNEL);
		CHECK(b[i], "alloc");
		fill(b[i], 200, i);
	}
	/* Split from the high end: b[3]'s block ends where b[2]'s header is. */
	h = (struct bget_hdr *)b[2] - 1;
	CHECK((unsigned char *)h == b[3] + blk_size((struct bget_hdr *)b[3] - 1)
	      - BGET_HDR, "layout");
	CHECK(!bget_free(bp, b[1]) && !bget_free(bp, b[3]), "free");
	f = (struct bget_free *)b[3];
	CHECK(bp->bins[size_bin(blk_size(h))] == f, "b[3] heads its bin");
	set_next(bp, f, blk_links(h));
	set_hdr(h, blk_size(h), 0);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = bget_alloc(bp, 200, GFP_KERNEL);
		CHECK(p[i], "alloc %u", i);
		CHECK(!overlaps_any(p[i], 200, b, ARRAY_SIZE(b), 200) ||
		      p[i] == b[1] || p[i] == b[3], "live buffer handed out");
		if (!i)
			CHECK(stats(bp).corruptions >= 1,
			      "forged link not counted at the pop");
	}
	for (i = 0; i < ARRAY_SIZE(p); i++)
		CHECK(!bget_free(bp, p[i]), "free p");
	CHECK(intact(b[0], 200, 0) && intact(b[4], 200, 4), "live buffers");
	CHECK(!bget_free(bp, b[0]) && !bget_free(bp, b[4]), "free");
	bget_pool_destroy(bp);
}

/*
 * A forged boundary tag and header that agree with each other but not
 * with the size tree: a free lands just above a live buffer, below which
 * is the only large free block.  The driver's overflow rewrote the freed
 * block's tag and that large block's header to span the live buffer too.
 * The free's fast path grows the large block only if its out-of-band node
 * agrees: the damage must be counted, and the live buffer never handed
 * out.
 */
static void test_forged_lower_tag(void)
{
	struct bget_pool *bp = bget_pool_create("forgedtag", 256 * 1024, 0);
	unsigned char *a, *c, *p;
	struct bget_hdr *ha, *lo;
	size_t span;
	unsigned int i;

	CHECK(!IS_ERR(bp), "create");
	/* A first free finds the region: later frees take the fast path. */
	a = bget_alloc(bp, 100, GFP_KERNEL);
	CHECK(a && !bget_free(bp, a), "warm up");
	a = bget_alloc(bp, 100, GFP_KERNEL);
	c = bget_alloc(bp, 100, GFP_KERNEL);
	CHECK(a && c && c < a, "alloc");
	fill(c, 100, 7);
	ha = (struct bget_hdr *)a - 1;
	lo = reg_first(rb_entry(rb_first(&bp->regions), struct bget_region, node));
	CHECK(blk_free(lo) && blk_size(lo) >= BGET_LARGE, "lone block below");
	span = (char *)ha - (char *)lo;
	set_prevfree(ha, span);
	set_hdr(lo, span, 0);
	CHECK(!bget_free(bp, a), "free");
	CHECK(stats(bp).corruptions >= 1, "forged tag not counted");
	for (i = 0; i < 64; i++) {
		p = bget_alloc(bp, 1000, GFP_KERNEL);
		if (!p)
			break;
		CHECK(p + 1000 <= c || p >= c + 100, "live buffer handed out");
	}
	CHECK(intact(c, 100, 7), "live buffer changed");
	bget_pool_destroy(bp);
}

/*
 * A free just below a bin's only block, the merge bget_free() does on its
 * fast path: the bin names the block and so its size, but the boundary tag
 * above it is a client's to reach (a write after free past its end).  A
 * tag that no longer agrees must be counted as damage and the block left
 * out of the merge, never merged over.
 */
static void test_merge_up_damaged_tag(void)
{
	struct bget_pool *bp = bget_pool_create("mergeup", 64 * 1024, 0);
	unsigned char *b[5], *p;
	struct bget_hdr *n, *e;
	unsigned int i;

	CHECK(!IS_ERR(bp), "create");
	/* A first free finds the region: later frees take the fast path. */
	p = bget_alloc(bp, 100, GFP_KERNEL);
	CHECK(p && !bget_free(bp, p), "warm up");
	for (i = 0; i < ARRAY_SIZE(b); i++) {
		b[i] = bget_alloc(bp, 200, GFP_KERNEL);
		CHECK(b[i], "alloc");
		fill(b[i], 200, i);
	}
	/* Split from the high end: b[3]'s block ends where b[2]'s header is. */
	n = (struct bget_hdr *)b[2] - 1;
	CHECK((unsigned char *)n == b[3] + blk_size((struct bget_hdr *)b[3] - 1)
	      - BGET_HDR, "layout");
	CHECK(!bget_free(bp, b[2]), "free");
	CHECK(bp->bins[size_bin(blk_size(n))] == blk_links(n), "b[2] heads its bin");
	/* The write past b[2]'s end: b[1]'s tag forgets its free neighbour. */
	e = next_blk(n);
	CHECK((unsigned char *)e == b[1] - BGET_HDR && hdr_prevfree(e), "tag");
	set_prevfree(e, 0);
	CHECK(!bget_free(bp, b[3]), "free below");
	CHECK(stats(bp).corruptions == 1, "damaged tag not counted: %llu",
	      stats(bp).corruptions);
	CHECK(blk_size((struct bget_hdr *)b[3] - 1) ==
	      (size_t)((unsigned char *)n - b[3]) + BGET_HDR,
	      "merged over a damaged tag");
	for (i = 0; i < 32; i++) {
		p = bget_alloc(bp, 200, GFP_KERNEL);
		CHECK(p, "serves on");
		CHECK(p + 200 <= (unsigned char *)n || p > b[2] + 200,
		      "damaged block handed out");
	}
	CHECK(intact(b[0], 200, 0) && intact(b[1], 200, 1) &&
	      intact(b[4], 200, 4), "live buffers");
	bget_pool_destroy(bp);
}

/*
 * The hot block (a merge on bget_free()'s fast path, kept off its bin):
 * b[3] freed just below b[2]'s free block makes it.  The pool's setup for
 * the two cases below; returns the hot block's header.
 */
static struct bget_hdr *hot_setup(struct bget_pool *bp, unsigned char **b,
				  unsigned int n)
{
	unsigned char *p;
	unsigned int i;

	CHECK(!IS_ERR(bp), "create");
	/* A first free finds the region: later frees take the fast path. */
	p = bget_alloc(bp, 100, GFP_KERNEL);
	CHECK(p && !bget_free(bp, p), "warm up");
	for (i = 0; i < n; i++) {
		b[i] = bget_alloc(bp, 200, GFP_KERNEL);
		CHECK(b[i], "alloc");
		fill(b[i], 200, i);
	}
	CHECK(!bget_free(bp, b[2]) && !bget_free(bp, b[3]), "free");
	CHECK(bp->hot == (struct bget_hdr *)b[3] - 1 &&
	      next_blk(bp->hot) == (struct bget_hdr *)b[1] - 1, "hot block");
	return bp->hot;
}

/* The pool serves on, never handing out [@lo, @hi), a block cut off. */
static void serves_around(struct bget_pool *bp, unsigned char *lo,
			  unsigned char *hi)
{
	unsigned char *p;
	unsigned int i;

	for (i = 0; i < 32; i++) {
		p = bget_alloc(bp, 200, GFP_KERNEL);
		CHECK(p, "serves on");
		CHECK(p >= hi || p + 200 <= lo, "damaged block handed out");
	}
}

/*
 * A write after free over the hot block's header: the allocation that
 * would carve it must count the damage and never hand it out.
 */
static void test_hot_damaged_header(void)
{
	struct bget_pool *bp = bget_pool_create("hothdr", 64 * 1024, 0);
	unsigned char *b[5], *p, *lo, *hi;
	struct bget_hdr *hot;

	hot = hot_setup(bp, b, ARRAY_SIZE(b));
	lo = (unsigned char *)hot;
	hi = lo + blk_size(hot);
	ap_kasan_write_u32(&hot->info, hdr_info(hot) ^ 0x40);
	p = bget_alloc(bp, 200, GFP_KERNEL);
	CHECK(p && (p >= hi || p + 200 <= lo), "damaged hot block handed out");
	CHECK(stats(bp).corruptions == 1, "damaged hot block not counted: %llu",
	      stats(bp).corruptions);
	CHECK(!bp->hot, "damaged hot block kept");
	serves_around(bp, lo, hi);
	CHECK(intact(b[0], 200, 0) && intact(b[1], 200, 1) &&
	      intact(b[4], 200, 4), "live buffers");
	CHECK(!bget_pool_validate(bp), "validate missed the damage");
	bget_pool_destroy(bp);
}

/*
 * A write past the hot block's end over the boundary tag above it: the
 * next free just below must not merge over it, and count the damage.
 */
static void test_hot_damaged_tag(void)
{
	struct bget_pool *bp = bget_pool_create("hottag", 64 * 1024, 0);
	unsigned char *b[6], *lo, *hi;
	struct bget_hdr *hot, *h4;
	size_t hsize;

	/* b[5], live, keeps b[4]'s free on the path that merges into @hot. */
	hot = hot_setup(bp, b, ARRAY_SIZE(b));
	hsize = blk_size(hot);
	lo = (unsigned char *)hot;
	hi = lo + hsize;
	h4 = (struct bget_hdr *)b[4] - 1;
	CHECK(next_blk(h4) == hot && !hdr_prevfree(h4), "layout");
	set_prevfree(next_blk(hot), 0);
	CHECK(!bget_free(bp, b[4]), "free below");
	CHECK(stats(bp).corruptions == 1, "damaged tag not counted: %llu",
	      stats(bp).corruptions);
	CHECK(blk_size(h4) == (size_t)(lo - (unsigned char *)h4) &&
	      hdr_ok(hot) && blk_size(hot) == hsize && !blk_free(hot),
	      "merged over a damaged tag");
	serves_around(bp, lo, hi);
	CHECK(intact(b[0], 200, 0) && intact(b[1], 200, 1) &&
	      intact(b[5], 200, 5), "live buffers");
	bget_pool_destroy(bp);
}

/*
 * The size tree's cache of chain heads names nodes in the regions' node
 * arrays: when an expansion region goes back (and its array with it), no
 * slot may still name one of its nodes.
 */
static void test_tree_cache_region_gone(void)
{
	struct bget_pool *bp = bget_pool_create("tcache", 64 * 1024, 0);
	struct bget_hdr *hb, *lo;
	struct bget_tnode *tn;
	unsigned char *a, *b;
	unsigned int i;

	CHECK(!IS_ERR(bp), "create");
	CHECK(!bget_pool_ctl(bp, &bget_vmalloc_ops, 128 << 10), "ctl");
	a = bget_alloc(bp, 60 << 10, GFP_KERNEL);
	b = bget_alloc(bp, 60 << 10, GFP_KERNEL);
	CHECK(a && b && stats(bp).npget == 1, "an expansion region");
	/* b is carved from its region's high end, above the rest. */
	hb = (struct bget_hdr *)b - 1;
	lo = blk_below(hb, hdr_prevfree(hb));
	CHECK(hdr_prevfree(hb) >= BGET_LARGE && blk_free(lo), "a large rest below");
	tn = tnode_of((struct bget_region *)((char *)lo - BGET_REG_HDR), lo);
	CHECK(tn->blk == lo, "the rest's node");
	/* Placed whole when the region came, cached under that size. */
	for (i = 0; i < BGET_TCACHE && bp->tcache[i] != tn; i++)
		;
	CHECK(i < BGET_TCACHE, "the cache names the rest's node");
	CHECK(!bget_free(bp, b) && stats(bp).nprel == 1, "region released");
	for (i = 0; i < BGET_TCACHE; i++)
		CHECK(bp->tcache[i] != tn, "slot %u names a released node", i);
	CHECK(!bget_free(bp, a), "free");
	bget_pool_destroy(bp);
}

/*
 * The same over a large free block: its size-tree node is out of band, so
 * what a client reaches is its header.  A smashed header must not steer
 * the allocator out of the pool, and the block must not be handed out.
 */
static void test_uaf_tree_links(void)
{
	struct bget_pool *bp = bget_pool_create("uaftree", 512 * 1024, 0);
	size_t sz[] = { 40000, 20000, 30000, 20000, 50000, 20000 };
	unsigned char *b[ARRAY_SIZE(sz)], *p;
	unsigned long *hdr, *body;
	unsigned int i, k;

	CHECK(!IS_ERR(bp), "create");
	memset(victim, 0x5a, sizeof(victim));
	for (i = 0; i < ARRAY_SIZE(b); i++) {
		b[i] = bget_alloc(bp, sz[i], GFP_KERNEL);
		CHECK(b[i], "alloc");
	}
	/* Three large free blocks of different sizes: a tree of nodes. */
	CHECK(!bget_free(bp, b[0]) && !bget_free(bp, b[2]) &&
	      !bget_free(bp, b[4]), "free");
	/* Its header (prevfree, info|check) and first bytes: the victim. */
	hdr = (unsigned long *)(b[2] - BGET_HDR);
	body = (unsigned long *)b[2];
	ap_kasan_write_ulong(&hdr[0], (unsigned long)&victim[0]);
	ap_kasan_write_ulong(&hdr[1], (unsigned long)&victim[2]);
	for (k = 0; k < 5; k++)
		ap_kasan_write_ulong(&body[k], (unsigned long)&victim[2 * k]);
	for (i = 0; i < 4; i++) {
		p = bget_alloc(bp, 24000 + i * 8000, GFP_KERNEL);
		CHECK(victim_intact(), "alloc %u wrote through a damaged node", i);
		CHECK(!p || p + 24000 + i * 8000 <= b[2] - BGET_HDR ||
		      p >= b[2] + sz[2], "damaged block handed out");
		if (p)
			CHECK(!bget_free(bp, p), "free");
		CHECK(victim_intact(), "free %u wrote through a damaged node", i);
	}
	/*
	 * Both neighbours' headers or boundary tags lead to the smashed
	 * header, which no longer checks out: their frees are refused (as a
	 * smashed header), the buffers stay allocated.
	 */
	CHECK(bget_free(bp, b[1]) == -EINVAL, "free lower neighbour");
	CHECK(bget_free(bp, b[3]) == -EINVAL, "free upper neighbour");
	CHECK(victim_intact(), "merge wrote through a damaged header");
	CHECK(stats(bp).corruptions >= 1, "corruptions %llu",
	      stats(bp).corruptions);
	p = bget_alloc(bp, 100, GFP_KERNEL);
	CHECK(p, "serves on");
	CHECK(!bget_free(bp, p) && !bget_free(bp, b[5]), "free");
	bget_pool_destroy(bp);
}

/*
 * Every size up to SIZE_MAX: refused with -EINVAL or -ENOMEM and an
 * error message, never a WARN or vmalloc's warn_alloc (the shim aborts
 * on those).
 */
static void test_sizes(void)
{
	static unsigned char buf[4096] __aligned(16);
	struct bget_pool *bp, *big;
	unsigned long errs;
	unsigned int k;
	int d;

	bp = bget_pool_create("sizes", 0, 0);
	CHECK(!IS_ERR(bp), "create");
	for (k = 0; k <= 64; k++) {
		for (d = -1; d <= 1; d++) {
			size_t size = (k < 64 ? (size_t)1 << k : SIZE_MAX) + d;
			long ret;

			if (k == 64 && d > 0)
				continue;
			errs = ap_shim_nr_err + ap_shim_nr_warn;
			big = bget_pool_create("sizes2", size, 0);
			ret = IS_ERR(big) ? PTR_ERR(big) : 0;
			CHECK(!ret || ret == -EINVAL || ret == -ENOMEM,
			      "create %zu: %ld", size, ret);
			CHECK(!ret || ap_shim_nr_err + ap_shim_nr_warn > errs,
			      "create %zu refused without a message", size);
			bget_pool_destroy(big);
			errs = ap_shim_nr_err;
			ret = bget_pool_ctl(bp, &bget_vmalloc_ops, size);
			CHECK(!ret || ret == -EINVAL, "ctl %zu: %ld", size, ret);
			CHECK(!ret || ap_shim_nr_err > errs,
			      "ctl %zu refused without a message", size);
			/* Only lengths refused before a byte is written. */
			if (size > BGET_OVERHEAD + BGET_MAX_BLOCK + BGET_QUANTUM) {
				errs = ap_shim_nr_err;
				CHECK(bget_pool_add(bp, buf, size) == -EINVAL,
				      "add %zu", size);
				CHECK(ap_shim_nr_err > errs,
				      "add %zu refused without a message", size);
			}
		}
	}
	/* Growth asks for what a request needs, up to the largest block. */
	CHECK(!bget_pool_ctl(bp, &bget_vmalloc_ops, 4096), "ctl");
	for (k = 0; k <= 64; k++) {
		size_t size = k < 64 ? (size_t)1 << k : SIZE_MAX;
		void *p = bget_alloc(bp, size, GFP_KERNEL);

		CHECK(!p || size <= AP_SHIM_TOTALRAM, "alloc %zu", size);
		if (p)
			CHECK(!bget_free(bp, p), "free");
	}
	bget_pool_destroy(bp);
	ap_shim_run_work();
}

/* Fault injection: the Nth allocation of the call fails. */
static unsigned int fail_nth, fail_count;

static bool fail_hook(size_t size)
{
	return ++fail_count == fail_nth;
}

static void fail_at(unsigned int n)
{
	fail_nth = n;
	fail_count = 0;
	ap_shim_fail_hook = n ? fail_hook : NULL;
}

static bool stats_equal(struct bget_stats a, struct bget_stats b)
{
	a.failures = 0;
	b.failures = 0;
	return !memcmp(&a, &b, sizeof(a));
}

/*
 * Every allocation create, growth through the default (vmalloc) acquire
 * and a direct block make fails in turn: -ENOMEM or NULL, the pool as it
 * was, nothing leaked.
 */
static void test_fault_injection(void)
{
	static const struct { size_t size; unsigned int flags; } cf[] = {
		{ 0, 0 }, { 4096, 0 }, { 4096, BGET_POISON },
		{ 65536, BGET_BEST_FIT | BGET_POISON },
	};
	struct bget_stats before;
	struct bget_pool *bp;
	unsigned int i, n;
	long live;
	void *p;

	for (i = 0; i < ARRAY_SIZE(cf); i++) {
		for (n = 1;; n++) {
			live = ap_shim_live_allocs;
			fail_at(n);
			bp = bget_pool_create("faults", cf[i].size, cf[i].flags);
			fail_at(0);
			if (!IS_ERR(bp))
				break;
			CHECK(PTR_ERR(bp) == -ENOMEM, "create %u/%u: %ld", i, n,
			      PTR_ERR(bp));
			CHECK(ap_shim_live_allocs == live, "create %u/%u leaked",
			      i, n);
		}
		CHECK(fail_count < n, "create %u succeeded past failure %u", i,
		      n);
		CHECK(!bget_pool_ctl(bp, &bget_vmalloc_ops, 8192), "ctl");
		/* Growth: an expansion block, then a direct block. */
		for (n = 1;; n++) {
			before = stats(bp);
			live = ap_shim_live_allocs;
			fail_at(n);
			p = bget_alloc(bp, 6000, GFP_KERNEL);
			fail_at(0);
			if (p)
				break;
			CHECK(stats_equal(stats(bp), before), "grow %u/%u changed the pool",
			      i, n);
			CHECK(ap_shim_live_allocs == live, "grow %u/%u leaked", i, n);
		}
		for (n = 1;; n++) {
			void *q;

			before = stats(bp);
			live = ap_shim_live_allocs;
			fail_at(n);
			q = bget_alloc(bp, 100000, GFP_KERNEL);
			fail_at(0);
			if (q) {
				CHECK(!bget_free(bp, q), "free direct");
				break;
			}
			CHECK(stats_equal(stats(bp), before), "direct %u/%u changed the pool",
			      i, n);
			CHECK(ap_shim_live_allocs == live, "direct %u/%u leaked", i, n);
		}
		CHECK(!bget_free(bp, p), "free");
		p = bget_alloc(bp, 100, GFP_KERNEL);
		CHECK(p && !bget_free(bp, p), "alloc/free after the failures");
		live = ap_shim_live_allocs;
		bget_pool_destroy(bp);
		ap_shim_run_work();
		CHECK(ap_shim_live_allocs < live, "destroy freed nothing");
	}
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "hardirq", test_hardirq },
	{ "caller_spinlock", test_caller_spinlock },
	{ "big_blocks_bounded", test_big_blocks_bounded },
	{ "walks_in_steps", test_walks_in_steps },
	{ "growth_gfp", test_growth_gfp },
	{ "one_grower", test_one_grower },
	{ "add_race", test_add_race },
	{ "free_while_poisoning", test_free_while_poisoning },
	{ "threads", test_threads },
	{ "walk_across_windows", test_walk_across_windows },
	{ "corruptions_counted", test_corruptions_counted },
	{ "uaf_bin_links", test_uaf_bin_links },
	{ "forged_next_link", test_forged_next_link },
	{ "cut_bin_links_stale", test_cut_bin_links_stale },
	{ "forged_lower_tag", test_forged_lower_tag },
	{ "merge_up_damaged_tag", test_merge_up_damaged_tag },
	{ "hot_damaged_header", test_hot_damaged_header },
	{ "hot_damaged_tag", test_hot_damaged_tag },
	{ "tree_cache_region_gone", test_tree_cache_region_gone },
	{ "uaf_tree_links", test_uaf_tree_links },
	{ "sizes", test_sizes },
	{ "fault_injection", test_fault_injection },
};

int main(int argc, char **argv)
{
	unsigned int i;
	int a;

	ap_shim_quiet = 2;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		bool run = argc < 2;

		for (a = 1; a < argc; a++)
			run |= !strcmp(argv[a], cases[i].name);
		if (!run)
			continue;
		printf("bget_context: %s\n", cases[i].name);
		fflush(stdout);
		cases[i].fn();
		ap_shim_run_work();
	}
	CHECK(ap_shim_live_allocs == 0, "%ld allocations leaked",
	      ap_shim_live_allocs);
	CHECK(ap_shim_nr_WARN == 0, "WARN fired");
	printf("bget_context: PASS\n");
	return 0;
}
