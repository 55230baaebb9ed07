// SPDX-License-Identifier: GPL-2.0
/*
 * bump_slab_fuzz.c - libFuzzer target for bump_slab.c.
 *
 * The first byte picks the mode (heap or buddy, poison or not); then every
 * 3 bytes are one operation: allocate (size from the bytes, 0 and over
 * 16 MiB included), free, double free, interior/misaligned free, smashed
 * header, write after free, bump_slab_size (which also moves the thread to
 * another fake CPU, so objects travel between per-CPU caches), and the
 * damage a buggy client does: bytes written over a freed object's link
 * (input bytes, a raw pointer, a link encoded with another secret), over
 * a live object's header, and past a live object's end into whatever
 * follows it in the heap or its slab.  Once nothing is damaged the
 * invariant walker runs every few operations; contents and counts are
 * checked throughout; every object handed out lies inside the pool and
 * overlaps no live one; the corruptions counter never goes down; at the
 * end everything is freed and the buddy arena must be entirely free.
 */
#include "../../../bump_slab.c"
/*
 * ap_shim_scribble() and allocpools_kasan.h's accessors: the harness's
 * writes into redzones, headers and freed objects.
 */
#include <linux/kasan.h>

#define SLOTS	64

struct slot {
	u8 *p;
	size_t size;
	u8 tag;
	bool dirty_hdr;		/* the harness wrote its header: free may fail */
	bool dirty_data;	/* the harness wrote into it: contents unknown */
};

#define FREED	16

static struct slot slots[SLOTS];
static u8 *freed[FREED];	/* recently freed objects, for writes after free */
static unsigned int nfreed;

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
	fuzz_assert(s->dirty_data ||
		    !memchr_inv(s->p, s->tag, min_t(size_t, s->size, 256)),
		    "object contents changed");
}

static size_t cls_bytes(struct bump_slab *bs, const u8 *p)
{
	return cls_size(size_to_cls(max_t(size_t, bump_slab_size(bs, p), 1)));
}

/* Where the pool may hold the object at @p: its heap, or its slab block. */
static bool pool_span(struct bump_slab *bs, const u8 *p, const u8 **lo,
		      const u8 **hi)
{
	struct bs_slab *slab;
	unsigned long flags;
	u32 idx;

	if (!bs->arena) {
		*lo = bs->heap;
		*hi = bs->heap + bs->heap_size;
		return true;
	}
	raw_spin_lock_irqsave(&bs->lock, flags);
	slab = find_slab_locked(bs, p, &idx);
	raw_spin_unlock_irqrestore(&bs->lock, flags);
	if (!slab)
		return false;
	*lo = (const u8 *)slab + BS_SLAB_HDR;
	*hi = (const u8 *)slab + min_t(size_t, slab->block, PAGE_SIZE +
				       (slab->nr == 1 ? cls_size(slab->cls) : 0));
	return true;
}

/* The bytes [@lo, @hi) meet the live object @s, header included? */
static bool meets(const struct slot *s, const u8 *lo, const u8 *hi)
{
	return s->p && lo < s->p + s->size && hi > s->p - BS_HDR;
}

/* A new object: inside the pool, over no live one. */
static void check_new(struct bump_slab *bs, const struct slot *n)
{
	size_t cs = cls_bytes(bs, n->p);
	const u8 *lo, *hi;
	unsigned int j;

	/* Under ASan: the request is the caller's, its header is not. */
	fuzz_assert(ap_shim_kasan_live(n->p, n->size, n->size < cs) &&
		    ap_shim_kasan_freed(n->p - 1), "ASan shadow");
	fuzz_assert(pool_span(bs, n->p, &lo, &hi) && n->p - BS_HDR >= lo -
		    (bs->arena ? BS_HDR : 0) && n->p + cs <= hi,
		    "object outside the pool");
	for (j = 0; j < SLOTS; j++)
		fuzz_assert(&slots[j] == n || !meets(&slots[j], n->p - BS_HDR,
						     n->p + cs),
			    "object overlaps a live one");
}

/* The harness wrote [@lo, @hi): the live objects it met are not whole. */
static void wrote(const u8 *lo, const u8 *hi)
{
	unsigned int j;

	for (j = 0; j < SLOTS; j++) {
		struct slot *s = &slots[j];

		if (!meets(s, lo, hi))
			continue;
		if (lo < s->p)
			s->dirty_hdr = true;
		if (hi > s->p)
			s->dirty_data = true;
	}
}

/* A write after free: only into memory no live object holds now. */
static bool free_target(struct bump_slab *bs, u8 *p, size_t len)
{
	const u8 *lo, *hi;
	unsigned int j;

	if (!p || !pool_span(bs, p, &lo, &hi) || p + len > hi)
		return false;
	for (j = 0; j < SLOTS; j++)
		if (meets(&slots[j], p - BS_HDR, p + len))
			return false;
	return true;
}

static unsigned long damage_value(struct bump_slab *bs, u8 *at,
				  const u8 *data, size_t len, size_t i)
{
	unsigned long v = 0;
	unsigned int k;

	switch (data[i + 2] % 3) {
	case 0:
		for (k = 0; k < 8; k++)
			v = v << 8 | data[(i + k) % len];
		return v;
	case 1:		/* a raw pointer to another object */
		return (unsigned long)(slots[data[i + 1] % SLOTS].p ?:
				       freed[data[i + 2] % FREED]);
	default:	/* a link encoded with the wrong secret */
		return ap_link_encode(bs->secret ^ data[i + 1] ^ 0x100, at,
				      freed[data[i + 1] % FREED]);
	}
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
	struct buddy_arena *ba = NULL;
	struct bump_slab_stats st;
	struct bump_slab *bs;
	unsigned int mode, flags;
	u64 corruptions = 0;
	bool damaged = false;
	size_t i;

	memset(slots, 0, sizeof(slots));
	memset(freed, 0, sizeof(freed));
	nfreed = 0;
	ap_shim_quiet = 2;
	ap_shim_cpu = 0;
	if (!len)
		return 0;
	mode = data[0];
	flags = mode & 1 ? BUMP_SLAB_POISON : 0;
	/* Bit 5: BUMP_SLAB_PERCPU (buddy mode's front; heap mode ignores it). */
	if (mode & 0x20)
		flags |= BUMP_SLAB_PERCPU;
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
		unsigned int op = data[i] % 11;
		struct slot *s = &slots[data[i + 1] % SLOTS];
		const u8 *lo, *hi;
		size_t size;
		u8 *at;

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
			s->dirty_hdr = false;
			s->dirty_data = false;
			check_new(bs, s);
			fill(s);
			break;
		case 2:
		case 3:
			if (!s->p)
				break;
			check(s);
			if (s->dirty_hdr) {
				/* Refused unless the bytes were the header's. */
				if (!bump_slab_free(bs, s->p))
					freed[nfreed++ % FREED] = s->p;
				s->p = NULL;
				break;
			}
			fuzz_assert(!bump_slab_free(bs, s->p), "free");
			if (op == 3 && !damaged)
				refused(bs, s->p);
			freed[nfreed++ % FREED] = s->p;
			s->p = NULL;
			break;
		case 8:
			/* A write after free over a freed object's link. */
			at = freed[data[i + 1] % FREED];
			if (!free_target(bs, at, sizeof(long)))
				break;
			ap_kasan_write_ulong((unsigned long *)at,
					     damage_value(bs, at, data, len, i));
			damaged = true;
			break;
		case 9:
			/* Bytes over a live object's header. */
			if (!s->p || s->dirty_hdr)
				break;
			ap_kasan_write_u8(s->p - 1 - data[i + 2] % BS_HDR,
					  data[i + 2] ^ data[i]);
			s->dirty_hdr = true;
			damaged = true;
			break;
		case 10:
			/* Past a live object's end, into what follows it. */
			if (!s->p || !pool_span(bs, s->p, &lo, &hi))
				break;
			at = s->p + cls_bytes(bs, s->p);
			size = 1 + data[i + 2] % 24;
			if (at + size > hi)
				break;
			wrote(at, at + size);
			/*
			 * Unchecked: on a buddy arena a slab's block past
			 * its request is a KASAN (ASan) redzone.
			 */
			if (size >= sizeof(long) && data[i] & 0x80) {
				unsigned long v = damage_value(bs, at, data,
							       len, i);

				ap_shim_scribble_copy(at, &v, sizeof(v));
			} else {
				ap_shim_scribble(at, data[i + 2], size);
			}
			damaged = true;
			break;
		case 4:
			/*
			 * An interior pointer.  Not when the header is
			 * smashed: bump_slab_size() then answers 0, and the
			 * "interior" pointer could be another live object.
			 */
			if (s->p && s->dirty_hdr)
				break;
			if (s->p)
				refused(bs, s->p + 1 + data[i + 2] %
					(bump_slab_size(bs, s->p) - 1));
			else
				refused(bs, (u8 *)slots + data[i + 2]);
			break;
		case 5:
			if (s->p && !s->dirty_hdr) {
				u8 *m = s->p - 1 - data[i + 2] % 7;
				u8 bit = 0x40 << (data[i + 2] >> 7);

				ap_kasan_write_u8(m, ap_kasan_read_u8(m) ^ bit);
				refused(bs, s->p);
				ap_kasan_write_u8(m, ap_kasan_read_u8(m) ^ bit);
			}
			break;
		case 6:
			/* Write to a free object that stays in the pool. */
			size = s->p ? bump_slab_size(bs, s->p) : 0;
			if (!ba && size > 8 && !s->dirty_hdr) {
				check(s);
				fuzz_assert(!bump_slab_free(bs, s->p), "free");
				at = s->p + 8 + data[i + 2] % (size - 8);
				s->p = NULL;
				if (free_target(bs, at, 1))
					ap_kasan_write_u8(at,
							  ap_kasan_read_u8(at) ^ 1);
			}
			break;
		default:
			/* Move to another (fake) CPU and its caches. */
			ap_shim_cpu = data[i + 2] % AP_SHIM_NR_CPUS;
			size = s->p ? max_t(size_t, s->size, 8) : 0;
			if (s->p && !s->dirty_hdr)
				fuzz_assert(bump_slab_size(bs, s->p) ==
					    roundup_pow_of_two(size), "size");
			break;
		}
		bump_slab_stats(bs, &st);
		fuzz_assert(st.corruptions >= corruptions, "corruptions down");
		corruptions = st.corruptions;
		fuzz_assert(!ap_shim_nr_WARN, "a WARN");
		if (i % 32 == 1 && !damaged)
			fuzz_assert(bump_slab_check(bs), "invariants");
	}
	for (i = 0; i < SLOTS; i++) {
		if (slots[i].p) {
			check(&slots[i]);
			if (slots[i].dirty_hdr)
				bump_slab_free(bs, slots[i].p);
			else
				fuzz_assert(!bump_slab_free(bs, slots[i].p),
					    "free");
		}
	}
	fuzz_assert(damaged || bump_slab_check(bs), "invariants at the end");
	bump_slab_destroy(bs);
	if (ba) {
		struct buddy_arena_stats st;

		buddy_arena_stats(ba, &st);
		fuzz_assert(st.free_bytes == st.size, "arena not free");
		buddy_arena_destroy(ba);
	}
	return 0;
}
