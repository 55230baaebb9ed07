// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the BGET-style pool: the input is a pool
 * configuration byte followed by 4-byte operations (opcode, slot, size).
 * Every buffer is filled with a pattern checked on free and realloc, and
 * bget_pool_validate() must hold after every operation.
 *
 * Corruption: three operations write fuzzer-chosen bytes (raw, pointer
 * like, links encoded with a wrong secret or to a wrong block, copies of
 * other headers) into memory a buggy client could reach: a block it freed
 * (links, header, the next block's boundary tag), a live block's own
 * header, and past a live block's end.  They never touch a live buffer's
 * bytes or memory outside the pool's regions.  From the first such write
 * on, validation is no longer asked for and a free may be refused (the
 * buffer is then lost); what must hold after every operation: no crash
 * and no ASan report, every buffer handed out inside a region and
 * overlapping no live one, live buffers' contents intact, bytes cut off
 * only with a corruption counted, and, whenever the free index can be
 * walked, its blocks and bytes agreeing with the counters.
 */
#include "../../../bget_pool.c"

#define SLOTS	32

struct fslot {
	unsigned char *p;
	size_t size;
	unsigned char tag;
};

static struct fslot slots[SLOTS];
static int fail_next_acquire;
static struct fslot *busy;	/* being reallocated: compact keeps it */

/* Corruption: set once a write went where the pool keeps its own data. */
static bool damaged;
#define LOST_MAX	64
static struct fslot lost[LOST_MAX];	/* refused frees: still allocated */
static unsigned int nlost;
#define FREED_MAX	16
static struct fslot freed[FREED_MAX];	/* recently freed buffers */
static unsigned int nfreed;

static void die(const char *why)
{
	fprintf(stderr, "bget_fuzz: %s\n", why);
	abort();
}

static void fill(struct fslot *s)
{
	size_t i;

	for (i = 0; i < s->size; i++)
		s->p[i] = (unsigned char)(s->tag + i);
}

static void verify(const struct fslot *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < s->size; i++)
		if (s->p[i] != (unsigned char)(s->tag + i))
			die("buffer contents changed");
}

static void lose(struct fslot *s)
{
	if (!damaged)
		die("free refused");
	if (nlost < LOST_MAX)
		lost[nlost++] = *s;
	s->p = NULL;
}

static void freed_note(const struct fslot *s)
{
	freed[nfreed++ % FREED_MAX] = *s;
}

/* Free @s; a refusal is a bug unless the pool was damaged. */
static void slot_free(struct bget_pool *bp, struct fslot *s)
{
	verify(s, s->size);
	if (bget_free(bp, s->p)) {
		lose(s);
		return;
	}
	freed_note(s);
	s->p = NULL;
}

static bool overlaps(const unsigned char *a, size_t alen,
		     const struct fslot *s)
{
	return s->p && a < s->p + s->size && s->p < a + alen;
}

/* Does [a, a + len) overlap a live (or lost) buffer other than @skip? */
static bool hits_live(const unsigned char *a, size_t len,
		      const struct fslot *skip)
{
	unsigned int i;

	for (i = 0; i < SLOTS; i++)
		if (&slots[i] != skip && overlaps(a, len, &slots[i]))
			return true;
	for (i = 0; i < nlost; i++)
		if (overlaps(a, len, &lost[i]))
			return true;
	return false;
}

/* Is [a, a + len) inside a region's blocks (sentinel included)? */
static bool in_regions(struct bget_pool *bp, const unsigned char *a,
		       size_t len)
{
	struct bget_region *r;
	unsigned long flags;
	bool ok;

	raw_spin_lock_irqsave(&bp->lock, flags);
	r = region_search_locked(bp, a);
	ok = r && r->kind != BGET_REGION_DIRECT &&
	     a >= (unsigned char *)reg_first(r) &&
	     a + len <= (unsigned char *)reg_end(r) + BGET_HDR;
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	return ok;
}

/* A new buffer: inside a region, overlapping nothing live. */
static void check_new(struct bget_pool *bp, const struct fslot *s)
{
	struct bget_region *r;
	unsigned long flags;
	bool ok;

	raw_spin_lock_irqsave(&bp->lock, flags);
	r = region_search_locked(bp, s->p);
	ok = r && s->p >= (unsigned char *)reg_first(r) + BGET_HDR &&
	     s->p + s->size <= (unsigned char *)reg_end(r);
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	if (!ok)
		die("buffer outside the pool");
	if (hits_live(s->p, s->size, s))
		die("buffer overlaps a live one");
}

/*
 * Write @len (1..32) bytes of kind @kind at @a, if all of them are inside
 * the pool's regions and none in a live buffer.
 */
static void scribble(struct bget_pool *bp, unsigned char *a, size_t len,
		     unsigned int kind, unsigned int v)
{
	unsigned long w[4];
	size_t i;

	if (len > sizeof(w))
		len = sizeof(w);
	if (!len || !in_regions(bp, a, len) || hits_live(a, len, NULL))
		return;
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		unsigned char *slot = a + i * sizeof(long);
		struct fslot *o = &slots[(v + i) % SLOTS];

		switch (kind % 8) {
		case 0:		/* bytes of the input */
			w[i] = (unsigned long)v * 0x9e3779b97f4a7c15UL >> (i * 3);
			break;
		case 1:
			w[i] = 0;
			break;
		case 2:
			w[i] = ~0UL;
			break;
		case 3:		/* a raw pointer into the pool */
			w[i] = (unsigned long)a + (v & 0xff) * 16 - 2048;
			break;
		case 4:		/* a link to there, encoded with a wrong secret */
			w[i] = ap_link_encode(bp->secret ^ (v | 1), slot,
					      (void *)((unsigned long)a + (v & 0xf0)));
			break;
		case 5:		/* a well-encoded link to a live buffer */
			w[i] = ap_link_encode(bp->secret, slot,
					      o->p ? o->p : a);
			break;
		case 6:		/* a well-encoded link to nearby bytes */
			w[i] = ap_link_encode(bp->secret, slot,
					      (void *)((unsigned long)a +
						       (v & 0xff) * 16 - 2048));
			break;
		default:	/* a copy of a header seen elsewhere */
			w[i] = o->p ? ap_kasan_read_ulong((unsigned long *)o->p +
							  (long)(i & 1) - 2) : v;
			break;
		}
	}
	ap_shim_scribble_copy(a, w, len);
	damaged = true;
}

/* After every operation: the counters agree with what can be walked. */
static void check_books(struct bget_pool *bp, u64 *corruptions, size_t *lostb)
{
	unsigned long flags, count;
	size_t bytes, idx = 0, free;
	unsigned int q;
	bool walked, hot;

	raw_spin_lock_irqsave(&bp->lock, flags);
	if (bp->lost != *lostb && bp->corruptions == *corruptions)
		die("bytes cut off with no corruption counted");
	if (bp->corruptions < *corruptions || bp->lost < *lostb)
		die("counters went back");
	*corruptions = bp->corruptions;
	*lostb = bp->lost;
	if (bp->curalloc - bp->direct + bp->quarantined + bp->transit +
	    bp->lost > bp->span)
		die("used + quarantined + cut off exceed the pool");
	walked = walk_free_locked(bp, &count, &bytes);
	for (q = 0; q < BGET_NBINS; q++)
		if (bp->bin_n[q])
			idx += (size_t)bp->bin_n[q] * ((size_t)q << BGET_QSHIFT);
	idx += bp->tree_bytes + bp->hot_size;
	free = totfree_locked(bp);
	/* The hot block, off its bin: free, of its size, tag agreeing. */
	hot = !bp->hot == !bp->hot_size &&
	      (!bp->hot || (bp->bins[size_bin(bp->hot_size)] != blk_links(bp->hot) &&
			    (damaged || (hdr_ok(bp->hot) &&
			     hdr_info(bp->hot) == free_info(bp->hot_size) &&
			     hdr_prevfree(blk_at(bp->hot, bp->hot_size)) == bp->hot_size))));
	raw_spin_unlock_irqrestore(&bp->lock, flags);
	if (!hot)
		die("hot block not what the pool says");
	if (!walked && !damaged)
		die("free index damaged with no damage done");
	if (walked && (bytes != idx || bytes != free))
		die("free bytes do not add up");
}

static int fuzz_compact(struct bget_pool *bp, size_t sizereq, int seq)
{
	unsigned int i;

	if (seq > 2)
		return 0;
	for (i = 0; i < SLOTS; i++) {
		if (slots[i].p && &slots[i] != busy &&
		    slots[i].size > sizereq / 2) {
			slot_free(bp, &slots[i]);
			return 1;
		}
	}
	return 0;
}

static void *fuzz_acquire(struct bget_pool *bp, size_t size, gfp_t gfp)
{
	if (fail_next_acquire) {
		fail_next_acquire = 0;
		return NULL;
	}
	return bget_vmalloc_ops.acquire(bp, size, gfp);
}

static const struct bget_ops fuzz_ops = {
	.compact = fuzz_compact,
	.acquire = fuzz_acquire,
	.release = bget_vmalloc_release,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static unsigned char added[8192] __aligned(16);
	static unsigned char foreign[256] __aligned(16);
	struct bget_pool *bp;
	unsigned int cfg, i;
	u64 corruptions = 0;
	size_t pos, lostb = 0;

	if (len < 1)
		return 0;
	ap_shim_quiet = 2;
	cfg = data[0];
	bp = bget_pool_create("fuzz", (cfg & 4) ? 0 : 4096 << ((cfg >> 6) & 1),
			      (cfg & (BGET_BEST_FIT | BGET_POISON)) |
			      /* the per-CPU front, over the initial region */
			      ((cfg & 0x20) ? BGET_PERCPU : 0));
	if (IS_ERR(bp))
		die("create");
	if ((cfg & 4) && bget_pool_add(bp, added + (cfg >> 5), sizeof(added) - 8))
		die("add");
	if ((cfg & 8) && bget_pool_ctl(bp, &fuzz_ops, (cfg & 16) ? 4096 : 0))
		die("ctl");
	memset(slots, 0, sizeof(slots));
	damaged = false;
	nlost = 0;
	nfreed = 0;

	/* At most 32 operations: validation is linear in the pool. */
	for (pos = 1; pos + 4 <= len && pos < 1 + 4 * 32; pos += 4) {
		unsigned int op = data[pos] % 11;
		unsigned int v = data[pos + 2] | data[pos + 3] << 8;
		struct fslot *fr;
		struct fslot *s = &slots[data[pos + 1] % SLOTS];
		size_t size = (data[pos + 2] | data[pos + 3] << 8) & 0x3fff;
		unsigned char *p;

		/* With the front, blocks move between the fake CPUs' caches. */
		ap_shim_cpu = (data[pos] / 11) % AP_SHIM_NR_CPUS;
		switch (op) {
		case 0:
		case 1:
			if (s->p)
				break;
			p = op ? bget_zalloc(bp, size, GFP_KERNEL) :
				 bget_alloc(bp, size, GFP_KERNEL);
			if (!p)
				break;
			if (op && memchr_inv(p, 0, size))
				die("zalloc not zero");
			s->p = p;
			s->size = size;
			s->tag = data[pos + 2];
			check_new(bp, s);
			fill(s);
			break;
		case 2:
			if (s->p)
				slot_free(bp, s);
			break;
		case 3:
			if (!s->p)
				break;
			busy = s;
			p = bget_realloc(bp, s->p, size, GFP_KERNEL);
			busy = NULL;
			if (!p) {
				verify(s, s->size);
				break;
			}
			s->p = p;
			verify(s, min(size, s->size));
			s->size = size;
			check_new(bp, s);
			fill(s);
			break;
		case 4:
			/* Bad frees: interior, foreign, double. */
			if (s->p && bget_free(bp, s->p + 16) != -EINVAL)
				die("interior free accepted");
			if (bget_free(bp, foreign + 16 * (size % 8)) != -EINVAL)
				die("foreign free accepted");
			break;
		case 5:
			fail_next_acquire = 1;
			break;
		case 6:
			if (s->p && (size & 1)) {
				p = s->p;
				slot_free(bp, s);
				if (!s->p && bget_free(bp, p) != -EINVAL)
					die("double free accepted");
			}
			break;
		case 7:
			bget_pool_stats(bp, &(struct bget_stats){});
			break;
		case 8:
			/* Write after free: links, header, the next block's tag. */
			if (!nfreed)
				break;
			fr = &freed[data[pos + 1] % min(nfreed, FREED_MAX)];
			scribble(bp, fr->p - BGET_HDR +
				 ((v & 0x100) ? ALIGN(fr->size + BGET_HDR, 16) - BGET_HDR :
						0) + (v & 0x3f),
				 1 + (v >> 9) % 32, v >> 6, v);
			break;
		case 9:
			/* Into a live buffer's own header. */
			if (s->p)
				scribble(bp, s->p - BGET_HDR + (v & 0xf),
					 1 + (v >> 12) % 16, v >> 4, v);
			break;
		default:
			/* Past a live buffer's end, into whatever follows. */
			if (s->p)
				scribble(bp, s->p + s->size + (v & 0xf),
					 1 + (v >> 11) % 32, v >> 4, v);
			break;
		}
		check_books(bp, &corruptions, &lostb);
		/*
		 * A full validation is linear in the pool: after each of the
		 * first 8 operations, then every 4th (check_books() above
		 * walks the index after every one).
		 */
		if (damaged || (pos > 1 + 4 * 8 && (pos - 1) % 16))
			continue;
		if (!bget_pool_validate(bp)) {
			ap_shim_quiet = 0;
			bget_pool_validate(bp);
			die("validate");
		}
	}
	for (i = 0; i < SLOTS; i++)
		if (slots[i].p)
			verify(&slots[i], slots[i].size);
	/* Whatever is left is freed (or refused, when damaged) one by one. */
	for (i = 0; i < SLOTS; i++)
		if (slots[i].p)
			slot_free(bp, &slots[i]);
	check_books(bp, &corruptions, &lostb);
	bget_pool_destroy(bp);
	ap_shim_cpu = 0;
	return 0;
}
