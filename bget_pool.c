// SPDX-License-Identifier: GPL-2.0
/*
 * A BGET-style coalescing pool.
 *
 * John Walker's BGET made per pool and SMP-safe: variable-size buffers are
 * carved out of regions (a vmalloc'd initial region, buffers handed in with
 * bget_pool_add() and expansion blocks obtained through the acquire
 * callback), and boundary tags let a freed buffer merge with both
 * neighbours in O(1).
 *
 * Fit policies.  Free blocks sit in one segregated index.  Blocks under
 * BGET_LARGE (16 KiB) sit in exact-size bins, one per 16-byte quantum,
 * each a LIFO list, with a two-level bitmap of the non-empty bins (a
 * summary word over bitmap words), so "the smallest non-empty bin at or
 * above n" is at most two find-first-bit operations.  Larger blocks sit in
 * an rbtree keyed by size with one node per distinct size; blocks of a size
 * already in the tree hang on that node's chain, so inserting and removing
 * them is O(1) and a search is O(log d) in the number of distinct large
 * sizes.  The tree and its chains live out of band, out of a client's
 * reach: each region that can hold a large block has a kvmalloc'd array
 * of nodes (struct bget_tnode, 56 bytes), one slot per 16 KiB window of
 * the region, as no two free blocks of 16 KiB or more can start in one
 * window; a large free block's node is the slot of the window it starts
 * in.  BGET_BEST_FIT takes a block of the smallest size that fits.  The
 * default, first fit, takes the first fitting block met searching the index
 * in size order, which is a block of that same smallest size: the two
 * policies place blocks alike, both exactly, and neither fails while a
 * fitting block is free nor looks at more than one block per bin or tree
 * node.  Fast paths cover most calls: a small request met from the bins,
 * one carved from the only large block (often a region's untouched end),
 * whose place in the tree does not change, and the hot block: the block
 * the last merge on bget_free()'s fast path made, kept off its bin, into
 * which the next free just below it merges and from which a request it
 * fits best is carved, with no list touched (see hot_flush_locked()).
 *
 * Blocks are split from their high end, so a free block keeps its header.
 * A region's 64 bytes of bookkeeping and each buffer's 16-byte header come
 * out of the region; the node array of a region of 16 KiB and more is
 * allocated with it (create, add, growth) and freed with it.  Counters
 * kept on the fast paths are few (bytes in use, allocations, frees); free
 * bytes, free blocks and live buffers are derived from them when read.
 *
 * Context: bget_alloc(), bget_zalloc(), bget_realloc(), bget_free(),
 * bget_pool_stats() and bget_dump_buf() may be called from any context,
 * hard IRQ included, on PREEMPT_RT too.  They sleep only to grow: when a
 * request cannot be met and the caller's gfp allows blocking, the pool's
 * grow mutex lets one caller at a time run the compact and acquire
 * callbacks, in the memalloc scope its gfp asks for (ap_memalloc_save());
 * the others wait, then try the pool again before growing themselves.
 * Callers that may not block run the callbacks unserialized with their own
 * gfp, which the default acquire refuses; they get no expansion block big
 * enough to hold a large block (pool_incr of BGET_LARGE + 64 bytes and
 * more), as its node array cannot be allocated without blocking: that
 * growth fails, counted in failures, and the acquire callback is not
 * called.  Direct blocks need no array.  A release callback runs inside
 * the bget_free() that freed the block, once the lock is dropped, in that
 * caller's context, and must suit it; bget_vmalloc_ops' release only
 * queues the block for the pool's work item, which vfree()s it in process
 * context (bget_pool_destroy() waits for it); a released expansion
 * region's node array goes to that work item too.  Process context only:
 * create, destroy, add, ctl, validate and dump.
 *
 * Locking: one raw spinlock per pool, taken with irqsave, guards every
 * block header, the free index, the region tree and the counters.
 * Callbacks are called with it dropped and may call back into the pool;
 * whatever they did is re-checked once it is retaken.  Work on a block's
 * bytes (poisoning a freed block, checking the poison of a block to hand
 * out, zeroing, copying) is O(size) and is done with the lock dropped, on
 * a block that belongs to that call alone meanwhile: it is in transit
 * (BH_TRANSIT), out of the index and marked allocated to its neighbours,
 * so they do not merge with it and a second free of it is refused.
 *
 * Longest hold of the lock, for any pool or block size.  n is the number
 * of regions or of distinct free sizes of 16 KiB and more, so O(log n) is
 * an rbtree search (at most 2 log2(n + 1) < 100 steps on 64-bit); no
 * memory is touched beyond block headers and links, and 256 bytes of
 * contents for bget_dump_buf():
 *   alloc, zalloc: two find-first-bits or one O(log n) tree search, and a
 *     split: O(1) bin or O(log n) tree updates.  Growing adds an O(log n)
 *     region link.  With BGET_POISON the lock is taken twice, each hold as
 *     long: once to take the block off the index, once to carve it.
 *   free: an O(log n) region lookup (O(1) when the hint hits), header
 *     checks, and a merge with both neighbours: O(1) bin or O(log n) tree
 *     updates; BGET_POISON takes the lock twice, each hold as long.
 *   realloc: as free (shrink) or alloc (grow in place); moving is alloc,
 *     free and a copy outside the lock.
 *   stats: O(log n) (the largest free block) and a copy of the counters.
 *   dump_buf: a region lookup, header checks and a 256-byte copy.
 *   ctl: O(1).  add: an O(log n) overlap check and region link.
 *   validate, dump: process context, in steps of at most 64 headers or
 *     index entries, or 16 KiB of poison compared (validate), or of 8
 *     blocks copied, 256 bytes of each (dump); the lock is dropped between
 *     steps.  A validation of a pool that changes during every one of its
 *     8 passes gives up and says "busy" (see bget_pool_validate()).
 *   create, destroy: no contention; destroy walks every region unlocked.
 *
 * Layout of a region (every size a multiple of the 16-byte quantum):
 *
 *   +--------------+-----------+--------------------+-----------+-- ... --+--------+
 *   | region       | hdr       | payload            | hdr       |         | hdr    |
 *   | (rb_node,    | prevfree  | (allocated)        | prevfree  |  free   | size 0 |
 *   |  len, kind)  | info|check|                    | info|check| [links] | (end)  |
 *   +--------------+-----------+--------------------+-----------+-- ... --+--------+
 *                  ^ first block                                           ^ sentinel
 *
 * hdr is 16 bytes: prevfree is the size of the block just below when that
 * block is free (0 otherwise); info is the block size over 4 with the
 * block's state (free, allocated, in transit, quarantined) in its two low
 * bits; check is a hash of info and the header's own address, so a
 * pointer that does not start a block, or a header that was overwritten,
 * is recognised and the free refused.  A small free block holds its bin
 * links (16 bytes) right after its header; a large one holds nothing but
 * its header, its tree node being out of band.
 *
 * A client that writes into memory it freed, or past the end of a buffer,
 * lands on those headers and links.  What a damaged pool does:
 *   - Bin links are stored encoded with a per-pool secret and
 *     their own address (ap_link_encode()), back links also salted with
 *     how often their list was cut off.  A decoded link is followed only
 *     after the safe-unlink checks: it points, aligned, into a region of
 *     this pool at a block whose header is intact and says free with the
 *     list's size, and whose link back points at us (a bin's first block
 *     is named by the bin's head, out of reach, and keeps no link back).
 *     Most links point into the region of the last lookup: two compares
 *     place them there; others are looked up.  A header is trusted
 *     only when its check word holds; a free block's size only when the
 *     next block's boundary tag (prevfree) agrees and it ends inside its
 *     region; a prevfree only when the block it names is free of that size.
 *   - The size tree (lib/rbtree.c's nodes and the same-size chains) is out
 *     of band and needs no checks.  A block its node hands out is checked
 *     first (header intact, free with the node's size, boundary tag
 *     agreeing); a large block found by address (a neighbour to merge) is
 *     taken out of the tree only if its slot names it with its header's
 *     size.  A block failing that loses its node and is cut off alone.
 *   - Damage found is never followed.  It is counted in corruptions (and
 *     invalid_frees), reported once (rate-limited) with its offset, and cut
 *     off: a damaged bin is dropped with all its blocks, a damaged large
 *     block alone (their bytes counted lost, never reused, and a region
 *     holding them is never whole again, so never released); a damaged
 *     block found
 *     beside a block being freed is quarantined and not merged.  The
 *     allocation goes on with other bins, the tree, or growth; the pool
 *     keeps serving.  bget_pool_validate() then reports the pool corrupt.
 *   - With KASAN generic (and KASAN_VMALLOC), all of a region but its
 *     struct is poisoned in KASAN's shadow while the pool has not handed
 *     it out: headers, boundary tags, links, free blocks, the sentinel.
 *     Each buffer is unpoisoned for exactly the bytes asked for, the rest
 *     of its block a redzone, so a client's access past its request or
 *     after its free is reported by KASAN at the access; the pool's own go
 *     through allocpools_kasan.h's accessors.  A freed block is poisoned
 *     with the lock dropped, in transit (pool_held()), but for a small
 *     block on bget_free()'s fast path, poisoned under the lock (up to
 *     2 KiB of shadow written).  A region is unpoisoned before it is
 *     vfree'd, released or handed back to its caller.
 *   - Not caught: a write that reproduces a valid encoded link, or a valid
 *     header (its check word is a fixed function of its address, not a
 *     secret); writes into a live buffer's own bytes (they are the
 *     client's); writes into a region's bookkeeping before its first block
 *     (a client can reach it only by writing before a buffer's start; it
 *     holds the region tree's node and the node array's address).  A
 *     live buffer whose own header or boundary tag was overwritten cannot
 *     be freed any more (refused as a smashed header) and stays allocated.
 */

#define pr_fmt(fmt) "allocpools: " fmt

#include <linux/bitops.h>
#include <linux/cache.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/poison.h>
#include <linux/printk.h>
#include <linux/random.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include <allocpools/bget_pool.h>

#include "allocpools_internal.h"
#include "allocpools_kasan.h"
#include "allocpools_pcp.h"
#include "allocpools_trace.h"

#define BGET_KNOWN_FLAGS	(BGET_BEST_FIT | BGET_POISON | BGET_PERCPU)

/*
 * info holds the block size shifted right by 2 (so two bits of a 16-byte
 * multiple are free for the block's state) and getting the size back is
 * one and, one shift.  Only BH_FREE blocks are in the free index or merge
 * with a neighbour.
 */
#define BH_STATE	3u		/* the state bits of info */
#define BH_FREE		0u
#define BH_ALLOC	1u		/* handed out (or the sentinel) */
#define BH_TRANSIT	2u		/* off the books while the lock is dropped */
#define BH_QUAR		3u		/* held back: poison was overwritten */
#define BH_SMASK	(~BH_STATE)	/* block size >> 2 */
#define BH_SSHIFT	2

#define BGET_QSHIFT	4

/*
 * Free blocks under BGET_LARGE bytes live in exact-size bins (one per
 * quantum); larger ones in the size tree.  The bitmap has one bit per bin
 * and the summary word one bit per bitmap word.
 */
#define BGET_NBINS	1024
#define BGET_LARGE	((size_t)BGET_NBINS << BGET_QSHIFT)
#define BGET_MAP_WORDS	(BGET_NBINS / BITS_PER_LONG)
/* Slots of the size tree's cache of chain heads (struct bget_pool.tcache) */
#define BGET_TCACHE_SHIFT	4
#define BGET_TCACHE	BIT(BGET_TCACHE_SHIFT)

/* Where regions come from, and so where they go back to. */
enum bget_region_kind {
	BGET_REGION_INITIAL,	/* vmalloc'd by bget_pool_create() */
	BGET_REGION_CALLER,	/* bget_pool_add(): the caller's */
	BGET_REGION_EXPANSION,	/* acquire(pool_incr): released when empty */
	BGET_REGION_DIRECT,	/* acquire() for one large buffer */
};

static const char * const bget_region_names[] = {
	"initial", "caller", "expansion", "direct",
};

struct bget_hdr {
	size_t prevfree;
	u32 info;
	u32 check;
};

/*
 * The links of a small free block, right after its header: its bin list.
 * A large block holds no links: its node is out of band.
 */
struct bget_free {
	unsigned long next;	/* struct bget_free *, encoded */
	unsigned long pprev;	/* struct bget_free **, encoded and salted */
};

/*
 * The size tree's node of a large free block, out of a client's reach: in
 * its region's array, one slot per BGET_LARGE window of the region (two
 * blocks of BGET_LARGE bytes or more cannot start in one window).  A block
 * either heads the chain of its size (@pprev NULL, @rb in the size tree,
 * @next the first other block of that size) or is on such a chain (@pprev
 * set, @rb unused).  @blk NULL: the slot is empty.
 */
struct bget_tnode {
	struct rb_node rb;
	struct bget_tnode *next;
	struct bget_tnode **pprev;
	struct bget_hdr *blk;
	size_t size;		/* the key: @blk's size when it was indexed */
};

/*
 * Lives at the start of each region, 16-byte aligned.  An initial,
 * expansion or direct region starts on the first byte of its buffer (they
 * are page or quantum aligned), so that is what is released.
 */
struct bget_region {
	struct rb_node node;	/* in bget_pool.regions, by address */
	size_t len;		/* bytes from this struct to the sentinel's end */
	struct bget_tnode *tnodes; /* kvmalloc'd; NULL: no large block fits */
	unsigned int id;	/* for dumps and messages */
	unsigned int kind;
};

#define BGET_HDR	sizeof(struct bget_hdr)
/* Bytes at the start of a free block that hold header and links, unpoisoned. */
#define BGET_SKIP	(BGET_HDR + sizeof(struct bget_free))
#define BGET_MIN_BLOCK	(3 * BGET_QUANTUM)
#define BGET_REG_HDR	ALIGN(sizeof(struct bget_region), BGET_QUANTUM)
#define BGET_OVERHEAD	(BGET_REG_HDR + BGET_HDR)
/* Offset of a region's first buffer: no buffer starts before it. */
#define BGET_FIRST	(BGET_REG_HDR + BGET_HDR)
#define BGET_MAX_BLOCK	((size_t)BH_SMASK << BH_SSHIFT)

static_assert(BGET_MIN_BLOCK >= BGET_SKIP);
/* log2(BGET_LARGE): a large block's slot in its region's node array */
#define BGET_TSHIFT	14
static_assert(BGET_LARGE == (size_t)1 << BGET_TSHIFT);
static_assert(BGET_NBINS % BITS_PER_LONG == 0);
static_assert(BGET_MAP_WORDS <= BITS_PER_LONG);

/*
 * The per-CPU front (BGET_PERCPU): block sizes of BGET_PCP_MIN_Q to
 * BGET_PCP_TOP_Q quanta, header included, each a class of its own.
 */
#define BGET_PCP_MIN_Q		3
#define BGET_PCP_TOP_Q		257	/* 4 KiB buffers */
#define BGET_PCP_CLASSES	(BGET_PCP_TOP_Q - BGET_PCP_MIN_Q + 1)
#define BGET_PCP_MAX		24	/* blocks a class holds at most */
#define BGET_PCP_BATCH		12	/* blocks a refill takes, a flush gives */
static_assert(BGET_PCP_MIN_Q << 4 == BGET_MIN_BLOCK);
static_assert(BGET_PCP_MAX == 2 * BGET_PCP_BATCH);

/**
 * struct bget_pcpu - one CPU's cache of small blocks (BGET_PERCPU)
 * @lock: guards everything below; taken alone on the fast paths, inside
 *	the pool lock everywhere else
 * @nget: allocations served from this cache since its last drain
 * @nrel: frees into this cache since its last drain
 * @n: per class, the blocks in @blk
 * @blk: per class, blocks of the pool's initial region, allocated as far
 *	as their headers say, the most recently freed on top; each as its
 *	buffer's quanta from struct bget_pool.pcp_lo (a region's quanta fit
 *	32 bits), so a CPU's cache is some 24 KiB: alloc_percpu() serves
 *	no more than PCPU_MIN_UNIT_SIZE (32 KiB) at once
 *
 * An array in the per-CPU area, out of any client's reach: a cached block
 * holds no link, and nothing is read from it but its header.  Its claim
 * bit (struct bget_pool.pcp_map) is set, so a free of it is refused.
 */
struct bget_pcpu {
	struct ap_pcp_lock lock;	/* guards the cache */
	long nget;
	long nrel;
	u8 n[BGET_PCP_CLASSES];
	u32 blk[BGET_PCP_CLASSES][BGET_PCP_MAX];
};

#ifdef PCPU_MIN_UNIT_SIZE
static_assert(sizeof(struct bget_pcpu) <= PCPU_MIN_UNIT_SIZE);
#endif

/* A buffer bget_vmalloc_ops released, waiting in the pool for vfree(). */
struct bget_gone {
	struct bget_gone *next;
};

/**
 * struct bget_pool - a BGET-style pool
 * @ap: the core's part (name, debugfs)
 * @lock: guards every field below but @flags, @grow_lock and @gone_work,
 * and every block header
 * @flags: BGET_* create flags, constant
 * @hint: the region the last lookup found, or NULL; only a shortcut
 * @win_lo: where @hint's first block's links start (0 when @hint is NULL)
 * @win_q: quanta from @hint's first block to its sentinel (0 when @hint is
 * NULL)
 * @free_lo: @hint when bget_free() may take its fast path there (an initial
 * or caller's region, no poison), else 0
 * @free_q: when @free_lo is set, the quanta of @hint a buffer can start in,
 * past its first block's header; else 0
 * @regions: the regions on the books and the direct blocks, by address
 * @size_tree: free blocks of BGET_LARGE bytes or more, one node per size
 * @tcache: a node that headed @size_tree's chain of a size, by a hash of
 * the size; only a shortcut, believed once it still heads that size
 * @tc_none: what an empty @tcache slot names: a node of no size
 * @hot: the hot block, or NULL: a small free block kept off its bin (see
 * hot_flush_locked())
 * @hot_size: @hot's size, 0 when @hot is NULL
 * @bin_sum: bit w set iff @bin_map[w] is not zero
 * @bin_map: bit q set iff @bins[q] is not empty
 * @bins: free blocks of q quanta, for q < BGET_NBINS, LIFO
 * @ops: the callbacks set with bget_pool_ctl()
 * @pool_incr: expansion block size
 * @next_id: id of the next region
 * @managed: bytes in all regions, direct blocks included
 * @span: bytes in the blocks of the regions on the books
 * @quarantined: bytes in blocks taken out of use by a poison mismatch
 * @transit: bytes in blocks in transit (BH_TRANSIT): neither free nor in use
 * @direct: bytes in live direct blocks
 * @curalloc: bytes in allocated blocks, headers included
 * @nget: successful allocations
 * @nrel: frees
 * @nchange: changes of the block layout that @nget and @nrel do not count
 * @npool: regions on the books (not direct blocks)
 * @npget: expansion blocks acquired
 * @nprel: expansion blocks released
 * @ndget: direct blocks acquired
 * @ndrel: direct blocks released
 * @failures: refused or failed allocations
 * @invalid_frees: refused frees and poison mismatches
 * @corruptions: damage found: poison mismatches, smashed headers, damaged
 * links and boundary tags
 * @secret: the key of the links stored in free blocks (ap_link_encode())
 * @bin_cut: times each bin was cut off; salts its blocks' back links
 * @bin_key: each bin's key of its back links: @secret salted with @bin_cut,
 * kept so that the fast paths need not build it
 * @bin_n: blocks in each bin, so that a bin cut off is counted in @lost
 * @tree_bytes: bytes in the blocks of the size tree
 * @lost: bytes in blocks cut off after damage: never used again
 * @cut_what: damage found under the lock, to report once it is dropped
 * @cut_off: where, as an offset in its region
 * @gone: buffers bget_vmalloc_ops released, for @gone_work to vfree()
 * @tn_gone: node arrays of released expansion regions, for @gone_work to
 * kvfree()
 * @grow_lock: one blocking grower at a time (compact and acquire)
 * @gone_work: vfree()s what is on @gone, in process context
 * @pcp: the per-CPU caches (BGET_PERCPU without BGET_POISON), or NULL;
 * constant
 * @pcp_reg: the region whose blocks are cached (the initial one); constant
 * @pcp_lo: where @pcp_reg's first buffer starts; constant
 * @pcp_q: quanta from @pcp_lo to @pcp_reg's sentinel (0: nothing is
 * cached); constant
 * @pcp_map: one claim bit per quantum from @pcp_lo: the bit of a buffer
 * set while its block is cached (or a free of it decides); atomic
 * @pcp_gen: moved before a cached block goes back to the free index, and
 * before a refill carves blocks, so that a free that saw the block's
 * header before that finds out (see pcp_free())
 * @pcp_n: blocks the caches took off the books (refills) less those they
 * gave back, plus frees less allocations of the caches folded in by the
 * drains: the allocated blocks of the books are @nget - @nrel + @pcp_n
 * @cpuhp_node: on the CPU hotplug state that drains a dead CPU's cache
 *
 * Free bytes, free blocks and live buffers are derived from these when
 * read, so the fast paths keep only @curalloc, @nget and @nrel.  Every
 * change of the layout moves @nget, @nrel or @nchange, so their sum is a
 * sequence number that the walks (validate, dump) use to tell whether the
 * pool changed while they had the lock dropped.
 */
struct bget_pool {
	struct ap_pool ap;
	raw_spinlock_t lock;	/* guards what @lock above says */
	unsigned int flags;
	struct bget_region *hint;
	unsigned long win_lo;
	unsigned long win_q;
	unsigned long free_lo;
	unsigned long free_q;
	struct rb_root regions;
	struct rb_root size_tree;
	struct bget_tnode *tcache[BGET_TCACHE];
	struct bget_tnode tc_none;
	struct bget_hdr *hot;
	size_t hot_size;
	unsigned long bin_sum;
	unsigned long bin_map[BGET_MAP_WORDS];
	struct bget_free *bins[BGET_NBINS];
	struct bget_ops ops;
	size_t pool_incr;
	unsigned int next_id;
	size_t managed;
	size_t span;
	size_t quarantined;
	size_t transit;
	size_t direct;
	size_t curalloc;
	long nget, nrel;
	unsigned long nchange;
	long npool, npget, nprel, ndget, ndrel;
	u64 failures;
	u64 invalid_frees;
	u64 corruptions;
	unsigned long secret;
	u16 bin_cut[BGET_NBINS];
	unsigned long bin_key[BGET_NBINS];
	u32 bin_n[BGET_NBINS];
	size_t tree_bytes;
	size_t lost;
	const char *cut_what;
	size_t cut_off;
	struct bget_gone *gone;
	struct bget_gone *tn_gone;
	struct mutex grow_lock;	/* one blocking grower at a time */
	struct work_struct gone_work;
	/* Read by every call through the front: a line of their own. */
	struct bget_pcpu __percpu *pcp ____cacheline_aligned_in_smp;
	struct bget_region *pcp_reg;
	unsigned long pcp_lo;
	unsigned long pcp_q;
	unsigned long *pcp_map;
	/* Written by refills and flushes. */
	unsigned long pcp_gen ____cacheline_aligned_in_smp;
	long pcp_n;
	struct hlist_node cpuhp_node;
};

/*
 * A refused free or a poison mismatch, noted under the lock and logged
 * once it is dropped: printk can take long on a console.
 */
struct bget_report {
	const char *what;
	size_t off;
	bool inside;
};

static void report(struct bget_pool *bp, const struct bget_report *rep)
{
	ap_report_invalid(&bp->ap, rep->what, rep->inside, rep->off);
}

/* ---- block headers ---- */

/*
 * With KASAN generic, headers, boundary tags, bin links and free bytes are
 * poisoned to the client (allocpools_kasan.h): the pool reads and writes
 * them through these uninstrumented accessors.  Without, they are the
 * plain member accesses, so the code is as it was (an access through a
 * u32 or unsigned long pointer would alias every such field).
 */
static __always_inline u32 hdr_info(const struct bget_hdr *h)
{
	return AP_KASAN ? ap_kasan_read_u32(&h->info) : h->info;
}

static __always_inline u32 hdr_check(const struct bget_hdr *h)
{
	return AP_KASAN ? ap_kasan_read_u32(&h->check) : h->check;
}

static __always_inline size_t hdr_prevfree(const struct bget_hdr *h)
{
	return ap_kasan_get_ulong(h->prevfree);
}

static __always_inline void set_prevfree(struct bget_hdr *h, size_t size)
{
	ap_kasan_set_ulong(h->prevfree, size);
}

static __always_inline void hdr_write(struct bget_hdr *h, u32 info, u32 check)
{
	if (AP_KASAN) {
		ap_kasan_write_u32(&h->info, info);
		ap_kasan_write_u32(&h->check, check);
	} else {
		h->info = info;
		h->check = check;
	}
}

static inline size_t blk_size(const struct bget_hdr *h)
{
	return (size_t)(hdr_info(h) & BH_SMASK) << BH_SSHIFT;
}

static inline bool blk_free(const struct bget_hdr *h)
{
	return !(hdr_info(h) & BH_STATE);
}

/*
 * Two instructions, but ties the header to its address: a header copied
 * elsewhere, or bytes that merely repeat (info == check: only a header
 * whose quantum number is 0 mod 2^32 could pass), fail it.  A constant
 * mixed in would only move that one address in 64 GiB elsewhere.
 */
static inline u32 hdr_sum(const struct bget_hdr *h, u32 info)
{
	return (u32)((unsigned long)h >> BGET_QSHIFT) ^ info;
}

static inline bool hdr_ok(const struct bget_hdr *h)
{
	return hdr_check(h) == hdr_sum(h, hdr_info(h));
}

static inline void set_hdr(struct bget_hdr *h, size_t size, u32 flags)
{
	u32 info = (u32)(size >> BH_SSHIFT) | flags;

	hdr_write(h, info, hdr_sum(h, info));
}

/*
 * Header @h, found intact, changes state by @bits (BH_ALLOC: free to
 * allocated or back), its size kept.  hdr_sum() is linear in the info
 * word, so the same bits flip in both words: neither is worked out again,
 * and the header stays intact.
 */
static __always_inline void hdr_flip(struct bget_hdr *h, u32 bits)
{
	if (AP_KASAN) {
		ap_kasan_write_u32(&h->info, ap_kasan_read_u32(&h->info) ^ bits);
		ap_kasan_write_u32(&h->check,
				   ap_kasan_read_u32(&h->check) ^ bits);
	} else {
		/*
		 * One 64-bit xor over both words (@bits sit in both halves,
		 * either endian), through memcpy(): no aliasing question.
		 */
		void *p = (u8 *)h + offsetof(struct bget_hdr, info);
		u64 w;

		BUILD_BUG_ON(offsetof(struct bget_hdr, check) !=
			     offsetof(struct bget_hdr, info) + sizeof(u32));
		memcpy(&w, p, sizeof(w));
		w ^= (u64)bits << 32 | bits;
		memcpy(p, &w, sizeof(w));
	}
}

/* A header merged into a lower block must never pass hdr_ok() again. */
static inline void kill_hdr(struct bget_hdr *h)
{
	hdr_write(h, 0, hdr_sum(h, 0) ^ 1);
}

static inline struct bget_hdr *blk_at(const void *p, size_t off)
{
	return (struct bget_hdr *)((char *)p + off);
}

static inline struct bget_hdr *blk_below(const void *p, size_t off)
{
	return (struct bget_hdr *)((char *)p - off);
}

static inline struct bget_hdr *next_blk(const struct bget_hdr *h)
{
	return blk_at(h, blk_size(h));
}

static inline struct bget_free *blk_links(struct bget_hdr *h)
{
	return (struct bget_free *)(h + 1);
}

/*
 * These two run on links and nodes not yet checked, which may hold any
 * value a client wrote: integer arithmetic, so that a wild value is only a
 * number until the checks have placed it in a region.
 */
static inline struct bget_hdr *links_blk(const struct bget_free *f)
{
	return (struct bget_hdr *)((unsigned long)f - sizeof(struct bget_hdr));
}

static inline void *blk_payload(struct bget_hdr *h)
{
	return h + 1;
}

static inline struct bget_hdr *reg_first(const struct bget_region *r)
{
	return blk_at(r, BGET_REG_HDR);
}

static inline struct bget_hdr *reg_end(const struct bget_region *r)
{
	return blk_at(r, r->len - BGET_HDR);
}

static inline size_t reg_span(const struct bget_region *r)
{
	return r->len - BGET_OVERHEAD;
}

static inline size_t reg_offset(const struct bget_region *r, const void *p)
{
	return (const char *)p - (const char *)r;
}

static inline bool pool_poison(const struct bget_pool *bp)
{
	return bp->flags & BGET_POISON;
}

/*
 * Is a freed block poisoned with the lock dropped, in transit: with
 * BGET_POISON (its bytes), and with KASAN (its shadow, whatever the flags)?
 */
static inline bool pool_held(const struct bget_pool *bp)
{
	return AP_KASAN || pool_poison(bp);
}

/* Bytes at the start of a free block of @size that poison leaves alone. */
static inline size_t poison_skip(size_t size)
{
	return BGET_SKIP;
}

static void poison_blk(struct bget_hdr *h, size_t size)
{
	size_t skip = poison_skip(size);

	ap_kasan_memset((char *)h + skip, POISON_FREE, size - skip);
}

/*
 * KASAN: all of region @r but its struct (which lib/rbtree.c reads) is the
 * pool's from when it is laid out until it goes: its blocks, tags and
 * sentinel are poisoned, and only what a caller asked for is not.
 */
static void region_poison(const struct bget_region *r)
{
	ap_kasan_free(reg_first(r), r->len - BGET_REG_HDR);
}

/* ... and @len bytes at @buf, a region's memory, unpoisoned when it goes. */
static void buf_unpoison(const void *buf, size_t len)
{
	ap_kasan_alloc(buf, len, len);
}

/*
 * KASAN: @p, just handed out for @size bytes, is the caller's for exactly
 * those; the rest of its block becomes a redzone.
 */
static __always_inline void kasan_hand_out(void *p, size_t size)
{
	if (AP_KASAN && p)
		ap_kasan_alloc(p, size,
			       blk_size((struct bget_hdr *)p - 1) - BGET_HDR);
}

/* ---- the free index ---- */

/*
 * Hardened links.  Every link stored in a free block (a bin's @next and
 * @pprev) is kept encoded with the pool's secret and its own
 * address (ap_link_encode()); @pprev is also salted with the number of
 * times its list was cut off, so the blocks of a list cut off after damage
 * no longer decode as members of the list that took its place, and are
 * never merged with or handed out again.  A decoded link is followed only
 * once it points, quantum aligned, at the links of a block inside one of
 * the pool's regions whose header is intact and says free with the list's
 * size, and whose back link points back (the safe-unlink check).  The bin
 * heads live in struct bget_pool, out of reach of a client; so does the
 * size tree, with its nodes in the regions' node arrays.  The first block
 * of a bin is known by its head, so its own back link is neither kept nor
 * read: it is written when a block goes on top of it.
 */
#define BGET_SALT_SHIFT	(BITS_PER_LONG - 16)

static inline struct bget_region *region_find_locked(struct bget_pool *bp,
						     const void *p);

static __always_inline unsigned long bin_salt(const struct bget_pool *bp,
					      unsigned int q)
{
	return (unsigned long)bp->bin_cut[q] << BGET_SALT_SHIFT;
}

/* Where @f's next link is, as a back link holds it. */
static __always_inline struct bget_free **next_slot(struct bget_free *f)
{
	return (struct bget_free **)&f->next;
}

static __always_inline struct bget_free *get_next(const struct bget_pool *bp,
						  const struct bget_free *f)
{
	return ap_link_decode(bp->secret, &f->next, ap_kasan_get_ulong(f->next));
}

static __always_inline void set_next(const struct bget_pool *bp,
				     struct bget_free *f, struct bget_free *n)
{
	ap_kasan_set_ulong(f->next, ap_link_encode(bp->secret, &f->next, n));
}

static __always_inline struct bget_free **
get_pprev(const struct bget_pool *bp, const struct bget_free *f,
	  unsigned long salt)
{
	return ap_link_decode(bp->secret ^ salt, &f->pprev,
			     ap_kasan_get_ulong(f->pprev));
}

static __always_inline void set_pprev(const struct bget_pool *bp,
				      struct bget_free *f,
				      struct bget_free **pp, unsigned long salt)
{
	ap_kasan_set_ulong(f->pprev,
			   ap_link_encode(bp->secret ^ salt, &f->pprev, pp));
}

/* The info word of a free block of @size bytes. */
static __always_inline u32 free_info(size_t size)
{
	return (u32)(size >> BH_SSHIFT);
}

/*
 * Is @h a header at a quantum boundary inside a region of @bp, intact,
 * with a block that ends inside the region?  Nothing of @h is read before
 * its address is known to be inside the region.
 */
static __always_inline bool blk_in_pool_locked(struct bget_pool *bp,
					       const struct bget_hdr *h)
{
	struct bget_region *r;

	if (unlikely(!IS_ALIGNED((unsigned long)h, BGET_QUANTUM)))
		return false;
	r = region_find_locked(bp, h);
	return likely(r && h >= reg_first(r) && h < reg_end(r) && hdr_ok(h) &&
		      blk_size(h) <= (size_t)((char *)reg_end(r) - (char *)h));
}

/* link_ok_locked() for a block outside the hint's window: search. */
static noinline bool link_ok_slow_locked(struct bget_pool *bp,
					 const struct bget_free *f,
					 unsigned int q)
{
	const struct bget_hdr *h = links_blk(f);
	struct bget_region *r;

	if (unlikely(!IS_ALIGNED((unsigned long)h, BGET_QUANTUM)))
		return false;
	r = region_find_locked(bp, h);
	return r && h >= reg_first(r) &&
	       ((size_t)q << BGET_QSHIFT) <=
	       (size_t)((char *)reg_end(r) - (char *)h) &&
	       hdr_info(h) == q << (BGET_QSHIFT - BH_SSHIFT);
}

/*
 * @off in quanta if it is a multiple of the quantum; otherwise its low
 * bits, rotated to the top, make it larger than any region: one compare
 * then refuses both a misaligned and an outlying offset.
 */
static __always_inline unsigned long off_quanta(unsigned long off)
{
	return off >> BGET_QSHIFT | off << (BITS_PER_LONG - BGET_QSHIFT);
}

/*
 * Is @f, read from a link, the links of a free block of @q quanta inside
 * a region of @bp?  The caller then checks its link back, which only this
 * pool's secret encodes: that, not the header's check word, is what makes
 * the block ours.  Most links point into the region of the last lookup,
 * whose blocks span @win_q quanta from the first one, whose links are at
 * @win_lo: an aligned offset below that is a block's links in that
 * region, found with no search; others are
 * looked up if @search, else refused (a fast path that must not call out
 * leaves them to its slow path).
 */
static __always_inline bool link_ok_locked(struct bget_pool *bp,
					   const struct bget_free *f,
					   unsigned int q, bool search)
{
	const struct bget_hdr *h = links_blk(f);
	unsigned long off = off_quanta((unsigned long)f - bp->win_lo);

	if (unlikely(off >= bp->win_q))
		return search && link_ok_slow_locked(bp, f, q);
	return likely(q <= bp->win_q - off &&
		      hdr_info(h) == q << (BGET_QSHIFT - BH_SSHIFT));
}

/* Damage noted under the lock, logged once it is dropped. */
static noinline void note_damage_locked(struct bget_pool *bp,
					const struct bget_hdr *h,
					const char *what)
{
	struct bget_region *r = region_find_locked(bp, h);

	bp->corruptions++;
	bp->invalid_frees++;
	bp->nchange++;
	if (!bp->cut_what) {
		bp->cut_what = what;
		bp->cut_off = r ? reg_offset(r, h) : 0;
	}
}

/* Log the damage noted under the lock; call with it dropped. */
static void report_damage(struct bget_pool *bp)
{
	const char *what;
	unsigned long flags;
	size_t off;

	raw_spin_lock_irqsave(&bp->lock, flags);
	what = bp->cut_what;
	off = bp->cut_off;
	bp->cut_what = NULL;
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	if (what)
		ap_report_corruption(&bp->ap, what, off);
}

/* Drop the lock (@flags), then log the damage noted while it was held. */
static __always_inline void unlock_report(struct bget_pool *bp,
					  unsigned long flags)
{
	const char *what = bp->cut_what;

	raw_spin_unlock_irqrestore(&bp->lock, flags);
	if (unlikely(what))
		report_damage(bp);
}

/*
 * Free block @h, found by its address (a neighbour) but not on the list
 * its header names, or with a damaged header: it is taken out of use.
 * Its bytes stay counted where they were (in a list not yet found damaged,
 * or in @lost from an earlier cut), so nothing is counted twice.  A header
 * that is still whole becomes quarantined, and the block above forgets
 * that it was free, so a free of that block is still accepted.
 */
static noinline void drop_blk_locked(struct bget_pool *bp, struct bget_hdr *h,
				     const char *what)
{
	note_damage_locked(bp, h, what);
	if (blk_in_pool_locked(bp, h) && blk_size(h) >= BGET_MIN_BLOCK) {
		set_hdr(h, blk_size(h), BH_QUAR);
		set_prevfree(next_blk(h), 0);
	}
}

/*
 * Bin @q is damaged: cut it off whole.  Its blocks are leaked (counted in
 * @lost) and, with the bin's salt changed, never decode as members again.
 * @h, a block of it, is quarantined as well.
 */
static noinline void bin_cut_locked(struct bget_pool *bp, unsigned int q,
				    struct bget_hdr *h)
{
	bp->lost += (size_t)bp->bin_n[q] * ((size_t)q << BGET_QSHIFT);
	bp->bin_n[q] = 0;
	bp->bin_cut[q]++;
	bp->bin_key[q] = bp->secret ^ bin_salt(bp, q);
	bp->bins[q] = NULL;
	__clear_bit(q, bp->bin_map);
	if (!bp->bin_map[q / BITS_PER_LONG])
		__clear_bit(q / BITS_PER_LONG, &bp->bin_sum);
	drop_blk_locked(bp, h, "free-list link damaged");
}

static inline unsigned int size_bin(size_t size)
{
	return size >> BGET_QSHIFT;
}

/*
 * Small block @f of @q quanta goes on the head of its bin.  The head's
 * back link is never read (the head is known by @bins[q]), so it is not
 * written: it is set when a block goes on top.
 */
static __always_inline void bin_insert_locked(struct bget_pool *bp,
					      struct bget_free *f,
					      unsigned int q)
{
	struct bget_free *first = bp->bins[q];

	set_next(bp, f, first);
	bp->bins[q] = f;
	bp->bin_n[q]++;
	/* @first came from the head, out of a client's reach: a block of ours. */
	if (first) {
		ap_kasan_set_ulong(first->pprev,
				   ap_link_encode(bp->bin_key[q], &first->pprev,
						  next_slot(f)));
	} else {
		__set_bit(q, bp->bin_map);
		__set_bit(q / BITS_PER_LONG, &bp->bin_sum);
	}
}

/*
 * Is @next, read from @f's next link, a block of @f's bin (@q quanta)
 * whose link back names @f's next link?  @key: the bin's salted key;
 * @search: see link_ok_locked().
 */
static __always_inline bool next_ok_locked(struct bget_pool *bp,
					   struct bget_free *f,
					   struct bget_free *next,
					   unsigned int q, unsigned long key,
					   bool search)
{
	return link_ok_locked(bp, next, q, search) &&
	       ap_link_decode(key, &next->pprev,
			      ap_kasan_get_ulong(next->pprev)) == next_slot(f);
}

/*
 * May the first block of bin @q, @f, leave the bin?  The safe-unlink
 * checks: its header, and its next block's back link (the head, out of a
 * client's reach, names @f, so @f's own back link is not needed).  Reads
 * only; *@nextp is the next block once it passes.  @search: see
 * link_ok_locked().
 */
static __always_inline bool bin_head_ok_locked(struct bget_pool *bp,
					       unsigned int q,
					       struct bget_free *f,
					       struct bget_free **nextp,
					       bool search)
{
	u32 info = free_info((size_t)q << BGET_QSHIFT);
	const struct bget_hdr *h = links_blk(f);
	struct bget_free *next;

	if (unlikely(hdr_info(h) != info || !hdr_ok(h)))
		return false;
	next = get_next(bp, f);
	*nextp = next;
	return likely(!next || next_ok_locked(bp, f, next, q, bp->bin_key[q],
					      search));
}

/*
 * The checked first block of bin @q leaves it: @next becomes the head,
 * its back link left as it is.
 */
static __always_inline void bin_behead_locked(struct bget_pool *bp,
					      unsigned int q,
					      struct bget_free *next)
{
	if (!next) {
		__clear_bit(q, bp->bin_map);
		if (!bp->bin_map[q / BITS_PER_LONG])
			__clear_bit(q / BITS_PER_LONG, &bp->bin_sum);
	}
	bp->bins[q] = next;
	bp->bin_n[q]--;
}

/*
 * The first block of bin @q, taken off it after the safe-unlink checks, or
 * NULL if the bin was found damaged (and cut off).
 */
static __always_inline struct bget_hdr *bin_pop_locked(struct bget_pool *bp,
						       unsigned int q)
{
	struct bget_free *f = bp->bins[q], *next;

	if (unlikely(!bin_head_ok_locked(bp, q, f, &next, true))) {
		bin_cut_locked(bp, q, links_blk(f));
		return NULL;
	}
	bin_behead_locked(bp, q, next);
	return links_blk(f);
}

/*
 * Take small block @f of @q quanta off its bin, after the safe-unlink
 * checks: its header, its back link (unless the head names it: see
 * bin_pop_locked()) to a block of the bin whose next is @f, and its next
 * block's back link.  False if they fail: the damage is dealt with (the
 * bin cut off when @f is known to be on it, else @f alone dropped) and
 * nothing is unlinked.
 */
static __always_inline bool bin_remove_locked(struct bget_pool *bp,
					      struct bget_free *f,
					      unsigned int q)
{
	u32 info = free_info((size_t)q << BGET_QSHIFT);
	struct bget_free **pp, *next;
	unsigned long key;

	if (bp->bins[q] == f)
		return bin_pop_locked(bp, q);
	if (unlikely(hdr_info(links_blk(f)) != info || !hdr_ok(links_blk(f))))
		goto damaged;
	key = bp->bin_key[q];
	pp = ap_link_decode(key, &f->pprev, ap_kasan_get_ulong(f->pprev));
	if (unlikely(!link_ok_locked(bp, (struct bget_free *)pp, q, true) ||
		     get_next(bp, (struct bget_free *)pp) != f))
		goto damaged;
	next = get_next(bp, f);
	if (next) {
		if (unlikely(!next_ok_locked(bp, f, next, q, key, true))) {
			/* @f is on the bin (its back link holds): cut the bin. */
			bin_cut_locked(bp, q, links_blk(f));
			return false;
		}
		ap_kasan_set_ulong(next->pprev,
				   ap_link_encode(key, &next->pprev, pp));
	}
	set_next(bp, (struct bget_free *)pp, next);
	bp->bin_n[q]--;
	return true;

damaged:
	drop_blk_locked(bp, links_blk(f), "free block damaged");
	return false;
}

/*
 * The hot block.  A merge on bget_free()'s fast path leaves the merged
 * block off its bin, as @hot, with its size in @hot_size (out of a
 * client's reach, as the bin heads are): the next free just below it
 * merges into it, and bget_alloc() splits it (or takes it whole) when no
 * bin holds a smaller fitting block, with no list to update either way.
 * It counts as the first block of its bin: both fit policies still take
 * a block of the smallest size that fits.  Its header is checked before
 * it is handed out or merged into, and the boundary tag above it before a
 * merge.  Every other path that reads or changes the free index first
 * puts it back on its bin (hot_flush_locked()), so it sees the index
 * whole; a damaged hot block is then found and cut off as any other.
 */
static noinline void hot_put_back_locked(struct bget_pool *bp)
{
	bin_insert_locked(bp, blk_links(bp->hot), size_bin(bp->hot_size));
	bp->hot = NULL;
	bp->hot_size = 0;
	bp->nchange++;
}

static __always_inline void hot_flush_locked(struct bget_pool *bp)
{
	lockdep_assert_held(&bp->lock);
	if (unlikely(bp->hot))
		hot_put_back_locked(bp);
}

/*
 * Does free block @n (header intact) of @nsize bytes in region @r end
 * where its upper neighbour's boundary tag says?  Checked before the merge
 * it would steer.
 */
static __always_inline bool upper_ok(const struct bget_region *r,
				     const struct bget_hdr *n, size_t nsize)
{
	const struct bget_hdr *e;

	if (unlikely(nsize < BGET_MIN_BLOCK ||
		     nsize > (size_t)((char *)reg_end(r) - (char *)n)))
		return false;
	e = blk_at(n, nsize);
	return likely(hdr_ok(e) && hdr_prevfree(e) == nsize);
}

/*
 * The size tree lives out of band, in the regions' node arrays (see struct
 * bget_tnode): lib/rbtree.c and the same-size chains only ever follow
 * memory of the pool's own, so the tree needs no checks.  What a client
 * can reach is the blocks' headers and boundary tags: a block is checked
 * when its node hands it out (tnode_blk_ok_locked()), and a block found by
 * address (a neighbour to merge) only once its slot names it back.
 */
static __always_inline struct bget_tnode *
tnode_of(const struct bget_region *r, const struct bget_hdr *h)
{
	return &r->tnodes[reg_offset(r, h) >> BGET_TSHIFT];
}

static __always_inline struct bget_tnode *tnode_rb(struct rb_node *n)
{
	return rb_entry(n, struct bget_tnode, rb);
}

/*
 * Is @tn's block intact: a free block of @tn's size, tag agreeing?  The
 * node is out of band, so its block and size are ours: the block lies in
 * its region and so does its upper neighbour's header, with no lookup.
 */
static __always_inline bool tnode_blk_ok_locked(const struct bget_tnode *tn)
{
	const struct bget_hdr *h = tn->blk, *e = blk_at(h, tn->size);

	return likely(hdr_info(h) == free_info(tn->size) && hdr_ok(h) &&
		      hdr_prevfree(e) == tn->size && hdr_ok(e));
}

/* Take @tn out of the tree or its chain: O(1) but for an rb_erase(). */
static void tnode_unlink_locked(struct bget_pool *bp, struct bget_tnode *tn)
{
	struct bget_tnode *n = tn->next;

	if (tn->pprev) {
		*tn->pprev = n;
		if (n)
			n->pprev = tn->pprev;
	} else if (n) {
		/* The chain's next block heads it in @tn's place. */
		rb_replace_node(&tn->rb, &n->rb, &bp->size_tree);
		n->pprev = NULL;
	} else {
		rb_erase(&tn->rb, &bp->size_tree);
	}
	bp->tree_bytes -= tn->size;
	tn->blk = NULL;
	tn->size = 0;
}

/*
 * @tn's block failed its checks: the node goes, the block is cut off (its
 * bytes lost) and quarantined if its header is still whole.
 */
static noinline void tnode_cut_locked(struct bget_pool *bp,
				      struct bget_tnode *tn, const char *what)
{
	struct bget_hdr *h = tn->blk;

	bp->lost += tn->size;
	tnode_unlink_locked(bp, tn);
	drop_blk_locked(bp, h, what);
}

/*
 * The cache slot of tree size @size.  The sizes most used are often apart
 * by powers of two, so the quantum count is mixed, not masked.
 */
static __always_inline struct bget_tnode **tcache_slot(struct bget_pool *bp,
						       size_t size)
{
	unsigned long k = (size >> BGET_QSHIFT) * 0x9e3779b97f4a7c15UL;

	return &bp->tcache[k >> (BITS_PER_LONG - BGET_TCACHE_SHIFT)];
}

/*
 * The node heading the tree's chain of @size, if the cache still knows it:
 * a node in use that heads a chain (@pprev NULL) is in the tree, and no
 * two tree nodes have one size.  A node out of use has size 0
 * (tnode_unlink_locked()), as @tc_none, which names no block, so a size
 * that matches is a node in use.  A node whose size changed in place
 * (tree_keeps_place(), tree_alone()) took a size no other node has.  The
 * cache is emptied when a region, and so its node array, goes.
 */
static __always_inline struct bget_tnode *tcache_get(struct bget_pool *bp,
						     size_t size)
{
	struct bget_tnode *t = *tcache_slot(bp, size);

	return t->size == size && !t->pprev ? t : NULL;
}

static void tcache_clear(struct bget_pool *bp)
{
	unsigned int i;

	for (i = 0; i < BGET_TCACHE; i++)
		bp->tcache[i] = &bp->tc_none;
}

/* Empty slot @tn takes block @h of @size bytes into the tree. */
static __always_inline void tree_place_locked(struct bget_pool *bp,
					      struct bget_tnode *tn,
					      struct bget_hdr *h, size_t size)
{
	struct rb_node **link = &bp->size_tree.rb_node, *parent = NULL;
	struct bget_tnode *t;

	lockdep_assert_held(&bp->lock);
	t = tcache_get(bp, size);
	if (t)
		goto join;
	while (*link) {
		parent = *link;
		t = tnode_rb(parent);
		if (size == t->size) {
			*tcache_slot(bp, size) = t;
join:
			/* That size is there: join its chain, O(1). */
			tn->next = t->next;
			tn->pprev = &t->next;
			if (t->next)
				t->next->pprev = &tn->next;
			t->next = tn;
			goto done;
		}
		link = size < t->size ? &parent->rb_left : &parent->rb_right;
	}
	tn->next = NULL;
	tn->pprev = NULL;
	rb_link_node(&tn->rb, parent, link);
	rb_insert_color(&tn->rb, &bp->size_tree);
	*tcache_slot(bp, size) = tn;
done:
	tn->blk = h;
	tn->size = size;
	bp->tree_bytes += size;
}

static void tree_insert_locked(struct bget_pool *bp, struct bget_region *r,
			       struct bget_hdr *h, size_t size)
{
	struct bget_tnode *tn = tnode_of(r, h);

	/*
	 * Two free blocks of BGET_LARGE bytes or more cannot start in one
	 * window: a slot still naming another block means that block's header
	 * was rewritten behind the index's back.
	 */
	if (unlikely(tn->blk))
		tnode_cut_locked(bp, tn, "free block damaged");
	tree_place_locked(bp, tn, h, size);
}

/* @r: the region holding @h, or NULL to look it up. */
static noinline void tree_insert_blk_locked(struct bget_pool *bp,
					    struct bget_region *r,
					    struct bget_hdr *h)
{
	tree_insert_locked(bp, r ?: region_find_locked(bp, h), h, blk_size(h));
}

/*
 * Take large free block @h, found by address or handed out by its node,
 * out of the tree: only if its slot names it with its size and the block
 * is intact.  False, with the damage dealt with, otherwise.  @r: the
 * region holding @h, or NULL to look it up.
 */
static noinline bool tree_remove_blk_locked(struct bget_pool *bp,
					    struct bget_region *r,
					    struct bget_hdr *h)
{
	struct bget_tnode *tn;

	lockdep_assert_held(&bp->lock);
	if (!r)
		r = region_find_locked(bp, h);
	if (unlikely(!r || !r->tnodes))
		goto drop;
	tn = tnode_of(r, h);
	if (unlikely(tn->blk != h))
		goto drop;
	/*
	 * Only the header: a merge has checked or already rewritten the
	 * boundary tag above @h.
	 */
	if (unlikely(tn->size != blk_size(h) ||
		     hdr_info(h) != free_info(tn->size) || !hdr_ok(h))) {
		tnode_cut_locked(bp, tn, "free block damaged");
		return false;
	}
	tnode_unlink_locked(bp, tn);
	return true;
drop:
	/* Says it is a large free block, but the index does not know it. */
	drop_blk_locked(bp, h, "free block damaged");
	return false;
}

static __always_inline void index_insert_locked(struct bget_pool *bp,
						struct bget_region *r,
						struct bget_hdr *h)
{
	size_t size = blk_size(h);

	lockdep_assert_held(&bp->lock);
	if (likely(size < BGET_LARGE))
		bin_insert_locked(bp, blk_links(h), size_bin(size));
	else
		tree_insert_blk_locked(bp, r, h);
}

/*
 * Call before the block's size changes: the bin comes from it.  False if
 * the block's links or header were found damaged (dealt with, see
 * bin_remove_locked()): the block is no longer free to use.
 */
static __always_inline bool index_remove_locked(struct bget_pool *bp,
						struct bget_region *r,
						struct bget_hdr *h)
{
	size_t size = blk_size(h);

	lockdep_assert_held(&bp->lock);
	if (likely(size < BGET_LARGE))
		return bin_remove_locked(bp, blk_links(h), size_bin(size));
	return tree_remove_blk_locked(bp, r, h);
}

/*
 * The tree node of block @h if it heads its size alone and is a leaf
 * whose place the sizes on its path from the root still bracket with
 * @size; NULL otherwise.
 */
static struct bget_tnode *tree_keeps_place(struct bget_pool *bp,
					   struct bget_hdr *h, size_t old,
					   size_t size)
{
	struct rb_node *n = bp->size_tree.rb_node;
	size_t lo = 0, hi = SIZE_MAX;
	struct bget_tnode *t;

	while (n) {
		t = tnode_rb(n);
		if (old == t->size) {
			if (t->blk != h || t->next || n->rb_left || n->rb_right ||
			    size <= lo || size >= hi)
				return NULL;
			return t;
		}
		if (old < t->size) {
			hi = t->size;
			n = n->rb_left;
		} else {
			lo = t->size;
			n = n->rb_right;
		}
	}
	return NULL;
}

/*
 * The node of @h if it is the only large free block: then it may take any
 * large size in place, the usual case, as that is most often a region's
 * untouched end.  NULL otherwise.
 */
static __always_inline struct bget_tnode *tree_alone(struct bget_pool *bp,
						     struct bget_hdr *h)
{
	struct rb_node *root = bp->size_tree.rb_node;
	struct bget_tnode *t;

	if (!root || root->rb_left || root->rb_right)
		return NULL;
	t = tnode_rb(root);
	return t->blk == h && !t->next ? t : NULL;
}

static noinline bool resize_large_locked(struct bget_pool *bp,
					 struct bget_region *r,
					 struct bget_hdr *h, size_t size)
{
	size_t old = blk_size(h);
	struct bget_tnode *t;

	lockdep_assert_held(&bp->lock);
	if (old >= BGET_LARGE && size >= BGET_LARGE) {
		t = tree_keeps_place(bp, h, old, size);
		if (t) {
			set_hdr(h, size, 0);
			t->size = size;
			bp->tree_bytes += size - old;
			return true;
		}
	}
	if (!index_remove_locked(bp, r, h))
		return false;
	set_hdr(h, size, 0);
	index_insert_locked(bp, r, h);
	return true;
}

/*
 * Give free block @h size @size, keeping the index in step.  False if its
 * links were found damaged: @h is then out of use, its size unchanged.
 * @r: the region holding @h, or NULL to look it up if need be.
 */
static __always_inline bool resize_free_locked(struct bget_pool *bp,
					       struct bget_region *r,
					       struct bget_hdr *h, size_t size)
{
	size_t old = blk_size(h);
	struct bget_tnode *t;

	lockdep_assert_held(&bp->lock);
	if (likely(old < BGET_LARGE && size < BGET_LARGE)) {
		if (unlikely(!bin_remove_locked(bp, blk_links(h),
						size_bin(old))))
			return false;
		set_hdr(h, size, 0);
		bin_insert_locked(bp, blk_links(h), size_bin(size));
		return true;
	}
	t = size >= BGET_LARGE ? tree_alone(bp, h) : NULL;
	if (t && likely(t->size == old)) {
		set_hdr(h, size, 0);
		t->size = size;
		bp->tree_bytes += size - old;
		return true;
	}
	return resize_large_locked(bp, r, h, size);
}

/*
 * A free block of the smallest tree size >= @need, or NULL.  The block is
 * checked before it is handed out; one found damaged is cut off and the
 * search goes on.
 */
static __always_inline struct bget_tnode *tree_fit_locked(struct bget_pool *bp,
							  size_t need)
{
	struct bget_tnode *fit, *t;
	struct rb_node *n;

	lockdep_assert_held(&bp->lock);
	for (;;) {
		/* A node of size @need is the smallest that fits. */
		fit = tcache_get(bp, need);
		n = fit ? NULL : bp->size_tree.rb_node;
		while (n) {
			t = tnode_rb(n);
			if (t->size >= need) {
				fit = t;
				if (t->size == need)
					break;
				n = n->rb_left;
			} else {
				n = n->rb_right;
			}
		}
		if (!fit)
			return NULL;
		/* A chained block leaves the tree as it is. */
		if (fit->next)
			fit = fit->next;
		if (tnode_blk_ok_locked(fit))
			return fit;
		tnode_cut_locked(bp, fit, "free block damaged");
	}
}

/*
 * The smallest non-empty bin at or above @need's, or BGET_NBINS: one
 * find-first-bit in @need's bitmap word, else one in the summary and one
 * in the word it names.  @need must be under BGET_LARGE.
 */
static __always_inline unsigned int bin_fit_locked(struct bget_pool *bp,
						   size_t need)
{
	unsigned int q = size_bin(need), w = q / BITS_PER_LONG;
	unsigned long m = bp->bin_map[w] & (~0UL << (q % BITS_PER_LONG));

	lockdep_assert_held(&bp->lock);
	if (likely(m))
		return w * BITS_PER_LONG + __ffs(m);
	m = bp->bin_sum & (~1UL << w);
	if (!m)
		return BGET_NBINS;
	w = __ffs(m);
	return w * BITS_PER_LONG + __ffs(bp->bin_map[w]);
}

/*
 * A free block of at least @need bytes, of the smallest size that fits
 * among the bins, else from the tree (*@tnp its node, else NULL); NULL if
 * none is free.  The block's header is checked: a bin whose first block is
 * damaged is cut off and the search goes on.
 */
static __always_inline struct bget_hdr *
find_fit_locked(struct bget_pool *bp, size_t need, struct bget_tnode **tnp)
{
	struct bget_tnode *tn;
	struct bget_hdr *h;
	unsigned int q;

	lockdep_assert_held(&bp->lock);
	hot_flush_locked(bp);
	*tnp = NULL;
	while (likely(need < BGET_LARGE)) {
		q = bin_fit_locked(bp, need);
		if (q == BGET_NBINS)
			break;
		h = links_blk(bp->bins[q]);
		if (likely(hdr_info(h) == free_info((size_t)q << BGET_QSHIFT) &&
			   hdr_ok(h)))
			return h;
		bin_cut_locked(bp, q, h);
	}
	tn = tree_fit_locked(bp, need);
	*tnp = tn;
	return tn ? tn->blk : NULL;
}

/* ---- regions ---- */

/* @r, or NULL, is tried first by the next lookup: see link_ok_locked(). */
static void set_hint_locked(struct bget_pool *bp, struct bget_region *r)
{
	bp->hint = r;
	bp->win_lo = r ? (unsigned long)blk_links(reg_first(r)) : 0;
	bp->win_q = r ? reg_span(r) >> BGET_QSHIFT : 0;
	/* A region that stays, no poison: one compare picks the fast path. */
	if (r && r->kind <= BGET_REGION_CALLER && !pool_poison(bp)) {
		bp->free_lo = (unsigned long)r;
		bp->free_q = (r->len - BGET_FIRST) >> BGET_QSHIFT;
	} else {
		bp->free_lo = 0;
		bp->free_q = 0;
	}
}

static noinline struct bget_region *
region_search_locked(struct bget_pool *bp, const void *p)
{
	struct rb_node *n = bp->regions.rb_node;

	lockdep_assert_held(&bp->lock);
	while (n) {
		struct bget_region *r = rb_entry(n, struct bget_region, node);

		if ((const char *)p < (const char *)r) {
			n = n->rb_left;
		} else if ((const char *)p >= (const char *)r + r->len) {
			n = n->rb_right;
		} else {
			set_hint_locked(bp, r);
			return r;
		}
	}
	return NULL;
}

/* The region holding @p, or NULL; the last one found is tried first. */
static inline struct bget_region *region_find_locked(struct bget_pool *bp,
						     const void *p)
{
	struct bget_region *r = bp->hint;

	lockdep_assert_held(&bp->lock);
	if (likely(r && (unsigned long)p - (unsigned long)r < r->len))
		return r;
	return region_search_locked(bp, p);
}

static bool region_overlaps_locked(struct bget_pool *bp, const void *start,
				   size_t len)
{
	const char *s = start, *e = s + len;
	struct rb_node *n = bp->regions.rb_node;

	lockdep_assert_held(&bp->lock);
	while (n) {
		struct bget_region *r = rb_entry(n, struct bget_region, node);

		if ((const char *)r + r->len <= s)
			n = n->rb_right;
		else if ((const char *)r >= e)
			n = n->rb_left;
		else
			return true;
	}
	return false;
}

/*
 * Lay a region out in @buf: the region struct, then one block spanning
 * everything, then the sentinel.  For a direct block the block is the
 * allocated one of @direct bytes; otherwise it is free (@state BH_FREE) or,
 * when it still has to be poisoned once the region is linked, in transit
 * (BH_TRANSIT).  Writes O(1) bytes; poisoning the block is the caller's.
 */
static struct bget_region *region_init(void *buf, size_t len,
				       unsigned int kind, size_t direct,
				       u32 state)
{
	unsigned long start = ALIGN((unsigned long)buf, BGET_QUANTUM);
	unsigned long end = ALIGN_DOWN((unsigned long)buf + len, BGET_QUANTUM);
	struct bget_region *r = (struct bget_region *)start;
	struct bget_hdr *h, *s;

	memset(r, 0, sizeof(*r));
	r->len = end - start;
	r->kind = kind;
	h = reg_first(r);
	s = reg_end(r);
	set_prevfree(h, 0);
	if (kind == BGET_REGION_DIRECT) {
		set_hdr(h, direct, BH_ALLOC);
		set_prevfree(s, 0);
	} else {
		set_hdr(h, reg_span(r), state);
		set_prevfree(s, state == BH_FREE ? reg_span(r) : 0);
	}
	set_hdr(s, 0, BH_ALLOC);
	return r;
}

/*
 * Slots in the node array of a region laid out in @len bytes: one per
 * BGET_LARGE window, none if no large block fits.
 */
static size_t tnodes_count(size_t len)
{
	if (len < BGET_OVERHEAD + BGET_LARGE)
		return 0;
	return DIV_ROUND_UP(len, BGET_LARGE);
}

/*
 * The node array for a region of @len bytes, zeroed, or NULL (none needed,
 * or no memory: tell them apart with tnodes_count()).  Process context, or
 * inside the memalloc scope of a blocking grower.
 */
static struct bget_tnode *tnodes_alloc(size_t len)
{
	size_t n = tnodes_count(len);

	if (!n)
		return NULL;
	return kvcalloc(n, sizeof(struct bget_tnode), GFP_KERNEL | __GFP_NOWARN);
}

/* Is [buf, buf + len) big enough, once aligned, to hold one block? */
static bool region_len_ok(const void *buf, size_t len)
{
	unsigned long start = ALIGN((unsigned long)buf, BGET_QUANTUM);
	unsigned long end;

	if (check_add_overflow((unsigned long)buf, len, &end))
		return false;
	end = ALIGN_DOWN(end, BGET_QUANTUM);
	return end > start && end - start >= BGET_OVERHEAD + BGET_MIN_BLOCK &&
	       end - start - BGET_OVERHEAD <= BGET_MAX_BLOCK;
}

static void region_link_locked(struct bget_pool *bp, struct bget_region *r)
{
	struct rb_node **link = &bp->regions.rb_node, *parent = NULL;
	struct bget_hdr *h = reg_first(r);

	lockdep_assert_held(&bp->lock);
	while (*link) {
		parent = *link;
		if (r < rb_entry(parent, struct bget_region, node))
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&r->node, parent, link);
	rb_insert_color(&r->node, &bp->regions);
	r->id = bp->next_id++;
	bp->managed += r->len;
	bp->nchange++;
	if (r->kind == BGET_REGION_DIRECT)
		return;
	bp->npool++;
	bp->span += reg_span(r);
	if (blk_free(h))
		index_insert_locked(bp, r, h);
	else
		bp->transit += reg_span(r);
}

static void region_unlink_locked(struct bget_pool *bp, struct bget_region *r)
{
	lockdep_assert_held(&bp->lock);
	if (bp->hint == r)
		set_hint_locked(bp, NULL);
	rb_erase(&r->node, &bp->regions);
	/* The cache may name nodes in @r's array, which goes with it. */
	tcache_clear(bp);
	bp->managed -= r->len;
	bp->nchange++;
	if (r->kind != BGET_REGION_DIRECT) {
		bp->npool--;
		bp->span -= reg_span(r);
	}
}

/* The region at the lowest address at or above @p, or NULL. */
static struct bget_region *region_from_locked(struct bget_pool *bp,
					      const void *p)
{
	struct rb_node *n = bp->regions.rb_node;
	struct bget_region *r, *found = NULL;

	lockdep_assert_held(&bp->lock);
	while (n) {
		r = rb_entry(n, struct bget_region, node);
		if ((const char *)r >= (const char *)p) {
			found = r;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return found;
}

/* ---- merging ---- */

/* Is @pf, @h's prevfree, the size of a free block just below it in @r? */
static bool lower_ok(const struct bget_region *r, const struct bget_hdr *h,
		     size_t pf)
{
	const struct bget_hdr *p;

	if (!IS_ALIGNED(pf, BGET_QUANTUM) ||
	    pf > (size_t)((char *)h - (char *)reg_first(r)))
		return false;
	p = blk_below(h, pf);
	return hdr_ok(p) && blk_free(p) && blk_size(p) == pf;
}

/*
 * Mark allocated (or in transit) block @h of region @r free and merge it
 * with free neighbours; O(1) index operations.  @poison: @h was poisoned
 * with the lock dropped (pool_held()): on a BGET_POISON pool its body, past
 * its header and links, already holds the poison, so only the few header
 * and link bytes that a merge turns into free space are poisoned here (and
 * with KASAN their shadow already is); the lock was dropped meanwhile, so
 * the neighbours' headers and tags are checked again.  A neighbour found
 * damaged is left out of the merge (and out of use).  Returns the free
 * block that now holds @h.
 */
static __always_inline struct bget_hdr *
coalesce_locked(struct bget_pool *bp, struct bget_region *r,
		struct bget_hdr *h, bool poison)
{
	size_t size = blk_size(h), hsize = size, pf = hdr_prevfree(h);
	struct bget_hdr *n = next_blk(h), *p;

	lockdep_assert_held(&bp->lock);
	hot_flush_locked(bp);
	if (blk_free(n) && (!poison || hdr_ok(n))) {
		size_t nsize = blk_size(n);

		if (unlikely(!upper_ok(r, n, nsize))) {
			drop_blk_locked(bp, n, "boundary tag damaged");
		} else if (likely(index_remove_locked(bp, r, n))) {
			if (unlikely(poison))
				ap_kasan_memset(n, POISON_FREE, poison_skip(nsize));
			else
				kill_hdr(n);
			size += nsize;
		}
	}
	if (unlikely(pf && poison && !lower_ok(r, h, pf))) {
		note_damage_locked(bp, h, "boundary tag damaged");
		set_prevfree(h, 0);
		pf = 0;
	}
	if (pf) {
		/*
		 * @h's header and links become free space of @p, before @p's
		 * own links (a large block's reach into them) are written; if
		 * @p is found damaged, @h stands alone and both are rewritten.
		 */
		if (unlikely(poison))
			ap_kasan_memset(h, POISON_FREE, poison_skip(hsize));
		else
			kill_hdr(h);
		p = blk_below(h, pf);
		if (likely(resize_free_locked(bp, r, p, size + pf))) {
			h = p;
			size += pf;
			goto done;
		}
		set_prevfree(h, 0);
	}
	set_hdr(h, size, 0);
	index_insert_locked(bp, r, h);
done:
	set_prevfree(next_blk(h), size);
	return h;
}

/* ---- allocation ---- */

/* Block size for a request of @size bytes; false if there can be none. */
static bool block_size_for(size_t size, size_t *need)
{
	if (!size || size > BGET_MAX_BLOCK - BGET_HDR)
		return false;
	*need = max_t(size_t, ALIGN(size + BGET_HDR, BGET_QUANTUM),
		      BGET_MIN_BLOCK);
	return true;
}

/*
 * Take block @h, in transit, out of use because its poison was
 * overwritten: it is reported (once @rep is logged) and never handed out or
 * merged again.  The bytes of a quarantined block are lost until destroy.
 */
static noinline void quarantine_locked(struct bget_pool *bp,
				       struct bget_hdr *h,
				       struct bget_report *rep)
{
	struct bget_region *r = region_find_locked(bp, h);
	size_t size = blk_size(h);

	lockdep_assert_held(&bp->lock);
	set_hdr(h, size, BH_QUAR);
	bp->quarantined += size;
	bp->nchange++;
	bp->invalid_frees++;
	bp->corruptions++;
	rep->what = "poison overwritten in free block";
	rep->inside = true;
	rep->off = reg_offset(r, h);
}

static bool poison_ok(const struct bget_hdr *h, size_t from, size_t to)
{
	return !ap_kasan_memchr_inv((const char *)h + from, POISON_FREE,
				   to - from);
}

/*
 * Take free block @h off the books: out of the index and in transit, its
 * upper neighbour's boundary tag cleared, so no neighbour merges with it
 * and no free of a pointer into it is accepted while the lock is dropped.
 */
static bool take_off_locked(struct bget_pool *bp, struct bget_hdr *h)
{
	size_t size = blk_size(h);

	lockdep_assert_held(&bp->lock);
	if (!index_remove_locked(bp, NULL, h))
		return false;
	set_hdr(h, size, BH_TRANSIT);
	set_prevfree(next_blk(h), 0);
	bp->transit += size;
	bp->nchange++;
	return true;
}

/*
 * Block @h of @size bytes was in transit with the lock dropped: is its
 * header still what this call left there?  A client writing into memory it
 * freed may have smashed it; the block is then lost (counted in @lost,
 * never used again) and false returned.
 */
static bool transit_ok_locked(struct bget_pool *bp, struct bget_hdr *h,
			      size_t size)
{
	lockdep_assert_held(&bp->lock);
	if (likely(hdr_ok(h) && hdr_info(h) == (free_info(size) | BH_TRANSIT)))
		return true;
	bp->lost += size;
	note_damage_locked(bp, h, "header of a free block smashed");
	return false;
}

/*
 * Free block @h, of @size bytes, has left the index, but for its low
 * @size - @need bytes when they can stand as a block (they are back on it,
 * @h's header and links theirs): hand out the high @need bytes, or all of
 * @h.
 */
static __always_inline void *hand_out_locked(struct bget_pool *bp,
					     struct bget_hdr *h, size_t size,
					     size_t need)
{
	size_t rest = size - need;
	struct bget_hdr *a;

	if (rest >= BGET_MIN_BLOCK) {
		a = blk_at(h, rest);
		set_prevfree(a, rest);
	} else {
		a = h;
		need = size;
	}
	set_hdr(a, need, BH_ALLOC);
	set_prevfree(next_blk(a), 0);
	bp->curalloc += need;
	return blk_payload(a);
}

/*
 * Hand out @need bytes of free block @h, splitting off its high end when
 * the rest can stand as a block.  No poison.
 */
static __always_inline void *carve_locked(struct bget_pool *bp,
					  struct bget_hdr *h, size_t need)
{
	size_t size = blk_size(h), rest = size - need;

	lockdep_assert_held(&bp->lock);
	if (rest >= BGET_MIN_BLOCK) {
		if (unlikely(!resize_free_locked(bp, NULL, h, rest)))
			return NULL;
	} else if (unlikely(!index_remove_locked(bp, NULL, h))) {
		return NULL;
	}
	return hand_out_locked(bp, h, size, need);
}

/*
 * carve_locked() for a large block that its node @tn, just checked, hands
 * out: the node, out of band, gives the block and its size, so nothing is
 * looked up or checked again.  The block keeps its header, so its slot.
 */
static noinline void *carve_tnode_locked(struct bget_pool *bp,
					 struct bget_tnode *tn, size_t need)
{
	struct bget_hdr *h = tn->blk;
	size_t size = tn->size, rest = size - need;
	struct bget_tnode *t;

	lockdep_assert_held(&bp->lock);
	if (rest >= BGET_LARGE) {
		t = tree_keeps_place(bp, h, size, rest);
		if (t) {
			t->size = rest;
			bp->tree_bytes -= need;
		} else {
			tnode_unlink_locked(bp, tn);
			tree_place_locked(bp, tn, h, rest);
		}
		set_hdr(h, rest, 0);
	} else {
		tnode_unlink_locked(bp, tn);
		if (rest >= BGET_MIN_BLOCK) {
			set_hdr(h, rest, 0);
			bin_insert_locked(bp, blk_links(h), size_bin(rest));
		}
	}
	return hand_out_locked(bp, h, size, need);
}

/*
 * carve_locked() for a poisoned pool.  The bytes handed out must still
 * hold their poison, and checking them is O(size): @h is taken off the
 * books and checked with the lock dropped (*@flags), then carved, or
 * quarantined whole on a mismatch (reported, NULL returned).  What is left
 * of @h goes back as a free block, merging with a lower neighbour freed in
 * the meantime.  NULL too if @h's links or header were found damaged.
 * Returns with the lock held.
 */
static noinline void *carve_checked_locked(struct bget_pool *bp,
					   struct bget_hdr *h, size_t need,
					   unsigned long *flags)
{
	size_t size = blk_size(h), rest = size - need;
	size_t from = poison_skip(size);
	struct bget_report rep;
	struct bget_hdr *a;
	bool ok;

	if (!take_off_locked(bp, h))
		return NULL;
	raw_spin_unlock_irqrestore(&bp->lock, *flags);
	/* A split hands out the high end, which may reach a large block's links. */
	if (rest >= BGET_MIN_BLOCK)
		from = max(from, rest);
	ok = poison_ok(h, from, size);
	raw_spin_lock_irqsave(&bp->lock, *flags);
	bp->transit -= size;
	bp->nchange++;
	if (unlikely(!transit_ok_locked(bp, h, size)))
		return NULL;
	if (unlikely(!ok)) {
		quarantine_locked(bp, h, &rep);
		raw_spin_unlock_irqrestore(&bp->lock, *flags);
		report(bp, &rep);
		raw_spin_lock_irqsave(&bp->lock, *flags);
		return NULL;
	}
	if (rest < BGET_MIN_BLOCK) {
		set_hdr(h, size, BH_ALLOC);
		bp->curalloc += size;
		return blk_payload(h);
	}
	a = blk_at(h, rest);
	set_prevfree(a, 0);
	set_hdr(a, need, BH_ALLOC);
	bp->curalloc += need;
	set_hdr(h, rest, BH_TRANSIT);
	coalesce_locked(bp, region_find_locked(bp, h), h, true);
	return blk_payload(a);
}

/*
 * The fast paths' end: block @a of @size bytes is handed out, its upper
 * neighbour told it is in use, and the lock (@flags) dropped.  @whole: @a
 * is a free block's header, found intact, that only changes state.
 */
static __always_inline void *hand_over(struct bget_pool *bp,
				       struct bget_hdr *a, size_t size,
				       bool whole, unsigned long flags)
{
	if (whole)
		hdr_flip(a, BH_ALLOC);
	else
		set_hdr(a, size, BH_ALLOC);
	set_prevfree(blk_at(a, size), 0);
	bp->curalloc += size;
	bp->nget++;
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return blk_payload(a);
}

/*
 * bget_alloc()'s fast path has taken free block @h, of @size bytes, off
 * its bin: hand out its high @need bytes, the rest going back as a free
 * block.  Drops the lock (@flags).
 */
static __always_inline void *alloc_split(struct bget_pool *bp,
					 struct bget_hdr *h,
					 size_t size, size_t need,
					 unsigned long flags)
{
	size_t rest = size - need;
	struct bget_hdr *a = blk_at(h, rest);

	set_hdr(h, rest, 0);
	bin_insert_locked(bp, blk_links(h), size_bin(rest));
	set_prevfree(a, rest);
	return hand_over(bp, a, need, false, flags);
}

/*
 * The other fast case: no bin fits and the tree holds a single block (most
 * often a region's untouched end), so that block is the smallest that fits;
 * carve @need bytes off it if what is left stays large, so it keeps its
 * place.  NULL otherwise.  No poison.
 */
static __always_inline void *take_lone_locked(struct bget_pool *bp,
					      size_t need)
{
	struct rb_node *root = bp->size_tree.rb_node;
	struct bget_tnode *t;
	struct bget_hdr *h, *a;
	size_t rest;

	lockdep_assert_held(&bp->lock);
	if (!root || root->rb_left || root->rb_right)
		return NULL;
	/* Alone in the tree and in its chain, or the slow path looks. */
	t = tnode_rb(root);
	rest = t->size - need;
	if (t->next || (ssize_t)rest < (ssize_t)BGET_LARGE)
		return NULL;
	/* The node is ours, but the block's header and tag are not. */
	h = t->blk;
	if (unlikely(!tnode_blk_ok_locked(t)))
		return NULL;
	set_hdr(h, rest, 0);
	t->size = rest;
	bp->tree_bytes -= need;
	a = blk_at(h, rest);
	set_prevfree(a, rest);
	set_hdr(a, need, BH_ALLOC);
	set_prevfree(next_blk(a), 0);
	bp->curalloc += need;
	return blk_payload(a);
}

/*
 * A block of @need bytes from the free index, or NULL.  On a poisoned pool
 * it drops the lock (*@flags) to check poison, and goes on with the next
 * fitting block after a mismatch.
 */
static __always_inline void *alloc_locked(struct bget_pool *bp, size_t need,
					  unsigned long *flags)
{
	struct bget_tnode *tn;
	struct bget_hdr *h;
	void *p;

	lockdep_assert_held(&bp->lock);
	/* Each block that fails to come is cut off, so this ends. */
	while ((h = find_fit_locked(bp, need, &tn))) {
		/* A block its node handed out was checked: it comes. */
		if (tn && likely(!pool_poison(bp)))
			return carve_tnode_locked(bp, tn, need);
		if (unlikely(pool_poison(bp)))
			p = carve_checked_locked(bp, h, need, flags);
		else
			p = carve_locked(bp, h, need);
		if (p)
			return p;
	}
	return NULL;
}

/*
 * The request for @need bytes failed: compact while that helps, then ask
 * for an expansion block or a direct block.  Called and returns with the
 * lock held; drops it around every callback, and lays out an acquired
 * region (poisoning it, O(its size)) before taking it again.
 */
static noinline void *grow_locked(struct bget_pool *bp, size_t need,
				  gfp_t gfp, unsigned long *flags)
{
	void *(*acquire)(struct bget_pool *bp, size_t size, gfp_t gfp);
	int (*compact)(struct bget_pool *bp, size_t sizereq, int sequence);
	void (*release)(struct bget_pool *bp, void *buf);
	struct bget_tnode *tn = NULL;
	struct bget_region *r;
	size_t incr, len;
	int seq = 0;
	void *buf, *p;

	lockdep_assert_held(&bp->lock);
	while ((compact = bp->ops.compact)) {
		int progress;

		raw_spin_unlock_irqrestore(&bp->lock, *flags);
		progress = compact(bp, need, ++seq);
		raw_spin_lock_irqsave(&bp->lock, *flags);
		if (!progress)
			break;
		p = alloc_locked(bp, need, flags);
		if (p)
			return p;
	}

	acquire = bp->ops.acquire;
	release = bp->ops.release;
	if (!acquire)
		return NULL;
	incr = bp->pool_incr;
	if (incr >= BGET_OVERHEAD + BGET_MIN_BLOCK &&
	    need <= incr - BGET_OVERHEAD) {
		raw_spin_unlock_irqrestore(&bp->lock, *flags);
		/*
		 * A region that can hold a large block needs its node array,
		 * which only a caller that may block can have allocated.
		 */
		if (tnodes_count(incr)) {
			if (!gfpflags_allow_blocking(gfp))
				goto relock;
			tn = tnodes_alloc(incr);
			if (!tn)
				goto relock;
		}
		buf = acquire(bp, incr, gfp);
		if (!buf)
			goto relock;
		if (!IS_ALIGNED((unsigned long)buf, BGET_QUANTUM))
			goto misaligned;
		r = region_init(buf, incr, BGET_REGION_EXPANSION, 0, BH_FREE);
		r->tnodes = tn;
		if (pool_poison(bp))
			poison_blk(reg_first(r), reg_span(r));
		region_poison(r);
		raw_spin_lock_irqsave(&bp->lock, *flags);
		region_link_locked(bp, r);
		bp->npget++;
		trace_allocpools_grow(&bp->ap, r->id, r->len);
		return alloc_locked(bp, need, flags);
	}

	/* Too big for an expansion block: a direct block just for it. */
	len = BGET_OVERHEAD + need;
	raw_spin_unlock_irqrestore(&bp->lock, *flags);
	buf = acquire(bp, len, gfp);
	if (!buf)
		goto relock;
	if (!IS_ALIGNED((unsigned long)buf, BGET_QUANTUM))
		goto misaligned;
	r = region_init(buf, len, BGET_REGION_DIRECT, need, BH_ALLOC);
	region_poison(r);
	raw_spin_lock_irqsave(&bp->lock, *flags);
	region_link_locked(bp, r);
	bp->ndget++;
	trace_allocpools_grow(&bp->ap, r->id, r->len);
	bp->curalloc += need;
	bp->direct += need;
	return blk_payload(reg_first(r));

misaligned:
	if (release)
		release(bp, buf);
relock:
	/* Only a blocking caller has an array to free. */
	if (tn)
		kvfree(tn);
	raw_spin_lock_irqsave(&bp->lock, *flags);
	return NULL;
}

/*
 * Growing for a caller that may block: one grower at a time runs the
 * compact/acquire sequence, inside the memalloc scope @gfp asks for; the
 * others wait for it and then try the pool again before growing
 * themselves.  A caller that may not block cannot wait: it runs the
 * callbacks (with its gfp, which the default acquire refuses) unserialized.
 * Counts the outcome.
 */
static noinline void *grow(struct bget_pool *bp, size_t need, gfp_t gfp)
{
	bool blocking = gfpflags_allow_blocking(gfp);
	unsigned int scope = 0;
	unsigned long flags;
	void *p = NULL;

	if (blocking) {
		mutex_lock(&bp->grow_lock);
		scope = ap_memalloc_save(gfp);
	}
	raw_spin_lock_irqsave(&bp->lock, flags);
	if (blocking)
		p = alloc_locked(bp, need, &flags);
	if (!p)
		p = grow_locked(bp, need, gfp, &flags);
	if (p)
		bp->nget++;
	else
		bp->failures++;
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	if (blocking) {
		ap_memalloc_restore(gfp, scope);
		mutex_unlock(&bp->grow_lock);
	}
	report_damage(bp);
	return p;
}

static void pcp_drain_all(struct bget_pool *bp);

/*
 * Everything bget_alloc() does not do inline, for a block of @need bytes
 * (0: a request no block can meet), from the start: it takes the lock
 * again, so nothing seen before counts.  Counts the outcome.  It takes the
 * block size, not the request, so that the fast paths need not keep the
 * request in a register for it.
 */
static noinline void *alloc_slow(struct bget_pool *bp, size_t need, gfp_t gfp)
{
	unsigned long flags;
	void *p;

	raw_spin_lock_irqsave(&bp->lock, flags);
	if (unlikely(!need)) {
		p = NULL;
	} else {
		p = alloc_locked(bp, need, &flags);
		/* Cached blocks merge back before the pool grows or fails. */
		if (unlikely(!p && bp->pcp)) {
			unlock_report(bp, flags);
			pcp_drain_all(bp);
			raw_spin_lock_irqsave(&bp->lock, flags);
			p = alloc_locked(bp, need, &flags);
		}
		if (unlikely(!p) && (bp->ops.compact || bp->ops.acquire)) {
			raw_spin_unlock_irqrestore(&bp->lock, flags);
			report_damage(bp);
			return grow(bp, need, gfp);
		}
	}
	if (likely(p))
		bp->nget++;
	else
		bp->failures++;
	unlock_report(bp, flags);
	return p;
}

/*
 * bget_alloc()'s fast path when the hot block is the smallest free block
 * that fits @need bytes: split its high end off (what is left stays hot)
 * or take it whole, once its header is found intact; a damaged one is cut
 * off and the slow way taken.  Called with the lock held (@flags), drops
 * it.
 */
static __always_inline void *alloc_hot(struct bget_pool *bp, size_t need,
				       gfp_t gfp, unsigned long flags)
{
	struct bget_hdr *h = bp->hot, *a;
	size_t hsize = bp->hot_size, rest = hsize - need;

	if (unlikely(hdr_info(h) != free_info(hsize) || !hdr_ok(h))) {
		bp->hot = NULL;
		bp->hot_size = 0;
		bp->lost += hsize;
		drop_blk_locked(bp, h, "free block damaged");
		raw_spin_unlock_irqrestore(&bp->lock, flags);
		return alloc_slow(bp, need, gfp);
	}
	if (rest >= BGET_MIN_BLOCK) {
		set_hdr(h, rest, 0);
		bp->hot_size = rest;
		a = blk_at(h, rest);
		set_prevfree(a, rest);
		return hand_over(bp, a, need, false, flags);
	}
	bp->hot = NULL;
	bp->hot_size = 0;
	return hand_over(bp, h, hsize, true, flags);
}

/*
 * bget_alloc()'s fast path when neither a bin nor the hot block fits a
 * small request (@need bytes with the header): carve it from the only
 * large block, or go the slow way.  Called with the lock held (@flags),
 * drops it.
 */
static noinline void *alloc_lone(struct bget_pool *bp, size_t need, gfp_t gfp,
				 unsigned long flags)
{
	void *p = take_lone_locked(bp, need);

	if (likely(p))
		bp->nget++;
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return p ?: alloc_slow(bp, need, gfp);
}

/*
 * bget_alloc()'s path for a large request (@need bytes with the header,
 * BGET_LARGE or more), no poison: the bins hold nothing that large, so the
 * size tree's smallest fitting block, carved.  No fit: the slow way.
 */
static noinline void *alloc_large(struct bget_pool *bp, size_t need,
				  gfp_t gfp)
{
	struct bget_tnode *tn;
	unsigned long flags;
	void *p = NULL;

	raw_spin_lock_irqsave(&bp->lock, flags);
	tn = tree_fit_locked(bp, need);
	if (likely(tn)) {
		p = carve_tnode_locked(bp, tn, need);
		bp->nget++;
	}
	unlock_report(bp, flags);
	return p ?: alloc_slow(bp, need, gfp);
}

/*
 * bget_alloc()'s fast path once it knows bin @q, not empty, to hold the
 * smallest free block that fits a small request (@need bytes with the
 * header): its first block, checked, split or taken whole; any
 * doubt (a next block out of the window included) and the slow path
 * looks again and deals with the damage.  Called with the lock held
 * (@flags), drops it.
 */
static __always_inline void *alloc_bin(struct bget_pool *bp, size_t need,
				       unsigned int q, gfp_t gfp,
				       unsigned long flags)
{
	struct bget_free *f = bp->bins[q], *next;
	size_t bsize = (size_t)q << BGET_QSHIFT;
	struct bget_hdr *h;

	if (likely(bin_head_ok_locked(bp, q, f, &next, false))) {
		bin_behead_locked(bp, q, next);
		h = links_blk(f);
		if (bsize - need >= BGET_MIN_BLOCK)
			return alloc_split(bp, h, bsize, need, flags);
		return hand_over(bp, h, bsize, true, flags);
	}
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return alloc_slow(bp, need, gfp);
}

/*
 * bget_alloc()'s fast path when the hot block fits @need bytes: it is
 * taken (alloc_hot()) unless a bin holds a smaller fitting block.  Called
 * with the lock held (@flags), drops it.
 */
static noinline void *alloc_warm(struct bget_pool *bp, size_t need, gfp_t gfp,
				 unsigned long flags)
{
	unsigned int q = bin_fit_locked(bp, need);

	/* @hot_size >= need: it is the fit if no bin's size is below it. */
	if (q == BGET_NBINS || bp->hot_size <= (size_t)q << BGET_QSHIFT)
		return alloc_hot(bp, need, gfp, flags);
	return alloc_bin(bp, need, q, gfp, flags);
}

static void bget_where(struct ap_pool *pool, const void *p,
		       struct ap_where *w);

/*
 * A small request (@need bytes with the header, under BGET_LARGE) met
 * from the bins, the hot block or the only large block under the pool
 * lock; the slow way otherwise.  No poison.
 */
static __always_inline void *take_small(struct bget_pool *bp, size_t need,
					gfp_t gfp)
{
	unsigned long flags;
	unsigned int q;

	raw_spin_lock_irqsave(&bp->lock, flags);
	/* One compare leaves the hot block out when it cannot fit. */
	if (unlikely(bp->hot_size >= need))
		return alloc_warm(bp, need, gfp, flags);
	q = bin_fit_locked(bp, need);
	if (unlikely(q == BGET_NBINS))
		return alloc_lone(bp, need, gfp, flags);
	return alloc_bin(bp, need, q, gfp, flags);
}

static noinline void *pcp_alloc(struct bget_pool *bp, size_t need, gfp_t gfp);

/*
 * bget_alloc() but for its trace event, which bget_alloc() takes once, on
 * whatever comes back from any of the paths here.
 */
static __always_inline void *bget_take(struct bget_pool *bp, size_t size,
				       gfp_t gfp)
{
	size_t need;

	if (ap_should_fail(&bp->ap, size))
		return NULL;
	/*
	 * Fast path: a small request met from the bins, no poison to check
	 * and no per-CPU front (both flags in one test).
	 */
	if (likely(size - 1 < BGET_LARGE - 2 * BGET_HDR &&
		   !(bp->flags & (BGET_POISON | BGET_PERCPU)))) {
		need = max_t(size_t, ALIGN(size + BGET_HDR, BGET_QUANTUM),
			     BGET_MIN_BLOCK);
		return take_small(bp, need, gfp);
	}
	if (bp->pcp && size - 1 < BGET_LARGE - 2 * BGET_HDR)
		return pcp_alloc(bp, max_t(size_t, ALIGN(size + BGET_HDR,
							 BGET_QUANTUM),
					   BGET_MIN_BLOCK), gfp);
	if (size - 1 < BGET_MAX_BLOCK - BGET_LARGE && !pool_poison(bp)) {
		need = ALIGN(size + BGET_HDR, BGET_QUANTUM);
		if (need >= BGET_LARGE)
			return alloc_large(bp, need, gfp);
	}
	if (!block_size_for(size, &need))
		need = 0;
	return alloc_slow(bp, need, gfp);
}

/**
 * bget_alloc() - allocate a buffer from a BGET pool
 * @bp: the pool
 * @size: bytes wanted, 1 .. about 16 GiB
 * @gfp: passed to the pool's compact/acquire callbacks, if any
 *
 * The buffer is 16-byte aligned.  When the pool cannot meet the request it
 * calls the compact callback (sequence 1, 2, ...) while that reports
 * progress, then asks the acquire callback for an expansion block of
 * pool_incr bytes, or for a direct block when @size does not fit one.
 * When @gfp allows blocking, one such caller at a time runs the callbacks,
 * in the memalloc scope @gfp asks for (no I/O or FS reclaim for GFP_NOIO
 * or GFP_NOFS); the others wait, then try the pool again first.
 *
 * Context: any context, hard IRQ included; sleeps only when the pool must
 * grow and @gfp allows blocking.  The callbacks run without the pool lock
 * and must honour @gfp.
 * Return: the buffer, or NULL (a size of 0, an oversized request or no
 * memory; each counts a failure).
 */
void *bget_alloc(struct bget_pool *bp, size_t size, gfp_t gfp)
{
	void *p = bget_take(bp, size, gfp);

	kasan_hand_out(p, size);
	ap_trace_alloc(&bp->ap, p, size, bget_where, _RET_IP_);
	return p;
}
EXPORT_SYMBOL_NS_GPL(bget_alloc, ALLOCPOOLS_NS);

/**
 * bget_zalloc() - allocate a zeroed buffer from a BGET pool
 * @bp: the pool
 * @size: bytes wanted
 * @gfp: passed to the pool's callbacks
 *
 * Like bget_alloc(), with the buffer cleared to zero (outside the pool
 * lock: the buffer is the caller's by then).
 *
 * Context: any context, as bget_alloc().
 * Return: the buffer, or NULL.
 */
void *bget_zalloc(struct bget_pool *bp, size_t size, gfp_t gfp)
{
	void *p = bget_alloc(bp, size, gfp);

	if (p)
		memset(p, 0, size);
	return p;
}
EXPORT_SYMBOL_NS_GPL(bget_zalloc, ALLOCPOOLS_NS);

/* ---- free ---- */

/* The verdicts of check_blk_locked(); only a smashed header is damage. */
static const char bget_invalid[] = "invalid pointer";
static const char bget_double[] = "double free";
static const char bget_smashed[] = "smashed header";

/*
 * Is @buf, in region @r, which holds it, the payload of an allocated
 * block?  Checks everything a free relies on before anything is changed:
 * the header's check word and both neighbours' tags.  False with *@what
 * set if the pointer is not one this pool handed out (or its block is
 * free, in transit or quarantined: a second free).  @placed: the caller
 * found @buf aligned and BGET_FIRST bytes or more into @r.  *@sizep: the
 * block's size, once the header is found intact.  A bool, not the header,
 * so that a caller's test of the answer folds into these.
 */
static __always_inline bool blk_live_locked(struct bget_region *r, void *buf,
					    bool placed, const char **what,
					    size_t *sizep)
{
	struct bget_hdr *h, *n, *p;
	size_t size, pf;
	unsigned long x;
	u32 info;

	/*
	 * The region holds @buf; x is its offset from the first buffer's
	 * place, which the rest of the checks take, as the fast path does.
	 * Once aligned and not below that place (one compare, off_quanta()),
	 * x < r->len - BGET_FIRST and h is below the sentinel.
	 */
	x = reg_offset(r, buf) - BGET_FIRST;
	h = (struct bget_hdr *)buf - 1;
	*what = bget_invalid;
	if (unlikely((!placed && off_quanta(x) >=
				 (r->len - BGET_FIRST) >> BGET_QSHIFT) ||
		     !hdr_ok(h)))
		return false;
	info = hdr_info(h);
	if (unlikely((info & BH_STATE) != BH_ALLOC)) {
		*what = bget_double;
		return false;
	}
	*what = bget_smashed;
	/* The state bits are BH_ALLOC: one subtraction clears them. */
	size = (size_t)(info - BH_ALLOC) << BH_SSHIFT;
	*sizep = size;
	/* 0 < size <= bytes from h to the sentinel */
	if (unlikely(size - 1 >= r->len - BGET_FIRST - x))
		return false;
	n = blk_at(h, size);
	if (unlikely(!hdr_ok(n) || hdr_prevfree(n)))
		return false;
	pf = hdr_prevfree(h);
	if (pf) {
		if (unlikely(!IS_ALIGNED(pf, BGET_QUANTUM) || pf > x))
			return false;
		p = blk_below(h, pf);
		if (unlikely(!hdr_ok(p) || !blk_free(p) || blk_size(p) != pf))
			return false;
	}
	return true;
}

/* The header of the allocated block at @buf (blk_live_locked()), or NULL. */
static __always_inline struct bget_hdr *
check_blk_locked(struct bget_region *r, void *buf, const char **what)
{
	size_t size;

	return blk_live_locked(r, buf, false, what, &size) ?
	       (struct bget_hdr *)buf - 1 : NULL;
}

/* check_blk_locked() after finding the region; *@rp is NULL if none. */
static __always_inline struct bget_hdr *
check_buf_locked(struct bget_pool *bp, void *buf, struct bget_region **rp,
		 const char **what)
{
	struct bget_region *r;

	lockdep_assert_held(&bp->lock);
	r = region_find_locked(bp, buf);
	*rp = r;
	if (unlikely(!r)) {
		*what = bget_invalid;
		return NULL;
	}
	return check_blk_locked(r, buf, what);
}

/*
 * For the trace events: @p's region (its id, as in dumps), its offset from
 * the region's start, and, if a free of @p would be accepted now, the
 * bytes its block holds for the caller.
 */
static void bget_where(struct ap_pool *pool, const void *p,
		       struct ap_where *w)
{
	struct bget_pool *bp = container_of(pool, struct bget_pool, ap);
	struct bget_region *r;
	struct bget_hdr *h;
	unsigned long flags;
	const char *what;

	raw_spin_lock_irqsave(&bp->lock, flags);
	h = check_buf_locked(bp, (void *)p, &r, &what);
	w->region = r ? r->id : AP_NO_REGION;
	w->offset = r ? (unsigned long)p - (unsigned long)r : 0;
	w->size = h ? blk_size(h) - BGET_HDR : 0;
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	w->order = -1;
	w->live = h;
}

/*
 * Poisoned pool, or KASAN: fill block @h, which the caller just gave up,
 * with poison (BGET_POISON) and poison its KASAN shadow, with the lock
 * (*@flags) dropped.  It is in transit meanwhile, so a second
 * free of it is refused and no neighbour merges with it; it is coalesced
 * once the lock is back.
 */
static noinline bool poison_unlocked(struct bget_pool *bp, struct bget_hdr *h,
				     unsigned long *flags)
{
	size_t size = blk_size(h);

	set_hdr(h, size, BH_TRANSIT);
	bp->transit += size;
	bp->nchange++;
	raw_spin_unlock_irqrestore(&bp->lock, *flags);
	/* Without KASAN only a poisoned pool gets here. */
	if (!AP_KASAN || pool_poison(bp))
		poison_blk(h, size);
	ap_kasan_free(h, size);
	raw_spin_lock_irqsave(&bp->lock, *flags);
	bp->transit -= size;
	/* The walks must see that the block moves on (coalesce, below). */
	bp->nchange++;
	return transit_ok_locked(bp, h, size);
}

/*
 * Give allocated block @h of region @r back: poisoned if the pool poisons,
 * coalesced.  Returns the free block holding it, or NULL if its header was
 * smashed meanwhile (the block is then lost).
 */
static struct bget_hdr *release_blk_locked(struct bget_pool *bp,
					   struct bget_region *r,
					   struct bget_hdr *h,
					   unsigned long *flags)
{
	lockdep_assert_held(&bp->lock);
	if (unlikely(pool_held(bp)) && !poison_unlocked(bp, h, flags))
		return NULL;
	return coalesce_locked(bp, r, h, pool_held(bp));
}

/* Count a refused free (or realloc) of @buf; @rep is logged once unlocked. */
static void refuse_locked(struct bget_pool *bp, struct bget_region *r,
			  const void *buf, const char *what,
			  struct bget_report *rep)
{
	lockdep_assert_held(&bp->lock);
	bp->invalid_frees++;
	if (what == bget_smashed)
		bp->corruptions++;
	rep->what = what;
	rep->inside = r;
	rep->off = r ? reg_offset(r, buf) : 0;
}

/*
 * Everything bget_free() does not do inline, and the reports, from the
 * start: it takes the lock again, so nothing seen before counts.
 */
static noinline int free_slow(struct bget_pool *bp, void *buf)
{
	void (*release)(struct bget_pool *bp, void *buf) = NULL;
	struct bget_report rep;
	struct bget_region *r;
	unsigned long flags;
	struct bget_hdr *h;
	struct bget_gone *tn = NULL;
	const char *what;
	void *rbuf = NULL;
	size_t size;

	raw_spin_lock_irqsave(&bp->lock, flags);
	h = check_buf_locked(bp, buf, &r, &what);
	if (unlikely(!h)) {
		refuse_locked(bp, r, buf, what, &rep);
		raw_spin_unlock_irqrestore(&bp->lock, flags);
		report(bp, &rep);
		return -EINVAL;
	}
	size = blk_size(h);
	bp->nrel++;
	bp->curalloc -= size;
	if (unlikely(r->kind == BGET_REGION_DIRECT)) {
		region_unlink_locked(bp, r);
		bp->direct -= size;
		bp->ndrel++;
		trace_allocpools_give_back(&bp->ap, r->id, r->len);
		release = bp->ops.release;
		rbuf = r;
	} else {
		/*
		 * The region cannot go while @h is in transit: it is not
		 * entirely free until @h is coalesced.
		 */
		h = release_blk_locked(bp, r, h, &flags);
		/* A region holding a block cut off never becomes one free block. */
		if (r->kind == BGET_REGION_EXPANSION && bp->ops.release &&
		    h == reg_first(r) && blk_size(h) == reg_span(r) &&
		    index_remove_locked(bp, r, h)) {
			region_unlink_locked(bp, r);
			bp->nprel++;
			trace_allocpools_give_back(&bp->ap, r->id, r->len);
			release = bp->ops.release;
			rbuf = r;
			/* Its node array goes to the work item, as vfree()s do. */
			tn = (struct bget_gone *)r->tnodes;
			if (tn) {
				tn->next = bp->tn_gone;
				bp->tn_gone = tn;
			}
		}
	}
	what = bp->cut_what;
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	if (tn && !tn->next)
		schedule_work(&bp->gone_work);
	/* A direct block without a release callback stays the caller's. */
	if (AP_KASAN && rbuf)
		buf_unpoison(rbuf, ((struct bget_region *)rbuf)->len);
	if (release)
		release(bp, rbuf);
	if (unlikely(what))
		report_damage(bp);
	return 0;
}

/*
 * Block @h of @size bytes, checked, being freed: if the free block below
 * it, which check_blk_locked() found intact, is the only large free block,
 * @h joins it and true is returned; false, nothing changed, otherwise.
 */
static __always_inline bool grow_lone_locked(struct bget_pool *bp,
					     struct bget_hdr *h, size_t size)
{
	struct bget_hdr *p = blk_below(h, hdr_prevfree(h));
	struct bget_tnode *t = tree_alone(bp, p);

	if (!t || unlikely(t->size != hdr_prevfree(h)))
		return false;
	kill_hdr(h);
	size += t->size;
	set_hdr(p, size, 0);
	bp->tree_bytes += size - t->size;
	t->size = size;
	set_prevfree(blk_at(p, size), size);
	return true;
}

/*
 * Block @h of @size bytes (under BGET_LARGE) in region @r, checked, being
 * freed below free block @n, with no free block below it: if @n is the first block of its
 * bin and the two stay small, they merge here and true is returned; false,
 * nothing changed, otherwise (coalesce_locked() then does it all, checks
 * and damage included).  check_blk_locked() found @n's header intact and
 * its boundary tag clear, and @n says free, so the head check of
 * bin_head_ok_locked() would only repeat that: the bin naming @n as its
 * head is what makes it a member, and its size is the bin's.  Left to
 * check: @n's end (the tag above it) and its next block's back link.
 */
static __always_inline bool merge_up_locked(struct bget_pool *bp,
					    struct bget_region *r,
					    struct bget_hdr *h,
					    struct bget_hdr *n, size_t size)
{
	/* @n says free: its state bits are clear. */
	size_t nsize = (size_t)hdr_info(n) << BH_SSHIFT;
	unsigned int q = size_bin(nsize);
	struct bget_free *f = blk_links(n), *next;

	if (nsize >= BGET_LARGE - size || bp->bins[q] != f ||
	    unlikely(!upper_ok(r, n, nsize)))
		return false;
	next = get_next(bp, f);
	if (next && unlikely(!next_ok_locked(bp, f, next, q, bp->bin_key[q],
					     false)))
		return false;
	bin_behead_locked(bp, q, next);
	kill_hdr(n);
	size += nsize;
	set_hdr(h, size, 0);
	set_prevfree(blk_at(h, size), size);
	/* The merged block is the hot one now; the last goes on its bin. */
	hot_flush_locked(bp);
	bp->hot = h;
	bp->hot_size = size;
	return true;
}

/*
 * May bget_free()'s fast path take checked block @h of @size bytes?  With
 * KASAN it poisons a small block's shadow here, under the lock (at most
 * BGET_LARGE / 8 bytes of it), before the block can be handed out again;
 * a large one goes the slow way, poisoned with the lock dropped
 * (pool_held()).
 */
static __always_inline bool kasan_free_fast(struct bget_hdr *h, size_t size)
{
	if (!AP_KASAN)
		return true;
	if (size >= BGET_LARGE)
		return false;
	ap_kasan_free(h, size);
	return true;
}

/*
 * Block @h of @size bytes (under BGET_LARGE), checked, being freed just
 * below the hot block @n, with no free block below it: they merge into a
 * new hot block if it stays small, and true is returned; false, nothing
 * changed, otherwise.  check_blk_locked() found @n's header intact; its
 * size must be @hot_size, and the boundary tag above it agree.  @n and
 * @hot_size are the pool's own, so that tag lies in @n's region.
 */
static __always_inline bool merge_hot_locked(struct bget_pool *bp,
					     struct bget_hdr *h,
					     struct bget_hdr *n, size_t size)
{
	size_t nsize = bp->hot_size;
	const struct bget_hdr *e = blk_at(n, nsize);

	if (nsize >= BGET_LARGE - size ||
	    unlikely(hdr_info(n) != free_info(nsize) || hdr_prevfree(e) != nsize ||
		     !hdr_ok(e)))
		return false;
	kill_hdr(n);
	size += nsize;
	set_hdr(h, size, 0);
	set_prevfree(blk_at(h, size), size);
	bp->hot = h;
	bp->hot_size = size;
	return true;
}

/*
 * bget_free()'s fast path for a block with a free neighbour, or a large
 * one: coalesce it, drop the lock (@flags) and log any damage found.
 */
static noinline int free_merge(struct bget_pool *bp, struct bget_region *r,
			       struct bget_hdr *h, unsigned long flags)
{
	coalesce_locked(bp, r, h, false);
	unlock_report(bp, flags);
	return 0;
}

/*
 * bget_free()'s path for a large block @h of region @r with both
 * neighbours in use: it goes into the size tree.  Drops the lock (@flags)
 * and logs any damage found.
 */
static noinline int free_large(struct bget_pool *bp, struct bget_region *r,
			       struct bget_hdr *h, unsigned long flags)
{
	size_t size = blk_size(h);

	set_hdr(h, size, 0);
	set_prevfree(blk_at(h, size), size);
	tree_insert_locked(bp, r, h, size);
	unlock_report(bp, flags);
	return 0;
}

/*
 * bget_free()'s path for small block @h of @size bytes freed below free
 * block @n, the first of its bin, with no free block below it: the common merge (see
 * merge_up_locked()) here, the rest in free_merge().  Kept apart from
 * free_merge() so that it saves few registers.
 */
static noinline int free_up(struct bget_pool *bp, struct bget_region *r,
			    struct bget_hdr *h, struct bget_hdr *n, size_t size,
			    unsigned long flags)
{
	if (merge_up_locked(bp, r, h, n, size)) {
		raw_spin_unlock_irqrestore(&bp->lock, flags);
		return 0;
	}
	return free_merge(bp, r, h, flags);
}

/*
 * free_up() for small block @h of @size bytes freed just below the hot
 * block @n (see merge_hot_locked()).  Apart from free_up(), whose bin
 * update needs more registers than this merge, so that this one saves
 * none.
 */
static noinline int free_hot(struct bget_pool *bp, struct bget_region *r,
			     struct bget_hdr *h, struct bget_hdr *n, size_t size,
			     unsigned long flags)
{
	if (merge_hot_locked(bp, h, n, size)) {
		raw_spin_unlock_irqrestore(&bp->lock, flags);
		return 0;
	}
	return free_merge(bp, r, h, flags);
}

static noinline int pcp_free(struct bget_pool *bp, void *buf);

/*
 * bget_free() of non-NULL @buf under the pool lock: inline in bget_free(),
 * and out of line behind the per-CPU front (free_pcp()).
 */
static __always_inline int free_locked(struct bget_pool *bp, void *buf)
{
	struct bget_region *r;
	struct bget_hdr *h, *n;
	unsigned long flags;
	const char *what;
	size_t size, pf;
	bool nfree;

	raw_spin_lock_irqsave(&bp->lock, flags);
	/*
	 * Fast path: a region that stays, no poison; all checks still made.
	 * One compare places @buf in it, aligned, past the first header.
	 */
	if (likely(off_quanta((unsigned long)buf - bp->free_lo - BGET_FIRST) <
		   bp->free_q)) {
		r = (struct bget_region *)bp->free_lo;
		h = (struct bget_hdr *)buf - 1;
		if (likely(blk_live_locked(r, buf, true, &what, &size)) &&
		    kasan_free_fast(h, size)) {
			/*
			 * Read before the counters are written: the kernel's
			 * -fno-strict-aliasing would have them read again.
			 */
			n = blk_at(h, size);
			pf = hdr_prevfree(h);
			nfree = blk_free(n);
			bp->nrel++;
			bp->curalloc -= size;
			/* Both neighbours in use: the block goes on its bin. */
			if (likely(!pf && !nfree && size < BGET_LARGE)) {
				hdr_flip(h, BH_ALLOC);
				bin_insert_locked(bp, blk_links(h), size_bin(size));
				set_prevfree(n, size);
				raw_spin_unlock_irqrestore(&bp->lock, flags);
				return 0;
			}
			/* A large one goes into the size tree. */
			if (!pf && !nfree)
				return free_large(bp, r, h, flags);
			/*
			 * Freed just above the only large free block (often a
			 * region's untouched end): it grows in place.
			 */
			if (likely(!nfree && pf >= BGET_LARGE &&
				   grow_lone_locked(bp, h, size))) {
				raw_spin_unlock_irqrestore(&bp->lock, flags);
				return 0;
			}
			/* Freed below a free block: most often one small block. */
			if (!pf && size < BGET_LARGE) {
				if (n == bp->hot)
					return free_hot(bp, r, h, n, size,
							flags);
				return free_up(bp, r, h, n, size, flags);
			}
			return free_merge(bp, r, h, flags);
		}
	}
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return free_slow(bp, buf);
}

/*
 * bget_free() on a pool with BGET_PERCPU: the front, then the locked path
 * for a block it leaves.  Out of line, so that a pool without the flag
 * pays one test for it and nothing else (the shared return of an inline
 * front cost such pools three instructions more in userspace).
 */
static noinline int free_pcp(struct bget_pool *bp, void *buf)
{
	int ret = pcp_free(bp, buf);

	return ret <= 0 ? ret : free_locked(bp, buf);
}

/**
 * bget_free() - return a buffer to its BGET pool
 * @bp: the pool
 * @buf: a buffer from bget_alloc(), bget_zalloc() or bget_realloc(), or NULL
 *
 * The block merges with free neighbours.  An expansion block that becomes
 * entirely free, and a direct block, go back through the release callback,
 * called here after the pool lock is dropped (bget_vmalloc_ops only queues
 * the block for a work item to vfree()).  A pointer the pool did not hand
 * out, an interior pointer, a double free or a smashed header is refused
 * and reported (with its offset inside the region holding it), and the
 * pool is left as it was.  On a BGET_POISON pool, and with KASAN, the
 * block is poisoned with the lock dropped; a second free of it meanwhile
 * is refused.
 *
 * Context: any context, hard IRQ included; never sleeps itself.  A
 * release callback set with bget_pool_ctl() runs in the caller's context.
 * Return: 0, or -EINVAL for a refused free.
 */
int bget_free(struct bget_pool *bp, void *buf)
{
	if (!buf)
		return 0;
	ap_trace_free(&bp->ap, buf, bget_where, _RET_IP_);
	/* The flag, not @pcp: one word the fast path reads anyway. */
	if (unlikely(bp->flags & BGET_PERCPU))
		return free_pcp(bp, buf);
	return free_locked(bp, buf);
}
EXPORT_SYMBOL_NS_GPL(bget_free, ALLOCPOOLS_NS);

/* ---- the per-CPU front (BGET_PERCPU) ---- */

/*
 * Each CPU caches blocks of BGET_PCP_CLASSES small sizes of the initial
 * region (struct bget_pcpu), so a free of such a block and an allocation
 * of such a size take no pool lock while its CPU's stack of that size has
 * a block or room.  A cached block stays allocated on the books: its
 * header says so, it counts in @curalloc, and no neighbour merges with
 * it; what marks it cached is its claim bit in @pcp_map, out of a
 * client's reach.  Of the initial region only, whose blocks are never
 * released: one compare places a buffer in it, and release timing stays
 * exactly the contract's.  None with BGET_POISON (every block is poisoned
 * and checked on the locked paths).
 *
 * A free (pcp_free()) checks the block's header, which only a free or a
 * realloc of that block changes while it is allocated, then claims the
 * block's bit with one atomic step: of two frees of one block exactly one
 * wins, and a free of a cached block is refused.  A block leaves a cache
 * (pcp_put_back_locked()) by merging into the free index first, then
 * moving @pcp_gen, then dropping its bit; a free that read the header
 * before and claimed the bit after sees @pcp_gen moved and decides under
 * the pool lock instead, where the header is what it is.  A refill moves
 * @pcp_gen before it carves, for the same reason, and leaves a block
 * whose bit a racing free holds to that free (it takes it as cached).
 *
 * Locks: the pool lock, then a CPU's cache lock (allocpools_pcp.h); the
 * fast paths take their own CPU's alone, by trylock, and leave a lock held
 * by another CPU to the locked paths.  Longest holds: a refill is two
 * allocations of the locked path and BGET_PCP_BATCH - 1 headers
 * (pcp_carve_locked()), or, where no free block holds the cache's blocks
 * at once, up to BGET_PCP_BATCH allocations; a flush BGET_PCP_BATCH
 * merges, a drain of one CPU BGET_PCP_CLASSES * BGET_PCP_MAX merges.
 */
static struct lock_class_key bget_pcp_key;

/* The block size of class @k. */
static inline size_t pcp_size(unsigned int k)
{
	return (size_t)(k + BGET_PCP_MIN_Q) << BGET_QSHIFT;
}

/* The claim bit of the buffer at @buf, a buffer of @pcp_reg. */
static inline unsigned long pcp_bit(const struct bget_pool *bp,
				    const void *buf)
{
	return ((unsigned long)buf - bp->pcp_lo) >> BGET_QSHIFT;
}

/* The header of the buffer @x quanta from @pcp_lo. */
static inline struct bget_hdr *pcp_hdr(const struct bget_pool *bp, u32 x)
{
	return (struct bget_hdr *)(bp->pcp_lo + ((unsigned long)x << BGET_QSHIFT)) - 1;
}

/* Is @buf the buffer of a cached block (or one a free is deciding on)? */
static bool pcp_claimed(const struct bget_pool *bp, const void *buf)
{
	unsigned long x = off_quanta((unsigned long)buf - bp->pcp_lo);

	return bp->pcp && x < bp->pcp_q && test_bit(x, bp->pcp_map);
}

/* Tell the frees that read a header before now to decide under the lock. */
static void pcp_gen_move_locked(struct bget_pool *bp)
{
	lockdep_assert_held(&bp->lock);
	/*
	 * Header writes before the move, paired with pcp_free()'s smp_rmb()
	 * between its read of @pcp_gen and of the header.
	 */
	smp_wmb();
	WRITE_ONCE(bp->pcp_gen, bp->pcp_gen + 1);
	/*
	 * The move before any claim bit dropped, paired with the full
	 * barrier of pcp_free()'s test_and_set_bit().
	 */
	smp_mb__before_atomic();
}

/*
 * Cached block @h of class size @size goes back on the books as a free
 * would: merged with its free neighbours, after the checks of a locked
 * free; a block found damaged is cut off (its bytes lost).  Its bit is
 * dropped last.
 */
static void pcp_put_back_locked(struct bget_pool *bp, struct bget_hdr *h,
				size_t size)
{
	struct bget_region *r = bp->pcp_reg;
	void *buf = blk_payload(h);
	const char *what;
	size_t bsize;

	lockdep_assert_held(&bp->lock);
	bp->pcp_n--;
	bp->nchange++;
	bp->curalloc -= size;
	if (likely(blk_live_locked(r, buf, false, &what, &bsize) &&
		   bsize == size)) {
		coalesce_locked(bp, r, h, false);
	} else {
		bp->lost += size;
		note_damage_locked(bp, h, "header of a cached block smashed");
	}
	pcp_gen_move_locked(bp);
	clear_bit(pcp_bit(bp, buf), bp->pcp_map);
}

/* Move @pc's counts into the pool's (see @pcp_n); both locks held. */
static void pcp_fold_locked(struct bget_pool *bp, struct bget_pcpu *pc)
{
	lockdep_assert_held(&bp->lock);
	bp->nget += pc->nget;
	bp->nrel += pc->nrel;
	bp->pcp_n += pc->nrel - pc->nget;
	pc->nget = 0;
	pc->nrel = 0;
}

/*
 * @pc's class @k is full: its BGET_PCP_BATCH oldest blocks go back, the
 * newest move down.  Both locks held.
 */
static void pcp_flush_locked(struct bget_pool *bp, struct bget_pcpu *pc,
			     unsigned int k)
{
	unsigned int i;

	for (i = 0; i < BGET_PCP_BATCH; i++)
		pcp_put_back_locked(bp, pcp_hdr(bp, pc->blk[k][i]), pcp_size(k));
	memmove(pc->blk[k], pc->blk[k] + BGET_PCP_BATCH,
		(BGET_PCP_MAX - BGET_PCP_BATCH) * sizeof(pc->blk[k][0]));
	pc->n[k] -= BGET_PCP_BATCH;
}

/* Drain @cpu's cache, its counts folded in, under one hold of the locks. */
static void pcp_drain_cpu(struct bget_pool *bp, unsigned int cpu)
{
	struct bget_pcpu *pc = per_cpu_ptr(bp->pcp, cpu);
	unsigned long flags;
	unsigned int k, i;

	raw_spin_lock_irqsave(&bp->lock, flags);
	ap_pcp_lock(&pc->lock, &bp->lock);
	pcp_fold_locked(bp, pc);
	for (k = 0; k < BGET_PCP_CLASSES; k++) {
		for (i = 0; i < pc->n[k]; i++)
			pcp_put_back_locked(bp, pcp_hdr(bp, pc->blk[k][i]),
					    pcp_size(k));
		pc->n[k] = 0;
	}
	ap_pcp_unlock(&pc->lock);
	unlock_report(bp, flags);
}

/*
 * Every CPU's cache back on the books, one CPU at a time: before the pool
 * grows or reports a failure, before stats, validate and dump, on destroy.
 * Entered without the lock.
 */
static void pcp_drain_all(struct bget_pool *bp)
{
	unsigned int cpu;

	if (!bp->pcp)
		return;
	for_each_possible_cpu(cpu)
		pcp_drain_cpu(bp, cpu);
}

/* A free pcp_free() refuses: a second free of a cached block. */
static noinline int pcp_refuse(struct bget_pool *bp, void *buf,
			       const char *what)
{
	struct bget_report rep;
	unsigned long flags;

	raw_spin_lock_irqsave(&bp->lock, flags);
	refuse_locked(bp, bp->pcp_reg, buf, what, &rep);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	report(bp, &rep);
	return -EINVAL;
}

/*
 * pcp_free() holds @buf's claim bit (@x) but must decide under the pool
 * lock (@checked false: the pool moved @pcp_gen meanwhile), or found this
 * CPU's cache lock held or class @k full.  Interrupts are off (@flags).
 */
static noinline int pcp_free_locked(struct bget_pool *bp, void *buf,
				    unsigned long x, unsigned int k,
				    bool checked, unsigned long flags)
{
	struct bget_hdr *h = (struct bget_hdr *)buf - 1;
	struct bget_pcpu *pc;
	const char *what;
	size_t size;

	raw_spin_lock(&bp->lock);
	if (!checked) {
		if (unlikely(!blk_live_locked(bp->pcp_reg, buf, true, &what,
					      &size))) {
			clear_bit(x, bp->pcp_map);
			raw_spin_unlock_irqrestore(&bp->lock, flags);
			return pcp_refuse(bp, buf, what);
		}
		/* Resized meanwhile (a realloc): the locked path frees it. */
		if (unlikely(size != pcp_size(k))) {
			clear_bit(x, bp->pcp_map);
			raw_spin_unlock_irqrestore(&bp->lock, flags);
			return 1;
		}
		ap_kasan_free(h, size);
	}
	pc = this_cpu_ptr(bp->pcp);
	ap_pcp_lock(&pc->lock, &bp->lock);
	if (pc->n[k] == BGET_PCP_MAX)
		pcp_flush_locked(bp, pc, k);
	pc->blk[k][pc->n[k]++] = x;
	pc->nrel++;
	ap_pcp_unlock(&pc->lock);
	unlock_report(bp, flags);
	return 0;
}

/*
 * bget_free() on a pool with the front: a block of a cached size of the
 * initial region goes to this CPU's cache.  0 or -EINVAL when it decided,
 * 1 when bget_free() goes on (another block, or a header that is not a
 * live one: the locked path refuses it with its reason).
 */
static noinline int pcp_free(struct bget_pool *bp, void *buf)
{
	struct bget_hdr *h = (struct bget_hdr *)buf - 1;
	unsigned long x = off_quanta((unsigned long)buf - bp->pcp_lo);
	unsigned long gen, flags;
	struct bget_pcpu *pc;
	unsigned int q, k;
	u32 info;

	/* No front (poison, or no initial region): @pcp_q is 0. */
	if (x >= bp->pcp_q)
		return 1;
	gen = READ_ONCE(bp->pcp_gen);
	/* Pairs with pcp_gen_move_locked(): the header no older than @gen. */
	smp_rmb();
	info = hdr_info(h);
	if ((info & BH_STATE) != BH_ALLOC || hdr_check(h) != hdr_sum(h, info))
		return 1;
	/* The state bits are BH_ALLOC: one subtraction clears them. */
	q = (info - BH_ALLOC) >> (BGET_QSHIFT - BH_SSHIFT);
	k = q - BGET_PCP_MIN_Q;
	if (k >= BGET_PCP_CLASSES || q > bp->pcp_q - x)
		return 1;
	/* Fully ordered: @pcp_gen is read again after the claim. */
	if (test_and_set_bit(x, bp->pcp_map))
		return pcp_refuse(bp, buf, bget_double);
	local_irq_save(flags);
	if (unlikely(READ_ONCE(bp->pcp_gen) != gen))
		return pcp_free_locked(bp, buf, x, k, false, flags);
	ap_kasan_free(h, (size_t)q << BGET_QSHIFT);
	pc = this_cpu_ptr(bp->pcp);
	if (unlikely(!ap_pcp_trylock(&pc->lock)))
		return pcp_free_locked(bp, buf, x, k, true, flags);
	if (unlikely(pc->n[k] == BGET_PCP_MAX)) {
		ap_pcp_unlock(&pc->lock);
		return pcp_free_locked(bp, buf, x, k, true, flags);
	}
	pc->blk[k][pc->n[k]++] = x;
	pc->nrel++;
	ap_pcp_unlock(&pc->lock);
	local_irq_restore(flags);
	return 0;
}

/*
 * A block a refill took, @h, is not for the cache (another region's, or of
 * another size): back on the books as a free would put it.
 */
static void pcp_untake_locked(struct bget_pool *bp, struct bget_region *r,
			      struct bget_hdr *h)
{
	lockdep_assert_held(&bp->lock);
	bp->curalloc -= blk_size(h);
	bp->nchange++;
	coalesce_locked(bp, r, h, false);
}

/*
 * A block a refill took of exactly class @k's size goes into @pc's class
 * @k, off the books (@pcp_n).  Both locks held.
 */
static inline void pcp_cache_taken_locked(struct bget_pool *bp,
					  struct bget_pcpu *pc,
					  unsigned int k, void *buf)
{
	u32 x = pcp_bit(bp, buf);

	bp->pcp_n++;
	bp->nchange++;
	/* A racing free of it holds the bit: it is that free's now. */
	if (!test_and_set_bit(x, bp->pcp_map))
		pc->blk[k][pc->n[k]++] = x;
}

/*
 * A refill's blocks for the cache in one fit: a free block of the initial
 * region that holds BGET_PCP_BATCH - 1 blocks of @need bytes (the smallest
 * such under BGET_BEST_FIT, the first under first fit) is cut into them
 * for @pc's empty class @k: one allocation of the locked path and a header
 * per block, where single fits would be BGET_PCP_BATCH - 1 allocations.
 * Bytes too few to split off, which the fit may bring, go back with the
 * last block, as a free would put it.  False, with nothing changed, when
 * no free block holds them all in the initial region.  Both locks held,
 * and @pcp_gen moved since the bytes were last a free block's.
 */
static bool pcp_carve_locked(struct bget_pool *bp, struct bget_pcpu *pc,
			     unsigned int k, size_t need, unsigned long *flags)
{
	size_t total = (BGET_PCP_BATCH - 1) * need, size;
	struct bget_hdr *h;
	unsigned int i;
	void *p;

	lockdep_assert_held(&bp->lock);
	p = alloc_locked(bp, total, flags);
	if (!p)
		return false;
	h = (struct bget_hdr *)p - 1;
	size = blk_size(h);
	if (off_quanta((unsigned long)p - bp->pcp_lo) >= bp->pcp_q) {
		pcp_untake_locked(bp, region_find_locked(bp, h), h);
		return false;
	}
	for (i = 0; i < BGET_PCP_BATCH - 1; i++, h = blk_at(h, need)) {
		if (i)
			set_prevfree(h, 0);
		if (i == BGET_PCP_BATCH - 2 && size != total) {
			/* The last block, with the bytes past it: back. */
			set_hdr(h, size - total + need, BH_ALLOC);
			pcp_untake_locked(bp, bp->pcp_reg, h);
			break;
		}
		set_hdr(h, need, BH_ALLOC);
		pcp_cache_taken_locked(bp, pc, k, blk_payload(h));
	}
	return true;
}

/*
 * pcp_alloc() found this CPU's class @k (@need bytes) empty, or its lock
 * held.  Interrupts are off (@flags).  Under the pool lock: a block for
 * the caller from the locked path, and up to BGET_PCP_BATCH - 1 more of
 * exactly @need bytes of the initial region for the cache, cut from one
 * fit (pcp_carve_locked()) or, where none holds them all, the blocks that
 * as many allocations would have taken.  Nothing fits: the slow way,
 * which drains every cache before it grows or fails.
 */
static noinline void *pcp_refill(struct bget_pool *bp, size_t need,
				 unsigned int k, gfp_t gfp,
				 unsigned long flags)
{
	struct bget_hdr *h;
	struct bget_pcpu *pc;
	unsigned int i;
	void *p, *c;
	u32 x;

	raw_spin_lock(&bp->lock);
	pc = this_cpu_ptr(bp->pcp);
	ap_pcp_lock(&pc->lock, &bp->lock);
	if (pc->n[k]) {
		/* pcp_alloc() only found the lock held. */
		x = pc->blk[k][--pc->n[k]];
		pc->nget++;
		ap_pcp_unlock(&pc->lock);
		raw_spin_unlock_irqrestore(&bp->lock, flags);
		clear_bit(x, bp->pcp_map);
		return blk_payload(pcp_hdr(bp, x));
	}
	p = alloc_locked(bp, need, &flags);
	if (unlikely(!p)) {
		ap_pcp_unlock(&pc->lock);
		unlock_report(bp, flags);
		return alloc_slow(bp, need, gfp);
	}
	bp->nget++;
	pcp_gen_move_locked(bp);
	/* No fit holds the cache's blocks at once: single fits. */
	i = pcp_carve_locked(bp, pc, k, need, &flags) ? BGET_PCP_BATCH : 1;
	for (; i < BGET_PCP_BATCH; i++) {
		c = alloc_locked(bp, need, &flags);
		if (!c)
			break;
		h = (struct bget_hdr *)c - 1;
		if (off_quanta((unsigned long)c - bp->pcp_lo) >= bp->pcp_q ||
		    blk_size(h) != need) {
			pcp_untake_locked(bp, region_find_locked(bp, h), h);
			break;
		}
		pcp_cache_taken_locked(bp, pc, k, c);
	}
	ap_pcp_unlock(&pc->lock);
	unlock_report(bp, flags);
	return p;
}

/*
 * bget_alloc() on a pool with the front, for a small request of @need
 * bytes with the header: from this CPU's cache when its size is cached,
 * the locked fast path otherwise.
 */
static noinline void *pcp_alloc(struct bget_pool *bp, size_t need, gfp_t gfp)
{
	unsigned int k = (need >> BGET_QSHIFT) - BGET_PCP_MIN_Q;
	struct bget_pcpu *pc;
	unsigned long flags;
	unsigned int n;
	u32 x;

	if (k >= BGET_PCP_CLASSES || !bp->pcp_q)
		return take_small(bp, need, gfp);
	local_irq_save(flags);
	pc = this_cpu_ptr(bp->pcp);
	if (unlikely(!ap_pcp_trylock(&pc->lock)))
		return pcp_refill(bp, need, k, gfp, flags);
	n = pc->n[k];
	if (unlikely(!n)) {
		ap_pcp_unlock(&pc->lock);
		return pcp_refill(bp, need, k, gfp, flags);
	}
	x = pc->blk[k][--n];
	pc->n[k] = n;
	pc->nget++;
	ap_pcp_unlock(&pc->lock);
	local_irq_restore(flags);
	clear_bit(x, bp->pcp_map);
	return blk_payload(pcp_hdr(bp, x));
}

/*
 * CPU hotplug: a CPU that is dead drains its cache, from the CPU that took
 * it down.  One multi-instance state for all pools with the front, set up
 * with the module; -1 when there is none.
 */
static int bget_cpuhp_state = -1;

static int bget_cpu_dead(unsigned int cpu, struct hlist_node *node)
{
	struct bget_pool *bp = hlist_entry(node, struct bget_pool,
					   cpuhp_node);

	pcp_drain_cpu(bp, cpu);
	return 0;
}

/**
 * bget_pool_cpuhp_init() - set up the CPU hotplug state of the BGET pools
 *
 * Called once at module load, before any pool is created.
 *
 * Context: process context; may sleep.
 * Return: 0, or the -errno of ap_cpuhp_init().
 */
int bget_pool_cpuhp_init(void)
{
	return ap_cpuhp_init(&bget_cpuhp_state, "allocpools/bget:dead", bget_cpu_dead);
}

/**
 * bget_pool_cpuhp_exit() - remove what bget_pool_cpuhp_init() set up
 *
 * Context: process context, at module unload, once every pool is gone.
 */
void bget_pool_cpuhp_exit(void)
{
	ap_cpuhp_exit(&bget_cpuhp_state);
}

/*
 * The front of a pool created with BGET_PERCPU (and no BGET_POISON), over
 * its initial region @r (NULL: nothing is cached).  0 or -ENOMEM.
 */
static int pcp_init(struct bget_pool *bp, struct bget_region *r)
{
	unsigned int cpu;

	if (!(bp->flags & BGET_PERCPU) || pool_poison(bp))
		return 0;
	bp->pcp = alloc_percpu(struct bget_pcpu);
	if (!bp->pcp)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		ap_pcp_lock_init(&per_cpu_ptr(bp->pcp, cpu)->lock, "bget_pcp",
				 &bget_pcp_key);
	if (!r)
		return 0;
	bp->pcp_map = kvcalloc(BITS_TO_LONGS((r->len - BGET_FIRST) >>
					     BGET_QSHIFT),
			       sizeof(unsigned long), GFP_KERNEL);
	if (!bp->pcp_map) {
		free_percpu(bp->pcp);
		bp->pcp = NULL;
		return -ENOMEM;
	}
	bp->pcp_reg = r;
	bp->pcp_lo = (unsigned long)r + BGET_FIRST;
	bp->pcp_q = (r->len - BGET_FIRST) >> BGET_QSHIFT;
	if (bget_cpuhp_state >= 0)
		cpuhp_state_add_instance_nocalls(bget_cpuhp_state,
						 &bp->cpuhp_node);
	return 0;
}

/* Undo pcp_init(), every cache drained first. */
static void pcp_exit(struct bget_pool *bp)
{
	if (!bp->pcp)
		return;
	if (bp->pcp_q && bget_cpuhp_state >= 0)
		cpuhp_state_remove_instance_nocalls(bget_cpuhp_state,
						    &bp->cpuhp_node);
	pcp_drain_all(bp);
	kvfree(bp->pcp_map);
	free_percpu(bp->pcp);
	bp->pcp = NULL;
}

/* ---- realloc ---- */

/*
 * Cut the tail of allocated block @h beyond @need off as an allocated
 * block of its own, if it can stand; the caller gives it back.  Returns
 * the tail, or NULL if there is none.
 */
static struct bget_hdr *shrink_locked(struct bget_pool *bp, struct bget_hdr *h,
				      size_t need)
{
	size_t size = blk_size(h), rest = size - need;
	struct bget_hdr *t;

	lockdep_assert_held(&bp->lock);
	if (rest < BGET_MIN_BLOCK)
		return NULL;
	set_hdr(h, need, BH_ALLOC);
	t = blk_at(h, need);
	set_prevfree(t, 0);
	set_hdr(t, rest, BH_ALLOC);
	bp->curalloc -= rest;
	bp->nchange++;
	return t;
}

/*
 * Grow allocated block @h (payload @buf, in region @r) into its free upper
 * neighbour, if that suffices: 1 if it did, 0 if it did not.  On a
 * poisoned pool the neighbour's poison is checked with the lock (*@flags)
 * dropped: a mismatch quarantines it (0, @rep filled in), and -EINVAL
 * means @buf was freed meanwhile (refused, @rep filled in).
 */
static int grow_in_place_locked(struct bget_pool *bp, struct bget_region *r,
				void *buf, struct bget_hdr *h, size_t need,
				unsigned long *flags, struct bget_report *rep)
{
	size_t size = blk_size(h), nsize;
	struct bget_hdr *n = next_blk(h), *t;
	const char *what;
	bool ok;

	lockdep_assert_held(&bp->lock);
	nsize = blk_free(n) ? blk_size(n) : 0;
	if (size + nsize < need)
		return 0;
	if (unlikely(!upper_ok(r, n, nsize))) {
		drop_blk_locked(bp, n, "boundary tag damaged");
		return 0;
	}
	if (unlikely(pool_poison(bp))) {
		if (!take_off_locked(bp, n))
			return 0;
		raw_spin_unlock_irqrestore(&bp->lock, *flags);
		ok = poison_ok(n, poison_skip(nsize), nsize);
		raw_spin_lock_irqsave(&bp->lock, *flags);
		bp->transit -= nsize;
		bp->nchange++;
		if (!transit_ok_locked(bp, n, nsize))
			return 0;
		if (!ok) {
			quarantine_locked(bp, n, rep);
			return 0;
		}
		/* A free of @buf racing this realloc was not refused. */
		if (check_blk_locked(r, buf, &what) != h) {
			coalesce_locked(bp, r, n, true);
			refuse_locked(bp, r, buf, what, rep);
			return -EINVAL;
		}
		/* n's header and links join the buffer: the tail cut below is all poison. */
		ap_kasan_memset(n, POISON_FREE, poison_skip(nsize));
	} else {
		if (!index_remove_locked(bp, r, n))
			return 0;
		kill_hdr(n);
	}
	set_hdr(h, size + nsize, BH_ALLOC);
	set_prevfree(next_blk(h), 0);
	bp->curalloc += nsize;
	bp->nchange++;
	t = shrink_locked(bp, h, need);
	if (t)
		coalesce_locked(bp, r, t, pool_poison(bp));
	return 1;
}

/**
 * bget_realloc() - resize a buffer of a BGET pool, keeping its contents
 * @bp: the pool
 * @buf: the buffer, or NULL to allocate
 * @newsize: the new size in bytes; 0 is refused
 * @gfp: passed to the pool's callbacks if the buffer has to move
 *
 * Shrinks in place, grows in place into a free upper neighbour, and
 * otherwise moves the buffer (allocate, copy outside the pool lock, free).
 * On failure @buf is left intact.
 *
 * Context: any context, as bget_alloc().
 * Return: the buffer (maybe moved), or NULL: no memory, @newsize 0 or too
 * large (a failure), or @buf not a live buffer of @bp (an invalid free).
 */
void *bget_realloc(struct bget_pool *bp, void *buf, size_t newsize, gfp_t gfp)
{
	struct bget_report rep = { };
	struct bget_region *r;
	struct bget_hdr *h, *t;
	unsigned long flags;
	const char *what;
	size_t need, old;
	int done;
	void *p;

	if (!buf)
		return bget_alloc(bp, newsize, gfp);
	raw_spin_lock_irqsave(&bp->lock, flags);
	hot_flush_locked(bp);
	if (!block_size_for(newsize, &need)) {
		bp->failures++;
		raw_spin_unlock_irqrestore(&bp->lock, flags);
		return NULL;
	}
	h = check_buf_locked(bp, buf, &r, &what);
	/* A cached block's header says allocated: its claim bit tells. */
	if (h && unlikely(pcp_claimed(bp, buf))) {
		h = NULL;
		what = bget_double;
	}
	if (!h) {
		refuse_locked(bp, r, buf, what, &rep);
		raw_spin_unlock_irqrestore(&bp->lock, flags);
		report(bp, &rep);
		return NULL;
	}
	old = blk_size(h);
	if (r->kind == BGET_REGION_DIRECT) {
		/* A direct block keeps its size: shrinking leaves it be. */
		done = need <= old;
	} else if (need <= old) {
		t = shrink_locked(bp, h, need);
		if (t)
			release_blk_locked(bp, r, t, &flags);
		done = 1;
	} else {
		done = grow_in_place_locked(bp, r, buf, h, need, &flags, &rep);
	}
	what = bp->cut_what;
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	if (rep.what)
		report(bp, &rep);
	if (unlikely(what))
		report_damage(bp);
	if (done > 0)
		kasan_hand_out(buf, newsize);
	if (done)
		return done > 0 ? buf : NULL;

	p = bget_alloc(bp, newsize, gfp);
	if (!p)
		return NULL;
	/* @buf's bytes past what was asked for are a redzone to KASAN. */
	ap_kasan_copy_out(p, buf, min(old - BGET_HDR, newsize));
	bget_free(bp, buf);
	return p;
}
EXPORT_SYMBOL_NS_GPL(bget_realloc, ALLOCPOOLS_NS);

/* ---- control and statistics ---- */

/**
 * bget_pool_ctl() - set a BGET pool's compact/acquire/release callbacks
 * @bp: the pool
 * @ops: the callbacks (any may be NULL), or NULL to remove them all; copied
 * @pool_incr: size of the expansion blocks acquire is asked for
 *
 * The acquire callback must return memory aligned to BGET_QUANTUM (vmalloc
 * memory is page aligned) or NULL; it gets the allocating caller's gfp
 * mask and must honour it.  Requests larger than @pool_incr less the region
 * overhead are given direct blocks of their own.  A @pool_incr of 0 makes
 * every acquisition a direct block.
 *
 * compact and acquire run in the allocating caller's context, without the
 * pool lock; for a caller whose gfp allows blocking they also hold the
 * pool's grow mutex, so they may free to the pool but must not make a
 * blocking allocation from it that would have to grow.  release runs
 * inside the bget_free() (or bget_realloc()) that freed the block, after
 * the pool lock is dropped, in that caller's context: any context, hard
 * IRQ included, so it must not sleep when the pool's users free from
 * atomic context.  bget_vmalloc_ops' release never sleeps: it queues the
 * block for a work item that vfree()s it.  bget_pool_destroy() also hands
 * the remaining expansion and direct blocks to release.
 *
 * Context: process context.
 * Return: 0, or -EINVAL if @pool_incr is neither 0 nor a multiple of
 * BGET_QUANTUM large enough to hold a block.
 */
int bget_pool_ctl(struct bget_pool *bp, const struct bget_ops *ops,
		  size_t pool_incr)
{
	unsigned long flags;

	if (pool_incr && (!IS_ALIGNED(pool_incr, BGET_QUANTUM) ||
			  pool_incr < BGET_OVERHEAD + BGET_MIN_BLOCK ||
			  pool_incr - BGET_OVERHEAD > BGET_MAX_BLOCK)) {
		pr_err("bget/%s: pool_incr %zu refused: 0, or a multiple of %u in %zu..%zu\n",
		       bp->ap.name, pool_incr, BGET_QUANTUM,
		       BGET_OVERHEAD + BGET_MIN_BLOCK,
		       BGET_OVERHEAD + BGET_MAX_BLOCK);
		return -EINVAL;
	}
	raw_spin_lock_irqsave(&bp->lock, flags);
	if (ops)
		bp->ops = *ops;
	else
		memset(&bp->ops, 0, sizeof(bp->ops));
	bp->pool_incr = pool_incr;
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(bget_pool_ctl, ALLOCPOOLS_NS);

static size_t largest_free_locked(struct bget_pool *bp)
{
	struct rb_node *n = bp->size_tree.rb_node;
	unsigned int w;

	lockdep_assert_held(&bp->lock);
	if (n) {
		while (n->rb_right)
			n = n->rb_right;
		return tnode_rb(n)->size;
	}
	if (!bp->bin_sum)
		return bp->hot_size;
	w = __fls(bp->bin_sum);
	return max((size_t)(w * BITS_PER_LONG + __fls(bp->bin_map[w])) <<
		   BGET_QSHIFT, bp->hot_size);
}

/* Bytes in free blocks, headers included: what is neither used nor lost. */
static size_t totfree_locked(struct bget_pool *bp)
{
	lockdep_assert_held(&bp->lock);
	return bp->span - (bp->curalloc - bp->direct) - bp->quarantined -
	       bp->transit - bp->lost;
}

/* Live buffers: every successful allocation that was not freed. */
static unsigned long live_locked(struct bget_pool *bp)
{
	lockdep_assert_held(&bp->lock);
	return bp->nget - bp->nrel;
}

/* The tree node of the smallest size above @size, or NULL. */
static struct bget_tnode *tree_next_locked(struct bget_pool *bp, size_t size)
{
	struct rb_node *m = bp->size_tree.rb_node;
	struct bget_tnode *n = NULL, *t;

	lockdep_assert_held(&bp->lock);
	while (m) {
		t = tnode_rb(m);
		if (t->size > size) {
			n = t;
			m = m->rb_left;
		} else {
			m = m->rb_right;
		}
	}
	return n;
}

/* Is node @t in its block's slot, and the block intact? */
static bool tnode_sound_locked(struct bget_pool *bp, struct bget_tnode *t)
{
	struct bget_region *r = region_find_locked(bp, t->blk);

	return r && r->tnodes && tnode_of(r, t->blk) == t &&
	       t->blk >= reg_first(r) && upper_ok(r, t->blk, t->size) &&
	       tnode_blk_ok_locked(t);
}

/* Bin @q's part of walk_free_locked(). */
static __maybe_unused bool walk_bin_locked(struct bget_pool *bp,
					   unsigned int q,
					   unsigned long *count, size_t *bytes)
{
	size_t size = (size_t)q << BGET_QSHIFT;
	struct bget_free *f, **pp = &bp->bins[q];

	for (f = *pp; f; pp = next_slot(f), f = get_next(bp, f)) {
		/* The head's back link is not kept (bin_insert_locked()). */
		if (!link_ok_locked(bp, f, q, true) ||
		    (pp != &bp->bins[q] &&
		     get_pprev(bp, f, bin_salt(bp, q)) != pp) ||
		    ++*count > bp->span / BGET_MIN_BLOCK)
			return false;
		*bytes += size;
	}
	return true;
}

/*
 * The free blocks in the index (the hot block too), and their bytes; walks all of it, for the
 * tests only, checking each link before it follows it.  False if it met
 * damage not found yet (a walk of an intact index always succeeds).
 */
static __maybe_unused bool walk_free_locked(struct bget_pool *bp,
					    unsigned long *count, size_t *bytes)
{
	struct bget_tnode *n, *c;
	unsigned int w;
	unsigned long m;
	size_t size;

	lockdep_assert_held(&bp->lock);
	*count = 0;
	*bytes = 0;
	if (bp->hot) {
		if (hdr_info(bp->hot) != free_info(bp->hot_size) ||
		    !hdr_ok(bp->hot))
			return false;
		++*count;
		*bytes += bp->hot_size;
	}
	/* The bitmap names the non-empty bins (validate checks it does). */
	for (w = 0; w < BGET_MAP_WORDS; w++)
		for (m = bp->bin_map[w]; m; m &= m - 1)
			if (!walk_bin_locked(bp, w * BITS_PER_LONG + __ffs(m),
					     count, bytes))
				return false;
	/* The tree in size order, each block checked. */
	for (size = 0; (n = tree_next_locked(bp, size)); size = n->size) {
		for (c = n; c; c = c->next) {
			if (c->size != n->size || !tnode_sound_locked(bp, c) ||
			    ++*count > bp->span / BGET_MIN_BLOCK)
				return false;
			*bytes += c->size;
		}
	}
	return true;
}

/* Free blocks in the index, for the tests only; 0 if damaged. */
static __maybe_unused unsigned long count_free_locked(struct bget_pool *bp)
{
	unsigned long count;
	size_t bytes;

	return walk_free_locked(bp, &count, &bytes) ? count : 0;
}

static void stats_locked(struct bget_pool *bp, struct bget_stats *st)
{
	size_t max = largest_free_locked(bp);

	lockdep_assert_held(&bp->lock);
	memset(st, 0, sizeof(*st));
	st->curalloc = bp->curalloc;
	st->totfree = totfree_locked(bp);
	st->maxfree = max ? max - BGET_HDR : 0;
	st->nget = bp->nget;
	st->nrel = bp->nrel;
	st->pool_incr = bp->pool_incr;
	st->npool = bp->npool;
	st->npget = bp->npget;
	st->nprel = bp->nprel;
	st->ndget = bp->ndget;
	st->ndrel = bp->ndrel;
	st->failures = bp->failures;
	st->invalid_frees = bp->invalid_frees;
	st->corruptions = bp->corruptions;
	st->injected = ap_injected(&bp->ap);
}

/**
 * bget_pool_stats() - what bstats() and bstatse() report, for one pool
 * @bp: the pool
 * @st: filled in
 *
 * curalloc and totfree are bytes in allocated and free blocks, headers
 * included; maxfree is the largest buffer one allocation could get without
 * growing the pool.  npool counts the regions on the books (initial, added,
 * expansion), npget/nprel expansion blocks acquired and released,
 * ndget/ndrel direct blocks.  A block a call is poisoning or checking with
 * the pool lock dropped counts in neither curalloc nor totfree until that
 * call is done; nrel counts a free as soon as it is accepted, nget an
 * allocation once it is handed out.
 * corruptions counts damage found: poison overwritten in a free block and
 * frees refused for a smashed header (both count in invalid_frees too).
 * injected counts the allocations failed on purpose by the pool's fail/
 * fault attribute; failures does not count them.
 *
 * Context: any context, hard IRQ included.
 */
void bget_pool_stats(struct bget_pool *bp, struct bget_stats *st)
{
	unsigned long flags;

	pcp_drain_all(bp);
	raw_spin_lock_irqsave(&bp->lock, flags);
	stats_locked(bp, st);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(bget_pool_stats, ALLOCPOOLS_NS);

/* ---- walks: dumps and validation ---- */

/*
 * The walks over every block (bget_pool_dump(), bget_pool_validate()) are
 * process context only and hold the lock for one step at a time: at most
 * BGET_WALK_BUDGET units of work, a unit being one block header, index
 * entry or bin looked at, or BGET_WALK_UNIT bytes of poison compared.
 * Between steps the lock is dropped and the pool's layout sequence number
 * (layout_seq_locked()) tells whether anything moved meanwhile.
 */
#define BGET_WALK_BUDGET	64
#define BGET_WALK_UNIT		256
/* Bytes of a block's contents a dump shows. */
#define BGET_DUMP_BYTES		256
/* Records a dump step copies out before printing them unlocked. */
#define BGET_DUMP_RECS		8

static unsigned long layout_seq_locked(struct bget_pool *bp)
{
	lockdep_assert_held(&bp->lock);
	return bp->nget + bp->nrel + bp->nchange;
}

static const char *blk_state(const struct bget_hdr *h)
{
	static const char * const names[] = {
		[BH_FREE] = "free", [BH_ALLOC] = "allocated",
		[BH_TRANSIT] = "in transit", [BH_QUAR] = "quarantined",
	};

	return names[hdr_info(h) & BH_STATE];
}

/* What a dump shows of a region, a block or a skipped rest, copied out. */
struct bget_dump_rec {
	enum { DUMP_REGION, DUMP_BLOCK, DUMP_SKIPPED } type;
	unsigned int id;
	unsigned int kind;
	const char *state;
	size_t off, size, prevfree;
	unsigned int nbytes;
	unsigned char data[BGET_DUMP_BYTES];
};

/* Copy block @h of region @r into @rec, and up to 256 bytes of it if @data. */
static void dump_rec_locked(struct bget_pool *bp, struct bget_region *r,
			    struct bget_hdr *h, bool data,
			    struct bget_dump_rec *rec)
{
	lockdep_assert_held(&bp->lock);
	rec->type = DUMP_BLOCK;
	rec->id = r->id;
	rec->state = blk_state(h);
	rec->off = reg_offset(r, h);
	rec->size = blk_size(h);
	rec->prevfree = hdr_prevfree(h);
	rec->nbytes = 0;
	if (data) {
		rec->nbytes = min_t(size_t, rec->size - BGET_HDR,
				    BGET_DUMP_BYTES);
		ap_kasan_copy_out(rec->data, blk_payload(h), rec->nbytes);
	}
}

static void dump_bytes(const unsigned char *b, size_t len)
{
	char line[16 * 3 + 1];
	size_t i, j;

	for (i = 0; i < len; i += 16) {
		for (j = 0; j < 16 && i + j < len; j++)
			snprintf(line + 3 * j, 4, " %02x", b[i + j]);
		pr_info("    %04zx:%s\n", i, line);
	}
}

static void dump_print(struct bget_pool *bp, const struct bget_dump_rec *rec)
{
	switch (rec->type) {
	case DUMP_REGION:
		pr_info("bget/%s: region %u: %s, %zu bytes\n", bp->ap.name,
			rec->id, bget_region_names[rec->kind], rec->size);
		break;
	case DUMP_SKIPPED:
		pr_info("bget/%s: region %u: rest not shown (changed while dumped, or smashed)\n",
			bp->ap.name, rec->id);
		break;
	default:
		pr_info("bget/%s: region %u +%zu: %s block of %zu bytes, prevfree %zu\n",
			bp->ap.name, rec->id, rec->off, rec->state, rec->size,
			rec->prevfree);
		dump_bytes(rec->data, rec->nbytes);
	}
}

/**
 * bget_dump_buf() - log one buffer of a BGET pool (BGET's bufdump())
 * @bp: the pool
 * @buf: a live buffer of @bp
 *
 * Logs the block's region, offset, size and state and its first 256 bytes
 * with pr_info; no addresses.  The header and those bytes are copied under
 * the pool lock and logged after it is dropped.
 *
 * Context: any context.
 */
void bget_dump_buf(struct bget_pool *bp, void *buf)
{
	struct bget_dump_rec rec;
	struct bget_region *r;
	struct bget_hdr *h;
	unsigned long flags;
	const char *what;

	raw_spin_lock_irqsave(&bp->lock, flags);
	h = check_buf_locked(bp, buf, &r, &what);
	if (h)
		dump_rec_locked(bp, r, h, true, &rec);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	if (h)
		dump_print(bp, &rec);
	else
		pr_info("bget/%s: dump: %s\n", bp->ap.name, what);
}
EXPORT_SYMBOL_NS_GPL(bget_dump_buf, ALLOCPOOLS_NS);

/* Where a dump is: the region (by address and id) and its next block. */
struct bget_dump_pos {
	const char *reg;	/* NULL: from the first region */
	unsigned int id;
	size_t off;		/* 0: the region's own line is next */
	unsigned long nfree;
	bool done;
};

/*
 * Fill up to BGET_DUMP_RECS records from where @pos is, and move it on;
 * returns how many, 0 at the end.  Between steps the pool may change: the
 * dump goes on in a region only if it is still there (same address and
 * id) and a block still starts where the dump stopped; otherwise the rest
 * of that region is skipped, and a region that went is simply not shown.
 */
static unsigned int dump_fill_locked(struct bget_pool *bp,
				     struct bget_dump_pos *pos,
				     struct bget_dump_rec *recs,
				     bool dumpalloc, bool dumpfree)
{
	struct bget_region *r;
	unsigned int n = 0;
	struct bget_hdr *h;
	size_t size;

	lockdep_assert_held(&bp->lock);
	if (pos->done)
		return 0;
	r = region_from_locked(bp, pos->reg);
	if (pos->off && (!r || (const char *)r != pos->reg || r->id != pos->id))
		pos->off = 0;
	while (r && n < BGET_DUMP_RECS) {
		if (!pos->off) {
			pos->reg = (const char *)r;
			pos->id = r->id;
			pos->off = BGET_REG_HDR;
			recs[n].type = DUMP_REGION;
			recs[n].id = r->id;
			recs[n].kind = r->kind;
			recs[n++].size = r->len;
			continue;
		}
		h = blk_at(r, pos->off);
		size = h < reg_end(r) && hdr_ok(h) ? blk_size(h) : 0;
		if (!size || size > (char *)reg_end(r) - (char *)h) {
			/* Changed under the dump, or smashed: validate says more. */
			if (h < reg_end(r)) {
				recs[n].type = DUMP_SKIPPED;
				recs[n++].id = r->id;
			}
			r = region_from_locked(bp, (const char *)r + 1);
			pos->reg = (const char *)r;
			pos->off = 0;
			continue;
		}
		dump_rec_locked(bp, r, h, blk_free(h) ? dumpfree : dumpalloc,
				&recs[n++]);
		pos->nfree += blk_free(h);
		pos->off += size;
	}
	pos->done = !r;
	return n;
}

/**
 * bget_pool_dump() - log every block of a BGET pool (BGET's bpoold())
 * @bp: the pool
 * @dumpalloc: also log the contents of allocated blocks
 * @dumpfree: also log the contents of free blocks
 *
 * Regions and their blocks in ascending address order, as region ids and
 * offsets; contents are cut at 256 bytes per block.  The pool lock is held
 * only to copy a few blocks at a time (at most 8, 256 bytes of each),
 * which are logged after it is dropped.  A dump of a busy pool is no
 * snapshot: where the layout changed under it, the rest of that region is
 * skipped, and says so.
 *
 * Context: process context; meant for debugging (it logs a lot).
 */
void bget_pool_dump(struct bget_pool *bp, bool dumpalloc, bool dumpfree)
{
	struct bget_dump_pos pos = { };
	struct bget_dump_rec *recs;
	unsigned long flags;
	size_t used, free;
	unsigned int i, n;

	might_sleep();
	pcp_drain_all(bp);
	recs = kmalloc_array(BGET_DUMP_RECS, sizeof(*recs), GFP_KERNEL);
	if (!recs) {
		pr_info("bget/%s: dump: no memory\n", bp->ap.name);
		return;
	}
	raw_spin_lock_irqsave(&bp->lock, flags);
	used = bp->curalloc;
	free = totfree_locked(bp);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	pr_info("bget/%s: %zu bytes in use, %zu free\n", bp->ap.name, used,
		free);
	do {
		raw_spin_lock_irqsave(&bp->lock, flags);
		n = dump_fill_locked(bp, &pos, recs, dumpalloc, dumpfree);
		raw_spin_unlock_irqrestore(&bp->lock, flags);
		for (i = 0; i < n; i++)
			dump_print(bp, &recs[i]);
		cond_resched();
	} while (n);
	pr_info("bget/%s: %lu free blocks\n", bp->ap.name, pos.nfree);
	kfree(recs);
}
EXPORT_SYMBOL_NS_GPL(bget_pool_dump, ALLOCPOOLS_NS);

/* ---- validation ---- */

/*
 * A validation pass: what it found so far and where it is.  The pass walks
 * the regions and their blocks, then the bins, then the size tree, then
 * compares the totals with the counters; the cursors below stay valid as
 * long as the pool's layout sequence number does not move.
 */
struct bget_check {
	char *msg;
	size_t len;
	int budget;
	enum { VP_REGIONS, VP_BINS, VP_TREE, VP_COUNTERS, VP_DONE } phase;
	/* the region walk */
	struct bget_region *r, *prev;
	struct bget_hdr *h;	/* next block of @r; NULL: next region */
	size_t prevfree;	/* what @h's prevfree must be */
	size_t poisoned;	/* poison of free block @h checked up to here */
	/* the index walk */
	bool started;
	unsigned int q;
	struct bget_free *f, **pprev;
	struct bget_tnode *tn;
	size_t tree_size;
	/* totals */
	unsigned long nfree, live, indexed;
	size_t free_bytes, alloc_bytes, transit_bytes, managed;
	long npool;
};

static __printf(2, 3) int vfail(struct bget_check *c, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(c->msg, c->len, fmt, args);
	va_end(args);
	return -EUCLEAN;
}

/* Is free block @h where the free index says it is? */
static bool indexed_locked(struct bget_pool *bp, struct bget_hdr *h)
{
	struct bget_free *f = blk_links(h), *n, **pp;
	size_t size = blk_size(h);
	struct bget_region *r;
	struct bget_tnode *t;
	unsigned long salt;

	lockdep_assert_held(&bp->lock);
	if (size >= BGET_LARGE) {
		r = region_find_locked(bp, h);
		if (!r || !r->tnodes)
			return false;
		t = tnode_of(r, h);
		return t->blk == h && t->size == size;
	}
	n = get_next(bp, f);
	salt = bin_salt(bp, size_bin(size));
	if (n && (!link_ok_locked(bp, n, size_bin(size), true) ||
		  get_pprev(bp, n, salt) != next_slot(f)))
		return false;
	if (bp->bins[size_bin(size)] == f)
		return test_bit(size_bin(size), bp->bin_map);
	pp = get_pprev(bp, f, salt);
	return pp && link_ok_locked(bp, (struct bget_free *)pp, size_bin(size),
				    true) &&
	       get_next(bp, (struct bget_free *)pp) == f;
}

/* Start on the region after @c->r (or the first): 1 if there is none. */
static int check_next_region_locked(struct bget_pool *bp, struct bget_check *c)
{
	struct rb_node *n = c->r ? rb_next(&c->r->node) : rb_first(&bp->regions);
	struct bget_region *r;

	lockdep_assert_held(&bp->lock);
	c->budget--;
	if (!n)
		return 1;
	r = rb_entry(n, struct bget_region, node);
	c->prev = c->r;
	c->r = r;
	if (c->prev && (char *)c->prev + c->prev->len > (char *)r)
		return vfail(c, "region %u overlaps region %u", r->id,
			     c->prev->id);
	if (r->kind > BGET_REGION_DIRECT ||
	    r->len < BGET_OVERHEAD + BGET_MIN_BLOCK ||
	    !IS_ALIGNED(r->len, BGET_QUANTUM))
		return vfail(c, "region %u: bad region header", r->id);
	c->managed += r->len;
	if (r->kind != BGET_REGION_DIRECT)
		c->npool++;
	c->h = reg_first(r);
	c->prevfree = 0;
	return 0;
}

/* The sentinel ends @c->r where the blocks end. */
static int check_region_end_locked(struct bget_check *c)
{
	struct bget_region *r = c->r;
	struct bget_hdr *end = reg_end(r);

	c->budget--;
	if (!hdr_ok(end) || hdr_info(end) != BH_ALLOC ||
	    hdr_prevfree(end) != c->prevfree)
		return vfail(c, "region %u: bad end of region", r->id);
	if (r->kind == BGET_REGION_DIRECT &&
	    blk_size(reg_first(r)) != reg_span(r))
		return vfail(c, "region %u: direct block does not fill it", r->id);
	c->h = NULL;
	return 0;
}

/* Go on checking free block @c->h's poison, within the step's budget. */
static int check_poison_locked(struct bget_check *c)
{
	struct bget_hdr *h = c->h;
	size_t size = blk_size(h), n;

	while (c->poisoned < size) {
		n = min_t(size_t, size - c->poisoned,
			  (size_t)max(c->budget, 0) * BGET_WALK_UNIT);
		if (!n)
			return 0;
		if (!poison_ok(h, c->poisoned, c->poisoned + n))
			return vfail(c, "region %u +%zu: poison overwritten in free block",
				     c->r->id, reg_offset(c->r, h));
		c->poisoned += n;
		c->budget -= DIV_ROUND_UP(n, BGET_WALK_UNIT);
	}
	c->poisoned = 0;
	return 1;
}

/* Check block @c->h; 1 once it is done (the poison may take steps). */
static int check_block_locked(struct bget_pool *bp, struct bget_check *c)
{
	struct bget_region *r = c->r;
	struct bget_hdr *h = c->h, *end = reg_end(r);
	size_t off = reg_offset(r, h), size;
	unsigned int id = r->id;
	int ret;

	lockdep_assert_held(&bp->lock);
	if (c->poisoned)
		goto poison;
	c->budget--;
	if (!hdr_ok(h))
		return vfail(c, "region %u +%zu: smashed header", id, off);
	size = blk_size(h);
	if (size < BGET_MIN_BLOCK || size > (char *)end - (char *)h)
		return vfail(c, "region %u +%zu: bad block size %zu", id, off,
			     size);
	if (hdr_prevfree(h) != c->prevfree)
		return vfail(c, "region %u +%zu: prevfree %zu, expected %zu",
			     id, off, hdr_prevfree(h), c->prevfree);
	switch (hdr_info(h) & BH_STATE) {
	case BH_FREE:
		if (c->prevfree)
			return vfail(c, "region %u +%zu: free blocks not coalesced",
				     id, off);
		if (r->kind == BGET_REGION_DIRECT)
			return vfail(c, "region %u: free block in a direct block",
				     id);
		if (!indexed_locked(bp, h))
			return vfail(c, "region %u +%zu: free block not indexed",
				     id, off);
		c->nfree++;
		c->free_bytes += size;
		if (pool_poison(bp)) {
			c->poisoned = poison_skip(size);
			goto poison;
		}
		break;
	case BH_ALLOC:
		c->live++;
		c->alloc_bytes += size;
		break;
	case BH_TRANSIT:
		c->transit_bytes += size;
		break;
	}
	goto next;
poison:
	ret = check_poison_locked(c);
	if (ret <= 0)
		return ret;
next:
	c->prevfree = blk_free(h) ? blk_size(h) : 0;
	c->h = next_blk(h);
	return 1;
}

static int check_regions_locked(struct bget_pool *bp, struct bget_check *c)
{
	int ret;

	while (c->budget > 0) {
		if (!c->h)
			ret = check_next_region_locked(bp, c);
		else if (c->h == reg_end(c->r))
			ret = check_region_end_locked(c);
		else
			ret = check_block_locked(bp, c);
		if (ret < 0 || (ret > 0 && !c->h))
			return ret;
	}
	return 0;
}

/* Walk bin @c->q's list: every entry a free block of q quanta, links intact. */
static int check_bins_locked(struct bget_pool *bp, struct bget_check *c)
{
	struct bget_free *f;
	unsigned int w;

	lockdep_assert_held(&bp->lock);
	if (!c->started) {
		for (w = 0; w < BGET_MAP_WORDS; w++)
			if (test_bit(w, &bp->bin_sum) != !!bp->bin_map[w])
				return vfail(c, "bin summary bit %u wrong", w);
		if (bp->bin_sum >> (BGET_MAP_WORDS - 1) >> 1)
			return vfail(c, "bin summary has stray bits");
		c->started = true;
	}
	for (; c->q < BGET_NBINS; c->q++, c->pprev = NULL) {
		if (!c->pprev) {
			/* An empty bin is one load: 64 of them make a unit. */
			if ((bp->bins[c->q] || !(c->q % BITS_PER_LONG)) &&
			    c->budget-- <= 0)
				return 0;
			if (test_bit(c->q, bp->bin_map) != !!bp->bins[c->q])
				return vfail(c, "bin %u: bitmap bit wrong", c->q);
			c->pprev = &bp->bins[c->q];
		}
		while ((f = c->pprev == &bp->bins[c->q] ? *c->pprev :
			    get_next(bp, (struct bget_free *)c->pprev))) {
			if (c->budget-- <= 0)
				return 0;
			if (!link_ok_locked(bp, f, c->q, true) ||
			    (c->pprev != &bp->bins[c->q] &&
			     get_pprev(bp, f, bin_salt(bp, c->q)) != c->pprev))
				return vfail(c, "bin %u: bad entry", c->q);
			if (++c->indexed > c->nfree)
				return vfail(c, "bin %u: more entries than free blocks",
					     c->q);
			c->pprev = next_slot(f);
		}
	}
	c->started = false;
	return 1;
}

/* The size tree: sizes strictly ascending, chains of equal sizes. */
static int check_tree_locked(struct bget_pool *bp, struct bget_check *c)
{
	struct bget_tnode *t;

	lockdep_assert_held(&bp->lock);
	for (;;) {
		if (c->budget-- <= 0)
			return 0;
		t = c->tn;
		if (!t) {
			/* The next size's chain. */
			t = tree_next_locked(bp, c->tree_size);
			if (!t)
				return 1;
			c->tree_size = t->size;
		}
		if (t->size != c->tree_size || !tnode_sound_locked(bp, t))
			return vfail(c, "size tree: entry %lu is not a free block of %zu bytes",
				     c->indexed, c->tree_size);
		if (++c->indexed > c->nfree)
			return vfail(c, "size tree: more entries than free blocks");
		c->tn = t->next;
	}
}

static int check_counters_locked(struct bget_pool *bp, struct bget_check *c)
{
	lockdep_assert_held(&bp->lock);
	if (c->indexed != c->nfree)
		return vfail(c, "free index holds %lu blocks, %lu free blocks found",
			     c->indexed, c->nfree);
	if (c->free_bytes != totfree_locked(bp) ||
	    c->alloc_bytes != bp->curalloc ||
	    c->live != live_locked(bp) + bp->pcp_n ||
	    c->transit_bytes != bp->transit || c->managed != bp->managed ||
	    c->npool != bp->npool)
		return vfail(c, "counters: free %zu/%zu, used %zu/%zu, live %lu/%lu",
			     c->free_bytes, totfree_locked(bp), c->alloc_bytes,
			     bp->curalloc, c->live, live_locked(bp));
	return 1;
}

/* One step of a pass: 1 when the pass is done, 0 when the budget is spent. */
static int validate_step_locked(struct bget_pool *bp, struct bget_check *c)
{
	int ret = 1;

	c->budget = BGET_WALK_BUDGET;
	while (c->phase != VP_DONE) {
		switch (c->phase) {
		case VP_REGIONS:
			ret = check_regions_locked(bp, c);
			break;
		case VP_BINS:
			ret = check_bins_locked(bp, c);
			break;
		case VP_TREE:
			ret = check_tree_locked(bp, c);
			break;
		default:
			ret = check_counters_locked(bp, c);
			break;
		}
		if (ret <= 0)
			return ret;
		c->phase++;
	}
	return ret;
}

#define BGET_MSG_LEN		160
/* Passes a validation makes before it calls the pool too busy to check. */
#define BGET_VALIDATE_PASSES	8

enum bget_verdict { BGET_VALID, BGET_CORRUPT, BGET_BUSY };

/*
 * Validate in steps of bounded lock hold (see the walks above).  A pass
 * counts only if the layout did not move from its first step to its last,
 * so what it found holds for one moment of the pool; a pass that sees a
 * change starts again.  After BGET_VALIDATE_PASSES such restarts the pool
 * is called busy: nothing was found wrong, but not everything was checked.
 */
static enum bget_verdict validate(struct bget_pool *bp, char *msg, size_t len)
{
	struct bget_check c;
	unsigned long flags, seq;
	unsigned int pass;
	int ret = 0;

	might_sleep();
	pcp_drain_all(bp);
	for (pass = 0; pass < BGET_VALIDATE_PASSES; pass++) {
		memset(&c, 0, sizeof(c));
		c.msg = msg;
		c.len = len;
		raw_spin_lock_irqsave(&bp->lock, flags);
		/* A hot block that comes back meanwhile changes the sequence. */
		hot_flush_locked(bp);
		seq = layout_seq_locked(bp);
		while (!(ret = validate_step_locked(bp, &c))) {
			raw_spin_unlock_irqrestore(&bp->lock, flags);
			cond_resched();
			raw_spin_lock_irqsave(&bp->lock, flags);
			if (layout_seq_locked(bp) != seq)
				break;
		}
		raw_spin_unlock_irqrestore(&bp->lock, flags);
		if (ret)
			return ret > 0 ? BGET_VALID : BGET_CORRUPT;
	}
	snprintf(msg, len, "busy: the pool changed during each of %u passes",
		 BGET_VALIDATE_PASSES);
	return BGET_BUSY;
}

/**
 * bget_pool_validate() - check every block of a BGET pool (BGET's bpoolv())
 * @bp: the pool
 *
 * Walks every region and block: header checksums, sizes, boundary tags,
 * that no two free blocks are adjacent, that each free block is in the
 * free index and the index holds nothing else, poison in free blocks
 * (BGET_POISON), and the counters.  The first problem found is logged with
 * pr_err.
 *
 * The pool lock is held for a bounded step at a time (64 blocks or index
 * entries, or 16 KiB of poison), so the pool goes on serving meanwhile.  A
 * pass holds only if the pool did not change from its first step to its
 * last; one that saw a change starts again.  If the pool changes during
 * each of 8 passes, the validation gives up: it logs that the pool was
 * too busy to check and returns true, since nothing wrong was found (a
 * busy pool is never called corrupt).  Validate a pool its users have
 * left alone for a complete check.
 *
 * Context: process context (may sleep); time linear in the pool's size.
 * Return: false if the pool is corrupt; true otherwise.
 */
bool bget_pool_validate(struct bget_pool *bp)
{
	char msg[BGET_MSG_LEN];

	switch (validate(bp, msg, sizeof(msg))) {
	case BGET_CORRUPT:
		pr_err("bget/%s: %s\n", bp->ap.name, msg);
		return false;
	case BGET_BUSY:
		pr_info("bget/%s: not validated: %s\n", bp->ap.name, msg);
		return true;
	default:
		return true;
	}
}
EXPORT_SYMBOL_NS_GPL(bget_pool_validate, ALLOCPOOLS_NS);

/* ---- debugfs and the pools table ---- */

static void bget_row(struct ap_pool *pool, struct ap_row *row)
{
	struct bget_pool *bp = container_of(pool, struct bget_pool, ap);
	unsigned long flags;

	pcp_drain_all(bp);
	raw_spin_lock_irqsave(&bp->lock, flags);
	row->size = bp->managed;
	row->used = bp->curalloc;
	row->free = totfree_locked(bp);
	row->allocs = bp->nget;
	row->frees = bp->nrel;
	row->failures = bp->failures;
	row->invalid_frees = bp->invalid_frees;
	raw_spin_unlock_irqrestore(&bp->lock, flags);
}

static int bget_stats_show(struct seq_file *m, struct ap_pool *pool)
{
	struct bget_pool *bp = container_of(pool, struct bget_pool, ap);
	struct bget_stats st;

	bget_pool_stats(bp, &st);
	seq_printf(m, "curalloc: %zu\n", st.curalloc);
	seq_printf(m, "totfree: %zu\n", st.totfree);
	seq_printf(m, "maxfree: %zu\n", st.maxfree);
	seq_printf(m, "nget: %ld\n", st.nget);
	seq_printf(m, "nrel: %ld\n", st.nrel);
	seq_printf(m, "pool_incr: %zu\n", st.pool_incr);
	seq_printf(m, "npool: %ld\n", st.npool);
	seq_printf(m, "npget: %ld\n", st.npget);
	seq_printf(m, "nprel: %ld\n", st.nprel);
	seq_printf(m, "ndget: %ld\n", st.ndget);
	seq_printf(m, "ndrel: %ld\n", st.ndrel);
	seq_printf(m, "failures: %llu\n", st.failures);
	seq_printf(m, "invalid_frees: %llu\n", st.invalid_frees);
	seq_printf(m, "corruptions: %llu\n", st.corruptions);
	seq_printf(m, "injected: %llu\n", st.injected);
	return 0;
}

static int bget_validate_show(struct seq_file *m, struct ap_pool *pool)
{
	struct bget_pool *bp = container_of(pool, struct bget_pool, ap);
	char msg[BGET_MSG_LEN];

	/* "ok", what is wrong, or "busy: ..." (see bget_pool_validate()). */
	seq_printf(m, "%s\n",
		   validate(bp, msg, sizeof(msg)) == BGET_VALID ? "ok" : msg);
	return 0;
}

static const struct ap_file bget_files[] = {
	{ .name = "stats", .show = bget_stats_show },
	{ .name = "validate", .show = bget_validate_show },
};

static const struct ap_kind bget_kind = {
	.name = "bget",
	.row = bget_row,
	.files = bget_files,
	.nr_files = ARRAY_SIZE(bget_files),
};

/* ---- create, add, destroy ---- */

/*
 * vfree() what bget_vmalloc_ops released, and kvfree() the node arrays of
 * released expansion regions, in process context.
 */
static void bget_gone_work(struct work_struct *work)
{
	struct bget_pool *bp = container_of(work, struct bget_pool, gone_work);
	struct bget_gone *g, *t, *next;
	unsigned long flags;

	raw_spin_lock_irqsave(&bp->lock, flags);
	g = bp->gone;
	bp->gone = NULL;
	t = bp->tn_gone;
	bp->tn_gone = NULL;
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	for (; g; g = next) {
		next = g->next;
		vfree(g);
		cond_resched();
	}
	for (; t; t = next) {
		next = t->next;
		kvfree(t);
		cond_resched();
	}
}

/**
 * bget_pool_create() - create a BGET pool
 * @name: 1..31 characters of ``[A-Za-z0-9_.-]``, unique among BGET pools
 * @size: bytes of the initial vmalloc'd region, or 0 for an empty pool to
 * be fed with bget_pool_add() or the acquire callback
 * @flags: BGET_BEST_FIT, BGET_POISON, BGET_PERCPU
 *
 * Context: process context; sleeps.
 * Return: the pool, or ERR_PTR(-EINVAL) (bad name, unknown flag, @size too
 * small for one block or over 16 GiB), ERR_PTR(-EEXIST) (name taken),
 * ERR_PTR(-ENOMEM).
 */
struct bget_pool *bget_pool_create(const char *name, size_t size,
				   unsigned int flags)
{
	struct bget_tnode *tn = NULL;
	struct bget_pool *bp;
	struct bget_region *r = NULL;
	unsigned int q;
	void *buf = NULL;
	int ret;

	might_sleep();
	if ((flags & ~BGET_KNOWN_FLAGS) || !ap_name_valid(name))
		return ERR_PTR(-EINVAL);
	/* vmalloc memory is page aligned: the region starts on its first byte. */
	if (size && (size < BGET_OVERHEAD + BGET_MIN_BLOCK ||
		     ALIGN_DOWN(size, BGET_QUANTUM) - BGET_OVERHEAD > BGET_MAX_BLOCK)) {
		pr_err("bget/%s: initial size %zu out of range %zu..%zu\n",
		       name, size, BGET_OVERHEAD + BGET_MIN_BLOCK,
		       BGET_OVERHEAD + BGET_MAX_BLOCK);
		return ERR_PTR(-EINVAL);
	}
	bp = kzalloc(sizeof(*bp), GFP_KERNEL);
	if (!bp)
		return ERR_PTR(-ENOMEM);
	raw_spin_lock_init(&bp->lock);
	mutex_init(&bp->grow_lock);
	INIT_WORK(&bp->gone_work, bget_gone_work);
	bp->flags = flags;
	bp->secret = get_random_long();
	for (q = 0; q < BGET_NBINS; q++)
		bp->bin_key[q] = bp->secret;
	bp->regions = RB_ROOT;
	bp->size_tree = RB_ROOT;
	tcache_clear(bp);

	if (size) {
		unsigned long irqflags;

		/* A size the system cannot give is -ENOMEM, not a splat. */
		buf = __vmalloc(size, GFP_KERNEL | __GFP_NOWARN);
		if (!buf) {
			pr_warn("bget/%s: no memory for an initial region of %zu bytes\n",
				name, size);
			ret = -ENOMEM;
			goto free_pool;
		}
		tn = tnodes_alloc(size);
		if (!tn && tnodes_count(size)) {
			pr_warn("bget/%s: no memory for the size tree of an initial region of %zu bytes\n",
				name, size);
			ret = -ENOMEM;
			goto free_region;
		}
		r = region_init(buf, size, BGET_REGION_INITIAL, 0, BH_FREE);
		r->tnodes = tn;
		if (pool_poison(bp))
			poison_blk(reg_first(r), reg_span(r));
		region_poison(r);
		raw_spin_lock_irqsave(&bp->lock, irqflags);
		region_link_locked(bp, r);
		raw_spin_unlock_irqrestore(&bp->lock, irqflags);
	}
	ret = pcp_init(bp, size ? r : NULL);
	if (ret)
		goto free_region;
	ret = ap_pool_register(&bp->ap, &bget_kind, name);
	if (ret)
		goto free_pcp;
	return bp;

free_pcp:
	pcp_exit(bp);
free_region:
	kvfree(tn);
	if (size) {
		buf_unpoison(buf, size);
		vfree(buf);
	}
free_pool:
	mutex_destroy(&bp->grow_lock);
	kfree(bp);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(bget_pool_create, ALLOCPOOLS_NS);

/**
 * bget_pool_add() - give a BGET pool a buffer to allocate from (bpool())
 * @bp: the pool
 * @buf: the buffer; it stays the caller's and must outlive the pool
 * @len: its length in bytes
 *
 * @buf need not be aligned: the region starts at the first 16-byte
 * boundary in it and ends at the last, and takes 64 bytes of that for its
 * own bookkeeping.  The buffer must not overlap memory the pool already
 * manages: the check and the linking of the new region happen under one
 * hold of the pool lock, so of two concurrent adds of overlapping buffers
 * one is refused.  Nothing is written into @buf before that check.
 *
 * Context: process context.
 * Return: 0, or -EINVAL (NULL @buf, fewer than 112 usable bytes once
 * aligned, a region over 16 GiB, or an overlap), or -ENOMEM (no memory for
 * the region's size-tree nodes, kvmalloc'd: 56 bytes per 16 KiB).
 */
int bget_pool_add(struct bget_pool *bp, void *buf, size_t len)
{
	bool poison = pool_held(bp);
	struct bget_tnode *tn;
	struct bget_region *r;
	unsigned long flags;
	struct bget_hdr *h;

	might_sleep();
	if (!buf || !region_len_ok(buf, len)) {
		pr_err("bget/%s: add: buffer of %zu bytes refused (NULL, or not %zu..%zu usable bytes)\n",
		       bp->ap.name, len, BGET_OVERHEAD + BGET_MIN_BLOCK,
		       BGET_OVERHEAD + BGET_MAX_BLOCK);
		return -EINVAL;
	}
	tn = tnodes_alloc(len);
	if (!tn && tnodes_count(len)) {
		pr_warn("bget/%s: add: no memory for the size tree of %zu bytes\n",
			bp->ap.name, len);
		return -ENOMEM;
	}
	raw_spin_lock_irqsave(&bp->lock, flags);
	if (region_overlaps_locked(bp, buf, len)) {
		raw_spin_unlock_irqrestore(&bp->lock, flags);
		kvfree(tn);
		return -EINVAL;
	}
	/*
	 * O(1) bytes written: on a poisoned pool, or with KASAN, the region's
	 * block stays in transit until it is poisoned, outside the lock.
	 */
	r = region_init(buf, len, BGET_REGION_CALLER, 0,
			poison ? BH_TRANSIT : BH_FREE);
	r->tnodes = tn;
	region_link_locked(bp, r);
	trace_allocpools_grow(&bp->ap, r->id, r->len);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	if (!poison)
		return 0;
	h = reg_first(r);
	/* Without KASAN only a poisoned pool gets here. */
	if (!AP_KASAN || pool_poison(bp))
		poison_blk(h, reg_span(r));
	region_poison(r);
	raw_spin_lock_irqsave(&bp->lock, flags);
	bp->transit -= reg_span(r);
	bp->nchange++;
	set_hdr(h, reg_span(r), BH_FREE);
	set_prevfree(reg_end(r), reg_span(r));
	index_insert_locked(bp, r, h);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(bget_pool_add, ALLOCPOOLS_NS);

/**
 * bget_pool_destroy() - destroy a BGET pool and everything in it
 * @bp: the pool; NULL or an ERR_PTR is a no-op
 *
 * Live buffers are freed with the pool (and one warning counts them).  The
 * initial region is vfree'd, expansion and direct blocks go back through
 * the release callback; buffers added with bget_pool_add() are the
 * caller's again.  Blocks bget_vmalloc_ops released, now or before, are
 * vfree'd before this returns.  Takes no pool lock: nobody else may use
 * the pool any more.
 *
 * Context: process context; no other call on @bp may be running or follow.
 */
void bget_pool_destroy(struct bget_pool *bp)
{
	void (*release)(struct bget_pool *bp, void *buf);
	struct bget_region *r;
	struct rb_node *n;
	void *buf;

	if (IS_ERR_OR_NULL(bp))
		return;
	might_sleep();
	ap_pool_unregister(&bp->ap);
	/* Every cached block back on the books, every count in the pool's. */
	pcp_exit(bp);
	if (bp->nget != bp->nrel)
		ap_warn_live(&bp->ap, bp->nget - bp->nrel);
	release = bp->ops.release;
	while ((n = rb_first(&bp->regions))) {
		r = rb_entry(n, struct bget_region, node);
		rb_erase(n, &bp->regions);
		kvfree(r->tnodes);
		buf = r;
		buf_unpoison(r, r->len);
		if (r->kind == BGET_REGION_INITIAL)
			vfree(buf);
		else if (r->kind != BGET_REGION_CALLER && release)
			release(bp, buf);
	}
	/* The work item and @bp go together, before the module's text can. */
	flush_work(&bp->gone_work);
	mutex_destroy(&bp->grow_lock);
	kfree(bp);
}
EXPORT_SYMBOL_NS_GPL(bget_pool_destroy, ALLOCPOOLS_NS);

/* ---- the default acquire/release pair ---- */

static void *bget_vmalloc_acquire(struct bget_pool *bp, size_t size,
				  gfp_t gfp)
{
	unsigned int scope;
	void *buf;

	if (!gfpflags_allow_blocking(gfp))
		return NULL;
	/* vmalloc()'s own page tables honour only the scope, not the gfp. */
	scope = ap_memalloc_save(gfp);
	buf = __vmalloc(size, (gfp & GFP_KERNEL) | __GFP_NOWARN);
	ap_memalloc_restore(gfp, scope);
	return buf;
}

/*
 * Called from bget_free(), maybe in hard IRQ, where vfree() may not run
 * (it sleeps, and vfree_atomic() is not exported): the buffer goes on the
 * pool's list, its first bytes the link, and the pool's work item frees it.
 */
static void bget_vmalloc_release(struct bget_pool *bp, void *buf)
{
	struct bget_gone *g = buf;
	unsigned long flags;
	bool first;

	raw_spin_lock_irqsave(&bp->lock, flags);
	g->next = bp->gone;
	bp->gone = g;
	first = !g->next;
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	if (first)
		schedule_work(&bp->gone_work);
}

/*
 * bget_vmalloc_ops - acquire expansion blocks with __vmalloc() with the
 * allocating caller's gfp mask (only when it allows blocking, and in the
 * memalloc scope it asks for), and release them to a work item of the
 * pool that vfree()s them, so that bget_free() never sleeps.  No
 * compaction.  bget_pool_destroy() waits for that work.
 */
const struct bget_ops bget_vmalloc_ops = {
	.acquire = bget_vmalloc_acquire,
	.release = bget_vmalloc_release,
};
EXPORT_SYMBOL_NS_GPL(bget_vmalloc_ops, ALLOCPOOLS_NS);

#if IS_ENABLED(CONFIG_ALLOCPOOLS_KUNIT_TEST)
#include "kunit/bget_pool_test.c"
#endif
