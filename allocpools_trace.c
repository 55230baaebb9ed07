// SPDX-License-Identifier: GPL-2.0
/*
 * The one unit that instantiates the allocpools trace events (see
 * allocpools_trace.h; Kbuild puts this directory on its include path, as
 * define_trace.h needs for a trace header outside include/trace/events/),
 * and the out-of-line half of the helpers the allocators call, entered
 * only with an event on.
 */
#include <linux/bits.h>
#include <linux/compiler.h>

#define CREATE_TRACE_POINTS
#include "allocpools_trace.h"

void ap_trace_alloc_event(struct ap_pool *pool, const void *p, size_t req,
			  ap_where_fn where, unsigned long call_site)
{
	struct ap_where w;

	if (!p)
		return;
	where(pool, p, &w);
	trace_allocpools_alloc(pool, &w, req, call_site);
}

void ap_trace_free_event(struct ap_pool *pool, const void *p,
			 ap_where_fn where, unsigned long call_site)
{
	struct ap_where w;

	where(pool, p, &w);
	if (w.live)
		trace_allocpools_free(pool, &w, 0, call_site);
	else
		trace_allocpools_free_refused(pool, &w, -EINVAL, call_site);
}

struct ap_loc ap_trace_locate(struct ap_pool *pool, const void *p,
			      ap_where_fn where)
{
	struct ap_where w;
	struct ap_loc loc;

	where(pool, p, &w);
	/* A region number too large to pack is not traced (never, in fact). */
	if (w.region >= BIT(64 - AP_LOC_REGION_SHIFT) - 1) {
		loc.pos = AP_LOC_NONE;
		return loc;
	}
	loc.pos = (w.offset & (BIT_ULL(AP_LOC_REGION_SHIFT) - 1)) |
		  (unsigned long)w.region << AP_LOC_REGION_SHIFT;
	loc.size = (w.size & (BIT_ULL(AP_LOC_ORDER_SHIFT) - 1)) |
		   (unsigned long)(w.order + 1) << AP_LOC_ORDER_SHIFT;
	return loc;
}

void ap_trace_gone_event(struct ap_pool *pool, struct ap_loc loc,
			 bool release, unsigned long call_site)
{
	struct ap_where w;

	/* The event came on during the free: nothing was looked up. */
	if (loc.pos == AP_LOC_NONE)
		return;
	w.region = loc.pos >> AP_LOC_REGION_SHIFT;
	w.offset = loc.pos & (BIT_ULL(AP_LOC_REGION_SHIFT) - 1);
	w.size = loc.size & (BIT_ULL(AP_LOC_ORDER_SHIFT) - 1);
	w.order = (int)(loc.size >> AP_LOC_ORDER_SHIFT) - 1;
	if (release)
		trace_allocpools_release(pool, &w, 0, call_site);
	else
		trace_allocpools_free(pool, &w, 0, call_site);
}

void ap_trace_refused_event(struct ap_pool *pool, const void *p, int err,
			    ap_where_fn where, unsigned long call_site)
{
	struct ap_where w;

	where(pool, p, &w);
	trace_allocpools_free_refused(pool, &w, err, call_site);
}
