// SPDX-License-Identifier: GPL-2.0
/*
 * fifo_fuzz.c - libFuzzer target: each input is a script of push (in all
 * three modes), shift, peek, alloc, release, reset and iterate operations on
 * one small ring, poisoned or not; the invariant checker runs after each,
 * and a shadow queue checks every byte that comes back out.  Every call but
 * the resets runs in the shim's hard-IRQ mode, as PREEMPT_RT would see it.
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

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const size_t rings[] = { 64, 128, 256, 512 };
	struct iom_buffer *iomb;
	u8 tags[600], buf[600];
	size_t lens[600], head = 0, tail = 0, i = 1, i2, len, got;
	u8 *chunks[600];
	int ret;

	if (!size)
		return 0;
	ap_shim_quiet = 2;
	iomb = iom_create("fuzz", rings[data[0] & 3],
			  (data[0] & 4 ? IOM_POISON : 0) |
			  (data[0] & 8 ? IOM_MAINLY_EMPTY : 0));
	if (IS_ERR(iomb))
		abort();
	while (i + 1 < size && tail < 600) {
		u8 op = data[i] & 7, arg = data[i + 1];

		i += 2;
		len = arg % (iomb->size - 2) + 1;
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
				lens[tail++] = len;
			}
			break;
		case 2:
			ret = iom_shift(iomb, buf, &got, sizeof(buf));
			if (ret == 0) {
				if (head == tail || lens[head] != got ||
				    !same(buf, got, tags[head]))
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
			if (chunks[tail]) {
				tag_fill(chunks[tail], len, (u8)i);
				tags[tail] = i;
				lens[tail++] = len;
			}
			break;
		case 4:
			if (head < tail && iomb->alloc_mode) {
				if (!same(chunks[head], lens[head], tags[head]))
					abort();
				if (iom_release(iomb, chunks[head]))
					abort();
				head++;
			} else if (iom_release(iomb, buf) != (iomb->chunks ? -EBUSY : -EINVAL)) {
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
			head = tail;
			break;
		default: {
			struct iom_iter it;

			iom_iter_init(iomb, &it);
			while (!iom_iter_next(iomb, &it, buf, &got, sizeof(buf)))
				;
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
		if (!iom_invariants_ok(iomb))
			abort();
		if (iom_space(iomb) + iom_used(iomb) != iomb->size)
			abort();
	}
	if (iomb->corruptions)
		abort();	/* nothing here writes where it should not */
	iom_reset(iomb);
	iom_destroy(iomb);
	return 0;
}
