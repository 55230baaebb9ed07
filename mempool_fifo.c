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
 * Context: every call but create/destroy may be made from any context,
 * hard IRQ included.  Locking: one spinlock per buffer, taken with irqsave,
 * guards the ring and every field of struct iom_buffer below it.  Push and
 * shift copy under the lock: they are O(len) with at most two memcpys.
 */

#define pr_fmt(fmt) "allocpools: " fmt

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

#define IOM_FLAGS		(IOM_MAINLY_EMPTY | IOM_POISON)
#define IOM_GAP			0	/* cookie byte: skip to offset 0 */
#define IOM_LONG_BASE		32768UL	/* first length of the 3-byte form */

/**
 * struct iom_buffer - a FIFO ring
 * @ap: registry part (name, debugfs)
 * @lock: guards everything below
 * @ring: the vmalloc'd ring, @size bytes
 * @size: ring size, a power of two
 * @flags: IOM_* create flags
 * @in: free-running write index
 * @out: free-running read index; in - out bytes are in use
 * @chunks: chunks queued or allocated
 * @alloc_mode: the chunks were handed out by iom_alloc()
 * @seq: bumped on every change, so that iterators notice
 * @peak_used: most bytes ever in use
 * @pushes: chunks pushed
 * @shifts: chunks shifted, iom_peek_update() included
 * @allocs: chunks handed out by iom_alloc()
 * @releases: chunks given back by iom_release()
 * @head_drops: chunks dropped to make room (IOM_HEAD_DROP, IOM_DROP_ALL)
 * @tail_drops: pushes refused under IOM_TAIL_DROP
 * @failures: pushes and allocations refused for any other reason
 * @invalid_frees: releases refused, and poison found overwritten
 */
struct iom_buffer {
	struct ap_pool ap;
	spinlock_t lock;		/* guards all that follows */
	u8 *ring;
	size_t size;
	unsigned int flags;
	unsigned long in;
	unsigned long out;
	size_t chunks;
	bool alloc_mode;
	unsigned long seq;
	size_t peak_used;
	u64 pushes, shifts, allocs, releases, head_drops, tail_drops, failures,
	    invalid_frees;
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
	return iomb->ring[ring_off(iomb, i)];
}

static void write_cookie_locked(struct iom_buffer *iomb, size_t len)
{
	unsigned long i = iomb->in;

	lockdep_assert_held(&iomb->lock);
	if (len < 128) {
		iomb->ring[ring_off(iomb, i)] = len;
	} else if (len < IOM_LONG_BASE) {
		iomb->ring[ring_off(iomb, i)] = 0x80 | (len >> 8);
		iomb->ring[ring_off(iomb, i + 1)] = len & 0xff;
	} else {
		len -= IOM_LONG_BASE;
		iomb->ring[ring_off(iomb, i)] = 0x80;
		iomb->ring[ring_off(iomb, i + 1)] = len >> 8;
		iomb->ring[ring_off(iomb, i + 2)] = len & 0xff;
	}
}

/* Length of the chunk whose cookie starts at @i; *clen gets the cookie's. */
static size_t read_cookie_locked(const struct iom_buffer *iomb, unsigned long i,
				 size_t *clen)
{
	u8 b0 = ring_byte(iomb, i), b1;

	lockdep_assert_held(&iomb->lock);
	if (b0 < 0x80) {
		*clen = 1;
		return b0;
	}
	b1 = ring_byte(iomb, i + 1);
	if (b0 == 0x80 && b1 < 0x80) {
		*clen = 3;
		return IOM_LONG_BASE + ((size_t)b1 << 8) + ring_byte(iomb, i + 2);
	}
	*clen = 2;
	return ((size_t)(b0 & 0x7f) << 8) | b1;
}

/* Copy @len bytes between the ring at @i and @buf: at most two memcpys. */
static void copy_in(struct iom_buffer *iomb, unsigned long i, const void *buf,
		    size_t len)
{
	size_t off = ring_off(iomb, i);
	size_t first = min(len, iomb->size - off);

	memcpy(iomb->ring + off, buf, first);
	memcpy(iomb->ring, buf + first, len - first);
}

static void copy_out(const struct iom_buffer *iomb, unsigned long i, void *buf,
		     size_t len)
{
	size_t off = ring_off(iomb, i);
	size_t first = min(len, iomb->size - off);

	memcpy(buf, iomb->ring + off, first);
	memcpy(buf + first, iomb->ring, len - first);
}

static void fill(struct iom_buffer *iomb, unsigned long i, int c, size_t len)
{
	size_t off = ring_off(iomb, i);
	size_t first = min(len, iomb->size - off);

	memset(iomb->ring + off, c, first);
	memset(iomb->ring, c, len - first);
}

/*
 * With IOM_POISON, check that the @len bytes at @i still hold POISON_FREE.
 * On a mismatch, restore the poison and return the offset of the first bad
 * byte through @bad.
 */
static bool poison_ok_locked(struct iom_buffer *iomb, unsigned long i,
			     size_t len, size_t *bad)
{
	size_t off = ring_off(iomb, i);
	size_t first = min(len, iomb->size - off);
	u8 *p;

	lockdep_assert_held(&iomb->lock);
	if (!(iomb->flags & IOM_POISON))
		return true;
	p = memchr_inv(iomb->ring + off, POISON_FREE, first);
	if (!p)
		p = memchr_inv(iomb->ring, POISON_FREE, len - first);
	if (!p)
		return true;
	*bad = p - iomb->ring;
	fill(iomb, i, POISON_FREE, len);
	iomb->invalid_frees++;
	return false;
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
 * Make @out the new read index after the oldest chunk left.  A gap that
 * iom_alloc() skipped right after it goes too, so that it stops counting
 * as used as soon as the chunk before it is released.
 */
static void advance_out_locked(struct iom_buffer *iomb, unsigned long out)
{
	lockdep_assert_held(&iomb->lock);
	if (iomb->alloc_mode && iomb->chunks > 1 &&
	    ring_byte(iomb, out) == IOM_GAP)
		out += iomb->size - ring_off(iomb, out);
	if (iomb->flags & IOM_POISON)
		fill(iomb, iomb->out, POISON_FREE, out - iomb->out);
	iomb->out = out;
	iomb->chunks--;
	iomb->seq++;
	if (!iomb->chunks) {
		iomb->alloc_mode = false;
		if (iomb->flags & IOM_MAINLY_EMPTY) {
			iomb->in = 0;
			iomb->out = 0;
		}
	}
}

/* Where the oldest chunk ends; its data starts at *@data. */
static unsigned long oldest_end_locked(const struct iom_buffer *iomb,
				       unsigned long *data, size_t *len)
{
	unsigned long i = iomb->out;
	size_t clen;

	lockdep_assert_held(&iomb->lock);
	*len = read_cookie_locked(iomb, i, &clen);
	*data = i + clen;
	return *data + *len;
}

static void drop_oldest_locked(struct iom_buffer *iomb)
{
	unsigned long data;
	size_t len;

	lockdep_assert_held(&iomb->lock);
	advance_out_locked(iomb, oldest_end_locked(iomb, &data, &len));
	iomb->head_drops++;
}

static void reset_locked(struct iom_buffer *iomb)
{
	lockdep_assert_held(&iomb->lock);
	if (iomb->flags & IOM_POISON)
		fill(iomb, iomb->out, POISON_FREE, iomb->in - iomb->out);
	iomb->in = 0;
	iomb->out = 0;
	iomb->chunks = 0;
	iomb->alloc_mode = false;
	iomb->seq++;
}

/*
 * The invariant checker the tests call after every mutation: walking the
 * cookies from @out must land exactly on @in after @chunks chunks, and under
 * IOM_POISON every free byte must still hold POISON_FREE.
 */
static bool __maybe_unused iom_invariants_ok(struct iom_buffer *iomb)
{
	unsigned long flags, i, data;
	size_t n = 0, len, clen;
	bool ok = true;

	spin_lock_irqsave(&iomb->lock, flags);
	if (iomb->in - iomb->out > iomb->size ||
	    (iomb->alloc_mode && !iomb->chunks))
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
		    (iomb->alloc_mode && ring_off(iomb, data) + len > iomb->size))
			ok = false;
		i = data + len;
	}
	if (ok && n != iomb->chunks)
		ok = false;
	if (ok && (iomb->flags & IOM_POISON))
		for (i = iomb->in; ok && i != iomb->out + iomb->size; i++)
			ok = ring_byte(iomb, i) == POISON_FREE;
	spin_unlock_irqrestore(&iomb->lock, flags);
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
 * @name: pool name, 1..31 characters of [A-Za-z0-9_.-], unique among rings
 * @size: ring size in bytes, a power of two from 64 B to 1 GiB
 * @flags: IOM_MAINLY_EMPTY, IOM_POISON
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
	    !is_power_of_2(size) || size < IOM_MIN_SIZE || size > IOM_MAX_SIZE)
		return ERR_PTR(-EINVAL);

	iomb = kzalloc(sizeof(*iomb), GFP_KERNEL);
	if (!iomb)
		return ERR_PTR(-ENOMEM);
	iomb->ring = vmalloc(size);
	if (!iomb->ring) {
		ret = -ENOMEM;
		goto free_iomb;
	}
	if (flags & IOM_POISON)
		memset(iomb->ring, POISON_FREE, size);
	iomb->size = size;
	iomb->flags = flags;
	spin_lock_init(&iomb->lock);

	ret = ap_pool_register(&iomb->ap, &iom_kind, name);
	if (ret)
		goto free_ring;
	return iomb;

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
	if (iomb->chunks)
		ap_warn_live(&iomb->ap, iomb->chunks);
	vfree(iomb->ring);
	kfree(iomb);
}
EXPORT_SYMBOL_NS_GPL(iom_destroy, ALLOCPOOLS_NS);

static noinline int push_refused(struct iom_buffer *iomb, int ret)
{
	unsigned long flags;

	spin_lock_irqsave(&iomb->lock, flags);
	iomb->failures++;
	spin_unlock_irqrestore(&iomb->lock, flags);
	return ret;
}

/*
 * iom_push() off the fast path: iom_alloc() chunks, a full ring, poison to
 * check, or a chunk that wraps.  On -EIO, *@bad is where the poison broke.
 */
static int push_slow_locked(struct iom_buffer *iomb, const void *data,
			    size_t len, size_t need, unsigned int mode,
			    size_t *bad)
{
	lockdep_assert_held(&iomb->lock);
	if (iomb->alloc_mode) {
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
			reset_locked(iomb);
		}
		while (need > iomb->size - (iomb->in - iomb->out))
			drop_oldest_locked(iomb);
	}
	if (!poison_ok_locked(iomb, iomb->in, need, bad)) {
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
	unsigned long flags;
	size_t bad;
	int ret;

	spin_lock_irqsave(&iomb->lock, flags);
	ret = push_slow_locked(iomb, data, len, need, mode, &bad);
	spin_unlock_irqrestore(&iomb->lock, flags);
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
 * Context: any context.
 * Return: 0; -EINVAL for a zero length, a NULL pointer or an unknown mode;
 * -EMSGSIZE for a chunk longer than 65535 bytes or than an empty ring holds;
 * -ENOBUFS when full under IOM_TAIL_DROP; -EBUSY when the ring holds
 * iom_alloc() chunks; -EIO when IOM_POISON found the free space overwritten
 * (the poison is restored, so a retry may succeed).
 */
int iom_push(struct iom_buffer *iomb, const void *data, size_t len,
	     unsigned int mode)
{
	unsigned long flags, in;
	size_t need, off;
	u8 *p;

	if (!iomb)
		return -EINVAL;
	if (unlikely(!len || !data || mode > IOM_DROP_ALL))
		return push_refused(iomb, -EINVAL);
	need = len + cookie_len(len);
	if (unlikely(len > IOM_MAX_CHUNK || need > iomb->size))
		return push_refused(iomb, -EMSGSIZE);

	spin_lock_irqsave(&iomb->lock, flags);
	in = iomb->in;
	off = ring_off(iomb, in);
	if (likely(!iomb->alloc_mode && !(iomb->flags & IOM_POISON) &&
		   need <= iomb->size - (in - iomb->out) &&
		   off + need <= iomb->size)) {
		/* The common case: room, and no wrap. */
		p = iomb->ring + off;
		if (len < 128) {
			*p++ = len;
		} else {
			write_cookie_locked(iomb, len);
			p += need - len;
		}
		memcpy(p, data, len);
		iomb->in = in + need;
		iomb->pushes++;
		account_in_locked(iomb);
		spin_unlock_irqrestore(&iomb->lock, flags);
		return 0;
	}
	/* Nothing was changed: the slow path starts again under the lock. */
	spin_unlock_irqrestore(&iomb->lock, flags);
	return push_slow(iomb, data, len, need, mode);
}
EXPORT_SYMBOL_NS_GPL(iom_push, ALLOCPOOLS_NS);

/*
 * Copy the chunk at the iterator position @i (or the oldest) to @buf; the
 * queue is not changed.  Returns the chunk's end through @end.
 */
static int read_chunk_locked(struct iom_buffer *iomb, unsigned long i,
			     void *buf, size_t *len, size_t bufsize,
			     unsigned long *end)
{
	size_t clen, n;

	lockdep_assert_held(&iomb->lock);
	n = read_cookie_locked(iomb, i, &clen);
	*len = n;
	if (n > bufsize)
		return -EMSGSIZE;
	copy_out(iomb, i + clen, buf, n);
	*end = i + clen + n;
	return 0;
}

/* peek_or_shift() off the fast path; it starts again under the lock */
static noinline int peek_or_shift_slow(struct iom_buffer *iomb, void *buf,
				       size_t *len, size_t bufsize, bool shift)
{
	unsigned long flags, end;
	int ret;

	spin_lock_irqsave(&iomb->lock, flags);
	if (iomb->alloc_mode) {
		ret = -EBUSY;
	} else if (!iomb->chunks) {
		ret = -ENODATA;
	} else {
		ret = read_chunk_locked(iomb, iomb->out, buf, len, bufsize,
					&end);
		if (!ret && shift) {
			advance_out_locked(iomb, end);
			iomb->shifts++;
		}
	}
	spin_unlock_irqrestore(&iomb->lock, flags);
	return ret;
}

static int peek_or_shift(struct iom_buffer *iomb, void *buf, size_t *len,
			 size_t bufsize, bool shift)
{
	unsigned long flags;
	size_t off, n, clen;
	u8 *p;

	if (unlikely(!iomb || !len || (!buf && bufsize)))
		return -EINVAL;
	spin_lock_irqsave(&iomb->lock, flags);
	off = ring_off(iomb, iomb->out);
	p = iomb->ring + off;
	/* a one- or two-byte cookie, read where it cannot wrap */
	clen = 1;
	n = p[0];
	if (n >= 0x80) {
		if (n == 0x80 || off + 1 >= iomb->size) {
			n = IOM_LONG_BASE;	/* not here: the slow path */
		} else {
			n = (n & 0x7f) << 8 | p[1];
			clen = 2;
		}
	}
	if (likely(iomb->chunks && !iomb->alloc_mode && n < IOM_LONG_BASE &&
		   n <= bufsize && off + clen + n <= iomb->size &&
		   !(iomb->flags & IOM_POISON))) {
		/* The common case: a chunk that does not wrap. */
		*len = n;
		memcpy(buf, p + clen, n);
		if (shift) {
			/* advance_out_locked() without alloc_mode or poison */
			iomb->out += clen + n;
			iomb->seq++;
			iomb->shifts++;
			if (!--iomb->chunks && (iomb->flags & IOM_MAINLY_EMPTY)) {
				iomb->in = 0;
				iomb->out = 0;
			}
		}
		spin_unlock_irqrestore(&iomb->lock, flags);
		return 0;
	}
	spin_unlock_irqrestore(&iomb->lock, flags);
	return peek_or_shift_slow(iomb, buf, len, bufsize, shift);
}

/**
 * iom_shift() - take the oldest chunk out of the queue
 * @iomb: the ring
 * @buf: where to copy the chunk (may be NULL when @bufsize is 0)
 * @len: set to the chunk's length, also when it does not fit
 * @bufsize: bytes available at @buf
 *
 * Context: any context.
 * Return: 0; -ENODATA when the queue is empty; -EMSGSIZE when the chunk is
 * longer than @bufsize (it stays queued); -EBUSY when the ring holds
 * iom_alloc() chunks; -EINVAL for NULL arguments.
 */
int iom_shift(struct iom_buffer *iomb, void *buf, size_t *len, size_t bufsize)
{
	return peek_or_shift(iomb, buf, len, bufsize, true);
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
 * Return: 0; -ENODATA when the queue is empty; -EBUSY when the ring holds
 * iom_alloc() chunks; -EINVAL for a NULL ring.
 */
int iom_peek_update(struct iom_buffer *iomb)
{
	unsigned long flags, data;
	size_t len;
	int ret = 0;

	if (!iomb)
		return -EINVAL;
	spin_lock_irqsave(&iomb->lock, flags);
	if (iomb->alloc_mode) {
		ret = -EBUSY;
	} else if (!iomb->chunks) {
		ret = -ENODATA;
	} else {
		advance_out_locked(iomb, oldest_end_locked(iomb, &data, &len));
		iomb->shifts++;
	}
	spin_unlock_irqrestore(&iomb->lock, flags);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iom_peek_update, ALLOCPOOLS_NS);

/**
 * iom_alloc() - allocate a contiguous chunk, to be released oldest first
 * @iomb: the ring
 * @len: the chunk's length, 1..65535 bytes
 *
 * The chunk never wraps: when it does not fit before the end of the ring,
 * the bytes up to the end are skipped, and count as used until the chunk
 * before them is released.  An empty ring always starts at offset 0.
 *
 * Context: any context.
 * Return: the chunk, or NULL when it does not fit, @len is 0 or too long,
 * the ring holds pushed chunks, or IOM_POISON found the free space
 * overwritten.  Every NULL counts a failure, the last also an invalid free.
 */
void *iom_alloc(struct iom_buffer *iomb, size_t len)
{
	size_t need, gap = 0, off, bad;
	unsigned long flags;
	void *chunk = NULL;

	if (!iomb)
		return NULL;
	spin_lock_irqsave(&iomb->lock, flags);
	if (!len || len > IOM_MAX_CHUNK || (iomb->chunks && !iomb->alloc_mode))
		goto fail;
	need = len + cookie_len(len);
	if (need > iomb->size)
		goto fail;
	if (!iomb->chunks) {
		iomb->in = 0;
		iomb->out = 0;
	}
	off = ring_off(iomb, iomb->in);
	if (need > iomb->size - off)
		gap = iomb->size - off;
	if (gap + need > iomb->size - (iomb->in - iomb->out))
		goto fail;
	if (!poison_ok_locked(iomb, iomb->in + gap, need, &bad)) {
		iomb->failures++;
		spin_unlock_irqrestore(&iomb->lock, flags);
		ap_report_invalid(&iomb->ap, "poison overwritten", true, bad);
		return NULL;
	}
	if (gap) {
		iomb->ring[off] = IOM_GAP;
		iomb->in += gap;
	}
	write_cookie_locked(iomb, len);
	iomb->in += need;
	iomb->alloc_mode = true;
	iomb->allocs++;
	account_in_locked(iomb);
	chunk = iomb->ring + ring_off(iomb, iomb->in - len);
	spin_unlock_irqrestore(&iomb->lock, flags);
	return chunk;

fail:
	iomb->failures++;
	spin_unlock_irqrestore(&iomb->lock, flags);
	return NULL;
}
EXPORT_SYMBOL_NS_GPL(iom_alloc, ALLOCPOOLS_NS);

/**
 * iom_release() - give back the oldest iom_alloc() chunk
 * @iomb: the ring
 * @chunk: the chunk; NULL is ignored
 *
 * Anything but the oldest chunk (a younger one, an interior or foreign
 * pointer, a second release) is refused and leaves the ring as it was.
 *
 * Context: any context.
 * Return: 0; -EINVAL for a pointer that is not the oldest chunk (counted in
 * invalid_frees and reported); -EBUSY when the ring holds pushed chunks.
 */
int iom_release(struct iom_buffer *iomb, const void *chunk)
{
	unsigned long flags, data, end;
	const u8 *p = chunk;
	size_t len;

	if (!chunk)
		return 0;
	if (!iomb)
		return -EINVAL;
	spin_lock_irqsave(&iomb->lock, flags);
	if (iomb->chunks && !iomb->alloc_mode) {
		spin_unlock_irqrestore(&iomb->lock, flags);
		return -EBUSY;
	}
	if (iomb->chunks) {
		end = oldest_end_locked(iomb, &data, &len);
		if (p == iomb->ring + ring_off(iomb, data)) {
			advance_out_locked(iomb, end);
			iomb->releases++;
			spin_unlock_irqrestore(&iomb->lock, flags);
			return 0;
		}
	}
	iomb->invalid_frees++;
	spin_unlock_irqrestore(&iomb->lock, flags);

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
 * Chunks handed out by iom_alloc() become invalid.  With IOM_POISON the
 * bytes that were in use are poisoned again, under the lock.
 *
 * Context: any context.
 */
void iom_reset(struct iom_buffer *iomb)
{
	unsigned long flags;

	if (!iomb)
		return;
	spin_lock_irqsave(&iomb->lock, flags);
	reset_locked(iomb);
	spin_unlock_irqrestore(&iomb->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(iom_reset, ALLOCPOOLS_NS);

/**
 * iom_reset_secure() - empty the ring and wipe every byte of it
 * @iomb: the ring; NULL is ignored
 *
 * The ring is zeroed, or filled with POISON_FREE under IOM_POISON so that
 * the poison check stays meaningful; either way no old data survives.  This
 * writes the whole ring under the lock: O(size).
 *
 * Context: any context.
 */
void iom_reset_secure(struct iom_buffer *iomb)
{
	unsigned long flags;

	if (!iomb)
		return;
	spin_lock_irqsave(&iomb->lock, flags);
	reset_locked(iomb);
	memset(iomb->ring, (iomb->flags & IOM_POISON) ? POISON_FREE : 0,
	       iomb->size);
	spin_unlock_irqrestore(&iomb->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(iom_reset_secure, ALLOCPOOLS_NS);

/**
 * iom_chunks() - number of chunks queued or allocated
 * @iomb: the ring
 *
 * Context: any context.
 * Return: the count; 0 for a NULL ring.
 */
size_t iom_chunks(struct iom_buffer *iomb)
{
	return iomb ? READ_ONCE(iomb->chunks) : 0;
}
EXPORT_SYMBOL_NS_GPL(iom_chunks, ALLOCPOOLS_NS);

/**
 * iom_used() - bytes in use
 * @iomb: the ring
 *
 * Cookies and the gaps iom_alloc() skipped count as used.
 *
 * Context: any context.
 * Return: the bytes in use; 0 for a NULL ring.
 */
size_t iom_used(struct iom_buffer *iomb)
{
	unsigned long flags;
	size_t used;

	if (!iomb)
		return 0;
	spin_lock_irqsave(&iomb->lock, flags);
	used = iomb->in - iomb->out;
	spin_unlock_irqrestore(&iomb->lock, flags);
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
 * Context: any context.
 */
void iom_iter_init(struct iom_buffer *iomb, struct iom_iter *it)
{
	unsigned long flags;

	if (!it)
		return;
	memset(it, 0, sizeof(*it));
	if (!iomb)
		return;
	spin_lock_irqsave(&iomb->lock, flags);
	it->pos = iomb->out;
	it->end = iomb->in;
	it->seq = iomb->seq;
	spin_unlock_irqrestore(&iomb->lock, flags);
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
 * Context: any context.
 * Return: 0; -ENODATA past the last chunk; -EAGAIN if the ring changed since
 * iom_iter_init(); -EMSGSIZE when the chunk is longer than @bufsize (the
 * iterator stays on it); -EBUSY when the ring holds iom_alloc() chunks;
 * -EINVAL for NULL arguments.
 */
int iom_iter_next(struct iom_buffer *iomb, struct iom_iter *it, void *buf,
		  size_t *len, size_t bufsize)
{
	unsigned long flags, end;
	int ret;

	if (!iomb || !it || !len || (!buf && bufsize))
		return -EINVAL;
	spin_lock_irqsave(&iomb->lock, flags);
	if (iomb->alloc_mode)
		ret = -EBUSY;
	else if (it->seq != iomb->seq)
		ret = -EAGAIN;
	else if (it->pos == it->end)
		ret = -ENODATA;
	else
		ret = read_chunk_locked(iomb, it->pos, buf, len, bufsize, &end);
	if (!ret)
		it->pos = end;
	spin_unlock_irqrestore(&iomb->lock, flags);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iom_iter_next, ALLOCPOOLS_NS);

/**
 * iom_stats() - snapshot the ring's counters
 * @iomb: the ring
 * @st: filled in; zeroed for a NULL ring
 *
 * Context: any context.
 */
void iom_stats(struct iom_buffer *iomb, struct iom_stats *st)
{
	unsigned long flags;

	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!iomb)
		return;
	spin_lock_irqsave(&iomb->lock, flags);
	st->size = iomb->size;
	st->used = iomb->in - iomb->out;
	st->peak_used = iomb->peak_used;
	st->chunks = iomb->chunks;
	st->pushes = iomb->pushes;
	st->shifts = iomb->shifts;
	st->allocs = iomb->allocs;
	st->releases = iomb->releases;
	st->head_drops = iomb->head_drops;
	st->tail_drops = iomb->tail_drops;
	st->failures = iomb->failures;
	st->invalid_frees = iomb->invalid_frees;
	spin_unlock_irqrestore(&iomb->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(iom_stats, ALLOCPOOLS_NS);

#if IS_ENABLED(CONFIG_ALLOCPOOLS_KUNIT_TEST)
#include "kunit/mempool_fifo_test.c"
#endif
