/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints: events/allocpools/ in tracefs, allocpools:* for perf and
 * bpftrace.
 *
 * Every event names the pool by kind and name (copied into the event, so a
 * pool destroyed since still reads right) and places memory by offset,
 * never by address: @region is the number of the region the object lies
 * in, counted from 0 in the order the pool got its regions (the ring, the
 * heap and a buddy arena's or BGET pool's first region are region 0; BGET
 * counts its regions as bget_pool_dump() does), and @offset is where the
 * object starts from that region's start.  A region number is not reused
 * while the pool lives, so (pool, region, offset) names one object at a
 * time.  @order is log2 of the block or class size where the allocator has
 * one (buddy blocks, bump_slab classes), else -1.  @call_site is the
 * return address of the exported call, printed with %pS as kmem: does.
 *
 * Cost while an event is off: its static key's NOP, and no argument
 * beyond what the caller holds anyway.  The ap_trace_*() helpers test the
 * key first and only then, out of line, ask the pool where an object is
 * (the kind's where() callback, which may take the pool's raw lock).  A
 * free is traced on entry, with the verdict the pool will come to; a FIFO
 * release, whose verdict depends on the ring's order, once it is known,
 * keeping two words (struct ap_loc) across its work.  The helpers are
 * called from the exported functions, with no lock of the pool held; a
 * region's growth and give-back are traced where they happen.
 * Tracepoints are safe in any context, hard IRQ and PREEMPT_RT included.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM allocpools

#ifndef _ALLOCPOOLS_TRACE_TYPES_H
#define _ALLOCPOOLS_TRACE_TYPES_H

#include <linux/types.h>

struct ap_pool;

/* AP_NO_REGION: the pointer lies in none of the pool's regions. */
#define AP_NO_REGION	(~0U)

/**
 * struct ap_where - where an object is, as a trace event shows it
 * @region: the region's number, or AP_NO_REGION
 * @offset: from the region's start
 * @size: bytes the pool holds for the object (the block, the class), or 0
 * @order: log2 of @size for buddy blocks and bump_slab classes, else -1
 * @live: a free of @p now would be accepted: a live object starts there
 */
struct ap_where {
	unsigned int region;
	size_t offset;
	size_t size;
	int order;
	bool live;
};

/**
 * struct ap_loc - a struct ap_where in two words
 * @pos: the offset, and the region above AP_LOC_REGION_SHIFT; AP_LOC_NONE
 *	when nothing was looked up
 * @size: the size, and the order + 1 above AP_LOC_ORDER_SHIFT
 *
 * What a release keeps of where its chunk was until it knows the release
 * went through: two words come back from a call in registers, where a
 * struct ap_where would live in the caller's frame, zeroed (with
 * CONFIG_INIT_STACK_ALL_ZERO) and guarded by the stack protector on every
 * call, the events off included.  Regions are far below 2^40 bytes and
 * sizes below 2^56.
 */
struct ap_loc {
	unsigned long pos;
	unsigned long size;
};

#define AP_LOC_REGION_SHIFT	40
#define AP_LOC_ORDER_SHIFT	56
#define AP_LOC_NONE		(~0UL)

/*
 * Fills @w for the object at @p, which the pool handed out (or, for a
 * refused free, anything): the kind's own lookup, run only with the event
 * on and no lock of the pool held.
 */
typedef void (*ap_where_fn)(struct ap_pool *pool, const void *p,
			    struct ap_where *w);

struct buddy_arena;
void buddy_arena_where(struct buddy_arena *ba, const void *p,
		       struct ap_where *w);

/*
 * __assign_str() lost its source argument in 6.10: Kbuild says which form
 * this kernel has.
 */
#if ALLOCPOOLS_ASSIGN_STR_1
#define ap_assign_str(dst, src)	__assign_str(dst)
#else
#define ap_assign_str(dst, src)	__assign_str(dst, src)
#endif

#endif /* _ALLOCPOOLS_TRACE_TYPES_H */

#if !defined(_ALLOCPOOLS_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _ALLOCPOOLS_TRACE_H

#include <linux/tracepoint.h>

#include "allocpools_internal.h"

/*
 * An object handed out (alloc) or given back (free, and a FIFO allocator's
 * release, where @req is 0: what the caller once asked for is not kept).
 */
DECLARE_EVENT_CLASS(allocpools_obj,
		    TP_PROTO(struct ap_pool *pool, const struct ap_where *w,
			     size_t req, unsigned long call_site),
		    TP_ARGS(pool, w, req, call_site),
		    TP_STRUCT__entry(__string(kind, pool->kind->name)
				     __string(name, pool->name)
				     __field(unsigned int, region)
				     __field(size_t, offset)
				     __field(size_t, bytes_req)
				     __field(size_t, bytes_alloc)
				     __field(int, order)
				     __field(unsigned long, call_site)),
		    TP_fast_assign(ap_assign_str(kind, pool->kind->name);
				   ap_assign_str(name, pool->name);
				   __entry->region = w->region;
				   __entry->offset = w->offset;
				   __entry->bytes_req = req;
				   __entry->bytes_alloc = w->size;
				   __entry->order = w->order;
				   __entry->call_site = call_site;),
		    TP_printk("%s/%s region=%u offset=%zu bytes_req=%zu bytes_alloc=%zu order=%d call_site=%pS",
			      __get_str(kind), __get_str(name),
			      __entry->region, __entry->offset,
			      __entry->bytes_req, __entry->bytes_alloc,
			      __entry->order, (void *)__entry->call_site));

DEFINE_EVENT(allocpools_obj, allocpools_alloc,
	     TP_PROTO(struct ap_pool *pool, const struct ap_where *w,
		      size_t req, unsigned long call_site),
	     TP_ARGS(pool, w, req, call_site));

DEFINE_EVENT(allocpools_obj, allocpools_free,
	     TP_PROTO(struct ap_pool *pool, const struct ap_where *w,
		      size_t req, unsigned long call_site),
	     TP_ARGS(pool, w, req, call_site));

DEFINE_EVENT(allocpools_obj, allocpools_release,
	     TP_PROTO(struct ap_pool *pool, const struct ap_where *w,
		      size_t req, unsigned long call_site),
	     TP_ARGS(pool, w, req, call_site));

/*
 * A free (or FIFO release) the pool refused and counted in invalid_frees:
 * where the pointer was, as far as the pool could tell (region
 * 4294967295, AP_NO_REGION, and offset 0 when in none of its regions),
 * and the error.
 */
TRACE_EVENT(allocpools_free_refused,
	    TP_PROTO(struct ap_pool *pool, const struct ap_where *w, int err,
		     unsigned long call_site),
	    TP_ARGS(pool, w, err, call_site),
	    TP_STRUCT__entry(__string(kind, pool->kind->name)
			     __string(name, pool->name)
			     __field(unsigned int, region)
			     __field(size_t, offset)
			     __field(int, err)
			     __field(unsigned long, call_site)),
	    TP_fast_assign(ap_assign_str(kind, pool->kind->name);
			   ap_assign_str(name, pool->name);
			   __entry->region = w->region;
			   __entry->offset = w->region == AP_NO_REGION ?
					     0 : w->offset;
			   __entry->err = err;
			   __entry->call_site = call_site;),
	    TP_printk("%s/%s region=%u offset=%zu err=%d call_site=%pS",
		      __get_str(kind), __get_str(name), __entry->region,
		      __entry->offset, __entry->err,
		      (void *)__entry->call_site));

/*
 * A queued chunk of @len bytes of data (the ring holds it with its 1..3
 * byte cookie): push and shift.  The data is copied in and out, so a
 * queued chunk has no place a client could use: no offset is traced.
 */
DECLARE_EVENT_CLASS(allocpools_chunk,
		    TP_PROTO(struct ap_pool *pool, size_t len,
			     unsigned long call_site),
		    TP_ARGS(pool, len, call_site),
		    TP_STRUCT__entry(__string(kind, pool->kind->name)
				     __string(name, pool->name)
				     __field(size_t, len)
				     __field(unsigned long, call_site)),
		    TP_fast_assign(ap_assign_str(kind, pool->kind->name);
				   ap_assign_str(name, pool->name);
				   __entry->len = len;
				   __entry->call_site = call_site;),
		    TP_printk("%s/%s len=%zu call_site=%pS",
			      __get_str(kind), __get_str(name), __entry->len,
			      (void *)__entry->call_site));

DEFINE_EVENT(allocpools_chunk, allocpools_push,
	     TP_PROTO(struct ap_pool *pool, size_t len,
		      unsigned long call_site),
	     TP_ARGS(pool, len, call_site));

DEFINE_EVENT(allocpools_chunk, allocpools_shift,
	     TP_PROTO(struct ap_pool *pool, size_t len,
		      unsigned long call_site),
	     TP_ARGS(pool, len, call_site));

/* A region the pool got (growth, an added region) or gave back. */
DECLARE_EVENT_CLASS(allocpools_region,
		    TP_PROTO(struct ap_pool *pool, unsigned int region,
			     size_t size),
		    TP_ARGS(pool, region, size),
		    TP_STRUCT__entry(__string(kind, pool->kind->name)
				     __string(name, pool->name)
				     __field(unsigned int, region)
				     __field(size_t, size)),
		    TP_fast_assign(ap_assign_str(kind, pool->kind->name);
				   ap_assign_str(name, pool->name);
				   __entry->region = region;
				   __entry->size = size;),
		    TP_printk("%s/%s region=%u size=%zu", __get_str(kind),
			      __get_str(name), __entry->region,
			      __entry->size));

DEFINE_EVENT(allocpools_region, allocpools_grow,
	     TP_PROTO(struct ap_pool *pool, unsigned int region, size_t size),
	     TP_ARGS(pool, region, size));

DEFINE_EVENT(allocpools_region, allocpools_give_back,
	     TP_PROTO(struct ap_pool *pool, unsigned int region, size_t size),
	     TP_ARGS(pool, region, size));

#endif /* _ALLOCPOOLS_TRACE_H */

#ifndef _ALLOCPOOLS_TRACE_HELPERS_H
#define _ALLOCPOOLS_TRACE_HELPERS_H

#include <linux/errno.h>

/*
 * The helpers the allocators call.  Each tests its event's static key
 * first and does the rest out of line (allocpools_trace.c): while the
 * events are off that test is all a call costs, and the calling function
 * gets no local that its stack would have to zero or guard.
 */
void ap_trace_alloc_event(struct ap_pool *pool, const void *p, size_t req,
			  ap_where_fn where, unsigned long call_site);
void ap_trace_free_event(struct ap_pool *pool, const void *p,
			 ap_where_fn where, unsigned long call_site);
struct ap_loc ap_trace_locate(struct ap_pool *pool, const void *p,
			      ap_where_fn where);
void ap_trace_gone_event(struct ap_pool *pool, struct ap_loc loc,
			 bool release, unsigned long call_site);
void ap_trace_refused_event(struct ap_pool *pool, const void *p, int err,
			    ap_where_fn where, unsigned long call_site);

/*
 * After an allocation that returned @p (NULL: none).  The unlikely()s
 * here and in ap_trace_free(): trace_*_enabled() is a static branch the
 * compiler takes no hint from, so it laid the call out inline and the hot
 * paths paid a jump over it, with its arguments set up, tracing off.
 */
static __always_inline void ap_trace_alloc(struct ap_pool *pool,
					   const void *p, size_t req,
					   ap_where_fn where,
					   unsigned long call_site)
{
	if (unlikely(trace_allocpools_alloc_enabled()))
		ap_trace_alloc_event(pool, p, req, where, call_site);
}

/*
 * On entry to a free of non-NULL @p: the pool is asked, under its lock,
 * whether it holds a live object there, and the free is traced as a free
 * or, if not, as refused, the verdict the free itself comes to (two frees
 * of one object racing on two CPUs may both be traced as frees: one of
 * them is refused and counted).  A free traced on entry keeps its tail
 * calls, and its object is still there to be looked up.
 */
static __always_inline void ap_trace_free(struct ap_pool *pool,
					  const void *p, ap_where_fn where,
					  unsigned long call_site)
{
	if (unlikely(trace_allocpools_free_enabled() ||
		     trace_allocpools_free_refused_enabled()))
		ap_trace_free_event(pool, p, where, call_site);
}

/*
 * Before a release (or a free, @release false) of non-NULL @p that is
 * traced once it is known to have gone through: where the object is while
 * it still is one, for ap_trace_gone().  Which chunk a FIFO release takes
 * depends on the ring's order, so iom_release() is traced that way.
 */
static __always_inline struct ap_loc ap_trace_where_gone(struct ap_pool *pool,
							 const void *p,
							 ap_where_fn where,
							 bool release)
{
	struct ap_loc none = { .pos = AP_LOC_NONE };

	if (release ? trace_allocpools_release_enabled() :
		      trace_allocpools_free_enabled())
		return ap_trace_locate(pool, p, where);
	return none;
}

/*
 * After that release (or free), which returned @err.  A refused one left
 * the pool as it was, so the pool is asked where @p lies only now.
 */
static __always_inline void ap_trace_gone(struct ap_pool *pool,
					  const void *p, struct ap_loc loc,
					  int err, bool release,
					  ap_where_fn where,
					  unsigned long call_site)
{
	if (trace_allocpools_free_refused_enabled() && err == -EINVAL)
		ap_trace_refused_event(pool, p, err, where, call_site);
	if (release ? trace_allocpools_release_enabled() :
		      trace_allocpools_free_enabled())
		if (!err)
			ap_trace_gone_event(pool, loc, release, call_site);
}

/* After a push of @len bytes or a shift into *@len that returned @err. */
static __always_inline void ap_trace_push(struct ap_pool *pool, int err,
					  size_t len, unsigned long call_site)
{
	if (trace_allocpools_push_enabled() && !err)
		trace_allocpools_push(pool, len, call_site);
}

static __always_inline void ap_trace_shift(struct ap_pool *pool, int err,
					   const size_t *len,
					   unsigned long call_site)
{
	if (trace_allocpools_shift_enabled() && !err)
		trace_allocpools_shift(pool, *len, call_site);
}

#endif /* _ALLOCPOOLS_TRACE_HELPERS_H */

/* Out of tree, or in tree under kunit.py: Kbuild adds this directory. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE allocpools_trace
#include <trace/define_trace.h>
