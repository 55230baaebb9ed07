// SPDX-License-Identifier: GPL-2.0
/*
 * Power-of-two size-class free lists: the "freeing-bump" allocator.
 *
 * 22 classes of 8 B .. 16 MiB (8 << i).  A request takes the smallest class
 * that fits.  Every object is preceded by an 8-byte header: the class index,
 * then seven marker bytes, 0xff while the object is allocated and 0xfe while
 * it sits on a free list, so a double free is seen in O(1) from the header.
 * A free object's list link lives in its first 8 bytes.
 *
 *   header                  object (8 << cls bytes)
 *   +-----+----------------+---------------------------------------+
 *   | cls | ff ff .. ff    | caller's data                         |  live
 *   +-----+----------------+---------------------------------------+
 *   | cls | fe fe .. fe    | next free | POISON_FREE (optional) .. |  free
 *   +-----+----------------+---------------------------------------+
 *
 * Heap mode (bump_slab_create): one vmalloc'd heap.  A class whose list is
 * empty takes header + class size from the bump pointer; a free pushes the
 * object on its class list and an allocation pops the most recently freed
 * one.  Objects never change class.  A bitmap with one bit per 8 bytes of
 * heap marks where headers start, so a foreign, interior or misaligned
 * pointer is refused without trusting anything the caller could write.
 *
 *   heap: [hdr|obj 8][hdr|obj 32     ][hdr|obj 8][hdr|obj 1024 ...]   free
 *         0                                                  bump ^    end
 *
 * Buddy mode (bump_slab_create_on): classes take slabs from a buddy arena.
 * A small class (two or more objects per page) uses one PAGE_SIZE block per
 * slab; a large class takes one block per object.  Either way the slab
 * header sits at the start of the block and the first object at offset
 * BS_SLAB_HDR, inside the block's first page, so an object's slab is its
 * page: buddy blocks are naturally aligned within page-aligned regions.
 * A slab whose objects are all free goes back to the arena at once.
 *
 *   small slab (one page):
 *   +-----------+-----+-------+-----+-------+--   --+-----+-------+------+
 *   | bs_slab   | hdr | obj 0 | hdr | obj 1 |  ...  | hdr | obj n | tail |
 *   +-----------+-----+-------+-----+-------+--   --+-----+-------+------+
 *   0          56     64
 *   large slab (one buddy block of 2^k >= BS_SLAB_HDR + class size):
 *   +-----------+-----+-------------------------------+---------------+
 *   | bs_slab   | hdr | obj                           | unused        |
 *   +-----------+-----+-------------------------------+---------------+
 *
 * Context: allocation, free, size and stats may be called from any context
 * including hard IRQ; create and destroy only from process context.  In
 * buddy mode an allocation that needs a new slab asks the arena with the
 * caller's gfp, which may sleep (arena growth) when the gfp allows it.
 *
 * Locking: one spinlock per pool, taken with irqsave, guards everything in
 * struct bump_slab after it.  It is dropped around buddy_arena_alloc() (which
 * may sleep) and the state re-checked after; buddy_arena_block_size() and
 * buddy_arena_free() never sleep and are called under it, so the arena's
 * lock nests inside ours and never the other way round.
 */

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/poison.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <allocpools/buddy_arena.h>
#include <allocpools/bump_slab.h>

#include "allocpools_internal.h"

#define BS_HDR		8	/* object header: class byte + 7 marker bytes */
#define BS_LIVE		0xff	/* marker of an allocated object */
#define BS_FREE		0xfe	/* marker of an object on a free list */
#define BS_BAD		0xdd	/* marker of a free object found modified */

#define BS_SLAB_HDR	64	/* first object of a slab; its header at 56 */
#define BS_SLAB_MAGIC	0x62736c62U

#define BS_FLAGS	BUMP_SLAB_POISON

/*
 * A slab, at the start of its buddy block.  Guarded by the pool lock.
 * @free links the slab's free objects through their first word; objects
 * past @carved have never been handed out and hold nothing.
 */
struct bs_slab {
	u32 magic;
	u8 cls;
	u16 nr;
	u16 carved;
	u16 inuse;
	u16 bad;
	struct bump_slab *owner;
	void *free;
	struct list_head node;
	size_t block;
};

/*
 * Per-class state.  live = allocs - frees; carved counts the objects the
 * class has made (heap: from the bump pointer; buddy: in slabs it holds);
 * bad the free objects found modified and kept out of use.
 */
struct bs_class {
	void *head;			/* heap mode: LIFO list of free objects */
	u64 allocs, frees;
	unsigned long carved, bad, slabs;
	struct list_head partial;	/* buddy: slabs with a free object */
	struct list_head full;		/* buddy: slabs without one */
	size_t request;			/* buddy: bytes asked of the arena */
	u32 recip;			/* buddy: 2^32 / stride, rounded up */
	u16 per_slab;			/* buddy: objects per slab */
};

/**
 * struct bump_slab - a size-class pool
 * @ap: the core's part (name, debugfs)
 * @arena: the backing buddy arena, NULL in heap mode
 * @heap: heap mode: the vmalloc'd heap
 * @starts: heap mode: one bit per 8 heap bytes, set where a header starts
 * @heap_size: heap mode: bytes of @heap
 * @flags: create flags
 * @lock: guards every field below it
 * @bump: heap mode: offset of the first never-used heap byte
 * @slabs: buddy mode: slabs held
 * @slab_bytes: buddy mode: bytes of the blocks of those slabs
 * @failures: failed allocations
 * @invalid_frees: rejected frees and modified free objects found
 * @cls: the classes
 */
struct bump_slab {
	struct ap_pool ap;
	struct buddy_arena *arena;
	u8 *heap;
	unsigned long *starts;
	size_t heap_size;
	unsigned int flags;

	spinlock_t lock;	/* guards all the fields below */
	size_t bump;
	unsigned long slabs;
	size_t slab_bytes;
	u64 failures;
	u64 invalid_frees;
	struct bs_class cls[BUMP_SLAB_CLASSES];
};

static_assert(sizeof(struct bs_slab) <= BS_SLAB_HDR - BS_HDR);

static __always_inline size_t cls_size(unsigned int c)
{
	return BUMP_SLAB_MIN_SIZE << c;
}

/* Smallest class that holds @size (1 .. BUMP_SLAB_MAX_SIZE): no loop. */
static __always_inline unsigned int size_to_cls(size_t size)
{
	return fls64((size - 1) | (BUMP_SLAB_MIN_SIZE - 1)) - 3;
}

/* The header word as memory holds it, byte 0 first, on either endianness. */
static __always_inline u64 hdr_word(unsigned int c, u8 mark)
{
	union {
		u8 b[BS_HDR];
		u64 w;
	} h = { .b = { c, mark, mark, mark, mark, mark, mark, mark } };

	return h.w;
}

static __always_inline u64 *obj_hdr(void *obj)
{
	return (u64 *)((u8 *)obj - BS_HDR);
}

static __always_inline u8 hdr_cls(const void *obj)
{
	return *((const u8 *)obj - BS_HDR);
}

static bool poisoned(struct bump_slab *bs)
{
	return bs->flags & BUMP_SLAB_POISON;
}

/* The first word of a free object is the link; the rest may be poisoned. */
static void poison_obj(struct bump_slab *bs, void *obj, unsigned int c)
{
	if (poisoned(bs) && cls_size(c) > sizeof(void *))
		memset((u8 *)obj + sizeof(void *), POISON_FREE,
		       cls_size(c) - sizeof(void *));
}

static bool poison_intact(struct bump_slab *bs, void *obj, unsigned int c)
{
	if (!poisoned(bs) || cls_size(c) <= sizeof(void *))
		return true;
	return !memchr_inv((u8 *)obj + sizeof(void *), POISON_FREE,
			   cls_size(c) - sizeof(void *));
}

static size_t heap_offset(struct bump_slab *bs, const void *p)
{
	return (unsigned long)p - (unsigned long)bs->heap;
}

/* Where a report locates @p: its offset in the heap or in its slab block. */
static noinline void report_locked(struct bump_slab *bs, const char *what,
				   const void *p, bool inside)
{
	size_t off = bs->arena ? (unsigned long)p & ~PAGE_MASK :
				 heap_offset(bs, p);

	lockdep_assert_held(&bs->lock);
	bs->invalid_frees++;
	ap_report_invalid(&bs->ap, what, inside, off);
}

/*
 * A free object whose poison or header changed while it was on a list:
 * report it and keep it out of use; it is given back only at destroy.
 */
static void quarantine_locked(struct bump_slab *bs, void *obj, unsigned int c)
{
	lockdep_assert_held(&bs->lock);
	*obj_hdr(obj) = hdr_word(c, BS_BAD);
	bs->cls[c].bad++;
	report_locked(bs, "free object modified", obj, true);
}

/* ---- heap mode ---- */

static void *bump_locked(struct bump_slab *bs, unsigned int c)
{
	size_t need = cls_size(c) + BS_HDR;
	u8 *hdr;

	lockdep_assert_held(&bs->lock);
	if (need > bs->heap_size - bs->bump)
		return NULL;
	hdr = bs->heap + bs->bump;
	__set_bit(bs->bump / BS_HDR, bs->starts);
	bs->bump += need;
	bs->cls[c].carved++;
	return hdr + BS_HDR;
}

/*
 * Heap mode, off the fast path: the list is empty, or objects must have
 * their poison checked before they are handed out.
 */
static noinline void *heap_refill_locked(struct bump_slab *bs, unsigned int c)
{
	struct bs_class *k = &bs->cls[c];
	void *obj;

	lockdep_assert_held(&bs->lock);
	while ((obj = k->head)) {
		k->head = *(void **)obj;
		if (*obj_hdr(obj) == hdr_word(c, BS_FREE) &&
		    poison_intact(bs, obj, c))
			return obj;
		quarantine_locked(bs, obj, c);
	}
	obj = bump_locked(bs, c);
	if (!obj)
		bs->failures++;
	return obj;
}

static __always_inline void *heap_alloc(struct bump_slab *bs, unsigned int c)
{
	struct bs_class *k = &bs->cls[c];
	unsigned long flags;
	void *obj;

	spin_lock_irqsave(&bs->lock, flags);
	obj = k->head;
	if (likely(obj && !poisoned(bs)))
		k->head = *(void **)obj;
	else
		obj = heap_refill_locked(bs, c);
	if (likely(obj)) {
		*obj_hdr(obj) = hdr_word(c, BS_LIVE);
		k->allocs++;
	}
	spin_unlock_irqrestore(&bs->lock, flags);
	return obj;
}

/*
 * Heap mode: is @ptr where an object starts?  Only the range, alignment and
 * the start bitmap are consulted, so nothing outside the heap is read.
 */
static bool heap_obj_locked(struct bump_slab *bs, const void *ptr)
{
	size_t off = heap_offset(bs, ptr) - BS_HDR;

	lockdep_assert_held(&bs->lock);
	return off < bs->heap_size && !(off & (BS_HDR - 1)) &&
	       test_bit(off / BS_HDR, bs->starts);
}

/*
 * Heap mode: does class @c end @ptr where the next object (or the bump
 * pointer) starts?  Catches a class byte overwritten with a valid one.
 */
static bool heap_end_ok_locked(struct bump_slab *bs, const void *ptr,
			       unsigned int c)
{
	size_t end = heap_offset(bs, ptr) + cls_size(c);

	lockdep_assert_held(&bs->lock);
	return end == bs->bump ||
	       (end < bs->bump && test_bit(end / BS_HDR, bs->starts));
}

/* Heap mode: say why @ptr is refused. */
static noinline void heap_reject_locked(struct bump_slab *bs, const void *ptr)
{
	u64 w;
	u8 c;

	lockdep_assert_held(&bs->lock);
	if (!heap_obj_locked(bs, ptr)) {
		report_locked(bs, "free of a pointer not allocated here", ptr,
			      heap_offset(bs, ptr) < bs->heap_size);
		return;
	}
	w = *obj_hdr((void *)ptr);
	c = hdr_cls(ptr);
	report_locked(bs, c < BUMP_SLAB_CLASSES && w == hdr_word(c, BS_FREE) ?
		      "double free" : "free with a bad header", ptr, true);
}

static __always_inline int heap_free(struct bump_slab *bs, void *ptr)
{
	u64 *hdr = obj_hdr(ptr);
	unsigned long flags;
	unsigned int c;
	u64 w;

	spin_lock_irqsave(&bs->lock, flags);
	if (unlikely(!heap_obj_locked(bs, ptr)))
		goto invalid;
	w = *hdr;
	c = hdr_cls(ptr);
	if (unlikely(c >= BUMP_SLAB_CLASSES || w != hdr_word(c, BS_LIVE) ||
		     !heap_end_ok_locked(bs, ptr, c)))
		goto invalid;
	if (unlikely(poisoned(bs)))
		poison_obj(bs, ptr, c);
	*(void **)ptr = bs->cls[c].head;
	/* Live to free: flip the marker bytes, keep the class byte. */
	*hdr = w ^ (hdr_word(0, BS_LIVE) ^ hdr_word(0, BS_FREE));
	bs->cls[c].head = ptr;
	bs->cls[c].frees++;
	spin_unlock_irqrestore(&bs->lock, flags);
	return 0;

invalid:
	heap_reject_locked(bs, ptr);
	spin_unlock_irqrestore(&bs->lock, flags);
	return -EINVAL;
}

/* ---- buddy mode ---- */

static void *slab_obj(struct bs_slab *slab, unsigned int i)
{
	return (u8 *)slab + BS_SLAB_HDR +
	       (size_t)i * (cls_size(slab->cls) + BS_HDR);
}

/*
 * Buddy mode: the slab holding @ptr, if @ptr is an object this pool carved.
 * The arena vouches for the page before it is read.
 */
static struct bs_slab *find_slab_locked(struct bump_slab *bs, const void *ptr)
{
	unsigned long addr = (unsigned long)ptr;
	struct bs_slab *slab = (struct bs_slab *)(addr & PAGE_MASK);
	size_t off = (addr & ~PAGE_MASK) - BS_SLAB_HDR;
	const struct bs_class *k;
	size_t block;
	u32 i;

	lockdep_assert_held(&bs->lock);
	if (off >= PAGE_SIZE || (off & (BS_HDR - 1)))
		return NULL;
	block = buddy_arena_block_size(bs->arena, slab);
	if (!block || slab->magic != BS_SLAB_MAGIC || slab->owner != bs ||
	    slab->block != block || slab->cls >= BUMP_SLAB_CLASSES)
		return NULL;
	k = &bs->cls[slab->cls];
	i = ((u64)off * k->recip) >> 32;
	if (i >= slab->carved ||
	    (size_t)i * (cls_size(slab->cls) + BS_HDR) != off)
		return NULL;
	return slab;
}

static struct bs_slab *new_slab(struct bump_slab *bs, unsigned int c,
				gfp_t gfp)
{
	struct bs_slab *slab;

	slab = buddy_arena_alloc(bs->arena, bs->cls[c].request, gfp);
	if (!slab)
		return NULL;
	memset(slab, 0, sizeof(*slab));
	slab->magic = BS_SLAB_MAGIC;
	slab->cls = c;
	slab->nr = bs->cls[c].per_slab;
	slab->owner = bs;
	slab->block = buddy_arena_block_size(bs->arena, slab);
	INIT_LIST_HEAD(&slab->node);
	return slab;
}

static void add_slab_locked(struct bump_slab *bs, struct bs_slab *slab)
{
	struct bs_class *k = &bs->cls[slab->cls];

	lockdep_assert_held(&bs->lock);
	list_add(&slab->node, &k->partial);
	k->slabs++;
	bs->slabs++;
	bs->slab_bytes += slab->block;
}

/* Give an entirely free slab back; the arena's lock nests inside ours. */
static void drop_slab_locked(struct bump_slab *bs, struct bs_slab *slab)
{
	struct bs_class *k = &bs->cls[slab->cls];

	lockdep_assert_held(&bs->lock);
	list_del(&slab->node);
	k->slabs--;
	k->carved -= slab->carved;
	k->bad -= slab->bad;
	bs->slabs--;
	bs->slab_bytes -= slab->block;
	slab->magic = 0;
	buddy_arena_free(bs->arena, slab);
}

/* Pop a free object of @slab, or carve its next one; NULL if it is full. */
static void *slab_pop_locked(struct bump_slab *bs, struct bs_slab *slab)
{
	struct bs_class *k = &bs->cls[slab->cls];
	unsigned int c = slab->cls;
	void *obj;

	lockdep_assert_held(&bs->lock);
	for (;;) {
		obj = slab->free;
		if (!obj) {
			if (slab->carved == slab->nr) {
				/* Its last free objects were quarantined. */
				list_move(&slab->node, &k->full);
				return NULL;
			}
			obj = slab_obj(slab, slab->carved++);
			k->carved++;
			break;
		}
		slab->free = *(void **)obj;
		if (!poisoned(bs))
			break;
		if (*obj_hdr(obj) == hdr_word(c, BS_FREE) &&
		    poison_intact(bs, obj, c))
			break;
		quarantine_locked(bs, obj, c);
		slab->inuse++;
		slab->bad++;
	}
	slab->inuse++;
	if (!slab->free && slab->carved == slab->nr)
		list_move(&slab->node, &k->full);
	return obj;
}

static noinline void *slab_alloc(struct bump_slab *bs, unsigned int c,
				 gfp_t gfp)
{
	struct bs_class *k = &bs->cls[c];
	struct bs_slab *slab, *fresh = NULL;
	unsigned long flags;
	void *obj = NULL;

	might_sleep_if(gfpflags_allow_blocking(gfp));
	spin_lock_irqsave(&bs->lock, flags);
	for (;;) {
		slab = list_first_entry_or_null(&k->partial, struct bs_slab,
						node);
		if (!slab && fresh) {
			add_slab_locked(bs, fresh);
			slab = fresh;
			fresh = NULL;
		}
		if (!slab) {
			/* The arena may sleep to grow: not under our lock. */
			spin_unlock_irqrestore(&bs->lock, flags);
			fresh = new_slab(bs, c, gfp);
			spin_lock_irqsave(&bs->lock, flags);
			if (!fresh)
				break;
			continue;
		}
		obj = slab_pop_locked(bs, slab);
		if (obj)
			break;
	}
	if (obj) {
		*obj_hdr(obj) = hdr_word(c, BS_LIVE);
		k->allocs++;
	} else {
		bs->failures++;
	}
	/* Another CPU filled the class while we were out: give it back. */
	if (fresh)
		buddy_arena_free(bs->arena, fresh);
	spin_unlock_irqrestore(&bs->lock, flags);
	return obj;
}

static noinline int slab_free(struct bump_slab *bs, void *ptr)
{
	struct bs_slab *slab;
	struct bs_class *k;
	unsigned long flags;
	unsigned int c;
	u64 *hdr = obj_hdr(ptr);

	spin_lock_irqsave(&bs->lock, flags);
	slab = find_slab_locked(bs, ptr);
	if (unlikely(!slab)) {
		report_locked(bs, "free of a pointer not allocated here", ptr,
			      false);
		goto invalid;
	}
	c = slab->cls;
	if (unlikely(*hdr != hdr_word(c, BS_LIVE))) {
		report_locked(bs, *hdr == hdr_word(c, BS_FREE) ?
			      "double free" : "free with a bad header", ptr, true);
		goto invalid;
	}
	k = &bs->cls[c];
	poison_obj(bs, ptr, c);
	*(void **)ptr = slab->free;
	*hdr = hdr_word(c, BS_FREE);
	if (!slab->free && slab->carved == slab->nr)
		list_move(&slab->node, &k->partial);
	slab->free = ptr;
	slab->inuse--;
	k->frees++;
	if (!slab->inuse)
		drop_slab_locked(bs, slab);
	spin_unlock_irqrestore(&bs->lock, flags);
	return 0;

invalid:
	spin_unlock_irqrestore(&bs->lock, flags);
	return -EINVAL;
}

/* ---- the public API ---- */

static noinline void *refuse_size(struct bump_slab *bs)
{
	unsigned long flags;

	spin_lock_irqsave(&bs->lock, flags);
	bs->failures++;
	spin_unlock_irqrestore(&bs->lock, flags);
	return NULL;
}

/**
 * bump_slab_alloc() - allocate from the smallest class that fits
 * @bs: the pool
 * @size: bytes wanted, 1 .. 16 MiB
 * @gfp: allocation flags, passed to the buddy arena when a new slab is
 *	needed (buddy mode); heap mode never sleeps
 *
 * The object is 8-byte aligned and holds the class size (the power of two
 * at least @size, 8 at the least), see bump_slab_size().
 *
 * Context: any context, including hard IRQ, with a gfp that does not block.
 * Return: the object, or NULL (counted as a failure) for a size of 0 or
 * over 16 MiB, or when the heap, or the arena, has no room.
 */
void *bump_slab_alloc(struct bump_slab *bs, size_t size, gfp_t gfp)
{
	unsigned int c;

	if (unlikely(size - 1 >= BUMP_SLAB_MAX_SIZE))
		return refuse_size(bs);
	c = size_to_cls(size);
	if (bs->arena)
		return slab_alloc(bs, c, gfp);
	return heap_alloc(bs, c);
}
EXPORT_SYMBOL_NS_GPL(bump_slab_alloc, ALLOCPOOLS_NS);

/**
 * bump_slab_free() - give an object back to its class
 * @bs: the pool that allocated it
 * @ptr: the object, or NULL
 *
 * A pointer this pool did not hand out, an interior pointer, a double free
 * or an object whose header was overwritten is refused: the pool is left
 * as it was, the refusal counted in invalid_frees and reported once
 * (ratelimited) with its offset.
 *
 * Context: any context, including hard IRQ.
 * Return: 0 (also for NULL), or -EINVAL for a refused free.
 */
int bump_slab_free(struct bump_slab *bs, void *ptr)
{
	if (!ptr)
		return 0;
	if (bs->arena)
		return slab_free(bs, ptr);
	return heap_free(bs, ptr);
}
EXPORT_SYMBOL_NS_GPL(bump_slab_free, ALLOCPOOLS_NS);

/**
 * bump_slab_size() - class size of an allocated object
 * @bs: the pool
 * @ptr: a pointer, which need not come from @bs
 *
 * Context: any context, including hard IRQ.
 * Return: the object's class size in bytes, or 0 if @ptr is not an object
 * of @bs that is allocated now.
 */
size_t bump_slab_size(struct bump_slab *bs, const void *ptr)
{
	unsigned long flags;
	unsigned int c;
	size_t ret = 0;

	if (!ptr)
		return 0;
	spin_lock_irqsave(&bs->lock, flags);
	if (bs->arena) {
		struct bs_slab *slab = find_slab_locked(bs, ptr);

		if (!slab)
			goto out;
		c = slab->cls;
	} else {
		if (!heap_obj_locked(bs, ptr))
			goto out;
		c = hdr_cls(ptr);
		if (c >= BUMP_SLAB_CLASSES || !heap_end_ok_locked(bs, ptr, c))
			goto out;
	}
	if (*obj_hdr((void *)ptr) == hdr_word(c, BS_LIVE))
		ret = cls_size(c);
out:
	spin_unlock_irqrestore(&bs->lock, flags);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(bump_slab_size, ALLOCPOOLS_NS);

static void stats_locked(struct bump_slab *bs, struct bump_slab_stats *st)
{
	unsigned int c;

	lockdep_assert_held(&bs->lock);
	st->heap_size = bs->heap_size;
	st->bump_offset = bs->bump;
	st->slabs = bs->slabs;
	st->failures = bs->failures;
	st->invalid_frees = bs->invalid_frees;
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		const struct bs_class *k = &bs->cls[c];
		unsigned long live = k->allocs - k->frees;

		st->classes[c].size = cls_size(c);
		st->classes[c].live = live;
		st->classes[c].free_listed = k->carved - live - k->bad;
		st->classes[c].slabs = k->slabs;
		st->classes[c].allocs = k->allocs;
		st->classes[c].frees = k->frees;
	}
}

/**
 * bump_slab_stats() - snapshot a pool's counters
 * @bs: the pool
 * @st: filled with the counters, consistent with each other
 *
 * free_listed counts the free objects a class holds (in slabs it holds, in
 * buddy mode), objects found modified and kept out of use excepted.
 *
 * Context: any context, including hard IRQ.
 */
void bump_slab_stats(struct bump_slab *bs, struct bump_slab_stats *st)
{
	unsigned long flags;

	memset(st, 0, sizeof(*st));
	spin_lock_irqsave(&bs->lock, flags);
	stats_locked(bs, st);
	spin_unlock_irqrestore(&bs->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(bump_slab_stats, ALLOCPOOLS_NS);

/* ---- debugfs ---- */

static struct bump_slab *to_bs(struct ap_pool *pool)
{
	return container_of(pool, struct bump_slab, ap);
}

/*
 * size: the heap, or the slab blocks held; used: the class sizes of the
 * live objects (headers excluded); free: the rest.
 */
static void bs_row(struct ap_pool *pool, struct ap_row *row)
{
	struct bump_slab *bs = to_bs(pool);
	unsigned long flags;
	unsigned int c;

	spin_lock_irqsave(&bs->lock, flags);
	row->size = bs->arena ? bs->slab_bytes : bs->heap_size;
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		row->used += (bs->cls[c].allocs - bs->cls[c].frees) *
			     cls_size(c);
		row->allocs += bs->cls[c].allocs;
		row->frees += bs->cls[c].frees;
	}
	row->failures = bs->failures;
	row->invalid_frees = bs->invalid_frees;
	spin_unlock_irqrestore(&bs->lock, flags);
	row->free = row->size - row->used;
}

static int bs_stats_show(struct seq_file *m, struct ap_pool *pool)
{
	struct bump_slab_stats *st = kmalloc(sizeof(*st), GFP_KERNEL);
	u64 allocs = 0, frees = 0;
	unsigned int c;

	if (!st)
		return -ENOMEM;
	bump_slab_stats(to_bs(pool), st);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		allocs += st->classes[c].allocs;
		frees += st->classes[c].frees;
	}
	seq_printf(m, "heap_size: %zu\n", st->heap_size);
	seq_printf(m, "bump_offset: %zu\n", st->bump_offset);
	seq_printf(m, "slabs: %lu\n", st->slabs);
	seq_printf(m, "allocs: %llu\n", allocs);
	seq_printf(m, "frees: %llu\n", frees);
	seq_printf(m, "failures: %llu\n", st->failures);
	seq_printf(m, "invalid_frees: %llu\n", st->invalid_frees);
	kfree(st);
	return 0;
}

static int bs_classes_show(struct seq_file *m, struct ap_pool *pool)
{
	struct bump_slab_stats *st = kmalloc(sizeof(*st), GFP_KERNEL);
	unsigned int c;

	if (!st)
		return -ENOMEM;
	bump_slab_stats(to_bs(pool), st);
	seq_printf(m, "%5s %10s %10s %11s %10s %12s %12s\n", "class", "size",
		   "live", "free_listed", "slabs", "allocs", "frees");
	for (c = 0; c < BUMP_SLAB_CLASSES; c++)
		seq_printf(m, "%5u %10zu %10lu %11lu %10lu %12llu %12llu\n", c,
			   st->classes[c].size, st->classes[c].live,
			   st->classes[c].free_listed, st->classes[c].slabs,
			   st->classes[c].allocs, st->classes[c].frees);
	kfree(st);
	return 0;
}

static const struct ap_file bs_files[] = {
	{ .name = "stats", .show = bs_stats_show },
	{ .name = "classes", .show = bs_classes_show },
};

static const struct ap_kind bs_kind = {
	.name = "bump_slab",
	.row = bs_row,
	.files = bs_files,
	.nr_files = ARRAY_SIZE(bs_files),
};

/* ---- create / destroy ---- */

static struct bump_slab *alloc_pool(const char *name, unsigned int flags)
{
	struct bump_slab *bs;
	unsigned int c;

	if (!ap_name_valid(name) || (flags & ~BS_FLAGS))
		return ERR_PTR(-EINVAL);
	bs = kzalloc(sizeof(*bs), GFP_KERNEL);
	if (!bs)
		return ERR_PTR(-ENOMEM);
	bs->flags = flags;
	spin_lock_init(&bs->lock);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		INIT_LIST_HEAD(&bs->cls[c].partial);
		INIT_LIST_HEAD(&bs->cls[c].full);
	}
	return bs;
}

/**
 * bump_slab_create() - create a pool over one vmalloc'd heap
 * @name: the pool's name, 1..31 characters of [A-Za-z0-9_.-]
 * @heap_size: bytes of heap; each object takes its class size plus an
 *	8-byte header from it, and the heap does not grow
 * @flags: 0 or BUMP_SLAB_POISON
 *
 * Context: process context; may sleep.
 * Return: the pool, or ERR_PTR(-EINVAL) for a bad name, an unknown flag or
 * a @heap_size of 0, ERR_PTR(-EEXIST) if a bump_slab pool has @name
 * already, ERR_PTR(-ENOMEM).
 */
struct bump_slab *bump_slab_create(const char *name, size_t heap_size,
				   unsigned int flags)
{
	struct bump_slab *bs;
	int ret;

	might_sleep();
	if (!heap_size)
		return ERR_PTR(-EINVAL);
	bs = alloc_pool(name, flags);
	if (IS_ERR(bs))
		return bs;
	ret = -ENOMEM;
	bs->heap_size = heap_size;
	bs->heap = vmalloc(heap_size);
	if (!bs->heap)
		goto free_pool;
	bs->starts = vzalloc(BITS_TO_LONGS(heap_size / BS_HDR) *
			     sizeof(unsigned long));
	if (!bs->starts)
		goto free_heap;
	ret = ap_pool_register(&bs->ap, &bs_kind, name);
	if (ret)
		goto free_starts;
	return bs;

free_starts:
	vfree(bs->starts);
free_heap:
	vfree(bs->heap);
free_pool:
	kfree(bs);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(bump_slab_create, ALLOCPOOLS_NS);

/* Buddy mode: how many objects a class puts in a slab, and the slab size. */
static void size_classes(struct bump_slab *bs, unsigned int min_order)
{
	unsigned int c;

	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		struct bs_class *k = &bs->cls[c];
		size_t stride = cls_size(c) + BS_HDR;
		size_t n = 0;

		if (min_order <= PAGE_SHIFT &&
		    BS_SLAB_HDR + cls_size(c) <= PAGE_SIZE)
			n = (PAGE_SIZE - BS_SLAB_HDR - cls_size(c)) / stride + 1;
		if (n >= 2) {
			k->per_slab = n;
			k->request = PAGE_SIZE;
		} else {
			k->per_slab = 1;
			k->request = BS_SLAB_HDR + cls_size(c);
		}
		k->recip = DIV_ROUND_UP(1ULL << 32, stride);
	}
}

/**
 * bump_slab_create_on() - create a pool whose classes take slabs from a
 *	buddy arena
 * @name: the pool's name, 1..31 characters of [A-Za-z0-9_.-]
 * @backing: the arena; it must outlive the pool
 * @flags: 0 or BUMP_SLAB_POISON
 *
 * Classes of up to 1 KiB carve page-sized slabs; larger classes take one
 * buddy block per object (the power of two at least 64 bytes more than the
 * class size).  A slab whose objects are all free goes back to the arena.
 *
 * Context: process context; may sleep.
 * Return: the pool, or ERR_PTR(-EINVAL) for a bad name, an unknown flag or
 * a NULL @backing, ERR_PTR(-EEXIST) if a bump_slab pool has @name already,
 * ERR_PTR(-ENOMEM).
 */
struct bump_slab *bump_slab_create_on(const char *name,
				      struct buddy_arena *backing,
				      unsigned int flags)
{
	struct buddy_arena_stats *st;
	struct bump_slab *bs;
	int ret;

	might_sleep();
	if (IS_ERR_OR_NULL(backing))
		return ERR_PTR(-EINVAL);
	bs = alloc_pool(name, flags);
	if (IS_ERR(bs))
		return bs;
	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st) {
		ret = -ENOMEM;
		goto free_pool;
	}
	buddy_arena_stats(backing, st);
	size_classes(bs, st->min_order);
	kfree(st);
	bs->arena = backing;
	ret = ap_pool_register(&bs->ap, &bs_kind, name);
	if (ret)
		goto free_pool;
	return bs;

free_pool:
	kfree(bs);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(bump_slab_create_on, ALLOCPOOLS_NS);

static void free_slabs(struct bump_slab *bs, struct list_head *list)
{
	struct bs_slab *slab, *next;

	list_for_each_entry_safe(slab, next, list, node)
		drop_slab_locked(bs, slab);
}

/**
 * bump_slab_destroy() - free a pool and everything allocated from it
 * @bs: the pool; NULL and ERR_PTR values are ignored
 *
 * Objects still allocated are freed with it, after one warning that says
 * how many there were.  In buddy mode every slab goes back to the arena.
 *
 * Context: process context; may sleep.  Nothing may use @bs concurrently.
 */
void bump_slab_destroy(struct bump_slab *bs)
{
	unsigned long live = 0, flags;
	unsigned int c;

	might_sleep();
	if (IS_ERR_OR_NULL(bs))
		return;
	ap_pool_unregister(&bs->ap);
	spin_lock_irqsave(&bs->lock, flags);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		live += bs->cls[c].allocs - bs->cls[c].frees;
		if (bs->arena) {
			free_slabs(bs, &bs->cls[c].partial);
			free_slabs(bs, &bs->cls[c].full);
		}
	}
	spin_unlock_irqrestore(&bs->lock, flags);
	if (live)
		ap_warn_live(&bs->ap, live);
	vfree(bs->starts);
	vfree(bs->heap);
	kfree(bs);
}
EXPORT_SYMBOL_NS_GPL(bump_slab_destroy, ALLOCPOOLS_NS);

/* ---- invariants, for the tests ---- */

static bool heap_check_locked(struct bump_slab *bs, unsigned long *seen)
{
	size_t off = 0;
	unsigned int c;

	lockdep_assert_held(&bs->lock);
	while (off < bs->bump) {
		u64 w = *(u64 *)(bs->heap + off);

		c = bs->heap[off];
		if (!test_bit(off / BS_HDR, bs->starts) ||
		    c >= BUMP_SLAB_CLASSES ||
		    (w != hdr_word(c, BS_LIVE) && w != hdr_word(c, BS_FREE) &&
		     w != hdr_word(c, BS_BAD)))
			return false;
		seen[c]++;
		off += BS_HDR + cls_size(c);
	}
	if (off != bs->bump ||
	    find_next_bit(bs->starts, bs->heap_size / BS_HDR,
			  bs->bump / BS_HDR) < bs->heap_size / BS_HDR)
		return false;
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		struct bs_class *k = &bs->cls[c];
		unsigned long n = 0, limit = k->carved;
		void *obj;

		if (seen[c] != k->carved)
			return false;
		for (obj = k->head; obj; obj = *(void **)obj) {
			if (n++ >= limit || !heap_obj_locked(bs, obj) ||
			    *obj_hdr(obj) != hdr_word(c, BS_FREE))
				return false;
		}
		if (n != k->carved - (k->allocs - k->frees) - k->bad)
			return false;
	}
	return true;
}

static bool slab_check_locked(struct bump_slab *bs, struct bs_slab *slab,
			      unsigned int c, bool full)
{
	unsigned int i, live = 0, free = 0, bad = 0;
	void *obj;

	lockdep_assert_held(&bs->lock);
	if (slab->magic != BS_SLAB_MAGIC || slab->owner != bs ||
	    slab->cls != c || slab->nr != bs->cls[c].per_slab ||
	    slab->carved > slab->nr || !slab->inuse ||
	    buddy_arena_block_size(bs->arena, slab) != slab->block)
		return false;
	for (i = 0; i < slab->carved; i++) {
		u64 w = *obj_hdr(slab_obj(slab, i));

		if (w == hdr_word(c, BS_LIVE))
			live++;
		else if (w == hdr_word(c, BS_FREE))
			free++;
		else if (w == hdr_word(c, BS_BAD))
			bad++;
		else
			return false;
	}
	if (live + bad != slab->inuse || bad != slab->bad)
		return false;
	for (i = 0, obj = slab->free; obj; obj = *(void **)obj, i++) {
		if (i >= free || find_slab_locked(bs, obj) != slab ||
		    *obj_hdr(obj) != hdr_word(c, BS_FREE))
			return false;
	}
	if (i != free)
		return false;
	return full == (!slab->free && slab->carved == slab->nr);
}

static bool arena_check_locked(struct bump_slab *bs)
{
	unsigned long slabs = 0;
	size_t bytes = 0;
	unsigned int c;

	lockdep_assert_held(&bs->lock);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		struct bs_class *k = &bs->cls[c];
		unsigned long n = 0, carved = 0, bad = 0, inuse = 0;
		struct bs_slab *slab;
		int full;

		for (full = 0; full < 2; full++) {
			list_for_each_entry(slab, full ? &k->full : &k->partial,
					    node) {
				if (!slab_check_locked(bs, slab, c, full))
					return false;
				n++;
				carved += slab->carved;
				bad += slab->bad;
				inuse += slab->inuse;
				bytes += slab->block;
			}
		}
		if (n != k->slabs || carved != k->carved || bad != k->bad ||
		    inuse != k->allocs - k->frees + k->bad)
			return false;
		slabs += n;
	}
	return slabs == bs->slabs && bytes == bs->slab_bytes;
}

/*
 * Walk the whole pool and check every counter against what is there.
 * Slow (it visits every object); for the tests.  Poison is not checked
 * here: a caller's write to a free object is found when it is reused.
 */
static bool __maybe_unused bump_slab_check(struct bump_slab *bs)
{
	unsigned long seen[BUMP_SLAB_CLASSES] = { 0 };
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&bs->lock, flags);
	ok = bs->arena ? arena_check_locked(bs) : heap_check_locked(bs, seen);
	spin_unlock_irqrestore(&bs->lock, flags);
	return ok;
}

#if IS_ENABLED(CONFIG_ALLOCPOOLS_KUNIT_TEST)
#include "kunit/bump_slab_test.c"
#endif
