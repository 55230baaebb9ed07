/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KASAN for the pools: every use of KASAN's API in allocpools is here.
 *
 * With CONFIG_KASAN_GENERIC a pool keeps KASAN's shadow of its regions
 * exact: memory it has not handed out (free blocks, free list links,
 * headers, cookies) is poisoned, and each allocation is unpoisoned for
 * the bytes requested, so that a client's access after a free or past its
 * request is reported by KASAN at the faulting access, as for kmalloc().
 * The pool's own accesses to poisoned memory go through the few
 * uninstrumented accessors below, never through kasan_disable_current()
 * around a whole call: a client's bug inside a pool call is still caught.
 *
 * An allocator adopts it with three calls and its accessors:
 *
 *   ap_kasan_free(p, n)           p..p+n is the pool's again (create, free,
 *                                 release, reset); call it before the memory
 *                                 can be handed out again, and never while
 *                                 any byte of the granules it covers is live
 *                                 (ap_kasan_free_part() spares the first or
 *                                 last granule, which a live block shares)
 *   ap_kasan_alloc(p, n, room)    p..p+n is the caller's; the rest of the
 *                                 block, up to p + room, a redzone; call it
 *                                 once the block is the caller's alone
 *                                 (ap_kasan_alloc_whole() when a live block
 *                                 shares the last granule)
 *   ap_kasan_memset(), ap_kasan_copy_in(), ap_kasan_copy_out(),
 *   ap_kasan_read_ulong(), ap_kasan_write_ulong(), ap_kasan_read_u32(),
 *   ap_kasan_write_u32(), ap_kasan_read_u8(),
 *   ap_kasan_write_u8()           the pool's own accesses to its memory
 *   ap_kasan_read_once_u64(), ap_kasan_write_once_u64(),
 *   ap_kasan_read_once_ulong(), ap_kasan_read_once_u32(),
 *   ap_kasan_try_cmpxchg64()
 *                                 the same for words read or changed
 *                                 without a lock: marked (READ_ONCE(),
 *                                 WRITE_ONCE(), an atomic) with KASAN or
 *                                 without
 *
 *   ap_kasan_memchr_inv()         the pool's poison checks (lib/string.c's
 *                                 memchr_inv() is instrumented)
 *
 * KASAN's granule is 8 bytes: a block that starts inside a granule has the
 * bytes before it in that granule unpoisoned with it (up to 7: a FIFO
 * chunk's cookie, which the pool checks itself), and the last, partial
 * granule of a request is exact (its shadow byte counts the bytes that are
 * valid, as kmalloc's redzone works).
 *
 * What is used, and why it is safe:
 *
 *   kasan_poison()        mm/kasan/shadow.c, exported on 6.1 (EXPORT_SYMBOL)
 *                         and 6.12 (EXPORT_SYMBOL_GPL); declared only in
 *                         mm/kasan/kasan.h, so declared here with the same
 *                         prototype, which both have.  It writes the shadow
 *                         of a granule-aligned range, which is all that
 *                         kasan_unpoison() (not exported) and
 *                         kasan_poison_last_granule() do too: a value of 0
 *                         makes a granule valid, 1..7 its first so many
 *                         bytes, anything else none.  Every range passed is
 *                         inside a region the pool vmalloc'd and owns, and
 *                         granule-aligned (it WARNs otherwise).  The region's
 *                         shadow exists: KASAN_VMALLOC maps it at vmalloc()
 *                         time; without KASAN_VMALLOC the vmalloc area's
 *                         shadow is one read-only zero page, so this header
 *                         refuses that configuration below.
 *   AP_KASAN_FREE 0xFF,   the shadow values KASAN_PAGE_FREE and
 *   AP_KASAN_REDZONE 0xF8 KASAN_VMALLOC_INVALID of mm/kasan/kasan.h (the
 *                         same on 6.1 and 6.12), so that a report says
 *                         "use-after-free" or "vmalloc-out-of-bounds".
 *   KASAN_SHADOW_SCALE_SHIFT
 *                         <asm/kasan.h>, via <linux/kasan.h>: the granule.
 *   __no_kasan_or_inline  <linux/compiler_types.h>: no_sanitize_address
 *                         with KASAN (a function of its own: GCC will not
 *                         inline across the attribute), __always_inline
 *                         without, so the accessors cost nothing then.
 *   __memset(), __memcpy() the architecture's uninstrumented string
 *                         functions, which the instrumented memset() and
 *                         memcpy() of mm/kasan/shadow.c call after their
 *                         checks; exported on x86, arm64 and riscv.
 *   raw_try_cmpxchg64(), arch_try_cmpxchg64()
 *                         <linux/atomic.h>: the architecture's
 *                         try_cmpxchg64(), under its 6.12 and 6.1 names,
 *                         without the instrumented wrapper's check (see
 *                         ap_kasan_try_cmpxchg64() for why that is safe).
 *   kasan_check_read(), kasan_check_write()
 *                         <linux/kasan-checks.h>: the client's side of a
 *                         copy in or out of a pool is still checked.
 *
 * The software and hardware tag modes (arm64 only) tag vmalloc memory
 * themselves and have no generic shadow to write: this compiles to nothing
 * there, as without KASAN.
 *
 * Userspace (tools/testing/shim/linux/kasan.h) defines the same names on
 * ASan's manual poisoning when the tests are built with ASan, so the model
 * tests and fuzzers run these hooks too.
 */
#ifndef _ALLOCPOOLS_KASAN_H
#define _ALLOCPOOLS_KASAN_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/kasan.h>
#include <linux/kasan-checks.h>
#include <linux/string.h>
#include <linux/types.h>

/*
 * Without KASAN_VMALLOC the vmalloc area's shadow is one read-only zero
 * page: nothing to poison, so the pools go unhooked there, as without
 * KASAN (the userspace shim has ASan's shadow everywhere).
 */
#if defined(CONFIG_KASAN_GENERIC) && \
	(defined(CONFIG_KASAN_VMALLOC) || !defined(__KERNEL__))
#define AP_KASAN		1

#define AP_KASAN_GRANULE	BIT(KASAN_SHADOW_SCALE_SHIFT)
#define AP_KASAN_FREE		0xFF
#define AP_KASAN_REDZONE	0xF8

#ifdef __KERNEL__
/* mm/kasan/kasan.h; exported, but not in a public header. */
void kasan_poison(const void *addr, size_t size, u8 value, bool init);
#define ap_kasan_raw_memset	__memset
#define ap_kasan_raw_memcpy	__memcpy
#endif

static inline unsigned long ap_kasan_down(const void *p)
{
	return (unsigned long)p & ~(AP_KASAN_GRANULE - 1);
}

static inline unsigned long ap_kasan_up(const void *p)
{
	return ((unsigned long)p + AP_KASAN_GRANULE - 1) &
	       ~(AP_KASAN_GRANULE - 1);
}

/* Poison the granules that @addr .. @addr + @size touches. */
static inline void ap_kasan_free(const void *addr, size_t size)
{
	unsigned long s = ap_kasan_down(addr), e = ap_kasan_up(addr + size);

	if (size)
		kasan_poison((void *)s, e - s, AP_KASAN_FREE, false);
}

/*
 * The same, but for the granule @addr starts in (@keep_first) or the one
 * @addr + @size ends inside (@keep_last): each holds bytes of a live block.
 */
static inline void ap_kasan_free_part(const void *addr, size_t size,
				      bool keep_first, bool keep_last)
{
	unsigned long s = keep_first ? ap_kasan_up(addr) : ap_kasan_down(addr);
	unsigned long e = keep_last ? ap_kasan_down(addr + size) :
				      ap_kasan_up(addr + size);

	if (e > s)
		kasan_poison((void *)s, e - s, AP_KASAN_FREE, false);
}

/* Do offsets @a and @b of a granule-aligned region share a granule? */
static inline bool ap_kasan_same_granule(size_t a, size_t b)
{
	return (a ^ b) < AP_KASAN_GRANULE;
}

/*
 * Hand out @size bytes at @addr exactly (from the start of @addr's granule):
 * the last partial granule's shadow byte says how many of its bytes are
 * valid, and the granules after it up to @addr + @room become a redzone.
 */
static inline void ap_kasan_alloc(const void *addr, size_t size, size_t room)
{
	unsigned long s = ap_kasan_down(addr), full = ap_kasan_down(addr + size);
	unsigned long tail = (unsigned long)(addr + size) & (AP_KASAN_GRANULE - 1);
	unsigned long rz = ap_kasan_up(addr + size), end = ap_kasan_up(addr + room);

	if (full > s)
		kasan_poison((void *)s, full - s, 0, false);
	if (tail)
		kasan_poison((void *)full, AP_KASAN_GRANULE, tail, false);
	if (end > rz)
		kasan_poison((void *)rz, end - rz, AP_KASAN_REDZONE, false);
}

/* The same, with the last granule whole: a live block shares it. */
static inline void ap_kasan_alloc_whole(const void *addr, size_t size)
{
	ap_kasan_alloc(addr, ap_kasan_up(addr + size) - (unsigned long)addr, 0);
}

static inline void ap_kasan_copy_in(void *pool, const void *client, size_t n)
{
	kasan_check_read(client, n);
	ap_kasan_raw_memcpy(pool, client, n);
}

static inline void ap_kasan_copy_out(void *client, const void *pool, size_t n)
{
	kasan_check_write(client, n);
	ap_kasan_raw_memcpy(client, pool, n);
}

#else /* !AP_KASAN */
#define AP_KASAN		0
#define ap_kasan_raw_memset	memset

static inline void ap_kasan_free(const void *addr, size_t size) { }
static inline void ap_kasan_free_part(const void *addr, size_t size,
				      bool keep_first, bool keep_last) { }
static inline bool ap_kasan_same_granule(size_t a, size_t b) { return false; }
static inline void ap_kasan_alloc(const void *addr, size_t size, size_t room) { }
static inline void ap_kasan_alloc_whole(const void *addr, size_t size) { }

static __always_inline void ap_kasan_copy_in(void *pool, const void *client,
					     size_t n)
{
	memcpy(pool, client, n);
}

static __always_inline void ap_kasan_copy_out(void *client, const void *pool,
					      size_t n)
{
	memcpy(client, pool, n);
}
#endif /* AP_KASAN */

/* Fill pool memory, poisoned or not. */
#define ap_kasan_memset(p, c, n)	ap_kasan_raw_memset(p, c, n)

/*
 * With KASAN the accesses are READ_ONCE()/WRITE_ONCE(): else GCC's
 * IPA-SRA passes the value instead of the pointer
 * (ap_kasan_read_u8.isra.0) and the load, hoisted into the instrumented
 * caller, is checked after all.  Without, plain: the code is as before.
 */
#if AP_KASAN
#define AP_KASAN_GET(p)		READ_ONCE(*(p))
#define AP_KASAN_SET(p, v)	WRITE_ONCE(*(p), v)
#else
#define AP_KASAN_GET(p)		(*(p))
#define AP_KASAN_SET(p, v)	(*(p) = (v))
#endif

/* Read and write words, u32s and bytes of pool memory, poisoned or not. */
static __no_kasan_or_inline unsigned long
ap_kasan_read_ulong(const unsigned long *p)
{
	return AP_KASAN_GET(p);
}

static __no_kasan_or_inline void ap_kasan_write_ulong(unsigned long *p,
						      unsigned long v)
{
	AP_KASAN_SET(p, v);
}

static __no_kasan_or_inline u8 ap_kasan_read_u8(const u8 *p)
{
	return AP_KASAN_GET(p);
}

static __no_kasan_or_inline void ap_kasan_write_u8(u8 *p, u8 v)
{
	AP_KASAN_SET(p, v);
}

static __no_kasan_or_inline u32 ap_kasan_read_u32(const void *p)
{
	return AP_KASAN_GET((const u32 *)p);
}

static __no_kasan_or_inline void ap_kasan_write_u32(void *p, u32 v)
{
	AP_KASAN_SET((u32 *)p, v);
}

/*
 * Words of pool memory that are read or changed without a lock, or while a
 * client may write them (bump_slab's headers, links and slab magic),
 * poisoned or not: marked accesses, READ_ONCE() and WRITE_ONCE(), with
 * KASAN or without, so the code without KASAN is as it was (and KCSAN,
 * which never runs with KASAN, still sees them marked).
 */
static __no_kasan_or_inline u64 ap_kasan_read_once_u64(const u64 *p)
{
	return READ_ONCE(*p);
}

static __no_kasan_or_inline void ap_kasan_write_once_u64(u64 *p, u64 v)
{
	WRITE_ONCE(*p, v);
}

static __no_kasan_or_inline unsigned long
ap_kasan_read_once_ulong(const unsigned long *p)
{
	return READ_ONCE(*p);
}

static __no_kasan_or_inline u32 ap_kasan_read_once_u32(const u32 *p)
{
	return READ_ONCE(*p);
}

/*
 * try_cmpxchg64() on pool memory, poisoned or not.  try_cmpxchg64() is
 * <linux/atomic/atomic-instrumented.h>'s: instrument_atomic_read_write()
 * (KASAN's and KCSAN's check of the word) and then the architecture's
 * operation, which is what is called here: raw_try_cmpxchg64() since 6.6,
 * arch_try_cmpxchg64() before (its name on 6.1, which the 6.1 and x86 6.12
 * headers both define; the raw_ form is only its fallback-filled alias).
 * Safe because only the check is left out: the operation, its atomicity and
 * its full ordering are try_cmpxchg64()'s own; the word is 8-byte aligned
 * inside a region the pool vmalloc'd and keeps mapped (the caller checks
 * that first), so it cannot fault; and KCSAN, whose check this also skips,
 * never runs with KASAN (the two exclude each other), while without KASAN
 * this is try_cmpxchg64() itself.  In its own uninstrumented function, so
 * that an architecture whose fallback is C code is not checked either.
 */
#if AP_KASAN
#ifdef raw_try_cmpxchg64
#define ap_kasan_raw_try_cmpxchg64	raw_try_cmpxchg64
#else
#define ap_kasan_raw_try_cmpxchg64	arch_try_cmpxchg64
#endif

static __no_kasan_or_inline bool ap_kasan_try_cmpxchg64(u64 *p, u64 *old,
							u64 new)
{
	return ap_kasan_raw_try_cmpxchg64(p, old, new);
}
#else
#define ap_kasan_try_cmpxchg64(p, old, new)	try_cmpxchg64(p, old, new)
#endif

/*
 * The unsigned long lvalue @x of pool memory, read or written: without
 * KASAN the plain access, so the code is exactly as it was.
 */
#if AP_KASAN
#define ap_kasan_get_ulong(x)		ap_kasan_read_ulong(&(x))
#define ap_kasan_set_ulong(x, v)	ap_kasan_write_ulong(&(x), v)
#else
#define ap_kasan_get_ulong(x)		(x)
#define ap_kasan_set_ulong(x, v)	((x) = (v))
#endif

/* memchr_inv() of pool memory, poisoned or not (lib/string.c is checked). */
#if AP_KASAN
static __no_kasan_or_inline void *ap_kasan_memchr_inv(const void *s, int c,
						      size_t n)
{
	const u8 *p = s;

	for (; n; n--, p++)
		if (READ_ONCE(*p) != (u8)c)
			return (void *)p;
	return NULL;
}
#else
#define ap_kasan_memchr_inv(s, c, n)	memchr_inv(s, c, n)
#endif

#endif /* _ALLOCPOOLS_KASAN_H */
