// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_fuzz.c - libFuzzer target for buddy_arena.c.
 *
 * The first bytes pick the arena's shape (a small region, orders, flags);
 * every following 3-byte group is one operation: allocate, free a live
 * block, free a bad pointer, add a region, run the give-back work, write
 * over a block freed earlier (a client's write after free, into the links
 * of a free block or anywhere in it), or write past a live block's end into
 * whatever follows it in its region (a free block's links, a held block, a
 * live neighbour).  The 16 bytes written are the input's own, 0x41 bytes,
 * addresses (of blocks of the arena, of a list head) or such addresses
 * encoded as a link with a wrong secret.
 *
 * The arena's invariant walk runs after every operation, and a refused free
 * must leave the statistics unchanged but for invalid_frees.  Once memory
 * has been written over, the walk takes damaged lists as they are, and the
 * bytes must still add up: free + live + held == size.  Every damage found
 * is counted twice, in corruptions and in invalid_frees, and nothing before
 * the first write.  Every block handed out lies inside a region, aligned to
 * its size, overlaps no live block and frees cleanly, and nothing is ever
 * written outside the arena (ASan).
 */
#include "../../../buddy_arena.c"
#include "buddy_common.h"

#define FUZZ_LIVE 256
/* Bounded work per input keeps the full invariant walk after each op cheap. */
#define FUZZ_OPS 64
#define FUZZ_GHOSTS 16

static void *live[FUZZ_LIVE];
static size_t live_size[FUZZ_LIVE];
static unsigned int nr_live;
/* Blocks freed earlier: where a client's write after free may land. */
static u8 *ghost[FUZZ_GHOSTS];
static unsigned int nr_ghosts;
/* Bad pointers freed on purpose: the rest of invalid_frees is damage. */
static u64 bad_frees;

static void must(bool cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "buddy_fuzz: %s\n", what);
		abort();
	}
}

static void free_live(struct buddy_arena *ba, unsigned int i)
{
	must(!buddy_arena_free(ba, live[i]), "free");
	ghost[nr_ghosts++ % FUZZ_GHOSTS] = live[i];
	live[i] = live[--nr_live];
	live_size[i] = live_size[nr_live];
}

/*
 * Write @len bytes of @data at @off into the freed block @g, if it lies in
 * a region the arena still has and in no live block: a write after free,
 * never a write into memory a caller holds or the arena gave back.
 */
static bool write_after_free(struct buddy_arena *ba, u8 *g, size_t off,
			     const u8 *data, size_t len)
{
	unsigned int i;
	bool in = false;

	for (i = 0; i < ba->nr_regions; i++)
		if (g >= ba->regions[i]->base &&
		    g + off + len <= ba->regions[i]->base + ba->regions[i]->size)
			in = true;
	for (i = 0; i < nr_live && in; i++)
		if (g + off + len > (u8 *)live[i] &&
		    g + off < (u8 *)live[i] + live_size[i])
			in = false;
	if (in)
		ap_shim_scribble_copy(g + off, data, len);
	return in;
}

/* The region @p lies in, or NULL. */
static struct buddy_region *region_of(struct buddy_arena *ba, const u8 *p)
{
	unsigned int i;

	for (i = 0; i < ba->nr_regions; i++)
		if (p >= ba->regions[i]->base &&
		    p < ba->regions[i]->base + ba->regions[i]->size)
			return ba->regions[i];
	return NULL;
}

/*
 * Fill @buf with the 16 bytes to write at @at, as @mode says: the input's
 * own bytes, 0x41 bytes, addresses a link could hold, or such addresses
 * encoded with a secret the arena does not have.
 */
static void damage_bytes(struct buddy_arena *ba, unsigned int mode,
			 const u8 *in, u8 *at, u8 *buf)
{
	unsigned long w[2];
	unsigned int i;

	memcpy(w, in, sizeof(w));
	for (i = 0; i < 2 && mode >= 2; i++) {
		struct buddy_region *r = ba->regions[w[i] % ba->nr_regions];
		unsigned long addr;

		/* A block of the arena, or (1 in 8) a free-list head. */
		if ((w[i] >> 8) % 8)
			addr = (unsigned long)r->base +
			       ((w[i] >> 16) << ba->min_order) % r->size;
		else
			addr = (unsigned long)&ba->orders[(w[i] >> 11) %
							  BUDDY_ARENA_ORDERS].head;
		/* Encoded as the arena would, but with the input's secret. */
		if (mode == 3)
			addr = ap_link_encode(w[i] ^ w[!i],
					      at + i * sizeof(long),
					      (void *)addr);
		w[i] = addr;
	}
	if (mode == 1)
		memset(w, 0x41, sizeof(w));
	memcpy(buf, w, sizeof(w));
}

/*
 * A write past the end of live block @i: @len bytes at @off past its end,
 * if that is still in its region.  What follows may be free, held or live:
 * a client's overflow, damage for the arena to find in its links (or its
 * poison), or another client's data.
 */
static bool write_past_end(struct buddy_arena *ba, unsigned int i,
			   size_t off, const u8 *data, size_t len)
{
	u8 *p = (u8 *)live[i] + live_size[i] + off;
	struct buddy_region *r = region_of(ba, live[i]);

	if (p + len > r->base + r->size)
		return false;
	ap_shim_scribble_copy(p, data, len);
	return true;
}

/* free + live + held bytes == size, whatever was written over. */
static void bytes_add_up(struct buddy_arena *ba)
{
	struct buddy_arena_stats st;
	size_t live_bytes = 0;
	unsigned int i;

	buddy_arena_stats(ba, &st);
	for (i = 0; i < nr_live; i++)
		live_bytes += live_size[i];
	must(st.free_bytes + live_bytes +
	     (ba->held_units << ba->min_order) == st.size, "bytes add up");
	must(st.live_blocks == nr_live, "live count");
	/* Each damage found is reported like a bad free, and counted. */
	must(st.invalid_frees == bad_frees + st.corruptions, "damage counted");
}

static void bad_free(struct buddy_arena *ba, void *p)
{
	struct buddy_arena_stats before, after;

	buddy_arena_stats(ba, &before);
	must(buddy_arena_free(ba, p) == -EINVAL, "bad free accepted");
	buddy_arena_stats(ba, &after);
	before.invalid_frees++;
	bad_frees++;
	must(!memcmp(&before, &after, sizeof(before)), "bad free changed stats");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	unsigned int min, max, flags, i;
	struct buddy_arena_stats st;
	struct buddy_arena *ba;
	bool damaged = false;
	size_t size;

	if (len < 4)
		return 0;
	/* BUDDY_FUZZ_VERBOSE=1 shows what the arena and its walk report. */
	ap_shim_quiet = getenv("BUDDY_FUZZ_VERBOSE") ? 0 : 2;
	min = 4 + data[0] % 6;
	max = min + data[1] % 8;
	flags = data[2] & (BUDDY_ARENA_GROW | BUDDY_ARENA_POISON);
	size = (1UL << min) + (size_t)data[3] * 29;
	ba = buddy_arena_create("fuzz", size, min, max, flags);
	must(!IS_ERR(ba), "create");
	nr_live = 0;
	nr_ghosts = 0;
	bad_frees = 0;

	if (len > 4 + 3 * FUZZ_OPS)
		len = 4 + 3 * FUZZ_OPS;
	for (i = 4; i + 3 <= len; i += 3) {
		unsigned int op = data[i] % 10, arg = data[i + 1] | data[i + 2] << 8;
		u8 buf[16];
		void *p;

		switch (op) {
		case 0: case 1: case 2:
			p = buddy_arena_alloc(ba, arg % ((2UL << max) + 1),
					      (op == 2) ? GFP_ATOMIC : GFP_KERNEL);
			if (p && nr_live < FUZZ_LIVE) {
				struct buddy_region *r = region_of(ba, p);
				size_t bs = buddy_arena_block_size(ba, p);
				unsigned int j;

				must(bs >= arg % ((2UL << max) + 1),
				     "block too small");
				/* Inside a region, aligned to its size there. */
				must(r && (u8 *)p + bs <= r->base + r->size &&
				     !(((u8 *)p - r->base) & (bs - 1)),
				     "block outside the arena");
				/* Never a block that overlaps a live one. */
				for (j = 0; j < nr_live; j++)
					must((u8 *)p + buddy_arena_block_size(ba, p) <=
					     (u8 *)live[j] ||
					     (u8 *)p >= (u8 *)live[j] + live_size[j],
					     "overlap");
				live_size[nr_live] = buddy_arena_block_size(ba, p);
				/* What it asked for: the rest is a redzone. */
				memset(p, 0xa5, arg % ((2UL << max) + 1));
				live[nr_live++] = p;
			} else if (p) {
				must(!buddy_arena_free(ba, p), "free");
			}
			break;
		case 3:
			if (nr_live)
				free_live(ba, arg % nr_live);
			break;
		case 4:
			/* A write after free: into the links, or past them. */
			if (!nr_ghosts || i + 3 + 16 > len)
				break;
			p = ghost[arg % min(nr_ghosts, FUZZ_GHOSTS)];
			damage_bytes(ba, (arg >> 12) & 3, data + i + 3,
				     (u8 *)p + ((arg >> 8) & 8), buf);
			if (write_after_free(ba, p, (arg >> 8) & 8, buf, 16)) {
				damaged = true;
				i += 16;
			}
			break;
		case 5:
			if (nr_live) {
				p = live[arg % nr_live];
				bad_free(ba, (u8 *)p + 1 + arg % 15);
			} else {
				bad_free(ba, (void *)data);
			}
			break;
		case 6:
			if (ba->nr_regions < 4)
				must(!buddy_arena_add_region(ba, (1UL << min) +
							     arg % 4096), "add");
			break;
		case 7:
			/* An overflow past a live block, by up to 24 bytes. */
			if (!nr_live || i + 3 + 16 > len)
				break;
			p = live[arg % nr_live];
			damage_bytes(ba, (arg >> 12) & 3, data + i + 3,
				     (u8 *)p + live_size[arg % nr_live] +
				     ((arg >> 8) & 8), buf);
			if (write_past_end(ba, arg % nr_live, (arg >> 8) & 8,
					   buf, 16)) {
				damaged = true;
				i += 16;
			}
			break;
		default:
			/* Another CPU: blocks move between per-CPU caches. */
			ap_shim_cpu = arg % AP_SHIM_NR_CPUS;
			ap_shim_run_work();
			break;
		}
		must(damaged ? buddy_check_damaged(ba) :
		     buddy_check(ba) && !ba->corruptions, "invariant");
		bytes_add_up(ba);
	}
	while (nr_live)
		free_live(ba, nr_live - 1);
	ap_shim_run_work();
	buddy_arena_stats(ba, &st);
	bytes_add_up(ba);
	must(damaged ? buddy_check_damaged(ba) :
	     buddy_check(ba) && st.free_bytes == st.size, "drained");
	buddy_arena_destroy(ba);
	return 0;
}
