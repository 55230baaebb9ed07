// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_model.c - randomized model test of buddy_arena.c in userspace.
 *
 * One million random operations over arenas of several shapes (region sizes
 * that are and are not powers of two, min_order 4..12, growth, poison).  A
 * shadow map of every region's units checks after every step that live
 * blocks never overlap, stay inside a region and are aligned, and the
 * counters that free + live bytes == region bytes; the arena's own invariant
 * walk runs every few steps and after every bad free.  Each arena is then
 * drained and must be back to the blocks it was carved into.
 *
 *   buddy_model [seed]      (or BUDDY_SEED=n); the seed is printed first
 */
#include "../../../buddy_arena.c"
#include "buddy_common.h"

#define TOTAL_OPS	1000000UL
#define MAX_LIVE	4096

static unsigned long long seed, rng;
static unsigned long failed;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL (seed %llu) %s:%d: %s: ", seed,	\
			__FILE__, __LINE__, #cond);			\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		failed++;						\
		return false;						\
	}								\
} while (0)

static u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static u64 rnd_below(u64 n)
{
	return n ? rnd() % n : 0;
}

struct live {
	u8 *p;
	size_t req;
	unsigned int order;
	u64 tag;
};

/* One shadow per region: 1 per unit covered by a live block. */
struct shadow {
	u8 *base;
	size_t size;
	u8 *units;
};

struct model {
	struct buddy_arena *ba;
	unsigned int min, max, flags;
	struct live live[MAX_LIVE];
	unsigned int nr_live;
	struct shadow sh[1024];
	unsigned int nr_sh;
	size_t live_bytes, req_bytes;
	u64 allocs, frees, failures, invalid;
	u64 next_tag;
};

static void shadow_drop(struct model *m, unsigned int i)
{
	free(m->sh[i].units);
	m->sh[i] = m->sh[--m->nr_sh];
}

/* Follow the arena's region table: new regions get a shadow, gone ones lose it. */
static bool shadow_sync(struct model *m)
{
	struct buddy_arena *ba = m->ba;
	unsigned int i, j;

	for (i = 0; i < m->nr_sh; ) {
		bool found = false;

		for (j = 0; j < ba->nr_regions; j++)
			if (ba->regions[j]->base == m->sh[i].base &&
			    ba->regions[j]->size == m->sh[i].size)
				found = true;
		if (found) {
			i++;
			continue;
		}
		for (j = 0; j < (m->sh[i].size >> m->min); j++)
			CHECK(!m->sh[i].units[j], "region given back with a live unit");
		shadow_drop(m, i);
	}
	for (j = 0; j < ba->nr_regions; j++) {
		bool found = false;

		for (i = 0; i < m->nr_sh; i++)
			if (ba->regions[j]->base == m->sh[i].base)
				found = true;
		if (found)
			continue;
		CHECK(m->nr_sh < ARRAY_SIZE(m->sh), "too many regions");
		m->sh[m->nr_sh].base = ba->regions[j]->base;
		m->sh[m->nr_sh].size = ba->regions[j]->size;
		m->sh[m->nr_sh].units = calloc(ba->regions[j]->size >> m->min, 1);
		m->nr_sh++;
	}
	return true;
}

static struct shadow *shadow_of(struct model *m, const u8 *p)
{
	unsigned int i;

	for (i = 0; i < m->nr_sh; i++)
		if (p >= m->sh[i].base && p < m->sh[i].base + m->sh[i].size)
			return &m->sh[i];
	return NULL;
}

static bool counters_ok(struct model *m)
{
	struct buddy_arena *ba = m->ba;
	struct buddy_arena_stats st;

	buddy_arena_stats(ba, &st);
	CHECK(st.free_bytes + m->live_bytes == st.size,
	      "free %zu + live %zu != size %zu", st.free_bytes, m->live_bytes,
	      st.size);
	CHECK(st.live_blocks == m->nr_live, "live %lu model %u",
	      st.live_blocks, m->nr_live);
	CHECK(st.requested_bytes == m->req_bytes, "requested %zu model %zu",
	      st.requested_bytes, m->req_bytes);
	/* The arena's and its per-CPU caches' counts together. */
	CHECK(st.allocs == m->allocs && st.frees == m->frees &&
	      st.failures == m->failures && st.invalid_frees == m->invalid,
	      "counters %llu/%llu %llu/%llu %llu/%llu %llu/%llu",
	      st.allocs, m->allocs, st.frees, m->frees, st.failures,
	      m->failures, st.invalid_frees, m->invalid);
	return true;
}

static size_t rnd_size(struct model *m)
{
	unsigned int bits = rnd_below(m->max + 2);	/* up to max + 1 */

	if (!rnd_below(200))
		return 0;
	if (!bits)
		return 1;
	return (1UL << (bits - 1)) + rnd_below(1UL << (bits - 1)) + 1 -
	       (bits == 1);
}

static bool op_alloc(struct model *m, size_t size, gfp_t gfp)
{
	unsigned int order, k;
	struct shadow *sh;
	struct live *l;
	size_t off;
	u8 *p;

	p = buddy_arena_alloc(m->ba, size, gfp);
	if (m->flags & BUDDY_ARENA_GROW)
		CHECK(shadow_sync(m), "sync");
	if (!p) {
		m->failures++;
		return true;
	}
	CHECK(size && size <= (1UL << m->max), "size %zu was served", size);
	CHECK(m->nr_live < MAX_LIVE, "model full");
	order = size <= (1UL << m->min) ? m->min : fls(size - 1);
	CHECK(buddy_arena_block_size(m->ba, p) == 1UL << order,
	      "block size %zu for %zu", buddy_arena_block_size(m->ba, p), size);
	sh = shadow_of(m, p);
	CHECK(sh, "block outside every region");
	off = p - sh->base;
	CHECK(!(off & ((1UL << order) - 1)), "offset %zu not aligned to %u",
	      off, order);
	CHECK(off + (1UL << order) <= sh->size, "block past region end");
	for (k = 0; k < (1U << (order - m->min)); k++) {
		CHECK(!sh->units[(off >> m->min) + k],
		      "overlap at offset %zu order %u", off, order);
		sh->units[(off >> m->min) + k] = 1;
	}
	l = &m->live[m->nr_live++];
	l->p = p;
	l->req = size;
	l->order = order;
	l->tag = ++m->next_tag;
	CHECK(ap_shim_kasan_live(p, size, size < (1UL << order)),
	      "ASan shadow of a %zu-byte request", size);
	/* Head and tail of what was asked for: the rest is a redzone. */
	memcpy(p, &l->tag, min_t(size_t, size, sizeof(l->tag)));
	if (size >= 2 * sizeof(l->tag))
		memcpy(p + size - sizeof(l->tag), &l->tag, sizeof(l->tag));
	m->live_bytes += 1UL << order;
	m->req_bytes += ALIGN(size, 1UL << m->min);
	m->allocs++;
	return true;
}

static bool op_free(struct model *m, unsigned int i)
{
	struct live l = m->live[i];
	struct shadow *sh = shadow_of(m, l.p);
	size_t off = l.p - sh->base;
	size_t n = min_t(size_t, l.req, sizeof(l.tag));
	unsigned int k;
	u64 tag = 0;

	memcpy(&tag, l.p, n);
	CHECK(!memcmp(&tag, &l.tag, n), "head of a live block overwritten");
	if (l.req >= 2 * sizeof(tag)) {
		memcpy(&tag, l.p + l.req - n, n);
		CHECK(tag == l.tag, "tail of a live block overwritten");
	}
	for (k = 0; k < (1U << (l.order - m->min)); k++)
		sh->units[(off >> m->min) + k] = 0;
	m->live[i] = m->live[--m->nr_live];
	m->live_bytes -= 1UL << l.order;
	m->req_bytes -= ALIGN(l.req, 1UL << m->min);
	m->frees++;
	CHECK(buddy_arena_free(m->ba, l.p) == 0, "free failed");
	CHECK(buddy_arena_block_size(m->ba, l.p) == 0, "freed block live");
	CHECK(ap_shim_kasan_freed(l.p), "freed block not poisoned");
	return true;
}

/* A pointer the arena must refuse: the arena must not change at all. */
static bool op_bad_free(struct model *m)
{
	struct buddy_arena_stats before, after;
	unsigned long err = ap_shim_nr_err;
	static u8 foreign[64];
	u8 *p = NULL;
	unsigned int kind = rnd_below(3);

	if (kind == 0) {
		p = foreign + 16;
	} else if (kind == 1 && m->nr_live) {
		struct live *l = &m->live[rnd_below(m->nr_live)];

		p = l->p + 1 + rnd_below((1UL << l->order) - 1);
	} else {
		/* A unit no live block covers: a free block or inside one. */
		struct shadow *sh = &m->sh[rnd_below(m->nr_sh)];
		size_t u = rnd_below(sh->size >> m->min);

		if (sh->units[u])
			return true;
		p = sh->base + (u << m->min);
	}
	buddy_arena_stats(m->ba, &before);
	CHECK(buddy_arena_free(m->ba, p) == -EINVAL, "bad free accepted");
	buddy_arena_stats(m->ba, &after);
	m->invalid++;
	before.invalid_frees++;
	CHECK(!memcmp(&before, &after, sizeof(before)),
	      "bad free changed the arena");
	CHECK(ap_shim_nr_err == err + 1, "bad free reported %lu times",
	      ap_shim_nr_err - err);
	CHECK(buddy_check(m->ba), "invariant after bad free");
	return true;
}

struct shape {
	size_t size;
	unsigned int min, max, flags;
	unsigned long ops;
};

static bool run_shape(const struct shape *s)
{
	unsigned long initial[BUDDY_ARENA_ORDERS] = { 0 };
	struct buddy_arena_stats st;
	unsigned long i, every;
	struct model *m;
	bool ok = false;

	m = calloc(1, sizeof(*m));
	m->min = s->min;
	m->max = s->max;
	m->flags = s->flags;
	m->ba = buddy_arena_create("model", s->size, s->min, s->max, s->flags);
	if (IS_ERR(m->ba)) {
		fprintf(stderr, "FAIL: create %zu %u %u: %ld\n", s->size,
			s->min, s->max, PTR_ERR(m->ba));
		failed++;
		free(m);
		return false;
	}
	carve_layout(s->min, s->max, s->size, initial);
	buddy_arena_stats(m->ba, &st);
	if (memcmp(st.free_blocks, initial, sizeof(initial)) ||
	    st.size != s->size >> s->min << s->min) {
		fprintf(stderr, "FAIL: initial layout of %zu\n", s->size);
		failed++;
		goto out;
	}
	if (!shadow_sync(m) || !buddy_check(m->ba))
		goto out;
	every = max_t(unsigned long, 16, (s->size >> s->min) / 256);

	for (i = 0; i < s->ops; i++) {
		unsigned int r = rnd_below(100);
		bool full = m->nr_live == MAX_LIVE;

		if (!full && (r < 52 || !m->nr_live)) {
			gfp_t gfp = rnd_below(4) ? GFP_KERNEL : GFP_ATOMIC;

			if (!op_alloc(m, rnd_size(m), gfp))
				goto out;
		} else if (r < 98 || full) {
			if (!op_free(m, rnd_below(m->nr_live)))
				goto out;
		} else if (!op_bad_free(m)) {
			goto out;
		}
		/* Another CPU now and then: blocks move between caches. */
		if (!rnd_below(32))
			ap_shim_cpu = rnd_below(AP_SHIM_NR_CPUS);
		if ((m->flags & BUDDY_ARENA_GROW) && !rnd_below(64)) {
			ap_shim_run_work();
			if (!shadow_sync(m))
				goto out;
		}
		if (!counters_ok(m))
			goto out;
		if (!(i % every) && !buddy_check(m->ba)) {
			fprintf(stderr, "FAIL (seed %llu): invariant, op %lu\n",
				seed, i);
			failed++;
			goto out;
		}
	}

	/*
	 * Drain: everything merges back into the carved layout once the
	 * per-CPU caches, whose blocks count as free, are drained too.
	 */
	while (m->nr_live)
		if (!op_free(m, rnd_below(m->nr_live)))
			goto out;
	buddy_arena_stats(m->ba, &st);
	CHECK(st.free_bytes == st.size && !st.live_blocks,
	      "cached blocks count free: free %zu size %zu", st.free_bytes,
	      st.size);
	pcp_drain_all(m->ba);
	ap_shim_run_work();
	if (!shadow_sync(m) || !counters_ok(m) || !buddy_check(m->ba))
		goto out;
	buddy_arena_stats(m->ba, &st);
	if (memcmp(st.free_blocks, initial, sizeof(initial)) ||
	    st.regions != 1 || st.free_bytes != st.size ||
	    st.size != s->size >> s->min << s->min || st.requested_bytes) {
		fprintf(stderr,
			"FAIL (seed %llu): drain of %zu/%u/%u: regions %u free %zu size %zu\n",
			seed, s->size, s->min, s->max, st.regions,
			st.free_bytes, st.size);
		failed++;
		goto out;
	}
	ok = true;
out:
	buddy_arena_destroy(m->ba);
	ap_shim_run_work();
	while (m->nr_sh)
		shadow_drop(m, 0);
	free(m);
	return ok;
}

static bool fail_all(size_t size)
{
	return true;
}

#undef CHECK
#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__,	\
			#cond);						\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		failed++;						\
		goto out;						\
	}								\
} while (0)

static void test_args(void)
{
	static const struct {
		const char *name;
		size_t size;
		unsigned int min, max, flags;
	} bad[] = {
		{ "a", 4096, 3, 10, 0 }, { "a", 4096, 10, 9, 0 },
		{ "a", 1 << 20, 4, 31, 0 }, { "a", 15, 4, 10, 0 },
		{ "a", 0, 4, 10, 0 }, { "a", 4096, 4, 10, 4 },
		{ NULL, 4096, 4, 10, 0 }, { "", 4096, 4, 10, 0 },
		{ "a/b", 4096, 4, 10, 0 },
		{ "abcdefghijklmnopqrstuvwxyz789012", 4096, 4, 10, 0 },
	};
	struct buddy_arena *ba, *b2 = NULL;
	unsigned int i;
	long live = ap_shim_live_allocs;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ba = buddy_arena_create(bad[i].name, bad[i].size, bad[i].min,
					bad[i].max, bad[i].flags);
		CHECK(ba == ERR_PTR(-EINVAL), "bad create %u: %ld", i,
		      PTR_ERR(ba));
	}
	ba = buddy_arena_create("a", 16, 4, 30, 0);
	CHECK(!IS_ERR(ba), "one-block arena");
	b2 = buddy_arena_create("a", 16, 4, 4, 0);
	CHECK(b2 == ERR_PTR(-EEXIST), "same name %ld", PTR_ERR(b2));
	b2 = NULL;
	CHECK(buddy_arena_add_region(ba, 15) == -EINVAL, "small region");
	CHECK(!buddy_arena_alloc(ba, 0, GFP_KERNEL), "size 0");
	CHECK(!buddy_arena_alloc(ba, 17, GFP_KERNEL), "too large");
	CHECK(!buddy_arena_alloc(ba, SIZE_MAX, GFP_KERNEL), "huge");
	CHECK(buddy_arena_free(ba, NULL) == 0, "NULL free");
	CHECK(ba->failures == 3 && ba->invalid_frees == 0, "counted");
	CHECK(buddy_arena_block_size(ba, NULL) == 0, "NULL size");
	buddy_arena_destroy(NULL);
	buddy_arena_destroy(ERR_PTR(-EINVAL));
out:
	buddy_arena_destroy(ba);
	buddy_arena_destroy(b2);
	if (ap_shim_live_allocs != live) {
		fprintf(stderr, "FAIL: args leaked\n");
		failed++;
	}
}

static void test_growth(void)
{
	struct buddy_arena_stats st;
	void *p[64], *q;
	unsigned long warn;
	unsigned int i, n;
	struct buddy_arena *ba;

	/* 3000 bytes with min 6: 2048 + 512 + 256 + 128 usable. */
	ba = buddy_arena_create("grow", 3000, 6, 12, BUDDY_ARENA_GROW);
	CHECK(!IS_ERR(ba), "create");
	CHECK(ba->size == 2944, "usable %zu", ba->size);
	for (n = 0; n < 8; n++) {
		p[n] = buddy_arena_alloc(ba, 2048, GFP_KERNEL);
		CHECK(p[n], "grow alloc %u", n);
		CHECK(buddy_check(ba), "check");
	}
	buddy_arena_stats(ba, &st);
	CHECK(st.regions == 8, "regions %u", st.regions);
	CHECK(st.size == 8 * 2944, "size %zu", st.size);
	/* A request larger than a region gets a region of its own size. */
	p[n] = buddy_arena_alloc(ba, 4096, GFP_KERNEL);
	CHECK(p[n], "large grow");
	n++;
	CHECK(ba->nr_regions == 9 && buddy_check(ba), "regions %u",
	      ba->nr_regions);
	/* No growth without a blocking gfp, or when vmalloc fails. */
	for (i = 0; i < 8; i++)
		buddy_arena_free(ba, buddy_arena_alloc(ba, 2048, GFP_ATOMIC));
	CHECK(!buddy_arena_alloc(ba, 4096, GFP_ATOMIC), "atomic grew");
	ap_shim_fail_hook = fail_all;
	q = buddy_arena_alloc(ba, 4096, GFP_KERNEL);
	ap_shim_fail_hook = NULL;
	CHECK(!q, "grew under failing vmalloc");
	CHECK(ba->nr_regions == 9 && buddy_check(ba), "after failures");
	CHECK(buddy_arena_add_region(ba, 100) == 0, "add region");
	ap_shim_fail_hook = fail_all;
	CHECK(buddy_arena_add_region(ba, 100) == -ENOMEM, "add under failure");
	ap_shim_fail_hook = NULL;
	CHECK(ba->nr_regions == 10 && buddy_check(ba), "regions");
	/* Give back: every grown region once it is free, never the first. */
	for (i = 0; i < n; i++) {
		CHECK(buddy_arena_free(ba, p[i]) == 0, "free %u", i);
		CHECK(buddy_check(ba), "check after free %u", i);
	}
	ap_shim_run_work();
	CHECK(buddy_check(ba), "check after give-back");
	buddy_arena_stats(ba, &st);
	/* The hand-added region was never used, so it stays. */
	CHECK(st.regions == 2, "regions after give-back %u", st.regions);
	CHECK(st.size == 2944 + 64 && st.free_bytes == st.size, "size %zu",
	      st.size);
	/* Destroy with a live block warns once and frees it. */
	q = buddy_arena_alloc(ba, 64, GFP_KERNEL);
	CHECK(q, "alloc");
	warn = ap_shim_nr_warn;
	buddy_arena_destroy(ba);
	ba = NULL;
	CHECK(ap_shim_nr_warn == warn + 1, "destroy warning");
out:
	buddy_arena_destroy(ba);
	ap_shim_run_work();
}

/* Allocation calls seen since the count was reset, and the one to fail. */
static unsigned int fault_calls, fault_at;

static bool fail_at_nth(size_t size)
{
	return fault_calls++ == fault_at;
}

/* Start failing allocation number @n (from 0) of what follows. */
static void inject_fault(unsigned int n)
{
	fault_calls = 0;
	fault_at = n;
	ap_shim_fail_hook = fail_at_nth;
}

/* Whether an arena still serves: a block out and back, the walk sound. */
static bool still_serves(struct buddy_arena *ba)
{
	void *p = buddy_arena_alloc(ba, 64, GFP_ATOMIC);

	return p && !buddy_arena_free(ba, p) && buddy_check(ba);
}

/*
 * Every allocation buddy_arena_create() makes fails in turn, for every
 * flag combination and for an order map large enough that kvzalloc()
 * takes it from vmalloc(): -ENOMEM each time, no WARN, nothing leaked,
 * until a create with no failure injected succeeds.
 */
static void test_fault_create(void)
{
	static const struct {
		size_t size;
		unsigned int min, max, flags;
	} shapes[] = {
		{ 3000, 6, 12, 0 },
		{ 3000, 6, 12, BUDDY_ARENA_GROW },
		{ 3000, 6, 12, BUDDY_ARENA_POISON },
		{ 3000, 6, 12, BUDDY_ARENA_GROW | BUDDY_ARENA_POISON },
		{ 1UL << 27, 4, 20, 0 },
	};
	unsigned long warns = ap_shim_nr_WARN;
	long live = ap_shim_live_allocs;
	struct buddy_arena *ba = NULL;
	unsigned int i, n;

	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		for (n = 0; ; n++) {
			inject_fault(n);
			ba = buddy_arena_create("fault", shapes[i].size,
						shapes[i].min, shapes[i].max,
						shapes[i].flags);
			ap_shim_fail_hook = NULL;
			if (!IS_ERR(ba))
				break;
			CHECK(PTR_ERR(ba) == -ENOMEM && n < fault_calls,
			      "shape %u, allocation %u failed: %ld", i, n,
			      PTR_ERR(ba));
			CHECK(ap_shim_live_allocs == live,
			      "shape %u, allocation %u failed: leaked %ld", i,
			      n, ap_shim_live_allocs - live);
		}
		CHECK(n >= 3 && fault_calls <= n,
		      "shape %u: survived failure %u of %u", i, n, fault_calls);
		CHECK(still_serves(ba), "shape %u", i);
		buddy_arena_destroy(ba);
		ba = NULL;
		CHECK(ap_shim_live_allocs == live, "shape %u: leaked %ld", i,
		      ap_shim_live_allocs - live);
	}
	CHECK(ap_shim_nr_WARN == warns, "%lu WARNs", ap_shim_nr_WARN - warns);
out:
	ap_shim_fail_hook = NULL;
	buddy_arena_destroy(ba);
}

/*
 * After a call that failed: the stats as in @before, as many allocations
 * as @live, and the arena still serving.
 */
static bool unchanged(struct buddy_arena *ba,
		      const struct buddy_arena_stats *before, long live)
{
	struct buddy_arena_stats after;

	buddy_arena_stats(ba, &after);
	if (memcmp(before, &after, sizeof(after))) {
		fprintf(stderr, "arena changed\n");
		return false;
	}
	if (ap_shim_live_allocs != live) {
		fprintf(stderr, "leaked %ld\n", ap_shim_live_allocs - live);
		return false;
	}
	return still_serves(ba);
}

/*
 * Every allocation of buddy_arena_add_region() and of growth fails in
 * turn: -ENOMEM or NULL, the arena exactly as it was (but for the failed
 * allocation counted), nothing leaked, and it goes on serving.
 */
static void test_fault_grow(void)
{
	struct buddy_arena_stats before;
	long live, live0 = ap_shim_live_allocs;
	struct buddy_arena *ba;
	unsigned int n;
	void *full = NULL, *p = NULL;
	int ret;

	ba = buddy_arena_create("fault", 4096, 6, 12, BUDDY_ARENA_GROW);
	CHECK(!IS_ERR(ba), "create");
	for (n = 0; ; n++) {
		buddy_arena_stats(ba, &before);
		live = ap_shim_live_allocs;
		inject_fault(n);
		ret = buddy_arena_add_region(ba, 3000);
		ap_shim_fail_hook = NULL;
		if (!ret)
			break;
		CHECK(ret == -ENOMEM && n < fault_calls, "add %u: %d", n, ret);
		CHECK(unchanged(ba, &before, live), "add %u", n);
	}
	CHECK(n >= 3 && fault_calls <= n && ba->nr_regions == 2,
	      "add survived failure %u of %u", n, fault_calls);

	/* Growth: the arena has no 4096-byte block left. */
	full = buddy_arena_alloc(ba, 4096, GFP_KERNEL);
	CHECK(full && ba->nr_regions == 2, "fill");
	for (n = 0; ; n++) {
		buddy_arena_stats(ba, &before);
		live = ap_shim_live_allocs;
		inject_fault(n);
		p = buddy_arena_alloc(ba, 4096, GFP_KERNEL);
		ap_shim_fail_hook = NULL;
		if (p)
			break;
		before.failures++;
		CHECK(n < fault_calls, "growth %u: no failure", n);
		CHECK(unchanged(ba, &before, live), "growth %u", n);
	}
	CHECK(n >= 3 && fault_calls <= n && ba->nr_regions == 3,
	      "growth survived failure %u of %u", n, fault_calls);
	CHECK(!buddy_arena_free(ba, p) && !buddy_arena_free(ba, full),
	      "free");
	p = NULL;
	full = NULL;
	ap_shim_run_work();
	CHECK(buddy_check(ba), "given back");
out:
	ap_shim_fail_hook = NULL;
	buddy_arena_free(ba, p);
	buddy_arena_free(ba, full);
	buddy_arena_destroy(ba);
	ap_shim_run_work();
	if (ap_shim_live_allocs != live0) {
		fprintf(stderr, "FAIL: fault_grow leaked %ld\n",
			ap_shim_live_allocs - live0);
		failed++;
	}
}

static void test_poison(void)
{
	struct buddy_arena_stats st;
	struct buddy_arena *ba;
	u8 *p, *q;

	ba = buddy_arena_create("poison", 4096, 6, 12, BUDDY_ARENA_POISON);
	CHECK(!IS_ERR(ba), "create");
	p = buddy_arena_alloc(ba, 100, GFP_KERNEL);
	CHECK(p && buddy_check(ba), "alloc");
	memset(p, 0, 100);
	CHECK(buddy_arena_free(ba, p) == 0 && buddy_check(ba), "free");
	ap_kasan_write_u8(&p[100], 0);	/* use after free */
	q = buddy_arena_alloc(ba, 2048, GFP_KERNEL);
	CHECK(!q, "poisoned block handed out");
	CHECK(ba->invalid_frees == 1 && ba->failures == 1, "counted");
	CHECK(buddy_check(ba), "repaired");
	q = buddy_arena_alloc(ba, 2048, GFP_KERNEL);
	CHECK(q, "repaired block");
	CHECK(buddy_arena_free(ba, q) == 0 && buddy_check(ba), "free");
	buddy_arena_stats(ba, &st);
	CHECK(st.free_bytes == 4096 && ba->orders[12].nr_free == 1, "merged");
out:
	buddy_arena_destroy(ba);
}

static void test_canary(void)
{
	struct buddy_arena *ba;
	u8 *p;
	u32 saved;

	ba = buddy_arena_create("canary", 4096, 4, 12, 0);
	CHECK(!IS_ERR(ba), "create");
	p = buddy_arena_alloc(ba, 16, GFP_KERNEL);
	CHECK(p, "alloc");
	saved = *ba->regions[0]->canary_tail;
	*ba->regions[0]->canary_tail = 0;
	CHECK(buddy_arena_free(ba, p) == -EINVAL, "smashed canary accepted");
	*ba->regions[0]->canary_tail = saved;
	ba->regions[0]->canary_head = 1;
	CHECK(buddy_arena_free(ba, p) == -EINVAL, "smashed canary accepted");
	ba->regions[0]->canary_head = BA_CANARY;
	CHECK(ba->invalid_frees == 2 && buddy_check(ba), "unchanged");
	CHECK(buddy_arena_free(ba, p) == 0, "free after repair");
out:
	buddy_arena_destroy(ba);
}

/*
 * A free block whose links were written over is never followed: taking it
 * cuts its list off (the allocation fails), counted in corruptions and
 * reported once, and nothing is written through the bad link.  The block
 * is held from then on: never merged and never handed out again, while the
 * rest of the arena goes on serving.
 */
static void test_free_list_damage(void)
{
	struct list_head decoy = { &decoy, &decoy };
	unsigned long err = ap_shim_nr_err;
	struct buddy_arena_stats st;
	struct buddy_arena *ba;
	struct ba_link *victim;
	void *blocks[256];
	unsigned int n, i;
	u8 *p;

	ba = buddy_arena_create("damage", 4096, 4, 12, 0);
	CHECK(!IS_ERR(ba), "create");
	/* The free lists alone, as in an arena whose caches are drained. */
	ba->pcp_end = ba->min_order;
	ba->pcp_live_end = BA_LIVE_HEAD + ba->pcp_end;
	p = buddy_arena_alloc(ba, 16, GFP_KERNEL);
	CHECK(p, "alloc");
	victim = (struct ba_link *)(p + 16);
	CHECK(next_of(&ba->orders[4].head, ba->orders[4].key) == victim,
	      "buddy listed");
	/* Pointer-like data: an address the arena could write through. */
	ap_kasan_write_ulong(&victim->next, (unsigned long)&decoy);
	CHECK(!buddy_arena_alloc(ba, 16, GFP_KERNEL), "damaged block taken");
	CHECK(ba->corruptions == 1 && ba->failures == 1 &&
	      ba->invalid_frees == 1, "counted");
	CHECK(ba->orders[4].nr_free == 0 && ba->held_units == 1, "cut off");
	CHECK(buddy_arena_free(ba, p) == 0, "free next to damage");
	CHECK(ba->orders[4].nr_free == 1 && ba->corruptions == 1,
	      "merged with it");
	CHECK(decoy.next == &decoy && decoy.prev == &decoy, "decoy written");
	CHECK(ap_shim_nr_err == err + 1, "reported %lu times",
	      ap_shim_nr_err - err);
	CHECK(buddy_check(ba), "invariant after the cut");
	buddy_arena_stats(ba, &st);
	CHECK(st.free_bytes == 4096 - 16 && st.allocated_bytes == 16 &&
	      st.requested_bytes == 0 && st.corruptions == 1,
	      "stats: free %zu allocated %zu requested %zu", st.free_bytes,
	      st.allocated_bytes, st.requested_bytes);
	/* Everything else is served; the cut-off block never comes back. */
	for (n = 0; n < ARRAY_SIZE(blocks); n++) {
		blocks[n] = buddy_arena_alloc(ba, 16, GFP_ATOMIC);
		if (!blocks[n])
			break;
		CHECK(blocks[n] != (void *)victim, "cut-off block handed out");
	}
	CHECK(n == 255, "%u blocks served", n);
	for (i = 0; i < n; i++)
		CHECK(!buddy_arena_free(ba, blocks[i]), "free %u", i);
	CHECK(buddy_check(ba) && ba->corruptions == 1, "drained");
	buddy_arena_stats(ba, &st);
	CHECK(st.free_bytes == 4096 - 16 && !st.free_blocks[12], "layout");
out:
	buddy_arena_destroy(ba);
}

static void test_debugfs(void)
{
	static const char free_blocks_line[] =
		"free_blocks: 0 0 0 0 0 0 1 1 1 1 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
	struct seq_file m = { 0 };
	struct buddy_arena *ba;
	struct ap_row row = { 0 };
	void *p;

	ba = buddy_arena_create("dbg", 4096 + 1024, 6, 12, 0);
	CHECK(!IS_ERR(ba), "create");
	/*
	 * The refill splits the 1 KiB block in 16: one handed out, 15 in this
	 * CPU's cache, which the stats drain first: the file shows the merged
	 * arena.
	 */
	p = buddy_arena_alloc(ba, 64, GFP_KERNEL);
	buddy_stats_show(&m, &ba->ap);
	CHECK(strstr(m.buf, "size: 5120\n") &&
	      strstr(m.buf, "allocated_bytes: 64\n") &&
	      strstr(m.buf, free_blocks_line) &&
	      strstr(m.buf, "frag_index: -1000\n") &&
	      strstr(m.buf, "invalid_frees: 0\ncorruptions: 0\n"), "stats:\n%s",
	      m.buf);
	free(m.buf);
	memset(&m, 0, sizeof(m));
	buddy_orders_show(&m, &ba->ap);
	CHECK(strstr(m.buf, "order block_size free_blocks\n") &&
	      strstr(m.buf, "   12       4096           1\n"), "orders:\n%s",
	      m.buf);
	buddy_row(&ba->ap, &row);
	CHECK(row.size == 5120 && row.used == 64 && row.allocs == 1, "row");
	buddy_arena_free(ba, p);
out:
	free(m.buf);
	buddy_arena_destroy(ba);
}

static const struct shape shapes[] = {
	{ 1 << 16, 4, 16, 0, 150000 },
	{ 100000, 4, 12, 0, 150000 },
	{ 3 * 4096 + 48, 4, 8, 0, 100000 },
	{ 1 << 20, 6, 14, BUDDY_ARENA_POISON, 100000 },
	{ 777777, 8, 18, 0, 100000 },
	{ 40000, 5, 10, BUDDY_ARENA_GROW, 150000 },
	{ 5 << 20, 12, 20, 0, 100000 },
	{ 123456, 7, 7, 0, 50000 },
	{ 99999, 9, 16, BUDDY_ARENA_GROW | BUDDY_ARENA_POISON, 100000 },
};

int main(int argc, char **argv)
{
	const char *env = getenv("BUDDY_SEED");
	unsigned long ops = 0;
	unsigned int i;

	seed = argc > 1 ? strtoull(argv[1], NULL, 0) :
	       env ? strtoull(env, NULL, 0) : 20261121;
	printf("buddy_model: seed %llu\n", seed);
	rng = seed ? seed : 1;
	ap_shim_quiet = 2;

	test_args();
	test_fault_create();
	test_fault_grow();
	test_growth();
	test_poison();
	test_canary();
	test_free_list_damage();
	test_debugfs();
	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		run_shape(&shapes[i]);
		ops += shapes[i].ops;
	}
	printf("buddy_model: %lu random operations over %zu shapes, %lu failures\n",
	       ops, ARRAY_SIZE(shapes), failed);
	return failed ? 1 : 0;
}
