// SPDX-License-Identifier: GPL-2.0
/*
 * fifo_model.c - mempool_fifo.c against plain reference models.
 *
 * Queue mode: a deque of (length, pattern seed); every shifted, peeked and
 * iterated byte is compared.  Allocator mode: the live chunks' offsets
 * decide, independently of the ring's own indices, whether an allocation
 * must succeed and where it must land.  Bad releases must be refused with
 * the ring unchanged.  The invariant checker runs after every operation.
 * Every call but the resets (process context) is made from a context drawn
 * at random: a task, a hard IRQ, or under the caller's own spinlock_t or
 * raw_spinlock_t, where the shim aborts on anything that would sleep on
 * PREEMPT_RT (a spinlock_t among them) or on unbounded work under a raw lock.
 *
 * Usage: fifo_model [seed] (or AP_SEED=); the seed is printed first.
 */
#include "../../../mempool_fifo.c"

static unsigned long long rng;
static unsigned long ops;
static unsigned long bad_releases;

static u32 rnd(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng >> 33;
}

static u32 rnd_below(u32 n)
{
	return n ? rnd() % n : 0;
}

#define FAIL(...) do {							\
	fprintf(stderr, "FAIL %s:%d (op %lu): ", __FILE__, __LINE__, ops); \
	fprintf(stderr, __VA_ARGS__);					\
	fprintf(stderr, "\n");						\
	exit(1);							\
} while (0)
#define CHECK(c) do { if (!(c)) FAIL("%s", #c); } while (0)

static void pattern(u8 *buf, size_t len, u32 seed)
{
	u32 x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = x;
	}
}

/* Lengths that exercise all three cookie forms, bounded by @max. */
static size_t pick_len(size_t max)
{
	size_t len;

	switch (rnd_below(8)) {
	case 0:
		len = 120 + rnd_below(16);		/* around 127/128 */
		break;
	case 1:
		len = 32760 + rnd_below(16);		/* around 32767/32768 */
		break;
	case 2:
		len = 65530 + rnd_below(6);		/* up to 65535 */
		break;
	case 3:
		len = 1 + rnd_below(max);
		break;
	default:
		len = 1 + rnd_below(64);
		break;
	}
	return len > max ? 1 + rnd_below(max) : len;
}

struct qent {
	size_t len;
	u32 seed;
};

static size_t clen_of(size_t len)
{
	return len < 128 ? 1 : len < 32768 ? 2 : 3;
}

/* ---- calling contexts ---- */
enum { CTX_TASK, CTX_HARDIRQ, CTX_SPINLOCK, CTX_RAW_SPINLOCK, NR_CTX };
static DEFINE_SPINLOCK(caller_lock);
static DEFINE_RAW_SPINLOCK(caller_raw_lock);
static unsigned long ctx_ops[NR_CTX];
static int ctx;

static void ctx_enter(void)
{
	ctx = rnd_below(NR_CTX);
	ctx_ops[ctx]++;
	if (ctx == CTX_HARDIRQ)
		ap_shim_hardirq_enter();
	else if (ctx == CTX_SPINLOCK)
		spin_lock(&caller_lock);
	else if (ctx == CTX_RAW_SPINLOCK)
		raw_spin_lock(&caller_raw_lock);
}

static void ctx_exit(void)
{
	if (ctx == CTX_HARDIRQ)
		ap_shim_hardirq_exit();
	else if (ctx == CTX_SPINLOCK)
		spin_unlock(&caller_lock);
	else if (ctx == CTX_RAW_SPINLOCK)
		raw_spin_unlock(&caller_raw_lock);
	ctx = CTX_TASK;
}

static u8 *inbuf, *outbuf;

/* ---- queue mode ---- */
static void queue_run(size_t size, unsigned long nops, unsigned int flags)
{
	struct iom_buffer *iomb = iom_create("model", size, flags);
	struct qent *q = calloc(size + 1, sizeof(*q));
	size_t head = 0, tail = 0, cap = size + 1, used = 0;	/* q is a ring too */
	size_t maxlen = min_t(size_t, size - 3, IOM_MAX_CHUNK);
	u64 head_drops = 0, tail_drops = 0;
	unsigned long n;

	CHECK(!IS_ERR(iomb) && q);
	for (n = 0; n < nops; n++, ops++) {
		u32 op = rnd_below(100);
		size_t len, got, need, i;
		int ret, mode;

		if (op < 99)
			ctx_enter();
		if (op < 45) {
			len = pick_len(maxlen);
			need = len + clen_of(len);
			mode = rnd_below(3);
			pattern(inbuf, len, (u32)ops);
			ret = iom_push(iomb, inbuf, len, mode);
			if (need > size) {
				CHECK(ret == -EMSGSIZE);
			} else if (used + need > size && mode == IOM_TAIL_DROP) {
				CHECK(ret == -ENOBUFS);
				tail_drops++;
			} else {
				CHECK(ret == 0);
				if (used + need > size && mode == IOM_DROP_ALL) {
					head_drops += (tail + cap - head) % cap;
					head = tail;
					used = 0;
				}
				while (used + need > size) {
					used -= q[head].len + clen_of(q[head].len);
					head = (head + 1) % cap;
					head_drops++;
				}
				q[tail].len = len;
				q[tail].seed = (u32)ops;
				tail = (tail + 1) % cap;
				used += need;
			}
		} else if (op < 85) {
			bool peek = op >= 80;
			size_t bufsize = rnd_below(10) ? 65536 : rnd_below(200);

			memset(outbuf, 0, 256);
			ret = peek ? iom_peek(iomb, outbuf, &got, bufsize) :
				     iom_shift(iomb, outbuf, &got, bufsize);
			if (head == tail) {
				CHECK(ret == -ENODATA);
			} else if (q[head].len > bufsize) {
				CHECK(ret == -EMSGSIZE && got == q[head].len);
			} else {
				CHECK(ret == 0 && got == q[head].len);
				pattern(inbuf, got, q[head].seed);
				if (memcmp(inbuf, outbuf, got))
					FAIL("shifted bytes differ (len %zu)", got);
				if (!peek) {
					used -= got + clen_of(got);
					head = (head + 1) % cap;
				}
			}
		} else if (op < 90) {
			ret = iom_peek_update(iomb);
			if (head == tail) {
				CHECK(ret == -ENODATA);
			} else {
				CHECK(ret == 0);
				used -= q[head].len + clen_of(q[head].len);
				head = (head + 1) % cap;
			}
		} else if (op < 99) {
			struct iom_iter it;

			iom_iter_init(iomb, &it);
			for (i = head; i != tail; i = (i + 1) % cap) {
				ret = iom_iter_next(iomb, &it, outbuf, &got, 65536);
				CHECK(ret == 0 && got == q[i].len);
				pattern(inbuf, got, q[i].seed);
				CHECK(!memcmp(inbuf, outbuf, got));
				if (rnd_below(8) == 0)
					break;
			}
			if (i == tail)
				CHECK(iom_iter_next(iomb, &it, outbuf, &got, 65536) == -ENODATA);
		} else {
			if (rnd_below(2))
				iom_reset(iomb);
			else
				iom_reset_secure(iomb);
			head = 0;
			tail = 0;
			used = 0;
		}
		ctx_exit();
		CHECK(iom_used(iomb) == used);
		CHECK(iom_space(iomb) == size - used);
		CHECK(iom_chunks(iomb) == (tail + cap - head) % cap);
		CHECK(iomb->head_drops == head_drops && iomb->tail_drops == tail_drops);
		if (size <= 4096 || n % 512 == 0)
			CHECK(iom_invariants_ok(iomb));
	}
	/* Drops never make the poison check cry wolf. */
	CHECK(iomb->corruptions == 0 && iomb->invalid_frees == 0);
	iom_reset(iomb);
	iom_destroy(iomb);
	free(q);
}

/* ---- allocator mode ---- */
struct aent {
	u8 *p;
	size_t len;
	u32 seed;
};

static void snap_check(struct iom_buffer *iomb, const struct iom_stats *before,
		       unsigned long in, unsigned long out, u64 bad)
{
	struct iom_stats st;

	iom_stats(iomb, &st);
	CHECK(st.invalid_frees == before->invalid_frees + bad);
	st.invalid_frees = before->invalid_frees;
	CHECK(!memcmp(&st, before, sizeof(st)));
	CHECK(iomb->in == in && iomb->out == out);
}

static void alloc_run(size_t size, unsigned long nops, unsigned int flags)
{
	struct iom_buffer *iomb = iom_create("model", size, flags);
	size_t cap = size + 1, head = 0, tail = 0;
	struct aent *a = calloc(cap, sizeof(*a));
	size_t maxlen = min_t(size_t, size - 3, IOM_MAX_CHUNK);
	unsigned long n;

	CHECK(!IS_ERR(iomb) && a);
	for (n = 0; n < nops; n++, ops++) {
		size_t live = (tail + cap - head) % cap;
		u32 op = rnd_below(100);

		ctx_enter();
		if (op < 50) {
			size_t len = pick_len(maxlen), need = len + clen_of(len);
			size_t expect_off = SIZE_MAX;	/* SIZE_MAX: must fail */
			u8 *p;

			if (!live) {
				if (need <= size)
					expect_off = 0;
			} else {
				struct aent *o = &a[head];
				struct aent *y = &a[(tail + cap - 1) % cap];
				size_t ostart = o->p - iomb->ring - clen_of(o->len);
				size_t ystart = y->p - iomb->ring - clen_of(y->len);
				size_t yend = y->p - iomb->ring + y->len;

				if (ystart >= ostart) {		/* not wrapped */
					if (need <= size - yend)
						expect_off = yend;
					else if (need <= ostart)
						expect_off = 0;
				} else if (need <= ostart - yend) {
					expect_off = yend;
				}
			}
			p = iom_alloc(iomb, len);
			if (expect_off == SIZE_MAX) {
				CHECK(!p);
			} else {
				CHECK(p);
				if ((size_t)(p - iomb->ring) != expect_off + clen_of(len))
					FAIL("chunk at %td, expected %zu", p - iomb->ring,
					     expect_off + clen_of(len));
				/* Its last granule may be the oldest chunk's too. */
				CHECK(ap_shim_kasan_live(p, len, false));
				pattern(p, len, (u32)ops);
				a[tail].p = p;
				a[tail].len = len;
				a[tail].seed = (u32)ops;
				tail = (tail + 1) % cap;
			}
		} else if (op < 95 || !live) {
			if (!live) {
				CHECK(iom_release(iomb, NULL) == 0);
				ctx_exit();
				continue;
			}
			pattern(inbuf, a[head].len, a[head].seed);
			if (memcmp(inbuf, a[head].p, a[head].len))
				FAIL("chunk bytes changed while allocated");
			CHECK(iom_release(iomb, a[head].p) == 0);
			/*
			 * Between the granules it may share with the chunks
			 * before and after it.
			 */
			if ((uintptr_t)a[head].p + 8 <
			    (((uintptr_t)a[head].p + a[head].len) & ~7UL))
				CHECK(ap_shim_kasan_freed(a[head].p + 8));
			head = (head + 1) % cap;
		} else {
			/* A bad release: younger chunk, interior, foreign. */
			struct iom_stats before;
			unsigned long in = iomb->in, out = iomb->out;
			u8 foreign[4];
			const u8 *bad;

			iom_stats(iomb, &before);
			switch (rnd_below(3)) {
			case 0:
				bad = live > 1 ? a[(head + 1 + rnd_below(live - 1)) % cap].p :
						 a[head].p + 1;
				break;
			case 1:
				bad = a[head].p + 1 + rnd_below(a[head].len);
				break;
			default:
				bad = foreign;
				break;
			}
			CHECK(iom_release(iomb, bad) == -EINVAL);
			bad_releases++;
			snap_check(iomb, &before, in, out, 1);
		}
		ctx_exit();
		if (size <= 4096 || n % 512 == 0)
			CHECK(iom_invariants_ok(iomb));
		{
			/* used follows from the live chunks' offsets alone */
			size_t used = 0;

			if ((tail + cap - head) % cap) {
				struct aent *o = &a[head];
				struct aent *y = &a[(tail + cap - 1) % cap];
				size_t ostart = o->p - iomb->ring - clen_of(o->len);
				size_t ystart = y->p - iomb->ring - clen_of(y->len);
				size_t yend = y->p - iomb->ring + y->len;

				used = ystart >= ostart ? yend - ostart :
					size - ostart + yend;
			}
			if (iom_used(iomb) != used)
				FAIL("used %zu, expected %zu", iom_used(iomb), used);
		}
	}
	while (head != tail) {
		CHECK(iom_release(iomb, a[head].p) == 0);
		head = (head + 1) % cap;
	}
	CHECK(iom_used(iomb) == 0 && iom_chunks(iomb) == 0);
	CHECK(iomb->corruptions == 0);
	iom_destroy(iomb);
	free(a);
}

/* Every chunk length at every starting offset of small rings. */
static void wrap_run(size_t size)
{
	struct iom_buffer *iomb = iom_create("wrap", size, IOM_POISON);
	size_t off, len, got;

	CHECK(!IS_ERR(iomb));
	for (off = 0; off < size; off++) {
		for (len = 1; len + clen_of(len) <= size; len++, ops++) {
			iom_reset(iomb);
			iomb->in = off + size * 3;	/* indices run freely */
			iomb->out = iomb->in;
			pattern(inbuf, len, off * 1000 + len);
			CHECK(iom_push(iomb, inbuf, len, IOM_TAIL_DROP) == 0);
			CHECK(iom_invariants_ok(iomb));
			CHECK(iom_shift(iomb, outbuf, &got, 65536) == 0);
			CHECK(got == len && !memcmp(inbuf, outbuf, len));
			CHECK(iom_invariants_ok(iomb) && iom_used(iomb) == 0);
		}
	}
	iom_destroy(iomb);
}

static bool fail_all(size_t size)
{
	return true;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 128, 256, 1024, 4096, 65536, 262144 };
	const char *env = getenv("AP_SEED");
	unsigned long long seed;
	unsigned int i;

	seed = argc > 1 ? strtoull(argv[1], NULL, 0) :
	       env ? strtoull(env, NULL, 0) : (unsigned long long)time(NULL);
	printf("fifo_model: seed %llu\n", seed);
	ap_shim_quiet = 2;	/* count reports, print none */
	rng = seed;
	inbuf = malloc(65536);
	outbuf = malloc(65536);
	CHECK(inbuf && outbuf);

	wrap_run(64);
	wrap_run(128);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		queue_run(sizes[i], 70000, 0);
		queue_run(sizes[i], 30000, IOM_POISON | IOM_MAINLY_EMPTY);
		alloc_run(sizes[i], 30000, 0);
		alloc_run(sizes[i], 15000, IOM_POISON);
	}

	/* create: bad arguments, vmalloc failure, duplicate name */
	CHECK(PTR_ERR(iom_create("x", 100, 0)) == -EINVAL);
	CHECK(PTR_ERR(iom_create("bad name", 128, 0)) == -EINVAL);
	ap_shim_fail_hook = fail_all;
	CHECK(PTR_ERR(iom_create("x", 128, 0)) == -ENOMEM);
	ap_shim_fail_hook = NULL;
	{
		struct iom_buffer *a = iom_create("dup", 128, 0);

		CHECK(!IS_ERR(a));
		CHECK(PTR_ERR(iom_create("dup", 128, 0)) == -EEXIST);
		iom_destroy(a);
	}

	/* Exactly one report per refused release, nothing else. */
	if (ap_shim_nr_err != bad_releases)
		FAIL("%lu error reports for %lu bad releases", ap_shim_nr_err,
		     bad_releases);
	CHECK(ap_shim_nr_WARN == 0);
	free(inbuf);
	free(outbuf);
	printf("fifo_model: %lu operations, all matched the models\n", ops);
	printf("fifo_model: operations in a task %lu, hard IRQ %lu, spinlock_t %lu, raw %lu\n",
	       ctx_ops[CTX_TASK], ctx_ops[CTX_HARDIRQ],
	       ctx_ops[CTX_SPINLOCK], ctx_ops[CTX_RAW_SPINLOCK]);
	return 0;
}
