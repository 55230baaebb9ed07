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
 * allocation per region: one byte per 2^min_order unit (the order map) between
 * two canary words that every free checks.
 *
 *   region (vmalloc)  |<------ 2^k ------>|<- 2^(k-1) ->|<-2^j->| .. |tail|
 *                     | free: list_head.. |    live     | free  |    |    |
 *
 *   struct buddy_region  [canary][H|k 0 0 .. 0][H|L|k-1 s s 0 ..][H|j ..][canary]
 *
 * The byte of a block's first unit holds BA_HEAD, BA_LIVE when allocated, and
 * the order.  Other bytes have BA_HEAD clear: they are zero, except that a
 * live block of 4 or more units keeps in its second to fifth bytes ("s") how
 * many of its units the caller did not ask for, so requested_bytes can be
 * updated on free without storing the size anywhere else.  A free block holds
 * its free-list links in its own first bytes.
 *
 * A pointer is found in its region by binary search in a table sorted by
 * address (one comparison for the common single-region arena); allocation and
 * free then take O(max_order - min_order) steps: a bitmask of non-empty free
 * lists picks the order, and splitting or merging goes one order per step.
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
#define BA_ORDER	0x1f
/* Slack is stored 7 bits per byte so that BA_HEAD stays clear. */
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
 * @free_bytes: bytes of @base in free blocks
 * @primary: the region made by create, never given back
 * @idle: became entirely free since the give-back work last looked
 * @node: on a list of regions being freed
 * @canary_tail: the BA_CANARY that follows @map
 * @canary_head: BA_CANARY, right before @map
 * @map: one byte per 2^min_order unit, see the top of the file
 *
 * Everything but @base's contents is guarded by the arena's lock.
 */
struct buddy_region {
	u8 *base;
	size_t size;
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
 * @ap: the core's part: name, debugfs directory
 * @lock: guards everything below but the constants
 * @min_order: smallest block order (constant)
 * @max_order: largest block order (constant)
 * @flags: BUDDY_ARENA_* (constant)
 * @grow_size: size of a region added by growth (constant)
 * @avail: bit k set when @free_area[k] is not empty
 * @free_area: one LIFO list of free blocks per order
 * @nr_free: length of each free list
 * @regions: the regions, sorted by address
 * @nr_regions: entries used in @regions
 * @table_size: entries allocated in @regions
 * @reclaim: gives back regions that became entirely free
 * @size: usable bytes in all regions
 * @free_bytes: bytes in free blocks
 * @requested_bytes: live requests, each rounded up to 2^min_order
 * @live_blocks: allocated blocks
 * @allocs: successful allocations
 * @frees: successful frees
 * @failures: allocations that returned NULL
 * @invalid_frees: rejected frees and poison mismatches
 */
struct buddy_arena {
	struct ap_pool ap;
	spinlock_t lock;	/* guards all but the constants */
	unsigned int min_order;
	unsigned int max_order;
	unsigned int flags;
	size_t grow_size;
	unsigned long avail;
	struct list_head free_area[BUDDY_ARENA_ORDERS];
	unsigned long nr_free[BUDDY_ARENA_ORDERS];
	struct buddy_region **regions;
	unsigned int nr_regions;
	unsigned int table_size;
	struct work_struct reclaim;
	size_t size;
	size_t free_bytes;
	size_t requested_bytes;
	unsigned long live_blocks;
	u64 allocs;
	u64 frees;
	u64 failures;
	u64 invalid_frees;
};

static size_t map_bytes(size_t units)
{
	return ALIGN(units, sizeof(u32));
}

static bool canaries_ok(const struct buddy_region *r)
{
	return r->canary_head == BA_CANARY && *r->canary_tail == BA_CANARY;
}

static void put_slack(u8 *map, unsigned int units_order, unsigned long slack)
{
	if (units_order < 2)
		return;
	map[1] = slack & BA_SLACK_MASK;
	if (units_order < 3)
		return;
	map[2] = (slack >> BA_SLACK_BITS) & BA_SLACK_MASK;
	map[3] = (slack >> (2 * BA_SLACK_BITS)) & BA_SLACK_MASK;
	map[4] = slack >> (3 * BA_SLACK_BITS);
}

/* Read and clear what put_slack() stored. */
static unsigned long take_slack(u8 *map, unsigned int units_order)
{
	unsigned long slack;

	if (units_order < 2)
		return 0;
	slack = map[1];
	map[1] = 0;
	if (units_order < 3)
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
	struct buddy_region *r;
	unsigned int lo = 0, hi;
	const u8 *p = ptr;

	lockdep_assert_held(&ba->lock);
	hi = ba->nr_regions;
	if (likely(hi == 1)) {
		r = ba->regions[0];
		goto check;
	}
	/* Find the last region whose base is <= p. */
	while (hi - lo > 1) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (ba->regions[mid]->base <= p)
			lo = mid;
		else
			hi = mid;
	}
	if (!hi)
		return NULL;
	r = ba->regions[lo];
check:
	if (p < r->base || p - r->base >= r->size)
		return NULL;
	return r;
}

static __always_inline void add_free_locked(struct buddy_arena *ba,
					    struct buddy_region *r,
					    size_t off, unsigned int order)
{
	lockdep_assert_held(&ba->lock);
	r->map[off >> ba->min_order] = BA_HEAD | order;
	list_add((struct list_head *)(r->base + off), &ba->free_area[order]);
	ba->nr_free[order]++;
	ba->avail |= BIT(order);
}

static __always_inline void del_free_locked(struct buddy_arena *ba,
					    struct buddy_region *r,
					    size_t off, unsigned int order)
{
	lockdep_assert_held(&ba->lock);
	list_del((struct list_head *)(r->base + off));
	r->map[off >> ba->min_order] = 0;
	if (!--ba->nr_free[order])
		ba->avail &= ~BIT(order);
}

/*
 * Put a block that is no longer live back on the free lists, merging it
 * with its buddy as long as the buddy is free and of the same order.
 */
static __always_inline void release_block_locked(struct buddy_arena *ba,
						 struct buddy_region *r,
						 size_t off,
						 unsigned int order)
{
	bool poison = ba->flags & BUDDY_ARENA_POISON;

	lockdep_assert_held(&ba->lock);
	if (poison)
		memset(r->base + off, POISON_FREE, BIT(order));
	r->free_bytes += BIT(order);
	ba->free_bytes += BIT(order);

	while (order < ba->max_order) {
		size_t buddy = off ^ BIT(order);

		if (buddy >= r->size ||
		    r->map[buddy >> ba->min_order] != (BA_HEAD | order))
			break;
		del_free_locked(ba, r, buddy, order);
		/*
		 * The upper half's first bytes may hold stale links (its own,
		 * or those of a lower buddy absorbed earlier): they are inside
		 * the merged block now.
		 */
		if (poison)
			memset(r->base + (off | BIT(order)), POISON_FREE,
			       sizeof(struct list_head));
		r->map[off >> ba->min_order] = 0;
		off &= ~BIT(order);
		order++;
	}
	add_free_locked(ba, r, off, order);

	if (unlikely(r->free_bytes == r->size) && !r->primary &&
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
 * Take a block of @order for a request of @size bytes.  Returns NULL when
 * no block is large enough, ERR_PTR(-EFAULT) when the block failed its
 * poison check (it has been repaired and is free again).
 */
static void *alloc_locked(struct buddy_arena *ba, unsigned int order,
			  size_t size)
{
	unsigned long avail = ba->avail >> order;
	unsigned int j, min = ba->min_order;
	struct buddy_region *r;
	unsigned long slack;
	size_t off;
	u8 *block;

	lockdep_assert_held(&ba->lock);
	if (unlikely(!avail))
		return NULL;
	j = order + __ffs(avail);
	block = (u8 *)ba->free_area[j].next;
	r = find_region_locked(ba, block);
	off = block - r->base;
	del_free_locked(ba, r, off, j);
	while (j > order) {
		j--;
		add_free_locked(ba, r, off + BIT(j), j);
	}

	if (unlikely(ba->flags & BUDDY_ARENA_POISON) &&
	    !poison_ok(block, order)) {
		ba->invalid_frees++;
		ap_report_invalid(&ba->ap, "poison overwritten in free block",
				  true, off);
		r->free_bytes -= BIT(order);
		ba->free_bytes -= BIT(order);
		release_block_locked(ba, r, off, order);
		return ERR_PTR(-EFAULT);
	}

	r->map[off >> min] = BA_HEAD | BA_LIVE | order;
	slack = BIT(order - min) - (((size - 1) >> min) + 1);
	put_slack(&r->map[off >> min], order - min, slack);
	r->free_bytes -= BIT(order);
	ba->free_bytes -= BIT(order);
	ba->requested_bytes += BIT(order) - (slack << min);
	ba->live_blocks++;
	ba->allocs++;
	return block;
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
	ba->free_bytes += r->size;
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
		del_free_locked(ba, r, off, k);
	}
	ba->size -= r->size;
	ba->free_bytes -= r->size;
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
	if (ba->live_blocks)
		ap_warn_live(&ba->ap, ba->live_blocks);
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
	unsigned int order, tries = 0;
	unsigned long flags;
	void *p;

	if (unlikely(!size || size > BIT(ba->max_order))) {
		spin_lock_irqsave(&ba->lock, flags);
		ba->failures++;
		spin_unlock_irqrestore(&ba->lock, flags);
		return NULL;
	}
	order = max_t(unsigned int, fls(size - 1), ba->min_order);

	spin_lock_irqsave(&ba->lock, flags);
	for (;;) {
		p = alloc_locked(ba, order, size);
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
	if (off & (BIT(ba->min_order) - 1))
		return "interior pointer";
	b = r->map[off >> ba->min_order];
	if (!(b & BA_HEAD))
		return "interior pointer";
	if (!(b & BA_LIVE))
		return "double free or free of a free block";
	return NULL;
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
	struct buddy_region *r;
	const char *why;
	unsigned long flags;
	unsigned int order;
	size_t off;
	u8 *head;

	if (unlikely(!ptr))
		return 0;
	spin_lock_irqsave(&ba->lock, flags);
	r = find_region_locked(ba, ptr);
	if (unlikely(!r)) {
		ba->invalid_frees++;
		spin_unlock_irqrestore(&ba->lock, flags);
		ap_report_invalid(&ba->ap, "free of a foreign pointer", false,
				  0);
		return -EINVAL;
	}
	off = (u8 *)ptr - r->base;
	head = &r->map[off >> ba->min_order];
	if (unlikely((off & (BIT(ba->min_order) - 1)) ||
		     (*head & (BA_HEAD | BA_LIVE)) != (BA_HEAD | BA_LIVE) ||
		     !canaries_ok(r))) {
		why = bad_free_reason_locked(ba, r, ptr);
		ba->invalid_frees++;
		spin_unlock_irqrestore(&ba->lock, flags);
		ap_report_invalid(&ba->ap, why, true, off);
		return -EINVAL;
	}
	order = *head & BA_ORDER;
	ba->requested_bytes -= BIT(order) -
			       (take_slack(head, order - ba->min_order) <<
				ba->min_order);
	ba->live_blocks--;
	ba->frees++;
	release_block_locked(ba, r, off, order);
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
		if (!(off & (BIT(ba->min_order) - 1)) &&
		    (b & (BA_HEAD | BA_LIVE)) == (BA_HEAD | BA_LIVE))
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
static int frag_index_locked(struct buddy_arena *ba)
{
	unsigned long blocks = 0;
	u64 units, scaled;
	unsigned int k;

	lockdep_assert_held(&ba->lock);
	for (k = ba->min_order; k <= ba->max_order; k++)
		blocks += ba->nr_free[k];
	if (!blocks)
		return 0;
	if (ba->nr_free[ba->max_order])
		return -1000;
	units = ba->free_bytes >> ba->min_order;
	scaled = (units * 1000) >> (ba->max_order - ba->min_order);
	return 1000 - (int)div64_ul(1000 + scaled, blocks);
}

/**
 * buddy_arena_stats() - a consistent snapshot of an arena's counters
 * @ba: the arena
 * @st: filled in
 *
 * requested_bytes sums the sizes asked for by the live blocks, each rounded
 * up to 2^min_order.
 *
 * Context: any context, hard IRQ included.
 */
void buddy_arena_stats(struct buddy_arena *ba, struct buddy_arena_stats *st)
{
	unsigned long flags;

	memset(st, 0, sizeof(*st));
	spin_lock_irqsave(&ba->lock, flags);
	st->size = ba->size;
	st->free_bytes = ba->free_bytes;
	st->allocated_bytes = ba->size - ba->free_bytes;
	st->requested_bytes = ba->requested_bytes;
	st->largest_free = ba->avail ? BIT(__fls(ba->avail)) : 0;
	st->regions = ba->nr_regions;
	st->min_order = ba->min_order;
	st->max_order = ba->max_order;
	st->live_blocks = ba->live_blocks;
	memcpy(st->free_blocks, ba->nr_free, sizeof(st->free_blocks));
	st->frag_index = frag_index_locked(ba);
	st->allocs = ba->allocs;
	st->frees = ba->frees;
	st->failures = ba->failures;
	st->invalid_frees = ba->invalid_frees;
	spin_unlock_irqrestore(&ba->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_stats, ALLOCPOOLS_NS);

/*
 * Walk every block of every region and check the whole arena against its
 * counters and free lists; log the first thing that is wrong.  Tests call
 * it after every mutation.  O(size / 2^min_order).
 */
static bool __maybe_unused buddy_check_locked(struct buddy_arena *ba)
{
	unsigned long nr_free[BUDDY_ARENA_ORDERS] = { 0 };
	size_t total = 0, free_total = 0, off, unit = BIT(ba->min_order);
	unsigned long live = 0, avail = 0, n;
	struct list_head *e;
	unsigned int i, k;

	lockdep_assert_held(&ba->lock);
	for (i = 0; i < ba->nr_regions; i++) {
		struct buddy_region *r = ba->regions[i];
		size_t rfree = 0;

		if (!canaries_ok(r)) {
			pr_err("check: region %u canary\n", i);
			return false;
		}
		if (i && ba->regions[i - 1]->base + ba->regions[i - 1]->size >
			 r->base) {
			pr_err("check: regions %u and %u overlap\n", i - 1, i);
			return false;
		}
		for (off = 0; off < r->size; off += BIT(k)) {
			u8 b = r->map[off >> ba->min_order];
			size_t u, units, slack_end;

			k = b & BA_ORDER;
			if (!(b & BA_HEAD) || k < ba->min_order ||
			    k > ba->max_order || (off & (BIT(k) - 1)) ||
			    off + BIT(k) > r->size ||
			    (b & ~(BA_HEAD | BA_LIVE | BA_ORDER))) {
				pr_err("check: region %u offset %zu: bad block %#x\n",
				       i, off, b);
				return false;
			}
			units = BIT(k - ba->min_order);
			slack_end = (b & BA_LIVE) ? min_t(size_t, units, 5) : 1;
			for (u = 1; u < units; u++) {
				u8 x = r->map[(off >> ba->min_order) + u];

				if (u < slack_end ? (x & BA_HEAD) : x) {
					pr_err("check: region %u offset %zu: unit %zu is %#x\n",
					       i, off, u, x);
					return false;
				}
			}
			if (b & BA_LIVE) {
				live++;
				continue;
			}
			nr_free[k]++;
			rfree += BIT(k);
			if (k < ba->max_order && (off ^ BIT(k)) < r->size &&
			    r->map[(off ^ BIT(k)) >> ba->min_order] ==
			    (BA_HEAD | k)) {
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
		if (rfree != r->free_bytes) {
			pr_err("check: region %u free %zu, counted %zu\n", i,
			       rfree, r->free_bytes);
			return false;
		}
		total += r->size;
		free_total += rfree;
		if (r->size & (unit - 1))
			return false;
	}
	for (k = 0; k < BUDDY_ARENA_ORDERS; k++) {
		n = 0;
		list_for_each(e, &ba->free_area[k]) {
			struct buddy_region *r = find_region_locked(ba, e);

			if (!r || r->map[((u8 *)e - r->base) >> ba->min_order] !=
			    (BA_HEAD | k)) {
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
	    free_total != ba->free_bytes || live != ba->live_blocks ||
	    ba->requested_bytes > ba->size - ba->free_bytes ||
	    ba->requested_bytes < live * unit) {
		pr_err("check: counters: avail %#lx/%#lx size %zu/%zu free %zu/%zu live %lu/%lu\n",
		       avail, ba->avail, total, ba->size, free_total,
		       ba->free_bytes, live, ba->live_blocks);
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
