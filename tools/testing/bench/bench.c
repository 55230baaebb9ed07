// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace benchmark: the allocpools sources built with -O2 against
 * the shim (with its benchmark lock, AP_SHIM_BENCH), run through the
 * issue's workloads beside the C library's malloc.  The same binary linked
 * with -ljemalloc measures jemalloc.
 *
 *   bench WORKLOAD ALLOCATOR [ROUNDS [POOL_MIB]]
 *	prints "WORKLOAD ALLOCATOR ops ns/op".  POOL_MIB (default 256) sizes
 *	the pool; random-churn then keeps min(5000, pool / 4 KiB) objects
 *	live, so that the scaling run fits from 1 MiB up.
 *   bench mem WORKLOAD ALLOCATOR
 *	prints "WORKLOAD ALLOCATOR peak_live_bytes min_pool_bytes ratio": the
 *	smallest pool in which the workload completes without one failed
 *	allocation, found by bisection to 1/256 of the peak.
 *   bench fifo-4k fifo|memcpy [ROUNDS]
 *	4 KiB records pushed and shifted through a 256 KiB ring, or the same
 *	bytes copied once by memcpy: "fifo-4k X ops ns/op MB/s".  Every workload's sizes and choices
 * come from a fixed seed and are drawn before the clock starts; under
 * valgrind --tool=callgrind only the measured loop is instrumented, so
 * Ir / ops is the instruction cost of one operation (one alloc+free pair,
 * or one push+shift).
 */
#include <time.h>
#include <valgrind/callgrind.h>

#include <allocpools/allocpools.h>

#define LIVE_MAX	5000

struct allocator {
	const char *name;
	int (*setup)(size_t pool);
	void *(*alloc)(size_t size);
	void (*free)(void *p);
	void (*teardown)(void);
};

static struct buddy_arena *ba;
static struct bget_pool *bp;
static struct bump_slab *bs;

static int libc_setup(size_t pool) { return 0; }
static void *libc_alloc(size_t size) { return malloc(size); }
static void libc_free(void *p) { free(p); }
static void nothing(void) { }

/*
 * The harness alone: "none" hands out one dummy address and frees nothing,
 * so its cost per op is the loop, the script and the two indirect calls.
 * Net figures subtract it, leaving what the allocator itself costs.
 */
static char dummy[8];
static void *none_alloc(size_t size) { return dummy; }
static void none_free(void *p) { }

static int buddy_setup(size_t pool)
{
	ba = buddy_arena_create("bench", pool, 4, 30, 0);
	return IS_ERR(ba);
}

static void *buddy_alloc(size_t size) { return buddy_arena_alloc(ba, size, GFP_ATOMIC); }
static void buddy_free(void *p) { buddy_arena_free(ba, p); }
static void buddy_teardown(void) { buddy_arena_destroy(ba); }

static int bget_ff_setup(size_t pool)
{
	bp = bget_pool_create("bench", pool, 0);
	return IS_ERR(bp);
}

static int bget_bf_setup(size_t pool)
{
	bp = bget_pool_create("bench", pool, BGET_BEST_FIT);
	return IS_ERR(bp);
}

static int bget_ff_pcp_setup(size_t pool)
{
	bp = bget_pool_create("bench", pool, BGET_PERCPU);
	return IS_ERR(bp);
}

static int bget_bf_pcp_setup(size_t pool)
{
	bp = bget_pool_create("bench", pool, BGET_BEST_FIT | BGET_PERCPU);
	return IS_ERR(bp);
}

static void *bget_alloc1(size_t size) { return bget_alloc(bp, size, GFP_ATOMIC); }
static void bget_free1(void *p) { bget_free(bp, p); }
static void bget_teardown(void) { bget_pool_destroy(bp); }

static int slab_setup(size_t pool)
{
	bs = bump_slab_create("bench", pool, 0);
	return IS_ERR(bs);
}

/* bump_slab over a buddy arena of the pool's size that does not grow */
static int slab_on_setup(size_t pool)
{
	ba = buddy_arena_create("bench", pool, 4, 30, 0);
	if (IS_ERR(ba))
		return 1;
	bs = bump_slab_create_on("bench", ba, 0);
	if (!IS_ERR(bs))
		return 0;
	buddy_arena_destroy(ba);
	return 1;
}

/* the same, with the per-CPU front of bump_slab's buddy mode */
static int slab_on_pcp_setup(size_t pool)
{
	ba = buddy_arena_create("bench", pool, 4, 30, 0);
	if (IS_ERR(ba))
		return 1;
	bs = bump_slab_create_on("bench", ba, BUMP_SLAB_PERCPU);
	if (!IS_ERR(bs))
		return 0;
	buddy_arena_destroy(ba);
	return 1;
}

static void slab_on_teardown(void)
{
	bump_slab_destroy(bs);
	buddy_arena_destroy(ba);
}

static void *slab_alloc(size_t size) { return bump_slab_alloc(bs, size, GFP_ATOMIC); }
static void slab_free(void *p) { bump_slab_free(bs, p); }
static void slab_teardown(void) { bump_slab_destroy(bs); }

static const struct allocator allocators[] = {
	{ "none", libc_setup, none_alloc, none_free, nothing },
	{ "malloc", libc_setup, libc_alloc, libc_free, nothing },
	{ "buddy", buddy_setup, buddy_alloc, buddy_free, buddy_teardown },
	{ "bget-ff", bget_ff_setup, bget_alloc1, bget_free1, bget_teardown },
	{ "bget-bf", bget_bf_setup, bget_alloc1, bget_free1, bget_teardown },
	{ "bget-ff-pcp", bget_ff_pcp_setup, bget_alloc1, bget_free1,
	  bget_teardown },
	{ "bget-bf-pcp", bget_bf_pcp_setup, bget_alloc1, bget_free1,
	  bget_teardown },
	{ "bump_slab", slab_setup, slab_alloc, slab_free, slab_teardown },
	{ "bump_slab-buddy", slab_on_setup, slab_alloc, slab_free,
	  slab_on_teardown },
	{ "bump_slab-buddy-pcp", slab_on_pcp_setup, slab_alloc, slab_free,
	  slab_on_teardown },
};

static unsigned long long rng = 20261121;

static u32 rnd(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng >> 33;
}

/* log-uniform in [lo, hi] */
static size_t log_uniform(size_t lo, size_t hi)
{
	double x = (double)rnd() / 2147483648.0;	/* rnd() has 31 bits */
	unsigned int lo2 = ilog2(lo), hi2 = ilog2(hi);
	size_t base = 1UL << (lo2 + (unsigned int)(x * (hi2 - lo2 + 1)));

	return clamp_t(size_t, base + rnd() % base, lo, hi);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A workload: a script of sizes and victims, drawn before the clock runs. */
struct script {
	unsigned long ops;
	size_t *size;
	unsigned int *victim;	/* slot freed before each allocation */
	unsigned int live;
};

static void *slots[LIVE_MAX];
static size_t slot_size[LIVE_MAX];

static unsigned long run(const struct allocator *a, const struct script *s)
{
	unsigned long i, fails = 0;
	unsigned int v;

	for (v = 0; v < s->live; v++) {
		slots[v] = a->alloc(s->size[v]);
		fails += !slots[v];
	}
	CALLGRIND_START_INSTRUMENTATION;
	for (i = 0; i < s->ops; i++) {
		v = s->victim[i];
		a->free(slots[v]);
		slots[v] = a->alloc(s->size[s->live + i]);
		fails += !slots[v];
	}
	CALLGRIND_STOP_INSTRUMENTATION;
	for (v = 0; v < s->live; v++)
		a->free(slots[v]);
	return fails;
}

/*
 * The same churn, untimed, keeping count of the bytes live (as requested):
 * returns the failed allocations and sets *peak to the most bytes live.
 */
static unsigned long run_counted(const struct allocator *a,
				 const struct script *s, size_t *peak)
{
	unsigned long i, fails = 0;
	size_t live = 0;
	unsigned int v;

	*peak = 0;
	for (v = 0; v < s->live; v++) {
		slots[v] = a->alloc(s->size[v]);
		slot_size[v] = slots[v] ? s->size[v] : 0;
		live += slot_size[v];
		fails += !slots[v];
	}
	*peak = live;
	for (i = 0; i < s->ops && !fails; i++) {
		v = s->victim[i];
		a->free(slots[v]);
		live -= slot_size[v];
		slots[v] = a->alloc(s->size[s->live + i]);
		slot_size[v] = slots[v] ? s->size[s->live + i] : 0;
		live += slot_size[v];
		*peak = max(*peak, live);
		fails += !slots[v];
	}
	for (v = 0; v < s->live; v++)
		a->free(slots[v]);
	return fails;
}

/* lifo64 is not a churn: 1000 allocations of 64 B, freed in reverse. */
static unsigned long run_lifo64(const struct allocator *a, unsigned long rounds)
{
	unsigned long r, fails = 0;
	int i;

	CALLGRIND_START_INSTRUMENTATION;
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < 1000; i++) {
			slots[i] = a->alloc(64);
			fails += !slots[i];
		}
		for (i = 999; i >= 0; i--)
			a->free(slots[i]);
	}
	CALLGRIND_STOP_INSTRUMENTATION;
	return fails;
}

/*
 * fifo-mixed through the FIFO pool: push one, shift the oldest; @flags
 * IOM_SPSC for fifo-spsc, the same calls with no lock.
 */
static unsigned long run_fifo_queue(const struct script *s, unsigned int flags)
{
	struct iom_buffer *q = iom_create("bench", 1 << 21, flags);
	static u8 buf[1024];
	unsigned long i, fails = 0;
	size_t len;

	for (i = 0; i < s->live; i++)
		fails += !!iom_push(q, buf, s->size[i], IOM_TAIL_DROP);
	CALLGRIND_START_INSTRUMENTATION;
	for (i = 0; i < s->ops; i++) {
		fails += !!iom_shift(q, buf, &len, sizeof(buf));
		fails += !!iom_push(q, buf, s->size[s->live + i], IOM_TAIL_DROP);
	}
	CALLGRIND_STOP_INSTRUMENTATION;
	iom_reset(q);
	iom_destroy(q);
	return fails;
}

/*
 * 4 KiB records through a 256 KiB ring, 16 queued, against plain memcpy of
 * the same bytes from source to destination (the queue copies each record
 * twice, in and out, so 50% of memcpy's bandwidth is its ceiling).
 */
static unsigned long run_fifo_4k(bool fifo, unsigned long ops)
{
	static u8 src[4096], dst[4096];
	struct iom_buffer *q = NULL;
	unsigned long i, fails = 0;
	size_t len;

	if (fifo) {
		q = iom_create("bench", 64 << 10, 0);
		for (i = 0; i < 8; i++)
			fails += !!iom_push(q, src, sizeof(src), IOM_TAIL_DROP);
	}
	for (i = 0; i < ops; i++) {
		src[i & 4095] = i;
		if (fifo) {
			fails += !!iom_shift(q, dst, &len, sizeof(dst));
			fails += !!iom_push(q, src, sizeof(src), IOM_TAIL_DROP);
		} else {
			memcpy(dst, src, sizeof(src));
		}
		asm volatile("" : : "r"(dst) : "memory");
	}
	if (q) {
		iom_reset(q);
		iom_destroy(q);
	}
	return fails;
}

static void make_script(struct script *s, const char *w, unsigned long ops,
			size_t pool)
{
	unsigned long i;

	s->live = 0;
	if (!strcmp(w, "fifo-mixed") || !strcmp(w, "pow2-churn"))
		s->live = 1000;
	else if (!strcmp(w, "random-churn"))
		s->live = min_t(size_t, LIVE_MAX, pool >> 12);
	s->ops = ops;
	s->size = malloc((s->live + s->ops) * sizeof(*s->size));
	s->victim = malloc(s->ops * sizeof(*s->victim));
	for (i = 0; s->live && i < s->live + s->ops; i++) {
		if (!strcmp(w, "pow2-churn"))
			s->size[i] = 4096UL << (rnd() % 5);
		else if (!strcmp(w, "fifo-mixed"))
			s->size[i] = log_uniform(16, 1024);
		else
			s->size[i] = log_uniform(16, 4096);
	}
	for (i = 0; s->live && i < s->ops; i++)
		s->victim[i] = !strcmp(w, "fifo-mixed") ? i % s->live :
			       rnd() % s->live;
}

static const struct allocator *find_allocator(const char *name)
{
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(allocators); k++)
		if (!strcmp(name, allocators[k].name))
			return &allocators[k];
	return NULL;
}

/* Does the churn complete in a pool of @pool bytes? */
static bool fits(const struct allocator *a, const struct script *s,
		 size_t pool, size_t *peak)
{
	unsigned long fails;

	if (a->setup(pool))
		return false;
	fails = run_counted(a, s, peak);
	a->teardown();
	return !fails;
}

static int mem(const char *w, const char *name)
{
	const struct allocator *a = find_allocator(name);
	size_t lo, hi, mid, peak = 0, p;
	struct script s;

	if (!a || !a->setup || strcmp(name, "none") == 0 ||
	    strcmp(name, "malloc") == 0) {
		fprintf(stderr, "bench: no pool allocator %s\n", name);
		return 2;
	}
	make_script(&s, w, 100000, 256 << 20);
	if (!s.live || !fits(a, &s, 256 << 20, &peak)) {
		fprintf(stderr, "bench: %s %s does not fit 256 MiB\n", w, name);
		return 1;
	}
	/* fits(lo) is false, fits(hi) true */
	lo = peak - 1;
	hi = 256 << 20;
	while (hi - lo > max_t(size_t, peak / 256, 1)) {
		mid = lo + (hi - lo) / 2;
		if (fits(a, &s, mid, &p))
			hi = mid;
		else
			lo = mid;
	}
	printf("%s %s %zu %zu %.3f\n", w, name, peak, hi, (double)hi / peak);
	free(s.size);
	free(s.victim);
	return 0;
}

int main(int argc, char **argv)
{
	const struct allocator *a = NULL;
	struct script s = { 0 };
	unsigned long rounds, fails, ops;
	size_t pool = 256 << 20;
	double t0, t1;

	ap_shim_quiet = 2;
	if (argc == 4 && !strcmp(argv[1], "mem"))
		return mem(argv[2], argv[3]);
	if (argc < 3) {
		fprintf(stderr, "usage: bench WORKLOAD ALLOCATOR [ROUNDS [POOL_MIB]]\n"
			"       bench mem WORKLOAD ALLOCATOR\n"
			"       bench fifo-4k fifo|memcpy [ROUNDS]\n"
			"  WORKLOAD: lifo64 fifo-mixed random-churn pow2-churn\n"
			"  ALLOCATOR: none malloc buddy bget-ff bget-bf bump_slab\n"
			"             bump_slab-buddy fifo fifo-spsc (fifo-mixed only)\n");
		return 2;
	}
	rounds = argc > 3 ? strtoul(argv[3], NULL, 0) : 200;
	if (argc > 4)
		pool = strtoul(argv[4], NULL, 0) << 20;

	if (!strcmp(argv[1], "fifo-4k")) {
		ops = rounds * 1000;
		t0 = now();
		fails = run_fifo_4k(!strcmp(argv[2], "fifo"), ops);
		t1 = now();
		printf("%s %s %lu %.1f %.0f\n", argv[1], argv[2], ops,
		       (t1 - t0) * 1e9 / ops, ops * 4096.0 / (t1 - t0) / 1e6);
		return fails ? 1 : 0;
	}
	if (strcmp(argv[1], "lifo64") && strcmp(argv[1], "fifo-mixed") &&
	    strcmp(argv[1], "random-churn") && strcmp(argv[1], "pow2-churn")) {
		fprintf(stderr, "bench: unknown workload %s\n", argv[1]);
		return 2;
	}
	make_script(&s, argv[1], rounds * 1000, pool);

	if (!strcmp(argv[2], "fifo") || !strcmp(argv[2], "fifo-spsc")) {
		t0 = now();
		fails = run_fifo_queue(&s, strcmp(argv[2], "fifo") ? IOM_SPSC : 0);
		t1 = now();
		ops = s.ops;
		goto out;
	}
	a = find_allocator(argv[2]);
	if (!a || a->setup(pool)) {
		fprintf(stderr, "bench: no allocator %s\n", argv[2]);
		return 2;
	}
	t0 = now();
	if (!s.live) {
		fails = run_lifo64(a, rounds);
		ops = rounds * 1000;
	} else {
		fails = run(a, &s);
		ops = s.ops;
	}
	t1 = now();
	a->teardown();
out:
	printf("%s %s %lu %.1f\n", argv[1], argv[2], ops, (t1 - t0) * 1e9 / ops);
	if (fails)
		fprintf(stderr, "bench: %lu failed operations\n", fails);
	free(s.size);
	free(s.victim);
	return fails ? 1 : 0;
}
