// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized model test of the BGET-style pool in userspace.
 *
 * bget_pool.c is included so the test can look at its blocks.  Every phase
 * runs random alloc/zalloc/realloc/free against a model that remembers each
 * live buffer's size and fill pattern; after every operation (every Nth on
 * the big pools) bget_pool_validate() must hold.  It checks contents,
 * non-overlap, that best fit returns a block of the smallest fitting size
 * (against a brute-force scan of the blocks), that a failed request had no fitting free
 * block, that refused frees leave the statistics untouched, and that
 * nothing leaks.  The hot block (a merged block bget_free() keeps off its
 * bin) is checked after every operation, and the unpoisoned phases that
 * validate seldom (validation puts it back on its bin) must have merged
 * frees into it and carved allocations from it, under the same fit check.
 *
 *   bget_model [seed]        (or BGET_SEED=...; default: time based)
 */
#include "../../../bget_pool.c"

#include <time.h>

#define MAX_LIVE	600

struct slot {
	unsigned char *p;
	size_t size;
	unsigned int tag;
};

static struct slot live[MAX_LIVE];
static unsigned int nlive;
static u64 rng_state;
static unsigned long ops_done;
static struct bget_pool *cur_pool;
static unsigned int busy_slot = ~0u;	/* being reallocated: compact must not free it */
static unsigned long compact_calls, compact_seq_errors;
static int last_seq;
static bool fail_acquire;
static unsigned long hot_allocs, hot_merges;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s:%d after %lu ops: %s: ",	\
			__FILE__, __LINE__, ops_done, #cond);		\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		ap_shim_quiet = 0;					\
		if (cur_pool)						\
			bget_pool_validate(cur_pool);			\
		exit(1);						\
	}								\
} while (0)

static u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static size_t rnd_size(size_t max)
{
	unsigned int r = rnd() % 100;
	size_t s;

	if (r < 60)
		s = 1 + rnd() % 256;
	else if (r < 90)
		s = 1 + rnd() % 4096;
	else
		s = 1 + rnd() % 65536;
	return s > max ? 1 + rnd() % max : s;
}

static unsigned char pat(unsigned int tag, size_t i)
{
	return (unsigned char)(tag * 131 + i * 7 + (i >> 8));
}

static void fill(struct slot *s)
{
	size_t i;

	for (i = 0; i < s->size; i++)
		s->p[i] = pat(s->tag, i);
}

static void verify(const struct slot *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < s->size; i++)
		CHECK(s->p[i] == pat(s->tag, i), "byte %zu of a %zu-byte buffer", i, s->size);
}

/* ---- brute force over the blocks ---- */

/* Every free block of the smallest size >= need; returns that size or 0. */
#define MAX_CANDS	4096
static struct bget_hdr *cands[MAX_CANDS];
static unsigned int ncands;

static size_t brute_best(struct bget_pool *bp, size_t need)
{
	size_t best = 0;
	struct bget_hdr *h;
	struct rb_node *n;

	ncands = 0;
	for (n = rb_first(&bp->regions); n; n = rb_next(n)) {
		struct bget_region *r = rb_entry(n, struct bget_region, node);

		for (h = reg_first(r); h < reg_end(r); h = next_blk(h)) {
			/* Under ASan: what the pool keeps is poisoned. */
			CHECK(ap_shim_kasan_freed(h), "a header is not poisoned");
			CHECK(!blk_free(h) ||
			      ap_shim_kasan_freed((char *)next_blk(h) - 1),
			      "a free block is not poisoned to its end");
			if (!blk_free(h) || blk_size(h) < need)
				continue;
			if (!best || blk_size(h) < best) {
				best = blk_size(h);
				ncands = 0;
			}
			if (blk_size(h) == best) {
				CHECK(ncands < MAX_CANDS, "too many candidates");
				cands[ncands++] = h;
			}
		}
		CHECK(ap_shim_kasan_freed(reg_end(r)), "a sentinel is not poisoned");
	}
	return best;
}

/*
 * The block @p was carved from: blocks split from their high end, and
 * free blocks are never adjacent, so it starts at the free block just
 * below p's (if any) and spans both.
 */
static bool taken_from_candidate(void *p, size_t esize)
{
	struct bget_hdr *a = (struct bget_hdr *)p - 1;
	struct bget_hdr *from = blk_below(a, hdr_prevfree(a));
	unsigned int i;

	if (hdr_prevfree(a) + blk_size(a) != esize)
		return false;
	for (i = 0; i < ncands; i++)
		if (cands[i] == from)
			return true;
	return false;
}

/*
 * Under ASan (the hooks of allocpools_kasan.h): are @p's @size bytes the
 * client's, and the byte after them not when its block has more room?
 */
static bool shadow_live(void *p, size_t size)
{
	size_t room = blk_size((struct bget_hdr *)p - 1) - BGET_HDR;

	return ap_shim_kasan_live(p, size, room > size);
}

/*
 * Is freed @p poisoned?  Only asked while its region is still the pool's:
 * a region that goes (a direct block, an expansion block left empty) is
 * unpoisoned before it is released.
 */
static bool shadow_freed(struct bget_pool *bp, void *p)
{
	unsigned long flags;
	bool kept;

	raw_spin_lock_irqsave(&bp->lock, flags);
	kept = region_find_locked(bp, p);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return !kept || ap_shim_kasan_freed(p);
}

static unsigned long pool_live(struct bget_pool *bp)
{
	unsigned long flags, v;

	raw_spin_lock_irqsave(&bp->lock, flags);
	v = live_locked(bp);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return v;
}

static unsigned long pool_nfree(struct bget_pool *bp)
{
	unsigned long flags, v;

	raw_spin_lock_irqsave(&bp->lock, flags);
	v = count_free_locked(bp);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return v;
}

/* ---- callbacks ---- */

static int model_compact(struct bget_pool *bp, size_t sizereq, int seq)
{
	unsigned int i;

	compact_calls++;
	/* 1 starts a request; each retry of the same request adds one. */
	if (seq != 1 && seq != last_seq + 1)
		compact_seq_errors++;
	last_seq = seq;
	if (seq > 4 || !nlive)
		return 0;
	/* Free a few buffers, as a cache shrinker would. */
	for (i = 0; i < 3 && nlive; i++) {
		unsigned int k = rnd() % nlive;

		if (k == busy_slot)
			continue;
		verify(&live[k], live[k].size);
		CHECK(bget_free(bp, live[k].p) == 0, "free from compact");
		live[k] = live[--nlive];
		if (busy_slot == nlive)
			busy_slot = k;
	}
	return 1;
}

static void *model_acquire(struct bget_pool *bp, size_t size, gfp_t gfp)
{
	if (fail_acquire && rnd() % 4 == 0)
		return NULL;
	return bget_vmalloc_ops.acquire(bp, size, gfp);
}

static void model_release(struct bget_pool *bp, void *buf)
{
	bget_vmalloc_ops.release(bp, buf);
}

static const struct bget_ops model_ops = {
	.compact = model_compact,
	.acquire = model_acquire,
	.release = model_release,
};

/* ---- bad frees ---- */

static void expect_refused(struct bget_pool *bp, void *p, const char *what,
			   bool intact)
{
	struct bget_stats before, after;
	unsigned long errs = ap_shim_nr_err;
	int ret;

	bget_pool_stats(bp, &before);
	ret = bget_free(bp, p);
	bget_pool_stats(bp, &after);
	CHECK(ret == -EINVAL, "%s: returned %d", what, ret);
	CHECK(ap_shim_nr_err == errs + 1, "%s: %lu reports", what, ap_shim_nr_err - errs);
	before.invalid_frees++;
	CHECK(!memcmp(&before, &after, sizeof(before)), "%s: stats changed", what);
	if (intact)
		CHECK(bget_pool_validate(bp), "%s: pool broken", what);
}

static void bad_frees(struct bget_pool *bp)
{
	static unsigned char foreign[256] __aligned(16);
	struct bget_hdr saved, *h;
	struct slot *s;
	void *p;

	expect_refused(bp, foreign + 16, "foreign pointer", true);
	if (!nlive)
		return;
	s = &live[rnd() % nlive];
	expect_refused(bp, s->p + 16, "interior pointer", true);
	expect_refused(bp, s->p + 1, "misaligned pointer", true);
	h = (struct bget_hdr *)s->p - 1;
	ap_kasan_copy_out(&saved, h, sizeof(saved));
	ap_kasan_write_u32(&h->info, hdr_info(h) ^ 0x10);
	expect_refused(bp, s->p, "smashed header", false);
	CHECK(!bget_pool_validate(bp), "validate missed a smashed header");
	ap_kasan_copy_in(h, &saved, sizeof(saved));
	CHECK(bget_pool_validate(bp), "restored header");
	/* A double free: free a fresh buffer twice. */
	p = bget_alloc(bp, 1 + rnd() % 100, GFP_KERNEL);
	if (p) {
		CHECK(bget_free(bp, p) == 0, "first free");
		expect_refused(bp, p, "double free", true);
	}
	CHECK(bget_free(bp, NULL) == 0, "free(NULL)");
	/* A second free of a block still in this CPU's cache. */
	p = bget_alloc(bp, 1 + rnd() % 100, GFP_KERNEL);
	if (p && bp->pcp &&
	    off_quanta((unsigned long)p - bp->pcp_lo) < bp->pcp_q) {
		unsigned long errs = ap_shim_nr_err;
		u64 inv = bp->invalid_frees;

		CHECK(bget_free(bp, p) == 0, "first free");
		CHECK(pcp_claimed(bp, p), "a freed small block not cached");
		CHECK(bget_free(bp, p) == -EINVAL, "second free of a cached block");
		CHECK(!bget_realloc(bp, p, 10, GFP_KERNEL),
		      "realloc of a cached block");
		CHECK(bp->invalid_frees == inv + 2 && ap_shim_nr_err == errs + 2,
		      "cached double free: %llu refused, %lu reports",
		      bp->invalid_frees - inv, ap_shim_nr_err - errs);
	} else if (p) {
		CHECK(bget_free(bp, p) == 0, "free");
	}
}

/* ---- one phase ---- */

struct phase {
	const char *name;
	size_t pool_size;
	unsigned int flags;
	bool callbacks;
	bool fail_acquire;
	bool added_buffers;
	unsigned long ops;
	unsigned int validate_every;
	unsigned int max_live;
	size_t max_size;
	size_t pool_incr;
	bool fifo;		/* free the oldest buffer, not a random one */
};

/*
 * The hot block, if any: a free block of @hot_size, its boundary tag
 * agreeing, off its bin (whose other blocks the validation checks).
 */
static void check_hot(struct bget_pool *bp)
{
	struct bget_hdr *h = bp->hot;

	CHECK(!h == !bp->hot_size, "hot block %p of %zu bytes", h, bp->hot_size);
	if (!h)
		return;
	CHECK(hdr_ok(h) && hdr_info(h) == free_info(bp->hot_size) &&
	      bp->hot_size >= BGET_MIN_BLOCK && bp->hot_size < BGET_LARGE,
	      "hot block header");
	CHECK(hdr_prevfree(blk_at(h, bp->hot_size)) == bp->hot_size,
	      "hot block's boundary tag");
	CHECK(!blk_free(blk_at(h, bp->hot_size)), "hot block's upper neighbour free");
	CHECK(bp->bins[size_bin(bp->hot_size)] != blk_links(h),
	      "hot block on its bin");
}

static void do_alloc(struct bget_pool *bp, const struct phase *ph, bool zero)
{
	size_t size = rnd_size(ph->max_size), need;
	unsigned char *hot = (unsigned char *)bp->hot;
	size_t esize = 0, hot_size = bp->hot_size;
	struct slot *s;
	void *p;

	block_size_for(size, &need);
	if (!ph->callbacks)
		esize = brute_best(bp, need);
	p = zero ? bget_zalloc(bp, size, GFP_KERNEL) : bget_alloc(bp, size, GFP_KERNEL);
	if (!p) {
		CHECK(ph->callbacks || !esize,
		      "alloc of %zu failed with a %zu-byte free block", size,
		      esize);
		return;
	}
	CHECK(IS_ALIGNED((unsigned long)p, BGET_QUANTUM), "misaligned buffer");
	if (!ph->callbacks)
		CHECK(esize, "allocated without a fitting block");
	/*
	 * Carved from one of the free blocks of the smallest size: best fit's
	 * contract, and what first fit's search in size order gives too.
	 */
	/*
	 * With the per-CPU front a cached block of exactly the block size
	 * counts as free: it is a smallest fitting block.
	 */
	if (!ph->callbacks && !(bp->pcp && blk_size((struct bget_hdr *)p - 1) == need))
		CHECK(taken_from_candidate(p, esize),
		      "best fit for %zu bytes did not take a block of the smallest size (%zu)",
		      need, esize);
	hot_allocs += (unsigned char *)p > hot &&
		      (unsigned char *)p < hot + hot_size;
	s = &live[nlive++];
	s->p = p;
	s->size = size;
	s->tag = rnd();
	if (zero)
		CHECK(!memchr_inv(p, 0, size), "zalloc not zeroed");
	CHECK(shadow_live(p, size), "%zu bytes handed out, not as many unpoisoned",
	      size);
	fill(s);
}

static void do_free(struct bget_pool *bp, bool fifo)
{
	unsigned int k = fifo ? 0 : rnd() % nlive;

	struct bget_hdr *h = (struct bget_hdr *)live[k].p - 1;
	struct bget_hdr *hot = bp->hot, *above = next_blk(h);

	verify(&live[k], live[k].size);
	CHECK(bget_free(bp, live[k].p) == 0, "free");
	CHECK(shadow_freed(bp, live[k].p), "freed buffer not poisoned");
	hot_merges += hot && hot == above && bp->hot == h;
	if (fifo)
		memmove(live, live + 1, --nlive * sizeof(live[0]));
	else
		live[k] = live[--nlive];
}

static void do_realloc(struct bget_pool *bp, const struct phase *ph)
{
	unsigned int k = rnd() % nlive;
	size_t size = rnd_size(ph->max_size);
	struct slot *s = &live[k];
	unsigned char *p;

	busy_slot = k;
	p = bget_realloc(bp, live[k].p, size, GFP_KERNEL);
	s = &live[busy_slot];
	busy_slot = ~0u;
	if (!p) {
		verify(s, s->size);
		return;
	}
	CHECK(IS_ALIGNED((unsigned long)p, BGET_QUANTUM), "misaligned buffer");
	s->p = p;
	verify(s, min(size, s->size));
	CHECK(shadow_live(p, size), "reallocated to %zu bytes, not as many unpoisoned",
	      size);
	s->size = size;
	fill(s);
}

static int cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return x->p < y->p ? -1 : x->p > y->p;
}

static void check_overlap(void)
{
	struct slot sorted[MAX_LIVE];
	unsigned int i;

	memcpy(sorted, live, nlive * sizeof(live[0]));
	qsort(sorted, nlive, sizeof(sorted[0]), cmp_slot);
	for (i = 1; i < nlive; i++)
		CHECK(sorted[i - 1].p + sorted[i - 1].size <= sorted[i].p,
		      "buffers overlap");
}

static void check_stats(struct bget_pool *bp)
{
	struct bget_stats st;

	bget_pool_stats(bp, &st);
	CHECK(st.nget - st.nrel == (long)nlive, "nget %ld nrel %ld live %u",
	      st.nget, st.nrel, nlive);
	CHECK(pool_live(bp) == nlive, "live %lu model %u", pool_live(bp), nlive);
	CHECK(st.corruptions == 0, "%llu corruptions", st.corruptions);
}

static void run_phase(const struct phase *ph)
{
	static unsigned char added[2][100000];
	struct bget_pool *bp;
	unsigned long i;
	struct bget_stats st;
	clock_t t0 = clock();

	bp = bget_pool_create("model", ph->pool_size, ph->flags);
	CHECK(!IS_ERR(bp), "create %s", ph->name);
	cur_pool = bp;
	if (ph->added_buffers) {
		CHECK(bget_pool_add(bp, added[0] + 3, sizeof(added[0]) - 3) == 0, "add");
		CHECK(bget_pool_add(bp, added[1], sizeof(added[1])) == 0, "add");
		CHECK(bget_pool_add(bp, added[1] + 10, 1000) == -EINVAL, "overlapping add");
	}
	if (ph->callbacks)
		CHECK(bget_pool_ctl(bp, &model_ops, ph->pool_incr) == 0, "ctl");
	fail_acquire = ph->fail_acquire;
	hot_allocs = 0;
	hot_merges = 0;
	CHECK(bget_pool_validate(bp), "fresh pool");

	for (i = 0; i < ph->ops; i++, ops_done++) {
		unsigned int r = rnd() % 100;

		last_seq = 0;
		/* The per-CPU front: blocks move between the fake CPUs' caches. */
		if (ph->flags & BGET_PERCPU)
			ap_shim_cpu = rnd() % AP_SHIM_NR_CPUS;
		if (nlive < ph->max_live && (r < 40 || !nlive))
			do_alloc(bp, ph, false);
		else if (nlive < ph->max_live && r < 47)
			do_alloc(bp, ph, true);
		else if (r < 65)
			do_realloc(bp, ph);
		else
			do_free(bp, ph->fifo);
		check_hot(bp);
		if (!(i % ph->validate_every))
			CHECK(bget_pool_validate(bp), "validate in %s", ph->name);
		/* The workqueue: vfree()s what bget_vmalloc_ops released. */
		if (!(i % 64))
			ap_shim_run_work();
		if (!(i % 2000)) {
			check_overlap();
			check_stats(bp);
			bad_frees(bp);
		}
	}
	CHECK(bget_pool_validate(bp), "validate at end of %s", ph->name);
	check_overlap();
	check_stats(bp);
	while (nlive)
		do_free(bp, ph->fifo);
	bget_pool_stats(bp, &st);
	CHECK(bget_pool_validate(bp), "empty pool");
	CHECK(st.curalloc == 0, "curalloc %zu after freeing all", st.curalloc);
	CHECK(st.ndget == st.ndrel, "direct blocks kept");
	if (ph->callbacks)
		CHECK(st.npget == st.nprel, "expansion blocks kept: %ld/%ld",
		      st.npget, st.nprel);
	printf("  %-24s %6.1fs %7lu ops: nget %ld failures %llu invalid_frees %llu\n",
	       ph->name, (double)(clock() - t0) / CLOCKS_PER_SEC, ph->ops,
	       st.nget, st.failures, st.invalid_frees);
	printf("  %-24s npget %ld nprel %ld ndget %ld ndrel %ld compact calls %lu\n",
	       "", st.npget, st.nprel, st.ndget, st.ndrel, compact_calls);
	printf("  %-24s hot block: %lu allocations, %lu merges\n", "",
	       hot_allocs, hot_merges);
	if (!(ph->flags & (BGET_POISON | BGET_PERCPU)) && ph->validate_every > 1)
		CHECK(hot_allocs && hot_merges,
		      "%s never used the hot block: %lu allocations, %lu merges",
		      ph->name, hot_allocs, hot_merges);
	CHECK(compact_seq_errors == 0, "compact sequence numbers out of order");
	bget_pool_destroy(bp);
	ap_shim_cpu = 0;
	cur_pool = NULL;
}

/* Coalescing: free everything in random order, one block must remain. */
static void check_full_coalesce(unsigned int flags)
{
	struct bget_pool *bp = bget_pool_create("coalesce", 65536, flags);
	struct bget_stats st0, st;
	void *p[64];
	unsigned int i, n = 0;

	CHECK(!IS_ERR(bp), "create");
	cur_pool = bp;
	bget_pool_stats(bp, &st0);
	while (n < 64 && (p[n] = bget_alloc(bp, 1 + rnd() % 900, GFP_KERNEL)))
		n++;
	for (i = n; i > 1; i--) {
		unsigned int k = rnd() % i;
		void *t = p[k];

		p[k] = p[i - 1];
		p[i - 1] = t;
	}
	for (i = 0; i < n; i++) {
		CHECK(bget_free(bp, p[i]) == 0, "free");
		CHECK(bget_pool_validate(bp), "validate");
	}
	bget_pool_stats(bp, &st);
	CHECK(pool_nfree(bp) == 1 && st.maxfree == st0.maxfree,
	      "%lu free blocks after freeing everything", pool_nfree(bp));
	bget_pool_destroy(bp);
	cur_pool = NULL;
}

int main(int argc, char **argv)
{
	const char *env = getenv("BGET_SEED");
	u64 seed = argc > 1 ? strtoull(argv[1], NULL, 0) :
		   env ? strtoull(env, NULL, 0) : (u64)time(NULL);
	static const struct phase phases[] = {
		{ "first fit", 256 << 10, 0, false, false, false,
		  150000, 1, 120, 65536 },
		{ "best fit", 256 << 10, BGET_BEST_FIT, false, false, false,
		  150000, 1, 120, 65536 },
		{ "first fit poison", 64 << 10, BGET_POISON, false, false, true,
		  100000, 10, 60, 8192 },
		{ "best fit poison", 64 << 10, BGET_BEST_FIT | BGET_POISON,
		  false, false, true, 100000, 10, 60, 8192 },
		{ "first fit callbacks", 0, 0, true, false, false,
		  150000, 1, 60, 65536, 256 << 10 },
		{ "best fit callbacks", 0, BGET_BEST_FIT, true, true, false,
		  150000, 1, 60, 65536, 32 << 10 },
		{ "first fit big", 4 << 20, 0, false, false, false,
		  100000, 97, 600, 65536 },
		{ "best fit big", 4 << 20, BGET_BEST_FIT, false, false, false,
		  100000, 97, 600, 4096 },
		{ "first fit fifo", 1 << 20, 0, false, false, false,
		  100000, 97, 600, 1024, 0, true },
		{ "best fit fifo", 1 << 20, BGET_BEST_FIT, false, false, false,
		  100000, 97, 600, 1024, 0, true },
		{ "best fit big callbacks", 1 << 20, BGET_BEST_FIT | BGET_POISON,
		  true, true, false, 100000, 97, 600, 65536, 128 << 10 },
		{ "first fit percpu", 256 << 10, BGET_PERCPU, false, false,
		  false, 150000, 13, 120, 700 },
		{ "best fit percpu", 256 << 10, BGET_BEST_FIT | BGET_PERCPU,
		  false, false, true, 150000, 1, 120, 2000 },
		{ "percpu callbacks", 64 << 10, BGET_PERCPU, true, false,
		  false, 150000, 29, 120, 4000, 32 << 10 },
		{ "percpu poison", 64 << 10, BGET_PERCPU | BGET_POISON, false,
		  false, false, 50000, 29, 60, 600 },
	};
	unsigned long total = 0;
	unsigned int i;

	printf("bget_model: seed %llu\n", (unsigned long long)seed);
	ap_shim_quiet = 2;
	fflush(stdout);
	rng_state = seed ? seed : 1;
	for (i = 0; i < 12; i++)
		check_full_coalesce(i % 3 == 2 ? BGET_PERCPU :
				    i & 1 ? BGET_BEST_FIT : BGET_POISON);
	for (i = 0; i < ARRAY_SIZE(phases); i++) {
		run_phase(&phases[i]);
		total += phases[i].ops;
	}
	CHECK(ap_shim_live_allocs == 0, "%ld allocations leaked", ap_shim_live_allocs);
	CHECK(ap_shim_nr_WARN == 0, "WARN fired");
	printf("bget_model: PASS, %lu random ops, seed %llu\n", total,
	       (unsigned long long)seed);
	return 0;
}
