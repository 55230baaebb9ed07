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
 * Heap mode (bump_slab_create): one vmalloc'd heap.  A class whose free
 * objects are all gone takes header + class size from the bump pointer; a
 * free pushes the object on a LIFO list and an allocation pops the most
 * recently freed one.  Objects never change class.  A side map with one
 * byte per 16 bytes of heap says where headers start and of what class
 * (two headers are at least 16 bytes apart), so a foreign, interior or
 * misaligned pointer, or a class byte overwritten with another valid one,
 * is refused without trusting anything the caller could write.
 *
 *   heap: [hdr|obj 8][hdr|obj 32     ][hdr|obj 8][hdr|obj 1024 ...]   free
 *         0                                                  bump ^    end
 *   map:  one byte per 16 heap bytes: 0, or (class + 1) * 2 + bit 3 of the
 *         header's offset, for the one header that starts in those 16 bytes
 *
 * The free objects of a class sit on per-CPU caches (each a LIFO list of at
 * most BS_CACHE_MAX objects) in front of the class's pool-wide list.  A free
 * pushes on this CPU's cache and a full cache moves to the front of the
 * pool list; an allocation pops from this CPU's cache, and an empty cache
 * takes a batch from the pool list or, if that is empty too, from another
 * CPU's cache before anything is bumped.  So on one CPU the caches and the
 * pool list together are exactly the LIFO stack of the design, and nothing
 * is bumped while a free object of the class is anywhere in the pool.
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
 * Locking: the pool lock, taken with irqsave, guards everything in struct
 * bump_slab after it.  In buddy mode it is dropped around
 * buddy_arena_alloc() (which may sleep) and the state re-checked after;
 * buddy_arena_block_size() and buddy_arena_free() never sleep and are called
 * under it, so the arena's lock nests inside ours and never the other way
 * round.  In heap mode each CPU's cache has its own lock, taken with irqsave
 * on the fast paths and then alone.  Whoever needs the pool lock and a cache
 * lock takes the pool lock first; a second cache lock (a steal, a stats
 * snapshot) is only taken with the pool lock held, which orders them (and
 * is named to lockdep as their nest lock).  A free of a heap object takes
 * no lock to validate it: the heap, its size and the map entry of a live
 * object do not change, and the header goes from live to free with one
 * cmpxchg, so of two racing frees of one object exactly one wins and the
 * other is refused as a double free.
 */

#include <asm/byteorder.h>
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cache.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/poison.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
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
/* A live header read as a little-endian number, less its class byte. */
#define BS_LIVE_NUM	0xffffffffffffff00ULL

#define BS_CACHE_MAX	64	/* heap mode: most objects a CPU caches per class */
#define BS_BATCH	32	/* objects a cache takes from the pool list */

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
 * Per-class state.  live = allocs - frees (here and in the per-CPU caches);
 * carved counts the objects the class has made (heap: from the bump
 * pointer; buddy: in slabs it holds); bad the free objects found modified
 * and kept out of use.
 */
struct bs_class {
	void *head;			/* heap: the pool list, behind the caches */
	u64 allocs, frees;		/* buddy mode */
	unsigned long carved, bad, slabs;
	struct list_head partial;	/* buddy: slabs with a free object */
	struct list_head full;		/* buddy: slabs without one */
	size_t request;			/* buddy: bytes asked of the arena */
	u32 recip;			/* buddy: 2^32 / stride, rounded up */
	u16 per_slab;			/* buddy: objects per slab */
};

/*
 * Heap mode: one CPU's cache of one class.  @head links the free objects,
 * most recently freed first, through their first word; past BS_CACHE_MAX
 * of them they all go to the pool list.  @allocs and @frees count what
 * this CPU did, for the stats.
 */
struct bs_cache {
	void *head;
	unsigned long count;
	u64 allocs, frees;
};

/* Heap mode: one CPU's caches; @lock guards them. */
struct bs_pcpu {
	spinlock_t lock;	/* guards @cache */
	struct bs_cache cache[BUMP_SLAB_CLASSES];
};

/**
 * struct bump_slab - a size-class pool
 * @ap: the core's part (name, debugfs)
 * @arena: the backing buddy arena, NULL in heap mode
 * @heap: heap mode: the vmalloc'd heap
 * @map: heap mode: one byte per 16 heap bytes, see map_code()
 * @units: heap mode: 8-byte units of @heap
 * @pcpu: heap mode: the per-CPU caches
 * @slow: buddy mode or poisoning: off the heap fast paths
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
	u8 *map;
	size_t units;
	struct bs_pcpu __percpu *pcpu;
	bool slow;
	size_t heap_size;
	unsigned int flags;

	/* Guards the fields below; off the line the fast paths read. */
	spinlock_t lock ____cacheline_aligned_in_smp;
	size_t bump;
	unsigned long slabs;
	size_t slab_bytes;
	u64 failures;
	u64 invalid_frees;
	struct bs_class cls[BUMP_SLAB_CLASSES];
};

static_assert(sizeof(struct bs_slab) <= BS_SLAB_HDR - BS_HDR);
/* A refill leaves room in the cache before it must flush. */
static_assert(BS_BATCH < BS_CACHE_MAX);

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

/*
 * The map byte of a header of class @c (< BUMP_SLAB_CLASSES) at 8-byte
 * unit @unit of the heap; never 0.
 */
static __always_inline u64 map_code(u64 c, u64 unit)
{
	return ((c + 1) << 1) | (unit & 1);
}

/*
 * The 8-byte unit where @ptr's header starts: at or past bs->units if
 * @ptr is outside the heap or misaligned (the rotation puts the low bits
 * of a misaligned offset at the top).
 */
static __always_inline u64 hdr_unit(struct bump_slab *bs, const void *ptr)
{
	return ror64((unsigned long)obj_hdr((void *)ptr) -
		     (unsigned long)bs->heap, 3);
}

/* The class of the live header @w; any other number if @w is none. */
static __always_inline u64 live_cls(u64 w)
{
	return le64_to_cpu((__force __le64)w) ^ BS_LIVE_NUM;
}

static void *bump_locked(struct bump_slab *bs, unsigned int c)
{
	size_t need = cls_size(c) + BS_HDR;
	size_t unit = bs->bump / BS_HDR;

	lockdep_assert_held(&bs->lock);
	if (need > bs->heap_size - bs->bump)
		return NULL;
	/* Read without the lock by frees of objects handed out after this. */
	WRITE_ONCE(bs->map[unit >> 1], map_code(c, unit));
	bs->bump += need;
	bs->cls[c].carved++;
	return bs->heap + unit * BS_HDR + BS_HDR;
}

/*
 * Move up to @n objects from the front of the list *@from to the front of
 * *@to, in their order; return how many moved.
 */
static unsigned int move_objs(void **from, void **to, unsigned int n)
{
	void *first = *from, *last = first;
	unsigned int i;

	if (!first)
		return 0;
	for (i = 1; i < n && *(void **)last; i++)
		last = *(void **)last;
	*from = *(void **)last;
	*(void **)last = *to;
	*to = first;
	return i;
}

/*
 * The empty cache of class @c in @pc takes a batch from the pool list or,
 * if that is empty, the newer half of another CPU's cache, so an object
 * freed anywhere is reused before the heap is bumped.  Returns whether it
 * got any.
 */
static noinline bool refill_locked(struct bump_slab *bs, struct bs_pcpu *pc,
				   unsigned int c)
{
	struct bs_cache *k = &pc->cache[c];
	unsigned int n;
	int cpu;

	lockdep_assert_held(&bs->lock);
	lockdep_assert_held(&pc->lock);
	k->count += move_objs(&bs->cls[c].head, &k->head, BS_BATCH);
	if (k->head)
		return true;
	for_each_possible_cpu(cpu) {
		struct bs_pcpu *other = per_cpu_ptr(bs->pcpu, cpu);
		struct bs_cache *o = &other->cache[c];

		/* A peek; an object freed there meanwhile may wait. */
		if (other == pc || !data_race(READ_ONCE(o->head)))
			continue;
		spin_lock_nest_lock(&other->lock, &bs->lock);
		n = move_objs(&o->head, &k->head, DIV_ROUND_UP(o->count, 2));
		o->count -= n;
		k->count += n;
		spin_unlock(&other->lock);
		if (n)
			return true;
	}
	return false;
}

/*
 * Heap mode, off the fast path: this CPU's cache is empty, or objects must
 * have their header and poison checked before they are handed out.
 */
static noinline void *heap_alloc_slow(struct bump_slab *bs, unsigned int c)
{
	struct bs_pcpu *pc;
	struct bs_cache *k;
	unsigned long flags;
	void *obj;

	spin_lock_irqsave(&bs->lock, flags);
	pc = raw_cpu_ptr(bs->pcpu);
	/* A steal may take a second cache lock: see refill_locked(). */
	spin_lock_nest_lock(&pc->lock, &bs->lock);
	k = &pc->cache[c];
	for (;;) {
		obj = k->head;
		if (!obj) {
			if (refill_locked(bs, pc, c))
				continue;
			obj = bump_locked(bs, c);
			break;
		}
		k->head = *(void **)obj;
		k->count--;
		if (!poisoned(bs) ||
		    (*obj_hdr(obj) == hdr_word(c, BS_FREE) &&
		     poison_intact(bs, obj, c)))
			break;
		quarantine_locked(bs, obj, c);
	}
	if (obj) {
		WRITE_ONCE(*obj_hdr(obj), hdr_word(c, BS_LIVE));
		k->allocs++;
	} else {
		bs->failures++;
	}
	spin_unlock(&pc->lock);
	spin_unlock_irqrestore(&bs->lock, flags);
	return obj;
}

/* Heap mode: pop this CPU's most recently freed object of class @c. */
static __always_inline void *heap_alloc(struct bump_slab *bs, unsigned long c)
{
	struct bs_pcpu *pc = raw_cpu_ptr(bs->pcpu);
	struct bs_cache *k;
	unsigned long flags;
	void *obj;

	spin_lock_irqsave(&pc->lock, flags);
	k = &pc->cache[c];
	obj = k->head;
	if (unlikely(!obj)) {
		spin_unlock_irqrestore(&pc->lock, flags);
		return heap_alloc_slow(bs, c);
	}
	k->head = *(void **)obj;
	k->count--;
	k->allocs++;
	WRITE_ONCE(*obj_hdr(obj), hdr_word(c, BS_LIVE));
	spin_unlock_irqrestore(&pc->lock, flags);
	return obj;
}

/*
 * The cache of class @c in @pc went over its limit: all of it goes to the
 * front of the pool list, in order, so the pool list stays the rest of
 * the LIFO stack, and the next allocation here takes the newest back.
 */
static noinline void heap_flush(struct bump_slab *bs, struct bs_pcpu *pc,
				unsigned int c)
{
	struct bs_cache *k = &pc->cache[c];
	unsigned long flags;

	spin_lock_irqsave(&bs->lock, flags);
	spin_lock(&pc->lock);
	if (k->count > BS_CACHE_MAX)
		k->count -= move_objs(&k->head, &bs->cls[c].head, UINT_MAX);
	spin_unlock(&pc->lock);
	spin_unlock_irqrestore(&bs->lock, flags);
}

/* Heap mode: refuse @ptr and say why. */
static noinline int heap_reject(struct bump_slab *bs, const void *ptr)
{
	u64 unit = hdr_unit(bs, ptr);
	const char *what = "free of a pointer not allocated here";
	unsigned long flags;
	u8 m = 0;

	if (unit < bs->units)
		m = READ_ONCE(bs->map[unit >> 1]);
	if (m && (m & 1) == (unit & 1))
		what = READ_ONCE(*obj_hdr((void *)ptr)) ==
		       hdr_word((m >> 1) - 1, BS_FREE) ?
		       "double free" : "free with a bad header";
	spin_lock_irqsave(&bs->lock, flags);
	report_locked(bs, what, ptr, heap_offset(bs, ptr) < bs->heap_size);
	spin_unlock_irqrestore(&bs->lock, flags);
	return -EINVAL;
}

/*
 * Heap mode.  No lock is needed to validate @ptr: the heap's place and
 * size and the map entry of an object never change, and only the cmpxchg
 * decides between two frees of one object.
 */
static __always_inline int heap_free(struct bump_slab *bs, void *ptr,
				     bool poison)
{
	u64 unit = hdr_unit(bs, ptr);
	u64 *hdr = obj_hdr(ptr);
	struct bs_pcpu *pc;
	struct bs_cache *k;
	unsigned long flags;
	u64 w, c;
	u8 m;

	if (unlikely(unit >= bs->units))
		goto invalid;
	w = READ_ONCE(*hdr);
	c = live_cls(w);
	/* Written before the object was handed out, or a bad free. */
	m = data_race(bs->map[unit >> 1]);
	if (unlikely(c >= BUMP_SLAB_CLASSES || map_code(c, unit) != m))
		goto invalid;
	/* Live to free: flip the marker bytes, keep the class byte. */
	if (unlikely(!try_cmpxchg64(hdr, &w, w ^ (hdr_word(0, BS_LIVE) ^
						  hdr_word(0, BS_FREE)))))
		goto invalid;
	if (poison)
		poison_obj(bs, ptr, c);
	pc = raw_cpu_ptr(bs->pcpu);
	spin_lock_irqsave(&pc->lock, flags);
	k = &pc->cache[c];
	*(void **)ptr = k->head;
	k->head = ptr;
	k->frees++;
	if (unlikely(++k->count > BS_CACHE_MAX)) {
		spin_unlock_irqrestore(&pc->lock, flags);
		heap_flush(bs, pc, c);
		return 0;
	}
	spin_unlock_irqrestore(&pc->lock, flags);
	return 0;

invalid:
	return heap_reject(bs, ptr);
}

/*
 * Heap mode: take every CPU's cache lock, the pool lock held, for a view
 * of all the caches at once; the pool lock orders them.
 */
static void lock_caches(struct bump_slab *bs)
{
	int cpu;

	lockdep_assert_held(&bs->lock);
	if (!bs->pcpu)
		return;
	for_each_possible_cpu(cpu)
		spin_lock_nest_lock(&per_cpu_ptr(bs->pcpu, cpu)->lock,
				    &bs->lock);
}

static void unlock_caches(struct bump_slab *bs)
{
	int cpu;

	if (!bs->pcpu)
		return;
	for_each_possible_cpu(cpu)
		spin_unlock(&per_cpu_ptr(bs->pcpu, cpu)->lock);
}

/* Allocations and frees of class @c, the caches' included. */
static void cls_counts_locked(struct bump_slab *bs, unsigned int c,
			      u64 *allocs, u64 *frees)
{
	int cpu;

	lockdep_assert_held(&bs->lock);
	*allocs = bs->cls[c].allocs;
	*frees = bs->cls[c].frees;
	if (!bs->pcpu)
		return;
	for_each_possible_cpu(cpu) {
		const struct bs_cache *k = &per_cpu_ptr(bs->pcpu, cpu)->cache[c];

		*allocs += k->allocs;
		*frees += k->frees;
	}
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

static void *slab_alloc(struct bump_slab *bs, unsigned int c, gfp_t gfp)
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

static int slab_free(struct bump_slab *bs, void *ptr)
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

/* Buddy mode, or a heap whose objects are poisoned. */
static noinline void *alloc_slow(struct bump_slab *bs, unsigned int c,
				 gfp_t gfp)
{
	if (bs->arena)
		return slab_alloc(bs, c, gfp);
	return heap_alloc_slow(bs, c);
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
	unsigned long c;

	if (unlikely(size - 1 >= BUMP_SLAB_MAX_SIZE))
		return refuse_size(bs);
	c = size_to_cls(size);
	if (unlikely(bs->slow))
		return alloc_slow(bs, c, gfp);
	return heap_alloc(bs, c);
}
EXPORT_SYMBOL_NS_GPL(bump_slab_alloc, ALLOCPOOLS_NS);

static noinline int free_slow(struct bump_slab *bs, void *ptr)
{
	if (bs->arena)
		return slab_free(bs, ptr);
	return heap_free(bs, ptr, true);
}

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
	if (unlikely(bs->slow))
		return free_slow(bs, ptr);
	return heap_free(bs, ptr, false);
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
	struct bs_slab *slab;
	unsigned long flags;
	size_t ret = 0;
	u64 unit, c;

	if (!ptr)
		return 0;
	if (!bs->arena) {
		/* As heap_free() checks it, without a lock. */
		unit = hdr_unit(bs, ptr);
		if (unit >= bs->units)
			return 0;
		c = live_cls(READ_ONCE(*obj_hdr((void *)ptr)));
		if (c >= BUMP_SLAB_CLASSES ||
		    map_code(c, unit) != READ_ONCE(bs->map[unit >> 1]))
			return 0;
		return cls_size(c);
	}
	spin_lock_irqsave(&bs->lock, flags);
	slab = find_slab_locked(bs, ptr);
	if (slab && *obj_hdr((void *)ptr) == hdr_word(slab->cls, BS_LIVE))
		ret = cls_size(slab->cls);
	spin_unlock_irqrestore(&bs->lock, flags);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(bump_slab_size, ALLOCPOOLS_NS);

/* The pool lock and the cache locks held. */
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
		unsigned long live;
		u64 allocs, frees;

		cls_counts_locked(bs, c, &allocs, &frees);
		live = allocs - frees;
		st->classes[c].size = cls_size(c);
		st->classes[c].live = live;
		st->classes[c].free_listed = k->carved - live - k->bad;
		st->classes[c].slabs = k->slabs;
		st->classes[c].allocs = allocs;
		st->classes[c].frees = frees;
	}
}

/**
 * bump_slab_stats() - snapshot a pool's counters
 * @bs: the pool
 * @st: filled with the counters, consistent with each other
 *
 * free_listed counts the free objects a class holds (in slabs it holds, in
 * buddy mode; on every CPU's cache too, in heap mode), objects found
 * modified and kept out of use excepted.
 *
 * Context: any context, including hard IRQ.
 */
void bump_slab_stats(struct bump_slab *bs, struct bump_slab_stats *st)
{
	unsigned long flags;

	memset(st, 0, sizeof(*st));
	spin_lock_irqsave(&bs->lock, flags);
	lock_caches(bs);
	stats_locked(bs, st);
	unlock_caches(bs);
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
	u64 allocs, frees;
	unsigned int c;

	spin_lock_irqsave(&bs->lock, flags);
	lock_caches(bs);
	row->size = bs->arena ? bs->slab_bytes : bs->heap_size;
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		cls_counts_locked(bs, c, &allocs, &frees);
		row->used += (allocs - frees) * cls_size(c);
		row->allocs += allocs;
		row->frees += frees;
	}
	row->failures = bs->failures;
	row->invalid_frees = bs->invalid_frees;
	unlock_caches(bs);
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
	bs->slow = poisoned(bs);
	spin_lock_init(&bs->lock);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		INIT_LIST_HEAD(&bs->cls[c].partial);
		INIT_LIST_HEAD(&bs->cls[c].full);
	}
	return bs;
}

static void init_caches(struct bump_slab *bs)
{
	int cpu;

	for_each_possible_cpu(cpu)
		spin_lock_init(&per_cpu_ptr(bs->pcpu, cpu)->lock);
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
	bs->units = heap_size / BS_HDR;
	bs->map = vzalloc(DIV_ROUND_UP(heap_size, 2 * BS_HDR));
	if (!bs->map)
		goto free_heap;
	bs->pcpu = alloc_percpu(struct bs_pcpu);
	if (!bs->pcpu)
		goto free_map;
	init_caches(bs);
	ret = ap_pool_register(&bs->ap, &bs_kind, name);
	if (ret)
		goto free_caches;
	return bs;

free_caches:
	free_percpu(bs->pcpu);
free_map:
	vfree(bs->map);
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
	bs->slow = true;
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
	u64 allocs, frees;
	unsigned int c;

	might_sleep();
	if (IS_ERR_OR_NULL(bs))
		return;
	ap_pool_unregister(&bs->ap);
	spin_lock_irqsave(&bs->lock, flags);
	lock_caches(bs);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		cls_counts_locked(bs, c, &allocs, &frees);
		live += allocs - frees;
		if (bs->arena) {
			free_slabs(bs, &bs->cls[c].partial);
			free_slabs(bs, &bs->cls[c].full);
		}
	}
	unlock_caches(bs);
	spin_unlock_irqrestore(&bs->lock, flags);
	if (live)
		ap_warn_live(&bs->ap, live);
	free_percpu(bs->pcpu);
	vfree(bs->map);
	vfree(bs->heap);
	kfree(bs);
}
EXPORT_SYMBOL_NS_GPL(bump_slab_destroy, ALLOCPOOLS_NS);

/* ---- invariants, for the tests ---- */

/* A free list of class @c: each object a free one of the heap's. */
static bool heap_list_ok(struct bump_slab *bs, void *obj, unsigned int c,
			 unsigned long limit, unsigned long *n)
{
	for (; obj; obj = *(void **)obj) {
		u64 unit = hdr_unit(bs, obj);

		if ((*n)++ >= limit || unit >= bs->units ||
		    bs->map[unit >> 1] != map_code(c, unit) ||
		    *obj_hdr(obj) != hdr_word(c, BS_FREE))
			return false;
	}
	return true;
}

/* The pool lock and the cache locks held. */
static bool heap_check_locked(struct bump_slab *bs, unsigned long *seen)
{
	size_t off = 0, starts = 0, i, below = DIV_ROUND_UP(bs->bump, 2 * BS_HDR);
	u64 allocs, frees;
	unsigned int c;
	int cpu;

	lockdep_assert_held(&bs->lock);
	while (off < bs->bump) {
		u64 w = *(u64 *)(bs->heap + off);
		size_t unit = off / BS_HDR;

		c = bs->heap[off];
		if (c >= BUMP_SLAB_CLASSES ||
		    bs->map[unit >> 1] != map_code(c, unit) ||
		    (w != hdr_word(c, BS_LIVE) && w != hdr_word(c, BS_FREE) &&
		     w != hdr_word(c, BS_BAD)))
			return false;
		seen[c]++;
		starts++;
		off += BS_HDR + cls_size(c);
	}
	/* The map marks those headers and nothing else. */
	for (i = 0; i < below; i++)
		starts -= !!bs->map[i];
	if (off != bs->bump || starts ||
	    memchr_inv(bs->map + below, 0,
		       DIV_ROUND_UP(bs->heap_size, 2 * BS_HDR) - below))
		return false;
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		struct bs_class *k = &bs->cls[c];
		unsigned long n = 0;

		if (seen[c] != k->carved ||
		    !heap_list_ok(bs, k->head, c, k->carved, &n))
			return false;
		for_each_possible_cpu(cpu) {
			struct bs_cache *kc = &per_cpu_ptr(bs->pcpu, cpu)->cache[c];
			unsigned long mine = 0;

			if (!heap_list_ok(bs, kc->head, c, k->carved, &mine) ||
			    mine != kc->count || kc->count > BS_CACHE_MAX)
				return false;
			n += mine;
		}
		cls_counts_locked(bs, c, &allocs, &frees);
		if (n > k->carved || n != k->carved - (allocs - frees) - k->bad)
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
	lock_caches(bs);
	ok = bs->arena ? arena_check_locked(bs) : heap_check_locked(bs, seen);
	unlock_caches(bs);
	spin_unlock_irqrestore(&bs->lock, flags);
	return ok;
}

#if IS_ENABLED(CONFIG_ALLOCPOOLS_KUNIT_TEST)
#include "kunit/bump_slab_test.c"
#endif
