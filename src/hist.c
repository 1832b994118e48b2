/* Percentiles from log-linear histograms (bpf/ebs_hist.h).  Both front-ends
 * and the CLI call this on the same snapshot deltas, so they report
 * identical numbers.
 *
 * The error bound.  The sample of the wanted rank lies in the bucket where
 * the cumulative count reaches that rank.  Below the open bucket a bucket
 * holds the integers lo..up with up < lo * 17/16 (exact for lo < 32), so a
 * value e with (1 - eps) * up <= e <= (1 + eps) * lo is within eps of
 * every one of them, whichever it is; such an e exists for any eps >=
 * 1/33 (3.03 %).  The estimate is the linear interpolation inside the
 * bucket (the best guess on smooth distributions), moved into that
 * interval when it falls outside (a point mass at the bucket's edge). */
#include <math.h>
#include <string.h>

#include "ebpfstats.h"
#include "ebs_hist.h"
#include "module.h"

unsigned ebs_hist_bucket_of(uint64_t v)
{
	return ebs_hist_bucket(v);
}

uint64_t ebs_hist_lower(unsigned slot)
{
	unsigned h;

	if (slot < EBS_HIST_SUB)
		return slot;
	if (slot >= EBS_HIST_SLOTS - 1)
		return UINT64_C(1) << EBS_HIST_TOP_BITS;
	/* bucket ((h - 3) << 4) + j holds [(16 + j) << (h - 4), (17 + j) << (h - 4)) */
	h = (slot >> EBS_HIST_SUB_BITS) + EBS_HIST_SUB_BITS - 1;
	return (uint64_t)(EBS_HIST_SUB + (slot & (EBS_HIST_SUB - 1))) << (h - EBS_HIST_SUB_BITS);
}

uint64_t ebs_hist_upper(unsigned slot)
{
	if (slot >= EBS_HIST_SLOTS - 1)
		return UINT64_MAX;
	return ebs_hist_lower(slot + 1) - 1;
}

void ebs_hist_add(struct ebs_hist *dst, const __u64 *slots)
{
	for (unsigned b = 0; b < EBS_HIST_SLOTS; b++)
		dst->slot[b] += slots[b];
}

/* A counter that went backwards means the programs were reloaded: count
 * the new value as the whole interval. */
static uint64_t delta(const struct ebs_hist *cur, const struct ebs_hist *prev, unsigned i)
{
	uint64_t p = prev ? prev->slot[i] : 0;

	return cur->slot[i] >= p ? cur->slot[i] - p : cur->slot[i];
}

static double estimate(unsigned b, double frac)
{
	double lo = (double)ebs_hist_lower(b), up, e;

	if (b >= EBS_HIST_SLOTS - 1)
		return lo; /* open: all that is known is "at least" */
	up = (double)ebs_hist_upper(b);
	e = lo + frac * (up + 1.0 - lo);
	if (e > lo * (1.0 + EBS_HIST_MAX_ERROR))
		e = lo * (1.0 + EBS_HIST_MAX_ERROR);
	if (e < up * (1.0 - EBS_HIST_MAX_ERROR))
		e = up * (1.0 - EBS_HIST_MAX_ERROR);
	return e;
}

double ebs_hist_percentile(const struct ebs_hist *cur, const struct ebs_hist *prev, double q)
{
	uint64_t total = 0, seen = 0;
	double rank;

	for (unsigned i = 0; i < EBS_HIST_SLOTS; i++)
		total += delta(cur, prev, i);
	if (total == 0 || !(q > 0))
		return 0.0;
	if (q > 1)
		q = 1;
	/* the nearest-rank sample: the ceil(q * total)-th smallest, 1-based */
	rank = ceil(q * (double)total - 1e-9);
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < EBS_HIST_SLOTS; i++) {
		uint64_t d = delta(cur, prev, i);

		if (d == 0)
			continue;
		if ((double)(seen + d) >= rank)
			return estimate(i, (rank - (double)seen - 0.5) / (double)d);
		seen += d;
	}
	return estimate(EBS_HIST_SLOTS - 1, 0);
}

void ebs_hist_pct(struct ebs_pct *pct, const struct ebs_hist *cur, const struct ebs_hist *prev,
		  double div)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < EBS_HIST_SLOTS; i++)
		n += delta(cur, prev, i);
	pct->samples = n;
	pct->hist = cur;
	pct->prev = prev;
	pct->div = div;
	pct->p50 = ebs_pct_at(pct, 0.50);
	pct->p90 = ebs_pct_at(pct, 0.90);
	pct->p99 = ebs_pct_at(pct, 0.99);
}

double ebs_pct_at(const struct ebs_pct *pct, double q)
{
	if (!pct->hist || pct->samples == 0)
		return 0.0;
	return ebs_hist_percentile(pct->hist, pct->prev, q) / (pct->div > 0 ? pct->div : 1.0);
}
