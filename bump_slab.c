// SPDX-License-Identifier: GPL-2.0
/*
 * Power-of-two size-class free lists: the "freeing-bump" allocator.
 *
 * 22 classes of 8 B .. 16 MiB (8 << i).  A request takes the smallest class
 * that fits.  Every object is preceded by an 8-byte header: the class index,
 * then seven marker bytes, 0xff while the object is allocated and 0xfe while
 * it is free, so a double free is seen in O(1) from the header.  A free
 * object on a linked list (buddy mode; heap mode's pool list) has its link
 * in its first 8 bytes (the next object's address in heap mode, its index
 * in the slab in buddy mode), stored encoded (see "Corruption" below).
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
 * free pushes the object on a LIFO stack and an allocation pops the most
 * recently freed one.  Objects never change class.  A side map with one
 * byte per 16 bytes of heap says where headers start, of what class (two
 * headers are at least 16 bytes apart) and where a free object is, so a
 * foreign, interior or misaligned pointer, a class byte overwritten with
 * another valid one, or a free of a free object, is refused without
 * trusting anything the caller could write.
 *
 *   heap: [hdr|obj 8][hdr|obj 32     ][hdr|obj 8][hdr|obj 1024 ...]   free
 *         0                                                  bump ^    end
 *   map:  one byte per 16 heap bytes: 0, or (class + 1) * 2 + bit 3 of the
 *         header's offset, for the one header that starts in those 16
 *         bytes, plus BS_MAP_CACHED (0x40) while its object is free in a
 *         CPU's cache or a magazine, or BS_MAP_LISTED (0x80) while it is
 *         on the pool list
 *
 * The free objects of a class sit in per-CPU caches (each an array of at
 * most BS_CACHE_MAX pointers in the per-CPU area, out of any client's
 * reach), then in the pool's depot of magazines (arrays of BS_BATCH
 * pointers, as far out of reach), then on the class's pool-wide list,
 * which links free objects through their first word.  A free pushes on
 * this CPU's cache, and a full cache first sends its BS_BATCH oldest to
 * the depot; an allocation pops from this CPU's cache, and an empty cache
 * takes the class's newest magazine, or a batch from the pool list, or,
 * if both are empty, half of another CPU's cache before anything is
 * bumped.  To find such a cache
 * without looking at every CPU, each class has a mask of the CPUs whose
 * cache may hold objects of it: a CPU's bit is set, under its cache lock,
 * when its cache gains objects, and cleared by whoever finds that cache
 * empty under its lock.  So a cache that holds objects is always marked,
 * and a stale mark (a cache emptied by allocations since) costs one look.
 * An allocation looks at no more than BS_STEAL_TRIES marked caches and
 * clears the stale marks it meets.  The rule, then: the bump pointer moves
 * only when this CPU's cache, the class's depot and its pool list are
 * empty and none of the caches the allocation looked at had an object of
 * the class.  On one CPU the caches, the depot (newest magazine first)
 * and the pool list together are exactly the LIFO stack of the design,
 * and nothing is bumped while a free object of the class is anywhere in
 * the pool.  Across CPUs the same holds unless the first BS_STEAL_TRIES
 * marks an allocation meets are all stale (so never on BS_STEAL_TRIES + 1
 * CPUs or fewer); it clears them, and the next allocations look further.
 *
 * The depot (Bonwick's magazines; SLUB's sheaves and barn are the same
 * idea) is there so that a class with more free objects than a cache
 * holds does not pay a written and a checked link for each one that
 * moves: a full cache copies its BS_BATCH oldest pointers into a spare
 * magazine, which joins the class's depot, and an empty cache copies the
 * newest one back, which is spare again; nothing is written to the
 * objects and no link is followed, and their map bytes keep saying
 * cached, so a second free of one is refused as from a cache.  Only when
 * no magazine is spare do objects cross the pool list: the class's oldest
 * magazine goes there to make room (BS_BATCH links written, as a cache's
 * batch was before), or, if other classes hold every magazine, the batch
 * itself (first come, first served: a class's magazines come back to the
 * spares as it allocates).  The BS_DEPOT magazines are allocated with the
 * pool, never on the alloc and free paths: BS_DEPOT * BS_BATCH pointers
 * (8 KiB on 64-bit, one kmalloc) and BS_DEPOT list heads (768 bytes, in
 * struct bump_slab) per heap pool, room for 1024 free objects, against
 * about 12 KiB per CPU for the caches (BUMP_SLAB_CLASSES * BS_CACHE_MAX
 * pointers).  Depot objects count as free, as cached ones do.
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
 * Buddy mode's front (BUMP_SLAB_PERCPU, not with BUMP_SLAB_POISON): the
 * classes whose slab block is at most BS_PCP_BLOCK (bs->pcp_end of them,
 * 8 B .. 4 KiB at min_order <= 12) reuse heap mode's per-CPU caches
 * (struct bs_pcpu: up to BS_CACHE_MAX objects per class and CPU, its
 * lock, its counters), without the depot, the masks or steals: an empty
 * cache is refilled with up to BS_BATCH objects popped from the class's
 * slabs (pcp_refill_locked()), a full one sends its BS_BATCH oldest back
 * to their slabs (slab_release_locked()), under the pool lock and the
 * cache's.  A cached object's header says cached (BS_CACHED) and it
 * counts in its slab's @inuse, so the slab rule is: a slab goes back once
 * all its objects are free and none is cached.  Every CPU's caches are
 * drained (pcp_drain_all()) at the start of the stats, at destroy, when a
 * CPU dies (bs_cpu_dead()) and before an allocation failure is counted.
 * The lockless free and its lifetime rule: see pcp_free().
 *
 * Context: allocation, free, size and stats may be called from any context,
 * hard IRQ included, on PREEMPT_RT too: every lock they take is a
 * raw_spinlock_t taken with irqsave (a local_lock would sleep on RT) and
 * held for a time bounded as below.  In buddy mode an allocation that
 * needs a new slab asks the arena with the caller's gfp, which may sleep
 * (arena growth) when the gfp allows it.  Create, destroy and the
 * invariant walker the tests use (bump_slab_check(), on a quiet pool) are
 * process context only.
 *
 * Locking: the pool lock guards everything in struct bump_slab after it;
 * in heap mode each CPU's cache has its own lock, taken alone on the fast
 * paths.  Whoever needs the pool lock and a cache lock takes the pool lock
 * first; a second cache lock (a steal) is only taken with the pool lock
 * held, which orders them (and is named to lockdep as their nest lock).
 * The arena is never asked for or given a block with a lock of ours held:
 * buddy_arena_alloc() may sleep, and buddy_arena_free() may poison a block
 * (work that grows with the block), so the pool lock is dropped around
 * those calls and the state re-checked after.  buddy_arena_block_size()
 * (one map byte under the arena's raw lock) is the exception: a buddy-mode
 * free or size asks it with the pool lock held, so the arena's lock nests
 * inside ours (the arena never calls us).  That is what makes a lookup
 * safe from another CPU giving the slab back: every slab of ours stays
 * ours while the pool lock is held, a slab is unlisted (its magic cleared)
 * under it before its block goes back, and a block on its way back is
 * named in bs->returning until buddy_arena_free() has returned, so a
 * lookup reads nothing at a page unless the arena has just said, under
 * our lock, that a live block starts there and it is not one we are
 * giving back (before, the arena was asked first and the slab read after
 * the lock was taken: in between the slab could go back and its region
 * be vfree'd).  A free of a heap object takes no lock to
 * validate it: the heap, its size and the map entry of a live object do
 * not change, and the header goes from live to free with one cmpxchg, so
 * of two racing frees of one object exactly one wins and the other is
 * refused as a double free.
 *
 * Poisoning, poison checks and reports run with no lock of ours held, on
 * an object that belongs to the one caller at that moment: a freed object
 * is marked free (header) before it is poisoned and put on a list after,
 * and an object taken off a list is checked before its header says live,
 * so a second free of the same pointer meanwhile is refused.
 *
 * Corruption: a client that writes into an object after freeing it, or past
 * the end of a live one, can reach the allocator's own data there: the link
 * in a free object's first word and the 8-byte headers.  In heap mode only
 * the pool list has links: the caches, where the fast paths work, and the
 * depot's magazines are arrays no client can reach, so a pop, a push or a
 * magazine's move follows nothing a client wrote.  Links are stored as
 * ap_link_encode() makes them (XORed with a per-pool random secret and the
 * byte-swapped address of the word), and every link is decoded and checked
 * before it is followed: in heap mode (a refill from the pool list, which
 * ends by its out-of-band count) it must lead inside the heap to a header's
 * place that the side map says is of the list's class and on the pool list,
 * so that no object in a cache, none already taken off the list and none
 * live is ever reached through a link; in buddy mode a link is the index of
 * the next free object in its slab (a slab's list also ends by its count),
 * which must be below the number of objects the slab has carved, so it can
 * only name an object of that slab at a whole stride, and the object popped
 * must have a free header.  A link that fails is never followed: the damage
 * is counted (corruptions and invalid_frees) and reported once, ratelimited,
 * with its offset; the object holding it and every object behind it on that
 * list are cut off (counted in the class's bad objects, never handed out or
 * given back to the arena; the heap or the slab keeps their memory until
 * destroy); and the allocation goes on with another list, the bump pointer
 * or another slab, so the pool keeps serving.  A header is checked against
 * the side map (heap) or the slab (buddy) before it steers a free, so a
 * smashed header makes that object's free a refused one; in heap mode the
 * map alone refuses a second free, even of an object whose header was
 * rewritten to say live.  With BUMP_SLAB_POISON a write anywhere in a free
 * object past its first word is found when it is reused, as before.  Not
 * caught: a write that reproduces a valid encoded link exactly (it takes the
 * secret); a write that turns a link into one naming another free object of
 * the same list or one cut off before (only a partial overwrite that lands
 * on such an object can: it is handed out once, never while live, and its
 * list's count is off from then on); a write into a free object's bytes past
 * its link without poisoning, or into the first word of one in a heap cache
 * or magazine (harmless to the pool: it is the client's data that is lost);
 * a write into a live object's own bytes, which is not the allocator's to
 * see; in buddy mode, a write that reaches a slab's own header at the start
 * of its block (only an overflow from the arena block before it can), which
 * is trusted.
 *
 * KASAN (allocpools_kasan.h): with KASAN generic every byte of the pool
 * that is not a live object's request is poisoned in KASAN's shadow: the
 * heap from create, a new slab's objects (past its bs_slab header, which
 * the pool reads under its lock as a struct and leaves open) from
 * new_slab(), every object header, and a freed object from the moment its
 * free has won (the heap's cmpxchg, the slab's header under the lock) and
 * before it can be handed out again: before it reaches a CPU's cache or a
 * magazine in heap mode, with the lock dropped as for poisoning in buddy
 * mode.  bump_slab_alloc() unpoisons exactly the bytes requested once the
 * object is the caller's; the rest of its class is a redzone, whatever
 * bump_slab_size() says.  So a client's access after a free, past its
 * request or over a header is reported at the access.  The pool's own
 * reads and writes of headers and links go through the uninstrumented
 * accessors (the heap's lockless cmpxchg through ap_kasan_try_cmpxchg64()),
 * and poison fills and checks through ap_kasan_memset() and
 * ap_kasan_memchr_inv().  A slab block goes back to the arena as it is:
 * buddy_arena_free() poisons the whole block itself and reads none of it
 * through instrumented accesses, so it expects no particular shadow.  A
 * free of a stale pointer reads the magic of whatever live arena block is
 * at its page (see slab_lookup()), through the accessors too: it may be
 * another client's block, open only for its own request.  Without KASAN
 * the hooks compile to nothing and the accessors are the plain accesses
 * they replace.
 *
 * Worst-case lock hold times; none grows with the pool's or an object's
 * size, and none takes more than three locks at once:
 *
 *   bump_slab_alloc  heap: one cache lock for one pop.  When this CPU's
 *                    cache is empty (or the pool poisons): the pool lock
 *                    and this CPU's cache lock for a pop plus one of: a
 *                    magazine's BS_BATCH pointers copied; a
 *                    batch of BS_BATCH checked links from the pool list; a
 *                    scan of the class's CPU mask (nr_cpu_ids /
 *                    BITS_PER_LONG words) and at most BS_STEAL_TRIES other
 *                    cache locks, one at a time, each for a copy of at
 *                    most BS_CACHE_MAX / 2 pointers; or one bump.  A
 *                    damaged object found by the poison check: the pool
 *                    lock and a cache lock for a few stores.
 *                    buddy: the pool lock for O(1) list operations and
 *                    counters, no memory touched beyond slab headers and
 *                    an object's header and link, and at most two damaged
 *                    links cut off; again to count a failure or a damaged
 *                    object, and once more after a slab block given back
 *                    (BS_RETURNING entries).
 *   bump_slab_free   heap: no lock to validate; one cache lock for one push
 *                    and, on a push into a full (or empty) cache, the pool
 *                    lock and that cache lock to copy BS_BATCH pointers
 *                    into a magazine, with, when none is spare, BS_BATCH
 *                    links written to the pool list first (or instead),
 *                    and to push.  A refused free: the pool lock for a
 *                    counter.
 *                    buddy: the pool lock for O(1) list operations and
 *                    the arena's block_size (its lock nested, O(log
 *                    regions)), twice with poisoning (before and after the
 *                    fill), and once more after a slab given back.
 *   bump_slab_size   heap: no lock.  buddy: the pool lock for O(1) checks
 *                    and the arena's block_size.
 *                    buddy with a front (BUMP_SLAB_PERCPU), a cached
 *                    class: this CPU's cache lock alone for a push or a
 *                    pop (plus, on a free, a read of bs->tab and the
 *                    slab header and one cmpxchg); an empty or full
 *                    cache: the pool lock and that cache lock for
 *                    BS_BATCH slab pops or pushes; a slab given back:
 *                    each online CPU's cache lock in turn, alone, for
 *                    nothing (pcp_quiesce()).
 *   bump_slab_stats  buddy with a front: first a drain, per CPU the pool
 *                    lock and its cache lock for up to BUMP_SLAB_CLASSES *
 *                    BS_CACHE_MAX pushes (at most BS_RETURNING slabs
 *                    freed per hold, given back with the locks dropped);
 *                    then the pool lock to copy the pool's own counters
 *                    (BUMP_SLAB_CLASSES of each); the per-CPU counters are
 *                    summed after it without any lock, with READ_ONCE, as
 *                    SLUB sums its per-CPU statistics: exact when the pool
 *                    is quiet.
 *   destroy          process context: the pool lock for one slab at a
 *                    time (buddy mode); per-CPU state is read, never
 *                    locked all at once.
 */

#include <asm/byteorder.h>
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cache.h>
#include <linux/cpuhotplug.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/poison.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <allocpools/buddy_arena.h>
#include <allocpools/bump_slab.h>

#include "allocpools_internal.h"
#include "allocpools_kasan.h"
#include "allocpools_trace.h"

#define BS_HDR		8	/* object header: class byte + 7 marker bytes */
#define BS_LIVE		0xff	/* marker of an allocated object */
#define BS_FREE		0xfe	/* marker of an object on a free list */
#define BS_BAD		0xdd	/* marker of a free object found modified */
#define BS_CACHED	0xfc	/* buddy mode: a free object in a CPU's cache */
/* A live header read as a little-endian number, less its class byte. */
#define BS_LIVE_NUM	0xffffffffffffff00ULL

#define BS_CACHE_MAX	64	/* heap mode: objects a CPU caches per class */
#define BS_BATCH	32	/* objects a full cache sends to the pool list */
#define BS_STEAL_TRIES	4	/* marked caches an allocation looks at */
#define BS_DEPOT	32	/* heap mode: magazines of BS_BATCH per pool */

#define BS_SLAB_HDR	64	/* first object of a slab; its header at 56 */
#define BS_SLAB_MAGIC	0x62736c62U
#define BS_RETURNING	8	/* slab blocks on their way back to the arena */
#define BS_RETURN_DONE	1UL	/* such an entry whose block came back to us */
#define BS_SLAB_END	U16_MAX	/* the link of a slab's last free object */
/* buddy mode: entries of bs->tab, one per page of the arena within these */
#define BS_TAB_MIN	64
#define BS_TAB_MAX	4096

#define BS_FLAGS	(BUMP_SLAB_POISON | BUMP_SLAB_PERCPU)

/* buddy mode's front: classes whose slab block is at most this */
#define BS_PCP_BLOCK	SZ_8K
/* buddy mode's front: objects' worth of new slabs a refill takes at once */
#define BS_PCP_FRESH	(BS_BATCH / 2)

/*
 * The largest heap asked of vmalloc: past it the arithmetic on offsets and
 * the side map's size would overflow.  Anything below is refused by
 * vmalloc itself if the machine lacks the memory.
 */
#define BS_HEAP_MAX	(SIZE_MAX >> 4)

/*
 * A slab, at the start of its buddy block.  Guarded by the pool lock.
 * @free is the index of the first of the slab's free objects (BS_SLAB_END
 * if none), each of which holds the index of the next in its first word;
 * objects past @carved have never been handed out and hold nothing.
 * @inuse counts the objects that are not on the list: live, quarantined,
 * or on their way between the two (being checked after a pop or poisoned
 * before a push).
 */
struct bs_slab {
	u32 magic;
	u8 cls;
	u8 cut;
	u16 nr;
	u16 carved;
	u16 inuse;
	u16 bad;
	u16 free;
	struct bump_slab *owner;
	struct list_head node;
	size_t block;
};

/*
 * Heap mode: the pool list of a class, a LIFO list of free objects linked
 * through their first word (encoded, see get_link()), and how many it
 * holds: the list ends by its count, and the count is what a list cut off
 * at a damaged link is known to have lost.
 */
struct bs_list {
	void *head;
	unsigned long n;
};

/*
 * Per-class state, guarded by the pool lock.  live = allocs - frees (here
 * in buddy mode, in the per-CPU caches in heap mode); carved counts the
 * objects the class has made (heap: from the bump pointer; buddy: in slabs
 * it holds); bad the free objects found modified, or lost behind a damaged
 * link, and kept out of use.
 */
struct bs_class {
	struct bs_list l;		/* heap: the pool list, behind the depot */
	struct list_head depot;		/* heap: full magazines, newest first */
	u64 allocs, frees;		/* buddy mode */
	unsigned long carved, bad, slabs;
	struct list_head partial;	/* buddy: slabs with a free object */
	struct list_head full;		/* buddy: slabs without one */
	size_t request;			/* buddy: bytes asked of the arena */
	size_t block;			/* buddy: the block it gives for them */
	u32 recip;			/* buddy: 2^32 / stride, rounded up */
	u16 per_slab;			/* buddy: objects per slab */
};

/*
 * Heap mode: one CPU's cache of one class, a stack of the @n free objects
 * in the CPU's objs[class], the most recently freed on top (objs[c][n -
 * 1]).  It lives out of any client's reach, so the fast paths trust it and
 * follow no link.  @marked mirrors this CPU's bit in the class's mask (see
 * mark_locked()).  @allocs and @frees count what was done through this
 * cache; stats read them without the lock.
 */
struct bs_cache {
	u64 allocs, frees;
	unsigned int n;
	bool marked;
} __aligned(32);	/* indexed by a shift on the fast paths */

/*
 * Heap mode: a magazine of the depot, BS_BATCH free objects of one class
 * that a full cache sent off, in the order they had there (the newest
 * last), or none while it is spare.  Its array is pool memory, out of any
 * client's reach, like a cache's.
 */
struct bs_mag {
	struct list_head node;	/* on a class's depot, or bs->spare */
	void **objs;		/* BS_BATCH entries of bs->mag_objs */
};

/* Heap mode: one CPU's caches; @lock guards them. */
struct bs_pcpu {
	raw_spinlock_t lock;	/* guards @cache and @objs */
	unsigned int cpu;	/* whose caches these are; set at create */
	struct bs_cache cache[BUMP_SLAB_CLASSES];
	void *objs[BUMP_SLAB_CLASSES][BS_CACHE_MAX];
};

/**
 * struct bump_slab - a size-class pool
 * @ap: the core's part (name, debugfs)
 * @arena: the backing buddy arena, NULL in heap mode
 * @tab: buddy mode: 2^(32 - @tab_shift) entries guarded by @lock, each 0
 *	or the address of a slab that is listed, at the slot tab_slot() gives
 *	it (see find_slab_locked())
 * @tab_shift: buddy mode: 32 less the order of @tab's length
 * @heap: heap mode: the vmalloc'd heap
 * @map: heap mode: one byte per 16 heap bytes, see map_code()
 * @map_bias: heap mode: @map less the heap's address over 16, see obj_map()
 * @units: heap mode: 8-byte units of @heap
 * @pcpu: heap mode: the per-CPU caches
 * @masks: heap mode: per class, @mask_longs words with a bit per CPU
 *	whose cache may hold objects of the class (atomic bitops)
 * @mask_longs: words of one class's mask
 * @mag_objs: heap mode: the arrays of the BS_DEPOT magazines, one
 *	allocation
 * @slow: buddy mode or poisoning: off the heap fast paths
 * @free_other: a free off the heap fast paths goes elsewhere than buddy
 *	mode's slab_free(): a poisoned heap's, or the front's (@pcp_end)
 * @pcp_end: buddy mode with BUMP_SLAB_PERCPU: classes below it have a
 *	per-CPU front in @pcpu; 0 without one
 * @cpuhp_node: buddy mode's front: on the CPU hotplug state that drains a
 *	dead CPU's caches
 * @cpuhp_added: @cpuhp_node is on that state
 * @secret: the per-pool key free-list links are stored encoded with
 * @heap_size: heap mode: bytes of @heap
 * @flags: create flags
 * @lock: guards every field below it
 * @bump: heap mode: offset of the first never-used heap byte
 * @slabs: buddy mode: slabs held
 * @slab_bytes: buddy mode: bytes of the blocks of those slabs
 * @returning: buddy mode: the page address of each slab block being given
 *	back to the arena (0: a free entry; BS_RETURN_DONE: one whose block
 *	came back to us meanwhile), never read through
 * @nr_returning: buddy mode: entries of @returning taken
 * @spare: heap mode: the magazines no class holds
 * @mags: heap mode: the depot's magazines
 * @failures: failed allocations
 * @invalid_frees: rejected frees and modified free objects found
 * @corruptions: damage found: a modified free object (poison, header)
 *	or a free-list link that fails its check
 * @cls: the classes
 */
struct bump_slab {
	struct ap_pool ap;
	struct buddy_arena *arena;
	unsigned long *tab;
	unsigned int tab_shift;
	u8 *heap;
	u8 *map;
	unsigned long map_bias;
	size_t units;
	struct bs_pcpu __percpu *pcpu;
	unsigned long *masks;
	unsigned int mask_longs;
	void **mag_objs;
	bool slow;
	bool free_other;
	unsigned int pcp_end;
	struct hlist_node cpuhp_node;
	bool cpuhp_added;
	unsigned long secret;
	size_t heap_size;
	unsigned int flags;

	/* Guards the fields below; off the line the fast paths read. */
	raw_spinlock_t lock ____cacheline_aligned_in_smp;
	size_t bump;
	unsigned long slabs;
	size_t slab_bytes;
	unsigned long returning[BS_RETURNING];
	unsigned int nr_returning;
	struct list_head spare;
	struct bs_mag mags[BS_DEPOT];
	u64 failures;
	u64 invalid_frees;
	u64 corruptions;
	struct bs_class cls[BUMP_SLAB_CLASSES];
};

static_assert(sizeof(struct bs_slab) <= BS_SLAB_HDR - BS_HDR);
/* A full cache keeps objects after it sends a batch to the pool list. */
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

/*
 * The header word as memory holds it, byte 0 first, on either endianness:
 * @c (< 256), then seven bytes @mark.  One OR when @mark is a constant.
 */
static __always_inline u64 hdr_word(unsigned int c, u8 mark)
{
	return (__force u64)cpu_to_le64((u64)c |
					(u64)mark * 0x0101010101010100ULL);
}

static __always_inline u64 *obj_hdr(void *obj)
{
	return (u64 *)((u8 *)obj - BS_HDR);
}

static bool poisoned(struct bump_slab *bs)
{
	return bs->flags & BUMP_SLAB_POISON;
}

/*
 * The first word of a free object is the link; the rest may be poisoned.
 * O(class size): never with a lock held.
 */
static void poison_obj(struct bump_slab *bs, void *obj, unsigned int c)
{
	if (poisoned(bs) && cls_size(c) > sizeof(void *))
		ap_kasan_memset((u8 *)obj + sizeof(void *), POISON_FREE,
				cls_size(c) - sizeof(void *));
}

/*
 * A free object taken off a list, not yet handed out: its header still
 * says free and its poison is whole.  O(class size): never with a lock
 * held; the object is the caller's alone, and a free of it meanwhile is
 * refused because its header says free.
 */
static bool free_obj_intact(struct bump_slab *bs, void *obj, unsigned int c)
{
	if (ap_kasan_read_once_u64(obj_hdr(obj)) != hdr_word(c, BS_FREE))
		return false;
	if (cls_size(c) <= sizeof(void *))
		return true;
	return !ap_kasan_memchr_inv((u8 *)obj + sizeof(void *), POISON_FREE,
				    cls_size(c) - sizeof(void *));
}

static size_t heap_offset(struct bump_slab *bs, const void *p)
{
	return (unsigned long)p - (unsigned long)bs->heap;
}

/* Where a report locates @p: its offset in the heap or in its slab block. */
static size_t report_offset(struct bump_slab *bs, const void *p)
{
	return bs->arena ? (unsigned long)p & ~PAGE_MASK : heap_offset(bs, p);
}

/*
 * Refuse @p: count it under the pool lock and report it after, so the
 * message (which may reach a console) is never written with the lock held.
 */
static noinline int refuse(struct bump_slab *bs, const char *what,
			   const void *p, bool inside)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&bs->lock, flags);
	bs->invalid_frees++;
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	ap_report_invalid(&bs->ap, what, inside, report_offset(bs, p));
	return -EINVAL;
}

/*
 * A free object whose poison or header changed while it was on a list:
 * mark it bad and keep it out of use; it is given back only at destroy.
 * Reported by the caller once the lock is dropped.
 */
static void quarantine_locked(struct bump_slab *bs, void *obj, unsigned int c)
{
	lockdep_assert_held(&bs->lock);
	ap_kasan_write_once_u64(obj_hdr(obj), hdr_word(c, BS_BAD));
	bs->cls[c].bad++;
	bs->invalid_frees++;
	bs->corruptions++;
}

/*
 * Free-list links live in the first word of a free object, where a
 * client's write after free lands: stored encoded with the pool's secret
 * and their own address (see ap_link_encode()), read once, and checked by
 * the caller before they are followed.
 */
static __always_inline void *get_link(struct bump_slab *bs, void *obj)
{
	return ap_link_decode(bs->secret, obj,
			      ap_kasan_read_once_ulong((unsigned long *)obj));
}

/*
 * A link of class @c failed its check in @obj, the object that holds it:
 * @lost objects, @obj and those behind it, are cut off with their list
 * and never used again (counted in bad, given back only at destroy).  The
 * first damage a call finds is reported, through *@dmg, once the lock is
 * dropped (see report_damage()).
 */
static noinline void cut_locked(struct bump_slab *bs, unsigned int c,
				const void *obj, unsigned long lost,
				size_t *dmg)
{
	lockdep_assert_held(&bs->lock);
	bs->cls[c].bad += lost;
	bs->invalid_frees++;
	bs->corruptions++;
	if (*dmg == SIZE_MAX)
		*dmg = report_offset(bs, obj);
}

static void report_damage(struct bump_slab *bs, size_t dmg)
{
	if (unlikely(dmg != SIZE_MAX))
		ap_report_corruption(&bs->ap, "free-list link damaged", dmg);
}

/* ---- heap mode ---- */

/*
 * The map byte of a header of class @c (< BUMP_SLAB_CLASSES) at 8-byte
 * unit @unit of the heap, while its object is live (or being checked, or
 * kept out of use); never 0.  A free object's byte says where it is:
 * BS_MAP_CACHED is added while it is in a CPU's cache or a magazine,
 * BS_MAP_LISTED while it is on the pool list (or cut off with it).
 */
static __always_inline u64 map_code(u64 c, u64 unit)
{
	return ((c + 1) << 1) | (unit & 1);
}

#define BS_MAP_CACHED	0x40
#define BS_MAP_LISTED	0x80
#define BS_MAP_STATE	(BS_MAP_CACHED | BS_MAP_LISTED)
/* What a free object's map byte flips by between a cache and the list. */
#define BS_MAP_MOVE	(BS_MAP_CACHED ^ BS_MAP_LISTED)
static_assert(((BUMP_SLAB_CLASSES << 1) | 1) < BS_MAP_CACHED);

/* The class a map byte @m says, any number >= BUMP_SLAB_CLASSES if none. */
static __always_inline unsigned int map_cls(u8 m)
{
	return ((m & ~BS_MAP_STATE) >> 1) - 1;
}

/*
 * The 8-byte unit where @ptr's header starts: at or past bs->units if
 * @ptr is outside the heap or misaligned (the rotation puts the low bits
 * of a misaligned offset at the top).
 */
static __always_inline u64 hdr_unit(struct bump_slab *bs, const void *ptr)
{
	/* On numbers: @ptr may be anything a damaged link decodes to. */
	return ror64((unsigned long)ptr - BS_HDR - (unsigned long)bs->heap, 3);
}

/* The class of the live header @w; any other number if @w is none. */
static __always_inline u64 live_cls(u64 w)
{
	return le64_to_cpu((__force __le64)w) ^ BS_LIVE_NUM;
}

/*
 * The map byte of @obj's header; @obj is known to be a heap object.  The
 * heap is page-aligned, so the byte's index is the header's address over
 * 16 less the heap's: see bs->map_bias.
 */
static __always_inline u8 *obj_map(struct bump_slab *bs, const void *obj)
{
	return (u8 *)(bs->map_bias +
		      (((unsigned long)obj - BS_HDR) >> 4));
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
 * Push the BS_BATCH objects of class @c at @objs, the oldest first, onto
 * the front of the pool list, so that the newest ends at its head:
 * BS_BATCH encoded links written, none followed, and each map byte turned
 * from cached to listed.
 */
static void list_push_locked(struct bump_slab *bs, unsigned int c,
			     void *const *objs)
{
	struct bs_list *l = &bs->cls[c].l;
	/* In locals: a byte store to the map may alias any field of @bs. */
	unsigned long secret = bs->secret, bias = bs->map_bias;
	void *head = l->head;
	unsigned int i;

	lockdep_assert_held(&bs->lock);
	for (i = 0; i < BS_BATCH; i++) {
		void *obj = objs[i];
		u8 *m = (u8 *)(bias + (((unsigned long)obj - BS_HDR) >> 4));

		/* Frees of it read its map byte without a lock. */
		data_race(*m ^= BS_MAP_MOVE);
		ap_kasan_write_ulong((unsigned long *)obj,
				     ap_link_encode(secret, obj, head));
		head = obj;
	}
	l->head = head;
	l->n += BS_BATCH;
}

/*
 * Move the BS_BATCH oldest objects of the full cache of class @c in @pc
 * out of it, in order, so that the cache, the class's depot (newest
 * magazine first) and its pool list stay the LIFO stack: into a spare
 * magazine, a copy of BS_BATCH pointers with nothing written to the
 * objects (their map bytes keep saying cached).  With no magazine spare,
 * the class's oldest one first goes to the pool list (list_push_locked())
 * and takes them; and if the class has none either (other classes hold
 * the whole depot), they go to the pool list themselves.
 */
static void flush_locked(struct bump_slab *bs, struct bs_pcpu *pc,
			 unsigned int c)
{
	struct list_head *depot = &bs->cls[c].depot;
	struct bs_cache *k = &pc->cache[c];
	void **objs = pc->objs[c];
	struct bs_mag *mag;

	lockdep_assert_held(&bs->lock);
	lockdep_assert_held(&pc->lock);
	if (!list_empty(&bs->spare)) {
		mag = list_first_entry(&bs->spare, struct bs_mag, node);
	} else if (!list_empty(depot)) {
		mag = list_last_entry(depot, struct bs_mag, node);
		list_push_locked(bs, c, mag->objs);
	} else {
		mag = NULL;
		list_push_locked(bs, c, objs);
	}
	if (mag) {
		list_move(&mag->node, depot);
		memcpy(mag->objs, objs, BS_BATCH * sizeof(void *));
	}
	k->n -= BS_BATCH;
	memmove(objs, objs + BS_BATCH, k->n * sizeof(void *));
}

/*
 * The empty cache of class @c in @pc takes the newest magazine of the
 * class's depot, a copy of BS_BATCH pointers that were in a cache before
 * and in pool memory since: nothing a client wrote is read, and their map
 * bytes still say cached.  The magazine goes back to the spares.
 */
static void depot_take_locked(struct bump_slab *bs, struct bs_pcpu *pc,
			      unsigned int c)
{
	struct bs_mag *mag = list_first_entry(&bs->cls[c].depot,
					      struct bs_mag, node);

	lockdep_assert_held(&bs->lock);
	lockdep_assert_held(&pc->lock);
	memcpy(pc->objs[c], mag->objs, BS_BATCH * sizeof(void *));
	pc->cache[c].n = BS_BATCH;
	list_move(&mag->node, &bs->spare);
}

/*
 * The empty cache of class @c in @pc takes up to BS_BATCH objects from the
 * front of the pool list, the newest on top.  Each link is checked before
 * it is followed (unless the list's count says it ends there), with one
 * range test (inside the heap and 8-byte aligned: see hdr_unit()) and one
 * load of the map, which no client can write: it must say a header of
 * class @c on the pool list.  Each object's map byte says cached before
 * its link is checked, so a link that leads back into the batch fails.
 * At a link that fails, the object holding it and the rest of the list
 * are cut off (cut_locked()), the objects before it kept.  The pool list
 * is not empty.  Not inlined: the loop wants every register.
 */
static noinline void refill_locked(struct bump_slab *bs, struct bs_pcpu *pc,
				   unsigned int c, size_t *dmg)
{
	struct bs_list *l = &bs->cls[c].l;
	unsigned long avail = l->n, want = min_t(unsigned long, avail, BS_BATCH);
	unsigned long secret = bs->secret, units = bs->units;
	unsigned long base = (unsigned long)bs->heap + BS_HDR, next, unit;
	u8 listed = map_code(c, 0) | BS_MAP_LISTED, *map = bs->map, *m, *nm;
	void **bottom = pc->objs[c], **top = bottom + want, *obj = l->head;
	/* The last object's link is not followed if the list ends there. */
	void **last = bottom + (avail == want);

	lockdep_assert_held(&bs->lock);
	lockdep_assert_held(&pc->lock);
	/* The head was checked when it became the head, or was flushed. */
	m = obj_map(bs, obj);
	while (top > last) {
		/* Frees of it read its map byte without a lock. */
		data_race(*m ^= BS_MAP_MOVE);
		*--top = obj;
		next = (unsigned long)ap_link_decode(secret, obj,
				ap_kasan_read_once_ulong((unsigned long *)obj));
		unit = ror64(next - base, 3);
		if (unlikely(unit >= units))
			goto cut;
		nm = map + (unit >> 1);
		/* Written by frees with no lock, but not of listed ones. */
		if (unlikely(data_race(*nm) != (listed | (unit & 1))))
			goto cut;
		m = nm;
		obj = (void *)next;
	}
	if (top > bottom) {
		/* The last one; racy as above. */
		data_race(*m ^= BS_MAP_MOVE);
		*--top = obj;
		obj = NULL;
	}
	l->head = obj;
	l->n = avail - want;
	pc->cache[c].n = want;
	return;

cut:
	/* @obj is cut off with the rest: listed, as they are (racy as above). */
	data_race(*m ^= BS_MAP_MOVE);
	want = bottom + want - top - 1;
	cut_locked(bs, c, obj, avail - want, dmg);
	l->head = NULL;
	l->n = 0;
	memmove(bottom, top + 1, want * sizeof(void *));
	pc->cache[c].n = want;
}

static unsigned long *cls_mask(struct bump_slab *bs, unsigned int c)
{
	return bs->masks + (size_t)c * bs->mask_longs;
}

/*
 * The cache of class @c in @pc has gained objects: set its CPU's bit so
 * that an allocation elsewhere can find them.  The bit and @marked change
 * only under @pc's lock, so a cache that holds objects is always marked.
 */
static noinline void mark_locked(struct bump_slab *bs, struct bs_pcpu *pc,
				 unsigned int c)
{
	lockdep_assert_held(&pc->lock);
	if (pc->cache[c].marked)
		return;
	pc->cache[c].marked = true;
	set_bit(pc->cpu, cls_mask(bs, c));
}

/* The cache of class @c in @pc was found empty: nothing to look at there. */
static void unmark_locked(struct bump_slab *bs, struct bs_pcpu *pc,
			  unsigned int c)
{
	lockdep_assert_held(&pc->lock);
	if (!pc->cache[c].marked)
		return;
	pc->cache[c].marked = false;
	clear_bit(pc->cpu, cls_mask(bs, c));
}

/*
 * This CPU's cache of class @c (in @pc) and the pool list are empty: take
 * the newer half of the cache of another CPU whose bit is set in the
 * class's mask, looking at BS_STEAL_TRIES of them at most, from the CPU
 * after this one round.  Each cache looked at either gives objects or is
 * found empty and loses its mark, so stale marks do not pile up.  Caches
 * hold no links: nothing is followed.  Returns whether it got any.
 */
static bool steal_locked(struct bump_slab *bs, struct bs_pcpu *pc,
			 unsigned int c)
{
	const unsigned long *mask = cls_mask(bs, c);
	struct bs_cache *k = &pc->cache[c];
	unsigned long cpu = pc->cpu;
	unsigned int tries, n, w;

	lockdep_assert_held(&bs->lock);
	lockdep_assert_held(&pc->lock);
	/* Our own bit is clear (our cache is empty) and only we can set it. */
	unmark_locked(bs, pc, c);
	/* Mostly no other cache has any (a class that bumps): one word read. */
	for (w = 0; w < bs->mask_longs && !READ_ONCE(mask[w]); w++)
		;
	if (w == bs->mask_longs)
		return false;
	for (tries = 0; tries < BS_STEAL_TRIES; tries++) {
		struct bs_pcpu *other;
		struct bs_cache *o;

		cpu = find_next_bit(mask, nr_cpu_ids, cpu + 1);
		if (cpu >= nr_cpu_ids)
			cpu = find_first_bit(mask, nr_cpu_ids);
		if (cpu >= nr_cpu_ids)
			return false;
		other = per_cpu_ptr(bs->pcpu, cpu);
		raw_spin_lock_nest_lock(&other->lock, &bs->lock);
		o = &other->cache[c];
		n = DIV_ROUND_UP(o->n, 2);
		o->n -= n;
		memcpy(pc->objs[c], other->objs[c] + o->n, n * sizeof(void *));
		k->n = n;
		if (!o->n)
			unmark_locked(bs, other, c);
		raw_spin_unlock(&other->lock);
		if (n)
			return true;
	}
	return false;
}

/*
 * Pop an object of class @c for this CPU: from its cache; if that is
 * empty, from a batch of the pool list or a steal; if there is none, from
 * the bump pointer (*@fresh then says so).  The object is counted as
 * allocated in @pc's cache, and live in the map; NULL when the heap is
 * full.
 */
static void *heap_pop_locked(struct bump_slab *bs, struct bs_pcpu *pc,
			     unsigned int c, bool *fresh, size_t *dmg)
{
	struct bs_cache *k = &pc->cache[c];
	void *obj;

	lockdep_assert_held(&bs->lock);
	lockdep_assert_held(&pc->lock);
	*fresh = false;
	if (!k->n) {
		if (!list_empty(&bs->cls[c].depot))
			depot_take_locked(bs, pc, c);
		else if (bs->cls[c].l.n)
			refill_locked(bs, pc, c, dmg);
		if (!k->n && !steal_locked(bs, pc, c))
			goto bump;
		mark_locked(bs, pc, c);
	}
	obj = pc->objs[c][--k->n];
	/* Live by the map again: frees of it read this without a lock. */
	data_race(*obj_map(bs, obj) &= ~BS_MAP_CACHED);
	k->allocs++;
	return obj;

bump:
	obj = bump_locked(bs, c);
	if (!obj)
		return NULL;
	*fresh = true;
	k->allocs++;
	return obj;
}

/*
 * The object @obj of class @c, popped through @pc's cache, failed its
 * check: it was never handed out, so its allocation is taken back, and it
 * is kept out of use.
 */
static noinline void heap_quarantine(struct bump_slab *bs, struct bs_pcpu *pc,
				     void *obj, unsigned int c)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&bs->lock, flags);
	raw_spin_lock(&pc->lock);
	pc->cache[c].allocs--;
	raw_spin_unlock(&pc->lock);
	quarantine_locked(bs, obj, c);
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	ap_report_invalid(&bs->ap, "free object modified", true,
			  heap_offset(bs, obj));
}

/*
 * Heap mode, off the fast path: this CPU's cache is empty, or objects must
 * have their header and poison checked before they are handed out.  The
 * check runs with no lock held: the popped object is on no list and its
 * header still says free, so a free of it meanwhile is refused.
 */
static noinline void *heap_alloc_slow(struct bump_slab *bs, unsigned int c)
{
	struct bs_pcpu *pc;
	unsigned long flags;
	size_t dmg;
	bool fresh;
	void *obj;

	for (;;) {
		dmg = SIZE_MAX;
		raw_spin_lock_irqsave(&bs->lock, flags);
		pc = raw_cpu_ptr(bs->pcpu);
		/* A steal may take a second cache lock: see steal_locked(). */
		raw_spin_lock_nest_lock(&pc->lock, &bs->lock);
		obj = heap_pop_locked(bs, pc, c, &fresh, &dmg);
		if (!obj)
			bs->failures++;
		else if (fresh || !poisoned(bs))
			ap_kasan_write_once_u64(obj_hdr(obj), hdr_word(c, BS_LIVE));
		raw_spin_unlock(&pc->lock);
		raw_spin_unlock_irqrestore(&bs->lock, flags);
		report_damage(bs, dmg);
		/* A bumped object was never freed: it has no poison yet. */
		if (!obj || fresh || !poisoned(bs))
			return obj;
		if (free_obj_intact(bs, obj, c)) {
			ap_kasan_write_once_u64(obj_hdr(obj), hdr_word(c, BS_LIVE));
			return obj;
		}
		heap_quarantine(bs, pc, obj, c);
	}
}

/*
 * Heap mode: pop this CPU's most recently freed object of class @c.  The
 * cache is ours alone, out of any client's reach: nothing to check.
 */
static __always_inline void *heap_alloc(struct bump_slab *bs, unsigned long c)
{
	struct bs_pcpu *pc = raw_cpu_ptr(bs->pcpu);
	struct bs_cache *k;
	unsigned long flags;
	unsigned int n;
	void *obj;

	raw_spin_lock_irqsave(&pc->lock, flags);
	k = &pc->cache[c];
	n = k->n;
	if (unlikely(!n)) {
		raw_spin_unlock_irqrestore(&pc->lock, flags);
		return heap_alloc_slow(bs, c);
	}
	obj = pc->objs[c][--n];
	k->n = n;
	k->allocs++;
	ap_kasan_write_once_u64(obj_hdr(obj), hdr_word(c, BS_LIVE));
	/* Live by the map again: frees of it read this without a lock. */
	data_race(*obj_map(bs, obj) &= ~BS_MAP_CACHED);
	raw_spin_unlock_irqrestore(&pc->lock, flags);
	return obj;
}

/*
 * The cache of class @c is full on the CPU a free of @obj runs on: its
 * oldest BS_BATCH objects go to the pool list (flush_locked()) and @obj on
 * top of what is left.  The CPU may have changed since the caller found
 * the cache full: this is a push onto the cache of the CPU it runs on now.
 */
static noinline void heap_free_full(struct bump_slab *bs, void *obj,
				    unsigned int c)
{
	struct bs_pcpu *pc;
	struct bs_cache *k;
	unsigned long flags;

	raw_spin_lock_irqsave(&bs->lock, flags);
	pc = raw_cpu_ptr(bs->pcpu);
	raw_spin_lock(&pc->lock);
	k = &pc->cache[c];
	if (k->n == BS_CACHE_MAX)
		flush_locked(bs, pc, c);
	pc->objs[c][k->n++] = obj;
	k->frees++;
	mark_locked(bs, pc, c);
	raw_spin_unlock(&pc->lock);
	raw_spin_unlock_irqrestore(&bs->lock, flags);
}

/* Heap mode: refuse @ptr and say why. */
static noinline int heap_reject(struct bump_slab *bs, const void *ptr)
{
	u64 unit = hdr_unit(bs, ptr);
	const char *what = "free of a pointer not allocated here";
	u8 m = 0;

	if (unit < bs->units)
		m = READ_ONCE(bs->map[unit >> 1]);
	if (m && (m & 1) == (unit & 1))
		what = m & BS_MAP_STATE ? "double free" :
		       "free with a bad header";
	return refuse(bs, what, ptr, heap_offset(bs, ptr) < bs->heap_size);
}

/*
 * Heap mode.  No lock is needed to validate @ptr: the heap's place and
 * size never change, the map entry of an object changes only while it is
 * free, and only the cmpxchg decides between two frees of one object.
 * From the cmpxchg on, the object is on its way to the cache: poisoned
 * with no lock held, and a second free of it is refused.
 */
static __always_inline int heap_free(struct bump_slab *bs, void *ptr,
				     bool poison)
{
	u64 unit = hdr_unit(bs, ptr);
	u64 *hdr = obj_hdr(ptr);
	struct bs_pcpu *pc;
	struct bs_cache *k;
	unsigned long flags;
	unsigned int n;
	u64 w, c;
	u8 m;

	if (unlikely(unit >= bs->units))
		goto invalid;
	w = ap_kasan_read_once_u64(hdr);
	c = live_cls(w);
	/* Says live from before the object was handed out, or a bad free. */
	m = data_race(bs->map[unit >> 1]);
	if (unlikely(c >= BUMP_SLAB_CLASSES || map_code(c, unit) != m))
		goto invalid;
	/* Live to free: flip the marker bytes, keep the class byte. */
	if (unlikely(!ap_kasan_try_cmpxchg64(hdr, &w,
					     w ^ (hdr_word(0, BS_LIVE) ^
						  hdr_word(0, BS_FREE)))))
		goto invalid;
	if (poison)
		poison_obj(bs, ptr, c);
	/* KASAN: the object is the pool's again, before any CPU can pop it. */
	ap_kasan_free(ptr, cls_size(c));
	/* Cached by the map: a second free is refused even past the header. */
	WRITE_ONCE(bs->map[unit >> 1], m | BS_MAP_CACHED);
	pc = raw_cpu_ptr(bs->pcpu);
	raw_spin_lock_irqsave(&pc->lock, flags);
	k = &pc->cache[c];
	n = k->n;
	/* Full, or empty and so maybe not marked: see heap_free_full(). */
	if (unlikely(n - 1 >= BS_CACHE_MAX - 1)) {
		raw_spin_unlock_irqrestore(&pc->lock, flags);
		heap_free_full(bs, ptr, c);
		return 0;
	}
	pc->objs[c][n] = ptr;
	k->n = n + 1;
	k->frees++;
	raw_spin_unlock_irqrestore(&pc->lock, flags);
	return 0;

invalid:
	return heap_reject(bs, ptr);
}

/*
 * Heap mode: allocations and frees of class @c, summed over the per-CPU
 * caches without their locks (READ_ONCE, as SLUB sums its per-CPU
 * statistics): exact when the pool is quiet, a moment's view otherwise.
 */
static void pcpu_counts(struct bump_slab *bs, unsigned int c, u64 *allocs,
			u64 *frees)
{
	int cpu;

	*allocs = 0;
	*frees = 0;
	if (!bs->pcpu)
		return;
	for_each_possible_cpu(cpu) {
		const struct bs_cache *k = &per_cpu_ptr(bs->pcpu, cpu)->cache[c];

		*allocs += READ_ONCE(k->allocs);
		*frees += READ_ONCE(k->frees);
	}
}

/* ---- buddy mode ---- */

static __always_inline void *slab_obj(const struct bs_slab *slab,
				      unsigned int i)
{
	return (u8 *)slab + BS_SLAB_HDR +
	       (size_t)i * (cls_size(slab->cls) + BS_HDR);
}

/*
 * The index of the object @slab has carved at @ptr, or U32_MAX if there is
 * none: @ptr must be in @slab's page at a whole number of strides from
 * the first object.  Reads @slab's own header only, the slab's and not a
 * client's.
 */
static __always_inline u32
slab_index(struct bump_slab *bs, const struct bs_slab *slab, const void *ptr)
{
	unsigned long addr = (unsigned long)ptr;
	size_t off = (addr & ~PAGE_MASK) - BS_SLAB_HDR;
	u32 i;

	if ((addr & PAGE_MASK) != (unsigned long)slab || off >= PAGE_SIZE)
		return U32_MAX;
	i = ((u64)off * bs->cls[slab->cls].recip) >> 32;
	if (i >= slab->carved ||
	    (size_t)i * (cls_size(slab->cls) + BS_HDR) != off)
		return U32_MAX;
	return i;
}

/*
 * The slab at @ptr's page, if it is one of ours and @block is the size the
 * arena gives the block there.  Under the pool lock (or on a quiet pool:
 * see bump_slab_check()).  The magic is read first and alone: a block the
 * arena gave out but that is not one of our listed slabs never has it (it
 * is set under the pool lock when a slab is listed and cleared under it
 * when the slab is unlisted), and nothing else of the block is read then.
 * The magic and the owner are read through the KASAN accessors: the block
 * may be another client's, unpoisoned only for what it asked for.
 */
static __always_inline struct bs_slab *
slab_lookup(struct bump_slab *bs, const void *ptr, size_t block)
{
	struct bs_slab *slab = (struct bs_slab *)((unsigned long)ptr &
						  PAGE_MASK);

	if (!block || ap_kasan_read_once_u32(&slab->magic) != BS_SLAB_MAGIC ||
	    ap_kasan_read_ulong((const unsigned long *)&slab->owner) !=
	    (unsigned long)bs || slab->block != block ||
	    slab->cls >= BUMP_SLAB_CLASSES)
		return NULL;
	return slab;
}

/*
 * The entry of bs->tab where the slab at @page is known, if it is: a
 * multiplicative hash of the page number (blocks larger than a page are
 * aligned to their size, so the page number's low bits alone would crowd
 * them into a few entries).
 */
static __always_inline unsigned long *tab_slot(struct bump_slab *bs,
					       unsigned long page)
{
	return &bs->tab[(u32)((page >> PAGE_SHIFT) * 0x9e3779b9U) >>
			bs->tab_shift];
}

/*
 * The lookup of a slab bs->tab does not know: at the cost of asking the
 * arena.  Nothing at @ptr's page is read before the arena has said, under
 * our lock, that a live block starts there, and a page whose block we are
 * giving back (bs->returning) is not read at all: the arena may be
 * poisoning it or have given it to someone else.  A slab found is
 * entered in bs->tab, so that its next lookup need not ask.
 */
static noinline struct bs_slab *
find_slab_slow_locked(struct bump_slab *bs, const void *ptr)
{
	unsigned long page = (unsigned long)ptr & PAGE_MASK;
	struct bs_slab *slab;
	unsigned int i;

	lockdep_assert_held(&bs->lock);
	/* Most of the time no give-back is under way: nothing to look at. */
	for (i = 0; bs->nr_returning && i < BS_RETURNING; i++)
		if (bs->returning[i] == page)
			return NULL;
	slab = slab_lookup(bs, ptr,
			   buddy_arena_block_size(bs->arena, (void *)page));
	if (slab)
		/* Read without the lock by the front's frees: pcp_free(). */
		smp_store_release(tab_slot(bs, page), page);
	return slab;
}

/*
 * The slab holding @ptr, and in *@idx the object's index, under the pool
 * lock, which keeps each of our slabs in our hands while it is held: a
 * slab is unlisted under it before its block goes back to the arena.
 * bs->tab names listed slabs only (an entry is set under the lock when a
 * slab is listed or found, and cleared under it when the slab is
 * unlisted), so a page it names is ours and may be read without asking
 * the arena; any other page is looked up by find_slab_slow_locked().  The
 * arena's lock nests inside ours; the arena never calls us.
 */
static __always_inline struct bs_slab *
find_slab_locked(struct bump_slab *bs, const void *ptr, u32 *idx)
{
	unsigned long page = (unsigned long)ptr & PAGE_MASK;
	size_t off = ((unsigned long)ptr & ~PAGE_MASK) - BS_SLAB_HDR;
	struct bs_slab *slab = (struct bs_slab *)page;

	lockdep_assert_held(&bs->lock);
	if (off >= PAGE_SIZE || (off & (BS_HDR - 1)))
		return NULL;
	if (unlikely(*tab_slot(bs, page) != page)) {
		slab = find_slab_slow_locked(bs, ptr);
		if (!slab)
			return NULL;
	}
	*idx = slab_index(bs, slab, ptr);
	return *idx == U32_MAX ? NULL : slab;
}

/*
 * Book @block (a slab's, unlisted, or a new one never listed) as going
 * back to the arena, so that find_slab_locked() does not read it while
 * buddy_arena_free() works on it.  Returns the entry, which the give-back
 * owns until give_back() frees it; -1 if every entry is taken (as many
 * give-backs under way at once): the caller keeps the block.
 */
static int start_return_locked(struct bump_slab *bs, void *block)
{
	unsigned int i;

	lockdep_assert_held(&bs->lock);
	for (i = 0; i < BS_RETURNING; i++) {
		if (!bs->returning[i]) {
			bs->returning[i] = (unsigned long)block;
			bs->nr_returning++;
			return i;
		}
	}
	return -1;
}

/*
 * Buddy mode's front: wait until no lockless free that may have read a
 * slab's bs->tab entry before it was cleared is still at work.  Such a
 * free (pcp_free()) holds its own CPU's cache lock, hard interrupts off,
 * from before it reads bs->tab until after its claim of the header: once
 * each online CPU's cache lock has been taken and dropped after the slab
 * was unlisted (its entry cleared under the pool lock), every free that
 * started before is done, and every later one reads the cleared entry
 * and takes the locked path.  O(online CPUs), with no lock of ours held
 * between two; only a slab's give-back pays it.
 */
static void pcp_quiesce(struct bump_slab *bs)
{
	unsigned long flags;
	int cpu;

	if (!bs->pcp_end)
		return;
	for_each_online_cpu(cpu) {
		struct bs_pcpu *pc = per_cpu_ptr(bs->pcpu, cpu);

		raw_spin_lock_irqsave(&pc->lock, flags);
		raw_spin_unlock_irqrestore(&pc->lock, flags);
	}
}

/*
 * Give back a block booked in entry @slot by start_return_locked(), after
 * pcp_quiesce(); no lock of ours held.  Only that entry is freed: a later
 * give-back of the same block (the arena may have handed it to us again
 * meanwhile, see add_slab_locked()) has an entry of its own, which stays.
 */
static void give_back_quiet(struct bump_slab *bs, void *block, int slot)
{
	unsigned long flags;

	buddy_arena_free(bs->arena, block);
	raw_spin_lock_irqsave(&bs->lock, flags);
	bs->returning[slot] = 0;
	bs->nr_returning--;
	raw_spin_unlock_irqrestore(&bs->lock, flags);
}

static void give_back(struct bump_slab *bs, void *block, int slot)
{
	pcp_quiesce(bs);
	give_back_quiet(bs, block, slot);
}

/* A new slab for class @c; the arena grows only if @gfp lets it block. */
static struct bs_slab *new_slab(struct bump_slab *bs, unsigned int c,
				gfp_t gfp)
{
	struct bs_slab *slab;

	slab = buddy_arena_alloc(bs->arena, bs->cls[c].request, gfp);
	if (!slab)
		return NULL;
	/*
	 * Everything but the magic, which add_slab_locked() sets: a stale
	 * pointer's lookup may read it meanwhile (see slab_lookup()).
	 */
	slab->cls = c;
	slab->cut = 0;
	slab->nr = bs->cls[c].per_slab;
	slab->carved = 0;
	slab->inuse = 0;
	slab->bad = 0;
	slab->owner = bs;
	slab->free = BS_SLAB_END;
	slab->block = bs->cls[c].block;
	INIT_LIST_HEAD(&slab->node);
	/*
	 * KASAN: the arena handed out the request; the objects and their
	 * headers are the pool's until they are, the slab header stays open.
	 */
	ap_kasan_free((u8 *)slab + BS_SLAB_HDR - BS_HDR,
		      slab->block - (BS_SLAB_HDR - BS_HDR));
	return slab;
}

/* List @slab (new from the arena) on @list, its class's partial or full. */
static void add_slab_locked(struct bump_slab *bs, struct bs_slab *slab,
			    struct list_head *list)
{
	struct bs_class *k = &bs->cls[slab->cls];
	unsigned int i;

	lockdep_assert_held(&bs->lock);
	/*
	 * The arena gave this block back to us: a give-back of it still
	 * booked in bs->returning is done with it, and must not hide it.
	 * Its entry names no page from now on but stays taken until that
	 * give-back frees it, so no later give-back shares it.  Mostly none
	 * is under way: one compare.
	 */
	for (i = 0; bs->nr_returning && i < BS_RETURNING; i++)
		if (bs->returning[i] == (unsigned long)slab)
			bs->returning[i] = BS_RETURN_DONE;
	WRITE_ONCE(slab->magic, BS_SLAB_MAGIC);
	/*
	 * Release: a free that reads this without the lock (pcp_free())
	 * then reads the slab's header, written before.
	 */
	smp_store_release(tab_slot(bs, (unsigned long)slab),
			  (unsigned long)slab);
	list_add(&slab->node, list);
	k->slabs++;
	bs->slabs++;
	bs->slab_bytes += slab->block;
}

/*
 * Take a slab off the pool's books; the caller gives it back to the arena
 * once the lock is dropped.  Its magic goes, so a stale pointer into it
 * is refused from then on.
 */
static void unlist_slab_locked(struct bump_slab *bs, struct bs_slab *slab)
{
	struct bs_class *k = &bs->cls[slab->cls];
	unsigned long *ent = tab_slot(bs, (unsigned long)slab);

	lockdep_assert_held(&bs->lock);
	if (*ent == (unsigned long)slab)
		WRITE_ONCE(*ent, 0);	/* read without the lock: pcp_free() */
	list_del(&slab->node);
	k->slabs--;
	k->carved -= slab->carved;
	k->bad -= slab->bad;
	bs->slabs--;
	bs->slab_bytes -= slab->block;
	WRITE_ONCE(slab->magic, 0);
}

/*
 * The free object @obj at the head of @slab's list has a damaged header or
 * link: it and every free object behind it are cut off, counted in @inuse
 * and @bad, so the slab, which holds them, never goes back to the arena
 * before destroy.
 */
static noinline void slab_cut_locked(struct bump_slab *bs,
				     struct bs_slab *slab, void *obj,
				     size_t *dmg)
{
	struct bs_class *k = &bs->cls[slab->cls];
	unsigned int lost = slab->carved - slab->inuse;

	cut_locked(bs, slab->cls, obj, lost, dmg);
	slab->free = BS_SLAB_END;
	slab->inuse += lost;
	slab->bad += lost;
	slab->cut = 1;
	if (slab->carved == slab->nr)
		list_move(&slab->node, &k->full);
}

/*
 * Buddy mode: a slab's links are object indices, stored encoded as heap
 * links are (see get_link()), so that a write over one decodes to a
 * number that is almost never below the slab's carved count, and one that
 * is names an object of this slab, which is checked before it is used.
 */
static __always_inline void set_slab_link(struct bump_slab *bs, void *obj,
					  unsigned long next)
{
	ap_kasan_write_ulong((unsigned long *)obj,
			     ap_link_encode(bs->secret, obj, (void *)next));
}

static __always_inline unsigned long get_slab_link(struct bump_slab *bs,
						   void *obj)
{
	unsigned long w = ap_kasan_read_once_ulong((unsigned long *)obj);

	return (unsigned long)ap_link_decode(bs->secret, obj, w);
}

/*
 * Pop a free object of @slab (a partial one), or carve its next one.
 * Moves the slab to the full list when it has no more.  O(1).  The link
 * of the object popped must be the index of an object the slab has
 * carved, or BS_SLAB_END if the count says it is the last free one, and
 * its header must say free; if not, NULL, with nothing changed: the
 * caller cuts the list off there (slab_cut_locked()).
 */
static __always_inline void *slab_pop_locked(struct bump_slab *bs,
					     struct bs_slab *slab)
{
	struct bs_class *k = &bs->cls[slab->cls];
	unsigned int i = slab->free;
	unsigned long next;
	void *obj;

	lockdep_assert_held(&bs->lock);
	if (i != BS_SLAB_END) {
		obj = slab_obj(slab, i);
		next = get_slab_link(bs, obj);
		if (unlikely(ap_kasan_read_once_u64(obj_hdr(obj)) !=
			     hdr_word(slab->cls, BS_FREE) ||
			     (slab->carved - slab->inuse > 1 ?
			      next >= slab->carved : next != BS_SLAB_END)))
			return NULL;
		slab->free = next;
	} else {
		obj = slab_obj(slab, slab->carved++);
		k->carved++;
	}
	slab->inuse++;
	if (slab->free == BS_SLAB_END && slab->carved == slab->nr)
		list_move(&slab->node, &k->full);
	return obj;
}

/*
 * List the new slab @slab and carve its first object for the caller:
 * a slab of one object goes straight to the full list.
 */
static void *carve_fresh_locked(struct bump_slab *bs, struct bs_slab *slab)
{
	struct bs_class *k = &bs->cls[slab->cls];

	add_slab_locked(bs, slab, slab->nr > 1 ? &k->partial : &k->full);
	slab->carved = 1;
	slab->inuse = 1;
	k->carved++;
	return slab_obj(slab, 0);
}

/*
 * Put the free object @ptr, index @i, of @slab on the slab's list; the
 * caller gives the slab back if that leaves it all free.
 */
static __always_inline void slab_push_locked(struct bump_slab *bs,
					     struct bs_slab *slab, void *ptr,
					     unsigned int i)
{
	struct bs_class *k = &bs->cls[slab->cls];

	lockdep_assert_held(&bs->lock);
	set_slab_link(bs, ptr, slab->free);
	ap_kasan_write_once_u64(obj_hdr(ptr), hdr_word(slab->cls, BS_FREE));
	if (slab->free == BS_SLAB_END && slab->carved == slab->nr)
		list_move(&slab->node, &k->partial);
	slab->free = i;
	slab->inuse--;
}

/*
 * @slab, now all free, goes off the books unless as many blocks are on
 * their way back already: returns it, for the caller to give back to the
 * arena (give_back()) once the lock is dropped, or NULL.
 */
static struct bs_slab *slab_empty_locked(struct bump_slab *bs,
					 struct bs_slab *slab, int *slot)
{
	lockdep_assert_held(&bs->lock);
	*slot = start_return_locked(bs, slab);
	if (*slot < 0)
		return NULL;
	unlist_slab_locked(bs, slab);
	return slab;
}

/*
 * Buddy mode: a popped object of class @c failed its check.  Its
 * allocation is taken back; it stays counted in its slab's @inuse, so the
 * slab is never given back while it holds it.
 */
static noinline void slab_quarantine(struct bump_slab *bs, void *obj,
				     unsigned int c)
{
	struct bs_slab *slab = (struct bs_slab *)((unsigned long)obj &
						  PAGE_MASK);
	unsigned long flags;

	raw_spin_lock_irqsave(&bs->lock, flags);
	bs->cls[c].allocs--;
	slab->bad++;
	quarantine_locked(bs, obj, c);
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	ap_report_invalid(&bs->ap, "free object modified", true,
			  report_offset(bs, obj));
}

/*
 * A slab carved for an allocation that did not need it after all: start
 * giving it back to the arena (the caller finishes with give_back() once
 * the lock is dropped), or, with no return slot free, keep it listed.
 * Returns the block still to give back, or NULL.
 */
static struct bs_slab *fresh_unused_locked(struct bump_slab *bs,
					   struct bs_slab *fresh, int *slot)
{
	if (!fresh)
		return NULL;
	*slot = start_return_locked(bs, fresh);
	if (*slot >= 0)
		return fresh;
	add_slab_locked(bs, fresh, &bs->cls[fresh->cls].partial);
	return NULL;
}

/* ---- buddy mode's per-CPU front (BUMP_SLAB_PERCPU) ---- */

/*
 * The slabs a flush or a drain emptied, unlisted and booked for return
 * (start_return_locked()), to give back once the locks are dropped.
 */
struct bs_gone {
	unsigned int n;
	int slot[BS_RETURNING];
	struct bs_slab *slab[BS_RETURNING];
};

/*
 * Put the first @n objects at @objs (a CPU's cache, the oldest first)
 * back on their slabs, each with a free header and an encoded link, and
 * book the slabs that leaves all free in @g.  The cache is pool memory,
 * out of any client's reach, and each object in it is one of a listed
 * slab's (it holds the slab: counted in @inuse), so nothing is checked.
 * Stops before the object that would empty a slab when no return entry
 * is left and @g already holds one (the caller gives those back and
 * comes again); with none in @g such a slab stays listed, all free, as
 * slab_empty_locked() keeps it.  Returns the objects put back.
 */
static unsigned int slab_release_locked(struct bump_slab *bs,
					void *const *objs, unsigned int n,
					struct bs_gone *g)
{
	unsigned int i;
	int slot;

	lockdep_assert_held(&bs->lock);
	for (i = 0; i < n; i++) {
		void *obj = objs[i];
		struct bs_slab *slab = (struct bs_slab *)((unsigned long)obj &
							  PAGE_MASK);

		if (slab->inuse == 1 && g->n &&
		    bs->nr_returning == BS_RETURNING)
			break;
		slab_push_locked(bs, slab, obj, slab_index(bs, slab, obj));
		if (!slab->inuse && slab_empty_locked(bs, slab, &slot)) {
			g->slot[g->n] = slot;
			g->slab[g->n++] = slab;
		}
	}
	return i;
}

/* Give back the slabs booked in @g; no lock of ours held. */
static void give_back_gone(struct bump_slab *bs, struct bs_gone *g)
{
	unsigned int i;

	if (!g->n)
		return;
	pcp_quiesce(bs);
	for (i = 0; i < g->n; i++)
		give_back_quiet(bs, g->slab[i], g->slot[i]);
	g->n = 0;
}

/*
 * Take the first @n objects off the cache of class @c in @pc, put back on
 * their slabs (slab_release_locked()); returns how many it could.
 */
static unsigned int pcp_release_locked(struct bump_slab *bs,
				       struct bs_pcpu *pc, unsigned int c,
				       unsigned int n, struct bs_gone *g)
{
	struct bs_cache *k = &pc->cache[c];
	void **objs = pc->objs[c];
	unsigned int done;

	lockdep_assert_held(&pc->lock);
	done = slab_release_locked(bs, objs, n, g);
	k->n -= done;
	memmove(objs, objs + done, k->n * sizeof(void *));
	return done;
}

/*
 * Every cached object of @cpu back to its slab, and the slabs that leaves
 * all free back to the arena: at most BS_RETURNING of them per turn of
 * the locks, which are dropped between turns.
 */
static void pcp_drain_cpu(struct bump_slab *bs, unsigned int cpu)
{
	struct bs_pcpu *pc = per_cpu_ptr(bs->pcpu, cpu);
	struct bs_gone g = { .n = 0 };
	unsigned long flags;
	unsigned int c;
	bool more;

	do {
		more = false;
		raw_spin_lock_irqsave(&bs->lock, flags);
		raw_spin_lock(&pc->lock);
		for (c = 0; c < bs->pcp_end && !more; c++) {
			pcp_release_locked(bs, pc, c, pc->cache[c].n, &g);
			more = pc->cache[c].n;
		}
		raw_spin_unlock(&pc->lock);
		raw_spin_unlock_irqrestore(&bs->lock, flags);
		give_back_gone(bs, &g);
	} while (more);
}

/* Every CPU's caches drained (pcp_drain_cpu()); nothing without a front. */
static void pcp_drain_all(struct bump_slab *bs)
{
	int cpu;

	if (!bs->pcp_end)
		return;
	for_each_possible_cpu(cpu)
		pcp_drain_cpu(bs, cpu);
}

static void *pcp_alloc(struct bump_slab *bs, unsigned int c, gfp_t gfp);

/*
 * Buddy mode, every allocation but the common one: a new slab from the
 * arena (asked first, with no lock of ours, when the class seems to have
 * no slab with room, as a class of one object per slab mostly has not), a
 * damaged list cut off, a poison check.
 */
static noinline void *slab_alloc_slow(struct bump_slab *bs, unsigned int c,
				      gfp_t gfp)
{
	struct bs_class *k = &bs->cls[c];
	struct bs_slab *slab, *fresh = NULL;
	bool recycled, refused = false, drained = false;
	size_t dmg = SIZE_MAX;
	unsigned int cuts = 0;
	unsigned long flags;
	void *obj = NULL;
	int slot;

	/* The arena may sleep to grow: never under our lock. */
	might_sleep_if(gfpflags_allow_blocking(gfp));
	/*
	 * A hint read without the lock: if a slab is listed meanwhile, the
	 * loop takes it and the new one goes back (fresh_unused_locked()).
	 */
	if (data_race(list_empty(&k->partial))) {
		fresh = new_slab(bs, c, gfp);
		refused = !fresh;
	}
	raw_spin_lock_irqsave(&bs->lock, flags);
	for (;;) {
		slab = list_first_entry_or_null(&k->partial, struct bs_slab,
						node);
		if (!slab && fresh) {
			obj = carve_fresh_locked(bs, fresh);
			slab = fresh;
			fresh = NULL;
			k->allocs++;
			ap_kasan_write_once_u64(obj_hdr(obj), hdr_word(c, BS_LIVE));
			break;
		}
		if (!slab) {
			/* Objects in CPU caches may hold slabs: drain first. */
			if (refused && (drained || !bs->pcp_end))
				break;
			raw_spin_unlock_irqrestore(&bs->lock, flags);
			if (refused) {
				pcp_drain_all(bs);
				drained = true;
				raw_spin_lock_irqsave(&bs->lock, flags);
				refused = false;
				continue;
			}
			fresh = new_slab(bs, c, gfp);
			raw_spin_lock_irqsave(&bs->lock, flags);
			refused = !fresh;
			continue;
		}
		recycled = slab->free != BS_SLAB_END;
		obj = slab_pop_locked(bs, slab);
		/*
		 * A damaged list, cut off: the slab carves or another is
		 * taken; one cut per call, so the lock hold stays O(1).
		 */
		if (unlikely(!obj)) {
			slab_cut_locked(bs, slab, slab_obj(slab, slab->free),
					&dmg);
			if (!cuts++)
				continue;
			slab = NULL;
			break;
		}
		k->allocs++;
		if (!recycled || !poisoned(bs)) {
			ap_kasan_write_once_u64(obj_hdr(obj), hdr_word(c, BS_LIVE));
			break;
		}
		/* Checked with no lock held, then handed out. */
		fresh = fresh_unused_locked(bs, fresh, &slot);
		raw_spin_unlock_irqrestore(&bs->lock, flags);
		report_damage(bs, dmg);
		dmg = SIZE_MAX;
		if (fresh)
			give_back(bs, fresh, slot);
		fresh = NULL;
		if (free_obj_intact(bs, obj, c)) {
			ap_kasan_write_once_u64(obj_hdr(obj), hdr_word(c, BS_LIVE));
			return obj;
		}
		slab_quarantine(bs, obj, c);
		raw_spin_lock_irqsave(&bs->lock, flags);
	}
	if (!slab)
		bs->failures++;
	/* Another CPU filled the class while we were out: give it back. */
	fresh = fresh_unused_locked(bs, fresh, &slot);
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	report_damage(bs, dmg);
	if (fresh)
		give_back(bs, fresh, slot);
	return slab ? obj : NULL;
}

/*
 * Buddy mode: mostly a listed slab has a free object, or one to carve,
 * and there is nothing to check after; anything else is
 * slab_alloc_slow()'s.
 */
static noinline void *slab_alloc(struct bump_slab *bs, unsigned int c,
				 gfp_t gfp)
{
	struct bs_class *k = &bs->cls[c];
	struct bs_slab *slab;
	unsigned long flags;
	void *obj;

	/* The classes with a front go off here too: one test of the flags. */
	if (unlikely((bs->flags & (BUMP_SLAB_POISON | BUMP_SLAB_PERCPU)) ||
		     /* A hint without the lock; slab_alloc_slow() looks again. */
		     data_race(list_empty(&k->partial)))) {
		if (c < bs->pcp_end)
			return pcp_alloc(bs, c, gfp);
		return slab_alloc_slow(bs, c, gfp);
	}
	raw_spin_lock_irqsave(&bs->lock, flags);
	slab = list_first_entry_or_null(&k->partial, struct bs_slab, node);
	if (likely(slab)) {
		obj = slab_pop_locked(bs, slab);
		if (likely(obj)) {
			k->allocs++;
			ap_kasan_write_once_u64(obj_hdr(obj), hdr_word(c, BS_LIVE));
			raw_spin_unlock_irqrestore(&bs->lock, flags);
			return obj;
		}
	}
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	return slab_alloc_slow(bs, c, gfp);
}

/*
 * Buddy mode: refuse the free of @ptr, whose slab is @slab or, if none
 * was found, NULL; counted under the pool lock, which is dropped, and
 * reported after.
 */
static noinline int slab_refuse_unlock(struct bump_slab *bs, const void *ptr,
				       struct bs_slab *slab,
				       unsigned long flags)
{
	const char *what = "free of a pointer not allocated here";
	u64 w;

	if (slab) {
		w = ap_kasan_read_once_u64(obj_hdr((void *)ptr));
		what = w == hdr_word(slab->cls, BS_FREE) ? "double free" :
		       w == hdr_word(slab->cls, BS_CACHED) ?
		       "double free (object cached)" : "free with a bad header";
	}
	bs->invalid_frees++;
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	ap_report_invalid(&bs->ap, what, !!slab, report_offset(bs, ptr));
	return -EINVAL;
}

/*
 * Buddy mode: the free of @ptr, index @i of @slab, validated and counted,
 * when it is the slab's last object in use or the pool poisons (or KASAN
 * is on); drops the pool lock.  A slab freed of its last object goes back
 * to the arena as it is, nothing written to the object: the arena takes
 * the whole block (and poisons it if it poisons), and the slab, unlisted,
 * refuses any later free into it.
 */
static noinline int slab_free_slow(struct bump_slab *bs, struct bs_slab *slab,
				   void *ptr, unsigned int i,
				   unsigned long flags)
{
	unsigned int c = slab->cls;
	struct bs_slab *gone = NULL;
	int slot;

	if (slab->inuse == 1) {
		gone = slab_empty_locked(bs, slab, &slot);
		if (gone) {
			raw_spin_unlock_irqrestore(&bs->lock, flags);
			give_back(bs, gone, slot);
			return 0;
		}
	}
	if (poisoned(bs) || AP_KASAN) {
		/*
		 * Free from here on, so a second free is refused; still in
		 * @inuse, so the slab stays while it is poisoned (and, with
		 * KASAN, its shadow written: before it is listed, where it
		 * can be handed out again) unlocked.
		 */
		ap_kasan_write_once_u64(obj_hdr(ptr), hdr_word(c, BS_FREE));
		raw_spin_unlock_irqrestore(&bs->lock, flags);
		poison_obj(bs, ptr, c);
		ap_kasan_free(ptr, cls_size(c));
		raw_spin_lock_irqsave(&bs->lock, flags);
	}
	slab_push_locked(bs, slab, ptr, i);
	if (!slab->inuse)
		gone = slab_empty_locked(bs, slab, &slot);
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	if (gone)
		give_back(bs, gone, slot);
	return 0;
}

static noinline int slab_free(struct bump_slab *bs, void *ptr)
{
	struct bs_slab *slab;
	unsigned long flags;
	u32 i;

	raw_spin_lock_irqsave(&bs->lock, flags);
	slab = find_slab_locked(bs, ptr, &i);
	if (unlikely(!slab ||
		     ap_kasan_read_once_u64(obj_hdr(ptr)) !=
		     hdr_word(slab->cls, BS_LIVE)))
		return slab_refuse_unlock(bs, ptr, slab, flags);
	bs->cls[slab->cls].frees++;
	if (unlikely(slab->inuse == 1 || poisoned(bs) || AP_KASAN))
		return slab_free_slow(bs, slab, ptr, i, flags);
	slab_push_locked(bs, slab, ptr, i);
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	return 0;
}

/*
 * Buddy mode's front: the empty cache of class @c in @pc takes up to
 * BS_BATCH free objects from the class's partial slabs (carving new ones
 * where a slab has room), each header then saying cached.  A damaged
 * list is cut off as slab_alloc_slow() cuts it, once per call.
 */
static void pcp_refill_locked(struct bump_slab *bs, struct bs_pcpu *pc,
			      unsigned int c, size_t *dmg)
{
	struct bs_class *k = &bs->cls[c];
	unsigned int n = 0, cuts = 0;
	struct bs_slab *slab;
	void *obj;

	lockdep_assert_held(&bs->lock);
	lockdep_assert_held(&pc->lock);
	while (n < BS_BATCH) {
		slab = list_first_entry_or_null(&k->partial, struct bs_slab,
						node);
		if (!slab)
			break;
		obj = slab_pop_locked(bs, slab);
		if (unlikely(!obj)) {
			slab_cut_locked(bs, slab, slab_obj(slab, slab->free),
					dmg);
			if (cuts++)
				break;
			continue;
		}
		ap_kasan_write_once_u64(obj_hdr(obj), hdr_word(c, BS_CACHED));
		pc->objs[c][n++] = obj;
	}
	pc->cache[c].n = n;
}

/*
 * Pop the newest object of the cache of class @c in @pc, which has @n:
 * live from here on, counted in the cache.
 */
static __always_inline void *pcp_pop_locked(struct bs_pcpu *pc,
					    unsigned int c, unsigned int n)
{
	void *obj = pc->objs[c][--n];

	pc->cache[c].n = n;
	pc->cache[c].allocs++;
	/* A racing bad free's claim of a cached header fails: see pcp_free(). */
	ap_kasan_write_once_u64(obj_hdr(obj), hdr_word(c, BS_LIVE));
	return obj;
}

/*
 * Buddy mode's front, this CPU's cache of class @c empty: a batch from
 * the class's slabs, or a new slab from the arena (asked with no lock of
 * ours held) listed and carved, or, when the arena has no block, every
 * CPU's cache drained and all that tried once more before the failure
 * is counted.
 */
static noinline void *pcp_alloc_slow(struct bump_slab *bs, unsigned int c,
				     gfp_t gfp)
{
	struct bs_slab *fresh = NULL, *more;
	bool drained = false;
	struct bs_pcpu *pc;
	unsigned long flags;
	void *obj = NULL;
	LIST_HEAD(extra);
	unsigned int i;
	size_t dmg;

	might_sleep_if(gfpflags_allow_blocking(gfp));
	for (;;) {
		dmg = SIZE_MAX;
		raw_spin_lock_irqsave(&bs->lock, flags);
		pc = this_cpu_ptr(bs->pcpu);
		raw_spin_lock(&pc->lock);
		if (fresh)
			add_slab_locked(bs, fresh, &bs->cls[c].partial);
		while ((more = list_first_entry_or_null(&extra, struct bs_slab,
							node))) {
			list_del(&more->node);
			add_slab_locked(bs, more, &bs->cls[c].partial);
		}
		if (!pc->cache[c].n)
			pcp_refill_locked(bs, pc, c, &dmg);
		if (pc->cache[c].n)
			obj = pcp_pop_locked(pc, c, pc->cache[c].n);
		else if (fresh || drained)
			bs->failures++;
		raw_spin_unlock(&pc->lock);
		raw_spin_unlock_irqrestore(&bs->lock, flags);
		report_damage(bs, dmg);
		/* A slab listed and taken by others meanwhile: out of luck. */
		if (obj || fresh || drained)
			return obj;
		fresh = new_slab(bs, c, gfp);
		if (!fresh) {
			/* Cached objects may hold slabs the arena wants. */
			pcp_drain_all(bs);
			drained = true;
			fresh = new_slab(bs, c, gfp);
		}
		/*
		 * A class of few objects per slab takes up to BS_PCP_FRESH
		 * objects' worth, so that its cache does not come back here
		 * at each allocation; the arena is asked with no lock held.
		 */
		for (i = bs->cls[c].per_slab; fresh && i < BS_PCP_FRESH;
		     i += bs->cls[c].per_slab) {
			more = new_slab(bs, c, gfp);
			if (!more)
				break;
			list_add(&more->node, &extra);
		}
	}
}

/*
 * Buddy mode's front: pop this CPU's most recently freed object of class
 * @c.  The cache is out of any client's reach: nothing to check.  Out of
 * line: inlined, it would cost the heap's fast path registers.
 */
static noinline void *pcp_alloc(struct bump_slab *bs, unsigned int c,
				gfp_t gfp)
{
	struct bs_pcpu *pc;
	unsigned long flags;
	unsigned int n;
	void *obj;

	local_irq_save(flags);
	pc = this_cpu_ptr(bs->pcpu);
	raw_spin_lock(&pc->lock);
	n = pc->cache[c].n;
	if (unlikely(!n)) {
		raw_spin_unlock(&pc->lock);
		local_irq_restore(flags);
		return pcp_alloc_slow(bs, c, gfp);
	}
	obj = pcp_pop_locked(pc, c, n);
	raw_spin_unlock(&pc->lock);
	local_irq_restore(flags);
	return obj;
}

/*
 * pcp_free() found this CPU's cache of class @c full: its BS_BATCH oldest
 * objects go back to their slabs, then @obj (already claimed: its header
 * says cached) on top.  Interrupts are still off since pcp_free() saved
 * @flags, so the CPU is the same; its cache lock was dropped for the
 * pool lock, which comes first.
 */
static noinline void pcp_free_full(struct bump_slab *bs, struct bs_pcpu *pc,
				   void *obj, unsigned int c,
				   unsigned long flags)
{
	struct bs_cache *k = &pc->cache[c];
	struct bs_gone g = { .n = 0 };

	raw_spin_unlock(&pc->lock);
	raw_spin_lock(&bs->lock);
	raw_spin_lock(&pc->lock);
	/* Mostly BS_BATCH; at least one (see slab_release_locked()). */
	if (k->n == BS_CACHE_MAX)
		pcp_release_locked(bs, pc, c, BS_BATCH, &g);
	pc->objs[c][k->n++] = obj;
	k->frees++;
	raw_spin_unlock(&pc->lock);
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	give_back_gone(bs, &g);
}

/*
 * Buddy mode's front: the free of @ptr, pushed on this CPU's cache with no
 * pool lock.  Anything it cannot settle in O(1) without the lock (a page
 * bs->tab does not name, a class with no front, a header that is not
 * live: a bad free to refuse) goes to the locked slab_free(), which
 * decides and reports as without the front.
 *
 * Lifetime (why reading the slab with no pool lock is safe): @ptr's page
 * is read only after bs->tab, read once, names it, and bs->tab names only
 * listed slabs.  This CPU's cache lock is held, hard interrupts off, from
 * before that read until after the claim; a slab's give-back clears its
 * entry under the pool lock and then takes and drops every online CPU's
 * cache lock (pcp_quiesce()) before the arena gets the block, so the
 * slab is still ours, mapped and unchanged (its header fields are written
 * only before it is listed) for as long as this free looks at it.  The
 * slab's @carved is read racily: it only grows while the slab is listed,
 * and a live object was carved before its free began, so a stale count
 * refuses (through the locked path) nothing live.  The claim: the header
 * goes from live to cached in one cmpxchg, so of two frees of one object
 * racing on two CPUs exactly one wins, and a free of an object that is
 * cached (or free in its slab) fails its claim and is refused.  A live
 * object holds its slab (it is counted in the slab's @inuse), and so
 * does a cached one, so the slab of an object claimed here is not given
 * back before the object goes back to it under the pool lock.
 */
static noinline int pcp_free(struct bump_slab *bs, void *ptr)
{
	unsigned long page = (unsigned long)ptr & PAGE_MASK;
	size_t off = ((unsigned long)ptr & ~PAGE_MASK) - BS_SLAB_HDR;
	struct bs_slab *slab = (struct bs_slab *)page;
	struct bs_pcpu *pc;
	struct bs_cache *k;
	unsigned long flags;
	unsigned int c, n;
	u64 w;

	if (unlikely(off >= PAGE_SIZE || (off & (BS_HDR - 1))))
		return slab_free(bs, ptr);
	local_irq_save(flags);
	pc = this_cpu_ptr(bs->pcpu);
	raw_spin_lock(&pc->lock);
	/*
	 * Written under the pool lock, after the slab's header (release);
	 * see the lifetime rule above.
	 */
	if (unlikely(smp_load_acquire(tab_slot(bs, page)) != page))
		goto locked;
	c = slab->cls;
	if (unlikely(c >= bs->pcp_end))
		goto locked;
	n = ((u64)off * bs->cls[c].recip) >> 32;
	/* Racy read of @carved: it only grows while the slab is listed. */
	if (unlikely(n >= data_race(READ_ONCE(slab->carved)) ||
		     (size_t)n * (cls_size(c) + BS_HDR) != off))
		goto locked;
	w = hdr_word(c, BS_LIVE);
	if (unlikely(!ap_kasan_try_cmpxchg64(obj_hdr(ptr), &w,
					     hdr_word(c, BS_CACHED))))
		goto locked;
	/* KASAN: the object is the pool's again, before it can be popped. */
	ap_kasan_free(ptr, cls_size(c));
	k = &pc->cache[c];
	n = k->n;
	if (unlikely(n == BS_CACHE_MAX)) {
		pcp_free_full(bs, pc, ptr, c, flags);
		return 0;
	}
	pc->objs[c][n] = ptr;
	k->n = n + 1;
	k->frees++;
	raw_spin_unlock(&pc->lock);
	local_irq_restore(flags);
	return 0;

locked:
	raw_spin_unlock(&pc->lock);
	local_irq_restore(flags);
	return slab_free(bs, ptr);
}

/* ---- the public API ---- */

static noinline void *refuse_size(struct bump_slab *bs)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&bs->lock, flags);
	bs->failures++;
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	return NULL;
}

/* Buddy mode, or a heap whose objects are poisoned. */
static __always_inline void *alloc_slow(struct bump_slab *bs, unsigned int c,
					gfp_t gfp)
{
	if (bs->arena)
		return slab_alloc(bs, c, gfp);
	return heap_alloc_slow(bs, c);
}

/*
 * For the trace events: in heap mode the heap is region 0; in buddy mode
 * an object is placed as the arena places it (the arena's region, the
 * offset in it).  bump_slab_size() is the lookup that is safe for any
 * pointer: it gives the class of a live object, and 0 for what a free
 * refuses.
 */
static void bs_where(struct ap_pool *pool, const void *p, struct ap_where *w)
{
	struct bump_slab *bs = container_of(pool, struct bump_slab, ap);
	size_t size = bump_slab_size(bs, p);

	if (bs->arena) {
		buddy_arena_where(bs->arena, p, w);
	} else {
		w->offset = heap_offset(bs, p);
		w->region = w->offset < bs->heap_size ? 0 : AP_NO_REGION;
	}
	w->size = size;
	w->order = size ? ilog2(size) : -1;
	w->live = size;
}

/**
 * bump_slab_alloc() - allocate from the smallest class that fits
 * @bs: the pool
 * @size: bytes wanted, 1 .. 16 MiB
 * @gfp: allocation flags, passed to the buddy arena when a new slab is
 *	needed (buddy mode); heap mode never sleeps
 *
 * The object is 8-byte aligned and holds the class size (the power of two
 * at least @size, 8 at the least), see bump_slab_size(); under KASAN only
 * @size bytes of it are the caller's, the rest a redzone.  With
 * BUMP_SLAB_POISON, an object that comes back from a free list has its
 * poison checked with no lock held; a damaged one is reported, counted in
 * invalid_frees and corruptions, kept out of use, and another is taken.
 * A free-list link that fails its check (a write after free over it) is
 * never followed: it is reported and counted the same way, the list
 * behind it is cut off for good, and the object comes from another list,
 * the bump pointer or another slab.
 *
 * Context: any context, hard IRQ included, on PREEMPT_RT too, with a gfp
 * that does not block; a blocking @gfp lets a buddy-mode pool's arena grow
 * (and sleep).  The locks taken are raw spinlocks, held for a time that
 * does not grow with the pool or the object (see the comment at the
 * top of this file).
 * Return: the object, or NULL (counted as a failure) for a size of 0 or
 * over 16 MiB, or when the heap, or the arena, has no room.
 */
void *bump_slab_alloc(struct bump_slab *bs, size_t size, gfp_t gfp)
{
	unsigned long c;
	void *p;

	if (unlikely(size - 1 >= BUMP_SLAB_MAX_SIZE))
		return refuse_size(bs);
	if (ap_should_fail(&bs->ap, size))
		return NULL;
	c = size_to_cls(size);
	if (unlikely(bs->slow))
		p = alloc_slow(bs, c, gfp);
	else
		p = heap_alloc(bs, c);
	/* KASAN: the request is the caller's, the rest of the class not. */
	if (p)
		ap_kasan_alloc(p, size, cls_size(c));
	ap_trace_alloc(&bs->ap, p, size, bs_where, _RET_IP_);
	return p;
}
EXPORT_SYMBOL_NS_GPL(bump_slab_alloc, ALLOCPOOLS_NS);

/* A heap whose objects are poisoned. */
static noinline int free_slow(struct bump_slab *bs, void *ptr)
{
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
 * (ratelimited) with its offset.  With BUMP_SLAB_POISON the object is
 * poisoned with no lock held; it counts as free from the start, so a
 * second free of it meanwhile is refused.
 *
 * Context: any context, hard IRQ included, on PREEMPT_RT too.
 * Return: 0 (also for NULL), or -EINVAL for a refused free.
 */
int bump_slab_free(struct bump_slab *bs, void *ptr)
{
	if (!ptr)
		return 0;
	ap_trace_free(&bs->ap, ptr, bs_where, _RET_IP_);
	if (unlikely(bs->slow)) {
		/* One compare with memory, as the arena test was. */
		if (!bs->free_other)
			return slab_free(bs, ptr);
		if (bs->pcp_end)
			return pcp_free(bs, ptr);
		return free_slow(bs, ptr);
	}
	return heap_free(bs, ptr, false);
}
EXPORT_SYMBOL_NS_GPL(bump_slab_free, ALLOCPOOLS_NS);

/**
 * bump_slab_size() - class size of an allocated object
 * @bs: the pool
 * @ptr: a pointer, which need not come from @bs
 *
 * Under KASAN only the bytes requested of an object are usable: the rest
 * of its class is a redzone, as kmalloc()'s past the request is.
 *
 * Context: any context, hard IRQ included, on PREEMPT_RT too.
 * Return: the object's class size in bytes, or 0 if @ptr is not an object
 * of @bs that is allocated now.
 */
size_t bump_slab_size(struct bump_slab *bs, const void *ptr)
{
	struct bs_slab *slab;
	unsigned long flags;
	size_t ret = 0;
	u64 unit, c;
	u32 i;

	if (!ptr)
		return 0;
	if (!bs->arena) {
		/* As heap_free() checks it, without a lock. */
		unit = hdr_unit(bs, ptr);
		if (unit >= bs->units)
			return 0;
		c = live_cls(ap_kasan_read_once_u64(obj_hdr((void *)ptr)));
		if (c >= BUMP_SLAB_CLASSES ||
		    map_code(c, unit) != READ_ONCE(bs->map[unit >> 1]))
			return 0;
		return cls_size(c);
	}
	raw_spin_lock_irqsave(&bs->lock, flags);
	slab = find_slab_locked(bs, ptr, &i);
	if (slab &&
	    ap_kasan_read_once_u64(obj_hdr((void *)ptr)) == hdr_word(slab->cls, BS_LIVE))
		ret = cls_size(slab->cls);
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(bump_slab_size, ALLOCPOOLS_NS);

/*
 * The pool's own counters, under its lock: BUMP_SLAB_CLASSES of each, no
 * per-CPU state.  free_listed holds carved - bad until the live count is
 * known.
 */
static void stats_locked(struct bump_slab *bs, struct bump_slab_stats *st)
{
	unsigned int c;

	lockdep_assert_held(&bs->lock);
	st->heap_size = bs->heap_size;
	st->bump_offset = bs->bump;
	st->slabs = bs->slabs;
	st->failures = bs->failures;
	st->invalid_frees = bs->invalid_frees;
	st->corruptions = bs->corruptions;
	st->injected = ap_injected(&bs->ap);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		const struct bs_class *k = &bs->cls[c];

		st->classes[c].free_listed = k->carved - k->bad;
		st->classes[c].slabs = k->slabs;
		st->classes[c].allocs = k->allocs;
		st->classes[c].frees = k->frees;
	}
}

/**
 * bump_slab_stats() - snapshot a pool's counters
 * @bs: the pool
 * @st: filled with the counters
 *
 * free_listed counts the free objects a class holds (in slabs it holds, in
 * buddy mode; in every CPU's cache and the depot too, in heap mode),
 * objects found modified and kept out of use excepted.  The per-CPU counters of a heap
 * pool are summed without their locks: the figures are exact and
 * consistent with each other when nothing else uses the pool, and a
 * moment's view (live and free_listed kept within 0 .. carved) while
 * others do.  injected counts the allocations failed on purpose by the
 * pool's fail/ fault attribute; failures does not count them.
 *
 * With BUMP_SLAB_PERCPU on a buddy arena, every CPU's cache is drained
 * first (its objects back to their slabs, the slabs that leaves all free
 * back to the arena), so a quiet pool's figures are those without the
 * front.
 *
 * Context: any context, hard IRQ included, on PREEMPT_RT too.  The pool
 * lock is held only to copy the pool's own counters (and for each CPU's
 * drain, with that CPU's cache lock, with a front).
 */
void bump_slab_stats(struct bump_slab *bs, struct bump_slab_stats *st)
{
	unsigned long flags;
	unsigned int c;

	memset(st, 0, sizeof(*st));
	/* Buddy mode's front: all-free slabs go back before the count. */
	pcp_drain_all(bs);
	raw_spin_lock_irqsave(&bs->lock, flags);
	stats_locked(bs, st);
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		unsigned long free = st->classes[c].free_listed, live;
		u64 allocs, frees;

		pcpu_counts(bs, c, &allocs, &frees);
		st->classes[c].allocs += allocs;
		st->classes[c].frees += frees;
		live = st->classes[c].allocs - st->classes[c].frees;
		/* Counters read at different moments may cross. */
		if (st->classes[c].frees > st->classes[c].allocs)
			live = 0;
		st->classes[c].size = cls_size(c);
		st->classes[c].live = live;
		st->classes[c].free_listed = free - min(free, live);
	}
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
	u64 pool_allocs[BUMP_SLAB_CLASSES], pool_frees[BUMP_SLAB_CLASSES];
	unsigned long flags;
	u64 allocs, frees;
	unsigned int c;

	raw_spin_lock_irqsave(&bs->lock, flags);
	row->size = bs->arena ? bs->slab_bytes : bs->heap_size;
	row->failures = bs->failures;
	row->invalid_frees = bs->invalid_frees;
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		pool_allocs[c] = bs->cls[c].allocs;
		pool_frees[c] = bs->cls[c].frees;
	}
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		pcpu_counts(bs, c, &allocs, &frees);
		allocs += pool_allocs[c];
		frees += pool_frees[c];
		if (allocs > frees)
			row->used += (allocs - frees) * cls_size(c);
		row->allocs += allocs;
		row->frees += frees;
	}
	row->used = min(row->used, row->size);
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
	seq_printf(m, "corruptions: %llu\n", st->corruptions);
	seq_printf(m, "injected: %llu\n", st->injected);
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
	bs->secret = get_random_long();
	bs->flags = flags;
	bs->slow = poisoned(bs);
	bs->free_other = true;
	raw_spin_lock_init(&bs->lock);
	INIT_LIST_HEAD(&bs->spare);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		INIT_LIST_HEAD(&bs->cls[c].depot);
		INIT_LIST_HEAD(&bs->cls[c].partial);
		INIT_LIST_HEAD(&bs->cls[c].full);
	}
	return bs;
}

/*
 * Heap mode: the per-CPU caches, the classes' CPU masks and the depot's
 * magazines, all spare.
 */
static int init_caches(struct bump_slab *bs)
{
	unsigned int i;
	int cpu;

	bs->mask_longs = BITS_TO_LONGS(nr_cpu_ids);
	bs->masks = kcalloc(BUMP_SLAB_CLASSES * bs->mask_longs,
			    sizeof(unsigned long), GFP_KERNEL);
	if (!bs->masks)
		return -ENOMEM;
	bs->mag_objs = kcalloc(BS_DEPOT * BS_BATCH, sizeof(void *),
			       GFP_KERNEL);
	if (!bs->mag_objs)
		goto free_masks;
	bs->pcpu = alloc_percpu(struct bs_pcpu);
	if (!bs->pcpu)
		goto free_mags;
	for (i = 0; i < BS_DEPOT; i++) {
		bs->mags[i].objs = bs->mag_objs + i * BS_BATCH;
		list_add_tail(&bs->mags[i].node, &bs->spare);
	}
	for_each_possible_cpu(cpu) {
		struct bs_pcpu *pc = per_cpu_ptr(bs->pcpu, cpu);

		raw_spin_lock_init(&pc->lock);
		pc->cpu = cpu;
	}
	return 0;

free_mags:
	kfree(bs->mag_objs);
free_masks:
	kfree(bs->masks);
	return -ENOMEM;
}

/**
 * bump_slab_create() - create a pool over one vmalloc'd heap
 * @name: the pool's name, 1..31 characters of ``[A-Za-z0-9_.-]``
 * @heap_size: bytes of heap; each object takes its class size plus an
 *	8-byte header from it, and the heap does not grow
 * @flags: 0 or BUMP_SLAB_POISON
 *
 * Every @heap_size up to SIZE_MAX is answered: over BS_HEAP_MAX with
 * -EINVAL, and one vmalloc cannot give with -ENOMEM, each with a message
 * of ours and never the page allocator's warning (the size is the
 * caller's, so its allocations pass __GFP_NOWARN).
 *
 * Context: process context; may sleep.
 * Return: the pool, or ERR_PTR(-EINVAL) for a bad name, an unknown flag or
 * a @heap_size of 0 or over BS_HEAP_MAX, ERR_PTR(-EEXIST) if a bump_slab
 * pool has @name already, ERR_PTR(-ENOMEM).
 */
struct bump_slab *bump_slab_create(const char *name, size_t heap_size,
				   unsigned int flags)
{
	struct bump_slab *bs;
	int ret;

	might_sleep();
	if (!heap_size)
		return ERR_PTR(-EINVAL);
	if (heap_size > BS_HEAP_MAX) {
		pr_err("allocpools: bump_slab: a heap of %zu bytes refused (at most %zu)\n",
		       heap_size, (size_t)BS_HEAP_MAX);
		return ERR_PTR(-EINVAL);
	}
	bs = alloc_pool(name, flags);
	if (IS_ERR(bs))
		return bs;
	ret = -ENOMEM;
	bs->heap_size = heap_size;
	bs->heap = __vmalloc(heap_size, GFP_KERNEL | __GFP_NOWARN);
	if (!bs->heap)
		goto no_mem;
	ap_kasan_free(bs->heap, heap_size);
	bs->units = heap_size / BS_HDR;
	bs->map = __vmalloc(DIV_ROUND_UP(heap_size, 2 * BS_HDR),
			    GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
	if (!bs->map)
		goto free_heap;
	bs->map_bias = (unsigned long)bs->map -
		       ((unsigned long)bs->heap >> 4);
	ret = init_caches(bs);
	if (ret)
		goto free_map;
	ret = ap_pool_register(&bs->ap, &bs_kind, name);
	if (ret)
		goto free_caches;
	return bs;

free_caches:
	free_percpu(bs->pcpu);
	kfree(bs->mag_objs);
	kfree(bs->masks);
free_map:
	vfree(bs->map);
free_heap:
	vfree(bs->heap);
no_mem:
	if (ret == -ENOMEM)
		pr_warn("allocpools: bump_slab/%s: no memory for a heap of %zu bytes\n",
			name, heap_size);
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
		/* The smallest block that holds the request, as DESIGN says. */
		k->block = max_t(size_t, roundup_pow_of_two(k->request),
				 1UL << min_order);
		/*
		 * The front caches the classes whose blocks are small: at
		 * most BS_CACHE_MAX blocks of BS_PCP_BLOCK per class and CPU
		 * held by the caches.
		 */
		if (k->block <= BS_PCP_BLOCK && bs->pcp_end == c &&
		    (bs->flags & BUMP_SLAB_PERCPU) && !poisoned(bs))
			bs->pcp_end = c + 1;
	}
}

/*
 * CPU hotplug: a dead CPU's caches are drained, from the CPU that took it
 * down.  One multi-instance state for all buddy-mode pools with a front,
 * set up with the module; -1 when there is none (then no CPU goes down).
 */
static int bs_cpuhp_state = -1;

static int bs_cpu_dead(unsigned int cpu, struct hlist_node *node)
{
	struct bump_slab *bs = hlist_entry(node, struct bump_slab,
					   cpuhp_node);

	pcp_drain_cpu(bs, cpu);
	return 0;
}

/**
 * bump_slab_cpuhp_init() - set up the CPU hotplug state of the pools
 *
 * Called once at module load, before any pool is created.
 *
 * Context: process context; may sleep.
 * Return: 0, or the -errno of ap_cpuhp_init().
 */
int bump_slab_cpuhp_init(void)
{
	return ap_cpuhp_init(&bs_cpuhp_state, "allocpools/bump_slab:dead", bs_cpu_dead);
}

/**
 * bump_slab_cpuhp_exit() - remove what bump_slab_cpuhp_init() set up
 *
 * Context: process context, at module unload, once every pool is gone.
 */
void bump_slab_cpuhp_exit(void)
{
	ap_cpuhp_exit(&bs_cpuhp_state);
}

/* Buddy mode's front: on the hotplug state, once its caches are made. */
static int init_front(struct bump_slab *bs)
{
	int ret;

	if (!bs->pcp_end || bs_cpuhp_state < 0)
		return 0;
	ret = cpuhp_state_add_instance_nocalls(bs_cpuhp_state,
					       &bs->cpuhp_node);
	if (ret)
		return ret;
	bs->cpuhp_added = true;
	return 0;
}

static void free_front(struct bump_slab *bs)
{
	if (bs->cpuhp_added)
		cpuhp_state_remove_instance_nocalls(bs_cpuhp_state,
						    &bs->cpuhp_node);
	bs->cpuhp_added = false;
}

/**
 * bump_slab_create_on() - create a pool whose classes take slabs from a
 *	buddy arena
 * @name: the pool's name, 1..31 characters of ``[A-Za-z0-9_.-]``
 * @backing: the arena; it must outlive the pool
 * @flags: 0, or BUMP_SLAB_POISON, BUMP_SLAB_PERCPU or both
 *
 * Classes of up to 1 KiB carve page-sized slabs; larger classes take one
 * buddy block per object (the power of two at least 64 bytes more than the
 * class size).  A slab whose objects are all free goes back to the arena.
 * With BUMP_SLAB_PERCPU (and not BUMP_SLAB_POISON) the classes of up to
 * 4 KiB get a per-CPU front, and a slab goes back once all its objects
 * are free and none is in a CPU's cache; see the flag's DOC entry for
 * when the caches drain.
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
	size_t tab;
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
	/* The arena's first region in pages: growth may outgrow the table. */
	tab = clamp_t(size_t, roundup_pow_of_two(st->size >> PAGE_SHIFT),
		      BS_TAB_MIN, BS_TAB_MAX);
	kfree(st);
	ret = -ENOMEM;
	bs->tab_shift = 32 - ilog2(tab);
	bs->tab = kcalloc(tab, sizeof(*bs->tab), GFP_KERNEL);
	if (!bs->tab)
		goto free_pool;
	bs->arena = backing;
	bs->slow = true;
	bs->free_other = bs->pcp_end;
	ret = bs->pcp_end ? init_caches(bs) : 0;
	if (ret)
		goto free_tab;
	ret = init_front(bs);
	if (ret)
		goto free_caches;
	ret = ap_pool_register(&bs->ap, &bs_kind, name);
	if (ret)
		goto free_caches;
	return bs;

free_caches:
	free_front(bs);
	free_percpu(bs->pcpu);
	kfree(bs->mag_objs);
	kfree(bs->masks);
free_tab:
	kfree(bs->tab);
free_pool:
	kfree(bs);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(bump_slab_create_on, ALLOCPOOLS_NS);

/* Buddy mode: any slab the pool holds, or NULL; 2 lists of each class. */
static struct bs_slab *any_slab_locked(struct bump_slab *bs)
{
	unsigned int c;

	lockdep_assert_held(&bs->lock);
	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		if (!list_empty(&bs->cls[c].partial))
			return list_first_entry(&bs->cls[c].partial,
						struct bs_slab, node);
		if (!list_empty(&bs->cls[c].full))
			return list_first_entry(&bs->cls[c].full,
						struct bs_slab, node);
	}
	return NULL;
}

/*
 * Buddy mode, at destroy: every slab back to the arena, one per turn of
 * the pool lock, with the arena called after the lock is dropped.
 */
static void give_back_slabs(struct bump_slab *bs)
{
	struct bs_slab *slab;
	unsigned long flags;

	for (;;) {
		raw_spin_lock_irqsave(&bs->lock, flags);
		slab = any_slab_locked(bs);
		if (slab)
			unlist_slab_locked(bs, slab);
		raw_spin_unlock_irqrestore(&bs->lock, flags);
		if (!slab)
			return;
		buddy_arena_free(bs->arena, slab);
		cond_resched();
	}
}

/* Objects allocated and not freed: the pool's counters and the caches'. */
static unsigned long live_objects(struct bump_slab *bs)
{
	unsigned long live = 0, flags;
	u64 allocs, frees;
	unsigned int c;

	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		pcpu_counts(bs, c, &allocs, &frees);
		raw_spin_lock_irqsave(&bs->lock, flags);
		allocs += bs->cls[c].allocs;
		frees += bs->cls[c].frees;
		raw_spin_unlock_irqrestore(&bs->lock, flags);
		live += allocs - frees;
	}
	return live;
}

/**
 * bump_slab_destroy() - free a pool and everything allocated from it
 * @bs: the pool; NULL and ERR_PTR values are ignored
 *
 * Objects still allocated are freed with it, after one warning that says
 * how many there were.  In buddy mode every slab goes back to the arena,
 * one at a time.  The per-CPU caches and the depot's magazines of a heap
 * pool hold nothing but pointers into the heap, so they are read, never
 * locked all at once, and go with it.
 *
 * Context: process context; may sleep.  Nothing may use @bs concurrently.
 */
void bump_slab_destroy(struct bump_slab *bs)
{
	unsigned long live;

	might_sleep();
	if (IS_ERR_OR_NULL(bs))
		return;
	ap_pool_unregister(&bs->ap);
	free_front(bs);
	pcp_drain_all(bs);
	live = live_objects(bs);
	if (bs->arena)
		give_back_slabs(bs);
	if (live)
		ap_warn_live(&bs->ap, live);
	free_percpu(bs->pcpu);
	kfree(bs->mag_objs);
	kfree(bs->masks);
	kfree(bs->tab);
	vfree(bs->map);
	vfree(bs->heap);
	kfree(bs);
}
EXPORT_SYMBOL_NS_GPL(bump_slab_destroy, ALLOCPOOLS_NS);

/* ---- invariants, for the tests ---- */

/*
 * Everything below reads the pool without its locks: the walker is for a
 * quiet pool (nothing else using it), and takes no lock because what it
 * walks grows with the pool.
 */

/*
 * Whether @obj is a free object of class @c by the map, in the state
 * @state says (its header is not checked once the pool has seen damage:
 * a client may have written it).
 */
static bool heap_free_ok(struct bump_slab *bs, void *obj, unsigned int c,
			 u8 state)
{
	u64 unit = hdr_unit(bs, obj);

	return unit < bs->units &&
	       bs->map[unit >> 1] == (map_code(c, unit) | state) &&
	       (bs->corruptions ||
		ap_kasan_read_once_u64(obj_hdr(obj)) == hdr_word(c, BS_FREE));
}

/* The pool list of class @c: as long as it says, each link sound. */
static bool heap_list_ok(struct bump_slab *bs, const struct bs_list *l,
			 unsigned int c, unsigned long *n)
{
	void *obj = l->head;
	unsigned long i;

	for (i = 0; i < l->n; i++) {
		if (!heap_free_ok(bs, obj, c, BS_MAP_LISTED))
			return false;
		obj = get_link(bs, obj);
	}
	*n += l->n;
	return true;
}

/* The caches of class @c: their objects, counts and marks. */
static bool caches_ok(struct bump_slab *bs, unsigned int c, unsigned long *n)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct bs_pcpu *pc = per_cpu_ptr(bs->pcpu, cpu);
		struct bs_cache *kc = &pc->cache[c];
		unsigned int i;

		if (kc->n > BS_CACHE_MAX || pc->cpu != cpu ||
		    (kc->n && !kc->marked) ||
		    kc->marked != test_bit(cpu, cls_mask(bs, c)))
			return false;
		for (i = 0; i < kc->n; i++)
			if (!heap_free_ok(bs, pc->objs[c][i], c,
					  BS_MAP_CACHED))
				return false;
		*n += kc->n;
	}
	return true;
}

/* The depot of class @c: whole magazines of cached objects; *@mags counts. */
static bool depot_ok(struct bump_slab *bs, unsigned int c, unsigned long *n,
		     unsigned int *mags)
{
	struct bs_mag *mag;
	unsigned int i;

	list_for_each_entry(mag, &bs->cls[c].depot, node) {
		if (++*mags > BS_DEPOT)
			return false;
		for (i = 0; i < BS_BATCH; i++)
			if (!heap_free_ok(bs, mag->objs[i], c, BS_MAP_CACHED))
				return false;
		*n += BS_BATCH;
	}
	return true;
}

static bool heap_check(struct bump_slab *bs, unsigned long *seen)
{
	size_t off = 0, starts = 0, i, below = DIV_ROUND_UP(bs->bump, 2 * BS_HDR);
	unsigned int c, mags = 0;
	struct bs_mag *mag;
	u64 allocs, frees;

	/* Headers are found through the map, which no client can write. */
	while (off < bs->bump) {
		u64 w = ap_kasan_read_once_u64((u64 *)(bs->heap + off));
		size_t unit = off / BS_HDR;
		u8 m = bs->map[unit >> 1];

		/* Free by the map exactly when the header says free. */
		c = map_cls(m);
		if (!m || c >= BUMP_SLAB_CLASSES ||
		    (m & ~BS_MAP_STATE) != map_code(c, unit) ||
		    (m & BS_MAP_STATE) == BS_MAP_STATE ||
		    (!bs->corruptions &&
		     w != hdr_word(c, m & BS_MAP_STATE ? BS_FREE : BS_LIVE) &&
		     (m & BS_MAP_STATE || w != hdr_word(c, BS_BAD))))
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

		if (seen[c] != k->carved || !heap_list_ok(bs, &k->l, c, &n) ||
		    !caches_ok(bs, c, &n) || !depot_ok(bs, c, &n, &mags))
			return false;
		pcpu_counts(bs, c, &allocs, &frees);
		if (k->allocs || k->frees || n > k->carved ||
		    n != k->carved - (allocs - frees) - k->bad)
			return false;
	}
	/* Every magazine is a class's or spare, and in one place only. */
	list_for_each_entry(mag, &bs->spare, node)
		if (++mags > BS_DEPOT)
			return false;
	return mags == BS_DEPOT;
}

static bool slab_check(struct bump_slab *bs, struct bs_slab *slab,
		       unsigned int c, bool full)
{
	unsigned int i, live = 0, free = 0, bad = 0;
	unsigned long idx;
	void *obj;

	/* An empty slab is kept when BS_RETURNING give-backs are under way. */
	if (slab->magic != BS_SLAB_MAGIC || slab->owner != bs ||
	    slab->cls != c || slab->nr != bs->cls[c].per_slab ||
	    slab->carved > slab->nr || slab->inuse > slab->carved ||
	    slab->bad > slab->inuse ||
	    buddy_arena_block_size(bs->arena, slab) != slab->block)
		return false;
	for (i = 0; i < slab->carved; i++) {
		u64 w = ap_kasan_read_once_u64(obj_hdr(slab_obj(slab, i)));

		/* A cached object holds its slab as a live one does. */
		if (w == hdr_word(c, BS_LIVE) || w == hdr_word(c, BS_CACHED))
			live++;
		else if (w == hdr_word(c, BS_FREE))
			free++;
		else if (w == hdr_word(c, BS_BAD))
			bad++;
		else if (!bs->corruptions)
			return false;
	}
	/*
	 * Objects cut off behind a damaged link are counted bad with their
	 * header still free, or as a client wrote it.
	 */
	if (!slab->cut && (live + bad != slab->inuse || bad != slab->bad))
		return false;
	free = slab->carved - slab->inuse;
	for (i = 0, idx = slab->free; i < free; i++) {
		if (idx >= slab->carved)
			return false;
		obj = slab_obj(slab, idx);
		if (ap_kasan_read_once_u64(obj_hdr(obj)) != hdr_word(c, BS_FREE))
			return false;
		idx = get_slab_link(bs, obj);
	}
	if (idx != BS_SLAB_END)
		return false;
	return full == (slab->free == BS_SLAB_END && slab->carved == slab->nr);
}

/*
 * Buddy mode's front: the objects of class @c in the CPUs' caches, each
 * with a cached header in a slab the pool lists; *@n counts them.
 */
static bool pcp_check(struct bump_slab *bs, unsigned int c, unsigned long *n)
{
	unsigned int i;
	int cpu;

	*n = 0;
	if (c >= bs->pcp_end)
		return true;
	for_each_possible_cpu(cpu) {
		struct bs_pcpu *pc = per_cpu_ptr(bs->pcpu, cpu);
		struct bs_cache *kc = &pc->cache[c];

		if (kc->n > BS_CACHE_MAX)
			return false;
		for (i = 0; i < kc->n; i++) {
			void *obj = pc->objs[c][i];
			struct bs_slab *slab = (struct bs_slab *)
				((unsigned long)obj & PAGE_MASK);

			if (slab->magic != BS_SLAB_MAGIC || slab->cls != c ||
			    slab_index(bs, slab, obj) == U32_MAX ||
			    ap_kasan_read_once_u64(obj_hdr(obj)) !=
			    hdr_word(c, BS_CACHED))
				return false;
		}
		*n += kc->n;
	}
	return true;
}

static bool arena_check(struct bump_slab *bs)
{
	unsigned long slabs = 0, known = 0;
	size_t bytes = 0;
	unsigned int c;

	for (c = 0; c < BUMP_SLAB_CLASSES; c++) {
		struct bs_class *k = &bs->cls[c];
		unsigned long n = 0, carved = 0, bad = 0, inuse = 0, cached;
		struct bs_slab *slab;
		u64 allocs, frees;
		int full;

		for (full = 0; full < 2; full++) {
			list_for_each_entry(slab, full ? &k->full : &k->partial,
					    node) {
				if (!slab_check(bs, slab, c, full))
					return false;
				n++;
				carved += slab->carved;
				bad += slab->bad;
				inuse += slab->inuse;
				bytes += slab->block;
				known += *tab_slot(bs, (unsigned long)slab) ==
					 (unsigned long)slab;
			}
		}
		pcpu_counts(bs, c, &allocs, &frees);
		allocs += k->allocs;
		frees += k->frees;
		if (!pcp_check(bs, c, &cached) || n != k->slabs ||
		    carved != k->carved || bad != k->bad ||
		    inuse != allocs - frees + cached + k->bad)
			return false;
		slabs += n;
	}
	/* bs->tab names listed slabs and nothing else. */
	for (c = 0; c < 1U << (32 - bs->tab_shift); c++)
		known -= !!bs->tab[c];
	return slabs == bs->slabs && bytes == bs->slab_bytes && !known;
}

/*
 * Walk the whole pool and check every counter against what is there.
 * Slow (it visits every object); for the tests, on a quiet pool, in
 * process context.  Poison is not checked here: a caller's write to a
 * free object is found when it is reused.
 */
static bool __maybe_unused bump_slab_check(struct bump_slab *bs)
{
	unsigned long seen[BUMP_SLAB_CLASSES] = { 0 };

	might_sleep();
	return bs->arena ? arena_check(bs) : heap_check(bs, seen);
}

#if IS_ENABLED(CONFIG_ALLOCPOOLS_KUNIT_TEST)
#include "kunit/bump_slab_test.c"
#endif
