/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Power-of-two size-class free lists.
 *
 * The "freeing-bump" design: 22 classes of 8 B .. 16 MiB, each a LIFO free
 * list, fed by a bump pointer over one vmalloc'd heap, or by slabs taken
 * from (and given back to) a buddy arena.
 */
#ifndef _ALLOCPOOLS_BUMP_SLAB_H
#define _ALLOCPOOLS_BUMP_SLAB_H

#include <linux/gfp.h>
#include <linux/types.h>

/**
 * DOC: size-class flags and limits
 *
 * Flag of bump_slab_create() and bump_slab_create_on():
 *
 * ``BUMP_SLAB_POISON``
 *	fill freed objects with ``POISON_FREE`` and check them when they are
 *	handed out again.
 *
 * ``BUMP_SLAB_PERCPU``
 *	bump_slab_create_on() only: a per-CPU front for the classes of up to
 *	4 KiB (those whose slab block is at most 8 KiB).  Each CPU keeps a
 *	stack of up to 64 free objects per class, refilled from and flushed
 *	to the slabs 32 at a time under the pool lock; an allocation or a
 *	free that finds room in its CPU's stack takes no pool lock.  The
 *	slab rule becomes: a slab goes back to the arena once all its
 *	objects are free and none of them is in a CPU's stack.  Every CPU's
 *	stack is drained back to the slabs (so that all-free slabs go back)
 *	at the start of bump_slab_stats(), at destroy, when a CPU goes
 *	offline, and before an allocation failure is reported because the
 *	arena has no block for a new slab.  With ``BUMP_SLAB_POISON`` the
 *	flag is accepted and the front stays off (every object's poison is
 *	checked under the pool's rules, as without the flag).
 *	bump_slab_create() accepts the flag and changes nothing: a heap pool
 *	always has its per-CPU caches.
 *
 * There are ``BUMP_SLAB_CLASSES`` (22) classes, of ``BUMP_SLAB_MIN_SIZE``
 * (8 bytes) to ``BUMP_SLAB_MAX_SIZE`` (16 MiB); class i holds objects of
 * 8 << i bytes, each after an 8-byte header.
 */
#define BUMP_SLAB_POISON	BIT(0)
#define BUMP_SLAB_PERCPU	BIT(1)

#define BUMP_SLAB_CLASSES	22
#define BUMP_SLAB_MIN_SIZE	8UL
#define BUMP_SLAB_MAX_SIZE	(8UL << (BUMP_SLAB_CLASSES - 1))

struct bump_slab;
struct buddy_arena;

/**
 * struct bump_slab_stats - a size-class pool's counters, filled by
 *	bump_slab_stats()
 * @heap_size: heap mode: the heap's size; 0 on a buddy arena
 * @bump_offset: heap mode: how far the bump pointer has gone; 0 on a buddy
 *	arena
 * @slabs: buddy mode: slabs taken from the arena
 * @classes: one entry per class
 * @classes.size: the class's object size
 * @classes.live: objects handed out and not yet freed
 * @classes.free_listed: free objects the class holds
 * @classes.slabs: buddy mode: the class's slabs
 * @classes.allocs: successful allocations
 * @classes.frees: successful frees
 * @failures: allocations that returned NULL for want of memory
 * @invalid_frees: refused frees, and damage found (reported alike)
 * @corruptions: damage found alone: poison overwritten, a damaged header or
 *	free-list link
 * @injected: allocations failed on purpose through the pool's fail/
 *	knobs (fault injection); not counted in @failures
 */
struct bump_slab_stats {
	size_t heap_size, bump_offset;		/* heap mode; 0 on a buddy arena */
	unsigned long slabs;			/* buddy mode */
	struct {
		size_t size;
		unsigned long live, free_listed, slabs;
		u64 allocs, frees;
	} classes[BUMP_SLAB_CLASSES];
	u64 failures, invalid_frees, corruptions;
	u64 injected;
};

struct bump_slab *bump_slab_create(const char *name, size_t heap_size,
				   unsigned int flags);
struct bump_slab *bump_slab_create_on(const char *name,
				      struct buddy_arena *backing,
				      unsigned int flags);
void bump_slab_destroy(struct bump_slab *bs);
void *bump_slab_alloc(struct bump_slab *bs, size_t size, gfp_t gfp);
int bump_slab_free(struct bump_slab *bs, void *ptr);
size_t bump_slab_size(struct bump_slab *bs, const void *ptr);
void bump_slab_stats(struct bump_slab *bs, struct bump_slab_stats *st);
struct bump_slab *bump_slab_default(void);

#endif /* _ALLOCPOOLS_BUMP_SLAB_H */
