// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_context.c - the buddy arena in the contexts issue 10 names, and
 * the damage issue 11 describes, against the shim's PREEMPT_RT model.
 *
 *   hard IRQ          alloc, free, block_size and stats under
 *                     ap_shim_hardirq_enter(), poison mode and 4 MiB
 *                     blocks included (poisoning and its check must run
 *                     with no raw lock held: over 64 KiB under one aborts)
 *   caller's locks    the same calls with a caller's spinlock_t held, and
 *                     with a caller's raw_spinlock_t held
 *   growth            one grower at a time (vmalloc() calls never
 *                     overlap), the others retry before growing, inside
 *                     the memalloc scope of the caller's gfp
 *   in transit        a block being poisoned by one free is refused to a
 *                     second free, and stats stay exact meanwhile
 *   sizes             every create and add_region size up to SIZE_MAX is
 *                     refused with one message, no WARN, no leak
 *   damage            a grown region whose free block was written over
 *                     is never given back while the block is listed; a
 *                     free next to a block overwritten with 0x41 bytes
 *                     follows none of them
 *
 * Each prints what it checks; any failure makes the run fail.
 */
#include "../../../buddy_arena.c"
#include "buddy_common.h"

#include <time.h>

static unsigned long failed;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s:%d: %s: ", __func__, __LINE__,	\
			#cond);						\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		failed++;						\
		goto out;						\
	}								\
} while (0)

/* Every call that may come from any context, on arena @ba. */
static bool any_context_calls(struct buddy_arena *ba, size_t big)
{
	static const size_t sizes[] = { 1, 16, 100, 4096, 5000 };
	struct buddy_arena_stats st;
	void *p[ARRAY_SIZE(sizes) + 1];
	unsigned int i, n = 0;
	bool ok = false;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[n] = buddy_arena_alloc(ba, sizes[i], GFP_ATOMIC);
		CHECK(p[n], "alloc %zu", sizes[i]);
		CHECK(buddy_arena_block_size(ba, p[n]) >= sizes[i], "size");
		memset(p[n], 0x5a, sizes[i]);
		n++;
	}
	if (big) {
		p[n] = buddy_arena_alloc(ba, big, GFP_ATOMIC);
		CHECK(p[n], "alloc %zu", big);
		n++;
	}
	buddy_arena_stats(ba, &st);
	CHECK(st.live_blocks == n, "live %lu", st.live_blocks);
	CHECK(buddy_arena_free(ba, p[0] + 1) == -EINVAL, "interior free");
	while (n)
		CHECK(!buddy_arena_free(ba, p[--n]), "free");
	CHECK(buddy_arena_free(ba, p[0]) == -EINVAL, "double free");
	CHECK(buddy_arena_free(ba, NULL) == 0, "NULL");
	buddy_arena_stats(ba, &st);
	CHECK(st.free_bytes == st.size && !st.live_blocks, "all free");
	ok = true;
out:
	return ok;
}

static struct buddy_arena *arenas[3];

static bool make_arenas(void)
{
	arenas[0] = buddy_arena_create("ctx-plain", 1 << 20, 4, 20, 0);
	arenas[1] = buddy_arena_create("ctx-poison", 8 << 20, 6, 23,
				       BUDDY_ARENA_POISON);
	arenas[2] = buddy_arena_create("ctx-grow", 1 << 16, 4, 16,
				       BUDDY_ARENA_GROW | BUDDY_ARENA_POISON);
	return !IS_ERR(arenas[0]) && !IS_ERR(arenas[1]) && !IS_ERR(arenas[2]);
}

static void drop_arenas(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(arenas); i++)
		buddy_arena_destroy(arenas[i]);
	ap_shim_run_work();
}

/*
 * Hard IRQ on PREEMPT_RT: no spinlock_t, no slab, nothing that sleeps;
 * the 4 MiB block is poisoned and checked with no raw lock held.
 */
static void test_hardirq(void)
{
	static const size_t big[] = { 0, 4 << 20, 0 };
	unsigned int i;
	void *whole;
	bool grew;

	CHECK(make_arenas(), "create");
	ap_shim_hardirq_enter();
	for (i = 0; i < ARRAY_SIZE(arenas); i++)
		if (!any_context_calls(arenas[i], big[i]))
			break;
	/* Full, GFP_ATOMIC: no growth, no mutex, just NULL. */
	whole = buddy_arena_alloc(arenas[2], 1 << 16, GFP_ATOMIC);
	grew = buddy_arena_alloc(arenas[2], 16, GFP_ATOMIC) ||
	       arenas[2]->nr_regions != 1;
	buddy_arena_free(arenas[2], whole);
	ap_shim_hardirq_exit();
	CHECK(whole && !grew, "grew in hard IRQ");
	CHECK(i == ARRAY_SIZE(arenas), "arena %u", i);
	printf("buddy_context: hard IRQ: alloc, free, block_size, stats, poison of 4 MiB\n");
out:
	drop_arenas();
}

static DEFINE_SPINLOCK(caller_lock);
static DEFINE_RAW_SPINLOCK(caller_raw_lock);

/* The same calls with a caller's own locks held. */
static void test_caller_locks(void)
{
	unsigned long flags;
	unsigned int i;
	bool ok = true;

	CHECK(make_arenas(), "create");
	spin_lock_irqsave(&caller_lock, flags);
	for (i = 0; i < ARRAY_SIZE(arenas) && ok; i++)
		ok = any_context_calls(arenas[i], i == 1 ? 4 << 20 : 0);
	spin_unlock_irqrestore(&caller_lock, flags);
	CHECK(ok, "under a spinlock_t, arena %u", i - 1);
	/*
	 * Under a caller's raw lock, only what the caller's raw section may
	 * do: no poisoned block of over 64 KiB there, which is the caller's
	 * bounded work, not the arena's.
	 */
	raw_spin_lock_irqsave(&caller_raw_lock, flags);
	for (i = 0; i < ARRAY_SIZE(arenas) && ok; i++)
		ok = any_context_calls(arenas[i], 0);
	raw_spin_unlock_irqrestore(&caller_raw_lock, flags);
	CHECK(ok, "under a raw_spinlock_t, arena %u", i - 1);
	printf("buddy_context: caller's spinlock_t and raw_spinlock_t held\n");
out:
	drop_arenas();
}

static struct buddy_arena *grow_ba;
static gfp_t grow_gfp;
static void *grown[8];

static bool sleepy_hook(size_t size)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	return false;
}

static void *grower(void *arg)
{
	unsigned long i = (unsigned long)arg;

	grown[i] = buddy_arena_alloc(grow_ba, 2048, grow_gfp);
	return NULL;
}

/*
 * Four callers find a full arena at once, each wanting half a region: the
 * first grows while the others wait; the second retries and takes the
 * other half instead of growing; so two regions are added, not four, and
 * no two vmalloc() calls ever overlap, however slow vmalloc() is.
 */
static void test_one_grower(void)
{
	pthread_t t[4];
	unsigned long i;
	void *full;

	grow_ba = buddy_arena_create("ctx-growers", 4096, 6, 12,
				     BUDDY_ARENA_GROW);
	CHECK(!IS_ERR(grow_ba), "create");
	full = buddy_arena_alloc(grow_ba, 4096, GFP_KERNEL);
	CHECK(full, "fill");
	grow_gfp = GFP_KERNEL;
	ap_shim_vmalloc_inflight_max = 0;
	ap_shim_fail_hook = sleepy_hook;
	for (i = 0; i < ARRAY_SIZE(t); i++)
		pthread_create(&t[i], NULL, grower, (void *)i);
	for (i = 0; i < ARRAY_SIZE(t); i++)
		pthread_join(t[i], NULL);
	ap_shim_fail_hook = NULL;
	for (i = 0; i < ARRAY_SIZE(t); i++)
		CHECK(grown[i], "grower %lu failed", i);
	CHECK(ap_shim_vmalloc_inflight_max == 1,
	      "%ld vmalloc() calls at once", ap_shim_vmalloc_inflight_max);
	CHECK(grow_ba->nr_regions == 3, "%u regions for four halves",
	      grow_ba->nr_regions);
	CHECK(buddy_check(grow_ba), "invariant");
	for (i = 0; i < ARRAY_SIZE(t); i++)
		CHECK(!buddy_arena_free(grow_ba, grown[i]), "free");
	CHECK(!buddy_arena_free(grow_ba, full), "free");
	ap_shim_run_work();
	CHECK(grow_ba->nr_regions == 1 && buddy_check(grow_ba), "given back");
	printf("buddy_context: growth: one grower at a time, the others retry first\n");
out:
	ap_shim_fail_hook = NULL;
	buddy_arena_destroy(grow_ba);
	ap_shim_run_work();
}

/*
 * Growth allocates in the memalloc scope of the caller's gfp: a GFP_NOIO
 * caller's region comes without I/O (or FS) reclaim, a GFP_NOFS caller's
 * without FS reclaim; GFP_ATOMIC never grows.
 */
static void test_grow_gfp_scope(void)
{
	static const struct {
		gfp_t gfp;
		gfp_t banned;
		const char *name;
	} cases[] = {
		{ GFP_NOIO, __GFP_IO | __GFP_FS, "GFP_NOIO" },
		{ GFP_NOFS, __GFP_FS, "GFP_NOFS" },
		{ GFP_KERNEL, 0, "GFP_KERNEL" },
	};
	struct buddy_arena *ba;
	void *p[4] = { NULL };
	unsigned int i;

	ba = buddy_arena_create("ctx-scope", 4096, 6, 12, BUDDY_ARENA_GROW);
	CHECK(!IS_ERR(ba), "create");
	p[0] = buddy_arena_alloc(ba, 4096, GFP_KERNEL);
	CHECK(p[0], "fill");
	CHECK(!buddy_arena_alloc(ba, 4096, GFP_ATOMIC) && ba->nr_regions == 1,
	      "GFP_ATOMIC grew");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ap_shim_last_gfp = GFP_KERNEL;
		p[i + 1] = buddy_arena_alloc(ba, 4096, cases[i].gfp);
		CHECK(p[i + 1] && ba->nr_regions == i + 2, "%s did not grow",
		      cases[i].name);
		CHECK(!(ap_shim_last_gfp & cases[i].banned),
		      "%s grew with gfp %#x", cases[i].name, ap_shim_last_gfp);
		CHECK(!ap_shim_task_flags, "%s scope left set", cases[i].name);
	}
	for (i = 0; i < ARRAY_SIZE(p); i++)
		CHECK(!buddy_arena_free(ba, p[i]), "free");
	printf("buddy_context: growth in the caller's NOIO/NOFS scope, never atomic\n");
out:
	buddy_arena_destroy(ba);
	ap_shim_run_work();
}

static struct buddy_arena *transit_ba;
static void *transit_block;
static int transit_ret[2];
static int transit_go;

static void *double_freer(void *arg)
{
	unsigned long i = (unsigned long)arg;

	while (!__atomic_load_n(&transit_go, __ATOMIC_ACQUIRE))
		;
	transit_ret[i] = buddy_arena_free(transit_ba, transit_block);
	return NULL;
}

static void *stats_reader(void *arg)
{
	struct buddy_arena_stats st;
	unsigned int i;
	long bad = 0;

	while (!__atomic_load_n(&transit_go, __ATOMIC_ACQUIRE))
		;
	for (i = 0; i < 2000; i++) {
		buddy_arena_stats(transit_ba, &st);
		/* Exact at any instant: a block in transit is allocated, not live. */
		if (st.free_bytes + st.allocated_bytes != st.size ||
		    st.live_blocks > 1 ||
		    st.requested_bytes > (st.live_blocks ? 16UL << 20 : 0))
			bad++;
	}
	return (void *)bad;
}

/*
 * Two frees of one 16 MiB poisoned block at once: one poisons it, with the
 * lock dropped; the other is refused whenever it comes, also while the
 * block is in transit.  A reader of the stats meanwhile sees them add up.
 */
static void test_transit(void)
{
	unsigned long err = ap_shim_nr_err;
	struct buddy_arena_stats st;
	pthread_t t[3];
	void *bad = NULL;
	unsigned int i;

	transit_ba = buddy_arena_create("ctx-transit", 32 << 20, 12, 25,
					BUDDY_ARENA_POISON);
	CHECK(!IS_ERR(transit_ba), "create");
	transit_block = buddy_arena_alloc(transit_ba, 16 << 20, GFP_KERNEL);
	CHECK(transit_block, "alloc");
	__atomic_store_n(&transit_go, 0, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, double_freer, (void *)(long)i);
	pthread_create(&t[2], NULL, stats_reader, NULL);
	__atomic_store_n(&transit_go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_join(t[2], &bad);
	CHECK((!transit_ret[0] && transit_ret[1] == -EINVAL) ||
	      (!transit_ret[1] && transit_ret[0] == -EINVAL),
	      "frees returned %d and %d", transit_ret[0], transit_ret[1]);
	CHECK(!bad, "%ld inconsistent stats snapshots", (long)bad);
	buddy_arena_stats(transit_ba, &st);
	CHECK(st.invalid_frees == 1 && st.frees == 1 && !st.corruptions &&
	      ap_shim_nr_err == err + 1, "counted %llu/%llu", st.invalid_frees,
	      st.frees);
	CHECK(st.free_bytes == st.size && !transit_ba->held_units, "merged");
	CHECK(buddy_check(transit_ba), "invariant");
	printf("buddy_context: a block in transit: second free refused, stats exact\n");
out:
	buddy_arena_destroy(transit_ba);
}

static bool fail_huge(size_t size)
{
	/* A small machine: nothing of 1 GiB or more is ever granted. */
	return size >= (1UL << 30);
}

static bool fail_big(size_t size)
{
	return size >= (1UL << 26);
}

/*
 * create and add_region with 2^k - 1, 2^k and 2^k + 1 bytes for every k
 * up to 63, SIZE_MAX and odd sizes, with the orders at their limits: each
 * either succeeds with a usable arena or region, or is refused with
 * -EINVAL or -ENOMEM and exactly one message; never a WARN (the shim
 * aborts on a kmalloc(), kvmalloc() or vmalloc() the kernel would WARN
 * about), nothing leaked.
 */
static bool every_size(void)
{
	static const unsigned int orders[][2] = {
		{ 4, 4 }, { 4, 30 }, { 12, 30 }, { 30, 30 },
	};
	static const size_t odd[] = { 1, 15, 17, 4095, 4097, 3000, 12345,
				      SIZE_MAX, SIZE_MAX - 1, SIZE_MAX / 3 };
	unsigned long msgs, warns = ap_shim_nr_WARN;
	long live = ap_shim_live_allocs;
	struct buddy_arena *ba, *one;
	unsigned int k, d, o;
	size_t size;
	int ret;

	one = buddy_arena_create("ctx-every", 4096, 4, 12, 0);
	if (IS_ERR(one))
		return false;
	/* A smaller machine than test_sizes()'s, to keep the run short. */
	ap_shim_fail_hook = fail_big;
	for (k = 0; k < 64 * 3 + ARRAY_SIZE(odd); k++) {
		if (k < 64 * 3) {
			d = k % 3;
			size = (1UL << (k / 3)) + d - 1;
		} else {
			size = odd[k - 64 * 3];
		}
		for (o = 0; o < ARRAY_SIZE(orders); o++) {
			msgs = ap_shim_nr_err + ap_shim_nr_warn;
			ba = buddy_arena_create("ctx-every2", size, orders[o][0],
						orders[o][1], 0);
			if (!IS_ERR(ba)) {
				void *p = buddy_arena_alloc(ba, 1, GFP_KERNEL);

				if (!p || size < BIT(orders[o][0]) ||
				    buddy_arena_free(ba, p)) {
					fprintf(stderr, "size %zu/%u: bad arena\n",
						size, orders[o][0]);
					buddy_arena_destroy(ba);
					goto fail;
				}
				buddy_arena_destroy(ba);
				continue;
			}
			if ((ba != ERR_PTR(-EINVAL) && ba != ERR_PTR(-ENOMEM)) ||
			    ap_shim_nr_err + ap_shim_nr_warn != msgs + 1) {
				fprintf(stderr, "size %zu/%u: %ld, %lu messages\n",
					size, orders[o][0], PTR_ERR(ba),
					ap_shim_nr_err + ap_shim_nr_warn - msgs);
				goto fail;
			}
		}
		msgs = ap_shim_nr_err + ap_shim_nr_warn;
		ret = buddy_arena_add_region(one, size);
		if (!ret ? size < 16 :
		    (ret != -EINVAL && ret != -ENOMEM) ||
		    ap_shim_nr_err + ap_shim_nr_warn != msgs + 1) {
			fprintf(stderr, "add %zu: %d\n", size, ret);
			goto fail;
		}
	}
	ap_shim_fail_hook = NULL;
	buddy_arena_destroy(one);
	return ap_shim_nr_WARN == warns && ap_shim_live_allocs == live;
fail:
	ap_shim_fail_hook = NULL;
	buddy_arena_destroy(one);
	return false;
}

/*
 * Sizes no arena can have: -EINVAL or -ENOMEM with one message, never a
 * WARN (in the kernel: kvmalloc()'s over INT_MAX, vmalloc()'s warn_alloc),
 * nothing leaked.
 */
static void test_sizes(void)
{
	static const size_t sizes[] = {
		1UL << 34, 1UL << 35, 1UL << 36, 1UL << 40, 1UL << 50,
		SIZE_MAX / 2, SIZE_MAX - 4095, SIZE_MAX,
	};
	static const unsigned int mins[] = { 4, 12, 30 };
	unsigned long msgs, warns = ap_shim_nr_WARN;
	long live = ap_shim_live_allocs;
	struct buddy_arena *ba = NULL, *one = NULL;
	unsigned int i, j;
	int ret;

	one = buddy_arena_create("ctx-sizes", 4096, 4, 12, 0);
	CHECK(!IS_ERR(one), "create");
	ap_shim_fail_hook = fail_huge;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < ARRAY_SIZE(mins); j++) {
			msgs = ap_shim_nr_err + ap_shim_nr_warn;
			ba = buddy_arena_create("ctx-huge", sizes[i], mins[j],
						30, 0);
			CHECK(ba == ERR_PTR(-EINVAL) || ba == ERR_PTR(-ENOMEM),
			      "create %zu/%u: %ld", sizes[i], mins[j],
			      PTR_ERR(ba));
			CHECK(ap_shim_nr_err + ap_shim_nr_warn == msgs + 1,
			      "create %zu/%u: %lu messages", sizes[i], mins[j],
			      ap_shim_nr_err + ap_shim_nr_warn - msgs);
		}
		msgs = ap_shim_nr_err + ap_shim_nr_warn;
		ret = buddy_arena_add_region(one, sizes[i]);
		CHECK(ret == -EINVAL || ret == -ENOMEM, "add %zu: %d", sizes[i],
		      ret);
		CHECK(ap_shim_nr_err + ap_shim_nr_warn == msgs + 1,
		      "add %zu: %lu messages", sizes[i],
		      ap_shim_nr_err + ap_shim_nr_warn - msgs);
	}
	ba = NULL;
	ap_shim_fail_hook = NULL;
	CHECK(ap_shim_nr_WARN == warns, "%lu WARNs", ap_shim_nr_WARN - warns);
	CHECK(one->nr_regions == 1 && buddy_check(one), "arena changed");
	buddy_arena_destroy(one);
	one = NULL;
	CHECK(ap_shim_live_allocs == live, "leaked %ld",
	      ap_shim_live_allocs - live);
	CHECK(every_size(), "every size");
	printf("buddy_context: create/add_region sizes up to SIZE_MAX refused with one message\n");
out:
	ap_shim_fail_hook = NULL;
	if (!IS_ERR_OR_NULL(ba))
		buddy_arena_destroy(ba);
	buddy_arena_destroy(one);
}

/*
 * The case of issue 11: a grown region holds a live block and its free
 * buddy, whose links a client overwrote with an address.  Freeing the live
 * block cannot merge, and the region, though all its bytes are free, is
 * not given back: its damaged block is still listed.  (Before, it was
 * vfree'd with the block on a free list, handed out again afterwards.)
 */
static void test_damaged_region_kept(void)
{
	struct list_head decoy = { &decoy, &decoy };
	struct buddy_arena_stats st;
	struct buddy_arena *ba;
	struct ba_link *buddy;
	void *full, *p, *q;

	ba = buddy_arena_create("ctx-damage", 4096, 6, 12, BUDDY_ARENA_GROW);
	CHECK(!IS_ERR(ba), "create");
	full = buddy_arena_alloc(ba, 4096, GFP_KERNEL);
	p = buddy_arena_alloc(ba, 2048, GFP_KERNEL);
	CHECK(full && p && ba->nr_regions == 2, "grow");
	buddy = (struct ba_link *)((u8 *)p + 2048);
	ap_kasan_write_ulong(&buddy->next, (unsigned long)&decoy);
	ap_kasan_write_ulong(&buddy->prev, (unsigned long)&decoy);
	CHECK(!buddy_arena_free(ba, p), "free next to damage");
	CHECK(ba->corruptions == 1, "counted %llu", ba->corruptions);
	ap_shim_run_work();
	CHECK(ba->nr_regions == 2, "damaged region given back");
	CHECK(decoy.next == &decoy && decoy.prev == &decoy, "decoy written");
	CHECK(buddy_check_damaged(ba), "invariant");
	/* The sound block is served, the damaged one never. */
	q = buddy_arena_alloc(ba, 2048, GFP_ATOMIC);
	CHECK(q == p, "sound half");
	CHECK(!buddy_arena_alloc(ba, 2048, GFP_ATOMIC), "damaged half");
	CHECK(!buddy_arena_free(ba, q) && !buddy_arena_free(ba, full), "free");
	ap_shim_run_work();
	buddy_arena_stats(ba, &st);
	CHECK(st.regions == 2 && st.free_bytes == st.size - 2048 &&
	      st.corruptions == 2, "regions %u free %zu corruptions %llu",
	      st.regions, st.free_bytes, st.corruptions);
	printf("buddy_context: a region with a damaged block is never given back\n");
out:
	buddy_arena_destroy(ba);
	ap_shim_run_work();
}

/*
 * The other case of issue 11: a client writes 0x41 bytes over its freed
 * block, which is the free buddy of a live one.  Freeing the live block
 * used to follow 0x4141414141414141 and fault; now the merge is refused
 * and counted, and the damaged block is cut off when it is reached.
 */
static void test_write_after_free_pattern(void)
{
	struct buddy_arena_stats st;
	struct buddy_arena *ba;
	void *p, *q, *blocks[255];
	unsigned int n = 0, nulls = 0;
	u8 *victim;

	ba = buddy_arena_create("ctx-pattern", 4096, 4, 12, 0);
	CHECK(!IS_ERR(ba), "create");
	p = buddy_arena_alloc(ba, 16, GFP_KERNEL);
	victim = buddy_arena_alloc(ba, 16, GFP_KERNEL);
	CHECK(p && victim == (u8 *)p + 16, "buddies");
	/* A cached block holds no links: the lists are where damage lands. */
	CHECK(!buddy_arena_free(ba, victim), "free");
	pcp_drain_all(ba);
	ap_shim_scribble(victim, 0x41, 16);
	CHECK(!buddy_arena_free(ba, p), "free next to the damage");
	pcp_drain_all(ba);
	buddy_arena_stats(ba, &st);
	CHECK(st.corruptions == 1 && st.free_blocks[4] == 2, "merge refused");
	/*
	 * Everything is served but the damaged block; the one allocation
	 * that reaches it fails, unless its refill took a block before.
	 */
	while (n < ARRAY_SIZE(blocks) && nulls < 2) {
		q = buddy_arena_alloc(ba, 16, GFP_ATOMIC);
		if (!q) {
			nulls++;
			continue;
		}
		CHECK((blocks[n++] = q) != victim, "damaged block handed out");
	}
	CHECK(n == ARRAY_SIZE(blocks) && nulls <= 1, "%u blocks served", n);
	while (n)
		CHECK(!buddy_arena_free(ba, blocks[--n]), "free");
	buddy_arena_stats(ba, &st);
	CHECK(st.free_bytes == 4096 - 16 && st.corruptions == 2,
	      "free %zu corruptions %llu", st.free_bytes, st.corruptions);
	CHECK(buddy_check(ba), "invariant");
	printf("buddy_context: a write after free of 0x41 bytes over links is never followed\n");
out:
	buddy_arena_destroy(ba);
}

/*
 * Issue 11's first defect as a buggy driver meets it, through the public
 * API alone: it frees a block, keeps the pointer and writes 0x41 bytes
 * through it, then frees the block's buddy.  The arena used to follow
 * 0x4141414141414141 there (a general protection fault; here, a SEGV).
 * Now the damage is counted, the block is never handed out again, and
 * everything else is.
 */
static void test_uaf_pattern(void)
{
	struct buddy_arena_stats st;
	struct buddy_arena *ba;
	void *blocks[256];
	unsigned int n = 0, nulls = 0;
	u8 *p, *q;

	ba = buddy_arena_create("ctx-uaf", 4096, 4, 12, 0);
	CHECK(!IS_ERR(ba), "create");
	p = buddy_arena_alloc(ba, 16, GFP_KERNEL);
	q = buddy_arena_alloc(ba, 16, GFP_KERNEL);
	CHECK(p && q == p + 16, "buddies");
	/* The blocks on the lists, as a cache drains them. */
	CHECK(!buddy_arena_free(ba, q), "free");
	pcp_drain_all(ba);
	ap_shim_scribble(q, 0x41, 16);
	CHECK(!buddy_arena_free(ba, p), "free next to the damage");
	pcp_drain_all(ba);
	buddy_arena_stats(ba, &st);
	CHECK(st.corruptions >= 1, "counted %llu", st.corruptions);
	while (n < ARRAY_SIZE(blocks) && nulls < 2) {
		blocks[n] = buddy_arena_alloc(ba, 16, GFP_ATOMIC);
		if (!blocks[n]) {
			nulls++;
			continue;
		}
		CHECK(blocks[n++] != q, "damaged block handed out");
	}
	CHECK(n == 255, "%u blocks served", n);
	while (n)
		CHECK(!buddy_arena_free(ba, blocks[--n]), "free");
	buddy_arena_stats(ba, &st);
	CHECK(st.free_bytes == 4096 - 16 && st.live_blocks == 0,
	      "free %zu", st.free_bytes);
	printf("buddy_context: a driver's 0x41 write after free: counted, cut off\n");
out:
	buddy_arena_destroy(ba);
}

/*
 * The pointer-like form, in a grown region: the driver writes an address
 * (of its other, live block) over the links of the block it freed, then
 * frees that other block.  The arena used to skip the merge but count the
 * region entirely free, and the give-back work vfree'd it with the damaged
 * block still listed: the next allocations read freed memory (ASan) and
 * the free count underflowed.  Now the region is kept, the damaged block
 * never handed out, and the rest served.
 */
static void test_uaf_pointer(void)
{
	struct buddy_arena_stats st;
	struct buddy_arena *ba;
	void *full = NULL, *r1 = NULL, *r2 = NULL;
	u8 *p, *q;

	ba = buddy_arena_create("ctx-uafp", 4096, 6, 12, BUDDY_ARENA_GROW);
	CHECK(!IS_ERR(ba), "create");
	full = buddy_arena_alloc(ba, 4096, GFP_KERNEL);
	p = buddy_arena_alloc(ba, 2048, GFP_KERNEL);
	q = buddy_arena_alloc(ba, 2048, GFP_KERNEL);
	buddy_arena_stats(ba, &st);
	CHECK(full && p && q == p + 2048 && st.regions == 2, "grown");
	CHECK(!buddy_arena_free(ba, q), "free");
	ap_kasan_write_ulong((unsigned long *)q, (unsigned long)p);
	ap_kasan_write_ulong((unsigned long *)q + 1, (unsigned long)p);
	CHECK(!buddy_arena_free(ba, p), "free next to the damage");
	ap_shim_run_work();
	buddy_arena_stats(ba, &st);
	CHECK(st.corruptions >= 1 && st.regions == 2,
	      "counted %llu, regions %u", st.corruptions, st.regions);
	r1 = buddy_arena_alloc(ba, 2048, GFP_ATOMIC);
	r2 = buddy_arena_alloc(ba, 2048, GFP_ATOMIC);
	CHECK(r1 == p && r2 != q, "served %p %p", r1, r2);
	CHECK(!buddy_arena_free(ba, r1) && !buddy_arena_free(ba, r2) &&
	      !buddy_arena_free(ba, full), "free");
	r1 = NULL;
	r2 = NULL;
	full = NULL;
	ap_shim_run_work();
	buddy_arena_stats(ba, &st);
	CHECK(st.regions == 2 && st.live_blocks == 0 &&
	      st.free_bytes == st.size - 2048, "regions %u free %zu",
	      st.regions, st.free_bytes);
	printf("buddy_context: a driver's pointer write after free in a grown region: kept\n");
out:
	buddy_arena_free(ba, r1);
	buddy_arena_free(ba, r2);
	buddy_arena_free(ba, full);
	buddy_arena_destroy(ba);
	ap_shim_run_work();
}

/* Every CPU's cache drained, the arena is one free block of max_order. */
static bool drains_whole(struct buddy_arena *ba)
{
	struct buddy_arena_stats st;

	pcp_drain_all(ba);
	buddy_arena_stats(ba, &st);
	return st.free_blocks[ba->max_order] == 1 && st.free_bytes == st.size;
}

static struct buddy_arena *race_ba;
static void *race_block;
static int race_ret[2];
static int race_round;	/* each freer runs round n once race_round is n */

/* A free of race_block, on fake CPU 1 + @arg, for each round. */
static void *racing_freer(void *arg)
{
	unsigned long i = (unsigned long)arg;
	int round;

	ap_shim_cpu = 1 + i;
	for (round = 1; round <= 2000; round++) {
		while ((__atomic_load_n(&race_round, __ATOMIC_ACQUIRE) & 0xffff) !=
		       round)
			;
		race_ret[i] = buddy_arena_free(race_ba, race_block);
		__atomic_add_fetch(&race_round, 1 << 16, __ATOMIC_ACQ_REL);
	}
	return NULL;
}

/*
 * Two frees of one block of a cached order, on two CPUs at once, over and
 * over: the atomic step on the order map lets exactly one into its CPU's
 * cache and refuses the other, and the block is then handed out once.
 */
static void test_pcp_double_free_race(void)
{
	struct buddy_arena_stats st;
	unsigned int bad = 0, j;
	pthread_t t[2];
	int round;

	race_ba = buddy_arena_create("ctx-race", 64 << 10, 4, 16, 0);
	CHECK(!IS_ERR(race_ba), "create");
	__atomic_store_n(&race_round, 0, __ATOMIC_RELEASE);
	for (j = 0; j < 2; j++)
		pthread_create(&t[j], NULL, racing_freer, (void *)(long)j);
	for (round = 1; round <= 2000; round++) {
		race_block = buddy_arena_alloc(race_ba, 16 + round % 100,
					       GFP_ATOMIC);
		if (!race_block)
			bad++;
		__atomic_store_n(&race_round, round, __ATOMIC_RELEASE);
		while (__atomic_load_n(&race_round, __ATOMIC_ACQUIRE) !=
		       round + (2 << 16))
			;
		__atomic_store_n(&race_round, 0, __ATOMIC_RELEASE);
		if (!((!race_ret[0] && race_ret[1] == -EINVAL) ||
		      (!race_ret[1] && race_ret[0] == -EINVAL)))
			bad++;
	}
	__atomic_store_n(&race_round, 2001, __ATOMIC_RELEASE);
	for (j = 0; j < 2; j++)
		pthread_join(t[j], NULL);
	CHECK(!bad, "%u rounds where both or neither free won", bad);
	buddy_arena_stats(race_ba, &st);
	CHECK(st.invalid_frees == 2000 && st.frees == 2000 &&
	      st.free_bytes == st.size && !st.live_blocks,
	      "invalid %llu frees %llu", st.invalid_frees, st.frees);
	CHECK(buddy_check(race_ba), "invariant");
	CHECK(drains_whole(race_ba), "merged back");
	printf("buddy_context: racing double frees of cached-order blocks on two CPUs: one wins\n");
out:
	buddy_arena_destroy(race_ba);
}

/*
 * A refill carves its blocks from the smallest larger free block in one
 * take: the blocks, the order and the free lists left behind are those of
 * sixteen single takes.  A full cache whose oldest sixteen blocks are one
 * aligned block gives it back whole; either way the arena is sound and
 * merges back entirely once drained.
 */
static void test_pcp_carve_and_flush(void)
{
	struct buddy_arena_stats st;
	struct buddy_arena *ba;
	u8 *p[48], *base;
	unsigned int i, k;

	ap_shim_cpu = 0;
	ba = buddy_arena_create("ctx-carve", 64 << 10, 4, 16, 0);
	CHECK(!IS_ERR(ba), "create");
	base = ba->fast_base;
	for (i = 0; i < 48; i++) {
		p[i] = buddy_arena_alloc(ba, 16, GFP_ATOMIC);
		CHECK(p[i] == base + 16 * i, "block %u at +%td", i,
		      p[i] - base);
		if (i == 0) {
			/* Split 16 -> 8, the 256 B block carved: halves 8..15 free. */
			stats_snapshot(ba, &st);
			CHECK(st.free_blocks[4] == BA_PCP_BATCH - 1,
			      "cached %lu", st.free_blocks[4]);
			for (k = 5; k < 16; k++)
				CHECK(st.free_blocks[k] == (k >= 8),
				      "order %u: %lu free", k,
				      st.free_blocks[k]);
		}
	}
	CHECK(buddy_check(ba), "invariant after the refills");
	/* Three carves: orders 8 (256, the third from 512's half) and 10..15. */
	stats_snapshot(ba, &st);
	CHECK(st.free_blocks[4] == 0 && st.free_blocks[8] == 1 &&
	      st.free_blocks[9] == 0 && st.free_blocks[10] == 1,
	      "lists %lu %lu %lu %lu", st.free_blocks[4], st.free_blocks[8],
	      st.free_blocks[9], st.free_blocks[10]);
	for (i = 0; i < 48; i++)
		CHECK(!buddy_arena_free(ba, p[i]), "free %u", i);
	CHECK(buddy_check(ba), "invariant after the flushes");
	/*
	 * The 33rd free flushed blocks 0..15, one aligned 256 B block whose
	 * buddy (16..31) was cached: the cache holds the 32 freed last.
	 */
	stats_snapshot(ba, &st);
	CHECK(st.free_blocks[4] == 2 * BA_PCP_BATCH && st.live_blocks == 0 &&
	      st.free_bytes == st.size, "cached %lu live %lu free %zu",
	      st.free_blocks[4], st.live_blocks, st.free_bytes);
	CHECK(buddy_arena_free(ba, p[40]) == -EINVAL,
	      "a cached block freed again");
	CHECK(drains_whole(ba), "merged back");
	printf("buddy_context: a refill carves as single takes do; a flush frees a whole group\n");
out:
	buddy_arena_destroy(ba);
}

static const struct {
	const char *name;
	void (*run)(void);
} tests[] = {
	{ "hardirq", test_hardirq },
	{ "caller_locks", test_caller_locks },
	{ "one_grower", test_one_grower },
	{ "grow_gfp_scope", test_grow_gfp_scope },
	{ "transit", test_transit },
	{ "sizes", test_sizes },
	{ "damaged_region_kept", test_damaged_region_kept },
	{ "write_after_free_pattern", test_write_after_free_pattern },
	{ "uaf_pattern", test_uaf_pattern },
	{ "uaf_pointer", test_uaf_pointer },
	{ "pcp_double_free_race", test_pcp_double_free_race },
	{ "pcp_carve_and_flush", test_pcp_carve_and_flush },
};

/* buddy_context [test]: all of them, or the one named. */
int main(int argc, char **argv)
{
	unsigned int i;

	ap_shim_quiet = 2;
	for (i = 0; i < ARRAY_SIZE(tests); i++)
		if (argc < 2 || !strcmp(argv[1], tests[i].name))
			tests[i].run();
	printf("buddy_context: %lu failures\n", failed);
	return failed ? 1 : 0;
}
