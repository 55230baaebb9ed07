/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddy_common.h - helpers shared by the buddy arena model test and fuzzer.
 * Both #include buddy_arena.c itself so they can reach its static helpers.
 */
#ifndef _BUDDY_COMMON_H
#define _BUDDY_COMMON_H

static inline bool buddy_check(struct buddy_arena *ba)
{
	unsigned long flags;
	bool ok;

	raw_spin_lock_irqsave(&ba->lock, flags);
	ok = buddy_check_locked(ba);
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	return ok;
}

/* The same, for an arena written over on purpose: see check_arena_locked(). */
static inline bool buddy_check_damaged(struct buddy_arena *ba)
{
	unsigned long flags;
	bool ok;

	raw_spin_lock_irqsave(&ba->lock, flags);
	ok = check_arena_locked(ba, true);
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	return ok;
}

/* The free blocks an untouched region of @size is carved into. */
static inline void carve_layout(unsigned int min, unsigned int max,
				size_t size, unsigned long *nr_free)
{
	size_t rem = size >> min << min;

	while (rem >> min) {
		unsigned int k = __fls(rem) < max ? __fls(rem) : max;

		nr_free[k]++;
		rem -= 1UL << k;
	}
}

#endif
