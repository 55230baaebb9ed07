// SPDX-License-Identifier: GPL-2.0
/*
 * bump_slab_context.c - bump_slab.c called from every context, on 64 CPUs.
 *
 * Built with AP_SHIM_NR_CPUS=64 (tests.mk), against the shim's model of
 * PREEMPT_RT (see ap_shim.h).  The cases:
 *
 *  - hardirq:   every call of a heap pool, poisoned or not, between
 *               ap_shim_hardirq_enter() and _exit(), where a spinlock_t
 *               (a sleeping lock on RT) aborts; and the same under a
 *               caller's raw_spinlock_t.
 *  - spinlock:  every call of heap and buddy pools with a caller's own
 *               spinlock_t held.
 *  - transit:   no fill or check runs with a lock of the pool held (a
 *               hook on memset() and memchr_inv(), in every case), and a
 *               free of an object while it is being poisoned (freed) or
 *               checked (allocated) is refused, in both modes; a damaged
 *               one is counted as a corruption.
 *  - cpus:      stats, the debugfs pools row and destroy of a pool with
 *               objects cached on all 64 CPUs: one at a time, never more
 *               locks at once than lockdep allows (48).
 *  - o1:        an allocation looks at a bounded number of other CPUs'
 *               caches: those of CPUs 2..63 are mprotect()ed away while
 *               CPU 0 bumps and steals, and the locks one allocation
 *               takes are counted, with marks gone stale on 62 CPUs.
 *
 *   bump_slab_context [case]    runs one case, all by default
 */
#include "ap_shim.h"

#include <sys/mman.h>

/*
 * Every fill and check in bump_slab.c goes through work_hook(): none may
 * run with a lock held beyond the test's own (caller_locks), and the
 * first one of transit_len bytes after a case arms @in_transit calls it
 * with the object, while the object is between the pool's lists and its
 * caller.
 */
static int caller_locks;
static void (*in_transit)(void *obj);
static size_t transit_len;
static unsigned long hooked;
static const char *current_case = "";

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL %s: ", current_case);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

#define CHECK(cond) do {						\
	if (!(cond))							\
		fail("%s:%d: %s", __FILE__, __LINE__, #cond);		\
} while (0)

static size_t work_hook(const void *p, size_t n)
{
	void (*fn)(void *obj) = in_transit;

	hooked++;
	if (ap_shim_spin_depth != caller_locks)
		fail("%zu bytes filled or checked with %d pool locks held", n,
		     ap_shim_spin_depth - caller_locks);
	if (fn && n == transit_len) {
		in_transit = NULL;
		/* The fill or check starts past the object's link word. */
		fn((u8 *)p - sizeof(void *));
	}
	return n;
}

static inline void *hooked_memset(void *s, int c, size_t n)
{
	return __builtin_memset(s, c, work_hook(s, n));
}

static inline void *hooked_memchr_inv(const void *s, int c, size_t n)
{
	return memchr_inv(s, c, work_hook(s, n));
}

#undef memset
#define memset(s, c, n)		hooked_memset(s, c, n)
#define memchr_inv(s, c, n)	hooked_memchr_inv(s, c, n)

#include "../../../bump_slab.c"

#include <unistd.h>

static DEFINE_SPINLOCK(caller_lock);
static DEFINE_RAW_SPINLOCK(caller_raw_lock);

static u64 live_total(const struct bump_slab_stats *st)
{
	u64 n = 0;
	unsigned int c;

	for (c = 0; c < BUMP_SLAB_CLASSES; c++)
		n += st->classes[c].allocs - st->classes[c].frees;
	return n;
}

/*
 * Every call of the API on @bs, in whatever context the caller set up:
 * allocations that bump, pop, refill, steal and flush, frees, refused
 * frees, sizes and stats, with objects up to 16 MiB when @big.
 */
static void drive(struct bump_slab *bs, bool big)
{
	static const size_t sizes[] = { 1, 100, 4096, SZ_64K + 1, SZ_1M,
					SZ_16M };
	struct bump_slab_stats st;
	void *p[BS_CACHE_MAX + 2], *q;
	size_t bump;
	u64 invalid;
	unsigned int i;

	bump_slab_stats(bs, &st);
	invalid = st.invalid_frees;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (!big && sizes[i] > SZ_64K)
			break;
		q = bump_slab_alloc(bs, sizes[i], GFP_ATOMIC);
		CHECK(q);
		CHECK(bump_slab_size(bs, q) ==
		      roundup_pow_of_two(max_t(size_t, sizes[i], 8)));
		CHECK(bump_slab_free(bs, q) == 0);
		CHECK(bump_slab_free(bs, q) == -EINVAL);
		CHECK(bump_slab_size(bs, q) == 0);
		/* Heap mode: the same object comes back, poison checked. */
		q = bump_slab_alloc(bs, sizes[i], GFP_ATOMIC);
		CHECK(q && (bs->arena || bump_slab_size(bs, q)));
		CHECK(bump_slab_free(bs, (u8 *)q + 8) == -EINVAL);
		CHECK(bump_slab_free(bs, q) == 0);
		invalid += 2;
	}
	/* Past a cache's limit and back: a flush, then refills. */
	for (i = 0; i < ARRAY_SIZE(p); i++)
		CHECK(p[i] = bump_slab_alloc(bs, 24, GFP_ATOMIC));
	for (i = 0; i < ARRAY_SIZE(p); i++)
		CHECK(bump_slab_free(bs, p[i]) == 0);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		CHECK(p[i] = bump_slab_alloc(bs, 24, GFP_ATOMIC));
	for (i = 0; i < ARRAY_SIZE(p); i++)
		CHECK(bump_slab_free(bs, p[i]) == 0);
	/* Freed on another CPU, allocated here: steals, nothing bumped. */
	for (i = 0; i < 10; i++)
		CHECK(p[i] = bump_slab_alloc(bs, 40, GFP_ATOMIC));
	ap_shim_cpu = 7;
	for (i = 0; i < 10; i++)
		CHECK(bump_slab_free(bs, p[i]) == 0);
	ap_shim_cpu = 0;
	bump_slab_stats(bs, &st);
	bump = st.bump_offset;
	for (i = 0; i < 10; i++)
		CHECK(p[i] = bump_slab_alloc(bs, 40, GFP_ATOMIC));
	bump_slab_stats(bs, &st);
	CHECK(st.bump_offset == bump);
	for (i = 0; i < 10; i++)
		CHECK(bump_slab_free(bs, p[i]) == 0);
	CHECK(!bump_slab_alloc(bs, 0, GFP_ATOMIC));
	CHECK(bump_slab_free(bs, NULL) == 0);
	bump_slab_stats(bs, &st);
	CHECK(st.invalid_frees == invalid);
	CHECK(live_total(&st) == 0);
}

static struct bump_slab *heap_pool(unsigned int flags)
{
	struct bump_slab *bs = bump_slab_create("ctx", 48 << 20, flags);

	CHECK(!IS_ERR(bs));
	return bs;
}

static void case_hardirq(void)
{
	unsigned long flags;
	unsigned int f;

	for (f = 0; f < 2; f++) {
		struct bump_slab *bs = heap_pool(f ? BUMP_SLAB_POISON : 0);

		ap_shim_hardirq_enter();
		drive(bs, true);
		ap_shim_hardirq_exit();

		/* The shim allows no big fill under anyone's raw lock. */
		raw_spin_lock_irqsave(&caller_raw_lock, flags);
		caller_locks = 1;
		drive(bs, false);
		caller_locks = 0;
		raw_spin_unlock_irqrestore(&caller_raw_lock, flags);
		CHECK(bump_slab_check(bs));
		bump_slab_destroy(bs);
	}
}

static void case_spinlock(void)
{
	struct buddy_arena *ba;
	struct bump_slab *bs;
	unsigned long flags;
	unsigned int f;

	for (f = 0; f < 4; f++) {
		unsigned int pflags = f & 1 ? BUMP_SLAB_POISON : 0;

		ba = NULL;
		if (f & 2) {
			ba = buddy_arena_create("ctx", 64 << 20, 6, 26, 0);
			CHECK(!IS_ERR(ba));
			bs = bump_slab_create_on("ctx", ba, pflags);
			CHECK(!IS_ERR(bs));
		} else {
			bs = heap_pool(pflags);
		}
		spin_lock_irqsave(&caller_lock, flags);
		caller_locks = 1;
		drive(bs, true);
		caller_locks = 0;
		spin_unlock_irqrestore(&caller_lock, flags);
		CHECK(bump_slab_check(bs));
		bump_slab_destroy(bs);
		buddy_arena_destroy(ba);
	}
}

static struct bump_slab *transit_bs;
static unsigned long transit_calls;

/* While @obj is being poisoned or checked, it is nobody's to free. */
static void free_in_transit(void *obj)
{
	transit_calls++;
	CHECK(bump_slab_free(transit_bs, obj) == -EINVAL);
	CHECK(bump_slab_size(transit_bs, obj) == 0);
}

/*
 * Heap mode with 16 MiB objects; buddy mode with 64-byte ones, beside a
 * live one that keeps their slab (a slab that empties goes back to the
 * arena, and a new one has nothing to check).
 */
static void case_transit(void)
{
	struct bump_slab_stats st0, st;
	struct buddy_arena *ba;
	u8 *p, *q, *keep = NULL;
	unsigned int mode, c;
	size_t size;

	for (mode = 0; mode < 2; mode++) {
		ba = NULL;
		size = SZ_16M;
		if (mode) {
			size = 64;
			ba = buddy_arena_create("ctx", SZ_1M, 6, 20, 0);
			CHECK(!IS_ERR(ba));
			transit_bs = bump_slab_create_on("ctx", ba,
							 BUMP_SLAB_POISON);
			CHECK(!IS_ERR(transit_bs));
			CHECK(keep = bump_slab_alloc(transit_bs, size,
						     GFP_KERNEL));
		} else {
			transit_bs = heap_pool(BUMP_SLAB_POISON);
		}
		c = size_to_cls(size);
		transit_len = size - sizeof(void *);
		transit_calls = 0;
		bump_slab_stats(transit_bs, &st0);
		p = bump_slab_alloc(transit_bs, size, GFP_KERNEL);
		CHECK(p);
		/* Freed: the second free comes while it is poisoned. */
		in_transit = free_in_transit;
		CHECK(bump_slab_free(transit_bs, p) == 0);
		CHECK(transit_calls == 1);
		/* Allocated again: the free comes while it is checked. */
		in_transit = free_in_transit;
		CHECK(bump_slab_alloc(transit_bs, size, GFP_KERNEL) == p);
		CHECK(transit_calls == 2);
		CHECK(bump_slab_size(transit_bs, p) == size);
		bump_slab_stats(transit_bs, &st);
		CHECK(st.invalid_frees == 2 && st.corruptions == 0);
		CHECK(st.classes[c].live == st0.classes[c].live + 1);
		CHECK(st.classes[c].allocs == st0.classes[c].allocs + 2);

		/* Written after its free: found, counted, kept out of use. */
		CHECK(bump_slab_free(transit_bs, p) == 0);
		p[size - 1] = 0;
		q = bump_slab_alloc(transit_bs, size, GFP_KERNEL);
		CHECK(q && q != p);
		bump_slab_stats(transit_bs, &st);
		CHECK(st.invalid_frees == 3 && st.corruptions == 1);
		CHECK(st.classes[c].live == st0.classes[c].live + 1);
		CHECK(st.classes[c].allocs == st0.classes[c].allocs + 3);
		CHECK(bump_slab_check(transit_bs));
		CHECK(bump_slab_free(transit_bs, p) == -EINVAL);
		CHECK(bump_slab_free(transit_bs, q) == 0);
		CHECK(bump_slab_free(transit_bs, keep) == 0);
		CHECK(bump_slab_check(transit_bs));
		bump_slab_destroy(transit_bs);
		buddy_arena_destroy(ba);
		keep = NULL;
	}
	in_transit = NULL;
}

/* Three classes cached on every CPU, and a live object on each. */
static void fill_every_cpu(struct bump_slab *bs, void **live)
{
	unsigned int cpu, c;
	void *p;

	for (cpu = 0; cpu < AP_SHIM_NR_CPUS; cpu++) {
		ap_shim_cpu = cpu;
		for (c = 0; c < 3; c++) {
			CHECK(p = bump_slab_alloc(bs, 8 << c, GFP_ATOMIC));
			CHECK(bump_slab_free(bs, p) == 0);
		}
		CHECK(live[cpu] = bump_slab_alloc(bs, 64, GFP_ATOMIC));
	}
	ap_shim_cpu = 0;
}

static void case_cpus(void)
{
	struct bump_slab *bs = heap_pool(0);
	void *live[AP_SHIM_NR_CPUS];
	struct bump_slab_stats st;
	struct ap_row row = { 0 };
	unsigned long warns;
	unsigned int c;

	fill_every_cpu(bs, live);
	bump_slab_stats(bs, &st);
	for (c = 0; c < 3; c++) {
		CHECK(st.classes[c].allocs == AP_SHIM_NR_CPUS);
		CHECK(st.classes[c].frees == AP_SHIM_NR_CPUS);
		CHECK(st.classes[c].live == 0);
		CHECK(st.classes[c].free_listed == 1);
	}
	CHECK(st.classes[3].live == AP_SHIM_NR_CPUS);
	bs_row(&bs->ap, &row);
	CHECK(row.allocs == 4 * AP_SHIM_NR_CPUS);
	CHECK(row.frees == 3 * AP_SHIM_NR_CPUS);
	CHECK(row.used == 64 * AP_SHIM_NR_CPUS);
	CHECK(bump_slab_check(bs));
	ap_shim_hardirq_enter();
	bump_slab_stats(bs, &st);
	ap_shim_hardirq_exit();
	warns = ap_shim_nr_warn;
	bump_slab_destroy(bs);
	CHECK(ap_shim_nr_warn == warns + 1);
}

/* Every byte of CPUs 2..63's caches that has a page of its own. */
static void protect_caches(struct bump_slab *bs, int prot)
{
	unsigned long lo = (unsigned long)per_cpu_ptr(bs->pcpu, 2);
	unsigned long hi = (unsigned long)per_cpu_ptr(bs->pcpu, AP_SHIM_NR_CPUS);

	lo = ALIGN(lo, PAGE_SIZE);
	hi = ALIGN_DOWN(hi, PAGE_SIZE);
	CHECK(hi > lo && !mprotect((void *)lo, hi - lo, prot));
}

/* Locks one allocation takes, and the object. */
static void *counted_alloc(struct bump_slab *bs, size_t size,
			   unsigned long *locks)
{
	unsigned long before = ap_shim_lock_ops;
	void *p = bump_slab_alloc(bs, size, GFP_ATOMIC);

	*locks = ap_shim_lock_ops - before;
	return p;
}

/*
 * The pool lock, this CPU's cache lock (fast path, then slow path) and at
 * most BS_STEAL_TRIES other caches' locks.
 */
#define ALLOC_LOCKS	(3 + BS_STEAL_TRIES)

static void case_o1(void)
{
	struct bump_slab *bs = heap_pool(0);
	void *p, *mine, *q = NULL, *objs[AP_SHIM_NR_CPUS];
	unsigned long locks, most = 0;
	unsigned int cpu, n;

	/* An object of 32 bytes cached on CPU 1, none anywhere else. */
	ap_shim_cpu = 1;
	CHECK(mine = bump_slab_alloc(bs, 32, GFP_ATOMIC));
	CHECK(bump_slab_free(bs, mine) == 0);
	ap_shim_cpu = 0;
	protect_caches(bs, PROT_NONE);
	/* A bump: no cache but this CPU's is looked at. */
	CHECK(p = counted_alloc(bs, 8, &locks));
	CHECK(locks <= ALLOC_LOCKS);
	/* A steal from CPU 1, the one marked. */
	CHECK(counted_alloc(bs, 32, &locks) == mine);
	CHECK(locks <= ALLOC_LOCKS);
	CHECK(bump_slab_free(bs, mine) == 0);
	CHECK(bump_slab_free(bs, p) == 0);
	protect_caches(bs, PROT_READ | PROT_WRITE);

	/*
	 * Marks gone stale on CPUs 1..62 (each cached a 128-byte object
	 * and took it back on its fast path), and an object cached on
	 * CPU 63.
	 */
	for (cpu = 1; cpu < AP_SHIM_NR_CPUS; cpu++)
		CHECK(objs[cpu] = bump_slab_alloc(bs, 128, GFP_ATOMIC));
	for (cpu = 1; cpu < AP_SHIM_NR_CPUS; cpu++) {
		ap_shim_cpu = cpu;
		CHECK(bump_slab_free(bs, objs[cpu]) == 0);
		if (cpu < AP_SHIM_NR_CPUS - 1)
			CHECK(bump_slab_alloc(bs, 128, GFP_ATOMIC) == objs[cpu]);
	}
	ap_shim_cpu = 0;
	/*
	 * Each allocation looks at a bounded number of marked caches and
	 * clears the stale marks it meets, so CPU 63's object is found
	 * within 62 / BS_STEAL_TRIES + 1 allocations; those before it may
	 * bump (the documented rule).
	 */
	for (n = 0; n <= (AP_SHIM_NR_CPUS - 2) / BS_STEAL_TRIES + 1; n++) {
		CHECK(q = counted_alloc(bs, 128, &locks));
		most = max(most, locks);
		if (q == objs[AP_SHIM_NR_CPUS - 1])
			break;
	}
	CHECK(q == objs[AP_SHIM_NR_CPUS - 1]);
	CHECK(most <= ALLOC_LOCKS);
	printf("  o1: one allocation took at most %lu locks with %d CPUs; "
	       "the object cached on CPU %d came back on allocation %u\n",
	       most, AP_SHIM_NR_CPUS, AP_SHIM_NR_CPUS - 1, n + 1);
	CHECK(bump_slab_check(bs));
	bump_slab_destroy(bs);
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "hardirq", case_hardirq },
	{ "spinlock", case_spinlock },
	{ "transit", case_transit },
	{ "cpus", case_cpus },
	{ "o1", case_o1 },
};

int main(int argc, char **argv)
{
	long leaks = ap_shim_live_allocs;
	unsigned int i, ran = 0;

	ap_shim_quiet = 2;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (argc > 1 && strcmp(argv[1], cases[i].name))
			continue;
		current_case = cases[i].name;
		cases[i].fn();
		ap_shim_run_work();
		CHECK(ap_shim_live_allocs == leaks);
		printf("bump_slab_context: %s: PASS\n", cases[i].name);
		ran++;
	}
	CHECK(ran);
	CHECK(hooked);
	printf("bump_slab_context: %u cases on %d CPUs: PASS\n", ran,
	       AP_SHIM_NR_CPUS);
	return 0;
}
