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
 * and buddy_arena_stats() never sleep and may be called from any context,
 * hard IRQ included, on PREEMPT_RT too; the one exception is an allocation
 * with BUDDY_ARENA_GROW and a gfp that allows blocking, which may sleep to
 * add a region.  Process context only: buddy_arena_create(),
 * buddy_arena_destroy() (which takes no lock: nothing else may run on the
 * arena then), buddy_arena_add_region(), the give-back work, and the
 * invariant walk the tests use (buddy_check_locked(), O(size) under the
 * lock, never called outside tests).
 *
 * Locking: ba->lock is a raw_spinlock_t taken with irqsave; it guards the
 * free lists, every region's order map, the region table pointer and the
 * counters.  Nothing under it sleeps, allocates, frees or touches
 * more than a few words of block memory.  Worst-case hold times, bounds
 * that do not grow with the size of the arena or of its blocks:
 *
 *   alloc, free    O(max_order - min_order) list operations (a split or a
 *                  merge goes one order per step), each checking at most
 *                  two links against the order map, with an O(log regions)
 *                  region lookup for a link into another region; no block
 *                  memory is touched but the 16 bytes of links (poisoned
 *                  again after a merge) of the blocks split or merged;
 *                  cutting a damaged list off is O(1)
 *   block_size     one O(log regions) region lookup and one map byte
 *   stats          a drain of every CPU's cache first (one hold per CPU,
 *                  as below), then a copy of the per-order counts
 *                  (BUDDY_ARENA_ORDERS words) and of every CPU's cache
 *                  counters, each cache lock taken in turn and held to the
 *                  end: O(nr_cpu_ids)
 *   cache refill   at most BA_PCP_BATCH takes off the free lists (fewer
 *                  when blocks are carved from a larger one), and a map
 *                  byte per block
 *   cache flush    BA_PCP_BATCH frees of the general path, or one when
 *                  they make up one aligned block
 *   drain          one CPU's cache per hold: at most BA_PCP_ORDERS *
 *                  BA_PCP_MAX frees of the general path
 *
 * A CPU's cache lock (struct ap_pcp_lock) is taken after the arena lock,
 * never before; see pcp_lock().
 *   growth, add_region, give-back
 *                  O(max_order - min_order) links and a pointer swap; the
 *                  region, its order map, its own list of max_order blocks
 *                  and the new region table are all made outside the lock
 *
 * Reports of bad frees and damage are printed, and the give-back work
 * queued, once the lock is dropped.
 *
 * The per-CPU front.  Blocks of the primary region of the orders a small
 * request takes, from min_order up to 4 KiB (2^BA_PCP_TOP bytes), below
 * max_order and at most BA_PCP_ORDERS of them (nine: 16 B to 4 KiB at
 * min_order 4; a live block of the ninth order above min_order has a
 * slack that still fits one map byte); none in poison mode, are freed
 * into, and allocated from, a cache of the CPU: per order a stack of at
 * most BA_PCP_MAX block pointers (struct ba_pcpu), out of any client's
 * reach, so the arena lock is not taken while a cache has a block or
 * room.  Its lock is an arch_spinlock_t taken with hard interrupts off,
 * inline (see pcp_lock(): correct on PREEMPT_RT, where a local_lock would
 * sleep and hard IRQ callers must be served); the fast paths only ever
 * trylock their own CPU's and leave a lock held by another CPU (stats, a
 * drain) to the locked path.  An empty cache takes BA_PCP_BATCH blocks off
 * the free lists, the same blocks in the same order as that many
 * allocations would, but carved from the smallest larger free block in
 * one take where the order's own list is empty (pcp_take_locked()); a
 * full one gives its BA_PCP_BATCH oldest back, merging as frees do, or as
 * one block when they make up one aligned block (pcp_flush_locked()); each
 * under one hold of the arena lock, taken before any cache lock.  A cached
 * block is held in the order map (BA_HELD), so a free of it is refused in
 * O(1) as a double free, and holds no link, so a write after free into it
 * damages nothing of the arena's; with KASAN it stays poisoned.  A free of
 * a live block of a cached order turns its map byte from live to held with
 * one atomic step (map_claim()) before anything else is written: of two
 * frees racing without the arena lock exactly one wins, and the locked
 * path refuses a live block of a cached order, since it only gets there
 * having seen it held or lost that race.
 *
 * How cached blocks count.  buddy_arena_stats() drains every cache first,
 * so a quiet arena's stats are those of the merged arena; a block cached
 * again meanwhile is a free block of its order in them (free_blocks,
 * free_bytes, largest_free), unmerged; allocations
 * and frees through a cache count as any other (each cache counts its
 * own, with its share of the slack).  buddy_arena_stats() takes the arena
 * lock and then every CPU's cache lock, and reads all before it lets go,
 * so no block moves between a cache, a client and the free lists while it
 * reads: the snapshot is exact, whenever it is taken.  The caches are
 * drained (every block merged back) before the arena grows or an
 * allocation failure is reported (the failing path drains every CPU's
 * cache and tries again), when a CPU is dead (a CPU hotplug state, run on
 * the CPU that took it down), and on destroy.  (The arena has no
 * compaction.)  Only the primary region's blocks are cached, so a grown
 * region still becomes entirely free, and is given back, without a
 * drain.  The most a cache holds is BA_PCP_MAX blocks of each order:
 * 32 * (16 + 32 + .. + 4096) bytes, some 256 KiB per CPU at min_order 4.
 *
 * Poisoning and poison checks (BUDDY_ARENA_POISON, blocks up to 1 GiB) run
 * outside the lock on a block "in transit": a free takes the block out of
 * the live set under the lock (so a second free of it is refused), poisons
 * it unlocked and retakes the lock to merge it; an allocation takes a block
 * off the free lists under the lock, checks it unlocked and retakes the
 * lock to hand it out.  A block in transit is neither free nor live: it is
 * "held" (see the counters below).
 *
 * ba->grow_lock, a mutex, serializes every change to the region table:
 * growth, buddy_arena_add_region() and the give-back work.  Growth happens
 * only when the caller's gfp may block, one grower at a time; the others
 * wait on the mutex and retry the allocation before they grow in turn.
 * Regions are allocated with GFP_KERNEL inside the memalloc scope the
 * caller's gfp asks for (ap_memalloc_save()).  A region that becomes
 * entirely free (never the first) is taken out and vfree'd by a work item,
 * never inside a free; destroy cancels that work before it frees anything.
 *
 * Memory layout.  Block metadata lives outside the blocks, in a separate
 * allocation per region: one byte per 2^min_order unit (the order map), a
 * zero sentinel byte, and two canary words around them that every free
 * checks.
 *
 *   region (vmalloc)  |<------ 2^k ------>|<- 2^(k-1) ->|<-2^j->| .. |tail|
 *                     | free: links ..... |    live     | held  |    |    |
 *
 *   struct buddy_region  [canary][H|k 0 0 .. 0][H|L|k-1 s 0 ..][H|S|j ..][0][canary]
 *
 * The byte of a block's first unit holds BA_HEAD and the order, plus
 * BA_LIVE when allocated, or BA_SLACK alone (BA_HELD) when the block is
 * held: in transit, or cut off after corruption.  Other bytes have BA_HEAD
 * clear.  They are zero, except that a live block that was asked for less
 * than its size rounded down to a unit has BA_SLACK in its first byte and
 * that difference ("slack", in units) in the next byte (blocks of up to
 * 2^BA_SLACK_NARROW units) or the next four, seven bits each, so that
 * requested_bytes can be derived without storing sizes anywhere else.  The
 * sentinel after the last unit lets a block test its buddy without a bounds
 * check: a buddy that would start at the region's end reads the sentinel,
 * which is never a free block's first byte.
 *
 * Free lists.  A free block holds its two list links in its first 16
 * bytes; the prev link is stored encoded as SLUB's hardened free lists
 * store theirs, with a secret of the block's order and its own address
 * (see prev_of()), the next link plain.
 * The out-of-band order map makes every link checkable: before a link read
 * from a block is followed it must be the list's head or the start of a
 * block that the order map says is free and of the list's order (which
 * also places it inside a region of the arena, aligned to the order), and
 * that block must link back.  A client that writes over a free block (a
 * write after free) therefore never makes the arena follow, or write
 * through, its data.  A head's links are the arena's own, stored only once
 * checked.  Damage found when taking a block off a list cuts that whole
 * list off at once, without walking it: its blocks keep their free tag but
 * belong to no list any more, and count as held for good; the order gets a
 * new secret, so that their prev links never check out again and none of
 * them is ever handed out, merged or given back.  Damage found at a buddy
 * only stops the merge.  Each is counted in corruptions and, reported like
 * a bad free, in invalid_frees.  The
 * max_order blocks of a region other than the primary one are on a list of
 * that region's own, so that the region can be taken out in
 * O(max_order - min_order) steps however many such blocks it has; all
 * other blocks are on one list per order.  (Encoding the next link as
 * well measured at 12% to 23% more instructions per allocation and free;
 * the map and back-link checks are what keep a damaged link from being
 * followed, the encoding what makes a forged prev link fail them.)
 *
 * What a client's memory bug does to an arena.  All the arena's metadata
 * but the two links of a free block lives outside the blocks, in the order
 * map and the arena and region structs, where no client write reaches
 * (a write past a region's end is not the arena's to see; the map's
 * canaries catch a stray write into the map at the next free).  So:
 *
 *   caught    any write over a free block's links (a write after free, or
 *             an overflow from the live block before it) that makes them
 *             fail the checks above: data, addresses of blocks or list
 *             heads, links encoded with another secret or copied from
 *             another slot.  The list is cut off, or the merge skipped,
 *             counted in corruptions and invalid_frees, one rate-limited
 *             message names the arena and the offset; the allocation that
 *             found it fails (the next one is served from what is left),
 *             the block is never handed out, merged or given back, and its
 *             region never vfree'd.  With BUDDY_ARENA_POISON, any write
 *             into a free block past its links, found when the block is
 *             handed out again (it is refilled and freed again, counted).
 *   missed    a write that leaves the links as they were, or writes back
 *             exactly the values they held (a next link must name the
 *             block whose prev link names this one, so no other value
 *             passes; a prev link that passes needs the secret); without
 *             poisoning, a write into a free block past its first 16
 *             bytes, which the arena never reads; a write into a live
 *             block, which is its owner's, not the arena's.  Even then the arena only ever
 *             follows a link to a free block of the list's order in one
 *             of its regions, so it never writes outside its own blocks.
 *
 * Cost: allocation and free take O(max_order - min_order) steps: a bitmask
 * of non-empty free lists picks the order, and splitting or merging goes one
 * order per step.  A pointer is found in its region by one range check for
 * the region made by create (the "primary" one) and by binary search in a
 * table sorted by address for the others.  buddy_arena_alloc() and
 * buddy_arena_free() send a cached order to the per-CPU front, and the
 * rest to alloc_locked() and free_locked() (inline both), which handle
 * inline the common case: a block of the primary
 * region, taken from the list of its own order (no split) or freed next to
 * a buddy that is not free (no merge), with no slack or a one-byte slack.
 * Everything else (splits, merges, other regions, poison mode, wide slack,
 * errors, growth) goes to a general path out of line.  Only what cannot be
 * derived is counted per call: free bytes come from the per-order counts,
 * live blocks from allocs minus frees, requested bytes from the slack and
 * held totals.
 */

#define pr_fmt(fmt) "allocpools: " fmt

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/cpuhotplug.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/poison.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include <allocpools/buddy_arena.h>
#include "allocpools_internal.h"
#include "allocpools_kasan.h"
#include "allocpools_pcp.h"
#include "allocpools_trace.h"

#define BA_FLAGS	(BUDDY_ARENA_GROW | BUDDY_ARENA_POISON)

/* Order-map byte of a block's first unit; other units have BA_HEAD clear. */
#define BA_HEAD		0x80
#define BA_LIVE		0x40
#define BA_SLACK	0x20
#define BA_ORDER	0x1f
#define BA_LIVE_HEAD	(BA_HEAD | BA_LIVE)
/* Neither free nor live: in transit, or cut off after corruption. */
#define BA_HELD		(BA_HEAD | BA_SLACK)
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
/* A full-period LCG step gives an order a new secret after a cut. */
#define BA_REKEY_MUL	6364136223846793005ULL

/*
 * The per-CPU front: the BA_PCP_ORDERS lowest orders, below max_order and
 * no larger than 2^BA_PCP_TOP bytes, are cached per CPU, BA_PCP_MAX blocks
 * per order at most, moved to and from the free lists BA_PCP_BATCH at a
 * time under one hold of the arena lock.
 */
#define BA_PCP_ORDERS	9
#define BA_PCP_TOP	12
#define BA_PCP_MAX	32
#define BA_PCP_BATCH	16
#define BA_PCP_BATCH_SHIFT	4
static_assert(BA_PCP_BATCH == 1 << BA_PCP_BATCH_SHIFT);
static_assert(BA_PCP_MAX >= 2 * BA_PCP_BATCH);
/* A cached block's slack fits the one byte the fast paths write. */
static_assert(BA_PCP_ORDERS - 1 <= BA_SLACK_NARROW);

/**
 * struct ba_link - the list links a free block keeps in its first bytes
 * @next: the next block or the list head
 * @prev: the previous block or the list head, encoded (see prev_of())
 *
 * List heads are struct ba_link too, encoded the same way, so that a link
 * is decoded alike wherever it points.  Unsigned longs, so that no link is
 * followed without going through the accessors.
 */
struct ba_link {
	unsigned long next;
	unsigned long prev;
};

/**
 * struct ba_order - the free blocks of one order
 * @head: the LIFO list of free blocks of the order, below max_order (those
 *	of max_order are on their region's list)
 * @key: the secret the list's prev links are encoded with
 * @nr_free: free blocks of the order on the lists, all regions'
 *
 * Together, so that the inline paths reach all three from one address.
 */
struct ba_order {
	struct ba_link head;
	unsigned long key;
	unsigned long nr_free;
};

/**
 * struct ba_pcp_stack - one CPU's cached free blocks of one order
 * @n: the blocks in @blocks
 * @blocks: free blocks of the primary region, the most recently freed on
 *	top (@blocks[@n - 1])
 */
struct ba_pcp_stack {
	unsigned int n;
	u8 *blocks[BA_PCP_MAX];
};

/**
 * struct ba_pcpu - one CPU's cache of free blocks of the lowest orders
 * @lock: guards everything below; taken alone on the fast paths, inside the
 *	arena lock everywhere else
 * @slack_units: the slack added by allocations from this cache less the
 *	slack taken by frees into it (wraps; only the sum over all CPUs and
 *	the arena's own count means anything)
 * @allocs: allocations served from this cache
 * @frees: frees into this cache
 * @st: per cached order, from min_order up, its stack of free blocks
 *
 * An array in the per-CPU area, out of any client's reach: a cached block
 * holds no link, and nothing is read from it.  Its order-map byte says
 * held (BA_HELD), so a free of it is refused at once.
 */
struct ba_pcpu {
	struct ap_pcp_lock lock;	/* guards the cache */
	unsigned long slack_units;
	u64 allocs;
	u64 frees;
	struct ba_pcp_stack st[BA_PCP_ORDERS];
};

/**
 * struct buddy_region - one vmalloc'd region and its order map
 * @base: the page-aligned memory handed out in blocks
 * @size: usable bytes, a multiple of 2^min_order
 * @units: @size in 2^min_order units: entries of @map before the sentinel
 * @free_bytes: bytes of @base in blocks tagged free (cut-off ones included);
 *	not kept for the primary region
 * @top: the region's free blocks of max_order
 * @nr_top: blocks on @top
 * @top_node: on the arena's @top_regions while @top is not empty
 * @idle_node: on the arena's @idle list, or empty
 * @primary: the region made by create, never given back
 * @tainted: @top was cut off after corruption: never given back
 * @id: the region's number in the trace events, from the arena's @next_id
 * @canary_tail: the BA_CANARY that follows @map
 * @canary_head: BA_CANARY, right before @map
 * @map: one byte per 2^min_order unit, then a zero sentinel; see the top
 *
 * Everything but @base's contents is guarded by the arena's lock, and
 * @base, @size, @units and @map's address do not change while the region
 * is in the arena.
 */
struct buddy_region {
	u8 *base;
	size_t size;
	unsigned long units;
	size_t free_bytes;
	struct ba_link top;
	unsigned long nr_top;
	struct list_head top_node;
	struct list_head idle_node;
	bool primary;
	bool tainted;
	unsigned int id;
	u32 *canary_tail;
	u32 canary_head;
	u8 map[];
};

/**
 * struct buddy_arena - a buddy allocator
 * @lock: guards everything below but the constants, @grow_lock, @reclaim
 *	and @ap
 * @min_order: smallest block order (constant)
 * @max_order: largest block order (constant)
 * @unit_mask: 2^min_order - 1 (constant)
 * @avail: bit k set when a free list of order k is not empty
 * @primary: the region made by create (constant)
 * @fast_base: @primary's base (constant)
 * @fast_map: @primary's order map (constant)
 * @fast_units: @primary's units, or 0 in poison mode, which sends every
 *	call to the general path (constant)
 * @slack_units: sum of the live blocks' slack, in 2^min_order units, but
 *	for the per-CPU caches' share (see struct ba_pcpu)
 * @allocs: successful allocations but those served by a per-CPU cache
 * @frees: successful frees but those into a per-CPU cache
 * @pcp: the per-CPU caches (constant pointer)
 * @pcp_end: orders below it, from min_order up, are cached per CPU;
 *	min_order when none are (constant)
 * @pcp_live_end: BA_LIVE_HEAD + @pcp_end: a map byte less BA_SLACK
 *	below it is not of a live block of an uncached order (constant)
 * @orders: per order, its free list (below max_order), secret and count
 * @held_units: units in held blocks: in transit, or cut off
 * @top_regions: regions whose own list of max_order blocks is not empty
 * @nr_own: blocks on the regions' own lists, counted in @orders[max_order]
 *	too
 * @idle: regions that may have become entirely free, for @reclaim
 * @flags: BUDDY_ARENA_* (constant)
 * @grow_size: size of a region added by growth (constant)
 * @regions: the regions, sorted by address; replaced whole, under
 *	@grow_lock and @lock
 * @nr_regions: entries in @regions
 * @size: usable bytes in all regions
 * @failures: allocations that returned NULL
 * @invalid_frees: rejected frees, and damage found (reported alike)
 * @corruptions: damage found: poison mismatches, damaged free-list links
 * @rekey: odd increment of the step that gives an order a new secret
 *	(constant)
 * @top_key: the secret of the regions' own lists (constant)
 * @grow_lock: serializes changes to the region table (growth, add_region,
 *	give-back), taken before @lock
 * @next_id: the next region's id (under @grow_lock)
 * @reclaim: gives back regions that became entirely free
 * @cpuhp_node: on the CPU hotplug state that drains a dead CPU's cache
 * @ap: the core's part: name, debugfs directory
 *
 * The fields the inline paths use come first.
 */
struct buddy_arena {
	raw_spinlock_t lock;	/* guards all but the constants */
	unsigned int min_order;
	unsigned int max_order;
	unsigned long unit_mask;
	unsigned long avail;
	struct buddy_region *primary;
	u8 *fast_base;
	u8 *fast_map;
	unsigned long fast_units;
	unsigned long slack_units;
	u64 allocs;
	u64 frees;
	struct ba_pcpu __percpu *pcp;
	unsigned int pcp_end;
	unsigned int pcp_live_end;
	struct ba_order orders[BUDDY_ARENA_ORDERS];
	unsigned long held_units;
	struct list_head top_regions;
	unsigned long nr_own;
	struct list_head idle;
	unsigned int flags;
	size_t grow_size;
	struct buddy_region **regions;
	unsigned int nr_regions;
	size_t size;
	u64 failures;
	u64 invalid_frees;
	u64 corruptions;
	unsigned long rekey;
	unsigned long top_key;
	struct mutex grow_lock;	/* serializes region table changes */
	unsigned int next_id;
	struct work_struct reclaim;
	struct hlist_node cpuhp_node;
	struct ap_pool ap;
};

/*
 * What a call found that is reported, or started, once the lock is
 * dropped: BA_DMG_* bits in @what (only they need setting up front), the
 * offsets of a damaged list link and of a block whose poison was
 * overwritten.
 */
struct ba_damage {
	unsigned int what;
	size_t link_off;
	size_t poison_off;
};

#define BA_DMG_LINK	BIT(0)	/* a free-list link damaged */
#define BA_DMG_HEAD	BIT(1)	/* a free-list head damaged (our own bug) */
#define BA_DMG_POISON	BIT(2)	/* poison overwritten in a free block */
#define BA_DMG_IDLE	BIT(3)	/* a region may have become entirely free */
/*
 * release_block_locked() returns what it found in one word: BA_DMG_LINK
 * and BA_DMG_IDLE, and the offset of a damaged link above them.
 */
#define BA_DMG_SHIFT	4

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

/*
 * A free block's prev link, and a list head's, is stored encoded as SLUB's
 * hardened free lists store theirs (ap_link_encode()): XORed with the
 * secret of the list's order and with the byte-swapped address of the slot
 * itself.  The order's secret changes when a list of that order is cut off
 * (see cut_list_locked()): a block of the old list then decodes to an
 * address that fails the checks, and a client's write over a prev link,
 * data or an address, decodes to one that fails them unless it reproduces
 * the encoding exactly.  The next link is stored plain: encoding it as
 * well cost 12% to 23% more instructions per allocation and free in every
 * userspace benchmark, and it is never followed unchecked either: it must
 * name a block the order map says is free and of the list's order, whose
 * (encoded) prev link names the block it was read from.  @key is taken
 * all the same, so that every link is read and written alike.
 */
static __always_inline struct ba_link *next_of(const struct ba_link *b,
					       unsigned long key)
{
	return (struct ba_link *)ap_kasan_get_ulong(b->next);
}

static __always_inline void set_next(struct ba_link *b, const struct ba_link *to,
				     unsigned long key)
{
	ap_kasan_set_ulong(b->next, (unsigned long)to);
}

static __always_inline struct ba_link *prev_of(const struct ba_link *b,
					       unsigned long key)
{
	return ap_link_decode(key, &b->prev, ap_kasan_get_ulong(b->prev));
}

static __always_inline void set_prev(struct ba_link *b, const struct ba_link *to,
				     unsigned long key)
{
	ap_kasan_set_ulong(b->prev, ap_link_encode(key, &b->prev, to));
}

static void link_init(struct ba_link *head, unsigned long key)
{
	set_next(head, head, key);
	set_prev(head, head, key);
}

/* Put @b first on the list at @head. */
static __always_inline void push_block(struct ba_link *head, struct ba_link *b,
				       unsigned long key)
{
	struct ba_link *first = next_of(head, key);

	set_next(b, first, key);
	set_prev(b, head, key);
	set_prev(first, b, key);
	set_next(head, b, key);
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
	unsigned long p = (unsigned long)ptr;
	unsigned int lo = 0, hi;

	lockdep_assert_held(&ba->lock);
	if (likely(p - (unsigned long)r->base < r->size))
		return r;
	/* Find the last region whose base is <= p. */
	hi = ba->nr_regions;
	while (hi - lo > 1) {
		unsigned int mid = lo + (hi - lo) / 2;

		if ((unsigned long)ba->regions[mid]->base <= p)
			lo = mid;
		else
			hi = mid;
	}
	r = ba->regions[lo];
	if (p - (unsigned long)r->base >= r->size)
		return NULL;
	return r;
}

/*
 * Whether the free blocks of order @k of @r are on @r's own list: those of
 * max_order of every region but the primary one, so that the region can be
 * taken out in bounded time.  The primary region is never taken out.
 */
static __always_inline bool own_list(const struct buddy_arena *ba,
				     const struct buddy_region *r,
				     unsigned int k)
{
	return k == ba->max_order && !r->primary;
}

static struct ba_link *list_head_of(struct buddy_arena *ba,
				    struct buddy_region *r, unsigned int k)
{
	return own_list(ba, r, k) ? &r->top : &ba->orders[k].head;
}

static unsigned long list_key_of(struct buddy_arena *ba,
				 struct buddy_region *r, unsigned int k)
{
	return own_list(ba, r, k) ? ba->top_key : ba->orders[k].key;
}

/*
 * Whether @p, a decoded link of a list of order @k whose head is @head, may
 * be followed: the head itself, or the start of a block the order map says
 * is free and of order @k, in region @r when given (the max_order lists are
 * per region), else in any region of the arena.  @p is never dereferenced.
 */
static bool link_ok_locked(struct buddy_arena *ba, const struct ba_link *p,
			   unsigned int k, const struct ba_link *head,
			   struct buddy_region *r)
{
	unsigned long off;

	lockdep_assert_held(&ba->lock);
	if (p == head)
		return true;
	if (!r)
		r = find_region_locked(ba, p);
	if (!r)
		return false;
	off = (unsigned long)p - (unsigned long)r->base;
	return off < r->size && !(off & (BIT(k) - 1)) &&
	       r->map[off >> ba->min_order] == (BA_HEAD | k);
}

/*
 * Whether @b, a block of @r that the order map says is free and of order
 * @k, is soundly linked: both its links may be followed and link back.
 */
static bool links_sound_locked(struct buddy_arena *ba, struct buddy_region *r,
			       struct ba_link *b, unsigned int k)
{
	struct buddy_region *same = own_list(ba, r, k) ? r : NULL;
	struct ba_link *head = list_head_of(ba, r, k);
	unsigned long key = list_key_of(ba, r, k);
	struct ba_link *n = next_of(b, key);
	struct ba_link *p = prev_of(b, key);

	lockdep_assert_held(&ba->lock);
	return n != b && p != b &&
	       link_ok_locked(ba, n, k, head, same) &&
	       link_ok_locked(ba, p, k, head, same) &&
	       prev_of(n, key) == b && next_of(p, key) == b;
}

/* One block fewer on the lists of order @k (@r's own, see own_list()). */
static __always_inline void count_unlinked_locked(struct buddy_arena *ba,
						  struct buddy_region *r,
						  unsigned int k)
{
	lockdep_assert_held(&ba->lock);
	if (own_list(ba, r, k)) {
		ba->nr_own--;
		if (!--r->nr_top)
			list_del_init(&r->top_node);
	}
	if (!--ba->orders[k].nr_free)
		__clear_bit(k, &ba->avail);
}

/* Take @b, which links_sound_locked() passed, off its list. */
static void unlink_block_locked(struct buddy_arena *ba, struct buddy_region *r,
				struct ba_link *b, unsigned int k)
{
	unsigned long key = list_key_of(ba, r, k);
	struct ba_link *n = next_of(b, key);
	struct ba_link *p = prev_of(b, key);

	lockdep_assert_held(&ba->lock);
	set_prev(n, p, key);
	set_next(p, n, key);
	count_unlinked_locked(ba, r, k);
}

/*
 * Whether @p is a block of @r that the order map tags @tag (free, of one
 * order): unit-aligned and in range in one comparison, then the map byte.
 * A free head of order k only ever stands at an offset aligned to 2^k, so
 * the tag also checks the alignment to the order.
 */
static __always_inline bool tagged_in(const struct buddy_region *r,
				      const void *p, unsigned int min, u8 tag)
{
	unsigned long idx = unit_index((unsigned long)p - (unsigned long)r->base,
				       min);

	return idx < r->units && r->map[idx] == tag;
}

/* unit_index() of @p in the primary region. */
static __always_inline unsigned long fast_index(const struct buddy_arena *ba,
						const void *p)
{
	return unit_index((unsigned long)p - (unsigned long)ba->fast_base,
			  ba->min_order);
}

/* Put @b first on the list of order @k < max_order. */
static __always_inline void push_free_locked(struct buddy_arena *ba,
					     struct ba_link *b, unsigned int k)
{
	lockdep_assert_held(&ba->lock);
	push_block(&ba->orders[k].head, b, ba->orders[k].key);
	ba->orders[k].nr_free++;
	__set_bit(k, &ba->avail);
}

/* Make the block at unit @idx of @r a free block of @order, first on its list. */
static __always_inline void link_free_locked(struct buddy_arena *ba,
					     struct buddy_region *r,
					     unsigned long idx,
					     unsigned int order)
{
	struct ba_link *b = (struct ba_link *)(r->base + (idx << ba->min_order));

	lockdep_assert_held(&ba->lock);
	r->map[idx] = BA_HEAD | order;
	if (likely(!own_list(ba, r, order))) {
		push_free_locked(ba, b, order);
		return;
	}
	push_block(&r->top, b, ba->top_key);
	ba->nr_own++;
	if (!r->nr_top++)
		list_add_tail(&r->top_node, &ba->top_regions);
	ba->orders[order].nr_free++;
	__set_bit(order, &ba->avail);
}

/*
 * The list of order @k (@top's own list of max_order blocks when @top is
 * set) is damaged: take all its blocks off the books at once, without
 * walking it.  They keep their free tag in the order map but are on no
 * list any more, and count as held from now on.  The order gets a new
 * secret, so their links never check out again: none of them is ever
 * merged, handed out or unlinked.  A max_order block never merges and its
 * region is tainted (never given back), so a region's own list needs no
 * new secret.
 */
static void cut_list_locked(struct buddy_arena *ba, unsigned int k,
			    struct buddy_region *top)
{
	struct ba_link *head = &ba->orders[k].head;
	unsigned long n = ba->orders[k].nr_free;

	lockdep_assert_held(&ba->lock);
	/* The arena's max_order list: the primary region's blocks only. */
	if (k == ba->max_order)
		n -= ba->nr_own;
	if (top) {
		n = top->nr_top;
		ba->nr_own -= n;
		top->nr_top = 0;
		top->tainted = true;
		list_del_init(&top->top_node);
		head = &top->top;
	} else {
		ba->orders[k].key = ba->orders[k].key * BA_REKEY_MUL + ba->rekey;
	}
	ba->orders[k].nr_free -= n;
	if (!ba->orders[k].nr_free)
		__clear_bit(k, &ba->avail);
	ba->held_units += n << (k - ba->min_order);
	link_init(head, top ? ba->top_key : ba->orders[k].key);
	/* Reported like a bad free, and counted as damage. */
	ba->invalid_frees++;
	ba->corruptions++;
}

/*
 * The buddy at @off ^ 2^@order of @r, unlinked, is absorbed: returns the
 * offset of the merged block, the lower of the two.
 */
static __always_inline unsigned long absorb_locked(struct buddy_arena *ba,
						   struct buddy_region *r,
						   unsigned long off,
						   unsigned long bit)
{
	lockdep_assert_held(&ba->lock);
	/*
	 * The upper half's first bytes may hold stale links (its own, or
	 * those of a lower buddy absorbed earlier): they are inside the
	 * merged block now.
	 */
	if (unlikely(ba->flags & BUDDY_ARENA_POISON))
		ap_kasan_memset(r->base + (off | bit), POISON_FREE,
				sizeof(struct ba_link));
	r->map[(off | bit) >> ba->min_order] = 0;
	return off & ~bit;
}

/*
 * Link the merged block at @off of @order; BA_DMG_IDLE if the give-back
 * work should look at @r.
 */
static __always_inline unsigned long release_done_locked(struct buddy_arena *ba,
							 struct buddy_region *r,
							 unsigned long off,
							 unsigned int order)
{
	lockdep_assert_held(&ba->lock);
	link_free_locked(ba, r, off >> ba->min_order, order);
	if (unlikely(!r->primary && r->free_bytes == r->size) &&
	    (ba->flags & BUDDY_ARENA_GROW) && list_empty(&r->idle_node)) {
		list_add_tail(&r->idle_node, &ba->idle);
		return BA_DMG_IDLE;
	}
	return 0;
}

/*
 * The rest of release_block_locked() from the merge with the buddy at
 * @off ^ 2^@order on, whose links point into another region or are
 * damaged: each link looked up in every region.
 */
static noinline unsigned long release_far_locked(struct buddy_arena *ba,
						 struct buddy_region *r,
						 unsigned long off,
						 unsigned int order)
{
	unsigned int min = ba->min_order;
	unsigned long ret = 0;
	struct ba_link *b;

	lockdep_assert_held(&ba->lock);
	for (; order < ba->max_order; order++) {
		if (r->map[(off ^ BIT(order)) >> min] != (BA_HEAD | order))
			break;
		b = (void *)(r->base + (off ^ BIT(order)));
		if (!links_sound_locked(ba, r, b, order)) {
			/* Leave the damaged block alone: no merge. */
			ba->invalid_frees++;
			ba->corruptions++;
			ret = BA_DMG_LINK | (off ^ BIT(order)) << BA_DMG_SHIFT;
			break;
		}
		unlink_block_locked(ba, r, b, order);
		off = absorb_locked(ba, r, off, BIT(order));
	}
	return ret | release_done_locked(ba, r, off, order);
}

/*
 * Put the block at unit @idx of @r, live or held until now and already out
 * of the counts, back on the free lists, merging it with its buddy as long
 * as the buddy is free, of the same order and soundly linked.  Buddies
 * whose neighbours are in @r or the list head are checked and unlinked
 * inline, with nothing called; the rest goes to release_far_locked().
 * Returns what there is to report (BA_DMG_SHIFT), usually 0.
 */
static unsigned long release_block_locked(struct buddy_arena *ba,
					  struct buddy_region *r,
					  unsigned long idx, unsigned int order)
{
	unsigned int min = ba->min_order, top = BA_HEAD | ba->max_order;
	unsigned long off = idx << min, bit = BIT(order);
	unsigned int tag = BA_HEAD | order;
	struct ba_link *b, *n, *p;
	struct ba_order *o;

	lockdep_assert_held(&ba->lock);
	if (!r->primary)
		r->free_bytes += bit;

	/* No bounds check on the buddy: see the sentinel at the top. */
	for (o = &ba->orders[order];
	     tag < top && r->map[(off ^ bit) >> min] == tag; tag++, o++) {
		b = (void *)(r->base + (off ^ bit));
		n = next_of(b, o->key);
		p = prev_of(b, o->key);
		if (unlikely((n != &o->head && !tagged_in(r, n, min, tag)) ||
			     (p != &o->head && !tagged_in(r, p, min, tag)) ||
			     prev_of(n, o->key) != b || next_of(p, o->key) != b))
			return release_far_locked(ba, r, off, tag & BA_ORDER);
		set_prev(n, p, o->key);
		set_next(p, n, o->key);
		if (!--o->nr_free)
			__clear_bit(tag & BA_ORDER, &ba->avail);
		off = absorb_locked(ba, r, off, bit);
		bit <<= 1;
	}
	return release_done_locked(ba, r, off, tag & BA_ORDER);
}

/* The block at unit @idx of @r, of @order, off the lists, becomes held. */
static void hold_block_locked(struct buddy_arena *ba, struct buddy_region *r,
			      unsigned long idx, unsigned int order)
{
	lockdep_assert_held(&ba->lock);
	r->map[idx] = BA_HELD | order;
	ba->held_units += BIT(order - ba->min_order);
}

/*
 * The first block @b of the list at @head (order @j; @top's own list when
 * @top is set) failed the inline checks of take_block_locked(): look again,
 * in every region.  Returns 0 if its links are sound after all, to be
 * unlinked as usual; 1 if @b is sound but the block after it is damaged
 * (its prev link is no link at all): @b has been taken off and the rest of
 * the list cut off; -EFAULT if @b's own next link is damaged, or does not
 * agree with the block it names: the list, @b with it, has been cut off.
 */
static noinline int take_check_locked(struct buddy_arena *ba,
				      struct ba_link *head, struct ba_link *b,
				      unsigned int j, struct buddy_region *top,
				      struct ba_damage *dmg)
{
	struct buddy_region *r = top ?: find_region_locked(ba, b);
	unsigned long key = top ? ba->top_key : ba->orders[j].key;
	struct ba_link *n;

	lockdep_assert_held(&ba->lock);
	if (!r || !tagged_in(r, b, ba->min_order, BA_HEAD | j)) {
		/* Only the arena writes a head: this is its own bug. */
		WARN_ON_ONCE(1);
		cut_list_locked(ba, j, top);
		dmg->what |= BA_DMG_HEAD;
		return -EFAULT;
	}
	dmg->link_off = (u8 *)b - r->base;
	n = next_of(b, key);
	if (n != b && link_ok_locked(ba, n, j, head, top)) {
		if (prev_of(n, key) == b)
			return 0;
		if (!link_ok_locked(ba, prev_of(n, key), j, head, top)) {
			/* The next block was written over, not @b. */
			count_unlinked_locked(ba, r, j);
			cut_list_locked(ba, j, top);
			dmg->what |= BA_DMG_LINK;
			return 1;
		}
	}
	/* A caller wrote over @b's links: it is held now. */
	r->map[((u8 *)b - r->base) >> ba->min_order] = BA_HELD | j;
	if (!r->primary)
		r->free_bytes -= BIT(j);
	cut_list_locked(ba, j, top);
	dmg->what |= BA_DMG_LINK;
	return -EFAULT;
}

/*
 * Take a free block of at least @order off the free lists and split it down
 * to @order; its region goes in *@rp.  The block is on no list and no
 * longer counted free, but still tagged free of @order: the caller tags it
 * live or held before it drops the lock.  Returns NULL when no block is
 * large enough, ERR_PTR(-EFAULT) when the list it came from was damaged
 * (it has been cut off, @dmg says where).
 */
static __always_inline u8 *take_block_locked(struct buddy_arena *ba,
					     unsigned int order,
					     struct buddy_region **rp,
					     struct ba_damage *dmg)
{
	unsigned long avail = ba->avail >> order, idx, half, key;
	unsigned int j, min = ba->min_order;
	struct buddy_region *r, *top = NULL;
	struct ba_link *head, *b, *n;
	int ret;

	lockdep_assert_held(&ba->lock);
	if (unlikely(!avail))
		return NULL;
	j = order + __ffs(avail);
	head = &ba->orders[j].head;
	key = ba->orders[j].key;
	/* The primary region's max_order blocks first, then the others'. */
	if (unlikely(j == ba->max_order) && next_of(head, key) == head) {
		top = list_first_entry(&ba->top_regions, struct buddy_region,
				       top_node);
		head = &top->top;
		key = ba->top_key;
	}
	/* The first block is unlinked through @head, not its own prev link. */
	b = next_of(head, key);
	n = next_of(b, key);
	r = ba->primary;
	if (unlikely(top || !tagged_in(r, b, min, BA_HEAD | j) ||
		     (n != head && !tagged_in(r, n, min, BA_HEAD | j)) ||
		     prev_of(n, key) != b)) {
		ret = take_check_locked(ba, head, b, j, top, dmg);
		if (ret < 0)
			return ERR_PTR(-EFAULT);
		r = top ?: find_region_locked(ba, b);
		if (ret)
			goto split;
	}
	set_next(head, n, key);
	set_prev(n, head, key);
	if (unlikely(top)) {
		ba->nr_own--;
		if (!--top->nr_top)
			list_del_init(&top->top_node);
	}
	if (!--ba->orders[j].nr_free)
		__clear_bit(j, &ba->avail);

split:
	/*
	 * @j is the smallest order >= @order with a free block, so each order
	 * from @order to @j - 1 gets its first free block here, one upper half.
	 */
	idx = ((u8 *)b - r->base) >> min;
	for (half = BIT(j); j > order; ) {
		j--;
		half >>= 1;
		r->map[idx + (half >> min)] = BA_HEAD | j;
		push_free_locked(ba, (struct ba_link *)((u8 *)b + half), j);
	}
	r->map[idx] = BA_HEAD | order;
	if (!r->primary)
		r->free_bytes -= BIT(order);
	*rp = r;
	return (u8 *)b;
}

static bool poison_ok(const u8 *block, unsigned int order)
{
	size_t skip = sizeof(struct ba_link);

	if (BIT(order) <= skip)
		return true;
	return !ap_kasan_memchr_inv(block + skip, POISON_FREE, BIT(order) - skip);
}

/* The same for the invariant walk, a page at a time. */
static bool __maybe_unused poison_ok_paged(const u8 *block, unsigned int order)
{
	size_t off = sizeof(struct ba_link), len;

	for (; off < BIT(order); off += len) {
		len = min_t(size_t, BIT(order) - off, PAGE_SIZE);
		if (ap_kasan_memchr_inv(block + off, POISON_FREE, len))
			return false;
	}
	return true;
}

static void region_free(struct buddy_region *r)
{
	if (!r)
		return;
	vfree(r->base);
	kvfree(r);
}

/* Bytes of a region's metadata, or SIZE_MAX past what kvmalloc() takes. */
static size_t region_meta_bytes(size_t units)
{
	size_t bytes = struct_size((struct buddy_region *)NULL, map,
				   size_add(map_bytes(units), sizeof(u32)));

	return bytes > INT_MAX ? SIZE_MAX : bytes;
}

/*
 * Allocate a region of @size bytes and carve it: its order map, and its
 * max_order blocks on its own list.  Nothing of the arena is touched but
 * the constant secret of the regions' own lists (or, for the primary
 * region, made before the arena is visible to anyone, the max_order one),
 * so this runs without the lock.
 */
static struct buddy_region *region_new(struct buddy_arena *ba, size_t size,
				       bool primary)
{
	size_t units = size >> ba->min_order, usable, off, rem;
	unsigned int k, max = ba->max_order;
	/* The primary's go to the arena's list (see own_list()), now empty. */
	unsigned long key = primary ? ba->orders[max].key : ba->top_key;
	struct buddy_region *r;
	u8 *base;

	usable = units << ba->min_order;
	/* The data first: an impossible size fails there, cheaply. */
	base = __vmalloc(usable, GFP_KERNEL | __GFP_NOWARN);
	if (!base)
		return NULL;
	r = kvzalloc(region_meta_bytes(units), GFP_KERNEL | __GFP_NOWARN);
	if (!r) {
		vfree(base);
		return NULL;
	}
	r->base = base;
	r->primary = primary;
	r->size = usable;
	r->units = units;
	r->free_bytes = usable;
	r->canary_head = BA_CANARY;
	r->canary_tail = (u32 *)(r->map + map_bytes(units));
	*r->canary_tail = BA_CANARY;
	INIT_LIST_HEAD(&r->top_node);
	INIT_LIST_HEAD(&r->idle_node);
	link_init(&r->top, key);
	if (ba->flags & BUDDY_ARENA_POISON)
		ap_kasan_memset(base, POISON_FREE, usable);
	ap_kasan_free(base, usable);

	for (off = 0, rem = usable; rem >> ba->min_order; off += BIT(k),
	     rem -= BIT(k)) {
		k = carve_order(ba, rem);
		r->map[off >> ba->min_order] = BA_HEAD | k;
		if (k < max)
			continue;
		/* In address order: the first block is handed out first. */
		push_block(prev_of(&r->top, key),
			   (struct ba_link *)(base + off), key);
		r->nr_top++;
	}
	return r;
}

/*
 * The block of order @k < max_order that @r was carved into past its
 * max_order blocks, or NULL: a region has one such block per set bit of
 * its size, largest first, so the block of order @k starts where the
 * size rounded down to 2^(k + 1) ends.
 */
static inline struct ba_link *tail_block(const struct buddy_region *r,
					 unsigned int k)
{
	if (!(r->size & BIT(k)))
		return NULL;
	return (struct ba_link *)(r->base + round_down(r->size, BIT(k + 1)));
}

/*
 * Link the blocks of @r below max_order (one per set bit of its size, at
 * most max_order - min_order) and its list of max_order blocks into the
 * arena.
 */
static void splice_region_locked(struct buddy_arena *ba,
				 struct buddy_region *r)
{
	unsigned int k, max = ba->max_order;

	lockdep_assert_held(&ba->lock);
	for (k = max; k-- > ba->min_order; ) {
		struct ba_order *o = &ba->orders[k];
		struct ba_link *b = tail_block(r, k);
		struct ba_link *last = prev_of(&o->head, o->key);

		if (!b)
			continue;
		/*
		 * Last on the list: older regions' blocks go out first.  The
		 * last block's next link is the head, so it is not read (a
		 * client may have written over it).
		 */
		set_next(b, &o->head, o->key);
		set_prev(b, last, o->key);
		set_next(last, b, o->key);
		set_prev(&o->head, b, o->key);
		o->nr_free++;
		__set_bit(k, &ba->avail);
	}
	if (r->primary) {
		/* Its whole list onto the arena's, which is empty yet. */
		struct ba_link *head = &ba->orders[max].head;
		struct ba_link *first = next_of(&r->top, ba->orders[max].key);
		struct ba_link *last = prev_of(&r->top, ba->orders[max].key);

		if (r->nr_top) {
			set_next(head, first, ba->orders[max].key);
			set_prev(first, head, ba->orders[max].key);
			set_next(last, head, ba->orders[max].key);
			set_prev(head, last, ba->orders[max].key);
			ba->orders[max].nr_free += r->nr_top;
			r->nr_top = 0;
			__set_bit(max, &ba->avail);
		}
		link_init(&r->top, ba->top_key);
	} else if (r->nr_top) {
		list_add_tail(&r->top_node, &ba->top_regions);
		ba->orders[max].nr_free += r->nr_top;
		ba->nr_own += r->nr_top;
		__set_bit(max, &ba->avail);
	}
	ba->size += r->size;
	if (r->primary) {
		ba->primary = r;
		ba->fast_base = r->base;
		ba->fast_map = r->map;
		if (!(ba->flags & BUDDY_ARENA_POISON))
			ba->fast_units = r->units;
	}
}

/*
 * Add @r to the arena: a new table with it in place, made outside the lock
 * (the table does not change while @grow_lock is held), swapped in under
 * it with the region's blocks.
 */
static int region_insert(struct buddy_arena *ba, struct buddy_region *r)
{
	unsigned int i, n = ba->nr_regions;
	struct buddy_region **table;
	unsigned long flags;

	lockdep_assert_held(&ba->grow_lock);
	table = kmalloc_array(n + 1, sizeof(*table), GFP_KERNEL | __GFP_NOWARN);
	if (!table)
		return -ENOMEM;
	r->id = ba->next_id++;
	for (i = 0; i < n && ba->regions[i]->base < r->base; i++)
		table[i] = ba->regions[i];
	table[i] = r;
	for (; i < n; i++)
		table[i + 1] = ba->regions[i];

	raw_spin_lock_irqsave(&ba->lock, flags);
	swap(ba->regions, table);
	ba->nr_regions = n + 1;
	splice_region_locked(ba, r);
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	kfree(table);
	return 0;
}

/*
 * Add a region of @size bytes, allocating as a caller with @gfp may: in
 * the memalloc scope it asks for.
 */
static int add_region(struct buddy_arena *ba, size_t size, bool primary,
		      gfp_t gfp)
{
	struct buddy_region *r;
	unsigned int scope;
	int ret = -ENOMEM;

	lockdep_assert_held(&ba->grow_lock);
	scope = ap_memalloc_save(gfp);
	r = region_new(ba, size, primary);
	if (r) {
		ret = region_insert(ba, r);
		if (ret)
			region_free(r);
		else if (!primary)	/* the primary's pool is not named yet */
			trace_allocpools_grow(&ba->ap, r->id, r->size);
	}
	ap_memalloc_restore(gfp, scope);
	return ret;
}

/*
 * Whether @r can be given back: not the primary, nothing tainted, and every
 * block it was carved into free, of its carved order and soundly on its
 * list (a cut-off block is not).  O(max_order - min_order).
 */
static bool region_idle_locked(struct buddy_arena *ba, struct buddy_region *r)
{
	unsigned int k, max = ba->max_order;
	struct ba_link *b;

	lockdep_assert_held(&ba->lock);
	if (r->primary || r->tainted || r->free_bytes != r->size ||
	    r->nr_top != r->size >> max)
		return false;
	for (k = max; k-- > ba->min_order; ) {
		b = tail_block(r, k);
		if (!b)
			continue;
		if (r->map[((u8 *)b - r->base) >> ba->min_order] !=
		    (BA_HEAD | k) || !links_sound_locked(ba, r, b, k))
			return false;
	}
	return true;
}

/* Take the blocks of @r, which region_idle_locked() passed, off the lists. */
static void detach_region_locked(struct buddy_arena *ba,
				 struct buddy_region *r)
{
	unsigned int k, max = ba->max_order;
	struct ba_link *b;

	lockdep_assert_held(&ba->lock);
	for (k = max; k-- > ba->min_order; ) {
		b = tail_block(r, k);
		if (b)
			unlink_block_locked(ba, r, b, k);
	}
	if (r->nr_top) {
		list_del_init(&r->top_node);
		ba->orders[max].nr_free -= r->nr_top;
		ba->nr_own -= r->nr_top;
		if (!ba->orders[max].nr_free)
			__clear_bit(max, &ba->avail);
	}
	ba->size -= r->size;
}

/*
 * The give-back work: each region on the idle list is checked under the
 * lock and, if it is still entirely free, taken out with a table made
 * beforehand without it, then vfree'd.  Each lock hold is
 * O(max_order - min_order).
 */
static void reclaim_work(struct work_struct *work)
{
	struct buddy_arena *ba = container_of(work, struct buddy_arena,
					      reclaim);
	struct buddy_region *r, **table;
	unsigned int i, j, n;
	unsigned long flags;
	bool gone;

	mutex_lock(&ba->grow_lock);
	for (;;) {
		raw_spin_lock_irqsave(&ba->lock, flags);
		r = list_first_entry_or_null(&ba->idle, struct buddy_region,
					     idle_node);
		raw_spin_unlock_irqrestore(&ba->lock, flags);
		if (!r)
			break;
		/*
		 * Never the primary, so there is one region left at least.
		 * Without memory for the table the region stays on the list,
		 * for the next time the work runs.
		 */
		n = ba->nr_regions;
		table = kmalloc_array(n - 1, sizeof(*table), GFP_KERNEL);
		if (!table)
			break;
		for (i = 0, j = 0; i < n; i++)
			if (ba->regions[i] != r)
				table[j++] = ba->regions[i];

		raw_spin_lock_irqsave(&ba->lock, flags);
		list_del_init(&r->idle_node);
		gone = region_idle_locked(ba, r);
		if (gone) {
			detach_region_locked(ba, r);
			swap(ba->regions, table);
			ba->nr_regions = n - 1;
		}
		raw_spin_unlock_irqrestore(&ba->lock, flags);
		kfree(table);
		if (gone) {
			trace_allocpools_give_back(&ba->ap, r->id, r->size);
			region_free(r);
		}
	}
	mutex_unlock(&ba->grow_lock);
}

/* Add what release_block_locked() returned to @dmg. */
static void damage_add(struct ba_damage *dmg, unsigned long found)
{
	dmg->what |= found & (BA_DMG_LINK | BA_DMG_IDLE);
	if (found & BA_DMG_LINK)
		dmg->link_off = found >> BA_DMG_SHIFT;
}

/* Report what a call found once the lock is dropped; start the give-back. */
static noinline void damage_report_slow(struct buddy_arena *ba,
					const struct ba_damage *dmg)
{
	if (dmg->what & BA_DMG_POISON)
		ap_report_invalid(&ba->ap, "poison overwritten in free block",
				  true, dmg->poison_off);
	if (dmg->what & BA_DMG_LINK)
		ap_report_corruption(&ba->ap, "free-list link damaged",
				     dmg->link_off);
	if (dmg->what & BA_DMG_HEAD)
		ap_report_corruption(&ba->ap, "free-list head damaged", 0);
	if (dmg->what & BA_DMG_IDLE)
		schedule_work(&ba->reclaim);
}

static __always_inline void damage_report(struct buddy_arena *ba,
					  const struct ba_damage *dmg)
{
	if (unlikely(dmg->what))
		damage_report_slow(ba, dmg);
}

/*
 * The caches' locks: allocpools_pcp.h's, the arena lock taken first.
 */
static struct lock_class_key ba_pcp_key;

static void pcp_lock_init(struct ba_pcpu *pc)
{
	ap_pcp_lock_init(&pc->lock, "buddy_arena_pcp", &ba_pcp_key);
}

/* Take @pc's lock, hard interrupts off; @nest: the arena lock, if held. */
static __always_inline void pcp_lock(struct ba_pcpu *pc,
				     raw_spinlock_t *nest)
{
	ap_pcp_lock(&pc->lock, nest);
}

/* Take this CPU's @pc's lock if it is free (see ap_pcp_trylock()). */
static __always_inline bool pcp_trylock(struct ba_pcpu *pc)
{
	return ap_pcp_trylock(&pc->lock);
}

static __always_inline void pcp_unlock(struct ba_pcpu *pc)
{
	ap_pcp_unlock(&pc->lock);
}

static __always_inline void pcp_unlock_this(struct ba_pcpu *pc,
					    unsigned long flags)
{
	pcp_unlock(pc);
	local_irq_restore(flags);
}

/*
 * Turn the order-map byte at @m from @old into @new in one atomic step,
 * so that of two frees of one block racing without the arena lock exactly
 * one wins; false when the byte is not @old.  A byte cmpxchg where the
 * architecture has one (x86, arm64; userspace); elsewhere a cmpxchg on the
 * byte's aligned 32-bit word (the map is u32-aligned, see struct
 * buddy_region), where stores to the other bytes of the word, made under
 * the lock, only make the step retry.
 */
static_assert(offsetof(struct buddy_region, map) % sizeof(u32) == 0);

static __always_inline bool map_claim(u8 *m, u8 old, u8 new)
{
#if defined(CONFIG_X86) || defined(CONFIG_ARM64) || defined(_AP_SHIM_H)
	/* One byte on its own where the architecture has a byte cmpxchg. */
	return try_cmpxchg(m, &old, new);
#else
	u32 *w = (u32 *)((unsigned long)m & ~3UL);
	unsigned int i = (unsigned long)m & 3;
	union { u32 w; u8 b[4]; } cur, want;

	cur.w = READ_ONCE(*w);
	do {
		if (cur.b[i] != old)
			return false;
		want.w = cur.w;
		want.b[i] = new;
	} while (!try_cmpxchg(w, &cur.w, want.w));
	return true;
#endif
}

/*
 * The cached block @p of @order in @pc becomes live, for a request rounded
 * up to a unit, minus one, of @x.  Only its owner writes a held block's
 * map bytes; the arena lock's holders may read them (as held, then live:
 * neither is free, so no merge or list check is misled).
 */
static __always_inline void pcp_hand_out(struct buddy_arena *ba,
					 struct ba_pcpu *pc, u8 *p,
					 unsigned long x, unsigned int order)
{
	u8 *m = &ba->fast_map[(p - ba->fast_base) >> ba->min_order];
	u8 b = BA_LIVE_HEAD | order;

	lockdep_assert_held(&pc->lock);
	if (unlikely(x & (x + 1))) {
		unsigned long slack = (BIT(order) - 1 - x) >> ba->min_order;

		/* At most BA_SLACK_NARROW orders above min: one slack byte. */
		m[1] = slack;
		pc->slack_units += slack;
		b |= BA_SLACK;
	}
	WRITE_ONCE(*m, b);
	pc->allocs++;
}

/*
 * Put @p of @r, held and out of every count, back on the free lists,
 * merging it as a free does.
 */
static void pcp_put_back_locked(struct buddy_arena *ba, struct buddy_region *r,
				u8 *p, unsigned int order, struct ba_damage *dmg)
{
	lockdep_assert_held(&ba->lock);
	damage_add(dmg, release_block_locked(ba, r, (p - r->base) >>
					     ba->min_order, order));
}

/*
 * Put the cached blocks @blocks[0..@n) of @order back on the free lists,
 * merging them as a free does.  They are out of every count already.
 */
static void pcp_release_locked(struct buddy_arena *ba, u8 *const *blocks,
			       unsigned int n, unsigned int order,
			       struct ba_damage *dmg)
{
	struct buddy_region *r = ba->primary;
	unsigned int i;

	lockdep_assert_held(&ba->lock);
	for (i = 0; i < n; i++)
		pcp_put_back_locked(ba, r, blocks[i], order, dmg);
}

/*
 * Give the BA_PCP_BATCH oldest blocks of @pc's full cache of order
 * min_order + @k back to the free lists, merging them as frees do, and
 * move the rest down.  When they are the whole of one aligned block of
 * BA_PCP_BATCH times their size (a refill's carve come back, as after a
 * burst of allocations freed in turn), that block is released at once:
 * the BA_PCP_BATCH - 1 merges the frees would make, done by clearing their
 * map bytes.  The blocks are distinct (no block is ever cached twice), so
 * BA_PCP_BATCH of them inside one such block are all of it.
 */
static void pcp_flush_locked(struct buddy_arena *ba, struct ba_pcpu *pc,
			     unsigned int k, struct ba_damage *dmg)
{
	unsigned int min = ba->min_order, order = min + k;
	unsigned int group = order + BA_PCP_BATCH_SHIFT, i;
	u8 **s = pc->st[k].blocks;
	unsigned long first = s[0] - ba->fast_base;

	lockdep_assert_held(&ba->lock);
	lockdep_assert_held(&pc->lock);
	for (i = 1; i < BA_PCP_BATCH; i++)
		if (((s[i] - ba->fast_base) ^ first) >> group)
			break;
	if (i == BA_PCP_BATCH && group <= ba->max_order) {
		for (i = 0; i < BA_PCP_BATCH; i++)
			ba->fast_map[(s[i] - ba->fast_base) >> min] = 0;
		first &= ~(BIT(group) - 1);
		damage_add(dmg, release_block_locked(ba, ba->primary,
						     first >> min, group));
	} else {
		pcp_release_locked(ba, s, BA_PCP_BATCH, order, dmg);
	}
	/* BA_PCP_MAX is twice BA_PCP_BATCH: the newest half moves down. */
	memcpy(s, s + BA_PCP_BATCH, BA_PCP_BATCH * sizeof(*s));
	pc->st[k].n = BA_PCP_BATCH;
}

/*
 * Drain @cpu's cache: every block back on the free lists, under one hold
 * of the arena lock (at most BA_PCP_ORDERS * BA_PCP_MAX releases).
 */
static void pcp_drain_cpu(struct buddy_arena *ba, unsigned int cpu)
{
	struct ba_pcpu *pc = per_cpu_ptr(ba->pcp, cpu);
	struct ba_damage dmg;
	unsigned long flags;
	unsigned int k;

	dmg.what = 0;
	raw_spin_lock_irqsave(&ba->lock, flags);
	pcp_lock(pc, &ba->lock);
	for (k = 0; k < BA_PCP_ORDERS; k++) {
		pcp_release_locked(ba, pc->st[k].blocks, pc->st[k].n,
				   ba->min_order + k, &dmg);
		pc->st[k].n = 0;
	}
	pcp_unlock(pc);
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	damage_report(ba, &dmg);
}

/*
 * Drain every CPU's cache, one at a time: before the arena grows or
 * reports an allocation failure, before the stats are read, on destroy.
 * Entered without the lock.
 */
static void pcp_drain_all(struct buddy_arena *ba)
{
	unsigned int cpu;

	if (ba->pcp_end == ba->min_order)
		return;
	for_each_possible_cpu(cpu)
		pcp_drain_cpu(ba, cpu);
}

/*
 * Take every CPU's cache lock, with the arena lock held, for a snapshot
 * of the caches that no fast path changes meanwhile (stats, the
 * invariant walk).  One lockdep entry for all of them: see nest_lock.
 */
static void pcp_lock_all(struct buddy_arena *ba)
{
	unsigned int cpu;

	lockdep_assert_held(&ba->lock);
	for_each_possible_cpu(cpu)
		pcp_lock(per_cpu_ptr(ba->pcp, cpu), &ba->lock);
}

static void pcp_unlock_all(struct buddy_arena *ba)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		pcp_unlock(per_cpu_ptr(ba->pcp, cpu));
}

static noinline int free_slow_locked(struct buddy_arena *ba, void *ptr,
				     unsigned long flags);

/*
 * pcp_free() lost its claim, or found the map's canaries smashed: the
 * locked path refuses the free and says why.
 */
static noinline int pcp_free_refused(struct buddy_arena *ba, void *ptr)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&ba->lock, flags);
	return free_slow_locked(ba, ptr, flags);
}

/*
 * pcp_free() found this CPU's cache of @order full, or its lock held by
 * another CPU (stats, a drain): with interrupts off since pcp_free() saved
 * them in @flags, under the arena lock, the cache's BA_PCP_BATCH oldest
 * blocks go back if it is still full (pcp_flush_locked()), then @ptr,
 * claimed and out of the live counts but for this cache's, is pushed.
 */
static noinline int pcp_free_locked(struct buddy_arena *ba, u8 *ptr,
				    unsigned int order, unsigned long slack,
				    unsigned long flags)
{
	unsigned int k = order - ba->min_order;
	struct ba_pcp_stack *st;
	struct ba_damage dmg;
	struct ba_pcpu *pc;

	dmg.what = 0;
	raw_spin_lock(&ba->lock);
	pc = this_cpu_ptr(ba->pcp);
	pcp_lock(pc, &ba->lock);
	st = &pc->st[k];
	if (st->n == BA_PCP_MAX)
		pcp_flush_locked(ba, pc, k, &dmg);
	st->blocks[st->n++] = ptr;
	pc->frees++;
	pc->slack_units -= slack;
	pcp_unlock(pc);
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	damage_report(ba, &dmg);
	return 0;
}

/*
 * A free into this CPU's cache of @ptr, a block of the primary region at
 * unit @idx whose map byte was seen as @b: live, of a cached order.  The
 * byte turns held in one atomic step before anything else is written, so
 * a second free of the block, racing or later, is refused; then its slack
 * goes, its KASAN shadow is poisoned (the cache holds poisoned blocks
 * only) and it is pushed.  When the step loses (a racing free won, or the
 * block is no longer what @b says) or the map's canaries are smashed,
 * nothing is written and the locked path refuses the free.  Everything
 * but the push is out of line, tail calls: inline in buddy_arena_free(),
 * with nothing called, it costs fewer instructions than out of line.
 */
static __always_inline int pcp_free(struct buddy_arena *ba, u8 *ptr,
				    unsigned long idx, u8 b)
{
	unsigned int order = b & BA_ORDER;
	u8 *m = &ba->fast_map[idx];
	unsigned long slack = 0, flags;
	struct ba_pcp_stack *st;
	struct ba_pcpu *pc;

	if (unlikely(!canaries_ok(ba->primary) ||
		     !map_claim(m, b, BA_HELD | order)))
		return pcp_free_refused(ba, ptr);
	/* The block is this free's alone: only its claimer writes its bytes. */
	if (b & BA_SLACK) {
		slack = m[1];
		m[1] = 0;
	}
	ap_kasan_free(ptr, BIT(order));

	local_irq_save(flags);
	pc = this_cpu_ptr(ba->pcp);
	if (unlikely(!pcp_trylock(pc)))
		return pcp_free_locked(ba, ptr, order, slack, flags);
	st = &pc->st[order - ba->min_order];
	if (unlikely(st->n == BA_PCP_MAX)) {
		pcp_unlock(pc);
		return pcp_free_locked(ba, ptr, order, slack, flags);
	}
	st->blocks[st->n++] = ptr;
	pc->frees++;
	pc->slack_units -= slack;
	pcp_unlock_this(pc, flags);
	return 0;
}

static noinline void *pcp_refill(struct buddy_arena *ba, size_t size,
				 unsigned long x, gfp_t gfp, unsigned long ip,
				 unsigned long flags);
static void ba_where(struct ap_pool *pool, const void *p, struct ap_where *w);

/*
 * An allocation of @size bytes (@x: rounded up to a unit, minus one) of a
 * cached order: popped from this CPU's cache; when it is empty, or its
 * lock held by another CPU, pcp_refill() takes over (a tail call).
 * Inline in buddy_arena_alloc(), as pcp_free() is; @ip is the caller's,
 * traced.
 */
static __always_inline void *pcp_alloc(struct buddy_arena *ba, size_t size,
				       unsigned long x, gfp_t gfp,
				       unsigned long ip)
{
	unsigned int order = __fls(x) + 1, n;
	struct ba_pcp_stack *st;
	struct ba_pcpu *pc;
	unsigned long flags;
	u8 *p;

	local_irq_save(flags);
	pc = this_cpu_ptr(ba->pcp);
	if (unlikely(!pcp_trylock(pc)))
		return pcp_refill(ba, size, x, gfp, ip, flags);
	st = &pc->st[order - ba->min_order];
	n = st->n;
	if (unlikely(!n)) {
		pcp_unlock(pc);
		return pcp_refill(ba, size, x, gfp, ip, flags);
	}
	p = st->blocks[--n];
	st->n = n;
	pcp_hand_out(ba, pc, p, x, order);
	pcp_unlock_this(pc, flags);
	/* The block is the caller's alone now: unpoisoned for @size bytes. */
	ap_kasan_alloc(p, size, BIT(order));
	ap_trace_alloc(&ba->ap, p, size, ba_where, ip);
	return p;
}

static void *alloc_general_locked(struct buddy_arena *ba, unsigned long x,
				  gfp_t gfp, unsigned long flags);

/*
 * Take up to BA_PCP_BATCH free blocks of @order of the primary region off
 * the free lists into @s, the first taken on top (@s[n - 1]), held in the
 * order map; returns how many.  They are the blocks, in the order, that
 * single takes would give: when the list of @order is empty, the largest
 * power of two of them still wanted that the smallest larger free block
 * holds are carved from it in one go (one take, split no further than
 * that, and a map byte each), rather than each split off in turn.  A
 * take that would start from a block of another region is not made: the
 * refill stops there.  *@last is what the last take returned (NULL, or an
 * ERR_PTR() for a damaged list).
 */
static unsigned int pcp_take_locked(struct buddy_arena *ba, u8 **s,
				    unsigned int order, u8 **last,
				    struct ba_damage *dmg)
{
	unsigned int min = ba->min_order, n = 0, c, i;
	struct buddy_region *r = NULL;
	unsigned long avail, idx;
	struct ba_link *head;
	u8 *p = NULL;

	lockdep_assert_held(&ba->lock);
	while (n < BA_PCP_BATCH) {
		avail = ba->avail >> order;
		if (!avail)
			break;
		/*
		 * The block a take would start from must be the primary
		 * region's: the head's link is the arena's own, trusted.  (An
		 * empty list of max_order, the others' blocks being on their
		 * regions' lists, gives the head: no block of the region.)
		 */
		c = __ffs(avail);
		head = &ba->orders[order + c].head;
		if (fast_index(ba, next_of(head, ba->orders[order + c].key)) >=
		    ba->fast_units)
			break;
		c = min_t(unsigned int, c, ilog2(BA_PCP_BATCH - n));
		p = take_block_locked(ba, order + c, &r, dmg);
		if (IS_ERR_OR_NULL(p))
			break;
		if (r != ba->primary) {
			pcp_put_back_locked(ba, r, p, order + c, dmg);
			break;
		}
		idx = (p - r->base) >> min;
		for (i = 0; i < BIT(c); i++) {
			r->map[idx + (i << (order - min))] = BA_HELD | order;
			s[BA_PCP_BATCH - 1 - n - i] = p + (i << order);
		}
		n += BIT(c);
	}
	if (n < BA_PCP_BATCH)
		memmove(s, s + BA_PCP_BATCH - n, n * sizeof(*s));
	*last = p;
	return n;
}

/*
 * pcp_alloc() found this CPU's cache empty, or its lock held by another
 * CPU: with interrupts off since it saved them in @flags, under the arena
 * lock, an empty cache is refilled with up to BA_PCP_BATCH blocks of the
 * primary region (pcp_take_locked()) and one handed out.  With nothing
 * cached, the general path takes over (it drains every cache before it
 * grows or fails).  A damaged list met on the first take fails the
 * allocation, as on the general path.
 */
static noinline void *pcp_refill(struct buddy_arena *ba, size_t size,
				 unsigned long x, gfp_t gfp, unsigned long ip,
				 unsigned long flags)
{
	unsigned int order = __fls(x) + 1, k = order - ba->min_order, n;
	struct ba_damage dmg;
	struct ba_pcpu *pc;
	u8 *p = NULL, **s;

	dmg.what = 0;
	raw_spin_lock(&ba->lock);
	pc = this_cpu_ptr(ba->pcp);
	pcp_lock(pc, &ba->lock);
	s = pc->st[k].blocks;
	/* Not empty when pcp_alloc() only found the lock held. */
	n = pc->st[k].n;
	if (!n)
		n = pcp_take_locked(ba, s, order, &p, &dmg);
	if (n) {
		p = s[--n];
		pc->st[k].n = n;
		pcp_hand_out(ba, pc, p, x, order);
		pcp_unlock(pc);
		raw_spin_unlock_irqrestore(&ba->lock, flags);
		damage_report(ba, &dmg);
		ap_kasan_alloc(p, size, BIT(order));
		goto out;
	}
	pcp_unlock(pc);
	if (IS_ERR(p)) {
		ba->failures++;
		raw_spin_unlock_irqrestore(&ba->lock, flags);
		damage_report(ba, &dmg);
		p = NULL;
		goto out;
	}
	/*
	 * No free block of the primary region: the general path (which
	 * drains the caches first if it must).
	 */
	p = alloc_general_locked(ba, x, gfp, flags);
	damage_report(ba, &dmg);
	if (p)
		ap_kasan_alloc(p, size, BIT(order));
out:
	ap_trace_alloc(&ba->ap, p, size, ba_where, ip);
	return p;
}

/*
 * CPU hotplug: a CPU that is dead drains its cache, from the CPU that took
 * it down.  One multi-instance state for all arenas, set up with the
 * module; -1 when there is none (then no CPU goes down, or the arena
 * drains before it grows or fails all the same).
 */
static int ba_cpuhp_state = -1;

static int ba_cpu_dead(unsigned int cpu, struct hlist_node *node)
{
	struct buddy_arena *ba = hlist_entry(node, struct buddy_arena,
					     cpuhp_node);

	pcp_drain_cpu(ba, cpu);
	return 0;
}

/**
 * buddy_arena_cpuhp_init() - set up the CPU hotplug state of the arenas
 *
 * Called once at module load, before any arena is created.
 *
 * Context: process context; may sleep.
 * Return: 0, or the -errno of ap_cpuhp_init().
 */
int buddy_arena_cpuhp_init(void)
{
	return ap_cpuhp_init(&ba_cpuhp_state, "allocpools/buddy:dead", ba_cpu_dead);
}

/**
 * buddy_arena_cpuhp_exit() - remove what buddy_arena_cpuhp_init() set up
 *
 * Context: process context, at module unload, once every arena is gone.
 */
void buddy_arena_cpuhp_exit(void)
{
	ap_cpuhp_exit(&ba_cpuhp_state);
}

/*
 * The per-CPU caches, and the orders they hold: none in poison mode (every
 * block is poisoned and checked on the general paths), none at max_order
 * (so a region's own list is never cached from), none above 2^BA_PCP_TOP.
 */
static int pcp_init(struct buddy_arena *ba)
{
	unsigned int cpu, end;

	ba->pcp = alloc_percpu(struct ba_pcpu);
	if (!ba->pcp)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		pcp_lock_init(per_cpu_ptr(ba->pcp, cpu));
	end = min_t(unsigned int, ba->min_order + BA_PCP_ORDERS,
		    min_t(unsigned int, ba->max_order, BA_PCP_TOP + 1));
	ba->pcp_end = ba->min_order;
	if (!(ba->flags & BUDDY_ARENA_POISON) && end > ba->min_order)
		ba->pcp_end = end;
	ba->pcp_live_end = BA_LIVE_HEAD + ba->pcp_end;
	return 0;
}

static bool order_args_valid(unsigned int min_order, unsigned int max_order)
{
	return min_order >= BUDDY_ARENA_MIN_ORDER && min_order <= max_order &&
	       max_order <= BUDDY_ARENA_MAX_ORDER;
}

/*
 * At least one block, and an order map kvmalloc() can hold (one byte per
 * unit, so at most 2^31 units): larger sizes could never be met.
 */
static bool region_size_valid(const struct buddy_arena *ba, size_t size)
{
	return size >= BIT(ba->min_order) &&
	       region_meta_bytes(size >> ba->min_order) != SIZE_MAX;
}

static const struct ap_kind buddy_kind;

/**
 * buddy_arena_create() - create a buddy arena over a vmalloc'd region
 * @name: the arena's name (1..31 characters of ``[A-Za-z0-9_.-]``)
 * @size: bytes of the first region; at least 2^@min_order, and at most
 *        2^(@min_order + 31) or so (the order map takes a byte per
 *        2^@min_order bytes)
 * @min_order: order of the smallest block, 4..@max_order
 * @max_order: order of the largest block, @min_order..30
 * @flags: BUDDY_ARENA_GROW, BUDDY_ARENA_POISON
 *
 * The region is carved into the largest blocks that fit, largest first,
 * down to 2^@min_order; a tail smaller than that is not used.  A refused
 * order, flag or size and a failed allocation are each logged once.
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
	if (!ap_name_valid(name))
		return ERR_PTR(-EINVAL);
	if (!order_args_valid(min_order, max_order) || (flags & ~BA_FLAGS)) {
		pr_warn("buddy/%s: orders %u..%u or flags %#x refused\n",
			name, min_order, max_order, flags);
		return ERR_PTR(-EINVAL);
	}

	ba = kzalloc(sizeof(*ba), GFP_KERNEL);
	if (!ba)
		return ERR_PTR(-ENOMEM);
	raw_spin_lock_init(&ba->lock);
	mutex_init(&ba->grow_lock);
	ba->min_order = min_order;
	ba->max_order = max_order;
	ba->unit_mask = BIT(min_order) - 1;
	ba->flags = flags;
	ba->rekey = get_random_long() | 1;
	ba->top_key = get_random_long();
	for (k = 0; k < BUDDY_ARENA_ORDERS; k++) {
		ba->orders[k].key = get_random_long();
		link_init(&ba->orders[k].head, ba->orders[k].key);
	}
	INIT_LIST_HEAD(&ba->top_regions);
	INIT_LIST_HEAD(&ba->idle);
	INIT_WORK(&ba->reclaim, reclaim_work);
	if (!region_size_valid(ba, size)) {
		pr_warn("buddy/%s: a region of %zu bytes cannot have blocks of 2^%u..2^%u bytes\n",
			name, size, min_order, max_order);
		ret = -EINVAL;
		goto free_arena;
	}
	ba->grow_size = size;
	ret = pcp_init(ba);
	if (ret)
		goto free_arena;

	mutex_lock(&ba->grow_lock);
	ret = add_region(ba, size, true, GFP_KERNEL);
	mutex_unlock(&ba->grow_lock);
	if (ret) {
		pr_warn("buddy/%s: no memory for a region of %zu bytes\n",
			name, size);
		goto free_arena;
	}
	if (ba_cpuhp_state >= 0) {
		ret = cpuhp_state_add_instance_nocalls(ba_cpuhp_state,
						       &ba->cpuhp_node);
		if (ret)
			goto free_region;
	}
	ret = ap_pool_register(&ba->ap, &buddy_kind, name);
	if (ret)
		goto remove_cpuhp;
	return ba;

remove_cpuhp:
	if (ba_cpuhp_state >= 0)
		cpuhp_state_remove_instance_nocalls(ba_cpuhp_state,
						    &ba->cpuhp_node);
free_region:
	region_free(ba->regions[0]);
	kfree(ba->regions);
free_arena:
	free_percpu(ba->pcp);
	mutex_destroy(&ba->grow_lock);
	kfree(ba);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_create, ALLOCPOOLS_NS);

/**
 * buddy_arena_destroy() - free an arena and all its regions
 * @ba: the arena; NULL and ERR_PTR values are ignored
 *
 * Blocks still allocated are freed with the arena, after one warning that
 * gives their number.  The give-back work is cancelled (and waited for)
 * before anything is freed.
 *
 * Context: process context; may sleep.  No other call on @ba may run
 * concurrently or follow.
 */
void buddy_arena_destroy(struct buddy_arena *ba)
{
	unsigned int i, cpu;

	if (IS_ERR_OR_NULL(ba))
		return;
	might_sleep();
	ap_pool_unregister(&ba->ap);
	if (ba_cpuhp_state >= 0)
		cpuhp_state_remove_instance_nocalls(ba_cpuhp_state,
						    &ba->cpuhp_node);
	cancel_work_sync(&ba->reclaim);
	/* Every cached block back on the lists, every count in the arena's. */
	pcp_drain_all(ba);
	for_each_possible_cpu(cpu) {
		struct ba_pcpu *pc = per_cpu_ptr(ba->pcp, cpu);

		ba->allocs += pc->allocs;
		ba->frees += pc->frees;
	}
	if (ba->allocs != ba->frees)
		ap_warn_live(&ba->ap, ba->allocs - ba->frees);
	for (i = 0; i < ba->nr_regions; i++)
		region_free(ba->regions[i]);
	kfree(ba->regions);
	free_percpu(ba->pcp);
	mutex_destroy(&ba->grow_lock);
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
 * been used and has become entirely free again.  A refused size and a
 * failed allocation are each logged once.
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL for a bad size, -ENOMEM when memory runs out.
 */
int buddy_arena_add_region(struct buddy_arena *ba, size_t size)
{
	int ret;

	might_sleep();
	if (!region_size_valid(ba, size)) {
		pr_warn("buddy/%s: a region of %zu bytes refused\n",
			ba->ap.name, size);
		return -EINVAL;
	}
	mutex_lock(&ba->grow_lock);
	ret = add_region(ba, size, false, GFP_KERNEL);
	mutex_unlock(&ba->grow_lock);
	if (ret)
		pr_warn("buddy/%s: no memory for a region of %zu bytes\n",
			ba->ap.name, size);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_add_region, ALLOCPOOLS_NS);

/* A request no block can satisfy: counted, never queued for growth. */
static noinline void *alloc_refused(struct buddy_arena *ba)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&ba->lock, flags);
	ba->failures++;
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	return NULL;
}

/*
 * The arena has no block of @order and the caller may block: one grower at
 * a time adds a region, the others wait for it and retry first.  Entered
 * and left without the lock; returns a held block (region in *@rp), NULL
 * or ERR_PTR(-EFAULT).
 */
static u8 *grow_and_take(struct buddy_arena *ba, unsigned int order,
			 gfp_t gfp, struct buddy_region **rp,
			 struct ba_damage *dmg)
{
	unsigned int tries = 0;
	unsigned long flags;
	u8 *p;

	mutex_lock(&ba->grow_lock);
	for (;;) {
		raw_spin_lock_irqsave(&ba->lock, flags);
		p = take_block_locked(ba, order, rp, dmg);
		if (!IS_ERR_OR_NULL(p))
			hold_block_locked(ba, *rp, (p - (*rp)->base) >>
					  ba->min_order, order);
		raw_spin_unlock_irqrestore(&ba->lock, flags);
		if (p || tries++ == BA_GROW_TRIES ||
		    add_region(ba, max_t(size_t, ba->grow_size, BIT(order)),
			       false, gfp))
			break;
	}
	mutex_unlock(&ba->grow_lock);
	return p;
}

/*
 * Check the poison of @p, a held block of @order in @r, with the lock
 * dropped (taken with *@flags).  A mismatch is counted and the block
 * repaired and freed again.  Returns with the lock held, whether it passed.
 */
static bool check_poison_unlocked(struct buddy_arena *ba,
				  struct buddy_region *r, u8 *p,
				  unsigned int order, unsigned long *flags,
				  struct ba_damage *dmg)
{
	unsigned long idx = (p - r->base) >> ba->min_order;
	bool ok;

	raw_spin_unlock_irqrestore(&ba->lock, *flags);
	ok = poison_ok(p, order);
	if (!ok)
		ap_kasan_memset(p, POISON_FREE, BIT(order));
	raw_spin_lock_irqsave(&ba->lock, *flags);
	if (ok)
		return true;
	ba->held_units -= BIT(order - ba->min_order);
	ba->invalid_frees++;
	ba->corruptions++;
	dmg->what |= BA_DMG_POISON;
	dmg->poison_off = p - r->base;
	damage_add(dmg, release_block_locked(ba, r, idx, order));
	return false;
}

/*
 * The rare ends of an allocation: growth and the poison check, which drop
 * the lock, and failure.  Entered with the lock held (taken with @flags)
 * and what take_block_locked() returned; drops the lock.
 */
static noinline void *alloc_finish_unlock(struct buddy_arena *ba, u8 *p,
					  struct buddy_region *r,
					  unsigned int order,
					  unsigned long slack, gfp_t gfp,
					  unsigned long flags,
					  struct ba_damage *dmg)
{
	unsigned long idx;

	lockdep_assert_held(&ba->lock);
	if (IS_ERR(p)) {
		/* A damaged list: cut off, reported below. */
	} else if (p) {
		/* Held while the lock is dropped for the poison check. */
		hold_block_locked(ba, r, (p - r->base) >> ba->min_order, order);
	} else if ((ba->flags & BUDDY_ARENA_GROW) &&
		   gfpflags_allow_blocking(gfp)) {
		raw_spin_unlock_irqrestore(&ba->lock, flags);
		p = grow_and_take(ba, order, gfp, &r, dmg);
		raw_spin_lock_irqsave(&ba->lock, flags);
	}
	if (IS_ERR_OR_NULL(p) || ((ba->flags & BUDDY_ARENA_POISON) &&
				  !check_poison_unlocked(ba, r, p, order,
							 &flags, dmg))) {
		ba->failures++;
		raw_spin_unlock_irqrestore(&ba->lock, flags);
		damage_report(ba, dmg);
		return NULL;
	}
	idx = (p - r->base) >> ba->min_order;
	ba->held_units -= BIT(order - ba->min_order);
	r->map[idx] = BA_LIVE_HEAD | order;
	put_slack(&r->map[idx], order - ba->min_order, slack);
	ba->slack_units += slack;
	ba->allocs++;
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	damage_report(ba, dmg);
	return p;
}

/*
 * The general path of buddy_arena_alloc() for a request rounded up to a
 * unit, minus one, of @x: any region, any list, growth, poison, damage.
 * Entered with ba->lock held (taken with @flags) and nothing changed yet;
 * it drops the lock.
 */
static noinline void *alloc_general_locked(struct buddy_arena *ba,
					   unsigned long x, gfp_t gfp,
					   unsigned long flags)
{
	unsigned int order = __fls(x) + 1;
	unsigned long slack = x & (x + 1) ?
			      (BIT(order) - 1 - x) >> ba->min_order : 0;
	struct buddy_region *r = NULL;
	struct ba_damage dmg;
	unsigned long idx;
	u8 *p;

	lockdep_assert_held(&ba->lock);
	dmg.what = 0;
	p = take_block_locked(ba, order, &r, &dmg);
	if (!p && ba->pcp_end != ba->min_order) {
		/* The caches' blocks first, merged: then growth, or failure. */
		raw_spin_unlock_irqrestore(&ba->lock, flags);
		pcp_drain_all(ba);
		raw_spin_lock_irqsave(&ba->lock, flags);
		p = take_block_locked(ba, order, &r, &dmg);
	}
	if (IS_ERR_OR_NULL(p) || unlikely(ba->flags & BUDDY_ARENA_POISON))
		return alloc_finish_unlock(ba, p, r, order, slack, gfp, flags,
					   &dmg);
	idx = (p - r->base) >> ba->min_order;
	r->map[idx] = BA_LIVE_HEAD | order;
	put_slack(&r->map[idx], order - ba->min_order, slack);
	ba->slack_units += slack;
	ba->allocs++;
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	/* The block may come from a list cut off behind it. */
	damage_report(ba, &dmg);
	return p;
}

/*
 * The out-of-line path of buddy_arena_alloc(), entered like
 * alloc_general_locked(): the common case of a split in the primary
 * region, whose lists' links stay in it, with nothing called; all else
 * goes on to alloc_general_locked().
 */
static noinline void *alloc_slow_locked(struct buddy_arena *ba,
					unsigned long x, gfp_t gfp,
					unsigned long flags)
{
	unsigned int order = __fls(x) + 1, min = ba->min_order, j;
	unsigned long avail = ba->avail >> order, idx, half, slack;
	struct buddy_region *r = ba->primary;
	struct ba_link *b, *n;
	struct ba_order *o;

	lockdep_assert_held(&ba->lock);
	if (unlikely(!avail || (ba->flags & BUDDY_ARENA_POISON)))
		goto general;
	j = order + __ffs(avail);
	o = &ba->orders[j];
	/* The first block is unlinked through the head, not its prev link. */
	b = next_of(&o->head, o->key);
	n = next_of(b, o->key);
	if (unlikely(!tagged_in(r, b, min, BA_HEAD | j) ||
		     (n != &o->head && !tagged_in(r, n, min, BA_HEAD | j)) ||
		     prev_of(n, o->key) != b))
		goto general;
	set_next(&o->head, n, o->key);
	set_prev(n, &o->head, o->key);
	if (!--o->nr_free)
		__clear_bit(j, &ba->avail);

	/*
	 * @j is the smallest order >= @order with a free block, so each order
	 * from @order to @j - 1 gets its first free block here, one upper half.
	 */
	idx = ((u8 *)b - r->base) >> min;
	for (half = BIT(j); j > order; ) {
		j--;
		half >>= 1;
		r->map[idx + (half >> min)] = BA_HEAD | j;
		push_free_locked(ba, (struct ba_link *)((u8 *)b + half), j);
	}
	r->map[idx] = BA_LIVE_HEAD | order;
	if (x & (x + 1)) {
		slack = (BIT(order) - 1 - x) >> min;
		put_slack(&r->map[idx], order - min, slack);
		ba->slack_units += slack;
	}
	ba->allocs++;
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	return b;

general:
	return alloc_general_locked(ba, x, gfp, flags);
}

/*
 * For the trace events: @p's region, offset and, if a block starts there,
 * its order.  The lock keeps the region table in place.  bump_slab asks it
 * for the objects in its slabs.
 */
void buddy_arena_where(struct buddy_arena *ba, const void *p,
		       struct ap_where *w)
{
	struct buddy_region *r;
	unsigned long flags;
	u8 b = 0;

	raw_spin_lock_irqsave(&ba->lock, flags);
	r = find_region_locked(ba, p);
	w->region = r ? r->id : AP_NO_REGION;
	w->offset = r ? (const u8 *)p - r->base : 0;
	if (r && !(w->offset & ba->unit_mask))
		b = r->map[w->offset >> ba->min_order];
	/* What free_slow_locked() accepts. */
	w->live = b >= BA_LIVE_HEAD && canaries_ok(r);
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	w->order = b & BA_HEAD ? b & BA_ORDER : -1;
	w->size = b & BA_HEAD ? BIT(b & BA_ORDER) : 0;
}

static void ba_where(struct ap_pool *pool, const void *p, struct ap_where *w)
{
	buddy_arena_where(container_of(pool, struct buddy_arena, ap), p, w);
}

/*
 * buddy_arena_alloc() of an order the caches do not hold (@x: @size
 * rounded up to a unit, minus one), under the arena lock.  Inline in
 * buddy_arena_alloc(), so _RET_IP_ is its caller's: read only where it is
 * traced, not kept across the path.
 */
static __always_inline void *alloc_locked(struct buddy_arena *ba,
					  size_t size, unsigned long x,
					  gfp_t gfp)
{
	unsigned int order = __fls(x) + 1;
	struct ba_link *block, *next;
	unsigned long flags, idx, nidx;
	struct ba_order *o;
	u8 *m;

	raw_spin_lock_irqsave(&ba->lock, flags);
	/*
	 * A free block of the very order in the primary region, whose next
	 * link is the head or another such block: no split, no region lookup.
	 * Else the general path.  A head's next link needs no check: the
	 * arena only ever stores a checked one there.  The head itself is no
	 * block of the region: an empty list goes to the general path too.
	 */
	o = &ba->orders[order];
	/* Or the compiler recomputes @o at every use, on the hottest path. */
	OPTIMIZER_HIDE_VAR(o);
	block = next_of(&o->head, o->key);
	idx = fast_index(ba, block);
	if (unlikely(idx >= ba->fast_units))
		goto slow;
	next = next_of(block, o->key);
	nidx = fast_index(ba, next);
	if (unlikely((nidx >= ba->fast_units ||
		      ba->fast_map[nidx] != (BA_HEAD | order)) &&
		     next != &o->head))
		goto slow;
	if (unlikely(prev_of(next, o->key) != block))
		goto slow;
	m = &ba->fast_map[idx];
	/*
	 * x is the request rounded up to a unit, minus one: all ones (x + 1
	 * a power of two) exactly when the block has no slack.
	 */
	if (unlikely(x & (x + 1))) {
		unsigned long slack = (BIT(order) - 1 - x) >> ba->min_order;

		if (order - ba->min_order > BA_SLACK_NARROW)
			goto slow;
		m[1] = slack;
		ba->slack_units += slack;
		order |= BA_SLACK;
	}

	/* The first block: unlinked through the head, not its own prev link. */
	set_next(&o->head, next, o->key);
	set_prev(next, &o->head, o->key);
	if (!--o->nr_free)
		__clear_bit(order & BA_ORDER, &ba->avail);
	*m = BA_LIVE_HEAD | order;
	ba->allocs++;
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	/* The block is the caller's alone now: unpoisoned for @size bytes. */
	ap_kasan_alloc(block, size, BIT(__fls(x) + 1));
	ap_trace_alloc(&ba->ap, block, size, ba_where, _RET_IP_);
	return block;
slow:
	block = alloc_slow_locked(ba, x, gfp, flags);
	if (block)
		ap_kasan_alloc(block, size, BIT(__fls(x) + 1));
	ap_trace_alloc(&ba->ap, block, size, ba_where, _RET_IP_);
	return block;
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
 * A region added for growth is allocated with GFP_KERNEL in the memalloc
 * scope @gfp asks for (no I/O or FS reclaim for GFP_NOIO or GFP_NOFS), by
 * one caller at a time; the others wait, then try the arena again first.
 *
 * Context: any context, hard IRQ included; may sleep only when the arena
 * must grow and @gfp allows blocking.
 * Return: the block, or NULL for a bad size, a full arena, a block that
 * failed its poison check or a damaged free list (each counted in the
 * failures).
 */
void *buddy_arena_alloc(struct buddy_arena *ba, size_t size, gfp_t gfp)
{
	/* size 0 wraps to ~0UL and, like an oversized one, gives order 64 */
	unsigned long x = (size - 1) | ba->unit_mask;
	unsigned int order = __fls(x) + 1;

	if (unlikely(order > ba->max_order))
		return alloc_refused(ba);
	if (ap_should_fail(&ba->ap, size))
		return NULL;
	if (order < ba->pcp_end)
		return pcp_alloc(ba, size, x, gfp, _RET_IP_);
	return alloc_locked(ba, size, x, gfp);
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_alloc, ALLOCPOOLS_NS);

/*
 * Whether the map byte @b is that of a live block (BA_LIVE_HEAD, with or
 * without BA_SLACK) of an order the per-CPU caches hold, in one compare:
 * every byte below BA_LIVE_HEAD wraps to 0x40 or more, above any order.
 */
static __always_inline bool live_cached_order(const struct buddy_arena *ba,
					      u8 b)
{
	return (u8)((u8)(b - BA_LIVE_HEAD) & (u8)~BA_SLACK) < ba->pcp_end;
}

/*
 * Whether the map byte @b of @r, live, is of a block that only
 * pcp_free() may free: a free of it on the locked path saw it held (or
 * lost the race to claim it), so it is a second free, refused: the block
 * is live again only because it has been handed out again since.
 */
static __always_inline bool cached_live(const struct buddy_arena *ba,
					const struct buddy_region *r, u8 b)
{
	return r == ba->primary && (b & BA_ORDER) < ba->pcp_end;
}

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
	if ((b & (BA_LIVE | BA_SLACK)) == BA_SLACK)
		return "double free of a block cached, being freed or cut off";
	if (!(b & BA_LIVE))
		return "double free or free of a free block";
	return "double free racing another free";
}

/*
 * Free the live block at unit @idx of @r in poison mode, or with KASAN,
 * then drop the lock (taken with @flags).  The block is held while it is
 * poisoned (and its KASAN shadow written, which must be done before it can
 * be handed out again) with the lock dropped, so a second free of it
 * meanwhile is refused.
 */
static noinline int free_poison_unlock(struct buddy_arena *ba,
				       struct buddy_region *r,
				       unsigned long idx, unsigned long flags)
{
	unsigned int order = r->map[idx] & BA_ORDER, min = ba->min_order;
	struct ba_damage dmg;

	lockdep_assert_held(&ba->lock);
	dmg.what = 0;
	ba->slack_units -= take_slack(&r->map[idx], order - min);
	ba->frees++;
	r->map[idx] = BA_HELD | order;
	ba->held_units += BIT(order - min);
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	if (!AP_KASAN || (ba->flags & BUDDY_ARENA_POISON))
		ap_kasan_memset(r->base + (idx << min), POISON_FREE, BIT(order));
	ap_kasan_free(r->base + (idx << min), BIT(order));
	raw_spin_lock_irqsave(&ba->lock, flags);
	ba->held_units -= BIT(order - min);
	damage_add(&dmg, release_block_locked(ba, r, idx, order));
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	damage_report(ba, &dmg);
	return 0;
}

/* Free the live block at unit @idx of @r, then drop the lock. */
static noinline int free_release_unlock(struct buddy_arena *ba,
					struct buddy_region *r,
					unsigned long idx, unsigned long flags)
{
	unsigned int order = r->map[idx] & BA_ORDER;
	struct ba_damage dmg;
	unsigned long found;

	lockdep_assert_held(&ba->lock);
	if (unlikely(ba->flags & BUDDY_ARENA_POISON) || AP_KASAN)
		return free_poison_unlock(ba, r, idx, flags);
	ba->slack_units -= take_slack(&r->map[idx], order - ba->min_order);
	ba->frees++;
	found = release_block_locked(ba, r, idx, order);
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	if (unlikely(found)) {
		dmg.what = 0;
		damage_add(&dmg, found);
		damage_report_slow(ba, &dmg);
	}
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
		raw_spin_unlock_irqrestore(&ba->lock, flags);
		ap_report_invalid(&ba->ap, "free of a foreign pointer", false,
				  0);
		return -EINVAL;
	}
	off = (u8 *)ptr - r->base;
	if (unlikely((off & ba->unit_mask) ||
		     r->map[off >> ba->min_order] < BA_LIVE_HEAD ||
		     !canaries_ok(r) ||
		     cached_live(ba, r, r->map[off >> ba->min_order]))) {
		why = bad_free_reason_locked(ba, r, ptr);
		ba->invalid_frees++;
		raw_spin_unlock_irqrestore(&ba->lock, flags);
		ap_report_invalid(&ba->ap, why, true, off);
		return -EINVAL;
	}
	return free_release_unlock(ba, r, off >> ba->min_order, flags);
}

/* buddy_arena_free() of @ptr, not a unit of the primary region */
static noinline int free_slow(struct buddy_arena *ba, void *ptr)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&ba->lock, flags);
	return free_slow_locked(ba, ptr, flags);
}

/*
 * buddy_arena_free() of @ptr, at unit index @idx of the primary region
 * (below fast_units: see unit_index()), whose map byte was not seen as a
 * live block of a cached order, under the arena lock.
 */
static __always_inline int free_locked(struct buddy_arena *ba, void *ptr,
				       unsigned long idx)
{
	unsigned int order, min = ba->min_order;
	struct buddy_region *r;
	unsigned long flags;
	struct ba_order *o;
	unsigned int b;

	raw_spin_lock_irqsave(&ba->lock, flags);
	r = ba->primary;
	b = r->map[idx];
	/*
	 * Not live, or live but of a cached order now (refused there, see
	 * cached_live()), in one compare: a live byte less BA_SLACK is
	 * BA_LIVE_HEAD | order, any other is below BA_LIVE_HEAD.
	 */
	if (unlikely((b & (u8)~BA_SLACK) < ba->pcp_live_end ||
		     !canaries_ok(r)))
		return free_slow_locked(ba, ptr, flags);
	order = b & BA_ORDER;
	/*
	 * A merge or a wide slack: the general path.  Two free max_order
	 * buddies go there too, and do not merge.
	 */
	if (unlikely(r->map[idx ^ BIT(order - min)] == (BA_HEAD | order) ||
		     ((b & BA_SLACK) && order - min > BA_SLACK_NARROW) ||
		     AP_KASAN))
		return free_release_unlock(ba, r, idx, flags);

	if (b & BA_SLACK) {
		ba->slack_units -= r->map[idx + 1];
		r->map[idx + 1] = 0;
	}
	ba->frees++;
	r->map[idx] = BA_HEAD | order;
	/*
	 * The casts: with @order an unsigned int everywhere else, the
	 * kernel's build spent a zero-extension or two on these uses, and
	 * with an unsigned long @order userspace's spent a copy more.
	 */
	o = &ba->orders[(unsigned long)order];
	OPTIMIZER_HIDE_VAR(o);
	push_block(&o->head, ptr, o->key);
	o->nr_free++;
	__set_bit((unsigned long)order, &ba->avail);
	raw_spin_unlock_irqrestore(&ba->lock, flags);
	return 0;
}

/**
 * buddy_arena_free() - free a block
 * @ba: the arena
 * @ptr: a block buddy_arena_alloc() returned, or NULL
 *
 * The block merges with its buddy as long as the buddy is free and of the
 * same order.  A pointer the arena did not hand out, an interior pointer,
 * a double free (also while the first free of the block is still under
 * way) or a smashed order map is refused: the arena is left as it was,
 * invalid_frees counts it and one rate-limited error names the arena and
 * the offset.
 *
 * Context: any context, hard IRQ included.
 * Return: 0 (NULL included), or -EINVAL for a refused pointer.
 */
int buddy_arena_free(struct buddy_arena *ba, void *ptr)
{
	unsigned long idx;
	u8 b;

	if (unlikely(!ptr))
		return 0;
	ap_trace_free(&ba->ap, ptr, ba_where, _RET_IP_);
	/* One comparison: in the primary region, aligned to a unit. */
	idx = unit_index((unsigned long)ptr - (unsigned long)ba->fast_base,
			 ba->min_order);
	if (likely(idx < ba->fast_units)) {
		/* A live block of a cached order: this CPU's cache takes it. */
		b = READ_ONCE(ba->fast_map[idx]);
		if (live_cached_order(ba, b))
			return pcp_free(ba, ptr, idx, b);
		return free_locked(ba, ptr, idx);
	}
	return free_slow(ba, ptr);
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_free, ALLOCPOOLS_NS);

/**
 * buddy_arena_block_size() - the size of a live block
 * @ba: the arena
 * @ptr: a pointer to the start of a block
 *
 * A block in transit (its free, or its allocation's poison check, under
 * way) is not live.
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
	raw_spin_lock_irqsave(&ba->lock, flags);
	r = find_region_locked(ba, ptr);
	if (r) {
		off = (const u8 *)ptr - r->base;
		b = r->map[off >> ba->min_order];
		if (!(off & ba->unit_mask) && b >= BA_LIVE_HEAD)
			ret = BIT(b & BA_ORDER);
	}
	raw_spin_unlock_irqrestore(&ba->lock, flags);
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

static void stats_snapshot(struct buddy_arena *ba,
			   struct buddy_arena_stats *st);

/**
 * buddy_arena_stats() - a consistent snapshot of an arena's counters
 * @ba: the arena
 * @st: filled in
 *
 * Every CPU's cache is drained first, so on an arena nothing else is
 * using the figures are those of the arena with every free block merged,
 * as if there were no per-CPU front: free_blocks is the buddy layout
 * /proc/buddyinfo would show, and largest_free and frag_index say what a
 * large request would find.  Blocks cached again meanwhile by other
 * CPUs count as free blocks of their order, unmerged: the caches are read
 * under their locks with the arena's, so the snapshot is exact whatever
 * runs meanwhile.
 * allocated_bytes is the rest of the arena: the live blocks, and the
 * blocks held, which are neither free nor live: those in transit (a free,
 * or an allocation's poison check, under way in another context) and
 * those cut off after corruption.  live_blocks counts the blocks handed out
 * and not yet freed (a free counts from its start, an allocation once it
 * returns), and requested_bytes sums the sizes asked for by the live
 * blocks, each rounded up to 2^min_order.  invalid_frees counts refused
 * frees and the damage found, which is reported alike; corruptions counts
 * the damage alone: poison overwritten in a free block, a damaged free-list
 * link.  The byte figures are derived here from the per-order counts and
 * the slack and held totals rather than kept on every call.
 * injected counts the allocations failed on purpose by the arena's fail/
 * fault attribute; failures does not count them.
 *
 * Context: any context, hard IRQ included.
 */
void buddy_arena_stats(struct buddy_arena *ba, struct buddy_arena_stats *st)
{
	pcp_drain_all(ba);
	stats_snapshot(ba, st);
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_stats, ALLOCPOOLS_NS);

/*
 * buddy_arena_stats() without the drain: blocks in the per-CPU caches
 * count as free blocks of their order, unmerged.  The tests look at the
 * caches through it.
 */
static void stats_snapshot(struct buddy_arena *ba,
			   struct buddy_arena_stats *st)
{
	unsigned long flags, slack, held;
	unsigned int k, cpu;

	memset(st, 0, sizeof(*st));
	raw_spin_lock_irqsave(&ba->lock, flags);
	st->size = ba->size;
	st->regions = ba->nr_regions;
	st->min_order = ba->min_order;
	st->max_order = ba->max_order;
	for (k = 0; k < BUDDY_ARENA_ORDERS; k++)
		st->free_blocks[k] = ba->orders[k].nr_free;
	slack = ba->slack_units;
	held = ba->held_units;
	st->allocs = ba->allocs;
	st->frees = ba->frees;
	pcp_lock_all(ba);
	for_each_possible_cpu(cpu) {
		struct ba_pcpu *pc = per_cpu_ptr(ba->pcp, cpu);

		for (k = 0; k < BA_PCP_ORDERS; k++)
			st->free_blocks[ba->min_order + k] += pc->st[k].n;
		slack += pc->slack_units;
		st->allocs += pc->allocs;
		st->frees += pc->frees;
	}
	pcp_unlock_all(ba);
	st->live_blocks = st->allocs - st->frees;
	st->failures = ba->failures;
	st->invalid_frees = ba->invalid_frees;
	st->corruptions = ba->corruptions;
	st->injected = ap_injected(&ba->ap);
	raw_spin_unlock_irqrestore(&ba->lock, flags);

	for (k = st->min_order; k <= st->max_order; k++) {
		st->free_bytes += st->free_blocks[k] << k;
		if (st->free_blocks[k])
			st->largest_free = BIT(k);
	}
	st->allocated_bytes = st->size - st->free_bytes;
	st->requested_bytes = st->allocated_bytes -
			      ((slack + held) << st->min_order);
	st->frag_index = frag_index(st);
}

/*
 * Count the blocks on the list at @head (order @k; of region @top when
 * given), checking every link before following it, into *@n.  Returns 0
 * when the list is sound; 1 when a link read from a block is damaged (the
 * walk ends there); -1 when the head's own links, which only the arena
 * writes, are wrong, or the list is longer than @limit.
 */
static int check_list_locked(struct buddy_arena *ba, struct ba_link *head,
			     unsigned int k, struct buddy_region *top,
			     unsigned long limit, unsigned long *n)
{
	unsigned long key = top ? ba->top_key : ba->orders[k].key;
	struct ba_link *e = head, *next;

	lockdep_assert_held(&ba->lock);
	*n = 0;
	if (!link_ok_locked(ba, next_of(head, key), k, head, top) ||
	    !link_ok_locked(ba, prev_of(head, key), k, head, top)) {
		pr_err("check: order %u list head damaged\n", k);
		return -1;
	}
	for (;; ++*n) {
		next = next_of(e, key);
		if (!link_ok_locked(ba, next, k, head, top) ||
		    prev_of(next, key) != e) {
			pr_err("check: order %u list entry %lu: damaged link\n",
			       k, *n);
			return 1;
		}
		if (next == head)
			return 0;
		if (*n == limit) {
			pr_err("check: order %u list longer than its blocks\n",
			       k);
			return -1;
		}
		e = next;
	}
}

/*
 * Whether the @i-th block of @cpu's cache of order min_order + @k is held
 * and of that order in the primary region's map, and in no other place of
 * the caches before it.
 */
static bool __maybe_unused cached_ok_locked(struct buddy_arena *ba,
					    unsigned int cpu, unsigned int k,
					    unsigned int i)
{
	u8 *p = per_cpu_ptr(ba->pcp, cpu)->st[k].blocks[i];
	unsigned int other, j, n;

	if (!tagged_in(ba->primary, p, ba->min_order,
		       BA_HELD | (ba->min_order + k)))
		return false;
	for_each_possible_cpu(other) {
		struct ba_pcpu *o = per_cpu_ptr(ba->pcp, other);

		if (other > cpu)
			break;
		n = other == cpu ? i : o->st[k].n;
		for (j = 0; j < n; j++)
			if (o->st[k].blocks[j] == p)
				return false;
	}
	return true;
}

/*
 * Every CPU's cache: blocks of the primary region, each at most once in
 * all caches, held and of the cache's order in the map.  Their units go
 * in *@cached; the caches' allocations less their frees in *@live and
 * their slack in *@slack.  O((nr_cpus * BA_PCP_ORDERS * BA_PCP_MAX)^2),
 * for the tests.
 */
static bool __maybe_unused check_caches_locked(struct buddy_arena *ba,
					       unsigned long *cached,
					       u64 *live, unsigned long *slack)
{
	unsigned int cpu, k, i;
	bool ok = true;

	lockdep_assert_held(&ba->lock);
	*cached = 0;
	*live = 0;
	*slack = 0;
	pcp_lock_all(ba);
	for_each_possible_cpu(cpu) {
		struct ba_pcpu *pc = per_cpu_ptr(ba->pcp, cpu);

		*live += pc->allocs - pc->frees;
		*slack += pc->slack_units;
		for (k = 0; k < BA_PCP_ORDERS && ok; k++) {
			ok = pc->st[k].n <= BA_PCP_MAX &&
			     (!pc->st[k].n || ba->min_order + k < ba->pcp_end);
			for (i = 0; i < pc->st[k].n && ok; i++)
				ok = cached_ok_locked(ba, cpu, k, i);
			if (!ok)
				pr_err("check: cpu %u order %u: %u cached, a block not held or cached twice\n",
				       cpu, ba->min_order + k, pc->st[k].n);
			*cached += (unsigned long)pc->st[k].n << k;
		}
	}
	pcp_unlock_all(ba);
	return ok;
}

/*
 * Walk every block of every region and check the whole arena against its
 * counters, free lists and order bitmap; log the first thing that is wrong.
 * Tests call it after every mutation: O(size / 2^min_order) under the lock.
 * With @damaged, the arena has been written over on purpose: a damaged
 * list is no error, and blocks may be cut off; everything else must hold.
 */
static bool __maybe_unused check_arena_locked(struct buddy_arena *ba,
					      bool damaged)
{
	unsigned long map_free[BUDDY_ARENA_ORDERS] = { 0 };
	size_t total = 0, off, unit = BIT(ba->min_order);
	unsigned long live = 0, avail = 0, slack = 0, held = 0, n;
	unsigned long free_units = 0, listed_units = 0, nr_top = 0;
	unsigned long cached, pcp_slack;
	unsigned int i, k, min = ba->min_order, max = ba->max_order;
	bool primary, lists_ok = true;
	u64 pcp_live;
	int ret;

	lockdep_assert_held(&ba->lock);
	if (!check_caches_locked(ba, &cached, &pcp_live, &pcp_slack))
		return false;
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
			bool is_held = (b & (BA_LIVE | BA_SLACK)) == BA_SLACK;
			unsigned long s = 0;

			k = b & BA_ORDER;
			if (!(b & BA_HEAD) || k < min || k > max ||
			    (off & (BIT(k) - 1)) || off + BIT(k) > r->size) {
				pr_err("check: region %u offset %zu: bad block %#x\n",
				       i, off, b);
				return false;
			}
			units = BIT(k - min);
			if ((b & BA_LIVE) && (b & BA_SLACK)) {
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
			if (is_held) {
				held += units;
				continue;
			}
			map_free[k]++;
			free_units += units;
			rfree += BIT(k);
			if (damaged || ba->corruptions)
				continue;
			if (k < max &&
			    r->map[(off ^ BIT(k)) >> min] == (BA_HEAD | k)) {
				pr_err("check: region %u offset %zu: unmerged buddies\n",
				       i, off);
				return false;
			}
			if ((ba->flags & BUDDY_ARENA_POISON) &&
			    !poison_ok_paged(r->base + off, k)) {
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
		ret = check_list_locked(ba, &r->top, max, r, r->size >> max,
					&n);
		if (ret < 0 || (ret && !damaged))
			return false;
		if (ret) {
			lists_ok = false;
		} else if (n != r->nr_top) {
			pr_err("check: region %u: %lu top blocks listed, %lu counted\n",
			       i, n, r->nr_top);
			return false;
		}
		if (!!r->nr_top == list_empty(&r->top_node)) {
			pr_err("check: region %u on the top list\n", i);
			return false;
		}
		if (r->primary && r->nr_top) {
			pr_err("check: primary region has its own list\n");
			return false;
		}
		nr_top += r->nr_top;
		total += r->size;
		if (r->size & (unit - 1))
			return false;
	}
	for (k = min; k <= max; k++) {
		ret = check_list_locked(ba, &ba->orders[k].head, k, NULL,
					map_free[k], &n);
		if (ret < 0 || (ret && !damaged))
			return false;
		if (ret) {
			lists_ok = false;
			continue;
		}
		/* The regions' own lists hold the other max_order blocks. */
		if (k == max)
			n += nr_top;
		if (k == max && nr_top != ba->nr_own) {
			pr_err("check: %lu blocks on own lists, %lu counted\n",
			       nr_top, ba->nr_own);
			return false;
		}
		if (n != ba->orders[k].nr_free ||
		    (n != map_free[k] && !damaged && !ba->corruptions)) {
			pr_err("check: order %u: %lu listed, %lu in the map, %lu counted\n",
			       k, n, map_free[k], ba->orders[k].nr_free);
			return false;
		}
		listed_units += n << (k - min);
	}
	for (k = 0; k < BUDDY_ARENA_ORDERS; k++)
		if (ba->orders[k].nr_free)
			avail |= BIT(k);
	if (avail != ba->avail || total != ba->size ||
	    live != ba->allocs - ba->frees + pcp_live ||
	    slack != ba->slack_units + pcp_slack ||
	    (lists_ok &&
	     held + free_units - listed_units != ba->held_units + cached)) {
		pr_err("check: counters: avail %#lx/%#lx size %zu/%zu live %lu/%llu slack %lu/%lu held %lu+%lu/%lu+%lu\n",
		       avail, ba->avail, total, ba->size, live,
		       ba->allocs - ba->frees + pcp_live, slack,
		       ba->slack_units + pcp_slack, held,
		       free_units - listed_units, ba->held_units, cached);
		return false;
	}
	return true;
}

static bool __maybe_unused buddy_check_locked(struct buddy_arena *ba)
{
	return check_arena_locked(ba, false);
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
	seq_printf(m, "corruptions: %llu\n", st.corruptions);
	seq_printf(m, "injected: %llu\n", st.injected);
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
