/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lock of a per-CPU cache in front of a pool (buddy_arena.c's and
 * bget_pool.c's fronts).
 *
 * A cache is its CPU's own but for the few who reach into it from another
 * CPU (stats, a drain, an invariant walk), so its lock is almost never
 * contended, and the fast paths take it inline: an arch_spinlock_t, with
 * hard interrupts off, and lockdep told by hand (a raw_spinlock_t's
 * out-of-line lock and unlock calls, and the registers they make the fast
 * paths save, cost more than the locked work the cache saves).  Correct on
 * PREEMPT_RT as well: hard interrupts off there too, and nothing is taken,
 * sleeps or spins on anything else under it.  Lock order: the pool lock,
 * then any number of caches' locks in CPU order (nested under the pool
 * lock, for lockdep); the fast paths hold their own CPU's alone.
 */
#ifndef _ALLOCPOOLS_PCP_H
#define _ALLOCPOOLS_PCP_H

#include <linux/compiler.h>
#include <linux/lockdep.h>
#include <linux/spinlock.h>

/**
 * struct ap_pcp_lock - the lock of one CPU's cache
 * @l: an arch_spinlock_t, taken only with hard interrupts off (see
 *	ap_pcp_lock()); named @l as the userspace shim's locks are
 * @dep_map: what lockdep knows of it
 */
struct ap_pcp_lock {
	arch_spinlock_t l;
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	struct lockdep_map dep_map;
#endif
};

#ifdef CONFIG_DEBUG_LOCK_ALLOC
#define ap_pcp_dep_acquire(lk, try, nest) \
	lock_acquire_exclusive(&(lk)->dep_map, 0, try, nest, _THIS_IP_)
#define ap_pcp_dep_release(lk)	lock_release(&(lk)->dep_map, _THIS_IP_)
#else
#define ap_pcp_dep_acquire(lk, try, nest)	do { } while (0)
#define ap_pcp_dep_release(lk)			do { } while (0)
#endif

/* Set up @lk, of lockdep class @key, called @name. */
static inline void ap_pcp_lock_init(struct ap_pcp_lock *lk, const char *name,
				    struct lock_class_key *key)
{
	lk->l = (arch_spinlock_t)__ARCH_SPIN_LOCK_UNLOCKED;
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	lockdep_init_map_wait(&lk->dep_map, name, key, 0, LD_WAIT_SPIN);
#endif
}

/* Take @lk, hard interrupts off; @nest: the pool lock, if held. */
static __always_inline void ap_pcp_lock(struct ap_pcp_lock *lk,
					raw_spinlock_t *nest)
{
	lockdep_assert_irqs_disabled();
	ap_pcp_dep_acquire(lk, 0, nest ? &nest->dep_map : NULL);
	arch_spin_lock(&lk->l);
}

/*
 * Take this CPU's cache lock @lk if it is free, hard interrupts off: the
 * fast paths' way, with no call in it (a remote holder, who holds the pool
 * lock too, sends them to the locked path).
 */
static __always_inline bool ap_pcp_trylock(struct ap_pcp_lock *lk)
{
	lockdep_assert_irqs_disabled();
	if (unlikely(!arch_spin_trylock(&lk->l)))
		return false;
	ap_pcp_dep_acquire(lk, 1, NULL);
	return true;
}

static __always_inline void ap_pcp_unlock(struct ap_pcp_lock *lk)
{
	arch_spin_unlock(&lk->l);
	ap_pcp_dep_release(lk);
}

#endif /* _ALLOCPOOLS_PCP_H */
