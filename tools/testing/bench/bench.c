// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace benchmark: the allocpools sources built with -O2 against
 * the shim (with its benchmark lock, AP_SHIM_BENCH), run through the
 * issue's workloads beside the C library's malloc.  The same binary linked
 * with -ljemalloc measures jemalloc.
 *
 *   bench WORKLOAD ALLOCATOR [ROUNDS]
 *
 * prints "WORKLOAD ALLOCATOR ops ns/op".  Every workload's sizes and choices
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

static void *bget_alloc1(size_t size) { return bget_alloc(bp, size, GFP_ATOMIC); }
static void bget_free1(void *p) { bget_free(bp, p); }
static void bget_teardown(void) { bget_pool_destroy(bp); }

static int slab_setup(size_t pool)
{
	bs = bump_slab_create("bench", pool, 0);
	return IS_ERR(bs);
}

static void *slab_alloc(size_t size) { return bump_slab_alloc(bs, size, GFP_ATOMIC); }
static void slab_free(void *p) { bump_slab_free(bs, p); }
static void slab_teardown(void) { bump_slab_destroy(bs); }

static const struct allocator allocators[] = {
	{ "malloc", libc_setup, libc_alloc, libc_free, nothing },
	{ "buddy", buddy_setup, buddy_alloc, buddy_free, buddy_teardown },
	{ "bget-ff", bget_ff_setup, bget_alloc1, bget_free1, bget_teardown },
	{ "bget-bf", bget_bf_setup, bget_alloc1, bget_free1, bget_teardown },
	{ "bump_slab", slab_setup, slab_alloc, slab_free, slab_teardown },
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
	double x = (double)rnd() / 4294967296.0;
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

static unsigned long run(const struct allocator *a, const struct script *s)
{
	unsigned long i, fails = 0;
	unsigned int v;

	for (v = 0; v < s->live; v++)
		slots[v] = a->alloc(s->size[v]);
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

/* fifo-mixed through the FIFO pool: push one, shift the oldest. */
static unsigned long run_fifo_queue(const struct script *s)
{
	struct iom_buffer *q = iom_create("bench", 1 << 21, 0);
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

int main(int argc, char **argv)
{
	const struct allocator *a = NULL;
	struct script s = { 0 };
	unsigned long rounds, i, fails, ops;
	size_t pool = 256 << 20;
	double t0, t1;
	unsigned int k;

	if (argc < 3) {
		fprintf(stderr, "usage: bench WORKLOAD ALLOCATOR [ROUNDS]\n"
			"  WORKLOAD: lifo64 fifo-mixed random-churn pow2-churn\n"
			"  ALLOCATOR: malloc buddy bget-ff bget-bf bump_slab fifo\n");
		return 2;
	}
	rounds = argc > 3 ? strtoul(argv[3], NULL, 0) : 200;
	ap_shim_quiet = 2;

	if (!strcmp(argv[1], "fifo-mixed")) {
		s.live = 1000;
	} else if (!strcmp(argv[1], "random-churn")) {
		s.live = 5000;
	} else if (!strcmp(argv[1], "pow2-churn")) {
		s.live = 1000;
	} else if (strcmp(argv[1], "lifo64")) {
		fprintf(stderr, "bench: unknown workload %s\n", argv[1]);
		return 2;
	}
	s.ops = rounds * 1000;
	s.size = malloc((s.live + s.ops) * sizeof(*s.size));
	s.victim = malloc(s.ops * sizeof(*s.victim));
	for (i = 0; s.live && i < s.live + s.ops; i++) {
		if (!strcmp(argv[1], "pow2-churn"))
			s.size[i] = 4096UL << (rnd() % 5);
		else if (!strcmp(argv[1], "fifo-mixed"))
			s.size[i] = log_uniform(16, 1024);
		else
			s.size[i] = log_uniform(16, 4096);
	}
	for (i = 0; s.live && i < s.ops; i++)
		s.victim[i] = !strcmp(argv[1], "fifo-mixed") ? i % s.live :
			      rnd() % s.live;

	if (!strcmp(argv[2], "fifo")) {
		t0 = now();
		fails = run_fifo_queue(&s);
		t1 = now();
		ops = s.ops;
		goto out;
	}
	for (k = 0; k < ARRAY_SIZE(allocators); k++)
		if (!strcmp(argv[2], allocators[k].name))
			a = &allocators[k];
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
