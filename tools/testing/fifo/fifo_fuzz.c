// SPDX-License-Identifier: GPL-2.0
/*
 * fifo_fuzz.c - libFuzzer target: each input is a script of push (in all
 * three modes), shift, peek, alloc, release, reset and iterate operations on
 * one small ring, poisoned or not; the invariant checker runs after each,
 * and a shadow queue checks every byte that comes back out.  Every call but
 * the resets runs in the shim's hard-IRQ mode, as PREEMPT_RT would see it.
 *
 * Damage ops write input bytes where a buggy client would: into free ring
 * space, over a queued or allocated chunk's cookie, and past the end of an
 * iom_alloc() chunk into whatever follows it.  From the first of them on,
 * the ring is "dirty": shifted data need no longer match the shadow and
 * the invariant checker (which trusts cookies and poison) is not called,
 * until iom_reset_secure() rewrites every byte.  What must still hold:
 * no crash and no sanitizer report; shifts and peeks return at most 65535
 * bytes; every iom_alloc() chunk lies in the ring, overlaps no chunk a
 * caller still holds, and its release (oldest first) succeeds; used and
 * space add up to the size; damage is counted only after damage was done.
 *
 * The first byte's bit 4 makes it an IOM_SPSC ring (without
 * IOM_MAINLY_EMPTY, which SPSC refuses), driven from this one thread: its
 * lock-free paths, their drop-mode refusals and their damage handling.
 */
#include "../../../mempool_fifo.c"

static void tag_fill(u8 *p, size_t len, u8 tag)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = tag + i;
}

static bool same(const u8 *p, size_t len, u8 tag)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (u8)(tag + i))
			return false;
	return true;
}

/* Write up to 4 input bytes from @src at ring offset @off, inside the ring. */
static size_t damage(struct iom_buffer *iomb, size_t off, const u8 *src,
		     size_t avail, u8 arg)
{
	size_t n = min_t(size_t, (arg & 3) + 1, avail), k;

	for (k = 0; k < n; k++)
		ap_kasan_write_u8(&iomb->ring[(off + k) & (iomb->size - 1)],
				  src[k]);
	return n;
}

/* Does [p, p + len) overlap a live chunk, chunks[head..tail)? */
static bool overlaps(u8 *const *chunks, const size_t *lens, size_t head,
		     size_t tail, const u8 *p, size_t len)
{
	for (; head < tail; head++)
		if (p < chunks[head] + lens[head] && chunks[head] < p + len)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const size_t rings[] = { 64, 128, 256, 512 };
	struct iom_buffer *iomb;
	u8 tags[600], buf[600];
	size_t lens[600], cpos[600], head = 0, tail = 0, i = 1, i2, len, got;
	bool dirty = false, ever_dirty = false;
	u8 *chunks[600];
	u64 corruptions = 0;
	struct iom_stats st;
	unsigned int flags;
	int ret;

	if (!size)
		return 0;
	ap_shim_quiet = 2;
	flags = (data[0] & 4 ? IOM_POISON : 0) |
		(data[0] & 8 ? IOM_MAINLY_EMPTY : 0);
	if (data[0] & 16)
		flags = (flags & ~IOM_MAINLY_EMPTY) | IOM_SPSC;
	iomb = iom_create("fuzz", rings[data[0] & 3], flags);
	if (IS_ERR(iomb))
		abort();
	while (i + 1 < size && tail < 600) {
		u8 op = data[i] & 15, arg = data[i + 1];

		i += 2;
		len = arg % (iomb->size - 2) + 1;
		if (op >= 8 && op < 14) {
			size_t used = iomb->in - iomb->out, off;

			if (op < 10) {		/* free space */
				if (used == iomb->size)
					continue;
				off = iomb->in + arg % (iomb->size - used);
			} else if (op < 12) {	/* a cookie */
				if (head == tail)
					continue;
				off = cpos[head + arg % (tail - head)];
			} else {		/* past an iom_alloc() chunk */
				if (head == tail || !iomb->alloc_mode)
					continue;
				i2 = head + arg % (tail - head);
				off = chunks[i2] - iomb->ring + lens[i2];
				if (off >= iomb->size)
					continue;
			}
			i += damage(iomb, off, data + i, size - i, arg >> 4);
			dirty = true;
			ever_dirty = true;
			continue;
		}
		if (op >= 14)
			op = op == 14 ? 2 : 7;
		if (op != 6)
			ap_shim_hardirq_enter();
		switch (op) {
		case 0:
		case 1:
			tag_fill(buf, len, (u8)i);
			/* op 0 is a tail-dropping push, op 1 the other two */
			ret = iom_push(iomb, buf, len,
				       op == 0 ? IOM_TAIL_DROP :
				       arg & 1 ? IOM_HEAD_DROP : IOM_DROP_ALL);
			if (!ret) {
				tags[tail] = i;
				cpos[tail] = (iomb->in - len - cookie_len(len)) &
					     (iomb->size - 1);
				lens[tail++] = len;
			}
			break;
		case 2:
			ret = iom_shift(iomb, buf, &got, sizeof(buf));
			if (ret == 0) {
				if (head == tail || got > IOM_MAX_CHUNK ||
				    (!dirty && (lens[head] != got ||
						!same(buf, got, tags[head]))))
					abort();
				head++;
			}
			break;
		case 3:
			chunks[tail] = iom_alloc(iomb, len);
			/* poisoned, whatever was dropped there before */
			if (chunks[tail] && (iomb->flags & IOM_POISON) &&
			    memchr_inv(chunks[tail], POISON_FREE, len))
				abort();
			if (chunks[tail] &&
			    (chunks[tail] < iomb->ring ||
			     chunks[tail] + len > iomb->ring + iomb->size ||
			     overlaps(chunks, lens, head, tail, chunks[tail], len)))
				abort();
			if (chunks[tail]) {
				cpos[tail] = chunks[tail] - iomb->ring -
					     cookie_len(len);
				tag_fill(chunks[tail], len, (u8)i);
				tags[tail] = i;
				lens[tail++] = len;
			}
			break;
		case 4:
			if (head < tail && iomb->alloc_mode) {
				if (!dirty &&
				    !same(chunks[head], lens[head], tags[head]))
					abort();
				if (iom_release(iomb, chunks[head]))
					abort();
				head++;
			} else if (iom_release(iomb, buf) !=
				   (iom_chunks(iomb) ? -EBUSY : -EINVAL)) {
				abort();
			}
			break;
		case 5:
			/* any chunk but the oldest is refused */
			if (head + 1 < tail && iomb->alloc_mode) {
				i2 = head + 1 + arg % (tail - head - 1);
				if (iom_release(iomb, chunks[i2]) != -EINVAL)
					abort();
			}
			break;
		case 6:
			if (arg & 1)
				iom_reset_secure(iomb);
			else
				iom_reset(iomb);
			/* every byte rewritten, or nothing damaged is read */
			if (arg & 1 || !(iomb->flags & IOM_POISON))
				dirty = false;
			head = tail;
			break;
		default: {
			struct iom_iter it;

			iom_iter_init(iomb, &it);
			while (!iom_iter_next(iomb, &it, buf, &got, sizeof(buf)))
				if (got > IOM_MAX_CHUNK)
					abort();
			if (arg & 2 && !iom_peek(iomb, buf, &got, sizeof(buf)) &&
			    (got > IOM_MAX_CHUNK ||
			     (!dirty && (head == tail || lens[head] != got ||
					 !same(buf, got, tags[head])))))
				abort();
			if (arg & 1 && !iom_peek_update(iomb))
				head++;
			break;
		}
		}
		if (op != 6)
			ap_shim_hardirq_exit();
		/* Drops only ever take the oldest chunks. */
		if (tail - head < iom_chunks(iomb))
			abort();
		head = tail - iom_chunks(iomb);
		if (!dirty && !iom_invariants_ok(iomb))
			abort();
		if (iom_used(iomb) > iomb->size ||
		    iom_space(iomb) + iom_used(iomb) != iomb->size)
			abort();
		/* damage found only where damage was done, and counted */
		iom_stats(iomb, &st);
		if (st.corruptions < corruptions ||
		    (st.corruptions && !ever_dirty) ||
		    st.invalid_frees < st.corruptions)
			abort();
		corruptions = st.corruptions;
	}
	iom_reset(iomb);
	iom_destroy(iomb);
	return 0;
}
