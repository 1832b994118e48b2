/* Log-linear buckets (bpf/ebs_hist.h) and the percentile math over their
 * deltas (src/hist.c): the bucket index at its edges, and the error bound
 * against the exact quantiles of known sample sets. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup.h"
#include "ebpfstats.h"

static void test_bucket_index_edges(void **state)
{
	(void)state;
	/* exact below 16 */
	assert_int_equal(ebs_hist_bucket_of(0), 0);
	assert_int_equal(ebs_hist_bucket_of(1), 1);
	assert_int_equal(ebs_hist_bucket_of(15), 15);
	/* octave 4 ([16, 32)): still one value per bucket */
	assert_int_equal(ebs_hist_bucket_of(16), 16);
	assert_int_equal(ebs_hist_bucket_of(31), 31);
	/* octave 5 ([32, 64)): two values per bucket */
	assert_int_equal(ebs_hist_bucket_of(32), 32);
	assert_int_equal(ebs_hist_bucket_of(33), 32);
	assert_int_equal(ebs_hist_bucket_of(34), 33);
	assert_int_equal(ebs_hist_bucket_of(63), 47);
	assert_int_equal(ebs_hist_bucket_of(64), 48);
	/* 1 µs = 1000 = 0b1111101000: octave 9, sub-bucket (1000 >> 5) & 15 = 15 */
	assert_int_equal(ebs_hist_bucket_of(1000), ((9 - 3) << 4) + 15);
	/* the top: 2^32 - 1 is the last closed bucket, 2^32 on is open */
	assert_int_equal(ebs_hist_bucket_of(UINT32_MAX), EBS_HIST_SLOTS - 2);
	assert_int_equal(ebs_hist_bucket_of(UINT64_C(1) << 32), EBS_HIST_SLOTS - 1);
	assert_int_equal(ebs_hist_bucket_of(UINT64_MAX), EBS_HIST_SLOTS - 1);
	assert_int_equal(EBS_HIST_SLOTS, 465);
}

/* Every bucket: its bounds map back to it, the next value starts the next
 * bucket, and it is never wider than 1/16 of its lower bound. */
/* The per-cgroup bucket derived from the fine one (the syscall path) is
 * the one computed from the value, at every bucket edge and around it. */
static void test_cg_bucket_of_fine(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < 5000; v++)
		assert_int_equal(ebs_cg_hist_of_fine(ebs_hist_bucket(v)), ebs_cg_hist_bucket(v));
	for (unsigned s = 2; s < 40; s++)
		for (int d = -3; d <= 3; d++) {
			uint64_t v = (UINT64_C(1) << s) + (uint64_t)(int64_t)d;
			uint64_t w = v + (v >> 3) + (v >> 2);

			assert_int_equal(ebs_cg_hist_of_fine(ebs_hist_bucket(v)),
					 ebs_cg_hist_bucket(v));
			assert_int_equal(ebs_cg_hist_of_fine(ebs_hist_bucket(w)),
					 ebs_cg_hist_bucket(w));
		}
}

static void test_bucket_bounds(void **state)
{
	(void)state;
	assert_int_equal(ebs_hist_lower(0), 0);
	assert_int_equal(ebs_hist_upper(0), 0);
	assert_int_equal(ebs_hist_lower(EBS_HIST_SLOTS - 1), UINT64_C(1) << 32);
	assert_true(ebs_hist_upper(EBS_HIST_SLOTS - 1) == UINT64_MAX);
	assert_int_equal(ebs_hist_upper(EBS_HIST_SLOTS - 2), UINT32_MAX);
	for (unsigned b = 0; b + 1 < EBS_HIST_SLOTS; b++) {
		uint64_t lo = ebs_hist_lower(b), up = ebs_hist_upper(b);

		assert_int_equal(ebs_hist_bucket_of(lo), b);
		assert_int_equal(ebs_hist_bucket_of(up), b);
		assert_int_equal(ebs_hist_bucket_of(up + 1), b + 1);
		assert_true(up >= lo);
		assert_true((up - lo + 1) * 16 <= (lo < 16 ? 16 : lo));
	}
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
	assert_true(ebs_pct_at(&p, 0.999) == 0.0);
}

/* ---- the bound against exact quantiles -------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15u;

static double uniform01(void)
{
	/* xorshift64*: deterministic, so a failure reproduces */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (double)((rng * 0x2545F4914F6CDD1Du) >> 11) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#define NSAMPLES 20000
static uint64_t samples[NSAMPLES];

/* Counts samples[0..n) into a histogram and checks p50, p90, p99, p99.9
 * against the nearest-rank quantile of the sorted samples. */
static void check_bound(const char *what, size_t n)
{
	static const double qs[] = {0.5, 0.9, 0.99, 0.999};
	struct ebs_hist h = {{0}};
	struct ebs_pct p;

	for (size_t i = 0; i < n; i++)
		h.slot[ebs_hist_bucket_of(samples[i])]++;
	ebs_hist_pct(&p, &h, NULL, 1.0);
	assert_int_equal(p.samples, n);
	qsort(samples, n, sizeof(samples[0]), cmp_u64);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		size_t rank = (size_t)ceil(qs[k] * (double)n - 1e-9);
		double exact = (double)samples[rank - 1], got = ebs_pct_at(&p, qs[k]);
		double err = exact > 0 ? fabs(got - exact) / exact : fabs(got);

		if (err > EBS_HIST_MAX_ERROR + 1e-12)
			fail_msg("%s: p%g is %.1f, exact %.0f: error %.2f %% > %.2f %%", what,
				 qs[k] * 100, got, exact, err * 100, EBS_HIST_MAX_ERROR * 100);
	}
}

/* A point mass anywhere, bucket edges included, from 1 ns to 4 s: the
 * worst case for interpolation, which would put p99 near the bucket's top. */
static void test_bound_point_masses(void **state)
{
	(void)state;
	for (unsigned b = 0; b + 1 < EBS_HIST_SLOTS; b++) {
		uint64_t edge[3] = {ebs_hist_lower(b), ebs_hist_upper(b),
				    (ebs_hist_lower(b) + ebs_hist_upper(b)) / 2};

		for (int e = 0; e < 3; e++) {
			for (size_t i = 0; i < 1000; i++)
				samples[i] = edge[e];
			check_bound("point mass", 1000);
		}
	}
}

/* Uniform delays over ranges from 1 µs .. 2 µs to 100 ms .. 1 s (ns). */
static void test_bound_uniform(void **state)
{
	static const double ranges[][2] = {{1e3, 2e3},	 {20e3, 60e3},	 {100e3, 1000e3},
					   {1e6, 1.1e6}, {250e3, 260e3}, {100e6, 1e9}};

	(void)state;
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		for (size_t i = 0; i < NSAMPLES; i++)
			samples[i] = (uint64_t)(ranges[r][0] +
						uniform01() * (ranges[r][1] - ranges[r][0]));
		check_bound("uniform", NSAMPLES);
	}
}

/* Two modes: 80 % near 5 µs, 20 % near 40 ms (a cache and a disk). */
static void test_bound_bimodal(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSAMPLES; i++)
		samples[i] = i % 5 ? (uint64_t)(5000 + uniform01() * 500)
				   : (uint64_t)(40e6 + uniform01() * 4e6);
	check_bound("bimodal", NSAMPLES);
}

/* Long tails from 1 µs to 1 s: log-uniform, and Pareto (alpha 1.2). */
static void test_bound_long_tailed(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSAMPLES; i++)
		samples[i] = (uint64_t)(1e3 * pow(1e6, uniform01()));
	check_bound("log-uniform 1 µs .. 1 s", NSAMPLES);
	for (size_t i = 0; i < NSAMPLES; i++) {
		double v = 1e3 / pow(1.0 - uniform01() * 0.999999, 1.0 / 1.2);
		samples[i] = (uint64_t)(v > 1e9 ? 1e9 : v);
	}
	check_bound("pareto 1 µs .. 1 s", NSAMPLES);
}

/* Few samples: every rank is its own sample. */
static void test_bound_few_samples(void **state)
{
	(void)state;
	for (size_t n = 1; n <= 7; n++) {
		for (size_t i = 0; i < n; i++)
			samples[i] = (uint64_t)(3000 + 7919 * i * i);
		check_bound("few samples", n);
	}
}

/* The open bucket reports its lower bound: "at least 2^32". */
static void test_open_bucket(void **state)
{
	struct ebs_hist h = {{0}};

	(void)state;
	h.slot[EBS_HIST_SLOTS - 1] = 10;
	assert_float_equal(ebs_hist_percentile(&h, NULL, 0.99), 4294967296.0, 0.5);
}

/* Only the delta between two snapshots counts: old slow samples must not
 * leak into this interval's percentiles. */
static void test_delta_only(void **state)
{
	struct ebs_hist prev = {{0}}, cur = {{0}};
	struct ebs_pct p;

	(void)state;
	prev.slot[ebs_hist_bucket_of(5000000)] = 1000; /* slow, long ago */
	cur.slot[ebs_hist_bucket_of(5000000)] = 1000;
	cur.slot[ebs_hist_bucket_of(24000)] = 50; /* this interval: 50 x 24 µs */
	ebs_hist_pct(&p, &cur, &prev, 1000.0);
	assert_int_equal(p.samples, 50);
	assert_true(fabs(p.p50 - 24.0) <= 24.0 * EBS_HIST_MAX_ERROR);
	assert_true(fabs(p.p99 - 24.0) <= 24.0 * EBS_HIST_MAX_ERROR);
	assert_true(fabs(ebs_pct_at(&p, 0.999) - 24.0) <= 24.0 * EBS_HIST_MAX_ERROR);
}

/* A counter that went backwards (programs reloaded) counts as new. */
static void test_reset_counts_as_new(void **state)
{
	struct ebs_hist prev = {{0}}, cur = {{0}};
	struct ebs_pct p;

	(void)state;
	prev.slot[40] = 500;
	cur.slot[40] = 20;
	ebs_hist_pct(&p, &cur, &prev, 1.0);
	assert_int_equal(p.samples, 20);
	assert_true(p.p50 >= (double)ebs_hist_lower(40) * (1 - EBS_HIST_MAX_ERROR) &&
		    p.p50 <= (double)ebs_hist_upper(40) * (1 + EBS_HIST_MAX_ERROR));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_index_edges),
		cmocka_unit_test(test_bucket_bounds),
		cmocka_unit_test(test_cg_bucket_of_fine),
		cmocka_unit_test(test_empty_is_zero),
		cmocka_unit_test(test_bound_point_masses),
		cmocka_unit_test(test_bound_uniform),
		cmocka_unit_test(test_bound_bimodal),
		cmocka_unit_test(test_bound_long_tailed),
		cmocka_unit_test(test_bound_few_samples),
		cmocka_unit_test(test_open_bucket),
		cmocka_unit_test(test_delta_only),
		cmocka_unit_test(test_reset_counts_as_new),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
