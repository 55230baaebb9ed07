/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The FIFO queue pool (IOMalloc lineage).
 *
 * A power-of-two ring of bytes.  Used as a queue, chunks are pushed in and
 * shifted out in order; used as a FIFO allocator, iom_alloc() hands out
 * contiguous chunks that must be released oldest first.
 *
 * Every call may be made from any context, hard IRQ included, on PREEMPT_RT
 * too, except iom_create(), iom_destroy(), iom_reset() and
 * iom_reset_secure(), which may sleep.  With IOM_SPSC, one producer and one
 * consumer share the ring without a lock (see the flags below).
 */
#ifndef _ALLOCPOOLS_IOM_H
#define _ALLOCPOOLS_IOM_H

#include <linux/bits.h>
#include <linux/sizes.h>
#include <linux/types.h>

/**
 * DOC: FIFO queue pool flags and push modes
 *
 * Flags of iom_create():
 *
 * ``IOM_MAINLY_EMPTY``
 *	rewind to offset 0 whenever the queue drains, so that chunks of a
 *	queue that is mostly empty rarely wrap.
 * ``IOM_POISON``
 *	fill freed bytes with ``POISON_FREE`` and check them when they are
 *	handed out again.
 * ``IOM_SPSC``
 *	the caller promises kfifo's contract: at most one context at a time
 *	produces (iom_push(), iom_alloc()) and at most one consumes
 *	(iom_shift(), iom_peek(), iom_peek_update(), iom_release()).  These
 *	calls then take no lock: the producer owns the write index, the
 *	consumer the read index, each published with smp_store_release() and
 *	read with smp_load_acquire(), as lib/kfifo.c pairs its barriers.
 *	Counters stay exact, each written by one side only.  What an SPSC
 *	ring refuses or requires:
 *
 *	- iom_push() modes ``IOM_HEAD_DROP`` and ``IOM_DROP_ALL`` would make
 *	  the producer consume: -EINVAL (counted as a failure).
 *	- ``IOM_MAINLY_EMPTY`` rewinds both indices when the queue drains:
 *	  iom_create() refuses it with this flag (-EINVAL).  For the same
 *	  reason iom_alloc() does not rewind an empty ring to offset 0: a
 *	  chunk that does not fit before the end of the ring skips to 0 as
 *	  on a ring that holds chunks.
 *	- iom_reset(), iom_reset_secure(), iom_iter_init() and
 *	  iom_iter_next() touch both ends: the caller keeps both the
 *	  producer and the consumer out of the ring (no call of either side
 *	  running or starting) until they return.
 *	- iom_stats(), iom_used(), iom_space() and iom_chunks() may run
 *	  beside both sides and give a snapshot: each counter is exact as
 *	  read, but the producer's and the consumer's may be read at
 *	  slightly different moments; ``peak_used`` is the producer's view
 *	  (bytes in use as of the read index it last saw, so never less
 *	  than the truth).
 *	- A ring holds pushed chunks or iom_alloc() chunks, not both: the
 *	  producer remembers which it last produced and switches only when
 *	  it sees the ring empty, so the rule stays exact without a lock.
 *	- On 32-bit kernels the write index and the chunk count share one
 *	  word, so an SPSC ring is at most ``IOM_SPSC_MAX_SIZE`` (16 KiB
 *	  there, 1 GiB on 64-bit).
 *
 * Modes of iom_push(), for a chunk that does not fit:
 *
 * ``IOM_TAIL_DROP``
 *	refuse the new chunk with -ENOBUFS (the default, 0).
 * ``IOM_HEAD_DROP``
 *	drop the oldest chunks until it fits.
 * ``IOM_DROP_ALL``
 *	empty the queue, then push.
 *
 * Rings are powers of two from ``IOM_MIN_SIZE`` (64 bytes) to
 * ``IOM_MAX_SIZE`` (1 GiB); a chunk is at most ``IOM_MAX_CHUNK`` (65535)
 * bytes, the longest a cookie can describe.
 */
#define IOM_MAINLY_EMPTY	BIT(0)	/* rewind to offset 0 whenever the queue drains */
#define IOM_POISON		BIT(1)	/* fill freed bytes with POISON_FREE, check on reuse */
#define IOM_SPSC		BIT(2)	/* one producer and one consumer at a time: no lock */

/* push modes, iom_push()'s last argument */
#define IOM_TAIL_DROP	0	/* full: refuse the new chunk, -ENOBUFS (default) */
#define IOM_HEAD_DROP	1	/* full: drop the oldest chunks until it fits */
#define IOM_DROP_ALL	2	/* full: empty the queue, then push */

/* Ring sizes: powers of two in [IOM_MIN_SIZE, IOM_MAX_SIZE]. */
#define IOM_MIN_SIZE	64UL
#define IOM_MAX_SIZE	SZ_1G
/*
 * The largest IOM_SPSC ring: the consumer reads the producer's index and
 * chunk count from one word, half of it each.
 */
#define IOM_SPSC_MAX_SIZE	(BITS_PER_LONG == 64 ? IOM_MAX_SIZE : SZ_16K)
/* The longest chunk a cookie can describe. */
#define IOM_MAX_CHUNK	65535UL

struct iom_buffer;

/**
 * struct iom_iter - iterator over the queued chunks
 * @pos: the pool's business, as are the other fields: callers only declare
 *	an iterator and hand it to iom_iter_init() and iom_iter_next()
 * @end: where the queue ended at iom_iter_init()
 * @seq: the queue's change count then, so that a change is noticed
 * @nr: chunks visited
 */
struct iom_iter {
	unsigned long pos;
	unsigned long end;
	unsigned long seq;
	unsigned long nr;
};

/**
 * struct iom_stats - a FIFO queue pool's counters, filled by iom_stats()
 * @size: ring size in bytes
 * @used: bytes in use, cookies and gaps included
 * @peak_used: most bytes ever in use
 * @chunks: chunks queued or allocated
 * @pushes: chunks pushed
 * @shifts: chunks shifted, iom_peek_update() included
 * @allocs: chunks handed out by iom_alloc()
 * @releases: chunks given back by iom_release()
 * @head_drops: chunks dropped to make room (IOM_HEAD_DROP, IOM_DROP_ALL)
 * @tail_drops: pushes refused under IOM_TAIL_DROP
 * @failures: pushes and allocations refused for any other reason
 * @invalid_frees: releases refused, and damage found
 * @corruptions: damage found: poison overwritten, a cookie or gap marker
 *	that does not fit the queue (also counted in @invalid_frees)
 * @injected: pushes and allocations failed on purpose through the pool's
 *	fail/ knobs (fault injection); not counted in @failures or
 *	@tail_drops
 *
 * The debugfs file ``stats`` prints the same fields, by these names.
 */
struct iom_stats {
	size_t size, used, peak_used, chunks;
	u64 pushes, shifts, allocs, releases, head_drops, tail_drops, failures,
	    invalid_frees;
	u64 corruptions;	/* damage found: poison, cookies, gap markers */
	u64 injected;
};

struct iom_buffer *iom_create(const char *name, size_t size, unsigned int flags);
void iom_destroy(struct iom_buffer *iomb);
int iom_push(struct iom_buffer *iomb, const void *data, size_t len,
	     unsigned int mode);
int iom_shift(struct iom_buffer *iomb, void *buf, size_t *len, size_t bufsize);
int iom_peek(struct iom_buffer *iomb, void *buf, size_t *len, size_t bufsize);
int iom_peek_update(struct iom_buffer *iomb);
void *iom_alloc(struct iom_buffer *iomb, size_t len);
int iom_release(struct iom_buffer *iomb, const void *chunk);
void iom_reset(struct iom_buffer *iomb);
void iom_reset_secure(struct iom_buffer *iomb);
size_t iom_chunks(struct iom_buffer *iomb);
size_t iom_used(struct iom_buffer *iomb);
size_t iom_space(struct iom_buffer *iomb);
size_t iom_nearest_power_two(size_t n);
void iom_iter_init(struct iom_buffer *iomb, struct iom_iter *it);
int iom_iter_next(struct iom_buffer *iomb, struct iom_iter *it, void *buf,
		  size_t *len, size_t bufsize);
void iom_stats(struct iom_buffer *iomb, struct iom_stats *st);
struct iom_buffer *iom_default(void);

#endif /* _ALLOCPOOLS_IOM_H */
