// SPDX-License-Identifier: GPL-2.0
/*
 * Module init/exit, parameters and the default pools.
 *
 * Loading the module creates the debugfs root and one pool of each kind
 * named "default", sized by the parameters below (0 leaves that pool out).
 * Clients reach them through the *_default() accessors, which return NULL
 * for a pool that was left out.  The pointers are set before module_init
 * returns and cleared only at unload, when no client can be loaded.
 */

#define pr_fmt(fmt) "allocpools: " fmt

#include <linux/err.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/sizes.h>

#include <allocpools/allocpools.h>
#include "allocpools_internal.h"

static unsigned long fifo_size = SZ_1M;
module_param(fifo_size, ulong, 0444);
MODULE_PARM_DESC(fifo_size, "bytes in the default FIFO ring: 0 or a power of two, 64 B..1 GiB (default 1 MiB)");

static unsigned long buddy_size = SZ_4M;
module_param(buddy_size, ulong, 0444);
MODULE_PARM_DESC(buddy_size, "bytes in the default buddy arena: 0, or enough for one block of 2^buddy_min_order (default 4 MiB)");

static uint buddy_min_order = 6;
module_param(buddy_min_order, uint, 0444);
MODULE_PARM_DESC(buddy_min_order, "smallest block order of the default buddy arena, 4..30 (default 6); max_order is the largest that fits buddy_size");

static unsigned long bget_size = SZ_1M;
module_param(bget_size, ulong, 0444);
MODULE_PARM_DESC(bget_size, "bytes in the default BGET pool's initial region: 0 or at least 128 (default 1 MiB)");

static unsigned long slab_size = SZ_4M;
module_param(slab_size, ulong, 0444);
MODULE_PARM_DESC(slab_size, "bytes in the default size-class heap (heap mode): 0 leaves it out (default 4 MiB)");

static struct iom_buffer *default_iom;
static struct buddy_arena *default_buddy;
static struct bget_pool *default_bget;
static struct bump_slab *default_slab;

/**
 * iom_default() - the FIFO ring created at module load
 *
 * Context: any context.
 * Return: the ring named "default", or NULL when fifo_size was 0.
 */
struct iom_buffer *iom_default(void)
{
	return default_iom;
}
EXPORT_SYMBOL_NS_GPL(iom_default, ALLOCPOOLS_NS);

/**
 * buddy_arena_default() - the buddy arena created at module load
 *
 * Context: any context.
 * Return: the arena named "default", or NULL when buddy_size was 0.
 */
struct buddy_arena *buddy_arena_default(void)
{
	return default_buddy;
}
EXPORT_SYMBOL_NS_GPL(buddy_arena_default, ALLOCPOOLS_NS);

/**
 * bget_pool_default() - the BGET pool created at module load
 *
 * Context: any context.
 * Return: the pool named "default", or NULL when bget_size was 0.
 */
struct bget_pool *bget_pool_default(void)
{
	return default_bget;
}
EXPORT_SYMBOL_NS_GPL(bget_pool_default, ALLOCPOOLS_NS);

/**
 * bump_slab_default() - the size-class heap created at module load
 *
 * Context: any context.
 * Return: the heap named "default", or NULL when slab_size was 0.
 */
struct bump_slab *bump_slab_default(void)
{
	return default_slab;
}
EXPORT_SYMBOL_NS_GPL(bump_slab_default, ALLOCPOOLS_NS);

static int __init create_default_iom(void)
{
	if (!fifo_size)
		return 0;
	default_iom = iom_create("default", fifo_size, 0);
	if (IS_ERR(default_iom)) {
		pr_err("fifo_size=%lu: cannot create the default FIFO ring (%pe); it must be 0 or a power of two from 64 B to 1 GiB\n",
		       fifo_size, default_iom);
		return PTR_ERR(default_iom);
	}
	return 0;
}

static int __init create_default_buddy(void)
{
	unsigned int max_order;

	if (!buddy_size)
		return 0;
	max_order = min_t(unsigned int, ilog2(buddy_size), BUDDY_ARENA_MAX_ORDER);
	default_buddy = buddy_arena_create("default", buddy_size,
					   buddy_min_order, max_order, 0);
	if (IS_ERR(default_buddy)) {
		pr_err("buddy_size=%lu buddy_min_order=%u: cannot create the default buddy arena (%pe); buddy_min_order must be 4..30 and buddy_size must hold one block of that order\n",
		       buddy_size, buddy_min_order, default_buddy);
		return PTR_ERR(default_buddy);
	}
	return 0;
}

static int __init create_default_bget(void)
{
	if (!bget_size)
		return 0;
	default_bget = bget_pool_create("default", bget_size, 0);
	if (IS_ERR(default_bget)) {
		pr_err("bget_size=%lu: cannot create the default BGET pool (%pe)\n",
		       bget_size, default_bget);
		return PTR_ERR(default_bget);
	}
	return 0;
}

static int __init create_default_slab(void)
{
	if (!slab_size)
		return 0;
	default_slab = bump_slab_create("default", slab_size, 0);
	if (IS_ERR(default_slab)) {
		pr_err("slab_size=%lu: cannot create the default size-class heap (%pe)\n",
		       slab_size, default_slab);
		return PTR_ERR(default_slab);
	}
	return 0;
}

static void destroy_defaults(void)
{
	/* All take ERR_PTR values, left by a failed create, as no-ops. */
	bump_slab_destroy(default_slab);
	default_slab = NULL;
	bget_pool_destroy(default_bget);
	default_bget = NULL;
	buddy_arena_destroy(default_buddy);
	default_buddy = NULL;
	iom_destroy(default_iom);
	default_iom = NULL;
}

static int __init allocpools_init(void)
{
	int ret;

	ret = ap_core_init();
	if (ret)
		return ret;
	ret = buddy_arena_cpuhp_init();
	if (ret)
		goto core_exit;
	ret = bget_pool_cpuhp_init();
	if (ret)
		goto buddy_exit;
	ret = bump_slab_cpuhp_init();
	if (ret)
		goto bget_exit;
	ret = create_default_iom() ?: create_default_buddy() ?:
	      create_default_bget() ?: create_default_slab();
	if (ret)
		goto fail;
	return 0;

fail:
	destroy_defaults();
	bump_slab_cpuhp_exit();
bget_exit:
	bget_pool_cpuhp_exit();
buddy_exit:
	buddy_arena_cpuhp_exit();
core_exit:
	ap_core_exit();
	return ret;
}

static void __exit allocpools_exit(void)
{
	destroy_defaults();
	bump_slab_cpuhp_exit();
	bget_pool_cpuhp_exit();
	buddy_arena_cpuhp_exit();
	ap_core_exit();
}

module_init(allocpools_init);
module_exit(allocpools_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("allocpools developers");
MODULE_DESCRIPTION("FIFO, buddy, BGET and size-class pool allocators over vmalloc'd regions");
/* The release: dkms.conf reads its PACKAGE_VERSION from this line. */
MODULE_VERSION("0.1.0");
