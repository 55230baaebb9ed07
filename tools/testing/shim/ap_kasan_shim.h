/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ap_kasan_shim.h - what allocpools_kasan.h takes from KASAN, on ASan.
 *
 * Built with ASan (the model tests and fuzzers), the shim says
 * CONFIG_KASAN_GENERIC and maps kasan_poison() onto ASan's manual
 * poisoning, whose shadow has the same 8-byte granule and the same
 * "first N bytes valid" partial granule; so the pools poison what they
 * have not handed out exactly as in a KASAN kernel, and a test or fuzzer
 * whose allocator hands out overlapping memory, or reads or writes a
 * freed block, stops with an ASan report.  The pools' own accesses go
 * through no_sanitize_address functions, as __no_kasan_or_inline gives
 * them in the kernel; the raw memset and memcpy are plain loops in such
 * functions (volatile, so that the compiler does not turn them back into
 * calls ASan intercepts).  Built without ASan (the benchmarks), nothing of
 * this exists and the hooks compile to nothing.
 */
#ifndef _AP_KASAN_SHIM_H
#define _AP_KASAN_SHIM_H

#if defined(__SANITIZE_ADDRESS__)
#define AP_SHIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AP_SHIM_ASAN 1
#endif
#endif

#ifdef AP_SHIM_ASAN
#include <sanitizer/asan_interface.h>

#define CONFIG_KASAN_GENERIC	1
#define KASAN_SHADOW_SCALE_SHIFT 3
#define __no_kasan_or_inline	__attribute__((no_sanitize_address)) noinline \
				__maybe_unused

/* The kernel's: value 0 valid, 1..7 that many bytes valid, else none. */
static inline void kasan_poison(const void *addr, size_t size, u8 value,
				bool init)
{
	assert(!((uintptr_t)addr & 7) && !(size & 7));
	if (!value) {
		ASAN_UNPOISON_MEMORY_REGION(addr, size);
		return;
	}
	ASAN_POISON_MEMORY_REGION(addr, size);
	if (value < 8) {
		assert(size == 8);
		ASAN_UNPOISON_MEMORY_REGION(addr, value);
	}
}

/*
 * The architecture's try_cmpxchg64(), for ap_kasan_try_cmpxchg64(): a
 * builtin that ASan checks only in a function it instruments, which that
 * one is not.
 */
#define raw_try_cmpxchg64(p, oldp, new) \
	__atomic_compare_exchange_n(p, oldp, new, false, __ATOMIC_SEQ_CST, \
				    __ATOMIC_SEQ_CST)

static inline void ap_shim_kasan_check(const volatile void *p, size_t n)
{
	void *bad = __asan_region_is_poisoned((void *)p, n);

	if (bad) {
		fprintf(stderr, "ap_kasan_shim: a pool copied to or from poisoned client memory\n");
		__asan_describe_address(bad);
		abort();
	}
}

static inline bool kasan_check_read(const volatile void *p, unsigned int size)
{
	ap_shim_kasan_check(p, size);
	return true;
}

static inline bool kasan_check_write(const volatile void *p, unsigned int size)
{
	ap_shim_kasan_check(p, size);
	return true;
}

__attribute__((no_sanitize_address)) noinline __maybe_unused
static void *ap_kasan_raw_memset(void *s, int c, size_t n)
{
	volatile unsigned char *p = s;
	unsigned long w = 0x0101010101010101UL * (unsigned char)c;

	ap_shim_locked_work(n);
	for (; n && ((uintptr_t)p & 7); n--)
		*p++ = c;
	for (; n >= 8; n -= 8, p += 8)
		*(volatile unsigned long *)p = w;
	while (n--)
		*p++ = c;
	return s;
}

__attribute__((no_sanitize_address)) noinline __maybe_unused
static void *ap_kasan_raw_memcpy(void *d, const void *s, size_t n)
{
	volatile unsigned char *dp = d;
	const volatile unsigned char *sp = s;

	ap_shim_locked_work(n);
	while (n--)
		*dp++ = *sp++;
	return d;
}

/*
 * A test's own writes into pool memory it does not own: a client's bug on
 * purpose (a write after free, over a cookie or a link), or a white-box
 * test reaching into a pool.  Not checked, as the pool's own are not.
 */
#define ap_shim_scribble(p, c, n)	ap_kasan_raw_memset(p, c, n)
#define ap_shim_scribble_copy(d, s, n)	ap_kasan_raw_memcpy(d, s, n)

/*
 * For the model tests: are the @n bytes at @p the client's, and is the
 * byte after them not (when @n is not the whole block: @redzone)?  Is a
 * freed @p poisoned?  Asked of ASan's shadow, without a report.
 */
static inline bool ap_shim_kasan_live(const void *p, size_t n, bool redzone)
{
	return !__asan_region_is_poisoned((void *)p, n) &&
	       (!redzone || __asan_address_is_poisoned((const char *)p + n));
}

static inline bool ap_shim_kasan_freed(const void *p)
{
	return __asan_address_is_poisoned(p);
}

#else /* !AP_SHIM_ASAN */

#define ap_shim_scribble(p, c, n)	memset(p, c, n)
#define ap_shim_scribble_copy(d, s, n)	memcpy(d, s, n)
#define ap_shim_kasan_live(p, n, redzone)	true
#define ap_shim_kasan_freed(p)		true

#define __no_kasan_or_inline	__always_inline

static inline bool kasan_check_read(const volatile void *p, unsigned int size)
{
	return true;
}

static inline bool kasan_check_write(const volatile void *p, unsigned int size)
{
	return true;
}

#endif /* AP_SHIM_ASAN */
#endif /* _AP_KASAN_SHIM_H */
