// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_fuzz.c - libFuzzer target for buddy_arena.c.
 *
 * The first bytes pick the arena's shape (a small region, orders, flags);
 * every following 3-byte group is one operation: allocate, free a live
 * block, free a bad pointer, add a region, run the give-back work.  The
 * arena's invariant walk runs after every operation, and a refused free
 * must leave the statistics unchanged but for invalid_frees.
 */
#include "../../../buddy_arena.c"
#include "buddy_common.h"

#define FUZZ_LIVE 256
/* Bounded work per input keeps the full invariant walk after each op cheap. */
#define FUZZ_OPS 64

static void *live[FUZZ_LIVE];
static unsigned int nr_live;

static void must(bool cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "buddy_fuzz: %s\n", what);
		abort();
	}
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
	size_t size;

	if (len < 4)
		return 0;
	ap_shim_quiet = 2;
	min = 4 + data[0] % 6;
	max = min + data[1] % 8;
	flags = data[2] & (BUDDY_ARENA_GROW | BUDDY_ARENA_POISON);
	size = (1UL << min) + (size_t)data[3] * 29;
	ba = buddy_arena_create("fuzz", size, min, max, flags);
	must(!IS_ERR(ba), "create");
	nr_live = 0;

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
				must(buddy_arena_block_size(ba, p) >= arg %
				     ((2UL << max) + 1), "block too small");
				memset(p, 0xa5, buddy_arena_block_size(ba, p));
				live[nr_live++] = p;
			} else if (p) {
				must(!buddy_arena_free(ba, p), "free");
			}
			break;
		case 3: case 4:
			if (!nr_live)
				break;
			arg %= nr_live;
			must(!buddy_arena_free(ba, live[arg]), "free");
			live[arg] = live[--nr_live];
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
		must(buddy_check(ba), "invariant");
	}
	while (nr_live)
		must(!buddy_arena_free(ba, live[--nr_live]), "drain");
	ap_shim_run_work();
	buddy_arena_stats(ba, &st);
	must(buddy_check(ba) && st.free_bytes == st.size, "drained");
	buddy_arena_destroy(ba);
	return 0;
}
