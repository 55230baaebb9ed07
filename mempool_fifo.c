// SPDX-License-Identifier: GPL-2.0
/*
 * The FIFO queue pool (IOMalloc lineage).
 *
 * A ring of 2^n bytes over one vmalloc'd region.  Chunks leave in the order
 * they came: pushed and shifted as a queue, or handed out by iom_alloc() and
 * given back, oldest first, by iom_release().  A buffer is one or the other
 * while it holds chunks.
 *
 * Like kfifo, @in and @out run freely and are masked by size - 1 when used,
 * so in - out is the number of bytes in use with no full/empty special case
 * and every byte of the ring is usable.  Each chunk sits behind a cookie
 * holding its length; a chunk and its cookie may wrap around the end of the
 * ring (two memcpys), except iom_alloc() chunks, which must be contiguous:
 * when one does not fit before the end, a gap marker (a zero byte, which no
 * cookie starts with) sends the reader to offset 0 and the gap counts as used.
 *
 *   0                 out                              in           size
 *   |    free         |cookie|chunk...|c|chunk|cookie|chunk|   free   |
 *
 * Cookie (1..3 bytes, big-endian payload):
 *   0xxxxxxx                      len 1..127 (0 is the gap marker)
 *   1hhhhhhh llllllll             len 128..32767 = h:l
 *   10000000 0hhhhhhh llllllll    len 32768 + h:l, up to 65535
 * The three-byte form uses the two-byte prefixes that would encode lengths
 * below 128, which the two-byte form never does.
 *
 * Context: every call may be made from any context, hard IRQ included, on
 * PREEMPT_RT too, except iom_create(), iom_destroy(), iom_reset() and
 * iom_reset_secure(), which are process context only.
 *
 * Locking: one raw_spinlock_t per buffer, taken with irqsave, guards the
 * ring and every field of struct iom_buffer below it.  On an IOM_SPSC ring
 * the producer's calls (iom_push(), iom_alloc()) and the consumer's
 * (iom_shift(), iom_peek(), iom_peek_update(), iom_release()) take no lock
 * and pair release/acquire barriers instead, as lib/kfifo.c does: see
 * "IOM_SPSC" before spsc_pack(); each side's work is that of the locked
 * call below, but for a cut at a damaged cookie under IOM_POISON, which
 * poisons the bytes it cuts off (linear in them, no lock held).  What a call does with
 * it held is bounded by the longest chunk, never by the ring's size:
 *
 *   iom_push()            copies one chunk (at most 65535 bytes, two memcpys)
 *                         and writes its 1..3-byte cookie; under IOM_POISON
 *                         first checks the len + cookie bytes it takes.
 *                         IOM_HEAD_DROP adds one cookie read per dropped
 *                         chunk: a chunk is at least 2 bytes, so at most
 *                         (len + 3) / 2 + 1 of them.  IOM_DROP_ALL adds O(1):
 *                         dropped bytes are neither read nor written.
 *   iom_shift(), iom_peek(), iom_iter_next()
 *                         copy one chunk out; under IOM_POISON a shift fills
 *                         the len + cookie bytes it frees.
 *   iom_peek_update()     O(1); under IOM_POISON it fills the len + cookie
 *                         bytes it frees.
 *   iom_release()         finds the chunk's end, and any gap after it, in
 *                         @ends: a scan of under 2 * 65538 bits; under
 *                         IOM_POISON it fills the len + cookie bytes it
 *                         frees (and the one-byte gap marker).
 *   iom_alloc()           O(1); under IOM_POISON checks len + cookie bytes and
 *                         fills those of them, and of the gap before them
 *                         (shorter than the chunk), that a drop left stale.
 *   iom_chunks(), iom_used(), iom_space(), iom_stats(), iom_iter_init()
 *                         O(1).
 *   iom_reset(), iom_reset_secure()
 *                         O(1) under the lock; a ring-wide fill (the zeroing
 *                         of iom_reset_secure(), the poison over chunks that
 *                         iom_reset() takes back from iom_alloc() callers,
 *                         and clearing their bits in @ends)
 *                         runs with the lock dropped, 64 KiB at a time, while
 *                         the ring is marked IOM_WIPING: pushes meanwhile
 *                         fail with -EBUSY and allocations return NULL, both
 *                         counted as failures.
 *
 * Poison (IOM_POISON): free bytes hold POISON_FREE, and whatever takes them
 * checks that they still do.  Bytes that the pool itself drops (IOM_HEAD_DROP,
 * IOM_DROP_ALL, iom_reset() of a queue) were never handed to anyone, so
 * instead of filling them at once, which could mean the whole ring under the
 * lock, the pool remembers them as one "stale" range of the free space: the
 * push that next takes them overwrites them unchecked, and iom_alloc() fills
 * them before handing them out.  One range is all that is kept: a second drop
 * widens it over any poisoned bytes in between, and an iom_alloc() that
 * rewinds an empty ring to offset 0 across it takes the whole ring as stale;
 * the poisoned bytes so covered go unchecked once.  No byte is ever
 * reported as overwritten that nothing wrote after the pool poisoned it.
 *
 * Corruption.  A client that overflows an iom_alloc() chunk, or writes into
 * ring bytes it does not own, can rewrite the cookies and gap markers the
 * pool reads back.  The format has no spare bits to check (the contract
 * fixes a 1-byte cookie for 1..127 bytes, and every byte value is some
 * cookie), so cookies are stored plain: XOR with a secret would only change
 * which stray values pass, and plain ones catch the commonest overflow
 * fills (zeroes: length 0; 0xff: a 32 KiB chunk) at once.  What is checked:
 *
 *   queue mode: every cookie read (shift, peek, iom_peek_update(), a
 *     head drop, an iterator) must describe a chunk of 1.. bytes that fits
 *     between it and @in, leaving at least 2 bytes for each chunk still
 *     queued behind it, and the last chunk must end exactly at @in.  A
 *     cookie that fails is never followed: it and every chunk after it are
 *     cut off (dropped unread, counted in head_drops), the damage is
 *     counted in corruptions and invalid_frees and reported, and the call
 *     answers as on an empty queue (-ENODATA).  Nobody holds queued bytes,
 *     so the space is free again at once.  A damaged length that still
 *     fits cannot be told from a real one: the chunk comes out with wrong
 *     bounds, but inside [out, in), and the misreading is caught at the
 *     latest when the walk reaches @in with a chunk count that disagrees.
 *   iom_alloc() mode: where each chunk ends is kept out of the ring, one
 *     bit per ring byte (@ends, a ring's size / 8 bytes), and a release
 *     goes by that, so a chunk a caller holds is never handed out again
 *     whatever was written over the cookies.  A cookie or gap marker that
 *     disagrees is counted and reported at the release that reads it, and
 *     the release succeeds.
 *
 * Not caught: a write that leaves a cookie decoding to a length that fits
 * (see above), writes into free space without IOM_POISON (nobody reads
 * them), and writes into a chunk's own bytes, which are the client's.
 */

#define pr_fmt(fmt) "allocpools: " fmt

#include <linux/bitmap.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/poison.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <allocpools/iom.h>
#include "allocpools_internal.h"
#include "allocpools_kasan.h"
#include "allocpools_trace.h"

#define IOM_FLAGS		(IOM_MAINLY_EMPTY | IOM_POISON | IOM_SPSC)
/*
 * Set in @flags, not a create flag: a reset is writing the ring with the lock
 * dropped.  It lives in @flags so that the push fast path, which tests
 * IOM_POISON there already, refuses to run meanwhile at no extra cost.
 */
#define IOM_WIPING		BIT(31)
#define IOM_GAP			0	/* cookie byte: skip to offset 0 */
#define IOM_LONG_BASE		32768UL	/* first length of the 3-byte form */
/*
 * The most bytes one memset() or memchr_inv() touches.  A chunk's data fits
 * in one step; the unlocked wipe of a reset yields between steps.
 */
#define IOM_STEP		SZ_64K
/*
 * IOM_SPSC: @tail holds the write index in its low half and the count of
 * chunks produced in its high half, so that the consumer reads both at
 * once.  Both are needed modulo 2^IOM_HALF only: a ring holds fewer bytes
 * and chunks than that (IOM_SPSC_MAX_SIZE).
 */
#define IOM_HALF		(BITS_PER_LONG / 2)
#define IOM_HALF_MASK		((1UL << IOM_HALF) - 1)

/**
 * struct iom_buffer - a FIFO ring
 * @ap: registry part (name, debugfs)
 * @lock: guards everything below
 * @ring: the vmalloc'd ring, @size bytes
 * @size: ring size, a power of two
 * @flags: IOM_* create flags, and IOM_WIPING during a reset's unlocked wipe
 * @spsc: IOM_SPSC, kept apart from @flags: it is read without the lock, to
 *	choose the lock-free paths, while a reset writes IOM_WIPING into @flags
 * @in: free-running write index
 * @out: free-running read index; in - out bytes are in use
 * @chunks: chunks queued or allocated
 * @alloc_mode: the chunks were handed out by iom_alloc()
 * @wipers: resets writing the ring with the lock dropped; IOM_WIPING is set
 *	while there is one
 * @seq: bumped on every change, so that iterators notice
 * @stale: IOM_POISON: where the free bytes that were dropped without being
 *	poisoned start, a free-running index in the free space [in, out + size)
 * @stale_len: how many there are; 0 when none
 * @peak_used: most bytes ever in use
 * @pushes: chunks pushed
 * @shifts: chunks shifted, iom_peek_update() included
 * @allocs: chunks handed out by iom_alloc()
 * @releases: chunks given back by iom_release()
 * @head_drops: chunks dropped to make room (IOM_HEAD_DROP, IOM_DROP_ALL)
 * @tail_drops: pushes refused under IOM_TAIL_DROP
 * @failures: pushes and allocations refused for any other reason
 * @invalid_frees: releases refused, and poison found overwritten
 * @corruptions: damage found: poison overwritten, a cookie or gap marker
 *	that does not fit the queue (also counted in @invalid_frees)
 * @ends: iom_alloc() chunks: one bit per ring byte, set at the last byte of
 *	every chunk handed out and not yet released.  Kept out of the ring,
 *	where no client can write it: a release goes by it, not by the cookie.
 * @p_invalid_frees: IOM_SPSC: poison found overwritten by a push or an
 *	allocation, the producer's share of invalid_frees
 * @p_corruptions: IOM_SPSC: the same, its share of corruptions
 * @tail: IOM_SPSC: @in and @produced in one word (see IOM_HALF), published
 *	by the producer with smp_store_release()
 * @produced: IOM_SPSC: chunks produced, free-running
 * @consumed: IOM_SPSC: chunks consumed or cut off, free-running
 *
 * IOM_SPSC rings take the lock only in the calls that touch both ends
 * (reset, iterators), which the caller keeps both sides away from.
 * Otherwise each field has one writer: the producer owns @in, @tail,
 * @produced, @alloc_mode, @stale, @stale_len, @peak_used, @pushes, @allocs,
 * @tail_drops, @failures and the p_ counters, and sets bits in @ends; the
 * consumer owns @out, @consumed, @shifts, @releases, @head_drops,
 * @invalid_frees and @corruptions, and clears bits in @ends.  @chunks and
 * @seq are kept only by those two-ended calls (spsc_enter_locked()).
 * Each side's fields start a cache line of their own, the ones a push
 * (a shift) writes first, so that a push and a shift running at once
 * each take one line the other wrote (@out, @tail), as kfifo's do.
 */
struct iom_buffer {
	struct ap_pool ap;
	raw_spinlock_t lock;		/* guards all that follows */
	u8 *ring;
	size_t size;
	unsigned int flags;
	bool spsc;
	unsigned long *ends;
	size_t chunks;
	unsigned int wipers;
	unsigned long seq;
	/* IOM_SPSC: the producer's, the consumer's: a cache line each */
	unsigned long in ____cacheline_aligned_in_smp;
	unsigned long tail;
	unsigned long produced;
	bool alloc_mode;
	size_t peak_used;
	u64 pushes;
	unsigned long stale;
	size_t stale_len;
	u64 allocs, tail_drops, failures, p_invalid_frees, p_corruptions;
	unsigned long out ____cacheline_aligned_in_smp;
	unsigned long consumed;
	u64 shifts, releases, head_drops, invalid_frees, corruptions;
};

static inline size_t ring_off(const struct iom_buffer *iomb, unsigned long i)
{
	return i & (iomb->size - 1);
}

static inline size_t cookie_len(size_t len)
{
	if (len < 128)
		return 1;
	return len < IOM_LONG_BASE ? 2 : 3;
}

static inline u8 ring_byte(const struct iom_buffer *iomb, unsigned long i)
{
	return ap_kasan_read_u8(&iomb->ring[ring_off(iomb, i)]);
}

static inline void set_ring_byte(struct iom_buffer *iomb, unsigned long i, u8 v)
{
	ap_kasan_write_u8(&iomb->ring[ring_off(iomb, i)], v);
}

/* The ring bytes at @i are the caller's: the lock, or an SPSC producer. */
static void write_cookie(struct iom_buffer *iomb, unsigned long i, size_t len)
{
	if (len < 128) {
		set_ring_byte(iomb, i, len);
	} else if (len < IOM_LONG_BASE) {
		set_ring_byte(iomb, i, 0x80 | (len >> 8));
		set_ring_byte(iomb, i + 1, len & 0xff);
	} else {
		len -= IOM_LONG_BASE;
		set_ring_byte(iomb, i, 0x80);
		set_ring_byte(iomb, i + 1, len >> 8);
		set_ring_byte(iomb, i + 2, len & 0xff);
	}
}

static inline void write_cookie_locked(struct iom_buffer *iomb, size_t len)
{
	lockdep_assert_held(&iomb->lock);
	write_cookie(iomb, iomb->in, len);
}

/*
 * A chunk of @len bytes, @need with its cookie, that does not wrap: written
 * at @p, ring index @in.  The ring bytes are the caller's, as above.
 */
static __always_inline void put_flat(struct iom_buffer *iomb, u8 *p,
				     unsigned long in, const void *data,
				     size_t len, size_t need)
{
	if (len < 128)
		ap_kasan_write_u8(p, len);
	else
		write_cookie(iomb, in, len);
	ap_kasan_copy_in(p + need - len, data, len);
}

/*
 * Length of the chunk whose cookie starts at @i; *clen gets the cookie's.
 * No byte at or past @i + @avail is read (an SPSC producer may be writing
 * there): a cookie that would run on reads as length 0, which never fits.
 */
static __always_inline size_t read_cookie(const struct iom_buffer *iomb,
					  unsigned long i, size_t avail,
					  size_t *clen)
{
	u8 b0 = ring_byte(iomb, i), b1;

	*clen = 1;
	if (b0 < 0x80)
		return b0;
	if (avail < 2)
		return 0;
	b1 = ring_byte(iomb, i + 1);
	if (b0 == 0x80 && b1 < 0x80) {
		if (avail < 3)
			return 0;
		*clen = 3;
		return IOM_LONG_BASE + ((size_t)b1 << 8) + ring_byte(iomb, i + 2);
	}
	*clen = 2;
	return ((size_t)(b0 & 0x7f) << 8) | b1;
}

static inline size_t read_cookie_locked(const struct iom_buffer *iomb,
					unsigned long i, size_t *clen)
{
	lockdep_assert_held(&iomb->lock);
	return read_cookie(iomb, i, SIZE_MAX, clen);
}

/*
 * spsc_take()'s common case: a one- or two-byte cookie at ring
 * offset @off that does not wrap, with @avail bytes queued from @off (no
 * byte past them is read).  Return: the chunk's length, and the cookie's
 * in *@clen; IOM_LONG_BASE, which no such cookie gives, for anything the
 * slow path is to decide.
 */
static __always_inline size_t flat_cookie(const struct iom_buffer *iomb,
					  size_t off, size_t avail,
					  size_t *clen)
{
	const u8 *p = iomb->ring + off;
	size_t n = ap_kasan_read_u8(p);

	*clen = 1;
	if (n < 0x80)
		return n;
	if (n == 0x80 || off + 1 >= iomb->size || avail < 2)
		return IOM_LONG_BASE;
	*clen = 2;
	return (n & 0x7f) << 8 | ap_kasan_read_u8(p + 1);
}

/*
 * Can a chunk of @len bytes behind a @clen-byte cookie start at @i, with
 * @left chunks (this one included, at least 1) queued from @i up to @in?
 * Each of the others takes at least two bytes, and the last one must end
 * exactly at @in.  A cookie a client overwrote fails this unless it decodes
 * to a length that happens to fit; the next one checked then most likely
 * fails, and the last one cannot end anywhere but at @in.  Either way no
 * byte outside [@i, @in) is read on a cookie's word.
 */
static inline bool cookie_fits(unsigned long i, unsigned long in, size_t left,
			       size_t clen, size_t len)
{
	size_t rest = in - i;

	if (unlikely(!len || clen + len > rest))
		return false;
	rest -= clen + len;
	return left == 1 ? !rest : rest >= 2 * (left - 1);
}

/*
 * Queue mode: read the cookie at @i, the first of @left chunks up to @in,
 * and check it.  Return: whether it fits, with its chunk's data at *@data
 * and its length in *@len.
 */
static bool queued_chunk_locked(const struct iom_buffer *iomb, unsigned long i,
				size_t left, unsigned long *data, size_t *len)
{
	size_t clen;

	lockdep_assert_held(&iomb->lock);
	*len = read_cookie_locked(iomb, i, &clen);
	*data = i + clen;
	return cookie_fits(i, iomb->in, left, clen, *len);
}

/* The cookie length of a chunk that takes @t bytes, cookie included. */
static inline size_t total_clen(size_t t)
{
	if (t <= 128)
		return 1;
	return t <= IOM_LONG_BASE + 1 ? 2 : 3;
}

/*
 * iom_alloc() mode: the oldest chunk's cookie is at ring offset @off and
 * its last byte at @e, the first chunk end in @ends from @off on (the ring
 * size if none).  Return: its length, cookie included, if @p is its data;
 * else 0.
 */
static size_t oldest_chunk(const struct iom_buffer *iomb, size_t off,
			   size_t e, const u8 *p)
{
	size_t t;

	if (WARN_ON_ONCE(e >= iomb->size))
		return 0;
	t = e + 1 - off;
	return p == iomb->ring + off + total_clen(t) ? t : 0;
}

/* Copy @len bytes between the ring at @i and @buf: at most two memcpys. */
static void copy_in(struct iom_buffer *iomb, unsigned long i, const void *buf,
		    size_t len)
{
	size_t off = ring_off(iomb, i);
	size_t first = min(len, iomb->size - off);

	ap_kasan_copy_in(iomb->ring + off, buf, first);
	ap_kasan_copy_in(iomb->ring, buf + first, len - first);
}

static void copy_out(const struct iom_buffer *iomb, unsigned long i, void *buf,
		     size_t len)
{
	size_t off = ring_off(iomb, i);
	size_t first = min(len, iomb->size - off);

	ap_kasan_copy_out(buf, iomb->ring + off, first);
	ap_kasan_copy_out(buf + first, iomb->ring, len - first);
}

/* Fill the @len bytes at @i, wrapping, at most IOM_STEP bytes per memset(). */
static void fill(struct iom_buffer *iomb, unsigned long i, int c, size_t len)
{
	size_t off, n;

	while (len) {
		off = ring_off(iomb, i);
		n = min_t(size_t, min(len, iomb->size - off), IOM_STEP);
		ap_kasan_memset(iomb->ring + off, c, n);
		i += n;
		len -= n;
	}
}

/* The first of the @len bytes at @i that is not POISON_FREE, or NULL. */
static u8 *find_unpoisoned(struct iom_buffer *iomb, unsigned long i,
			   size_t len)
{
	size_t off, n;
	u8 *p;

	while (len) {
		off = ring_off(iomb, i);
		n = min_t(size_t, min(len, iomb->size - off), IOM_STEP);
		p = ap_kasan_memchr_inv(iomb->ring + off, POISON_FREE, n);
		if (p)
			return p;
		i += n;
		len -= n;
	}
	return NULL;
}

/*
 * IOM_POISON: the used bytes [@from, @to) leave without being poisoned.  In
 * the free space they become [@from + size, @to + size), right after the
 * stale range if there is one, so the range grows to cover them.  O(1).
 */
static void stale_add_locked(struct iom_buffer *iomb, unsigned long from,
			     unsigned long to)
{
	lockdep_assert_held(&iomb->lock);
	if (!(iomb->flags & IOM_POISON) || from == to)
		return;
	if (!iomb->stale_len)
		iomb->stale = from + iomb->size;
	iomb->stale_len = to + iomb->size - iomb->stale;
}

/*
 * The caller owns the free space: it holds the lock, or it is an SPSC
 * ring's producer.
 *
 * IOM_POISON: the free bytes [in, @end) are about to be used; the chunk's
 * cookie and data start at @check.  Those from @check on that are not stale
 * must still hold POISON_FREE.  Stale bytes were never handed to anyone, so
 * they are not checked; with @fill_stale (a chunk about to be handed out)
 * they are poisoned first, so that it holds no dropped data.  At most
 * @end - in bytes are read or written.
 *
 * Return: true, with [in, @end) no longer stale; false when a byte was
 * overwritten: its offset is in *@bad, the checked bytes are poisoned
 * again, the damage is counted and nothing else changes.
 */
static bool claim(struct iom_buffer *iomb, unsigned long check,
		  unsigned long end, bool fill_stale, size_t *bad)
{
	unsigned long in = iomb->in;
	size_t c = check - in, n = end - in, s = 0, e = 0, lo, hi;
	u8 *p = NULL;

	if (iomb->stale_len) {
		/* relative to in, as c and n are */
		s = iomb->stale - in;
		e = s + iomb->stale_len;
	}
	/* What is not stale in [c, n): [c, min(n, s)) and [max(c, e), n). */
	lo = max(c, e);
	hi = min(n, s);
	if (c < hi)
		p = find_unpoisoned(iomb, in + c, hi - c);
	if (!p && lo < n)
		p = find_unpoisoned(iomb, in + lo, n - lo);
	if (p) {
		*bad = p - iomb->ring;
		if (c < hi)
			fill(iomb, in + c, POISON_FREE, hi - c);
		if (lo < n)
			fill(iomb, in + lo, POISON_FREE, n - lo);
		if (iomb->spsc) {
			/* the consumer counts in the shared counters */
			WRITE_ONCE(iomb->p_invalid_frees, iomb->p_invalid_frees + 1);
			WRITE_ONCE(iomb->p_corruptions, iomb->p_corruptions + 1);
		} else {
			iomb->invalid_frees++;
			iomb->corruptions++;
		}
		return false;
	}
	if (!iomb->stale_len || s >= n)
		return true;
	if (fill_stale)
		fill(iomb, in + s, POISON_FREE, min(e, n) - s);
	if (e <= n) {
		iomb->stale_len = 0;
	} else {
		iomb->stale = end;
		iomb->stale_len = e - n;
	}
	return true;
}

/*
 * The ring is empty: start again at offset 0.  The stale range keeps its
 * bytes, which are the same bytes at new indices, unless they straddle
 * offset 0: then they would become two ranges, and the rewind is skipped,
 * or with @force (iom_alloc(), which promises offset 0) the whole ring is
 * taken as stale, to be filled rather than checked on its next use.
 */
static void rewind_locked(struct iom_buffer *iomb, bool force)
{
	size_t off;

	lockdep_assert_held(&iomb->lock);
	if (iomb->stale_len) {
		off = ring_off(iomb, iomb->stale);
		if (off + iomb->stale_len > iomb->size) {
			if (!force)
				return;
			off = 0;
			iomb->stale_len = iomb->size;
		}
		iomb->stale = off;
	}
	iomb->in = 0;
	iomb->out = 0;
}

static void account_in_locked(struct iom_buffer *iomb)
{
	size_t used = iomb->in - iomb->out;

	lockdep_assert_held(&iomb->lock);
	iomb->chunks++;
	iomb->seq++;
	if (used > iomb->peak_used)
		iomb->peak_used = used;
}

/*
 * The oldest chunk ends at @end; the read index moves to @out, which is
 * past the gap when iom_alloc() skipped one right after the chunk, so that
 * the gap stops counting as used as soon as the chunk before it is
 * released.  Under IOM_POISON the chunk is poisoned, at most 65538 bytes,
 * and so is the gap's marker byte (the rest of a gap was never written); a
 * @drop is not poisoned but made stale, in O(1).
 */
static void advance_out_locked(struct iom_buffer *iomb, unsigned long end,
			       unsigned long out, bool drop)
{
	lockdep_assert_held(&iomb->lock);
	if (drop) {
		stale_add_locked(iomb, iomb->out, out);
	} else if (iomb->flags & IOM_POISON) {
		fill(iomb, iomb->out, POISON_FREE, end - iomb->out);
		if (out != end)
			set_ring_byte(iomb, end, POISON_FREE);
	}
	iomb->out = out;
	iomb->chunks--;
	iomb->seq++;
	if (!iomb->chunks) {
		iomb->alloc_mode = false;
		if (iomb->flags & IOM_MAINLY_EMPTY)
			rewind_locked(iomb, false);
	}
}

/*
 * Empty the ring in O(1).  The bytes in use are made stale, unless @wipe:
 * the caller then poisons them itself with the lock dropped, see
 * wipe_begin_locked().
 */
static void empty_locked(struct iom_buffer *iomb, bool wipe)
{
	lockdep_assert_held(&iomb->lock);
	if (!wipe)
		stale_add_locked(iomb, iomb->out, iomb->in);
	iomb->out = iomb->in;
	iomb->chunks = 0;
	iomb->alloc_mode = false;
	iomb->seq++;
	rewind_locked(iomb, false);
}

/*
 * Queue mode: the cookie at @i, after @kept chunks found sound, does not
 * fit the queue: a client wrote over it.  Nothing may read through it, so
 * it and every chunk after it are dropped unread (counted as head drops, so
 * that the counters still add up) and the damage is counted; the caller
 * reports it once the lock is dropped.  Queued bytes are referenced by
 * nobody, so their space is free again; under IOM_POISON it becomes stale,
 * as dropped bytes do.  O(1).
 */
static void cut_locked(struct iom_buffer *iomb, unsigned long i, size_t kept)
{
	unsigned long end;

	lockdep_assert_held(&iomb->lock);
	iomb->invalid_frees++;
	iomb->corruptions++;
	iomb->head_drops += iomb->chunks - kept;
	if (!kept) {
		empty_locked(iomb, false);
		return;
	}
	if (iomb->flags & IOM_POISON) {
		end = iomb->stale_len ? iomb->stale + iomb->stale_len : iomb->in;
		iomb->stale = i;
		iomb->stale_len = end - i;
	}
	iomb->in = i;
	iomb->chunks = kept;
	iomb->seq++;
}

/*
 * IOM_HEAD_DROP: drop the oldest chunk.  Return: false when its cookie was
 * damaged: the whole queue is cut off then, and *@bad is where.
 */
static bool drop_oldest_locked(struct iom_buffer *iomb, size_t *bad)
{
	unsigned long data;
	size_t len;

	lockdep_assert_held(&iomb->lock);
	if (!queued_chunk_locked(iomb, iomb->out, iomb->chunks, &data, &len)) {
		*bad = ring_off(iomb, iomb->out);
		cut_locked(iomb, iomb->out, 0);
		return false;
	}
	advance_out_locked(iomb, data + len, data + len, true);
	iomb->head_drops++;
	return true;
}

/*
 * A reset is about to write ring bytes with the lock dropped.  The ring is
 * empty; IOM_WIPING keeps it so (pushes and allocations are refused) until
 * the last such reset calls wipe_end().
 */
static void wipe_begin_locked(struct iom_buffer *iomb)
{
	lockdep_assert_held(&iomb->lock);
	iomb->wipers++;
	iomb->flags |= IOM_WIPING;
}

/* Fill the @len bytes at @i without the lock, yielding between steps. */
static void wipe(struct iom_buffer *iomb, unsigned long i, int c, size_t len)
{
	size_t n;

	while (len) {
		n = min_t(size_t, len, IOM_STEP);
		fill(iomb, i, c, n);
		i += n;
		len -= n;
		cond_resched();
	}
}

/*
 * Clear the chunk ends of iom_alloc() chunks that a reset took back, the
 * @len ring bytes' worth from @i, without the lock (IOM_WIPING keeps
 * iom_alloc() off them, and the ring is empty, so no release reads them).
 */
static void wipe_ends(struct iom_buffer *iomb, unsigned long i, size_t len)
{
	size_t off, n;

	while (len) {
		off = ring_off(iomb, i);
		n = min_t(size_t, min(len, iomb->size - off),
			  IOM_STEP * BITS_PER_BYTE);
		bitmap_clear(iomb->ends, off, n);
		i += n;
		len -= n;
		cond_resched();
	}
}

static void wipe_end(struct iom_buffer *iomb)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&iomb->lock, flags);
	if (!--iomb->wipers)
		iomb->flags &= ~IOM_WIPING;
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
}

/*
 * IOM_SPSC.  One producer (iom_push(), iom_alloc()) and one consumer
 * (iom_shift(), iom_peek(), iom_peek_update(), iom_release()) run at once
 * with no lock, as kfifo's single reader and writer do.  The producer
 * writes a chunk's cookie and bytes (and its end bit in @ends) and then
 * publishes @tail with smp_store_release(); the consumer reads @tail with
 * smp_load_acquire() before it reads anything the producer wrote.  The
 * consumer reads, poisons, clears end bits, and then publishes @out with
 * smp_store_release(); the producer reads @out with smp_load_acquire()
 * before it reuses a byte.  Each side writes only its own fields (struct
 * iom_buffer); the other side's it reads with READ_ONCE().
 *
 * The consumer checks a cookie against the chunk count that came with
 * @tail, exactly as the locked ring does, and never reads past the write
 * index it saw, where the producer may be writing.
 */

static inline unsigned long spsc_pack(unsigned long in, unsigned long produced)
{
	return produced << IOM_HALF | (in & IOM_HALF_MASK);
}

/* The full write index in @tail, seen from a read index @out before it. */
static inline unsigned long spsc_in(unsigned long tail, unsigned long out)
{
	return out + ((tail - out) & IOM_HALF_MASK);
}

static inline size_t spsc_chunks(unsigned long tail, unsigned long consumed)
{
	return ((tail >> IOM_HALF) - consumed) & IOM_HALF_MASK;
}

/* A counter of one side's, which iom_stats() reads beside it. */
static inline void spsc_inc(u64 *counter)
{
	WRITE_ONCE(*counter, *counter + 1);
}

/* The consumer's view: the write index in *@in, and the chunks up to it. */
static inline size_t spsc_tail(const struct iom_buffer *iomb, unsigned long *in)
{
	/* Pairs with smp_store_release() in spsc_produce(). */
	unsigned long tail = smp_load_acquire(&iomb->tail);

	*in = spsc_in(tail, iomb->out);
	return spsc_chunks(tail, iomb->consumed);
}

/*
 * The producer's view: the read index.  Pairs with smp_store_release() in
 * spsc_consume(): the bytes before it are read, poisoned and their end
 * bits cleared, so the producer may reuse them.
 */
static inline unsigned long spsc_out(const struct iom_buffer *iomb)
{
	/* Pairs with smp_store_release() in spsc_consume(). */
	return smp_load_acquire(&iomb->out);
}

/* Producer: one more chunk, written up to @in; @out is the read index seen. */
static inline void spsc_produce(struct iom_buffer *iomb, unsigned long in,
				unsigned long out)
{
	iomb->in = in;
	iomb->produced++;
	if (in - out > iomb->peak_used)
		WRITE_ONCE(iomb->peak_used, in - out);
	/* Pairs with smp_load_acquire() in spsc_tail(). */
	smp_store_release(&iomb->tail, spsc_pack(in, iomb->produced));
}

/* Consumer: @n chunks are gone and the read index moves to @out. */
static inline void spsc_consume(struct iom_buffer *iomb, unsigned long out,
				size_t n)
{
	WRITE_ONCE(iomb->consumed, iomb->consumed + n);
	/* Pairs with smp_load_acquire() in spsc_out(). */
	smp_store_release(&iomb->out, out);
}

/*
 * The calls that touch both ends run, on an SPSC ring, with both sides
 * kept out by the caller; they take the lock and work on @chunks, derived
 * here and handed back to both sides by spsc_leave_locked().  An empty
 * ring is free to take either family again.
 */
static void spsc_enter_locked(struct iom_buffer *iomb)
{
	lockdep_assert_held(&iomb->lock);
	if (!iomb->spsc)
		return;
	iomb->chunks = spsc_chunks(iomb->tail, iomb->consumed);
	if (!iomb->chunks)
		iomb->alloc_mode = false;
}

static void spsc_leave_locked(struct iom_buffer *iomb)
{
	lockdep_assert_held(&iomb->lock);
	if (!iomb->spsc)
		return;
	WRITE_ONCE(iomb->consumed, iomb->produced - iomb->chunks);
	WRITE_ONCE(iomb->tail, spsc_pack(iomb->in, iomb->produced));
}

/* What iterators compare: it changes with every chunk in or out. */
static unsigned long iom_seq_locked(const struct iom_buffer *iomb)
{
	lockdep_assert_held(&iomb->lock);
	return iomb->seq + iomb->produced + iomb->consumed;
}

/*
 * Beside both sides: bytes in use, and in *@chunks the chunks queued.
 * Each side's index is read once, the consumer's first, so the figures
 * are a snapshot, clamped to what a ring can hold.
 */
static size_t spsc_snapshot(const struct iom_buffer *iomb, size_t *chunks)
{
	unsigned long out = spsc_out(iomb);
	unsigned long consumed = READ_ONCE(iomb->consumed);
	/* Pairs with smp_store_release() in spsc_produce(). */
	unsigned long tail = smp_load_acquire(&iomb->tail);
	size_t used = min_t(size_t, spsc_in(tail, out) - out, iomb->size);

	*chunks = spsc_chunks(tail, consumed);
	if (*chunks > iomb->size / 2)
		*chunks = 0;	/* the consumer read ahead of our tail */
	return used;
}

/*
 * Consumer: the first bit set in @ends from @from on, or the ring size.
 * Word by word with READ_ONCE(): the producer sets other bits meanwhile.
 */
static size_t spsc_next_end(const struct iom_buffer *iomb, size_t from)
{
	size_t w = from / BITS_PER_LONG, words = iomb->size / BITS_PER_LONG;
	unsigned long bits;

	if (from >= iomb->size)
		return iomb->size;
	bits = READ_ONCE(iomb->ends[w]) & (~0UL << (from % BITS_PER_LONG));
	while (!bits) {
		if (++w >= words)
			return iomb->size;
		bits = READ_ONCE(iomb->ends[w]);
	}
	return w * BITS_PER_LONG + __ffs(bits);
}

/* spsc_push() off its common case */
static noinline int spsc_push_slow(struct iom_buffer *iomb, const void *data,
				   size_t len, size_t need, unsigned int mode)
{
	unsigned long in = iomb->in, out;
	size_t bad, off;
	int ret;

	/* Dropping would consume: the consumer's business. */
	if (mode != IOM_TAIL_DROP) {
		ret = -EINVAL;
		goto fail;
	}
	out = spsc_out(iomb);
	if (iomb->alloc_mode) {
		/* Only an empty ring changes family, and only we fill it. */
		if (in != out) {
			ret = -EBUSY;
			goto fail;
		}
		WRITE_ONCE(iomb->alloc_mode, false);
	}
	if (need > iomb->size - (in - out)) {
		spsc_inc(&iomb->tail_drops);
		return -ENOBUFS;
	}
	if ((iomb->flags & IOM_POISON) && !claim(iomb, in, in + need, false, &bad)) {
		spsc_inc(&iomb->failures);
		ap_report_invalid(&iomb->ap, "poison overwritten", true, bad);
		return -EIO;
	}
	off = ring_off(iomb, in);
	if (likely(off + need <= iomb->size)) {
		put_flat(iomb, iomb->ring + off, in, data, len, need);
	} else {
		write_cookie(iomb, in, len);
		copy_in(iomb, in + need - len, data, len);
	}
	spsc_inc(&iomb->pushes);
	spsc_produce(iomb, in + need, out);
	return 0;

fail:
	spsc_inc(&iomb->failures);
	return ret;
}

/*
 * Consumer: a cookie at @out does not fit the queue.  Everything up to the
 * write index seen, @in, is dropped unread, as cut_locked() does; the
 * bytes are poisoned here (the producer checks free bytes, and keeps the
 * only stale range), which costs O(@in - @out) on this rare path.
 */
static void spsc_cut(struct iom_buffer *iomb, unsigned long in, size_t chunks)
{
	size_t off = ring_off(iomb, iomb->out);

	if (iomb->flags & IOM_POISON)
		fill(iomb, iomb->out, POISON_FREE, in - iomb->out);
	spsc_inc(&iomb->invalid_frees);
	spsc_inc(&iomb->corruptions);
	WRITE_ONCE(iomb->head_drops, iomb->head_drops + chunks);
	spsc_consume(iomb, in, chunks);
	ap_report_corruption(&iomb->ap, "chunk cookie damaged", off);
}

/*
 * The consumer side of iom_peek_update() (@buf NULL, @shift), and of
 * iom_shift() and iom_peek() off spsc_take()'s common case.
 */
static noinline int spsc_take_slow(struct iom_buffer *iomb, void *buf,
				   size_t *len, size_t bufsize, bool shift)
{
	unsigned long out = iomb->out, in, end;
	size_t chunks, n, clen, off;

	chunks = spsc_tail(iomb, &in);
	if (!chunks)
		return -ENODATA;
	/* Set before the chunks we see were published, and kept while any is. */
	if (READ_ONCE(iomb->alloc_mode))
		return -EBUSY;
	n = read_cookie(iomb, out, in - out, &clen);
	if (!cookie_fits(out, in, chunks, clen, n)) {
		spsc_cut(iomb, in, chunks);
		return -ENODATA;
	}
	*len = n;
	if (n > bufsize)
		return -EMSGSIZE;
	off = ring_off(iomb, out);
	if (!buf)
		;
	else if (likely(off + clen + n <= iomb->size))
		ap_kasan_copy_out(buf, iomb->ring + off + clen, n);
	else
		copy_out(iomb, out + clen, buf, n);
	if (shift) {
		end = out + clen + n;
		if (iomb->flags & IOM_POISON)
			fill(iomb, out, POISON_FREE, end - out);
		spsc_inc(&iomb->shifts);
		spsc_consume(iomb, end, 1);
	}
	return 0;
}

/*
 * The producer side of iom_push(), which checked the arguments and passes
 * its caller's address in @ip.  The common case (room, no wrap, no
 * poison) is written out here: inlined, it takes no frame of its own.
 */
static __always_inline int spsc_push(struct iom_buffer *iomb,
				     const void *data, size_t len, size_t need,
				     unsigned int mode, unsigned long ip)
{
	unsigned long in = iomb->in, out = spsc_out(iomb);
	size_t off = ring_off(iomb, in);
	int ret = 0;

	if (likely(mode == IOM_TAIL_DROP && !iomb->alloc_mode &&
		   !(iomb->flags & IOM_POISON) &&
		   need <= iomb->size - (in - out) &&
		   off + need <= iomb->size)) {
		put_flat(iomb, iomb->ring + off, in, data, len, need);
		spsc_inc(&iomb->pushes);
		spsc_produce(iomb, in + need, out);
	} else {
		ret = spsc_push_slow(iomb, data, len, need, mode);
	}
	ap_trace_push(&iomb->ap, ret, len, ip);
	return ret;
}

/*
 * The consumer side of iom_shift() and iom_peek(), which checked the
 * arguments (@buf is not NULL).  The common case (a one- or two-byte
 * cookie, a chunk that does not wrap, no poison) is written out here;
 * inlined, it takes no frame of its own.
 */
static __always_inline int spsc_take(struct iom_buffer *iomb, void *buf,
				     size_t *len, size_t bufsize, bool shift)
{
	unsigned long out = iomb->out, in;
	size_t chunks = spsc_tail(iomb, &in);
	size_t off = ring_off(iomb, out), clen, n;

	if (unlikely(!chunks))
		return -ENODATA;
	n = flat_cookie(iomb, off, in - out, &clen);
	if (unlikely(READ_ONCE(iomb->alloc_mode) || n >= IOM_LONG_BASE ||
		     n > bufsize || off + clen + n > iomb->size ||
		     (iomb->flags & IOM_POISON) ||
		     !cookie_fits(out, in, chunks, clen, n)))
		return spsc_take_slow(iomb, buf, len, bufsize, shift);
	*len = n;
	ap_kasan_copy_out(buf, iomb->ring + off + clen, n);
	if (shift) {
		spsc_inc(&iomb->shifts);
		spsc_consume(iomb, out + clen + n, 1);
	}
	return 0;
}

/*
 * The producer side of iom_alloc().  As on a locked ring, but an empty
 * ring is not rewound to offset 0 (the read index is the consumer's), and
 * the end bit is set atomically: the consumer clears others in the word.
 */
static noinline void *spsc_alloc(struct iom_buffer *iomb, size_t len)
{
	unsigned long in = iomb->in, out;
	size_t need, gap = 0, off, bad;
	bool shared;
	u8 *chunk;

	if (!len || len > IOM_MAX_CHUNK)
		goto fail;
	out = spsc_out(iomb);
	if (in != out && !iomb->alloc_mode)
		goto fail;
	need = len + cookie_len(len);
	off = ring_off(iomb, in);
	if (need > iomb->size - off)
		gap = iomb->size - off;
	if (gap + need > iomb->size - (in - out))
		goto fail;
	if ((iomb->flags & IOM_POISON) &&
	    !claim(iomb, in + gap, in + gap + need, true, &bad)) {
		spsc_inc(&iomb->failures);
		ap_report_invalid(&iomb->ap, "poison overwritten", true, bad);
		return NULL;
	}
	if (gap) {
		ap_kasan_write_u8(&iomb->ring[off], IOM_GAP);
		in += gap;
	}
	write_cookie(iomb, in, len);
	in += need;
	set_bit(ring_off(iomb, in - 1), iomb->ends);
	WRITE_ONCE(iomb->alloc_mode, true);
	spsc_inc(&iomb->allocs);
	/* The oldest chunk, live when @out was read, may share our last granule. */
	off = ring_off(iomb, out);
	shared = iomb->in != out && off > ring_off(iomb, in - 1) &&
		 ap_kasan_same_granule(off, ring_off(iomb, in - 1));
	chunk = iomb->ring + ring_off(iomb, in - len);
	spsc_produce(iomb, in, out);
	if (shared)
		ap_kasan_alloc_whole(chunk, len);
	else
		ap_kasan_alloc(chunk, len, len);
	return chunk;

fail:
	spsc_inc(&iomb->failures);
	return NULL;
}

/*
 * The consumer side of iom_release(), as release_oldest_locked() but with
 * the write index and chunk count from @tail.  The oldest chunk may sit at
 * offset 0 behind a gap that the producer skipped after the consumer last
 * looked (no chunk ends between the read index and the ring's end): the
 * gap goes with it.  KASAN: the granules the chunk shares with its
 * neighbours stay unpoisoned, as the producer may be handing one out.
 *
 * Return: as release_oldest_locked(), and -EBUSY for pushed chunks.
 */
static noinline int spsc_release(struct iom_buffer *iomb, const u8 *p)
{
	unsigned long out = iomb->out, in, end;
	size_t chunks, off, e, t, clen, c, len, head_gap = 0;
	bool sound = true;

	chunks = spsc_tail(iomb, &in);
	if (!chunks)
		return -EINVAL;
	if (!READ_ONCE(iomb->alloc_mode))
		return -EBUSY;
	off = ring_off(iomb, out);
	e = spsc_next_end(iomb, off);
	if (e >= iomb->size) {
		head_gap = iomb->size - off;
		off = 0;
		e = spsc_next_end(iomb, 0);
	}
	t = oldest_chunk(iomb, off, e, p);
	if (!t)
		return -EINVAL;
	clen = total_clen(t);
	if (head_gap) {
		sound = ring_byte(iomb, out) == IOM_GAP;
		if (iomb->flags & IOM_POISON)
			set_ring_byte(iomb, out, POISON_FREE);
		out += head_gap;
	}
	len = read_cookie(iomb, out, t, &c);
	sound &= c == clen && c + len == t;
	end = out + t;
	if (iomb->flags & IOM_POISON)
		fill(iomb, out, POISON_FREE, t);
	ap_kasan_free_part(iomb->ring + off, t, true, true);
	clear_bit(e, iomb->ends);
	/* A published next chunk at offset 0: the gap before it goes now. */
	if (end != in && e + 1 < iomb->size &&
	    spsc_next_end(iomb, e + 1) >= iomb->size) {
		sound &= ring_byte(iomb, end) == IOM_GAP;
		if (iomb->flags & IOM_POISON)
			set_ring_byte(iomb, end, POISON_FREE);
		end += iomb->size - (e + 1);
	}
	spsc_inc(&iomb->releases);
	if (!sound) {
		spsc_inc(&iomb->invalid_frees);
		spsc_inc(&iomb->corruptions);
	}
	spsc_consume(iomb, end, 1);
	return sound ? 0 : -EUCLEAN;
}

/*
 * The invariant checker the tests call after every mutation: walking the
 * cookies from @out must land exactly on @in after @chunks chunks, the stale
 * range must lie in the free space, and under IOM_POISON every other free
 * byte must still hold POISON_FREE.  For tests only: it holds the lock for
 * O(size), to see one consistent ring.
 */
static bool __maybe_unused iom_invariants_ok(struct iom_buffer *iomb)
{
	unsigned long flags, i, data;
	size_t n = 0, len, clen;
	bool ok = true;

	raw_spin_lock_irqsave(&iomb->lock, flags);
	spsc_enter_locked(iomb);
	if (iomb->in - iomb->out > iomb->size ||
	    (iomb->alloc_mode && !iomb->chunks))
		ok = false;
	if (iomb->spsc &&
	    (spsc_in(iomb->tail, iomb->out) != iomb->in ||
	     iomb->produced - iomb->consumed != iomb->chunks))
		ok = false;
	if (iomb->stale_len &&
	    (!(iomb->flags & IOM_POISON) ||
	     iomb->stale - iomb->in > iomb->size ||
	     iomb->stale - iomb->in + iomb->stale_len >
	     iomb->size - (iomb->in - iomb->out)))
		ok = false;
	for (i = iomb->out; ok && i != iomb->in; n++) {
		if (iomb->in - i > iomb->size || n >= iomb->chunks) {
			ok = false;
			break;
		}
		if (iomb->alloc_mode && ring_byte(iomb, i) == IOM_GAP)
			i += iomb->size - ring_off(iomb, i);
		len = read_cookie_locked(iomb, i, &clen);
		data = i + clen;
		if (!len || len > IOM_MAX_CHUNK || clen != cookie_len(len) ||
		    (iomb->alloc_mode &&
		     (ring_off(iomb, data) + len > iomb->size ||
		      !test_bit(ring_off(iomb, data + len - 1), iomb->ends))))
			ok = false;
		i = data + len;
	}
	if (ok && n != iomb->chunks)
		ok = false;
	/* every chunk end found above is set, and nothing else */
	if (ok && bitmap_weight(iomb->ends, iomb->size) !=
	    (iomb->alloc_mode ? n : 0))
		ok = false;
	if (ok && (iomb->flags & IOM_POISON))
		for (i = iomb->in; ok && i != iomb->out + iomb->size; i++)
			ok = ring_byte(iomb, i) == POISON_FREE ||
			     (iomb->stale_len &&
			      i - iomb->stale < iomb->stale_len);
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	return ok;
}

/**
 * iom_nearest_power_two() - round up to a power of two
 * @n: any number
 *
 * Return: the smallest power of two >= @n, 1 for 0, and 0 when no power of
 * two that large fits in a size_t.
 */
size_t iom_nearest_power_two(size_t n)
{
	if (n <= 1)
		return 1;
	if (n > (SIZE_MAX >> 1) + 1)
		return 0;
	return (size_t)1 << fls64(n - 1);
}
EXPORT_SYMBOL_NS_GPL(iom_nearest_power_two, ALLOCPOOLS_NS);

static void iom_row(struct ap_pool *pool, struct ap_row *row)
{
	struct iom_buffer *iomb = container_of(pool, struct iom_buffer, ap);
	struct iom_stats st;

	iom_stats(iomb, &st);
	row->size = st.size;
	row->used = st.used;
	row->free = st.size - st.used;
	row->allocs = st.pushes + st.allocs;
	row->frees = st.shifts + st.releases + st.head_drops;
	row->failures = st.failures;
	row->invalid_frees = st.invalid_frees;
}

static int iom_stats_show(struct seq_file *m, struct ap_pool *pool)
{
	struct iom_buffer *iomb = container_of(pool, struct iom_buffer, ap);
	struct iom_stats st;

	iom_stats(iomb, &st);
	seq_printf(m, "size: %zu\nused: %zu\npeak_used: %zu\nchunks: %zu\n",
		   st.size, st.used, st.peak_used, st.chunks);
	seq_printf(m, "pushes: %llu\nshifts: %llu\nallocs: %llu\nreleases: %llu\n",
		   st.pushes, st.shifts, st.allocs, st.releases);
	seq_printf(m, "head_drops: %llu\ntail_drops: %llu\nfailures: %llu\ninvalid_frees: %llu\n",
		   st.head_drops, st.tail_drops, st.failures, st.invalid_frees);
	seq_printf(m, "corruptions: %llu\n", st.corruptions);
	seq_printf(m, "injected: %llu\n", st.injected);
	return 0;
}

static const struct ap_file iom_files[] = {
	{ .name = "stats", .show = iom_stats_show },
};

static const struct ap_kind iom_kind = {
	.name = "iom",
	.row = iom_row,
	.files = iom_files,
	.nr_files = ARRAY_SIZE(iom_files),
};

/**
 * iom_create() - create a FIFO ring
 * @name: pool name, 1..31 characters of ``[A-Za-z0-9_.-]``, unique among rings
 * @size: ring size in bytes, a power of two from 64 B to 1 GiB
 * @flags: IOM_MAINLY_EMPTY, IOM_POISON, IOM_SPSC
 *
 * IOM_SPSC does not go with IOM_MAINLY_EMPTY, whose rewind moves both
 * ends at once, and is limited to rings of IOM_SPSC_MAX_SIZE bytes.
 *
 * Context: process context; may sleep.
 * Return: the ring, or ERR_PTR(-EINVAL) for a bad name, size or flag,
 * ERR_PTR(-EEXIST) if the name is taken, ERR_PTR(-ENOMEM).
 */
struct iom_buffer *iom_create(const char *name, size_t size, unsigned int flags)
{
	struct iom_buffer *iomb;
	int ret;

	might_sleep();
	if (!ap_name_valid(name) || (flags & ~IOM_FLAGS) ||
	    (flags & (IOM_SPSC | IOM_MAINLY_EMPTY)) ==
	    (IOM_SPSC | IOM_MAINLY_EMPTY))
		return ERR_PTR(-EINVAL);
	if (!is_power_of_2(size) || size < IOM_MIN_SIZE || size > IOM_MAX_SIZE) {
		pr_warn("iom/%s: ring size %zu is not a power of two from %lu to %lu\n",
			name, size, IOM_MIN_SIZE, (unsigned long)IOM_MAX_SIZE);
		return ERR_PTR(-EINVAL);
	}
	if ((flags & IOM_SPSC) && size > IOM_SPSC_MAX_SIZE) {
		pr_warn("iom/%s: an IOM_SPSC ring is at most %lu bytes here\n",
			name, (unsigned long)IOM_SPSC_MAX_SIZE);
		return ERR_PTR(-EINVAL);
	}

	iomb = kzalloc(sizeof(*iomb), GFP_KERNEL);
	if (!iomb)
		return ERR_PTR(-ENOMEM);
	/* sizes the caller chose: a failure is reported here, not by vmalloc */
	iomb->ring = __vmalloc(size, GFP_KERNEL | __GFP_NOWARN);
	if (!iomb->ring) {
		pr_err("iom/%s: no memory for a %zu-byte ring\n", name, size);
		ret = -ENOMEM;
		goto free_iomb;
	}
	iomb->ends = kvzalloc(BITS_TO_LONGS(size) * sizeof(unsigned long),
			      GFP_KERNEL | __GFP_NOWARN);
	if (!iomb->ends) {
		pr_err("iom/%s: no memory for the chunk map of a %zu-byte ring\n",
		       name, size);
		ret = -ENOMEM;
		goto free_ring;
	}
	if (flags & IOM_POISON)
		ap_kasan_memset(iomb->ring, POISON_FREE, size);
	/* A queue's ring is never the client's; iom_alloc() unpoisons chunks. */
	ap_kasan_free(iomb->ring, size);
	iomb->size = size;
	iomb->flags = flags;
	iomb->spsc = flags & IOM_SPSC;
	raw_spin_lock_init(&iomb->lock);

	ret = ap_pool_register(&iomb->ap, &iom_kind, name);
	if (ret)
		goto free_ends;
	return iomb;

free_ends:
	kvfree(iomb->ends);
free_ring:
	vfree(iomb->ring);
free_iomb:
	kfree(iomb);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(iom_create, ALLOCPOOLS_NS);

/**
 * iom_destroy() - destroy a ring and everything in it
 * @iomb: the ring; NULL and ERR_PTR values are ignored
 *
 * Chunks still queued or allocated are freed, with one warning that counts
 * them.
 *
 * Context: process context; may sleep.
 */
void iom_destroy(struct iom_buffer *iomb)
{
	if (IS_ERR_OR_NULL(iomb))
		return;
	might_sleep();
	ap_pool_unregister(&iomb->ap);
	if (iomb->spsc)
		iomb->chunks = spsc_chunks(iomb->tail, iomb->consumed);
	if (iomb->chunks)
		ap_warn_live(&iomb->ap, iomb->chunks);
	kvfree(iomb->ends);
	vfree(iomb->ring);
	kfree(iomb);
}
EXPORT_SYMBOL_NS_GPL(iom_destroy, ALLOCPOOLS_NS);

static noinline int push_refused(struct iom_buffer *iomb, int ret)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&iomb->lock, flags);
	iomb->failures++;
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	return ret;
}

/*
 * iom_push() off the fast path: iom_alloc() chunks, a reset under way, a
 * full ring, poison to check, or a chunk that wraps.  On -EIO, *@bad is
 * where the poison broke; *@cut is where IOM_HEAD_DROP found a damaged
 * cookie and cut the queue off (it goes on, into the emptied ring).
 * Dropping is O(1) per chunk and touches no data (see the head comment),
 * so the work done here stays bounded by @need.
 */
static int push_slow_locked(struct iom_buffer *iomb, const void *data,
			    size_t len, size_t need, unsigned int mode,
			    size_t *bad, size_t *cut)
{
	lockdep_assert_held(&iomb->lock);
	if (iomb->alloc_mode || (iomb->flags & IOM_WIPING)) {
		iomb->failures++;
		return -EBUSY;
	}
	if (need > iomb->size - (iomb->in - iomb->out)) {
		if (mode == IOM_TAIL_DROP) {
			iomb->tail_drops++;
			return -ENOBUFS;
		}
		if (mode == IOM_DROP_ALL) {
			iomb->head_drops += iomb->chunks;
			empty_locked(iomb, false);
		}
		while (need > iomb->size - (iomb->in - iomb->out)) {
			if (!drop_oldest_locked(iomb, cut))
				break;
		}
	}
	if ((iomb->flags & IOM_POISON) &&
	    !claim(iomb, iomb->in, iomb->in + need, false, bad)) {
		iomb->failures++;
		return -EIO;
	}
	write_cookie_locked(iomb, len);
	copy_in(iomb, iomb->in + cookie_len(len), data, len);
	iomb->in += need;
	iomb->pushes++;
	account_in_locked(iomb);
	return 0;
}

static noinline int push_slow(struct iom_buffer *iomb, const void *data,
			      size_t len, size_t need, unsigned int mode)
{
	size_t bad, cut = SIZE_MAX;
	unsigned long flags;
	int ret;

	raw_spin_lock_irqsave(&iomb->lock, flags);
	ret = push_slow_locked(iomb, data, len, need, mode, &bad, &cut);
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	if (unlikely(cut != SIZE_MAX))
		ap_report_corruption(&iomb->ap, "chunk cookie damaged", cut);
	if (ret == -EIO)
		ap_report_invalid(&iomb->ap, "poison overwritten", true, bad);
	return ret;
}

/**
 * iom_push() - copy a chunk into the queue
 * @iomb: the ring
 * @data: the chunk
 * @len: its length, 1..65535 bytes, cookie included at most the ring size
 * @mode: what to do when the ring is full: IOM_TAIL_DROP refuses the chunk,
 *	IOM_HEAD_DROP drops the oldest chunks until it fits, IOM_DROP_ALL
 *	empties the queue first
 *
 * Context: any context.  On an IOM_SPSC ring, no lock: one producer at a
 * time (iom_push() or iom_alloc()).
 * Return: 0; -EINVAL for a zero length, a NULL pointer or an unknown mode;
 * -EMSGSIZE for a chunk longer than 65535 bytes or than an empty ring holds;
 * -ENOBUFS when full under IOM_TAIL_DROP, or failed on purpose by the
 * ring's fail/ fault attribute in any mode; -EBUSY when the ring holds
 * iom_alloc() chunks or iom_reset()/iom_reset_secure() is wiping it;
 * -EINVAL also for IOM_HEAD_DROP and IOM_DROP_ALL on an IOM_SPSC ring,
 * where the producer may not drop what the consumer owns; -EIO
 * when IOM_POISON found the free space overwritten (counted in
 * invalid_frees and corruptions; the poison is restored, so a retry may
 * succeed).
 */
int iom_push(struct iom_buffer *iomb, const void *data, size_t len,
	     unsigned int mode)
{
	unsigned long flags, in;
	size_t need, off;
	int ret;

	if (!iomb)
		return -EINVAL;
	if (unlikely(!len || !data || mode > IOM_DROP_ALL))
		return push_refused(iomb, -EINVAL);
	need = len + cookie_len(len);
	if (unlikely(len > IOM_MAX_CHUNK || need > iomb->size))
		return push_refused(iomb, -EMSGSIZE);
	/* As a full ring under IOM_TAIL_DROP, in any mode: nothing dropped. */
	if (ap_should_fail(&iomb->ap, len))
		return -ENOBUFS;
	if (iomb->spsc)
		return spsc_push(iomb, data, len, need, mode, _RET_IP_);

	raw_spin_lock_irqsave(&iomb->lock, flags);
	in = iomb->in;
	off = ring_off(iomb, in);
	if (likely(!iomb->alloc_mode &&
		   !(iomb->flags & (IOM_POISON | IOM_WIPING)) &&
		   need <= iomb->size - (in - iomb->out) &&
		   off + need <= iomb->size)) {
		/*
		 * The common case: room, and no wrap.  The chunk is counted
		 * before it is written (the lock is held throughout), so that
		 * nothing but the lock's flags lives across the copy.
		 */
		iomb->in = in + need;
		iomb->pushes++;
		account_in_locked(iomb);
		put_flat(iomb, iomb->ring + off, in, data, len, need);
		raw_spin_unlock_irqrestore(&iomb->lock, flags);
		ap_trace_push(&iomb->ap, 0, len, _RET_IP_);
		return 0;
	}
	/* Nothing was changed: the slow path starts again under the lock. */
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	ret = push_slow(iomb, data, len, need, mode);
	ap_trace_push(&iomb->ap, ret, len, _RET_IP_);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iom_push, ALLOCPOOLS_NS);

/*
 * Copy the chunk at @i, after @kept others (the iterator's position, or
 * the oldest), to @buf; the queue is not changed.  Returns the chunk's end
 * through @end.  A damaged cookie at @i cuts the queue off there: -ENODATA,
 * as the queue now ends there, and *@bad is its offset, to be reported.
 */
static int read_chunk_locked(struct iom_buffer *iomb, unsigned long i,
			     size_t kept, void *buf, size_t *len,
			     size_t bufsize, unsigned long *end, size_t *bad)
{
	unsigned long data;
	size_t n;

	lockdep_assert_held(&iomb->lock);
	if (!queued_chunk_locked(iomb, i, iomb->chunks - kept, &data, &n)) {
		*bad = ring_off(iomb, i);
		cut_locked(iomb, i, kept);
		return -ENODATA;
	}
	*len = n;
	if (n > bufsize)
		return -EMSGSIZE;
	copy_out(iomb, data, buf, n);
	*end = data + n;
	return 0;
}

/* peek_or_shift() off the fast path; it starts again under the lock */
static noinline int peek_or_shift_slow(struct iom_buffer *iomb, void *buf,
				       size_t *len, size_t bufsize, bool shift)
{
	unsigned long flags, end;
	size_t bad = SIZE_MAX;
	int ret;

	raw_spin_lock_irqsave(&iomb->lock, flags);
	if (iomb->alloc_mode) {
		ret = -EBUSY;
	} else if (!iomb->chunks) {
		ret = -ENODATA;
	} else {
		ret = read_chunk_locked(iomb, iomb->out, 0, buf, len, bufsize,
					&end, &bad);
		if (!ret && shift) {
			advance_out_locked(iomb, end, end, false);
			iomb->shifts++;
		}
	}
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	if (unlikely(bad != SIZE_MAX))
		ap_report_corruption(&iomb->ap, "chunk cookie damaged", bad);
	return ret;
}

/*
 * Inlined into iom_shift() and iom_peek(), so that @shift is a constant
 * there and the common case pays no call of its own.
 */
static __always_inline int peek_or_shift(struct iom_buffer *iomb, void *buf,
					 size_t *len, size_t bufsize,
					 bool shift)
{
	unsigned long flags;
	size_t off, n, clen;
	u8 *p;

	if (unlikely(!iomb || !len || (!buf && bufsize)))
		return -EINVAL;
	if (iomb->spsc)
		return spsc_take(iomb, buf, len, bufsize, shift);
	raw_spin_lock_irqsave(&iomb->lock, flags);
	if (unlikely(!iomb->chunks))
		goto slow;	/* the ring's bytes may be a reset's to write */
	off = ring_off(iomb, iomb->out);
	p = iomb->ring + off;
	/*
	 * a one- or two-byte cookie, read where it cannot wrap (as
	 * flat_cookie() reads it: called here, it cost this path some 8
	 * instructions in userspace)
	 */
	clen = 1;
	n = ap_kasan_read_u8(p);
	if (n >= 0x80) {
		if (n == 0x80 || off + 1 >= iomb->size) {
			n = IOM_LONG_BASE;	/* not here: the slow path */
		} else {
			n = (n & 0x7f) << 8 | ap_kasan_read_u8(p + 1);
			clen = 2;
		}
	}
	if (likely(!iomb->alloc_mode && n < IOM_LONG_BASE &&
		   n <= bufsize && off + clen + n <= iomb->size &&
		   !(iomb->flags & IOM_POISON) &&
		   cookie_fits(iomb->out, iomb->in, iomb->chunks, clen, n))) {
		/* The common case: a chunk that does not wrap. */
		*len = n;
		ap_kasan_copy_out(buf, p + clen, n);
		if (shift) {
			/* advance_out_locked() without alloc_mode, poison, stale */
			iomb->out += clen + n;
			iomb->seq++;
			iomb->shifts++;
			if (!--iomb->chunks && (iomb->flags & IOM_MAINLY_EMPTY)) {
				iomb->in = 0;
				iomb->out = 0;
			}
		}
		raw_spin_unlock_irqrestore(&iomb->lock, flags);
		return 0;
	}
slow:
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	return peek_or_shift_slow(iomb, buf, len, bufsize, shift);
}

/**
 * iom_shift() - take the oldest chunk out of the queue
 * @iomb: the ring
 * @buf: where to copy the chunk (may be NULL when @bufsize is 0)
 * @len: set to the chunk's length, also when it does not fit
 * @bufsize: bytes available at @buf
 *
 * Context: any context.  On an IOM_SPSC ring, no lock: one consumer at a
 * time (iom_shift(), iom_peek(), iom_peek_update() or iom_release()).
 * Return: 0; -ENODATA when the queue is empty, or when the oldest chunk's
 * cookie was found damaged and the queue was cut off (counted in
 * corruptions); -EMSGSIZE when the chunk is longer than @bufsize (it stays
 * queued); -EBUSY when the ring holds iom_alloc() chunks; -EINVAL for NULL
 * arguments.
 */
int iom_shift(struct iom_buffer *iomb, void *buf, size_t *len, size_t bufsize)
{
	int ret = peek_or_shift(iomb, buf, len, bufsize, true);

	ap_trace_shift(&iomb->ap, ret, len, _RET_IP_);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iom_shift, ALLOCPOOLS_NS);

/**
 * iom_peek() - copy the oldest chunk without taking it out
 * @iomb: the ring
 * @buf: where to copy the chunk (may be NULL when @bufsize is 0)
 * @len: set to the chunk's length, also when it does not fit
 * @bufsize: bytes available at @buf
 *
 * Context: any context.
 * Return: as iom_shift(); the queue is never changed.
 */
int iom_peek(struct iom_buffer *iomb, void *buf, size_t *len, size_t bufsize)
{
	return peek_or_shift(iomb, buf, len, bufsize, false);
}
EXPORT_SYMBOL_NS_GPL(iom_peek, ALLOCPOOLS_NS);

/**
 * iom_peek_update() - drop the oldest chunk, typically after iom_peek()
 * @iomb: the ring
 *
 * Counted as a shift.
 *
 * Context: any context.
 * Return: 0; -ENODATA when the queue is empty, or cut off at a damaged
 * cookie; -EBUSY when the ring holds iom_alloc() chunks; -EINVAL for a
 * NULL ring.
 */
int iom_peek_update(struct iom_buffer *iomb)
{
	size_t len, bad = SIZE_MAX;
	unsigned long flags, data;
	int ret = 0;

	if (!iomb)
		return -EINVAL;
	if (iomb->spsc)
		return spsc_take_slow(iomb, NULL, &len, SIZE_MAX, true);
	raw_spin_lock_irqsave(&iomb->lock, flags);
	if (iomb->alloc_mode) {
		ret = -EBUSY;
	} else if (!iomb->chunks) {
		ret = -ENODATA;
	} else if (!queued_chunk_locked(iomb, iomb->out, iomb->chunks, &data,
				       &len)) {
		bad = ring_off(iomb, iomb->out);
		cut_locked(iomb, iomb->out, 0);
		ret = -ENODATA;
	} else {
		advance_out_locked(iomb, data + len, data + len, false);
		iomb->shifts++;
	}
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	if (unlikely(bad != SIZE_MAX))
		ap_report_corruption(&iomb->ap, "chunk cookie damaged", bad);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iom_peek_update, ALLOCPOOLS_NS);

/*
 * For the trace events: the ring is region 0.  A chunk's length is in its
 * cookie, which a client may have overwritten: not read here.
 */
static void iom_where(struct ap_pool *pool, const void *p,
		      struct ap_where *w)
{
	struct iom_buffer *iomb = container_of(pool, struct iom_buffer, ap);
	size_t off = (unsigned long)p - (unsigned long)iomb->ring;

	w->region = off < iomb->size ? 0 : AP_NO_REGION;
	w->offset = off;
	w->size = 0;
	w->order = -1;
	/* Not asked: iom_release() is traced once it knows. */
	w->live = false;
}

/**
 * iom_alloc() - allocate a contiguous chunk, to be released oldest first
 * @iomb: the ring
 * @len: the chunk's length, 1..65535 bytes
 *
 * The chunk never wraps: when it does not fit before the end of the ring,
 * the bytes up to the end are skipped, and count as used until the chunk
 * before them is released.  An empty ring starts at offset 0, but for an
 * IOM_SPSC ring, whose read index only the consumer moves.
 *
 * Context: any context.  On an IOM_SPSC ring, no lock: the producer's
 * side, like iom_push().
 * Return: the chunk, or NULL when it does not fit, @len is 0 or too long,
 * the ring holds pushed chunks, iom_reset()/iom_reset_secure() is wiping
 * it, or IOM_POISON found the free space overwritten.  Every NULL counts a
 * failure, the last also an invalid free and a corruption.
 */
void *iom_alloc(struct iom_buffer *iomb, size_t len)
{
	size_t need, gap = 0, off, bad;
	unsigned long flags;
	void *chunk = NULL;
	bool shared;

	if (!iomb)
		return NULL;
	if (ap_should_fail(&iomb->ap, len))
		return NULL;
	if (iomb->spsc) {
		chunk = spsc_alloc(iomb, len);
		if (chunk)
			ap_trace_alloc(&iomb->ap, chunk, len, iom_where, _RET_IP_);
		return chunk;
	}
	raw_spin_lock_irqsave(&iomb->lock, flags);
	if (!len || len > IOM_MAX_CHUNK || (iomb->chunks && !iomb->alloc_mode) ||
	    (iomb->flags & IOM_WIPING))
		goto fail;
	need = len + cookie_len(len);
	if (need > iomb->size)
		goto fail;
	if (!iomb->chunks)
		rewind_locked(iomb, true);
	off = ring_off(iomb, iomb->in);
	if (need > iomb->size - off)
		gap = iomb->size - off;
	if (gap + need > iomb->size - (iomb->in - iomb->out))
		goto fail;
	if ((iomb->flags & IOM_POISON) &&
	    !claim(iomb, iomb->in + gap, iomb->in + gap + need, true,
			  &bad)) {
		iomb->failures++;
		raw_spin_unlock_irqrestore(&iomb->lock, flags);
		ap_report_invalid(&iomb->ap, "poison overwritten", true, bad);
		return NULL;
	}
	if (gap) {
		ap_kasan_write_u8(&iomb->ring[off], IOM_GAP);
		iomb->in += gap;
	}
	write_cookie_locked(iomb, len);
	iomb->in += need;
	__set_bit(ring_off(iomb, iomb->in - 1), iomb->ends);
	iomb->alloc_mode = true;
	iomb->allocs++;
	account_in_locked(iomb);
	chunk = iomb->ring + ring_off(iomb, iomb->in - len);
	/* Wrapped around the ring, the chunk may end where the oldest starts. */
	off = ring_off(iomb, iomb->out);
	shared = iomb->chunks > 1 && off > ring_off(iomb, iomb->in - 1) &&
		 ap_kasan_same_granule(off, ring_off(iomb, iomb->in - 1));
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	/* The chunk is the caller's alone now; its cookie stays poisoned. */
	if (shared)
		ap_kasan_alloc_whole(chunk, len);
	else
		ap_kasan_alloc(chunk, len, len);
	ap_trace_alloc(&iomb->ap, chunk, len, iom_where, _RET_IP_);
	return chunk;

fail:
	iomb->failures++;
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	return NULL;
}
EXPORT_SYMBOL_NS_GPL(iom_alloc, ALLOCPOOLS_NS);

/*
 * KASAN: the released chunk, from its cookie at ring offset @from to @to,
 * is the pool's again, but for the granule it ends in when the next chunk
 * starts in it (@next), and the one it starts in when the newest chunk,
 * wrapped around the ring, ends in it.
 */
static void release_kasan_locked(struct iom_buffer *iomb, size_t from,
				 size_t to, bool next)
{
	size_t last = ring_off(iomb, iomb->in - 1);

	lockdep_assert_held(&iomb->lock);
	ap_kasan_free_part(iomb->ring + from, to - from,
			   iomb->chunks > 1 && last < from &&
			   ap_kasan_same_granule(last, from), next);
}

/*
 * iom_alloc() mode: release the oldest chunk if @p is its data.  Where it
 * ends comes from @ends, which no client can write, not from its cookie:
 * a cookie or gap marker that a client overwrote (an overflow of the chunk
 * before it) is found, counted and reported, but never followed, so no
 * chunk that a caller still holds can be handed out again.  Finding the
 * end and any gap after it scans at most a chunk and a gap's worth of bits
 * (under 2 * 65538).
 *
 * Return: 0; -EUCLEAN when released but the cookie or gap marker was
 * damaged; -EINVAL, nothing changed, when @p is not the oldest chunk.
 */
static int release_oldest_locked(struct iom_buffer *iomb, const u8 *p)
{
	size_t off = ring_off(iomb, iomb->out), e, t, clen, c, len;
	unsigned long end, out;
	bool sound;

	lockdep_assert_held(&iomb->lock);
	t = oldest_chunk(iomb, off, find_next_bit(iomb->ends, iomb->size, off), p);
	if (!t)
		return -EINVAL;
	e = off + t - 1;
	clen = total_clen(t);
	len = read_cookie_locked(iomb, iomb->out, &c);
	sound = c == clen && c + len == t;
	__clear_bit(e, iomb->ends);
	end = iomb->out + t;
	out = end;
	/* the next chunk's end is before the ring's, or it starts at 0 */
	if (iomb->chunks > 1 && e + 1 < iomb->size &&
	    find_next_bit(iomb->ends, iomb->size, e + 1) >= iomb->size) {
		out += iomb->size - (e + 1);
		sound &= ap_kasan_read_u8(&iomb->ring[e + 1]) == IOM_GAP;
	}
	release_kasan_locked(iomb, off, e + 1, out == end && iomb->chunks > 1);
	advance_out_locked(iomb, end, out, false);
	iomb->releases++;
	if (likely(sound))
		return 0;
	iomb->invalid_frees++;
	iomb->corruptions++;
	return -EUCLEAN;
}

/**
 * iom_release() - give back the oldest iom_alloc() chunk
 * @iomb: the ring
 * @chunk: the chunk; NULL is ignored
 *
 * Anything but the oldest chunk (a younger one, an interior or foreign
 * pointer, a second release) is refused and leaves the ring as it was.
 *
 * Context: any context.  On an IOM_SPSC ring, no lock: the consumer's
 * side, like iom_shift().
 * Return: 0, also when the chunk's cookie or the gap marker after it was
 * found overwritten (counted in corruptions and reported; the release goes
 * by the pool's own map of chunk ends); -EINVAL for a pointer that is not
 * the oldest chunk (counted in invalid_frees and reported); -EBUSY when the
 * ring holds pushed chunks.
 */
int iom_release(struct iom_buffer *iomb, const void *chunk)
{
	unsigned long flags;
	const u8 *p = chunk;
	struct ap_loc loc;
	int ret;

	if (!chunk)
		return 0;
	if (!iomb)
		return -EINVAL;
	loc = ap_trace_where_gone(&iomb->ap, p, iom_where, true);
	if (iomb->spsc) {
		ret = spsc_release(iomb, p);
		if (ret == -EBUSY)
			return ret;
		if (ret == -EINVAL)
			spsc_inc(&iomb->invalid_frees);
		goto report;
	}
	raw_spin_lock_irqsave(&iomb->lock, flags);
	if (iomb->chunks && !iomb->alloc_mode) {
		raw_spin_unlock_irqrestore(&iomb->lock, flags);
		return -EBUSY;
	}
	ret = iomb->chunks ? release_oldest_locked(iomb, p) : -EINVAL;
	if (ret == -EINVAL)
		iomb->invalid_frees++;
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
report:
	/* -EUCLEAN: released, and damage found after the chunk. */
	ap_trace_gone(&iomb->ap, p, loc, ret == -EUCLEAN ? 0 : ret, true,
		      iom_where, _RET_IP_);

	if (ret == -EUCLEAN) {
		ap_report_corruption(&iomb->ap, "chunk cookie or gap marker damaged",
				     p - iomb->ring);
		return 0;
	}
	if (!ret)
		return 0;
	if (p >= iomb->ring && p < iomb->ring + iomb->size)
		ap_report_invalid(&iomb->ap, "release of a chunk that is not the oldest",
				  true, p - iomb->ring);
	else
		ap_report_invalid(&iomb->ap, "release of a foreign pointer",
				  false, 0);
	return -EINVAL;
}
EXPORT_SYMBOL_NS_GPL(iom_release, ALLOCPOOLS_NS);

/**
 * iom_reset() - empty the ring
 * @iomb: the ring; NULL is ignored
 *
 * Chunks handed out by iom_alloc() become invalid.  Their ends are cleared
 * from the chunk map and, with IOM_POISON, the chunks are poisoned again,
 * as iom_release() would have, with the lock dropped: until that is done,
 * pushes fail with -EBUSY and iom_alloc() returns NULL.  Queued chunks,
 * which nobody held, are dropped in O(1) instead: their bytes are checked
 * for poison no more, as after IOM_DROP_ALL.  On an IOM_SPSC ring the
 * caller keeps the producer and the consumer out until it returns.
 *
 * Context: process context; may sleep.
 */
void iom_reset(struct iom_buffer *iomb)
{
	unsigned long flags, from = 0;
	bool taken = false;
	size_t len = 0;

	if (!iomb)
		return;
	might_sleep();
	raw_spin_lock_irqsave(&iomb->lock, flags);
	spsc_enter_locked(iomb);
	if (iomb->alloc_mode) {
		taken = true;
		from = iomb->out;
		len = iomb->in - iomb->out;
		wipe_begin_locked(iomb);
	}
	empty_locked(iomb, taken && (iomb->flags & IOM_POISON));
	spsc_leave_locked(iomb);
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	if (taken) {
		if (iomb->flags & IOM_POISON)
			wipe(iomb, from, POISON_FREE, len);
		/* The chunks taken back are no client's any more. */
		ap_kasan_free(iomb->ring, iomb->size);
		wipe_ends(iomb, from, len);
		wipe_end(iomb);
	}
}
EXPORT_SYMBOL_NS_GPL(iom_reset, ALLOCPOOLS_NS);

/**
 * iom_reset_secure() - empty the ring and wipe every byte of it
 * @iomb: the ring; NULL is ignored
 *
 * The ring is zeroed, or filled with POISON_FREE under IOM_POISON so that
 * the poison check stays meaningful; either way no old data survives once
 * it returns.  The ring is emptied under the lock and written with the lock
 * dropped, 64 KiB at a time; meanwhile pushes fail with -EBUSY and
 * iom_alloc() returns NULL.  On an IOM_SPSC ring the caller keeps the
 * producer and the consumer out until it returns.
 *
 * Context: process context; may sleep.
 */
void iom_reset_secure(struct iom_buffer *iomb)
{
	unsigned long flags;
	bool taken;
	int c;

	if (!iomb)
		return;
	might_sleep();
	raw_spin_lock_irqsave(&iomb->lock, flags);
	spsc_enter_locked(iomb);
	c = (iomb->flags & IOM_POISON) ? POISON_FREE : 0;
	taken = iomb->alloc_mode;
	/* every byte is about to be written: none stays stale */
	iomb->stale_len = 0;
	empty_locked(iomb, true);
	spsc_leave_locked(iomb);
	wipe_begin_locked(iomb);
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	wipe(iomb, 0, c, iomb->size);
	if (taken) {
		ap_kasan_free(iomb->ring, iomb->size);
		wipe_ends(iomb, 0, iomb->size);
	}
	wipe_end(iomb);
}
EXPORT_SYMBOL_NS_GPL(iom_reset_secure, ALLOCPOOLS_NS);

/**
 * iom_chunks() - number of chunks queued or allocated
 * @iomb: the ring
 *
 * Context: any context; on an IOM_SPSC ring a snapshot, beside both sides.
 * Return: the count; 0 for a NULL ring.
 */
size_t iom_chunks(struct iom_buffer *iomb)
{
	size_t chunks;

	if (iomb && iomb->spsc) {
		spsc_snapshot(iomb, &chunks);
		return chunks;
	}
	return iomb ? READ_ONCE(iomb->chunks) : 0;
}
EXPORT_SYMBOL_NS_GPL(iom_chunks, ALLOCPOOLS_NS);

/**
 * iom_used() - bytes in use
 * @iomb: the ring
 *
 * Cookies and the gaps iom_alloc() skipped count as used.
 *
 * Context: any context; on an IOM_SPSC ring a snapshot, beside both sides.
 * Return: the bytes in use; 0 for a NULL ring.
 */
size_t iom_used(struct iom_buffer *iomb)
{
	unsigned long flags;
	size_t used, chunks;

	if (!iomb)
		return 0;
	if (iomb->spsc)
		return spsc_snapshot(iomb, &chunks);
	raw_spin_lock_irqsave(&iomb->lock, flags);
	used = iomb->in - iomb->out;
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	return used;
}
EXPORT_SYMBOL_NS_GPL(iom_used, ALLOCPOOLS_NS);

/**
 * iom_space() - bytes free
 * @iomb: the ring
 *
 * Context: any context.
 * Return: ring size minus iom_used(); 0 for a NULL ring.
 */
size_t iom_space(struct iom_buffer *iomb)
{
	return iomb ? iomb->size - iom_used(iomb) : 0;
}
EXPORT_SYMBOL_NS_GPL(iom_space, ALLOCPOOLS_NS);

/**
 * iom_iter_init() - start walking the queued chunks, oldest first
 * @iomb: the ring
 * @it: the iterator to set up
 *
 * Context: any context.  On an IOM_SPSC ring the caller keeps the producer
 * and the consumer out while it runs; they may run between it and
 * iom_iter_next(), which then answers -EAGAIN.
 */
void iom_iter_init(struct iom_buffer *iomb, struct iom_iter *it)
{
	unsigned long flags;

	if (!it)
		return;
	memset(it, 0, sizeof(*it));
	if (!iomb)
		return;
	raw_spin_lock_irqsave(&iomb->lock, flags);
	spsc_enter_locked(iomb);
	it->pos = iomb->out;
	it->end = iomb->in;
	it->seq = iom_seq_locked(iomb);
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(iom_iter_init, ALLOCPOOLS_NS);

/**
 * iom_iter_next() - copy the next chunk and step past it
 * @iomb: the ring
 * @it: an iterator set up by iom_iter_init()
 * @buf: where to copy the chunk (may be NULL when @bufsize is 0)
 * @len: set to the chunk's length
 * @bufsize: bytes available at @buf
 *
 * Context: any context.  On an IOM_SPSC ring the caller keeps the producer
 * and the consumer out while it runs.
 * Return: 0; -ENODATA past the last chunk, or at a damaged cookie, where
 * the queue is cut off; -EAGAIN if the ring changed since
 * iom_iter_init(); -EMSGSIZE when the chunk is longer than @bufsize (the
 * iterator stays on it); -EBUSY when the ring holds iom_alloc() chunks;
 * -EINVAL for NULL arguments.
 */
int iom_iter_next(struct iom_buffer *iomb, struct iom_iter *it, void *buf,
		  size_t *len, size_t bufsize)
{
	size_t bad = SIZE_MAX;
	unsigned long flags, end;
	int ret;

	if (!iomb || !it || !len || (!buf && bufsize))
		return -EINVAL;
	raw_spin_lock_irqsave(&iomb->lock, flags);
	spsc_enter_locked(iomb);
	if (iomb->alloc_mode)
		ret = -EBUSY;
	else if (it->seq != iom_seq_locked(iomb))
		ret = -EAGAIN;
	else if (it->pos == it->end)
		ret = -ENODATA;
	else
		ret = read_chunk_locked(iomb, it->pos, it->nr, buf, len,
					bufsize, &end, &bad);
	if (!ret) {
		it->pos = end;
		it->nr++;
	}
	spsc_leave_locked(iomb);
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
	if (unlikely(bad != SIZE_MAX))
		ap_report_corruption(&iomb->ap, "chunk cookie damaged", bad);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iom_iter_next, ALLOCPOOLS_NS);

/**
 * iom_stats() - snapshot the ring's counters
 * @iomb: the ring
 * @st: filled in; zeroed for a NULL ring
 *
 * injected counts the pushes and allocations failed on purpose by the
 * ring's fail/ fault attribute; failures and tail_drops do not count them.
 *
 * Context: any context.  On an IOM_SPSC ring it takes no part in the
 * producer's or consumer's work and may run beside both: each counter is
 * exact as read, the set a snapshot (see iom_used(), iom_chunks()), and
 * peak_used the producer's view, never below the truth.
 */
void iom_stats(struct iom_buffer *iomb, struct iom_stats *st)
{
	unsigned long flags;

	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!iomb)
		return;
	raw_spin_lock_irqsave(&iomb->lock, flags);
	st->size = iomb->size;
	if (iomb->spsc) {
		st->used = spsc_snapshot(iomb, &st->chunks);
	} else {
		st->used = iomb->in - iomb->out;
		st->chunks = iomb->chunks;
	}
	/* An SPSC ring's sides write these without the lock. */
	st->peak_used = READ_ONCE(iomb->peak_used);
	st->pushes = READ_ONCE(iomb->pushes);
	st->shifts = READ_ONCE(iomb->shifts);
	st->allocs = READ_ONCE(iomb->allocs);
	st->releases = READ_ONCE(iomb->releases);
	st->head_drops = READ_ONCE(iomb->head_drops);
	st->tail_drops = READ_ONCE(iomb->tail_drops);
	st->failures = READ_ONCE(iomb->failures);
	st->invalid_frees = READ_ONCE(iomb->invalid_frees) +
			    READ_ONCE(iomb->p_invalid_frees);
	st->corruptions = READ_ONCE(iomb->corruptions) +
			  READ_ONCE(iomb->p_corruptions);
	st->injected = ap_injected(&iomb->ap);
	raw_spin_unlock_irqrestore(&iomb->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(iom_stats, ALLOCPOOLS_NS);

#if IS_ENABLED(CONFIG_ALLOCPOOLS_KUNIT_TEST)
#include "kunit/mempool_fifo_test.c"
#endif
