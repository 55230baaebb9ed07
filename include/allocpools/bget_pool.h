/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BGET-style coalescing pool.
 *
 * John Walker's BGET, made per pool and SMP-safe: first-fit or exact
 * best-fit allocation with boundary-tag coalescing, pools fed by vmalloc'd
 * or caller-provided buffers, and compact/acquire/release callbacks.
 */
#ifndef _ALLOCPOOLS_BGET_POOL_H
#define _ALLOCPOOLS_BGET_POOL_H

#include <linux/gfp.h>
#include <linux/types.h>

/**
 * DOC: BGET pool flags
 *
 * Flags of bget_pool_create():
 *
 * ``BGET_BEST_FIT``
 *	exact best fit: the smallest free block that fits.
 * ``BGET_POISON``
 *	fill freed buffers with ``POISON_FREE`` and check them when they are
 *	handed out again.
 * ``BGET_PERCPU``
 *	a per-CPU front: each CPU keeps, per block size of 3 to 257 quanta
 *	(48 to 4112 bytes, header included: requests of 1 to 4096 bytes), a
 *	stack of up to 24 freed blocks of the pool's initial region (the
 *	one bget_pool_create() carves), filled and emptied 12 at a time
 *	under the pool lock (a fill cuts the 11 blocks it caches from one
 *	free block that holds them all where there is one); a free of such
 *	a block and an allocation of a size the CPU holds take no pool
 *	lock.  Blocks of bget_pool_add() regions, expansion and direct
 *	blocks are never cached, so an
 *	expansion block is still released inside the bget_free() that
 *	makes it entirely free.  A cached block does not coalesce until it
 *	is given back: every CPU's cache is drained (its blocks merged as
 *	frees would) before compact or acquire is called, before an
 *	allocation failure is reported, at the start of bget_pool_stats(),
 *	bget_pool_validate() and bget_pool_dump(), on destroy and when a
 *	CPU goes offline, so the stats of a quiet pool are those without
 *	the front.  Fit: a cached block has exactly the request's block
 *	size, so it is a smallest fitting block when cached blocks count as
 *	free; of blocks of equal size the front returns the one most
 *	recently freed on this CPU.  A second free of a cached block is
 *	refused as a double free.  With ``BGET_POISON`` the flag is
 *	accepted and the front stays off.
 *
 * Buffers are multiples of, and aligned to, ``BGET_QUANTUM`` (16) bytes.
 *
 * ``bget_vmalloc_ops`` (exported) is a ready set of callbacks for
 * bget_pool_ctl(): expansion blocks come from __vmalloc() with the
 * allocating caller's gfp mask, only when it may block, and go back
 * through a work item of the pool that vfree()s them, so that bget_free()
 * never sleeps; there is no compaction.
 */

/*
 * Exact best fit.  First fit, the default, takes the first block that fits
 * in the pool's free index, which is ordered by size, so that it too gives
 * a smallest fitting block today; the flag keeps its meaning for callers
 * that need the guarantee whatever the index becomes.
 */
#define BGET_BEST_FIT	BIT(0)
#define BGET_POISON	BIT(1)	/* fill freed buffers with POISON_FREE, check on reuse */
#define BGET_PERCPU	BIT(2)	/* per-CPU caches of small blocks (see the DOC above) */

/* Buffers are multiples of, and aligned to, this quantum. */
#define BGET_QUANTUM	16

struct bget_pool;

/**
 * struct bget_ops - a BGET pool's compact, acquire and release callbacks
 * @compact: asked to free memory when a request of @sizereq bytes cannot be
 *	met, with @sequence 1, 2, ... for that request, while it returns
 *	nonzero and the request still fails
 * @acquire: asked for a new expansion block (or a direct block for a large
 *	request); returns it, or NULL
 * @release: handed an expansion block once it is entirely free, and a
 *	direct block when it is freed
 *
 * The callbacks run without the pool lock.  compact and acquire run in the
 * allocating caller's context with its gfp mask; release runs in the
 * context of the bget_free() that freed the block (any context, hard IRQ
 * included) and must suit it.  See bget_pool_ctl().
 */
struct bget_ops {
	int (*compact)(struct bget_pool *bp, size_t sizereq, int sequence);
	void *(*acquire)(struct bget_pool *bp, size_t size, gfp_t gfp);
	void (*release)(struct bget_pool *bp, void *buf);
};

/**
 * struct bget_stats - a BGET pool's counters, filled by bget_pool_stats()
 * @curalloc: bytes in allocated blocks, headers included (BGET's bstats)
 * @totfree: bytes in free blocks, headers included
 * @maxfree: the largest buffer one allocation could get without growing
 * @nget: successful allocations
 * @nrel: frees
 * @pool_incr: expansion block size (BGET's bstatse)
 * @npool: regions on the books (not direct blocks)
 * @npget: expansion blocks acquired
 * @nprel: expansion blocks released
 * @ndget: direct blocks acquired
 * @ndrel: direct blocks released
 * @failures: allocations that returned NULL for want of memory
 * @invalid_frees: refused frees, and damage found (reported alike)
 * @corruptions: damage found alone: poison overwritten, a damaged header,
 *	boundary tag or free-list link
 * @injected: allocations failed on purpose through the pool's fail/
 *	knobs (fault injection); not counted in @failures
 */
struct bget_stats {
	size_t curalloc, totfree, maxfree;	/* bstats */
	long nget, nrel;
	size_t pool_incr;			/* bstatse */
	long npool, npget, nprel, ndget, ndrel;
	u64 failures, invalid_frees, corruptions;
	u64 injected;
};

struct bget_pool *bget_pool_create(const char *name, size_t size,
				   unsigned int flags);
void bget_pool_destroy(struct bget_pool *bp);
int bget_pool_add(struct bget_pool *bp, void *buf, size_t len);
void *bget_alloc(struct bget_pool *bp, size_t size, gfp_t gfp);
void *bget_zalloc(struct bget_pool *bp, size_t size, gfp_t gfp);
void *bget_realloc(struct bget_pool *bp, void *buf, size_t newsize, gfp_t gfp);
int bget_free(struct bget_pool *bp, void *buf);
int bget_pool_ctl(struct bget_pool *bp, const struct bget_ops *ops,
		  size_t pool_incr);
void bget_pool_stats(struct bget_pool *bp, struct bget_stats *st);
void bget_dump_buf(struct bget_pool *bp, void *buf);
void bget_pool_dump(struct bget_pool *bp, bool dumpalloc, bool dumpfree);
bool bget_pool_validate(struct bget_pool *bp);
extern const struct bget_ops bget_vmalloc_ops;
struct bget_pool *bget_pool_default(void);

#endif /* _ALLOCPOOLS_BGET_POOL_H */
