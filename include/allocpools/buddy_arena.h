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

#define BUDDY_ARENA_GROW	BIT(0)	/* add a region when full (blocking gfp only) */
#define BUDDY_ARENA_POISON	BIT(1)

#define BUDDY_ARENA_MIN_ORDER	4
#define BUDDY_ARENA_MAX_ORDER	30
#define BUDDY_ARENA_ORDERS	31

struct buddy_arena;

struct buddy_arena_stats {
	size_t size, free_bytes, allocated_bytes, requested_bytes, largest_free;
	unsigned int regions, min_order, max_order;
	unsigned long live_blocks, free_blocks[BUDDY_ARENA_ORDERS];
	int frag_index;
	u64 allocs, frees, failures, invalid_frees, corruptions;
	u64 injected;		/* failed on purpose by fail/; not in failures */
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
