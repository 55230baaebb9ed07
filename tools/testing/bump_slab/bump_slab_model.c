// SPDX-License-Identifier: GPL-2.0
/*
 * bump_slab_model.c - randomized model test of bump_slab.c in userspace.
 *
 * Runs a seeded random sequence of allocations, frees and bad frees in five
 * configurations (heap and buddy mode, each with and without poisoning,
 * and heap mode from a thread hopping between fake CPUs).
 * Heap mode is checked against an exact model of the freeing-bump design
 * (per-class LIFO stacks of offsets and a bump pointer: every returned
 * address is predicted).  Both modes check object contents (fill patterns),
 * non-overlap of live objects (a sorted interval set, headers included),
 * bump_slab_size(), the pool's invariant walker, that every refused free is
 * counted once and leaves the stats unchanged, that every object found
 * damaged (poison) counts as a corruption, and at the end that the
 * buddy arena is entirely free again and nothing leaked.
 *
 *   bump_slab_model [seed [ops-per-config]]    or BUMP_SLAB_SEED=...
 *   BUMP_SLAB_CONFIGS=<mask> runs only the configurations in the mask
 *   (bit 0 heap, 1 heap+poison, 2 buddy, 3 buddy+grow+poison, 4 heap+cpus,
 *   5 buddy+pcp+cpus, 6 buddy+grow+pcp+cpus: BUMP_SLAB_PERCPU's front on
 *   fake CPUs, where every stats call drains the caches, and a second free
 *   is sometimes tried while the object is cached).
 */
#include "../../../bump_slab.c"

#include <inttypes.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIVE	4096
#define MAX_SIZE	SZ_1M

static u64 rng;

static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		exit(1);						\
	}								\
} while (0)

struct obj {
	u8 *p;
	size_t size;
	unsigned int cls;
	u32 tag;
};

/*
 * Live objects, in the order the random choices see them (never by
 * address, so a seed replays the same operations in every build), and
 * their spans, header included, sorted by address for the overlap check.
 */
static struct obj live[MAX_LIVE];
static size_t nlive;

struct span {
	u8 *lo, *hi;
};

static struct span spans[MAX_LIVE];

static u8 pat(u32 tag, size_t i)
{
	return (u8)(tag ^ (i * 131) ^ (i >> 9));
}

/* Every byte of a small object; ends and a word per 4 KiB of a big one. */
static size_t next_checked(size_t i, size_t size)
{
	if (size <= 4096 || i < 512 || i >= size - 512 || i % 4096 < 7)
		return i + 1;
	return min(size - 512, (i | 4095) + 1);
}

static void fill(struct obj *o)
{
	size_t i;

	for (i = 0; i < o->size; i = next_checked(i, o->size))
		o->p[i] = pat(o->tag, i);
}

static void check_fill(const struct obj *o)
{
	size_t i;

	for (i = 0; i < o->size; i = next_checked(i, o->size))
		CHECK(o->p[i] == pat(o->tag, i), "object of %zu bytes changed at %zu",
		      o->size, i);
}

static size_t find_pos(const u8 *lo)
{
	size_t l = 0, h = nlive;

	while (l < h) {
		size_t mid = (l + h) / 2;

		if (spans[mid].lo < lo)
			l = mid + 1;
		else
			h = mid;
	}
	return l;
}

static struct buddy_arena *ba;

static void describe(const char *what, const u8 *p)
{
	unsigned long page = (unsigned long)p & PAGE_MASK;

	fprintf(stderr, "%s: header at %p, page offset %lu, class %u", what,
		p, (unsigned long)p - page, p[0]);
	if (ba)
		fprintf(stderr, ", block %zu, slab class %u nr %u",
			buddy_arena_block_size(ba, (void *)page),
			((struct bs_slab *)page)->cls,
			((struct bs_slab *)page)->nr);
	fprintf(stderr, "\n");
}

static void overlap(const u8 *lo, const struct span *old)
{
	describe("new object", lo);
	describe("live object", old->lo);
	CHECK(0, "two live objects share bytes");
}

static void insert_live(struct obj *o)
{
	u8 *lo = o->p - BS_HDR, *hi = o->p + cls_size(o->cls);
	size_t i = find_pos(lo);

	CHECK(nlive < MAX_LIVE, "too many live");
	if (i > 0 && spans[i - 1].hi > lo)
		overlap(lo, &spans[i - 1]);
	if (i < nlive && hi > spans[i].lo)
		overlap(lo, &spans[i]);
	memmove(&spans[i + 1], &spans[i], (nlive - i) * sizeof(spans[0]));
	spans[i].lo = lo;
	spans[i].hi = hi;
	live[nlive++] = *o;
}

static struct obj remove_live(size_t i)
{
	struct obj o = live[i];
	size_t j = find_pos(o.p - BS_HDR);

	CHECK(j < nlive && spans[j].lo == o.p - BS_HDR, "span lost");
	memmove(&spans[j], &spans[j + 1], (nlive - j - 1) * sizeof(spans[0]));
	live[i] = live[--nlive];
	return o;
}

/* The exact heap-mode model: per-class stacks of header offsets. */
struct model {
	size_t *stack[BUMP_SLAB_CLASSES];
	size_t depth[BUMP_SLAB_CLASSES], cap[BUMP_SLAB_CLASSES];
	bool *smashed[BUMP_SLAB_CLASSES];	/* poison broken on purpose */
	size_t bump;
};

static struct model m;

static void model_push(unsigned int c, size_t off, bool smashed)
{
	if (m.depth[c] == m.cap[c]) {
		m.cap[c] = m.cap[c] ? 2 * m.cap[c] : 64;
		m.stack[c] = realloc(m.stack[c], m.cap[c] * sizeof(size_t));
		m.smashed[c] = realloc(m.smashed[c], m.cap[c] * sizeof(bool));
		CHECK(m.stack[c] && m.smashed[c], "oom");
	}
	m.stack[c][m.depth[c]] = off;
	m.smashed[c][m.depth[c]++] = smashed;
}

static void model_reset(void)
{
	unsigned int c;

	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		free(m.stack[c]);
		free(m.smashed[c]);
	}
	memset(&m, 0, sizeof(m));
}

struct config {
	const char *name;
	bool buddy, grow;
	unsigned int flags;
	bool cpus;	/* hop between fake CPUs: any free object may come back */
};

static bool hop;
/*
 * The hopping model expects a free object whenever the class has one
 * anywhere: so it is while an allocation may look at every other CPU's
 * cache (bump_slab.c's rule; bump_slab_context tests it on 64 CPUs).
 */
static_assert(AP_SHIM_NR_CPUS - 1 <= BS_STEAL_TRIES);

static struct bump_slab *bs, *other;
static u64 expect_invalid;
static unsigned long nr_allocs, nr_nulls, nr_frees, nr_bad, nr_quarantined;
static unsigned long nr_cached_twice;

/*
 * With per-CPU caches and a thread that hops between CPUs, an allocation
 * may return any free object of its class, but it must return one while
 * the class has one, and bump only when it has none.
 */
static u8 *model_take(unsigned int c, u8 *got)
{
	size_t i;
	u8 *expect = NULL;

	if (!m.depth[c]) {
		if (bs->heap_size - m.bump >= cls_size(c) + BS_HDR) {
			expect = bs->heap + m.bump + BS_HDR;
			m.bump += cls_size(c) + BS_HDR;
		}
		return expect;
	}
	for (i = 0; i < m.depth[c]; i++) {
		if (bs->heap + m.stack[c][i] + BS_HDR == got) {
			memmove(&m.stack[c][i], &m.stack[c][i + 1],
				(m.depth[c] - i - 1) * sizeof(size_t));
			memmove(&m.smashed[c][i], &m.smashed[c][i + 1],
				m.depth[c] - i - 1);
			m.depth[c]--;
			return got;
		}
	}
	CHECK(0, "class %u has %zu free objects, got offset %zd", c,
	      m.depth[c], got ? (ssize_t)(got - bs->heap) : -1);
	return NULL;
}

static size_t rand_size(void)
{
	unsigned int e = rnd() % 21;
	size_t lo = 1UL << e;

	return e == 20 ? MAX_SIZE : lo + rnd() % lo;
}

static void stats_equal(const struct bump_slab_stats *a,
			const struct bump_slab_stats *b)
{
	CHECK(!memcmp(a, b, sizeof(*a)), "stats changed");
}

static void check_invariants(void)
{
	struct bump_slab_stats st;
	unsigned long l = 0;
	unsigned int c;

	CHECK(bump_slab_check(bs), "invariant walker");
	bump_slab_stats(bs, &st);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++)
		l += st.classes[c].live;
	CHECK(l == nlive, "live %lu vs model %zu", l, nlive);
	CHECK(st.invalid_frees == expect_invalid, "invalid_frees %llu vs %llu",
	      st.invalid_frees, expect_invalid);
	CHECK(st.corruptions == nr_quarantined, "corruptions %llu vs %lu",
	      st.corruptions, nr_quarantined);
	if (!bs->arena)
		CHECK(st.bump_offset == m.bump, "bump %zu vs %zu",
		      st.bump_offset, m.bump);
}

static void do_alloc(void)
{
	struct bump_slab_stats before, after;
	struct obj o;
	unsigned int c;
	size_t size = rand_size();
	u8 *expect = NULL;

	if (nlive == MAX_LIVE)
		return;
	c = size_to_cls(size);
	CHECK(cls_size(c) >= size && (c == 0 || cls_size(c - 1) < size),
	      "class of %zu", size);
	bump_slab_stats(bs, &before);
	if (!bs->arena && !hop) {
		while (m.depth[c] && m.smashed[c][m.depth[c] - 1]) {
			m.depth[c]--;
			expect_invalid++;
			nr_quarantined++;
		}
		if (m.depth[c]) {
			expect = bs->heap + m.stack[c][--m.depth[c]] + BS_HDR;
		} else if (bs->heap_size - m.bump >= cls_size(c) + BS_HDR) {
			expect = bs->heap + m.bump + BS_HDR;
			m.bump += cls_size(c) + BS_HDR;
		}
	}
	o.p = bump_slab_alloc(bs, size, GFP_KERNEL);
	if (!bs->arena && hop)
		expect = model_take(c, o.p);
	bump_slab_stats(bs, &after);
	CHECK(after.invalid_frees == expect_invalid &&
	      after.corruptions == nr_quarantined, "quarantine count");
	if (!bs->arena)
		CHECK(o.p == expect, "heap mode: got offset %zd, model %zd",
		      o.p ? (ssize_t)(o.p - bs->heap) : -1,
		      expect ? (ssize_t)(expect - bs->heap) : -1);
	if (!o.p) {
		nr_nulls++;
		CHECK(after.failures == before.failures + 1, "failure count");
		return;
	}
	nr_allocs++;
	CHECK(((unsigned long)o.p & 7) == 0, "alignment");
	CHECK(after.classes[c].allocs == before.classes[c].allocs + 1 &&
	      after.classes[c].live == before.classes[c].live + 1, "counters");
	CHECK(bump_slab_size(bs, o.p) == cls_size(c), "size");
	/*
	 * Under ASan: the request is the caller's; its header and the rest
	 * of the class are not.
	 */
	CHECK(ap_shim_kasan_live(o.p, size, size < cls_size(c)) &&
	      ap_shim_kasan_freed(o.p - 1),
	      "ASan shadow of a %zu-byte request", size);
	if (bs->arena) {
		unsigned long page = (unsigned long)o.p & PAGE_MASK;
		size_t block = buddy_arena_block_size(ba, (void *)page);

		CHECK(block && (u8 *)o.p + cls_size(c) <= (u8 *)page + block,
		      "object outside its arena block");
	}
	o.size = size;
	o.cls = c;
	o.tag = rnd();
	insert_live(&o);
	fill(&o);
}

static void free_at(size_t i)
{
	struct bump_slab_stats before, after;
	struct obj o = live[i];
	bool smash = false, again = false;
	size_t off = 0;

	check_fill(&o);
	bump_slab_stats(bs, &before);
	/* In poison mode, sometimes write to the object after freeing it. */
	if ((bs->flags & BUMP_SLAB_POISON) && !bs->arena &&
	    cls_size(o.cls) > 8 && rnd() % 64 == 0) {
		smash = true;
		off = 8 + rnd() % (cls_size(o.cls) - 8);
	}
	again = rnd() % 128 == 0;
	CHECK(bump_slab_free(bs, o.p) == 0, "free of a live object");
	remove_live(i);
	nr_frees++;
	if (again && bs->pcp_end && o.cls < bs->pcp_end) {
		/*
		 * In this CPU's cache now (its header says cached), or, freed
		 * through the locked path (a page bs->tab did not name), in
		 * its slab or gone with it.
		 */
		nr_cached_twice += ap_kasan_read_u8(o.p - 7) == BS_CACHED;
		CHECK(bump_slab_free(bs, o.p) == -EINVAL,
		      "double free of a cached object");
		expect_invalid++;
		nr_bad++;
		before.invalid_frees++;
	}
	bump_slab_stats(bs, &after);
	CHECK(after.classes[o.cls].frees == before.classes[o.cls].frees + 1,
	      "frees");
	CHECK(bump_slab_size(bs, o.p) == 0, "size of a freed object");
	/* Unless its slab went back to the arena, which poisons it too. */
	CHECK(ap_shim_kasan_freed(o.p), "freed object not poisoned");
	if (bs->flags & BUMP_SLAB_POISON && !bs->arena)
		CHECK(!ap_kasan_memchr_inv(o.p + 8, POISON_FREE,
					   cls_size(o.cls) - 8), "poison");
	if (!bs->arena) {
		model_push(o.cls, o.p - BS_HDR - bs->heap, smash);
		if (smash)
			ap_kasan_write_u8(o.p + off,
					  ap_kasan_read_u8(o.p + off) ^ 0x01);
	}
	if (again) {
		unsigned long errs = ap_shim_nr_err;

		before = after;
		CHECK(bump_slab_free(bs, o.p) == -EINVAL, "double free");
		expect_invalid++;
		nr_bad++;
		bump_slab_stats(bs, &after);
		CHECK(ap_shim_nr_err == errs + 1, "one report");
		before.invalid_frees++;
		stats_equal(&before, &after);
	}
}

/* A free the pool must refuse, leaving everything as it was. */
static void bad_free(void)
{
	struct bump_slab_stats before, after;
	unsigned long errs = ap_shim_nr_err;
	u64 stack_word = 0;
	struct obj *o = nlive ? &live[rnd() % nlive] : NULL;
	u8 *p, saved = 0, *smashed = NULL;
	void *foreign = NULL;
	int kind = rnd() % 6;

	bump_slab_stats(bs, &before);
	switch (kind) {
	case 0:		/* interior */
		if (!o || cls_size(o->cls) < 16)
			return;
		p = o->p + 8 * (1 + rnd() % (cls_size(o->cls) / 8 - 1));
		break;
	case 1:		/* misaligned */
		if (!o)
			return;
		p = o->p + 1 + rnd() % 7;
		break;
	case 2:		/* smashed header marker */
		if (!o)
			return;
		smashed = o->p - 1 - rnd() % 7;
		saved = ap_kasan_read_u8(smashed);
		ap_kasan_write_u8(smashed, saved ^ (1 + rnd() % 255));
		p = o->p;
		break;
	case 3:		/* a pointer from elsewhere */
		foreign = malloc(64);
		CHECK(foreign, "oom");
		memset(foreign, 0xff, 64);
		p = (u8 *)foreign + 16;
		break;
	case 4:		/* the stack */
		p = (u8 *)&stack_word;
		break;
	default:	/* the other pool's object */
		p = bump_slab_alloc(other, 1 + rnd() % 64, GFP_KERNEL);
		CHECK(p, "other pool");
		break;
	}
	CHECK(bump_slab_free(bs, p) == -EINVAL, "bad free kind %d accepted", kind);
	CHECK(bump_slab_size(bs, p) == 0, "size of a bad pointer");
	expect_invalid++;
	nr_bad++;
	CHECK(ap_shim_nr_err == errs + 1, "one report for kind %d", kind);
	bump_slab_stats(bs, &after);
	before.invalid_frees++;
	stats_equal(&before, &after);
	if (smashed) {
		ap_kasan_write_u8(smashed, saved);
		CHECK(bump_slab_size(bs, o->p) == cls_size(o->cls), "restored");
	}
	if (kind == 5)
		CHECK(bump_slab_free(other, p) == 0, "other pool free");
	free(foreign);
}

static void drain(void)
{
	while (nlive)
		free_at(rnd() % nlive);
}

static void arena_empty(void)
{
	struct buddy_arena_stats st;

	ap_shim_run_work();
	buddy_arena_stats(ba, &st);
	CHECK(st.free_bytes == st.size && st.live_blocks == 0,
	      "arena not free: %zu of %zu free, %lu live", st.free_bytes,
	      st.size, st.live_blocks);
}

static void run(const struct config *cfg, unsigned long ops)
{
	struct bump_slab_stats st;
	unsigned long i, phase = 0;
	long leaks = ap_shim_live_allocs;
	size_t target = 0;

	nr_allocs = 0;
	nr_nulls = 0;
	nr_frees = 0;
	nr_bad = 0;
	nr_quarantined = 0;
	expect_invalid = 0;
	hop = cfg->cpus;
	model_reset();
	if (cfg->buddy) {
		ba = buddy_arena_create("bsm_arena", cfg->grow ? 8 << 20 : 48 << 20,
					6, 24, cfg->grow ? BUDDY_ARENA_GROW : 0);
		CHECK(!IS_ERR(ba), "arena");
		bs = bump_slab_create_on("bsm", ba, cfg->flags);
	} else {
		ba = NULL;
		bs = bump_slab_create("bsm", 48 << 20, cfg->flags);
	}
	CHECK(!IS_ERR(bs), "create");
	other = bump_slab_create("bsm_other", 1 << 16, 0);
	CHECK(!IS_ERR(other), "create other");

	for (i = 0; i < ops; i++) {
		u64 r;

		if (i % 20000 == 0) {
			phase++;
			target = rnd() % 3 == 0 ? 0 : rnd() % 1500;
			if (cfg->buddy && target == 0) {
				drain();
				check_invariants();
				arena_empty();
			}
		}
		if (hop)
			ap_shim_cpu = rnd() % AP_SHIM_NR_CPUS;
		r = rnd() % 1000;
		if (r < 5)
			bad_free();
		else if (r < 8)
			CHECK(bump_slab_free(bs, NULL) == 0, "NULL");
		else if (nlive && (nlive > target ? r < 600 : r < 400))
			free_at(rnd() % nlive);
		else
			do_alloc();
		if (i % 4999 == 0)
			check_invariants();
	}
	check_invariants();
	drain();
	check_invariants();
	bump_slab_stats(bs, &st);
	printf("  %-18s %lu ops: %lu allocs, %lu NULL, %lu frees, ",
	       cfg->name, ops, nr_allocs, nr_nulls, nr_frees);
	printf("%lu bad frees, %lu quarantined, failures %llu, invalid_frees %llu, bump %zu\n",
	       nr_bad, nr_quarantined, st.failures, st.invalid_frees,
	       st.bump_offset);
	/* The pcp configurations did try frees of cached objects. */
	CHECK(!(cfg->flags & BUMP_SLAB_PERCPU) || ops < 100000 ||
	      nr_cached_twice, "no second free of a cached object");
	nr_cached_twice = 0;
	if (cfg->buddy) {
		CHECK(st.slabs == 0, "slabs left: %lu", st.slabs);
		arena_empty();
	}
	bump_slab_destroy(bs);
	bump_slab_destroy(other);
	if (cfg->buddy)
		buddy_arena_destroy(ba);
	ap_shim_run_work();
	CHECK(ap_shim_live_allocs == leaks, "leak: %ld allocations",
	      ap_shim_live_allocs - leaks);
	model_reset();
	ap_shim_cpu = 0;
}

static const struct config configs[] = {
	{ "heap", false, false, 0 },
	{ "heap+poison", false, false, BUMP_SLAB_POISON },
	{ "buddy", true, false, 0 },
	{ "buddy+grow+poison", true, true, BUMP_SLAB_POISON },
	{ "heap+cpus", false, false, 0, true },
	{ "buddy+pcp+cpus", true, false, BUMP_SLAB_PERCPU, true },
	{ "buddy+grow+pcp+cpus", true, true, BUMP_SLAB_PERCPU, true },
};

int main(int argc, char **argv)
{
	const char *env = getenv("BUMP_SLAB_SEED");
	const char *only = getenv("BUMP_SLAB_CONFIGS");
	unsigned long mask = only ? strtoul(only, NULL, 0) : ~0UL;
	unsigned long ops = 300000, total = 0;
	u64 seed;
	size_t i;

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	else if (env)
		seed = strtoull(env, NULL, 0);
	else
		seed = (u64)time(NULL) ^ ((u64)getpid() << 32);
	if (argc > 2)
		ops = strtoul(argv[2], NULL, 0);
	if (!seed)
		seed = 1;
	printf("bump_slab_model: seed %llu (rerun: bump_slab_model %llu)\n",
	       seed, seed);
	fflush(stdout);
	rng = seed;
	ap_shim_quiet = 2;
	for (i = 0; i < ARRAY_SIZE(configs); i++) {
		if (!(mask & BIT(i)))
			continue;
		run(&configs[i], ops);
		total += ops;
	}
	printf("bump_slab_model: %lu ops: PASS\n", total);
	return 0;
}
