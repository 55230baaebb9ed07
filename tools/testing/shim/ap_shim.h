/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ap_shim.h - just enough of the kernel API for the allocpools sources to
 * compile unchanged in userspace (the tools/testing/radix-tree pattern).
 *
 * Every linux/ header beside this file includes this one header.  Spinlocks are
 * pthread mutexes that remember their owner, so lockdep_assert_held() and
 * might_sleep() are checked for real; vmalloc()/kmalloc() sit on malloc with
 * an injectable failure hook; printk goes to stderr and is counted, so a test
 * can assert how many errors an allocator reported.
 */
#ifndef _AP_SHIM_H
#define _AP_SHIM_H

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef long long s64;
typedef unsigned int gfp_t;

/* ---- compiler ---- */
#define likely(x)		__builtin_expect(!!(x), 1)
/* The trace calls' call site (linux/instruction_pointer.h). */
#define _RET_IP_		0UL
#define unlikely(x)		__builtin_expect(!!(x), 0)
#ifndef __always_inline
#define __always_inline		inline __attribute__((always_inline))
#endif
#define noinline		__attribute__((noinline))
#define __maybe_unused		__attribute__((unused))
#define __always_unused		__attribute__((unused))
#define __must_check		__attribute__((warn_unused_result))
#define __aligned(x)		__attribute__((aligned(x)))
#define __packed		__attribute__((packed))
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#define __cold			__attribute__((cold))
#define __init
#define __exit
#define __user
#define __iomem
#define __percpu
#define __rcu
#define __force
#define __bitwise
#define __read_mostly
#define __ro_after_init
#ifndef fallthrough
#define fallthrough		__attribute__((__fallthrough__))
#endif
#define barrier()		__asm__ __volatile__("" ::: "memory")
#ifdef __SANITIZE_THREAD__
/* TSan: marked accesses are atomic to it, as they are to KCSAN */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#else
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))
#endif
#define smp_mb()		__sync_synchronize()
#define smp_rmb()		__sync_synchronize()
#define smp_wmb()		__sync_synchronize()
#define smp_mb__before_atomic()	__sync_synchronize()
#define smp_load_acquire(p)	__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)
#define data_race(x)		(x)
#define BUILD_BUG_ON(c)		_Static_assert(!(c), #c)
#define BUILD_BUG_ON_MSG(c, m)	_Static_assert(!(c), m)
#undef static_assert
#define static_assert(c, ...)	_Static_assert(c, #c)

/* ---- kconfig ---- */
#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define __is_defined(x)			___is_defined(x)
#define ___is_defined(val)		____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk)	__take_second_arg(arg1_or_junk 1, 0)
#define IS_ENABLED(option)		__is_defined(option)
#define IS_BUILTIN(option)		__is_defined(option)

/* ---- version ---- */
#define KERNEL_VERSION(a, b, c)	(((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))
#define LINUX_VERSION_CODE	KERNEL_VERSION(6, 1, 0)

/* ---- arithmetic ---- */
#define BITS_PER_LONG		64
#define BITS_PER_BYTE		8
#define BIT(n)			(1UL << (n))
#define BIT_ULL(n)		(1ULL << (n))
#define GENMASK(h, l)		(((~0UL) << (l)) & (~0UL >> (BITS_PER_LONG - 1 - (h))))
#define BITS_TO_LONGS(n)	(((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define __ALIGN_MASK(x, m)	(((x) + (m)) & ~(m))
#define ALIGN(x, a)		__ALIGN_MASK(x, (__typeof__(x))(a) - 1)
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)
#define PTR_ALIGN(p, a)		((__typeof__(p))ALIGN((unsigned long)(p), (a)))
#define round_up(x, y)		((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define round_down(x, y)	((x) & ~((__typeof__(x))((y) - 1)))
#define min(a, b)		({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); _a < _b ? _a : _b; })
#define max(a, b)		({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); _a > _b ? _a : _b; })
#define min_t(t, a, b)		({ t _a = (a); t _b = (b); _a < _b ? _a : _b; })
#define max_t(t, a, b)		({ t _a = (a); t _b = (b); _a > _b ? _a : _b; })
#define clamp(v, lo, hi)	min(max(v, lo), hi)
#define clamp_t(t, v, lo, hi)	min_t(t, max_t(t, v, lo), hi)
#define swap(a, b)		do { __typeof__(a) _t = (a); (a) = (b); (b) = _t; } while (0)
#define abs(x)			__builtin_abs(x)
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define sizeof_field(t, m)	sizeof(((t *)0)->m)
#define U8_MAX			UINT8_MAX
#define U16_MAX			UINT16_MAX
#define U32_MAX			UINT32_MAX
#define U64_MAX			UINT64_MAX
#define S32_MAX			INT32_MAX
#define S64_MAX			INT64_MAX
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x)		ALIGN(x, PAGE_SIZE)
#define SZ_1K	0x400
#define SZ_4K	0x1000
#define SZ_8K	0x2000
#define SZ_16K	0x4000
#define SZ_64K	0x10000
#define SZ_1M	0x100000
#define SZ_4M	0x400000
#define SZ_16M	0x1000000
#define SZ_1G	0x40000000

#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d)	__builtin_sub_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)

static inline size_t size_mul(size_t a, size_t b)
{
	size_t r;

	return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}

static inline size_t size_add(size_t a, size_t b)
{
	size_t r;

	return __builtin_add_overflow(a, b, &r) ? SIZE_MAX : r;
}

#define array_size(a, b)	size_mul(a, b)
#define struct_size(p, member, n) \
	size_add(sizeof(*(p)), size_mul(sizeof(*(p)->member), n))

static inline int fls(unsigned int x) { return x ? 32 - __builtin_clz(x) : 0; }
static inline int fls64(u64 x) { return x ? 64 - __builtin_clzll(x) : 0; }
static inline unsigned long __ffs(unsigned long x) { return __builtin_ctzl(x); }
static inline unsigned long __fls(unsigned long x) { return 63 - __builtin_clzl(x); }
static inline unsigned long ffz(unsigned long x) { return __builtin_ctzl(~x); }
static inline u64 __ffs64(u64 x) { return __builtin_ctzll(x); }
static inline int ilog2(u64 n) { return fls64(n) - 1; }
static inline bool is_power_of_2(unsigned long n) { return n && !(n & (n - 1)); }
static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	return n <= 1 ? 1 : 1UL << fls64(n - 1);
}
static inline unsigned long rounddown_pow_of_two(unsigned long n)
{
	return 1UL << (fls64(n) - 1);
}
static inline int order_base_2(unsigned long n)
{
	return n <= 1 ? 0 : ilog2(n - 1) + 1;
}
static inline unsigned int hweight_long(unsigned long w) { return __builtin_popcountl(w); }

/* ---- errors ---- */
#define MAX_ERRNO	4095
#define IS_ERR_VALUE(x)	unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }
static inline void *ERR_CAST(const void *ptr) { return (void *)ptr; }
static inline int PTR_ERR_OR_ZERO(const void *ptr) { return IS_ERR(ptr) ? PTR_ERR(ptr) : 0; }

/* ---- printk, WARN ---- */
extern unsigned long ap_shim_nr_err;	/* pr_err and above */
extern unsigned long ap_shim_nr_warn;	/* pr_warn */
extern unsigned long ap_shim_nr_WARN;	/* WARN_ON and friends that fired */
extern int ap_shim_quiet;		/* 1: count, do not print */
void ap_shim_printk(int level, const char *fmt, ...) __printf(2, 3);

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define KERN_ERR	""
#define KERN_WARNING	""
#define KERN_INFO	""
#define KERN_DEBUG	""
#define KERN_CONT	""
#define pr_emerg(fmt, ...)	ap_shim_printk(3, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...)	ap_shim_printk(3, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...)	ap_shim_printk(3, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	ap_shim_printk(4, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...)	ap_shim_printk(5, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	ap_shim_printk(6, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_cont(fmt, ...)	ap_shim_printk(6, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...)	do { if (0) ap_shim_printk(7, pr_fmt(fmt), ##__VA_ARGS__); } while (0)
/* Never suppresses: the tests count every report an allocator makes. */
struct ratelimit_state {
	int interval, burst, printed, missed;
};
#define DEFAULT_RATELIMIT_INTERVAL	500
#define DEFAULT_RATELIMIT_BURST		10
static inline void ratelimit_default_init(struct ratelimit_state *rs)
{
	memset(rs, 0, sizeof(*rs));
}
static inline int __ratelimit(struct ratelimit_state *rs)
{
	__atomic_add_fetch(&rs->printed, 1, __ATOMIC_RELAXED);
	return 1;
}
#define pr_err_ratelimited(fmt, ...)	pr_err(fmt, ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...)	pr_warn(fmt, ##__VA_ARGS__)
#define pr_info_ratelimited(fmt, ...)	pr_info(fmt, ##__VA_ARGS__)
#define pr_warn_once(fmt, ...)		pr_warn(fmt, ##__VA_ARGS__)
#define pr_err_once(fmt, ...)		pr_err(fmt, ##__VA_ARGS__)
#define printk(fmt, ...)		ap_shim_printk(6, fmt, ##__VA_ARGS__)

#define WARN(cond, fmt, ...) ({						\
	int __c = !!(cond);						\
	if (__c) {							\
		ap_shim_nr_WARN++;					\
		fprintf(stderr, "WARNING: %s:%d: " fmt "\n",		\
			__FILE__, __LINE__, ##__VA_ARGS__);		\
	}								\
	__c;								\
})
#define WARN_ON(cond)		WARN(cond, "%s", #cond)
#define WARN_ON_ONCE(cond)	WARN(cond, "%s", #cond)
#define WARN_ONCE(cond, fmt, ...) WARN(cond, fmt, ##__VA_ARGS__)

/* ---- locking ---- */
/*
 * spinlock_t and raw_spinlock_t are distinct types, as in the kernel, so a
 * raw_spin_*() call on a spinlock_t does not compile.  Both are pthread
 * mutexes that remember their owner.  The checks model PREEMPT_RT with
 * PROVE_RAW_LOCK_NESTING: in hard-IRQ mode (ap_shim_hardirq_enter()) a
 * spinlock_t, which sleeps on RT, aborts; so does a spinlock_t taken inside
 * a raw_spinlock_t, and anything that may sleep (might_sleep(), vmalloc,
 * vfree, a mutex).  Holding more than AP_SHIM_MAX_LOCKS locks at once, which
 * is lockdep's MAX_LOCK_DEPTH, aborts as well.
 */
struct ap_shim_lock {
	pthread_mutex_t m;
	pthread_t owner;
	int held;
	int nested;	/* taken with raw_spin_lock_nest_lock() */
};
typedef struct { struct ap_shim_lock l; } spinlock_t;
typedef struct { struct ap_shim_lock l; } raw_spinlock_t;

#define AP_SHIM_MAX_LOCKS	48

extern __thread int ap_shim_spin_depth;	/* locks of either type held */
extern __thread int ap_shim_raw_depth;	/* raw_spinlock_t held */
extern __thread int ap_shim_hardirq;	/* in ap_shim_hardirq_enter() */
extern __thread unsigned long ap_shim_lock_ops;	/* locks taken, ever */
extern __thread int ap_shim_nest_held;	/* locks held taken with a nest lock */
void ap_shim_lock_violation(const char *what) __attribute__((noreturn));
void ap_shim_hardirq_enter(void);
void ap_shim_hardirq_exit(void);

#define __SPIN_LOCK_UNLOCKED(x)	{ .l = { .m = PTHREAD_MUTEX_INITIALIZER } }
#define __RAW_SPIN_LOCK_UNLOCKED(x) { .l = { .m = PTHREAD_MUTEX_INITIALIZER } }
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SPIN_LOCK_UNLOCKED(x)
#define DEFINE_RAW_SPINLOCK(x)	raw_spinlock_t x = __RAW_SPIN_LOCK_UNLOCKED(x)

#ifdef AP_SHIM_BENCH
/*
 * Benchmarks: a test-and-set lock, about what an uncontended kernel
 * spin_lock_irqsave() costs, with none of the checks below.
 */
static inline void ap_shim_lock_init(struct ap_shim_lock *l, bool raw)
{
	l->held = 0;
}

static inline void ap_shim_lock(struct ap_shim_lock *l, bool raw)
{
	while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
		;
}

static inline void ap_shim_unlock(struct ap_shim_lock *l, bool raw)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

static inline int ap_shim_trylock(struct ap_shim_lock *l, bool raw)
{
	return !__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE);
}
#else
static inline void ap_shim_lock_init(struct ap_shim_lock *l, bool raw)
{
	pthread_mutex_init(&l->m, NULL);
	l->held = 0;
}

static inline void ap_shim_lock_check(bool raw)
{
	if (!raw && ap_shim_hardirq)
		ap_shim_lock_violation("spinlock_t (sleeping on PREEMPT_RT) taken in hard IRQ");
	if (!raw && ap_shim_raw_depth)
		ap_shim_lock_violation("spinlock_t taken inside a raw_spinlock_t (invalid wait context)");
	if (ap_shim_spin_depth >= AP_SHIM_MAX_LOCKS)
		ap_shim_lock_violation("more locks held at once than lockdep's MAX_LOCK_DEPTH");
}

static inline void ap_shim_took(struct ap_shim_lock *l, bool raw)
{
	l->owner = pthread_self();
	l->held = 1;
	ap_shim_spin_depth++;
	ap_shim_lock_ops++;
	if (raw)
		ap_shim_raw_depth++;
}

static inline void ap_shim_lock(struct ap_shim_lock *l, bool raw)
{
	ap_shim_lock_check(raw);
	pthread_mutex_lock(&l->m);
	ap_shim_took(l, raw);
}

static inline void ap_shim_unlock(struct ap_shim_lock *l, bool raw)
{
	assert(l->held && pthread_equal(l->owner, pthread_self()));
	l->held = 0;
	/* lockdep holds all nested ones in one entry: see ap_shim_lock_nest() */
	if (l->nested) {
		l->nested = 0;
		if (--ap_shim_nest_held) {
			pthread_mutex_unlock(&l->m);
			return;
		}
	}
	ap_shim_spin_depth--;
	if (raw)
		ap_shim_raw_depth--;
	pthread_mutex_unlock(&l->m);
}

static inline int ap_shim_trylock(struct ap_shim_lock *l, bool raw)
{
	ap_shim_lock_check(raw);
	if (pthread_mutex_trylock(&l->m))
		return 0;
	ap_shim_took(l, raw);
	return 1;
}

/*
 * raw_spin_lock_nest_lock(): lockdep keeps locks of one class taken under
 * a nest lock in one held-lock entry (its references count), so only the
 * first of them counts towards MAX_LOCK_DEPTH.  (The shim has one class
 * per call site's use of nest_lock, which is what its callers need.)
 */
static inline void ap_shim_lock_nest(struct ap_shim_lock *l)
{
	if (ap_shim_nest_held) {
		pthread_mutex_lock(&l->m);
		l->owner = pthread_self();
		l->held = 1;
		ap_shim_lock_ops++;
	} else {
		ap_shim_lock(l, true);
	}
	l->nested = 1;
	ap_shim_nest_held++;
}

#endif /* AP_SHIM_BENCH */

#define spin_lock_init(x)		ap_shim_lock_init(&(x)->l, false)
#define spin_lock(x)			ap_shim_lock(&(x)->l, false)
#define spin_unlock(x)			ap_shim_unlock(&(x)->l, false)
#define spin_trylock(x)			ap_shim_trylock(&(x)->l, false)
#define spin_lock_irqsave(x, f)		do { (f) = 0; spin_lock(x); } while (0)
#define spin_unlock_irqrestore(x, f)	do { (void)(f); spin_unlock(x); } while (0)
#define spin_lock_irq(x)		spin_lock(x)
#define spin_unlock_irq(x)		spin_unlock(x)
#define spin_lock_bh(x)			spin_lock(x)
#define spin_unlock_bh(x)		spin_unlock(x)
#define spin_is_locked(x)		((x)->l.held)
#define spin_lock_nest_lock(x, n)	spin_lock(x)

#define raw_spin_lock_init(x)		ap_shim_lock_init(&(x)->l, true)
#define raw_spin_lock(x)		ap_shim_lock(&(x)->l, true)
#define raw_spin_unlock(x)		ap_shim_unlock(&(x)->l, true)
#define raw_spin_trylock(x)		ap_shim_trylock(&(x)->l, true)
#define raw_spin_lock_irqsave(x, f)	do { (f) = 0; raw_spin_lock(x); } while (0)
#define raw_spin_unlock_irqrestore(x, f) do { (void)(f); raw_spin_unlock(x); } while (0)
#define raw_spin_lock_irq(x)		raw_spin_lock(x)
#define raw_spin_unlock_irq(x)		raw_spin_unlock(x)
#define raw_spin_trylock_irqsave(x, f)	({ (f) = 0; raw_spin_trylock(x); })
#define raw_spin_is_locked(x)		((x)->l.held)
#ifdef AP_SHIM_BENCH
#define raw_spin_lock_nest_lock(x, n)	raw_spin_lock(x)
#else
#define raw_spin_lock_nest_lock(x, n)	ap_shim_lock_nest(&(x)->l)
#endif
#define local_irq_save(f)		((f) = 0)
#define local_irq_restore(f)		((void)(f))
#define lockdep_assert_irqs_disabled()	do { } while (0)

/*
 * arch_spinlock_t: the lock under a raw_spinlock_t, which the kernel's
 * lockdep does not see (its users tell it by hand, buddy_arena.c with a
 * nest lock where it takes every CPU's); here a raw lock like the others,
 * checked alike, those taken while one is held counted as one held lock.
 */
typedef struct ap_shim_lock arch_spinlock_t;
/* lockdep's class of a lock told by hand; nothing without lockdep */
struct lock_class_key {
	int unused;
};
#define __ARCH_SPIN_LOCK_UNLOCKED	{ .m = PTHREAD_MUTEX_INITIALIZER }
#ifdef AP_SHIM_BENCH
#define arch_spin_lock(x)		ap_shim_lock(x, true)
#else
#define arch_spin_lock(x)		ap_shim_lock_nest(x)
#endif
#define arch_spin_unlock(x)		ap_shim_unlock(x, true)
#define arch_spin_trylock(x)		ap_shim_trylock(x, true)

struct mutex {
	struct ap_shim_lock l;
};
#define DEFINE_MUTEX(x)	struct mutex x = { .l = { .m = PTHREAD_MUTEX_INITIALIZER } }
static inline void mutex_init(struct mutex *x)
{
	pthread_mutex_init(&x->l.m, NULL);
	x->l.held = 0;
}
static inline void mutex_destroy(struct mutex *x) { (void)x; }
void might_sleep(void);
static inline void mutex_lock(struct mutex *x)
{
	might_sleep();
	pthread_mutex_lock(&x->l.m);
	x->l.owner = pthread_self();
	x->l.held = 1;
}
static inline void mutex_unlock(struct mutex *x)
{
	assert(x->l.held && pthread_equal(x->l.owner, pthread_self()));
	x->l.held = 0;
	pthread_mutex_unlock(&x->l.m);
}
static inline int mutex_trylock(struct mutex *x)
{
	if (ap_shim_hardirq)
		ap_shim_lock_violation("mutex_trylock() in hard IRQ");
	if (pthread_mutex_trylock(&x->l.m))
		return 0;
	x->l.owner = pthread_self();
	x->l.held = 1;
	return 1;
}

#ifdef AP_SHIM_BENCH
#define lockdep_assert_held(l)	do { } while (0)
#else
#define lockdep_assert_held(x) \
	assert((x)->l.held && pthread_equal((x)->l.owner, pthread_self()))
#endif
#define lockdep_assert_not_held(x) \
	assert(!(x)->l.held || !pthread_equal((x)->l.owner, pthread_self()))
#define might_sleep_if(c)	do { if (c) might_sleep(); } while (0)
#define cond_resched()		do { } while (0)
#define in_task()		(!ap_shim_hardirq)
#define in_interrupt()		(ap_shim_hardirq)
#define in_hardirq()		(ap_shim_hardirq)
#define in_irq()		(ap_shim_hardirq)
#define irqs_disabled()		(ap_shim_spin_depth > 0 || ap_shim_hardirq)
#define raw_smp_processor_id()	0
#define smp_processor_id()	0

typedef struct { long counter; } atomic_long_t;
typedef struct { int counter; } atomic_t;
#define ATOMIC_INIT(i)		{ (i) }
#define atomic_read(v)		__atomic_load_n(&(v)->counter, __ATOMIC_RELAXED)
#define atomic_set(v, i)	__atomic_store_n(&(v)->counter, i, __ATOMIC_RELAXED)
#define atomic_inc(v)		__atomic_add_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST)
#define atomic_dec(v)		__atomic_sub_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST)
#define atomic_long_read(v)	atomic_read(v)
#define atomic_long_set(v, i)	atomic_set(v, i)
#define atomic_long_inc(v)	atomic_inc(v)
#define atomic_long_dec(v)	atomic_dec(v)
#define atomic_long_add(i, v)	__atomic_add_fetch(&(v)->counter, i, __ATOMIC_SEQ_CST)

/* ---- memory ---- */
#define ___GFP_DIRECT_RECLAIM	0x400u
#define ___GFP_KSWAPD_RECLAIM	0x800u
#define __GFP_HIGH		0x20u
#define __GFP_ZERO		0x100u
#define __GFP_NOWARN		0x2000u
#define __GFP_NORETRY		0x10000u
#define __GFP_DIRECT_RECLAIM	___GFP_DIRECT_RECLAIM
#define __GFP_RECLAIM		(___GFP_DIRECT_RECLAIM | ___GFP_KSWAPD_RECLAIM)
#define GFP_ATOMIC		(__GFP_HIGH | ___GFP_KSWAPD_RECLAIM)
#define GFP_NOWAIT		(___GFP_KSWAPD_RECLAIM)
#define __GFP_IO		0x40u
#define __GFP_FS		0x80u
#define GFP_KERNEL		(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_NOIO		(__GFP_RECLAIM)
#define GFP_NOFS		(__GFP_RECLAIM | __GFP_IO)

/*
 * The task's allocation scope (PF_MEMALLOC_NOIO/NOFS), as current->flags
 * holds it.  The shim's vmalloc/kmalloc record the gfp they were effectively
 * called with (the scope applied) in ap_shim_last_gfp, so a test can check
 * that an allocation made for a GFP_NOIO caller never allowed I/O.
 */
#define PF_MEMALLOC_NOIO	0x1u
#define PF_MEMALLOC_NOFS	0x2u
extern __thread unsigned int ap_shim_task_flags;
extern __thread gfp_t ap_shim_last_gfp;
static inline unsigned int memalloc_noio_save(void)
{
	unsigned int old = ap_shim_task_flags & PF_MEMALLOC_NOIO;

	ap_shim_task_flags |= PF_MEMALLOC_NOIO;
	return old;
}
static inline void memalloc_noio_restore(unsigned int flags)
{
	ap_shim_task_flags = (ap_shim_task_flags & ~PF_MEMALLOC_NOIO) | flags;
}
static inline unsigned int memalloc_nofs_save(void)
{
	unsigned int old = ap_shim_task_flags & PF_MEMALLOC_NOFS;

	ap_shim_task_flags |= PF_MEMALLOC_NOFS;
	return old;
}
static inline void memalloc_nofs_restore(unsigned int flags)
{
	ap_shim_task_flags = (ap_shim_task_flags & ~PF_MEMALLOC_NOFS) | flags;
}
static inline gfp_t current_gfp_context(gfp_t gfp)
{
	if (ap_shim_task_flags & PF_MEMALLOC_NOIO)
		gfp &= ~(__GFP_IO | __GFP_FS);
	else if (ap_shim_task_flags & PF_MEMALLOC_NOFS)
		gfp &= ~__GFP_FS;
	return gfp;
}
static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return !!(gfp & __GFP_DIRECT_RECLAIM);
}

/*
 * Sizes at which the kernel complains out loud unless the gfp has
 * __GFP_NOWARN: kmalloc() beyond KMALLOC_MAX_SIZE (a page allocation past
 * MAX_ORDER: WARN), kvmalloc() beyond INT_MAX (WARN_ON_ONCE), vmalloc()
 * beyond the machine's RAM (warn_alloc(): a Call Trace in the log).  The
 * shim aborts on each, so a create that passes such a size through is
 * caught in userspace.  AP_SHIM_TOTALRAM stands for a small machine.
 */
#define AP_SHIM_KMALLOC_MAX	(4UL << 20)
#define AP_SHIM_TOTALRAM	(4UL << 30)

/*
 * Failure injection: when set, called before every kmalloc/vmalloc; a true
 * answer makes that allocation fail.
 */
extern bool (*ap_shim_fail_hook)(size_t size);
/* vmalloc() calls under way now, and the most ever under way at once. */
extern long ap_shim_vmalloc_inflight, ap_shim_vmalloc_inflight_max;
extern long ap_shim_live_allocs;	/* kmalloc + vmalloc not yet freed */

void *ap_shim_kmalloc(size_t size, gfp_t gfp);
void *ap_shim_vmalloc(size_t size, bool zero);
void ap_shim_free(const void *p);
#define kmalloc(s, g)		ap_shim_kmalloc(s, g)
#define kzalloc(s, g)		ap_shim_kmalloc(s, (g) | __GFP_ZERO)
#define kmalloc_array(n, s, g)	ap_shim_kmalloc(size_mul(n, s), g)
#define kcalloc(n, s, g)	ap_shim_kmalloc(size_mul(n, s), (g) | __GFP_ZERO)
void *ap_shim_kvmalloc(size_t size, gfp_t gfp);
#define kvmalloc(s, g)		ap_shim_kvmalloc(s, g)
#define kvzalloc(s, g)		ap_shim_kvmalloc(s, (g) | __GFP_ZERO)
#define kvmalloc_array(n, s, g)	ap_shim_kvmalloc(size_mul(n, s), g)
#define kvcalloc(n, s, g)	ap_shim_kvmalloc(size_mul(n, s), (g) | __GFP_ZERO)
/* On PREEMPT_RT, slab calls are invalid in hard IRQ or under a raw lock. */
void ap_shim_kfree(const void *p);
#define kfree(p)		ap_shim_kfree(p)
#define kvfree(p)		ap_shim_vfree(p)
#define kfree_sensitive(p)	ap_shim_kfree(p)
#define vmalloc(s)		ap_shim_vmalloc(s, false)
#define vzalloc(s)		ap_shim_vmalloc(s, true)
/* vfree() may sleep outside interrupts (might_sleep_if(!in_interrupt())). */
void ap_shim_vfree(const void *p);
#define vfree(p)		ap_shim_vfree(p)
#define __vmalloc(s, g)		ap_shim_vmalloc_gfp(s, g)
void *ap_shim_vmalloc_gfp(size_t size, gfp_t gfp);
#define is_vmalloc_addr(p)	true

#define POISON_INUSE	0x5a
#define POISON_FREE	0x6b
#define POISON_END	0xa5

void *memchr_inv(const void *s, int c, size_t n);

/*
 * Work done with a raw_spinlock_t held must be bounded by a constant, not by
 * a pool's or a block's size: a fill, copy or compare longer than
 * AP_SHIM_LOCKED_BYTES (the FIFO's largest chunk and its cookie) under a raw
 * lock aborts.
 */
#define AP_SHIM_LOCKED_BYTES	(64 * 1024)
static inline size_t ap_shim_locked_work(size_t n)
{
#ifndef AP_SHIM_BENCH
	if (ap_shim_raw_depth && n > AP_SHIM_LOCKED_BYTES)
		ap_shim_lock_violation("unbounded fill/copy/compare under a raw_spinlock_t");
#endif
	return n;
}
#ifndef AP_SHIM_BENCH
#define memset(s, c, n)		__builtin_memset(s, c, ap_shim_locked_work(n))
#define memcpy(d, s, n)		__builtin_memcpy(d, s, ap_shim_locked_work(n))
#define memmove(d, s, n)	__builtin_memmove(d, s, ap_shim_locked_work(n))
#endif
ssize_t strscpy(char *dst, const char *src, size_t count);

/* ---- bitmaps ---- */
static inline void __set_bit(unsigned long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}
static inline void __clear_bit(unsigned long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] &= ~(1UL << (nr % BITS_PER_LONG));
}
static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return (addr[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG)) & 1;
}
static inline bool __test_and_set_bit(unsigned long nr, unsigned long *addr)
{
	bool old = test_bit(nr, addr);

	__set_bit(nr, addr);
	return old;
}
static inline bool __test_and_clear_bit(unsigned long nr, unsigned long *addr)
{
	bool old = test_bit(nr, addr);

	__clear_bit(nr, addr);
	return old;
}
/* atomic, as the kernel's: an IOM_SPSC ring's two sides share words */
#define set_bit(nr, a)	\
	__atomic_fetch_or(&(a)[(nr) / BITS_PER_LONG], 1UL << ((nr) % BITS_PER_LONG), \
			  __ATOMIC_RELAXED)
#define clear_bit(nr, a) \
	__atomic_fetch_and(&(a)[(nr) / BITS_PER_LONG], ~(1UL << ((nr) % BITS_PER_LONG)), \
			   __ATOMIC_RELAXED)
#define test_and_set_bit(nr, a) \
	((__atomic_fetch_or(&(a)[(nr) / BITS_PER_LONG], \
			    1UL << ((nr) % BITS_PER_LONG), __ATOMIC_SEQ_CST) >> \
	  ((nr) % BITS_PER_LONG)) & 1)
#define __change_bit(nr, a)	((a)[(nr) / BITS_PER_LONG] ^= 1UL << ((nr) % BITS_PER_LONG))
unsigned long find_next_bit(const unsigned long *addr, unsigned long size,
			    unsigned long offset);
unsigned long find_next_zero_bit(const unsigned long *addr, unsigned long size,
				 unsigned long offset);
#define find_first_bit(a, s)		find_next_bit(a, s, 0)
#define find_first_zero_bit(a, s)	find_next_zero_bit(a, s, 0)
#define for_each_set_bit(bit, addr, size) \
	for ((bit) = find_first_bit(addr, size); (bit) < (size); \
	     (bit) = find_next_bit(addr, size, (bit) + 1))
static inline unsigned long *bitmap_zalloc(unsigned int nbits, gfp_t gfp)
{
	return kcalloc(BITS_TO_LONGS(nbits), sizeof(unsigned long), gfp);
}
static inline void bitmap_free(const unsigned long *b) { kfree(b); }
static inline void bitmap_zero(unsigned long *b, unsigned int nbits)
{
	memset(b, 0, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}
void bitmap_set(unsigned long *map, unsigned int start, unsigned int len);
void bitmap_clear(unsigned long *map, unsigned int start, unsigned int len);
unsigned int bitmap_weight(const unsigned long *map, unsigned int nbits);

/* ---- lists ---- */
struct list_head {
	struct list_head *next, *prev;
};
#define LIST_HEAD_INIT(name)	{ &(name), &(name) }
#define LIST_HEAD(name)		struct list_head name = LIST_HEAD_INIT(name)
static inline void INIT_LIST_HEAD(struct list_head *l) { l->next = l; l->prev = l; }
static inline void __list_add(struct list_head *n, struct list_head *prev,
			      struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}
static inline void list_add(struct list_head *n, struct list_head *h) { __list_add(n, h, h->next); }
static inline void list_add_tail(struct list_head *n, struct list_head *h) { __list_add(n, h->prev, h); }
static inline void list_del(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	e->next = (void *)0x100;
	e->prev = (void *)0x122;
}
static inline void list_del_init(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	INIT_LIST_HEAD(e);
}
static inline bool list_empty(const struct list_head *h) { return h->next == h; }
static inline void list_move(struct list_head *e, struct list_head *h) { list_del(e); list_add(e, h); }
static inline void list_move_tail(struct list_head *e, struct list_head *h) { list_del(e); list_add_tail(e, h); }
#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) list_entry((ptr)->next, type, member)
#define list_last_entry(ptr, type, member) list_entry((ptr)->prev, type, member)
#define list_first_entry_or_null(ptr, type, member) \
	(list_empty(ptr) ? NULL : list_first_entry(ptr, type, member))
#define list_next_entry(pos, member) \
	list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_for_each(pos, head) \
	for (pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_entry(pos, head, member)				\
	for (pos = list_first_entry(head, __typeof__(*pos), member);	\
	     &pos->member != (head);					\
	     pos = list_next_entry(pos, member))
#define list_for_each_entry_safe(pos, n, head, member)			\
	for (pos = list_first_entry(head, __typeof__(*pos), member),	\
	     n = list_next_entry(pos, member);				\
	     &pos->member != (head);					\
	     pos = n, n = list_next_entry(n, member))

/* ---- deferred work: queued, run by ap_shim_run_work() or a flush ---- */
struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);
struct work_struct {
	work_func_t func;
	struct work_struct *next;
	bool pending;
};
#define INIT_WORK(w, f)	do { (w)->func = (f); (w)->pending = false; (w)->next = NULL; } while (0)
bool schedule_work(struct work_struct *w);
bool flush_work(struct work_struct *w);
bool cancel_work_sync(struct work_struct *w);
void ap_shim_run_work(void);
#define flush_scheduled_work()	ap_shim_run_work()

/* ---- module, exports, debugfs, seq_file ---- */
#define EXPORT_SYMBOL(s)
#define EXPORT_SYMBOL_GPL(s)
#define EXPORT_SYMBOL_NS(s, ns)
#define EXPORT_SYMBOL_NS_GPL(s, ns)
#define MODULE_LICENSE(x)
#define MODULE_AUTHOR(x)
#define MODULE_DESCRIPTION(x)
#define MODULE_IMPORT_NS(x)
#define MODULE_PARM_DESC(a, b)
#define module_param(n, t, p)
#define module_init(f)
#define module_exit(f)
#define THIS_MODULE	NULL

struct dentry { int unused; };
struct inode { void *i_private; };
struct file { void *private_data; };
struct module;
struct seq_file {
	char *buf;
	size_t size;
	size_t count;
	void *private;
};
int seq_printf(struct seq_file *m, const char *fmt, ...) __printf(2, 3);
int seq_puts(struct seq_file *m, const char *s);
#define seq_putc(m, c)	seq_printf(m, "%c", c)
struct file_operations {
	struct module *owner;
	int (*open)(struct inode *, struct file *);
	ssize_t (*read)(struct file *, char *, size_t, long long *);
	long long (*llseek)(struct file *, long long, int);
	int (*release)(struct inode *, struct file *);
};
#define seq_read	NULL
#define seq_lseek	NULL
#define single_release	NULL
int single_open(struct file *file, int (*show)(struct seq_file *, void *),
		void *data);
#define DEFINE_SHOW_ATTRIBUTE(__name)					\
static int __name ## _open(struct inode *inode, struct file *file)	\
{									\
	return single_open(file, __name ## _show, inode->i_private);	\
}									\
static const struct file_operations __name ## _fops = {		\
	.open = __name ## _open,					\
}
typedef unsigned short umode_t;
struct dentry *debugfs_create_dir(const char *name, struct dentry *parent);
struct dentry *debugfs_create_file(const char *name, umode_t mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops);
void debugfs_remove_recursive(struct dentry *d);
#define debugfs_remove(d)	debugfs_remove_recursive(d)

/* ---- ctype ---- */
#include <ctype.h>

/* ---- added for buddy_arena.c: list splicing, 64-bit division ---- */
static inline void list_splice_tail_init(struct list_head *list,
					 struct list_head *head)
{
	if (list_empty(list))
		return;
	list->next->prev = head->prev;
	head->prev->next = list->next;
	list->prev->next = head;
	head->prev = list->prev;
	INIT_LIST_HEAD(list);
}
static inline u64 div_u64(u64 dividend, u32 divisor) { return dividend / divisor; }
static inline u64 div64_u64(u64 dividend, u64 divisor) { return dividend / divisor; }
#define div64_ul(x, y)	div64_u64((x), (y))

/* ---- added for bump_slab.c: per-CPU data, cmpxchg, byte order, cache lines ---- */
/*
 * AP_SHIM_NR_CPUS fake CPUs.  The calling thread runs on ap_shim_cpu (0
 * unless a test moves it), so a single-threaded test can make objects
 * migrate between per-CPU caches.  A per-CPU pointer is an array of one
 * element per CPU.
 */
#ifndef AP_SHIM_NR_CPUS
#define AP_SHIM_NR_CPUS		4
#endif
extern __thread unsigned int ap_shim_cpu;
#define nr_cpu_ids		AP_SHIM_NR_CPUS
#define for_each_online_cpu(cpu)	for_each_possible_cpu(cpu)
#define for_each_possible_cpu(cpu) \
	for ((cpu) = 0; (cpu) < AP_SHIM_NR_CPUS; (cpu)++)
#define alloc_percpu(type) \
	((type *)ap_shim_kmalloc(sizeof(type) * AP_SHIM_NR_CPUS, \
				 GFP_KERNEL | __GFP_ZERO))
#define free_percpu(p)		ap_shim_free(p)
#define per_cpu_ptr(p, cpu)	((p) + (cpu))
#ifdef AP_SHIM_BENCH
/*
 * Benchmarks run on CPU 0: the kernel finds this CPU's copy with one add
 * of a %gs-relative offset, which a TLS load and a multiply would overstate.
 */
#define raw_cpu_ptr(p)		per_cpu_ptr(p, 0)
#else
#define raw_cpu_ptr(p)		per_cpu_ptr(p, ap_shim_cpu)
#endif
#define this_cpu_ptr(p)		raw_cpu_ptr(p)
#define SMP_CACHE_BYTES			64
#define ____cacheline_aligned_in_smp	__aligned(SMP_CACHE_BYTES)

#define try_cmpxchg64(p, oldp, new) \
	__atomic_compare_exchange_n(p, oldp, new, false, __ATOMIC_SEQ_CST, \
				    __ATOMIC_SEQ_CST)

#define try_cmpxchg(p, oldp, new) \
	__atomic_compare_exchange_n(p, oldp, new, false, __ATOMIC_SEQ_CST, \
				    __ATOMIC_SEQ_CST)

/*
 * ---- added for buddy_arena.c: CPU hotplug ----
 * No CPU goes down in userspace: the arena never registers (its state
 * stays -1); a test calls the teardown callback itself.
 */
struct hlist_node {
	struct hlist_node *next, **pprev;
};
#define hlist_entry(ptr, type, member)	container_of(ptr, type, member)
#define CPUHP_BP_PREPARE_DYN	0
static inline int cpuhp_setup_state_multi(int state, const char *name,
					  int (*startup)(unsigned int, struct hlist_node *),
					  int (*teardown)(unsigned int, struct hlist_node *))
{
	(void)state; (void)name; (void)startup; (void)teardown;
	return -ENOSYS;
}
static inline void cpuhp_remove_multi_state(int state) { (void)state; }
static inline int cpuhp_state_add_instance_nocalls(int state,
						   struct hlist_node *node)
{
	(void)state; (void)node;
	return 0;
}
static inline int cpuhp_state_remove_instance_nocalls(int state,
						      struct hlist_node *node)
{
	(void)state; (void)node;
	return 0;
}

static inline u64 ror64(u64 word, unsigned int shift)
{
	return (word >> (shift & 63)) | (word << ((-shift) & 63));
}

typedef u64 __le64;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define le64_to_cpu(x)		((u64)(x))
#define cpu_to_le64(x)		((__le64)(x))
#else
#define le64_to_cpu(x)		__builtin_bswap64((u64)(x))
#define cpu_to_le64(x)		((__le64)__builtin_bswap64(x))
#endif

#endif /* _AP_SHIM_H */
