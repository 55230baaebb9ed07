// SPDX-License-Identifier: GPL-2.0
/*
 * A client module of allocpools, and the demo.
 *
 * It uses only exported symbols.  At load it drives a private pool and the
 * default pool of each kind through a fixed script, so that the debugfs
 * statistics show known numbers (scripts/qemu_check.py checks them); at unload it gives
 * everything back.
 *
 * FIFO: a private 1 KiB queue "sample" gets eleven 100-byte chunks pushed
 * and six shifted, in an order that makes chunk 10 wrap around the end of
 * the ring; every byte shifted out, and every byte of the five chunks left
 * (read with the iterator), is checked, and a mismatch fails the load.
 * The default ring hands out four 200-byte iom_alloc() chunks, has the
 * oldest released, and refuses one out-of-order release.
 *
 * Buddy: a private 64 KiB arena "sample" (orders 6..16) serves 100, 4096 and
 * 64 bytes (orders 7, 12, 6), then the 100-byte block is freed, and freed
 * again (refused).  The default arena serves three 8 KiB blocks and frees
 * the first two, which merge into one 16 KiB block (the second's buddy is
 * below it).  The per-order free counts that follow are checked by the test.
 *
 * BGET: a private best-fit pool "sample" starts empty and grows through the
 * sample's own callbacks (pool_incr 64 KiB): 1000 bytes make it acquire one
 * expansion block, 2000 zeroed bytes come from the same block, 100000
 * bytes get a direct block, which is released when freed; the first buffer
 * is grown to 3000 bytes, the 2000-byte one freed, and an interior pointer
 * refused.  The default pool serves three buffers and frees one.
 *
 * Size classes: a private 64 KiB heap "sample" serves 8, 9 and twice 100
 * bytes (classes 8, 16, 128), frees one 100-byte object and refuses its
 * double free.  "sample-b" takes slabs from a private 256 KiB buddy arena
 * "slabs": three 32-byte objects share one page slab, a 5000-byte object
 * takes a block of its own, which goes back to the arena when freed, as
 * does one 32-byte object.  The default heap serves ten 64-byte objects and
 * frees five.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <allocpools/allocpools.h>

#define SAMPLE_ALLOCS	4

static struct iom_buffer *queue;
static struct buddy_arena *arena;
static void *blocks[3];
static void *def_block;
static struct bget_pool *bpool;
static void *bufs[3];
static void *def_bufs[2];
static int compactions, acquired, released;
static struct bump_slab *heap, *slabbed;
static struct buddy_arena *slab_arena;
static void *objs[3], *bobjs[2], *def_objs[5];
static void *chunks[SAMPLE_ALLOCS];
static unsigned int first_live;

static void sample_msg(u8 *msg, size_t len, int n)
{
	size_t i;

	for (i = 0; i < len; i++)
		msg[i] = n * 7 + i;
}

static int sample_push(int from, int to)
{
	u8 msg[100];
	int n, ret;

	for (n = from; n < to; n++) {
		sample_msg(msg, sizeof(msg), n);
		ret = iom_push(queue, msg, sizeof(msg), IOM_TAIL_DROP);
		if (ret)
			return ret;
	}
	return 0;
}

static int sample_shift(int from, int to)
{
	u8 msg[100], out[100];
	size_t len;
	int n, ret;

	for (n = from; n < to; n++) {
		ret = iom_shift(queue, out, &len, sizeof(out));
		if (ret)
			return ret;
		sample_msg(msg, sizeof(msg), n);
		if (len != sizeof(out) || memcmp(msg, out, len)) {
			pr_err("fifo: chunk %d came back wrong\n", n);
			return -EIO;
		}
	}
	return 0;
}

static int sample_walk(int from, int to)
{
	u8 msg[100], out[100];
	struct iom_iter it;
	size_t len;
	int n, ret;

	iom_iter_init(queue, &it);
	for (n = from; n < to; n++) {
		ret = iom_iter_next(queue, &it, out, &len, sizeof(out));
		if (ret)
			return ret;
		sample_msg(msg, sizeof(msg), n);
		if (len != sizeof(out) || memcmp(msg, out, len)) {
			pr_err("fifo: queued chunk %d reads back wrong\n", n);
			return -EIO;
		}
	}
	return iom_iter_next(queue, &it, out, &len, sizeof(out)) == -ENODATA ?
	       0 : -EIO;
}

static int sample_fifo(void)
{
	struct iom_buffer *def = iom_default();
	int i, ret;

	/* 101 bytes a chunk: chunks 10 and 11 cross the end of the ring. */
	queue = iom_create("sample", 1024, IOM_POISON);
	if (IS_ERR(queue))
		return PTR_ERR(queue);
	ret = sample_push(0, 8) ?: sample_shift(0, 3) ?: sample_push(8, 11) ?:
	      sample_shift(3, 6) ?: sample_walk(6, 11);
	if (ret)
		return ret;

	if (!def)
		return 0;
	for (i = 0; i < SAMPLE_ALLOCS; i++) {
		chunks[i] = iom_alloc(def, 200);
		if (!chunks[i])
			return -ENOMEM;
		memset(chunks[i], i, 200);
	}
	/* Out of order: refused, counted in invalid_frees. */
	if (iom_release(def, chunks[2]) != -EINVAL)
		return -EIO;
	ret = iom_release(def, chunks[0]);
	if (ret)
		return ret;
	first_live = 1;
	pr_info("fifo: pushed 11, shifted 6 on \"sample\"; allocated %d, released 1 on \"default\"\n",
		SAMPLE_ALLOCS);
	return 0;
}

static void sample_fifo_exit(void)
{
	struct iom_buffer *def = iom_default();

	while (def && first_live < SAMPLE_ALLOCS && chunks[first_live])
		iom_release(def, chunks[first_live++]);
	/* What is still queued is dropped, not leaked: no warning. */
	if (!IS_ERR_OR_NULL(queue))
		iom_reset(queue);
	iom_destroy(queue);
	queue = NULL;
}

static int sample_buddy(void)
{
	struct buddy_arena *def = buddy_arena_default();
	void *first, *second;
	int ret;

	arena = buddy_arena_create("sample", SZ_64K, 6, 16, BUDDY_ARENA_POISON);
	if (IS_ERR(arena))
		return PTR_ERR(arena);
	blocks[0] = buddy_arena_alloc(arena, 100, GFP_KERNEL);
	blocks[1] = buddy_arena_alloc(arena, 4096, GFP_KERNEL);
	blocks[2] = buddy_arena_alloc(arena, 64, GFP_KERNEL);
	if (!blocks[0] || !blocks[1] || !blocks[2])
		return -ENOMEM;
	if (buddy_arena_block_size(arena, blocks[1]) != 4096)
		return -EIO;
	ret = buddy_arena_free(arena, blocks[0]);
	if (ret)
		return ret;
	/* A double free: refused and counted, the arena unchanged. */
	if (buddy_arena_free(arena, blocks[0]) != -EINVAL)
		return -EIO;
	blocks[0] = NULL;

	if (!def)
		return 0;
	first = buddy_arena_alloc(def, SZ_8K, GFP_KERNEL);
	second = buddy_arena_alloc(def, SZ_8K, GFP_KERNEL);
	def_block = buddy_arena_alloc(def, SZ_8K, GFP_KERNEL);
	if (!first || !second || !def_block) {
		buddy_arena_free(def, first);
		buddy_arena_free(def, second);
		return -ENOMEM;
	}
	return buddy_arena_free(def, first) ?: buddy_arena_free(def, second);
}

static void sample_buddy_exit(void)
{
	int i;

	buddy_arena_free(buddy_arena_default(), def_block);
	def_block = NULL;
	for (i = 0; i < ARRAY_SIZE(blocks); i++) {
		if (!IS_ERR_OR_NULL(arena))
			buddy_arena_free(arena, blocks[i]);
		blocks[i] = NULL;
	}
	buddy_arena_destroy(arena);
	arena = NULL;
}

static int sample_compact(struct bget_pool *bp, size_t sizereq, int sequence)
{
	compactions++;
	return 0;	/* nothing to give back */
}

static void *sample_acquire(struct bget_pool *bp, size_t size, gfp_t gfp)
{
	void *p;

	if (!gfpflags_allow_blocking(gfp))
		return NULL;
	p = vmalloc(size);
	if (p)
		acquired++;
	return p;
}

static void sample_release(struct bget_pool *bp, void *buf)
{
	released++;
	vfree(buf);
}

static const struct bget_ops sample_bget_ops = {
	.compact = sample_compact,
	.acquire = sample_acquire,
	.release = sample_release,
};

static int sample_bget(void)
{
	struct bget_pool *def = bget_pool_default();
	u8 *grown;
	int ret;

	bpool = bget_pool_create("sample", 0, BGET_BEST_FIT | BGET_POISON);
	if (IS_ERR(bpool))
		return PTR_ERR(bpool);
	ret = bget_pool_ctl(bpool, &sample_bget_ops, SZ_64K);
	if (ret)
		return ret;
	bufs[0] = bget_alloc(bpool, 1000, GFP_KERNEL);
	bufs[1] = bget_zalloc(bpool, 2000, GFP_KERNEL);
	bufs[2] = bget_alloc(bpool, 100000, GFP_KERNEL);
	if (!bufs[0] || !bufs[1] || !bufs[2])
		return -ENOMEM;
	memset(bufs[0], 0x42, 1000);
	grown = bget_realloc(bpool, bufs[0], 3000, GFP_KERNEL);
	if (!grown || grown[999] != 0x42)
		return -EIO;
	bufs[0] = grown;
	ret = bget_free(bpool, bufs[2]) ?: bget_free(bpool, bufs[1]);
	bufs[1] = NULL;
	bufs[2] = NULL;
	if (ret)
		return ret;
	if (bget_free(bpool, grown + 16) != -EINVAL)
		return -EIO;
	if (!bget_pool_validate(bpool))
		return -EIO;
	pr_info("bget: %d compactions, %d blocks acquired, %d released\n",
		compactions, acquired, released);

	if (!def)
		return 0;
	def_bufs[0] = bget_alloc(def, 500, GFP_KERNEL);
	def_bufs[1] = bget_alloc(def, 700, GFP_KERNEL);
	grown = bget_alloc(def, 900, GFP_KERNEL);
	if (!def_bufs[0] || !def_bufs[1] || !grown)
		return -ENOMEM;
	return bget_free(def, grown);
}

static void sample_bget_exit(void)
{
	struct bget_pool *def = bget_pool_default();
	int i;

	for (i = 0; i < ARRAY_SIZE(def_bufs); i++) {
		if (def)
			bget_free(def, def_bufs[i]);
		def_bufs[i] = NULL;
	}
	for (i = 0; i < ARRAY_SIZE(bufs); i++) {
		if (!IS_ERR_OR_NULL(bpool))
			bget_free(bpool, bufs[i]);
		bufs[i] = NULL;
	}
	bget_pool_destroy(bpool);
	bpool = NULL;
}

static int sample_bump_slab(void)
{
	struct bump_slab *def = bump_slab_default();
	void *c, *big;
	int i, ret;

	heap = bump_slab_create("sample", SZ_64K, BUMP_SLAB_POISON);
	if (IS_ERR(heap))
		return PTR_ERR(heap);
	objs[0] = bump_slab_alloc(heap, 8, GFP_KERNEL);
	objs[1] = bump_slab_alloc(heap, 9, GFP_KERNEL);
	c = bump_slab_alloc(heap, 100, GFP_KERNEL);
	objs[2] = bump_slab_alloc(heap, 100, GFP_KERNEL);
	if (!objs[0] || !objs[1] || !c || !objs[2])
		return -ENOMEM;
	if (bump_slab_size(heap, objs[1]) != 16)
		return -EIO;
	ret = bump_slab_free(heap, c);
	if (ret)
		return ret;
	if (bump_slab_free(heap, c) != -EINVAL)
		return -EIO;

	slab_arena = buddy_arena_create("slabs", SZ_256K, 6, 18, 0);
	if (IS_ERR(slab_arena))
		return PTR_ERR(slab_arena);
	slabbed = bump_slab_create_on("sample-b", slab_arena, 0);
	if (IS_ERR(slabbed))
		return PTR_ERR(slabbed);
	c = bump_slab_alloc(slabbed, 32, GFP_KERNEL);
	bobjs[0] = bump_slab_alloc(slabbed, 32, GFP_KERNEL);
	bobjs[1] = bump_slab_alloc(slabbed, 32, GFP_KERNEL);
	big = bump_slab_alloc(slabbed, 5000, GFP_KERNEL);
	if (!c || !bobjs[0] || !bobjs[1] || !big)
		return -ENOMEM;
	ret = bump_slab_free(slabbed, big) ?: bump_slab_free(slabbed, c);
	if (ret)
		return ret;

	if (!def)
		return 0;
	for (i = 0; i < 10; i++) {
		c = bump_slab_alloc(def, 64, GFP_KERNEL);
		if (!c)
			return -ENOMEM;
		if (i & 1)
			def_objs[i / 2] = c;
		else if (bump_slab_free(def, c))
			return -EIO;
	}
	return 0;
}

static void sample_bump_slab_exit(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(def_objs); i++) {
		bump_slab_free(bump_slab_default(), def_objs[i]);
		def_objs[i] = NULL;
	}
	for (i = 0; i < ARRAY_SIZE(bobjs); i++) {
		if (!IS_ERR_OR_NULL(slabbed))
			bump_slab_free(slabbed, bobjs[i]);
		bobjs[i] = NULL;
	}
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		if (!IS_ERR_OR_NULL(heap))
			bump_slab_free(heap, objs[i]);
		objs[i] = NULL;
	}
	bump_slab_destroy(slabbed);
	slabbed = NULL;
	buddy_arena_destroy(slab_arena);
	slab_arena = NULL;
	bump_slab_destroy(heap);
	heap = NULL;
}

static int __init sample_init(void)
{
	int ret = sample_fifo();

	if (ret) {
		pr_err("FIFO script failed: %d\n", ret);
		sample_fifo_exit();
		return ret;
	}
	ret = sample_buddy();
	if (ret) {
		pr_err("buddy script failed: %d\n", ret);
		goto buddy;
	}
	ret = sample_bget();
	if (ret) {
		pr_err("bget script failed: %d\n", ret);
		goto bget;
	}
	ret = sample_bump_slab();
	if (ret) {
		pr_err("bump_slab script failed: %d\n", ret);
		goto bump_slab;
	}
	pr_info("loaded\n");
	return 0;

bump_slab:
	sample_bump_slab_exit();
bget:
	sample_bget_exit();
buddy:
	sample_buddy_exit();
	sample_fifo_exit();
	return ret;
}

static void __exit sample_exit(void)
{
	sample_bump_slab_exit();
	sample_bget_exit();
	sample_buddy_exit();
	sample_fifo_exit();
	pr_info("unloaded\n");
}

module_init(sample_init);
module_exit(sample_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("allocpools sample client");
MODULE_IMPORT_NS(ALLOCPOOLS_NS);
