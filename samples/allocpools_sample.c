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
 * and six shifted, in an order that makes chunks wrap around the end of the
 * ring; every byte shifted out is checked, and a mismatch fails the load.
 * The default ring hands out four 200-byte iom_alloc() chunks, has the
 * oldest released, and refuses one out-of-order release.
 *
 * Buddy: a private 64 KiB arena "sample" (orders 6..16) serves 100, 4096 and
 * 64 bytes (orders 7, 12, 6), then the 100-byte block is freed, and freed
 * again (refused).  The default arena serves two 8 KiB blocks and frees the
 * first.  The per-order free counts that follow are checked by the test.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include <allocpools/allocpools.h>

#define SAMPLE_ALLOCS	4

static struct iom_buffer *queue;
static struct buddy_arena *arena;
static void *blocks[3];
static void *def_block;
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

static int sample_fifo(void)
{
	struct iom_buffer *def = iom_default();
	int i, ret;

	/* 101 bytes a chunk: chunks 10 and 11 cross the end of the ring. */
	queue = iom_create("sample", 1024, IOM_POISON);
	if (IS_ERR(queue))
		return PTR_ERR(queue);
	ret = sample_push(0, 8) ?: sample_shift(0, 3) ?: sample_push(8, 11) ?:
	      sample_shift(3, 6);
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
	iom_destroy(queue);
	queue = NULL;
}

static int sample_buddy(void)
{
	struct buddy_arena *def = buddy_arena_default();
	void *first;
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
	def_block = buddy_arena_alloc(def, SZ_8K, GFP_KERNEL);
	if (!first || !def_block) {
		buddy_arena_free(def, first);
		return -ENOMEM;
	}
	return buddy_arena_free(def, first);
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
		sample_buddy_exit();
		sample_fifo_exit();
		return ret;
	}
	pr_info("loaded\n");
	return 0;
}

static void __exit sample_exit(void)
{
	sample_buddy_exit();
	sample_fifo_exit();
	pr_info("unloaded\n");
}

module_init(sample_init);
module_exit(sample_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("allocpools sample client");
MODULE_IMPORT_NS(ALLOCPOOLS_NS);
