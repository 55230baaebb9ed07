// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite allocpools_core: what the registry (allocpools_core.c) does
 * for every kind: the naming rule and the per-pool rate limit on reports.
 */

#include <kunit/test.h>
#include <linux/seq_file.h>

#include "../allocpools_internal.h"

static void core_test_row(struct ap_pool *pool, struct ap_row *row)
{
}

static const struct ap_kind core_test_kind = {
	.name = "core_test",
	.row = core_test_row,
};

static void allocpools_core_test_name_ascii_only(struct kunit *test)
{
	static const char * const good[] = {
		"a", "Z", "0", "pool_1.2-x", "abcdefghijklmnopqrstuvwxyz01234",
	};
	static const char * const bad[] = {
		"", ".", "..", "a b", "a/b", "caf\xe9", "\xc0", "\xff", "x\x7f",
		"abcdefghijklmnopqrstuvwxyz012345",
	};
	unsigned int i;

	KUNIT_EXPECT_FALSE(test, ap_name_valid(NULL));
	for (i = 0; i < ARRAY_SIZE(good); i++)
		KUNIT_EXPECT_TRUE_MSG(test, ap_name_valid(good[i]), "%s", good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_FALSE_MSG(test, ap_name_valid(bad[i]),
				       "bad name %u", i);
}

/*
 * A pool that reports far past the burst uses up its own budget only: the
 * next pool's first report is still printed.
 */
static void allocpools_core_test_ratelimit_per_pool(struct kunit *test)
{
	struct ap_pool *noisy, *quiet;
	int i;

	noisy = kunit_kzalloc(test, sizeof(*noisy), GFP_KERNEL);
	quiet = kunit_kzalloc(test, sizeof(*quiet), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, noisy);
	KUNIT_ASSERT_NOT_NULL(test, quiet);
	KUNIT_ASSERT_EQ(test, ap_pool_register(noisy, &core_test_kind,
					       "noisy"), 0);
	if (ap_pool_register(quiet, &core_test_kind, "quiet")) {
		ap_pool_unregister(noisy);
		KUNIT_FAIL(test, "cannot register a second pool");
		return;
	}
	for (i = 0; i < 3 * DEFAULT_RATELIMIT_BURST; i++)
		ap_report_invalid(noisy, "test report", true, i);
	ap_report_corruption(quiet, "test report", 0);

	KUNIT_EXPECT_EQ(test, noisy->rs.printed, DEFAULT_RATELIMIT_BURST);
	KUNIT_EXPECT_EQ(test, noisy->rs.missed, 2 * DEFAULT_RATELIMIT_BURST);
	KUNIT_EXPECT_EQ(test, quiet->rs.printed, 1);
	KUNIT_EXPECT_EQ(test, quiet->rs.missed, 0);
	ap_pool_unregister(quiet);
	ap_pool_unregister(noisy);
}

static struct kunit_case allocpools_core_test_cases[] = {
	KUNIT_CASE(allocpools_core_test_name_ascii_only),
	KUNIT_CASE(allocpools_core_test_ratelimit_per_pool),
	{}
};

static struct kunit_suite allocpools_core_test_suite = {
	.name = "allocpools_core",
	.test_cases = allocpools_core_test_cases,
};

kunit_test_suites(&allocpools_core_test_suite);
