/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _AP_SHIM_LINUX_RANDOM_H
#define _AP_SHIM_LINUX_RANDOM_H
#include "../ap_shim.h"

/*
 * Secrets for hardened free-list links.  Not random: splitmix64 over a
 * counter, so that a test that fails replays exactly with the same seed.
 */
static inline u64 get_random_u64(void)
{
	static u64 ap_shim_random_state;
	u64 z = __atomic_add_fetch(&ap_shim_random_state,
				   0x9e3779b97f4a7c15ULL, __ATOMIC_RELAXED);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline unsigned long get_random_long(void)
{
	return get_random_u64();
}

#endif
