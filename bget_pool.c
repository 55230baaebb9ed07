// SPDX-License-Identifier: GPL-2.0
/*
 * A BGET-style coalescing pool.
 *
 * John Walker's BGET made per pool and SMP-safe: variable-size buffers are
 * carved out of regions (a vmalloc'd initial region, buffers handed in with
 * bget_pool_add() and expansion blocks obtained through the acquire
 * callback), and boundary tags let a freed buffer merge with both
 * neighbours in O(1).
 *
 * Fit policies.  Free blocks sit in one segregated index.  Blocks under
 * BGET_LARGE (16 KiB) sit in exact-size bins, one per 16-byte quantum,
 * each a LIFO list, with a two-level bitmap of the non-empty bins (a
 * summary word over bitmap words), so "the smallest non-empty bin at or
 * above n" is at most two find-first-bit operations.  Larger blocks sit in
 * an rbtree keyed by size with one node per distinct size; blocks of a size
 * already in the tree hang on that node's chain, so inserting and removing
 * them is O(1) and a search is O(log d) in the number of distinct large
 * sizes.  BGET_BEST_FIT takes a block of the smallest size that fits.  The
 * default, first fit, takes the first fitting block met searching the index
 * in size order, which is a block of that same smallest size: the two
 * policies place blocks alike, both exactly, and neither fails while a
 * fitting block is free nor looks at more than one block per bin or tree
 * node.  Two fast paths cover most calls: a small request met from the
 * bins, and one carved from the only large block (often a region's
 * untouched end), whose place in the tree does not change.
 *
 * Blocks are split from their high end, so a free block keeps its header.
 * A region's 64 bytes of bookkeeping and each buffer's 16-byte header come
 * out of the region.  Counters kept on the fast paths are few (bytes in
 * use, allocations, frees); free bytes, free blocks and live buffers are
 * derived from them when read.
 *
 * Context: bget_alloc(), bget_zalloc(), bget_realloc(), bget_free() and
 * bget_pool_stats() never sleep and may be called from any context; when a
 * request cannot be met they call the pool's callbacks, which get the
 * caller's gfp mask and must honour it.  Create, destroy, add and ctl are
 * process context only.
 *
 * Locking: one spinlock per pool, taken with irqsave, guards every block
 * header, the free index, the region tree and the counters.  Callbacks are
 * called with it dropped and may call back into the pool; whatever they did
 * is re-checked once it is retaken.
 *
 * Layout of a region (every size a multiple of the 16-byte quantum):
 *
 *   +--------------+-----------+--------------------+-----------+-- ... --+--------+
 *   | region       | hdr       | payload            | hdr       |         | hdr    |
 *   | (rb_node,    | prevfree  | (allocated)        | prevfree  |  free   | size 0 |
 *   |  len, kind)  | info|check|                    | info|check| [links] | (end)  |
 *   +--------------+-----------+--------------------+-----------+-- ... --+--------+
 *                  ^ first block                                           ^ sentinel
 *
 * hdr is 16 bytes: prevfree is the size of the block just below when that
 * block is free (0 otherwise); info is the block size over 4 with the
 * allocated and quarantined bits in its two low bits; check is a hash of info and the header's
 * own address, so a pointer that does not start a block, or a header that
 * was overwritten, is recognised and the free refused.  A free block holds
 * its index links right after its header: a bin or chain link (16 bytes)
 * and, for a large block heading its size's chain, an rb_node.
 */

#define pr_fmt(fmt) "allocpools: " fmt

#include <linux/bitops.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/poison.h>
#include <linux/printk.h>
#include <linux/rbtree.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <allocpools/bget_pool.h>

#include "allocpools_internal.h"

#define BGET_KNOWN_FLAGS	(BGET_BEST_FIT | BGET_POISON)

/*
 * info holds the block size shifted right by 2 (so two bits of a 16-byte
 * multiple are free for flags) and getting the size back is one and, one
 * shift.
 */
#define BH_ALLOC	BIT(0)		/* handed out (or the sentinel) */
#define BH_QUAR		BIT(1)		/* held back: poison was overwritten */
#define BH_SMASK	(~3u)		/* block size >> 2 */
#define BH_SSHIFT	2
#define BH_MAGIC	0x6b9e7c15u

#define BGET_QSHIFT	4

/*
 * Free blocks under BGET_LARGE bytes live in exact-size bins (one per
 * quantum); larger ones in the size tree.  The bitmap has one bit per bin
 * and the summary word one bit per bitmap word.
 */
#define BGET_NBINS	1024
#define BGET_LARGE	((size_t)BGET_NBINS << BGET_QSHIFT)
#define BGET_MAP_WORDS	(BGET_NBINS / BITS_PER_LONG)

/* Where regions come from, and so where they go back to. */
enum bget_region_kind {
	BGET_REGION_INITIAL,	/* vmalloc'd by bget_pool_create() */
	BGET_REGION_CALLER,	/* bget_pool_add(): the caller's */
	BGET_REGION_EXPANSION,	/* acquire(pool_incr): released when empty */
	BGET_REGION_DIRECT,	/* acquire() for one large buffer */
};

static const char * const bget_region_names[] = {
	"initial", "caller", "expansion", "direct",
};

struct bget_hdr {
	size_t prevfree;
	u32 info;
	u32 check;
};

/*
 * The links of a free block, right after its header.  A small block uses
 * @next and @pprev for its bin list.  A large block either heads the chain
 * of its size (@pprev NULL, @rb in the size tree, @next the first other
 * block of that size) or is on such a chain (@pprev set, @rb unused).
 */
struct bget_free {
	struct bget_free *next;
	struct bget_free **pprev;
	struct rb_node rb;
};

/* Lives at the start of each region, 16-byte aligned. */
struct bget_region {
	struct rb_node node;	/* in bget_pool.regions, by address */
	size_t len;		/* bytes from this struct to the sentinel's end */
	void *buf;		/* what was vmalloc'd, added or acquired */
	unsigned int id;	/* for dumps and messages */
	unsigned int kind;
};

#define BGET_HDR	sizeof(struct bget_hdr)
/* Bytes at the start of a free block that hold header and links, unpoisoned. */
#define BGET_SMALL_SKIP	(BGET_HDR + offsetof(struct bget_free, rb))
#define BGET_LARGE_SKIP	(BGET_HDR + sizeof(struct bget_free))
#define BGET_MIN_BLOCK	(3 * BGET_QUANTUM)
#define BGET_REG_HDR	ALIGN(sizeof(struct bget_region), BGET_QUANTUM)
#define BGET_OVERHEAD	(BGET_REG_HDR + BGET_HDR)
#define BGET_MAX_BLOCK	((size_t)BH_SMASK << BH_SSHIFT)

static_assert(BGET_MIN_BLOCK >= BGET_SMALL_SKIP);
static_assert(BGET_LARGE >= BGET_LARGE_SKIP);
static_assert(BGET_NBINS % BITS_PER_LONG == 0);
static_assert(BGET_MAP_WORDS <= BITS_PER_LONG);

/**
 * struct bget_pool - a BGET-style pool
 * @ap: the core's part (name, debugfs)
 * @lock: guards every field below but @flags, and every block header
 * @flags: BGET_* create flags, constant
 * @hint: the region the last lookup found, or NULL; only a shortcut
 * @regions: the regions on the books and the direct blocks, by address
 * @size_tree: free blocks of BGET_LARGE bytes or more, one node per size
 * @bin_sum: bit w set iff @bin_map[w] is not zero
 * @bin_map: bit q set iff @bins[q] is not empty
 * @bins: free blocks of q quanta, for q < BGET_NBINS, LIFO
 * @ops: the callbacks set with bget_pool_ctl()
 * @pool_incr: expansion block size
 * @next_id: id of the next region
 * @managed: bytes in all regions, direct blocks included
 * @span: bytes in the blocks of the regions on the books
 * @quarantined: bytes in blocks taken out of use by a poison mismatch
 * @direct: bytes in live direct blocks
 * @curalloc: bytes in allocated blocks, headers included
 * @nget: successful allocations
 * @nrel: frees
 * @npool: regions on the books (not direct blocks)
 * @npget: expansion blocks acquired
 * @nprel: expansion blocks released
 * @ndget: direct blocks acquired
 * @ndrel: direct blocks released
 * @failures: refused or failed allocations
 * @invalid_frees: refused frees and poison mismatches
 *
 * Free bytes, free blocks and live buffers are derived from these when
 * read, so the fast paths keep only @curalloc, @nget and @nrel.
 */
struct bget_pool {
	struct ap_pool ap;
	spinlock_t lock;	/* guards what @lock above says */
	unsigned int flags;
	struct bget_region *hint;
	struct rb_root regions;
	struct rb_root size_tree;
	unsigned long bin_sum;
	unsigned long bin_map[BGET_MAP_WORDS];
	struct bget_free *bins[BGET_NBINS];
	struct bget_ops ops;
	size_t pool_incr;
	unsigned int next_id;
	size_t managed;
	size_t span;
	size_t quarantined;
	size_t direct;
	size_t curalloc;
	long nget, nrel;
	long npool, npget, nprel, ndget, ndrel;
	u64 failures;
	u64 invalid_frees;
};

/* ---- block headers ---- */

static inline size_t blk_size(const struct bget_hdr *h)
{
	return (size_t)(h->info & BH_SMASK) << BH_SSHIFT;
}

static inline bool blk_free(const struct bget_hdr *h)
{
	return !(h->info & BH_ALLOC);
}

/*
 * Two instructions, but ties the header to its address: a header copied
 * elsewhere, or bytes that merely repeat (info == check), fail it.
 */
static inline u32 hdr_sum(const struct bget_hdr *h, u32 info)
{
	return (u32)((unsigned long)h >> BGET_QSHIFT) ^ info ^ BH_MAGIC;
}

static inline bool hdr_ok(const struct bget_hdr *h)
{
	return h->check == hdr_sum(h, h->info);
}

static inline void set_hdr(struct bget_hdr *h, size_t size, u32 flags)
{
	h->info = (u32)(size >> BH_SSHIFT) | flags;
	h->check = hdr_sum(h, h->info);
}

/* A header merged into a lower block must never pass hdr_ok() again. */
static inline void kill_hdr(struct bget_hdr *h)
{
	h->info = 0;
	h->check = hdr_sum(h, 0) ^ 1;
}

static inline struct bget_hdr *blk_at(const void *p, size_t off)
{
	return (struct bget_hdr *)((char *)p + off);
}

static inline struct bget_hdr *blk_below(const void *p, size_t off)
{
	return (struct bget_hdr *)((char *)p - off);
}

static inline struct bget_hdr *next_blk(const struct bget_hdr *h)
{
	return blk_at(h, blk_size(h));
}

static inline struct bget_free *blk_links(struct bget_hdr *h)
{
	return (struct bget_free *)(h + 1);
}

static inline struct bget_hdr *links_blk(const struct bget_free *f)
{
	return (struct bget_hdr *)f - 1;
}

static inline struct bget_hdr *rb_blk(const struct rb_node *n)
{
	return links_blk(rb_entry(n, struct bget_free, rb));
}

static inline void *blk_payload(struct bget_hdr *h)
{
	return h + 1;
}

static inline struct bget_hdr *reg_first(const struct bget_region *r)
{
	return blk_at(r, BGET_REG_HDR);
}

static inline struct bget_hdr *reg_end(const struct bget_region *r)
{
	return blk_at(r, r->len - BGET_HDR);
}

static inline size_t reg_span(const struct bget_region *r)
{
	return r->len - BGET_OVERHEAD;
}

static inline bool pool_poison(const struct bget_pool *bp)
{
	return bp->flags & BGET_POISON;
}

/* Bytes at the start of a free block of @size that poison leaves alone. */
static inline size_t poison_skip(size_t size)
{
	return size >= BGET_LARGE ? BGET_LARGE_SKIP : BGET_SMALL_SKIP;
}

static void poison_blk(struct bget_hdr *h, size_t size)
{
	size_t skip = poison_skip(size);

	memset((char *)h + skip, POISON_FREE, size - skip);
}

/* ---- the free index ---- */

static inline void bin_link(struct bget_free *f, struct bget_free **head)
{
	f->next = *head;
	if (f->next)
		f->next->pprev = &f->next;
	*head = f;
	f->pprev = head;
}

static inline void bin_unlink(struct bget_free *f)
{
	*f->pprev = f->next;
	if (f->next)
		f->next->pprev = f->pprev;
}

static void tree_insert_locked(struct bget_pool *bp, struct bget_free *f,
			       size_t size)
{
	struct rb_node **link = &bp->size_tree.rb_node, *parent = NULL;

	lockdep_assert_held(&bp->lock);
	while (*link) {
		size_t s = blk_size(rb_blk(*link));

		parent = *link;
		if (size < s) {
			link = &parent->rb_left;
		} else if (size > s) {
			link = &parent->rb_right;
		} else {
			/* That size is there: join its chain, O(1). */
			bin_link(f, &rb_entry(parent, struct bget_free, rb)->next);
			return;
		}
	}
	f->next = NULL;
	f->pprev = NULL;
	rb_link_node(&f->rb, parent, link);
	rb_insert_color(&f->rb, &bp->size_tree);
}

static void tree_remove_locked(struct bget_pool *bp, struct bget_free *f)
{
	struct bget_free *n = f->next;

	lockdep_assert_held(&bp->lock);
	if (f->pprev) {
		bin_unlink(f);
	} else if (n) {
		/* The chain's next block heads it in f's place. */
		rb_replace_node(&f->rb, &n->rb, &bp->size_tree);
		n->pprev = NULL;
		if (n->next)
			n->next->pprev = &n->next;
	} else {
		rb_erase(&f->rb, &bp->size_tree);
	}
}

static inline unsigned int size_bin(size_t size)
{
	return size >> BGET_QSHIFT;
}

/* Small block @f of @q quanta goes on the head of its bin. */
static __always_inline void bin_insert_locked(struct bget_pool *bp,
					      struct bget_free *f,
					      unsigned int q)
{
	struct bget_free *first = bp->bins[q];

	f->next = first;
	f->pprev = &bp->bins[q];
	bp->bins[q] = f;
	if (first) {
		first->pprev = &f->next;
	} else {
		__set_bit(q, bp->bin_map);
		__set_bit(q / BITS_PER_LONG, &bp->bin_sum);
	}
}

static __always_inline void bin_remove_locked(struct bget_pool *bp,
					      struct bget_free *f,
					      unsigned int q)
{
	struct bget_free *next = f->next;

	*f->pprev = next;
	if (next) {
		next->pprev = f->pprev;
	} else if (!bp->bins[q]) {
		__clear_bit(q, bp->bin_map);
		if (!bp->bin_map[q / BITS_PER_LONG])
			__clear_bit(q / BITS_PER_LONG, &bp->bin_sum);
	}
}

static noinline void tree_insert_blk_locked(struct bget_pool *bp,
					    struct bget_hdr *h)
{
	tree_insert_locked(bp, blk_links(h), blk_size(h));
}

static noinline void tree_remove_blk_locked(struct bget_pool *bp,
					    struct bget_hdr *h)
{
	tree_remove_locked(bp, blk_links(h));
}

static __always_inline void index_insert_locked(struct bget_pool *bp,
						struct bget_hdr *h)
{
	size_t size = blk_size(h);

	lockdep_assert_held(&bp->lock);
	if (likely(size < BGET_LARGE))
		bin_insert_locked(bp, blk_links(h), size_bin(size));
	else
		tree_insert_blk_locked(bp, h);
}

/* Call before the block's size changes: the bin comes from it. */
static __always_inline void index_remove_locked(struct bget_pool *bp,
						struct bget_hdr *h)
{
	size_t size = blk_size(h);

	lockdep_assert_held(&bp->lock);
	if (likely(size < BGET_LARGE))
		bin_remove_locked(bp, blk_links(h), size_bin(size));
	else
		tree_remove_blk_locked(bp, h);
}

/*
 * Can tree node @f, alone in its chain, take size @size in place?  Only if
 * its neighbours in the tree still bracket the new size.
 */
static bool tree_keeps_place(struct bget_free *f, size_t old, size_t size)
{
	struct rb_node *n;

	if (f->pprev || f->next)
		return false;
	/* The usual case: the one large block, often a region's untouched end. */
	if (!f->rb.rb_left && !f->rb.rb_right && !rb_parent(&f->rb))
		return true;
	if (size < old) {
		n = rb_prev(&f->rb);
		return !n || blk_size(rb_blk(n)) < size;
	}
	n = rb_next(&f->rb);
	return !n || blk_size(rb_blk(n)) > size;
}

/*
 * Is @h the only large free block?  Then it may take any large size in
 * place: the usual case, as that is most often a region's untouched end.
 */
static __always_inline bool tree_alone(struct bget_pool *bp,
				       struct bget_hdr *h)
{
	struct bget_free *f = blk_links(h);

	return bp->size_tree.rb_node == &f->rb && !f->rb.rb_left &&
	       !f->rb.rb_right && !f->next;
}

static noinline void resize_large_locked(struct bget_pool *bp,
					 struct bget_hdr *h, size_t size)
{
	size_t old = blk_size(h);

	lockdep_assert_held(&bp->lock);
	if (old >= BGET_LARGE && size >= BGET_LARGE &&
	    tree_keeps_place(blk_links(h), old, size)) {
		set_hdr(h, size, 0);
		return;
	}
	index_remove_locked(bp, h);
	set_hdr(h, size, 0);
	index_insert_locked(bp, h);
}

/* Give free block @h size @size, keeping the index in step. */
static __always_inline void resize_free_locked(struct bget_pool *bp,
					       struct bget_hdr *h, size_t size)
{
	size_t old = blk_size(h);

	lockdep_assert_held(&bp->lock);
	if (likely(old < BGET_LARGE && size < BGET_LARGE)) {
		bin_remove_locked(bp, blk_links(h), size_bin(old));
		set_hdr(h, size, 0);
		bin_insert_locked(bp, blk_links(h), size_bin(size));
	} else if (size >= BGET_LARGE && tree_alone(bp, h)) {
		set_hdr(h, size, 0);
	} else {
		resize_large_locked(bp, h, size);
	}
}

/* A free block of the smallest tree size >= @need, or NULL. */
static noinline struct bget_hdr *tree_fit_locked(struct bget_pool *bp,
						 size_t need)
{
	struct rb_node *n = bp->size_tree.rb_node;
	struct bget_free *fit = NULL;

	lockdep_assert_held(&bp->lock);
	while (n) {
		size_t s = blk_size(rb_blk(n));

		if (s >= need) {
			fit = rb_entry(n, struct bget_free, rb);
			if (s == need)
				break;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	if (!fit)
		return NULL;
	/* A chained block leaves the tree as it is. */
	return links_blk(fit->next ?: fit);
}

/*
 * A free block of the smallest non-empty bin at or above @need's, or NULL:
 * one find-first-bit in @need's bitmap word, else one in the summary and
 * one in the word it names.  @need must be under BGET_LARGE.
 */
static __always_inline struct bget_hdr *bin_fit_locked(struct bget_pool *bp,
						       size_t need)
{
	unsigned int q = size_bin(need), w = q / BITS_PER_LONG;
	unsigned long m = bp->bin_map[w] & (~0UL << (q % BITS_PER_LONG));

	lockdep_assert_held(&bp->lock);
	if (likely(m))
		return links_blk(bp->bins[w * BITS_PER_LONG + __ffs(m)]);
	m = bp->bin_sum & (~1UL << w);
	if (!m)
		return NULL;
	w = __ffs(m);
	return links_blk(bp->bins[w * BITS_PER_LONG + __ffs(bp->bin_map[w])]);
}

/*
 * A free block of at least @need bytes, of the smallest size that fits
 * among the bins, else from the tree; NULL if none is free.
 */
static __always_inline struct bget_hdr *
find_fit_locked(struct bget_pool *bp, size_t need)
{
	struct bget_hdr *h;

	lockdep_assert_held(&bp->lock);
	if (likely(need < BGET_LARGE)) {
		h = bin_fit_locked(bp, need);
		if (likely(h))
			return h;
	}
	return tree_fit_locked(bp, need);
}

/* ---- regions ---- */

static noinline struct bget_region *
region_search_locked(struct bget_pool *bp, const void *p)
{
	struct rb_node *n = bp->regions.rb_node;

	lockdep_assert_held(&bp->lock);
	while (n) {
		struct bget_region *r = rb_entry(n, struct bget_region, node);

		if ((const char *)p < (const char *)r) {
			n = n->rb_left;
		} else if ((const char *)p >= (const char *)r + r->len) {
			n = n->rb_right;
		} else {
			bp->hint = r;
			return r;
		}
	}
	return NULL;
}

/* The region holding @p, or NULL; the last one found is tried first. */
static inline struct bget_region *region_find_locked(struct bget_pool *bp,
						     const void *p)
{
	struct bget_region *r = bp->hint;

	lockdep_assert_held(&bp->lock);
	if (likely(r && (unsigned long)p - (unsigned long)r < r->len))
		return r;
	return region_search_locked(bp, p);
}

static bool region_overlaps_locked(struct bget_pool *bp, const void *start,
				   size_t len)
{
	const char *s = start, *e = s + len;
	struct rb_node *n = bp->regions.rb_node;

	lockdep_assert_held(&bp->lock);
	while (n) {
		struct bget_region *r = rb_entry(n, struct bget_region, node);

		if ((const char *)r + r->len <= s)
			n = n->rb_right;
		else if ((const char *)r >= e)
			n = n->rb_left;
		else
			return true;
	}
	return false;
}

/*
 * Lay a region out in @buf: the region struct, then one free block spanning
 * everything (or, for a direct block, one allocated block of @direct bytes),
 * then the sentinel.  The region is not linked yet, so no lock is needed.
 */
static struct bget_region *region_init(struct bget_pool *bp, void *buf,
				       size_t len, unsigned int kind,
				       size_t direct)
{
	unsigned long start = ALIGN((unsigned long)buf, BGET_QUANTUM);
	unsigned long end = ALIGN_DOWN((unsigned long)buf + len, BGET_QUANTUM);
	struct bget_region *r = (struct bget_region *)start;
	struct bget_hdr *h, *s;

	memset(r, 0, sizeof(*r));
	r->len = end - start;
	r->buf = buf;
	r->kind = kind;
	h = reg_first(r);
	s = reg_end(r);
	h->prevfree = 0;
	if (kind == BGET_REGION_DIRECT) {
		set_hdr(h, direct, BH_ALLOC);
		s->prevfree = 0;
	} else {
		set_hdr(h, reg_span(r), 0);
		s->prevfree = reg_span(r);
		if (pool_poison(bp))
			poison_blk(h, reg_span(r));
	}
	set_hdr(s, 0, BH_ALLOC);
	return r;
}

/* Is [buf, buf + len) big enough, once aligned, to hold one block? */
static bool region_len_ok(const void *buf, size_t len)
{
	unsigned long start = ALIGN((unsigned long)buf, BGET_QUANTUM);
	unsigned long end;

	if (check_add_overflow((unsigned long)buf, len, &end))
		return false;
	end = ALIGN_DOWN(end, BGET_QUANTUM);
	return end > start && end - start >= BGET_OVERHEAD + BGET_MIN_BLOCK &&
	       end - start - BGET_OVERHEAD <= BGET_MAX_BLOCK;
}

static void region_link_locked(struct bget_pool *bp, struct bget_region *r)
{
	struct rb_node **link = &bp->regions.rb_node, *parent = NULL;

	lockdep_assert_held(&bp->lock);
	while (*link) {
		parent = *link;
		if (r < rb_entry(parent, struct bget_region, node))
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&r->node, parent, link);
	rb_insert_color(&r->node, &bp->regions);
	r->id = bp->next_id++;
	bp->managed += r->len;
	if (r->kind == BGET_REGION_DIRECT)
		return;
	bp->npool++;
	bp->span += reg_span(r);
	index_insert_locked(bp, reg_first(r));
}

static void region_unlink_locked(struct bget_pool *bp, struct bget_region *r)
{
	lockdep_assert_held(&bp->lock);
	if (bp->hint == r)
		bp->hint = NULL;
	rb_erase(&r->node, &bp->regions);
	bp->managed -= r->len;
	if (r->kind != BGET_REGION_DIRECT) {
		bp->npool--;
		bp->span -= reg_span(r);
	}
}

static size_t reg_offset(const struct bget_region *r, const void *p)
{
	return (const char *)p - (const char *)r;
}

/* ---- allocation ---- */

/* Block size for a request of @size bytes; false if there can be none. */
static bool block_size_for(size_t size, size_t *need)
{
	if (!size || size > BGET_MAX_BLOCK - BGET_HDR)
		return false;
	*need = max_t(size_t, ALIGN(size + BGET_HDR, BGET_QUANTUM),
		      BGET_MIN_BLOCK);
	return true;
}

/*
 * Take a free block out of use because its poison was overwritten: it is
 * reported once and never handed out or merged again.
 */
static noinline void quarantine_locked(struct bget_pool *bp,
				       struct bget_hdr *h)
{
	struct bget_region *r = region_find_locked(bp, h);
	size_t size = blk_size(h);

	index_remove_locked(bp, h);
	set_hdr(h, size, BH_ALLOC | BH_QUAR);
	next_blk(h)->prevfree = 0;
	bp->quarantined += size;
	bp->invalid_frees++;
	ap_report_invalid(&bp->ap, "poison overwritten in free block",
			  true, reg_offset(r, h));
}

static bool poison_ok(const struct bget_hdr *h, size_t from, size_t to)
{
	return !memchr_inv((const char *)h + from, POISON_FREE, to - from);
}

/*
 * Poisoned pool: are the bytes of free block @h that carving @need bytes
 * off it hands out, and that are poisoned, intact?  (A split hands out the
 * high end, which may reach into a large block's links.)
 */
static noinline bool carve_poison_ok(struct bget_hdr *h, size_t need)
{
	size_t size = blk_size(h), rest = size - need;
	size_t from = poison_skip(size);

	if (rest >= BGET_MIN_BLOCK)
		from = max(from, rest);
	return poison_ok(h, from, size);
}

/*
 * Hand out @need bytes of free block @h, splitting off its high end when
 * the rest can stand as a block.  NULL if poison shows the block was
 * written to while free.
 */
static __always_inline void *carve_locked(struct bget_pool *bp,
					  struct bget_hdr *h, size_t need)
{
	size_t size = blk_size(h), rest = size - need;
	struct bget_hdr *a;

	lockdep_assert_held(&bp->lock);
	if (unlikely(pool_poison(bp)) && !carve_poison_ok(h, need)) {
		quarantine_locked(bp, h);
		return NULL;
	}
	if (rest >= BGET_MIN_BLOCK) {
		resize_free_locked(bp, h, rest);
		/* Tree links no longer needed are poison again. */
		if (unlikely(pool_poison(bp)) && size >= BGET_LARGE &&
		    rest < BGET_LARGE)
			memset((char *)h + BGET_SMALL_SKIP, POISON_FREE,
			       min(rest, BGET_LARGE_SKIP) - BGET_SMALL_SKIP);
		a = blk_at(h, rest);
		a->prevfree = rest;
	} else {
		index_remove_locked(bp, h);
		a = h;
		need = size;
	}
	set_hdr(a, need, BH_ALLOC);
	next_blk(a)->prevfree = 0;
	bp->curalloc += need;
	return blk_payload(a);
}

/*
 * The fast path of carve_locked(): small block @h from a bin, no poison.
 */
static __always_inline void *take_small_locked(struct bget_pool *bp,
					       struct bget_hdr *h, size_t need)
{
	size_t size = blk_size(h), rest = size - need;
	struct bget_hdr *a;

	lockdep_assert_held(&bp->lock);
	bin_remove_locked(bp, blk_links(h), size_bin(size));
	if (rest >= BGET_MIN_BLOCK) {
		set_hdr(h, rest, 0);
		bin_insert_locked(bp, blk_links(h), size_bin(rest));
		a = blk_at(h, rest);
		a->prevfree = rest;
	} else {
		a = h;
		need = size;
	}
	set_hdr(a, need, BH_ALLOC);
	next_blk(a)->prevfree = 0;
	bp->curalloc += need;
	return blk_payload(a);
}

/*
 * The other fast case: no bin fits and the tree holds a single block (most
 * often a region's untouched end), so that block is the smallest that fits;
 * carve @need bytes off it if what is left stays large, so it keeps its
 * place.  NULL otherwise.  No poison.
 */
static __always_inline void *take_lone_locked(struct bget_pool *bp,
					      size_t need)
{
	struct rb_node *root = bp->size_tree.rb_node;
	struct bget_hdr *h, *a;
	size_t rest;

	lockdep_assert_held(&bp->lock);
	if (!root || root->rb_left || root->rb_right)
		return NULL;
	h = rb_blk(root);
	rest = blk_size(h) - need;
	if (blk_links(h)->next || (ssize_t)rest < (ssize_t)BGET_LARGE)
		return NULL;
	set_hdr(h, rest, 0);
	a = blk_at(h, rest);
	a->prevfree = rest;
	set_hdr(a, need, BH_ALLOC);
	next_blk(a)->prevfree = 0;
	bp->curalloc += need;
	return blk_payload(a);
}

static __always_inline void *alloc_locked(struct bget_pool *bp, size_t need)
{
	struct bget_hdr *h;
	void *p;

	lockdep_assert_held(&bp->lock);
	while ((h = find_fit_locked(bp, need))) {
		p = carve_locked(bp, h, need);
		if (p)
			return p;
	}
	return NULL;
}

/*
 * The request for @need bytes failed: compact while that helps, then ask
 * for an expansion block or a direct block.  Called and returns with the
 * lock held; drops it around every callback.
 */
static noinline void *grow_locked(struct bget_pool *bp, size_t need,
				  gfp_t gfp, unsigned long *flags)
{
	void *(*acquire)(struct bget_pool *bp, size_t size, gfp_t gfp);
	int (*compact)(struct bget_pool *bp, size_t sizereq, int sequence);
	void (*release)(struct bget_pool *bp, void *buf);
	struct bget_region *r;
	size_t incr, len;
	int seq = 0;
	void *buf, *p;

	lockdep_assert_held(&bp->lock);
	while ((compact = bp->ops.compact)) {
		int progress;

		spin_unlock_irqrestore(&bp->lock, *flags);
		progress = compact(bp, need, ++seq);
		spin_lock_irqsave(&bp->lock, *flags);
		if (!progress)
			break;
		p = alloc_locked(bp, need);
		if (p)
			return p;
	}

	acquire = bp->ops.acquire;
	release = bp->ops.release;
	if (!acquire)
		return NULL;
	incr = bp->pool_incr;
	if (incr >= BGET_OVERHEAD + BGET_MIN_BLOCK &&
	    need <= incr - BGET_OVERHEAD) {
		spin_unlock_irqrestore(&bp->lock, *flags);
		buf = acquire(bp, incr, gfp);
		if (!buf)
			goto relock;
		if (!IS_ALIGNED((unsigned long)buf, BGET_QUANTUM))
			goto misaligned;
		r = region_init(bp, buf, incr, BGET_REGION_EXPANSION, 0);
		spin_lock_irqsave(&bp->lock, *flags);
		region_link_locked(bp, r);
		bp->npget++;
		return alloc_locked(bp, need);
	}

	/* Too big for an expansion block: a direct block just for it. */
	len = BGET_OVERHEAD + need;
	spin_unlock_irqrestore(&bp->lock, *flags);
	buf = acquire(bp, len, gfp);
	if (!buf)
		goto relock;
	if (!IS_ALIGNED((unsigned long)buf, BGET_QUANTUM))
		goto misaligned;
	r = region_init(bp, buf, len, BGET_REGION_DIRECT, need);
	spin_lock_irqsave(&bp->lock, *flags);
	region_link_locked(bp, r);
	bp->ndget++;
	bp->curalloc += need;
	bp->direct += need;
	return blk_payload(reg_first(r));

misaligned:
	if (release)
		release(bp, buf);
relock:
	spin_lock_irqsave(&bp->lock, *flags);
	return NULL;
}

/*
 * Everything bget_alloc() does not do inline, from the start: it takes the
 * lock again, so nothing seen before counts.  Counts the outcome.
 */
static noinline void *alloc_slow(struct bget_pool *bp, size_t size, gfp_t gfp)
{
	unsigned long flags;
	size_t need;
	void *p;

	spin_lock_irqsave(&bp->lock, flags);
	if (unlikely(!block_size_for(size, &need))) {
		p = NULL;
	} else {
		p = alloc_locked(bp, need);
		if (unlikely(!p))
			p = grow_locked(bp, need, gfp, &flags);
	}
	if (likely(p))
		bp->nget++;
	else
		bp->failures++;
	spin_unlock_irqrestore(&bp->lock, flags);
	return p;
}

/**
 * bget_alloc() - allocate a buffer from a BGET pool
 * @bp: the pool
 * @size: bytes wanted, 1 .. about 16 GiB
 * @gfp: passed to the pool's compact/acquire callbacks, if any
 *
 * The buffer is 16-byte aligned.  When the pool cannot meet the request it
 * calls the compact callback (sequence 1, 2, ...) while that reports
 * progress, then asks the acquire callback for an expansion block of
 * pool_incr bytes, or for a direct block when @size does not fit one.
 *
 * Context: any context; never sleeps itself.  The callbacks run without the
 * pool lock and must honour @gfp.
 * Return: the buffer, or NULL (a size of 0, an oversized request or no
 * memory; each counts a failure).
 */
void *bget_alloc(struct bget_pool *bp, size_t size, gfp_t gfp)
{
	unsigned long flags;
	struct bget_hdr *h;
	size_t need;
	void *p;

	spin_lock_irqsave(&bp->lock, flags);
	/* Fast path: a small request met from the bins, no poison to check. */
	if (likely(size - 1 < BGET_LARGE - 2 * BGET_HDR && !pool_poison(bp))) {
		need = max_t(size_t, ALIGN(size + BGET_HDR, BGET_QUANTUM),
			     BGET_MIN_BLOCK);
		h = bin_fit_locked(bp, need);
		if (likely(h)) {
			p = take_small_locked(bp, h, need);
			bp->nget++;
			spin_unlock_irqrestore(&bp->lock, flags);
			return p;
		}
		p = take_lone_locked(bp, need);
		if (likely(p)) {
			bp->nget++;
			spin_unlock_irqrestore(&bp->lock, flags);
			return p;
		}
	}
	spin_unlock_irqrestore(&bp->lock, flags);
	return alloc_slow(bp, size, gfp);
}
EXPORT_SYMBOL_NS_GPL(bget_alloc, ALLOCPOOLS_NS);

/**
 * bget_zalloc() - allocate a zeroed buffer from a BGET pool
 * @bp: the pool
 * @size: bytes wanted
 * @gfp: passed to the pool's callbacks
 *
 * Like bget_alloc(), with the buffer cleared to zero.
 *
 * Context: any context, as bget_alloc().
 * Return: the buffer, or NULL.
 */
void *bget_zalloc(struct bget_pool *bp, size_t size, gfp_t gfp)
{
	void *p = bget_alloc(bp, size, gfp);

	if (p)
		memset(p, 0, size);
	return p;
}
EXPORT_SYMBOL_NS_GPL(bget_zalloc, ALLOCPOOLS_NS);

/* ---- free ---- */

/*
 * Find the allocated block whose payload is @buf in region @r, which holds
 * @buf, checking everything a free relies on before anything is changed:
 * the header's check word and both neighbours' tags.  NULL with *@what set
 * if the pointer is not one this pool handed out.
 */
static __always_inline struct bget_hdr *
check_blk_locked(struct bget_region *r, void *buf, const char **what)
{
	struct bget_hdr *h, *n, *p;
	size_t size, off, pf;

	/* The region holds @buf, so off < r->len and h is below the sentinel. */
	off = reg_offset(r, buf);
	h = (struct bget_hdr *)buf - 1;
	*what = "invalid pointer";
	if (unlikely(!IS_ALIGNED(off, BGET_QUANTUM) ||
		     off < BGET_REG_HDR + BGET_HDR || !hdr_ok(h)))
		return NULL;
	if (unlikely((h->info & (BH_ALLOC | BH_QUAR)) != BH_ALLOC)) {
		*what = blk_free(h) ? "double free" : "smashed header";
		return NULL;
	}
	*what = "smashed header";
	size = blk_size(h);
	/* 0 < size <= bytes from h to the sentinel */
	if (unlikely(size - 1 >= r->len - off))
		return NULL;
	n = blk_at(h, size);
	if (unlikely(!hdr_ok(n) || n->prevfree))
		return NULL;
	pf = h->prevfree;
	if (pf) {
		if (unlikely(!IS_ALIGNED(pf, BGET_QUANTUM) ||
			     pf > off - BGET_REG_HDR - BGET_HDR))
			return NULL;
		p = blk_below(h, pf);
		if (unlikely(!hdr_ok(p) || !blk_free(p) || blk_size(p) != pf))
			return NULL;
	}
	return h;
}

/* check_blk_locked() after finding the region; *@rp is NULL if none. */
static __always_inline struct bget_hdr *
check_buf_locked(struct bget_pool *bp, void *buf, struct bget_region **rp,
		 const char **what)
{
	struct bget_region *r;

	lockdep_assert_held(&bp->lock);
	r = region_find_locked(bp, buf);
	*rp = r;
	if (unlikely(!r)) {
		*what = "invalid pointer";
		return NULL;
	}
	return check_blk_locked(r, buf, what);
}

/*
 * Mark allocated block @h free and merge it with free neighbours.  Returns
 * the free block that now holds it.
 */
static __always_inline struct bget_hdr *
coalesce_locked(struct bget_pool *bp, struct bget_hdr *h, bool poison)
{
	size_t size = blk_size(h), hsize = size, pf = h->prevfree;
	struct bget_hdr *n = next_blk(h);

	lockdep_assert_held(&bp->lock);
	if (unlikely(poison))
		poison_blk(h, size);
	if (blk_free(n)) {
		size_t nsize = blk_size(n);

		index_remove_locked(bp, n);
		if (unlikely(poison))
			memset(n, POISON_FREE, poison_skip(nsize));
		else
			kill_hdr(n);
		size += nsize;
	}
	if (pf) {
		if (unlikely(poison))
			memset(h, POISON_FREE, poison_skip(hsize));
		else
			kill_hdr(h);
		h = blk_below(h, pf);
		size += pf;
		resize_free_locked(bp, h, size);
	} else {
		set_hdr(h, size, 0);
		index_insert_locked(bp, h);
	}
	next_blk(h)->prevfree = size;
	return h;
}

static void report_bad_locked(struct bget_pool *bp, struct bget_region *r,
			      const void *buf, const char *what)
{
	lockdep_assert_held(&bp->lock);
	bp->invalid_frees++;
	ap_report_invalid(&bp->ap, what, r, r ? reg_offset(r, buf) : 0);
}

/*
 * Everything bget_free() does not do inline, and the reports, from the
 * start: it takes the lock again, so nothing seen before counts.
 */
static noinline int free_slow(struct bget_pool *bp, void *buf)
{
	void (*release)(struct bget_pool *bp, void *buf) = NULL;
	struct bget_region *r;
	unsigned long flags;
	struct bget_hdr *h;
	const char *what;
	void *rbuf = NULL;
	size_t size;

	spin_lock_irqsave(&bp->lock, flags);
	h = check_buf_locked(bp, buf, &r, &what);
	if (unlikely(!h)) {
		report_bad_locked(bp, r, buf, what);
		spin_unlock_irqrestore(&bp->lock, flags);
		return -EINVAL;
	}
	size = blk_size(h);
	bp->nrel++;
	bp->curalloc -= size;
	if (unlikely(r->kind == BGET_REGION_DIRECT)) {
		region_unlink_locked(bp, r);
		bp->direct -= size;
		bp->ndrel++;
		release = bp->ops.release;
		rbuf = r->buf;
	} else {
		h = coalesce_locked(bp, h, pool_poison(bp));
		if (r->kind == BGET_REGION_EXPANSION && bp->ops.release &&
		    h == reg_first(r) && blk_size(h) == reg_span(r)) {
			index_remove_locked(bp, h);
			region_unlink_locked(bp, r);
			bp->nprel++;
			release = bp->ops.release;
			rbuf = r->buf;
		}
	}
	spin_unlock_irqrestore(&bp->lock, flags);
	/* A direct block without a release callback stays the caller's. */
	if (release)
		release(bp, rbuf);
	return 0;
}

/**
 * bget_free() - return a buffer to its BGET pool
 * @bp: the pool
 * @buf: a buffer from bget_alloc(), bget_zalloc() or bget_realloc(), or NULL
 *
 * The block merges with free neighbours.  An expansion block that becomes
 * entirely free, and a direct block, go back through the release callback
 * (after the pool lock is dropped).  A pointer the pool did not hand out,
 * an interior pointer, a double free or a smashed header is refused and
 * reported (with its offset inside the region holding it), and the pool is
 * left as it was.
 *
 * Context: any context; never sleeps itself; the release callback runs in
 * the caller's context.
 * Return: 0, or -EINVAL for a refused free.
 */
int bget_free(struct bget_pool *bp, void *buf)
{
	struct bget_region *r;
	unsigned long flags;
	struct bget_hdr *h;
	const char *what;

	if (!buf)
		return 0;
	spin_lock_irqsave(&bp->lock, flags);
	/* Fast path: a region that stays, no poison; all checks still made. */
	r = bp->hint;
	if (likely(r && (unsigned long)buf - (unsigned long)r < r->len &&
		   r->kind <= BGET_REGION_CALLER && !pool_poison(bp))) {
		h = check_blk_locked(r, buf, &what);
		if (likely(h)) {
			bp->nrel++;
			bp->curalloc -= blk_size(h);
			coalesce_locked(bp, h, false);
			spin_unlock_irqrestore(&bp->lock, flags);
			return 0;
		}
	}
	spin_unlock_irqrestore(&bp->lock, flags);
	return free_slow(bp, buf);
}
EXPORT_SYMBOL_NS_GPL(bget_free, ALLOCPOOLS_NS);

/* ---- realloc ---- */

/* Give the tail of allocated block @h beyond @need back, if it can stand. */
static void shrink_locked(struct bget_pool *bp, struct bget_hdr *h,
			  size_t need)
{
	size_t size = blk_size(h), rest = size - need;
	struct bget_hdr *t;

	lockdep_assert_held(&bp->lock);
	if (rest < BGET_MIN_BLOCK)
		return;
	set_hdr(h, need, BH_ALLOC);
	t = blk_at(h, need);
	t->prevfree = 0;
	set_hdr(t, rest, BH_ALLOC);
	bp->curalloc -= rest;
	coalesce_locked(bp, t, pool_poison(bp));
}

/* Grow allocated block @h into its free upper neighbour, if that suffices. */
static bool grow_in_place_locked(struct bget_pool *bp, struct bget_hdr *h,
				 size_t need)
{
	size_t size = blk_size(h), nsize, total;
	struct bget_hdr *n = next_blk(h);

	lockdep_assert_held(&bp->lock);
	nsize = blk_free(n) ? blk_size(n) : 0;
	if (size + nsize < need)
		return false;
	if (pool_poison(bp) && !poison_ok(n, poison_skip(nsize), nsize)) {
		quarantine_locked(bp, n);
		return false;
	}
	total = size + nsize;
	index_remove_locked(bp, n);
	kill_hdr(n);
	set_hdr(h, total, BH_ALLOC);
	next_blk(h)->prevfree = 0;
	bp->curalloc += total - size;
	shrink_locked(bp, h, need);
	return true;
}

/**
 * bget_realloc() - resize a buffer of a BGET pool, keeping its contents
 * @bp: the pool
 * @buf: the buffer, or NULL to allocate
 * @newsize: the new size in bytes; 0 is refused
 * @gfp: passed to the pool's callbacks if the buffer has to move
 *
 * Shrinks in place, grows in place into a free upper neighbour, and
 * otherwise moves the buffer (allocate, copy, free).  On failure @buf is
 * left intact.
 *
 * Context: any context, as bget_alloc().
 * Return: the buffer (maybe moved), or NULL: no memory, @newsize 0 or too
 * large (a failure), or @buf not a live buffer of @bp (an invalid free).
 */
void *bget_realloc(struct bget_pool *bp, void *buf, size_t newsize, gfp_t gfp)
{
	struct bget_region *r;
	struct bget_hdr *h;
	unsigned long flags;
	const char *what;
	size_t need, old;
	void *p;

	if (!buf)
		return bget_alloc(bp, newsize, gfp);
	spin_lock_irqsave(&bp->lock, flags);
	if (!block_size_for(newsize, &need)) {
		bp->failures++;
		spin_unlock_irqrestore(&bp->lock, flags);
		return NULL;
	}
	h = check_buf_locked(bp, buf, &r, &what);
	if (!h) {
		report_bad_locked(bp, r, buf, what);
		spin_unlock_irqrestore(&bp->lock, flags);
		return NULL;
	}
	old = blk_size(h);
	if (need <= old) {
		if (r->kind != BGET_REGION_DIRECT)
			shrink_locked(bp, h, need);
		spin_unlock_irqrestore(&bp->lock, flags);
		return buf;
	}
	if (r->kind != BGET_REGION_DIRECT && grow_in_place_locked(bp, h, need)) {
		spin_unlock_irqrestore(&bp->lock, flags);
		return buf;
	}
	spin_unlock_irqrestore(&bp->lock, flags);

	p = bget_alloc(bp, newsize, gfp);
	if (!p)
		return NULL;
	memcpy(p, buf, min(old - BGET_HDR, newsize));
	bget_free(bp, buf);
	return p;
}
EXPORT_SYMBOL_NS_GPL(bget_realloc, ALLOCPOOLS_NS);

/* ---- control and statistics ---- */

/**
 * bget_pool_ctl() - set a BGET pool's compact/acquire/release callbacks
 * @bp: the pool
 * @ops: the callbacks (any may be NULL), or NULL to remove them all; copied
 * @pool_incr: size of the expansion blocks acquire is asked for
 *
 * The acquire callback must return memory aligned to BGET_QUANTUM (vmalloc
 * memory is page aligned) or NULL; it gets the allocating caller's gfp
 * mask.  Requests larger than @pool_incr less the region overhead are given
 * direct blocks of their own.  A @pool_incr of 0 makes every acquisition a
 * direct block.
 *
 * Context: process context.
 * Return: 0, or -EINVAL if @pool_incr is neither 0 nor a multiple of
 * BGET_QUANTUM large enough to hold a block.
 */
int bget_pool_ctl(struct bget_pool *bp, const struct bget_ops *ops,
		  size_t pool_incr)
{
	unsigned long flags;

	if (pool_incr && (!IS_ALIGNED(pool_incr, BGET_QUANTUM) ||
			  pool_incr < BGET_OVERHEAD + BGET_MIN_BLOCK ||
			  pool_incr - BGET_OVERHEAD > BGET_MAX_BLOCK))
		return -EINVAL;
	spin_lock_irqsave(&bp->lock, flags);
	if (ops)
		bp->ops = *ops;
	else
		memset(&bp->ops, 0, sizeof(bp->ops));
	bp->pool_incr = pool_incr;
	spin_unlock_irqrestore(&bp->lock, flags);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(bget_pool_ctl, ALLOCPOOLS_NS);

static size_t largest_free_locked(struct bget_pool *bp)
{
	struct rb_node *n = rb_last(&bp->size_tree);
	unsigned int w;

	lockdep_assert_held(&bp->lock);
	if (n)
		return blk_size(rb_blk(n));
	if (!bp->bin_sum)
		return 0;
	w = __fls(bp->bin_sum);
	return (size_t)(w * BITS_PER_LONG + __fls(bp->bin_map[w])) << BGET_QSHIFT;
}

/* Bytes in free blocks, headers included: what is neither used nor lost. */
static size_t totfree_locked(struct bget_pool *bp)
{
	lockdep_assert_held(&bp->lock);
	return bp->span - (bp->curalloc - bp->direct) - bp->quarantined;
}

/* Live buffers: every successful allocation that was not freed. */
static unsigned long live_locked(struct bget_pool *bp)
{
	lockdep_assert_held(&bp->lock);
	return bp->nget - bp->nrel;
}

/* Free blocks in the index; walks it, for dumps and tests. */
static unsigned long count_free_locked(struct bget_pool *bp)
{
	unsigned long count = 0;
	struct bget_free *f, *c;
	struct rb_node *n;
	unsigned int q;

	lockdep_assert_held(&bp->lock);
	for (q = 0; q < BGET_NBINS; q++)
		for (f = bp->bins[q]; f; f = f->next)
			count++;
	for (n = rb_first(&bp->size_tree); n; n = rb_next(n)) {
		f = rb_entry(n, struct bget_free, rb);
		for (c = f; c; c = c->next)
			count++;
	}
	return count;
}

static void stats_locked(struct bget_pool *bp, struct bget_stats *st)
{
	size_t max = largest_free_locked(bp);

	lockdep_assert_held(&bp->lock);
	memset(st, 0, sizeof(*st));
	st->curalloc = bp->curalloc;
	st->totfree = totfree_locked(bp);
	st->maxfree = max ? max - BGET_HDR : 0;
	st->nget = bp->nget;
	st->nrel = bp->nrel;
	st->pool_incr = bp->pool_incr;
	st->npool = bp->npool;
	st->npget = bp->npget;
	st->nprel = bp->nprel;
	st->ndget = bp->ndget;
	st->ndrel = bp->ndrel;
	st->failures = bp->failures;
	st->invalid_frees = bp->invalid_frees;
}

/**
 * bget_pool_stats() - what bstats() and bstatse() report, for one pool
 * @bp: the pool
 * @st: filled in
 *
 * curalloc and totfree are bytes in allocated and free blocks, headers
 * included; maxfree is the largest buffer one allocation could get without
 * growing the pool.  npool counts the regions on the books (initial, added,
 * expansion), npget/nprel expansion blocks acquired and released,
 * ndget/ndrel direct blocks.
 *
 * Context: any context.
 */
void bget_pool_stats(struct bget_pool *bp, struct bget_stats *st)
{
	unsigned long flags;

	spin_lock_irqsave(&bp->lock, flags);
	stats_locked(bp, st);
	spin_unlock_irqrestore(&bp->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(bget_pool_stats, ALLOCPOOLS_NS);

/* ---- dumps ---- */

static void dump_bytes(const void *p, size_t len)
{
	const unsigned char *b = p;
	char line[16 * 3 + 1];
	size_t i, j;

	len = min_t(size_t, len, 256);
	for (i = 0; i < len; i += 16) {
		for (j = 0; j < 16 && i + j < len; j++)
			snprintf(line + 3 * j, 4, " %02x", b[i + j]);
		pr_info("    %04zx:%s\n", i, line);
	}
}

static void dump_blk_locked(struct bget_pool *bp, struct bget_region *r,
			    struct bget_hdr *h, bool data)
{
	const char *state = blk_free(h) ? "free" :
			    (h->info & BH_QUAR) ? "quarantined" : "allocated";

	lockdep_assert_held(&bp->lock);
	pr_info("bget/%s: region %u +%zu: %s block of %zu bytes, prevfree %zu\n",
		bp->ap.name, r->id, reg_offset(r, h), state, blk_size(h),
		h->prevfree);
	if (data)
		dump_bytes(blk_payload(h), blk_size(h) - BGET_HDR);
}

/**
 * bget_dump_buf() - log one buffer of a BGET pool (BGET's bufdump())
 * @bp: the pool
 * @buf: a live buffer of @bp
 *
 * Logs the block's region, offset, size and state and its first 256 bytes
 * with pr_info; no addresses.
 *
 * Context: any context.
 */
void bget_dump_buf(struct bget_pool *bp, void *buf)
{
	struct bget_region *r;
	struct bget_hdr *h;
	unsigned long flags;
	const char *what;

	spin_lock_irqsave(&bp->lock, flags);
	h = check_buf_locked(bp, buf, &r, &what);
	if (h)
		dump_blk_locked(bp, r, h, true);
	else
		pr_info("bget/%s: dump: %s\n", bp->ap.name, what);
	spin_unlock_irqrestore(&bp->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(bget_dump_buf, ALLOCPOOLS_NS);

/**
 * bget_pool_dump() - log every block of a BGET pool (BGET's bpoold())
 * @bp: the pool
 * @dumpalloc: also log the contents of allocated blocks
 * @dumpfree: also log the contents of free blocks
 *
 * Regions and their blocks in ascending address order, as region ids and
 * offsets; contents are cut at 256 bytes per block.
 *
 * Context: any context; meant for debugging (it logs a lot).
 */
void bget_pool_dump(struct bget_pool *bp, bool dumpalloc, bool dumpfree)
{
	struct bget_region *r;
	struct bget_hdr *h;
	unsigned long flags;
	struct rb_node *n;

	spin_lock_irqsave(&bp->lock, flags);
	pr_info("bget/%s: %zu bytes in use, %zu free, %lu free blocks\n",
		bp->ap.name, bp->curalloc, totfree_locked(bp),
		count_free_locked(bp));
	for (n = rb_first(&bp->regions); n; n = rb_next(n)) {
		r = rb_entry(n, struct bget_region, node);
		pr_info("bget/%s: region %u: %s, %zu bytes\n", bp->ap.name,
			r->id, bget_region_names[r->kind], r->len);
		for (h = reg_first(r); h < reg_end(r) && hdr_ok(h) && blk_size(h);
		     h = next_blk(h))
			dump_blk_locked(bp, r, h,
					blk_free(h) ? dumpfree : dumpalloc);
	}
	spin_unlock_irqrestore(&bp->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(bget_pool_dump, ALLOCPOOLS_NS);

/* ---- validation ---- */

struct bget_check {
	char *msg;
	size_t len;
	unsigned long nfree, live;
	size_t free_bytes, alloc_bytes, managed;
	long npool;
};

static __printf(2, 3) bool vfail(struct bget_check *c, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(c->msg, c->len, fmt, args);
	va_end(args);
	return false;
}

/* Is free block @h where the free index says it is? */
static bool indexed_locked(struct bget_pool *bp, struct bget_hdr *h)
{
	struct bget_free *f = blk_links(h);
	size_t size = blk_size(h);
	struct rb_node *n;

	lockdep_assert_held(&bp->lock);
	if (f->next && f->next->pprev != &f->next)
		return false;
	if (size < BGET_LARGE)
		return f->pprev && *f->pprev == f &&
		       test_bit(size_bin(size), bp->bin_map);
	if (f->pprev)
		return *f->pprev == f;
	for (n = bp->size_tree.rb_node; n;) {
		size_t s = blk_size(rb_blk(n));

		if (n == &f->rb)
			return true;
		n = size < s ? n->rb_left : n->rb_right;
	}
	return false;
}

static bool check_region_locked(struct bget_pool *bp, struct bget_region *r,
				struct bget_check *c)
{
	struct bget_hdr *h = reg_first(r), *end = reg_end(r);
	size_t prevfree = 0, size;
	unsigned int id = r->id;

	lockdep_assert_held(&bp->lock);
	if (r->kind > BGET_REGION_DIRECT || r->len < BGET_OVERHEAD + BGET_MIN_BLOCK ||
	    !IS_ALIGNED(r->len, BGET_QUANTUM))
		return vfail(c, "region %u: bad region header", id);
	c->managed += r->len;
	if (r->kind != BGET_REGION_DIRECT)
		c->npool++;
	while (h < end) {
		size_t off = reg_offset(r, h);

		if (!hdr_ok(h))
			return vfail(c, "region %u +%zu: smashed header", id, off);
		size = blk_size(h);
		if (size < BGET_MIN_BLOCK || size > (char *)end - (char *)h)
			return vfail(c, "region %u +%zu: bad block size %zu",
				     id, off, size);
		if (h->prevfree != prevfree)
			return vfail(c, "region %u +%zu: prevfree %zu, expected %zu",
				     id, off, h->prevfree, prevfree);
		if (blk_free(h)) {
			if (prevfree)
				return vfail(c, "region %u +%zu: free blocks not coalesced",
					     id, off);
			if (r->kind == BGET_REGION_DIRECT)
				return vfail(c, "region %u: free block in a direct block",
					     id);
			if (!indexed_locked(bp, h))
				return vfail(c, "region %u +%zu: free block not indexed",
					     id, off);
			if (pool_poison(bp) &&
			    !poison_ok(h, poison_skip(size), size))
				return vfail(c, "region %u +%zu: poison overwritten in free block",
					     id, off);
			c->nfree++;
			c->free_bytes += size;
			prevfree = size;
		} else {
			if (!(h->info & BH_QUAR)) {
				c->live++;
				c->alloc_bytes += size;
			}
			prevfree = 0;
		}
		h = blk_at(h, size);
	}
	if (h != end || !hdr_ok(end) || end->info != BH_ALLOC ||
	    end->prevfree != prevfree)
		return vfail(c, "region %u: bad end of region", id);
	if (r->kind == BGET_REGION_DIRECT &&
	    blk_size(reg_first(r)) != reg_span(r))
		return vfail(c, "region %u: direct block does not fill it", id);
	return true;
}

/* Walk bin @q's list: every entry a free block of q quanta, links intact. */
static bool check_bin_locked(struct bget_pool *bp, unsigned int q,
			     struct bget_check *c, unsigned long *count)
{
	struct bget_free *f, **pprev = &bp->bins[q];
	struct bget_hdr *h;

	lockdep_assert_held(&bp->lock);
	if (test_bit(q, bp->bin_map) != !!bp->bins[q])
		return vfail(c, "bin %u: bitmap bit wrong", q);
	for (f = bp->bins[q]; f; pprev = &f->next, f = f->next) {
		h = links_blk(f);
		if (f->pprev != pprev || !region_find_locked(bp, h) ||
		    !hdr_ok(h) || !blk_free(h) || size_bin(blk_size(h)) != q)
			return vfail(c, "bin %u: bad entry", q);
		if (++*count > c->nfree)
			return vfail(c, "bin %u: more entries than free blocks", q);
	}
	return true;
}

/* The size tree: sizes strictly ascending, chains of equal sizes. */
static bool check_tree_locked(struct bget_pool *bp, struct bget_check *c,
			      unsigned long *count)
{
	struct bget_free *f, *e, **pprev;
	size_t prev = 0, size;
	struct rb_node *n;
	struct bget_hdr *h;

	lockdep_assert_held(&bp->lock);
	for (n = rb_first(&bp->size_tree); n; n = rb_next(n)) {
		f = rb_entry(n, struct bget_free, rb);
		h = links_blk(f);
		if (!region_find_locked(bp, h) || !hdr_ok(h) || !blk_free(h) ||
		    f->pprev)
			return vfail(c, "size tree: entry %lu is not a free block",
				     *count);
		size = blk_size(h);
		if (size < BGET_LARGE || size <= prev)
			return vfail(c, "size tree: entry %lu out of order",
				     *count);
		prev = size;
		pprev = &f->next;
		for (e = f; e; e = e->next) {
			h = links_blk(e);
			if (e != f && (e->pprev != pprev ||
				       !region_find_locked(bp, h) || !hdr_ok(h) ||
				       !blk_free(h) || blk_size(h) != size))
				return vfail(c, "size tree: bad chain entry for %zu bytes",
					     size);
			pprev = &e->next;
			if (++*count > c->nfree)
				return vfail(c, "size tree: more entries than free blocks");
		}
	}
	return true;
}

static bool check_index_locked(struct bget_pool *bp, struct bget_check *c)
{
	unsigned long count = 0;
	unsigned int q, w;

	lockdep_assert_held(&bp->lock);
	for (w = 0; w < BGET_MAP_WORDS; w++)
		if (test_bit(w, &bp->bin_sum) != !!bp->bin_map[w])
			return vfail(c, "bin summary bit %u wrong", w);
	if (bp->bin_sum >> (BGET_MAP_WORDS - 1) >> 1)
		return vfail(c, "bin summary has stray bits");
	for (q = 0; q < BGET_NBINS; q++)
		if (!check_bin_locked(bp, q, c, &count))
			return false;
	if (!check_tree_locked(bp, c, &count))
		return false;
	if (count != c->nfree)
		return vfail(c, "free index holds %lu blocks, %lu free blocks found",
			     count, c->nfree);
	return true;
}

static bool validate_locked(struct bget_pool *bp, char *msg, size_t len)
{
	struct bget_check c = { .msg = msg, .len = len };
	struct bget_region *r, *prev = NULL;
	struct rb_node *n;

	lockdep_assert_held(&bp->lock);
	for (n = rb_first(&bp->regions); n; n = rb_next(n)) {
		r = rb_entry(n, struct bget_region, node);
		if (prev && (char *)prev + prev->len > (char *)r)
			return vfail(&c, "region %u overlaps region %u", r->id,
				     prev->id);
		if (!check_region_locked(bp, r, &c))
			return false;
		prev = r;
	}
	if (!check_index_locked(bp, &c))
		return false;
	if (c.free_bytes != totfree_locked(bp) ||
	    c.alloc_bytes != bp->curalloc || c.live != live_locked(bp) ||
	    c.managed != bp->managed || c.npool != bp->npool)
		return vfail(&c, "counters: free %zu/%zu, used %zu/%zu, live %lu/%lu",
			     c.free_bytes, totfree_locked(bp), c.alloc_bytes,
			     bp->curalloc, c.live, live_locked(bp));
	return true;
}

#define BGET_MSG_LEN	160

/* Run the validator under the lock; @msg gets what is wrong. */
static bool validate(struct bget_pool *bp, char *msg, size_t len)
{
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&bp->lock, flags);
	ok = validate_locked(bp, msg, len);
	spin_unlock_irqrestore(&bp->lock, flags);
	return ok;
}

/**
 * bget_pool_validate() - check every block of a BGET pool (BGET's bpoolv())
 * @bp: the pool
 *
 * Walks every region and block: header checksums, sizes, boundary tags,
 * that no two free blocks are adjacent, that each free block is in the
 * free index and the index holds nothing else, poison in free blocks
 * (BGET_POISON), and the counters.  The first problem found is logged with
 * pr_err.
 *
 * Context: any context; takes time linear in the pool's size.
 * Return: true if the pool is consistent.
 */
bool bget_pool_validate(struct bget_pool *bp)
{
	char msg[BGET_MSG_LEN];
	bool ok = validate(bp, msg, sizeof(msg));

	if (!ok)
		pr_err("bget/%s: %s\n", bp->ap.name, msg);
	return ok;
}
EXPORT_SYMBOL_NS_GPL(bget_pool_validate, ALLOCPOOLS_NS);

/* ---- debugfs and the pools table ---- */

static void bget_row(struct ap_pool *pool, struct ap_row *row)
{
	struct bget_pool *bp = container_of(pool, struct bget_pool, ap);
	unsigned long flags;

	spin_lock_irqsave(&bp->lock, flags);
	row->size = bp->managed;
	row->used = bp->curalloc;
	row->free = totfree_locked(bp);
	row->allocs = bp->nget;
	row->frees = bp->nrel;
	row->failures = bp->failures;
	row->invalid_frees = bp->invalid_frees;
	spin_unlock_irqrestore(&bp->lock, flags);
}

static int bget_stats_show(struct seq_file *m, struct ap_pool *pool)
{
	struct bget_pool *bp = container_of(pool, struct bget_pool, ap);
	struct bget_stats st;

	bget_pool_stats(bp, &st);
	seq_printf(m, "curalloc: %zu\n", st.curalloc);
	seq_printf(m, "totfree: %zu\n", st.totfree);
	seq_printf(m, "maxfree: %zu\n", st.maxfree);
	seq_printf(m, "nget: %ld\n", st.nget);
	seq_printf(m, "nrel: %ld\n", st.nrel);
	seq_printf(m, "pool_incr: %zu\n", st.pool_incr);
	seq_printf(m, "npool: %ld\n", st.npool);
	seq_printf(m, "npget: %ld\n", st.npget);
	seq_printf(m, "nprel: %ld\n", st.nprel);
	seq_printf(m, "ndget: %ld\n", st.ndget);
	seq_printf(m, "ndrel: %ld\n", st.ndrel);
	seq_printf(m, "failures: %llu\n", st.failures);
	seq_printf(m, "invalid_frees: %llu\n", st.invalid_frees);
	return 0;
}

static int bget_validate_show(struct seq_file *m, struct ap_pool *pool)
{
	struct bget_pool *bp = container_of(pool, struct bget_pool, ap);
	char msg[BGET_MSG_LEN];

	seq_printf(m, "%s\n", validate(bp, msg, sizeof(msg)) ? "ok" : msg);
	return 0;
}

static const struct ap_file bget_files[] = {
	{ .name = "stats", .show = bget_stats_show },
	{ .name = "validate", .show = bget_validate_show },
};

static const struct ap_kind bget_kind = {
	.name = "bget",
	.row = bget_row,
	.files = bget_files,
	.nr_files = ARRAY_SIZE(bget_files),
};

/* ---- create, add, destroy ---- */

/**
 * bget_pool_create() - create a BGET pool
 * @name: 1..31 characters of [A-Za-z0-9_.-], unique among BGET pools
 * @size: bytes of the initial vmalloc'd region, or 0 for an empty pool to
 * be fed with bget_pool_add() or the acquire callback
 * @flags: BGET_BEST_FIT, BGET_POISON
 *
 * Context: process context; sleeps.
 * Return: the pool, or ERR_PTR(-EINVAL) (bad name, unknown flag, @size too
 * small for one block or over 16 GiB), ERR_PTR(-EEXIST) (name taken),
 * ERR_PTR(-ENOMEM).
 */
struct bget_pool *bget_pool_create(const char *name, size_t size,
				   unsigned int flags)
{
	struct bget_pool *bp;
	struct bget_region *r;
	void *buf;
	int ret;

	might_sleep();
	if ((flags & ~BGET_KNOWN_FLAGS) || !ap_name_valid(name))
		return ERR_PTR(-EINVAL);
	/* vmalloc memory is page aligned: the region starts on its first byte. */
	if (size && (size < BGET_OVERHEAD + BGET_MIN_BLOCK ||
		     ALIGN_DOWN(size, BGET_QUANTUM) - BGET_OVERHEAD > BGET_MAX_BLOCK))
		return ERR_PTR(-EINVAL);
	bp = kzalloc(sizeof(*bp), GFP_KERNEL);
	if (!bp)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&bp->lock);
	bp->flags = flags;
	bp->regions = RB_ROOT;
	bp->size_tree = RB_ROOT;

	if (size) {
		unsigned long irqflags;

		buf = vmalloc(size);
		if (!buf) {
			ret = -ENOMEM;
			goto free_pool;
		}
		r = region_init(bp, buf, size, BGET_REGION_INITIAL, 0);
		spin_lock_irqsave(&bp->lock, irqflags);
		region_link_locked(bp, r);
		spin_unlock_irqrestore(&bp->lock, irqflags);
	}
	ret = ap_pool_register(&bp->ap, &bget_kind, name);
	if (ret)
		goto free_region;
	return bp;

free_region:
	if (size)
		vfree(buf);
free_pool:
	kfree(bp);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(bget_pool_create, ALLOCPOOLS_NS);

/**
 * bget_pool_add() - give a BGET pool a buffer to allocate from (bpool())
 * @bp: the pool
 * @buf: the buffer; it stays the caller's and must outlive the pool
 * @len: its length in bytes
 *
 * @buf need not be aligned: the region starts at the first 16-byte
 * boundary in it and ends at the last, and takes 64 bytes of that for its
 * own bookkeeping.  The buffer must not overlap memory the pool already
 * manages.
 *
 * Context: process context.
 * Return: 0, or -EINVAL (NULL @buf, fewer than 112 usable bytes once
 * aligned, a region over 16 GiB, or an overlap).
 */
int bget_pool_add(struct bget_pool *bp, void *buf, size_t len)
{
	struct bget_region *r;
	unsigned long flags;
	bool overlap;

	might_sleep();
	if (!buf || !region_len_ok(buf, len))
		return -EINVAL;
	spin_lock_irqsave(&bp->lock, flags);
	overlap = region_overlaps_locked(bp, buf, len);
	spin_unlock_irqrestore(&bp->lock, flags);
	if (overlap)
		return -EINVAL;
	/* Laid out unlocked: until linked, nobody else can see it. */
	r = region_init(bp, buf, len, BGET_REGION_CALLER, 0);
	spin_lock_irqsave(&bp->lock, flags);
	region_link_locked(bp, r);
	spin_unlock_irqrestore(&bp->lock, flags);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(bget_pool_add, ALLOCPOOLS_NS);

/**
 * bget_pool_destroy() - destroy a BGET pool and everything in it
 * @bp: the pool; NULL or an ERR_PTR is a no-op
 *
 * Live buffers are freed with the pool (and one warning counts them).  The
 * initial region is vfree'd, expansion and direct blocks go back through
 * the release callback; buffers added with bget_pool_add() are the
 * caller's again.
 *
 * Context: process context; no other call on @bp may be running or follow.
 */
void bget_pool_destroy(struct bget_pool *bp)
{
	void (*release)(struct bget_pool *bp, void *buf);
	struct bget_region *r;
	struct rb_node *n;
	void *buf;

	if (IS_ERR_OR_NULL(bp))
		return;
	might_sleep();
	ap_pool_unregister(&bp->ap);
	if (bp->nget != bp->nrel)
		ap_warn_live(&bp->ap, bp->nget - bp->nrel);
	release = bp->ops.release;
	while ((n = rb_first(&bp->regions))) {
		r = rb_entry(n, struct bget_region, node);
		rb_erase(n, &bp->regions);
		buf = r->buf;
		if (r->kind == BGET_REGION_INITIAL)
			vfree(buf);
		else if (r->kind != BGET_REGION_CALLER && release)
			release(bp, buf);
	}
	kfree(bp);
}
EXPORT_SYMBOL_NS_GPL(bget_pool_destroy, ALLOCPOOLS_NS);

/* ---- the default acquire/release pair ---- */

static void *bget_vmalloc_acquire(struct bget_pool *bp, size_t size,
				  gfp_t gfp)
{
	if (!gfpflags_allow_blocking(gfp))
		return NULL;
	return vmalloc(size);
}

static void bget_vmalloc_release(struct bget_pool *bp, void *buf)
{
	vfree(buf);
}

/*
 * bget_vmalloc_ops - acquire expansion blocks with vmalloc() (only when the
 * allocating caller's gfp mask allows blocking) and release them with
 * vfree().  No compaction.
 */
const struct bget_ops bget_vmalloc_ops = {
	.acquire = bget_vmalloc_acquire,
	.release = bget_vmalloc_release,
};
EXPORT_SYMBOL_NS_GPL(bget_vmalloc_ops, ALLOCPOOLS_NS);

#if IS_ENABLED(CONFIG_ALLOCPOOLS_KUNIT_TEST)
#include "kunit/bget_pool_test.c"
#endif
