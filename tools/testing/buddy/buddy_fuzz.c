// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_fuzz.c - libFuzzer target for buddy_arena.c.
 *
 * The first bytes pick the arena's shape (a small region, orders, flags);
 * every following 3-byte group is one operation: allocate, free a live
 * block, free a bad pointer, add a region, run the give-back work, or
 * write over a block freed earlier (a client's write after free, into the
 * links of a free block or anywhere in it).  The arena's invariant walk
 * runs after every operation, and a refused free must leave the statistics
 * unchanged but for invalid_frees.  Once memory has been written over, the
 * walk takes damaged lists as they are, and the bytes must still add up:
 * free + live + held == size, no block handed out twice, and nothing
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
		memcpy(g + off, data, len);
	return in;
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
}

static void bad_free(struct buddy_arena *ba, void *p)
{
	struct buddy_arena_stats before, after;

	buddy_arena_stats(ba, &before);
	must(buddy_arena_free(ba, p) == -EINVAL, "bad free accepted");
	buddy_arena_stats(ba, &after);
	before.invalid_frees++;
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

	if (len > 4 + 3 * FUZZ_OPS)
		len = 4 + 3 * FUZZ_OPS;
	for (i = 4; i + 3 <= len; i += 3) {
		unsigned int op = data[i] % 8, arg = data[i + 1] | data[i + 2] << 8;
		void *p;

		switch (op) {
		case 0: case 1: case 2:
			p = buddy_arena_alloc(ba, arg % ((2UL << max) + 1),
					      (op == 2) ? GFP_ATOMIC : GFP_KERNEL);
			if (p && nr_live < FUZZ_LIVE) {
				unsigned int j;

				must(buddy_arena_block_size(ba, p) >= arg %
				     ((2UL << max) + 1), "block too small");
				/* Never a block that overlaps a live one. */
				for (j = 0; j < nr_live; j++)
					must((u8 *)p + buddy_arena_block_size(ba, p) <=
					     (u8 *)live[j] ||
					     (u8 *)p >= (u8 *)live[j] + live_size[j],
					     "overlap");
				live_size[nr_live] = buddy_arena_block_size(ba, p);
				memset(p, 0xa5, live_size[nr_live]);
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
			if (write_after_free(ba, p, (arg >> 8) & 8,
					     data + i + 3, 16)) {
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
		default:
			ap_shim_run_work();
			break;
		}
		must(damaged ? buddy_check_damaged(ba) : buddy_check(ba),
		     "invariant");
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
