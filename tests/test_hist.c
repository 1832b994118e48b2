/* Percentile math over log2 histogram deltas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ebpfstats.h"

static void test_upper_bounds(void **state)
{
	(void)state;
	assert_int_equal(ebs_hist_upper(0), 1);
	assert_int_equal(ebs_hist_upper(1), 3);
	assert_int_equal(ebs_hist_upper(9), 1023);
	assert_int_equal(ebs_hist_upper(EBS_HIST_SLOTS - 1), UINT32_MAX);
}

static void test_empty_is_zero(void **state)
{
	struct ebs_hist h = {{0}};
	struct ebs_pct p;

	(void)state;
	assert_true(ebs_hist_percentile(&h, NULL, 0.5) == 0.0);
	ebs_hist_pct(&p, &h, NULL, 1000.0);
	assert_int_equal(p.samples, 0);
	assert_true(p.p99 == 0.0);
}

/* 100 samples all in slot 10 ([1024, 2048)): the median is the middle of
 * the bucket, p99 near its top. */
static void test_single_bucket_interpolates(void **state)
{
	struct ebs_hist h = {{0}};

	(void)state;
	h.slot[10] = 100;
	assert_float_equal(ebs_hist_percentile(&h, NULL, 0.5), 1024 + 512, 0.001);
	assert_float_equal(ebs_hist_percentile(&h, NULL, 0.99), 1024 + 0.99 * 1024, 0.001);
	assert_float_equal(ebs_hist_percentile(&h, NULL, 1.0), 2048, 0.001);
}

/* 90 fast samples and 10 slow ones: p50 in the fast bucket, p99 in the slow. */
static void test_two_buckets(void **state)
{
	struct ebs_hist h = {{0}};

	(void)state;
	h.slot[3] = 90;	 /* [8, 16) */
	h.slot[20] = 10; /* [1 Mi, 2 Mi) */
	double p50 = ebs_hist_percentile(&h, NULL, 0.5);
	double p90 = ebs_hist_percentile(&h, NULL, 0.9);
	double p99 = ebs_hist_percentile(&h, NULL, 0.99);
	assert_true(p50 >= 8 && p50 < 16);
	assert_float_equal(p90, 16, 0.001); /* exactly the top of the fast bucket */
	assert_true(p99 >= 1048576 && p99 < 2097152);
	assert_float_equal(p99, 1048576 + 0.9 * 1048576, 0.001);
}

/* Only the delta between two snapshots counts: old slow samples must not
 * leak into this interval's percentiles. */
static void test_delta_only(void **state)
{
	struct ebs_hist prev = {{0}}, cur = {{0}};
	struct ebs_pct p;

	(void)state;
	prev.slot[25] = 1000; /* slow, long ago */
	cur.slot[25] = 1000;
	cur.slot[4] = 50; /* this interval: 50 samples in [16, 32) ns */
	ebs_hist_pct(&p, &cur, &prev, 1000.0);
	assert_int_equal(p.samples, 50);
	assert_true(p.p99 >= 0.016 && p.p99 < 0.032); /* µs */
	assert_float_equal(p.p50, 0.024, 0.0001);
}

/* A counter that went backwards (programs reloaded) counts as new. */
static void test_reset_counts_as_new(void **state)
{
	struct ebs_hist prev = {{0}}, cur = {{0}};
	struct ebs_pct p;

	(void)state;
	prev.slot[5] = 500;
	cur.slot[5] = 20;
	ebs_hist_pct(&p, &cur, &prev, 1.0);
	assert_int_equal(p.samples, 20);
	assert_true(p.p50 >= 32 && p.p50 < 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upper_bounds),
		cmocka_unit_test(test_empty_is_zero),
		cmocka_unit_test(test_single_bucket_interpolates),
		cmocka_unit_test(test_two_buckets),
		cmocka_unit_test(test_delta_only),
		cmocka_unit_test(test_reset_counts_as_new),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
