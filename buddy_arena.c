// SPDX-License-Identifier: GPL-2.0
/*
 * The buddy arena: a buddy allocator over vmalloc'd regions.
 *
 * An arena hands out blocks of 2^k bytes, min_order <= k <= max_order, from
 * one or more page-aligned vmalloc'd regions.  A request takes the smallest
 * block that fits; a larger free block is split in halves until it has that
 * order, and a freed block merges with its buddy (offset XOR size, relative
 * to its region) for as long as the buddy is free and of the same order.
 * Blocks never merge across regions.  A region need not be a power of two:
 * it is carved largest block first, so every byte down to 2^min_order is
 * usable (the tail below 2^min_order is not).
 *
 * Context: buddy_arena_alloc(), buddy_arena_free(), buddy_arena_block_size()
 * and buddy_arena_stats() never sleep and may be called from hard IRQ,
 * except that an allocation with BUDDY_ARENA_GROW and a gfp that allows
 * blocking may sleep to add a region.  Create, destroy and add_region are
 * process context only.
 *
 * Locking: one spinlock per arena (ba->lock, taken with irqsave) guards the
 * free lists, every region's order map, the region table and the counters.
 * vmalloc() and vfree() are never called under it: growth drops the lock to
 * get a region and retakes it to add it; a region that becomes entirely free
 * is unlinked and vfree'd by a work item.
 *
 * Memory layout.  Block metadata lives outside the blocks, in a separate
 * allocation per region: one byte per 2^min_order unit (the order map), a
 * zero sentinel byte, and two canary words around them that every free
 * checks.
 *
 *   region (vmalloc)  |<------ 2^k ------>|<- 2^(k-1) ->|<-2^j->| .. |tail|
 *                     | free: list_head.. |    live     | free  |    |    |
 *
 *   struct buddy_region  [canary][H|k 0 0 .. 0][H|L|k-1 s 0 ..][H|j ..][0][canary]
 *
 * The byte of a block's first unit holds BA_HEAD, BA_LIVE when allocated,
 * and the order; other bytes have BA_HEAD clear.  They are zero, except that
 * a live block that was asked for less than its size rounded down to a unit
 * has BA_SLACK in its first byte and that difference ("slack", in units) in
 * the next byte (blocks of up to 2^BA_SLACK_NARROW units) or the next four,
 * seven bits each, so that requested_bytes can be derived without storing
 * sizes anywhere else.  A free block holds its free-list links in its own
 * first bytes.  The sentinel after the last unit lets a block test its buddy
 * without a bounds check: a buddy that would start at the region's end
 * reads the sentinel, which is never a free block's first byte.
 *
 * Cost: allocation and free take O(max_order - min_order) steps: a bitmask
 * of non-empty free lists picks the order, and splitting or merging goes one
 * order per step.  A pointer is found in its region by one range check for
 * the region made by create (the "primary" one) and by binary search in a
 * table sorted by address for the others.  buddy_arena_alloc() and
 * buddy_arena_free() handle inline the common case: a block of the primary
 * region, taken from the list of its own order (no split) or freed next to
 * a buddy that is not free (no merge), with no slack or a one-byte slack.
 * Everything else (splits, merges, other regions, poison mode, wide slack,
 * errors, growth) goes to a general path out of line.  Only what cannot be
 * derived is counted per call: free bytes come from the per-order counts,
 * live blocks from allocs minus frees, requested bytes from the slack total.
 */

#define pr_fmt(fmt) "allocpools: " fmt

#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/math64.h>
#include <linux/poison.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include <allocpools/buddy_arena.h>
#include "allocpools_internal.h"

#define BA_FLAGS	(BUDDY_ARENA_GROW | BUDDY_ARENA_POISON)

/* Order-map byte of a block's first unit; other units have BA_HEAD clear. */
#define BA_HEAD		0x80
#define BA_LIVE		0x40
#define BA_SLACK	0x20
#define BA_ORDER	0x1f
#define BA_LIVE_HEAD	(BA_HEAD | BA_LIVE)
/*
 * A block of 2^u units is asked for more than half of them, so its slack is
 * under 2^(u-1) units: one byte of seven bits holds it up to u = 8; larger
 * blocks use four such bytes (slack < 2^25 as max_order - min_order <= 26).
 * Seven bits per byte keep BA_HEAD clear.
 */
#define BA_SLACK_NARROW	8
#define BA_SLACK_BITS	7
#define BA_SLACK_MASK	0x7f

#define BA_CANARY	0xb0dd1e5aU
/* Regions an allocation may add before it gives up. */
#define BA_GROW_TRIES	2
/* Region table entries allocated at once. */
#define BA_TABLE_MIN	4

/**
 * struct buddy_region - one vmalloc'd region and its order map
 * @base: the page-aligned memory handed out in blocks
 * @size: usable bytes, a multiple of 2^min_order
 * @units: @size in 2^min_order units: entries of @map before the sentinel
 * @free_bytes: bytes of @base in free blocks; not kept for the primary region
 * @primary: the region made by create, never given back
 * @idle: became entirely free since the give-back work last looked
 * @node: on a list of regions being freed
 * @canary_tail: the BA_CANARY that follows @map
 * @canary_head: BA_CANARY, right before @map
 * @map: one byte per 2^min_order unit, then a zero sentinel; see the top
 *
 * Everything but @base's contents is guarded by the arena's lock.
 */
struct buddy_region {
	u8 *base;
	size_t size;
	unsigned long units;
	size_t free_bytes;
	bool primary;
	bool idle;
	struct list_head node;
	u32 *canary_tail;
	u32 canary_head;
	u8 map[];
};

/**
 * struct buddy_arena - a buddy allocator
 * @lock: guards everything below but the constants
 * @min_order: smallest block order (constant)
 * @max_order: largest block order (constant)
 * @unit_mask: 2^min_order - 1 (constant)
 * @avail: bit k set when @free_area[k] is not empty
 * @primary: the region made by create (constant)
 * @fast_base: @primary's base (constant)
 * @fast_units: @primary's units, or 0 in poison mode, which sends every
 *	call to the general path (constant)
 * @slack_units: sum of the live blocks' slack, in 2^min_order units
 * @allocs: successful allocations
 * @frees: successful frees
 * @nr_free: length of each free list
 * @free_area: one LIFO list of free blocks per order
 * @flags: BUDDY_ARENA_* (constant)
 * @grow_size: size of a region added by growth (constant)
 * @regions: the regions, sorted by address
 * @nr_regions: entries used in @regions
 * @table_size: entries allocated in @regions
 * @size: usable bytes in all regions
 * @failures: allocations that returned NULL
 * @invalid_frees: rejected frees, poison mismatches, damaged free-list links
 * @reclaim: gives back regions that became entirely free
 * @ap: the core's part: name, debugfs directory
 *
 * The fields the inline paths use come first.
 */
struct buddy_arena {
	spinlock_t lock;	/* guards all but the constants */
	unsigned int min_order;
	unsigned int max_order;
	unsigned long unit_mask;
	unsigned long avail;
	struct buddy_region *primary;
	u8 *fast_base;
	unsigned long fast_units;
	unsigned long slack_units;
	u64 allocs;
	u64 frees;
	unsigned long nr_free[BUDDY_ARENA_ORDERS];
	struct list_head free_area[BUDDY_ARENA_ORDERS];
	unsigned int flags;
	size_t grow_size;
	struct buddy_region **regions;
	unsigned int nr_regions;
	unsigned int table_size;
	size_t size;
	u64 failures;
	u64 invalid_frees;
	struct work_struct reclaim;
	struct ap_pool ap;
};

static size_t map_bytes(size_t units)
{
	/* the units, the sentinel, then the tail canary u32-aligned */
	return ALIGN(units + 1, sizeof(u32));
}

static __always_inline bool canaries_ok(const struct buddy_region *r)
{
	return r->canary_head == BA_CANARY && *r->canary_tail == BA_CANARY;
}

/*
 * @off / 2^@shift when @off is a multiple of 2^@shift; otherwise the low
 * bits rotate to the top and the result is larger than any unit count, so
 * a single comparison checks both alignment and range.
 */
static __always_inline unsigned long unit_index(unsigned long off,
						unsigned int shift)
{
	return off >> shift | off << (BITS_PER_LONG - shift);
}

/* Record @slack units for the live block whose order-map byte is @map[0]. */
static void put_slack(u8 *map, unsigned int units_order, unsigned long slack)
{
	if (!slack)
		return;
	map[0] |= BA_SLACK;
	if (units_order <= BA_SLACK_NARROW) {
		map[1] = slack;
		return;
	}
	map[1] = slack & BA_SLACK_MASK;
	map[2] = (slack >> BA_SLACK_BITS) & BA_SLACK_MASK;
	map[3] = (slack >> (2 * BA_SLACK_BITS)) & BA_SLACK_MASK;
	map[4] = slack >> (3 * BA_SLACK_BITS);
}

/* Read and clear what put_slack() stored. */
static unsigned long take_slack(u8 *map, unsigned int units_order)
{
	unsigned long slack;

	if (!(map[0] & BA_SLACK))
		return 0;
	slack = map[1];
	map[1] = 0;
	if (units_order <= BA_SLACK_NARROW)
		return slack;
	slack |= (unsigned long)map[2] << BA_SLACK_BITS |
		 (unsigned long)map[3] << (2 * BA_SLACK_BITS) |
		 (unsigned long)map[4] << (3 * BA_SLACK_BITS);
	map[2] = 0;
	map[3] = 0;
	map[4] = 0;
	return slack;
}

/* The largest block that starts @rem bytes before a region's end. */
static unsigned int carve_order(const struct buddy_arena *ba, size_t rem)
{
	return min_t(unsigned int, __fls(rem), ba->max_order);
}

static __always_inline struct buddy_region *
find_region_locked(struct buddy_arena *ba, const void *ptr)
{
	struct buddy_region *r = ba->primary;
	unsigned int lo = 0, hi;
	const u8 *p = ptr;

	lockdep_assert_held(&ba->lock);
	if (likely(p >= r->base && p - r->base < r->size))
		return r;
	/* Find the last region whose base is <= p. */
	hi = ba->nr_regions;
	while (hi - lo > 1) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (ba->regions[mid]->base <= p)
			lo = mid;
		else
			hi = mid;
	}
	r = ba->regions[lo];
	if (p < r->base || p - r->base >= r->size)
		return NULL;
	return r;
}

/*
 * The free lists are linked and unlinked by hand rather than with
 * list_add() and list_del(): a block leaves its list to be handed out or
 * merged, so poisoning its links is wasted.  In place of the list debugging
 * checks, every block is checked before it is unlinked: allocation checks
 * the block it takes against the order map, and both allocation and merging
 * check its links with links_ok(), which is what catches a caller writing
 * over a free block.  The stores are ordered so that each may alias the
 * next.
 */
static __always_inline void link_block(struct list_head *n,
				       struct list_head *head)
{
	struct list_head *first = head->next;

	n->next = first;
	first->prev = n;
	n->prev = head;
	head->next = n;
}

static __always_inline bool links_ok(const struct list_head *e)
{
	return e->next->prev == e && e->prev->next == e;
}

static __always_inline void unlink_block(struct list_head *e)
{
	struct list_head *next = e->next, *prev = e->prev;

	next->prev = prev;
	prev->next = next;
}

/* Make @block, unit @idx of the region whose order map is @map, free. */
static __always_inline void link_free_locked(struct buddy_arena *ba, u8 *map,
					     unsigned long idx, void *block,
					     unsigned int order)
{
	lockdep_assert_held(&ba->lock);
	map[idx] = BA_HEAD | order;
	link_block(block, &ba->free_area[order]);
	ba->nr_free[order]++;
	__set_bit(order, &ba->avail);
}

/* Take @block off its free list; its order-map byte is the caller's. */
static __always_inline void unlink_free_locked(struct buddy_arena *ba,
					       void *block, unsigned int order)
{
	lockdep_assert_held(&ba->lock);
	unlink_block(block);
	if (!--ba->nr_free[order])
		__clear_bit(order, &ba->avail);
}

/*
 * Put a block that is no longer live back on the free lists, merging it
 * with its buddy as long as the buddy is free and of the same order.
 */
static void release_block_locked(struct buddy_arena *ba,
				 struct buddy_region *r, unsigned long idx,
				 unsigned int order)
{
	bool poison = ba->flags & BUDDY_ARENA_POISON;
	unsigned int min = ba->min_order, top = BA_HEAD | ba->max_order;
	unsigned long off = idx << min, bit = BIT(order);
	unsigned int tag = BA_HEAD | order;

	lockdep_assert_held(&ba->lock);
	if (poison)
		memset(r->base + off, POISON_FREE, bit);
	if (!r->primary)
		r->free_bytes += bit;

	/* No bounds check on the buddy: see the sentinel at the top. */
	for (; tag < top && r->map[(off ^ bit) >> min] == tag; tag++) {
		if (unlikely(!links_ok((void *)(r->base + (off ^ bit))))) {
			/* Leave the damaged block alone: no merge. */
			ba->invalid_frees++;
			ap_report_invalid(&ba->ap, "free list damaged", true,
					  off ^ bit);
			break;
		}
		unlink_free_locked(ba, r->base + (off ^ bit), tag & BA_ORDER);
		/*
		 * The upper half's first bytes may hold stale links (its own,
		 * or those of a lower buddy absorbed earlier): they are inside
		 * the merged block now.
		 */
		if (poison)
			memset(r->base + (off | bit), POISON_FREE,
			       sizeof(struct list_head));
		r->map[(off | bit) >> min] = 0;
		off &= ~bit;
		bit <<= 1;
	}
	link_free_locked(ba, r->map, off >> min, r->base + off,
			 tag & BA_ORDER);

	if (unlikely(!r->primary && r->free_bytes == r->size) &&
	    (ba->flags & BUDDY_ARENA_GROW)) {
		r->idle = true;
		schedule_work(&ba->reclaim);
	}
}

static bool poison_ok(const u8 *block, unsigned int order)
{
	size_t skip = sizeof(struct list_head);

	if (BIT(order) <= skip)
		return true;
	return !memchr_inv(block + skip, POISON_FREE, BIT(order) - skip);
}

/*
 * Hand out the free block at unit @idx of @r, first splitting it down to
 * @order, for a request that leaves @slack units unused.  Returns the
 * block, or
 * ERR_PTR(-EFAULT) when it failed its poison check (it has been repaired
 * and is free again).
 */
static void *take_block_locked(struct buddy_arena *ba, struct buddy_region *r,
			       unsigned long idx, unsigned int order,
			       unsigned long slack)
{
	unsigned int j = r->map[idx] & BA_ORDER, min = ba->min_order;
	u8 *block = r->base + (idx << min);
	unsigned long half;

	lockdep_assert_held(&ba->lock);
	unlink_free_locked(ba, block, j);
	/*
	 * @j is the smallest order >= @order with a free block, so each order
	 * from @order to @j - 1 gets its first free block here, one upper half.
	 */
	if (j > order)
		ba->avail |= BIT(j) - BIT(order);
	for (half = BIT(j); j > order; ) {
		j--;
		half >>= 1;
		r->map[idx + (half >> min)] = BA_HEAD | j;
		link_block((struct list_head *)(block + half),
			   &ba->free_area[j]);
		ba->nr_free[j]++;
	}
	if (!r->primary)
		r->free_bytes -= BIT(order);

	if (unlikely(ba->flags & BUDDY_ARENA_POISON) &&
	    !poison_ok(block, order)) {
		ba->invalid_frees++;
		ap_report_invalid(&ba->ap, "poison overwritten in free block",
				  true, block - r->base);
		release_block_locked(ba, r, idx, order);
		return ERR_PTR(-EFAULT);
	}

	r->map[idx] = BA_LIVE_HEAD | order;
	put_slack(&r->map[idx], order - min, slack);
	ba->slack_units += slack;
	ba->allocs++;
	return block;
}

/*
 * The general allocation path: take a block of @order for a request that
 * leaves @slack units of it unused, from any region.  Returns NULL when no block is large enough,
 * ERR_PTR(-EFAULT) when the block failed its poison check or a free list is
 * damaged.
 */
static void *alloc_locked(struct buddy_arena *ba, unsigned int order,
			  unsigned long slack)
{
	unsigned long avail = ba->avail >> order;
	struct buddy_region *r;
	unsigned int j;
	u8 *block;

	lockdep_assert_held(&ba->lock);
	if (unlikely(!avail))
		return NULL;
	j = order + __ffs(avail);
	block = (u8 *)ba->free_area[j].next;
	r = find_region_locked(ba, block);
	if (unlikely(!r || ((block - r->base) & ba->unit_mask) ||
		     r->map[(block - r->base) >> ba->min_order] !=
		     (BA_HEAD | j) || !links_ok((void *)block))) {
		/* A caller wrote over a free block's links. */
		ba->invalid_frees++;
		ap_report_invalid(&ba->ap, "free list damaged", !!r,
				  r ? block - r->base : 0);
		return ERR_PTR(-EFAULT);
	}
	return take_block_locked(ba, r, (block - r->base) >> ba->min_order,
				 order, slack);
}

static void region_free(struct buddy_region *r)
{
	if (!r)
		return;
	vfree(r->base);
	kvfree(r);
}

/*
 * Allocate a region of @size bytes and carve it into free blocks on the
 * local lists @carved; nothing of the arena is touched.
 */
static struct buddy_region *region_new(struct buddy_arena *ba, size_t size,
				       struct list_head *carved)
{
	size_t units = size >> ba->min_order, usable, off, rem;
	struct buddy_region *r;
	unsigned int k;

	usable = units << ba->min_order;
	r = kvzalloc(struct_size(r, map, map_bytes(units) + sizeof(u32)),
		     GFP_KERNEL);
	if (!r)
		return NULL;
	r->base = vmalloc(size);
	if (!r->base) {
		kvfree(r);
		return NULL;
	}
	r->size = usable;
	r->units = units;
	r->free_bytes = usable;
	r->canary_head = BA_CANARY;
	r->canary_tail = (u32 *)(r->map + map_bytes(units));
	*r->canary_tail = BA_CANARY;
	if (ba->flags & BUDDY_ARENA_POISON)
		memset(r->base, POISON_FREE, usable);

	for (off = 0, rem = usable; rem >> ba->min_order; off += BIT(k),
	     rem -= BIT(k)) {
		k = carve_order(ba, rem);
		r->map[off >> ba->min_order] = BA_HEAD | k;
		list_add_tail((struct list_head *)(r->base + off), &carved[k]);
	}
	return r;
}

/* Move the blocks region_new() carved onto the arena's free lists. */
static void splice_carved_locked(struct buddy_arena *ba, struct buddy_region *r,
				 struct list_head *carved)
{
	size_t rem = r->size;
	unsigned int k;

	lockdep_assert_held(&ba->lock);
	for (; rem >> ba->min_order; rem -= BIT(k)) {
		k = carve_order(ba, rem);
		ba->nr_free[k]++;
	}
	for (k = ba->min_order; k <= ba->max_order; k++) {
		if (list_empty(&carved[k]))
			continue;
		list_splice_tail_init(&carved[k], &ba->free_area[k]);
		ba->avail |= BIT(k);
	}
	ba->size += r->size;
	if (r->primary) {
		ba->primary = r;
		ba->fast_base = r->base;
		if (!(ba->flags & BUDDY_ARENA_POISON))
			ba->fast_units = r->units;
	}
}

/*
 * Add @r to the region table (growing the table if needed) and its blocks
 * to the free lists.
 */
static int insert_region(struct buddy_arena *ba, struct buddy_region *r,
			 struct list_head *carved)
{
	struct buddy_region **table, **old;
	unsigned long flags;
	unsigned int i, want;

	might_sleep();
	spin_lock_irqsave(&ba->lock, flags);
	while (ba->nr_regions == ba->table_size) {
		want = max_t(unsigned int, 2 * ba->table_size, BA_TABLE_MIN);
		spin_unlock_irqrestore(&ba->lock, flags);
		table = kmalloc_array(want, sizeof(*table), GFP_KERNEL);
		if (!table)
			return -ENOMEM;
		spin_lock_irqsave(&ba->lock, flags);
		old = NULL;
		if (ba->table_size < want) {
			if (ba->nr_regions)
				memcpy(table, ba->regions,
				       ba->nr_regions * sizeof(*table));
			old = ba->regions;
			ba->regions = table;
			ba->table_size = want;
			table = NULL;
		}
		spin_unlock_irqrestore(&ba->lock, flags);
		kfree(old);
		kfree(table);
		spin_lock_irqsave(&ba->lock, flags);
	}
	for (i = ba->nr_regions; i && ba->regions[i - 1]->base > r->base; i--)
		ba->regions[i] = ba->regions[i - 1];
	ba->regions[i] = r;
	ba->nr_regions++;
	splice_carved_locked(ba, r, carved);
	spin_unlock_irqrestore(&ba->lock, flags);
	return 0;
}

static int add_region(struct buddy_arena *ba, size_t size, bool primary)
{
	struct list_head carved[BUDDY_ARENA_ORDERS];
	struct buddy_region *r;
	unsigned int k;
	int ret;

	for (k = 0; k < BUDDY_ARENA_ORDERS; k++)
		INIT_LIST_HEAD(&carved[k]);
	r = region_new(ba, size, carved);
	if (!r)
		return -ENOMEM;
	r->primary = primary;
	ret = insert_region(ba, r, carved);
	if (ret)
		region_free(r);
	return ret;
}

/*
 * Take an entirely free region out of the arena: its blocks are exactly the
 * ones it was carved into, since everything in it has merged.
 */
static void unlink_region_locked(struct buddy_arena *ba, unsigned int i)
{
	struct buddy_region *r = ba->regions[i];
	size_t off, rem;
	unsigned int k;

	lockdep_assert_held(&ba->lock);
	for (off = 0, rem = r->size; rem >> ba->min_order; off += BIT(k),
	     rem -= BIT(k)) {
		k = carve_order(ba, rem);
		unlink_free_locked(ba, r->base + off, k);
		r->map[off >> ba->min_order] = 0;
	}
	ba->size -= r->size;
	ba->nr_regions--;
	memmove(&ba->regions[i], &ba->regions[i + 1],
		(ba->nr_regions - i) * sizeof(*ba->regions));
}

static void reclaim_work(struct work_struct *work)
{
	struct buddy_arena *ba = container_of(work, struct buddy_arena,
					      reclaim);
	struct buddy_region *r, *tmp;
	unsigned long flags;
	LIST_HEAD(gone);
	unsigned int i;

	spin_lock_irqsave(&ba->lock, flags);
	for (i = 0; i < ba->nr_regions; ) {
		r = ba->regions[i];
		/* Re-check: the region may have been used again since. */
		if (!r->idle || r->free_bytes != r->size) {
			i++;
			continue;
		}
		unlink_region_locked(ba, i);
		list_add(&r->node, &gone);
	}
	spin_unlock_irqrestore(&ba->lock, flags);

	list_for_each_entry_safe(r, tmp, &gone, node)
		region_free(r);
}

static bool order_args_valid(unsigned int min_order, unsigned int max_order)
{
	return min_order >= BUDDY_ARENA_MIN_ORDER && min_order <= max_order &&
	       max_order <= BUDDY_ARENA_MAX_ORDER;
}

static bool region_size_valid(const struct buddy_arena *ba, size_t size)
{
	/* The order map is indexed by unsigned int units. */
	return size >= BIT(ba->min_order) &&
	       (size >> ba->min_order) < UINT_MAX;
}

static const struct ap_kind buddy_kind;

/**
 * buddy_arena_create() - create a buddy arena over a vmalloc'd region
 * @name: the arena's name (1..31 characters of [A-Za-z0-9_.-])
 * @size: bytes of the first region; at least 2^@min_order
 * @min_order: order of the smallest block, 4..@max_order
 * @max_order: order of the largest block, @min_order..30
 * @flags: BUDDY_ARENA_GROW, BUDDY_ARENA_POISON
 *
 * The region is carved into the largest blocks that fit, largest first,
 * down to 2^@min_order; a tail smaller than that is not used.
 *
 * Context: process context; may sleep.
 * Return: the arena, or ERR_PTR(-EINVAL) for a bad name, order, size or
 * flag, ERR_PTR(-EEXIST) if a buddy arena of that name exists,
 * ERR_PTR(-ENOMEM) when memory runs out.  Never NULL.
 */
struct buddy_arena *buddy_arena_create(const char *name, size_t size,
				       unsigned int min_order,
				       unsigned int max_order,
				       unsigned int flags)
{
	struct buddy_arena *ba;
	unsigned int k;
	int ret;

	might_sleep();
	if (!ap_name_valid(name) || !order_args_valid(min_order, max_order) ||
	    (flags & ~BA_FLAGS))
		return ERR_PTR(-EINVAL);

	ba = kzalloc(sizeof(*ba), GFP_KERNEL);
	if (!ba)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&ba->lock);
	ba->min_order = min_order;
	ba->max_order = max_order;
	ba->unit_mask = BIT(min_order) - 1;
	ba->flags = flags;
	for (k = 0; k < BUDDY_ARENA_ORDERS; k++)
		INIT_LIST_HEAD(&ba->free_area[k]);
	INIT_WORK(&ba->reclaim, reclaim_work);
	if (!region_size_valid(ba, size)) {
		ret = -EINVAL;
		goto free_arena;
	}
	ba->grow_size = size;

	ret = add_region(ba, size, true);
	if (ret)
		goto free_arena;
	ret = ap_pool_register(&ba->ap, &buddy_kind, name);
	if (ret)
		goto free_region;
	return ba;

free_region:
	region_free(ba->regions[0]);
	kfree(ba->regions);
free_arena:
	kfree(ba);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_create, ALLOCPOOLS_NS);

/**
 * buddy_arena_destroy() - free an arena and all its regions
 * @ba: the arena; NULL and ERR_PTR values are ignored
 *
 * Blocks still allocated are freed with the arena, after one warning that
 * gives their number.
 *
 * Context: process context; may sleep.  No other call on @ba may run
 * concurrently or follow.
 */
void buddy_arena_destroy(struct buddy_arena *ba)
{
	unsigned int i;

	if (IS_ERR_OR_NULL(ba))
		return;
	might_sleep();
	ap_pool_unregister(&ba->ap);
	cancel_work_sync(&ba->reclaim);
	if (ba->allocs != ba->frees)
		ap_warn_live(&ba->ap, ba->allocs - ba->frees);
	for (i = 0; i < ba->nr_regions; i++)
		region_free(ba->regions[i]);
	kfree(ba->regions);
	kfree(ba);
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_destroy, ALLOCPOOLS_NS);

/**
 * buddy_arena_add_region() - give an arena another vmalloc'd region
 * @ba: the arena
 * @size: bytes of the region; at least 2^min_order
 *
 * The region is carved like the first one.  Blocks never merge across
 * regions.  With BUDDY_ARENA_GROW the region is given back once it has
 * been used and has become entirely free again.
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL for a bad size, -ENOMEM when memory runs out.
 */
int buddy_arena_add_region(struct buddy_arena *ba, size_t size)
{
	might_sleep();
	if (!region_size_valid(ba, size))
		return -EINVAL;
	return add_region(ba, size, false);
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_add_region, ALLOCPOOLS_NS);

/* A request no block can satisfy: counted, never queued for growth. */
static noinline void *alloc_refused(struct buddy_arena *ba)
{
	unsigned long flags;

	spin_lock_irqsave(&ba->lock, flags);
	ba->failures++;
	spin_unlock_irqrestore(&ba->lock, flags);
	return NULL;
}

/*
 * The general path of buddy_arena_alloc() for a block of @order of which
 * the request leaves @slack units unused, entered with ba->lock held (taken
 * with @flags) and nothing changed yet; it drops the lock.
 */
static noinline void *alloc_slow_locked(struct buddy_arena *ba,
					unsigned int order, unsigned long slack,
					gfp_t gfp, unsigned long flags)
{
	unsigned int tries = 0;
	void *p;

	lockdep_assert_held(&ba->lock);
	for (;;) {
		p = alloc_locked(ba, order, slack);
		if (likely(p) || !(ba->flags & BUDDY_ARENA_GROW) ||
		    !gfpflags_allow_blocking(gfp) || tries++ == BA_GROW_TRIES)
			break;
		spin_unlock_irqrestore(&ba->lock, flags);
		if (add_region(ba, max_t(size_t, ba->grow_size, BIT(order)),
			       false)) {
			spin_lock_irqsave(&ba->lock, flags);
			break;
		}
		spin_lock_irqsave(&ba->lock, flags);
	}
	if (IS_ERR_OR_NULL(p)) {
		ba->failures++;
		p = NULL;
	}
	spin_unlock_irqrestore(&ba->lock, flags);
	return p;
}

/**
 * buddy_arena_alloc() - allocate a block of at least @size bytes
 * @ba: the arena
 * @size: bytes wanted, 1..2^max_order
 * @gfp: allocation flags; with BUDDY_ARENA_GROW, a gfp that allows
 *       blocking lets the arena add a region when it is full
 *
 * The block is 2^k bytes for the smallest k >= min_order that fits, and is
 * aligned to 2^k from the start of its region (regions are page aligned).
 *
 * Context: any context, hard IRQ included; may sleep only when the arena
 * must grow and @gfp allows blocking.
 * Return: the block, or NULL for a bad size, a full arena, or a block that
 * failed its poison check (each counted in the failures).
 */
void *buddy_arena_alloc(struct buddy_arena *ba, size_t size, gfp_t gfp)
{
	/* size 0 wraps to ~0UL and, like an oversized one, gives order 64 */
	unsigned long x = (size - 1) | ba->unit_mask, flags, idx, slack = 0;
	unsigned int order = __fls(x) + 1;
	struct list_head *head, *block;
	struct buddy_region *r;

	if (unlikely(order > ba->max_order))
		return alloc_refused(ba);
	/*
	 * x is the request rounded up to a unit, minus one: all ones (x + 1
	 * a power of two) exactly when the block has no slack.
	 */
	if (x & (x + 1))
		slack = (BIT(order) - 1 - x) >> ba->min_order;

	spin_lock_irqsave(&ba->lock, flags);
	/* A free block of the very order: no split.  Else the general path. */
	head = &ba->free_area[order];
	block = head->next;
	idx = unit_index((unsigned long)block - (unsigned long)ba->fast_base,
			 ba->min_order);
	r = ba->primary;
	if (unlikely(block == head || idx >= ba->fast_units ||
		     r->map[idx] != (BA_HEAD | order) ||
		     block->next->prev != block ||
		     (slack && order - ba->min_order > BA_SLACK_NARROW)))
		return alloc_slow_locked(ba, order, slack, gfp, flags);

	/* The first block: unlinked through @head, not its own prev link. */
	head->next = block->next;
	block->next->prev = head;
	if (!--ba->nr_free[order])
		__clear_bit(order, &ba->avail);
	r->map[idx] = BA_LIVE_HEAD | order;
	if (slack) {
		r->map[idx] |= BA_SLACK;
		r->map[idx + 1] = slack;
		ba->slack_units += slack;
	}
	ba->allocs++;
	spin_unlock_irqrestore(&ba->lock, flags);
	return block;
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_alloc, ALLOCPOOLS_NS);

/* Why @ptr is not a live block of @r: for the report. */
static const char *bad_free_reason_locked(struct buddy_arena *ba,
					  struct buddy_region *r,
					  const u8 *ptr)
{
	size_t off = ptr - r->base;
	u8 b;

	lockdep_assert_held(&ba->lock);
	if (!canaries_ok(r))
		return "metadata canary smashed";
	if (off & ba->unit_mask)
		return "interior pointer";
	b = r->map[off >> ba->min_order];
	if (!(b & BA_HEAD))
		return "interior pointer";
	if (!(b & BA_LIVE))
		return "double free or free of a free block";
	return NULL;
}

/* Free the live block at unit @idx of @r, then drop the lock. */
static noinline int free_release_unlock(struct buddy_arena *ba,
					struct buddy_region *r,
					unsigned long idx, unsigned long flags)
{
	unsigned int order = r->map[idx] & BA_ORDER;

	lockdep_assert_held(&ba->lock);
	ba->slack_units -= take_slack(&r->map[idx], order - ba->min_order);
	ba->frees++;
	release_block_locked(ba, r, idx, order);
	spin_unlock_irqrestore(&ba->lock, flags);
	return 0;
}

/*
 * The general path of buddy_arena_free(), entered with ba->lock held
 * (taken with @flags) and nothing changed yet; it drops the lock.
 */
static noinline int free_slow_locked(struct buddy_arena *ba, void *ptr,
				     unsigned long flags)
{
	struct buddy_region *r;
	const char *why;
	size_t off;

	lockdep_assert_held(&ba->lock);
	r = find_region_locked(ba, ptr);
	if (unlikely(!r)) {
		ba->invalid_frees++;
		spin_unlock_irqrestore(&ba->lock, flags);
		ap_report_invalid(&ba->ap, "free of a foreign pointer", false,
				  0);
		return -EINVAL;
	}
	off = (u8 *)ptr - r->base;
	if (unlikely((off & ba->unit_mask) ||
		     r->map[off >> ba->min_order] < BA_LIVE_HEAD ||
		     !canaries_ok(r))) {
		why = bad_free_reason_locked(ba, r, ptr);
		ba->invalid_frees++;
		spin_unlock_irqrestore(&ba->lock, flags);
		ap_report_invalid(&ba->ap, why, true, off);
		return -EINVAL;
	}
	return free_release_unlock(ba, r, off >> ba->min_order, flags);
}

/**
 * buddy_arena_free() - free a block
 * @ba: the arena
 * @ptr: a block buddy_arena_alloc() returned, or NULL
 *
 * The block merges with its buddy as long as the buddy is free and of the
 * same order.  A pointer the arena did not hand out, an interior pointer,
 * a double free or a smashed order map is refused: the arena is left as it
 * was, invalid_frees counts it and one rate-limited error names the arena
 * and the offset.
 *
 * Context: any context, hard IRQ included.
 * Return: 0 (NULL included), or -EINVAL for a refused pointer.
 */
int buddy_arena_free(struct buddy_arena *ba, void *ptr)
{
	unsigned int order, min = ba->min_order;
	struct buddy_region *r;
	unsigned long flags, idx;
	u8 b;

	if (unlikely(!ptr))
		return 0;
	spin_lock_irqsave(&ba->lock, flags);
	/* One comparison: in the primary region, aligned to a unit. */
	idx = unit_index((unsigned long)ptr - (unsigned long)ba->fast_base,
			 min);
	if (unlikely(idx >= ba->fast_units))
		return free_slow_locked(ba, ptr, flags);
	r = ba->primary;
	b = r->map[idx];
	if (unlikely(b < BA_LIVE_HEAD || !canaries_ok(r)))
		return free_slow_locked(ba, ptr, flags);
	order = b & BA_ORDER;
	/* A merge or a wide slack: the general path. */
	if (unlikely((r->map[idx ^ BIT(order - min)] == (BA_HEAD | order) &&
		      order < ba->max_order) ||
		     ((b & BA_SLACK) && order - min > BA_SLACK_NARROW)))
		return free_release_unlock(ba, r, idx, flags);

	if (b & BA_SLACK) {
		ba->slack_units -= r->map[idx + 1];
		r->map[idx + 1] = 0;
	}
	ba->frees++;
	link_free_locked(ba, r->map, idx, ptr, order);
	spin_unlock_irqrestore(&ba->lock, flags);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_free, ALLOCPOOLS_NS);

/**
 * buddy_arena_block_size() - the size of a live block
 * @ba: the arena
 * @ptr: a pointer to the start of a block
 *
 * Context: any context, hard IRQ included.
 * Return: the block's size in bytes, or 0 if @ptr is not a live block of
 * @ba.  Nothing is counted or reported.
 */
size_t buddy_arena_block_size(struct buddy_arena *ba, const void *ptr)
{
	struct buddy_region *r;
	unsigned long flags;
	size_t off, ret = 0;
	u8 b;

	if (!ptr)
		return 0;
	spin_lock_irqsave(&ba->lock, flags);
	r = find_region_locked(ba, ptr);
	if (r) {
		off = (const u8 *)ptr - r->base;
		b = r->map[off >> ba->min_order];
		if (!(off & ba->unit_mask) && b >= BA_LIVE_HEAD)
			ret = BIT(b & BA_ORDER);
	}
	spin_unlock_irqrestore(&ba->lock, flags);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_block_size, ALLOCPOOLS_NS);

/*
 * mm/vmstat.c's fragmentation index for a max_order request, counting in
 * 2^min_order units: 0 when a request would fail for lack of memory, towards
 * 1000 when it would fail for fragmentation, -1000 when it would succeed.
 */
static int frag_index(const struct buddy_arena_stats *st)
{
	unsigned long blocks = 0;
	u64 units, scaled;
	unsigned int k;

	for (k = st->min_order; k <= st->max_order; k++)
		blocks += st->free_blocks[k];
	if (!blocks)
		return 0;
	if (st->free_blocks[st->max_order])
		return -1000;
	units = st->free_bytes >> st->min_order;
	scaled = (units * 1000) >> (st->max_order - st->min_order);
	return 1000 - (int)div64_ul(1000 + scaled, blocks);
}

/**
 * buddy_arena_stats() - a consistent snapshot of an arena's counters
 * @ba: the arena
 * @st: filled in
 *
 * requested_bytes sums the sizes asked for by the live blocks, each rounded
 * up to 2^min_order.  The byte figures are derived here from the per-order
 * counts and the slack total rather than kept on every call.
 *
 * Context: any context, hard IRQ included.
 */
void buddy_arena_stats(struct buddy_arena *ba, struct buddy_arena_stats *st)
{
	unsigned long flags, slack;
	unsigned int k;

	memset(st, 0, sizeof(*st));
	spin_lock_irqsave(&ba->lock, flags);
	st->size = ba->size;
	st->largest_free = ba->avail ? BIT(__fls(ba->avail)) : 0;
	st->regions = ba->nr_regions;
	st->min_order = ba->min_order;
	st->max_order = ba->max_order;
	st->live_blocks = ba->allocs - ba->frees;
	memcpy(st->free_blocks, ba->nr_free, sizeof(st->free_blocks));
	slack = ba->slack_units;
	st->allocs = ba->allocs;
	st->frees = ba->frees;
	st->failures = ba->failures;
	st->invalid_frees = ba->invalid_frees;
	spin_unlock_irqrestore(&ba->lock, flags);

	for (k = st->min_order; k <= st->max_order; k++)
		st->free_bytes += st->free_blocks[k] << k;
	st->allocated_bytes = st->size - st->free_bytes;
	st->requested_bytes = st->allocated_bytes - (slack << st->min_order);
	st->frag_index = frag_index(st);
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_stats, ALLOCPOOLS_NS);

/*
 * Walk every block of every region and check the whole arena against its
 * counters, free lists and order bitmap; log the first thing that is wrong.
 * Tests call it after every mutation.  O(size / 2^min_order).
 */
static bool __maybe_unused buddy_check_locked(struct buddy_arena *ba)
{
	unsigned long nr_free[BUDDY_ARENA_ORDERS] = { 0 };
	size_t total = 0, off, unit = BIT(ba->min_order);
	unsigned long live = 0, avail = 0, slack = 0, n;
	unsigned int i, k, min = ba->min_order;
	struct list_head *e;
	bool primary;

	lockdep_assert_held(&ba->lock);
	for (i = 0; i < ba->nr_regions; i++) {
		struct buddy_region *r = ba->regions[i];
		size_t rfree = 0;

		if (!canaries_ok(r) || r->map[r->units] ||
		    r->units != r->size >> min) {
			pr_err("check: region %u canary, sentinel or units\n", i);
			return false;
		}
		if (i && ba->regions[i - 1]->base + ba->regions[i - 1]->size >
			 r->base) {
			pr_err("check: regions %u and %u overlap\n", i - 1, i);
			return false;
		}
		primary = r == ba->primary;
		if (r->primary != primary) {
			pr_err("check: region %u primary\n", i);
			return false;
		}
		for (off = 0; off < r->size; off += BIT(k)) {
			u8 *m = &r->map[off >> min], b = *m;
			size_t u, units, slack_end = 1;
			unsigned long s = 0;

			k = b & BA_ORDER;
			if (!(b & BA_HEAD) || k < min || k > ba->max_order ||
			    (off & (BIT(k) - 1)) || off + BIT(k) > r->size ||
			    ((b & BA_SLACK) && !(b & BA_LIVE))) {
				pr_err("check: region %u offset %zu: bad block %#x\n",
				       i, off, b);
				return false;
			}
			units = BIT(k - min);
			if (b & BA_SLACK) {
				slack_end = k - min > BA_SLACK_NARROW ? 5 : 2;
				for (u = slack_end - 1; u; u--)
					s = s << BA_SLACK_BITS | m[u];
				if (!s || s >= units / 2) {
					pr_err("check: region %u offset %zu: slack %lu\n",
					       i, off, s);
					return false;
				}
				slack += s;
			}
			for (u = 1; u < units; u++) {
				if (u < slack_end ? (m[u] & BA_HEAD) : m[u]) {
					pr_err("check: region %u offset %zu: unit %zu is %#x\n",
					       i, off, u, m[u]);
					return false;
				}
			}
			if (b & BA_LIVE) {
				live++;
				continue;
			}
			nr_free[k]++;
			rfree += BIT(k);
			if (k < ba->max_order &&
			    r->map[(off ^ BIT(k)) >> min] == (BA_HEAD | k)) {
				pr_err("check: region %u offset %zu: unmerged buddies\n",
				       i, off);
				return false;
			}
			if ((ba->flags & BUDDY_ARENA_POISON) &&
			    !poison_ok(r->base + off, k)) {
				pr_err("check: region %u offset %zu: poison\n",
				       i, off);
				return false;
			}
		}
		if (!r->primary && rfree != r->free_bytes) {
			pr_err("check: region %u free %zu, counted %zu\n", i,
			       rfree, r->free_bytes);
			return false;
		}
		total += r->size;
		if (r->size & (unit - 1))
			return false;
	}
	for (k = 0; k < BUDDY_ARENA_ORDERS; k++) {
		n = 0;
		list_for_each(e, &ba->free_area[k]) {
			struct buddy_region *r = find_region_locked(ba, e);

			if (!r || r->map[((u8 *)e - r->base) >> min] !=
			    (BA_HEAD | k) || e->next->prev != e) {
				pr_err("check: order %u list entry %lu is not a free block\n",
				       k, n);
				return false;
			}
			if (++n > nr_free[k])
				break;
		}
		if (n != nr_free[k] || n != ba->nr_free[k]) {
			pr_err("check: order %u: %lu listed, %lu in the map, %lu counted\n",
			       k, n, nr_free[k], ba->nr_free[k]);
			return false;
		}
		if (n)
			avail |= BIT(k);
	}
	if (avail != ba->avail || total != ba->size ||
	    live != ba->allocs - ba->frees || slack != ba->slack_units) {
		pr_err("check: counters: avail %#lx/%#lx size %zu/%zu live %lu/%llu slack %lu/%lu\n",
		       avail, ba->avail, total, ba->size, live,
		       ba->allocs - ba->frees, slack, ba->slack_units);
		return false;
	}
	return true;
}

static void buddy_row(struct ap_pool *pool, struct ap_row *row)
{
	struct buddy_arena *ba = container_of(pool, struct buddy_arena, ap);
	struct buddy_arena_stats st;

	buddy_arena_stats(ba, &st);
	row->size = st.size;
	row->used = st.allocated_bytes;
	row->free = st.free_bytes;
	row->allocs = st.allocs;
	row->frees = st.frees;
	row->failures = st.failures;
	row->invalid_frees = st.invalid_frees;
}

static int buddy_stats_show(struct seq_file *m, struct ap_pool *pool)
{
	struct buddy_arena *ba = container_of(pool, struct buddy_arena, ap);
	struct buddy_arena_stats st;
	unsigned int k;

	buddy_arena_stats(ba, &st);
	seq_printf(m, "size: %zu\n", st.size);
	seq_printf(m, "free_bytes: %zu\n", st.free_bytes);
	seq_printf(m, "allocated_bytes: %zu\n", st.allocated_bytes);
	seq_printf(m, "requested_bytes: %zu\n", st.requested_bytes);
	seq_printf(m, "largest_free: %zu\n", st.largest_free);
	seq_printf(m, "regions: %u\n", st.regions);
	seq_printf(m, "min_order: %u\n", st.min_order);
	seq_printf(m, "max_order: %u\n", st.max_order);
	seq_printf(m, "live_blocks: %lu\n", st.live_blocks);
	seq_puts(m, "free_blocks:");
	for (k = 0; k < BUDDY_ARENA_ORDERS; k++)
		seq_printf(m, " %lu", st.free_blocks[k]);
	seq_puts(m, "\n");
	seq_printf(m, "frag_index: %d\n", st.frag_index);
	seq_printf(m, "allocs: %llu\n", st.allocs);
	seq_printf(m, "frees: %llu\n", st.frees);
	seq_printf(m, "failures: %llu\n", st.failures);
	seq_printf(m, "invalid_frees: %llu\n", st.invalid_frees);
	return 0;
}

static int buddy_orders_show(struct seq_file *m, struct ap_pool *pool)
{
	struct buddy_arena *ba = container_of(pool, struct buddy_arena, ap);
	struct buddy_arena_stats st;
	unsigned int k;

	buddy_arena_stats(ba, &st);
	seq_puts(m, "order block_size free_blocks\n");
	for (k = st.min_order; k <= st.max_order; k++)
		seq_printf(m, "%5u %10lu %11lu\n", k, BIT(k),
			   st.free_blocks[k]);
	return 0;
}

static const struct ap_file buddy_files[] = {
	{ .name = "stats", .show = buddy_stats_show },
	{ .name = "orders", .show = buddy_orders_show },
};

static const struct ap_kind buddy_kind = {
	.name = "buddy",
	.row = buddy_row,
	.files = buddy_files,
	.nr_files = ARRAY_SIZE(buddy_files),
};

#if IS_ENABLED(CONFIG_ALLOCPOOLS_KUNIT_TEST)
#include "kunit/buddy_arena_test.c"
#endif
