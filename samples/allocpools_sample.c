// SPDX-License-Identifier: GPL-2.0
/*
 * A client module of allocpools, and the demo.
 *
 * It uses only exported symbols.  At load it drives a private pool and the
 * default pool of each kind through a fixed script, so that the debugfs
 * statistics show known numbers (tests/qemu checks them); at unload it gives
 * everything back.
 *
 * FIFO: a private queue "sample" (4 KiB) gets eight 100-byte chunks pushed
 * and three shifted; the default ring hands out four 200-byte iom_alloc()
 * chunks, has the oldest released, and refuses one out-of-order release.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>

#include <allocpools/allocpools.h>

#define SAMPLE_PUSHES	8
#define SAMPLE_SHIFTS	3
#define SAMPLE_ALLOCS	4

static struct iom_buffer *queue;
static void *chunks[SAMPLE_ALLOCS];
static unsigned int first_live;

static int sample_fifo(void)
{
	struct iom_buffer *def = iom_default();
	u8 msg[100], out[100];
	size_t len;
	int i, ret;

	queue = iom_create("sample", 4096, IOM_POISON);
	if (IS_ERR(queue))
		return PTR_ERR(queue);
	for (i = 0; i < SAMPLE_PUSHES; i++) {
		memset(msg, 'a' + i, sizeof(msg));
		ret = iom_push(queue, msg, sizeof(msg), IOM_TAIL_DROP);
		if (ret)
			return ret;
	}
	for (i = 0; i < SAMPLE_SHIFTS; i++) {
		ret = iom_shift(queue, out, &len, sizeof(out));
		if (ret)
			return ret;
		if (len != sizeof(out) || out[0] != 'a' + i || out[99] != 'a' + i)
			return -EIO;
	}

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
	pr_info("fifo: pushed %d, shifted %d on \"sample\"; allocated %d, released 1 on \"default\"\n",
		SAMPLE_PUSHES, SAMPLE_SHIFTS, SAMPLE_ALLOCS);
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

static int __init sample_init(void)
{
	int ret = sample_fifo();

	if (ret) {
		pr_err("FIFO script failed: %d\n", ret);
		sample_fifo_exit();
		return ret;
	}
	pr_info("loaded\n");
	return 0;
}

static void __exit sample_exit(void)
{
	sample_fifo_exit();
	pr_info("unloaded\n");
}

module_init(sample_init);
module_exit(sample_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("allocpools sample client");
MODULE_IMPORT_NS(ALLOCPOOLS_NS);
