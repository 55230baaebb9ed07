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
 *  - stale:     buddy mode: a free or size of a stale pointer whose slab
 *               another CPU gives back, and whose arena region is
 *               vfree'd, just before the pool lock is taken (a hook on
 *               the lock): nothing of the block is read (ASan).
 *  - corrupt:   a write after free over a free object's link (ordinary
 *               data, a raw pointer, a link encoded with another secret,
 *               in buddy mode also an index past the slab's carved
 *               objects encoded with the pool's own) and over its
 *               header, in both modes (heap mode: at the head of the
 *               pool list and further down it, found by a refill):
 *               counted, cut off, never handed out, and the pool
 *               goes on.
 *  - depot:     frees past a cache's limit fill the depot's magazines,
 *               the overflow goes to the pool list; a second free of an
 *               object in a magazine is refused with the object and its
 *               header untouched; stats count magazines as free; another
 *               CPU takes the magazines back newest first, with nothing
 *               bumped; destroy with a full depot leaks nothing (ASan).
 *  - faults:    every kmalloc/vmalloc of create (heap and buddy mode,
 *               both flags) and of a slab's arena growth fails in turn:
 *               NULL or -ENOMEM, the pool as it was, nothing leaked.
 *  - sizes:     create and alloc with every size 2^k +- 1 up to SIZE_MAX:
 *               refused with a message, never a WARN or a vmalloc warning
 *               (the shim aborts on one).
 *
 *   bump_slab_context [case]    runs one case, all by default
 */
#include "ap_shim.h"
#include "allocpools_kasan.h"

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

/* bump_slab.c fills and checks objects through allocpools_kasan.h's. */
static inline void *hooked_kasan_memset(void *s, int c, size_t n)
{
	return ap_kasan_raw_memset(s, c, work_hook(s, n));
}

static inline void *hooked_kasan_memchr_inv(const void *s, int c, size_t n)
{
	return ap_kasan_memchr_inv(s, c, work_hook(s, n));
}

#undef ap_kasan_memset
#undef ap_kasan_memchr_inv
#define ap_kasan_memset(s, c, n)	hooked_kasan_memset(s, c, n)
#define ap_kasan_memchr_inv(s, c, n)	hooked_kasan_memchr_inv(s, c, n)

/*
 * Every raw lock bump_slab.c takes with irqsave goes through lock_hook
 * first, when one is set: the stale case runs another CPU's work there.
 */
static void (*lock_hook)(raw_spinlock_t *lock);
#undef raw_spin_lock_irqsave
#define raw_spin_lock_irqsave(x, f) do {				\
	raw_spinlock_t *__hooked = (x);					\
									\
	if (lock_hook)							\
		lock_hook(__hooked);					\
	(f) = 0;							\
	raw_spin_lock(__hooked);					\
} while (0)

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
		ap_kasan_write_u8(&p[size - 1], 0);
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

static struct bump_slab *stale_bs;
static void *stale_other;

/*
 * Another CPU, just before the pool lock is taken: it frees the last
 * object of the slab, which goes back to the arena, and the arena's
 * give-back work vfree()s the region that held it.
 */
static void give_back_under_us(raw_spinlock_t *lock)
{
	if (lock != &stale_bs->lock)
		return;
	lock_hook = NULL;
	CHECK(bump_slab_free(stale_bs, stale_other) == 0);
	ap_shim_run_work();
}

static void case_stale(void)
{
	struct buddy_arena_stats ast;
	struct bump_slab_stats st;
	struct buddy_arena *ba;
	unsigned int round;
	void *hold, *p;

	for (round = 0; round < 2; round++) {
		/* One page of primary region, taken: slabs go to growth. */
		ba = buddy_arena_create("ctx", PAGE_SIZE, 6, PAGE_SHIFT,
					BUDDY_ARENA_GROW);
		CHECK(!IS_ERR(ba));
		CHECK(hold = buddy_arena_alloc(ba, PAGE_SIZE, GFP_KERNEL));
		stale_bs = bump_slab_create_on("ctx", ba, 0);
		CHECK(!IS_ERR(stale_bs));
		CHECK(p = bump_slab_alloc(stale_bs, 64, GFP_KERNEL));
		CHECK(stale_other = bump_slab_alloc(stale_bs, 64, GFP_KERNEL));
		buddy_arena_stats(ba, &ast);
		CHECK(ast.regions == 2);
		CHECK(bump_slab_free(stale_bs, p) == 0);

		/* @p is stale; its slab and region go while we look it up. */
		lock_hook = give_back_under_us;
		if (round)
			CHECK(bump_slab_free(stale_bs, p) == -EINVAL);
		else
			CHECK(bump_slab_size(stale_bs, p) == 0);
		CHECK(!lock_hook);
		buddy_arena_stats(ba, &ast);
		CHECK(ast.regions == 1);
		bump_slab_stats(stale_bs, &st);
		CHECK(st.slabs == 0 && st.invalid_frees == round);
		CHECK(bump_slab_check(stale_bs));
		bump_slab_destroy(stale_bs);
		CHECK(buddy_arena_free(ba, hold) == 0);
		buddy_arena_destroy(ba);
	}
}

/* What a client's write after free may put over a link. */
static unsigned long bad_link(struct bump_slab *bs, void *obj, void *target,
			      unsigned int how)
{
	switch (how % 4) {
	case 0:
		return 0x4141414141414141UL;
	case 1:
		return (unsigned long)target;	/* a raw pointer */
	case 2:
		/* Encoded, with a secret other than the pool's. */
		return ap_link_encode(bs->secret ^ 0x10000, obj, target);
	default:
		return 0;
	}
}

static bool inside(struct bump_slab *bs, const u8 *p, size_t size)
{
	return p >= bs->heap + BS_HDR && p + size <= bs->heap + bs->heap_size;
}

/* One more free than a cache and the whole depot hold. */
#define BS_PAST_DEPOT	(BS_CACHE_MAX + BS_DEPOT * BS_BATCH + 1)

/*
 * Heap mode: links are only on the pool list (a CPU's cache and the
 * depot's magazines are arrays out of a client's reach).  Frees past what
 * a cache and the depot hold send the BS_BATCH oldest, p[0 .. BS_BATCH -
 * 1], to the pool list, p[BS_BATCH - 1] at its head: in the first class
 * as the depot's oldest magazine, which then takes the newest batch; in
 * the next two, which find the depot taken by the first, straight from
 * the cache.  A write over the link of the head (where 0) or of an object
 * further down (where 1) is found by the refill that follows it: the
 * objects before it come back, it and those behind it never do.  A write
 * over a cached object's first word (where 2) is the client's own data
 * lost: nothing to find, nothing harmed.
 */
static void corrupt_heap(unsigned int how)
{
	struct bump_slab *bs = heap_pool(how & 4 ? BUMP_SLAB_POISON : 0);
	static void *p[BS_PAST_DEPOT], *q[BS_PAST_DEPOT];
	const unsigned int n = BS_PAST_DEPOT;
	void *a, *b;
	struct bump_slab_stats st;
	unsigned int i, j, where, at;
	u64 dmg = 0;

	/* A class of its own for each, so each starts with empty lists. */
	for (where = 0; where < 3; where++) {
		size_t size = 64 << where;

		for (i = 0; i < n; i++)
			CHECK(p[i] = bump_slab_alloc(bs, size, GFP_ATOMIC));
		for (i = 0; i < n; i++)
			CHECK(bump_slab_free(bs, p[i]) == 0);
		/* p[0 .. BS_BATCH - 1] are listed, the newest first. */
		CHECK(bs->cls[size_to_cls(size)].l.n ==
		      (where ? n - (BS_CACHE_MAX - BS_BATCH + 1) : BS_BATCH));
		at = where == 0 ? BS_BATCH - 1 : where == 1 ? BS_BATCH / 2 :
		     n - 1;
		a = p[at];
		b = p[at - 1];
		ap_kasan_write_ulong((unsigned long *)a,
				     bad_link(bs, a, b, how));
		dmg += where < 2;
		for (i = 0; i < n; i++) {
			CHECK(q[i] = bump_slab_alloc(bs, size, GFP_ATOMIC));
			CHECK(inside(bs, q[i], size));
			/* Listed ones from @a on are cut off. */
			for (j = 0; where < 2 && j <= at; j++)
				CHECK(q[i] != p[j]);
		}
		bump_slab_stats(bs, &st);
		CHECK(st.corruptions == dmg);
		CHECK(st.classes[size_to_cls(size)].live == n);
		CHECK(bump_slab_check(bs));
		for (i = 0; i < n; i++)
			CHECK(bump_slab_free(bs, q[i]) == 0);
		for (i = 0; i < n; i++) {
			CHECK(q[i] = bump_slab_alloc(bs, size, GFP_ATOMIC));
			CHECK(where == 2 || q[i] != a);
		}
		for (i = 0; i < n; i++)
			CHECK(bump_slab_free(bs, q[i]) == 0);
		CHECK(bump_slab_check(bs));
	}
	bump_slab_stats(bs, &st);
	CHECK(st.invalid_frees == dmg);
	bump_slab_destroy(bs);
}

/*
 * Buddy mode: a write over the link, or the header, of the free object at
 * the head of a slab's list; a live object keeps the slab.  A link is an
 * object's index in its slab: one encoded with the pool's own secret (the
 * strongest forgery, a client that knew it) naming the first index the
 * slab has not carved (how 16) or one past its page (how 17) must be
 * refused as surely as garbage.
 */
static void corrupt_buddy(unsigned int how)
{
	struct buddy_arena *ba = buddy_arena_create("ctx", SZ_1M, 6, 20, 0);
	struct bump_slab_stats st;
	struct bump_slab *bs;
	u8 *keep, *a, *b, *q;
	unsigned long past;
	unsigned int i;

	CHECK(!IS_ERR(ba));
	bs = bump_slab_create_on("ctx", ba, how & 4 ? BUMP_SLAB_POISON : 0);
	CHECK(!IS_ERR(bs));
	CHECK(keep = bump_slab_alloc(bs, 64, GFP_KERNEL));
	CHECK(b = bump_slab_alloc(bs, 64, GFP_KERNEL));
	CHECK(a = bump_slab_alloc(bs, 64, GFP_KERNEL));
	CHECK(bump_slab_free(bs, b) == 0);
	CHECK(bump_slab_free(bs, a) == 0);
	if (how & 16) {
		/* keep, b and a: the slab has carved indices 0 .. 2. */
		CHECK(((struct bs_slab *)((unsigned long)a & PAGE_MASK))->carved
		      == 3);
		past = 3 + (how & 1 ? PAGE_SIZE : 0);
		ap_kasan_write_ulong((unsigned long *)a,
				     ap_link_encode(bs->secret, a,
						    (void *)past));
	} else if (how & 8) {
		/* The class byte. */
		ap_kasan_write_u8(a - BS_HDR,
				  ap_kasan_read_u8(a - BS_HDR) ^ 0x10);
	} else {
		ap_kasan_write_ulong((unsigned long *)a,
				     bad_link(bs, a, b, how));
	}
	for (i = 0; i < 100; i++) {
		CHECK(q = bump_slab_alloc(bs, 64, GFP_KERNEL));
		if (q == a || q == b)
			fail("buddy how %u: alloc %u gave a damaged object", how, i);
		CHECK(bump_slab_size(bs, q) == 64);
	}
	bump_slab_stats(bs, &st);
	CHECK(st.corruptions == 1 && st.invalid_frees == 1);
	CHECK(st.classes[size_to_cls(64)].live == 101);
	CHECK(bump_slab_check(bs));
	CHECK(bump_slab_free(bs, a) == -EINVAL);
	bump_slab_destroy(bs);
	buddy_arena_destroy(ba);
}

static void case_corrupt(void)
{
	unsigned long errs = ap_shim_nr_err;
	unsigned int how;

	for (how = 0; how < 8; how++)
		corrupt_heap(how);
	for (how = 0; how < 16; how++)
		corrupt_buddy(how);
	corrupt_buddy(16);
	corrupt_buddy(17);
	CHECK(ap_shim_nr_err > errs);
	CHECK(!ap_shim_nr_WARN);
}

/* Fail the allocation numbered fail_at (from 1); count them all. */
static unsigned long fail_at, fail_seen;

static bool fail_nth(size_t size)
{
	return ++fail_seen == fail_at;
}

/*
 * Run @make with the 1st, 2nd, ... allocation failing until it succeeds
 * with none failed; each failure must be clean.  Returns the successes'
 * allocations counted.
 */
static unsigned long each_failure(struct bump_slab *(*make)(unsigned int),
				  unsigned int flags)
{
	long live0 = ap_shim_live_allocs;
	struct bump_slab *bs;

	for (fail_at = 1;; fail_at++) {
		fail_seen = 0;
		ap_shim_fail_hook = fail_nth;
		bs = make(flags);
		ap_shim_fail_hook = NULL;
		if (fail_seen < fail_at)
			break;
		CHECK(PTR_ERR(bs) == -ENOMEM);
		CHECK(ap_shim_live_allocs == live0);
	}
	CHECK(!IS_ERR(bs));
	drive(bs, false);
	bump_slab_destroy(bs);
	CHECK(ap_shim_live_allocs == live0);
	return fail_at - 1;
}

static struct bump_slab *make_heap(unsigned int flags)
{
	return bump_slab_create("ctx", SZ_1M, flags);
}

static struct buddy_arena *fault_ba;

static struct bump_slab *make_on(unsigned int flags)
{
	return bump_slab_create_on("ctx", fault_ba, flags);
}

/*
 * A slab from arena growth: the arena's one page is taken, so each new
 * slab adds a region; every allocation that makes fails in turn.
 */
static void fault_growth(unsigned int flags)
{
	struct buddy_arena_stats a0, a1;
	struct bump_slab_stats s0, s1;
	struct buddy_arena *ba;
	struct bump_slab *bs;
	long live0;
	void *hold, *p;

	ba = buddy_arena_create("ctx", PAGE_SIZE, 6, 16, BUDDY_ARENA_GROW);
	CHECK(!IS_ERR(ba));
	CHECK(hold = buddy_arena_alloc(ba, PAGE_SIZE, GFP_KERNEL));
	bs = bump_slab_create_on("ctx", ba, flags);
	CHECK(!IS_ERR(bs));
	for (fail_at = 1;; fail_at++) {
		bump_slab_stats(bs, &s0);
		buddy_arena_stats(ba, &a0);
		live0 = ap_shim_live_allocs;
		fail_seen = 0;
		ap_shim_fail_hook = fail_nth;
		p = bump_slab_alloc(bs, 4096, GFP_KERNEL);
		ap_shim_fail_hook = NULL;
		if (fail_seen < fail_at)
			break;
		CHECK(!p);
		CHECK(ap_shim_live_allocs == live0);
		bump_slab_stats(bs, &s1);
		buddy_arena_stats(ba, &a1);
		s0.failures++;
		CHECK(!memcmp(&s0, &s1, sizeof(s0)));
		CHECK(a1.regions == a0.regions && a1.size == a0.size &&
		      a1.free_bytes == a0.free_bytes);
	}
	CHECK(fail_at > 1);
	CHECK(p && bump_slab_size(bs, p) == 4096);
	CHECK(bump_slab_free(bs, p) == 0);
	bump_slab_destroy(bs);
	CHECK(buddy_arena_free(ba, hold) == 0);
	buddy_arena_destroy(ba);
}

static void case_faults(void)
{
	unsigned int flags;

	for (flags = 0; flags <= BUMP_SLAB_POISON; flags += BUMP_SLAB_POISON) {
		CHECK(each_failure(make_heap, flags) >= 4);
		fault_ba = buddy_arena_create("ctx", SZ_1M, 6, 20, 0);
		CHECK(!IS_ERR(fault_ba));
		CHECK(each_failure(make_on, flags) >= 2);
		buddy_arena_destroy(fault_ba);
		fault_growth(flags);
	}
}

/* Nothing over 64 MiB is really allocated here. */
static bool fail_big(size_t size)
{
	return size > (64UL << 20);
}

static void try_size(size_t size)
{
	unsigned long msgs = ap_shim_nr_err + ap_shim_nr_warn;
	struct bump_slab *bs;
	void *p;

	bs = bump_slab_create("ctx", size, 0);
	if (IS_ERR(bs)) {
		CHECK(PTR_ERR(bs) == -EINVAL || PTR_ERR(bs) == -ENOMEM);
		/* Said why (0 is the one size refused without a word). */
		CHECK(!size || ap_shim_nr_err + ap_shim_nr_warn > msgs);
	} else {
		bump_slab_destroy(bs);
	}
	bs = heap_pool(0);
	p = bump_slab_alloc(bs, size, GFP_ATOMIC);
	CHECK(!p == (!size || size > BUMP_SLAB_MAX_SIZE));
	CHECK(bump_slab_free(bs, p) == 0);
	bump_slab_destroy(bs);
	CHECK(!ap_shim_nr_WARN);
}

static void case_sizes(void)
{
	unsigned int k;

	ap_shim_fail_hook = fail_big;
	try_size(0);
	try_size(SIZE_MAX);
	try_size(SIZE_MAX - 1);
	try_size(SIZE_MAX / 16 + 1);
	for (k = 0; k < 64; k++) {
		try_size((size_t)1 << k);
		try_size(((size_t)1 << k) - 1);
		try_size(((size_t)1 << k) + 1);
	}
	ap_shim_fail_hook = NULL;
}

/* Magazines on class @c's depot, and whether they and the spares are all. */
static unsigned int depot_mags(struct bump_slab *bs, unsigned int c)
{
	unsigned int n = 0, spare = 0;
	struct bs_mag *mag;

	list_for_each_entry(mag, &bs->cls[c].depot, node)
		n++;
	list_for_each_entry(mag, &bs->spare, node)
		spare++;
	CHECK(n + spare == BS_DEPOT);
	return n;
}

static void case_depot(void)
{
	struct bump_slab *bs = heap_pool(0);
	/* The cache keeps this many after its last flush. */
	const unsigned int kept = BS_CACHE_MAX - BS_BATCH + 1;
	const unsigned int n = BS_PAST_DEPOT, c = size_to_cls(32);
	static void *p[BS_PAST_DEPOT], *q[BS_PAST_DEPOT];
	struct bump_slab_stats st;
	u64 hdr, word;
	size_t bump;
	unsigned int i;
	u8 *x;

	for (i = 0; i < n; i++)
		CHECK(p[i] = bump_slab_alloc(bs, 32, GFP_ATOMIC));
	for (i = 0; i < BS_CACHE_MAX + BS_BATCH + 1; i++)
		CHECK(bump_slab_free(bs, p[i]) == 0);
	/* Two flushes: two magazines, nothing listed. */
	CHECK(depot_mags(bs, c) == 2 && bs->cls[c].l.n == 0);
	CHECK(bump_slab_check(bs));
	for (; i < n; i++)
		CHECK(bump_slab_free(bs, p[i]) == 0);
	/* The depot is full; its oldest magazine went to the pool list. */
	CHECK(depot_mags(bs, c) == BS_DEPOT && bs->cls[c].l.n == BS_BATCH);
	CHECK(list_first_entry(&bs->cls[c].depot, struct bs_mag,
			       node)->objs[0] == p[n - kept - BS_BATCH]);
	CHECK(bump_slab_check(bs));

	/*
	 * A second free of an object in the oldest magazine: refused by its
	 * header, and by the map alone once a stray write has made the
	 * header say live; nothing written either time.
	 */
	x = p[BS_BATCH];
	hdr = ap_kasan_read_once_u64(obj_hdr(x));
	word = ap_kasan_read_once_u64((u64 *)x);
	CHECK(bump_slab_free(bs, x) == -EINVAL);
	CHECK(ap_kasan_read_once_u64(obj_hdr(x)) == hdr &&
	      ap_kasan_read_once_u64((u64 *)x) == word);
	ap_kasan_write_once_u64(obj_hdr(x), hdr_word(c, BS_LIVE));
	CHECK(bump_slab_free(bs, x) == -EINVAL);
	CHECK(ap_kasan_read_once_u64(obj_hdr(x)) == hdr_word(c, BS_LIVE) &&
	      ap_kasan_read_once_u64((u64 *)x) == word);
	ap_kasan_write_once_u64(obj_hdr(x), hdr);
	bump_slab_stats(bs, &st);
	CHECK(st.invalid_frees == 2 && st.corruptions == 0);
	CHECK(st.classes[c].allocs == n && st.classes[c].frees == n);
	CHECK(st.classes[c].live == 0 && st.classes[c].free_listed == n);
	bump = st.bump_offset;
	CHECK(bump_slab_check(bs));

	/*
	 * Another CPU: the depot's magazines, newest first, then the pool
	 * list, then steals from CPU 0's cache; nothing bumped.
	 */
	ap_shim_cpu = 5;
	for (i = 0; i < n; i++) {
		CHECK(q[i] = bump_slab_alloc(bs, 32, GFP_ATOMIC));
		CHECK(i >= n - kept || q[i] == p[n - kept - 1 - i]);
	}
	bump_slab_stats(bs, &st);
	CHECK(st.bump_offset == bump && st.classes[c].live == n);
	CHECK(st.classes[c].free_listed == 0);
	CHECK(depot_mags(bs, c) == 0);
	CHECK(bump_slab_check(bs));
	/* Back into the depot on CPU 5; destroy it full. */
	for (i = 0; i < n; i++)
		CHECK(bump_slab_free(bs, q[i]) == 0);
	ap_shim_cpu = 0;
	CHECK(depot_mags(bs, c) == BS_DEPOT);
	bump_slab_stats(bs, &st);
	CHECK(st.classes[c].live == 0 && st.classes[c].free_listed == n);
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
	{ "stale", case_stale },
	{ "corrupt", case_corrupt },
	{ "depot", case_depot },
	{ "faults", case_faults },
	{ "sizes", case_sizes },
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
	CHECK(hooked || argc > 1);
	printf("bump_slab_context: %u cases on %d CPUs: PASS\n", ran,
	       AP_SHIM_NR_CPUS);
	return 0;
}
