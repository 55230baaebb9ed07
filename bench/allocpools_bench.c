// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel benchmark of allocpools (make bench; scripts/bench.sh).
 *
 * At load it runs the workloads of issue 6 on each allocpools allocator and
 * on the kernel's own allocators a driver would otherwise use, in the same
 * boot, and prints one line per run:
 *
 *   apbench: <run> <workload> <allocator> <pool_bytes> <ops> <ns/op x10> <failures>
 *
 * except that run=threads prints the number of threads in place of
 * <pool_bytes>, and run=threads and run=spsc print ops (records) per ms
 * of wall time in place of <ns/op x10>; run=spsc then adds how many
 * records found the queue full (at the producer) and empty (at the
 * consumer).
 *
 * Booted with QEMU's "-icount shift=0" the guest clock advances one
 * nanosecond per guest instruction, so the same figure is then guest
 * instructions per op, deterministic.
 *
 * Workloads (sizes and victims drawn from a fixed seed before timing):
 *   lifo64        1000 x alloc 64 B, then free in reverse
 *   fifo-mixed    log-uniform 16..1024 B, 1000 live, free the oldest
 *   random-churn  log-uniform 16..4096 B, 5000 live, free a random one
 *   pow2-churn    4..64 KiB powers of two, 1000 live, free a random one
 * One op is one alloc+free pair; for the queues (iom, iom-spsc, kfifo,
 * kfifo-spinlocked) one push+shift of a fifo-mixed record.
 *
 * run=ops      every workload on every allocator, pools (and gen_pool
 *              regions) of 64 MiB
 * run=scale    random-churn at pool sizes 1 MiB .. 1 GiB; min(5000,
 *              pool / 4 KiB) objects live, so that it fits the smallest
 * run=threads  random-churn, 1000 live and 5 x ops operations per thread,
 *              one pool shared by 1, 2 and 4 threads (thread i bound to
 *              CPU i % 2): throughput in ops per ms of wall time, per
 *              allocpools allocator and for kmalloc and a kmem_cache
 * run=spsc     fifo-mixed records, 5 x ops of them, from a producer on
 *              CPU 0 to a consumer on CPU 1 through each queue: iom and
 *              kfifo-spinlocked (any number of callers, a lock), iom-spsc
 *              and bare kfifo (one producer, one consumer, no lock):
 *              records per ms of wall time; a full (empty) queue is
 *              polled
 * run=worst    each call of the ops run (alloc, free; push, shift) timed
 *              alone with interrupts off and GFP_ATOMIC, on every
 *              workload and allocator: per kind of call the quantiles
 *              and the max, net of the clock reads (run_worst() below);
 *              pass ops=100000 for p99.99 to rest on 10 calls
 * ops=N        timed ops per run (default 20000; the gen_pool peers with
 *              16-byte granules do a twentieth of that)
 *
 * Everything runs at load; the module holds nothing afterwards and is
 * unloaded by the script.  (It does not fail its init to unload itself:
 * busybox's insmod would load it again through init_module.)
 */

#define pr_fmt(fmt) "apbench: " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/genalloc.h>
#include <linux/gfp.h>
#include <linux/kfifo.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/mempool.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>

#include <allocpools/allocpools.h>

static char *run = "ops";
module_param(run, charp, 0400);
MODULE_PARM_DESC(run, "ops, scale, threads, worst or spsc");

static unsigned int ops = 20000;
module_param(ops, uint, 0400);
MODULE_PARM_DESC(ops, "timed operations per run");

#define LIVE_MAX	5000

/*
 * The gfp of every timed allocation: run=worst times each call with
 * interrupts off, where only an atomic allocation is allowed (it is what
 * a pool in an interrupt handler is called with).
 */
static gfp_t b_gfp = GFP_KERNEL;

/* ---- the allocators under test, one at a time ---- */

struct bench_alloc {
	const char *name;
	bool slow;		/* does a twentieth of the ops */
	int (*setup)(size_t pool, size_t max_size);
	void *(*alloc)(size_t size);
	void (*free)(void *p, size_t size);
	void (*teardown)(void);
};

static struct buddy_arena *b_arena;
static struct bget_pool *b_bget;
static struct bump_slab *b_slab;
static struct kmem_cache *b_cache;
static mempool_t *b_mempool;
static struct gen_pool *b_genpool;
static void *b_region;

static int kmalloc_setup(size_t pool, size_t max_size)
{
	return 0;
}

static void *kmalloc_alloc(size_t size)
{
	return kmalloc(size, b_gfp);
}

static void kmalloc_free(void *p, size_t size)
{
	kfree(p);
}

static void no_teardown(void)
{
}

static int cache_setup(size_t pool, size_t max_size)
{
	b_cache = kmem_cache_create("apbench", max_size, 0, 0, NULL);
	return b_cache ? 0 : -ENOMEM;
}

static void *cache_alloc(size_t size)
{
	return kmem_cache_alloc(b_cache, b_gfp);
}

static void cache_free(void *p, size_t size)
{
	kmem_cache_free(b_cache, p);
}

static void cache_teardown(void)
{
	kmem_cache_destroy(b_cache);
}

/* A mempool of kmalloc'd elements of the workload's largest size. */
static int mempool_setup(size_t pool, size_t max_size)
{
	b_mempool = mempool_create_kmalloc_pool(16, max_size);
	return b_mempool ? 0 : -ENOMEM;
}

static void *mempool_alloc1(size_t size)
{
	return mempool_alloc(b_mempool, b_gfp);
}

static void mempool_free1(void *p, size_t size)
{
	mempool_free(p, b_mempool);
}

static void mempool_teardown(void)
{
	mempool_destroy(b_mempool);
}

/* gen_pool over a vmalloc'd region of the pool's size (64 MiB in run=ops) */
static int genpool_setup(size_t pool, int order, genpool_algo_t algo)
{
	b_region = vmalloc(pool);
	b_genpool = gen_pool_create(order, NUMA_NO_NODE);
	if (!b_region || !b_genpool ||
	    gen_pool_add(b_genpool, (unsigned long)b_region, pool,
			 NUMA_NO_NODE)) {
		if (b_genpool)
			gen_pool_destroy(b_genpool);
		vfree(b_region);
		return -ENOMEM;
	}
	gen_pool_set_algo(b_genpool, algo, NULL);
	return 0;
}

static int genpool_ff16_setup(size_t pool, size_t max_size)
{
	return genpool_setup(pool, 4, gen_pool_first_fit);
}

static int genpool_bf16_setup(size_t pool, size_t max_size)
{
	return genpool_setup(pool, 4, gen_pool_best_fit);
}

static int genpool_ff4k_setup(size_t pool, size_t max_size)
{
	return genpool_setup(pool, 12, gen_pool_first_fit);
}

static int genpool_bf4k_setup(size_t pool, size_t max_size)
{
	return genpool_setup(pool, 12, gen_pool_best_fit);
}

static void *genpool_alloc1(size_t size)
{
	return (void *)gen_pool_alloc(b_genpool, size);
}

static void genpool_free1(void *p, size_t size)
{
	gen_pool_free(b_genpool, (unsigned long)p, size);
}

static void genpool_teardown(void)
{
	gen_pool_destroy(b_genpool);
	vfree(b_region);
}

static int pages_setup(size_t pool, size_t max_size)
{
	return 0;
}

static void *pages_alloc(size_t size)
{
	return (void *)__get_free_pages(b_gfp, get_order(size));
}

static void pages_free(void *p, size_t size)
{
	free_pages((unsigned long)p, get_order(size));
}

static int buddy_setup(size_t pool, size_t max_size)
{
	b_arena = buddy_arena_create("apbench", pool, BUDDY_ARENA_MIN_ORDER,
				     BUDDY_ARENA_MAX_ORDER, 0);
	return PTR_ERR_OR_ZERO(b_arena);
}

static void *buddy_alloc(size_t size)
{
	return buddy_arena_alloc(b_arena, size, b_gfp);
}

static void buddy_free(void *p, size_t size)
{
	buddy_arena_free(b_arena, p);
}

static void buddy_teardown(void)
{
	buddy_arena_destroy(b_arena);
}

static int bget_ff_setup(size_t pool, size_t max_size)
{
	b_bget = bget_pool_create("apbench", pool, 0);
	return PTR_ERR_OR_ZERO(b_bget);
}

static int bget_bf_setup(size_t pool, size_t max_size)
{
	b_bget = bget_pool_create("apbench", pool, BGET_BEST_FIT);
	return PTR_ERR_OR_ZERO(b_bget);
}

/* The same pools with the per-CPU front (BGET_PERCPU). */
static int bget_ff_pcp_setup(size_t pool, size_t max_size)
{
	b_bget = bget_pool_create("apbench", pool, BGET_PERCPU);
	return PTR_ERR_OR_ZERO(b_bget);
}

static int bget_bf_pcp_setup(size_t pool, size_t max_size)
{
	b_bget = bget_pool_create("apbench", pool,
				  BGET_BEST_FIT | BGET_PERCPU);
	return PTR_ERR_OR_ZERO(b_bget);
}

static void *bget_alloc1(size_t size)
{
	return bget_alloc(b_bget, size, b_gfp);
}

static void bget_free1(void *p, size_t size)
{
	bget_free(b_bget, p);
}

static void bget_teardown(void)
{
	bget_pool_destroy(b_bget);
}

static int slab_setup(size_t pool, size_t max_size)
{
	b_slab = bump_slab_create("apbench", pool, 0);
	return PTR_ERR_OR_ZERO(b_slab);
}

/* bump_slab on a buddy arena, with the create flags @flags */
static int slab_on_setup_flags(size_t pool, unsigned int flags)
{
	b_arena = buddy_arena_create("apbench", pool, BUDDY_ARENA_MIN_ORDER,
				     BUDDY_ARENA_MAX_ORDER, 0);
	if (IS_ERR(b_arena))
		return PTR_ERR(b_arena);
	b_slab = bump_slab_create_on("apbench", b_arena, flags);
	if (!IS_ERR(b_slab))
		return 0;
	buddy_arena_destroy(b_arena);
	return PTR_ERR(b_slab);
}

static int slab_on_setup(size_t pool, size_t max_size)
{
	return slab_on_setup_flags(pool, 0);
}

static int slab_pcp_setup(size_t pool, size_t max_size)
{
	return slab_on_setup_flags(pool, BUMP_SLAB_PERCPU);
}

static void *slab_alloc(size_t size)
{
	return bump_slab_alloc(b_slab, size, b_gfp);
}

static void slab_free(void *p, size_t size)
{
	bump_slab_free(b_slab, p);
}

static void slab_teardown(void)
{
	bump_slab_destroy(b_slab);
}

static void slab_on_teardown(void)
{
	bump_slab_destroy(b_slab);
	buddy_arena_destroy(b_arena);
}

static const struct bench_alloc allocators[] = {
	{ "buddy", false, buddy_setup, buddy_alloc, buddy_free, buddy_teardown },
	{ "bget-ff", false, bget_ff_setup, bget_alloc1, bget_free1, bget_teardown },
	{ "bget-bf", false, bget_bf_setup, bget_alloc1, bget_free1, bget_teardown },
	{ "bget-ff-pcp", false, bget_ff_pcp_setup, bget_alloc1, bget_free1,
	  bget_teardown },
	{ "bget-bf-pcp", false, bget_bf_pcp_setup, bget_alloc1, bget_free1,
	  bget_teardown },
	{ "bump_slab", false, slab_setup, slab_alloc, slab_free, slab_teardown },
	{ "bump_slab-buddy", false, slab_on_setup, slab_alloc, slab_free,
	  slab_on_teardown },
	{ "bump_slab-buddy-pcp", false, slab_pcp_setup, slab_alloc, slab_free,
	  slab_on_teardown },
	{ "kmalloc", false, kmalloc_setup, kmalloc_alloc, kmalloc_free,
	  no_teardown },
	{ "kmem_cache", false, cache_setup, cache_alloc, cache_free,
	  cache_teardown },
	{ "mempool", false, mempool_setup, mempool_alloc1, mempool_free1,
	  mempool_teardown },
	{ "genpool-ff16", true, genpool_ff16_setup, genpool_alloc1,
	  genpool_free1, genpool_teardown },
	{ "genpool-bf16", true, genpool_bf16_setup, genpool_alloc1,
	  genpool_free1, genpool_teardown },
	{ "genpool-ff4k", false, genpool_ff4k_setup, genpool_alloc1,
	  genpool_free1, genpool_teardown },
	{ "genpool-bf4k", false, genpool_bf4k_setup, genpool_alloc1,
	  genpool_free1, genpool_teardown },
	{ "alloc_pages", false, pages_setup, pages_alloc, pages_free,
	  no_teardown },
};

static const struct bench_alloc *find_alloc(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(allocators); i++)
		if (!strcmp(allocators[i].name, name))
			return &allocators[i];
	return NULL;
}

/* ---- workloads ---- */

struct script {
	const char *name;
	unsigned int live;	/* 0: lifo64 */
	unsigned long ops;
	size_t max_size;
	u32 *size;		/* live + ops sizes */
	u32 *victim;		/* ops slots, freed before each allocation */
	void **slot;
	u32 *slot_size;
};

/* The userspace benchmark's generator, in integers. */
static u32 rnd(u64 *rng)
{
	*rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return *rng >> 33;
}

/* log-uniform over the octaves of [lo, hi], both powers of two */
static u32 log_uniform(u64 *rng, u32 lo, u32 hi)
{
	u32 lo2 = ilog2(lo), hi2 = ilog2(hi);
	u32 octave = ((u64)rnd(rng) * (hi2 - lo2 + 1)) >> 31;
	u32 base = 1U << (lo2 + octave);

	return clamp(base + rnd(rng) % base, lo, hi);
}

static void script_free(struct script *s)
{
	vfree(s->size);
	vfree(s->victim);
	vfree(s->slot);
	vfree(s->slot_size);
}

static int script_make(struct script *s, const char *name, unsigned int live,
		       unsigned long nr_ops, u64 seed)
{
	u64 rng = seed;
	unsigned long i;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->live = live;
	s->ops = nr_ops;
	s->slot = vzalloc(array_size(max(live, 1000U), sizeof(*s->slot)));
	s->slot_size = vzalloc(array_size(max(live, 1000U),
					  sizeof(*s->slot_size)));
	s->size = vmalloc(array_size(live + nr_ops, sizeof(*s->size)));
	s->victim = vmalloc(array_size(nr_ops, sizeof(*s->victim)));
	if (!s->slot || !s->slot_size || !s->size || !s->victim) {
		script_free(s);
		return -ENOMEM;
	}
	if (!live) {
		s->max_size = 64;
		return 0;
	}
	for (i = 0; i < live + nr_ops; i++) {
		if (!strcmp(name, "pow2-churn"))
			s->size[i] = 4096U << (rnd(&rng) % 5);
		else if (!strcmp(name, "fifo-mixed"))
			s->size[i] = log_uniform(&rng, 16, 1024);
		else
			s->size[i] = log_uniform(&rng, 16, 4096);
		s->max_size = max_t(size_t, s->max_size, s->size[i]);
	}
	for (i = 0; i < nr_ops; i++)
		s->victim[i] = !strcmp(name, "fifo-mixed") ? i % live :
			       rnd(&rng) % live;
	return 0;
}

/* Fill the live set (untimed), then churn: returns the failures. */
static unsigned long churn(const struct bench_alloc *a, struct script *s,
			   unsigned long nr_ops, u64 *ns)
{
	unsigned long i, fails = 0;
	unsigned int v;
	u64 t0;

	for (v = 0; v < s->live; v++) {
		s->slot[v] = a->alloc(s->size[v]);
		s->slot_size[v] = s->size[v];
		fails += !s->slot[v];
	}
	t0 = ktime_get_ns();
	for (i = 0; i < nr_ops; i++) {
		v = s->victim[i];
		if (s->slot[v])
			a->free(s->slot[v], s->slot_size[v]);
		s->slot[v] = a->alloc(s->size[s->live + i]);
		s->slot_size[v] = s->size[s->live + i];
		fails += !s->slot[v];
	}
	*ns = ktime_get_ns() - t0;
	for (v = 0; v < s->live; v++)
		if (s->slot[v])
			a->free(s->slot[v], s->slot_size[v]);
	return fails;
}

static unsigned long lifo64(const struct bench_alloc *a, struct script *s,
			    unsigned long nr_ops, u64 *ns)
{
	unsigned long r, fails = 0;
	int i;
	u64 t0;

	t0 = ktime_get_ns();
	for (r = 0; r < nr_ops / 1000; r++) {
		for (i = 0; i < 1000; i++) {
			s->slot[i] = a->alloc(64);
			fails += !s->slot[i];
		}
		for (i = 999; i >= 0; i--)
			if (s->slot[i])
				a->free(s->slot[i], 64);
	}
	*ns = ktime_get_ns() - t0;
	return fails;
}

static void report(const char *what, const char *workload, const char *name,
		   size_t pool, unsigned long nr_ops, u64 ns,
		   unsigned long fails)
{
	pr_info("%s %s %s %zu %lu %llu %lu\n", what, workload, name, pool,
		nr_ops, div64_u64(ns * 10, max(nr_ops, 1UL)), fails);
}

static void bench_one(const char *what, const struct bench_alloc *a,
		      struct script *s, size_t pool)
{
	unsigned long nr_ops = a->slow ? s->ops / 20 : s->ops;
	unsigned long fails;
	u64 ns;
	int err;

	nr_ops = max(rounddown(nr_ops, 1000), 1000UL);
	err = a->setup(pool, s->max_size);
	if (err) {
		pr_info("%s %s %s %zu setup failed %d\n", what, s->name,
			a->name, pool, err);
		return;
	}
	if (s->live)
		fails = churn(a, s, nr_ops, &ns);
	else
		fails = lifo64(a, s, nr_ops, &ns);
	a->teardown();
	report(what, s->name, a->name, pool, nr_ops, ns, fails);
	cond_resched();
}

/* ---- the queues: fifo-mixed records, push one and shift the oldest ---- */

static u8 qbuf[1024];

/* @name "iom", or "iom-spsc" with IOM_SPSC: the same calls with no lock */
static void bench_iom(struct script *s, const char *name, unsigned int flags)
{
	struct iom_buffer *q = iom_create("apbench", 2 << 20, flags);
	unsigned long i, fails = 0;
	size_t len;
	u64 t0, ns;

	if (IS_ERR(q)) {
		pr_info("ops fifo-mixed %s 0 setup failed %ld\n", name, PTR_ERR(q));
		return;
	}
	for (i = 0; i < s->live; i++)
		fails += !!iom_push(q, qbuf, s->size[i], IOM_TAIL_DROP);
	t0 = ktime_get_ns();
	for (i = 0; i < s->ops; i++) {
		fails += !!iom_shift(q, qbuf, &len, sizeof(qbuf));
		fails += !!iom_push(q, qbuf, s->size[s->live + i],
				    IOM_TAIL_DROP);
	}
	ns = ktime_get_ns() - t0;
	iom_reset(q);
	iom_destroy(q);
	report("ops", s->name, name, 2 << 20, s->ops, ns, fails);
}

static DEFINE_SPINLOCK(kfifo_lock);

/*
 * kfifo as it is used bare (one reader and one writer, iom-spsc's peer),
 * or with @locked, through kfifo_in_spinlocked() and
 * kfifo_out_spinlocked() under a spinlock taken with irqsave (iom's peer:
 * any number of callers, from any context).
 */
static void bench_kfifo(struct script *s, bool locked)
{
	const char *name = locked ? "kfifo-spinlocked" : "kfifo";
	struct kfifo_rec_ptr_2 fifo;
	unsigned long i, fails = 0;
	u64 t0, ns;

	if (kfifo_alloc(&fifo, 2 << 20, GFP_KERNEL)) {
		pr_info("ops fifo-mixed %s 0 setup failed\n", name);
		return;
	}
	for (i = 0; i < s->live; i++)
		fails += !kfifo_in(&fifo, qbuf, s->size[i]);
	t0 = ktime_get_ns();
	for (i = 0; i < s->ops; i++) {
		if (locked) {
			fails += !kfifo_out_spinlocked(&fifo, qbuf, sizeof(qbuf),
						       &kfifo_lock);
			fails += !kfifo_in_spinlocked(&fifo, qbuf,
						      s->size[s->live + i],
						      &kfifo_lock);
		} else {
			fails += !kfifo_out(&fifo, qbuf, sizeof(qbuf));
			fails += !kfifo_in(&fifo, qbuf, s->size[s->live + i]);
		}
	}
	ns = ktime_get_ns() - t0;
	kfifo_free(&fifo);
	report("ops", s->name, name, 2 << 20, s->ops, ns, fails);
}

/* ---- the runs ---- */

static const char * const workloads[] = {
	"lifo64", "fifo-mixed", "random-churn", "pow2-churn",
};

static int run_ops(void)
{
	unsigned int w, k;
	struct script s;
	int err;

	for (w = 0; w < ARRAY_SIZE(workloads); w++) {
		unsigned int live = w == 0 ? 0 : w == 2 ? LIVE_MAX : 1000;

		err = script_make(&s, workloads[w], live, ops, 20261121);
		if (err)
			return err;
		for (k = 0; k < ARRAY_SIZE(allocators); k++)
			bench_one("ops", &allocators[k], &s, 64UL << 20);
		if (w == 1) {
			bench_iom(&s, "iom", 0);
			bench_iom(&s, "iom-spsc", IOM_SPSC);
			bench_kfifo(&s, false);
			bench_kfifo(&s, true);
		}
		script_free(&s);
	}
	return 0;
}

static const char * const scale_allocs[] = {
	"buddy", "bget-ff", "bget-bf", "bump_slab", "bump_slab-buddy",
	"genpool-ff16",
};

static int run_scale(void)
{
	unsigned int shift, k;
	struct script s;
	int err;

	for (shift = 20; shift <= 30; shift += 2) {
		size_t pool = 1UL << shift;

		err = script_make(&s, "random-churn",
				  min_t(size_t, LIVE_MAX, pool >> 12), ops,
				  20261121);
		if (err)
			return err;
		for (k = 0; k < ARRAY_SIZE(scale_allocs); k++)
			bench_one("scale", find_alloc(scale_allocs[k]), &s, pool);
		script_free(&s);
	}
	return 0;
}

/* ---- threads: 1, 2 and 4 threads churning one pool ---- */

#define THREADS_MAX	4

struct worker {
	const struct bench_alloc *a;
	struct script s;
	struct completion *go;
	struct completion done;
	unsigned long fails;
	u64 end;
};

static int worker_fn(void *data)
{
	struct worker *w = data;
	u64 ns;

	wait_for_completion(w->go);
	w->fails = churn(w->a, &w->s, w->s.ops, &ns);
	w->end = ktime_get_ns();
	complete(&w->done);
	return 0;
}

/*
 * @n threads churn one pool, thread i bound to CPU i % 2 (four threads:
 * two per CPU): ops per ms of wall time, from the start signal to the
 * last thread's end.
 */
static int threads_once(const struct bench_alloc *a, unsigned int n)
{
	struct worker w[THREADS_MAX] = { };
	DECLARE_COMPLETION_ONSTACK(go);
	struct task_struct *t;
	unsigned long fails = 0;
	u64 t0, end = 0;
	unsigned int i;
	int err;

	err = a->setup(64UL << 20, 4096);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		w[i].a = a;
		w[i].go = &go;
		init_completion(&w[i].done);
		err = script_make(&w[i].s, "random-churn", 1000, ops * 5,
				  20261121 + i);
		if (err)
			goto out;
	}
	for (i = 0; i < n; i++) {
		t = kthread_create(worker_fn, &w[i], "apbench/%u", i);
		if (IS_ERR(t)) {
			err = PTR_ERR(t);
			break;
		}
		kthread_bind(t, i % 2);
		wake_up_process(t);
	}
	n = i;
	msleep(20);
	t0 = ktime_get_ns();
	complete_all(&go);
	for (i = 0; i < n; i++) {
		wait_for_completion(&w[i].done);
		end = max(end, w[i].end);
		fails += w[i].fails;
	}
	if (!err)
		pr_info("threads random-churn %s %u %lu %llu %lu\n", a->name,
			n, n * w[0].s.ops,
			div64_u64((u64)n * w[0].s.ops * NSEC_PER_MSEC,
				  max(end - t0, 1ULL)), fails);
out:
	for (i = 0; i < ARRAY_SIZE(w); i++)
		script_free(&w[i].s);
	a->teardown();
	return err;
}

/*
 * issue 12's five allocpools allocators, BGET with its per-CPU front,
 * then the kernel's peers
 */
static const char * const thread_allocs[] = {
	"buddy", "bget-ff", "bget-bf", "bget-ff-pcp", "bget-bf-pcp",
	"bump_slab", "bump_slab-buddy", "bump_slab-buddy-pcp",
	"kmalloc", "kmem_cache",
};

static const unsigned int thread_counts[] = { 1, 2, THREADS_MAX };

static int run_threads(void)
{
	unsigned int k, c;
	int err;

	if (num_online_cpus() < 2) {
		pr_info("threads: needs two CPUs, %u online\n",
			num_online_cpus());
		return -ENODEV;
	}
	for (k = 0; k < ARRAY_SIZE(thread_allocs); k++) {
		const struct bench_alloc *a = find_alloc(thread_allocs[k]);

		for (c = 0; c < ARRAY_SIZE(thread_counts); c++) {
			err = threads_once(a, thread_counts[c]);
			if (err)
				return err;
		}
	}
	return 0;
}

/* ---- run=worst: each call timed alone, interrupts off ---- */

/*
 * Every measured call (alloc, free, push, shift) gets its own pair of
 * clock reads with interrupts off around the pair and the call, so no
 * interrupt lands in a sample: under -icount shift=0 each sample is the
 * call's instruction count, plus the cost of the clock reads themselves,
 * which an empty pair measured the same way gives (its median is
 * subtracted).  The samples go into arrays vmalloc'd once per run; the
 * quantiles come from a histogram, exact below WORST_HIST.
 */
#define WORST_HIST	BIT(20)

/* the quantiles printed, in parts per million; then the max */
static const u32 worst_ppm[] = {
	100000, 250000, 500000, 750000, 900000, 950000, 990000, 995000,
	999000, 999500, 999900,
};

struct worst_series {
	u32 *ns;		/* one sample per call, clock pair included */
	unsigned long n;
	u32 max;
	unsigned long max_op;	/* which call was the max, and its size */
	u32 max_size;
};

static u32 *w_hist;
static u32 w_clock;		/* median of the empty pair */

static void worst_note(struct worst_series *ws, u64 ns, unsigned long op,
		       u32 size)
{
	u32 v = min_t(u64, ns, U32_MAX);

	ws->ns[ws->n++] = v;
	if (v > ws->max) {
		ws->max = v;
		ws->max_op = op;
		ws->max_size = size;
	}
}

static void worst_reset(struct worst_series *a, struct worst_series *b)
{
	a->n = 0;
	a->max = 0;
	a->max_op = 0;
	b->n = 0;
	b->max = 0;
	b->max_op = 0;
}

/*
 * Run @call alone, with interrupts off around it and its two clock reads,
 * and note the time as call @op, of @size, in @ws.  Every timed call and
 * the empty pair go through this one window.
 */
#define WORST_TIMED(ws, op, size, call) do {				\
	unsigned long __flags;						\
	u64 __t0, __t1;							\
									\
	local_irq_save(__flags);					\
	__t0 = ktime_get_ns();						\
	call;								\
	__t1 = ktime_get_ns();						\
	local_irq_restore(__flags);					\
	worst_note(ws, __t1 - __t0, op, size);				\
} while (0)

/* the worst_ppm quantiles of @ws into @q (gross), from a histogram */
static void worst_quantiles(struct worst_series *ws, u32 *q)
{
	u32 top = min(ws->max, WORST_HIST - 1), v;
	unsigned long i, seen = 0;
	unsigned int k = 0;

	memset(w_hist, 0, (top + 1) * sizeof(*w_hist));
	for (i = 0; i < ws->n; i++)
		w_hist[min(ws->ns[i], top)]++;
	for (v = 0; v <= top && k < ARRAY_SIZE(worst_ppm); v++) {
		seen += w_hist[v];
		while (k < ARRAY_SIZE(worst_ppm) &&
		       seen >= DIV_ROUND_UP_ULL((u64)worst_ppm[k] * ws->n,
						1000000))
			q[k++] = v;
	}
}

/*
 * One line per series, every figure net of the clock pair's median:
 *   worst <workload> <allocator> <kind> <calls> <failures> <clock pair>
 *         <the worst_ppm quantiles> <max> <calls over 4x the median>
 *         <index of the max call> <its size>
 * For the clock pair itself (kind "pair") the figures are gross.
 */
static void worst_report(const char *workload, const char *name,
			 const char *kind, struct worst_series *ws,
			 unsigned long fails)
{
	u32 q[ARRAY_SIZE(worst_ppm)] = { }, clock, median;
	unsigned long i, over = 0;
	unsigned int k;
	char line[256];
	int len;

	if (!ws->n)
		return;
	worst_quantiles(ws, q);
	clock = strcmp(kind, "pair") ? w_clock : 0;
	median = q[2] - min(q[2], clock);
	for (i = 0; i < ws->n; i++)
		over += ws->ns[i] - min(ws->ns[i], clock) > 4 * median;
	len = scnprintf(line, sizeof(line), "worst %s %s %s %lu %lu %u",
			workload, name, kind, ws->n, fails, w_clock);
	for (k = 0; k < ARRAY_SIZE(worst_ppm); k++)
		len += scnprintf(line + len, sizeof(line) - len, " %u",
				 q[k] - min(q[k], clock));
	pr_info("%s %u %lu %lu %u\n", line, ws->max - min(ws->max, clock),
		over, ws->max_op, ws->max_size);
}

/* an empty pair of clock reads, timed like a call */
static void worst_clock(struct worst_series *ws, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		WORST_TIMED(ws, i, 0, (void)0);
}

static void worst_one(const struct bench_alloc *a, struct script *s,
		      struct worst_series *al, struct worst_series *fr)
{
	/* the gen_pool peers with 16-byte granules: 1000 calls each */
	unsigned long nr_ops = a->slow ? s->ops / 100 : s->ops;
	unsigned long i, fails = 0;
	unsigned int v;
	u32 size;
	int r, j, err;

	nr_ops = max(rounddown(nr_ops, 1000), 1000UL);
	worst_reset(al, fr);
	err = a->setup(64UL << 20, s->max_size);
	if (err) {
		pr_info("worst %s %s setup failed %d\n", s->name, a->name, err);
		return;
	}
	if (!s->live) {
		for (r = 0; r < nr_ops / 1000; r++) {
			for (j = 0; j < 1000; j++) {
				WORST_TIMED(al, r * 1000 + j, 64,
					    s->slot[j] = a->alloc(64));
				fails += !s->slot[j];
			}
			for (j = 999; j >= 0; j--)
				if (s->slot[j])
					WORST_TIMED(fr, r * 1000 + j, 64,
						    a->free(s->slot[j], 64));
		}
		goto out;
	}
	for (v = 0; v < s->live; v++) {
		s->slot[v] = a->alloc(s->size[v]);
		s->slot_size[v] = s->size[v];
		fails += !s->slot[v];
	}
	for (i = 0; i < nr_ops; i++) {
		v = s->victim[i];
		if (s->slot[v])
			WORST_TIMED(fr, i, s->slot_size[v],
				    a->free(s->slot[v], s->slot_size[v]));
		size = s->size[s->live + i];
		WORST_TIMED(al, i, size, s->slot[v] = a->alloc(size));
		s->slot_size[v] = size;
		fails += !s->slot[v];
	}
	for (v = 0; v < s->live; v++)
		if (s->slot[v])
			a->free(s->slot[v], s->slot_size[v]);
out:
	a->teardown();
	worst_report(s->name, a->name, "alloc", al, fails);
	worst_report(s->name, a->name, "free", fr, 0);
	cond_resched();
}

/*
 * The queues of the ops run behind one signature, so each push and shift
 * is timed as an allocator's call is: through an indirect call (run=worst,
 * and run=spsc's producer and consumer).  A push copies from qbuf; a shift
 * copies into @buf, so that a consumer on another CPU has its own.
 */
struct bench_queue {
	const char *name;
	int (*setup)(void);
	bool (*push)(u32 size);
	bool (*shift)(void *buf, size_t *len);	/* false: nothing to shift */
	void (*teardown)(void);
};

static struct iom_buffer *b_iom;
static struct kfifo_rec_ptr_2 b_kfifo;

static int wq_iom_setup(void)
{
	b_iom = iom_create("apbench", 2 << 20, 0);
	return PTR_ERR_OR_ZERO(b_iom);
}

static int wq_iom_spsc_setup(void)
{
	b_iom = iom_create("apbench", 2 << 20, IOM_SPSC);
	return PTR_ERR_OR_ZERO(b_iom);
}

static bool wq_iom_push(u32 size)
{
	return !iom_push(b_iom, qbuf, size, IOM_TAIL_DROP);
}

static bool wq_iom_shift(void *buf, size_t *len)
{
	return !iom_shift(b_iom, buf, len, sizeof(qbuf));
}

static void wq_iom_teardown(void)
{
	iom_reset(b_iom);
	iom_destroy(b_iom);
}

static int wq_kfifo_setup(void)
{
	return kfifo_alloc(&b_kfifo, 2 << 20, GFP_KERNEL);
}

static bool wq_kfifo_push(u32 size)
{
	return kfifo_in(&b_kfifo, qbuf, size);
}

static bool wq_kfifo_shift(void *buf, size_t *len)
{
	*len = kfifo_out(&b_kfifo, buf, sizeof(qbuf));
	return *len;
}

static bool wq_kfifo_locked_push(u32 size)
{
	return kfifo_in_spinlocked(&b_kfifo, qbuf, size, &kfifo_lock);
}

static bool wq_kfifo_locked_shift(void *buf, size_t *len)
{
	*len = kfifo_out_spinlocked(&b_kfifo, buf, sizeof(qbuf), &kfifo_lock);
	return *len;
}

static void wq_kfifo_teardown(void)
{
	kfifo_free(&b_kfifo);
}

static const struct bench_queue queues[] = {
	{ "iom", wq_iom_setup, wq_iom_push, wq_iom_shift, wq_iom_teardown },
	{ "iom-spsc", wq_iom_spsc_setup, wq_iom_push, wq_iom_shift,
	  wq_iom_teardown },
	{ "kfifo", wq_kfifo_setup, wq_kfifo_push, wq_kfifo_shift,
	  wq_kfifo_teardown },
	{ "kfifo-spinlocked", wq_kfifo_setup, wq_kfifo_locked_push,
	  wq_kfifo_locked_shift, wq_kfifo_teardown },
};

/* fifo-mixed records through @wq: shift the oldest, push the next */
static void worst_queue(const struct bench_queue *wq, struct script *s,
			struct worst_series *pu, struct worst_series *sh)
{
	unsigned long i, fails = 0;
	size_t len;
	u32 size;
	bool ok;
	int err;

	worst_reset(pu, sh);
	err = wq->setup();
	if (err) {
		pr_info("worst %s %s setup failed %d\n", s->name, wq->name, err);
		return;
	}
	for (i = 0; i < s->live; i++)
		fails += !wq->push(s->size[i]);
	for (i = 0; i < s->ops; i++) {
		len = 0;
		WORST_TIMED(sh, i, 0, ok = wq->shift(qbuf, &len));
		sh->max_size = sh->max_op == i ? len : sh->max_size;
		fails += !ok;
		size = s->size[s->live + i];
		WORST_TIMED(pu, i, size, ok = wq->push(size));
		fails += !ok;
	}
	wq->teardown();
	worst_report(s->name, wq->name, "push", pu, fails);
	worst_report(s->name, wq->name, "shift", sh, 0);
}

static int run_worst(void)
{
	struct worst_series al = { }, fr = { };
	u32 q[ARRAY_SIZE(worst_ppm)] = { };
	unsigned int w, k;
	struct script s;
	int err = -ENOMEM;

	/* There the kernel's peers take sleeping locks: not with irqs off. */
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		pr_info("worst: not on PREEMPT_RT\n");
		return -EOPNOTSUPP;
	}
	al.ns = vmalloc(array_size(ops, sizeof(*al.ns)));
	fr.ns = vmalloc(array_size(ops, sizeof(*fr.ns)));
	w_hist = vmalloc(array_size(WORST_HIST, sizeof(*w_hist)));
	if (!al.ns || !fr.ns || !w_hist)
		goto out;
	worst_clock(&al, ops);
	worst_quantiles(&al, q);
	w_clock = q[2];
	worst_report("-", "clock", "pair", &al, 0);
	b_gfp = GFP_ATOMIC;
	for (w = 0; w < ARRAY_SIZE(workloads); w++) {
		unsigned int live = w == 0 ? 0 : w == 2 ? LIVE_MAX : 1000;

		err = script_make(&s, workloads[w], live, ops, 20261121);
		if (err)
			break;
		for (k = 0; k < ARRAY_SIZE(allocators); k++)
			worst_one(&allocators[k], &s, &al, &fr);
		for (k = 0; w == 1 && k < ARRAY_SIZE(queues); k++)
			worst_queue(&queues[k], &s, &al, &fr);
		script_free(&s);
	}
	b_gfp = GFP_KERNEL;
out:
	vfree(w_hist);
	vfree(fr.ns);
	vfree(al.ns);
	return err;
}

/* ---- run=spsc: one producer and one consumer on two CPUs ---- */

/* the consumer's buffer: the producer copies from qbuf meanwhile */
static u8 qout[1024];

/*
 * One side of a queue: the producer (CPU 0) pushes the script's records
 * in order, the consumer (CPU 1) shifts them and checks each length.  A
 * side that finds the queue full (empty) polls it; a queue that made no
 * progress for SPSC_STALL_NS is given up, and the record counted failed.
 */
#define SPSC_STALL_NS	(10 * NSEC_PER_SEC)

struct spsc_side {
	const struct bench_queue *q;
	const struct script *s;
	struct completion *go;
	struct completion done;
	bool producer;
	unsigned long waits;	/* records that found the queue full (empty) */
	unsigned long fails;	/* lengths not the one pushed; stalls */
	u64 end;
};

/* Poll @p's end of the queue once more: false when it has stalled. */
static bool spsc_poll(struct spsc_side *p, unsigned long *polls, u64 *since)
{
	if (!*polls)
		p->waits++;
	cpu_relax();
	if (++*polls % 1024)
		return true;
	if (*polls == 1024)
		*since = ktime_get_ns();
	else if (ktime_get_ns() - *since > SPSC_STALL_NS)
		return false;
	cond_resched();
	return true;
}

static int spsc_fn(void *data)
{
	struct spsc_side *p = data;
	unsigned long i, polls;
	size_t len;
	u64 since = 0;

	wait_for_completion(p->go);
	for (i = 0; i < p->s->ops; i++) {
		u32 size = p->s->size[i];

		polls = 0;
		if (p->producer) {
			while (!p->q->push(size))
				if (!spsc_poll(p, &polls, &since))
					goto stalled;
			continue;
		}
		len = 0;
		while (!p->q->shift(qout, &len))
			if (!spsc_poll(p, &polls, &since))
				goto stalled;
		p->fails += len != size;
	}
	goto out;
stalled:
	p->fails += p->s->ops - i;
out:
	p->end = ktime_get_ns();
	complete(&p->done);
	return 0;
}

/*
 * @q from a producer on CPU 0 to a consumer on CPU 1, the ring empty at
 * the start: records per ms of wall time, from the start signal to the
 * consumer's last shift.
 */
static int spsc_once(const struct bench_queue *q, const struct script *s)
{
	struct spsc_side side[2] = { };
	DECLARE_COMPLETION_ONSTACK(go);
	struct task_struct *t[2];
	unsigned int i;
	u64 t0;
	int err;

	err = q->setup();
	if (err)
		return err;
	for (i = 0; i < 2; i++) {
		side[i].q = q;
		side[i].s = s;
		side[i].go = &go;
		side[i].producer = i == 0;
		init_completion(&side[i].done);
		t[i] = kthread_create(spsc_fn, &side[i], "apbench/%s",
				      i ? "consumer" : "producer");
		if (IS_ERR(t[i])) {
			err = PTR_ERR(t[i]);
			/* never woken: it ends without running spsc_fn() */
			if (i)
				kthread_stop(t[0]);
			goto out;
		}
		kthread_bind(t[i], i);
	}
	for (i = 0; i < 2; i++)
		wake_up_process(t[i]);
	msleep(20);
	t0 = ktime_get_ns();
	complete_all(&go);
	for (i = 0; i < 2; i++)
		wait_for_completion(&side[i].done);
	pr_info("spsc %s %s %u %lu %llu %lu %lu %lu\n", s->name, q->name,
		2 << 20, s->ops,
		div64_u64((u64)s->ops * NSEC_PER_MSEC,
			  max(side[1].end - t0, 1ULL)),
		side[0].fails + side[1].fails, side[0].waits, side[1].waits);
out:
	q->teardown();
	return err;
}

static int run_spsc(void)
{
	struct script s;
	unsigned int k;
	int err;

	/* the queues' shift copies at most sizeof(qbuf) into qout */
	BUILD_BUG_ON(sizeof(qout) != sizeof(qbuf));
	if (num_online_cpus() < 2) {
		pr_info("spsc: needs two CPUs, %u online\n", num_online_cpus());
		return -ENODEV;
	}
	/* the records are the script's first 5 x ops sizes, in order */
	err = script_make(&s, "fifo-mixed", 1000, ops * 5, 20261121);
	if (err)
		return err;
	for (k = 0; k < ARRAY_SIZE(queues) && !err; k++)
		err = spsc_once(&queues[k], &s);
	script_free(&s);
	return err;
}

static int __init apbench_init(void)
{
	int err;

	if (ops < 1000) {
		pr_err("ops=%u: at least 1000\n", ops);
		return -EINVAL;
	}
	if (!strcmp(run, "ops")) {
		err = run_ops();
	} else if (!strcmp(run, "scale")) {
		err = run_scale();
	} else if (!strcmp(run, "threads")) {
		err = run_threads();
	} else if (!strcmp(run, "worst")) {
		err = run_worst();
	} else if (!strcmp(run, "spsc")) {
		err = run_spsc();
	} else {
		pr_err("run=%s: not ops, scale, threads, worst or spsc\n", run);
		return -EINVAL;
	}
	pr_info("end %s %d\n", run, err);
	return err;
}
module_init(apbench_init);

static void __exit apbench_exit(void)
{
}
module_exit(apbench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("allocpools benchmark beside the kernel's allocators");
MODULE_IMPORT_NS(ALLOCPOOLS_NS);
