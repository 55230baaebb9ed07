// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the BGET-style pool: the input is a pool
 * configuration byte followed by 4-byte operations (opcode, slot, size).
 * Every buffer is filled with a pattern checked on free and realloc, and
 * bget_pool_validate() must hold after every operation.
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

static int fuzz_compact(struct bget_pool *bp, size_t sizereq, int seq)
{
	unsigned int i;

	if (seq > 2)
		return 0;
	for (i = 0; i < SLOTS; i++) {
		if (slots[i].p && &slots[i] != busy &&
		    slots[i].size > sizereq / 2) {
			verify(&slots[i], slots[i].size);
			if (bget_free(bp, slots[i].p))
				die("free from compact");
			slots[i].p = NULL;
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
	size_t pos;

	if (len < 1)
		return 0;
	ap_shim_quiet = 2;
	cfg = data[0];
	bp = bget_pool_create("fuzz", (cfg & 4) ? 0 : 4096 << ((cfg >> 6) & 1),
			      cfg & (BGET_BEST_FIT | BGET_POISON));
	if (IS_ERR(bp))
		die("create");
	if ((cfg & 4) && bget_pool_add(bp, added + (cfg >> 5), sizeof(added) - 8))
		die("add");
	if ((cfg & 8) && bget_pool_ctl(bp, &fuzz_ops, (cfg & 16) ? 4096 : 0))
		die("ctl");
	memset(slots, 0, sizeof(slots));

	/* At most 32 operations: validation is linear in the pool. */
	for (pos = 1; pos + 4 <= len && pos < 1 + 4 * 32; pos += 4) {
		unsigned int op = data[pos] % 8;
		struct fslot *s = &slots[data[pos + 1] % SLOTS];
		size_t size = (data[pos + 2] | data[pos + 3] << 8) & 0x3fff;
		unsigned char *p;

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
			fill(s);
			break;
		case 2:
			if (!s->p)
				break;
			verify(s, s->size);
			if (bget_free(bp, s->p))
				die("free refused");
			s->p = NULL;
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
				verify(s, s->size);
				if (bget_free(bp, s->p))
					die("free refused");
				if (bget_free(bp, s->p) != -EINVAL)
					die("double free accepted");
				s->p = NULL;
			}
			break;
		default:
			bget_pool_stats(bp, &(struct bget_stats){});
			break;
		}
		if (!bget_pool_validate(bp)) {
			ap_shim_quiet = 0;
			bget_pool_validate(bp);
			die("validate");
		}
	}
	for (i = 0; i < SLOTS; i++)
		if (slots[i].p)
			verify(&slots[i], slots[i].size);
	bget_pool_destroy(bp);
	return 0;
}
