/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The buddy arena.
 *
 * Power-of-two blocks of 2^min_order .. 2^max_order bytes over one or more
 * vmalloc'd regions, split on allocation and coalesced with their buddy on
 * free.  Block metadata lives outside the blocks.
 */
#ifndef _ALLOCPOOLS_BUDDY_ARENA_H
#define _ALLOCPOOLS_BUDDY_ARENA_H

#include <linux/gfp.h>
#include <linux/types.h>

/**
 * DOC: buddy arena flags and limits
 *
 * Flags of buddy_arena_create():
 *
 * ``BUDDY_ARENA_GROW``
 *	add a region when the arena is full and the caller's gfp may block;
 *	a grown region that becomes entirely free is given back.
 * ``BUDDY_ARENA_POISON``
 *	fill freed blocks with ``POISON_FREE`` and check them when they are
 *	handed out again.
 *
 * Orders run from ``BUDDY_ARENA_MIN_ORDER`` (4, 16-byte blocks) to
 * ``BUDDY_ARENA_MAX_ORDER`` (30, 1 GiB blocks); ``BUDDY_ARENA_ORDERS`` is
 * the length of &struct buddy_arena_stats' @free_blocks.
 */
#define BUDDY_ARENA_GROW	BIT(0)	/* add a region when full (blocking gfp only) */
#define BUDDY_ARENA_POISON	BIT(1)

#define BUDDY_ARENA_MIN_ORDER	4
#define BUDDY_ARENA_MAX_ORDER	30
#define BUDDY_ARENA_ORDERS	31

struct buddy_arena;

/**
 * struct buddy_arena_stats - a buddy arena's counters, filled by
 *	buddy_arena_stats()
 * @size: usable bytes in all regions
 * @free_bytes: bytes in the blocks on the free lists
 * @allocated_bytes: the rest: live blocks, and blocks in transit or cut off
 *	after corruption
 * @requested_bytes: the sizes asked for by the live blocks, each rounded up
 *	to 2^min_order
 * @largest_free: the largest free block, in bytes; 0 when none is free
 * @regions: regions the arena owns
 * @min_order: the smallest block is 2^@min_order bytes
 * @max_order: the largest block is 2^@max_order bytes
 * @live_blocks: blocks handed out and not yet freed
 * @free_blocks: per order, free blocks of that order, as /proc/buddyinfo
 * @frag_index: mm/vmstat.c's fragmentation index for @max_order, in
 *	thousandths; -1000 when a block of that order is free
 * @allocs: successful allocations
 * @frees: successful frees
 * @failures: allocations that returned NULL for want of memory
 * @invalid_frees: refused frees, and damage found (reported alike)
 * @corruptions: damage found alone: poison overwritten in a free block, a
 *	damaged free-list link
 * @injected: allocations failed on purpose through the pool's fail/
 *	knobs (fault injection); not counted in @failures
 */
struct buddy_arena_stats {
	size_t size, free_bytes, allocated_bytes, requested_bytes, largest_free;
	unsigned int regions, min_order, max_order;
	unsigned long live_blocks, free_blocks[BUDDY_ARENA_ORDERS];
	int frag_index;
	u64 allocs, frees, failures, invalid_frees, corruptions;
	u64 injected;
};

struct buddy_arena *buddy_arena_create(const char *name, size_t size,
				       unsigned int min_order,
				       unsigned int max_order,
				       unsigned int flags);
void buddy_arena_destroy(struct buddy_arena *ba);
int buddy_arena_add_region(struct buddy_arena *ba, size_t size);
void *buddy_arena_alloc(struct buddy_arena *ba, size_t size, gfp_t gfp);
int buddy_arena_free(struct buddy_arena *ba, void *ptr);
size_t buddy_arena_block_size(struct buddy_arena *ba, const void *ptr);
void buddy_arena_stats(struct buddy_arena *ba, struct buddy_arena_stats *st);
struct buddy_arena *buddy_arena_default(void);

#endif /* _ALLOCPOOLS_BUDDY_ARENA_H */
