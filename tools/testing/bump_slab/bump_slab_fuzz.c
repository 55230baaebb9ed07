// SPDX-License-Identifier: GPL-2.0
/*
 * bump_slab_fuzz.c - libFuzzer target for bump_slab.c.
 *
 * The first byte picks the mode (heap or buddy, poison or not); then every
 * 3 bytes are one operation: allocate (size from the bytes, 0 and over
 * 16 MiB included), free, double free, interior/misaligned free, smashed
 * header, write after free, bump_slab_size (which also moves the thread to
 * another fake CPU, so objects travel between per-CPU caches).  The
 * invariant walker runs every few operations; contents and counts are
 * checked throughout; at the end everything is freed and the buddy arena
 * must be entirely free.
 */
#include "../../../bump_slab.c"

#define SLOTS	64

struct slot {
	u8 *p;
	size_t size;
	u8 tag;
};

static void fuzz_assert(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "bump_slab_fuzz: %s\n", what);
		abort();
	}
}

static void fill(struct slot *s)
{
	memset(s->p, s->tag, min_t(size_t, s->size, 256));
}

static void check(const struct slot *s)
{
	fuzz_assert(!memchr_inv(s->p, s->tag, min_t(size_t, s->size, 256)),
		    "object contents changed");
}

static void refused(struct bump_slab *bs, void *p)
{
	struct bump_slab_stats a, b;

	bump_slab_stats(bs, &a);
	fuzz_assert(bump_slab_free(bs, p) == -EINVAL, "bad free accepted");
	bump_slab_stats(bs, &b);
	a.invalid_frees++;
	fuzz_assert(!memcmp(&a, &b, sizeof(a)), "bad free changed the pool");
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t len)
{
	struct slot slots[SLOTS] = { 0 };
	struct buddy_arena *ba = NULL;
	struct bump_slab *bs;
	unsigned int mode, flags;
	size_t i;

	ap_shim_quiet = 2;
	ap_shim_cpu = 0;
	if (!len)
		return 0;
	mode = data[0];
	flags = mode & 1 ? BUMP_SLAB_POISON : 0;
	if (mode & 2) {
		ba = buddy_arena_create("fz_arena", 1 << 16, 6 + (mode >> 2) % 8,
					16, 0);
		fuzz_assert(!IS_ERR(ba), "arena");
		bs = bump_slab_create_on("fz", ba, flags);
	} else {
		bs = bump_slab_create("fz", 1 << 16, flags);
	}
	fuzz_assert(!IS_ERR(bs), "create");

	for (i = 1; i + 3 <= len; i += 3) {
		unsigned int op = data[i] % 8;
		struct slot *s = &slots[data[i + 1] % SLOTS];
		size_t size;

		switch (op) {
		case 0:
		case 1:
			if (s->p)
				break;
			size = data[i + 2] | (size_t)(data[i + 1] & 0x3) << 8;
			size <<= data[i] >> 3 & 15;
			if (data[i] >> 7)
				size = BUMP_SLAB_MAX_SIZE + (data[i + 2] & 1);
			s->p = bump_slab_alloc(bs, size, GFP_KERNEL);
			if (!s->p)
				break;
			fuzz_assert(size && size <= BUMP_SLAB_MAX_SIZE &&
				    bump_slab_size(bs, s->p) >=
				    max_t(size_t, size, 8), "size");
			s->size = size;
			s->tag = data[i + 2];
			fill(s);
			break;
		case 2:
		case 3:
			if (!s->p)
				break;
			check(s);
			fuzz_assert(!bump_slab_free(bs, s->p), "free");
			if (op == 3)
				refused(bs, s->p);
			s->p = NULL;
			break;
		case 4:
			if (s->p)
				refused(bs, s->p + 1 + data[i + 2] %
					(bump_slab_size(bs, s->p) - 1));
			else
				refused(bs, (u8 *)slots + data[i + 2]);
			break;
		case 5:
			if (s->p) {
				u8 *m = s->p - 1 - data[i + 2] % 7;
				u8 bit = 0x40 << (data[i + 2] >> 7);

				*m ^= bit;
				refused(bs, s->p);
				*m ^= bit;
			}
			break;
		case 6:
			/* Write to a free object that stays in the pool. */
			size = s->p ? bump_slab_size(bs, s->p) : 0;
			if (!ba && size > 8) {
				check(s);
				fuzz_assert(!bump_slab_free(bs, s->p), "free");
				s->p[8 + data[i + 2] % (size - 8)] ^= 1;
				s->p = NULL;
			}
			break;
		default:
			/* Move to another (fake) CPU and its caches. */
			ap_shim_cpu = data[i + 2] % AP_SHIM_NR_CPUS;
			size = s->p ? max_t(size_t, s->size, 8) : 0;
			if (s->p)
				fuzz_assert(bump_slab_size(bs, s->p) ==
					    roundup_pow_of_two(size), "size");
			break;
		}
		if (i % 32 == 1)
			fuzz_assert(bump_slab_check(bs), "invariants");
	}
	for (i = 0; i < SLOTS; i++) {
		if (slots[i].p) {
			check(&slots[i]);
			fuzz_assert(!bump_slab_free(bs, slots[i].p), "free");
		}
	}
	fuzz_assert(bump_slab_check(bs), "invariants at the end");
	bump_slab_destroy(bs);
	if (ba) {
		struct buddy_arena_stats st;

		buddy_arena_stats(ba, &st);
		fuzz_assert(st.free_bytes == st.size, "arena not free");
		buddy_arena_destroy(ba);
	}
	return 0;
}
